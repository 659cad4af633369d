#!/usr/bin/env bats
# ferry rollback and ferry releases: the old answer comes back with no
# rebuild or upload, plain rollbacks keep walking back, missing targets
# exit 5, and the listing is newest first with the live release marked.

load ../helper

bats_require_minimum_version 1.5.0

answer() {
	run --separate-stderr ferry invoke hello
	assert_status 0
	[ "$output" = "{\"statusCode\":200,\"body\":\"hello $1\"}" ] || {
		echo "expected hello $1, got: $output" >&2
		return 1
	}
}

deploy_version() {
	sed -i "s/hello v[0-9]*/hello $1/" src/hello.js
	run ferry deploy
	assert_status 0
}

@test "deploy, invoke, change, deploy, rollback: invoke gives the old answer again" {
	sample_project
	deploy_version v1
	answer v1
	deploy_version v2
	answer v2
	artifacts=$(find .ferry/local/demo/artifacts -type f | wc -l)
	run ferry rollback
	assert_status 0
	assert_output_contains "release 3 is live (rollback to 1"
	answer v1
	# no rebuild, no upload
	[ "$(find .ferry/local/demo/artifacts -type f | wc -l)" -eq "$artifacts" ]
	grep -q '"kind": "rollback"' .ferry/local/demo/dev/releases/3.json
	grep -q '"target": 1' .ferry/local/demo/dev/releases/3.json
}

@test "plain rollbacks keep walking back until there is nothing before" {
	sample_project
	deploy_version v1
	deploy_version v2
	deploy_version v3
	run ferry rollback
	assert_status 0
	assert_output_contains "release 4 is live (rollback to 2"
	answer v2
	run ferry rollback
	assert_status 0
	assert_output_contains "release 5 is live (rollback to 1"
	answer v1
	run ferry rollback
	assert_status 5
	assert_output_contains "ferry: no release before 1 to roll back to"
	answer v1
}

@test "rollback N goes to that release; a missing N exits 5 and lists what exists" {
	sample_project
	deploy_version v1
	deploy_version v2
	deploy_version v3
	run ferry rollback 2
	assert_status 0
	assert_output_contains "release 4 is live (rollback to 2"
	answer v2
	run ferry rollback 9
	assert_status 5
	assert_output_contains "release 9 does not exist; releases of stage 'dev': 1..4"
	answer v2
	run ferry rollback 3
	assert_status 0
	answer v3
}

@test "rollback with nothing deployed exits 5" {
	sample_project
	run ferry rollback
	assert_status 5
	assert_output_contains "nothing is deployed to stage 'dev' of service 'demo'"
}

@test "a deploy after a rollback compares with what is live" {
	sample_project
	deploy_version v1
	deploy_version v2
	run ferry rollback
	assert_status 0
	# the code is at v2 again, live serves v1: this is a change
	run ferry deploy
	assert_status 0
	assert_output_contains "release 4 is live"
	answer v2
}

@test "releases lists newest first and marks the live one" {
	sample_project
	deploy_version v1
	deploy_version v2
	run ferry rollback
	assert_status 0
	run --separate-stderr ferry releases
	assert_status 0
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 4 ]
	header=$(printf '%s\n' "$output" | sed -n 1p)
	[[ "$header" == *RELEASE*TIME*KIND*USER*GIT* ]]
	first=$(printf '%s\n' "$output" | sed -n 2p)
	[[ "$first" == "* 3 "* ]]
	[[ "$first" == *"rollback to 1"* ]]
	[[ "$(printf '%s\n' "$output" | sed -n 3p)" == "  2 "* ]]
	[[ "$(printf '%s\n' "$output" | sed -n 4p)" == "  1 "* ]]
	[ "$(printf '%s\n' "$output" | grep -c '^\*')" -eq 1 ]
}

@test "releases --json marks the live release" {
	sample_project
	deploy_version v1
	deploy_version v2
	run --separate-stderr ferry --json releases
	assert_status 0
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ]
	printf '%s\n' "$output" | head -1 | grep -q '"release": *2'
	printf '%s\n' "$output" | head -1 | grep -q '"live": *true'
	printf '%s\n' "$output" | tail -1 | grep -q '"live": *false'
}
