#!/usr/bin/env bats
# Crash safety of the release engine: `kill -9` of a deploy or a rollback
# at 30 points spread over its measured duration must never leave the
# stage broken. After every kill, invoke answers with the previous or the
# new version (never an error), `ferry releases` works, and the next
# command succeeds and makes the new answer live.

load ../helper

bats_require_minimum_version 1.5.0

POINTS=30

now_ns() { date +%s%N; }

set_version() { sed -i "s/hello v[0-9]*/hello v$1/" src/hello.js; }

# The answer of the live hello, or "ERROR: <output>".
answer() {
	local out
	if out=$("$FERRY" invoke hello 2>/dev/null); then
		printf '%s\n' "$out"
	else
		printf 'ERROR: %s\n' "$("$FERRY" invoke hello 2>&1)"
	fi
}

expect() { printf '{"statusCode":200,"body":"hello v%s"}\n' "$1"; }

# The commands that get killed take 20 ms more per visible step (a store
# write, a publish, an activation: FERRY_TEST_STEP_DELAY_MS, core/release.c),
# so that the kill points spread over their steps rather than over process
# start-up, which dominates a local deploy of a few milliseconds.
# `exec` matters: run in the background, a function is a subshell, and
# without it `kill -9 $!` would kill that subshell and leave ferry running
# (still holding the lock when the next deploy starts).
slow() { FERRY_TEST_STEP_DELAY_MS=20 exec "$FERRY" "$@"; }
slow_fg() { FERRY_TEST_STEP_DELAY_MS=20 "$FERRY" "$@"; }

# Seconds (decimal) for point $1 of $POINTS over a duration of $2 ns.
delay() { awk -v i="$1" -v n="$POINTS" -v d="$2" 'BEGIN { printf "%.4f", d * i / n / 1e9 }'; }

# Number of the second-newest release of kind deploy.
previous_deploy() {
	"$FERRY" --json releases | python3 -c '
import json, sys
nums = sorted(e["release"] for e in map(json.loads, sys.stdin) if e["kind"] == "deploy")
print(nums[-2])'
}

@test "kill -9 of a deploy at 30 points never breaks the stage" {
	sample_project
	set_version 0
	run ferry deploy
	assert_status 0
	# measure a deploy of a changed project
	set_version 1
	t0=$(now_ns)
	run slow_fg deploy
	assert_status 0
	duration=$(( $(now_ns) - t0 ))
	prev=1
	interrupted=0
	for i in $(seq 0 $((POINTS - 1))); do
		new=$((i + 2))
		set_version "$new"
		slow deploy > /dev/null 2>&1 &
		pid=$!
		sleep "$(delay "$i" "$duration")"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		if kill -0 "$pid" 2>/dev/null; then
			echo "point $i: ferry survived the kill (pid $pid)" >&2
			return 1
		fi
		# a lock left behind: the kill landed in the middle
		[ -e .ferry/local/demo/dev/lock.json ] && interrupted=$((interrupted + 1))

		got=$(answer)
		if [ "$got" != "$(expect "$prev")" ] && [ "$got" != "$(expect "$new")" ]; then
			echo "point $i: after the kill hello answered: $got" >&2
			return 1
		fi
		run ferry releases
		assert_status 0
		run ferry deploy
		if [ "$status" -ne 0 ]; then
			echo "point $i: the deploy after the kill failed" >&2
			assert_status 0
		fi
		got=$(answer)
		if [ "$got" != "$(expect "$new")" ]; then
			echo "point $i: after redeploying hello answered: $got" >&2
			return 1
		fi
		prev=$new
	done
	echo "# $interrupted of $POINTS kills interrupted the command" >&3
	[ "$interrupted" -gt 0 ]
	# A kill after the release went live leaves the lock of a dead ferry,
	# which the next deploy (a no-op, it writes nothing) leaves alone;
	# the next deploy that writes takes it over and releases it.
	set_version final
	run ferry deploy
	assert_status 0
	[ ! -e .ferry/local/demo/dev/lock.json ]
	# what the killed writers left behind was swept by later writes
	[ -z "$(find .ferry/local -name '*.tmp.*')" ]
}

@test "kill -9 of a rollback at 30 points never breaks the stage" {
	sample_project
	set_version 0
	run ferry deploy
	assert_status 0
	set_version 1
	run ferry deploy
	assert_status 0
	t0=$(now_ns)
	run slow_fg rollback
	assert_status 0
	duration=$(( $(now_ns) - t0 ))
	interrupted=0
	for i in $(seq 0 $((POINTS - 1))); do
		# live: v(i+2), the deploy before it: v(i+1)
		old=$((i + 1))
		new=$((i + 2))
		set_version "$new"
		run ferry deploy
		assert_status 0
		slow rollback > /dev/null 2>&1 &
		pid=$!
		sleep "$(delay "$i" "$duration")"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		if kill -0 "$pid" 2>/dev/null; then
			echo "point $i: ferry survived the kill (pid $pid)" >&2
			return 1
		fi
		# a lock left behind: the kill landed in the middle
		[ -e .ferry/local/demo/dev/lock.json ] && interrupted=$((interrupted + 1))

		got=$(answer)
		if [ "$got" != "$(expect "$new")" ] && [ "$got" != "$(expect "$old")" ]; then
			echo "point $i: after the kill hello answered: $got" >&2
			return 1
		fi
		run ferry releases
		assert_status 0
		target=$(previous_deploy)
		run ferry rollback "$target"
		if [ "$status" -ne 0 ]; then
			echo "point $i: the rollback after the kill failed" >&2
			assert_status 0
		fi
		got=$(answer)
		if [ "$got" != "$(expect "$old")" ]; then
			echo "point $i: after rolling back hello answered: $got" >&2
			return 1
		fi
	done
	echo "# $interrupted of $POINTS kills interrupted the command" >&3
	[ "$interrupted" -gt 0 ]
	[ ! -e .ferry/local/demo/dev/lock.json ]
}
