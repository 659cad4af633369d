#!/usr/bin/env bash
# bench/serve.sh - `ferry serve` under load: a trivial Node http handler on
# the local provider, measured with wrk on 127.0.0.1.
#   1. warm latency: 1 connection, 1 thread (one request at a time): p50, p99
#   2. throughput:   wrk -t2 -c16 (2 cores): requests/s, p50
# Goals: p50 of a warm request < 5 ms; >= 500 requests/s on 2 cores.
# Writes the table into bench/README.md between the serve-results markers.
#
# Run by hand (never part of ctest):  bench/serve.sh [--no-readme]
# Environment: BENCH_SERVE_SECONDS (default 10) per wrk run.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$BENCH/lib.sh"
REPO=$(dirname "$BENCH")
BUILD=$REPO/build-serve-bench
FERRY=$BUILD/ferry
WORK=$BENCH/work/serve-svc
SECS=${BENCH_SERVE_SECONDS:-10}
WRITE_README=1

for a in "$@"; do
	case $a in
	--no-readme) WRITE_README=0 ;;
	-h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "serve.sh: unknown argument '$a' (see --help)" >&2; exit 2 ;;
	esac
done

say () { printf '\n==> %s\n' "$*" >&2; }
die () { printf 'serve.sh: %s\n' "$*" >&2; exit 1; }

apt_install () {	# $1 = package
	local sudo=; [[ $(id -u) == 0 ]] || sudo=sudo
	say "installing $1 (apt-get)"
	$sudo apt-get install -y "$1" >&2 || { $sudo apt-get update >&2 && $sudo apt-get install -y "$1" >&2; }
}
command -v wrk >/dev/null || apt_install wrk
command -v curl >/dev/null || apt_install curl
for t in cmake node; do
	command -v "$t" >/dev/null || die "$t is required"
done

say "building ferry (Release) into build-serve-bench"
cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DFERRY_TESTS=OFF >&2
cmake --build "$BUILD" --target ferry -j "$(nproc)" >&2

say "deploying a trivial Node handler to the local provider"
rm -rf "$WORK"
mkdir -p "$WORK/src"
cat > "$WORK/ferry.yaml" <<'YAML'
service: bench
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
    events:
      - http: GET /hello/{name}
YAML
cat > "$WORK/src/hello.js" <<'JS'
exports.handler = async (event) => ({
	statusCode: 200,
	headers: { "content-type": "text/plain" },
	body: `hello ${event.pathParameters.name}`,
});
JS
(cd "$WORK" && "$FERRY" -q deploy >&2)

"$FERRY" -C "$WORK" -q serve --port 0 > "$WORK/serve.out" 2> "$WORK/serve.err" &
server=$!
trap 'kill -INT $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening "$WORK/serve.out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$WORK/serve.out")
[[ -n $url ]] || die "ferry serve did not start: $(cat "$WORK/serve.err")"
[[ $(curl -s "$url/hello/x") == "hello x" ]] || die "unexpected answer from $url"

# wrk --latency prints "50%  1.23ms"; normalise to ms
pct () { awk -v p="$1" '$1 == p { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) sub(/ms$/, "", v); else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }'; }
rps () { awk '$1 == "Requests/sec:" { printf "%.0f", $2 }'; }

say "warm latency: wrk -t1 -c1 -d${SECS}s"
lat=$(wrk -t1 -c1 -d"${SECS}s" --latency "$url/hello/bench")
echo "$lat" >&2
say "throughput: wrk -t2 -c16 -d${SECS}s"
thr=$(wrk -t2 -c16 -d"${SECS}s" --latency "$url/hello/bench")
echo "$thr" >&2

p50=$(pct 50% <<<"$lat"); p99=$(pct 99% <<<"$lat"); rps1=$(rps <<<"$lat")
tp50=$(pct 50% <<<"$thr"); rps16=$(rps <<<"$thr")
ok_lat=$(awk -v v="$p50" 'BEGIN { print (v < 5) ? "**yes**" : "no" }')
ok_rps=$(awk -v v="$rps16" 'BEGIN { print (v >= 500) ? "**yes**" : "no" }')

table=$(cat <<EOT
### ferry serve, run of $(date -u +%Y-%m-%d)

- date: $(date -u); $(nproc) cores; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)
- ferry $(git -C "$REPO" rev-parse --short HEAD), Release build; node $(node --version); a Node handler returning a text body (\`bench/work/serve-svc\`)
- command: \`bench/serve.sh\` (wrk ${SECS} s per row, after one warm-up request)

| load | p50 | p99 | requests/s | goal | met |
|---|---|---|---|---|---|
| one request at a time (\`wrk -t1 -c1\`) | ${p50} ms | ${p99} ms | ${rps1} | p50 < 5 ms | ${ok_lat} |
| 16 connections on 2 threads (\`wrk -t2 -c16\`) | ${tp50} ms | $(pct 99% <<<"$thr") ms | ${rps16} | ≥ 500 req/s | ${ok_rps} |
EOT
)
printf '%s\n' "$table"
if (( WRITE_README )); then
	readme_section serve-results "The local HTTP gateway" "$table"
	echo "wrote $BENCH/README.md" >&2
fi
