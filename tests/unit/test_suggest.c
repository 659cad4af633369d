/*
 * test_suggest.c - "did you mean" (core/suggest.c): the edit distance with
 * transpositions, and suggestions for typical typos of commands, keys and
 * runtimes, unique prefixes, and none for unrelated words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ferry/suggest.h"

static void test_edit_distance(void **state)
{
	static const struct {
		const char *a, *b;
		size_t want;
	} cases[] = {
		{ "", "", 0 },
		{ "abc", "", 3 },
		{ "", "abcd", 4 },
		{ "deploy", "deploy", 0 },
		{ "deplyo", "deploy", 1 },	/* transposition */
		{ "ab", "ba", 1 },
		{ "fucntions", "functions", 1 },
		{ "kitten", "sitting", 3 },
		{ "flaw", "lawn", 2 },
		{ "ca", "abc", 3 },	/* optimal string alignment, not full DL */
		{ "nodejs20.x", "nodejs20", 2 },
		{ "memroy", "memory", 1 },
		{ "timeout", "timeuot", 1 },
		{ "abc", "xyz", 3 },
		{ "Deploy", "deploy", 1 },	/* bytes: case matters */
	};
	size_t i, got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = ferry_edit_distance(cases[i].a, cases[i].b);
		if (got != cases[i].want)
			fail_msg("'%s' -> '%s': %zu, want %zu", cases[i].a,
				 cases[i].b, got, cases[i].want);
		/* symmetric */
		assert_int_equal(ferry_edit_distance(cases[i].b, cases[i].a),
				 cases[i].want);
	}
}

static void test_edit_distance_long_words(void **state)
{
	char a[300], b[300];

	(void)state;
	memset(a, 'a', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[0] = 'b';
	/* over 256 bytes: no matrix, the longer length */
	assert_int_equal(ferry_edit_distance(a, b), 299);
	assert_int_equal(ferry_edit_distance(a, "x"), 299);
	a[256] = '\0';
	b[256] = '\0';
	assert_int_equal(ferry_edit_distance(a, b), 1);
}

static const char *const commands[] = {
	"deploy", "destroy", "invoke", "logs", "rollback", "releases", "init",
	"version", "functions", "local", NULL,
};

static const char *const runtimes[] = {
	"nodejs18", "nodejs20", "nodejs22", "python3.11", "python3.12",
	"provided", NULL,
};

static const char *const keys[] = {
	"service", "provider", "functions", "memory", "timeout", "runtime",
	"handler", "environment", NULL,
};

static void test_suggest_table(void **state)
{
	static const struct {
		const char *word;
		const char *const *from;
		const char *want;	/* NULL: no suggestion */
	} cases[] = {
		{ "deplyo", commands, "deploy" },
		{ "depoly", commands, "deploy" },
		{ "fucntions", commands, "functions" },
		{ "functon", commands, "functions" },
		{ "invok", commands, "invoke" },
		{ "rollbak", commands, "rollback" },
		{ "deploy", commands, "deploy" },
		{ "nodejs20.x", runtimes, "nodejs20" },
		{ "nodejs22.x", runtimes, "nodejs22" },
		{ "pyhton3.12", runtimes, "python3.12" },
		{ "memroy", keys, "memory" },
		{ "timout", keys, "timeout" },
		{ "enviroment", keys, "environment" },
		{ "handlr", keys, "handler" },
		/* unrelated words */
		{ "banana", commands, NULL },
		{ "xyz", commands, NULL },
		{ "ruby3.3", runtimes, NULL },
		{ "java21", runtimes, NULL },
		{ "colour", keys, NULL },
		/* a prefix of exactly one candidate */
		{ "rol", commands, "rollback" },
		{ "env", keys, "environment" },
		{ "ver", commands, "version" },
		/* a prefix of several is too vague */
		{ "de", commands, NULL },
		{ "py", runtimes, NULL },
		{ "", commands, NULL },
	};
	const char *got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = ferry_suggest(cases[i].word, cases[i].from);
		if ((got == NULL) != (cases[i].want == NULL) ||
		    (got && strcmp(got, cases[i].want)))
			fail_msg("'%s': '%s', want '%s'", cases[i].word,
				 got ? got : "(none)",
				 cases[i].want ? cases[i].want : "(none)");
	}
}

static void test_suggest_borrows_and_edges(void **state)
{
	static const char *const one[] = { "stage", NULL };
	static const char *const none[] = { NULL };

	(void)state;
	/* the result points into the candidate list */
	assert_ptr_equal(ferry_suggest("stag", one), one[0]);
	assert_ptr_equal(ferry_suggest("deplyo", commands), commands[0]);
	assert_null(ferry_suggest("stage", none));
	assert_null(ferry_suggest("stage", NULL));
	/* the closest candidate wins over a farther one listed earlier */
	assert_string_equal(ferry_suggest("nodejs21", runtimes), "nodejs20");
	assert_string_equal(ferry_suggest("python3.2", runtimes), "python3.12");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edit_distance),
		cmocka_unit_test(test_edit_distance_long_words),
		cmocka_unit_test(test_suggest_table),
		cmocka_unit_test(test_suggest_borrows_and_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
