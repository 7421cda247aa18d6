/*
 * pane.c - window panes: aggregates per key, or record copies, for one
 * slice of a window, and the merging and taking out of whole panes that
 * lets a window slide without reading its records again.
 *
 * The aggregates are struct agg (ops/op.h) kept in place in the pane's
 * table; the values they keep, like the record copies, live in the
 * pane's arena.  agg.n counts the values folded in, which is what tells
 * when a key has left a running window.
 */
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "../ops/op.h"
#include "pane.h"

/* Arena bytes under which a running aggregate is never compacted. */
#define PANE_COMPACT_MIN	(1024 * 1024)

/* An entry to sort and the first 8 bytes of its order, as an integer. */
struct pane_sortent {
	uint64_t		 pre;
	struct table_ent	*e;
};

void
pane_init(struct pane *p, bool keyed)
{
	memset(p, 0, sizeof *p);
	arena_init(&p->mem);
	if (keyed)
		p->keys = table_new(sizeof(struct agg));
}

void
pane_reset(struct pane *p)
{
	p->nrec = 0;
	if (p->keys != NULL && table_count(p->keys) != 0)
		table_clear(p->keys);
	arena_reset(&p->mem);
	p->compacted = 0;
}

void
pane_free(struct pane *p)
{
	if (p->keys != NULL)
		table_free(p->keys);
	free(p->rec);
	arena_free(&p->mem);
	memset(p, 0, sizeof *p);
}

size_t
pane_footprint(const struct pane *p)
{
	size_t	 n;

	n = arena_footprint(&p->mem) + p->caprec * sizeof *p->rec;
	if (p->keys != NULL)
		n += table_footprint(p->keys);
	return n;
}

void
pane_keep(struct pane *p, const struct value *v)
{
	if (p->nrec == p->caprec) {
		p->caprec = p->caprec ? p->caprec * 2 : 64;
		p->rec = xreallocarray(p->rec, p->caprec, sizeof *p->rec);
	}
	p->rec[p->nrec++] = value_copy(&p->mem, v);
}

int
pane_add(struct pane *p, struct reducer *r, const struct value *key,
    const struct value *v)
{
	struct agg	*a;
	bool		 isnew;
	int64_t		 before;
	int		 rc;

	a = table_put(p->keys, key, &isnew);
	before = a->n;
	rc = reducer_add(r, a, v, &p->mem);
	if (a->n > before)
		p->nrec++;
	else if (isnew)
		table_del(p->keys, key);	/* its only value was refused */
	pane_compact(p);	/* the values it replaced ('a .. b', last) */
	return rc;
}

int
pane_merge(struct pane *dst, struct pane *src, struct reducer *r)
{
	struct table_ent	*e;
	struct agg		*a, *o;
	size_t			 cursor = 0;

	while ((e = table_next(src->keys, &cursor)) != NULL) {
		o = table_data(e);
		if (o->n == 0)
			continue;
		a = table_put(dst->keys, &e->key, NULL);
		if (reducer_merge(r, a, o, &dst->mem) == -1)
			return -1;
	}
	return 0;
}

int
pane_sub(struct pane *dst, struct pane *src, struct reducer *r)
{
	struct table_ent	*e;
	struct agg		*a, *o;
	size_t			 cursor = 0;
	int			 rc;

	while ((e = table_next(src->keys, &cursor)) != NULL) {
		o = table_data(e);
		if (o->n == 0 || (a = table_find(dst->keys, &e->key)) == NULL)
			continue;
		if ((rc = reducer_sub(r, a, o, &dst->mem)) != 0)
			return rc;
		if (a->n <= 0)
			table_del(dst->keys, &e->key);
	}
	if (table_count(dst->keys) == 0)
		pane_reset(dst);
	return 0;
}

void
pane_compact(struct pane *p)
{
	struct table_ent	*e;
	struct agg		*a;
	struct arena		 fresh;
	size_t			 cursor = 0;

	if (p->keys == NULL || p->mem.used < PANE_COMPACT_MIN ||
	    p->mem.used < 2 * p->compacted)
		return;
	arena_init(&fresh);
	while ((e = table_next(p->keys, &cursor)) != NULL) {
		a = table_data(e);
		a->v = value_copy(&fresh, &a->v);
	}
	arena_free(&p->mem);
	p->mem = fresh;
	p->compacted = fresh.used;
}

/*
 * The order-preserving prefix of key K when it is a string or an integer
 * (kind 1 or 2 in *KIND); kind 0 for any other key.
 */
static uint64_t
pane_prefix(const struct value *k, int *kind)
{
	uint64_t	 pre = 0;
	uint32_t	 i;

	switch (k->type) {
	case V_STR:
		*kind = 1;
		if (k->n >= 8) {
			memcpy(&pre, k->u.s, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			pre = __builtin_bswap64(pre);
#endif
			return pre;
		}
		for (i = 0; i < 8; i++)
			pre = pre << 8 | (i < k->n ? (uint8_t)k->u.s[i] : 0);
		return pre;
	case V_INT:
		*kind = 2;
		return (uint64_t)k->u.i ^ (UINT64_C(1) << 63);
	default:
		*kind = 0;
		return 0;
	}
}

static int
pane_cmp_sortent(const void *a, const void *b)
{
	const struct pane_sortent	*x = a, *y = b;

	return value_cmp(&x->e->key, &y->e->key);
}

void
pane_order_free(struct pane_order *o)
{
	free(o->buf);
	free(o->sorted);
	memset(o, 0, sizeof *o);
}

size_t
pane_sorted(struct table *tb, struct pane_order *o, struct table_ent ***out)
{
	struct pane_sortent	*a, *b, *t;
	struct table_ent	*e;
	size_t			 n, i, j, cursor = 0, (*count)[256];
	uint64_t		 pre;
	int			 kind, first = -1, d;

	n = table_count(tb);
	if (n > o->cap) {
		free(o->buf);
		free(o->sorted);
		o->cap = n + n / 2;
		o->buf = xreallocarray(NULL, o->cap, 2 * sizeof *o->buf);
		o->sorted = xreallocarray(NULL, o->cap, sizeof *o->sorted);
	}
	/* One count per byte of the prefix, all taken in the first pass. */
	count = o->count;
	memset(count, 0, sizeof o->count);
	a = o->buf;
	b = o->buf + o->cap;
	for (i = 0; (e = table_next(tb, &cursor)) != NULL; i++) {
		a[i].pre = pre = pane_prefix(&e->key, &kind);
		a[i].e = e;
		if (first == -1)
			first = kind;
		if (kind == 0 || kind != first)
			return table_sorted(tb, out);
		for (d = 0; d < 8; d++)
			count[d][(pre >> (8 * d)) & 0xff]++;
	}

	/* LSD radix sort on the prefix, skipping bytes all entries share. */
	for (d = 0; d < 8 && n > 1; d++) {
		if (count[d][(a[0].pre >> (8 * d)) & 0xff] == n)
			continue;
		for (i = 0, j = 0; i < 256; i++) {
			size_t c = count[d][i];

			count[d][i] = j;
			j += c;
		}
		for (i = 0; i < n; i++)
			b[count[d][(a[i].pre >> (8 * d)) & 0xff]++] = a[i];
		t = a;
		a = b;
		b = t;
	}

	/* Strings whose first 8 bytes tie are ordered by the whole key. */
	for (i = 0; first == 1 && i < n; i = j) {
		for (j = i + 1; j < n && a[j].pre == a[i].pre; j++)
			;
		if (j - i > 1)
			qsort(a + i, j - i, sizeof *a, pane_cmp_sortent);
	}
	for (i = 0; i < n; i++)
		o->sorted[i] = a[i].e;
	*out = o->sorted;
	return n;
}
