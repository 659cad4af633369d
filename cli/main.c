/*
 * main.c - ferry's entry point: parses global options, finds the command in
 * the table, parses its options, prepares what it needs (manifest, provider)
 * and maps the result to the documented exit code. Commands themselves live
 * in cmd_<name>.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "ferry/cancel.h"
#include "ferry/log.h"
#include "ferry/suggest.h"

const struct ferry_opt ferry_global_opts[] = {
	{ "directory", 'C', "DIR", "run as if started in DIR", FERRY_COMPLETE_DIR },
	{ "file", 'f', "FILE", "manifest file (default: ferry.yaml)", FERRY_COMPLETE_FILE },
	{ "stage", 's', "STAGE", "stage (default: $FERRY_STAGE or dev)", FERRY_COMPLETE_STAGE },
	{ "provider", 'p', "PROVIDER", "provider (default: $FERRY_PROVIDER, the manifest, or local)", FERRY_COMPLETE_PROVIDER },
	{ "profile", 0, "NAME", "credentials profile of the provider (aws: in ~/.aws/credentials and ~/.aws/config)", FERRY_COMPLETE_NONE },
	{ "json", 0, NULL, "print one JSON object per line on stdout", FERRY_COMPLETE_NONE },
	{ "quiet", 'q', NULL, "print only results and errors", FERRY_COMPLETE_NONE },
	{ "verbose", 'v', NULL, "print debugging detail on stderr", FERRY_COMPLETE_NONE },
	{ "no-color", 0, NULL, "never colour the output (also: NO_COLOR)", FERRY_COMPLETE_NONE },
	{ "help", 'h', NULL, "show help", FERRY_COMPLETE_NONE },
	{ NULL, 0, NULL, NULL, FERRY_COMPLETE_NONE },
};

const char *ferry_arg(const struct ferry_args *args, const char *name)
{
	const struct ferry_opt *o;
	int i;

	for (i = 0, o = args->cmd->opts; o && o->name; o++, i++)
		if (!strcmp(o->name, name))
			return args->values[i];
	return NULL;
}

int ferry_flag(const struct ferry_args *args, const char *name)
{
	return ferry_arg(args, name) != NULL;
}

const char *ferry_arg_nth(const struct ferry_args *args, const char *name,
			  int n)
{
	const struct ferry_opt *o;
	int i;

	for (i = 0; i < args->seen_nr; i++) {
		o = &args->cmd->opts[args->seen[i].opt];
		if (!strcmp(o->name, name) && n-- == 0)
			return args->seen[i].value;
	}
	return NULL;
}

/* Candidate names for "did you mean" on an unknown option. */
static void option_names(const struct ferry_cmd *cmd, const char **names,
			 size_t max)
{
	const struct ferry_opt *o;
	size_t n = 0;

	for (o = ferry_global_opts; o->name && n + 1 < max; o++)
		names[n++] = o->name;
	for (o = cmd ? cmd->opts : NULL; o && o->name && n + 1 < max; o++)
		names[n++] = o->name;
	names[n] = NULL;
}

static const struct ferry_opt *find_opt(const struct ferry_opt *table,
					const char *lname, char sname, int *index)
{
	const struct ferry_opt *o;
	int i;

	for (i = 0, o = table; o && o->name; o++, i++)
		if (lname ? !strcmp(o->name, lname) : o->short_name == sname) {
			*index = i;
			return o;
		}
	return NULL;
}

static void set_global(struct ferry_ctx *ctx, const struct ferry_opt *o,
		       const char *value, int *help)
{
	if (!strcmp(o->name, "directory"))
		ctx->dir = value;
	else if (!strcmp(o->name, "file"))
		ctx->file = value;
	else if (!strcmp(o->name, "stage"))
		ctx->stage = value;
	else if (!strcmp(o->name, "provider"))
		ctx->provider = value;
	else if (!strcmp(o->name, "profile"))
		ctx->profile = value;
	else if (!strcmp(o->name, "json"))
		ctx->json = 1;
	else if (!strcmp(o->name, "quiet"))
		ctx->quiet = 1;
	else if (!strcmp(o->name, "verbose"))
		ctx->verbose = 1;
	else if (!strcmp(o->name, "no-color"))
		ctx->color = 0;
	else if (!strcmp(o->name, "help"))
		*help = 1;
}

/*
 * Parse argv[*i] (an option) against the global options and, when `args`
 * is given, the command's. Advances *i past a separate value.
 */
static int parse_option(struct ferry_ctx *ctx, struct ferry_args *args,
			int argc, char **argv, int *i, int *help,
			struct ferry_error *err)
{
	const struct ferry_cmd *cmd = args ? args->cmd : NULL;
	const char *arg = argv[*i], *value = NULL, *names[64];
	const struct ferry_opt *o;
	char lname[64], shown[80];
	int idx = 0, global = 0;
	const char *eq;

	if (arg[1] == '-') {
		eq = strchr(arg + 2, '=');
		size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		if (n >= sizeof(lname))
			n = sizeof(lname) - 1;
		memcpy(lname, arg + 2, n);
		lname[n] = '\0';
		if (eq)
			value = eq + 1;
		snprintf(shown, sizeof(shown), "--%s", lname);
		o = cmd ? find_opt(cmd->opts, lname, 0, &idx) : NULL;
		if (!o && (o = find_opt(ferry_global_opts, lname, 0, &idx)))
			global = 1;
	} else {
		snprintf(shown, sizeof(shown), "-%c", arg[1]);
		if (arg[2])
			value = arg + 2;
		o = cmd ? find_opt(cmd->opts, NULL, arg[1], &idx) : NULL;
		if (!o && (o = find_opt(ferry_global_opts, NULL, arg[1], &idx)))
			global = 1;
	}
	if (!o) {
		const char *hint;

		option_names(cmd, names, 64);
		hint = arg[1] == '-' ? ferry_suggest(lname, names) : NULL;
		if (hint)
			return ferry_usage_error(err, cmd, "unknown option '%s' (did you mean '--%s'?)",
						 shown, hint);
		return ferry_usage_error(err, cmd, "unknown option '%s'", shown);
	}
	if (o->arg && !value) {
		if (*i + 1 >= argc)
			return ferry_usage_error(err, cmd, "option '%s' needs a value (%s)",
						 shown, o->arg);
		value = argv[++*i];
	} else if (!o->arg && value) {
		return ferry_usage_error(err, cmd, "option '%s' takes no value", shown);
	}
	if (!o->arg)
		value = "1";
	if (global)
		set_global(ctx, o, value, help);
	else
		args->values[idx] = value;
	if (!global && args->seen) {
		args->seen[args->seen_nr].opt = idx;
		args->seen[args->seen_nr++].value = value;
	}
	return 0;
}

static void log_sink(enum ferry_log_level level, const char *msg, void *data)
{
	const struct ferry_ctx *ctx = data;

	if ((level == FERRY_LOG_DEBUG && !ctx->verbose) ||
	    (level == FERRY_LOG_INFO && ctx->quiet))
		return;
	/* a progress bar may be on the line: clear it, redraw it after */
	ferry_cli_line_begin();
	if (level == FERRY_LOG_WARN)
		ferry_cli_warn(ctx, "%s", msg);
	else
		fprintf(stderr, "%s\n", msg);
	ferry_cli_line_end();
}

/*
 * The first Ctrl-C asks the running operation to stop at a safe point (it
 * then releases the stage lock and kills a running handler); a second one
 * kills ferry at once.
 */
static void on_signal(int sig)
{
	(void)sig;
	ferry_cancel_request();
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;	/* no SA_RESTART: waits see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* --profile NAME is providers.<provider>.profile, over the manifest's. */
static int set_profile(struct ferry_ctx *ctx, struct ferry_error *err)
{
	json_t *doc = ctx->cfg->doc, *provs, *mine;

	if (!ctx->profile)
		return 0;
	provs = json_object_get(doc, "providers");
	if (!json_is_object(provs)) {
		provs = json_object();
		if (json_object_set_new(doc, "providers", provs))
			goto oom;
	}
	mine = json_object_get(provs, ctx->cfg->provider);
	if (!json_is_object(mine)) {
		mine = json_object();
		if (json_object_set_new(provs, ctx->cfg->provider, mine))
			goto oom;
	}
	if (json_object_set_new(mine, "profile", json_string(ctx->profile)))
		goto oom;
	return 0;
oom:
	return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
}

static int prepare(struct ferry_ctx *ctx, const struct ferry_cmd *cmd,
		   struct ferry_error *err)
{
	struct ferry_load_opts lo = { ctx->dir, ctx->file, ctx->stage, ctx->provider };
	int rc;

	if (!(cmd->flags & (FERRY_CMD_CONFIG | FERRY_CMD_PROVIDER)))
		return 0;
	rc = ferry_manifest_load(&ctx->cfg, &lo, err);
	if (rc)
		return rc;
	rc = set_profile(ctx, err);
	if (rc)
		return rc;
	if (cmd->flags & FERRY_CMD_PROVIDER)
		rc = ferry_provider_open(&ctx->prov, ctx->cfg, err);
	return rc;
}

static int finish(struct ferry_ctx *ctx, int rc, struct ferry_error *err)
{
	if (rc && ferry_cancelled()) {
		rc = FERRY_EINTR;
		if (err->code != FERRY_EINTR) {
			ferry_error_clear(err);
			ferry_error_set(err, FERRY_EINTR, "interrupted");
		}
	}
	if (rc) {
		if (!err->code)
			ferry_error_set(err, rc, "%s", rc == FERRY_ENOMEM ?
					"out of memory" : "failed");
		ferry_cli_error(ctx, err->msg);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (!rc)
			fprintf(stderr, "ferry: cannot write to standard output: %s\n",
				strerror(errno));
		return rc ? ferry_error_exit_code(rc) : 1;
	}
	return ferry_error_exit_code(rc);
}

int main(int argc, char **argv)
{
	struct ferry_ctx ctx = { 0 };
	struct ferry_args args = { 0 };
	struct ferry_error err;
	const struct ferry_cmd *cmd = NULL;
	const char **pos = NULL;
	int i, rc = 0, help = 0, dashdash = 0;
	const char *nc = getenv("NO_COLOR");

	ferry_error_init(&err);
	ctx.tty = isatty(STDERR_FILENO);
	ctx.color = ctx.tty && !(nc && *nc);
	install_signals();

	pos = calloc((size_t)argc + 1, sizeof(*pos));
	args.seen = calloc((size_t)argc + 1, sizeof(*args.seen));
	if (!pos || !args.seen) {
		fprintf(stderr, "ferry: out of memory\n");
		free(pos);
		free(args.seen);
		return 1;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!dashdash && a[0] == '-' && a[1]) {
			if (!strcmp(a, "--")) {
				dashdash = 1;
				continue;
			}
			if (!cmd && !strcmp(a, "--version")) {
				cmd = &ferry_cmd_version;
				args.cmd = cmd;
				continue;
			}
			rc = parse_option(&ctx, cmd ? &args : NULL, argc, argv,
					  &i, &help, &err);
			if (rc)
				goto out;
			continue;
		}
		if (!cmd) {
			cmd = ferry_cmd_find(a);
			if (!cmd) {
				const char *names[64], *hint;
				size_t n = 0;

				for (; ferry_commands[n] && n < 63; n++)
					names[n] = ferry_commands[n]->name;
				names[n] = NULL;
				hint = ferry_suggest(a, names);
				rc = hint ? ferry_usage_error(&err, NULL,
					"unknown command '%s' (did you mean '%s'?)", a, hint) :
					ferry_usage_error(&err, NULL, "unknown command '%s'", a);
				goto out;
			}
			args.cmd = cmd;
			continue;
		}
		pos[args.pos_nr++] = a;
	}
	args.pos = pos;
	if (ctx.json)
		ctx.color = 0;
	ferry_log_set(log_sink, &ctx);
	ferry_progress_set(ferry_cli_progress, &ctx);
	if (!cmd) {
		ferry_help_main(stdout);
		rc = help ? 0 : ferry_error_set(&err, FERRY_EUSAGE,
						"no command given; see 'ferry help'");
		goto out;
	}
	if (help) {
		ferry_help_cmd(stdout, cmd);
		goto out;
	}
	if (args.pos_nr < cmd->min_args) {
		rc = ferry_usage_error(&err, cmd, "'%s' needs %s", cmd->name,
				       cmd->args ? cmd->args : "arguments");
		goto out;
	}
	if (cmd->max_args >= 0 && args.pos_nr > cmd->max_args) {
		rc = ferry_usage_error(&err, cmd, "unexpected argument '%s'",
				       args.pos[cmd->max_args]);
		goto out;
	}
	rc = prepare(&ctx, cmd, &err);
	if (!rc)
		rc = cmd->run(&ctx, &args, &err);
out:
	i = finish(&ctx, rc, &err);
	if (ctx.prov.ops)
		ferry_provider_close(&ctx.prov);
	ferry_config_free(ctx.cfg);
	free(pos);
	free(args.seen);
	return i;
}
