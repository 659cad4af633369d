/*
 * known_hosts.h - check an ssh server's host key against OpenSSH's
 * known_hosts files, as `ssh` does with StrictHostKeyChecking=yes: ferry
 * never adds a key and never asks, it refuses and says how to add one.
 *
 * The lookup name is the host for port 22 and "[host]:port" otherwise.
 * A line is `[@marker] patterns keytype base64-key [comment]`; patterns
 * are comma-separated, `*` and `?` are wildcards, a leading `!` negates
 * (a matching negated pattern rules the line out), matching ignores case,
 * and `|1|base64-salt|base64-hmac` is a hashed name (HMAC-SHA1 of the
 * lookup name keyed by the salt, as written by `ssh-keygen -H`).
 * `@revoked` lines reject their key, `@cert-authority` lines are ignored
 * (ferry does not verify host certificates), and comments, blank and
 * malformed lines are skipped. Keys are compared as whole wire-format
 * blobs (the base64-decoded key field).
 */
#ifndef FERRY_KNOWN_HOSTS_H
#define FERRY_KNOWN_HOSTS_H

#include <stddef.h>

#include "error.h"

/* What known_hosts lines say about one host and the key it offered. */
enum ferry_host_status {
	FERRY_HOST_UNKNOWN = 0,	/* no line holds a key of this type for it */
	FERRY_HOST_OK,		/* a line holds exactly this key for it */
	FERRY_HOST_CHANGED,	/* lines hold other keys of the same type */
	FERRY_HOST_REVOKED,	/* an @revoked line for it holds this key */
};

struct ferry_host_match {
	enum ferry_host_status status;
	size_t line;		/* 1-based line that decided; 0 when unknown */
	int other_types;	/* 1 if keys of other types are known for it */
};

/*
 * Look `host` on `port` (0 means 22) up in the known_hosts text `text` of
 * `len` bytes, for the offered key blob `key` of `keylen` bytes. Revoked
 * outranks a match, a match outranks a changed key: the first line of the
 * strongest kind decides. A key of another type than the offered one is
 * not a change (ssh would have negotiated that type), only `other_types`.
 * 0 and *out set; FERRY_EFAIL (with *out untouched) when a hashed line
 * needs libcrypto and it cannot be loaded, FERRY_ENOMEM. Nothing is
 * borrowed past the call.
 */
int ferry_known_hosts_match(struct ferry_host_match *out, const char *text,
			    size_t len, const char *host, unsigned port,
			    const void *key, size_t keylen,
			    struct ferry_error *err);

/*
 * Verify the key blob `key` that `host` offered on `port` (0 means 22)
 * against ~/.ssh/known_hosts (HOME from the environment; skipped without
 * HOME) and `system_file` (NULL: /etc/ssh/ssh_known_hosts), read as one
 * list as ssh does; missing files count as empty.
 * 0 when a line holds the key. FERRY_EAUTH when the host is unknown
 * ("ssh host key of HOST is not in ~/.ssh/known_hosts or ...; check it
 * and add it (ssh-keyscan ...)"), its key changed ("ssh host key of HOST
 * has CHANGED ... possible man-in-the-middle") or is revoked; each
 * message names the offered key's type and SHA256 fingerprint.
 * FERRY_EFAIL when a file exists but cannot be read (FERRY_EAUTH when
 * permission is denied), FERRY_ENOMEM.
 */
int ferry_known_hosts_verify(const char *host, unsigned port,
			     const void *key, size_t keylen,
			     const char *system_file, struct ferry_error *err);

#endif
