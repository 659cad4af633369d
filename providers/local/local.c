/*
 * local.c - the `local` provider: a deployment target on this machine that
 * needs no account. Its object store is a directory (providers.local.root,
 * default .ferry/local in the project), one file per key, written with the
 * crash-safe helpers of core/fs.c. publish() records a version file, the
 * live pointer is the release engine's live.json (so activate() only checks
 * the version exists), and invoke() unpacks the artifact once into a cache
 * and runs the handler through an embedded runner script under the
 * function's timeout and a memory limit.
 *
 * It does not build bundles, decide what changed or keep release records:
 * core/release.c does that for every provider. It has no HTTP endpoint of
 * its own (`ferry serve` is the gateway) and no log store: handler output
 * is reported through ferry_log() as the invocation finishes.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ferry/asset.h"
#include "ferry/buf.h"
#include "ferry/fs.h"
#include "ferry/hash.h"
#include "ferry/json.h"
#include "ferry/log.h"
#include "ferry/manifest.h"
#include "ferry/proc.h"
#include "ferry/provider.h"
#include "ferry/zip.h"

#include "local.h"

extern const struct ferry_asset ferry_provider_assets[];

#define VERSION_MAX (1u << 20)
#define MIB (1024ull * 1024ull)

static int oom(struct ferry_error *err)
{
	return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
}

/* Keys are relative, '/'-separated, with no empty, "." or ".." part. */
static int check_key(const char *key, struct ferry_error *err)
{
	const char *s = key;
	size_t n;

	if (!*key || *key == '/')
		goto bad;
	while (*s) {
		n = strcspn(s, "/");
		if (n == 0 || s[0] == '.')
			goto bad;
		s += n;
		if (*s == '/')
			s++;
		else
			break;
	}
	if (key[strlen(key) - 1] == '/')
		goto bad;
	return 0;
bad:
	return ferry_error_set(err, FERRY_EFAIL, "local: invalid store key '%s'",
			       key);
}

static char *key_path(struct ferry_provider *p, const char *key)
{
	struct local *l = p->data;

	return ferry_path_join(l->root, key);
}

static int local_open(struct ferry_provider *p, const struct ferry_config *cfg,
		      struct ferry_error *err)
{
	const char *root = ferry_config_setting(cfg, "local", "root");
	struct local *l;

	l = calloc(1, sizeof(*l));
	if (!l)
		return oom(err);
	p->data = l;
	l->warm = local_warm_new();
	if (!l->warm)
		return oom(err);
	if (!root || !*root)
		root = ".ferry/local";
	l->root = root[0] == '/' ? ferry_strdup(root) :
		ferry_path_join(cfg->dir, root);
	l->service = ferry_strdup(cfg->service);
	l->stage = ferry_strdup(cfg->stage);
	if (!l->root || !l->service || !l->stage)
		return oom(err);
	return 0;
}

static void local_close(struct ferry_provider *p)
{
	struct local *l = p->data;

	if (!l)
		return;
	local_warm_free(l->warm);
	free(l->root);
	free(l->service);
	free(l->stage);
	free(l);
	p->data = NULL;
}

/*
 * The atomic writers of core/fs.c, and unpack() below, work in
 * "<name>.tmp.<pid>" and leave it behind when killed. The pid, or 0 when
 * `name` is no such temporary.
 */
static long temp_pid(const char *name)
{
	const char *t = strstr(name, ".tmp.");
	const char *s;
	long pid;

	while (t) {
		pid = 0;
		for (s = t + 5; *s >= '0' && *s <= '9' && pid < 0x7fffffff; s++)
			pid = pid * 10 + (*s - '0');
		if (s > t + 5 && !*s && pid > 0)
			return pid;
		t = strstr(t + 1, ".tmp.");
	}
	return 0;
}

/*
 * Delete what killed writers of this machine left in `dir`: temporaries
 * whose process no longer exists. Best effort; a live writer's are kept.
 */
static void sweep_temps(const char *dir)
{
	struct dirent *de;
	char *path;
	long pid;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		pid = temp_pid(de->d_name);
		if (!pid || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		path = ferry_path_join(dir, de->d_name);
		if (path) {
			ferry_debug("local: removing '%s' left by a killed ferry",
				    path);
			ferry_fs_remove_tree(path, NULL);
		}
		free(path);
	}
	closedir(d);
}

static char *parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? ferry_xstrfmt("%.*s", (int)(slash - path), path) :
		ferry_strdup(".");
}

static int local_put(struct ferry_provider *p, const char *key,
		     const struct ferry_blob *data, int if_absent,
		     struct ferry_error *err)
{
	char *path = NULL, *dir = NULL;
	int rc;

	rc = check_key(key, err);
	if (rc)
		return rc;
	path = key_path(p, key);
	if (!path)
		return oom(err);
	rc = ferry_fs_mkdirs_parent(path, err);
	if (rc)
		goto out;
	if (data->path)
		rc = ferry_fs_copy_atomic(path, data->path, 0644, if_absent, err);
	else
		rc = ferry_fs_write_atomic(path, data->data, data->len, 0644,
					   if_absent, err);
	dir = parent_dir(path);
	if (dir)
		sweep_temps(dir);
out:
	free(dir);
	free(path);
	return rc;
}

static int local_get(struct ferry_provider *p, const char *key,
		     struct ferry_buf *out, struct ferry_error *err)
{
	struct ferry_error e;
	char *path = NULL;
	int rc;

	rc = check_key(key, err);
	if (rc)
		return rc;
	path = key_path(p, key);
	if (!path)
		return oom(err);
	ferry_error_init(&e);
	rc = ferry_fs_read(out, path, 0, &e);
	if (rc == FERRY_ENOTFOUND)
		rc = ferry_error_set(err, rc, "local: key '%s' not found", key);
	else if (rc)
		rc = ferry_error_set(err, rc, "local: %s", e.msg);
	free(path);
	return rc;
}

static int local_list(struct ferry_provider *p, const char *prefix,
		      struct ferry_strvec *out, struct ferry_error *err)
{
	struct local *l = p->data;
	struct ferry_strvec files = FERRY_STRVEC_INIT;
	const char *slash = strrchr(prefix, '/');
	char *dirpart = NULL, *dir = NULL, *key = NULL;
	size_t i;
	int rc = 0;

	if (*prefix == '/' || strstr(prefix, ".."))
		return ferry_error_set(err, FERRY_EFAIL,
				       "local: invalid store prefix '%s'", prefix);
	dirpart = slash ? ferry_xstrfmt("%.*s", (int)(slash - prefix + 1),
					prefix) : ferry_strdup("");
	if (!dirpart) {
		rc = oom(err);
		goto out;
	}
	dir = ferry_path_join(l->root, dirpart);
	if (!dir) {
		rc = oom(err);
		goto out;
	}
	if (!ferry_fs_is_dir(dir))
		goto out;
	rc = ferry_fs_walk(&files, dir, NULL, err);
	if (rc)
		goto out;
	for (i = 0; i < files.nr; i++) {
		key = ferry_xstrfmt("%s%s", dirpart, files.items[i]);
		if (!key) {
			rc = oom(err);
			goto out;
		}
		if (!strncmp(key, prefix, strlen(prefix)) && !temp_pid(key) &&
		    !check_key(key, NULL)) {
			if (ferry_strvec_push_owned(out, key)) {
				key = NULL;
				rc = oom(err);
				goto out;
			}
			key = NULL;
		}
		free(key);
		key = NULL;
	}
out:
	free(key);
	free(dir);
	free(dirpart);
	ferry_strvec_release(&files);
	return rc;
}

static int local_del(struct ferry_provider *p, const char *key,
		     struct ferry_error *err)
{
	char *path = NULL;
	int rc;

	rc = check_key(key, err);
	if (rc)
		return rc;
	path = key_path(p, key);
	if (!path)
		return oom(err);
	if (unlink(path) < 0 && errno != ENOENT)
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "local: cannot delete '%s'", key);
	free(path);
	return rc;
}

/* Store key of the version file of `fn` built from `sha256` and `config`. */
static char *version_key(struct local *l, const char *fn, const char *sha256,
			 const char *config_hash)
{
	return ferry_xstrfmt("%s/%s/versions/%s/%s-%.16s.json", l->service,
			     l->stage, fn, sha256, config_hash);
}

static int local_publish(struct ferry_provider *p,
			 const struct ferry_function *fn,
			 const struct ferry_artifact *a,
			 struct ferry_version *out, struct ferry_error *err)
{
	struct local *l = p->data;
	struct ferry_blob blob = { NULL, 0, NULL };
	json_t *doc = NULL, *env = NULL, *events = NULL;
	char *key = NULL, *text = NULL;
	size_t i;
	int rc = 0;

	key = version_key(l, fn->name, a->sha256, a->config_hash);
	if (!key) {
		rc = oom(err);
		goto out;
	}
	if (strlen(key) >= sizeof(out->id)) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "local: version key of '%s' is too long",
				     fn->name);
		goto out;
	}
	env = json_object();
	doc = json_object();
	events = json_array();
	if (!env || !doc || !events) {
		rc = oom(err);
		goto out;
	}
	/* what `ferry serve` routes to this version */
	for (i = 0; i < fn->events_nr; i++)
		if (fn->events[i].type == FERRY_EVENT_HTTP &&
		    json_array_append_new(events, json_pack("{s:s, s:s}",
					  "method", fn->events[i].method,
					  "path", fn->events[i].path))) {
			rc = oom(err);
			goto out;
		}
	for (i = 0; i < fn->env.nr; i++)
		if (json_object_set_new(env, fn->env.items[i].key,
					json_string(fn->env.items[i].value))) {
			rc = oom(err);
			goto out;
		}
	if (json_object_set_new(doc, "function", json_string(fn->name)) ||
	    json_object_set_new(doc, "runtime", json_string(fn->runtime)) ||
	    json_object_set_new(doc, "handler_file",
				json_string(fn->handler_file)) ||
	    json_object_set_new(doc, "handler_export",
				json_string(fn->handler_export)) ||
	    json_object_set_new(doc, "memory", json_integer(fn->memory)) ||
	    json_object_set_new(doc, "timeout", json_integer(fn->timeout)) ||
	    json_object_set(doc, "env", env) ||
	    json_object_set(doc, "http", events) ||
	    json_object_set_new(doc, "artifact", json_string(a->key)) ||
	    json_object_set_new(doc, "sha256", json_string(a->sha256)) ||
	    json_object_set_new(doc, "config_hash",
				json_string(a->config_hash))) {
		rc = oom(err);
		goto out;
	}
	text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text) {
		rc = oom(err);
		goto out;
	}
	blob.data = text;
	blob.len = strlen(text);
	rc = local_put(p, key, &blob, 0, err);
	if (rc)
		goto out;
	snprintf(out->id, sizeof(out->id), "%s", key);
out:
	free(text);
	json_decref(doc);
	json_decref(env);
	json_decref(events);
	free(key);
	return rc;
}

/*
 * Traffic follows live.json, which the release engine replaces atomically;
 * here we only make sure the version can run, so that a rollback to a
 * version that was deleted fails before the pointer moves.
 */
static int local_activate(struct ferry_provider *p,
			  const struct ferry_function *fn,
			  const struct ferry_version *v,
			  struct ferry_error *err)
{
	char *path = NULL;
	int rc = 0;

	if (check_key(v->id, err))
		return FERRY_EFAIL;
	path = key_path(p, v->id);
	if (!path)
		return oom(err);
	if (!ferry_fs_is_file(path))
		rc = ferry_error_set(err, FERRY_ENOTFOUND,
				     "local: version '%s' of function '%s' does not exist",
				     v->id, fn->name);
	free(path);
	return rc;
}

static int local_remove(struct ferry_provider *p,
			const struct ferry_function *fn,
			struct ferry_error *err)
{
	struct local *l = p->data;
	char *path = NULL;
	int rc;

	path = ferry_xstrfmt("%s/%s/%s/versions/%s", l->root, l->service,
			     l->stage, fn->name);
	if (!path)
		return oom(err);
	rc = ferry_fs_remove_tree(path, err);
	free(path);
	return rc;
}

/* What a version file says about how to run a function. */
struct version_info {
	json_t *doc;			/* owned */
	const char *runtime;		/* borrowed from doc */
	const char *handler_file;
	const char *handler_export;
	const char *artifact;
	const char *sha256;
	unsigned memory;
	unsigned timeout;
	json_t *env;			/* borrowed; object */
};

static const char *str_field(json_t *doc, const char *name)
{
	const char *s = json_string_value(json_object_get(doc, name));

	return s && *s ? s : NULL;
}

static int load_version(struct version_info *vi, struct ferry_provider *p,
			const struct ferry_version *v, struct ferry_error *err)
{
	struct ferry_buf text = FERRY_BUF_INIT;
	json_int_t mem, tmo;
	int rc;

	memset(vi, 0, sizeof(*vi));
	rc = local_get(p, v->id, &text, err);
	if (rc)
		goto out;
	rc = ferry_json_object(&vi->doc, text.buf, text.len, v->id, err);
	if (rc)
		goto out;
	vi->runtime = str_field(vi->doc, "runtime");
	vi->handler_file = str_field(vi->doc, "handler_file");
	vi->handler_export = str_field(vi->doc, "handler_export");
	vi->artifact = str_field(vi->doc, "artifact");
	vi->sha256 = str_field(vi->doc, "sha256");
	mem = json_integer_value(json_object_get(vi->doc, "memory"));
	tmo = json_integer_value(json_object_get(vi->doc, "timeout"));
	vi->env = json_object_get(vi->doc, "env");
	if (!vi->runtime || !vi->handler_file || !vi->artifact ||
	    !vi->sha256 || strlen(vi->sha256) != 64 ||
	    strspn(vi->sha256, "0123456789abcdef") != 64 ||
	    mem <= 0 || mem > 1 << 20 || tmo <= 0 || tmo > 86400 ||
	    (vi->env && !json_is_object(vi->env))) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "local: version '%s' is incomplete", v->id);
		goto out;
	}
	vi->memory = (unsigned)mem;
	vi->timeout = (unsigned)tmo;
out:
	ferry_buf_release(&text);
	if (rc) {
		json_decref(vi->doc);
		vi->doc = NULL;
	}
	return rc;
}

/*
 * Unpack the artifact into <root>/.cache/<sha256>/ once. Extraction goes to
 * a private temporary directory renamed into place, so an invocation that
 * is killed, or one running at the same time, never sees half a tree.
 */
static int unpack(char **dir_out, struct ferry_provider *p,
		  const struct version_info *vi, struct ferry_error *err)
{
	struct local *l = p->data;
	char *dir = NULL, *tmp = NULL, *zip = NULL;
	int rc = 0;

	dir = ferry_xstrfmt("%s/.cache/%s", l->root, vi->sha256);
	tmp = ferry_xstrfmt("%s/.cache/%s.tmp.%ld", l->root, vi->sha256,
			    (long)getpid());
	zip = key_path(p, vi->artifact);
	if (!dir || !tmp || !zip) {
		rc = oom(err);
		goto out;
	}
	if (ferry_fs_is_dir(dir))
		goto out;
	if (check_key(vi->artifact, err)) {
		rc = FERRY_EFAIL;
		goto out;
	}
	if (!ferry_fs_is_file(zip)) {
		rc = ferry_error_set(err, FERRY_ENOTFOUND,
				     "local: artifact '%s' is missing from the store",
				     vi->artifact);
		goto out;
	}
	rc = ferry_fs_remove_tree(tmp, err);
	if (!rc)
		rc = ferry_fs_mkdirs_parent(tmp, err);
	if (!rc) {
		char *cache = parent_dir(tmp);

		if (cache)
			sweep_temps(cache);
		free(cache);
	}
	if (!rc)
		rc = ferry_zip_extract(zip, tmp, err);
	if (rc)
		goto out;
	if (rename(tmp, dir) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			rc = ferry_error_errno(err, FERRY_EFAIL, errno,
					       "local: cannot move the unpacked "
					       "bundle into '%s'", dir);
			goto out;
		}
		/* another invocation unpacked it first: use theirs */
	}
out:
	if (tmp)
		ferry_fs_remove_tree(tmp, NULL);
	if (!rc) {
		*dir_out = dir;
		dir = NULL;
	}
	free(dir);
	free(tmp);
	free(zip);
	return rc;
}

/* Write the embedded runner `name` under <root>/.runtime/ (content-named). */
static int install_runner(char **path_out, struct ferry_provider *p,
			  const char *name, struct ferry_error *err)
{
	struct local *l = p->data;
	const struct ferry_asset *a = ferry_asset_find(ferry_provider_assets,
						       name);
	char hex[FERRY_SHA256_HEX];
	char *path = NULL;
	int rc;

	if (!a)
		return ferry_error_set(err, FERRY_EFAIL,
				       "local: runner '%s' is not built in", name);
	rc = ferry_sha256_mem(hex, a->data, a->len, err);
	if (rc)
		return rc;
	path = ferry_xstrfmt("%s/.runtime/%.16s-%s", l->root, hex, name);
	if (!path)
		return oom(err);
	if (!ferry_fs_is_file(path)) {
		rc = ferry_fs_mkdirs_parent(path, err);
		if (!rc) {
			rc = ferry_fs_write_atomic(path, a->data, a->len, 0644,
						   1, err);
			if (rc == FERRY_EEXIST) {
				ferry_error_clear(err);
				rc = 0;
			}
		}
	}
	if (rc)
		free(path);
	else
		*path_out = path;
	return rc;
}

/*
 * Warn when the installed program differs from the runtime's version: the
 * major for node ("nodejs20" vs v22.1.0), 3.X for python ("python3.12").
 */
static void warn_version(const char *program, const char *runtime)
{
	const char *argv[] = { program, "--version", NULL };
	struct ferry_proc_opts o = { 0 };
	struct ferry_proc_result r;
	const char *want, *have;
	char got[64];
	size_t n;

	o.argv = argv;
	o.timeout_ms = 10000;
	ferry_proc_result_init(&r);
	if (ferry_proc_run(&r, &o, NULL) || !r.exited || r.status)
		goto out;
	have = r.out.len ? r.out.buf : r.errout.buf;
	if (!strncmp(have, "Python ", 7))
		have += 7;
	if (*have == 'v')
		have++;
	want = runtime + strcspn(runtime, "0123456789");
	n = strlen(want);
	snprintf(got, sizeof(got), "%.*s", (int)strcspn(have, "\r\n"), have);
	/* same major (node: "20" vs "20.1.0"; python: "3.11" vs "3.11.7") */
	if (strncmp(have, want, n) || (have[n] != '.' && have[n] != '\0'))
		ferry_warn("runtime %s asks for %s %s, but the installed %s "
			   "is %s; running with it", runtime, program, want,
			   program, got);
out:
	ferry_proc_result_release(&r);
}

static int env_has(const struct ferry_strvec *env, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < env->nr; i++)
		if (!strncmp(env->items[i], name, n) && env->items[i][n] == '=')
			return 1;
	return 0;
}

/* Add name=value unless the function's own env already set it. */
static int env_default(struct ferry_strvec *env, const char *name,
		       const char *value)
{
	if (env_has(env, name))
		return 0;
	return ferry_strvec_pushf(env, "%s=%s", name, value ? value : "");
}

/*
 * A minimal environment: the function's env, then PATH, HOME, LANG and TZ
 * unless it set them, then FERRY_* (always ferry's). Nothing else of the
 * caller's environment (tokens, keys) reaches the handler.
 */
static int build_env(struct ferry_strvec *env, struct ferry_provider *p,
		     const struct ferry_function *fn,
		     const struct version_info *vi)
{
	struct local *l = p->data;
	const char *path = getenv("PATH");
	const char *home = getenv("HOME");
	struct timespec ts;
	const char *k;
	json_t *v;
	long long deadline;

	clock_gettime(CLOCK_REALTIME, &ts);
	deadline = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
		(long long)vi->timeout * 1000;
	json_object_foreach(vi->env, k, v)
		if (json_is_string(v) && *k && !strchr(k, '=') &&
		    strncmp(k, "FERRY_", 6) &&
		    ferry_strvec_pushf(env, "%s=%s", k, json_string_value(v)))
			return FERRY_ENOMEM;
	if (env_default(env, "PATH", path && *path ? path :
			"/usr/local/bin:/usr/bin:/bin") ||
	    env_default(env, "HOME", home && *home ? home : "/tmp") ||
	    env_default(env, "LANG", "C.UTF-8") ||
	    env_default(env, "TZ", "UTC") ||
	    env_default(env, "PYTHONDONTWRITEBYTECODE", "1") ||
	    env_default(env, "PYTHONUNBUFFERED", "1") ||
	    env_default(env, "FERRY_FUNCTION_NAME", fn->name) ||
	    env_default(env, "FERRY_FUNCTION_FULL_NAME", fn->full_name ?
			fn->full_name : fn->name) ||
	    env_default(env, "FERRY_SERVICE", l->service) ||
	    env_default(env, "FERRY_STAGE", l->stage) ||
	    env_default(env, "FERRY_RUNTIME", vi->runtime) ||
	    ferry_strvec_pushf(env, "FERRY_FUNCTION_MEMORY=%u", vi->memory) ||
	    ferry_strvec_pushf(env, "FERRY_FUNCTION_TIMEOUT=%u", vi->timeout) ||
	    ferry_strvec_pushf(env, "FERRY_DEADLINE_MS=%lld", deadline))
		return FERRY_ENOMEM;
	return 0;
}

/* Leave a NULL after the last item (not counted in nr), for exec. */
static int terminate(struct ferry_strvec *v)
{
	if (ferry_strvec_push(v, ""))
		return FERRY_ENOMEM;
	free(v->items[--v->nr]);
	v->items[v->nr] = NULL;
	return 0;
}

/* Hand the handler's own output to the user, one log line per line. */
static void log_lines(const char *buf, size_t len)
{
	const char *s = buf, *nl;

	while (s < buf + len) {
		nl = memchr(s, '\n', (size_t)(buf + len - s));
		if (!nl)
			nl = buf + len;
		ferry_info("%.*s", (int)(nl - s), s);
		s = nl + 1;
	}
}

/*
 * Where the result is in the program's stdout: all of it for `provided`;
 * for the runners, the last line, which they write after the handler
 * returned. Anything before it was written to fd 1 by the handler itself
 * (Node cannot redirect that descriptor) and is logged like stderr.
 */
static void result_span(const struct ferry_buf *out, int runner,
			const char **start, size_t *len)
{
	size_t end = out->len, from = 0;

	while (end && (out->buf[end - 1] == '\n' || out->buf[end - 1] == '\r'))
		end--;
	if (runner) {
		from = end;
		while (from && out->buf[from - 1] != '\n')
			from--;
		log_lines(out->buf, from);
	}
	*start = out->buf + from;
	*len = end - from;
}

/* The last non-empty line of a buffer (for crash messages). */
static void last_line(const struct ferry_buf *b, const char **s, int *n)
{
	const char *end = b->buf + b->len, *start;

	while (end > b->buf && (end[-1] == '\n' || end[-1] == '\r' ||
				end[-1] == ' '))
		end--;
	start = end;
	while (start > b->buf && start[-1] != '\n')
		start--;
	*s = start;
	*n = (int)(end - start);
}

/* Did the program say it ran out of memory (V8, C++, libc)? */
static int out_of_memory(const struct ferry_buf *errout)
{
	static const char *const marks[] = {
		"heap out of memory", "Cannot allocate memory",
		"std::bad_alloc", "out of memory", NULL,
	};
	size_t i;

	for (i = 0; marks[i]; i++)
		if (memmem(errout->buf, errout->len, marks[i], strlen(marks[i])))
			return 1;
	return 0;
}

static int handler_error(const struct ferry_function *fn,
			 const struct ferry_proc_result *r, const char *span,
			 size_t span_len, const struct version_info *vi,
			 struct ferry_error *err)
{
	struct ferry_buf msg = FERRY_BUF_INIT;
	json_t *doc, *stack, *line;
	const char *type, *text, *tail;
	size_t i;
	int rc, n;

	doc = json_loadb(span, span_len, JSON_DECODE_ANY, NULL);
	type = json_string_value(json_object_get(doc, "errorType"));
	text = json_string_value(json_object_get(doc, "errorMessage"));
	if (type || text) {
		ferry_buf_addf(&msg, "%s%s%s", type ? type : "Error",
			       text && *text ? ": " : "", text ? text : "");
		stack = json_object_get(doc, "stackTrace");
		json_array_foreach(stack, i, line)
			if (json_is_string(line))
				ferry_buf_addf(&msg, "\n    %s",
					       json_string_value(line));
	} else if (out_of_memory(&r->errout)) {
		ferry_buf_addf(&msg, "ran out of memory (memory: %u MB; ",
			       vi->memory);
		if (r->exited)
			ferry_buf_addf(&msg, "exit status %d)", r->status);
		else
			ferry_buf_addf(&msg, "killed by signal %d)", r->status);
	} else {
		if (r->exited)
			ferry_buf_addf(&msg, "exited with status %d", r->status);
		else
			ferry_buf_addf(&msg, "killed by signal %d (%s)%s",
				       r->status, strsignal(r->status),
				       r->status == SIGKILL ||
				       r->status == SIGABRT ||
				       r->status == SIGSEGV ?
				       "; it may have run out of memory" : "");
		last_line(&r->errout, &tail, &n);
		if (n)
			ferry_buf_addf(&msg, ": %.*s", n, tail);
		ferry_buf_addf(&msg, " (memory: %u MB)", vi->memory);
	}
	rc = ferry_error_set(err, FERRY_EFAIL, "function '%s' failed: %s",
			     fn->name, msg.buf);
	json_decref(doc);
	ferry_buf_release(&msg);
	return rc;
}

/*
 * unpack() and install_runner() work in "<name>.tmp.<pid>": threads of one
 * process (`ferry serve` starting several handlers at once) take turns.
 */
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;

void local_run_release(struct local_run *r)
{
	if (!r)
		return;
	ferry_strvec_release(&r->argv);
	ferry_strvec_release(&r->env);
	free(r->dir);
	free(r->handler);
	memset(r, 0, sizeof(*r));
}

int local_run_prepare(struct local_run *r, struct ferry_provider *p,
		      const struct ferry_function *fn,
		      const struct ferry_version *v, int warm,
		      struct ferry_error *err)
{
	struct version_info vi = { 0 };
	char *runner = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	ferry_strvec_init(&r->argv);
	ferry_strvec_init(&r->env);
	if (!v)
		return ferry_error_set(err, FERRY_ENOTFOUND,
				       "local: function '%s' has no version to run",
				       fn->name);
	rc = load_version(&vi, p, v, err);
	if (rc)
		goto out;
	r->memory = vi.memory;
	r->timeout = vi.timeout;
	snprintf(r->runtime, sizeof(r->runtime), "%s", vi.runtime);
	pthread_mutex_lock(&install_lock);
	rc = unpack(&r->dir, p, &vi, err);
	pthread_mutex_unlock(&install_lock);
	if (rc)
		goto out;
	if (check_key(vi.handler_file, NULL)) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "local: version '%s' names an invalid "
				     "handler file '%s'", v->id,
				     vi.handler_file);
		goto out;
	}
	r->handler = ferry_path_join(r->dir, vi.handler_file);
	if (!r->handler) {
		rc = oom(err);
		goto out;
	}
	if (!ferry_fs_is_file(r->handler)) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "function '%s' failed: its bundle has no "
				     "handler file '%s'", fn->name,
				     vi.handler_file);
		goto out;
	}
	if (!strncmp(vi.runtime, "nodejs", 6)) {
		r->program = "node";
		pthread_mutex_lock(&install_lock);
		rc = install_runner(&runner, p, "runner.js", err);
		pthread_mutex_unlock(&install_lock);
		if (rc)
			goto out;
		/* V8 reserves about 1 GiB of address space at start-up */
		r->as_limit = (unsigned long long)vi.memory * MIB + 2048 * MIB;
		if (ferry_strvec_push(&r->argv, "node") ||
		    ferry_strvec_pushf(&r->argv, "--max-old-space-size=%u",
				       vi.memory) ||
		    ferry_strvec_push(&r->argv, runner))
			rc = oom(err);
	} else if (!strncmp(vi.runtime, "python", 6)) {
		r->program = "python3";
		pthread_mutex_lock(&install_lock);
		rc = install_runner(&runner, p, "runner.py", err);
		pthread_mutex_unlock(&install_lock);
		if (rc)
			goto out;
		r->as_limit = (unsigned long long)vi.memory * MIB + 64 * MIB;
		if (ferry_strvec_push(&r->argv, "python3") ||
		    ferry_strvec_push(&r->argv, runner))
			rc = oom(err);
	} else if (!strcmp(vi.runtime, "provided")) {
		r->program = NULL;
		r->as_limit = (unsigned long long)vi.memory * MIB;
		if (ferry_strvec_push(&r->argv, r->handler))
			rc = oom(err);
	} else {
		rc = ferry_error_set(err, FERRY_ECONFIG,
				     "local: cannot run runtime '%s' of function "
				     "'%s'; local runs nodejs*, python3.* and "
				     "provided", vi.runtime, fn->name);
		goto out;
	}
	if (rc)
		goto out;
	if (r->program) {
		if (ferry_strvec_push(&r->argv, r->handler) ||
		    ferry_strvec_push(&r->argv, vi.handler_export ?
				      vi.handler_export : "handler") ||
		    (warm && ferry_strvec_push(&r->argv, "--warm"))) {
			rc = oom(err);
			goto out;
		}
		warn_version(r->program, vi.runtime);
	}
	if (terminate(&r->argv) || build_env(&r->env, p, fn, &vi) ||
	    terminate(&r->env))
		rc = oom(err);
out:
	json_decref(vi.doc);
	free(runner);
	return rc;
}

int local_invoke(struct ferry_provider *p, const struct ferry_function *fn,
		 const struct ferry_version *v, const struct ferry_buf *event,
		 struct ferry_buf *result, struct ferry_error *err)
{
	struct local_run run;
	struct version_info vi = { 0 };
	struct ferry_proc_opts o = { 0 };
	struct ferry_proc_result r;
	json_t *res = NULL;
	const char *span;
	size_t len;
	int rc;

	ferry_proc_result_init(&r);
	rc = local_run_prepare(&run, p, fn, v, 0, err);
	if (rc)
		goto out;
	vi.memory = run.memory;
	vi.timeout = run.timeout;
	o.argv = (const char *const *)run.argv.items;
	o.envp = (const char *const *)run.env.items;
	o.cwd = run.dir;
	o.as_limit = run.as_limit;
	o.stdin_data = event && event->len ? event->buf : "{}";
	o.stdin_len = event && event->len ? event->len : 2;
	o.timeout_ms = run.timeout * 1000;
	ferry_debug("local: running %s for function '%s' in %s",
		    run.argv.items[0], fn->name, run.dir);
	rc = ferry_proc_run(&r, &o, err);
	if (rc == FERRY_ENOTFOUND) {
		ferry_error_clear(err);
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "function '%s' needs '%s' (runtime %s), "
				     "which is not installed or not in PATH",
				     fn->name, run.program ? run.program :
				     run.handler, run.runtime);
	}
	if (rc)
		goto out;
	log_lines(r.errout.buf, r.errout.len);
	result_span(&r.out, run.program != NULL, &span, &len);
	if (r.timed_out) {
		rc = ferry_error_set(err, FERRY_ETIMEOUT,
				     "function '%s' timed out after %u s "
				     "(timeout: %u in ferry.yaml)", fn->name,
				     run.timeout, run.timeout);
		goto out;
	}
	if (!r.exited || r.status) {
		rc = handler_error(fn, &r, span, len, &vi, err);
		goto out;
	}
	res = json_loadb(span, len, JSON_DECODE_ANY, NULL);
	if (!res) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "function '%s' failed: its result is not "
				     "JSON: %.200s", fn->name, span);
		goto out;
	}
	if (ferry_buf_add(result, span, len))
		rc = oom(err);
out:
	json_decref(res);
	ferry_proc_result_release(&r);
	local_run_release(&run);
	return rc;
}

static int local_http_events(struct ferry_provider *p,
			     const struct ferry_version *v,
			     struct ferry_strvec *out, struct ferry_error *err)
{
	struct ferry_buf text = FERRY_BUF_INIT;
	json_t *doc = NULL, *events, *e;
	const char *method, *path;
	size_t i;
	int rc;

	rc = local_get(p, v->id, &text, err);
	if (rc)
		goto out;
	rc = ferry_json_object(&doc, text.buf, text.len, v->id, err);
	if (rc)
		goto out;
	events = json_object_get(doc, "http");
	if (!json_is_array(events)) {
		/* published before versions recorded their routes */
		rc = ferry_error_set(err, FERRY_ENOTFOUND,
				     "local: version '%s' records no http "
				     "events", v->id);
		goto out;
	}
	json_array_foreach(events, i, e) {
		method = json_string_value(json_object_get(e, "method"));
		path = json_string_value(json_object_get(e, "path"));
		if (!method || !path)
			continue;
		if (ferry_strvec_pushf(out, "%s %s", method, path)) {
			rc = oom(err);
			goto out;
		}
	}
out:
	json_decref(doc);
	ferry_buf_release(&text);
	return rc;
}

static int local_endpoint(struct ferry_provider *p,
			  const struct ferry_function *fn,
			  struct ferry_buf *url, struct ferry_error *err)
{
	return ferry_error_set(err, FERRY_ENOTFOUND,
			       "function '%s' has no URL of its own on the "
			       "local provider; run 'ferry serve' to reach its "
			       "http events", fn->name);
}

const struct ferry_provider_ops ferry_provider_local = {
	.name = "local",
	.caps = FERRY_CAP_LOCAL_INVOKE,
	.open = local_open,
	.close = local_close,
	.put = local_put,
	.get = local_get,
	.list = local_list,
	.del = local_del,
	.publish = local_publish,
	.activate = local_activate,
	.remove = local_remove,
	.invoke = local_invoke,
	.endpoint = local_endpoint,
	.logs = NULL,
	.http_events = local_http_events,
	.invoke_warm = local_invoke_warm,
	.stop_warm = local_stop_warm,
};
