/*
 * cmd_releases.c - `ferry releases`: the stage's releases, newest first,
 * the live one marked.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "cli.h"
#include "ferry/release.h"

static int print_json(const struct ferry_release_list *l)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; i < l->nr && !rc; i++) {
		const struct ferry_release *r = &l->items[i];
		json_t *fns = json_object();

		for (j = 0; fns && j < r->fns_nr; j++)
			json_object_set_new(fns, r->fns[j].name, json_pack(
				"{s:s, s:s}", "sha256", r->fns[j].sha256,
				"version", r->fns[j].version ? r->fns[j].version : ""));
		rc = ferry_cli_json(json_pack("{s:s, s:I, s:b, s:s, s:s, s:s, s:I, s:s?, s:b, s:o}",
			"event", "release", "release", (json_int_t)r->number,
			"live", r->number == l->live, "time", r->time ? r->time : "",
			"user", r->user ? r->user : "", "kind", r->kind ? r->kind : "",
			"target", (json_int_t)r->target, "git", r->git_commit,
			"dirty", r->git_dirty, "functions", fns));
	}
	return rc;
}

/* Refresh the release numbers shell completion offers (cmd_complete.c). */
static void cache_numbers(const struct ferry_ctx *ctx,
			  const struct ferry_release_list *l)
{
	unsigned *nums = calloc(l->nr + 1, sizeof(*nums));
	size_t i;

	for (i = 0; nums && i < l->nr; i++)
		nums[i] = l->items[i].number;
	if (nums)
		ferry_cli_cache_releases(ctx, nums, l->nr, 1);
	free(nums);
}

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	struct ferry_release_list l = { 0 };
	struct ferry_table t;
	char num[32], kind[48], git[24];
	size_t i;
	int rc;

	rc = ferry_release_list(&l, &ctx->prov, ctx->cfg, err);
	if (rc)
		return rc;
	cache_numbers(ctx, &l);
	if (ctx->json) {
		rc = print_json(&l);
		goto out;
	}
	if (!l.nr) {
		printf("no releases of '%s' in stage '%s' yet; run 'ferry deploy'\n",
		       ctx->cfg->service, ctx->cfg->stage);
		goto out;
	}
	ferry_table_init(&t, 5);
	rc = ferry_table_row(&t, "  RELEASE", "TIME", "KIND", "USER", "GIT");
	for (i = 0; i < l.nr && !rc; i++) {
		const struct ferry_release *r = &l.items[i];

		snprintf(num, sizeof(num), "%c %u", r->number == l.live ? '*' : ' ',
			 r->number);
		if (r->target)
			snprintf(kind, sizeof(kind), "%s to %u", r->kind, r->target);
		else
			snprintf(kind, sizeof(kind), "%s", r->kind ? r->kind : "-");
		snprintf(git, sizeof(git), "%.10s%s", r->git_commit ? r->git_commit : "-",
			 r->git_dirty ? "+dirty" : "");
		rc = ferry_table_row(&t, num, r->time, kind, r->user, git);
	}
	if (!rc)
		ferry_table_print(&t, stdout);
	ferry_table_release(&t);
out:
	ferry_release_list_release(&l);
	return rc;
}

const struct ferry_cmd ferry_cmd_releases = {
	.name = "releases",
	.summary = "list releases, newest first, live one marked",
	.description =
	"Lists the release records of the stage, newest first. The live one is\n"
	"marked with '*'. Rollbacks are releases too, of kind 'rollback to N'.",
	.max_args = 0,
	.flags = FERRY_CMD_CONFIG | FERRY_CMD_PROVIDER,
	.run = run,
};
