#!/usr/bin/env bash
# bench/complete.sh - how long `ferry __complete` takes, the call behind every
# TAB press: `ferry __complete -- invoke ''` (function names of a sample
# project) next to `ferry version` (bare start-up), with hyperfine. Prints
# the medians. Run by hand (never part of ctest; machines are noisy):
#
#   bench/complete.sh [PATH-TO-FERRY]      (default: build/ferry)
#   BENCH_RUNS=200 bench/complete.sh
#   BENCH_NO_README=1 bench/complete.sh    (print only; else the table also
#                                           goes into bench/README.md)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FERRY=$(cd "$(dirname "${1:-$REPO/build/ferry}")" && pwd)/$(basename "${1:-$REPO/build/ferry}")
RUNS=${BENCH_RUNS:-100}
command -v hyperfine >/dev/null || { echo "complete.sh: needs hyperfine" >&2; exit 1; }
[ -x "$FERRY" ] || { echo "complete.sh: no ferry at $FERRY (build it first)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# a project of 20 functions and 3 stages, with a variable in it
{
	echo "service: bench"
	echo "runtime: nodejs20"
	echo "env: { REV: \"\${env:REV, none}\" }"
	echo "functions:"
	for i in $(seq -w 1 20); do
		printf '  fn%s:\n    handler: src/fn%s.handler\n' "$i" "$i"
	done
	echo "stages: { staging: {}, prod: { memory: 1024 } }"
} > ferry.yaml
[ "$("$FERRY" __complete -- invoke '' | wc -l)" -eq 20 ]

hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$work/r.json" \
	-n "ferry __complete -- invoke ''" "$FERRY __complete -- invoke ''" \
	-n "ferry version" "$FERRY version" >&2
rows=$(python3 - "$work/r.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"| `{r['command']}` | {r['median'] * 1000:.2f} ms | "
          f"{r['min'] * 1000:.2f} … {r['max'] * 1000:.2f} ms |")
PY
)
table=$(cat <<EOT
### Shell completion, run of $(date -u +%Y-%m-%d)

- date: $(date -u); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)
- ferry $(git -C "$REPO" rev-parse --short HEAD) (\`$FERRY\`); a project of 20 functions and 3 stages
- command: \`bench/complete.sh\` (hyperfine -N, $RUNS runs each); goal: \`__complete\` under 10 ms

| command | median | min … max |
|---|---:|---:|
$rows
EOT
)
printf '%s\n' "$table"
if [ -z "${BENCH_NO_README:-}" ]; then
	. "$REPO/bench/lib.sh"
	readme_section complete-results "Shell completion" "$table"
	echo "wrote $REPO/bench/README.md" >&2
fi
