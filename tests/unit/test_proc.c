/*
 * test_proc.c - core/proc.c: exit status, stdin and stdout, timeouts that
 * kill the whole process group, the address-space limit, and errors for
 * programs that do not exist.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ferry/proc.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run(struct ferry_proc_result *r, const char *const *argv,
	       const char *input, unsigned timeout_ms,
	       unsigned long long as_limit, struct ferry_error *err)
{
	struct ferry_proc_opts o = { 0 };

	o.argv = argv;
	o.stdin_data = input;
	o.stdin_len = input ? strlen(input) : 0;
	o.timeout_ms = timeout_ms;
	o.as_limit = as_limit;
	ferry_proc_result_init(r);
	ferry_error_init(err);
	return ferry_proc_run(r, &o, err);
}

static void test_exit_status(void **state)
{
	const char *argv[] = { "sh", "-c", "exit 7", NULL };
	struct ferry_proc_result r;
	struct ferry_error err;

	(void)state;
	assert_int_equal(run(&r, argv, NULL, 0, 0, &err), 0);
	assert_int_equal(r.exited, 1);
	assert_int_equal(r.status, 7);
	assert_int_equal(r.timed_out, 0);
	ferry_proc_result_release(&r);
}

static void test_stdin_to_stdout(void **state)
{
	const char *argv[] = { "sh", "-c", "tr a-z A-Z; echo oops >&2", NULL };
	struct ferry_proc_result r;
	struct ferry_error err;

	(void)state;
	assert_int_equal(run(&r, argv, "hello ferry\n", 0, 0, &err), 0);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out.buf, "HELLO FERRY\n");
	assert_string_equal(r.errout.buf, "oops\n");
	ferry_proc_result_release(&r);
}

/* More input than a pipe holds, echoed back: no deadlock. */
static void test_large_stdin(void **state)
{
	const char *argv[] = { "cat", NULL };
	struct ferry_proc_result r;
	struct ferry_error err;
	size_t n = 1 << 20;
	char *big = malloc(n + 1);

	(void)state;
	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	assert_int_equal(run(&r, argv, big, 10000, 0, &err), 0);
	assert_int_equal(r.out.len, n);
	assert_memory_equal(r.out.buf, big, n);
	free(big);
	ferry_proc_result_release(&r);
}

/* A program that ignores its input must not kill us with SIGPIPE. */
static void test_child_ignores_stdin(void **state)
{
	const char *argv[] = { "true", NULL };
	struct ferry_proc_result r;
	struct ferry_error err;
	size_t n = 4 << 20;
	char *big = malloc(n + 1);

	(void)state;
	assert_non_null(big);
	memset(big, 'y', n);
	big[n] = '\0';
	assert_int_equal(run(&r, argv, big, 10000, 0, &err), 0);
	assert_int_equal(r.exited, 1);
	assert_int_equal(r.status, 0);
	free(big);
	ferry_proc_result_release(&r);
}

static int pid_alive(pid_t pid)
{
	char path[64], state = 0;
	FILE *f;
	int alive = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	/* a zombie (not yet reaped by init) counts as gone */
	if (fscanf(f, "%*d %*s %c", &state) == 1)
		alive = state != 'Z';
	fclose(f);
	return alive;
}

/* The timeout kills the child and the grandchild it started. */
static void test_timeout_kills_group(void **state)
{
	const char *argv[] = { "sh", "-c",
			       "sleep 30 & echo $!; wait", NULL };
	struct ferry_proc_result r;
	struct ferry_error err;
	long long t0 = now_ms(), took;
	long grandchild;
	int i;

	(void)state;
	assert_int_equal(run(&r, argv, NULL, 500, 0, &err), 0);
	took = now_ms() - t0;
	assert_int_equal(r.timed_out, 1);
	assert_int_equal(r.exited, 0);
	assert_int_equal(r.status, SIGKILL);
	assert_true(took >= 450);
	assert_true(took < 5000);
	grandchild = strtol(r.out.buf, NULL, 10);
	assert_true(grandchild > 1);
	for (i = 0; i < 100 && pid_alive((pid_t)grandchild); i++)
		usleep(20000);
	assert_false(pid_alive((pid_t)grandchild));
	ferry_proc_result_release(&r);
}

/* A background child that keeps stdout open does not hold us up. */
static void test_leftover_background_child(void **state)
{
	const char *argv[] = { "sh", "-c", "sleep 30 & echo done", NULL };
	struct ferry_proc_result r;
	struct ferry_error err;
	long long t0 = now_ms();

	(void)state;
	assert_int_equal(run(&r, argv, NULL, 20000, 0, &err), 0);
	assert_true(now_ms() - t0 < 5000);
	assert_int_equal(r.timed_out, 0);
	assert_int_equal(r.exited, 1);
	assert_string_equal(r.out.buf, "done\n");
	ferry_proc_result_release(&r);
}

static int python_available(void)
{
	const char *argv[] = { "python3", "-c", "pass", NULL };
	struct ferry_proc_result r;
	struct ferry_error err;
	int ok;

	ok = run(&r, argv, NULL, 10000, 0, &err) == 0 && r.exited &&
		r.status == 0;
	ferry_proc_result_release(&r);
	return ok;
}

/* Under RLIMIT_AS a large allocation fails; without it, it succeeds. */
static void test_as_limit(void **state)
{
	const char *argv[] = { "python3", "-c",
			       "b = bytearray(400 * 1024 * 1024); print(len(b))",
			       NULL };
	struct ferry_proc_result r;
	struct ferry_error err;

	(void)state;
	assert_true(python_available());
	assert_int_equal(run(&r, argv, NULL, 20000, 256ull << 20, &err), 0);
	assert_int_equal(r.exited, 1);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.errout.buf, "MemoryError"));
	ferry_proc_result_release(&r);

	assert_int_equal(run(&r, argv, NULL, 20000, 0, &err), 0);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out.buf, "419430400\n");
	ferry_proc_result_release(&r);
}

static void test_missing_program(void **state)
{
	const char *argv[] = { "ferry-no-such-program-xyz", NULL };
	struct ferry_proc_result r;
	struct ferry_error err;

	(void)state;
	assert_int_equal(run(&r, argv, NULL, 0, 0, &err), FERRY_ENOTFOUND);
	assert_non_null(strstr(err.msg, "ferry-no-such-program-xyz"));
	ferry_proc_result_release(&r);
}

/* A missing working directory is not a missing program. */
static void test_missing_cwd(void **state)
{
	const char *argv[] = { "true", NULL };
	struct ferry_proc_opts o = { 0 };
	struct ferry_proc_result r;
	struct ferry_error err;

	(void)state;
	o.argv = argv;
	o.cwd = "/nonexistent/ferry-dir";
	ferry_proc_result_init(&r);
	ferry_error_init(&err);
	assert_int_equal(ferry_proc_run(&r, &o, &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "cannot run 'true' in "
			       "'/nonexistent/ferry-dir'"));
	ferry_proc_result_release(&r);
}

static void test_env_and_cwd(void **state)
{
	const char *argv[] = { "sh", "-c", "echo \"$GREETING\"; pwd", NULL };
	const char *envp[] = { "PATH=/usr/bin:/bin", "GREETING=hi there", NULL };
	struct ferry_proc_opts o = { 0 };
	struct ferry_proc_result r;
	struct ferry_error err;

	(void)state;
	o.argv = argv;
	o.envp = envp;
	o.cwd = "/";
	ferry_proc_result_init(&r);
	ferry_error_init(&err);
	assert_int_equal(ferry_proc_run(&r, &o, &err), 0);
	assert_string_equal(r.out.buf, "hi there\n/\n");
	ferry_proc_result_release(&r);
}

/* Descriptors of the parent (here: a pipe without CLOEXEC) are closed. */
static void test_other_fds_closed(void **state)
{
	const char *argv[] = { "sh", "-c", "ls /proc/self/fd | wc -l", NULL };
	struct ferry_proc_result r;
	struct ferry_error err;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(run(&r, argv, NULL, 5000, 0, &err), 0);
	/* 0, 1, 2, and the one `ls` opens for the directory */
	assert_int_equal(strtol(r.out.buf, NULL, 10), 4);
	close(fds[0]);
	close(fds[1]);
	ferry_proc_result_release(&r);
}

/* When ferry dies (kill -9, Ctrl-C), the program it runs dies with it. */
static void test_dies_with_parent(void **state)
{
	char path[] = "/tmp/ferry-proc-XXXXXX";
	const char *argv[] = { "sh", "-c", "echo $$ > \"$0\"; exec sleep 30",
			       path, NULL };
	struct ferry_proc_result r;
	struct ferry_error err;
	long prog = 0;
	pid_t runner;
	FILE *f;
	int fd, i;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	runner = fork();
	assert_true(runner >= 0);
	if (runner == 0) {
		run(&r, argv, NULL, 60000, 0, &err);
		_exit(0);
	}
	for (i = 0; i < 500 && prog <= 0; i++) {
		usleep(10000);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%ld", &prog) != 1)
				prog = 0;
			fclose(f);
		}
	}
	assert_true(prog > 1);
	assert_true(pid_alive((pid_t)prog));
	kill(runner, SIGKILL);
	waitpid(runner, NULL, 0);
	for (i = 0; i < 250 && pid_alive((pid_t)prog); i++)
		usleep(20000);
	assert_false(pid_alive((pid_t)prog));
	unlink(path);
}

static void test_output_cap(void **state)
{
	const char *argv[] = { "sh", "-c", "head -c 100000 /dev/zero", NULL };
	struct ferry_proc_opts o = { 0 };
	struct ferry_proc_result r;
	struct ferry_error err;

	(void)state;
	o.argv = argv;
	o.output_max = 1000;
	ferry_proc_result_init(&r);
	ferry_error_init(&err);
	assert_int_equal(ferry_proc_run(&r, &o, &err), 0);
	assert_int_equal(r.out.len, 1000);
	assert_int_equal(r.status, 0);
	ferry_proc_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_stdin_to_stdout),
		cmocka_unit_test(test_large_stdin),
		cmocka_unit_test(test_child_ignores_stdin),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_leftover_background_child),
		cmocka_unit_test(test_as_limit),
		cmocka_unit_test(test_missing_program),
		cmocka_unit_test(test_missing_cwd),
		cmocka_unit_test(test_env_and_cwd),
		cmocka_unit_test(test_other_fds_closed),
		cmocka_unit_test(test_dies_with_parent),
		cmocka_unit_test(test_output_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
