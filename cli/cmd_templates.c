/*
 * cmd_templates.c - `ferry templates`: list the built-in templates, one per
 * line with its description.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "cli.h"
#include "ferry/template.h"

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	struct ferry_table t;
	char *desc = NULL;
	size_t i;
	int rc;

	ferry_table_init(&t, 2);
	rc = ferry_template_builtin_names(&names, err);
	for (i = 0; !rc && i < names.nr; i++) {
		free(desc);
		desc = NULL;
		rc = ferry_template_builtin_description(&desc, names.items[i], err);
		if (rc)
			break;
		if (ctx->json)
			rc = ferry_cli_json(json_pack("{s:s, s:s, s:s}", "event",
				"template", "name", names.items[i], "description", desc));
		else if (ferry_table_row(&t, names.items[i], desc))
			rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	}
	if (!rc && !ctx->json)
		ferry_table_print(&t, stdout);
	free(desc);
	ferry_table_release(&t);
	ferry_strvec_release(&names);
	return rc;
}

const struct ferry_cmd ferry_cmd_templates = {
	.name = "templates",
	.summary = "list the built-in templates",
	.description =
	"Lists the templates built into ferry, one per line: name and\n"
	"description. Use one with 'ferry init --template NAME'.",
	.max_args = 0,
	.run = run,
};
