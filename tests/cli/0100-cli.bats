#!/usr/bin/env bats
# The command line itself: help, usage errors, exit codes, output streams.

load ../helper
bats_require_minimum_version 1.5.0

@test "ferry with no command prints usage and exits 2" {
	run ferry
	assert_status 2
	assert_output_contains "usage: ferry [options] COMMAND"
	assert_output_contains "no command given"
}

@test "ferry help lists every command of the table" {
	run ferry help
	assert_status 0
	for c in init templates validate package deploy releases rollback invoke serve info prune remove completion version help; do
		assert_output_contains "  $c "
	done
	# hidden commands stay out
	refute grep -q "__complete\|__man" <<<"$output"
}

@test "ferry help CMD is the same text as ferry CMD --help and -h" {
	cmds=$(ferry help | sed -n '/^commands:/,/^$/p' | awk 'NF>1 {print $1}' | grep -vx help)
	[ "$(wc -w <<<"$cmds")" -ge 14 ]
	for c in $cmds; do
		a=$(ferry help "$c")
		b=$(ferry "$c" --help)
		c2=$(ferry "$c" -h)
		[ "$a" = "$b" ]
		[ "$a" = "$c2" ]
		[[ "$a" == "usage: ferry $c"* ]]
	done
}

@test "version prints the version on stdout, --version too" {
	run ferry version
	assert_status 0
	[[ "$output" =~ ^ferry\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	[ "$(ferry --version)" = "$output" ]
	[ "$(ferry --json version)" = "{\"version\":\"${output#ferry }\"}" ]
}

@test "an unknown command exits 2 with a suggestion" {
	run ferry deplyo
	assert_status 2
	assert_output_contains "ferry: unknown command 'deplyo' (did you mean 'deploy'?); see 'ferry help'"
}

@test "an unknown command without a close match exits 2 without a suggestion" {
	run ferry frobnicate
	assert_status 2
	assert_output_contains "ferry: unknown command 'frobnicate'; see 'ferry help'"
}

@test "an unknown option exits 2 with a suggestion naming the flag" {
	run ferry deploy --forse
	assert_status 2
	assert_output_contains "ferry: unknown option '--forse' (did you mean '--force'?); see 'ferry deploy --help'"
	run ferry --jsno version
	assert_status 2
	assert_output_contains "unknown option '--jsno' (did you mean '--json'?)"
	run ferry package -Z
	assert_status 2
	assert_output_contains "unknown option '-Z'"
}

@test "an option that needs a value says so and exits 2" {
	run ferry validate -s
	assert_status 2
	assert_output_contains "option '-s' needs a value (STAGE)"
	run ferry version --json=yes
	assert_status 2
	assert_output_contains "option '--json' takes no value"
}

@test "too many or too few arguments exit 2" {
	run ferry invoke
	assert_status 2
	assert_output_contains "'invoke' needs FN"
	run ferry releases extra
	assert_status 2
	assert_output_contains "unexpected argument 'extra'"
}

@test "diagnostics go to stderr, results to stdout" {
	sample_project
	out=$(ferry validate 2>/dev/null)
	[ "$out" = "ferry.yaml: valid (service 'demo', stage 'dev', provider 'local', 2 functions)" ]
	err=$(ferry validate 2>&1 >/dev/null)
	[ -z "$err" ]
	echo 'service: Bad' > ferry.yaml
	out=$(ferry validate 2>/dev/null) || true
	[ -z "$out" ]
	err=$(ferry validate 2>&1 >/dev/null) || true
	[[ "$err" == "ferry: ferry.yaml:1:"* ]]
}

@test "global options work after the command, -C changes directory" {
	mkdir proj && (cd proj && sample_project)
	run ferry -C proj validate
	assert_status 0
	run ferry validate -C proj
	assert_status 0
	assert_output_contains "valid (service 'demo'"
}

@test "no manifest exits 5 and says where it looked" {
	run ferry validate
	assert_status 5
	assert_output_contains "ferry.yaml"
}

@test "--json errors add an error event on stdout" {
	run --separate-stderr ferry --json deplyo
	assert_status 2
	echo "$output" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); assert d["event"]=="error" and "deplyo" in d["message"], d'
}

@test "colour only on a terminal, and never with NO_COLOR or --no-color" {
	run ferry frobnicate
	[[ "$output" != *$'\033'* ]]
	# script(1) gives ferry a terminal
	run script -qec "'$FERRY' frobnicate" /dev/null
	[[ "$output" == *$'\033[1;31mferry:'* ]]
	NO_COLOR=1 run script -qec "'$FERRY' frobnicate" /dev/null
	[[ "$output" != *$'\033'* ]]
	assert_output_contains "unknown command 'frobnicate'"
	run script -qec "'$FERRY' --no-color frobnicate" /dev/null
	[[ "$output" != *$'\033'* ]]
}

@test "a closed stdout is a failure, not a silent success" {
	run bash -c "'$FERRY' help >&-"
	[ "$status" -ne 0 ]
}

@test "every command has its page in docs/commands/, with every option; global options in docs/commands.md" {
	index="$FERRY_SOURCE_DIR/docs/commands.md"
	cmds=$(ferry help | sed -n '/^commands:/,/^$/p' | awk 'NF>1 {print $1}')
	[ -n "$cmds" ]
	for c in $cmds; do
		page="$FERRY_SOURCE_DIR/docs/commands/$c.md"
		[ -f "$page" ] || { echo "no page docs/commands/$c.md"; return 1; }
		grep -q "^# ferry $c\$" "$page" || { echo "$page has no '# ferry $c' title"; return 1; }
		grep -qF "(commands/$c.md)" "$index" || { echo "docs/commands.md does not link $c"; return 1; }
		# the command's own options (the part of its help before the global ones)
		for o in $(ferry help "$c" | sed '/^global options:/,$d' | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
			grep -q -- "$o" "$page" || { echo "undocumented option of $c: $o"; return 1; }
		done
	done
	for o in $(ferry help | sed -n '/^options/,$p' | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		grep -q -- "$o" "$index" || { echo "undocumented global option: $o"; return 1; }
	done
}
