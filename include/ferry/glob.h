/*
 * glob.h - gitignore-style path patterns for `package.include`/`exclude`.
 *
 * Supported: `*` (any run of characters except '/'), `?`, `[...]` classes,
 * `**` as a whole path component (any number of directories: "a/ ** /b",
 * " ** /x", "dir/ **" -- written here with spaces, which a pattern has not,
 * because a star followed by a slash would end this comment), a leading
 * '/' or an inner '/' anchors the pattern at the project root (otherwise a
 * pattern without '/' matches a basename at any depth), a trailing '/'
 * matches directories (and so everything below them), and a leading '!'
 * negates. Paths are relative, with '/' separators, no leading "./".
 */
#ifndef FERRY_GLOB_H
#define FERRY_GLOB_H

#include "buf.h"

/*
 * 1 if `path` (a file) matches the single pattern `pat` (without '!'):
 * the pattern matches the path itself or one of its leading directories
 * ("node_modules" matches "node_modules/a/index.js"), as in gitignore.
 */
int ferry_glob_match(const char *pat, const char *path);

/*
 * Evaluate an ordered pattern list gitignore-style: the last pattern that
 * matches decides; a '!' pattern un-matches. Returns 1 (matched), 0 (no
 * pattern matched or the last match was negated).
 */
int ferry_glob_list_match(const struct ferry_strvec *pats, const char *path);

#endif
