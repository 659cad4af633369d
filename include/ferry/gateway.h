/*
 * gateway.h - the pure parts of the local HTTP gateway (`ferry serve`):
 * the route table of http events and its matching, the event a handler
 * receives (AWS Lambda HTTP API payload 2.0 subset, DESIGN.md section 3)
 * and the HTTP response made of its result. No sockets, no processes:
 * cli/cmd_serve.c does the serving, the provider runs the handlers.
 *
 * Routing rules (docs/serve.md): a route is "METHOD /path" with literal
 * segments, `{name}` segments (one non-empty segment) and a last `{name+}`
 * segment (one or more segments). A request matches the routes whose path
 * matches and whose method is its own, ANY, or GET for HEAD; among those,
 * the most specific path wins (segment by segment: literal over {name}
 * over {name+}), then an exact method over ANY. One trailing slash is
 * ignored. Literals are compared with the percent-decoded request path.
 */
#ifndef FERRY_GATEWAY_H
#define FERRY_GATEWAY_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

struct ferry_route {
	char *method;	/* owned; upper case: "GET" ... "ANY" */
	char *path;	/* owned; "/users/{id}" */
	char *function;	/* owned */
	char *version;	/* owned; the provider's version handle */
};

struct ferry_routes {
	struct ferry_route *items;	/* owned */
	size_t nr, alloc;
};

void ferry_routes_init(struct ferry_routes *t);
void ferry_routes_release(struct ferry_routes *t);

/*
 * Add the route of http event `event` ("GET /users/{id}", as published)
 * for `function` at `version` (both copied). FERRY_ECONFIG for a malformed
 * event; FERRY_ECONFLICT when the same method and path is already routed
 * (the table is unchanged; the message names both functions).
 */
int ferry_routes_add(struct ferry_routes *t, const char *event,
		     const char *function, const char *version,
		     struct ferry_error *err);

struct ferry_route_match {
	const struct ferry_route *route;	/* borrowed; NULL unless 200 */
	struct ferry_strvec params;	/* owned; name, value, name, value ...
					 * (decoded path parameters) */
	char allow[128];		/* 405: "GET, POST" */
};

void ferry_route_match_init(struct ferry_route_match *m);
void ferry_route_match_release(struct ferry_route_match *m);

/*
 * Match `method` and `raw_path` (as sent, percent-encoded, no query)
 * against `t`. Returns 200 (m->route and m->params set), 404 (no route
 * has this path), 405 (some do, none with this method; m->allow lists
 * theirs) or FERRY_ENOMEM. `m` must be initialised; it is reset first.
 */
int ferry_routes_match(struct ferry_route_match *m,
		       const struct ferry_routes *t, const char *method,
		       const char *raw_path);

struct ferry_gw_header {
	const char *name;	/* borrowed; any case */
	const char *value;	/* borrowed */
};

struct ferry_gw_request {
	const char *method;		/* borrowed */
	const char *raw_path;		/* borrowed; as sent */
	const char *raw_query;		/* borrowed; after '?', "" if none */
	const struct ferry_gw_header *headers;	/* borrowed, in order */
	size_t headers_nr;
	const void *body;		/* borrowed; may be NULL */
	size_t body_len;
	const char *source_ip;		/* borrowed; may be NULL */
	const char *request_id;		/* borrowed */
	long long time_ms;		/* arrival, epoch milliseconds */
};

/*
 * Append the handler's event for `req` matched by `m` (one line of JSON):
 * version, routeKey, rawPath, rawQueryString, cookies, headers (names in
 * lower case, repeated ones joined with ","), queryStringParameters
 * (decoded, repeated ones joined with ","), pathParameters, body,
 * isBase64Encoded (true unless the body is UTF-8 text of a textual or
 * absent content type) and requestContext (http.method, http.path,
 * http.protocol, http.sourceIp, http.userAgent, routeKey, stage,
 * requestId, timeEpoch). Keys without a value are left out, as API Gateway
 * does. Returns 0 or FERRY_ENOMEM.
 */
int ferry_gateway_event(struct ferry_buf *out,
			const struct ferry_gw_request *req,
			const struct ferry_route_match *m,
			struct ferry_error *err);

struct ferry_gw_response {
	int status;
	struct ferry_strvec headers;	/* owned; name, value, name, value ... */
	struct ferry_buf body;		/* owned */
};

void ferry_gw_response_init(struct ferry_gw_response *r);
void ferry_gw_response_release(struct ferry_gw_response *r);

/*
 * Make the response of a handler's JSON result (`len` bytes): an object
 * with "statusCode" gives that status, its "headers" (string, number or
 * boolean values), its "cookies" (Set-Cookie headers) and its "body" (a
 * string, base64-decoded when "isBase64Encoded" is true; any other JSON
 * value is sent as JSON); any other JSON value is a 200 with that JSON as
 * the body. Content-Type defaults to application/json. FERRY_EFAIL, with
 * `r` reset, when the result is not JSON or not a valid response (status
 * outside 100..599, bad base64, headers not an object).
 */
int ferry_gateway_response(struct ferry_gw_response *r, const char *result,
			   size_t len, struct ferry_error *err);

#endif
