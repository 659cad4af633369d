#!/usr/bin/env bats
# The manual page ferry(1): generated from the command table at build
# time, complete (every command and option of the help), valid roff, and
# installed by cmake --install into PREFIX/share/man/man1.

load ../helper

bats_require_minimum_version 1.5.0

# The page as text, with roff's hyphens and font changes undone.
man_text() { MANWIDTH=200 man -l "$1" 2>/dev/null | col -b; }

@test "the page is valid roff: groff reports no warning" {
	ferry __man > ferry.1
	run --separate-stderr groff -man -ww -z ferry.1
	assert_status 0
	[ -z "$stderr" ]
}

@test "every command and every option of the help is in the page" {
	ferry __man > ferry.1
	text=$(man_text ferry.1)
	[[ "$text" == *"ferry - deploy serverless functions anywhere"* ]]
	cmds=$(ferry help | sed -n '/^commands:/,/^$/p' | awk 'NF>1 {print $1}')
	[ -n "$cmds" ]
	for c in $cmds; do
		grep -q "^ *ferry $c\b" <<<"$text" || { echo "no section for $c"; return 1; }
		for o in $(ferry help "$c" | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
			grep -qF -- "$o" <<<"$text" || { echo "no $o ($c)"; return 1; }
		done
	done
	# hidden commands stay out
	refute grep -q "__man" <<<"$text"
	for code in 0 1 2 3 4 5 6 130; do
		grep -qE "^ +$code\b" <<<"$text" || { echo "exit code $code missing"; return 1; }
	done
}

@test "the build wrote the same page, and cmake --install puts it in man1" {
	build=$(dirname "$FERRY")
	ferry __man > ferry.1
	cmp ferry.1 "$build/ferry.1"
	run cmake --install "$build" --prefix "$TEST_DIR/prefix"
	assert_status 0
	cmp ferry.1 "$TEST_DIR/prefix/share/man/man1/ferry.1"
	MANPATH="$TEST_DIR/prefix/share/man" run man -w ferry
	assert_status 0
	[ "$output" = "$TEST_DIR/prefix/share/man/man1/ferry.1" ]
}
