/*
 * asset.h - files embedded in the binary at build time (cmake/embed.cmake):
 * runner scripts of the local provider, and the built-in templates.
 */
#ifndef FERRY_ASSET_H
#define FERRY_ASSET_H

#include <stddef.h>

struct ferry_asset {
	const char *name;		/* base name of the source file */
	const unsigned char *data;	/* NUL-terminated */
	size_t len;			/* without the NUL */
};

/*
 * One file of an embedded directory tree (ferry_embed_tree in
 * cmake/embed.cmake): the built-in templates. Tables end with a zeroed
 * entry.
 */
struct ferry_tree_file {
	const char *path;		/* relative, '/' separators: "node-http/src/handler.js" */
	const unsigned char *data;	/* NUL-terminated */
	size_t len;			/* without the NUL */
	unsigned mode;			/* 0755 if executable in the source tree, else 0644 */
};

/* The asset called `name` in a NULL-terminated table, or NULL. */
const struct ferry_asset *ferry_asset_find(const struct ferry_asset *table,
					   const char *name);

#endif
