/*
 * error.h - error codes and the error record every fallible call fills.
 *
 * A fallible function returns 0 on success or one of the negative FERRY_E*
 * codes below, and takes a `struct ferry_error *err` as its last argument.
 * The first error set on a record wins: later calls to ferry_error_set() on
 * a record that already holds an error keep the first message and only
 * return their code, so the innermost, most specific cause is reported.
 * `err` may be NULL, in which case only the code is returned.
 *
 * The CLI maps codes to exit codes with ferry_error_exit_code().
 */
#ifndef FERRY_ERROR_H
#define FERRY_ERROR_H

#include <stddef.h>

enum ferry_errcode {
	FERRY_OK = 0,
	FERRY_EFAIL = -1,	/* operation failed: exit 1 */
	FERRY_EUSAGE = -2,	/* bad command line: exit 2 */
	FERRY_ECONFIG = -3,	/* manifest or configuration invalid: exit 3 */
	FERRY_EAUTH = -4,	/* credentials or permission: exit 4 */
	FERRY_ENOTFOUND = -5,	/* function, release, template, key: exit 5 */
	FERRY_ECONFLICT = -6,	/* locked or conflicting write: exit 6 */
	FERRY_EEXIST = -7,	/* create-if-absent target exists: exit 6 */
	FERRY_ENOMEM = -8,	/* out of memory: exit 1 */
	FERRY_EINTR = -9,	/* interrupted by a signal: exit 130 */
	FERRY_ETIMEOUT = -10,	/* a handler or request ran out of time: exit 1 */
};

#define FERRY_ERROR_MSG_MAX 2048

struct ferry_error {
	int code;			/* 0 while no error is set */
	char msg[FERRY_ERROR_MSG_MAX];	/* lowercase, no final full stop */
};

/* Initialise an empty error record. */
void ferry_error_init(struct ferry_error *err);

/*
 * Record an error (printf-style message) unless one is already recorded.
 * Always returns `code`, so callers can write `return ferry_error_set(...)`.
 */
int ferry_error_set(struct ferry_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Same as ferry_error_set() with "<fmt>: <strerror(errnum)>" as message.
 * A FERRY_EFAIL caused by EACCES, EPERM or EROFS becomes FERRY_EAUTH (exit
 * 4: permission); the code actually recorded is returned.
 */
int ferry_error_errno(struct ferry_error *err, int code, int errnum,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Forget a recorded error (used when a caller handles it, e.g. EEXIST). */
void ferry_error_clear(struct ferry_error *err);

/* The documented process exit code for an error code (0 for FERRY_OK). */
int ferry_error_exit_code(int code);

#endif
