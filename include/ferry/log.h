/*
 * log.h - how libferry reports progress and diagnostics without printing.
 *
 * core/ and providers/ never write to stdout or stderr. They call
 * ferry_log(), which forwards to the callback the CLI installed (or drops
 * the message when none is installed). Messages must never contain secrets.
 */
#ifndef FERRY_LOG_H
#define FERRY_LOG_H

enum ferry_log_level {
	FERRY_LOG_DEBUG,	/* shown with -v */
	FERRY_LOG_INFO,		/* progress lines, hidden with -q */
	FERRY_LOG_WARN,		/* always shown on stderr */
};

typedef void (*ferry_log_fn)(enum ferry_log_level level, const char *msg,
			     void *data);

/* Install the process-wide sink; NULL drops every message. */
void ferry_log_set(ferry_log_fn fn, void *data);

void ferry_log(enum ferry_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define ferry_debug(...) ferry_log(FERRY_LOG_DEBUG, __VA_ARGS__)
#define ferry_info(...) ferry_log(FERRY_LOG_INFO, __VA_ARGS__)
#define ferry_warn(...) ferry_log(FERRY_LOG_WARN, __VA_ARGS__)

#endif
