#!/usr/bin/env bats
# ferry prune --keep K and ferry remove: old records and unreferenced
# artifacts go, the live release always stays and keeps answering; remove
# deletes the stage, and with --purge the artifacts too.

load ../helper

bats_require_minimum_version 1.5.0

# The sample project with one bundle per function (each excludes the
# other's files), so artifact counts do not depend on the packaging mode.
split_sample() {
	sample_project
	sed -i -e 's|^    handler: src/hello.handler$|&\n    package: { exclude: ["jobs/**"] }|' \
		-e 's|^    handler: jobs/nightly.run$|&\n    package: { exclude: ["src/**"] }|' ferry.yaml
}

artifacts() { find .ferry/local/demo/artifacts -type f -name '*.zip' 2>/dev/null | wc -l; }
releases() { find .ferry/local/demo/dev/releases -type f -name '*.json' 2>/dev/null | wc -l; }

deploy_version() {
	sed -i "s/hello v[0-9]*/hello $1/" src/hello.js
	run ferry deploy
	assert_status 0
}

@test "prune keeps the newest K releases and deletes artifacts nothing uses" {
	split_sample
	deploy_version v1
	deploy_version v2
	deploy_version v3
	[ "$(releases)" -eq 3 ]
	[ "$(artifacts)" -eq 4 ]
	run ferry prune --keep 1
	assert_status 0
	assert_output_contains "pruned 2 releases and 2 artifacts"
	[ "$(releases)" -eq 1 ]
	[ "$(artifacts)" -eq 2 ]
	run --separate-stderr ferry invoke hello
	assert_status 0
	[ "$output" = '{"statusCode":200,"body":"hello v3"}' ]
	run --separate-stderr ferry releases
	[ "$(printf '%s\n' "$output" | grep -c '^\* 3 ')" -eq 1 ]
}

@test "prune keeps what the live release uses after a rollback" {
	split_sample
	deploy_version v1
	deploy_version v2
	deploy_version v3
	run ferry rollback 1
	assert_status 0
	run ferry prune --keep 1
	assert_status 0
	assert_output_contains "pruned 3 releases and 2 artifacts"
	run --separate-stderr ferry invoke hello
	assert_status 0
	[ "$output" = '{"statusCode":200,"body":"hello v1"}' ]
	# a second prune has nothing left to do
	run ferry prune --keep 1
	assert_status 0
	assert_output_contains "pruned 0 releases and 0 artifacts"
}

@test "prune keeps artifacts another stage still uses" {
	split_sample
	deploy_version v1
	run ferry -s prod deploy
	assert_status 0
	deploy_version v2
	run ferry prune --keep 1
	assert_status 0
	assert_output_contains "pruned 1 release and 0 artifacts"
	run --separate-stderr ferry -s prod invoke hello
	assert_status 0
	[ "$output" = '{"statusCode":200,"body":"hello v1"}' ]
}

@test "remove deletes the stage; artifacts stay unless --purge" {
	split_sample
	deploy_version v1
	deploy_version v2
	run ferry remove --yes
	assert_status 0
	assert_output_contains "removed stage 'dev' of 'demo'"
	run ferry invoke hello
	assert_status 5
	[ "$(releases)" -eq 0 ]
	[ ! -e .ferry/local/demo/dev/live.json ]
	[ ! -d .ferry/local/demo/dev/versions/hello ]
	[ "$(artifacts)" -eq 3 ]
	run ferry remove --yes
	assert_status 5
	assert_output_contains "nothing is deployed"
	# deploy again, then remove with --purge
	run ferry deploy
	assert_status 0
	assert_output_contains "release 1 is live"
	run ferry remove --yes --purge
	assert_status 0
	[ "$(artifacts)" -eq 0 ]
}

@test "remove of one stage leaves the other stage working" {
	split_sample
	deploy_version v1
	run ferry -s prod deploy
	assert_status 0
	run ferry -s prod remove --yes --purge
	assert_status 0
	run --separate-stderr ferry invoke hello
	assert_status 0
	[ "$output" = '{"statusCode":200,"body":"hello v1"}' ]
}
