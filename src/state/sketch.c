/*
 * sketch.c - what the sketch reducers share (sketch.h): their blocks'
 * copy-on-write and the instance that carries a reducer's argument.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "sketch.h"

void *
sk_alloc(struct sk_state *s, size_t size, struct arena *a)
{
	struct sk_blk	*b = arena_alloc(a, size);

	memset(b, 0, size);
	b->size = (uint32_t)size;
	s->blk = b;
	s->owner = s;
	return b;
}

void *
sk_own(struct sk_state *s, struct arena *a)
{
	const struct sk_blk	*old = s->blk;
	void			*b;

	if (sk_owns(s))
		return s->blk;
	b = arena_alloc(a, old->size);
	memcpy(b, old, old->size);
	s->blk = b;
	s->owner = s;
	return b;
}

void
sk_prefetch(const void *state)
{
	uintptr_t	 b = (uintptr_t)((const struct sk_state *)state)->blk;

	/* no branch on an empty state: a prefetch of 0 is harmless */
	__builtin_prefetch((const void *)b);
	__builtin_prefetch((const void *)(b + 64));
}

void
sk_move(void *state, struct arena *a)
{
	struct sk_state	*s = state;

	if (s->blk == NULL)
		return;
	s->owner = NULL;	/* a copy, wherever it was */
	sk_own(s, a);
}

struct agg *
sk_agg_new(const struct agg_def *def, const char *spell, double q,
    uint32_t k)
{
	struct sk_agg	*x = xcalloc(1, sizeof *x);

	x->agg.def = def;
	x->q = q;
	x->k = k;
	arena_init_sized(&x->out, 1024);
	snprintf(x->spell, sizeof x->spell, "%s",
	    spell != NULL ? spell : def->name);
	x->agg.spelling = x->spell;
	x->agg.what = x->spell;
	return &x->agg;
}

void
sk_agg_free(struct agg *r)
{
	struct sk_agg	*x = (struct sk_agg *)r;

	arena_free(&x->out);
	free(x);
}
