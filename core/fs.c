/*
 * fs.c - whole-file reads, crash-safe writes, mkdir -p, rm -rf, a sorted
 * recursive walk, and temporary directories that outlive a crash only until
 * the next sweep. Knows nothing about ferry's store layout.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ferry/fs.h"

int ferry_fs_read(struct ferry_buf *out, const char *path, size_t max,
		  struct ferry_error *err)
{
	struct stat st;
	size_t start = out->len;	/* `out` may hold earlier content */
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ferry_error_errno(err, errno == ENOENT ? FERRY_ENOTFOUND :
					 FERRY_EFAIL, errno, "cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno, "cannot stat '%s'", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = ferry_error_set(err, FERRY_EFAIL, "'%s' is a directory", path);
		goto out;
	}
	if (max && (uint64_t)st.st_size > max) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "'%s' is too large (%lld bytes; at most %zu)",
				     path, (long long)st.st_size, max);
		goto out;
	}
	for (;;) {
		if (ferry_buf_grow(out, 65536)) {
			rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory reading '%s'", path);
			goto out;
		}
		n = read(fd, out->buf + out->len, out->alloc - out->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = ferry_error_errno(err, FERRY_EFAIL, errno,
					       "cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
		if (max && out->len - start > max) {
			rc = ferry_error_set(err, FERRY_EFAIL,
					     "'%s' is too large (at most %zu bytes)",
					     path, max);
			goto out;
		}
	}
out:
	close(fd);
	return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_parent(const char *path)
{
	char *dir = ferry_strdup(path), *slash;
	int fd, rc = 0;

	if (!dir || !*dir) {
		free(dir);
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		memcpy(dir, ".", 2);	/* fits: path is never empty */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(dir);
	return rc;
}

/*
 * Create a temporary file next to `path`, filled by `fill`, fsynced, then
 * renamed (or linked, for if_absent) onto `path`.
 */
typedef int (*fill_fn)(int fd, const void *ctx, struct ferry_error *err);

static int commit_temp(const char *path, mode_t mode, int if_absent,
		       fill_fn fill, const void *ctx, struct ferry_error *err)
{
	char *tmp = ferry_xstrfmt("%s.tmp.%ld", path, (long)getpid());
	int fd = -1, rc = 0, linked = 0;

	if (!tmp)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno, "cannot create '%s'", tmp);
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno, "cannot chmod '%s'", tmp);
		goto out;
	}
	rc = fill(fd, ctx, err);
	if (rc)
		goto out;
	if (fsync(fd) < 0) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno, "cannot sync '%s'", tmp);
		goto out;
	}
	close(fd);
	fd = -1;
	if (if_absent) {
		if (link(tmp, path) < 0) {
			rc = errno == EEXIST ?
				ferry_error_set(err, FERRY_EEXIST, "'%s' already exists", path) :
				ferry_error_errno(err, FERRY_EFAIL, errno,
						  "cannot create '%s'", path);
			goto out;
		}
		linked = 1;
	} else if (rename(tmp, path) < 0) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno, "cannot replace '%s'", path);
		goto out;
	}
	if (fsync_parent(path) < 0)
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot sync the directory of '%s'", path);
out:
	if (fd >= 0)
		close(fd);
	if (rc || linked)
		unlink(tmp);
	free(tmp);
	return rc;
}

struct mem_ctx {
	const void *data;
	size_t len;
	const char *path;
};

static int fill_mem(int fd, const void *ctx, struct ferry_error *err)
{
	const struct mem_ctx *m = ctx;

	if (write_all(fd, m->data, m->len) < 0)
		return ferry_error_errno(err, FERRY_EFAIL, errno,
					 "cannot write '%s'", m->path);
	return 0;
}

static int fill_copy(int fd, const void *ctx, struct ferry_error *err)
{
	const struct mem_ctx *m = ctx;
	char chunk[65536];
	ssize_t n;
	int in, rc = 0;

	in = open(m->path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return ferry_error_errno(err, errno == ENOENT ? FERRY_ENOTFOUND :
					 FERRY_EFAIL, errno, "cannot open '%s'", m->path);
	while ((n = read(in, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = ferry_error_errno(err, FERRY_EFAIL, errno,
					       "cannot read '%s'", m->path);
			break;
		}
		if (write_all(fd, chunk, (size_t)n) < 0) {
			rc = ferry_error_errno(err, FERRY_EFAIL, errno,
					       "cannot write a copy of '%s'", m->path);
			break;
		}
	}
	close(in);
	return rc;
}

int ferry_fs_write_atomic(const char *path, const void *data, size_t len,
			  mode_t mode, int if_absent, struct ferry_error *err)
{
	struct mem_ctx m = { data, len, path };

	return commit_temp(path, mode, if_absent, fill_mem, &m, err);
}

int ferry_fs_copy_atomic(const char *dst, const char *src, mode_t mode,
			 int if_absent, struct ferry_error *err)
{
	struct mem_ctx m = { NULL, 0, src };

	return commit_temp(dst, mode, if_absent, fill_copy, &m, err);
}

int ferry_fs_mkdirs(const char *path, struct ferry_error *err)
{
	char *p = ferry_strdup(path), *s;
	int rc = 0;

	if (!p)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	/* skip a leading '/', but never past the NUL of an empty path */
	for (s = *p ? p + 1 : p; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			rc = ferry_error_errno(err, FERRY_EFAIL, errno,
					       "cannot create directory '%s'", p);
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	if (!rc && !ferry_fs_is_dir(path))
		rc = ferry_error_set(err, FERRY_EFAIL, "'%s' is not a directory", path);
	free(p);
	return rc;
}

int ferry_fs_mkdirs_parent(const char *path, struct ferry_error *err)
{
	char *p = ferry_strdup(path), *slash;
	int rc = 0;

	if (!p)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	slash = strrchr(p, '/');
	if (slash && slash != p) {
		*slash = '\0';
		rc = ferry_fs_mkdirs(p, err);
	}
	free(p);
	return rc;
}

int ferry_fs_remove_tree(const char *path, struct ferry_error *err)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	char *child;
	int rc = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 :
			ferry_error_errno(err, FERRY_EFAIL, errno, "cannot stat '%s'", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0 && errno != ENOENT)
			return ferry_error_errno(err, FERRY_EFAIL, errno,
						 "cannot remove '%s'", path);
		return 0;
	}
	d = opendir(path);
	if (!d)
		return ferry_error_errno(err, FERRY_EFAIL, errno, "cannot open '%s'", path);
	while (!rc && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		child = ferry_path_join(path, de->d_name);
		if (!child) {
			rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			break;
		}
		rc = ferry_fs_remove_tree(child, err);
		free(child);
	}
	closedir(d);
	if (!rc && rmdir(path) < 0 && errno != ENOENT)
		rc = ferry_error_errno(err, FERRY_EFAIL, errno, "cannot remove '%s'", path);
	return rc;
}

int ferry_fs_mkdtemp_held(char *tmpl, int *fd, struct ferry_error *err)
{
	int e;

	*fd = -1;
	if (!mkdtemp(tmpl))
		return ferry_error_errno(err, FERRY_EFAIL, errno, "cannot create "
					 "directory '%s'", tmpl);
	*fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd >= 0 && flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	e = errno;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	rmdir(tmpl);
	return ferry_error_errno(err, FERRY_EFAIL, e, "cannot lock directory "
				 "'%s'", tmpl);
}

/* 1 if `path` is an old directory that no process holds a flock on. */
static int abandoned(const char *path, time_t now, unsigned min_age)
{
	struct stat st;
	int fd, free_ = 0;

	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    now - st.st_mtime < (time_t)min_age)
		return 0;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* held only for the instant of the test: a new owner cannot exist */
	free_ = flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd);
	return free_;
}

size_t ferry_fs_sweep_abandoned(const char *dir, const char *prefix,
				unsigned min_age)
{
	size_t plen = strlen(prefix), removed = 0;
	time_t now = time(NULL);
	struct dirent *de;
	char *path;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, plen) || !de->d_name[plen])
			continue;
		path = ferry_path_join(dir, de->d_name);
		if (!path)
			break;
		if (abandoned(path, now, min_age) &&
		    ferry_fs_remove_tree(path, NULL) == 0)
			removed++;
		free(path);
	}
	closedir(d);
	return removed;
}

int ferry_fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int ferry_fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int ferry_fs_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *ferry_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	if (!la)
		return ferry_strdup(b);
	if (b[0] == '/')
		b++;
	return ferry_xstrfmt("%s%s%s", a, a[la - 1] == '/' ? "" : "/", b);
}

char *ferry_path_absolute(const char *path)
{
	struct ferry_strvec parts = FERRY_STRVEC_INIT;
	struct ferry_buf out = FERRY_BUF_INIT;
	char cwd[PATH_MAX];
	char *full, *s, *next;
	size_t i;

	if (path[0] == '/') {
		full = ferry_strdup(path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return NULL;
		full = ferry_path_join(cwd, path);
	}
	if (!full)
		return NULL;
	for (s = full; s; s = next) {
		next = strchr(s, '/');
		if (next)
			*next++ = '\0';
		if (!*s || !strcmp(s, "."))
			continue;
		if (!strcmp(s, "..")) {
			if (parts.nr)
				free(parts.items[--parts.nr]);
			continue;
		}
		if (ferry_strvec_push(&parts, s))
			goto fail;
	}
	for (i = 0; i < parts.nr; i++)
		if (ferry_buf_addch(&out, '/') || ferry_buf_addstr(&out, parts.items[i]))
			goto fail;
	if (!parts.nr && ferry_buf_addch(&out, '/'))
		goto fail;
	free(full);
	ferry_strvec_release(&parts);
	return ferry_buf_detach(&out);
fail:
	free(full);
	ferry_strvec_release(&parts);
	ferry_buf_release(&out);
	return NULL;
}

struct walk {
	struct ferry_strvec *out;
	const char *const *skip;
	struct ferry_strvec seen;	/* "dev:ino" of directories on the path */
};

static int skipped(const struct walk *w, const char *name)
{
	const char *const *s;

	for (s = w->skip; s && *s; s++)
		if (!strcmp(*s, name))
			return 1;
	return 0;
}

static int walk_dir(struct walk *w, const char *abs, const char *rel,
		    struct ferry_error *err)
{
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	struct dirent *de;
	struct stat st;
	char key[64];
	char *child = NULL, *childrel = NULL;
	size_t i;
	DIR *d;
	int rc = 0;

	if (stat(abs, &st) < 0)
		return ferry_error_errno(err, FERRY_EFAIL, errno, "cannot stat '%s'", abs);
	snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	if (ferry_strvec_find(&w->seen, key) >= 0)
		return 0;	/* symlink cycle */
	if (ferry_strvec_push(&w->seen, key))
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	d = opendir(abs);
	if (!d) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno, "cannot open '%s'", abs);
		goto out;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    ferry_strvec_push(&names, de->d_name)) {
			rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			break;
		}
	closedir(d);
	ferry_strvec_sort(&names);
	for (i = 0; !rc && i < names.nr; i++) {
		child = ferry_path_join(abs, names.items[i]);
		childrel = *rel ? ferry_xstrfmt("%s/%s", rel, names.items[i]) :
			ferry_strdup(names.items[i]);
		if (!child || !childrel) {
			rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		} else if (stat(child, &st) < 0) {
			/* dangling symlink: nothing to ship */
		} else if (S_ISDIR(st.st_mode)) {
			if (!skipped(w, names.items[i]))
				rc = walk_dir(w, child, childrel, err);
		} else if (S_ISREG(st.st_mode)) {
			if (ferry_strvec_push_owned(w->out, childrel))
				rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			childrel = NULL;
		}
		free(child);
		free(childrel);
		child = childrel = NULL;
	}
out:
	ferry_strvec_release(&names);
	free(w->seen.items[--w->seen.nr]);
	return rc;
}

int ferry_fs_walk(struct ferry_strvec *out, const char *root,
		  const char *const *skip_dirs, struct ferry_error *err)
{
	struct walk w = { out, skip_dirs, FERRY_STRVEC_INIT };
	int rc;

	rc = walk_dir(&w, root, "", err);
	ferry_strvec_release(&w.seen);
	if (!rc)
		ferry_strvec_sort(out);
	return rc;
}
