'use strict';

/* Run with: node --test test/   (or npm test) - no install needed. */
const test = require('node:test');
const assert = require('node:assert');
const { handler } = require('../src/worker');

test('a scheduled call with no items does nothing', async () => {
	const res = await handler({ source: 'schedule' }, { functionName: 'tick' });
	assert.strictEqual(res.processed, 0);
	assert.strictEqual(res.function, 'tick');
});

test('items in the event are processed', async () => {
	const res = await handler({ items: ['a', 'b'] });
	assert.strictEqual(res.processed, 2);
	assert.deepStrictEqual(res.results[1], { item: 'b', done: true });
});
