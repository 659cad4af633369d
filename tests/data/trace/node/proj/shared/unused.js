module.exports = 'unused';
