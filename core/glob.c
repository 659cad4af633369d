/*
 * glob.c - gitignore-style matching of relative file paths, used by
 * `package.include` and `package.exclude`. Pure string work: it never
 * touches the file system, allocates nothing and knows nothing of bundles.
 *
 * A pattern that matches a directory matches every file below it, so
 * "node_modules" or "dist/" take whole trees. Unlike git, a later '!'
 * pattern can re-include a single file from such a tree, because the list
 * is evaluated per file.
 */
#include <string.h>

#include "ferry/glob.h"

/* Match a bracket class at `p` (just after '['); advance *pp past ']'. */
static int match_class(const char **pp, char c, int *ok)
{
	const char *p = *pp;
	int negate = 0, hit = 0;
	unsigned char lo, hi;

	if (*p == '!' || *p == '^') {
		negate = 1;
		p++;
	}
	/* A ']' right after '[' or '[!' is a literal member. */
	if (*p == ']') {
		hit |= c == ']';
		p++;
	}
	while (*p && *p != ']') {
		if (*p == '\\' && p[1])
			p++;
		lo = (unsigned char)*p++;
		hi = lo;
		if (*p == '-' && p[1] && p[1] != ']') {
			p++;
			if (*p == '\\' && p[1])
				p++;
			hi = (unsigned char)*p++;
		}
		if ((unsigned char)c >= lo && (unsigned char)c <= hi)
			hit = 1;
	}
	if (*p != ']') {
		*ok = 0; /* unterminated: the pattern matches nothing */
		return 0;
	}
	*pp = p + 1;
	*ok = 1;
	return c != '/' && hit != negate;
}

/*
 * Match `p` against all of `s`. `**` is special only as a whole path
 * component ("**" + "/" or end, at the start or after '/'); elsewhere it
 * behaves like '*'.
 */
static int wildmatch(const char *p, const char *s, const char *pstart)
{
	const char *q;
	int ok;

	while (*p) {
		if (p[0] == '*' && p[1] == '*' &&
		    (p == pstart || p[-1] == '/') &&
		    (p[2] == '/' || p[2] == '\0')) {
			if (p[2] == '\0')
				return 1;
			q = p + 3;
			if (wildmatch(q, s, pstart))
				return 1;
			for (; *s; s++)
				if (*s == '/' && wildmatch(q, s + 1, pstart))
					return 1;
			return 0;
		}
		switch (*p) {
		case '*':
			while (*p == '*')
				p++;
			if (!*p)
				return !strchr(s, '/');
			for (;; s++) {
				if (wildmatch(p, s, pstart))
					return 1;
				if (!*s || *s == '/')
					return 0;
			}
		case '?':
			if (!*s || *s == '/')
				return 0;
			p++;
			s++;
			break;
		case '[':
			if (!*s)
				return 0;
			p++;
			if (!match_class(&p, *s, &ok))
				return 0;
			s++;
			break;
		case '\\':
			if (p[1])
				p++;
			/* fall through */
		default:
			if (*p != *s)
				return 0;
			p++;
			s++;
			break;
		}
	}
	return *s == '\0';
}

/*
 * Match one prepared pattern (no '!', no leading or trailing '/') against
 * `subject`, which is the path itself or one of its leading directories.
 */
static int match_one(const char *pat, size_t patlen, int anchored,
		     const char *subject)
{
	char buf[4096];
	const char *base;

	if (patlen >= sizeof(buf))
		return 0;
	memcpy(buf, pat, patlen);
	buf[patlen] = '\0';
	if (anchored)
		return wildmatch(buf, subject, buf);
	base = strrchr(subject, '/');
	return wildmatch(buf, base ? base + 1 : subject, buf);
}

int ferry_glob_match(const char *pat, const char *path)
{
	char sub[4096];
	size_t patlen, len, i;
	int anchored, dir_only;

	if (!pat || !path)
		return 0;
	patlen = strlen(pat);
	dir_only = patlen && pat[patlen - 1] == '/';
	while (patlen && pat[patlen - 1] == '/')
		patlen--;
	anchored = memchr(pat, '/', patlen) != NULL;
	while (patlen && *pat == '/') {
		pat++;
		patlen--;
	}
	len = strlen(path);
	if (!patlen || !len || len >= sizeof(sub))
		return 0;
	memcpy(sub, path, len + 1);
	/* The file itself, then each leading directory, deepest first. */
	if (!dir_only && match_one(pat, patlen, anchored, sub))
		return 1;
	for (i = len; i > 0; i--) {
		if (sub[i - 1] != '/')
			continue;
		sub[i - 1] = '\0';
		if (i > 1 && match_one(pat, patlen, anchored, sub))
			return 1;
	}
	return 0;
}

int ferry_glob_list_match(const struct ferry_strvec *pats, const char *path)
{
	const char *p;
	size_t i;

	if (!pats)
		return 0;
	for (i = pats->nr; i > 0; i--) {
		p = pats->items[i - 1];
		if (p[0] == '!') {
			if (ferry_glob_match(p + 1, path))
				return 0;
		} else if (p[0] == '\\' && p[1] == '!') {
			if (ferry_glob_match(p + 1, path))
				return 1;
		} else if (ferry_glob_match(p, path)) {
			return 1;
		}
	}
	return 0;
}
