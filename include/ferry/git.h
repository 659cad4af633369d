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

#endif
