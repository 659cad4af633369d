/*
 * suggest.c - closest-candidate look-up for "did you mean" hints.
 */
#include <stdlib.h>
#include <string.h>

#include "ferry/suggest.h"

size_t ferry_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d;
	size_t *prev2, *prev, *cur, *tmp;

	if (la > 256 || lb > 256)	/* suggestions are for short words */
		return la > lb ? la : lb;
	prev2 = calloc(3 * (lb + 1), sizeof(size_t));
	if (!prev2)
		return la > lb ? la : lb;
	prev = prev2 + lb + 1;
	cur = prev + lb + 1;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (prev[j - 1] + cost < d)
				d = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
		}
		tmp = prev2;
		prev2 = prev;
		prev = cur;
		cur = tmp;
	}
	d = prev[lb];
	/* prev2, prev and cur rotate within one allocation: free its start */
	free(prev2 < prev ? (prev2 < cur ? prev2 : cur) : (prev < cur ? prev : cur));
	return d;
}

const char *ferry_suggest(const char *word, const char *const *candidates)
{
	const char *best = NULL, *prefix = NULL;
	size_t best_d = (size_t)-1, wl = strlen(word), nprefix = 0;
	const char *const *c;

	if (!*word)
		return NULL;
	for (c = candidates; c && *c; c++) {
		size_t d = ferry_edit_distance(word, *c);
		size_t l = strlen(*c) > wl ? strlen(*c) : wl;
		size_t limit = l / 3 ? l / 3 : 1;
		if (d <= limit && d < best_d) {
			best = *c;
			best_d = d;
		}
		if (!strncmp(*c, word, wl)) {
			prefix = *c;
			nprefix++;
		}
	}
	if (best)
		return best;
	return nprefix == 1 ? prefix : NULL;
}
