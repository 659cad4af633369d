module.exports = 'tpl';
