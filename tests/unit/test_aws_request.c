/*
 * test_aws_request.c - aws_call() and aws_error_code()
 * (providers/aws/request.c) against a scripted fake server
 * (tests/data/http/scripted_server.py, started and stopped here by PID)
 * that answers each request with the next response of a script and
 * records every request it got: which answers are retried and how often
 * (FERRY_AWS_MAX_ATTEMPTS), refused connections, the error kind and
 * message of answers that are not retried, the API error code of each
 * shape of error body, the SigV4 headers of every attempt, secrets kept
 * out of messages and the -v trace, bounded backoff, and Ctrl-C during a
 * backoff.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ferry/buf.h"
#include "ferry/cancel.h"
#include "ferry/error.h"
#include "ferry/fs.h"
#include "ferry/hash.h"
#include "ferry/log.h"
#include "ferry/provider.h"

#include "aws/aws.h"
#include "port.h"

extern const struct ferry_provider_ops ferry_provider_aws;

#define BUCKET "ferry-test"
#define REGION "eu-west-1"
#define KEY_ID "AKIDREQUESTTEST"
#define SECRET "wJalrXUtnFEMIsecretK7MDENGbPxRfiCY"
#define TOKEN "FwoGZXIvYXdzEsessionTOKENvalue"

/* A scripted_server.py process. */
struct server {
	pid_t pid;		/* 0 when not running */
	int port;
	char reqlog[96];	/* the requests it got, one JSON line each */
};

/* The server most tests use, reprogrammed for each case. */
static struct server srv;
/* One that test_connection_refused stops. */
static struct server gone;
static char tmpdir[] = "/tmp/ferry-awsreq-XXXXXX";

struct fixture {
	struct ferry_config cfg;
	struct ferry_provider p;	/* p.data: the struct aws, or NULL */
	struct ferry_buf log;		/* every ferry_log() message */
};

/* Guards the fixture's log, which the Ctrl-C thread reads. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void collect(enum ferry_log_level level, const char *msg, void *data)
{
	struct ferry_buf *b = data;

	(void)level;
	pthread_mutex_lock(&log_lock);
	ferry_buf_addstr(b, msg);
	ferry_buf_addch(b, '\n');
	pthread_mutex_unlock(&log_lock);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void server_stop(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
	unlink(s->reqlog);
}

/* Start a server answering with `script`, logging to `reqlog`; 0 or -1. */
static int server_start(struct server *s, const char *script,
			const char *reqlog)
{
	const char *data = getenv("FERRY_TEST_DATA");
	char path[4096], line[32];
	size_t got = 0;
	ssize_t n;
	int fds[2];

	memset(s, 0, sizeof(*s));
	snprintf(s->reqlog, sizeof(s->reqlog), "%s", reqlog);
	unlink(s->reqlog);
	if (!data) {
		print_error("FERRY_TEST_DATA is not set\n");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/http/scripted_server.py", data);
	if (pipe(fds))
		return -1;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execlp("python3", "python3", path, script, s->reqlog,
		       (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (got < sizeof(line) - 1) {
		n = read(fds[0], line + got, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || line[got] == '\n')
			break;
		got++;
	}
	line[got] = '\0';
	close(fds[0]);
	s->port = (int)strtol(line, NULL, 10);
	if (s->port > 0)
		return 0;
	print_error("%s did not start\n", path);
	server_stop(s);
	return -1;
}

/* A new script for `s`, and an empty request log. */
static void server_script(struct server *s, const char *script)
{
	struct ferry_http_request req;
	struct ferry_http_response resp;
	struct ferry_error err;
	struct ferry_http h;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/__script__", s->port);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.body = script;
	req.body_len = strlen(script);
	ferry_http_init(&h);
	ferry_http_response_init(&resp);
	ferry_error_init(&err);
	if (ferry_http_send(&resp, &h, &req, &err))
		fail_msg("%s: %s", url, err.msg);
	assert_int_equal(resp.status, 204);
	ferry_http_response_release(&resp);
	ferry_http_release(&h);
}

static void provider_close(struct fixture *fx)
{
	if (fx->p.data)
		ferry_provider_aws.close(&fx->p);
	fx->p.data = NULL;
}

/* Open the provider on http://127.0.0.1:`port`; its error code. */
static int provider_open(struct fixture *fx, int port,
			 struct ferry_error *err)
{
	char url[64];

	provider_close(fx);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	setenv("AWS_ENDPOINT_URL", url, 1);
	ferry_error_init(err);
	memset(&fx->p, 0, sizeof(fx->p));
	fx->p.ops = &ferry_provider_aws;
	fx->p.cfg = &fx->cfg;
	return ferry_provider_aws.open(&fx->p, &fx->cfg, err);
}

/* The server on `script`, and a new provider pointed at it. */
static struct aws *start(struct fixture *fx, const char *script)
{
	struct ferry_error err;

	provider_close(fx);
	server_script(&srv, script);
	if (provider_open(fx, srv.port, &err))
		fail_msg("open: %s", err.msg);
	return fx->p.data;
}

/* The requests the server got, in order: a JSON array. */
static json_t *server_requests(const struct server *s)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	struct ferry_error err;
	json_t *all = json_array(), *one;
	const char *p, *nl;

	ferry_error_init(&err);
	if (ferry_fs_read(&b, s->reqlog, 0, &err) == FERRY_ENOTFOUND)
		return all;
	for (p = b.buf; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		one = json_loadb(p, (size_t)(nl - p), 0, NULL);
		assert_non_null(one);
		json_array_append_new(all, one);
	}
	ferry_buf_release(&b);
	return all;
}

static json_t *requests(struct fixture *fx)
{
	(void)fx;
	return server_requests(&srv);
}

static size_t nrequests(struct fixture *fx)
{
	json_t *all = requests(fx);
	size_t n = json_array_size(all);

	json_decref(all);
	return n;
}

/* The value of header `name` of a recorded request, or NULL. */
static const char *req_header(json_t *req, const char *name)
{
	json_t *h;
	size_t i;

	json_array_foreach(json_object_get(req, "headers"), i, h)
		if (!strcasecmp(json_string_value(json_array_get(h, 0)), name))
			return json_string_value(json_array_get(h, 1));
	return NULL;
}

/* One call of `service` with an empty body, into `resp` and `err`. */
static int call(struct fixture *fx, enum ferry_aws_service service,
		const char *method, const char *path, const char *bucket,
		const char *what, struct ferry_http_response *resp,
		struct ferry_error *err)
{
	struct aws_request r;

	memset(&r, 0, sizeof(r));
	r.service = service;
	r.method = method;
	r.path = path;
	r.bucket = bucket;
	r.what = what;
	ferry_error_init(err);
	ferry_http_response_release(resp);
	return aws_call(fx->p.data, &r, resp, err);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	setenv("AWS_ACCESS_KEY_ID", KEY_ID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	setenv("AWS_SESSION_TOKEN", TOKEN, 1);
	setenv("AWS_REGION", "us-west-2", 1);	/* providers.aws.region wins */
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_DEFAULT_REGION");
	unsetenv("AWS_ENDPOINT_URL_LAMBDA");
	unsetenv("AWS_ENDPOINT_URL_S3");
	unsetenv("AWS_ENDPOINT_URL_IAM");
	unsetenv("AWS_ENDPOINT_URL_STS");
	unsetenv("FERRY_AWS_MAX_ATTEMPTS");
	fx->cfg.file = strdup("ferry.yaml");
	fx->cfg.service = strdup("demo");
	fx->cfg.stage = strdup("dev");
	fx->cfg.provider = strdup("aws");
	fx->cfg.doc = json_pack("{s:{s:{s:s, s:s}}}", "providers", "aws",
				"bucket", BUCKET, "region", REGION);
	ferry_buf_init(&fx->log);
	ferry_log_set(collect, &fx->log);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	ferry_log_set(NULL, NULL);
	provider_close(fx);
	/* whatever a test did, the secrets never reached the log */
	assert_null(strstr(fx->log.buf, SECRET));
	assert_null(strstr(fx->log.buf, TOKEN));
	ferry_buf_release(&fx->log);
	free(fx->cfg.file);
	free(fx->cfg.service);
	free(fx->cfg.stage);
	free(fx->cfg.provider);
	json_decref(fx->cfg.doc);
	free(fx);
	return 0;
}

#define OK_JSON "{\"status\": 200, \"body\": \"{}\"}"

/* Answers that mean "try again": each is followed by a success. */
static void test_retried_then_ok(void **state)
{
	static const struct {
		const char *failure;	/* JSON of the scripted answer */
		unsigned times;		/* how often it comes first */
		const char *logged;	/* in the debug line of the retry */
	} cases[] = {
		{ "{\"status\": 429}", 1, "server error; retrying in" },
		{ "{\"status\": 503}", 1, "server error; retrying in" },
		{ "{\"status\": 500, \"body\": \"{}\"}", 2,
		  "server error; retrying in" },
		{ "{\"status\": 502, \"body\": \"<html>bad gateway</html>\"}",
		  1, "server error; retrying in" },
		{ "{\"status\": 400, \"body\": "
		  "\"{\\\"__type\\\":\\\"TooManyRequestsException\\\"}\"}", 1,
		  "TooManyRequestsException; retrying in" },
		{ "{\"status\": 400, \"body\": \"{\\\"__type\\\":"
		  "\\\"com.amazon.coral.availability#ThrottlingException\\\","
		  "\\\"message\\\":\\\"Rate exceeded\\\"}\"}", 1,
		  "ThrottlingException; retrying in" },
		{ "{\"status\": 409, \"headers\": {\"x-amzn-ErrorType\": "
		  "\"ResourceConflictException:http://internal.amazon.com/"
		  "coral/com.amazonaws.lambda/\"}, \"body\": \"{\\\"Type\\\":"
		  "\\\"User\\\",\\\"message\\\":\\\"An update is in progress"
		  "\\\"}\"}", 3, "ResourceConflictException; retrying in" },
		{ "{\"status\": 400, \"headers\": {\"Content-Type\": "
		  "\"application/xml\"}, \"body\": \"<Error><Code>"
		  "RequestTimeout</Code><Message>idle</Message></Error>\"}", 1,
		  "RequestTimeout; retrying in" },
	};
	struct fixture *fx = *state;
	struct ferry_http_response resp;
	struct ferry_error err;
	char script[1024];
	struct aws *a;
	size_t i;

	ferry_http_response_init(&resp);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(script, sizeof(script), "[{\"repeat\": %u, %s, %s]",
			 cases[i].times, cases[i].failure + 1, OK_JSON);
		a = start(fx, script);
		ferry_buf_reset(&fx->log);
		if (call(fx, FERRY_AWS_LAMBDA, "GET",
			 "/2015-03-31/functions/", NULL, "list functions",
			 &resp, &err))
			fail_msg("case %zu (%s): %s", i, cases[i].failure,
				 err.msg);
		assert_int_equal(resp.status, 200);
		assert_string_equal(resp.body.buf, "{}");
		/* exactly one request per failure, and one that succeeded */
		assert_int_equal(nrequests(fx), cases[i].times + 1);
		assert_int_equal(a->calls[FERRY_AWS_LAMBDA],
				 cases[i].times + 1);
		assert_non_null(strstr(fx->log.buf, cases[i].logged));
	}
	ferry_http_response_release(&resp);
}

/* FERRY_AWS_MAX_ATTEMPTS counts every request, the first included. */
static void test_max_attempts(void **state)
{
	static const char *const forever_503 =
		"[{\"status\": 503, \"repeat\": -1, \"headers\": "
		"{\"x-amzn-RequestId\": \"R503\"}}]";
	struct fixture *fx = *state;
	struct ferry_http_response resp;
	struct ferry_error err;
	struct aws *a;

	ferry_http_response_init(&resp);
	setenv("FERRY_AWS_MAX_ATTEMPTS", "3", 1);
	a = start(fx, forever_503);
	assert_int_equal(a->max_attempts, 3);
	assert_int_equal(call(fx, FERRY_AWS_LAMBDA, "GET",
			      "/2015-03-31/functions/", NULL,
			      "list functions", &resp, &err), FERRY_EFAIL);
	assert_string_equal(err.msg, "aws: list functions: HTTP 503 "
				     "(request id R503)");
	assert_int_equal(resp.status, 503);
	assert_int_equal(nrequests(fx), 3);

	/* 1: no retry at all */
	setenv("FERRY_AWS_MAX_ATTEMPTS", "1", 1);
	start(fx, forever_503);
	assert_int_equal(call(fx, FERRY_AWS_S3, "GET", "/", BUCKET,
			      "list objects", &resp, &err), FERRY_EFAIL);
	assert_int_equal(nrequests(fx), 1);

	/* 3 attempts, and the third succeeds */
	setenv("FERRY_AWS_MAX_ATTEMPTS", "3", 1);
	start(fx, "[{\"status\": 503, \"repeat\": 2}, " OK_JSON "]");
	assert_int_equal(call(fx, FERRY_AWS_LAMBDA, "GET", "/", NULL, "x",
			      &resp, &err), 0);
	assert_int_equal(nrequests(fx), 3);

	/* the default, and values refused at open */
	unsetenv("FERRY_AWS_MAX_ATTEMPTS");
	a = start(fx, "[]");
	assert_int_equal(a->max_attempts, 8);
	setenv("FERRY_AWS_MAX_ATTEMPTS", "0", 1);
	assert_int_equal(provider_open(fx, srv.port, &err), FERRY_ECONFIG);
	assert_non_null(strstr(err.msg, "FERRY_AWS_MAX_ATTEMPTS"));
	setenv("FERRY_AWS_MAX_ATTEMPTS", "3x", 1);
	assert_int_equal(provider_open(fx, srv.port, &err), FERRY_ECONFIG);
	unsetenv("FERRY_AWS_MAX_ATTEMPTS");
	ferry_http_response_release(&resp);
}

/* Nobody listening: retried like any network error, then the host:port. */
static void test_connection_refused(void **state)
{
	struct fixture *fx = *state;
	struct ferry_http_response resp;
	struct ferry_error err;
	char expect[128];
	const char *p;
	struct aws *a;
	json_t *all;
	int port = free_port(), retries = 0;

	assert_true(port > 0);
	ferry_http_response_init(&resp);
	setenv("FERRY_AWS_MAX_ATTEMPTS", "3", 1);
	if (provider_open(fx, port, &err))
		fail_msg("open: %s", err.msg);
	a = fx->p.data;
	ferry_buf_reset(&fx->log);
	assert_int_equal(call(fx, FERRY_AWS_LAMBDA, "GET",
			      "/2015-03-31/functions/", NULL,
			      "list functions", &resp, &err), FERRY_EFAIL);
	snprintf(expect, sizeof(expect), "aws: list functions: cannot "
		 "connect to 127.0.0.1:%d: connection refused", port);
	assert_string_equal(err.msg, expect);
	assert_int_equal(a->calls[FERRY_AWS_LAMBDA], 3);
	for (p = fx->log.buf; (p = strstr(p, "retrying in")); p++)
		retries++;
	assert_int_equal(retries, 2);

	/* a server that answered once and then went away */
	snprintf(expect, sizeof(expect), "%s/requests-gone", tmpdir);
	assert_int_equal(server_start(&gone, "[" OK_JSON "]", expect), 0);
	if (provider_open(fx, gone.port, &err))
		fail_msg("open: %s", err.msg);
	a = fx->p.data;
	assert_int_equal(call(fx, FERRY_AWS_S3, "GET", "/", BUCKET, "list",
			      &resp, &err), 0);
	all = server_requests(&gone);
	assert_int_equal(json_array_size(all), 1);
	json_decref(all);
	server_stop(&gone);
	assert_int_equal(call(fx, FERRY_AWS_S3, "GET", "/", BUCKET,
			      "list objects", &resp, &err), FERRY_EFAIL);
	snprintf(expect, sizeof(expect), "aws: list objects: cannot "
		 "connect to 127.0.0.1:%d", gone.port);
	assert_memory_equal(err.msg, expect, strlen(expect));
	assert_int_equal(a->calls[FERRY_AWS_S3], 1 + 3);
	unsetenv("FERRY_AWS_MAX_ATTEMPTS");
	ferry_http_response_release(&resp);
}

/* Answers that no retry would change: one request, the right kind. */
static void test_not_retried(void **state)
{
	static const struct {
		const char *answer;	/* JSON of the scripted answer */
		enum ferry_aws_service service;
		const char *method, *bucket, *what;
		int rc;
		const char *msg;
	} cases[] = {
		{ "{\"status\": 400, \"headers\": {\"x-amzn-RequestId\": "
		  "\"R\"}, \"body\": \"{\\\"__type\\\":"
		  "\\\"ValidationException\\\",\\\"message\\\":\\\"bad\\\"}\"}",
		  FERRY_AWS_LAMBDA, "POST", NULL, "update function 'f'",
		  FERRY_EFAIL, "aws: update function 'f': HTTP 400 "
		  "ValidationException: bad (request id R)" },
		{ "{\"status\": 403, \"headers\": {\"x-amz-request-id\": "
		  "\"4442587FB7D0A2F9\"}, \"body\": \"<?xml version=\\\"1.0"
		  "\\\" encoding=\\\"UTF-8\\\"?>\\n<Error><Code>AccessDenied"
		  "</Code><Message>no</Message><RequestId>4442587FB7D0A2F9"
		  "</RequestId></Error>\"}",
		  FERRY_AWS_S3, "GET", BUCKET, "get 'k'", FERRY_EAUTH,
		  "aws: get 'k': HTTP 403 AccessDenied: no (request id "
		  "4442587FB7D0A2F9)" },
		{ "{\"status\": 403, \"headers\": {\"x-amzn-ErrorType\": "
		  "\"InvalidSignatureException\"}, \"body\": \"{\\\"message"
		  "\\\":\\\"The request signature we calculated does not match"
		  "\\\"}\"}",
		  FERRY_AWS_LAMBDA, "GET", NULL, "get function", FERRY_EAUTH,
		  "aws: get function: HTTP 403 InvalidSignatureException: The "
		  "request signature we calculated does not match" },
		{ "{\"status\": 401}", FERRY_AWS_LAMBDA, "GET", NULL, "w",
		  FERRY_EAUTH, "aws: w: HTTP 401" },
		{ "{\"status\": 404, \"headers\": {\"x-amzn-ErrorType\": "
		  "\"ResourceNotFoundException\", \"x-amzn-RequestId\": \"N1\"},"
		  " \"body\": \"{\\\"Type\\\":\\\"User\\\",\\\"Message\\\":"
		  "\\\"Function not found: f\\\"}\"}",
		  FERRY_AWS_LAMBDA, "GET", NULL, "get function 'f'",
		  FERRY_ENOTFOUND, "aws: get function 'f': HTTP 404 "
		  "ResourceNotFoundException: Function not found: f (request "
		  "id N1)" },
		{ "{\"status\": 404, \"headers\": {\"x-amz-request-id\": "
		  "\"H404\"}}", FERRY_AWS_S3, "HEAD", BUCKET, "head 'k'",
		  FERRY_ENOTFOUND, "aws: head 'k': HTTP 404 (request id "
		  "H404)" },
		{ "{\"status\": 412, \"body\": \"<Error><Code>PreconditionFailed"
		  "</Code><Message>At least one of the pre-conditions you "
		  "specified did not hold</Message></Error>\"}",
		  FERRY_AWS_S3, "PUT", BUCKET, "put 'k'", FERRY_ECONFLICT,
		  "aws: put 'k': HTTP 412 PreconditionFailed: At least one of "
		  "the pre-conditions you specified did not hold" },
		{ "{\"status\": 409, \"body\": \"<ErrorResponse><Error><Type>"
		  "Sender</Type><Code>EntityAlreadyExists</Code><Message>Role "
		  "with name r already exists.</Message></Error><RequestId>x"
		  "</RequestId></ErrorResponse>\"}",
		  FERRY_AWS_IAM, "POST", NULL, "create role 'r'",
		  FERRY_ECONFLICT, "aws: create role 'r': HTTP 409 "
		  "EntityAlreadyExists: Role with name r already exists." },
		{ "{\"status\": 501}", FERRY_AWS_S3, "GET", BUCKET, "v",
		  FERRY_EFAIL, "aws: v: HTTP 501" },
	};
	struct fixture *fx = *state;
	struct ferry_http_response resp;
	struct ferry_error err;
	char script[1024];
	size_t i;

	ferry_http_response_init(&resp);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* were it retried, the next answer would be a success */
		snprintf(script, sizeof(script), "[%s, %s]", cases[i].answer,
			 OK_JSON);
		start(fx, script);
		assert_int_equal(call(fx, cases[i].service, cases[i].method,
				      "/k", cases[i].bucket, cases[i].what,
				      &resp, &err), cases[i].rc);
		assert_string_equal(err.msg, cases[i].msg);
		assert_int_equal(nrequests(fx), 1);
		assert_null(strstr(err.msg, SECRET));
	}
	ferry_http_response_release(&resp);
}

static void test_error_code(void **state)
{
	static const struct {
		const char *header;	/* x-amzn-ErrorType, or NULL */
		const char *body;
		size_t len;		/* of the output; 0: 128 */
		const char *code;
	} cases[] = {
		{ "ResourceConflictException:http://internal.amazon.com/"
		  "coral/com.amazonaws.lambda/", "", 0,
		  "ResourceConflictException" },
		{ "ThrottlingException", "{\"__type\":\"Other\"}", 0,
		  "ThrottlingException" },
		{ NULL, "{\"__type\":\"com.amazon.coral#ThrottlingException\"}",
		  0, "ThrottlingException" },
		{ NULL, "{\"__type\":\"ValidationException\",\"message\":"
		  "\"bad\"}", 0, "ValidationException" },
		{ NULL, "{\"Type\":\"InvalidParameterValueException\"}", 0,
		  "InvalidParameterValueException" },
		{ NULL, "{\"code\":\"a.b#TooManyRequestsException\"}", 0,
		  "TooManyRequestsException" },
		{ NULL, "<Error><Code>NoSuchKey</Code><Message>m</Message>"
		  "</Error>", 0, "NoSuchKey" },
		{ NULL, "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/"
		  "2010-05-08/\"><Error><Type>Sender</Type><Code>"
		  "EntityAlreadyExists</Code></Error></ErrorResponse>", 0,
		  "EntityAlreadyExists" },
		{ NULL, "{\"message\":\"no code\"}", 0, "" },
		{ NULL, "<html>502 Bad Gateway</html>", 0, "" },
		{ NULL, "", 0, "" },
		{ NULL, "{\"__type\":\"ThrottlingException\"}", 5, "Thro" },
	};
	struct ferry_http_response resp;
	char code[128];
	size_t i;

	(void)state;
	ferry_http_response_init(&resp);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ferry_http_response_release(&resp);
		resp.status = 400;
		if (cases[i].header)
			ferry_strvec_pushf(&resp.headers,
					   "x-amzn-ErrorType: %s",
					   cases[i].header);
		ferry_buf_addstr(&resp.body, cases[i].body);
		memset(code, 'X', sizeof(code));
		aws_error_code(&resp, code,
			       cases[i].len ? cases[i].len : sizeof(code));
		if (strcmp(code, cases[i].code))
			fail_msg("case %zu: '%s', not '%s'", i, code,
				 cases[i].code);
	}
	ferry_http_response_release(&resp);
}

/* "20240101T120000Z" within five minutes of now. */
static void assert_amz_date(const char *d)
{
	struct tm tm;
	time_t t;

	assert_non_null(d);
	assert_int_equal(strlen(d), 16);
	memset(&tm, 0, sizeof(tm));
	assert_int_equal(sscanf(d, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year,
				&tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
				&tm.tm_min, &tm.tm_sec), 6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	assert_true(labs((long)(t - time(NULL))) < 300);
}

/* Every attempt is signed, with the signer's date, region and service. */
static void check_signed(json_t *all, const char *service, const char *body)
{
	char prefix[256], hash[FERRY_SHA256_HEX];
	struct ferry_error err;
	const char *auth, *date, *signed_headers;
	json_t *req;
	size_t i;

	ferry_error_init(&err);
	assert_int_equal(ferry_sha256_mem(hash, body, strlen(body), &err), 0);
	assert_true(json_array_size(all) > 1);
	json_array_foreach(all, i, req) {
		auth = req_header(req, "Authorization");
		date = req_header(req, "X-Amz-Date");
		assert_amz_date(date);
		snprintf(prefix, sizeof(prefix), "AWS4-HMAC-SHA256 Credential="
			 KEY_ID "/%.8s/" REGION "/%s/aws4_request, "
			 "SignedHeaders=", date, service);
		assert_non_null(auth);
		if (strncmp(auth, prefix, strlen(prefix)))
			fail_msg("request %zu: '%s' does not start with '%s'",
				 i, auth, prefix);
		signed_headers = auth + strlen(prefix);
		assert_non_null(strstr(signed_headers, "host;"));
		assert_non_null(strstr(signed_headers, "x-amz-date"));
		assert_non_null(strstr(signed_headers,
				       "x-amz-security-token"));
		assert_non_null(strstr(auth, ", Signature="));
		assert_int_equal(strlen(strstr(auth, ", Signature=") + 12),
				 64);
		assert_null(strstr(auth, SECRET));
		assert_string_equal(req_header(req, "X-Amz-Security-Token"),
				    TOKEN);
		assert_int_equal(json_integer_value(json_object_get(req,
							"body_len")),
				 strlen(body));
		if (!strcmp(service, "s3")) {
			assert_string_equal(req_header(req,
						       "x-amz-content-sha256"),
					    hash);
			assert_non_null(strstr(signed_headers,
					       "x-amz-content-sha256"));
		}
	}
}

static void test_signed(void **state)
{
	static const char *const body = "{\"FunctionName\":\"f\"}";
	struct fixture *fx = *state;
	struct ferry_http_response resp;
	struct ferry_error err;
	struct aws_request r;
	json_t *all;

	ferry_http_response_init(&resp);
	ferry_error_init(&err);

	/* Lambda: a POST with a body, retried once */
	start(fx, "[{\"status\": 503}, " OK_JSON "]");
	ferry_buf_reset(&fx->log);
	memset(&r, 0, sizeof(r));
	r.service = FERRY_AWS_LAMBDA;
	r.method = "POST";
	r.path = "/2015-03-31/functions";
	r.body = body;
	r.body_len = strlen(body);
	r.what = "create function 'f'";
	assert_int_equal(aws_call(fx->p.data, &r, &resp, &err), 0);
	all = requests(fx);
	check_signed(all, "lambda", body);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(all, 1), "path")),
			    "/2015-03-31/functions");
	json_decref(all);

	/* S3: path-style on an overridden endpoint, with the query */
	start(fx, "[{\"status\": 500}, {\"status\": 503}, " OK_JSON "]");
	memset(&r, 0, sizeof(r));
	r.service = FERRY_AWS_S3;
	r.method = "PUT";
	r.path = "/releases/demo%20dev.json";
	r.query = "x-id=PutObject";
	r.bucket = BUCKET;
	r.body = body;
	r.body_len = strlen(body);
	r.what = "put 'releases/demo dev.json'";
	assert_int_equal(aws_call(fx->p.data, &r, &resp, &err), 0);
	all = requests(fx);
	assert_int_equal(json_array_size(all), 3);
	check_signed(all, "s3", body);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(all, 2), "path")),
			    "/" BUCKET "/releases/demo%20dev.json");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(all, 2), "query")),
			    "x-id=PutObject");
	json_decref(all);

	/* S3 GET: the hash of the empty body */
	start(fx, "[{\"status\": 503}, " OK_JSON "]");
	assert_int_equal(call(fx, FERRY_AWS_S3, "GET", "/k", BUCKET, "get",
			      &resp, &err), 0);
	all = requests(fx);
	check_signed(all, "s3", "");
	json_decref(all);

	/* The -v trace shows the exchanges, with the secrets redacted. */
	assert_non_null(strstr(fx->log.buf, "http: > POST /2015-03-31/"
				       "functions HTTP/1.1"));
	assert_non_null(strstr(fx->log.buf, "Authorization: AWS4-HMAC-SHA256"
				       " <redacted>"));
	assert_non_null(strstr(fx->log.buf, "X-Amz-Security-Token: "
				       "<redacted>"));
	assert_non_null(strstr(fx->log.buf, "http: < HTTP/1.1 503"));
	assert_null(strstr(fx->log.buf, SECRET));
	assert_null(strstr(fx->log.buf, TOKEN));
	ferry_http_response_release(&resp);
}

/*
 * Four attempts take three backoffs of at most 100, 200 and 400 ms (full
 * jitter under a doubling ceiling), and do wait for them.
 */
static void test_backoff_bounded(void **state)
{
	struct fixture *fx = *state;
	struct ferry_http_response resp;
	struct ferry_error err;
	unsigned ceiling = 100, delay, slept = 0;
	const char *p;
	long t0, elapsed;
	int retries = 0;

	ferry_http_response_init(&resp);
	setenv("FERRY_AWS_MAX_ATTEMPTS", "4", 1);
	start(fx, "[{\"status\": 503, \"repeat\": -1}]");
	ferry_buf_reset(&fx->log);
	t0 = now_ms();
	assert_int_equal(call(fx, FERRY_AWS_LAMBDA, "GET", "/", NULL,
			      "list functions", &resp, &err), FERRY_EFAIL);
	elapsed = now_ms() - t0;
	assert_int_equal(nrequests(fx), 4);
	assert_true(elapsed < 3000);
	for (p = fx->log.buf; (p = strstr(p, "retrying in ")); p++) {
		assert_int_equal(sscanf(p, "retrying in %u ms", &delay), 1);
		if (delay > ceiling)
			fail_msg("retry %d waited %u ms, more than %u", retries,
				 delay, ceiling);
		slept += delay;
		ceiling *= 2;
		retries++;
	}
	assert_int_equal(retries, 3);
	assert_true(elapsed >= (long)slept);
	unsetenv("FERRY_AWS_MAX_ATTEMPTS");
	ferry_http_response_release(&resp);
}

/* What the Ctrl-C thread watches, and when it pressed it. */
struct canceller {
	const struct ferry_buf *log;	/* borrowed, under log_lock */
	unsigned min_delay;	/* press during a backoff at least this long */
	unsigned delay;		/* the backoff it pressed in; 0: none */
	long at;		/* now_ms() of the press */
};

/*
 * Press Ctrl-C as soon as aws_call() logs that it waits `min_delay` ms or
 * more (it logs that just before it naps), or after 5 s anyway.
 */
static void *cancel_in_backoff(void *arg)
{
	struct canceller *c = arg;
	struct timespec ts;
	long t0 = now_ms();
	const char *p;
	unsigned d;

	while (!c->delay && now_ms() - t0 < 5000) {
		pthread_mutex_lock(&log_lock);
		for (p = c->log->buf; (p = strstr(p, "retrying in ")); p++)
			if (sscanf(p, "retrying in %u ms", &d) == 1 &&
			    d >= c->min_delay)
				c->delay = d;
		pthread_mutex_unlock(&log_lock);
		ts.tv_sec = 0;
		ts.tv_nsec = 2 * 1000000L;
		if (!c->delay)
			nanosleep(&ts, NULL);
	}
	c->at = now_ms();
	ferry_cancel_request();
	return NULL;
}

/*
 * Ctrl-C while waiting to retry ends the call within a nap slice (100 ms),
 * not at the end of the backoff. Last in the list: the cancel flag cannot
 * be cleared.
 */
static void test_cancel_during_backoff(void **state)
{
	struct fixture *fx = *state;
	struct ferry_http_response resp;
	struct ferry_error err;
	struct canceller c;
	pthread_t t;
	long latency;
	size_t n;
	int rc;

	ferry_http_response_init(&resp);
	setenv("FERRY_AWS_MAX_ATTEMPTS", "100", 1);
	start(fx, "[{\"status\": 503, \"repeat\": -1}]");
	ferry_buf_reset(&fx->log);
	memset(&c, 0, sizeof(c));
	c.log = &fx->log;
	c.min_delay = 300;
	assert_int_equal(pthread_create(&t, NULL, cancel_in_backoff, &c), 0);
	rc = call(fx, FERRY_AWS_LAMBDA, "GET", "/", NULL, "list functions",
		  &resp, &err);
	latency = now_ms() - c.at;
	pthread_join(t, NULL);
	assert_int_equal(rc, FERRY_EINTR);
	assert_string_equal(err.msg, "interrupted");
	/* 100 attempts would take minutes */
	assert_true(c.delay >= c.min_delay);
	if (latency >= 200)
		fail_msg("took %ld ms to stop a %u ms backoff", latency,
			 c.delay);
	n = nrequests(fx);
	assert_true(n >= 3 && n < 100);
	/* nothing more was sent once interrupted */
	assert_int_equal(((struct aws *)fx->p.data)->calls[FERRY_AWS_LAMBDA],
			 n);
	unsetenv("FERRY_AWS_MAX_ATTEMPTS");
	ferry_http_response_release(&resp);
}

static int group_setup(void **state)
{
	char reqlog[96];

	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(reqlog, sizeof(reqlog), "%s/requests", tmpdir);
	return server_start(&srv, "[]", reqlog);
}

static int group_teardown(void **state)
{
	(void)state;
	server_stop(&srv);
	server_stop(&gone);
	rmdir(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_retried_then_ok, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_max_attempts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connection_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_retried, setup,
						teardown),
		cmocka_unit_test(test_error_code),
		cmocka_unit_test_setup_teardown(test_signed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff_bounded, setup,
						teardown),
		/* must stay last */
		cmocka_unit_test_setup_teardown(test_cancel_during_backoff,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
