/*
 * cmd_package.c - `ferry package [FN...] [--out DIR]`: build the bundles
 * without deploying them.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const struct ferry_opt opts[] = {
	{ "out", 'o', "DIR", "write bundles to DIR (default: .ferry/build)", FERRY_COMPLETE_DIR },
	{ NULL, 0, NULL, NULL, FERRY_COMPLETE_NONE },
};

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	struct ferry_bundle *bundles = NULL;
	size_t nr = 0, i;
	double t0 = ferry_now();
	char took[32];
	int rc;

	rc = ferry_cli_build(ctx, args->pos, args->pos_nr, ferry_arg(args, "out"),
			     1, &bundles, &nr, err);
	if (rc)
		return rc;
	ferry_fmt_duration(took, sizeof(took), ferry_now() - t0);
	ferry_cli_note(ctx, "packaged %zu function%s in %s", nr,
		       nr == 1 ? "" : "s", took);
	for (i = 0; i < nr; i++)
		ferry_bundle_release(&bundles[i]);
	free(bundles);
	return 0;
}

const struct ferry_cmd ferry_cmd_package = {
	.name = "package",
	.args = "[FN...]",
	.summary = "build the bundles without deploying",
	.description =
	"Builds one reproducible zip per function (all functions, or the ones\n"
	"named) into .ferry/build/<function>.zip and prints, per bundle, its\n"
	"files, bytes raw and zipped, and sha256. With --json: one line per\n"
	"bundle, {\"event\":\"bundle\",\"function\",\"path\",\"files\",\"bytes\",\n"
	"\"zipped\",\"sha256\"}.",
	.opts = opts,
	.max_args = -1,
	.complete = FERRY_COMPLETE_FUNCTION,
	.flags = FERRY_CMD_CONFIG,
	.run = run,
};
