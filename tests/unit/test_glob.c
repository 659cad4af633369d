/*
 * test_glob.c - gitignore-style pattern matching: single patterns from a
 * table of (pattern, path, expected), and ordered lists with negation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ferry/glob.h"

struct glob_case {
	const char *pat;
	const char *path;
	int want;
};

static const struct glob_case cases[] = {
	/* basename patterns match at any depth */
	{ "*.js", "index.js", 1 },
	{ "*.js", "src/deep/a.js", 1 },
	{ "*.js", "src/a.json", 0 },
	{ "*.test.js", "src/a.test.js", 1 },
	{ "*.test.js", "src/a.js", 0 },
	{ "README.md", "docs/README.md", 1 },
	{ "README.md", "docs/README.mdx", 0 },
	/* a pattern naming a directory takes the tree below it */
	{ "node_modules", "node_modules/a/index.js", 1 },
	{ "node_modules", "lib/node_modules/a/x.js", 1 },
	{ "node_modules", "node_modules_x/a.js", 0 },
	{ "__pycache__/", "pkg/__pycache__/m.cpython-312.pyc", 1 },
	{ "dist/", "dist", 0 },		/* trailing '/': directories only */
	{ "dist/", "dist/app.js", 1 },
	/* '*' and '?' never cross '/' */
	{ "src/*.js", "src/a.js", 1 },
	{ "src/*.js", "src/sub/a.js", 0 },
	{ "src/?.js", "src/a.js", 1 },
	{ "src/?.js", "src/ab.js", 0 },
	{ "a?b", "a/b", 0 },
	/* an inner or leading '/' anchors at the root */
	{ "src/a.js", "lib/src/a.js", 0 },
	{ "/index.js", "index.js", 1 },
	{ "/index.js", "src/index.js", 0 },
	{ "/assets", "assets/logo.png", 1 },
	{ "/assets", "web/assets/logo.png", 0 },
	/* ** as a whole component */
	{ "**/*.md", "a.md", 1 },
	{ "**/*.md", "x/y/z/a.md", 1 },
	{ "assets/**", "assets/a/b/c.png", 1 },
	{ "assets/**", "assets", 0 },
	{ "assets/**", "other/assets/a.png", 0 },
	{ "a/**/b.txt", "a/b.txt", 1 },
	{ "a/**/b.txt", "a/x/y/b.txt", 1 },
	{ "a/**/b.txt", "a/x/y/c.txt", 0 },
	{ "node_modules/**/*.md", "node_modules/x/docs/README.md", 1 },
	{ "node_modules/**/*.md", "src/README.md", 0 },
	{ "**/test/**", "pkg/test/unit/a.js", 1 },
	{ "**/test/**", "pkg/tests/a.js", 0 },
	{ "**", "anything/at/all", 1 },
	/* ** inside a component is a plain '*' */
	{ "a**b", "axxb", 1 },
	{ "a**b", "ax/xb", 0 },
	/* classes */
	{ "[abc].js", "b.js", 1 },
	{ "[abc].js", "d.js", 0 },
	{ "[!abc].js", "d.js", 1 },
	{ "[!abc].js", "a.js", 0 },
	{ "[a-c]x", "bx", 1 },
	{ "[a-c]x", "dx", 0 },
	{ "[]]x", "]x", 1 },
	{ "[abc", "a", 0 },		/* unterminated class matches nothing */
	{ "src[/]a", "src/a", 0 },	/* a class never matches '/' */
	/* escapes */
	{ "\\*.js", "*.js", 1 },
	{ "\\*.js", "a.js", 0 },
	/* degenerate input */
	{ "", "a.js", 0 },
	{ "/", "a.js", 0 },
	{ "*.js", "", 0 },
	/* '@scope' names are plain characters */
	{ "node_modules/@scope/x/**", "node_modules/@scope/x/lib/i.js", 1 },
	{ "node_modules/@scope/x/**", "node_modules/@scope/y/lib/i.js", 0 },
};

static void test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = ferry_glob_match(cases[i].pat, cases[i].path);

		if (got != cases[i].want)
			fail_msg("pattern '%s' on '%s': got %d, want %d",
				 cases[i].pat, cases[i].path, got,
				 cases[i].want);
	}
}

static void push_all(struct ferry_strvec *v, const char *const *pats)
{
	for (; *pats; pats++)
		assert_int_equal(ferry_strvec_push(v, *pats), 0);
}

static void test_list_last_match_wins(void **state)
{
	static const char *const pats[] = {
		"**/*.md", "!docs/keep.md", "docs/keep.md.bak", NULL,
	};
	struct ferry_strvec v = FERRY_STRVEC_INIT;

	(void)state;
	push_all(&v, pats);
	assert_int_equal(ferry_glob_list_match(&v, "README.md"), 1);
	assert_int_equal(ferry_glob_list_match(&v, "docs/a.md"), 1);
	assert_int_equal(ferry_glob_list_match(&v, "docs/keep.md"), 0);
	assert_int_equal(ferry_glob_list_match(&v, "docs/keep.md.bak"), 1);
	assert_int_equal(ferry_glob_list_match(&v, "src/a.js"), 0);
	ferry_strvec_release(&v);
}

static void test_list_negation_order(void **state)
{
	/* a negation before the positive pattern is overridden by it */
	static const char *const pats[] = { "!a.js", "*.js", NULL };
	/* a file re-included from an excluded tree */
	static const char *const tree[] = {
		"node_modules", "!node_modules/x/LICENSE", NULL,
	};
	struct ferry_strvec v = FERRY_STRVEC_INIT, t = FERRY_STRVEC_INIT;

	(void)state;
	push_all(&v, pats);
	assert_int_equal(ferry_glob_list_match(&v, "a.js"), 1);
	push_all(&t, tree);
	assert_int_equal(ferry_glob_list_match(&t, "node_modules/x/i.js"), 1);
	assert_int_equal(ferry_glob_list_match(&t, "node_modules/x/LICENSE"), 0);
	ferry_strvec_release(&v);
	ferry_strvec_release(&t);
}

static void test_list_empty_and_escape(void **state)
{
	static const char *const pats[] = { "\\!important.txt", NULL };
	struct ferry_strvec v = FERRY_STRVEC_INIT;

	(void)state;
	assert_int_equal(ferry_glob_list_match(&v, "a.js"), 0);
	assert_int_equal(ferry_glob_list_match(NULL, "a.js"), 0);
	push_all(&v, pats);
	assert_int_equal(ferry_glob_list_match(&v, "!important.txt"), 1);
	assert_int_equal(ferry_glob_list_match(&v, "important.txt"), 0);
	ferry_strvec_release(&v);
}

static void test_long_path_is_refused_not_overflowed(void **state)
{
	char path[6000];

	(void)state;
	memset(path, 'a', sizeof(path) - 4);
	memcpy(path + sizeof(path) - 4, ".js", 4);
	assert_int_equal(ferry_glob_match("*.js", path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_list_last_match_wins),
		cmocka_unit_test(test_list_negation_order),
		cmocka_unit_test(test_list_empty_and_escape),
		cmocka_unit_test(test_long_path_is_refused_not_overflowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
