/*
 * cmd_remove.c - `ferry remove [--yes] [--purge]`: delete the stage's
 * deployed functions and release records.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "ferry/release.h"

static const struct ferry_opt opts[] = {
	{ "yes", 'y', NULL, "do not ask for confirmation", FERRY_COMPLETE_NONE },
	{ "purge", 0, NULL, "also delete the uploaded artifacts", FERRY_COMPLETE_NONE },
	{ NULL, 0, NULL, NULL, FERRY_COMPLETE_NONE },
};

static int confirm(const struct ferry_ctx *ctx, const struct ferry_args *args,
		   struct ferry_error *err)
{
	char line[16];

	if (ferry_flag(args, "yes"))
		return 0;
	if (!isatty(STDIN_FILENO))
		return ferry_usage_error(err, args->cmd,
					 "'remove' deletes stage '%s' of '%s'; pass --yes to confirm",
					 ctx->cfg->stage, ctx->cfg->service);
	fprintf(stderr, "remove every function and release of stage '%s' of '%s' (%s)? [y/N] ",
		ctx->cfg->stage, ctx->cfg->service, ctx->cfg->provider);
	if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y'))
		return ferry_error_set(err, FERRY_EFAIL, "nothing removed");
	return 0;
}

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	int rc;

	rc = confirm(ctx, args, err);
	if (rc)
		return rc;
	rc = ferry_release_remove(&ctx->prov, ctx->cfg, ferry_flag(args, "purge"), err);
	if (rc)
		return rc;
	if (ctx->json)
		return ferry_cli_json(json_pack("{s:s, s:s, s:s}", "event", "remove",
			"service", ctx->cfg->service, "stage", ctx->cfg->stage));
	printf("removed stage '%s' of '%s' from %s\n", ctx->cfg->stage,
	       ctx->cfg->service, ctx->cfg->provider);
	return 0;
}

const struct ferry_cmd ferry_cmd_remove = {
	.name = "remove",
	.summary = "delete the stage's functions and releases",
	.description =
	"Deletes what ferry created for the stage: the deployed functions, the\n"
	"release records, the live pointer and the lock. The uploaded artifacts\n"
	"stay (other stages may share them) unless --purge is given.",
	.opts = opts,
	.max_args = 0,
	.flags = FERRY_CMD_CONFIG | FERRY_CMD_PROVIDER,
	.run = run,
};
