#!/usr/bin/env bats
# ferry package --explain PATH: why a file is or is not in each bundle, in
# deps and none modes (the node fixture of tests/data/bundle), and the exit
# codes: 0 when explained, 5 when PATH is in no bundle for no known reason.

load ../helper
bats_require_minimum_version 1.5.0

node_project() {
	cp -a "$FERRY_TEST_DATA/bundle/node/." .
}

@test "explain a project file and a production package in deps mode" {
	node_project
	run --separate-stderr ferry package --explain src/users.js
	assert_status 0
	[ "$output" = "$(printf 'users: src/users.js is in the bundle\n  project file (deps mode)')" ]
	run --separate-stderr ferry package --explain node_modules/ms-lite/index.js
	assert_status 0
	[ "$output" = "$(printf "users: node_modules/ms-lite/index.js is in the bundle\n  production package 'ms-lite' (dependency of 'ws-util')")" ]
	run --separate-stderr ferry package --explain ./node_modules/express-lite/index.js
	assert_status 0
	assert_output_contains "production package 'express-lite' (dependency of the project package.json)"
	# explain writes no bundle
	[ ! -e .ferry/build/users.zip ]
}

@test "explain what is left out: devDependency, exclude, outside the project" {
	node_project
	sed -i 's/^functions:/package:\n  exclude: ["**\/*.test.js"]\nfunctions:/' ferry.yaml
	run --separate-stderr ferry package --explain node_modules/jest-lite/index.js
	assert_status 0
	[ "$output" = "users: node_modules/jest-lite/index.js is not in the bundle: devDependency 'jest-lite'" ]
	run --separate-stderr ferry package --explain src/users.test.js
	assert_status 0
	[ "$output" = "users: src/users.test.js is not in the bundle: excluded by package.exclude '**/*.test.js'" ]
	run --separate-stderr ferry package --explain "$TEST_DIR/../elsewhere.js"
	assert_status 0
	assert_output_contains "is not in the bundle: outside the project"
	run --separate-stderr ferry package --explain node_modules/dev-only-dep/index.js
	assert_status 0
	assert_output_contains "package 'dev-only-dep' is not a production dependency (deps mode)"
}

@test "explain an include, and each named function on its own" {
	node_project
	cat > ferry.yaml <<'YAML'
service: shop
runtime: nodejs22
functions:
  users:
    handler: src/users.handler
    package: { include: ["node_modules/jest-lite/package.json"] }
  other:
    handler: src/users.handler
YAML
	run --separate-stderr ferry package --explain node_modules/jest-lite/package.json
	assert_status 0
	[ "${lines[0]}" = "other: node_modules/jest-lite/package.json is not in the bundle: devDependency 'jest-lite'" ]
	[ "${lines[1]}" = "users: node_modules/jest-lite/package.json is in the bundle" ]
	[ "${lines[2]}" = "  included by package.include 'node_modules/jest-lite/package.json'" ]
	run --separate-stderr ferry package --explain node_modules/jest-lite/package.json other
	assert_status 0
	[ "${#lines[@]}" -eq 1 ]
	run --separate-stderr ferry package --explain src/users.js nope
	assert_status 5
	[ "$stderr" = "ferry: no function 'nope' in ferry.yaml" ]
}

@test "a path in no bundle for no known reason exits 5" {
	node_project
	run --separate-stderr ferry package --explain src/missing.js
	assert_status 5
	[ "$output" = "users: src/missing.js is not in the bundle (no such file)" ]
	[ "$stderr" = "ferry: 'src/missing.js' is in no bundle and no rule says why" ]
	# none mode takes everything: a missing file is the only way out
	sed -i 's/^functions:/package:\n  mode: none\nfunctions:/' ferry.yaml
	run --separate-stderr ferry package --explain node_modules/jest-lite/index.js
	assert_status 0
	[ "$output" = "$(printf 'users: node_modules/jest-lite/index.js is in the bundle\n  project file (none mode)')" ]
	run --separate-stderr ferry package --explain .git/HEAD
	assert_status 5
}
