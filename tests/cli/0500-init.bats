#!/usr/bin/env bats
# ferry templates and ferry init: every built-in template deploys, answers
# `ferry invoke` and passes its own tests; variables, safety rules (no
# writes into non-empty directories, no overwrites, no escapes, nothing left
# behind by a failed init) and "did you mean" for unknown templates.

load ../helper

bats_require_minimum_version 1.5.0

HTTP_EVENT='{"version":"2.0","rawPath":"/hello","rawQueryString":"name=ada","headers":{},"queryStringParameters":{"name":"ada"},"requestContext":{"http":{"method":"GET","path":"/hello"}},"isBase64Encoded":false}'

# The body of an HTTP result on stdout ($output), after checking statusCode 200.
http_body() {
	[ "$(jq -r .statusCode <<<"$output")" = 200 ]
	jq -r .body <<<"$output"
}

@test "ferry templates lists every built-in template with a description" {
	run --separate-stderr ferry templates
	assert_status 0
	[ "${#lines[@]}" -eq 5 ]
	[[ "${lines[0]}" =~ ^node-http\ +Node\.js\ HTTP ]]
	assert_output_contains "node-worker"
	assert_output_contains "provided-http"
	assert_output_contains "python-http"
	assert_output_contains "python-worker"
	run --separate-stderr ferry --json templates
	assert_status 0
	[ "$(jq -r .name <<<"${lines[3]}")" = python-http ]
}

@test "init without --template creates node-http in the current directory" {
	mkdir my-app && cd my-app
	run ferry init
	assert_status 0
	assert_output_contains "created . from template 'node-http'"
	[ -f ferry.yaml ]
	[ -f src/handler.js ]
	[ -f test/handler.test.js ]
	[ ! -e ferry-template.yaml ]
	grep -q '^service: my-app$' ferry.yaml
	run ferry validate
	assert_status 0
}

@test "node-http: deploy, invoke with an HTTP API 2.0 event, and its own tests pass" {
	run ferry init --template node-http shop
	assert_status 0
	cd shop
	run node --test test/
	assert_status 0
	assert_output_contains "# fail 0"
	run ferry deploy
	assert_status 0
	run --separate-stderr ferry invoke hello --data "$HTTP_EVENT"
	assert_status 0
	body=$(http_body)
	[ "$(jq -r .message <<<"$body")" = "hello, ada" ]
	[ "$(jq -r .path <<<"$body")" = "/hello" ]
}

@test "node-worker: a schedule function that deploys, runs and passes its tests" {
	run ferry init --template node-worker jobs
	assert_status 0
	cd jobs
	grep -q 'schedule: rate(5 minutes)' ferry.yaml
	run node --test test/
	assert_status 0
	assert_output_contains "# fail 0"
	run ferry deploy
	assert_status 0
	run --separate-stderr ferry invoke tick --data '{"items":["a","b"]}'
	assert_status 0
	[ "$(jq -r .processed <<<"$output")" = 2 ]
	[ "$(jq -r .function <<<"$output")" = tick ]
}

@test "python-http: deploy, invoke with an HTTP API 2.0 event, and its own tests pass" {
	run ferry init --template python-http api
	assert_status 0
	cd api
	run python3 -m unittest
	assert_status 0
	assert_output_contains "Ran 4 tests"
	assert_output_contains "OK"
	run ferry deploy
	assert_status 0
	run --separate-stderr ferry invoke hello --data "$HTTP_EVENT"
	assert_status 0
	body=$(http_body)
	[ "$(jq -r .message <<<"$body")" = "hello, ada" ]
}

@test "python-worker: a schedule function that deploys, runs and passes its tests" {
	run ferry init --template python-worker jobs
	assert_status 0
	cd jobs
	run python3 -m unittest
	assert_status 0
	assert_output_contains "Ran 2 tests"
	run ferry deploy
	assert_status 0
	run --separate-stderr ferry invoke tick --data '{"items":[1]}'
	assert_status 0
	[ "$(jq -r .processed <<<"$output")" = 1 ]
}

@test "provided-http: bootstrap keeps its executable bit, deploys, answers, test.sh passes" {
	run ferry init --template provided-http sh-api
	assert_status 0
	cd sh-api
	[ -x bootstrap ]
	[ -x test.sh ]
	[ ! -x ferry.yaml ]
	run sh test.sh
	assert_status 0
	assert_output_contains "ok: 2 checks passed"
	run ferry deploy
	assert_status 0
	run --separate-stderr ferry invoke hello --data "$HTTP_EVENT"
	assert_status 0
	body=$(http_body)
	[ "$(jq -r .path <<<"$body")" = "/hello" ]
}

@test "the service name defaults to the directory's name, made valid" {
	run ferry init "My Cool_App 2"
	assert_status 0
	grep -q '^service: my-cool-app-2$' "My Cool_App 2/ferry.yaml"
	run ferry init 42things
	assert_status 0
	grep -q '^service: things$' 42things/ferry.yaml
}

@test "--set renders declared variables, service and stage" {
	run ferry init --template node-http --set greeting=howdy --set service=greeter g
	assert_status 0
	grep -q '^service: greeter$' g/ferry.yaml
	grep -q "const GREETING = 'howdy';" g/src/handler.js
	grep -q 'ferry deploy -s dev' g/README.md
	run ferry init --set stage=prod -t python-http p
	assert_status 0
	grep -q 'ferry deploy -s prod' p/README.md
	cd g
	run node --test test/
	assert_status 0
	run ferry deploy
	assert_status 0
	run --separate-stderr ferry invoke hello --data "$HTTP_EVENT"
	assert_status 0
	[ "$(http_body | jq -r .message)" = "howdy, ada" ]
}

@test "--set of a variable the template does not declare: exit 2 with the list" {
	run ferry init --template node-http --set colour=blue x
	assert_status 2
	assert_output_contains "--set 'colour': the template declares no such variable; it has: service, stage, greeting"
	[ ! -e x ]
	run ferry init --set nokey x
	assert_status 2
	assert_output_contains "expected KEY=VALUE"
	run ferry init --set service=Bad_Name x
	assert_status 2
	assert_output_contains "a service name is 1-40 characters"
	[ ! -e x ]
}

@test "a non-empty directory is refused without --force, and nothing is written" {
	mkdir busy && echo mine > busy/notes.txt
	run ferry init busy
	assert_status 6
	assert_output_contains "directory 'busy' is not empty; pass --force"
	[ "$(ls -A busy)" = notes.txt ]
}

@test "--force adds the files, keeps existing ones and never overwrites" {
	mkdir busy && echo mine > busy/notes.txt && mkdir busy/src
	run ferry init --force busy
	assert_status 0
	[ "$(cat busy/notes.txt)" = mine ]
	[ -f busy/ferry.yaml ]
	[ -f busy/src/handler.js ]
	mkdir clash && echo 'service: keep' > clash/ferry.yaml
	run ferry init --force clash
	assert_status 6
	assert_output_contains "'ferry.yaml'"
	assert_output_contains "never overwrites files"
	[ "$(cat clash/ferry.yaml)" = 'service: keep' ]
	[ "$(ls -A clash)" = ferry.yaml ]
}

@test "an existing empty directory is filled, keeping the directory itself" {
	mkdir empty
	ino=$(stat -c %i empty)
	run ferry init -t python-worker empty
	assert_status 0
	[ "$(stat -c %i empty)" = "$ino" ]
	[ -f empty/worker.py ]
}

@test "an unknown template exits 5 with a suggestion" {
	run ferry init --template node-htp x
	assert_status 5
	assert_output_contains "unknown template 'node-htp' (did you mean 'node-http'?)"
	run ferry init --template cobol x
	assert_status 5
	assert_output_contains "see 'ferry templates'"
	[ ! -e x ]
}

@test "a template directory: unknown {{variable}} is exit 3 naming file:line, \{{ is literal" {
	mkdir -p tpl/src
	printf 'service: {{service}}\nfunctions:\n  f:\n    handler: src/f.handler\n' > tpl/ferry.yaml
	printf 'exports.handler = async () => ({a: "{{ who }}", b: "\\{{who}}"});\n' > tpl/src/f.js
	run ferry init --template ./tpl --set who=me out
	assert_status 0
	grep -qF 'a: "me", b: "{{who}}"' out/src/f.js
	printf 'line one\nhello {{nobody}}\n' > tpl/README.md
	run ferry init --template ./tpl --set who=me out2
	assert_status 3
	assert_output_contains "README.md:2: unknown template variable 'nobody'"
	[ ! -e out2 ]
	[ -z "$(ls -A . | grep ferry-)" ]
}

@test "values with .. never move files: names are not rendered" {
	mkdir -p tpl
	printf 'service: {{service}}\n# {{where}}\n' > tpl/ferry.yaml
	printf '{{where}}\n' > 'tpl/{{where}}.txt'
	run ferry init --template ./tpl --set where=../../escaped out
	assert_status 0
	[ -f 'out/{{where}}.txt' ]
	grep -qF '# ../../escaped' out/ferry.yaml
	[ ! -e escaped ]
	[ ! -e ../escaped ]
	[ ! -e escaped.txt ]
}

@test "template symlinks pointing outside are refused; .git is never copied" {
	mkdir -p tpl/.git tpl/lib
	printf 'service: {{service}}\n' > tpl/ferry.yaml
	echo x > tpl/.git/config
	echo data > tpl/lib/data.txt
	ln -s lib/data.txt tpl/inside
	run ferry init --template ./tpl ok
	assert_status 0
	[ ! -e ok/.git ]
	[ "$(readlink ok/inside)" = lib/data.txt ]
	ln -s ../../etc/passwd tpl/lib/evil
	run ferry init --template ./tpl bad
	assert_status 3
	assert_output_contains "symlink 'lib/evil' points outside the template"
	[ ! -e bad ]
	rm tpl/lib/evil && ln -s /etc/passwd tpl/abs
	run ferry init --template ./tpl bad
	assert_status 3
	[ ! -e bad ]
}

@test "a failed init leaves no partial directory: the half-built tree is removed" {
	# a bad render in the last file: the stage was half built, then removed
	mkdir -p tpl/zz
	printf 'service: {{service}}\n' > tpl/ferry.yaml
	for i in $(seq 1 50); do echo "file $i" > "tpl/f$i.txt"; done
	echo '{{missing}}' > tpl/zz/last.txt
	run ferry init --template ./tpl target
	assert_status 3
	[ ! -e target ]
	[ -z "$(ls -A | grep -v -e '^tpl$' -e '^home$')" ]
}

@test "init is interrupted cleanly by SIGINT" {
	mkdir -p tpl
	printf 'service: {{service}}\n' > tpl/ferry.yaml
	for i in $(seq 1 3000); do echo "file $i" > "tpl/f$i.txt"; done
	"$FERRY" init --template ./tpl target 2>err.txt &
	pid=$!
	sleep 0.05
	kill -INT "$pid" 2>/dev/null || true
	status=0
	wait "$pid" || status=$?
	# either it finished first, or it stopped and left nothing
	if [ "$status" -ne 0 ]; then
		[ "$status" -eq 130 ]
		[ ! -e target ]
	else
		[ -f target/f3000.txt ]
	fi
	[ -z "$(ls -A | grep -v -e '^tpl$' -e '^target$' -e '^err.txt$' -e '^home$')" ]
}

@test "-C DIR makes the project directory relative to DIR" {
	mkdir base
	run ferry -C base init -t node-worker w
	assert_status 0
	[ -f base/w/ferry.yaml ]
}

@test "--json reports the files written" {
	run --separate-stderr ferry --json init -t provided-http p
	assert_status 0
	[ "$(jq -r .event <<<"$output")" = init ]
	[ "$(jq -r '.files | index("bootstrap") != null' <<<"$output")" = true ]
}

# Wait until flock(1) in the background holds directory $1.
wait_held() {
	local i
	for i in $(seq 100); do
		flock -n "$1" true || return 0
		sleep 0.05
	done
	echo "nobody took the lock of $1" >&2
	return 1
}

@test "the next init sweeps what a killed init left, never what a live one holds" {
	# a stage and an unpacked template left by kill -9: nobody holds them
	mkdir .app.ferry-init-dead01 .app.ferry-template-dead02
	echo half > .app.ferry-init-dead01/half-written
	# one a running init holds (flock(1) takes the same lock ferry does)
	mkdir .app.ferry-init-busy03
	flock .app.ferry-init-busy03 sleep 60 &
	holder=$!
	# one just created, before its creator could lock it
	mkdir .app.ferry-init-young4
	touch -d '1 hour ago' .app.ferry-init-dead01 .app.ferry-template-dead02 \
		.app.ferry-init-busy03
	# another project's leftovers are not ours to take
	mkdir .other.ferry-init-dead05
	touch -d '1 hour ago' .other.ferry-init-dead05
	wait_held .app.ferry-init-busy03
	run ferry init -t node-worker app
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
	assert_status 0
	[ -f app/ferry.yaml ]
	[ ! -e .app.ferry-init-dead01 ]
	[ ! -e .app.ferry-template-dead02 ]
	[ -d .app.ferry-init-busy03 ]
	[ -d .app.ferry-init-young4 ]
	[ -d .other.ferry-init-dead05 ]
}

@test "a git template fetch sweeps the checkouts killed fetches left in TMPDIR" {
	command -v git >/dev/null
	export TMPDIR="$PWD/tmp"
	mkdir -p "$TMPDIR/ferry-template-dead01" "$TMPDIR/ferry-template-busy02" src
	touch -d '1 hour ago' "$TMPDIR/ferry-template-dead01" "$TMPDIR/ferry-template-busy02"
	flock "$TMPDIR/ferry-template-busy02" sleep 60 &
	holder=$!
	printf 'service: {{service}}\nfunctions: {}\n' > src/ferry.yaml
	git -C src init -q
	git -C src add ferry.yaml
	git -C src -c user.name=t -c user.email=t@example.com commit -qm tpl
	wait_held "$TMPDIR/ferry-template-busy02"
	run ferry init --template "file://$PWD/src" app
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
	assert_status 0
	[ -f app/ferry.yaml ]
	[ ! -e "$TMPDIR/ferry-template-dead01" ]
	[ -d "$TMPDIR/ferry-template-busy02" ]
	# and its own checkout is gone too
	[ "$(ls "$TMPDIR")" = ferry-template-busy02 ]
}
