/*
 * cmd_invoke.c - `ferry invoke FN [--data JSON|@FILE]`: run the live
 * release of one function with an event and print its result.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "ferry/fs.h"
#include "ferry/release.h"

static const struct ferry_opt opts[] = {
	{ "data", 'd', "JSON|@FILE", "the event (default: {})", FERRY_COMPLETE_FILE },
	{ NULL, 0, NULL, NULL, FERRY_COMPLETE_NONE },
};

static int load_event(struct ferry_buf *event, const struct ferry_args *args,
		      struct ferry_error *err)
{
	const char *data = ferry_arg(args, "data");
	json_error_t jerr;
	json_t *doc;
	int rc;

	if (!data)
		data = "{}";
	if (data[0] == '@') {
		rc = ferry_fs_read(event, data + 1, 64u << 20, err);
		if (rc)
			return rc;
	} else if (ferry_buf_addstr(event, data)) {
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	}
	doc = json_loadb(event->buf, event->len, JSON_DECODE_ANY, &jerr);
	if (!doc)
		return ferry_usage_error(err, args->cmd,
					 "--data %s is not JSON: line %d, column %d: %s",
					 data[0] == '@' ? data : "value", jerr.line,
					 jerr.column, jerr.text);
	json_decref(doc);
	return 0;
}

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	struct ferry_buf event = FERRY_BUF_INIT, result = FERRY_BUF_INIT;
	const struct ferry_function *fn;
	json_error_t jerr;
	json_t *doc;
	int rc;

	fn = ferry_config_function(ctx->cfg, args->pos[0]);
	if (!fn) {
		rc = ferry_error_set(err, FERRY_ENOTFOUND, "no function '%s' in %s",
				     args->pos[0], ctx->cfg->file);
		goto out;
	}
	rc = load_event(&event, args, err);
	if (rc)
		goto out;
	rc = ferry_release_invoke(&result, &ctx->prov, ctx->cfg, fn, &event, err);
	if (rc)
		goto out;
	if (ctx->json) {
		doc = json_loadb(result.buf, result.len, JSON_DECODE_ANY, &jerr);
		rc = ferry_cli_json(json_pack("{s:s, s:s, s:o}", "event", "result",
					      "function", fn->name,
					      "result", doc ? doc : json_string(result.buf)));
	} else {
		fwrite(result.buf, 1, result.len, stdout);
		if (!result.len || result.buf[result.len - 1] != '\n')
			putchar('\n');
	}
out:
	ferry_buf_release(&event);
	ferry_buf_release(&result);
	return rc;
}

const struct ferry_cmd ferry_cmd_invoke = {
	.name = "invoke",
	.args = "FN",
	.summary = "run a deployed function with an event",
	.description =
	"Runs FN as deployed in the live release and prints its result (JSON)\n"
	"on stdout; the handler's own output goes to stderr. A handler error or\n"
	"a timeout exits 1; an unknown or undeployed function exits 5.",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.complete = FERRY_COMPLETE_FUNCTION,
	.flags = FERRY_CMD_CONFIG | FERRY_CMD_PROVIDER,
	.run = run,
};
