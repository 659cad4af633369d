/*
 * test_zip.c - reproducible zip writing (same bytes whatever the file
 * times, the time zone or the source path; fixed header fields), listing,
 * and extraction that keeps modes and refuses unsafe names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>
#include <cmocka.h>

#include "ferry/fs.h"
#include "ferry/hash.h"
#include "ferry/zip.h"

/*
 * sha256 of the archive test_golden_sha256 writes. It changes only when
 * the writer's output changes on purpose (or zlib changes its deflate).
 * Cross-checked once against the same archive built by hand in Python
 * from zlib's raw deflate at level 7 and the header layout of core/zip.c.
 */
#define GOLDEN_SHA256 \
	"f0f3dfe170a9e3897aa41196631224f0df9c44f7edf9e26261b7302718957cbf"

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ferry-test-zip.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return ferry_fs_remove_tree(tmpdir, NULL);
}

static char *tpath(const char *name)
{
	char *p = ferry_path_join(tmpdir, name);

	assert_non_null(p);
	return p;
}

static void write_file(const char *name, const char *text, mode_t mode,
		       time_t mtime)
{
	struct utimbuf t = { mtime, mtime };
	char *p = tpath(name);

	assert_int_equal(ferry_fs_mkdirs_parent(p, NULL), 0);
	assert_int_equal(ferry_fs_write_atomic(p, text, strlen(text), mode, 0,
					       NULL), 0);
	assert_int_equal(utime(p, &t), 0);
	free(p);
}

static void read_all(struct ferry_buf *b, const char *name)
{
	char *p = tpath(name);

	ferry_buf_reset(b);
	assert_int_equal(ferry_fs_read(b, p, 0, NULL), 0);
	free(p);
}

/* Write src/a.js, bin/run (executable) and an in-memory entry to `zipname`. */
static void write_sample(const char *dir, const char *zipname, time_t mtime)
{
	struct ferry_zip_entry e[3];
	struct ferry_zip_stats st;
	struct ferry_error err;
	char *run, *a, *zp;
	char rel[128];

	snprintf(rel, sizeof(rel), "%s/bin/run", dir);
	write_file(rel, "#!/bin/sh\necho hi\n", 0755, mtime);
	snprintf(rel, sizeof(rel), "%s/src/a.js", dir);
	write_file(rel, "exports.handler = async () => 42;\n", 0600, mtime);
	snprintf(rel, sizeof(rel), "%s/bin/run", dir);
	run = tpath(rel);
	snprintf(rel, sizeof(rel), "%s/src/a.js", dir);
	a = tpath(rel);
	zp = tpath(zipname);
	memset(e, 0, sizeof(e));
	e[0].name = "bin/run";
	e[0].source = run;
	e[1].name = "generated.json";
	e[1].data = "{\"ok\":true}\n";
	e[1].data_len = strlen(e[1].data);
	e[2].name = "src/a.js";
	e[2].source = a;
	ferry_error_init(&err);
	assert_int_equal(ferry_zip_write(zp, e, 3, &st, &err), 0);
	assert_int_equal(st.files, 3);
	assert_int_equal(st.bytes, 18 + 12 + 34);
	{
		struct stat sb;

		assert_int_equal(stat(zp, &sb), 0);
		assert_int_equal(st.zipped, (uint64_t)sb.st_size);
	}
	free(run);
	free(a);
	free(zp);
}

static void test_same_bytes_any_time_zone_mtime_or_path(void **state)
{
	struct ferry_buf one = FERRY_BUF_INIT, two = FERRY_BUF_INIT;
	const char *tz = getenv("TZ");
	char *saved = tz ? ferry_strdup(tz) : NULL;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	write_sample("p1", "one.zip", 1000000000);
	setenv("TZ", "Pacific/Kiritimati", 1);
	tzset();
	write_sample("other/place/p2", "two.zip", 1300000000);
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	read_all(&one, "one.zip");
	read_all(&two, "two.zip");
	assert_int_equal(one.len, two.len);
	assert_memory_equal(one.buf, two.buf, one.len);
	ferry_buf_release(&one);
	ferry_buf_release(&two);
	free(saved);
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}

/*
 * Walk the central directory: every entry has DOS time 2000-01-01 00:00,
 * a Unix mode of 0644 or 0755 in the external attributes, no extra field,
 * no comment, and no data descriptor: its local header has the same CRC
 * and sizes as the central one (flag bit 3 clear) and the next header
 * starts right after its data. Nothing else is in the file.
 */
static void test_header_fields_are_fixed(void **state)
{
	struct ferry_buf z = FERRY_BUF_INIT;
	const unsigned char *b, *p, *end;
	size_t i, count, n, x, c;
	uint32_t mode, loc, next = 0;
	static const uint32_t want_modes[] = { 0100755, 0100644, 0100644 };

	(void)state;
	write_sample("fields", "fields.zip", 1234567890);
	read_all(&z, "fields.zip");
	b = (const unsigned char *)z.buf;
	end = b + z.len - 22;
	assert_int_equal(le32(end), 0x06054b50);
	count = le16(end + 10);
	assert_int_equal(count, 3);
	p = b + le32(end + 16);
	for (i = 0; i < count; i++) {
		assert_int_equal(le32(p), 0x02014b50);
		assert_int_equal(le16(p + 8) & 0x0008, 0);	/* no descriptor */
		assert_int_equal(le16(p + 12), 0x0000);	/* 00:00:00 */
		assert_int_equal(le16(p + 14), 0x2821);	/* 2000-01-01 */
		assert_int_equal(le16(p + 10), 8);	/* deflate */
		n = le16(p + 28);
		x = le16(p + 30);
		c = le16(p + 32);
		mode = le32(p + 38) >> 16;
		assert_int_equal(mode, want_modes[i]);
		assert_int_equal(x, 0);
		assert_int_equal(c, 0);
		loc = le32(p + 42);
		assert_int_equal(loc, next);
		assert_int_equal(le32(b + loc), 0x04034b50);
		assert_int_equal(le16(b + loc + 6), le16(p + 8));
		assert_int_equal(le16(b + loc + 10), 0x0000);
		assert_int_equal(le16(b + loc + 12), 0x2821);
		assert_memory_equal(b + loc + 14, p + 16, 12); /* crc, sizes */
		assert_int_equal(le16(b + loc + 26), n);
		assert_int_equal(le16(b + loc + 28), 0);
		assert_memory_equal(b + loc + 30, p + 46, n);
		next = loc + 30 + (uint32_t)n + le32(p + 20);
		p += 46 + n + x + c;
	}
	/* the central directory follows the last entry's data at once */
	assert_int_equal(le32(end + 16), next);
	assert_ptr_equal(p, end);
	ferry_buf_release(&z);
}

/*
 * The exact bytes of a small archive. Fails if anything that decides the
 * output changes: order, times, modes, extra fields, compression level.
 */
static void test_golden_sha256(void **state)
{
	struct ferry_zip_entry e[2];
	struct ferry_error err;
	char hex[FERRY_SHA256_HEX];
	char *zp = tpath("golden.zip");

	(void)state;
	memset(e, 0, sizeof(e));
	e[0].name = "index.js";
	e[0].data = "exports.handler = async () => ({ statusCode: 200 });\n";
	e[0].data_len = strlen(e[0].data);
	e[1].name = "lib/run.sh";
	e[1].data = "#!/bin/sh\nexec node index.js\n";
	e[1].data_len = strlen(e[1].data);
	e[1].executable = 1;
	ferry_error_init(&err);
	assert_int_equal(ferry_zip_write(zp, e, 2, NULL, &err), 0);
	assert_int_equal(ferry_sha256_file(hex, zp, &err), 0);
	assert_string_equal(hex, GOLDEN_SHA256);
	free(zp);
}

static void test_list_and_extract_keep_order_and_modes(void **state)
{
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	struct ferry_buf b = FERRY_BUF_INIT;
	struct ferry_error err;
	struct stat st;
	char *zp = tpath("list.zip"), *out = tpath("out"), *p;

	(void)state;
	write_sample("list", "list.zip", 1);
	ferry_error_init(&err);
	assert_int_equal(ferry_zip_list(&names, zp, &err), 0);
	assert_int_equal(names.nr, 3);
	assert_string_equal(names.items[0], "bin/run");
	assert_string_equal(names.items[1], "generated.json");
	assert_string_equal(names.items[2], "src/a.js");
	assert_int_equal(ferry_zip_extract(zp, out, &err), 0);
	p = tpath("out/bin/run");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	free(p);
	p = tpath("out/src/a.js");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);	/* source was 0600 */
	free(p);
	read_all(&b, "out/generated.json");
	assert_string_equal(b.buf, "{\"ok\":true}\n");
	ferry_buf_release(&b);
	ferry_strvec_release(&names);
	free(zp);
	free(out);
}

/* Non-ASCII names are stored as UTF-8 and read back unchanged. */
static void test_utf8_names(void **state)
{
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	struct ferry_zip_entry e[2];
	struct ferry_error err;
	char *zp = tpath("utf8.zip"), *out = tpath("utf8-out"), *p;

	(void)state;
	memset(e, 0, sizeof(e));
	e[0].name = "caf\xc3\xa9/men\xc3\xbc.txt";
	e[0].data = "caf\xc3\xa9\n";
	e[0].data_len = 6;
	e[1].name = "\xe6\x97\xa5\xe6\x9c\xac.js";
	e[1].data = "1\n";
	e[1].data_len = 2;
	ferry_error_init(&err);
	if (ferry_zip_write(zp, e, 2, NULL, &err))
		fail_msg("%s", err.msg);
	if (ferry_zip_list(&names, zp, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(names.nr, 2);
	assert_string_equal(names.items[0], e[0].name);
	assert_string_equal(names.items[1], e[1].name);
	assert_int_equal(ferry_zip_extract(zp, out, &err), 0);
	p = ferry_path_join(out, e[0].name);
	assert_true(ferry_fs_is_file(p));
	free(p);
	ferry_strvec_release(&names);
	free(zp);
	free(out);
}

static void expect_refused(const struct ferry_zip_entry *e, size_t nr,
			   const char *zipname, int code, const char *msgpart)
{
	struct ferry_error err;
	char *zp = tpath(zipname), *tmp;

	ferry_error_init(&err);
	assert_int_equal(ferry_zip_write(zp, e, nr, NULL, &err), code);
	if (!strstr(err.msg, msgpart))
		fail_msg("message '%s' lacks '%s'", err.msg, msgpart);
	assert_false(ferry_fs_exists(zp));
	tmp = ferry_xstrfmt("%s.tmp.%ld", zp, (long)getpid());
	assert_false(ferry_fs_exists(tmp));	/* no temp file left behind */
	free(tmp);
	free(zp);
}

static void test_bad_entries_are_refused(void **state)
{
	struct ferry_zip_entry e[2];

	(void)state;
	memset(e, 0, sizeof(e));
	e[0].data = "x";
	e[0].data_len = 1;
	e[1].data = "y";
	e[1].data_len = 1;
	e[0].name = "b.js";
	e[1].name = "a.js";
	expect_refused(e, 2, "bad1.zip", FERRY_EFAIL, "sorted");
	e[1].name = "b.js";
	expect_refused(e, 2, "bad2.zip", FERRY_EFAIL, "sorted and unique");
	e[0].name = "../evil.js";
	expect_refused(e, 1, "bad3.zip", FERRY_EFAIL, "invalid zip entry name");
	e[0].name = "/abs.js";
	expect_refused(e, 1, "bad4.zip", FERRY_EFAIL, "'/abs.js'");
	e[0].name = "dir/";
	expect_refused(e, 1, "bad5.zip", FERRY_EFAIL, "invalid");
	e[0].name = "a//b";
	expect_refused(e, 1, "bad6.zip", FERRY_EFAIL, "invalid");
	e[0].name = "missing.js";
	e[0].data = NULL;
	e[0].source = "/nonexistent/ferry/missing.js";
	expect_refused(e, 1, "bad7.zip", FERRY_ENOTFOUND, "missing.js");
}

/* A stored single-entry zip built by hand, so the name can be anything. */
static uint32_t crc32_of(const char *s, size_t n)
{
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= (unsigned char)s[i];
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return c ^ 0xffffffffu;
}

static void put16(struct ferry_buf *b, unsigned v)
{
	unsigned char p[2] = { v & 0xff, (v >> 8) & 0xff };

	assert_int_equal(ferry_buf_add(b, p, 2), 0);
}

static void put32(struct ferry_buf *b, uint32_t v)
{
	put16(b, v & 0xffff);
	put16(b, v >> 16);
}

static void hand_zip(const char *zipname, const char *name)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	const char *data = "pwned\n";
	size_t n = strlen(name), cd;
	uint32_t crc = crc32_of(data, 6);
	char *zp = tpath(zipname);

	put32(&b, 0x04034b50); put16(&b, 10); put16(&b, 0); put16(&b, 0);
	put16(&b, 0); put16(&b, 0x2821); put32(&b, crc); put32(&b, 6);
	put32(&b, 6); put16(&b, (unsigned)n); put16(&b, 0);
	ferry_buf_add(&b, name, n);
	ferry_buf_add(&b, data, 6);
	cd = b.len;
	put32(&b, 0x02014b50); put16(&b, 0x031e); put16(&b, 10); put16(&b, 0);
	put16(&b, 0); put16(&b, 0); put16(&b, 0x2821); put32(&b, crc);
	put32(&b, 6); put32(&b, 6); put16(&b, (unsigned)n); put16(&b, 0);
	put16(&b, 0); put16(&b, 0); put16(&b, 0); put32(&b, 0100644u << 16);
	put32(&b, 0);
	ferry_buf_add(&b, name, n);
	put32(&b, 0x06054b50); put16(&b, 0); put16(&b, 0); put16(&b, 1);
	put16(&b, 1); put32(&b, (uint32_t)(b.len - cd - 0)); put32(&b, (uint32_t)cd);
	put16(&b, 0);
	assert_int_equal(ferry_fs_write_atomic(zp, b.buf, b.len, 0644, 0, NULL), 0);
	ferry_buf_release(&b);
	free(zp);
}

static void test_extract_refuses_unsafe_names(void **state)
{
	static const char *const bad[] = { "../escape.txt", "/etc/escape.txt",
					   "a/../../escape.txt", NULL };
	struct ferry_error err;
	char *zp, *out, *esc;
	size_t i;

	(void)state;
	hand_zip("fine.zip", "fine/ok.txt");
	zp = tpath("fine.zip");
	out = tpath("fine-out");
	ferry_error_init(&err);
	assert_int_equal(ferry_zip_extract(zp, out, &err), 0);
	free(zp);
	free(out);
	for (i = 0; bad[i]; i++) {
		hand_zip("evil.zip", bad[i]);
		zp = tpath("evil.zip");
		out = tpath("x/y/out");
		ferry_error_init(&err);
		assert_int_equal(ferry_zip_extract(zp, out, &err), FERRY_EFAIL);
		assert_non_null(strstr(err.msg, "unsafe entry name"));
		esc = tpath("x/escape.txt");
		assert_false(ferry_fs_exists(esc));
		free(esc);
		free(zp);
		free(out);
	}
}

static void test_missing_and_garbage_archives(void **state)
{
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	struct ferry_error err;
	char *zp = tpath("garbage.zip"), *missing = tpath("nope.zip");

	(void)state;
	assert_int_equal(ferry_fs_write_atomic(zp, "not a zip", 9, 0644, 0,
					       NULL), 0);
	ferry_error_init(&err);
	assert_int_equal(ferry_zip_list(&names, missing, &err), FERRY_ENOTFOUND);
	ferry_error_init(&err);
	assert_int_equal(ferry_zip_list(&names, zp, &err), FERRY_EFAIL);
	assert_int_equal(names.nr, 0);
	ferry_error_init(&err);
	assert_int_not_equal(ferry_zip_extract(zp, missing, &err), 0);
	free(zp);
	free(missing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_bytes_any_time_zone_mtime_or_path),
		cmocka_unit_test(test_header_fields_are_fixed),
		cmocka_unit_test(test_golden_sha256),
		cmocka_unit_test(test_list_and_extract_keep_order_and_modes),
		cmocka_unit_test(test_utf8_names),
		cmocka_unit_test(test_bad_entries_are_refused),
		cmocka_unit_test(test_extract_refuses_unsafe_names),
		cmocka_unit_test(test_missing_and_garbage_archives),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
