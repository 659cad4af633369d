/*
 * template_git.c - templates from git: parse a `--template` spec
 * (template_git.h has the grammar), clone the repository with libgit2
 * (core/git.c) into a fresh private temporary directory, check out the ref,
 * drop `.git`, apply SUBDIR and refuse symbolic links that leave the
 * template. It does not instantiate: core/template.c copies from the root
 * handed back.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/buf.h"
#include "ferry/error.h"
#include "ferry/fs.h"
#include "ferry/git.h"
#include "ferry/template.h"
#include "template_git.h"

void ferry_template_src_init(struct ferry_template_src *s)
{
	memset(s, 0, sizeof(*s));
}

void ferry_template_src_release(struct ferry_template_src *s)
{
	if (!s)
		return;
	free(s->url);
	free(s->shown);
	free(s->ref);
	free(s->subdir);
	ferry_template_src_init(s);
}

/* FERRY_EUSAGE "malformed --template 'SHOWN': WHY". */
static int malformed(struct ferry_error *err, const char *shown,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int malformed(struct ferry_error *err, const char *shown,
		     const char *fmt, ...)
{
	struct ferry_buf why = FERRY_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ferry_buf_vaddf(&why, fmt, ap);
	va_end(ap);
	if (rc)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	rc = ferry_error_set(err, FERRY_EUSAGE, "malformed --template '%s': %s",
			     shown, why.buf);
	ferry_buf_release(&why);
	return rc;
}

/* 1 if `ref` is a name git would accept for a branch or tag (or an id). */
static int ref_ok(const char *ref)
{
	size_t n = strlen(ref);

	if (!n || ref[0] == '-' || ref[0] == '/' || ref[0] == '.' ||
	    ref[n - 1] == '/' || ref[n - 1] == '.' || !strcmp(ref, "@"))
		return 0;
	if (strstr(ref, "..") || strstr(ref, "@{") || strstr(ref, "/.") ||
	    (n >= 5 && !strcmp(ref + n - 5, ".lock")))
		return 0;
	return !ref[strcspn(ref, "~^:?*[\\")];
}

/*
 * SUBDIR normalised: empty and "." components dropped, ".." refused (the
 * template must lie inside the repository). *out NULL when nothing is left.
 */
static int norm_subdir(char **out, const char *sub, const char *shown,
		       struct ferry_error *err)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	const char *p = sub;
	size_t n;
	int rc = 0;

	while (*p) {
		n = strcspn(p, "/");
		if (n == 2 && !strncmp(p, "..", 2)) {
			rc = malformed(err, shown, "subdirectory '%s' leaves the "
				       "repository ('..')", sub);
			goto out;
		}
		if (n && !(n == 1 && *p == '.')) {
			if ((b.len && ferry_buf_addch(&b, '/')) ||
			    ferry_buf_add(&b, p, n)) {
				rc = ferry_error_set(err, FERRY_ENOMEM,
						     "out of memory");
				goto out;
			}
		}
		p += n;
		if (*p)
			p++;
	}
	if (!b.len) {
		rc = malformed(err, shown, "empty subdirectory after '//'");
		goto out;
	}
	*out = ferry_buf_detach(&b);
	if (!*out)
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
out:
	ferry_buf_release(&b);
	return rc;
}

/* gh:OWNER/REPO → https://github.com/OWNER/REPO.git */
static int gh_url(char **out, const char *path, size_t len, const char *shown,
		  struct ferry_error *err)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
	const char *slash = memchr(path, '/', len);
	size_t olen, rlen;

	if (!slash)
		return malformed(err, shown, "expected gh:OWNER/REPO");
	olen = (size_t)(slash - path);
	rlen = len - olen - 1;
	if (rlen > 4 && !strncmp(slash + 1 + rlen - 4, ".git", 4))
		rlen -= 4;
	if (!olen || !rlen || strspn(path, ok) < olen ||
	    strspn(slash + 1, ok) < rlen || (rlen <= 2 && slash[1] == '.'))
		return malformed(err, shown, "expected gh:OWNER/REPO");
	*out = ferry_xstrfmt("https://github.com/%.*s/%.*s.git", (int)olen,
			     path, (int)rlen, slash + 1);
	return *out ? 0 : ferry_error_set(err, FERRY_ENOMEM, "out of memory");
}

/*
 * Where the repository path of `spec` starts: after the authority of a
 * URL, after the ':' of the scp form, after "gh:". Sets *gh for gh:.
 */
static int path_start(const char **out, int *gh, const char *spec,
		      const char *shown, struct ferry_error *err)
{
	static const char *const schemes[] = {
		"https", "http", "git", "ssh", "file", NULL,
	};
	const char *sep = strstr(spec, "://"), *auth, *at, *colon, *slash;
	size_t slen, alen, i;

	*gh = 0;
	if (!strncmp(spec, "gh:", 3)) {
		*gh = 1;
		*out = spec + 3;
		return 0;
	}
	slen = sep ? (size_t)(sep - spec) : 0;
	if (sep && slen && strspn(spec, "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") == slen) {
		for (i = 0; schemes[i]; i++)
			if (strlen(schemes[i]) == slen &&
			    !strncmp(spec, schemes[i], slen))
				break;
		if (!schemes[i])
			return malformed(err, shown, "unsupported scheme '%.*s' "
					 "(use https, http, git, ssh or file)",
					 (int)slen, spec);
		auth = sep + 3;
		alen = strcspn(auth, "/#");
		if (!strcmp(schemes[i], "file")) {
			if (alen)
				return malformed(err, shown, "a file:// URL takes "
						 "an absolute path: "
						 "file:///PATH");
		} else {
			/* the host follows the last '@' of the authority */
			for (at = auth, i = 0; i < alen; i++)
				if (auth[i] == '@')
					at = auth + i + 1;
			if (at == auth + alen || *at == ':')
				return malformed(err, shown, "no host");
		}
		*out = auth + alen;
		if (**out != '/')
			return malformed(err, shown, "no repository path");
		return 0;
	}
	/* scp form user@host:path: an '@', then ':' before any '/' */
	at = strchr(spec, '@');
	colon = strchr(spec, ':');
	slash = strchr(spec, '/');
	if (at && colon && at < colon && (!slash || slash > colon) &&
	    spec[0] != '.') {
		if (at == spec || colon == at + 1)
			return malformed(err, shown, "expected USER@HOST:PATH");
		*out = colon + 1;
		return 0;
	}
	return malformed(err, shown, "not a git source (use https://, "
			 "http://, git://, ssh://, file://, USER@HOST:PATH "
			 "or gh:OWNER/REPO)");
}

int ferry_template_src_parse(struct ferry_template_src *out,
			     const char *spec, struct ferry_error *err)
{
	struct ferry_template_src s;
	const char *path = NULL, *end, *hash, *dslash, *sub = NULL, *p;
	char *shown = NULL;
	int rc, gh;

	ferry_template_src_init(&s);
	shown = ferry_git_url_redact(spec);
	if (!shown) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	if (!*spec) {
		rc = malformed(err, shown, "empty");
		goto out;
	}
	for (p = spec; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			rc = malformed(err, shown, "a space or control "
				       "character at offset %zu",
				       (size_t)(p - spec));
			goto out;
		}
	rc = path_start(&path, &gh, spec, shown, err);
	if (rc)
		goto out;

	hash = strchr(path, '#');
	dslash = strstr(path, "//");
	if (dslash && hash && dslash < hash) {
		rc = malformed(err, shown, "'#REF' must come before "
			       "'//SUBDIR'");
		goto out;
	}
	end = hash ? hash : dslash ? dslash : path + strlen(path);
	if (strspn(path, "/") >= (size_t)(end - path)) {
		rc = malformed(err, shown, "no repository path");
		goto out;
	}
	if (hash) {
		dslash = strstr(hash + 1, "//");
		s.ref = dslash ? ferry_xstrfmt("%.*s", (int)(dslash - hash - 1),
					       hash + 1)
			       : ferry_strdup(hash + 1);
		if (!s.ref) {
			rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			goto out;
		}
		if (strchr(s.ref, '#') || (dslash && strchr(dslash, '#'))) {
			rc = malformed(err, shown, "more than one '#'");
			goto out;
		}
		if (!*s.ref) {
			rc = malformed(err, shown, "empty ref after '#'");
			goto out;
		}
		if (!ref_ok(s.ref)) {
			rc = malformed(err, shown, "'%s' is not a branch, tag "
				       "or commit id", s.ref);
			goto out;
		}
	}
	if (dslash)
		sub = dslash + 2;
	if (sub) {
		rc = norm_subdir(&s.subdir, sub, shown, err);
		if (rc)
			goto out;
	}
	if (gh)
		rc = gh_url(&s.url, path, (size_t)(end - path), shown, err);
	else if (!(s.url = ferry_xstrfmt("%.*s", (int)(end - spec), spec)))
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	if (rc)
		goto out;
	s.shown = ferry_git_url_redact(s.url);
	if (!s.shown) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	*out = s;
	ferry_template_src_init(&s);
out:
	ferry_template_src_release(&s);
	free(shown);
	return rc;
}

/* 1 if `path` is `dir` or below it (both real paths). */
static int inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (!path[n] || path[n] == '/');
}

/*
 * Refuse every symbolic link below `dir` (real path; `rel` its path in
 * the template) whose target is missing or outside `top`. Symlinks are
 * resolved by the kernel (realpath), so chains of links are judged by
 * where they really end. FERRY_ECONFIG, as for a template directory
 * (ferry_template_instantiate): the template is bad, not the command.
 */
static int check_links(const char *dir, const char *rel, const char *top,
		       const char *shown, struct ferry_error *err)
{
	DIR *d = NULL;
	struct dirent *e;
	struct stat st;
	char *path = NULL, *sub = NULL, *real = NULL;
	char target[PATH_MAX];
	ssize_t n;
	int rc = 0;

	d = opendir(dir);
	if (!d)
		return ferry_error_errno(err, FERRY_EFAIL, errno,
					 "cannot read '%s'", dir);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		path = ferry_path_join(dir, e->d_name);
		sub = *rel ? ferry_path_join(rel, e->d_name)
			   : ferry_strdup(e->d_name);
		if (!path || !sub) {
			rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			goto out;
		}
		if (lstat(path, &st)) {
			rc = ferry_error_errno(err, FERRY_EFAIL, errno,
					       "cannot read '%s'", path);
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			n = readlink(path, target, sizeof(target) - 1);
			target[n < 0 ? 0 : n] = '\0';
			real = realpath(path, NULL);
			if (!real || !inside(real, top)) {
				rc = ferry_error_set(err, FERRY_ECONFIG,
						     "template '%s' has a "
						     "symbolic link '%s' to "
						     "'%s', %s", shown, sub,
						     target, real ? "outside "
						     "the template" :
						     "which does not exist");
				goto out;
			}
			free(real);
			real = NULL;
		} else if (S_ISDIR(st.st_mode)) {
			rc = check_links(path, sub, top, shown, err);
			if (rc)
				goto out;
		}
		free(path);
		free(sub);
		path = sub = NULL;
	}
out:
	free(real);
	free(path);
	free(sub);
	closedir(d);
	return rc;
}

/*
 * The template directory of the checkout in `dir`: `subdir` applied, as a
 * real path that must stay inside the checkout (`subdir` itself may be a
 * symbolic link within the repository).
 */
static int template_root(char **out, const char *dir,
			 const struct ferry_template_src *src,
			 struct ferry_error *err)
{
	char *top = NULL, *real = NULL, *realdir = NULL;
	int rc = 0;

	realdir = realpath(dir, NULL);
	top = src->subdir ? ferry_path_join(dir, src->subdir)
			  : ferry_strdup(dir);
	if (!realdir || !top) {
		rc = realdir ? ferry_error_set(err, FERRY_ENOMEM,
					       "out of memory")
			     : ferry_error_errno(err, FERRY_EFAIL, errno,
						 "cannot resolve '%s'", dir);
		goto out;
	}
	if (!ferry_fs_is_dir(top)) {
		rc = ferry_error_set(err, FERRY_ENOTFOUND,
				     "no directory '%s' in '%s' at '%s'",
				     src->subdir, src->shown,
				     src->ref ? src->ref : "HEAD");
		goto out;
	}
	real = realpath(top, NULL);
	if (!real) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot resolve '%s'", top);
		goto out;
	}
	if (!inside(real, realdir)) {
		rc = ferry_error_set(err, FERRY_ECONFIG, "directory '%s' in '%s' "
				     "is a symbolic link leaving the "
				     "repository", src->subdir, src->shown);
		goto out;
	}
	*out = real;
	real = NULL;
out:
	free(real);
	free(top);
	free(realdir);
	return rc;
}

int ferry_template_fetch(char **root, char **tmp, int *tmp_fd,
			 const char *spec, struct ferry_error *err)
{
	int fd = -1;
	struct ferry_template_src src;
	struct ferry_error gerr, ignored;
	char *dir = NULL, *gitdir = NULL, *top = NULL;
	const char *base = getenv("TMPDIR");
	int rc;

	ferry_template_src_init(&src);
	ferry_error_init(&gerr);
	rc = ferry_template_src_parse(&src, spec, err);
	if (rc)
		goto out;
	if (!base || !*base)
		base = "/tmp";
	dir = ferry_xstrfmt("%s/ferry-template-XXXXXX", base);
	if (!dir) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	/* what a kill -9 left: nobody holds it any more (10 s covers the
	 * instant between another fetch's mkdtemp and its lock) */
	ferry_fs_sweep_abandoned(base, "ferry-template-", 10);
	/* created with mode 0700: the checkout stays private */
	rc = ferry_fs_mkdtemp_held(dir, &fd, err);
	if (rc) {
		free(dir);
		dir = NULL;
		goto out;
	}
	rc = ferry_git_clone(dir, src.url, src.ref, &gerr);
	if (rc) {
		/* "repository 'URL' not found (...)" is about the template */
		if (!strncmp(gerr.msg, "repository '", 12))
			rc = ferry_error_set(err, rc, "template %s", gerr.msg);
		else
			rc = ferry_error_set(err, rc, "%s", gerr.msg);
		goto out;
	}
	/* the project gets the files, never the repository */
	gitdir = ferry_path_join(dir, ".git");
	if (!gitdir) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	rc = ferry_fs_remove_tree(gitdir, err);
	if (rc)
		goto out;
	rc = template_root(&top, dir, &src, err);
	if (rc)
		goto out;
	rc = check_links(top, "", top, src.shown, err);
	if (rc)
		goto out;
	*root = top;
	*tmp = dir;
	*tmp_fd = fd;
	top = dir = NULL;
	fd = -1;
out:
	if (dir) {
		ferry_error_init(&ignored);
		ferry_fs_remove_tree(dir, &ignored);
	}
	if (fd >= 0)
		close(fd);
	free(dir);
	free(top);
	free(gitdir);
	ferry_template_src_release(&src);
	return rc;
}
