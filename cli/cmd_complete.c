/*
 * cmd_complete.c - the hidden `ferry __complete -- WORD... CURRENT`: the
 * candidates for the last word of a command line, one per line, for the
 * scripts of `ferry completion` (docs/completion.md). Also writes the
 * small release-number cache it reads for cloud providers.
 *
 * It must answer in a few milliseconds and never fail loudly: it opens no
 * provider, resolves no manifest variable (so loads neither libgit2, nor
 * libcurl, nor libarchive), prints nothing on stderr and always exits 0;
 * a missing or broken manifest just gives fewer candidates.
 *
 * Protocol: each line is "VALUE" or "VALUE<TAB>DESCRIPTION", already
 * filtered by the current word's prefix. A first line ":file" or ":dir"
 * asks the shell to complete file or directory names itself.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ferry/fs.h"
#include "ferry/manifest.h"
#include "ferry/provider.h"
#include "ferry/template.h"

#define MAX_RELEASES 4096

/* What the words before the current one say. */
struct line {
	const struct ferry_cmd *cmd;
	const char *dir;	/* -C */
	const char *file;	/* -f */
	const char *stage;	/* -s */
	const char *provider;	/* -p */
	const char **pos;	/* borrowed words; positionals given */
	int pos_nr;
};

static int has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static void candidate(const char *value, const char *desc, const char *prefix)
{
	if (!has_prefix(value, prefix))
		return;
	if (desc && *desc)
		printf("%s\t%s\n", value, desc);
	else
		printf("%s\n", value);
}

static const struct ferry_opt *find_opt(const struct ferry_opt *table,
					const char *lname, size_t llen,
					char sname)
{
	const struct ferry_opt *o;

	for (o = table; o && o->name; o++)
		if (lname ? strlen(o->name) == llen &&
			    !strncmp(o->name, lname, llen) :
			    o->short_name == sname)
			return o;
	return NULL;
}

/* The option `word` names ("--name", "--name=v", "-x", "-xV"), or NULL. */
static const struct ferry_opt *word_opt(const struct ferry_cmd *cmd,
					const char *word, const char **value)
{
	const struct ferry_opt *o;
	const char *eq;
	size_t n;

	*value = NULL;
	if (word[1] == '-') {
		eq = strchr(word + 2, '=');
		n = eq ? (size_t)(eq - word - 2) : strlen(word + 2);
		if (eq)
			*value = eq + 1;
		o = cmd ? find_opt(cmd->opts, word + 2, n, 0) : NULL;
		return o ? o : find_opt(ferry_global_opts, word + 2, n, 0);
	}
	if (word[2])
		*value = word + 2;
	o = cmd ? find_opt(cmd->opts, NULL, 0, word[1]) : NULL;
	return o ? o : find_opt(ferry_global_opts, NULL, 0, word[1]);
}

static void set_value(struct line *l, const struct ferry_opt *o,
		      const char *value)
{
	if (o->complete == FERRY_COMPLETE_DIR && !strcmp(o->name, "directory"))
		l->dir = value;
	else if (!strcmp(o->name, "file") && o->short_name == 'f')
		l->file = value;
	else if (o->complete == FERRY_COMPLETE_STAGE)
		l->stage = value;
	else if (o->complete == FERRY_COMPLETE_PROVIDER)
		l->provider = value;
}

static int num_cmp(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? 1 : x > y ? -1 : 0;	/* newest first */
}

/* Release numbers named by "<N>.json" entries of directory `path`. */
static size_t ledger_numbers(unsigned *out, size_t max, const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0;
	unsigned v;
	char name[32], *dot;

	while (d && n < max && (e = readdir(d))) {
		if (strlen(e->d_name) >= sizeof(name))
			continue;
		memcpy(name, e->d_name, strlen(e->d_name) + 1);
		dot = strchr(name, '.');
		if (!dot || strcmp(dot, ".json"))
			continue;
		*dot = '\0';
		if (!ferry_cli_parse_uint(name, &v) && v)
			out[n++] = v;
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * The only service under the local store `root` that has stage `stage`,
 * for a manifest whose service name holds a variable; NULL when none or
 * several.
 */
static char *only_service(const char *root, const char *stage)
{
	DIR *d = opendir(root);
	struct dirent *e;
	char *found = NULL, *p;
	int nr = 0;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		p = ferry_xstrfmt("%s/%s/%s/releases", root, e->d_name, stage);
		if (p && ferry_fs_is_dir(p) && !nr++)
			found = ferry_strdup(e->d_name);
		free(p);
	}
	if (d)
		closedir(d);
	if (nr != 1) {
		free(found);
		found = NULL;
	}
	return found;
}

static char *cache_path(const char *dir, const char *provider,
			const char *stage)
{
	return ferry_xstrfmt("%s/.ferry/cache/%s-%s-releases", dir, provider,
			     stage);
}

/* Numbers listed one per line in the cache file `path`. */
static size_t cache_numbers(unsigned *out, size_t max, const char *path)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	struct ferry_error err;
	char *s, *nl;
	size_t n = 0;
	unsigned v;

	ferry_error_init(&err);
	if (ferry_fs_read(&b, path, 1u << 20, &err) || !b.buf)
		goto out;
	for (s = b.buf; *s && n < max; s = nl + 1) {
		nl = strchr(s, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (!ferry_cli_parse_uint(s, &v) && v)
			out[n++] = v;
	}
out:
	ferry_buf_release(&b);
	return n;
}

static void complete_releases(const struct line *l,
			      const struct ferry_manifest_peek *pk,
			      const char *prefix)
{
	const char *provider = l->provider, *stage = l->stage, *env;
	const char *root_set = pk ? pk->local_root : NULL;
	char *dir = NULL, *root = NULL, *service = NULL, *path = NULL;
	unsigned *nums = NULL;
	size_t n = 0, i;
	char num[16];

	if (!provider)
		provider = (env = getenv("FERRY_PROVIDER")) && *env ? env :
			   pk && pk->provider ? pk->provider : "local";
	if (!stage)
		stage = (env = getenv("FERRY_STAGE")) && *env ? env : "dev";
	dir = ferry_path_absolute(l->dir ? l->dir : ".");
	nums = calloc(MAX_RELEASES, sizeof(*nums));
	if (!dir || !nums || strchr(stage, '/') || strchr(provider, '/'))
		goto out;
	if (!strcmp(provider, "local")) {
		if (!root_set || !*root_set)
			root_set = ".ferry/local";
		root = root_set[0] == '/' ? ferry_strdup(root_set) :
		       ferry_path_join(dir, root_set);
		if (!root)
			goto out;
		service = pk && pk->service ? ferry_strdup(pk->service) :
			  only_service(root, stage);
		if (!service || strchr(service, '/'))
			goto out;
		path = ferry_xstrfmt("%s/%s/%s/releases", root, service, stage);
		if (path)
			n = ledger_numbers(nums, MAX_RELEASES, path);
	} else {
		path = cache_path(dir, provider, stage);
		if (path)
			n = cache_numbers(nums, MAX_RELEASES, path);
	}
	qsort(nums, n, sizeof(*nums), num_cmp);
	for (i = 0; i < n; i++) {
		if (i && nums[i] == nums[i - 1])
			continue;
		snprintf(num, sizeof(num), "%u", nums[i]);
		candidate(num, NULL, prefix);
	}
out:
	free(nums);
	free(path);
	free(service);
	free(root);
	free(dir);
}

static void complete_commands(const char *prefix)
{
	const struct ferry_cmd *const *c;

	for (c = ferry_commands; *c; c++)
		if (!((*c)->flags & FERRY_CMD_HIDDEN))
			candidate((*c)->name, (*c)->summary, prefix);
}

static void complete_templates(const char *prefix)
{
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	struct ferry_error err;
	size_t i;

	ferry_error_init(&err);
	if (!ferry_template_builtin_names(&names, &err))
		for (i = 0; i < names.nr; i++)
			candidate(names.items[i], NULL, prefix);
	ferry_strvec_release(&names);
}

static int given(const struct line *l, const char *name)
{
	int i;

	for (i = 0; i < l->pos_nr; i++)
		if (!strcmp(l->pos[i], name))
			return 1;
	return 0;
}

/* Candidates for a value of kind `what` starting with `prefix`. */
static void complete_value(const struct line *l, enum ferry_complete what,
			   const char *prefix)
{
	struct ferry_load_opts lo = { l->dir, l->file, l->stage, NULL };
	struct ferry_manifest_peek pk;
	struct ferry_error err;
	const char *const *names;
	int have = 0;
	size_t i;

	ferry_error_init(&err);
	switch (what) {
	case FERRY_COMPLETE_NONE:
		return;
	case FERRY_COMPLETE_FILE:
		puts(":file");
		return;
	case FERRY_COMPLETE_DIR:
		puts(":dir");
		return;
	case FERRY_COMPLETE_COMMAND:
		complete_commands(prefix);
		return;
	case FERRY_COMPLETE_PROVIDER:
		for (names = ferry_provider_names(); *names; names++)
			candidate(*names, NULL, prefix);
		return;
	case FERRY_COMPLETE_SHELL:
		candidate("bash", NULL, prefix);
		candidate("zsh", NULL, prefix);
		candidate("fish", NULL, prefix);
		return;
	case FERRY_COMPLETE_TEMPLATE:
		complete_templates(prefix);
		return;
	case FERRY_COMPLETE_FUNCTION:
	case FERRY_COMPLETE_STAGE:
	case FERRY_COMPLETE_RELEASE:
		break;
	}
	have = !ferry_manifest_peek(&pk, &lo, &err);
	if (what == FERRY_COMPLETE_RELEASE) {
		complete_releases(l, have ? &pk : NULL, prefix);
	} else if (have) {
		const struct ferry_strvec *v = what == FERRY_COMPLETE_STAGE ?
					       &pk.stages : &pk.functions;

		for (i = 0; i < v->nr; i++)
			if (what != FERRY_COMPLETE_FUNCTION ||
			    !given(l, v->items[i]))
				candidate(v->items[i], NULL, prefix);
	}
	if (have)
		ferry_manifest_peek_release(&pk);
}

static void complete_options(const struct line *l, const char *cur)
{
	const struct ferry_opt *tables[2], *o;
	char name[80];
	int t;

	tables[0] = l->cmd ? l->cmd->opts : NULL;
	tables[1] = ferry_global_opts;
	for (t = 0; t < 2; t++)
		for (o = tables[t]; o && o->name; o++) {
			snprintf(name, sizeof(name), "--%s", o->name);
			candidate(name, o->help, cur);
			if (o->short_name && cur[1] != '-') {
				snprintf(name, sizeof(name), "-%c", o->short_name);
				candidate(name, o->help, cur);
			}
		}
}

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	const struct ferry_opt *pending = NULL, *o;
	struct line l;
	const char *cur, *a, *value, *home = getenv("HOME");
	char *tilde = NULL;
	int i, n = args->pos_nr, dashdash = 0;

	memset(&l, 0, sizeof(l));
	l.pos = calloc((size_t)n + 1, sizeof(*l.pos));
	if (!n || !l.pos)
		goto out;
	for (i = 0; i < n - 1; i++) {
		a = args->pos[i];
		if (pending) {
			if (!strcmp(a, "="))
				continue;	/* bash splits "--stage=dev" */
			set_value(&l, pending, a);
			pending = NULL;
			continue;
		}
		if (!dashdash && a[0] == '-' && a[1]) {
			if (!strcmp(a, "--")) {
				dashdash = 1;
				continue;
			}
			o = word_opt(l.cmd, a, &value);
			if (o && o->arg && !value)
				pending = o;
			else if (o && o->arg)
				set_value(&l, o, value);
			continue;
		}
		if (!l.cmd) {
			l.cmd = ferry_cmd_find(a);
			if (!l.cmd)
				goto out;	/* an unknown command: nothing */
			continue;
		}
		l.pos[l.pos_nr++] = a;
	}
	/* the shell hands over words unexpanded: "-C ~/app" */
	if (l.dir && l.dir[0] == '~' && (l.dir[1] == '/' || !l.dir[1]) &&
	    home && (tilde = ferry_xstrfmt("%s%s", home, l.dir + 1)))
		l.dir = tilde;
	cur = args->pos[n - 1];
	if (pending) {
		complete_value(&l, pending->complete, cur);
	} else if (!dashdash && cur[0] == '-') {
		o = cur[1] == '-' && strchr(cur, '=') ? word_opt(l.cmd, cur, &value) : NULL;
		if (o && o->arg)
			complete_value(&l, o->complete, value);
		else if (!strchr(cur, '='))
			complete_options(&l, cur);
	} else if (!l.cmd) {
		complete_commands(cur);
	} else if (l.cmd->max_args < 0 || l.pos_nr < l.cmd->max_args) {
		complete_value(&l, l.cmd->complete, cur);
	}
out:
	free(tilde);
	free(l.pos);
	return 0;
}

const struct ferry_cmd ferry_cmd_complete = {
	.name = "__complete",
	.args = "-- WORD... CURRENT",
	.summary = "print completion candidates for a command line",
	.max_args = -1,
	.flags = FERRY_CMD_HIDDEN,
	.run = run,
};

void ferry_cli_cache_releases(const struct ferry_ctx *ctx,
			      const unsigned *nums, size_t nr, int replace)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	struct ferry_error err;
	unsigned *all = NULL;
	char *path = NULL;
	size_t n = 0, i;

	ferry_error_init(&err);
	if (!ctx->cfg || !ctx->cfg->provider || !ctx->cfg->stage ||
	    !strcmp(ctx->cfg->provider, "local"))
		goto out;	/* the local ledger is read directly */
	path = cache_path(ctx->cfg->dir, ctx->cfg->provider, ctx->cfg->stage);
	all = calloc(MAX_RELEASES + nr, sizeof(*all));
	if (!path || !all)
		goto out;
	if (!replace)
		n = cache_numbers(all, MAX_RELEASES, path);
	for (i = 0; i < nr; i++)
		all[n++] = nums[i];
	qsort(all, n, sizeof(*all), num_cmp);
	for (i = 0; i < n && i < MAX_RELEASES; i++)
		if (!i || all[i] != all[i - 1])
			ferry_buf_addf(&b, "%u\n", all[i]);
	if (ferry_fs_mkdirs_parent(path, &err))
		goto out;
	ferry_fs_write_atomic(path, b.buf ? b.buf : "", b.len, 0644, 0, &err);
out:
	ferry_buf_release(&b);
	free(all);
	free(path);
}
