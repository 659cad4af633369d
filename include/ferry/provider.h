/*
 * provider.h - the interface every deployment target implements.
 *
 * A provider implements primitives only: an object store (put/get/list/del
 * of keys such as "<service>/<stage>/releases/3.json") and a few function
 * operations. The release engine (core/release.c) builds deploy, rollback,
 * locking and pruning on top of them once, for every provider.
 *
 * Each provider exports exactly one `const struct ferry_provider_ops`
 * (designated initializers; optional slots NULL) and providers/registry.c
 * lists them. Providers include only <ferry/...> headers and never print:
 * they report through ferry_log() and `struct ferry_error`. Provider errors
 * name the provider, and for remote APIs the HTTP status, API error code and
 * request id.
 */
#ifndef FERRY_PROVIDER_H
#define FERRY_PROVIDER_H

#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "manifest.h"

enum ferry_provider_caps {
	FERRY_CAP_URL = 1u << 0,		/* http events get a URL */
	FERRY_CAP_LOGS = 1u << 1,		/* logs() is implemented */
	FERRY_CAP_PER_APP_BUNDLE = 1u << 2,	/* one bundle per service (Azure) */
	FERRY_CAP_LOCAL_INVOKE = 1u << 3,	/* invoke runs on this machine */
	/*
	 * put, get, list, publish and activate may run on several threads
	 * at once (for different functions): the release engine then
	 * deploys and rolls back functions concurrently.
	 */
	FERRY_CAP_CONCURRENT = 1u << 4,
};

/* Bytes to store: in memory (`data`) or a file on disk (`path`). */
struct ferry_blob {
	const void *data;	/* borrowed; used when path is NULL */
	size_t len;
	const char *path;	/* borrowed; file to read instead of data */
};

/* A bundle already stored under `key` in the provider's store. */
struct ferry_artifact {
	const char *sha256;	/* borrowed; hex */
	const char *key;	/* borrowed; "<service>/artifacts/<sha256>.zip" */
	const char *path;	/* borrowed; the local zip file */
	uint64_t size;
	const char *config_hash;	/* borrowed; ferry_function_config_hash() */
	unsigned release;	/* the release number this deploy expects to
				 * record (for version descriptions); 0 when
				 * unknown */
};

/* The provider's handle of one published function version. */
struct ferry_version {
	char id[512];	/* Lambda version, revision name, blob URL, store key */
};

struct ferry_log_query {
	const char *since;	/* borrowed; "10m", "1h"; NULL: provider default */
	int follow;
};

struct ferry_provider;

struct ferry_provider_ops {
	const char *name;	/* "local", "aws", "gcp", "azure" */
	unsigned caps;		/* FERRY_CAP_* */

	/* Set up p->data from cfg (credentials, endpoints). Required. */
	int (*open)(struct ferry_provider *p, const struct ferry_config *cfg,
		    struct ferry_error *err);
	/* Free p->data. Required; must accept a provider whose open failed. */
	void (*close)(struct ferry_provider *p);

	/*
	 * Object store. Keys use '/' separators and never start with '/'.
	 * put: with `if_absent`, fail with FERRY_EEXIST when the key exists
	 *      (create-if-absent, atomic with respect to other writers);
	 *      otherwise replace atomically (readers see old or new, never a mix).
	 * get: append the content to `out`; FERRY_ENOTFOUND when absent.
	 * list: append every key that starts with `prefix` (any depth), in
	 *      any order.
	 * del: delete a key; deleting a missing key is not an error.
	 */
	int (*put)(struct ferry_provider *p, const char *key,
		   const struct ferry_blob *data, int if_absent,
		   struct ferry_error *err);
	int (*get)(struct ferry_provider *p, const char *key,
		   struct ferry_buf *out, struct ferry_error *err);
	int (*list)(struct ferry_provider *p, const char *prefix,
		    struct ferry_strvec *out, struct ferry_error *err);
	int (*del)(struct ferry_provider *p, const char *key,
		   struct ferry_error *err);
	/*
	 * Optional: 1 when `key` exists, 0 when not, or an error; one cheap
	 * request (S3 HEAD) where list() would page. NULL: list() is used.
	 */
	int (*exists)(struct ferry_provider *p, const char *key,
		      struct ferry_error *err);

	/*
	 * Functions.
	 * publish: make `a` (already in the store) runnable as `fn` with fn's
	 *      configuration, without sending traffic to it; fill `out` with
	 *      the version handle that activate() and invoke() take later.
	 * activate: point fn's live traffic at `v` (deploy and rollback).
	 * remove: delete everything the provider created for fn (not the store).
	 * invoke: run fn with `event` (JSON) and append its JSON result to
	 *      `result`. `v` is the live version from the release record (NULL
	 *      when the provider invokes its own live alias). A handler error is
	 *      FERRY_EFAIL with its type, message and stack in err; a timeout is
	 *      FERRY_ETIMEOUT.
	 * endpoint: append fn's HTTP URL; FERRY_ENOTFOUND when it has none.
	 * logs: stream recent logs through ferry_log(); optional.
	 */
	int (*publish)(struct ferry_provider *p, const struct ferry_function *fn,
		       const struct ferry_artifact *a, struct ferry_version *out,
		       struct ferry_error *err);
	int (*activate)(struct ferry_provider *p, const struct ferry_function *fn,
			const struct ferry_version *v, struct ferry_error *err);
	int (*remove)(struct ferry_provider *p, const struct ferry_function *fn,
		      struct ferry_error *err);
	int (*invoke)(struct ferry_provider *p, const struct ferry_function *fn,
		      const struct ferry_version *v, const struct ferry_buf *event,
		      struct ferry_buf *result, struct ferry_error *err);
	int (*endpoint)(struct ferry_provider *p, const struct ferry_function *fn,
			struct ferry_buf *url, struct ferry_error *err);
	int (*logs)(struct ferry_provider *p, const struct ferry_function *fn,
		    const struct ferry_log_query *q, struct ferry_error *err);
	/*
	 * Optional: once `remove` has removed every function of the stage,
	 * delete what the provider created for the stage as a whole (the
	 * aws execution role). Must succeed when there is nothing to delete.
	 */
	int (*remove_stage)(struct ferry_provider *p, struct ferry_error *err);

	/*
	 * Optional, for the local HTTP gateway (`ferry serve`).
	 * http_events: append to `out` one "METHOD /path" per http event
	 *      that version `v` was published with; FERRY_ENOTFOUND when
	 *      the version does not record them (the caller then takes the
	 *      manifest's).
	 * invoke_warm: like invoke, but the handler's process keeps running
	 *      for the next call of the same version: one per function, a
	 *      few when calls overlap; processes of fn's other versions are
	 *      stopped. Callable from several threads at once. When the
	 *      handler itself failed (FERRY_EFAIL), `result` holds its
	 *      {"errorType", "errorMessage", "stackTrace"} (or is left
	 *      empty when unknown). A timeout (FERRY_ETIMEOUT) or Ctrl-C
	 *      (FERRY_EINTR) kills that process.
	 * stop_warm: stop every process invoke_warm started (close() does
	 *      too); calls still running fail with FERRY_EINTR.
	 */
	int (*http_events)(struct ferry_provider *p,
			   const struct ferry_version *v,
			   struct ferry_strvec *out, struct ferry_error *err);
	int (*invoke_warm)(struct ferry_provider *p,
			   const struct ferry_function *fn,
			   const struct ferry_version *v,
			   const struct ferry_buf *event,
			   struct ferry_buf *result, struct ferry_error *err);
	void (*stop_warm)(struct ferry_provider *p);
};

struct ferry_provider {
	const struct ferry_provider_ops *ops;	/* borrowed (static) */
	const struct ferry_config *cfg;		/* borrowed */
	void *data;				/* owned by the provider */
};

/* Registry (providers/registry.c). */

/* The provider called `name`, or NULL. */
const struct ferry_provider_ops *ferry_provider_find(const char *name);
/* NULL-terminated list of every provider name, in registry order. */
const char *const *ferry_provider_names(void);

/*
 * Find cfg->provider and open it. FERRY_ECONFIG for an unknown provider
 * (the message lists the known ones). On failure `p` needs no close.
 */
int ferry_provider_open(struct ferry_provider *p,
			const struct ferry_config *cfg,
			struct ferry_error *err);
/* Close an opened provider; accepts a zeroed struct. */
void ferry_provider_close(struct ferry_provider *p);

#endif
