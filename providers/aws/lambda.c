/*
 * lambda.c - the function side of the aws provider, on the Lambda API
 * (2015-03-31, Function URLs 2021-10-31):
 *
 *   publish   create the function from the S3 artifact, or update its code
 *             and configuration where they differ, wait until Lambda has
 *             applied them, then publish a version;
 *   activate  point alias `live` at a version (create it the first time)
 *             and, for functions with http events, make sure the alias has
 *             a Function URL anyone may call;
 *   remove    delete the URL config, the alias and the function;
 *   invoke    call the alias `live`;
 *   endpoint  the Function URL of the alias `live`.
 *
 * Names: the Lambda function is fn->full_name, "<service>-<stage>-<fn>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <ferry/cancel.h>
#include <ferry/json.h>
#include <ferry/log.h>

#include "aws.h"

#define FUNCTIONS "/2015-03-31/functions/"
#define URL_API "/2021-10-31/functions/"
#define ALIAS "live"
#define WAIT_MS_MAX (10u * 60u * 1000u)

/* Lambda's name of a ferry runtime: nodejs22 -> nodejs22.x. */
static const char *lambda_runtime(const struct ferry_function *fn, char *buf,
				  size_t len)
{
	if (fn->runtime_kind == FERRY_RT_NODE)
		snprintf(buf, len, "%s.x", fn->runtime);
	else if (fn->runtime_kind == FERRY_RT_PYTHON)
		snprintf(buf, len, "%s", fn->runtime);
	else
		snprintf(buf, len, "provided.al2023");
	return buf;
}

/* CodeSha256 as Lambda reports it: base64 of the raw sha256. */
static int code_sha256(char out[45], const char *hex)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	unsigned char raw[32];
	unsigned v;
	size_t i;
	int rc;

	if (strlen(hex) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		raw[i] = (unsigned char)v;
	}
	rc = ferry_buf_add_base64(&b, raw, sizeof(raw), 1) || b.len != 44 ?
		-1 : 0;
	if (!rc)
		memcpy(out, b.buf, 45);
	ferry_buf_release(&b);
	return rc;
}

/* One JSON call: body (a json_t, stolen) or none; answer parsed into *doc. */
static int call_json(struct aws *a, const char *method, const char *path,
		     const char *query, json_t *body, const char *what,
		     json_t **doc, struct ferry_error *err)
{
	struct ferry_http_response resp;
	struct ferry_strvec headers = FERRY_STRVEC_INIT;
	struct aws_request r;
	char *text = NULL;
	int rc;

	ferry_http_response_init(&resp);
	memset(&r, 0, sizeof(r));
	if (body) {
		text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(body);
		if (!text || ferry_strvec_push(&headers,
					       "Content-Type: application/json")) {
			rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			goto out;
		}
		r.body = text;
		r.body_len = strlen(text);
	}
	r.service = FERRY_AWS_LAMBDA;
	r.method = method;
	r.path = path;
	r.query = query;
	r.headers = &headers;
	r.what = what;
	rc = aws_call(a, &r, &resp, err);
	if (!rc && doc) {
		*doc = NULL;
		if (resp.body.len &&
		    ferry_json_object(doc, resp.body.buf, resp.body.len, what,
				      err))
			rc = FERRY_EFAIL;
	}
out:
	ferry_http_response_release(&resp);
	ferry_strvec_release(&headers);
	free(text);
	return rc;
}

/* call_json() on FUNCTIONS "<full name><suffix>". */
static int call_fn(struct aws *a, const char *method,
		   const struct ferry_function *fn, const char *suffix,
		   const char *query, json_t *body, const char *what,
		   json_t **doc, struct ferry_error *err)
{
	char *path = ferry_xstrfmt(FUNCTIONS "%s%s", fn->full_name, suffix);
	int rc;

	if (!path) {
		json_decref(body);
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	}
	rc = call_json(a, method, path, query, body, what, doc, err);
	free(path);
	return rc;
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* The configuration ferry wants for fn (everything but the code). */
static json_t *wanted_config(const struct ferry_function *fn,
			     const char *role)
{
	char rt[32];
	json_t *vars = json_object(), *o;
	size_t i;

	for (i = 0; vars && i < fn->env.nr; i++)
		json_object_set_new(vars, fn->env.items[i].key,
				    json_string(fn->env.items[i].value));
	o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:{s:o}}", "Runtime",
		      lambda_runtime(fn, rt, sizeof(rt)), "Role", role,
		      "Handler", fn->handler, "MemorySize", (int)fn->memory,
		      "Timeout", (int)fn->timeout, "Description",
		      fn->description ? fn->description : "", "Environment",
		      "Variables", vars);
	return o;
}

/* Whether the live configuration `have` already is `want`. */
static int config_matches(const json_t *have, const json_t *want)
{
	static const char *const strs[] = {"Runtime", "Role", "Handler",
					   "Description", NULL};
	static const char *const ints[] = {"MemorySize", "Timeout", NULL};
	const json_t *hv, *wv;
	size_t i;

	for (i = 0; strs[i]; i++)
		if (strcmp(jstr(have, strs[i]), jstr(want, strs[i])))
			return 0;
	for (i = 0; ints[i]; i++)
		if (json_integer_value(json_object_get(have, ints[i])) !=
		    json_integer_value(json_object_get(want, ints[i])))
			return 0;
	hv = json_object_get(json_object_get(have, "Environment"),
			     "Variables");
	wv = json_object_get(json_object_get(want, "Environment"),
			     "Variables");
	if (!hv || json_object_size(hv) == 0)
		return json_object_size(wv) == 0;
	return json_equal(hv, wv);
}

static void nap_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/*
 * Wait until Lambda has applied the last create or update: State Active
 * and LastUpdateStatus not InProgress. (moto reports neither: ready.)
 */
static int wait_ready(struct aws *a, const char *name, const char *path,
		      struct ferry_error *err)
{
	json_t *c = NULL;
	unsigned waited = 0, step = 250;
	char what[300];
	int rc;

	snprintf(what, sizeof(what), "get function '%s'", name);
	for (;;) {
		rc = call_json(a, "GET", path, NULL, NULL, what, &c, err);
		if (rc)
			return rc;
		if (!strcmp(jstr(c, "State"), "Failed") ||
		    !strcmp(jstr(c, "LastUpdateStatus"), "Failed")) {
			rc = ferry_error_set(
			    err, FERRY_EFAIL, "aws: function '%s' failed to "
			    "update: %s%s", name,
			    jstr(c, "LastUpdateStatusReason"),
			    jstr(c, "StateReason"));
			json_decref(c);
			return rc;
		}
		if (strcmp(jstr(c, "State"), "Pending") &&
		    strcmp(jstr(c, "LastUpdateStatus"), "InProgress")) {
			json_decref(c);
			return 0;
		}
		json_decref(c);
		c = NULL;
		if (waited >= WAIT_MS_MAX)
			return ferry_error_set(err, FERRY_ETIMEOUT,
					       "aws: function '%s' is still "
					       "updating after %u s", name,
					       WAIT_MS_MAX / 1000);
		if (ferry_cancelled())
			return ferry_cancel_check(err);
		nap_ms(step);
		waited += step;
		if (step < 2000)
			step *= 2;
	}
}

/*
 * CreateFunction right after the role was created fails until IAM has
 * propagated it ("cannot be assumed by Lambda"): wait and try again.
 */
static int create_function(struct aws *a, const struct ferry_function *fn,
			   const json_t *cfg, const struct ferry_artifact *art,
			   struct ferry_error *err)
{
	struct ferry_error e;
	char what[300];
	unsigned tries;
	json_t *body;
	int rc = 0;

	snprintf(what, sizeof(what), "create function '%s'", fn->full_name);
	for (tries = 0; tries < 12; tries++) {
		body = json_deep_copy(cfg);
		if (!body)
			return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		json_object_set_new(body, "FunctionName",
				    json_string(fn->full_name));
		json_object_set_new(body, "Code",
				    json_pack("{s:s, s:s}", "S3Bucket",
					      a->bucket, "S3Key", art->key));
		json_object_set_new(body, "Publish", json_false());
		ferry_error_init(&e);
		rc = call_json(a, "POST", FUNCTIONS, NULL, body, what, NULL,
			       &e);
		if (!rc || !strstr(e.msg, "cannot be assumed"))
			break;
		ferry_debug("%s; the new role is not usable yet", e.msg);
		nap_ms(2500);
	}
	if (rc)
		ferry_error_set(err, rc, "%s", e.msg);
	return rc;
}

int aws_lambda_publish(struct ferry_provider *p,
		       const struct ferry_function *fn,
		       const struct ferry_artifact *art,
		       struct ferry_version *out, struct ferry_error *err)
{
	struct aws *a = p->data;
	json_t *have = NULL, *want = NULL, *body, *ver = NULL;
	struct ferry_error e;
	const char *role;
	char code[45], what[300], *path = NULL, *cfg_path = NULL;
	int rc;

	if (code_sha256(code, art->sha256))
		return ferry_error_set(err, FERRY_EFAIL,
				       "aws: bad artifact sha256 '%s'",
				       art->sha256);
	rc = aws_role(a, &role, err);
	if (rc)
		return rc;
	want = wanted_config(fn, role);
	path = ferry_xstrfmt(FUNCTIONS "%s", fn->full_name);
	cfg_path = ferry_xstrfmt(FUNCTIONS "%s/configuration", fn->full_name);
	if (!want || !path || !cfg_path) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(what, sizeof(what), "get function '%s'", fn->full_name);
	ferry_error_init(&e);
	rc = call_json(a, "GET", cfg_path, NULL, NULL, what, &have, &e);
	if (rc == FERRY_ENOTFOUND) {
		rc = create_function(a, fn, want, art, err);
		if (rc)
			goto out;
	} else if (rc) {
		ferry_error_set(err, rc, "%s", e.msg);
		goto out;
	} else {
		if (strcmp(jstr(have, "CodeSha256"), code)) {
			snprintf(what, sizeof(what),
				 "update the code of '%s'", fn->full_name);
			body = json_pack("{s:s, s:s, s:b}", "S3Bucket",
					 a->bucket, "S3Key", art->key,
					 "Publish", 0);
			rc = call_fn(a, "PUT", fn, "/code", NULL, body, what,
				     NULL, err);
			if (!rc)
				rc = wait_ready(a, fn->full_name, cfg_path,
						err);
			if (rc)
				goto out;
		}
		if (!config_matches(have, want)) {
			snprintf(what, sizeof(what),
				 "update the configuration of '%s'",
				 fn->full_name);
			rc = call_json(a, "PUT", cfg_path, NULL,
				       json_deep_copy(want), what, NULL, err);
			if (rc)
				goto out;
		}
	}
	rc = wait_ready(a, fn->full_name, cfg_path, err);
	if (rc)
		goto out;
	snprintf(what, sizeof(what), "publish a version of '%s'",
		 fn->full_name);
	body = json_object();
	if (art->release)
		json_object_set_new(body, "Description",
				    json_sprintf("ferry release %u, bundle "
						 "sha256 %s", art->release,
						 art->sha256));
	else
		json_object_set_new(body, "Description",
				    json_sprintf("ferry bundle sha256 %s",
						 art->sha256));
	rc = call_fn(a, "POST", fn, "/versions", NULL, body, what, &ver,
		     err);
	if (rc)
		goto out;
	if (!*jstr(ver, "Version")) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "aws: %s: no Version in the answer", what);
		goto out;
	}
	snprintf(out->id, sizeof(out->id), "%s", jstr(ver, "Version"));
	ferry_debug("aws: %s is version %s", fn->full_name, out->id);
out:
	json_decref(have);
	json_decref(want);
	json_decref(ver);
	free(path);
	free(cfg_path);
	return rc;
}

static int has_http_event(const struct ferry_function *fn)
{
	size_t i;

	for (i = 0; i < fn->events_nr; i++)
		if (fn->events[i].type == FERRY_EVENT_HTTP)
			return 1;
	return 0;
}

/*
 * A Function URL on alias `live`, callable by anyone (AuthType NONE, as
 * an API endpoint is), with the resource policy that allows it. Only
 * created when missing: a rollback finds it and changes nothing.
 */
static int ensure_url(struct aws *a, const struct ferry_function *fn,
		      struct ferry_error *err)
{
	struct ferry_error e;
	char what[300], *path;
	json_t *body;
	int rc;

	path = ferry_xstrfmt(URL_API "%s/url", fn->full_name);
	if (!path)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	snprintf(what, sizeof(what), "get the URL of '%s'", fn->full_name);
	ferry_error_init(&e);
	rc = call_json(a, "GET", path, "Qualifier=" ALIAS, NULL, what, NULL,
		       &e);
	if (rc != FERRY_ENOTFOUND) {
		if (rc)
			ferry_error_set(err, rc, "%s", e.msg);
		goto out;
	}
	snprintf(what, sizeof(what), "create the URL of '%s'", fn->full_name);
	body = json_pack("{s:s}", "AuthType", "NONE");
	rc = call_json(a, "POST", path, "Qualifier=" ALIAS, body, what, NULL,
		       err);
	if (rc)
		goto out;
	snprintf(what, sizeof(what), "allow calls to the URL of '%s'",
		 fn->full_name);
	body = json_pack("{s:s, s:s, s:s, s:s}", "StatementId",
			 "ferry-function-url", "Action",
			 "lambda:InvokeFunctionUrl", "Principal", "*",
			 "FunctionUrlAuthType", "NONE");
	ferry_error_init(&e);
	rc = call_fn(a, "POST", fn, "/policy", "Qualifier=" ALIAS, body, what,
		     NULL, &e);
	if (rc == FERRY_ECONFLICT)
		rc = 0; /* the statement is there already */
	else if (rc)
		ferry_error_set(err, rc, "%s", e.msg);
out:
	free(path);
	return rc;
}

int aws_lambda_activate(struct ferry_provider *p,
			const struct ferry_function *fn,
			const struct ferry_version *v, struct ferry_error *err)
{
	struct aws *a = p->data;
	struct ferry_error e;
	char what[300];
	json_t *body;
	int rc;

	snprintf(what, sizeof(what), "point '%s' alias " ALIAS " at %.64s",
		 fn->full_name, v->id);
	body = json_pack("{s:s}", "FunctionVersion", v->id);
	ferry_error_init(&e);
	rc = call_fn(a, "PUT", fn, "/aliases/" ALIAS, NULL, body, what, NULL,
		     &e);
	if (rc == FERRY_ENOTFOUND) {
		snprintf(what, sizeof(what), "create '%s' alias " ALIAS,
			 fn->full_name);
		body = json_pack("{s:s, s:s}", "Name", ALIAS,
				 "FunctionVersion", v->id);
		rc = call_fn(a, "POST", fn, "/aliases", NULL, body, what,
			     NULL, err);
	} else if (rc) {
		ferry_error_set(err, rc, "%s", e.msg);
	}
	if (!rc && has_http_event(fn))
		rc = ensure_url(a, fn, err);
	return rc;
}

/* A DELETE that is done when the thing is already gone. */
static int delete_gone_ok(struct aws *a, const char *path, const char *query,
			  const char *what, struct ferry_error *err)
{
	struct ferry_error e;
	int rc;

	ferry_error_init(&e);
	rc = call_json(a, "DELETE", path, query, NULL, what, NULL, &e);
	if (rc == FERRY_ENOTFOUND)
		return 0;
	if (rc)
		ferry_error_set(err, rc, "%s", e.msg);
	return rc;
}

int aws_lambda_remove(struct ferry_provider *p,
		      const struct ferry_function *fn,
		      struct ferry_error *err)
{
	struct aws *a = p->data;
	char what[300], *url = NULL, *alias = NULL, *func = NULL;
	int rc;

	url = ferry_xstrfmt(URL_API "%s/url", fn->full_name);
	alias = ferry_xstrfmt(FUNCTIONS "%s/aliases/" ALIAS, fn->full_name);
	func = ferry_xstrfmt(FUNCTIONS "%s", fn->full_name);
	if (!url || !alias || !func) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(what, sizeof(what), "delete the URL of '%s'", fn->full_name);
	rc = delete_gone_ok(a, url, "Qualifier=" ALIAS, what, err);
	if (rc)
		goto out;
	snprintf(what, sizeof(what), "delete '%s' alias " ALIAS,
		 fn->full_name);
	rc = delete_gone_ok(a, alias, NULL, what, err);
	if (rc)
		goto out;
	snprintf(what, sizeof(what), "delete function '%s'", fn->full_name);
	rc = delete_gone_ok(a, func, NULL, what, err);
out:
	free(url);
	free(alias);
	free(func);
	return rc;
}

int aws_lambda_invoke(struct ferry_provider *p,
		      const struct ferry_function *fn,
		      const struct ferry_version *v,
		      const struct ferry_buf *event, struct ferry_buf *result,
		      struct ferry_error *err)
{
	struct aws *a = p->data;
	struct ferry_http_response resp;
	struct ferry_strvec headers = FERRY_STRVEC_INIT;
	struct aws_request r;
	char what[300], query[600], *path;
	const char *ferr;
	json_t *doc;
	int rc;

	path = ferry_xstrfmt(FUNCTIONS "%s/invocations", fn->full_name);
	if (!path ||
	    ferry_strvec_push(&headers, "Content-Type: application/json")) {
		free(path);
		ferry_strvec_release(&headers);
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	}
	/* what serves live traffic is the alias, whatever the record says */
	(void)v;
	snprintf(query, sizeof(query), "Qualifier=" ALIAS);
	snprintf(what, sizeof(what), "invoke '%s'", fn->full_name);
	ferry_http_response_init(&resp);
	memset(&r, 0, sizeof(r));
	r.service = FERRY_AWS_LAMBDA;
	r.method = "POST";
	r.path = path;
	r.query = query;
	r.headers = &headers;
	r.body = event->buf;
	r.body_len = event->len;
	r.what = what;
	rc = aws_call(a, &r, &resp, err);
	if (rc)
		goto out;
	ferr = ferry_http_header(&resp, "X-Amz-Function-Error");
	if (ferr) {
		doc = json_loadb(resp.body.buf ? resp.body.buf : "",
				 resp.body.len, 0, NULL);
		rc = ferry_error_set(err, FERRY_EFAIL, "%s: %s: %s",
				     fn->name,
				     doc ? jstr(doc, "errorType") : ferr,
				     doc ? jstr(doc, "errorMessage") :
					   "the handler failed");
		json_decref(doc);
		goto out;
	}
	if (ferry_buf_add(result, resp.body.buf ? resp.body.buf : "",
			  resp.body.len))
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
out:
	ferry_http_response_release(&resp);
	ferry_strvec_release(&headers);
	free(path);
	return rc;
}

int aws_lambda_endpoint(struct ferry_provider *p,
			const struct ferry_function *fn, struct ferry_buf *url,
			struct ferry_error *err)
{
	struct aws *a = p->data;
	char what[300], *path;
	json_t *doc = NULL;
	int rc;

	if (!has_http_event(fn))
		return ferry_error_set(err, FERRY_ENOTFOUND,
				       "function '%s' has no http event",
				       fn->name);
	path = ferry_xstrfmt(URL_API "%s/url", fn->full_name);
	if (!path)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	snprintf(what, sizeof(what), "get the URL of '%s'", fn->full_name);
	rc = call_json(a, "GET", path, "Qualifier=" ALIAS, NULL, what, &doc,
		       err);
	if (!rc && !*jstr(doc, "FunctionUrl"))
		rc = ferry_error_set(err, FERRY_ENOTFOUND,
				     "aws: %s: no FunctionUrl in the answer",
				     what);
	if (!rc && ferry_buf_addstr(url, jstr(doc, "FunctionUrl")))
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	json_decref(doc);
	free(path);
	return rc;
}
