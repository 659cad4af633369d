/*
 * aws.c - the aws provider: AWS Lambda for functions, an S3 bucket for the
 * store (DESIGN.md sections 5 and 6). This file holds the ops table and
 * open/close: settings, credentials, region and endpoints. The calls
 * themselves are in request.c, s3.c, lambda.c and iam.c.
 *
 * Settings (providers.aws in ferry.yaml):
 *   region   the region (else AWS_REGION, AWS_DEFAULT_REGION, the profile)
 *   bucket   the store's bucket (required)
 *   role     execution role name or ARN; absent: ferry manages
 *            "<service>-<stage>-ferry"
 *   profile  the profile of ~/.aws/credentials and ~/.aws/config (else
 *            AWS_PROFILE, else "default")
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ferry/log.h>

#include "aws.h"

#define DEFAULT_ATTEMPTS 8

static void aws_free(struct aws *a)
{
	size_t i;

	if (!a)
		return;
	/* the figures bench/aws.sh and the tests read */
	ferry_debug("aws: %u requests, %u of them mutating (lambda %u of %u, "
		    "s3 %u of %u, iam %u of %u)",
		    a->calls[0] + a->calls[1] + a->calls[2] + a->calls[3],
		    a->mutating[0] + a->mutating[1] + a->mutating[2] +
			a->mutating[3],
		    a->mutating[FERRY_AWS_LAMBDA], a->calls[FERRY_AWS_LAMBDA],
		    a->mutating[FERRY_AWS_S3], a->calls[FERRY_AWS_S3],
		    a->mutating[FERRY_AWS_IAM], a->calls[FERRY_AWS_IAM]);
	for (i = 0; i < a->idle_nr; i++) {
		ferry_http_release(a->idle[i]);
		free(a->idle[i]);
	}
	for (i = 0; i < sizeof(a->ep) / sizeof(a->ep[0]); i++)
		ferry_aws_endpoint_release(&a->ep[i]);
	ferry_aws_creds_release(&a->creds);
	pthread_mutex_destroy(&a->lock);
	pthread_mutex_destroy(&a->role_lock);
	free(a->region);
	free(a->bucket);
	free(a->role);
	free(a->role_arn);
	free(a);
}

/* S3 bucket names: 3-63 of [a-z0-9.-], starting and ending alphanumeric. */
static int valid_bucket(const char *b)
{
	size_t n = strlen(b), i;

	if (n < 3 || n > 63)
		return 0;
	for (i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') ||
		      (b[i] >= '0' && b[i] <= '9') || b[i] == '.' ||
		      b[i] == '-'))
			return 0;
	return b[0] != '.' && b[0] != '-' && b[n - 1] != '.' &&
	       b[n - 1] != '-';
}

static int aws_open(struct ferry_provider *p, const struct ferry_config *cfg,
		    struct ferry_error *err)
{
	static const enum ferry_aws_service services[] = {
		FERRY_AWS_LAMBDA, FERRY_AWS_S3, FERRY_AWS_IAM, FERRY_AWS_STS
	};
	const char *bucket = ferry_config_setting(cfg, "aws", "bucket");
	const char *role = ferry_config_setting(cfg, "aws", "role");
	const char *profile = ferry_config_setting(cfg, "aws", "profile");
	const char *attempts = getenv("FERRY_AWS_MAX_ATTEMPTS");
	struct aws *a = calloc(1, sizeof(*a));
	size_t i;
	int rc;

	if (!a)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	pthread_mutex_init(&a->lock, NULL);
	pthread_mutex_init(&a->role_lock, NULL);
	ferry_aws_creds_init(&a->creds);
	a->cfg = cfg;
	a->max_attempts = DEFAULT_ATTEMPTS;
	if (attempts && *attempts) {
		char *end;
		unsigned long n = strtoul(attempts, &end, 10);

		if (*end || n < 1 || n > 100) {
			rc = ferry_error_set(err, FERRY_ECONFIG,
					     "FERRY_AWS_MAX_ATTEMPTS must be a "
					     "number from 1 to 100, not '%s'",
					     attempts);
			goto out;
		}
		a->max_attempts = (unsigned)n;
	}
	a->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
		  (uint64_t)(uintptr_t)a;
	if (!bucket || !*bucket) {
		rc = ferry_error_set(err, FERRY_ECONFIG,
				     "%s: providers.aws.bucket is required: "
				     "the S3 bucket that keeps ferry's "
				     "releases and artifacts", cfg->file);
		goto out;
	}
	if (!valid_bucket(bucket)) {
		rc = ferry_error_set(err, FERRY_ECONFIG,
				     "%s: providers.aws.bucket '%s' is not a "
				     "valid S3 bucket name (3-63 characters "
				     "of a-z, 0-9, '.' and '-')", cfg->file,
				     bucket);
		goto out;
	}
	a->bucket = ferry_strdup(bucket);
	a->role = role && *role ? ferry_strdup(role) : NULL;
	if (!a->bucket || (role && *role && !a->role)) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	rc = ferry_aws_region_resolve(&a->region,
				      ferry_config_setting(cfg, "aws",
							   "region"),
				      profile, err);
	if (rc)
		goto out;
	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		rc = ferry_aws_endpoint_resolve(&a->ep[services[i]],
						services[i], a->region, err);
		if (rc)
			goto out;
	}
	rc = ferry_aws_creds_resolve(&a->creds, profile, err);
	if (rc)
		goto out;
	/* a role STS refuses fails the command now, before any packaging */
	rc = aws_sts_assume_roles(a, err);
	if (rc)
		goto out;
	ferry_debug("aws: region %s, bucket %s, credentials from %s",
		    a->region, a->bucket,
		    a->creds.source ? a->creds.source : "?");
	p->data = a;
	a = NULL;
out:
	aws_free(a);
	return rc;
}

static void aws_close(struct ferry_provider *p)
{
	aws_free(p->data);
	p->data = NULL;
}

const struct ferry_provider_ops ferry_provider_aws = {
	.name = "aws",
	.caps = FERRY_CAP_URL | FERRY_CAP_CONCURRENT,
	.open = aws_open,
	.close = aws_close,
	.put = aws_s3_put,
	.get = aws_s3_get,
	.list = aws_s3_list,
	.del = aws_s3_del,
	.exists = aws_s3_exists,
	.publish = aws_lambda_publish,
	.activate = aws_lambda_activate,
	.remove = aws_lambda_remove,
	.invoke = aws_lambda_invoke,
	.endpoint = aws_lambda_endpoint,
	.remove_stage = aws_role_remove_stage,
};
