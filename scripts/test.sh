#!/usr/bin/env bash
# Runs every test of ferry on a fresh machine: installs what is missing,
# builds with -Werror, runs the whole suite through ctest, then builds again
# with AddressSanitizer + UBSan and runs the suite there, then runs the
# manifest fuzzer for a bounded time.
#
#   scripts/test.sh            everything
#   FERRY_TEST_QUICK=1 scripts/test.sh   only the -Werror build and suite
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

scripts/setup.sh

# moto_server and boto3 (the AWS emulator of the aws provider's tests) come
# preinstalled with pyenv's Python; a shell that did not load pyenv still
# finds them through its shims, at the end of PATH.
for d in "${PYENV_ROOT:-$HOME/.pyenv}/shims" /root/.pyenv/shims; do
	if [ -d "$d" ]; then
		case ":$PATH:" in *":$d:"*) ;; *) PATH="$PATH:$d" ;; esac
	fi
done
export PATH
command -v moto_server >/dev/null || {
	echo "test.sh: moto_server (the AWS emulator) is not installed" >&2
	exit 1
}

echo "== build (-Werror) and test"
cmake -S . -B build/ci -DFERRY_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/ci -j"$jobs"
log=build/ci/ctest-summary.txt
ctest --test-dir build/ci -j"$jobs" --output-on-failure | tee "$log"
passed=$(sed -n 's/.* tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' "$log")

if [ -n "${FERRY_TEST_QUICK:-}" ]; then
	echo "all: ${passed:-0} passed, 0 failed"
	exit 0
fi

echo "== build with AddressSanitizer + UBSan and test"
cmake -S . -B build/asan -DFERRY_WERROR=ON -DCMAKE_BUILD_TYPE=Debug \
	-DFERRY_SANITIZE=address,undefined >/dev/null
cmake --build build/asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build/asan -j"$jobs" --output-on-failure | tee "$log"
passed=$((passed + $(sed -n 's/.* tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' "$log")))

if command -v clang >/dev/null; then
	echo "== fuzz the manifest loader (60 s)"
	cmake -S . -B build/fuzz -DCMAKE_C_COMPILER=clang -DFERRY_FUZZ=ON \
		-DFERRY_SANITIZE=address,undefined >/dev/null
	cmake --build build/fuzz -j"$jobs" --target fuzz_manifest
	mkdir -p build/fuzz/corpus
	build/fuzz/tests/fuzz_manifest -max_total_time=60 -timeout=10 -rss_limit_mb=2048 \
		build/fuzz/corpus tests/fuzz/corpus
fi

# One closing line for the whole run: ctest entries of both builds (the
# script stops at the first failure, so reaching here means none failed).
echo "all: $passed passed, 0 failed"
