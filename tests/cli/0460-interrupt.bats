#!/usr/bin/env bats
# Ctrl-C: the first SIGINT stops the running operation at a safe point. An
# interrupted deploy leaves the previous release live and the stage
# unlocked (unlike kill -9, no stale lock is left); an interrupted invoke
# kills the handler. Both exit 130.

load ../helper

bats_require_minimum_version 1.5.0

lock_file() { echo ".ferry/local/demo/dev/lock.json"; }

@test "SIGINT during invoke kills the handler and exits 130" {
	sample_project
	cat > src/hello.js <<'JS'
const fs = require("fs");
exports.handler = async () => {
  fs.writeFileSync(process.env.PIDFILE, String(process.pid));
  await new Promise((r) => setTimeout(r, 60000));
  return "too late";
};
JS
	sed -i 's/^timeout: 10/timeout: 120/' ferry.yaml
	sed -i "s|^    handler: src/hello.handler|    handler: src/hello.handler\n    env: { PIDFILE: \"$TEST_DIR/handler.pid\" }|" ferry.yaml
	run ferry deploy
	assert_status 0
	"$FERRY" invoke hello > out.txt 2> err.txt &
	pid=$!
	for _ in $(seq 100); do [ -s handler.pid ] && break; sleep 0.1; done
	[ -s handler.pid ]
	handler=$(cat handler.pid)
	kill -0 "$handler"
	start=$(date +%s)
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 130 ]
	[ $(( $(date +%s) - start )) -lt 10 ]
	grep -q "ferry: interrupted" err.txt
	[ ! -s out.txt ]
	# the handler is gone too
	sleep 0.2
	refute kill -0 "$handler" 2>/dev/null
}

@test "SIGINT during deploy leaves the previous release live and no lock" {
	sample_project
	# deps mode ships the whole project: a large file the handler never
	# loads makes the deploy take long enough to interrupt
	printf 'package:\n  mode: deps\n' >> ferry.yaml
	run ferry deploy
	assert_status 0
	head -c 30000000 /dev/urandom > src/blob.bin
	sed -i 's/hello v1/hello v2/' src/hello.js
	interrupted=0
	for delay in 0.05 0.1 0.2 0.3 0.5 0.8; do
		"$FERRY" deploy > out.txt 2> err.txt &
		pid=$!
		sleep "$delay"
		kill -INT "$pid" 2>/dev/null || true
		status=0
		wait "$pid" || status=$?
		if [ "$status" -eq 130 ]; then
			interrupted=$((interrupted + 1))
			grep -q "interrupted" err.txt
			[ ! -e "$(lock_file)" ]
			run ferry invoke hello
			assert_status 0
			[ "$output" = '{"statusCode":200,"body":"hello v1"}' ]
		else
			# finished before the signal: then v2 is live
			[ "$status" -eq 0 ]
			break
		fi
	done
	[ "$interrupted" -ge 1 ]
	run ferry deploy
	assert_status 0
	run ferry invoke hello
	[ "$output" = '{"statusCode":200,"body":"hello v2"}' ]
}
