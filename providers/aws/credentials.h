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
 * A profile with role_arn (in either file; the credentials file wins
 * key by key, as botocore merges them) assumes that role, even when it
 * also holds keys. Its source is source_profile (resolved like a profile,
 * except that a source profile with keys uses them even if it has a
 * role_arn too, which is how botocore ends a chain; a profile may name
 * itself as source when it holds keys) or credential_source =
 * Environment (the AWS_* key variables, --profile or not). Options:
 * role_session_name (default "ferry-<unix time>"), external_id,
 * duration_seconds (900 to 43200, default 3600). Resolution stops at the
 * keys the chain starts from and lists the roles still to assume;
 * providers/aws/sts.c assumes them (aws_sts_assume_roles(), when the
 * provider opens). Nothing is cached on disk.
 *
 * Not supported, each refused with FERRY_EAUTH naming profile and key:
 * mfa_serial (needs an interactive code), credential_source =
 * Ec2InstanceMetadata or EcsContainer, web_identity_token_file; nor SSO.
 *
 * No message, log line or trace ever holds a secret value: errors name
 * the variables, files and profile looked at, never what they hold.
 */
#ifndef FERRY_PROVIDER_AWS_CREDENTIALS_H
#define FERRY_PROVIDER_AWS_CREDENTIALS_H

#include <time.h>

#include <ferry/buf.h>
#include <ferry/error.h>

/* One role of an assume-role profile, as STS AssumeRole wants it. */
struct ferry_aws_role {
	char *arn;		/* owned: role_arn */
	char *session_name;	/* owned: role_session_name or the default */
	char *external_id;	/* owned; NULL if none */
	unsigned duration;	/* duration_seconds */
	char *profile;		/* owned: the profile that names the role */
};

struct ferry_aws_roles {
	struct ferry_aws_role *items;
	size_t nr, alloc;
};

struct ferry_aws_creds {
	char *access_key_id;		/* owned */
	char *secret_access_key;	/* owned; secret */
	char *session_token;		/* owned; secret; NULL if none */
	time_t expiration;		/* 0: does not expire */
	char *source;			/* owned: where from, for -v */
	/*
	 * Roles still to assume, in order: items[0] with the keys above,
	 * each next one with the credentials the one before gave. Empty:
	 * the keys above are the credentials to sign with.
	 */
	struct ferry_aws_roles roles;
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

/* Wipe the secrets and free the contents, roles included. Accepts NULL. */
void ferry_aws_creds_release(struct ferry_aws_creds *c);

/*
 * Find credentials (see above). `profile` is the --profile value, or NULL.
 * `out` must be initialised; it is filled only on success, with the roles
 * still to assume in out->roles when the profile assumes one.
 * FERRY_EAUTH when none are found, naming every place looked at and the
 * profile; when a named profile exists in neither file; when only half a
 * key pair is set; when credential_process fails, prints no valid JSON or
 * returns expired credentials; when a source profile has no credentials,
 * credential_source = Environment finds no key variables, or the profile
 * uses what is not supported (above). FERRY_ECONFIG when a file cannot be
 * read or credential_process cannot be split into words; when source
 * profiles form a cycle (the message names it: "a -> b -> a"), a
 * source_profile does not exist, a role profile sets both or neither of
 * source_profile and credential_source, or duration_seconds,
 * role_session_name or credential_source is not a valid value.
 * FERRY_EINTR when cancelled while credential_process runs.
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
 * Parse an ISO 8601 UTC time as AWS writes it ("2024-05-01T12:00:00Z",
 * with an optional fraction and a "+hh:mm" offset instead of "Z") into
 * `*out`. 0, or -1 when `s` is not such a time.
 */
int ferry_aws_time_parse(time_t *out, const char *s);

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
