const h = require('hoisted');
const s3 = require('@aws-sdk/client-s3');
exports.handler = async () => [h, s3];
