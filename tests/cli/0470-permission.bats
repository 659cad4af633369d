#!/usr/bin/env bats
# Exit code 4: a store ferry may not write to is a permission problem, and
# the message says which path. (/sys refuses new directories even to root,
# which the suite runs as in CI, so this cannot be faked with chmod.)

load ../helper

@test "a store ferry may not write to exits 4 naming the path" {
	sample_project
	printf 'providers:\n  local: { root: /sys/ferry-test-store }\n' >> ferry.yaml
	run ferry deploy
	assert_status 4
	assert_output_contains "ferry: cannot create directory '/sys/ferry-test-store': Operation not permitted"
	[ ! -e /sys/ferry-test-store ]
}
