/*
 * test_release.c - the release engine (core/release.c) against the local
 * provider in a temporary directory: deploy, skip-unchanged, carry-over,
 * rollback, listing, pruning, removal, record numbering under a race, the
 * lease lock, and the record JSON format.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ferry/fs.h"
#include "ferry/hash.h"
#include "ferry/provider.h"
#include "ferry/release.h"
#include "ferry/zip.h"

struct fixture {
	char dir[256];
	char *store;
	struct ferry_config cfg;
	struct ferry_function fns[2];
	struct ferry_provider p;
	struct ferry_bundle bundles[2];
	size_t bundles_nr;
	unsigned serial;
};

static void free_bundle(struct ferry_bundle *b)
{
	free(b->function);
	free(b->path);
	b->function = b->path = NULL;
}

static void init_fn(struct ferry_function *fn, const char *name,
		    const char *stage)
{
	memset(fn, 0, sizeof(*fn));
	fn->name = strdup(name);
	fn->full_name = ferry_xstrfmt("demo-%s-%s", stage, name);
	fn->handler = ferry_xstrfmt("%s.handler", name);
	fn->handler_file = strdup("bootstrap");
	fn->handler_export = strdup("handler");
	fn->runtime = strdup("provided");
	fn->runtime_kind = FERRY_RT_PROVIDED;
	fn->memory = 128;
	fn->timeout = 5;
}

static void release_fn(struct ferry_function *fn)
{
	free(fn->name);
	free(fn->full_name);
	free(fn->handler);
	free(fn->handler_file);
	free(fn->handler_export);
	free(fn->runtime);
}

static int open_stage(struct fixture *fx, const char *stage)
{
	struct ferry_error err;

	ferry_provider_close(&fx->p);
	free(fx->cfg.stage);
	fx->cfg.stage = strdup(stage);
	ferry_error_init(&err);
	return ferry_provider_open(&fx->p, &fx->cfg, &err);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	json_t *doc;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ferry-release-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	fx->store = ferry_path_join(fx->dir, "store");
	fx->cfg.dir = strdup(fx->dir);
	fx->cfg.file = strdup("ferry.yaml");
	fx->cfg.service = strdup("demo");
	fx->cfg.provider = strdup("local");
	fx->cfg.memory = 128;
	fx->cfg.timeout = 5;
	doc = json_pack("{s:s, s:{s:{s:s}}}", "service", "demo", "providers",
			"local", "root", "store");
	fx->cfg.doc = doc;
	init_fn(&fx->fns[0], "hello", "dev");
	init_fn(&fx->fns[1], "nightly", "dev");
	fx->cfg.functions = fx->fns;
	fx->cfg.functions_nr = 2;
	assert_int_equal(open_stage(fx, "dev"), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	size_t i;

	ferry_provider_close(&fx->p);
	for (i = 0; i < fx->bundles_nr; i++)
		free_bundle(&fx->bundles[i]);
	ferry_fs_remove_tree(fx->dir, NULL);
	release_fn(&fx->fns[0]);
	release_fn(&fx->fns[1]);
	free(fx->cfg.dir);
	free(fx->cfg.file);
	free(fx->cfg.service);
	free(fx->cfg.stage);
	free(fx->cfg.provider);
	json_decref(fx->cfg.doc);
	free(fx->store);
	free(fx);
	return 0;
}

/* Build a bundle of `fn` whose bootstrap prints `answer`. */
static void bundle(struct fixture *fx, const char *fn, const char *answer)
{
	struct ferry_zip_entry e;
	struct ferry_zip_stats st;
	struct ferry_bundle *b;
	struct ferry_error err;
	char *script, *path;
	size_t i;

	for (i = 0; i < fx->bundles_nr; i++)
		if (!strcmp(fx->bundles[i].function, fn))
			break;
	b = &fx->bundles[i];
	if (i == fx->bundles_nr) {
		assert_true(fx->bundles_nr < 2);
		fx->bundles_nr++;
	} else {
		free_bundle(b);
	}
	memset(b, 0, sizeof(*b));
	script = ferry_xstrfmt("#!/bin/sh\ncat >/dev/null\necho '\"%s\"'\n",
			       answer);
	path = ferry_xstrfmt("%s/build-%u.zip", fx->dir, ++fx->serial);
	e.name = "bootstrap";
	e.source = NULL;
	e.data = script;
	e.data_len = strlen(script);
	e.executable = 1;
	ferry_error_init(&err);
	assert_int_equal(ferry_zip_write(path, &e, 1, &st, &err), 0);
	b->function = strdup(fn);
	b->path = path;
	b->files = 1;
	b->bytes = e.data_len;
	b->zipped = st.zipped;
	assert_int_equal(ferry_sha256_file(b->sha256, path, &err), 0);
	free(script);
}

/* Forget the bundle of `fn` (so the next deploy carries it over). */
static void unbundle(struct fixture *fx, const char *fn)
{
	size_t i;

	for (i = 0; i < fx->bundles_nr; i++)
		if (!strcmp(fx->bundles[i].function, fn)) {
			free_bundle(&fx->bundles[i]);
			fx->bundles[i] = fx->bundles[--fx->bundles_nr];
			memset(&fx->bundles[fx->bundles_nr], 0,
			       sizeof(fx->bundles[0]));
			return;
		}
}

static int deploy_opts(struct fixture *fx, struct ferry_deploy_result *res,
		       int force, int dry_run, struct ferry_error *err)
{
	struct ferry_deploy_opts o = { 0 };

	o.bundles = fx->bundles;
	o.bundles_nr = fx->bundles_nr;
	o.force = force;
	o.dry_run = dry_run;
	memset(res, 0, sizeof(*res));
	ferry_error_init(err);
	return ferry_release_deploy(res, &fx->p, &fx->cfg, &o, err);
}

/* Deploy and return the new release number (0: nothing changed). */
static unsigned deploy(struct fixture *fx)
{
	struct ferry_deploy_result res;
	struct ferry_error err;
	unsigned n;
	int rc;

	rc = deploy_opts(fx, &res, 0, 0, &err);
	if (rc)
		fprintf(stderr, "deploy: %s\n", err.msg);
	assert_int_equal(rc, 0);
	n = res.release;
	ferry_deploy_result_release(&res);
	return n;
}

static size_t count_keys(struct fixture *fx, const char *prefix)
{
	struct ferry_strvec keys = FERRY_STRVEC_INIT;
	struct ferry_error err;
	size_t n;

	ferry_error_init(&err);
	assert_int_equal(fx->p.ops->list(&fx->p, prefix, &keys, &err), 0);
	n = keys.nr;
	ferry_strvec_release(&keys);
	return n;
}

static unsigned live(struct fixture *fx, struct ferry_release *r)
{
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(ferry_release_live(r, &fx->p, &fx->cfg, &err), 0);
	return r->number;
}

/* What `fn` answers in the live release. */
static char *invoke(struct fixture *fx, const char *fn)
{
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_error err;
	int rc;

	ferry_error_init(&err);
	rc = ferry_release_invoke(&out, &fx->p, &fx->cfg,
				  ferry_config_function(&fx->cfg, fn), NULL,
				  &err);
	if (rc)
		fprintf(stderr, "invoke: %s\n", err.msg);
	assert_int_equal(rc, 0);
	return ferry_buf_detach(&out);
}

static void assert_answer(struct fixture *fx, const char *fn,
			  const char *want)
{
	char *got = invoke(fx, fn);
	char *quoted = ferry_xstrfmt("\"%s\"", want);

	assert_string_equal(got, quoted);
	free(got);
	free(quoted);
}

static void test_first_deploy(void **state)
{
	struct fixture *fx = *state;
	struct ferry_deploy_result res;
	struct ferry_release r;
	struct ferry_error err;

	bundle(fx, "hello", "hello v1");
	bundle(fx, "nightly", "nightly v1");
	assert_int_equal(deploy_opts(fx, &res, 0, 0, &err), 0);
	assert_int_equal(res.release, 1);
	assert_int_equal(res.uploads, 2);
	assert_int_equal(res.fns_nr, 2);
	assert_string_equal(res.fns[0].name, "hello");
	assert_int_equal(res.fns[0].change, FERRY_CHANGE_NEW);
	assert_string_equal(ferry_change_name(res.fns[0].change), "new");
	assert_non_null(strstr(res.fns[0].version, "versions/hello/"));
	ferry_deploy_result_release(&res);

	assert_int_equal(live(fx, &r), 1);
	assert_string_equal(r.kind, "deploy");
	assert_string_equal(r.provider, "local");
	assert_non_null(strchr(r.user, '@'));
	assert_int_equal(strlen(r.time), 20);
	assert_null(r.git_commit);	/* a temp dir is no repository */
	assert_int_equal(r.fns_nr, 2);
	assert_string_equal(r.fns[1].name, "nightly");
	assert_string_equal(r.fns[1].sha256, fx->bundles[1].sha256);
	assert_int_equal(r.fns[1].size, fx->bundles[1].zipped);
	ferry_release_release(&r);
	assert_int_equal(count_keys(fx, "demo/artifacts/"), 2);
	assert_int_equal(count_keys(fx, "demo/dev/lock.json"), 0);
	assert_answer(fx, "hello", "hello v1");
}

static void test_skip_unchanged(void **state)
{
	struct fixture *fx = *state;
	struct ferry_deploy_result res;
	struct ferry_error err;
	struct stat before, after;
	char *art;

	bundle(fx, "hello", "hello v1");
	bundle(fx, "nightly", "nightly v1");
	assert_int_equal(deploy(fx), 1);
	art = ferry_xstrfmt("%s/demo/artifacts/%s.zip", fx->store,
			    fx->bundles[0].sha256);
	assert_int_equal(stat(art, &before), 0);

	/* rebuilt with the same bytes: nothing changes */
	bundle(fx, "hello", "hello v1");
	assert_int_equal(deploy_opts(fx, &res, 0, 0, &err), 0);
	assert_int_equal(res.release, 0);
	assert_int_equal(res.uploads, 0);
	assert_int_equal(res.fns[0].change, FERRY_CHANGE_UNCHANGED);
	assert_int_equal(res.fns[1].change, FERRY_CHANGE_UNCHANGED);
	assert_non_null(strstr(res.fns[0].version, "versions/hello/"));
	ferry_deploy_result_release(&res);
	assert_int_equal(count_keys(fx, "demo/dev/releases/"), 1);
	assert_int_equal(count_keys(fx, "demo/artifacts/"), 2);
	assert_int_equal(stat(art, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	free(art);
}

static void test_update_and_carry_over(void **state)
{
	struct fixture *fx = *state;
	struct ferry_deploy_result res;
	struct ferry_release r1, r3;
	struct ferry_error err;

	bundle(fx, "hello", "hello v1");
	bundle(fx, "nightly", "nightly v1");
	assert_int_equal(deploy(fx), 1);
	live(fx, &r1);

	/* one function changed: one upload, the other stays as it was */
	bundle(fx, "hello", "hello v2");
	assert_int_equal(deploy_opts(fx, &res, 0, 0, &err), 0);
	assert_int_equal(res.release, 2);
	assert_int_equal(res.uploads, 1);
	assert_int_equal(res.fns[0].change, FERRY_CHANGE_UPDATED);
	assert_int_equal(res.fns[1].change, FERRY_CHANGE_UNCHANGED);
	ferry_deploy_result_release(&res);
	assert_answer(fx, "hello", "hello v2");

	/* deploy only hello: nightly is carried over from the live record */
	unbundle(fx, "nightly");
	bundle(fx, "hello", "hello v3");
	assert_int_equal(deploy(fx), 3);
	live(fx, &r3);
	assert_int_equal(r3.fns_nr, 2);
	assert_string_equal(r3.fns[1].name, "nightly");
	assert_string_equal(r3.fns[1].version, r1.fns[1].version);
	assert_string_equal(r3.fns[1].sha256, r1.fns[1].sha256);
	assert_string_not_equal(r3.fns[0].sha256, r1.fns[0].sha256);
	assert_answer(fx, "nightly", "nightly v1");
	assert_answer(fx, "hello", "hello v3");
	ferry_release_release(&r1);
	ferry_release_release(&r3);
}

static void test_config_change_and_force(void **state)
{
	struct fixture *fx = *state;
	struct ferry_deploy_result res;
	struct ferry_error err;

	bundle(fx, "hello", "hello v1");
	assert_int_equal(deploy(fx), 1);
	/* same code, more memory: a new version */
	fx->fns[0].memory = 512;
	assert_int_equal(deploy_opts(fx, &res, 0, 0, &err), 0);
	assert_int_equal(res.release, 2);
	assert_int_equal(res.uploads, 0);
	assert_int_equal(res.fns[0].change, FERRY_CHANGE_UPDATED);
	ferry_deploy_result_release(&res);
	/* nothing changed, but --force makes a release anyway */
	assert_int_equal(deploy(fx), 0);
	assert_int_equal(deploy_opts(fx, &res, 1, 0, &err), 0);
	assert_int_equal(res.release, 3);
	ferry_deploy_result_release(&res);
}

static void test_dry_run(void **state)
{
	struct fixture *fx = *state;
	struct ferry_deploy_result res;
	struct ferry_error err;

	bundle(fx, "hello", "hello v1");
	assert_int_equal(deploy(fx), 1);
	bundle(fx, "hello", "hello v2");
	bundle(fx, "nightly", "nightly v1");
	assert_int_equal(deploy_opts(fx, &res, 0, 1, &err), 0);
	assert_int_equal(res.release, 0);
	assert_int_equal(res.uploads, 0);
	assert_int_equal(res.fns[0].change, FERRY_CHANGE_UPDATED);
	assert_int_equal(res.fns[1].change, FERRY_CHANGE_NEW);
	ferry_deploy_result_release(&res);
	assert_int_equal(count_keys(fx, "demo/dev/releases/"), 1);
	assert_int_equal(count_keys(fx, "demo/artifacts/"), 1);
	assert_int_equal(count_keys(fx, "demo/dev/versions/nightly/"), 0);
	assert_answer(fx, "hello", "hello v1");
}

/* A function removed from the manifest is left out of the next record. */
static void test_dropped_function(void **state)
{
	struct fixture *fx = *state;
	struct ferry_release r;

	bundle(fx, "hello", "hello v1");
	bundle(fx, "nightly", "nightly v1");
	assert_int_equal(deploy(fx), 1);
	unbundle(fx, "nightly");
	fx->cfg.functions_nr = 1;	/* nightly deleted from ferry.yaml */
	assert_int_equal(deploy(fx), 2);
	live(fx, &r);
	assert_int_equal(r.fns_nr, 1);
	assert_string_equal(r.fns[0].name, "hello");
	ferry_release_release(&r);
	fx->cfg.functions_nr = 2;
}

static void test_rollback(void **state)
{
	struct fixture *fx = *state;
	struct ferry_release r;
	struct ferry_error err;

	bundle(fx, "hello", "v1");
	assert_int_equal(deploy(fx), 1);
	bundle(fx, "hello", "v2");
	assert_int_equal(deploy(fx), 2);
	bundle(fx, "hello", "v3");
	assert_int_equal(deploy(fx), 3);

	/* plain rollbacks keep walking back: 3 -> 2 -> 1 */
	ferry_error_init(&err);
	assert_int_equal(ferry_release_rollback(&r, &fx->p, &fx->cfg, 0, &err), 0);
	assert_int_equal(r.number, 4);
	assert_string_equal(r.kind, "rollback");
	assert_int_equal(r.target, 2);
	ferry_release_release(&r);
	assert_answer(fx, "hello", "v2");
	assert_int_equal(ferry_release_rollback(&r, &fx->p, &fx->cfg, 0, &err), 0);
	assert_int_equal(r.number, 5);
	assert_int_equal(r.target, 1);
	ferry_release_release(&r);
	assert_answer(fx, "hello", "v1");
	assert_int_equal(ferry_release_rollback(&r, &fx->p, &fx->cfg, 0, &err),
			 FERRY_ENOTFOUND);
	assert_string_equal(err.msg, "no release before 1 to roll back to");

	/* to a given number; a missing one names the range */
	ferry_error_init(&err);
	assert_int_equal(ferry_release_rollback(&r, &fx->p, &fx->cfg, 3, &err), 0);
	assert_int_equal(r.number, 6);
	assert_int_equal(r.target, 3);
	assert_int_equal(r.fns_nr, 1);
	ferry_release_release(&r);
	assert_answer(fx, "hello", "v3");
	assert_int_equal(ferry_release_rollback(&r, &fx->p, &fx->cfg, 9, &err),
			 FERRY_ENOTFOUND);
	assert_string_equal(err.msg, "release 9 does not exist; releases of "
			    "stage 'dev': 1..6");

	/* a deploy after a rollback compares with what is live (v3) */
	assert_int_equal(deploy(fx), 0);
	assert_int_equal(count_keys(fx, "demo/dev/lock.json"), 0);
}

static void test_rollback_nothing_deployed(void **state)
{
	struct fixture *fx = *state;
	struct ferry_release r;
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(ferry_release_rollback(&r, &fx->p, &fx->cfg, 0, &err),
			 FERRY_ENOTFOUND);
	assert_non_null(strstr(err.msg, "nothing is deployed to stage 'dev'"));
	ferry_error_init(&err);
	assert_int_equal(ferry_release_live(&r, &fx->p, &fx->cfg, &err),
			 FERRY_ENOTFOUND);
	assert_int_equal(count_keys(fx, "demo/dev/lock.json"), 0);
}

static void test_list(void **state)
{
	struct fixture *fx = *state;
	struct ferry_release_list l;
	struct ferry_release r;
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(ferry_release_list(&l, &fx->p, &fx->cfg, &err), 0);
	assert_int_equal(l.nr, 0);
	assert_int_equal(l.live, 0);
	ferry_release_list_release(&l);

	bundle(fx, "hello", "v1");
	deploy(fx);
	bundle(fx, "hello", "v2");
	deploy(fx);
	assert_int_equal(ferry_release_rollback(&r, &fx->p, &fx->cfg, 1, &err), 0);
	ferry_release_release(&r);
	assert_int_equal(ferry_release_list(&l, &fx->p, &fx->cfg, &err), 0);
	assert_int_equal(l.nr, 3);
	assert_int_equal(l.live, 3);
	assert_int_equal(l.items[0].number, 3);
	assert_string_equal(l.items[0].kind, "rollback");
	assert_int_equal(l.items[1].number, 2);
	assert_int_equal(l.items[2].number, 1);
	ferry_release_list_release(&l);
}

/*
 * A store whose list() does not show record 2 yet, as when another deploy
 * writes it between our list and our create: the create-if-absent write
 * must refuse to overwrite it and the engine must take number 3.
 */
static struct ferry_provider_ops racy_ops;

static int racy_list(struct ferry_provider *p, const char *prefix,
		     struct ferry_strvec *out, struct ferry_error *err)
{
	size_t i;
	int rc = ferry_provider_find("local")->list(p, prefix, out, err);

	for (i = 0; !rc && i < out->nr; i++)
		if (!strcmp(out->items[i], "demo/dev/releases/2.json")) {
			free(out->items[i]);
			out->items[i] = out->items[--out->nr];
		}
	return rc;
}

static void test_number_taken(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf other = FERRY_BUF_INIT, text = FERRY_BUF_INIT;
	const struct ferry_provider_ops *real = fx->p.ops;
	struct ferry_blob blob;
	struct ferry_release r;
	struct ferry_error err;

	bundle(fx, "hello", "v1");
	assert_int_equal(deploy(fx), 1);
	/* someone else's record 2 */
	ferry_buf_addstr(&other, "{\"number\": 2, \"time\": \"2026-01-01T00:00:00Z\", "
			 "\"user\": \"bob@elsewhere\", \"git\": null, "
			 "\"provider\": \"local\", \"kind\": \"deploy\", "
			 "\"functions\": []}\n");
	blob.data = other.buf;
	blob.len = other.len;
	blob.path = NULL;
	ferry_error_init(&err);
	assert_int_equal(real->put(&fx->p, "demo/dev/releases/2.json", &blob, 0,
				   &err), 0);
	racy_ops = *real;
	racy_ops.list = racy_list;
	fx->p.ops = &racy_ops;
	bundle(fx, "hello", "v2");
	assert_int_equal(deploy(fx), 3);
	fx->p.ops = real;
	/* record 2 is untouched */
	assert_int_equal(real->get(&fx->p, "demo/dev/releases/2.json", &text,
				   &err), 0);
	assert_string_equal(text.buf, other.buf);
	assert_int_equal(live(fx, &r), 3);
	ferry_release_release(&r);
	assert_answer(fx, "hello", "v2");
	ferry_buf_release(&other);
	ferry_buf_release(&text);
}

static void put_lock(struct fixture *fx, const char *host, long pid,
		     const char *expires)
{
	struct ferry_blob blob = { NULL, 0, NULL };
	struct ferry_error err;
	char *text;

	text = ferry_xstrfmt("{\"owner\": \"alice\", \"host\": \"%s\", "
			     "\"pid\": %ld, \"created\": \"2026-01-01T00:00:00Z\", "
			     "\"expires\": \"%s\"}\n", host, pid, expires);
	blob.data = text;
	blob.len = strlen(text);
	ferry_error_init(&err);
	assert_int_equal(fx->p.ops->put(&fx->p, "demo/dev/lock.json", &blob, 0,
					&err), 0);
	free(text);
}

static void test_lock_held(void **state)
{
	struct fixture *fx = *state;
	struct ferry_deploy_result res;
	struct ferry_release r;
	struct ferry_error err;
	char host[256];

	gethostname(host, sizeof(host));
	/* our parent is alive on this host; the lease runs until 2099 */
	put_lock(fx, host, (long)getppid(), "2099-01-01T00:00:00Z");
	bundle(fx, "hello", "v1");
	assert_int_equal(deploy_opts(fx, &res, 0, 0, &err), FERRY_ECONFLICT);
	assert_non_null(strstr(err.msg, "stage 'dev' of service 'demo' is "
			       "locked by alice@"));
	assert_non_null(strstr(err.msg, "until 2099-01-01T00:00:00Z"));
	assert_non_null(strstr(err.msg, "demo/dev/lock.json"));
	/* the lock is not ours: it stays, and nothing was deployed */
	assert_int_equal(count_keys(fx, "demo/dev/lock.json"), 1);
	assert_int_equal(count_keys(fx, "demo/dev/releases/"), 0);
	assert_int_equal(ferry_release_rollback(&r, &fx->p, &fx->cfg, 0, &err),
			 FERRY_ECONFLICT);
	/* a dry run only reads, so it does not need the lock */
	assert_int_equal(deploy_opts(fx, &res, 0, 1, &err), 0);
	ferry_deploy_result_release(&res);
}

/* A lock ferry cannot read is never deleted (it may be a newer ferry's). */
static void test_lock_unreadable(void **state)
{
	struct fixture *fx = *state;
	struct ferry_deploy_result res;
	struct ferry_blob blob = { "{\"lease\": 1}", 12, NULL };
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(fx->p.ops->put(&fx->p, "demo/dev/lock.json", &blob, 0,
					&err), 0);
	bundle(fx, "hello", "v1");
	assert_int_equal(deploy_opts(fx, &res, 0, 0, &err), FERRY_ECONFLICT);
	assert_non_null(strstr(err.msg, "lock is unreadable; delete "
			       "demo/dev/lock.json"));
	assert_int_equal(count_keys(fx, "demo/dev/lock.json"), 1);
}

static void test_lock_stale(void **state)
{
	struct fixture *fx = *state;
	char host[256];
	pid_t dead;

	gethostname(host, sizeof(host));
	dead = fork();
	if (dead == 0)
		_exit(0);
	assert_true(dead > 0);
	waitpid(dead, NULL, 0);
	/* a process of this host that is gone: taken over */
	put_lock(fx, host, (long)dead, "2099-01-01T00:00:00Z");
	bundle(fx, "hello", "v1");
	assert_int_equal(deploy(fx), 1);
	assert_int_equal(count_keys(fx, "demo/dev/lock.json"), 0);
	/* another host's lock whose lease expired: taken over */
	put_lock(fx, "elsewhere.example", 1, "2001-01-01T00:00:00Z");
	bundle(fx, "hello", "v2");
	assert_int_equal(deploy(fx), 2);
	assert_int_equal(count_keys(fx, "demo/dev/lock.json"), 0);
}

static void test_lock_released_on_failure(void **state)
{
	struct fixture *fx = *state;
	struct ferry_deploy_result res;
	struct ferry_error err;

	bundle(fx, "hello", "v1");
	unlink(fx->bundles[0].path);	/* the upload will fail */
	assert_int_not_equal(deploy_opts(fx, &res, 0, 0, &err), 0);
	assert_int_equal(count_keys(fx, "demo/dev/lock.json"), 0);
	assert_int_equal(count_keys(fx, "demo/dev/releases/"), 0);
	assert_int_equal(count_keys(fx, "demo/dev/live.json"), 0);

	/* a bundle of a function the manifest does not have */
	free(fx->bundles[0].function);
	fx->bundles[0].function = strdup("nope");
	assert_int_equal(deploy_opts(fx, &res, 0, 0, &err), FERRY_ENOTFOUND);
	assert_string_equal(err.msg, "function 'nope' is not in ferry.yaml");
}

static void test_prune(void **state)
{
	struct fixture *fx = *state;
	struct ferry_prune_result pr;
	struct ferry_release r;
	struct ferry_error err;
	char *v1_art;

	bundle(fx, "hello", "v1");
	deploy(fx);
	v1_art = ferry_xstrfmt("demo/artifacts/%s.zip", fx->bundles[0].sha256);
	bundle(fx, "hello", "v2");
	deploy(fx);
	bundle(fx, "hello", "v3");
	deploy(fx);
	bundle(fx, "hello", "v4");
	deploy(fx);
	ferry_error_init(&err);
	/* live is 2 now; records 1..5 */
	assert_int_equal(ferry_release_rollback(&r, &fx->p, &fx->cfg, 2, &err), 0);
	ferry_release_release(&r);
	/* a release in another stage that still uses v1's artifact */
	assert_int_equal(open_stage(fx, "prod"), 0);
	bundle(fx, "hello", "v1");
	assert_int_equal(deploy(fx), 1);
	assert_int_equal(open_stage(fx, "dev"), 0);
	assert_int_equal(count_keys(fx, "demo/artifacts/"), 4);

	/* keep the newest one (5, the live rollback to 2): v3, v4 go */
	assert_int_equal(ferry_release_prune(&pr, &fx->p, &fx->cfg, 1, &err), 0);
	assert_int_equal(pr.records, 4);
	assert_int_equal(pr.artifacts, 2);
	assert_int_equal(count_keys(fx, "demo/dev/releases/"), 1);
	assert_int_equal(count_keys(fx, "demo/artifacts/"), 2);
	assert_int_equal(count_keys(fx, v1_art), 1);	/* prod uses it */
	assert_answer(fx, "hello", "v2");
	assert_int_equal(count_keys(fx, "demo/dev/lock.json"), 0);
	free(v1_art);
}

/* The live record is kept even when it is not among the newest. */
static void test_prune_keeps_live(void **state)
{
	struct fixture *fx = *state;
	struct ferry_prune_result pr;
	struct ferry_release_list l;
	struct ferry_error err;

	bundle(fx, "hello", "v1");
	deploy(fx);
	bundle(fx, "hello", "v2");
	deploy(fx);
	/* records 3 and 4 written but never made live (killed deploys) */
	{
		struct ferry_release live_rec;
		struct ferry_buf text = FERRY_BUF_INIT;
		struct ferry_blob blob = { NULL, 0, NULL };

		live(fx, &live_rec);
		live_rec.number = 3;
		ferry_error_init(&err);
		assert_int_equal(ferry_release_to_json(&live_rec, &text, &err), 0);
		blob.data = text.buf;
		blob.len = text.len;
		assert_int_equal(fx->p.ops->put(&fx->p, "demo/dev/releases/3.json",
						&blob, 1, &err), 0);
		ferry_buf_reset(&text);
		live_rec.number = 4;
		assert_int_equal(ferry_release_to_json(&live_rec, &text, &err), 0);
		blob.data = text.buf;
		blob.len = text.len;
		assert_int_equal(fx->p.ops->put(&fx->p, "demo/dev/releases/4.json",
						&blob, 1, &err), 0);
		ferry_buf_release(&text);
		ferry_release_release(&live_rec);
	}
	assert_int_equal(ferry_release_prune(&pr, &fx->p, &fx->cfg, 1, &err), 0);
	assert_int_equal(pr.records, 2);	/* 1 and 3 */
	assert_int_equal(ferry_release_list(&l, &fx->p, &fx->cfg, &err), 0);
	assert_int_equal(l.nr, 2);
	assert_int_equal(l.items[0].number, 4);
	assert_int_equal(l.items[1].number, 2);
	assert_int_equal(l.live, 2);
	ferry_release_list_release(&l);
	assert_answer(fx, "hello", "v2");
	/* keep 0: only the live one stays */
	assert_int_equal(ferry_release_prune(&pr, &fx->p, &fx->cfg, 0, &err), 0);
	assert_int_equal(pr.records, 1);
	assert_int_equal(count_keys(fx, "demo/dev/releases/"), 1);
	assert_int_equal(count_keys(fx, "demo/artifacts/"), 1);
}

static void test_remove(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_error err;

	bundle(fx, "hello", "v1");
	bundle(fx, "nightly", "n1");
	deploy(fx);
	bundle(fx, "hello", "v2");
	deploy(fx);
	ferry_error_init(&err);
	assert_int_equal(ferry_release_remove(&fx->p, &fx->cfg, 0, &err), 0);
	assert_int_equal(count_keys(fx, "demo/dev/"), 0);
	assert_int_equal(count_keys(fx, "demo/artifacts/"), 3);
	assert_int_equal(ferry_release_invoke(&out, &fx->p, &fx->cfg,
					      &fx->fns[0], NULL, &err),
			 FERRY_ENOTFOUND);
	ferry_error_init(&err);
	assert_int_equal(ferry_release_remove(&fx->p, &fx->cfg, 0, &err),
			 FERRY_ENOTFOUND);

	/* purge also deletes artifacts nothing references any more */
	deploy(fx);
	ferry_error_init(&err);
	assert_int_equal(ferry_release_remove(&fx->p, &fx->cfg, 1, &err), 0);
	assert_int_equal(count_keys(fx, "demo/"), 0);
	ferry_buf_release(&out);
}

/* live.json naming a record deleted by hand: clear errors and a way out. */
static void test_live_record_missing(void **state)
{
	struct fixture *fx = *state;
	struct ferry_deploy_result res;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_release r;
	struct ferry_error err;

	bundle(fx, "hello", "v1");
	deploy(fx);
	bundle(fx, "hello", "v2");
	deploy(fx);
	ferry_error_init(&err);
	assert_int_equal(fx->p.ops->del(&fx->p, "demo/dev/releases/2.json",
					&err), 0);
	assert_int_equal(ferry_release_invoke(&out, &fx->p, &fx->cfg,
					      &fx->fns[0], NULL, &err),
			 FERRY_ENOTFOUND);
	assert_string_equal(err.msg, "stage 'dev' of service 'demo' is live at "
			    "release 2, but its record is missing; roll back "
			    "to an existing release with 'ferry rollback N', "
			    "or deploy with --force");
	assert_int_equal(deploy_opts(fx, &res, 0, 0, &err), FERRY_ENOTFOUND);
	ferry_error_init(&err);
	assert_int_equal(ferry_release_rollback(&r, &fx->p, &fx->cfg, 0, &err),
			 FERRY_ENOTFOUND);
	/* rollback N repairs it */
	ferry_error_init(&err);
	assert_int_equal(ferry_release_rollback(&r, &fx->p, &fx->cfg, 1, &err), 0);
	assert_int_equal(r.number, 2);	/* the free number */
	ferry_release_release(&r);
	assert_answer(fx, "hello", "v1");
	/* and so does deploy --force */
	assert_int_equal(fx->p.ops->del(&fx->p, "demo/dev/releases/2.json",
					&err), 0);
	assert_int_equal(deploy_opts(fx, &res, 1, 0, &err), 0);
	assert_int_equal(res.release, 2);
	assert_int_equal(res.fns[0].change, FERRY_CHANGE_NEW);
	ferry_deploy_result_release(&res);
	assert_answer(fx, "hello", "v2");
	ferry_buf_release(&out);
}

static void test_invoke_not_deployed(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_error err;

	bundle(fx, "hello", "v1");
	deploy(fx);
	ferry_error_init(&err);
	assert_int_equal(ferry_release_invoke(&out, &fx->p, &fx->cfg,
					      &fx->fns[1], NULL, &err),
			 FERRY_ENOTFOUND);
	assert_non_null(strstr(err.msg, "function 'nightly' is not deployed"));
	ferry_buf_release(&out);
}

static void test_record_json(void **state)
{
	static const char text[] =
		"{\"number\": 7, \"time\": \"2026-11-27T13:37:00Z\", "
		"\"user\": \"alice@box\", \"git\": {\"commit\": "
		"\"0123456789abcdef0123456789abcdef01234567\", \"dirty\": true}, "
		"\"provider\": \"local\", \"kind\": \"rollback\", \"target\": 5, "
		"\"functions\": [{\"name\": \"zeta\", \"sha256\": "
		"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", "
		"\"config_hash\": "
		"\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\", "
		"\"version\": \"v-z\", \"size\": 12}, {\"name\": \"alpha\", "
		"\"sha256\": "
		"\"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\", "
		"\"config_hash\": "
		"\"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\", "
		"\"version\": \"v-a\", \"size\": 3}]}";
	static const char bad[] =
		"{\"number\": 1, \"time\": \"t\", \"user\": \"u\", "
		"\"provider\": \"p\", \"kind\": \"deploy\", \"functions\": "
		"[{\"name\": \"x\", \"sha256\": \"zz\"}]}";
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_release r, back;
	struct ferry_error err;

	(void)state;
	ferry_error_init(&err);
	assert_int_equal(ferry_release_parse(&r, text, strlen(text), &err), 0);
	assert_int_equal(r.number, 7);
	assert_int_equal(r.target, 5);
	assert_int_equal(r.git_dirty, 1);
	assert_string_equal(r.git_commit,
			    "0123456789abcdef0123456789abcdef01234567");
	assert_string_equal(r.fns[0].name, "alpha");	/* sorted */
	assert_int_equal(r.fns[1].size, 12);
	assert_int_equal(ferry_release_to_json(&r, &out, &err), 0);
	assert_int_equal(ferry_release_parse(&back, out.buf, out.len, &err), 0);
	assert_string_equal(back.fns[1].version, "v-z");
	assert_string_equal(back.kind, "rollback");
	assert_int_equal(back.target, 5);
	ferry_release_release(&r);
	ferry_release_release(&back);
	ferry_buf_release(&out);

	assert_int_equal(ferry_release_parse(&r, "[1]", 3, &err), FERRY_EFAIL);
	ferry_error_init(&err);
	assert_int_equal(ferry_release_parse(&r, "{\"number\": 1}", 13, &err),
			 FERRY_EFAIL);
	assert_string_equal(err.msg, "release record 1 has no 'time'");
	ferry_error_init(&err);
	assert_int_equal(ferry_release_parse(&r, bad, strlen(bad), &err),
			 FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "incomplete"));
}

/*
 * A provider that allows concurrency (FERRY_CAP_CONCURRENT): the local
 * provider wrapped so that publish and activate of two functions must meet
 * (each waits up to 5 s for the other), which only happens when the engine
 * runs them at the same time. The real calls then run one at a time.
 */
static struct ferry_provider_ops meeting_ops;
static pthread_mutex_t meet_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t meet_cond = PTHREAD_COND_INITIALIZER;
static int meet_arrived, meet_missed;
static int meet_budget = -1;	/* meetings left; -1: no limit */
static const char *fail_activate;	/* function whose activate fails */

static void meet(void)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&meet_lock);
	if (!meet_budget) {
		pthread_mutex_unlock(&meet_lock);
		return;
	}
	if (meet_budget > 0)
		meet_budget--;
	++meet_arrived;
	pthread_cond_broadcast(&meet_cond);
	while (meet_arrived % 2 && rc == 0)
		rc = pthread_cond_timedwait(&meet_cond, &meet_lock, &until);
	if (rc) {
		meet_missed++;
		meet_arrived++; /* give up this round */
	}
	pthread_mutex_unlock(&meet_lock);
}

static int meeting_publish(struct ferry_provider *p,
			   const struct ferry_function *fn,
			   const struct ferry_artifact *a,
			   struct ferry_version *out, struct ferry_error *err)
{
	int rc;

	meet();
	pthread_mutex_lock(&meet_lock);
	rc = ferry_provider_find("local")->publish(p, fn, a, out, err);
	pthread_mutex_unlock(&meet_lock);
	return rc;
}

static int meeting_activate(struct ferry_provider *p,
			    const struct ferry_function *fn,
			    const struct ferry_version *v,
			    struct ferry_error *err)
{
	int rc;

	meet();
	if (fail_activate && !strcmp(fn->name, fail_activate))
		return ferry_error_set(err, FERRY_EFAIL, "%s: refused",
				       fn->name);
	pthread_mutex_lock(&meet_lock);
	rc = ferry_provider_find("local")->activate(p, fn, v, err);
	pthread_mutex_unlock(&meet_lock);
	return rc;
}

static void test_concurrent_provider(void **state)
{
	struct fixture *fx = *state;
	const struct ferry_provider_ops *real = fx->p.ops;
	struct ferry_deploy_result res;
	struct ferry_release r;
	struct ferry_error err;
	char *out;

	meeting_ops = *real;
	meeting_ops.caps |= FERRY_CAP_CONCURRENT;
	meeting_ops.publish = meeting_publish;
	meeting_ops.activate = meeting_activate;
	fx->p.ops = &meeting_ops;
	meet_arrived = meet_missed = 0;
	fail_activate = NULL;

	/* two publishes and two activations, each pair at the same time */
	bundle(fx, "hello", "v1");
	bundle(fx, "nightly", "n1");
	assert_int_equal(deploy(fx), 1);
	assert_int_equal(meet_arrived, 4);
	assert_int_equal(meet_missed, 0);
	/* a rollback activates both at once too */
	bundle(fx, "hello", "v2");
	bundle(fx, "nightly", "n2");
	assert_int_equal(deploy(fx), 2);
	meet_arrived = 0;
	ferry_error_init(&err);
	assert_int_equal(ferry_release_rollback(&r, &fx->p, &fx->cfg, 0, &err),
			 0);
	ferry_release_release(&r);
	assert_int_equal(meet_arrived, 2);
	assert_int_equal(meet_missed, 0);
	out = invoke(fx, "hello");
	assert_non_null(strstr(out, "v1"));
	free(out);

	/* one activation fails: its error is reported, the other function
	 * is put back, and release 3 stays live */
	bundle(fx, "hello", "v3");
	bundle(fx, "nightly", "n3");
	fail_activate = "nightly";
	meet_budget = 4; /* 2 publishes, 2 activations; not the restore */
	assert_int_equal(deploy_opts(fx, &res, 0, 0, &err), FERRY_EFAIL);
	assert_int_equal(meet_missed, 0);
	meet_budget = -1;
	ferry_deploy_result_release(&res);
	assert_string_equal(err.msg, "nightly: refused");
	fail_activate = NULL;
	assert_int_equal(live(fx, &r), 3);
	ferry_release_release(&r);
	out = invoke(fx, "hello");
	assert_non_null(strstr(out, "v1"));
	free(out);
	fx->p.ops = real;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_first_deploy),
		T(test_skip_unchanged),
		T(test_update_and_carry_over),
		T(test_config_change_and_force),
		T(test_dry_run),
		T(test_dropped_function),
		T(test_rollback),
		T(test_rollback_nothing_deployed),
		T(test_list),
		T(test_number_taken),
		T(test_lock_held),
		T(test_lock_unreadable),
		T(test_lock_stale),
		T(test_lock_released_on_failure),
		T(test_prune),
		T(test_prune_keeps_live),
		T(test_remove),
		T(test_live_record_missing),
		T(test_invoke_not_deployed),
		T(test_concurrent_provider),
		cmocka_unit_test(test_record_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
