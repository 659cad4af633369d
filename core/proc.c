/*
 * proc.c - run another program from an argv array (never a shell), feed its
 * standard input and collect its output through pipes driven by poll(),
 * enforce a wall-clock timeout (SIGKILL of the whole process group) and an
 * address-space limit (RLIMIT_AS, set in the child before exec).
 *
 * It does not interpret the output, stream it while the program runs, or
 * decide what an exit status means: callers look at the result.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ferry/cancel.h"
#include "ferry/proc.h"

#define DEFAULT_OUTPUT_MAX (64u << 20)

void ferry_proc_result_init(struct ferry_proc_result *r)
{
	r->exited = 0;
	r->status = 0;
	r->timed_out = 0;
	ferry_buf_init(&r->out);
	ferry_buf_init(&r->errout);
}

void ferry_proc_result_release(struct ferry_proc_result *r)
{
	if (!r)
		return;
	ferry_buf_release(&r->out);
	ferry_buf_release(&r->errout);
	r->exited = r->status = r->timed_out = 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Close every descriptor from `first` up, except `keep` (> first). */
static void close_other_fds(int first, int keep)
{
	long max = sysconf(_SC_OPEN_MAX);
	int fd;

	if (keep > first)
		close_range((unsigned)first, (unsigned)keep - 1, 0);
	if (close_range((unsigned)keep + 1, ~0u, 0) == 0)
		return;
	/* close_range unavailable (old kernel): close one by one */
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = first; fd < max; fd++)
		if (fd != keep)
			close(fd);
}

/* What the child was doing when it failed, reported with errno. */
enum { STEP_SETUP, STEP_CWD, STEP_EXEC };

/*
 * In the child: set up the process and exec. Only async-signal-safe calls;
 * on failure the errno is sent to the parent through `report`.
 */
static void child(const struct ferry_proc_opts *o, int in, int out, int errfd,
		  int report, const sigset_t *oldmask, pid_t parent, int extra)
{
	struct rlimit rl;
	int step[2] = { STEP_SETUP, 0 };
	int first = 3;

	setpgid(0, 0);
	/*
	 * Our own process group keeps the terminal's Ctrl-C away from the
	 * program, so die with ferry instead of running on as an orphan.
	 * PR_SET_PDEATHSIG fires when the forking *thread* ends, so a
	 * long-running child (extra >= 0, ferry_proc_start) goes without it
	 * and ends at EOF of its standard input instead.
	 */
	if (extra < 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if (extra >= 0) {
		/* move both out of the way of descriptor 3 */
		report = fcntl(report, F_DUPFD_CLOEXEC, 4);
		extra = fcntl(extra, F_DUPFD, 4);
		if (report < 0 || extra < 0)
			_exit(127);
	}
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		goto fail;
	if (report <= 2) {
		/* cannot happen: 0..2 were open when the pipes were made */
		goto fail;
	}
	if (extra >= 0) {
		if (dup2(extra, 3) < 0)
			goto fail;
		first = 4;
	}
	close_other_fds(first, report);
	step[0] = STEP_CWD;
	if (o->cwd && chdir(o->cwd) < 0)
		goto fail;
	step[0] = STEP_SETUP;
	if (o->as_limit) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)o->as_limit;
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			goto fail;
	}
	step[0] = STEP_EXEC;
	if (o->envp)
		execvpe(o->argv[0], (char *const *)o->argv,
			(char *const *)o->envp);
	else
		execvp(o->argv[0], (char *const *)o->argv);
fail:
	step[1] = errno;
	if (write(report, step, sizeof(step)) < 0)
		_exit(127);
	_exit(127);
}

/*
 * Did the child's exec succeed? The child writes {step, errno} to the
 * report pipe when a step before exec fails; the pipe closes on exec
 * (CLOEXEC). Reads and closes *report; on failure reaps the child and
 * returns the error (FERRY_ENOTFOUND for a missing program).
 */
static int exec_report(int *report, pid_t pid,
		       const struct ferry_proc_opts *opts,
		       struct ferry_error *err)
{
	int failed[2] = { 0, 0 }, wstatus;
	ssize_t n;

	do {
		n = read(*report, failed, sizeof(failed));
	} while (n < 0 && errno == EINTR);
	close_fd(report);
	if (n != (ssize_t)sizeof(failed))
		return 0;
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	if (failed[0] == STEP_CWD)
		return ferry_error_errno(err, FERRY_EFAIL, failed[1],
					 "cannot run '%s' in '%s'",
					 opts->argv[0], opts->cwd);
	return ferry_error_errno(err, failed[0] == STEP_EXEC &&
				 failed[1] == ENOENT ?
				 FERRY_ENOTFOUND : FERRY_EFAIL,
				 failed[1], "cannot run '%s'", opts->argv[0]);
}

/* Append what is readable on *fd to b (up to max); close *fd at EOF. */
static void drain(int *fd, struct ferry_buf *b, size_t max, int *nomem)
{
	char chunk[65536];
	ssize_t n;
	size_t take;

	n = read(*fd, chunk, sizeof(chunk));
	if (n < 0) {
		if (errno != EINTR && errno != EAGAIN)
			close_fd(fd);
		return;
	}
	if (n == 0) {
		close_fd(fd);
		return;
	}
	take = (size_t)n;
	if (b->len >= max)
		return;	/* over the cap: keep draining, drop the rest */
	if (take > max - b->len)
		take = max - b->len;
	if (ferry_buf_add(b, chunk, take))
		*nomem = 1;
}

int ferry_proc_run(struct ferry_proc_result *out,
		   const struct ferry_proc_opts *opts, struct ferry_error *err)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int prep[2] = { -1, -1 };
	sigset_t block, oldmask;
	size_t max = opts->output_max ? opts->output_max : DEFAULT_OUTPUT_MAX;
	size_t written = 0;
	long long deadline = 0;
	pid_t pid = -1, parent = getpid();
	int rc = 0, reaped = 0, wstatus = 0, nomem = 0, cancelled = 0;
	int masked = 0, sigpipe_was_pending;
	sigset_t pending;
	ssize_t n;

	if (!opts->argv || !opts->argv[0] || !opts->argv[0][0])
		return ferry_error_set(err, FERRY_EFAIL, "no program to run");

	/*
	 * Writing to a child that closed its standard input must not kill us
	 * with SIGPIPE: block it while we run, and drop one we caused.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGPIPE);
	sigpending(&pending);
	sigpipe_was_pending = sigismember(&pending, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &block, &oldmask) == 0)
		masked = 1;

	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 ||
	    pipe2(perr, O_CLOEXEC) < 0 || pipe2(prep, O_CLOEXEC) < 0) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot create pipes for '%s'",
				       opts->argv[0]);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot start '%s'", opts->argv[0]);
		goto out;
	}
	if (pid == 0)
		child(opts, pin[0], pout[1], perr[1], prep[1], &oldmask,
		      parent, -1);

	/* Also here, so that a kill of the group never races the child. */
	setpgid(pid, pid);
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	close_fd(&prep[1]);

	rc = exec_report(&prep[0], pid, opts, err);
	if (rc) {
		pid = -1;
		goto out;
	}

	fcntl(pin[1], F_SETFL, fcntl(pin[1], F_GETFL) | O_NONBLOCK);
	if (!opts->stdin_len)
		close_fd(&pin[1]);
	if (opts->timeout_ms)
		deadline = now_ms() + opts->timeout_ms;

	while (pout[0] >= 0 || perr[0] >= 0 || !reaped) {
		struct pollfd fds[3];
		nfds_t nfds = 0;
		int wait_ms = 100, idx_in = -1, idx_out = -1, idx_err = -1;

		if (!reaped) {
			siginfo_t si;

			si.si_pid = 0;
			if (waitid(P_PID, (id_t)pid, &si,
				   WEXITED | WNOHANG | WNOWAIT) == 0 &&
			    si.si_pid == pid) {
				/*
				 * The program is done: whatever it left
				 * behind in its group goes too, so that no
				 * background child keeps our pipes open. The
				 * unreaped zombie keeps the group id ours.
				 */
				kill(-pid, SIGKILL);
				while (waitpid(pid, &wstatus, 0) < 0 &&
				       errno == EINTR)
					;
				reaped = 1;
			}
		}
		if (deadline && !out->timed_out && now_ms() >= deadline) {
			out->timed_out = 1;
			kill(-pid, SIGKILL);
		}
		if (ferry_cancelled() && !cancelled) {
			cancelled = 1;	/* Ctrl-C: the program goes too */
			kill(-pid, SIGKILL);
		}
		if ((out->timed_out || cancelled) && reaped)
			break;
		if (pout[0] < 0 && perr[0] < 0) {
			if (reaped)
				break;
			wait_ms = 5;
		}
		if (deadline && !out->timed_out) {
			long long left = deadline - now_ms();

			if (left < wait_ms)
				wait_ms = left < 0 ? 0 : (int)left;
		}
		if (pin[1] >= 0) {
			idx_in = (int)nfds;
			fds[nfds].fd = pin[1];
			fds[nfds++].events = POLLOUT;
		}
		if (pout[0] >= 0) {
			idx_out = (int)nfds;
			fds[nfds].fd = pout[0];
			fds[nfds++].events = POLLIN;
		}
		if (perr[0] >= 0) {
			idx_err = (int)nfds;
			fds[nfds].fd = perr[0];
			fds[nfds++].events = POLLIN;
		}
		if (poll(fds, nfds, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			rc = ferry_error_errno(err, FERRY_EFAIL, errno,
					       "cannot wait for '%s'",
					       opts->argv[0]);
			kill(-pid, SIGKILL);
			break;
		}
		if (idx_in >= 0 && fds[idx_in].revents) {
			if (fds[idx_in].revents & (POLLERR | POLLHUP)) {
				close_fd(&pin[1]);
			} else {
				n = write(pin[1], (const char *)opts->stdin_data +
					  written, opts->stdin_len - written);
				if (n > 0)
					written += (size_t)n;
				else if (n < 0 && errno != EAGAIN &&
					 errno != EINTR)
					close_fd(&pin[1]);
				if (written == opts->stdin_len)
					close_fd(&pin[1]);
			}
		}
		if (idx_out >= 0 && fds[idx_out].revents)
			drain(&pout[0], &out->out, max, &nomem);
		if (idx_err >= 0 && fds[idx_err].revents)
			drain(&perr[0], &out->errout, max, &nomem);
	}
	if (!reaped) {
		while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
			;
		reaped = 1;
	}
	pid = -1;
	if (WIFEXITED(wstatus)) {
		out->exited = 1;
		out->status = WEXITSTATUS(wstatus);
	} else if (WIFSIGNALED(wstatus)) {
		out->exited = 0;
		out->status = WTERMSIG(wstatus);
	}
	if (!rc && cancelled)
		rc = ferry_error_set(err, FERRY_EINTR,
				     "interrupted while '%s' was running",
				     opts->argv[0]);
	if (!rc && nomem)
		rc = ferry_error_set(err, FERRY_ENOMEM,
				     "out of memory collecting the output of '%s'",
				     opts->argv[0]);
out:
	if (pid > 0) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
			;
	}
	close_fd(&pin[0]);
	close_fd(&pin[1]);
	close_fd(&pout[0]);
	close_fd(&pout[1]);
	close_fd(&perr[0]);
	close_fd(&perr[1]);
	close_fd(&prep[0]);
	close_fd(&prep[1]);
	if (masked) {
		struct timespec zero = { 0, 0 };

		sigpending(&pending);
		if (!sigpipe_was_pending && sigismember(&pending, SIGPIPE))
			sigtimedwait(&block, NULL, &zero);
		pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	}
	return rc;
}

int ferry_proc_start(struct ferry_proc_child *out,
		     const struct ferry_proc_opts *opts, struct ferry_error *err)
{
	int pin[2] = { -1, -1 }, pres[2] = { -1, -1 }, prep[2] = { -1, -1 };
	int rc = 0;
	sigset_t none;
	pid_t pid, parent = getpid();

	if (!opts->argv || !opts->argv[0] || !opts->argv[0][0])
		return ferry_error_set(err, FERRY_EFAIL, "no program to run");
	sigemptyset(&none);
	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pres, O_CLOEXEC) < 0 ||
	    pipe2(prep, O_CLOEXEC) < 0) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot create pipes for '%s'",
				       opts->argv[0]);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot start '%s'", opts->argv[0]);
		goto out;
	}
	if (pid == 0)
		child(opts, pin[0], STDERR_FILENO, STDERR_FILENO, prep[1],
		      &none, parent, pres[1]);
	setpgid(pid, pid);
	close_fd(&pin[0]);
	close_fd(&pres[1]);
	close_fd(&prep[1]);
	rc = exec_report(&prep[0], pid, opts, err);
	if (rc)
		goto out;
	out->pid = pid;
	out->in = pin[1];
	out->out = pres[0];
	pin[1] = pres[0] = -1;
out:
	close_fd(&pin[0]);
	close_fd(&pin[1]);
	close_fd(&pres[0]);
	close_fd(&pres[1]);
	close_fd(&prep[0]);
	close_fd(&prep[1]);
	return rc;
}

void ferry_proc_child_stop(struct ferry_proc_child *c, int *exited,
			   int *status)
{
	int wstatus = 0;

	if (exited)
		*exited = 0;
	if (status)
		*status = 0;
	if (!c)
		return;
	close_fd(&c->in);
	close_fd(&c->out);
	if (c->pid <= 0)
		return;
	/* the unreaped child keeps the group id ours: no race with reuse */
	kill(-c->pid, SIGKILL);
	while (waitpid(c->pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	c->pid = -1;
	if (WIFEXITED(wstatus)) {
		if (exited)
			*exited = 1;
		if (status)
			*status = WEXITSTATUS(wstatus);
	} else if (WIFSIGNALED(wstatus) && status) {
		*status = WTERMSIG(wstatus);
	}
}
