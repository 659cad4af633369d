const dep = require('#dep');
const fs = require('#fs');
module.exports = dep;
