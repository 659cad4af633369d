/*
 * commands.c - the command table: one line per command, in help order.
 * Help, usage errors and (later) shell completion are generated from it.
 */
#include <string.h>

#include "cli.h"

const struct ferry_cmd *const ferry_commands[] = {
	&ferry_cmd_init,
	&ferry_cmd_templates,
	&ferry_cmd_validate,
	&ferry_cmd_package,
	&ferry_cmd_deploy,
	&ferry_cmd_releases,
	&ferry_cmd_rollback,
	&ferry_cmd_invoke,
	&ferry_cmd_serve,
	&ferry_cmd_info,
	&ferry_cmd_prune,
	&ferry_cmd_remove,
	&ferry_cmd_completion,
	&ferry_cmd_version,
	&ferry_cmd_help,
	&ferry_cmd_man,
	&ferry_cmd_complete,	/* hidden: __complete */
	NULL,
};

const struct ferry_cmd *ferry_cmd_find(const char *name)
{
	const struct ferry_cmd *const *c;

	for (c = ferry_commands; *c; c++)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}
