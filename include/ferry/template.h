/*
 * template.h - project templates: the built-in ones embedded in the binary,
 * a template directory on disk, or a git source, instantiated into a new
 * project directory by `ferry init`.
 *
 * A template is a directory tree. An optional `ferry-template.yaml` at its
 * root declares a description, variables and which files are rendered
 * (docs/templates.md); it is never copied into the project. Rendering
 * replaces `{{name}}` in the rendered files; `\{{name}}` stands for the
 * literal text `{{name}}`.
 *
 * Sources, and who materialises them:
 *   built-in      ferry_template_builtin_*() read the embedded assets
 *   directory     used as is
 *   git           ferry_template_fetch() (core/template_git.c) clones it into
 *                 a temporary directory and hands back the template root
 */
#ifndef FERRY_TEMPLATE_H
#define FERRY_TEMPLATE_H

#include "buf.h"
#include "error.h"

/* The template used when `ferry init` is given none. */
#define FERRY_TEMPLATE_DEFAULT "node-http"

/*
 * Names of the built-in templates, sorted, appended to `out` (the strings
 * are copied). Returns 0 or FERRY_ENOMEM.
 */
int ferry_template_builtin_names(struct ferry_strvec *out,
				 struct ferry_error *err);

/* 1 if `name` is a built-in template, else 0. */
int ferry_template_builtin_exists(const char *name);

/*
 * The one-line description of built-in template `name` (from its
 * ferry-template.yaml) in *out (owned by the caller; "" when it declares
 * none). FERRY_ENOTFOUND for an unknown name.
 */
int ferry_template_builtin_description(char **out, const char *name,
				       struct ferry_error *err);

/*
 * Write built-in template `name` as a directory tree into `dir`, which must
 * exist and be empty: relative paths and executable bits are kept.
 * FERRY_ENOTFOUND for an unknown name.
 */
int ferry_template_builtin_extract(const char *name, const char *dir,
				   struct ferry_error *err);

/* Declarations from a template's ferry-template.yaml. */
struct ferry_template_var {
	char *name;		/* owned */
	char *def;		/* owned; default value, NULL when none */
	int required;		/* 1: must come from --set (or a default) */
};

struct ferry_template_meta {
	char *description;			/* owned; "" when absent */
	struct ferry_template_var *vars;	/* owned; declared variables */
	size_t nr_vars, alloc_vars;
	int declares_vars;			/* 1 if `variables:` is present */
	struct ferry_strvec render;		/* globs; empty: the defaults */
};

void ferry_template_meta_init(struct ferry_template_meta *m);
void ferry_template_meta_release(struct ferry_template_meta *m);

/*
 * Parse `ferry-template.yaml` text `yaml` (`path` names it in messages)
 * into `out` (initialised by the caller). FERRY_ECONFIG naming path:line
 * for invalid YAML, path and key for unknown keys or wrong types.
 */
int ferry_template_meta_parse(struct ferry_template_meta *out,
			      const char *yaml, size_t len, const char *path,
			      struct ferry_error *err);

/*
 * Render `in` into `out` (appended), replacing `{{name}}` (spaces or tabs
 * inside the braces allowed; name: [A-Za-z_][A-Za-z0-9_-]*) by the value of
 * name in `vars`, a list of "KEY=VALUE" strings (the last one for a key
 * wins). `\{{name}}` yields the literal `{{name}}`. Anything else is copied
 * as is, including text that is not a placeholder (`{{}}`, `{{'a': 1}}`)
 * and runs of three or more braces. An unknown name is FERRY_ECONFIG
 * "FILE:LINE: unknown template variable 'NAME'; ..." with `file` as FILE,
 * and nothing is appended.
 */
int ferry_template_render(struct ferry_buf *out, const char *in, size_t len,
			  const struct ferry_strvec *vars, const char *file,
			  struct ferry_error *err);

/*
 * The default `service` for a project in `dir`: its base name lowercased,
 * characters outside [a-z0-9-] turned into '-', leading non-letters
 * dropped, cut to 40 characters, trailing '-' dropped; "app" when nothing
 * is left. *out owned by the caller.
 */
int ferry_template_service_name(char **out, const char *dir,
				struct ferry_error *err);

/*
 * Create a project in `dest` from a template.
 *
 * The source is the directory `src_dir` (a checkout or template folder,
 * used as is), or when `src_dir` is NULL the built-in template
 * `builtin_name`. `sets` holds "KEY=VALUE" strings from --set (may be
 * NULL). Variables: service (default: ferry_template_service_name(dest)),
 * stage (default "dev"), the template's declared defaults, then `sets`.
 *
 * The project is built in a temporary directory next to `dest` and renamed
 * into place, so a failure leaves `dest` as it was. `dest` must not exist
 * or be an empty directory, unless `force`: then the template's files are
 * added to the existing directory; no existing file is deleted or
 * overwritten (a file present in both is FERRY_ECONFLICT, and nothing is
 * written).
 *
 * Errors: FERRY_ENOTFOUND unknown built-in; FERRY_EUSAGE a --set of an
 * undeclared variable (when the template declares variables), a missing
 * required variable, or a malformed --set; FERRY_ECONFIG a bad template
 * (unknown {{variable}} with file:line, `..` or absolute paths, symlinks
 * leaving the template); FERRY_ECONFLICT `dest` not empty without force, or
 * a file that would be overwritten; FERRY_EFAIL / FERRY_EAUTH I/O.
 * On success, when `files` is not NULL the project-relative paths written
 * are appended to it, sorted.
 */
int ferry_template_instantiate(const char *src_dir, const char *builtin_name,
			       const char *dest,
			       const struct ferry_strvec *sets, int force,
			       struct ferry_strvec *files,
			       struct ferry_error *err);

/*
 * 1 when `spec` names a git source rather than a built-in template or a
 * directory: it starts with https://, http://, git://, ssh://, file://,
 * gh:owner/repo, or has the scp form user@host:path. Pure parsing, no I/O.
 */
int ferry_template_is_git(const char *spec);

/*
 * Fetch the template at `spec` (URL[#REF][//SUBDIR], or
 * gh:owner/repo[#REF][//SUBDIR]) into a new temporary directory; *root is
 * the template's directory inside it (SUBDIR applied), *tmp the directory
 * to remove afterwards (both owned by the caller, set only on success),
 * and *tmp_fd holds *tmp's lock (ferry_fs_mkdtemp_held): close it after
 * removing *tmp. Directories under TMPDIR that a killed fetch left behind
 * are swept first.
 * FERRY_ENOTFOUND when the repository, ref or subdir does not exist
 * (message names which), FERRY_EUSAGE for a malformed spec.
 * Implemented in core/template_git.c.
 */
int ferry_template_fetch(char **root, char **tmp, int *tmp_fd,
			 const char *spec, struct ferry_error *err);

#endif
