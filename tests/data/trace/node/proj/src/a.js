module.exports = require('../shared/b');
