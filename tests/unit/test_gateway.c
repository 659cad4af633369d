/*
 * test_gateway.c - the local gateway's pure parts: route matching (params,
 * greedy segments, ANY, specificity, 404 vs 405), the payload 2.0 event
 * and the mapping of handler results to responses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ferry/gateway.h"

static void table(struct ferry_routes *t)
{
	static const char *const events[][2] = {
		{ "GET /users/{id}", "get-user" },
		{ "POST /users/{id}", "post-user" },
		{ "GET /users/me", "me" },
		{ "ANY /files/{path+}", "files" },
		{ "GET /files/{path+}", "files-get" },
		{ "GET /", "root" },
		{ "ANY /any", "any" },
	};
	size_t i;

	ferry_routes_init(t);
	for (i = 0; i < sizeof(events) / sizeof(*events); i++)
		assert_int_equal(ferry_routes_add(t, events[i][0], events[i][1],
						  "v1", NULL), 0);
}

static void expect(const struct ferry_routes *t, const char *method,
		   const char *path, int status, const char *fn,
		   const char *param, const char *value)
{
	struct ferry_route_match m;

	ferry_route_match_init(&m);
	assert_int_equal(ferry_routes_match(&m, t, method, path), status);
	if (fn) {
		assert_non_null(m.route);
		assert_string_equal(m.route->function, fn);
	}
	if (param) {
		assert_int_equal(m.params.nr, 2);
		assert_string_equal(m.params.items[0], param);
		assert_string_equal(m.params.items[1], value);
	}
	ferry_route_match_release(&m);
}

static void test_match(void **state)
{
	struct ferry_routes t;
	struct ferry_route_match m;

	table(&t);
	expect(&t, "GET", "/users/42", 200, "get-user", "id", "42");
	expect(&t, "GET", "/users/a%20b", 200, "get-user", "id", "a b");
	expect(&t, "GET", "/users/42/", 200, "get-user", "id", "42");
	expect(&t, "POST", "/users/42", 200, "post-user", "id", "42");
	expect(&t, "GET", "/users/me", 200, "me", NULL, NULL);
	expect(&t, "HEAD", "/users/1", 200, "get-user", NULL, NULL);
	expect(&t, "GET", "/files/a/b/c.txt", 200, "files-get", "path",
	       "a/b/c.txt");
	expect(&t, "DELETE", "/files/x", 200, "files", "path", "x");
	expect(&t, "GET", "/", 200, "root", NULL, NULL);
	expect(&t, "PATCH", "/any", 200, "any", NULL, NULL);
	expect(&t, "GET", "/users", 404, NULL, NULL, NULL);
	expect(&t, "GET", "/users/1/2", 404, NULL, NULL, NULL);
	expect(&t, "GET", "/files", 404, NULL, NULL, NULL);
	expect(&t, "GET", "/nope", 404, NULL, NULL, NULL);
	ferry_route_match_init(&m);
	assert_int_equal(ferry_routes_match(&m, &t, "DELETE", "/users/1"), 405);
	assert_null(m.route);
	assert_string_equal(m.allow, "GET, POST");
	ferry_route_match_release(&m);
	ferry_routes_release(&t);
}

static void test_add_errors(void **state)
{
	struct ferry_routes t;
	struct ferry_error err;

	ferry_routes_init(&t);
	ferry_error_init(&err);
	assert_int_equal(ferry_routes_add(&t, "GET /a", "a", "v", &err), 0);
	assert_int_equal(ferry_routes_add(&t, "GET /a/", "b", "v", &err),
			 FERRY_ECONFLICT);
	assert_non_null(strstr(err.msg, "already routed to function 'a'"));
	ferry_error_clear(&err);
	assert_int_equal(ferry_routes_add(&t, "FETCH /a", "a", "v", &err),
			 FERRY_ECONFIG);
	ferry_error_clear(&err);
	assert_int_equal(ferry_routes_add(&t, "GET a", "a", "v", &err),
			 FERRY_ECONFIG);
	ferry_error_clear(&err);
	assert_int_equal(ferry_routes_add(&t, "GET /{p+}/x", "a", "v", &err),
			 FERRY_ECONFIG);
	ferry_error_clear(&err);
	assert_int_equal(t.nr, 1);
	ferry_routes_release(&t);
}

static json_t *event_of(const char *method, const char *path,
			const char *query, const char *ctype, const void *body,
			size_t len)
{
	struct ferry_routes t;
	struct ferry_route_match m;
	struct ferry_gw_header h[] = {
		{ "X-Test", "one" }, { "x-test", "two" },
		{ "Cookie", "a=1; b=2" }, { "Content-Type", ctype },
	};
	struct ferry_gw_request req = { 0 };
	struct ferry_buf out = FERRY_BUF_INIT;
	json_t *doc;

	table(&t);
	ferry_route_match_init(&m);
	assert_int_equal(ferry_routes_match(&m, &t, method, path), 200);
	req.method = method;
	req.raw_path = path;
	req.raw_query = query;
	req.headers = h;
	req.headers_nr = ctype ? 4 : 3;
	req.body = body;
	req.body_len = len;
	req.request_id = "r1";
	req.time_ms = 1234;
	assert_int_equal(ferry_gateway_event(&out, &req, &m, NULL), 0);
	assert_null(memchr(out.buf, '\n', out.len));
	doc = json_loadb(out.buf, out.len, 0, NULL);
	assert_non_null(doc);
	ferry_buf_release(&out);
	ferry_route_match_release(&m);
	ferry_routes_release(&t);
	return doc;
}

static const char *str(json_t *doc, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		doc = json_object_get(doc, key);
		path = dot + 1;
	}
	return json_string_value(json_object_get(doc, path));
}

static void test_event(void **state)
{
	json_t *ev;

	ev = event_of("POST", "/users/a%2Fb", "x=1&y=a+b&x=2&flag", "text/plain",
		      "héllo", strlen("héllo"));
	assert_string_equal(str(ev, "version"), "2.0");
	assert_string_equal(str(ev, "routeKey"), "POST /users/{id}");
	assert_string_equal(str(ev, "rawPath"), "/users/a%2Fb");
	assert_string_equal(str(ev, "rawQueryString"), "x=1&y=a+b&x=2&flag");
	assert_string_equal(str(ev, "headers.x-test"), "one,two");
	assert_string_equal(str(ev, "queryStringParameters.x"), "1,2");
	assert_string_equal(str(ev, "queryStringParameters.y"), "a b");
	assert_string_equal(str(ev, "queryStringParameters.flag"), "");
	assert_string_equal(str(ev, "pathParameters.id"), "a/b");
	assert_string_equal(str(ev, "body"), "héllo");
	assert_true(json_is_false(json_object_get(ev, "isBase64Encoded")));
	assert_string_equal(str(ev, "requestContext.http.method"), "POST");
	assert_string_equal(str(ev, "requestContext.http.path"), "/users/a%2Fb");
	assert_string_equal(str(ev, "requestContext.requestId"), "r1");
	assert_int_equal(json_array_size(json_object_get(ev, "cookies")), 2);
	json_decref(ev);

	/* binary: base64; no query, no params: keys left out */
	ev = event_of("GET", "/any", "", "application/octet-stream", "\xff\x00\x01",
		      3);
	assert_string_equal(str(ev, "body"), "/wAB");
	assert_true(json_is_true(json_object_get(ev, "isBase64Encoded")));
	assert_null(json_object_get(ev, "queryStringParameters"));
	assert_null(json_object_get(ev, "pathParameters"));
	json_decref(ev);

	/* invalid UTF-8 in a text type is binary too; no body, no key */
	ev = event_of("GET", "/any", "", "text/plain", "\xc3", 1);
	assert_true(json_is_true(json_object_get(ev, "isBase64Encoded")));
	json_decref(ev);
	ev = event_of("GET", "/any", "", NULL, NULL, 0);
	assert_null(json_object_get(ev, "body"));
	json_decref(ev);
}

static const char *header(const struct ferry_gw_response *r, const char *n)
{
	size_t i;

	for (i = 0; i + 1 < r->headers.nr; i += 2)
		if (!strcmp(r->headers.items[i], n))
			return r->headers.items[i + 1];
	return NULL;
}

static void respond(struct ferry_gw_response *r, const char *result, int rc)
{
	ferry_gw_response_init(r);
	assert_int_equal(ferry_gateway_response(r, result, strlen(result), NULL),
			 rc);
}

static void test_response(void **state)
{
	struct ferry_gw_response r;

	respond(&r, "{\"statusCode\": 201, \"headers\": {\"X-A\": \"b\", "
		"\"X-N\": 3, \"Content-Type\": \"text/plain\"}, "
		"\"body\": \"hi\", \"cookies\": [\"s=1\"]}", 0);
	assert_int_equal(r.status, 201);
	assert_string_equal(header(&r, "X-A"), "b");
	assert_string_equal(header(&r, "X-N"), "3");
	assert_string_equal(header(&r, "Content-Type"), "text/plain");
	assert_string_equal(header(&r, "Set-Cookie"), "s=1");
	assert_int_equal(r.body.len, 2);
	assert_memory_equal(r.body.buf, "hi", 2);
	ferry_gw_response_release(&r);

	respond(&r, "{\"statusCode\": 200, \"body\": \"/wAB\", "
		"\"isBase64Encoded\": true}", 0);
	assert_int_equal(r.body.len, 3);
	assert_memory_equal(r.body.buf, "\xff\x00\x01", 3);
	assert_string_equal(header(&r, "Content-Type"), "application/json");
	ferry_gw_response_release(&r);

	/* any other JSON value: 200 with it as the body */
	respond(&r, "{\"a\": [1, 2]}", 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.buf, "{\"a\": [1, 2]}");
	assert_string_equal(header(&r, "Content-Type"), "application/json");
	ferry_gw_response_release(&r);
	respond(&r, "\"text\"", 0);
	assert_string_equal(r.body.buf, "\"text\"");
	ferry_gw_response_release(&r);

	respond(&r, "{\"statusCode\": 99}", FERRY_EFAIL);
	respond(&r, "{\"statusCode\": 200, \"body\": \"@@\", "
		"\"isBase64Encoded\": true}", FERRY_EFAIL);
	respond(&r, "{\"statusCode\": 200, \"headers\": {\"X\": \"a\\r\\nB: c\"}}",
		FERRY_EFAIL);
	respond(&r, "not json", FERRY_EFAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_add_errors),
		cmocka_unit_test(test_event),
		cmocka_unit_test(test_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
