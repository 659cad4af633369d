/*
 * test_bundle.c - which files go into a bundle (trace, deps and none modes,
 * Node package graph, Python packages, include/exclude), --explain, and
 * building it (zip contents, sha256, reproducibility, package budget).
 * Fixture projects live in tests/data/bundle/; projects a test changes are
 * written to a temp dir.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ferry/bundle.h"
#include "ferry/fs.h"
#include "ferry/hash.h"
#include "ferry/log.h"
#include "ferry/zip.h"

static char tmpdir[256];

struct fixture {
	struct ferry_config cfg;
	struct ferry_function fn;
};

static int setup(void **state)
{
	(void)state;
	unsetenv("VIRTUAL_ENV");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ferry-test-bundle.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return ferry_fs_remove_tree(tmpdir, NULL);
}

static char *data_dir(const char *name)
{
	const char *data = getenv("FERRY_TEST_DATA");
	char *p;

	assert_non_null(data);
	p = ferry_xstrfmt("%s/bundle/%s", data, name);
	assert_non_null(p);
	return p;
}

static char *tpath(const char *name)
{
	char *p = ferry_path_join(tmpdir, name);

	assert_non_null(p);
	return p;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	assert_int_equal(ferry_fs_mkdirs_parent(path, NULL), 0);
	assert_int_equal(ferry_fs_write_atomic(path, text, strlen(text), mode,
					       0, NULL), 0);
}

/* Write `text` to `rel` below the temp project `proj`. */
static void put(const char *proj, const char *rel, const char *text)
{
	char *p = ferry_path_join(proj, rel);

	assert_non_null(p);
	write_file(p, text, 0644);
	free(p);
}

/* A configuration as the manifest module would hand it over. */
static void fx_init(struct fixture *f, char *dir, const char *runtime,
		    const char *handler_file)
{
	memset(f, 0, sizeof(*f));
	f->cfg.dir = dir;	/* takes ownership */
	f->cfg.file = ferry_strdup("ferry.yaml");
	f->cfg.service = ferry_strdup("shop");
	f->fn.name = ferry_strdup("users");
	f->fn.runtime = ferry_strdup(runtime);
	f->fn.runtime_kind = !strncmp(runtime, "nodejs", 6) ? FERRY_RT_NODE :
		!strncmp(runtime, "python", 6) ? FERRY_RT_PYTHON :
		FERRY_RT_PROVIDED;
	f->fn.handler_file = ferry_strdup(handler_file);
	/* most tests here are about deps mode; the default is tested apart */
	f->fn.package.mode = FERRY_PACK_DEPS;
	f->cfg.functions = &f->fn;
	f->cfg.functions_nr = 1;
}

static void fx_release(struct fixture *f)
{
	free(f->cfg.dir);
	free(f->cfg.file);
	free(f->cfg.service);
	free(f->cfg.python_packages);
	free(f->fn.name);
	free(f->fn.runtime);
	free(f->fn.handler_file);
	ferry_strvec_release(&f->fn.package.include);
	ferry_strvec_release(&f->fn.package.exclude);
	ferry_strvec_release(&f->fn.package.external);
}

static void push(struct ferry_strvec *v, const char *s)
{
	assert_int_equal(ferry_strvec_push(v, s), 0);
}

static void expect_names(const struct ferry_bundle_files *got,
			 const char *const *want)
{
	size_t i;

	for (i = 0; want[i]; i++) {
		if (i >= got->nr)
			fail_msg("missing '%s' (only %zu files)", want[i], got->nr);
		if (strcmp(got->items[i].name, want[i]))
			fail_msg("file %zu is '%s', expected '%s'", i,
				 got->items[i].name, want[i]);
	}
	if (got->nr != i)
		fail_msg("unexpected extra file '%s'", got->items[i].name);
}

static const char *source_of(const struct ferry_bundle_files *f,
			     const char *name)
{
	size_t i;

	for (i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].name, name))
			return f->items[i].source;
	return NULL;
}

static int select_ok(struct ferry_bundle_files *out, struct fixture *f)
{
	struct ferry_error err;
	int rc;

	ferry_error_init(&err);
	rc = ferry_bundle_select(out, &f->cfg, &f->fn, &err);
	if (rc)
		fail_msg("select failed: %s", err.msg);
	return rc;
}

static const char *const node_deps[] = {
	"README.md",
	"assets/logo.txt",
	"assets/raw/big.txt",
	"bin/tool.sh",
	"node_modules/@scope/x/index.js",
	"node_modules/@scope/x/lib/util.js",
	"node_modules/@scope/x/package.json",
	"node_modules/cookie/index.js",
	"node_modules/cookie/package.json",
	"node_modules/debug-lite/index.js",
	"node_modules/debug-lite/package.json",
	"node_modules/express-lite/README.md",
	"node_modules/express-lite/index.js",
	"node_modules/express-lite/lib/router.js",
	"node_modules/express-lite/node_modules/cookie/index.js",
	"node_modules/express-lite/node_modules/cookie/package.json",
	"node_modules/express-lite/package.json",
	"node_modules/ms-lite/index.js",
	"node_modules/ms-lite/package.json",
	"node_modules/peer-here/index.js",
	"node_modules/peer-here/package.json",
	"node_modules/ws-util/index.js",
	"node_modules/ws-util/package.json",
	"package.json",
	"packages/ws-util/index.js",
	"packages/ws-util/package.json",
	"src/lib/db.js",
	"src/users.js",
	"src/users.test.js",
	NULL,
};

/*
 * Production packages only: nested, scoped, hoisted and symlinked ones, an
 * installed peer; never the devDependency, what only it reaches, .bin,
 * unused packages or the manifest.
 */
static void test_node_deps_graph(void **state)
{
	struct ferry_bundle_files files = { NULL, 0, 0 };
	struct fixture f;
	char *ws;
	const char *src;

	(void)state;
	fx_init(&f, data_dir("node"), "nodejs22", "src/users.js");
	f.fn.package.mode = FERRY_PACK_DEPS;
	select_ok(&files, &f);
	expect_names(&files, node_deps);
	/* the workspace package is stored under its node_modules name but
	 * read from its real directory */
	src = source_of(&files, "node_modules/ws-util/index.js");
	assert_non_null(src);
	ws = data_dir("node/packages/ws-util/index.js");
	{
		char a[4096], b[4096];

		assert_non_null(realpath(src, a));
		assert_non_null(realpath(ws, b));
		assert_string_equal(a, b);
	}
	free(ws);
	ferry_bundle_files_release(&files);
	fx_release(&f);
}

static const char *const node_trace[] = {
	"node_modules/@scope/x/index.js",
	"node_modules/@scope/x/package.json",
	"node_modules/express-lite/index.js",
	"node_modules/express-lite/lib/router.js",
	"node_modules/express-lite/node_modules/cookie/index.js",
	"node_modules/express-lite/node_modules/cookie/package.json",
	"node_modules/express-lite/package.json",
	"node_modules/ms-lite/index.js",
	"node_modules/ms-lite/package.json",
	"node_modules/ws-util/index.js",
	"node_modules/ws-util/package.json",
	"package.json",
	"src/users.js",
	NULL,
};

/*
 * Trace mode: only what the handler loads (not debug-lite, which
 * express-lite declares but never requires, nor the top-level cookie,
 * src/lib/db.js, README.md or assets); then exclude and external remove,
 * include adds a project file.
 */
static void test_trace_mode(void **state)
{
	static const char *const trimmed[] = {
		"node_modules/express-lite/index.js",
		"node_modules/express-lite/lib/router.js",
		"node_modules/express-lite/node_modules/cookie/index.js",
		"node_modules/express-lite/node_modules/cookie/package.json",
		"node_modules/express-lite/package.json",
		"node_modules/ms-lite/index.js",
		"node_modules/ms-lite/package.json",
		"node_modules/ws-util/index.js",
		"node_modules/ws-util/package.json",
		"src/lib/db.js",
		"src/users.js",
		NULL,
	};
	struct ferry_bundle_files files = { NULL, 0, 0 };
	struct fixture f;

	(void)state;
	fx_init(&f, data_dir("node"), "nodejs22", "src/users.js");
	f.fn.package.mode = FERRY_PACK_TRACE;
	select_ok(&files, &f);
	expect_names(&files, node_trace);
	ferry_bundle_files_release(&files);

	push(&f.fn.package.external, "@scope/*");
	push(&f.fn.package.exclude, "/package.json");
	push(&f.fn.package.include, "src/lib/**");
	select_ok(&files, &f);
	expect_names(&files, trimmed);
	ferry_bundle_files_release(&files);
	fx_release(&f);
}

/* The unset mode traces a Node handler (docs/bundles.md). */
static void test_default_mode_is_trace(void **state)
{
	struct ferry_bundle_files files = { NULL, 0, 0 };
	struct fixture f;

	(void)state;
	fx_init(&f, data_dir("node"), "nodejs22", "src/users.js");
	f.fn.package.mode = FERRY_PACK_DEFAULT;
	select_ok(&files, &f);
	expect_names(&files, node_trace);
	ferry_bundle_files_release(&files);
	fx_release(&f);
}

/*
 * `trace` for a provided function, and its default: its project files, as
 * `deps` does.
 */
static void test_trace_mode_provided(void **state)
{
	static const char *const want[] = {
		"bin/bootstrap",
		"bin/data.txt",
		NULL,
	};
	struct ferry_bundle_files files = { NULL, 0, 0 };
	struct fixture f;
	char *proj = tpath("provided");

	(void)state;
	put(proj, "bin/bootstrap", "#!/bin/sh\n");
	put(proj, "bin/data.txt", "x\n");
	put(proj, "node_modules/x/index.js", "x\n");
	put(proj, "ferry.yaml", "service: s\n");
	fx_init(&f, proj, "provided", "bin/bootstrap");
	f.fn.package.mode = FERRY_PACK_TRACE;
	select_ok(&files, &f);
	expect_names(&files, want);
	ferry_bundle_files_release(&files);
	f.fn.package.mode = FERRY_PACK_DEFAULT;
	select_ok(&files, &f);
	expect_names(&files, want);
	ferry_bundle_files_release(&files);
	fx_release(&f);
}

/* explain answers from the same selection, in and out. */
static void test_explain(void **state)
{
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_error err;
	struct fixture f;

	(void)state;
	fx_init(&f, data_dir("node"), "nodejs22", "src/users.js");
	f.fn.package.mode = FERRY_PACK_TRACE;
	ferry_error_init(&err);
	assert_int_equal(ferry_bundle_explain(&out, &f.cfg, &f.fn,
					      "node_modules/ms-lite/index.js",
					      &err), 0);
	assert_string_equal(out.buf,
			    "users: node_modules/ms-lite/index.js is in the "
			    "bundle\n"
			    "  src/users.js:3 require('ws-util')\n"
			    "   -> node_modules/ws-util/index.js:1 "
			    "require('ms-lite')\n"
			    "   -> node_modules/ms-lite/index.js\n");
	ferry_buf_reset(&out);
	assert_int_equal(ferry_bundle_explain(&out, &f.cfg, &f.fn,
					      "README.md", &err), 0);
	assert_string_equal(out.buf, "users: README.md is not in the bundle: "
			    "not reached from the handler\n");
	ferry_buf_reset(&out);
	assert_int_equal(ferry_bundle_explain(&out, &f.cfg, &f.fn,
					      "src/nope.js", &err),
			 FERRY_ENOTFOUND);
	assert_int_equal(out.len, 0);
	assert_string_equal(err.msg, "users: src/nope.js is not in the "
			    "bundle (no such file)");
	ferry_error_init(&err);
	f.fn.package.mode = FERRY_PACK_DEPS;
	assert_int_equal(ferry_bundle_explain(&out, &f.cfg, &f.fn,
					      "README.md", &err), 0);
	assert_string_equal(out.buf, "users: README.md is in the bundle\n"
			    "  project file (deps mode)\n");
	ferry_buf_release(&out);
	fx_release(&f);
}

static void test_exclude_include_negation(void **state)
{
	static const char *const want[] = {
		"assets/logo.txt",
		"bin/tool.sh",
		"node_modules/@scope/x/index.js",
		"node_modules/@scope/x/package.json",
		"node_modules/cookie/index.js",
		"node_modules/cookie/package.json",
		"node_modules/debug-lite/index.js",
		"node_modules/debug-lite/package.json",
		"node_modules/express-lite/README.md",
		"node_modules/express-lite/index.js",
		"node_modules/express-lite/lib/router.js",
		"node_modules/express-lite/node_modules/cookie/index.js",
		"node_modules/express-lite/node_modules/cookie/package.json",
		"node_modules/express-lite/package.json",
		"node_modules/jest-lite/package.json",
		"node_modules/ms-lite/index.js",
		"node_modules/ms-lite/package.json",
		"node_modules/peer-here/index.js",
		"node_modules/peer-here/package.json",
		"node_modules/ws-util/index.js",
		"node_modules/ws-util/package.json",
		"package.json",
		"packages/ws-util/index.js",
		"packages/ws-util/package.json",
		"src/lib/db.js",
		"src/users.js",
		NULL,
	};
	struct ferry_bundle_files files = { NULL, 0, 0 };
	struct fixture f;

	(void)state;
	fx_init(&f, data_dir("node"), "nodejs22", "src/users.js");
	f.fn.package.mode = FERRY_PACK_DEPS;
	/* service list, then the function's (as the manifest merges them) */
	push(&f.fn.package.exclude, "**/*.test.js");
	push(&f.fn.package.exclude, "README.md");
	push(&f.fn.package.exclude, "!node_modules/express-lite/README.md");
	push(&f.fn.package.exclude, "assets/raw/");
	push(&f.fn.package.exclude, "node_modules/@scope/x/lib/**");
	/* an include reaches into node_modules even in deps mode */
	push(&f.fn.package.include, "node_modules/jest-lite/*.json");
	push(&f.fn.package.include, "node_modules/dev-only-dep/**");
	push(&f.fn.package.include, "!node_modules/dev-only-dep/**");
	select_ok(&files, &f);
	expect_names(&files, want);
	ferry_bundle_files_release(&files);
	fx_release(&f);
}

static void test_none_mode_takes_the_directory(void **state)
{
	static const char *const want[] = {
		".env.example",
		"app/handler.js",
		"app/node_modules/local/x.js",
		"node_modules/dev/index.js",
		"old.ferry.yaml",
		NULL,
	};
	struct ferry_bundle_files files = { NULL, 0, 0 };
	struct fixture f;
	char *proj = tpath("none");

	(void)state;
	put(proj, "app/handler.js", "exports.handler = 1;\n");
	put(proj, "app/node_modules/local/x.js", "x\n");
	put(proj, "node_modules/dev/index.js", "dev\n");
	put(proj, ".env.example", "A=1\n");
	put(proj, "old.ferry.yaml", "service: old\n");
	put(proj, "ferry.yaml", "service: shop\n");
	put(proj, ".git/HEAD", "ref: refs/heads/main\n");
	put(proj, ".ferry/build/users.zip", "old zip\n");
	put(proj, "sub/.ferry-build-1234/tmp.js", "leftover\n");
	fx_init(&f, proj, "nodejs22", "app/handler.js");
	f.fn.package.mode = FERRY_PACK_NONE;
	select_ok(&files, &f);
	expect_names(&files, want);
	ferry_bundle_files_release(&files);
	fx_release(&f);
}

/* A user include can even name what is never selected otherwise. */
static void test_include_overrides_never_selected(void **state)
{
	static const char *const want[] = {
		".git/HEAD", "app/handler.js", "ferry.yaml", NULL,
	};
	struct ferry_bundle_files files = { NULL, 0, 0 };
	struct fixture f;
	char *proj = tpath("forced");

	(void)state;
	put(proj, "app/handler.js", "exports.handler = 1;\n");
	put(proj, "ferry.yaml", "service: shop\n");
	put(proj, ".git/HEAD", "ref: refs/heads/main\n");
	put(proj, ".git/config", "[core]\n");
	fx_init(&f, proj, "nodejs22", "app/handler.js");
	push(&f.fn.package.include, ".git/HEAD");
	push(&f.fn.package.include, "/ferry.yaml");
	select_ok(&files, &f);
	expect_names(&files, want);
	ferry_bundle_files_release(&files);
	fx_release(&f);
}

static void expect_select_error(struct fixture *f, int code,
				const char *msgpart)
{
	struct ferry_bundle_files files = { NULL, 0, 0 };
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(ferry_bundle_select(&files, &f->cfg, &f->fn, &err), code);
	if (!strstr(err.msg, msgpart))
		fail_msg("message '%s' lacks '%s'", err.msg, msgpart);
	assert_int_equal(files.nr, 0);
}

static void test_missing_dependency_is_an_error(void **state)
{
	struct fixture f;
	char *proj = tpath("missing");

	(void)state;
	put(proj, "index.js", "exports.handler = 1;\n");
	put(proj, "package.json", "{\"name\":\"app\",\"dependencies\":{\"a\":\"1\"},"
	    "\"optionalDependencies\":{\"gone-optional\":\"1\"}}");
	put(proj, "node_modules/a/package.json",
	    "{\"name\":\"a\",\"dependencies\":{\"left-pad\":\"1\"},"
	    "\"peerDependencies\":{\"gone-peer\":\"1\"}}");
	put(proj, "node_modules/a/index.js", "a\n");
	fx_init(&f, proj, "nodejs20", "index.js");
	expect_select_error(&f, FERRY_EFAIL,
			    "package 'left-pad' (a dependency of 'a') is not "
			    "installed in node_modules; run npm install");
	/* once installed, the missing optional and peer packages are fine */
	put(proj, "node_modules/left-pad/index.js", "pad\n");
	{
		static const char *const want[] = {
			"index.js", "node_modules/a/index.js",
			"node_modules/a/package.json",
			"node_modules/left-pad/index.js", "package.json", NULL,
		};
		struct ferry_bundle_files files = { NULL, 0, 0 };

		select_ok(&files, &f);
		expect_names(&files, want);
		ferry_bundle_files_release(&files);
	}
	fx_release(&f);
}

static void link_at(const char *proj, const char *target, const char *rel)
{
	char *p = ferry_path_join(proj, rel);

	assert_non_null(p);
	assert_int_equal(ferry_fs_mkdirs_parent(p, NULL), 0);
	assert_int_equal(symlink(target, p), 0);
	free(p);
}

/*
 * pnpm's layout: node_modules/a links into .pnpm, and a's dependencies are
 * its siblings there. The bundle flattens them to node_modules/<name>, where
 * Node finds them from node_modules/a at run time.
 */
static void test_pnpm_layout(void **state)
{
	static const char *const want[] = {
		"index.js",
		"node_modules/a/index.js",
		"node_modules/a/package.json",
		"node_modules/b/index.js",
		"package.json",
		NULL,
	};
	struct ferry_bundle_files files = { NULL, 0, 0 };
	struct fixture f;
	char *proj = tpath("pnpm");

	(void)state;
	put(proj, "index.js", "exports.handler = 1;\n");
	put(proj, "package.json", "{\"dependencies\":{\"a\":\"1\"}}");
	put(proj, "node_modules/.pnpm/a@1.0.0/node_modules/a/package.json",
	    "{\"name\":\"a\",\"dependencies\":{\"b\":\"1\"}}");
	put(proj, "node_modules/.pnpm/a@1.0.0/node_modules/a/index.js", "a\n");
	put(proj, "node_modules/.pnpm/b@1.0.0/node_modules/b/index.js", "b\n");
	put(proj, "node_modules/.pnpm/c@1.0.0/node_modules/c/index.js", "c\n");
	link_at(proj, "../../b@1.0.0/node_modules/b",
		"node_modules/.pnpm/a@1.0.0/node_modules/b");
	link_at(proj, ".pnpm/a@1.0.0/node_modules/a", "node_modules/a");
	fx_init(&f, proj, "nodejs22", "index.js");
	select_ok(&files, &f);
	expect_names(&files, want);
	ferry_bundle_files_release(&files);
	fx_release(&f);
}

/* A monorepo hoists packages above the function's project directory. */
static void test_hoisted_above_project(void **state)
{
	static const char *const want[] = {
		"index.js", "node_modules/x/index.js", "package.json", NULL,
	};
	struct ferry_bundle_files files = { NULL, 0, 0 };
	struct fixture f;
	char *mono = tpath("mono"), *proj = tpath("mono/packages/api");

	(void)state;
	put(proj, "index.js", "exports.handler = 1;\n");
	put(proj, "package.json", "{\"dependencies\":{\"x\":\"1\"}}");
	put(mono, "node_modules/x/index.js", "x\n");
	put(mono, "node_modules/unrelated/index.js", "u\n");
	fx_init(&f, proj, "nodejs22", "index.js");
	select_ok(&files, &f);
	expect_names(&files, want);
	ferry_bundle_files_release(&files);
	free(mono);
	fx_release(&f);
}

static void test_bad_package_json(void **state)
{
	struct fixture f;
	char *proj = tpath("badjson");

	(void)state;
	put(proj, "index.js", "exports.handler = 1;\n");
	put(proj, "package.json", "{\"dependencies\": {\"a\": }");
	fx_init(&f, proj, "nodejs20", "index.js");
	expect_select_error(&f, FERRY_EFAIL, "package.json");
	put(proj, "package.json", "{\"dependencies\": [\"a\"]}");
	expect_select_error(&f, FERRY_EFAIL, "'dependencies' of package");
	put(proj, "package.json", "{\"dependencies\": {\"../../etc\": \"1\"}}");
	expect_select_error(&f, FERRY_EFAIL, "invalid dependencies name '../../etc'");
	fx_release(&f);
}

static void test_python_packages_dir(void **state)
{
	static const char *const want[] = {
		"jobs/nightly.py",
		"requests_lite-2.31.0.dist-info/METADATA",
		"requests_lite/__init__.py",
		"requests_lite/api.py",
		"requirements.txt",
		"six_lite.py",
		NULL,
	};
	struct ferry_bundle_files files = { NULL, 0, 0 };
	struct fixture f;

	(void)state;
	fx_init(&f, data_dir("python"), "python3.12", "jobs/nightly.py");
	f.cfg.python_packages = ferry_strdup("vendor");
	select_ok(&files, &f);
	expect_names(&files, want);
	ferry_bundle_files_release(&files);
	/* with an include the whole tree is walked: still no caches */
	push(&f.fn.package.include, "jobs/*.py");
	select_ok(&files, &f);
	expect_names(&files, want);
	ferry_bundle_files_release(&files);
	free(f.cfg.python_packages);
	f.cfg.python_packages = ferry_strdup("site");
	expect_select_error(&f, FERRY_EFAIL,
			    "python packages directory 'site' does not exist");
	fx_release(&f);
}

/* A packages directory under .ferry/ (a pip cache) is still read. */
static void test_python_packages_under_ferry_dir(void **state)
{
	static const char *const want[] = {
		"handler.py", "lib/__init__.py", NULL,
	};
	struct ferry_bundle_files files = { NULL, 0, 0 };
	struct fixture f;
	char *proj = tpath("pipcache");

	(void)state;
	put(proj, "handler.py", "def handler(e, c): return 1\n");
	put(proj, ".ferry/pip/lib/__init__.py", "x\n");
	put(proj, ".ferry/build/old.zip", "x\n");
	fx_init(&f, proj, "python3.12", "handler.py");
	f.cfg.python_packages = ferry_strdup(".ferry/pip");
	select_ok(&files, &f);
	expect_names(&files, want);
	ferry_bundle_files_release(&files);
	fx_release(&f);
}

/* Without python.packages an active virtualenv's site-packages is used. */
static void test_python_virtualenv(void **state)
{
	static const char *const outside[] = {
		"b312.py", "handler.py", "pkg/m.py", NULL,
	};
	static const char *const inside[] = {
		"handler.py", "inner.py", NULL,
	};
	struct ferry_bundle_files files = { NULL, 0, 0 };
	struct fixture f;
	char *proj = tpath("venvproj"), *venv = tpath("venv");
	char *inner;

	(void)state;
	put(proj, "handler.py", "def handler(e, c): return 1\n");
	put(venv, "lib/python3.11/site-packages/b311.py", "x\n");
	put(venv, "lib/python3.12/site-packages/b312.py", "x\n");
	put(venv, "lib/python3.12/site-packages/pkg/m.py", "x\n");
	put(venv, "lib/python3.12/site-packages/pkg/__pycache__/m.pyc", "x\n");
	fx_init(&f, proj, "python3.12", "handler.py");
	setenv("VIRTUAL_ENV", venv, 1);
	select_ok(&files, &f);
	expect_names(&files, outside);
	ferry_bundle_files_release(&files);
	/* a .venv inside the project: its files are not project files */
	put(proj, ".venv/lib/python3.12/site-packages/inner.py", "x\n");
	put(proj, ".venv/bin/python", "x\n");
	inner = ferry_path_join(proj, ".venv");
	setenv("VIRTUAL_ENV", inner, 1);
	select_ok(&files, &f);
	expect_names(&files, inside);
	ferry_bundle_files_release(&files);
	unsetenv("VIRTUAL_ENV");
	free(inner);
	free(venv);
	fx_release(&f);
}

/* A project file wins over a package file with the same bundle name. */
static void test_project_file_shadows_package(void **state)
{
	struct ferry_bundle_files files = { NULL, 0, 0 };
	struct fixture f;
	char *proj = tpath("shadow"), *mine;

	(void)state;
	put(proj, "handler.py", "x\n");
	put(proj, "six.py", "mine\n");
	put(proj, "vendor/six.py", "theirs\n");
	fx_init(&f, proj, "python3.12", "handler.py");
	f.cfg.python_packages = ferry_strdup("vendor");
	select_ok(&files, &f);
	assert_int_equal(files.nr, 2);
	mine = ferry_path_join(proj, "six.py");
	assert_string_equal(source_of(&files, "six.py"), mine);
	free(mine);
	ferry_bundle_files_release(&files);
	fx_release(&f);
}

static void test_handler_must_stay_in_the_bundle(void **state)
{
	struct fixture f;

	(void)state;
	fx_init(&f, data_dir("node"), "nodejs22", "src/users.js");
	push(&f.fn.package.exclude, "src/");
	expect_select_error(&f, FERRY_ECONFIG,
			    "the handler file 'src/users.js' of function 'users'");
	fx_release(&f);
}

static void test_build_writes_a_reproducible_zip(void **state)
{
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	struct ferry_bundle one, two;
	struct ferry_error err;
	struct fixture f;
	char hex[FERRY_SHA256_HEX];
	char *out = tpath("out"), *want;
	size_t i;

	(void)state;
	memset(&one, 0, sizeof(one));
	memset(&two, 0, sizeof(two));
	fx_init(&f, data_dir("node"), "nodejs22", "src/users.js");
	ferry_error_init(&err);
	if (ferry_bundle_build(&one, &f.cfg, &f.fn, out, &err))
		fail_msg("build failed: %s", err.msg);
	want = ferry_xstrfmt("%s/users.zip", out);
	assert_string_equal(one.path, want);
	assert_string_equal(one.function, "users");
	assert_int_equal(one.files, 29);
	assert_true(one.bytes > 0 && one.zipped > 0);
	assert_int_equal(ferry_sha256_file(hex, one.path, &err), 0);
	assert_string_equal(one.sha256, hex);
	assert_int_equal(ferry_zip_list(&names, one.path, &err), 0);
	assert_int_equal(names.nr, 29);
	for (i = 0; node_deps[i]; i++)
		assert_string_equal(names.items[i], node_deps[i]);
	assert_int_equal(ferry_bundle_build(&two, &f.cfg, &f.fn, out, &err), 0);
	assert_string_equal(one.sha256, two.sha256);
	ferry_strvec_release(&names);
	ferry_bundle_release(&one);
	ferry_bundle_release(&two);
	free(want);
	free(out);
	fx_release(&f);
}

/* In `none` mode an output directory inside the project stays out. */
static void test_build_skips_its_output_dir(void **state)
{
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	struct ferry_bundle one, two;
	struct ferry_error err;
	struct fixture f;
	char *proj = tpath("selfout"), *out;

	(void)state;
	memset(&one, 0, sizeof(one));
	memset(&two, 0, sizeof(two));
	put(proj, "index.js", "exports.handler = 1;\n");
	out = ferry_path_join(proj, "dist");
	fx_init(&f, proj, "nodejs22", "index.js");
	f.fn.package.mode = FERRY_PACK_NONE;
	ferry_error_init(&err);
	assert_int_equal(ferry_bundle_build(&one, &f.cfg, &f.fn, out, &err), 0);
	assert_int_equal(ferry_bundle_build(&two, &f.cfg, &f.fn, out, &err), 0);
	assert_string_equal(one.sha256, two.sha256);
	assert_int_equal(ferry_zip_list(&names, two.path, &err), 0);
	assert_int_equal(names.nr, 1);
	assert_string_equal(names.items[0], "index.js");
	ferry_strvec_release(&names);
	ferry_bundle_release(&one);
	ferry_bundle_release(&two);
	/* the project directory itself as output: only the zips stay out */
	free(out);
	out = ferry_strdup(proj);
	put(proj, "data.zip", "user asset\n");
	assert_int_equal(ferry_bundle_build(&one, &f.cfg, &f.fn, out, &err), 0);
	assert_int_equal(ferry_bundle_build(&two, &f.cfg, &f.fn, out, &err), 0);
	assert_string_equal(one.sha256, two.sha256);
	assert_int_equal(ferry_zip_list(&names, two.path, &err), 0);
	assert_int_equal(names.nr, 3);
	assert_string_equal(names.items[0], "data.zip");
	assert_string_equal(names.items[1], "dist/users.zip");
	assert_string_equal(names.items[2], "index.js");
	ferry_strvec_release(&names);
	ferry_bundle_release(&one);
	ferry_bundle_release(&two);
	free(out);
	fx_release(&f);
}

static void test_build_default_out_dir(void **state)
{
	struct ferry_bundle b;
	struct ferry_error err;
	struct fixture f;
	char *proj = tpath("defout"), *want;

	(void)state;
	memset(&b, 0, sizeof(b));
	put(proj, "index.js", "exports.handler = 1;\n");
	fx_init(&f, proj, "nodejs22", "index.js");
	ferry_error_init(&err);
	assert_int_equal(ferry_bundle_build(&b, &f.cfg, &f.fn, NULL, &err), 0);
	want = ferry_path_join(proj, ".ferry/build/users.zip");
	assert_string_equal(b.path, want);
	assert_true(ferry_fs_is_file(want));
	assert_int_equal(b.files, 1);
	assert_int_equal(b.bytes, 21);
	free(want);
	ferry_bundle_release(&b);
	fx_release(&f);
}

static void test_budget(void **state)
{
	struct ferry_bundle b;
	struct ferry_error err;
	struct fixture f;
	char *proj = tpath("budget"), *out = tpath("budget-out"), *zip;
	char big[3000];
	uint32_t x;
	unsigned i;

	(void)state;
	memset(&b, 0, sizeof(b));
	/* incompressible-ish content so the zip is larger than the budget */
	for (i = 0, x = 12345; i < sizeof(big) - 1; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (char)('!' + (x >> 16) % 90u);
	}
	big[sizeof(big) - 1] = '\0';
	put(proj, "index.js", "exports.handler = 1;\n");
	put(proj, "package.json", "{\"dependencies\":{\"heavy\":\"1\",\"@s/light\":\"1\"}}");
	put(proj, "node_modules/heavy/a.js", big);
	put(proj, "node_modules/heavy/b.js", big);
	put(proj, "node_modules/@s/light/i.js", "light\n");
	fx_init(&f, proj, "nodejs22", "index.js");
	f.fn.package.budget = 1024;
	ferry_error_init(&err);
	assert_int_equal(ferry_bundle_build(&b, &f.cfg, &f.fn, out, &err),
			 FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "bundle of 'users' is "));
	assert_non_null(strstr(err.msg, "KB, over the package budget of 1 KB; "
			       "largest contributors: heavy 5.9 KB, package.json "));
	assert_non_null(strstr(err.msg, ", @s/light 6 B"));
	zip = ferry_path_join(out, "users.zip");
	assert_false(ferry_fs_exists(zip));
	free(zip);
	/* within the budget it builds */
	f.fn.package.budget = 1024 * 1024;
	ferry_error_init(&err);
	assert_int_equal(ferry_bundle_build(&b, &f.cfg, &f.fn, out, &err), 0);
	assert_int_equal(b.files, 5);
	ferry_bundle_release(&b);
	free(out);
	fx_release(&f);
}

static int copied_logs;

static void count_copies(enum ferry_log_level level, const char *msg,
			 void *data)
{
	(void)level;
	(void)data;
	if (strstr(msg, "selects the same files as"))
		copied_logs++;
}

/*
 * Two functions with the same selection share the compression work: the
 * second zip is a copy with the same bytes. A changed file is never served
 * from that copy.
 */
static void test_same_selection_is_copied_not_stale(void **state)
{
	struct ferry_bundle a, b, c;
	struct ferry_buf za = FERRY_BUF_INIT, zb = FERRY_BUF_INIT;
	struct ferry_error err;
	struct fixture f;
	char *proj = tpath("memo"), *src;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	put(proj, "index.js", "exports.handler = 1;\n");
	put(proj, "lib.js", "module.exports = 1;\n");
	fx_init(&f, proj, "nodejs22", "index.js");
	ferry_log_set(count_copies, NULL);
	copied_logs = 0;
	ferry_error_init(&err);
	assert_int_equal(ferry_bundle_build(&a, &f.cfg, &f.fn, NULL, &err), 0);
	free(f.fn.name);
	f.fn.name = ferry_strdup("orders");
	assert_int_equal(ferry_bundle_build(&b, &f.cfg, &f.fn, NULL, &err), 0);
	assert_int_equal(copied_logs, 1);
	assert_string_not_equal(a.path, b.path);
	assert_string_equal(a.sha256, b.sha256);
	assert_int_equal(a.zipped, b.zipped);
	assert_int_equal(ferry_fs_read(&za, a.path, 0, NULL), 0);
	assert_int_equal(ferry_fs_read(&zb, b.path, 0, NULL), 0);
	assert_int_equal(za.len, zb.len);
	assert_memory_equal(za.buf, zb.buf, za.len);
	/* a changed file gives a new zip, not the earlier copy */
	put(proj, "lib.js", "module.exports = 2222;\n");
	free(f.fn.name);
	f.fn.name = ferry_strdup("third");
	assert_int_equal(ferry_bundle_build(&c, &f.cfg, &f.fn, NULL, &err), 0);
	assert_int_equal(copied_logs, 1);
	assert_string_not_equal(c.sha256, a.sha256);
	src = ferry_path_join(proj, ".ferry/build/third.zip");
	{
		char hex[FERRY_SHA256_HEX];

		assert_int_equal(ferry_sha256_file(hex, src, &err), 0);
		assert_string_equal(hex, c.sha256);
	}
	/* an earlier zip changed behind ferry's back is not copied either */
	ferry_bundle_release(&b);
	memset(za.buf, 'x', za.len);
	assert_int_equal(ferry_fs_write_atomic(a.path, za.buf, za.len, 0644, 0,
					       NULL), 0);
	put(proj, "lib.js", "module.exports = 1;\n");
	free(f.fn.name);
	f.fn.name = ferry_strdup("fourth");
	/* same content as the first build but a new mtime: rebuilt, and a
	 * tampered copy of an identical key is refused the same way */
	assert_int_equal(ferry_bundle_build(&b, &f.cfg, &f.fn, NULL, &err), 0);
	assert_int_equal(copied_logs, 1);
	assert_string_equal(b.sha256, a.sha256);
	free(f.fn.name);
	f.fn.name = ferry_strdup("fifth");
	assert_int_equal(ferry_fs_write_atomic(b.path, za.buf, za.len, 0644, 0,
					       NULL), 0);
	ferry_bundle_release(&c);
	assert_int_equal(ferry_bundle_build(&c, &f.cfg, &f.fn, NULL, &err), 0);
	assert_int_equal(copied_logs, 1);
	assert_string_equal(c.sha256, a.sha256);
	ferry_log_set(NULL, NULL);
	free(src);
	ferry_buf_release(&za);
	ferry_buf_release(&zb);
	ferry_bundle_release(&a);
	ferry_bundle_release(&b);
	ferry_bundle_release(&c);
	fx_release(&f);
}

/* Give every file of a project tree a new mtime (same content). */
static void touch_tree(const char *proj, const char *const *rels, size_t n)
{
	struct timespec t[2] = {{1000000000, 0}, {1000000000, 0}};
	size_t i;

	for (i = 0; i < n; i++) {
		char *p = ferry_path_join(proj, rels[i]);

		assert_int_equal(utimensat(AT_FDCWD, p, t, 0), 0);
		free(p);
	}
}

/*
 * Several functions built at once, their zips written on threads: each
 * bundle has the bytes it has when built alone, in manifest order; a
 * function selecting what an earlier one selects gets a copy; the first
 * failing function (in order) is the one reported, and nothing is
 * returned.
 */
static void test_build_all_matches_one_by_one(void **state)
{
	static const char *const files[] = {"a.js", "b.js", "c.js", "lib.js",
					    "big.js"};
	static const char *const handlers[] = {"a.js", "b.js", "a.js", "c.js"};
	static const char *const names[] = {"alpha", "beta", "gamma", "delta"};
	struct ferry_function fns[4];
	const struct ferry_function *ptrs[4];
	struct ferry_bundle one[4], all[4];
	struct ferry_error err;
	struct fixture f;
	char *proj = tpath("batch"), *single = tpath("batch-single");
	char *multi = tpath("batch-multi"), big[4000];
	uint32_t x;
	size_t i;

	(void)state;
	for (i = 0, x = 7; i < sizeof(big) - 1; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (char)('!' + (x >> 16) % 90u);
	}
	big[sizeof(big) - 1] = '\0';
	put(proj, "a.js", "require('./lib');\nexports.handler = 1;\n");
	put(proj, "b.js", "exports.handler = 2;\n");
	put(proj, "c.js", "require('./big');\nexports.handler = 3;\n");
	put(proj, "lib.js", "module.exports = 'lib';\n");
	put(proj, "big.js", big);
	fx_init(&f, proj, "nodejs22", "a.js");
	memset(one, 0, sizeof(one));
	memset(all, 0, sizeof(all));
	for (i = 0; i < 4; i++) {
		fns[i] = f.fn;
		fns[i].name = (char *)names[i];
		fns[i].handler_file = (char *)handlers[i];
		fns[i].package.mode = FERRY_PACK_TRACE;
		ptrs[i] = &fns[i];
	}
	f.cfg.functions = fns;
	f.cfg.functions_nr = 4;
	ferry_log_set(count_copies, NULL);
	copied_logs = 0;
	ferry_error_init(&err);
	for (i = 0; i < 4; i++) {
		assert_int_equal(ferry_bundle_build(&one[i], &f.cfg, &fns[i],
						    single, &err), 0);
	}
	assert_int_equal(copied_logs, 1); /* gamma is alpha's selection */
	/* new mtimes: nothing from the builds above can be copied */
	touch_tree(proj, files, 5);
	copied_logs = 0;
	assert_int_equal(ferry_bundle_build_all(all, &f.cfg, ptrs, 4, multi,
						&err), 0);
	assert_int_equal(copied_logs, 1);
	for (i = 0; i < 4; i++) {
		assert_string_equal(all[i].function, names[i]);
		assert_string_equal(all[i].sha256, one[i].sha256);
		assert_int_equal(all[i].files, one[i].files);
		assert_int_equal(all[i].zipped, one[i].zipped);
		assert_string_not_equal(all[i].path, one[i].path);
	}
	assert_string_not_equal(all[0].sha256, all[1].sha256);
	assert_string_equal(all[0].sha256, all[2].sha256);
	assert_int_equal(all[3].files, 2);
	for (i = 0; i < 4; i++)
		ferry_bundle_release(&all[i]);

	/* beta and delta over budget: beta, the first, is reported */
	fns[1].package.budget = 1;
	fns[3].package.budget = 1;
	touch_tree(proj, files, 5);
	ferry_error_init(&err);
	assert_int_equal(ferry_bundle_build_all(all, &f.cfg, ptrs, 4, multi,
						&err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "bundle of 'beta' is "));
	for (i = 0; i < 4; i++)
		assert_null(all[i].function);

	ferry_log_set(NULL, NULL);
	for (i = 0; i < 4; i++)
		ferry_bundle_release(&one[i]);
	f.cfg.functions = &f.fn;
	f.cfg.functions_nr = 1;
	free(single);
	free(multi);
	fx_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_deps_graph),
		cmocka_unit_test(test_default_mode_is_trace),
		cmocka_unit_test(test_trace_mode),
		cmocka_unit_test(test_trace_mode_provided),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_exclude_include_negation),
		cmocka_unit_test(test_none_mode_takes_the_directory),
		cmocka_unit_test(test_include_overrides_never_selected),
		cmocka_unit_test(test_missing_dependency_is_an_error),
		cmocka_unit_test(test_pnpm_layout),
		cmocka_unit_test(test_hoisted_above_project),
		cmocka_unit_test(test_bad_package_json),
		cmocka_unit_test(test_python_packages_dir),
		cmocka_unit_test(test_python_packages_under_ferry_dir),
		cmocka_unit_test(test_python_virtualenv),
		cmocka_unit_test(test_project_file_shadows_package),
		cmocka_unit_test(test_handler_must_stay_in_the_bundle),
		cmocka_unit_test(test_build_writes_a_reproducible_zip),
		cmocka_unit_test(test_build_skips_its_output_dir),
		cmocka_unit_test(test_build_default_out_dir),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_build_all_matches_one_by_one),
		cmocka_unit_test(test_same_selection_is_copied_not_stale),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
