/*
 * cmd_prune.c - `ferry prune --keep K`: delete old release records and the
 * artifacts no kept release references.
 */
#include <stdio.h>

#include <jansson.h>

#include "cli.h"
#include "ferry/release.h"

static const struct ferry_opt opts[] = {
	{ "keep", 'k', "K", "how many of the newest releases to keep (the live one is always kept)", FERRY_COMPLETE_NONE },
	{ NULL, 0, NULL, NULL, FERRY_COMPLETE_NONE },
};

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	struct ferry_prune_result r = { 0 };
	const char *keep_s = ferry_arg(args, "keep");
	unsigned keep;
	int rc;

	if (!keep_s)
		return ferry_usage_error(err, args->cmd, "'prune' needs --keep K");
	if (ferry_cli_parse_uint(keep_s, &keep) || !keep)
		return ferry_usage_error(err, args->cmd,
					 "--keep '%s' is not a number of releases (1 or more)",
					 keep_s);
	rc = ferry_release_prune(&r, &ctx->prov, ctx->cfg, keep, err);
	if (rc)
		return rc;
	if (ctx->json)
		return ferry_cli_json(json_pack("{s:s, s:I, s:I}", "event", "prune",
			"records", (json_int_t)r.records,
			"artifacts", (json_int_t)r.artifacts));
	printf("pruned %u release%s and %u artifact%s\n", r.records,
	       r.records == 1 ? "" : "s", r.artifacts, r.artifacts == 1 ? "" : "s");
	return 0;
}

const struct ferry_cmd ferry_cmd_prune = {
	.name = "prune",
	.summary = "delete old releases and unreferenced artifacts",
	.description =
	"Keeps the newest K release records of the stage (and always the live\n"
	"one), deletes the older ones, then deletes the artifacts that no\n"
	"remaining release of any stage references.",
	.opts = opts,
	.max_args = 0,
	.flags = FERRY_CMD_CONFIG | FERRY_CMD_PROVIDER,
	.run = run,
};
