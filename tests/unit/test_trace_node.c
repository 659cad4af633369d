/*
 * test_trace_node.c - the Node tracer on hand-written projects under
 * tests/data/trace/node: the exact set of files a handler reaches (Node's
 * resolution: relative paths, extension and index probing, node_modules up
 * the tree, main, exports with conditions and patterns, imports,
 * self-reference, a symlinked workspace package, a hoisted monorepo), what
 * is left out (devDependencies, unreached files, built-ins, externals),
 * warnings, and the --explain chain. Also the shared trace record.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ferry/fs.h"
#include "trace.h"

struct fixture {
	struct ferry_config cfg;
	struct ferry_function fn;
	struct ferry_trace trace;
	struct ferry_error err;
};

static void setup_fixture(struct fixture *f, const char *project,
			  const char *handler, const char *runtime)
{
	const char *data = getenv("FERRY_TEST_DATA");

	assert_non_null(data);
	memset(f, 0, sizeof(*f));
	f->cfg.dir = ferry_xstrfmt("%s/trace/node/%s", data, project);
	assert_non_null(f->cfg.dir);
	f->fn.name = "users";
	f->fn.handler_file = (char *)handler;
	f->fn.runtime = (char *)runtime;
	ferry_strvec_init(&f->fn.package.external);
	ferry_trace_init(&f->trace);
	ferry_error_init(&f->err);
}

static void teardown_fixture(struct fixture *f)
{
	free(f->cfg.dir);
	ferry_strvec_release(&f->fn.package.external);
	ferry_trace_release(&f->trace);
}

/* The traced names, sorted, one per line. */
static char *names(const struct ferry_trace *t)
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

static char *warnings(const struct ferry_trace *t)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	size_t i;

	for (i = 0; i < t->warnings.nr; i++)
		assert_int_equal(ferry_buf_addf(&b, "%s\n",
						t->warnings.items[i]), 0);
	return ferry_buf_detach(&b);
}

static char *explain(const struct ferry_trace *t, const char *name)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	long i = ferry_trace_find(t, name);

	if (i < 0)
		fail_msg("%s is not in the trace", name);
	assert_int_equal(ferry_trace_explain(&b, t, i), 0);
	return ferry_buf_detach(&b);
}

static const char proj_files[] =
	"node_modules/@ws/lib/index.js\n"
	"node_modules/@ws/lib/node_modules/ws-dep/index.js\n"
	"node_modules/@ws/lib/node_modules/ws-dep/package.json\n"
	"node_modules/@ws/lib/package.json\n"
	"node_modules/dep-a/index.js\n"
	"node_modules/dep-a/package.json\n"
	"node_modules/esm-only/lib/v4.js\n"
	"node_modules/esm-only/package.json\n"
	"node_modules/esm-only/sync.js\n"
	"node_modules/native-dep/index.js\n"
	"node_modules/native-dep/package.json\n"
	"node_modules/native-pkg/binding.gyp\n"
	"node_modules/native-pkg/build/Release/addon.node\n"
	"node_modules/native-pkg/index.js\n"
	"node_modules/native-pkg/lib/helper.js\n"
	"node_modules/native-pkg/package.json\n"
	"node_modules/native-pkg/src/addon.cc\n"
	"node_modules/pkg-exports/cjs/index.js\n"
	"node_modules/pkg-exports/dist/util.js\n"
	"node_modules/pkg-exports/esm/index.mjs\n"
	"node_modules/pkg-exports/package.json\n"
	"node_modules/pkg-exports/src/features/x.js\n"
	"node_modules/pkg-main/lib/entry.js\n"
	"node_modules/pkg-main/package.json\n"
	"node_modules/sugar/main.js\n"
	"node_modules/sugar/package.json\n"
	"package.json\n"
	"shared/b.js\n"
	"src/a.js\n"
	"src/data.json\n"
	"src/handler.js\n"
	"src/internal.js\n"
	"src/lazy-dep.mjs\n"
	"src/lazy.mjs\n"
	"src/lib/index.js\n"
	"src/self.js\n"
	"src/tpl-dep.js\n"
	"src/utils/fmt.js\n";

static const char proj_warnings[] =
	"cannot resolve './nope' from src/handler.js:19\n"
	"cannot resolve 'pkg-exports/.js' from src/lib/index.js:2\n"
	"cannot resolve 'pkg-exports/features/private/z' from "
	"src/lib/index.js:1\n"
	"cannot resolve 'sugar/other' from src/self.js:4\n"
	"src/handler.js:18: require() with a non-literal argument; add what "
	"it loads to package.include\n";

static void test_project_node20(void **state)
{
	struct fixture f;
	char *got, *real, *want;
	long i;

	(void)state;
	setup_fixture(&f, "proj", "src/handler.js", "nodejs20");
	assert_int_equal(ferry_trace_node(&f.trace, &f.cfg, &f.fn, &f.err), 0);
	got = names(&f.trace);
	assert_string_equal(got, proj_files);
	free(got);
	got = warnings(&f.trace);
	assert_string_equal(got, proj_warnings);
	free(got);

	/* the handler is the root; its entry knows its source */
	i = ferry_trace_find(&f.trace, "src/handler.js");
	assert_int_equal(i, 0);
	assert_int_equal(f.trace.items[i].parent, -1);
	want = ferry_xstrfmt("%s/src/handler.js", f.cfg.dir);
	real = realpath(want, NULL);
	assert_non_null(real);
	assert_string_equal(f.trace.items[i].source, real);
	free(real);
	free(want);

	/* a symlinked workspace package: named under node_modules, read
	 * from its real directory */
	i = ferry_trace_find(&f.trace, "node_modules/@ws/lib/index.js");
	assert_true(i >= 0);
	want = ferry_xstrfmt("%s/../packages/ws-lib/index.js", f.cfg.dir);
	real = realpath(want, NULL);
	assert_non_null(real);
	assert_string_equal(f.trace.items[i].source, real);
	free(real);
	free(want);

	/* why and line of an import */
	i = ferry_trace_find(&f.trace, "node_modules/pkg-main/lib/entry.js");
	assert_true(i >= 0);
	assert_string_equal(f.trace.items[i].why, "require('pkg-main')");
	assert_int_equal(f.trace.items[i].line, 10);
	assert_string_equal(f.trace.items[f.trace.items[i].parent].name,
			    "src/handler.js");

	/* a "#utils/" star pattern in the imports of the project */
	i = ferry_trace_find(&f.trace, "src/utils/fmt.js");
	assert_true(i >= 0);
	assert_string_equal(f.trace.items[i].why, "require('#utils/fmt')");
	assert_int_equal(f.trace.items[i].line, 2);
	assert_string_equal(f.trace.items[f.trace.items[i].parent].name,
			    "src/self.js");

	i = ferry_trace_find(&f.trace, "node_modules/native-pkg/src/addon.cc");
	assert_true(i >= 0);
	assert_string_equal(f.trace.items[i].why,
			    "native addon: package kept whole");

	/* a file of a package kept whole is still followed when reached */
	got = explain(&f.trace, "node_modules/native-dep/index.js");
	assert_string_equal(got,
			    "src/handler.js:16 require('native-pkg')\n"
			    " -> node_modules/native-pkg/index.js native addon: "
			    "package kept whole\n"
			    " -> node_modules/native-pkg/lib/helper.js:1 "
			    "require('native-dep')\n"
			    " -> node_modules/native-dep/index.js\n");
	free(got);

	got = explain(&f.trace, "node_modules/esm-only/lib/v4.js");
	assert_string_equal(got,
			    "src/handler.js:14 require('esm-only')\n"
			    " -> node_modules/esm-only/sync.js:1 export ... "
			    "from './lib/v4.js'\n"
			    " -> node_modules/esm-only/lib/v4.js\n");
	free(got);
	got = explain(&f.trace, "node_modules/pkg-exports/esm/index.mjs");
	assert_string_equal(got,
			    "src/handler.js:26 import('./lazy.mjs')\n"
			    " -> src/lazy.mjs:2 import ... from 'pkg-exports'\n"
			    " -> node_modules/pkg-exports/esm/index.mjs\n");
	free(got);
	got = explain(&f.trace, "node_modules/dep-a/package.json");
	assert_string_equal(got,
			    "src/handler.js:8 require('#internal')\n"
			    " -> src/internal.js:1 require('#dep')\n"
			    " -> node_modules/dep-a/index.js package.json of "
			    "a reached package\n"
			    " -> node_modules/dep-a/package.json\n");
	free(got);
	got = explain(&f.trace, "src/handler.js");
	assert_string_equal(got, "src/handler.js (handler)\n");
	free(got);
	teardown_fixture(&f);
}

static void test_node18_has_no_module_sync(void **state)
{
	struct fixture f;
	char *got;

	(void)state;
	setup_fixture(&f, "proj", "src/handler.js", "nodejs18");
	assert_int_equal(ferry_trace_node(&f.trace, &f.cfg, &f.fn, &f.err), 0);
	/* Node 18 cannot require() an ESM-only package */
	assert_int_equal(ferry_trace_find(&f.trace,
					  "node_modules/esm-only/sync.js"), -1);
	assert_int_equal(ferry_trace_find(&f.trace,
					  "node_modules/esm-only/index.js"), -1);
	got = warnings(&f.trace);
	assert_non_null(strstr(got, "cannot resolve 'esm-only' from "
				    "src/handler.js:14\n"));
	free(got);
	assert_true(ferry_trace_find(&f.trace,
				     "node_modules/pkg-exports/cjs/index.js")
		    >= 0);
	teardown_fixture(&f);
}

static void test_monorepo_and_external(void **state)
{
	struct fixture f;
	char *got;

	(void)state;
	setup_fixture(&f, "mono/services/api", "src/h.js", "nodejs22");
	assert_int_equal(ferry_trace_node(&f.trace, &f.cfg, &f.fn, &f.err), 0);
	got = names(&f.trace);
	assert_string_equal(got,
			    "node_modules/@aws-sdk/client-s3/dist/index.js\n"
			    "node_modules/@aws-sdk/client-s3/package.json\n"
			    "node_modules/hoisted/main.js\n"
			    "node_modules/hoisted/package.json\n"
			    "package.json\n"
			    "src/h.js\n");
	free(got);
	ferry_trace_release(&f.trace);

	/* package.external leaves the AWS SDK out, with no warning */
	assert_int_equal(ferry_strvec_push(&f.fn.package.external,
					   "@aws-sdk/*"), 0);
	assert_int_equal(ferry_trace_node(&f.trace, &f.cfg, &f.fn, &f.err), 0);
	got = names(&f.trace);
	assert_string_equal(got,
			    "node_modules/hoisted/main.js\n"
			    "node_modules/hoisted/package.json\n"
			    "package.json\n"
			    "src/h.js\n");
	free(got);
	assert_int_equal(f.trace.warnings.nr, 0);
	teardown_fixture(&f);
}

static void test_missing_handler(void **state)
{
	struct fixture f;

	(void)state;
	setup_fixture(&f, "proj", "src/nothere.js", "nodejs20");
	assert_int_equal(ferry_trace_node(&f.trace, &f.cfg, &f.fn, &f.err),
			 FERRY_ENOTFOUND);
	assert_non_null(strstr(f.err.msg, "src/nothere.js"));
	teardown_fixture(&f);
}

static void test_trace_record(void **state)
{
	struct ferry_trace t;
	struct ferry_buf b = FERRY_BUF_INIT;
	long a = -2, c = -2, again = -2;

	(void)state;
	ferry_trace_init(&t);
	assert_int_equal(ferry_trace_add(&t, "a.js", "/p/a.js", -1, 0,
					 "handler", &a), 0);
	assert_int_equal(ferry_trace_add(&t, "c.js", "/p/c.js", a, 7,
					 "require('./c')", &c), 0);
	assert_int_equal(ferry_trace_add(&t, "c.js", "/other", -1, 1, "x",
					 &again), 0);
	assert_int_equal(a, 0);
	assert_int_equal(c, 1);
	assert_int_equal(again, 1);
	assert_int_equal(t.nr, 2);
	assert_string_equal(t.items[1].source, "/p/c.js");
	assert_int_equal(ferry_trace_find(&t, "c.js"), 1);
	assert_int_equal(ferry_trace_find(&t, "b.js"), -1);
	assert_int_equal(ferry_trace_explain(&b, &t, c), 0);
	assert_string_equal(b.buf, "a.js:7 require('./c')\n -> c.js\n");
	ferry_buf_release(&b);
	ferry_trace_release(&t);
	assert_int_equal(t.nr, 0);
	ferry_trace_release(NULL);
}

/*
 * A package the lockfile marks dev-only is never traced, even when a
 * production package requires it (debug's optional supports-color): a
 * production install would not have it.
 */
static void test_lockfile_dev_only_left_out(void **state)
{
	struct fixture f;
	char *got;

	(void)state;
	setup_fixture(&f, "devlock", "src/h.js", "nodejs20");
	assert_int_equal(ferry_trace_node(&f.trace, &f.cfg, &f.fn, &f.err), 0);
	got = names(&f.trace);
	assert_non_null(strstr(got, "node_modules/prod-a/index.js\n"));
	assert_null(strstr(got, "dev-b"));
	free(got);
	teardown_fixture(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_project_node20),
		cmocka_unit_test(test_node18_has_no_module_sync),
		cmocka_unit_test(test_monorepo_and_external),
		cmocka_unit_test(test_missing_handler),
		cmocka_unit_test(test_trace_record),
		cmocka_unit_test(test_lockfile_dev_only_left_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
