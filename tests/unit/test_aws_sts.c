/*
 * test_aws_sts.c - providers/aws/sts.c against a real moto_server
 * (tests/unit/moto.h, started and stopped here by PID): a profile that
 * assumes a role gets its credentials from STS AssumeRole as the
 * provider opens, once, signed for the provider's region and with the role's
 * session name, external id and duration; a chain of two roles with
 * moto checking every signature and permission, where only the last
 * role may read the object; refusals (a trust policy that does not
 * allow the caller, a wrong external id) exit with FERRY_EAUTH naming
 * the profile and the role; and the secret and session token STS
 * answers with never reach the -v trace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "ferry/buf.h"
#include "ferry/error.h"
#include "ferry/fs.h"
#include "ferry/log.h"
#include "ferry/provider.h"

#include "aws/aws.h"
#include "moto.h"

extern const struct ferry_provider_ops ferry_provider_aws;

#define BUCKET "ferry-sts"
#define ROLE(name) "arn:aws:iam::123456789012:role/" name

static struct moto moto;
static char tmpdir[] = "/tmp/ferry-awssts-XXXXXX";
static char cred_path[4200], conf_path[4200];

struct fixture {
	struct ferry_config cfg;
	struct ferry_provider p;	/* p.data: the struct aws, or NULL */
	struct ferry_buf log;		/* every ferry_log() message */
};

static void collect(enum ferry_log_level level, const char *msg, void *data)
{
	struct ferry_buf *b = data;

	(void)level;
	ferry_buf_addstr(b, msg);
	ferry_buf_addch(b, '\n');
}

static void write_file(const char *path, const char *text)
{
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(ferry_fs_write_atomic(path, text, strlen(text), 0600,
					       0, &err), 0);
}

static int group_setup(void **state)
{
	char msg[512];

	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(cred_path, sizeof(cred_path), "%s/credentials", tmpdir);
	snprintf(conf_path, sizeof(conf_path), "%s/config", tmpdir);
	if (moto_start(&moto, msg, sizeof(msg))) {
		print_error("%s\n", msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	struct ferry_error err;

	(void)state;
	moto_stop(&moto);
	ferry_error_init(&err);
	ferry_fs_remove_tree(tmpdir, &err);
	return 0;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx || moto_reset(&moto) ||
	    /* signature checks off, until a test turns them on */
	    moto_reset_auth(&moto, 1000000000ul))
		return -1;
	moto_env(&moto, "us-west-2");	/* providers.aws.region wins */
	unsetenv("AWS_ENDPOINT_URL_STS");
	unsetenv("FERRY_AWS_MAX_ATTEMPTS");
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred_path, 1);
	setenv("AWS_CONFIG_FILE", conf_path, 1);
	fx->cfg.file = strdup("ferry.yaml");
	fx->cfg.service = strdup("demo");
	fx->cfg.stage = strdup("dev");
	fx->cfg.provider = strdup("aws");
	ferry_buf_init(&fx->log);
	ferry_log_set(collect, &fx->log);
	*state = fx;
	return 0;
}

static void provider_close(struct fixture *fx)
{
	if (fx->p.data)
		ferry_provider_aws.close(&fx->p);
	fx->p.data = NULL;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	ferry_log_set(NULL, NULL);
	provider_close(fx);
	ferry_buf_release(&fx->log);
	free(fx->cfg.file);
	free(fx->cfg.service);
	free(fx->cfg.stage);
	free(fx->cfg.provider);
	json_decref(fx->cfg.doc);
	free(fx);
	return 0;
}

/* Open the provider with providers.aws.profile `profile`. */
static struct aws *open_profile(struct fixture *fx, const char *profile)
{
	struct ferry_error err;

	provider_close(fx);
	json_decref(fx->cfg.doc);
	fx->cfg.doc = json_pack("{s:{s:{s:s, s:s, s:s}}}", "providers", "aws",
				"bucket", BUCKET, "region", "eu-central-1",
				"profile", profile);
	memset(&fx->p, 0, sizeof(fx->p));
	fx->p.ops = &ferry_provider_aws;
	fx->p.cfg = &fx->cfg;
	ferry_error_init(&err);
	if (ferry_provider_aws.open(&fx->p, &fx->cfg, &err))
		fail_msg("open with profile '%s': %s", profile, err.msg);
	return fx->p.data;
}

/* Open with profile `profile`, which must fail: its code, message in err. */
static int open_fails(struct fixture *fx, const char *profile,
		      struct ferry_error *err)
{
	int rc;

	provider_close(fx);
	json_decref(fx->cfg.doc);
	fx->cfg.doc = json_pack("{s:{s:{s:s, s:s, s:s}}}", "providers", "aws",
				"bucket", BUCKET, "region", "eu-central-1",
				"profile", profile);
	memset(&fx->p, 0, sizeof(fx->p));
	fx->p.ops = &ferry_provider_aws;
	fx->p.cfg = &fx->cfg;
	ferry_error_init(err);
	rc = ferry_provider_aws.open(&fx->p, &fx->cfg, err);
	assert_null(fx->p.data);
	return rc;
}

/* GET s3://BUCKET/<key> through aws_call(); its code, body in `resp`. */
static int get_object(struct aws *a, const char *key,
		      struct ferry_http_response *resp, struct ferry_error *err)
{
	struct aws_request r;
	char path[256];

	snprintf(path, sizeof(path), "/%s", key);
	memset(&r, 0, sizeof(r));
	r.service = FERRY_AWS_S3;
	r.method = "GET";
	r.path = path;
	r.bucket = BUCKET;
	r.what = "get";
	ferry_error_init(err);
	ferry_http_response_release(resp);
	ferry_http_response_init(resp);
	return aws_call(a, &r, resp, err);
}

/* moto's record of the role sessions it handed out (/moto-api/data.json). */
static json_t *assumed_roles(void)
{
	static char body[1 << 20];
	json_t *doc, *list;

	assert_int_equal(moto_http(moto.port, "GET", "/moto-api/data.json",
				   NULL, NULL, body, sizeof(body)), 200);
	doc = json_loads(body, 0, NULL);
	assert_non_null(doc);
	list = json_object_get(json_object_get(doc, "sts"), "AssumedRole");
	list = list ? json_incref(list) : json_array();
	json_decref(doc);
	return list;
}

static const char *field(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void test_assumed_at_open(void **state)
{
	struct fixture *fx = *state;
	struct ferry_http_response resp;
	struct ferry_error err;
	char *secret = NULL, *token = NULL, *key_id = NULL;
	struct aws *a;
	json_t *roles, *r;
	time_t before;

	write_file(cred_path, "[base]\naws_access_key_id = testing\n"
			      "aws_secret_access_key = testing\n");
	write_file(conf_path, "[profile deploy]\n"
			      "role_arn = " ROLE("ferry-unit") "\n"
			      "source_profile = base\n"
			      "role_session_name = unit-run\n"
			      "external_id = ext-7\n"
			      "duration_seconds = 1800\n");
	roles = assumed_roles();
	assert_int_equal(json_array_size(roles), 0);
	json_decref(roles);
	before = time(NULL);
	/* the role is assumed as the provider opens, before any request */
	a = open_profile(fx, "deploy");
	assert_int_equal(a->creds.roles.nr, 0);
	assert_int_equal(strncmp(a->creds.access_key_id, "ASIA", 4), 0);
	assert_non_null(a->creds.session_token);
	assert_true(a->creds.expiration >= before + 1800 - 60 &&
		    a->creds.expiration <= before + 1800 + 60);
	assert_non_null(strstr(a->creds.source,
			       "role '" ROLE("ferry-unit") "' of profile "
			       "'deploy'"));
	assert_int_equal(a->calls[FERRY_AWS_STS], 1);
	/* AssumeRole does not count as a mutating request */
	assert_int_equal(a->mutating[FERRY_AWS_STS], 0);

	/* what moto handed out is what ferry signs with now */
	roles = assumed_roles();
	assert_int_equal(json_array_size(roles), 1);
	r = json_array_get(roles, 0);
	assert_string_equal(field(r, "role_arn"), ROLE("ferry-unit"));
	assert_string_equal(field(r, "session_name"), "unit-run");
	assert_string_equal(field(r, "external_id"), "ext-7");
	/* signed for providers.aws.region, not AWS_REGION */
	assert_string_equal(field(r, "region_name"), "eu-central-1");
	assert_string_equal(field(r, "access_key_id"), a->creds.access_key_id);
	assert_string_equal(field(r, "secret_access_key"),
			    a->creds.secret_access_key);
	assert_string_equal(field(r, "session_token"), a->creds.session_token);
	json_decref(roles);

	/* once: a request asks STS nothing more; the bucket does not
	 * exist, so 404, signed with the role's keys */
	ferry_http_response_init(&resp);
	assert_int_equal(get_object(a, "k", &resp, &err), FERRY_ENOTFOUND);
	assert_int_equal(a->calls[FERRY_AWS_STS], 1);
	assert_int_equal(json_array_size(roles = assumed_roles()), 1);
	json_decref(roles);

	/* -v says what happened, and shows neither secret nor token */
	key_id = strdup(a->creds.access_key_id);
	secret = strdup(a->creds.secret_access_key);
	token = strdup(a->creds.session_token);
	provider_close(fx);
	assert_non_null(strstr(fx->log.buf,
			       "aws: assumed role '" ROLE("ferry-unit") "' "
			       "for profile 'deploy' as session 'unit-run', "
			       "credentials expire at "));
	assert_non_null(strstr(fx->log.buf, "X-Amz-Security-Token: "
					    "<redacted>"));
	assert_null(strstr(fx->log.buf, secret));
	assert_null(strstr(fx->log.buf, token));
	assert_null(strstr(fx->log.buf, key_id));
	free(key_id);
	free(secret);
	free(token);
	ferry_http_response_release(&resp);
}

/*
 * IAM as moto holds it for the signed tests: a user allowed nothing but
 * sts:AssumeRole; role ferry-hop trusting it, allowed nothing but
 * sts:AssumeRole; role ferry-final trusting ferry-hop's session "hop"
 * with external id "ext-7", allowed to read objects; role ferry-locked
 * trusting someone else. The object BUCKET/k holds "hello". Prints the
 * user's key id and secret.
 */
static const char iam_script[] =
	"import boto3, json\n"
	"iam = boto3.client('iam', region_name='us-east-1')\n"
	"def allow(action):\n"
	"    return json.dumps({'Version': '2012-10-17', 'Statement': [\n"
	"        {'Effect': 'Allow', 'Action': action, 'Resource': '*'}]})\n"
	"def trust(principal, cond=None):\n"
	"    st = {'Effect': 'Allow', 'Action': 'sts:AssumeRole',\n"
	"          'Principal': {'AWS': principal}}\n"
	"    if cond:\n"
	"        st['Condition'] = cond\n"
	"    return json.dumps({'Version': '2012-10-17', 'Statement': [st]})\n"
	"iam.create_user(UserName='ferry-unit')\n"
	"iam.put_user_policy(UserName='ferry-unit', PolicyName='p',\n"
	"                    PolicyDocument=allow('sts:AssumeRole'))\n"
	"k = iam.create_access_key(UserName='ferry-unit')['AccessKey']\n"
	"iam.create_role(RoleName='ferry-hop',\n"
	"    AssumeRolePolicyDocument=trust(\n"
	"        'arn:aws:iam::123456789012:user/ferry-unit'))\n"
	"iam.put_role_policy(RoleName='ferry-hop', PolicyName='p',\n"
	"                    PolicyDocument=allow('sts:AssumeRole'))\n"
	"iam.create_role(RoleName='ferry-final',\n"
	"    AssumeRolePolicyDocument=trust(\n"
	"        'arn:aws:sts::123456789012:assumed-role/ferry-hop/hop',\n"
	"        {'StringEquals': {'sts:ExternalId': 'ext-7'}}))\n"
	"iam.put_role_policy(RoleName='ferry-final', PolicyName='p',\n"
	"                    PolicyDocument=allow('s3:GetObject'))\n"
	"iam.create_role(RoleName='ferry-locked',\n"
	"    AssumeRolePolicyDocument=trust(\n"
	"        'arn:aws:iam::123456789012:user/someone-else'))\n"
	"s3 = boto3.client('s3', region_name='eu-central-1')\n"
	"s3.create_bucket(Bucket='" BUCKET "', CreateBucketConfiguration=\n"
	"    {'LocationConstraint': 'eu-central-1'})\n"
	"s3.put_object(Bucket='" BUCKET "', Key='k', Body=b'hello')\n"
	"print(k['AccessKeyId'], k['SecretAccessKey'])\n";

/* The users and roles of iam_script, the profiles, signatures checked. */
static void signed_setup(char *secret, size_t len)
{
	char out[512], key_id[128], text[1024];

	assert_int_equal(moto_python(iam_script, out, sizeof(out)), 0);
	assert_int_equal(sscanf(out, "%127s %127s", key_id, secret), 2);
	assert_true(strlen(secret) < len);
	snprintf(text, sizeof(text), "[base]\naws_access_key_id = %s\n"
		 "aws_secret_access_key = %s\n", key_id, secret);
	write_file(cred_path, text);
	write_file(conf_path, "[profile hop]\n"
			      "role_arn = " ROLE("ferry-hop") "\n"
			      "source_profile = base\n"
			      "role_session_name = hop\n"
			      "[profile final]\n"
			      "role_arn = " ROLE("ferry-final") "\n"
			      "source_profile = hop\n"
			      "external_id = ext-7\n"
			      "[profile wrongext]\n"
			      "role_arn = " ROLE("ferry-final") "\n"
			      "source_profile = hop\n"
			      "external_id = ext-8\n"
			      "[profile locked]\n"
			      "role_arn = " ROLE("ferry-locked") "\n"
			      "source_profile = base\n");
	assert_int_equal(moto_reset_auth(&moto, 0), 0);
}

static void test_chain_signed(void **state)
{
	struct fixture *fx = *state;
	struct ferry_http_response resp;
	struct ferry_error err;
	char secret[128];
	struct aws *a;

	signed_setup(secret, sizeof(secret));
	ferry_http_response_init(&resp);
	/* user -> ferry-hop -> ferry-final, which alone may read k */
	a = open_profile(fx, "final");
	assert_int_equal(a->creds.roles.nr, 0);
	assert_int_equal(a->calls[FERRY_AWS_STS], 2);
	if (get_object(a, "k", &resp, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(resp.body.buf, "hello");
	assert_int_equal(a->calls[FERRY_AWS_STS], 2);

	/* the user's own keys may not: moto does check */
	a = open_profile(fx, "base");
	assert_int_equal(get_object(a, "k", &resp, &err), FERRY_EAUTH);
	assert_non_null(strstr(err.msg, "AccessDenied"));

	/* neither may ferry-hop's */
	a = open_profile(fx, "hop");
	assert_int_equal(get_object(a, "k", &resp, &err), FERRY_EAUTH);
	assert_int_equal(a->calls[FERRY_AWS_STS], 1);
	provider_close(fx);
	assert_null(strstr(fx->log.buf, secret));
	ferry_http_response_release(&resp);
}

static void test_refused(void **state)
{
	struct fixture *fx = *state;
	struct ferry_error err;
	char secret[128];

	signed_setup(secret, sizeof(secret));
	/* a trust policy that does not name the user */
	assert_int_equal(open_fails(fx, "locked", &err), FERRY_EAUTH);
	if (!strstr(err.msg, "aws: assume role '" ROLE("ferry-locked") "' "
			     "for profile 'locked': HTTP 403 AccessDenied"))
		fail_msg("%s", err.msg);
	assert_null(strstr(err.msg, secret));

	/* the second role of a chain refused for its external id: the
	 * first one was assumed */
	assert_int_equal(open_fails(fx, "wrongext", &err), FERRY_EAUTH);
	if (!strstr(err.msg, "aws: assume role '" ROLE("ferry-final") "' "
			     "for profile 'wrongext': HTTP 403 AccessDenied"))
		fail_msg("%s", err.msg);
	assert_null(strstr(err.msg, secret));
	provider_close(fx);
	assert_null(strstr(fx->log.buf, secret));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_assumed_at_open,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_signed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
