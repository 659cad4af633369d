/*
 * test_vars.c - ${...} variable resolution on jansson documents: every
 * source, typing, defaults, literals, errors with their exact messages,
 * cycles, the bounds, ${file()} confinement and sharing of unchanged
 * values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ferry/buf.h"
#include "ferry/error.h"
#include "ferry/fs.h"
#include "ferry/git.h"
#include "ferry/vars.h"

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

/* Every string is at line 7, column 3 of "test.yaml". */
static void where7(void *data, const struct json_t *s, int *line, int *col)
{
	(void)data;
	(void)s;
	*line = 7;
	*col = 3;
}

/* A stand-in YAML reader: the tests' YAML files are JSON documents. */
static int parse_as_json(void *data, const char *name, const char *bytes,
			 size_t len, json_t **out, struct ferry_error *err)
{
	json_error_t e;

	(void)data;
	*out = json_loadb(bytes, len, 0, &e);
	if (!*out)
		return ferry_error_set(err, FERRY_ECONFIG, "%s: not JSON", name);
	return 0;
}

struct run {
	struct ferry_vars v;
	struct ferry_error err;
	json_t *doc, *out;
	int rc;
};

static void run_with(struct run *r, const char *doc, const char *dir,
		     const char *provider)
{
	memset(r, 0, sizeof(*r));
	ferry_vars_init(&r->v);
	ferry_error_init(&r->err);
	r->v.dir = dir ? dir : ".";
	r->v.file = "test.yaml";
	r->v.stage = "dev";
	r->v.provider = provider;
	r->v.where = where7;
	r->v.parse_yaml = parse_as_json;
	r->doc = parse(doc);
	r->rc = ferry_vars_resolve(&r->out, &r->v, r->doc, &r->err);
}

static void run_done(struct run *r)
{
	if (!r->rc)
		json_decref(r->out);
	json_decref(r->doc);
	ferry_vars_release(&r->v);
}

/* Resolve `doc` and expect success with JSON `want` (compared as data). */
static void expect(const char *doc, const char *want)
{
	struct run r;
	json_t *w = parse(want);

	run_with(&r, doc, NULL, NULL);
	if (r.rc)
		fail_msg("%s: unexpected error: %s", doc, r.err.msg);
	if (!json_equal(r.out, w)) {
		char *got = json_dumps(r.out, JSON_COMPACT);

		fail_msg("%s:\n  expected %s\n  got      %s", doc, want, got);
	}
	json_decref(w);
	run_done(&r);
}

static void expect_error(const char *doc, const char *msg)
{
	struct run r;

	run_with(&r, doc, NULL, NULL);
	if (r.rc != FERRY_ECONFIG || strcmp(r.err.msg, msg))
		fail_msg("%s:\n  expected error %s\n  got (%d) %s", doc, msg,
			 r.rc, r.err.msg);
	run_done(&r);
}

static void test_typing_and_interpolation(void **state)
{
	(void)state;
	setenv("FERRY_T_SET", "from-env", 1);
	unsetenv("FERRY_T_UNSET");
	/* one whole variable keeps the referenced type */
	expect("{\"n\": 5, \"a\": \"${self:n}\"}", "{\"n\": 5, \"a\": 5}");
	expect("{\"m\": {\"k\": [1, 2]}, \"a\": \"${self:m}\"}",
	       "{\"m\": {\"k\": [1, 2]}, \"a\": {\"k\": [1, 2]}}");
	expect("{\"m\": [\"x\", \"y\"], \"a\": \"${self:m.1}\"}",
	       "{\"m\": [\"x\", \"y\"], \"a\": \"y\"}");
	/* inside text every value is formatted */
	expect("{\"n\": 5, \"r\": 1.5, \"b\": true, \"a\": \"${self:n}/"
	       "${self:r}/${self:b}/${stage}/${opt:stage}\"}",
	       "{\"n\": 5, \"r\": 1.5, \"b\": true, \"a\": \"5/1.5/true/dev/"
	       "dev\"}");
	expect("{\"a\": \"x-${env:FERRY_T_SET}\"}",
	       "{\"a\": \"x-from-env\"}");
	/* self references resolve what they point at, in any order */
	expect("{\"a\": \"${self:b}!\", \"b\": \"${self:c}\", \"c\": \"end\"}",
	       "{\"a\": \"end!\", \"b\": \"end\", \"c\": \"end\"}");
	/* keys are never resolved */
	expect("{\"${stage}\": 1}", "{\"${stage}\": 1}");
}

static void test_defaults(void **state)
{
	(void)state;
	unsetenv("FERRY_T_UNSET");
	expect("{\"a\": \"${env:FERRY_T_UNSET, fallback}\"}",
	       "{\"a\": \"fallback\"}");
	/* unquoted defaults are typed like plain YAML, quoted ones are text */
	expect("{\"a\": \"${env:FERRY_T_UNSET, 42}\", \"b\": "
	       "\"${env:FERRY_T_UNSET, '42'}\", \"c\": \"${env:FERRY_T_UNSET, "
	       "true}\"}", "{\"a\": 42, \"b\": \"42\", \"c\": true}");
	expect("{\"a\": \"${env:FERRY_T_UNSET, 'a, b'}\", \"b\": "
	       "\"${env:FERRY_T_UNSET, \\\"c}d\\\"}\"}",
	       "{\"a\": \"a, b\", \"b\": \"c}d\"}");
	/* defaults may hold variables, quoted or not */
	expect("{\"n\": 5, \"a\": \"${env:FERRY_T_UNSET, ${self:n}}\", \"b\": "
	       "\"${env:FERRY_T_UNSET, 'p-${stage}'}\", \"c\": "
	       "\"${env:FERRY_T_UNSET, ${env:FERRY_T_UNSET, deep}}\"}",
	       "{\"n\": 5, \"a\": 5, \"b\": \"p-dev\", \"c\": \"deep\"}");
	/* a missing self path or an empty value takes the default */
	expect("{\"e\": null, \"a\": \"${self:nope.x, d1}\", \"b\": "
	       "\"${self:e, d2}\"}",
	       "{\"e\": null, \"a\": \"d1\", \"b\": \"d2\"}");
	/* the address itself may be built from variables */
	expect("{\"dev\": {\"size\": 3}, \"a\": \"${self:${stage}.size}\"}",
	       "{\"dev\": {\"size\": 3}, \"a\": 3}");
}

static void test_literals(void **state)
{
	(void)state;
	expect("{\"a\": \"$${stage} costs $5 $\", \"b\": \"$$${stage}\"}",
	       "{\"a\": \"${stage} costs $5 $\", \"b\": \"$${stage}\"}");
}

static void test_provider(void **state)
{
	struct run r;

	(void)state;
	/* not forced: the document's provider, else local */
	expect("{\"provider\": \"aws\", \"a\": \"${provider}\"}",
	       "{\"provider\": \"aws\", \"a\": \"aws\"}");
	expect("{\"a\": \"${provider}/${opt:provider}\"}",
	       "{\"a\": \"local/local\"}");
	/* forced by -p */
	run_with(&r, "{\"provider\": \"aws\", \"a\": \"${provider}\"}", NULL,
		 "gcp");
	assert_int_equal(r.rc, 0);
	assert_string_equal(json_string_value(json_object_get(r.out, "a")),
			    "gcp");
	run_done(&r);
}

static void test_errors(void **state)
{
	(void)state;
	unsetenv("FERRY_T_UNSET");
	expect_error("{\"a\": \"${foo:bar}\"}", "test.yaml:7:3: unknown "
		     "variable source 'foo' in '${foo:bar}'; allowed: env, "
		     "opt, self, file, git, stage, provider (write "
		     "'$${foo:bar}' for a literal text)");
	expect_error("{\"a\": \"${slef:x}\"}", "test.yaml:7:3: unknown "
		     "variable source 'slef' in '${slef:x}'; allowed: env, "
		     "opt, self, file, git, stage, provider (did you mean "
		     "'self'?)");
	expect_error("{\"a\": \"${env:FERRY_T_UNSET}\"}", "test.yaml:7:3: "
		     "variable '${env:FERRY_T_UNSET}' is unresolved "
		     "(environment variable 'FERRY_T_UNSET' is not set); set it "
		     "or give a default: '${env:FERRY_T_UNSET, value}'");
	expect_error("{\"a\": {\"b\": 1}, \"c\": \"${self:a.x}\"}",
		     "test.yaml:7:3: variable '${self:a.x}' is unresolved (no "
		     "'a.x' in the manifest); set it or give a default: "
		     "'${self:a.x, value}'");
	expect_error("{\"a\": \"x ${env:HOME\"}", "test.yaml:7:3: "
		     "unterminated variable '${env:HOME' (no closing '}'); "
		     "write ${source:name}, or '$${' for a literal '${'");
	expect_error("{\"a\": \"${}\"}", "test.yaml:7:3: empty variable "
		     "'${}'; write ${source:name}, sources: env, opt, self, "
		     "file, git, stage, provider");
	expect_error("{\"a\": \"${stage:x}\"}", "test.yaml:7:3: '${stage:x}' "
		     "takes no argument; write ${stage}");
	expect_error("{\"a\": \"${env:}\"}", "test.yaml:7:3: variable "
		     "'${env:}' has no name; write ${env:NAME}");
	expect_error("{\"m\": [1], \"a\": \"x${self:m}\"}", "test.yaml:7:3: "
		     "variable '${self:m}' is a list and cannot be part of a "
		     "longer string; use it as the whole value");
	expect_error("{\"a\": \"${file(x.yml}\"}", "test.yaml:7:3: malformed "
		     "file variable '${file(x.yml}'; write ${file(path)} or "
		     "${file(path):a.b}");
}

static void test_cycles(void **state)
{
	(void)state;
	expect_error("{\"a\": \"${self:b}\", \"b\": \"${self:c}\", \"c\": "
		     "\"${self:a}\"}", "test.yaml:7:3: variable cycle: "
		     "${self:b} -> ${self:c} -> ${self:a} -> ${self:b}; a value "
		     "cannot depend on itself");
	/* through a map that contains its own reference */
	expect_error("{\"m\": {\"x\": \"${self:m}\"}}", "test.yaml:7:3: "
		     "variable cycle: ${self:m} -> ${self:m}; a value cannot "
		     "depend on itself");
	/* through a default */
	expect_error("{\"a\": \"${env:FERRY_T_UNSET, ${self:a}}\"}",
		     "test.yaml:7:3: variable cycle: ${self:a} -> ${self:a}; "
		     "a value cannot depend on itself");
}

static void test_bounds(void **state)
{
	struct ferry_buf doc = FERRY_BUF_INIT, big = FERRY_BUF_INIT;
	struct run r;
	int i;

	(void)state;
	/* a chain of references deeper than FERRY_VARS_MAX_DEPTH (the
	 * deepest first: resolved values are memoised) */
	ferry_buf_addstr(&doc, "{");
	for (i = 40; i >= 1; i--)
		ferry_buf_addf(&doc, "\"v%d\": \"${self:v%d}\", ", i, i - 1);
	ferry_buf_addstr(&doc, "\"v0\": \"end\"}");
	run_with(&r, doc.buf, NULL, NULL);
	assert_int_equal(r.rc, FERRY_ECONFIG);
	assert_non_null(strstr(r.err.msg, "variables nest more than 32 "
			       "levels deep"));
	run_done(&r);

	/* a chain within the depth resolves */
	ferry_buf_reset(&doc);
	ferry_buf_addstr(&doc, "{");
	for (i = 20; i >= 1; i--)
		ferry_buf_addf(&doc, "\"v%d\": \"${self:v%d}\", ", i, i - 1);
	ferry_buf_addstr(&doc, "\"v0\": \"end\"}");
	run_with(&r, doc.buf, NULL, NULL);
	if (r.rc)
		fail_msg("%s", r.err.msg);
	assert_string_equal(json_string_value(json_object_get(r.out, "v20")),
			    "end");
	run_done(&r);

	/* doubling strings hit the size bound, not the memory */
	for (i = 0; i < 1024; i++)
		ferry_buf_addch(&big, 'x');
	ferry_buf_reset(&doc);
	ferry_buf_addf(&doc, "{\"d0\": \"%s\"", big.buf);
	for (i = 1; i <= 30; i++)
		ferry_buf_addf(&doc, ", \"d%d\": \"${self:d%d}${self:d%d}\"", i,
			       i - 1, i - 1);
	ferry_buf_addstr(&doc, "}");
	run_with(&r, doc.buf, NULL, NULL);
	assert_int_equal(r.rc, FERRY_ECONFIG);
	assert_non_null(strstr(r.err.msg, "a resolved string is longer than "
			       "1048576 bytes"));
	run_done(&r);

	/* many medium strings hit the total bound */
	ferry_buf_reset(&doc);
	ferry_buf_addf(&doc, "{\"d0\": \"%s\"", big.buf);
	for (i = 1; i <= 10; i++)
		ferry_buf_addf(&doc, ", \"d%d\": \"${self:d%d}${self:d%d}\"", i,
			       i - 1, i - 1);
	for (i = 0; i < 200; i++)	/* 200 x 512 KiB */
		ferry_buf_addf(&doc, ", \"c%d\": \"%d${self:d9}\"", i, i);
	ferry_buf_addstr(&doc, "}");
	run_with(&r, doc.buf, NULL, NULL);
	assert_int_equal(r.rc, FERRY_ECONFIG);
	assert_non_null(strstr(r.err.msg, "variables expand to more than "
			       "67108864 bytes in total"));
	run_done(&r);
	ferry_buf_release(&doc);
	ferry_buf_release(&big);
}

static void test_files(void **state)
{
	char *project = ferry_path_join(getenv("FERRY_TEST_DATA"),
					"manifests/project");
	char tmpl[] = "/tmp/ferry-vars-XXXXXX";
	struct ferry_error err;
	struct run r;
	char *link;

	(void)state;
	run_with(&r, "{\"a\": \"${file(data/settings.json):tags.team}\", "
		 "\"b\": \"${file(data/settings.json)}\", \"c\": "
		 "\"${file(data/settings.json):retries}\", \"d\": "
		 "\"${file(./data/missing.json), none}\"}", project, NULL);
	if (r.rc)
		fail_msg("%s", r.err.msg);
	assert_string_equal(json_string_value(json_object_get(r.out, "a")),
			    "core");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(r.out, "b"), "bucket")), "artifacts");
	assert_int_equal(json_integer_value(json_object_get(r.out, "c")), 3);
	assert_string_equal(json_string_value(json_object_get(r.out, "d")),
			    "none");
	run_done(&r);

	/* YAML files go through the parse_yaml callback; its errors are
	 * reported with the file (custom.yml is not JSON) */
	run_with(&r, "{\"a\": \"${file(data/custom.yml):nested.table}\"}",
		 project, NULL);
	assert_int_equal(r.rc, FERRY_ECONFIG);
	assert_string_equal(r.err.msg, "test.yaml:7:3: in file "
			    "'data/custom.yml' of ${file()}: data/custom.yml: "
			    "not JSON");
	run_done(&r);

	run_with(&r, "{\"a\": \"${file(/etc/hostname)}\"}", project, NULL);
	assert_string_equal(r.err.msg, "test.yaml:7:3: file path "
			    "'/etc/hostname' is absolute; ${file()} reads only "
			    "files inside the project directory, by a relative "
			    "path");
	run_done(&r);
	run_with(&r, "{\"a\": \"${file(data/../../x.json)}\"}", project,
		 NULL);
	assert_string_equal(r.err.msg, "test.yaml:7:3: file path "
			    "'data/../../x.json' leaves the project directory; "
			    "${file()} reads only files inside it");
	run_done(&r);
	run_with(&r, "{\"a\": \"${file(data/nothere.json)}\"}", project, NULL);
	assert_string_equal(r.err.msg, "test.yaml:7:3: variable "
			    "'${file(data/nothere.json)}' is unresolved (file "
			    "'data/nothere.json' not found in the project "
			    "directory); set it or give a default: "
			    "'${file(data/nothere.json), value}'");
	run_done(&r);

	/* a symbolic link out of the project is refused */
	assert_non_null(mkdtemp(tmpl));
	link = ferry_path_join(tmpl, "out.json");
	assert_int_equal(symlink("/etc/hostname", link), 0);
	run_with(&r, "{\"a\": \"${file(out.json)}\"}", tmpl, NULL);
	assert_string_equal(r.err.msg, "test.yaml:7:3: file path 'out.json' "
			    "leads outside the project directory (through a "
			    "symbolic link); ${file()} reads only files inside "
			    "it");
	run_done(&r);
	unlink(link);
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_remove_tree(tmpl, &err), 0);
	free(link);
	free(project);
}

static void test_git(void **state)
{
	const char *src = getenv("FERRY_SOURCE_DIR");
	struct ferry_git_head h;
	struct ferry_error err;
	char tmpl[] = "/tmp/ferry-vars-XXXXXX";
	struct run r;

	(void)state;
	assert_non_null(src);
	ferry_error_init(&err);
	assert_int_equal(ferry_git_head(&h, src, &err), 0);
	run_with(&r, "{\"a\": \"${git:sha}\"}", src, NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(json_string_value(json_object_get(r.out, "a")),
			    h.sha);
	run_done(&r);
	ferry_git_head_release(&h);

	/* outside a repository: unresolved, so the default applies */
	assert_non_null(mkdtemp(tmpl));
	run_with(&r, "{\"a\": \"${git:sha, nogit}\", \"b\": \"${git:branch, "
		 "none}\"}", tmpl, NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(json_string_value(json_object_get(r.out, "a")),
			    "nogit");
	run_done(&r);
	run_with(&r, "{\"a\": \"${git:sha}\"}", tmpl, NULL);
	assert_int_equal(r.rc, FERRY_ECONFIG);
	assert_non_null(strstr(r.err.msg, "variable '${git:sha}' is "
			       "unresolved ('"));
	assert_non_null(strstr(r.err.msg, "' is not inside a git repository)"));
	run_done(&r);
	rmdir(tmpl);
}

static void test_sharing(void **state)
{
	struct run r;

	(void)state;
	/* nothing to resolve: the very same document comes back */
	run_with(&r, "{\"a\": {\"b\": [1, \"x\"]}, \"c\": \"$5\"}", NULL,
		 NULL);
	assert_int_equal(r.rc, 0);
	assert_ptr_equal(r.out, r.doc);
	run_done(&r);
	/* unchanged parts are shared, changed ones are new */
	run_with(&r, "{\"a\": {\"b\": [1, \"x\"]}, \"c\": \"${stage}\"}", NULL,
		 NULL);
	assert_int_equal(r.rc, 0);
	assert_ptr_not_equal(r.out, r.doc);
	assert_ptr_equal(json_object_get(r.out, "a"),
			 json_object_get(r.doc, "a"));
	/* a second resolve with the same state is refused */
	{
		json_t *again = NULL;
		struct ferry_error e2;

		ferry_error_init(&e2);
		assert_int_equal(ferry_vars_resolve(&again, &r.v, r.doc, &e2),
				 FERRY_EFAIL);
	}
	run_done(&r);
	ferry_vars_release(NULL);
}

static void test_scalar_text(void **state)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	json_t *v;

	(void)state;
	v = json_real(0.1);
	assert_int_equal(ferry_vars_scalar_text(&b, v), 0);
	json_decref(v);
	ferry_buf_addch(&b, ' ');
	v = json_real(2.0);
	ferry_vars_scalar_text(&b, v);
	json_decref(v);
	ferry_buf_addch(&b, ' ');
	v = json_real(1e300);
	ferry_vars_scalar_text(&b, v);
	json_decref(v);
	ferry_buf_addch(&b, ' ');
	v = json_integer(-12);
	ferry_vars_scalar_text(&b, v);
	json_decref(v);
	ferry_buf_addch(&b, ' ');
	ferry_vars_scalar_text(&b, json_false());
	ferry_buf_addch(&b, ' ');
	ferry_vars_scalar_text(&b, json_null());
	assert_string_equal(b.buf, "0.1 2.0 1e+300 -12 false null");
	v = json_array();
	assert_int_equal(ferry_vars_scalar_text(&b, v), FERRY_ECONFIG);
	json_decref(v);
	ferry_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typing_and_interpolation),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_provider),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_git),
		cmocka_unit_test(test_sharing),
		cmocka_unit_test(test_scalar_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
