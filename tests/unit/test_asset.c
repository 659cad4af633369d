/*
 * test_asset.c - look-up of embedded files (core/asset.c) in a small
 * hand-made table: found by exact name, missing names, a NULL table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ferry/asset.h"

static const unsigned char node_data[] = "// node runner\n";
static const unsigned char py_data[] = "# python runner\n";
static const unsigned char empty_data[] = "";

static const struct ferry_asset table[] = {
	{ "runner.js", node_data, sizeof(node_data) - 1 },
	{ "runner.py", py_data, sizeof(py_data) - 1 },
	{ "empty.txt", empty_data, 0 },
	{ NULL, NULL, 0 },
};

static void test_find(void **state)
{
	const struct ferry_asset *a;

	(void)state;
	a = ferry_asset_find(table, "runner.py");
	assert_ptr_equal(a, &table[1]);
	assert_string_equal((const char *)a->data, "# python runner\n");
	assert_int_equal(a->len, 16);
	a = ferry_asset_find(table, "runner.js");
	assert_ptr_equal(a, &table[0]);
	assert_int_equal(a->len, strlen((const char *)a->data));
	a = ferry_asset_find(table, "empty.txt");
	assert_ptr_equal(a, &table[2]);
	assert_int_equal(a->len, 0);
}

static void test_missing(void **state)
{
	static const struct ferry_asset only_end[] = { { NULL, NULL, 0 } };

	(void)state;
	assert_null(ferry_asset_find(table, "runner.rb"));
	assert_null(ferry_asset_find(table, "runner"));	/* no prefix match */
	assert_null(ferry_asset_find(table, "runner.js "));
	assert_null(ferry_asset_find(table, "RUNNER.JS"));
	assert_null(ferry_asset_find(table, ""));
	assert_null(ferry_asset_find(only_end, "runner.js"));
}

static void test_null_table(void **state)
{
	(void)state;
	assert_null(ferry_asset_find(NULL, "runner.js"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_null_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
