const sugar = require('sugar');
const fmt = require('#utils/fmt');
const pj = require.resolve('pkg-main/package.json');
try { require('sugar/other'); } catch (e) {}
module.exports = 'self';
