#!/usr/bin/env bash
# bench/aws.sh - the aws provider against moto_server on loopback, with 10
# functions: wall time (hyperfine medians) and API requests of
#   1. a first deploy (empty emulator: bucket, role, 10 functions created),
#   2. a no-op deploy (nothing changed),
#   3. a rollback (alias `live` of each function moved back).
# Goals (issue 4): rollback of 10 functions < 0.5 s with one mutating
# Lambda call per function; no-op deploy < 0.3 s with zero mutating calls.
#
# Requests are ferry's own count, printed with -v at exit ("aws: N
# requests, M of them mutating (lambda a of b, s3 c of d, iam e of f)").
#
# Usage: bench/aws.sh [--no-readme]   (writes the results into
# bench/README.md between the aws-results markers unless --no-readme)
# Environment: BENCH_AWS_RUNS (default 10, min 5)
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH")
BUILD=$REPO/build/bench
FERRY=$BUILD/ferry
WORK=$BENCH/work/aws-svc
RES=$BENCH/work/results
RUNS=${BENCH_AWS_RUNS:-10}
WRITE_README=1
FUNCTIONS=10

for a in "$@"; do
	case $a in
	--no-readme) WRITE_README=0 ;;
	-h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "aws.sh: unknown argument '$a' (see --help)" >&2; exit 2 ;;
	esac
done
(( RUNS >= 5 )) || { echo "aws.sh: BENCH_AWS_RUNS must be >= 5" >&2; exit 2; }

say () { printf '\n==> %s\n' "$*" >&2; }
die () { printf 'aws.sh: %s\n' "$*" >&2; exit 1; }
command -v hyperfine >/dev/null || die "hyperfine is required (apt-get install hyperfine)"

say "building ferry (Release) into build/bench"
cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >&2
cmake --build "$BUILD" --target ferry -j "$(nproc)" >&2

# shellcheck source=lib.sh
. "$BENCH/lib.sh"
# shellcheck source=../tests/moto.bash
. "$REPO/tests/moto.bash"
say "starting moto_server"
moto_start
trap moto_stop EXIT

say "writing a project with $FUNCTIONS Node functions into bench/work/aws-svc"
rm -rf "$WORK"
mkdir -p "$WORK/src" "$RES"
{
	printf 'service: bench\nruntime: nodejs20\nprovider: aws\n'
	printf 'providers:\n  aws:\n    bucket: ferry-bench\n    region: eu-west-1\n'
	printf 'functions:\n'
	for i in $(seq 0 $((FUNCTIONS - 1))); do
		printf '  fn%d:\n    handler: src/fn%d.handler\n' "$i" "$i"
		[[ $i == 0 ]] && printf '    events:\n      - http: GET /hello\n'
	done
} > "$WORK/ferry.yaml"
version() {	# $1: the answer every handler gives
	for i in $(seq 0 $((FUNCTIONS - 1))); do
		printf 'exports.handler = async () => ({ fn: %d, v: "%s" });\n' \
			"$i" "$1" > "$WORK/src/fn$i.js"
	done
}
F="$FERRY -C $WORK"
RESET="curl -s -o /dev/null -X POST http://127.0.0.1:$MOTO_PORT/moto-api/reset && rm -rf $WORK/.ferry"

# requests of one command: the -v line ferry prints when it closes
requests() { "$@" -v 2>&1 >/dev/null | sed -n 's/.*aws: \([0-9]* requests.*\)$/\1/p' | tail -1; }

say "first deploy ($RUNS runs, each on an emptied emulator)"
version a
hyperfine --runs "$RUNS" --prepare "$RESET" --export-json "$RES/aws-first.json" \
	-n 'first deploy' "$F deploy" >&2
eval "$RESET"
first_req=$(requests $F deploy)

say "no-op deploy ($RUNS runs)"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$RES/aws-noop.json" \
	-n 'no-op deploy' "$F deploy" >&2
noop_req=$(requests $F deploy)

say "rollback ($RUNS runs, from release 2 back to release 1 each time)"
version b
$F deploy >/dev/null 2>&1	# release 2
hyperfine --runs "$RUNS" --prepare "$F rollback 2" --export-json "$RES/aws-rollback.json" \
	-n 'rollback' "$F rollback 1" >&2
$F rollback 2 >/dev/null 2>&1
rollback_req=$(requests $F rollback 1)

median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.0f ms (%.0f … %.0f)" % (r["median"]*1e3, r["min"]*1e3, r["max"]*1e3))' "$1"; }
secs() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"; }
lambda_mut() { sed -n 's/.*(lambda \([0-9]*\) of.*/\1/p' <<<"$1"; }
mut() { sed -n 's/.* \([0-9]*\) of them mutating.*/\1/p' <<<"$1"; }
yes_no() { python3 -c "import sys; print('**yes**' if $1 else '**no**')"; }

rb_ok=$(yes_no "$(secs "$RES/aws-rollback.json") < 0.5 and $(lambda_mut "$rollback_req") == $FUNCTIONS")
noop_ok=$(yes_no "$(secs "$RES/aws-noop.json") < 0.3 and $(mut "$noop_req") == 0")

table=$(cat <<EOF
### aws provider against moto, run of $(date -u +%Y-%m-%d)

- date: $(date -u); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)
- ferry $(git -C "$REPO" rev-parse --short HEAD), Release build; moto_server on 127.0.0.1 (\`$(command -v moto_server)\`); $FUNCTIONS Node functions (\`bench/work/aws-svc\`, one with an http event)
- command: \`bench/aws.sh\` (hyperfine, $RUNS runs each; requests from ferry's own \`-v\` count)

| | median (min … max) | requests | goal | met |
|---|---|---|---|---|
| first deploy (bucket, role, $FUNCTIONS functions, URL) | $(median "$RES/aws-first.json") | $first_req | — | — |
| no-op deploy | $(median "$RES/aws-noop.json") | $noop_req | < 0.3 s, 0 mutating | $noop_ok |
| rollback of $FUNCTIONS functions | $(median "$RES/aws-rollback.json") | $rollback_req | < 0.5 s, 1 mutating Lambda call per function | $rb_ok |
EOF
)
printf '%s\n' "$table"
if (( WRITE_README )); then
	readme_section aws-results "The aws provider" "$table"
	echo "wrote $BENCH/README.md" >&2
fi
