'use strict';

/* Run with: node --test test/   (or npm test) - no install needed. */
const test = require('node:test');
const assert = require('node:assert');
const { handler } = require('../src/handler');

function request(method, path, { query = {}, body } = {}) {
	return {
		version: '2.0',
		rawPath: path,
		rawQueryString: new URLSearchParams(query).toString(),
		headers: { 'content-type': 'application/json' },
		queryStringParameters: query,
		pathParameters: {},
		body: body === undefined ? undefined : JSON.stringify(body),
		isBase64Encoded: false,
		requestContext: { http: { method, path } },
	};
}

test('GET /hello greets the world', async () => {
	const res = await handler(request('GET', '/hello'));
	assert.strictEqual(res.statusCode, 200);
	assert.strictEqual(res.headers['content-type'], 'application/json');
	assert.deepStrictEqual(JSON.parse(res.body),
		{ message: '{{greeting}}, world', method: 'GET', path: '/hello' });
});

test('GET /hello?name=ada greets by name', async () => {
	const res = await handler(request('GET', '/hello', { query: { name: 'ada' } }));
	assert.strictEqual(JSON.parse(res.body).message, '{{greeting}}, ada');
});

test('POST /hello reads a JSON body', async () => {
	const res = await handler(request('POST', '/hello', { body: { name: 'bob' } }));
	assert.strictEqual(res.statusCode, 200);
	assert.strictEqual(JSON.parse(res.body).message, '{{greeting}}, bob');
});

test('POST with a body that is not JSON is a 400', async () => {
	const ev = request('POST', '/hello');
	ev.body = 'not json';
	const res = await handler(ev);
	assert.strictEqual(res.statusCode, 400);
});
