/*
 * asset.c - look-up in the tables of embedded files (see asset.h).
 */
#include <string.h>

#include "ferry/asset.h"

const struct ferry_asset *ferry_asset_find(const struct ferry_asset *table,
					   const char *name)
{
	for (; table && table->name; table++)
		if (!strcmp(table->name, name))
			return table;
	return NULL;
}
