'use strict';
// lodash (CommonJS, 1,000+ files of which few are loaded), a subpath export
// of date-fns, and a local JSON file.
const _ = require('lodash');
const { addDays } = require('date-fns/addDays');
const config = require('./config.json');

exports.handler = async (event) => ({
  sum: _.sumBy(event.rows || [], 'n'),
  groups: Object.keys(_.groupBy(['one', 'two', 'three'], 'length')).length,
  day: addDays(new Date(Date.UTC(2026, 0, 30)), 3).toISOString().slice(0, 10),
  name: config.name,
});
