/*
 * gateway.c - routing table, handler event and HTTP response of the local
 * gateway (see gateway.h for the rules). Pure functions over strings and
 * JSON; it never touches a socket or a process.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "ferry/gateway.h"

static const char *const methods[] = {
	"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
	NULL,
};

void ferry_routes_init(struct ferry_routes *t)
{
	memset(t, 0, sizeof(*t));
}

void ferry_routes_release(struct ferry_routes *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nr; i++) {
		free(t->items[i].method);
		free(t->items[i].path);
		free(t->items[i].function);
		free(t->items[i].version);
	}
	free(t->items);
	ferry_routes_init(t);
}

/* Length of the path without one trailing slash ("/" stays). */
static size_t trimmed(const char *path, size_t len)
{
	if (len > 1 && path[len - 1] == '/')
		len--;
	return len;
}

/* Is segment [s, s+n) "{name}" (1) or "{name+}" (2), or a literal (0)? */
static int seg_kind(const char *s, size_t n)
{
	if (n < 3 || s[0] != '{' || s[n - 1] != '}')
		return 0;
	return s[n - 2] == '+' ? 2 : 1;
}

static int valid_path(const char *path)
{
	const char *s = path, *slash;
	size_t n;
	int kind;

	if (*path != '/')
		return 0;
	if (strchr(path, '?') || strchr(path, '#') || strchr(path, ' '))
		return 0;
	while (*s == '/' && s[1]) {
		s++;
		slash = strchr(s, '/');
		n = slash ? (size_t)(slash - s) : strlen(s);
		if (n == 0)
			return slash == NULL;	/* one trailing slash */
		kind = seg_kind(s, n);
		if (kind == 2 && slash && slash[1])
			return 0;	/* {proxy+} only last */
		if (!kind && (memchr(s, '{', n) || memchr(s, '}', n)))
			return 0;
		s += n;
	}
	return 1;
}

int ferry_routes_add(struct ferry_routes *t, const char *event,
		     const char *function, const char *version,
		     struct ferry_error *err)
{
	const char *sp = strchr(event, ' ');
	struct ferry_route r = { NULL, NULL, NULL, NULL };
	struct ferry_route *grown;
	size_t i, n;

	if (!sp)
		goto bad;
	n = (size_t)(sp - event);
	for (i = 0; methods[i]; i++)
		if (strlen(methods[i]) == n &&
		    !strncasecmp(methods[i], event, n))
			break;
	if (!methods[i])
		goto bad;
	while (*sp == ' ')
		sp++;
	if (!valid_path(sp))
		goto bad;
	for (n = 0; n < t->nr; n++)
		if (!strcmp(t->items[n].method, methods[i]) &&
		    trimmed(t->items[n].path, strlen(t->items[n].path)) ==
		    trimmed(sp, strlen(sp)) &&
		    !strncmp(t->items[n].path, sp, trimmed(sp, strlen(sp))))
			return ferry_error_set(err, FERRY_ECONFLICT,
					       "'%s %s' of function '%s' is "
					       "already routed to function '%s'",
					       methods[i], sp, function,
					       t->items[n].function);
	if (t->nr == t->alloc) {
		size_t alloc = t->alloc ? t->alloc * 2 : 8;

		grown = realloc(t->items, alloc * sizeof(*grown));
		if (!grown)
			goto oom;
		t->items = grown;
		t->alloc = alloc;
	}
	r.method = strdup(methods[i]);
	r.path = strdup(sp);
	r.function = strdup(function);
	r.version = strdup(version ? version : "");
	if (!r.method || !r.path || !r.function || !r.version) {
		free(r.method);
		free(r.path);
		free(r.function);
		free(r.version);
		goto oom;
	}
	t->items[t->nr++] = r;
	return 0;
bad:
	return ferry_error_set(err, FERRY_ECONFIG,
			       "http event '%s' of function '%s' is not "
			       "'METHOD /path' (methods: GET POST PUT PATCH "
			       "DELETE HEAD OPTIONS ANY; segments: literal, "
			       "{name}, a last {name+})", event, function);
oom:
	return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
}

void ferry_route_match_init(struct ferry_route_match *m)
{
	m->route = NULL;
	ferry_strvec_init(&m->params);
	m->allow[0] = '\0';
}

void ferry_route_match_release(struct ferry_route_match *m)
{
	if (!m)
		return;
	ferry_strvec_release(&m->params);
	ferry_route_match_init(m);
}

/* Percent-decode [s, s+n) into out; with `plus`, '+' is a space. */
static int decode(struct ferry_buf *out, const char *s, size_t n, int plus)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (hi = ferry_hex_digit((unsigned char)s[i + 1])) >= 0 &&
		    (lo = ferry_hex_digit((unsigned char)s[i + 2])) >= 0) {
			if (ferry_buf_addch(out, (char)(hi << 4 | lo)))
				return -1;
			i += 2;
		} else if (ferry_buf_addch(out, plus && s[i] == '+' ? ' ' :
					   s[i])) {
			return -1;
		}
	}
	return 0;
}

/*
 * Does `route` match the request segments? Fills `score` (one digit per
 * segment: 2 literal, 1 {name}, 0 {name+}) and, when params is given, the
 * decoded parameters. -1 on no match, -2 out of memory.
 */
static int path_match(const char *route, const char *path,
		      struct ferry_strvec *params, char *score, size_t max)
{
	size_t rlen = trimmed(route, strlen(route));
	size_t plen = trimmed(path, strlen(path));
	const char *r = route + 1, *rend = route + rlen;
	const char *p = path + 1, *pend = path + plen;
	struct ferry_buf val = FERRY_BUF_INIT;
	size_t rn, pn, depth = 0;
	int kind, rc = 0;

	if (rlen == 1 || plen == 1) {
		score[0] = '\0';
		return rlen == 1 && plen == 1 ? 0 : -1;
	}
	while (r < rend) {
		const char *rs = memchr(r, '/', (size_t)(rend - r));
		const char *ps;

		rn = rs ? (size_t)(rs - r) : (size_t)(rend - r);
		kind = seg_kind(r, rn);
		if (p > pend || (p == pend && kind != 0)) {
			rc = -1;
			goto out;
		}
		ps = p < pend ? memchr(p, '/', (size_t)(pend - p)) : NULL;
		pn = kind == 2 ? (size_t)(pend - p) :
			ps ? (size_t)(ps - p) : (size_t)(pend - p);
		ferry_buf_reset(&val);
		if (decode(&val, p, pn, 0)) {
			rc = -2;
			goto out;
		}
		if (!pn || (!kind && (val.len != rn ||
				      memcmp(val.buf, r, rn)))) {
			rc = -1;
			goto out;
		}
		if (depth + 1 < max)
			score[depth++] = kind == 0 ? '2' : kind == 1 ? '1' : '0';
		if (kind && params &&
		    (ferry_strvec_pushf(params, "%.*s",
					(int)(rn - 2 - (kind == 2)), r + 1) ||
		     ferry_strvec_push(params, val.buf ? val.buf : ""))) {
			rc = -2;
			goto out;
		}
		r += rn + 1;
		p += pn + 1;
		if (kind == 2)
			p = pend + 1;
	}
	if (p <= pend)
		rc = -1;	/* request has more segments */
out:
	score[depth] = '\0';
	ferry_buf_release(&val);
	return rc;
}

/* How well a route's method fits: 3 exact, 2 GET for HEAD, 1 ANY, 0 not. */
static int method_rank(const char *route, const char *method)
{
	if (!strcasecmp(route, method))
		return 3;
	if (!strcasecmp(method, "HEAD") && !strcmp(route, "GET"))
		return 2;
	return !strcmp(route, "ANY");
}

int ferry_routes_match(struct ferry_route_match *m,
		       const struct ferry_routes *t, const char *method,
		       const char *raw_path)
{
	char score[256], best_score[256] = "";
	const struct ferry_route *best = NULL;
	size_t i, used = 0;
	int any_path = 0, rc, rank, best_rank = 0;

	ferry_route_match_release(m);
	if (*raw_path != '/')
		return 404;
	for (i = 0; i < t->nr; i++) {
		const struct ferry_route *r = &t->items[i];

		rc = path_match(r->path, raw_path, NULL, score, sizeof(score));
		if (rc == -2)
			return FERRY_ENOMEM;
		if (rc)
			continue;
		any_path = 1;
		rank = method_rank(r->method, method);
		if (!rank) {
			size_t n = strlen(r->method);

			if (!strstr(m->allow, r->method) &&
			    used + n + 3 < sizeof(m->allow)) {
				if (used) {
					memcpy(m->allow + used, ", ", 2);
					used += 2;
				}
				memcpy(m->allow + used, r->method, n + 1);
				used += n;
			}
			continue;
		}
		/* the more specific path, then the better method */
		rc = best ? strcmp(score, best_score) : 1;
		if (rc > 0 || (rc == 0 && rank > best_rank)) {
			best = r;
			best_rank = rank;
			memcpy(best_score, score, sizeof(score));
		}
	}
	if (!best) {
		if (!any_path)
			m->allow[0] = '\0';
		return any_path ? 405 : 404;
	}
	m->allow[0] = '\0';
	if (path_match(best->path, raw_path, &m->params, score,
		       sizeof(score)) == -2)
		return FERRY_ENOMEM;
	m->route = best;
	return 200;
}

/* ---- the event ---------------------------------------------------------- */

static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k, need;
	unsigned cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			need = 1;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			need = 2;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			need = 3;
			cp = s[i] & 0x07;
		} else {
			return 0;
		}
		if (i + need >= n)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* Is a body of this content type text (when it is valid UTF-8)? */
static int textual(const char *type)
{
	static const char *const kinds[] = {
		"text/", "application/json", "application/xml",
		"application/javascript", "application/x-www-form-urlencoded",
		"application/graphql", "+json", "+xml", NULL,
	};
	size_t i;

	if (!type || !*type)
		return 1;
	for (i = 0; kinds[i]; i++)
		if (strcasestr(type, kinds[i]))
			return 1;
	return 0;
}

/* obj[key] = value, or obj[key] += "," + value when it is there. */
static int join_set(json_t *obj, const char *key, const char *value,
		    const char *sep)
{
	const char *old = json_string_value(json_object_get(obj, key));
	char *both;
	int rc;

	if (!old)
		return json_object_set_new(obj, key, json_string(value));
	both = malloc(strlen(old) + strlen(sep) + strlen(value) + 1);
	if (!both)
		return -1;
	memcpy(both, old, strlen(old));
	memcpy(both + strlen(old), sep, strlen(sep));
	memcpy(both + strlen(old) + strlen(sep), value, strlen(value) + 1);
	rc = json_object_set_new(obj, key, json_string(both));
	free(both);
	return rc;
}

static int add_query(json_t *event, const char *q)
{
	struct ferry_buf k = FERRY_BUF_INIT, v = FERRY_BUF_INIT;
	json_t *params = json_object();
	const char *amp, *eq;
	size_t n;
	int rc = -1;

	if (!params)
		return -1;
	while (*q) {
		amp = strchr(q, '&');
		n = amp ? (size_t)(amp - q) : strlen(q);
		eq = memchr(q, '=', n);
		ferry_buf_reset(&k);
		ferry_buf_reset(&v);
		if (n && (decode(&k, q, eq ? (size_t)(eq - q) : n, 1) ||
			  (eq && decode(&v, eq + 1, n - (size_t)(eq - q) - 1,
					1)) ||
			  ferry_buf_addstr(&k, "") || ferry_buf_addstr(&v, "") ||
			  join_set(params, k.buf, v.buf, ",")))
			goto out;
		q += n + (amp ? 1 : 0);
	}
	rc = 0;
	if (json_object_size(params))
		rc = json_object_set(event, "queryStringParameters", params);
out:
	json_decref(params);
	ferry_buf_release(&k);
	ferry_buf_release(&v);
	return rc;
}

int ferry_gateway_event(struct ferry_buf *out,
			const struct ferry_gw_request *req,
			const struct ferry_route_match *m,
			struct ferry_error *err)
{
	json_t *ev = NULL, *headers = NULL, *http = NULL, *ctx = NULL;
	json_t *params = NULL, *cookies = NULL;
	const char *ctype = NULL, *agent = NULL;
	struct ferry_buf b = FERRY_BUF_INIT;
	char *name = NULL, *text = NULL, *route_key = NULL;
	size_t i, j;
	int bin = 0, rc = 0;

	ev = json_object();
	headers = json_object();
	http = json_object();
	ctx = json_object();
	params = json_object();
	cookies = json_array();
	route_key = m->route ? malloc(strlen(m->route->method) +
				      strlen(m->route->path) + 2) : NULL;
	if (!ev || !headers || !http || !ctx || !params || !cookies ||
	    (m->route && !route_key))
		goto oom;
	if (route_key) {
		memcpy(route_key, m->route->method, strlen(m->route->method));
		route_key[strlen(m->route->method)] = ' ';
		memcpy(route_key + strlen(m->route->method) + 1, m->route->path,
		       strlen(m->route->path) + 1);
	}
	for (i = 0; i < req->headers_nr; i++) {
		free(name);
		name = strdup(req->headers[i].name);
		if (!name)
			goto oom;
		for (j = 0; name[j]; j++)
			name[j] = (char)tolower((unsigned char)name[j]);
		if (join_set(headers, name, req->headers[i].value, ","))
			goto oom;
		if (!strcmp(name, "cookie")) {
			const char *c = req->headers[i].value, *semi;

			while (*c) {
				while (*c == ' ')
					c++;
				semi = strchr(c, ';');
				j = semi ? (size_t)(semi - c) : strlen(c);
				if (j && json_array_append_new(cookies,
						json_stringn(c, j)))
					goto oom;
				c += j + (semi ? 1 : 0);
			}
		}
	}
	ctype = json_string_value(json_object_get(headers, "content-type"));
	agent = json_string_value(json_object_get(headers, "user-agent"));
	for (i = 0; i + 1 < m->params.nr; i += 2)
		if (json_object_set_new(params, m->params.items[i],
					json_string(m->params.items[i + 1])))
			goto oom;
	if (json_object_set_new(ev, "version", json_string("2.0")) ||
	    json_object_set_new(ev, "routeKey",
				json_string(route_key ? route_key : "$default")) ||
	    json_object_set_new(ev, "rawPath", json_string(req->raw_path)) ||
	    json_object_set_new(ev, "rawQueryString",
				json_string(req->raw_query ? req->raw_query : "")) ||
	    (json_array_size(cookies) &&
	     json_object_set(ev, "cookies", cookies)) ||
	    json_object_set(ev, "headers", headers) ||
	    (req->raw_query && add_query(ev, req->raw_query)) ||
	    (json_object_size(params) &&
	     json_object_set(ev, "pathParameters", params)))
		goto oom;
	if (req->body_len) {
		bin = !textual(ctype) ||
			!utf8_valid(req->body, req->body_len);
		if (bin) {
			if (ferry_buf_add_base64(&b, req->body, req->body_len,
						 1) ||
			    json_object_set_new(ev, "body",
						json_stringn(b.buf, b.len)))
				goto oom;
		} else if (json_object_set_new(ev, "body",
					       json_stringn(req->body,
							    req->body_len))) {
			goto oom;
		}
	}
	if (json_object_set_new(ev, "isBase64Encoded", json_boolean(bin)) ||
	    json_object_set_new(http, "method", json_string(req->method)) ||
	    json_object_set_new(http, "path", json_string(req->raw_path)) ||
	    json_object_set_new(http, "protocol", json_string("HTTP/1.1")) ||
	    json_object_set_new(http, "sourceIp",
				json_string(req->source_ip ? req->source_ip :
					    "127.0.0.1")) ||
	    json_object_set_new(http, "userAgent", json_string(agent ? agent : "")) ||
	    json_object_set(ctx, "http", http) ||
	    json_object_set_new(ctx, "routeKey",
				json_string(route_key ? route_key : "$default")) ||
	    json_object_set_new(ctx, "stage", json_string("$default")) ||
	    json_object_set_new(ctx, "requestId",
				json_string(req->request_id ? req->request_id : "")) ||
	    json_object_set_new(ctx, "timeEpoch", json_integer(req->time_ms)) ||
	    json_object_set(ev, "requestContext", ctx))
		goto oom;
	text = json_dumps(ev, JSON_COMPACT);
	if (!text || ferry_buf_addstr(out, text))
		goto oom;
	goto out;
oom:
	rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
out:
	free(text);
	ferry_buf_release(&b);
	free(name);
	free(route_key);
	json_decref(ev);
	json_decref(headers);
	json_decref(http);
	json_decref(ctx);
	json_decref(params);
	json_decref(cookies);
	return rc;
}

/* ---- the response ------------------------------------------------------- */

void ferry_gw_response_init(struct ferry_gw_response *r)
{
	r->status = 0;
	ferry_strvec_init(&r->headers);
	ferry_buf_init(&r->body);
}

void ferry_gw_response_release(struct ferry_gw_response *r)
{
	if (!r)
		return;
	ferry_strvec_release(&r->headers);
	ferry_buf_release(&r->body);
	r->status = 0;
}

static int has_header(const struct ferry_gw_response *r, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < r->headers.nr; i += 2)
		if (!strcasecmp(r->headers.items[i], name))
			return 1;
	return 0;
}

static int add_header(struct ferry_gw_response *r, const char *name,
		      const char *value)
{
	return ferry_strvec_push(&r->headers, name) ||
	       ferry_strvec_push(&r->headers, value) ? -1 : 0;
}

/* A header value may not break the response: no CR, LF or NUL. */
static int header_safe(const char *s)
{
	return !strpbrk(s, "\r\n");
}

int ferry_gateway_response(struct ferry_gw_response *r, const char *result,
			   size_t len, struct ferry_error *err)
{
	json_t *doc, *status, *headers, *body, *v, *cookies;
	const char *key, *why = NULL;
	char num[64], *text = NULL;
	json_int_t code;
	size_t i;
	int rc = 0;

	ferry_gw_response_release(r);
	doc = json_loadb(result, len, JSON_DECODE_ANY, NULL);
	if (!doc) {
		why = "its result is not JSON";
		goto bad;
	}
	status = json_is_object(doc) ? json_object_get(doc, "statusCode") : NULL;
	if (!status) {
		r->status = 200;
		if (add_header(r, "Content-Type", "application/json") ||
		    ferry_buf_add(&r->body, result, len))
			goto oom;
		goto out;
	}
	code = json_is_integer(status) ? json_integer_value(status) :
		json_is_string(status) ? strtoll(json_string_value(status),
						 NULL, 10) : 0;
	if (code < 100 || code > 599) {
		why = "its statusCode is not a number from 100 to 599";
		goto bad;
	}
	r->status = (int)code;
	headers = json_object_get(doc, "headers");
	if (headers && !json_is_object(headers) && !json_is_null(headers)) {
		why = "its headers are not an object";
		goto bad;
	}
	json_object_foreach(headers, key, v) {
		const char *val = num;

		if (json_is_string(v))
			val = json_string_value(v);
		else if (json_is_integer(v))
			snprintf(num, sizeof(num), "%lld",
				 (long long)json_integer_value(v));
		else if (json_is_real(v))
			snprintf(num, sizeof(num), "%g", json_real_value(v));
		else if (json_is_boolean(v))
			snprintf(num, sizeof(num), "%s",
				 json_is_true(v) ? "true" : "false");
		else
			continue;
		if (!*key || !header_safe(key) || !header_safe(val)) {
			why = "a header has a line break or no name";
			goto bad;
		}
		if (add_header(r, key, val))
			goto oom;
	}
	cookies = json_object_get(doc, "cookies");
	json_array_foreach(cookies, i, v)
		if (json_is_string(v) && header_safe(json_string_value(v)) &&
		    add_header(r, "Set-Cookie", json_string_value(v)))
			goto oom;
	body = json_object_get(doc, "body");
	if (json_is_string(body)) {
		if (json_is_true(json_object_get(doc, "isBase64Encoded"))) {
			rc = ferry_buf_add_unbase64(&r->body,
						    json_string_value(body),
						    json_string_length(body));
			if (rc == FERRY_ENOMEM)
				goto oom;
			if (rc) {
				why = "its body is not valid base64";
				goto bad;
			}
		} else if (ferry_buf_add(&r->body, json_string_value(body),
					 json_string_length(body))) {
			goto oom;
		}
	} else if (body && !json_is_null(body)) {
		text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!text || ferry_buf_addstr(&r->body, text))
			goto oom;
	}
	if (!has_header(r, "content-type") &&
	    add_header(r, "Content-Type", "application/json"))
		goto oom;
	goto out;
bad:
	ferry_gw_response_release(r);
	rc = ferry_error_set(err, FERRY_EFAIL, "%s", why);
	goto out;
oom:
	ferry_gw_response_release(r);
	rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
out:
	free(text);
	json_decref(doc);
	return rc;
}
