/*
 * cmd_info.c - `ferry info`: the live release and, per function, its
 * runtime, version and endpoints.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "ferry/release.h"

static const struct ferry_release_fn *find_fn(const struct ferry_release *r,
					      const char *name)
{
	size_t i;

	for (i = 0; i < r->fns_nr; i++)
		if (!strcmp(r->fns[i].name, name))
			return &r->fns[i];
	return NULL;
}

/* Append "GET /users, POST /users" (the function's http routes). */
static int routes(struct ferry_buf *out, const struct ferry_function *fn)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < fn->events_nr && !rc; i++)
		if (fn->events[i].type == FERRY_EVENT_HTTP)
			rc = ferry_buf_addf(out, "%s%s %s", out->len ? ", " : "",
					    fn->events[i].method, fn->events[i].path);
	return rc;
}

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	const struct ferry_config *cfg = ctx->cfg;
	struct ferry_release live = { 0 };
	struct ferry_buf url = FERRY_BUF_INIT, rt = FERRY_BUF_INIT;
	struct ferry_error lerr;
	struct ferry_table t;
	size_t i;
	int rc = 0, has_live;

	ferry_error_init(&lerr);
	rc = ferry_release_live(&live, &ctx->prov, cfg, &lerr);
	if (rc && rc != FERRY_ENOTFOUND) {
		ferry_error_set(err, rc, "%s", lerr.msg);
		goto out;
	}
	has_live = rc == 0;
	rc = 0;
	if (ctx->json)
		rc = ferry_cli_json(json_pack("{s:s, s:s, s:s, s:s, s:I}", "event",
			"service", "service", cfg->service, "stage", cfg->stage,
			"provider", cfg->provider, "live",
			(json_int_t)(has_live ? live.number : 0)));
	else if (has_live)
		printf("service %s, stage %s, provider %s: release %u is live "
		       "(%s, %s)\n\n", cfg->service, cfg->stage, cfg->provider,
		       live.number, live.kind, live.time);
	else
		printf("service %s, stage %s, provider %s: nothing deployed yet\n\n",
		       cfg->service, cfg->stage, cfg->provider);
	ferry_table_init(&t, 5);
	if (!ctx->json)
		rc = ferry_table_row(&t, "FUNCTION", "RUNTIME", "BUNDLE", "ROUTES", "URL");
	for (i = 0; i < cfg->functions_nr && !rc; i++) {
		const struct ferry_function *fn = &cfg->functions[i];
		const struct ferry_release_fn *rf = has_live ? find_fn(&live, fn->name) : NULL;
		char sha[13] = "-";

		ferry_buf_reset(&url);
		ferry_buf_reset(&rt);
		ferry_error_init(&lerr);
		if (rf && ctx->prov.ops->endpoint &&
		    ctx->prov.ops->endpoint(&ctx->prov, fn, &url, &lerr))
			ferry_buf_reset(&url);
		if (rf)
			snprintf(sha, sizeof(sha), "%.12s", rf->sha256);
		rc = routes(&rt, fn);
		if (rc)
			break;
		if (ctx->json)
			rc = ferry_cli_json(json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s, s:s?}",
				"event", "function", "function", fn->name,
				"runtime", fn->runtime, "sha256", rf ? rf->sha256 : NULL,
				"version", rf ? rf->version : NULL, "routes", rt.buf,
				"url", url.len ? url.buf : NULL));
		else
			rc = ferry_table_row(&t, fn->name, fn->runtime, sha,
					     rt.len ? rt.buf : "-",
					     url.len ? url.buf : "-");
	}
	if (!rc && !ctx->json)
		ferry_table_print(&t, stdout);
	ferry_table_release(&t);
out:
	ferry_buf_release(&url);
	ferry_buf_release(&rt);
	ferry_release_release(&live);
	return rc;
}

const struct ferry_cmd ferry_cmd_info = {
	.name = "info",
	.summary = "show the live release, functions and endpoints",
	.max_args = 0,
	.flags = FERRY_CMD_CONFIG | FERRY_CMD_PROVIDER,
	.run = run,
};
