/*
 * test_sigv4.c - AWS Signature Version 4 (core/sigv4.c) against every case
 * of the AWS test suite in tests/data/aws-sigv4 (found at run time, header
 * and query-string signing both), the two S3 examples of the AWS
 * documentation, HMAC-SHA256 against RFC 4231, and what must change the
 * signature or be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "ferry/buf.h"
#include "ferry/error.h"
#include "ferry/fs.h"
#include "ferry/hash.h"
#include "ferry/json.h"
#include "ferry/sigv4.h"

#define MAX_HEADERS 32

/* One case of the suite: its context.json and its parsed request.txt. */
struct vcase {
	char *dir;		/* owned */
	struct ferry_buf raw;	/* request.txt */
	struct ferry_buf json;	/* context.json */
	char *method, *path, *query, *version;	/* owned; query may be NULL */
	char *names[MAX_HEADERS], *values[MAX_HEADERS];	/* owned */
	struct ferry_sigv4_header headers[MAX_HEADERS];
	size_t nr_headers;
	struct ferry_buf header_lines;	/* header lines exactly as in the file */
	const char *body;	/* into raw */
	size_t body_len;
	struct ferry_sigv4_credentials creds;	/* into the json object */
	json_t *ctx;
	time_t time;
	unsigned flags;
	unsigned long expires;
	char payload[FERRY_SHA256_HEX];
};

static const char *data_dir(void)
{
	const char *d = getenv("FERRY_TEST_DATA");

	if (!d || !*d)
		fail_msg("FERRY_TEST_DATA is not set");
	return d;
}

static void vcase_release(struct vcase *c)
{
	size_t i;

	free(c->dir);
	free(c->method);
	free(c->path);
	free(c->query);
	free(c->version);
	for (i = 0; i < c->nr_headers; i++) {
		free(c->names[i]);
		free(c->values[i]);
	}
	ferry_buf_release(&c->raw);
	ferry_buf_release(&c->json);
	ferry_buf_release(&c->header_lines);
	if (c->ctx)
		json_decref(c->ctx);
	memset(c, 0, sizeof(*c));
}

static char *dup_range(const char *s, size_t len)
{
	char *d = malloc(len + 1);

	assert_non_null(d);
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* Read a file of the case; NULL when it is missing. */
static char *read_case_file(const char *dir, const char *name)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	struct ferry_error err;
	char *path = ferry_xstrfmt("%s/%s", dir, name);
	int rc;

	assert_non_null(path);
	ferry_error_init(&err);
	rc = ferry_fs_read(&b, path, 0, &err);
	free(path);
	if (rc) {
		ferry_buf_release(&b);
		return NULL;
	}
	return ferry_buf_detach(&b);
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/*
 * Parse "METHOD target VERSION" (the target may hold spaces, so the version
 * is what follows the last space), the header lines (a line starting with
 * white space continues the previous value), a blank line and the body.
 */
static void parse_request(struct vcase *c)
{
	const char *p = c->raw.buf, *end = c->raw.buf + c->raw.len;
	const char *eol, *sp1, *sp2, *target, *q, *colon;
	size_t n, linelen;
	char *v;

	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	sp1 = memchr(p, ' ', (size_t)(eol - p));
	assert_non_null(sp1);
	for (sp2 = eol - 1; sp2 > sp1 && *sp2 != ' '; sp2--)
		;
	assert_true(sp2 > sp1);
	c->method = dup_range(p, (size_t)(sp1 - p));
	c->version = dup_range(sp2 + 1, (size_t)(eol - sp2 - 1));
	target = sp1 + 1;
	q = memchr(target, '?', (size_t)(sp2 - target));
	if (q) {
		c->path = dup_range(target, (size_t)(q - target));
		c->query = dup_range(q + 1, (size_t)(sp2 - q - 1));
	} else {
		c->path = dup_range(target, (size_t)(sp2 - target));
	}
	p = eol < end ? eol + 1 : end;
	while (p < end && *p != '\n') {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		linelen = (size_t)(eol - p);
		assert_int_equal(ferry_buf_add(&c->header_lines, p, linelen), 0);
		assert_int_equal(ferry_buf_addch(&c->header_lines, '\n'), 0);
		if (*p == ' ' || *p == '\t') {
			assert_true(c->nr_headers > 0);
			n = c->nr_headers - 1;
			v = ferry_xstrfmt("%s\n%.*s", c->values[n], (int)linelen,
					  p);
			assert_non_null(v);
			free(c->values[n]);
			c->values[n] = v;
		} else {
			colon = memchr(p, ':', linelen);
			assert_non_null(colon);
			assert_true(c->nr_headers < MAX_HEADERS);
			n = c->nr_headers++;
			c->names[n] = dup_range(p, (size_t)(colon - p));
			c->values[n] = dup_range(colon + 1,
						 (size_t)(eol - colon - 1));
		}
		p = eol < end ? eol + 1 : end;
	}
	if (p < end)
		p++;	/* the blank line */
	c->body = p;
	c->body_len = (size_t)(end - p);
	for (n = 0; n < c->nr_headers; n++) {
		c->headers[n].name = c->names[n];
		c->headers[n].value = c->values[n];
	}
}

static void load_case(struct vcase *c, const char *dir)
{
	struct ferry_error err;
	char *path;
	json_t *creds;
	struct tm tm;
	const char *ts;

	memset(c, 0, sizeof(*c));
	ferry_buf_init(&c->raw);
	ferry_buf_init(&c->json);
	ferry_buf_init(&c->header_lines);
	c->dir = ferry_strdup(dir);
	assert_non_null(c->dir);
	ferry_error_init(&err);
	path = ferry_xstrfmt("%s/request.txt", dir);
	assert_non_null(path);
	if (ferry_fs_read(&c->raw, path, 0, &err))
		fail_msg("%s", err.msg);
	free(path);
	path = ferry_xstrfmt("%s/context.json", dir);
	assert_non_null(path);
	if (ferry_fs_read(&c->json, path, 0, &err) ||
	    ferry_json_object(&c->ctx, c->json.buf, c->json.len, path, &err))
		fail_msg("%s", err.msg);
	free(path);
	parse_request(c);

	creds = json_object_get(c->ctx, "credentials");
	c->creds.access_key_id = jstr(creds, "access_key_id");
	c->creds.secret_access_key = jstr(creds, "secret_access_key");
	c->creds.session_token = jstr(creds, "token");
	ts = jstr(c->ctx, "timestamp");
	assert_non_null(ts);
	memset(&tm, 0, sizeof(tm));
	assert_int_equal(sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year,
				&tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
				&tm.tm_min, &tm.tm_sec), 6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	c->time = timegm(&tm);
	c->expires = (unsigned long)json_integer_value(
		json_object_get(c->ctx, "expiration_in_seconds"));
	if (json_is_false(json_object_get(c->ctx, "normalize")))
		c->flags |= FERRY_SIGV4_NO_NORMALIZE;
	if (json_is_true(json_object_get(c->ctx, "sign_body")))
		c->flags |= FERRY_SIGV4_CONTENT_SHA256;
	if (json_is_true(json_object_get(c->ctx, "omit_session_token")))
		c->flags |= FERRY_SIGV4_UNSIGNED_TOKEN;
	if (ferry_sha256_mem(c->payload, c->body, c->body_len, &err))
		fail_msg("%s", err.msg);
}

static void case_request(struct ferry_sigv4_request *req,
			 const struct vcase *c)
{
	memset(req, 0, sizeof(*req));
	req->method = c->method;
	req->path = c->path;
	req->query = c->query;
	req->headers = c->headers;
	req->nr_headers = c->nr_headers;
	req->payload_hash = c->payload;
	req->service = jstr(c->ctx, "service");
	req->region = jstr(c->ctx, "region");
	req->creds = &c->creds;
	req->time = c->time;
	req->flags = c->flags;
}

/* Compare with an expected file; report and count a difference. */
static int expect_file(const struct vcase *c, const char *file,
		       const char *got)
{
	char *want = read_case_file(c->dir, file);
	size_t n;
	int bad;

	if (!want) {
		print_error("%s: missing %s\n", c->dir, file);
		return 1;
	}
	/* a signature file may end in a newline */
	n = strlen(want);
	if (!strcmp(file + strlen(file) - 13, "signature.txt"))
		while (n && (want[n - 1] == '\n' || want[n - 1] == '\r'))
			want[--n] = '\0';
	bad = strcmp(want, got) != 0;
	if (bad)
		print_error("%s: %s differs\n--- want\n%s\n--- got\n%s\n",
			    c->dir, file, want, got);
	free(want);
	return bad;
}

static int check_header_signing(const struct vcase *c)
{
	struct ferry_sigv4_request req;
	struct ferry_sigv4_result res;
	struct ferry_error err;
	struct ferry_buf sreq = FERRY_BUF_INIT;
	char *want_sreq;
	size_t i;
	int bad = 0;

	case_request(&req, c);
	ferry_sigv4_result_init(&res);
	ferry_error_init(&err);
	if (ferry_sigv4_sign_headers(&res, &req, &err)) {
		print_error("%s: header signing: %s\n", c->dir, err.msg);
		return 1;
	}
	bad |= expect_file(c, "header-canonical-request.txt",
			   res.canonical_request);
	bad |= expect_file(c, "header-string-to-sign.txt", res.string_to_sign);
	bad |= expect_file(c, "header-signature.txt", res.signature);
	assert_null(res.query);
	/* the whole signed request: ours after the request's own headers */
	assert_int_equal(ferry_buf_addf(&sreq, "%s %s%s%s %s\n%s", c->method,
					c->path, c->query ? "?" : "",
					c->query ? c->query : "", c->version,
					c->header_lines.buf), 0);
	for (i = 0; i < res.nr_headers; i++)
		assert_int_equal(ferry_buf_addf(&sreq, "%s:%s\n",
						res.headers[i].name,
						res.headers[i].value), 0);
	assert_int_equal(ferry_buf_addch(&sreq, '\n'), 0);
	assert_int_equal(ferry_buf_add(&sreq, c->body, c->body_len), 0);
	bad |= expect_file(c, "header-signed-request.txt", sreq.buf);
	/* and the Authorization header carries the signature */
	want_sreq = read_case_file(c->dir, "header-signed-request.txt");
	assert_non_null(want_sreq);
	assert_string_equal(res.headers[res.nr_headers - 1].name,
			    "Authorization");
	assert_non_null(strstr(want_sreq, res.headers[res.nr_headers - 1].value));
	free(want_sreq);
	ferry_buf_release(&sreq);
	ferry_sigv4_result_release(&res);
	return bad;
}

static int check_query_signing(const struct vcase *c)
{
	struct ferry_sigv4_request req;
	struct ferry_sigv4_result res;
	struct ferry_error err;
	struct ferry_buf sreq = FERRY_BUF_INIT;
	int bad = 0;

	case_request(&req, c);
	/* x-amz-content-sha256 is a header matter, not a query one */
	req.flags &= ~FERRY_SIGV4_CONTENT_SHA256;
	ferry_sigv4_result_init(&res);
	ferry_error_init(&err);
	if (ferry_sigv4_presign(&res, &req, c->expires, &err)) {
		print_error("%s: presigning: %s\n", c->dir, err.msg);
		return 1;
	}
	bad |= expect_file(c, "query-canonical-request.txt",
			   res.canonical_request);
	bad |= expect_file(c, "query-string-to-sign.txt", res.string_to_sign);
	bad |= expect_file(c, "query-signature.txt", res.signature);
	assert_int_equal(res.nr_headers, 0);
	assert_int_equal(ferry_buf_addf(&sreq, "%s %s?%s %s\n%s\n", c->method,
					c->path, res.query, c->version,
					c->header_lines.buf), 0);
	assert_int_equal(ferry_buf_add(&sreq, c->body, c->body_len), 0);
	bad |= expect_file(c, "query-signed-request.txt", sreq.buf);
	ferry_buf_release(&sreq);
	ferry_sigv4_result_release(&res);
	return bad;
}

static void test_aws_suite(void **state)
{
	struct ferry_strvec files = FERRY_STRVEC_INIT;
	struct ferry_error err;
	struct vcase c;
	char *root, *dir;
	size_t i, len, cases = 0, failed = 0;
	int bad;

	(void)state;
	root = ferry_xstrfmt("%s/aws-sigv4", data_dir());
	assert_non_null(root);
	ferry_error_init(&err);
	if (ferry_fs_walk(&files, root, NULL, &err))
		fail_msg("%s", err.msg);
	/* a case is any folder, at any depth, holding a request.txt */
	for (i = 0; i < files.nr; i++) {
		len = strlen(files.items[i]);
		if (len < 11 || strcmp(files.items[i] + len - 11, "request.txt") ||
		    (len > 11 && files.items[i][len - 12] != '/'))
			continue;
		dir = len > 11 ? ferry_xstrfmt("%s/%.*s", root,
					       (int)(len - 12), files.items[i]) :
				 ferry_strdup(root);
		assert_non_null(dir);
		load_case(&c, dir);
		free(dir);
		bad = check_header_signing(&c);
		bad |= check_query_signing(&c);
		if (bad)
			failed++;
		cases++;
		vcase_release(&c);
	}
	ferry_strvec_release(&files);
	print_message("aws-sigv4: %zu of %zu cases pass (header and query)\n",
		      cases - failed, cases);
	if (cases < 25)
		fail_msg("only %zu cases found under %s", cases, root);
	free(root);
	assert_int_equal(failed, 0);
}

static const struct ferry_sigv4_credentials s3_creds = {
	"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL,
};

static time_t s3_time(void)
{
	struct tm tm = { 0 };

	tm.tm_year = 2013 - 1900;
	tm.tm_mon = 4;
	tm.tm_mday = 24;
	return timegm(&tm);
}

static void sha256_hex(char hex[FERRY_SHA256_HEX], const char *s)
{
	struct ferry_error err;

	ferry_error_init(&err);
	if (ferry_sha256_mem(hex, s, strlen(s), &err))
		fail_msg("%s", err.msg);
}

/*
 * "Authenticating Requests: Using Query Parameters (AWS Signature Version
 * 4)", Amazon S3 API reference: the presigned GET of test.txt. Expected
 * values also recomputed with Python's hmac and hashlib.
 */
static void test_s3_presign_example(void **state)
{
	static const struct ferry_sigv4_header host[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
	};
	struct ferry_sigv4_request req = { 0 };
	struct ferry_sigv4_result res;
	struct ferry_error err;
	char hex[FERRY_SHA256_HEX];

	(void)state;
	req.method = "GET";
	req.path = "/test.txt";
	req.headers = host;
	req.nr_headers = 1;
	req.payload_hash = FERRY_SIGV4_UNSIGNED_PAYLOAD;
	req.service = "s3";
	req.region = "us-east-1";
	req.creds = &s3_creds;
	req.time = s3_time();
	req.flags = FERRY_SIGV4_S3;
	ferry_sigv4_result_init(&res);
	ferry_error_init(&err);
	assert_int_equal(ferry_sigv4_presign(&res, &req, 86400, &err), 0);
	assert_string_equal(res.canonical_request,
		"GET\n"
		"/test.txt\n"
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n"
		"host:examplebucket.s3.amazonaws.com\n"
		"\n"
		"host\n"
		"UNSIGNED-PAYLOAD");
	sha256_hex(hex, res.canonical_request);
	assert_string_equal(hex,
		"3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
	assert_string_equal(res.string_to_sign,
		"AWS4-HMAC-SHA256\n20130524T000000Z\n"
		"20130524/us-east-1/s3/aws4_request\n"
		"3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
	assert_string_equal(res.signature,
		"aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	assert_string_equal(res.query,
		"X-Amz-Algorithm=AWS4-HMAC-SHA256"
		"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
		"&X-Amz-Date=20130524T000000Z&X-Amz-SignedHeaders=host"
		"&X-Amz-Expires=86400"
		"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	ferry_sigv4_result_release(&res);
}

/*
 * "Signature Calculations for the Authorization Header: Transferring
 * Payload in a Single Chunk", Amazon S3 API reference: GET Object with a
 * Range header. Also recomputed with Python.
 */
static void test_s3_get_object_example(void **state)
{
	static const struct ferry_sigv4_header hdrs[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "Range", "bytes=0-9" },
	};
	struct ferry_sigv4_request req = { 0 };
	struct ferry_sigv4_result res;
	struct ferry_error err;

	(void)state;
	req.method = "GET";
	req.path = "/test.txt";
	req.headers = hdrs;
	req.nr_headers = 2;
	req.payload_hash = NULL;	/* the empty body */
	req.service = "s3";
	req.region = "us-east-1";
	req.creds = &s3_creds;
	req.time = s3_time();
	req.flags = FERRY_SIGV4_S3;
	ferry_sigv4_result_init(&res);
	ferry_error_init(&err);
	assert_int_equal(ferry_sigv4_sign_headers(&res, &req, &err), 0);
	assert_string_equal(res.canonical_request,
		"GET\n"
		"/test.txt\n"
		"\n"
		"host:examplebucket.s3.amazonaws.com\n"
		"range:bytes=0-9\n"
		"x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
		"x-amz-date:20130524T000000Z\n"
		"\n"
		"host;range;x-amz-content-sha256;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(res.string_to_sign,
		"AWS4-HMAC-SHA256\n20130524T000000Z\n"
		"20130524/us-east-1/s3/aws4_request\n"
		"7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
	assert_string_equal(res.signature,
		"f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	assert_int_equal(res.nr_headers, 3);
	assert_string_equal(res.headers[0].name, "X-Amz-Date");
	assert_string_equal(res.headers[0].value, "20130524T000000Z");
	assert_string_equal(res.headers[1].name, "x-amz-content-sha256");
	assert_string_equal(res.headers[1].value,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(res.headers[2].name, "Authorization");
	assert_string_equal(res.headers[2].value,
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
		"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	ferry_sigv4_result_release(&res);
}

/* RFC 4231 test cases 1, 2 and 6, and an empty message. */
static void test_hmac_sha256(void **state)
{
	unsigned char key[131], mac[FERRY_SHA256_LEN];
	char hex[FERRY_SHA256_HEX];
	struct ferry_error err;
	static const char big[] =
		"Test Using Larger Than Block-Size Key - Hash Key First";

	(void)state;
	ferry_error_init(&err);
	memset(key, 0x0b, 20);
	assert_int_equal(ferry_hmac_sha256(mac, key, 20, "Hi There", 8, &err), 0);
	ferry_hash_hex(hex, mac, sizeof(mac));
	assert_string_equal(hex,
		"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	assert_int_equal(ferry_hmac_sha256(mac, "Jefe", 4,
					   "what do ya want for nothing?", 28,
					   &err), 0);
	ferry_hash_hex(hex, mac, sizeof(mac));
	assert_string_equal(hex,
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(key, 0xaa, sizeof(key));
	assert_int_equal(ferry_hmac_sha256(mac, key, sizeof(key), big,
					   strlen(big), &err), 0);
	ferry_hash_hex(hex, mac, sizeof(mac));
	assert_string_equal(hex,
		"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	assert_int_equal(ferry_hmac_sha256(mac, "key", 3, NULL, 0, &err), 0);
	ferry_hash_hex(hex, mac, sizeof(mac));
	assert_string_equal(hex,
		"5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0");

	memset(key, 0x5a, 64);
	ferry_hash_cleanse(key, 64);
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(key[i], 0);
	ferry_hash_cleanse(NULL, 10);	/* no-op */
}

static const struct ferry_sigv4_header vanilla_host[] = {
	{ "Host", "example.amazonaws.com" },
};

static void vanilla(struct ferry_sigv4_request *req,
		    const struct ferry_sigv4_credentials *creds)
{
	memset(req, 0, sizeof(*req));
	req->method = "GET";
	req->path = "/";
	req->headers = vanilla_host;
	req->nr_headers = 1;
	req->service = "service";
	req->region = "us-east-1";
	req->creds = creds;
	req->time = 1440938160;	/* 2015-08-30T12:36:00Z */
}

static void sign_ok(struct ferry_sigv4_result *res,
		    const struct ferry_sigv4_request *req)
{
	struct ferry_error err;

	ferry_error_init(&err);
	if (ferry_sigv4_sign_headers(res, req, &err))
		fail_msg("%s", err.msg);
}

/* Everything signed must matter, and the secret must never leak. */
static void test_inputs_change_signature(void **state)
{
	static const char secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	struct ferry_sigv4_credentials creds = { "AKIDEXAMPLE", secret, NULL };
	struct ferry_sigv4_credentials other = { "AKIDEXAMPLE", NULL, NULL };
	struct ferry_sigv4_request req;
	struct ferry_sigv4_result base, res;
	char changed[sizeof(secret)];
	size_t i;

	(void)state;
	vanilla(&req, &creds);
	ferry_sigv4_result_init(&base);
	ferry_sigv4_result_init(&res);
	sign_ok(&base, &req);
	/* the test suite's get-vanilla, as a baseline */
	assert_string_equal(base.signature,
		"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");

	/* one changed character of the secret */
	memcpy(changed, secret, sizeof(secret));
	changed[5] ^= 1;
	other.secret_access_key = changed;
	req.creds = &other;
	sign_ok(&res, &req);
	assert_string_not_equal(res.signature, base.signature);
	/* the same canonical request: only the key differs */
	assert_string_equal(res.string_to_sign, base.string_to_sign);
	req.creds = &creds;

	req.region = "eu-west-1";
	sign_ok(&res, &req);
	assert_string_not_equal(res.signature, base.signature);
	req.region = "us-east-1";

	req.time += 1;
	sign_ok(&res, &req);
	assert_string_not_equal(res.signature, base.signature);
	req.time -= 1;

	req.path = "/a";
	sign_ok(&res, &req);
	assert_string_not_equal(res.signature, base.signature);
	req.path = "/";

	req.payload_hash = FERRY_SIGV4_UNSIGNED_PAYLOAD;
	sign_ok(&res, &req);
	assert_string_not_equal(res.signature, base.signature);
	req.payload_hash = NULL;

	/* signing again gives the same result (and reuses `res`) */
	sign_ok(&res, &req);
	assert_string_equal(res.signature, base.signature);

	/* the secret is nowhere in what signing returns */
	assert_null(strstr(res.canonical_request, secret));
	assert_null(strstr(res.string_to_sign, secret));
	for (i = 0; i < res.nr_headers; i++)
		assert_null(strstr(res.headers[i].value, secret));
	ferry_sigv4_result_release(&res);
	ferry_sigv4_result_release(&base);
	ferry_sigv4_result_release(NULL);
}

static void test_path_and_query_rules(void **state)
{
	struct ferry_sigv4_credentials creds = { "AKID", "secret", NULL };
	struct ferry_sigv4_request req;
	struct ferry_sigv4_result res;
	struct ferry_buf b = FERRY_BUF_INIT;
	static const struct {
		const char *path;
		unsigned flags;
		const char *want;
	} paths[] = {
		/* other services: the path is encoded again */
		{ "/my%20key", 0, "/my%2520key" },
		{ "/a b/c+d", 0, "/a%20b/c%2Bd" },
		{ "/../a/./b/../c//", 0, "/a/c/" },
		{ "", 0, "/" },
		/* S3: escapes kept, nothing normalised */
		{ "/my%20key", FERRY_SIGV4_S3, "/my%20key" },
		{ "/a/./b//c/../d", FERRY_SIGV4_S3, "/a/./b//c/../d" },
		{ "/100%/a b", FERRY_SIGV4_S3, "/100%25/a%20b" },
		{ "/%e1%88%b4", FERRY_SIGV4_S3, "/%E1%88%B4" },
		{ "/%7e%41%2f", FERRY_SIGV4_S3, "/~A%2F" },
		{ "/%7e%41%2f", 0, "/%257e%2541%252f" },
	};
	static const struct {
		const char *query;
		const char *want;
	} queries[] = {
		{ "b=2&a=3&a=1", "a=1&a=3&b=2" },
		{ "a=1&&b&", "a=1&b=" },
		{ "k=a+b c", "k=a%2Bb%20c" },
		{ "prefix=photos%2F2024/&list-type=2",
		  "list-type=2&prefix=photos%2F2024%2F" },
		{ "%7Euser=%zz", "~user=%25zz" },
		{ "", "" },
	};
	const char *line;
	size_t i;

	(void)state;
	vanilla(&req, &creds);
	ferry_sigv4_result_init(&res);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		req.path = paths[i].path;
		req.flags = paths[i].flags;
		sign_ok(&res, &req);
		line = strchr(res.canonical_request, '\n') + 1;
		if (strncmp(line, paths[i].want, strlen(paths[i].want)) ||
		    line[strlen(paths[i].want)] != '\n')
			fail_msg("path '%s': canonical request\n%s",
				 paths[i].path, res.canonical_request);
	}
	req.path = "/";
	req.flags = 0;
	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		req.query = queries[i].query;
		sign_ok(&res, &req);
		line = strchr(strchr(res.canonical_request, '\n') + 1, '\n') + 1;
		if (strncmp(line, queries[i].want, strlen(queries[i].want)) ||
		    line[strlen(queries[i].want)] != '\n')
			fail_msg("query '%s': canonical request\n%s",
				 queries[i].query, res.canonical_request);
	}
	ferry_sigv4_result_release(&res);

	assert_int_equal(ferry_sigv4_uri_encode(&b, "a/b c~\xe1\x88\xb4", 9, 1),
			 0);
	assert_string_equal(b.buf, "a/b%20c~%E1%88%B4");
	ferry_buf_reset(&b);
	assert_int_equal(ferry_sigv4_uri_encode(&b, "a/b", 3, 0), 0);
	assert_string_equal(b.buf, "a%2Fb");
	ferry_buf_release(&b);
}

static void test_session_token(void **state)
{
	struct ferry_sigv4_credentials creds = { "AKIDEXAMPLE",
		"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok/en+=" };
	struct ferry_sigv4_request req;
	struct ferry_sigv4_result res;
	struct ferry_error err;

	(void)state;
	vanilla(&req, &creds);
	ferry_sigv4_result_init(&res);
	sign_ok(&res, &req);
	assert_int_equal(res.nr_headers, 3);
	assert_string_equal(res.headers[0].name, "X-Amz-Security-Token");
	assert_string_equal(res.headers[0].value, "tok/en+=");
	assert_non_null(strstr(res.canonical_request,
			       "\nx-amz-security-token:tok/en+=\n"));
	assert_non_null(strstr(res.headers[2].value,
			       "SignedHeaders=host;x-amz-date;x-amz-security-token,"));

	/* an empty token is no token */
	creds.session_token = "";
	sign_ok(&res, &req);
	assert_int_equal(res.nr_headers, 2);
	assert_null(strstr(res.canonical_request, "security-token"));

	creds.session_token = "tok/en+=";
	ferry_error_init(&err);
	assert_int_equal(ferry_sigv4_presign(&res, &req, 60, &err), 0);
	assert_non_null(strstr(res.query,
			       "&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-Signature="));
	assert_non_null(strstr(res.canonical_request,
			       "&X-Amz-Security-Token=tok%2Fen%2B%3D&"));
	ferry_sigv4_result_release(&res);
}

static void test_refusals(void **state)
{
	static const char secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	struct ferry_sigv4_credentials creds = { "AKIDEXAMPLE", secret, NULL };
	struct ferry_sigv4_credentials nosecret = { "AKIDEXAMPLE", "", NULL };
	struct ferry_sigv4_header no_host[] = { { "Range", "bytes=0-9" } };
	struct ferry_sigv4_header dated[] = {
		{ "Host", "example.amazonaws.com" },
		{ "x-amz-DATE", "20150830T123600Z" },
	};
	struct ferry_sigv4_request req;
	struct ferry_sigv4_result res;
	struct ferry_error err;
	char kept[FERRY_SHA256_HEX];

	(void)state;
	vanilla(&req, &creds);
	ferry_sigv4_result_init(&res);
	sign_ok(&res, &req);
	memcpy(kept, res.signature, sizeof(kept));

	/* a failure leaves the previous result as it was */
	req.headers = no_host;
	ferry_error_init(&err);
	assert_int_equal(ferry_sigv4_sign_headers(&res, &req, &err), FERRY_EFAIL);
	assert_string_equal(err.msg, "sigv4: request has no host header");
	assert_string_equal(res.signature, kept);
	assert_int_equal(res.nr_headers, 2);

	req.headers = dated;
	req.nr_headers = 2;
	ferry_error_init(&err);
	assert_int_equal(ferry_sigv4_sign_headers(&res, &req, &err), FERRY_EFAIL);
	assert_string_equal(err.msg,
			    "sigv4: header 'x-amz-DATE' is set by the signer");
	req.headers = vanilla_host;
	req.nr_headers = 1;

	req.creds = &nosecret;
	ferry_error_init(&err);
	assert_int_equal(ferry_sigv4_sign_headers(&res, &req, &err), FERRY_EAUTH);
	assert_string_equal(err.msg,
			    "sigv4: no secret access key for 'AKIDEXAMPLE'");
	req.creds = NULL;
	ferry_error_init(&err);
	assert_int_equal(ferry_sigv4_sign_headers(&res, &req, &err), FERRY_EAUTH);
	req.creds = &creds;

	req.region = "";
	ferry_error_init(&err);
	assert_int_equal(ferry_sigv4_presign(&res, &req, 60, &err), FERRY_EFAIL);
	assert_string_equal(err.msg, "sigv4: no region");
	req.region = "us-east-1";

	ferry_error_init(&err);
	assert_int_equal(ferry_sigv4_presign(&res, &req, 0, &err), FERRY_EUSAGE);
	assert_null(strstr(err.msg, secret));
	assert_int_equal(ferry_sigv4_presign(&res, &req,
					     FERRY_SIGV4_MAX_EXPIRES + 1, NULL),
			 FERRY_EUSAGE);
	assert_int_equal(ferry_sigv4_presign(&res, &req,
					     FERRY_SIGV4_MAX_EXPIRES, NULL), 0);
	assert_non_null(strstr(res.query, "&X-Amz-Expires=604800&"));

	req.query = "a=1&X-Amz-Signature=abc";
	ferry_error_init(&err);
	assert_int_equal(ferry_sigv4_presign(&res, &req, 60, &err), FERRY_EUSAGE);
	assert_string_equal(err.msg, "presign: the query is already signed");
	ferry_sigv4_result_release(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_sha256),
		cmocka_unit_test(test_aws_suite),
		cmocka_unit_test(test_s3_presign_example),
		cmocka_unit_test(test_s3_get_object_example),
		cmocka_unit_test(test_inputs_change_signature),
		cmocka_unit_test(test_path_and_query_rules),
		cmocka_unit_test(test_session_token),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
