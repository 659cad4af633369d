/*
 * py_lex.h - find the imports of a Python 3 source file (internal to core/;
 * used by trace_python.c).
 *
 * A tokenizer that knows what hides code from an import scan: `#`
 * comments, every string form ('...', "...", triple-quoted, prefixes r b u
 * f t and their pairs, escapes, nested f-string replacement fields), line
 * continuations and bracketed multi-line statements. It reports every
 * import statement wherever it is (inside functions, try blocks,
 * `if TYPE_CHECKING:`), after `;` and after the `:` of a compound
 * statement, plus calls of importlib.import_module() and __import__(),
 * and the names a module lists in `__all__`.
 * It evaluates nothing but the platform tests that are false on Linux
 * (`if sys.platform == "emscripten":`), whose imports it marks; a call
 * whose argument is not a single string literal is reported as
 * FERRY_PY_NONLITERAL.
 */
#ifndef FERRY_PY_LEX_H
#define FERRY_PY_LEX_H

#include <stddef.h>

#include "ferry/error.h"

enum ferry_py_import_kind {
	FERRY_PY_IMPORT,	/* import a.b.c [as x]: module "a.b.c" */
	FERRY_PY_FROM,		/* from a.b import c [as x]: module "a.b",
				 * name "c" (one record per name; "*" for
				 * a star import) */
	FERRY_PY_CALL,		/* import_module('a.b') or
				 * __import__('a.b'): module "a.b" */
	FERRY_PY_NONLITERAL,	/* such a call whose argument is not a
				 * string literal: module NULL */
	FERRY_PY_ALL,		/* a string in `__all__ = [...]` (also
				 * `+=`, tuples): module is the name; what
				 * `from pkg import *` loads as submodules */
};

struct ferry_py_import {
	enum ferry_py_import_kind kind;
	unsigned level;	/* leading dots (relative import); 0 if none */
	char *module;	/* owned; dotted name without the leading dots
			 * ("" in `from . import x`); NULL for
			 * FERRY_PY_NONLITERAL; FERRY_PY_ALL: the name */
	char *name;	/* owned; FROM: the imported name or "*"; CALL and
			 * NONLITERAL: the function as written
			 * ("importlib.import_module", "import_module",
			 * "__import__"); IMPORT: NULL */
	unsigned line;	/* 1-based line of the `import`/`from` keyword
			 * or of the called name */
	int other_platform;	/* 1 inside `if sys.platform == "win32":`,
				 * `if os.name == "nt":` and the like: code
				 * that never runs on Linux */
};

struct ferry_py_lex {
	struct ferry_py_import *items;	/* owned; in source order */
	size_t nr;
	size_t alloc;
};

void ferry_py_lex_init(struct ferry_py_lex *lx);
/* Free the records; accepts NULL. */
void ferry_py_lex_release(struct ferry_py_lex *lx);

/*
 * Append the imports of the `len` bytes at `src` (need not be
 * NUL-terminated) to `out`. Malformed source (an unterminated string, a
 * stray bracket) never fails: the scan recovers at the next line or ends.
 * Returns 0 or FERRY_ENOMEM.
 */
int ferry_py_lex_scan(struct ferry_py_lex *out, const char *src, size_t len,
		      struct ferry_error *err);

#endif
