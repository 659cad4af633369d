/*
 * trace.c - the record shared by the Node and Python tracers: the list of
 * files a handler reaches, each with the import that brought it in, and the
 * `--explain` chain printed from that record.
 *
 * It does not read files, resolve imports or know any runtime; that is the
 * work of trace_node.c and trace_python.c. Lookups by name are linear: a
 * trace holds hundreds of files, not millions, and the tracers keep their
 * own indexes of what they have visited.
 */
#include <stdlib.h>
#include <string.h>

#include "trace.h"

void ferry_trace_init(struct ferry_trace *t)
{
	t->items = NULL;
	t->nr = 0;
	t->alloc = 0;
	ferry_strvec_init(&t->warnings);
}

void ferry_trace_release(struct ferry_trace *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nr; i++) {
		free(t->items[i].name);
		free(t->items[i].source);
		free(t->items[i].why);
	}
	free(t->items);
	ferry_strvec_release(&t->warnings);
	ferry_trace_init(t);
}

long ferry_trace_find(const struct ferry_trace *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nr; i++)
		if (!strcmp(t->items[i].name, name))
			return (long)i;
	return -1;
}

int ferry_trace_add(struct ferry_trace *t, const char *name, const char *source,
		    long parent, unsigned line, const char *why, long *index)
{
	struct ferry_trace_entry *e;
	long found;
	char *n = NULL, *s = NULL, *w = NULL;
	int ret = FERRY_ENOMEM;

	found = ferry_trace_find(t, name);
	if (found >= 0) {
		if (index)
			*index = found;
		return 0;
	}
	if (t->nr == t->alloc) {
		size_t alloc = t->alloc ? t->alloc * 2 : 64;
		struct ferry_trace_entry *items;

		items = realloc(t->items, alloc * sizeof(*items));
		if (!items)
			goto out;
		t->items = items;
		t->alloc = alloc;
	}
	n = ferry_strdup(name);
	s = ferry_strdup(source ? source : "");
	w = ferry_strdup(why ? why : "");
	if (!n || !s || !w)
		goto out;
	e = &t->items[t->nr];
	e->name = n;
	e->source = s;
	e->parent = parent;
	e->line = line;
	e->why = w;
	n = s = w = NULL;
	if (index)
		*index = (long)t->nr;
	t->nr++;
	ret = 0;
out:
	free(n);
	free(s);
	free(w);
	return ret;
}

/*
 * One step per line, from the handler down:
 *
 *     src/users.js:3 require('express')
 *      -> node_modules/express/index.js:11 require('./lib/express')
 *      -> node_modules/express/lib/express.js
 *
 * An entry added by a rule, with no importing file, is a single line:
 * "node_modules/x/package.json (package.json of a reached package)".
 */
int ferry_trace_explain(struct ferry_buf *out, const struct ferry_trace *t,
			long i)
{
	long *chain = NULL;
	size_t n = 0, k;
	long cur;
	int ret = FERRY_ENOMEM;

	if (i < 0 || (size_t)i >= t->nr)
		return 0;
	chain = malloc(t->nr * sizeof(*chain));
	if (!chain)
		goto out;
	/* Walk up to the root; a parent cycle (a bug) stops at nr steps. */
	for (cur = i; cur >= 0 && (size_t)cur < t->nr && n < t->nr;
	     cur = t->items[cur].parent)
		chain[n++] = cur;
	if (n == 1) {
		const struct ferry_trace_entry *e = &t->items[i];

		if (*e->why)
			ret = ferry_buf_addf(out, "%s (%s)\n", e->name, e->why);
		else
			ret = ferry_buf_addf(out, "%s\n", e->name);
		goto out;
	}
	/* chain[n-1] is the root; print parent:line why for each child. */
	for (k = n - 1; k > 0; k--) {
		const struct ferry_trace_entry *p = &t->items[chain[k]];
		const struct ferry_trace_entry *c = &t->items[chain[k - 1]];

		if (k != n - 1 && ferry_buf_addstr(out, " -> "))
			goto out;
		if (ferry_buf_addstr(out, p->name))
			goto out;
		if (c->line && ferry_buf_addf(out, ":%u", c->line))
			goto out;
		if (ferry_buf_addf(out, " %s\n", c->why))
			goto out;
	}
	ret = ferry_buf_addf(out, " -> %s\n", t->items[i].name);
out:
	free(chain);
	return ret;
}
