/*
 * git.h - what ferry asks of git, through libgit2 (core/git.c is the only
 * module that includes <git2.h>). libgit2 is initialised on first use.
 */
#ifndef FERRY_GIT_H
#define FERRY_GIT_H

#include "error.h"

struct ferry_git_head {
	char sha[41];		/* full commit id of HEAD, lowercase hex */
	char *branch;		/* owned; short branch name, or NULL when detached */
	int dirty;		/* 1 if tracked files differ from HEAD */
};

/*
 * Describe HEAD of the repository that contains `dir` (searching upwards).
 * FERRY_ENOTFOUND when `dir` is not inside a repository or HEAD is unborn.
 */
int ferry_git_head(struct ferry_git_head *out, const char *dir,
		   struct ferry_error *err);
void ferry_git_head_release(struct ferry_git_head *h);

/*
 * Clone `url` (anything libgit2 takes: https, http, git, ssh, file, or
 * user@host:path) into `dir`, an existing empty directory, and write the
 * files of `ref` into it: a branch of the remote, else a tag, else a commit
 * id of 4 to 40 hex digits; NULL means the remote's HEAD. `dir`/.git holds
 * the repository afterwards. No hook ever runs (libgit2 has none). The
 * clone is shallow for a NULL ref when libgit2 is 1.7 or newer.
 * Messages name the URL as ferry_git_url_redact() shows it, and libgit2's
 * reasons have the URL's userinfo replaced by "***".
 * FERRY_ENOTFOUND "repository 'URL' not found (REASON)" when it cannot be
 * reached or read, "no ref 'REF' in 'URL'" for an unknown ref;
 * FERRY_EUSAGE for an ambiguous abbreviated id; FERRY_EAUTH "repository
 * 'URL' denied access (...)" when credentials are missing or refused.
 * Over ssh: the user is the URL's, else the local one; keys come from the
 * ssh agent only (no agent, a dead agent or a refused key: FERRY_EAUTH
 * saying which), and the server's host key must be in ~/.ssh/known_hosts
 * or /etc/ssh/ssh_known_hosts (ferry/known_hosts.h) before any key is
 * offered: unknown, changed or @revoked is FERRY_EAUTH naming the host,
 * port and key fingerprint. FERRY_EINTR when cancelled (ferry/cancel.h)
 * during the transfer; FERRY_EFAIL otherwise. On failure `dir` may hold a
 * partial clone, which the caller removes.
 */
int ferry_git_clone(const char *dir, const char *url, const char *ref,
		    struct ferry_error *err);

/*
 * `url` for messages: the userinfo of a "scheme://userinfo@host/..." URL
 * (user name, password, token) replaced by "***"; other strings unchanged.
 * Owned by the caller; NULL on allocation failure.
 */
char *ferry_git_url_redact(const char *url);

#endif
