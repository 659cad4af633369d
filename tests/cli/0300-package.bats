#!/usr/bin/env bats
# ferry package: what goes into a bundle (trace, deps and none modes, Node
# package graph, Python packages, include/exclude), byte-reproducible zips,
# the executable bit, the package budget and a missing dependency.

load ../helper
bats_require_minimum_version 1.5.0

# The Node fixture: production, nested, scoped, symlinked workspace and
# devDependency packages (tests/data/bundle/node).
node_project() {
	cp -a "$FERRY_TEST_DATA/bundle/node/." .
}

python_project() {
	cp -a "$FERRY_TEST_DATA/bundle/python/." .
}

# Pack the project of ./ferry.yaml in `deps` mode explicitly.
deps_mode() {
	sed -i 's/^functions:/package:\n  mode: deps\nfunctions:/' ferry.yaml
}

# Names inside a zip, one per line.
names() {
	unzip -Z1 "$1"
}

@test "package writes one valid zip per function and reports it" {
	sample_project
	run ferry package
	assert_status 0
	assert_output_contains "hello"
	assert_output_contains "nightly"
	[ -f .ferry/build/hello.zip ]
	[ -f .ferry/build/nightly.zip ]
	unzip -t .ferry/build/hello.zip
	unzip -t .ferry/build/nightly.zip
	# the default mode is trace: each bundle holds what its handler loads
	[ "$(names .ferry/build/hello.zip)" = "src/hello.js" ]
	[ "$(names .ferry/build/nightly.zip)" = "jobs/nightly.py" ]
	mkdir x && (cd x && unzip -q ../.ferry/build/hello.zip)
	cmp x/src/hello.js src/hello.js
}

@test "package --json prints one bundle event per function with the zip's sha256" {
	sample_project
	run --separate-stderr ferry --json package hello
	assert_status 0
	# one bundle event, and the packaging phase's progress event
	[ "$(jq -s -c '[.[].event]' <<<"$output")" = '["progress","bundle"]' ]
	sha=$(sha256sum .ferry/build/hello.zip | cut -d' ' -f1)
	size=$(stat -c %s .ferry/build/hello.zip)
	assert_output_contains '"event":"bundle"'
	assert_output_contains '"function":"hello"'
	assert_output_contains "\"sha256\":\"$sha\""
	assert_output_contains "\"zipped\":$size"
	assert_output_contains '"files":1'
	assert_output_contains "\"path\":\"$TEST_DIR/.ferry/build/hello.zip\""
	[ ! -e .ferry/build/nightly.zip ]
}

@test "package --out writes the bundles to another directory" {
	sample_project
	run ferry package --out dist/zips
	assert_status 0
	[ -f dist/zips/hello.zip ]
	[ ! -e .ferry/build/hello.zip ]
	# an output directory inside the project never ends up in a bundle
	run ferry package --out dist/zips
	assert_status 0
	refute grep -q '^dist/' <<<"$(names dist/zips/hello.zip)"
}

@test "bundles are byte-identical across runs, file times, time zones and paths" {
	mkdir here && cd here
	node_project
	ferry package
	first=$(sha256sum .ferry/build/users.zip | cut -d' ' -f1)
	ferry package
	[ "$(sha256sum .ferry/build/users.zip | cut -d' ' -f1)" = "$first" ]
	find . -exec touch -h -d '2011-05-05 10:00' {} +
	ferry package
	[ "$(sha256sum .ferry/build/users.zip | cut -d' ' -f1)" = "$first" ]
	TZ=Pacific/Kiritimati ferry package
	[ "$(sha256sum .ferry/build/users.zip | cut -d' ' -f1)" = "$first" ]
	mkdir -p "$TEST_DIR/elsewhere/deeper"
	cp -a . "$TEST_DIR/elsewhere/deeper/copy"
	rm -rf "$TEST_DIR/elsewhere/deeper/copy/.ferry"
	(cd "$TEST_DIR/elsewhere/deeper/copy" && TZ=America/Adak ferry package)
	[ "$(sha256sum "$TEST_DIR/elsewhere/deeper/copy/.ferry/build/users.zip" | cut -d' ' -f1)" = "$first" ]
	# fixed header fields: the 2000-01-01 time, no varying extra fields
	run zipinfo -v .ferry/build/users.zip
	assert_output_contains "2000 Jan 1 00:00:00"
	refute grep -q "UT extra field modtime" <<<"$output"
	refute grep -q "2011" <<<"$output"
}

@test "deps mode ships production packages: nested, scoped, symlinked workspace, installed peer" {
	node_project
	deps_mode
	run ferry package
	assert_status 0
	run names .ferry/build/users.zip
	for f in src/users.js src/lib/db.js package.json \
		node_modules/express-lite/index.js \
		node_modules/express-lite/lib/router.js \
		node_modules/express-lite/node_modules/cookie/index.js \
		node_modules/cookie/index.js \
		node_modules/debug-lite/index.js node_modules/ms-lite/index.js \
		node_modules/@scope/x/index.js node_modules/@scope/x/lib/util.js \
		node_modules/ws-util/index.js node_modules/peer-here/index.js; do
		grep -qx "$f" <<<"$output" || { echo "missing $f"; return 1; }
	done
	# the nested cookie is the one express-lite's own node_modules holds
	mkdir x && (cd x && unzip -q ../.ferry/build/users.zip)
	grep -q '0.5.0' x/node_modules/express-lite/node_modules/cookie/index.js
	grep -q '1.0.0' x/node_modules/cookie/index.js
	# the workspace package is a real directory in the bundle
	[ -f x/node_modules/ws-util/index.js ]
	[ ! -L x/node_modules/ws-util ]
}

@test "a devDependency and what only it reaches never appear in any bundle" {
	node_project
	run ferry package
	assert_status 0
	run names .ferry/build/users.zip
	refute grep -q 'jest-lite' <<<"$output"
	refute grep -q 'dev-only-dep' <<<"$output"
	refute grep -q '\.bin/' <<<"$output"
	refute grep -q '@scope/unused' <<<"$output"
	refute grep -qx 'ferry.yaml' <<<"$output"
	refute grep -q 'package-lock' <<<"$output"
}

@test "include and exclude work at service and function level with ** and negation" {
	node_project
	cat > ferry.yaml <<'YAML'
service: shop
runtime: nodejs22
package:
  mode: deps
  exclude: ["**/*.test.js", "**/README.md", "!node_modules/express-lite/README.md", "assets/"]
  include: ["node_modules/jest-lite/package.json"]
functions:
  users:
    handler: src/users.handler
    package:
      exclude: ["node_modules/@scope/x/lib/**"]
      include: ["assets/raw/**"]
  other:
    handler: src/users.handler
YAML
	run ferry package
	assert_status 0
	run names .ferry/build/users.zip
	refute grep -q 'users.test.js' <<<"$output"
	refute grep -qx 'README.md' <<<"$output"
	grep -qx 'node_modules/express-lite/README.md' <<<"$output"
	refute grep -qx 'assets/logo.txt' <<<"$output"
	grep -qx 'assets/raw/big.txt' <<<"$output"
	refute grep -q '@scope/x/lib/' <<<"$output"
	grep -qx 'node_modules/@scope/x/index.js' <<<"$output"
	grep -qx 'node_modules/jest-lite/package.json' <<<"$output"
	refute grep -qx 'node_modules/jest-lite/index.js' <<<"$output"
	# the function-level lists apply to their function only
	run names .ferry/build/other.zip
	grep -qx 'node_modules/@scope/x/lib/util.js' <<<"$output"
	refute grep -q 'assets/' <<<"$output"
	grep -qx 'node_modules/jest-lite/package.json' <<<"$output"
}

@test "mode none takes the whole directory minus .git, .ferry and the manifest" {
	node_project
	mkdir -p .git && echo 'ref: refs/heads/main' > .git/HEAD
	sed -i 's/^functions:/package:\n  mode: none\nfunctions:/' ferry.yaml
	run ferry package
	assert_status 0
	run names .ferry/build/users.zip
	grep -qx 'node_modules/jest-lite/index.js' <<<"$output"
	grep -qx 'node_modules/dev-only-dep/index.js' <<<"$output"
	grep -qx 'node_modules/.bin/jest' <<<"$output"
	refute grep -q '^\.git/' <<<"$output"
	refute grep -q '^\.ferry/' <<<"$output"
	refute grep -qx 'ferry.yaml' <<<"$output"
}

@test "python packages land at the bundle root without __pycache__ or .pyc" {
	python_project
	deps_mode
	run ferry package
	assert_status 0
	run names .ferry/build/nightly.zip
	grep -qx 'requests_lite/__init__.py' <<<"$output"
	grep -qx 'requests_lite/api.py' <<<"$output"
	grep -qx 'six_lite.py' <<<"$output"
	grep -qx 'jobs/nightly.py' <<<"$output"
	refute grep -q '^vendor/' <<<"$output"
	refute grep -q '__pycache__' <<<"$output"
	refute grep -q '\.pyc$' <<<"$output"
}

@test "python packages come from an active virtualenv when python.packages is unset" {
	mkdir -p jobs venv/lib/python3.12/site-packages/fastlib/__pycache__
	printf 'def run(e, c):\n    return 1\n' > jobs/nightly.py
	echo 'X = 1' > venv/lib/python3.12/site-packages/fastlib/__init__.py
	echo 'junk' > venv/lib/python3.12/site-packages/fastlib/__pycache__/x.pyc
	cat > ferry.yaml <<'YAML'
service: jobs
runtime: python3.12
functions:
  nightly:
    handler: jobs/nightly.run
YAML
	deps_mode
	VIRTUAL_ENV="$TEST_DIR/venv" run ferry package
	assert_status 0
	run names .ferry/build/nightly.zip
	grep -qx 'fastlib/__init__.py' <<<"$output"
	refute grep -q '^venv/' <<<"$output"
	refute grep -q '__pycache__' <<<"$output"
}

@test "the executable bit survives packaging" {
	node_project
	deps_mode
	run ferry package
	assert_status 0
	run zipinfo .ferry/build/users.zip bin/tool.sh
	assert_output_contains "-rwxr-xr-x"
	run zipinfo .ferry/build/users.zip src/users.js
	assert_output_contains "-rw-r--r--"
	mkdir x && (cd x && unzip -q ../.ferry/build/users.zip)
	[ -x x/bin/tool.sh ]
	[ ! -x x/src/users.js ]
}

@test "a bundle over the package budget fails and names its largest contributors" {
	node_project
	head -c 1500000 /dev/urandom > node_modules/express-lite/big.bin
	head -c 300000 /dev/urandom > src/blob.bin
	sed -i 's/^functions:/package:\n  mode: deps\n  budget: 1MB\nfunctions:/' ferry.yaml
	run ferry package
	assert_status 1
	assert_output_contains "ferry: bundle of 'users' is 1."
	assert_output_contains "MB, over the package budget of 1 MB; largest contributors: express-lite 1.4 MB, src 29"
	[ ! -e .ferry/build/users.zip ]
	sed -i 's/budget: 1MB/budget: 5MB/' ferry.yaml
	run ferry package
	assert_status 0
}

@test "a production dependency missing from node_modules is an error" {
	node_project
	deps_mode
	rm -rf node_modules/ms-lite
	run ferry package
	assert_status 1
	assert_output_contains "ferry: package 'ms-lite' (a dependency of 'ws-util') is not installed in node_modules; run npm install"
}

# The Node fixture packed in trace mode.
node_trace_project() {
	node_project
	sed -i 's/^functions:/package:\n  mode: trace\nfunctions:/' ferry.yaml
}

@test "trace mode ships exactly the files the handler loads" {
	mkdir here && cd here
	node_trace_project
	run ferry package
	assert_status 0
	run names .ferry/build/users.zip
	[ "$output" = "$(cat <<'EOF2'
node_modules/@scope/x/index.js
node_modules/@scope/x/package.json
node_modules/express-lite/index.js
node_modules/express-lite/lib/router.js
node_modules/express-lite/node_modules/cookie/index.js
node_modules/express-lite/node_modules/cookie/package.json
node_modules/express-lite/package.json
node_modules/ms-lite/index.js
node_modules/ms-lite/package.json
node_modules/ws-util/index.js
node_modules/ws-util/package.json
package.json
src/users.js
EOF2
)" ]
	# the bundle runs on its own
	mkdir x && (cd x && unzip -q ../.ferry/build/users.zip)
	(cd x && node -e 'require("./src/users.js").handler({}).then(r => { if (r.body !== "express-lite@scope/xws-util") process.exit(1); })')
	# reproducible like every bundle
	first=$(sha256sum .ferry/build/users.zip | cut -d' ' -f1)
	find . -exec touch -h -d '2011-05-05 10:00' {} +
	TZ=Pacific/Kiritimati ferry package
	[ "$(sha256sum .ferry/build/users.zip | cut -d' ' -f1)" = "$first" ]
	mkdir -p "$TEST_DIR/elsewhere/deeper"
	cp -a . "$TEST_DIR/elsewhere/deeper/copy"
	rm -rf "$TEST_DIR/elsewhere/deeper/copy/.ferry"
	(cd "$TEST_DIR/elsewhere/deeper/copy" && TZ=America/Adak ferry package)
	[ "$(sha256sum "$TEST_DIR/elsewhere/deeper/copy/.ferry/build/users.zip" | cut -d' ' -f1)" = "$first" ]
}

@test "trace mode: external leaves packages out, exclude removes, include adds" {
	node_trace_project
	cat > ferry.yaml <<'YAML'
service: shop
runtime: nodejs22
package:
  mode: trace
  external: ["@scope/*"]
  exclude: ["node_modules/express-lite/lib/**"]
functions:
  users:
    handler: src/users.handler
    package:
      include: ["src/lib/*.js", "assets/raw/**"]
      external: ws-util
  other:
    handler: src/users.handler
YAML
	run ferry package
	assert_status 0
	run names .ferry/build/users.zip
	refute grep -q '@scope' <<<"$output"
	refute grep -q 'ws-util' <<<"$output"
	refute grep -q 'ms-lite' <<<"$output"
	refute grep -q 'express-lite/lib/' <<<"$output"
	grep -qx 'node_modules/express-lite/index.js' <<<"$output"
	grep -qx 'src/lib/db.js' <<<"$output"
	grep -qx 'assets/raw/big.txt' <<<"$output"
	refute grep -qx 'assets/logo.txt' <<<"$output"
	# the function-level lists apply to their function only
	run names .ferry/build/other.zip
	grep -qx 'node_modules/ws-util/index.js' <<<"$output"
	refute grep -q '@scope' <<<"$output"
	refute grep -q 'src/lib/' <<<"$output"
}

@test "trace mode warns once per bundle about a require it cannot follow" {
	node_trace_project
	printf 'const n = "x";\nconst m = require(n);\nexports.handler = async () => m;\n' > src/dyn.js
	cat >> ferry.yaml <<'YAML'
  dyn:
    handler: src/dyn.handler
YAML
	run --separate-stderr ferry package
	assert_status 0
	[ "$(grep -c "warning: function 'dyn': src/dyn.js:2: " <<<"$stderr")" -eq 1 ]
	refute grep -q "function 'users'" <<<"$stderr"
	run names .ferry/build/dyn.zip
	grep -qx 'src/dyn.js' <<<"$output"
	refute grep -q 'node_modules/' <<<"$output"
}

@test "trace mode for python follows imports into the packages directory" {
	python_project
	sed -i 's/^functions:/package:\n  mode: trace\nfunctions:/' ferry.yaml
	run ferry package
	assert_status 0
	run names .ferry/build/nightly.zip
	grep -qx 'jobs/nightly.py' <<<"$output"
	grep -qx 'requests_lite/__init__.py' <<<"$output"
	grep -qx 'six_lite.py' <<<"$output"
	refute grep -q '^vendor/' <<<"$output"
	refute grep -q '__pycache__' <<<"$output"
	refute grep -q '\.pyc$' <<<"$output"
	refute grep -qx 'requirements.txt' <<<"$output"
	mkdir x && (cd x && unzip -q ../.ferry/build/nightly.zip)
	(cd x && python3 -c 'import sys; sys.path.insert(0, "."); sys.path.insert(0, "jobs"); import nightly; assert nightly.run({}, None) == {"ok": True, "lib": "requests_lite"}')
}

@test "trace mode for a provided function takes its project files as deps mode does" {
	mkdir -p bin node_modules/x
	printf '#!/bin/sh\necho ok\n' > bin/bootstrap
	chmod +x bin/bootstrap
	echo 'data' > bin/data.txt
	echo 'x' > node_modules/x/index.js
	cat > ferry.yaml <<'YAML'
service: native
runtime: provided
package: { mode: trace }
functions:
  boot:
    handler: bin/bootstrap
YAML
	run ferry package
	assert_status 0
	run names .ferry/build/boot.zip
	[ "$output" = "$(printf 'bin/bootstrap\nbin/data.txt')" ]
}

@test "over the package budget in trace mode: largest contributors by package" {
	node_trace_project
	{ printf '/* '; head -c 1500000 /dev/urandom | base64 -w0; printf ' */\n'; } >> node_modules/express-lite/lib/router.js
	head -c 1500000 /dev/urandom > node_modules/@scope/x/unreached.bin
	sed -i 's/^functions:/  budget: 1MB\nfunctions:/' ferry.yaml
	run ferry package
	assert_status 1
	assert_output_contains "ferry: bundle of 'users' is 1."
	# unreached.bin is not in the bundle, so @scope/x weighs its two files
	assert_output_contains "MB, over the package budget of 1 MB; largest contributors: express-lite 1.9 MB, package.json 312 B, src 204 B, ws-util 144 B, @scope/x 122 B"
	[ ! -e .ferry/build/users.zip ]
}
