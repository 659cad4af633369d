/*
 * progress.c - how the CLI shows ferry/progress.h reports: a bar redrawn
 * in place on a terminal, one plain line when stderr is not a terminal,
 * a JSON event with --json, nothing with -q. It also owns the lock that
 * keeps log lines and the bar from tearing each other apart: every line
 * ferry writes to stderr goes through ferry_cli_line_begin()/_end().
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

#define BAR_WIDTH 24

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static char bar[256];	/* the bar on screen, "" when none */

void ferry_cli_line_begin(void)
{
	pthread_mutex_lock(&out_lock);
	if (*bar)
		fputs("\r\033[K", stderr);
}

void ferry_cli_line_end(void)
{
	if (*bar)
		fputs(bar, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&out_lock);
}

static const char *phase_name(enum ferry_progress_phase ph)
{
	return ph == FERRY_PROGRESS_PACKAGE ? "package" : "upload";
}

/* "packaged 315 files (2.8 MB) in 212 ms" */
static void summary(char *out, size_t len, const struct ferry_progress *p)
{
	char size[32], took[32];

	ferry_fmt_size(size, sizeof(size), p->bytes);
	ferry_fmt_duration(took, sizeof(took), p->elapsed);
	if (p->phase == FERRY_PROGRESS_PACKAGE)
		snprintf(out, len, "zipped %llu files (%s) in %s",
			 (unsigned long long)p->items, size, took);
	else
		snprintf(out, len, "stored %llu artifact%s (%s) in %s",
			 (unsigned long long)p->items, p->items == 1 ? "" : "s",
			 size, took);
}

/* "packaging [#########---------------]  240/315 files  1.2 MB/2.8 MB  35 MB/s" */
static void draw(const struct ferry_progress *p)
{
	char done[32], total[32], rate[32], cells[BAR_WIDTH + 1];
	double frac = p->total_bytes ? (double)p->bytes / (double)p->total_bytes
		      : p->total_items ? (double)p->items / (double)p->total_items
		      : 1.0;
	size_t i, fill;

	if (frac > 1)
		frac = 1;
	fill = (size_t)(frac * BAR_WIDTH + 0.5);
	for (i = 0; i < BAR_WIDTH; i++)
		cells[i] = i < fill ? '#' : '-';
	cells[BAR_WIDTH] = '\0';
	ferry_fmt_size(done, sizeof(done), p->bytes);
	ferry_fmt_size(total, sizeof(total), p->total_bytes);
	ferry_fmt_size(rate, sizeof(rate),
		       p->elapsed > 0 ? (uint64_t)((double)p->bytes / p->elapsed)
				      : 0);
	snprintf(bar, sizeof(bar), "%s [%s] %llu/%llu %s  %s/%s  %s/s",
		 p->phase == FERRY_PROGRESS_PACKAGE ? "zipping  " : "uploading",
		 cells, (unsigned long long)p->items,
		 (unsigned long long)p->total_items,
		 p->phase == FERRY_PROGRESS_PACKAGE ? "files" : "artifacts",
		 done, total, rate);
	fputs("\r\033[K", stderr);
	fputs(bar, stderr);
	fflush(stderr);
}

void ferry_cli_progress(const struct ferry_progress *p, void *data)
{
	const struct ferry_ctx *ctx = data;
	char line[256];

	if (ctx->quiet || !p->total_items)
		return;
	if (ctx->json) {
		if (p->done)
			ferry_cli_json(json_pack(
			    "{s:s, s:s, s:I, s:I, s:I}", "event", "progress",
			    "phase", phase_name(p->phase), "items",
			    (json_int_t)p->items, "bytes", (json_int_t)p->bytes,
			    "ms", (json_int_t)(p->elapsed * 1000 + 0.5)));
		return;
	}
	pthread_mutex_lock(&out_lock);
	if (!p->done) {
		if (ctx->tty)
			draw(p);
	} else {
		if (*bar)
			fputs("\r\033[K", stderr);
		bar[0] = '\0';
		summary(line, sizeof(line), p);
		fprintf(stderr, "%s\n", line);
	}
	pthread_mutex_unlock(&out_lock);
}
