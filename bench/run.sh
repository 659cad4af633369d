#!/usr/bin/env bash
# bench/run.sh - ferry against the Serverless Framework, side by side in one run:
#   1. start-up:  `ferry version`, `ferry --help`  vs  `serverless --version`
#   2. packaging: `ferry package` (deps mode, 3 separate zips) and
#                 `ferry -f ferry.trace.yaml package` (trace mode, 3 zips)  vs
#                 `serverless package` (one zip) and with `individually: true`
#                 and `node bench/nft-trace.js` (@vercel/nft, trace only)
#   3. Python:    `ferry package` (trace mode) of bench/work/py-svc
# plus output sizes, files per zip, peak RSS, a devDependency leak check,
# a reproducibility check, and every trace bundle run from an empty directory
# (node / python3 -I -S). Prints a markdown report and writes it into
# bench/README.md between the <!-- results --> markers.
#
# Run by hand (never part of ctest):  bench/run.sh [--no-readme]
# Environment:
#   FERRY_SHARED         shared dir holding bench/make-fixtures.sh (default: <repo>/../shared)
#   BENCH_STARTUP_RUNS   hyperfine runs per start-up command (default 40, min 20)
#   BENCH_PACKAGE_RUNS   hyperfine runs per packaging command (default 7, min 5)
#   BENCH_REBUILD_FIXTURES=1  rebuild bench/work even when it is up to date
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH")
SHARED=${FERRY_SHARED:-$REPO/../shared}
MAKE_FIXTURES=$SHARED/bench/make-fixtures.sh
WORK=$BENCH/work
BUILD=$REPO/build/bench
FERRY=$BUILD/ferry
NODE_SVC=$WORK/node-svc
PY_SVC=$WORK/py-svc
NFT_JS=$BENCH/nft-trace.js
SLS=$WORK/sls/node_modules/.bin/serverless
OUT=$WORK/out
RES=$WORK/results
STARTUP_RUNS=${BENCH_STARTUP_RUNS:-40}
PACKAGE_RUNS=${BENCH_PACKAGE_RUNS:-7}
WRITE_README=1

for a in "$@"; do
	case $a in
	--no-readme) WRITE_README=0 ;;
	-h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown argument '$a' (see --help)" >&2; exit 2 ;;
	esac
done
(( STARTUP_RUNS >= 20 )) || { echo "run.sh: BENCH_STARTUP_RUNS must be >= 20" >&2; exit 2; }
(( PACKAGE_RUNS >= 5 )) || { echo "run.sh: BENCH_PACKAGE_RUNS must be >= 5" >&2; exit 2; }

say () { printf '\n==> %s\n' "$*" >&2; }
die () { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# Serverless v3 would otherwise try to send telemetry / fetch notifications
# (only the npm registry is reachable here); neither is part of the work.
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off
export NO_COLOR=1

########## 0. tools ##########
apt_install () {	# $1 = package
	local sudo=; [[ $(id -u) == 0 ]] || sudo=sudo
	say "installing $1 (apt-get)"
	$sudo apt-get install -y "$1" >&2 || { $sudo apt-get update >&2 && $sudo apt-get install -y "$1" >&2; }
}
command -v hyperfine >/dev/null || apt_install hyperfine
[[ -x /usr/bin/time ]] || apt_install time
command -v unzip >/dev/null || apt_install unzip
command -v zip >/dev/null || apt_install zip
for t in cmake python3 node npm zip; do
	command -v "$t" >/dev/null || die "$t is required"
done

########## 1. ferry, Release build ##########
say "building ferry (Release) into build/bench"
cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >&2
cmake --build "$BUILD" --target ferry -j "$(nproc)" >&2
[[ -x $FERRY ]] || die "no $FERRY after the build"

########## 2. fixtures (once) ##########
[[ -f $MAKE_FIXTURES ]] || die "$MAKE_FIXTURES not found (set FERRY_SHARED)"
stamp=$( { cat "$MAKE_FIXTURES"; cat "$SHARED"/bench/locks/*.json 2>/dev/null || true; } | sha256sum | cut -c1-64)
if [[ ${BENCH_REBUILD_FIXTURES:-0} == 1 || ! -x $SLS || ! -d $NODE_SVC/node_modules ||
      ! -d $WORK/tools/node_modules/@vercel/nft || ! -d $PY_SVC/vendor ||
      $(cat "$WORK/.fixtures-stamp" 2>/dev/null) != "$stamp" ]]; then
	say "building the fixtures into bench/work (make-fixtures.sh, ~30 s plus npm)"
	rm -f "$WORK/.fixtures-stamp"
	mkdir -p "$WORK"
	bash "$MAKE_FIXTURES" "$WORK" >&2
	echo "$stamp" > "$WORK/.fixtures-stamp"
else
	say "fixtures up to date in bench/work"
fi

########## 3. the ferry manifests of the fixtures ##########
# node-svc: ferry.yaml (deps mode) and ferry.trace.yaml (trace mode, chosen
# with -f, relative to the project dir); py-svc: ferry.yaml (trace mode).
cp "$BENCH/fixtures/node-svc.ferry.yaml" "$NODE_SVC/ferry.yaml"
cp "$BENCH/fixtures/node-svc.trace.ferry.yaml" "$NODE_SVC/ferry.trace.yaml"
cp "$BENCH/fixtures/py-svc.ferry.yaml" "$PY_SVC/ferry.yaml"
rm -rf "$NODE_SVC/.ferry" "$NODE_SVC/.serverless" "$PY_SVC/.ferry" "$OUT" "$RES"
mkdir -p "$OUT" "$RES"

########## 4. measurements ##########
# 4a. start-up: no shell in between (-N), so a 1 ms process is measured as such.
# The floor, a C program linked with nothing, shows what process creation
# alone costs on this machine at this moment.
FLOOR=$WORK/floor
printf '#include <stdio.h>\nint main(void) { puts("floor 0.1.0"); return 0; }\n' > "$FLOOR.c"
cc -O2 -o "$FLOOR" "$FLOOR.c"
say "start-up: ferry version / ferry --help / serverless --version ($STARTUP_RUNS runs each)"
STARTUP_CMD="hyperfine -N --warmup 5 --runs $STARTUP_RUNS --export-json startup.json floor '$FERRY version' '$FERRY --help' '$SLS --version'"
hyperfine -N --warmup 5 --runs "$STARTUP_RUNS" --export-json "$RES/startup.json" \
	-n 'floor' "$FLOOR" \
	-n 'ferry version' "$FERRY version" \
	-n 'ferry --help' "$FERRY --help" \
	-n 'serverless --version' "$SLS --version" >&2

# 4b. packaging: each run starts without previous output (--prepare).
# ferry writes its zips to out/ferry (outside the project, so serverless does
# not package them); serverless to out/sls-* (`--package DIR`).
# ferry's trace bundles go to out/ferry-trace; nft only traces (no output).
FERRY_PKG="$FERRY -C $NODE_SVC package --out $OUT/ferry"
FERRY_TRACE="$FERRY -C $NODE_SVC -f ferry.trace.yaml package --out $OUT/ferry-trace"
NFT="node $NFT_JS"
SLS_PKG="cd $NODE_SVC && $SLS package --package $OUT/sls"
SLS_IND="cd $NODE_SVC && $SLS package --config serverless-individually.yml --package $OUT/sls-individually"
PREP="rm -rf $OUT/ferry $OUT/ferry-trace $OUT/sls $OUT/sls-individually $NODE_SVC/.ferry $NODE_SVC/.serverless"
FERRY_PY="$FERRY -C $PY_SVC package --out $OUT/ferry-py"
PREP_PY="rm -rf $OUT/ferry-py $PY_SVC/.ferry"

say "checking that ferry package works"
ferry_ok=1
if ! "$FERRY" --json -C "$NODE_SVC" package --out "$OUT/ferry" > "$RES/ferry-check.out" 2> "$RES/ferry-check.err"; then
	ferry_ok=0
	echo "ferry package FAILED:" >&2; cat "$RES/ferry-check.err" >&2
fi
trace_ok=1
if ! "$FERRY" --json -C "$NODE_SVC" -f ferry.trace.yaml package --out "$OUT/ferry-trace" \
		> "$RES/ferry-trace-check.out" 2> "$RES/ferry-trace-check.err"; then
	trace_ok=0
	echo "ferry -f ferry.trace.yaml package FAILED:" >&2; cat "$RES/ferry-trace-check.err" >&2
fi
nft_ok=1
if ! node "$NFT_JS" > "$RES/nft-check.out" 2> "$RES/nft-check.err"; then
	nft_ok=0
	echo "node bench/nft-trace.js FAILED:" >&2; cat "$RES/nft-check.err" >&2
fi
py_ok=1
if ! "$FERRY" --json -C "$PY_SVC" package --out "$OUT/ferry-py" \
		> "$RES/ferry-py-check.out" 2> "$RES/ferry-py-check.err"; then
	py_ok=0
	echo "ferry package (py-svc) FAILED:" >&2; cat "$RES/ferry-py-check.err" >&2
fi

say "packaging ($PACKAGE_RUNS runs each)"
pkg_cmds=()
if (( ferry_ok )); then pkg_cmds+=(-n 'ferry package' "$FERRY_PKG"); fi
if (( trace_ok )); then pkg_cmds+=(-n 'ferry package (trace)' "$FERRY_TRACE"); fi
if (( nft_ok )); then pkg_cmds+=(-n 'nft trace' "$NFT"); fi
pkg_cmds+=(-n 'serverless package' "$SLS_PKG" -n 'serverless package (individually)' "$SLS_IND")
PACKAGE_CMD="hyperfine --warmup 1 --runs $PACKAGE_RUNS --prepare '$PREP' --export-json package.json '$FERRY_PKG' '$FERRY_TRACE' '$NFT' '$SLS_PKG' '$SLS_IND'"
hyperfine --warmup 1 --runs "$PACKAGE_RUNS" --prepare "$PREP" \
	--export-json "$RES/package.json" "${pkg_cmds[@]}" >&2
PY_CMD="hyperfine --warmup 1 --runs $PACKAGE_RUNS --prepare '$PREP_PY' --export-json package-py.json '$FERRY_PY'"
if (( py_ok )); then
	say "packaging py-svc ($PACKAGE_RUNS runs)"
	hyperfine --warmup 1 --runs "$PACKAGE_RUNS" --prepare "$PREP_PY" \
		--export-json "$RES/package-py.json" -n 'ferry package (py-svc, trace)' "$FERRY_PY" >&2
fi

# 4c. outputs and peak RSS: ferry 3 times (median RSS; the 3 sha256 sets must
# match), each serverless variant once. All from a clean state, like above.
say "outputs and peak RSS"
if (( ferry_ok )); then
	for i in 1 2 3; do
		eval "$PREP"
		/usr/bin/time -f %M -o "$RES/ferry-rss.$i" \
			"$FERRY" --json -C "$NODE_SVC" package --out "$OUT/ferry" > "$RES/ferry-package.$i.jsonl"
		( cd "$OUT/ferry" && sha256sum -- *.zip ) > "$RES/ferry-sha.$i"
	done
fi
eval "$PREP"
( cd "$NODE_SVC" && /usr/bin/time -f %M -o "$RES/sls-rss" "$SLS" package --package "$OUT/sls" > /dev/null )
( cd "$NODE_SVC" && /usr/bin/time -f %M -o "$RES/sls-individually-rss" \
	"$SLS" package --config serverless-individually.yml --package "$OUT/sls-individually" > /dev/null )
if (( ferry_ok )); then	# rebuild ferry's output last, so that all three sets are on disk
	"$FERRY" -C "$NODE_SVC" package --out "$OUT/ferry" > /dev/null
fi
# trace mode: node-svc 3 times and py-svc 3 times, clean each time (median
# RSS; the sha256 sets must match); the last outputs stay on disk.
if (( trace_ok )); then
	for i in 1 2 3; do
		rm -rf "$OUT/ferry-trace" "$NODE_SVC/.ferry"
		/usr/bin/time -f %M -o "$RES/ferry-trace-rss.$i" "$FERRY" --json -C "$NODE_SVC" \
			-f ferry.trace.yaml package --out "$OUT/ferry-trace" > "$RES/ferry-trace-package.$i.jsonl"
		( cd "$OUT/ferry-trace" && sha256sum -- *.zip ) > "$RES/ferry-trace-sha.$i"
	done
fi
if (( py_ok )); then
	for i in 1 2 3; do
		eval "$PREP_PY"
		/usr/bin/time -f %M -o "$RES/ferry-py-rss.$i" "$FERRY" --json -C "$PY_SVC" \
			package --out "$OUT/ferry-py" > "$RES/ferry-py-package.$i.jsonl"
		( cd "$OUT/ferry-py" && sha256sum -- *.zip ) > "$RES/ferry-py-sha.$i"
	done
	# the naive Python bundle, for scale: handler + everything in vendor/
	rm -f "$OUT/py-naive.zip"
	( cd "$PY_SVC" && zip -qr -X "$OUT/py-naive.zip" handler.py &&
	  cd vendor && zip -qr -X "$OUT/py-naive.zip" . -x '*/__pycache__/*' '*.pyc' )
fi
rm -rf "$NODE_SVC/.ferry" "$NODE_SVC/.serverless" "$PY_SVC/.ferry"

# 4d. does every trace bundle run? Each zip is extracted into an empty temp
# dir (HOME pointed there too, no NODE_PATH, nothing above it has
# node_modules) and its handler is called there with the real runtime.
# Python: `python3 -I -S`, sys.path = [bundle dir, stdlib dirs], no
# REQUESTS_CA_BUNDLE / SSL_CERT_* (Lambda sets none), so a missing CA file
# shows. PASS = exit 0, a 2xx statusCode and no module loaded from outside
# the bundle (or, for Python, the stdlib).
RUNTMP=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-run.XXXXXX")
trap 'rm -rf "$RUNTMP"' EXIT
NODE_RUNNER='
const dir = process.cwd();
const mod = require(require("path").join(dir, process.env.BENCH_MODULE));
Promise.resolve(mod[process.env.BENCH_EXPORT](JSON.parse(process.env.BENCH_EVENT), {})).then((r) => {
  const outside = Object.keys(require.cache).filter((f) => !f.startsWith(dir + "/"));
  console.log(JSON.stringify(r));
  if (outside.length) console.log("loaded from outside the bundle: " + outside.join(", "));
  process.exit(r && r.statusCode >= 200 && r.statusCode < 300 && !outside.length ? 0 : 1);
}, (e) => { console.log(String(e && e.stack || e)); process.exit(1); });'
PY_RUNNER='
import json, os, sys
dirs = sys.argv[2:]
bundle = os.getcwd()
sys.path[:] = [bundle] + dirs
mod, _, fn = os.environ["BENCH_HANDLER"].rpartition(".")
import importlib
r = getattr(importlib.import_module(mod), fn)(json.loads(sys.argv[1]), None)
print(json.dumps(r))
ok = 200 <= r.get("statusCode", 0) < 300
if "certifi" in sys.modules:
    ca = sys.modules["certifi"].where()
    print("certifi.where():", os.path.relpath(ca, bundle), "exists" if os.path.isfile(ca) else "MISSING")
    ok = ok and os.path.isfile(ca)
outside = sorted(m.__file__ for m in list(sys.modules.values())
                 if getattr(m, "__file__", None) and not m.__file__.startswith(bundle + os.sep)
                 and not any(m.__file__.startswith(d + os.sep) for d in dirs))
if outside:
    print("loaded from outside the bundle:", ", ".join(outside))
sys.exit(0 if ok and not outside else 1)'
# stdlib dirs of this python3: sys.path of `-I -S` (no site-packages, no script dir)
mapfile -t PY_STDLIB < <(python3 -I -S -c 'import sys; print("\n".join(p for p in sys.path if p))')
run_bundle () {	# $1 = label, $2 = zip, $3 = runtime (node|python), $4 = handler, $5 = event JSON
	local d=$RUNTMP/$1 rc=0
	rm -rf "$d"; mkdir -p "$d"
	if [[ ! -f $2 ]]; then
		echo "no $2" > "$RES/run-$1.out"; echo 1 > "$RES/run-$1.rc"; return
	fi
	unzip -q "$2" -d "$d"
	if [[ $3 == node ]]; then
		( cd "$d" && env -u NODE_PATH -u NODE_OPTIONS HOME="$d" BENCH_MODULE="${4%.*}.js" \
			BENCH_EXPORT="${4##*.}" BENCH_EVENT="$5" node -e "$NODE_RUNNER" ) \
			> "$RES/run-$1.out" 2>&1 || rc=$?
	else
		( cd "$d" && env -u REQUESTS_CA_BUNDLE -u SSL_CERT_FILE -u SSL_CERT_DIR -u CURL_CA_BUNDLE \
			HOME="$d" BENCH_HANDLER="$4" python3 -I -S -c "$PY_RUNNER" "$5" "${PY_STDLIB[@]}" ) \
			> "$RES/run-$1.out" 2>&1 || rc=$?
	fi
	echo "$rc" > "$RES/run-$1.rc"
	rm -rf "$d"
}
say "running every trace bundle from an empty directory"
if (( trace_ok )); then
	run_bundle users "$OUT/ferry-trace/users.zip" node src/users.handler '{"body":{"name":"x"}}'
	run_bundle report "$OUT/ferry-trace/report.zip" node src/report.handler '{"dryRun":true,"rows":[]}'
	run_bundle ping "$OUT/ferry-trace/ping.zip" node src/ping.handler '{}'
fi
if (( py_ok )); then
	run_bundle fetch "$OUT/ferry-py/fetch.zip" python handler.handler '{"dryRun": true}'
fi
for f in "$RES"/run-*.rc; do
	[[ -f $f ]] || continue
	n=${f##*/run-}; n=${n%.rc}
	if [[ $(cat "$f") == 0 ]]; then echo "  $n: PASS" >&2; else echo "  $n: FAIL" >&2; sed 's/^/    /' "$RES/run-$n.out" >&2; fi
done

########## 5. report ##########
export BENCH REPO RES OUT NODE_SVC PY_SVC FERRY SLS STARTUP_RUNS PACKAGE_RUNS ferry_ok WRITE_README
export trace_ok nft_ok py_ok STARTUP_CMD PACKAGE_CMD PY_CMD
python3 - <<'PY'
import glob, json, os, re, statistics, subprocess, time

E = os.environ
RES, OUT, N = E["RES"], E["OUT"], E["NODE_SVC"]
ferry_ok = E["ferry_ok"] == "1"

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""

def load(name):
    with open(os.path.join(RES, name)) as f:
        return {r["command"]: r for r in json.load(f)["results"]}

def fmt_t(s):
    return f"{s * 1000:.2f} ms" if s < 0.1 else (f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s")

def fmt_b(n):
    for unit, k in (("MB", 1e6), ("KB", 1e3)):
        if n >= k:
            return f"{n / k:.2f} {unit}"
    return f"{n} B"

def ratio(a, b):
    return f"{a / b:,.0f}×" if a / b >= 100 else f"{a / b:.1f}×"

startup = load("startup.json")
package = load("package.json")

# ---- timing table
rows = []
fv = startup["ferry version"]["median"]
for name, desc in (("floor", "floor: a C program linked with nothing"),
                   ("ferry version", "`ferry version`"),
                   ("ferry --help", "`ferry --help`"),
                   ("serverless --version", "`serverless --version`")):
    r = startup[name]
    rel = "1×" if name == "ferry version" else f"{ratio(r['median'], fv)} ferry version"
    if name == "floor":
        rel = f"ferry version = floor + {fmt_t(fv - r['median'])}"
    rows.append(("start-up", desc, r, rel))
fp = package.get("ferry package")
for name, desc in (("ferry package", "`ferry package` (deps, 3 zips)"),
                   ("serverless package", "`serverless package` (1 zip)"),
                   ("serverless package (individually)",
                    "`serverless package --config serverless-individually.yml` (3 zips)")):
    r = package.get(name)
    if r is None:
        rows.append(("package 3 functions", desc, None, "failed (see below)"))
        continue
    rel = "1×" if name == "ferry package" else (f"{ratio(r['median'], fp['median'])} ferry package" if fp else "—")
    rows.append(("package 3 functions", desc, r, rel))

lines = ["| workload | command | median | min … max | runs | relative |",
         "|---|---|---:|---:|---:|---|"]
for w, d, r, rel in rows:
    if r is None:
        lines.append(f"| {w} | {d} | — | — | — | {rel} |")
    else:
        lines.append(f"| {w} | {d} | **{fmt_t(r['median'])}** | {fmt_t(r['min'])} … {fmt_t(r['max'])} "
                     f"| {len(r['times'])} | {rel} |")
timing = "\n".join(lines)

# ---- outputs
def zips(d):
    res = []
    for z in sorted(glob.glob(os.path.join(d, "*.zip"))):
        names = subprocess.run(["unzip", "-Z1", z], capture_output=True, text=True).stdout.splitlines()
        res.append((os.path.basename(z)[:-4], os.path.getsize(z), names))
    return res

def rss(name):
    try:
        return int(open(os.path.join(RES, name)).read().split()[-1]) * 1024
    except Exception:
        return None

# dev-only packages per the lockfile ("dev": true), as bundle path prefixes
lock = json.load(open(os.path.join(N, "package-lock.json")))
dev = sorted(k for k, v in lock.get("packages", {}).items() if k and v.get("dev"))
named = ("jest", "typescript", "eslint", "@types/node")
named_re = re.compile(r"(^|/)node_modules/(" + "|".join(re.escape(n) for n in named) + r")/")

# bin names (node_modules/.bin/NAME) that only dev-only top-level packages provide
def bins(devflag):
    return {b for k, v in lock.get("packages", {}).items()
            if k.startswith("node_modules/") and "/node_modules/" not in k[13:] and bool(v.get("dev")) == devflag
            for b in (v.get("bin") or {})}
devbins = bins(True) - bins(False)

def dev_leaks(names):
    s = set()
    for n in names:
        if named_re.search(n):
            s.add(named_re.search(n).group(2))
        for p in dev:	# files under a dev-only package directory
            if n.startswith(p + "/"):
                s.add(p.rsplit("node_modules/", 1)[-1])
    return s

sets = []
if ferry_ok:
    rs = [rss(f"ferry-rss.{i}") for i in (1, 2, 3)]
    rs = [x for x in rs if x]
    sets.append(("`ferry package`", zips(os.path.join(OUT, "ferry")), statistics.median(rs) if rs else None))
sets.append(("`serverless package`", zips(os.path.join(OUT, "sls")), rss("sls-rss")))
sets.append(("`serverless package` (individually)", zips(os.path.join(OUT, "sls-individually")),
             rss("sls-individually-rss")))

lines = ["| command | zips | files per zip (`unzip -Z1 \\| wc -l`) | zipped, total | peak RSS | devDependency files |",
         "|---|---:|---|---:|---:|---|"]
checks = []
for label, zs, peak in sets:
    per = ", ".join(f"{n} {len(names):,}" for n, _, names in zs) or "—"
    total = sum(b for _, b, _ in zs)
    leaked = set()
    for _, _, names in zs:
        leaked |= dev_leaks(names)
    devbin = sorted({n for _, _, names in zs for n in names
                     if n.startswith("node_modules/.bin/") and n[18:] in devbins})
    leaked |= set(devbin)
    leak = "none" if not leaked else ", ".join(f"`{x}`" for x in sorted(leaked)[:4]) + (", …" if len(leaked) > 4 else "")
    lines.append(f"| {label} | {len(zs)} | {per} | {fmt_b(total)} | {fmt_b(peak) if peak else '—'} | {leak} |")
    if label == "`ferry package`":
        ok = not leaked
        checks.append(f"- devDependency check ({', '.join(named)} and all {len(dev)} dev-only packages of "
                      f"package-lock.json) in ferry's bundles: **{'PASS, none found' if ok else 'FAIL: ' + ', '.join(sorted(leaked))}** (each package directory and its `node_modules/.bin/` names)")
outputs = "\n".join(lines)

if ferry_ok:
    # reproducibility: 3 clean runs must give the same sha256 per bundle
    shas = [open(os.path.join(RES, f"ferry-sha.{i}")).read() for i in (1, 2, 3)]
    checks.append(f"- reproducible: 3 clean `ferry package` runs gave "
                  f"{'**identical** zips (sha256)' if len(set(shas)) == 1 else '**DIFFERENT** zips'}")
    # ferry's own JSON figures must agree with unzip and the file sizes
    rep = {}
    for l in open(os.path.join(RES, "ferry-package.1.jsonl")):
        try:
            o = json.loads(l)
        except ValueError:
            continue
        if o.get("event") == "bundle":
            rep[o["function"]] = o
    mism = []
    for n, b, names in sets[0][1]:
        o = rep.get(n)
        if not o or o.get("files") != len(names) or o.get("zipped") != b:
            mism.append(n)
    checks.append(f"- `ferry --json package` figures (files, zipped) match `unzip -Z1` and the zip sizes: "
                  f"{'yes' if not mism and rep else 'NO for ' + ', '.join(mism or ['all (no bundle events)'])}")
    checks.append(f"- `ferry version` median {fmt_t(fv)}: "
                  f"{'under' if fv < 0.005 else 'NOT under'} the issue's 5 ms goal in this run")
else:
    err = open(os.path.join(RES, "ferry-check.err")).read().strip().splitlines()
    checks.append("- **`ferry package` failed**, so it was not timed: `" + (err[0] if err else "no message") + "`")

# ---- trace mode: node-svc (3 bundles) against serverless (individually) and nft, and py-svc
trace_ok, nft_ok, py_ok = (E[k] == "1" for k in ("trace_ok", "nft_ok", "py_ok"))
GOAL_T, GOAL_SLS, GOAL_NFT = 0.25, 30, 5		# s; × faster than serverless individually; × faster than nft
GOAL_NODE_ZIP, GOAL_PY_ZIP, GOAL_RSS = 870_000, 600_000, 64 * 2**20	# bytes

def yn(ok):
    return "**yes**" if ok else "**NO**"

def runres(n):
    try:
        rc = int(open(os.path.join(RES, f"run-{n}.rc")).read())
        out = open(os.path.join(RES, f"run-{n}.out")).read().strip().splitlines()
    except Exception:
        return None, ["not run"]
    return rc == 0, out

def first_err(name):
    try:
        err = open(os.path.join(RES, name)).read().strip().splitlines()
    except Exception:
        err = []
    return err[0] if err else "no message"

def med_rss(prefix):
    rs = [x for x in (rss(f"{prefix}.{i}") for i in (1, 2, 3)) if x]
    return statistics.median(rs) if rs else None

ft = package.get("ferry package (trace)")
nft = package.get("nft trace")
sli = package.get("serverless package (individually)")
try:
    pyt = load("package-py.json").get("ferry package (py-svc, trace)")
except Exception:
    pyt = None

tz = zips(os.path.join(OUT, "ferry-trace")) if trace_ok else []
pz = zips(os.path.join(OUT, "ferry-py")) if py_ok else []
slz = zips(os.path.join(OUT, "sls-individually"))
t_total = sum(b for _, b, _ in tz)
p_total = sum(b for _, b, _ in pz)
naive = os.path.getsize(os.path.join(OUT, "py-naive.zip")) if os.path.exists(os.path.join(OUT, "py-naive.zip")) else None
rss_t, rss_p = med_rss("ferry-trace-rss"), med_rss("ferry-py-rss")
runs = {n: runres(n) for n in ("users", "report", "ping", "fetch")}

def pf(n):
    ok, _ = runs[n]
    return "—" if ok is None else ("PASS" if ok else "**FAIL**")

def tcell(r):
    return "failed" if r is None else f"**{fmt_t(r['median'])}** ({fmt_t(r['min'])} … {fmt_t(r['max'])}, {len(r['times'])} runs)"

lines = ["| | `ferry -f ferry.trace.yaml package` | `serverless package` (individually) | nft trace only (`node bench/nft-trace.js`) | goal | met |",
         "|---|---|---|---|---|---|"]
if ft:
    met = [ft["median"] <= GOAL_T]
    r_sls = sli["median"] / ft["median"] if sli else None
    r_nft = nft["median"] / ft["median"] if nft else None
    if r_sls is not None: met.append(r_sls >= GOAL_SLS)
    if r_nft is not None: met.append(r_nft >= GOAL_NFT)
else:
    met, r_sls, r_nft = [False], None, None
lines.append(f"| time, all 3 functions (hyperfine median, min … max) | {tcell(ft)} | {tcell(sli)} | {tcell(nft)} "
             f"| ≤ 0.25 s with the zips written | {yn(bool(ft) and ft['median'] <= GOAL_T)} |")
lines.append(f"| ferry trace is faster by | 1× | {ratio(sli['median'], ft['median']) if ft and sli else '—'} "
             f"| {ratio(nft['median'], ft['median']) if ft and nft else '—'} | ≥ 30× serverless, ≥ 5× nft "
             f"| {yn(r_sls is not None and r_sls >= GOAL_SLS)} / {yn(r_nft is not None and r_nft >= GOAL_NFT)} |")
lines.append(f"| zipped, 3 bundles | {fmt_b(t_total) if tz else '—'} ({t_total:,} B) | {fmt_b(sum(b for _, b, _ in slz))} "
             f"| no zip (868 KB in ANCHORS.md) | ≤ 0.87 MB | {yn(bool(tz) and t_total <= GOAL_NODE_ZIP)} |")
lines.append(f"| files per bundle | {', '.join(f'{n} {len(ns):,}' for n, _, ns in tz) or '—'} "
             f"| {', '.join(f'{n} {len(ns):,}' for n, _, ns in slz)} | {first_err('nft-check.out') if nft_ok else 'failed'} | — | — |")
lines.append(f"| every bundle runs from an empty dir | {', '.join(f'{n} {pf(n)}' for n in ('users', 'report', 'ping'))} "
             f"| — | — | all PASS | {yn(all(runs[n][0] for n in ('users', 'report', 'ping')))} |")
lines.append(f"| ferry peak RSS (median of 3) | {fmt_b(rss_t) if rss_t else '—'} | {fmt_b(rss('sls-individually-rss') or 0)} "
             f"| — | < 64 MB | {yn(bool(rss_t) and rss_t < GOAL_RSS)} |")
trace_table = "\n".join(lines)

lines = ["| | `ferry package` (trace) | naive zip (handler.py + vendor/, for scale) | goal | met |",
         "|---|---|---|---|---|"]
lines.append(f"| time (hyperfine median, min … max) | {tcell(pyt)} | — | — | — |")
lines.append(f"| zipped | {fmt_b(p_total) if pz else '—'} ({p_total:,} B = {p_total / 2**20:.2f} MiB) "
             f"| {fmt_b(naive) if naive else '—'} | ≤ 0.6 MB | {yn(bool(pz) and p_total <= GOAL_PY_ZIP)} |")
lines.append(f"| files | {', '.join(f'{n} {len(ns):,}' for n, _, ns in pz) or '—'} | — | — | — |")
lines.append(f"| runs from an empty dir (`python3 -I -S`, sys.path = [bundle, stdlib], no CA env) | {pf('fetch')} | — | runs | {yn(bool(runs['fetch'][0]))} |")
lines.append(f"| ferry peak RSS (median of 3) | {fmt_b(rss_p) if rss_p else '—'} | — | < 64 MB | {yn(bool(rss_p) and rss_p < GOAL_RSS)} |")
py_table = "\n".join(lines)

tchecks = []
if not trace_ok:
    tchecks.append("- **`ferry -f ferry.trace.yaml package` failed**: `" + first_err("ferry-trace-check.err") + "`")
if not nft_ok:
    tchecks.append("- **`node bench/nft-trace.js` failed**: `" + first_err("nft-check.err") + "`")
if not py_ok:
    tchecks.append("- **`ferry package` of py-svc failed**: `" + first_err("ferry-py-check.err") + "`")
for n in ("users", "report", "ping", "fetch"):
    ok, out = runs[n]
    if ok is False:
        shown = [l for l in out if "Error" in l or "error" in l or "outside" in l or "MISSING" in l][:2] or out[-2:]
        tchecks.append(f"- bundle `{n}` FAILED to run: " + " / ".join(f"`{l.strip()}`" for l in shown))
if tz:
    leaked = set()
    for _, _, ns in tz:
        leaked |= dev_leaks(ns)
    pg = sorted(n for n, _, ns in tz if any(x.startswith("node_modules/pg/") for x in ns))
    tchecks.append(f"- devDependencies in the trace bundles: **{'none' if not leaked else 'FOUND: ' + ', '.join(sorted(leaked))}**; "
                   f"`pg` (a production dependency no handler uses): **{'in no bundle' if not pg else 'in ' + ', '.join(pg)}**")
for label, pre in (("node-svc trace", "ferry-trace-sha"), ("py-svc", "ferry-py-sha")):
    try:
        shas = [open(os.path.join(RES, f"{pre}.{i}")).read() for i in (1, 2, 3)]
        tchecks.append(f"- reproducible ({label}): 3 clean runs gave "
                       f"{'**identical** zips (sha256)' if len(set(shas)) == 1 else '**DIFFERENT** zips'}")
    except Exception:
        pass
try:
    w = sorted({l.strip() for l in open(os.path.join(RES, "ferry-trace-check.err")) if "warning" in l})
    if w:
        tchecks.append("- ferry's warnings (trace, node-svc): " + "; ".join(f"`{x}`" for x in w))
except Exception:
    pass

# ---- machine and versions
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-").strip()
mem = sh("free -g | awk '/^Mem:/ {print $2 \" GB total, \" $7 \" GB available\"}'")
head = sh(f"git -C {E['REPO']} rev-parse --short HEAD")
dirty = sh(f"git -C {E['REPO']} status --porcelain --untracked-files=no -- . ':!bench'")
ferry_v = sh(f"{E['FERRY']} version")
sls_v = sh(f"cd {N} && {E['SLS']} --version").replace("\n", ", ")
ldd = sh(f"ldd {E['FERRY']} | wc -l")
loadavg = " ".join(open("/proc/loadavg").read().split()[:3])
cc = sh(f"grep -m1 '^CMAKE_C_COMPILER:' {E['REPO']}/build/bench/CMakeCache.txt | cut -d= -f2-") or "cc"
ccv = sh(f"{cc} --version | head -1")
machine = [
    f"- date: {sh('date -u')}",
    f"- machine: {cpu}, {sh('nproc')} cores, {mem}, Linux {sh('uname -r')}, load average at the end {loadavg}",
    f"- ferry: `{ferry_v}` at {head}{' + uncommitted changes in the tree' if dirty else ''}, Release build "
    f"(`build/bench`, {ccv}), "
    f"{ldd} shared objects listed by `ldd build/bench/ferry`",
    f"- Serverless Framework: {sls_v}; Node {sh('node --version')}; npm {sh('npm --version')}; "
    f"{sh('hyperfine --version')}",
    f"- fixture: `bench/work/node-svc` from `make-fixtures.sh` (3 handlers; express, uuid, lodash, dayjs, "
    f"@aws-sdk/client-s3, pg; devDependencies jest, typescript, eslint, @types/node), "
    f"manifest `bench/fixtures/node-svc.ferry.yaml` (deps) and `bench/fixtures/node-svc.trace.ferry.yaml` (trace)",
    f"- Python fixture: `bench/work/py-svc` (handler.py using requests; vendor/ with 12 distributions), "
    f"manifest `bench/fixtures/py-svc.ferry.yaml` (trace); {sh('python3 --version')}",
]

cmds = [
    "```sh",
    f"bench/run.sh    # BENCH_STARTUP_RUNS={E['STARTUP_RUNS']} BENCH_PACKAGE_RUNS={E['PACKAGE_RUNS']}",
    "# which runs, from bench/work (F=build/bench/ferry, S=sls/node_modules/.bin/serverless):",
    E["STARTUP_CMD"].replace(E["FERRY"], "F").replace(E["SLS"], "S").replace(E["RES"] + "/", ""),
    E["PACKAGE_CMD"].replace(E["FERRY"], "F").replace(E["SLS"], "S").replace(E["RES"] + "/", "")
        .replace(E["NODE_SVC"], "node-svc").replace(E["OUT"], "out").replace(E["BENCH"], "bench"),
    E["PY_CMD"].replace(E["FERRY"], "F").replace(E["RES"] + "/", "")
        .replace(E["PY_SVC"], "py-svc").replace(E["OUT"], "out"),
    "# then /usr/bin/time -f %M for peak RSS, and every trace bundle unzipped into an empty dir and run",
    "```",
]

report = "\n".join([
    f"### Run of {time.strftime('%Y-%m-%d', time.gmtime())}", "",
    *machine, "",
    "Time (hyperfine medians; start-up without a shell, `-N`; packaging from a clean output each run):", "",
    timing, "",
    "Output (clean runs after the timing; ferry's peak RSS is the median of 3 runs):", "",
    outputs, "",
    *checks, "",
    "#### Trace mode (`package: { mode: trace }`), in the same hyperfine run as above", "",
    "Each bundle was unzipped into an empty temp dir and its handler run there with `node` "
    "(users `{\"body\":{\"name\":\"x\"}}`, report `{\"dryRun\":true,\"rows\":[]}`, ping `{}`); "
    "PASS = exit 0, a 2xx statusCode, nothing loaded from outside the bundle. "
    "nft traces the 3 handlers in one process (conditions node + module-sync) and writes no zip.", "",
    trace_table, "",
    "Python fixture `py-svc` (event `{\"dryRun\": true}`; REQUESTS_CA_BUNDLE / SSL_CERT_* unset; "
    "PASS also needs `certifi.where()` to exist in the bundle):", "",
    py_table, "",
    *tchecks, "",
    "Command:", "",
    *cmds,
])
print("\n" + report + "\n")
open(os.path.join(RES, "report.md"), "w").write(report + "\n")

if E["WRITE_README"] == "1":
    path = os.path.join(E["BENCH"], "README.md")
    begin, end = "<!-- results -->", "<!-- /results -->"
    try:
        text = open(path).read()
    except FileNotFoundError:
        text = "# Benchmarks\n\nRun `bench/run.sh`.\n\n## Results\n\n"
    block = f"{begin}\n{report}\n{end}"
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    open(path, "w").write(text)
    print(f"wrote {path}")
PY
