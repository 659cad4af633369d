/*
 * bundle.c - which files make up a function's bundle, why, and writing it.
 *
 * Selection walks the project directory once. In `none` mode every file
 * goes in; in `deps` mode the project's own files go in
 * without node_modules, the Python packages directory, a virtualenv inside
 * the project, `__pycache__/` and `*.pyc`, and the runtime's selector
 * (core/select_node.c, core/select_python.c) adds the dependencies. In
 * `trace` mode the tracer of the runtime (core/trace_node.c,
 * core/trace_python.c) gives the whole list: the files the handler loads;
 * the project walk then only serves `package.include`. `.git/`,
 * `.ferry/`, `.ferry-build*` leftovers and the manifest never go in. Then
 * `package.exclude` removes matches and `package.include` adds the project
 * files it matches, whatever the rules above said.
 *
 * `--explain` runs the same selection and keeps what it learnt on the
 * way (the trace, the packages reached) to say why a file is in or out.
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
#include "ferry/pool.h"
#include "ferry/progress.h"
#include "ferry/zip.h"
#include "select.h"
#include "trace.h"

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
	enum ferry_pack_mode mode;	    /* _TRACE, _DEPS or _NONE */
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

/*
 * The mode a function packs with: `trace` unless the manifest says
 * otherwise. `trace` needs a tracer: a `provided` function has none, its
 * handler's project files go in as in `deps` mode.
 */
static enum ferry_pack_mode effective_mode(const struct ferry_function *fn)
{
	switch (fn->package.mode) {
	case FERRY_PACK_NONE:
		return FERRY_PACK_NONE;
	case FERRY_PACK_DEPS:
		return FERRY_PACK_DEPS;
	default:
		/* trace, explicit or by default: Node and Python have tracers */
		return fn->runtime_kind == FERRY_RT_PROVIDED ? FERRY_PACK_DEPS
							     : FERRY_PACK_TRACE;
	}
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
	p->mode = effective_mode(fn);
	if (fn->runtime_kind == FERRY_RT_PYTHON && p->mode != FERRY_PACK_NONE) {
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
		    ferry_pack_mode_name(p->mode),
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
	/* trace mode: the tracer names the files; the walk serves include */
	if (p->mode == FERRY_PACK_TRACE && !p->include->nr)
		return 0;
	rc = ferry_fs_walk(&all, p->cfg->dir, skip, err);
	plen = p->pydir_rel ? strlen(p->pydir_rel) : 0;
	for (i = 0; !rc && i < all.nr; i++) {
		rel = all.items[i];
		want = p->mode != FERRY_PACK_TRACE && !never_selected(p, rel) &&
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

/* What one selection found besides the files, kept for --explain. */
struct selection {
	struct plan p;
	struct ferry_bundle_files files; /* the bundle, sorted by name */
	struct ferry_trace trace;	 /* trace mode: the tracer's record */
	struct ferry_select_pkgs pkgs;	 /* deps, Node: packages reached */
};

static void selection_release(struct selection *s)
{
	ferry_bundle_files_release(&s->files);
	ferry_trace_release(&s->trace);
	ferry_select_pkgs_release(&s->pkgs);
	plan_release(&s->p);
}

/* Move the tracer's entries into `deps`. */
static int trace_files(struct ferry_bundle_files *deps,
		       const struct ferry_trace *t, struct ferry_error *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < t->nr; i++)
		rc = ferry_select_add(deps, t->items[i].name,
				      t->items[i].source, err);
	return rc;
}

/*
 * Select the files of `fn` into `s` (zeroed by the caller). `warn`: send
 * the trace's warnings to ferry_warn, once per bundle built.
 */
static int select_all(struct selection *s, const struct ferry_config *cfg,
		      const struct ferry_function *fn, int warn,
		      struct ferry_error *err)
{
	struct ferry_bundle_files base = {NULL, 0, 0}, deps = {NULL, 0, 0};
	struct ferry_bundle_files kept = {NULL, 0, 0};
	struct plan *p = &s->p;
	size_t i;
	int rc;

	ferry_trace_init(&s->trace);
	if (!cfg || !fn || !cfg->dir)
		return ferry_error_set(err, FERRY_EFAIL,
				       "bundle: no project directory");
	rc = plan_init(p, cfg, fn, err);
	if (rc)
		goto out;
	rc = select_project(&base, &deps, p, err);
	if (rc)
		goto out;
	if (p->mode == FERRY_PACK_DEPS) {
		if (fn->runtime_kind == FERRY_RT_NODE)
			rc = ferry_select_node_pkgs(&deps, &s->pkgs, cfg, fn,
						    err);
		else if (fn->runtime_kind == FERRY_RT_PYTHON && p->pydir &&
			 !p->pydir_rel)
			rc = ferry_select_python(&deps, p->pydir, err);
	} else if (p->mode == FERRY_PACK_TRACE) {
		if (fn->runtime_kind == FERRY_RT_NODE)
			rc = ferry_trace_node(&s->trace, cfg, fn, err);
		else
			rc = ferry_trace_python(&s->trace, cfg, fn, p->pydir,
						err);
		if (!rc)
			rc = trace_files(&deps, &s->trace, err);
		for (i = 0; !rc && warn && i < s->trace.warnings.nr; i++)
			ferry_warn("function '%s': %s", fn->name,
				   s->trace.warnings.items[i]);
	}
	if (rc)
		goto out;
	/* package.exclude applies to dependency files too (by bundle name). */
	for (i = 0; i < deps.nr; i++) {
		if (ferry_glob_list_match(p->exclude, deps.items[i].name)) {
			ferry_debug("bundle: '%s' excluded by package.exclude",
				    deps.items[i].name);
			free(deps.items[i].name);
			free(deps.items[i].source);
			continue;
		}
		deps.items[kept.nr++] = deps.items[i];
	}
	deps.nr = kept.nr;
	rc = merge(&s->files, &base, &deps, err);
	if (rc)
		goto out;
	if (fn->handler_file && !has_name(&s->files, fn->handler_file)) {
		rc =
		    ferry_error_set(err, FERRY_ECONFIG,
				    "the handler file '%s' of function '%s' is "
				    "not in its bundle; check package.exclude",
				    fn->handler_file, fn->name);
		goto out;
	}
	ferry_debug("bundle: '%s': %zu files selected", fn->name,
		    s->files.nr);
out:
	ferry_bundle_files_release(&base);
	ferry_bundle_files_release(&deps);
	return rc;
}

int ferry_bundle_select(struct ferry_bundle_files *out,
			const struct ferry_config *cfg,
			const struct ferry_function *fn,
			struct ferry_error *err)
{
	struct selection s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = select_all(&s, cfg, fn, 1, err);
	if (!rc) {
		*out = s.files;
		memset(&s.files, 0, sizeof(s.files));
	}
	selection_release(&s);
	return rc;
}

/* The pattern of `pats` that decides a match of `path`, or NULL. */
static const char *deciding(const struct ferry_strvec *pats, const char *path)
{
	const char *p;
	size_t i;

	for (i = pats->nr; i > 0; i--) {
		p = pats->items[i - 1];
		if (p[0] == '!') {
			if (ferry_glob_match(p + 1, path))
				return NULL;
		} else if (ferry_glob_match(p[0] == '\\' && p[1] == '!' ? p + 1
								      : p,
					    path)) {
			return p;
		}
	}
	return NULL;
}

/*
 * The package a bundle name belongs to: the part after the last
 * "node_modules/" ("@scope/x" or "x"), written to `buf`; NULL when none.
 */
static const char *node_package(const char *name, char *buf, size_t len)
{
	const char *s = NULL, *e, *q;

	for (q = name; (q = strstr(q, "node_modules/")); q++)
		if (q == name || q[-1] == '/')
			s = q + 13;
	if (!s || !*s)
		return NULL;
	e = strchr(s, '/');
	if (e && s[0] == '@')
		e = strchr(e + 1, '/');
	if (!e || (size_t)(e - s) >= len)
		return NULL;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	return buf;
}

/* The Node package of `deps` mode that holds `name`, or NULL. */
static const struct ferry_select_pkg *
pkg_of(const struct ferry_select_pkgs *pkgs, const char *name)
{
	const struct ferry_select_pkg *best = NULL;
	size_t i, n;

	for (i = 0; i < pkgs->nr; i++) {
		n = strlen(pkgs->items[i].dir);
		if (!strncmp(name, pkgs->items[i].dir, n) && name[n] == '/' &&
		    (!best || n > strlen(best->dir)))
			best = &pkgs->items[i];
	}
	return best;
}

/* Why `f`, which is in the bundle of `s`, is there. */
static int why_in(struct ferry_buf *out, const struct selection *s,
		  const struct ferry_bundle_file *f)
{
	const struct plan *p = &s->p;
	const struct ferry_select_pkg *pkg;
	const char *rel = below(p->cfg->dir, f->source), *inc;
	long t = s->trace.nr ? ferry_trace_find(&s->trace, f->name) : -1;

	if (t >= 0 && !strcmp(s->trace.items[t].source, f->source))
		return ferry_trace_explain(out, &s->trace, t);
	inc = rel ? deciding(p->include, rel) : NULL;
	if (inc && (p->mode == FERRY_PACK_TRACE || never_selected(p, rel) ||
		    (p->mode == FERRY_PACK_DEPS && deps_dropped(p, rel)) ||
		    ferry_glob_list_match(p->exclude, rel)))
		return ferry_buf_addf(out, "included by package.include '%s'\n",
				      inc);
	pkg = pkg_of(&s->pkgs, f->name);
	if (pkg && pkg->parent)
		return ferry_buf_addf(out, "production package '%s' "
				      "(dependency of '%s')\n",
				      pkg->name, pkg->parent);
	if (pkg)
		return ferry_buf_addf(out, "production package '%s' "
				      "(dependency of the project "
				      "package.json)\n", pkg->name);
	if (p->pydir && below(p->pydir, f->source))
		return ferry_buf_addf(out, "installed Python package file "
				      "from '%s' (deps mode)\n",
				      p->pydir_rel ? p->pydir_rel : p->pydir);
	return ferry_buf_addf(out, "project file (%s mode)\n",
			      ferry_pack_mode_name(p->mode));
}

/*
 * Why the file at `abs` (`rel` inside the project, or NULL), not in the
 * bundle of `s`, is left out: 1 with a reason in `*why`, 0 when no rule
 * explains it.
 */
/* 1 once a reason is written, or the error of writing it. */
static int reason(int rc)
{
	return rc ? rc : 1;
}

static int why_out(struct ferry_buf *why, const struct selection *s,
		   const char *abs, const char *rel)
{
	const struct plan *p = &s->p;
	const char *pat, *pkg;
	char name[256];
	long t;

	if (!rel)
		return reason(ferry_buf_addstr(why, "outside the project"));
	/* reached by the tracer, then taken out */
	t = ferry_trace_find(&s->trace, rel);
	pat = deciding(p->exclude, rel);
	if (pat && (t >= 0 || ferry_fs_exists(abs)))
		return reason(ferry_buf_addf(why, "excluded by "
					     "package.exclude '%s'", pat));
	if (!ferry_fs_exists(abs))
		return 0;
	if (never_selected(p, rel))
		return reason(ferry_buf_addstr(why, "ferry's own files (.git/, "
					       ".ferry/, the manifest) never "
					       "go in"));
	if (p->mode == FERRY_PACK_NONE)
		return 0;
	pkg = p->fn->runtime_kind == FERRY_RT_NODE
		  ? node_package(rel, name, sizeof(name))
		  : NULL;
	if (pkg && ferry_select_node_is_dev(p->cfg, pkg))
		return reason(ferry_buf_addf(why, "devDependency '%s'", pkg));
	if (p->mode == FERRY_PACK_TRACE && pkg &&
	    (pat = deciding(&p->fn->package.external, pkg)))
		return reason(ferry_buf_addf(why, "package '%s' is left out "
					     "by package.external '%s'", pkg,
					     pat));
	if (p->mode == FERRY_PACK_TRACE)
		return reason(ferry_buf_addstr(why, "not reached from the "
					       "handler"));
	if (pkg)
		return reason(ferry_buf_addf(why, "package '%s' is not a "
					     "production dependency (deps "
					     "mode)", pkg));
	if (has_component(rel, "__pycache__", 0) || ferry_select_is_pyc(rel))
		return reason(ferry_buf_addstr(why, "compiled Python caches "
					       "never go in"));
	return 0;
}

/* Append `text` to `out` with every line indented by two spaces. */
static int add_indented(struct ferry_buf *out, const char *text)
{
	const char *e;
	int rc = 0;

	while (!rc && *text) {
		e = strchr(text, '\n');
		if (!e)
			e = text + strlen(text);
		rc = ferry_buf_addf(out, "  %.*s\n", (int)(e - text), text);
		text = *e ? e + 1 : e;
	}
	return rc;
}

int ferry_bundle_explain(struct ferry_buf *out, const struct ferry_config *cfg,
			 const struct ferry_function *fn, const char *path,
			 struct ferry_error *err)
{
	struct ferry_buf why = FERRY_BUF_INIT, text = FERRY_BUF_INIT;
	struct selection s;
	char *joined = NULL, *abs = NULL;
	const char *rel, *shown;
	size_t i;
	int rc;

	memset(&s, 0, sizeof(s));
	if (!cfg || !fn || !cfg->dir || !path || !*path)
		return ferry_error_set(err, FERRY_EUSAGE,
				       "explain: no path given");
	joined = path[0] == '/' ? ferry_strdup(path)
				: ferry_path_join(cfg->dir, path);
	abs = joined ? ferry_path_absolute(joined) : NULL;
	if (!abs) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	rel = below(cfg->dir, abs);
	shown = rel ? rel : abs;
	rc = select_all(&s, cfg, fn, 0, err);
	if (rc)
		goto out;
	for (i = 0; i < s.files.nr; i++)
		if ((rel && !strcmp(s.files.items[i].name, rel)) ||
		    !strcmp(s.files.items[i].source, abs))
			break;
	if (i < s.files.nr) {
		rc = why_in(&why, &s, &s.files.items[i]);
		if (!rc)
			rc = ferry_buf_addf(&text, "%s: %s is in the bundle",
					    fn->name, s.files.items[i].name);
		if (!rc && strcmp(s.files.items[i].name, shown))
			rc = ferry_buf_addf(&text, " (from %s)", shown);
		if (!rc)
			rc = ferry_buf_addch(&text, '\n');
		if (!rc)
			rc = add_indented(&text, why.buf ? why.buf : "");
	} else if ((rc = why_out(&why, &s, abs, rel)) != 0) {
		if (rc > 0)
			rc = ferry_buf_addf(&text,
					    "%s: %s is not in the bundle: %s\n",
					    fn->name, shown, why.buf);
	} else {
		rc = ferry_error_set(err, FERRY_ENOTFOUND,
				     "%s: %s is not in the bundle%s", fn->name,
				     shown, ferry_fs_exists(abs) ? "" :
				     " (no such file)");
	}
	if (rc) {
		if (rc == FERRY_ENOMEM)
			ferry_error_set(err, rc, "out of memory");
		goto out;
	}
	rc = ferry_buf_add(out, text.buf, text.len);
	if (rc)
		rc = ferry_error_set(err, rc, "out of memory");
out:
	ferry_buf_release(&why);
	ferry_buf_release(&text);
	selection_release(&s);
	free(joined);
	free(abs);
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

static int selection_key(char key[FERRY_SHA256_HEX], uint64_t *bytes,
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
		*bytes += (uint64_t)st.st_size;
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

/* One function's bundle on its way through ferry_bundle_build_all(). */
struct job {
	const struct ferry_function *fn;
	struct ferry_bundle_files files;
	struct ferry_zip_entry *entries;
	size_t n;
	uint64_t bytes;	/* of the selected files, for progress */
	char *zip;
	char key[FERRY_SHA256_HEX];
	enum { COMPRESS, COPIED, COPY_EARLIER } how;
	int rc;		/* the worker's result */
	struct ferry_error err;
	struct ferry_zip_stats stats;
	char hex[FERRY_SHA256_HEX];
};

static void job_release(struct job *j)
{
	ferry_bundle_files_release(&j->files);
	free(j->entries);
	free(j->zip);
}

/* Step 1 for one function, in the calling thread: selection and its key. */
static int job_prepare(struct job *j, const struct ferry_config *cfg,
		       const char *dir, struct ferry_error *err)
{
	size_t i;
	int rc;

	j->zip = ferry_xstrfmt("%s/%s.zip", dir, j->fn->name);
	if (!j->zip)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	rc = ferry_bundle_select(&j->files, cfg, j->fn, err);
	if (rc)
		return rc;
	j->entries = calloc(j->files.nr ? j->files.nr : 1, sizeof(*j->entries));
	if (!j->entries)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	for (i = 0; i < j->files.nr; i++) {
		/* earlier bundles in an output directory inside the project */
		if (is_output(cfg, dir, j->files.items[i].source)) {
			ferry_debug("bundle: '%s' is in the output directory; "
				    "left out",
				    j->files.items[i].name);
			continue;
		}
		j->entries[j->n].name = j->files.items[i].name;
		j->entries[j->n].source = j->files.items[i].source;
		j->n++;
	}
	return selection_key(j->key, &j->bytes, j->entries, j->n, err);
}

/* Step 2 for one function, in a worker: the zip and its sha256. */
static void job_compress(struct job *j)
{
	ferry_error_init(&j->err);
	j->rc = ferry_zip_write(j->zip, j->entries, j->n, &j->stats, &j->err);
	if (!j->rc)
		j->rc = ferry_sha256_file(j->hex, j->zip, &j->err);
}

/* A pool task: compress job i if it is to be compressed. */
static void compress_task(void *ctx, size_t i)
{
	struct job *j = (struct job *)ctx + i;

	if (j->how == COMPRESS)
		job_compress(j);
}

/*
 * Compress every job that needs it, one per core at a time: zlib is most
 * of the time of a build.
 */
static void compress_all(struct job *jobs, size_t nr)
{
	uint64_t files = 0, bytes = 0;
	size_t to_compress = 0, i;

	for (i = 0; i < nr; i++)
		if (jobs[i].how == COMPRESS) {
			to_compress++;
			files += jobs[i].n;
			bytes += jobs[i].bytes;
		}
	if (!to_compress)
		return;
	ferry_progress_begin(FERRY_PROGRESS_PACKAGE, files, bytes);
	if (to_compress == 1) {
		for (i = 0; i < nr; i++)
			compress_task(jobs, i);
	} else {
		ferry_pool_run(nr, 0, compress_task, jobs);
	}
	ferry_progress_end();
}

static int pass_error(const struct job *j, struct ferry_error *err)
{
	if (err)
		*err = j->err;
	return j->rc;
}

/* Step 3 for one function, in the calling thread, in manifest order. */
static int job_finish(struct job *j, struct ferry_bundle *out,
		      struct ferry_error *err)
{
	int reused = 0, rc;

	if (j->how == COMPRESS) {
		if (j->rc)
			return pass_error(j, err);
	} else if (j->how == COPY_EARLIER) {
		/* the same selection as an earlier bundle of this run */
		reused = memo_reuse(j->key, j->zip, &j->stats, j->hex,
				    j->fn->name, err);
		if (reused < 0)
			return reused;
		if (!reused) {
			job_compress(j);
			if (j->rc)
				return pass_error(j, err);
		}
	}
	if (j->fn->package.budget && j->stats.zipped > j->fn->package.budget) {
		rc = budget_error(j->fn, &j->files, j->stats.zipped, err);
		unlink(j->zip);
		return rc;
	}
	memo_add(j->key, j->zip, &j->stats, j->hex);
	ferry_debug(
	    "bundle: '%s': %llu files, %llu bytes, %llu zipped, sha256 %s",
	    j->fn->name, (unsigned long long)j->stats.files,
	    (unsigned long long)j->stats.bytes,
	    (unsigned long long)j->stats.zipped, j->hex);
	out->function = ferry_strdup(j->fn->name);
	if (!out->function)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	out->path = j->zip;
	j->zip = NULL;
	out->files = j->stats.files;
	out->bytes = j->stats.bytes;
	out->zipped = j->stats.zipped;
	memcpy(out->sha256, j->hex, sizeof(out->sha256));
	return 0;
}

/* 1 if an earlier job of this run selects exactly the same files. */
static int same_as_earlier(const struct job *jobs, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (!strcmp(jobs[k].key, jobs[i].key))
			return 1;
	return 0;
}

int ferry_bundle_build_all(struct ferry_bundle *out,
			   const struct ferry_config *cfg,
			   const struct ferry_function *const *fns, size_t nr,
			   const char *out_dir, struct ferry_error *err)
{
	struct job *jobs = NULL;
	char *dir = NULL;
	size_t i, done = 0;
	int rc = 0, reused;

	if (!cfg || !cfg->dir)
		return ferry_error_set(err, FERRY_EFAIL,
				       "bundle: no project directory");
	jobs = calloc(nr ? nr : 1, sizeof(*jobs));
	dir = out_dir ? ferry_path_absolute(out_dir)
		      : ferry_path_join(cfg->dir, ".ferry/build");
	if (!jobs || !dir) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	rc = ferry_fs_mkdirs(dir, err);
	for (i = 0; !rc && i < nr; i++) {
		jobs[i].fn = fns[i];
		rc = job_prepare(&jobs[i], cfg, dir, err);
		if (rc)
			break;
		if (same_as_earlier(jobs, i)) {
			jobs[i].how = COPY_EARLIER;
			continue;
		}
		/* a copy of a bundle from an earlier call in this process? */
		reused = memo_reuse(jobs[i].key, jobs[i].zip, &jobs[i].stats,
				    jobs[i].hex, fns[i]->name, err);
		if (reused < 0)
			rc = reused;
		jobs[i].how = reused > 0 ? COPIED : COMPRESS;
	}
	if (rc)
		goto out;
	compress_all(jobs, nr);
	for (done = 0; !rc && done < nr; done++)
		rc = job_finish(&jobs[done], &out[done], err);
	if (rc) {
		/* done counts the failed one: release the ones before it */
		for (i = 0; i + 1 < done; i++)
			ferry_bundle_release(&out[i]);
	}
out:
	for (i = 0; jobs && i < nr; i++)
		job_release(&jobs[i]);
	free(jobs);
	free(dir);
	return rc;
}

int ferry_bundle_build(struct ferry_bundle *out, const struct ferry_config *cfg,
		       const struct ferry_function *fn, const char *out_dir,
		       struct ferry_error *err)
{
	if (!fn)
		return ferry_error_set(err, FERRY_EFAIL, "bundle: no function");
	return ferry_bundle_build_all(out, cfg, &fn, 1, out_dir, err);
}
