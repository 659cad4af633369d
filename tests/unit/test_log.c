/*
 * test_log.c - the log sink (core/log.c): the installed callback gets the
 * level, the formatted message and its data pointer; without a sink
 * messages are dropped; very long messages are cut, never overflowed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ferry/log.h"

struct capture {
	int calls;
	enum ferry_log_level level;
	char msg[8192];
	size_t len;
};

static void capture_fn(enum ferry_log_level level, const char *msg,
		       void *data)
{
	struct capture *c = data;

	c->calls++;
	c->level = level;
	c->len = strlen(msg);
	if (c->len >= sizeof(c->msg))
		fail_msg("message of %zu bytes", c->len);
	memcpy(c->msg, msg, c->len + 1);
}

static int reset_sink(void **state)
{
	(void)state;
	ferry_log_set(NULL, NULL);
	return 0;
}

static void test_callback_gets_level_and_message(void **state)
{
	struct capture c = { 0 };

	(void)state;
	ferry_log_set(capture_fn, &c);
	ferry_log(FERRY_LOG_INFO, "deploying %s to '%s' (%d functions)",
		  "demo", "dev", 3);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.level, FERRY_LOG_INFO);
	assert_string_equal(c.msg, "deploying demo to 'dev' (3 functions)");

	ferry_debug("resolved %s", "hello.handler");
	assert_int_equal(c.calls, 2);
	assert_int_equal(c.level, FERRY_LOG_DEBUG);
	assert_string_equal(c.msg, "resolved hello.handler");

	ferry_warn("stage '%s' is locked", "prod");
	assert_int_equal(c.calls, 3);
	assert_int_equal(c.level, FERRY_LOG_WARN);
	assert_string_equal(c.msg, "stage 'prod' is locked");

	ferry_info("%s", "");
	assert_int_equal(c.calls, 4);
	assert_int_equal(c.level, FERRY_LOG_INFO);
	assert_string_equal(c.msg, "");

	/* a '%' in an argument is not interpreted again */
	ferry_info("%s", "100%s done");
	assert_string_equal(c.msg, "100%s done");
}

static void test_null_sink_drops(void **state)
{
	struct capture c = { 0 };

	(void)state;
	ferry_log_set(capture_fn, &c);
	ferry_info("one");
	assert_int_equal(c.calls, 1);
	ferry_log_set(NULL, &c);
	ferry_info("two");
	ferry_warn("three");
	assert_int_equal(c.calls, 1);
	assert_string_equal(c.msg, "one");
	/* a new sink gets only what comes after it */
	ferry_log_set(capture_fn, &c);
	ferry_warn("four");
	assert_int_equal(c.calls, 2);
	assert_string_equal(c.msg, "four");
}

static void test_sink_replaced(void **state)
{
	struct capture a = { 0 }, b = { 0 };

	(void)state;
	ferry_log_set(capture_fn, &a);
	ferry_info("to a");
	ferry_log_set(capture_fn, &b);
	ferry_info("to b");
	assert_int_equal(a.calls, 1);
	assert_string_equal(a.msg, "to a");
	assert_int_equal(b.calls, 1);
	assert_string_equal(b.msg, "to b");
}

static void test_long_message_truncated(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));
	char *big = malloc(20001);
	size_t i;

	(void)state;
	assert_non_null(c);
	assert_non_null(big);
	for (i = 0; i < 20000; i++)
		big[i] = (char)('a' + i % 26);
	big[20000] = '\0';
	ferry_log_set(capture_fn, c);
	ferry_warn("start:%s:end", big);
	assert_int_equal(c->calls, 1);
	assert_int_equal(c->level, FERRY_LOG_WARN);
	/* cut to the 4 KB line buffer, NUL-terminated, prefix intact */
	assert_true(c->len > 1000);
	assert_true(c->len < 4096);
	assert_memory_equal(c->msg, "start:abcdef", 12);
	assert_memory_equal(c->msg + 6, big, c->len - 6);
	free(big);
	free(c);
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, reset_sink)
	const struct CMUnitTest tests[] = {
		T(test_callback_gets_level_and_message),
		T(test_null_sink_drops),
		T(test_sink_replaced),
		T(test_long_message_truncated),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
