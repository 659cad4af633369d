#!/usr/bin/env bats
# ferry init --template over ssh, against a real OpenSSH server started in
# setup_file (its own host key, authorized_keys and pid file in a temp
# directory, on a free port of 127.0.0.1, stopped by PID in teardown_file)
# and an ssh-agent holding the client key. HOME is per test, so
# ~/.ssh/known_hosts is the test's own. Checks: a clone with a known host
# key that deploys, #REF//SUBDIR, no user in the URL (the local one), the
# scp form, the host key refused when unknown, changed or revoked (exit
# 4, nothing written, no key offered), hashed and wildcard known_hosts
# lines, and authentication failures (no agent, dead agent, key not
# authorized) as exit 4 without secrets.

load ../helper
load ../git

bats_require_minimum_version 1.5.0

# The known_hosts line sshd's key gets from `ssh-keyscan -p $2 $1`, once
# the server answers (5 s at most); empty output means it never did.
scan() {
	local i out
	for i in $(seq 1 50); do
		out=$(ssh-keyscan -T 1 -p "$2" "$1" 2>/dev/null) && [ -n "$out" ] &&
			{ printf '%s\n' "$out"; return 0; }
		sleep 0.1
	done
	return 1
}

# main: tpl/ holds the template (ferry.yaml and the handler render
# {{service}}, README "main"); tag v1 has README "v1"; branch next adds
# tpl/NEXT.md. Keys: the server's host key, another host key (the
# "changed" one), the client key (authorized, in the agent) and a
# stranger key (not authorized).
setup_file() {
	export GIT_CONFIG_NOSYSTEM=1
	SRV="$BATS_FILE_TMPDIR/srv"
	KEYS="$BATS_FILE_TMPDIR/keys"
	local work="$BATS_FILE_TMPDIR/work" cfg="$BATS_FILE_TMPDIR/sshd_config"
	mkdir -p "$SRV" "$KEYS"
	template_repo "$work" "$SRV/tpl.git" 'hi from {{service}}'

	local k
	for k in host other_host client stranger; do
		ssh-keygen -q -t ed25519 -N '' -C "ferry-test-$k" -f "$KEYS/$k"
	done
	cp "$KEYS/client.pub" "$BATS_FILE_TMPDIR/authorized_keys"

	# The scp form (USER@HOST:PATH) has no port, and libgit2 reads no ssh
	# config: it needs a server on port 22. The same sshd also tries a
	# random 127.x.y.z:22, which works as root when no other sshd holds
	# *:22; the scp test skips when it did not.
	SSH_PORT=$(free_port)
	SCP_HOST="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
	SSH_USER=$(id -un)
	cat > "$cfg" <<EOF
ListenAddress 127.0.0.1
ListenAddress $SCP_HOST:22
HostKey $KEYS/host
AuthorizedKeysFile $BATS_FILE_TMPDIR/authorized_keys
PidFile $BATS_FILE_TMPDIR/sshd.pid
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PrintMotd no
EOF
	# privilege separation needs this directory when sshd runs as root
	if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
		mkdir -p /run/sshd
		chmod 0755 /run/sshd
	fi
	/usr/sbin/sshd -D -e -f "$cfg" -p "$SSH_PORT" \
		>"$BATS_FILE_TMPDIR/sshd.log" 2>&1 &
	echo $! > "$BATS_FILE_TMPDIR/sshd.bgpid"
	if ! scan 127.0.0.1 "$SSH_PORT" > "$KEYS/known_hosts"; then
		cat "$BATS_FILE_TMPDIR/sshd.log" >&2
		return 1
	fi
	# sshd has bound all its addresses before it answers on the first
	grep -q "^Server listening on $SCP_HOST port 22" "$BATS_FILE_TMPDIR/sshd.log" &&
		scan "$SCP_HOST" 22 > "$KEYS/known_hosts.scp" || SCP_HOST=""

	eval "$(ssh-agent -s)" >/dev/null
	echo "$SSH_AGENT_PID" > "$BATS_FILE_TMPDIR/agent.pid"
	ssh-add -q "$KEYS/client" 2>/dev/null
	URL="ssh://$SSH_USER@127.0.0.1:$SSH_PORT$SRV/tpl.git"
	export SRV KEYS SSH_PORT SCP_HOST SSH_USER SSH_AUTH_SOCK URL
}

teardown_file() {
	local f
	for f in sshd.bgpid agent.pid; do
		[ -s "$BATS_FILE_TMPDIR/$f" ] || continue
		kill "$(cat "$BATS_FILE_TMPDIR/$f")" 2>/dev/null || true
	done
}

setup() {
	common_setup
	export TMPDIR="$TEST_DIR/tmp"
	mkdir -p "$TMPDIR" "$HOME/.ssh"
	KNOWN="$HOME/.ssh/known_hosts"
}

teardown() {
	# an agent a test started for itself
	[ -s "$TEST_DIR/agent.pid" ] && kill "$(cat "$TEST_DIR/agent.pid")" 2>/dev/null
	common_teardown
}

# Nothing of a fetch may remain in $TMPDIR.
assert_no_temp() {
	if [ -n "$(ls -A "$TMPDIR")" ]; then
		ls -la "$TMPDIR" >&2
		return 1
	fi
}

# How many logins sshd has accepted so far.
logins() {
	grep -c '^Accepted publickey' "$BATS_FILE_TMPDIR/sshd.log" || true
}

# "TYPE BASE64" of a public key file.
pubkey() {
	cut -d' ' -f1,2 "$1"
}

@test "ssh:// with a known host key creates the project, which deploys and answers" {
	cp "$KEYS/known_hosts" "$KNOWN"
	run ferry init --template "$URL//tpl" shop
	assert_status 0
	[ "$(cat shop/README.md)" = main ]
	grep -qx 'service: shop' shop/ferry.yaml
	[ "$(cd shop && find . -type f | sort | tr '\n' ' ')" = "./README.md ./ferry.yaml ./src/hello.js " ]
	[ ! -e shop/.git ]
	assert_no_temp
	cd shop
	run ferry deploy
	assert_status 0
	run --separate-stderr ferry invoke hello --data '{}'
	assert_status 0
	[ "$(jq -r .body <<<"$output")" = "hi from shop" ]
}

@test "ssh:// with #TAG//SUBDIR and #BRANCH//SUBDIR" {
	cp "$KEYS/known_hosts" "$KNOWN"
	run ferry init --template "$URL#v1//tpl" a
	assert_status 0
	[ "$(cat a/README.md)" = v1 ]
	[ ! -e a/NEXT.md ]
	run ferry init --template "$URL#next//tpl" b
	assert_status 0
	[ "$(cat b/NEXT.md)" = next ]
	run --separate-stderr ferry init --template "$URL#nope//tpl" c
	assert_status 5
	[[ "$stderr" == *"no ref 'nope' in 'ssh://***@127.0.0.1:$SSH_PORT$SRV/tpl.git'"* ]]
	[ ! -e c ]
	assert_no_temp
}

@test "ssh:// without a user logs in as the local user, as ssh does" {
	cp "$KEYS/known_hosts" "$KNOWN"
	before=$(logins)
	run ferry init --template "ssh://127.0.0.1:$SSH_PORT$SRV/tpl.git#v1//tpl" shop
	assert_status 0
	[ "$(cat shop/README.md)" = v1 ]
	[ "$(logins)" -gt "$before" ]
	grep -q "^Accepted publickey for $SSH_USER from" "$BATS_FILE_TMPDIR/sshd.log"
}

@test "the scp form USER@HOST:PATH, on port 22, with a plain known_hosts name" {
	# needs the sshd listener on $SCP_HOST:22 (see setup_file)
	[ -n "$SCP_HOST" ] || skip "no sshd could listen on port 22 (not root, or port 22 taken)"
	cp "$KEYS/known_hosts.scp" "$KNOWN"
	grep -q "^$SCP_HOST " "$KNOWN"
	run ferry init --template "$SSH_USER@$SCP_HOST:$SRV/tpl.git#v1//tpl" shop
	assert_status 0
	[ "$(cat shop/README.md)" = v1 ]
	# the port-22 name is the bare host: [host]:22 is not it
	sed -i "s/^$SCP_HOST /[$SCP_HOST]:22 /" "$KNOWN"
	run ferry init --template "$SSH_USER@$SCP_HOST:$SRV/tpl.git//tpl" again
	assert_status 4
	assert_output_contains "ssh host key of $SCP_HOST is not in ~/.ssh/known_hosts"
	assert_output_contains "(ssh-keyscan $SCP_HOST >> ~/.ssh/known_hosts)"
	[ ! -e again ]
}

@test "an unknown host key exits 4 with the ssh-keyscan line, writes nothing, offers no key" {
	rmdir "$HOME/.ssh"
	before=$(logins)
	run --separate-stderr ferry init --template "$URL//tpl" shop
	assert_status 4
	fp=$(ssh-keygen -lf "$KEYS/host.pub" | cut -d' ' -f2)
	line=$(grep '^ferry: ' <<<"$stderr")
	[ "$line" = "ferry: ssh host key of [127.0.0.1]:$SSH_PORT is not in ~/.ssh/known_hosts or /etc/ssh/ssh_known_hosts (it offers ssh-ed25519 $fp); check it and add it (ssh-keyscan -p $SSH_PORT 127.0.0.1 >> ~/.ssh/known_hosts)" ]
	[ ! -e shop ]
	assert_no_temp
	[ "$(logins)" = "$before" ]
	# an empty known_hosts is no different
	mkdir "$HOME/.ssh" && : > "$KNOWN"
	run ferry init --template "$URL//tpl" shop
	assert_status 4
	assert_output_contains "is not in ~/.ssh/known_hosts"
	# and doing what the message says makes it work
	mkdir -p "$HOME/.ssh"
	ssh-keyscan -p "$SSH_PORT" 127.0.0.1 2>/dev/null >> ~/.ssh/known_hosts
	run ferry init --template "$URL//tpl" shop
	assert_status 0
	[ -f shop/ferry.yaml ]
}

@test "a changed host key exits 4 warning of a man-in-the-middle, writes nothing" {
	echo "[127.0.0.1]:$SSH_PORT $(pubkey "$KEYS/other_host.pub")" > "$KNOWN"
	before=$(logins)
	run --separate-stderr ferry init --template "$URL//tpl" shop
	assert_status 4
	line=$(grep '^ferry: ' <<<"$stderr")
	[[ "$line" == "ferry: ssh host key of [127.0.0.1]:$SSH_PORT has CHANGED: "* ]]
	[[ "$line" == *"~/.ssh/known_hosts:1 holds another key of that type"* ]]
	[[ "$line" == *"possible man-in-the-middle attack"* ]]
	[[ "$line" == *"(ssh-keygen -R '[127.0.0.1]:$SSH_PORT')" ]]
	[ ! -e shop ]
	assert_no_temp
	[ "$(logins)" = "$before" ]
	# the other key under the port-22 name is about another server
	echo "127.0.0.1 $(pubkey "$KEYS/other_host.pub")" > "$KNOWN"
	run ferry init --template "$URL//tpl" shop
	assert_status 4
	assert_output_contains "is not in ~/.ssh/known_hosts"
}

# Hash the names of $KNOWN as `ssh-keygen -H` does, and check it did.
hash_known() {
	ssh-keygen -q -H -f "$KNOWN" 2>/dev/null
	rm -f "$KNOWN.old"
	refute grep -q 127.0.0.1 "$KNOWN"
	grep -q '^|1|' "$KNOWN"
}

@test "a hashed known_hosts entry (ssh-keygen -H) is recognised" {
	# hashed, with another key: recognised as this host, so a change
	echo "[127.0.0.1]:$SSH_PORT $(pubkey "$KEYS/other_host.pub")" > "$KNOWN"
	hash_known
	run ferry init --template "$URL#v1//tpl" shop
	assert_status 4
	assert_output_contains "has CHANGED"
	[ ! -e shop ]
	cp "$KEYS/known_hosts" "$KNOWN"
	hash_known
	run ferry init --template "$URL#v1//tpl" shop
	assert_status 0
	[ "$(cat shop/README.md)" = v1 ]
}

@test "wildcard and negated patterns, and @revoked keys" {
	key=$(pubkey "$KEYS/host.pub")
	echo "[127.0.0.?]:$SSH_PORT,[10.*]:$SSH_PORT $key" > "$KNOWN"
	run ferry init --template "$URL//tpl" a
	assert_status 0
	echo "[127.0.0.*]:$SSH_PORT,![127.0.0.1]:$SSH_PORT $key" > "$KNOWN"
	run ferry init --template "$URL//tpl" b
	assert_status 4
	assert_output_contains "is not in ~/.ssh/known_hosts"
	printf '%s\n' "[127.0.0.1]:$SSH_PORT $key" "@revoked * $key" > "$KNOWN"
	run ferry init --template "$URL//tpl" c
	assert_status 4
	assert_output_contains "is marked @revoked in ~/.ssh/known_hosts:2"
	[ ! -e b ]
	[ ! -e c ]
}

@test "no agent, a dead agent or a key the server refuses: exit 4, no secret shown" {
	cp "$KEYS/known_hosts" "$KNOWN"
	secret=$(sed -n 2p "$KEYS/client")	# a line of the private key
	client=$(cut -d' ' -f2 "$KEYS/client.pub")

	run env -u SSH_AUTH_SOCK "$FERRY" init --template "$URL//tpl" shop
	assert_status 4
	assert_output_contains "template repository 'ssh://***@127.0.0.1:$SSH_PORT$SRV/tpl.git' denied access: ssh takes keys from an ssh agent, and SSH_AUTH_SOCK is not set"

	SSH_AUTH_SOCK="$TEST_DIR/no-agent.sock" run ferry init --template "$URL//tpl" shop
	assert_status 4
	assert_output_contains "cannot reach the ssh agent at SSH_AUTH_SOCK '$TEST_DIR/no-agent.sock'"

	# an agent of this test's own, holding only a key the server refuses
	eval "$(ssh-agent -s)" >/dev/null
	echo "$SSH_AGENT_PID" > "$TEST_DIR/agent.pid"
	ssh-add -q "$KEYS/stranger" 2>/dev/null
	run ferry init --template "$URL//tpl" shop
	assert_status 4
	assert_output_contains "denied access: the ssh server accepted none of the keys of the ssh agent"
	[[ "$output" != *"$secret"* ]]
	[[ "$output" != *"$client"* ]]
	[[ "$output" != *"$(cut -d' ' -f2 "$KEYS/stranger.pub")"* ]]
	[[ "$output" != *"$SSH_USER@"* ]]
	[[ "$output" != *PRIVATE* ]]
	[ ! -e shop ]
	assert_no_temp
}
