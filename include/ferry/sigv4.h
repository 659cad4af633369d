/*
 * sigv4.h - AWS Signature Version 4: sign a request in its headers
 * (Authorization) or in its query string (a presigned URL).
 *
 * The signer does not send anything and does not know about HTTP
 * libraries: the caller describes the request exactly as it will be sent,
 * and gets back the headers (or the query string) to add. It follows the
 * AWS Signature Version 4 test suite (tests/data/aws-sigv4) and the S3
 * examples; docs/dev/sigv4.md says which choices were made where the
 * specification leaves room.
 *
 * Secrets: the secret access key is only read to derive the signing key;
 * it and every derived key are wiped before return and never appear in an
 * error message or in the result. The session token is not secret to the
 * same degree but is a credential too: it appears in the canonical request
 * and in the returned headers/query, so do not log those verbatim.
 */
#ifndef FERRY_SIGV4_H
#define FERRY_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "error.h"
#include "hash.h"

/* A header name and value; which of them are owned depends on the user. */
struct ferry_sigv4_header {
	const char *name;
	const char *value;
};

struct ferry_sigv4_credentials {
	const char *access_key_id;	/* borrowed */
	const char *secret_access_key;	/* borrowed; never logged or copied */
	const char *session_token;	/* borrowed; NULL or "" for none */
};

/*
 * Flags. Services other than S3 want the defaults (0). S3 wants
 * FERRY_SIGV4_S3: its keys may hold "./" and "//", which must be signed as
 * they are, and the path is encoded once only.
 */
/* Keep "." and ".." segments and repeated slashes in the path. */
#define FERRY_SIGV4_NO_NORMALIZE	(1u << 0)
/*
 * The path is already percent-encoded: its "%XX" escapes stand for their
 * byte instead of having the '%' encoded again ("%7e" signs as "~", "%2f"
 * as "%2F"). Other bytes outside the unreserved set are still encoded.
 */
#define FERRY_SIGV4_NO_DOUBLE_ENCODE	(1u << 1)
/*
 * Header signing: add and sign "x-amz-content-sha256: <payload_hash>"
 * (S3 refuses requests without it). Ignored by ferry_sigv4_presign().
 */
#define FERRY_SIGV4_CONTENT_SHA256	(1u << 2)
/*
 * Add the session token after signing instead of signing it (some STS
 * style services want the token outside the signature).
 */
#define FERRY_SIGV4_UNSIGNED_TOKEN	(1u << 3)
#define FERRY_SIGV4_S3 (FERRY_SIGV4_NO_NORMALIZE | \
			FERRY_SIGV4_NO_DOUBLE_ENCODE | \
			FERRY_SIGV4_CONTENT_SHA256)

/* Presigned URLs live at most seven days (an AWS limit). */
#define FERRY_SIGV4_MAX_EXPIRES 604800

/* The payload hash S3 accepts when the body is not hashed. */
#define FERRY_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/* A request to sign. Every pointer is borrowed for the call only. */
struct ferry_sigv4_request {
	const char *method;	/* "GET" */
	/*
	 * The path as sent in the request line, without the query: "/", "/a/b".
	 * Bytes outside RFC 3986's unreserved set (and '/') are
	 * percent-encoded for signing, so "/a b" and "/a%20b" sign
	 * differently unless FERRY_SIGV4_NO_DOUBLE_ENCODE is given; send
	 * what you signed (ferry_sigv4_uri_encode() builds such a path).
	 */
	const char *path;
	/*
	 * The query as sent, without '?'; NULL or "" for none. Each name and
	 * value is percent-decoded and encoded again for signing; a '+' is
	 * taken as a plus sign, not a space.
	 */
	const char *query;
	/*
	 * The headers as they will be sent; every one is signed. One must be
	 * Host. Names are matched without regard to case; a name given more
	 * than once is signed as the values joined with ',' in this order.
	 */
	const struct ferry_sigv4_header *headers;
	size_t nr_headers;
	/*
	 * Lowercase hex SHA-256 of the body, or FERRY_SIGV4_UNSIGNED_PAYLOAD;
	 * NULL for the hash of an empty body.
	 */
	const char *payload_hash;
	const char *service;	/* "s3", "lambda", "sts" */
	const char *region;	/* "us-east-1" */
	const struct ferry_sigv4_credentials *creds;
	time_t time;		/* signing time, formatted in UTC */
	unsigned flags;		/* FERRY_SIGV4_* */
};

/*
 * What signing produced. Every string is owned by the result and freed
 * by ferry_sigv4_result_release().
 */
struct ferry_sigv4_result {
	/*
	 * Header signing: the headers to add to the request, in this order:
	 * X-Amz-Security-Token (with a session token), X-Amz-Date,
	 * x-amz-content-sha256 (FERRY_SIGV4_CONTENT_SHA256), Authorization.
	 * Presigning adds none (nr_headers is 0).
	 */
	struct ferry_sigv4_header headers[4];	/* name static, value owned */
	size_t nr_headers;
	/*
	 * Presigning: the whole query string to send (without '?'): the
	 * request's own query as given, then the X-Amz-* parameters, the
	 * signature last. NULL after header signing.
	 */
	char *query;
	char *canonical_request;	/* owned; for tests and -v output */
	char *string_to_sign;		/* owned; for tests and -v output */
	char signature[FERRY_SHA256_HEX];
	char amz_date[17];		/* "20150830T123600Z" */
};

/* Prepare an empty result (no allocation). */
void ferry_sigv4_result_init(struct ferry_sigv4_result *res);
/* Free what a result holds and leave it empty; NULL is a no-op. */
void ferry_sigv4_result_release(struct ferry_sigv4_result *res);

/*
 * Sign `req` for the Authorization header. On success fills `res` (which
 * must be initialised; its previous contents are released) and returns 0.
 * Errors, with `res` untouched:
 *   FERRY_EAUTH    no access key id or secret access key;
 *   FERRY_EFAIL    a required field missing (method, path, service, region),
 *                  no Host header, a header the signer adds itself given by
 *                  the caller (X-Amz-Date, Authorization, ...), a time that
 *                  cannot be formatted, or libcrypto missing;
 *   FERRY_ENOMEM   out of memory.
 */
int ferry_sigv4_sign_headers(struct ferry_sigv4_result *res,
			     const struct ferry_sigv4_request *req,
			     struct ferry_error *err);

/*
 * Sign `req` in its query string, valid `expires` seconds from req->time
 * (1 to FERRY_SIGV4_MAX_EXPIRES). The signed headers are all of
 * req->headers (usually only Host). Fills res->query, which replaces the
 * request's query; errors as for ferry_sigv4_sign_headers(), and
 * FERRY_EUSAGE for an expiry out of range or a query that already carries
 * X-Amz-Signature.
 */
int ferry_sigv4_presign(struct ferry_sigv4_result *res,
			const struct ferry_sigv4_request *req,
			unsigned long expires, struct ferry_error *err);

/*
 * Append `s` (`len` bytes) to `out` percent-encoded as SigV4 wants: RFC
 * 3986 unreserved bytes (A-Z a-z 0-9 - . _ ~) kept, every other byte as
 * "%XX" with uppercase hex; '/' kept when `keep_slash` is non-zero (for
 * paths). 0 or FERRY_ENOMEM (the buffer keeps what it had).
 */
int ferry_sigv4_uri_encode(struct ferry_buf *out, const char *s, size_t len,
			   int keep_slash);

#endif
