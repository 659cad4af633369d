/*
 * test_fs.c - file system helpers (core/fs.c) in a temporary directory:
 * whole-file reads and their limits, atomic and create-if-absent writes and
 * copies, mkdir -p, rm -rf next to symlinks, the sorted walk with skipped
 * directories, symlinks and cycles, path joining and normalisation, and
 * held temporary directories with the sweep of abandoned ones.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "ferry/fs.h"

struct fixture {
	char dir[256];
};

/* Clean-up independent of ferry_fs_remove_tree, which is under test. */
static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");

	if (!fx)
		return -1;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (snprintf(fx->dir, sizeof(fx->dir), "%s/ferry-fs-XXXXXX", tmp) >=
	    (int)sizeof(fx->dir) || !mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int rc = nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	free(fx);
	return rc;
}

/* fx->dir joined with a printf-style relative path (static storage). */
static const char *at(struct fixture *fx, const char *rel)
{
	static char paths[4][PATH_MAX];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", fx->dir, rel);
	return p;
}

static void put(struct fixture *fx, const char *rel, const char *content)
{
	FILE *f = fopen(at(fx, rel), "w");

	assert_non_null(f);
	assert_int_equal(fputs(content, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void assert_content(struct fixture *fx, const char *rel,
			   const char *want)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	struct ferry_error err;

	ferry_error_init(&err);
	if (ferry_fs_read(&b, at(fx, rel), 0, &err))
		fail_msg("read '%s': %s", rel, err.msg);
	assert_string_equal(b.buf, want);
	assert_int_equal(b.len, strlen(want));
	ferry_buf_release(&b);
}

/* Names in fx->dir/rel, other than . and .., sorted, comma-separated. */
static void assert_listing(struct fixture *fx, const char *rel,
			   const char *want)
{
	struct ferry_strvec v = FERRY_STRVEC_INIT;
	struct ferry_buf got = FERRY_BUF_INIT;
	struct dirent *de;
	DIR *d = opendir(at(fx, rel));
	size_t i;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			assert_int_equal(ferry_strvec_push(&v, de->d_name), 0);
	closedir(d);
	ferry_strvec_sort(&v);
	for (i = 0; i < v.nr; i++)
		ferry_buf_addf(&got, "%s%s", i ? "," : "", v.items[i]);
	assert_string_equal(got.buf, want);
	ferry_buf_release(&got);
	ferry_strvec_release(&v);
}

static void test_read(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf b = FERRY_BUF_INIT;
	struct ferry_error err;

	put(fx, "a.txt", "hello\n");
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_read(&b, at(fx, "a.txt"), 0, &err), 0);
	assert_string_equal(b.buf, "hello\n");
	assert_int_equal(b.len, 6);
	/* reads append */
	assert_int_equal(ferry_fs_read(&b, at(fx, "a.txt"), 0, &err), 0);
	assert_string_equal(b.buf, "hello\nhello\n");
	ferry_buf_release(&b);

	/* an empty file is an empty string */
	put(fx, "empty", "");
	assert_int_equal(ferry_fs_read(&b, at(fx, "empty"), 10, &err), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.buf, "");
	ferry_buf_release(&b);
	assert_int_equal(err.code, 0);
}

static void test_read_large_file(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf b = FERRY_BUF_INIT, want = FERRY_BUF_INIT;
	struct ferry_error err;
	size_t i;

	for (i = 0; i < 50000; i++)
		assert_int_equal(ferry_buf_addf(&want, "%04zu", i % 10000), 0);
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_write_atomic(at(fx, "big"), want.buf, want.len,
					       0644, 0, &err), 0);
	assert_int_equal(ferry_fs_read(&b, at(fx, "big"), 0, &err), 0);
	assert_int_equal(b.len, 200000);
	assert_memory_equal(b.buf, want.buf, want.len);
	assert_int_equal(b.buf[b.len], '\0');
	ferry_buf_release(&b);
	ferry_buf_release(&want);
}

static void test_read_missing_is_notfound(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf b = FERRY_BUF_INIT;
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(ferry_fs_read(&b, at(fx, "nope.yaml"), 0, &err),
			 FERRY_ENOTFOUND);
	assert_int_equal(err.code, FERRY_ENOTFOUND);
	assert_non_null(strstr(err.msg, "nope.yaml"));
	assert_int_equal(b.len, 0);
	ferry_buf_release(&b);
	/* NULL error record allowed */
	assert_int_equal(ferry_fs_read(&b, at(fx, "nope.yaml"), 0, NULL),
			 FERRY_ENOTFOUND);
}

static void test_read_max_size(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf b = FERRY_BUF_INIT;
	struct ferry_error err;

	put(fx, "ten", "0123456789");
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_read(&b, at(fx, "ten"), 9, &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "too large"));
	assert_non_null(strstr(err.msg, "ten"));
	ferry_buf_release(&b);

	/* exactly at the limit is allowed */
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_read(&b, at(fx, "ten"), 10, &err), 0);
	assert_string_equal(b.buf, "0123456789");
	/* the limit is on the file, not on what the buffer held before */
	assert_int_equal(ferry_fs_read(&b, at(fx, "ten"), 10, &err), 0);
	assert_string_equal(b.buf, "01234567890123456789");
	ferry_buf_release(&b);
}

static void test_read_directory_refused(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf b = FERRY_BUF_INIT;
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(mkdir(at(fx, "d"), 0755), 0);
	assert_int_equal(ferry_fs_read(&b, at(fx, "d"), 0, &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "is a directory"));
	assert_int_equal(b.len, 0);
	ferry_buf_release(&b);
}

static void test_write_atomic_replaces(void **state)
{
	struct fixture *fx = *state;
	struct ferry_error err;
	struct stat st;

	ferry_error_init(&err);
	assert_int_equal(ferry_fs_write_atomic(at(fx, "f"), "first version", 13,
					       0640, 0, &err), 0);
	assert_content(fx, "f", "first version");
	assert_int_equal(stat(at(fx, "f"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(ferry_fs_write_atomic(at(fx, "f"), "2nd", 3, 0600, 0,
					       &err), 0);
	assert_content(fx, "f", "2nd");
	assert_int_equal(stat(at(fx, "f"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* zero bytes */
	assert_int_equal(ferry_fs_write_atomic(at(fx, "f"), "", 0, 0644, 0,
					       &err), 0);
	assert_content(fx, "f", "");
	/* no temporary file is left next to it */
	assert_listing(fx, ".", "f");
	assert_int_equal(err.code, 0);
}

static void test_write_atomic_missing_parent(void **state)
{
	struct fixture *fx = *state;
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(ferry_fs_write_atomic(at(fx, "no/such/f"), "x", 1, 0644,
					       0, &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "no/such/f"));
	assert_listing(fx, ".", "");
}

static void test_write_if_absent(void **state)
{
	struct fixture *fx = *state;
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(ferry_fs_write_atomic(at(fx, "rec"), "old", 3, 0644, 1,
					       &err), 0);
	assert_content(fx, "rec", "old");
	assert_int_equal(ferry_fs_write_atomic(at(fx, "rec"), "new!", 4, 0644, 1,
					       &err), FERRY_EEXIST);
	assert_int_equal(err.code, FERRY_EEXIST);
	assert_non_null(strstr(err.msg, "already exists"));
	assert_content(fx, "rec", "old");
	assert_listing(fx, ".", "rec");
}

static void test_copy_atomic(void **state)
{
	struct fixture *fx = *state;
	struct ferry_error err;
	struct stat st;

	put(fx, "src", "payload");
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_copy_atomic(at(fx, "dst"), at(fx, "src"), 0755,
					      0, &err), 0);
	assert_content(fx, "dst", "payload");
	assert_int_equal(stat(at(fx, "dst"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	/* replaces */
	put(fx, "src", "payload v2");
	assert_int_equal(ferry_fs_copy_atomic(at(fx, "dst"), at(fx, "src"), 0644,
					      0, &err), 0);
	assert_content(fx, "dst", "payload v2");
	/* if_absent keeps the target */
	put(fx, "src", "payload v3");
	assert_int_equal(ferry_fs_copy_atomic(at(fx, "dst"), at(fx, "src"), 0644,
					      1, &err), FERRY_EEXIST);
	assert_content(fx, "dst", "payload v2");
	/* missing source */
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_copy_atomic(at(fx, "dst2"), at(fx, "gone"),
					      0644, 0, &err), FERRY_ENOTFOUND);
	assert_non_null(strstr(err.msg, "gone"));
	assert_listing(fx, ".", "dst,src");
}

static void test_mkdirs(void **state)
{
	struct fixture *fx = *state;
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(ferry_fs_mkdirs(at(fx, "a/b/c"), &err), 0);
	assert_true(ferry_fs_is_dir(at(fx, "a/b/c")));
	/* existing directories are fine, also with a trailing slash */
	assert_int_equal(ferry_fs_mkdirs(at(fx, "a/b/c"), &err), 0);
	assert_int_equal(ferry_fs_mkdirs(at(fx, "a/b/"), &err), 0);
	assert_int_equal(ferry_fs_mkdirs(fx->dir, &err), 0);
	assert_int_equal(ferry_fs_mkdirs("/", &err), 0);
	assert_int_equal(err.code, 0);

	/* a file in the way, at the end or in the middle */
	put(fx, "a/file", "x");
	assert_int_equal(ferry_fs_mkdirs(at(fx, "a/file"), &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "a/file"));
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_mkdirs(at(fx, "a/file/sub"), &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "a/file"));
	assert_true(ferry_fs_is_file(at(fx, "a/file")));

	/* an empty path is refused, not read past */
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_mkdirs("", &err), FERRY_EFAIL);
}

static void test_mkdirs_parent(void **state)
{
	struct fixture *fx = *state;
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(ferry_fs_mkdirs_parent(at(fx, "p/q/file.txt"), &err), 0);
	assert_true(ferry_fs_is_dir(at(fx, "p/q")));
	assert_false(ferry_fs_exists(at(fx, "p/q/file.txt")));
	assert_int_equal(ferry_fs_mkdirs_parent(at(fx, "p/q/file.txt"), &err), 0);
	/* no directory part: nothing to do */
	assert_int_equal(ferry_fs_mkdirs_parent("file.txt", &err), 0);
	assert_int_equal(ferry_fs_mkdirs_parent("/file.txt", &err), 0);
	assert_int_equal(err.code, 0);
	put(fx, "p/plain", "x");
	assert_int_equal(ferry_fs_mkdirs_parent(at(fx, "p/plain/f"), &err),
			 FERRY_EFAIL);
}

static void test_remove_tree_keeps_symlink_targets(void **state)
{
	struct fixture *fx = *state;
	struct ferry_error err;

	assert_int_equal(mkdir(at(fx, "outside"), 0755), 0);
	put(fx, "outside/precious", "keep me");
	assert_int_equal(mkdir(at(fx, "tree"), 0755), 0);
	assert_int_equal(mkdir(at(fx, "tree/sub"), 0755), 0);
	assert_int_equal(mkdir(at(fx, "tree/sub/deeper"), 0755), 0);
	put(fx, "tree/a", "1");
	put(fx, "tree/sub/b", "2");
	put(fx, "tree/sub/deeper/c", "3");
	assert_int_equal(symlink(at(fx, "outside"), at(fx, "tree/sub/link")), 0);
	assert_int_equal(symlink("../outside/precious", at(fx, "tree/flink")), 0);
	assert_int_equal(symlink("nowhere", at(fx, "tree/dangling")), 0);

	ferry_error_init(&err);
	assert_int_equal(ferry_fs_remove_tree(at(fx, "tree"), &err), 0);
	assert_false(ferry_fs_exists(at(fx, "tree")));
	assert_content(fx, "outside/precious", "keep me");
	assert_listing(fx, ".", "outside");
	assert_listing(fx, "outside", "precious");
	/* a missing path is not an error */
	assert_int_equal(ferry_fs_remove_tree(at(fx, "tree"), &err), 0);
	/* a plain file */
	put(fx, "lone", "x");
	assert_int_equal(ferry_fs_remove_tree(at(fx, "lone"), &err), 0);
	assert_false(ferry_fs_exists(at(fx, "lone")));
	/* a symlink to a directory as the root: the link goes, not the target */
	assert_int_equal(symlink(at(fx, "outside"), at(fx, "rootlink")), 0);
	assert_int_equal(ferry_fs_remove_tree(at(fx, "rootlink"), &err), 0);
	assert_false(ferry_fs_exists(at(fx, "rootlink")));
	assert_content(fx, "outside/precious", "keep me");
	assert_int_equal(err.code, 0);
}

static void assert_walk(struct fixture *fx, const char *rel,
			const char *const *skip, const char *want)
{
	struct ferry_strvec v = FERRY_STRVEC_INIT;
	struct ferry_buf got = FERRY_BUF_INIT;
	struct ferry_error err;
	size_t i;

	ferry_error_init(&err);
	if (ferry_fs_walk(&v, at(fx, rel), skip, &err))
		fail_msg("walk '%s': %s", rel, err.msg);
	for (i = 0; i < v.nr; i++)
		ferry_buf_addf(&got, "%s%s", i ? "," : "", v.items[i]);
	assert_string_equal(got.buf, want);
	ferry_buf_release(&got);
	ferry_strvec_release(&v);
}

static void test_walk_sorted_bytewise(void **state)
{
	struct fixture *fx = *state;

	/* per directory "a" < "a-b", but globally "a-b/x" < "a/b" ('-' < '/') */
	assert_int_equal(ferry_fs_mkdirs(at(fx, "r/a"), NULL), 0);
	assert_int_equal(ferry_fs_mkdirs(at(fx, "r/a-b"), NULL), 0);
	assert_int_equal(ferry_fs_mkdirs(at(fx, "r/B/deep/er"), NULL), 0);
	put(fx, "r/a/b", "");
	put(fx, "r/a-b/x", "");
	put(fx, "r/a.txt", "");
	put(fx, "r/Z", "");
	put(fx, "r/_u", "");
	put(fx, "r/B/deep/er/f", "");
	assert_int_equal(mkdir(at(fx, "r/emptydir"), 0755), 0);
	assert_walk(fx, "r", NULL, "B/deep/er/f,Z,_u,a-b/x,a.txt,a/b");
}

static void test_walk_skip_dirs(void **state)
{
	static const char *const skip[] = { "node_modules", ".git", NULL };
	struct fixture *fx = *state;

	assert_int_equal(ferry_fs_mkdirs(at(fx, "r/node_modules/x"), NULL), 0);
	assert_int_equal(ferry_fs_mkdirs(at(fx, "r/src/.git"), NULL), 0);
	assert_int_equal(ferry_fs_mkdirs(at(fx, "r/src/lib"), NULL), 0);
	put(fx, "r/node_modules/x/i.js", "");
	put(fx, "r/src/.git/HEAD", "");
	put(fx, "r/src/lib/node_modules", "a file, not a directory");
	put(fx, "r/index.js", "");
	assert_walk(fx, "r", skip, "index.js,src/lib/node_modules");
	assert_walk(fx, "r", NULL,
		    "index.js,node_modules/x/i.js,src/.git/HEAD,"
		    "src/lib/node_modules");
}

static void test_walk_symlinks(void **state)
{
	struct fixture *fx = *state;
	struct ferry_strvec v = FERRY_STRVEC_INIT;
	struct ferry_error err;

	assert_int_equal(ferry_fs_mkdirs(at(fx, "r/real/sub"), NULL), 0);
	assert_int_equal(ferry_fs_mkdirs(at(fx, "shared"), NULL), 0);
	put(fx, "r/real/f.txt", "");
	put(fx, "r/real/sub/g.txt", "");
	put(fx, "shared/s.txt", "");
	/* a symlinked directory inside the tree and one outside it */
	assert_int_equal(symlink("real", at(fx, "r/link")), 0);
	assert_int_equal(symlink(at(fx, "shared"), at(fx, "r/ext")), 0);
	/* cycles: back to the root and to the directory itself */
	assert_int_equal(symlink("../..", at(fx, "r/real/sub/up")), 0);
	assert_int_equal(symlink(".", at(fx, "r/real/self")), 0);
	/* a symlink to a file is listed, a dangling one is not */
	assert_int_equal(symlink("real/f.txt", at(fx, "r/flink")), 0);
	assert_int_equal(symlink("missing", at(fx, "r/dangling")), 0);
	assert_int_equal(symlink("loop2", at(fx, "r/loop1")), 0);
	assert_int_equal(symlink("loop1", at(fx, "r/loop2")), 0);
	assert_walk(fx, "r", NULL,
		    "ext/s.txt,flink,link/f.txt,link/sub/g.txt,"
		    "real/f.txt,real/sub/g.txt");

	/* appends to what `out` held, and the whole list is sorted */
	assert_int_equal(ferry_strvec_push(&v, "zzz"), 0);
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_walk(&v, at(fx, "shared"), NULL, &err), 0);
	assert_int_equal(v.nr, 2);
	assert_string_equal(v.items[0], "s.txt");
	assert_string_equal(v.items[1], "zzz");
	ferry_strvec_release(&v);

	/* a missing root is an error */
	assert_int_equal(ferry_fs_walk(&v, at(fx, "none"), NULL, &err),
			 FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "none"));
	ferry_strvec_release(&v);
}

static void test_exists_is_dir_is_file(void **state)
{
	struct fixture *fx = *state;

	put(fx, "f", "");
	assert_int_equal(mkdir(at(fx, "d"), 0755), 0);
	assert_int_equal(symlink("d", at(fx, "dl")), 0);
	assert_int_equal(symlink("gone", at(fx, "bad")), 0);
	assert_true(ferry_fs_exists(at(fx, "f")));
	assert_true(ferry_fs_exists(at(fx, "bad")));	/* lstat */
	assert_false(ferry_fs_exists(at(fx, "zz")));
	assert_true(ferry_fs_is_file(at(fx, "f")));
	assert_false(ferry_fs_is_file(at(fx, "d")));
	assert_false(ferry_fs_is_file(at(fx, "bad")));
	assert_true(ferry_fs_is_dir(at(fx, "d")));
	assert_true(ferry_fs_is_dir(at(fx, "dl")));	/* follows */
	assert_false(ferry_fs_is_dir(at(fx, "f")));
}

static void test_path_join(void **state)
{
	static const struct {
		const char *a, *b, *want;
	} cases[] = {
		{ "a", "b", "a/b" },
		{ "a/", "b", "a/b" },
		{ "a", "/b", "a/b" },
		{ "a/", "/b", "a/b" },
		{ "/", "b", "/b" },
		{ "", "b", "b" },
		{ "/x/y", "c/d.txt", "/x/y/c/d.txt" },
	};
	size_t i;
	char *got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = ferry_path_join(cases[i].a, cases[i].b);
		assert_non_null(got);
		if (strcmp(got, cases[i].want))
			fail_msg("join '%s' '%s': '%s', want '%s'", cases[i].a,
				 cases[i].b, got, cases[i].want);
		free(got);
	}
}

static void test_path_absolute(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "/", "/" },
		{ "/a/b", "/a/b" },
		{ "/a/./b", "/a/b" },
		{ "/a//b///c", "/a/b/c" },
		{ "/a/b/", "/a/b" },
		{ "/a/b/../c", "/a/c" },
		{ "/a/b/../../..", "/" },
		{ "/../x", "/x" },
		{ "//a/.//./b/..", "/a" },
		{ "/a/..b/.c", "/a/..b/.c" },
	};
	char cwd[PATH_MAX], want[PATH_MAX + 32], *got, *slash;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = ferry_path_absolute(cases[i].in);
		assert_non_null(got);
		if (strcmp(got, cases[i].want))
			fail_msg("absolute '%s': '%s', want '%s'", cases[i].in,
				 got, cases[i].want);
		free(got);
	}
	/* relative paths start at the working directory */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	got = ferry_path_absolute("x/./y//z/..");
	snprintf(want, sizeof(want), "%s/x/y", strcmp(cwd, "/") ? cwd : "");
	assert_string_equal(got, want);
	free(got);
	got = ferry_path_absolute(".");
	assert_string_equal(got, cwd);
	free(got);
	got = ferry_path_absolute("..");
	slash = strrchr(cwd, '/');
	if (slash == cwd)
		slash[1] = '\0';
	else
		*slash = '\0';
	assert_string_equal(got, cwd);
	free(got);
}

/* Set the mtime of fx->dir/rel to `ago` seconds in the past. */
static void age(struct fixture *fx, const char *rel, int ago)
{
	struct timeval tv[2];

	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= ago;
	tv[1] = tv[0];
	assert_int_equal(utimes(at(fx, rel), tv), 0);
}

static void test_mkdtemp_held_and_sweep(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf dead = FERRY_BUF_INIT;
	struct ferry_error err;
	char held[PATH_MAX];
	pid_t pid;
	int fd, status;

	ferry_error_init(&err);
	snprintf(held, sizeof(held), "%s/.p.ferry-init-XXXXXX", fx->dir);
	assert_int_equal(ferry_fs_mkdtemp_held(held, &fd, &err), 0);
	assert_true(fd >= 0);
	assert_true(ferry_fs_is_dir(held));
	assert_string_not_equal(strrchr(held, '/') + 1, ".p.ferry-init-XXXXXX");
	age(fx, strrchr(held, '/') + 1, 3600);

	/* one made by a process killed with -9: its lock died with it */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char path[PATH_MAX];
		int dfd;
		FILE *f;

		snprintf(path, sizeof(path), "%s/.p.ferry-init-XXXXXX",
			 fx->dir);
		if (ferry_fs_mkdtemp_held(path, &dfd, &err))
			_exit(1);
		f = fopen(at(fx, "dead-name"), "w");
		if (!f || fputs(strrchr(path, '/') + 1, f) < 0 || fclose(f))
			_exit(1);
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(ferry_fs_read(&dead, at(fx, "dead-name"), 0, &err), 0);
	age(fx, dead.buf, 3600);
	assert_true(ferry_fs_is_dir(at(fx, dead.buf)));

	/* kept: too young, another prefix, not a directory */
	assert_int_equal(mkdir(at(fx, ".p.ferry-init-young"), 0700), 0);
	assert_int_equal(mkdir(at(fx, ".q.ferry-init-old"), 0700), 0);
	age(fx, ".q.ferry-init-old", 3600);
	put(fx, ".p.ferry-init-file", "x");
	age(fx, ".p.ferry-init-file", 3600);

	assert_int_equal(ferry_fs_sweep_abandoned(fx->dir, ".p.ferry-init-",
						  10), 1);
	assert_false(ferry_fs_exists(at(fx, dead.buf)));
	assert_true(ferry_fs_is_dir(held));
	assert_true(ferry_fs_is_dir(at(fx, ".p.ferry-init-young")));
	assert_true(ferry_fs_is_dir(at(fx, ".q.ferry-init-old")));
	assert_true(ferry_fs_is_file(at(fx, ".p.ferry-init-file")));

	/* released by its owner, and no age asked: both go */
	assert_int_equal(close(fd), 0);
	assert_int_equal(ferry_fs_sweep_abandoned(fx->dir, ".p.ferry-init-",
						  0), 2);
	assert_false(ferry_fs_exists(held));
	assert_false(ferry_fs_exists(at(fx, ".p.ferry-init-young")));
	assert_true(ferry_fs_is_dir(at(fx, ".q.ferry-init-old")));
	/* a missing directory is no error */
	assert_int_equal(ferry_fs_sweep_abandoned(at(fx, "none"), "x", 0), 0);
	ferry_buf_release(&dead);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_read),
		T(test_read_large_file),
		T(test_read_missing_is_notfound),
		T(test_read_max_size),
		T(test_read_directory_refused),
		T(test_write_atomic_replaces),
		T(test_write_atomic_missing_parent),
		T(test_write_if_absent),
		T(test_copy_atomic),
		T(test_mkdirs),
		T(test_mkdirs_parent),
		T(test_remove_tree_keeps_symlink_targets),
		T(test_walk_sorted_bytewise),
		T(test_walk_skip_dirs),
		T(test_walk_symlinks),
		T(test_exists_is_dir_is_file),
		T(test_mkdtemp_held_and_sweep),
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_path_absolute),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
