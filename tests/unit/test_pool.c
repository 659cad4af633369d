/*
 * test_pool.c - ferry_pool_run(): every task runs exactly once, with any
 * thread count, and tasks really run at the same time when asked to.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "ferry/pool.h"

#define N 1000

static void count(void *ctx, size_t i)
{
	int *seen = ctx;

	__atomic_add_fetch(&seen[i], 1, __ATOMIC_RELAXED);
}

static void test_every_task_once(void **state)
{
	static int seen[N];
	static const size_t threads[] = {0, 1, 2, 7, FERRY_POOL_MAX + 5};
	size_t t, i;

	(void)state;
	for (t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
		memset(seen, 0, sizeof(seen));
		ferry_pool_run(N, threads[t], count, seen);
		for (i = 0; i < N; i++)
			assert_int_equal(seen[i], 1);
	}
	ferry_pool_run(0, 4, count, seen); /* nothing to do */
}

/* Two tasks that each wait for the other: only parallel runs finish both. */
struct meet {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int arrived;
	int met[2];
};

static void rendezvous(void *ctx, size_t i)
{
	struct meet *m = ctx;
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&m->lock);
	m->arrived++;
	pthread_cond_broadcast(&m->cond);
	while (m->arrived < 2 && rc == 0)
		rc = pthread_cond_timedwait(&m->cond, &m->lock, &until);
	m->met[i] = m->arrived == 2;
	pthread_mutex_unlock(&m->lock);
}

static void test_tasks_run_in_parallel(void **state)
{
	struct meet m = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
			 0, {0, 0}};

	(void)state;
	ferry_pool_run(2, 2, rendezvous, &m);
	assert_true(m.met[0]);
	assert_true(m.met[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_task_once),
		cmocka_unit_test(test_tasks_run_in_parallel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
