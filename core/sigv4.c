/*
 * sigv4.c - AWS Signature Version 4 for headers and for query strings.
 *
 * Builds the canonical request, the string to sign and the signature of a
 * request the caller describes (sigv4.h); HMAC and SHA-256 come from
 * core/hash.c. It does not read credentials from anywhere, does not send
 * requests and does not hash bodies (the caller passes the payload hash).
 * SigV4a (ECDSA, multi-region) and chunked S3 uploads are not done here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ferry/buf.h"
#include "ferry/hash.h"
#include "ferry/sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A canonical header: lowercased name, trimmed value. */
struct canon_header {
	char *name;	/* owned */
	char *value;	/* owned */
	size_t order;	/* position in the request, to keep sorting stable */
};

struct canon_headers {
	struct canon_header *items;	/* owned */
	size_t nr, alloc;
};

/* A query parameter, name and value both already encoded. */
struct param {
	char *name;	/* owned */
	char *value;	/* owned */
};

struct params {
	struct param *items;	/* owned */
	size_t nr, alloc;
};

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/* Whether s[i] starts a "%XX" escape. */
static int is_escape(const char *s, size_t len, size_t i)
{
	return s[i] == '%' && i + 2 < len &&
	       ferry_hex_digit((unsigned char)s[i + 1]) >= 0 &&
	       ferry_hex_digit((unsigned char)s[i + 2]) >= 0;
}

static int add_escaped(struct ferry_buf *out, unsigned char c)
{
	static const char digits[] = "0123456789ABCDEF";
	char e[3];

	e[0] = '%';
	e[1] = digits[c >> 4];
	e[2] = digits[c & 15];
	return ferry_buf_add(out, e, 3);
}

int ferry_sigv4_uri_encode(struct ferry_buf *out, const char *s, size_t len,
			   int keep_slash)
{
	size_t start = out->len, i;
	unsigned char c;
	int rc = 0;

	for (i = 0; i < len && !rc; i++) {
		c = (unsigned char)s[i];
		if (is_unreserved(c) || (keep_slash && c == '/'))
			rc = ferry_buf_addch(out, (char)c);
		else
			rc = add_escaped(out, c);
	}
	if (rc)
		ferry_buf_truncate(out, start);
	return rc;
}

/* Decode "%XX" escapes (a '%' not followed by two hex digits stays). */
static int uri_decode(struct ferry_buf *out, const char *s, size_t len)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < len && !rc; i++) {
		if (is_escape(s, len, i)) {
			rc = ferry_buf_addch(out,
					     (char)(ferry_hex_digit((unsigned char)s[i + 1]) << 4 |
						    ferry_hex_digit((unsigned char)s[i + 2])));
			i += 2;
		} else {
			rc = ferry_buf_addch(out, s[i]);
		}
	}
	return rc;
}

/*
 * The canonical URI. Normalising removes "." and empty segments and lets
 * ".." drop the segment before it (never above the root), keeping a final
 * slash, as the test suite's *-normalized cases want.
 */
static int canonical_path(struct ferry_buf *out, const char *path,
			  unsigned flags)
{
	struct ferry_buf norm = FERRY_BUF_INIT;
	const char *p = path, *seg, *src = path;
	size_t len = strlen(path), seglen, i, *stack = NULL, depth = 0;
	int rc = 0;
	char c;

	if (!len) {
		rc = ferry_buf_addch(out, '/');
		goto out;
	}
	if (!(flags & FERRY_SIGV4_NO_NORMALIZE)) {
		/* offsets into norm where each kept segment's '/' starts */
		stack = malloc((len + 1) * sizeof(*stack));
		if (!stack) {
			rc = FERRY_ENOMEM;
			goto out;
		}
		while (*p) {
			while (*p == '/')
				p++;
			seg = p;
			while (*p && *p != '/')
				p++;
			seglen = (size_t)(p - seg);
			if (!seglen || (seglen == 1 && seg[0] == '.'))
				continue;
			if (seglen == 2 && seg[0] == '.' && seg[1] == '.') {
				if (depth)
					ferry_buf_truncate(&norm, stack[--depth]);
				continue;
			}
			stack[depth++] = norm.len;
			rc = ferry_buf_addch(&norm, '/');
			if (!rc)
				rc = ferry_buf_add(&norm, seg, seglen);
			if (rc)
				goto out;
		}
		if (!norm.len || path[len - 1] == '/')
			rc = ferry_buf_addch(&norm, '/');
		if (rc)
			goto out;
		src = norm.buf;
		len = norm.len;
	}
	for (i = 0; i < len && !rc; i++) {
		if ((flags & FERRY_SIGV4_NO_DOUBLE_ENCODE) &&
		    is_escape(src, len, i)) {
			/* as S3 does: decode, then encode in the one way */
			c = (char)(ferry_hex_digit((unsigned char)src[i + 1]) << 4 |
				   ferry_hex_digit((unsigned char)src[i + 2]));
			rc = ferry_sigv4_uri_encode(out, &c, 1, 0);
			i += 2;
		} else if (src[i] == '/') {
			rc = ferry_buf_addch(out, '/');
		} else {
			rc = ferry_sigv4_uri_encode(out, src + i, 1, 0);
		}
	}
out:
	free(stack);
	ferry_buf_release(&norm);
	return rc;
}

static void params_release(struct params *v)
{
	size_t i;

	for (i = 0; i < v->nr; i++) {
		free(v->items[i].name);
		free(v->items[i].value);
	}
	free(v->items);
	v->items = NULL;
	v->nr = v->alloc = 0;
}

/* Append a parameter; takes `name` and `value` (also on failure). */
static int params_push(struct params *v, char *name, char *value)
{
	struct param *items;
	size_t alloc;

	if (!name || !value)
		goto fail;
	if (v->nr == v->alloc) {
		alloc = v->alloc ? 2 * v->alloc : 16;
		items = realloc(v->items, alloc * sizeof(*items));
		if (!items)
			goto fail;
		v->items = items;
		v->alloc = alloc;
	}
	v->items[v->nr].name = name;
	v->items[v->nr].value = value;
	v->nr++;
	return 0;
fail:
	free(name);
	free(value);
	return FERRY_ENOMEM;
}

/* Decode then encode one name or value of the request's query. */
static char *recode(const char *s, size_t len)
{
	struct ferry_buf dec = FERRY_BUF_INIT, enc = FERRY_BUF_INIT;
	char *res = NULL;

	if (uri_decode(&dec, s, len) ||
	    ferry_sigv4_uri_encode(&enc, dec.buf, dec.len, 0))
		goto out;
	res = ferry_buf_detach(&enc);
out:
	ferry_buf_release(&dec);
	ferry_buf_release(&enc);
	return res;
}

static char *encode_str(const char *s)
{
	struct ferry_buf enc = FERRY_BUF_INIT;

	if (ferry_sigv4_uri_encode(&enc, s, strlen(s), 0)) {
		ferry_buf_release(&enc);
		return NULL;
	}
	return ferry_buf_detach(&enc);
}

/* Split the raw query on '&' and '=' into encoded parameters. */
static int parse_query(struct params *v, const char *query)
{
	const char *p = query, *end, *eq;
	int rc = 0;

	while (p && *p && !rc) {
		end = strchr(p, '&');
		if (!end)
			end = p + strlen(p);
		if (end > p) {
			eq = memchr(p, '=', (size_t)(end - p));
			if (eq)
				rc = params_push(v, recode(p, (size_t)(eq - p)),
						 recode(eq + 1,
							(size_t)(end - eq - 1)));
			else
				rc = params_push(v, recode(p, (size_t)(end - p)),
						 ferry_strdup(""));
		}
		p = *end ? end + 1 : end;
	}
	return rc;
}

static int cmp_param(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

static void headers_release(struct canon_headers *v)
{
	size_t i;

	for (i = 0; i < v->nr; i++) {
		free(v->items[i].name);
		free(v->items[i].value);
	}
	free(v->items);
	v->items = NULL;
	v->nr = v->alloc = 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Lowercase the name; trim the value and turn each run of white space,
 * line breaks of a folded value included, into one space.
 */
static int headers_push(struct canon_headers *v, const char *name,
			const char *value)
{
	struct ferry_buf n = FERRY_BUF_INIT, val = FERRY_BUF_INIT;
	struct canon_header *items;
	const char *p;
	size_t alloc;
	int rc = 0, gap = 0;

	for (p = name; *p && !rc; p++)
		rc = ferry_buf_addch(&n, (char)(*p >= 'A' && *p <= 'Z' ?
						 *p - 'A' + 'a' : *p));
	for (p = value; *p && is_space(*p); p++)
		;
	for (; *p && !rc; p++) {
		if (is_space(*p)) {
			gap = 1;
			continue;
		}
		if (gap)
			rc = ferry_buf_addch(&val, ' ');
		gap = 0;
		if (!rc)
			rc = ferry_buf_addch(&val, *p);
	}
	if (!rc && v->nr == v->alloc) {
		alloc = v->alloc ? 2 * v->alloc : 16;
		items = realloc(v->items, alloc * sizeof(*items));
		if (items) {
			v->items = items;
			v->alloc = alloc;
		} else {
			rc = FERRY_ENOMEM;
		}
	}
	if (rc)
		goto out;
	v->items[v->nr].name = ferry_buf_detach(&n);
	v->items[v->nr].value = ferry_buf_detach(&val);
	v->items[v->nr].order = v->nr;
	v->nr++;
	if (!v->items[v->nr - 1].name || !v->items[v->nr - 1].value)
		rc = FERRY_ENOMEM;
out:
	ferry_buf_release(&n);
	ferry_buf_release(&val);
	return rc;
}

static int cmp_header(const void *a, const void *b)
{
	const struct canon_header *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Sorted canonical headers ("name:v1,v2\n" each) into `canon` and the
 * signed header list ("a;b;c") into `signed_list`.
 */
static int canonical_headers(struct ferry_buf *canon,
			     struct ferry_buf *signed_list,
			     struct canon_headers *h)
{
	size_t i;
	int rc = 0;

	if (h->nr)
		qsort(h->items, h->nr, sizeof(*h->items), cmp_header);
	for (i = 0; i < h->nr && !rc; i++) {
		if (i && !strcmp(h->items[i].name, h->items[i - 1].name)) {
			rc = ferry_buf_addch(canon, ',') ||
			     ferry_buf_addstr(canon, h->items[i].value);
			continue;
		}
		if (i)
			rc = ferry_buf_addch(canon, '\n') ||
			     ferry_buf_addch(signed_list, ';');
		if (!rc)
			rc = ferry_buf_addf(canon, "%s:%s", h->items[i].name,
					    h->items[i].value) ||
			     ferry_buf_addstr(signed_list, h->items[i].name);
	}
	if (!rc && h->nr)
		rc = ferry_buf_addch(canon, '\n');
	return rc ? FERRY_ENOMEM : 0;
}

static int check_request(const struct ferry_sigv4_request *req,
			 struct ferry_error *err)
{
	const struct ferry_sigv4_credentials *c = req->creds;

	if (!c || !c->access_key_id || !*c->access_key_id)
		return ferry_error_set(err, FERRY_EAUTH,
				       "sigv4: no access key id");
	if (!c->secret_access_key || !*c->secret_access_key)
		return ferry_error_set(err, FERRY_EAUTH,
				       "sigv4: no secret access key for '%s'",
				       c->access_key_id);
	if (!req->method || !*req->method)
		return ferry_error_set(err, FERRY_EFAIL, "sigv4: no method");
	if (!req->path)
		return ferry_error_set(err, FERRY_EFAIL, "sigv4: no path");
	if (!req->service || !*req->service)
		return ferry_error_set(err, FERRY_EFAIL, "sigv4: no service");
	if (!req->region || !*req->region)
		return ferry_error_set(err, FERRY_EFAIL, "sigv4: no region");
	if (req->nr_headers && !req->headers)
		return ferry_error_set(err, FERRY_EFAIL, "sigv4: no headers");
	return 0;
}

/* The headers the signer sets itself may not come from the caller. */
static int check_header(const struct ferry_sigv4_header *h, int presign,
			int token, unsigned flags, struct ferry_error *err)
{
	if (!h->name || !*h->name || !h->value)
		return ferry_error_set(err, FERRY_EFAIL,
				       "sigv4: header without a name or value");
	if (presign)
		return 0;
	if (!strcasecmp(h->name, "authorization") ||
	    !strcasecmp(h->name, "x-amz-date") ||
	    (token && !strcasecmp(h->name, "x-amz-security-token")) ||
	    ((flags & FERRY_SIGV4_CONTENT_SHA256) &&
	     !strcasecmp(h->name, "x-amz-content-sha256")))
		return ferry_error_set(err, FERRY_EFAIL,
				       "sigv4: header '%s' is set by the signer",
				       h->name);
	return 0;
}

/*
 * kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region),
 * service), "aws4_request"); the signature is HMAC(kSigning, sts).
 */
static int compute_signature(char hex[FERRY_SHA256_HEX],
			     const struct ferry_sigv4_request *req,
			     const char *date, const char *sts,
			     struct ferry_error *err)
{
	const char *secret = req->creds->secret_access_key;
	size_t slen = strlen(secret);
	unsigned char k1[FERRY_SHA256_LEN], k2[FERRY_SHA256_LEN];
	unsigned char mac[FERRY_SHA256_LEN];
	char *ksecret = NULL;
	int rc;

	ksecret = malloc(slen + 4);
	if (!ksecret) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(ksecret, "AWS4", 4);
	memcpy(ksecret + 4, secret, slen);
	rc = ferry_hmac_sha256(k1, ksecret, slen + 4, date, strlen(date), err);
	if (!rc)
		rc = ferry_hmac_sha256(k2, k1, sizeof(k1), req->region,
				       strlen(req->region), err);
	if (!rc)
		rc = ferry_hmac_sha256(k1, k2, sizeof(k2), req->service,
				       strlen(req->service), err);
	if (!rc)
		rc = ferry_hmac_sha256(k2, k1, sizeof(k1), "aws4_request", 12,
				       err);
	if (!rc)
		rc = ferry_hmac_sha256(mac, k2, sizeof(k2), sts, strlen(sts),
				       err);
	if (!rc)
		ferry_hash_hex(hex, mac, sizeof(mac));
out:
	if (ksecret)
		ferry_hash_cleanse(ksecret, slen + 4);
	free(ksecret);
	ferry_hash_cleanse(k1, sizeof(k1));
	ferry_hash_cleanse(k2, sizeof(k2));
	ferry_hash_cleanse(mac, sizeof(mac));
	return rc;
}

static int set_header(struct ferry_sigv4_result *res, const char *name,
		      const char *value)
{
	char *v = ferry_strdup(value);

	if (!v)
		return FERRY_ENOMEM;
	res->headers[res->nr_headers].name = name;
	res->headers[res->nr_headers].value = v;
	res->nr_headers++;
	return 0;
}

/* Both ways of signing share all but where the signature goes. */
static int sign(struct ferry_sigv4_result *res,
		const struct ferry_sigv4_request *req, int presign,
		unsigned long expires, struct ferry_error *err)
{
	struct ferry_sigv4_result out = { 0 };
	struct canon_headers hdrs = { NULL, 0, 0 };
	struct params params = { NULL, 0, 0 };
	struct ferry_buf creq = FERRY_BUF_INIT, sts = FERRY_BUF_INIT;
	struct ferry_buf canon_hdrs = FERRY_BUF_INIT;
	struct ferry_buf signed_list = FERRY_BUF_INIT, scope = FERRY_BUF_INIT;
	struct ferry_buf credential = FERRY_BUF_INIT, q = FERRY_BUF_INIT;
	const char *token, *payload;
	char date[9], creq_hash[FERRY_SHA256_HEX], expires_str[24];
	char *enc = NULL;
	struct tm tm;
	unsigned flags = req->flags;
	int rc, has_host = 0, sign_token;
	size_t i;

	ferry_sigv4_result_init(&out);
	rc = check_request(req, err);
	if (rc)
		goto out;
	token = req->creds->session_token;
	if (token && !*token)
		token = NULL;
	sign_token = token && !(flags & FERRY_SIGV4_UNSIGNED_TOKEN);
	payload = req->payload_hash ? req->payload_hash : EMPTY_SHA256;
	if (!gmtime_r(&req->time, &tm) ||
	    strftime(out.amz_date, sizeof(out.amz_date), "%Y%m%dT%H%M%SZ",
		     &tm) != 16) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "sigv4: cannot format the signing time");
		goto out;
	}
	memcpy(date, out.amz_date, 8);
	date[8] = '\0';

	for (i = 0; i < req->nr_headers; i++) {
		rc = check_header(&req->headers[i], presign, token != NULL,
				  flags, err);
		if (rc)
			goto out;
		if (!strcasecmp(req->headers[i].name, "host"))
			has_host = 1;
		rc = headers_push(&hdrs, req->headers[i].name,
				  req->headers[i].value);
		if (rc)
			goto out;
	}
	if (!has_host) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "sigv4: request has no host header");
		goto out;
	}
	if (!presign) {
		rc = headers_push(&hdrs, "X-Amz-Date", out.amz_date);
		if (!rc && sign_token)
			rc = headers_push(&hdrs, "X-Amz-Security-Token", token);
		if (!rc && (flags & FERRY_SIGV4_CONTENT_SHA256))
			rc = headers_push(&hdrs, "x-amz-content-sha256",
					  payload);
		if (rc)
			goto out;
	}
	rc = canonical_headers(&canon_hdrs, &signed_list, &hdrs);
	if (!rc)
		rc = ferry_buf_addf(&scope, "%s/%s/%s/aws4_request", date,
				    req->region, req->service);
	if (!rc)
		rc = ferry_buf_addf(&credential, "%s/%s",
				    req->creds->access_key_id, scope.buf);
	if (!rc)
		rc = parse_query(&params, req->query);
	if (rc)
		goto out;

	if (presign) {
		for (i = 0; i < params.nr; i++) {
			if (!strcmp(params.items[i].name, "X-Amz-Signature")) {
				rc = ferry_error_set(err, FERRY_EUSAGE,
						     "presign: the query is already signed");
				goto out;
			}
		}
		if (expires < 1 || expires > FERRY_SIGV4_MAX_EXPIRES) {
			rc = ferry_error_set(err, FERRY_EUSAGE,
					     "presign: expiry of %lu seconds is out of range (1 to %d)",
					     expires, FERRY_SIGV4_MAX_EXPIRES);
			goto out;
		}
		snprintf(expires_str, sizeof(expires_str), "%lu", expires);
		rc = params_push(&params, ferry_strdup("X-Amz-Algorithm"),
				 ferry_strdup(ALGORITHM));
		if (!rc)
			rc = params_push(&params,
					 ferry_strdup("X-Amz-Credential"),
					 encode_str(credential.buf));
		if (!rc)
			rc = params_push(&params, ferry_strdup("X-Amz-Date"),
					 ferry_strdup(out.amz_date));
		if (!rc)
			rc = params_push(&params, ferry_strdup("X-Amz-Expires"),
					 ferry_strdup(expires_str));
		if (!rc)
			rc = params_push(&params,
					 ferry_strdup("X-Amz-SignedHeaders"),
					 encode_str(signed_list.buf));
		if (!rc && sign_token)
			rc = params_push(&params,
					 ferry_strdup("X-Amz-Security-Token"),
					 encode_str(token));
		if (rc)
			goto out;
	}
	if (params.nr)	/* qsort() wants a non-NULL base even for 0 items */
		qsort(params.items, params.nr, sizeof(*params.items),
		      cmp_param);

	/* the canonical request */
	rc = ferry_buf_addf(&creq, "%s\n", req->method) ||
	     canonical_path(&creq, req->path, flags) ||
	     ferry_buf_addch(&creq, '\n');
	for (i = 0; i < params.nr && !rc; i++)
		rc = ferry_buf_addf(&creq, "%s%s=%s", i ? "&" : "",
				    params.items[i].name,
				    params.items[i].value);
	if (!rc)
		rc = ferry_buf_addf(&creq, "\n%s\n%s\n%s", canon_hdrs.buf,
				    signed_list.buf, payload);
	if (rc) {
		rc = FERRY_ENOMEM;
		goto out;
	}

	/* the string to sign, and the signature */
	rc = ferry_sha256_mem(creq_hash, creq.buf, creq.len, err);
	if (rc)
		goto out;
	if (ferry_buf_addf(&sts, ALGORITHM "\n%s\n%s\n%s", out.amz_date,
			   scope.buf, creq_hash)) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	rc = compute_signature(out.signature, req, date, sts.buf, err);
	if (rc)
		goto out;

	if (presign) {
		/* the caller's query as given, then ours, signature last */
		if (req->query && *req->query)
			rc = ferry_buf_addf(&q, "%s&", req->query);
		enc = encode_str(signed_list.buf);
		if (!rc && enc)
			rc = ferry_buf_addf(&q,
					    "X-Amz-Algorithm=" ALGORITHM
					    "&X-Amz-Credential=");
		else
			rc = FERRY_ENOMEM;
		if (!rc)
			rc = ferry_sigv4_uri_encode(&q, credential.buf,
						    credential.len, 0);
		if (!rc)
			rc = ferry_buf_addf(&q,
					    "&X-Amz-Date=%s&X-Amz-SignedHeaders=%s&X-Amz-Expires=%s",
					    out.amz_date, enc, expires_str);
		if (!rc && token) {
			rc = ferry_buf_addstr(&q, "&X-Amz-Security-Token=");
			if (!rc)
				rc = ferry_sigv4_uri_encode(&q, token,
							    strlen(token), 0);
		}
		if (!rc)
			rc = ferry_buf_addf(&q, "&X-Amz-Signature=%s",
					    out.signature);
		if (!rc) {
			out.query = ferry_buf_detach(&q);
			if (!out.query)
				rc = FERRY_ENOMEM;
		}
	} else {
		rc = token ? set_header(&out, "X-Amz-Security-Token", token) : 0;
		if (!rc)
			rc = set_header(&out, "X-Amz-Date", out.amz_date);
		if (!rc && (flags & FERRY_SIGV4_CONTENT_SHA256))
			rc = set_header(&out, "x-amz-content-sha256", payload);
		if (!rc) {
			ferry_buf_reset(&q);
			rc = ferry_buf_addf(&q,
					    ALGORITHM " Credential=%s, SignedHeaders=%s, Signature=%s",
					    credential.buf, signed_list.buf,
					    out.signature);
		}
		if (!rc)
			rc = set_header(&out, "Authorization", q.buf);
	}
	if (rc)
		goto out;
	out.canonical_request = ferry_buf_detach(&creq);
	out.string_to_sign = ferry_buf_detach(&sts);
	if (!out.canonical_request || !out.string_to_sign) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	ferry_sigv4_result_release(res);
	*res = out;
	ferry_sigv4_result_init(&out);
out:
	if (rc == FERRY_ENOMEM)
		ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	ferry_sigv4_result_release(&out);
	free(enc);
	headers_release(&hdrs);
	params_release(&params);
	ferry_buf_release(&creq);
	ferry_buf_release(&sts);
	ferry_buf_release(&canon_hdrs);
	ferry_buf_release(&signed_list);
	ferry_buf_release(&scope);
	ferry_buf_release(&credential);
	ferry_buf_release(&q);
	return rc;
}

void ferry_sigv4_result_init(struct ferry_sigv4_result *res)
{
	memset(res, 0, sizeof(*res));
}

void ferry_sigv4_result_release(struct ferry_sigv4_result *res)
{
	size_t i;

	if (!res)
		return;
	/* the values are ours (set_header); the names are literals */
	for (i = 0; i < res->nr_headers; i++)
		free((char *)res->headers[i].value);
	free(res->query);
	free(res->canonical_request);
	free(res->string_to_sign);
	ferry_sigv4_result_init(res);
}

int ferry_sigv4_sign_headers(struct ferry_sigv4_result *res,
			     const struct ferry_sigv4_request *req,
			     struct ferry_error *err)
{
	return sign(res, req, 0, 0, err);
}

int ferry_sigv4_presign(struct ferry_sigv4_result *res,
			const struct ferry_sigv4_request *req,
			unsigned long expires, struct ferry_error *err)
{
	return sign(res, req, 1, expires, err);
}
