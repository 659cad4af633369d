/*
 * js_lex.c - a JavaScript lexer that reports where a source loads other
 * modules: require('x'), require.resolve('x'), import ... from 'x',
 * export ... from 'x', import 'x' and import('x'), plus the require( and
 * import( calls whose argument is not a literal.
 *
 * It splits the whole source into tokens (skipping comments and white
 * space, decoding nothing yet) and then matches the import forms on the
 * token list. A `/` starts a regular expression or is a division depending
 * on the previous token, as in every practical JavaScript tokenizer. It does
 * not parse: a local function called `require` is taken for the real one
 * (the Node tracer then only adds a file that exists), and JSX or
 * TypeScript syntax is not understood.
 */
#include <stdlib.h>
#include <string.h>

#include "ferry/error.h"
#include "js_lex.h"

enum tok_type {
	T_NAME,		/* identifier or keyword */
	T_PUNCT,
	T_STRING,	/* '...' or "..." */
	T_TEMPLATE,	/* `...` without substitutions */
	T_TEMPLATE_HEAD,	/* `...${ */
	T_TEMPLATE_REST,	/* }...${ or }...` */
	T_NUMBER,
	T_REGEX,
};

struct tok {
	enum tok_type type;
	size_t off;	/* in the source */
	size_t len;
	unsigned line;
};

struct toks {
	struct tok *items;
	size_t nr;
	size_t alloc;
};

void ferry_js_sites_init(struct ferry_js_sites *s)
{
	s->items = NULL;
	s->nr = 0;
	s->alloc = 0;
}

void ferry_js_sites_release(struct ferry_js_sites *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nr; i++)
		free(s->items[i].spec);
	free(s->items);
	ferry_js_sites_init(s);
}

int ferry_js_form_is_require(enum ferry_js_form form)
{
	return form == FERRY_JS_REQUIRE || form == FERRY_JS_REQUIRE_RESOLVE;
}

int ferry_js_site_describe(struct ferry_buf *out,
			   const struct ferry_js_site *site)
{
	const char *s = site->spec ? site->spec : "...";

	switch (site->form) {
	case FERRY_JS_REQUIRE:
		return ferry_buf_addf(out, "require('%s')", s);
	case FERRY_JS_REQUIRE_RESOLVE:
		return ferry_buf_addf(out, "require.resolve('%s')", s);
	case FERRY_JS_IMPORT_FROM:
		return ferry_buf_addf(out, "import ... from '%s'", s);
	case FERRY_JS_EXPORT_FROM:
		return ferry_buf_addf(out, "export ... from '%s'", s);
	case FERRY_JS_IMPORT_BARE:
		return ferry_buf_addf(out, "import '%s'", s);
	case FERRY_JS_IMPORT_DYNAMIC:
		return ferry_buf_addf(out, "import('%s')", s);
	}
	return 0;
}

static int push_tok(struct toks *v, enum tok_type type, size_t off,
		    size_t len, unsigned line)
{
	if (v->nr == v->alloc) {
		size_t alloc = v->alloc ? v->alloc * 2 : 256;
		struct tok *items = realloc(v->items, alloc * sizeof(*items));

		if (!items)
			return FERRY_ENOMEM;
		v->items = items;
		v->alloc = alloc;
	}
	v->items[v->nr].type = type;
	v->items[v->nr].off = off;
	v->items[v->nr].len = len;
	v->items[v->nr].line = line;
	v->nr++;
	return 0;
}

static int is_name_start(unsigned char c)
{
	/* (c | 0x20) folds A-Z onto a-z */
	return (unsigned char)((c | 0x20) - 'a') < 26 || c == '_' ||
	       c == '$' || c >= 0x80 || c == '\\';
}

static int is_name_char(unsigned char c)
{
	return is_name_start(c) || (unsigned char)(c - '0') < 10;
}

static int tok_is(const char *src, const struct tok *t, const char *s)
{
	/* the first byte rules out almost every token cheaply */
	if (src[t->off] != s[0])
		return 0;
	return t->len == strlen(s) && !memcmp(src + t->off, s, t->len);
}

/* Keywords after which an expression (so a regex) starts. */
static int keyword_before_expr(const char *src, const struct tok *t)
{
	static const char *const kw[] = {
		"return", "typeof", "instanceof", "in", "of", "new", "delete",
		"void", "throw", "case", "do", "else", "yield", "await",
		"extends", NULL
	};
	size_t i;

	for (i = 0; kw[i]; i++)
		if (tok_is(src, t, kw[i]))
			return 1;
	return 0;
}

/* Can a '/' after the tokens so far start a regular expression? */
static int regex_allowed(const char *src, const struct toks *v)
{
	const struct tok *t;

	if (!v->nr)
		return 1;
	t = &v->items[v->nr - 1];
	switch (t->type) {
	case T_NAME:
		/* `a.return / 2`: a property name, not a keyword. */
		if (v->nr >= 2 && tok_is(src, &v->items[v->nr - 2], "."))
			return 0;
		return keyword_before_expr(src, t);
	case T_NUMBER:
	case T_STRING:
	case T_TEMPLATE:
	case T_REGEX:
		return 0;
	case T_TEMPLATE_HEAD:
		return 1;
	case T_TEMPLATE_REST:
		/* `...${ opens code; a closing backquote ends an operand. */
		return src[t->off + t->len - 1] == '{';
	case T_PUNCT:
		return !(tok_is(src, t, ")") || tok_is(src, t, "]") ||
			 tok_is(src, t, "++") || tok_is(src, t, "--"));
	}
	return 1;
}

/*
 * Scan template characters from `*ip` (just after ` or }) up to and
 * including the closing ` or the `${`. Returns 1 when it stopped at `${`.
 */
static int scan_template(const char *src, size_t len, size_t *ip,
			 unsigned *line)
{
	size_t i = *ip;

	while (i < len) {
		char c = src[i];

		if (c == '\\' && i + 1 < len) {
			if (src[i + 1] == '\n')
				(*line)++;
			i += 2;
			continue;
		}
		if (c == '\n')
			(*line)++;
		if (c == '`') {
			*ip = i + 1;
			return 0;
		}
		if (c == '$' && i + 1 < len && src[i + 1] == '{') {
			*ip = i + 2;
			return 1;
		}
		i++;
	}
	*ip = len;
	return 0;
}

static const char *const puncts[] = {
	">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=",
	"?\?=", "=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++",
	"--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<", ">>", "**",
	NULL
};

static size_t punct_len(const char *src, size_t len, size_t i)
{
	size_t k, n;

	if (!strchr("=!<>&|?*+-%^./", src[i]) || i + 1 >= len)
		return 1;
	for (k = 0; puncts[k]; k++) {
		if (puncts[k][0] != src[i])
			continue;
		n = strlen(puncts[k]);
		if (i + n <= len && !memcmp(src + i, puncts[k], n)) {
			/* `a?.5:b` is a conditional, not optional chaining. */
			if (!strcmp(puncts[k], "?.") && i + 2 < len &&
			    src[i + 2] >= '0' && src[i + 2] <= '9')
				continue;
			return n;
		}
	}
	return 1;
}

static int tokenize(struct toks *v, const char *src, size_t len)
{
	/* One byte per open brace: 'c' code block, 't' template `${`. */
	char *braces = NULL;
	size_t nbraces = 0, abraces = 0;
	size_t i = 0, start;
	unsigned line = 1;
	int ret = 0;

	/* a UTF-8 byte order mark, then a hashbang line */
	if (len >= 3 && !memcmp(src, "\xef\xbb\xbf", 3))
		i = 3;
	if (len >= i + 2 && src[i] == '#' && src[i + 1] == '!')
		while (i < len && src[i] != '\n')
			i++;
	while (i < len) {
		unsigned char c = (unsigned char)src[i];

		start = i;
		if (c == '\n') {
			line++;
			i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
		    c == '\v') {
			i++;
			continue;
		}
		if (c == '/' && i + 1 < len && src[i + 1] == '/') {
			while (i < len && src[i] != '\n')
				i++;
			continue;
		}
		if (c == '/' && i + 1 < len && src[i + 1] == '*') {
			i += 2;
			while (i < len && !(src[i] == '*' && i + 1 < len &&
					    src[i + 1] == '/')) {
				if (src[i] == '\n')
					line++;
				i++;
			}
			i = i < len ? i + 2 : len;
			continue;
		}
		if (c == '\'' || c == '"') {
			unsigned l0 = line;

			i++;
			while (i < len && src[i] != (char)c && src[i] != '\n') {
				if (src[i] == '\\' && i + 1 < len) {
					if (src[i + 1] == '\n')
						line++;
					i++;
				}
				i++;
			}
			if (i < len && src[i] == (char)c)
				i++;
			ret = push_tok(v, T_STRING, start, i - start, l0);
			if (ret)
				goto out;
			continue;
		}
		if (c == '`') {
			unsigned l0 = line;
			int sub;

			i++;
			sub = scan_template(src, len, &i, &line);
			ret = push_tok(v, sub ? T_TEMPLATE_HEAD : T_TEMPLATE,
				       start, i - start, l0);
			if (ret)
				goto out;
			if (sub)
				goto open_template;
			continue;
		}
		if (c == '}' && nbraces && braces[nbraces - 1] == 't') {
			unsigned l0 = line;
			int sub;

			nbraces--;
			i++;
			sub = scan_template(src, len, &i, &line);
			ret = push_tok(v, T_TEMPLATE_REST, start, i - start, l0);
			if (ret)
				goto out;
			if (sub)
				goto open_template;
			continue;
		}
		if (c == '/' && regex_allowed(src, v)) {
			int in_class = 0;

			i++;
			while (i < len && src[i] != '\n') {
				if (src[i] == '\\' && i + 1 < len &&
				    src[i + 1] != '\n') {
					i += 2;
					continue;
				}
				if (src[i] == '[')
					in_class = 1;
				else if (src[i] == ']')
					in_class = 0;
				else if (src[i] == '/' && !in_class)
					break;
				i++;
			}
			if (i < len && src[i] == '/')
				i++;
			while (i < len && is_name_char((unsigned char)src[i]))
				i++;
			ret = push_tok(v, T_REGEX, start, i - start, line);
			if (ret)
				goto out;
			continue;
		}
		if ((c >= '0' && c <= '9') ||
		    (c == '.' && i + 1 < len && src[i + 1] >= '0' &&
		     src[i + 1] <= '9')) {
			i++;
			while (i < len) {
				char d = src[i];

				if ((d == '+' || d == '-') &&
				    (src[i - 1] == 'e' || src[i - 1] == 'E') &&
				    !(src[start] == '0' && start + 1 < len &&
				      (src[start + 1] == 'x' ||
				       src[start + 1] == 'X'))) {
					i++;
					continue;
				}
				if (!is_name_char((unsigned char)d) && d != '.')
					break;
				i++;
			}
			ret = push_tok(v, T_NUMBER, start, i - start, line);
			if (ret)
				goto out;
			continue;
		}
		if (is_name_start(c) ||
		    (c == '#' && i + 1 < len &&
		     is_name_start((unsigned char)src[i + 1]))) {
			i++;
			while (i < len && is_name_char((unsigned char)src[i])) {
				/* \u escapes (four hex digits) inside identifiers */
				if (src[i] == '\\' && i + 1 < len)
					i++;
				i++;
			}
			ret = push_tok(v, T_NAME, start, i - start, line);
			if (ret)
				goto out;
			continue;
		}
		/* punctuator */
		i += punct_len(src, len, i);
		ret = push_tok(v, T_PUNCT, start, i - start, line);
		if (ret)
			goto out;
		if (c == '{' || c == '}') {
			if (c == '}') {
				if (nbraces)
					nbraces--;
				continue;
			}
			if (nbraces == abraces) {
				size_t a = abraces ? abraces * 2 : 32;
				char *b = realloc(braces, a);

				if (!b) {
					ret = FERRY_ENOMEM;
					goto out;
				}
				braces = b;
				abraces = a;
			}
			braces[nbraces++] = 'c';
		}
		continue;
open_template:
		if (nbraces == abraces) {
			size_t a = abraces ? abraces * 2 : 32;
			char *b = realloc(braces, a);

			if (!b) {
				ret = FERRY_ENOMEM;
				goto out;
			}
			braces = b;
			abraces = a;
		}
		braces[nbraces++] = 't';
	}
out:
	free(braces);
	return ret;
}

/* Decode the body of a string or plain template token into a new string. */
static char *decode(const char *src, const struct tok *t)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	const char *p = src + t->off + 1;
	const char *end = src + t->off + t->len;
	char q = src[t->off];

	if (end > p && end[-1] == q)
		end--;
	while (p < end) {
		unsigned long cp;
		int k, h;

		if (*p != '\\' || p + 1 >= end) {
			if (ferry_buf_addch(&b, *p++))
				goto fail;
			continue;
		}
		p++;
		switch (*p) {
		case 'n':
			cp = '\n';
			break;
		case 't':
			cp = '\t';
			break;
		case 'r':
			cp = '\r';
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'v':
			cp = '\v';
			break;
		case '0':
			cp = 0;
			break;
		case '\n':
			p++;
			continue;
		case 'x':
			cp = 0;
			for (k = 1; k <= 2 && p + k < end &&
				    (h = ferry_hex_digit((unsigned char)p[k])) >= 0; k++)
				cp = cp * 16 + (unsigned long)h;
			p += k - 1;
			break;
		case 'u':
			cp = 0;
			if (p + 1 < end && p[1] == '{') {
				for (k = 2; p + k < end &&
					    (h = ferry_hex_digit((unsigned char)p[k])) >= 0; k++)
					cp = cp * 16 + (unsigned long)h;
				p += k;	/* at '}' */
			} else {
				for (k = 1; k <= 4 && p + k < end &&
					    (h = ferry_hex_digit((unsigned char)p[k])) >= 0; k++)
					cp = cp * 16 + (unsigned long)h;
				p += k - 1;
			}
			break;
		default:
			cp = (unsigned char)*p;
			break;
		}
		p++;
		if (cp > 0x10ffff || ferry_buf_add_utf8(&b, cp))
			goto fail;
	}
	return ferry_buf_detach(&b);
fail:
	ferry_buf_release(&b);
	return NULL;
}

static int is_literal(const struct tok *t)
{
	return t->type == T_STRING || t->type == T_TEMPLATE;
}

static int add_site(struct ferry_js_sites *out, const char *src,
		    const struct tok *lit, unsigned line,
		    enum ferry_js_form form)
{
	char *spec = NULL;

	if (lit) {
		spec = decode(src, lit);
		if (!spec)
			return FERRY_ENOMEM;
	}
	if (out->nr == out->alloc) {
		size_t alloc = out->alloc ? out->alloc * 2 : 16;
		struct ferry_js_site *items;

		items = realloc(out->items, alloc * sizeof(*items));
		if (!items) {
			free(spec);
			return FERRY_ENOMEM;
		}
		out->items = items;
		out->alloc = alloc;
	}
	out->items[out->nr].spec = spec;
	out->items[out->nr].line = line;
	out->items[out->nr].form = form;
	out->nr++;
	return 0;
}

/*
 * From token `i` (the first after `import` or `export`), skip an import or
 * export clause (`a`, `* as ns`, `{ a, b as c, "d" as e }`, `a, { b }`)
 * and return the index of the specifier after `from`, or 0 when there is
 * no `from 'x'`.
 */
static size_t clause_from(const char *src, const struct toks *v, size_t i)
{
	int depth = 0;
	size_t steps = 0;

	for (; i < v->nr && steps < 4096; i++, steps++) {
		const struct tok *t = &v->items[i];

		if (depth == 0 && t->type == T_NAME && tok_is(src, t, "from") &&
		    i + 1 < v->nr && v->items[i + 1].type == T_STRING)
			return i + 1;
		if (t->type == T_PUNCT && tok_is(src, t, "{")) {
			if (depth)
				return 0;
			depth = 1;
			continue;
		}
		if (t->type == T_PUNCT && tok_is(src, t, "}")) {
			if (!depth)
				return 0;
			depth = 0;
			/* only `from` may follow a closed brace list */
			if (i + 2 < v->nr &&
			    tok_is(src, &v->items[i + 1], "from") &&
			    v->items[i + 2].type == T_STRING)
				return i + 2;
			return 0;
		}
		if (t->type == T_NAME)
			continue;
		if (t->type == T_STRING && depth)
			continue;
		if (t->type == T_PUNCT &&
		    (tok_is(src, t, "*") || tok_is(src, t, ",")))
			continue;
		return 0;
	}
	return 0;
}

/*
 * Is the `(` at token `i` the parameter list of a method definition,
 * `require(a, b) { ... }` in a class or object literal? Its closing `)` is
 * followed by `{` on the same line (a call followed by a block needs a
 * line break before the block).
 */
static int is_method_def(const char *src, const struct toks *v, size_t i)
{
	size_t depth = 0;

	for (; i < v->nr; i++) {
		const struct tok *t = &v->items[i];

		if (t->type != T_PUNCT)
			continue;
		if (tok_is(src, t, "("))
			depth++;
		else if (tok_is(src, t, ")") && !--depth)
			break;
	}
	return i + 1 < v->nr && tok_is(src, &v->items[i + 1], "{") &&
	       v->items[i + 1].line == v->items[i].line;
}

static int match_sites(struct ferry_js_sites *out, const char *src,
		       const struct toks *v)
{
	size_t i, n = v->nr, k;
	int ret = 0;

	for (i = 0; i < n && !ret; i++) {
		const struct tok *t = &v->items[i];
		const struct tok *prev = i ? &v->items[i - 1] : NULL;
		int after_dot;

		if (t->type != T_NAME)
			continue;
		after_dot = prev && prev->type == T_PUNCT &&
			    (tok_is(src, prev, ".") || tok_is(src, prev, "?."));
		if (after_dot)
			continue;
		if (tok_is(src, t, "require")) {
			if (prev && tok_is(src, prev, "function"))
				continue;
			if (i + 1 < n && tok_is(src, &v->items[i + 1], "(")) {
				if (i + 3 < n && is_literal(&v->items[i + 2]) &&
				    tok_is(src, &v->items[i + 3], ")"))
					ret = add_site(out, src, &v->items[i + 2],
						       t->line, FERRY_JS_REQUIRE);
				else if (!is_method_def(src, v, i + 1))
					ret = add_site(out, src, NULL, t->line,
						       FERRY_JS_REQUIRE);
			} else if (i + 5 < n &&
				   tok_is(src, &v->items[i + 1], ".") &&
				   tok_is(src, &v->items[i + 2], "resolve") &&
				   tok_is(src, &v->items[i + 3], "(") &&
				   is_literal(&v->items[i + 4]) &&
				   (tok_is(src, &v->items[i + 5], ")") ||
				    tok_is(src, &v->items[i + 5], ","))) {
				ret = add_site(out, src, &v->items[i + 4],
					       t->line, FERRY_JS_REQUIRE_RESOLVE);
			}
			continue;
		}
		if (tok_is(src, t, "import")) {
			if (i + 1 >= n)
				continue;
			if (tok_is(src, &v->items[i + 1], "(")) {
				/* import('x') and import('x', { with: ... }) */
				if (i + 3 < n && is_literal(&v->items[i + 2]) &&
				    (tok_is(src, &v->items[i + 3], ")") ||
				     tok_is(src, &v->items[i + 3], ",")))
					ret = add_site(out, src, &v->items[i + 2],
						       t->line,
						       FERRY_JS_IMPORT_DYNAMIC);
				else if (!is_method_def(src, v, i + 1))
					ret = add_site(out, src, NULL, t->line,
						       FERRY_JS_IMPORT_DYNAMIC);
				continue;
			}
			if (v->items[i + 1].type == T_STRING) {
				ret = add_site(out, src, &v->items[i + 1],
					       t->line, FERRY_JS_IMPORT_BARE);
				continue;
			}
			k = clause_from(src, v, i + 1);
			if (k)
				ret = add_site(out, src, &v->items[k], t->line,
					       FERRY_JS_IMPORT_FROM);
			continue;
		}
		if (tok_is(src, t, "export") && i + 1 < n &&
		    (tok_is(src, &v->items[i + 1], "*") ||
		     tok_is(src, &v->items[i + 1], "{"))) {
			k = clause_from(src, v, i + 1);
			if (k)
				ret = add_site(out, src, &v->items[k], t->line,
					       FERRY_JS_EXPORT_FROM);
		}
	}
	return ret;
}

int ferry_js_lex_scan(struct ferry_js_sites *out, const char *src,
		      size_t len)
{
	struct toks v = { NULL, 0, 0 };
	int ret;

	ret = tokenize(&v, src, len);
	if (ret)
		goto out;
	ret = match_sites(out, src, &v);
out:
	free(v.items);
	return ret;
}
