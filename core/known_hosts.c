/*
 * known_hosts.c - is this the ssh host key we know? Reads OpenSSH's
 * known_hosts files (user's and system's) and judges the key a server
 * offered, as `ssh -o StrictHostKeyChecking=yes` would. It never writes a
 * known_hosts file, never asks, and knows nothing about git or libssh2:
 * core/git.c hands it the host, port and raw key blob. Host certificates
 * (@cert-authority) are not verified, so such lines are skipped.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/buf.h"
#include "ferry/fs.h"
#include "ferry/hash.h"
#include "ferry/known_hosts.h"

#define SYSTEM_FILE "/etc/ssh/ssh_known_hosts"
#define USER_FILE_SHOWN "~/.ssh/known_hosts"

/* Decode base64 into `out`, emptied first: 1 when not base64, FERRY_ENOMEM. */
static int unbase64(struct ferry_buf *out, const char *s, size_t n)
{
	ferry_buf_reset(out);
	return ferry_buf_add_unbase64(out, s, n);
}

/* The key type a wire-format key blob starts with; -1 when malformed. */
static int blob_type(const char **type, size_t *len, const void *blob,
		     size_t n)
{
	const unsigned char *b = blob;
	uint32_t l;

	if (n < 4)
		return -1;
	l = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	if (!l || l > n - 4)
		return -1;
	*type = (const char *)b + 4;
	*len = l;
	return 0;
}

/* 1 if `s` matches the glob `p`..`pe` ('*' any run, '?' one character). */
static int glob_match(const char *s, const char *p, const char *pe)
{
	for (;;) {
		if (p == pe)
			return !*s;
		if (*p == '*') {
			while (p < pe && *p == '*')
				p++;
			if (p == pe)
				return 1;
			for (;; s++) {
				if (glob_match(s, p, pe))
					return 1;
				if (!*s)
					return 0;
			}
		}
		if (!*s || (*p != '?' &&
			    tolower((unsigned char)*p) != (unsigned char)*s))
			return 0;
		s++;
		p++;
	}
}

/*
 * Does the comma-separated pattern list `p`..`pe` name `name` (lowercase)?
 * 1 yes, 0 no, -1 a negated pattern matched (which rules the line out).
 */
static int match_patterns(const char *name, const char *p, const char *pe)
{
	const char *q;
	int found = 0, neg;

	while (p < pe) {
		q = memchr(p, ',', (size_t)(pe - p));
		if (!q)
			q = pe;
		neg = *p == '!';
		if (glob_match(name, p + neg, q)) {
			if (neg)
				return -1;
			found = 1;
		}
		p = q + 1;
	}
	return found;
}

/*
 * Does the hashed entry `f` ("|1|salt|hmac", `n` bytes) name `name`?
 * Sets *hit; a malformed entry names nothing.
 */
static int match_hashed(int *hit, const char *f, size_t n, const char *name,
			struct ferry_buf *salt, struct ferry_buf *mac,
			struct ferry_error *err)
{
	unsigned char md[FERRY_SHA1_LEN];
	const char *bar;
	int rc;

	*hit = 0;
	bar = memchr(f + 3, '|', n - 3);
	if (!bar)
		return 0;
	rc = unbase64(salt, f + 3, (size_t)(bar - f - 3));
	if (!rc)
		rc = unbase64(mac, bar + 1, (size_t)(f + n - bar - 1));
	if (rc < 0)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	if (rc || !salt->len || mac->len != FERRY_SHA1_LEN)
		return 0;
	rc = ferry_hmac_sha1(md, salt->buf, salt->len, name, strlen(name),
			     err);
	if (rc)
		return rc;
	*hit = !memcmp(md, mac->buf, FERRY_SHA1_LEN);
	return 0;
}

/* What one line says about the host and its key (best is highest). */
enum verdict {
	V_NONE = 0,	/* not about this host, or not a usable line */
	V_OTHER_TYPE,	/* a key of another type for it */
	V_CHANGED,	/* another key of the same type for it */
	V_OK,		/* this very key for it */
	V_REVOKED,	/* this very key, marked @revoked */
};

struct scratch {
	struct ferry_buf blob, salt, mac;
};

/* Split off the next blank-separated field of `*p`..`e`; 0 at the end. */
static size_t next_field(const char **f, const char **p, const char *e)
{
	const char *s = *p;
	size_t n;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	for (n = 0; s + n < e && s[n] != ' ' && s[n] != '\t'; n++)
		;
	*f = s;
	*p = s + n;
	return n;
}

/* Judge the line `p`..`e` (no newline) for `name` and the offered key. */
static int judge_line(enum verdict *v, const char *p, const char *e,
		      const char *name, const void *key, size_t keylen,
		      struct scratch *s, struct ferry_error *err)
{
	const char *f, *hosts, *t1, *t2;
	size_t n, hlen, l1, l2;
	int revoked = 0, hit, rc;

	*v = V_NONE;
	n = next_field(&f, &p, e);
	if (!n || *f == '#')
		return 0;
	if (*f == '@') {
		if (n != 8 || strncmp(f, "@revoked", 8))
			return 0;	/* @cert-authority, or unknown */
		revoked = 1;
		n = next_field(&f, &p, e);
	}
	hosts = f;
	hlen = n;
	if (!next_field(&f, &p, e))	/* key type */
		return 0;
	n = next_field(&f, &p, e);	/* base64 key */
	if (!hlen || !n)
		return 0;
	if (hlen > 3 && !strncmp(hosts, "|1|", 3)) {
		rc = match_hashed(&hit, hosts, hlen, name, &s->salt, &s->mac,
				  err);
		if (rc)
			return rc;
	} else {
		hit = match_patterns(name, hosts, hosts + hlen) > 0;
	}
	if (!hit)
		return 0;
	rc = unbase64(&s->blob, f, n);
	if (rc < 0)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	if (rc || !s->blob.len)
		return 0;
	if (s->blob.len == keylen && !memcmp(s->blob.buf, key, keylen)) {
		*v = revoked ? V_REVOKED : V_OK;
		return 0;
	}
	/* revoking another key says nothing of this one */
	if (revoked)
		return 0;
	if (blob_type(&t1, &l1, s->blob.buf, s->blob.len) ||
	    blob_type(&t2, &l2, key, keylen))
		return 0;
	*v = l1 == l2 && !memcmp(t1, t2, l1) ? V_CHANGED : V_OTHER_TYPE;
	return 0;
}

/* The name ssh looks up: "host", or "[host]:port" off port 22; lowercase. */
static char *lookup_name(const char *host, unsigned port)
{
	char *name, *c;

	if (!port || port == 22)
		name = ferry_strdup(host);
	else
		name = ferry_xstrfmt("[%s]:%u", host, port);
	for (c = name; c && *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return name;
}

static const enum ferry_host_status status_of[] = {
	[V_NONE] = FERRY_HOST_UNKNOWN,
	[V_OTHER_TYPE] = FERRY_HOST_UNKNOWN,
	[V_CHANGED] = FERRY_HOST_CHANGED,
	[V_OK] = FERRY_HOST_OK,
	[V_REVOKED] = FERRY_HOST_REVOKED,
};

int ferry_known_hosts_match(struct ferry_host_match *out, const char *text,
			    size_t len, const char *host, unsigned port,
			    const void *key, size_t keylen,
			    struct ferry_error *err)
{
	struct scratch s = {
		FERRY_BUF_INIT, FERRY_BUF_INIT, FERRY_BUF_INIT,
	};
	struct ferry_host_match m = { FERRY_HOST_UNKNOWN, 0, 0 };
	const char *p = text, *end = text + len, *eol, *e;
	enum verdict best = V_NONE, v;
	char *name = NULL;
	size_t lineno = 0;
	int rc = 0;

	name = lookup_name(host, port);
	if (!name) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		lineno++;
		e = eol;
		if (e > p && e[-1] == '\r')
			e--;
		rc = judge_line(&v, p, e, name, key, keylen, &s, err);
		if (rc)
			goto out;
		if (v == V_OTHER_TYPE)
			m.other_types = 1;
		else if (v > best) {
			best = v;
			m.line = lineno;
		}
		p = eol + 1;
	}
	m.status = status_of[best];
	*out = m;
out:
	ferry_buf_release(&s.blob);
	ferry_buf_release(&s.salt);
	ferry_buf_release(&s.mac);
	free(name);
	return rc;
}

/*
 * "TYPE SHA256:FINGERPRINT" of the offered key, as `ssh-keygen -l` shows
 * it. The type comes from the server: anything but [A-Za-z0-9@._-] is
 * shown as '?' so a hostile server cannot write to the terminal.
 */
static int describe_key(struct ferry_buf *out, const void *key,
			size_t keylen, struct ferry_error *err)
{
	unsigned char md[FERRY_SHA256_LEN];
	const char *type = "unknown";
	size_t tlen = 7, i;
	int rc = 0;
	char c;

	if (blob_type(&type, &tlen, key, keylen) || tlen > 64) {
		type = "unknown";
		tlen = 7;
	}
	for (i = 0; i < tlen; i++) {
		c = type[i];
		if (!isalnum((unsigned char)c) && !strchr("@._-", c))
			c = '?';
		rc |= ferry_buf_addch(out, c);
	}
	rc |= ferry_buf_addstr(out, " SHA256:");
	if (rc)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	rc = ferry_sha256_raw(md, key, keylen, err);
	if (rc)
		return rc;
	if (ferry_buf_add_base64(out, md, sizeof(md), 0))
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	return 0;
}

/* The refusal for a host whose key is not OK; always FERRY_EAUTH. */
static int refuse(const struct ferry_host_match *m, const char *file,
		  int user_file, const char *host, unsigned port,
		  const char *system_shown, const void *key, size_t keylen,
		  struct ferry_error *err)
{
	struct ferry_buf desc = FERRY_BUF_INIT;
	char *name = NULL, portopt[16] = "";
	int rc;

	rc = describe_key(&desc, key, keylen, err);
	if (rc)
		goto out;
	name = lookup_name(host, port);
	if (!name) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	if (port && port != 22)
		snprintf(portopt, sizeof(portopt), "-p %u ", port);
	if (m->status == FERRY_HOST_REVOKED)
		rc = ferry_error_set(err, FERRY_EAUTH, "ssh host key of %s "
				     "(%s) is marked @revoked in %s:%zu; "
				     "refusing to connect", name, desc.buf,
				     file, m->line);
	else if (m->status == FERRY_HOST_CHANGED)
		rc = ferry_error_set(err, FERRY_EAUTH, "ssh host key of %s has "
				     "CHANGED: it offers %s, but %s:%zu holds "
				     "another key of that type; this is a "
				     "possible man-in-the-middle attack, or "
				     "the host's key was replaced: confirm the "
				     "new key with the host's owner, then "
				     "remove the old one "
				     "(ssh-keygen -R '%s'%s%s)",
				     name, desc.buf, file, m->line, name,
				     user_file ? "" : " -f ",
				     user_file ? "" : file);
	else
		rc = ferry_error_set(err, FERRY_EAUTH, "ssh host key of %s is "
				     "not in " USER_FILE_SHOWN " or %s (it "
				     "offers %s%s); check it and add it "
				     "(ssh-keyscan %s%s >> "
				     USER_FILE_SHOWN ")",
				     name, system_shown, desc.buf,
				     m->other_types ? "; only keys of other "
				     "types are known for it" : "",
				     portopt, host);
out:
	ferry_buf_release(&desc);
	free(name);
	return rc;
}

/* Rank of a status when two files disagree: revoked, ok, changed, unknown. */
static int rank(enum ferry_host_status s)
{
	static const int r[] = {
		[FERRY_HOST_UNKNOWN] = 0, [FERRY_HOST_CHANGED] = 1,
		[FERRY_HOST_OK] = 2, [FERRY_HOST_REVOKED] = 3,
	};

	return r[s];
}

int ferry_known_hosts_verify(const char *host, unsigned port,
			     const void *key, size_t keylen,
			     const char *system_file, struct ferry_error *err)
{
	struct ferry_host_match best = { FERRY_HOST_UNKNOWN, 0, 0 }, m;
	struct ferry_buf text = FERRY_BUF_INIT;
	struct ferry_error rerr;
	const char *home = getenv("HOME"), *paths[2], *shown[2];
	const char *decided = USER_FILE_SHOWN;
	char *user = NULL;
	int rc = 0, user_decided = 1, other = 0;

	if (!system_file)
		system_file = SYSTEM_FILE;
	if (home && *home) {
		user = ferry_path_join(home, ".ssh/known_hosts");
		if (!user) {
			rc = ferry_error_set(err, FERRY_ENOMEM,
					     "out of memory");
			goto out;
		}
	}
	paths[0] = user;
	shown[0] = USER_FILE_SHOWN;
	paths[1] = system_file;
	shown[1] = system_file;
	for (int i = 0; i < 2; i++) {
		if (!paths[i])
			continue;
		ferry_buf_reset(&text);
		ferry_error_init(&rerr);
		rc = ferry_fs_read(&text, paths[i], 0, &rerr);
		if (rc == FERRY_ENOTFOUND)
			continue;
		if (rc) {
			rc = ferry_error_set(err, rc, "%s", rerr.msg);
			goto out;
		}
		rc = ferry_known_hosts_match(&m, text.buf, text.len, host, port,
					     key, keylen, err);
		if (rc)
			goto out;
		other |= m.other_types;
		if (rank(m.status) > rank(best.status)) {
			best = m;
			decided = shown[i];
			user_decided = i == 0;
		}
	}
	rc = 0;
	best.other_types = other;
	if (best.status != FERRY_HOST_OK)
		rc = refuse(&best, decided, user_decided, host, port,
			    system_file, key, keylen, err);
out:
	ferry_buf_release(&text);
	free(user);
	return rc;
}
