/*
 * hash.c - SHA-256 through OpenSSL's EVP interface, as lowercase hex or raw
 * bytes, and one-shot HMAC-SHA256 and HMAC-SHA1. Knows nothing about what is hashed or signed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ferry/hash.h"
#include "ferry/lazy.h"

/*
 * libcrypto is loaded on first use (ferry/lazy.h): mapping it costs about
 * 2.5 ms, more than the whole start-up budget of commands that never hash.
 */
/* clang-format off */
#define CRYPTO_FUNCS(X) \
	X(EVP_MD_CTX_new) \
	X(EVP_MD_CTX_free) \
	X(EVP_DigestInit_ex) \
	X(EVP_DigestUpdate) \
	X(EVP_DigestFinal_ex) \
	X(EVP_sha256) \
	X(EVP_sha1) \
	X(EVP_Digest) \
	X(HMAC) \
	X(OPENSSL_cleanse)

#define DECLARE(f) static __typeof__(f) *p_##f;
CRYPTO_FUNCS(DECLARE)
#undef DECLARE

#define SYMBOL(f) { #f, (void **)&p_##f },
static const struct ferry_lazy_sym crypto_syms[] = {
	CRYPTO_FUNCS(SYMBOL)
	{ NULL, NULL },
};
#undef SYMBOL

static struct ferry_lazy_lib crypto_lib = {
	FERRY_SONAME_CRYPTO, crypto_syms, 0, NULL,
};
/* clang-format on */

void ferry_hash_hex(char *hex, const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *md = data;
	size_t i;

	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * len] = '\0';
}

int ferry_sha256_begin(struct ferry_sha256 *h, struct ferry_error *err)
{
	EVP_MD_CTX *ctx;
	int rc;

	h->ctx = NULL;
	rc = ferry_lazy_load(&crypto_lib, err);
	if (rc)
		return rc;
	ctx = p_EVP_MD_CTX_new();
	if (!ctx)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	if (p_EVP_DigestInit_ex(ctx, p_EVP_sha256(), NULL) != 1) {
		p_EVP_MD_CTX_free(ctx);
		return ferry_error_set(err, FERRY_EFAIL, "sha256: cannot initialise");
	}
	h->ctx = ctx;
	return 0;
}

int ferry_sha256_update(struct ferry_sha256 *h, const void *data, size_t len,
			struct ferry_error *err)
{
	if (p_EVP_DigestUpdate(h->ctx, data, len) != 1)
		return ferry_error_set(err, FERRY_EFAIL, "sha256: update failed");
	return 0;
}

int ferry_sha256_end(struct ferry_sha256 *h, char hex[FERRY_SHA256_HEX],
		     struct ferry_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	int rc = 0;

	if (p_EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != 32)
		rc = ferry_error_set(err, FERRY_EFAIL, "sha256: final failed");
	else
		ferry_hash_hex(hex, md, len);
	ferry_sha256_abort(h);
	return rc;
}

void ferry_sha256_abort(struct ferry_sha256 *h)
{
	if (h->ctx)
		p_EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int ferry_sha256_mem(char hex[FERRY_SHA256_HEX], const void *data, size_t len,
		     struct ferry_error *err)
{
	struct ferry_sha256 h;
	int rc;

	rc = ferry_sha256_begin(&h, err);
	if (rc)
		return rc;
	rc = ferry_sha256_update(&h, data, len, err);
	if (rc) {
		ferry_sha256_abort(&h);
		return rc;
	}
	return ferry_sha256_end(&h, hex, err);
}

int ferry_sha256_file(char hex[FERRY_SHA256_HEX], const char *path,
		      struct ferry_error *err)
{
	struct ferry_sha256 h = { NULL };
	unsigned char chunk[65536];
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ferry_error_errno(err, errno == ENOENT ? FERRY_ENOTFOUND :
					 FERRY_EFAIL, errno, "cannot open '%s'", path);
	rc = ferry_sha256_begin(&h, err);
	if (rc)
		goto out;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = ferry_error_errno(err, FERRY_EFAIL, errno,
					       "cannot read '%s'", path);
			goto out;
		}
		rc = ferry_sha256_update(&h, chunk, (size_t)n, err);
		if (rc)
			goto out;
	}
	rc = ferry_sha256_end(&h, hex, err);
out:
	ferry_sha256_abort(&h);
	close(fd);
	return rc;
}

/* One-shot HMAC-SHA1 (`sha1`) or HMAC-SHA256, of `want` bytes. */
static int hmac(unsigned char *mac, size_t want, int sha1, const char *name,
		const void *key, size_t keylen, const void *data, size_t len,
		struct ferry_error *err)
{
	const EVP_MD *md;
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned outlen = 0;
	int rc;

	rc = ferry_lazy_load(&crypto_lib, err);
	if (rc)
		return rc;
	if (keylen > INT_MAX)
		return ferry_error_set(err, FERRY_EFAIL, "hmac: key too long");
	md = sha1 ? p_EVP_sha1() : p_EVP_sha256();
	/* HMAC() takes a NULL data pointer for an empty message badly */
	if (!p_HMAC(md, key, (int)keylen, len ? data : (const void *)"", len,
		    out, &outlen) || outlen != want) {
		rc = ferry_error_set(err, FERRY_EFAIL, "hmac: %s failed", name);
		goto out;
	}
	memcpy(mac, out, want);
out:
	p_OPENSSL_cleanse(out, sizeof(out));
	return rc;
}

int ferry_hmac_sha256(unsigned char mac[FERRY_SHA256_LEN], const void *key,
		      size_t keylen, const void *data, size_t len,
		      struct ferry_error *err)
{
	return hmac(mac, FERRY_SHA256_LEN, 0, "sha256", key, keylen, data,
		    len, err);
}

int ferry_hmac_sha1(unsigned char mac[FERRY_SHA1_LEN], const void *key,
		    size_t keylen, const void *data, size_t len,
		    struct ferry_error *err)
{
	return hmac(mac, FERRY_SHA1_LEN, 1, "sha1", key, keylen, data,
		    len, err);
}

int ferry_sha256_raw(unsigned char md[FERRY_SHA256_LEN], const void *data,
		     size_t len, struct ferry_error *err)
{
	unsigned mdlen = 0;
	int rc;

	rc = ferry_lazy_load(&crypto_lib, err);
	if (rc)
		return rc;
	if (!p_EVP_Digest(len ? data : (const void *)"", len, md, &mdlen,
			  p_EVP_sha256(), NULL) || mdlen != FERRY_SHA256_LEN)
		return ferry_error_set(err, FERRY_EFAIL, "sha256 failed");
	return 0;
}

void ferry_hash_cleanse(void *p, size_t len)
{
	volatile unsigned char *v = p;
	size_t i;

	if (!p || !len)
		return;
	if (ferry_lazy_load(&crypto_lib, NULL) == 0) {
		p_OPENSSL_cleanse(p, len);
		return;
	}
	for (i = 0; i < len; i++)
		v[i] = 0;
}
