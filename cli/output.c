/*
 * output.c - how ferry prints: human sizes and times, diagnostics on
 * stderr (coloured only on a terminal without NO_COLOR), JSON lines and
 * aligned tables on stdout.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"

void ferry_fmt_size(char *out, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "KB", "MB", "GB", "TB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(out, len, "%llu B", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

void ferry_fmt_duration(char *out, size_t len, double s)
{
	if (s < 1)
		snprintf(out, len, "%.0f ms", s * 1000);
	else if (s < 60)
		snprintf(out, len, "%.1f s", s);
	else
		snprintf(out, len, "%d min %d s", (int)(s / 60), (int)s % 60);
}

double ferry_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ferry_cli_error(const struct ferry_ctx *ctx, const char *msg)
{
	if (ctx->color)
		fprintf(stderr, "\033[1;31mferry:\033[0m %s\n", msg);
	else
		fprintf(stderr, "ferry: %s\n", msg);
	if (ctx->json) {
		json_t *o = json_pack("{s:s, s:s}", "event", "error", "message", msg);

		if (o)
			ferry_cli_json(o);
	}
}

void ferry_cli_warn(const struct ferry_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fputs(ctx->color ? "\033[1;33mferry: warning:\033[0m " :
	      "ferry: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void ferry_cli_note(const struct ferry_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ferry_cli_json(void *json_obj)
{
	json_t *o = json_obj;
	char *s;

	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return FERRY_ENOMEM;
	puts(s);
	free(s);
	return 0;
}

void ferry_table_init(struct ferry_table *t, size_t cols)
{
	ferry_strvec_init(&t->cells);
	t->cols = cols;
}

int ferry_table_row(struct ferry_table *t, ...)
{
	va_list ap;
	size_t i;
	int rc = 0;

	va_start(ap, t);
	for (i = 0; i < t->cols && !rc; i++) {
		const char *c = va_arg(ap, const char *);
		rc = ferry_strvec_push(&t->cells, c ? c : "-");
	}
	va_end(ap);
	return rc;
}

void ferry_table_print(const struct ferry_table *t, FILE *fp)
{
	size_t width[16] = { 0 }, i, c;

	for (i = 0; i < t->cells.nr; i++) {
		size_t l = strlen(t->cells.items[i]);
		if (l > width[i % t->cols])
			width[i % t->cols] = l;
	}
	for (i = 0; i < t->cells.nr; i++) {
		c = i % t->cols;
		if (c + 1 == t->cols)
			fprintf(fp, "%s\n", t->cells.items[i]);
		else
			fprintf(fp, "%-*s  ", (int)width[c], t->cells.items[i]);
	}
}

void ferry_table_release(struct ferry_table *t)
{
	ferry_strvec_release(&t->cells);
}
