/*
 * http.c - HTTP requests over libcurl (the only module that includes
 * <curl/curl.h>): one reusable handle, bodies from memory or streamed from
 * a file, responses to memory or to a file, redacted traces, and the
 * retry helpers. It does not sign, parse API errors or retry by itself:
 * providers do that around ferry_http_send().
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/cancel.h"
#include "ferry/http.h"
#include "ferry/lazy.h"
#include "ferry/log.h"

/*
 * libcurl is loaded on the first request (ferry/lazy.h): with its TLS,
 * HTTP/2, SSH and LDAP dependencies it maps more shared objects than
 * anything else ferry uses.
 */
/* clang-format off */
#define CURL_FUNCS(X) \
	X(curl_global_init) \
	X(curl_easy_init) \
	X(curl_easy_cleanup) \
	X(curl_easy_reset) \
	X(curl_easy_setopt) \
	X(curl_easy_perform) \
	X(curl_easy_getinfo) \
	X(curl_easy_strerror) \
	X(curl_slist_append) \
	X(curl_slist_free_all)

#define DECLARE(f) static __typeof__(f) *p_##f;
CURL_FUNCS(DECLARE)
#undef DECLARE

#define SYMBOL(f) { #f, (void **)&p_##f },
static const struct ferry_lazy_sym curl_syms[] = {
	CURL_FUNCS(SYMBOL)
	{ NULL, NULL },
};
#undef SYMBOL

static struct ferry_lazy_lib curl_lib = {
	FERRY_SONAME_CURL, curl_syms, 0, NULL,
};
/* clang-format on */

#define REDACTED "<redacted>"

/* Headers whose values never appear in a trace, whoever sends them. */
static const char *const secret_names[] = {
	"authorization", "proxy-authorization", "x-amz-security-token",
	"cookie", "set-cookie", NULL,
};

/* Query parameters whose values never appear in a trace. */
static const char *const secret_params[] = {
	"x-amz-signature", "x-amz-security-token", NULL,
};

/* State of one transfer, shared by the libcurl callbacks. */
struct xfer {
	const struct ferry_http_request *req;	/* borrowed */
	struct ferry_http_response *out;	/* borrowed */
	const char *mem;			/* borrowed body */
	size_t mem_len, mem_pos;
	int in_fd;				/* owned; -1 if none */
	int read_errno;
	char *tmp_path;				/* owned: response file */
	int out_fd;				/* owned; -1 if none */
	int write_errno;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc;

static void global_init(void)
{
	if (p_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		global_rc = -1;
}

void ferry_http_init(struct ferry_http *h)
{
	h->curl = NULL;
	h->connect_timeout_ms = FERRY_HTTP_CONNECT_TIMEOUT_MS;
	h->timeout_ms = FERRY_HTTP_TIMEOUT_MS;
}

void ferry_http_release(struct ferry_http *h)
{
	if (!h)
		return;
	if (h->curl)
		p_curl_easy_cleanup(h->curl);
	h->curl = NULL;
}

void ferry_http_response_init(struct ferry_http_response *r)
{
	r->status = 0;
	ferry_strvec_init(&r->headers);
	ferry_buf_init(&r->body);
	r->net_error = 0;
}

void ferry_http_response_release(struct ferry_http_response *r)
{
	if (!r)
		return;
	ferry_strvec_release(&r->headers);
	ferry_buf_release(&r->body);
	r->status = 0;
	r->net_error = 0;
}

static int name_in(const char *name, size_t len, const char *const *list)
{
	if (!list)
		return 0;
	for (; *list; list++)
		if (strlen(*list) == len && !strncasecmp(name, *list, len))
			return 1;
	return 0;
}

const char *ferry_http_header(const struct ferry_http_response *r,
			      const char *name)
{
	size_t len = strlen(name), i;
	const char *v;

	for (i = 0; i < r->headers.nr; i++) {
		v = r->headers.items[i];
		if (strncasecmp(v, name, len) || v[len] != ':')
			continue;
		v += len + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		return v;
	}
	return NULL;
}

/* "host:port" of `url`, without user info, path or query. */
static void url_hostport(char *dst, size_t n, const char *url)
{
	const char *p = strstr(url, "://"), *end, *at, *host;
	int https = !strncasecmp(url, "https://", 8);
	size_t len;

	host = p ? p + 3 : url;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	while (at) {
		host = at + 1;
		at = memchr(host, '@', (size_t)(end - host));
	}
	len = (size_t)(end - host);
	/* A port follows the last ':' unless that is inside "[v6]". */
	p = host + len;
	while (p > host && p[-1] != ':' && p[-1] != ']')
		p--;
	if (p > host && p[-1] == ':')
		snprintf(dst, n, "%.*s", (int)len, host);
	else
		snprintf(dst, n, "%.*s:%s", (int)len, host,
			 https ? "443" : "80");
}

/* Append `line` (no CR LF) to `b` with secret values replaced. */
static void redact_header(struct ferry_buf *b, const char *line, size_t len,
			  const char *const *extra)
{
	const char *colon = memchr(line, ':', len);
	const char *v;
	size_t name_len, word;

	if (!colon) {
		ferry_buf_add(b, line, len);
		return;
	}
	name_len = (size_t)(colon - line);
	if (!name_in(line, name_len, secret_names) &&
	    !name_in(line, name_len, extra)) {
		ferry_buf_add(b, line, len);
		return;
	}
	ferry_buf_add(b, line, name_len + 1);
	v = colon + 1;
	while (v < line + len && (*v == ' ' || *v == '\t'))
		v++;
	/* Keep the scheme of Authorization ("AWS4-HMAC-SHA256", "Bearer"). */
	if (name_len == 13 && !strncasecmp(line, "authorization", 13)) {
		for (word = 0; v + word < line + len && v[word] != ' '; word++)
			;
		if (v + word < line + len)
			ferry_buf_addf(b, " %.*s", (int)word, v);
	}
	ferry_buf_addstr(b, " " REDACTED);
}

/* Append `s` (a URL or request line) with secret query values replaced. */
static void redact_query(struct ferry_buf *b, const char *s, size_t len)
{
	const char *q = memchr(s, '?', len), *end = s + len, *p, *eq, *amp;
	const char *stop;

	if (!q) {
		ferry_buf_add(b, s, len);
		return;
	}
	/* In a request line the query ends at the space before HTTP/1.1. */
	stop = memchr(q, ' ', (size_t)(end - q));
	if (!stop)
		stop = end;
	ferry_buf_add(b, s, (size_t)(q + 1 - s));
	for (p = q + 1; p < stop; p = amp + 1) {
		amp = memchr(p, '&', (size_t)(stop - p));
		if (!amp)
			amp = stop;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq && name_in(p, (size_t)(eq - p), secret_params))
			ferry_buf_addf(b, "%.*s=" REDACTED, (int)(eq - p), p);
		else
			ferry_buf_add(b, p, (size_t)(amp - p));
		if (amp < stop)
			ferry_buf_addch(b, '&');
		if (amp == stop)
			break;
	}
	ferry_buf_add(b, stop, (size_t)(end - stop));
}

/*
 * Log each line of a header block; with `request`, the first line is the
 * request line, whose query string may hold a presigned signature.
 */
static void trace_lines(const char *prefix, const char *data, size_t size,
			const char *const *extra, int request)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	const char *p = data, *end = data + size, *nl;
	size_t len;
	int first = 1;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (len) {
			ferry_buf_reset(&b);
			ferry_buf_addstr(&b, prefix);
			if (first && request)
				redact_query(&b, p, len);
			else
				redact_header(&b, p, len, extra);
			ferry_debug("%s", b.buf);
		}
		first = 0;
		p += len;
		while (p < end && (*p == '\r' || *p == '\n'))
			p++;
	}
	ferry_buf_release(&b);
}

static int debug_cb(CURL *c, curl_infotype type, char *data, size_t size,
		    void *arg)
{
	struct xfer *x = arg;

	if (type == CURLINFO_HEADER_OUT)
		trace_lines("http: > ", data, size, x->req->secret_headers,
			    1);
	return 0;
}

static size_t header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb, len = n;
	long status;
	char *line;

	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (x->req->trace && len)
		trace_lines("http: < ", data, len, x->req->secret_headers,
			    0);
	if (len > 5 && !memcmp(data, "HTTP/", 5)) {
		/* A new status line (after 100 Continue): a new header set. */
		line = memchr(data, ' ', len);
		status = line ? strtol(line + 1, NULL, 10) : 0;
		x->out->status = status;
		ferry_strvec_release(&x->out->headers);
		return n;
	}
	if (!len || !memchr(data, ':', len))
		return n;
	line = malloc(len + 1);
	if (!line)
		return 0;
	memcpy(line, data, len);
	line[len] = '\0';
	if (ferry_strvec_push_owned(&x->out->headers, line))
		return 0;
	return n;
}

static int open_tmp(struct xfer *x)
{
	x->tmp_path = ferry_xstrfmt("%s.XXXXXX", x->req->response_path);
	if (!x->tmp_path) {
		x->write_errno = ENOMEM;
		return -1;
	}
	x->out_fd = mkstemp(x->tmp_path);
	if (x->out_fd < 0) {
		x->write_errno = errno;
		free(x->tmp_path);
		x->tmp_path = NULL;
		return -1;
	}
	return 0;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb, done = 0;
	ssize_t w;

	if (!x->req->response_path || x->out->status / 100 != 2)
		return ferry_buf_add(&x->out->body, data, n) ? 0 : n;
	if (x->out_fd < 0 && open_tmp(x))
		return 0;
	while (done < n) {
		w = write(x->out_fd, data + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			x->write_errno = errno;
			return 0;
		}
		done += (size_t)w;
	}
	return n;
}

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	ssize_t r;

	if (x->in_fd < 0) {
		if (n > x->mem_len - x->mem_pos)
			n = x->mem_len - x->mem_pos;
		memcpy(dst, x->mem + x->mem_pos, n);
		x->mem_pos += n;
		return n;
	}
	do
		r = read(x->in_fd, dst, n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		x->read_errno = errno;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)r;
}

/* libcurl rewinds the body when it resends on a reused connection. */
static int seek_cb(void *arg, curl_off_t offset, int origin)
{
	struct xfer *x = arg;

	if (origin != SEEK_SET || offset < 0)
		return CURL_SEEKFUNC_CANTSEEK;
	if (x->in_fd < 0) {
		if ((size_t)offset > x->mem_len)
			return CURL_SEEKFUNC_FAIL;
		x->mem_pos = (size_t)offset;
		return CURL_SEEKFUNC_OK;
	}
	if (lseek(x->in_fd, (off_t)offset, SEEK_SET) < 0)
		return CURL_SEEKFUNC_FAIL;
	return CURL_SEEKFUNC_OK;
}

static int progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	return ferry_cancelled();
}

static int has_header(const struct ferry_strvec *v, const char *name)
{
	size_t len = strlen(name), i;

	for (i = 0; v && i < v->nr; i++)
		if (!strncasecmp(v->items[i], name, len) &&
		    (v->items[i][len] == ':' || v->items[i][len] == ';'))
			return 1;
	return 0;
}

/*
 * The header list for libcurl. "Name:" with nothing after it would make
 * libcurl drop the header, so an empty value is passed as "Name;", which
 * libcurl sends as "Name:". Empty "Expect:", "Accept:" and
 * "Content-Type:" remove what libcurl would add on its own.
 */
static int build_headers(struct curl_slist **out,
			 const struct ferry_http_request *req)
{
	static const char *const defaults[] = { "Expect", "Accept",
						"Content-Type", NULL };
	const struct ferry_strvec *v = req->headers;
	struct curl_slist *list = NULL, *next;
	struct ferry_buf b = FERRY_BUF_INIT;
	const char *h, *colon;
	size_t i;
	int rc = FERRY_ENOMEM;

	for (i = 0; v && i < v->nr; i++) {
		h = v->items[i];
		colon = strchr(h, ':');
		ferry_buf_reset(&b);
		if (colon && !colon[1 + strspn(colon + 1, " \t")]) {
			if (ferry_buf_add(&b, h, (size_t)(colon - h)) ||
			    ferry_buf_addch(&b, ';'))
				goto out;
		} else if (ferry_buf_addstr(&b, h)) {
			goto out;
		}
		next = p_curl_slist_append(list, b.buf);
		if (!next)
			goto out;
		list = next;
	}
	for (i = 0; defaults[i]; i++) {
		if (has_header(v, defaults[i]))
			continue;
		ferry_buf_reset(&b);
		if (ferry_buf_addf(&b, "%s:", defaults[i]))
			goto out;
		next = p_curl_slist_append(list, b.buf);
		if (!next)
			goto out;
		list = next;
	}
	*out = list;
	list = NULL;
	rc = 0;
out:
	if (list)
		p_curl_slist_free_all(list);
	ferry_buf_release(&b);
	return rc;
}

static int wants_body(const struct ferry_http_request *req)
{
	return req->body || req->body_path ||
	       !strcasecmp(req->method, "POST") ||
	       !strcasecmp(req->method, "PUT") ||
	       !strcasecmp(req->method, "PATCH");
}

/* Open the body file; sets *size. */
static int open_body(struct xfer *x, curl_off_t *size, struct ferry_error *err)
{
	const char *path = x->req->body_path;
	struct stat st;

	x->in_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (x->in_fd < 0 && errno == ENOENT)
		return ferry_error_set(err, FERRY_ENOTFOUND,
				       "cannot send '%s': no such file", path);
	if (x->in_fd < 0)
		return ferry_error_errno(err, FERRY_EFAIL, errno,
					 "cannot open '%s'", path);
	if (fstat(x->in_fd, &st))
		return ferry_error_errno(err, FERRY_EFAIL, errno,
					 "cannot stat '%s'", path);
	if (!S_ISREG(st.st_mode))
		return ferry_error_set(err, FERRY_EFAIL,
				       "cannot send '%s': not a regular file",
				       path);
	*size = (curl_off_t)st.st_size;
	return 0;
}

static int setup(CURL *c, struct xfer *x, struct curl_slist *headers,
		 const struct ferry_http *h, struct ferry_error *err)
{
	const struct ferry_http_request *req = x->req;
	curl_off_t size = 0;
	unsigned ct = req->connect_timeout_ms ? req->connect_timeout_ms :
						h->connect_timeout_ms;
	unsigned tt = req->timeout_ms ? req->timeout_ms : h->timeout_ms;
	int rc;

	p_curl_easy_setopt(c, CURLOPT_URL, req->url);
	p_curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	p_curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	p_curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)ct);
	p_curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)tt);
	p_curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	p_curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	p_curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	p_curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	p_curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	p_curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	p_curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
	p_curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	if (req->trace) {
		p_curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
		p_curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, debug_cb);
		p_curl_easy_setopt(c, CURLOPT_DEBUGDATA, x);
	}
	if (!strcasecmp(req->method, "HEAD")) {
		p_curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		return 0;
	}
	if (strcmp(req->method, "GET"))
		p_curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	if (!wants_body(req))
		return 0;
	if (req->body_path) {
		rc = open_body(x, &size, err);
		if (rc)
			return rc;
	} else {
		x->mem = req->body;
		x->mem_len = req->body ? req->body_len : 0;
		size = (curl_off_t)x->mem_len;
	}
	/*
	 * An upload with a known size sends Content-Length and the bytes as
	 * they are; unlike POSTFIELDS it adds no Content-Type.
	 */
	p_curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	p_curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, size);
	p_curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	p_curl_easy_setopt(c, CURLOPT_READDATA, x);
	p_curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_cb);
	p_curl_easy_setopt(c, CURLOPT_SEEKDATA, x);
	return 0;
}

/* libcurl and strerror() messages start with a capital. */
static void lower_first(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s);
	if (dst[0] >= 'A' && dst[0] <= 'Z' && !(dst[1] >= 'A' && dst[1] <= 'Z'))
		dst[0] = (char)(dst[0] - 'A' + 'a');
}

static int map_error(CURL *c, CURLcode code, struct xfer *x, unsigned tt,
		     unsigned ct, struct ferry_error *err)
{
	const struct ferry_http_request *req = x->req;
	char host[512], why[256], ebuf[256];
	curl_off_t connected = 0;
	long oserr = 0;

	url_hostport(host, sizeof(host), req->url);
	lower_first(why, sizeof(why), p_curl_easy_strerror(code));
	switch (code) {
	case CURLE_ABORTED_BY_CALLBACK:
		return ferry_error_set(err, FERRY_EINTR, "interrupted");
	case CURLE_READ_ERROR:
		if (req->body_path && x->read_errno)
			return ferry_error_errno(err, FERRY_EFAIL,
						 x->read_errno,
						 "cannot read '%s'",
						 req->body_path);
		break;
	case CURLE_WRITE_ERROR:
		if (req->response_path && x->write_errno)
			return ferry_error_errno(err, FERRY_EFAIL,
						 x->write_errno,
						 "cannot write '%s'",
						 req->response_path);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		x->out->net_error = 1;
		return ferry_error_set(err, FERRY_EFAIL,
				       "cannot connect to %s: cannot resolve host",
				       host);
	case CURLE_COULDNT_CONNECT:
		x->out->net_error = 1;
		p_curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
		if (oserr) {
			lower_first(ebuf, sizeof(ebuf),
				    strerror_r((int)oserr, why, sizeof(why)));
			snprintf(why, sizeof(why), "%s", ebuf);
		}
		return ferry_error_set(err, FERRY_EFAIL,
				       "cannot connect to %s: %s", host, why);
	case CURLE_OPERATION_TIMEDOUT:
		x->out->net_error = 1;
		p_curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connected);
		if (!connected)
			return ferry_error_set(err, FERRY_ETIMEOUT,
					       "cannot connect to %s: timed out after %u ms",
					       host, ct < tt || !tt ? ct : tt);
		return ferry_error_set(err, FERRY_ETIMEOUT,
				       "%s request to %s timed out after %u ms",
				       req->method, host, tt);
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		x->out->net_error = 1;
		break;
	default:
		break;
	}
	return ferry_error_set(err, FERRY_EFAIL, "%s request to %s failed: %s",
			       req->method, host, why);
}

/* Move the response file into place once a 2xx body is complete. */
static int finish_file(struct xfer *x, struct ferry_error *err)
{
	const char *path = x->req->response_path;

	if (!path || x->out->status / 100 != 2)
		return 0;
	if (x->out_fd < 0 && open_tmp(x))
		return ferry_error_errno(err, FERRY_EFAIL, x->write_errno,
					 "cannot write '%s'", path);
	if (close(x->out_fd)) {
		x->out_fd = -1;
		return ferry_error_errno(err, FERRY_EFAIL, errno,
					 "cannot write '%s'", path);
	}
	x->out_fd = -1;
	if (rename(x->tmp_path, path))
		return ferry_error_errno(err, FERRY_EFAIL, errno,
					 "cannot write '%s'", path);
	free(x->tmp_path);
	x->tmp_path = NULL;
	return 0;
}

static int check_request(const struct ferry_http_request *req,
			 struct ferry_error *err)
{
	if (!req->method || !*req->method || !req->url)
		return ferry_error_set(err, FERRY_EUSAGE,
				       "http request without a method or url");
	if (req->body && req->body_path)
		return ferry_error_set(err, FERRY_EUSAGE,
				       "http request with two bodies");
	if (strncasecmp(req->url, "http://", 7) &&
	    strncasecmp(req->url, "https://", 8))
		return ferry_error_set(err, FERRY_EUSAGE,
				       "not an http or https url");
	return 0;
}

int ferry_http_send(struct ferry_http_response *out, struct ferry_http *h,
		    const struct ferry_http_request *req,
		    struct ferry_error *err)
{
	struct xfer x = { 0 };
	struct curl_slist *headers = NULL;
	char host[512];
	unsigned ct, tt;
	CURLcode code;
	int rc;

	x.req = req;
	x.out = out;
	x.in_fd = -1;
	x.out_fd = -1;
	ferry_http_response_release(out);
	rc = check_request(req, err);
	if (rc)
		goto out;
	rc = ferry_lazy_load(&curl_lib, err);
	if (rc)
		goto out;
	pthread_once(&global_once, global_init);
	if (global_rc) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "cannot initialise libcurl");
		goto out;
	}
	if (!h->curl) {
		h->curl = p_curl_easy_init();
		if (!h->curl) {
			rc = ferry_error_set(err, FERRY_ENOMEM,
					     "out of memory");
			goto out;
		}
	}
	/* Reset options, keep the connection and DNS caches. */
	p_curl_easy_reset(h->curl);
	rc = build_headers(&headers, req);
	if (rc) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	rc = setup(h->curl, &x, headers, h, err);
	if (rc)
		goto out;
	code = p_curl_easy_perform(h->curl);
	ct = req->connect_timeout_ms ? req->connect_timeout_ms :
				       h->connect_timeout_ms;
	tt = req->timeout_ms ? req->timeout_ms : h->timeout_ms;
	if (code != CURLE_OK) {
		rc = map_error(h->curl, code, &x, tt, ct, err);
		goto out;
	}
	rc = finish_file(&x, err);
	if (rc)
		goto out;
	if (req->trace) {
		url_hostport(host, sizeof(host), req->url);
		ferry_debug("http: %s %s: status %ld, %zu bytes", req->method,
			    host, out->status, out->body.len);
	}
out:
	if (rc) {
		out->status = 0;
		ferry_strvec_release(&out->headers);
		ferry_buf_release(&out->body);
	}
	if (headers)
		p_curl_slist_free_all(headers);
	if (x.in_fd >= 0)
		close(x.in_fd);
	if (x.out_fd >= 0)
		close(x.out_fd);
	if (x.tmp_path) {
		unlink(x.tmp_path);
		free(x.tmp_path);
	}
	return rc;
}

int ferry_http_retryable(int rc, const struct ferry_http_response *r)
{
	if (rc)
		return r && r->net_error;
	if (!r)
		return 0;
	return r->status == 408 || r->status == 429 ||
	       (r->status >= 500 && r->status <= 599 && r->status != 501);
}

unsigned ferry_http_backoff(unsigned attempt, unsigned base_ms,
			    unsigned cap_ms, uint64_t rnd)
{
	uint64_t ceiling = base_ms;
	unsigned i;

	for (i = 0; i < attempt && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	return (unsigned)(rnd % (ceiling + 1));
}
