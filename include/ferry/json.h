/*
 * json.h - JSON for libferry and the providers, through jansson.
 *
 * Modules and providers include this header rather than <jansson.h>, so the
 * one JSON library stays behind one ferry header (providers include only
 * <ferry/...>). The json_t API of jansson is used directly; the helpers
 * below cover the two things every store reader and writer repeats.
 */
#ifndef FERRY_JSON_H
#define FERRY_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "error.h"

/*
 * Parse `len` bytes that must hold one JSON object. On success `*out` is a
 * new reference the caller releases with json_decref(). Otherwise
 * FERRY_EFAIL "<what> is not a JSON object: <reason>" and `*out` untouched.
 */
int ferry_json_object(json_t **out, const char *data, size_t len,
		      const char *what, struct ferry_error *err);

/*
 * Append the text of `v` (json_dumps `flags`) and a newline to `out`.
 * FERRY_ENOMEM on failure.
 */
int ferry_json_append(struct ferry_buf *out, const json_t *v, size_t flags,
		      struct ferry_error *err);

#endif
