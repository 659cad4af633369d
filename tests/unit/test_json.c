/*
 * test_json.c - the JSON helpers: objects only, clear errors, appended text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/json.h"

static void test_object_parses(void **state)
{
	struct ferry_error err;
	json_t *doc = NULL;
	const char *text = "{\"release\": 3}";

	(void)state;
	ferry_error_init(&err);
	assert_int_equal(ferry_json_object(&doc, text, strlen(text), "live.json",
					   &err), 0);
	assert_int_equal(json_integer_value(json_object_get(doc, "release")), 3);
	json_decref(doc);
}

static void test_not_an_object_is_refused(void **state)
{
	struct ferry_error err;
	json_t *doc = (json_t *)0x1;

	(void)state;
	ferry_error_init(&err);
	assert_int_equal(ferry_json_object(&doc, "[1, 2]", 6, "live.json", &err),
			 FERRY_EFAIL);
	assert_string_equal(err.msg, "live.json is not a JSON object");
	assert_ptr_equal(doc, (json_t *)0x1);

	ferry_error_init(&err);
	assert_int_equal(ferry_json_object(&doc, "{\n\"a\": }", 8, "x.json", &err),
			 FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "x.json is not a JSON object: "));
	assert_non_null(strstr(err.msg, "(line 2)"));
	assert_ptr_equal(doc, (json_t *)0x1);
}

static void test_append_adds_text_and_newline(void **state)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	struct ferry_error err;
	json_t *v = json_pack("{s:i}", "release", 7);

	(void)state;
	ferry_error_init(&err);
	ferry_buf_addstr(&b, "x");
	assert_int_equal(ferry_json_append(&b, v, JSON_COMPACT, &err), 0);
	assert_string_equal(b.buf, "x{\"release\":7}\n");
	assert_int_equal(ferry_json_append(&b, NULL, 0, &err), FERRY_ENOMEM);
	json_decref(v);
	ferry_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object_parses),
		cmocka_unit_test(test_not_an_object_is_refused),
		cmocka_unit_test(test_append_adds_text_and_newline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
