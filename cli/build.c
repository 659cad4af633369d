/*
 * build.c - builds the bundles of the selected functions for `package` and
 * `deploy`, and reports each one (a human line or a JSON event).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "ferry/log.h"
#include "ferry/suggest.h"

/* Check that every name is a function of the manifest (exit 5 otherwise). */
static int check_names(const struct ferry_config *cfg, const char *const *names,
		       int nr, struct ferry_error *err)
{
	const char *cands[256], *hint;
	size_t i, n;
	int j;

	for (j = 0; j < nr; j++) {
		if (ferry_config_function(cfg, names[j]))
			continue;
		for (i = 0, n = 0; i < cfg->functions_nr && n < 255; i++)
			cands[n++] = cfg->functions[i].name;
		cands[n] = NULL;
		hint = ferry_suggest(names[j], cands);
		return ferry_error_set(err, FERRY_ENOTFOUND,
				       "no function '%s' in %s%s%s%s", names[j],
				       cfg->file, hint ? " (did you mean '" : "",
				       hint ? hint : "", hint ? "'?)" : "");
	}
	return 0;
}

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

static int report(const struct ferry_ctx *ctx, const struct ferry_bundle *b)
{
	char raw[32], zipped[32];

	if (ctx->json)
		return ferry_cli_json(json_pack(
			"{s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "event", "bundle",
			"function", b->function, "path", b->path,
			"files", (json_int_t)b->files, "bytes", (json_int_t)b->bytes,
			"zipped", (json_int_t)b->zipped, "sha256", b->sha256));
	ferry_fmt_size(raw, sizeof(raw), b->bytes);
	ferry_fmt_size(zipped, sizeof(zipped), b->zipped);
	printf("%-16s %6llu files  %9s -> %9s  sha256 %.12s\n", b->function,
	       (unsigned long long)b->files, raw, zipped, b->sha256);
	return 0;
}

int ferry_cli_build(struct ferry_ctx *ctx, const char *const *names, int nr,
		    const char *out_dir, int print, struct ferry_bundle **out,
		    size_t *out_nr, struct ferry_error *err)
{
	const struct ferry_config *cfg = ctx->cfg;
	const struct ferry_function **fns = NULL;
	struct ferry_bundle *bundles = NULL;
	size_t i, n = 0;
	int rc;

	rc = check_names(cfg, names, nr, err);
	if (rc)
		return rc;
	fns = calloc(cfg->functions_nr ? cfg->functions_nr : 1, sizeof(*fns));
	bundles = calloc(cfg->functions_nr ? cfg->functions_nr : 1,
			 sizeof(*bundles));
	if (!fns || !bundles) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < cfg->functions_nr; i++)
		if (selected(cfg->functions[i].name, names, nr))
			fns[n++] = &cfg->functions[i];
	rc = ferry_bundle_build_all(bundles, cfg, fns, n, out_dir, err);
	if (rc) {
		n = 0;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (print) {
			rc = report(ctx, &bundles[i]);
			if (rc)
				goto out;
		} else {
			char zipped[32];

			ferry_fmt_size(zipped, sizeof(zipped), bundles[i].zipped);
			ferry_debug("packaged %s: %llu files, %s",
				    bundles[i].function,
				    (unsigned long long)bundles[i].files, zipped);
		}
	}
out:
	free(fns);
	if (rc) {
		for (i = 0; i < n; i++)
			ferry_bundle_release(&bundles[i]);
		free(bundles);
		return rc;
	}
	*out = bundles;
	*out_nr = n;
	return 0;
}
