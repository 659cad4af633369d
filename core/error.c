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

int ferry_error_errno(struct ferry_error *err, int code, int errnum,
		      const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (strerror_r(errnum, why, sizeof(why)) != 0)
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
