/*
 * test_cancel.c - the cancellation flag (core/cancel.c): nothing to report
 * before a request, FERRY_EINTR "interrupted" after it. The flag is
 * process-wide and cannot be reset, so the test that raises it runs last.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ferry/cancel.h"

static void test_nothing_before_request(void **state)
{
	struct ferry_error err;

	(void)state;
	ferry_error_init(&err);
	assert_int_equal(ferry_cancelled(), 0);
	assert_int_equal(ferry_cancel_check(&err), 0);
	assert_int_equal(ferry_cancel_check(NULL), 0);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
}

/* Must stay last: it raises the process-wide flag for good. */
static void test_interrupted_after_request(void **state)
{
	struct ferry_error err;

	(void)state;
	ferry_cancel_request();
	assert_int_equal(ferry_cancelled(), 1);
	ferry_error_init(&err);
	assert_int_equal(ferry_cancel_check(&err), FERRY_EINTR);
	assert_int_equal(err.code, FERRY_EINTR);
	assert_string_equal(err.msg, "interrupted");
	assert_int_equal(ferry_error_exit_code(err.code), 130);
	/* it stays requested; a repeated request changes nothing */
	ferry_cancel_request();
	assert_int_equal(ferry_cancelled(), 1);
	assert_int_equal(ferry_cancel_check(NULL), FERRY_EINTR);
	/* an earlier, more specific error is kept */
	ferry_error_init(&err);
	ferry_error_set(&err, FERRY_EFAIL, "upload of 'a.zip' failed");
	assert_int_equal(ferry_cancel_check(&err), FERRY_EINTR);
	assert_string_equal(err.msg, "upload of 'a.zip' failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_before_request),
		cmocka_unit_test(test_interrupted_after_request),	/* last */
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
