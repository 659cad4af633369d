/*
 * asset.h - files embedded in the binary at build time (cmake/embed.cmake):
 * runner scripts of the local provider now, built-in templates later.
 */
#ifndef FERRY_ASSET_H
#define FERRY_ASSET_H

#include <stddef.h>

struct ferry_asset {
	const char *name;		/* base name of the source file */
	const unsigned char *data;	/* NUL-terminated */
	size_t len;			/* without the NUL */
};

/* The asset called `name` in a NULL-terminated table, or NULL. */
const struct ferry_asset *ferry_asset_find(const struct ferry_asset *table,
					   const char *name);

#endif
