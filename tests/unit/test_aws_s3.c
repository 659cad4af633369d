/*
 * test_aws_s3.c - the aws provider's object store (providers/aws/s3.c)
 * against a real moto_server that the test starts on a free port and
 * stops at the end: round trips of memory, file and binary bodies,
 * create-if-absent, missing keys and buckets, listing across pages,
 * deletion, the bucket made on first put in the configured region (and
 * refused when another account owns the name),
 * multipart uploads (thresholds lowered through the environment), and
 * signatures checked by moto against IAM keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ferry/buf.h"
#include "ferry/error.h"
#include "ferry/provider.h"

#include "aws/aws.h"
#include "moto.h"

extern const struct ferry_provider_ops ferry_provider_aws;

#define BUCKET "ferry-test"
#define REGION "eu-west-1"

static struct moto moto;

struct fixture {
	struct ferry_config cfg;
	struct ferry_provider p;
	char tmp[64];
};

static int open_provider(struct ferry_provider *p,
			 const struct ferry_config *cfg)
{
	struct ferry_error err;
	int rc;

	ferry_error_init(&err);
	memset(p, 0, sizeof(*p));
	p->ops = &ferry_provider_aws;
	p->cfg = cfg;
	rc = ferry_provider_aws.open(p, cfg, &err);
	if (rc)
		print_error("open: %s\n", err.msg);
	return rc;
}

static int group_setup(void **state)
{
	char msg[512];

	if (moto_start(&moto, msg, sizeof(msg))) {
		print_error("%s\n", msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	moto_stop(&moto);
	return 0;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx || moto_reset(&moto))
		return -1;
	moto_env(&moto, "us-west-2");	/* providers.aws.region wins */
	unsetenv("FERRY_AWS_LIST_PAGE");
	unsetenv("FERRY_AWS_MULTIPART_THRESHOLD");
	unsetenv("FERRY_AWS_MULTIPART_PART_SIZE");
	setenv("FERRY_AWS_MAX_ATTEMPTS", "2", 1);
	fx->cfg.file = strdup("ferry.yaml");
	fx->cfg.service = strdup("demo");
	fx->cfg.stage = strdup("dev");
	fx->cfg.provider = strdup("aws");
	fx->cfg.doc = json_pack("{s:{s:{s:s, s:s}}}", "providers", "aws",
				"bucket", BUCKET, "region", REGION);
	snprintf(fx->tmp, sizeof(fx->tmp), "/tmp/ferry-s3-XXXXXX");
	if (!mkdtemp(fx->tmp) || open_provider(&fx->p, &fx->cfg))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	ferry_provider_aws.close(&fx->p);
	free(fx->cfg.file);
	free(fx->cfg.service);
	free(fx->cfg.stage);
	free(fx->cfg.provider);
	json_decref(fx->cfg.doc);
	snprintf(cmd, sizeof(cmd), "%s/body", fx->tmp);
	unlink(cmd);
	rmdir(fx->tmp);
	free(fx);
	return 0;
}

static int put(struct fixture *fx, const char *key, const void *data,
	       size_t len, int if_absent, struct ferry_error *err)
{
	struct ferry_blob b = {.data = data, .len = len};

	ferry_error_init(err);
	return ferry_provider_aws.put(&fx->p, key, &b, if_absent, err);
}

static void put_ok(struct fixture *fx, const char *key, const char *text)
{
	struct ferry_error err;

	if (put(fx, key, text, strlen(text), 0, &err))
		fail_msg("put '%s': %s", key, err.msg);
}

/* The content of `key`, which must exist. */
static void get_ok(struct fixture *fx, const char *key, struct ferry_buf *out)
{
	struct ferry_error err;

	ferry_error_init(&err);
	ferry_buf_reset(out);
	if (ferry_provider_aws.get(&fx->p, key, out, &err))
		fail_msg("get '%s': %s", key, err.msg);
}

static void list_ok(struct fixture *fx, const char *prefix,
		    struct ferry_strvec *out)
{
	struct ferry_error err;

	ferry_error_init(&err);
	if (ferry_provider_aws.list(&fx->p, prefix, out, &err))
		fail_msg("list '%s': %s", prefix, err.msg);
	ferry_strvec_sort(out);
}

static char *write_file(struct fixture *fx, const void *data, size_t len)
{
	char *path = ferry_xstrfmt("%s/body", fx->tmp);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static unsigned calls(struct fixture *fx)
{
	return ((struct aws *)fx->p.data)->calls[FERRY_AWS_S3];
}

/* ------------------------------------------------------------------ */

static void test_bucket_made_on_first_put(void **state)
{
	struct fixture *fx = *state;
	struct ferry_strvec keys = FERRY_STRVEC_INIT;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_error err;
	char body[4096];

	/* nothing deployed yet: no bucket, and that is no error */
	list_ok(fx, "", &keys);
	assert_int_equal(keys.nr, 0);
	ferry_error_init(&err);
	assert_int_equal(ferry_provider_aws.get(&fx->p, "demo/dev/live.json",
						&out, &err),
			 FERRY_ENOTFOUND);
	assert_int_equal(out.len, 0);
	ferry_error_init(&err);
	assert_int_equal(ferry_provider_aws.del(&fx->p, "demo/dev/live.json",
						&err), 0);

	put_ok(fx, "demo/dev/live.json", "{\"release\": 1}");
	get_ok(fx, "demo/dev/live.json", &out);
	assert_string_equal(out.buf, "{\"release\": 1}");

	/* moto's own view: the bucket exists, in providers.aws.region */
	assert_int_equal(moto_http(moto.port, "GET", "/" BUCKET "?location",
				   NULL, NULL, body, sizeof(body)), 200);
	assert_non_null(strstr(body, REGION));

	/* and making it again is fine: it is ours already */
	ferry_error_init(&err);
	assert_int_equal(aws_s3_ensure_bucket(fx->p.data, &err), 0);
	ferry_buf_release(&out);
	ferry_strvec_release(&keys);
}

static void test_round_trip(void **state)
{
	struct fixture *fx = *state;
	static const char bin[] = "\0\x01\xff\r\n\0zip\0";
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_blob b = {0};
	struct ferry_error err;
	char *path;

	put_ok(fx, "demo/dev/releases/1.json", "{\"number\": 1}");
	get_ok(fx, "demo/dev/releases/1.json", &out);
	assert_string_equal(out.buf, "{\"number\": 1}");

	/* get appends */
	ferry_buf_reset(&out);
	ferry_buf_addstr(&out, ">");
	ferry_error_init(&err);
	assert_int_equal(ferry_provider_aws.get(&fx->p,
						"demo/dev/releases/1.json",
						&out, &err), 0);
	assert_string_equal(out.buf, ">{\"number\": 1}");

	/* binary, NUL bytes included */
	assert_int_equal(put(fx, "bin/x.zip", bin, sizeof(bin), 0, &err), 0);
	get_ok(fx, "bin/x.zip", &out);
	assert_int_equal(out.len, sizeof(bin));
	assert_memory_equal(out.buf, bin, sizeof(bin));

	/* from a file, replacing what was there */
	path = write_file(fx, bin + 1, sizeof(bin) - 1);
	b.path = path;
	ferry_error_init(&err);
	assert_int_equal(ferry_provider_aws.put(&fx->p, "bin/x.zip", &b, 0,
						&err), 0);
	get_ok(fx, "bin/x.zip", &out);
	assert_int_equal(out.len, sizeof(bin) - 1);
	assert_memory_equal(out.buf, bin + 1, sizeof(bin) - 1);

	/* empty, and a key that needs percent-encoding */
	assert_int_equal(put(fx, "odd/a b+c%d&e=f~é.json", "", 0, 0, &err), 0);
	get_ok(fx, "odd/a b+c%d&e=f~é.json", &out);
	assert_int_equal(out.len, 0);

	/* a file that is not there */
	b.path = "/nonexistent/ferry.zip";
	ferry_error_init(&err);
	assert_int_equal(ferry_provider_aws.put(&fx->p, "bin/y.zip", &b, 0,
						&err), FERRY_ENOTFOUND);
	free(path);
	ferry_buf_release(&out);
}

static void test_if_absent(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_error err;

	assert_int_equal(put(fx, "demo/dev/releases/2.json", "first", 5, 1,
			     &err), 0);
	assert_int_equal(put(fx, "demo/dev/releases/2.json", "second", 6, 1,
			     &err), FERRY_EEXIST);
	assert_non_null(strstr(err.msg, "'demo/dev/releases/2.json'"));
	assert_non_null(strstr(err.msg, "already exists"));
	get_ok(fx, "demo/dev/releases/2.json", &out);
	assert_string_equal(out.buf, "first");

	/* without the condition it replaces */
	put_ok(fx, "demo/dev/releases/2.json", "third");
	get_ok(fx, "demo/dev/releases/2.json", &out);
	assert_string_equal(out.buf, "third");
	ferry_buf_release(&out);
}

static void test_get_missing(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_error err;

	put_ok(fx, "demo/dev/live.json", "{}");
	ferry_error_init(&err);
	assert_int_equal(ferry_provider_aws.get(&fx->p,
						"demo/dev/releases/9.json",
						&out, &err), FERRY_ENOTFOUND);
	assert_non_null(strstr(err.msg, "'demo/dev/releases/9.json'"));
	assert_non_null(strstr(err.msg, "NoSuchKey"));
	assert_int_equal(out.len, 0);
	ferry_buf_release(&out);
}

static void test_list_pages(void **state)
{
	static const char *const want[] = {
		"svc/a", "svc/b/c", "svc/b/d", "svc/e", "svc/f&g<h>'\"",
		"svc/sp ace+plus%25", "svc/\xc3\xa9t\xc3\xa9",
	};
	struct fixture *fx = *state;
	struct ferry_strvec keys = FERRY_STRVEC_INIT;
	size_t i, n = sizeof(want) / sizeof(want[0]);
	unsigned before;

	for (i = 0; i < n; i++)
		put_ok(fx, want[i], "x");
	put_ok(fx, "svcx/not-me", "x");
	put_ok(fx, "other/svc/not-me", "x");

	setenv("FERRY_AWS_LIST_PAGE", "2", 1);
	before = calls(fx);
	list_ok(fx, "svc/", &keys);
	/* seven keys, two a page: four requests through continuation */
	assert_int_equal(calls(fx) - before, 4);
	assert_int_equal(keys.nr, n);
	for (i = 0; i < n; i++)
		assert_int_not_equal(ferry_strvec_find(&keys, want[i]), -1);
	ferry_strvec_release(&keys);

	/* everything, and nothing */
	unsetenv("FERRY_AWS_LIST_PAGE");
	list_ok(fx, "", &keys);
	assert_int_equal(keys.nr, n + 2);
	ferry_strvec_release(&keys);
	list_ok(fx, "nope/", &keys);
	assert_int_equal(keys.nr, 0);

	/* a bad knob is a configuration error */
	setenv("FERRY_AWS_LIST_PAGE", "0", 1);
	{
		struct ferry_error err;

		ferry_error_init(&err);
		assert_int_equal(ferry_provider_aws.list(&fx->p, "", &keys,
							 &err),
				 FERRY_ECONFIG);
	}
	ferry_strvec_release(&keys);
}

static void test_del(void **state)
{
	struct fixture *fx = *state;
	struct ferry_strvec keys = FERRY_STRVEC_INIT;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_error err;

	put_ok(fx, "demo/artifacts/a.zip", "a");
	put_ok(fx, "demo/artifacts/b.zip", "b");
	ferry_error_init(&err);
	assert_int_equal(ferry_provider_aws.del(&fx->p, "demo/artifacts/a.zip",
						&err), 0);
	assert_int_equal(ferry_provider_aws.get(&fx->p, "demo/artifacts/a.zip",
						&out, &err), FERRY_ENOTFOUND);
	ferry_error_init(&err);
	assert_int_equal(ferry_provider_aws.del(&fx->p, "demo/artifacts/a.zip",
						&err), 0);
	assert_int_equal(ferry_provider_aws.del(&fx->p, "never/was", &err), 0);
	list_ok(fx, "demo/", &keys);
	assert_int_equal(keys.nr, 1);
	assert_string_equal(keys.items[0], "demo/artifacts/b.zip");
	ferry_strvec_release(&keys);
	ferry_buf_release(&out);
}

static void test_multipart(void **state)
{
	struct fixture *fx = *state;
	const size_t len = 11 * 1024 * 1024 + 123;	/* 5 + 5 + 1 MiB */
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_blob b = {0};
	struct ferry_error err;
	unsigned char *data = malloc(len);
	char body[8192], *path;
	unsigned before;
	size_t i;

	assert_non_null(data);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)((i * 2654435761u) >> 13);
	path = write_file(fx, data, len);
	setenv("FERRY_AWS_MULTIPART_THRESHOLD", "6291456", 1);
	setenv("FERRY_AWS_MULTIPART_PART_SIZE", "5242880", 1);

	/* the first put also makes the bucket (404 on the first request) */
	b.path = path;
	ferry_error_init(&err);
	before = calls(fx);
	if (ferry_provider_aws.put(&fx->p, "demo/artifacts/big.zip", &b, 1,
				   &err))
		fail_msg("put: %s", err.msg);
	/* start (404), create bucket, start, 3 parts, complete */
	assert_int_equal(calls(fx) - before, 7);
	get_ok(fx, "demo/artifacts/big.zip", &out);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.buf, data, len);

	/* create-if-absent holds for multipart, and leaves no upload */
	ferry_error_init(&err);
	assert_int_equal(ferry_provider_aws.put(&fx->p,
						"demo/artifacts/big.zip", &b,
						1, &err), FERRY_EEXIST);
	assert_int_equal(moto_http(moto.port, "GET", "/" BUCKET "?uploads",
				   NULL, NULL, body, sizeof(body)), 200);
	assert_null(strstr(body, "<Upload>"));

	/* from memory too, replacing */
	data[0] ^= 0xff;
	ferry_error_init(&err);
	assert_int_equal(put(fx, "demo/artifacts/big.zip", data, len, 0, &err),
			 0);
	get_ok(fx, "demo/artifacts/big.zip", &out);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.buf, data, len);

	/* below the threshold: one PUT */
	before = calls(fx);
	assert_int_equal(put(fx, "small", data, 6291456, 0, &err), 0);
	assert_int_equal(calls(fx) - before, 1);

	/* parts below S3's minimum are refused before anything is sent */
	setenv("FERRY_AWS_MULTIPART_PART_SIZE", "1024", 1);
	ferry_error_init(&err);
	assert_int_equal(put(fx, "small", data, 10, 0, &err), FERRY_ECONFIG);
	assert_non_null(strstr(err.msg, "FERRY_AWS_MULTIPART_PART_SIZE"));

	free(path);
	free(data);
	ferry_buf_release(&out);
}

static void test_bucket_of_another_account(void **state)
{
	static const char script[] =
		"import boto3, os\n"
		"e = os.environ['AWS_ENDPOINT_URL']\n"
		"sts = boto3.client('sts', endpoint_url=e, region_name='"
		REGION "')\n"
		"c = sts.assume_role("
		"RoleArn='arn:aws:iam::111111111111:role/o',"
		" RoleSessionName='other')['Credentials']\n"
		"boto3.client('s3', endpoint_url=e, region_name='" REGION "',"
		" aws_access_key_id=c['AccessKeyId'],"
		" aws_secret_access_key=c['SecretAccessKey'],"
		" aws_session_token=c['SessionToken']).create_bucket("
		"Bucket='ferry-taken', CreateBucketConfiguration="
		"{'LocationConstraint': '" REGION "'})\n";
	struct fixture *fx = *state;
	struct ferry_config cfg = fx->cfg;
	struct ferry_provider other;
	struct ferry_error err;
	char out[256];

	assert_int_equal(moto_python(script, out, sizeof(out)), 0);
	cfg.doc = json_pack("{s:{s:{s:s, s:s}}}", "providers", "aws",
			    "bucket", "ferry-taken", "region", REGION);
	assert_int_equal(open_provider(&other, &cfg), 0);
	ferry_error_init(&err);
	assert_int_equal(aws_s3_ensure_bucket(other.data, &err), FERRY_EAUTH);
	assert_string_equal(err.msg, "aws: bucket 'ferry-taken' belongs to "
			    "another account; choose another "
			    "providers.aws.bucket");
	ferry_provider_aws.close(&other);
	json_decref(cfg.doc);
}

/* Last: it turns moto's signature checks on for good. */
static void test_signatures(void **state)
{
	static const char script[] =
		"import boto3, json, os\n"
		"iam = boto3.client('iam', endpoint_url=os.environ["
		"'AWS_ENDPOINT_URL'], region_name='us-east-1',"
		" aws_access_key_id='testing',"
		" aws_secret_access_key='testing')\n"
		"iam.create_user(UserName='ferry')\n"
		"k = iam.create_access_key(UserName='ferry')['AccessKey']\n"
		"iam.put_user_policy(UserName='ferry', PolicyName='all', "
		"PolicyDocument=json.dumps({'Version': '2012-10-17', "
		"'Statement': [{'Effect': 'Allow', 'Action': '*', "
		"'Resource': '*'}]}))\n"
		"print(k['AccessKeyId'], k['SecretAccessKey'])\n";
	static const char wrong[] = "wRoNgSeCrEtKeY0123456789abcdefghijklmnop";
	struct fixture *fx = *state;
	struct ferry_provider good, bad;
	struct ferry_strvec none = FERRY_STRVEC_INIT;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_blob blob = {.data = "signed", .len = 6};
	struct ferry_error err;
	char keys[512], id[128], secret[128];

	/* three free calls: the user, its key and its policy */
	assert_int_equal(moto_reset_auth(&moto, 3), 0);
	assert_int_equal(moto_python(script, keys, sizeof(keys)), 0);
	assert_int_equal(sscanf(keys, "%127s %127s", id, secret), 2);

	setenv("AWS_ACCESS_KEY_ID", id, 1);
	setenv("AWS_SECRET_ACCESS_KEY", secret, 1);
	assert_int_equal(open_provider(&good, &fx->cfg), 0);
	ferry_error_init(&err);
	if (ferry_provider_aws.put(&good, "demo/dev/live.json", &blob, 0,
				   &err))
		fail_msg("signed put: %s", err.msg);
	ferry_error_init(&err);
	assert_int_equal(ferry_provider_aws.get(&good, "demo/dev/live.json",
						&out, &err), 0);
	assert_string_equal(out.buf, "signed");

	setenv("AWS_SECRET_ACCESS_KEY", wrong, 1);
	assert_int_equal(open_provider(&bad, &fx->cfg), 0);
	ferry_error_init(&err);
	assert_int_equal(ferry_provider_aws.put(&bad, "demo/dev/live.json",
						&blob, 0, &err), FERRY_EAUTH);
	assert_non_null(strstr(err.msg, "SignatureDoesNotMatch"));
	assert_null(strstr(err.msg, wrong));
	assert_null(strstr(err.msg, secret));
	ferry_error_init(&err);
	assert_int_equal(ferry_provider_aws.list(&bad, "", &none, &err),
			 FERRY_EAUTH);
	assert_int_equal(none.nr, 0);

	ferry_provider_aws.close(&good);
	ferry_provider_aws.close(&bad);
	ferry_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bucket_made_on_first_put,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_if_absent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_get_missing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_list_pages, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multipart, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bucket_of_another_account,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_signatures, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
