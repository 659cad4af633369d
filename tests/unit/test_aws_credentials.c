/*
 * test_aws_credentials.c - providers/aws/credentials.c: the order in which
 * credentials are looked for (environment, --profile, AWS_PROFILE, the
 * credentials and config files), INI details, credential_process (word
 * splitting, JSON, failures), messages that name every place looked at
 * and never a secret, region precedence and endpoint overrides; profiles
 * that assume a role (role_arn with source_profile or credential_source:
 * chains, cycles, what is refused), resolved to the keys a chain starts
 * from and the roles to assume (the STS calls are in test_aws_sts.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "aws/credentials.h"
#include "ferry/buf.h"
#include "ferry/fs.h"

static char tmpdir[] = "/tmp/ferry-awscred-XXXXXX";
static char cred_path[4200], conf_path[4200];

static const char *const aws_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
	"AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_S3",
	"AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS", NULL,
};

static void write_file(const char *path, const char *text, mode_t mode)
{
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(ferry_fs_write_atomic(path, text, strlen(text), mode,
					       0, &err), 0);
}

static int group_setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(cred_path, sizeof(cred_path), "%s/creds", tmpdir);
	snprintf(conf_path, sizeof(conf_path), "%s/conf", tmpdir);
	return 0;
}

static int group_teardown(void **state)
{
	struct ferry_error err;

	(void)state;
	ferry_error_init(&err);
	ferry_fs_remove_tree(tmpdir, &err);
	return 0;
}

/* No AWS variable set, HOME in the temp dir, both files absent. */
static int clean_env(void **state)
{
	const char *const *v;

	(void)state;
	for (v = aws_vars; *v; v++)
		unsetenv(*v);
	setenv("HOME", tmpdir, 1);
	unlink(cred_path);
	unlink(conf_path);
	return 0;
}

static void use_files(const char *creds, const char *conf)
{
	if (creds)
		write_file(cred_path, creds, 0600);
	if (conf)
		write_file(conf_path, conf, 0600);
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred_path, 1);
	setenv("AWS_CONFIG_FILE", conf_path, 1);
}

static const char creds_text[] =
	"# shared credentials\n"
	"[default]\n"
	"aws_access_key_id = AKIDDEFAULT\n"
	"aws_secret_access_key=SECRETDEFAULT\n"
	"\n"
	"; another comment\n"
	"[ dev ]  \n"
	"AWS_Access_Key_Id   =   AKIDDEV \t \n"
	"aws_secret_access_key = SECRETDEV\n"
	"aws_session_token = TOKENDEV\n"
	"s3 =\n"
	"  max_concurrent_requests = 4\n"
	"[profile notthis]\n"
	"aws_access_key_id = AKIDWRONG\n"
	"aws_secret_access_key = SECRETWRONG\n";

static void test_env_first(void **state)
{
	struct ferry_aws_creds c;
	struct ferry_error err;

	(void)state;
	use_files(creds_text, "");
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SECRETENV", 1);
	setenv("AWS_SESSION_TOKEN", "TOKENENV", 1);
	setenv("AWS_PROFILE", "dev", 1);
	ferry_aws_creds_init(&c);
	ferry_error_init(&err);
	assert_int_equal(ferry_aws_creds_resolve(&c, NULL, &err), 0);
	assert_string_equal(c.access_key_id, "AKIDENV");
	assert_string_equal(c.secret_access_key, "SECRETENV");
	assert_string_equal(c.session_token, "TOKENENV");
	assert_string_equal(c.source, "environment variables");
	ferry_aws_creds_release(&c);
	assert_null(c.secret_access_key);

	/* An explicit --profile skips the variables, as the AWS CLI does. */
	assert_int_equal(ferry_aws_creds_resolve(&c, "default", &err), 0);
	assert_string_equal(c.access_key_id, "AKIDDEFAULT");
	assert_string_equal(c.secret_access_key, "SECRETDEFAULT");
	assert_null(c.session_token);
	assert_non_null(strstr(c.source, "profile 'default'"));
	assert_non_null(strstr(c.source, cred_path));
	ferry_aws_creds_release(&c);

	/* Half a pair is an error that names the variables only. */
	unsetenv("AWS_SECRET_ACCESS_KEY");
	assert_int_equal(ferry_aws_creds_resolve(&c, NULL, &err), FERRY_EAUTH);
	assert_string_equal(err.msg, "the environment sets AWS_ACCESS_KEY_ID "
				     "but not AWS_SECRET_ACCESS_KEY");
	assert_null(c.access_key_id);
}

static void test_profiles_from_credentials_file(void **state)
{
	struct ferry_aws_creds c;
	struct ferry_error err;

	(void)state;
	use_files(creds_text, "");
	ferry_aws_creds_init(&c);
	ferry_error_init(&err);
	assert_int_equal(ferry_aws_creds_resolve(&c, NULL, &err), 0);
	assert_string_equal(c.access_key_id, "AKIDDEFAULT");
	ferry_aws_creds_release(&c);

	/* AWS_PROFILE; keys are case-insensitive; blanks trimmed. */
	setenv("AWS_PROFILE", "dev", 1);
	assert_int_equal(ferry_aws_creds_resolve(&c, NULL, &err), 0);
	assert_string_equal(c.access_key_id, "AKIDDEV");
	assert_string_equal(c.secret_access_key, "SECRETDEV");
	assert_string_equal(c.session_token, "TOKENDEV");
	ferry_aws_creds_release(&c);

	/* --profile wins over AWS_PROFILE. */
	assert_int_equal(ferry_aws_creds_resolve(&c, "default", &err), 0);
	assert_string_equal(c.access_key_id, "AKIDDEFAULT");
	ferry_aws_creds_release(&c);

	/* "[profile x]" means nothing special in the credentials file. */
	ferry_error_init(&err);
	assert_int_equal(ferry_aws_creds_resolve(&c, "notthis", &err),
			 FERRY_EAUTH);
	assert_null(strstr(err.msg, "SECRETWRONG"));
}

static void test_default_paths_under_home(void **state)
{
	struct ferry_aws_creds c;
	struct ferry_error err;
	char dir[4200], path[4300];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/.aws", tmpdir);
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_mkdirs(dir, &err), 0);
	snprintf(path, sizeof(path), "%s/credentials", dir);
	write_file(path, "[default]\naws_access_key_id=AKIDHOME\n"
			 "aws_secret_access_key=SECRETHOME\n", 0600);
	ferry_aws_creds_init(&c);
	assert_int_equal(ferry_aws_creds_resolve(&c, NULL, &err), 0);
	assert_string_equal(c.access_key_id, "AKIDHOME");
	ferry_aws_creds_release(&c);
	unlink(path);
}

static void test_config_file_profiles(void **state)
{
	static const char conf[] =
		"[default]\n"
		"region = eu-west-3\n"
		"[ci]\n"
		"aws_access_key_id = AKIDBARE\n"
		"aws_secret_access_key = SECRETBARE\n"
		"[profile  ci ]\n"
		"aws_access_key_id = AKIDCI\n"
		"aws_secret_access_key = SECRETCI\n"
		"region = ap-south-1\n";
	struct ferry_aws_creds c;
	struct ferry_error err;

	(void)state;
	use_files(NULL, conf);
	ferry_aws_creds_init(&c);
	ferry_error_init(&err);
	assert_int_equal(ferry_aws_creds_resolve(&c, "ci", &err), 0);
	assert_string_equal(c.access_key_id, "AKIDCI");
	assert_string_equal(c.secret_access_key, "SECRETCI");
	assert_non_null(strstr(c.source, conf_path));
	ferry_aws_creds_release(&c);

	/* The credentials file wins over the config file. */
	use_files("[ci]\naws_access_key_id = AKIDFILE\n"
		  "aws_secret_access_key = SECRETFILE\n", conf);
	assert_int_equal(ferry_aws_creds_resolve(&c, "ci", &err), 0);
	assert_string_equal(c.access_key_id, "AKIDFILE");
	ferry_aws_creds_release(&c);

	/* A half pair in a file names the profile and key, no value. */
	use_files("[ci]\naws_secret_access_key = SECRETHALF\n", conf);
	assert_int_equal(ferry_aws_creds_resolve(&c, "ci", &err), FERRY_EAUTH);
	assert_non_null(strstr(err.msg, "profile 'ci'"));
	assert_non_null(strstr(err.msg, "aws_access_key_id"));
	assert_null(strstr(err.msg, "SECRETHALF"));
}

static void write_process(const char *name, const char *body)
{
	char path[4300], *text;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	text = ferry_xstrfmt("#!/bin/sh\n%s", body);
	write_file(path, text, 0755);
	free(text);
}

static void test_credential_process(void **state)
{
	struct ferry_aws_creds c;
	struct ferry_error err;
	char conf[9000];

	(void)state;
	/* The script checks it got its two arguments as two words. */
	write_process("cred helper",
		      "[ \"$1\" = 'a b' ] && [ \"$2\" = 'say \"hi\"' ] && "
		      "[ $# -eq 2 ] || exit 3\n"
		      "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", "
		      "\"SecretAccessKey\": \"SECRETPROC\", "
		      "\"SessionToken\": \"TOKENPROC\", "
		      "\"Expiration\": \"2999-01-02T03:04:05Z\"}'\n");
	snprintf(conf, sizeof(conf),
		 "[profile proc]\n"
		 "credential_process = \"%s/cred helper\" 'a b' "
		 "\"say \\\"hi\\\"\"\n",
		 tmpdir);
	use_files(NULL, conf);
	ferry_aws_creds_init(&c);
	ferry_error_init(&err);
	assert_int_equal(ferry_aws_creds_resolve(&c, "proc", &err), 0);
	assert_string_equal(c.access_key_id, "AKIDPROC");
	assert_string_equal(c.secret_access_key, "SECRETPROC");
	assert_string_equal(c.session_token, "TOKENPROC");
	assert_int_equal((long long)c.expiration, 32472241445LL);
	assert_string_equal(c.source, "credential_process of profile 'proc'");
	ferry_aws_creds_release(&c);
}

static void expect_process_error(const char *script, const char *want)
{
	struct ferry_aws_creds c;
	struct ferry_error err;
	char conf[9000];

	write_process("bad", script);
	snprintf(conf, sizeof(conf),
		 "[default]\ncredential_process = %s/bad --token ARGSECRET\n",
		 tmpdir);
	use_files(NULL, conf);
	ferry_aws_creds_init(&c);
	ferry_error_init(&err);
	assert_int_equal(ferry_aws_creds_resolve(&c, NULL, &err), FERRY_EAUTH);
	if (!strstr(err.msg, want))
		fail_msg("'%s' does not contain '%s'", err.msg, want);
	assert_non_null(strstr(err.msg, "credential_process of profile "
					"'default'"));
	assert_null(strstr(err.msg, "SECRET"));
	assert_null(c.access_key_id);
}

static void test_credential_process_failures(void **state)
{
	(void)state;
	expect_process_error("echo boom >&2; exit 2\n",
			     "exited with status 2: boom");
	expect_process_error("echo '{\"Version\": 1, \"AccessKeyId\": "
			     "\"AKIDX\", \"SecretAccessKey\": \"SECRETX\"'\n",
			     "did not print a JSON object");
	expect_process_error("echo 'SECRETRAW'\n",
			     "did not print a JSON object");
	expect_process_error("echo '{\"Version\": 2, \"AccessKeyId\": "
			     "\"AKIDX\", \"SecretAccessKey\": \"SECRETX\"}'\n",
			     "printed no \"Version\": 1");
	expect_process_error("echo '{\"Version\": 1, \"AccessKeyId\": "
			     "\"AKIDX\"}'\n",
			     "printed no \"SecretAccessKey\"");
	expect_process_error("echo '{\"Version\": 1, \"AccessKeyId\": "
			     "\"AKIDX\", \"SecretAccessKey\": \"SECRETX\", "
			     "\"Expiration\": \"2001-01-01T00:00:00+00:00\"}'\n",
			     "expired at 2001-01-01T00:00:00+00:00");
}

static void test_missing_credentials_message(void **state)
{
	struct ferry_aws_creds c;
	struct ferry_error err;
	char want[9000];

	(void)state;
	/* Another profile's secret must not show up. */
	use_files(NULL, "[profile other]\naws_access_key_id = AKIDOTHER\n"
			"aws_secret_access_key = SECRETOTHER\n");
	unlink(cred_path);
	setenv("AWS_PROFILE", "prod", 1);
	ferry_aws_creds_init(&c);
	ferry_error_init(&err);
	assert_int_equal(ferry_aws_creds_resolve(&c, NULL, &err), FERRY_EAUTH);
	snprintf(want, sizeof(want),
		 "no aws credentials for profile 'prod': AWS_ACCESS_KEY_ID "
		 "and AWS_SECRET_ACCESS_KEY are not set, '%s' does not exist, "
		 "'%s' has no profile 'prod'; set the variables or run 'aws "
		 "configure --profile prod'",
		 cred_path, conf_path);
	assert_string_equal(err.msg, want);
	assert_null(strstr(err.msg, "SECRETOTHER"));
	assert_null(strstr(err.msg, "AKIDOTHER"));

	/* A profile that exists without keys says so; default paths. */
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_CONFIG_FILE");
	ferry_error_init(&err);
	assert_int_equal(ferry_aws_creds_resolve(&c, "other", &err),
			 FERRY_EAUTH);
	snprintf(want, sizeof(want), "'%s/.aws/credentials' does not exist",
		 tmpdir);
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, "are not used with --profile"));
	assert_non_null(strstr(err.msg, "/.aws/config"));

	use_files("[nokeys]\nregion = x\n", NULL);
	ferry_error_init(&err);
	assert_int_equal(ferry_aws_creds_resolve(&c, "nokeys", &err),
			 FERRY_EAUTH);
	assert_non_null(strstr(err.msg, "profile 'nokeys' in"));
	assert_non_null(strstr(err.msg, "has no keys"));
}

/* The role `i` of `c` is `arn` of `profile`. */
static void expect_role(const struct ferry_aws_creds *c, size_t i,
			const char *arn, const char *profile)
{
	assert_true(i < c->roles.nr);
	assert_string_equal(c->roles.items[i].arn, arn);
	assert_string_equal(c->roles.items[i].profile, profile);
}

static void test_role_from_source_profile(void **state)
{
	static const char conf[] =
		"[profile deploy]\n"
		"role_arn = arn:aws:iam::123456789012:role/deploy\n"
		"source_profile = base\n"
		"role_session_name = ci-run\n"
		"external_id = ext-42\n"
		"duration_seconds = 1800\n"
		"[profile plain]\n"
		"role_arn = arn:aws:iam::123456789012:role/plain\n"
		"source_profile = base\n"
		"[profile keyed]\n"
		"aws_access_key_id = AKIDKEYED\n"
		"aws_secret_access_key = SECRETKEYED\n"
		"role_arn = arn:aws:iam::123456789012:role/keyed\n"
		"source_profile = base\n";
	static const char creds[] =
		"[base]\n"
		"aws_access_key_id = AKIDBASE\n"
		"aws_secret_access_key = SECRETBASE\n"
		"[plain]\n"
		"role_arn = arn:aws:iam::123456789012:role/fromcreds\n";
	struct ferry_aws_creds c;
	struct ferry_error err;
	time_t before, after;
	long long t;
	char want[9000];

	(void)state;
	use_files(creds, conf);
	ferry_aws_creds_init(&c);
	ferry_error_init(&err);
	assert_int_equal(ferry_aws_creds_resolve(&c, "deploy", &err), 0);
	/* the keys the chain starts from, and the role to assume with them */
	assert_string_equal(c.access_key_id, "AKIDBASE");
	assert_string_equal(c.secret_access_key, "SECRETBASE");
	assert_int_equal(c.roles.nr, 1);
	expect_role(&c, 0, "arn:aws:iam::123456789012:role/deploy", "deploy");
	assert_string_equal(c.roles.items[0].session_name, "ci-run");
	assert_string_equal(c.roles.items[0].external_id, "ext-42");
	assert_int_equal(c.roles.items[0].duration, 1800);
	snprintf(want, sizeof(want),
		 "role 'arn:aws:iam::123456789012:role/deploy' of profile "
		 "'deploy', assumed with profile 'base' in '%s'", cred_path);
	assert_string_equal(c.source, want);
	ferry_aws_creds_release(&c);
	assert_null(c.roles.items);
	assert_int_equal(c.roles.nr, 0);

	/*
	 * Defaults: session "ferry-<unix time>", 3600 s, no external id; a
	 * role_arn in the credentials file wins over the config file's.
	 */
	before = time(NULL);
	assert_int_equal(ferry_aws_creds_resolve(&c, "plain", &err), 0);
	after = time(NULL);
	assert_int_equal(c.roles.nr, 1);
	expect_role(&c, 0, "arn:aws:iam::123456789012:role/fromcreds",
		    "plain");
	assert_int_equal(sscanf(c.roles.items[0].session_name, "ferry-%lld",
				&t), 1);
	assert_true(t >= (long long)before && t <= (long long)after);
	assert_int_equal(c.roles.items[0].duration, 3600);
	assert_null(c.roles.items[0].external_id);
	ferry_aws_creds_release(&c);

	/* A profile with keys and role_arn assumes the role (botocore). */
	assert_int_equal(ferry_aws_creds_resolve(&c, "keyed", &err), 0);
	assert_string_equal(c.access_key_id, "AKIDBASE");
	assert_int_equal(c.roles.nr, 1);
	expect_role(&c, 0, "arn:aws:iam::123456789012:role/keyed", "keyed");
	ferry_aws_creds_release(&c);

	/*
	 * The key variables win over AWS_PROFILE, as with the AWS CLI: no
	 * role. A profile named explicitly (--profile) skips them.
	 */
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SECRETENV", 1);
	setenv("AWS_PROFILE", "deploy", 1);
	assert_int_equal(ferry_aws_creds_resolve(&c, NULL, &err), 0);
	assert_string_equal(c.access_key_id, "AKIDENV");
	assert_int_equal(c.roles.nr, 0);
	ferry_aws_creds_release(&c);
	assert_int_equal(ferry_aws_creds_resolve(&c, "deploy", &err), 0);
	assert_string_equal(c.access_key_id, "AKIDBASE");
	assert_int_equal(c.roles.nr, 1);
	ferry_aws_creds_release(&c);
}

static void test_role_chain(void **state)
{
	static const char conf[] =
		"[profile a]\n"
		"role_arn = arn:aws:iam::111111111111:role/a\n"
		"source_profile = b\n"
		"[profile b]\n"
		"role_arn = arn:aws:iam::222222222222:role/b\n"
		"source_profile = c\n"
		"role_session_name = bee\n"
		"[profile c]\n"
		"aws_access_key_id = AKIDC\n"
		"aws_secret_access_key = SECRETC\n"
		/* keys and a role: as a source, its keys end the chain */
		"[profile d]\n"
		"role_arn = arn:aws:iam::444444444444:role/d\n"
		"source_profile = e\n"
		"[profile e]\n"
		"role_arn = arn:aws:iam::555555555555:role/e\n"
		"source_profile = c\n"
		"aws_access_key_id = AKIDE\n"
		"aws_secret_access_key = SECRETE\n"
		/* a profile may name itself when it holds keys */
		"[profile self]\n"
		"role_arn = arn:aws:iam::666666666666:role/self\n"
		"source_profile = self\n"
		"aws_access_key_id = AKIDSELF\n"
		"aws_secret_access_key = SECRETSELF\n";
	struct ferry_aws_creds c;
	struct ferry_error err;
	char want[9000];

	(void)state;
	use_files(NULL, conf);
	ferry_aws_creds_init(&c);
	ferry_error_init(&err);
	assert_int_equal(ferry_aws_creds_resolve(&c, "a", &err), 0);
	assert_string_equal(c.access_key_id, "AKIDC");
	/* b's role first, with c's keys; then a's, with what b gave */
	assert_int_equal(c.roles.nr, 2);
	expect_role(&c, 0, "arn:aws:iam::222222222222:role/b", "b");
	assert_string_equal(c.roles.items[0].session_name, "bee");
	expect_role(&c, 1, "arn:aws:iam::111111111111:role/a", "a");
	snprintf(want, sizeof(want),
		 "role 'arn:aws:iam::111111111111:role/a' of profile 'a', "
		 "assumed with role 'arn:aws:iam::222222222222:role/b' of "
		 "profile 'b', assumed with profile 'c' in '%s'", conf_path);
	assert_string_equal(c.source, want);
	ferry_aws_creds_release(&c);

	assert_int_equal(ferry_aws_creds_resolve(&c, "d", &err), 0);
	assert_string_equal(c.access_key_id, "AKIDE");
	assert_int_equal(c.roles.nr, 1);
	expect_role(&c, 0, "arn:aws:iam::444444444444:role/d", "d");
	ferry_aws_creds_release(&c);

	assert_int_equal(ferry_aws_creds_resolve(&c, "self", &err), 0);
	assert_string_equal(c.access_key_id, "AKIDSELF");
	assert_int_equal(c.roles.nr, 1);
	expect_role(&c, 0, "arn:aws:iam::666666666666:role/self", "self");
	ferry_aws_creds_release(&c);
}

/* Resolving `profile` of config file `conf` fails with `code` and `want`. */
static void expect_refused(const char *conf, const char *profile, int code,
			   const char *want)
{
	struct ferry_aws_creds c;
	struct ferry_error err;

	use_files("[src]\naws_access_key_id = AKIDSRC\n"
		  "aws_secret_access_key = SECRETSRC\n", conf);
	ferry_aws_creds_init(&c);
	ferry_error_init(&err);
	assert_int_equal(ferry_aws_creds_resolve(&c, profile, &err), code);
	if (strcmp(err.msg, want))
		fail_msg("profile '%s': got '%s', want '%s'", profile, err.msg,
			 want);
	assert_null(strstr(err.msg, "SECRETSRC"));
	assert_null(strstr(err.msg, "AKIDSRC"));
	assert_null(c.access_key_id);
	assert_int_equal(c.roles.nr, 0);
}

static void test_role_cycle(void **state)
{
	static const char conf[] =
		"[profile a]\n"
		"role_arn = arn:aws:iam::123456789012:role/a\n"
		"source_profile = b\n"
		"[profile b]\n"
		"role_arn = arn:aws:iam::123456789012:role/b\n"
		"source_profile = a\n"
		"[profile top]\n"
		"role_arn = arn:aws:iam::123456789012:role/top\n"
		"source_profile = a\n"
		"[profile me]\n"
		"role_arn = arn:aws:iam::123456789012:role/me\n"
		"source_profile = me\n";

	(void)state;
	expect_refused(conf, "a", FERRY_ECONFIG,
		       "source_profile cycle: a -> b -> a");
	/* the message names the cycle, not the way into it */
	expect_refused(conf, "top", FERRY_ECONFIG,
		       "source_profile cycle: a -> b -> a");
	/* naming itself without keys of its own loops too */
	expect_refused(conf, "me", FERRY_ECONFIG,
		       "source_profile cycle: me -> me");
}

static void test_role_credential_source(void **state)
{
	static const char conf[] =
		"[profile envrole]\n"
		"role_arn = arn:aws:iam::123456789012:role/env\n"
		"credential_source = Environment\n"
		"[profile ec2]\n"
		"role_arn = arn:aws:iam::123456789012:role/ec2\n"
		"credential_source = Ec2InstanceMetadata\n"
		"[profile ecs]\n"
		"role_arn = arn:aws:iam::123456789012:role/ecs\n"
		"credential_source = EcsContainer\n"
		"[profile typo]\n"
		"role_arn = arn:aws:iam::123456789012:role/typo\n"
		"credential_source = environment\n"
		"[profile both]\n"
		"role_arn = arn:aws:iam::123456789012:role/both\n"
		"credential_source = Environment\n"
		"source_profile = src\n"
		"[profile neither]\n"
		"role_arn = arn:aws:iam::123456789012:role/neither\n";
	struct ferry_aws_creds c;
	struct ferry_error err;

	(void)state;
	/* the variables are the source, also with an explicit profile */
	use_files(NULL, conf);
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SECRETENV", 1);
	setenv("AWS_SESSION_TOKEN", "TOKENENV", 1);
	ferry_aws_creds_init(&c);
	ferry_error_init(&err);
	assert_int_equal(ferry_aws_creds_resolve(&c, "envrole", &err), 0);
	assert_string_equal(c.access_key_id, "AKIDENV");
	assert_string_equal(c.secret_access_key, "SECRETENV");
	assert_string_equal(c.session_token, "TOKENENV");
	assert_int_equal(c.roles.nr, 1);
	expect_role(&c, 0, "arn:aws:iam::123456789012:role/env", "envrole");
	assert_string_equal(c.source,
			    "role 'arn:aws:iam::123456789012:role/env' of "
			    "profile 'envrole', assumed with environment "
			    "variables (credential_source of profile "
			    "'envrole')");
	ferry_aws_creds_release(&c);

	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	expect_refused(conf, "envrole", FERRY_EAUTH,
		       "profile 'envrole' sets credential_source = "
		       "Environment but AWS_ACCESS_KEY_ID and "
		       "AWS_SECRET_ACCESS_KEY are not set");
	expect_refused(conf, "ec2", FERRY_EAUTH,
		       "profile 'ec2': credential_source = "
		       "Ec2InstanceMetadata is not supported (only "
		       "Environment is)");
	expect_refused(conf, "ecs", FERRY_EAUTH,
		       "profile 'ecs': credential_source = EcsContainer is "
		       "not supported (only Environment is)");
	expect_refused(conf, "typo", FERRY_ECONFIG,
		       "profile 'typo': credential_source 'environment' is "
		       "not Environment, Ec2InstanceMetadata or "
		       "EcsContainer");
	expect_refused(conf, "both", FERRY_ECONFIG,
		       "profile 'both' sets both source_profile and "
		       "credential_source; a role takes one");
	expect_refused(conf, "neither", FERRY_ECONFIG,
		       "profile 'neither' sets role_arn but neither "
		       "source_profile nor credential_source");
}

static void test_role_refused(void **state)
{
	static const char conf[] =
		"[profile mfa]\n"
		"role_arn = arn:aws:iam::123456789012:role/mfa\n"
		"source_profile = src\n"
		"mfa_serial = arn:aws:iam::123456789012:mfa/me\n"
		"[profile web]\n"
		"role_arn = arn:aws:iam::123456789012:role/web\n"
		"web_identity_token_file = /var/run/token\n"
		"[profile gone]\n"
		"role_arn = arn:aws:iam::123456789012:role/gone\n"
		"source_profile = nothere\n"
		"[profile empty]\n"
		"role_arn = arn:aws:iam::123456789012:role/empty\n"
		"source_profile = nokeys\n"
		"[profile nokeys]\n"
		"region = eu-west-1\n";
	char want[9000];

	(void)state;
	expect_refused(conf, "mfa", FERRY_EAUTH,
		       "profile 'mfa': mfa_serial is not supported (assuming "
		       "role 'arn:aws:iam::123456789012:role/mfa' needs an "
		       "interactive MFA code); assume the role outside ferry "
		       "and pass its keys in AWS_ACCESS_KEY_ID, "
		       "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN");
	expect_refused(conf, "web", FERRY_EAUTH,
		       "profile 'web': web_identity_token_file is not "
		       "supported");
	snprintf(want, sizeof(want),
		 "source_profile 'nothere' of profile 'gone' is in neither "
		 "'%s' nor '%s'", cred_path, conf_path);
	expect_refused(conf, "gone", FERRY_ECONFIG, want);
	snprintf(want, sizeof(want),
		 "source_profile 'nokeys' of profile 'empty' has no "
		 "credentials: '%s' has no profile 'nokeys', profile "
		 "'nokeys' in '%s' has no keys; run 'aws configure "
		 "--profile nokeys'", cred_path, conf_path);
	expect_refused(conf, "empty", FERRY_EAUTH, want);
}

static void test_role_bad_values(void **state)
{
	static const struct {
		const char *line;
		const char *want;
	} cases[] = {
		{ "duration_seconds = 899",
		  "profile 'r': duration_seconds must be a number of seconds "
		  "from 900 to 43200, not '899'" },
		{ "duration_seconds = 43201",
		  "profile 'r': duration_seconds must be a number of seconds "
		  "from 900 to 43200, not '43201'" },
		{ "duration_seconds = 1h",
		  "profile 'r': duration_seconds must be a number of seconds "
		  "from 900 to 43200, not '1h'" },
		{ "duration_seconds = -3600",
		  "profile 'r': duration_seconds must be a number of seconds "
		  "from 900 to 43200, not '-3600'" },
		{ "duration_seconds =",
		  "profile 'r': duration_seconds must be a number of seconds "
		  "from 900 to 43200, not ''" },
		{ "role_session_name = x",
		  "profile 'r': role_session_name 'x' must be 2 to 64 "
		  "letters, digits or _+=,.@-" },
		{ "role_session_name = two words",
		  "profile 'r': role_session_name 'two words' must be 2 to 64 "
		  "letters, digits or _+=,.@-" },
	};
	char conf[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(conf, sizeof(conf),
			 "[profile r]\n"
			 "role_arn = arn:aws:iam::123456789012:role/r\n"
			 "source_profile = src\n%s\n", cases[i].line);
		expect_refused(conf, "r", FERRY_ECONFIG, cases[i].want);
	}
}

static void expect_region(const char *explicit_region, const char *profile,
			  const char *want)
{
	struct ferry_error err;
	char *r = NULL;

	ferry_error_init(&err);
	assert_int_equal(ferry_aws_region_resolve(&r, explicit_region, profile,
						  &err), 0);
	assert_string_equal(r, want);
	free(r);
}

static void test_region_precedence(void **state)
{
	struct ferry_error err;
	char *r = NULL;

	(void)state;
	use_files(NULL, "[default]\nregion = eu-west-3\n"
			"[profile ci]\nregion = ap-south-1\n");
	expect_region(NULL, NULL, "eu-west-3");
	expect_region(NULL, "ci", "ap-south-1");
	setenv("AWS_PROFILE", "ci", 1);
	expect_region(NULL, NULL, "ap-south-1");
	setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
	expect_region(NULL, NULL, "us-west-1");
	setenv("AWS_REGION", "us-west-2", 1);
	expect_region(NULL, NULL, "us-west-2");
	expect_region("", NULL, "us-west-2");
	expect_region("eu-central-1", NULL, "eu-central-1");

	ferry_error_init(&err);
	assert_int_equal(ferry_aws_region_resolve(&r, "us-east-1/../x", NULL,
						  &err), FERRY_ECONFIG);
	assert_null(r);

	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	ferry_error_init(&err);
	assert_int_equal(ferry_aws_region_resolve(&r, NULL, "nowhere", &err),
			 FERRY_ECONFIG);
	assert_non_null(strstr(err.msg, "providers.aws.region"));
	assert_non_null(strstr(err.msg, "AWS_REGION"));
	assert_non_null(strstr(err.msg, "AWS_DEFAULT_REGION"));
	assert_non_null(strstr(err.msg, "profile 'nowhere'"));
	assert_non_null(strstr(err.msg, conf_path));
	assert_null(r);
}

static void expect_endpoint(enum ferry_aws_service svc, const char *region,
			    const char *url, const char *signing_region,
			    const char *signing_name, int path_style)
{
	struct ferry_aws_endpoint e;
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(ferry_aws_endpoint_resolve(&e, svc, region, &err), 0);
	assert_string_equal(e.url, url);
	assert_string_equal(e.signing_region, signing_region);
	assert_string_equal(e.signing_name, signing_name);
	assert_int_equal(e.path_style, path_style);
	ferry_aws_endpoint_release(&e);
}

static void test_endpoints(void **state)
{
	struct ferry_aws_endpoint e;
	struct ferry_error err;

	(void)state;
	expect_endpoint(FERRY_AWS_LAMBDA, "eu-west-1",
			"https://lambda.eu-west-1.amazonaws.com", "eu-west-1",
			"lambda", 0);
	expect_endpoint(FERRY_AWS_S3, "eu-west-1",
			"https://s3.eu-west-1.amazonaws.com", "eu-west-1",
			"s3", 0);
	expect_endpoint(FERRY_AWS_IAM, "eu-west-1", "https://iam.amazonaws.com",
			"us-east-1", "iam", 0);
	expect_endpoint(FERRY_AWS_STS, "eu-west-1",
			"https://sts.eu-west-1.amazonaws.com", "eu-west-1",
			"sts", 0);
	expect_endpoint(FERRY_AWS_LAMBDA, "cn-north-1",
			"https://lambda.cn-north-1.amazonaws.com.cn",
			"cn-north-1", "lambda", 0);

	/* One override for all, then one service's own wins. */
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/", 1);
	expect_endpoint(FERRY_AWS_LAMBDA, "eu-west-1", "http://127.0.0.1:5000",
			"eu-west-1", "lambda", 0);
	expect_endpoint(FERRY_AWS_S3, "eu-west-1", "http://127.0.0.1:5000",
			"eu-west-1", "s3", 1);
	expect_endpoint(FERRY_AWS_IAM, "eu-west-1", "http://127.0.0.1:5000",
			"us-east-1", "iam", 0);
	setenv("AWS_ENDPOINT_URL_S3", "http://localhost:9000", 1);
	setenv("AWS_ENDPOINT_URL_IAM", "http://localhost:5001", 1);
	expect_endpoint(FERRY_AWS_S3, "eu-west-1", "http://localhost:9000",
			"eu-west-1", "s3", 1);
	expect_endpoint(FERRY_AWS_IAM, "eu-west-1", "http://localhost:5001",
			"us-east-1", "iam", 0);
	expect_endpoint(FERRY_AWS_STS, "eu-west-1", "http://127.0.0.1:5000",
			"eu-west-1", "sts", 0);

	setenv("AWS_ENDPOINT_URL_LAMBDA", "localhost:5000", 1);
	ferry_error_init(&err);
	assert_int_equal(ferry_aws_endpoint_resolve(&e, FERRY_AWS_LAMBDA,
						    "eu-west-1", &err),
			 FERRY_ECONFIG);
	assert_non_null(strstr(err.msg, "AWS_ENDPOINT_URL_LAMBDA"));
}

static void test_split_command(void **state)
{
	static const struct {
		const char *cmd;
		const char *words; /* joined by '|'; NULL: error */
	} cases[] = {
		{ "aws-vault export --format=json prod",
		  "aws-vault|export|--format=json|prod" },
		{ "  a\t b  ", "a|b" },
		{ "'/opt/my tool/bin' x", "/opt/my tool/bin|x" },
		{ "\"a \\\"q\\\" \\\\ \\$HOME \\n\"", "a \"q\" \\ $HOME \\n" },
		{ "a\\ b c", "a b|c" },
		{ "x '' y", "x||y" },
		{ "pre'mid dle'post", "premid dlepost" },
		{ "$HOME ~ *", "$HOME|~|*" },
		{ "", "" },
		{ "'open", NULL },
		{ "\"open", NULL },
		{ "trailing\\", NULL },
	};
	struct ferry_strvec v = FERRY_STRVEC_INIT;
	struct ferry_buf joined = FERRY_BUF_INIT;
	struct ferry_error err;
	size_t i, j;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		ferry_error_init(&err);
		rc = ferry_aws_split_command(&v, cases[i].cmd, &err);
		if (!cases[i].words) {
			assert_int_equal(rc, FERRY_ECONFIG);
			ferry_strvec_release(&v);
			continue;
		}
		assert_int_equal(rc, 0);
		ferry_buf_reset(&joined);
		for (j = 0; j < v.nr; j++)
			ferry_buf_addf(&joined, "%s%s", j ? "|" : "",
				       v.items[j]);
		if (strcmp(joined.buf, cases[i].words))
			fail_msg("split '%s': got '%s', want '%s'",
				 cases[i].cmd, joined.buf, cases[i].words);
		ferry_strvec_release(&v);
	}
	ferry_buf_release(&joined);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_env_first, clean_env),
		cmocka_unit_test_setup(test_profiles_from_credentials_file,
				       clean_env),
		cmocka_unit_test_setup(test_default_paths_under_home,
				       clean_env),
		cmocka_unit_test_setup(test_config_file_profiles, clean_env),
		cmocka_unit_test_setup(test_credential_process, clean_env),
		cmocka_unit_test_setup(test_credential_process_failures,
				       clean_env),
		cmocka_unit_test_setup(test_missing_credentials_message,
				       clean_env),
		cmocka_unit_test_setup(test_role_from_source_profile,
				       clean_env),
		cmocka_unit_test_setup(test_role_chain, clean_env),
		cmocka_unit_test_setup(test_role_cycle, clean_env),
		cmocka_unit_test_setup(test_role_credential_source, clean_env),
		cmocka_unit_test_setup(test_role_refused, clean_env),
		cmocka_unit_test_setup(test_role_bad_values, clean_env),
		cmocka_unit_test_setup(test_region_precedence, clean_env),
		cmocka_unit_test_setup(test_endpoints, clean_env),
		cmocka_unit_test_setup(test_split_command, clean_env),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
