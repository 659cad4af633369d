#!/usr/bin/env bash
# The ferry demo on the local provider: builds ferry, then in a fresh
# project with two functions (Node and Python) deploys, invokes, deploys a
# change, rolls back and invokes again to show the old answer is back.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/setup.sh
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/demo -j"$(nproc 2>/dev/null || echo 2)" --target ferry >/dev/null
ferry="$root/build/demo/ferry"

demo=$(mktemp -d "${TMPDIR:-/tmp}/ferry-demo.XXXXXX")
trap 'rm -rf "$demo"' EXIT
cd "$demo"
mkdir -p src jobs
cat > ferry.yaml <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
    env: { GREETING: "hello from ${stage}" }
    events:
      - http: GET /hello
  nightly:
    handler: jobs/nightly.run
    runtime: python3.11
    events:
      - schedule: rate(1 day)
YAML
cat > src/hello.js <<'JS'
exports.handler = async (event) => ({
  statusCode: 200,
  body: `${process.env.GREETING}, ${event.name || "world"} (v1)`,
});
JS
cat > jobs/nightly.py <<'PY'
def run(event, context):
    return {"job": "nightly", "processed": len(event.get("items", []))}
PY

step() {
	if [ -t 1 ]; then printf '\n\033[1m$ ferry %s\033[0m\n' "$*"; else printf '\n$ ferry %s\n' "$*"; fi
	"$ferry" "$@"
}

step validate
step deploy
step invoke hello --data '{"name":"ferry"}'
step invoke nightly --data '{"items":[1,2,3]}'
sed -i 's/(v1)/(v2)/' src/hello.js
step deploy
step invoke hello --data '{"name":"ferry"}'
step deploy
step releases
step rollback
step invoke hello --data '{"name":"ferry"}'
step releases
step info
printf '\ndemo finished: the rollback brought back the v1 answer without a rebuild\n'
