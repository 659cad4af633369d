/*
 * template.c - project templates: the built-in ones embedded in the binary,
 * template directories on disk, ferry-template.yaml, {{variable}} rendering
 * and the crash-safe instantiation into a new project directory.
 *
 * It does not fetch git sources (core/template_git.c does, through
 * core/git.c) and it never renders file names, only file contents, so no
 * variable value can move a file outside the project.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "ferry/asset.h"
#include "ferry/cancel.h"
#include "ferry/fs.h"
#include "ferry/glob.h"
#include "ferry/manifest.h"
#include "ferry/template.h"

/* cmake/embed.cmake: every file below templates/, sorted by path. */
extern const struct ferry_tree_file ferry_template_files[];

#define META_FILE "ferry-template.yaml"
#define MAX_FILE_BYTES (64u << 20)

/* Rendered when the template does not say otherwise (render:). */
static const char *const default_render[] = {
	"ferry.yaml", "*.md", "*.json", "*.js", "*.mjs", "*.cjs", "*.ts",
	"*.py", "*.sh", "*.yaml", "*.yml", "*.toml", "*.txt", NULL
};

static int nomem(struct ferry_error *err)
{
	return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------------ */
/* Built-in templates                                                  */

/* Length of the first path component of `path` ("node-http/..." -> 9). */
static size_t first_part(const char *path)
{
	const char *slash = strchr(path, '/');

	return slash ? (size_t)(slash - path) : strlen(path);
}

int ferry_template_builtin_names(struct ferry_strvec *out,
				 struct ferry_error *err)
{
	const struct ferry_tree_file *f;
	const char *last = NULL;
	size_t last_len = 0, n;
	char *name;

	/* the table is sorted by path, so each template's files are adjacent */
	for (f = ferry_template_files; f->path; f++) {
		n = first_part(f->path);
		if (!f->path[n])
			continue;	/* a file directly in templates/ */
		if (last && n == last_len && !strncmp(last, f->path, n))
			continue;
		name = strndup(f->path, n);
		if (!name || ferry_strvec_push_owned(out, name))
			return nomem(err);
		last = f->path;
		last_len = n;
	}
	ferry_strvec_sort(out);
	return 0;
}

int ferry_template_builtin_exists(const char *name)
{
	const struct ferry_tree_file *f;
	size_t n = strlen(name);

	if (!n || strchr(name, '/'))
		return 0;
	for (f = ferry_template_files; f->path; f++)
		if (!strncmp(f->path, name, n) && f->path[n] == '/')
			return 1;
	return 0;
}

static const struct ferry_tree_file *builtin_file(const char *name,
						  const char *rel)
{
	const struct ferry_tree_file *f;
	size_t n = strlen(name);

	for (f = ferry_template_files; f->path; f++)
		if (!strncmp(f->path, name, n) && f->path[n] == '/' &&
		    !strcmp(f->path + n + 1, rel))
			return f;
	return NULL;
}

int ferry_template_builtin_description(char **out, const char *name,
				       struct ferry_error *err)
{
	struct ferry_template_meta m;
	const struct ferry_tree_file *f;
	char *path = NULL;
	int rc = 0;

	ferry_template_meta_init(&m);
	if (!ferry_template_builtin_exists(name))
		return ferry_error_set(err, FERRY_ENOTFOUND,
				       "unknown template '%s'", name);
	f = builtin_file(name, META_FILE);
	if (f) {
		path = ferry_xstrfmt("%s/%s", name, META_FILE);
		if (!path) {
			rc = nomem(err);
			goto out;
		}
		rc = ferry_template_meta_parse(&m, (const char *)f->data,
					       f->len, path, err);
		if (rc)
			goto out;
	}
	*out = ferry_strdup(m.description ? m.description : "");
	if (!*out)
		rc = nomem(err);
out:
	free(path);
	ferry_template_meta_release(&m);
	return rc;
}

/* 1 if `rel` is a safe relative path: not absolute, no "", ".", ".." part. */
static int rel_ok(const char *rel)
{
	const char *p = rel, *e;
	size_t n;

	if (!*rel || *rel == '/')
		return 0;
	while (*p) {
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if (!n || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += n;
		if (*p)
			p++;
	}
	return 1;
}

int ferry_template_builtin_extract(const char *name, const char *dir,
				   struct ferry_error *err)
{
	const struct ferry_tree_file *f;
	size_t n = strlen(name);
	char *path = NULL;
	int rc = 0, found = 0;

	if (!ferry_template_builtin_exists(name))
		return ferry_error_set(err, FERRY_ENOTFOUND,
				       "unknown template '%s'", name);
	for (f = ferry_template_files; f->path; f++) {
		if (strncmp(f->path, name, n) || f->path[n] != '/')
			continue;
		found = 1;
		if (!rel_ok(f->path + n + 1)) {
			rc = ferry_error_set(err, FERRY_ECONFIG, "template '%s': "
					     "unsafe path '%s'", name, f->path);
			goto out;
		}
		free(path);
		path = ferry_path_join(dir, f->path + n + 1);
		if (!path) {
			rc = nomem(err);
			goto out;
		}
		rc = ferry_fs_mkdirs_parent(path, err);
		if (!rc)
			rc = ferry_fs_write_atomic(path, f->data, f->len,
						   f->mode & 0111 ? 0755 : 0644,
						   1, err);
		if (rc)
			goto out;
	}
	if (!found)
		rc = ferry_error_set(err, FERRY_ENOTFOUND, "unknown template '%s'",
				     name);
out:
	free(path);
	return rc;
}

/* ------------------------------------------------------------------ */
/* ferry-template.yaml                                                 */

void ferry_template_meta_init(struct ferry_template_meta *m)
{
	memset(m, 0, sizeof(*m));
	ferry_strvec_init(&m->render);
}

void ferry_template_meta_release(struct ferry_template_meta *m)
{
	size_t i;

	if (!m)
		return;
	free(m->description);
	for (i = 0; i < m->nr_vars; i++) {
		free(m->vars[i].name);
		free(m->vars[i].def);
	}
	free(m->vars);
	ferry_strvec_release(&m->render);
	ferry_template_meta_init(m);
}

/* 1 if `s` is a variable name: [A-Za-z_][A-Za-z0-9_-]*. */
static int var_name_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') ||
		    (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (i = 1; i < n; i++)
		if (!(s[i] == '_' || s[i] == '-' || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* A scalar as text: strings as they are, numbers and booleans printed. */
static char *scalar_text(const json_t *v)
{
	if (json_is_string(v))
		return ferry_strdup(json_string_value(v));
	if (json_is_integer(v))
		return ferry_xstrfmt("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return ferry_xstrfmt("%g", json_real_value(v));
	if (json_is_boolean(v))
		return ferry_strdup(json_is_true(v) ? "true" : "false");
	return NULL;
}

static int add_var(struct ferry_template_meta *m, const char *name,
		   const json_t *spec, const char *path, struct ferry_error *err)
{
	struct ferry_template_var *v, *grown;
	const json_t *def = spec, *req = NULL;
	const char *key;
	json_t *val;

	if (!var_name_ok(name, strlen(name)))
		return ferry_error_set(err, FERRY_ECONFIG, "%s: invalid variable "
				       "name '%s'; use letters, digits, '_' and "
				       "'-', starting with a letter or '_'",
				       path, name);
	if (json_is_object(spec)) {
		def = json_object_get(spec, "default");
		req = json_object_get(spec, "required");
		json_object_foreach((json_t *)spec, key, val) {
			if (strcmp(key, "default") && strcmp(key, "required") &&
			    strcmp(key, "description"))
				return ferry_error_set(err, FERRY_ECONFIG,
					"%s: unknown key '%s' in variable '%s'; "
					"allowed: default, required, description",
					path, key, name);
		}
		if (req && !json_is_boolean(req))
			return ferry_error_set(err, FERRY_ECONFIG, "%s: 'required' "
					       "of variable '%s' must be true or "
					       "false", path, name);
	}
	if (m->nr_vars == m->alloc_vars) {
		size_t na = m->alloc_vars ? 2 * m->alloc_vars : 8;

		grown = realloc(m->vars, na * sizeof(*grown));
		if (!grown)
			return nomem(err);
		m->vars = grown;
		m->alloc_vars = na;
	}
	v = &m->vars[m->nr_vars];
	memset(v, 0, sizeof(*v));
	v->name = ferry_strdup(name);
	if (!v->name)
		return nomem(err);
	m->nr_vars++;
	if (def && !json_is_null(def)) {
		v->def = scalar_text(def);
		if (!v->def)
			return json_is_object(def) || json_is_array(def) ?
				ferry_error_set(err, FERRY_ECONFIG, "%s: the "
						"default of variable '%s' must be "
						"a string, number or boolean",
						path, name) : nomem(err);
	}
	v->required = req && json_is_true(req);
	return 0;
}

int ferry_template_meta_parse(struct ferry_template_meta *out,
			      const char *yaml, size_t len, const char *path,
			      struct ferry_error *err)
{
	json_t *doc = NULL, *v, *item;
	const char *key;
	size_t i;
	int rc;

	rc = ferry_yaml_parse(&doc, yaml, len, path, err);
	if (rc)
		return rc;
	if (json_is_null(doc))
		goto out;
	if (!json_is_object(doc)) {
		rc = ferry_error_set(err, FERRY_ECONFIG, "%s: expected a mapping "
				     "with description, variables, render", path);
		goto out;
	}
	json_object_foreach(doc, key, v) {
		if (!strcmp(key, "description")) {
			if (!json_is_string(v)) {
				rc = ferry_error_set(err, FERRY_ECONFIG, "%s: "
					"'description' must be a string", path);
				goto out;
			}
			free(out->description);
			out->description = ferry_strdup(json_string_value(v));
			if (!out->description) {
				rc = nomem(err);
				goto out;
			}
		} else if (!strcmp(key, "variables")) {
			const char *name;
			json_t *spec;

			out->declares_vars = 1;
			if (json_is_null(v))
				continue;
			if (!json_is_object(v)) {
				rc = ferry_error_set(err, FERRY_ECONFIG, "%s: "
					"'variables' must map names to a default "
					"or to {default, required}", path);
				goto out;
			}
			json_object_foreach(v, name, spec) {
				rc = add_var(out, name, spec, path, err);
				if (rc)
					goto out;
			}
		} else if (!strcmp(key, "render")) {
			if (json_is_string(v)) {
				if (ferry_strvec_push(&out->render, json_string_value(v))) {
					rc = nomem(err);
					goto out;
				}
				continue;
			}
			if (!json_is_array(v)) {
				rc = ferry_error_set(err, FERRY_ECONFIG, "%s: 'render' "
					"must be a list of globs", path);
				goto out;
			}
			json_array_foreach(v, i, item) {
				if (!json_is_string(item)) {
					rc = ferry_error_set(err, FERRY_ECONFIG,
						"%s: 'render' must be a list of globs",
						path);
					goto out;
				}
				if (ferry_strvec_push(&out->render, json_string_value(item))) {
					rc = nomem(err);
					goto out;
				}
			}
		} else {
			rc = ferry_error_set(err, FERRY_ECONFIG, "%s: unknown key "
					     "'%s'; allowed: description, variables, "
					     "render", path, key);
			goto out;
		}
	}
	if (!out->description) {
		out->description = ferry_strdup("");
		if (!out->description)
			rc = nomem(err);
	}
out:
	json_decref(doc);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Rendering                                                           */

/* The value of `name` (n bytes) in "KEY=VALUE" strings, last one wins. */
static const char *var_value(const struct ferry_strvec *vars, const char *name,
			     size_t n)
{
	size_t i;

	for (i = vars ? vars->nr : 0; i-- > 0;) {
		const char *kv = vars->items[i];

		if (!strncmp(kv, name, n) && kv[n] == '=')
			return kv + n + 1;
	}
	return NULL;
}

/*
 * If `p` (at "{{") starts a placeholder "{{ NAME }}", set the name's span
 * and the length of the whole placeholder and return 1. A run of three or
 * more braces is never one (Python f"{{{x}}}", JS "{{{a}}}" stay as they
 * are); `start` is where the text begins.
 */
static int placeholder(const char *start, const char *p, const char *end,
		       const char **name, size_t *name_len, size_t *total)
{
	const char *q = p + 2, *s;

	if (p > start && p[-1] == '{')
		return 0;

	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	s = q;
	while (q < end && (*q == '_' || *q == '-' || (*q >= 'a' && *q <= 'z') ||
			   (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
		q++;
	if (!var_name_ok(s, (size_t)(q - s)))
		return 0;
	*name = s;
	*name_len = (size_t)(q - s);
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if (end - q < 2 || q[0] != '}' || q[1] != '}' ||
	    (end - q > 2 && q[2] == '}'))
		return 0;
	*total = (size_t)(q + 2 - p);
	return 1;
}

int ferry_template_render(struct ferry_buf *out, const char *in, size_t len,
			  const struct ferry_strvec *vars, const char *file,
			  struct ferry_error *err)
{
	const char *p = in, *end = in + len, *name, *val;
	size_t start = out->len, name_len, total;
	int line = 1;

	while (p < end) {
		if (*p == '\n')
			line++;
		if (*p == '\\' && end - p >= 3 && p[1] == '{' && p[2] == '{' &&
		    placeholder(p + 1, p + 1, end, &name, &name_len, &total)) {
			/* \{{name}} is the literal text {{name}} */
			if (ferry_buf_add(out, p + 1, total))
				goto oom;
			p += 1 + total;
			continue;
		}
		if (*p == '{' && end - p >= 2 && p[1] == '{' &&
		    placeholder(in, p, end, &name, &name_len, &total)) {
			val = var_value(vars, name, name_len);
			if (!val) {
				ferry_buf_truncate(out, start);
				return ferry_error_set(err, FERRY_ECONFIG,
					"%s:%d: unknown template variable '%.*s'; "
					"pass --set %.*s=VALUE, declare it in "
					META_FILE ", or write \\{{ for a literal {{",
					file, line, (int)name_len, name,
					(int)name_len, name);
			}
			if (ferry_buf_addstr(out, val))
				goto oom;
			p += total;
			continue;
		}
		if (ferry_buf_addch(out, *p))
			goto oom;
		p++;
	}
	return 0;
oom:
	ferry_buf_truncate(out, start);
	return nomem(err);
}

/* ------------------------------------------------------------------ */
/* Service names                                                       */

int ferry_template_service_name(char **out, const char *dir,
				struct ferry_error *err)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	char *abs = ferry_path_absolute(dir);
	const char *base, *p;
	int rc = 0;

	if (!abs)
		return nomem(err);
	/* "/x/my-app/" -> "my-app" */
	while (strlen(abs) > 1 && abs[strlen(abs) - 1] == '/')
		abs[strlen(abs) - 1] = '\0';
	base = strrchr(abs, '/');
	base = base ? base + 1 : abs;
	for (p = base; *p && b.len < 40; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '-';
		if (!b.len && !(c >= 'a' && c <= 'z'))
			continue;	/* must start with a letter */
		if (c == '-' && b.len && b.buf[b.len - 1] == '-')
			continue;	/* "my  app" -> "my-app" */
		if (ferry_buf_addch(&b, c)) {
			rc = nomem(err);
			goto out;
		}
	}
	while (b.len && b.buf[b.len - 1] == '-')
		ferry_buf_truncate(&b, b.len - 1);
	if (!b.len && ferry_buf_addstr(&b, "app")) {
		rc = nomem(err);
		goto out;
	}
	*out = ferry_buf_detach(&b);
	if (!*out)
		rc = nomem(err);
out:
	ferry_buf_release(&b);
	free(abs);
	return rc;
}

/* The manifest's rule for service names: [a-z][a-z0-9-]{0,39}. */
static int service_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > 40 || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* ------------------------------------------------------------------ */
/* is_git                                                              */

int ferry_template_is_git(const char *spec)
{
	static const char *const schemes[] = {
		"https://", "http://", "git://", "ssh://", "file://", NULL
	};
	const char *at, *colon, *slash;
	size_t i;

	if (!spec || !*spec)
		return 0;
	for (i = 0; schemes[i]; i++)
		if (!strncmp(spec, schemes[i], strlen(schemes[i])))
			return spec[strlen(schemes[i])] != '\0';
	if (!strncmp(spec, "gh:", 3)) {
		/* gh:owner/repo[#REF][//SUBDIR] */
		const char *o = spec + 3;

		slash = strchr(o, '/');
		return slash && slash > o && slash[1] && slash[1] != '/' &&
			slash[1] != '#';
	}
	/* scp form user@host:path; "./a@b:c" or "/x@y:z" are paths */
	if (spec[0] == '/' || spec[0] == '.')
		return 0;
	at = strchr(spec, '@');
	colon = strchr(spec, ':');
	slash = strchr(spec, '/');
	if (!at || !colon || colon < at || at == spec || colon == at + 1 ||
	    !colon[1])
		return 0;
	return !slash || slash > colon;
}

/* ------------------------------------------------------------------ */
/* Instantiation                                                       */

struct job {
	const char *src;			/* borrowed; template root */
	const char *stage;			/* borrowed; new tree */
	const struct ferry_strvec *vars;	/* borrowed; KEY=VALUE */
	const struct ferry_strvec *render;	/* borrowed; globs */
	const char *const *default_render;
	struct ferry_strvec files;		/* relative paths written */
};

static int should_render(const struct job *j, const char *rel)
{
	size_t i;

	if (j->render->nr)
		return ferry_glob_list_match(j->render, rel);
	for (i = 0; j->default_render[i]; i++)
		if (ferry_glob_match(j->default_render[i], rel))
			return 1;
	return 0;
}

/*
 * 1 if symlink target `target`, found at `rel` (relative to the template
 * root), stays inside the root. Purely lexical: the target is resolved
 * against the link's directory.
 */
static int link_inside(const char *rel, const char *target)
{
	int depth = 0;
	const char *p, *e;
	size_t n;

	if (target[0] == '/' || !target[0])
		return 0;
	for (p = rel; (e = strchr(p, '/')); p = e + 1)
		depth++;	/* directories the link sits in */
	for (p = target; *p; p += n + (p[n] == '/')) {
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 0;
		} else if (n && !(n == 1 && p[0] == '.')) {
			depth++;
		}
	}
	return 1;
}

static int copy_file(struct job *j, const char *rel, const char *from,
		     const char *to, mode_t mode, struct ferry_error *err)
{
	struct ferry_buf in = FERRY_BUF_INIT, out = FERRY_BUF_INIT;
	const struct ferry_buf *data = &in;
	int rc;

	rc = ferry_fs_read(&in, from, MAX_FILE_BYTES, err);
	if (rc)
		goto out;
	/* rendered files are text: a file with a NUL byte is copied as is */
	if (should_render(j, rel) && !memchr(in.buf, '\0', in.len)) {
		rc = ferry_template_render(&out, in.buf, in.len, j->vars, rel, err);
		if (rc)
			goto out;
		data = &out;
	}
	rc = ferry_fs_write_atomic(to, data->buf, data->len, mode, 1, err);
out:
	ferry_buf_release(&in);
	ferry_buf_release(&out);
	return rc;
}

/* Copy directory `rel` ("" for the root) of the template into the stage. */
static int copy_tree(struct job *j, const char *rel, struct ferry_error *err)
{
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	char *from_dir = NULL, *from = NULL, *to = NULL, *sub = NULL;
	char target[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	ssize_t n;
	size_t i;
	int rc = 0;

	from_dir = *rel ? ferry_path_join(j->src, rel) : ferry_strdup(j->src);
	if (!from_dir)
		return nomem(err);
	d = opendir(from_dir);
	if (!d) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot open template directory '%s'",
				       from_dir);
		goto out;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!strcmp(de->d_name, ".git"))
			continue;	/* never part of a project */
		if (!*rel && !strcmp(de->d_name, META_FILE))
			continue;
		if (ferry_strvec_push(&names, de->d_name)) {
			rc = nomem(err);
			goto out;
		}
	}
	ferry_strvec_sort(&names);
	for (i = 0; i < names.nr; i++) {
		if (ferry_cancelled()) {
			rc = ferry_error_set(err, FERRY_EINTR, "interrupted");
			goto out;
		}
		free(sub);
		free(from);
		free(to);
		to = NULL;
		from = NULL;
		sub = *rel ? ferry_xstrfmt("%s/%s", rel, names.items[i]) :
			ferry_strdup(names.items[i]);
		from = sub ? ferry_path_join(j->src, sub) : NULL;
		to = sub ? ferry_path_join(j->stage, sub) : NULL;
		if (!to || !from) {
			rc = nomem(err);
			goto out;
		}
		if (lstat(from, &st) < 0) {
			rc = ferry_error_errno(err, FERRY_EFAIL, errno,
					       "cannot stat '%s'", from);
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			if (mkdir(to, 0755) < 0) {
				rc = ferry_error_errno(err, FERRY_EFAIL, errno,
						       "cannot create '%s'", to);
				goto out;
			}
			rc = copy_tree(j, sub, err);
		} else if (S_ISLNK(st.st_mode)) {
			n = readlink(from, target, sizeof(target) - 1);
			if (n < 0) {
				rc = ferry_error_errno(err, FERRY_EFAIL, errno,
						       "cannot read link '%s'", from);
				goto out;
			}
			target[n] = '\0';
			if (!link_inside(sub, target)) {
				rc = ferry_error_set(err, FERRY_ECONFIG, "template "
					"symlink '%s' points outside the template "
					"('%s'); refusing it", sub, target);
				goto out;
			}
			if (symlink(target, to) < 0) {
				rc = ferry_error_errno(err, FERRY_EFAIL, errno,
						       "cannot create '%s'", to);
				goto out;
			}
			rc = ferry_strvec_push(&j->files, sub) ? nomem(err) : 0;
		} else if (S_ISREG(st.st_mode)) {
			rc = copy_file(j, sub, from, to,
				       st.st_mode & 0111 ? 0755 : 0644, err);
			if (!rc && ferry_strvec_push(&j->files, sub))
				rc = nomem(err);
		} else {
			rc = ferry_error_set(err, FERRY_ECONFIG, "template file "
					     "'%s' is not a regular file, "
					     "directory or symlink", sub);
		}
		if (rc)
			goto out;
	}
out:
	if (d)
		closedir(d);
	ferry_strvec_release(&names);
	free(from_dir);
	free(from);
	free(to);
	free(sub);
	return rc;
}

/* Entries of directory `path` other than . and .. (0 when it cannot be read). */
static int count_entries(const char *path, size_t *n, struct ferry_error *err)
{
	struct dirent *de;
	DIR *d = opendir(path);

	*n = 0;
	if (!d)
		return ferry_error_errno(err, FERRY_EFAIL, errno,
					 "cannot open '%s'", path);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			(*n)++;
	closedir(d);
	return 0;
}

/*
 * With --force: every path the stage would add must be free in `dest`
 * (directories may exist as directories). Lists the clashes.
 */
static int check_clashes(const struct job *j, const char *dest,
			 struct ferry_error *err)
{
	struct ferry_buf list = FERRY_BUF_INIT;
	struct stat st;
	size_t i, clashes = 0;
	char *p = NULL;
	int rc = 0;

	for (i = 0; i < j->files.nr; i++) {
		free(p);
		p = ferry_path_join(dest, j->files.items[i]);
		if (!p) {
			rc = nomem(err);
			goto out;
		}
		if (lstat(p, &st) < 0)
			continue;
		if (++clashes <= 5 &&
		    ferry_buf_addf(&list, "%s'%s'", clashes > 1 ? ", " : "",
				   j->files.items[i])) {
			rc = nomem(err);
			goto out;
		}
	}
	if (clashes)
		rc = ferry_error_set(err, FERRY_ECONFLICT, "'%s' already has %s%s "
				     "of the template; ferry init never "
				     "overwrites files, even with --force: move "
				     "%s away first", dest, list.buf,
				     clashes > 5 ? ", ..." : "",
				     clashes > 1 ? "them" : "it");
out:
	free(p);
	ferry_buf_release(&list);
	return rc;
}

/*
 * Move the entries of `from` into the existing directory `to`, merging
 * directories; never replaces an existing file (the caller checked).
 */
static int move_into(const char *from, const char *to, struct ferry_error *err)
{
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	char *a = NULL, *b = NULL;
	struct dirent *de;
	struct stat st;
	size_t i;
	DIR *d;
	int rc = 0;

	d = opendir(from);
	if (!d)
		return ferry_error_errno(err, FERRY_EFAIL, errno,
					 "cannot open '%s'", from);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    ferry_strvec_push(&names, de->d_name)) {
			rc = nomem(err);
			goto out;
		}
	ferry_strvec_sort(&names);
	for (i = 0; i < names.nr; i++) {
		free(a);
		free(b);
		a = ferry_path_join(from, names.items[i]);
		b = ferry_path_join(to, names.items[i]);
		if (!a || !b) {
			rc = nomem(err);
			goto out;
		}
		if (lstat(b, &st) == 0) {
			if (!S_ISDIR(st.st_mode)) {
				rc = ferry_error_set(err, FERRY_ECONFLICT,
						     "'%s' appeared while ferry "
						     "init ran; not overwriting it", b);
				goto out;
			}
			rc = move_into(a, b, err);
			if (rc)
				goto out;
			continue;
		}
		if (rename(a, b) < 0) {
			rc = ferry_error_errno(err, FERRY_EFAIL, errno,
					       "cannot move '%s' to '%s'", a, b);
			goto out;
		}
	}
out:
	closedir(d);
	ferry_strvec_release(&names);
	free(a);
	free(b);
	return rc;
}

/* Variables in force: service, stage, declared defaults, then --set. */
static int build_vars(struct ferry_strvec *vars,
		      const struct ferry_template_meta *m, const char *dest,
		      const struct ferry_strvec *sets, struct ferry_error *err)
{
	struct ferry_buf allowed = FERRY_BUF_INIT;
	char *service = NULL;
	const char *eq, *val;
	size_t i, k, n;
	int rc = 0, known;

	rc = ferry_template_service_name(&service, dest, err);
	if (rc)
		return rc;
	if (ferry_strvec_pushf(vars, "service=%s", service) ||
	    ferry_strvec_push(vars, "stage=dev"))
		goto oom;
	for (i = 0; i < m->nr_vars; i++)
		if (m->vars[i].def &&
		    ferry_strvec_pushf(vars, "%s=%s", m->vars[i].name, m->vars[i].def))
			goto oom;
	if (ferry_buf_addstr(&allowed, "service, stage"))
		goto oom;
	for (i = 0; i < m->nr_vars; i++)
		if (strcmp(m->vars[i].name, "service") &&
		    strcmp(m->vars[i].name, "stage") &&
		    ferry_buf_addf(&allowed, ", %s", m->vars[i].name))
			goto oom;
	for (i = 0; sets && i < sets->nr; i++) {
		const char *kv = sets->items[i];

		eq = strchr(kv, '=');
		n = eq ? (size_t)(eq - kv) : 0;
		if (!eq || !var_name_ok(kv, n)) {
			rc = ferry_error_set(err, FERRY_EUSAGE, "--set '%s': expected "
					     "KEY=VALUE with KEY of letters, digits, "
					     "'_' and '-'", kv);
			goto out;
		}
		known = (n == 7 && !strncmp(kv, "service", 7)) ||
			(n == 5 && !strncmp(kv, "stage", 5));
		for (k = 0; !known && k < m->nr_vars; k++)
			known = strlen(m->vars[k].name) == n &&
				!strncmp(m->vars[k].name, kv, n);
		if (m->declares_vars && !known) {
			rc = ferry_error_set(err, FERRY_EUSAGE, "--set '%.*s': the "
					     "template declares no such variable; "
					     "it has: %s", (int)n, kv, allowed.buf);
			goto out;
		}
		if (ferry_strvec_push(vars, kv))
			goto oom;
	}
	for (i = 0; i < m->nr_vars; i++) {
		if (m->vars[i].required &&
		    !var_value(vars, m->vars[i].name, strlen(m->vars[i].name))) {
			rc = ferry_error_set(err, FERRY_EUSAGE, "the template needs "
					     "variable '%s'; pass --set %s=VALUE",
					     m->vars[i].name, m->vars[i].name);
			goto out;
		}
	}
	val = var_value(vars, "service", 7);
	if (!service_ok(val)) {
		rc = ferry_error_set(err, FERRY_EUSAGE, "--set service='%s': a "
				     "service name is 1-40 characters of a-z, "
				     "0-9 and '-', starting with a letter", val);
		goto out;
	}
	goto out;
oom:
	rc = nomem(err);
out:
	ferry_buf_release(&allowed);
	free(service);
	return rc;
}

static int read_meta(struct ferry_template_meta *m, const char *src,
		     struct ferry_error *err)
{
	struct ferry_buf text = FERRY_BUF_INIT;
	char *path = ferry_path_join(src, META_FILE);
	int rc = 0;

	if (!path)
		return nomem(err);
	if (ferry_fs_is_file(path)) {
		rc = ferry_fs_read(&text, path, 1u << 20, err);
		if (!rc)
			rc = ferry_template_meta_parse(m, text.buf, text.len,
						       META_FILE, err);
	}
	ferry_buf_release(&text);
	free(path);
	return rc;
}

/*
 * Seconds a temporary directory must be old before a sweep may take it:
 * far more than the instant between its mkdtemp and its flock.
 */
#define SWEEP_MIN_AGE 10

/*
 * A held temporary directory "<parent>/.<base>.ferry-<what>-XXXXXX" (see
 * ferry_fs_mkdtemp_held), after sweeping the ones a killed init left in
 * the same place. NULL with err set.
 */
static char *temp_dir_next_to(const char *dest, const char *what, int *fd,
			      struct ferry_error *err)
{
	char *copy = ferry_strdup(dest), *slash, *prefix = NULL, *tmpl = NULL;
	const char *parent;

	if (!copy) {
		nomem(err);
		return NULL;
	}
	slash = strrchr(copy, '/');
	*slash = '\0';
	parent = *copy ? copy : "/";
	prefix = ferry_xstrfmt(".%s.ferry-%s-", slash + 1, what);
	if (prefix)
		tmpl = ferry_xstrfmt("%s/%sXXXXXX", *copy ? copy : "", prefix);
	if (!tmpl) {
		nomem(err);
		goto out;
	}
	ferry_fs_sweep_abandoned(parent, prefix, SWEEP_MIN_AGE);
	if (ferry_fs_mkdtemp_held(tmpl, fd, err)) {
		free(tmpl);
		tmpl = NULL;
	}
out:
	free(prefix);
	free(copy);
	return tmpl;
}

int ferry_template_instantiate(const char *src_dir, const char *builtin_name,
			       const char *dest_in,
			       const struct ferry_strvec *sets, int force,
			       struct ferry_strvec *files,
			       struct ferry_error *err)
{
	struct ferry_template_meta meta;
	struct ferry_strvec vars = FERRY_STRVEC_INIT;
	struct job j;
	char *dest = NULL, *stage = NULL, *unpacked = NULL;
	int stage_fd = -1, unpacked_fd = -1;
	const char *src = src_dir;
	struct stat st;
	mode_t mask;
	size_t i, entries = 0;
	int rc = 0, exists = 0;

	ferry_template_meta_init(&meta);
	memset(&j, 0, sizeof(j));
	ferry_strvec_init(&j.files);
	dest = ferry_path_absolute(dest_in);
	if (!dest) {
		rc = nomem(err);
		goto out;
	}
	if (!src && !ferry_template_builtin_exists(builtin_name)) {
		rc = ferry_error_set(err, FERRY_ENOTFOUND, "unknown template '%s'",
				     builtin_name);
		goto out;
	}
	if (src && !ferry_fs_is_dir(src)) {
		rc = ferry_error_set(err, FERRY_ENOTFOUND, "template directory "
				     "'%s' does not exist", src);
		goto out;
	}
	if (!strcmp(dest, "/")) {
		rc = ferry_error_set(err, FERRY_EUSAGE, "refusing to create a "
				     "project in '/'");
		goto out;
	}

	/* The destination: absent, or an empty directory (any with force). */
	if (lstat(dest, &st) == 0) {
		exists = 1;
		if (!S_ISDIR(st.st_mode)) {
			rc = ferry_error_set(err, FERRY_ECONFLICT, "'%s' exists and "
					     "is not a directory", dest_in);
			goto out;
		}
		rc = count_entries(dest, &entries, err);
		if (rc)
			goto out;
		if (entries && !force) {
			rc = ferry_error_set(err, FERRY_ECONFLICT, "directory '%s' "
					     "is not empty; pass --force to add "
					     "the template's files to it (existing "
					     "files are never overwritten)", dest_in);
			goto out;
		}
	} else if (errno != ENOENT) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno, "cannot stat '%s'",
				       dest_in);
		goto out;
	} else {
		rc = ferry_fs_mkdirs_parent(dest, err);
		if (rc)
			goto out;
	}

	if (!src) {
		unpacked = temp_dir_next_to(dest, "template", &unpacked_fd,
					     err);
		if (!unpacked) {
			rc = err && err->code ? err->code : FERRY_EFAIL;
			goto out;
		}
		rc = ferry_template_builtin_extract(builtin_name, unpacked, err);
		if (rc)
			goto out;
		src = unpacked;
	}
	rc = read_meta(&meta, src, err);
	if (!rc)
		rc = build_vars(&vars, &meta, dest, sets, err);
	if (rc)
		goto out;

	stage = temp_dir_next_to(dest, "init", &stage_fd, err);
	if (!stage) {
		rc = err && err->code ? err->code : FERRY_EFAIL;
		goto out;
	}
	j.src = src;
	j.stage = stage;
	j.vars = &vars;
	j.render = &meta.render;
	j.default_render = default_render;
	rc = copy_tree(&j, "", err);
	if (rc)
		goto out;
	ferry_strvec_sort(&j.files);
	if (!j.files.nr) {
		rc = ferry_error_set(err, FERRY_ECONFIG, "the template has no files");
		goto out;
	}
	if (exists && entries) {
		rc = check_clashes(&j, dest, err);
		if (rc)
			goto out;
	}
	if (ferry_cancelled()) {
		rc = ferry_error_set(err, FERRY_EINTR, "interrupted");
		goto out;
	}

	if (!exists) {
		/* mkdtemp made it 0700: give the project the usual mode */
		mask = umask(0);
		umask(mask);
		if (chmod(stage, 0777 & ~mask) < 0 || rename(stage, dest) < 0) {
			rc = ferry_error_errno(err, FERRY_EFAIL, errno,
					       "cannot create '%s'", dest_in);
			goto out;
		}
		free(stage);
		stage = NULL;
	} else {
		/*
		 * Not a rename over dest: the user's shell may be inside it.
		 * Each top-level entry moves in one atomic rename.
		 */
		rc = move_into(stage, dest, err);
		if (rc)
			goto out;
	}
	for (i = 0; files && i < j.files.nr; i++)
		if (ferry_strvec_push(files, j.files.items[i])) {
			rc = nomem(err);
			goto out;
		}
out:
	if (stage)
		ferry_fs_remove_tree(stage, NULL);
	if (unpacked)
		ferry_fs_remove_tree(unpacked, NULL);
	/* the locks go last: a sweep must not take a tree being removed */
	if (stage_fd >= 0)
		close(stage_fd);
	if (unpacked_fd >= 0)
		close(unpacked_fd);
	free(stage);
	free(unpacked);
	free(dest);
	ferry_strvec_release(&vars);
	ferry_strvec_release(&j.files);
	ferry_template_meta_release(&meta);
	return rc;
}
