/*
 * select_node.c - the production packages of a Node function (`deps`
 * mode): starting from the project package.json `dependencies` and
 * `optionalDependencies`, each name is resolved the way Node's require()
 * does (`node_modules/<name>` next to the requiring package, then in each
 * parent directory), symlinks (workspace packages) are followed with
 * realpath, and every reached package's own `dependencies`,
 * `optionalDependencies` and installed `peerDependencies` are followed in
 * turn. Each reached package directory ships whole, except its nested
 * `node_modules` (reached only through this recursion, `.bin` never).
 * devDependencies are never read, so nothing only they reach can ship.
 *
 * It does not read lockfiles, run npm or follow require() calls: that is
 * the later `trace` mode.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/fs.h"
#include "ferry/log.h"
#include "select.h"

#define PACKAGE_JSON_MAX (8u << 20)

enum dep_kind {
	DEP_REQUIRED, /* dependencies: must be installed */
	DEP_OPTIONAL, /* optionalDependencies, peerDependencies */
};

struct pkg {
	char *
	    logical; /* owned; directory inside the bundle ("node_modules/a") */
	char *real;  /* owned; absolute real directory on disk */
	char *name;  /* owned; package name, for messages */
	size_t from; /* index of the package that first required it */
};

struct graph {
	char *project;	   /* owned; real path of the project directory */
	struct pkg *items; /* owned; every package reached, in order */
	size_t nr, alloc;
	struct ferry_bundle_files *files; /* borrowed */
};

static void graph_release(struct graph *g)
{
	size_t i;

	for (i = 0; i < g->nr; i++) {
		free(g->items[i].logical);
		free(g->items[i].real);
		free(g->items[i].name);
	}
	free(g->items);
	free(g->project);
}

/* Scoped ("@scope/x") or plain ("x"); never a path that could escape. */
static int valid_name(const char *name)
{
	const char *slash = strchr(name, '/');

	if (!*name || name[0] == '.' || strstr(name, "..") ||
	    strchr(name, '\\'))
		return 0;
	if (!slash)
		return name[0] != '@';
	return name[0] == '@' && slash > name + 1 && slash[1] &&
	       !strchr(slash + 1, '/') && slash[1] != '.';
}

/*
 * Read `dir`/package.json. A package without one is fine (`*out` NULL);
 * one that does not parse is an error.
 */
static int read_manifest(json_t **out, const char *dir, struct ferry_error *err)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	json_error_t jerr;
	char *path = ferry_path_join(dir, "package.json");
	int rc = 0;

	*out = NULL;
	if (!path)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	if (!ferry_fs_is_file(path))
		goto out;
	rc = ferry_fs_read(&b, path, PACKAGE_JSON_MAX, err);
	if (rc)
		goto out;
	*out = json_loadb(b.buf, b.len, 0, &jerr);
	if (!*out || !json_is_object(*out)) {
		rc = ferry_error_set(
		    err, FERRY_EFAIL, "cannot read '%s': %s (line %d)", path,
		    *out ? "not a JSON object" : jerr.text, jerr.line);
		json_decref(*out);
		*out = NULL;
	}
out:
	ferry_buf_release(&b);
	free(path);
	return rc;
}

/* `rel` of `abs` below `dir` ("" for dir itself), or NULL when outside. */
static const char *inside(const char *dir, const char *abs)
{
	size_t n = strlen(dir);

	if (strncmp(abs, dir, n))
		return NULL;
	if (abs[n] == '\0')
		return "";
	if (abs[n] == '/')
		return abs + n + 1;
	if (n == 1 && dir[0] == '/')
		return abs + 1;
	return NULL;
}

static struct pkg *find_logical(struct graph *g, const char *logical)
{
	size_t i;

	for (i = 0; i < g->nr; i++)
		if (!strcmp(g->items[i].logical, logical))
			return &g->items[i];
	return NULL;
}

/*
 * Where the bundle stores a package found at `found` =
 * A/node_modules/<name>, required from the package stored at `from_logical`
 * whose real directory is `from_real`. Found next to the requirer: below
 * its stored place. Found in a parent that is also a parent in the bundle:
 * at the same place, where Node will look at run time. Anywhere else (the
 * parents of a symlinked workspace package, or above the project): at the
 * bundle root, where every lookup ends.
 */
static char *logical_place(const struct graph *g, const char *a,
			   const char *name, const char *from_logical,
			   const char *from_real)
{
	const char *rel;
	size_t n;

	if (!strcmp(a, from_real))
		return *from_logical ? ferry_xstrfmt("%s/node_modules/%s",
						     from_logical, name)
				     : ferry_xstrfmt("node_modules/%s", name);
	rel = inside(g->project, a);
	if (rel && *rel) {
		n = strlen(rel);
		if (!strncmp(from_logical, rel, n) && from_logical[n] == '/')
			return ferry_xstrfmt("%s/node_modules/%s", rel, name);
	}
	return ferry_xstrfmt("node_modules/%s", name);
}

/* Resolve `name` from a package; `*found` stays -1 when not installed. */
static int resolve(struct graph *g, const char *name, size_t from, long *found,
		   struct ferry_error *err)
{
	char *dir = NULL, *cand = NULL, *logical = NULL, *from_real = NULL;
	const char *from_logical = g->items[from].logical;
	char real[PATH_MAX];
	char *slash, *base;
	struct pkg *p;
	int rc = 0;

	*found = -1;
	from_real = ferry_strdup(g->items[from].real);
	dir = ferry_strdup(from_real);
	if (!dir || !from_real) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		base = strrchr(dir, '/');
		if (!base || strcmp(base + 1, "node_modules")) {
			free(cand);
			cand = ferry_xstrfmt("%s/node_modules/%s",
					     strcmp(dir, "/") ? dir : "", name);
			if (!cand) {
				rc = ferry_error_set(err, FERRY_ENOMEM,
						     "out of memory");
				goto out;
			}
			if (ferry_fs_is_dir(cand))
				break;
		}
		slash = strrchr(dir, '/');
		if (!slash || !strcmp(dir, "/"))
			goto out; /* not installed anywhere */
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	if (!realpath(cand, real)) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot resolve '%s'", cand);
		goto out;
	}
	logical = logical_place(g, dir, name, from_logical, from_real);
	if (!logical) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	p = find_logical(g, logical);
	if (p) {
		if (strcmp(p->real, real))
			ferry_warn(
			    "package '%s' is installed at '%s' and '%s'; "
			    "the bundle keeps the first at '%s'",
			    name, p->real, real, logical);
		*found = p - g->items;
		goto out;
	}
	if (g->nr == g->alloc) {
		size_t n = g->alloc ? g->alloc * 2 : 32;
		struct pkg *items = realloc(g->items, n * sizeof(*items));

		if (!items) {
			rc =
			    ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			goto out;
		}
		g->items = items;
		g->alloc = n;
	}
	p = &g->items[g->nr];
	p->logical = logical;
	p->real = ferry_strdup(real);
	p->name = ferry_strdup(name);
	p->from = from;
	logical = NULL;
	g->nr++;
	if (!p->real || !p->name) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	*found = (long)(g->nr - 1);
	ferry_debug("bundle: package '%s' (required by '%s') at '%s'%s%s", name,
		    g->items[from].name, p->logical,
		    strcmp(p->real, cand) ? " -> " : "",
		    strcmp(p->real, cand) ? p->real : "");
out:
	free(dir);
	free(cand);
	free(logical);
	free(from_real);
	return rc;
}

/* Follow one dependency object of the package at index `from`. */
static int follow(struct graph *g, size_t from, json_t *pkgjson,
		  const char *field, enum dep_kind kind,
		  struct ferry_error *err)
{
	json_t *deps = json_object_get(pkgjson, field), *v;
	const char *name;
	long found;
	int rc;

	if (!deps || json_is_null(deps))
		return 0;
	if (!json_is_object(deps))
		return ferry_error_set(err, FERRY_EFAIL,
				       "'%s' of package '%s' is not an object "
				       "(in '%s/package.json')",
				       field, g->items[from].name,
				       g->items[from].real);
	json_object_foreach(deps, name, v)
	{
		(void)v;
		if (!valid_name(name))
			return ferry_error_set(err, FERRY_EFAIL,
					       "package '%s' has an invalid %s "
					       "name '%s'",
					       g->items[from].name, field,
					       name);
		rc = resolve(g, name, from, &found, err);
		if (rc)
			return rc;
		if (found >= 0)
			continue;
		if (kind == DEP_REQUIRED)
			return ferry_error_set(
			    err, FERRY_EFAIL,
			    "package '%s' (a dependency of '%s') "
			    "is not installed in node_modules; "
			    "run npm install",
			    name, g->items[from].name);
		ferry_debug("bundle: %s '%s' of '%s' is not installed; skipped",
			    field, name, g->items[from].name);
	}
	return 0;
}

/* Add every file of package `i` (but not its node_modules) to the bundle. */
static int add_package_files(struct graph *g, size_t i, struct ferry_error *err)
{
	static const char *const skip[] = {"node_modules", NULL};
	struct ferry_strvec all = FERRY_STRVEC_INIT;
	char *name = NULL, *src = NULL;
	size_t k;
	int rc;

	rc = ferry_fs_walk(&all, g->items[i].real, skip, err);
	for (k = 0; !rc && k < all.nr; k++) {
		name =
		    ferry_xstrfmt("%s/%s", g->items[i].logical, all.items[k]);
		src = ferry_xstrfmt("%s/%s", g->items[i].real, all.items[k]);
		if (!name || !src)
			rc =
			    ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		else
			rc = ferry_select_add(g->files, name, src, err);
		free(name);
		free(src);
		name = src = NULL;
	}
	ferry_strvec_release(&all);
	return rc;
}

void ferry_select_pkgs_release(struct ferry_select_pkgs *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nr; i++) {
		free(p->items[i].dir);
		free(p->items[i].name);
		free(p->items[i].parent);
	}
	free(p->items);
	p->items = NULL;
	p->nr = p->alloc = 0;
}

/* Copy the reached packages (all but the project itself) into `out`. */
static int record_pkgs(struct ferry_select_pkgs *out, const struct graph *g,
		       struct ferry_error *err)
{
	const struct pkg *p;
	size_t i;

	if (g->nr < 2)
		return 0;
	out->items = calloc(g->nr - 1, sizeof(*out->items));
	if (!out->items)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	out->alloc = g->nr - 1;
	for (i = 1; i < g->nr; i++) {
		p = &g->items[i];
		out->items[out->nr].dir = ferry_strdup(p->logical);
		out->items[out->nr].name = ferry_strdup(p->name);
		out->items[out->nr].parent =
		    p->from ? ferry_strdup(g->items[p->from].name) : NULL;
		out->nr++;
		if (!out->items[out->nr - 1].dir ||
		    !out->items[out->nr - 1].name ||
		    (p->from && !out->items[out->nr - 1].parent))
			return ferry_error_set(err, FERRY_ENOMEM,
					       "out of memory");
	}
	return 0;
}

int ferry_select_node_is_dev(const struct ferry_config *cfg, const char *name)
{
	json_t *root = NULL;
	int dev = 0;

	if (read_manifest(&root, cfg->dir, NULL) || !root)
		return 0;
	dev = json_object_get(json_object_get(root, "devDependencies"),
			      name) &&
	      !json_object_get(json_object_get(root, "dependencies"), name) &&
	      !json_object_get(json_object_get(root, "optionalDependencies"),
			       name);
	json_decref(root);
	return dev;
}

int ferry_select_node(struct ferry_bundle_files *files,
		      const struct ferry_config *cfg,
		      const struct ferry_function *fn, struct ferry_error *err)
{
	return ferry_select_node_pkgs(files, NULL, cfg, fn, err);
}

int ferry_select_node_pkgs(struct ferry_bundle_files *files,
			   struct ferry_select_pkgs *pkgs,
			   const struct ferry_config *cfg,
			   const struct ferry_function *fn,
			   struct ferry_error *err)
{
	struct graph g = {NULL, NULL, 0, 0, files};
	json_t *root = NULL, *pj = NULL, *jname;
	size_t i;
	int rc;

	rc = read_manifest(&root, cfg->dir, err);
	if (rc)
		return rc;
	if (!root) {
		ferry_debug("bundle: no package.json; no Node packages");
		return 0;
	}
	g.items = calloc(32, sizeof(*g.items));
	if (!g.items) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	g.alloc = 32;
	g.nr = 1;
	jname = json_object_get(root, "name");
	g.items[0].logical = ferry_strdup("");
	g.items[0].real = realpath(cfg->dir, NULL);
	if (!g.items[0].real) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot resolve '%s'", cfg->dir);
		goto out;
	}
	g.project = ferry_strdup(g.items[0].real);
	g.items[0].name = ferry_strdup(
	    json_is_string(jname) ? json_string_value(jname) : "package.json");
	if (!g.items[0].logical || !g.items[0].real || !g.items[0].name ||
	    !g.project) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	rc = follow(&g, 0, root, "dependencies", DEP_REQUIRED, err);
	if (!rc)
		rc = follow(&g, 0, root, "optionalDependencies", DEP_OPTIONAL,
			    err);
	/* Breadth first: g.nr grows while the loop runs. */
	for (i = 1; !rc && i < g.nr; i++) {
		json_decref(pj);
		rc = read_manifest(&pj, g.items[i].real, err);
		if (rc || !pj)
			continue;
		rc = follow(&g, i, pj, "dependencies", DEP_REQUIRED, err);
		if (!rc)
			rc = follow(&g, i, pj, "optionalDependencies",
				    DEP_OPTIONAL, err);
		if (!rc)
			rc = follow(&g, i, pj, "peerDependencies", DEP_OPTIONAL,
				    err);
	}
	for (i = 1; !rc && i < g.nr; i++)
		rc = add_package_files(&g, i, err);
	if (!rc && pkgs)
		rc = record_pkgs(pkgs, &g, err);
	if (!rc)
		ferry_debug("bundle: %zu Node packages for '%s'", g.nr - 1,
			    fn ? fn->name : "");
	if (rc && pkgs)
		ferry_select_pkgs_release(pkgs);
out:
	json_decref(pj);
	json_decref(root);
	graph_release(&g);
	return rc;
}
