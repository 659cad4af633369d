/*
 * cmd_rollback.c - `ferry rollback [N]`: point live traffic back at the
 * versions of release N (default: the one before the release now serving).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "cli.h"
#include "ferry/release.h"

int ferry_cli_parse_uint(const char *s, unsigned *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xffffffffUL)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	struct ferry_release r = { 0 };
	double t0 = ferry_now();
	unsigned target = 0;
	char took[32];
	int rc;

	if (args->pos_nr && (ferry_cli_parse_uint(args->pos[0], &target) || !target))
		return ferry_usage_error(err, args->cmd,
					 "release '%s' is not a release number (1, 2, 3 ...)",
					 args->pos[0]);
	rc = ferry_release_rollback(&r, &ctx->prov, ctx->cfg, target, err);
	if (rc)
		return rc;
	ferry_cli_cache_releases(ctx, &r.number, 1, 0);
	ferry_fmt_duration(took, sizeof(took), ferry_now() - t0);
	if (ctx->json)
		rc = ferry_cli_json(json_pack("{s:s, s:I, s:I}", "event", "rollback",
					      "release", (json_int_t)r.number,
					      "target", (json_int_t)r.target));
	else
		printf("release %u is live (rollback to %u, %s)\n", r.number,
		       r.target, took);
	ferry_release_release(&r);
	return rc;
}

const struct ferry_cmd ferry_cmd_rollback = {
	.name = "rollback",
	.args = "[N]",
	.summary = "make an earlier release live again, without rebuilding",
	.description =
	"Re-points every function at the versions recorded in release N, with\n"
	"no build and no upload, and records that as a new release of kind\n"
	"rollback. Without N: the release before the one now serving, so\n"
	"repeated rollbacks keep walking back.",
	.min_args = 0,
	.max_args = 1,
	.complete = FERRY_COMPLETE_RELEASE,
	.flags = FERRY_CMD_CONFIG | FERRY_CMD_PROVIDER,
	.run = run,
};
