/*
 * test_trace_python.c - the Python tracer (core/trace_python.c).
 *
 * On the hand-written project under tests/data/trace/python/project: the
 * exact set of files a handler reaches (a local package, relative imports,
 * a namespace package, a handler-directory module, importlib with a
 * literal, a star import of a package with `__all__`, a project module
 * shadowing the standard library) and what the
 * vendored fake distributions in vendor/ bring (data files, the whole
 * .dist-info, a top-level mypyc-style .so owned by a distribution, .so.N
 * libraries, no tests/ nor __pycache__/, no module imported only under
 * `if sys.platform == "emscripten":`, nothing of a distribution the
 * handler never imports), the --explain chains and the warnings. Then the
 * real `requests` of this machine's python3, which must be installed.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "ferry/buf.h"
#include "ferry/fs.h"
#include "ferry/proc.h"
#include "trace.h"

/* Every file the fixture handler must reach, sorted; nothing else. */
static const char *const want_files[] = {
	"0123abcd__mypyc.cpython-311-x86_64-linux-gnu.so",
	"certish-2024.1.dist-info/METADATA",
	"certish-2024.1.dist-info/RECORD",
	"certish/__init__.py",
	"certish/cacert.pem",
	"certish/core.py",
	"charsetish-3.0.dist-info/RECORD",
	"charsetish-3.0.dist-info/top_level.txt",
	"charsetish/__init__.py",
	"charsetish/api.py",
	"charsetish/md.cpython-311-x86_64-linux-gnu.so",
	"charsetish/md.py",
	"compiledpkg-1.0.dist-info/RECORD",
	"compiledpkg.libs/libfoo-ab12.so.1",
	"compiledpkg/__init__.py",
	"compiledpkg/core.abi3.so",
	"localpkg/__init__.py",
	"localpkg/other.py",
	"localpkg/schema.json",
	"localpkg/sub/__init__.py",
	"localpkg/sub/deep.py",
	"localpkg/tests/fixture.txt",
	"nspkg/tool.py",
	"plugins/__init__.py",
	"plugins/alpha.py",
	"requestsish-1.0.dist-info/METADATA",
	"requestsish-1.0.dist-info/RECORD",
	"requestsish-1.0.dist-info/licenses/LICENSE",
	"requestsish-1.0.dist-info/top_level.txt",
	"requestsish/__init__.py",
	"requestsish/api.py",
	"requestsish/compat.py",
	"requestsish/py.typed",
	"secrets.py",
	"sixish-1.0.dist-info/RECORD",
	"sixish.py",
	"src/__init__.py",
	"src/handler.py",
	"src/helpers.py",
	"src/sidecar.py",
	"src/templates/page.html",
	"src/util.py",
	"starpkg/__init__.py",
	"starpkg/alpha.py",
	"starpkg/helpers.py",
};

static const char *const want_warnings[] = {
	"src/handler.py:10: cannot find module 'typed_only' (from typed_only "
	"import Thing) in the project or the packages directory",
	"src/handler.py:14: importlib.import_module() of a non-literal; add "
	"the modules it loads to package.include",
	"src/handler.py:18: cannot find module 'fastjson' (import fastjson) "
	"in the project or the packages directory",
};

struct fixture {
	char project[PATH_MAX];
	char vendor[PATH_MAX + 16];
	struct ferry_config cfg;
	struct ferry_function fn;
	struct ferry_trace t;
};

static int setup(void **state)
{
	const char *data = getenv("FERRY_TEST_DATA");
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct ferry_error err;

	if (!fx || !data)
		goto fail;
	snprintf(fx->project, sizeof(fx->project),
		 "%s/trace/python/project", data);
	snprintf(fx->vendor, sizeof(fx->vendor), "%s/vendor", fx->project);
	fx->cfg.dir = fx->project;
	fx->fn.name = "api";
	fx->fn.handler_file = "src/handler.py";
	fx->fn.runtime = "python3.12";
	ferry_trace_init(&fx->t);
	ferry_error_init(&err);
	if (ferry_trace_python(&fx->t, &fx->cfg, &fx->fn, fx->vendor, &err)) {
		fprintf(stderr, "trace failed: %s\n", err.msg);
		ferry_trace_release(&fx->t);
		goto fail;
	}
	*state = fx;
	return 0;
fail:
	free(fx);
	return -1;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	ferry_trace_release(&fx->t);
	free(fx);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The trace's names, sorted, one per line. */
static char *names_of(const struct ferry_trace *t)
{
	struct ferry_strvec v = FERRY_STRVEC_INIT;
	struct ferry_buf b = FERRY_BUF_INIT;
	size_t i;

	for (i = 0; i < t->nr; i++)
		assert_int_equal(ferry_strvec_push(&v, t->items[i].name), 0);
	ferry_strvec_sort(&v);
	for (i = 0; i < v.nr; i++)
		assert_int_equal(ferry_buf_addf(&b, "%s\n", v.items[i]), 0);
	ferry_strvec_release(&v);
	return ferry_buf_detach(&b);
}

static void test_files(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf want = FERRY_BUF_INIT;
	char *got;
	size_t i;

	for (i = 0; i < sizeof(want_files) / sizeof(want_files[0]); i++) {
		if (i)
			assert_true(cmp_str(&want_files[i - 1],
					    &want_files[i]) < 0);
		assert_int_equal(ferry_buf_addf(&want, "%s\n", want_files[i]),
				 0);
	}
	got = names_of(&fx->t);
	assert_string_equal(got, want.buf);
	free(got);
	ferry_buf_release(&want);
}

/* Names at the bundle root come from vendor/, the others from the project. */
static void test_sources(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX * 2];
	size_t i;
	long h;

	for (i = 0; i < fx->t.nr; i++) {
		const struct ferry_trace_entry *e = &fx->t.items[i];
		int vendored = strncmp(e->name, "src/", 4) &&
			       strncmp(e->name, "localpkg/", 9) &&
			       strncmp(e->name, "nspkg/", 6) &&
			       strncmp(e->name, "plugins/", 8) &&
			       strncmp(e->name, "starpkg/", 8) &&
			       strcmp(e->name, "secrets.py");

		snprintf(path, sizeof(path), "%s/%s",
			 vendored ? fx->vendor : fx->project, e->name);
		assert_string_equal(e->source, path);
		assert_true(ferry_fs_is_file(e->source));
	}
	h = ferry_trace_find(&fx->t, "src/handler.py");
	assert_true(h >= 0);
	assert_int_equal(fx->t.items[h].parent, -1);
	assert_string_equal(fx->t.items[h].why, "handler");
}

/* The parts of the fixture that must stay out, by name. */
static void test_absent(void **state)
{
	struct fixture *fx = *state;
	static const char *const absent[] = {
		"src/unused.py",			/* never imported */
		"plugins/beta.py",			/* only alpha is */
		"starpkg/beta.py",			/* not in __all__ */
		"localpkg/tests/test_x.py",	/* code, not reached */
		"requestsish/__pycache__/api.cpython-311.pyc",
		"requestsish/tests/__init__.py",	/* third-party tests */
		"requestsish/tests/data.json",
		"requestsish/tests/data_helpers.py",	/* even imported */
		"requestsish/api.pyi",			/* a type stub */
		"requestsish/wasm.py",		/* emscripten only */
		"compiledpkg/tests/_t.cpython-311-x86_64-linux-gnu.so",
		"unusedist/__init__.py",		/* never reached */
		"unusedist/data.txt",
		"unusedist/_speed.cpython-311-x86_64-linux-gnu.so",
		"unusedist-2.0.dist-info/RECORD",
		"vendor/requestsish/__init__.py",	/* named at the root */
	};
	size_t i;

	for (i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		if (ferry_trace_find(&fx->t, absent[i]) >= 0)
			fail_msg("'%s' must not be traced", absent[i]);
}

static void check_explain(const struct ferry_trace *t, const char *name,
			  const char *want)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	long i = ferry_trace_find(t, name);

	if (i < 0)
		fail_msg("'%s' not traced", name);
	assert_int_equal(ferry_trace_explain(&b, t, i), 0);
	assert_string_equal(b.buf, want);
	ferry_buf_release(&b);
}

static void test_explain(void **state)
{
	struct fixture *fx = *state;

	check_explain(&fx->t, "certish/cacert.pem",
		      "src/handler.py:7 import requestsish\n"
		      " -> requestsish/__init__.py:3 import certish\n"
		      " -> certish/__init__.py data file of reached package "
		      "'certish'\n"
		      " -> certish/cacert.pem\n");
	check_explain(&fx->t, "0123abcd__mypyc.cpython-311-x86_64-linux-gnu.so",
		      "src/handler.py:7 import requestsish\n"
		      " -> requestsish/__init__.py:4 import charsetish\n"
		      " -> charsetish/__init__.py compiled extension of "
		      "reached distribution 'charsetish-3.0'\n"
		      " -> 0123abcd__mypyc.cpython-311-x86_64-linux-gnu.so\n");
	check_explain(&fx->t, "sixish-1.0.dist-info/RECORD",
		      "src/handler.py:7 import requestsish\n"
		      " -> requestsish/__init__.py:1 from . import api\n"
		      " -> requestsish/api.py:1 import sixish\n"
		      " -> sixish.py metadata of reached distribution "
		      "'sixish-1.0'\n"
		      " -> sixish-1.0.dist-info/RECORD\n");
	check_explain(&fx->t, "localpkg/other.py",
		      "src/handler.py:5 import localpkg.sub.deep\n"
		      " -> localpkg/sub/deep.py:1 from .. import other\n"
		      " -> localpkg/other.py\n");
	check_explain(&fx->t, "plugins/alpha.py",
		      "src/handler.py:12 importlib.import_module("
		      "'plugins.alpha')\n -> plugins/alpha.py\n");
	check_explain(&fx->t, "src/util.py",
		      "src/handler.py:4 from . import helpers\n"
		      " -> src/helpers.py:1 from .util import VALUE\n"
		      " -> src/util.py\n");
	check_explain(&fx->t, "starpkg/alpha.py",
		      "src/handler.py:24 from starpkg import *\n"
		      " -> starpkg/alpha.py\n");
	check_explain(&fx->t, "nspkg/tool.py",
		      "src/handler.py:6 from nspkg import tool\n"
		      " -> nspkg/tool.py\n");
	check_explain(&fx->t, "src/sidecar.py",
		      "src/handler.py:22 import sidecar\n -> src/sidecar.py\n");
	check_explain(&fx->t, "secrets.py",
		      "src/handler.py:23 import secrets\n -> secrets.py\n");
	check_explain(&fx->t, "compiledpkg/core.abi3.so",
		      "src/handler.py:21 from compiledpkg import core\n"
		      " -> compiledpkg/__init__.py compiled extension of "
		      "reached distribution 'compiledpkg-1.0'\n"
		      " -> compiledpkg/core.abi3.so\n");
	check_explain(&fx->t, "src/__init__.py",
		      "src/__init__.py (package of the handler "
		      "'src/handler.py')\n");
	check_explain(&fx->t, "src/templates/page.html",
		      "src/__init__.py data file of reached package 'src'\n"
		      " -> src/templates/page.html\n");
}

static void test_warnings(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf got = FERRY_BUF_INIT, want = FERRY_BUF_INIT;
	size_t i;

	for (i = 0; i < fx->t.warnings.nr; i++)
		assert_int_equal(ferry_buf_addf(&got, "%s\n",
						fx->t.warnings.items[i]), 0);
	for (i = 0; i < sizeof(want_warnings) / sizeof(want_warnings[0]); i++)
		assert_int_equal(ferry_buf_addf(&want, "%s\n",
						want_warnings[i]), 0);
	assert_string_equal(got.buf, want.buf);
	ferry_buf_release(&got);
	ferry_buf_release(&want);
}

/* Without a packages directory, third-party imports are warnings. */
static void test_no_pydir(void **state)
{
	struct fixture *fx = *state;
	struct ferry_trace t;
	struct ferry_error err;
	size_t i;
	int warned = 0;

	ferry_trace_init(&t);
	ferry_error_init(&err);
	assert_int_equal(ferry_trace_python(&t, &fx->cfg, &fx->fn, NULL, &err),
			 0);
	assert_true(ferry_trace_find(&t, "localpkg/other.py") >= 0);
	assert_int_equal(ferry_trace_find(&t, "requestsish/__init__.py"), -1);
	assert_int_equal(ferry_trace_find(&t, "vendor/requestsish/__init__.py"),
			 -1);
	for (i = 0; i < t.warnings.nr; i++)
		if (strstr(t.warnings.items[i], "src/handler.py:7: cannot "
			   "find module 'requestsish'"))
			warned = 1;
	assert_true(warned);
	ferry_trace_release(&t);
}

static void test_missing_handler(void **state)
{
	struct fixture *fx = *state;
	struct ferry_function fn = fx->fn;
	struct ferry_trace t;
	struct ferry_error err;

	fn.handler_file = "src/nope.py";
	ferry_trace_init(&t);
	ferry_error_init(&err);
	assert_int_equal(ferry_trace_python(&t, &fx->cfg, &fn, fx->vendor,
					    &err),
			 FERRY_ENOTFOUND);
	assert_non_null(strstr(err.msg, "src/nope.py"));
	ferry_trace_release(&t);
}

/* Write `text` to dir/rel. */
static void put(const char *dir, const char *rel, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(ferry_fs_write_atomic(path, text, strlen(text), 0644,
					       0, NULL), 0);
}

/* A symlink back up a package's data directory is walked once. */
static void test_symlink_cycle(void **state)
{
	static const char *const files[] = {
		"handler.py", "pkg/__init__.py", "pkg/data/x.txt",
		"pkg/data/loop", "pkg/data", "pkg",
	};
	char dir[256], path[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	struct ferry_config cfg;
	struct ferry_function fn;
	struct ferry_trace t;
	struct ferry_error err;
	char *got;
	size_t i;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/ferry-trace-py-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pkg/data", dir);
	assert_int_equal(ferry_fs_mkdirs(path, NULL), 0);
	put(dir, "handler.py", "import pkg\n");
	put(dir, "pkg/__init__.py", "");
	put(dir, "pkg/data/x.txt", "x\n");
	snprintf(path, sizeof(path), "%s/pkg/data/loop", dir);
	assert_int_equal(symlink(".", path), 0);
	memset(&cfg, 0, sizeof(cfg));
	memset(&fn, 0, sizeof(fn));
	cfg.dir = dir;
	fn.name = "cycle";
	fn.handler_file = "handler.py";
	ferry_trace_init(&t);
	ferry_error_init(&err);
	assert_int_equal(ferry_trace_python(&t, &cfg, &fn, NULL, &err), 0);
	got = names_of(&t);
	assert_string_equal(got, "handler.py\npkg/__init__.py\n"
				 "pkg/data/x.txt\n");
	free(got);
	ferry_trace_release(&t);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (unlink(path))
			assert_int_equal(rmdir(path), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* python3's purelib directory, or a failure that says why. */
static void purelib(char *out, size_t n)
{
	static const char *const argv[] = {
		"python3", "-c",
		"import sysconfig; print(sysconfig.get_paths()['purelib'])",
		NULL
	};
	struct ferry_proc_opts opts;
	struct ferry_proc_result r;
	struct ferry_error err;

	memset(&opts, 0, sizeof(opts));
	opts.argv = argv;
	opts.timeout_ms = 30000;
	ferry_proc_result_init(&r);
	ferry_error_init(&err);
	if (ferry_proc_run(&r, &opts, &err))
		fail_msg("cannot run python3 (CI machines have it): %s",
			 err.msg);
	if (!r.exited || r.status)
		fail_msg("python3 failed: %s", r.errout.buf);
	while (r.out.len && (r.out.buf[r.out.len - 1] == '\n' ||
			     r.out.buf[r.out.len - 1] == '\r'))
		ferry_buf_truncate(&r.out, r.out.len - 1);
	snprintf(out, n, "%s", r.out.buf);
	ferry_proc_result_release(&r);
}

static int has_prefix(const struct ferry_trace *t, const char *prefix)
{
	size_t i;

	for (i = 0; i < t->nr; i++)
		if (!strncmp(t->items[i].name, prefix, strlen(prefix)))
			return 1;
	return 0;
}

/* A .dist-info/RECORD of distribution `dist` ("requests-"). */
static int has_dist(const struct ferry_trace *t, const char *dist)
{
	size_t i, n = strlen(dist);

	for (i = 0; i < t->nr; i++) {
		const char *name = t->items[i].name;

		const char *info = strstr(name, ".dist-info/RECORD");

		/* "<dist><version>.dist-info/RECORD", one directory deep */
		if (!strncmp(name, dist, n) && info &&
		    strchr(name, '/') == info + 10 &&
		    !strcmp(info + 10, "/RECORD"))
			return 1;
	}
	return 0;
}

static void test_real_requests(void **state)
{
	char site[PATH_MAX], probe[PATH_MAX + 64], dir[256];
	const char *tmp = getenv("TMPDIR");
	struct ferry_config cfg;
	struct ferry_function fn;
	struct ferry_trace t;
	struct ferry_error err;
	struct timespec t0, t1;
	double secs;
	size_t i;
	int mypyc = 0;

	(void)state;
	purelib(site, sizeof(site));
	snprintf(probe, sizeof(probe), "%s/requests/__init__.py", site);
	if (!ferry_fs_is_file(probe))
		fail_msg("requests is not installed in '%s' (CI machines have "
			 "it: pip install requests)", site);
	snprintf(dir, sizeof(dir), "%s/ferry-trace-py-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(probe, sizeof(probe), "%s/handler.py", dir);
	assert_int_equal(ferry_fs_write_atomic(probe,
			 "import requests\n\ndef handler(e, c):\n"
			 "    return requests.get('https://x').status_code\n",
			 86, 0644, 0, NULL), 0);
	memset(&cfg, 0, sizeof(cfg));
	memset(&fn, 0, sizeof(fn));
	cfg.dir = dir;
	fn.name = "real";
	fn.handler_file = "handler.py";
	fn.runtime = "python3.11";
	ferry_trace_init(&t);
	ferry_error_init(&err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ferry_trace_python(&t, &cfg, &fn, site, &err))
		fail_msg("trace failed: %s", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("real requests: %zu files in %.3f s\n", t.nr, secs);
	unlink(probe);
	rmdir(dir);

	assert_true(ferry_trace_find(&t, "handler.py") >= 0);
	assert_true(ferry_trace_find(&t, "requests/__init__.py") >= 0);
	assert_true(ferry_trace_find(&t, "requests/api.py") >= 0);
	assert_true(ferry_trace_find(&t, "certifi/cacert.pem") >= 0);
	assert_true(ferry_trace_find(&t, "urllib3/__init__.py") >= 0);
	assert_true(ferry_trace_find(&t, "idna/__init__.py") >= 0);
	assert_true(ferry_trace_find(&t, "charset_normalizer/__init__.py") >=
		    0);
	for (i = 0; i < t.nr; i++) {
		const char *name = t.items[i].name;

		if (!strchr(name, '/') && strstr(name, "__mypyc") &&
		    strstr(name, ".so") &&
		    strstr(t.items[i].why, "'charset_normalizer-"))
			mypyc = 1;
		if (strstr(name, "__pycache__") || strstr(name, ".pyc") ||
		    strstr(name, ".pyi"))
			fail_msg("'%s' must not be traced", name);
	}
	if (!mypyc)
		fail_msg("charset_normalizer's top-level mypyc .so is missing");
	assert_true(has_dist(&t, "requests-"));
	assert_true(has_dist(&t, "certifi-"));
	assert_true(has_dist(&t, "charset_normalizer-"));
	assert_true(has_dist(&t, "idna-"));
	assert_true(has_dist(&t, "urllib3-"));
	assert_false(has_prefix(&t, "boto3"));
	assert_false(has_prefix(&t, "botocore"));
	assert_false(has_prefix(&t, "flask"));
	/*
	 * A trace, not a copy: requests reaches about 80 files; 300 leaves
	 * room for cryptography, which it imports when ssl lacks SNI.
	 */
	assert_true(t.nr > 40 && t.nr < 300);
	assert_true(secs < 5.0);
	ferry_trace_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_no_pydir),
		cmocka_unit_test(test_missing_handler),
		cmocka_unit_test(test_symlink_cycle),
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_real_requests),
	};
	int failed;

	failed = cmocka_run_group_tests(tests, setup, teardown);
	failed += cmocka_run_group_tests(real, NULL, NULL);
	return failed;
}
