module.exports = require('ws-dep');
