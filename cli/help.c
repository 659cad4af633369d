/*
 * help.c - `ferry help`, `ferry CMD --help` and usage errors, all generated
 * from the command table so they cannot drift apart.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void print_opts(FILE *fp, const struct ferry_opt *o)
{
	char left[64];

	for (; o && o->name; o++) {
		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name,
				 o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(fp, "  %-26s %s\n", left, o->help);
	}
}

void ferry_help_main(FILE *fp)
{
	const struct ferry_cmd *const *c;

	fputs("usage: ferry [options] COMMAND [ARGS]\n\n"
	      "Deploy serverless functions anywhere from one ferry.yaml.\n\n"
	      "commands:\n", fp);
	for (c = ferry_commands; *c; c++)
		if (!((*c)->flags & FERRY_CMD_HIDDEN))
			fprintf(fp, "  %-10s %s\n", (*c)->name, (*c)->summary);
	fputs("\noptions (before or after the command):\n", fp);
	print_opts(fp, ferry_global_opts);
	fputs("\nSee 'ferry help COMMAND' for one command; exit codes: 0 ok, 1 failed,\n"
	      "2 usage, 3 invalid manifest, 4 credentials, 5 not found, 6 locked,\n"
	      "130 interrupted.\n", fp);
}

void ferry_help_cmd(FILE *fp, const struct ferry_cmd *cmd)
{
	fprintf(fp, "usage: ferry %s%s%s%s\n\n%s\n", cmd->name,
		cmd->opts && cmd->opts->name ? " [options]" : "",
		cmd->args ? " " : "", cmd->args ? cmd->args : "", cmd->summary);
	if (cmd->description)
		fprintf(fp, "\n%s\n", cmd->description);
	if (cmd->opts && cmd->opts->name) {
		fputs("\noptions:\n", fp);
		print_opts(fp, cmd->opts);
	}
	fputs("\nglobal options:\n", fp);
	print_opts(fp, ferry_global_opts);
}

int ferry_usage_error(struct ferry_error *err, const struct ferry_cmd *cmd,
		      const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cmd)
		return ferry_error_set(err, FERRY_EUSAGE, "%s; see 'ferry %s --help'",
				       msg, cmd->name);
	return ferry_error_set(err, FERRY_EUSAGE, "%s; see 'ferry help'", msg);
}
