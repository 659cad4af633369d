/*
 * test_buf.c - growable buffers (core/buf.c): growth through add and addf
 * across many sizes, NUL termination after every operation, truncate, reset,
 * detach; string vectors: push, bytewise sort, find; ferry_xstrfmt.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <cmocka.h>

#include "ferry/buf.h"
#include "ferry/error.h"

/* The invariant every operation keeps: buf[len] is the terminating NUL. */
static void assert_terminated(const struct ferry_buf *b)
{
	assert_non_null(b->buf);
	assert_int_equal(b->buf[b->len], '\0');
	if (b->alloc)
		assert_true(b->len < b->alloc);
}

static void test_init_is_empty_string(void **state)
{
	struct ferry_buf a = FERRY_BUF_INIT, b;

	(void)state;
	ferry_buf_init(&b);
	assert_string_equal(a.buf, "");
	assert_string_equal(b.buf, "");
	assert_int_equal(a.len, 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_terminated(&a);
	assert_terminated(&b);
	/* releasing an unallocated buffer must not free the static string */
	ferry_buf_release(&a);
	ferry_buf_release(&b);
	ferry_buf_release(NULL);
	assert_string_equal(b.buf, "");
}

static void test_add_grows_across_sizes(void **state)
{
	static const size_t sizes[] = {
		0, 1, 2, 62, 63, 64, 65, 127, 128, 129, 1000, 4095, 4096, 4097,
		65535, 65536, 65537, 300000,
	};
	struct ferry_buf b = FERRY_BUF_INIT;
	char *src;
	size_t i, j, total = 0;

	(void)state;
	src = malloc(300000);
	assert_non_null(src);
	for (j = 0; j < 300000; j++)
		src[j] = (char)('a' + j % 26);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(ferry_buf_add(&b, src, sizes[i]), 0);
		assert_terminated(&b);
		if (sizes[i])
			assert_memory_equal(b.buf + total, src, sizes[i]);
		total += sizes[i];
		assert_int_equal(b.len, total);
	}
	/* everything appended is still there, in order */
	total = 0;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (sizes[i])
			assert_memory_equal(b.buf + total, src, sizes[i]);
		total += sizes[i];
	}
	ferry_buf_release(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_string_equal(b.buf, "");
	free(src);
}

static void test_add_bytes_with_nul(void **state)
{
	struct ferry_buf b = FERRY_BUF_INIT;

	(void)state;
	assert_int_equal(ferry_buf_add(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.buf, "a\0b", 4);
	assert_int_equal(ferry_buf_addch(&b, '\0'), 0);
	assert_int_equal(ferry_buf_addstr(&b, "cd"), 0);
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.buf, "a\0b\0cd", 7);
	ferry_buf_release(&b);
}

static void test_addch_addstr_one_by_one(void **state)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		assert_int_equal(ferry_buf_addch(&b, (char)('0' + i % 10)), 0);
		assert_int_equal(b.len, i + 1);
		assert_terminated(&b);
	}
	for (i = 0; i < 1000; i++)
		assert_int_equal(b.buf[i], '0' + i % 10);
	assert_int_equal(ferry_buf_addstr(&b, ""), 0);
	assert_int_equal(b.len, 1000);
	ferry_buf_release(&b);
}

static void test_addf_across_sizes(void **state)
{
	/* around the first 64-byte guess, doubling points and past 64 KB */
	static const int widths[] = {
		0, 1, 50, 62, 63, 64, 65, 100, 127, 128, 129, 4096,
		65535, 65536, 65537, 70000, 200000,
	};
	struct ferry_buf b = FERRY_BUF_INIT;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		int w = widths[i];

		ferry_buf_release(&b);
		assert_int_equal(ferry_buf_addf(&b, "<%*d>", w, 7), 0);
		assert_terminated(&b);
		assert_int_equal(b.len, (size_t)(w > 1 ? w : 1) + 2);
		assert_int_equal(b.buf[0], '<');
		for (j = 1; j + 2 < b.len; j++)
			assert_int_equal(b.buf[j], ' ');
		assert_int_equal(b.buf[b.len - 2], '7');
		assert_int_equal(b.buf[b.len - 1], '>');
		assert_int_equal(strlen(b.buf), b.len);
	}
	ferry_buf_release(&b);
}

static void test_addf_appends_to_existing_content(void **state)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	char *big;
	size_t n = 100000;

	(void)state;
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	assert_int_equal(ferry_buf_addstr(&b, "head:"), 0);
	assert_int_equal(ferry_buf_addf(&b, "%s|%d|%s", big, 42, "tail"), 0);
	assert_terminated(&b);
	assert_int_equal(b.len, 5 + n + 8);
	assert_memory_equal(b.buf, "head:xxx", 8);
	assert_string_equal(b.buf + 5 + n, "|42|tail");
	/* many small formatted appends */
	ferry_buf_reset(&b);
	for (n = 0; n < 2000; n++)
		assert_int_equal(ferry_buf_addf(&b, "%zu,", n % 10), 0);
	assert_int_equal(b.len, 4000);
	assert_memory_equal(b.buf, "0,1,2,", 6);
	assert_string_equal(b.buf + 3980, "0,1,2,3,4,5,6,7,8,9,");
	ferry_buf_release(&b);
	free(big);
}

static void test_addf_failure_keeps_contents(void **state)
{
	/* an unpaired surrogate cannot be converted: vsnprintf fails */
	static const wchar_t bad[] = { 0xD800, 0 };
	struct ferry_buf b = FERRY_BUF_INIT;

	(void)state;
	assert_int_equal(ferry_buf_addstr(&b, "keep"), 0);
	assert_int_not_equal(ferry_buf_addf(&b, "abcdef%ls", bad), 0);
	assert_int_equal(b.len, 4);
	assert_string_equal(b.buf, "keep");
	assert_terminated(&b);
	ferry_buf_release(&b);
}

static void test_truncate(void **state)
{
	struct ferry_buf b = FERRY_BUF_INIT;

	(void)state;
	ferry_buf_truncate(&b, 0);	/* empty, unallocated: no-op */
	assert_int_equal(b.len, 0);
	assert_string_equal(b.buf, "");
	assert_int_equal(ferry_buf_addstr(&b, "hello world"), 0);
	ferry_buf_truncate(&b, 100);	/* longer than content: no-op */
	assert_string_equal(b.buf, "hello world");
	assert_int_equal(b.len, 11);
	ferry_buf_truncate(&b, 11);
	assert_string_equal(b.buf, "hello world");
	ferry_buf_truncate(&b, 5);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.buf, "hello");
	assert_terminated(&b);
	assert_int_equal(ferry_buf_addstr(&b, "!"), 0);
	assert_string_equal(b.buf, "hello!");
	ferry_buf_truncate(&b, 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.buf, "");
	ferry_buf_release(&b);
}

static void test_reset_keeps_allocation(void **state)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	size_t alloc;
	char *p;

	(void)state;
	ferry_buf_reset(&b);	/* unallocated: stays the empty string */
	assert_string_equal(b.buf, "");
	assert_int_equal(b.alloc, 0);
	assert_int_equal(ferry_buf_addstr(&b, "some text here"), 0);
	alloc = b.alloc;
	p = b.buf;
	ferry_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.buf, "");
	assert_int_equal(b.alloc, alloc);
	assert_ptr_equal(b.buf, p);
	assert_int_equal(ferry_buf_addstr(&b, "new"), 0);
	assert_string_equal(b.buf, "new");
	ferry_buf_release(&b);
}

static void test_detach(void **state)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	char *s;

	(void)state;
	/* an empty, never allocated buffer still gives a freeable string */
	s = ferry_buf_detach(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_true(s != ferry_buf_empty);
	free(s);
	assert_string_equal(b.buf, "");

	assert_int_equal(ferry_buf_addstr(&b, "owned"), 0);
	s = ferry_buf_detach(&b);
	assert_string_equal(s, "owned");
	/* the buffer is empty again and no longer points at s */
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_ptr_equal(b.buf, ferry_buf_empty);
	assert_string_equal(b.buf, "");
	free(s);

	/* allocated then reset: detach gives the empty allocated string */
	assert_int_equal(ferry_buf_addstr(&b, "gone"), 0);
	ferry_buf_reset(&b);
	s = ferry_buf_detach(&b);
	assert_string_equal(s, "");
	free(s);
}

static void test_grow_reserves_room(void **state)
{
	struct ferry_buf b = FERRY_BUF_INIT;

	(void)state;
	assert_int_equal(ferry_buf_grow(&b, 1000), 0);
	assert_true(b.alloc >= 1001);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.buf, "");
	assert_int_equal(ferry_buf_grow(&b, SIZE_MAX), FERRY_ENOMEM);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.buf, "");
	ferry_buf_release(&b);
}

static void test_strvec_push_find(void **state)
{
	struct ferry_strvec v = FERRY_STRVEC_INIT;
	char name[32];
	char *owned;
	int i;

	(void)state;
	assert_int_equal(ferry_strvec_find(&v, "a"), -1);
	/* past the first allocation of 16 and several doublings */
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "item-%d", i);
		assert_int_equal(ferry_strvec_push(&v, name), 0);
	}
	name[0] = 'X';	/* push copies: changing the source changes nothing */
	assert_int_equal(v.nr, 100);
	assert_string_equal(v.items[0], "item-0");
	assert_string_equal(v.items[99], "item-99");
	assert_int_equal(ferry_strvec_find(&v, "item-0"), 0);
	assert_int_equal(ferry_strvec_find(&v, "item-57"), 57);
	assert_int_equal(ferry_strvec_find(&v, "item-5"), 5);
	assert_int_equal(ferry_strvec_find(&v, "item-100"), -1);
	assert_int_equal(ferry_strvec_find(&v, "item"), -1);

	owned = ferry_xstrfmt("own-%d", 1);
	assert_non_null(owned);
	assert_int_equal(ferry_strvec_push_owned(&v, owned), 0);
	assert_ptr_equal(v.items[100], owned);
	assert_int_equal(ferry_strvec_pushf(&v, "f-%s-%d", "x", 3), 0);
	assert_string_equal(v.items[101], "f-x-3");
	assert_int_equal(ferry_strvec_find(&v, "f-x-3"), 101);
	/* pushing NULL (a failed allocation) is reported, not stored */
	assert_int_equal(ferry_strvec_push_owned(&v, NULL), FERRY_ENOMEM);
	assert_int_equal(v.nr, 102);

	ferry_strvec_release(&v);
	assert_null(v.items);
	assert_int_equal(v.nr, 0);
	ferry_strvec_release(NULL);
}

static void test_strvec_sort_bytewise(void **state)
{
	static const char *const in[] = {
		"b", "a/b", "a-b/x", "B", "a", "_x", "\xc3\xa9", "a.b", "~", "",
		"ab", "a",
	};
	/* strcmp order: '-' < '.' < '/' < 'B' < '_' < 'a' < '~' < 0xc3 */
	static const char *const want[] = {
		"", "B", "_x", "a", "a", "a-b/x", "a.b", "a/b", "ab", "b", "~",
		"\xc3\xa9",
	};
	struct ferry_strvec v = FERRY_STRVEC_INIT;
	size_t i;

	(void)state;
	ferry_strvec_sort(&v);	/* empty: nothing to do */
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_int_equal(ferry_strvec_push(&v, in[i]), 0);
	ferry_strvec_sort(&v);
	assert_int_equal(v.nr, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < v.nr; i++)
		assert_string_equal(v.items[i], want[i]);
	ferry_strvec_release(&v);
}

static void test_xstrfmt(void **state)
{
	char *s, *big;

	(void)state;
	s = ferry_xstrfmt("%s-%d-%c", "abc", -12, 'z');
	assert_non_null(s);
	assert_string_equal(s, "abc--12-z");
	free(s);
	s = ferry_xstrfmt("%s", "");
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	s = ferry_xstrfmt("%070000d", 5);
	assert_non_null(s);
	assert_int_equal(strlen(s), 70000);
	assert_int_equal(s[0], '0');
	assert_int_equal(s[69999], '5');
	free(s);
	big = ferry_strdup("copy me");
	assert_string_equal(big, "copy me");
	free(big);
	assert_null(ferry_strdup(NULL));
}

/* Hex digits and UTF-8 encoding, shared by the lexers and the providers. */
static void test_hex_and_utf8(void **state)
{
	struct ferry_buf b = FERRY_BUF_INIT;

	(void)state;
	assert_int_equal(ferry_hex_digit('0'), 0);
	assert_int_equal(ferry_hex_digit('9'), 9);
	assert_int_equal(ferry_hex_digit('a'), 10);
	assert_int_equal(ferry_hex_digit('F'), 15);
	assert_int_equal(ferry_hex_digit('g'), -1);
	assert_int_equal(ferry_hex_digit('/'), -1);
	assert_int_equal(ferry_hex_digit(0xe9), -1);
	assert_int_equal(ferry_buf_add_utf8(&b, 0x41), 0);	/* A */
	assert_int_equal(ferry_buf_add_utf8(&b, 0xe9), 0);	/* é */
	assert_int_equal(ferry_buf_add_utf8(&b, 0x20ac), 0);	/* € */
	assert_int_equal(ferry_buf_add_utf8(&b, 0x1f600), 0);	/* 😀 */
	assert_int_equal(b.len, 1 + 2 + 3 + 4);
	assert_memory_equal(b.buf, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10);
	ferry_buf_release(&b);
}

/* RFC 4648 section 10's vectors, both ways, padded and not. */
static void test_base64(void **state)
{
	static const char *const v[][3] = {
		{ "", "", "" }, { "f", "Zg==", "Zg" }, { "fo", "Zm8=", "Zm8" },
		{ "foo", "Zm9v", "Zm9v" }, { "foob", "Zm9vYg==", "Zm9vYg" },
		{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
	};
	static const unsigned char bin[] = { 0xfb, 0xff, 0x00, 0x3e };
	struct ferry_buf b = FERRY_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ferry_buf_reset(&b);
		assert_int_equal(ferry_buf_add_base64(&b, v[i][0],
						      strlen(v[i][0]), 1), 0);
		assert_string_equal(b.buf, v[i][1]);
		ferry_buf_reset(&b);
		assert_int_equal(ferry_buf_add_base64(&b, v[i][0],
						      strlen(v[i][0]), 0), 0);
		assert_string_equal(b.buf, v[i][2]);
		for (int pad = 1; pad <= 2; pad++) {
			ferry_buf_reset(&b);
			assert_int_equal(ferry_buf_add_unbase64(&b, v[i][pad],
								strlen(v[i][pad])),
					 0);
			assert_int_equal(b.len, strlen(v[i][0]));
			assert_memory_equal(b.buf, v[i][0], b.len);
		}
	}
	/* binary, '+' and '/', appended after what the buffer held */
	ferry_buf_reset(&b);
	assert_int_equal(ferry_buf_add_base64(&b, bin, sizeof(bin), 1), 0);
	assert_string_equal(b.buf, "+/8APg==");
	assert_int_equal(ferry_buf_addch(&b, '|'), 0);
	assert_int_equal(ferry_buf_add_unbase64(&b, "+/8APg==", 8), 0);
	assert_int_equal(b.len, 9 + sizeof(bin));
	assert_memory_equal(b.buf + 9, bin, sizeof(bin));
	/* not base64: a foreign character, a NUL, a lone last character */
	assert_int_equal(ferry_buf_add_unbase64(&b, "Zm9v!", 5), 1);
	assert_int_equal(ferry_buf_add_unbase64(&b, "Zm\0v", 4), 1);
	assert_int_equal(ferry_buf_add_unbase64(&b, "Zm9vY", 5), 1);
	ferry_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_and_utf8),
		cmocka_unit_test(test_init_is_empty_string),
		cmocka_unit_test(test_add_grows_across_sizes),
		cmocka_unit_test(test_add_bytes_with_nul),
		cmocka_unit_test(test_addch_addstr_one_by_one),
		cmocka_unit_test(test_addf_across_sizes),
		cmocka_unit_test(test_addf_appends_to_existing_content),
		cmocka_unit_test(test_addf_failure_keeps_contents),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_reset_keeps_allocation),
		cmocka_unit_test(test_detach),
		cmocka_unit_test(test_grow_reserves_room),
		cmocka_unit_test(test_strvec_push_find),
		cmocka_unit_test(test_strvec_sort_bytewise),
		cmocka_unit_test(test_xstrfmt),
		cmocka_unit_test(test_base64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
