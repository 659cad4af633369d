/*
 * release.h - the release engine: deploy, rollback, list, prune and remove
 * on top of any provider's primitives (DESIGN.md section 5).
 *
 * Store layout, relative to the provider's store:
 *     <service>/artifacts/<sha256>.zip     content-addressed, uploaded once
 *     <service>/<stage>/releases/<N>.json  immutable record, N = 1, 2, 3 ...
 *     <service>/<stage>/live.json          {"release": N}
 *     <service>/<stage>/lock.json          lease: owner, host, pid, expires
 *
 * Order of a deploy, chosen so that an interruption at any point leaves the
 * previous release live and the next deploy able to proceed:
 *     lock -> upload missing artifacts -> publish changed functions ->
 *     create record N (create-if-absent) -> activate -> write live.json ->
 *     unlock.
 * With a provider that allows it (FERRY_CAP_CONCURRENT), the functions'
 * upload+publish steps, and later their activations, run concurrently.
 * A record that live.json never pointed at is harmless: the next deploy
 * takes the next free number.
 */
#ifndef FERRY_RELEASE_H
#define FERRY_RELEASE_H

#include <stdint.h>

#include "bundle.h"
#include "error.h"
#include "manifest.h"
#include "provider.h"

struct ferry_release_fn {
	char *name;		/* owned; function name */
	char sha256[65];	/* bundle */
	char config_hash[65];
	char *version;		/* owned; provider's handle (ferry_version.id) */
	uint64_t size;		/* bundle bytes (zipped) */
};

struct ferry_release {
	unsigned number;
	char *time;		/* owned; RFC 3339 UTC, "2026-11-27T13:37:00Z" */
	char *user;		/* owned; "user@host" */
	char *git_commit;	/* owned; NULL outside a repository */
	int git_dirty;
	char *provider;		/* owned */
	char *kind;		/* owned; "deploy" or "rollback" */
	unsigned target;	/* rollback: the release it restored; else 0 */
	struct ferry_release_fn *fns;	/* owned, sorted by name */
	size_t fns_nr;
};

void ferry_release_release(struct ferry_release *r);
int ferry_release_parse(struct ferry_release *out, const char *json,
			size_t len, struct ferry_error *err);
int ferry_release_to_json(const struct ferry_release *r, struct ferry_buf *out,
			  struct ferry_error *err);

enum ferry_change {
	FERRY_CHANGE_NEW,
	FERRY_CHANGE_UPDATED,
	FERRY_CHANGE_UNCHANGED,
};

const char *ferry_change_name(enum ferry_change c);	/* "new", ... */

struct ferry_deploy_fn {
	const char *name;		/* borrowed from the config */
	enum ferry_change change;
	char version[512];
	uint64_t size;
	char sha256[65];
};

struct ferry_deploy_result {
	unsigned release;		/* new record number; 0 if nothing changed */
	unsigned uploads;		/* artifacts uploaded */
	struct ferry_deploy_fn *fns;	/* owned; one per deployed function */
	size_t fns_nr;
};

void ferry_deploy_result_release(struct ferry_deploy_result *r);

struct ferry_deploy_opts {
	const struct ferry_bundle *bundles;	/* borrowed; built bundles */
	size_t bundles_nr;	/* only these functions change; others carry over */
	int force;		/* publish even unchanged functions */
	int dry_run;		/* plan only: no upload, publish or record */
	unsigned lock_ttl;	/* seconds; 0: 900 */
	unsigned jobs;		/* functions published at once; 0: 4 (only
				 * with FERRY_CAP_CONCURRENT, else 1) */
};

/*
 * Deploy the given bundles. When nothing changed (and !force) nothing is
 * written at all - no record, no upload, not even the lock (the check is
 * made before locking, and made again under the lock when something
 * changed) - and result->release is 0. FERRY_ECONFLICT
 * when another deploy holds the lock (the message names user, host, pid
 * and expiry).
 */
int ferry_release_deploy(struct ferry_deploy_result *out,
			 struct ferry_provider *p, const struct ferry_config *cfg,
			 const struct ferry_deploy_opts *opts,
			 struct ferry_error *err);

/*
 * Re-point every function to the versions of release `target` (0: the one
 * before the live one) and record that as a new release of kind "rollback",
 * filled into `out`. No build, no upload. FERRY_ENOTFOUND when the target
 * does not exist.
 */
int ferry_release_rollback(struct ferry_release *out, struct ferry_provider *p,
			   const struct ferry_config *cfg, unsigned target,
			   struct ferry_error *err);

struct ferry_release_list {
	struct ferry_release *items;	/* owned, newest first */
	size_t nr;
	size_t alloc;
	unsigned live;			/* 0 when nothing is live */
};

void ferry_release_list_release(struct ferry_release_list *l);
int ferry_release_list(struct ferry_release_list *out, struct ferry_provider *p,
		       const struct ferry_config *cfg, struct ferry_error *err);

/* The live release; FERRY_ENOTFOUND when nothing was deployed. */
int ferry_release_live(struct ferry_release *out, struct ferry_provider *p,
		       const struct ferry_config *cfg, struct ferry_error *err);

/*
 * Invoke `fn` as deployed in the live release (FERRY_ENOTFOUND when it is
 * not deployed).
 */
int ferry_release_invoke(struct ferry_buf *result, struct ferry_provider *p,
			 const struct ferry_config *cfg,
			 const struct ferry_function *fn,
			 const struct ferry_buf *event, struct ferry_error *err);

struct ferry_prune_result {
	unsigned records;	/* records deleted */
	unsigned artifacts;	/* artifacts deleted */
};

/*
 * Keep the newest `keep` records (and always the live one), delete older
 * records and the artifacts no kept record (of any stage) references.
 */
int ferry_release_prune(struct ferry_prune_result *out,
			struct ferry_provider *p, const struct ferry_config *cfg,
			unsigned keep, struct ferry_error *err);

/*
 * Remove the deployed functions of the stage (provider remove()) and the
 * stage's records, live pointer and lock. Artifacts stay unless `purge`.
 */
int ferry_release_remove(struct ferry_provider *p,
			 const struct ferry_config *cfg, int purge,
			 struct ferry_error *err);

#endif
