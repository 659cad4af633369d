/*
 * select.h - the seam between core/bundle.c and the dependency selectors
 * (internal to core/; not part of the public API).
 *
 * bundle.c walks the project directory once and decides which project
 * files go in. A selector adds the dependency files of one runtime to an
 * unsorted list of (bundle name, absolute source) pairs; bundle.c then
 * applies `package.exclude` to them, merges them after the project files
 * (a project file wins over a dependency file of the same name), sorts and
 * de-duplicates. The `trace` mode plugs in the tracers of trace.h the same
 * way: their entries take the place of the selector's list.
 */
#ifndef FERRY_SELECT_H
#define FERRY_SELECT_H

#include "ferry/bundle.h"
#include "ferry/error.h"
#include "ferry/manifest.h"

/* Append (name, source) to `files`; both are copied. */
int ferry_select_add(struct ferry_bundle_files *files, const char *name,
		     const char *source, struct ferry_error *err);

/* A production package `deps` mode reached, for `package --explain`. */
struct ferry_select_pkg {
	char *dir;	/* owned; its bundle directory ("node_modules/a") */
	char *name;	/* owned; package name ("a", "@scope/x") */
	char *parent;	/* owned; name of the package that first required
			 * it; NULL for one the project package.json names */
};

struct ferry_select_pkgs {
	struct ferry_select_pkg *items;	/* owned */
	size_t nr;
	size_t alloc;
};

void ferry_select_pkgs_release(struct ferry_select_pkgs *p);

/*
 * Node `deps` mode: every file of every package reachable from the project
 * package.json `dependencies` and `optionalDependencies` (then each
 * package's `dependencies`, `optionalDependencies` and installed
 * `peerDependencies`), resolved as Node does, under its node_modules name.
 * A missing required package is FERRY_EFAIL; a project without a
 * package.json has no dependencies.
 */
int ferry_select_node(struct ferry_bundle_files *files,
		      const struct ferry_config *cfg,
		      const struct ferry_function *fn, struct ferry_error *err);

/*
 * Same selection, also recording each reached package in `pkgs` (which
 * must be empty; on error it is released).
 */
int ferry_select_node_pkgs(struct ferry_bundle_files *files,
			   struct ferry_select_pkgs *pkgs,
			   const struct ferry_config *cfg,
			   const struct ferry_function *fn,
			   struct ferry_error *err);

/*
 * 1 if `name` is listed in the project package.json `devDependencies`
 * and not in `dependencies` nor `optionalDependencies`; 0 otherwise (also
 * when there is no readable package.json).
 */
int ferry_select_node_is_dev(const struct ferry_config *cfg, const char *name);

/*
 * The directory that holds installed Python packages: `python.packages`
 * (relative to the project; it must exist), else
 * $VIRTUAL_ENV/lib/python3.X/site-packages (the runtime's X preferred),
 * else none. `*out` is an absolute, normalised path (owned) or NULL.
 */
int ferry_select_python_dir(char **out, const struct ferry_config *cfg,
			    const struct ferry_function *fn,
			    struct ferry_error *err);

/*
 * Add the files below `dir` at the bundle root, without `__pycache__/`
 * and `*.pyc`. bundle.c calls this only for a directory outside the
 * project; one inside it is taken from the project walk instead.
 */
int ferry_select_python(struct ferry_bundle_files *files, const char *dir,
			struct ferry_error *err);

/* 1 for a compiled-Python leftover that never ships (`*.pyc`). */
int ferry_select_is_pyc(const char *name);

#endif
