/*
 * pane.c - window panes: aggregates per key, or record copies, for one
 * slice of a window, and the merging and taking out of whole panes that
 * lets a window slide without reading its records again.
 *
 * The aggregates are reducer states (agg.h) kept in place in the pane's
 * table, its entries sized for the pane's reducer; the values they keep,
 * like the record copies, live in the pane's arena.  A state's n counts
 * the values folded in, which is what tells when a key has left a
 * running window.
 */
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "pane.h"
#include "snap.h"

/* Arena bytes under which a running aggregate is never compacted. */
#define PANE_COMPACT_MIN	(1024 * 1024)

void
pane_init(struct pane *p, struct agg *agg)
{
	memset(p, 0, sizeof *p);
	arena_init(&p->mem);
	p->agg = agg;
	if (agg != NULL)
		p->keys = table_new(agg->def->size);
}

void
pane_init_extra(struct pane *p, struct agg *agg, size_t extra)
{
	memset(p, 0, sizeof *p);
	arena_init(&p->mem);
	p->agg = agg;
	p->keys = table_new(agg->def->size + extra);
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
pane_add(struct pane *p, const struct value *key, const struct value *v)
{
	void		*a;
	bool		 isnew;
	int64_t		 before;
	int		 rc;

	a = table_put(p->keys, key, &isnew);
	if (isnew && p->agg->def->init != NULL)
		p->agg->def->init(a);
	before = agg_n(a);
	rc = agg_add(p->agg, a, v, &p->mem);
	if (agg_n(a) > before)
		p->nrec++;
	else if (isnew)
		table_del(p->keys, key);	/* its only value was refused */
	pane_compact(p);	/* the values it replaced ('a .. b', last) */
	return rc;
}

int
pane_merge(struct pane *dst, struct pane *src)
{
	struct table_ent	*e;
	void			*a, *o;
	bool			 isnew;
	size_t			 cursor = 0;

	while ((e = table_next(src->keys, &cursor)) != NULL) {
		o = table_data(e);
		if (agg_n(o) == 0)
			continue;
		a = table_put(dst->keys, &e->key, &isnew);
		if (isnew && dst->agg->def->init != NULL)
			dst->agg->def->init(a);
		if (agg_merge(dst->agg, a, o, &dst->mem) == -1)
			return -1;
	}
	return 0;
}

int
pane_sub(struct pane *dst, struct pane *src)
{
	struct table_ent	*e;
	void			*a, *o;
	size_t			 cursor = 0;
	int			 rc;

	while ((e = table_next(src->keys, &cursor)) != NULL) {
		o = table_data(e);
		if (agg_n(o) == 0 ||
		    (a = table_find(dst->keys, &e->key)) == NULL)
			continue;
		if ((rc = agg_sub(dst->agg, a, o, &dst->mem)) != 0)
			return rc;
		if (agg_n(a) <= 0)
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
	struct arena		 fresh;
	size_t			 cursor = 0;

	if (p->keys == NULL || p->agg->def->move == NULL ||
	    p->mem.used < PANE_COMPACT_MIN || p->mem.used < 2 * p->compacted)
		return;
	arena_init(&fresh);
	while ((e = table_next(p->keys, &cursor)) != NULL)
		p->agg->def->move(table_data(e), &fresh);
	arena_free(&p->mem);
	p->mem = fresh;
	p->compacted = fresh.used;
}

/* What a saved pane holds, in its flags byte. */
#define PANE_SNAP_KEYED	0x1
#define PANE_SNAP_RECS	0x2

static int
pane_save_state(const void *state, struct buf *b, void *arg, char **cause)
{
	struct pane	*p = arg;

	return p->agg->def->save(state, b, cause);
}

static int
pane_load_state(void *state, struct snap_rd *r, void *arg)
{
	struct pane	*p = arg;

	return p->agg->def->load(state, r, &p->mem);
}

int
pane_save(struct pane *p, struct buf *b, bool recs, char **cause)
{
	uint64_t	 i;

	snap_put_u8(b, (p->keys != NULL ? PANE_SNAP_KEYED : 0) |
	    (recs ? PANE_SNAP_RECS : 0));
	snap_put_i64(b, p->id);
	snap_put_u64(b, p->nrec);
	if (p->keys != NULL &&
	    table_save(p->keys, b, pane_save_state, p, cause) == -1)
		return -1;
	if (recs)
		for (i = 0; i < p->nrec; i++)
			if (snap_put_value(b, &p->rec[i], cause) == -1)
				return -1;
	return 0;
}

void
pane_save_keys(struct buf *b, size_t nkeys)
{
	snap_put_u8(b, PANE_SNAP_KEYED);
	snap_put_i64(b, 0);
	snap_put_u64(b, 0);
	snap_put_u64(b, nkeys);		/* as table_save */
}

int
pane_load_keys(struct snap_rd *r, size_t *nkeys)
{
	uint64_t	 nrec;
	int64_t		 id;
	uint8_t		 flags;

	*nkeys = 0;
	if (snap_get_u8(r, &flags) == -1 || snap_get_i64(r, &id) == -1 ||
	    snap_get_u64(r, &nrec) == -1)
		return -1;
	if (flags != PANE_SNAP_KEYED || id != 0 || nrec != 0)
		return snap_fail(r, "a pane of keys expected");
	/* As table_load: entry numbers are 32 bits. */
	return snap_get_count(r, 1, UINT32_MAX - 2, nkeys);
}

int
pane_load(struct pane *p, struct snap_rd *r, bool recs)
{
	uint64_t	 nrec, i;
	uint8_t		 flags, want;

	pane_reset(p);
	want = (p->keys != NULL ? PANE_SNAP_KEYED : 0) |
	    (recs ? PANE_SNAP_RECS : 0);
	if (snap_get_u8(r, &flags) == -1)
		return -1;
	if (flags != want)
		return snap_fail(r, "a pane of %s where one of %s was expected",
		    flags & PANE_SNAP_KEYED ? "aggregates" :
		    flags & PANE_SNAP_RECS ? "records" : "a count",
		    want & PANE_SNAP_KEYED ? "aggregates" :
		    want & PANE_SNAP_RECS ? "records" : "a count");
	if (snap_get_i64(r, &p->id) == -1 || snap_get_u64(r, &nrec) == -1)
		return -1;
	if (p->keys != NULL &&
	    table_load(p->keys, r, pane_load_state, p) == -1)
		return -1;
	if (recs) {
		/* Each record takes a byte at least: check before growing. */
		if (nrec > snap_left(r))
			return snap_fail(r, "%llu records cannot fit in the "
			    "%zu bytes left", (unsigned long long)nrec,
			    snap_left(r));
		if (nrec > p->caprec) {
			p->caprec = (size_t)nrec;
			p->rec = xreallocarray(p->rec, p->caprec,
			    sizeof *p->rec);
		}
		for (i = 0; i < nrec; i++)
			if (snap_get_value(r, &p->mem, &p->rec[i]) == -1)
				return -1;
	}
	p->nrec = nrec;
	p->compacted = p->mem.used;
	return 0;
}
