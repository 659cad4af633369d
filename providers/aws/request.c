/*
 * request.c - one AWS API call: the URL from the service's endpoint, the
 * SigV4 signature, the HTTP exchange on a pooled handle, retries with
 * backoff, and the AWS error of a failed answer as a ferry_error; and
 * the two helpers of the query APIs (IAM, STS): form parameters and the
 * text of an XML element. Knows nothing about what any particular API
 * means.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include <ferry/cancel.h>
#include <ferry/hash.h>
#include <ferry/log.h>
#include <ferry/sigv4.h>

#include "aws.h"

#define BACKOFF_BASE_MS 100u
#define BACKOFF_CAP_MS 5000u

static struct ferry_http *take_handle(struct aws *a)
{
	struct ferry_http *h = NULL;

	pthread_mutex_lock(&a->lock);
	if (a->idle_nr)
		h = a->idle[--a->idle_nr];
	pthread_mutex_unlock(&a->lock);
	if (!h) {
		h = malloc(sizeof(*h));
		if (h)
			ferry_http_init(h);
	}
	return h;
}

static void give_handle(struct aws *a, struct ferry_http *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&a->lock);
	if (a->idle_nr < AWS_HANDLES_MAX) {
		a->idle[a->idle_nr++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&a->lock);
	if (h) {
		ferry_http_release(h);
		free(h);
	}
}

/* Count one request, and draw a random number for its jitter. */
static uint64_t count_call(struct aws *a, enum ferry_aws_service service,
			   const char *method)
{
	uint64_t x;

	pthread_mutex_lock(&a->lock);
	a->calls[service]++;
	/* AssumeRole is a POST that changes nothing of the deployment */
	if (strcmp(method, "GET") && strcmp(method, "HEAD") &&
	    service != FERRY_AWS_STS)
		a->mutating[service]++;
	/* xorshift64*: jitter needs spread, not secrecy */
	x = a->seed ? a->seed : 0x9e3779b97f4a7c15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	a->seed = x;
	pthread_mutex_unlock(&a->lock);
	return x * 0x2545f4914f6cdd1dull;
}

/* "host[:port]" of an http(s) URL, into `out`. */
static int url_host(char *out, size_t len, const char *url)
{
	const char *h = strstr(url, "://"), *end;

	if (!h)
		return -1;
	h += 3;
	end = h + strcspn(h, "/?#");
	if ((size_t)(end - h) >= len || end == h)
		return -1;
	memcpy(out, h, (size_t)(end - h));
	out[end - h] = '\0';
	return 0;
}

/* The URL and the signed path of `r`, following the endpoint's style. */
static int build_url(struct ferry_buf *url, struct ferry_buf *path,
		     char *host, size_t host_len, const struct aws *a,
		     const struct aws_request *r)
{
	const struct ferry_aws_endpoint *ep = &a->ep[r->service];
	const char *scheme_end = strstr(ep->url, "://");
	int rc = 0;

	if (!scheme_end)
		return -1;
	if (r->bucket && ep->path_style) {
		rc |= ferry_buf_addch(path, '/');
		rc |= ferry_buf_addstr(path, r->bucket);
		if (strcmp(r->path, "/"))
			rc |= ferry_buf_addstr(path, r->path);
		rc |= ferry_buf_addstr(url, ep->url);
	} else if (r->bucket) {
		/* https://bucket.s3.region.amazonaws.com */
		rc |= ferry_buf_add(url, ep->url,
				    (size_t)(scheme_end + 3 - ep->url));
		rc |= ferry_buf_addf(url, "%s.%s", r->bucket, scheme_end + 3);
		rc |= ferry_buf_addstr(path, r->path);
	} else {
		rc |= ferry_buf_addstr(url, ep->url);
		rc |= ferry_buf_addstr(path, r->path);
	}
	rc |= ferry_buf_addstr(url, path->buf);
	if (r->query && *r->query)
		rc |= ferry_buf_addf(url, "?%s", r->query);
	if (rc || url_host(host, host_len, url->buf))
		return -1;
	return 0;
}

void aws_error_code(const struct ferry_http_response *resp, char *out,
		    size_t len)
{
	const char *h, *b, *e;
	json_t *doc;
	size_t n;

	out[0] = '\0';
	if (!len)
		return;
	h = ferry_http_header(resp, "x-amzn-ErrorType");
	if (h) {
		/* "ResourceNotFoundException:http://internal.amazon.com/..." */
		n = strcspn(h, ":");
		snprintf(out, len, "%.*s", (int)n, h);
		return;
	}
	b = resp->body.buf;
	if (!b || !resp->body.len)
		return;
	doc = json_loadb(b, resp->body.len, 0, NULL);
	if (doc) {
		const char *code = json_string_value(json_object_get(doc,
								   "__type"));

		if (!code)
			code = json_string_value(json_object_get(doc, "Type"));
		if (!code)
			code = json_string_value(json_object_get(doc, "code"));
		if (code) {
			/* "com.amazonaws...#ThrottlingException" */
			const char *hash = strrchr(code, '#');

			snprintf(out, len, "%s", hash ? hash + 1 : code);
		}
		json_decref(doc);
		return;
	}
	b = strstr(b, "<Code>");
	if (b) {
		b += 6;
		e = strstr(b, "</Code>");
		if (e)
			snprintf(out, len, "%.*s", (int)(e - b), b);
	}
}

int aws_query_param(struct ferry_buf *b, const char *name, const char *value)
{
	if (ferry_buf_addf(b, "%s%s=", b->len ? "&" : "", name))
		return FERRY_ENOMEM;
	return ferry_sigv4_uri_encode(b, value, strlen(value), 0);
}

char *aws_xml_text(const struct ferry_http_response *resp, const char *tag)
{
	char open[64], close[64];
	const char *b = resp->body.buf, *e;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	b = b ? strstr(b, open) : NULL;
	if (!b)
		return NULL;
	b += strlen(open);
	e = strstr(b, close);
	return e ? ferry_xstrfmt("%.*s", (int)(e - b), b) : NULL;
}

int aws_query_call(struct aws *a, enum ferry_aws_service service,
		   const struct ferry_buf *params,
		   const struct ferry_aws_creds *creds, const char *what,
		   struct ferry_http_response *resp, struct ferry_error *err)
{
	struct ferry_strvec headers = FERRY_STRVEC_INIT;
	struct aws_request r;
	int rc;

	if (ferry_strvec_push(&headers, "Content-Type: "
			      "application/x-www-form-urlencoded; "
			      "charset=utf-8"))
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	memset(&r, 0, sizeof(r));
	r.service = service;
	r.method = "POST";
	r.path = "/";
	r.headers = &headers;
	r.body = params->buf;
	r.body_len = params->len;
	r.creds = creds;
	r.what = what;
	rc = aws_call(a, &r, resp, err);
	ferry_strvec_release(&headers);
	return rc;
}

/* The error message of a failed answer, into `out` ("" when none). */
static void error_message(const struct ferry_http_response *resp, char *out,
			  size_t len)
{
	const char *b = resp->body.buf, *e, *m;
	json_t *doc;

	out[0] = '\0';
	if (!b || !resp->body.len)
		return;
	doc = json_loadb(b, resp->body.len, 0, NULL);
	if (doc) {
		m = json_string_value(json_object_get(doc, "message"));
		if (!m)
			m = json_string_value(json_object_get(doc, "Message"));
		if (!m)
			m = json_string_value(json_object_get(doc,
							      "errorMessage"));
		if (m)
			snprintf(out, len, "%s", m);
		json_decref(doc);
		return;
	}
	b = strstr(b, "<Message>");
	if (b) {
		b += 9;
		e = strstr(b, "</Message>");
		if (e)
			snprintf(out, len, "%.*s", (int)(e - b), b);
	}
}

static const char *request_id(const struct ferry_http_response *resp)
{
	static const char *const names[] = {"x-amzn-RequestId",
					    "x-amz-request-id",
					    "x-amzn-requestid", NULL};
	const char *id;
	size_t i;

	for (i = 0; names[i]; i++) {
		id = ferry_http_header(resp, names[i]);
		if (id)
			return id;
	}
	return NULL;
}

/* Answers that mean "try again shortly", by API error code. */
static int retryable_code(const char *code)
{
	static const char *const codes[] = {
		"Throttling", "ThrottlingException", "TooManyRequestsException",
		"RequestLimitExceeded", "SlowDown", "ResourceConflictException",
		"ServiceUnavailable", "InternalError", "RequestTimeout",
		"PriorRequestNotComplete", "EC2ThrottledException", NULL
	};
	size_t i;

	for (i = 0; codes[i]; i++)
		if (!strcmp(code, codes[i]))
			return 1;
	return 0;
}

static int failure(const struct aws_request *r,
		   const struct ferry_http_response *resp,
		   struct ferry_error *err)
{
	char code[128], msg[512];
	const char *id = request_id(resp);
	int kind = FERRY_EFAIL;

	aws_error_code(resp, code, sizeof(code));
	error_message(resp, msg, sizeof(msg));
	if (resp->status == 401 || resp->status == 403)
		kind = FERRY_EAUTH;
	else if (resp->status == 404)
		kind = FERRY_ENOTFOUND;
	else if (resp->status == 409 || resp->status == 412)
		kind = FERRY_ECONFLICT;
	return ferry_error_set(err, kind, "aws: %s: HTTP %ld%s%s%s%s%s%s%s",
			       r->what, resp->status, *code ? " " : "", code,
			       *msg ? ": " : "", msg, id ? " (request id " : "",
			       id ? id : "", id ? ")" : "");
}

static void nap(unsigned ms)
{
	struct timespec ts;

	/* in slices, so that Ctrl-C is not kept waiting */
	while (ms && !ferry_cancelled()) {
		unsigned step = ms < 100 ? ms : 100;

		ts.tv_sec = 0;
		ts.tv_nsec = (long)step * 1000000L;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		ms -= step;
	}
}

/* Sign and send once. */
static int send_once(struct aws *a, struct ferry_http *h,
		     const struct aws_request *r, const char *payload_hash,
		     struct ferry_http_response *resp, struct ferry_error *err)
{
	const struct ferry_aws_endpoint *ep = &a->ep[r->service];
	const struct ferry_aws_creds *c = r->creds ? r->creds : &a->creds;
	struct ferry_buf url = FERRY_BUF_INIT, path = FERRY_BUF_INIT;
	struct ferry_strvec headers = FERRY_STRVEC_INIT;
	struct ferry_sigv4_header *sh = NULL;
	struct ferry_sigv4_credentials creds;
	struct ferry_sigv4_request sr;
	struct ferry_sigv4_result res;
	struct ferry_http_request hr;
	char host[256];
	size_t i, n = 0, extra = r->headers ? r->headers->nr : 0;
	int rc;

	ferry_sigv4_result_init(&res);
	if (build_url(&url, &path, host, sizeof(host), a, r) < 0) {
		rc = ferry_error_set(err, FERRY_ECONFIG,
				     "aws: bad endpoint URL '%s'", ep->url);
		goto out;
	}
	sh = calloc(extra + 2, sizeof(*sh));
	if (!sh) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	/* the signer wants name/value pairs: split "Name: value" */
	for (i = 0; i < extra; i++) {
		const char *line = r->headers->items[i];
		const char *colon = strchr(line, ':');
		char *name;

		if (!colon)
			continue;
		name = ferry_xstrfmt("%.*s", (int)(colon - line), line);
		if (!name || ferry_strvec_push_owned(&headers, name)) {
			free(name);
			rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			goto out;
		}
		sh[n].name = name;
		for (colon++; *colon == ' '; colon++)
			;
		sh[n++].value = colon;
	}
	sh[n].name = "Host";
	sh[n++].value = host;
	memset(&sr, 0, sizeof(sr));
	creds.access_key_id = c->access_key_id;
	creds.secret_access_key = c->secret_access_key;
	creds.session_token = c->session_token;
	sr.method = r->method;
	sr.path = path.buf;
	sr.query = r->query ? r->query : "";
	sr.headers = sh;
	sr.nr_headers = n;
	sr.payload_hash = payload_hash;
	sr.service = ep->signing_name;
	sr.region = ep->signing_region;
	sr.creds = &creds;
	sr.time = time(NULL);
	sr.flags = r->service == FERRY_AWS_S3 ? FERRY_SIGV4_S3 : 0;
	rc = ferry_sigv4_sign_headers(&res, &sr, err);
	if (rc)
		goto out;

	/* what goes out: the caller's headers, then the signature's */
	ferry_strvec_release(&headers);
	for (i = 0; i < extra; i++)
		if (ferry_strvec_push(&headers, r->headers->items[i]))
			goto oom;
	for (i = 0; i < res.nr_headers; i++)
		if (ferry_strvec_pushf(&headers, "%s: %s", res.headers[i].name,
				       res.headers[i].value))
			goto oom;
	if (ferry_strvec_push(&headers, "User-Agent: ferry"))
		goto oom;
	memset(&hr, 0, sizeof(hr));
	hr.method = r->method;
	hr.url = url.buf;
	hr.headers = &headers;
	hr.body = r->body;
	hr.body_len = r->body_len;
	hr.body_path = r->body_path;
	hr.response_path = r->response_path;
	hr.trace = 1;
	rc = ferry_http_send(resp, h, &hr, err);
	goto out;
oom:
	rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
out:
	ferry_sigv4_result_release(&res);
	ferry_strvec_release(&headers);
	ferry_buf_release(&url);
	ferry_buf_release(&path);
	free(sh);
	return rc;
}

int aws_call(struct aws *a, const struct aws_request *r,
	     struct ferry_http_response *resp, struct ferry_error *err)
{
	struct ferry_http *h = NULL;
	struct ferry_error e;
	char hash[FERRY_SHA256_HEX], code[128];
	unsigned attempt, delay;
	uint64_t rnd;
	int rc = 0;

	if (r->body_path && r->body_sha256)
		snprintf(hash, sizeof(hash), "%s", r->body_sha256);
	else if (r->body_path)
		rc = ferry_sha256_file(hash, r->body_path, err);
	else
		rc = ferry_sha256_mem(hash, r->body ? r->body : "",
				      r->body ? r->body_len : 0, err);
	if (!(r->body_path && r->body_sha256) && rc)
		return rc;
	if (!r->creds) {
		rc = aws_sts_assume_roles(a, err);
		if (rc)
			return rc;
	}
	h = take_handle(a);
	if (!h)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	for (attempt = 0;; attempt++) {
		rnd = count_call(a, r->service, r->method);
		ferry_error_init(&e);
		rc = send_once(a, h, r, hash, resp, &e);
		if (!rc && resp->status >= 200 && resp->status < 300)
			break;
		if (rc == FERRY_EINTR || rc == FERRY_ENOMEM ||
		    rc == FERRY_ECONFIG || rc == FERRY_EUSAGE ||
		    rc == FERRY_ENOTFOUND || rc == FERRY_EAUTH) {
			rc = ferry_error_set(err, rc, "%s", e.msg);
			break;
		}
		code[0] = '\0';
		if (!rc)
			aws_error_code(resp, code, sizeof(code));
		if (attempt + 1 >= a->max_attempts ||
		    !(ferry_http_retryable(rc, resp) || retryable_code(code))) {
			if (rc)
				rc = ferry_error_set(err, rc, "aws: %s: %s",
						     r->what, e.msg);
			else
				rc = failure(r, resp, err);
			break;
		}
		delay = ferry_http_backoff(attempt, BACKOFF_BASE_MS,
					   BACKOFF_CAP_MS, rnd);
		ferry_debug("aws: %s: %s; retrying in %u ms", r->what,
			    rc ? e.msg : *code ? code : "server error", delay);
		nap(delay);
		if (ferry_cancelled()) {
			rc = ferry_cancel_check(err);
			break;
		}
	}
	give_handle(a, h);
	return rc;
}
