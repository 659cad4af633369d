/*
 * trace_node.c - the Node tracer of the `trace` packaging mode: starting
 * from the handler file it lexes every reached JavaScript file for its
 * import sites (js_lex.c), resolves each literal specifier the way the
 * function's Node version does (files, index files, node_modules up the
 * tree, package.json main, exports and imports with the runtime's
 * conditions, self-references) and records every reached file, with the
 * import that brought it in, in a struct ferry_trace.
 *
 * Paths are resolved in the bundle's own layout ("logical" paths: a
 * symlinked workspace package stays under node_modules/<name>, as it will
 * be in the zip, while the kernel follows the link on disk). Every stat and
 * package.json parse is cached for the whole trace, so a package reached
 * from many files costs one parse. It never walks a package tree, except a
 * native-addon package, which ships whole. It does not run code, read
 * lockfiles, zip anything or print: non-literal requires and specifiers
 * that cannot be resolved become warnings in the trace.
 */
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ferry/fs.h"
#include "ferry/glob.h"
#include "ferry/log.h"
#include "js_lex.h"
#include "trace.h"

#define SOURCE_MAX (64u << 20)
#define PACKAGE_JSON_MAX (8u << 20)

/* What the tracer knows about one absolute (logical) path. */
struct pinfo {
	char *path;		/* owned; key */
	signed char kind;	/* -1 not probed, 0 absent, 1 file, 2 dir */
	signed char pj_state;	/* dirs: -1 unread, 0 none or invalid, 1 */
	signed char native;	/* package roots: -1 unknown, 0, 1 */
	signed char whole;	/* package roots: 1 once kept whole */
	signed char queued;	/* files: 1 once queued for lexing */
	json_t *pj;		/* owned; the dir's package.json, or NULL */
	long traced;		/* files: trace index, or -1 */
};

struct pmap {
	struct pinfo **slots;	/* owned, each owned */
	size_t cap;		/* power of two */
	size_t nr;
};

struct tracer {
	struct ferry_trace *out;		/* borrowed */
	const struct ferry_function *fn;	/* borrowed */
	const char *dir;			/* borrowed; project dir */
	size_t dirlen;
	int major;
	struct pmap map;
	struct ferry_strvec queue;	/* logical paths still to lex */
	long *queue_idx;		/* owned; trace index of each */
	size_t queue_alloc;
	struct ferry_error *err;	/* borrowed */
	/*
	 * Absolute directories the lockfile marks dev-only ("dev": true),
	 * sorted; a production install would not have them, so the trace
	 * never adds them even when they are installed here.
	 */
	struct ferry_strvec dev_dirs;
};

/* Results of resolving one specifier. */
enum res {
	RES_FOUND,	/* *out set */
	RES_SKIP,	/* a built-in or an external package: nothing to add */
	RES_MISSING,	/* cannot be resolved */
};

static const char *const builtins[] = {
	"_http_agent", "_http_client", "_http_common", "_http_incoming",
	"_http_outgoing", "_http_server", "_stream_duplex",
	"_stream_passthrough", "_stream_readable", "_stream_transform",
	"_stream_wrap", "_stream_writable", "_tls_common", "_tls_wrap",
	"assert", "async_hooks", "buffer", "child_process", "cluster",
	"console", "constants", "crypto", "dgram", "diagnostics_channel",
	"dns", "domain", "events", "fs", "http", "http2", "https",
	"inspector", "module", "net", "os", "path", "perf_hooks", "process",
	"punycode", "querystring", "readline", "repl", "stream",
	"string_decoder", "sys", "timers", "tls", "trace_events", "tty", "url",
	"util", "v8", "vm", "wasi", "worker_threads", "zlib", NULL
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ull;
	}
	return h;
}

static void pmap_release(struct pmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (!m->slots[i])
			continue;
		free(m->slots[i]->path);
		json_decref(m->slots[i]->pj);
		free(m->slots[i]);
	}
	free(m->slots);
	m->slots = NULL;
	m->cap = m->nr = 0;
}

static int pmap_grow(struct pmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024, i, j;
	struct pinfo **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return FERRY_ENOMEM;
	for (i = 0; i < m->cap; i++) {
		if (!m->slots[i])
			continue;
		j = hash_str(m->slots[i]->path) & (cap - 1);
		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

/* The record of `path`, created (nothing probed yet) if new; NULL: ENOMEM. */
static struct pinfo *pmap_get(struct pmap *m, const char *path)
{
	struct pinfo *p;
	size_t j;

	if ((m->nr + 1) * 2 > m->cap && pmap_grow(m))
		return NULL;
	j = hash_str(path) & (m->cap - 1);
	while (m->slots[j]) {
		if (!strcmp(m->slots[j]->path, path))
			return m->slots[j];
		j = (j + 1) & (m->cap - 1);
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->path = ferry_strdup(path);
	if (!p->path) {
		free(p);
		return NULL;
	}
	p->kind = -1;
	p->pj_state = -1;
	p->native = -1;
	p->traced = -1;
	m->slots[j] = p;
	m->nr++;
	return p;
}

static int oom(struct tracer *tr)
{
	return ferry_error_set(tr->err, FERRY_ENOMEM, "out of memory");
}

/* 1 file, 2 dir, 0 absent; -1 out of memory. Cached. */
static int path_kind(struct tracer *tr, const char *path)
{
	struct pinfo *p = pmap_get(&tr->map, path);
	struct stat st;

	if (!p)
		return -1;
	if (p->kind < 0) {
		if (stat(path, &st))
			p->kind = 0;
		else if (S_ISDIR(st.st_mode))
			p->kind = 2;
		else if (S_ISREG(st.st_mode))
			p->kind = 1;
		else
			p->kind = 0;
	}
	return p->kind;
}

/* The parsed package.json of `dir` (borrowed), or NULL (none or invalid). */
static json_t *package_json(struct tracer *tr, const char *dir, int *nomem)
{
	struct pinfo *p = pmap_get(&tr->map, dir);
	struct ferry_buf b = FERRY_BUF_INIT;
	char *file = NULL;
	int k;

	if (!p) {
		*nomem = 1;
		return NULL;
	}
	if (p->pj_state >= 0)
		return p->pj;
	p->pj_state = 0;
	file = ferry_path_join(dir, "package.json");
	if (!file) {
		*nomem = 1;
		return NULL;
	}
	k = path_kind(tr, file);
	if (k < 0)
		*nomem = 1;
	if (k == 1 && !ferry_fs_read(&b, file, PACKAGE_JSON_MAX, NULL)) {
		p->pj = json_loadb(b.buf, b.len, 0, NULL);
		if (p->pj && !json_is_object(p->pj)) {
			json_decref(p->pj);
			p->pj = NULL;
		}
		p->pj_state = p->pj ? 1 : 0;
	}
	ferry_buf_release(&b);
	free(file);
	return p->pj;
}

/* Normalise "a/./b/../c" lexically (as Node's path.resolve does). */
static char *join_norm(const char *base, const char *rel)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	const char *parts[2] = { base, rel };
	const char *p, *e;
	size_t i, n;

	if (*rel == '/')
		parts[0] = "";
	for (i = 0; i < 2; i++) {
		for (p = parts[i]; *p; p = e) {
			while (*p == '/')
				p++;
			if (!*p)
				break;
			e = strchr(p, '/');
			if (!e)
				e = p + strlen(p);
			n = (size_t)(e - p);
			if (n == 1 && p[0] == '.')
				continue;
			if (n == 2 && p[0] == '.' && p[1] == '.') {
				char *slash = strrchr(b.buf, '/');

				ferry_buf_truncate(&b, slash ? (size_t)(slash -
								b.buf) : 0);
				continue;
			}
			if (ferry_buf_addch(&b, '/') || ferry_buf_add(&b, p, n))
				goto fail;
		}
	}
	if (!b.len && ferry_buf_addch(&b, '/'))
		goto fail;
	return ferry_buf_detach(&b);
fail:
	ferry_buf_release(&b);
	return NULL;
}

static char *dirname_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	char *d;

	if (!n)
		return ferry_strdup("/");
	d = malloc(n + 1);
	if (!d)
		return NULL;
	memcpy(d, path, n);
	d[n] = '\0';
	return d;
}

/*
 * The name inside the bundle of logical path `abs`: relative to the
 * project, or "node_modules/..." for a package found above the project
 * (hoisted monorepo). NULL (and *nomem 0) when it has no place in the
 * bundle.
 */
static char *bundle_name(const struct tracer *tr, const char *abs, int *nomem)
{
	const char *nm;
	char *s;

	*nomem = 0;
	if (!strncmp(abs, tr->dir, tr->dirlen) && abs[tr->dirlen] == '/')
		s = ferry_strdup(abs + tr->dirlen + 1);
	else if ((nm = strstr(abs, "/node_modules/")))
		s = ferry_strdup(nm + 1);
	else
		return NULL;
	if (!s)
		*nomem = 1;
	return s;
}

/*
 * The package directory holding `abs` (".../node_modules/name" or
 * ".../node_modules/@scope/name") and its name, or 0 when `abs` is not
 * inside node_modules.
 */
static int package_root(const char *abs, size_t *rootlen, const char **name)
{
	const char *nm = NULL, *p = abs, *q, *e;

	while ((q = strstr(p, "/node_modules/"))) {
		nm = q;
		p = q + 1;
	}
	if (!nm)
		return 0;
	q = nm + strlen("/node_modules/");
	e = strchr(q, '/');
	if (!e)
		return 0;
	if (*q == '@') {
		e = strchr(e + 1, '/');
		if (!e)
			return 0;
	}
	*rootlen = (size_t)(e - abs);
	*name = q;
	return 1;
}

static int is_builtin(const char *spec)
{
	size_t n, i;
	const char *slash;

	if (!strncmp(spec, "node:", 5))
		return 1;
	slash = strchr(spec, '/');
	n = slash ? (size_t)(slash - spec) : strlen(spec);
	for (i = 0; builtins[i]; i++)
		if (strlen(builtins[i]) == n && !strncmp(builtins[i], spec, n))
			return 1;
	return 0;
}

/* Split a bare specifier into the package name length; 0 if invalid. */
static size_t package_name_len(const char *spec)
{
	const char *slash = strchr(spec, '/');

	if (*spec == '@') {
		if (!slash || slash == spec + 1 || !slash[1])
			return 0;
		slash = strchr(slash + 1, '/');
	}
	return slash ? (size_t)(slash - spec) : strlen(spec);
}

/*
 * Read the dev-only packages of the project's npm lockfile (lockfile v2/v3
 * "packages" map: package-lock.json, else the hidden
 * node_modules/.package-lock.json). No lockfile: nothing is dev-only here
 * (the tracer then only follows what is installed).
 */
static int load_dev_dirs(struct tracer *tr)
{
	static const char *const names[] = {
		"package-lock.json", "node_modules/.package-lock.json", NULL,
	};
	struct ferry_buf text = FERRY_BUF_INIT;
	struct ferry_error e;
	json_t *doc = NULL, *pkgs, *meta;
	const char *key;
	char *path;
	size_t i;
	int ret = 0;

	for (i = 0; names[i] && !doc; i++) {
		path = ferry_xstrfmt("%.*s/%s", (int)tr->dirlen, tr->dir, names[i]);
		if (!path)
			return oom(tr);
		ferry_error_init(&e);
		ferry_buf_reset(&text);
		if (!ferry_fs_read(&text, path, 0, &e))
			doc = json_loadb(text.buf, text.len, 0, NULL);
		free(path);
	}
	pkgs = json_object_get(doc, "packages");
	json_object_foreach(pkgs, key, meta) {
		if (!*key || !json_is_true(json_object_get(meta, "dev")))
			continue;
		if (ferry_strvec_pushf(&tr->dev_dirs, "%.*s/%s", (int)tr->dirlen,
				       tr->dir, key)) {
			ret = oom(tr);
			break;
		}
	}
	ferry_strvec_sort(&tr->dev_dirs);
	json_decref(doc);
	ferry_buf_release(&text);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 1 if package directory `pkg` is dev-only per the lockfile. */
static int is_dev_dir(const struct tracer *tr, const char *pkg)
{
	return tr->dev_dirs.nr &&
	       bsearch(&pkg, tr->dev_dirs.items, tr->dev_dirs.nr,
		       sizeof(char *), cmp_str) != NULL;
}

/* Is package `name` (its first `n` bytes) in fn->package.external? */
static int is_external(const struct tracer *tr, const char *name, size_t n)
{
	const struct ferry_strvec *ext = &tr->fn->package.external;
	char *pkg;
	size_t i;
	int hit = 0;

	if (!ext->nr)
		return 0;
	pkg = malloc(n + 1);
	if (!pkg)
		return -1;
	memcpy(pkg, name, n);
	pkg[n] = '\0';
	for (i = 0; i < ext->nr && !hit; i++)
		hit = ferry_glob_match(ext->items[i], pkg);
	free(pkg);
	return hit;
}

static const char *const probe_exts[] = {
	"", ".js", ".json", ".node", ".cjs", ".mjs", NULL
};

/* LOAD_AS_FILE: `base` itself or with an extension; 1 found, 0, -1 ENOMEM. */
static int load_as_file(struct tracer *tr, const char *base, char **out)
{
	size_t i;
	int k;

	for (i = 0; probe_exts[i]; i++) {
		char *p = ferry_xstrfmt("%s%s", base, probe_exts[i]);

		if (!p)
			return -1;
		k = path_kind(tr, p);
		if (k == 1) {
			*out = p;
			return 1;
		}
		free(p);
		if (k < 0)
			return -1;
	}
	return 0;
}

static int load_index(struct tracer *tr, const char *dir, char **out)
{
	char *base = ferry_path_join(dir, "index");
	int r;

	if (!base)
		return -1;
	r = load_as_file(tr, base, out);
	free(base);
	return r;
}

/* LOAD_AS_DIRECTORY: package.json main, then index. */
static int load_as_dir(struct tracer *tr, const char *dir, char **out)
{
	json_t *pj, *main;
	char *m = NULL;
	int nomem = 0, r = 0, k;

	k = path_kind(tr, dir);
	if (k <= 0)
		return k;
	if (k != 2)
		return 0;
	pj = package_json(tr, dir, &nomem);
	if (nomem)
		return -1;
	main = pj ? json_object_get(pj, "main") : NULL;
	if (json_is_string(main) && *json_string_value(main)) {
		m = join_norm(dir, json_string_value(main));
		if (!m)
			return -1;
		r = load_as_file(tr, m, out);
		if (!r)
			r = load_index(tr, m, out);
		free(m);
		if (r)
			return r;
	}
	return load_index(tr, dir, out);
}

static int load_file_or_dir(struct tracer *tr, const char *path, char **out)
{
	int r = load_as_file(tr, path, out);

	if (!r)
		r = load_as_dir(tr, path, out);
	return r;
}

static int has_condition(const char *const *conds, const char *key)
{
	size_t i;

	for (i = 0; conds[i]; i++)
		if (!strcmp(conds[i], key))
			return 1;
	return 0;
}

static int package_resolve(struct tracer *tr, const char *spec,
			   const char *from_dir, const char *const *conds,
			   char **out);

/*
 * PACKAGE_TARGET_RESOLVE: `target` of an exports/imports map, with `*`
 * replaced by `match` (may be NULL). 1 found (*out, existence not yet
 * checked for bare targets it is), 0 no match or null, 2 skipped (built-in
 * or external), -1 ENOMEM.
 */
static int target_resolve(struct tracer *tr, const char *pkgdir,
			  json_t *target, const char *match, int imports,
			  const char *const *conds, char **out)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	const char *s, *key;
	json_t *v;
	size_t i;
	int r;

	if (json_is_string(target)) {
		s = json_string_value(target);
		for (; *s; s++) {
			if (*s == '*' && match) {
				if (ferry_buf_addstr(&b, match))
					goto nomem;
			} else if (ferry_buf_addch(&b, *s)) {
				goto nomem;
			}
		}
		if (!strncmp(b.buf, "./", 2)) {
			*out = join_norm(pkgdir, b.buf);
			ferry_buf_release(&b);
			return *out ? 1 : -1;
		}
		if (imports && b.len && b.buf[0] != '/' &&
		    strncmp(b.buf, "../", 3)) {
			r = package_resolve(tr, b.buf, pkgdir, conds, out);
			ferry_buf_release(&b);
			return r;
		}
		ferry_buf_release(&b);
		return 0;
	}
	if (json_is_array(target)) {
		json_array_foreach(target, i, v) {
			r = target_resolve(tr, pkgdir, v, match, imports, conds,
					   out);
			if (r)
				return r;
		}
		return 0;
	}
	if (json_is_object(target)) {
		json_object_foreach(target, key, v) {
			if (strcmp(key, "default") && !has_condition(conds, key))
				continue;
			r = target_resolve(tr, pkgdir, v, match, imports, conds,
					   out);
			if (r)
				return r;
		}
	}
	return 0;
nomem:
	ferry_buf_release(&b);
	return -1;
}

/* Does this exports value use subpath keys ("./x")? */
static int has_subpath_keys(json_t *exports)
{
	const char *key;
	json_t *v;

	if (!json_is_object(exports))
		return 0;
	json_object_foreach(exports, key, v) {
		(void)v;
		return key[0] == '.';
	}
	return 0;
}

/*
 * PACKAGE_IMPORTS_EXPORTS_RESOLVE: look `key` ("." , "./x" or "#x") up in
 * `map`, exact keys first, then the `*` pattern with the longest prefix.
 */
static int map_resolve(struct tracer *tr, const char *pkgdir, json_t *map,
		       const char *key, int imports, const char *const *conds,
		       char **out)
{
	const char *k, *best = NULL, *star, *trailer;
	size_t keylen = strlen(key), base, best_base = 0, tl;
	char *match = NULL;
	json_t *v, *best_v = NULL;
	int r;

	v = json_object_get(map, key);
	if (v && !strchr(key, '*'))
		return target_resolve(tr, pkgdir, v, NULL, imports, conds, out);
	json_object_foreach(map, k, v) {
		star = strchr(k, '*');
		if (!star || strchr(star + 1, '*'))
			continue;
		base = (size_t)(star - k);
		trailer = star + 1;
		tl = strlen(trailer);
		if (keylen < base || strncmp(key, k, base) ||
		    !strcmp(key, k) || keylen == base)
			continue;
		/* with a trailer, `*` must still match one byte or more */
		if (tl && (keylen < base + tl + 1 ||
			   strcmp(key + keylen - tl, trailer)))
			continue;
		/* PATTERN_KEY_COMPARE: longer prefix, then longer key */
		if (!best || base > best_base ||
		    (base == best_base && strlen(k) > strlen(best))) {
			best = k;
			best_base = base;
			best_v = v;
		}
	}
	if (!best)
		return 0;
	tl = strlen(strchr(best, '*') + 1);
	match = malloc(keylen - best_base - tl + 1);
	if (!match)
		return -1;
	memcpy(match, key + best_base, keylen - best_base - tl);
	match[keylen - best_base - tl] = '\0';
	r = target_resolve(tr, pkgdir, best_v, match, imports, conds, out);
	free(match);
	return r;
}

/*
 * Resolve `subpath` ("." or "./x") through the `exports` of the package in
 * `pkgdir`. 1 found and existing, 0 not exported / missing, 2 skipped,
 * -1 ENOMEM.
 */
static int exports_resolve(struct tracer *tr, const char *pkgdir,
			   json_t *exports, const char *subpath,
			   const char *const *conds, char **out)
{
	char *p = NULL;
	int r, k;

	if (!has_subpath_keys(exports)) {
		if (strcmp(subpath, "."))
			return 0;
		r = target_resolve(tr, pkgdir, exports, NULL, 0, conds, &p);
	} else {
		r = map_resolve(tr, pkgdir, exports, subpath, 0, conds, &p);
	}
	if (r != 1)
		return r;
	k = path_kind(tr, p);
	if (k == 1) {
		*out = p;
		return 1;
	}
	free(p);
	return k < 0 ? -1 : 0;
}

/* Node's condition set for this runtime and kind of import. */
static void conditions(const struct tracer *tr, int require,
		       const char **conds)
{
	size_t n = 0;

	conds[n++] = "node";
	conds[n++] = require ? "require" : "import";
	if (tr->major >= 22 || tr->major == 20)
		conds[n++] = "module-sync";
	conds[n++] = "node-addons";
	conds[n] = NULL;
}

/* The directory of the package scope of `dir` (nearest package.json). */
static int package_scope(struct tracer *tr, const char *dir, char **out)
{
	char *d = ferry_strdup(dir), *slash;
	int nomem = 0;

	if (!d)
		return -1;
	for (;;) {
		const char *base = strrchr(d, '/');

		if (base && !strcmp(base + 1, "node_modules"))
			break;
		if (package_json(tr, d, &nomem)) {
			*out = d;
			return 1;
		}
		if (nomem)
			break;
		/* never above the project, unless inside node_modules */
		if (!strcmp(d, tr->dir) || strlen(d) <= 1)
			break;
		slash = strrchr(d, '/');
		if (!slash)
			break;
		if (slash == d)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	free(d);
	return nomem ? -1 : 0;
}

/* LOAD_NODE_MODULES and LOAD_PACKAGE_SELF for bare `spec` from `from_dir`. */
static int package_resolve(struct tracer *tr, const char *spec,
			   const char *from_dir, const char *const *conds,
			   char **out)
{
	size_t n = package_name_len(spec), len;
	char *d = NULL, *pkg = NULL, *sub = NULL, *scope = NULL;
	const char *subpath;
	json_t *pj, *exports, *name;
	int r = 0, k, nomem = 0;

	if (!n)
		return 0;
	if (is_builtin(spec))
		return 2;
	r = is_external(tr, spec, n);
	if (r)
		return r < 0 ? -1 : 2;
	subpath = spec + n;
	sub = ferry_xstrfmt(".%s", subpath);
	if (!sub)
		return -1;
	/* self-reference: the package scope's own name */
	r = package_scope(tr, from_dir, &scope);
	if (r < 0)
		goto out;
	if (r == 1) {
		pj = package_json(tr, scope, &nomem);
		name = json_object_get(pj, "name");
		exports = json_object_get(pj, "exports");
		r = 0;
		if (json_is_string(name) && exports &&
		    strlen(json_string_value(name)) == n &&
		    !strncmp(json_string_value(name), spec, n)) {
			r = exports_resolve(tr, scope, exports, sub, conds, out);
			goto out;
		}
	}
	d = ferry_strdup(from_dir);
	if (!d) {
		r = -1;
		goto out;
	}
	for (;;) {
		const char *base = strrchr(d, '/');

		len = strlen(d);
		if (!base || strcmp(base + 1, "node_modules")) {
			free(pkg);
			pkg = ferry_xstrfmt("%s/node_modules/%.*s",
					    len > 1 ? d : "", (int)n, spec);
			if (!pkg) {
				r = -1;
				goto out;
			}
			k = path_kind(tr, pkg);
			if (k < 0) {
				r = -1;
				goto out;
			}
			if (k == 2 && is_dev_dir(tr, pkg)) {
				/* absent from a production install */
				ferry_debug("trace: '%.*s' in %s is a devDependency; "
					    "left out", (int)n, spec, pkg);
				r = 2;
				goto out;
			}
			if (k == 2) {
				pj = package_json(tr, pkg, &nomem);
				if (nomem) {
					r = -1;
					goto out;
				}
				exports = json_object_get(pj, "exports");
				if (exports && !json_is_null(exports)) {
					r = exports_resolve(tr, pkg, exports,
							    sub, conds, out);
					goto out;
				}
				free(pkg);
				pkg = ferry_xstrfmt("%s/node_modules/%s",
						    len > 1 ? d : "", spec);
				if (!pkg) {
					r = -1;
					goto out;
				}
				r = load_file_or_dir(tr, pkg, out);
				if (r)
					goto out;
			} else if (!*subpath) {
				/* node_modules/name.js */
				r = load_as_file(tr, pkg, out);
				if (r)
					goto out;
			}
		}
		if (len <= 1)
			break;
		*strrchr(d, '/') = '\0';
		if (!*d) {
			d[0] = '/';
			d[1] = '\0';
		}
	}
	r = 0;
out:
	free(d);
	free(pkg);
	free(sub);
	free(scope);
	return r;
}

/* `#name` through the `imports` of the importer's package scope. */
static int imports_resolve(struct tracer *tr, const char *spec,
			   const char *from_dir, const char *const *conds,
			   char **out)
{
	char *scope = NULL, *p = NULL;
	json_t *imports;
	int r, k, nomem = 0;

	r = package_scope(tr, from_dir, &scope);
	if (r != 1)
		return r;
	imports = json_object_get(package_json(tr, scope, &nomem), "imports");
	r = 0;
	if (json_is_object(imports))
		r = map_resolve(tr, scope, imports, spec, 1, conds, &p);
	if (r == 1 && p) {
		/* a bare target was resolved (and checked) by package_resolve */
		k = path_kind(tr, p);
		if (k == 1)
			*out = p;
		else
			free(p);
		r = k < 0 ? -1 : k == 1;
	}
	free(scope);
	return r;
}

/* Resolve `spec` imported from logical file `from`. */
static int resolve(struct tracer *tr, const char *spec, const char *from,
		   int require, char **out)
{
	const char *conds[8];
	char *dir = NULL, *p = NULL;
	int r;

	conditions(tr, require, conds);
	if (is_builtin(spec))
		return 2;
	dir = dirname_of(from);
	if (!dir)
		return -1;
	if (spec[0] == '/' || !strcmp(spec, ".") || !strcmp(spec, "..") ||
	    !strncmp(spec, "./", 2) || !strncmp(spec, "../", 3)) {
		p = join_norm(dir, spec);
		r = p ? load_file_or_dir(tr, p, out) : -1;
	} else if (spec[0] == '#') {
		r = imports_resolve(tr, spec, dir, conds, out);
	} else {
		r = package_resolve(tr, spec, dir, conds, out);
	}
	free(p);
	free(dir);
	return r;
}

static int warn(struct tracer *tr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int warn(struct tracer *tr, const char *fmt, ...)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = ferry_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (ret || ferry_strvec_push_owned(&tr->out->warnings,
					   ferry_buf_detach(&b)))
		return oom(tr);
	return 0;
}

/* Queue logical file `path` (trace index `idx`) for lexing, once. */
static int enqueue(struct tracer *tr, const char *path, long idx)
{
	struct pinfo *p = pmap_get(&tr->map, path);

	if (!p)
		return oom(tr);
	if (p->queued)
		return 0;
	p->queued = 1;
	if (tr->queue.nr == tr->queue_alloc) {
		size_t a = tr->queue_alloc ? tr->queue_alloc * 2 : 256;
		long *q = realloc(tr->queue_idx, a * sizeof(*q));

		if (!q)
			return oom(tr);
		tr->queue_idx = q;
		tr->queue_alloc = a;
	}
	if (ferry_strvec_push(&tr->queue, path))
		return oom(tr);
	tr->queue_idx[tr->queue.nr - 1] = idx;
	return 0;
}

/*
 * Add logical file `abs` to the trace (once). `*idx` gets its index; `*added`
 * whether it is new. Files with no place in the bundle are warned about.
 */
static int add_file(struct tracer *tr, const char *abs, long parent,
		    unsigned line, const char *why, long *idx, int *added)
{
	struct pinfo *p = pmap_get(&tr->map, abs);
	char *name = NULL, *real = NULL;
	int nomem = 0, ret = 0;

	*added = 0;
	*idx = -1;
	if (!p)
		return oom(tr);
	if (p->traced >= 0) {
		*idx = p->traced;
		return 0;
	}
	name = bundle_name(tr, abs, &nomem);
	if (nomem) {
		ret = oom(tr);
		goto out;
	}
	if (!name) {
		/* Not fatal: the handler may never take that branch. */
		ret = warn(tr, "%s is outside the project and not in "
			   "node_modules; it is left out", abs);
		goto out;
	}
	real = realpath(abs, NULL);
	if (ferry_trace_add(tr->out, name, real ? real : abs, parent, line, why,
			    idx)) {
		ret = oom(tr);
		goto out;
	}
	p->traced = *idx;
	*added = 1;
out:
	free(name);
	free(real);
	return ret;
}

static int is_code(const char *path)
{
	const char *base = strrchr(path, '/'), *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (!dot)
		return 1;
	return !strcmp(dot, ".js") || !strcmp(dot, ".cjs") ||
	       !strcmp(dot, ".mjs");
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* Does the package in `root` carry a native addon? 1, 0, -1 ENOMEM. */
static int is_native(struct tracer *tr, struct pinfo *rp, const char *root)
{
	static const char *const marks[] = { "binding.gyp", "prebuilds",
					     "build/Release", NULL };
	json_t *pj;
	size_t i;
	int nomem = 0, k;

	if (rp->native >= 0)
		return rp->native;
	rp->native = 0;
	for (i = 0; marks[i]; i++) {
		char *p = ferry_path_join(root, marks[i]);

		if (!p)
			return -1;
		k = path_kind(tr, p);
		free(p);
		if (k < 0)
			return -1;
		if (k > 0) {
			rp->native = 1;
			return 1;
		}
	}
	pj = package_json(tr, root, &nomem);
	if (nomem)
		return -1;
	if (json_is_true(json_object_get(pj, "gypfile")) ||
	    json_is_object(json_object_get(pj, "binary")))
		rp->native = 1;
	return rp->native;
}

/* Add every file of native package `root` (its own node_modules aside). */
static int keep_whole(struct tracer *tr, const char *root, long parent)
{
	static const char *const skip[] = { "node_modules", NULL };
	struct ferry_strvec files = FERRY_STRVEC_INIT;
	struct ferry_error werr;
	char *abs = NULL;
	size_t i;
	long idx;
	int ret = 0, added;

	ferry_error_init(&werr);
	if (ferry_fs_walk(&files, root, skip, &werr)) {
		ret = warn(tr, "cannot list native package %s: %s", root,
			   werr.msg);
		goto out;
	}
	for (i = 0; i < files.nr; i++) {
		free(abs);
		abs = ferry_path_join(root, files.items[i]);
		if (!abs) {
			ret = oom(tr);
			goto out;
		}
		ret = add_file(tr, abs, parent, 0,
			       "native addon: package kept whole", &idx, &added);
		if (ret)
			goto out;
	}
out:
	free(abs);
	ferry_strvec_release(&files);
	return ret;
}

/*
 * A file was reached: keep the package.json files Node reads for it (its
 * package scope and, inside node_modules, its package root) and, for a
 * native-addon package, the whole package.
 */
static int reached(struct tracer *tr, const char *abs, long idx)
{
	char *dir = NULL, *scope = NULL, *root = NULL, *pjp = NULL;
	const char *name;
	struct pinfo *rp;
	size_t rootlen;
	long pidx;
	int ret = 0, r, added;

	dir = dirname_of(abs);
	if (!dir)
		return oom(tr);
	r = package_scope(tr, dir, &scope);
	if (r < 0) {
		ret = oom(tr);
		goto out;
	}
	if (r == 1) {
		pjp = ferry_path_join(scope, "package.json");
		if (!pjp) {
			ret = oom(tr);
			goto out;
		}
		ret = add_file(tr, pjp, idx, 0,
			       "package.json of a reached package", &pidx,
			       &added);
		if (ret)
			goto out;
	}
	if (!package_root(abs, &rootlen, &name))
		goto out;
	root = malloc(rootlen + 1);
	if (!root) {
		ret = oom(tr);
		goto out;
	}
	memcpy(root, abs, rootlen);
	root[rootlen] = '\0';
	if (!scope || strcmp(scope, root)) {
		free(pjp);
		pjp = ferry_path_join(root, "package.json");
		if (!pjp) {
			ret = oom(tr);
			goto out;
		}
		if (path_kind(tr, pjp) == 1) {
			ret = add_file(tr, pjp, idx, 0,
				       "package.json of a reached package",
				       &pidx, &added);
			if (ret)
				goto out;
		}
	}
	rp = pmap_get(&tr->map, root);
	if (!rp) {
		ret = oom(tr);
		goto out;
	}
	if (rp->whole)
		goto out;
	r = ends_with(abs, ".node") ? 1 : is_native(tr, rp, root);
	if (r < 0) {
		ret = oom(tr);
		goto out;
	}
	if (r) {
		rp->native = 1;
		rp->whole = 1;
		ret = keep_whole(tr, root, idx);
	}
out:
	free(dir);
	free(scope);
	free(root);
	free(pjp);
	return ret;
}

/* Lex queued file `abs` (trace index `idx`) and follow its imports. */
static int scan_file(struct tracer *tr, const char *abs, long idx)
{
	struct ferry_js_sites sites;
	struct ferry_buf src = FERRY_BUF_INIT, why = FERRY_BUF_INIT;
	struct ferry_error rerr;
	const char *fname;
	char *found = NULL, *fname_copy = NULL;
	size_t i;
	long cidx;
	int ret = 0, r, added;

	ferry_js_sites_init(&sites);
	ferry_error_init(&rerr);
	fname_copy = ferry_strdup(tr->out->items[idx].name);
	if (!fname_copy) {
		ret = oom(tr);
		goto out;
	}
	fname = fname_copy;
	if (ferry_fs_read(&src, abs, SOURCE_MAX, &rerr)) {
		ret = warn(tr, "cannot read %s: %s", fname, rerr.msg);
		goto out;
	}
	if (ferry_js_lex_scan(&sites, src.buf, src.len)) {
		ret = oom(tr);
		goto out;
	}
	for (i = 0; i < sites.nr; i++) {
		const struct ferry_js_site *s = &sites.items[i];
		int req = ferry_js_form_is_require(s->form);

		if (!s->spec) {
			ret = warn(tr, "%s:%u: %s with a non-literal argument; "
				   "add what it loads to package.include",
				   fname, s->line,
				   req ? "require()" : "import()");
			if (ret)
				goto out;
			continue;
		}
		free(found);
		found = NULL;
		r = resolve(tr, s->spec, abs, req, &found);
		if (r < 0) {
			ret = oom(tr);
			goto out;
		}
		if (r == 2)
			continue;
		if (r == 0) {
			ret = warn(tr, "cannot resolve '%s' from %s:%u",
				   s->spec, fname, s->line);
			if (ret)
				goto out;
			continue;
		}
		ferry_buf_reset(&why);
		if (ferry_js_site_describe(&why, s)) {
			ret = oom(tr);
			goto out;
		}
		ret = add_file(tr, found, idx, s->line, why.buf, &cidx, &added);
		if (ret)
			goto out;
		if (cidx < 0)
			continue;
		/* A file of a package kept whole is added unread; lex it once
		 * an import reaches it. */
		if (added)
			ret = reached(tr, found, cidx);
		if (!ret && is_code(found))
			ret = enqueue(tr, found, cidx);
		if (ret)
			goto out;
	}
out:
	free(found);
	free(fname_copy);
	ferry_buf_release(&src);
	ferry_buf_release(&why);
	ferry_js_sites_release(&sites);
	return ret;
}

static int node_major(const char *runtime)
{
	long v = 0;
	const char *p = runtime;

	if (!p || strncmp(p, "nodejs", 6))
		return 20;
	for (p += 6; *p >= '0' && *p <= '9' && v < 1000; p++)
		v = v * 10 + (*p - '0');
	return v ? (int)v : 20;
}

/* Sort and drop duplicate warnings, as trace.h promises. */
static void tidy_warnings(struct ferry_strvec *w)
{
	size_t i, j = 0;

	ferry_strvec_sort(w);
	for (i = 0; i < w->nr; i++) {
		if (j && !strcmp(w->items[j - 1], w->items[i])) {
			free(w->items[i]);
			continue;
		}
		w->items[j++] = w->items[i];
	}
	w->nr = j;
}

int ferry_trace_node(struct ferry_trace *out, const struct ferry_config *cfg,
		     const struct ferry_function *fn, struct ferry_error *err)
{
	struct tracer tr;
	char *handler = NULL;
	size_t i;
	long idx;
	int ret = 0, added;

	memset(&tr, 0, sizeof(tr));
	tr.out = out;
	tr.fn = fn;
	tr.dir = cfg->dir;
	tr.dirlen = strlen(cfg->dir);
	while (tr.dirlen > 1 && tr.dir[tr.dirlen - 1] == '/')
		tr.dirlen--;
	tr.major = node_major(fn->runtime);
	tr.err = err;
	ferry_strvec_init(&tr.queue);
	ferry_strvec_init(&tr.dev_dirs);
	ret = load_dev_dirs(&tr);
	if (ret)
		goto out;

	handler = join_norm(cfg->dir, fn->handler_file);
	if (!handler) {
		ret = oom(&tr);
		goto out;
	}
	if (path_kind(&tr, handler) != 1) {
		ret = ferry_error_set(err, FERRY_ENOTFOUND,
				      "handler file '%s' of function '%s' "
				      "not found", fn->handler_file, fn->name);
		goto out;
	}
	ret = add_file(&tr, handler, -1, 0, "handler", &idx, &added);
	if (ret)
		goto out;
	if (idx < 0) {
		ret = ferry_error_set(err, FERRY_ECONFIG,
				      "handler file '%s' is outside the project",
				      fn->handler_file);
		goto out;
	}
	ret = reached(&tr, handler, idx);
	if (!ret)
		ret = enqueue(&tr, handler, idx);
	/* The queue grows while it is scanned: breadth first. */
	for (i = 0; !ret && i < tr.queue.nr; i++)
		ret = scan_file(&tr, tr.queue.items[i], tr.queue_idx[i]);
	tidy_warnings(&out->warnings);
out:
	free(handler);
	free(tr.queue_idx);
	ferry_strvec_release(&tr.queue);
	ferry_strvec_release(&tr.dev_dirs);
	pmap_release(&tr.map);
	return ret;
}
