/*
 * gitcli.h - run the git command line from a unit test (to build the
 * repositories the tests read), header-only like moto.h. Include it after
 * <cmocka.h>; every call asserts that git could be run.
 */
#ifndef FERRY_TEST_GITCLI_H
#define FERRY_TEST_GITCLI_H

#include <stdarg.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ferry/buf.h"

/* Run git with `args` (NULL-terminated) in `dir`; stdout into `out`. */
static int git(const char *dir, struct ferry_buf *out, ...)
{
	const char *argv[40];
	int fds[2], status, n = 0;
	char buf[4096];
	ssize_t got;
	va_list ap;
	pid_t pid;

	argv[n++] = "git";
	argv[n++] = "-c";
	argv[n++] = "user.name=Ferry Test";
	argv[n++] = "-c";
	argv[n++] = "user.email=test@example.com";
	argv[n++] = "-c";
	argv[n++] = "commit.gpgsign=false";
	argv[n++] = "-c";
	argv[n++] = "tag.gpgsign=false";
	va_start(ap, out);
	while (n < 39 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (chdir(dir))
			_exit(127);
		execvp("git", (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while ((got = read(fds[0], buf, sizeof(buf))) > 0)
		if (out)
			ferry_buf_add(out, buf, (size_t)got);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (out)
		while (out->len && out->buf[out->len - 1] == '\n')
			ferry_buf_truncate(out, out->len - 1);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif
