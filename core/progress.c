/*
 * progress.c - the counters behind progress.h: one phase at a time, a
 * lock, and a clock to limit how often the sink is called. It draws
 * nothing itself.
 */
#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "ferry/progress.h"

#define REPORT_EVERY 0.05	/* seconds */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static ferry_progress_fn sink;
static void *sink_data;
static struct ferry_progress cur;
static int open_phase;
static double started, reported;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Called with the lock held. */
static void report(double t)
{
	cur.elapsed = t - started;
	reported = t;
	sink(&cur, sink_data);
}

static void end_locked(void)
{
	if (!open_phase)
		return;
	cur.done = 1;
	report(now());
	open_phase = 0;
}

void ferry_progress_set(ferry_progress_fn fn, void *data)
{
	sink = fn;
	sink_data = data;
}

void ferry_progress_begin(enum ferry_progress_phase phase,
			  uint64_t total_items, uint64_t total_bytes)
{
	if (!sink)
		return;
	pthread_mutex_lock(&lock);
	end_locked();
	cur.phase = phase;
	cur.items = cur.bytes = 0;
	cur.total_items = total_items;
	cur.total_bytes = total_bytes;
	cur.done = 0;
	open_phase = 1;
	started = now();
	report(started);
	pthread_mutex_unlock(&lock);
}

void ferry_progress_add(uint64_t items, uint64_t bytes)
{
	double t;

	if (!sink)
		return;
	pthread_mutex_lock(&lock);
	if (open_phase) {
		cur.items += items;
		cur.bytes += bytes;
		t = now();
		if (t - reported >= REPORT_EVERY)
			report(t);
	}
	pthread_mutex_unlock(&lock);
}

void ferry_progress_end(void)
{
	if (!sink)
		return;
	pthread_mutex_lock(&lock);
	end_locked();
	pthread_mutex_unlock(&lock);
}
