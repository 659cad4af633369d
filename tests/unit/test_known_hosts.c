/*
 * test_known_hosts.c - the known_hosts lookup (core/known_hosts.c): one
 * table of known_hosts texts, hosts and offered keys against the verdict
 * and deciding line (plain, [host]:port, lists, wildcards, negation, case,
 * hashed names from `ssh-keygen -H`, changed keys, other key types,
 * @revoked, @cert-authority, comments and junk), then the files and
 * messages of ferry_known_hosts_verify() with HOME in a temp directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ferry/buf.h"
#include "ferry/error.h"
#include "ferry/fs.h"
#include "ferry/known_hosts.h"

/* Keys made with ssh-keygen for this test (A and B ed25519, C ecdsa). */
#define KEY_A "ssh-ed25519 " \
	"AAAAC3NzaC1lZDI1NTE5AAAAIElNemPx0bkZgaiNwFXqiFoyUjdiIDZv+SNJqyGDUs49"
#define KEY_B "ssh-ed25519 " \
	"AAAAC3NzaC1lZDI1NTE5AAAAINwEKWODg95A25CFwpeutbTXtxE46MlVVhcv8H5K4soG"
#define KEY_C "ecdsa-sha2-nistp256 " \
	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIDpc4GODeXbF1cal" \
	"qAI2DwcReu+d3+UjzfHftFi7WIscZn8FYctjQHHI04F2/1GX4oodGF7DnQJ0NEP0LLWkvw="
/* ssh-keygen -lf of KEY_A */
#define FP_A "ssh-ed25519 " \
	"SHA256:egmJ7kN508tjk2Z+zKidigAtS4twXyJ04+EyTFb3nqA"
/* `ssh-keygen -H` of "example.com" and "[10.0.0.1]:2222", both KEY_A */
#define HASHED_EXAMPLE \
	"|1|iPR0iRqN5mZ0Gc+6lCDOzDaGpiQ=|YVsX3ObPWQHpGeRjtX10ADAGa9A="
#define HASHED_PORT \
	"|1|PYhcZstvdyksNFLLciBhzUGab2A=|odMHt2IwsmNt3T8BYElgbhzHsTA="

/* The wire blob of "TYPE BASE64" (the base64 field decoded). */
static void blob_of(struct ferry_buf *out, const char *pub)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *s = strchr(pub, ' ') + 1, *c;
	unsigned v = 0;
	int bits = 0;

	ferry_buf_reset(out);
	for (; *s && *s != '='; s++) {
		c = strchr(b64, *s);
		assert_non_null(c);
		v = (v << 6 | (unsigned)(c - b64)) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			assert_int_equal(ferry_buf_addch(out,
					 (char)(v >> bits & 0xff)), 0);
		}
	}
}

struct match_case {
	const char *name;
	const char *text;
	const char *host;
	unsigned port;
	const char *key;	/* the offered key, "TYPE BASE64" */
	enum ferry_host_status status;
	size_t line;
	int other_types;
};

static const struct match_case cases[] = {
	{ "plain name", "example.com " KEY_A "\n", "example.com", 22, KEY_A,
	  FERRY_HOST_OK, 1, 0 },
	{ "port 0 is 22", "example.com " KEY_A "\n", "example.com", 0, KEY_A,
	  FERRY_HOST_OK, 1, 0 },
	{ "a comment after the key", "example.com " KEY_A " me@laptop\n",
	  "example.com", 22, KEY_A, FERRY_HOST_OK, 1, 0 },
	{ "no final newline, tabs", "example.com\t" KEY_A, "example.com", 22,
	  KEY_A, FERRY_HOST_OK, 1, 0 },
	{ "CRLF line ends", "x.org " KEY_B "\r\nexample.com " KEY_A "\r\n",
	  "example.com", 22, KEY_A, FERRY_HOST_OK, 2, 0 },
	{ "another host is unknown", "example.com " KEY_A "\n", "example.org",
	  22, KEY_A, FERRY_HOST_UNKNOWN, 0, 0 },
	{ "a plain name does not cover another port",
	  "example.com " KEY_A "\n", "example.com", 2222, KEY_A,
	  FERRY_HOST_UNKNOWN, 0, 0 },
	{ "[host]:port covers that port", "[example.com]:2222 " KEY_A "\n",
	  "example.com", 2222, KEY_A, FERRY_HOST_OK, 1, 0 },
	{ "[host]:port does not cover port 22",
	  "[example.com]:2222 " KEY_A "\n", "example.com", 22, KEY_A,
	  FERRY_HOST_UNKNOWN, 0, 0 },
	{ "[host]:22 is not how port 22 is written",
	  "[example.com]:22 " KEY_A "\n", "example.com", 22, KEY_A,
	  FERRY_HOST_UNKNOWN, 0, 0 },
	{ "a comma-separated list", "a.net,example.com,10.1.1.1 " KEY_A "\n",
	  "10.1.1.1", 22, KEY_A, FERRY_HOST_OK, 1, 0 },
	{ "case does not matter", "EXAMPLE.com " KEY_A "\n", "Example.COM", 22,
	  KEY_A, FERRY_HOST_OK, 1, 0 },
	{ "'*' wildcard", "*.example.org " KEY_A "\n", "git.example.org", 22,
	  KEY_A, FERRY_HOST_OK, 1, 0 },
	{ "'*' needs the dot", "*.example.org " KEY_A "\n", "example.org", 22,
	  KEY_A, FERRY_HOST_UNKNOWN, 0, 0 },
	{ "'?' is one character", "g?t.example.org " KEY_A "\n",
	  "git.example.org", 22, KEY_A, FERRY_HOST_OK, 1, 0 },
	{ "'?' is not two", "g?t.example.org " KEY_A "\n", "gitt.example.org",
	  22, KEY_A, FERRY_HOST_UNKNOWN, 0, 0 },
	{ "'*' over [host]:port", "[10.0.0.*]:2222 " KEY_A "\n", "10.0.0.7",
	  2222, KEY_A, FERRY_HOST_OK, 1, 0 },
	{ "a negated pattern rules the line out",
	  "*.example.org,!evil.example.org " KEY_A "\n", "evil.example.org",
	  22, KEY_A, FERRY_HOST_UNKNOWN, 0, 0 },
	{ "a negated pattern leaves others in",
	  "*.example.org,!evil.example.org " KEY_A "\n", "git.example.org",
	  22, KEY_A, FERRY_HOST_OK, 1, 0 },
	{ "a negated pattern alone matches nothing",
	  "!evil.example.org " KEY_A "\n", "git.example.org", 22, KEY_A,
	  FERRY_HOST_UNKNOWN, 0, 0 },
	{ "hashed name", HASHED_EXAMPLE " " KEY_A "\n", "example.com", 22,
	  KEY_A, FERRY_HOST_OK, 1, 0 },
	{ "hashed name, other host", HASHED_EXAMPLE " " KEY_A "\n",
	  "example.org", 22, KEY_A, FERRY_HOST_UNKNOWN, 0, 0 },
	{ "hashed [host]:port", HASHED_PORT " " KEY_A "\n", "10.0.0.1", 2222,
	  KEY_A, FERRY_HOST_OK, 1, 0 },
	{ "hashed [host]:port, port 22", HASHED_PORT " " KEY_A "\n",
	  "10.0.0.1", 22, KEY_A, FERRY_HOST_UNKNOWN, 0, 0 },
	{ "changed key", "# mine\nexample.com " KEY_B "\n", "example.com", 22,
	  KEY_A, FERRY_HOST_CHANGED, 2, 0 },
	{ "changed key behind a hashed name", HASHED_EXAMPLE " " KEY_B "\n",
	  "example.com", 22, KEY_A, FERRY_HOST_CHANGED, 1, 0 },
	{ "a key of another type is no change, but noted",
	  "example.com " KEY_C "\n", "example.com", 22, KEY_A,
	  FERRY_HOST_UNKNOWN, 0, 1 },
	{ "one of several keys matches (rotation)",
	  "example.com " KEY_B "\nexample.com " KEY_C "\nexample.com " KEY_A
	  "\n", "example.com", 22, KEY_A, FERRY_HOST_OK, 3, 1 },
	{ "the first match decides",
	  "example.com " KEY_A "\n*.com " KEY_A "\n", "example.com", 22,
	  KEY_A, FERRY_HOST_OK, 1, 0 },
	{ "@revoked rejects the key, even after a match",
	  "example.com " KEY_A "\n@revoked * " KEY_A "\n", "example.com", 22,
	  KEY_A, FERRY_HOST_REVOKED, 2, 0 },
	{ "@revoked of another key changes nothing",
	  "@revoked * " KEY_B "\nexample.com " KEY_A "\n", "example.com", 22,
	  KEY_A, FERRY_HOST_OK, 2, 0 },
	{ "@revoked for another host changes nothing",
	  "@revoked other.com " KEY_A "\nexample.com " KEY_A "\n",
	  "example.com", 22, KEY_A, FERRY_HOST_OK, 2, 0 },
	{ "@cert-authority lines are ignored",
	  "@cert-authority example.com " KEY_A "\n", "example.com", 22, KEY_A,
	  FERRY_HOST_UNKNOWN, 0, 0 },
	{ "an unknown marker is ignored", "@trusted example.com " KEY_A "\n",
	  "example.com", 22, KEY_A, FERRY_HOST_UNKNOWN, 0, 0 },
	{ "comments, blank lines and junk are skipped",
	  "\n   \n# example.com " KEY_A "\nexample.com\nexample.com "
	  "ssh-ed25519\nexample.com ssh-ed25519 not*base64\n|1|x "
	  "ssh-ed25519 AAAA\n  example.com " KEY_A "\n", "example.com", 22,
	  KEY_A, FERRY_HOST_OK, 8, 0 },
	{ "empty text", "", "example.com", 22, KEY_A, FERRY_HOST_UNKNOWN, 0,
	  0 },
};

static void test_match_table(void **state)
{
	struct ferry_buf key = FERRY_BUF_INIT;
	struct ferry_host_match m;
	struct ferry_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct match_case *c = &cases[i];

		blob_of(&key, c->key);
		ferry_error_init(&err);
		memset(&m, 0xff, sizeof(m));
		if (ferry_known_hosts_match(&m, c->text, strlen(c->text),
					    c->host, c->port, key.buf, key.len,
					    &err))
			fail_msg("%s: %s", c->name, err.msg);
		if (m.status != c->status || m.line != c->line ||
		    m.other_types != c->other_types)
			fail_msg("%s: got status %d line %zu other %d, want "
				 "%d %zu %d", c->name, (int)m.status, m.line,
				 m.other_types, (int)c->status, c->line,
				 c->other_types);
	}
	ferry_buf_release(&key);
}

/* ---- files and messages ------------------------------------------------ */

static char tmpdir[] = "/tmp/ferry-known-hosts-XXXXXX";
static char *user_file, *sys_file;

static int setup_files(void **state)
{
	struct ferry_error err;
	char *dir;

	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	setenv("HOME", tmpdir, 1);
	dir = ferry_path_join(tmpdir, ".ssh");
	user_file = ferry_path_join(dir, "known_hosts");
	sys_file = ferry_path_join(tmpdir, "ssh_known_hosts");
	ferry_error_init(&err);
	if (!dir || !user_file || !sys_file || ferry_fs_mkdirs(dir, &err))
		return -1;
	free(dir);
	return 0;
}

static int teardown_files(void **state)
{
	struct ferry_error err;

	(void)state;
	ferry_error_init(&err);
	ferry_fs_remove_tree(tmpdir, &err);
	free(user_file);
	free(sys_file);
	return 0;
}

/* Write `text` to `path`, or remove `path` when `text` is NULL. */
static void put(const char *path, const char *text)
{
	struct ferry_error err;

	ferry_error_init(&err);
	if (!text) {
		unlink(path);
		return;
	}
	if (ferry_fs_write_atomic(path, text, strlen(text), 0644, 0, &err))
		fail_msg("%s", err.msg);
}

/* ferry_known_hosts_verify() of KEY_A offered by `host`:`port`. */
static int verify(struct ferry_error *err, const char *user,
		  const char *sys, const char *host, unsigned port)
{
	struct ferry_buf key = FERRY_BUF_INIT;
	int rc;

	put(user_file, user);
	put(sys_file, sys);
	blob_of(&key, KEY_A);
	ferry_error_init(err);
	rc = ferry_known_hosts_verify(host, port, key.buf, key.len, sys_file,
				      err);
	ferry_buf_release(&key);
	return rc;
}

static void assert_contains(const char *msg, const char *part)
{
	if (!strstr(msg, part))
		fail_msg("expected '%s' in: %s", part, msg);
}

static void test_verify_known(void **state)
{
	struct ferry_error err;

	(void)state;
	assert_int_equal(verify(&err, "[127.0.0.1]:2222 " KEY_A "\n", NULL,
				"127.0.0.1", 2222), 0);
	assert_int_equal(verify(&err, NULL, "[127.0.0.1]:2222 " KEY_A "\n",
				"127.0.0.1", 2222), 0);
	/* a key known in one file outranks a changed one in the other */
	assert_int_equal(verify(&err, "[127.0.0.1]:2222 " KEY_B "\n",
				"[127.0.0.1]:2222 " KEY_A "\n", "127.0.0.1",
				2222), 0);
	assert_int_equal(verify(&err, HASHED_PORT " " KEY_A "\n", NULL,
				"10.0.0.1", 2222), 0);
}

static void test_verify_unknown(void **state)
{
	struct ferry_error err;
	char *want;

	(void)state;
	assert_int_equal(verify(&err, "", NULL, "127.0.0.1", 2222),
			 FERRY_EAUTH);
	want = ferry_xstrfmt("ssh host key of [127.0.0.1]:2222 is not in "
			     "~/.ssh/known_hosts or %s (it offers " FP_A
			     "); check it and add it (ssh-keyscan -p 2222 "
			     "127.0.0.1 >> ~/.ssh/known_hosts)", sys_file);
	assert_non_null(want);
	assert_string_equal(err.msg, want);
	free(want);

	/* port 22: no brackets, no -p */
	assert_int_equal(verify(&err, "[example.com]:2222 " KEY_A "\n", NULL,
				"example.com", 22), FERRY_EAUTH);
	assert_contains(err.msg, "ssh host key of example.com is not in");
	assert_contains(err.msg, "(ssh-keyscan example.com >> "
			"~/.ssh/known_hosts)");

	/* only keys of another type: said so */
	assert_int_equal(verify(&err, NULL, "example.com " KEY_C "\n",
				"example.com", 22), FERRY_EAUTH);
	assert_contains(err.msg, "only keys of other types are known");
}

static void test_verify_changed(void **state)
{
	struct ferry_error err;

	(void)state;
	assert_int_equal(verify(&err, "# old\n[127.0.0.1]:2222 " KEY_B "\n",
				NULL, "127.0.0.1", 2222), FERRY_EAUTH);
	assert_contains(err.msg, "ssh host key of [127.0.0.1]:2222 has "
			"CHANGED: it offers " FP_A ", but ~/.ssh/known_hosts:2 "
			"holds another key of that type");
	assert_contains(err.msg, "possible man-in-the-middle attack");
	assert_contains(err.msg, "(ssh-keygen -R '[127.0.0.1]:2222')");

	/* in the system file: named, and -f for ssh-keygen */
	assert_int_equal(verify(&err, NULL, "example.com " KEY_B "\n",
				"example.com", 22), FERRY_EAUTH);
	assert_contains(err.msg, sys_file);
	assert_contains(err.msg, " -f ");
}

static void test_verify_revoked(void **state)
{
	struct ferry_error err;

	(void)state;
	/* revoked in the system file beats a match in the user's */
	assert_int_equal(verify(&err, "example.com " KEY_A "\n",
				"\n@revoked * " KEY_A "\n", "example.com", 22),
			 FERRY_EAUTH);
	assert_contains(err.msg, "(" FP_A ") is marked @revoked in ");
	assert_contains(err.msg, ":2; refusing to connect");
}

static void test_verify_without_home(void **state)
{
	struct ferry_error err;
	char *home = ferry_strdup(getenv("HOME"));

	(void)state;
	assert_non_null(home);
	unsetenv("HOME");
	assert_int_equal(verify(&err, "example.com " KEY_A "\n", NULL,
				"example.com", 22), FERRY_EAUTH);
	assert_int_equal(verify(&err, NULL, "example.com " KEY_A "\n",
				"example.com", 22), 0);
	setenv("HOME", home, 1);
	free(home);
}

/* A hostile server's key type never reaches the terminal raw. */
static void test_hostile_key_type(void **state)
{
	static const char blob[] = "\0\0\0\x0dssh-\x1b[31mevil\0\0\0\1x";
	struct ferry_error err;

	(void)state;
	put(user_file, "");
	put(sys_file, NULL);
	ferry_error_init(&err);
	assert_int_equal(ferry_known_hosts_verify("example.com", 22, blob,
						  sizeof(blob) - 1, sys_file,
						  &err), FERRY_EAUTH);
	assert_null(strchr(err.msg, '\x1b'));
	assert_contains(err.msg, "(it offers ssh-??31mevil SHA256:");
}

/* A known_hosts that cannot be read is an error, not an empty file. */
static void test_unreadable_file(void **state)
{
	struct ferry_buf key = FERRY_BUF_INIT;
	struct ferry_error err;
	char *dir = ferry_path_join(tmpdir, "dir");

	(void)state;
	assert_non_null(dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	blob_of(&key, KEY_A);
	put(user_file, "example.com " KEY_A "\n");
	ferry_error_init(&err);
	assert_int_equal(ferry_known_hosts_verify("example.com", 22, key.buf,
						  key.len, dir, &err),
			 FERRY_EFAIL);
	assert_contains(err.msg, "is a directory");
	rmdir(dir);
	free(dir);
	ferry_buf_release(&key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_verify_known),
		cmocka_unit_test(test_verify_unknown),
		cmocka_unit_test(test_verify_changed),
		cmocka_unit_test(test_verify_revoked),
		cmocka_unit_test(test_verify_without_home),
		cmocka_unit_test(test_hostile_key_type),
		cmocka_unit_test(test_unreadable_file),
	};

	return cmocka_run_group_tests(tests, setup_files, teardown_files);
}
