/*
 * cmd_package.c - `ferry package [FN...] [--out DIR]`: build the bundles
 * without deploying them; `--explain PATH` says instead why a file is or
 * is not in each bundle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "ferry/suggest.h"

static const struct ferry_opt opts[] = {
	{ "out", 'o', "DIR", "write bundles to DIR (default: .ferry/build)", FERRY_COMPLETE_DIR },
	{ "explain", 0, "PATH", "say why PATH is or is not in each bundle",
	  FERRY_COMPLETE_FILE },
	{ NULL, 0, NULL, NULL, FERRY_COMPLETE_NONE },
};

static int selected(const char *name, const char *const *names, int nr)
{
	int j;

	if (!nr)
		return 1;
	for (j = 0; j < nr; j++)
		if (!strcmp(names[j], name))
			return 1;
	return 0;
}

/*
 * One explanation as a JSON event, from the text ferry_bundle_explain()
 * writes: "F: P is in the bundle" and the chain indented below it, or
 * "F: P is not in the bundle: WHY" / "... (WHY)".
 *
 *   {"event":"explain","function":F,"path":P,"name":N,"bundled":B,
 *    "why":[...]}
 *
 * where N is the file's name inside the bundle.
 */
static int explain_json(const char *fn, const char *path, const char *text)
{
	static const char out_word[] = " is not in the bundle";
	static const char in_word[] = " is in the bundle";
	const char *line = text, *eol, *s, *w;
	json_t *why = json_array(), *name = NULL;
	int bundled = 0, first = 1;
	size_t len, skip = strlen(fn) + 2;

	if (!why)
		return FERRY_ENOMEM;
	for (; *line; line = *eol ? eol + 1 : eol, first = 0) {
		eol = strchr(line, '\n');
		if (!eol)
			eol = line + strlen(line);
		if (first) {
			w = strstr(line, out_word);
			bundled = !w || w > eol;
			if (bundled)
				w = strstr(line, in_word);
			if (w && w < eol && (size_t)(w - line) > skip)
				name = json_stringn(line + skip,
						    (size_t)(w - line) - skip);
			if (bundled)
				continue;
			s = w + sizeof(out_word) - 1;
			s += *s == ':' ? 2 : *s == ' ' ? 1 : 0;
			len = (size_t)(eol - s);
			if (*s == '(' && len >= 2 && eol[-1] == ')') {
				s++;
				len -= 2;
			}
			if (len)
				json_array_append_new(why, json_stringn(s, len));
			continue;
		}
		for (s = line; *s == ' '; s++)
			;
		if (!strncmp(s, "-> ", 3))
			s += 3;
		if (s < eol)
			json_array_append_new(why,
					      json_stringn(s, (size_t)(eol - s)));
	}
	return ferry_cli_json(json_pack("{s:s, s:s, s:s, s:o, s:b, s:o}",
					"event", "explain", "function", fn,
					"path", path, "name",
					name ? name : json_string(path),
					"bundled", bundled, "why", why));
}

/*
 * `--explain PATH`: one answer per selected function on stdout. Exit 0
 * when at least one bundle explains PATH (in or out), 5 when it is in no
 * bundle and no rule says why.
 */
static int explain(struct ferry_ctx *ctx, const struct ferry_args *args,
		   const char *path, struct ferry_error *err)
{
	const struct ferry_config *cfg = ctx->cfg;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_error one;
	const char *cands[256], *hint;
	size_t i, n, explained = 0, asked = 0;
	int j, rc = 0;

	for (j = 0; j < args->pos_nr; j++) {
		if (ferry_config_function(cfg, args->pos[j]))
			continue;
		for (i = 0, n = 0; i < cfg->functions_nr && n < 255; i++)
			cands[n++] = cfg->functions[i].name;
		cands[n] = NULL;
		hint = ferry_suggest(args->pos[j], cands);
		return ferry_error_set(err, FERRY_ENOTFOUND,
				       "no function '%s' in %s%s%s%s",
				       args->pos[j], cfg->file,
				       hint ? " (did you mean '" : "",
				       hint ? hint : "", hint ? "'?)" : "");
	}
	for (i = 0; i < cfg->functions_nr; i++) {
		if (!selected(cfg->functions[i].name, args->pos, args->pos_nr))
			continue;
		asked++;
		ferry_error_init(&one);
		ferry_buf_reset(&out);
		rc = ferry_bundle_explain(&out, cfg, &cfg->functions[i], path,
					  &one);
		if (rc && rc != FERRY_ENOTFOUND) {
			rc = ferry_error_set(err, rc, "%s", one.msg);
			goto out;
		}
		if (!rc)
			explained++;
		else
			ferry_buf_addf(&out, "%s\n", one.msg);
		rc = 0;
		if (!ctx->json) {
			fputs(out.buf, stdout);
			continue;
		}
		rc = explain_json(cfg->functions[i].name, path, out.buf);
		if (rc) {
			rc = ferry_error_set(err, rc, "cannot write JSON");
			goto out;
		}
	}
	if (asked && !explained)
		rc = ferry_error_set(err, FERRY_ENOTFOUND,
				     "'%s' is in no bundle and no rule says "
				     "why", path);
out:
	ferry_buf_release(&out);
	return rc;
}

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	struct ferry_bundle *bundles = NULL;
	size_t nr = 0, i;
	double t0 = ferry_now();
	char took[32];
	int rc;

	if (ferry_arg(args, "explain"))
		return explain(ctx, args, ferry_arg(args, "explain"), err);
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
	"\"zipped\",\"sha256\"}.\n"
	"\n"
	"With --explain PATH nothing is written: for each function it prints\n"
	"the chain of imports that brought PATH (relative to the project)\n"
	"into the bundle, or why it is left out (package.exclude, not reached\n"
	"from the handler, a devDependency, outside the project). Exit 5 when\n"
	"PATH is in no bundle and no rule says why.",
	.opts = opts,
	.max_args = -1,
	.complete = FERRY_COMPLETE_FUNCTION,
	.flags = FERRY_CMD_CONFIG,
	.run = run,
};
