/*
 * iam.c - the execution role of the stage's functions, on the IAM query
 * API (form-encoded POSTs, XML answers). providers.aws.role names one (a
 * name or an ARN); otherwise ferry uses "<service>-<stage>-ferry" and
 * creates it when missing, trusted by lambda.amazonaws.com and with only
 * the AWS managed AWSLambdaBasicExecutionRole policy (CloudWatch logs).
 * Its description marks it as ferry's, which is what `remove` checks
 * before deleting it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ferry/log.h>

#include "aws.h"

#define IAM_VERSION "2010-05-08"
#define BASIC_POLICY \
	"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
#define TRUST_POLICY \
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\"," \
	"\"Principal\":{\"Service\":\"lambda.amazonaws.com\"}," \
	"\"Action\":\"sts:AssumeRole\"}]}"
#define MARK "Created by ferry for "

/*
 * One IAM action on role `role`; `params` holds further parameters,
 * already encoded ("Name=value&..."), or is NULL.
 */
static int iam_call(struct aws *a, const char *action, const char *role,
		    const char *params, const char *what,
		    struct ferry_http_response *resp, struct ferry_error *err)
{
	struct ferry_buf body = FERRY_BUF_INIT;
	int rc;

	if (aws_query_param(&body, "Action", action) ||
	    aws_query_param(&body, "RoleName", role) ||
	    (params && ferry_buf_addf(&body, "&%s", params)) ||
	    aws_query_param(&body, "Version", IAM_VERSION))
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	else
		rc = aws_query_call(a, FERRY_AWS_IAM, &body, NULL, what, resp,
				    err);
	ferry_buf_release(&body);
	return rc;
}

static char *default_role_name(const struct aws *a)
{
	return ferry_xstrfmt("%s-%s-ferry", a->cfg->service, a->cfg->stage);
}

/* GetRole: 0 with *arn (and *description), FERRY_ENOTFOUND, or an error. */
static int get_role(struct aws *a, const char *name, char **arn,
		    char **description, struct ferry_error *err)
{
	struct ferry_http_response resp;
	char what[200];
	int rc;

	ferry_http_response_init(&resp);
	snprintf(what, sizeof(what), "get role '%s'", name);
	rc = iam_call(a, "GetRole", name, NULL, what, &resp, err);
	if (!rc) {
		*arn = aws_xml_text(&resp, "Arn");
		if (description)
			*description = aws_xml_text(&resp, "Description");
		if (!*arn)
			rc = ferry_error_set(err, FERRY_EFAIL,
					     "aws: %s: no Arn in the answer",
					     what);
	}
	ferry_http_response_release(&resp);
	return rc;
}

/* One call whose answer is not needed. */
static int iam_do(struct aws *a, const char *action, const char *role,
		  const char *params, const char *what,
		  struct ferry_error *err)
{
	struct ferry_http_response resp;
	int rc;

	ferry_http_response_init(&resp);
	rc = iam_call(a, action, role, params, what, &resp, err);
	ferry_http_response_release(&resp);
	return rc;
}

static int create_role(struct aws *a, const char *name, char **arn,
		       struct ferry_error *err)
{
	struct ferry_http_response resp;
	struct ferry_buf params = FERRY_BUF_INIT;
	char what[200], *desc;
	int rc;

	desc = ferry_xstrfmt(MARK "%s/%s; 'ferry remove' deletes it",
			     a->cfg->service, a->cfg->stage);
	if (!desc ||
	    aws_query_param(&params, "AssumeRolePolicyDocument",
			    TRUST_POLICY) ||
	    aws_query_param(&params, "Description", desc)) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	ferry_info("creating the execution role %s", name);
	ferry_http_response_init(&resp);
	snprintf(what, sizeof(what), "create role '%s'", name);
	rc = iam_call(a, "CreateRole", name, params.buf, what, &resp, err);
	if (!rc) {
		*arn = aws_xml_text(&resp, "Arn");
		if (!*arn)
			rc = ferry_error_set(err, FERRY_EFAIL,
					     "aws: %s: no Arn in the answer",
					     what);
	}
	ferry_http_response_release(&resp);
	if (rc)
		goto out;
	ferry_buf_reset(&params);
	snprintf(what, sizeof(what),
		 "attach the basic execution policy to role '%s'", name);
	rc = aws_query_param(&params, "PolicyArn", BASIC_POLICY) ?
		     ferry_error_set(err, FERRY_ENOMEM, "out of memory") :
		     iam_do(a, "AttachRolePolicy", name, params.buf, what, err);
out:
	ferry_buf_release(&params);
	free(desc);
	return rc;
}

int aws_role(struct aws *a, const char **arn, struct ferry_error *err)
{
	struct ferry_error e;
	char *name = NULL, *found = NULL;
	int rc = 0;

	pthread_mutex_lock(&a->role_lock);
	if (a->role_arn)
		goto out;
	if (a->role && !strncmp(a->role, "arn:", 4)) {
		a->role_arn = ferry_strdup(a->role);
		if (!a->role_arn)
			rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	name = a->role ? ferry_strdup(a->role) : default_role_name(a);
	if (!name) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	ferry_error_init(&e);
	rc = get_role(a, name, &found, NULL, &e);
	if (rc == FERRY_ENOTFOUND && !a->role) {
		rc = create_role(a, name, &found, err);
	} else if (rc == FERRY_ENOTFOUND) {
		rc = ferry_error_set(err, FERRY_ECONFIG,
				     "%s: providers.aws.role '%s' does not "
				     "exist (%s)", a->cfg->file, name, e.msg);
	} else if (rc) {
		ferry_error_set(err, rc, "%s", e.msg);
	}
	if (!rc) {
		a->role_arn = found;
		found = NULL;
	}
out:
	if (!rc)
		*arn = a->role_arn;
	pthread_mutex_unlock(&a->role_lock);
	free(name);
	free(found);
	return rc;
}

int aws_role_remove_stage(struct ferry_provider *p, struct ferry_error *err)
{
	struct aws *a = p->data;
	struct ferry_buf params = FERRY_BUF_INIT;
	struct ferry_error e;
	char what[200], *name = NULL, *arn = NULL, *desc = NULL;
	int rc;

	if (a->role)
		return 0; /* the user's role: never ours to delete */
	name = default_role_name(a);
	if (!name)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	ferry_error_init(&e);
	rc = get_role(a, name, &arn, &desc, &e);
	if (rc == FERRY_ENOTFOUND || (!rc && (!desc ||
					      strncmp(desc, MARK,
						      strlen(MARK))))) {
		if (!rc)
			ferry_info("role %s was not created by ferry; kept",
				   name);
		rc = 0;
		goto out;
	}
	if (rc) {
		ferry_error_set(err, rc, "%s", e.msg);
		goto out;
	}
	ferry_info("removing the execution role %s", name);
	snprintf(what, sizeof(what),
		 "detach the basic execution policy from role '%s'", name);
	if (aws_query_param(&params, "PolicyArn", BASIC_POLICY)) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	ferry_error_init(&e);
	rc = iam_do(a, "DetachRolePolicy", name, params.buf, what, &e);
	if (rc && rc != FERRY_ENOTFOUND) {
		ferry_error_set(err, rc, "%s", e.msg);
		goto out;
	}
	snprintf(what, sizeof(what), "delete role '%s'", name);
	rc = iam_do(a, "DeleteRole", name, NULL, what, err);
out:
	ferry_buf_release(&params);
	free(name);
	free(arn);
	free(desc);
	return rc;
}
