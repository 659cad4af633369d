/*
 * test_hash.c - SHA-256 (core/hash.c) against the FIPS 180-2 examples,
 * files against memory, streaming in odd chunk sizes against one call, and
 * the error for a missing file.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ferry/error.h"
#include "ferry/hash.h"

static void hash_mem(char hex[FERRY_SHA256_HEX], const void *data,
		     size_t len)
{
	struct ferry_error err;

	ferry_error_init(&err);
	if (ferry_sha256_mem(hex, data, len, &err))
		fail_msg("sha256: %s", err.msg);
}

static void test_fips_vectors(void **state)
{
	/* FIPS 180-2 appendix B, and the empty message */
	static const struct {
		const char *msg;
		const char *hex;
	} cases[] = {
		{ "",
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc",
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	char hex[FERRY_SHA256_HEX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(hex, 'X', sizeof(hex));
		hash_mem(hex, cases[i].msg, strlen(cases[i].msg));
		assert_string_equal(hex, cases[i].hex);
		assert_int_equal(strlen(hex), 64);
	}
}

static void test_million_a(void **state)
{
	char hex[FERRY_SHA256_HEX];
	char *a = malloc(1000000);

	(void)state;
	assert_non_null(a);
	memset(a, 'a', 1000000);
	hash_mem(hex, a, 1000000);
	assert_string_equal(hex,
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
}

static void test_streaming_equals_one_shot(void **state)
{
	static const size_t chunks[] = { 1, 3, 7, 55, 63, 64, 65, 1000, 4099 };
	char once[FERRY_SHA256_HEX], streamed[FERRY_SHA256_HEX];
	struct ferry_sha256 h;
	struct ferry_error err;
	unsigned char *data;
	size_t n = 100003, i, off, len;

	(void)state;
	data = malloc(n);
	assert_non_null(data);
	for (i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 31 + i / 256);
	hash_mem(once, data, n);
	ferry_error_init(&err);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		assert_int_equal(ferry_sha256_begin(&h, &err), 0);
		for (off = 0; off < n; off += len) {
			len = n - off < chunks[i] ? n - off : chunks[i];
			assert_int_equal(ferry_sha256_update(&h, data + off, len,
							     &err), 0);
		}
		/* an empty update changes nothing */
		assert_int_equal(ferry_sha256_update(&h, data, 0, &err), 0);
		assert_int_equal(ferry_sha256_end(&h, streamed, &err), 0);
		if (strcmp(streamed, once))
			fail_msg("chunks of %zu: %s, want %s", chunks[i],
				 streamed, once);
		assert_null(h.ctx);
		ferry_sha256_abort(&h);	/* safe after _end */
	}
	/* different data gives a different digest */
	data[n / 2] ^= 1;
	hash_mem(streamed, data, n);
	assert_string_not_equal(streamed, once);
	free(data);
}

static void test_abort(void **state)
{
	struct ferry_sha256 h = { NULL };
	struct ferry_error err;

	(void)state;
	ferry_sha256_abort(&h);	/* zeroed struct */
	ferry_error_init(&err);
	assert_int_equal(ferry_sha256_begin(&h, &err), 0);
	assert_non_null(h.ctx);
	assert_int_equal(ferry_sha256_update(&h, "abc", 3, &err), 0);
	ferry_sha256_abort(&h);
	assert_null(h.ctx);
}

static void test_file_equals_mem(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	char from_file[FERRY_SHA256_HEX], from_mem[FERRY_SHA256_HEX];
	const char *tmp = getenv("TMPDIR");
	struct ferry_error err;
	unsigned char *data;
	size_t n = 200001, i;	/* several of the 64 KB read chunks */
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/ferry-hash-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/blob", dir);
	data = malloc(n);
	assert_non_null(data);
	for (i = 0; i < n; i++)
		data[i] = (unsigned char)(i ^ (i >> 8));
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);

	ferry_error_init(&err);
	assert_int_equal(ferry_sha256_file(from_file, path, &err), 0);
	hash_mem(from_mem, data, n);
	assert_string_equal(from_file, from_mem);

	/* an empty file hashes like the empty message */
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(ferry_sha256_file(from_file, path, &err), 0);
	assert_string_equal(from_file,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	free(data);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_missing_file(void **state)
{
	char hex[FERRY_SHA256_HEX] = "untouched";
	struct ferry_error err;

	(void)state;
	ferry_error_init(&err);
	assert_int_equal(ferry_sha256_file(hex, "/nonexistent/ferry/blob", &err),
			 FERRY_ENOTFOUND);
	assert_int_equal(err.code, FERRY_ENOTFOUND);
	assert_non_null(strstr(err.msg, "'/nonexistent/ferry/blob'"));
	assert_string_equal(hex, "untouched");
	assert_int_equal(ferry_sha256_file(hex, "/nonexistent/ferry/blob", NULL),
			 FERRY_ENOTFOUND);
	/* a directory cannot be read */
	ferry_error_init(&err);
	assert_int_equal(ferry_sha256_file(hex, "/", &err), FERRY_EFAIL);
	assert_string_equal(hex, "untouched");
}

/* RFC 2202 and RFC 4231 test case 2, and FIPS 180-2's "abc" as raw bytes. */
static void test_hmac_and_raw(void **state)
{
	static const char jefe[] = "Jefe";
	static const char what[] = "what do ya want for nothing?";
	unsigned char mac1[FERRY_SHA1_LEN], mac256[FERRY_SHA256_LEN];
	unsigned char md[FERRY_SHA256_LEN];
	char hex[2 * FERRY_SHA256_LEN + 1];
	struct ferry_error err;

	(void)state;
	ferry_error_init(&err);
	assert_int_equal(ferry_hmac_sha1(mac1, jefe, 4, what, strlen(what),
					 &err), 0);
	ferry_hash_hex(hex, mac1, sizeof(mac1));
	assert_string_equal(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	assert_int_equal(ferry_hmac_sha256(mac256, jefe, 4, what, strlen(what),
					   &err), 0);
	ferry_hash_hex(hex, mac256, sizeof(mac256));
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c7"
			    "5a003f089d2739839dec58b964ec3843");
	assert_int_equal(ferry_sha256_raw(md, "abc", 3, &err), 0);
	ferry_hash_hex(hex, md, sizeof(md));
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
			    "b00361a396177a9cb410ff61f20015ad");
	/* the empty message */
	assert_int_equal(ferry_sha256_raw(md, NULL, 0, &err), 0);
	ferry_hash_hex(hex, md, sizeof(md));
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
			    "27ae41e4649b934ca495991b7852b855");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips_vectors),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_streaming_equals_one_shot),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_file_equals_mem),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_hmac_and_raw),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
