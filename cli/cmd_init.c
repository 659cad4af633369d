/*
 * cmd_init.c - `ferry init [--template NAME|DIR|GIT] [--set K=V]... [--force]
 * [DIR]`: create a project from a built-in template, a template directory
 * or a git source. The work is in core/template.c; this file picks the
 * source, reports and suggests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "ferry/git.h"
#include "ferry/fs.h"
#include "ferry/suggest.h"
#include "ferry/template.h"

static const struct ferry_opt opts[] = {
	{ "template", 't', "NAME|DIR|GIT-URL", "template: built-in name (default node-http), a directory, or URL[#REF][//SUBDIR]", FERRY_COMPLETE_TEMPLATE },
	{ "set", 0, "KEY=VALUE", "set a template variable (repeatable)", FERRY_COMPLETE_NONE },
	{ "force", 0, NULL, "add the files to a non-empty directory (never overwrites)", FERRY_COMPLETE_NONE },
	{ NULL, 0, NULL, NULL, FERRY_COMPLETE_NONE },
};

/* 1 if `spec` is meant as a directory: a path, not a bare name. */
static int looks_like_dir(const char *spec)
{
	return strchr(spec, '/') || !strcmp(spec, ".") || !strcmp(spec, "..") ||
		spec[0] == '~';
}

static int unknown_template(const char *spec, struct ferry_error *err)
{
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	const char **list = NULL, *hint;
	size_t i;
	int rc;

	rc = ferry_template_builtin_names(&names, err);
	if (rc)
		goto out;
	list = calloc(names.nr + 1, sizeof(*list));
	if (!list) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < names.nr; i++)
		list[i] = names.items[i];
	hint = ferry_suggest(spec, list);
	if (hint)
		rc = ferry_error_set(err, FERRY_ENOTFOUND, "unknown template '%s' "
				     "(did you mean '%s'?); see 'ferry templates'",
				     spec, hint);
	else
		rc = ferry_error_set(err, FERRY_ENOTFOUND, "unknown template '%s'; "
				     "see 'ferry templates' for the built-in ones, "
				     "or give a directory or a git URL", spec);
out:
	free(list);
	ferry_strvec_release(&names);
	return rc;
}

/* The first function of the new project, for the "next" hint; or NULL. */
static char *first_function(const char *dir)
{
	struct ferry_load_opts lo = { dir, NULL, NULL, NULL };
	struct ferry_config *cfg = NULL;
	struct ferry_error e;
	char *name = NULL;

	ferry_error_init(&e);
	if (!ferry_manifest_load(&cfg, &lo, &e) && cfg->functions_nr)
		name = ferry_strdup(cfg->functions[0].name);
	ferry_config_free(cfg);
	return name;
}

static int report(const struct ferry_ctx *ctx, const char *spec,
		  const char *shown, const char *dest,
		  const struct ferry_strvec *files)
{
	json_t *list;
	char *fn = NULL;
	size_t i;

	if (ctx->json) {
		list = json_array();
		for (i = 0; list && i < files->nr; i++)
			if (json_array_append_new(list, json_string(files->items[i])))
				break;
		return ferry_cli_json(json_pack("{s:s, s:s, s:s, s:o*}", "event",
			"init", "template", spec, "dir", dest, "files", list));
	}
	printf("created %s from template '%s' (%zu file%s)\n", shown, spec,
	       files->nr, files->nr == 1 ? "" : "s");
	if (!ctx->quiet) {
		fn = first_function(dest);
		fprintf(stderr, "next:\n");
		if (strcmp(shown, ".") && !strchr(shown, '\''))
			fprintf(stderr, strspn(shown, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") ==
				strlen(shown) ? "  cd %s\n" : "  cd '%s'\n", shown);
		else if (strcmp(shown, "."))
			fprintf(stderr, "  cd \"%s\"\n", shown);
		fprintf(stderr, "  ferry deploy\n");
		if (fn)
			fprintf(stderr, "  ferry invoke %s\n", fn);
		free(fn);
	}
	return 0;
}

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	struct ferry_strvec sets = FERRY_STRVEC_INIT, files = FERRY_STRVEC_INIT;
	const char *spec = ferry_arg(args, "template");
	const char *shown = args->pos_nr ? args->pos[0] : ".";
	char *dest = NULL, *root = NULL, *tmp = NULL, *safe = NULL;
	const char *v;
	int rc = 0, i, tmp_fd = -1;

	if (!spec)
		spec = FERRY_TEMPLATE_DEFAULT;
	if (!*spec) {
		rc = ferry_usage_error(err, args->cmd, "--template is empty");
		goto out;
	}
	for (i = 0; (v = ferry_arg_nth(args, "set", i)); i++)
		if (ferry_strvec_push(&sets, v)) {
			rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			goto out;
		}
	/* -C DIR: the project directory is relative to it */
	dest = ctx->dir && shown[0] != '/' ? ferry_path_join(ctx->dir, shown) :
		ferry_strdup(shown);
	if (!dest) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	if (ferry_template_builtin_exists(spec)) {
		rc = ferry_template_instantiate(NULL, spec, dest, &sets,
						ferry_flag(args, "force"), &files, err);
	} else if (ferry_template_is_git(spec)) {
		/* a URL may hold credentials: never show them */
		safe = ferry_git_url_redact(spec);
		if (!safe) {
			rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			goto out;
		}
		ferry_cli_note(ctx, "fetching template %s", safe);
		rc = ferry_template_fetch(&root, &tmp, &tmp_fd, spec, err);
		if (!rc)
			rc = ferry_template_instantiate(root, NULL, dest, &sets,
							ferry_flag(args, "force"),
							&files, err);
	} else if (looks_like_dir(spec)) {
		rc = ferry_template_instantiate(spec, NULL, dest, &sets,
						ferry_flag(args, "force"), &files, err);
	} else {
		rc = unknown_template(spec, err);
	}
	if (!rc)
		rc = report(ctx, safe ? safe : spec, shown, dest, &files);
out:
	free(safe);
	if (tmp)
		ferry_fs_remove_tree(tmp, NULL);
	if (tmp_fd >= 0)
		close(tmp_fd);
	free(tmp);
	free(root);
	free(dest);
	ferry_strvec_release(&sets);
	ferry_strvec_release(&files);
	return rc;
}

const struct ferry_cmd ferry_cmd_init = {
	.name = "init",
	.args = "[DIR]",
	.summary = "create a project from a template",
	.description =
	"Creates a project in DIR (default: the current directory) from a\n"
	"template: a built-in one (see 'ferry templates'; default node-http), a\n"
	"template directory, or a git source URL[#REF][//SUBDIR] (https://,\n"
	"http://, git://, ssh://, file://, user@host:path, gh:owner/repo).\n"
	"Variables: {{service}} (default: DIR's name, made a valid service\n"
	"name), {{stage}} (default dev), and any --set KEY=VALUE.\n"
	"DIR must be absent or empty unless --force; files that exist are never\n"
	"overwritten. The project is built next to DIR and moved into place, so\n"
	"a failed init leaves nothing behind. See docs/templates.md.",
	.opts = opts,
	.max_args = 1,
	.complete = FERRY_COMPLETE_DIR,
	.run = run,
};
