/*
 * pool.c - a fixed number of threads taking task indices from a shared
 * counter (see pool.h). No queue, no condition variables: every task is
 * known up front.
 */
#include <pthread.h>
#include <unistd.h>

#include "ferry/pool.h"

struct pool {
	pthread_mutex_t lock;
	size_t next;
	size_t nr;
	void (*task)(void *ctx, size_t i);
	void *ctx;
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		i = p->next < p->nr ? p->next++ : p->nr;
		pthread_mutex_unlock(&p->lock);
		if (i == p->nr)
			return NULL;
		p->task(p->ctx, i);
	}
}

void ferry_pool_run(size_t nr, size_t threads,
		    void (*task)(void *ctx, size_t i), void *ctx)
{
	pthread_t extra[FERRY_POOL_MAX];
	struct pool p = {PTHREAD_MUTEX_INITIALIZER, 0, nr, task, ctx};
	size_t started = 0, i;
	long cores;

	if (!threads) {
		cores = sysconf(_SC_NPROCESSORS_ONLN);
		threads = cores > 1 ? (size_t)cores : 1;
	}
	if (threads > nr)
		threads = nr;
	if (threads > FERRY_POOL_MAX)
		threads = FERRY_POOL_MAX;
	while (started + 1 < threads &&
	       !pthread_create(&extra[started], NULL, worker, &p))
		started++;
	worker(&p);
	for (i = 0; i < started; i++)
		pthread_join(extra[i], NULL);
}
