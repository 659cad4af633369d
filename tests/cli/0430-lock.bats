#!/usr/bin/env bats
# The lease lock of a stage: a live holder blocks deploy, rollback, prune
# and remove with exit 6 and a message naming it; a lock left by a process
# that died on this host, or whose lease expired, is taken over.

load ../helper

bats_require_minimum_version 1.5.0

LOCK=.ferry/local/demo/dev/lock.json

# write_lock HOST PID EXPIRES
write_lock() {
	mkdir -p "$(dirname "$LOCK")"
	printf '{"owner": "alice", "host": "%s", "pid": %s, "created": "2026-01-01T00:00:00Z", "expires": "%s"}\n' \
		"$1" "$2" "$3" > "$LOCK"
}

setup() {
	common_setup
	holder=
}

teardown() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	common_teardown
}

@test "a lock held by a live process blocks deploy with exit 6 naming the holder" {
	sample_project
	sleep 300 &
	holder=$!
	write_lock "$(hostname)" "$holder" 2099-01-01T00:00:00Z
	run ferry deploy
	assert_status 6
	assert_output_contains "ferry: stage 'dev' of service 'demo' is locked by alice@$(hostname) (pid $holder) until 2099-01-01T00:00:00Z"
	assert_output_contains "another deploy or rollback is running"
	assert_output_contains "demo/dev/lock.json"
	[ ! -d .ferry/local/demo/dev/releases ]
	# the holder's lock is left alone
	grep -q "\"pid\": $holder" "$LOCK"
}

@test "rollback, prune and remove respect the lock too" {
	sample_project
	run ferry deploy
	assert_status 0
	sed -i 's/hello v1/hello v2/' src/hello.js
	run ferry deploy
	assert_status 0
	sleep 300 &
	holder=$!
	write_lock "$(hostname)" "$holder" 2099-01-01T00:00:00Z
	run ferry rollback
	assert_status 6
	assert_output_contains "locked by alice@"
	run ferry prune --keep 1
	assert_status 6
	run ferry remove --yes
	assert_status 6
	run --separate-stderr ferry invoke hello
	assert_status 0
	[ "$output" = '{"statusCode":200,"body":"hello v2"}' ]
	kill "$holder"
	wait "$holder" 2>/dev/null || true
	holder=
	run ferry rollback
	assert_status 0
	assert_output_contains "release 3 is live (rollback to 1"
}

@test "a stale lock of a dead process on this host is taken over" {
	sample_project
	sh -c 'exit 0' &
	dead=$!
	wait "$dead"
	write_lock "$(hostname)" "$dead" 2099-01-01T00:00:00Z
	run ferry deploy
	assert_status 0
	assert_output_contains "release 1 is live"
	[ ! -e "$LOCK" ]
}

@test "an expired lease of another host is taken over" {
	sample_project
	write_lock elsewhere.example 4242 2001-01-01T00:00:00Z
	run ferry deploy
	assert_status 0
	assert_output_contains "release 1 is live"
	[ ! -e "$LOCK" ]
}

@test "a lease of another host that has not expired blocks" {
	sample_project
	write_lock elsewhere.example 4242 2099-01-01T00:00:00Z
	run ferry deploy
	assert_status 6
	assert_output_contains "locked by alice@elsewhere.example (pid 4242) until 2099-01-01T00:00:00Z"
}

@test "the lock is released after a deploy, also a failed one" {
	sample_project
	run ferry deploy
	assert_status 0
	[ ! -e "$LOCK" ]
	run ferry deploy nope
	[ "$status" -ne 0 ]
	[ ! -e "$LOCK" ]
}

@test "two deploys at once: both finish, one after the other or with exit 6" {
	sample_project
	run ferry deploy
	assert_status 0
	sed -i 's/hello v1/hello v2/' src/hello.js
	"$FERRY" deploy > one.out 2>&1 &
	one=$!
	"$FERRY" deploy > two.out 2>&1 &
	two=$!
	s1=0; wait "$one" || s1=$?
	s2=0; wait "$two" || s2=$?
	[ "$s1" -eq 0 ] || [ "$s1" -eq 6 ]
	[ "$s2" -eq 0 ] || [ "$s2" -eq 6 ]
	[ "$s1" -eq 0 ] || [ "$s2" -eq 0 ]
	# exactly one new release; never two records with the same number
	[ "$(find .ferry/local/demo/dev/releases -name '*.json' | wc -l)" -eq 2 ]
	[ ! -e "$LOCK" ]
	run --separate-stderr ferry invoke hello
	[ "$output" = '{"statusCode":200,"body":"hello v2"}' ]
}

@test "a deploy that changes nothing writes nothing, not even the lock" {
	sample_project
	run ferry deploy
	assert_status 0
	before=$(cd .ferry/local/demo && find . -type f | sort | xargs sha256sum)
	# a held lock does not stop a no-op deploy: it never takes the lock
	sleep 300 &
	holder=$!
	write_lock "$(hostname)" "$holder" 2099-01-01T00:00:00Z
	lock_before=$(sha256sum "$LOCK")
	run ferry deploy
	assert_status 0
	assert_output_contains "nothing changed; release 1 stays live"
	[ "$(sha256sum "$LOCK")" = "$lock_before" ]
	# and nothing else of the stage changed
	rm "$LOCK"
	[ "$(cd .ferry/local/demo && find . -type f | sort | xargs sha256sum)" = "$before" ]
	# a change still needs the lock
	write_lock "$(hostname)" "$holder" 2099-01-01T00:00:00Z
	sed -i 's/hello v1/hello v2/' src/hello.js
	run ferry deploy
	assert_status 6
}
