/*
 * buf.c - growable byte buffers and string vectors. Allocation failures are
 * returned as FERRY_ENOMEM, never fatal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/buf.h"
#include "ferry/error.h"

char ferry_buf_empty[1];

void ferry_buf_init(struct ferry_buf *b)
{
	b->buf = ferry_buf_empty;
	b->len = 0;
	b->alloc = 0;
}

void ferry_buf_release(struct ferry_buf *b)
{
	if (!b)
		return;
	if (b->alloc)
		free(b->buf);
	ferry_buf_init(b);
}

void ferry_buf_reset(struct ferry_buf *b)
{
	b->len = 0;
	if (b->alloc)
		b->buf[0] = '\0';
}

int ferry_buf_grow(struct ferry_buf *b, size_t extra)
{
	size_t want, n;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return FERRY_ENOMEM;
	want = b->len + extra + 1;
	if (want <= b->alloc)
		return 0;
	n = b->alloc ? b->alloc : 64;
	while (n < want)
		n = n > SIZE_MAX / 2 ? want : n * 2;
	p = realloc(b->alloc ? b->buf : NULL, n);
	if (!p)
		return FERRY_ENOMEM;
	if (!b->alloc)
		p[0] = '\0';
	b->buf = p;
	b->alloc = n;
	return 0;
}

int ferry_buf_add(struct ferry_buf *b, const void *data, size_t len)
{
	if (ferry_buf_grow(b, len))
		return FERRY_ENOMEM;
	if (len)
		memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return 0;
}

int ferry_buf_addstr(struct ferry_buf *b, const char *s)
{
	return ferry_buf_add(b, s, strlen(s));
}

int ferry_buf_addch(struct ferry_buf *b, char c)
{
	return ferry_buf_add(b, &c, 1);
}

int ferry_buf_vaddf(struct ferry_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (ferry_buf_grow(b, 64))
		return FERRY_ENOMEM;
	va_copy(cp, ap);
	n = vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, cp);
	va_end(cp);
	/*
	 * vsnprintf may have written part of the output over the terminating
	 * NUL before failing or running out of room: put it back on failure,
	 * so the buffer keeps its previous contents.
	 */
	if (n < 0) {
		b->buf[b->len] = '\0';
		return FERRY_EFAIL;
	}
	if ((size_t)n >= b->alloc - b->len) {
		if (ferry_buf_grow(b, (size_t)n)) {
			b->buf[b->len] = '\0';
			return FERRY_ENOMEM;
		}
		va_copy(cp, ap);
		vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, cp);
		va_end(cp);
	}
	b->len += (size_t)n;
	return 0;
}

int ferry_buf_addf(struct ferry_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ferry_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void ferry_buf_truncate(struct ferry_buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->buf[len] = '\0';
}

char *ferry_buf_detach(struct ferry_buf *b)
{
	char *s;

	if (!b->alloc) {
		s = ferry_strdup("");
	} else {
		s = b->buf;
	}
	ferry_buf_init(b);
	return s;
}

void ferry_strvec_init(struct ferry_strvec *v)
{
	v->items = NULL;
	v->nr = 0;
	v->alloc = 0;
}

void ferry_strvec_release(struct ferry_strvec *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->nr; i++)
		free(v->items[i]);
	free(v->items);
	ferry_strvec_init(v);
}

int ferry_strvec_push_owned(struct ferry_strvec *v, char *s)
{
	char **p;
	size_t n;

	if (!s)
		return FERRY_ENOMEM;
	if (v->nr == v->alloc) {
		n = v->alloc ? v->alloc * 2 : 16;
		p = realloc(v->items, n * sizeof(*p));
		if (!p) {
			free(s);
			return FERRY_ENOMEM;
		}
		v->items = p;
		v->alloc = n;
	}
	v->items[v->nr++] = s;
	return 0;
}

int ferry_strvec_push(struct ferry_strvec *v, const char *s)
{
	return ferry_strvec_push_owned(v, ferry_strdup(s));
}

int ferry_strvec_pushf(struct ferry_strvec *v, const char *fmt, ...)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ferry_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (rc) {
		ferry_buf_release(&b);
		return rc;
	}
	return ferry_strvec_push_owned(v, ferry_buf_detach(&b));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void ferry_strvec_sort(struct ferry_strvec *v)
{
	if (v->nr > 1)
		qsort(v->items, v->nr, sizeof(*v->items), cmp_str);
}

long ferry_strvec_find(const struct ferry_strvec *v, const char *s)
{
	size_t i;

	for (i = 0; i < v->nr; i++)
		if (!strcmp(v->items[i], s))
			return (long)i;
	return -1;
}

char *ferry_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *ferry_xstrfmt(const char *fmt, ...)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ferry_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (rc) {
		ferry_buf_release(&b);
		return NULL;
	}
	return ferry_buf_detach(&b);
}

int ferry_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ferry_buf_add_utf8(struct ferry_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return ferry_buf_add(b, u, n);
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int ferry_buf_add_base64(struct ferry_buf *b, const void *data, size_t n,
			 int pad)
{
	const unsigned char *s = data;
	char q[4];
	unsigned long v;
	size_t i, k;

	for (i = 0; i < n; i += 3) {
		v = (unsigned long)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = b64[v >> 18];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		/* 4 characters, or 2 or 3 of the last unpadded group */
		k = pad || i + 2 < n ? 4 : n - i + 1;
		if (ferry_buf_add(b, q, k))
			return FERRY_ENOMEM;
	}
	return 0;
}

int ferry_buf_add_unbase64(struct ferry_buf *b, const char *s, size_t n)
{
	unsigned long v = 0;
	const char *c;
	int bits = 0;
	size_t i;

	while (n && s[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++) {
		c = s[i] ? memchr(b64, s[i], sizeof(b64) - 1) : NULL;
		if (!c)
			return 1;
		v = (v << 6 | (unsigned long)(c - b64)) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (ferry_buf_addch(b, (char)(v >> bits & 0xff)))
				return FERRY_ENOMEM;
		}
	}
	/* a lone character left over holds fewer than 8 bits: not base64 */
	return bits >= 6;
}
