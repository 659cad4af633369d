/*
 * hash.c - SHA-256 through OpenSSL's EVP interface, as lowercase hex.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <openssl/evp.h>

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
	X(EVP_sha256)

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

static void to_hex(char hex[FERRY_SHA256_HEX], const unsigned char *md,
		   unsigned len)
{
	static const char digits[] = "0123456789abcdef";
	unsigned i;

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
		to_hex(hex, md, len);
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
