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
