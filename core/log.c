/*
 * log.c - forwards library messages to the sink the CLI installed. The
 * library never prints by itself.
 */
#include <stdarg.h>
#include <stdio.h>

#include "ferry/log.h"

static ferry_log_fn sink;
static void *sink_data;

void ferry_log_set(ferry_log_fn fn, void *data)
{
	sink = fn;
	sink_data = data;
}

void ferry_log(enum ferry_log_level level, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	if (!sink)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sink(level, msg, sink_data);
}
