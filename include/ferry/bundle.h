/*
 * bundle.h - build one reproducible zip per function.
 *
 * Building has two steps with a clear seam between them:
 *
 *   1. selection: ferry_bundle_select() decides which project files go into
 *      a function's bundle and under which names. The mode comes from
 *      `package.mode` (function over service): `none` takes the project
 *      directory, `deps` the handler's tree plus whole production packages
 *      (Node: the node_modules graph reachable from package.json
 *      `dependencies`, never devDependencies; Python: the packages
 *      directory), and `trace` the files the handler loads, found by
 *      following its imports (core/trace.h). Service and
 *      function `package.include` / `exclude` globs are applied last, so a
 *      user can always force a file in or out.
 *   2. writing: ferry_bundle_build() hands the sorted selection to
 *      core/zip.c and hashes the result; ferry_bundle_build_all() does it
 *      for several functions, writing their zips in parallel.
 *
 * Files never selected in any mode: `.ferry/`, `.git/`, `ferry.yaml` itself
 * is kept out too (it holds no code) unless included explicitly.
 */
#ifndef FERRY_BUNDLE_H
#define FERRY_BUNDLE_H

#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "manifest.h"

struct ferry_bundle_file {
	char *name;	/* owned; path inside the bundle ('/' separated) */
	char *source;	/* owned; absolute path of the file on disk */
};

struct ferry_bundle_files {
	struct ferry_bundle_file *items;	/* owned; sorted by name */
	size_t nr;
	size_t alloc;
};

void ferry_bundle_files_release(struct ferry_bundle_files *f);

/*
 * Step 1: select the files of `fn`'s bundle. `out` must be empty; on success
 * it is sorted bytewise by name with no duplicates.
 */
int ferry_bundle_select(struct ferry_bundle_files *out,
			const struct ferry_config *cfg,
			const struct ferry_function *fn,
			struct ferry_error *err);

/*
 * `ferry package --explain PATH`: append to `out` why the file PATH
 * (relative to the project directory, or absolute; a bundle name such as
 * "certifi/cacert.pem" also works) is or is not in `fn`'s bundle:
 *
 *     users: node_modules/a/index.js is in the bundle
 *       src/users.js:3 require('a')
 *        -> node_modules/a/index.js
 *     users: README.md is not in the bundle: not reached from the handler
 *
 * In: the trace chain (trace mode), "included by package.include 'G'",
 * "production package 'x' (dependency of 'y')", "project file (deps
 * mode)". Out: "excluded by package.exclude 'G'", "not reached from the
 * handler", "devDependency 'x'", "package 'x' is left out by
 * package.external 'G'", "outside the project", ... Trace warnings are not
 * logged. Returns 0 (explained), FERRY_ENOTFOUND (not in the bundle and
 * no rule says why; nothing appended), or a selection error.
 */
int ferry_bundle_explain(struct ferry_buf *out, const struct ferry_config *cfg,
			 const struct ferry_function *fn, const char *path,
			 struct ferry_error *err);

struct ferry_bundle {
	char *function;		/* owned; function name */
	char *path;		/* owned; absolute path of the zip */
	uint64_t files;
	uint64_t bytes;		/* uncompressed */
	uint64_t zipped;	/* zip size */
	char sha256[65];	/* hex sha256 of the zip: the bundle's id */
};

void ferry_bundle_release(struct ferry_bundle *b);

/*
 * Steps 1 and 2: write `<out_dir>/<function>.zip` (out_dir NULL:
 * "<project>/.ferry/build"). Fails with FERRY_EFAIL when the bundle is
 * larger than the package budget.
 */
int ferry_bundle_build(struct ferry_bundle *out, const struct ferry_config *cfg,
		       const struct ferry_function *fn, const char *out_dir,
		       struct ferry_error *err);

/*
 * ferry_bundle_build() for fns[0..nr) into out[0..nr): every selection is
 * made first, in order, in the calling thread; then the zips are written
 * on up to one thread per core; then each bundle is checked against its
 * budget in order. A function whose selection equals an earlier one's gets
 * a copy of that zip. On failure, err describes the first function (in
 * order) that failed and out holds nothing; zips already written stay in
 * the output directory.
 */
int ferry_bundle_build_all(struct ferry_bundle *out,
			   const struct ferry_config *cfg,
			   const struct ferry_function *const *fns, size_t nr,
			   const char *out_dir, struct ferry_error *err);

#endif
