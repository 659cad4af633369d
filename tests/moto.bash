# moto_server (the AWS emulator) for bats suites: load it after helper.bash.
#
#   setup_file()    { moto_start; }     # or per test, in setup()
#   teardown_file() { moto_stop; }
#
# moto_start starts `moto_server -H 127.0.0.1 -p PORT` on a free port, waits
# until GET /moto-api/ answers 200 (at most 20 s), lets Lambda invocations
# run without Docker, and exports
#   MOTO_PORT MOTO_PID MOTO_PYTHON (a python3 with boto3) AWS_ENDPOINT_URL
#   AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=eu-west-1
# It fails (never skips) when moto_server is not on PATH: it is
# preinstalled under pyenv. moto_stop stops that process (SIGTERM, then
# SIGKILL after 5 s) and waits for it. moto_reset forgets every resource;
# moto_reset_auth N turns signature checks on after N more requests.

# shellcheck source=port.bash
. "$(dirname "${BASH_SOURCE[0]}")/port.bash"

# moto_http METHOD PATH [CURL ARGS...]: the status code of one request.
moto_http() {
	local method=$1 path=$2
	shift 2
	curl -s -o /dev/null -w '%{http_code}' -X "$method" \
		"http://127.0.0.1:$MOTO_PORT$path" "$@"
}

moto_start() {
	local bin attempt i log
	bin=$(command -v moto_server) || {
		echo "moto_start: moto_server is not on PATH (preinstalled" \
			"under pyenv: put ~/.pyenv/shims on PATH)" >&2
		return 1
	}
	log=${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/moto.log
	for attempt in 1 2 3 4 5; do
		MOTO_PORT=$(free_port) || return 1
		# AWS managed policies (AWSLambdaBasicExecutionRole, which
		# ferry attaches to the role it creates) exist only when asked
		MOTO_IAM_LOAD_MANAGED_POLICIES=true \
			"$bin" -H 127.0.0.1 -p "$MOTO_PORT" >"$log" 2>&1 </dev/null &
		MOTO_PID=$!
		for ((i = 0; i < 200; i++)); do
			if ! kill -0 "$MOTO_PID" 2>/dev/null; then
				break	# exited: the port was taken meanwhile?
			fi
			if [ "$(moto_http GET /moto-api/)" = 200 ]; then
				# the python3 next to moto_server has boto3
				MOTO_PYTHON=$(dirname "$bin")/python3
				[ -x "$MOTO_PYTHON" ] || MOTO_PYTHON=python3
				export MOTO_PORT MOTO_PID MOTO_PYTHON
				export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
				export AWS_ACCESS_KEY_ID=testing
				export AWS_SECRET_ACCESS_KEY=testing
				export AWS_REGION=eu-west-1
				unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_REGION
				# moto answers 201 here
				[[ "$(moto_http POST /moto-api/config \
					-H 'Content-Type: application/json' \
					-d '{"lambda":{"use_docker":false}}')" == 2?? ]] || {
					echo "moto_start: POST /moto-api/config failed" >&2
					moto_stop
					return 1
				}
				return 0
			fi
			sleep 0.1
		done
		if kill -0 "$MOTO_PID" 2>/dev/null; then
			echo "moto_start: no answer on port $MOTO_PORT in 20 s;" \
				"its output:" >&2
			cat "$log" >&2
			moto_stop
			return 1
		fi
		wait "$MOTO_PID" 2>/dev/null || true
	done
	echo "moto_start: moto_server exited at start; its output:" >&2
	cat "$log" >&2
	unset MOTO_PID
	return 1
}

moto_stop() {
	local i
	[ -n "${MOTO_PID:-}" ] || return 0
	kill -TERM "$MOTO_PID" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$MOTO_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$MOTO_PID" 2>/dev/null || true
	wait "$MOTO_PID" 2>/dev/null || true
	unset MOTO_PID MOTO_PORT
	return 0
}

moto_reset() {
	[ "$(moto_http POST /moto-api/reset)" = 200 ]
}

moto_reset_auth() {
	[ "$(moto_http POST /moto-api/reset-auth -H 'Content-Type: text/plain' \
		-d "$1")" = 200 ]
}
