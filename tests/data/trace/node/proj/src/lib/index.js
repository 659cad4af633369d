try { require('pkg-exports/features/private/z'); } catch (e) {}
module.exports = 'lib';
