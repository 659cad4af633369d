/*
 * credentials.c - AWS credentials, region and endpoints from the
 * environment, the shared credentials and config files and
 * credential_process (see credentials.h for the order). It reads INI files
 * itself: sections, "key = value", whole-line '#' and ';' comments; lines
 * that start with a blank continue a nested value and are skipped, as
 * Python's configparser (the AWS CLI's reader) would fold them away.
 * For a profile that assumes a role it follows source_profile to the keys
 * the chain starts from and lists the roles to assume.
 *
 * It does not sign requests (core/sigv4.c), call STS (sts.c assumes the
 * roles listed here), fetch SSO or instance-metadata credentials, or
 * refresh credentials that expire.
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
#define DEFAULT_DURATION 3600u
#define MIN_DURATION 900u
#define MAX_DURATION 43200u

/* What one file says about one profile. */
struct profile {
	char *key_id;		/* owned */
	char *secret;		/* owned; secret */
	char *token;		/* owned; secret */
	char *region;		/* owned */
	char *process;		/* owned */
	char *role_arn;		/* owned; the assume-role keys from here */
	char *source_profile;	/* owned */
	char *credential_source; /* owned */
	char *session_name;	/* owned */
	char *external_id;	/* owned */
	char *duration;		/* owned */
	char *mfa_serial;	/* owned */
	char *web_identity;	/* owned */
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
	free(p->role_arn);
	free(p->source_profile);
	free(p->credential_source);
	free(p->session_name);
	free(p->external_id);
	free(p->duration);
	free(p->mfa_serial);
	free(p->web_identity);
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
		{ "role_arn", offsetof(struct profile, role_arn) },
		{ "source_profile", offsetof(struct profile, source_profile) },
		{ "credential_source",
		  offsetof(struct profile, credential_source) },
		{ "role_session_name", offsetof(struct profile, session_name) },
		{ "external_id", offsetof(struct profile, external_id) },
		{ "duration_seconds", offsetof(struct profile, duration) },
		{ "mfa_serial", offsetof(struct profile, mfa_serial) },
		{ "web_identity_token_file",
		  offsetof(struct profile, web_identity) },
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

int ferry_aws_time_parse(time_t *out, const char *s)
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
	    (expiration && ferry_aws_time_parse(&c.expiration, expiration))) {
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

static void role_release(struct ferry_aws_role *r)
{
	free(r->arn);
	free(r->session_name);
	free(r->external_id);
	free(r->profile);
	memset(r, 0, sizeof(*r));
}

void ferry_aws_creds_release(struct ferry_aws_creds *c)
{
	size_t i;

	if (!c)
		return;
	wipe_free(c->access_key_id);
	wipe_free(c->secret_access_key);
	wipe_free(c->session_token);
	free(c->source);
	for (i = 0; i < c->roles.nr; i++)
		role_release(&c->roles.items[i]);
	free(c->roles.items);
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

/* The profiles entered so far while following source_profile. */
struct walk {
	struct ferry_strvec seen;	/* names, from the one asked for */
	const char *cred_path;		/* borrowed */
	const char *conf_path;		/* borrowed */
	int explicit;			/* the profile was named (--profile) */
};

static int resolve_profile(struct ferry_aws_creds *out, struct walk *w,
			   const char *name, const char *parent,
			   struct ferry_error *err);

/*
 * The AWS_* key variables into `out`, whose source is `source`. Leaves
 * `out` untouched when neither key variable is set.
 */
static int env_keys(struct ferry_aws_creds *out, const char *source,
		    struct ferry_error *err)
{
	const char *id = env("AWS_ACCESS_KEY_ID");
	const char *secret = env("AWS_SECRET_ACCESS_KEY");
	const char *token = env("AWS_SESSION_TOKEN");

	if (!id && !secret)
		return 0;
	if (!secret)
		return half_pair("the environment", "AWS_ACCESS_KEY_ID",
				 "AWS_SECRET_ACCESS_KEY", err);
	if (!id)
		return half_pair("the environment", "AWS_SECRET_ACCESS_KEY",
				 "AWS_ACCESS_KEY_ID", err);
	out->access_key_id = ferry_strdup(id);
	out->secret_access_key = ferry_strdup(secret);
	out->session_token = token ? ferry_strdup(token) : NULL;
	out->source = ferry_strdup(source);
	if (!out->access_key_id || !out->secret_access_key || !out->source ||
	    (token && !out->session_token))
		return oom(err);
	return 0;
}

/*
 * The keys of profile `name` (cp: the credentials file, fp: the config
 * file) or its credential_process. `parent` is the profile whose
 * source_profile it is, or NULL for the profile asked for.
 */
static int profile_keys(struct ferry_aws_creds *out, const struct walk *w,
			const char *name, const char *parent,
			struct profile *cp, struct profile *fp,
			struct ferry_error *err)
{
	struct ferry_buf msg = FERRY_BUF_INIT;
	const char *process;
	char *where = NULL;
	int rc = 0;

	where = ferry_xstrfmt("profile '%s' in '%s'", name, w->cred_path);
	if (!where) {
		rc = oom(err);
		goto out;
	}
	if (!!cp->key_id != !!cp->secret) {
		rc = cp->key_id ? half_pair(where, "aws_access_key_id",
					    "aws_secret_access_key", err) :
				  half_pair(where, "aws_secret_access_key",
					    "aws_access_key_id", err);
		goto out;
	}
	if (cp->key_id) {
		take_keys(out, cp, where);
		where = NULL;
		goto out;
	}
	process = cp->process ? cp->process : fp->process;
	if (process) {
		rc = run_process(out, process, name, err);
		goto out;
	}
	free(where);
	where = ferry_xstrfmt("profile '%s' in '%s'", name, w->conf_path);
	if (!where) {
		rc = oom(err);
		goto out;
	}
	if (!!fp->key_id != !!fp->secret) {
		rc = fp->key_id ? half_pair(where, "aws_access_key_id",
					    "aws_secret_access_key", err) :
				  half_pair(where, "aws_secret_access_key",
					    "aws_access_key_id", err);
		goto out;
	}
	if (fp->key_id) {
		take_keys(out, fp, where);
		where = NULL;
		goto out;
	}
	if (parent) {
		ferry_buf_addf(&msg, "source_profile '%s' of profile '%s' has "
			       "no credentials: ", name, parent);
	} else {
		ferry_buf_addf(&msg, "no aws credentials for profile '%s': ",
			       name);
		ferry_buf_addf(&msg, "AWS_ACCESS_KEY_ID and "
			       "AWS_SECRET_ACCESS_KEY %s, ",
			       w->explicit ? "are not used with --profile" :
					     "are not set");
	}
	describe(&msg, w->cred_path, cp, name);
	ferry_buf_addstr(&msg, ", ");
	describe(&msg, w->conf_path, fp, name);
	ferry_buf_addf(&msg, "; %s 'aws configure%s%s'",
		       parent ? "run" : "set the variables or run",
		       strcmp(name, "default") ? " --profile " : "",
		       strcmp(name, "default") ? name : "");
	rc = ferry_error_set(err, FERRY_EAUTH, "%s", msg.buf);
out:
	ferry_buf_release(&msg);
	free(where);
	return rc;
}

static int has_keys(const struct profile *cp, const struct profile *fp)
{
	return cp->key_id || cp->secret || fp->key_id || fp->secret;
}

/* role_session_name as STS takes it: 2-64 of [A-Za-z0-9_+=,.@-]. */
static int session_name_ok(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-");

	return !s[n] && n >= 2 && n <= 64;
}

/* "a -> b -> a": from the first time `again` was entered, then `again`. */
static char *cycle_text(const struct ferry_strvec *seen, const char *again)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	long first = ferry_strvec_find(seen, again);
	size_t i;
	int rc = 0;

	for (i = first < 0 ? seen->nr : (size_t)first; i < seen->nr; i++)
		rc |= ferry_buf_addf(&b, "%s -> ", seen->items[i]);
	rc |= ferry_buf_addstr(&b, again);
	if (rc) {
		ferry_buf_release(&b);
		return NULL;
	}
	return ferry_buf_detach(&b);
}

/*
 * Profile `name` assumes its role_arn: resolve its source into `out`,
 * then append the role to out->roles.
 */
static int assume_profile(struct ferry_aws_creds *out, struct walk *w,
			  const char *name, struct profile *cp,
			  struct profile *fp, struct ferry_error *err)
{
#define PICK(field) (cp->field ? cp->field : fp->field)
	const char *arn = PICK(role_arn), *source = PICK(source_profile);
	const char *csrc = PICK(credential_source);
	const char *session = PICK(session_name), *dur = PICK(duration);
	const char *ext = PICK(external_id);
	struct ferry_aws_role role = { 0 };
	struct ferry_aws_creds base;
	unsigned long duration = DEFAULT_DURATION;
	char *end, *text = NULL;
	int rc = 0;

	ferry_aws_creds_init(&base);
	if (PICK(mfa_serial)) {
		rc = ferry_error_set(err, FERRY_EAUTH,
				     "profile '%s': mfa_serial is not "
				     "supported (assuming role '%s' needs an "
				     "interactive MFA code); assume the role "
				     "outside ferry and pass its keys in "
				     "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY "
				     "and AWS_SESSION_TOKEN", name, arn);
		goto out;
	}
	if (PICK(web_identity)) {
		rc = ferry_error_set(err, FERRY_EAUTH,
				     "profile '%s': web_identity_token_file is "
				     "not supported", name);
		goto out;
	}
	if (source && csrc) {
		rc = ferry_error_set(err, FERRY_ECONFIG,
				     "profile '%s' sets both source_profile "
				     "and credential_source; a role takes one",
				     name);
		goto out;
	}
	if (!source && !csrc) {
		rc = ferry_error_set(err, FERRY_ECONFIG,
				     "profile '%s' sets role_arn but neither "
				     "source_profile nor credential_source",
				     name);
		goto out;
	}
	if (dur) {
		errno = 0;
		duration = strtoul(dur, &end, 10);
		if (errno || end == dur || *end || *dur == '-' ||
		    duration < MIN_DURATION || duration > MAX_DURATION) {
			rc = ferry_error_set(err, FERRY_ECONFIG,
					     "profile '%s': duration_seconds "
					     "must be a number of seconds from "
					     "%u to %u, not '%s'", name,
					     MIN_DURATION, MAX_DURATION, dur);
			goto out;
		}
	}
	if (session && !session_name_ok(session)) {
		rc = ferry_error_set(err, FERRY_ECONFIG,
				     "profile '%s': role_session_name '%s' "
				     "must be 2 to 64 letters, digits or "
				     "_+=,.@-", name, session);
		goto out;
	}
	if (csrc && !strcmp(csrc, "Environment")) {
		text = ferry_xstrfmt("environment variables "
				     "(credential_source of profile '%s')",
				     name);
		rc = text ? env_keys(&base, text, err) : oom(err);
		if (!rc && !base.access_key_id)
			rc = ferry_error_set(err, FERRY_EAUTH,
					     "profile '%s' sets "
					     "credential_source = Environment "
					     "but AWS_ACCESS_KEY_ID and "
					     "AWS_SECRET_ACCESS_KEY are not "
					     "set", name);
	} else if (csrc && (!strcmp(csrc, "Ec2InstanceMetadata") ||
			    !strcmp(csrc, "EcsContainer"))) {
		rc = ferry_error_set(err, FERRY_EAUTH,
				     "profile '%s': credential_source = %s is "
				     "not supported (only Environment is)",
				     name, csrc);
	} else if (csrc) {
		rc = ferry_error_set(err, FERRY_ECONFIG,
				     "profile '%s': credential_source '%s' is "
				     "not Environment, Ec2InstanceMetadata or "
				     "EcsContainer", name, csrc);
	} else if (ferry_strvec_find(&w->seen, source) >= 0 &&
		   (strcmp(source, name) || !has_keys(cp, fp))) {
		/* Naming itself is how a profile with keys says "these". */
		text = cycle_text(&w->seen, source);
		rc = text ? ferry_error_set(err, FERRY_ECONFIG,
					    "source_profile cycle: %s", text) :
			    oom(err);
	} else {
		rc = resolve_profile(&base, w, source, name, err);
	}
	if (rc)
		goto out;
	free(text);
	text = ferry_xstrfmt("role '%s' of profile '%s', assumed with %s",
			     arn, name, base.source);
	role.arn = ferry_strdup(arn);
	role.session_name = session ? ferry_strdup(session) :
				      ferry_xstrfmt("ferry-%lld",
						    (long long)time(NULL));
	role.external_id = ext ? ferry_strdup(ext) : NULL;
	role.duration = (unsigned)duration;
	role.profile = ferry_strdup(name);
	if (!text || !role.arn || !role.session_name || !role.profile ||
	    (ext && !role.external_id)) {
		rc = oom(err);
		goto out;
	}
	if (base.roles.nr == base.roles.alloc) {
		size_t n = base.roles.alloc ? 2 * base.roles.alloc : 4;
		struct ferry_aws_role *items = realloc(base.roles.items,
						       n * sizeof(*items));

		if (!items) {
			rc = oom(err);
			goto out;
		}
		base.roles.items = items;
		base.roles.alloc = n;
	}
	base.roles.items[base.roles.nr++] = role;
	memset(&role, 0, sizeof(role));
	free(base.source);
	base.source = text;
	text = NULL;
	*out = base;
	ferry_aws_creds_init(&base);
out:
	role_release(&role);
	ferry_aws_creds_release(&base);
	free(text);
	return rc;
#undef PICK
}

/*
 * The credentials of profile `name`; `parent` is the profile that names
 * it as source_profile, or NULL for the profile asked for.
 */
static int resolve_profile(struct ferry_aws_creds *out, struct walk *w,
			   const char *name, const char *parent,
			   struct ferry_error *err)
{
	struct profile cp = { 0 }, fp = { 0 };
	const char *role;
	int rc;

	if (ferry_strvec_push(&w->seen, name))
		return oom(err);
	rc = ini_load(&cp, w->cred_path, name, 0, err);
	if (!rc)
		rc = ini_load(&fp, w->conf_path, name, 1, err);
	if (rc)
		goto out;
	if (parent && !cp.found && !fp.found) {
		rc = ferry_error_set(err, FERRY_ECONFIG,
				     "source_profile '%s' of profile '%s' is "
				     "in neither '%s' nor '%s'", name, parent,
				     w->cred_path, w->conf_path);
		goto out;
	}
	role = cp.role_arn ? cp.role_arn : fp.role_arn;
	/* As botocore: a source profile's own keys end a chain. */
	if (role && *role && (!parent || !has_keys(&cp, &fp)))
		rc = assume_profile(out, w, name, &cp, &fp, err);
	else
		rc = profile_keys(out, w, name, parent, &cp, &fp, err);
out:
	profile_release(&cp);
	profile_release(&fp);
	return rc;
}

int ferry_aws_creds_resolve(struct ferry_aws_creds *out, const char *profile,
			    struct ferry_error *err)
{
	struct walk w = { FERRY_STRVEC_INIT, NULL, NULL, 0 };
	char *cred_path = NULL, *conf_path = NULL;
	struct ferry_aws_creds c;
	int rc = 0;

	ferry_aws_creds_init(&c);
	w.explicit = profile && *profile;
	/* As with the AWS CLI, --profile wins over the variables. */
	if (!w.explicit) {
		rc = env_keys(&c, "environment variables", err);
		if (rc || c.access_key_id)
			goto done;
	}
	cred_path = file_path("AWS_SHARED_CREDENTIALS_FILE",
			      ".aws/credentials");
	conf_path = file_path("AWS_CONFIG_FILE", ".aws/config");
	if (!cred_path || !conf_path) {
		rc = oom(err);
		goto out;
	}
	w.cred_path = cred_path;
	w.conf_path = conf_path;
	rc = resolve_profile(&c, &w, profile_name(profile), NULL, err);
done:
	if (!rc) {
		*out = c;
		ferry_aws_creds_init(&c);
	}
out:
	ferry_aws_creds_release(&c);
	ferry_strvec_release(&w.seen);
	free(cred_path);
	free(conf_path);
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
