/*
 * trace_python.c - the `trace` mode for Python handlers: from the handler
 * file, follow its imports the way a Python 3 import resolves them and list
 * every file the function can load, each with the import that brought it.
 *
 * Search path. Lambda (and ferry's local runner) import the handler as a
 * module of the task root, so the project root comes first; the handler's
 * own directory comes second, because handlers commonly put it on sys.path
 * themselves (sys.path.insert(0, os.path.dirname(__file__))) and a file
 * found there too costs one extra file, while missing it breaks the
 * function; the packages directory (`pydir`) comes last, and its files are
 * named at the bundle root. Resolution follows importlib's FileFinder: per
 * path entry a regular package (`name/__init__.py` or a compiled
 * `__init__`) wins over a module (`name.py`, `name.so`, `name.<tag>.so`,
 * `.pyd`), and directories without `__init__` are namespace portions, used
 * only when no entry has a package or module. A name with both a source and
 * a compiled form keeps both: which one loads depends on the interpreter.
 *
 * Imports under a platform test that is false on Linux (`if sys.platform
 * == "win32":`, see py_lex.h) are skipped: functions run on Linux.
 *
 * Standard-library modules (sys.stdlib_module_names of 3.11 plus the names
 * 3.12 to 3.14 added) are skipped unless the project itself has a module
 * or package of that name, which shadows the standard one on Lambda.
 *
 * The handler's own packages (src/__init__.py for "src/users.py") run
 * before it and come in with it.
 *
 * Rules beyond imports: every regular package reached keeps its data files
 * (what is not .py/.pyc/.pyo/.pyi, in its directory and in subdirectories
 * that are not packages themselves, each directory walked once even
 * through symlinks); each reached file under pydir maps, by the
 * RECORD and top_level.txt of the *.dist-info directories, to the
 * distributions that own it, which keep their whole .dist-info and every
 * compiled file their RECORD lists (.so, .so.N, .pyd), because compiled
 * code imports modules no source scan can see. Third-party packages never
 * ship __pycache__/, *.pyc, nor tests/ or test/ directories.
 *
 * `from pkg import *` also brings the submodules listed in the literal
 * `__all__` of pkg/__init__.py.
 *
 * It does not run Python, read .pth files or *.egg-info, evaluate a
 * computed `__all__`, or follow imports hidden in compiled code (the
 * compiled-file rule stands in for that). Non-literal import_module()
 * calls and imports that resolve nowhere become warnings when they are in
 * project files; in third-party code (optional imports, plugin lookups)
 * they are only logged at debug level: the user can do nothing there.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ferry/buf.h"
#include "ferry/fs.h"
#include "ferry/log.h"
#include "py_lex.h"
#include "trace.h"

/* Larger sources are not Python anyone imports. */
#define SOURCE_MAX (32u << 20)

static const char *const stdlib_names[] = {
	"__future__", "_abc", "_aix_support", "_android_support",
	"_apple_support", "_ast", "_asyncio", "_bisect", "_blake2",
	"_bootsubprocess", "_bz2", "_codecs", "_codecs_cn", "_codecs_hk",
	"_codecs_iso2022", "_codecs_jp", "_codecs_kr", "_codecs_tw",
	"_collections", "_collections_abc", "_colorize", "_compat_pickle",
	"_compression", "_contextvars", "_crypt", "_csv", "_ctypes",
	"_curses", "_curses_panel", "_datetime", "_dbm", "_decimal",
	"_elementtree", "_frozen_importlib", "_frozen_importlib_external",
	"_functools", "_gdbm", "_hashlib", "_heapq", "_hmac", "_imp",
	"_interpchannels", "_interpqueues", "_interpreters", "_io",
	"_ios_support", "_json", "_locale", "_lsprof", "_lzma", "_markupbase",
	"_md5", "_msi", "_multibytecodec", "_multiprocessing", "_opcode",
	"_opcode_metadata", "_operator", "_osx_support", "_overlapped",
	"_pickle", "_posixshmem", "_posixsubprocess", "_py_abc",
	"_pydatetime", "_pydecimal", "_pyio", "_pylong", "_pyrepl", "_queue",
	"_random", "_remote_debugging", "_scproxy", "_sha1", "_sha256",
	"_sha3", "_sha512", "_signal", "_sitebuiltins", "_socket", "_sqlite3",
	"_sre", "_ssl", "_stat", "_statistics", "_string", "_strptime",
	"_struct", "_suggestions", "_symtable", "_sysconfig", "_thread",
	"_threading_local", "_tkinter", "_tokenize", "_tracemalloc", "_types",
	"_typing", "_uuid", "_warnings", "_weakref", "_weakrefset", "_winapi",
	"_wmi", "_zoneinfo", "_zstd", "abc", "aifc", "annotationlib",
	"antigravity", "argparse", "array", "ast", "asynchat", "asyncio",
	"asyncore", "atexit", "audioop", "base64", "bdb", "binascii",
	"bisect", "builtins", "bz2", "cProfile", "calendar", "cgi", "cgitb",
	"chunk", "cmath", "cmd", "code", "codecs", "codeop", "collections",
	"colorsys", "compileall", "compression", "concurrent", "configparser",
	"contextlib", "contextvars", "copy", "copyreg", "crypt", "csv",
	"ctypes", "curses", "dataclasses", "datetime", "dbm", "decimal",
	"difflib", "dis", "distutils", "doctest", "email", "encodings",
	"ensurepip", "enum", "errno", "faulthandler", "fcntl", "filecmp",
	"fileinput", "fnmatch", "fractions", "ftplib", "functools", "gc",
	"genericpath", "getopt", "getpass", "gettext", "glob", "graphlib",
	"grp", "gzip", "hashlib", "heapq", "hmac", "html", "http", "idlelib",
	"imaplib", "imghdr", "imp", "importlib", "inspect", "io", "ipaddress",
	"itertools", "json", "keyword", "lib2to3", "linecache", "locale",
	"logging", "lzma", "mailbox", "mailcap", "marshal", "math",
	"mimetypes", "mmap", "modulefinder", "msilib", "msvcrt",
	"multiprocessing", "netrc", "nis", "nntplib", "nt", "ntpath",
	"nturl2path", "numbers", "opcode", "operator", "optparse", "os",
	"ossaudiodev", "pathlib", "pdb", "pickle", "pickletools", "pipes",
	"pkgutil", "platform", "plistlib", "poplib", "posix", "posixpath",
	"pprint", "profile", "pstats", "pty", "pwd", "py_compile", "pyclbr",
	"pydoc", "pydoc_data", "pyexpat", "queue", "quopri", "random", "re",
	"readline", "reprlib", "resource", "rlcompleter", "runpy", "sched",
	"secrets", "select", "selectors", "shelve", "shlex", "shutil",
	"signal", "site", "smtpd", "smtplib", "sndhdr", "socket",
	"socketserver", "spwd", "sqlite3", "sre_compile", "sre_constants",
	"sre_parse", "ssl", "stat", "statistics", "string", "stringprep",
	"struct", "subprocess", "sunau", "symtable", "sys", "sysconfig",
	"syslog", "tabnanny", "tarfile", "telnetlib", "tempfile", "termios",
	"textwrap", "this", "threading", "time", "timeit", "tkinter", "token",
	"tokenize", "tomllib", "trace", "traceback", "tracemalloc", "tty",
	"turtle", "turtledemo", "types", "typing", "unicodedata", "unittest",
	"urllib", "uu", "uuid", "venv", "warnings", "wave", "weakref",
	"webbrowser", "winreg", "winsound", "wsgiref", "xdrlib", "xml",
	"xmlrpc", "zipapp", "zipfile", "zipimport", "zlib", "zoneinfo",
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_stdlib(const char *top)
{
	return bsearch(&top, stdlib_names,
		       sizeof(stdlib_names) / sizeof(stdlib_names[0]),
		       sizeof(stdlib_names[0]), cmp_str) != NULL;
}

/* A string-keyed hash table (open addressing); keys are copied. */
struct map_slot {
	char *key;	/* owned; NULL: empty */
	void *val;	/* owned by the caller's free function */
};

struct map {
	struct map_slot *slots;	/* owned */
	size_t cap;		/* power of two or 0 */
	size_t nr;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct map_slot *map_slot(const struct map *m, const char *key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = (size_t)hash_str(key) & (m->cap - 1);
	while (m->slots[i].key && strcmp(m->slots[i].key, key))
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

static void *map_get(const struct map *m, const char *key)
{
	struct map_slot *s = map_slot(m, key);

	return s && s->key ? s->val : NULL;
}

/* Set `key` (not yet present) to `val`. Returns 0 or FERRY_ENOMEM. */
static int map_put(struct map *m, const char *key, void *val)
{
	struct map_slot *s;

	if (2 * (m->nr + 1) > m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64, i;
		struct map old = *m;

		m->slots = calloc(cap, sizeof(*m->slots));
		if (!m->slots) {
			*m = old;
			return FERRY_ENOMEM;
		}
		m->cap = cap;
		for (i = 0; i < old.cap; i++) {
			if (!old.slots[i].key)
				continue;
			s = map_slot(m, old.slots[i].key);
			*s = old.slots[i];
		}
		free(old.slots);
	}
	s = map_slot(m, key);
	s->key = ferry_strdup(key);
	if (!s->key)
		return FERRY_ENOMEM;
	s->val = val;
	m->nr++;
	return 0;
}

static void map_release(struct map *m, void (*free_val)(void *))
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (!m->slots[i].key)
			continue;
		free(m->slots[i].key);
		if (free_val)
			free_val(m->slots[i].val);
	}
	free(m->slots);
	m->slots = NULL;
	m->cap = m->nr = 0;
}

/* One directory's entries, sorted by name. */
struct lent {
	char *name;	/* owned */
	int is_dir;
};

struct listing {
	struct lent *items;	/* owned */
	size_t nr;
	size_t alloc;
};

static void listing_free(void *p)
{
	struct listing *l = p;
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nr; i++)
		free(l->items[i].name);
	free(l->items);
	free(l);
}

static int cmp_lent(const void *a, const void *b)
{
	return strcmp(((const struct lent *)a)->name,
		      ((const struct lent *)b)->name);
}

/* Index of the first entry not below `name`. */
static size_t lower_bound(const struct listing *l, const char *name)
{
	size_t lo = 0, hi = l->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(l->items[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* 1 if `dir` holds a directory (is_dir 1) or file (is_dir 0) `name`. */
static int has(const struct listing *l, const char *name, int is_dir)
{
	size_t i = lower_bound(l, name);

	return i < l->nr && !strcmp(l->items[i].name, name) &&
	       l->items[i].is_dir == is_dir;
}

struct dist {
	char *info;			/* owned; "certifi-1.0.dist-info" */
	struct ferry_strvec compiled;	/* RECORD's compiled files */
	int reached;
};

/* Distribution indexes owning one RECORD key. */
struct owners {
	size_t *v;	/* owned */
	size_t nr;
	size_t alloc;
};

static void owners_free(void *p)
{
	struct owners *o = p;

	if (o)
		free(o->v);
	free(o);
}

/* A directory to look modules up in. */
struct spot {
	char *abs;	/* owned; absolute path */
	char *bundle;	/* owned; name in the bundle ("" at the root) */
	int third;	/* below pydir: a third-party package */
	int in_pkg;	/* inside a package, not a search root */
};

struct spots {
	struct spot *items;	/* owned */
	size_t nr;
	size_t alloc;
};

static void spots_release(struct spots *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++) {
		free(s->items[i].abs);
		free(s->items[i].bundle);
	}
	free(s->items);
	s->items = NULL;
	s->nr = s->alloc = 0;
}

static int spots_push(struct spots *s, const char *abs, const char *bundle,
		      int third, int in_pkg)
{
	struct spot *sp;

	if (s->nr == s->alloc) {
		size_t alloc = s->alloc ? 2 * s->alloc : 4;
		struct spot *items = realloc(s->items, alloc * sizeof(*items));

		if (!items)
			return FERRY_ENOMEM;
		s->items = items;
		s->alloc = alloc;
	}
	sp = &s->items[s->nr];
	sp->abs = ferry_strdup(abs);
	sp->bundle = ferry_strdup(bundle);
	sp->third = third;
	sp->in_pkg = in_pkg;
	if (!sp->abs || !sp->bundle) {
		free(sp->abs);
		free(sp->bundle);
		return FERRY_ENOMEM;
	}
	s->nr++;
	return 0;
}

struct ctx {
	struct ferry_trace *t;		/* borrowed; the result */
	const char *project;		/* borrowed; absolute project dir */
	char *pydir;			/* owned; absolute, or NULL */
	int pydir_is_root;		/* pydir is the project directory */
	struct spots top;		/* project root, handler dir, pydir */
	struct spots project_top;	/* project root, handler dir */
	struct map listings;		/* abs dir -> struct listing */
	struct map names;		/* bundle name -> entry index + 1 */
	struct map packages;		/* package dirs whose data are in */
	struct map walked;		/* "dev:ino" of directories walked */
	struct map owners;		/* RECORD key -> struct owners */
	struct dist *dists;		/* owned */
	size_t dists_nr;
	size_t dists_alloc;
	struct ferry_error *err;	/* borrowed */
};

static int oom(struct ctx *c)
{
	return ferry_error_set(c->err, FERRY_ENOMEM, "out of memory");
}

/* "a/b" + "c" -> "a/b/c"; "" + "c" -> "c". NULL on allocation failure. */
static char *join(const char *dir, const char *name)
{
	if (!*dir)
		return ferry_strdup(name);
	return ferry_xstrfmt("%s/%s", dir, name);
}

static int in_pydir(const struct ctx *c, const char *abs)
{
	size_t n;

	if (!c->pydir)
		return 0;
	n = strlen(c->pydir);
	return !strncmp(abs, c->pydir, n) && abs[n] == '/';
}

/* Third-party code: below a packages directory that is not the project. */
static int third_party(const struct ctx *c, const char *abs)
{
	return !c->pydir_is_root && in_pydir(c, abs);
}

/* The cached listing of `abs`; a missing directory lists empty. */
static int list_dir(struct ctx *c, const char *abs,
		    const struct listing **out)
{
	struct listing *l = map_get(&c->listings, abs);
	struct dirent *de;
	char *path = NULL;
	DIR *d = NULL;
	int rc = 0;

	if (l) {
		*out = l;
		return 0;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return oom(c);
	d = opendir(abs);
	if (!d && errno != ENOENT && errno != ENOTDIR) {
		rc = ferry_error_errno(c->err, FERRY_EFAIL, errno,
				       "cannot list '%s'", abs);
		goto out;
	}
	while (d && (de = readdir(d))) {
		struct stat st;
		int is_dir;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type == DT_DIR) {
			is_dir = 1;
		} else if (de->d_type == DT_REG) {
			is_dir = 0;
		} else if (de->d_type == DT_LNK || de->d_type == DT_UNKNOWN) {
			free(path);
			path = ferry_path_join(abs, de->d_name);
			if (!path) {
				rc = oom(c);
				goto out;
			}
			if (stat(path, &st))
				continue;
			if (S_ISDIR(st.st_mode))
				is_dir = 1;
			else if (S_ISREG(st.st_mode))
				is_dir = 0;
			else
				continue;
		} else {
			continue;
		}
		if (l->nr == l->alloc) {
			size_t alloc = l->alloc ? 2 * l->alloc : 16;
			struct lent *items;

			items = realloc(l->items, alloc * sizeof(*items));
			if (!items) {
				rc = oom(c);
				goto out;
			}
			l->items = items;
			l->alloc = alloc;
		}
		l->items[l->nr].name = ferry_strdup(de->d_name);
		if (!l->items[l->nr].name) {
			rc = oom(c);
			goto out;
		}
		l->items[l->nr++].is_dir = is_dir;
	}
	if (l->nr)
		qsort(l->items, l->nr, sizeof(*l->items), cmp_lent);
	if (map_put(&c->listings, abs, l)) {
		rc = oom(c);
		goto out;
	}
	*out = l;
	l = NULL;
out:
	if (d)
		closedir(d);
	free(path);
	listing_free(l);
	return rc;
}

/*
 * Add a file to the trace unless it is there. Sets *index; *added says
 * whether it is new.
 */
static int add_file(struct ctx *c, const char *bundle, const char *abs,
		    long parent, unsigned line, const char *why, long *index,
		    int *added)
{
	void *v = map_get(&c->names, bundle);
	long i;

	*added = 0;
	if (v) {
		*index = (long)((uintptr_t)v - 1);
		return 0;
	}
	if (ferry_trace_add(c->t, bundle, abs, parent, line, why, &i))
		return oom(c);
	if (map_put(&c->names, bundle, (void *)(uintptr_t)(i + 1)))
		return oom(c);
	*index = i;
	*added = 1;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* Compiled code a distribution may load: x.so, x.so.1.2, x.pyd. */
static int is_compiled(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return ends_with(base, ".so") || ends_with(base, ".pyd") ||
	       strstr(base, ".so.") != NULL;
}

static int is_test_dir(const char *name)
{
	return !strcmp(name, "tests") || !strcmp(name, "test");
}

/*
 * 1 if directory entry `file` is a module file of `name`: name.py, or
 * name.<anything>.so / .pyd (name.so, name.cpython-312-x86_64-linux-gnu.so,
 * name.abi3.so).
 */
static int module_file(const char *file, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(file, name, n) || file[n] != '.')
		return 0;
	return !strcmp(file + n, ".py") || ends_with(file + n, ".so") ||
	       ends_with(file + n, ".pyd");
}

/* Push the module files of `name` in listing `l` of dir `abs`/`bundle`. */
static int module_files(struct ctx *c, struct ferry_strvec *abs_out,
			struct ferry_strvec *bundle_out,
			const struct listing *l, const char *abs,
			const char *bundle, const char *name)
{
	size_t i;

	for (i = lower_bound(l, name); i < l->nr; i++) {
		const struct lent *e = &l->items[i];

		if (strncmp(e->name, name, strlen(name)))
			break;
		if (e->is_dir || !module_file(e->name, name))
			continue;
		if (ferry_strvec_push_owned(abs_out,
					    ferry_path_join(abs, e->name)) ||
		    ferry_strvec_push_owned(bundle_out, join(bundle, e->name)))
			return oom(c);
	}
	return 0;
}

enum mkind { M_NONE, M_MODULE, M_PACKAGE, M_NAMESPACE };

/* What one name resolved to on a path. */
struct found {
	enum mkind kind;
	struct ferry_strvec abs;	/* module or __init__ files */
	struct ferry_strvec bundle;	/* their bundle names */
	struct spots sub;		/* a package's __path__ */
};

static void found_release(struct found *f)
{
	ferry_strvec_release(&f->abs);
	ferry_strvec_release(&f->bundle);
	spots_release(&f->sub);
	f->kind = M_NONE;
}

/*
 * Look `name` up on `path` as FileFinder does, entry by entry. f->abs
 * stays empty until a package or module is found, which ends the search.
 */
static int find_module(struct ctx *c, struct found *f, const struct spots *path,
		       const char *name)
{
	const struct listing *l, *cl;
	char *cabs = NULL, *cbundle = NULL;
	size_t i;
	int rc = 0;

	found_release(f);
	for (i = 0; i < path->nr; i++) {
		const struct spot *s = &path->items[i];

		rc = list_dir(c, s->abs, &l);
		if (rc)
			goto out;
		free(cabs);
		free(cbundle);
		cabs = ferry_path_join(s->abs, name);
		cbundle = join(s->bundle, name);
		if (!cabs || !cbundle) {
			rc = oom(c);
			goto out;
		}
		if (has(l, name, 1) &&
		    !(s->third && s->in_pkg && is_test_dir(name))) {
			rc = list_dir(c, cabs, &cl);
			if (!rc)
				rc = module_files(c, &f->abs, &f->bundle, cl,
						  cabs, cbundle, "__init__");
			if (rc)
				goto out;
			if (f->abs.nr) {
				/* a regular package: earlier portions lose */
				spots_release(&f->sub);
				f->kind = M_PACKAGE;
			}
			if (spots_push(&f->sub, cabs, cbundle, s->third, 1)) {
				rc = oom(c);
				goto out;
			}
			if (f->kind == M_PACKAGE)
				goto out;
		}
		rc = module_files(c, &f->abs, &f->bundle, l, s->abs, s->bundle,
				  name);
		if (rc)
			goto out;
		if (f->abs.nr) {
			spots_release(&f->sub);
			f->kind = M_MODULE;
			goto out;
		}
	}
	if (f->sub.nr)
		f->kind = M_NAMESPACE;
out:
	free(cabs);
	free(cbundle);
	return rc;
}

/* Record that distribution `d` owns files under `key`. */
static int own(struct ctx *c, const char *key, size_t d)
{
	struct owners *o = map_get(&c->owners, key);

	if (!o) {
		o = calloc(1, sizeof(*o));
		if (!o || map_put(&c->owners, key, o)) {
			free(o);
			return oom(c);
		}
	}
	if (o->nr && o->v[o->nr - 1] == d)
		return 0;
	if (o->nr == o->alloc) {
		size_t alloc = o->alloc ? 2 * o->alloc : 2;
		size_t *v = realloc(o->v, alloc * sizeof(*v));

		if (!v)
			return oom(c);
		o->v = v;
		o->alloc = alloc;
	}
	o->v[o->nr++] = d;
	return 0;
}

/*
 * The owner keys of a path relative to pydir: "top/second" (precise even
 * in a namespace package shared by distributions) and "top"; a file at the
 * top level is keyed by its module name ("six.py" -> "six").
 */
static int path_keys(struct ferry_buf *k2, struct ferry_buf *k1,
		     const char *path)
{
	const char *slash = strchr(path, '/');

	ferry_buf_reset(k1);
	ferry_buf_reset(k2);
	if (!slash) {
		const char *dot = strchr(path, '.');

		return ferry_buf_add(k1, path,
				     dot ? (size_t)(dot - path) : strlen(path));
	}
	if (ferry_buf_add(k1, path, (size_t)(slash - path)))
		return FERRY_ENOMEM;
	slash = strchr(slash + 1, '/');
	return ferry_buf_add(k2, path,
			     slash ? (size_t)(slash - path) : strlen(path));
}

/* One RECORD line's path (CSV, maybe quoted) into `out`. */
static int record_path(struct ferry_buf *out, const char *p, const char *end)
{
	ferry_buf_reset(out);
	if (p < end && *p == '"') {
		for (p++; p < end; p++) {
			if (*p == '"') {
				if (p + 1 < end && p[1] == '"')
					p++;
				else
					break;
			}
			if (ferry_buf_addch(out, *p))
				return FERRY_ENOMEM;
		}
		return 0;
	}
	while (p < end && *p != ',')
		if (ferry_buf_addch(out, *p++))
			return FERRY_ENOMEM;
	return 0;
}

/* 1 for a RECORD path that is not a package file we could ship. */
static int record_skip(const char *path)
{
	const char *slash = strchr(path, '/');
	size_t top = slash ? (size_t)(slash - path) : strlen(path);

	if (!*path || *path == '/' || !strncmp(path, "../", 3) ||
	    strstr(path, "/../"))
		return 1;
	if (top > 10 && !strncmp(path + top - 10, ".dist-info", 10))
		return 1;
	if (top > 5 && !strncmp(path + top - 5, ".data", 5))
		return 1;
	return !strncmp(path, "__pycache__", top) && top == 11;
}

/* 1 if a path relative to pydir has __pycache__ or a test directory. */
static int record_unwanted(const char *path)
{
	const char *p = path, *slash;
	int depth = 0;

	while ((slash = strchr(p, '/'))) {
		size_t n = (size_t)(slash - p);

		if ((n == 11 && !strncmp(p, "__pycache__", 11)) ||
		    (depth > 0 && ((n == 5 && !strncmp(p, "tests", 5)) ||
				   (n == 4 && !strncmp(p, "test", 4)))))
			return 1;
		depth++;
		p = slash + 1;
	}
	return 0;
}

/*
 * One line of distribution `di`'s RECORD (pass 0) or top_level.txt
 * (pass 1): who owns what, and which compiled files it ships.
 */
static int dist_line(struct ctx *c, size_t di, int pass, const char *p,
		     const char *eol, struct ferry_buf *path)
{
	struct ferry_buf k1 = FERRY_BUF_INIT, k2 = FERRY_BUF_INIT;
	int rc = 0;

	if (pass) {
		ferry_buf_reset(path);
		while (eol > p && (eol[-1] == '\r' || eol[-1] == ' '))
			eol--;
		if (eol == p)
			goto out;
		if (ferry_buf_add(path, p, (size_t)(eol - p)))
			rc = oom(c);
		else
			rc = own(c, path->buf, di);
		goto out;
	}
	if (record_path(path, p, eol)) {
		rc = oom(c);
		goto out;
	}
	if (record_skip(path->buf))
		goto out;
	if (path_keys(&k2, &k1, path->buf)) {
		rc = oom(c);
		goto out;
	}
	if ((k2.len && (rc = own(c, k2.buf, di))) ||
	    (rc = own(c, k1.buf, di)))
		goto out;
	if (is_compiled(path->buf) && !record_unwanted(path->buf) &&
	    ferry_strvec_push(&c->dists[di].compiled, path->buf))
		rc = oom(c);
out:
	ferry_buf_release(&k1);
	ferry_buf_release(&k2);
	return rc;
}

/* Register the distribution of directory `info` (a *.dist-info). */
static int load_dist(struct ctx *c, const char *info)
{
	struct ferry_buf text = FERRY_BUF_INIT, path = FERRY_BUF_INIT;
	const char *p, *end, *eol;
	char *file = NULL;
	struct dist *d;
	size_t di;
	int pass, rc = 0;

	if (c->dists_nr == c->dists_alloc) {
		size_t alloc = c->dists_alloc ? 2 * c->dists_alloc : 16;
		struct dist *v = realloc(c->dists, alloc * sizeof(*v));

		if (!v) {
			rc = oom(c);
			goto out;
		}
		c->dists = v;
		c->dists_alloc = alloc;
	}
	di = c->dists_nr;
	d = &c->dists[di];
	d->info = ferry_strdup(info);
	ferry_strvec_init(&d->compiled);
	d->reached = 0;
	if (!d->info) {
		rc = oom(c);
		goto out;
	}
	c->dists_nr++;
	for (pass = 0; !rc && pass < 2; pass++) {
		free(file);
		file = ferry_xstrfmt("%s/%s/%s", c->pydir, info,
				     pass ? "top_level.txt" : "RECORD");
		if (!file) {
			rc = oom(c);
			break;
		}
		if (!ferry_fs_is_file(file))
			continue;
		ferry_buf_reset(&text);
		rc = ferry_fs_read(&text, file, 0, c->err);
		end = text.buf + text.len;
		for (p = text.buf; !rc && p < end; p = eol + 1) {
			eol = memchr(p, '\n', (size_t)(end - p));
			if (!eol)
				eol = end;
			rc = dist_line(c, di, pass, p, eol, &path);
		}
	}
out:
	free(file);
	ferry_buf_release(&text);
	ferry_buf_release(&path);
	return rc;
}

/* Read the RECORD and top_level.txt of every *.dist-info in pydir. */
static int load_dists(struct ctx *c)
{
	const struct listing *l;
	size_t i;
	int rc = 0;

	if (!c->pydir)
		return 0;
	rc = list_dir(c, c->pydir, &l);
	for (i = 0; !rc && i < l->nr; i++)
		if (l->items[i].is_dir &&
		    ends_with(l->items[i].name, ".dist-info"))
			rc = load_dist(c, l->items[i].name);
	return rc;
}

/*
 * 1 the first time directory `abs` is walked for files (by device and
 * inode: a symlink back up the tree is walked once, not forever).
 */
static int first_walk(struct ctx *c, const char *abs, int *first)
{
	struct stat st;
	char key[64];

	*first = 0;
	if (stat(abs, &st))
		return 0;
	snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	if (map_get(&c->walked, key))
		return 0;
	if (map_put(&c->walked, key, (void *)1))
		return oom(c);
	*first = 1;
	return 0;
}

/* Add every file below `abs` (a .dist-info directory) as `bundle`/... */
static int add_tree(struct ctx *c, const char *abs, const char *bundle,
		    long parent, const char *why)
{
	const struct listing *l;
	char *a = NULL, *b = NULL;
	size_t i;
	long idx;
	int rc, added, first;

	rc = first_walk(c, abs, &first);
	if (rc || !first)
		return rc;
	rc = list_dir(c, abs, &l);
	for (i = 0; !rc && i < l->nr; i++) {
		free(a);
		free(b);
		a = ferry_path_join(abs, l->items[i].name);
		b = join(bundle, l->items[i].name);
		if (!a || !b) {
			rc = oom(c);
			break;
		}
		if (l->items[i].is_dir)
			rc = add_tree(c, a, b, parent, why);
		else
			rc = add_file(c, b, a, parent, 0, why, &idx, &added);
	}
	free(a);
	free(b);
	return rc;
}

/* Keep the .dist-info and compiled files of distribution `di`. */
static int reach_dist(struct ctx *c, size_t di, long parent)
{
	struct dist *d = &c->dists[di];
	char *why = NULL, *abs = NULL, *name = NULL;
	size_t i, n = strlen(d->info) - strlen(".dist-info");
	long idx;
	int rc = 0, added;

	if (d->reached)
		return 0;
	d->reached = 1;
	why = ferry_xstrfmt("metadata of reached distribution '%.*s'", (int)n,
			    d->info);
	abs = ferry_path_join(c->pydir, d->info);
	if (!why || !abs) {
		rc = oom(c);
		goto out;
	}
	rc = add_tree(c, abs, d->info, parent, why);
	if (rc)
		goto out;
	free(why);
	why = ferry_xstrfmt("compiled extension of reached distribution '%.*s'",
			    (int)n, d->info);
	if (!why) {
		rc = oom(c);
		goto out;
	}
	for (i = 0; i < d->compiled.nr; i++) {
		free(abs);
		abs = ferry_path_join(c->pydir, d->compiled.items[i]);
		if (!abs) {
			rc = oom(c);
			goto out;
		}
		if (!ferry_fs_is_file(abs))
			continue;
		rc = add_file(c, d->compiled.items[i], abs, parent, 0, why,
			      &idx, &added);
		if (rc)
			goto out;
	}
out:
	free(why);
	free(abs);
	free(name);
	return rc;
}

/* A file below pydir was reached: reach the distributions owning it. */
static int reach_owner(struct ctx *c, const char *abs, long index)
{
	struct ferry_buf k1 = FERRY_BUF_INIT, k2 = FERRY_BUF_INIT;
	struct owners *o = NULL;
	size_t i;
	int rc = 0;

	if (!in_pydir(c, abs) || !c->dists_nr)
		return 0;
	if (path_keys(&k2, &k1, abs + strlen(c->pydir) + 1)) {
		rc = oom(c);
		goto out;
	}
	if (k2.len)
		o = map_get(&c->owners, k2.buf);
	if (!o)
		o = map_get(&c->owners, k1.buf);
	for (i = 0; o && !rc && i < o->nr; i++)
		rc = reach_dist(c, o->v[i], index);
out:
	ferry_buf_release(&k1);
	ferry_buf_release(&k2);
	return rc;
}

/*
 * Python code, which the import rules cover, and .pyi typing files, which no
 * interpreter loads; everything else is data.
 */
static int is_code(const char *name)
{
	return ends_with(name, ".py") || ends_with(name, ".pyc") ||
	       ends_with(name, ".pyo") || ends_with(name, ".pyi");
}

/*
 * The data files of a reached package: its non-code files, and those of
 * its subdirectories that are not packages (they come when reached).
 */
static int add_data(struct ctx *c, const char *abs, const char *bundle,
		    int third, long parent, const char *why)
{
	const struct listing *l, *cl;
	char *a = NULL, *b = NULL;
	size_t i, j;
	long idx;
	int rc, added, pkg, first;

	rc = first_walk(c, abs, &first);
	if (rc || !first)
		return rc;
	rc = list_dir(c, abs, &l);
	for (i = 0; !rc && i < l->nr; i++) {
		const struct lent *e = &l->items[i];

		if (e->is_dir && (!strcmp(e->name, "__pycache__") ||
				  e->name[0] == '.' ||
				  (third && is_test_dir(e->name))))
			continue;
		if (!e->is_dir && is_code(e->name))
			continue;
		free(a);
		free(b);
		a = ferry_path_join(abs, e->name);
		b = join(bundle, e->name);
		if (!a || !b) {
			rc = oom(c);
			break;
		}
		if (!e->is_dir) {
			rc = add_file(c, b, a, parent, 0, why, &idx, &added);
			continue;
		}
		if (c->pydir && !strcmp(a, c->pydir))
			continue;
		rc = list_dir(c, a, &cl);
		if (rc)
			break;
		pkg = 0;
		for (j = lower_bound(cl, "__init__");
		     j < cl->nr && !strncmp(cl->items[j].name, "__init__", 8);
		     j++)
			if (!cl->items[j].is_dir &&
			    module_file(cl->items[j].name, "__init__"))
				pkg = 1;
		if (!pkg)
			rc = add_data(c, a, b, third, parent, why);
	}
	free(a);
	free(b);
	return rc;
}

/*
 * Add what find_module() found, with the import that brought it; a
 * package brings its data files once.
 */
static int add_found(struct ctx *c, const struct found *f, long parent,
		     unsigned line, const char *why)
{
	char *dwhy = NULL, *dotted = NULL, *p;
	long idx, first = -1;
	size_t i;
	int rc = 0, added;

	for (i = 0; i < f->abs.nr; i++) {
		rc = add_file(c, f->bundle.items[i], f->abs.items[i], parent,
			      line, why, &idx, &added);
		if (rc)
			goto out;
		if (first < 0)
			first = idx;
		if (added && (rc = reach_owner(c, f->abs.items[i], idx)))
			goto out;
	}
	if (f->kind != M_PACKAGE || map_get(&c->packages, f->sub.items[0].abs))
		goto out;
	if (map_put(&c->packages, f->sub.items[0].abs, (void *)1)) {
		rc = oom(c);
		goto out;
	}
	dotted = ferry_strdup(f->sub.items[0].bundle);
	if (!dotted) {
		rc = oom(c);
		goto out;
	}
	for (p = dotted; *p; p++)
		if (*p == '/')
			*p = '.';
	dwhy = ferry_xstrfmt("data file of reached package '%s'", dotted);
	if (!dwhy) {
		rc = oom(c);
		goto out;
	}
	rc = add_data(c, f->sub.items[0].abs, f->sub.items[0].bundle,
		      f->sub.items[0].third, first, dwhy);
out:
	free(dwhy);
	free(dotted);
	return rc;
}

/* The text of an import for `why` and warnings. */
static char *import_text(const struct ferry_py_import *imp)
{
	char dots[64];
	unsigned n = imp->level < sizeof(dots) ? imp->level : sizeof(dots) - 1;

	memset(dots, '.', n);
	dots[n] = '\0';
	switch (imp->kind) {
	case FERRY_PY_IMPORT:
		return ferry_xstrfmt("import %s", imp->module);
	case FERRY_PY_FROM:
		return ferry_xstrfmt("from %s%s import %s", dots, imp->module,
				     imp->name);
	case FERRY_PY_CALL:
		return ferry_xstrfmt("%s('%s%s')", imp->name, dots,
				     imp->module);
	case FERRY_PY_NONLITERAL:
	case FERRY_PY_ALL:
		break;
	}
	return ferry_xstrfmt("%s()", imp->name);
}

/* Strip the last '/' component of `s` in place ("a/b" -> "a", "a" -> ""). */
static void dirname_inplace(char *s)
{
	char *slash = strrchr(s, '/');

	if (slash)
		*slash = '\0';
	else
		*s = '\0';
}

/*
 * `from pkg import *` loads the submodules pkg's __init__.py lists in
 * `__all__`; `path` is the package's __path__.
 */
static int star_import(struct ctx *c, const struct spots *path, long from,
		       unsigned line, const char *why)
{
	struct ferry_buf src = FERRY_BUF_INIT;
	struct ferry_py_lex lx;
	struct found f = { M_NONE, FERRY_STRVEC_INIT, FERRY_STRVEC_INIT,
			   { NULL, 0, 0 } };
	char *init = NULL;
	size_t i;
	int rc = 0;

	ferry_py_lex_init(&lx);
	if (path->nr != 1)
		goto out;	/* a namespace package has no __all__ */
	init = ferry_path_join(path->items[0].abs, "__init__.py");
	if (!init) {
		rc = oom(c);
		goto out;
	}
	if (!ferry_fs_is_file(init))
		goto out;
	rc = ferry_fs_read(&src, init, SOURCE_MAX, c->err);
	if (!rc)
		rc = ferry_py_lex_scan(&lx, src.buf, src.len, c->err);
	for (i = 0; !rc && i < lx.nr; i++) {
		if (lx.items[i].kind != FERRY_PY_ALL)
			continue;
		rc = find_module(c, &f, path, lx.items[i].module);
		if (!rc && f.kind != M_NONE)
			rc = add_found(c, &f, from, line, why);
	}
out:
	found_release(&f);
	ferry_py_lex_release(&lx);
	ferry_buf_release(&src);
	free(init);
	return rc;
}

/* Resolve one import of entry `from` and add what it reaches. */
static int resolve(struct ctx *c, long from, const struct ferry_py_import *imp)
{
	struct spots base = { NULL, 0, 0 };
	const struct spots *path;
	struct found f = { M_NONE, FERRY_STRVEC_INIT, FERRY_STRVEC_INIT,
			   { NULL, 0, 0 } };
	char *why = NULL, *dabs = NULL, *dbundle = NULL, *mod = NULL;
	char *comp, *dot, *shown = NULL, *name = NULL;
	int rc = 0, third = third_party(c, c->t->items[from].source);
	int stdlib = 0;
	unsigned up, line = imp->line;
	int missing = 0;

	/* the trace grows below: keep no pointer into its items */
	why = import_text(imp);
	mod = ferry_strdup(imp->module);
	name = ferry_strdup(c->t->items[from].name);
	if (!why || !mod || !name) {
		rc = oom(c);
		goto out;
	}
	if (imp->level) {
		dabs = ferry_strdup(c->t->items[from].source);
		dbundle = ferry_strdup(name);
		if (!dabs || !dbundle) {
			rc = oom(c);
			goto out;
		}
		dirname_inplace(dabs);
		dirname_inplace(dbundle);
		for (up = 1; up < imp->level; up++) {
			if (!*dbundle) {
				missing = 1;
				goto out;
			}
			dirname_inplace(dabs);
			dirname_inplace(dbundle);
		}
		if (spots_push(&base, dabs, dbundle, third, *dbundle != '\0')) {
			rc = oom(c);
			goto out;
		}
		path = &base;
	} else {
		dot = strchr(mod, '.');
		if (dot)
			*dot = '\0';
		stdlib = is_stdlib(mod);
		if (dot)
			*dot = '.';
		path = stdlib ? &c->project_top : &c->top;
	}
	for (comp = *mod ? mod : NULL; comp; comp = dot ? dot + 1 : NULL) {
		dot = strchr(comp, '.');
		if (dot)
			*dot = '\0';
		rc = find_module(c, &f, path, comp);
		if (dot)
			*dot = '.';
		if (rc)
			goto out;
		if (stdlib && f.kind != M_MODULE && f.kind != M_PACKAGE)
			goto out;
		stdlib = 0;
		if (f.kind == M_NONE) {
			missing = 1;
			goto out;
		}
		rc = add_found(c, &f, from, line, why);
		if (rc)
			goto out;
		/* a.b where a is a module: an attribute set at run time */
		if (f.kind == M_MODULE)
			goto out;
		spots_release(&base);
		base = f.sub;
		f.sub.items = NULL;
		f.sub.nr = f.sub.alloc = 0;
		path = &base;
	}
	if (imp->kind == FERRY_PY_FROM && !strcmp(imp->name, "*")) {
		rc = star_import(c, path, from, line, why);
	} else if (imp->kind == FERRY_PY_FROM) {
		/* `from a import b`: b is a submodule when it exists */
		rc = find_module(c, &f, path, imp->name);
		if (!rc && f.kind != M_NONE)
			rc = add_found(c, &f, from, line, why);
	}
out:
	if (!rc && missing && !third) {
		shown = ferry_xstrfmt("%.*s%s", (int)imp->level,
				      "................................",
				      imp->module);
		if (!shown ||
		    ferry_strvec_pushf(&c->t->warnings,
				       "%s:%u: cannot find module '%s' (%s) in "
				       "the project or the packages directory",
				       name, line, shown, why))
			rc = oom(c);
	}
	free(shown);
	found_release(&f);
	spots_release(&base);
	free(why);
	free(dabs);
	free(dbundle);
	free(mod);
	free(name);
	return rc;
}

/* Read entry `i` (a .py file) and resolve its imports. */
static int scan(struct ctx *c, long i)
{
	struct ferry_buf src = FERRY_BUF_INIT;
	struct ferry_py_lex lx;
	size_t k;
	int rc;

	ferry_py_lex_init(&lx);
	rc = ferry_fs_read(&src, c->t->items[i].source, SOURCE_MAX, c->err);
	if (rc)
		goto out;
	rc = ferry_py_lex_scan(&lx, src.buf, src.len, c->err);
	for (k = 0; !rc && k < lx.nr; k++) {
		const struct ferry_py_import *imp = &lx.items[k];

		if (imp->kind == FERRY_PY_ALL)
			continue;
		if (imp->other_platform) {
			/* functions run on Linux only */
			ferry_debug("trace: %s:%u: import under a platform "
				    "test false on Linux, skipped",
				    c->t->items[i].name, imp->line);
			continue;
		}
		if (imp->kind != FERRY_PY_NONLITERAL) {
			rc = resolve(c, i, imp);
			continue;
		}
		/* third-party code: nothing the user can act on */
		if (third_party(c, c->t->items[i].source)) {
			ferry_debug("trace: %s:%u: %s() of a non-literal",
				    c->t->items[i].name, imp->line, imp->name);
			continue;
		}
		if (ferry_strvec_pushf(&c->t->warnings,
				       "%s:%u: %s() of a non-literal; add the "
				       "modules it loads to package.include",
				       c->t->items[i].name, imp->line,
				       imp->name))
			rc = oom(c);
	}
out:
	ferry_buf_release(&src);
	ferry_py_lex_release(&lx);
	return rc;
}

/* Sort the warnings and drop duplicates. */
static void tidy_warnings(struct ferry_strvec *w)
{
	size_t i, n = 0;

	ferry_strvec_sort(w);
	for (i = 0; i < w->nr; i++) {
		if (n && !strcmp(w->items[n - 1], w->items[i])) {
			free(w->items[i]);
			continue;
		}
		w->items[n++] = w->items[i];
	}
	w->nr = n;
}

/* The data files of package `rel` up to `end` (a package of the handler). */
static int handler_data(struct ctx *c, char *rel, char *end, long parent)
{
	char *abs = NULL, *why = NULL, *p;
	int rc = 0;

	*end = '\0';
	abs = ferry_path_join(c->project, rel);
	why = ferry_xstrfmt("data file of reached package '%s'", rel);
	if (!abs || !why) {
		rc = oom(c);
		goto out;
	}
	for (p = why; *p; p++)
		if (*p == '/')
			*p = '.';
	if (map_get(&c->packages, abs))
		goto out;
	if (map_put(&c->packages, abs, (void *)1)) {
		rc = oom(c);
		goto out;
	}
	rc = add_data(c, abs, rel, 0, parent, why);
out:
	*end = '/';
	free(abs);
	free(why);
	return rc;
}

/*
 * The handler, and the __init__ files of the packages it sits in: Python
 * runs them before it when the handler is imported as "src.api.users".
 */
static int add_handler(struct ctx *c, const struct ferry_function *fn,
		       long *index)
{
	char *abs = NULL, *rel = NULL, *init = NULL, *why = NULL, *p;
	long idx;
	int rc, added;

	abs = ferry_path_join(c->project, fn->handler_file);
	rel = ferry_strdup(fn->handler_file);
	why = ferry_xstrfmt("package of the handler '%s'", fn->handler_file);
	if (!abs || !rel || !why) {
		rc = oom(c);
		goto out;
	}
	if (!ferry_fs_is_file(abs)) {
		rc = ferry_error_set(c->err, FERRY_ENOTFOUND,
				     "handler file '%s' not found",
				     fn->handler_file);
		goto out;
	}
	rc = add_file(c, rel, abs, -1, 0, "handler", index, &added);
	for (p = strchr(rel, '/'); !rc && p; p = strchr(p + 1, '/')) {
		*p = '\0';
		free(init);
		init = ferry_xstrfmt("%s/__init__.py", rel);
		*p = '/';
		if (!init) {
			rc = oom(c);
			break;
		}
		free(abs);
		abs = ferry_path_join(c->project, init);
		if (!abs) {
			rc = oom(c);
			break;
		}
		if (!ferry_fs_is_file(abs))
			continue;
		rc = add_file(c, init, abs, -1, 0, why, &idx, &added);
		if (!rc)
			rc = handler_data(c, rel, p, idx);
	}
out:
	free(abs);
	free(rel);
	free(init);
	free(why);
	return rc;
}

int ferry_trace_python(struct ferry_trace *out, const struct ferry_config *cfg,
		       const struct ferry_function *fn, const char *pydir,
		       struct ferry_error *err)
{
	struct ctx c;
	char *hdir = NULL;
	size_t i, d;
	long handler;
	int rc;

	memset(&c, 0, sizeof(c));
	c.t = out;
	c.project = cfg->dir;
	c.err = err;
	if (pydir) {
		c.pydir = ferry_path_absolute(pydir);
		if (!c.pydir) {
			rc = oom(&c);
			goto out;
		}
		/*
		 * Packages installed into the project itself: its files are
		 * found as project files, the distributions still apply.
		 */
		c.pydir_is_root = !strcmp(c.pydir, cfg->dir);
	}
	hdir = ferry_strdup(fn->handler_file);
	if (!hdir) {
		rc = oom(&c);
		goto out;
	}
	dirname_inplace(hdir);
	if (spots_push(&c.top, cfg->dir, "", 0, 0) ||
	    spots_push(&c.project_top, cfg->dir, "", 0, 0)) {
		rc = oom(&c);
		goto out;
	}
	if (*hdir) {
		char *abs = ferry_path_join(cfg->dir, hdir);

		rc = abs ? spots_push(&c.top, abs, hdir, 0, 0) : FERRY_ENOMEM;
		if (!rc)
			rc = spots_push(&c.project_top, abs, hdir, 0, 0);
		free(abs);
		if (rc) {
			rc = oom(&c);
			goto out;
		}
	}
	if (c.pydir && !c.pydir_is_root &&
	    spots_push(&c.top, c.pydir, "", 1, 0)) {
		rc = oom(&c);
		goto out;
	}
	rc = load_dists(&c);
	if (rc)
		goto out;
	rc = add_handler(&c, fn, &handler);
	if (rc)
		goto out;
	/* breadth first: every .py entry added is scanned once, in order */
	for (i = (size_t)handler; !rc && i < out->nr; i++)
		if (ends_with(out->items[i].name, ".py"))
			rc = scan(&c, (long)i);
	if (!rc)
		tidy_warnings(&out->warnings);
	ferry_debug("trace: %s: %zu files, %zu listings cached", fn->name,
		    out->nr, c.listings.nr);
out:
	free(hdir);
	spots_release(&c.top);
	spots_release(&c.project_top);
	map_release(&c.listings, listing_free);
	map_release(&c.names, NULL);
	map_release(&c.packages, NULL);
	map_release(&c.walked, NULL);
	map_release(&c.owners, owners_free);
	for (d = 0; d < c.dists_nr; d++) {
		free(c.dists[d].info);
		ferry_strvec_release(&c.dists[d].compiled);
	}
	free(c.dists);
	free(c.pydir);
	return rc;
}
