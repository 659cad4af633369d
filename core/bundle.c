/*
 * bundle.c - which files make up a function's bundle, and writing it.
 *
 * Selection walks the project directory once. In `none` mode every file
 * goes in; in `deps` mode (also used for the default until the `trace`
 * mode exists) the project's own files go in
 * without node_modules, the Python packages directory, a virtualenv inside
 * the project, `__pycache__/` and `*.pyc`, and the runtime's selector
 * (core/select_node.c, core/select_python.c) adds the dependencies. `.git/`,
 * `.ferry/`, `.ferry-build*` leftovers and the manifest never go in. Then
 * `package.exclude` removes matches and `package.include` adds the project
 * files it matches, whatever the rules above said.
 *
 * Writing hands the sorted list to core/zip.c, hashes the zip and checks
 * the package budget. It does not upload, cache or deploy anything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/bundle.h"
#include "ferry/fs.h"
#include "ferry/glob.h"
#include "ferry/hash.h"
#include "ferry/log.h"
#include "ferry/zip.h"
#include "select.h"

void ferry_bundle_files_release(struct ferry_bundle_files *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->nr; i++) {
		free(f->items[i].name);
		free(f->items[i].source);
	}
	free(f->items);
	f->items = NULL;
	f->nr = f->alloc = 0;
}

void ferry_bundle_release(struct ferry_bundle *b)
{
	if (!b)
		return;
	free(b->function);
	free(b->path);
	memset(b, 0, sizeof(*b));
}

static int push_owned(struct ferry_bundle_files *files, char *name,
		      char *source, struct ferry_error *err)
{
	struct ferry_bundle_file *items;
	size_t n;

	if (!name || !source)
		goto nomem;
	if (files->nr == files->alloc) {
		n = files->alloc ? files->alloc * 2 : 256;
		items = realloc(files->items, n * sizeof(*items));
		if (!items)
			goto nomem;
		files->items = items;
		files->alloc = n;
	}
	files->items[files->nr].name = name;
	files->items[files->nr].source = source;
	files->nr++;
	return 0;
nomem:
	free(name);
	free(source);
	return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
}

int ferry_select_add(struct ferry_bundle_files *files, const char *name,
		     const char *source, struct ferry_error *err)
{
	return push_owned(files, ferry_strdup(name), ferry_strdup(source), err);
}

/* What one selection needs to know besides the configuration. */
struct plan {
	const struct ferry_config *cfg;	    /* borrowed */
	const struct ferry_function *fn;    /* borrowed */
	enum ferry_pack_mode mode;	    /* FERRY_PACK_DEPS or _NONE */
	const struct ferry_strvec *include; /* borrowed */
	const struct ferry_strvec *exclude; /* borrowed */
	const char *manifest;  /* borrowed; manifest path inside the project */
	char *pydir;	       /* owned; absolute packages directory or NULL */
	const char *pydir_rel; /* borrowed from pydir; inside the project */
	char *venv;	       /* owned; absolute $VIRTUAL_ENV or NULL */
	const char *venv_rel;  /* borrowed from venv; inside the project */
};

/* The part of `abs` below `dir`, or NULL when `abs` is not below it. */
static const char *below(const char *dir, const char *abs)
{
	size_t n = strlen(dir);

	if (n && dir[n - 1] == '/')
		n--;
	if (strncmp(abs, dir, n) || abs[n] != '/' || !abs[n + 1])
		return NULL;
	return abs + n + 1;
}

static int under(const char *rel, const char *prefix)
{
	size_t n;

	if (!prefix)
		return 0;
	n = strlen(prefix);
	return !strncmp(rel, prefix, n) && rel[n] == '/';
}

/* 1 if a path component of `rel` is `name` (or, with prefix, starts so). */
static int has_component(const char *rel, const char *name, int prefix)
{
	size_t n = strlen(name), len;
	const char *s = rel, *e;

	for (;;) {
		e = strchr(s, '/');
		len = e ? (size_t)(e - s) : strlen(s);
		if (prefix ? len >= n && !strncmp(s, name, n)
			   : len == n && !strncmp(s, name, n))
			return 1;
		if (!e)
			return 0;
		s = e + 1;
	}
}

static int never_selected(const struct plan *p, const char *rel)
{
	return has_component(rel, ".git", 0) ||
	       has_component(rel, ".ferry", 0) ||
	       has_component(rel, ".ferry-build", 1) ||
	       (p->manifest && !strcmp(rel, p->manifest));
}

/* Files `deps` mode leaves to the selectors (or out altogether). */
static int deps_dropped(const struct plan *p, const char *rel)
{
	return has_component(rel, "node_modules", 0) ||
	       has_component(rel, "__pycache__", 0) ||
	       ferry_select_is_pyc(rel) || under(rel, p->pydir_rel) ||
	       under(rel, p->venv_rel);
}

/* 1 if some include pattern mentions `word`, so its tree must be walked. */
static int include_mentions(const struct plan *p, const char *word)
{
	size_t i;

	for (i = 0; i < p->include->nr; i++)
		if (strstr(p->include->items[i], word))
			return 1;
	return 0;
}

/* The project-relative manifest path ("./ferry.yaml" -> "ferry.yaml"). */
static const char *manifest_rel(const struct ferry_config *cfg)
{
	const char *f = cfg->file, *r;

	if (!f)
		return NULL;
	if (f[0] == '/') {
		r = below(cfg->dir, f);
		return r ? r : NULL;
	}
	while (f[0] == '.' && f[1] == '/')
		f += 2;
	return f;
}

/*
 * When `*abs` is not lexically below the project, it may still be through
 * symlinks ($VIRTUAL_ENV=/home/u/p/.venv with the project seen as
 * /srv/p): then make `*abs` the project directory plus the relative part.
 */
static void real_below(struct plan *p, char **abs, const char **rel)
{
	char *rp = realpath(p->cfg->dir, NULL), *ra = realpath(*abs, NULL);
	const char *r = rp && ra ? below(rp, ra) : NULL;
	char *joined = r ? ferry_path_join(p->cfg->dir, r) : NULL;

	if (joined) {
		free(*abs);
		*abs = joined;
		*rel = below(p->cfg->dir, joined);
	}
	free(rp);
	free(ra);
}

static int plan_init(struct plan *p, const struct ferry_config *cfg,
		     const struct ferry_function *fn, struct ferry_error *err)
{
	const char *venv = getenv("VIRTUAL_ENV");
	int rc;

	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->fn = fn;
	p->include = &fn->package.include;
	p->exclude = &fn->package.exclude;
	p->manifest = manifest_rel(cfg);
	switch (fn->package.mode) {
	case FERRY_PACK_NONE:
		p->mode = FERRY_PACK_NONE;
		break;
	default:	/* the tracer is not there yet: default packs as deps */
		p->mode = FERRY_PACK_DEPS;
		break;
	}
	if (fn->runtime_kind == FERRY_RT_PYTHON && p->mode == FERRY_PACK_DEPS) {
		rc = ferry_select_python_dir(&p->pydir, cfg, fn, err);
		if (rc)
			return rc;
	} else if (cfg->python_packages && *cfg->python_packages) {
		/* only to keep another runtime's bundle free of it */
		char *joined = ferry_path_join(cfg->dir, cfg->python_packages);

		p->pydir = joined ? ferry_path_absolute(joined) : NULL;
		free(joined);
		if (!p->pydir)
			return ferry_error_set(err, FERRY_ENOMEM,
					       "out of memory");
	}
	if (p->pydir)
		p->pydir_rel = below(cfg->dir, p->pydir);
	/* inside a tree the project walk skips: walked on its own instead */
	if (p->pydir_rel && (has_component(p->pydir_rel, ".git", 0) ||
			     has_component(p->pydir_rel, ".ferry", 0) ||
			     has_component(p->pydir_rel, "node_modules", 0)))
		p->pydir_rel = NULL;
	if (venv && *venv) {
		p->venv = ferry_path_absolute(venv);
		if (!p->venv)
			return ferry_error_set(err, FERRY_ENOMEM,
					       "out of memory");
		p->venv_rel = below(cfg->dir, p->venv);
		if (!p->venv_rel)
			real_below(p, &p->venv, &p->venv_rel);
	}
	ferry_debug("bundle: '%s': mode %s, runtime %s", fn->name,
		    p->mode == FERRY_PACK_NONE ? "none" : "deps",
		    fn->runtime ? fn->runtime : "?");
	return 0;
}

static void plan_release(struct plan *p)
{
	free(p->pydir);
	free(p->venv);
}

/*
 * Walk the project once and sort each file into the project selection
 * (`base`) or, for Python packages kept inside the project, the dependency
 * selection (`deps`, under their names at the bundle root).
 */
static int select_project(struct ferry_bundle_files *base,
			  struct ferry_bundle_files *deps, const struct plan *p,
			  struct ferry_error *err)
{
	const char *skip[6];
	struct ferry_strvec all = FERRY_STRVEC_INIT;
	const char *rel;
	size_t i, n = 0, plen;
	int rc, want, python;

	python = p->mode == FERRY_PACK_DEPS &&
		 p->fn->runtime_kind == FERRY_RT_PYTHON;
	if (!p->include->nr || !include_mentions(p, ".git"))
		skip[n++] = ".git";
	if (!p->include->nr || !include_mentions(p, ".ferry"))
		skip[n++] = ".ferry";
	if (!p->include->nr && p->mode == FERRY_PACK_DEPS) {
		skip[n++] = "node_modules";
		skip[n++] = "__pycache__";
	}
	skip[n] = NULL;
	rc = ferry_fs_walk(&all, p->cfg->dir, skip, err);
	plen = p->pydir_rel ? strlen(p->pydir_rel) : 0;
	for (i = 0; !rc && i < all.nr; i++) {
		rel = all.items[i];
		want = !never_selected(p, rel) &&
		       (p->mode == FERRY_PACK_NONE || !deps_dropped(p, rel));
		if (want && ferry_glob_list_match(p->exclude, rel)) {
			ferry_debug("bundle: '%s' excluded by package.exclude",
				    rel);
			want = 0;
		}
		if (!want && ferry_glob_list_match(p->include, rel)) {
			ferry_debug("bundle: '%s' included by package.include",
				    rel);
			want = 1;
		}
		if (want) {
			rc = push_owned(base, ferry_strdup(rel),
					ferry_path_join(p->cfg->dir, rel), err);
			continue;
		}
		/* Python packages kept inside the project: from this walk. */
		if (python && under(rel, p->pydir_rel) &&
		    !has_component(rel + plen + 1, "__pycache__", 0) &&
		    !ferry_select_is_pyc(rel))
			rc = push_owned(deps, ferry_strdup(rel + plen + 1),
					ferry_path_join(p->cfg->dir, rel), err);
	}
	ferry_strvec_release(&all);
	return rc;
}

struct sorted {
	struct ferry_bundle_file f;
	size_t seq;
};

static int cmp_sorted(const void *a, const void *b)
{
	const struct sorted *x = a, *y = b;
	int c = strcmp(x->f.name, y->f.name);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Move `base` then `deps` into `out`, sorted by name; of two files with the
 * same name the earlier one (a project file before a dependency) wins.
 */
static int merge(struct ferry_bundle_files *out,
		 struct ferry_bundle_files *base,
		 struct ferry_bundle_files *deps, struct ferry_error *err)
{
	struct sorted *all = NULL;
	size_t n = base->nr + deps->nr, i, k = 0;

	all = calloc(n ? n : 1, sizeof(*all));
	out->items = calloc(n ? n : 1, sizeof(*out->items));
	if (!all || !out->items) {
		free(all);
		free(out->items);
		out->items = NULL;
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	}
	out->alloc = n ? n : 1;
	for (i = 0; i < base->nr; i++, k++) {
		all[k].f = base->items[i];
		all[k].seq = k;
	}
	for (i = 0; i < deps->nr; i++, k++) {
		all[k].f = deps->items[i];
		all[k].seq = k;
	}
	base->nr = deps->nr = 0;
	qsort(all, n, sizeof(*all), cmp_sorted);
	for (i = 0; i < n; i++) {
		if (out->nr &&
		    !strcmp(out->items[out->nr - 1].name, all[i].f.name)) {
			if (strcmp(out->items[out->nr - 1].source,
				   all[i].f.source))
				ferry_debug("bundle: '%s' from '%s' is "
					    "shadowed by '%s'",
					    all[i].f.name, all[i].f.source,
					    out->items[out->nr - 1].source);
			free(all[i].f.name);
			free(all[i].f.source);
			continue;
		}
		out->items[out->nr++] = all[i].f;
	}
	free(all);
	return 0;
}

static int has_name(const struct ferry_bundle_files *f, const char *name)
{
	size_t lo = 0, hi = f->nr, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(f->items[mid].name, name);
		if (!c)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int ferry_bundle_select(struct ferry_bundle_files *out,
			const struct ferry_config *cfg,
			const struct ferry_function *fn,
			struct ferry_error *err)
{
	struct ferry_bundle_files base = {NULL, 0, 0}, deps = {NULL, 0, 0};
	struct ferry_bundle_files kept = {NULL, 0, 0};
	struct plan p;
	size_t i;
	int rc;

	if (!cfg || !fn || !cfg->dir)
		return ferry_error_set(err, FERRY_EFAIL,
				       "bundle: no project directory");
	rc = plan_init(&p, cfg, fn, err);
	if (rc)
		goto out;
	rc = select_project(&base, &deps, &p, err);
	if (rc)
		goto out;
	if (p.mode == FERRY_PACK_DEPS) {
		if (fn->runtime_kind == FERRY_RT_NODE)
			rc = ferry_select_node(&deps, cfg, fn, err);
		else if (fn->runtime_kind == FERRY_RT_PYTHON && p.pydir &&
			 !p.pydir_rel)
			rc = ferry_select_python(&deps, p.pydir, err);
		if (rc)
			goto out;
	}
	/* package.exclude applies to dependency files too (by bundle name). */
	for (i = 0; i < deps.nr; i++) {
		if (ferry_glob_list_match(p.exclude, deps.items[i].name)) {
			ferry_debug("bundle: '%s' excluded by package.exclude",
				    deps.items[i].name);
			free(deps.items[i].name);
			free(deps.items[i].source);
			continue;
		}
		deps.items[kept.nr++] = deps.items[i];
	}
	deps.nr = kept.nr;
	rc = merge(out, &base, &deps, err);
	if (rc)
		goto out;
	if (fn->handler_file && !has_name(out, fn->handler_file)) {
		rc =
		    ferry_error_set(err, FERRY_ECONFIG,
				    "the handler file '%s' of function '%s' is "
				    "not in its bundle; check package.exclude",
				    fn->handler_file, fn->name);
		ferry_bundle_files_release(out);
		goto out;
	}
	ferry_debug("bundle: '%s': %zu files selected", fn->name, out->nr);
out:
	ferry_bundle_files_release(&base);
	ferry_bundle_files_release(&deps);
	plan_release(&p);
	return rc;
}

/* "12.3 MB", "10 MB", "512 KB", "20 B" (1 MB = 1024 * 1024 bytes). */
static void human(char *buf, size_t len, uint64_t n)
{
	const char *unit = "MB";
	double v = (double)n / (1024.0 * 1024.0);
	size_t l;

	if (n < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)n);
		return;
	}
	if (n < 1024 * 1024) {
		v = (double)n / 1024.0;
		unit = "KB";
	}
	snprintf(buf, len, "%.1f", v);
	l = strlen(buf);
	if (l > 2 && !strcmp(buf + l - 2, ".0"))
		buf[l - 2] = '\0';
	l = strlen(buf);
	snprintf(buf + l, len - l, " %s", unit);
}

/* Group key of a bundle name: the node_modules package or first component. */
static size_t group_len(const char *name, const char **start)
{
	const char *s = name, *e;

	if (!strncmp(name, "node_modules/", 13)) {
		s = name + 13;
		e = strchr(s, '/');
		if (e && s[0] == '@')
			e = strchr(e + 1, '/');
		*start = s;
		return e ? (size_t)(e - s) : strlen(s);
	}
	e = strchr(s, '/');
	*start = s;
	return e ? (size_t)(e - s) : strlen(s);
}

struct group {
	char *name; /* owned */
	uint64_t bytes;
};

static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int budget_error(const struct ferry_function *fn,
			const struct ferry_bundle_files *files, uint64_t zipped,
			struct ferry_error *err)
{
	struct ferry_buf msg = FERRY_BUF_INIT;
	struct group *groups = NULL;
	size_t ng = 0, i, k, len;
	const char *start;
	struct stat st;
	char a[32], b[32];
	int rc;

	human(a, sizeof(a), zipped);
	human(b, sizeof(b), fn->package.budget);
	ferry_buf_addf(&msg,
		       "bundle of '%s' is %s, over the package budget of "
		       "%s",
		       fn->name, a, b);
	groups = calloc(files->nr ? files->nr : 1, sizeof(*groups));
	if (!groups)
		goto done;
	for (i = 0; i < files->nr; i++) {
		if (stat(files->items[i].source, &st) < 0)
			continue;
		len = group_len(files->items[i].name, &start);
		for (k = 0; k < ng; k++)
			if (strlen(groups[k].name) == len &&
			    !strncmp(groups[k].name, start, len))
				break;
		if (k == ng) {
			groups[k].name = ferry_xstrfmt("%.*s", (int)len, start);
			if (!groups[k].name)
				goto done;
			ng++;
		}
		groups[k].bytes += (uint64_t)st.st_size;
	}
	qsort(groups, ng, sizeof(*groups), cmp_group);
	ferry_buf_addstr(&msg, "; largest contributors:");
	for (i = 0; i < ng && i < 5; i++) {
		human(a, sizeof(a), groups[i].bytes);
		ferry_buf_addf(&msg, "%s %s %s", i ? "," : "", groups[i].name,
			       a);
	}
done:
	rc = ferry_error_set(err, FERRY_EFAIL, "%s", msg.buf);
	for (i = 0; i < ng; i++)
		free(groups[i].name);
	free(groups);
	ferry_buf_release(&msg);
	return rc;
}

/*
 * Functions of one service often select the very same files (`deps` mode
 * ships the same packages to each). Within one process, a bundle whose
 * selection matches an earlier one - same names, sources, sizes, modes and
 * modification times - is copied from that zip instead of being compressed
 * again; the bytes are the same either way.
 */
struct memo {
	char key[FERRY_SHA256_HEX];
	char *path; /* owned; the zip written for this selection */
	struct ferry_zip_stats stats;
	char sha256[FERRY_SHA256_HEX];
};

#define MEMO_MAX 32
static struct memo memo[MEMO_MAX];
static size_t memo_nr;

static int selection_key(char key[FERRY_SHA256_HEX],
			 const struct ferry_zip_entry *e, size_t n,
			 struct ferry_error *err)
{
	struct ferry_sha256 h = {NULL};
	struct stat st;
	char line[128];
	size_t i;
	int rc, len;

	rc = ferry_sha256_begin(&h, err);
	for (i = 0; !rc && i < n; i++) {
		if (stat(e[i].source, &st) < 0) {
			rc = ferry_error_errno(
			    err,
			    errno == ENOENT ? FERRY_ENOTFOUND : FERRY_EFAIL,
			    errno, "cannot stat '%s'", e[i].source);
			break;
		}
		len = snprintf(
		    line, sizeof(line), "%llu %o %lld.%09ld\n",
		    (unsigned long long)st.st_size, (unsigned)st.st_mode,
		    (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
		rc = ferry_sha256_update(&h, e[i].name, strlen(e[i].name) + 1,
					 err);
		if (!rc)
			rc = ferry_sha256_update(&h, e[i].source,
						 strlen(e[i].source) + 1, err);
		if (!rc)
			rc = ferry_sha256_update(&h, line, (size_t)len, err);
	}
	if (!rc)
		return ferry_sha256_end(&h, key, err);
	ferry_sha256_abort(&h);
	return rc;
}

/* 1: `zip` is now a copy of an earlier identical bundle; 0: build it. */
static int memo_reuse(const char *key, const char *zip,
		      struct ferry_zip_stats *stats, char hex[FERRY_SHA256_HEX],
		      const char *fn, struct ferry_error *err)
{
	char now[FERRY_SHA256_HEX];
	struct stat st;
	size_t i;
	int rc;

	for (i = 0; i < memo_nr; i++) {
		if (strcmp(memo[i].key, key))
			continue;
		/* the earlier zip must still be exactly what was written */
		if (stat(memo[i].path, &st) < 0 ||
		    (uint64_t)st.st_size != memo[i].stats.zipped ||
		    ferry_sha256_file(now, memo[i].path, NULL) ||
		    strcmp(now, memo[i].sha256))
			return 0;
		if (strcmp(memo[i].path, zip)) {
			rc = ferry_fs_copy_atomic(zip, memo[i].path, 0644, 0,
						  err);
			if (rc)
				return rc;
		}
		*stats = memo[i].stats;
		memcpy(hex, memo[i].sha256, FERRY_SHA256_HEX);
		ferry_debug(
		    "bundle: '%s' selects the same files as '%s'; copied", fn,
		    memo[i].path);
		return 1;
	}
	return 0;
}

static void memo_add(const char *key, const char *zip,
		     const struct ferry_zip_stats *stats, const char *hex)
{
	struct memo *m;
	char *path = ferry_strdup(zip);
	size_t i;

	if (!path)
		return; /* only an optimisation */
	/* an older selection written to the same path is gone */
	for (i = 0; i < memo_nr;) {
		if (!strcmp(memo[i].path, zip) && strcmp(memo[i].key, key)) {
			free(memo[i].path);
			memmove(memo + i, memo + i + 1,
				(memo_nr - i - 1) * sizeof(*memo));
			memo_nr--;
			continue;
		}
		i++;
	}
	for (i = 0; i < memo_nr; i++)
		if (!strcmp(memo[i].key, key))
			break;
	if (i == memo_nr && memo_nr == MEMO_MAX) {
		free(memo[0].path);
		memmove(memo, memo + 1, (MEMO_MAX - 1) * sizeof(*memo));
		i = --memo_nr;
	}
	m = &memo[i];
	if (i == memo_nr)
		memo_nr++;
	else
		free(m->path);
	memcpy(m->key, key, FERRY_SHA256_HEX);
	m->path = path;
	m->stats = *stats;
	memcpy(m->sha256, hex, FERRY_SHA256_HEX);
}

/* 1 if `source` is a zip (or its temp file) that ferry writes into `dir`. */
static int is_output(const struct ferry_config *cfg, const char *dir,
		     const char *source)
{
	const char *rel = below(dir, source);
	size_t i, n;

	if (!rel || strchr(rel, '/'))
		return 0;
	for (i = 0; i < cfg->functions_nr; i++) {
		n = strlen(cfg->functions[i].name);
		if (!strncmp(rel, cfg->functions[i].name, n) &&
		    (!strcmp(rel + n, ".zip") ||
		     !strncmp(rel + n, ".zip.tmp.", 9)))
			return 1;
	}
	return 0;
}

int ferry_bundle_build(struct ferry_bundle *out, const struct ferry_config *cfg,
		       const struct ferry_function *fn, const char *out_dir,
		       struct ferry_error *err)
{
	struct ferry_bundle_files files = {NULL, 0, 0};
	struct ferry_zip_entry *entries = NULL;
	struct ferry_zip_stats stats;
	char hex[FERRY_SHA256_HEX], key[FERRY_SHA256_HEX];
	char *dir = NULL, *zip = NULL, *fnname = NULL;
	size_t i, n = 0;
	int rc, reused;

	if (!cfg || !fn || !cfg->dir)
		return ferry_error_set(err, FERRY_EFAIL,
				       "bundle: no project directory");
	dir = out_dir ? ferry_path_absolute(out_dir)
		      : ferry_path_join(cfg->dir, ".ferry/build");
	zip = dir ? ferry_xstrfmt("%s/%s.zip", dir, fn->name) : NULL;
	fnname = ferry_strdup(fn->name);
	if (!dir || !zip || !fnname) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	rc = ferry_bundle_select(&files, cfg, fn, err);
	if (rc)
		goto out;
	entries = calloc(files.nr ? files.nr : 1, sizeof(*entries));
	if (!entries) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < files.nr; i++) {
		/* earlier bundles in an output directory inside the project */
		if (is_output(cfg, dir, files.items[i].source)) {
			ferry_debug("bundle: '%s' is in the output directory; "
				    "left out",
				    files.items[i].name);
			continue;
		}
		entries[n].name = files.items[i].name;
		entries[n].source = files.items[i].source;
		n++;
	}
	rc = ferry_fs_mkdirs(dir, err);
	if (rc)
		goto out;
	rc = selection_key(key, entries, n, err);
	if (rc)
		goto out;
	reused = memo_reuse(key, zip, &stats, hex, fn->name, err);
	if (reused < 0) {
		rc = reused;
		goto out;
	}
	if (!reused) {
		rc = ferry_zip_write(zip, entries, n, &stats, err);
		if (!rc)
			rc = ferry_sha256_file(hex, zip, err);
		if (rc)
			goto out;
	}
	if (fn->package.budget && stats.zipped > fn->package.budget) {
		rc = budget_error(fn, &files, stats.zipped, err);
		unlink(zip);
		goto out;
	}
	memo_add(key, zip, &stats, hex);
	ferry_debug(
	    "bundle: '%s': %llu files, %llu bytes, %llu zipped, sha256 %s",
	    fn->name, (unsigned long long)stats.files,
	    (unsigned long long)stats.bytes, (unsigned long long)stats.zipped,
	    hex);
	out->function = fnname;
	out->path = zip;
	out->files = stats.files;
	out->bytes = stats.bytes;
	out->zipped = stats.zipped;
	memcpy(out->sha256, hex, sizeof(out->sha256));
	fnname = zip = NULL;
out:
	ferry_bundle_files_release(&files);
	free(entries);
	free(dir);
	free(zip);
	free(fnname);
	return rc;
}
