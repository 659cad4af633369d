#!/usr/bin/env bats
# Guards on the test suite itself.

load ../helper

@test "no bats test asserts with a bare '! cmd' (it can never fail)" {
	# bash ignores set -e for a negated command: use refute (helper.bash)
	run grep -nE '^[[:space:]]*! ' "$FERRY_SOURCE_DIR"/tests/cli/*.bats \
		"$FERRY_SOURCE_DIR"/tests/e2e/*.bats
	if [ "$status" -eq 0 ]; then
		printf 'negated assertions that cannot fail:\n%s\n' "$output" >&2
		return 1
	fi
}

@test "no bats test chains assertions with && (only the last one can fail)" {
	# set -e ignores every failure of an && list but the last: one per line
	run grep -nE '^[[:space:]]*\[\[? .*\]\]? && \[' "$FERRY_SOURCE_DIR"/tests/cli/*.bats \
		"$FERRY_SOURCE_DIR"/tests/e2e/*.bats
	if [ "$status" -eq 0 ]; then
		printf 'chained assertions whose first parts cannot fail:\n%s\n' "$output" >&2
		return 1
	fi
}
