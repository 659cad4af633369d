/*
 * test_manifest.c - the manifest loader, data-driven from
 * tests/data/manifests/cases: every NAME.yaml is loaded with the project
 * directory tests/data/manifests/project; NAME.err holds the exact error
 * message expected (exit code 3 class), NAME.json the exact resolved
 * configuration (ferry_config_to_json). Leading comment lines may set up
 * the case:
 *     # stage: NAME        like -s NAME
 *     # provider: NAME     like -p NAME
 *     # env: VAR=VALUE     set an environment variable
 *     # unset: VAR         make sure it is not set
 * With FERRY_TEST_REGEN=1 the expected files are (re)written instead.
 * Further tests cover round trips, limits and the accessors.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "ferry/buf.h"
#include "ferry/error.h"
#include "ferry/fs.h"
#include "ferry/manifest.h"

#if defined(__SANITIZE_ADDRESS__)
#define SLOWDOWN 8.0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLOWDOWN 8.0
#endif
#endif
#ifndef SLOWDOWN
#define SLOWDOWN 1.0
#endif

static char *data_path(const char *rel)
{
	const char *d = getenv("FERRY_TEST_DATA");

	assert_non_null(d);
	return ferry_path_join(d, rel);
}

static char *read_text(const char *path)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	struct ferry_error err;

	ferry_error_init(&err);
	if (ferry_fs_read(&b, path, 0, &err))
		return NULL;
	while (b.len && b.buf[b.len - 1] == '\n')
		ferry_buf_truncate(&b, b.len - 1);
	return ferry_buf_detach(&b);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "%s\n", text);
	assert_int_equal(fclose(f), 0);
}

/* CPU time of this process: bounds stay meaningful on a busy machine. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Load `data` the way a case is loaded (project dir, opts from comments). */
static int load_case(struct ferry_config **cfg, const char *data, size_t len,
		     struct ferry_error *err)
{
	static char stage[256], provider[256];
	struct ferry_load_opts o;
	const char *line = data;
	char *project = data_path("manifests/project");
	int rc;

	memset(&o, 0, sizeof(o));
	o.dir = project;
	unsetenv("FERRY_STAGE");
	unsetenv("FERRY_PROVIDER");
	while (!strncmp(line, "# ", 2)) {
		char buf[256];
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		snprintf(buf, sizeof(buf), "%.*s", (int)n, line);
		if (!strncmp(buf, "# stage: ", 9)) {
			snprintf(stage, sizeof(stage), "%s", buf + 9);
			o.stage = stage;
		} else if (!strncmp(buf, "# provider: ", 12)) {
			snprintf(provider, sizeof(provider), "%s", buf + 12);
			o.provider = provider;
		} else if (!strncmp(buf, "# env: ", 7)) {
			char *eq = strchr(buf + 7, '=');

			assert_non_null(eq);
			*eq = '\0';
			setenv(buf + 7, eq + 1, 1);
		} else if (!strncmp(buf, "# unset: ", 9)) {
			unsetenv(buf + 9);
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	ferry_error_init(err);
	rc = ferry_manifest_load_mem(cfg, data, len, "ferry.yaml", &o, err);
	unsetenv("FERRY_STAGE");
	unsetenv("FERRY_PROVIDER");
	free(project);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every case of tests/data/manifests/cases. */
static void test_cases(void **state)
{
	char *dir = data_path("manifests/cases");
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	int regen = getenv("FERRY_TEST_REGEN") != NULL;
	size_t i, nerr = 0, nok = 0;
	struct dirent *de;
	DIR *d;

	(void)state;
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 5 && !strcmp(de->d_name + n - 5, ".yaml"))
			ferry_strvec_pushf(&names, "%.*s", (int)(n - 5),
					   de->d_name);
	}
	closedir(d);
	qsort(names.items, names.nr, sizeof(char *), cmp_names);
	assert_true(names.nr >= 90);

	for (i = 0; i < names.nr; i++) {
		struct ferry_config *cfg = (struct ferry_config *)0x1;
		struct ferry_buf data = FERRY_BUF_INIT, out = FERRY_BUF_INIT;
		struct ferry_error err;
		char *yaml = ferry_xstrfmt("%s/%s.yaml", dir, names.items[i]);
		char *errf = ferry_xstrfmt("%s/%s.err", dir, names.items[i]);
		char *jsonf = ferry_xstrfmt("%s/%s.json", dir, names.items[i]);
		char *want;
		int rc, is_err = !strncmp(names.items[i], "err-", 4);

		ferry_error_init(&err);
		assert_int_equal(ferry_fs_read(&data, yaml, 0, &err), 0);
		rc = load_case(&cfg, data.buf, data.len, &err);
		if (regen) {
			if (rc) {
				write_text(errf, err.msg);
			} else {
				ferry_config_to_json(cfg, &out, &err);
				write_text(jsonf, out.buf);
				ferry_config_free(cfg);
			}
			goto next;
		}
		if (is_err) {
			want = read_text(errf);
			if (!want || rc != FERRY_ECONFIG ||
			    strcmp(want, err.msg))
				fail_msg("%s: expected error\n  %s\ngot (%d)\n"
					 "  %s", names.items[i],
					 want ? want : "(no .err file)", rc,
					 err.msg);
			/* nothing is half-loaded */
			assert_ptr_equal(cfg, (struct ferry_config *)0x1);
			nerr++;
		} else {
			if (rc)
				fail_msg("%s: unexpected error: %s",
					 names.items[i], err.msg);
			want = read_text(jsonf);
			ferry_buf_reset(&out);
			assert_int_equal(ferry_config_to_json(cfg, &out, &err),
					 0);
			if (!want || strcmp(want, out.buf))
				fail_msg("%s: expected\n  %s\ngot\n  %s",
					 names.items[i],
					 want ? want : "(no .json file)",
					 out.buf);
			ferry_config_free(cfg);
			nok++;
		}
		free(want);
next:
		free(yaml);
		free(errf);
		free(jsonf);
		ferry_buf_release(&data);
		ferry_buf_release(&out);
	}
	if (regen)
		fail_msg("expected files regenerated; review them");
	assert_true(nerr >= 80);
	assert_true(nok >= 10);
	ferry_strvec_release(&names);
	free(dir);
}

static struct ferry_config *load_named(const char *name)
{
	char *path = ferry_xstrfmt("%s/manifests/cases/%s.yaml",
				   getenv("FERRY_TEST_DATA"), name);
	struct ferry_buf data = FERRY_BUF_INIT;
	struct ferry_config *cfg = NULL;
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(ferry_fs_read(&data, path, 0, &err), 0);
	if (load_case(&cfg, data.buf, data.len, &err))
		fail_msg("%s: %s", name, err.msg);
	ferry_buf_release(&data);
	free(path);
	return cfg;
}

/* validate --print: the YAML reads back (through ferry) as the same data. */
static void test_yaml_round_trip(void **state)
{
	static const char *const cases[] = {
		"ok-full", "ok-stage-prod", "ok-anchors", "ok-typed-vars",
		"ok-files", "ok-quoting", "ok-provider-flag",
		"ok-package-external", NULL
	};
	size_t i;

	(void)state;
	for (i = 0; cases[i]; i++) {
		struct ferry_config *a = load_named(cases[i]), *b = NULL;
		struct ferry_buf y = FERRY_BUF_INIT;
		struct ferry_error err;
		char *project = data_path("manifests/project");
		struct ferry_load_opts o = { project, NULL, NULL, NULL };

		ferry_error_init(&err);
		assert_int_equal(ferry_config_to_yaml(a, &y, &err), 0);
		if (ferry_manifest_load_mem(&b, y.buf, y.len, "print.yaml", &o,
					    &err))
			fail_msg("%s: printed YAML does not load: %s\n%s",
				 cases[i], err.msg, y.buf);
		if (!json_equal(a->doc, b->doc))
			fail_msg("%s: printed YAML reads back differently:\n%s",
				 cases[i], y.buf);
		ferry_config_free(a);
		ferry_config_free(b);
		ferry_buf_release(&y);
		free(project);
	}
}

/* package.mode trace and package.external (service list, then the
 * function's). */
static void test_package_external(void **state)
{
	struct ferry_config *cfg = load_named("ok-package-external");
	const struct ferry_function *hello, *nightly;

	(void)state;
	assert_int_equal(cfg->package.mode, FERRY_PACK_TRACE);
	assert_string_equal(ferry_pack_mode_name(cfg->package.mode), "trace");
	hello = ferry_config_function(cfg, "hello");
	nightly = ferry_config_function(cfg, "nightly");
	assert_non_null(hello);
	assert_non_null(nightly);
	assert_int_equal(hello->package.mode, FERRY_PACK_TRACE);
	assert_int_equal(hello->package.external.nr, 3);
	assert_string_equal(hello->package.external.items[0], "@aws-sdk/*");
	assert_string_equal(hello->package.external.items[1], "@smithy/*");
	assert_string_equal(hello->package.external.items[2], "aws-crt");
	assert_int_equal(hello->package.exclude.nr, 1);
	assert_int_equal(nightly->package.mode, FERRY_PACK_DEPS);
	assert_int_equal(nightly->package.external.nr, 1);
	assert_string_equal(nightly->package.external.items[0], "@aws-sdk/*");
	ferry_config_free(cfg);
}

static void test_accessors(void **state)
{
	struct ferry_config *cfg = load_named("ok-full");
	const struct ferry_function *users, *boot, *nightly;

	(void)state;
	assert_string_equal(cfg->service, "shop");
	assert_string_equal(cfg->stage, "dev");
	assert_string_equal(cfg->provider, "local");
	assert_int_equal(cfg->functions_nr, 3);
	/* sorted by name */
	assert_string_equal(cfg->functions[0].name, "boot");
	assert_string_equal(cfg->functions[1].name, "nightly");
	assert_string_equal(cfg->functions[2].name, "users");
	assert_null(ferry_config_function(cfg, "nope"));

	users = ferry_config_function(cfg, "users");
	assert_non_null(users);
	assert_string_equal(users->full_name, "shop-dev-users");
	assert_string_equal(users->handler_file, "src/users.mjs");
	assert_string_equal(users->handler_export, "handler");
	assert_int_equal(users->runtime_kind, FERRY_RT_NODE);
	assert_int_equal(users->memory, 512);
	assert_int_equal(users->timeout, 10);
	assert_int_equal(users->events_nr, 3);
	assert_int_equal(users->events[1].type, FERRY_EVENT_HTTP);
	assert_string_equal(users->events[1].method, "GET");
	assert_string_equal(users->events[1].path, "/users/{id}");
	assert_true(users->events[0].pos.line > 0);
	/* package: service lists then the function's, mode overridden */
	assert_int_equal(users->package.include.nr, 2);
	assert_string_equal(users->package.include.items[0], "assets/**");
	assert_string_equal(users->package.include.items[1], "templates/**");
	assert_int_equal(users->package.mode, FERRY_PACK_NONE);
	assert_int_equal(users->package.budget, 10u << 20);
	/* env: service merged with function, sorted */
	assert_string_equal(users->env.items[0].key, "DEBUG");
	assert_string_equal(users->env.items[0].value, "false");
	assert_string_equal(cfg->env.items[3].key, "VERSION");
	assert_string_equal(cfg->env.items[3].value, "1.10");

	boot = ferry_config_function(cfg, "boot");
	assert_string_equal(boot->handler_file, "bin/bootstrap");
	assert_string_equal(boot->handler_export, "handler");
	assert_int_equal(boot->runtime_kind, FERRY_RT_PROVIDED);
	assert_int_equal(boot->package.mode, FERRY_PACK_DEFAULT);

	nightly = ferry_config_function(cfg, "nightly");
	assert_string_equal(nightly->handler_file, "jobs/nightly.py");
	assert_string_equal(nightly->handler_export, "run");
	assert_string_equal(nightly->events[1].schedule, "cron(0 3 * * ? *)");
	assert_string_equal(cfg->python_packages, "vendor");

	/* provider settings are text */
	assert_string_equal(ferry_config_setting(cfg, "aws", "region"),
			    "eu-west-1");
	assert_string_equal(ferry_config_setting(cfg, "aws", "retries"), "3");
	assert_string_equal(ferry_config_setting(cfg, "aws", "enabled"),
			    "yes");
	assert_string_equal(ferry_config_setting(cfg, "local", "root"),
			    ".ferry/local");
	assert_null(ferry_config_setting(cfg, "aws", "bucket"));
	assert_null(ferry_config_setting(cfg, "gcp", "project"));

	assert_string_equal(ferry_pack_mode_name(FERRY_PACK_DEPS), "deps");
	assert_string_equal(ferry_pack_mode_name(FERRY_PACK_DEFAULT),
			    "default");
	ferry_config_free(cfg);
	ferry_config_free(NULL);
}

static void test_config_hash(void **state)
{
	struct ferry_config *cfg = load_named("ok-minimal");
	struct ferry_function *fn = &cfg->functions[0];
	char h1[65], h2[65], h3[65];
	struct ferry_error err;
	char *json;

	(void)state;
	ferry_error_init(&err);
	json = ferry_function_config_json(fn);
	assert_string_equal(json, "{\"description\":null,\"env\":{},"
			    "\"events\":[],\"handler\":\"src/hello.handler\","
			    "\"memory\":256,\"runtime\":\"nodejs20\","
			    "\"timeout\":10}");
	free(json);
	assert_int_equal(ferry_function_config_hash(h1, fn, &err), 0);
	assert_int_equal(ferry_function_config_hash(h2, fn, &err), 0);
	assert_string_equal(h1, h2);
	assert_int_equal(strlen(h1), 64);
	fn->memory = 512;
	assert_int_equal(ferry_function_config_hash(h3, fn, &err), 0);
	assert_string_not_equal(h1, h3);
	ferry_config_free(cfg);
}

static void test_load_file(void **state)
{
	struct ferry_config *cfg = (struct ferry_config *)0x1;
	char *project = data_path("manifests/project");
	struct ferry_load_opts o = { project, NULL, NULL, NULL };
	struct ferry_error err;
	char *want;

	(void)state;
	ferry_error_init(&err);
	assert_int_equal(ferry_manifest_load(&cfg, &o, &err), FERRY_ENOTFOUND);
	want = ferry_xstrfmt("no ferry.yaml in '%s'; create one with 'ferry "
			     "init' or pass -f FILE", project);
	assert_string_equal(err.msg, want);
	assert_ptr_equal(cfg, (struct ferry_config *)0x1);
	free(want);

	/* -f FILE, named as given in messages */
	ferry_error_init(&err);
	o.file = "../cases/ok-minimal.yaml";
	assert_int_equal(ferry_manifest_load(&cfg, &o, &err), 0);
	assert_string_equal(cfg->file, "../cases/ok-minimal.yaml");
	assert_string_equal(cfg->dir, project);
	ferry_config_free(cfg);

	ferry_error_init(&err);
	o.file = "../cases/err-memory-range.yaml";
	assert_int_equal(ferry_manifest_load(&cfg, &o, &err), FERRY_ECONFIG);
	assert_string_equal(err.msg, "../cases/err-memory-range.yaml:6:13: "
			    "memory 64 is out of range; allowed: 128..10240 "
			    "(MB)");

	ferry_error_init(&err);
	o.file = "src";
	assert_int_equal(ferry_manifest_load(&cfg, &o, &err), FERRY_ECONFIG);
	assert_string_equal(err.msg, "src:1:1: is a directory; the manifest "
			    "must be a YAML file");
	free(project);
}

/* A 10 MB manifest (big custom: block) loads fast; bigger is refused. */
static void test_big_manifest(void **state)
{
	struct ferry_buf m = FERRY_BUF_INIT;
	struct ferry_config *cfg = NULL;
	struct ferry_error err;
	char *project = data_path("manifests/project");
	struct ferry_load_opts o = { project, NULL, NULL, NULL };
	double t0;
	size_t i;

	(void)state;
	ferry_buf_addstr(&m, "service: big\nruntime: nodejs20\nfunctions:\n"
			 "  hello:\n    handler: src/hello.handler\n"
			 "custom:\n");
	for (i = 0; m.len < (10u << 20); i++)
		if (i % 100 == 7)
			ferry_buf_addf(&m, "  key%zu: { ref: \"${self:service}-"
				       "%zu\" }\n", i, i);
		else
			ferry_buf_addf(&m, "  key%zu: \"lorem ipsum dolor sit "
				       "amet, consectetur adipiscing elit, sed "
				       "do eiusmod %zu\"\n", i, i);
	ferry_error_init(&err);
	t0 = now();
	if (ferry_manifest_load_mem(&cfg, m.buf, m.len, "ferry.yaml", &o,
				    &err))
		fail_msg("%s", err.msg);
	/* a sanity bound, not a benchmark (sanitizers slow everything) */
	assert_true(now() - t0 < 5.0 * SLOWDOWN);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_object_get(cfg->doc, "custom"), "key7"), "ref")),
		"big-7");
	ferry_config_free(cfg);

	/* over FERRY_MANIFEST_MAX_BYTES */
	while (m.len <= FERRY_MANIFEST_MAX_BYTES)
		ferry_buf_addstr(&m, "# padding padding padding padding\n");
	ferry_error_init(&err);
	cfg = (struct ferry_config *)0x1;
	assert_int_equal(ferry_manifest_load_mem(&cfg, m.buf, m.len,
						 "ferry.yaml", &o, &err),
			 FERRY_ECONFIG);
	assert_non_null(strstr(err.msg, "ferry.yaml:1:1: file is too large"));
	assert_ptr_equal(cfg, (struct ferry_config *)0x1);
	ferry_buf_release(&m);
	free(project);
}

/* Alias bombs are refused quickly, without expanding them. */
static void test_alias_bomb_fast(void **state)
{
	struct ferry_buf m = FERRY_BUF_INIT;
	struct ferry_config *cfg = NULL;
	struct ferry_error err;
	double t0;
	int i, j;

	(void)state;
	ferry_buf_addstr(&m, "service: x\nruntime: nodejs20\ncustom:\n"
			 "  l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n");
	for (i = 1; i < 30; i++) {
		ferry_buf_addf(&m, "  l%d: &l%d [", i, i);
		for (j = 0; j < 10; j++)
			ferry_buf_addf(&m, "%s*l%d", j ? ", " : "", i - 1);
		ferry_buf_addstr(&m, "]\n");
	}
	ferry_error_init(&err);
	t0 = now();
	assert_int_equal(ferry_manifest_load_mem(&cfg, m.buf, m.len,
						 "ferry.yaml", NULL, &err),
			 FERRY_ECONFIG);
	assert_true(now() - t0 < 2.0 * SLOWDOWN);
	assert_non_null(strstr(err.msg, "aliases expand to more than 2000000 "
			       "nodes"));
	ferry_buf_release(&m);
}

/* Anchors used within the budget are shared, not copied, and resolved. */
static void test_aliases_within_budget(void **state)
{
	struct ferry_buf m = FERRY_BUF_INIT;
	struct ferry_config *cfg = NULL;
	struct ferry_error err;
	char *project = data_path("manifests/project");
	struct ferry_load_opts o = { project, NULL, NULL, NULL };
	json_t *custom;
	int i, j;

	(void)state;
	ferry_buf_addstr(&m, "service: x\nruntime: nodejs20\nfunctions:\n"
			 "  hello: { handler: src/hello.handler }\ncustom:\n"
			 "  l0: &l0 [\"${stage}\", b, c, d, e, f, g, h, i, j]\n");
	for (i = 1; i < 5; i++) {
		ferry_buf_addf(&m, "  l%d: &l%d [", i, i);
		for (j = 0; j < 10; j++)
			ferry_buf_addf(&m, "%s*l%d", j ? ", " : "", i - 1);
		ferry_buf_addstr(&m, "]\n");
	}
	ferry_error_init(&err);
	if (ferry_manifest_load_mem(&cfg, m.buf, m.len, "ferry.yaml", &o,
				    &err))
		fail_msg("%s", err.msg);
	custom = json_object_get(cfg->doc, "custom");
	assert_string_equal(json_string_value(json_array_get(json_array_get(
		json_array_get(json_object_get(custom, "l2"), 9), 9), 0)),
		"dev");
	ferry_config_free(cfg);
	ferry_buf_release(&m);
	free(project);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_yaml_round_trip),
		cmocka_unit_test(test_package_external),
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_config_hash),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_big_manifest),
		cmocka_unit_test(test_alias_bomb_fast),
		cmocka_unit_test(test_aliases_within_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
