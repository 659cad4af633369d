#!/usr/bin/env bats
# ferry validate: every class of manifest error with its exact message and
# exit code 3, and the resolved configuration (--print, --json) for
# variables of every source, stages and per-function overrides.

load ../helper

# Run `ferry [ARGS] validate` and expect exit 3 with exactly "ferry: $1".
expect_invalid() {
	local msg=$1
	shift
	run ferry "$@" validate
	assert_status 3
	if [ "$output" != "ferry: $msg" ]; then
		printf 'expected: ferry: %s\nactual:   %s\n' "$msg" "$output" >&2
		return 1
	fi
}

# A manifest with the sample project's handler files.
manifest() {
	sample_project
	cat > ferry.yaml
}

@test "a valid manifest: summary line on stdout, exit 0" {
	sample_project
	run ferry validate
	assert_status 0
	[ "$output" = "ferry.yaml: valid (service 'demo', stage 'dev', provider 'local', 2 functions)" ]
}

@test "no manifest: exit 5 with a hint" {
	run ferry validate
	assert_status 5
	[ "$output" = "ferry: no ferry.yaml in '$TEST_DIR'; create one with 'ferry init' or pass -f FILE" ]
}

@test "not YAML" {
	manifest <<'YAML'
service: demo
functions: [hello
runtime: nodejs20
YAML
	expect_invalid "ferry.yaml:3:8: not valid YAML (did not find expected ',' or ']' while parsing a flow sequence); check the indentation, and quote values that contain ': ' or ' #'"
}

@test "tabs used for indentation" {
	sample_project
	printf 'service: demo\nruntime: nodejs20\nfunctions:\n\thello:\n\t\thandler: src/hello.handler\n' > ferry.yaml
	expect_invalid "ferry.yaml:4:1: tab character used for indentation; indent with spaces"
}

@test "duplicate keys name both positions" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
memory: 256
functions:
  hello:
    handler: src/hello.handler
memory: 512
YAML
	expect_invalid "ferry.yaml:7:1: duplicate key 'memory' (first at 3:1); each key may appear once in a map"
}

@test "unknown top-level key with did-you-mean" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
fucntions:
  hello:
    handler: src/hello.handler
YAML
	expect_invalid "ferry.yaml:3:1: unknown key 'fucntions'; allowed: service, provider, runtime, memory, timeout, env, python, package, functions, custom, stages, providers (did you mean 'functions'?)"
}

@test "unknown function key with did-you-mean" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
    memroy: 512
YAML
	expect_invalid "ferry.yaml:6:5: unknown key 'memroy' of function 'hello'; allowed: handler, runtime, memory, timeout, env, events, description, package (did you mean 'memory'?)"
}

@test "package: mode trace and external lists, merged per function" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
package:
  mode: trace
  external: "@aws-sdk/*"
functions:
  hello:
    handler: src/hello.handler
    package: { external: ["@smithy/*"], mode: deps }
  nightly:
    handler: jobs/nightly.run
    runtime: python3.11
YAML
	run ferry validate --print
	assert_status 0
	python3 - "$output" <<'PY'
import sys, yaml
d = yaml.safe_load(sys.argv[1])
assert d["package"] == {"external": ["@aws-sdk/*"], "mode": "trace"}, d
assert d["functions"]["hello"]["package"] == {"external": ["@smithy/*"], "mode": "deps"}, d
assert "package" not in d["functions"]["nightly"], d
PY
}

@test "package: unknown mode lists trace, deps and none" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
    package: { mode: tarce }
YAML
	expect_invalid "ferry.yaml:6:22: unknown package mode 'tarce'; allowed: trace, deps, none (did you mean 'trace'?)"
	manifest <<'YAML'
service: demo
runtime: nodejs20
package: { external: 3 }
functions:
  hello:
    handler: src/hello.handler
YAML
	expect_invalid "ferry.yaml:3:22: 'external' is a number (3); it must be a list of glob patterns, e.g. [\"@aws-sdk/*\"]"
}

@test "wrong type: memory is text" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
    memory: "lots"
YAML
	expect_invalid "ferry.yaml:6:13: memory is the text 'lots'; it must be a whole number of MB, 128..10240"
}

@test "wrong type: functions is a list" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  - hello
YAML
	expect_invalid "ferry.yaml:4:3: 'functions' is a list; it must be a map of function names to settings, e.g. 'hello: { handler: src/hello.handler }'"
}

@test "bad service name" {
	manifest <<'YAML'
service: My_Service
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
YAML
	expect_invalid "ferry.yaml:1:10: invalid service name 'My_Service'; a name is 1-40 characters of a-z, 0-9 and '-', starting with a letter"
}

@test "bad function name" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  Hello_World:
    handler: src/hello.handler
YAML
	expect_invalid "ferry.yaml:4:3: invalid function name 'Hello_World'; a name is 1-40 characters of a-z, 0-9 and '-', starting with a letter"
}

@test "missing handler" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    memory: 256
YAML
	expect_invalid "ferry.yaml:4:3: function 'hello' has no 'handler'; add 'handler: <path without extension>.<export>', e.g. 'src/hello.handler'"
}

@test "handler file that does not exist" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    handler: src/nothere.handler
YAML
	expect_invalid "ferry.yaml:5:14: handler file of 'src/nothere.handler' (function 'hello') not found: tried 'src/nothere.js', 'src/nothere.mjs', 'src/nothere.cjs'; create it or fix the handler (<path without extension>.<export>, relative to the project directory)"
}

@test "unknown runtime with did-you-mean" {
	manifest <<'YAML'
service: demo
runtime: nodejs20.x
functions:
  hello:
    handler: src/hello.handler
YAML
	expect_invalid "ferry.yaml:2:10: unknown runtime 'nodejs20.x'; allowed: nodejs18..nodejs24, python3.10..python3.14, provided (did you mean 'nodejs20'?)"
}

@test "memory out of range" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
memory: 64
functions:
  hello:
    handler: src/hello.handler
YAML
	expect_invalid "ferry.yaml:3:9: memory 64 is out of range; allowed: 128..10240 (MB)"
}

@test "timeout out of range" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
    timeout: 901
YAML
	expect_invalid "ferry.yaml:6:14: timeout 901 is out of range; allowed: 1..900 (seconds)"
}

@test "bad http method" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
    events:
      - http: PSOT /users
YAML
	expect_invalid "ferry.yaml:7:15: unknown http method 'PSOT'; allowed: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY (did you mean 'POST'?)"
}

@test "bad http path" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
    events:
      - http: { method: GET, path: "/files/{path+}/meta" }
YAML
	expect_invalid "ferry.yaml:7:15: invalid http path '/files/{path+}/meta': only the last segment may be a greedy {name+} parameter; a path is '/' and segments of letters, digits, '.', '_', '~', '-', or {name}, with {name+} allowed last"
}

@test "bad schedule expression" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
    events:
      - schedule: cron(0 3 * * ?)
YAML
	expect_invalid "ferry.yaml:7:19: invalid schedule 'cron(0 3 * * ?)': cron() has 6 fields (minutes hours day-of-month month day-of-week year), not 5; write rate(1 day), rate(5 minutes) or cron(0 3 * * ? *)"
}

@test "unknown variable source" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
    description: ${evn:HOME}
YAML
	expect_invalid "ferry.yaml:6:18: unknown variable source 'evn' in '\${evn:HOME}'; allowed: env, opt, self, file, git, stage, provider (did you mean 'env'?)"
}

@test "unresolved variable without default" {
	unset FERRY_BATS_UNSET
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
    env:
      TABLE: ${env:FERRY_BATS_UNSET}
YAML
	expect_invalid "ferry.yaml:7:14: variable '\${env:FERRY_BATS_UNSET}' is unresolved (environment variable 'FERRY_BATS_UNSET' is not set); set it or give a default: '\${env:FERRY_BATS_UNSET, value}'"
}

@test "variable cycle names the chain" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
custom:
  a: ${self:custom.b}
  b: ${self:custom.a}
YAML
	expect_invalid "ferry.yaml:8:6: variable cycle: \${self:custom.b} -> \${self:custom.a} -> \${self:custom.b}; a value cannot depend on itself"
}

@test "\${file()} of a missing file, and of a path outside the project" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
custom: ${file(config/missing.yml)}
YAML
	expect_invalid "ferry.yaml:6:9: variable '\${file(config/missing.yml)}' is unresolved (file 'config/missing.yml' not found in the project directory); set it or give a default: '\${file(config/missing.yml), value}'"
	sed -i 's|config/missing.yml|../secrets.yml|' ferry.yaml
	expect_invalid "ferry.yaml:6:9: file path '../secrets.yml' leaves the project directory; \${file()} reads only files inside it"
}

@test "unknown stage passed with -s" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
stages:
  prod: { memory: 1024 }
YAML
	expect_invalid "ferry.yaml:6:1: unknown stage 'prdo' (from -s); stages defined here: dev, prod (did you mean 'prod'?)" -s prdo
	FERRY_STAGE=qa expect_invalid "ferry.yaml:6:1: unknown stage 'qa' (from FERRY_STAGE); stages defined here: dev, prod"
}

@test "unknown provider in the manifest and with -p" {
	manifest <<'YAML'
service: demo
provider: awz
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
YAML
	expect_invalid "ferry.yaml:2:11: unknown provider 'awz'; allowed: local, aws, gcp, azure (did you mean 'aws'?)"
	expect_invalid "ferry.yaml:2:1: unknown provider 'gpc' (from -p); allowed: local, aws, gcp, azure (did you mean 'gcp'?)" -p gpc
}

@test "empty functions map" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
functions: {}
YAML
	expect_invalid "ferry.yaml:3:12: 'functions' is empty; define at least one function, e.g. 'hello: { handler: src/hello.handler }'"
}

@test "binary garbage is not a manifest" {
	printf 'service: demo\n\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR' > ferry.yaml
	expect_invalid "ferry.yaml:2:1: not a text file (invalid UTF-8 byte 0x89); a manifest is UTF-8 YAML"
	printf 'service: demo\nruntime: node\x00js\n' > ferry.yaml
	expect_invalid "ferry.yaml:2:14: not a text file (NUL byte); a manifest is UTF-8 YAML"
}

@test "a billion-laughs alias bomb is refused, not expanded" {
	sample_project
	{
		printf 'service: demo\nruntime: nodejs20\nfunctions:\n  hello:\n    handler: src/hello.handler\ncustom:\n'
		printf '  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n'
		for i in 1 2 3 4 5 6 7 8 9; do
			p=$((i - 1))
			printf '  a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n' \
				$i $i $p $p $p $p $p $p $p $p $p $p
		done
	} > ferry.yaml
	# 10^10 nodes if expanded: a CPU cap far above the real cost (also
	# under ASan) kills ferry, and fails the test, if it ever expands
	( ulimit -t 20
	  expect_invalid "ferry.yaml:13:12: aliases expand to more than 2000000 nodes; reduce the use of anchors and aliases (is this an alias bomb?)" )
}

@test "a 10 MB manifest validates within a bounded amount of work" {
	sample_project
	python3 - <<'PY'
with open("ferry.yaml", "w") as f:
    f.write("service: demo\nruntime: nodejs20\nfunctions:\n  hello:\n"
            "    handler: src/hello.handler\ncustom:\n")
    n, i = 0, 0
    while n < 10 << 20:
        line = ("  key%d: \"lorem ipsum dolor sit amet, consectetur "
                "adipiscing elit, sed do eiusmod %d\"\n" % (i, i))
        if i % 100 == 7:
            line = "  key%d: { ref: \"${self:service}-%d\" }\n" % (i, i)
        f.write(line)
        n += len(line)
        i += 1
PY
	[ "$(stat -c %s ferry.yaml)" -ge 10485760 ]
	# Not a benchmark: a CPU cap far above the real cost (also under ASan)
	# kills ferry, and fails the test, if loading ever goes non-linear.
	( ulimit -t 30; ferry validate > out.txt 2>&1 ) || { cat out.txt; return 1; }
	[ "$(cat out.txt)" = "ferry.yaml: valid (service 'demo', stage 'dev', provider 'local', 1 function)" ]
}

@test "variables of every source are resolved in --print" {
	sample_project
	mkdir config
	printf 'region: eu-west-1\nsizes: [128, 256]\n' > config/app.yml
	printf '{"bucket": "artifacts", "retries": 3}\n' > config/app.json
	git init -q -b main .
	git -c user.name=t -c user.email=t@example.com add -A
	git -c user.name=t -c user.email=t@example.com commit -q -m init
	sha=$(git rev-parse HEAD)
	cat > ferry.yaml <<'YAML'
service: demo
runtime: nodejs20
functions:
  hello:
    handler: src/hello.handler
    env:
      FROM_ENV: ${env:FERRY_BATS_VALUE}
      DEFAULTED: ${env:FERRY_BATS_UNSET, 'fallback, with comma'}
      STAGE: ${stage}-${opt:stage}
      PROVIDER: ${provider}
      SELF: ${self:custom.name}
      YAML_FILE: ${file(config/app.yml):region}
      LIST_ITEM: ${file(config/app.yml):sizes.1}
      JSON_FILE: ${file(config/app.json):bucket}
      SHA: ${git:sha}
      BRANCH: ${git:branch}
      LITERAL: $${not-a-variable}
custom:
  name: shop
  whole: ${file(config/app.json)}
  memory: ${env:FERRY_BATS_UNSET, 512}
YAML
	FERRY_BATS_VALUE=from-env run ferry validate --print
	assert_status 0
	assert_output_contains "      FROM_ENV: from-env"
	assert_output_contains "      DEFAULTED: fallback, with comma"
	assert_output_contains "      STAGE: dev-dev"
	assert_output_contains "      PROVIDER: local"
	assert_output_contains "      SELF: shop"
	assert_output_contains "      YAML_FILE: eu-west-1"
	assert_output_contains "      LIST_ITEM: \"256\""
	assert_output_contains "      JSON_FILE: artifacts"
	assert_output_contains "      BRANCH: main"
	assert_output_contains "      LITERAL: \${not-a-variable}"
	assert_output_contains "    bucket: artifacts"
	assert_output_contains "    retries: 3"
	assert_output_contains "  memory: 512"
	# a hex id may print quoted (it can look like a number): check as data
	FERRY_BATS_VALUE=x run ferry --json validate --print
	assert_status 0
	[ "$(printf '%s' "$output" | python3 -c 'import json,sys; print(json.load(sys.stdin)["functions"]["hello"]["env"]["SHA"])')" = "$sha" ]
}

@test "stage overrides and per-function overrides" {
	manifest <<'YAML'
service: demo
runtime: nodejs20
memory: 256
env: { LOG_LEVEL: info, KEEP: kept }
functions:
  hello:
    handler: src/hello.handler
    timeout: 30
    env: { TABLE: "hello-${stage}" }
  nightly:
    handler: jobs/nightly.run
    runtime: python3.11
    memory: 2048
stages:
  prod:
    memory: 1024
    env: { LOG_LEVEL: warn }
    functions:
      hello:
        timeout: 60
YAML
	run ferry --json validate --print
	assert_status 0
	dev=$output
	run ferry -s prod --json validate --print
	assert_status 0
	prod=$output
	python3 - "$dev" "$prod" <<'PY'
import json, sys
dev, prod = json.loads(sys.argv[1]), json.loads(sys.argv[2])
h, n = dev["functions"]["hello"], dev["functions"]["nightly"]
assert (h["memory"], h["timeout"], n["memory"], n["runtime"]) == (256, 30, 2048, "python3.11"), dev
assert h["env"] == {"KEEP": "kept", "LOG_LEVEL": "info", "TABLE": "hello-dev"}, h
h, n = prod["functions"]["hello"], prod["functions"]["nightly"]
assert (prod["memory"], h["memory"], h["timeout"], n["memory"]) == (1024, 1024, 60, 2048), prod
assert h["env"] == {"KEEP": "kept", "LOG_LEVEL": "warn", "TABLE": "hello-prod"}, h
assert "stages" not in prod
PY
	run ferry -s prod validate
	[ "$output" = "ferry.yaml: valid (service 'demo', stage 'prod', provider 'local', 2 functions)" ]
}

@test "--json output parses; --print YAML reads back as the same data" {
	manifest <<'YAML'
service: demo
provider: aws
runtime: nodejs20
env: { VERSION: 1.10, FLAG: "yes", EMPTY: "", NUM: "007" }
functions:
  hello:
    handler: src/hello.handler
    description: "multi\nline: with # and 'quotes'"
    events:
      - http: get /users/{id}
      - schedule: rate(5 minutes)
  nightly:
    handler: jobs/nightly.run
    runtime: python3.11
custom:
  words: [yes, no, on, off, "true", "null", "~", "12", "1.5", "0x1F", "2024-01-01"]
  numbers: [1, 2.5, -3]
  nothing: null
providers:
  aws: { region: eu-west-1, retries: 3 }
YAML
	run ferry --json validate --print
	assert_status 0
	json=$output
	printf '%s' "$json" | python3 -c 'import json,sys; json.load(sys.stdin)'
	[ "$(printf '%s\n' "$json" | wc -l)" -eq 1 ]
	run ferry validate --print
	assert_status 0
	python3 - "$output" "$json" <<'PY'
import json, sys, yaml
printed, expected = yaml.safe_load(sys.argv[1]), json.loads(sys.argv[2])
assert printed == expected, (printed, expected)
assert expected["functions"]["hello"]["events"][0] == {"http": {"method": "GET", "path": "/users/{id}"}}
assert expected["env"]["VERSION"] == "1.10" and expected["providers"]["aws"]["retries"] == "3"
PY
	run ferry --json validate
	assert_status 0
	printf '%s' "$output" | python3 -c 'import json,sys; d = json.load(sys.stdin); assert d["provider"] == "aws" and d["functions"] == 2, d'
}
