# Shared set-up for the bats suites (tests/cli, tests/e2e).
#
# FERRY points at the binary under test (ctest sets it; by hand it defaults
# to build/ferry). Every test runs in its own empty temporary directory,
# $TEST_DIR, with HOME inside it, so nothing leaks between tests.

: "${FERRY_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${FERRY:=$FERRY_SOURCE_DIR/build/ferry}"
: "${FERRY_TEST_DATA:=$FERRY_SOURCE_DIR/tests/data}"
export FERRY FERRY_SOURCE_DIR FERRY_TEST_DATA

# shellcheck source=port.bash
. "$(dirname "${BASH_SOURCE[0]}")/port.bash"

# The completion suites' project: sample_project with stages prod and
# staging, and the directory of $FERRY first on PATH, since completion
# scripts run `ferry` from PATH as a user's shell would.
completion_project() {
	PATH="$(dirname "$FERRY"):$PATH"
	export PATH
	sample_project
	cat >> ferry.yaml <<'YAML'
stages:
  prod: { memory: 512 }
  staging: {}
YAML
}

common_setup() {
	TEST_DIR=$(mktemp -d "${BATS_TMPDIR:-/tmp}/ferry-test.XXXXXX")
	export HOME="$TEST_DIR/home"
	mkdir -p "$HOME"
	unset FERRY_STAGE FERRY_PROVIDER NO_COLOR
	cd "$TEST_DIR"
}

common_teardown() {
	cd /
	[ -n "${TEST_DIR:-}" ] && rm -rf "$TEST_DIR"
}

setup() { common_setup; }
teardown() { common_teardown; }

ferry() { "$FERRY" "$@"; }

# Write a two-function Node + Python sample project into the current directory.
sample_project() {
	mkdir -p src jobs
	cat > ferry.yaml <<'YAML'
service: demo
runtime: nodejs20
memory: 256
timeout: 10
functions:
  hello:
    handler: src/hello.handler
    events:
      - http: GET /hello
  nightly:
    handler: jobs/nightly.run
    runtime: python3.11
YAML
	cat > src/hello.js <<'JS'
exports.handler = async (event) => ({ statusCode: 200, body: "hello v1" });
JS
	cat > jobs/nightly.py <<'PY'
def run(event, context):
    return {"ok": True, "job": "nightly"}
PY
}

# Fail with a message unless "$output" contains the fixed string $1.
assert_output_contains() {
	if [[ "$output" != *"$1"* ]]; then
		printf 'expected output to contain: %s\nactual output:\n%s\n' "$1" "$output" >&2
		return 1
	fi
}

# Fail if the command succeeds. Use this instead of `! cmd`: bash ignores
# `set -e` for a negated command, so `! cmd` never fails a bats test.
refute() {
	if "$@"; then
		printf 'expected this to fail: %s\n' "$*" >&2
		return 1
	fi
}

# Fail unless $status equals $1.
assert_status() {
	if [ "$status" -ne "$1" ]; then
		printf 'expected exit status %s, got %s\noutput:\n%s\n' "$1" "$status" "$output" >&2
		return 1
	fi
}
