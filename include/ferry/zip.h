/*
 * zip.h - reproducible zip archives (libarchive; core/zip.c is the only
 * module that includes <archive.h>).
 *
 * Writing follows DESIGN.md section 4: entries in the order given (callers
 * pass them sorted bytewise), every mtime 2000-01-01T00:00:00Z, uid/gid 0,
 * mode 0644 or 0755 (executable bit of the source), deflate at a fixed
 * level, no directory entries, no extra timestamp fields. The same inputs
 * give the same bytes on any machine, in any time zone, from any path.
 */
#ifndef FERRY_ZIP_H
#define FERRY_ZIP_H

#include <stdint.h>

#include "buf.h"
#include "error.h"

struct ferry_zip_entry {
	const char *name;	/* borrowed; path inside the archive */
	const char *source;	/* borrowed; file to read (symlinks followed) */
	const void *data;	/* borrowed; used instead of source when non-NULL */
	size_t data_len;
	int executable;		/* with data: 0644 or 0755 */
};

struct ferry_zip_stats {
	uint64_t files;
	uint64_t bytes;		/* uncompressed */
	uint64_t zipped;	/* size of the archive file */
};

/*
 * Write `nr` entries to `path` (atomically: temp file + rename). Fills
 * `stats` when non-NULL.
 */
int ferry_zip_write(const char *path, const struct ferry_zip_entry *entries,
		    size_t nr, struct ferry_zip_stats *stats,
		    struct ferry_error *err);

/*
 * Extract the archive at `path` into directory `dest` (created), refusing
 * absolute names and names with ".." components. Modes are kept, times are
 * not. Used by the local provider's invoke cache.
 */
int ferry_zip_extract(const char *path, const char *dest,
		      struct ferry_error *err);

/* Names of the entries of an archive, in archive order (for tests, explain). */
int ferry_zip_list(struct ferry_strvec *out, const char *path,
		   struct ferry_error *err);

#endif
