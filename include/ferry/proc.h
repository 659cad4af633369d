/*
 * proc.h - the one way libferry runs another program: an argv array, never
 * a shell.
 *
 * ferry_proc_run() starts `argv[0]` (looked up in PATH when it has no '/'),
 * feeds `stdin_data` to its standard input, collects standard output and
 * standard error, and waits. It enforces a wall-clock timeout by killing the
 * whole process group (SIGKILL) and an address-space limit (RLIMIT_AS) set in
 * the child before exec.
 */
#ifndef FERRY_PROC_H
#define FERRY_PROC_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

struct ferry_proc_opts {
	const char *const *argv;	/* borrowed, NULL-terminated */
	const char *const *envp;	/* borrowed; NULL: inherit environ */
	const char *cwd;		/* borrowed; NULL: current directory */
	const void *stdin_data;		/* borrowed; may be NULL */
	size_t stdin_len;
	unsigned timeout_ms;		/* 0: no timeout */
	unsigned long long as_limit;	/* RLIMIT_AS in bytes; 0: none */
	size_t output_max;		/* cap on each captured stream; 0: 64 MiB */
};

struct ferry_proc_result {
	int exited;		/* 1 if the child exited normally */
	int status;		/* exit status, or the signal number if !exited */
	int timed_out;		/* 1 if ferry killed it after timeout_ms */
	struct ferry_buf out;	/* captured stdout (owned) */
	struct ferry_buf errout;/* captured stderr (owned) */
};

void ferry_proc_result_init(struct ferry_proc_result *r);
void ferry_proc_result_release(struct ferry_proc_result *r);

/*
 * Run a process to completion. Returns 0 when the process was started and
 * waited for (whatever its exit status: inspect `out`), FERRY_ENOTFOUND when
 * the program does not exist, FERRY_EFAIL on other start-up failures, and
 * FERRY_EINTR when cancellation was requested (ferry/cancel.h) while it ran:
 * the process group is killed first.
 * `out` must be initialised by the caller.
 */
int ferry_proc_run(struct ferry_proc_result *out,
		   const struct ferry_proc_opts *opts, struct ferry_error *err);

/* A program started by ferry_proc_start() that keeps running. */
struct ferry_proc_child {
	int pid;	/* its process (and process group) id; -1: none */
	int in;		/* owned; write end of its standard input, or -1 */
	int out;	/* owned; read end of its descriptor 3, or -1 */
};

/*
 * Start a program that serves several requests: like ferry_proc_run()
 * (argv, envp, cwd, own process group, RLIMIT_AS) but return once it
 * runs. Its standard input is a pipe written through out->in, its
 * descriptor 3 a pipe read through out->out (both close-on-exec here),
 * and its standard output and error are ferry's standard error.
 * stdin_data, timeout_ms and output_max are ignored: the caller times its
 * requests. The child does not die with the thread that started it, so it
 * should exit at EOF of its standard input (when ferry exits or closes
 * out->in). Writing to a child that exited raises SIGPIPE: the caller
 * ignores it (the CLI does). Returns 0 (out filled), FERRY_ENOTFOUND when
 * the program does not exist, FERRY_EFAIL on other start-up failures.
 */
int ferry_proc_start(struct ferry_proc_child *out,
		     const struct ferry_proc_opts *opts, struct ferry_error *err);

/*
 * Kill the child's process group (SIGKILL), close both pipes and reap it;
 * c->pid becomes -1. A child that had exited on its own gives its real
 * status: *exited 1 and the exit status, or *exited 0 and the signal
 * number (either pointer may be NULL). Accepts a stopped child.
 */
void ferry_proc_child_stop(struct ferry_proc_child *c, int *exited,
			   int *status);

#endif
