/*
 * cmd_help.c - `ferry help [COMMAND]`: the same text as `ferry COMMAND --help`.
 */
#include <stdio.h>

#include "cli.h"
#include "ferry/suggest.h"

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	const struct ferry_cmd *cmd;

	if (!args->pos_nr) {
		ferry_help_main(stdout);
		return 0;
	}
	cmd = ferry_cmd_find(args->pos[0]);
	if (!cmd)
		return ferry_usage_error(err, NULL, "unknown command '%s'",
					 args->pos[0]);
	ferry_help_cmd(stdout, cmd);
	return 0;
}

const struct ferry_cmd ferry_cmd_help = {
	.name = "help",
	.args = "[COMMAND]",
	.summary = "show help for ferry or one command",
	.max_args = 1,
	.complete = FERRY_COMPLETE_COMMAND,
	.run = run,
};
