/*
 * error.c - the error record: first error wins, and the mapping from error
 * codes to the documented exit codes. Does not print.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ferry/error.h"

void ferry_error_init(struct ferry_error *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}

void ferry_error_clear(struct ferry_error *err)
{
	if (err)
		ferry_error_init(err);
}

static int vset(struct ferry_error *err, int code, const char *suffix,
		const char *fmt, va_list ap)
{
	size_t len;

	if (!err || err->code)
		return code;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (suffix) {
		len = strlen(err->msg);
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", suffix);
	}
	return code;
}

int ferry_error_set(struct ferry_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

/*
 * strerror_r() comes in two flavours: with _GNU_SOURCE (which the build
 * defines) glibc's returns the message, which need not be in `buf`, while
 * the XSI one returns 0 and fills `buf`. Testing the result against 0 took
 * glibc's always non-NULL pointer for a failure and turned every message
 * into "error <n>"; _Generic picks the right reading for either.
 */
static const char *gnu_message(const char *msg, const char *buf)
{
	return msg;
}

static const char *xsi_message(int rc, const char *buf)
{
	return rc ? NULL : buf;
}

#define STRERROR_MESSAGE(r, buf) \
	_Generic((r), int: xsi_message, default: gnu_message)((r), (buf))

int ferry_error_errno(struct ferry_error *err, int code, int errnum,
		      const char *fmt, ...)
{
	char buf[256], why[256];
	const char *msg;
	va_list ap;

	/* "permission denied" is exit 4 (credentials or permission) */
	if (code == FERRY_EFAIL &&
	    (errnum == EACCES || errnum == EPERM || errnum == EROFS))
		code = FERRY_EAUTH;
	msg = STRERROR_MESSAGE(strerror_r(errnum, buf, sizeof(buf)), buf);
	if (msg && *msg)
		snprintf(why, sizeof(why), "%s", msg);
	else
		snprintf(why, sizeof(why), "error %d", errnum);
	va_start(ap, fmt);
	vset(err, code, why, fmt, ap);
	va_end(ap);
	return code;
}

int ferry_error_exit_code(int code)
{
	switch (code) {
	case FERRY_OK:
		return 0;
	case FERRY_EUSAGE:
		return 2;
	case FERRY_ECONFIG:
		return 3;
	case FERRY_EAUTH:
		return 4;
	case FERRY_ENOTFOUND:
		return 5;
	case FERRY_ECONFLICT:
	case FERRY_EEXIST:
		return 6;
	case FERRY_EINTR:
		return 130;
	default:
		return 1;
	}
}
