/*
 * suggest.h - "did you mean" suggestions for unknown keys, commands,
 * options, runtimes, stages and providers.
 */
#ifndef FERRY_SUGGEST_H
#define FERRY_SUGGEST_H

#include <stddef.h>

/* Damerau-Levenshtein (optimal string alignment) distance, bytes. */
size_t ferry_edit_distance(const char *a, const char *b);

/*
 * The candidate closest to `word` (NULL-terminated list), or NULL when none
 * is close enough to be a plausible typo (distance at most one third of the
 * longer word, at least 1, or `word` is a prefix of exactly one candidate).
 * Borrowed from `candidates`.
 */
const char *ferry_suggest(const char *word, const char *const *candidates);

#endif
