/*
 * git.c - what ferry asks of git, through libgit2: the commit, branch and
 * dirty state of HEAD (for `${git:...}` variables and release records).
 * This is the only module that includes <git2.h>; libgit2 is initialised
 * once, on first use. It does not clone, fetch or write to repositories.
 */
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "ferry/buf.h"
#include "ferry/error.h"
#include "ferry/git.h"
#include "ferry/lazy.h"

/*
 * libgit2 is loaded on first use (ferry/lazy.h): it brings about fifteen
 * shared objects that commands without ${git:...} should not pay for at
 * start-up. Every function used is listed here and called through p_.
 */
/* clang-format off */
#define GIT2_FUNCS(X) \
	X(git_libgit2_init) \
	X(git_error_last) \
	X(git_status_options_init) \
	X(git_repository_is_bare) \
	X(git_status_list_new) \
	X(git_status_list_entrycount) \
	X(git_status_list_free) \
	X(git_repository_open_ext) \
	X(git_repository_head) \
	X(git_reference_peel) \
	X(git_oid_tostr) \
	X(git_object_id) \
	X(git_repository_head_detached) \
	X(git_reference_shorthand) \
	X(git_object_free) \
	X(git_reference_free) \
	X(git_repository_free)

#define DECLARE(f) static __typeof__(f) *p_##f;
GIT2_FUNCS(DECLARE)
#undef DECLARE

#define SYMBOL(f) { #f, (void **)&p_##f },
static const struct ferry_lazy_sym git2_syms[] = {
	GIT2_FUNCS(SYMBOL)
	{ NULL, NULL },
};
#undef SYMBOL

static struct ferry_lazy_lib git2_lib = {
	FERRY_SONAME_GIT2, git2_syms, 0, NULL,
};
/* clang-format on */

static const char *git_msg(void)
{
	const git_error *e = p_git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

static int git_ready;	/* 1 once libgit2 is loaded and initialised */

/* Load and initialise libgit2 once. */
static int git_init(struct ferry_error *err)
{
	int rc;

	if (git_ready)
		return 0;
	rc = ferry_lazy_load(&git2_lib, err);
	if (rc)
		return rc;
	if (p_git_libgit2_init() < 0)
		return ferry_error_set(err, FERRY_EFAIL,
				       "cannot initialise libgit2: %s", git_msg());
	git_ready = 1;
	return 0;
}

/* 1 if any tracked file differs from HEAD (index or work tree). */
static int is_dirty(git_repository *repo, int *dirty, struct ferry_error *err)
{
	git_status_options opts;
	git_status_list *list = NULL;
	int rc;

	rc = p_git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	if (rc < 0)
		return ferry_error_set(err, FERRY_EFAIL,
				       "cannot read git status: %s", git_msg());

	if (p_git_repository_is_bare(repo)) {
		*dirty = 0;
		return 0;
	}
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	opts.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	rc = p_git_status_list_new(&list, repo, &opts);
	if (rc < 0)
		return ferry_error_set(err, FERRY_EFAIL,
				       "cannot read git status: %s", git_msg());
	*dirty = p_git_status_list_entrycount(list) > 0;
	p_git_status_list_free(list);
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
	rc = git_init(err);
	if (rc)
		return rc;
	if (!dir)
		dir = ".";
	rc = p_git_repository_open_ext(&repo, dir, 0, NULL);
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
	rc = p_git_repository_head(&head, repo);
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
	rc = p_git_reference_peel(&commit, head, GIT_OBJECT_COMMIT);
	if (rc < 0) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "git HEAD in '%s' is not a commit: %s", dir,
				     git_msg());
		goto out;
	}
	p_git_oid_tostr(h.sha, sizeof(h.sha), p_git_object_id(commit));
	if (!p_git_repository_head_detached(repo)) {
		h.branch = ferry_strdup(p_git_reference_shorthand(head));
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
	p_git_object_free(commit);
	p_git_reference_free(head);
	p_git_repository_free(repo);
	return rc;
}

void ferry_git_head_release(struct ferry_git_head *h)
{
	if (!h)
		return;
	free(h->branch);
	h->branch = NULL;
}
