/*
 * s3.c - the aws provider's object store: put, get, list and del of keys
 * in the S3 bucket providers.aws.bucket (DESIGN.md section 5), and the
 * creation of that bucket on first use. Every request goes through
 * aws_call(), which signs, sends, retries and words the errors. Not here:
 * object metadata, versioning, lifecycle rules or encryption settings (the
 * bucket's defaults apply), and deleting the bucket.
 *
 * Create-if-absent is S3's conditional write: PutObject (or, for a large
 * file, CompleteMultipartUpload) with "If-None-Match: *". S3 answers 412
 * PreconditionFailed when the key exists, and 409
 * ConditionalRequestConflict while another conditional write of the same
 * key is in flight; both mean "someone else has it" (FERRY_EEXIST). The
 * check and the write are one atomic step on the server, which is what
 * serialises concurrent deploys; moto 5.2.1 honours the header as well, so
 * there is no HEAD-then-PUT fallback anywhere.
 *
 * Large bodies (more than FERRY_AWS_MULTIPART_THRESHOLD bytes, default
 * 64 MiB) go up as a multipart upload in parts of
 * FERRY_AWS_MULTIPART_PART_SIZE bytes (default 16 MiB, at least 5 MiB,
 * which S3 requires of every part but the last), one part in memory at a
 * time; a failed upload is aborted so that no parts are left to pay for.
 * FERRY_AWS_LIST_PAGE (1-1000) sets max-keys of each ListObjectsV2 page;
 * the three exist for tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ferry/cancel.h>
#include <ferry/hash.h>
#include <ferry/log.h>
#include <ferry/sigv4.h>

#include "aws.h"

#define MIB (1024u * 1024u)
#define MULTIPART_THRESHOLD (64ull * MIB)
#define PART_SIZE (16ull * MIB)
#define PART_SIZE_MIN (5ull * MIB)
#define PART_SIZE_MAX (5ull * 1024 * MIB)
#define PARTS_MAX 10000ull
#define LIST_PAGE_MAX 1000ull
#define CODE_MAX 128

/* A size from the environment variable `name`, or `def` when unset. */
static int env_size(uint64_t *out, const char *name, uint64_t def,
		    uint64_t min, uint64_t max, struct ferry_error *err)
{
	const char *v = getenv(name);
	unsigned long long n;
	char *end;

	*out = def;
	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || *v == '-' || n < min || n > max)
		return ferry_error_set(err, FERRY_ECONFIG,
				       "%s must be a number from %llu to %llu, "
				       "not '%s'", name,
				       (unsigned long long)min,
				       (unsigned long long)max, v);
	*out = n;
	return 0;
}

/* "/" and the key, percent-encoded with its '/' kept. */
static int key_path(struct ferry_buf *path, const char *key,
		    struct ferry_error *err)
{
	if (!key || !*key || *key == '/')
		return ferry_error_set(err, FERRY_EUSAGE,
				       "aws: bad store key '%s'",
				       key ? key : "");
	if (ferry_buf_addch(path, '/') ||
	    ferry_sigv4_uri_encode(path, key, strlen(key), 1))
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	return 0;
}

/*
 * aws_call() with its error kept in `e` and the API error code in `code`,
 * for callers that handle some failures themselves.
 */
static int s3_call(struct aws *a, const struct aws_request *r,
		   struct ferry_http_response *resp, char code[CODE_MAX],
		   struct ferry_error *e)
{
	int rc;

	ferry_error_init(e);
	code[0] = '\0';
	rc = aws_call(a, r, resp, e);
	if (rc && resp->status)
		aws_error_code(resp, code, CODE_MAX);
	return rc;
}

/* Hand on an error the caller does not handle. */
static int pass(struct ferry_error *err, int rc, const struct ferry_error *e)
{
	return ferry_error_set(err, rc, "%s", e->msg);
}

static int is_no_bucket(int rc, const char *code)
{
	return rc == FERRY_ENOTFOUND && !strcmp(code, "NoSuchBucket");
}

/* The answer of a conditional write whose key already exists. */
static int is_exists(const struct ferry_http_response *resp,
		     const char *code)
{
	return resp->status == 412 ||
	       (resp->status == 409 &&
		!strcmp(code, "ConditionalRequestConflict"));
}

static int exists_error(struct aws *a, const char *key,
			struct ferry_error *err)
{
	return ferry_error_set(err, FERRY_EEXIST,
			       "aws: '%s' already exists in bucket '%s'", key,
			       a->bucket);
}

/* ------------------------------------------------------------------ */
/* XML, just enough for S3's answers                                   */

/*
 * The text of the first <tag>...</tag> in [p, end), raw; NULL when there
 * is none. `*after` is set past the closing tag.
 */
static const char *xml_find(const char *p, const char *end, const char *tag,
			    size_t *len, const char **after)
{
	char open[64], close[64];
	const char *s, *e;
	size_t on, cn;

	on = (size_t)snprintf(open, sizeof(open), "<%s>", tag);
	cn = (size_t)snprintf(close, sizeof(close), "</%s>", tag);
	if (!p || p >= end)
		return NULL;
	s = memmem(p, (size_t)(end - p), open, on);
	if (!s)
		return NULL;
	s += on;
	e = memmem(s, (size_t)(end - s), close, cn);
	if (!e)
		return NULL;
	*len = (size_t)(e - s);
	if (after)
		*after = e + cn;
	return s;
}

/*
 * Append XML text with its entities decoded: the five named ones and
 * character references (&#13; &#x0D;), which S3 uses for control
 * characters in keys. Anything else is kept as it is.
 */
static int xml_decode(struct ferry_buf *out, const char *s, size_t len)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'},
		     {"quot;", '"'}, {"apos;", '\''}};
	const char *end = s + len, *semi;
	size_t i;
	int rc = 0;

	while (s < end && !rc) {
		if (*s != '&') {
			rc = ferry_buf_addch(out, *s++);
			continue;
		}
		semi = memchr(s, ';', (size_t)(end - s));
		if (semi && s[1] == '#' && semi > s + 2) {
			unsigned long c = 0;
			const char *d = s + 2;
			int hex = *d == 'x' || *d == 'X', ok = 1;

			for (d += hex; d < semi && ok; d++) {
				int v;

				if (*d >= '0' && *d <= '9')
					v = *d - '0';
				else if (hex && *d >= 'a' && *d <= 'f')
					v = *d - 'a' + 10;
				else if (hex && *d >= 'A' && *d <= 'F')
					v = *d - 'A' + 10;
				else
					v = -1;
				if (v < 0 || c > 0x10ffff)
					ok = 0;
				else
					c = c * (hex ? 16 : 10) + (unsigned)v;
			}
			if (ok && d == semi && semi > s + 2 + hex && c &&
			    c <= 0x10ffff) {
				rc = ferry_buf_add_utf8(out, c);
				s = semi + 1;
				continue;
			}
		}
		for (i = 0; semi && i < sizeof(named) / sizeof(named[0]);
		     i++) {
			size_t n = strlen(named[i].name);

			if ((size_t)(end - s - 1) >= n &&
			    !memcmp(s + 1, named[i].name, n))
				break;
		}
		if (semi && i < sizeof(named) / sizeof(named[0])) {
			rc = ferry_buf_addch(out, named[i].c);
			s += 1 + strlen(named[i].name);
		} else {
			rc = ferry_buf_addch(out, *s++);
		}
	}
	return rc;
}

/*
 * Undo encoding-type=url in place: "%XX" to its byte and '+' to a space
 * (S3 writes a space as '+' there, and a plus as "%2B").
 */
static void url_decode(struct ferry_buf *b)
{
	size_t i, j;

	for (i = j = 0; i < b->len; i++) {
		if (b->buf[i] == '%' && i + 2 < b->len &&
		    ferry_hex_digit((unsigned char)b->buf[i + 1]) >= 0 && ferry_hex_digit((unsigned char)b->buf[i + 2]) >= 0) {
			b->buf[j++] = (char)(ferry_hex_digit((unsigned char)b->buf[i + 1]) * 16 +
					     ferry_hex_digit((unsigned char)b->buf[i + 2]));
			i += 2;
		} else if (b->buf[i] == '+') {
			b->buf[j++] = ' ';
		} else {
			b->buf[j++] = b->buf[i];
		}
	}
	ferry_buf_truncate(b, j);
}

/* The decoded text of <tag> in an answer's body, as a new string. */
static char *xml_text(const struct ferry_buf *body, const char *tag)
{
	struct ferry_buf t = FERRY_BUF_INIT;
	const char *s;
	size_t len;

	s = xml_find(body->buf, body->buf + body->len, tag, &len, NULL);
	if (!s || xml_decode(&t, s, len)) {
		ferry_buf_release(&t);
		return NULL;
	}
	return ferry_buf_detach(&t);
}

/* ------------------------------------------------------------------ */
/* Bucket                                                              */

int aws_s3_ensure_bucket(struct aws *a, struct ferry_error *err)
{
	struct ferry_http_response resp;
	struct ferry_buf body = FERRY_BUF_INIT, what = FERRY_BUF_INIT;
	struct aws_request r;
	struct ferry_error e;
	char code[CODE_MAX];
	int rc;

	ferry_http_response_init(&resp);
	/* us-east-1 is the default; naming it is an error there */
	if (strcmp(a->region, "us-east-1") &&
	    ferry_buf_addf(&body,
			   "<CreateBucketConfiguration xmlns=\"http://s3."
			   "amazonaws.com/doc/2006-03-01/\">"
			   "<LocationConstraint>%s</LocationConstraint>"
			   "</CreateBucketConfiguration>",
			   a->region)) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	if (ferry_buf_addf(&what, "create bucket '%s'", a->bucket)) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.service = FERRY_AWS_S3;
	r.method = "PUT";
	r.path = "/";
	r.bucket = a->bucket;
	r.body = body.len ? body.buf : NULL;
	r.body_len = body.len;
	r.what = what.buf;
	rc = s3_call(a, &r, &resp, code, &e);
	if (!rc) {
		ferry_info("aws: created bucket '%s' in %s", a->bucket,
			   a->region);
	} else if (!strcmp(code, "BucketAlreadyOwnedByYou")) {
		/* created meanwhile, by another deploy of ours */
		rc = 0;
	} else if (!strcmp(code, "BucketAlreadyExists")) {
		rc = ferry_error_set(err, FERRY_EAUTH,
				     "aws: bucket '%s' belongs to another "
				     "account; choose another "
				     "providers.aws.bucket", a->bucket);
	} else {
		rc = pass(err, rc, &e);
	}
out:
	ferry_http_response_release(&resp);
	ferry_buf_release(&body);
	ferry_buf_release(&what);
	return rc;
}

/* ------------------------------------------------------------------ */
/* put                                                                 */

/* What one put needs, computed once even when it is sent twice. */
struct put {
	const char *key;		/* borrowed */
	const char *path;		/* borrowed; the encoded key */
	const struct ferry_blob *blob;	/* borrowed */
	uint64_t size;
	int if_absent;
	char sha256[FERRY_SHA256_HEX];	/* of blob->path, for a single PUT */
	int hashed;
};

static int put_single(struct aws *a, struct put *pt, int *no_bucket,
		      struct ferry_error *err)
{
	struct ferry_strvec headers = FERRY_STRVEC_INIT;
	struct ferry_buf what = FERRY_BUF_INIT;
	struct ferry_http_response resp;
	struct aws_request r;
	struct ferry_error e;
	char code[CODE_MAX];
	int rc;

	ferry_http_response_init(&resp);
	if (pt->blob->path && !pt->hashed) {
		rc = ferry_sha256_file(pt->sha256, pt->blob->path, err);
		if (rc)
			goto out;
		pt->hashed = 1;
	}
	if ((pt->if_absent &&
	     ferry_strvec_push(&headers, "If-None-Match: *")) ||
	    ferry_buf_addf(&what, "put '%s'", pt->key)) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.service = FERRY_AWS_S3;
	r.method = "PUT";
	r.path = pt->path;
	r.bucket = a->bucket;
	r.headers = &headers;
	if (pt->blob->path) {
		r.body_path = pt->blob->path;
		r.body_sha256 = pt->sha256;
	} else {
		r.body = pt->blob->data;
		r.body_len = pt->blob->len;
	}
	r.what = what.buf;
	rc = s3_call(a, &r, &resp, code, &e);
	if (!rc)
		goto out;
	if (is_no_bucket(rc, code))
		*no_bucket = 1;
	else if (pt->if_absent && is_exists(&resp, code))
		rc = exists_error(a, pt->key, err);
	else
		rc = pass(err, rc, &e);
out:
	ferry_http_response_release(&resp);
	ferry_strvec_release(&headers);
	ferry_buf_release(&what);
	return rc;
}

/* Read exactly `len` bytes at `off`; a short file changed under us. */
static int read_part(struct ferry_buf *out, int fd, const char *path,
		     uint64_t off, size_t len, struct ferry_error *err)
{
	size_t got = 0;
	ssize_t n;

	ferry_buf_reset(out);
	if (ferry_buf_grow(out, len))
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	while (got < len) {
		n = pread(fd, out->buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ferry_error_errno(err, FERRY_EFAIL, errno,
						 "cannot read '%s'", path);
		if (n == 0)
			return ferry_error_set(err, FERRY_EFAIL,
					       "'%s' shrank while being "
					       "uploaded", path);
		got += (size_t)n;
	}
	out->len = len;
	out->buf[len] = '\0';
	return 0;
}

/* Append `s` to XML text, escaped. */
static int xml_escape(struct ferry_buf *out, const char *s)
{
	int rc = 0;

	for (; *s && !rc; s++) {
		switch (*s) {
		case '&':
			rc = ferry_buf_addstr(out, "&amp;");
			break;
		case '<':
			rc = ferry_buf_addstr(out, "&lt;");
			break;
		case '>':
			rc = ferry_buf_addstr(out, "&gt;");
			break;
		case '"':
			rc = ferry_buf_addstr(out, "&quot;");
			break;
		default:
			rc = ferry_buf_addch(out, *s);
		}
	}
	return rc;
}

/* Drop an unfinished multipart upload; its parts cost money. */
static void abort_upload(struct aws *a, const struct put *pt,
			 const char *query)
{
	struct ferry_http_response resp;
	struct ferry_buf what = FERRY_BUF_INIT;
	struct aws_request r;
	struct ferry_error e;

	ferry_http_response_init(&resp);
	ferry_error_init(&e);
	if (!ferry_buf_addf(&what, "abort the upload of '%s'", pt->key)) {
		memset(&r, 0, sizeof(r));
		r.service = FERRY_AWS_S3;
		r.method = "DELETE";
		r.path = pt->path;
		r.query = query;
		r.bucket = a->bucket;
		r.what = what.buf;
		if (aws_call(a, &r, &resp, &e))
			ferry_warn("%s", e.msg);
	}
	ferry_http_response_release(&resp);
	ferry_buf_release(&what);
}

static int put_multipart(struct aws *a, struct put *pt, uint64_t part_size,
			 int *no_bucket, struct ferry_error *err)
{
	struct ferry_strvec headers = FERRY_STRVEC_INIT;
	struct ferry_buf what = FERRY_BUF_INIT, query = FERRY_BUF_INIT;
	struct ferry_buf id_query = FERRY_BUF_INIT, done = FERRY_BUF_INIT;
	struct ferry_buf part = FERRY_BUF_INIT;
	struct ferry_http_response resp;
	struct aws_request r;
	struct ferry_error e;
	char code[CODE_MAX], *upload_id = NULL;
	const char *etag;
	uint64_t off, len;
	unsigned n;
	int rc, fd = -1;

	ferry_http_response_init(&resp);
	/* S3 takes at most 10000 parts: grow them for a huge file */
	if ((pt->size + part_size - 1) / part_size > PARTS_MAX)
		part_size = (pt->size + PARTS_MAX - 1) / PARTS_MAX;
	if (pt->blob->path) {
		fd = open(pt->blob->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = ferry_error_errno(err, errno == ENOENT ?
					       FERRY_ENOTFOUND : FERRY_EFAIL,
					       errno, "cannot open '%s'",
					       pt->blob->path);
			goto out;
		}
	}

	/* CreateMultipartUpload */
	if (ferry_buf_addf(&what, "start the upload of '%s'", pt->key)) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.service = FERRY_AWS_S3;
	r.method = "POST";
	r.path = pt->path;
	r.query = "uploads";
	r.bucket = a->bucket;
	r.what = what.buf;
	rc = s3_call(a, &r, &resp, code, &e);
	if (rc) {
		if (is_no_bucket(rc, code))
			*no_bucket = 1;
		else
			rc = pass(err, rc, &e);
		goto out;
	}
	upload_id = xml_text(&resp.body, "UploadId");
	if (!upload_id || !*upload_id) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "aws: %s: no UploadId in the answer",
				     what.buf);
		goto out;
	}
	if (ferry_buf_addstr(&id_query, "uploadId=") ||
	    ferry_sigv4_uri_encode(&id_query, upload_id, strlen(upload_id),
				   0) ||
	    ferry_buf_addstr(&done, "<CompleteMultipartUpload xmlns=\"http://"
			     "s3.amazonaws.com/doc/2006-03-01/\">")) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	ferry_debug("aws: uploading '%s' (%llu bytes) in parts of %llu",
		    pt->key, (unsigned long long)pt->size,
		    (unsigned long long)part_size);

	/* UploadPart, one after the other */
	for (n = 1, off = 0; off < pt->size; n++, off += len) {
		len = pt->size - off < part_size ? pt->size - off : part_size;
		rc = ferry_cancel_check(err);
		if (rc)
			goto abort;
		memset(&r, 0, sizeof(r));
		if (fd >= 0) {
			rc = read_part(&part, fd, pt->blob->path, off,
				       (size_t)len, err);
			if (rc)
				goto abort;
			r.body = part.buf;
		} else {
			r.body = (const char *)pt->blob->data + off;
		}
		r.body_len = (size_t)len;
		ferry_buf_reset(&query);
		ferry_buf_reset(&what);
		if (ferry_buf_addf(&query, "partNumber=%u&%s", n,
				   id_query.buf) ||
		    ferry_buf_addf(&what, "upload part %u of '%s'", n,
				   pt->key)) {
			rc = ferry_error_set(err, FERRY_ENOMEM,
					     "out of memory");
			goto abort;
		}
		r.service = FERRY_AWS_S3;
		r.method = "PUT";
		r.path = pt->path;
		r.query = query.buf;
		r.bucket = a->bucket;
		r.what = what.buf;
		rc = aws_call(a, &r, &resp, err);
		if (rc)
			goto abort;
		etag = ferry_http_header(&resp, "ETag");
		if (!etag || !*etag) {
			rc = ferry_error_set(err, FERRY_EFAIL,
					     "aws: %s: no ETag in the answer",
					     what.buf);
			goto abort;
		}
		if (ferry_buf_addf(&done, "<Part><PartNumber>%u</PartNumber>"
				   "<ETag>", n) ||
		    xml_escape(&done, etag) ||
		    ferry_buf_addstr(&done, "</ETag></Part>")) {
			rc = ferry_error_set(err, FERRY_ENOMEM,
					     "out of memory");
			goto abort;
		}
	}
	ferry_buf_release(&part);

	/* CompleteMultipartUpload, where the condition is checked */
	ferry_buf_reset(&what);
	if (ferry_buf_addstr(&done, "</CompleteMultipartUpload>") ||
	    ferry_buf_addf(&what, "complete the upload of '%s'", pt->key) ||
	    ferry_strvec_push(&headers, "Content-Type: application/xml") ||
	    (pt->if_absent &&
	     ferry_strvec_push(&headers, "If-None-Match: *"))) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto abort;
	}
	memset(&r, 0, sizeof(r));
	r.service = FERRY_AWS_S3;
	r.method = "POST";
	r.path = pt->path;
	r.query = id_query.buf;
	r.bucket = a->bucket;
	r.headers = &headers;
	r.body = done.buf;
	r.body_len = done.len;
	r.what = what.buf;
	rc = s3_call(a, &r, &resp, code, &e);
	if (rc) {
		if (pt->if_absent && is_exists(&resp, code))
			rc = exists_error(a, pt->key, err);
		else
			rc = pass(err, rc, &e);
		goto abort;
	}
	/* S3 may fail a completion after "200 OK", in the body */
	if (memmem(resp.body.buf, resp.body.len, "<Error>", 7)) {
		aws_error_code(&resp, code, sizeof(code));
		rc = ferry_error_set(err, FERRY_EFAIL, "aws: %s: %s", what.buf,
				     *code ? code : "failed");
		goto abort;
	}
	goto out;
abort:
	abort_upload(a, pt, id_query.buf);
out:
	if (fd >= 0)
		close(fd);
	free(upload_id);
	ferry_http_response_release(&resp);
	ferry_strvec_release(&headers);
	ferry_buf_release(&what);
	ferry_buf_release(&query);
	ferry_buf_release(&id_query);
	ferry_buf_release(&done);
	ferry_buf_release(&part);
	return rc;
}

static int put_once(struct aws *a, struct put *pt, int *no_bucket,
		    struct ferry_error *err)
{
	uint64_t threshold, part_size;
	int rc;

	rc = env_size(&threshold, "FERRY_AWS_MULTIPART_THRESHOLD",
		      MULTIPART_THRESHOLD, 1, UINT64_MAX, err);
	if (!rc)
		rc = env_size(&part_size, "FERRY_AWS_MULTIPART_PART_SIZE",
			      PART_SIZE, PART_SIZE_MIN, PART_SIZE_MAX, err);
	if (rc)
		return rc;
	*no_bucket = 0;
	if (pt->size > threshold)
		return put_multipart(a, pt, part_size, no_bucket, err);
	return put_single(a, pt, no_bucket, err);
}

int aws_s3_put(struct ferry_provider *p, const char *key,
	       const struct ferry_blob *data, int if_absent,
	       struct ferry_error *err)
{
	struct aws *a = p->data;
	struct ferry_buf path = FERRY_BUF_INIT;
	struct put pt;
	struct stat st;
	int rc, no_bucket = 0;

	memset(&pt, 0, sizeof(pt));
	rc = key_path(&path, key, err);
	if (rc)
		goto out;
	pt.key = key;
	pt.path = path.buf;
	pt.blob = data;
	pt.if_absent = if_absent;
	if (data->path) {
		if (stat(data->path, &st) < 0) {
			rc = ferry_error_errno(err, errno == ENOENT ?
					       FERRY_ENOTFOUND : FERRY_EFAIL,
					       errno, "cannot read '%s'",
					       data->path);
			goto out;
		}
		pt.size = (uint64_t)st.st_size;
	} else {
		pt.size = data->len;
	}
	rc = put_once(a, &pt, &no_bucket, err);
	if (rc && no_bucket) {
		/* the first put of all: make the bucket, then once more */
		rc = aws_s3_ensure_bucket(a, err);
		if (!rc)
			rc = put_once(a, &pt, &no_bucket, err);
		if (rc && no_bucket)
			rc = ferry_error_set(err, FERRY_ENOTFOUND,
					     "aws: put '%s': bucket '%s' is "
					     "still missing after its "
					     "creation", key, a->bucket);
	}
out:
	ferry_buf_release(&path);
	return rc;
}

/* ------------------------------------------------------------------ */
/* get, list, del                                                      */

/*
 * One request on the object `key` ("get", "look for", "delete" name it in
 * messages), answered into `resp`; aws_call()'s result.
 */
static int object_call(struct aws *a, const char *method, const char *key,
		       const char *verb, struct ferry_http_response *resp,
		       struct ferry_error *err)
{
	struct ferry_buf path = FERRY_BUF_INIT, what = FERRY_BUF_INIT;
	struct aws_request r;
	int rc;

	rc = key_path(&path, key, err);
	if (rc)
		goto out;
	if (ferry_buf_addf(&what, "%s '%s'", verb, key)) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.service = FERRY_AWS_S3;
	r.method = method;
	r.path = path.buf;
	r.bucket = a->bucket;
	r.what = what.buf;
	rc = aws_call(a, &r, resp, err);
out:
	ferry_buf_release(&path);
	ferry_buf_release(&what);
	return rc;
}

int aws_s3_get(struct ferry_provider *p, const char *key,
	       struct ferry_buf *out, struct ferry_error *err)
{
	struct ferry_http_response resp;
	int rc;

	ferry_http_response_init(&resp);
	/* 404 NoSuchKey and NoSuchBucket are both FERRY_ENOTFOUND */
	rc = object_call(p->data, "GET", key, "get", &resp, err);
	if (!rc && ferry_buf_add(out, resp.body.buf, resp.body.len))
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	ferry_http_response_release(&resp);
	return rc;
}

int aws_s3_exists(struct ferry_provider *p, const char *key,
		  struct ferry_error *err)
{
	struct ferry_http_response resp;
	struct ferry_error e;
	int rc;

	ferry_http_response_init(&resp);
	ferry_error_init(&e);
	rc = object_call(p->data, "HEAD", key, "look for", &resp, &e);
	if (!rc)
		rc = 1;
	else if (rc == FERRY_ENOTFOUND)
		rc = 0; /* no such key, or no bucket yet */
	else
		ferry_error_set(err, rc, "%s", e.msg);
	ferry_http_response_release(&resp);
	return rc;
}

/* The keys of one ListObjectsV2 page, and where the next one starts. */
static int parse_page(struct ferry_strvec *keys, char **token,
		      const struct ferry_buf *body, struct ferry_error *err)
{
	const char *p = body->buf, *end = body->buf + body->len, *s, *after;
	struct ferry_buf k = FERRY_BUF_INIT;
	char *enc = NULL, *trunc = NULL;
	size_t len;
	int rc = 0, url;

	*token = NULL;
	if (!memmem(p, body->len, "<ListBucketResult", 17)) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "aws: list: the answer is not a "
				     "ListBucketResult");
		goto out;
	}
	enc = xml_text(body, "EncodingType");
	url = enc && !strcmp(enc, "url");
	while ((s = xml_find(p, end, "Key", &len, &after))) {
		ferry_buf_reset(&k);
		if (xml_decode(&k, s, len)) {
			rc = ferry_error_set(err, FERRY_ENOMEM,
					     "out of memory");
			goto out;
		}
		if (url)
			url_decode(&k);
		if (ferry_strvec_push(keys, k.buf)) {
			rc = ferry_error_set(err, FERRY_ENOMEM,
					     "out of memory");
			goto out;
		}
		p = after;
	}
	trunc = xml_text(body, "IsTruncated");
	if (trunc && !strcmp(trunc, "true")) {
		*token = xml_text(body, "NextContinuationToken");
		if (!*token || !**token) {
			free(*token);
			*token = NULL;
			rc = ferry_error_set(err, FERRY_EFAIL,
					     "aws: list: a truncated answer "
					     "without NextContinuationToken");
		}
	}
out:
	free(enc);
	free(trunc);
	ferry_buf_release(&k);
	return rc;
}

int aws_s3_list(struct ferry_provider *p, const char *prefix,
		struct ferry_strvec *out, struct ferry_error *err)
{
	struct aws *a = p->data;
	struct ferry_strvec keys = FERRY_STRVEC_INIT;
	struct ferry_buf query = FERRY_BUF_INIT, what = FERRY_BUF_INIT;
	struct ferry_http_response resp;
	struct aws_request r;
	struct ferry_error e;
	char code[CODE_MAX], *token = NULL, *next = NULL;
	uint64_t page;
	size_t i;
	int rc;

	ferry_http_response_init(&resp);
	if (!prefix)
		prefix = "";
	rc = env_size(&page, "FERRY_AWS_LIST_PAGE", 0, 1, LIST_PAGE_MAX,
		      err);
	if (rc)
		goto out;
	if (ferry_buf_addf(&what, "list '%s'", prefix)) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		/* parameters in sorted order, values percent-encoded */
		ferry_buf_reset(&query);
		if (token && (ferry_buf_addstr(&query, "continuation-token=") ||
			      ferry_sigv4_uri_encode(&query, token,
						     strlen(token), 0) ||
			      ferry_buf_addch(&query, '&')))
			goto oom;
		/* keys as they are, whatever bytes XML 1.0 cannot carry */
		if (ferry_buf_addstr(&query, "encoding-type=url&list-type=2&"))
			goto oom;
		if (page && ferry_buf_addf(&query, "max-keys=%llu&",
					   (unsigned long long)page))
			goto oom;
		if (ferry_buf_addstr(&query, "prefix=") ||
		    ferry_sigv4_uri_encode(&query, prefix, strlen(prefix), 0))
			goto oom;
		memset(&r, 0, sizeof(r));
		r.service = FERRY_AWS_S3;
		r.method = "GET";
		r.path = "/";
		r.query = query.buf;
		r.bucket = a->bucket;
		r.what = what.buf;
		rc = s3_call(a, &r, &resp, code, &e);
		if (is_no_bucket(rc, code)) {
			/* nothing deployed yet */
			rc = 0;
			break;
		}
		if (rc) {
			rc = pass(err, rc, &e);
			goto out;
		}
		rc = parse_page(&keys, &next, &resp.body, err);
		if (rc)
			goto out;
		if (!next)
			break;
		if (token && !strcmp(token, next)) {
			rc = ferry_error_set(err, FERRY_EFAIL,
					     "aws: list '%s': the same "
					     "continuation token twice",
					     prefix);
			goto out;
		}
		free(token);
		token = next;
		next = NULL;
	}
	for (i = 0; i < keys.nr; i++)
		if (ferry_strvec_push(out, keys.items[i]))
			goto oom;
	goto out;
oom:
	rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
out:
	free(token);
	free(next);
	ferry_strvec_release(&keys);
	ferry_http_response_release(&resp);
	ferry_buf_release(&query);
	ferry_buf_release(&what);
	return rc;
}

int aws_s3_del(struct ferry_provider *p, const char *key,
	       struct ferry_error *err)
{
	struct ferry_http_response resp;
	struct ferry_error e;
	int rc;

	ferry_http_response_init(&resp);
	ferry_error_init(&e);
	rc = object_call(p->data, "DELETE", key, "delete", &resp, &e);
	/* S3 answers 204 for a missing key; a missing bucket holds none */
	if (rc == FERRY_ENOTFOUND)
		rc = 0;
	else if (rc)
		ferry_error_set(err, rc, "%s", e.msg);
	ferry_http_response_release(&resp);
	return rc;
}
