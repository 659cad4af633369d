/*
 * credentials.h - where the aws provider gets its credentials, region and
 * service endpoints from, the way the AWS CLI and SDKs look for them.
 * Private to providers/aws/.
 *
 * Credentials, first found wins:
 *   1. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN,
 *      unless a profile was given explicitly (--profile), which, as with
 *      the AWS CLI, skips the environment variables;
 *   2. the profile (--profile, else AWS_PROFILE, else "default"):
 *      aws_access_key_id / aws_secret_access_key / aws_session_token in
 *      the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else
 *      ~/.aws/credentials, sections "[NAME]"), then credential_process of
 *      that profile (credentials file, else config file), then the keys in
 *      the config file (AWS_CONFIG_FILE, else ~/.aws/config, sections
 *      "[profile NAME]" and "[default]").
 * credential_process runs through core/proc.c with its command line split
 * into words like a POSIX shell would (quotes, backslashes) but no shell;
 * it must print {"Version": 1, "AccessKeyId", "SecretAccessKey",
 * "SessionToken"?, "Expiration"?}.
 *
 * role_arn/source_profile, SSO, container and instance metadata
 * credentials are not supported.
 *
 * No message, log line or trace ever holds a secret value: errors name
 * the variables, files and profile looked at, never what they hold.
 */
#ifndef FERRY_PROVIDER_AWS_CREDENTIALS_H
#define FERRY_PROVIDER_AWS_CREDENTIALS_H

#include <time.h>

#include <ferry/buf.h>
#include <ferry/error.h>

struct ferry_aws_creds {
	char *access_key_id;		/* owned */
	char *secret_access_key;	/* owned; secret */
	char *session_token;		/* owned; secret; NULL if none */
	time_t expiration;		/* 0: does not expire */
	char *source;			/* owned: where from, for -v */
};

enum ferry_aws_service {
	FERRY_AWS_LAMBDA,
	FERRY_AWS_S3,
	FERRY_AWS_IAM,
	FERRY_AWS_STS,
};

struct ferry_aws_endpoint {
	/* Owned: "https://lambda.eu-west-1.amazonaws.com", no final '/'. */
	char *url;
	char *signing_region;	/* owned; SigV4 region, us-east-1 for IAM */
	const char *signing_name; /* static: "lambda", "s3", "iam", "sts" */
	/* S3: 1 for <url>/<bucket>/<key>, 0 for <bucket>.<host>/<key>. */
	int path_style;
	int overridden;		/* 1: set by an AWS_ENDPOINT_URL* variable */
};

void ferry_aws_creds_init(struct ferry_aws_creds *c);

/* Wipe the secrets and free the contents. Accepts NULL. */
void ferry_aws_creds_release(struct ferry_aws_creds *c);

/*
 * Find credentials (see above). `profile` is the --profile value, or NULL.
 * `out` must be initialised; it is filled only on success.
 * FERRY_EAUTH when none are found, naming every place looked at and the
 * profile; when a named profile exists in neither file; when only half a
 * key pair is set; when credential_process fails, prints no valid JSON or
 * returns expired credentials. FERRY_ECONFIG when a file cannot be read or
 * credential_process cannot be split into words. FERRY_EINTR when
 * cancelled while credential_process runs.
 */
int ferry_aws_creds_resolve(struct ferry_aws_creds *out, const char *profile,
			    struct ferry_error *err);

/*
 * The region: `explicit_region` (providers.aws.region) when not NULL or
 * empty, else AWS_REGION, else AWS_DEFAULT_REGION, else `region` of the
 * profile (as for credentials) in the config file. `*out` is a new string
 * the caller frees. FERRY_ECONFIG when none is set, naming the places
 * looked at, or when the region is not made of [a-z0-9-].
 */
int ferry_aws_region_resolve(char **out, const char *explicit_region,
			     const char *profile, struct ferry_error *err);

/*
 * The endpoint of `service` in `region`: AWS_ENDPOINT_URL_<SERVICE>
 * (LAMBDA, S3, IAM, STS), else AWS_ENDPOINT_URL (both path-style for S3),
 * else the AWS endpoint of the region (IAM: the global endpoint, signed
 * for us-east-1; regions "cn-*" use amazonaws.com.cn). `out` is filled
 * only on success; release it with ferry_aws_endpoint_release().
 * FERRY_ECONFIG when an override is not an http:// or https:// URL.
 */
int ferry_aws_endpoint_resolve(struct ferry_aws_endpoint *out,
			       enum ferry_aws_service service,
			       const char *region, struct ferry_error *err);

/* Free the contents. Accepts NULL. */
void ferry_aws_endpoint_release(struct ferry_aws_endpoint *e);

/*
 * Split `cmd` into words like a POSIX shell (and Python's shlex.split)
 * without expanding anything: blanks separate words, '...' is literal,
 * "..." keeps blanks and honours \\ \" \$ \` and \newline, a backslash
 * outside quotes takes the next character literally. `out` must be
 * initialised; words are appended. FERRY_ECONFIG on an unterminated quote
 * or a trailing backslash (message says which, never `cmd` itself).
 */
int ferry_aws_split_command(struct ferry_strvec *out, const char *cmd,
			    struct ferry_error *err);

#endif
