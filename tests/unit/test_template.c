/*
 * test_template.c - core/template.c: {{variable}} rendering (errors with
 * file:line, the \{{ escape, text that only looks like a placeholder),
 * ferry-template.yaml, service-name defaults, ferry_template_is_git for
 * every source form, and the embedded built-in templates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ferry/template.h"

static int render(const char *in, struct ferry_buf *out, struct ferry_error *err)
{
	struct ferry_strvec vars = FERRY_STRVEC_INIT;
	int rc;

	assert_int_equal(ferry_strvec_push(&vars, "service=shop"), 0);
	assert_int_equal(ferry_strvec_push(&vars, "stage=dev"), 0);
	assert_int_equal(ferry_strvec_push(&vars, "stage=prod"), 0); /* last wins */
	assert_int_equal(ferry_strvec_push(&vars, "empty="), 0);
	ferry_error_init(err);
	rc = ferry_template_render(out, in, strlen(in), &vars, "src/a.js", err);
	ferry_strvec_release(&vars);
	return rc;
}

static void test_render(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "", "" },
		{ "no braces", "no braces" },
		{ "service: {{service}}\n", "service: shop\n" },
		{ "{{ service }}-{{\tstage\t}}", "shop-prod" },
		{ "[{{empty}}]", "[]" },
		{ "\\{{service}} stays", "{{service}} stays" },
		{ "\\{ a \\{{ not a var", "\\{ a \\{{ not a var" },
		{ "f\"{{{{x}}}}\" {{}} {{ 1x }} {{a b}}", "f\"{{{{x}}}}\" {{}} {{ 1x }} {{a b}}" },
		{ "d = {{'a': 1}}", "d = {{'a': 1}}" },
		{ "{{service", "{{service" },
		{ "/\\{{2}/", "/\\{{2}/" },
		{ "{{service}}{{service}}", "shopshop" },
		{ "f\"{{{service}}}\"", "f\"{{{service}}}\"" },
		{ "{{service}}}", "{{service}}}" },
	};
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ferry_buf_reset(&out);
		assert_int_equal(render(cases[i].in, &out, &err), 0);
		assert_string_equal(out.buf, cases[i].want);
	}
	ferry_buf_release(&out);
}

static void test_render_unknown_variable(void **state)
{
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_error err;

	(void)state;
	assert_int_equal(ferry_buf_addstr(&out, "kept"), 0);
	assert_int_equal(render("a\nb {{service}}\nc\n  {{ region }} x\n", &out, &err),
			 FERRY_ECONFIG);
	assert_non_null(strstr(err.msg, "src/a.js:4: unknown template variable 'region'"));
	assert_string_equal(out.buf, "kept");	/* nothing appended */
	ferry_buf_release(&out);
}

static void test_meta(void **state)
{
	static const char yaml[] =
		"description: A thing\n"
		"variables:\n"
		"  greeting: hello\n"
		"  port: 8080\n"
		"  region: { required: true }\n"
		"render: [\"*.js\", \"ferry.yaml\"]\n";
	struct ferry_template_meta m;
	struct ferry_error err;

	(void)state;
	ferry_template_meta_init(&m);
	ferry_error_init(&err);
	assert_int_equal(ferry_template_meta_parse(&m, yaml, strlen(yaml),
						   "ferry-template.yaml", &err), 0);
	assert_string_equal(m.description, "A thing");
	assert_int_equal(m.declares_vars, 1);
	assert_int_equal(m.nr_vars, 3);
	assert_string_equal(m.vars[0].name, "greeting");
	assert_string_equal(m.vars[0].def, "hello");
	assert_string_equal(m.vars[1].def, "8080");
	assert_null(m.vars[2].def);
	assert_int_equal(m.vars[2].required, 1);
	assert_int_equal(m.render.nr, 2);
	ferry_template_meta_release(&m);

	ferry_error_init(&err);
	assert_int_equal(ferry_template_meta_parse(&m, "descripton: x\n", 14,
						   "t.yaml", &err), FERRY_ECONFIG);
	assert_non_null(strstr(err.msg, "t.yaml: unknown key 'descripton'"));
	ferry_template_meta_release(&m);

	ferry_error_init(&err);
	assert_int_equal(ferry_template_meta_parse(&m, "a: [\n", 5, "t.yaml", &err),
			 FERRY_ECONFIG);
	assert_non_null(strstr(err.msg, "t.yaml:"));
	ferry_template_meta_release(&m);
}

static void test_service_name(void **state)
{
	static const struct {
		const char *dir, *want;
	} cases[] = {
		{ "/x/my-app", "my-app" },
		{ "/x/My App/", "my-app" },
		{ "/x/My__Cool..App", "my-cool-app" },
		{ "/x/42things", "things" },
		{ "/x/---", "app" },
		{ "/x/Ünïcode", "n-code" },
		{ "/x/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
		{ "/x/abc-", "abc" },
	};
	struct ferry_error err;
	char *got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ferry_error_init(&err);
		assert_int_equal(ferry_template_service_name(&got, cases[i].dir, &err), 0);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

static void test_is_git(void **state)
{
	static const struct {
		const char *spec;
		int want;
	} cases[] = {
		{ "https://github.com/o/r", 1 },
		{ "https://github.com/o/r.git#v1//sub/dir", 1 },
		{ "http://127.0.0.1:8080/r.git", 1 },
		{ "git://127.0.0.1/r", 1 },
		{ "ssh://git@host:22/o/r.git", 1 },
		{ "file:///tmp/repo", 1 },
		{ "git@github.com:o/r.git", 1 },
		{ "me@host:r#main//t", 1 },
		{ "gh:owner/repo", 1 },
		{ "gh:owner/repo#v2//templates/x", 1 },
		{ "node-http", 0 },
		{ "./tpl", 0 },
		{ "/abs/tpl", 0 },
		{ "../x@y:z", 0 },
		{ "dir/a@b:c", 0 },
		{ "gh:", 0 },
		{ "gh:owner", 0 },
		{ "gh:owner/", 0 },
		{ "gh:/repo", 0 },
		{ "https://", 0 },
		{ "@host:path", 0 },
		{ "user@:path", 0 },
		{ "user@host:", 0 },
		{ "c:/windows", 0 },
		{ "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (ferry_template_is_git(cases[i].spec) != cases[i].want)
			fail_msg("is_git('%s') should be %d", cases[i].spec,
				 cases[i].want);
	assert_int_equal(ferry_template_is_git(NULL), 0);
}

static void test_builtins(void **state)
{
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	struct ferry_error err;
	char *desc = NULL;
	size_t i;

	(void)state;
	ferry_error_init(&err);
	assert_int_equal(ferry_template_builtin_names(&names, &err), 0);
	assert_int_equal(names.nr, 5);
	assert_string_equal(names.items[0], "node-http");
	assert_string_equal(names.items[4], "python-worker");
	for (i = 0; i < names.nr; i++) {
		assert_int_equal(ferry_template_builtin_exists(names.items[i]), 1);
		assert_int_equal(ferry_template_builtin_description(&desc,
			names.items[i], &err), 0);
		assert_true(strlen(desc) > 10);
		free(desc);
	}
	assert_int_equal(ferry_template_builtin_exists(FERRY_TEMPLATE_DEFAULT), 1);
	assert_int_equal(ferry_template_builtin_exists("node"), 0);
	assert_int_equal(ferry_template_builtin_exists("node-http/src"), 0);
	assert_int_equal(ferry_template_builtin_exists(""), 0);
	assert_int_equal(ferry_template_builtin_description(&desc, "nope", &err),
			 FERRY_ENOTFOUND);
	ferry_strvec_release(&names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_unknown_variable),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_service_name),
		cmocka_unit_test(test_is_git),
		cmocka_unit_test(test_builtins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
