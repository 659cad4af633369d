/*
 * test_lazy.c - loading a library on first use (core/lazy.c): libc by its
 * soname with strlen resolved and called, a missing library that fails
 * once and then fast, and a missing symbol named in the error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ferry/lazy.h"

static size_t (*p_strlen)(const char *);
static int (*p_strcmp)(const char *, const char *);

static void test_loads_libc_and_calls_strlen(void **state)
{
	const struct ferry_lazy_sym syms[] = {
		{ "strlen", (void **)&p_strlen },
		{ "strcmp", (void **)&p_strcmp },
		{ NULL, NULL },
	};
	struct ferry_lazy_lib lib = { "libc.so.6", syms, 0, NULL };
	struct ferry_error err;

	(void)state;
	p_strlen = NULL;
	ferry_error_init(&err);
	assert_int_equal(ferry_lazy_load(&lib, &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(lib.state, 1);
	assert_non_null(lib.handle);
	assert_non_null(p_strlen);
	assert_int_equal(p_strlen("serverless"), 10);
	assert_int_equal(p_strlen(""), 0);
	assert_int_equal(p_strcmp("a", "a"), 0);
	assert_true(p_strcmp("a", "b") < 0);

	/* once loaded, later calls return at once and keep the slots */
	p_strlen = NULL;
	assert_int_equal(ferry_lazy_load(&lib, &err), 0);
	assert_null(p_strlen);
	assert_int_equal(ferry_lazy_load(&lib, NULL), 0);
}

static void test_missing_library(void **state)
{
	void *slot = NULL;
	const struct ferry_lazy_sym syms[] = {
		{ "anything", &slot },
		{ NULL, NULL },
	};
	struct ferry_lazy_lib lib = { "libferry-no-such.so.7", syms, 0, NULL };
	struct ferry_error err;

	(void)state;
	ferry_error_init(&err);
	assert_int_equal(ferry_lazy_load(&lib, &err), FERRY_EFAIL);
	assert_int_equal(err.code, FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "'libferry-no-such.so.7'"));
	assert_non_null(strstr(err.msg, "install"));
	assert_int_equal(lib.state, -1);
	assert_null(lib.handle);
	assert_null(slot);

	/* the second call fails at once, still naming the library */
	ferry_error_init(&err);
	assert_int_equal(ferry_lazy_load(&lib, &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "'libferry-no-such.so.7'"));
	assert_int_equal(lib.state, -1);
	assert_int_equal(ferry_lazy_load(&lib, NULL), FERRY_EFAIL);
}

static void test_missing_symbol(void **state)
{
	void *len = NULL, *nope = NULL;
	const struct ferry_lazy_sym syms[] = {
		{ "strlen", &len },
		{ "ferry_no_such_symbol_v9", &nope },
		{ NULL, NULL },
	};
	struct ferry_lazy_lib lib = { "libc.so.6", syms, 0, NULL };
	struct ferry_error err;

	(void)state;
	ferry_error_init(&err);
	assert_int_equal(ferry_lazy_load(&lib, &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "'ferry_no_such_symbol_v9'"));
	assert_non_null(strstr(err.msg, "'libc.so.6'"));
	assert_int_equal(lib.state, -1);
	assert_null(nope);
	/* and it does not pretend to be loaded afterwards */
	ferry_error_init(&err);
	assert_int_equal(ferry_lazy_load(&lib, &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "'libc.so.6'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads_libc_and_calls_strlen),
		cmocka_unit_test(test_missing_library),
		cmocka_unit_test(test_missing_symbol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
