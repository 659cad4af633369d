#!/usr/bin/env bats
# ferry init --template URL[#REF][//SUBDIR] DIR end to end: one repository
# made with the git command line, served by `git daemon` (git://) and by
# lighttpd + git-http-backend (smart HTTP), both started in setup_file and
# stopped by PID in teardown_file, and read through file://. Checks the
# project's files, exit 5 naming a bad ref, subdirectory or repository,
# exit 2 for a malformed spec, credentials never shown, a non-empty DIR
# refused without --force, and nothing left behind by a failure.

load ../helper
load ../git

bats_require_minimum_version 1.5.0

# Wait until `git ls-remote $1` answers (5 s at most).
wait_git() {
	local i
	for i in $(seq 1 100); do
		git ls-remote "$1" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "nothing serves $1" >&2
	return 1
}

# main: tpl/ holds the template (ferry.yaml renders {{service}}, a handler,
# README "main"); tag v1 has README "v1"; branch next adds tpl/NEXT.md.
# escape.git has a link tpl/up -> ../outside.txt.
setup_file() {
	export GIT_CONFIG_NOSYSTEM=1
	SRV="$BATS_FILE_TMPDIR/srv"
	local work="$BATS_FILE_TMPDIR/work" esc="$BATS_FILE_TMPDIR/esc"
	mkdir -p "$SRV" "$work"
	echo 'not part of the template' > "$work/outside.txt"
	template_repo "$work" "$SRV/tpl.git" hi

	mkdir -p "$esc/tpl"
	git init -q -b main "$esc"
	printf 'service: {{service}}\n' > "$esc/tpl/ferry.yaml"
	echo secret > "$esc/outside.txt"
	ln -s ../outside.txt "$esc/tpl/up"
	gitc -C "$esc" add .
	gitc -C "$esc" commit -q -m escape
	git clone -q --bare "$esc" "$SRV/escape.git"

	DAEMON_PORT=$(free_port)
	git daemon --listen=127.0.0.1 --port="$DAEMON_PORT" --base-path="$SRV" \
		--export-all --reuseaddr --pid-file="$BATS_FILE_TMPDIR/daemon.pid" \
		"$SRV" >"$BATS_FILE_TMPDIR/daemon.log" 2>&1 &
	echo $! > "$BATS_FILE_TMPDIR/daemon.bgpid"
	wait_git "git://127.0.0.1:$DAEMON_PORT/tpl.git"

	HTTP_PORT=$(free_port)
	mkdir -p "$BATS_FILE_TMPDIR/www"
	cat > "$BATS_FILE_TMPDIR/lighttpd.conf" <<EOF
server.document-root = "$BATS_FILE_TMPDIR/www"
server.bind = "127.0.0.1"
server.port = $HTTP_PORT
server.errorlog = "$BATS_FILE_TMPDIR/lighttpd.errors"
server.modules = ( "mod_alias", "mod_cgi", "mod_setenv" )
alias.url = ( "/git" => "/usr/lib/git-core/git-http-backend" )
\$HTTP["url"] =~ "^/git" {
  cgi.assign = ( "" => "" )
  setenv.add-environment = ( "GIT_PROJECT_ROOT" => "$SRV", "GIT_HTTP_EXPORT_ALL" => "1" )
}
EOF
	lighttpd -D -f "$BATS_FILE_TMPDIR/lighttpd.conf" >"$BATS_FILE_TMPDIR/lighttpd.log" 2>&1 &
	echo $! > "$BATS_FILE_TMPDIR/lighttpd.pid"
	wait_git "http://127.0.0.1:$HTTP_PORT/git/tpl.git"
	export SRV DAEMON_PORT HTTP_PORT
}

teardown_file() {
	local f
	for f in daemon.bgpid lighttpd.pid; do
		[ -s "$BATS_FILE_TMPDIR/$f" ] || continue
		kill "$(cat "$BATS_FILE_TMPDIR/$f")" 2>/dev/null || true
	done
	# git daemon forks per connection; its pid file names the listener
	[ -s "$BATS_FILE_TMPDIR/daemon.pid" ] &&
		kill "$(cat "$BATS_FILE_TMPDIR/daemon.pid")" 2>/dev/null || true
}

setup() {
	common_setup
	export TMPDIR="$TEST_DIR/tmp"
	mkdir -p "$TMPDIR"
}

# Nothing of a fetch may remain in $TMPDIR.
assert_no_temp() {
	if [ -n "$(ls -A "$TMPDIR")" ]; then
		ls -la "$TMPDIR" >&2
		return 1
	fi
}

@test "git://URL#TAG//SUBDIR creates the project from that tag's subdirectory" {
	run ferry init --template "git://127.0.0.1:$DAEMON_PORT/tpl.git#v1//tpl" shop
	assert_status 0
	[ "$(cat shop/README.md)" = v1 ]
	grep -qx 'service: shop' shop/ferry.yaml
	[ -f shop/src/hello.js ]
	[ ! -e shop/NEXT.md ]
	[ ! -e shop/outside.txt ]
	[ ! -e shop/.git ]
	[ "$(cd shop && find . -type f | sort | tr '\n' ' ')" = "./README.md ./ferry.yaml ./src/hello.js " ]
	assert_no_temp
	# the project it made is a valid one
	run ferry -C shop validate
	assert_status 0
}

@test "smart HTTP: #BRANCH//SUBDIR and the default branch" {
	run ferry init --template "http://127.0.0.1:$HTTP_PORT/git/tpl.git#next//tpl" a
	assert_status 0
	[ "$(cat a/NEXT.md)" = next ]
	[ "$(cat a/README.md)" = v1 ]
	run ferry init --template "http://127.0.0.1:$HTTP_PORT/git/tpl.git//tpl" b
	assert_status 0
	[ "$(cat b/README.md)" = main ]
	[ ! -e b/NEXT.md ]
	[ ! -e b/.git ]
	assert_no_temp
}

@test "file:// with a commit id" {
	sha=$(git --git-dir="$SRV/tpl.git" rev-parse v1^{commit})
	run ferry init --template "file://$SRV/tpl.git#${sha:0:10}//tpl" c
	assert_status 0
	[ "$(cat c/README.md)" = v1 ]
}

@test "a bad ref exits 5 naming the ref, and writes nothing" {
	url="git://127.0.0.1:$DAEMON_PORT/tpl.git"
	run --separate-stderr ferry init --template "$url#nope//tpl" shop
	assert_status 5
	[[ "$stderr" == *"no ref 'nope' in '$url'"* ]]
	[ ! -e shop ]
	assert_no_temp
	[ -z "$(ls -A | grep -v -e '^home$' -e '^tmp$')" ]
}

@test "a missing subdirectory or repository exits 5 naming it" {
	url="http://127.0.0.1:$HTTP_PORT/git/tpl.git"
	run ferry init --template "$url#v1//nope" shop
	assert_status 5
	assert_output_contains "no directory 'nope' in '$url' at 'v1'"
	run ferry init --template "http://127.0.0.1:$HTTP_PORT/git/missing.git" shop
	assert_status 5
	assert_output_contains "template repository 'http://127.0.0.1:$HTTP_PORT/git/missing.git' not found ("
	[ ! -e shop ]
	assert_no_temp
}

@test "a malformed spec exits 2 saying what is wrong" {
	run ferry init --template "git://127.0.0.1:$DAEMON_PORT/tpl.git#//tpl" shop
	assert_status 2
	assert_output_contains "empty ref after '#'"
	run ferry init --template "git://127.0.0.1:$DAEMON_PORT/tpl.git//tpl#v1" shop
	assert_status 2
	assert_output_contains "'#REF' must come before '//SUBDIR'"
	[ ! -e shop ]
	assert_no_temp
}

@test "credentials in the URL are never shown in errors" {
	url="http://alice:t0ps3cret@127.0.0.1:$HTTP_PORT/git/tpl.git"
	run --separate-stderr ferry init --template "$url#nope//tpl" shop
	assert_status 5
	line=$(grep '^ferry: ' <<<"$stderr")
	[ "$line" = "ferry: no ref 'nope' in 'http://***@127.0.0.1:$HTTP_PORT/git/tpl.git'" ]
	run --separate-stderr ferry init --template "http://alice:t0ps3cret@127.0.0.1:$(free_port)/x.git" shop
	assert_status 5
	line=$(grep '^ferry: ' <<<"$stderr")
	[[ "$line" == "ferry: template repository 'http://***@127.0.0.1:"*"/x.git' not found ("* ]]
	[[ "$line" != *t0ps3cret* ]]
	[[ "$line" != *alice* ]]
	run ferry init --template "$url#v1//tpl" shop
	assert_status 0
	[ -f shop/ferry.yaml ]
}

@test "credentials in the URL are never shown, progress and summary included" {
	url="http://alice:t0ps3cret@127.0.0.1:$HTTP_PORT/git/tpl.git"
	run ferry init --template "$url#nope//tpl" shop
	assert_status 5
	[[ "$output" != *t0ps3cret* ]]
	[[ "$output" != *alice* ]]
	run ferry init --template "$url#v1//tpl" shop
	assert_status 0
	[[ "$output" != *t0ps3cret* ]]
	[[ "$output" != *alice* ]]
	run ferry --json init --template "$url#v1//tpl" shop2
	assert_status 0
	[[ "$output" != *t0ps3cret* ]]
}

@test "a non-empty DIR is refused without --force, and left as it was" {
	mkdir busy && echo mine > busy/notes.txt
	run ferry init --template "git://127.0.0.1:$DAEMON_PORT/tpl.git#v1//tpl" busy
	assert_status 6
	assert_output_contains "is not empty; pass --force"
	[ "$(ls -A busy)" = notes.txt ]
	[ "$(cat busy/notes.txt)" = mine ]
	assert_no_temp
	run ferry init --force --template "git://127.0.0.1:$DAEMON_PORT/tpl.git#v1//tpl" busy
	assert_status 0
	[ "$(cat busy/notes.txt)" = mine ]
	[ -f busy/ferry.yaml ]
	[ ! -e busy/.git ]
}

@test "a symbolic link leaving the template is refused, nothing is written" {
	run ferry init --template "git://127.0.0.1:$DAEMON_PORT/escape.git//tpl" shop
	assert_status 3
	assert_output_contains "symbolic link 'up' to '../outside.txt', outside the template"
	[ ! -e shop ]
	assert_no_temp
}
