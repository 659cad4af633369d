/*
 * git.c - what ferry asks of git, through libgit2: the commit, branch and
 * dirty state of HEAD (for `${git:...}` variables and release records).
 * This is the only module that includes <git2.h>; libgit2 is initialised
 * once, on first use. It does not clone, fetch or write to repositories.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "ferry/buf.h"
#include "ferry/error.h"
#include "ferry/git.h"

static pthread_once_t git_once = PTHREAD_ONCE_INIT;
static int git_init_rc;

static void git_init(void)
{
	git_init_rc = git_libgit2_init();
}

static const char *git_msg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

/* 1 if any tracked file differs from HEAD (index or work tree). */
static int is_dirty(git_repository *repo, int *dirty, struct ferry_error *err)
{
	git_status_options opts;
	git_status_list *list = NULL;
	int rc;

	rc = git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	if (rc < 0)
		return ferry_error_set(err, FERRY_EFAIL,
				       "cannot read git status: %s", git_msg());

	if (git_repository_is_bare(repo)) {
		*dirty = 0;
		return 0;
	}
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	opts.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	rc = git_status_list_new(&list, repo, &opts);
	if (rc < 0)
		return ferry_error_set(err, FERRY_EFAIL,
				       "cannot read git status: %s", git_msg());
	*dirty = git_status_list_entrycount(list) > 0;
	git_status_list_free(list);
	return 0;
}

int ferry_git_head(struct ferry_git_head *out, const char *dir,
		   struct ferry_error *err)
{
	git_repository *repo = NULL;
	git_reference *head = NULL;
	git_object *commit = NULL;
	struct ferry_git_head h;
	int rc;

	memset(&h, 0, sizeof(h));
	pthread_once(&git_once, git_init);
	if (git_init_rc < 0)
		return ferry_error_set(err, FERRY_EFAIL,
				       "cannot initialise libgit2: %s",
				       git_msg());
	if (!dir)
		dir = ".";
	rc = git_repository_open_ext(&repo, dir, 0, NULL);
	if (rc == GIT_ENOTFOUND) {
		rc = ferry_error_set(err, FERRY_ENOTFOUND,
				     "'%s' is not inside a git repository",
				     dir);
		goto out;
	}
	if (rc < 0) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "cannot open the git repository of '%s': %s",
				     dir, git_msg());
		goto out;
	}
	rc = git_repository_head(&head, repo);
	if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND) {
		rc = ferry_error_set(err, FERRY_ENOTFOUND, "the git repository "
				     "of '%s' has no commit yet", dir);
		goto out;
	}
	if (rc < 0) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "cannot read git HEAD in '%s': %s", dir,
				     git_msg());
		goto out;
	}
	rc = git_reference_peel(&commit, head, GIT_OBJECT_COMMIT);
	if (rc < 0) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "git HEAD in '%s' is not a commit: %s", dir,
				     git_msg());
		goto out;
	}
	git_oid_tostr(h.sha, sizeof(h.sha), git_object_id(commit));
	if (!git_repository_head_detached(repo)) {
		h.branch = ferry_strdup(git_reference_shorthand(head));
		if (!h.branch) {
			rc = ferry_error_set(err, FERRY_ENOMEM,
					     "out of memory");
			goto out;
		}
	}
	rc = is_dirty(repo, &h.dirty, err);
	if (rc < 0) {
		free(h.branch);
		goto out;
	}
	*out = h;
out:
	git_object_free(commit);
	git_reference_free(head);
	git_repository_free(repo);
	return rc;
}

void ferry_git_head_release(struct ferry_git_head *h)
{
	if (!h)
		return;
	free(h->branch);
	h->branch = NULL;
}
