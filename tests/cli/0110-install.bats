#!/usr/bin/env bats
# cmake --install puts the binary where users look for it.

load ../helper

@test "cmake --install installs a working ferry under PREFIX/bin" {
	build=$(dirname "$FERRY")
	[ -f "$build/CMakeCache.txt" ]
	run cmake --install "$build" --prefix "$TEST_DIR/prefix"
	assert_status 0
	[ -x "$TEST_DIR/prefix/bin/ferry" ]
	run "$TEST_DIR/prefix/bin/ferry" version
	assert_status 0
	[ "$output" = "$(ferry version)" ]
}

@test "cmake --install puts the completion scripts where bash, zsh and fish look" {
	build=$(dirname "$FERRY")
	run cmake --install "$build" --prefix "$TEST_DIR/prefix"
	assert_status 0
	share=$TEST_DIR/prefix/share
	diff "$share/bash-completion/completions/ferry" <("$FERRY" completion bash)
	diff "$share/zsh/site-functions/_ferry" <("$FERRY" completion zsh)
	diff "$share/fish/vendor_completions.d/ferry.fish" <("$FERRY" completion fish)
	export PATH="$TEST_DIR/prefix/bin:$PATH"
	# bash-completion loads it on demand from XDG_DATA_DIRS
	run env XDG_DATA_DIRS="$share" bash -c \
		'source /usr/share/bash-completion/bash_completion; __load_completion ferry; complete -p ferry'
	assert_status 0
	assert_output_contains "_ferry ferry"
	run zsh -f -c 'fpath=("$1" $fpath); autoload -U compinit; compinit -u -d "$2"; print -r -- $_comps[ferry]' \
		_ "$share/zsh/site-functions" "$TEST_DIR/zcompdump"
	[ "$output" = "_ferry" ]
	# no -N: fish reads XDG_DATA_DIRS while loading its configuration
	run env XDG_DATA_DIRS="$share" fish -c 'complete -C "ferry dep"'
	assert_output_contains "deploy"
}
