/*
 * buf.h - growable byte buffers and string vectors.
 *
 * A `struct ferry_buf` always holds a NUL-terminated string in `buf` (also
 * after init, when it points at a static empty string), so it can be used as
 * text and as bytes. Functions that grow a buffer return 0 or FERRY_ENOMEM;
 * on failure the buffer keeps its previous contents.
 *
 * Lifecycle: _init() prepares an empty value without allocating,
 * _release() frees the contents and leaves an empty value, _detach()
 * hands the allocated string to the caller (who frees it with free()).
 */
#ifndef FERRY_BUF_H
#define FERRY_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct ferry_buf {
	char *buf;	/* owned unless alloc == 0 */
	size_t len;
	size_t alloc;
};

#define FERRY_BUF_INIT { ferry_buf_empty, 0, 0 }
extern char ferry_buf_empty[];

void ferry_buf_init(struct ferry_buf *b);
void ferry_buf_release(struct ferry_buf *b);
/* Empty the buffer but keep its allocation. */
void ferry_buf_reset(struct ferry_buf *b);
/* Make room for `extra` more bytes (plus the terminating NUL). */
int ferry_buf_grow(struct ferry_buf *b, size_t extra);
int ferry_buf_add(struct ferry_buf *b, const void *data, size_t len);
int ferry_buf_addstr(struct ferry_buf *b, const char *s);
int ferry_buf_addch(struct ferry_buf *b, char c);
int ferry_buf_addf(struct ferry_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ferry_buf_vaddf(struct ferry_buf *b, const char *fmt, va_list ap);
/* Shorten to `len` bytes (no-op when already shorter). */
void ferry_buf_truncate(struct ferry_buf *b, size_t len);
/* Return the owned string (never NULL; NULL only on allocation failure). */
char *ferry_buf_detach(struct ferry_buf *b);

/* A vector of owned, NUL-terminated strings. */
struct ferry_strvec {
	char **items;	/* owned, each owned */
	size_t nr;
	size_t alloc;
};

#define FERRY_STRVEC_INIT { NULL, 0, 0 }

void ferry_strvec_init(struct ferry_strvec *v);
void ferry_strvec_release(struct ferry_strvec *v);
/* Append a copy of `s`. */
int ferry_strvec_push(struct ferry_strvec *v, const char *s);
/* Append an already allocated string; takes ownership (also on failure). */
int ferry_strvec_push_owned(struct ferry_strvec *v, char *s);
int ferry_strvec_pushf(struct ferry_strvec *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Sort bytewise (strcmp order). */
void ferry_strvec_sort(struct ferry_strvec *v);
/* Index of `s`, or -1. Linear. */
long ferry_strvec_find(const struct ferry_strvec *v, const char *s);

/* strdup that returns NULL on failure; NULL in gives NULL out. */
char *ferry_strdup(const char *s);
/* Allocate a formatted string; NULL on failure. */
char *ferry_xstrfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The value of hex digit `c` (0-9, a-f, A-F), or -1. */
int ferry_hex_digit(int c);

/*
 * Append code point `cp` (at most 0x10ffff) encoded as UTF-8: 0, or
 * FERRY_ENOMEM (the buffer keeps what it had). The caller checks the range.
 */
int ferry_buf_add_utf8(struct ferry_buf *b, unsigned long cp);

/*
 * Append the base64 (RFC 4648, standard alphabet) of `n` bytes at `data`,
 * '='-padded to a multiple of four characters when `pad` (HTTP bodies,
 * Lambda's CodeSha256) or not (ssh fingerprints). FERRY_ENOMEM or 0.
 */
int ferry_buf_add_base64(struct ferry_buf *b, const void *data, size_t n,
			 int pad);

/*
 * Append the bytes that `n` base64 characters at `s` decode to; trailing
 * '=' are optional, whitespace is not allowed. 1 when the text is not
 * base64 (what was appended is then meaningless: the caller drops it),
 * FERRY_ENOMEM, else 0.
 */
int ferry_buf_add_unbase64(struct ferry_buf *b, const char *s, size_t n);

#endif
