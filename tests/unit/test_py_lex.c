/*
 * test_py_lex.c - the Python import scanner (core/py_lex.c), from a table
 * of (source, expected imports): every import form, relative levels,
 * multi-line and `;`-separated statements, imports nested in blocks,
 * blocks under platform tests that are false on Linux,
 * importlib calls with literal and non-literal arguments, and text in
 * comments and strings of every form that must never count as an import.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ferry/buf.h"
#include "py_lex.h"

struct lex_case {
	const char *src;
	/* "line kind module [name]" per import, joined by " | " */
	const char *want;
};

static const struct lex_case cases[] = {
	{ "import os\n", "1 import os" },
	{ "import a.b.c as x, d\n", "1 import a.b.c | 1 import d" },
	{ "import a as b, c.d as e", "1 import a | 1 import c.d" },
	{ "from .rel import x\n", "1 from .rel x" },
	{ "from a.b import c, d\n", "1 from a.b c | 1 from a.b d" },
	{ "from a.b import c as x, d as y\n", "1 from a.b c | 1 from a.b d" },
	{ "from a import *\n", "1 from a *" },
	{ "from . import x\n", "1 from . x" },
	{ "from .. import x\n", "1 from .. x" },
	{ "from ...p.q import r\n", "1 from ...p.q r" },
	{ "from __future__ import annotations\n",
	  "1 from __future__ annotations" },
	/* bracketed multi-line from-imports: the line of `from` */
	{ "x = 1\nfrom a import (\n    b,\n    c as cc,\n)\nimport d\n",
	  "2 from a b | 2 from a c | 6 import d" },
	{ "from . import (b,\n # import no\n c)\n", "1 from . b | 1 from . c" },
	/* line continuations */
	{ "import a, \\\n    b\nimport c\n",
	  "1 import a | 1 import b | 3 import c" },
	{ "x = 1 + \\\n 2; import c\n", "2 import c" },
	{ "from a \\\n import b\n", "1 from a b" },
	/* `;` and compound one-liners */
	{ "import a; import b; from c import d\n",
	  "1 import a | 1 import b | 1 from c d" },
	{ "if x: import y\nelse: from z import w\n",
	  "1 import y | 2 from z w" },
	{ "try: import simplejson as json\nexcept ImportError: import json\n",
	  "1 import simplejson | 2 import json" },
	/* nested in functions, try blocks, TYPE_CHECKING */
	{ "def f():\n    import inner\n    return inner\n"
	  "try:\n    import fast\nexcept ImportError:\n    fast = None\n"
	  "if TYPE_CHECKING:\n    from typing_only import T\n",
	  "2 import inner | 5 import fast | 9 from typing_only T" },
	{ "class A:\n    from . import m\n", "2 from . m" },
	/* bracketed expressions spanning lines keep the line count */
	{ "x = (\n 1,\n 2)\nimport a\n", "4 import a" },
	{ "d = {'a': 1,\n 'b': 2}\nimport a\n", "3 import a" },
	/* comments */
	{ "# import x\nimport y  # import z\n", "2 import y" },
	{ "#!/usr/bin/env python\n# from a import b\n", "" },
	/* strings of every form never count, and never hide what follows */
	{ "s = 'import x'\nt = \"from a import b\"\nimport w\n", "3 import w" },
	{ "u = '''\nimport z\n'''\nimport w\n", "4 import w" },
	{ "u = \"\"\"\nfrom q import r\n\"\"\"\nimport w\n", "4 import w" },
	{ "u = \"\"\"a \"\" \\\"\"\" import no\"\"\"\nimport w\n",
	  "2 import w" },
	{ "s = 'it\\'s; import x'\nimport ok\n", "2 import ok" },
	{ "s = \"\\\\\"; import ok\n", "1 import ok" },
	{ "s = r'\\'; import x'\nimport ok\n", "2 import ok" },
	{ "s = b'import x'; t = rb\"import y\"; u = BR'import z'\nimport ok\n",
	  "2 import ok" },
	{ "s = u'import x'; t = Rb'''\nimport y'''\nimport ok\n",
	  "3 import ok" },
	{ "s = f'{x} import a'\nimport ok\n", "2 import ok" },
	{ "s = f\"{d['k']} import a\"\nimport ok\n", "2 import ok" },
	/* Python 3.12: the same quote nests inside a replacement field */
	{ "s = f\"{d[\"import y\"]}\"\nimport ok\n", "2 import ok" },
	{ "s = f'''{x:>{w}} {{import no}}\n'''\nimport ok\n", "3 import ok" },
	{ "s = f'{x!r:>10}'; import ok\n", "1 import ok" },
	{ "s = rf'\\d{x}'; import ok\n", "1 import ok" },
	/* a bracket left open does not hide the statements after it */
	{ "x = foo(\nimport a\n", "2 import a" },
	{ "x = [1,\ndef f():\n    import c\n", "3 import c" },
	{ "x = {\n  class A:\n    from b import c\n", "3 from b c" },
	/* an unterminated string ends at its line */
	{ "s = 'abc\nimport q\n", "2 import q" },
	/* text after keywords that are not statements */
	{ "def g():\n    yield from gen()\n    raise E from e\n", "" },
	{ "print('x', end='')\nx.from_ = 1\nimportant = 2\n", "" },
	/* CRLF */
	{ "import a\r\nimport b\r\n", "1 import a | 2 import b" },
	/* importlib.import_module and __import__ */
	{ "import importlib\nm = importlib.import_module('m.n')\n",
	  "1 import importlib | 2 call importlib.import_module m.n" },
	{ "m = import_module(\".rel\", __package__)\n",
	  "1 call import_module .rel" },
	{ "m = __import__('z')\n", "1 call __import__ z" },
	{ "m = builtins.__import__('w', globals())\n",
	  "1 call builtins.__import__ w" },
	{ "x = [\n importlib.import_module(\n  'late')]\n",
	  "2 call importlib.import_module late" },
	{ "m = importlib.import_module(name)\n",
	  "1 nonliteral importlib.import_module" },
	{ "m = importlib.import_module(f'plugins.{name}')\n",
	  "1 nonliteral importlib.import_module" },
	{ "m = importlib.import_module('a' + b)\n",
	  "1 nonliteral importlib.import_module" },
	{ "m = __import__('not a module')\n", "1 nonliteral __import__" },
	{ "def import_module(name):\n    pass\n", "" },
	{ "obj.import_module('q')\nother.__import__('r')\n", "" },
	{ "s = 'importlib.import_module(\"x\")'\n", "" },
	{ "", "" },
	/* __all__ lists the names a star import loads */
	{ "__all__ = ['a', \"b\",\n    'c']\n__all__ += ('d',)\nimport e\n",
	  "1 all a | 1 all b | 2 all c | 3 all d | 4 import e" },
	{ "__all__ = [*x.__all__, 'y', f'z', 'not valid', 'p.q']\n",
	  "1 all y" },
	{ "__all__: list[str] = ['a']\nx.__all__ = ['b']\n", "" },
	/* platform tests false on Linux mark their block [other] */
	{ "import a\nif sys.platform == 'win32':\n    import winreg\n"
	  "    from b import c\nelse:\n    import posix_thing\nimport d\n",
	  "1 import a | 3 import winreg [other] | 4 from b c [other] | "
	  "6 import posix_thing | 7 import d" },
	{ "if sys.platform == \"emscripten\": from .c.e import inject\n"
	  "import z\n",
	  "1 from .c.e inject [other] | 2 import z" },
	{ "if os.name == 'nt':\n    import nt_one\n\n    # note\n"
	  "    import nt_two\nimport posix\n",
	  "2 import nt_one [other] | 5 import nt_two [other] | "
	  "6 import posix" },
	{ "if os.name == 'nt':\n\timport a\nimport b\n",
	  "2 import a [other] | 3 import b" },
	{ "if sys.platform.startswith('win'):\n  import w\n"
	  "if sys.platform.startswith('lin'):\n  import l\n",
	  "2 import w [other] | 4 import l" },
	{ "if sys.platform == 'linux':\n    import l\n"
	  "if sys.platform != 'win32':\n    import n\n"
	  "if sys.platform == 'darwin' or x:\n    import m\n"
	  "if (sys.platform == 'darwin'):\n    import p\n",
	  "2 import l | 4 import n | 6 import m | 8 import p" },
	{ "def f():\n    if sys.platform == 'win32':\n        import a\n"
	  "        if x:\n            import b\n    import c\nimport d\n",
	  "3 import a [other] | 5 import b [other] | 6 import c | "
	  "7 import d" },
	{ "if sys.platform == 'win32':\n    import a\n"
	  "elif sys.platform == 'darwin':\n    import b\n"
	  "else:\n    import c\n",
	  "2 import a [other] | 4 import b [other] | 6 import c" },
	{ "if sys.platform == 'win32':\n    x = (1,\n2)\n    import a\n"
	  "import b\n",
	  "4 import a [other] | 5 import b" },
};

static const char *kind_name(enum ferry_py_import_kind k)
{
	switch (k) {
	case FERRY_PY_IMPORT:
		return "import";
	case FERRY_PY_FROM:
		return "from";
	case FERRY_PY_CALL:
		return "call";
	case FERRY_PY_NONLITERAL:
		return "nonliteral";
	case FERRY_PY_ALL:
		return "all";
	}
	return "?";
}

static void render(struct ferry_buf *out, const struct ferry_py_lex *lx)
{
	size_t i;
	unsigned d;

	for (i = 0; i < lx->nr; i++) {
		const struct ferry_py_import *it = &lx->items[i];

		if (i)
			assert_int_equal(ferry_buf_addstr(out, " | "), 0);
		assert_int_equal(ferry_buf_addf(out, "%u %s", it->line,
						kind_name(it->kind)), 0);
		if (it->kind == FERRY_PY_CALL ||
		    it->kind == FERRY_PY_NONLITERAL)
			assert_int_equal(ferry_buf_addf(out, " %s", it->name),
					 0);
		if (it->kind != FERRY_PY_NONLITERAL) {
			assert_int_equal(ferry_buf_addch(out, ' '), 0);
			for (d = 0; d < it->level; d++)
				assert_int_equal(ferry_buf_addch(out, '.'), 0);
			assert_int_equal(ferry_buf_addstr(out, it->module), 0);
		}
		if (it->kind == FERRY_PY_FROM)
			assert_int_equal(ferry_buf_addf(out, " %s", it->name),
					 0);
		if (it->other_platform)
			assert_int_equal(ferry_buf_addstr(out, " [other]"), 0);
	}
}

static void test_table(void **state)
{
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ferry_py_lex lx;
		struct ferry_buf got = FERRY_BUF_INIT;
		struct ferry_error err;

		ferry_error_init(&err);
		ferry_py_lex_init(&lx);
		assert_int_equal(ferry_py_lex_scan(&lx, cases[i].src,
						   strlen(cases[i].src), &err),
				 0);
		render(&got, &lx);
		if (strcmp(got.buf, cases[i].want)) {
			print_error("case %zu: %s\n  want: %s\n  got:  %s\n", i,
				    cases[i].src, cases[i].want, got.buf);
			failed++;
		}
		ferry_buf_release(&got);
		ferry_py_lex_release(&lx);
	}
	assert_int_equal(failed, 0);
}

/* The source need not be NUL-terminated: only `len` bytes are read. */
static void test_length_bounds(void **state)
{
	const char src[] = "import a\nimport b";
	struct ferry_py_lex lx;
	struct ferry_error err;

	(void)state;
	ferry_error_init(&err);
	ferry_py_lex_init(&lx);
	assert_int_equal(ferry_py_lex_scan(&lx, src, 9, &err), 0);
	assert_int_equal(lx.nr, 1);
	assert_string_equal(lx.items[0].module, "a");
	ferry_py_lex_release(&lx);
	ferry_py_lex_release(NULL);
}

/* f-strings nested far deeper than any code: no unbounded recursion. */
static void test_deep_nesting(void **state)
{
	struct ferry_buf src = FERRY_BUF_INIT;
	struct ferry_py_lex lx;
	struct ferry_error err;
	int i;

	(void)state;
	for (i = 0; i < 100000; i++)
		assert_int_equal(ferry_buf_addstr(&src, "f'{"), 0);
	assert_int_equal(ferry_buf_addstr(&src, "\nimport after\n"), 0);
	ferry_error_init(&err);
	ferry_py_lex_init(&lx);
	assert_int_equal(ferry_py_lex_scan(&lx, src.buf, src.len, &err), 0);
	ferry_py_lex_release(&lx);
	ferry_buf_release(&src);
}

/* A scan appends: two files into one record keep both sets in order. */
static void test_appends(void **state)
{
	struct ferry_py_lex lx;
	struct ferry_error err;

	(void)state;
	ferry_error_init(&err);
	ferry_py_lex_init(&lx);
	assert_int_equal(ferry_py_lex_scan(&lx, "import a\n", 9, &err), 0);
	assert_int_equal(ferry_py_lex_scan(&lx, "\nimport b\n", 10, &err), 0);
	assert_int_equal(lx.nr, 2);
	assert_string_equal(lx.items[1].module, "b");
	assert_int_equal(lx.items[1].line, 2);
	ferry_py_lex_release(&lx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_length_bounds),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_deep_nesting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
