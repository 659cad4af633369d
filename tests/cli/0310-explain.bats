#!/usr/bin/env bats
# ferry package --explain PATH: why a file is or is not in each bundle, in
# trace, deps and none modes (the fixtures of tests/data/bundle), and the exit
# codes: 0 when explained, 5 when PATH is in no bundle for no known reason.

load ../helper
bats_require_minimum_version 1.5.0

node_project() {
	cp -a "$FERRY_TEST_DATA/bundle/node/." .
}

@test "explain a project file and a production package in deps mode" {
	node_project
	sed -i 's/^functions:/package:\n  mode: deps\nfunctions:/' ferry.yaml
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
	sed -i 's/^functions:/package:\n  mode: deps\n  exclude: ["**\/*.test.js"]\nfunctions:/' ferry.yaml
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

@test "trace mode: the chain of imports from the handler" {
	node_project
	sed -i 's/^functions:/package:\n  mode: trace\nfunctions:/' ferry.yaml
	run --separate-stderr ferry package --explain node_modules/ms-lite/index.js
	assert_status 0
	[ "$output" = "$(cat <<'EOF2'
users: node_modules/ms-lite/index.js is in the bundle
  src/users.js:3 require('ws-util')
   -> node_modules/ws-util/index.js:1 require('ms-lite')
   -> node_modules/ms-lite/index.js
EOF2
)" ]
	# the workspace package's real file names the same entry
	run --separate-stderr ferry package --explain packages/ws-util/index.js
	assert_status 0
	assert_output_contains "users: node_modules/ws-util/index.js is in the bundle (from packages/ws-util/index.js)"
	run --separate-stderr ferry package --explain node_modules/debug-lite/index.js
	assert_status 0
	[ "$output" = "users: node_modules/debug-lite/index.js is not in the bundle: not reached from the handler" ]
	run --separate-stderr ferry package --explain src/lib/db.js
	assert_status 0
	[ "$output" = "users: src/lib/db.js is not in the bundle: not reached from the handler" ]
	run --separate-stderr ferry package --explain node_modules/jest-lite/index.js
	assert_status 0
	[ "$output" = "users: node_modules/jest-lite/index.js is not in the bundle: devDependency 'jest-lite'" ]
	# a require the tracer cannot follow warns when packaging, not here
	printf 'const n = "x";\nmodule.exports = require(n);\n' > src/lib/db.js
	echo 'require("./lib/db");' >> src/users.js
	run --separate-stderr ferry package --explain src/lib/db.js
	assert_status 0
	assert_output_contains "src/users.js:5 require('./lib/db')"
	[ -z "$stderr" ]
	run --separate-stderr ferry package
	assert_status 0
	grep -qF "warning: function 'users': src/lib/db.js:2: " <<<"$stderr"
}

@test "trace mode: exclude, external and include are named" {
	node_project
	cat > ferry.yaml <<'YAML'
service: shop
runtime: nodejs22
package:
  mode: trace
  external: ["@scope/*"]
  exclude: ["node_modules/express-lite/lib/**"]
  include: ["src/lib/*.js"]
functions:
  users:
    handler: src/users.handler
YAML
	run --separate-stderr ferry package --explain node_modules/express-lite/lib/router.js
	assert_status 0
	[ "$output" = "users: node_modules/express-lite/lib/router.js is not in the bundle: excluded by package.exclude 'node_modules/express-lite/lib/**'" ]
	run --separate-stderr ferry package --explain node_modules/@scope/x/index.js
	assert_status 0
	[ "$output" = "users: node_modules/@scope/x/index.js is not in the bundle: package '@scope/x' is left out by package.external '@scope/*'" ]
	run --separate-stderr ferry package --explain src/lib/db.js
	assert_status 0
	[ "$output" = "$(printf "users: src/lib/db.js is in the bundle\n  included by package.include 'src/lib/*.js'")" ]
}

@test "trace mode for python: a package file by its bundle name or its path" {
	cp -a "$FERRY_TEST_DATA/bundle/python/." .
	sed -i 's/^functions:/package:\n  mode: trace\nfunctions:/' ferry.yaml
	run --separate-stderr ferry package --explain requests_lite/__init__.py
	assert_status 0
	[ "$output" = "$(printf 'nightly: requests_lite/__init__.py is in the bundle\n  jobs/nightly.py:1 import requests_lite\n   -> requests_lite/__init__.py')" ]
	run --separate-stderr ferry package --explain vendor/six_lite.py
	assert_status 0
	assert_output_contains "nightly: six_lite.py is in the bundle (from vendor/six_lite.py)"
	assert_output_contains "jobs/nightly.py:2 import six_lite"
	run --separate-stderr ferry package --explain vendor/requests_lite/api.py
	assert_status 0
	[ "$output" = "nightly: vendor/requests_lite/api.py is not in the bundle: not reached from the handler" ]
}

@test "deps mode for python: a package file from the packages directory" {
	cp -a "$FERRY_TEST_DATA/bundle/python/." .
	sed -i 's/^functions:/package:\n  mode: deps\nfunctions:/' ferry.yaml
	run --separate-stderr ferry package --explain vendor/requests_lite/api.py
	assert_status 0
	[ "$output" = "$(printf "nightly: requests_lite/api.py is in the bundle (from vendor/requests_lite/api.py)\n  installed Python package file from 'vendor' (deps mode)")" ]
	run --separate-stderr ferry package --explain vendor/requests_lite/__pycache__/__init__.cpython-312.pyc
	assert_status 0
	[ "$output" = "nightly: vendor/requests_lite/__pycache__/__init__.cpython-312.pyc is not in the bundle: compiled Python caches never go in" ]
}

@test "--json: one explain event per function, with the chain or the reason" {
	node_project
	sed -i 's/^functions:/package:\n  mode: trace\nfunctions:/' ferry.yaml
	run --separate-stderr ferry --json package --explain node_modules/ms-lite/index.js
	assert_status 0
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -c . <<<"$output")" = '{"event":"explain","function":"users","path":"node_modules/ms-lite/index.js","name":"node_modules/ms-lite/index.js","bundled":true,"why":["src/users.js:3 require('"'"'ws-util'"'"')","node_modules/ws-util/index.js:1 require('"'"'ms-lite'"'"')","node_modules/ms-lite/index.js"]}' ]
	# a workspace file: path as given, name inside the bundle
	run --separate-stderr ferry package --explain packages/ws-util/index.js --json
	assert_status 0
	[ "$(jq -r '[.path, .name, .bundled] | join(" ")' <<<"$output")" = "packages/ws-util/index.js node_modules/ws-util/index.js true" ]
	run --separate-stderr ferry --json package --explain node_modules/jest-lite/index.js
	assert_status 0
	[ "$(jq -c '[.bundled, .why]' <<<"$output")" = "[false,[\"devDependency 'jest-lite'\"]]" ]
	run --separate-stderr ferry --json package --explain src/missing.js
	assert_status 5
	[ "$(jq -c '[.bundled, .why]' <<<"${lines[0]}")" = '[false,["no such file"]]' ]
}
