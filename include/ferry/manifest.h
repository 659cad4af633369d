/*
 * manifest.h - load ferry.yaml into a resolved, validated configuration.
 *
 * Loading parses the YAML (libyaml, inside core/manifest.c only), refuses
 * what YAML allows but ferry does not (tabs in indentation, duplicate keys,
 * aliases that expand beyond a small budget, documents over the size limit),
 * applies the `stages:` override of the selected stage, resolves every
 * ${...} variable (core/vars.c), applies defaults and validates the schema
 * of DESIGN.md section 2.
 *
 * Every problem is reported as FERRY_ECONFIG with a message of the form
 *     ferry.yaml:LINE:COL: what is wrong; what is allowed
 * where "ferry.yaml" is the manifest path as the user named it (relative
 * to the project directory). Nothing is half-loaded: on error `*out` is left
 * untouched.
 */
#ifndef FERRY_MANIFEST_H
#define FERRY_MANIFEST_H

#include <stdint.h>

#include "buf.h"
#include "error.h"

/* Limits that keep loading fast and bounded. */
#define FERRY_MANIFEST_MAX_BYTES (16u << 20)	/* larger files are refused */
#define FERRY_MANIFEST_MAX_NODES 2000000u	/* after alias expansion */

enum ferry_pack_mode {
	FERRY_PACK_DEFAULT = 0,	/* not set: trace (provided: deps) */
	FERRY_PACK_TRACE,
	FERRY_PACK_DEPS,
	FERRY_PACK_NONE,
};

/* "trace", "deps", "none" (or "default"). */
const char *ferry_pack_mode_name(enum ferry_pack_mode m);

enum ferry_runtime_kind {
	FERRY_RT_NODE,		/* nodejs18 .. nodejs24 */
	FERRY_RT_PYTHON,	/* python3.10 .. python3.14 */
	FERRY_RT_PROVIDED,	/* executable `bootstrap` */
};

struct ferry_kv {
	char *key;	/* owned */
	char *value;	/* owned */
};

/* Ordered key/value list (environment). Keys are unique, sorted bytewise. */
struct ferry_kvvec {
	struct ferry_kv *items;	/* owned */
	size_t nr;
	size_t alloc;
};

/* Where a value came from in the manifest, for later error messages. */
struct ferry_pos {
	int line;	/* 1-based; 0 when unknown */
	int col;	/* 1-based */
};

enum ferry_event_type {
	FERRY_EVENT_HTTP,
	FERRY_EVENT_SCHEDULE,
};

struct ferry_event {
	enum ferry_event_type type;
	char *method;	/* owned; http: GET POST PUT PATCH DELETE HEAD OPTIONS ANY */
	char *path;	/* owned; http: "/users/{id}" */
	char *schedule;	/* owned; schedule: "rate(1 day)" or "cron(...)" */
	struct ferry_pos pos;
};

struct ferry_package_opts {
	enum ferry_pack_mode mode;
	struct ferry_strvec include;	/* gitignore-style globs */
	struct ferry_strvec exclude;
	uint64_t budget;		/* bytes; 0: no budget */
	/* package-name globs (e.g. every @aws-sdk package) a tracer
	 * leaves out on purpose */
	struct ferry_strvec external;
};

struct ferry_function {
	char *name;		/* owned; key in `functions:` ([a-z][a-z0-9-]{0,39}) */
	char *full_name;	/* owned; "<service>-<stage>-<name>" */
	char *handler;		/* owned; as written: "src/users.handler" */
	char *handler_file;	/* owned; existing file relative to the project:
				 * "src/users.js", "jobs/nightly.py", or "bootstrap" */
	char *handler_export;	/* owned; "handler" */
	char *runtime;		/* owned; "nodejs22", "python3.12", "provided" */
	enum ferry_runtime_kind runtime_kind;
	unsigned memory;	/* MB, 128..10240 */
	unsigned timeout;	/* seconds, 1..900 */
	char *description;	/* owned; may be NULL */
	struct ferry_kvvec env;	/* service env merged with the function's */
	struct ferry_event *events;	/* owned */
	size_t events_nr;
	/* service package options merged with the function's: lists are the
	 * service's followed by the function's, mode and budget overridden. */
	struct ferry_package_opts package;
	struct ferry_pos pos;	/* of the function's key */
};

struct ferry_config {
	char *dir;		/* owned; absolute project directory */
	char *file;		/* owned; manifest path as named in messages */
	char *service;		/* owned */
	char *stage;		/* owned; from -s, FERRY_STAGE, or "dev" */
	char *provider;		/* owned; from -p, FERRY_PROVIDER, manifest, or "local" */
	char *runtime;		/* owned; service default (may be NULL) */
	unsigned memory;	/* service default, MB */
	unsigned timeout;	/* service default, s */
	struct ferry_kvvec env;	/* service env */
	struct ferry_package_opts package;
	char *python_packages;	/* owned; `python.packages`, relative; may be NULL */
	struct ferry_function *functions;	/* owned, sorted by name */
	size_t functions_nr;
	void *doc;		/* owned; the resolved document (json_t *) */
};

struct ferry_load_opts {
	const char *dir;	/* project directory; NULL: current directory */
	const char *file;	/* manifest path relative to dir; NULL: "ferry.yaml" */
	const char *stage;	/* -s; NULL: FERRY_STAGE or "dev" */
	const char *provider;	/* -p; NULL: FERRY_PROVIDER, then the manifest */
};

/*
 * Load, resolve and validate. On success `*out` is a new configuration the
 * caller frees with ferry_config_free(). Errors: FERRY_ECONFIG (bad
 * manifest, unknown stage or provider), FERRY_ENOTFOUND (no manifest).
 */
int ferry_manifest_load(struct ferry_config **out,
			const struct ferry_load_opts *opts,
			struct ferry_error *err);

/* Same, from memory (for tests and the fuzzer); `name` is used in messages. */
int ferry_manifest_load_mem(struct ferry_config **out, const char *data,
			    size_t len, const char *name,
			    const struct ferry_load_opts *opts,
			    struct ferry_error *err);

void ferry_config_free(struct ferry_config *cfg);

/*
 * What shell completion needs from a manifest, read without resolving
 * variables (so without reading other files or git) and without
 * validating: the YAML is parsed and the selected stage's overrides are
 * merged, nothing more. Strings that hold a ${...} variable are left NULL.
 */
struct ferry_manifest_peek {
	struct ferry_strvec functions;	/* keys of `functions:`, sorted */
	struct ferry_strvec stages;	/* "dev" and the keys of `stages:`, sorted */
	char *service;		/* owned; NULL when absent or not plain */
	char *provider;		/* owned; the manifest's `provider`, same */
	char *local_root;	/* owned; `providers.local.root`, same */
};

/*
 * Peek at the manifest named by `opts` (dir, file, stage as for
 * ferry_manifest_load; the provider is ignored). On success the caller
 * releases `*out` with ferry_manifest_peek_release(). Errors:
 * FERRY_ENOTFOUND (no manifest), FERRY_ECONFIG (not YAML, not a map).
 */
int ferry_manifest_peek(struct ferry_manifest_peek *out,
			const struct ferry_load_opts *opts,
			struct ferry_error *err);
void ferry_manifest_peek_release(struct ferry_manifest_peek *p);

/*
 * Parse a YAML document other than the manifest (a template's
 * ferry-template.yaml) with the manifest's rules and limits. *out is a new
 * json_t reference (jansson; json null for an empty document) the caller
 * releases with json_decref(). FERRY_ECONFIG "NAME:LINE:COL: ..." when
 * malformed.
 */
struct json_t;
int ferry_yaml_parse(struct json_t **out, const char *data, size_t len,
		     const char *name, struct ferry_error *err);

/* The function named `name`, or NULL. */
const struct ferry_function *ferry_config_function(const struct ferry_config *cfg,
						   const char *name);

/*
 * A provider setting from the resolved `providers.<provider>.<key>` block,
 * as a string (numbers and booleans are formatted), or NULL when absent.
 * The result is borrowed from `cfg`.
 */
const char *ferry_config_setting(const struct ferry_config *cfg,
				 const char *provider, const char *key);

/*
 * The resolved configuration, with defaults applied and stages merged, as
 * YAML (`validate --print`) or as one JSON object (`--json`). Appended to
 * `out`. Output is deterministic (keys in a fixed order).
 */
int ferry_config_to_yaml(const struct ferry_config *cfg, struct ferry_buf *out,
			 struct ferry_error *err);
int ferry_config_to_json(const struct ferry_config *cfg, struct ferry_buf *out,
			 struct ferry_error *err);

/*
 * SHA-256 (hex) of everything about a function that the provider deploys
 * besides its code: runtime, handler, memory, timeout, description,
 * environment, events. Used to skip unchanged functions.
 */
int ferry_function_config_hash(char hex[65], const struct ferry_function *fn,
			       struct ferry_error *err);

/* Canonical JSON of the same fields (owned by the caller: free()). */
char *ferry_function_config_json(const struct ferry_function *fn);

#endif
