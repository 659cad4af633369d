'use strict';
// uuid@14 is ESM-only: require() loads it through require(esm) (Node >= 20.19).
const { v4, validate, version } = require('uuid');

exports.handler = async () => {
  const id = v4();
  return { valid: validate(id), version: version(id) };
};
