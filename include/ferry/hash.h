/*
 * hash.h - SHA-256 of memory and files (OpenSSL), as lowercase hex.
 */
#ifndef FERRY_HASH_H
#define FERRY_HASH_H

#include <stddef.h>

#include "error.h"

#define FERRY_SHA256_HEX 65	/* 64 hex digits and a NUL */

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

#endif
