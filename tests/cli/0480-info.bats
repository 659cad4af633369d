#!/usr/bin/env bats
# ferry info: the live release and, per function, runtime, bundle and routes.

load ../helper

@test "info before any deploy says nothing is deployed" {
	sample_project
	run ferry info
	assert_status 0
	assert_output_contains "service demo, stage dev, provider local: nothing deployed yet"
	assert_output_contains "hello     nodejs20"
}

@test "info after deploy and rollback names the live release and bundles" {
	sample_project
	ferry deploy > /dev/null
	sed -i 's/hello v1/hello v2/' src/hello.js
	ferry deploy > /dev/null
	run ferry info
	assert_status 0
	assert_output_contains "release 2 is live (deploy, "
	sha=$(ferry --json releases | python3 -c '
import json, sys
for e in map(json.loads, sys.stdin):
    if e["live"]:
        print(e["functions"]["hello"]["sha256"][:12])')
	[ ${#sha} -eq 12 ]
	line=$(printf '%s\n' "$output" | grep '^hello ')
	[[ "$line" == *"nodejs20"*"$sha"*"GET /hello"* ]]
	ferry rollback > /dev/null
	run ferry info
	assert_output_contains "release 3 is live (rollback, "
}

@test "info --json prints the service event and one event per function" {
	sample_project
	ferry deploy > /dev/null
	run ferry --json info
	assert_status 0
	printf '%s\n' "$output" | python3 -c '
import json, sys
events = [json.loads(l) for l in sys.stdin if l.strip()]
assert events[0] == {"event": "service", "service": "demo", "stage": "dev", "provider": "local", "live": 1}, events[0]
fns = {e["function"]: e for e in events[1:]}
assert set(fns) == {"hello", "nightly"}, fns
assert fns["hello"]["routes"] == "GET /hello" and len(fns["hello"]["sha256"]) == 64, fns["hello"]
assert fns["nightly"]["runtime"] == "python3.11" and fns["nightly"]["routes"] == "", fns["nightly"]'
}
