/*
 * fs.h - file system helpers: whole-file reads, atomic writes, directory
 * creation and removal, and a sorted recursive walk.
 *
 * Atomic writes go through a temporary file in the same directory, fsync of
 * the file, rename over the target and fsync of the directory, so a crash
 * (kill -9, power loss) leaves either the old or the new content, never a
 * mix. Create-if-absent writes use link(2) of the fsynced temporary file,
 * which fails with EEXIST atomically, so the new name is only ever seen with
 * its full content.
 */
#ifndef FERRY_FS_H
#define FERRY_FS_H

#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "error.h"

/*
 * Read a whole file into `out` (appended). Files larger than `max` bytes
 * are refused with FERRY_EFAIL (0 means no limit). A missing file gives
 * FERRY_ENOTFOUND.
 */
int ferry_fs_read(struct ferry_buf *out, const char *path, size_t max,
		  struct ferry_error *err);

/*
 * Write `len` bytes to `path` atomically with permissions `mode`. With
 * `if_absent`, fail with FERRY_EEXIST when `path` already exists (and leave
 * it untouched). Parent directories must exist.
 */
int ferry_fs_write_atomic(const char *path, const void *data, size_t len,
			  mode_t mode, int if_absent, struct ferry_error *err);

/* Copy file `src` to `dst` atomically (same rules as write_atomic). */
int ferry_fs_copy_atomic(const char *dst, const char *src, mode_t mode,
			 int if_absent, struct ferry_error *err);

/* mkdir -p with mode 0755. */
int ferry_fs_mkdirs(const char *path, struct ferry_error *err);
/* mkdir -p of the directory part of `path`. */
int ferry_fs_mkdirs_parent(const char *path, struct ferry_error *err);

/* rm -rf; a missing path is not an error. Does not follow symlinks. */
int ferry_fs_remove_tree(const char *path, struct ferry_error *err);

/*
 * mkdtemp(3) of `tmpl` (which ends in "XXXXXX" and is rewritten in place)
 * that also takes an exclusive flock(2) on the new directory. The lock
 * lives as long as *fd stays open and dies with the process, even after
 * kill -9; ferry_fs_sweep_abandoned() uses it to tell a directory in use
 * from one whose creator died. The caller closes *fd when done (after the
 * directory was renamed or removed).
 */
int ferry_fs_mkdtemp_held(char *tmpl, int *fd, struct ferry_error *err);

/*
 * Remove, best effort, the directories directly in `dir` whose names start
 * with `prefix` (made by ferry_fs_mkdtemp_held), that no process holds and
 * that were last modified at least `min_age` seconds ago (the age covers
 * the instant between another process's mkdtemp and its flock). Returns
 * how many were removed; failures are skipped silently.
 */
size_t ferry_fs_sweep_abandoned(const char *dir, const char *prefix,
				unsigned min_age);

/* 1 if path exists (lstat), 0 if not. */
int ferry_fs_exists(const char *path);
/* 1 if path is a directory (following symlinks). */
int ferry_fs_is_dir(const char *path);
/* 1 if path is a regular file (following symlinks). */
int ferry_fs_is_file(const char *path);

/* Join two path parts with one '/'; NULL on allocation failure. */
char *ferry_path_join(const char *a, const char *b);

/* Absolute, normalised form of `path` (no symlink resolution); NULL on failure. */
char *ferry_path_absolute(const char *path);

/*
 * List the regular files (and symlinks to regular files) below `root`,
 * recursively, as paths relative to `root` with '/' separators, sorted
 * bytewise. Directories named in `skip_dirs` (NULL-terminated list of
 * basenames, may be NULL) are not entered. Symlinked directories are
 * followed once (cycles are detected and skipped).
 */
int ferry_fs_walk(struct ferry_strvec *out, const char *root,
		  const char *const *skip_dirs, struct ferry_error *err);

#endif
