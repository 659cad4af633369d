#!/usr/bin/env bats
# Slim bundles are proven by running them: every bundle of real fixtures is
# extracted into an empty directory and its handler run there with the real
# node and python3, with nothing but the bundle to load from. A bundle that
# misses a file fails here. Also: no devDependency in any bundle, and no
# bundle holds a file of a package its handler cannot reach.
#
# The Node fixture is installed from the npm registry with its committed
# lockfile (npm ci); the Python one vendors distributions of this machine's
# python3, as shared/bench/make-fixtures.sh does.

load ../helper

setup_file() {
	export FIX="$BATS_FILE_TMPDIR/fix"
	mkdir -p "$FIX"
	cp -a "$FERRY_TEST_DATA/trace-run/node" "$FIX/node"
	(cd "$FIX/node" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&3 2>&1
	cp -a "$FERRY_TEST_DATA/trace-run/python" "$FIX/python"
	python3 - "$FIX/python/vendor" <<'PY'
import os, shutil, sys, sysconfig
from importlib import metadata
sp, dst = sysconfig.get_paths()["purelib"], sys.argv[1]
for name in ["requests", "urllib3", "idna", "certifi", "charset_normalizer",
             "PyYAML", "python-dateutil", "six", "jmespath"]:
    for f in metadata.distribution(name).files:
        rel = str(f)
        if rel.startswith("..") or "__pycache__" in rel or rel.endswith(".pyc"):
            continue
        src = os.path.join(sp, rel)
        if os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(dst, rel))
PY
}

# Extract zip $1 into a new empty directory outside every project; print it.
extract() {
	local d
	d=$(mktemp -d "$BATS_TEST_TMPDIR/run.XXXXXX")
	unzip -q "$1" -d "$d"
	printf '%s\n' "$d"
}

# Run the Node handler $2 (file.export) of bundle dir $1 with event $3.
run_node() {
	(cd "$1" && env -i PATH="$PATH" HOME="$1" NODE_PATH= node -e '
const [file, name] = process.argv[1].split(".");
require("./" + file)[name](JSON.parse(process.argv[2]))
  .then((r) => process.stdout.write(JSON.stringify(r)))
  .catch((e) => { console.error(e); process.exit(1); });' "$2" "$3" 2>/dev/null)
}

# Top-level packages (node_modules/<name>) in zip $1, one per line.
packages_in() {
	unzip -Z1 "$1" | sed -n 's,^node_modules/\(@[^/]*/[^/]*\)/.*,\1,p; s,^node_modules/\([^@/][^/]*\)/.*,\1,p' | sort -u
}

# Packages reachable through dependencies from the direct dependency $@,
# per package-lock.json: the most any handler using them may ship.
closure() {
	python3 - "$FIX/node/package-lock.json" "$@" <<'PY'
import json, sys
lock = json.load(open(sys.argv[1]))["packages"]
seen, todo = set(), list(sys.argv[2:])
while todo:
    n = todo.pop()
    if n in seen:
        continue
    seen.add(n)
    meta = lock.get("node_modules/" + n, {})
    todo += list(meta.get("dependencies", {})) + list(meta.get("optionalDependencies", {}))
    todo += [p for p in meta.get("peerDependencies", {}) if "node_modules/" + p in lock]
print("\n".join(sorted(seen)))
PY
}

@test "every Node bundle runs from an empty directory and gives the same answer" {
	cd "$FIX/node"
	run ferry package
	assert_status 0
	for fn in web ids s3 util; do
		[ -f ".ferry/build/$fn.zip" ]
	done
	d=$(extract .ferry/build/web.zip)
	[ "$(run_node "$d" src/web.handler '{}')" = '{"express":"5.3.0","body":{"pong":true}}' ]
	d=$(extract .ferry/build/ids.zip)
	[ "$(run_node "$d" src/ids.handler '{}')" = '{"valid":true,"version":4}' ]
	d=$(extract .ferry/build/s3.zip)
	[ "$(run_node "$d" src/s3.handler '{}')" = '{"region":"eu-west-1","command":"PutObjectCommand"}' ]
	d=$(extract .ferry/build/util.zip)
	[ "$(run_node "$d" src/util.handler '{"rows":[{"n":1},{"n":2}]}')" = '{"sum":3,"groups":2,"day":"2026-02-02","name":"trace-run"}' ]
}

@test "a Node bundle holds no devDependency and no package its handler cannot reach" {
	cd "$FIX/node"
	ferry package > /dev/null
	declare -A direct=([web]=express [ids]=uuid [s3]=@aws-sdk/client-s3 [util]="lodash date-fns")
	for fn in web ids s3 util; do
		allowed=$(closure ${direct[$fn]})
		while read -r pkg; do
			[ -n "$pkg" ] || continue
			if ! grep -qxF "$pkg" <<< "$allowed"; then
				echo "$fn ships '$pkg', which ${direct[$fn]} does not reach" >&2
				return 1
			fi
		done < <(packages_in ".ferry/build/$fn.zip")
		list=$(unzip -Z1 ".ferry/build/$fn.zip")
		refute grep -q '^node_modules/is-number/' <<< "$list"
		# debug (under express) requires supports-color in a try/catch;
		# here only a devDependency installed it
		refute grep -q '^node_modules/supports-color/' <<< "$list"
		refute grep -q 'package-lock.json' <<< "$list"
	done
	# slim: lodash ships a handful of its 1,000+ files
	n=$(unzip -Z1 .ferry/build/util.zip | grep -c '^node_modules/lodash/')
	[ "$n" -lt 20 ]
}

@test "the Python bundle runs with only the bundle and the standard library" {
	cd "$FIX/python"
	run ferry package
	assert_status 0
	d=$(extract .ferry/build/fetch.zip)
	# -I -S: no site-packages, no PYTHON* variables; sys.path = bundle + stdlib
	out=$(cd "$d" && env -i PATH="$PATH" HOME="$d" python3 -I -S -c '
import json, sys, sysconfig
paths = sysconfig.get_paths()
sys.path[:] = [sys.argv[1], paths["stdlib"], paths["platstdlib"],
               paths["platstdlib"] + "/lib-dynload"]
import handler
print(json.dumps(handler.handler({}, None), sort_keys=True))' "$d")
	printf '%s\n' "$out" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
d = sys.argv[1]
assert r["url"] == "https://example.com/items?q=ferry", r
assert r["ca"].startswith(d + "/certifi/"), r["ca"]
assert r["pem"].startswith("\n# Issuer:"), r["pem"]
assert r["yaml"] == {"a": 1, "b": ["x", "y"]}, r
assert r["utc_hour"] == 12, r
assert r["charset"] == "charset_normalizer" and r["detected"] == "utf-8", r
' "$d"
	list=$(unzip -Z1 .ferry/build/fetch.zip)
	refute grep -q '__pycache__\|\.pyc$' <<< "$list"
	refute grep -q '^jmespath' <<< "$list"
	grep -q '^yaml/_yaml\..*\.so$' <<< "$list"
	grep -q '^requests-.*\.dist-info/METADATA$' <<< "$list"
	# the compiled extension charset_normalizer loads from compiled code
	grep -q '__mypyc\..*\.so$' <<< "$list"
}
