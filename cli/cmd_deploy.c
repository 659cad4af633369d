/*
 * cmd_deploy.c - `ferry deploy [FN...] [--force] [--dry-run]`: package,
 * then hand the bundles to the release engine and print what changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "ferry/release.h"

static const struct ferry_opt opts[] = {
	{ "force", 0, NULL, "publish even functions that did not change", FERRY_COMPLETE_NONE },
	{ "dry-run", 'n', NULL, "show what would change; deploy nothing", FERRY_COMPLETE_NONE },
	{ NULL, 0, NULL, NULL, FERRY_COMPLETE_NONE },
};

/* A short form of a provider's version handle for the table. */
static const char *short_version(const char *v)
{
	const char *slash = strrchr(v, '/');

	if (strlen(v) <= 24 || !slash)
		return v;
	return slash + 1;
}

static int print_result(struct ferry_ctx *ctx, const struct ferry_deploy_result *r,
			unsigned live, int dry_run, double took)
{
	struct ferry_table t;
	char size[32], dur[32], ver[25];
	size_t i;
	int rc = 0;

	if (ctx->json) {
		for (i = 0; i < r->fns_nr && !rc; i++)
			rc = ferry_cli_json(json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}",
				"event", "function", "function", r->fns[i].name,
				"size", (json_int_t)r->fns[i].size,
				"change", ferry_change_name(r->fns[i].change),
				"version", r->fns[i].version, "sha256", r->fns[i].sha256));
		if (!rc)
			rc = ferry_cli_json(json_pack("{s:s, s:I, s:I, s:b, s:b}",
				"event", "deploy", "release",
				(json_int_t)(r->release ? r->release : live),
				"uploads", (json_int_t)r->uploads,
				"changed", r->release != 0, "dry_run", dry_run));
		return rc;
	}
	ferry_table_init(&t, 4);
	rc = ferry_table_row(&t, "FUNCTION", "SIZE", "CHANGE", "VERSION");
	for (i = 0; i < r->fns_nr && !rc; i++) {
		ferry_fmt_size(size, sizeof(size), r->fns[i].size);
		snprintf(ver, sizeof(ver), "%.24s", short_version(r->fns[i].version));
		rc = ferry_table_row(&t, r->fns[i].name, size,
				     ferry_change_name(r->fns[i].change),
				     r->fns[i].version[0] ? ver : "-");
	}
	if (!rc)
		ferry_table_print(&t, stdout);
	ferry_table_release(&t);
	ferry_fmt_duration(dur, sizeof(dur), took);
	if (dry_run)
		printf("dry run: nothing was deployed (%s)\n", dur);
	else if (r->release)
		printf("release %u is live (%u upload%s, %s)\n", r->release,
		       r->uploads, r->uploads == 1 ? "" : "s", dur);
	else if (live)
		printf("nothing changed; release %u stays live\n", live);
	else
		printf("nothing to deploy\n");
	return rc;
}

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	struct ferry_deploy_result result = { 0 };
	struct ferry_deploy_opts o = { 0 };
	struct ferry_release live = { 0 };
	struct ferry_bundle *bundles = NULL;
	struct ferry_error lerr;
	size_t nr = 0, i;
	double t0 = ferry_now();
	unsigned live_nr = 0;
	int rc;

	rc = ferry_cli_build(ctx, args->pos, args->pos_nr, NULL, 0, &bundles,
			     &nr, err);
	if (rc)
		goto out;
	o.bundles = bundles;
	o.bundles_nr = nr;
	o.force = ferry_flag(args, "force");
	o.dry_run = ferry_flag(args, "dry-run");
	rc = ferry_release_deploy(&result, &ctx->prov, ctx->cfg, &o, err);
	if (rc)
		goto out;
	if (result.release && !o.dry_run)
		ferry_cli_cache_releases(ctx, &result.release, 1, 0);
	if (!result.release) {
		ferry_error_init(&lerr);
		if (!ferry_release_live(&live, &ctx->prov, ctx->cfg, &lerr))
			live_nr = live.number;
	}
	rc = print_result(ctx, &result, live_nr, o.dry_run, ferry_now() - t0);
out:
	ferry_release_release(&live);
	ferry_deploy_result_release(&result);
	for (i = 0; i < nr; i++)
		ferry_bundle_release(&bundles[i]);
	free(bundles);
	return rc;
}

const struct ferry_cmd ferry_cmd_deploy = {
	.name = "deploy",
	.args = "[FN...]",
	.summary = "package, upload and make a new release live",
	.description =
	"Builds the bundles, uploads the ones the store does not have yet,\n"
	"publishes the functions whose code or configuration changed, records\n"
	"an immutable release and points live traffic at it. A deploy with\n"
	"nothing changed creates no release and exits 0. Functions not named\n"
	"keep the version they have in the live release.",
	.opts = opts,
	.max_args = -1,
	.complete = FERRY_COMPLETE_FUNCTION,
	.flags = FERRY_CMD_CONFIG | FERRY_CMD_PROVIDER,
	.run = run,
};
