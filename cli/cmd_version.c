/*
 * cmd_version.c - `ferry version`: the version, without loading anything.
 */
#include <stdio.h>

#include <jansson.h>

#include "cli.h"

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	if (ctx->json)
		return ferry_cli_json(json_pack("{s:s}", "version", FERRY_VERSION));
	else
		printf("ferry %s\n", FERRY_VERSION);
	return 0;
}

const struct ferry_cmd ferry_cmd_version = {
	.name = "version",
	.summary = "print ferry's version",
	.max_args = 0,
	.run = run,
};
