/*
 * sts.c - the roles of a profile that assumes one (credentials.h lists
 * them), assumed with STS AssumeRole on the query API: a form-encoded POST
 * signed for service "sts" in the provider's region, sent to the STS
 * endpoint of that region (or AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL)
 * through aws_call(), so that retries, error messages and the redacted
 * -v trace are those of every other call. Like botocore's deferred
 * credentials, the roles are assumed on the first request that needs
 * credentials, once per provider.
 *
 * It does not cache credentials on disk, refresh them before they expire
 * (duration_seconds bounds one run), or send an MFA code.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ferry/log.h>

#include "aws.h"

#define STS_VERSION "2011-06-15"

/*
 * Guards the roles and keys of every provider's credentials while they
 * are assumed. One lock for all: assuming happens once per provider.
 */
static pthread_mutex_t assume_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * AssumeRole of `role` signed with `with`; the credentials it gives go to
 * `out` (initialised), without roles or source.
 */
static int assume_role(struct aws *a, const struct ferry_aws_creds *with,
		       const struct ferry_aws_role *role,
		       struct ferry_aws_creds *out, struct ferry_error *err)
{
	struct ferry_buf body = FERRY_BUF_INIT;
	struct ferry_http_response resp;
	struct ferry_aws_creds c;
	struct ferry_error e;
	char duration[16], *what = NULL, *expiration = NULL;
	int rc;

	ferry_http_response_init(&resp);
	ferry_aws_creds_init(&c);
	ferry_error_init(&e);
	snprintf(duration, sizeof(duration), "%u", role->duration);
	what = ferry_xstrfmt("assume role '%s' for profile '%s'", role->arn,
			     role->profile);
	if (!what || aws_query_param(&body, "Action", "AssumeRole") ||
	    aws_query_param(&body, "Version", STS_VERSION) ||
	    aws_query_param(&body, "RoleArn", role->arn) ||
	    aws_query_param(&body, "RoleSessionName", role->session_name) ||
	    aws_query_param(&body, "DurationSeconds", duration) ||
	    (role->external_id &&
	     aws_query_param(&body, "ExternalId", role->external_id))) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	rc = aws_query_call(a, FERRY_AWS_STS, &body, with, what, &resp, &e);
	if (rc) {
		/*
		 * Whatever STS refuses (AccessDenied, ExpiredToken,
		 * InvalidClientTokenId, a DurationSeconds over the role's
		 * maximum...) leaves ferry without credentials: exit 4.
		 * Network errors and 5xx keep their kind.
		 */
		if (resp.status >= 400 && resp.status < 500)
			rc = FERRY_EAUTH;
		rc = ferry_error_set(err, rc, "%s", e.msg);
		goto out;
	}
	c.access_key_id = aws_xml_text(&resp, "AccessKeyId");
	c.secret_access_key = aws_xml_text(&resp, "SecretAccessKey");
	c.session_token = aws_xml_text(&resp, "SessionToken");
	expiration = aws_xml_text(&resp, "Expiration");
	if (!c.access_key_id || !*c.access_key_id || !c.secret_access_key ||
	    !*c.secret_access_key || !c.session_token || !*c.session_token) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "aws: %s: no credentials in the answer",
				     what);
		goto out;
	}
	if (expiration && ferry_aws_time_parse(&c.expiration, expiration)) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "aws: %s: the answer's Expiration is not "
				     "an ISO 8601 time", what);
		goto out;
	}
	ferry_debug("aws: assumed role '%s' for profile '%s' as session "
		    "'%s'%s%s", role->arn, role->profile, role->session_name,
		    expiration ? ", credentials expire at " : "",
		    expiration ? expiration : "");
	*out = c;
	ferry_aws_creds_init(&c);
out:
	/* the answer holds the new secret and session token */
	if (resp.body.alloc)
		explicit_bzero(resp.body.buf, resp.body.alloc);
	ferry_http_response_release(&resp);
	ferry_aws_creds_release(&c);
	ferry_buf_release(&body);
	free(what);
	free(expiration);
	return rc;
}

int aws_sts_assume_roles(struct aws *a, struct ferry_error *err)
{
	struct ferry_aws_creds cur, next;
	const struct ferry_aws_creds *with = &a->creds;
	size_t i;
	int rc = 0;

	ferry_aws_creds_init(&cur);
	pthread_mutex_lock(&assume_lock);
	for (i = 0; i < a->creds.roles.nr; i++) {
		ferry_aws_creds_init(&next);
		rc = assume_role(a, with, &a->creds.roles.items[i], &next,
				 err);
		if (rc)
			goto out;
		ferry_aws_creds_release(&cur);
		cur = next;
		with = &cur;
	}
	if (a->creds.roles.nr) {
		/* keep where they came from; drop the roles and old keys */
		cur.source = a->creds.source;
		a->creds.source = NULL;
		ferry_aws_creds_release(&a->creds);
		a->creds = cur;
		ferry_aws_creds_init(&cur);
	}
out:
	pthread_mutex_unlock(&assume_lock);
	ferry_aws_creds_release(&cur);
	return rc;
}
