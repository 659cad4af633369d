/*
 * manifest.c - loads ferry.yaml: checks the bytes (UTF-8, no NUL, size),
 * parses the YAML with libyaml's event parser into a positioned node tree
 * (refusing duplicate keys, non-scalar keys, foreign tags and alias bombs,
 * whose expansion cost is counted, never materialised), applies the
 * selected stage's overrides, resolves ${...} variables (core/vars.c),
 * validates the schema of DESIGN.md section 2, applies defaults and
 * builds the resolved configuration and its document.
 *
 * This is the only module that includes <yaml.h>. It does not read
 * handler code, package, or talk to providers; it only checks that handler
 * files exist.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <yaml.h>

#include "ferry/buf.h"
#include "ferry/error.h"
#include "ferry/fs.h"
#include "ferry/hash.h"
#include "ferry/manifest.h"
#include "ferry/suggest.h"
#include "ferry/vars.h"

#define MAX_DEPTH 128		/* nesting of maps and lists */

/* ------------------------------------------------------------------ */
/* Node tree                                                           */

enum ntype { N_SCALAR, N_SEQ, N_MAP };

enum stype { S_AUTO, S_STR, S_INT, S_FLOAT, S_BOOL, S_NULL };

struct node {
	/* fields of every node (scalars are allocated only this far) */
	enum ntype type;
	enum stype stype;	/* scalars */
	int complete;		/* 0 while its children are being parsed */
	int line, col;		/* 1-based */
	unsigned depth;		/* nesting levels below and including */
	uint64_t cost;		/* nodes after alias expansion */
	char *text;		/* scalars; in the tree's blocks, NUL-ended */
	size_t len;
	/* containers only: sequence items, or map values and their keys */
	size_t nr, alloc;
	struct node **items;	/* owned array, borrowed nodes */
	struct node **keys;	/* owned array, borrowed nodes */
	uint32_t *index;	/* owned; hash index of keys of big maps */
	size_t index_alloc;
	json_t *json;		/* owned; memoised conversion */
	struct node *all_next;	/* containers of a tree, for freeing */
};

/* Nodes and scalar texts live in big blocks, freed at once. */
struct block {
	struct block *next;
	size_t used, size;
	max_align_t data[];
};

struct tree {
	struct node *all;	/* borrowed list of containers (in blocks) */
	const char *name;	/* borrowed; file name for messages */
	struct block *blocks;	/* owned */
};

#define BLOCK_SIZE (256u << 10)

static void *tree_alloc(struct tree *t, size_t size)
{
	struct block *b = t->blocks;
	size_t need = (size + sizeof(max_align_t) - 1) &
		      ~(sizeof(max_align_t) - 1);
	void *p;

	if (!b || b->size - b->used < need) {
		size_t bs = need > BLOCK_SIZE ? need : BLOCK_SIZE;

		b = malloc(sizeof(*b) + bs);
		if (!b)
			return NULL;
		b->size = bs;
		b->used = 0;
		/* a big allocation gets its own block behind the current */
		if (need > BLOCK_SIZE && t->blocks) {
			b->next = t->blocks->next;
			t->blocks->next = b;
		} else {
			b->next = t->blocks;
			t->blocks = b;
		}
	}
	p = (char *)b->data + b->used;
	b->used += need;
	return p;
}

static struct node *node_new(struct tree *t, enum ntype type, int line,
			     int col)
{
	size_t size = type == N_SCALAR ? offsetof(struct node, nr) :
		      sizeof(struct node);
	struct node *n = tree_alloc(t, size);

	if (!n)
		return NULL;
	memset(n, 0, size);
	n->type = type;
	n->line = line;
	n->col = col;
	n->cost = 1;
	n->depth = 1;
	n->complete = type == N_SCALAR;
	if (type != N_SCALAR) {
		n->all_next = t->all;
		t->all = n;
	}
	return n;
}

static void tree_release(struct tree *t)
{
	struct block *b, *bn;
	struct node *n;

	for (n = t->all; n; n = n->all_next) {
		free(n->items);
		free(n->keys);
		free(n->index);
		json_decref(n->json);
	}
	t->all = NULL;
	for (b = t->blocks; b; b = bn) {
		bn = b->next;
		free(b);
	}
	t->blocks = NULL;
}

static uint32_t str_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static int key_eq(const struct node *k, const char *s, size_t len)
{
	return k->len == len && !memcmp(k->text, s, len);
}

static int index_build(struct node *m)
{
	size_t n = 64, i;

	while (n < m->nr * 4)
		n *= 2;
	free(m->index);
	m->index = calloc(n, sizeof(*m->index));
	if (!m->index)
		return FERRY_ENOMEM;
	m->index_alloc = n;
	for (i = 0; i < m->nr; i++) {
		size_t j = str_hash(m->keys[i]->text, m->keys[i]->len) & (n - 1);

		while (m->index[j])
			j = (j + 1) & (n - 1);
		m->index[j] = (uint32_t)i + 1;
	}
	return 0;
}

/* Index of `key` in map `m`, or -1. */
static long map_find(const struct node *m, const char *key, size_t len)
{
	size_t i;

	if (!m || m->type != N_MAP)
		return -1;
	if (m->index) {
		size_t mask = m->index_alloc - 1;

		for (i = str_hash(key, len) & mask; m->index[i];
		     i = (i + 1) & mask)
			if (key_eq(m->keys[m->index[i] - 1], key, len))
				return (long)m->index[i] - 1;
		return -1;
	}
	for (i = 0; i < m->nr; i++)
		if (key_eq(m->keys[i], key, len))
			return (long)i;
	return -1;
}

static struct node *map_get(const struct node *m, const char *key)
{
	long i = map_find(m, key, strlen(key));

	return i < 0 ? NULL : m->items[i];
}

static int node_push(struct node *c, struct node *key, struct node *val)
{
	if (c->nr == c->alloc) {
		size_t n = c->alloc ? c->alloc * 2 : 4;
		struct node **items = realloc(c->items, n * sizeof(*items));

		if (!items)
			return FERRY_ENOMEM;
		c->items = items;
		if (c->type == N_MAP) {
			struct node **keys = realloc(c->keys,
						     n * sizeof(*keys));

			if (!keys)
				return FERRY_ENOMEM;
			c->keys = keys;
		}
		c->alloc = n;
	}
	if (c->type == N_MAP)
		c->keys[c->nr] = key;
	c->items[c->nr++] = val;
	if (c->type == N_MAP) {
		if (c->index && c->nr * 2 > c->index_alloc)
			return index_build(c);
		if (c->index) {
			size_t mask = c->index_alloc - 1;
			size_t j = str_hash(key->text, key->len) & mask;

			while (c->index[j])
				j = (j + 1) & mask;
			c->index[j] = (uint32_t)c->nr;
		} else if (c->nr > 16) {
			return index_build(c);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */

static int cerr(struct ferry_error *err, const char *file, int line, int col,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int cerr(struct ferry_error *err, const char *file, int line, int col,
		const char *fmt, ...)
{
	char msg[FERRY_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line <= 0) {
		line = 1;
		col = 1;
	}
	return ferry_error_set(err, FERRY_ECONFIG, "%s:%d:%d: %s", file, line,
			       col, msg);
}

static int nomem(struct ferry_error *err)
{
	return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
}

/* User text for messages: at most 60 bytes, control characters escaped. */
static const char *show(char *buf, size_t size, const char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 8 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= 60) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

/* ------------------------------------------------------------------ */
/* Byte checks before parsing                                          */

struct precheck {
	int tab_line, tab_col;	/* first tab in indentation; 0: none */
};

static int check_bytes(struct precheck *pc, const char *data, size_t len,
		       const char *name, struct ferry_error *err)
{
	size_t i = 0;
	int line = 1, col = 1, indent = 1;
	unsigned char c = 0;

	pc->tab_line = pc->tab_col = 0;
	if (len > FERRY_MANIFEST_MAX_BYTES)
		return cerr(err, name, 1, 1, "file is too large (%zu bytes); "
			    "a manifest is at most %u bytes", len,
			    FERRY_MANIFEST_MAX_BYTES);
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len) {
		size_t n = 1, k;
		uint32_t cp;

		c = (unsigned char)data[i];
		cp = c;

		if (c == 0)
			return cerr(err, name, line, col, "not a text file "
				    "(NUL byte); a manifest is UTF-8 YAML");
		if (c >= 0x80) {
			if (c >= 0xc2 && c <= 0xdf)
				n = 2, cp = c & 0x1f;
			else if (c >= 0xe0 && c <= 0xef)
				n = 3, cp = c & 0x0f;
			else if (c >= 0xf0 && c <= 0xf4)
				n = 4, cp = c & 0x07;
			else
				goto bad;
			if (i + n > len)
				goto bad;
			for (k = 1; k < n; k++) {
				unsigned char cc = (unsigned char)data[i + k];

				if ((cc & 0xc0) != 0x80)
					goto bad;
				cp = (cp << 6) | (cc & 0x3f);
			}
			if ((n == 3 && (cp < 0x800 ||
					(cp >= 0xd800 && cp <= 0xdfff))) ||
			    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
				goto bad;
		}
		if (c == '\n') {
			line++;
			col = 1;
			indent = 1;
		} else {
			if (c == '\t' && indent && !pc->tab_line) {
				pc->tab_line = line;
				pc->tab_col = col;
			}
			if (c != ' ' && c != '\t' && c != '\r')
				indent = 0;
			/* "- " and "? " continue an indentation */
			if ((c == '-' || c == '?') && i + 1 < len &&
			    (data[i + 1] == ' ' || data[i + 1] == '\t'))
				indent = 1;
			col++;
		}
		i += n;
	}
	return 0;
bad:
	return cerr(err, name, line, col, "not a text file (invalid UTF-8 "
		    "byte 0x%02x); a manifest is UTF-8 YAML",
		    (unsigned)(unsigned char)c);
}

/* ------------------------------------------------------------------ */
/* YAML events to nodes                                                */

struct anchor {
	char *name;		/* owned; NULL: free slot */
	struct node *node;	/* borrowed */
};

struct frame {
	struct node *node;	/* borrowed; an open sequence or map */
	struct node *key;	/* borrowed; pending key of a map */
};

struct parser {
	struct tree *t;
	const char *name;
	struct precheck pc;
	struct frame *stack;
	size_t nr, alloc;
	struct anchor *anchors;
	size_t anc_nr, anc_alloc;
	uint64_t total;		/* nodes after alias expansion */
	struct node *root;
	int docs;
};

static int anchor_slot(struct parser *p, const char *name)
{
	size_t mask = p->anc_alloc - 1, i;

	for (i = str_hash(name, strlen(name)) & mask; p->anchors[i].name;
	     i = (i + 1) & mask)
		if (!strcmp(p->anchors[i].name, name))
			break;
	return (int)i;
}

static struct node *anchor_get(struct parser *p, const char *name)
{
	int i;

	if (!p->anc_alloc)
		return NULL;
	i = anchor_slot(p, name);
	return p->anchors[i].name ? p->anchors[i].node : NULL;
}

static int anchor_set(struct parser *p, const char *name, struct node *n)
{
	int i;

	if ((p->anc_nr + 1) * 2 > p->anc_alloc) {
		struct anchor *old = p->anchors;
		size_t oldn = p->anc_alloc, j;

		p->anc_alloc = oldn ? oldn * 2 : 64;
		p->anchors = calloc(p->anc_alloc, sizeof(*p->anchors));
		if (!p->anchors) {
			p->anchors = old;
			p->anc_alloc = oldn;
			return FERRY_ENOMEM;
		}
		for (j = 0; j < oldn; j++)
			if (old[j].name)
				p->anchors[anchor_slot(p, old[j].name)] =
					old[j];
		free(old);
	}
	i = anchor_slot(p, name);
	if (p->anchors[i].name) {	/* redefined: the later one wins */
		p->anchors[i].node = n;
		return 0;
	}
	p->anchors[i].name = ferry_strdup(name);
	if (!p->anchors[i].name)
		return FERRY_ENOMEM;
	p->anchors[i].node = n;
	p->anc_nr++;
	return 0;
}

static void parser_release(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->anc_alloc; i++)
		free(p->anchors[i].name);
	free(p->anchors);
	free(p->stack);
}

static int tag_type(const char *tag, enum stype *st)
{
	static const struct {
		const char *tag;
		enum stype type;
	} tags[] = {
		{ "!", S_STR },
		{ YAML_STR_TAG, S_STR },
		{ YAML_INT_TAG, S_INT },
		{ YAML_FLOAT_TAG, S_FLOAT },
		{ YAML_BOOL_TAG, S_BOOL },
		{ YAML_NULL_TAG, S_NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		if (!strcmp(tag, tags[i].tag)) {
			*st = tags[i].type;
			return 0;
		}
	}
	return -1;
}

static int bad_tag(struct parser *p, const yaml_mark_t *m, const char *tag,
		   struct ferry_error *err)
{
	char b[128];

	if (!strncmp(tag, "tag:yaml.org,2002:", 18)) {
		snprintf(b, sizeof(b), "!!%s", tag + 18);
		tag = b;
	}
	return cerr(err, p->name, (int)m->line + 1, (int)m->column + 1,
		    "unsupported tag '%s'; a manifest uses plain YAML values "
		    "(no CloudFormation or custom tags; use ${...} variables)",
		    tag);
}

static int check_total(struct parser *p, uint64_t add, const yaml_mark_t *m,
		       struct ferry_error *err)
{
	p->total += add;
	if (p->total > FERRY_MANIFEST_MAX_NODES)
		return cerr(err, p->name, (int)m->line + 1, (int)m->column + 1,
			    "aliases expand to more than %u nodes; reduce "
			    "the use of anchors and aliases (is this an alias "
			    "bomb?)", FERRY_MANIFEST_MAX_NODES);
	return 0;
}

/* Attach a complete (or container being opened) node to its parent. */
static int attach(struct parser *p, struct node *n, int is_alias,
		  struct ferry_error *err)
{
	struct frame *top;
	char b[128];
	long i;

	if (!p->nr) {
		p->root = n;
		return 0;
	}
	top = &p->stack[p->nr - 1];
	if (top->node->type == N_SEQ)
		return node_push(top->node, NULL, n) ? nomem(err) : 0;
	if (!top->key) {
		if (n->type != N_SCALAR || is_alias)
			return cerr(err, p->name, n->line, n->col,
				    "a map key must be a plain value, not %s; "
				    "write keys as plain text",
				    is_alias ? "an alias" :
				    n->type == N_MAP ? "a map" : "a list");
		if (memchr(n->text, '\0', n->len))
			return cerr(err, p->name, n->line, n->col,
				    "the key '%s' contains a NUL character; "
				    "keys are plain text",
				    show(b, sizeof(b), n->text, n->len));
		i = map_find(top->node, n->text, n->len);
		if (i >= 0)
			return cerr(err, p->name, n->line, n->col,
				    "duplicate key '%s' (first at %d:%d); "
				    "each key may appear once in a map",
				    show(b, sizeof(b), n->text, n->len),
				    top->node->keys[i]->line,
				    top->node->keys[i]->col);
		top->key = n;
		return 0;
	}
	if (node_push(top->node, top->key, n))
		return nomem(err);
	top->key = NULL;
	return 0;
}

/* YAML merge keys ("<<: *base"): explicit keys win, then earlier maps. */
static int apply_merge_keys(struct parser *p, struct node *m,
			    struct ferry_error *err)
{
	struct node **keys = NULL, **items = NULL, *src;
	size_t nr = m->nr, i, j, k, nsrc;
	long pos = -1;
	int rc = 0;

	for (i = 0; i < nr; i++)
		if (m->keys[i]->stype == S_AUTO && key_eq(m->keys[i], "<<", 2))
			pos = (long)i;
	if (pos < 0)
		return 0;
	src = m->items[pos];
	if (!(src->type == N_MAP || src->type == N_SEQ))
		goto bad;
	if (src->type == N_SEQ)
		for (i = 0; i < src->nr; i++)
			if (src->items[i]->type != N_MAP)
				goto bad;
	keys = malloc(nr * sizeof(*keys));
	items = malloc(nr * sizeof(*items));
	if (!keys || !items) {
		rc = nomem(err);
		goto out;
	}
	memcpy(keys, m->keys, nr * sizeof(*keys));
	memcpy(items, m->items, nr * sizeof(*items));
	m->nr = 0;
	free(m->index);
	m->index = NULL;
	m->index_alloc = 0;
	for (i = 0; i < nr; i++)
		if ((long)i != pos && node_push(m, keys[i], items[i]))
			goto oom;
	nsrc = src->type == N_MAP ? 1 : src->nr;
	for (j = 0; j < nsrc; j++) {
		struct node *s = src->type == N_MAP ? src : src->items[j];

		for (k = 0; k < s->nr; k++) {
			if (map_find(m, s->keys[k]->text, s->keys[k]->len) >= 0)
				continue;
			if (node_push(m, s->keys[k], s->items[k]))
				goto oom;
		}
	}
	goto out;
oom:
	rc = nomem(err);
	goto out;
bad:
	rc = cerr(err, p->name, src->line, src->col, "merge key '<<' takes "
		  "a map or a list of maps; write '<<: *anchor'");
out:
	free(keys);
	free(items);
	return rc;
}

static int on_event(struct parser *p, yaml_event_t *ev,
		    struct ferry_error *err)
{
	const yaml_mark_t *m = &ev->start_mark;
	int line = (int)m->line + 1, col = (int)m->column + 1;
	const char *anchor = NULL, *tag = NULL;
	struct node *n;
	enum stype st = S_AUTO;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++p->docs > 1)
			return cerr(err, p->name, line, col, "more than one "
				    "YAML document; a manifest is a single "
				    "document (remove the second '---')");
		return 0;
	case YAML_ALIAS_EVENT:
		n = anchor_get(p, (const char *)ev->data.alias.anchor);
		if (!n)
			return cerr(err, p->name, line, col, "unknown alias "
				    "'*%s'; define '&%s' on a value before "
				    "using it", ev->data.alias.anchor,
				    ev->data.alias.anchor);
		if (!n->complete)
			return cerr(err, p->name, line, col, "alias '*%s' is "
				    "inside the value it refers to; recursive "
				    "values are not allowed",
				    ev->data.alias.anchor);
		if (p->nr + n->depth > MAX_DEPTH)
			return cerr(err, p->name, line, col, "alias '*%s' "
				    "nests deeper than %d levels; a manifest "
				    "is at most %d levels deep",
				    ev->data.alias.anchor, MAX_DEPTH,
				    MAX_DEPTH);
		if (check_total(p, n->cost, m, err))
			return FERRY_ECONFIG;
		return attach(p, n, 1, err);
	case YAML_SCALAR_EVENT:
		anchor = (const char *)ev->data.scalar.anchor;
		tag = (const char *)ev->data.scalar.tag;
		if (tag) {
			if (tag_type(tag, &st))
				return bad_tag(p, m, tag, err);
		} else if (!ev->data.scalar.plain_implicit ||
			   ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
			st = S_STR;
		}
		n = node_new(p->t, N_SCALAR, line, col);
		if (!n)
			return nomem(err);
		n->stype = st;
		n->len = ev->data.scalar.length;
		n->text = tree_alloc(p->t, n->len + 1);
		if (!n->text)
			return nomem(err);
		memcpy(n->text, ev->data.scalar.value, n->len);
		n->text[n->len] = '\0';
		if (check_total(p, 1, m, err))
			return FERRY_ECONFIG;
		if (anchor && anchor_set(p, anchor, n))
			return nomem(err);
		return attach(p, n, 0, err);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (ev->type == YAML_SEQUENCE_START_EVENT) {
			anchor = (const char *)ev->data.sequence_start.anchor;
			tag = (const char *)ev->data.sequence_start.tag;
			if (tag && strcmp(tag, YAML_SEQ_TAG) && strcmp(tag, "!"))
				return bad_tag(p, m, tag, err);
		} else {
			anchor = (const char *)ev->data.mapping_start.anchor;
			tag = (const char *)ev->data.mapping_start.tag;
			if (tag && strcmp(tag, YAML_MAP_TAG) && strcmp(tag, "!"))
				return bad_tag(p, m, tag, err);
		}
		if (p->nr + 1 > MAX_DEPTH)
			return cerr(err, p->name, line, col, "nesting deeper "
				    "than %d levels; a manifest is at most %d "
				    "levels deep", MAX_DEPTH, MAX_DEPTH);
		n = node_new(p->t, ev->type == YAML_SEQUENCE_START_EVENT ?
			     N_SEQ : N_MAP, line, col);
		if (!n)
			return nomem(err);
		if (check_total(p, 1, m, err))
			return FERRY_ECONFIG;
		if (anchor && anchor_set(p, anchor, n))
			return nomem(err);
		if (attach(p, n, 0, err))
			return FERRY_ECONFIG;
		if (p->nr == p->alloc) {
			size_t na = p->alloc ? p->alloc * 2 : 16;
			struct frame *s = realloc(p->stack, na * sizeof(*s));

			if (!s)
				return nomem(err);
			p->stack = s;
			p->alloc = na;
		}
		p->stack[p->nr].node = n;
		p->stack[p->nr].key = NULL;
		p->nr++;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		size_t i;

		n = p->stack[--p->nr].node;
		if (n->type == N_MAP && apply_merge_keys(p, n, err))
			return FERRY_ECONFIG;
		for (i = 0; i < n->nr; i++) {
			n->cost += n->items[i]->cost;
			if (n->keys)
				n->cost++;
			if (n->items[i]->depth + 1 > n->depth)
				n->depth = n->items[i]->depth + 1;
		}
		n->complete = 1;
		return 0;
	}
	default:
		return 0;
	}
}

/*
 * Parse `data` into nodes of `t`. *root is NULL for an empty document.
 */
static int parse_yaml(struct tree *t, const char *data, size_t len,
		      const char *name, struct node **root,
		      struct ferry_error *err)
{
	struct parser p;
	yaml_parser_t yp;
	yaml_event_t ev;
	int rc = 0, done = 0;

	memset(&p, 0, sizeof(p));
	p.t = t;
	p.name = name;
	rc = check_bytes(&p.pc, data, len, name, err);
	if (rc)
		return rc;
	if (!yaml_parser_initialize(&yp))
		return nomem(err);
	yaml_parser_set_input_string(&yp, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&yp, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&yp, &ev)) {
			int l = (int)yp.problem_mark.line + 1;
			int c = (int)yp.problem_mark.column + 1;

			if (yp.error == YAML_MEMORY_ERROR)
				rc = nomem(err);
			else if (p.pc.tab_line && l >= p.pc.tab_line)
				rc = cerr(err, name, p.pc.tab_line,
					  p.pc.tab_col, "tab character used "
					  "for indentation; indent with "
					  "spaces");
			else
				rc = cerr(err, name, l, c, "not valid YAML "
					  "(%s%s%s); check the indentation, "
					  "and quote values that contain ': ' "
					  "or ' #'", yp.problem ? yp.problem :
					  "syntax error", yp.context ? " " : "",
					  yp.context ? yp.context : "");
			break;
		}
		rc = on_event(&p, &ev, err);
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (rc)
			break;
	}
	yaml_parser_delete(&yp);
	if (!rc)
		*root = p.root;
	parser_release(&p);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Nodes to JSON                                                       */

enum plain_kind { P_NULL, P_BOOL, P_INT, P_FLOAT, P_STR };

static int all_in(const char *s, size_t len, const char *set)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!s[i] || !strchr(set, s[i]))
			return 0;
	return len > 0;
}

/* YAML 1.2 core schema resolution of a plain scalar. */
static enum plain_kind plain_kind(const char *s, size_t len, long long *iv,
				  double *dv, int *bv)
{
	static const char *const nulls[] = { "~", "null", "Null", "NULL" };
	static const char *const trues[] = { "true", "True", "TRUE" };
	static const char *const falses[] = { "false", "False", "FALSE" };
	const char *d = s;
	size_t dl = len, i;
	char *end;

	if (!len)
		return P_NULL;
	for (i = 0; i < 4; i++)
		if (len == strlen(nulls[i]) && !memcmp(s, nulls[i], len))
			return P_NULL;
	for (i = 0; i < 3; i++) {
		if (len == strlen(trues[i]) && !memcmp(s, trues[i], len)) {
			*bv = 1;
			return P_BOOL;
		}
		if (len == strlen(falses[i]) && !memcmp(s, falses[i], len)) {
			*bv = 0;
			return P_BOOL;
		}
	}
	if (len > 64 || memchr(s, '\0', len))
		return P_STR;
	if (*d == '-' || *d == '+') {
		d++;
		dl--;
	}
	errno = 0;
	if (all_in(d, dl, "0123456789")) {
		*iv = strtoll(s, &end, 10);
		if (!errno && end == s + len)
			return P_INT;
		*dv = strtod(s, &end);
		return P_FLOAT;
	}
	if (len > 2 && s[0] == '0' && s[1] == 'x' &&
	    all_in(s + 2, len - 2, "0123456789abcdefABCDEF")) {
		*iv = strtoll(s + 2, &end, 16);
		return !errno && end == s + len ? P_INT : P_STR;
	}
	if (len > 2 && s[0] == '0' && s[1] == 'o' &&
	    all_in(s + 2, len - 2, "01234567")) {
		*iv = strtoll(s + 2, &end, 8);
		return !errno && end == s + len ? P_INT : P_STR;
	}
	/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
	{
		size_t k = 0, digits = 0;

		while (k < dl && d[k] >= '0' && d[k] <= '9')
			k++, digits++;
		if (k < dl && d[k] == '.') {
			k++;
			while (k < dl && d[k] >= '0' && d[k] <= '9')
				k++, digits++;
		}
		if (digits && k < dl && (d[k] == 'e' || d[k] == 'E')) {
			size_t e0;

			k++;
			if (k < dl && (d[k] == '-' || d[k] == '+'))
				k++;
			e0 = k;
			while (k < dl && d[k] >= '0' && d[k] <= '9')
				k++;
			if (k == e0)
				return P_STR;
		}
		if (digits && k == dl) {
			char tmp[80];

			memcpy(tmp, s, len);
			tmp[len] = '\0';
			*dv = strtod(tmp, &end);
			/* infinities (1e999) are kept as text: JSON has none */
			if (*dv - *dv != 0)
				return P_STR;
			return P_FLOAT;
		}
	}
	return P_STR;
}

/* Strings of the document that hold variables, with their node. */
struct varpos {
	const json_t *str;	/* borrowed */
	const struct node *node;	/* borrowed */
};

struct conv {
	const char *name;
	struct varpos *vp;
	size_t vp_nr, vp_alloc;
	int record;		/* record strings with variables */
};

static int note_var(struct conv *c, const json_t *s, const struct node *n)
{
	if (!c->record || !memmem(n->text, n->len, "${", 2))
		return 0;
	if (c->vp_nr == c->vp_alloc) {
		size_t na = c->vp_alloc ? c->vp_alloc * 2 : 64;
		struct varpos *v = realloc(c->vp, na * sizeof(*v));

		if (!v)
			return FERRY_ENOMEM;
		c->vp = v;
		c->vp_alloc = na;
	}
	c->vp[c->vp_nr].str = s;
	c->vp[c->vp_nr].node = n;
	c->vp_nr++;
	return 0;
}

static int scalar_json(struct conv *c, const struct node *n, int as_text,
		       json_t **out, struct ferry_error *err)
{
	enum plain_kind k = P_STR;
	long long iv = 0;
	double dv = 0;
	int bv = 0;
	char b[128];

	if (n->stype != S_STR)
		k = plain_kind(n->text, n->len, &iv, &dv, &bv);
	switch (n->stype) {
	case S_INT:
		if (k != P_INT)
			goto bad;
		break;
	case S_FLOAT:
		if (k == P_INT) {
			k = P_FLOAT;
			dv = (double)iv;
		} else if (k != P_FLOAT) {
			goto bad;
		}
		break;
	case S_BOOL:
		if (k != P_BOOL)
			goto bad;
		break;
	case S_NULL:
		k = P_NULL;
		break;
	default:
		break;
	}
	if (as_text && k != P_NULL)
		k = P_STR;
	switch (k) {
	case P_NULL:
		*out = json_null();
		break;
	case P_BOOL:
		*out = json_boolean(bv);
		break;
	case P_INT:
		*out = json_integer(iv);
		break;
	case P_FLOAT:
		*out = json_real(dv);
		break;
	default:
		/* a "\0" escape: no setting can hold it (C strings) */
		if (memchr(n->text, '\0', n->len))
			return cerr(err, c->name, n->line, n->col, "the text "
				    "'%s' contains a NUL character; values "
				    "are plain text",
				    show(b, sizeof(b), n->text, n->len));
		/* bytes checked as UTF-8 before parsing, and libyaml refuses
		 * escapes of invalid code points: no second check needed */
		*out = json_stringn_nocheck(n->text, n->len);
		if (!*out)
			return cerr(err, c->name, n->line, n->col, "text "
				    "'%s' is not valid UTF-8 (check its "
				    "escapes); write plain text",
				    show(b, sizeof(b), n->text, n->len));
		if (note_var(c, *out, n)) {
			json_decref(*out);
			return nomem(err);
		}
	}
	return *out ? 0 : nomem(err);
bad:
	return cerr(err, c->name, n->line, n->col, "'%s' does not match its "
		    "tag (!!%s); remove the tag or fix the value",
		    show(b, sizeof(b), n->text, n->len),
		    n->stype == S_INT ? "int" : n->stype == S_FLOAT ? "float"
		    : "bool");
}

/*
 * Convert a node. With `as_text`, scalars keep their source text as
 * strings (environment values and provider settings), and nothing is
 * memoised.
 */
static int to_json(struct conv *c, struct node *n, int as_text,
		   json_t **out, struct ferry_error *err)
{
	json_t *res = NULL, *child = NULL;
	size_t i;
	int rc = 0;

	if (!as_text && n->type != N_SCALAR && n->json) {
		*out = json_incref(n->json);
		return 0;
	}
	if (n->type == N_SCALAR) {
		rc = scalar_json(c, n, as_text, &res, err);
		if (rc)
			return rc;
	} else {
		res = n->type == N_MAP ? json_object() : json_array();
		if (!res)
			return nomem(err);
		for (i = 0; i < n->nr; i++) {
			rc = to_json(c, n->items[i], as_text, &child, err);
			if (rc)
				goto fail;
			if (n->type == N_MAP)
				rc = json_object_setn_new_nocheck(res,
					n->keys[i]->text, n->keys[i]->len,
					child);
			else
				rc = json_array_append_new(res, child);
			if (rc) {
				rc = nomem(err);
				goto fail;
			}
		}
	}
	if (!as_text && n->type != N_SCALAR)
		n->json = json_incref(res);
	*out = res;
	return 0;
fail:
	json_decref(res);
	return rc;
}

/* parse_yaml callback of core/vars.c for ${file(x.yml)}. */
static int vars_parse_yaml(void *data, const char *name, const char *bytes,
			   size_t len, json_t **out, struct ferry_error *err)
{
	struct tree t = { NULL, name, NULL };
	struct conv c;
	struct node *root = NULL;
	int rc;

	(void)data;
	memset(&c, 0, sizeof(c));
	c.name = name;
	rc = parse_yaml(&t, bytes, len, name, &root, err);
	if (!rc && !root)
		*out = json_null();
	else if (!rc)
		rc = to_json(&c, root, 0, out, err);
	tree_release(&t);
	return rc;
}

int ferry_yaml_parse(json_t **out, const char *data, size_t len,
		     const char *name, struct ferry_error *err)
{
	return vars_parse_yaml(NULL, name, data, len, out, err);
}

/* ------------------------------------------------------------------ */
/* Small helpers for validation                                        */

static const char *const top_keys[] = {
	"service", "provider", "runtime", "memory", "timeout", "env",
	"python", "package", "functions", "custom", "stages", "providers",
	NULL
};
#define TOP_KEYS_LIST "service, provider, runtime, memory, timeout, env, " \
	"python, package, functions, custom, stages, providers"

#define STAGE_KEYS_LIST "provider, runtime, memory, timeout, env, python, " \
	"package, functions, custom, providers"

static const char *const fn_keys[] = {
	"handler", "runtime", "memory", "timeout", "env", "events",
	"description", "package", NULL
};
#define FN_KEYS_LIST "handler, runtime, memory, timeout, env, events, " \
	"description, package"

static const char *const providers[] = {
	"local", "aws", "gcp", "azure", NULL
};
#define PROVIDERS_LIST "local, aws, gcp, azure"

static const char *const runtimes[] = {
	"nodejs18", "nodejs19", "nodejs20", "nodejs21", "nodejs22",
	"nodejs23", "nodejs24", "python3.10", "python3.11", "python3.12",
	"python3.13", "python3.14", "provided", NULL
};
#define RUNTIMES_LIST "nodejs18..nodejs24, python3.10..python3.14, provided"

static const char *const methods[] = {
	"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
	NULL
};
#define METHODS_LIST "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY"

static const char *const package_keys[] = {
	"include", "exclude", "external", "budget", "mode", NULL
};
static const char *const pack_modes[] = { "trace", "deps", "none", NULL };

struct loader {
	const char *name;	/* borrowed; manifest name for messages */
	const char *dir;	/* borrowed; absolute project directory */
	const struct node *top;	/* borrowed; merged document, for positions */
	struct ferry_error *err;
};

/* Shadow navigation: the node a resolved value came from (or its parent
 * or the string whose variable produced it). */
static const struct node *sh_child(const struct node *sh, const char *key)
{
	long i;

	if (!sh || sh->type != N_MAP)
		return sh;
	i = map_find(sh, key, strlen(key));
	return i < 0 ? sh : sh->items[i];
}

static const struct node *sh_key(const struct node *sh, const char *key)
{
	long i;

	if (!sh || sh->type != N_MAP)
		return sh;
	i = map_find(sh, key, strlen(key));
	return i < 0 ? sh : sh->keys[i];
}

static const struct node *sh_item(const struct node *sh, size_t i)
{
	if (!sh || sh->type != N_SEQ || i >= sh->nr)
		return sh;
	return sh->items[i];
}

static int lerr(struct loader *L, const struct node *at, const char *fmt,
		...) __attribute__((format(printf, 3, 4)));

static int lerr(struct loader *L, const struct node *at, const char *fmt,
		...)
{
	char msg[FERRY_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cerr(L->err, L->name, at ? at->line : 1, at ? at->col : 1,
		    "%s", msg);
}

/* "a list", "a number (5)", "the string 'x'"... for type errors. */
static const char *describe(char *buf, size_t size, const json_t *v)
{
	struct ferry_buf t = FERRY_BUF_INIT;
	char sb[128];

	if (!v)
		return "empty";
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "a map";
	case JSON_ARRAY:
		return "a list";
	case JSON_NULL:
		return "empty";
	case JSON_STRING:
		snprintf(buf, size, "the text '%s'",
			 show(sb, sizeof(sb), json_string_value(v),
			      json_string_length(v)));
		return buf;
	default:
		ferry_vars_scalar_text(&t, v);
		snprintf(buf, size, "%s (%s)", json_is_boolean(v) ?
			 "a boolean" : "a number", t.buf);
		ferry_buf_release(&t);
		return buf;
	}
}

/* A value that a variable produced: messages name the variable, not the
 * value, which may be a secret from the environment. */
static int from_var(const struct node *at)
{
	return at && at->type == N_SCALAR && memmem(at->text, at->len, "${", 2);
}

static int type_error(struct loader *L, const struct node *at,
		      const char *what, const json_t *v, const char *want)
{
	char b[256], e[128];

	if (from_var(at) && json_is_string(v)) {
		snprintf(b, sizeof(b), "the text from '%s'",
			 show(e, sizeof(e), at->text, at->len));
		return lerr(L, at, "%s is %s; it must be %s", what, b, want);
	}
	return lerr(L, at, "%s is %s; it must be %s", what,
		    describe(b, sizeof(b), v), want);
}

static int check_keys(struct loader *L, json_t *obj, const struct node *sh,
		      const char *const *allowed, const char *allowed_list,
		      const char *in)
{
	const char *key;
	json_t *val;
	char b[128];

	json_object_foreach(obj, key, val) {
		const char *const *a;
		const char *s;

		for (a = allowed; *a; a++)
			if (!strcmp(*a, key))
				break;
		if (*a)
			continue;
		s = ferry_suggest(key, allowed);
		show(b, sizeof(b), key, strlen(key));
		if (s)
			return lerr(L, sh_key(sh, key), "unknown key '%s'%s; "
				    "allowed: %s (did you mean '%s'?)", b, in,
				    allowed_list, s);
		return lerr(L, sh_key(sh, key), "unknown key '%s'%s; allowed: "
			    "%s", b, in, allowed_list);
	}
	return 0;
}

static int name_ok(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (!n || n > max || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

/* An unsigned number within [min, max]: integers, or digit strings
 * (which variables such as ${env:MEMORY} produce). */
static int get_uint(struct loader *L, json_t *v, const struct node *at,
		    const char *what, unsigned min, unsigned max,
		    const char *unit, unsigned *out)
{
	long long n;
	char want[128];

	snprintf(want, sizeof(want), "a whole number of %s, %u..%u", unit,
		 min, max);
	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_string(v) && json_string_length(v) &&
		   json_string_length(v) < 12 &&
		   strspn(json_string_value(v), "0123456789") ==
		   json_string_length(v)) {
		n = strtoll(json_string_value(v), NULL, 10);
	} else {
		return type_error(L, at, what, v, want);
	}
	if (n < min || n > max)
		return lerr(L, at, "%s %lld is out of range; allowed: %u..%u "
			    "(%s)", what, n, min, max, unit);
	*out = (unsigned)n;
	return 0;
}

static int get_str(struct loader *L, json_t *v, const struct node *at,
		   const char *what, const char *want, char **out)
{
	if (!json_is_string(v))
		return type_error(L, at, what, v, want);
	if (memchr(json_string_value(v), '\0', json_string_length(v)))
		return lerr(L, at, "%s contains a NUL character; it must be %s",
			    what, want);
	*out = ferry_strdup(json_string_value(v));
	return *out ? 0 : nomem(L->err);
}

/* ---- key/value vectors ---- */

static void kvvec_release(struct ferry_kvvec *v)
{
	size_t i;

	for (i = 0; i < v->nr; i++) {
		free(v->items[i].key);
		free(v->items[i].value);
	}
	free(v->items);
	memset(v, 0, sizeof(*v));
}

static int kvvec_set(struct ferry_kvvec *v, const char *key, const char *val)
{
	char *k, *x;
	size_t i;

	for (i = 0; i < v->nr; i++) {
		if (!strcmp(v->items[i].key, key)) {
			x = ferry_strdup(val);
			if (!x)
				return FERRY_ENOMEM;
			free(v->items[i].value);
			v->items[i].value = x;
			return 0;
		}
	}
	if (v->nr == v->alloc) {
		size_t na = v->alloc ? v->alloc * 2 : 8;
		struct ferry_kv *items = realloc(v->items,
						 na * sizeof(*items));

		if (!items)
			return FERRY_ENOMEM;
		v->items = items;
		v->alloc = na;
	}
	k = ferry_strdup(key);
	x = ferry_strdup(val);
	if (!k || !x) {
		free(k);
		free(x);
		return FERRY_ENOMEM;
	}
	v->items[v->nr].key = k;
	v->items[v->nr].value = x;
	v->nr++;
	return 0;
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ferry_kv *)a)->key,
		      ((const struct ferry_kv *)b)->key);
}

static void kvvec_sort(struct ferry_kvvec *v)
{
	if (v->nr > 1)
		qsort(v->items, v->nr, sizeof(*v->items), kv_cmp);
}

static int parse_env(struct loader *L, json_t *env, const struct node *sh,
		     const char *in, struct ferry_kvvec *out)
{
	struct ferry_buf t = FERRY_BUF_INIT;
	const char *key;
	json_t *val;
	char b[128];
	int rc = 0;

	if (!env || json_is_null(env))
		return 0;
	if (!json_is_object(env))
		return type_error(L, sh, "'env'", env, "a map of variable "
				  "names to values, e.g. 'env: { LOG_LEVEL: "
				  "info }'");
	json_object_foreach(env, key, val) {
		size_t i, n = strlen(key);
		int ok = n > 0 && !(key[0] >= '0' && key[0] <= '9');

		for (i = 0; i < n && ok; i++)
			ok = (key[i] >= 'A' && key[i] <= 'Z') ||
			     (key[i] >= 'a' && key[i] <= 'z') ||
			     (key[i] >= '0' && key[i] <= '9') || key[i] == '_';
		if (!ok || n > 255) {
			rc = lerr(L, sh_key(sh, key), "invalid environment "
				  "variable name '%s'%s; a name is letters, "
				  "digits and '_', not starting with a digit",
				  show(b, sizeof(b), key, n), in);
			break;
		}
		if (json_is_null(val)) {
			rc = lerr(L, sh_child(sh, key), "environment variable "
				  "'%s'%s has no value; write '%s: \"\"' for an "
				  "empty one", key, in, key);
			break;
		}
		if (json_is_object(val) || json_is_array(val)) {
			rc = type_error(L, sh_child(sh, key), "environment "
					"variable value", val, "text, a number "
					"or a boolean");
			break;
		}
		ferry_buf_reset(&t);
		if (ferry_vars_scalar_text(&t, val) ||
		    kvvec_set(out, key, t.buf)) {
			rc = nomem(L->err);
			break;
		}
	}
	ferry_buf_release(&t);
	return rc;
}

/* "10MB", "512 KB", "1GB", "123" or 123: bytes. */
static int parse_budget(struct loader *L, json_t *v, const struct node *at,
			uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {
		{ "", 1 }, { "b", 1 }, { "kb", 1ull << 10 },
		{ "mb", 1ull << 20 }, { "gb", 1ull << 30 },
	};
	const char *s, *u;
	char *end, b[128];
	unsigned long long n;
	size_t i;

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		goto bad;
	s = json_string_value(v);
	if (!(*s >= '0' && *s <= '9'))
		goto bad;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		goto bad;
	u = end;
	while (*u == ' ')
		u++;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcasecmp(u, units[i].unit) && (*u || u == end)) {
			if (n > UINT64_MAX / units[i].mult)
				goto bad;
			*out = n * units[i].mult;
			return 0;
		}
	}
bad:
	if (json_is_string(v) && !from_var(at))
		return lerr(L, at, "package budget '%s' is not a size; write "
			    "bytes or a size such as 512KB, 10MB or 1GB",
			    show(b, sizeof(b), json_string_value(v),
				 json_string_length(v)));
	return type_error(L, at, "the package budget", v, "bytes or a size "
			  "such as 512KB, 10MB or 1GB");
}

/* A list of globs (or one); `eg` is an example pattern for messages. */
static int parse_globs(struct loader *L, json_t *v, const struct node *at,
		       const char *what, const char *eg,
		       struct ferry_strvec *out)
{
	char want[128];
	json_t *item;
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v))
		return ferry_strvec_push(out, json_string_value(v)) ?
			nomem(L->err) : 0;
	if (!json_is_array(v)) {
		snprintf(want, sizeof(want), "a list of glob patterns, "
			 "e.g. [\"%s\"]", eg);
		return type_error(L, at, what, v, want);
	}
	snprintf(want, sizeof(want), "a non-empty glob pattern such as "
		 "\"%s\"", eg);
	json_array_foreach(v, i, item) {
		if (!json_is_string(item) || !json_string_length(item))
			return type_error(L, sh_item(at, i), "a pattern of "
					  "the list", item, want);
		if (ferry_strvec_push(out, json_string_value(item)))
			return nomem(L->err);
	}
	return 0;
}

/* `package:` block into `out` (lists appended, mode/budget set). `norm`,
 * when not NULL, receives the normalised block for the document. */
static int parse_package(struct loader *L, json_t *pk, const struct node *sh,
			 const char *in, struct ferry_package_opts *out,
			 json_t *norm)
{
	struct ferry_strvec inc = FERRY_STRVEC_INIT, exc = FERRY_STRVEC_INIT;
	struct ferry_strvec ext = FERRY_STRVEC_INIT;
	json_t *v, *arr = NULL;
	char b[128];
	size_t i;
	int rc = 0;

	if (!pk || json_is_null(pk))
		return 0;
	if (!json_is_object(pk))
		return type_error(L, sh, "'package'", pk, "a map with "
				  "include, exclude, external, budget and "
				  "mode");
	rc = check_keys(L, pk, sh, package_keys,
			"include, exclude, external, budget, mode", in);
	if (rc)
		return rc;
	rc = parse_globs(L, json_object_get(pk, "include"),
			 sh_child(sh, "include"), "'include'", "assets/**",
			 &inc);
	if (!rc)
		rc = parse_globs(L, json_object_get(pk, "exclude"),
				 sh_child(sh, "exclude"), "'exclude'",
				 "assets/**", &exc);
	if (!rc)
		rc = parse_globs(L, json_object_get(pk, "external"),
				 sh_child(sh, "external"), "'external'",
				 "@aws-sdk/*", &ext);
	if (rc)
		goto out;
	for (i = 0; i < inc.nr; i++)
		if (ferry_strvec_push(&out->include, inc.items[i]))
			goto oom;
	for (i = 0; i < exc.nr; i++)
		if (ferry_strvec_push(&out->exclude, exc.items[i]))
			goto oom;
	for (i = 0; i < ext.nr; i++)
		if (ferry_strvec_push(&out->external, ext.items[i]))
			goto oom;
	if (norm && inc.nr) {
		arr = json_array();
		for (i = 0; arr && i < inc.nr; i++)
			json_array_append_new(arr, json_string(inc.items[i]));
		if (!arr || json_object_set_new(norm, "include", arr))
			goto oom;
	}
	if (norm && exc.nr) {
		arr = json_array();
		for (i = 0; arr && i < exc.nr; i++)
			json_array_append_new(arr, json_string(exc.items[i]));
		if (!arr || json_object_set_new(norm, "exclude", arr))
			goto oom;
	}
	if (norm && ext.nr) {
		arr = json_array();
		for (i = 0; arr && i < ext.nr; i++)
			json_array_append_new(arr, json_string(ext.items[i]));
		if (!arr || json_object_set_new(norm, "external", arr))
			goto oom;
	}
	v = json_object_get(pk, "budget");
	if (v && !json_is_null(v)) {
		rc = parse_budget(L, v, sh_child(sh, "budget"), &out->budget);
		if (rc)
			goto out;
		if (norm && json_object_set_new(norm, "budget",
				json_integer((json_int_t)out->budget)))
			goto oom;
	}
	v = json_object_get(pk, "mode");
	if (v && !json_is_null(v)) {
		const char *s;

		if (!json_is_string(v)) {
			rc = type_error(L, sh_child(sh, "mode"), "'mode'", v,
					"one of: trace, deps, none");
			goto out;
		}
		s = json_string_value(v);
		if (!in_list(s, pack_modes)) {
			const char *sug = ferry_suggest(s, pack_modes);

			show(b, sizeof(b), s, strlen(s));
			rc = sug ? lerr(L, sh_child(sh, "mode"), "unknown "
					"package mode '%s'; allowed: trace, "
					"deps, none (did you mean '%s'?)", b,
					sug) :
				lerr(L, sh_child(sh, "mode"), "unknown package "
				     "mode '%s'; allowed: trace, deps, none",
				     b);
			goto out;
		}
		out->mode = s[0] == 't' ? FERRY_PACK_TRACE :
			    s[0] == 'd' ? FERRY_PACK_DEPS : FERRY_PACK_NONE;
		if (norm && json_object_set_new(norm, "mode", json_string(s)))
			goto oom;
	}
	goto out;
oom:
	rc = nomem(L->err);
out:
	ferry_strvec_release(&inc);
	ferry_strvec_release(&exc);
	ferry_strvec_release(&ext);
	return rc;
}

/* ---- events ---- */

/* Why an http path is invalid, or NULL. */
static const char *http_path_problem(const char *p, char *buf, size_t size)
{
	const char *seg = p + 1;
	struct ferry_strvec params = FERRY_STRVEC_INIT;
	const char *why = NULL;

	if (p[0] != '/')
		return "it must start with '/'";
	if (!p[1])
		return NULL;
	for (;;) {
		const char *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);

		if (!n) {
			why = "it has an empty segment ('//' or a trailing '/')";
			break;
		}
		if (seg[0] == '{') {
			size_t k, nl;
			int greedy;

			if (seg[n - 1] != '}' || n < 3) {
				why = "a parameter segment must be {name} or "
				      "{name+}";
				break;
			}
			greedy = seg[n - 2] == '+';
			nl = n - 2 - (size_t)greedy;
			if (!nl || (seg[1] >= '0' && seg[1] <= '9')) {
				why = "a parameter name is letters, digits and "
				      "'_', not starting with a digit";
				break;
			}
			for (k = 1; k <= nl; k++)
				if (!((seg[k] >= 'a' && seg[k] <= 'z') ||
				      (seg[k] >= 'A' && seg[k] <= 'Z') ||
				      (seg[k] >= '0' && seg[k] <= '9') ||
				      seg[k] == '_'))
					break;
			if (k <= nl) {
				why = "a parameter name is letters, digits and "
				      "'_', not starting with a digit";
				break;
			}
			if (greedy && end) {
				why = "only the last segment may be a greedy "
				      "{name+} parameter";
				break;
			}
			snprintf(buf, size, "%.*s", (int)nl, seg + 1);
			if (ferry_strvec_find(&params, buf) >= 0) {
				snprintf(buf, size, "it repeats the parameter "
					 "'{%.*s}'", (int)(nl > 60 ? 60 : nl),
					 seg + 1);
				why = buf;
				break;
			}
			if (ferry_strvec_push(&params, buf)) {
				why = "out of memory";
				break;
			}
		} else {
			size_t k;

			for (k = 0; k < n; k++)
				if (!((seg[k] >= 'a' && seg[k] <= 'z') ||
				      (seg[k] >= 'A' && seg[k] <= 'Z') ||
				      (seg[k] >= '0' && seg[k] <= '9') ||
				      strchr("._~-", seg[k])))
					break;
			if (k < n) {
				snprintf(buf, size, "it contains '%c', which is "
					 "not allowed in a segment",
					 seg[k] >= 0x20 && seg[k] < 0x7f ?
					 seg[k] : '?');
				why = buf;
				break;
			}
		}
		if (!end)
			break;
		seg = end + 1;
	}
	ferry_strvec_release(&params);
	return why;
}

static const char *rate_problem(const char *in, size_t len)
{
	static const char *const units[] = {
		"minute", "minutes", "hour", "hours", "day", "days", NULL
	};
	char unit[16];
	size_t d = strspn(in, "0123456789"), ul;
	const char *u;

	if (!d || d > 9 || in[0] == '0' || d >= len || in[d] != ' ')
		return "rate() takes a positive whole number and a unit, "
		       "e.g. rate(5 minutes)";
	u = in + d + 1;
	ul = len - d - 1;
	if (ul >= sizeof(unit))
		return "the unit of rate() is minute(s), hour(s) or day(s)";
	memcpy(unit, u, ul);
	unit[ul] = '\0';
	if (!in_list(unit, units))
		return "the unit of rate() is minute(s), hour(s) or day(s)";
	if ((d == 1 && in[0] == '1') != (unit[ul - 1] != 's'))
		return "use the singular unit for 1 (rate(1 day)) and the "
		       "plural otherwise (rate(2 days))";
	return NULL;
}

static const char *cron_problem(const char *in, size_t len, char *buf,
				size_t size)
{
	static const char *const names[] = {
		"minutes", "hours", "day-of-month", "month", "day-of-week",
		"year"
	};
	static const char *const sets[] = {
		"0123456789,-*/", "0123456789,-*/", "0123456789,-*?/LW",
		"0123456789,-*/ABCDEFGJLMNOPRSTUVYabcdefgjlmnoprstuvy",
		"0123456789,-*?L#ADEFHIMNORSTUWadefhimnorstuw",
		"0123456789,-*/"
	};
	const char *f[6];
	size_t fl[6], nf = 0, i = 0, k;

	while (i < len) {
		size_t s;

		while (i < len && in[i] == ' ')
			i++;
		if (i >= len)
			break;
		s = i;
		while (i < len && in[i] != ' ')
			i++;
		if (nf < 6) {
			f[nf] = in + s;
			fl[nf] = i - s;
		}
		nf++;
	}
	if (nf != 6) {
		snprintf(buf, size, "cron() has 6 fields (minutes hours "
			 "day-of-month month day-of-week year), not %zu", nf);
		return buf;
	}
	for (i = 0; i < 6; i++) {
		for (k = 0; k < fl[i]; k++) {
			if (!strchr(sets[i], f[i][k]) || !f[i][k]) {
				snprintf(buf, size, "the %s field '%.*s' has "
					 "the character '%c', which it does "
					 "not allow", names[i], (int)fl[i],
					 f[i], f[i][k] >= 0x20 ? f[i][k] : '?');
				return buf;
			}
		}
	}
	if (!(fl[2] == 1 && f[2][0] == '?') == !(fl[4] == 1 && f[4][0] == '?'))
		return "exactly one of day-of-month and day-of-week must be "
		       "'?'";
	return NULL;
}

static int parse_event(struct loader *L, json_t *ev, const struct node *sh,
		       const char *fname, struct ferry_event *out,
		       json_t **norm)
{
	static const char *const types[] = { "http", "schedule", NULL };
	static const char *const http_keys[] = { "method", "path", NULL };
	const char *type = NULL, *s;
	json_t *v;
	char b[256], pb[256], sb[128];
	int rc;

	out->pos.line = sh ? sh->line : 0;
	out->pos.col = sh ? sh->col : 0;
	if (!json_is_object(ev) || json_object_size(ev) != 1)
		return type_error(L, sh, "an event", ev, "a map with one "
				  "key, http or schedule, e.g. '- http: GET "
				  "/users'");
	json_object_foreach(ev, type, v)
		break;
	if (!in_list(type, types)) {
		const char *sug = ferry_suggest(type, types);

		show(sb, sizeof(sb), type, strlen(type));
		return sug ? lerr(L, sh_key(sh, type), "unknown event type "
				  "'%s' in function '%s'; allowed: http, "
				  "schedule (did you mean '%s'?)", sb, fname,
				  sug) :
			lerr(L, sh_key(sh, type), "unknown event type '%s' in "
			     "function '%s'; allowed: http, schedule", sb,
			     fname);
	}
	sh = sh_child(sh, type);
	if (type[0] == 'h') {
		char *method = NULL, *path = NULL;
		const char *why;
		size_t i;

		out->type = FERRY_EVENT_HTTP;
		if (json_is_string(v)) {
			const char *sp;

			s = json_string_value(v);
			while (*s == ' ')
				s++;
			sp = strchr(s, ' ');
			if (!sp)
				return lerr(L, sh, "http event '%s' needs a "
					    "method and a path; write e.g. "
					    "'http: GET /users'",
					    show(sb, sizeof(sb), s, strlen(s)));
			method = strndup(s, (size_t)(sp - s));
			while (*sp == ' ')
				sp++;
			path = ferry_strdup(sp);
			if (path)
				while (*path && path[strlen(path) - 1] == ' ')
					path[strlen(path) - 1] = '\0';
		} else if (json_is_object(v)) {
			json_t *m = json_object_get(v, "method");
			json_t *p = json_object_get(v, "path");

			rc = check_keys(L, v, sh, http_keys, "method, path",
					" of an http event");
			if (rc)
				return rc;
			if (!json_is_string(m))
				return type_error(L, m ? sh_child(sh, "method")
						  : sh, "the http 'method'",
						  m ? m : json_null(),
						  "one of " METHODS_LIST);
			if (!json_is_string(p))
				return type_error(L, p ? sh_child(sh, "path")
						  : sh, "the http 'path'",
						  p ? p : json_null(),
						  "a path such as '/users/{id}'");
			method = ferry_strdup(json_string_value(m));
			path = ferry_strdup(json_string_value(p));
		} else {
			return type_error(L, sh, "an http event", v, "'METHOD "
					  "/path' or { method, path }");
		}
		out->method = method;
		out->path = path;
		if (!method || !path)
			return nomem(L->err);
		for (i = 0; method[i]; i++)
			if (method[i] >= 'a' && method[i] <= 'z')
				method[i] = (char)(method[i] - 'a' + 'A');
		if (!in_list(method, methods)) {
			const char *sug = ferry_suggest(method, methods);

			show(sb, sizeof(sb), method, strlen(method));
			return sug ? lerr(L, sh, "unknown http method '%s'; "
					  "allowed: " METHODS_LIST
					  " (did you mean '%s'?)", sb, sug) :
				lerr(L, sh, "unknown http method '%s'; allowed: "
				     METHODS_LIST, sb);
		}
		why = http_path_problem(path, pb, sizeof(pb));
		if (why)
			return lerr(L, sh, "invalid http path '%s': %s; a path "
				    "is '/' and segments of letters, digits, "
				    "'.', '_', '~', '-', or {name}, with "
				    "{name+} allowed last",
				    show(sb, sizeof(sb), path, strlen(path)),
				    why);
		*norm = json_pack("{s:{s:s,s:s}}", "http", "method", method,
				  "path", path);
	} else {
		const char *why;
		size_t n;

		out->type = FERRY_EVENT_SCHEDULE;
		if (!json_is_string(v))
			return type_error(L, sh, "a schedule", v, "rate(...) "
					  "or cron(...)");
		s = json_string_value(v);
		n = strlen(s);
		out->schedule = ferry_strdup(s);
		if (!out->schedule)
			return nomem(L->err);
		if (n > 6 && !strncmp(s, "rate(", 5) && s[n - 1] == ')')
			why = rate_problem(s + 5, n - 6);
		else if (n > 6 && !strncmp(s, "cron(", 5) && s[n - 1] == ')')
			why = cron_problem(s + 5, n - 6, b, sizeof(b));
		else
			why = "it is neither rate(...) nor cron(...)";
		if (why)
			return lerr(L, sh, "invalid schedule '%s': %s; write "
				    "rate(1 day), rate(5 minutes) or cron(0 3 "
				    "* * ? *)", show(sb, sizeof(sb), s, n),
				    why);
		*norm = json_pack("{s:s}", "schedule", s);
	}
	return *norm ? 0 : nomem(L->err);
}

/* ---- functions ---- */

static int runtime_check(struct loader *L, const char *rt,
			 const struct node *at)
{
	const char *sug;
	char b[128];

	if (in_list(rt, runtimes))
		return 0;
	sug = ferry_suggest(rt, runtimes);
	show(b, sizeof(b), rt, strlen(rt));
	if (sug)
		return lerr(L, at, "unknown runtime '%s'; allowed: "
			    RUNTIMES_LIST " (did you mean '%s'?)", b, sug);
	return lerr(L, at, "unknown runtime '%s'; allowed: " RUNTIMES_LIST, b);
}

static enum ferry_runtime_kind runtime_kind(const char *rt)
{
	if (!strncmp(rt, "nodejs", 6))
		return FERRY_RT_NODE;
	if (!strncmp(rt, "python", 6))
		return FERRY_RT_PYTHON;
	return FERRY_RT_PROVIDED;
}

static int export_ok(const char *s)
{
	size_t i;

	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '$'))
			return 0;
	return 1;
}

static int rel_escapes(const char *p)
{
	long depth = 0;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 1;
		} else if (n && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	return 0;
}

/* Split the handler and find its file (relative to the project). */
static int resolve_handler(struct loader *L, struct ferry_function *fn,
			   const struct node *at)
{
	static const char *const node_ext[] = { ".js", ".mjs", ".cjs", NULL };
	static const char *const py_ext[] = { ".py", NULL };
	static const char *const no_ext[] = { "", NULL };
	const char *const *exts;
	struct ferry_buf tried = FERRY_BUF_INIT;
	const char *h = fn->handler, *dot = strrchr(h, '.');
	const char *slash = strrchr(h, '/');
	char *path = NULL, *exp = NULL, *rel = NULL, *abs = NULL, b[128];
	size_t i;
	int rc = 0;

	show(b, sizeof(b), h, strlen(h));
	if (h[0] == '/' || rel_escapes(h)) {
		rc = lerr(L, at, "handler '%s' of function '%s' is outside the "
			  "project directory; write a relative path such as "
			  "'src/%s.handler'", b, fn->name, fn->name);
		goto out;
	}
	if (dot && (!slash || dot > slash)) {
		path = strndup(h, (size_t)(dot - h));
		exp = ferry_strdup(dot + 1);
	} else if (fn->runtime_kind == FERRY_RT_PROVIDED) {
		path = ferry_strdup(h);
		exp = ferry_strdup("handler");
	} else {
		rc = lerr(L, at, "handler '%s' of function '%s' has no "
			  "exported name; write <path without extension>."
			  "<export>, e.g. 'src/%s.handler'", b, fn->name,
			  fn->name);
		goto out;
	}
	if (!path || !exp) {
		rc = nomem(L->err);
		goto out;
	}
	if (!*path || !export_ok(exp) || path[strlen(path) - 1] == '/') {
		rc = lerr(L, at, "invalid handler '%s' of function '%s'; write "
			  "<path without extension>.<export>, e.g. "
			  "'src/%s.handler'", b, fn->name, fn->name);
		goto out;
	}
	exts = fn->runtime_kind == FERRY_RT_NODE ? node_ext :
	       fn->runtime_kind == FERRY_RT_PYTHON ? py_ext : no_ext;
	for (i = 0; exts[i]; i++) {
		free(rel);
		free(abs);
		rel = ferry_xstrfmt("%s%s", path, exts[i]);
		abs = rel ? ferry_path_join(L->dir, rel) : NULL;
		if (!rel || !abs) {
			rc = nomem(L->err);
			goto out;
		}
		if (ferry_fs_is_file(abs))
			break;
		ferry_buf_addf(&tried, "%s'%s'", i ? ", " : "", rel);
	}
	if (!exts[i] && fn->runtime_kind == FERRY_RT_PROVIDED) {
		/* "bin/run.sh": a provided handler may be a file with a dot */
		free(rel);
		free(abs);
		rel = ferry_strdup(h);
		abs = rel ? ferry_path_join(L->dir, h) : NULL;
		if (!rel || !abs) {
			rc = nomem(L->err);
			goto out;
		}
		if (ferry_fs_is_file(abs)) {
			free(exp);
			exp = ferry_strdup("handler");
			i = 0;
		}
	}
	if (!exts[i] || !exp) {
		rc = !exp ? nomem(L->err) :
			lerr(L, at, "handler file of '%s' (function '%s') not "
			     "found: tried %s; create it or fix the handler "
			     "(<path without extension>.<export>, relative to "
			     "the project directory)", b, fn->name, tried.buf);
		goto out;
	}
	if (fn->runtime_kind == FERRY_RT_PROVIDED && access(abs, X_OK)) {
		rc = lerr(L, at, "handler file '%s' of function '%s' is not "
			  "executable; a 'provided' runtime runs it directly "
			  "(chmod +x %s)", rel, fn->name, rel);
		goto out;
	}
	fn->handler_file = rel;
	fn->handler_export = exp;
	rel = exp = NULL;
out:
	ferry_buf_release(&tried);
	free(path);
	free(exp);
	free(rel);
	free(abs);
	return rc;
}

static void package_release(struct ferry_package_opts *p)
{
	ferry_strvec_release(&p->include);
	ferry_strvec_release(&p->exclude);
	ferry_strvec_release(&p->external);
}

static void function_release(struct ferry_function *fn)
{
	size_t i;

	free(fn->name);
	free(fn->full_name);
	free(fn->handler);
	free(fn->handler_file);
	free(fn->handler_export);
	free(fn->runtime);
	free(fn->description);
	kvvec_release(&fn->env);
	for (i = 0; i < fn->events_nr; i++) {
		free(fn->events[i].method);
		free(fn->events[i].path);
		free(fn->events[i].schedule);
	}
	free(fn->events);
	package_release(&fn->package);
}

static json_t *kv_json(const struct ferry_kvvec *kv)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < kv->nr; i++) {
		if (json_object_set_new(o, kv->items[i].key,
					json_string(kv->items[i].value))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static int build_function(struct loader *L, struct ferry_config *cfg,
			  struct ferry_function *fn, const char *name,
			  json_t *fv, const struct node *sh,
			  const struct node *shk, json_t *fdoc)
{
	char in[160], b[128];
	json_t *v, *events = NULL, *pkg = NULL;
	size_t i;
	int rc = 0;

	fn->pos.line = shk ? shk->line : 0;
	fn->pos.col = shk ? shk->col : 0;
	fn->name = ferry_strdup(name);
	fn->full_name = ferry_xstrfmt("%s-%s-%s", cfg->service, cfg->stage,
				      name);
	if (!fn->name || !fn->full_name)
		return nomem(L->err);
	if (!name_ok(name, 40))
		return lerr(L, shk, "invalid function name '%s'; a name is 1-40 "
			    "characters of a-z, 0-9 and '-', starting with a "
			    "letter", show(b, sizeof(b), name, strlen(name)));
	if (json_is_null(fv))
		return lerr(L, shk, "function '%s' has no 'handler'; add "
			    "'handler: <path without extension>.<export>', "
			    "e.g. 'src/%s.handler'", name, name);
	if (!json_is_object(fv)) {
		snprintf(in, sizeof(in), "function '%s'", name);
		return type_error(L, sh, in, fv, "a map of settings with at "
				  "least 'handler'");
	}
	snprintf(in, sizeof(in), " of function '%s'", name);
	rc = check_keys(L, fv, sh, fn_keys, FN_KEYS_LIST, in);
	if (rc)
		return rc;

	v = json_object_get(fv, "handler");
	if (!v || json_is_null(v))
		return lerr(L, shk, "function '%s' has no 'handler'; add "
			    "'handler: <path without extension>.<export>', "
			    "e.g. 'src/%s.handler'", name, name);
	rc = get_str(L, v, sh_child(sh, "handler"), "'handler'",
		     "<path without extension>.<export>", &fn->handler);
	if (rc)
		return rc;

	v = json_object_get(fv, "runtime");
	if (v && !json_is_null(v)) {
		rc = get_str(L, v, sh_child(sh, "runtime"), "'runtime'",
			     "one of " RUNTIMES_LIST, &fn->runtime);
		if (!rc)
			rc = runtime_check(L, fn->runtime,
					   sh_child(sh, "runtime"));
		if (rc)
			return rc;
	} else if (cfg->runtime) {
		fn->runtime = ferry_strdup(cfg->runtime);
		if (!fn->runtime)
			return nomem(L->err);
	} else {
		return lerr(L, shk, "function '%s' has no runtime; set "
			    "'runtime:' on the function or at the top "
			    "(allowed: " RUNTIMES_LIST ")", name);
	}
	fn->runtime_kind = runtime_kind(fn->runtime);

	fn->memory = cfg->memory;
	v = json_object_get(fv, "memory");
	if (v && !json_is_null(v)) {
		rc = get_uint(L, v, sh_child(sh, "memory"), "memory", 128,
			      10240, "MB", &fn->memory);
		if (rc)
			return rc;
	}
	fn->timeout = cfg->timeout;
	v = json_object_get(fv, "timeout");
	if (v && !json_is_null(v)) {
		rc = get_uint(L, v, sh_child(sh, "timeout"), "timeout", 1, 900,
			      "seconds", &fn->timeout);
		if (rc)
			return rc;
	}
	v = json_object_get(fv, "description");
	if (v && !json_is_null(v)) {
		rc = get_str(L, v, sh_child(sh, "description"),
			     "'description'", "text", &fn->description);
		if (rc)
			return rc;
	}
	for (i = 0; i < cfg->env.nr; i++)
		if (kvvec_set(&fn->env, cfg->env.items[i].key,
			      cfg->env.items[i].value))
			return nomem(L->err);
	rc = parse_env(L, json_object_get(fv, "env"), sh_child(sh, "env"), in,
		       &fn->env);
	if (rc)
		return rc;
	kvvec_sort(&fn->env);

	v = json_object_get(fv, "events");
	if (v && !json_is_null(v)) {
		json_t *ev;

		if (!json_is_array(v))
			return type_error(L, sh_child(sh, "events"), "'events'",
					  v, "a list, e.g. '- http: GET /users'");
		fn->events = calloc(json_array_size(v) + 1,
				    sizeof(*fn->events));
		events = json_array();
		if (!fn->events || !events) {
			rc = nomem(L->err);
			goto out;
		}
		json_array_foreach(v, i, ev) {
			json_t *norm = NULL;

			rc = parse_event(L, ev, sh_item(sh_child(sh, "events"),
							i), name,
					 &fn->events[i], &norm);
			fn->events_nr = i + 1;
			if (rc)
				goto out;
			if (json_array_append_new(events, norm)) {
				rc = nomem(L->err);
				goto out;
			}
		}
	}

	for (i = 0; i < cfg->package.include.nr; i++)
		if (ferry_strvec_push(&fn->package.include,
				      cfg->package.include.items[i]))
			goto oom;
	for (i = 0; i < cfg->package.exclude.nr; i++)
		if (ferry_strvec_push(&fn->package.exclude,
				      cfg->package.exclude.items[i]))
			goto oom;
	for (i = 0; i < cfg->package.external.nr; i++)
		if (ferry_strvec_push(&fn->package.external,
				      cfg->package.external.items[i]))
			goto oom;
	fn->package.mode = cfg->package.mode;
	fn->package.budget = cfg->package.budget;
	v = json_object_get(fv, "package");
	if (v && !json_is_null(v)) {
		pkg = json_object();
		if (!pkg)
			goto oom;
		snprintf(in, sizeof(in), " of the package of function '%s'",
			 name);
		rc = parse_package(L, v, sh_child(sh, "package"), in,
				   &fn->package, pkg);
		if (rc)
			goto out;
	}
	rc = resolve_handler(L, fn, sh_child(sh, "handler"));
	if (rc)
		goto out;

	if (json_object_set_new(fdoc, "handler", json_string(fn->handler)) ||
	    json_object_set_new(fdoc, "runtime", json_string(fn->runtime)) ||
	    json_object_set_new(fdoc, "memory", json_integer(fn->memory)) ||
	    json_object_set_new(fdoc, "timeout", json_integer(fn->timeout)))
		goto oom;
	if (fn->description &&
	    json_object_set_new(fdoc, "description",
				json_string(fn->description)))
		goto oom;
	if (fn->env.nr && json_object_set_new(fdoc, "env", kv_json(&fn->env)))
		goto oom;
	if (events && json_array_size(events) &&
	    json_object_set(fdoc, "events", events))
		goto oom;
	if (pkg && json_object_size(pkg) &&
	    json_object_set(fdoc, "package", pkg))
		goto oom;
	goto out;
oom:
	rc = nomem(L->err);
out:
	json_decref(events);
	json_decref(pkg);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Stages                                                              */

static const struct node *key_of(const struct node *m, const char *key)
{
	long i = map_find(m, key, strlen(key));

	return i < 0 ? NULL : m->keys[i];
}

static int check_top_keys(struct loader *L, const struct node *m,
			  const char *stage)
{
	char in[64], b[128];
	size_t i;

	snprintf(in, sizeof(in), " in stage '%s'", stage ? stage : "");
	for (i = 0; i < m->nr; i++) {
		const struct node *k = m->keys[i];
		const char *sug;

		if (memchr(k->text, '\0', k->len))
			return lerr(L, k, "a key contains a NUL character; "
				    "allowed: " TOP_KEYS_LIST);
		if (in_list(k->text, top_keys)) {
			if (stage && (!strcmp(k->text, "service") ||
				      !strcmp(k->text, "stages")))
				return lerr(L, k, "'%s' cannot be overridden "
					    "per stage; allowed in a stage: "
					    "any top-level key except service "
					    "and stages", k->text);
			continue;
		}
		sug = ferry_suggest(k->text, top_keys);
		show(b, sizeof(b), k->text, k->len);
		if (stage)
			return lerr(L, k, "unknown key '%s'%s; allowed: "
				    STAGE_KEYS_LIST "%s%s%s", b, in,
				    sug ? " (did you mean '" : "",
				    sug ? sug : "", sug ? "'?)" : "");
		if (sug)
			return lerr(L, k, "unknown key '%s'; allowed: "
				    TOP_KEYS_LIST " (did you mean '%s'?)", b,
				    sug);
		return lerr(L, k, "unknown key '%s'; allowed: " TOP_KEYS_LIST,
			    b);
	}
	return 0;
}

/* Deep merge: maps merge key by key, everything else is replaced. */
static struct node *merge_nodes(struct tree *t, struct node *base,
				struct node *over)
{
	struct node *m;
	size_t i;

	if (over->type == N_SCALAR && over->stype != S_STR &&
	    (!over->len || !strcmp(over->text, "~") ||
	     !strcmp(over->text, "null")))
		return base;	/* an empty override changes nothing */
	if (base->type != N_MAP || over->type != N_MAP)
		return over;
	m = node_new(t, N_MAP, base->line, base->col);
	if (!m)
		return NULL;
	for (i = 0; i < base->nr; i++) {
		long j = map_find(over, base->keys[i]->text,
				  base->keys[i]->len);
		struct node *v = base->items[i];

		if (j >= 0)
			v = merge_nodes(t, v, over->items[j]);
		if (!v || node_push(m, base->keys[i], v))
			return NULL;
	}
	for (i = 0; i < over->nr; i++) {
		if (map_find(base, over->keys[i]->text, over->keys[i]->len) >= 0)
			continue;
		if (node_push(m, over->keys[i], over->items[i]))
			return NULL;
	}
	return m;
}

static int stage_list(struct ferry_strvec *out, const struct node *stages)
{
	size_t i;

	if (ferry_strvec_push(out, "dev"))
		return FERRY_ENOMEM;
	for (i = 0; stages && i < stages->nr; i++)
		if (ferry_strvec_find(out, stages->keys[i]->text) < 0 &&
		    ferry_strvec_push(out, stages->keys[i]->text))
			return FERRY_ENOMEM;
	ferry_strvec_sort(out);
	return 0;
}

/* Validate `stages:` and the selected stage; *over is its overrides. */
static int select_stage(struct loader *L, const struct node *root,
			const char *stage, const char *from,
			struct node **over)
{
	const struct node *stages = map_get(root, "stages");
	const struct node *sk = key_of(root, "stages");
	struct ferry_strvec names = FERRY_STRVEC_INIT;
	char b[128];
	size_t i;
	int rc = 0;

	*over = NULL;
	show(b, sizeof(b), stage, strlen(stage));
	if (!name_ok(stage, 16))
		return lerr(L, sk ? sk : NULL, "invalid stage name '%s'%s%s%s; "
			    "a stage name is 1-16 characters of a-z, 0-9 and "
			    "'-', starting with a letter", b,
			    from ? " (from " : "", from ? from : "",
			    from ? ")" : "");
	if (!stages || (stages->type == N_SCALAR && stages->stype != S_STR &&
			!stages->len))
		return 0;
	if (stages->type != N_MAP)
		return lerr(L, stages, "'stages' is %s; it must be a map of "
			    "stage names to overrides, e.g. 'stages: { prod: "
			    "{ memory: 1024 } }'",
			    stages->type == N_SEQ ? "a list" : "a plain value");
	for (i = 0; i < stages->nr; i++) {
		const struct node *k = stages->keys[i], *v = stages->items[i];

		if (!name_ok(k->text, 16) || memchr(k->text, '\0', k->len))
			return lerr(L, k, "invalid stage name '%s'; a stage "
				    "name is 1-16 characters of a-z, 0-9 and "
				    "'-', starting with a letter",
				    show(b, sizeof(b), k->text, k->len));
		if (v->type == N_SCALAR && v->stype != S_STR && !v->len)
			continue;
		if (v->type != N_MAP)
			return lerr(L, v, "stage '%s' is %s; it must be a map "
				    "of top-level keys to override, e.g. "
				    "'%s: { memory: 1024 }'", k->text,
				    v->type == N_SEQ ? "a list" :
				    "a plain value", k->text);
		rc = check_top_keys(L, v, k->text);
		if (rc)
			return rc;
		if (!strcmp(k->text, stage))
			*over = stages->items[i];
	}
	if (*over || !strcmp(stage, "dev"))
		return 0;
	for (i = 0; i < stages->nr; i++)
		if (!strcmp(stages->keys[i]->text, stage))
			return 0;	/* an empty stage */
	if (stage_list(&names, stages))
		return nomem(L->err);
	{
		struct ferry_buf list = FERRY_BUF_INIT;
		const char *sug;

		const char **cand = calloc(names.nr + 1, sizeof(*cand));

		if (!cand) {
			ferry_strvec_release(&names);
			return nomem(L->err);
		}
		for (i = 0; i < names.nr; i++) {
			ferry_buf_addf(&list, "%s%s", i ? ", " : "",
				       names.items[i]);
			cand[i] = names.items[i];
		}
		sug = ferry_suggest(stage, cand);
		free(cand);
		show(b, sizeof(b), stage, strlen(stage));
		if (sug)
			rc = lerr(L, sk, "unknown stage '%s'%s%s%s; stages "
				  "defined here: %s (did you mean '%s'?)", b,
				  from ? " (from " : "", from ? from : "",
				  from ? ")" : "", list.buf, sug);
		else
			rc = lerr(L, sk, "unknown stage '%s'%s%s%s; stages "
				  "defined here: %s", b, from ? " (from " : "",
				  from ? from : "", from ? ")" : "", list.buf);
		ferry_buf_release(&list);
	}
	ferry_strvec_release(&names);
	return rc;
}

static int provider_check(struct loader *L, const char *p, const char *from,
			  const struct node *at)
{
	const char *sug;
	char b[128];

	if (in_list(p, providers))
		return 0;
	sug = ferry_suggest(p, providers);
	show(b, sizeof(b), p, strlen(p));
	if (sug)
		return lerr(L, at, "unknown provider '%s'%s%s%s; allowed: "
			    PROVIDERS_LIST " (did you mean '%s'?)", b,
			    from ? " (from " : "", from ? from : "",
			    from ? ")" : "", sug);
	return lerr(L, at, "unknown provider '%s'%s%s%s; allowed: "
		    PROVIDERS_LIST, b, from ? " (from " : "",
		    from ? from : "", from ? ")" : "");
}

/* ------------------------------------------------------------------ */
/* Conversion of the merged document, with variable positions          */

static int vp_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct varpos *)a)->str;
	uintptr_t y = (uintptr_t)((const struct varpos *)b)->str;

	return x < y ? -1 : x > y;
}

static void vars_where(void *data, const json_t *str, int *line, int *col)
{
	const struct conv *c = data;
	struct varpos key, *hit;

	key.str = str;
	key.node = NULL;
	hit = c->vp_nr ? bsearch(&key, c->vp, c->vp_nr, sizeof(*c->vp),
				 vp_cmp) : NULL;
	*line = hit ? hit->node->line : 0;
	*col = hit ? hit->node->col : 0;
}

/* A function's settings; its `env` values keep their text. */
static int convert_function(struct conv *c, struct node *f, json_t **out,
			    struct ferry_error *err)
{
	json_t *fj, *x = NULL;
	size_t i;
	int rc = 0;

	if (f->type != N_MAP || !map_get(f, "env"))
		return to_json(c, f, 0, out, err);
	fj = json_object();
	if (!fj)
		return nomem(err);
	for (i = 0; i < f->nr; i++) {
		rc = to_json(c, f->items[i], key_eq(f->keys[i], "env", 3), &x,
			     err);
		if (rc)
			break;
		if (json_object_setn_new(fj, f->keys[i]->text, f->keys[i]->len,
					 x)) {
			rc = nomem(err);
			break;
		}
	}
	if (rc) {
		json_decref(fj);
		return rc;
	}
	*out = fj;
	return 0;
}

/* The merged document; env values and provider settings keep their
 * text. */
static int convert_doc(struct conv *c, struct node *top, json_t **out,
		       struct ferry_error *err)
{
	json_t *doc = json_object(), *v = NULL, *fj = NULL;
	size_t i, j;
	int rc = 0;

	if (!doc)
		return nomem(err);
	for (i = 0; i < top->nr; i++) {
		const char *k = top->keys[i]->text;
		struct node *n = top->items[i];

		if (!strcmp(k, "env") || !strcmp(k, "providers")) {
			rc = to_json(c, n, 1, &v, err);
		} else if (!strcmp(k, "functions") && n->type == N_MAP) {
			v = json_object();
			if (!v)
				rc = nomem(err);
			for (j = 0; v && j < n->nr && !rc; j++) {
				rc = convert_function(c, n->items[j], &fj, err);
				if (!rc && json_object_setn_new(v,
						n->keys[j]->text,
						n->keys[j]->len, fj))
					rc = nomem(err);
			}
		} else {
			rc = to_json(c, n, 0, &v, err);
		}
		if (rc)
			goto out;
		if (json_object_setn_new(doc, top->keys[i]->text,
					 top->keys[i]->len, v)) {
			rc = nomem(err);
			goto out;
		}
		v = NULL;
	}
	*out = doc;
	doc = NULL;
out:
	json_decref(v);
	json_decref(doc);
	return rc;
}

/* Scalars of provider settings become text (see ferry_config_setting). */
static json_t *as_text(json_t *v)
{
	struct ferry_buf t = FERRY_BUF_INIT;
	json_t *r, *c;
	const char *k;
	size_t i;

	if (json_is_object(v)) {
		r = json_object();
		json_object_foreach(v, k, c)
			if (r && json_object_set_new(r, k, as_text(c))) {
				json_decref(r);
				r = NULL;
			}
		return r;
	}
	if (json_is_array(v)) {
		r = json_array();
		json_array_foreach(v, i, c)
			if (r && json_array_append_new(r, as_text(c))) {
				json_decref(r);
				r = NULL;
			}
		return r;
	}
	if (json_is_string(v) || json_is_null(v))
		return json_incref(v);
	if (ferry_vars_scalar_text(&t, v))
		return NULL;
	r = json_stringn(t.buf, t.len);
	ferry_buf_release(&t);
	return r;
}

/* ------------------------------------------------------------------ */
/* The configuration                                                   */

void ferry_config_free(struct ferry_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	free(cfg->dir);
	free(cfg->file);
	free(cfg->service);
	free(cfg->stage);
	free(cfg->provider);
	free(cfg->runtime);
	kvvec_release(&cfg->env);
	package_release(&cfg->package);
	free(cfg->python_packages);
	for (i = 0; i < cfg->functions_nr; i++)
		function_release(&cfg->functions[i]);
	free(cfg->functions);
	json_decref(cfg->doc);
	free(cfg);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int build_functions(struct loader *L, struct ferry_config *cfg,
			   json_t *fns, const struct node *fsh,
			   const struct node *fkey, json_t *doc)
{
	const char **names = NULL;
	json_t *fdocs = NULL, *v;
	const char *k;
	size_t i = 0, j, n;
	int rc = 0;

	if (!fns || json_is_null(fns))
		return lerr(L, fkey ? fkey : NULL, "no functions; define at "
			    "least one under 'functions:', e.g. 'functions: "
			    "{ hello: { handler: src/hello.handler } }'");
	if (!json_is_object(fns))
		return type_error(L, fsh, "'functions'", fns, "a map of "
				  "function names to settings, e.g. 'hello: "
				  "{ handler: src/hello.handler }'");
	n = json_object_size(fns);
	if (!n)
		return lerr(L, fsh, "'functions' is empty; define at least one "
			    "function, e.g. 'hello: { handler: "
			    "src/hello.handler }'");
	names = calloc(n, sizeof(*names));
	cfg->functions = calloc(n, sizeof(*cfg->functions));
	fdocs = json_object();
	if (!names || !cfg->functions || !fdocs) {
		rc = nomem(L->err);
		goto out;
	}
	json_object_foreach(fns, k, v)
		names[i++] = k;
	qsort(names, n, sizeof(*names), str_cmp);
	for (i = 0; i < n; i++) {
		json_t *fdoc = json_object();

		if (!fdoc || json_object_set_new(fdocs, names[i], fdoc)) {
			rc = nomem(L->err);
			goto out;
		}
		cfg->functions_nr = i + 1;
		rc = build_function(L, cfg, &cfg->functions[i], names[i],
				    json_object_get(fns, names[i]),
				    sh_child(fsh, names[i]),
				    sh_key(fsh, names[i]), fdoc);
		if (rc)
			goto out;
	}
	/* an http route belongs to one function */
	for (i = 0; i < n; i++) {
		const struct ferry_function *a = &cfg->functions[i];
		size_t e, f, m;

		for (e = 0; e < a->events_nr; e++) {
			const struct ferry_event *x = &a->events[e];

			if (x->type != FERRY_EVENT_HTTP)
				continue;
			for (j = 0; j <= i; j++) {
				const struct ferry_function *b =
					&cfg->functions[j];

				m = j == i ? e : b->events_nr;
				for (f = 0; f < m; f++) {
					const struct ferry_event *y =
						&b->events[f];
					struct node at;

					if (y->type != FERRY_EVENT_HTTP ||
					    strcmp(x->method, y->method) ||
					    strcmp(x->path, y->path))
						continue;
					memset(&at, 0, sizeof(at));
					at.line = x->pos.line;
					at.col = x->pos.col;
					rc = lerr(L, &at, "http route '%s %s' of "
						  "function '%s' is already "
						  "used by function '%s' (at "
						  "%d:%d); each route belongs "
						  "to one function", x->method,
						  x->path, a->name, b->name,
						  y->pos.line, y->pos.col);
					goto out;
				}
			}
		}
	}
	if (json_object_set(doc, "functions", fdocs))
		rc = nomem(L->err);
out:
	json_decref(fdocs);
	free(names);
	return rc;
}

static int build_config(struct loader *L, struct ferry_config *cfg,
			json_t *r, const char *provider_override,
			json_t **docp)
{
	const struct node *top = L->top;
	json_t *doc = json_object(), *v, *pkg = NULL;
	int rc = 0;

	if (!doc)
		return nomem(L->err);
	*docp = doc;

	v = json_object_get(r, "service");
	if (!v || json_is_null(v))
		return lerr(L, v ? sh_child(top, "service") : NULL,
			    "missing 'service'; add 'service: <name>' (1-40 "
			    "characters of a-z, 0-9 and '-', starting with a "
			    "letter)");
	rc = get_str(L, v, sh_child(top, "service"), "'service'", "a name "
		     "of 1-40 characters of a-z, 0-9 and '-'", &cfg->service);
	if (rc)
		return rc;
	if (!name_ok(cfg->service, 40)) {
		char b[128];

		return lerr(L, sh_child(top, "service"), "invalid service name "
			    "'%s'; a name is 1-40 characters of a-z, 0-9 and "
			    "'-', starting with a letter",
			    show(b, sizeof(b), cfg->service,
				 strlen(cfg->service)));
	}

	/* the manifest's provider is checked even when -p overrides it */
	v = json_object_get(r, "provider");
	if (v && !json_is_null(v)) {
		rc = get_str(L, v, sh_child(top, "provider"), "'provider'",
			     "one of " PROVIDERS_LIST, &cfg->provider);
		if (!rc)
			rc = provider_check(L, cfg->provider, NULL,
					    sh_child(top, "provider"));
		if (rc)
			return rc;
	}
	if (provider_override || !cfg->provider) {
		free(cfg->provider);
		cfg->provider = ferry_strdup(provider_override ?
					     provider_override : "local");
		if (!cfg->provider)
			return nomem(L->err);
	}

	v = json_object_get(r, "runtime");
	if (v && !json_is_null(v)) {
		rc = get_str(L, v, sh_child(top, "runtime"), "'runtime'",
			     "one of " RUNTIMES_LIST, &cfg->runtime);
		if (!rc)
			rc = runtime_check(L, cfg->runtime,
					   sh_child(top, "runtime"));
		if (rc)
			return rc;
	}
	cfg->memory = 256;
	v = json_object_get(r, "memory");
	if (v && !json_is_null(v)) {
		rc = get_uint(L, v, sh_child(top, "memory"), "memory", 128,
			      10240, "MB", &cfg->memory);
		if (rc)
			return rc;
	}
	cfg->timeout = 10;
	v = json_object_get(r, "timeout");
	if (v && !json_is_null(v)) {
		rc = get_uint(L, v, sh_child(top, "timeout"), "timeout", 1, 900,
			      "seconds", &cfg->timeout);
		if (rc)
			return rc;
	}
	rc = parse_env(L, json_object_get(r, "env"), sh_child(top, "env"), "",
		       &cfg->env);
	if (rc)
		return rc;
	kvvec_sort(&cfg->env);

	v = json_object_get(r, "python");
	if (v && !json_is_null(v)) {
		static const char *const py_keys[] = { "packages", NULL };
		const struct node *psh = sh_child(top, "python");
		json_t *p;

		if (!json_is_object(v))
			return type_error(L, psh, "'python'", v, "a map, e.g. "
					  "'python: { packages: vendor }'");
		rc = check_keys(L, v, psh, py_keys, "packages", " of 'python'");
		if (rc)
			return rc;
		p = json_object_get(v, "packages");
		if (p && !json_is_null(p)) {
			rc = get_str(L, p, sh_child(psh, "packages"),
				     "'python.packages'", "a directory below "
				     "the project", &cfg->python_packages);
			if (rc)
				return rc;
			if (cfg->python_packages[0] == '/' ||
			    rel_escapes(cfg->python_packages))
				return lerr(L, sh_child(psh, "packages"),
					    "'python.packages' is outside the "
					    "project directory; write a "
					    "relative path such as 'vendor'");
		}
	}
	v = json_object_get(r, "package");
	if (v && !json_is_null(v)) {
		pkg = json_object();
		if (!pkg)
			return nomem(L->err);
		rc = parse_package(L, v, sh_child(top, "package"),
				   " of 'package'", &cfg->package, pkg);
		if (rc)
			goto out;
	}
	v = json_object_get(r, "providers");
	if (v && !json_is_null(v)) {
		const struct node *psh = sh_child(top, "providers");
		const char *k;
		json_t *pv;

		if (!json_is_object(v)) {
			rc = type_error(L, psh, "'providers'", v, "a map of "
					"provider names (" PROVIDERS_LIST ") to "
					"settings");
			goto out;
		}
		rc = check_keys(L, v, psh, providers, PROVIDERS_LIST,
				" of 'providers'");
		if (rc)
			goto out;
		json_object_foreach(v, k, pv) {
			if (!json_is_object(pv) && !json_is_null(pv)) {
				char what[64];

				snprintf(what, sizeof(what), "'providers.%s'", k);
				rc = type_error(L, sh_child(psh, k), what, pv,
						"a map of settings, e.g. "
						"'region: eu-west-1'");
				goto out;
			}
		}
	}

	/* the document: fixed key order */
	if (json_object_set_new(doc, "service", json_string(cfg->service)) ||
	    json_object_set_new(doc, "provider", json_string(cfg->provider)))
		goto oom;
	if (cfg->runtime &&
	    json_object_set_new(doc, "runtime", json_string(cfg->runtime)))
		goto oom;
	if (json_object_set_new(doc, "memory", json_integer(cfg->memory)) ||
	    json_object_set_new(doc, "timeout", json_integer(cfg->timeout)))
		goto oom;
	if (cfg->env.nr && json_object_set_new(doc, "env", kv_json(&cfg->env)))
		goto oom;
	if (cfg->python_packages &&
	    json_object_set_new(doc, "python", json_pack("{s:s}", "packages",
				cfg->python_packages)))
		goto oom;
	if (pkg && json_object_size(pkg) &&
	    json_object_set(doc, "package", pkg))
		goto oom;
	rc = build_functions(L, cfg, json_object_get(r, "functions"),
			     sh_child(top, "functions"),
			     key_of(top, "functions"), doc);
	if (rc)
		goto out;
	v = json_object_get(r, "custom");
	if (v && json_object_set(doc, "custom", v))
		goto oom;
	v = json_object_get(r, "providers");
	if (v && !json_is_null(v) &&
	    json_object_set_new(doc, "providers", as_text(v)))
		goto oom;
	goto out;
oom:
	rc = nomem(L->err);
out:
	json_decref(pkg);
	return rc;
}

int ferry_manifest_load_mem(struct ferry_config **out, const char *data,
			    size_t len, const char *name,
			    const struct ferry_load_opts *opts,
			    struct ferry_error *err)
{
	struct tree t = { NULL, NULL, NULL };
	struct node *root = NULL, *top = NULL, *over = NULL;
	struct ferry_config *cfg = NULL;
	struct ferry_vars vars;
	struct loader L;
	struct conv c;
	json_t *doc = NULL, *rdoc = NULL, *final = NULL;
	const char *stage = "dev", *stage_from = NULL;
	const char *prov = NULL, *prov_from = NULL, *env;
	size_t i;
	int rc = 0;

	ferry_vars_init(&vars);
	memset(&c, 0, sizeof(c));
	memset(&L, 0, sizeof(L));
	if (!name)
		name = opts && opts->file ? opts->file : "ferry.yaml";
	t.name = name;
	c.name = name;
	L.name = name;
	L.err = err;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return nomem(err);
	cfg->file = ferry_strdup(name);
	cfg->dir = ferry_path_absolute(opts && opts->dir ? opts->dir : ".");
	if (!cfg->file || !cfg->dir) {
		rc = nomem(err);
		goto out;
	}
	L.dir = cfg->dir;

	rc = parse_yaml(&t, data, len, name, &root, err);
	if (rc)
		goto out;
	if (!root || (root->type == N_SCALAR && root->stype != S_STR &&
		      plain_kind(root->text, root->len, &(long long){ 0 },
				 &(double){ 0 }, &(int){ 0 }) == P_NULL)) {
		rc = cerr(err, name, 1, 1, "the manifest is empty; it needs at "
			  "least 'service:' and 'functions:' (see 'ferry "
			  "init')");
		goto out;
	}
	if (root->type != N_MAP) {
		rc = cerr(err, name, root->line, root->col, "the manifest is "
			  "%s; it must be a map of keys such as 'service:' and "
			  "'functions:'", root->type == N_SEQ ? "a list" :
			  "a plain value");
		goto out;
	}
	rc = check_top_keys(&L, root, NULL);
	if (rc)
		goto out;

	if (opts && opts->stage) {
		stage = opts->stage;
		stage_from = "-s";
	} else if ((env = getenv("FERRY_STAGE")) && *env) {
		stage = env;
		stage_from = "FERRY_STAGE";
	}
	rc = select_stage(&L, root, stage, stage_from, &over);
	if (rc)
		goto out;
	if (opts && opts->provider) {
		prov = opts->provider;
		prov_from = "-p";
	} else if ((env = getenv("FERRY_PROVIDER")) && *env) {
		prov = env;
		prov_from = "FERRY_PROVIDER";
	}
	if (prov) {
		rc = provider_check(&L, prov, prov_from,
				    key_of(root, "provider"));
		if (rc)
			goto out;
	}

	/* the document without `stages:`, with the stage merged in */
	top = node_new(&t, N_MAP, root->line, root->col);
	if (!top) {
		rc = nomem(err);
		goto out;
	}
	for (i = 0; i < root->nr; i++)
		if (!key_eq(root->keys[i], "stages", 6) &&
		    node_push(top, root->keys[i], root->items[i])) {
			rc = nomem(err);
			goto out;
		}
	if (over) {
		top = merge_nodes(&t, top, over);
		if (!top) {
			rc = nomem(err);
			goto out;
		}
	}
	L.top = top;
	cfg->stage = ferry_strdup(stage);
	if (!cfg->stage) {
		rc = nomem(err);
		goto out;
	}

	c.record = 1;
	rc = convert_doc(&c, top, &doc, err);
	if (rc)
		goto out;
	if (c.vp_nr)
		qsort(c.vp, c.vp_nr, sizeof(*c.vp), vp_cmp);
	vars.dir = cfg->dir;
	vars.file = name;
	vars.stage = stage;
	vars.provider = prov;
	vars.where = vars_where;
	vars.parse_yaml = vars_parse_yaml;
	vars.data = &c;
	rc = ferry_vars_resolve(&rdoc, &vars, doc, err);
	if (rc)
		goto out;
	rc = build_config(&L, cfg, rdoc, prov, &final);
	if (rc)
		goto out;
	cfg->doc = final;
	final = NULL;
	*out = cfg;
	cfg = NULL;
out:
	json_decref(final);
	json_decref(rdoc);
	json_decref(doc);
	ferry_vars_release(&vars);
	free(c.vp);
	tree_release(&t);
	ferry_config_free(cfg);
	return rc;
}

int ferry_manifest_load(struct ferry_config **out,
			const struct ferry_load_opts *opts,
			struct ferry_error *err)
{
	struct ferry_buf data = FERRY_BUF_INIT;
	struct ferry_load_opts o;
	const char *file = opts && opts->file ? opts->file : "ferry.yaml";
	char *dir = NULL, *path = NULL;
	struct stat st;
	int rc;

	memset(&o, 0, sizeof(o));
	if (opts)
		o = *opts;
	dir = ferry_path_absolute(o.dir ? o.dir : ".");
	path = dir ? (file[0] == '/' ? ferry_strdup(file) :
		      ferry_path_join(dir, file)) : NULL;
	if (!path) {
		rc = nomem(err);
		goto out;
	}
	if (stat(path, &st)) {
		if (errno == ENOENT || errno == ENOTDIR)
			rc = ferry_error_set(err, FERRY_ENOTFOUND,
					     "no %s in '%s'; create one with "
					     "'ferry init' or pass -f FILE",
					     file, dir);
		else
			rc = ferry_error_errno(err, FERRY_EFAIL, errno,
					       "cannot read '%s'", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = cerr(err, file, 1, 1, "is a directory; the manifest "
			  "must be a YAML file");
		goto out;
	}
	if ((uint64_t)st.st_size > FERRY_MANIFEST_MAX_BYTES) {
		rc = cerr(err, file, 1, 1, "file is too large (%lld bytes); a "
			  "manifest is at most %u bytes",
			  (long long)st.st_size, FERRY_MANIFEST_MAX_BYTES);
		goto out;
	}
	rc = ferry_fs_read(&data, path, FERRY_MANIFEST_MAX_BYTES, err);
	if (rc)
		goto out;
	o.dir = dir;
	rc = ferry_manifest_load_mem(out, data.buf, data.len, file, &o, err);
out:
	ferry_buf_release(&data);
	free(dir);
	free(path);
	return rc;
}

const struct ferry_function *ferry_config_function(const struct ferry_config *cfg,
						   const char *name)
{
	size_t lo = 0, hi = cfg ? cfg->functions_nr : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, cfg->functions[mid].name);

		if (!c)
			return &cfg->functions[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *ferry_config_setting(const struct ferry_config *cfg,
				 const char *provider, const char *key)
{
	json_t *v;

	if (!cfg || !cfg->doc || !provider || !key)
		return NULL;
	v = json_object_get(json_object_get(json_object_get(cfg->doc,
					    "providers"), provider), key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *ferry_pack_mode_name(enum ferry_pack_mode m)
{
	switch (m) {
	case FERRY_PACK_TRACE:
		return "trace";
	case FERRY_PACK_DEPS:
		return "deps";
	case FERRY_PACK_NONE:
		return "none";
	default:
		return "default";
	}
}

/* ------------------------------------------------------------------ */
/* Output                                                              */

static int emit_write(void *data, unsigned char *buffer, size_t size)
{
	return ferry_buf_add(data, buffer, size) ? 0 : 1;
}

/* Strings that a YAML reader (1.1 or 1.2) could take for something else
 * are double-quoted. */
static int needs_quotes(const char *s, size_t len)
{
	static const char *const words[] = {
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"on", "On", "ON", "off", "Off", "OFF", "<<", "=", NULL
	};
	long long iv;
	double dv;
	int bv;

	if (!len || plain_kind(s, len, &iv, &dv, &bv) != P_STR)
		return 1;
	if (strchr("0123456789+-.~", s[0]) || in_list(s, words))
		return 1;
	return 0;
}

static int emit(yaml_emitter_t *em, json_t *v)
{
	struct ferry_buf t = FERRY_BUF_INIT;
	yaml_event_t ev;
	const char *k;
	json_t *c;
	size_t i;
	int ok;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
				json_object_size(v) ? YAML_BLOCK_MAPPING_STYLE :
				YAML_FLOW_MAPPING_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		json_object_foreach(v, k, c) {
			json_t *key = json_string(k);

			ok = key && !emit(em, key);
			json_decref(key);
			if (!ok || emit(em, c))
				return -1;
		}
		return yaml_mapping_end_event_initialize(&ev) &&
		       yaml_emitter_emit(em, &ev) ? 0 : -1;
	case JSON_ARRAY:
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
				json_array_size(v) ? YAML_BLOCK_SEQUENCE_STYLE :
				YAML_FLOW_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		json_array_foreach(v, i, c)
			if (emit(em, c))
				return -1;
		return yaml_sequence_end_event_initialize(&ev) &&
		       yaml_emitter_emit(em, &ev) ? 0 : -1;
	case JSON_STRING:
		ok = yaml_scalar_event_initialize(&ev, NULL, NULL,
			(yaml_char_t *)json_string_value(v),
			(int)json_string_length(v), 1, 1,
			needs_quotes(json_string_value(v),
				     json_string_length(v)) ?
			YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
		break;
	default:
		if (ferry_vars_scalar_text(&t, v))
			return -1;
		ok = yaml_scalar_event_initialize(&ev, NULL, NULL,
			(yaml_char_t *)t.buf, (int)t.len, 1, 1,
			YAML_PLAIN_SCALAR_STYLE);
		ferry_buf_release(&t);
		break;
	}
	return ok && yaml_emitter_emit(em, &ev) ? 0 : -1;
}

int ferry_config_to_yaml(const struct ferry_config *cfg, struct ferry_buf *out,
			 struct ferry_error *err)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	size_t start = out->len;
	int ok;

	if (!yaml_emitter_initialize(&em))
		return nomem(err);
	yaml_emitter_set_output(&em, emit_write, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
	     yaml_emitter_emit(&em, &ev) &&
	     yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
	     yaml_emitter_emit(&em, &ev) &&
	     !emit(&em, cfg->doc) &&
	     yaml_document_end_event_initialize(&ev, 1) &&
	     yaml_emitter_emit(&em, &ev) &&
	     yaml_stream_end_event_initialize(&ev) &&
	     yaml_emitter_emit(&em, &ev) && yaml_emitter_flush(&em);
	if (!ok) {
		ferry_buf_truncate(out, start);
		ferry_error_set(err, FERRY_EFAIL, "cannot write the "
				"configuration as YAML: %s",
				em.problem ? em.problem : "out of memory");
	}
	yaml_emitter_delete(&em);
	return ok ? 0 : FERRY_EFAIL;
}

int ferry_config_to_json(const struct ferry_config *cfg, struct ferry_buf *out,
			 struct ferry_error *err)
{
	char *s = json_dumps(cfg->doc, JSON_COMPACT | JSON_ENCODE_ANY |
			     JSON_REAL_PRECISION(17));
	int rc;

	if (!s)
		return nomem(err);
	rc = ferry_buf_addstr(out, s);
	free(s);
	return rc ? nomem(err) : 0;
}

char *ferry_function_config_json(const struct ferry_function *fn)
{
	json_t *o = NULL, *events = NULL;
	char *s = NULL;
	size_t i;

	events = json_array();
	for (i = 0; events && i < fn->events_nr; i++) {
		const struct ferry_event *e = &fn->events[i];
		json_t *j = e->type == FERRY_EVENT_HTTP ?
			json_pack("{s:{s:s,s:s}}", "http", "method", e->method,
				  "path", e->path) :
			json_pack("{s:s}", "schedule", e->schedule);

		if (json_array_append_new(events, j))
			goto out;
	}
	if (!events)
		goto out;
	o = json_pack("{s:s,s:s,s:I,s:I,s:s?,s:o,s:O}",
		      "handler", fn->handler, "runtime", fn->runtime,
		      "memory", (json_int_t)fn->memory,
		      "timeout", (json_int_t)fn->timeout,
		      "description", fn->description,
		      "env", kv_json(&fn->env), "events", events);
	if (o)
		s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
out:
	json_decref(events);
	json_decref(o);
	return s;
}

int ferry_function_config_hash(char hex[65], const struct ferry_function *fn,
			       struct ferry_error *err)
{
	char *s = ferry_function_config_json(fn);
	int rc;

	if (!s)
		return nomem(err);
	rc = ferry_sha256_mem(hex, s, strlen(s), err);
	free(s);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Peek (shell completion)                                             */

/* A plain scalar value of `m`'s key `key` without variables, or NULL. */
static int peek_str(char **out, const struct node *m, const char *key)
{
	const struct node *v = m && m->type == N_MAP ? map_get(m, key) : NULL;

	*out = NULL;
	if (!v || v->type != N_SCALAR || !v->len || memchr(v->text, '\0', v->len) ||
	    strstr(v->text, "${"))
		return 0;
	*out = ferry_strdup(v->text);
	return *out ? 0 : FERRY_ENOMEM;
}

static int peek_keys(struct ferry_strvec *out, const struct node *m)
{
	size_t i;

	for (i = 0; m && m->type == N_MAP && i < m->nr; i++)
		if (!memchr(m->keys[i]->text, '\0', m->keys[i]->len) &&
		    ferry_strvec_find(out, m->keys[i]->text) < 0 &&
		    ferry_strvec_push(out, m->keys[i]->text))
			return FERRY_ENOMEM;
	ferry_strvec_sort(out);
	return 0;
}

int ferry_manifest_peek(struct ferry_manifest_peek *out,
			const struct ferry_load_opts *opts,
			struct ferry_error *err)
{
	struct ferry_manifest_peek p;
	struct ferry_buf data = FERRY_BUF_INIT;
	struct tree t = { NULL, NULL, NULL };
	struct node *root = NULL, *top = NULL;
	const struct node *stages, *over = NULL, *provs;
	const char *file = opts && opts->file ? opts->file : "ferry.yaml";
	const char *stage = opts ? opts->stage : NULL, *env;
	char *dir = NULL, *path = NULL;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	ferry_strvec_init(&p.functions);
	ferry_strvec_init(&p.stages);
	if (!stage)
		stage = (env = getenv("FERRY_STAGE")) && *env ? env : "dev";
	dir = ferry_path_absolute(opts && opts->dir ? opts->dir : ".");
	path = dir ? (file[0] == '/' ? ferry_strdup(file) :
		      ferry_path_join(dir, file)) : NULL;
	if (!path) {
		rc = nomem(err);
		goto out;
	}
	if (access(path, R_OK)) {
		rc = ferry_error_set(err, FERRY_ENOTFOUND, "no %s in '%s'",
				     file, dir);
		goto out;
	}
	rc = ferry_fs_read(&data, path, FERRY_MANIFEST_MAX_BYTES, err);
	if (!rc) {
		t.name = file;
		rc = parse_yaml(&t, data.buf, data.len, file, &root, err);
	}
	if (rc)
		goto out;
	if (!root || root->type != N_MAP) {
		rc = cerr(err, file, 1, 1, "the manifest is not a map");
		goto out;
	}
	stages = map_get(root, "stages");
	if (stages && stages->type == N_MAP)
		over = map_get(stages, stage);
	top = root;
	if (over && over->type == N_MAP) {
		top = merge_nodes(&t, root, (struct node *)over);
		if (!top) {
			rc = nomem(err);
			goto out;
		}
	}
	provs = map_get(top, "providers");
	if (ferry_strvec_push(&p.stages, "dev") ||
	    peek_keys(&p.stages, stages) ||
	    peek_keys(&p.functions, map_get(top, "functions")) ||
	    peek_str(&p.service, top, "service") ||
	    peek_str(&p.provider, top, "provider") ||
	    peek_str(&p.local_root, provs && provs->type == N_MAP ?
		     map_get(provs, "local") : NULL, "root")) {
		rc = nomem(err);
		goto out;
	}
	*out = p;
	memset(&p, 0, sizeof(p));
out:
	ferry_manifest_peek_release(&p);
	tree_release(&t);
	ferry_buf_release(&data);
	free(dir);
	free(path);
	return rc;
}

void ferry_manifest_peek_release(struct ferry_manifest_peek *p)
{
	if (!p)
		return;
	ferry_strvec_release(&p->functions);
	ferry_strvec_release(&p->stages);
	free(p->service);
	free(p->provider);
	free(p->local_root);
	memset(p, 0, sizeof(*p));
}
