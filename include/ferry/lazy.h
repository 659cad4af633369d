/*
 * lazy.h - load a heavy shared library on first use instead of at start.
 *
 * Linking libarchive, libgit2 and libcurl pulls about thirty shared objects
 * into every ferry process and costs more start-up time than the whole of
 * `ferry version` may take (shared/notes/RUNTIME.md). The one core module
 * that wraps such a library declares the functions it uses in a table and
 * calls ferry_lazy_load() at each entry point; the library is dlopen()ed
 * once, on the first call, by the soname found at build time.
 */
#ifndef FERRY_LAZY_H
#define FERRY_LAZY_H

#include "error.h"

struct ferry_lazy_sym {
	const char *name;	/* symbol name */
	void **slot;		/* where its address goes */
};

struct ferry_lazy_lib {
	const char *soname;			/* "libarchive.so.13" */
	const struct ferry_lazy_sym *syms;	/* NULL-name terminated */
	int state;				/* 0 untried, 1 loaded, -1 failed */
	void *handle;
};

/*
 * Load `lib` and resolve every symbol, once; later calls return at once.
 * FERRY_EFAIL naming the library (and how to install it) when it or one of
 * its symbols is missing. Thread-safe: the first call loads, under a lock.
 */
int ferry_lazy_load(struct ferry_lazy_lib *lib, struct ferry_error *err);

#endif
