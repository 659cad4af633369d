/*
 * cmd_validate.c - `ferry validate [--print]`: load and check the manifest;
 * with --print show it fully resolved (YAML, or JSON with --json).
 */
#include <stdio.h>

#include <jansson.h>

#include "cli.h"

static const struct ferry_opt opts[] = {
	{ "print", 0, NULL, "print the resolved configuration", FERRY_COMPLETE_NONE },
	{ NULL, 0, NULL, NULL, FERRY_COMPLETE_NONE },
};

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	const struct ferry_config *cfg = ctx->cfg;
	struct ferry_buf out = FERRY_BUF_INIT;
	int rc = 0;

	if (ferry_flag(args, "print")) {
		rc = ctx->json ? ferry_config_to_json(cfg, &out, err) :
			ferry_config_to_yaml(cfg, &out, err);
		if (!rc) {
			fwrite(out.buf, 1, out.len, stdout);
			if (out.len && out.buf[out.len - 1] != '\n')
				putchar('\n');
		}
	} else if (ctx->json) {
		rc = ferry_cli_json(json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}",
			"event", "valid", "file", cfg->file, "service", cfg->service,
			"stage", cfg->stage, "provider", cfg->provider,
			"functions", (int)cfg->functions_nr));
	} else {
		printf("%s: valid (service '%s', stage '%s', provider '%s', "
		       "%zu function%s)\n", cfg->file, cfg->service, cfg->stage,
		       cfg->provider, cfg->functions_nr,
		       cfg->functions_nr == 1 ? "" : "s");
	}
	ferry_buf_release(&out);
	return rc;
}

const struct ferry_cmd ferry_cmd_validate = {
	.name = "validate",
	.summary = "check the manifest; --print shows it resolved",
	.description =
	"Loads ferry.yaml, applies the selected stage, resolves every ${...}\n"
	"variable and checks the result. Errors name FILE:LINE:COLUMN, say what\n"
	"is wrong and what is allowed, and exit with code 3.",
	.opts = opts,
	.max_args = 0,
	.flags = FERRY_CMD_CONFIG,
	.run = run,
};
