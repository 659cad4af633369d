/*
 * json.c - the small JSON helpers of json.h: parse an object with a clear
 * error, and append a value's text to a buffer.
 */
#include <stdlib.h>

#include "ferry/json.h"

int ferry_json_object(json_t **out, const char *data, size_t len,
		      const char *what, struct ferry_error *err)
{
	json_error_t jerr;
	json_t *doc;

	doc = json_loadb(data, len, 0, &jerr);
	if (!doc)
		return ferry_error_set(err, FERRY_EFAIL,
				       "%s is not a JSON object: %s (line %d)",
				       what, jerr.text, jerr.line);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return ferry_error_set(err, FERRY_EFAIL,
				       "%s is not a JSON object", what);
	}
	*out = doc;
	return 0;
}

int ferry_json_append(struct ferry_buf *out, const json_t *v, size_t flags,
		      struct ferry_error *err)
{
	char *s = v ? json_dumps(v, flags) : NULL;
	int rc = 0;

	if (!s || ferry_buf_addstr(out, s) || ferry_buf_addch(out, '\n'))
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	free(s);
	return rc;
}
