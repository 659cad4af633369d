#!/usr/bin/env bats
# ferry serve: the local HTTP gateway. Routes with {param} segments, the
# HTTP API payload 2.0 event, 404 / 405 / 502 / 504, one log line per
# request, warm handler processes, reload after deploy and rollback, and
# Ctrl-C (exit 130, no handler process left).

load ../helper

bats_require_minimum_version 1.5.0

setup() {
	common_setup
	SERVER_PID=
}

teardown() {
	if [ -n "$SERVER_PID" ]; then
		kill -KILL "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	common_teardown
}

gateway_project() {
	mkdir -p src py
	cat > ferry.yaml <<'YAML'
service: demo
runtime: nodejs20
timeout: 10
functions:
  users:
    handler: src/users.handler
    events:
      - http: GET /users/{id}
      - http: POST /users/{id}
  pyecho:
    handler: py/echo.handler
    runtime: python3.11
    events:
      - http: GET /py/{name}
  boom:
    handler: src/boom.handler
    events:
      - http: GET /boom
  slow:
    handler: src/slow.handler
    timeout: 1
    events:
      - http: GET /slow
YAML
	cat > src/users.js <<'JS'
exports.handler = async (event) => ({
	statusCode: 201,
	headers: { "x-answer": "v1" },
	body: JSON.stringify({ pid: process.pid, params: event.pathParameters,
		query: event.queryStringParameters, raw: event.rawQueryString,
		header: event.headers["x-test"], body: event.body,
		b64: event.isBase64Encoded, method: event.requestContext.http.method }),
});
JS
	cat > py/echo.py <<'PY'
import os
def handler(event, context):
    return {"from": "python", "name": event["pathParameters"]["name"], "pid": os.getpid()}
PY
	cat > src/boom.js <<'JS'
exports.handler = async () => { throw new TypeError("kaboom"); };
JS
	cat > src/slow.js <<'JS'
exports.handler = async () => new Promise((r) => setTimeout(() => r("late"), 20000));
JS
}

# Start `ferry serve --port 0` in the background; sets SERVER_PID and URL.
start_server() {
	"$FERRY" serve --port 0 > serve.out 2> serve.err &
	SERVER_PID=$!
	for _ in $(seq 100); do
		grep -q "listening on" serve.out 2>/dev/null && break
		sleep 0.1
	done
	URL=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' serve.out)
	[ -n "$URL" ]
}

@test "serve answers http events: params, query, headers, body; python too" {
	gateway_project
	run ferry deploy
	assert_status 0
	start_server
	run curl -s -i -H 'X-Test: hello' "$URL/users/42?a=1&b=x%20y&a=2"
	assert_status 0
	assert_output_contains "HTTP/1.1 201"
	assert_output_contains "x-answer: v1"
	assert_output_contains '"params":{"id":"42"}'
	assert_output_contains '"query":{"a":"1,2","b":"x y"}'
	assert_output_contains '"raw":"a=1&b=x%20y&a=2"'
	assert_output_contains '"header":"hello"'
	assert_output_contains '"method":"GET"'
	run curl -s -d 'some text' "$URL/users/7"
	assert_output_contains '"body":"some text","b64":false,"method":"POST"'
	run curl -s --data-binary $'\xff\xfe' -H 'Content-Type: application/octet-stream' "$URL/users/7"
	assert_output_contains '"body":"//4=","b64":true'
	run curl -s "$URL/py/ada"
	assert_status 0
	assert_output_contains '"from": "python", "name": "ada"'
}

@test "serve gives 404, 405 with Allow, 502 with the error and 504 on timeout" {
	gateway_project
	run ferry deploy
	assert_status 0
	start_server
	run curl -s -i "$URL/nowhere"
	assert_output_contains "HTTP/1.1 404"
	run curl -s -i -X DELETE "$URL/users/1"
	assert_output_contains "HTTP/1.1 405"
	assert_output_contains "Allow: GET, POST"
	run curl -s -i "$URL/boom"
	assert_output_contains "HTTP/1.1 502"
	assert_output_contains '{"errorType":"TypeError","errorMessage":"kaboom"}'
	start=$SECONDS
	run curl -s -i "$URL/slow"
	assert_output_contains "HTTP/1.1 504"
	assert_output_contains "timed out after 1 s"
	[ $((SECONDS - start)) -lt 5 ]
	# a handler that failed or timed out does not break the next request
	run curl -s "$URL/users/2"
	assert_output_contains '"params":{"id":"2"}'
	# one log line per request: method, path, function, status, ms
	[ "$(grep -cE '^[A-Z]+ /[^ ]* -> [a-z-]+ [0-9]{3} [0-9]+ ms$' serve.err)" -eq 5 ]
	grep -qE '^GET /nowhere -> - 404 [0-9]+ ms$' serve.err
	grep -qE '^DELETE /users/1 -> - 405 [0-9]+ ms$' serve.err
	grep -qE '^GET /boom -> boom 502 [0-9]+ ms$' serve.err
	grep -qE '^GET /slow -> slow 504 [0-9]+ ms$' serve.err
	grep -qE '^GET /users/2 -> users 201 [0-9]+ ms$' serve.err
}

@test "handler processes stay warm and are replaced after deploy and rollback" {
	gateway_project
	run ferry deploy
	assert_status 0
	start_server
	first=$(curl -s "$URL/users/1" | sed 's/.*"pid":\([0-9]*\).*/\1/')
	second=$(curl -s "$URL/users/2" | sed 's/.*"pid":\([0-9]*\).*/\1/')
	[ -n "$first" ]
	[ "$first" = "$second" ]
	kill -0 "$first"
	sed -i 's/"x-answer": "v1"/"x-answer": "v2"/' src/users.js
	run ferry deploy
	assert_status 0
	run curl -s -i "$URL/users/3"
	assert_output_contains "x-answer: v2"
	third=$(echo "$output" | tail -1 | sed 's/.*"pid":\([0-9]*\).*/\1/')
	[ "$third" != "$first" ]
	# the old process is gone
	sleep 0.2
	refute kill -0 "$first" 2>/dev/null
	run ferry rollback
	assert_status 0
	run curl -s -i "$URL/users/4"
	assert_output_contains "x-answer: v1"
}

@test "concurrent requests to one slow function are all answered" {
	gateway_project
	cat > src/users.js <<'JS'
exports.handler = async (event) => new Promise((r) =>
	setTimeout(() => r({ id: event.pathParameters.id }), 300));
JS
	run ferry deploy
	assert_status 0
	start_server
	pids=
	for i in 1 2 3 4 5 6; do
		curl -s "$URL/users/$i" > "r$i.txt" &
		pids="$pids $!"
	done
	# not a bare `wait`: that would wait for the server too
	for p in $pids; do wait "$p"; done
	for i in 1 2 3 4 5 6; do
		[ "$(cat "r$i.txt")" = "{\"id\":\"$i\"}" ]
	done
}

@test "Ctrl-C stops the server: exit 130 and no handler process left" {
	gateway_project
	run ferry deploy
	assert_status 0
	start_server
	run curl -s "$URL/users/1"
	assert_output_contains '"params"'
	run curl -s "$URL/py/x"
	assert_output_contains '"from": "python"'
	children=$(pgrep -P "$SERVER_PID" | tr '\n' ' ')
	[ -n "$children" ]
	kill -INT "$SERVER_PID"
	status=0
	wait "$SERVER_PID" || status=$?
	SERVER_PID=
	[ "$status" -eq 130 ]
	grep -q "ferry: interrupted" serve.err
	for c in $children; do
		refute kill -0 "$c" 2>/dev/null
	done
}

@test "serve --port rejects a bad port; a port in use fails with exit 1" {
	gateway_project
	run ferry serve --port 70000
	assert_status 2
	run ferry deploy
	assert_status 0
	start_server
	port=${URL##*:}
	run ferry serve --port "$port"
	assert_status 1
	assert_output_contains "cannot listen on 127.0.0.1:$port"
}
