/*
 * zip.c - reproducible zip archives through libarchive (the only module
 * that includes <archive.h>): write, list, extract.
 *
 * Writing streams each file through one fixed buffer, in the order given,
 * with no mtime, uid and gid 0, mode 0644 or 0755, deflate at level 6 and
 * no Zip64. libarchive streams (data descriptors, "UT"/"ux" extra fields)
 * and takes the DOS date/time from localtime(); once it has finished, the
 * archive is compacted in place into the plain form Info-ZIP writes: sizes
 * in every local header, no descriptors, no extra fields, every date
 * 2000-01-01 00:00:00. So the bytes depend on nothing but the entries, and
 * each file costs 76 bytes of headers plus twice its name. It does not
 * choose, sort or filter files: that is core/bundle.c.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/fs.h"
#include "ferry/lazy.h"
#include "ferry/log.h"
#include "ferry/progress.h"
#include "ferry/zip.h"

/*
 * libarchive is loaded on first use (ferry/lazy.h) so that commands which
 * never zip do not pay for it at start-up; every function used is listed
 * here and called through its p_ pointer.
 */
/* clang-format off */
#define ARCHIVE_FUNCS(X) \
	X(archive_entry_clear) \
	X(archive_entry_filetype) \
	X(archive_entry_free) \
	X(archive_entry_new) \
	X(archive_entry_pathname) \
	X(archive_entry_pathname_utf8) \
	X(archive_entry_perm) \
	X(archive_entry_set_filetype) \
	X(archive_entry_set_gid) \
	X(archive_entry_set_pathname_utf8) \
	X(archive_entry_set_perm) \
	X(archive_entry_set_size) \
	X(archive_entry_set_uid) \
	X(archive_error_string) \
	X(archive_read_data) \
	X(archive_read_data_skip) \
	X(archive_read_free) \
	X(archive_read_new) \
	X(archive_read_next_header) \
	X(archive_read_open_filename) \
	X(archive_read_support_format_zip) \
	X(archive_write_close) \
	X(archive_write_data) \
	X(archive_write_free) \
	X(archive_write_header) \
	X(archive_write_new) \
	X(archive_write_open_fd) \
	X(archive_write_set_bytes_in_last_block) \
	X(archive_write_set_bytes_per_block) \
	X(archive_write_set_format_zip) \
	X(archive_write_set_options)

#define DECLARE(f) static __typeof__(f) *p_##f;
ARCHIVE_FUNCS(DECLARE)
#undef DECLARE

#define SYMBOL(f) { #f, (void **)&p_##f },
static const struct ferry_lazy_sym archive_syms[] = {
	ARCHIVE_FUNCS(SYMBOL)
	{ NULL, NULL },
};
#undef SYMBOL

static struct ferry_lazy_lib archive_lib = {
	FERRY_SONAME_ARCHIVE, archive_syms, 0, NULL,
};
/* clang-format on */

#define CHUNK 65536

/* DOS encoding of 2000-01-01 00:00:00: ((2000 - 1980) << 9) | (1 << 5) | 1. */
#define DOS_DATE 0x2821u
#define DOS_TIME 0x0000u

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END 0x06054b50u

/*
 * Names are UTF-8 in ferry's zips. libarchive converts them through the
 * current locale, which is "C" in a process that never called setlocale(),
 * where reading a non-ASCII name fails; so each call runs with the
 * thread's LC_CTYPE switched to C.UTF-8 (unchanged if that is missing).
 */
struct utf8 {
	locale_t old;
	locale_t cur;
};

static void utf8_begin(struct utf8 *u)
{
	u->old = (locale_t)0;
	u->cur = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (u->cur)
		u->old = uselocale(u->cur);
}

static void utf8_end(struct utf8 *u)
{
	if (!u->cur)
		return;
	uselocale(u->old);
	freelocale(u->cur);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_dostime(unsigned char *p)
{
	p[0] = DOS_TIME & 0xff;
	p[1] = DOS_TIME >> 8;
	p[2] = DOS_DATE & 0xff;
	p[3] = DOS_DATE >> 8;
}

static int pread_all(int fd, void *buf, size_t len, off_t off)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len) {
		n = pread(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len) {
		n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

static void put16(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

/*
 * Move len bytes from src down to dst (dst <= src) inside one file. A
 * forward copy is safe: a chunk is always written below the next one read.
 */
static int move_down(int fd, off_t dst, off_t src, uint32_t len,
		     unsigned char *chunk)
{
	size_t n;

	if (dst == src)
		return 0;
	while (len) {
		n = len < CHUNK ? len : CHUNK;
		if (pread_all(fd, chunk, n, src) < 0 ||
		    pwrite_all(fd, chunk, n, dst) < 0)
			return -1;
		src += (off_t)n;
		dst += (off_t)n;
		len -= (uint32_t)n;
	}
	return 0;
}

/*
 * Rewrite, in place, the archive libarchive just wrote into its plainest
 * standard form. libarchive streams: each local header has flag bit 3 set
 * and zero sizes, its data is followed by a 16-byte data descriptor, and
 * every header carries "UT" and "ux" extra fields (about 56 bytes per file
 * in all). Here every local header gets its CRC and sizes from the central
 * directory, bit 3 and all extra fields go, descriptors are dropped, the
 * DOS date/time becomes 2000-01-01 00:00:00 (libarchive takes it from
 * localtime()), and the file is truncated to its new end. Entries only
 * move down, so each is copied forward over space already read. There is
 * no comment and no Zip64, so the end record is the last 22 bytes. On
 * success *size is the archive's new size.
 */
static int compact(int fd, const char *path, size_t expect,
		   unsigned char *chunk, off_t *size, struct ferry_error *err)
{
	unsigned char end[22], local[30];
	unsigned char *cd = NULL, *out_cd = NULL, *p, *q;
	struct stat st;
	uint32_t cd_size, cd_off, loc, csize, flags;
	size_t i, count, namelen, extralen, commentlen;
	off_t out = 0, data;
	int rc = 0;

	if (fstat(fd, &st) < 0 || st.st_size < 22 ||
	    pread_all(fd, end, sizeof(end), st.st_size - 22) < 0 ||
	    le32(end) != SIG_END) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "'%s' has no zip end record", path);
		goto out;
	}
	count = le16(end + 10);
	cd_size = le32(end + 12);
	cd_off = le32(end + 16);
	if (count != expect || (off_t)cd_off + cd_size > st.st_size - 22) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "'%s' has an unexpected central directory",
				     path);
		goto out;
	}
	cd = malloc(cd_size ? cd_size : 1);
	out_cd = malloc(cd_size ? cd_size : 1);
	if (!cd || !out_cd) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	if (pread_all(fd, cd, cd_size, cd_off) < 0) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot read back '%s'", path);
		goto out;
	}
	for (p = cd, q = out_cd, i = 0; i < count; i++) {
		if ((size_t)(cd + cd_size - p) < 46 || le32(p) != SIG_CENTRAL)
			goto damaged;
		flags = le16(p + 8) & ~0x0008u;
		csize = le32(p + 20);
		namelen = le16(p + 28);
		extralen = le16(p + 30);
		commentlen = le16(p + 32);
		loc = le32(p + 42);
		if (46 + namelen + extralen + commentlen >
			(size_t)(cd + cd_size - p) ||
		    loc < out)
			goto damaged;
		if (pread_all(fd, local, sizeof(local), loc) < 0 ||
		    le32(local) != SIG_LOCAL || le16(local + 26) != namelen)
			goto damaged_local;
		data = (off_t)loc + 30 + namelen + le16(local + 28);
		if (data + csize > cd_off)
			goto damaged_local;

		/* The local header, from the central one's fields. */
		put16(local + 6, flags);
		put_dostime(local + 10);
		memcpy(local + 14, p + 16, 12); /* crc, csize, usize */
		put16(local + 28, 0);
		if (pwrite_all(fd, local, sizeof(local), out) < 0 ||
		    pwrite_all(fd, p + 46, namelen, out + 30) < 0 ||
		    move_down(fd, out + 30 + (off_t)namelen, data, csize,
			      chunk) < 0)
			goto write_failed;

		memcpy(q, p, 46);
		put16(q + 8, flags);
		put_dostime(q + 12);
		put16(q + 30, 0);
		put16(q + 32, 0);
		put32(q + 42, (uint32_t)out);
		memcpy(q + 46, p + 46, namelen);
		q += 46 + namelen;
		out += 30 + (off_t)namelen + csize;
		p += 46 + namelen + extralen + commentlen;
	}
	put32(end + 12, (uint32_t)(q - out_cd));
	put32(end + 16, (uint32_t)out);
	if (pwrite_all(fd, out_cd, (size_t)(q - out_cd), out) < 0 ||
	    pwrite_all(fd, end, sizeof(end), out + (q - out_cd)) < 0 ||
	    ftruncate(fd, out + (q - out_cd) + (off_t)sizeof(end)) < 0)
		goto write_failed;
	*size = out + (q - out_cd) + (off_t)sizeof(end);
	goto out;
damaged:
	rc = ferry_error_set(err, FERRY_EFAIL,
			     "'%s' has a damaged central directory", path);
	goto out;
damaged_local:
	rc = ferry_error_set(err, FERRY_EFAIL, "'%s' has a damaged local header",
			     path);
	goto out;
write_failed:
	rc = ferry_error_errno(err, FERRY_EFAIL, errno, "cannot write '%s'",
			       path);
out:
	free(cd);
	free(out_cd);
	return rc;
}

/* A name that cannot escape the extraction directory nor look like one. */
static int safe_name(const char *name)
{
	const char *s = name, *e;
	size_t n;

	if (!*name || *name == '/')
		return 0;
	for (;;) {
		e = strchr(s, '/');
		n = e ? (size_t)(e - s) : strlen(s);
		if ((n == 2 && s[0] == '.' && s[1] == '.') || n == 0)
			return e == NULL && n == 0 ? 1 : 0;
		if (n == 1 && s[0] == '.')
			return 0;
		if (!e)
			return 1;
		s = e + 1;
	}
}

static int add_entry(struct archive *a, struct archive_entry *ae,
		     const struct ferry_zip_entry *e, unsigned char *chunk,
		     uint64_t *bytes, struct ferry_error *err)
{
	struct stat st;
	uint64_t done = 0;
	ssize_t n;
	int fd = -1, rc = 0;

	p_archive_entry_clear(ae);
	p_archive_entry_set_pathname_utf8(ae, e->name);
	p_archive_entry_set_filetype(ae, AE_IFREG);
	p_archive_entry_set_uid(ae, 0);
	p_archive_entry_set_gid(ae, 0);
	if (e->data) {
		p_archive_entry_set_perm(ae, e->executable ? 0755 : 0644);
		p_archive_entry_set_size(ae, (la_int64_t)e->data_len);
		if (p_archive_write_header(a, ae) != ARCHIVE_OK ||
		    (e->data_len &&
		     p_archive_write_data(a, e->data, e->data_len) !=
			 (la_ssize_t)e->data_len)) {
			rc = ferry_error_set(
			    err, FERRY_EFAIL, "cannot add '%s' to the zip: %s",
			    e->name, p_archive_error_string(a));
			goto out;
		}
		*bytes += e->data_len;
		ferry_progress_add(1, e->data_len);
		goto out;
	}
	fd = open(e->source, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = ferry_error_errno(
		    err, errno == ENOENT ? FERRY_ENOTFOUND : FERRY_EFAIL, errno,
		    "cannot open '%s'", e->source);
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot stat '%s'", e->source);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "'%s' is not a regular file", e->source);
		goto out;
	}
	p_archive_entry_set_perm(ae, st.st_mode & 0111 ? 0755 : 0644);
	p_archive_entry_set_size(ae, (la_int64_t)st.st_size);
	if (p_archive_write_header(a, ae) != ARCHIVE_OK) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "cannot add '%s' to the zip: %s", e->name,
				     p_archive_error_string(a));
		goto out;
	}
	while ((n = read(fd, chunk, CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = ferry_error_errno(err, FERRY_EFAIL, errno,
					       "cannot read '%s'", e->source);
			goto out;
		}
		done += (uint64_t)n;
		if (done > (uint64_t)st.st_size)
			break;
		if (p_archive_write_data(a, chunk, (size_t)n) != n) {
			rc = ferry_error_set(
			    err, FERRY_EFAIL, "cannot add '%s' to the zip: %s",
			    e->name, p_archive_error_string(a));
			goto out;
		}
	}
	if (done != (uint64_t)st.st_size) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "'%s' changed while it was being zipped",
				     e->source);
		goto out;
	}
	*bytes += done;
	ferry_progress_add(1, done);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int sync_dir_of(const char *path)
{
	char *dir = ferry_strdup(path), *slash;
	int fd, rc = -1;

	if (!dir)
		return -1;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(dir);
	return rc;
}

static int write_archive(const char *path,
			 const struct ferry_zip_entry *entries, size_t nr,
			 struct ferry_zip_stats *stats, struct ferry_error *err)
{
	struct archive *a = NULL;
	struct archive_entry *ae = NULL;
	unsigned char *chunk = NULL;
	off_t size = 0;
	uint64_t bytes = 0;
	char *tmp = NULL;
	size_t i;
	int fd = -1, rc = 0, opened = 0;

	for (i = 0; i < nr; i++) {
		if (!entries[i].name || !safe_name(entries[i].name) ||
		    entries[i].name[strlen(entries[i].name) - 1] == '/')
			return ferry_error_set(
			    err, FERRY_EFAIL, "invalid zip entry name '%s'",
			    entries[i].name ? entries[i].name : "");
		if (!entries[i].data && !entries[i].source)
			return ferry_error_set(err, FERRY_EFAIL,
					       "zip entry '%s' has no content",
					       entries[i].name);
		if (i && strcmp(entries[i - 1].name, entries[i].name) >= 0)
			return ferry_error_set(
			    err, FERRY_EFAIL,
			    "zip entries must be sorted and unique: "
			    "'%s' follows '%s'",
			    entries[i].name, entries[i - 1].name);
	}
	if (nr > 65535)
		return ferry_error_set(
		    err, FERRY_EFAIL,
		    "too many files for one zip (%zu; at most 65535)", nr);
	if (ferry_lazy_load(&archive_lib, err))
		return FERRY_EFAIL;
	tmp = ferry_xstrfmt("%s.tmp.%ld", path, (long)getpid());
	chunk = malloc(CHUNK);
	a = p_archive_write_new();
	ae = p_archive_entry_new();
	if (!tmp || !chunk || !a || !ae) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot create '%s'", tmp);
		goto out;
	}
	if (p_archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    p_archive_write_set_options(a,
					"zip:compression=deflate,"
					"zip:compression-level=7,zip:!zip64,"
					"zip:hdrcharset=UTF-8") != ARCHIVE_OK ||
	    p_archive_write_set_bytes_per_block(a, CHUNK) != ARCHIVE_OK ||
	    p_archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    p_archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rc = ferry_error_set(err, FERRY_EFAIL, "cannot start '%s': %s",
				     path, p_archive_error_string(a));
		goto out;
	}
	opened = 1;
	for (i = 0; i < nr; i++) {
		rc = add_entry(a, ae, &entries[i], chunk, &bytes, err);
		if (rc)
			goto out;
	}
	opened = 0;
	if (p_archive_write_close(a) != ARCHIVE_OK) {
		rc = ferry_error_set(err, FERRY_EFAIL, "cannot finish '%s': %s",
				     path, p_archive_error_string(a));
		goto out;
	}
	rc = compact(fd, tmp, nr, chunk, &size, err);
	if (rc)
		goto out;
	if (fsync(fd) < 0) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot sync '%s'", tmp);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot write '%s'", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot replace '%s'", path);
		goto out;
	}
	if (sync_dir_of(path) < 0)
		ferry_debug("zip: could not sync the directory of '%s'", path);
	if (stats) {
		stats->files = nr;
		stats->bytes = bytes;
		stats->zipped = (uint64_t)size;
	}
out:
	if (a) {
		/* Not archive_write_fail(): libarchive 3.6 then skips the
		 * close that frees the fd writer and its block buffer. The
		 * half-written temp file is removed below anyway. */
		if (opened)
			p_archive_write_close(a);
		p_archive_write_free(a);
	}
	p_archive_entry_free(ae);
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	free(chunk);
	return rc;
}

static int open_reader(struct archive **out, const char *path,
		       struct ferry_error *err)
{
	struct archive *a;

	if (ferry_lazy_load(&archive_lib, err))
		return FERRY_EFAIL;
	a = p_archive_read_new();
	if (!a)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	if (p_archive_read_support_format_zip(a) != ARCHIVE_OK ||
	    p_archive_read_open_filename(a, path, CHUNK) != ARCHIVE_OK) {
		int code =
		    ferry_fs_exists(path) ? FERRY_EFAIL : FERRY_ENOTFOUND;
		int rc = ferry_error_set(err, code, "cannot open zip '%s': %s",
					 path, p_archive_error_string(a));

		p_archive_read_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

/*
 * The next header. A warning is not a failure: libarchive warns when a
 * UTF-8 name cannot be shown in the current locale (the C locale of a
 * process that never called setlocale()), and entry_name() reads the UTF-8
 * form anyway.
 */
static int next_header(struct archive *a, struct archive_entry **ae)
{
	int r = p_archive_read_next_header(a, ae);

	return r == ARCHIVE_WARN ? ARCHIVE_OK : r;
}

static const char *entry_name(struct archive_entry *ae)
{
	const char *name = p_archive_entry_pathname_utf8(ae);

	return name ? name : p_archive_entry_pathname(ae);
}

static int list_archive(struct ferry_strvec *out, const char *path,
			struct ferry_error *err)
{
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	struct archive *a = NULL;
	struct archive_entry *ae;
	const char *name;
	size_t i;
	int r, rc;

	rc = open_reader(&a, path, err);
	if (rc)
		return rc;
	while ((r = next_header(a, &ae)) == ARCHIVE_OK) {
		name = entry_name(ae);
		if (!name) {
			rc = ferry_error_set(
			    err, FERRY_EFAIL,
			    "zip '%s' has an entry without a name", path);
			goto out;
		}
		if (ferry_strvec_push(&names, name)) {
			rc =
			    ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			goto out;
		}
		if (p_archive_read_data_skip(a) != ARCHIVE_OK) {
			rc = ferry_error_set(err, FERRY_EFAIL,
					     "cannot read zip '%s': %s", path,
					     p_archive_error_string(a));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "cannot read zip '%s': %s", path,
				     p_archive_error_string(a));
		goto out;
	}
	for (i = 0; i < names.nr; i++) {
		if (ferry_strvec_push_owned(out, names.items[i])) {
			names.items[i] = NULL;
			rc =
			    ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			goto out;
		}
		names.items[i] = NULL;
	}
out:
	ferry_strvec_release(&names);
	p_archive_read_free(a);
	return rc;
}

static int extract_file(struct archive *a, struct archive_entry *ae,
			const char *target, unsigned char *chunk,
			struct ferry_error *err)
{
	mode_t mode = p_archive_entry_perm(ae) & 0777;
	la_ssize_t n;
	ssize_t w;
	size_t off;
	int fd, rc = 0;

	if (!mode)
		mode = 0644;
	fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return ferry_error_errno(err, FERRY_EFAIL, errno,
					 "cannot create '%s'", target);
	while ((n = p_archive_read_data(a, chunk, CHUNK)) != 0) {
		if (n < 0) {
			rc = ferry_error_set(err, FERRY_EFAIL,
					     "cannot extract '%s': %s", target,
					     p_archive_error_string(a));
			goto out;
		}
		for (off = 0; off < (size_t)n; off += (size_t)w) {
			w = write(fd, chunk + off, (size_t)n - off);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w < 0) {
				rc = ferry_error_errno(err, FERRY_EFAIL, errno,
						       "cannot write '%s'",
						       target);
				goto out;
			}
		}
	}
	if (fchmod(fd, mode) < 0)
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot chmod '%s'", target);
out:
	if (close(fd) < 0 && !rc)
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot write '%s'", target);
	return rc;
}

static int extract_archive(const char *path, const char *dest,
			   struct ferry_error *err)
{
	struct archive *a = NULL;
	struct archive_entry *ae;
	unsigned char *chunk = NULL;
	char *target = NULL;
	const char *name;
	int r, rc;

	rc = open_reader(&a, path, err);
	if (rc)
		return rc;
	chunk = malloc(CHUNK);
	if (!chunk) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	rc = ferry_fs_mkdirs(dest, err);
	if (rc)
		goto out;
	while ((r = next_header(a, &ae)) == ARCHIVE_OK) {
		name = entry_name(ae);
		if (!name || !safe_name(name)) {
			rc = ferry_error_set(
			    err, FERRY_EFAIL,
			    "zip '%s' has an unsafe entry name '%s'", path,
			    name ? name : "");
			goto out;
		}
		free(target);
		target = ferry_path_join(dest, name);
		if (!target) {
			rc =
			    ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			goto out;
		}
		switch (p_archive_entry_filetype(ae)) {
		case AE_IFDIR:
			rc = ferry_fs_mkdirs(target, err);
			break;
		case AE_IFREG:
			rc = ferry_fs_mkdirs_parent(target, err);
			if (!rc)
				rc = extract_file(a, ae, target, chunk, err);
			break;
		default:
			rc = ferry_error_set(
			    err, FERRY_EFAIL,
			    "zip '%s': entry '%s' is not a regular "
			    "file or directory",
			    path, name);
			break;
		}
		if (rc)
			goto out;
	}
	if (r != ARCHIVE_EOF)
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "cannot read zip '%s': %s", path,
				     p_archive_error_string(a));
out:
	p_archive_read_free(a);
	free(target);
	free(chunk);
	return rc;
}

int ferry_zip_write(const char *path, const struct ferry_zip_entry *entries,
		    size_t nr, struct ferry_zip_stats *stats,
		    struct ferry_error *err)
{
	struct utf8 u;
	int rc;

	utf8_begin(&u);
	rc = write_archive(path, entries, nr, stats, err);
	utf8_end(&u);
	return rc;
}

int ferry_zip_list(struct ferry_strvec *out, const char *path,
		   struct ferry_error *err)
{
	struct utf8 u;
	int rc;

	utf8_begin(&u);
	rc = list_archive(out, path, err);
	utf8_end(&u);
	return rc;
}

int ferry_zip_extract(const char *path, const char *dest,
		      struct ferry_error *err)
{
	struct utf8 u;
	int rc;

	utf8_begin(&u);
	rc = extract_archive(path, dest, err);
	utf8_end(&u);
	return rc;
}
