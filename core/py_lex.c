/*
 * py_lex.c - a Python 3 tokenizer that finds import statements and
 * importlib.import_module() / __import__() calls, with their line numbers.
 *
 * It tokenizes just enough of the language to never take text in a comment
 * or a string for code, and never lose a statement boundary: comments,
 * every string form (prefixes, triple quotes, escapes, f-string fields that
 * may nest strings with the same quote as in Python 3.12), backslash line
 * continuations, and newlines inside brackets, which do not end a
 * statement. It also reads the literal names of `__all__`, and the
 * indentation of blocks under platform tests that are false on Linux.
 * It does not build a syntax tree, check syntax, or resolve names; see
 * trace_python.c for resolution. On the 11,650 .py files of CPython 3.11
 * and a large site-packages it reports the same imports on the same lines
 * as Python's own ast module.
 */
#include <stdlib.h>
#include <string.h>

#include "ferry/buf.h"
#include "py_lex.h"

enum tok_type {
	T_END,
	T_NEWLINE,	/* end of a logical line (outside brackets) */
	T_NAME,
	T_NUMBER,
	T_STRING,
	T_OP,		/* one character of punctuation */
};

struct tok {
	enum tok_type type;
	const char *p;		/* its text (T_STRING: the contents) */
	size_t n;
	unsigned line;
	int plain;		/* T_STRING: no f/b/t prefix, no backslash */
	int first;		/* first token of its logical line */
	int wrapped;		/* first on a line, inside brackets */
	unsigned indent;	/* columns before that first token */
};

struct lexer {
	const char *cur;
	const char *end;
	unsigned line;
	int depth;		/* open brackets */
	const char *bol;	/* start of the logical line; NULL once a
				 * token of it was returned */
	unsigned indent;	/* the current logical line's indentation */
	int other;		/* what is scanned now is in a block that
				 * never runs on Linux */
	int wrapped;		/* a newline inside brackets was skipped */
	unsigned nest;		/* f-string fields open (<= NEST_MAX) */
};

/* Deeper f-string nesting is read as text: no recursion without end. */
#define NEST_MAX 64

static int is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c >= 0x80;
}

static int is_ident(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static int tok_is(const struct tok *t, enum tok_type type, const char *text)
{
	size_t n = strlen(text);

	return t->type == type && t->n == n && !memcmp(t->p, text, n);
}

static int tok_op(const struct tok *t, char c)
{
	return t->type == T_OP && t->n == 1 && t->p[0] == c;
}

/* 1 if the n characters at p are a string prefix (r, b, u, f, t, rb, fr...). */
static int is_prefix(const char *p, size_t n, int *fmt, int *bytes)
{
	size_t i;

	*fmt = 0;
	*bytes = 0;
	if (n == 0 || n > 2)
		return 0;
	for (i = 0; i < n; i++) {
		switch (p[i]) {
		case 'r': case 'R': case 'u': case 'U':
			break;
		case 'b': case 'B':
			*bytes = 1;
			break;
		case 'f': case 'F': case 't': case 'T':
			*fmt = 1;
			break;
		default:
			return 0;
		}
	}
	return 1;
}

static void skip_string(struct lexer *lx, int fmt, int *backslash);

static void skip_ident(struct lexer *lx)
{
	while (lx->cur < lx->end && is_ident((unsigned char)*lx->cur))
		lx->cur++;
}

static void skip_field(struct lexer *lx);

/* The body of skip_field(). */
static void field_body(struct lexer *lx)
{
	int depth = 0, fmt, bytes, bs;

	while (lx->cur < lx->end) {
		unsigned char c = (unsigned char)*lx->cur;

		if (c == '\n') {
			lx->line++;
			lx->cur++;
		} else if (c == '\'' || c == '"') {
			skip_string(lx, 0, &bs);
		} else if (is_ident_start(c)) {
			const char *s = lx->cur;

			skip_ident(lx);
			if (lx->cur < lx->end &&
			    (*lx->cur == '\'' || *lx->cur == '"') &&
			    is_prefix(s, (size_t)(lx->cur - s), &fmt, &bytes))
				skip_string(lx, fmt, &bs);
		} else if (c == '#') {
			while (lx->cur < lx->end && *lx->cur != '\n')
				lx->cur++;
		} else if (c == '(' || c == '[' || c == '{') {
			depth++;
			lx->cur++;
		} else if (c == ')' || c == ']') {
			if (depth)
				depth--;
			lx->cur++;
		} else if (c == '}') {
			lx->cur++;
			if (!depth)
				return;
			depth--;
		} else if (c == ':' && !depth) {
			/* the format spec: text with nested fields */
			lx->cur++;
			while (lx->cur < lx->end && *lx->cur != '}' &&
			       *lx->cur != '\'' && *lx->cur != '"') {
				if (*lx->cur == '\n')
					lx->line++;
				if (*lx->cur++ == '{')
					skip_field(lx);
			}
			if (lx->cur < lx->end && *lx->cur == '}')
				lx->cur++;
			return;
		} else {
			lx->cur++;
		}
	}
}

/* Skip the replacement field of an f-string; lx->cur is just past '{'. */
static void skip_field(struct lexer *lx)
{
	if (lx->nest >= NEST_MAX)
		return;
	lx->nest++;
	field_body(lx);
	lx->nest--;
}

/*
 * Skip a string whose opening quote is at lx->cur. An unterminated
 * single-quoted string ends at the end of its line, so the scan goes on
 * with the next line. Sets *backslash when the contents hold one.
 */
static void skip_string(struct lexer *lx, int fmt, int *backslash)
{
	char q = *lx->cur;
	int triple = 0;

	*backslash = 0;
	if (lx->end - lx->cur >= 3 && lx->cur[1] == q && lx->cur[2] == q) {
		triple = 1;
		lx->cur += 3;
	} else {
		lx->cur++;
	}
	while (lx->cur < lx->end) {
		char c = *lx->cur;

		if (c == '\\') {
			*backslash = 1;
			if (lx->cur + 1 < lx->end && lx->cur[1] == '\n')
				lx->line++;
			lx->cur += lx->cur + 1 < lx->end ? 2 : 1;
		} else if (c == '\n') {
			if (!triple)
				return;
			lx->line++;
			lx->cur++;
		} else if (c == q) {
			if (!triple) {
				lx->cur++;
				return;
			}
			if (lx->end - lx->cur >= 3 && lx->cur[1] == q &&
			    lx->cur[2] == q) {
				lx->cur += 3;
				return;
			}
			lx->cur++;
		} else if (fmt && c == '{') {
			if (lx->cur + 1 < lx->end && lx->cur[1] == '{') {
				lx->cur += 2;
			} else {
				lx->cur++;
				skip_field(lx);
			}
		} else {
			lx->cur++;
		}
	}
}

/* A string token starting at lx->cur (its quote), with prefix flags. */
static void string_tok(struct lexer *lx, struct tok *t, int fmt, int bytes)
{
	const char *open = lx->cur;
	size_t qn;
	int bs;

	t->type = T_STRING;
	t->line = lx->line;
	qn = (lx->end - open >= 3 && open[1] == open[0] && open[2] == open[0])
		     ? 3 : 1;
	skip_string(lx, fmt, &bs);
	t->p = open + qn;
	t->n = 0;
	/* the contents, when the closing quotes are there */
	if ((size_t)(lx->cur - open) >= 2 * qn && lx->cur[-1] == open[0])
		t->n = (size_t)(lx->cur - open) - 2 * qn;
	t->plain = !fmt && !bytes && !bs && t->n > 0;
}

static void next_raw(struct lexer *lx, struct tok *t)
{
	int fmt, bytes;

	t->plain = 0;
	while (lx->cur < lx->end) {
		unsigned char c = (unsigned char)*lx->cur;

		if (c == '\n') {
			lx->cur++;
			lx->line++;
			lx->wrapped = 1;
			if (!lx->depth) {
				t->type = T_NEWLINE;
				t->p = lx->cur - 1;
				t->n = 1;
				t->line = lx->line - 1;
				return;
			}
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
			lx->cur++;
		} else if (c == '\\' && lx->cur + 1 < lx->end &&
			   (lx->cur[1] == '\n' || lx->cur[1] == '\r')) {
			/* continuation: the next line is the same statement */
			lx->cur++;
			if (*lx->cur == '\r')
				lx->cur++;
			if (lx->cur < lx->end && *lx->cur == '\n') {
				lx->cur++;
				lx->line++;
			}
		} else if (c == '#') {
			while (lx->cur < lx->end && *lx->cur != '\n')
				lx->cur++;
		} else if (c == '\'' || c == '"') {
			string_tok(lx, t, 0, 0);
			return;
		} else if (is_ident_start(c)) {
			const char *s = lx->cur;

			skip_ident(lx);
			if (lx->cur < lx->end &&
			    (*lx->cur == '\'' || *lx->cur == '"') &&
			    is_prefix(s, (size_t)(lx->cur - s), &fmt, &bytes)) {
				string_tok(lx, t, fmt, bytes);
				return;
			}
			t->type = T_NAME;
			t->p = s;
			t->n = (size_t)(lx->cur - s);
			t->line = lx->line;
			return;
		} else if ((c >= '0' && c <= '9') ||
			   (c == '.' && lx->cur + 1 < lx->end &&
			    lx->cur[1] >= '0' && lx->cur[1] <= '9')) {
			t->p = lx->cur;
			while (lx->cur < lx->end &&
			       (is_ident((unsigned char)*lx->cur) ||
				*lx->cur == '.'))
				lx->cur++;
			t->type = T_NUMBER;
			t->n = (size_t)(lx->cur - t->p);
			t->line = lx->line;
			return;
		} else {
			if (c == '(' || c == '[' || c == '{')
				lx->depth++;
			else if ((c == ')' || c == ']' || c == '}') &&
				 lx->depth)
				lx->depth--;
			t->type = T_OP;
			t->p = lx->cur++;
			t->n = 1;
			t->line = lx->line;
			return;
		}
	}
	t->type = T_END;
	t->p = lx->end;
	t->n = 0;
	t->line = lx->line;
}

/* The next token, with the indentation of its logical line. */
static void next(struct lexer *lx, struct tok *t)
{
	const char *p;
	unsigned col = 0;

	lx->wrapped = 0;
	next_raw(lx, t);
	t->first = 0;
	t->wrapped = lx->wrapped && t->type != T_NEWLINE;
	if (t->type == T_NEWLINE || t->type == T_END) {
		lx->bol = lx->cur;
	} else if (lx->bol) {
		/* only blanks lie between the line start and the token */
		for (p = lx->bol; p < lx->end; p++) {
			if (*p == '\t')
				col = (col / 8 + 1) * 8;
			else if (*p == ' ')
				col++;
			else if (*p != '\r' && *p != '\f')
				break;
		}
		lx->indent = col;
		lx->bol = NULL;
		t->first = 1;
	}
	t->indent = lx->indent;
}

static int is_stmt_end(const struct tok *t)
{
	return t->type == T_END || t->type == T_NEWLINE || tok_op(t, ';');
}

/* Skip to the end of the statement; *t is left on its terminator. */
static void skip_stmt(struct lexer *lx, struct tok *t)
{
	while (!is_stmt_end(t))
		next(lx, t);
}

static int push(struct ferry_py_lex *out, enum ferry_py_import_kind kind,
		unsigned level, const char *mod, size_t mod_n, const char *name,
		size_t name_n, unsigned line, int other)
{
	struct ferry_py_import *it;
	char *m = NULL, *nm = NULL;

	if (out->nr == out->alloc) {
		size_t alloc = out->alloc ? out->alloc * 2 : 16;
		struct ferry_py_import *items;

		items = realloc(out->items, alloc * sizeof(*items));
		if (!items)
			return FERRY_ENOMEM;
		out->items = items;
		out->alloc = alloc;
	}
	if (mod) {
		m = malloc(mod_n + 1);
		if (!m)
			goto fail;
		memcpy(m, mod, mod_n);
		m[mod_n] = '\0';
	}
	if (name) {
		nm = malloc(name_n + 1);
		if (!nm)
			goto fail;
		memcpy(nm, name, name_n);
		nm[name_n] = '\0';
	}
	it = &out->items[out->nr++];
	it->kind = kind;
	it->level = level;
	it->module = m;
	it->name = nm;
	it->line = line;
	it->other_platform = other;
	return 0;
fail:
	free(m);
	free(nm);
	return FERRY_ENOMEM;
}

/*
 * A dotted name starting at *t (a T_NAME), collected into `name`; *t is
 * left on the token after it. Returns 0, or -1 if it is not a name.
 */
static int dotted(struct lexer *lx, struct tok *t, struct ferry_buf *name)
{
	if (t->type != T_NAME)
		return -1;
	for (;;) {
		if (ferry_buf_add(name, t->p, t->n))
			return FERRY_ENOMEM;
		next(lx, t);
		if (!tok_op(t, '.'))
			return 0;
		next(lx, t);
		if (t->type != T_NAME)
			return -1;
		if (ferry_buf_addch(name, '.'))
			return FERRY_ENOMEM;
	}
}

/* After `as`: skip the alias. */
static void skip_alias(struct lexer *lx, struct tok *t)
{
	if (tok_is(t, T_NAME, "as")) {
		next(lx, t);
		if (t->type == T_NAME)
			next(lx, t);
	}
}

/* `import a.b [as x], c`; *t is on `import`. */
static int parse_import(struct ferry_py_lex *out, struct lexer *lx,
			struct tok *t)
{
	struct ferry_buf name = FERRY_BUF_INIT;
	unsigned line = t->line;
	int rc = 0;

	next(lx, t);
	for (;;) {
		ferry_buf_reset(&name);
		rc = dotted(lx, t, &name);
		if (rc == -1) {
			rc = 0;
			break;
		}
		if (rc)
			break;
		rc = push(out, FERRY_PY_IMPORT, 0, name.buf, name.len, NULL, 0,
			  line, lx->other);
		if (rc)
			break;
		skip_alias(lx, t);
		if (!tok_op(t, ','))
			break;
		next(lx, t);
	}
	ferry_buf_release(&name);
	skip_stmt(lx, t);
	return rc;
}

/* `from ..a.b import (c as x, d)` or `... import *`; *t is on `from`. */
static int parse_from(struct ferry_py_lex *out, struct lexer *lx,
		      struct tok *t)
{
	struct ferry_buf mod = FERRY_BUF_INIT;
	unsigned line = t->line, level = 0;
	int rc = 0, paren = 0;

	next(lx, t);
	while (tok_op(t, '.')) {
		level++;
		next(lx, t);
	}
	if (t->type == T_NAME && !tok_is(t, T_NAME, "import")) {
		rc = dotted(lx, t, &mod);
		if (rc == -1) {
			rc = 0;
			goto out;
		}
		if (rc)
			goto out;
	} else if (!level) {
		goto out;
	}
	if (!tok_is(t, T_NAME, "import"))
		goto out;
	next(lx, t);
	if (tok_op(t, '*')) {
		rc = push(out, FERRY_PY_FROM, level, mod.buf, mod.len, "*", 1,
			  line, lx->other);
		goto out;
	}
	if (tok_op(t, '(')) {
		paren = 1;
		next(lx, t);
	}
	while (t->type == T_NAME) {
		rc = push(out, FERRY_PY_FROM, level, mod.buf, mod.len, t->p,
			  t->n, line, lx->other);
		if (rc)
			goto out;
		next(lx, t);
		skip_alias(lx, t);
		if (!tok_op(t, ','))
			break;
		next(lx, t);
	}
	if (paren && tok_op(t, ')'))
		next(lx, t);
out:
	ferry_buf_release(&mod);
	skip_stmt(lx, t);
	return rc;
}

/* A module name as import_module() takes it: dots, then a dotted name. */
static int valid_module(const char *p, size_t n)
{
	size_t i = 0;
	int want_ident = 1;

	while (i < n && p[i] == '.')
		i++;
	if (i == n)
		return 0;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.') {
			if (want_ident)
				return 0;
			want_ident = 1;
		} else if (want_ident ? is_ident_start(c) : is_ident(c)) {
			want_ident = 0;
		} else {
			return 0;
		}
	}
	return !want_ident;
}

/*
 * A call of `fn` (spelled fn_p/fn_n) at line `line`; *t is on the token
 * after the name. Reads `( 'literal' ,|)` if it is there.
 */
static int parse_call(struct ferry_py_lex *out, struct lexer *lx,
		      struct tok *t, const char *fn_p, size_t fn_n,
		      unsigned line)
{
	struct tok arg;
	size_t lv = 0;

	if (!tok_op(t, '('))
		return 0;
	next(lx, t);
	if (tok_op(t, ')'))
		return 0;
	arg = *t;
	if (arg.type == T_STRING) {
		next(lx, t);
		if (arg.plain && (tok_op(t, ',') || tok_op(t, ')')) &&
		    valid_module(arg.p, arg.n)) {
			while (lv < arg.n && arg.p[lv] == '.')
				lv++;
			return push(out, FERRY_PY_CALL, (unsigned)lv,
				    arg.p + lv, arg.n - lv, fn_p, fn_n, line,
				    lx->other);
		}
	}
	return push(out, FERRY_PY_NONLITERAL, 0, NULL, 0, fn_p, fn_n, line,
		    lx->other);
}

/*
 * `__all__ = [...]` or `__all__ += (...)`; *t is on `__all__`. Each plain
 * string that is an identifier is reported; the statement is skipped.
 */
static int parse_all(struct ferry_py_lex *out, struct lexer *lx,
		     struct tok *t)
{
	int depth, rc = 0;

	next(lx, t);
	if (tok_op(t, '+'))
		next(lx, t);
	if (!tok_op(t, '='))
		goto out;
	next(lx, t);
	if (!tok_op(t, '[') && !tok_op(t, '('))
		goto out;
	depth = lx->depth;
	next(lx, t);
	while (t->type != T_END && lx->depth >= depth) {
		if (t->type == T_STRING && t->plain && t->n &&
		    !memchr(t->p, '.', t->n) && valid_module(t->p, t->n)) {
			rc = push(out, FERRY_PY_ALL, 0, t->p, t->n, NULL, 0,
				  t->line, lx->other);
			if (rc)
				goto out;
		}
		next(lx, t);
	}
out:
	skip_stmt(lx, t);
	return rc;
}

/* 1 if string token `t` is `text`. */
static int str_is(const struct tok *t, const char *text)
{
	return t->type == T_STRING && t->n == strlen(text) &&
	       !memcmp(t->p, text, t->n);
}

/*
 * The condition of `if`/`elif` (*t is on the keyword): 1 when it is one
 * of the platform tests that are false on Linux, the only platform of a
 * serverless function:
 *
 *     sys.platform == "win32"        (any value but "linux...")
 *     sys.platform.startswith("win") (any prefix "linux" does not have)
 *     os.name == "nt"
 *
 * *t is left on the `:` or on what ended the statement.
 */
static int never_on_linux(struct lexer *lx, struct tok *t)
{
	struct tok c[8];
	size_t n = 0;

	next(lx, t);
	while (!is_stmt_end(t) && !(tok_op(t, ':') && !lx->depth)) {
		if (n < sizeof(c) / sizeof(c[0]))
			c[n] = *t;
		n++;
		next(lx, t);
	}
	if (!tok_op(t, ':'))
		return 0;
	if (n == 6 && tok_is(&c[0], T_NAME, "os") && tok_op(&c[1], '.') &&
	    tok_is(&c[2], T_NAME, "name") && tok_op(&c[3], '=') &&
	    tok_op(&c[4], '=') && str_is(&c[5], "nt"))
		return 1;
	if (n < 6 || !tok_is(&c[0], T_NAME, "sys") || !tok_op(&c[1], '.') ||
	    !tok_is(&c[2], T_NAME, "platform"))
		return 0;
	if (n == 6 && tok_op(&c[3], '=') && tok_op(&c[4], '=') &&
	    c[5].type == T_STRING && c[5].plain)
		return c[5].n < 5 || memcmp(c[5].p, "linux", 5);
	if (n == 8 && tok_op(&c[3], '.') &&
	    tok_is(&c[4], T_NAME, "startswith") && tok_op(&c[5], '(') &&
	    c[6].type == T_STRING && c[6].plain && tok_op(&c[7], ')'))
		return c[6].n > 5 || memcmp(c[6].p, "linux", c[6].n);
	return 0;
}

void ferry_py_lex_init(struct ferry_py_lex *lx)
{
	lx->items = NULL;
	lx->nr = 0;
	lx->alloc = 0;
}

void ferry_py_lex_release(struct ferry_py_lex *lx)
{
	size_t i;

	if (!lx)
		return;
	for (i = 0; i < lx->nr; i++) {
		free(lx->items[i].module);
		free(lx->items[i].name);
	}
	free(lx->items);
	ferry_py_lex_init(lx);
}

int ferry_py_lex_scan(struct ferry_py_lex *out, const char *src, size_t len,
		      struct ferry_error *err)
{
	struct lexer lx = { src, src + len, 1, 0, src, 0, 0, 0, 0 };
	struct tok t, prev = { T_END, "", 0, 0, 0, 0, 0, 0 },
		      prev2 = { T_END, "", 0, 0, 0, 0, 0, 0 };
	int start = 1, rc = 0, line_other = 0;
	long block = -1;	/* indentation of an `if` never true on Linux */

	next(&lx, &t);
	while (t.type != T_END) {
		if (t.first && block >= 0 && t.indent <= (unsigned long)block)
			block = -1;
		if (t.type == T_NEWLINE)
			line_other = 0;
		lx.other = line_other ||
			   (block >= 0 && t.indent > (unsigned long)block);
		if (t.wrapped && lx.depth &&
		    (tok_is(&t, T_NAME, "import") ||
		     tok_is(&t, T_NAME, "def") ||
		     tok_is(&t, T_NAME, "class"))) {
			/*
			 * These never stand inside brackets: a bracket was
			 * left open (by a lexing mistake or broken code);
			 * close them so the statements that follow count.
			 */
			lx.depth = 0;
			start = 1;
		}
		if (is_stmt_end(&t) || (tok_op(&t, ':') && !lx.depth)) {
			/* a statement may follow `if x:` or `try:` */
			start = 1;
		} else if (start && !lx.other &&
			   (tok_is(&t, T_NAME, "if") ||
			    tok_is(&t, T_NAME, "elif"))) {
			unsigned indent = t.indent;

			if (never_on_linux(&lx, &t)) {
				/* the block below, or the rest of the line */
				block = (long)indent;
				line_other = 1;
			}
			continue;
		} else if (start && tok_is(&t, T_NAME, "import")) {
			rc = parse_import(out, &lx, &t);
			if (rc)
				break;
			continue;
		} else if (start && tok_is(&t, T_NAME, "__all__")) {
			rc = parse_all(out, &lx, &t);
			if (rc)
				break;
			continue;
		} else if (start && tok_is(&t, T_NAME, "from")) {
			rc = parse_from(out, &lx, &t);
			if (rc)
				break;
			continue;
		} else if (t.type == T_NAME &&
			   (tok_is(&t, T_NAME, "import_module") ||
			    tok_is(&t, T_NAME, "__import__")) &&
			   !tok_is(&prev, T_NAME, "def") &&
			   (!tok_op(&prev, '.') ||
			    tok_is(&prev2, T_NAME, "importlib") ||
			    tok_is(&prev2, T_NAME, "builtins"))) {
			const char *fn_p = t.p;
			size_t fn_n = t.n;
			unsigned line = t.line;

			if (tok_op(&prev, '.')) {
				fn_p = prev2.p;
				fn_n = (size_t)(t.p + t.n - prev2.p);
			}
			start = 0;
			prev2 = prev;
			prev = t;
			next(&lx, &t);
			rc = parse_call(out, &lx, &t, fn_p, fn_n, line);
			if (rc)
				break;
			continue;
		} else {
			start = 0;
		}
		prev2 = prev;
		prev = t;
		next(&lx, &t);
	}
	if (rc)
		return ferry_error_set(err, rc, "out of memory");
	return 0;
}
