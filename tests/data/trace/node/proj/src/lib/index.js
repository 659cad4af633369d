try { require('pkg-exports/features/private/z'); } catch (e) {}
try { require('pkg-exports/.js'); } catch (e) {}
module.exports = 'lib';
