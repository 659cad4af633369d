/*
 * test_http.c - core/http.c against a local echo server
 * (tests/data/http/echo_server.py, started and stopped here by PID):
 * round trips of every method, headers sent exactly as given, bodies from
 * memory and from a file, responses to a file, statuses, connection reuse,
 * refused connections and timeouts, secrets kept out of the trace, and the
 * retry helpers.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ferry/buf.h"
#include "ferry/fs.h"
#include "ferry/http.h"
#include "ferry/log.h"
#include "port.h"

static pid_t server_pid = -1;
static int server_port;
static char tmpdir[] = "/tmp/ferry-http-XXXXXX";

static int start_server(void **state)
{
	const char *data = getenv("FERRY_TEST_DATA");
	char script[4096], line[32];
	int fds[2];
	ssize_t n;
	size_t got = 0;

	(void)state;
	if (!data || !mkdtemp(tmpdir))
		return -1;
	snprintf(script, sizeof(script), "%s/http/echo_server.py", data);
	if (pipe(fds))
		return -1;
	server_pid = fork();
	if (server_pid < 0)
		return -1;
	if (server_pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execlp("python3", "python3", script, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (got < sizeof(line) - 1) {
		n = read(fds[0], line + got, 1);
		if (n <= 0 || line[got] == '\n')
			break;
		got++;
	}
	line[got] = '\0';
	close(fds[0]);
	server_port = (int)strtol(line, NULL, 10);
	return server_port > 0 ? 0 : -1;
}

static int stop_server(void **state)
{
	struct ferry_error err;

	(void)state;
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	ferry_error_init(&err);
	ferry_fs_remove_tree(tmpdir, &err);
	return 0;
}

static char *url(const char *path)
{
	return ferry_xstrfmt("http://127.0.0.1:%d%s", server_port, path);
}

/* The echoed request: line, headers, "", body. */
static const char *echoed_body(const struct ferry_http_response *r)
{
	const char *p = strstr(r->body.buf, "\n\n");

	return p ? p + 2 : NULL;
}

static int send_simple(struct ferry_http *h, struct ferry_http_response *r,
		       const char *method, const char *path,
		       const struct ferry_strvec *headers, const char *body,
		       struct ferry_error *err)
{
	struct ferry_http_request req = { 0 };
	char *u = url(path);
	int rc;

	req.method = method;
	req.url = u;
	req.headers = headers;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	ferry_error_init(err);
	rc = ferry_http_send(r, h, &req, err);
	free(u);
	return rc;
}

static void test_get_headers_exact(void **state)
{
	struct ferry_strvec hv = FERRY_STRVEC_INIT;
	struct ferry_http h;
	struct ferry_http_response r;
	struct ferry_error err;
	char expect[256];

	(void)state;
	ferry_http_init(&h);
	ferry_http_response_init(&r);
	ferry_strvec_push(&hv, "X-Amz-Date: 20240101T000000Z");
	ferry_strvec_push(&hv, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	ferry_strvec_push(&hv, "X-Empty:");
	assert_int_equal(send_simple(&h, &r, "GET", "/a/b?x=1&y=2", &hv, NULL,
				     &err), 0);
	assert_int_equal(r.status, 200);
	/* Only Host is added; no Accept, Expect, User-Agent, Content-*. */
	snprintf(expect, sizeof(expect),
		 "GET /a/b?x=1&y=2\n"
		 "Host: 127.0.0.1:%d\n"
		 "X-Amz-Date: 20240101T000000Z\n"
		 "x-amz-content-sha256: UNSIGNED-PAYLOAD\n"
		 "X-Empty: \n"
		 "\n",
		 server_port);
	assert_string_equal(r.body.buf, expect);
	assert_string_equal(ferry_http_header(&r, "x-echo-mixed-case"), "yes");
	assert_string_equal(ferry_http_header(&r, "X-ECHO-MIXED-CASE"), "yes");
	assert_null(ferry_http_header(&r, "X-Echo"));
	assert_null(ferry_http_header(&r, "x-absent"));
	ferry_strvec_release(&hv);
	ferry_http_response_release(&r);
	ferry_http_release(&h);
}

static void test_methods_round_trip(void **state)
{
	static const char *const methods[] = { "PUT", "POST", "DELETE",
					       "PATCH" };
	struct ferry_strvec hv = FERRY_STRVEC_INIT;
	struct ferry_http h;
	struct ferry_http_response r;
	struct ferry_error err;
	char line[64], len[64];
	size_t i;

	(void)state;
	ferry_http_init(&h);
	ferry_http_response_init(&r);
	ferry_strvec_push(&hv, "Content-Type: application/json");
	for (i = 0; i < sizeof(methods) / sizeof(*methods); i++) {
		assert_int_equal(send_simple(&h, &r, methods[i], "/m",
					     &hv, "{\"a\": 1}", &err), 0);
		assert_int_equal(r.status, 200);
		snprintf(line, sizeof(line), "%s /m\n", methods[i]);
		assert_memory_equal(r.body.buf, line, strlen(line));
		assert_non_null(strstr(r.body.buf,
				       "Content-Type: application/json\n"));
		snprintf(len, sizeof(len), "Content-Length: 8\n");
		assert_non_null(strstr(r.body.buf, len));
		assert_null(strstr(r.body.buf, "Expect:"));
		assert_string_equal(echoed_body(&r), "{\"a\": 1}");
	}
	/* POST without a body still says how long it is. */
	assert_int_equal(send_simple(&h, &r, "POST", "/empty", NULL, NULL,
				     &err), 0);
	assert_non_null(strstr(r.body.buf, "Content-Length: 0\n"));
	/* No default Content-Type for POST. */
	assert_null(strstr(r.body.buf, "Content-Type"));
	/* DELETE without a body sends no Content-Length. */
	assert_int_equal(send_simple(&h, &r, "DELETE", "/d", NULL, NULL,
				     &err), 0);
	assert_null(strstr(r.body.buf, "Content-Length"));
	/* HEAD: headers, no body, and the connection stays usable. */
	assert_int_equal(send_simple(&h, &r, "HEAD", "/h", NULL, NULL, &err),
			 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, 0);
	assert_non_null(ferry_http_header(&r, "content-length"));
	assert_int_equal(send_simple(&h, &r, "GET", "/after-head", NULL, NULL,
				     &err), 0);
	assert_int_equal(r.status, 200);
	ferry_strvec_release(&hv);
	ferry_http_response_release(&r);
	ferry_http_release(&h);
}

static void test_large_body_no_expect(void **state)
{
	struct ferry_http h;
	struct ferry_http_response r;
	struct ferry_error err;
	char *big;
	size_t n = 3 * 1024 * 1024;

	(void)state;
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'z', n);
	big[n] = '\0';
	ferry_http_init(&h);
	ferry_http_response_init(&r);
	assert_int_equal(send_simple(&h, &r, "PUT", "/big", NULL, big, &err),
			 0);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body.buf, "Expect"));
	assert_int_equal(strlen(echoed_body(&r)), n);
	free(big);
	ferry_http_response_release(&r);
	ferry_http_release(&h);
}

static void test_status_codes_and_reuse(void **state)
{
	static const long codes[] = { 201, 204, 404, 409, 429, 500, 503 };
	struct ferry_http h;
	struct ferry_http_response r;
	struct ferry_error err;
	char path[32], *port = NULL;
	size_t i;

	(void)state;
	ferry_http_init(&h);
	ferry_http_response_init(&r);
	for (i = 0; i < sizeof(codes) / sizeof(*codes); i++) {
		snprintf(path, sizeof(path), "/status/%ld", codes[i]);
		assert_int_equal(send_simple(&h, &r, "GET", path, NULL, NULL,
					     &err), 0);
		assert_int_equal(err.code, 0);
		assert_int_equal(r.status, codes[i]);
		assert_int_equal(ferry_http_retryable(0, &r),
				 codes[i] == 429 || codes[i] >= 500);
		/* One connection for all the requests of a handle. */
		if (!port)
			port = ferry_strdup(ferry_http_header(&r,
							      "x-client-port"));
		assert_string_equal(ferry_http_header(&r, "x-client-port"),
				    port);
	}
	free(port);
	ferry_http_response_release(&r);
	ferry_http_release(&h);
}

static void test_body_from_file_and_to_file(void **state)
{
	struct ferry_http h;
	struct ferry_http_request req = { 0 };
	struct ferry_http_response r;
	struct ferry_error err;
	struct ferry_buf got = FERRY_BUF_INIT;
	char *in = ferry_path_join(tmpdir, "in.zip");
	char *dst = ferry_path_join(tmpdir, "out.txt");
	char *u = url("/upload");
	static const char content[] = "PK\003\004 pretend zip\n";

	(void)state;
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_write_atomic(in, content, sizeof(content) - 1,
					       0644, 0, &err), 0);
	ferry_http_init(&h);
	ferry_http_response_init(&r);
	req.method = "PUT";
	req.url = u;
	req.body_path = in;
	req.response_path = dst;
	assert_int_equal(ferry_http_send(&r, &h, &req, &err), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, 0);
	assert_int_equal(ferry_fs_read(&got, dst, 0, &err), 0);
	assert_non_null(strstr(got.buf, "PUT /upload\n"));
	assert_non_null(strstr(got.buf, "Content-Length: 17\n"));
	assert_string_equal(strstr(got.buf, "\n\n") + 2, content);

	/* An error body stays in memory; the file is left alone. */
	free(u);
	u = url("/status/403");
	req.url = u;
	req.body_path = NULL;
	req.method = "GET";
	assert_int_equal(ferry_http_send(&r, &h, &req, &err), 0);
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(r.body.buf, "GET /status/403"));
	ferry_buf_reset(&got);
	assert_int_equal(ferry_fs_read(&got, dst, 0, &err), 0);
	assert_non_null(strstr(got.buf, "PUT /upload\n"));

	/* A missing body file. */
	req.body_path = "/nonexistent/ferry/body.zip";
	req.method = "PUT";
	assert_int_equal(ferry_http_send(&r, &h, &req, &err), FERRY_ENOTFOUND);
	assert_non_null(strstr(err.msg, "/nonexistent/ferry/body.zip"));

	ferry_buf_release(&got);
	free(in);
	free(dst);
	free(u);
	ferry_http_response_release(&r);
	ferry_http_release(&h);
}

static void test_connection_refused(void **state)
{
	struct ferry_http h;
	struct ferry_http_request req = { 0 };
	struct ferry_http_response r;
	struct ferry_error err;
	char *u, expect[128];
	int port = free_port();

	(void)state;
	u = ferry_xstrfmt("http://127.0.0.1:%d/p?X-Amz-Signature=abc", port);
	ferry_http_init(&h);
	ferry_http_response_init(&r);
	ferry_error_init(&err);
	req.method = "GET";
	req.url = u;
	assert_int_equal(ferry_http_send(&r, &h, &req, &err), FERRY_EFAIL);
	snprintf(expect, sizeof(expect),
		 "cannot connect to 127.0.0.1:%d: connection refused", port);
	assert_string_equal(err.msg, expect);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.net_error, 1);
	assert_true(ferry_http_retryable(FERRY_EFAIL, &r));
	free(u);
	ferry_http_response_release(&r);
	ferry_http_release(&h);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_timeout(void **state)
{
	struct ferry_http h;
	struct ferry_http_request req = { 0 };
	struct ferry_http_response r;
	struct ferry_error err;
	char *u = url("/sleep/3000?secret=1");
	long long t0;

	(void)state;
	ferry_http_init(&h);
	ferry_http_response_init(&r);
	ferry_error_init(&err);
	req.method = "GET";
	req.url = u;
	req.timeout_ms = 300;
	t0 = now_ms();
	assert_int_equal(ferry_http_send(&r, &h, &req, &err), FERRY_ETIMEOUT);
	assert_true(now_ms() - t0 < 2500);
	assert_non_null(strstr(err.msg, "timed out after 300 ms"));
	assert_non_null(strstr(err.msg, "127.0.0.1"));
	assert_null(strstr(err.msg, "secret"));
	assert_null(strstr(err.msg, "/sleep"));
	assert_true(ferry_http_retryable(FERRY_ETIMEOUT, &r));
	/* The handle still works after a failed transfer. */
	free(u);
	u = url("/ok");
	req.url = u;
	req.timeout_ms = 0;
	assert_int_equal(ferry_http_send(&r, &h, &req, &err), 0);
	assert_int_equal(r.status, 200);
	free(u);
	ferry_http_response_release(&r);
	ferry_http_release(&h);
}

static void collect(enum ferry_log_level level, const char *msg, void *data)
{
	struct ferry_buf *b = data;

	assert_int_equal(level, FERRY_LOG_DEBUG);
	ferry_buf_addstr(b, msg);
	ferry_buf_addch(b, '\n');
}

static void test_trace_redacts_secrets(void **state)
{
	static const char *const secret[] = { "X-Api-Key", NULL };
	struct ferry_strvec hv = FERRY_STRVEC_INIT;
	struct ferry_buf log = FERRY_BUF_INIT;
	struct ferry_http h;
	struct ferry_http_request req = { 0 };
	struct ferry_http_response r;
	struct ferry_error err;
	char *u = url("/t?X-Amz-Signature=SIGSECRET&keep=visible"
		      "&X-Amz-Security-Token=QTOKSECRET");

	(void)state;
	ferry_strvec_push(&hv, "Authorization: AWS4-HMAC-SHA256 "
			       "Credential=AKIDEXAMPLE/20240101/us-east-1/s3/"
			       "aws4_request, SignedHeaders=host, "
			       "Signature=AUTHSECRET");
	ferry_strvec_push(&hv, "X-Amz-Security-Token: HDRTOKSECRET");
	ferry_strvec_push(&hv, "x-api-key: KEYSECRET");
	ferry_strvec_push(&hv, "X-Visible: shown");
	ferry_http_init(&h);
	ferry_http_response_init(&r);
	ferry_error_init(&err);
	req.method = "POST";
	req.url = u;
	req.headers = &hv;
	req.body = "BODYSECRET";
	req.body_len = 10;
	req.secret_headers = secret;
	req.trace = 1;
	ferry_log_set(collect, &log);
	assert_int_equal(ferry_http_send(&r, &h, &req, &err), 0);
	ferry_log_set(NULL, NULL);
	assert_int_equal(r.status, 200);
	/* The server did get the secrets... */
	assert_non_null(strstr(r.body.buf, "AUTHSECRET"));
	assert_non_null(strstr(r.body.buf, "KEYSECRET"));
	/* ...and the trace shows none of them. */
	assert_non_null(strstr(log.buf, "http: > POST /t?"));
	assert_non_null(strstr(log.buf, "keep=visible"));
	assert_non_null(strstr(log.buf, "X-Amz-Signature=<redacted>"));
	assert_non_null(strstr(log.buf, "X-Amz-Security-Token=<redacted>"));
	assert_non_null(strstr(log.buf,
			       "Authorization: AWS4-HMAC-SHA256 <redacted>\n"));
	assert_non_null(strstr(log.buf,
			       "X-Amz-Security-Token: <redacted>\n"));
	assert_non_null(strstr(log.buf, "x-api-key: <redacted>\n"));
	assert_non_null(strstr(log.buf, "X-Visible: shown\n"));
	assert_non_null(strstr(log.buf, "http: < HTTP/1.1 200"));
	assert_non_null(strstr(log.buf, "http: < X-Echo-Mixed-Case: yes"));
	assert_non_null(strstr(log.buf, "status 200"));
	assert_null(strstr(log.buf, "SIGSECRET"));
	assert_null(strstr(log.buf, "TOKSECRET"));
	assert_null(strstr(log.buf, "AUTHSECRET"));
	assert_null(strstr(log.buf, "AKIDEXAMPLE"));
	assert_null(strstr(log.buf, "KEYSECRET"));
	assert_null(strstr(log.buf, "BODYSECRET"));

	/* Without trace, nothing is logged. */
	ferry_buf_reset(&log);
	req.trace = 0;
	ferry_log_set(collect, &log);
	assert_int_equal(ferry_http_send(&r, &h, &req, &err), 0);
	ferry_log_set(NULL, NULL);
	assert_int_equal(log.len, 0);

	free(u);
	ferry_buf_release(&log);
	ferry_strvec_release(&hv);
	ferry_http_response_release(&r);
	ferry_http_release(&h);
}

static void test_bad_requests(void **state)
{
	struct ferry_http h;
	struct ferry_http_request req = { 0 };
	struct ferry_http_response r;
	struct ferry_error err;

	(void)state;
	ferry_http_init(&h);
	ferry_http_response_init(&r);
	ferry_error_init(&err);
	req.method = "GET";
	req.url = "file:///etc/passwd";
	assert_int_equal(ferry_http_send(&r, &h, &req, &err), FERRY_EUSAGE);
	ferry_error_init(&err);
	req.url = "http://127.0.0.1:1/";
	req.body = "x";
	req.body_path = "/etc/hostname";
	assert_int_equal(ferry_http_send(&r, &h, &req, &err), FERRY_EUSAGE);
	ferry_http_release(&h);
	ferry_http_release(NULL);
	ferry_http_response_release(NULL);
}

static void test_retryable(void **state)
{
	struct ferry_http_response r;

	(void)state;
	ferry_http_response_init(&r);
	r.status = 200;
	assert_false(ferry_http_retryable(0, &r));
	r.status = 400;
	assert_false(ferry_http_retryable(0, &r));
	r.status = 408;
	assert_true(ferry_http_retryable(0, &r));
	r.status = 501;
	assert_false(ferry_http_retryable(0, &r));
	r.status = 502;
	assert_true(ferry_http_retryable(0, &r));
	/* A failure that is not the network's (a missing file) is final. */
	r.status = 0;
	assert_false(ferry_http_retryable(FERRY_ENOTFOUND, &r));
	assert_false(ferry_http_retryable(FERRY_EINTR, &r));
}

static void test_backoff_bounds(void **state)
{
	unsigned a, d, ceiling;
	uint64_t rnd;

	(void)state;
	/* The largest random value reaches the ceiling exactly. */
	assert_int_equal(ferry_http_backoff(0, 100, 20000, 100), 100);
	assert_int_equal(ferry_http_backoff(1, 100, 20000, 200), 200);
	assert_int_equal(ferry_http_backoff(3, 100, 20000, 800), 800);
	assert_int_equal(ferry_http_backoff(3, 100, 20000, 801), 0);
	assert_int_equal(ferry_http_backoff(0, 100, 20000, 0), 0);
	/* Capped, also for huge attempts that would overflow. */
	assert_int_equal(ferry_http_backoff(10, 100, 20000, 20000), 20000);
	assert_int_equal(ferry_http_backoff(1000, 100, 20000, 20000), 20000);
	assert_int_equal(ferry_http_backoff(UINT32_MAX, UINT32_MAX, UINT32_MAX,
					    UINT64_MAX),
			 UINT64_MAX % ((uint64_t)UINT32_MAX + 1));
	for (a = 0; a < 40; a++) {
		ceiling = a < 8 ? 100u << a : 20000;
		if (ceiling > 20000)
			ceiling = 20000;
		for (rnd = 0; rnd < 100000; rnd += 997) {
			d = ferry_http_backoff(a, 100, 20000,
					       rnd * 0x9e3779b97f4a7c15ull);
			assert_true(d <= ceiling);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_headers_exact),
		cmocka_unit_test(test_methods_round_trip),
		cmocka_unit_test(test_large_body_no_expect),
		cmocka_unit_test(test_status_codes_and_reuse),
		cmocka_unit_test(test_body_from_file_and_to_file),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_trace_redacts_secrets),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_retryable),
		cmocka_unit_test(test_backoff_bounds),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, start_server, stop_server);
}
