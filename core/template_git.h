/*
 * template_git.h - the parts of a git template spec, for template_git.c
 * and its tests (not part of the public headers).
 *
 * Grammar (docs/templates.md, "Templates from git"):
 *
 *   spec    = source [ "#" REF ] [ "//" SUBDIR ]
 *   source  = ( "https" | "http" | "git" | "ssh" ) "://" [userinfo "@"] host
 *             path
 *           | "file://" path                      (path is absolute)
 *           | user "@" host ":" path              (scp form, ssh)
 *           | "gh:" owner "/" repo                (https://github.com/...)
 *
 * The repository path ends at the first "#" or "//" after the scheme's
 * authority (after "host" for URLs, after ":" for the scp form), so the
 * "//" of "https://" never counts. REF is a branch, tag or commit id and
 * ends at "//"; SUBDIR comes last.
 */
#ifndef FERRY_TEMPLATE_GIT_H
#define FERRY_TEMPLATE_GIT_H

#include "ferry/error.h"

struct ferry_template_src {
	char *url;	/* owned; given to libgit2, may hold credentials */
	char *shown;	/* owned; url with userinfo redacted, for messages */
	char *ref;	/* owned; NULL: the remote's HEAD */
	char *subdir;	/* owned; normalised ("a/b"), NULL: repository root */
};

void ferry_template_src_init(struct ferry_template_src *s);
void ferry_template_src_release(struct ferry_template_src *s);

/*
 * Split `spec` into its parts. FERRY_EUSAGE "malformed --template 'SPEC':
 * WHY" (SPEC with its userinfo redacted) for anything outside the grammar,
 * an empty REF or SUBDIR, a REF git would refuse, or a SUBDIR with "..".
 * `out` is set only on success.
 */
int ferry_template_src_parse(struct ferry_template_src *out,
			     const char *spec, struct ferry_error *err);

#endif
