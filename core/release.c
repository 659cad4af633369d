/*
 * release.c - the release engine (DESIGN.md section 5): deploy with
 * skip-unchanged, immutable numbered records, the live pointer, rollback,
 * listing, pruning, removal and the lease lock that serialises them, all
 * built once on the object-store and function primitives of any provider.
 *
 * Every write is ordered so that killing ferry at any instant leaves the
 * previous release live and the next command able to proceed: artifacts and
 * versions first, then the record (create-if-absent), then activation and
 * the live pointer (one atomic replace), the lock last.
 *
 * It does not build bundles (core/bundle.c), talk to any cloud API (the
 * providers do) or print anything (the CLI formats results).
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ferry/cancel.h"
#include "ferry/git.h"
#include "ferry/json.h"
#include "ferry/log.h"
#include "ferry/pool.h"
#include "ferry/progress.h"
#include "ferry/release.h"

#define RECORD_MAX (4u << 20)
#define NUMBER_TRIES 64
#define DEFAULT_TTL 900
#define DEFAULT_JOBS 4

static int oom(struct ferry_error *err)
{
	return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
}

const char *ferry_change_name(enum ferry_change c)
{
	switch (c) {
	case FERRY_CHANGE_NEW:
		return "new";
	case FERRY_CHANGE_UPDATED:
		return "updated";
	case FERRY_CHANGE_UNCHANGED:
		return "unchanged";
	}
	return "unknown";
}

/* ---- records ---------------------------------------------------------- */

static void fn_release(struct ferry_release_fn *f)
{
	free(f->name);
	free(f->version);
	f->name = f->version = NULL;
}

void ferry_release_release(struct ferry_release *r)
{
	size_t i;

	if (!r)
		return;
	free(r->time);
	free(r->user);
	free(r->git_commit);
	free(r->provider);
	free(r->kind);
	for (i = 0; i < r->fns_nr; i++)
		fn_release(&r->fns[i]);
	free(r->fns);
	memset(r, 0, sizeof(*r));
}

static int is_hex64(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static int cmp_fn(const void *a, const void *b)
{
	return strcmp(((const struct ferry_release_fn *)a)->name,
		      ((const struct ferry_release_fn *)b)->name);
}

static int copy_fn(struct ferry_release_fn *dst,
		   const struct ferry_release_fn *src)
{
	*dst = *src;
	dst->name = ferry_strdup(src->name);
	dst->version = ferry_strdup(src->version);
	if (!dst->name || !dst->version) {
		fn_release(dst);
		return FERRY_ENOMEM;
	}
	return 0;
}

int ferry_release_parse(struct ferry_release *out, const char *json,
			size_t len, struct ferry_error *err)
{
	struct ferry_release r;
	json_t *doc = NULL, *fns, *git, *f, *v;
	json_int_t num;
	const char *s;
	size_t i;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	rc = ferry_json_object(&doc, json, len, "release record", err);
	if (rc)
		goto out;
	num = json_integer_value(json_object_get(doc, "number"));
	if (!json_is_integer(json_object_get(doc, "number")) || num < 1 ||
	    num > 0x7fffffff) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "release record has no valid 'number'");
		goto out;
	}
	r.number = (unsigned)num;
#define STR(field, name)                                                      \
	do {                                                                  \
		s = json_string_value(json_object_get(doc, name));            \
		if (!s) {                                                     \
			rc = ferry_error_set(err, FERRY_EFAIL,                \
					     "release record %u has no '%s'", \
					     r.number, name);                 \
			goto out;                                             \
		}                                                             \
		r.field = ferry_strdup(s);                                    \
		if (!r.field) {                                               \
			rc = oom(err);                                        \
			goto out;                                             \
		}                                                             \
	} while (0)
	STR(time, "time");
	STR(user, "user");
	STR(provider, "provider");
	STR(kind, "kind");
#undef STR
	if (strcmp(r.kind, "deploy") && strcmp(r.kind, "rollback")) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "release record %u has unknown kind '%s'",
				     r.number, r.kind);
		goto out;
	}
	num = json_integer_value(json_object_get(doc, "target"));
	r.target = num > 0 && num <= 0x7fffffff ? (unsigned)num : 0;
	git = json_object_get(doc, "git");
	if (json_is_object(git)) {
		s = json_string_value(json_object_get(git, "commit"));
		if (s && !(r.git_commit = ferry_strdup(s))) {
			rc = oom(err);
			goto out;
		}
		r.git_dirty = json_is_true(json_object_get(git, "dirty"));
	}
	fns = json_object_get(doc, "functions");
	if (!json_is_array(fns)) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "release record %u has no 'functions' list",
				     r.number);
		goto out;
	}
	r.fns = calloc(json_array_size(fns) + 1, sizeof(*r.fns));
	if (!r.fns) {
		rc = oom(err);
		goto out;
	}
	json_array_foreach(fns, i, f) {
		struct ferry_release_fn *rf = &r.fns[r.fns_nr];
		const char *name = json_string_value(json_object_get(f, "name"));
		const char *sha = json_string_value(json_object_get(f, "sha256"));
		const char *ch = json_string_value(json_object_get(f,
								   "config_hash"));
		const char *ver = json_string_value(json_object_get(f,
								    "version"));

		v = json_object_get(f, "size");
		if (!name || !*name || !is_hex64(sha) || !is_hex64(ch) ||
		    !ver || !json_is_integer(v) || json_integer_value(v) < 0) {
			rc = ferry_error_set(err, FERRY_EFAIL,
					     "release record %u: function entry "
					     "%zu is incomplete", r.number, i + 1);
			goto out;
		}
		rf->name = ferry_strdup(name);
		rf->version = ferry_strdup(ver);
		memcpy(rf->sha256, sha, 65);
		memcpy(rf->config_hash, ch, 65);
		rf->size = (uint64_t)json_integer_value(v);
		r.fns_nr++;
		if (!rf->name || !rf->version) {
			rc = oom(err);
			goto out;
		}
	}
	qsort(r.fns, r.fns_nr, sizeof(*r.fns), cmp_fn);
out:
	json_decref(doc);
	if (rc)
		ferry_release_release(&r);
	else
		*out = r;
	return rc;
}

int ferry_release_to_json(const struct ferry_release *r, struct ferry_buf *out,
			  struct ferry_error *err)
{
	json_t *doc = json_object(), *fns = json_array(), *git = NULL, *f;
	char *text = NULL;
	size_t i;
	int rc = 0, bad = !doc || !fns;

	if (!bad && r->git_commit) {
		git = json_pack("{s:s, s:b}", "commit", r->git_commit,
				"dirty", r->git_dirty);
		bad = !git;
	}
	bad = bad ||
		json_object_set_new(doc, "number", json_integer(r->number)) ||
		json_object_set_new(doc, "time", json_string(r->time)) ||
		json_object_set_new(doc, "user", json_string(r->user)) ||
		json_object_set_new(doc, "git", git ? json_incref(git) :
				    json_null()) ||
		json_object_set_new(doc, "provider",
				    json_string(r->provider)) ||
		json_object_set_new(doc, "kind", json_string(r->kind));
	if (!bad && r->target)
		bad = json_object_set_new(doc, "target",
					  json_integer(r->target));
	for (i = 0; !bad && i < r->fns_nr; i++) {
		const struct ferry_release_fn *rf = &r->fns[i];

		f = json_pack("{s:s, s:s, s:s, s:s, s:I}", "name", rf->name,
			      "sha256", rf->sha256, "config_hash",
			      rf->config_hash, "version", rf->version, "size",
			      (json_int_t)rf->size);
		bad = !f || json_array_append_new(fns, f);
	}
	if (!bad)
		bad = json_object_set(doc, "functions", fns);
	if (!bad)
		text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (bad || !text || ferry_buf_addstr(out, text) ||
	    ferry_buf_addch(out, '\n'))
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "cannot write release record %u as JSON",
				     r->number);
	free(text);
	json_decref(git);
	json_decref(fns);
	json_decref(doc);
	return rc;
}

/* ---- keys and small store helpers ------------------------------------- */

static char *stage_key(const struct ferry_config *cfg, const char *leaf)
{
	return ferry_xstrfmt("%s/%s/%s", cfg->service, cfg->stage, leaf);
}

static char *record_key(const struct ferry_config *cfg, unsigned n)
{
	return ferry_xstrfmt("%s/%s/releases/%u.json", cfg->service,
			     cfg->stage, n);
}

static char *artifact_key(const struct ferry_config *cfg, const char *sha)
{
	return ferry_xstrfmt("%s/artifacts/%s.zip", cfg->service, sha);
}

/*
 * FERRY_TEST_STEP_DELAY_MS=N makes every step that others can see (a
 * write to the store, an activation, a publish) take N ms more, so that
 * the crash tests can land kill -9 between steps of a command that
 * otherwise takes a few milliseconds. Unset: nothing.
 */
static void test_step_delay(void)
{
	const char *v = getenv("FERRY_TEST_STEP_DELAY_MS");
	struct timespec ts;
	long ms;

	if (!v)
		return;
	ms = strtol(v, NULL, 10);
	if (ms <= 0 || ms > 10000)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static int put_text(struct ferry_provider *p, const char *key,
		    const struct ferry_buf *text, int if_absent,
		    struct ferry_error *err)
{
	struct ferry_blob blob = { text->buf, text->len, NULL };
	int rc = p->ops->put(p, key, &blob, if_absent, err);

	test_step_delay();
	return rc;
}

/* "7.json" -> 7; 0 for anything else. */
static unsigned parse_record_name(const char *s)
{
	unsigned long n = 0;
	const char *d = s;

	if (*s < '1' || *s > '9')
		return 0;
	for (; *d >= '0' && *d <= '9'; d++) {
		n = n * 10 + (unsigned long)(*d - '0');
		if (n > 0x7fffffff)
			return 0;
	}
	return strcmp(d, ".json") ? 0 : (unsigned)n;
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

struct numbers {
	unsigned *items;	/* owned, ascending */
	size_t nr;
};

/* Record numbers of the stage, ascending. */
static int list_numbers(struct numbers *out, struct ferry_provider *p,
			const struct ferry_config *cfg,
			struct ferry_error *err)
{
	struct ferry_strvec keys = FERRY_STRVEC_INIT;
	char *prefix = stage_key(cfg, "releases/");
	size_t i, plen;
	unsigned n;
	int rc;

	out->items = NULL;
	out->nr = 0;
	if (!prefix)
		return oom(err);
	plen = strlen(prefix);
	rc = p->ops->list(p, prefix, &keys, err);
	if (rc)
		goto out;
	out->items = calloc(keys.nr + 1, sizeof(*out->items));
	if (!out->items) {
		rc = oom(err);
		goto out;
	}
	for (i = 0; i < keys.nr; i++)
		if (!strncmp(keys.items[i], prefix, plen) &&
		    (n = parse_record_name(keys.items[i] + plen)))
			out->items[out->nr++] = n;
	qsort(out->items, out->nr, sizeof(*out->items), cmp_unsigned);
out:
	free(prefix);
	ferry_strvec_release(&keys);
	return rc;
}

static int has_number(const struct numbers *nums, unsigned n)
{
	size_t i;

	for (i = 0; i < nums->nr; i++)
		if (nums->items[i] == n)
			return 1;
	return 0;
}

static int load_key(struct ferry_release *out, struct ferry_provider *p,
		    const char *key, struct ferry_error *err)
{
	struct ferry_buf text = FERRY_BUF_INIT;
	struct ferry_error e;
	int rc;

	rc = p->ops->get(p, key, &text, err);
	if (rc)
		goto out;
	ferry_error_init(&e);
	rc = ferry_release_parse(out, text.buf, text.len, &e);
	if (rc)
		ferry_error_set(err, rc, "'%s': %s", key, e.msg);
out:
	ferry_buf_release(&text);
	return rc;
}

static int load_record(struct ferry_release *out, struct ferry_provider *p,
		       const struct ferry_config *cfg, unsigned n,
		       struct ferry_error *err)
{
	char *key = record_key(cfg, n);
	int rc;

	if (!key)
		return oom(err);
	rc = load_key(out, p, key, err);
	if (!rc && out->number != n) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "'%s' holds release %u, not %u", key,
				     out->number, n);
		ferry_release_release(out);
	}
	free(key);
	return rc;
}

/* The number in live.json, or 0 when nothing is live. */
static int live_number(unsigned *out, struct ferry_provider *p,
		       const struct ferry_config *cfg, struct ferry_error *err)
{
	struct ferry_buf text = FERRY_BUF_INIT;
	struct ferry_error e;
	char *key = stage_key(cfg, "live.json");
	json_t *doc = NULL;
	json_int_t n;
	int rc;

	if (!key)
		return oom(err);
	ferry_error_init(&e);
	rc = p->ops->get(p, key, &text, &e);
	if (rc == FERRY_ENOTFOUND) {
		*out = 0;
		rc = 0;
		goto out;
	}
	if (rc) {
		ferry_error_set(err, rc, "%s", e.msg);
		goto out;
	}
	doc = json_loadb(text.buf, text.len, 0, NULL);
	n = json_integer_value(json_object_get(doc, "release"));
	if (!json_is_integer(json_object_get(doc, "release")) || n < 1 ||
	    n > 0x7fffffff) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "'%s' does not name a release", key);
		goto out;
	}
	*out = (unsigned)n;
out:
	json_decref(doc);
	ferry_buf_release(&text);
	free(key);
	return rc;
}

static int write_live(struct ferry_provider *p, const struct ferry_config *cfg,
		      unsigned n, struct ferry_error *err)
{
	struct ferry_buf text = FERRY_BUF_INIT;
	char *key = stage_key(cfg, "live.json");
	int rc;

	if (!key || ferry_buf_addf(&text, "{\"release\": %u}\n", n)) {
		rc = oom(err);
		goto out;
	}
	rc = put_text(p, key, &text, 0, err);
out:
	ferry_buf_release(&text);
	free(key);
	return rc;
}

/*
 * Load the record live.json names. A record deleted by hand leaves the
 * stage pointing nowhere: FERRY_ENOTFOUND saying how to get out of it.
 */
static int load_live(struct ferry_release *out, struct ferry_provider *p,
		     const struct ferry_config *cfg, unsigned n,
		     struct ferry_error *err)
{
	struct ferry_error e;
	int rc;

	ferry_error_init(&e);
	rc = load_record(out, p, cfg, n, &e);
	if (rc == FERRY_ENOTFOUND)
		return ferry_error_set(err, rc, "stage '%s' of service '%s' is "
				       "live at release %u, but its record is "
				       "missing; roll back to an existing "
				       "release with 'ferry rollback N', or "
				       "deploy with --force", cfg->stage,
				       cfg->service, n);
	if (rc)
		ferry_error_set(err, rc, "%s", e.msg);
	return rc;
}

/* ---- who and when ----------------------------------------------------- */

static void format_time(char buf[32], time_t t)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, 32, "1970-01-01T00:00:00Z");
}

static int parse_time(const char *s, time_t *out)
{
	struct tm tm;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year,
			 &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			 &tm.tm_sec, &n) != 6 || s[n])
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm);
	return 0;
}

static void user_name(char *buf, size_t len)
{
	const char *u = getenv("USER");
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (!u || !*u) {
		if (getpwuid_r(getuid(), &pw, tmp, sizeof(tmp), &res) == 0 &&
		    res)
			u = res->pw_name;
		else
			u = "unknown";
	}
	snprintf(buf, len, "%s", u);
}

static void host_name(char *buf, size_t len)
{
	if (gethostname(buf, len) < 0 || !*buf)
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
}

/* Time, user@host and provider of a new record. */
static int stamp(struct ferry_release *r, const struct ferry_config *cfg)
{
	char when[32], user[256], host[256];

	format_time(when, time(NULL));
	user_name(user, sizeof(user));
	host_name(host, sizeof(host));
	r->time = ferry_strdup(when);
	r->user = ferry_xstrfmt("%s@%s", user, host);
	r->provider = ferry_strdup(cfg->provider);
	return r->time && r->user && r->provider ? 0 : FERRY_ENOMEM;
}

/* ---- the lease lock --------------------------------------------------- */

struct holder {
	char owner[256];
	char host[256];
	long pid;
	char expires[64];
};

static int parse_holder(struct holder *h, const struct ferry_buf *text)
{
	json_t *doc = json_loadb(text->buf, text->len, 0, NULL);
	const char *owner, *host, *exp;

	memset(h, 0, sizeof(*h));
	owner = json_string_value(json_object_get(doc, "owner"));
	host = json_string_value(json_object_get(doc, "host"));
	exp = json_string_value(json_object_get(doc, "expires"));
	h->pid = (long)json_integer_value(json_object_get(doc, "pid"));
	snprintf(h->owner, sizeof(h->owner), "%s", owner ? owner : "unknown");
	snprintf(h->host, sizeof(h->host), "%s", host ? host : "unknown");
	snprintf(h->expires, sizeof(h->expires), "%s", exp ? exp : "");
	json_decref(doc);
	return owner && host && exp ? 0 : -1;
}

/*
 * A lock is stale when its lease expired, or when it was taken on this
 * host by a process that no longer exists (ferry was killed).
 */
static int holder_stale(const struct holder *h)
{
	char host[256];
	time_t exp;

	if (parse_time(h->expires, &exp) == 0 && exp <= time(NULL))
		return 1;
	host_name(host, sizeof(host));
	return !strcmp(h->host, host) && h->pid > 0 &&
		kill((pid_t)h->pid, 0) < 0 && errno == ESRCH;
}

static int locked_by(struct ferry_error *err, const struct ferry_config *cfg,
		     const struct holder *h, const char *key)
{
	return ferry_error_set(err, FERRY_ECONFLICT,
			       "stage '%s' of service '%s' is locked by %s@%s "
			       "(pid %ld) until %s; another deploy or rollback "
			       "is running \xe2\x80\x94 wait for it, or delete "
			       "%s if it is stale", cfg->stage, cfg->service,
			       h->owner, h->host, h->pid, h->expires, key);
}

/* A lock we cannot read may be a newer ferry's: never delete it. */
static int locked_unreadable(struct ferry_error *err,
			     const struct ferry_config *cfg, const char *key)
{
	return ferry_error_set(err, FERRY_ECONFLICT,
			       "stage '%s' of service '%s' is locked and the "
			       "lock is unreadable; delete %s if no deploy or "
			       "rollback is running", cfg->stage, cfg->service,
			       key);
}

static int lock_take(struct ferry_provider *p, const struct ferry_config *cfg,
		     unsigned ttl, struct ferry_error *err)
{
	struct ferry_buf text = FERRY_BUF_INIT, seen = FERRY_BUF_INIT;
	struct ferry_buf again = FERRY_BUF_INIT;
	struct ferry_error e;
	struct holder h;
	char user[256], host[256], created[32], expires[32];
	char *key = stage_key(cfg, "lock.json");
	json_t *doc = NULL;
	char *json = NULL;
	time_t now = time(NULL);
	int rc = 0, attempt, took_over = 0;

	if (!key)
		return oom(err);
	user_name(user, sizeof(user));
	host_name(host, sizeof(host));
	format_time(created, now);
	format_time(expires, now + (time_t)(ttl ? ttl : DEFAULT_TTL));
	doc = json_pack("{s:s, s:s, s:I, s:s, s:s}", "owner", user, "host",
			host, "pid", (json_int_t)getpid(), "created", created,
			"expires", expires);
	json = doc ? json_dumps(doc, JSON_PRESERVE_ORDER) : NULL;
	if (!json || ferry_buf_addstr(&text, json) ||
	    ferry_buf_addch(&text, '\n')) {
		rc = oom(err);
		goto out;
	}
	for (attempt = 0; attempt < 4; attempt++) {
		ferry_error_init(&e);
		rc = put_text(p, key, &text, 1, &e);
		if (rc != FERRY_EEXIST) {
			if (rc)
				ferry_error_set(err, rc, "%s", e.msg);
			goto out;
		}
		ferry_buf_reset(&seen);
		ferry_error_init(&e);
		rc = p->ops->get(p, key, &seen, &e);
		if (rc == FERRY_ENOTFOUND)
			continue;	/* released meanwhile: try again */
		if (rc) {
			ferry_error_set(err, rc, "%s", e.msg);
			goto out;
		}
		if (parse_holder(&h, &seen) < 0) {
			rc = locked_unreadable(err, cfg, key);
			goto out;
		}
		if (took_over || !holder_stale(&h)) {
			rc = locked_by(err, cfg, &h, key);
			goto out;
		}
		/*
		 * Take the stale lock over, but only if it is still the one
		 * we judged: another ferry may have taken it over already.
		 */
		ferry_buf_reset(&again);
		ferry_error_init(&e);
		rc = p->ops->get(p, key, &again, &e);
		if (rc == FERRY_ENOTFOUND)
			continue;
		if (rc) {
			ferry_error_set(err, rc, "%s", e.msg);
			goto out;
		}
		if (again.len != seen.len || memcmp(again.buf, seen.buf,
						    seen.len))
			continue;
		ferry_info("taking over the stale lock of %s@%s (pid %ld)",
			   h.owner, h.host, h.pid);
		rc = p->ops->del(p, key, err);
		if (rc)
			goto out;
		took_over = 1;
	}
	rc = ferry_error_set(err, FERRY_ECONFLICT,
			     "stage '%s' of service '%s' is locked by another "
			     "deploy that keeps changing; try again",
			     cfg->stage, cfg->service);
out:
	free(json);
	json_decref(doc);
	ferry_buf_release(&text);
	ferry_buf_release(&seen);
	ferry_buf_release(&again);
	free(key);
	return rc;
}

/* Release our lock (only ours: a lease that expired may be someone else's). */
static void lock_drop(struct ferry_provider *p, const struct ferry_config *cfg)
{
	struct ferry_buf text = FERRY_BUF_INIT;
	struct ferry_error e;
	struct holder h;
	char host[256];
	char *key = stage_key(cfg, "lock.json");

	ferry_error_init(&e);
	if (!key || p->ops->get(p, key, &text, &e))
		goto out;
	host_name(host, sizeof(host));
	if (parse_holder(&h, &text) == 0 && h.pid == (long)getpid() &&
	    !strcmp(h.host, host) && p->ops->del(p, key, &e))
		ferry_warn("could not release the lock '%s': %s", key, e.msg);
out:
	ferry_buf_release(&text);
	free(key);
}

/* ---- deploy ----------------------------------------------------------- */

void ferry_deploy_result_release(struct ferry_deploy_result *r)
{
	if (!r)
		return;
	free(r->fns);
	memset(r, 0, sizeof(*r));
}

static const struct ferry_release_fn *record_fn(const struct ferry_release *r,
						const char *name)
{
	size_t i;

	for (i = 0; r && i < r->fns_nr; i++)
		if (!strcmp(r->fns[i].name, name))
			return &r->fns[i];
	return NULL;
}

struct plan_item {
	const struct ferry_function *fn;	/* borrowed from cfg */
	const struct ferry_bundle *bundle;	/* borrowed from opts */
	char config_hash[65];
	enum ferry_change change;
	int publish;
	int activated;
	struct ferry_version version;
	unsigned release;	/* the number the record is expected to get */
	/* the upload and publish step, run by publish_task() */
	int ran;
	int rc;
	unsigned uploaded;
	struct ferry_error err;
};

static int cmp_plan(const void *a, const void *b)
{
	return strcmp(((const struct plan_item *)a)->fn->name,
		      ((const struct plan_item *)b)->fn->name);
}

static int upload(unsigned *uploads, struct ferry_provider *p,
		  const struct ferry_config *cfg, const struct plan_item *it,
		  struct ferry_error *err)
{
	struct ferry_strvec found = FERRY_STRVEC_INIT;
	struct ferry_blob blob = { NULL, 0, it->bundle->path };
	struct ferry_error e;
	char *key = artifact_key(cfg, it->bundle->sha256);
	int rc;

	if (!key)
		return oom(err);
	if (p->ops->exists) {
		rc = p->ops->exists(p, key, err);
		if (rc)
			goto out; /* there already (1), or an error */
	} else {
		rc = p->ops->list(p, key, &found, err);
		if (rc || ferry_strvec_find(&found, key) >= 0)
			goto out;
	}
	ferry_info("uploading %s (%llu bytes)", it->fn->name,
		   (unsigned long long)it->bundle->zipped);
	ferry_error_init(&e);
	rc = p->ops->put(p, key, &blob, 1, &e);
	if (rc == FERRY_EEXIST)
		rc = 0;		/* someone uploaded the same bytes: fine */
	else if (rc)
		ferry_error_set(err, rc, "%s", e.msg);
	else
		(*uploads)++;
out:
	ferry_strvec_release(&found);
	free(key);
	return rc < 0 ? rc : 0;
}

static int publish(struct ferry_provider *p, const struct ferry_config *cfg,
		   struct plan_item *it, struct ferry_error *err)
{
	struct ferry_artifact a = {0};
	char *key = artifact_key(cfg, it->bundle->sha256);
	int rc;

	if (!key)
		return oom(err);
	a.sha256 = it->bundle->sha256;
	a.key = key;
	a.path = it->bundle->path;
	a.size = it->bundle->zipped;
	a.config_hash = it->config_hash;
	a.release = it->release;
	ferry_info("publishing %s", it->fn->name);
	rc = p->ops->publish(p, it->fn, &a, &it->version, err);
	free(key);
	return rc;
}

/*
 * Write `rec` under the next free number: create-if-absent, so two deploys
 * that race for the same number cannot overwrite each other.
 */
static int create_record(struct ferry_release *rec, struct ferry_provider *p,
			 const struct ferry_config *cfg,
			 struct ferry_error *err)
{
	struct numbers nums;
	struct ferry_buf text = FERRY_BUF_INIT;
	struct ferry_error e;
	char *key = NULL;
	unsigned n;
	int rc, i;

	rc = list_numbers(&nums, p, cfg, err);
	if (rc)
		return rc;
	n = nums.nr ? nums.items[nums.nr - 1] + 1 : 1;
	for (i = 0; i < NUMBER_TRIES; i++, n++) {
		rec->number = n;
		ferry_buf_reset(&text);
		free(key);
		key = record_key(cfg, n);
		if (!key) {
			rc = oom(err);
			goto out;
		}
		rc = ferry_release_to_json(rec, &text, err);
		if (rc)
			goto out;
		ferry_error_init(&e);
		rc = put_text(p, key, &text, 1, &e);
		if (rc != FERRY_EEXIST) {
			if (rc)
				ferry_error_set(err, rc, "%s", e.msg);
			goto out;
		}
		ferry_debug("release %u was taken meanwhile; trying %u", n,
			    n + 1);
	}
	rc = ferry_error_set(err, FERRY_ECONFLICT,
			     "could not create a release record after %d tries; "
			     "other deploys keep taking the numbers", NUMBER_TRIES);
out:
	free(key);
	free(nums.items);
	ferry_buf_release(&text);
	return rc;
}

/* A function of a record that the manifest may no longer have. */
struct fn_ref {
	struct ferry_function named;	/* used when the manifest lacks it */
	const struct ferry_function *fn;	/* borrowed */
};

static int fn_ref(struct fn_ref *ref, const struct ferry_config *cfg,
		  const char *name)
{
	memset(ref, 0, sizeof(*ref));
	ref->fn = ferry_config_function(cfg, name);
	if (ref->fn)
		return 0;
	ref->named.name = (char *)name;
	ref->named.full_name = ferry_xstrfmt("%s-%s-%s", cfg->service,
					    cfg->stage, name);
	ref->named.handler = ref->named.handler_file = ref->named.runtime = "";
	ref->named.handler_export = "";
	ref->fn = &ref->named;
	return ref->named.full_name ? 0 : FERRY_ENOMEM;
}

static void fn_ref_release(struct fn_ref *ref)
{
	free(ref->named.full_name);
	ref->named.full_name = NULL;
}

/*
 * Ctrl-C (ferry/cancel.h) is honoured only before anything becomes visible:
 * the caller then drops the lock and nothing of the stage has changed.
 */
static int check_cancel(const struct ferry_release *live, int have_live,
			struct ferry_error *err)
{
	if (!ferry_cancelled())
		return 0;
	if (have_live)
		return ferry_error_set(err, FERRY_EINTR,
				       "interrupted; release %u stays live",
				       live->number);
	return ferry_error_set(err, FERRY_EINTR,
			       "interrupted; nothing was deployed");
}

/*
 * Steps that touch several functions at a provider (upload and publish,
 * activate) run on up to `jobs` threads when the provider allows it
 * (FERRY_CAP_CONCURRENT), one after the other otherwise. Once a step has
 * failed, steps not yet started are skipped; the first failure in
 * function order is the one reported.
 */
static size_t step_threads(const struct ferry_provider *p, unsigned jobs)
{
	if (!(p->ops->caps & FERRY_CAP_CONCURRENT))
		return 1;
	return jobs ? jobs : DEFAULT_JOBS;
}

struct publish_ctx {
	struct ferry_provider *p;
	const struct ferry_config *cfg;
	struct plan_item *plan;
	const struct ferry_release *live;
	int have_live;
	int failed;	/* atomic */
};

static void publish_task(void *arg, size_t i)
{
	struct publish_ctx *c = arg;
	struct plan_item *it = &c->plan[i];

	if (!it->publish || __atomic_load_n(&c->failed, __ATOMIC_ACQUIRE))
		return;
	it->ran = 1;
	ferry_error_init(&it->err);
	it->rc = check_cancel(c->live, c->have_live, &it->err);
	if (!it->rc)
		it->rc = upload(&it->uploaded, c->p, c->cfg, it, &it->err);
	if (!it->rc)
		ferry_progress_add(1, it->bundle->zipped);
	if (!it->rc)
		it->rc = publish(c->p, c->cfg, it, &it->err);
	test_step_delay();
	if (it->rc)
		__atomic_store_n(&c->failed, 1, __ATOMIC_RELEASE);
}

/* Upload what the store lacks and publish every function to publish. */
static int publish_all(unsigned *uploads, struct ferry_provider *p,
		       const struct ferry_config *cfg, struct plan_item *plan,
		       size_t nr, const struct ferry_release *live,
		       int have_live, unsigned jobs, struct ferry_error *err)
{
	struct publish_ctx c = {p, cfg, plan, live, have_live, 0};
	uint64_t items = 0, bytes = 0;
	size_t i;

	for (i = 0; i < nr; i++)
		if (plan[i].publish) {
			items++;
			bytes += plan[i].bundle->zipped;
		}
	ferry_progress_begin(FERRY_PROGRESS_UPLOAD, items, bytes);
	ferry_pool_run(nr, step_threads(p, jobs), publish_task, &c);
	ferry_progress_end();
	for (i = 0; i < nr; i++)
		*uploads += plan[i].uploaded;
	for (i = 0; i < nr; i++)
		if (plan[i].ran && plan[i].rc)
			return ferry_error_set(err, plan[i].rc, "%s",
					       plan[i].err.msg);
	return 0;
}

/* One function to point at a version. */
struct activation {
	const struct ferry_function *fn;	/* borrowed */
	struct ferry_version v;
	int done;
	int rc;
	struct ferry_error err;
};

struct activate_ctx {
	struct ferry_provider *p;
	struct activation *a;
	int failed;	/* atomic */
};

static void activate_task(void *arg, size_t i)
{
	struct activate_ctx *c = arg;
	struct activation *a = &c->a[i];

	if (__atomic_load_n(&c->failed, __ATOMIC_ACQUIRE))
		return;
	ferry_error_init(&a->err);
	a->rc = c->p->ops->activate(c->p, a->fn, &a->v, &a->err);
	test_step_delay();
	if (a->rc)
		__atomic_store_n(&c->failed, 1, __ATOMIC_RELEASE);
	else
		a->done = 1;
}

static int activate_all(struct ferry_provider *p, struct activation *a,
			size_t nr, unsigned jobs, struct ferry_error *err)
{
	struct activate_ctx c = {p, a, 0};
	size_t i;

	ferry_pool_run(nr, step_threads(p, jobs), activate_task, &c);
	for (i = 0; i < nr; i++)
		if (a[i].rc)
			return ferry_error_set(err, a[i].rc, "%s", a[i].err.msg);
	return 0;
}

/* Point every function of `rec` at its version (rollback). */
static int activate_record(struct ferry_provider *p,
			   const struct ferry_config *cfg,
			   const struct ferry_release *rec,
			   struct ferry_error *err)
{
	struct activation *a = calloc(rec->fns_nr + 1, sizeof(*a));
	struct fn_ref *refs = calloc(rec->fns_nr + 1, sizeof(*refs));
	size_t i, n = 0;
	int rc = 0;

	if (!a || !refs) {
		rc = oom(err);
		goto out;
	}
	for (n = 0; n < rec->fns_nr; n++) {
		if (fn_ref(&refs[n], cfg, rec->fns[n].name)) {
			rc = oom(err);
			goto out;
		}
		a[n].fn = refs[n].fn;
		snprintf(a[n].v.id, sizeof(a[n].v.id), "%s",
			 rec->fns[n].version);
	}
	rc = activate_all(p, a, n, 0, err);
out:
	for (i = 0; refs && i < n; i++)
		fn_ref_release(&refs[i]);
	free(refs);
	free(a);
	return rc;
}

/*
 * Load what is live and compare each bundle with it: fills res (one entry
 * per bundle), each plan item's change and publish flag, and *changed.
 * `say`: log functions the new release leaves out.
 * res must be empty; on success the caller releases res and live.
 */
static int plan_deploy(struct ferry_deploy_result *res,
		       struct plan_item *plan, struct ferry_release *live,
		       int *have_live, int *changed, struct ferry_provider *p,
		       const struct ferry_config *cfg,
		       const struct ferry_deploy_opts *opts, int say,
		       struct ferry_error *err)
{
	const struct ferry_release_fn *lf;
	struct ferry_error e;
	unsigned live_n = 0;
	size_t i, dropped = 0;
	int rc;

	*have_live = *changed = 0;
	memset(res, 0, sizeof(*res));
	memset(live, 0, sizeof(*live));
	res->fns = calloc(opts->bundles_nr + 1, sizeof(*res->fns));
	if (!res->fns)
		return oom(err);
	rc = live_number(&live_n, p, cfg, err);
	if (rc)
		return rc;
	if (live_n) {
		ferry_error_init(&e);
		rc = load_live(live, p, cfg, live_n, &e);
		if (rc == FERRY_ENOTFOUND && opts->force) {
			/* --force republishes everything it was given */
			ferry_warn("%s", e.msg);
		} else if (rc) {
			return ferry_error_set(err, rc, "%s", e.msg);
		} else {
			*have_live = 1;
		}
	}
	for (i = 0; i < opts->bundles_nr; i++) {
		struct plan_item *it = &plan[i];
		struct ferry_deploy_fn *df = &res->fns[i];

		lf = *have_live ? record_fn(live, it->fn->name) : NULL;
		if (!lf)
			it->change = FERRY_CHANGE_NEW;
		else if (strcmp(lf->sha256, it->bundle->sha256) ||
			 strcmp(lf->config_hash, it->config_hash))
			it->change = FERRY_CHANGE_UPDATED;
		else
			it->change = FERRY_CHANGE_UNCHANGED;
		it->publish = opts->force || it->change != FERRY_CHANGE_UNCHANGED;
		*changed |= it->publish;
		df->name = it->fn->name;
		df->change = it->change;
		df->size = it->bundle->zipped;
		memcpy(df->sha256, it->bundle->sha256, 65);
		if (lf && !it->publish)
			snprintf(df->version, sizeof(df->version), "%s",
				 lf->version);
	}
	res->fns_nr = opts->bundles_nr;
	for (i = 0; *have_live && i < live->fns_nr; i++)
		if (!ferry_config_function(cfg, live->fns[i].name)) {
			if (say)
				ferry_info("function '%s' is no longer in the "
					   "manifest; the new release leaves "
					   "it out", live->fns[i].name);
			dropped++;
		}
	*changed |= dropped > 0;
	return 0;
}

int ferry_release_deploy(struct ferry_deploy_result *out,
			 struct ferry_provider *p, const struct ferry_config *cfg,
			 const struct ferry_deploy_opts *opts,
			 struct ferry_error *err)
{
	struct ferry_deploy_result res;
	struct ferry_release live, rec;
	struct plan_item *plan = NULL;
	struct activation *acts = NULL;
	struct numbers nums = { NULL, 0 };
	struct ferry_git_head head;
	struct ferry_error e;
	const struct ferry_release_fn *lf;
	size_t i, j, n;
	int rc = 0, locked = 0, changed = 0, have_live = 0;

	memset(&res, 0, sizeof(res));
	memset(&live, 0, sizeof(live));
	memset(&rec, 0, sizeof(rec));
	plan = calloc(opts->bundles_nr + 1, sizeof(*plan));
	acts = calloc(opts->bundles_nr + 1, sizeof(*acts));
	if (!plan || !acts) {
		rc = oom(err);
		goto out;
	}
	for (i = 0; i < opts->bundles_nr; i++) {
		const struct ferry_bundle *b = &opts->bundles[i];

		plan[i].bundle = b;
		plan[i].fn = ferry_config_function(cfg, b->function);
		if (!plan[i].fn) {
			rc = ferry_error_set(err, FERRY_ENOTFOUND,
					     "function '%s' is not in %s",
					     b->function, cfg->file ?
					     cfg->file : "ferry.yaml");
			goto out;
		}
		for (j = 0; j < i; j++)
			if (plan[j].fn == plan[i].fn) {
				rc = ferry_error_set(err, FERRY_EUSAGE,
						     "function '%s' is given twice",
						     b->function);
				goto out;
			}
		rc = ferry_function_config_hash(plan[i].config_hash,
						plan[i].fn, err);
		if (rc)
			goto out;
	}
	qsort(plan, opts->bundles_nr, sizeof(*plan), cmp_plan);

	/*
	 * A look without the lock first: a deploy that changes nothing
	 * writes nothing at all, not even the lock. When something changed,
	 * plan again under the lock, against what is live by then.
	 */
	rc = plan_deploy(&res, plan, &live, &have_live, &changed, p, cfg, opts,
			 opts->dry_run, err);
	if (rc)
		goto out;
	if (!changed || opts->dry_run)
		goto done;
	ferry_deploy_result_release(&res);
	ferry_release_release(&live);
	rc = lock_take(p, cfg, opts->lock_ttl, err);
	if (rc)
		goto out;
	locked = 1;
	rc = plan_deploy(&res, plan, &live, &have_live, &changed, p, cfg, opts,
			 1, err);
	if (rc)
		goto out;
	if (!changed)
		goto done;

	/* Upload what the store lacks, then publish. */
	rc = list_numbers(&nums, p, cfg, err);
	if (rc)
		goto out;
	for (i = 0; i < opts->bundles_nr; i++)
		plan[i].release = nums.nr ? nums.items[nums.nr - 1] + 1 : 1;
	rc = publish_all(&res.uploads, p, cfg, plan, opts->bundles_nr, &live,
			 have_live, opts->jobs, err);
	if (rc)
		goto out;
	for (i = 0; i < opts->bundles_nr; i++)
		if (plan[i].publish)
			snprintf(res.fns[i].version, sizeof(res.fns[i].version),
				 "%s", plan[i].version.id);

	/* The record: deployed functions, then those carried over. */
	rec.kind = ferry_strdup("deploy");
	rec.fns = calloc(cfg->functions_nr + 1, sizeof(*rec.fns));
	if (!rec.kind || !rec.fns || stamp(&rec, cfg)) {
		rc = oom(err);
		goto out;
	}
	ferry_error_init(&e);
	rc = ferry_git_head(&head, cfg->dir, &e);
	if (!rc) {
		rec.git_commit = ferry_strdup(head.sha);
		rec.git_dirty = head.dirty;
		ferry_git_head_release(&head);
		if (!rec.git_commit) {
			rc = oom(err);
			goto out;
		}
	} else if (rc != FERRY_ENOTFOUND) {
		ferry_warn("recording the release without git information: %s",
			   e.msg);
	}
	rc = 0;
	for (i = 0; i < cfg->functions_nr; i++) {
		const struct ferry_function *fn = &cfg->functions[i];
		struct ferry_release_fn *rf = &rec.fns[rec.fns_nr];
		struct plan_item *it = NULL;

		for (j = 0; j < opts->bundles_nr; j++)
			if (plan[j].fn == fn)
				it = &plan[j];
		lf = have_live ? record_fn(&live, fn->name) : NULL;
		if (it && (it->publish || !lf)) {
			rf->name = ferry_strdup(fn->name);
			rf->version = ferry_strdup(it->version.id);
			memcpy(rf->sha256, it->bundle->sha256, 65);
			memcpy(rf->config_hash, it->config_hash, 65);
			rf->size = it->bundle->zipped;
			rec.fns_nr++;
			if (!rf->name || !rf->version) {
				rc = oom(err);
				goto out;
			}
		} else if (lf) {
			if (copy_fn(rf, lf)) {
				rc = oom(err);
				goto out;
			}
			rec.fns_nr++;
		}
	}
	qsort(rec.fns, rec.fns_nr, sizeof(*rec.fns), cmp_fn);
	rc = check_cancel(&live, have_live, err);
	if (rc)
		goto out;
	rc = create_record(&rec, p, cfg, err);
	if (rc)
		goto out;

	/* Activate, then move the live pointer. */
	for (i = 0, n = 0; i < opts->bundles_nr; i++)
		if (plan[i].publish) {
			acts[n].fn = plan[i].fn;
			acts[n++].v = plan[i].version;
		}
	rc = activate_all(p, acts, n, opts->jobs, err);
	if (rc) {
		/* Put back what we moved, so the live release stays whole. */
		for (i = 0; have_live && i < n; i++) {
			lf = record_fn(&live, acts[i].fn->name);
			if (!acts[i].done || !lf)
				continue;
			snprintf(acts[i].v.id, sizeof(acts[i].v.id), "%s",
				 lf->version);
			ferry_error_init(&e);
			if (p->ops->activate(p, acts[i].fn, &acts[i].v, &e))
				ferry_warn("could not restore '%s' to release "
					   "%u: %s", acts[i].fn->name,
					   live.number, e.msg);
		}
		goto out;
	}
	rc = write_live(p, cfg, rec.number, err);
	if (rc)
		goto out;
	res.release = rec.number;
done:
	*out = res;
	memset(&res, 0, sizeof(res));
out:
	if (locked)
		lock_drop(p, cfg);
	ferry_deploy_result_release(&res);
	ferry_release_release(&live);
	ferry_release_release(&rec);
	free(plan);
	free(acts);
	free(nums.items);
	return rc;
}

/* ---- rollback --------------------------------------------------------- */

/* "1..4", "1, 3..5"; "none" when empty. */
static void describe_numbers(struct ferry_buf *b, const struct numbers *nums)
{
	size_t i = 0, j;

	if (!nums->nr)
		ferry_buf_addstr(b, "none");
	while (i < nums->nr) {
		for (j = i; j + 1 < nums->nr &&
		     nums->items[j + 1] == nums->items[j] + 1; j++)
			;
		ferry_buf_addf(b, "%s%u", i ? ", " : "", nums->items[i]);
		if (j > i)
			ferry_buf_addf(b, "..%u", nums->items[j]);
		i = j + 1;
	}
}

static int nothing_deployed(const struct ferry_config *cfg,
			    struct ferry_error *err)
{
	return ferry_error_set(err, FERRY_ENOTFOUND,
			       "nothing is deployed to stage '%s' of service "
			       "'%s'; run 'ferry deploy' first", cfg->stage,
			       cfg->service);
}

int ferry_release_rollback(struct ferry_release *out, struct ferry_provider *p,
			   const struct ferry_config *cfg, unsigned target,
			   struct ferry_error *err)
{
	struct ferry_release live, to, rec, cand;
	struct ferry_buf have = FERRY_BUF_INIT;
	struct numbers nums = { NULL, 0 };
	unsigned live_n = 0, from;
	size_t i;
	int rc, locked = 0;

	memset(&live, 0, sizeof(live));
	memset(&to, 0, sizeof(to));
	memset(&rec, 0, sizeof(rec));
	rc = lock_take(p, cfg, 0, err);
	if (rc)
		goto out;
	locked = 1;
	rc = live_number(&live_n, p, cfg, err);
	if (rc)
		goto out;
	if (!live_n) {
		rc = nothing_deployed(cfg, err);
		goto out;
	}
	rc = list_numbers(&nums, p, cfg, err);
	if (rc)
		goto out;
	/* rollback N also repairs a stage whose live record went missing */
	rc = load_live(&live, p, cfg, live_n, target ? NULL : err);
	if (rc && !target)
		goto out;
	rc = 0;
	if (target) {
		if (!has_number(&nums, target)) {
			describe_numbers(&have, &nums);
			rc = ferry_error_set(err, FERRY_ENOTFOUND,
					     "release %u does not exist; releases "
					     "of stage '%s': %s", target,
					     cfg->stage, have.buf);
			goto out;
		}
	} else {
		/*
		 * The release before the one now serving: a rollback serves
		 * its target, so repeated rollbacks keep walking back.
		 */
		from = !strcmp(live.kind, "rollback") && live.target ?
			live.target : live.number;
		for (i = nums.nr; !target && i-- > 0;) {
			if (nums.items[i] >= from)
				continue;
			memset(&cand, 0, sizeof(cand));
			rc = load_record(&cand, p, cfg, nums.items[i], err);
			if (rc)
				goto out;
			if (!strcmp(cand.kind, "deploy"))
				target = cand.number;
			ferry_release_release(&cand);
		}
		if (!target) {
			rc = ferry_error_set(err, FERRY_ENOTFOUND,
					     "no release before %u to roll back to",
					     from);
			goto out;
		}
	}
	rc = load_record(&to, p, cfg, target, err);
	if (rc)
		goto out;
	ferry_info("rolling back stage '%s' to release %u", cfg->stage,
		   target);
	rc = check_cancel(&live, live.number != 0, err);
	if (rc)
		goto out;
	rc = activate_record(p, cfg, &to, err);
	if (rc)
		goto out;

	/* The new record serves what `to` served; its git is `to`'s too. */
	rec.kind = ferry_strdup("rollback");
	rec.target = target;
	rec.git_dirty = to.git_dirty;
	rec.fns = calloc(to.fns_nr + 1, sizeof(*rec.fns));
	if (!rec.kind || !rec.fns || stamp(&rec, cfg) ||
	    (to.git_commit && !(rec.git_commit = ferry_strdup(to.git_commit)))) {
		rc = oom(err);
		goto out;
	}
	for (i = 0; i < to.fns_nr; i++) {
		if (copy_fn(&rec.fns[i], &to.fns[i])) {
			rc = oom(err);
			goto out;
		}
		rec.fns_nr++;
	}
	rc = create_record(&rec, p, cfg, err);
	if (!rc)
		rc = write_live(p, cfg, rec.number, err);
	if (rc)
		goto out;
	*out = rec;
	memset(&rec, 0, sizeof(rec));
out:
	if (locked)
		lock_drop(p, cfg);
	ferry_buf_release(&have);
	free(nums.items);
	ferry_release_release(&live);
	ferry_release_release(&to);
	ferry_release_release(&rec);
	return rc;
}

/* ---- list, live, invoke ----------------------------------------------- */

void ferry_release_list_release(struct ferry_release_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nr; i++)
		ferry_release_release(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

int ferry_release_list(struct ferry_release_list *out, struct ferry_provider *p,
		       const struct ferry_config *cfg, struct ferry_error *err)
{
	struct ferry_release_list l;
	struct numbers nums = { NULL, 0 };
	size_t i;
	int rc;

	memset(&l, 0, sizeof(l));
	rc = live_number(&l.live, p, cfg, err);
	if (!rc)
		rc = list_numbers(&nums, p, cfg, err);
	if (rc)
		goto out;
	l.items = calloc(nums.nr + 1, sizeof(*l.items));
	if (!l.items) {
		rc = oom(err);
		goto out;
	}
	l.alloc = nums.nr + 1;
	for (i = nums.nr; i-- > 0;) {
		rc = load_record(&l.items[l.nr], p, cfg, nums.items[i], err);
		if (rc)
			goto out;
		l.nr++;
	}
	*out = l;
	memset(&l, 0, sizeof(l));
out:
	free(nums.items);
	ferry_release_list_release(&l);
	return rc;
}

int ferry_release_live(struct ferry_release *out, struct ferry_provider *p,
		       const struct ferry_config *cfg, struct ferry_error *err)
{
	unsigned n = 0;
	int rc;

	rc = live_number(&n, p, cfg, err);
	if (rc)
		return rc;
	if (!n)
		return nothing_deployed(cfg, err);
	return load_live(out, p, cfg, n, err);
}

int ferry_release_invoke(struct ferry_buf *result, struct ferry_provider *p,
			 const struct ferry_config *cfg,
			 const struct ferry_function *fn,
			 const struct ferry_buf *event, struct ferry_error *err)
{
	struct ferry_release live;
	const struct ferry_release_fn *rf;
	struct ferry_version v;
	int rc;

	memset(&live, 0, sizeof(live));
	rc = ferry_release_live(&live, p, cfg, err);
	if (rc)
		return rc;
	rf = record_fn(&live, fn->name);
	if (!rf) {
		rc = ferry_error_set(err, FERRY_ENOTFOUND,
				     "function '%s' is not deployed to stage '%s' "
				     "(live release %u); run 'ferry deploy %s'",
				     fn->name, cfg->stage, live.number, fn->name);
		goto out;
	}
	snprintf(v.id, sizeof(v.id), "%s", rf->version);
	rc = p->ops->invoke(p, fn, &v, event, result, err);
out:
	ferry_release_release(&live);
	return rc;
}

/* ---- prune and remove ------------------------------------------------- */

/*
 * Delete `<service>/artifacts/<sha>.zip` that no record of any stage of the
 * service references any more.
 */
static int collect_garbage(unsigned *deleted, struct ferry_provider *p,
			   const struct ferry_config *cfg,
			   struct ferry_error *err)
{
	struct ferry_strvec keys = FERRY_STRVEC_INIT;
	struct ferry_strvec used = FERRY_STRVEC_INIT;
	struct ferry_release r;
	char *prefix = ferry_xstrfmt("%s/", cfg->service);
	char *art = ferry_xstrfmt("%s/artifacts/", cfg->service);
	const char *rest, *slash;
	char sha[65];
	size_t i, j, plen;
	int rc;

	if (!prefix || !art) {
		rc = oom(err);
		goto out;
	}
	plen = strlen(prefix);
	rc = p->ops->list(p, prefix, &keys, err);
	if (rc)
		goto out;
	/* records: <service>/<stage>/releases/<N>.json */
	for (i = 0; i < keys.nr; i++) {
		rest = keys.items[i] + plen;
		slash = strchr(rest, '/');
		if (strncmp(keys.items[i], prefix, plen) || !slash ||
		    strncmp(slash, "/releases/", 10) ||
		    !parse_record_name(slash + 10) ||
		    !strncmp(keys.items[i], art, strlen(art)))
			continue;
		memset(&r, 0, sizeof(r));
		rc = load_key(&r, p, keys.items[i], err);
		if (rc == FERRY_ENOTFOUND) {
			ferry_error_clear(err);	/* deleted meanwhile */
			rc = 0;
			continue;
		}
		if (rc)
			goto out;
		for (j = 0; !rc && j < r.fns_nr; j++)
			if (ferry_strvec_find(&used, r.fns[j].sha256) < 0 &&
			    ferry_strvec_push(&used, r.fns[j].sha256))
				rc = oom(err);
		ferry_release_release(&r);
		if (rc)
			goto out;
	}
	for (i = 0; i < keys.nr; i++) {
		rest = keys.items[i];
		if (strncmp(rest, art, strlen(art)))
			continue;
		rest += strlen(art);
		if (strlen(rest) != 68 || strcmp(rest + 64, ".zip"))
			continue;
		memcpy(sha, rest, 64);
		sha[64] = '\0';
		if (!is_hex64(sha) || ferry_strvec_find(&used, sha) >= 0)
			continue;
		ferry_debug("deleting artifact %s", keys.items[i]);
		rc = p->ops->del(p, keys.items[i], err);
		if (rc)
			goto out;
		(*deleted)++;
	}
out:
	free(prefix);
	free(art);
	ferry_strvec_release(&keys);
	ferry_strvec_release(&used);
	return rc;
}

/* The live release number (0: none) and every record number, ascending. */
static int stage_state(unsigned *live_n, struct numbers *nums,
		       struct ferry_provider *p, const struct ferry_config *cfg,
		       struct ferry_error *err)
{
	int rc = live_number(live_n, p, cfg, err);

	return rc ? rc : list_numbers(nums, p, cfg, err);
}

int ferry_release_prune(struct ferry_prune_result *out,
			struct ferry_provider *p, const struct ferry_config *cfg,
			unsigned keep, struct ferry_error *err)
{
	struct ferry_prune_result res = { 0, 0 };
	struct numbers nums = { NULL, 0 };
	unsigned live_n = 0;
	char *key = NULL;
	size_t i;
	int rc, locked = 0;

	rc = lock_take(p, cfg, 0, err);
	if (rc)
		goto out;
	locked = 1;
	rc = stage_state(&live_n, &nums, p, cfg, err);
	if (rc)
		goto out;
	/* nums is ascending: the newest `keep` are at the end */
	for (i = 0; i + keep < nums.nr; i++) {
		if (nums.items[i] == live_n)
			continue;
		key = record_key(cfg, nums.items[i]);
		if (!key) {
			rc = oom(err);
			goto out;
		}
		rc = p->ops->del(p, key, err);
		free(key);
		key = NULL;
		if (rc)
			goto out;
		res.records++;
	}
	rc = collect_garbage(&res.artifacts, p, cfg, err);
	if (rc)
		goto out;
	*out = res;
out:
	if (locked)
		lock_drop(p, cfg);
	free(nums.items);
	return rc;
}

int ferry_release_remove(struct ferry_provider *p,
			 const struct ferry_config *cfg, int purge,
			 struct ferry_error *err)
{
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	struct numbers nums = { NULL, 0 };
	struct ferry_release r;
	struct fn_ref ref;
	unsigned live_n = 0, deleted = 0;
	char *key = NULL;
	size_t i, j;
	int rc, locked = 0;

	rc = lock_take(p, cfg, 0, err);
	if (rc)
		goto out;
	locked = 1;
	rc = stage_state(&live_n, &nums, p, cfg, err);
	if (rc)
		goto out;
	if (!live_n && !nums.nr) {
		rc = nothing_deployed(cfg, err);
		goto out;
	}
	/* Every function any record of the stage ever deployed. */
	for (i = 0; i < nums.nr; i++) {
		memset(&r, 0, sizeof(r));
		rc = load_record(&r, p, cfg, nums.items[i], err);
		if (rc)
			goto out;
		for (j = 0; !rc && j < r.fns_nr; j++)
			if (ferry_strvec_find(&names, r.fns[j].name) < 0 &&
			    ferry_strvec_push(&names, r.fns[j].name))
				rc = oom(err);
		ferry_release_release(&r);
		if (rc)
			goto out;
	}
	ferry_strvec_sort(&names);
	for (i = 0; i < names.nr; i++) {
		if (fn_ref(&ref, cfg, names.items[i])) {
			rc = oom(err);
			goto out;
		}
		ferry_info("removing %s", names.items[i]);
		rc = p->ops->remove(p, ref.fn, err);
		fn_ref_release(&ref);
		if (rc)
			goto out;
	}
	if (p->ops->remove_stage) {
		rc = p->ops->remove_stage(p, err);
		if (rc)
			goto out;
	}
	/* The live pointer first: a half-done remove leaves nothing live. */
	key = stage_key(cfg, "live.json");
	if (!key) {
		rc = oom(err);
		goto out;
	}
	rc = p->ops->del(p, key, err);
	if (rc)
		goto out;
	for (i = 0; i < nums.nr; i++) {
		free(key);
		key = record_key(cfg, nums.items[i]);
		if (!key) {
			rc = oom(err);
			goto out;
		}
		rc = p->ops->del(p, key, err);
		if (rc)
			goto out;
	}
	if (purge) {
		rc = collect_garbage(&deleted, p, cfg, err);
		if (rc)
			goto out;
		ferry_info("deleted %u artifacts", deleted);
	}
out:
	if (locked)
		lock_drop(p, cfg);
	free(key);
	free(nums.items);
	ferry_strvec_release(&names);
	return rc;
}
