/*
 * cmd_man.c - the hidden `ferry __man`: the manual page ferry(1) in roff,
 * generated from the command table like `ferry help`, so the page lists
 * exactly the commands and options the parser accepts. The build writes it
 * to ferry.1 and `cmake --install` puts it in man1 (CMakeLists.txt).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Text as roff: backslashes escaped, '-' as \-, no control line starts. */
static void roff(FILE *fp, const char *s)
{
	int bol = 1;

	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", fp);
		bol = *s == '\n';
		if (*s == '\\')
			fputs("\\e", fp);
		else if (*s == '-')
			fputs("\\-", fp);
		else
			fputc(*s, fp);
	}
}

static void opts(FILE *fp, const struct ferry_opt *o)
{
	for (; o && o->name; o++) {
		fputs(".TP\n", fp);
		if (o->short_name)
			fprintf(fp, "\\fB\\-%c\\fR, ", o->short_name);
		fputs("\\fB\\-\\-", fp);
		roff(fp, o->name);
		fputs("\\fR", fp);
		if (o->arg) {
			fputs(" \\fI", fp);
			roff(fp, o->arg);
			fputs("\\fR", fp);
		}
		fputc('\n', fp);
		roff(fp, o->help);
		fputc('\n', fp);
	}
}

/* A description: paragraphs at blank lines, lines kept as they are. */
static void paragraphs(FILE *fp, const char *text)
{
	const char *p = text, *end;

	fputs(".PP\n", fp);
	while (*p) {
		end = strchr(p, '\n');
		if (!end)
			end = p + strlen(p);
		if (end == p) {
			fputs(".PP\n", fp);
		} else {
			char line[1024];

			snprintf(line, sizeof(line), "%.*s", (int)(end - p), p);
			roff(fp, line);
			fputc('\n', fp);
		}
		p = *end ? end + 1 : end;
	}
}

static const char *const exit_codes[][2] = {
	{"0", "success, including \"nothing changed\""},
	{"1", "the operation failed (a handler failed or timed out, a bundle "
	      "is over its budget, an API call failed)"},
	{"2", "usage: the command line is wrong"},
	{"3", "the manifest or configuration is invalid"},
	{"4", "credentials or permission"},
	{"5", "not found: manifest, function, release, template"},
	{"6", "locked or conflict: another deploy holds the stage's lock"},
	{"130", "interrupted (Ctrl\\-C)"},
};

static const char *const environment[][2] = {
	{"FERRY_STAGE", "the stage when \\-s is not given (default: dev)"},
	{"FERRY_PROVIDER", "the provider when \\-p is not given"},
	{"NO_COLOR", "never colour the output"},
	{"AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, "
	 "AWS_PROFILE, AWS_REGION, AWS_DEFAULT_REGION",
	 "credentials and region of the aws provider, as for the AWS CLI"},
	{"AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL_S3, "
	 "AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS",
	 "endpoints of the aws provider (emulators such as moto)"},
};

static void man_write(FILE *fp)
{
	const struct ferry_cmd *const *c;
	size_t i;

	fprintf(fp, ".TH FERRY 1 \"\" \"ferry %s\" \"User Commands\"\n",
		FERRY_VERSION);
	fputs(".SH NAME\nferry \\- deploy serverless functions anywhere from "
	      "one ferry.yaml\n"
	      ".SH SYNOPSIS\n.B ferry\n[\\fIoptions\\fR] \\fICOMMAND\\fR "
	      "[\\fIARGS\\fR]\n"
	      ".SH DESCRIPTION\n"
	      "ferry builds slim, reproducible bundles of the handlers named "
	      "in \\fBferry.yaml\\fR, stores them once, publishes an immutable "
	      "release and points live traffic at it; \\fBferry rollback\\fR "
	      "moves that pointer back without a rebuild. The same project "
	      "deploys to \\fBlocal\\fR (the default: this machine) and to "
	      "AWS Lambda (\\fB\\-p aws\\fR).\n"
	      ".PP\nGlobal options may come before or after the command. "
	      "Results go to standard output, diagnostics and progress to "
	      "standard error.\n"
	      ".SH OPTIONS\n", fp);
	opts(fp, ferry_global_opts);
	fputs(".SH COMMANDS\n", fp);
	for (c = ferry_commands; *c; c++) {
		if ((*c)->flags & FERRY_CMD_HIDDEN)
			continue;
		fprintf(fp, ".SS \"ferry %s%s%s%s\"\n", (*c)->name,
			(*c)->opts && (*c)->opts->name ? " [options]" : "",
			(*c)->args ? " " : "", (*c)->args ? (*c)->args : "");
		roff(fp, (*c)->summary);
		fputc('\n', fp);
		if ((*c)->description)
			paragraphs(fp, (*c)->description);
		if ((*c)->opts && (*c)->opts->name) {
			fputs(".PP\nOptions:\n.RS\n", fp);
			opts(fp, (*c)->opts);
			fputs(".RE\n", fp);
		}
	}
	fputs(".SH EXIT STATUS\n", fp);
	for (i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++)
		fprintf(fp, ".TP\n.B %s\n%s\n", exit_codes[i][0],
			exit_codes[i][1]);
	fputs(".SH ENVIRONMENT\n", fp);
	for (i = 0; i < sizeof(environment) / sizeof(environment[0]); i++)
		fprintf(fp, ".TP\n.B %s\n%s\n", environment[i][0],
			environment[i][1]);
	fputs(".SH FILES\n"
	      ".TP\n.B ferry.yaml\nthe manifest of the project\n"
	      ".TP\n.B .ferry/\nbuilt bundles (.ferry/build) and the local "
	      "provider's store (.ferry/local)\n"
	      ".SH SEE ALSO\n"
	      "The documentation in the docs/ directory of the source: "
	      "commands, manifest, bundles, releases, providers.\n", fp);
}

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	(void)ctx;
	(void)args;
	(void)err;
	man_write(stdout);
	return 0;
}

const struct ferry_cmd ferry_cmd_man = {
	.name = "__man",
	.summary = "print the manual page ferry(1) in roff",
	.max_args = 0,
	.flags = FERRY_CMD_HIDDEN,
	.run = run,
};
