/*
 * lazy.c - dlopen() of a wrapped library on first use (see lazy.h). Knows
 * nothing about any particular library.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#include "ferry/lazy.h"

/* Bundles are zipped on several threads; each may be the first user. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int load(struct ferry_lazy_lib *lib, struct ferry_error *err)
{
	const struct ferry_lazy_sym *s;
	const char *why;

	if (lib->state > 0)
		return 0;
	if (lib->state < 0)
		return ferry_error_set(err, FERRY_EFAIL, "cannot load '%s'",
				       lib->soname);
	lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib->handle) {
		lib->state = -1;
		why = dlerror();
		return ferry_error_set(err, FERRY_EFAIL,
				       "cannot load '%s' (%s); install it with the system's package manager",
				       lib->soname, why ? why : "not found");
	}
	for (s = lib->syms; s->name; s++) {
		*s->slot = dlsym(lib->handle, s->name);
		if (!*s->slot) {
			lib->state = -1;
			return ferry_error_set(err, FERRY_EFAIL,
					       "'%s' has no symbol '%s'; ferry needs a newer version",
					       lib->soname, s->name);
		}
	}
	lib->state = 1;
	return 0;
}

int ferry_lazy_load(struct ferry_lazy_lib *lib, struct ferry_error *err)
{
	int rc;

	pthread_mutex_lock(&lock);
	rc = load(lib, err);
	pthread_mutex_unlock(&lock);
	return rc;
}
