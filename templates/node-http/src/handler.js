'use strict';

/*
 * An HTTP handler in ferry's portable shape: the event is an HTTP API 2.0
 * payload (rawPath, rawQueryString, headers, queryStringParameters, body,
 * isBase64Encoded, requestContext.http.method), the result is
 * {statusCode, headers, body}. The same file runs on every provider.
 */
const GREETING = '{{greeting}}';

function readBody(event) {
	if (!event.body)
		return {};
	const text = event.isBase64Encoded ?
		Buffer.from(event.body, 'base64').toString('utf8') : event.body;
	try {
		return JSON.parse(text);
	} catch {
		return null;
	}
}

function json(statusCode, value) {
	return {
		statusCode,
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(value),
	};
}

exports.handler = async (event = {}, context = {}) => {
	const method = (event.requestContext && event.requestContext.http &&
		event.requestContext.http.method) || 'GET';
	const query = event.queryStringParameters || {};
	let name = query.name || 'world';

	if (method === 'POST') {
		const body = readBody(event);
		if (body === null)
			return json(400, { error: 'the body is not JSON' });
		if (body.name)
			name = String(body.name);
	}
	return json(200, {
		message: `${GREETING}, ${name}`,
		method,
		path: event.rawPath || '/',
	});
};
