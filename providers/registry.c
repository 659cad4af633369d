/*
 * registry.c - the table of providers compiled into ferry, look-up by name
 * and opening the one a configuration asks for. It knows nothing about what
 * a provider does; each lives in its own folder and exports one ops table.
 */
#include <stddef.h>
#include <string.h>

#include "ferry/buf.h"
#include "ferry/provider.h"

extern const struct ferry_provider_ops ferry_provider_local;
extern const struct ferry_provider_ops ferry_provider_aws;

/* Add a provider: declare its ops above and list it here and in names[]. */
static const struct ferry_provider_ops *const providers[] = {
	&ferry_provider_local,
	&ferry_provider_aws,
};

static const char *const names[] = {
	"local",
	"aws",
	NULL,
};

#define NR_PROVIDERS (sizeof(providers) / sizeof(providers[0]))

const struct ferry_provider_ops *ferry_provider_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < NR_PROVIDERS; i++)
		if (!strcmp(providers[i]->name, name))
			return providers[i];
	return NULL;
}

const char *const *ferry_provider_names(void)
{
	return names;
}

int ferry_provider_open(struct ferry_provider *p,
			const struct ferry_config *cfg,
			struct ferry_error *err)
{
	const struct ferry_provider_ops *ops;
	struct ferry_buf known = FERRY_BUF_INIT;
	size_t i;
	int rc;

	p->ops = NULL;
	p->cfg = NULL;
	p->data = NULL;
	ops = ferry_provider_find(cfg->provider);
	if (!ops) {
		for (i = 0; names[i]; i++)
			ferry_buf_addf(&known, "%s%s", i ? ", " : "", names[i]);
		rc = ferry_error_set(err, FERRY_ECONFIG,
				     "unknown provider '%s'; known providers: %s",
				     cfg->provider ? cfg->provider : "",
				     known.buf);
		ferry_buf_release(&known);
		return rc;
	}
	p->ops = ops;
	p->cfg = cfg;
	rc = ops->open(p, cfg, err);
	if (rc) {
		ops->close(p);
		p->ops = NULL;
		p->cfg = NULL;
		p->data = NULL;
	}
	return rc;
}

void ferry_provider_close(struct ferry_provider *p)
{
	if (!p || !p->ops)
		return;
	p->ops->close(p);
	p->ops = NULL;
	p->cfg = NULL;
	p->data = NULL;
}
