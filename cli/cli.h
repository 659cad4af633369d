/*
 * cli.h - the command-line layer: the command table, parsed arguments, the
 * context shared by commands, and output helpers. Only cli/ prints and
 * only cli/main.c decides the process exit code.
 */
#ifndef FERRY_CLI_H
#define FERRY_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "ferry/buf.h"
#include "ferry/bundle.h"
#include "ferry/error.h"
#include "ferry/manifest.h"
#include "ferry/progress.h"
#include "ferry/provider.h"

#define FERRY_MAX_OPTS 16

/* What a positional argument or option value names, for completion. */
enum ferry_complete {
	FERRY_COMPLETE_NONE,
	FERRY_COMPLETE_FUNCTION,
	FERRY_COMPLETE_RELEASE,
	FERRY_COMPLETE_FILE,
	FERRY_COMPLETE_DIR,
	FERRY_COMPLETE_STAGE,
	FERRY_COMPLETE_PROVIDER,
	FERRY_COMPLETE_COMMAND,
	FERRY_COMPLETE_TEMPLATE,	/* a built-in template name */
	FERRY_COMPLETE_SHELL,		/* bash, zsh or fish */
};

struct ferry_opt {
	const char *name;	/* long name without "--" */
	char short_name;	/* 0 when none */
	const char *arg;	/* metavariable ("DIR"), NULL for a flag */
	const char *help;	/* one line */
	enum ferry_complete complete;
};

enum ferry_cmd_flags {
	FERRY_CMD_CONFIG = 1u << 0,	/* needs the manifest loaded */
	FERRY_CMD_PROVIDER = 1u << 1,	/* needs the provider opened */
	FERRY_CMD_HIDDEN = 1u << 2,	/* not listed in help */
};

struct ferry_args;
struct ferry_ctx;

struct ferry_cmd {
	const char *name;
	const char *args;		/* positional synopsis: "[FN...]" */
	const char *summary;		/* one line for `ferry help` */
	const char *description;	/* paragraph(s) for `ferry CMD --help` */
	const struct ferry_opt *opts;	/* terminated by a zeroed entry; may be NULL */
	int min_args;
	int max_args;			/* -1: unlimited */
	enum ferry_complete complete;	/* what positionals name */
	unsigned flags;			/* FERRY_CMD_* */
	int (*run)(struct ferry_ctx *ctx, const struct ferry_args *args,
		   struct ferry_error *err);
};

/* NULL-terminated command table, in help order (cli/commands.c). */
extern const struct ferry_cmd *const ferry_commands[];
const struct ferry_cmd *ferry_cmd_find(const char *name);

/* Global options (apply to every command), terminated by a zeroed entry. */
extern const struct ferry_opt ferry_global_opts[];

struct ferry_args {
	const struct ferry_cmd *cmd;
	const char *values[FERRY_MAX_OPTS];	/* borrowed from argv; flags: "1" */
	const char **pos;			/* borrowed from argv */
	int pos_nr;
	/* every command option given, in order, for repeatable ones (--set) */
	struct ferry_arg_seen { int opt; const char *value; } *seen;
	int seen_nr;
};

/* Value of option `name` of args->cmd, or NULL when not given. */
const char *ferry_arg(const struct ferry_args *args, const char *name);
/* 1 if the flag `name` was given. */
int ferry_flag(const struct ferry_args *args, const char *name);
/* The n-th value (from 0) of a repeatable option `name`, or NULL. */
const char *ferry_arg_nth(const struct ferry_args *args, const char *name,
			  int n);

struct ferry_ctx {
	const char *dir;	/* -C */
	const char *file;	/* -f */
	const char *stage;	/* -s */
	const char *provider;	/* -p */
	const char *profile;	/* --profile */
	int json;		/* --json */
	int quiet;		/* -q */
	int verbose;		/* -v */
	int color;		/* stderr is a terminal, no NO_COLOR / --no-color */
	int tty;		/* stderr is a terminal */
	struct ferry_config *cfg;	/* owned; loaded for FERRY_CMD_CONFIG */
	struct ferry_provider prov;	/* opened for FERRY_CMD_PROVIDER */
};

/* Output helpers (cli/output.c). */

/* "1.2 MB", "512 B": base 1024, one decimal above 1 KB. */
void ferry_fmt_size(char *out, size_t len, uint64_t bytes);
/* "85 ms", "1.3 s", "2 min 5 s". */
void ferry_fmt_duration(char *out, size_t len, double seconds);
/* Monotonic clock in seconds. */
double ferry_now(void);

/* Print a diagnostic line on stderr ("ferry: " prefix, colour if enabled). */
void ferry_cli_error(const struct ferry_ctx *ctx, const char *msg);
void ferry_cli_warn(const struct ferry_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A progress line on stderr, hidden with -q. */
void ferry_cli_note(const struct ferry_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Print one JSON object (a jansson json_t *, stolen) as one line on stdout.
 * Returns 0 or FERRY_ENOMEM.
 */
/*
 * progress.c: the sink of ferry/progress.h (data: the struct ferry_ctx),
 * and the pair every stderr line is written between so that it does not
 * tear a progress bar drawn by another thread.
 */
void ferry_cli_progress(const struct ferry_progress *p, void *data);
void ferry_cli_line_begin(void);
void ferry_cli_line_end(void);

int ferry_cli_json(void *json_obj);

/* A simple aligned table for stdout. */
struct ferry_table {
	struct ferry_strvec cells;	/* row-major */
	size_t cols;
};
void ferry_table_init(struct ferry_table *t, size_t cols);
int ferry_table_row(struct ferry_table *t, ...);	/* cols strings */
void ferry_table_print(const struct ferry_table *t, FILE *fp);
void ferry_table_release(struct ferry_table *t);

/* Parse a decimal number (digits only, fits 32 bits): 0 or -1. */
int ferry_cli_parse_uint(const char *s, unsigned *out);

/* Help text (cli/help.c). */
void ferry_help_main(FILE *fp);
void ferry_help_cmd(FILE *fp, const struct ferry_cmd *cmd);
/* Usage error: message + "try 'ferry CMD --help'", returns FERRY_EUSAGE. */
int ferry_usage_error(struct ferry_error *err, const struct ferry_cmd *cmd,
		      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Build the bundles of the functions named in args (all when none) and
 * report them like `package` does. Shared by package and deploy.
 * `out` gets one ferry_bundle per function (caller releases each + free).
 */
int ferry_cli_build(struct ferry_ctx *ctx, const char *const *names, int nr,
		    const char *out_dir, int report, struct ferry_bundle **out,
		    size_t *out_nr, struct ferry_error *err);

/*
 * Remember the stage's release numbers for shell completion, in
 * <project>/.ferry/cache/<provider>-<stage>-releases (cli/complete.c,
 * docs/completion.md). Best effort: prints nothing, never fails. With
 * `replace` 0 the numbers are added to those the file already lists.
 */
void ferry_cli_cache_releases(const struct ferry_ctx *ctx,
			      const unsigned *nums, size_t nr, int replace);

/* Each command file exports one of these (cli/commands.c lists them). */
extern const struct ferry_cmd ferry_cmd_init;
extern const struct ferry_cmd ferry_cmd_templates;
extern const struct ferry_cmd ferry_cmd_validate;
extern const struct ferry_cmd ferry_cmd_package;
extern const struct ferry_cmd ferry_cmd_deploy;
extern const struct ferry_cmd ferry_cmd_releases;
extern const struct ferry_cmd ferry_cmd_rollback;
extern const struct ferry_cmd ferry_cmd_invoke;
extern const struct ferry_cmd ferry_cmd_serve;
extern const struct ferry_cmd ferry_cmd_info;
extern const struct ferry_cmd ferry_cmd_prune;
extern const struct ferry_cmd ferry_cmd_remove;
extern const struct ferry_cmd ferry_cmd_version;
extern const struct ferry_cmd ferry_cmd_help;
extern const struct ferry_cmd ferry_cmd_man;		/* hidden: __man */
extern const struct ferry_cmd ferry_cmd_completion;
extern const struct ferry_cmd ferry_cmd_complete;	/* hidden: __complete */

#endif
