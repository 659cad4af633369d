/*
 * warm.c - warm handler processes of the local provider, for the HTTP
 * gateway (`ferry serve`): invoke_warm() keeps a function's runner
 * running between calls instead of starting one per call.
 *
 * A process runs one version of one function and answers one request at a
 * time (the runners' warm mode, see runner.js): a request is one line on
 * its stdin, {"deadline": MS, "event": E}; the answer one line on its
 * descriptor 3. A call takes an idle process of the version, or starts one
 * while the function has fewer than WARM_MAX_PER_FN, or waits for one to
 * become idle. Processes of the function's other versions (the live
 * release changed) are stopped: idle ones at once, busy ones when their
 * call returns. A timed-out, crashed or exiting process is stopped and
 * replaced by the next call. The memory cap (RLIMIT_AS) is set when the
 * process starts, as for a one-shot invoke; the timeout is per call.
 *
 * It does not route HTTP requests or shape events: cli/cmd_serve.c and
 * core/gateway.c do. `provided` executables have no warm mode: each call
 * runs them once (local_invoke).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ferry/cancel.h"
#include "ferry/json.h"
#include "ferry/log.h"
#include "ferry/proc.h"

#include "local.h"

/* Processes per function (and version) when calls overlap. */
#define WARM_MAX_PER_FN 4
/* Longest answer line a handler may give (Lambda's limit is 6 MB). */
#define ANSWER_MAX (64u << 20)

struct warm_proc {
	char *fn;		/* owned; function name */
	char *version;		/* owned; ferry_version.id */
	struct ferry_proc_child child;	/* pid -1 while starting */
	struct ferry_buf in;	/* what was read after the last answer */
	unsigned timeout;	/* s */
	unsigned memory;	/* MB */
	int busy;
	int stale;		/* stop it when its call returns */
};

struct local_warm {
	pthread_mutex_t lock;	/* guards everything below */
	pthread_cond_t idle;	/* a process became idle or went away */
	struct warm_proc **items;	/* owned */
	size_t nr, alloc;
	atomic_int stopping;	/* stop_warm() was called */
};

static int oom(struct ferry_error *err)
{
	return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
}

static long long now_ms(int realtime)
{
	struct timespec ts;

	clock_gettime(realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct local_warm *local_warm_new(void)
{
	struct local_warm *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->idle, NULL);
	atomic_init(&w->stopping, 0);
	return w;
}

/* Stop a process detached from the pool and free it. */
static void proc_free(struct warm_proc *wp)
{
	if (!wp)
		return;
	if (wp->child.pid > 0)
		ferry_debug("local: stopping process %d of function '%s'",
			    wp->child.pid, wp->fn);
	ferry_proc_child_stop(&wp->child, NULL, NULL);
	ferry_buf_release(&wp->in);
	free(wp->fn);
	free(wp->version);
	free(wp);
}

/* Remove item i from the pool (under the lock); the caller frees it. */
static struct warm_proc *detach(struct local_warm *w, size_t i)
{
	struct warm_proc *wp = w->items[i];

	w->items[i] = w->items[--w->nr];
	return wp;
}

static void detach_proc(struct local_warm *w, struct warm_proc *wp)
{
	size_t i;

	for (i = 0; i < w->nr; i++)
		if (w->items[i] == wp) {
			detach(w, i);
			return;
		}
}

void local_warm_free(struct local_warm *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->nr; i++)
		proc_free(w->items[i]);
	free(w->items);
	pthread_cond_destroy(&w->idle);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void local_stop_warm(struct ferry_provider *p)
{
	struct local *l = p->data;
	struct local_warm *w = l ? l->warm : NULL;
	struct warm_proc **gone = NULL;
	size_t i, n = 0;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->stopping, 1);
	gone = calloc(w->nr ? w->nr : 1, sizeof(*gone));
	for (i = w->nr; i-- > 0;) {
		if (w->items[i]->busy)
			w->items[i]->stale = 1;
		else if (gone)
			gone[n++] = detach(w, i);
	}
	pthread_cond_broadcast(&w->idle);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < n; i++)
		proc_free(gone[i]);
	free(gone);
}

static int stopped(struct local_warm *w, struct ferry_error *err)
{
	if (atomic_load(&w->stopping) || ferry_cancelled())
		return ferry_error_set(err, FERRY_EINTR, "interrupted");
	return 0;
}

/*
 * Take an idle process of (fn, version), or reserve a new one (*fresh,
 * child.pid -1) that the caller starts, waiting while the function has
 * WARM_MAX_PER_FN busy ones. Processes of fn's other versions are stopped.
 */
static int acquire(struct warm_proc **out, int *fresh, struct local_warm *w,
		   const char *fn, const char *version,
		   struct ferry_error *err)
{
	struct warm_proc *wp = NULL, **grown;
	struct warm_proc *old[WARM_MAX_PER_FN * 2];
	size_t i, n, nold = 0;
	struct timespec until;
	int rc = 0;

	*fresh = 0;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		rc = stopped(w, err);
		if (rc)
			break;
		n = 0;
		for (i = w->nr; i-- > 0;) {
			struct warm_proc *it = w->items[i];

			if (strcmp(it->fn, fn))
				continue;
			if (strcmp(it->version, version) || it->stale) {
				/* the live release moved on */
				it->stale = 1;
				if (!it->busy && nold < sizeof(old) / sizeof(*old))
					old[nold++] = detach(w, i);
				continue;
			}
			n++;
			if (!it->busy && !wp)
				wp = it;
		}
		if (wp) {
			wp->busy = 1;
			break;
		}
		if (n < WARM_MAX_PER_FN) {
			if (w->nr == w->alloc) {
				size_t alloc = w->alloc ? w->alloc * 2 : 8;

				grown = realloc(w->items, alloc * sizeof(*grown));
				if (!grown) {
					rc = oom(err);
					break;
				}
				w->items = grown;
				w->alloc = alloc;
			}
			wp = calloc(1, sizeof(*wp));
			if (wp) {
				wp->fn = ferry_strdup(fn);
				wp->version = ferry_strdup(version);
			}
			if (!wp || !wp->fn || !wp->version) {
				if (wp) {
					free(wp->fn);
					free(wp->version);
				}
				free(wp);
				wp = NULL;
				rc = oom(err);
				break;
			}
			wp->child.pid = wp->child.in = wp->child.out = -1;
			ferry_buf_init(&wp->in);
			wp->busy = 1;
			w->items[w->nr++] = wp;
			*fresh = 1;
			break;
		}
		/* all busy: wait, but notice Ctrl-C */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 100 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->idle, &w->lock, &until);
	}
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < nold; i++)
		proc_free(old[i]);
	if (!rc)
		*out = wp;
	return rc;
}

/* Give a process back: idle again, or stopped when `drop` or stale. */
static void release(struct local_warm *w, struct warm_proc *wp, int drop)
{
	pthread_mutex_lock(&w->lock);
	wp->busy = 0;
	if (drop || wp->stale || atomic_load(&w->stopping))
		detach_proc(w, wp);
	else
		wp = NULL;
	pthread_cond_broadcast(&w->idle);
	pthread_mutex_unlock(&w->lock);
	proc_free(wp);
}

static int start(struct warm_proc *wp, const struct local_run *run,
		 const struct ferry_function *fn, struct ferry_error *err)
{
	struct ferry_proc_opts o = { 0 };
	int rc;

	o.argv = (const char *const *)run->argv.items;
	o.envp = (const char *const *)run->env.items;
	o.cwd = run->dir;
	o.as_limit = run->as_limit;
	rc = ferry_proc_start(&wp->child, &o, err);
	if (rc == FERRY_ENOTFOUND) {
		ferry_error_clear(err);
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "function '%s' needs '%s' (runtime %s), "
				     "which is not installed or not in PATH",
				     fn->name, run->program, run->runtime);
	}
	if (rc)
		return rc;
	wp->timeout = run->timeout;
	wp->memory = run->memory;
	ferry_debug("local: started %s (pid %d) for function '%s' in %s",
		    run->program, wp->child.pid, fn->name, run->dir);
	return 0;
}

static int write_all(int fd, const char *s, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

enum answer { ANSWER_LINE, ANSWER_EOF, ANSWER_TIMEOUT, ANSWER_STOPPED };

/*
 * Read wp's next answer line into `line` (without the newline), until
 * `deadline` (monotonic ms), Ctrl-C or stop_warm().
 */
static enum answer read_answer(struct warm_proc *wp, struct local_warm *w,
			       long long deadline, struct ferry_buf *line)
{
	char chunk[65536];
	struct pollfd pfd;
	char *nl;
	long long left;
	ssize_t n;
	size_t len;

	for (;;) {
		nl = wp->in.len ? memchr(wp->in.buf, '\n', wp->in.len) : NULL;
		if (nl) {
			len = (size_t)(nl - wp->in.buf);
			if (ferry_buf_add(line, wp->in.buf, len))
				return ANSWER_EOF;
			memmove(wp->in.buf, nl + 1, wp->in.len - len - 1);
			ferry_buf_truncate(&wp->in, wp->in.len - len - 1);
			return ANSWER_LINE;
		}
		if (atomic_load(&w->stopping) || ferry_cancelled())
			return ANSWER_STOPPED;
		left = deadline - now_ms(0);
		if (left <= 0)
			return ANSWER_TIMEOUT;
		pfd.fd = wp->child.out;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, left < 100 ? (int)left : 100) < 0) {
			if (errno == EINTR)
				continue;
			return ANSWER_EOF;
		}
		if (!pfd.revents)
			continue;
		n = read(wp->child.out, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0 || wp->in.len + (size_t)n > ANSWER_MAX ||
		    ferry_buf_add(&wp->in, chunk, (size_t)n))
			return ANSWER_EOF;
	}
}

/* The error object of a process that ended without answering. */
static int crashed(struct warm_proc *wp, const struct ferry_function *fn,
		   struct ferry_buf *result, struct ferry_error *err)
{
	struct ferry_buf msg = FERRY_BUF_INIT;
	json_t *doc;
	int exited, status, rc;

	ferry_proc_child_stop(&wp->child, &exited, &status);
	if (exited)
		ferry_buf_addf(&msg, "exited with status %d", status);
	else
		ferry_buf_addf(&msg, "killed by signal %d (%s)%s", status,
			       strsignal(status), status == SIGKILL ||
			       status == SIGABRT || status == SIGSEGV ?
			       "; it may have run out of memory" : "");
	ferry_buf_addf(&msg, " (memory: %u MB)", wp->memory);
	doc = json_pack("{s:s, s:s, s:[]}", "errorType", "Runtime.ExitError",
			"errorMessage", msg.buf ? msg.buf : "",
			"stackTrace");
	if (doc)
		ferry_json_append(result, doc, JSON_COMPACT, NULL);
	while (result->len && result->buf[result->len - 1] == '\n')
		ferry_buf_truncate(result, result->len - 1);
	json_decref(doc);
	rc = ferry_error_set(err, FERRY_EFAIL,
			     "function '%s' failed: Runtime.ExitError: %s",
			     fn->name, msg.buf ? msg.buf : "");
	ferry_buf_release(&msg);
	return rc;
}

/*
 * Turn one answer line into the result (the handler's own JSON text) or
 * its error. *drop: the process is exiting or can no longer be trusted.
 */
static int parse_answer(const struct ferry_buf *line,
			const struct ferry_function *fn,
			struct ferry_buf *result, int *drop,
			struct ferry_error *err)
{
	struct ferry_buf msg = FERRY_BUF_INIT;
	json_t *doc, *stack, *it;
	const char *type, *text, *s, *end;
	size_t i;
	int rc = 0;

	doc = json_loadb(line->buf, line->len, 0, NULL);
	if (!json_is_object(doc)) {
		*drop = 1;
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "function '%s' failed: its runner's "
				     "answer is not JSON: %.200s", fn->name,
				     line->buf ? line->buf : "");
		goto out;
	}
	if (json_object_get(doc, "result")) {
		/* keep the handler's own text: {"result": TEXT} */
		s = line->buf + strlen("{\"result\":");
		end = line->buf + line->len;
		while (s < end && *s == ' ')
			s++;
		while (end > s && end[-1] != '}')
			end--;
		if (strncmp(line->buf, "{\"result\":", 10) || end <= s) {
			*drop = 1;
			rc = ferry_error_set(err, FERRY_EFAIL,
					     "function '%s' failed: its "
					     "runner's answer is malformed",
					     fn->name);
			goto out;
		}
		if (ferry_buf_add(result, s, (size_t)(end - 1 - s)))
			rc = oom(err);
		goto out;
	}
	if (json_is_true(json_object_get(doc, "exit")))
		*drop = 1;
	json_object_del(doc, "exit");
	type = json_string_value(json_object_get(doc, "errorType"));
	text = json_string_value(json_object_get(doc, "errorMessage"));
	ferry_buf_addf(&msg, "%s%s%s", type ? type : "Error",
		       text && *text ? ": " : "", text ? text : "");
	stack = json_object_get(doc, "stackTrace");
	json_array_foreach(stack, i, it)
		if (json_is_string(it))
			ferry_buf_addf(&msg, "\n    %s", json_string_value(it));
	if (ferry_json_append(result, doc, JSON_COMPACT, NULL) == 0)
		while (result->len && result->buf[result->len - 1] == '\n')
			ferry_buf_truncate(result, result->len - 1);
	rc = ferry_error_set(err, FERRY_EFAIL, "function '%s' failed: %s",
			     fn->name, msg.buf ? msg.buf : "");
out:
	ferry_buf_release(&msg);
	json_decref(doc);
	return rc;
}

/* The request line: {"deadline": MS, "event": E} on one line. */
static int request_line(struct ferry_buf *out, const struct ferry_buf *event,
			unsigned timeout, struct ferry_error *err)
{
	json_t *doc = NULL;
	char *text = NULL;
	int rc = 0;

	if (event && event->len) {
		doc = json_loadb(event->buf, event->len, JSON_DECODE_ANY, NULL);
		if (!doc)
			return ferry_error_set(err, FERRY_EFAIL,
					       "the event is not JSON");
	} else {
		doc = json_object();
	}
	text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	if (!text ||
	    ferry_buf_addf(out, "{\"deadline\":%lld,\"event\":%s}\n",
			   now_ms(1) + (long long)timeout * 1000, text))
		rc = oom(err);
	free(text);
	json_decref(doc);
	return rc;
}

int local_invoke_warm(struct ferry_provider *p,
		      const struct ferry_function *fn,
		      const struct ferry_version *v,
		      const struct ferry_buf *event, struct ferry_buf *result,
		      struct ferry_error *err)
{
	struct local *l = p->data;
	struct local_warm *w = l->warm;
	struct local_run run;
	struct warm_proc *wp = NULL;
	struct ferry_buf req = FERRY_BUF_INIT, line = FERRY_BUF_INIT;
	int fresh = 0, drop = 0, rc;

	memset(&run, 0, sizeof(run));
	if (!v)
		return ferry_error_set(err, FERRY_ENOTFOUND,
				       "local: function '%s' has no version to run",
				       fn->name);
	rc = acquire(&wp, &fresh, w, fn->name, v->id, err);
	if (rc)
		return rc;
	if (fresh) {
		rc = local_run_prepare(&run, p, fn, v, 1, err);
		if (!rc && !run.program) {
			/* `provided`: no warm mode, run it once */
			release(w, wp, 1);
			wp = NULL;
			local_run_release(&run);
			return local_invoke(p, fn, v, event, result, err);
		}
		if (!rc)
			rc = start(wp, &run, fn, err);
		if (rc) {
			drop = 1;
			goto out;
		}
	}
	rc = request_line(&req, event, wp->timeout, err);
	if (rc)
		goto out;
	if (write_all(wp->child.in, req.buf, req.len)) {
		drop = 1;
		rc = crashed(wp, fn, result, err);
		goto out;
	}
	switch (read_answer(wp, w, now_ms(0) + (long long)wp->timeout * 1000,
			    &line)) {
	case ANSWER_LINE:
		rc = parse_answer(&line, fn, result, &drop, err);
		break;
	case ANSWER_EOF:
		drop = 1;
		rc = crashed(wp, fn, result, err);
		break;
	case ANSWER_TIMEOUT:
		drop = 1;
		rc = ferry_error_set(err, FERRY_ETIMEOUT,
				     "function '%s' timed out after %u s "
				     "(timeout: %u in ferry.yaml)", fn->name,
				     wp->timeout, wp->timeout);
		break;
	case ANSWER_STOPPED:
		drop = 1;
		rc = ferry_error_set(err, FERRY_EINTR, "interrupted");
		break;
	}
out:
	if (wp)
		release(w, wp, drop);
	local_run_release(&run);
	ferry_buf_release(&req);
	ferry_buf_release(&line);
	return rc;
}
