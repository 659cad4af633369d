/*
 * hash.h - SHA-256 of memory and files (OpenSSL), as lowercase hex or raw
 * bytes, HMAC-SHA256 (raw bytes) for request signing (sigv4.h) and
 * HMAC-SHA1 for the hashed host names of ssh's known_hosts.
 */
#ifndef FERRY_HASH_H
#define FERRY_HASH_H

#include <stddef.h>

#include "error.h"

#define FERRY_SHA256_HEX 65	/* 64 hex digits and a NUL */
#define FERRY_SHA256_LEN 32	/* raw digest bytes */
#define FERRY_SHA1_LEN 20	/* raw HMAC-SHA1 bytes */

struct ferry_sha256 {
	void *ctx;	/* owned: EVP_MD_CTX */
};

int ferry_sha256_begin(struct ferry_sha256 *h, struct ferry_error *err);
int ferry_sha256_update(struct ferry_sha256 *h, const void *data, size_t len,
			struct ferry_error *err);
/* Finish into `hex` and free the context. */
int ferry_sha256_end(struct ferry_sha256 *h, char hex[FERRY_SHA256_HEX],
		     struct ferry_error *err);
/* Free the context without a result (safe after _end and on a zeroed struct). */
void ferry_sha256_abort(struct ferry_sha256 *h);

int ferry_sha256_mem(char hex[FERRY_SHA256_HEX], const void *data, size_t len,
		     struct ferry_error *err);
int ferry_sha256_file(char hex[FERRY_SHA256_HEX], const char *path,
		      struct ferry_error *err);

/*
 * HMAC-SHA256 of `data` under `key`, as FERRY_SHA256_LEN raw bytes in `mac`.
 * FERRY_EFAIL when libcrypto cannot be loaded or the MAC fails (then `mac`
 * is left as it was). The key is only read; wiping it is the caller's job.
 */
int ferry_hmac_sha256(unsigned char mac[FERRY_SHA256_LEN], const void *key,
		      size_t keylen, const void *data, size_t len,
		      struct ferry_error *err);

/* HMAC-SHA1, otherwise as ferry_hmac_sha256(). */
int ferry_hmac_sha1(unsigned char mac[FERRY_SHA1_LEN], const void *key,
		    size_t keylen, const void *data, size_t len,
		    struct ferry_error *err);

/* SHA-256 of `len` bytes as FERRY_SHA256_LEN raw bytes; FERRY_EFAIL. */
int ferry_sha256_raw(unsigned char md[FERRY_SHA256_LEN], const void *data,
		     size_t len, struct ferry_error *err);

/*
 * Lowercase hex of `len` bytes into `hex`, which must hold 2 * len + 1
 * characters (it is NUL-terminated).
 */
void ferry_hash_hex(char *hex, const void *data, size_t len);

/*
 * Wipe `len` bytes at `p` (secrets, derived keys) in a way the compiler
 * cannot drop: OPENSSL_cleanse when libcrypto loads, else a volatile loop.
 * NULL or 0 is a no-op. Never fails.
 */
void ferry_hash_cleanse(void *p, size_t len);

#endif
