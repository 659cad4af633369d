/*
 * test_git.c - ferry_git_head() against real repositories made with the
 * git command line in a temporary directory: outside a repository, unborn
 * HEAD, commit id and branch, dirty state, lookup from a subdirectory and a
 * detached HEAD.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ferry/buf.h"
#include "ferry/error.h"
#include "ferry/fs.h"
#include "ferry/git.h"
#include "gitcli.h"


static void write_file(const char *dir, const char *name, const char *text)
{
	char *p = ferry_path_join(dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	free(p);
}

static void test_not_a_repository(void **state)
{
	char tmpl[] = "/tmp/ferry-git-XXXXXX";
	struct ferry_git_head h;
	struct ferry_error err;
	char *want;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	ferry_error_init(&err);
	assert_int_equal(ferry_git_head(&h, tmpl, &err), FERRY_ENOTFOUND);
	want = ferry_xstrfmt("'%s' is not inside a git repository", tmpl);
	assert_string_equal(err.msg, want);
	free(want);

	/* an initialised repository without commits has no HEAD to tell */
	assert_int_equal(git(tmpl, NULL, "init", "-q", "-b", "main", NULL), 0);
	ferry_error_init(&err);
	assert_int_equal(ferry_git_head(&h, tmpl, &err), FERRY_ENOTFOUND);
	want = ferry_xstrfmt("the git repository of '%s' has no commit yet",
			     tmpl);
	assert_string_equal(err.msg, want);
	free(want);
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_remove_tree(tmpl, &err), 0);
}

static void test_head(void **state)
{
	char tmpl[] = "/tmp/ferry-git-XXXXXX";
	struct ferry_buf sha = FERRY_BUF_INIT;
	struct ferry_git_head h;
	struct ferry_error err;
	char *sub;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(git(tmpl, NULL, "init", "-q", "-b", "trunk", NULL), 0);
	write_file(tmpl, "a.txt", "one\n");
	assert_int_equal(git(tmpl, NULL, "add", "a.txt", NULL), 0);
	assert_int_equal(git(tmpl, NULL, "commit", "-q", "-m", "first", NULL),
			 0);
	assert_int_equal(git(tmpl, &sha, "rev-parse", "HEAD", NULL), 0);

	ferry_error_init(&err);
	assert_int_equal(ferry_git_head(&h, tmpl, &err), 0);
	assert_string_equal(h.sha, sha.buf);
	assert_string_equal(h.branch, "trunk");
	assert_int_equal(h.dirty, 0);
	ferry_git_head_release(&h);
	assert_null(h.branch);

	/* untracked files do not make it dirty, changed tracked ones do */
	write_file(tmpl, "new.txt", "untracked\n");
	assert_int_equal(ferry_git_head(&h, tmpl, &err), 0);
	assert_int_equal(h.dirty, 0);
	ferry_git_head_release(&h);
	write_file(tmpl, "a.txt", "two\n");
	assert_int_equal(ferry_git_head(&h, tmpl, &err), 0);
	assert_int_equal(h.dirty, 1);
	ferry_git_head_release(&h);

	/* found from a subdirectory */
	sub = ferry_path_join(tmpl, "deep/er");
	assert_int_equal(ferry_fs_mkdirs(sub, &err), 0);
	assert_int_equal(ferry_git_head(&h, sub, &err), 0);
	assert_string_equal(h.sha, sha.buf);
	ferry_git_head_release(&h);
	free(sub);

	/* detached HEAD: a commit but no branch */
	assert_int_equal(git(tmpl, NULL, "checkout", "-q", "-f", "--detach",
			     "HEAD", NULL), 0);
	assert_int_equal(ferry_git_head(&h, tmpl, &err), 0);
	assert_string_equal(h.sha, sha.buf);
	assert_null(h.branch);
	assert_int_equal(h.dirty, 0);
	ferry_git_head_release(&h);
	ferry_git_head_release(NULL);

	assert_int_equal(ferry_fs_remove_tree(tmpl, &err), 0);
	ferry_buf_release(&sha);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_a_repository),
		cmocka_unit_test(test_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
