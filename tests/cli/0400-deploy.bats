#!/usr/bin/env bats
# ferry deploy against the local provider: first deploy, change detection,
# skip-unchanged (no release, no upload), carry-over of functions not named,
# --dry-run, --force and --json.

load ../helper

bats_require_minimum_version 1.5.0

# The sample project with one bundle per function (each excludes the
# other's files), so artifact counts do not depend on the packaging mode.
split_sample() {
	sample_project
	sed -i -e 's|^    handler: src/hello.handler$|&\n    package: { exclude: ["jobs/**"] }|' \
		-e 's|^    handler: jobs/nightly.run$|&\n    package: { exclude: ["src/**"] }|' ferry.yaml
}

artifacts() { find .ferry/local/demo/artifacts -type f -name '*.zip' | wc -l; }
releases() { find .ferry/local/demo/dev/releases -type f -name '*.json' | wc -l; }

@test "deploy makes a release live and invoke answers from it" {
	split_sample
	run ferry deploy
	assert_status 0
	assert_output_contains "FUNCTION"
	assert_output_contains "CHANGE"
	assert_output_contains "hello"
	assert_output_contains "nightly"
	assert_output_contains "new"
	assert_output_contains "release 1 is live"
	run --separate-stderr ferry invoke hello
	assert_status 0
	[ "$output" = '{"statusCode":200,"body":"hello v1"}' ]
	run --separate-stderr ferry invoke nightly
	assert_status 0
	[ "$output" = '{"ok": true, "job": "nightly"}' ]
}

@test "a changed handler makes a new release with the new answer" {
	split_sample
	run ferry deploy
	assert_status 0
	sed -i 's/hello v1/hello v2/' src/hello.js
	run ferry deploy
	assert_status 0
	assert_output_contains "updated"
	assert_output_contains "unchanged"
	assert_output_contains "release 2 is live (1 upload"
	run --separate-stderr ferry invoke hello
	assert_status 0
	[ "$output" = '{"statusCode":200,"body":"hello v2"}' ]
	[ "$(releases)" -eq 2 ]
	[ "$(artifacts)" -eq 3 ]
}

@test "a second deploy with nothing changed says so, records nothing and uploads nothing" {
	split_sample
	run ferry deploy
	assert_status 0
	[ "$(releases)" -eq 1 ]
	[ "$(artifacts)" -eq 2 ]
	before=$(ls -li .ferry/local/demo/artifacts)
	run ferry deploy
	assert_status 0
	assert_output_contains "nothing changed; release 1 stays live"
	[ "$(releases)" -eq 1 ]
	[ "$(artifacts)" -eq 2 ]
	[ "$(ls -li .ferry/local/demo/artifacts)" = "$before" ]
	run ferry releases
	assert_status 0
	[ "$(printf '%s\n' "$output" | grep -c 'deploy')" -eq 1 ]
}

@test "a configuration change alone makes a new release without an upload" {
	split_sample
	run ferry deploy
	assert_status 0
	sed -i 's/^memory: 256/memory: 512/' ferry.yaml
	run ferry deploy
	assert_status 0
	assert_output_contains "updated"
	assert_output_contains "release 2 is live (0 uploads"
	[ "$(artifacts)" -eq 2 ]
}

@test "deploying one function keeps the others as they are live" {
	split_sample
	run ferry deploy
	assert_status 0
	sed -i 's/hello v1/hello v2/' src/hello.js
	sed -i 's/"nightly"/"changed but not deployed"/' jobs/nightly.py
	run ferry deploy hello
	assert_status 0
	assert_output_contains "release 2 is live"
	[[ "$output" != *nightly* ]]
	run --separate-stderr ferry invoke nightly
	assert_status 0
	[ "$output" = '{"ok": true, "job": "nightly"}' ]
	run --separate-stderr ferry invoke hello
	[ "$output" = '{"statusCode":200,"body":"hello v2"}' ]
}

@test "deploy of a function that is not in the manifest fails with exit 5" {
	split_sample
	run ferry deploy nope
	assert_status 5
	assert_output_contains "nope"
	[ ! -d .ferry/local/demo/dev/releases ]
}

@test "--dry-run shows the plan and deploys nothing" {
	split_sample
	run ferry deploy
	assert_status 0
	sed -i 's/hello v1/hello v2/' src/hello.js
	run ferry deploy --dry-run
	assert_status 0
	assert_output_contains "updated"
	assert_output_contains "dry run"
	[ "$(releases)" -eq 1 ]
	[ "$(artifacts)" -eq 2 ]
	run --separate-stderr ferry invoke hello
	[ "$output" = '{"statusCode":200,"body":"hello v1"}' ]
}

@test "--force makes a release even when nothing changed" {
	split_sample
	run ferry deploy
	assert_status 0
	run ferry deploy --force
	assert_status 0
	assert_output_contains "release 2 is live (0 uploads"
	[ "$(releases)" -eq 2 ]
}

@test "--json deploy prints one object per function and a final event" {
	split_sample
	run --separate-stderr ferry --json deploy
	assert_status 0
	# progress events of the phases, then functions, then the result
	[ "$(jq -s -c '[.[].event]' <<<"$output")" = '["progress","progress","function","function","deploy"]' ]
	output=$(grep -v '"event":"progress"' <<<"$output")
	printf '%s\n' "$output" | head -1 | grep -q '"event": *"function"'
	printf '%s\n' "$output" | tail -1 | grep -q '"release": *1'
	printf '%s\n' "$output" | tail -1 | grep -q '"uploads": *2'
	run --separate-stderr ferry --json deploy
	printf '%s\n' "$output" | tail -1 | grep -q '"changed": *false'
}

@test "the release record names the git commit of the project" {
	split_sample
	echo .ferry/ > .gitignore
	git init -q . && git add -A && git -c user.email=a@b -c user.name=a commit -qm init
	run ferry deploy
	assert_status 0
	sha=$(git rev-parse HEAD)
	grep -q "\"commit\": \"$sha\"" .ferry/local/demo/dev/releases/1.json
	grep -q '"dirty": false' .ferry/local/demo/dev/releases/1.json
	run ferry releases
	assert_output_contains "${sha:0:10}"
}
