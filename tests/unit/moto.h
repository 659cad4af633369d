/*
 * moto.h - start and stop a moto_server (the AWS emulator, see
 * /work/shared/notes/EMULATORS.md) from a unit test, talk to its
 * /moto-api/ and run small boto3 scripts against it. Header-only: every
 * tests/unit/test_*.c is an executable of its own, so include this from
 * the test that needs it.
 *
 *   struct moto m;
 *   moto_start(&m, msg, sizeof(msg));   127.0.0.1, a free port, ready
 *   moto_env(&m, "eu-west-1");          AWS_ENDPOINT_URL, keys, region
 *   ...
 *   moto_stop(&m);                      SIGTERM its process group, wait
 *
 * moto_server must be on PATH (it is preinstalled under pyenv); when it is
 * not, moto_start() fails with a message saying so: tests that need it
 * fail rather than skip.
 */
#ifndef FERRY_TEST_MOTO_H
#define FERRY_TEST_MOTO_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "port.h"

#define MOTO_START_TIMEOUT_MS 20000

struct moto {
	pid_t pid;		/* 0 when not running */
	int port;
	char url[64];		/* "http://127.0.0.1:PORT" */
	char log[64];		/* moto's output, for diagnostics */
};

static void moto_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Whether `name` is an executable file in a directory of PATH; that
 * directory goes to `dir` (when not NULL).
 */
static int moto_find(const char *name, char *dir, size_t dir_len)
{
	const char *path = getenv("PATH"), *p, *end;
	char file[4096];

	for (p = path; p && *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		snprintf(file, sizeof(file), "%.*s/%s", (int)(end - p),
			 end > p ? p : ".", name);
		if (!access(file, X_OK)) {
			if (dir)
				snprintf(dir, dir_len, "%.*s", (int)(end - p),
					 end > p ? p : ".");
			return 1;
		}
	}
	return 0;
}

static int moto_on_path(const char *name)
{
	return moto_find(name, NULL, 0);
}

/*
 * One HTTP/1.0 exchange with 127.0.0.1:port, unsigned (moto takes an
 * unsigned request as S3, and serves /moto-api/ to anyone). Returns the
 * status, or -1 when nothing answered. The body (up to `len` - 1 bytes,
 * NUL-terminated) goes to `out` when given.
 */
static int moto_http(int port, const char *method, const char *path,
		     const char *content_type, const char *body, char *out,
		     size_t len)
{
	struct sockaddr_in sa;
	struct timeval tv = {5, 0};
	char req[8192], *resp = NULL, *b;
	size_t have = 0, alloc = 0;
	ssize_t n;
	int fd, status = -1, w;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	w = snprintf(req, sizeof(req),
		     "%s %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n"
		     "%s%s%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		     method, path, port, content_type ? "Content-Type: " : "",
		     content_type ? content_type : "",
		     content_type ? "\r\n" : "",
		     body ? strlen(body) : 0, body ? body : "");
	if (w < 0 || (size_t)w >= sizeof(req) ||
	    write(fd, req, (size_t)w) != (ssize_t)w)
		goto out;
	for (;;) {
		if (have + 4096 + 1 > alloc) {
			char *p = realloc(resp, alloc = have + 65536);

			if (!p)
				goto out;
			resp = p;
		}
		n = read(fd, resp + have, alloc - have - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	if (!resp || have < 12 || strncmp(resp, "HTTP/1.", 7))
		goto out;
	resp[have] = '\0';
	status = (int)strtol(resp + 9, NULL, 10);
	if (out && len) {
		b = strstr(resp, "\r\n\r\n");
		snprintf(out, len, "%s", b ? b + 4 : "");
	}
out:
	free(resp);
	close(fd);
	return status;
}

/* Start moto_server and wait until it answers; 0 or -1 with `msg` set. */
static int moto_start(struct moto *m, char *msg, size_t msg_len)
{
	int attempt, fd, status;
	unsigned waited;
	char port[16];
	pid_t pid;

	memset(m, 0, sizeof(*m));
	if (!moto_on_path("moto_server")) {
		snprintf(msg, msg_len,
			 "moto_server is not on PATH (it is preinstalled "
			 "under pyenv: put ~/.pyenv/shims on PATH); the aws "
			 "tests need it");
		return -1;
	}
	snprintf(m->log, sizeof(m->log), "/tmp/ferry-moto-XXXXXX");
	fd = mkstemp(m->log);
	if (fd < 0) {
		snprintf(msg, msg_len, "cannot create %s: %s", m->log,
			 strerror(errno));
		return -1;
	}
	for (attempt = 0; attempt < 5; attempt++) {
		m->port = free_port();
		if (m->port <= 0)
			continue;
		snprintf(port, sizeof(port), "%d", m->port);
		pid = fork();
		if (pid < 0) {
			snprintf(msg, msg_len, "fork: %s", strerror(errno));
			break;
		}
		if (pid == 0) {
			int null = open("/dev/null", O_RDONLY);

			/* its own process group: stopped as a whole */
			setpgid(0, 0);
			if (null >= 0)
				dup2(null, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			execlp("moto_server", "moto_server", "-H", "127.0.0.1",
			       "-p", port, (char *)NULL);
			_exit(127);
		}
		m->pid = pid;
		for (waited = 0; waited < MOTO_START_TIMEOUT_MS; waited += 50) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				m->pid = 0;
				break;
			}
			if (moto_http(m->port, "GET", "/moto-api/", NULL, NULL,
				      NULL, 0) == 200) {
				close(fd);
				snprintf(m->url, sizeof(m->url),
					 "http://127.0.0.1:%d", m->port);
				return 0;
			}
			moto_sleep_ms(50);
		}
		if (m->pid) {
			snprintf(msg, msg_len,
				 "moto_server did not answer on port %d within "
				 "%d ms (its output: %s)", m->port,
				 MOTO_START_TIMEOUT_MS, m->log);
			kill(-m->pid, SIGKILL);
			waitpid(m->pid, &status, 0);
			m->pid = 0;
			break;
		}
		/* exited at once: the port was taken meanwhile, or worse */
		snprintf(msg, msg_len, "moto_server exited at start (its "
			 "output: %s)", m->log);
	}
	close(fd);
	return -1;
}

/* Stop what moto_start() started: SIGTERM, then SIGKILL after 5 s. */
static void moto_stop(struct moto *m)
{
	unsigned waited;
	int status;

	if (!m->pid)
		return;
	kill(-m->pid, SIGTERM);
	for (waited = 0; waited < 5000; waited += 50) {
		if (waitpid(m->pid, &status, WNOHANG) == m->pid)
			break;
		moto_sleep_ms(50);
	}
	if (waited >= 5000) {
		kill(-m->pid, SIGKILL);
		waitpid(m->pid, &status, 0);
	}
	m->pid = 0;
	if (m->log[0])
		unlink(m->log);
}

/* Point the AWS variables at moto, with throw-away keys. */
static void moto_env(const struct moto *m, const char *region)
{
	setenv("AWS_ENDPOINT_URL", m->url, 1);
	setenv("AWS_ACCESS_KEY_ID", "testing", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "testing", 1);
	setenv("AWS_REGION", region, 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_DEFAULT_REGION");
}

/* Forget every resource (POST /moto-api/reset). 0 or -1. */
static int moto_reset(const struct moto *m)
{
	return moto_http(m->port, "POST", "/moto-api/reset", NULL, "", NULL,
			 0) == 200 ? 0 : -1;
}

/*
 * Let `n` more requests through unchecked, then check every signature
 * (POST /moto-api/reset-auth). 0 or -1.
 */
static int moto_reset_auth(const struct moto *m, unsigned long n)
{
	char body[32];

	snprintf(body, sizeof(body), "%lu", n);
	return moto_http(m->port, "POST", "/moto-api/reset-auth",
			 "text/plain", body, NULL, 0) == 200 ? 0 : -1;
}

/*
 * Run `script` with python3 -c - the python3 next to moto_server, which
 * has boto3 (both come with pyenv's Python) - and its standard
 * output into `out` (NUL-terminated, truncated to `len` - 1). Returns the
 * exit status, or -1 when it could not run.
 */
static int moto_python(const char *script, char *out, size_t len)
{
	char dir[4096], python[4200] = "python3";
	int fds[2], status;
	size_t have = 0;
	ssize_t n;
	pid_t pid;

	if (moto_find("moto_server", dir, sizeof(dir))) {
		snprintf(python, sizeof(python), "%s/python3", dir);
		if (access(python, X_OK))
			snprintf(python, sizeof(python), "python3");
	}
	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execlp(python, "python3", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		char sink[256];

		if (have + 1 < len)
			n = read(fds[0], out + have, len - have - 1);
		else
			n = read(fds[0], sink, sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (have + 1 < len)
			have += (size_t)n;
	}
	if (len)
		out[have] = '\0';
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif
