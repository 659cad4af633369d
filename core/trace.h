/*
 * trace.h - the `trace` packaging mode: follow what a handler really loads
 * (internal to core/; bundle.c plugs it in behind the selection seam of
 * select.h).
 *
 * A tracer starts from the handler file and adds every file the handler
 * can load at run time, resolved the way the target runtime resolves it,
 * each with the reason it was added, so `ferry package --explain PATH` can
 * print the chain that brought a file in:
 *
 *     src/users.js:3 require('express') -> node_modules/express/index.js:11
 *     require('./lib/express') -> node_modules/express/lib/express.js
 *
 * Tracers only read files; they never run code.
 */
#ifndef FERRY_TRACE_H
#define FERRY_TRACE_H

#include <stddef.h>

#include "ferry/buf.h"
#include "ferry/error.h"
#include "ferry/manifest.h"

struct ferry_trace_entry {
	char *name;	/* owned; path inside the bundle, '/' separated */
	char *source;	/* owned; absolute path of the file on disk */
	long parent;	/* index of the entry whose code brought this one in;
			 * -1 for the handler itself and for files added by a
			 * rule (see `why`) with no importing file */
	unsigned line;	/* line in the parent's source of the import; 0 if none */
	char *why;	/* owned; "require('express')", "import('./x.mjs')",
			 * "from a import b", "package.json of a reached
			 * package", "native addon: package kept whole",
			 * "data file of reached package 'certifi'", ... */
};

struct ferry_trace {
	struct ferry_trace_entry *items;	/* owned; one per file, no duplicate names */
	size_t nr;
	size_t alloc;
	/*
	 * Owned; human-readable warnings, e.g.
	 * "src/a.js:12: require() of a non-literal; add the files it loads to
	 * package.include". Sorted, no duplicates.
	 */
	struct ferry_strvec warnings;
};

void ferry_trace_init(struct ferry_trace *t);
void ferry_trace_release(struct ferry_trace *t);

/*
 * Add `name` (from `source`) unless an entry with that name exists; sets
 * `*index` (when non-NULL) to the new or existing entry. Returns 0,
 * FERRY_ENOMEM.
 */
int ferry_trace_add(struct ferry_trace *t, const char *name, const char *source,
		    long parent, unsigned line, const char *why, long *index);

/* The entry called `name`, or -1. */
long ferry_trace_find(const struct ferry_trace *t, const char *name);

/*
 * Append the chain that brought entry `i` in, from the handler down, one
 * step per line, to `out` ("src/users.js:3 require('express')\n -> ...").
 */
int ferry_trace_explain(struct ferry_buf *out, const struct ferry_trace *t,
			long i);

/*
 * Node (nodejs18..24): from fn->handler_file, follow `require('x')`,
 * `require.resolve('x')`, `import ... from 'x'`, `export ... from 'x'`,
 * `import 'x'` and `import('x')` with literal arguments (a real lexer:
 * comments, strings, template literals and regular expressions never
 * produce or hide an import). Resolution follows Node's algorithm for the
 * function's runtime major version: relative and absolute paths; probing
 * of .js .cjs .mjs .json .node and index files; node_modules lookup up the
 * tree; package.json `main`, `exports` (conditions node, require or import
 * by the kind of import, module-sync for Node >= 22 and 20.19+, default;
 * subpath patterns), `imports` (#name) and self-references; symlinked
 * packages resolved to their real files but named under node_modules.
 * Built-ins (`fs`, `node:fs`) are skipped; a package with a native addon
 * (`.node` files, binding.gyp or prebuilds/) is kept whole; the
 * package.json of every reached package is kept. Packages matching
 * fn->package.external globs (e.g. "@aws-sdk/" and a star: every package
 * of that scope) are left out on purpose.
 */
int ferry_trace_node(struct ferry_trace *out, const struct ferry_config *cfg,
		     const struct ferry_function *fn, struct ferry_error *err);

/*
 * Python (python3.10..3.14): from fn->handler_file, follow `import a.b`,
 * `from a import b` (b may be a module), relative imports and
 * `importlib.import_module('literal')`, resolved against the handler's
 * project tree first and then `pydir` (the packages directory, may be
 * NULL); packages from pydir are named at the bundle root. For every
 * reached distribution also keep its data files (non-code files inside
 * reached packages, e.g. certifi/cacert.pem), every compiled extension
 * (.so/.pyd) of a distribution that owns a reached module (by its
 * *.dist-info/RECORD and top_level.txt), and its *.dist-info directory.
 * Never `__pycache__/`, `*.pyc`, nor test directories (tests/, test/) of
 * third-party packages. Standard-library modules are skipped.
 */
int ferry_trace_python(struct ferry_trace *out, const struct ferry_config *cfg,
		       const struct ferry_function *fn, const char *pydir,
		       struct ferry_error *err);

#endif
