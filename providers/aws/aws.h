/*
 * aws.h - internals of the aws provider, shared by its files: the state
 * of one opened provider and one way to call an AWS API (sign, send,
 * retry, turn a failure into a ferry_error). Private to providers/aws/.
 *
 *   aws.c       the ops table, open and close
 *   request.c   aws_call(): SigV4, HTTP, retries, error parsing
 *   s3.c        the object store (put/get/list/del) in the bucket
 *   lambda.c    publish, activate, remove, invoke, endpoint
 *   iam.c       the execution role ferry creates when none is given
 *   sts.c       the roles of a profile that assumes one (AssumeRole)
 *   credentials.c  credentials, region and endpoints (credentials.h)
 */
#ifndef FERRY_PROVIDER_AWS_H
#define FERRY_PROVIDER_AWS_H

#include <pthread.h>
#include <stdint.h>

#include <ferry/buf.h>
#include <ferry/error.h>
#include <ferry/http.h>
#include <ferry/manifest.h>
#include <ferry/provider.h>

#include "credentials.h"

#define AWS_HANDLES_MAX 16

struct aws {
	const struct ferry_config *cfg;	/* borrowed */
	struct ferry_aws_creds creds;
	char *region;				/* owned */
	struct ferry_aws_endpoint ep[4];	/* by enum ferry_aws_service */
	char *bucket;				/* owned */
	char *role;		/* owned; providers.aws.role (name or ARN), or NULL */
	char *role_arn;		/* owned; resolved once by aws_role() */
	pthread_mutex_t role_lock;	/* guards role_arn's resolution */
	unsigned max_attempts;	/* per call, first try included */

	pthread_mutex_t lock;	/* guards the fields below */
	struct ferry_http *idle[AWS_HANDLES_MAX];	/* owned, not in use */
	size_t idle_nr;
	unsigned calls[4];	/* requests sent per service, retries
				 * included */
	unsigned mutating[4];	/* of which not GET or HEAD */
	uint64_t seed;		/* jitter */
};

/* One API call. Every pointer is borrowed for the call. */
struct aws_request {
	enum ferry_aws_service service;
	const char *method;
	/*
	 * The path, already percent-encoded as it goes on the wire ("/",
	 * "/2015-03-31/functions/demo-dev-users/aliases/live").
	 */
	const char *path;
	const char *query;	/* encoded, without '?'; NULL: none */
	/* S3 only: the bucket, addressed path-style or virtual-host style
	 * as the endpoint says; NULL for bucket-less calls. */
	const char *bucket;
	const struct ferry_strvec *headers;	/* extra "Name: value" */
	const void *body;	/* or body_path; neither: empty */
	size_t body_len;
	const char *body_path;
	const char *body_sha256;	/* hex of body_path's content; NULL:
					 * hashed here */
	const char *response_path;	/* 2xx body to this file; NULL: memory */
	/*
	 * Sign with these; NULL: with the provider's, whose roles
	 * aws_call() assumes first (sts.c passes each role's source).
	 */
	const struct ferry_aws_creds *creds;
	/* For messages: "create function 'demo-dev-users'". */
	const char *what;
};

/*
 * Send `r` signed with the provider's credentials (after assuming the
 * roles they name, the first time: aws_sts_assume_roles()) or with
 * r->creds, and return 0 when the
 * answer is 2xx, with the response in `resp` (initialised by the caller).
 * Throttling, 5xx, network errors, ResourceConflictException and
 * "update in progress" answers are retried up to a->max_attempts times
 * with capped exponential backoff and full jitter. Otherwise the error
 * says "aws: WHAT: HTTP STATUS CODE: MESSAGE (request id ID)" and is
 *   FERRY_EAUTH      401/403 (bad or missing permission, bad signature)
 *   FERRY_ENOTFOUND  404
 *   FERRY_ECONFLICT  409 and 412
 *   FERRY_EFAIL      anything else
 * and `resp` still holds the answer, for aws_error_code().
 */
int aws_call(struct aws *a, const struct aws_request *r,
	     struct ferry_http_response *resp, struct ferry_error *err);

/*
 * The API error code of a failed answer ("ResourceNotFoundException",
 * "NoSuchKey", "EntityAlreadyExists"), from the x-amzn-ErrorType header,
 * a JSON body or an XML body, written to `out` ("" when none).
 */
void aws_error_code(const struct ferry_http_response *resp, char *out,
		    size_t len);

/*
 * Query APIs (IAM, STS: form-encoded POST bodies, XML answers).
 * aws_query_param() appends "name=value" to `b`, after a '&' unless `b`
 * is empty, with `value` percent-encoded; 0 or FERRY_ENOMEM.
 * aws_xml_text() returns the text of the first <tag>...</tag> of the
 * answer's body as a new string, entities left as they are; NULL when
 * there is none (or out of memory).
 */
int aws_query_param(struct ferry_buf *b, const char *name, const char *value);
char *aws_xml_text(const struct ferry_http_response *resp, const char *tag);

/*
 * POST the form `params` (built with aws_query_param()) to `service`'s
 * query API through aws_call(), signed with `creds` (NULL: the
 * provider's); `what` names the call in messages.
 */
int aws_query_call(struct aws *a, enum ferry_aws_service service,
		   const struct ferry_buf *params,
		   const struct ferry_aws_creds *creds, const char *what,
		   struct ferry_http_response *resp, struct ferry_error *err);

/* s3.c: the store operations of struct ferry_provider_ops. */
int aws_s3_put(struct ferry_provider *p, const char *key,
	       const struct ferry_blob *data, int if_absent,
	       struct ferry_error *err);
int aws_s3_get(struct ferry_provider *p, const char *key,
	       struct ferry_buf *out, struct ferry_error *err);
int aws_s3_list(struct ferry_provider *p, const char *prefix,
		struct ferry_strvec *out, struct ferry_error *err);
int aws_s3_del(struct ferry_provider *p, const char *key,
	       struct ferry_error *err);
int aws_s3_exists(struct ferry_provider *p, const char *key,
		  struct ferry_error *err);
/* Create the bucket in the region unless it is already ours. */
int aws_s3_ensure_bucket(struct aws *a, struct ferry_error *err);

/* lambda.c */
int aws_lambda_publish(struct ferry_provider *p,
		       const struct ferry_function *fn,
		       const struct ferry_artifact *art,
		       struct ferry_version *out, struct ferry_error *err);
int aws_lambda_activate(struct ferry_provider *p,
			const struct ferry_function *fn,
			const struct ferry_version *v, struct ferry_error *err);
int aws_lambda_remove(struct ferry_provider *p,
		      const struct ferry_function *fn,
		      struct ferry_error *err);
int aws_lambda_invoke(struct ferry_provider *p,
		      const struct ferry_function *fn,
		      const struct ferry_version *v,
		      const struct ferry_buf *event, struct ferry_buf *result,
		      struct ferry_error *err);
int aws_lambda_endpoint(struct ferry_provider *p,
			const struct ferry_function *fn, struct ferry_buf *url,
			struct ferry_error *err);

/*
 * sts.c: assume the roles a->creds still names (credentials.h), each with
 * the credentials the one before gave, and make the last role's
 * credentials a->creds. Once: a no-op when no role is left. aws_open()
 * calls it, and aws_call() again before each request it signs with
 * a->creds (a no-op by then); thread-safe against other calls of it. A refusal by STS (4xx: AccessDenied...) is
 * FERRY_EAUTH; the message names the role and the profile, never a
 * secret. a->creds is unchanged on failure.
 */
int aws_sts_assume_roles(struct aws *a, struct ferry_error *err);

/*
 * iam.c: the ARN of the execution role: providers.aws.role (a name is
 * turned into an ARN through GetRole), or "<service>-<stage>-ferry", which
 * is created with the basic execution policy when it does not exist.
 * Thread-safe; resolved once per provider.
 */
int aws_role(struct aws *a, const char **arn, struct ferry_error *err);
/*
 * remove_stage of the ops: delete the role aws_role() would create, if
 * ferry created it (its description says so); a role named in
 * providers.aws.role is never touched.
 */
int aws_role_remove_stage(struct ferry_provider *p, struct ferry_error *err);

#endif
