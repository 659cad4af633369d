#!/usr/bin/env bash
# bench/run.sh - ferry against the Serverless Framework, side by side in one run:
#   1. start-up:  `ferry version`, `ferry --help`  vs  `serverless --version`
#   2. packaging: `ferry package` (deps mode, 3 separate zips)  vs
#                 `serverless package` (one zip) and with `individually: true`
# plus output sizes, files per zip, peak RSS, a devDependency leak check and
# a reproducibility check. Prints a markdown report and writes it into
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
SLS=$WORK/sls/node_modules/.bin/serverless
OUT=$WORK/out
RES=$WORK/results
STARTUP_RUNS=${BENCH_STARTUP_RUNS:-40}
PACKAGE_RUNS=${BENCH_PACKAGE_RUNS:-7}
WRITE_README=1

for a in "$@"; do
	case $a in
	--no-readme) WRITE_README=0 ;;
	-h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
for t in cmake python3 node npm; do
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
      $(cat "$WORK/.fixtures-stamp" 2>/dev/null) != "$stamp" ]]; then
	say "building the fixtures into bench/work (make-fixtures.sh, ~30 s plus npm)"
	rm -f "$WORK/.fixtures-stamp"
	mkdir -p "$WORK"
	bash "$MAKE_FIXTURES" "$WORK" >&2
	echo "$stamp" > "$WORK/.fixtures-stamp"
else
	say "fixtures up to date in bench/work"
fi

########## 3. the ferry manifest of the node fixture ##########
cp "$BENCH/fixtures/node-svc.ferry.yaml" "$NODE_SVC/ferry.yaml"
rm -rf "$NODE_SVC/.ferry" "$NODE_SVC/.serverless" "$OUT" "$RES"
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
FERRY_PKG="$FERRY -C $NODE_SVC package --out $OUT/ferry"
SLS_PKG="cd $NODE_SVC && $SLS package --package $OUT/sls"
SLS_IND="cd $NODE_SVC && $SLS package --config serverless-individually.yml --package $OUT/sls-individually"
PREP="rm -rf $OUT/ferry $OUT/sls $OUT/sls-individually $NODE_SVC/.ferry $NODE_SVC/.serverless"

say "checking that ferry package works"
ferry_ok=1
if ! "$FERRY" --json -C "$NODE_SVC" package --out "$OUT/ferry" > "$RES/ferry-check.out" 2> "$RES/ferry-check.err"; then
	ferry_ok=0
	echo "ferry package FAILED:" >&2; cat "$RES/ferry-check.err" >&2
fi

say "packaging ($PACKAGE_RUNS runs each)"
pkg_cmds=()
if (( ferry_ok )); then pkg_cmds+=(-n 'ferry package' "$FERRY_PKG"); fi
pkg_cmds+=(-n 'serverless package' "$SLS_PKG" -n 'serverless package (individually)' "$SLS_IND")
PACKAGE_CMD="hyperfine --warmup 1 --runs $PACKAGE_RUNS --prepare '$PREP' --export-json package.json '$FERRY_PKG' '$SLS_PKG' '$SLS_IND'"
hyperfine --warmup 1 --runs "$PACKAGE_RUNS" --prepare "$PREP" \
	--export-json "$RES/package.json" "${pkg_cmds[@]}" >&2

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
rm -rf "$NODE_SVC/.ferry" "$NODE_SVC/.serverless"

########## 5. report ##########
export BENCH REPO RES OUT NODE_SVC FERRY SLS STARTUP_RUNS PACKAGE_RUNS ferry_ok WRITE_README
export STARTUP_CMD PACKAGE_CMD
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
    f"manifest `bench/fixtures/node-svc.ferry.yaml`",
]

cmds = [
    "```sh",
    f"bench/run.sh    # BENCH_STARTUP_RUNS={E['STARTUP_RUNS']} BENCH_PACKAGE_RUNS={E['PACKAGE_RUNS']}",
    "# which runs, from bench/work (F=build/bench/ferry, S=sls/node_modules/.bin/serverless):",
    E["STARTUP_CMD"].replace(E["FERRY"], "F").replace(E["SLS"], "S").replace(E["RES"] + "/", ""),
    E["PACKAGE_CMD"].replace(E["FERRY"], "F").replace(E["SLS"], "S").replace(E["RES"] + "/", "")
        .replace(E["NODE_SVC"], "node-svc").replace(E["OUT"], "out"),
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
