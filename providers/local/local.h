/*
 * local.h - internals of the local provider, shared by its files. Private
 * to providers/local/.
 *
 *   local.c   the ops table: store, publish, activate, one-shot invoke
 *   warm.c    warm handler processes for `ferry serve` (invoke_warm)
 *   runner.js, runner.py  the embedded runners (one-shot and warm mode)
 */
#ifndef FERRY_PROVIDER_LOCAL_H
#define FERRY_PROVIDER_LOCAL_H

#include <ferry/buf.h>
#include <ferry/error.h>
#include <ferry/manifest.h>
#include <ferry/provider.h>

struct local_warm;

struct local {
	char *root;	/* owned; absolute store directory */
	char *service;	/* owned */
	char *stage;	/* owned */
	struct local_warm *warm;	/* owned; warm.c */
};

/* How to start the handler of one function version. */
struct local_run {
	struct ferry_strvec argv;	/* NULL after the last item */
	struct ferry_strvec env;	/* NULL after the last item */
	char *dir;		/* owned; the unpacked bundle, the cwd */
	char *handler;		/* owned; absolute handler file */
	const char *program;	/* static; "node", "python3", NULL: provided */
	char runtime[32];	/* "nodejs20" */
	unsigned memory;	/* MB */
	unsigned timeout;	/* s */
	unsigned long long as_limit;	/* RLIMIT_AS, bytes */
};

/*
 * Load version `v` of fn, unpack its bundle once and fill `r` with the
 * command that runs it; with `warm`, the runner's warm mode (requests on
 * stdin, results on descriptor 3). FERRY_ENOTFOUND for a missing version
 * or artifact, FERRY_ECONFIG for a runtime local cannot run. `r` is
 * zeroed first and needs local_run_release() either way.
 */
int local_run_prepare(struct local_run *r, struct ferry_provider *p,
		      const struct ferry_function *fn,
		      const struct ferry_version *v, int warm,
		      struct ferry_error *err);
void local_run_release(struct local_run *r);

/* The ops of local.c that warm.c builds on. */
int local_invoke(struct ferry_provider *p, const struct ferry_function *fn,
		 const struct ferry_version *v, const struct ferry_buf *event,
		 struct ferry_buf *result, struct ferry_error *err);

/* warm.c */
struct local_warm *local_warm_new(void);
void local_warm_free(struct local_warm *w);
int local_invoke_warm(struct ferry_provider *p,
		      const struct ferry_function *fn,
		      const struct ferry_version *v,
		      const struct ferry_buf *event, struct ferry_buf *result,
		      struct ferry_error *err);
void local_stop_warm(struct ferry_provider *p);

#endif
