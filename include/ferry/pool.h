/*
 * pool.h - run independent tasks on a few threads.
 *
 * Used where the work is several independent, slow, similar steps: zipping
 * the bundles of several functions (CPU) and publishing or activating
 * several functions at a provider (network). Tasks are started in index
 * order; the calling thread is always one of the workers, so a pool whose
 * extra threads cannot be started still finishes, only more slowly.
 */
#ifndef FERRY_POOL_H
#define FERRY_POOL_H

#include <stddef.h>

/* Largest number of threads ferry_pool_run() uses. */
#define FERRY_POOL_MAX 16

/*
 * Call task(ctx, i) once for every i in [0, nr), on up to `threads`
 * threads (0: one per online core; capped at nr and FERRY_POOL_MAX), and
 * return when all calls have returned. Tasks must not depend on each
 * other's order; each reports its own result through ctx.
 */
void ferry_pool_run(size_t nr, size_t threads,
		    void (*task)(void *ctx, size_t i), void *ctx);

#endif
