#!/usr/bin/env bats
# The aws provider end to end against moto_server (a real AWS emulator that
# this file starts on 127.0.0.1 and stops by PID): deploy two functions,
# check with the emulator's own API that alias `live` points at a version
# whose CodeSha256 is the bundle's, deploy a change, roll back, a no-op
# deploy with no mutating call, invoke, info, remove; signatures checked by
# moto itself; credential errors; a profile that assumes a role (STS
# AssumeRole).

load ../helper
load ../moto

bats_require_minimum_version 1.5.0

setup_file() {
	moto_start
}

teardown_file() {
	moto_stop
}

setup() {
	common_setup
	moto_reset
	# signature checks off again (a test may have turned them on)
	moto_reset_auth 1000000000
	moto_http POST /moto-api/config -H 'Content-Type: application/json' \
		-d '{"lambda":{"use_docker":false}}' >/dev/null
	STATE="$MOTO_PYTHON $FERRY_SOURCE_DIR/tests/e2e/aws_state.py"
}

aws_project() {
	sample_project
	cat >> ferry.yaml <<'YAML'
provider: aws
providers:
  aws:
    bucket: ferry-e2e
    region: eu-west-1
YAML
}

# base64 of the sha256 of a file: Lambda's CodeSha256
code_sha() {
	python3 -c 'import base64, hashlib, sys
print(base64.b64encode(hashlib.sha256(open(sys.argv[1], "rb").read()).digest()).decode())' "$1"
}

@test "deploy, change, rollback and a no-op deploy, checked through moto's own API" {
	aws_project
	run ferry deploy
	assert_status 0
	for fn in hello nightly; do
		v=$($STATE alias "demo-dev-$fn")
		[ -n "$v" ]
		[ "$($STATE code-sha "demo-dev-$fn" "$v")" = "$(code_sha .ferry/build/$fn.zip)" ]
		sha=$(sha256sum .ferry/build/$fn.zip | cut -d' ' -f1)
		[ "$($STATE description "demo-dev-$fn" "$v")" = "ferry release 1, bundle sha256 $sha" ]
		# the artifact is in the bucket, under its sha256
		[ "$($STATE object ferry-e2e "demo/artifacts/$sha.zip")" = present ]
	done
	[ "$($STATE object ferry-e2e demo/dev/releases/1.json)" = present ]
	[ "$($STATE role demo-dev-ferry)" != absent ]
	hello_v1=$($STATE alias demo-dev-hello)
	nightly_v1=$($STATE alias demo-dev-nightly)

	# a change to one function moves only its alias
	sed -i 's/hello v1/hello v2/' src/hello.js
	run ferry deploy
	assert_status 0
	hello_v2=$($STATE alias demo-dev-hello)
	[ "$hello_v2" != "$hello_v1" ]
	[ "$($STATE code-sha demo-dev-hello "$hello_v2")" = "$(code_sha .ferry/build/hello.zip)" ]
	[ "$($STATE alias demo-dev-nightly)" = "$nightly_v1" ]

	# rollback moves the alias back, with no upload and no new version
	versions=$($STATE versions demo-dev-hello)
	run ferry -v rollback
	assert_status 0
	# one mutating Lambda call per function: UpdateAlias
	assert_output_contains "(lambda 2 of "
	[ "$($STATE alias demo-dev-hello)" = "$hello_v1" ]
	[ "$($STATE alias demo-dev-nightly)" = "$nightly_v1" ]
	[ "$($STATE versions demo-dev-hello)" = "$versions" ]
	run ferry releases
	assert_status 0
	assert_output_contains "rollback"
	# tab completion offers the stage's releases from the cache that
	# deploy, rollback and releases keep (no network while completing)
	run ferry __complete -- rollback ''
	assert_status 0
	[ "$(sort -n <<<"$output" | tr '\n' ' ')" = "1 2 3 " ]

	# nothing changed since release 1: a deploy of the same code writes
	# nothing (ferry counts every request it sends)
	sed -i 's/hello v2/hello v1/' src/hello.js
	run --separate-stderr ferry -v deploy
	assert_status 0
	[[ "$stderr" == *"aws: "*" requests, 0 of them mutating"* ]]
	[ "$($STATE versions demo-dev-hello)" = "$versions" ]
}

@test "invoke calls alias live; info prints the Function URL of http functions" {
	aws_project
	run ferry deploy
	assert_status 0
	run --separate-stderr ferry invoke hello --data '{"ping": 1}'
	assert_status 0
	# moto without Docker echoes the event
	[ "$(jq -c . <<<"$output")" = '{"ping":1}' ]
	url=$($STATE url demo-dev-hello)
	[ -n "$url" ]
	run --separate-stderr ferry info
	assert_status 0
	assert_output_contains "$url"
}

@test "remove deletes functions, aliases, URL and the role ferry created; artifacts stay" {
	aws_project
	run ferry deploy
	assert_status 0
	sha=$(sha256sum .ferry/build/hello.zip | cut -d' ' -f1)
	run ferry remove --yes
	assert_status 0
	[ -z "$($STATE functions demo-dev-)" ]
	[ "$($STATE role demo-dev-ferry)" = absent ]
	[ "$($STATE object ferry-e2e "demo/artifacts/$sha.zip")" = present ]
	[ "$($STATE object ferry-e2e demo/dev/live.json)" = absent ]
	# with --purge the artifacts go too
	run ferry deploy
	assert_status 0
	run ferry remove --yes --purge
	assert_status 0
	[ "$($STATE object ferry-e2e "demo/artifacts/$sha.zip")" = absent ]
}

@test "a role named in providers.aws.role is used and never removed" {
	aws_project
	"$MOTO_PYTHON" - <<'PY'
import boto3
boto3.client("iam", region_name="eu-west-1").create_role(
    RoleName="mine", AssumeRolePolicyDocument="{}")
PY
	sed -i 's/    region: eu-west-1/    region: eu-west-1\n    role: mine/' ferry.yaml
	run ferry deploy
	assert_status 0
	[ "$($STATE role demo-dev-ferry)" = absent ]
	run ferry remove --yes
	assert_status 0
	[ "$($STATE role mine)" != absent ]
}

# moto checks SigV4 signatures once told to (moto_reset_auth), but only on
# some requests, and wrongly on others: Lambda GETs and DELETEs always fail,
# and S3 list requests whose prefix holds a '/' fail even from boto3 (moto
# rebuilds the query with the '/' decoded). So: deploy first, then turn the
# checks on and invoke, which reads live.json and the record from S3 (GET,
# checked) and calls Lambda Invoke (POST, checked).
@test "moto checks the signatures: a signed invoke works, a wrong secret exits 4 and is never printed" {
	aws_project
	run ferry deploy
	assert_status 0
	keys=$($STATE make-user)
	moto_reset_auth 0
	export AWS_ACCESS_KEY_ID=${keys% *} AWS_SECRET_ACCESS_KEY=${keys#* }
	run --separate-stderr ferry invoke hello --data '{"signed": true}'
	assert_status 0
	[ "$(jq -c . <<<"$output")" = '{"signed":true}' ]
	export AWS_SECRET_ACCESS_KEY=wrong-secret-value-1234
	run ferry invoke hello --data '{}'
	assert_status 4
	assert_output_contains "SignatureDoesNotMatch"
	refute grep -qF "wrong-secret-value-1234" <<<"$output"
	run ferry -v invoke hello --data '{}'
	assert_status 4
	assert_output_contains "Authorization: AWS4-HMAC-SHA256 <redacted>"
	refute grep -qF "wrong-secret-value-1234" <<<"$output"
}

@test "no credentials: exit 4 naming where ferry looked" {
	aws_project
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	run ferry deploy
	assert_status 4
	assert_output_contains "AWS_ACCESS_KEY_ID"
	assert_output_contains ".aws/credentials"
	run ferry --profile prod releases
	assert_status 4
	assert_output_contains "profile 'prod'"
}

# ~/.aws files (HOME is the test's own) with profile base holding the keys
# "KEY SECRET" of $1 and the role profiles the tests below use.
aws_profiles() {
	mkdir -p "$HOME/.aws"
	printf '[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"${1% *}" "${1#* }" > "$HOME/.aws/credentials"
	cat > "$HOME/.aws/config" <<'INI'
[profile deployer]
role_arn = arn:aws:iam::123456789012:role/ferry-deployer
source_profile = base
role_session_name = e2e-deploy
[profile locked]
role_arn = arn:aws:iam::123456789012:role/ferry-locked
source_profile = base
[profile mfa]
role_arn = arn:aws:iam::123456789012:role/ferry-deployer
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/e2e
INI
}

# The user may only assume roles; role ferry-deployer trusts it and may do
# anything. So with moto checking signatures and permissions, only
# requests signed with the role's session pass. moto tells the secret and
# token of each session it handed out (/moto-api/data.json), but only
# while no Lambda function exists: they are checked on a read first.
@test "a profile that assumes a role deploys with the role's credentials; no secret or session token in the output" {
	aws_project
	keys=$($STATE make-user sts:AssumeRole)
	$STATE make-role ferry-deployer arn:aws:iam::123456789012:user/ferry-e2e '*'
	aws_profiles "$keys"
	run --separate-stderr ferry -v --profile deployer releases
	assert_status 0
	[[ "$stderr" == *"aws: assumed role 'arn:aws:iam::123456789012:role/ferry-deployer' for profile 'deployer' as session 'e2e-deploy', credentials expire at "* ]]
	[[ "$stderr" == *"X-Amz-Security-Token: <redacted>"* ]]
	[ "$($STATE assumed)" = "arn:aws:iam::123456789012:role/ferry-deployer e2e-deploy" ]
	read -r secret token <<<"$($STATE assumed-secrets)"
	[ -n "$secret" ]
	[ -n "$token" ]
	refute grep -qF "$secret" <<<"$output$stderr"
	refute grep -qF "$token" <<<"$output$stderr"
	refute grep -qF "${keys#* }" <<<"$output$stderr"

	run --separate-stderr ferry -v --profile deployer deploy
	assert_status 0
	[[ "$stderr" == *"aws: assumed role 'arn:aws:iam::123456789012:role/ferry-deployer' for profile 'deployer'"* ]]
	[ -n "$($STATE alias demo-dev-hello)" ]
	[ -n "$($STATE alias demo-dev-nightly)" ]
	[[ "$stderr" == *"X-Amz-Security-Token: <redacted>"* ]]
	refute grep -qE 'X-Amz-Security-Token: [^<]|SecretAccessKey|SessionToken' <<<"$output$stderr"
	refute grep -qF "${keys#* }" <<<"$output$stderr"
	# AssumeRole changes nothing: a deploy of the same code is a no-op
	run --separate-stderr ferry -v --profile deployer deploy
	assert_status 0
	[[ "$stderr" == *"aws: "*" requests, 0 of them mutating"* ]]

	# signatures and permissions checked: the role may invoke...
	moto_reset_auth 0
	run --separate-stderr ferry --profile deployer invoke hello --data '{"via": "role"}'
	assert_status 0
	[ "$(jq -c . <<<"$output")" = '{"via":"role"}' ]
	# ...the user's own keys may not
	run ferry --profile base invoke hello --data '{}'
	assert_status 4
	assert_output_contains "AccessDenied"
}

@test "an assume-role profile that STS refuses, or that needs MFA, exits 4 naming the profile and the role" {
	aws_project
	keys=$($STATE make-user sts:AssumeRole)
	$STATE make-role ferry-locked arn:aws:iam::123456789012:user/someone-else '*'
	aws_profiles "$keys"
	moto_reset_auth 0
	run ferry --profile locked deploy
	assert_status 4
	assert_output_contains "assume role 'arn:aws:iam::123456789012:role/ferry-locked' for profile 'locked': HTTP 403 AccessDenied"
	# refused before any bundle was built
	refute grep -q "zipped" <<<"$output"
	refute grep -qF "${keys#* }" <<<"$output"
	run ferry --profile mfa deploy
	assert_status 4
	assert_output_contains "profile 'mfa': mfa_serial is not supported (assuming role 'arn:aws:iam::123456789012:role/ferry-deployer' needs an interactive MFA code)"
}

# kill -9 at points spread over a deploy: the next deploy always succeeds
# and leaves every alias on a version of its current bundle (never half
# live), and the releases stay readable.
@test "a deploy killed at any point is completed by the next one" {
	aws_project
	run ferry deploy
	assert_status 0
	start=$(date +%s%N)
	sed -i 's/hello v1/hello v2/; ' src/hello.js
	echo 'def run(event, context): return {"v": 2}' > jobs/nightly.py
	ferry deploy >/dev/null 2>&1
	took=$(( $(date +%s%N) - start ))
	for i in $(seq 1 10); do
		sed -i "s/hello v[0-9]*/hello v$((i + 10))/" src/hello.js
		echo "def run(event, context): return {\"v\": $((i + 10))}" > jobs/nightly.py
		"$FERRY" deploy >/dev/null 2>&1 &
		pid=$!
		sleep "$(awk -v i="$i" -v d="$took" 'BEGIN { printf "%.4f", d * i / 10 / 1e9 }')"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		run ferry releases
		assert_status 0
		run ferry deploy
		assert_status 0
		[ "$($STATE live-sha demo-dev-hello demo-dev-nightly)" = "$(code_sha .ferry/build/hello.zip; code_sha .ferry/build/nightly.zip)" ]
	done
}

@test "an AWS error stops the deploy with code, message and request id; the previous release keeps serving" {
	aws_project
	run ferry deploy
	assert_status 0
	hello_v1=$($STATE alias demo-dev-hello)
	# a new function that Lambda refuses (a role ARN that is no role),
	# next to a change of hello
	sed -i 's/^provider: aws$/  extra:\n    handler: jobs\/nightly.run\n    runtime: python3.11\nprovider: aws/' ferry.yaml
	sed -i 's/    region: eu-west-1/    region: eu-west-1\n    role: "arn:aws:iam::123456789012:user\/not-a-role"/' ferry.yaml
	sed -i 's/hello v1/hello v2/' src/hello.js
	run ferry deploy
	assert_status 1
	assert_output_contains "ferry: aws: create function 'demo-dev-extra': HTTP 400 "
	assert_output_contains "(request id "
	# release 1 still serves, hello's alias did not move
	[ "$($STATE alias demo-dev-hello)" = "$hello_v1" ]
	run --separate-stderr ferry --json releases
	assert_status 0
	[ "$(jq -s -c '[.[] | select(.live) | .release]' <<<"$output")" = "[1]" ]
	# and the lock was released: the next deploy runs
	sed -i '/not-a-role/d' ferry.yaml
	run ferry deploy
	assert_status 0
	[ "$($STATE alias demo-dev-hello)" != "$hello_v1" ]
}

@test "deploy --force of unchanged code publishes and moves the alias, without updating code or configuration" {
	aws_project
	run ferry deploy
	assert_status 0
	run --separate-stderr ferry -v deploy --force
	assert_status 0
	# per function: PublishVersion and UpdateAlias, nothing else mutating
	[[ "$stderr" == *"(lambda 4 of "* ]]
}
