#!/usr/bin/env bats
# ferry invoke on the local provider: result on stdout and handler logs on
# stderr, events, environment, timeouts, the memory limit, thrown errors of
# Node and Python handlers, `provided` executables, and exit 5 for unknown
# or undeployed functions.

load ../helper

bats_require_minimum_version 1.5.0

@test "the result goes to stdout, the handler's prints to stderr" {
	sample_project
	cat > src/hello.js <<'JS'
exports.handler = async (event) => {
	console.log("a log line from the handler");
	return { got: event };
};
JS
	run ferry deploy
	assert_status 0
	run --separate-stderr ferry invoke hello --data '{"name":"ferry"}'
	assert_status 0
	[ "$output" = '{"got":{"name":"ferry"}}' ]
	[[ "$stderr" == *"a log line from the handler"* ]]
}

@test "--data @FILE sends the file as the event" {
	sample_project
	sed -i 's/return {"ok": True, "job": "nightly"}/return {"seen": event["n"] * 2}/' jobs/nightly.py
	echo '{"n": 21}' > event.json
	run ferry deploy
	assert_status 0
	run --separate-stderr ferry invoke nightly --data @event.json
	assert_status 0
	[ "$output" = '{"seen": 42}' ]
}

@test "invoke passes the function's environment" {
	sample_project
	cat >> ferry.yaml <<'YAML'
env:
  GREETING: hi
YAML
	sed -i 's/^    runtime: python3.11/    runtime: python3.11\n    env: { TABLE: "jobs-${stage}" }/' ferry.yaml
	cat > jobs/nightly.py <<'PY'
import os
def run(event, context):
    return {"greeting": os.environ.get("GREETING"), "table": os.environ.get("TABLE"),
            "name": os.environ.get("FERRY_FUNCTION_NAME"), "stage": os.environ.get("FERRY_STAGE"),
            "secret": os.environ.get("OUTSIDE_SECRET")}
PY
	run ferry deploy
	assert_status 0
	OUTSIDE_SECRET=leak run --separate-stderr ferry invoke nightly
	assert_status 0
	[ "$output" = '{"greeting": "hi", "table": "jobs-dev", "name": "nightly", "stage": "dev", "secret": null}' ]
}

@test "a handler sleeping past its timeout exits 1 naming the timeout" {
	sample_project
	sed -i 's/^timeout: 10/timeout: 1/' ferry.yaml
	cat > src/hello.js <<'JS'
exports.handler = async () => new Promise((r) => setTimeout(() => r("late"), 30000));
JS
	run ferry deploy
	assert_status 0
	start=$SECONDS
	run ferry invoke hello
	assert_status 1
	assert_output_contains "ferry: function 'hello' timed out after 1 s (timeout: 1 in ferry.yaml)"
	[ $((SECONDS - start)) -lt 10 ]
}

@test "a Python handler allocating more than its memory fails" {
	sample_project
	sed -i 's/^    runtime: python3.11/    runtime: python3.11\n    memory: 128/' ferry.yaml
	cat > jobs/nightly.py <<'PY'
def run(event, context):
    block = bytearray(600 * 1024 * 1024)
    return len(block)
PY
	run ferry deploy
	assert_status 0
	run ferry invoke nightly
	assert_status 1
	assert_output_contains "ferry: function 'nightly' failed: MemoryError"
	assert_output_contains "memory: 128 MB"
	# the same code with enough memory works
	sed -i 's/^    memory: 128/    memory: 1024/' ferry.yaml
	run ferry deploy
	assert_status 0
	run --separate-stderr ferry invoke nightly
	assert_status 0
	[ "$output" = "629145600" ]
}

@test "a throwing Node handler exits 1 with type, message and stack" {
	sample_project
	cat > src/hello.js <<'JS'
function inner() {
	throw new TypeError("boom");
}
exports.handler = async () => inner();
JS
	run ferry deploy
	assert_status 0
	run ferry invoke hello
	assert_status 1
	assert_output_contains "ferry: function 'hello' failed: TypeError: boom"
	assert_output_contains "at inner (src/hello.js:2:"
}

@test "a raising Python handler exits 1 with type, message and stack" {
	sample_project
	cat > jobs/nightly.py <<'PY'
def check(n):
    raise ValueError("n must be positive, got %d" % n)

def run(event, context):
    check(-1)
PY
	run ferry deploy
	assert_status 0
	run ferry invoke nightly
	assert_status 1
	assert_output_contains "ferry: function 'nightly' failed: ValueError: n must be positive, got -1"
	assert_output_contains 'File "jobs/nightly.py", line 5, in run'
	assert_output_contains 'File "jobs/nightly.py", line 2, in check'
}

@test "a provided bootstrap script reads the event on stdin and answers on stdout" {
	mkdir -p bin
	cat > ferry.yaml <<'YAML'
service: demo
functions:
  shell:
    handler: bootstrap.handler
    runtime: provided
    env: { WHO: bootstrap }
YAML
	cat > bootstrap <<'SH'
#!/bin/sh
event=$(cat)
echo "working on $event" >&2
printf '{"from": "%s", "event": %s}\n' "$WHO" "$event"
SH
	chmod +x bootstrap
	run ferry deploy
	assert_status 0
	run --separate-stderr ferry invoke shell --data '[1,2]'
	assert_status 0
	[ "$output" = '{"from": "bootstrap", "event": [1,2]}' ]
	[[ "$stderr" == *"working on [1,2]"* ]]
}

@test "an async ES module handler works" {
	sample_project
	rm src/hello.js
	sed -i 's|src/hello.handler|src/hello.handler|' ferry.yaml
	cat > src/hello.mjs <<'JS'
export const handler = async (event, context) => ({ esm: true, name: context.functionName });
JS
	run ferry deploy
	assert_status 0
	run --separate-stderr ferry invoke hello
	assert_status 0
	[ "$output" = '{"esm":true,"name":"hello"}' ]
}

@test "invoke of a function not in the manifest, or not deployed, exits 5" {
	sample_project
	run ferry invoke hello
	assert_status 5
	assert_output_contains "nothing is deployed"
	run ferry deploy hello
	assert_status 0
	run ferry invoke nightly
	assert_status 5
	assert_output_contains "function 'nightly' is not deployed"
	run ferry invoke nope
	assert_status 5
	assert_output_contains "nope"
}
