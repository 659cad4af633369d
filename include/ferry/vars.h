/*
 * vars.h - resolution of ${...} variables in a manifest document.
 *
 * The document is a jansson tree (the stage-merged manifest). Every string
 * in it may contain variables:
 *
 *     ${env:NAME}            environment variable
 *     ${opt:stage}           the selected stage (also ${opt:provider})
 *     ${stage}, ${provider}  the same, short form
 *     ${self:a.b.0.c}        a value of the document (list indexes allowed)
 *     ${file(path)}          a YAML or JSON file below the project directory
 *     ${file(path):a.b}      a value inside that file
 *     ${git:sha}, ${git:branch}
 *     ${source:arg, default} any source with a default (quotes optional;
 *                            the default may contain variables)
 *     $${...}                a literal "${...}"
 *
 * A string that is exactly one variable takes the type of the value it
 * refers to (number, map, list...); otherwise each variable is replaced by
 * its text and must be a scalar. Values that ${self:} and ${file()} read
 * are resolved themselves. Resolution is bounded: nesting depth
 * (FERRY_VARS_MAX_DEPTH), the length of one resolved string
 * (FERRY_VARS_MAX_STRING) and the bytes produced in total
 * (FERRY_VARS_MAX_TOTAL). Keys are never resolved.
 *
 * Errors are FERRY_ECONFIG with "FILE:LINE:COL: what; what is allowed",
 * positioned at the string that holds the variable.
 */
#ifndef FERRY_VARS_H
#define FERRY_VARS_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

struct json_t;		/* jansson's json_t */
struct ferry_vars_state;

#define FERRY_VARS_MAX_DEPTH 32
#define FERRY_VARS_MAX_STRING (1u << 20)
#define FERRY_VARS_MAX_TOTAL (64u << 20)
#define FERRY_VARS_MAX_FILE (16u << 20)

struct ferry_vars {
	const char *dir;	/* borrowed; absolute project directory */
	const char *file;	/* borrowed; manifest name for messages */
	const char *stage;	/* borrowed; ${stage}, ${opt:stage} */
	/* borrowed; ${provider}; NULL: the document's `provider`, or "local" */
	const char *provider;
	/*
	 * Position (1-based) of a string of the document, for messages; set
	 * *line to 0 when unknown. May be NULL.
	 */
	void (*where)(void *data, const struct json_t *str, int *line,
		      int *col);
	/*
	 * Parse a YAML file read by ${file()} into a new jansson value
	 * (required; JSON files, by extension .json, are read with jansson).
	 * `name` is the path as written, for messages.
	 */
	int (*parse_yaml)(void *data, const char *name, const char *bytes,
			  size_t len, struct json_t **out,
			  struct ferry_error *err);
	void *data;		/* passed to the callbacks */
	struct ferry_vars_state *state;	/* owned; private */
};

/* Prepare `v` (all fields NULL); the caller then sets the public fields. */
void ferry_vars_init(struct ferry_vars *v);

/*
 * Resolve every variable in `doc` (borrowed, not modified). On success
 * `*out` is a new reference to the resolved document, which shares the
 * unchanged parts of `doc`. May be called once per `v`.
 */
int ferry_vars_resolve(struct json_t **out, struct ferry_vars *v,
		       struct json_t *doc, struct ferry_error *err);

/* Free the private state (caches). Accepts a released or NULL `v`. */
void ferry_vars_release(struct ferry_vars *v);

/*
 * Append the text of a scalar (string as is, integer in decimal, real in
 * the shortest form that reads back the same, true/false, null as
 * "null"). Returns FERRY_ECONFIG, without touching `err`, for a list or
 * map, FERRY_ENOMEM on allocation failure.
 */
int ferry_vars_scalar_text(struct ferry_buf *out, const struct json_t *v);

#endif
