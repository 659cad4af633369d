#!/bin/sh
# Run with: sh test.sh   - checks ./bootstrap with a sample HTTP event.
set -eu
cd "$(dirname "$0")"

fail() { echo "FAIL: $*" >&2; exit 1; }

out=$(printf '%s' '{"rawPath":"/hello","requestContext":{"http":{"method":"GET","path":"/hello"}}}' | ./bootstrap 2>/dev/null) ||
	fail "bootstrap exited non-zero"
case $out in
*'"statusCode":200'*) ;;
*) fail "no statusCode 200 in: $out" ;;
esac
case $out in
*'\"path\":\"/hello\"'*) ;;
*) fail "the body does not name the path: $out" ;;
esac

out=$(printf '%s' '{}' | ./bootstrap 2>/dev/null) || fail "bootstrap failed on {}"
case $out in
*'\"path\":\"/\"'*) ;;
*) fail "an event without rawPath is not answered for /: $out" ;;
esac

echo "ok: 2 checks passed"
