/*
 * vars.c - resolution of ${...} variables in the manifest document: parses
 * variable expressions, evaluates their sources (environment, options,
 * self references, files below the project directory, git HEAD), applies
 * defaults, detects cycles and bounds the work. Every resolved value is
 * memoised by the address of its original node, so aliases and repeated
 * references are resolved once.
 *
 * It does not parse YAML (the manifest supplies a callback), does not
 * validate the schema and never resolves keys.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ferry/buf.h"
#include "ferry/error.h"
#include "ferry/fs.h"
#include "ferry/git.h"
#include "ferry/suggest.h"
#include "ferry/vars.h"

struct memo_ent {
	const json_t *key;	/* borrowed; NULL: free slot */
	json_t *val;		/* owned; NULL while being resolved */
};

struct vframe {
	const json_t *node;	/* borrowed */
	const char *expr;	/* borrowed; variable being evaluated */
	int exprlen;
};

struct file_ent {
	char *path;		/* owned; canonical */
	json_t *doc;		/* owned */
	struct file_ent *next;
};

struct ferry_vars_state {
	json_t *root;		/* borrowed */
	struct memo_ent *memo;
	size_t memo_nr, memo_alloc;
	struct vframe *frames;
	size_t frames_nr, frames_alloc;
	unsigned depth;		/* nested variable evaluations */
	size_t total;		/* bytes produced by interpolation */
	struct file_ent *files;
	int git_state;		/* 0: not read, 1: read, -1: failed */
	struct ferry_git_head git;
	char git_why[FERRY_ERROR_MSG_MAX];
	char *dir_real;		/* owned; realpath of v->dir */
};

static const char *const sources[] = {
	"env", "opt", "self", "file", "git", "stage", "provider", NULL
};

#define SOURCES_LIST "env, opt, self, file, git, stage, provider"

/* Result of evaluating a source that has no value (not an error yet). */
#define UNRESOLVED 1

void ferry_vars_init(struct ferry_vars *v)
{
	memset(v, 0, sizeof(*v));
}

void ferry_vars_release(struct ferry_vars *v)
{
	struct ferry_vars_state *st;
	struct file_ent *f, *next;
	size_t i;

	if (!v || !v->state)
		return;
	st = v->state;
	for (i = 0; i < st->memo_alloc; i++)
		if (st->memo[i].key)
			json_decref(st->memo[i].val);
	free(st->memo);
	free(st->frames);
	for (f = st->files; f; f = next) {
		next = f->next;
		free(f->path);
		json_decref(f->doc);
		free(f);
	}
	ferry_git_head_release(&st->git);
	free(st->dir_real);
	free(st);
	v->state = NULL;
}

/* ---- memo: open addressing keyed by node address ---- */

static size_t ptr_hash(const void *p, size_t mask)
{
	uintptr_t x = (uintptr_t)p;

	x ^= x >> 17;
	x *= (uintptr_t)0x9E3779B97F4A7C15ull;
	x ^= x >> 29;
	return (size_t)x & mask;
}

static struct memo_ent *memo_find(struct ferry_vars_state *st,
				  const json_t *key)
{
	size_t mask, i;

	if (!st->memo_alloc)
		return NULL;
	mask = st->memo_alloc - 1;
	for (i = ptr_hash(key, mask); st->memo[i].key; i = (i + 1) & mask)
		if (st->memo[i].key == key)
			return &st->memo[i];
	return NULL;
}

static int memo_grow(struct ferry_vars_state *st)
{
	size_t n = st->memo_alloc ? st->memo_alloc * 2 : 256, i, j, mask;
	struct memo_ent *m;

	m = calloc(n, sizeof(*m));
	if (!m)
		return FERRY_ENOMEM;
	mask = n - 1;
	for (i = 0; i < st->memo_alloc; i++) {
		if (!st->memo[i].key)
			continue;
		for (j = ptr_hash(st->memo[i].key, mask); m[j].key;
		     j = (j + 1) & mask)
			;
		m[j] = st->memo[i];
	}
	free(st->memo);
	st->memo = m;
	st->memo_alloc = n;
	return 0;
}

/* Insert `key` (not present) with no value yet: "being resolved". */
static int memo_begin(struct ferry_vars_state *st, const json_t *key)
{
	size_t mask, i;

	if ((st->memo_nr + 1) * 2 > st->memo_alloc && memo_grow(st))
		return FERRY_ENOMEM;
	mask = st->memo_alloc - 1;
	for (i = ptr_hash(key, mask); st->memo[i].key; i = (i + 1) & mask)
		;
	st->memo[i].key = key;
	st->memo[i].val = NULL;
	st->memo_nr++;
	return 0;
}

/* Forget an entry that failed (so no stale "being resolved" remains). */
static void memo_remove(struct ferry_vars_state *st, const json_t *key)
{
	struct memo_ent *e = memo_find(st, key);
	size_t mask, i, j;

	if (!e)
		return;
	mask = st->memo_alloc - 1;
	i = (size_t)(e - st->memo);
	json_decref(e->val);
	e->key = NULL;
	e->val = NULL;
	st->memo_nr--;
	/* re-insert the rest of the cluster (linear probing deletion) */
	for (j = (i + 1) & mask; st->memo[j].key; j = (j + 1) & mask) {
		struct memo_ent moved = st->memo[j];
		size_t k;

		st->memo[j].key = NULL;
		st->memo[j].val = NULL;
		for (k = ptr_hash(moved.key, mask); st->memo[k].key;
		     k = (k + 1) & mask)
			;
		st->memo[k] = moved;
	}
}

/* ---- frames: what is being resolved, for positions and cycles ---- */

static int frame_push(struct ferry_vars_state *st, const json_t *node)
{
	if (st->frames_nr == st->frames_alloc) {
		size_t n = st->frames_alloc ? st->frames_alloc * 2 : 32;
		struct vframe *f = realloc(st->frames, n * sizeof(*f));

		if (!f)
			return FERRY_ENOMEM;
		st->frames = f;
		st->frames_alloc = n;
	}
	st->frames[st->frames_nr].node = node;
	st->frames[st->frames_nr].expr = NULL;
	st->frames[st->frames_nr].exprlen = 0;
	st->frames_nr++;
	return 0;
}

/* "file:line:col" of the innermost string with a known position. */
static void where(const struct ferry_vars *v, char *out, size_t outlen)
{
	const struct ferry_vars_state *st = v->state;
	size_t i = st->frames_nr;
	int line = 0, col = 0;

	while (i-- > 0) {
		if (!json_is_string(st->frames[i].node) || !v->where)
			continue;
		v->where(v->data, st->frames[i].node, &line, &col);
		if (line > 0)
			break;
	}
	if (line <= 0) {
		line = 1;
		col = 1;
	}
	snprintf(out, outlen, "%s:%d:%d", v->file ? v->file : "ferry.yaml",
		 line, col);
}

/* Record a FERRY_ECONFIG error prefixed by the current position. */
static int verr(const struct ferry_vars *v, struct ferry_error *err,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int verr(const struct ferry_vars *v, struct ferry_error *err,
		const char *fmt, ...)
{
	char w[512], msg[FERRY_ERROR_MSG_MAX];
	va_list ap;

	where(v, w, sizeof(w));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ferry_error_set(err, FERRY_ECONFIG, "%s: %s", w, msg);
}

/* ---- scalars ---- */

int ferry_vars_scalar_text(struct ferry_buf *out, const struct json_t *cv)
{
	json_t *v = (json_t *)cv;
	char tmp[64];
	int p;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return ferry_buf_add(out, json_string_value(v),
				     json_string_length(v));
	case JSON_INTEGER:
		return ferry_buf_addf(out, "%" JSON_INTEGER_FORMAT,
				      json_integer_value(v));
	case JSON_REAL:
		/* shortest text that reads back as the same double */
		for (p = 1; p <= 17; p++) {
			snprintf(tmp, sizeof(tmp), "%.*g", p,
				 json_real_value(v));
			if (strtod(tmp, NULL) == json_real_value(v))
				break;
		}
		if (!strpbrk(tmp, ".eEn"))
			return ferry_buf_addf(out, "%s.0", tmp);
		return ferry_buf_addstr(out, tmp);
	case JSON_TRUE:
		return ferry_buf_addstr(out, "true");
	case JSON_FALSE:
		return ferry_buf_addstr(out, "false");
	case JSON_NULL:
		return ferry_buf_addstr(out, "null");
	default:
		return FERRY_ECONFIG;
	}
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "a map";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "empty";
	}
}

/* An unquoted default is typed like a plain YAML scalar. */
static json_t *plain_value(const char *s, size_t len)
{
	char tmp[64], *end;
	size_t i = 0;

	if (!len || (len == 4 && !memcmp(s, "null", 4)) ||
	    (len == 1 && s[0] == '~'))
		return json_null();
	if (len == 4 && !memcmp(s, "true", 4))
		return json_true();
	if (len == 5 && !memcmp(s, "false", 5))
		return json_false();
	if (len < sizeof(tmp)) {
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		if (tmp[0] == '-' || tmp[0] == '+')
			i = 1;
		if (tmp[i] >= '0' && tmp[i] <= '9' &&
		    strspn(tmp + i, "0123456789") == len - i) {
			long long n;

			errno = 0;
			n = strtoll(tmp, &end, 10);
			if (!errno && !*end)
				return json_integer(n);
		}
	}
	return json_stringn(s, len);
}

/* ---- expression scanning ---- */

/* Index of the '}' closing the "${" at s[start], or -1. */
static long find_close(const char *s, size_t len, size_t start)
{
	size_t i = start + 2;
	int depth = 1;
	char last = ' ';

	while (i < len) {
		char c = s[i];

		if (c == '$' && i + 1 < len && s[i + 1] == '{') {
			depth++;
			i += 2;
			last = '{';
			continue;
		}
		if (c == '}') {
			if (--depth == 0)
				return (long)i;
		} else if ((c == '\'' || c == '"') && last == ',') {
			const char *q = memchr(s + i + 1, c, len - i - 1);

			if (!q)
				return -1;
			i = (size_t)(q - s) + 1;
			last = c;
			continue;
		}
		if (c != ' ')
			last = c;
		i++;
	}
	return -1;
}

/* Offset of the first top-level ',' of an expression, or len. */
static size_t find_comma(const char *s, size_t len)
{
	int braces = 0, parens = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '$' && i + 1 < len && s[i + 1] == '{') {
			braces++;
			i++;
		} else if (s[i] == '}' && braces) {
			braces--;
		} else if (s[i] == '(') {
			parens++;
		} else if (s[i] == ')' && parens) {
			parens--;
		} else if (s[i] == ',' && !braces && !parens) {
			return i;
		}
	}
	return len;
}

static void trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

static int interpolate(struct ferry_vars *v, const char *s, size_t len,
		       int typed, json_t **out, struct ferry_error *err);
static int resolve_node(struct ferry_vars *v, json_t *node, json_t **out,
			struct ferry_error *err);

/* ---- sources ---- */

/*
 * Walk `path` (dot-separated keys and list indexes) from `root`,
 * resolving strings met on the way, then resolve the value found.
 * UNRESOLVED (reason in `why`) when the path does not exist.
 */
static int lookup(struct ferry_vars *v, json_t *root, const char *path,
		  size_t plen, const char *what, json_t **out,
		  struct ferry_buf *why, struct ferry_error *err)
{
	json_t *cur = json_incref(root), *next = NULL;
	size_t i = 0, seg_end;
	int rc = 0;

	if (!plen) {
		ferry_buf_addf(why, "the path after '%s' is empty", what);
		rc = UNRESOLVED;
		goto out;
	}
	while (i <= plen) {
		const char *seg = path + i;
		size_t slen;
		const char *dot = memchr(seg, '.', plen - i);

		seg_end = dot ? (size_t)(dot - path) : plen;
		slen = seg_end - i;
		if (json_is_string(cur) && strstr(json_string_value(cur), "${")) {
			rc = resolve_node(v, cur, &next, err);
			if (rc)
				goto out;
			json_decref(cur);
			cur = next;
			next = NULL;
		}
		if (json_is_object(cur)) {
			next = json_object_getn(cur, seg, slen);
		} else if (json_is_array(cur) && slen &&
			   strspn(seg, "0123456789") >= slen && slen < 10) {
			char idx[16];

			memcpy(idx, seg, slen);
			idx[slen] = '\0';
			next = json_array_get(cur, strtoul(idx, NULL, 10));
		} else {
			ferry_buf_addf(why, "'%.*s' is inside %s, not a map "
				       "or list", (int)(seg_end), path,
				       type_name(cur));
			rc = UNRESOLVED;
			goto out;
		}
		if (!next) {
			ferry_buf_addf(why, "no '%.*s' in %s", (int)seg_end,
				       path, what);
			rc = UNRESOLVED;
			goto out;
		}
		json_incref(next);
		json_decref(cur);
		cur = next;
		next = NULL;
		i = seg_end + 1;
	}
	rc = resolve_node(v, cur, &next, err);
	if (rc)
		goto out;
	if (json_is_null(next)) {
		json_decref(next);
		ferry_buf_addf(why, "'%.*s' is empty", (int)plen, path);
		rc = UNRESOLVED;
		goto out;
	}
	*out = next;
out:
	json_decref(cur);
	return rc;
}

static int path_escapes(const char *p, size_t len)
{
	long depth = 0;
	size_t i = 0;

	while (i < len) {
		const char *slash = memchr(p + i, '/', len - i);
		size_t end = slash ? (size_t)(slash - p) : len;
		size_t n = end - i;

		if (n == 2 && p[i] == '.' && p[i + 1] == '.') {
			if (--depth < 0)
				return 1;
		} else if (n && !(n == 1 && p[i] == '.')) {
			depth++;
		}
		i = end + 1;
	}
	return 0;
}

static int load_file(struct ferry_vars *v, const char *rel, size_t rlen,
		     json_t **out, struct ferry_buf *why,
		     struct ferry_error *err)
{
	struct ferry_vars_state *st = v->state;
	struct ferry_buf data = FERRY_BUF_INIT;
	struct ferry_error ferr;
	char *name = NULL, *joined = NULL, *real = NULL;
	struct file_ent *f;
	json_t *doc = NULL;
	size_t dl;
	int rc = 0;

	ferry_error_init(&ferr);
	name = strndup(rel, rlen);
	if (!name) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	if (!rlen) {
		rc = verr(v, err, "empty file path in ${file()}; write "
			  "${file(path/to/file.yml)}");
		goto out;
	}
	if (name[0] == '/') {
		rc = verr(v, err, "file path '%s' is absolute; ${file()} reads "
			  "only files inside the project directory, by a "
			  "relative path", name);
		goto out;
	}
	if (path_escapes(name, rlen)) {
		rc = verr(v, err, "file path '%s' leaves the project "
			  "directory; ${file()} reads only files inside it",
			  name);
		goto out;
	}
	joined = ferry_path_join(v->dir ? v->dir : ".", name);
	if (!joined) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	real = realpath(joined, NULL);
	if (!real) {
		ferry_buf_addf(why, "file '%s' not found in the project "
			       "directory", name);
		rc = UNRESOLVED;
		goto out;
	}
	if (!st->dir_real)
		st->dir_real = realpath(v->dir ? v->dir : ".", NULL);
	dl = st->dir_real ? strlen(st->dir_real) : 0;
	if (!st->dir_real ||
	    (strcmp(st->dir_real, "/") &&
	     (strncmp(real, st->dir_real, dl) || real[dl] != '/'))) {
		rc = verr(v, err, "file path '%s' leads outside the project "
			  "directory (through a symbolic link); ${file()} "
			  "reads only files inside it", name);
		goto out;
	}
	for (f = st->files; f; f = f->next) {
		if (!strcmp(f->path, real)) {
			*out = json_incref(f->doc);
			goto out;
		}
	}
	rc = ferry_fs_read(&data, real, FERRY_VARS_MAX_FILE, &ferr);
	if (rc) {
		rc = verr(v, err, "cannot read file '%s' of ${file()}: %s; "
			  "it must be a readable YAML or JSON file of at "
			  "most 16 MiB", name, ferr.msg);
		goto out;
	}
	if (rlen > 5 && !strcmp(name + rlen - 5, ".json")) {
		json_error_t jerr;

		doc = json_loadb(data.buf, data.len,
				 JSON_DECODE_ANY | JSON_REJECT_DUPLICATES |
				 JSON_ALLOW_NUL, &jerr);
		if (!doc) {
			rc = verr(v, err, "file '%s' is not valid JSON "
				  "(%d:%d: %s); fix the file", name,
				  jerr.line, jerr.column, jerr.text);
			goto out;
		}
	} else {
		if (!v->parse_yaml) {
			rc = verr(v, err, "cannot read YAML file '%s'; only "
				  ".json files are supported here", name);
			goto out;
		}
		rc = v->parse_yaml(v->data, name, data.buf, data.len, &doc,
				   &ferr);
		if (rc) {
			rc = verr(v, err, "in file '%s' of ${file()}: %s",
				  name, ferr.msg);
			goto out;
		}
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	f->path = real;
	real = NULL;
	f->doc = doc;
	f->next = st->files;
	st->files = f;
	*out = json_incref(doc);
	doc = NULL;
out:
	if (rc == FERRY_ENOMEM)
		ferry_error_set(err, rc, "out of memory");
	json_decref(doc);
	ferry_buf_release(&data);
	free(name);
	free(joined);
	free(real);
	return rc;
}

static int git_value(struct ferry_vars *v, const char *what, json_t **out,
		     struct ferry_buf *why, struct ferry_error *err)
{
	struct ferry_vars_state *st = v->state;

	if (!st->git_state) {
		struct ferry_error gerr;

		ferry_error_init(&gerr);
		if (ferry_git_head(&st->git, v->dir ? v->dir : ".", &gerr)) {
			st->git_state = -1;
			snprintf(st->git_why, sizeof(st->git_why), "%s",
				 gerr.msg);
		} else {
			st->git_state = 1;
		}
	}
	if (st->git_state < 0) {
		ferry_buf_addstr(why, st->git_why);
		return UNRESOLVED;
	}
	if (!strcmp(what, "sha")) {
		*out = json_string(st->git.sha);
	} else if (!st->git.branch) {
		ferry_buf_addstr(why, "HEAD is detached (no branch)");
		return UNRESOLVED;
	} else {
		*out = json_string(st->git.branch);
	}
	if (!*out)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	return 0;
}

static int provider_value(struct ferry_vars *v, json_t **out,
			  struct ferry_buf *why, struct ferry_error *err)
{
	int rc;

	if (v->provider) {
		*out = json_string(v->provider);
		return *out ? 0 : ferry_error_set(err, FERRY_ENOMEM,
						  "out of memory");
	}
	rc = lookup(v, v->state->root, "provider", 8, "the manifest", out,
		    why, err);
	if (rc == UNRESOLVED) {
		*out = json_string("local");
		return *out ? 0 : ferry_error_set(err, FERRY_ENOMEM,
						  "out of memory");
	}
	return rc;
}

/*
 * Evaluate the address of one variable ("env:NAME", "file(x):a"...).
 * 0 with *out set, UNRESOLVED with a reason in `why`, or an error.
 */
static int eval_source(struct ferry_vars *v, const char *a, size_t alen,
		       const char *full, int fulllen, json_t **out,
		       struct ferry_buf *why, struct ferry_error *err)
{
	const char *colon = memchr(a, ':', alen);
	const char *paren = memchr(a, '(', alen);
	size_t slen = colon ? (size_t)(colon - a) : alen;
	const char *arg = colon ? colon + 1 : NULL;
	size_t arglen = colon ? alen - slen - 1 : 0;
	char src[32];

	if (paren && (!colon || paren < colon))
		slen = (size_t)(paren - a);
	if (slen >= sizeof(src))
		slen = sizeof(src) - 1;
	memcpy(src, a, slen);
	src[slen] = '\0';
	if (arg)
		trim(&arg, &arglen);

	if (!strcmp(src, "file")) {
		const char *close;
		const char *p;
		size_t plen;
		json_t *doc = NULL;
		int rc;

		if (!paren || !(close = memchr(paren, ')', alen - slen))) {
			return verr(v, err, "malformed file variable '%.*s'; "
				    "write ${file(path)} or ${file(path):a.b}",
				    fulllen, full);
		}
		p = paren + 1;
		plen = (size_t)(close - p);
		trim(&p, &plen);
		if (close + 1 < a + alen && close[1] != ':') {
			return verr(v, err, "malformed file variable '%.*s'; "
				    "write ${file(path)} or ${file(path):a.b}",
				    fulllen, full);
		}
		rc = load_file(v, p, plen, &doc, why, err);
		if (rc)
			return rc;
		if (close + 1 < a + alen) {
			const char *sub = close + 2;
			size_t sublen = (size_t)(a + alen - sub);
			char what[300];

			trim(&sub, &sublen);
			snprintf(what, sizeof(what), "file '%.*s'", (int)plen,
				 p);
			rc = lookup(v, doc, sub, sublen, what, out, why, err);
		} else {
			rc = resolve_node(v, doc, out, err);
		}
		json_decref(doc);
		return rc;
	}
	if (paren && (!colon || paren < colon))
		goto unknown;
	if (!strcmp(src, "env")) {
		char *name;
		const char *val;

		if (!arg || !arglen)
			return verr(v, err, "variable '%.*s' has no name; "
				    "write ${env:NAME}", fulllen, full);
		name = strndup(arg, arglen);
		if (!name)
			return ferry_error_set(err, FERRY_ENOMEM,
					       "out of memory");
		val = getenv(name);
		if (!val) {
			ferry_buf_addf(why, "environment variable '%s' is not "
				       "set", name);
			free(name);
			return UNRESOLVED;
		}
		free(name);
		*out = json_string(val);
		if (!*out)	/* not UTF-8: keep what can be kept */
			*out = json_string_nocheck(val);
		return 0;
	}
	if (!strcmp(src, "opt")) {
		if (arg && arglen == 5 && !memcmp(arg, "stage", 5)) {
			*out = json_string(v->stage ? v->stage : "dev");
			return 0;
		}
		if (arg && arglen == 8 && !memcmp(arg, "provider", 8))
			return provider_value(v, out, why, err);
		return verr(v, err, "unknown option '%.*s' in '%.*s'; allowed: "
			    "${opt:stage}, ${opt:provider}", (int)arglen,
			    arg ? arg : "", fulllen, full);
	}
	if (!strcmp(src, "stage") || !strcmp(src, "provider")) {
		if (arg)
			return verr(v, err, "'%.*s' takes no argument; write "
				    "${%s}", fulllen, full, src);
		if (src[0] == 's') {
			*out = json_string(v->stage ? v->stage : "dev");
			return 0;
		}
		return provider_value(v, out, why, err);
	}
	if (!strcmp(src, "self")) {
		if (!arg || !arglen)
			return verr(v, err, "variable '%.*s' has no path; "
				    "write ${self:a.b.c}", fulllen, full);
		return lookup(v, v->state->root, arg, arglen, "the manifest",
			      out, why, err);
	}
	if (!strcmp(src, "git")) {
		if (arg && arglen == 3 && !memcmp(arg, "sha", 3))
			return git_value(v, "sha", out, why, err);
		if (arg && arglen == 6 && !memcmp(arg, "branch", 6))
			return git_value(v, "branch", out, why, err);
		return verr(v, err, "unknown git value '%.*s' in '%.*s'; "
			    "allowed: ${git:sha}, ${git:branch}", (int)arglen,
			    arg ? arg : "", fulllen, full);
	}
unknown:
	{
		const char *s = ferry_suggest(src, sources);

		if (s)
			return verr(v, err, "unknown variable source '%s' in "
				    "'%.*s'; allowed: " SOURCES_LIST
				    " (did you mean '%s'?)", src, fulllen,
				    full, s);
		return verr(v, err, "unknown variable source '%s' in '%.*s'; "
			    "allowed: " SOURCES_LIST " (write '$%.*s' for a "
			    "literal text)", src, fulllen, full, fulllen,
			    full);
	}
}

/* Evaluate one "${...}"; `full` spans it, `e`/`elen` its inside. */
static int eval_var(struct ferry_vars *v, const char *full, int fulllen,
		    json_t **out, struct ferry_error *err)
{
	struct ferry_vars_state *st = v->state;
	struct ferry_buf why = FERRY_BUF_INIT;
	const char *e = full + 2, *addr, *def = NULL;
	size_t elen = (size_t)fulllen - 3, alen, dlen = 0, comma;
	json_t *addr_val = NULL;
	struct vframe *top;
	const char *saved_expr = NULL;
	int saved_len = 0, rc;

	if (st->depth >= FERRY_VARS_MAX_DEPTH)
		return verr(v, err, "variables nest more than %d levels deep "
			    "at '%.*s'; simplify the references",
			    FERRY_VARS_MAX_DEPTH, fulllen, full);
	st->depth++;
	top = st->frames_nr ? &st->frames[st->frames_nr - 1] : NULL;
	if (top) {
		saved_expr = top->expr;
		saved_len = top->exprlen;
		top->expr = full;
		top->exprlen = fulllen;
	}
	comma = find_comma(e, elen);
	addr = e;
	alen = comma;
	trim(&addr, &alen);
	if (comma < elen) {
		def = e + comma + 1;
		dlen = elen - comma - 1;
		trim(&def, &dlen);
	}
	if (!alen) {
		rc = verr(v, err, "empty variable '%.*s'; write "
			  "${source:name}, sources: " SOURCES_LIST, fulllen,
			  full);
		goto out;
	}
	if (memmem(addr, alen, "${", 2)) {
		rc = interpolate(v, addr, alen, 0, &addr_val, err);
		if (rc)
			goto out;
		addr = json_string_value(addr_val);
		alen = json_string_length(addr_val);
	}
	rc = eval_source(v, addr, alen, full, fulllen, out, &why, err);
	if (rc == UNRESOLVED) {
		if (def) {
			if (dlen >= 2 && (def[0] == '\'' || def[0] == '"') &&
			    def[dlen - 1] == def[0])
				rc = interpolate(v, def + 1, dlen - 2, 0, out,
						 err);
			else
				rc = interpolate(v, def, dlen, 1, out, err);
		} else {
			rc = verr(v, err, "variable '%.*s' is unresolved (%s); "
				  "set it or give a default: '${%.*s, value}'",
				  fulllen, full, why.buf, (int)alen, addr);
		}
	}
out:
	if (top) {
		/* frames may have moved: find ours again by depth */
		top = &st->frames[st->frames_nr - 1];
		top->expr = saved_expr;
		top->exprlen = saved_len;
	}
	st->depth--;
	json_decref(addr_val);
	ferry_buf_release(&why);
	return rc;
}

/*
 * Resolve the text s[0..len): one whole variable keeps its value's type;
 * anything else becomes a string. With `typed`, a text without variables
 * is typed like a plain YAML scalar.
 */
static int interpolate(struct ferry_vars *v, const char *s, size_t len,
		       int typed, json_t **out, struct ferry_error *err)
{
	struct ferry_vars_state *st = v->state;
	struct ferry_buf b = FERRY_BUF_INIT;
	size_t i = 0;
	int rc = 0, had_var = 0;

	if (len >= 3 && s[0] == '$' && s[1] == '{' &&
	    find_close(s, len, 0) == (long)len - 1)
		return eval_var(v, s, (int)len, out, err);
	while (i < len) {
		long close;
		json_t *val = NULL;

		if (s[i] != '$') {
			const char *d = memchr(s + i, '$', len - i);
			size_t n = d ? (size_t)(d - (s + i)) : len - i;

			if (ferry_buf_add(&b, s + i, n))
				goto nomem;
			i += n;
			continue;
		}
		if (i + 2 < len && s[i + 1] == '$' && s[i + 2] == '{') {
			/* "$${" is a literal "${" */
			if (ferry_buf_add(&b, "${", 2))
				goto nomem;
			i += 3;
			continue;
		}
		if (i + 1 >= len || s[i + 1] != '{') {
			if (ferry_buf_addch(&b, '$'))
				goto nomem;
			i++;
			continue;
		}
		close = find_close(s, len, i);
		if (close < 0) {
			rc = verr(v, err, "unterminated variable '%.*s' (no "
				  "closing '}'); write ${source:name}, or "
				  "'$${' for a literal '${'",
				  (int)(len - i > 60 ? 60 : len - i), s + i);
			goto out;
		}
		had_var = 1;
		rc = eval_var(v, s + i, (int)((size_t)close - i + 1), &val,
			      err);
		if (rc)
			goto out;
		rc = ferry_vars_scalar_text(&b, val);
		if (rc == FERRY_ECONFIG) {
			rc = verr(v, err, "variable '%.*s' is %s and cannot be "
				  "part of a longer string; use it as the "
				  "whole value", (int)((size_t)close - i + 1),
				  s + i, type_name(val));
		}
		json_decref(val);
		if (rc)
			goto out;
		if (b.len > FERRY_VARS_MAX_STRING) {
			rc = verr(v, err, "a resolved string is longer than %u "
				  "bytes; variables may expand to at most that",
				  FERRY_VARS_MAX_STRING);
			goto out;
		}
		i = (size_t)close + 1;
	}
	st->total += b.len;
	if (st->total > FERRY_VARS_MAX_TOTAL) {
		rc = verr(v, err, "variables expand to more than %u bytes in "
			  "total; reduce repeated references",
			  FERRY_VARS_MAX_TOTAL);
		goto out;
	}
	if (typed && !had_var)
		*out = plain_value(b.buf, b.len);
	else
		*out = json_stringn_nocheck(b.buf, b.len);
	if (!*out)
		goto nomem;
	goto out;
nomem:
	rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
out:
	ferry_buf_release(&b);
	return rc;
}

static int cycle_error(struct ferry_vars *v, const json_t *node,
		       struct ferry_error *err)
{
	struct ferry_vars_state *st = v->state;
	struct ferry_buf chain = FERRY_BUF_INIT;
	size_t i = st->frames_nr, first = 0, n = 0;
	int rc;

	while (i-- > 0) {
		if (st->frames[i].node == node) {
			first = i;
			break;
		}
	}
	for (i = first; i < st->frames_nr; i++) {
		if (!st->frames[i].expr)
			continue;
		ferry_buf_addf(&chain, "%s%.*s", n++ ? " -> " : "",
			       st->frames[i].exprlen, st->frames[i].expr);
	}
	for (i = first; i < st->frames_nr; i++) {
		if (st->frames[i].expr) {
			ferry_buf_addf(&chain, " -> %.*s",
				       st->frames[i].exprlen,
				       st->frames[i].expr);
			break;
		}
	}
	rc = verr(v, err, "variable cycle: %s; a value cannot depend on "
		  "itself", chain.buf);
	ferry_buf_release(&chain);
	return rc;
}

/* Fully resolve `node` (memoised); *out is a new reference. */
static int resolve_node(struct ferry_vars *v, json_t *node, json_t **out,
			struct ferry_error *err)
{
	struct ferry_vars_state *st = v->state;
	struct memo_ent *e;
	json_t *res = NULL, *child, *rchild = NULL;
	int rc = 0, changed = 0;

	switch (json_typeof(node)) {
	case JSON_STRING:
		if (!memmem(json_string_value(node), json_string_length(node),
			    "${", 2)) {
			*out = json_incref(node);
			return 0;
		}
		break;
	case JSON_OBJECT:
	case JSON_ARRAY:
		break;
	default:
		*out = json_incref(node);
		return 0;
	}
	e = memo_find(st, node);
	if (e) {
		if (!e->val)
			return cycle_error(v, node, err);
		*out = json_incref(e->val);
		return 0;
	}
	if (memo_begin(st, node) || frame_push(st, node))
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");

	if (json_is_string(node)) {
		rc = interpolate(v, json_string_value(node),
				 json_string_length(node), 0, &res, err);
	} else if (json_is_object(node)) {
		const char *key;
		size_t klen;

		json_object_keylen_foreach(node, key, klen, child) {
			rc = resolve_node(v, child, &rchild, err);
			if (rc)
				break;
			if (rchild != child && !changed) {
				/* copy the keys before this one */
				const char *k2;
				size_t k2len;
				json_t *c2;

				changed = 1;
				res = json_object();
				if (!res)
					goto nomem;
				json_object_keylen_foreach(node, k2, k2len,
							   c2) {
					if (k2 == key)
						break;
					if (json_object_setn(res, k2, k2len,
							     c2))
						goto nomem;
				}
			}
			if (changed &&
			    json_object_setn_new(res, key, klen, rchild)) {
				rchild = NULL;
				goto nomem;
			}
			if (!changed)
				json_decref(rchild);
			rchild = NULL;
		}
		if (!rc && !changed)
			res = json_incref(node);
	} else {
		size_t idx;

		json_array_foreach(node, idx, child) {
			rc = resolve_node(v, child, &rchild, err);
			if (rc)
				break;
			if (rchild != child && !changed) {
				size_t j;

				changed = 1;
				res = json_array();
				if (!res)
					goto nomem;
				for (j = 0; j < idx; j++)
					if (json_array_append(res,
						json_array_get(node, j)))
						goto nomem;
			}
			if (changed && json_array_append_new(res, rchild)) {
				rchild = NULL;
				goto nomem;
			}
			if (!changed)
				json_decref(rchild);
			rchild = NULL;
		}
		if (!rc && !changed)
			res = json_incref(node);
	}
	goto done;
nomem:
	rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
done:
	st->frames_nr--;
	if (rc) {
		json_decref(res);
		memo_remove(st, node);
		return rc;
	}
	e = memo_find(st, node);
	e->val = json_incref(res);
	*out = res;
	return 0;
}

int ferry_vars_resolve(struct json_t **out, struct ferry_vars *v,
		       struct json_t *doc, struct ferry_error *err)
{
	json_t *res = NULL;
	int rc;

	if (v->state)
		return ferry_error_set(err, FERRY_EFAIL,
				       "variables already resolved");
	v->state = calloc(1, sizeof(*v->state));
	if (!v->state)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	v->state->root = doc;
	rc = resolve_node(v, doc, &res, err);
	if (rc)
		return rc;
	*out = res;
	return 0;
}
