/*
 * progress.h - how long work tells how far it got, for progress bars.
 *
 * core/ calls ferry_progress_begin() when a phase with known totals starts
 * (zipping N files of B bytes; uploading N artifacts of B bytes), then
 * ferry_progress_add() as it goes - from any thread - and
 * ferry_progress_end() when the phase is over. The CLI installs a sink
 * that draws a bar on a terminal, prints one plain line otherwise, or a
 * JSON event (cli/progress.c). Without a sink every call costs a branch.
 *
 * The sink is called with an internal lock held (so it never runs twice
 * at once): at the start, at most every 50 ms while work goes on, and
 * once with `done` set at the end.
 */
#ifndef FERRY_PROGRESS_H
#define FERRY_PROGRESS_H

#include <stdint.h>

enum ferry_progress_phase {
	FERRY_PROGRESS_PACKAGE,	/* items: files zipped */
	FERRY_PROGRESS_UPLOAD,	/* items: artifacts stored */
};

struct ferry_progress {
	enum ferry_progress_phase phase;
	uint64_t items;
	uint64_t total_items;
	uint64_t bytes;
	uint64_t total_bytes;
	double elapsed;		/* seconds since the phase began */
	int done;		/* 1 on the last report of the phase */
};

typedef void (*ferry_progress_fn)(const struct ferry_progress *p,
				  void *data);

/* Install the sink (NULL: none). Not thread-safe: call before work starts. */
void ferry_progress_set(ferry_progress_fn fn, void *data);

/* Start a phase; a phase still open is ended first. */
void ferry_progress_begin(enum ferry_progress_phase phase,
			  uint64_t total_items, uint64_t total_bytes);
/* Count `items` and `bytes` more as done; any thread. */
void ferry_progress_add(uint64_t items, uint64_t bytes);
/* End the phase (no-op when none is open). */
void ferry_progress_end(void);

#endif
