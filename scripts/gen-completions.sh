#!/usr/bin/env bash
# Rewrites completions/ (ferry.bash, _ferry, ferry.fish) from the command
# table of a built ferry: run it after adding or changing a command or an
# option. tests/cli/0600-completion.bats fails while they differ.
#
#   scripts/gen-completions.sh [PATH-TO-FERRY]     (default: build/ferry)
#   cmake --build build --target completions      (the same, via CMake)
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ferry=${1:-$src/build/ferry}
out=$src/completions

mkdir -p "$out"
for pair in bash:ferry.bash zsh:_ferry fish:ferry.fish; do
	shell=${pair%%:*} file=${pair#*:}
	"$ferry" completion "$shell" > "$out/$file.tmp"
	mv "$out/$file.tmp" "$out/$file"
done
echo "gen-completions: wrote $out/{ferry.bash,_ferry,ferry.fish}" >&2
