/*
 * test_js_lex.c - the import sites the JavaScript lexer finds, from a table
 * of (source, expected sites). Sites are written "<form><line>:<spec>" and
 * joined with spaces; forms: r require, R require.resolve, i import-from,
 * e export-from, b bare import, d import(); a non-literal argument is "?".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "js_lex.h"

struct lex_case {
	const char *what;
	const char *src;
	const char *want;
};

static const struct lex_case cases[] = {
	{ "plain require", "const a = require('a');", "r1:a" },
	{ "double quotes", "require(\"./b.js\")", "r1:./b.js" },
	{ "require.resolve", "const p = require.resolve('x/package.json');",
	  "R1:x/package.json" },
	{ "no-substitution template is a literal", "require(`tpl`)",
	  "r1:tpl" },
	{ "escapes decoded", "require('a\\x2db\\u0063')", "r1:a-bc" },
	{ "line numbers", "\n\nrequire('a')\n/* x\n y */\nrequire('b')",
	  "r3:a r6:b" },
	/* comments */
	{ "line comment", "// require('no')\nrequire('yes')", "r2:yes" },
	{ "block comment", "/* require('no') */ require('yes')", "r1:yes" },
	{ "block comment with quote", "/* it's */ require('yes') // '",
	  "r1:yes" },
	{ "hashbang", "#!/usr/bin/env node require('no')\nrequire('yes')",
	  "r2:yes" },
	{ "byte order mark", "\xef\xbb\xbfrequire('yes')", "r1:yes" },
	{ "byte order mark and hashbang", "\xef\xbb\xbf#!/usr/bin/env node\n"
	  "require('yes')", "r2:yes" },
	/* strings */
	{ "require in a string", "x = \"require('no')\"; require('yes')",
	  "r1:yes" },
	{ "escaped quote", "x = 'it\\'s require(\"no\")'; require('yes')",
	  "r1:yes" },
	{ "comment markers in a string", "x = '/* '; require('yes'); y = ' */'",
	  "r1:yes" },
	/* templates */
	{ "template text", "x = `require('no')`; require('yes')", "r1:yes" },
	{ "template substitution", "x = `a ${require('a')} b`", "r1:a" },
	{ "nested template", "x = `a ${`b ${require('deep')}`} ${y}`;\n"
	  "require('after')", "r1:deep r2:after" },
	{ "object in substitution", "x = `${ {a: 1}.a } require('no')`; "
	  "require('yes')", "r1:yes" },
	{ "multi-line template", "x = `\n\n`; require('yes')", "r3:yes" },
	{ "template with substitution is not a literal",
	  "require(`./${name}`)", "r1:?" },
	/* regular expressions and division */
	{ "regex with quote", "x = /'/; require('yes')", "r1:yes" },
	{ "regex with require", "x = /require('no')/g; require('yes')",
	  "r1:yes" },
	{ "regex with slash in class", "x = /[/']/; require('yes')",
	  "r1:yes" },
	{ "regex after return", "function f() { return /'/ }\n"
	  "require('yes')", "r2:yes" },
	{ "division", "x = a / 2; y = b / 'c'; require('yes')", "r1:yes" },
	{ "division after paren", "x = (a) / 2 / require('yes')", "r1:yes" },
	{ "regex after paren open", "f(/'/, require('yes'))", "r1:yes" },
	{ "division after property named like keyword",
	  "x = a.return / 2; y = '/'; require('yes')", "r1:yes" },
	{ "ASI: regex on a new statement", "x = 1\n;/'/.test(s); require('yes')",
	  "r2:yes" },
	{ "ASI: no semicolons", "const a = require('a')\nconst b = "
	  "require('b')\n", "r1:a r2:b" },
	/* property access and local definitions */
	{ "method called require", "obj.require('no'); module.require('no2')",
	  "" },
	{ "optional chaining", "obj?.require('no')", "" },
	{ "function named require", "function require(x) { return x }", "" },
	{ "method named require", "class A { require(a, b) { return a } }",
	  "" },
	{ "method named import", "o = { import(x) {}, require() {} }", "" },
	{ "call then block on the next line", "if (a) require(x)\n{ y() }",
	  "r1:?" },
	/* non-literal arguments */
	{ "variable", "require(name)", "r1:?" },
	{ "concatenation", "require('./a' + b)", "r1:?" },
	{ "dynamic import variable", "\nawait import(x)", "d2:?" },
	/* ESM forms */
	{ "import default", "import a from 'a'", "i1:a" },
	{ "import named", "import { a, b as c } from \"./x.mjs\";",
	  "i1:./x.mjs" },
	{ "import multi-line", "import {\n  a,\n  b\n} from 'm'", "i1:m" },
	{ "import namespace", "import * as ns from 'ns'", "i1:ns" },
	{ "import default and named", "import d, { e } from 'de'", "i1:de" },
	{ "import string name", "import { \"a-b\" as ab } from 'q'", "i1:q" },
	{ "import bare", "import './side-effect.js'", "b1:./side-effect.js" },
	{ "import with attributes", "import data from './d.json' with "
	  "{ type: 'json' }", "i1:./d.json" },
	{ "dynamic import", "const m = await import('./lazy.mjs')",
	  "d1:./lazy.mjs" },
	{ "dynamic import with options", "import('./x.json', { with: "
	  "{ type: 'json' } })", "d1:./x.json" },
	{ "import.meta", "const u = import.meta.url; x = 'from'", "" },
	{ "export star", "export * from './all.js'", "e1:./all.js" },
	{ "export star as", "export * as ns from 'ns2'", "e1:ns2" },
	{ "export named from", "export { a, b as default } from './ab.js'",
	  "e1:./ab.js" },
	{ "export without from", "export { a }\nconst from = 'no'", "" },
	{ "export declaration", "export const x = 1; export default 'no'", "" },
	{ "word from elsewhere", "let from = 1; x = from + 'no'", "" },
	{ "all forms together", "import a from 'a'\nimport 'b'\n"
	  "export * from 'c'\nconst d = require('d')\n"
	  "const e = await import('e')\n",
	  "i1:a b2:b e3:c r4:d d5:e" },
	{ "unterminated string stops at the line", "x = 'abc\nrequire('yes')",
	  "r2:yes" },
	{ "unterminated comment", "require('a') /* require('no')", "r1:a" },
};

static void format_sites(struct ferry_buf *out, const struct ferry_js_sites *s)
{
	static const char forms[] = "rRiebd";
	size_t i;

	for (i = 0; i < s->nr; i++) {
		assert_int_equal(ferry_buf_addf(out, "%s%c%u:%s",
				 i ? " " : "", forms[s->items[i].form],
				 s->items[i].line,
				 s->items[i].spec ? s->items[i].spec : "?"), 0);
	}
}

static void test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ferry_js_sites s;
		struct ferry_buf got = FERRY_BUF_INIT;

		ferry_js_sites_init(&s);
		assert_int_equal(ferry_js_lex_scan(&s, cases[i].src,
						   strlen(cases[i].src)), 0);
		format_sites(&got, &s);
		if (strcmp(got.buf, cases[i].want))
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].what,
				 got.buf, cases[i].want);
		ferry_buf_release(&got);
		ferry_js_sites_release(&s);
	}
}

static void test_not_nul_terminated(void **state)
{
	/* The scan must stop at len, not at a NUL. */
	const char src[] = "require('a')require('b')";
	struct ferry_js_sites s;

	(void)state;
	ferry_js_sites_init(&s);
	assert_int_equal(ferry_js_lex_scan(&s, src, 12), 0);
	assert_int_equal(s.nr, 1);
	assert_string_equal(s.items[0].spec, "a");
	ferry_js_sites_release(&s);
}

static void test_describe(void **state)
{
	struct ferry_js_site site = { "express", 3, FERRY_JS_REQUIRE };
	struct ferry_buf b = FERRY_BUF_INIT;

	(void)state;
	assert_int_equal(ferry_js_site_describe(&b, &site), 0);
	assert_string_equal(b.buf, "require('express')");
	ferry_buf_reset(&b);
	site.form = FERRY_JS_IMPORT_DYNAMIC;
	assert_int_equal(ferry_js_site_describe(&b, &site), 0);
	assert_string_equal(b.buf, "import('express')");
	ferry_buf_reset(&b);
	site.form = FERRY_JS_IMPORT_FROM;
	assert_int_equal(ferry_js_site_describe(&b, &site), 0);
	assert_string_equal(b.buf, "import ... from 'express'");
	ferry_buf_release(&b);
	assert_true(ferry_js_form_is_require(FERRY_JS_REQUIRE));
	assert_true(ferry_js_form_is_require(FERRY_JS_REQUIRE_RESOLVE));
	assert_false(ferry_js_form_is_require(FERRY_JS_IMPORT_DYNAMIC));
	assert_false(ferry_js_form_is_require(FERRY_JS_IMPORT_FROM));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
