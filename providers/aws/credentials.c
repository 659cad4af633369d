/*
 * credentials.c - AWS credentials, region and endpoints from the
 * environment, the shared credentials and config files and
 * credential_process (see credentials.h for the order). It reads INI files
 * itself: sections, "key = value", whole-line '#' and ';' comments; lines
 * that start with a blank continue a nested value and are skipped, as
 * Python's configparser (the AWS CLI's reader) would fold them away.
 *
 * It does not sign requests (core/sigv4.c), assume roles, fetch SSO or
 * instance-metadata credentials, or refresh credentials that expire.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ferry/buf.h>
#include <ferry/fs.h>
#include <ferry/json.h>
#include <ferry/proc.h>

#include "aws/credentials.h"

#define INI_MAX (1u << 20)
#define PROCESS_OUTPUT_MAX (1u << 20)
#define PROCESS_TIMEOUT_MS 120000u

/* What one file says about one profile. */
struct profile {
	char *key_id;		/* owned */
	char *secret;		/* owned; secret */
	char *token;		/* owned; secret */
	char *region;		/* owned */
	char *process;		/* owned */
	int missing;		/* the file does not exist */
	int found;		/* the file has the profile's section */
};

static int oom(struct ferry_error *err)
{
	return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
}

static void wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void profile_release(struct profile *p)
{
	free(p->key_id);
	wipe_free(p->secret);
	wipe_free(p->token);
	free(p->region);
	wipe_free(p->process);
	memset(p, 0, sizeof(*p));
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* The file named by `var` ("~/" expanded), else ~/<rel>. Owned. */
static char *file_path(const char *var, const char *rel)
{
	const char *v = env(var), *home = env("HOME");

	if (v && v[0] == '~' && v[1] == '/' && home)
		return ferry_xstrfmt("%s%s", home, v + 1);
	if (v)
		return ferry_strdup(v);
	if (home)
		return ferry_xstrfmt("%s/%s", home, rel);
	return ferry_xstrfmt("~/%s", rel);
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t' || **s == '\r'))
		(*s)++;
	while (*e > *s && (e[0][-1] == ' ' || e[0][-1] == '\t' ||
			   e[0][-1] == '\r'))
		(*e)--;
}

static int span_is(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(e - s) == n && !strncmp(s, word, n);
}

/*
 * Whether section text [s, e) is the profile `name`: "[NAME]" in the
 * credentials file; "[profile NAME]" or "[default]" in the config file.
 */
static int section_matches(const char *s, const char *e, const char *name,
			   int config)
{
	if (!config)
		return span_is(s, e, name);
	if (span_is(s, e, "default"))
		return !strcmp(name, "default");
	if (e - s > 7 && !strncmp(s, "profile", 7) &&
	    (s[7] == ' ' || s[7] == '\t')) {
		s += 7;
		trim(&s, &e);
		return span_is(s, e, name);
	}
	return 0;
}

static int set_value(char **slot, const char *s, const char *e)
{
	char *v = malloc((size_t)(e - s) + 1);

	if (!v)
		return -1;
	memcpy(v, s, (size_t)(e - s));
	v[e - s] = '\0';
	wipe_free(*slot);
	*slot = v;
	return 0;
}

static int keep_key(struct profile *p, const char *k, const char *ke,
		    const char *v, const char *ve)
{
	static const struct {
		const char *name;
		size_t off;
	} keys[] = {
		{ "aws_access_key_id", offsetof(struct profile, key_id) },
		{ "aws_secret_access_key", offsetof(struct profile, secret) },
		{ "aws_session_token", offsetof(struct profile, token) },
		{ "aws_security_token", offsetof(struct profile, token) },
		{ "region", offsetof(struct profile, region) },
		{ "credential_process", offsetof(struct profile, process) },
	};
	size_t i, n = (size_t)(ke - k);

	/* configparser lowercases keys. */
	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (strlen(keys[i].name) == n &&
		    !strncasecmp(k, keys[i].name, n))
			return set_value((char **)((char *)p + keys[i].off), v,
					 ve);
	return 0;
}

/* Read what `path` says about profile `name` into `p`. */
static int ini_load(struct profile *p, const char *path, const char *name,
		    int config, struct ferry_error *err)
{
	struct ferry_buf text = FERRY_BUF_INIT;
	struct ferry_error ferr;
	const char *line, *end, *nl, *s, *e, *eq;
	int in_section = 0, rc;

	ferry_error_init(&ferr);
	rc = ferry_fs_read(&text, path, INI_MAX, &ferr);
	if (rc == FERRY_ENOTFOUND) {
		p->missing = 1;
		rc = 0;
		goto out;
	}
	if (rc) {
		if (rc != FERRY_ENOMEM)
			rc = FERRY_ECONFIG;
		rc = ferry_error_set(err, rc, "%s", ferr.msg);
		goto out;
	}
	end = text.buf + text.len;
	for (line = text.buf; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		/* A nested value ("s3 =" then indented keys) is skipped. */
		if (*line == ' ' || *line == '\t')
			continue;
		s = line;
		e = nl;
		trim(&s, &e);
		if (s == e || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			in_section = 0;
			if (e[-1] != ']')
				continue;
			s++;
			e--;
			trim(&s, &e);
			in_section = section_matches(s, e, name, config);
			p->found |= in_section;
			continue;
		}
		eq = memchr(s, '=', (size_t)(e - s));
		if (!in_section || !eq)
			continue;
		{
			const char *k = s, *ke = eq, *v = eq + 1, *ve = e;

			trim(&k, &ke);
			trim(&v, &ve);
			if (keep_key(p, k, ke, v, ve)) {
				rc = oom(err);
				goto out;
			}
		}
	}
out:
	if (text.alloc)
		explicit_bzero(text.buf, text.alloc);
	ferry_buf_release(&text);
	return rc;
}

int ferry_aws_split_command(struct ferry_strvec *out, const char *cmd,
			    struct ferry_error *err)
{
	struct ferry_buf w = FERRY_BUF_INIT;
	const char *p = cmd;
	int in_word = 0, rc = 0;
	char c;

	while (*p && !rc) {
		c = *p;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (in_word && ferry_strvec_push(out, w.buf))
				rc = oom(err);
			ferry_buf_reset(&w);
			in_word = 0;
			p++;
			continue;
		}
		in_word = 1;
		if (c == '\'') {
			for (p++; *p && *p != '\''; p++)
				if (ferry_buf_addch(&w, *p))
					rc = oom(err);
			if (!*p) {
				rc = ferry_error_set(err, FERRY_ECONFIG,
						     "unterminated single quote");
				break;
			}
			p++;
		} else if (c == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1] &&
				    strchr("\\\"$`\n", p[1])) {
					p++;
					if (*p == '\n')
						continue;
				}
				if (ferry_buf_addch(&w, *p))
					rc = oom(err);
			}
			if (!*p) {
				rc = ferry_error_set(err, FERRY_ECONFIG,
						     "unterminated double quote");
				break;
			}
			p++;
		} else if (c == '\\') {
			if (!p[1]) {
				rc = ferry_error_set(err, FERRY_ECONFIG,
						     "backslash at the end");
				break;
			}
			if (ferry_buf_addch(&w, p[1]))
				rc = oom(err);
			p += 2;
		} else {
			if (ferry_buf_addch(&w, c))
				rc = oom(err);
			p++;
		}
	}
	if (!rc && in_word && ferry_strvec_push(out, w.buf))
		rc = oom(err);
	if (w.alloc)
		explicit_bzero(w.buf, w.alloc);
	ferry_buf_release(&w);
	return rc;
}

/* "2024-05-01T12:00:00Z", with optional fraction and "+hh:mm" offset. */
static int parse_time(time_t *out, const char *s)
{
	struct tm tm = { 0 };
	int n = 0, oh = 0, om = 0, sign = 0;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    !n)
		return -1;
	s += n;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s == '+' ? 1 : -1;
		if (sscanf(s + 1, "%2d:%2d%n", &oh, &om, &n) != 2)
			return -1;
		s += 1 + n;
	} else {
		return -1;
	}
	if (*s)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

static int json_field(char **out, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !json_string_length(v))
		return -1;
	*out = ferry_strdup(json_string_value(v));
	return *out ? 0 : -2;
}

/* Fill `out` from the JSON a credential_process printed. */
static int process_json(struct ferry_aws_creds *out, const char *what,
			const struct ferry_buf *text, struct ferry_error *err)
{
	struct ferry_aws_creds c;
	json_error_t jerr;
	json_t *root, *ver;
	char *expiration = NULL;
	int rc = 0;

	ferry_aws_creds_init(&c);
	/* jansson's error text quotes the input: say only where. */
	root = json_loadb(text->buf, text->len, 0, &jerr);
	if (!root || !json_is_object(root)) {
		rc = ferry_error_set(err, FERRY_EAUTH,
				     "%s did not print a JSON object (line %d)",
				     what, root ? 1 : jerr.line);
		goto out;
	}
	ver = json_object_get(root, "Version");
	if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
		rc = ferry_error_set(err, FERRY_EAUTH,
				     "%s printed no \"Version\": 1", what);
		goto out;
	}
	if (json_field(&c.access_key_id, root, "AccessKeyId") ||
	    !c.access_key_id) {
		rc = ferry_error_set(err, FERRY_EAUTH,
				     "%s printed no \"AccessKeyId\"", what);
		goto out;
	}
	if (json_field(&c.secret_access_key, root, "SecretAccessKey") ||
	    !c.secret_access_key) {
		rc = ferry_error_set(err, FERRY_EAUTH,
				     "%s printed no \"SecretAccessKey\"", what);
		goto out;
	}
	if (json_field(&c.session_token, root, "SessionToken")) {
		rc = ferry_error_set(err, FERRY_EAUTH,
				     "%s printed a \"SessionToken\" that is not a string",
				     what);
		goto out;
	}
	if (json_field(&expiration, root, "Expiration") ||
	    (expiration && parse_time(&c.expiration, expiration))) {
		rc = ferry_error_set(err, FERRY_EAUTH,
				     "%s printed an \"Expiration\" that is not an ISO 8601 time",
				     what);
		goto out;
	}
	if (expiration && c.expiration <= time(NULL)) {
		rc = ferry_error_set(err, FERRY_EAUTH,
				     "%s printed credentials that expired at %s",
				     what, expiration);
		goto out;
	}
	c.source = ferry_strdup(what);
	if (!c.source) {
		rc = oom(err);
		goto out;
	}
	*out = c;
	ferry_aws_creds_init(&c);
out:
	free(expiration);
	ferry_aws_creds_release(&c);
	json_decref(root);
	return rc;
}

/* First line of a helper's standard error, for the message. */
static void first_line(char *dst, size_t n, const struct ferry_buf *b)
{
	size_t len = strcspn(b->buf, "\r\n");

	snprintf(dst, n, "%.*s", (int)(len < 200 ? len : 200), b->buf);
}

static int run_process(struct ferry_aws_creds *out, const char *cmd,
		       const char *name, struct ferry_error *err)
{
	struct ferry_strvec words = FERRY_STRVEC_INIT;
	struct ferry_proc_opts opts = { 0 };
	struct ferry_proc_result r;
	struct ferry_error perr;
	const char **argv = NULL;
	char *what = NULL, why[256];
	size_t i;
	int rc;

	ferry_proc_result_init(&r);
	ferry_error_init(&perr);
	what = ferry_xstrfmt("credential_process of profile '%s'", name);
	if (!what) {
		rc = oom(err);
		goto out;
	}
	rc = ferry_aws_split_command(&words, cmd, &perr);
	if (rc) {
		rc = ferry_error_set(err, rc, "%s: %s", what, perr.msg);
		goto out;
	}
	if (!words.nr) {
		rc = ferry_error_set(err, FERRY_ECONFIG, "%s is empty", what);
		goto out;
	}
	argv = calloc(words.nr + 1, sizeof(*argv));
	if (!argv) {
		rc = oom(err);
		goto out;
	}
	for (i = 0; i < words.nr; i++)
		argv[i] = words.items[i];
	opts.argv = argv;
	opts.timeout_ms = PROCESS_TIMEOUT_MS;
	opts.output_max = PROCESS_OUTPUT_MAX;
	rc = ferry_proc_run(&r, &opts, &perr);
	if (rc == FERRY_EINTR) {
		rc = ferry_error_set(err, rc, "interrupted");
		goto out;
	}
	if (rc) {
		/* Only the program: its arguments may hold a secret. */
		rc = ferry_error_set(err, FERRY_EAUTH, "%s: cannot run '%s'%s",
				     what, argv[0],
				     rc == FERRY_ENOTFOUND ? ": not found" :
							     "");
		goto out;
	}
	if (r.timed_out) {
		rc = ferry_error_set(err, FERRY_EAUTH,
				     "%s: '%s' did not finish within %u s", what,
				     argv[0], PROCESS_TIMEOUT_MS / 1000);
		goto out;
	}
	if (!r.exited || r.status) {
		first_line(why, sizeof(why), &r.errout);
		rc = ferry_error_set(err, FERRY_EAUTH, "%s: '%s' %s %d%s%s",
				     what, argv[0],
				     r.exited ? "exited with status" :
						"was killed by signal",
				     r.status, *why ? ": " : "", why);
		goto out;
	}
	rc = process_json(out, what, &r.out, err);
out:
	if (r.out.alloc)
		explicit_bzero(r.out.buf, r.out.alloc);
	ferry_proc_result_release(&r);
	free(argv);
	ferry_strvec_release(&words);
	free(what);
	return rc;
}

void ferry_aws_creds_init(struct ferry_aws_creds *c)
{
	memset(c, 0, sizeof(*c));
}

void ferry_aws_creds_release(struct ferry_aws_creds *c)
{
	if (!c)
		return;
	wipe_free(c->access_key_id);
	wipe_free(c->secret_access_key);
	wipe_free(c->session_token);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

/* Move the keys of `p` into `out`; `source` is owned by `out` then. */
static void take_keys(struct ferry_aws_creds *out, struct profile *p,
		      char *source)
{
	out->access_key_id = p->key_id;
	out->secret_access_key = p->secret;
	out->session_token = p->token;
	out->expiration = 0;
	out->source = source;
	p->key_id = p->secret = p->token = NULL;
}

/* What a file held for the profile, for the "not found" message. */
static void describe(struct ferry_buf *b, const char *path,
		     const struct profile *p, const char *name)
{
	if (p->missing)
		ferry_buf_addf(b, "'%s' does not exist", path);
	else if (!p->found)
		ferry_buf_addf(b, "'%s' has no profile '%s'", path, name);
	else
		ferry_buf_addf(b, "profile '%s' in '%s' has no keys", name,
			       path);
}

static const char *profile_name(const char *profile)
{
	if (profile && *profile)
		return profile;
	if (env("AWS_PROFILE"))
		return env("AWS_PROFILE");
	return "default";
}

static int half_pair(const char *where, const char *has, const char *lacks,
		     struct ferry_error *err)
{
	return ferry_error_set(err, FERRY_EAUTH, "%s sets %s but not %s",
			       where, has, lacks);
}

int ferry_aws_creds_resolve(struct ferry_aws_creds *out, const char *profile,
			    struct ferry_error *err)
{
	struct profile cp = { 0 }, fp = { 0 };
	struct ferry_buf msg = FERRY_BUF_INIT;
	const char *id = env("AWS_ACCESS_KEY_ID");
	const char *secret = env("AWS_SECRET_ACCESS_KEY");
	const char *token = env("AWS_SESSION_TOKEN");
	const char *name = profile_name(profile), *process;
	int explicit = profile && *profile, rc = 0;
	char *cred_path = NULL, *conf_path = NULL, *where = NULL;
	struct ferry_aws_creds c;

	ferry_aws_creds_init(&c);
	/* As with the AWS CLI, --profile wins over the variables. */
	if (!explicit && (id || secret)) {
		if (!secret) {
			rc = half_pair("the environment", "AWS_ACCESS_KEY_ID",
				       "AWS_SECRET_ACCESS_KEY", err);
			goto out;
		}
		if (!id) {
			rc = half_pair("the environment",
				       "AWS_SECRET_ACCESS_KEY",
				       "AWS_ACCESS_KEY_ID", err);
			goto out;
		}
		c.access_key_id = ferry_strdup(id);
		c.secret_access_key = ferry_strdup(secret);
		c.session_token = token ? ferry_strdup(token) : NULL;
		c.source = ferry_strdup("environment variables");
		if (!c.access_key_id || !c.secret_access_key || !c.source ||
		    (token && !c.session_token)) {
			rc = oom(err);
			goto out;
		}
		goto done;
	}
	cred_path = file_path("AWS_SHARED_CREDENTIALS_FILE",
			      ".aws/credentials");
	conf_path = file_path("AWS_CONFIG_FILE", ".aws/config");
	if (!cred_path || !conf_path) {
		rc = oom(err);
		goto out;
	}
	rc = ini_load(&cp, cred_path, name, 0, err);
	if (!rc)
		rc = ini_load(&fp, conf_path, name, 1, err);
	if (rc)
		goto out;
	where = ferry_xstrfmt("profile '%s' in '%s'", name, cred_path);
	if (!where) {
		rc = oom(err);
		goto out;
	}
	if (!!cp.key_id != !!cp.secret) {
		rc = cp.key_id ? half_pair(where, "aws_access_key_id",
					   "aws_secret_access_key", err) :
				 half_pair(where, "aws_secret_access_key",
					   "aws_access_key_id", err);
		goto out;
	}
	if (cp.key_id) {
		take_keys(&c, &cp, where);
		where = NULL;
		goto done;
	}
	process = cp.process ? cp.process : fp.process;
	if (process) {
		rc = run_process(&c, process, name, err);
		if (rc)
			goto out;
		goto done;
	}
	free(where);
	where = ferry_xstrfmt("profile '%s' in '%s'", name, conf_path);
	if (!where) {
		rc = oom(err);
		goto out;
	}
	if (!!fp.key_id != !!fp.secret) {
		rc = fp.key_id ? half_pair(where, "aws_access_key_id",
					   "aws_secret_access_key", err) :
				 half_pair(where, "aws_secret_access_key",
					   "aws_access_key_id", err);
		goto out;
	}
	if (fp.key_id) {
		take_keys(&c, &fp, where);
		where = NULL;
		goto done;
	}
	ferry_buf_addf(&msg, "no aws credentials for profile '%s': ", name);
	ferry_buf_addf(&msg, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY %s, ",
		       explicit ? "are not used with --profile" : "are not set");
	describe(&msg, cred_path, &cp, name);
	ferry_buf_addstr(&msg, ", ");
	describe(&msg, conf_path, &fp, name);
	ferry_buf_addf(&msg, "; set the variables or run 'aws configure%s%s'",
		       strcmp(name, "default") ? " --profile " : "",
		       strcmp(name, "default") ? name : "");
	rc = ferry_error_set(err, FERRY_EAUTH, "%s", msg.buf);
	goto out;
done:
	*out = c;
	ferry_aws_creds_init(&c);
out:
	ferry_aws_creds_release(&c);
	profile_release(&cp);
	profile_release(&fp);
	ferry_buf_release(&msg);
	free(cred_path);
	free(conf_path);
	free(where);
	return rc;
}

static int region_ok(const char *r)
{
	size_t n = strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789-");

	return n && !r[n] && n <= 64;
}

int ferry_aws_region_resolve(char **out, const char *explicit_region,
			     const char *profile, struct ferry_error *err)
{
	struct profile fp = { 0 };
	const char *name = profile_name(profile), *r = NULL;
	char *conf_path = NULL, *copy = NULL;
	int rc = 0;

	if (explicit_region && *explicit_region)
		r = explicit_region;
	else if (env("AWS_REGION"))
		r = env("AWS_REGION");
	else if (env("AWS_DEFAULT_REGION"))
		r = env("AWS_DEFAULT_REGION");
	if (!r) {
		conf_path = file_path("AWS_CONFIG_FILE", ".aws/config");
		if (!conf_path) {
			rc = oom(err);
			goto out;
		}
		rc = ini_load(&fp, conf_path, name, 1, err);
		if (rc)
			goto out;
		r = fp.region && *fp.region ? fp.region : NULL;
	}
	if (!r) {
		rc = ferry_error_set(err, FERRY_ECONFIG,
				     "no aws region: set providers.aws.region, AWS_REGION or AWS_DEFAULT_REGION, or region in profile '%s' of '%s'",
				     name, conf_path);
		goto out;
	}
	if (!region_ok(r)) {
		rc = ferry_error_set(err, FERRY_ECONFIG,
				     "invalid aws region '%s'", r);
		goto out;
	}
	copy = ferry_strdup(r);
	if (!copy) {
		rc = oom(err);
		goto out;
	}
	*out = copy;
out:
	profile_release(&fp);
	free(conf_path);
	return rc;
}

void ferry_aws_endpoint_release(struct ferry_aws_endpoint *e)
{
	if (!e)
		return;
	free(e->url);
	free(e->signing_region);
	memset(e, 0, sizeof(*e));
}

int ferry_aws_endpoint_resolve(struct ferry_aws_endpoint *out,
			       enum ferry_aws_service service,
			       const char *region, struct ferry_error *err)
{
	static const struct {
		const char *var;	/* AWS_ENDPOINT_URL_<var> */
		const char *name;	/* host prefix and SigV4 service */
	} svc[] = {
		[FERRY_AWS_LAMBDA] = { "AWS_ENDPOINT_URL_LAMBDA", "lambda" },
		[FERRY_AWS_S3] = { "AWS_ENDPOINT_URL_S3", "s3" },
		[FERRY_AWS_IAM] = { "AWS_ENDPOINT_URL_IAM", "iam" },
		[FERRY_AWS_STS] = { "AWS_ENDPOINT_URL_STS", "sts" },
	};
	struct ferry_aws_endpoint e = { 0 };
	const char *var, *url, *suffix;
	int china = !strncmp(region, "cn-", 3), rc = 0;
	size_t len;

	if ((unsigned)service >= sizeof(svc) / sizeof(*svc))
		return ferry_error_set(err, FERRY_EUSAGE,
				       "unknown aws service");
	var = svc[service].var;
	url = env(var);
	if (!url) {
		var = "AWS_ENDPOINT_URL";
		url = env(var);
	}
	e.signing_name = svc[service].name;
	suffix = china ? "amazonaws.com.cn" : "amazonaws.com";
	if (url) {
		if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
			rc = ferry_error_set(err, FERRY_ECONFIG,
					     "%s is not an http:// or https:// url: '%s'",
					     var, url);
			goto out;
		}
		len = strlen(url);
		while (len > 8 && url[len - 1] == '/')
			len--;
		e.url = ferry_xstrfmt("%.*s", (int)len, url);
		e.overridden = 1;
		e.path_style = service == FERRY_AWS_S3;
	} else if (service == FERRY_AWS_IAM && !china) {
		e.url = ferry_xstrfmt("https://iam.%s", suffix);
	} else {
		e.url = ferry_xstrfmt("https://%s.%s.%s", e.signing_name,
				      region, suffix);
	}
	/* The global IAM endpoint is signed for us-east-1. */
	e.signing_region = ferry_strdup(service == FERRY_AWS_IAM && !china ?
					"us-east-1" : region);
	if (!e.url || !e.signing_region) {
		rc = oom(err);
		goto out;
	}
	*out = e;
	memset(&e, 0, sizeof(e));
out:
	ferry_aws_endpoint_release(&e);
	return rc;
}
