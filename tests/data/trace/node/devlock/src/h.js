const a = require('prod-a');
exports.handler = async () => a.name;
