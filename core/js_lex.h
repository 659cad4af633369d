/*
 * js_lex.h - find the import sites of a JavaScript source (internal to
 * core/, used by the Node tracer).
 *
 * A real lexer, not a regular expression: comments, strings, template
 * literals (with code nested in `${ }`), regular expression literals and a
 * hashbang line never produce an import nor hide one.
 */
#ifndef FERRY_JS_LEX_H
#define FERRY_JS_LEX_H

#include <stddef.h>

#include "ferry/buf.h"

enum ferry_js_form {
	FERRY_JS_REQUIRE,		/* require('x') */
	FERRY_JS_REQUIRE_RESOLVE,	/* require.resolve('x') */
	FERRY_JS_IMPORT_FROM,		/* import a from 'x' */
	FERRY_JS_EXPORT_FROM,		/* export * from 'x' */
	FERRY_JS_IMPORT_BARE,		/* import 'x' */
	FERRY_JS_IMPORT_DYNAMIC,	/* import('x') */
};

struct ferry_js_site {
	char *spec;	/* owned; the decoded specifier; NULL when the argument
			 * of require( or import( is not a literal */
	unsigned line;	/* 1-based line of the require/import/export word */
	enum ferry_js_form form;
};

struct ferry_js_sites {
	struct ferry_js_site *items;	/* owned; in source order */
	size_t nr;
	size_t alloc;
};

void ferry_js_sites_init(struct ferry_js_sites *s);
void ferry_js_sites_release(struct ferry_js_sites *s);

/*
 * Append the import sites of `src` (`len` bytes, need not be
 * NUL-terminated) to `out`. A template literal without `${` counts as a
 * literal; `x.require('y')` is a method call, not an import. Malformed
 * input is scanned as far as it makes sense, never an error. Returns 0 or
 * FERRY_ENOMEM.
 */
int ferry_js_lex_scan(struct ferry_js_sites *out, const char *src,
		      size_t len);

/* 1 for the forms Node resolves with the `require` condition. */
int ferry_js_form_is_require(enum ferry_js_form form);

/* Append "require('x')", "import('x')", "import ... from 'x'", ... */
int ferry_js_site_describe(struct ferry_buf *out,
			   const struct ferry_js_site *site);

#endif
