/*
 * test_error.c - the error record (core/error.c): the first error wins, a
 * NULL record is allowed, errno messages (permission errors become
 * FERRY_EAUTH), and the documented exit code of every FERRY_E* code.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ferry/error.h"

static void test_init_is_empty(void **state)
{
	struct ferry_error err;

	(void)state;
	memset(&err, 'x', sizeof(err));
	ferry_error_init(&err);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
}

static void test_set_returns_code_and_formats(void **state)
{
	struct ferry_error err;

	(void)state;
	ferry_error_init(&err);
	assert_int_equal(ferry_error_set(&err, FERRY_ECONFIG,
					 "%s:%d:%d: unknown key '%s'",
					 "ferry.yaml", 3, 5, "memroy"),
			 FERRY_ECONFIG);
	assert_int_equal(err.code, FERRY_ECONFIG);
	assert_string_equal(err.msg, "ferry.yaml:3:5: unknown key 'memroy'");
}

static void test_first_error_wins(void **state)
{
	struct ferry_error err;

	(void)state;
	ferry_error_init(&err);
	assert_int_equal(ferry_error_set(&err, FERRY_ENOTFOUND, "inner '%s'", "a"),
			 FERRY_ENOTFOUND);
	/* later errors only return their code */
	assert_int_equal(ferry_error_set(&err, FERRY_EFAIL, "outer"), FERRY_EFAIL);
	assert_int_equal(ferry_error_errno(&err, FERRY_EAUTH, EACCES, "outer2"),
			 FERRY_EAUTH);
	assert_int_equal(err.code, FERRY_ENOTFOUND);
	assert_string_equal(err.msg, "inner 'a'");
	/* once cleared, a new error is recorded */
	ferry_error_clear(&err);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
	ferry_error_set(&err, FERRY_ECONFLICT, "second");
	assert_int_equal(err.code, FERRY_ECONFLICT);
	assert_string_equal(err.msg, "second");
}

static void test_null_record_allowed(void **state)
{
	(void)state;
	assert_int_equal(ferry_error_set(NULL, FERRY_EUSAGE, "x %d", 1),
			 FERRY_EUSAGE);
	assert_int_equal(ferry_error_errno(NULL, FERRY_EFAIL, ENOENT, "y"),
			 FERRY_EFAIL);
	ferry_error_clear(NULL);
}

static void test_errno_message(void **state)
{
	struct ferry_error err;
	char want[512];

	(void)state;
	ferry_error_init(&err);
	assert_int_equal(ferry_error_errno(&err, FERRY_ENOTFOUND, ENOENT,
					   "cannot open '%s'", "ferry.yaml"),
			 FERRY_ENOTFOUND);
	assert_int_equal(err.code, FERRY_ENOTFOUND);
	/* the system's words for the errno, not just its number */
	snprintf(want, sizeof(want), "cannot open 'ferry.yaml': %s",
		 strerror(ENOENT));
	assert_string_equal(err.msg, want);
	assert_null(strstr(err.msg, "error 2"));

	ferry_error_init(&err);
	ferry_error_errno(&err, FERRY_EFAIL, EACCES, "cannot write '%s'", "x");
	snprintf(want, sizeof(want), "cannot write 'x': %s", strerror(EACCES));
	assert_string_equal(err.msg, want);
}

static void test_errno_permission_is_auth(void **state)
{
	static const int denied[] = { EACCES, EPERM, EROFS };
	struct ferry_error err;
	size_t i;

	(void)state;
	/* a plain failure caused by a refused permission is exit 4 */
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		ferry_error_init(&err);
		assert_int_equal(ferry_error_errno(&err, FERRY_EFAIL, denied[i],
						   "cannot write '%s'", "s"),
				 FERRY_EAUTH);
		assert_int_equal(err.code, FERRY_EAUTH);
		assert_int_equal(ferry_error_exit_code(err.code), 4);
		assert_int_equal(ferry_error_errno(NULL, FERRY_EFAIL, denied[i],
						   "x"), FERRY_EAUTH);
	}
	/* other causes stay failures; a specific code is kept as given */
	ferry_error_init(&err);
	assert_int_equal(ferry_error_errno(&err, FERRY_EFAIL, EIO, "read"),
			 FERRY_EFAIL);
	assert_int_equal(err.code, FERRY_EFAIL);
	ferry_error_init(&err);
	assert_int_equal(ferry_error_errno(&err, FERRY_ENOTFOUND, EACCES, "x"),
			 FERRY_ENOTFOUND);
	assert_int_equal(ferry_error_errno(NULL, FERRY_ECONFLICT, EPERM, "x"),
			 FERRY_ECONFLICT);
}

static void test_long_message_truncated(void **state)
{
	struct ferry_error err;
	char big[FERRY_ERROR_MSG_MAX * 2];

	(void)state;
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ferry_error_init(&err);
	ferry_error_set(&err, FERRY_EFAIL, "%s", big);
	assert_int_equal(strlen(err.msg), FERRY_ERROR_MSG_MAX - 1);
	ferry_error_init(&err);
	ferry_error_errno(&err, FERRY_EFAIL, ENOENT, "%s", big);
	assert_int_equal(strlen(err.msg), FERRY_ERROR_MSG_MAX - 1);
}

static void test_exit_codes(void **state)
{
	static const struct {
		int code;
		int exit;
	} map[] = {
		{ FERRY_OK, 0 },
		{ FERRY_EFAIL, 1 },
		{ FERRY_EUSAGE, 2 },
		{ FERRY_ECONFIG, 3 },
		{ FERRY_EAUTH, 4 },
		{ FERRY_ENOTFOUND, 5 },
		{ FERRY_ECONFLICT, 6 },
		{ FERRY_EEXIST, 6 },
		{ FERRY_ENOMEM, 1 },
		{ FERRY_EINTR, 130 },
		{ FERRY_ETIMEOUT, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (ferry_error_exit_code(map[i].code) != map[i].exit)
			fail_msg("code %d: exit %d, want %d", map[i].code,
				 ferry_error_exit_code(map[i].code), map[i].exit);
	/* the codes are the documented numbers */
	assert_int_equal(FERRY_EFAIL, -1);
	assert_int_equal(FERRY_ETIMEOUT, -10);
	/* an unknown code is a plain failure */
	assert_int_equal(ferry_error_exit_code(-99), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_is_empty),
		cmocka_unit_test(test_set_returns_code_and_formats),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_null_record_allowed),
		cmocka_unit_test(test_errno_message),
		cmocka_unit_test(test_errno_permission_is_auth),
		cmocka_unit_test(test_long_message_truncated),
		cmocka_unit_test(test_exit_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
