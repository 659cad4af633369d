#!/usr/bin/env bats
# Shell completion: `ferry completion SHELL` scripts driven in real bash, zsh
# and fish, and the hidden `ferry __complete` they call for values.

load ../helper

setup() {
	common_setup
	completion_project
}

# Candidates bash offers for the line $1 (cursor at its end), one a line.
bash_complete() {
	bash -c '
		source "$1"
		COMP_LINE=$2 COMP_POINT=${#2}
		read -ra COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_ferry ferry "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$FERRY_SOURCE_DIR/completions/ferry.bash" "$1"
}

# Candidates zsh's _ferry adds for the line $1: compadd, compset and _files
# are stubbed (they need a live completion widget), so this runs _ferry's
# own logic and prints what it would offer that matches the current word.
zsh_complete() {
	zsh -f -c '
		compdef() { : }
		compadd() {
			local -a a; a=("$@")
			print -l -- "${(@M)a[${a[(i)--]}+1,-1]:#${PREFIX}*}"
		}
		compset() { [[ $1 == -P ]] && PREFIX=${PREFIX#*=}; return 0 }
		_files() { print -- "<files $*>" }
		source "$1"
		words=("${(@s: :)2}")
		CURRENT=${#words}
		PREFIX=${words[CURRENT]}
		_ferry
	' _ "$FERRY_SOURCE_DIR/completions/_ferry" "$1"
}

# Candidates fish offers for the line $1 (values only, descriptions cut).
fish_complete() {
	fish -N -c 'source $argv[1]; complete -C $argv[2]' \
		"$FERRY_SOURCE_DIR/completions/ferry.fish" "$1" | cut -f1
}

# Exactly the lines $2... (in any order) in "$output", else fail.
assert_lines() {
	local want got
	want=$(printf '%s\n' "$@" | sort)
	got=$(printf '%s\n' "$output" | sort)
	if [ "$want" != "$got" ]; then
		printf 'expected lines:\n%s\nactual output:\n%s\n' "$want" "$got" >&2
		return 1
	fi
}

deploy_twice() {
	ferry deploy -q >/dev/null
	echo 'exports.handler = async () => ({ statusCode: 200, body: "v2" });' > src/hello.js
	ferry deploy -q >/dev/null
}

@test "completions/ holds exactly what ferry completion prints (regenerate: scripts/gen-completions.sh)" {
	diff <(ferry completion bash) "$FERRY_SOURCE_DIR/completions/ferry.bash"
	diff <(ferry completion zsh) "$FERRY_SOURCE_DIR/completions/_ferry"
	diff <(ferry completion fish) "$FERRY_SOURCE_DIR/completions/ferry.fish"
}

@test "the scripts are generated from the command table: every command and option is in each" {
	cmds=$(ferry help | sed -n '/^commands:/,/^$/p' | awk 'NF>1 {print $1}')
	[ -n "$cmds" ]
	for shell in bash zsh fish; do
		script=$(ferry completion $shell)
		for c in $cmds; do
			[[ $script == *"$c"* ]] || { echo "$shell lacks command $c" >&2; return 1; }
			for o in $(ferry help "$c" | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
				case $shell in
				fish) [[ $script == *"-l ${o#--}"* ]] ;;
				*) [[ $script == *"$o"* ]] ;;
				esac || { echo "$shell lacks $c $o" >&2; return 1; }
			done
		done
	done
}

@test "ferry completion: an unknown shell is a usage error; __complete is not in the help" {
	run ferry completion tcsh
	assert_status 2
	assert_output_contains "unknown shell 'tcsh'"
	run ferry completion
	assert_status 2
	run ferry help
	assert_status 0
	assert_output_contains "completion"
	refute grep -q '__complete' <<<"$output"
}

@test "__complete: commands, options, functions, stages, providers, files" {
	run ferry __complete -- dep
	assert_status 0
	assert_lines "$(printf 'deploy\tpackage, upload and make a new release live')"
	run ferry __complete -- deploy --
	assert_output_contains "--force"
	assert_output_contains "--dry-run"
	assert_output_contains "--stage"
	run ferry __complete -- invoke ''
	assert_lines hello nightly
	run ferry __complete -- deploy hello ''
	assert_lines nightly
	run ferry __complete -- -s ''
	assert_lines dev prod staging
	run ferry __complete -- deploy --stage=p
	assert_lines prod
	run ferry __complete -- -p ''
	assert_output_contains "local"
	assert_output_contains "aws"
	run ferry __complete -- package --explain ''
	assert_lines ":file"
	run ferry __complete -- completion ''
	assert_lines bash zsh fish
	run ferry __complete -- invoke hello ''
	assert_lines ""
}

@test "__complete reads the manifest named by -C and -f given earlier on the line" {
	mkdir other
	printf 'service: other\nruntime: nodejs20\nfunctions:\n  api:\n    handler: a.h\n' > other/alt.yaml
	cd "$HOME"
	run ferry __complete -- -C "$TEST_DIR/other" -f alt.yaml invoke ''
	assert_status 0
	assert_lines api
	run ferry __complete -- invoke -C "$TEST_DIR" ''
	assert_lines hello nightly
	mkdir "$HOME/app" && cp "$TEST_DIR/ferry.yaml" "$HOME/app/"
	run ferry __complete -- -C '~/app' invoke n
	assert_lines nightly
}

@test "__complete never fails loudly: a broken or missing manifest gives fewer candidates" {
	printf 'service: demo\nfunctions: [\n' > ferry.yaml
	run --separate-stderr ferry __complete -- invoke ''
	assert_status 0
	[ -z "$output" ]
	[ -z "$stderr" ]
	run ferry __complete -- dep
	assert_output_contains deploy
	rm ferry.yaml
	run --separate-stderr ferry __complete -- rollback ''
	assert_status 0
	[ -z "$output$stderr" ]
	run ferry __complete -- frobnicate ''
	assert_status 0
	[ -z "$output" ]
}

@test "__complete offers the release numbers of the local ledger, newest first" {
	deploy_twice
	run ferry __complete -- rollback ''
	assert_status 0
	[ "$output" = "$(printf '2\n1')" ]
	run ferry __complete -- -s prod rollback ''
	[ -z "$output" ]
}

@test "__complete reads cloud release numbers from the cache that releases and deploy refresh" {
	mkdir -p .ferry/cache
	printf '7\n5\n' > .ferry/cache/aws-dev-releases
	run ferry __complete -- -p aws rollback ''
	assert_status 0
	[ "$output" = "$(printf '7\n5')" ]
	run ferry __complete -- -p aws -s prod rollback ''
	[ -z "$output" ]
}

@test "__complete loads neither libgit2, libcurl nor libarchive, even for a manifest using \${git:sha}" {
	git init -q . && git -c user.email=t@t -c user.name=t commit -q --allow-empty -m init
	sed -i 's/^memory: 256/memory: 256\nenv: { REV: "${git:sha}" }/' ferry.yaml
	ferry validate >/dev/null
	run bash -c 'LD_DEBUG=libs "$FERRY" __complete -- invoke "" 2>&1'
	assert_output_contains hello
	refute grep -qE 'libgit2|libcurl|libarchive' <<<"$output"
}

@test "bash: commands, options, functions, stages, providers, releases, files" {
	run bash_complete "ferry dep"
	assert_lines deploy
	run bash_complete "ferry deploy --"
	assert_output_contains "--force"
	assert_output_contains "--dry-run"
	assert_output_contains "--directory"
	run bash_complete "ferry invoke "
	assert_lines hello nightly
	run bash_complete "ferry -s "
	assert_lines dev prod staging
	run bash_complete "ferry deploy -p "
	assert_output_contains local
	assert_output_contains aws
	deploy_twice
	run bash_complete "ferry rollback "
	assert_lines 2 1
	run bash_complete "ferry package --explain s"
	assert_lines src
	run bash_complete "ferry -C $TEST_DIR invoke n"
	assert_lines nightly
}

@test "zsh: the script registers with compinit and _ferry offers the candidates" {
	run zsh -f -c 'fpath=("$1" $fpath); autoload -U compinit; compinit -u -d "$2"; print -r -- $_comps[ferry]' \
		_ "$FERRY_SOURCE_DIR/completions" "$TEST_DIR/zcompdump"
	assert_status 0
	[ "$output" = "_ferry" ]
	run zsh_complete "ferry dep"
	assert_lines deploy
	run zsh_complete "ferry deploy --"
	assert_output_contains "--force"
	assert_output_contains "--dry-run"
	assert_output_contains "--json"
	run zsh_complete "ferry invoke "
	assert_lines hello nightly
	run zsh_complete "ferry --stage=p"
	assert_lines prod
	run zsh_complete "ferry -p "
	assert_output_contains local
	deploy_twice
	run zsh_complete "ferry rollback "
	assert_lines 2 1
	run zsh_complete "ferry package --explain "
	assert_lines "<files >"
}

@test "fish: commands, options, functions, stages, providers, releases, files" {
	run fish_complete "ferry dep"
	assert_lines deploy
	run fish_complete "ferry deploy --"
	assert_output_contains "--force"
	assert_output_contains "--dry-run"
	assert_output_contains "--no-color"
	run fish_complete "ferry invoke "
	assert_lines hello nightly
	run fish_complete "ferry -s "
	assert_lines dev prod staging
	run fish_complete "ferry -p "
	assert_output_contains local
	deploy_twice
	run fish_complete "ferry rollback "
	assert_lines 2 1
	run fish_complete "ferry package --explain s"
	assert_lines src/
}
