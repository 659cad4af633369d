/*
 * http.h - HTTP requests for the providers, over libcurl.
 *
 * libcurl is loaded on the first request (ferry/lazy.h), never by
 * ferry_http_init(), so commands that make no request do not map it.
 *
 * One `struct ferry_http` per provider instance: it keeps one libcurl handle
 * and so its open connections, DNS and TLS session caches across requests.
 * A handle is not thread-safe; use one per thread.
 *
 * What is sent is exactly what the caller asked for, so that a signed
 * request (SigV4) goes out as it was signed: the caller's headers, plus
 * only Host (from the URL, unless given) and Content-Length (when there is
 * a body). libcurl's own "Accept: * / *", "Expect: 100-continue" and POST
 * Content-Type are suppressed unless the caller sets them. Redirects are
 * not followed.
 *
 * With `trace` set, the request line, the headers sent and the headers
 * received go to ferry_debug() (shown with -v), never bodies. Secret values
 * are replaced by "<redacted>": the Authorization header (its scheme word
 * stays), X-Amz-Security-Token, X-Amz-Signature and X-Amz-Security-Token
 * query values, and every header the request lists in `secret_headers`.
 * Error messages name the host and port, never the path or query string.
 */
#ifndef FERRY_HTTP_H
#define FERRY_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

#define FERRY_HTTP_CONNECT_TIMEOUT_MS 10000u
#define FERRY_HTTP_TIMEOUT_MS 600000u

struct ferry_http {
	void *curl;			/* owned CURL handle; NULL until used */
	unsigned connect_timeout_ms;	/* for requests that give 0 */
	unsigned timeout_ms;		/* total, idem; 0: none */
};

struct ferry_http_request {
	const char *method;	/* borrowed: "GET", "PUT", "HEAD", ... */
	const char *url;	/* borrowed: absolute http:// or https:// */
	/* Borrowed, each "Name: value" ("Name:" sends an empty value). */
	const struct ferry_strvec *headers;
	/*
	 * The body: `body_len` bytes at `body` (borrowed), or the contents of
	 * the file `body_path` (borrowed), streamed with its size as
	 * Content-Length. At most one of the two. POST, PUT and PATCH always
	 * send a body (Content-Length: 0 when neither is given); other
	 * methods send one only when given.
	 */
	const void *body;
	size_t body_len;
	const char *body_path;
	/*
	 * Borrowed; NULL: the body goes to the response's `body`. Otherwise
	 * the body of a 2xx response is written to this file (through a
	 * temporary file, mode 0600, renamed over it once complete, so it is
	 * never seen half-written); the body of any other status still goes
	 * to `body`.
	 */
	const char *response_path;
	/* Borrowed, NULL-terminated header names to redact; may be NULL. */
	const char *const *secret_headers;
	unsigned connect_timeout_ms;	/* 0: the handle's default */
	unsigned timeout_ms;		/* total; 0: the handle's default */
	int trace;			/* log the exchange: ferry_debug() */
};

struct ferry_http_response {
	long status;			/* 0 when none was received */
	struct ferry_strvec headers;	/* owned, "Name: value" */
	struct ferry_buf body;		/* owned */
	int net_error;			/* 1: connect, send, receive, timeout */
};

/* Prepare a handle with the default timeouts. Allocates nothing. */
void ferry_http_init(struct ferry_http *h);

/* Close the handle's connections and free it. Accepts NULL. */
void ferry_http_release(struct ferry_http *h);

void ferry_http_response_init(struct ferry_http_response *r);
/* Free the contents; leaves an empty response. Accepts NULL. */
void ferry_http_response_release(struct ferry_http_response *r);

/*
 * Perform one request on `h`. `out` must be initialised; it is emptied
 * first. Returns 0 once a response was received, whatever its status
 * (inspect out->status). Otherwise:
 *   FERRY_ETIMEOUT  connecting or the whole request took longer than allowed
 *   FERRY_EINTR     cancellation was requested (ferry/cancel.h)
 *   FERRY_ENOTFOUND `body_path` does not exist
 *   FERRY_EUSAGE    bad request (no method or URL, both body and body_path)
 *   FERRY_EFAIL     libcurl missing, cannot resolve or connect ("cannot
 *                   connect to 127.0.0.1:5000: connection refused"), TLS,
 *                   connection lost, cannot read the body or write the file
 * On failure out->status is 0 and out->net_error says whether the failure
 * was in the network, for ferry_http_retryable().
 */
int ferry_http_send(struct ferry_http_response *out, struct ferry_http *h,
		    const struct ferry_http_request *req,
		    struct ferry_error *err);

/*
 * The value of the first header `name` (compared case-insensitively) of
 * the response, borrowed from `r`, or NULL when absent.
 */
const char *ferry_http_header(const struct ferry_http_response *r,
			      const char *name);

/*
 * Whether a request that ended with `rc` and `r` is worth retrying: a
 * network failure or timeout, 408, 429, or a 5xx status other than 501.
 * API-specific errors (TooManyRequestsException in a 400 body, for
 * example) are the caller's to judge.
 */
int ferry_http_retryable(int rc, const struct ferry_http_response *r);

/*
 * Delay in milliseconds before retry number `attempt` (0 for the first
 * retry): capped exponential backoff with full jitter, a value in
 * [0, min(cap_ms, base_ms * 2^attempt)] chosen by the random number `rnd`
 * (any 64-bit value, uniformly random for proper jitter).
 */
unsigned ferry_http_backoff(unsigned attempt, unsigned base_ms,
			    unsigned cap_ms, uint64_t rnd);

#endif
