/*
 * topk.c - topk(K): the K most frequent values with their counts, as a
 * Space-Saving summary.
 *
 *   Metwally, Agrawal, El Abbadi, "Efficient computation of frequent
 *   and top-k elements in data streams", ICDT 2005 (Space-Saving);
 *   Agarwal, Cormode, Huang, Phillips, Wei, Yi, "Mergeable summaries",
 *   PODS 2012 (merging two summaries keeps the guarantee).
 *
 * The summary keeps c = max(64, 20 K) counters, each a value, an upper
 * bound COUNT on how often it came and ERR, how much of COUNT may be
 * other values' (COUNT - ERR is a lower bound).  A value already kept
 * adds one to its count; a new one takes a free counter (ERR 0) or, when
 * all c are taken, the counter of least COUNT, m: COUNT m + 1, ERR m.
 * Merging two summaries adds the counters value by value, a value
 * missing from a full summary counting that summary's least COUNT in
 * both COUNT and ERR, and keeps the c largest.  Values are one when
 * countByValue would count them as one (value_eq).
 *
 * What the guarantee gives, for n values: every value kept has COUNT -
 * ERR <= its true count <= COUNT, and ERR <= n / c; every value that
 * came more than n / c times is kept.  So while a key has at most c
 * distinct values every count is exact; past that, on skewed data where
 * the K-th most frequent value comes more than n / c times more often
 * than the (K+1)-th, the K reported are the true top K, in order.  The
 * count reported is COUNT - ERR: exact for a value kept since it first
 * came, which the frequent values of skewed data are.
 *
 * The result is an array of [value, count] arrays, most frequent first
 * (ties: the larger COUNT, then value order), at most K of them: in
 * plain output [["GET /",120],["GET /a",80]].
 *
 * Memory per key: 24 bytes in place; a block of 24 bytes and 60 a
 * counter (48 for the counter, 4 in a min-heap of the counters by COUNT,
 * 8 in an index by hash), growing with the distinct values up to c; the
 * values themselves (their strings) in the caller's arena.  topk(10)
 * holds 200 counters, 12 KiB plus its values.
 *
 * Checkpoint encoding (snap.h): n, c, the counter count, then each
 * counter's value, COUNT and ERR, in order of their hash (then value
 * order), so that a summary always saves to the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "sketch.h"
#include "snap.h"

#define TK_KMAX		1000		/* topk(K): K at most */
#define TK_FACTOR	20		/* counters a reported value */
#define TK_CMIN		64		/* counters at least */
#define TK_CMAX		(TK_FACTOR * TK_KMAX)

struct tk_ctr {
	struct value	 v;
	int64_t		 cnt;		/* upper bound */
	int64_t		 err;		/* cnt - err: lower bound */
	uint64_t	 h;		/* value_hash(v) */
	uint32_t	 hpos;		/* where in the heap */
	uint32_t	 pad;
};

struct topk {
	uint32_t	 size;		/* bytes of the block (sk_blk) */
	uint32_t	 cap;		/* counters room */
	uint32_t	 len;		/* counters used */
	uint32_t	 max;		/* c: counters at most */
	uint32_t	 icap;		/* index slots, a power of two */
	uint32_t	 pad;
	/* struct tk_ctr ctr[cap]; uint32_t heap[cap]; uint32_t idx[icap] */
};

static inline struct tk_ctr *
tk_ctr(const struct topk *t)
{
	return (struct tk_ctr *)(void *)((char *)(uintptr_t)t + sizeof *t);
}

static inline uint32_t *
tk_heap(const struct topk *t)
{
	return (uint32_t *)(void *)(tk_ctr(t) + t->cap);
}

/* Index slots: a counter's id + 1, 0 when free; probed from the hash. */
static inline uint32_t *
tk_idx(const struct topk *t)
{
	return tk_heap(t) + t->cap;
}

/* The id of the counter of V (hash H) in T, or -1. */
static int64_t
tk_lookup(const struct topk *t, const struct value *v, uint64_t h)
{
	const struct tk_ctr	*c = tk_ctr(t);
	const uint32_t		*ix = tk_idx(t);
	uint32_t		 mask = t->icap - 1, i;

	for (i = (uint32_t)h & mask; ix[i] != 0; i = (i + 1) & mask)
		if (c[ix[i] - 1].h == h && value_eq(&c[ix[i] - 1].v, v))
			return ix[i] - 1;
	return -1;
}

static void
tk_idx_put(struct topk *t, uint32_t id)
{
	uint32_t	*ix = tk_idx(t), mask = t->icap - 1, i;

	for (i = (uint32_t)tk_ctr(t)[id].h & mask; ix[i] != 0;
	    i = (i + 1) & mask)
		;
	ix[i] = id + 1;
}

/* Takes counter ID out of the index (backward-shift deletion). */
static void
tk_idx_del(struct topk *t, uint32_t id)
{
	const struct tk_ctr	*c = tk_ctr(t);
	uint32_t		*ix = tk_idx(t), mask = t->icap - 1, i, j, k;

	for (i = (uint32_t)c[id].h & mask; ix[i] != id + 1; i = (i + 1) & mask)
		;
	for (j = i;;) {
		j = (j + 1) & mask;
		if (ix[j] == 0)
			break;
		k = (uint32_t)c[ix[j] - 1].h & mask;
		/* It stays unless its home is outside (i, j], cyclically. */
		if (i <= j ? (k > i && k <= j) : (k > i || k <= j))
			continue;
		ix[i] = ix[j];
		i = j;
	}
	ix[i] = 0;
}

/* The heap's order: less COUNT first, then the hash (a total order). */
static inline bool
tk_less(const struct tk_ctr *c, uint32_t a, uint32_t b)
{
	return c[a].cnt < c[b].cnt || (c[a].cnt == c[b].cnt && c[a].h < c[b].h);
}

static void
tk_swap(struct topk *t, uint32_t i, uint32_t j)
{
	uint32_t	*hp = tk_heap(t), x = hp[i];

	hp[i] = hp[j];
	hp[j] = x;
	tk_ctr(t)[hp[i]].hpos = i;
	tk_ctr(t)[hp[j]].hpos = j;
}

static void
tk_down(struct topk *t, uint32_t i)
{
	const struct tk_ctr	*c = tk_ctr(t);
	const uint32_t		*hp = tk_heap(t);
	uint32_t		 l, m;

	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < t->len && tk_less(c, hp[l], hp[m]))
			m = l;
		if (l + 1 < t->len && tk_less(c, hp[l + 1], hp[m]))
			m = l + 1;
		if (m == i)
			return;
		tk_swap(t, i, m);
		i = m;
	}
}

static void
tk_up(struct topk *t, uint32_t i)
{
	const struct tk_ctr	*c = tk_ctr(t);
	const uint32_t		*hp = tk_heap(t);

	while (i > 0 && tk_less(c, hp[i], hp[(i - 1) / 2])) {
		tk_swap(t, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

/* A new empty block for S in A: room for CAP of at most MAX counters. */
static struct topk *
tk_new(struct sk_state *s, uint32_t cap, uint32_t max, struct arena *a)
{
	struct topk	*t;
	uint32_t	 icap;

	for (icap = 4; icap < 2 * cap; icap *= 2)
		;
	t = sk_alloc(s, sizeof *t + cap * sizeof(struct tk_ctr) + 4 * cap +
	    4 * icap, a);
	t->cap = cap;
	t->max = max;
	t->icap = icap;
	return t;
}

/*
 * Makes T (S's block) hold counters C[0..n) afresh: the heap built, the
 * index made; T has room for them.
 */
static void
tk_fill(struct topk *t, const struct tk_ctr *c, uint32_t n)
{
	uint32_t	 i;

	if (c != tk_ctr(t))
		memmove(tk_ctr(t), c, n * sizeof *c);
	t->len = n;
	memset(tk_idx(t), 0, 4 * (size_t)t->icap);
	for (i = 0; i < n; i++) {
		tk_heap(t)[i] = i;
		tk_ctr(t)[i].hpos = i;
		tk_idx_put(t, i);
	}
	for (i = n / 2; i-- > 0; )
		tk_down(t, i);
}

/* Moves S's counters into a new block of CAP in A; returns it. */
static struct topk *
tk_regrow(struct sk_state *s, uint32_t cap, struct arena *a)
{
	struct topk	*old = s->blk, *t;

	t = tk_new(s, cap, old->max, a);
	tk_fill(t, tk_ctr(old), old->len);
	return t;
}

static int
tk_add(struct agg *r, void *state, const struct value *v, struct arena *a)
{
	struct sk_state	*s = state;
	struct topk	*t;
	struct tk_ctr	*c;
	uint64_t	 h = value_hash(v);
	int64_t		 id, m;

	if (s->blk == NULL) {
		uint32_t max = ((struct sk_agg *)r)->cap;
		t = tk_new(s, 2, max, a);
	} else
		t = sk_own(s, a);
	s->n++;
	if ((id = tk_lookup(t, v, h)) >= 0) {
		tk_ctr(t)[id].cnt++;
		tk_down(t, tk_ctr(t)[id].hpos);
		return 0;
	}
	if (t->len < t->max) {
		if (t->len == t->cap)
			t = tk_regrow(s, t->cap * 2 < t->max ? t->cap * 2 :
			    t->max, a);
		id = t->len++;
		c = &tk_ctr(t)[id];
		c->v = value_copy(a, v);
		c->cnt = 1;
		c->err = 0;
		c->h = h;
		c->hpos = (uint32_t)id;
		tk_heap(t)[id] = (uint32_t)id;
		tk_idx_put(t, (uint32_t)id);
		tk_up(t, (uint32_t)id);
		return 0;
	}
	/* Full: the least counter is the new value's, its count the floor. */
	id = tk_heap(t)[0];
	c = &tk_ctr(t)[id];
	tk_idx_del(t, (uint32_t)id);
	m = c->cnt;
	c->v = value_copy(a, v);
	c->cnt = m + 1;
	c->err = m;
	c->h = h;
	tk_idx_put(t, (uint32_t)id);
	tk_down(t, 0);
	return 0;
}

/* Merge order: larger COUNT first, then smaller ERR, hash, value. */
static int
tk_cmp_merge(const void *pa, const void *pb)
{
	const struct tk_ctr	*a = pa, *b = pb;

	if (a->cnt != b->cnt)
		return a->cnt > b->cnt ? -1 : 1;
	if (a->err != b->err)
		return a->err < b->err ? -1 : 1;
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return value_cmp(&a->v, &b->v);
}

/* The least COUNT of a full summary T (what a value missing from it may have had), else 0. */
static int64_t
tk_floor(const struct topk *t)
{
	return t->len == t->max && t->len > 0 ?
	    tk_ctr(t)[tk_heap(t)[0]].cnt : 0;
}

static int
tk_merge(struct agg *r, void *state, const void *o, struct arena *a)
{
	struct sk_state		*s = state;
	const struct sk_state	*so = o;
	const struct topk	*e = so->blk;
	struct topk		*t;
	struct tk_ctr		*all, *c;
	int64_t			 fs, fe, id;
	uint32_t		 i, n = 0, keep;

	if (s->blk == NULL) {
		s->blk = so->blk;
		s->owner = NULL;
		t = sk_own(s, a);
		for (i = 0; i < t->len; i++)
			tk_ctr(t)[i].v = value_copy(a, &tk_ctr(t)[i].v);
		s->n = so->n;
		return 0;
	}
	t = sk_own(s, a);
	fs = tk_floor(t);
	fe = tk_floor(e);
	all = xreallocarray(NULL, (size_t)t->len + e->len, sizeof *all);
	for (i = 0; i < t->len; i++) {
		c = &all[n++];
		*c = tk_ctr(t)[i];
		if ((id = tk_lookup(e, &c->v, c->h)) >= 0) {
			c->cnt += tk_ctr(e)[id].cnt;
			c->err += tk_ctr(e)[id].err;
		} else {
			c->cnt += fe;
			c->err += fe;
		}
	}
	for (i = 0; i < e->len; i++)
		if (tk_lookup(t, &tk_ctr(e)[i].v, tk_ctr(e)[i].h) < 0) {
			c = &all[n++];
			*c = tk_ctr(e)[i];
			c->v = value_copy(a, &c->v);
			c->cnt += fs;
			c->err += fs;
		}
	keep = n;
	if (keep > t->max) {
		qsort(all, n, sizeof *all, tk_cmp_merge);
		keep = t->max;
	}
	if (keep > t->cap) {
		t = tk_new(s, keep * 2 < t->max ? keep * 2 : t->max, t->max, a);
	}
	tk_fill(t, all, keep);
	free(all);
	s->n += so->n;
	return 0;
}

/* A counter as the result sorts it. */
struct tk_row {
	int64_t			 lo, cnt;
	const struct value	*v;
};

static int
tk_cmp_row(const void *pa, const void *pb)
{
	const struct tk_row	*a = pa, *b = pb;

	if (a->lo != b->lo)
		return a->lo > b->lo ? -1 : 1;
	if (a->cnt != b->cnt)
		return a->cnt > b->cnt ? -1 : 1;
	return value_cmp(a->v, b->v);
}

static struct value
tk_result(const struct agg *r, const void *state)
{
	struct sk_agg		*x = (struct sk_agg *)(uintptr_t)r;
	const struct sk_state	*s = state;
	const struct topk	*t = s->blk;
	struct tk_row		*rows;
	struct value		 out, *pair;
	uint32_t		 i, k;

	arena_reset(&x->out);
	if (s->n == 0 || t == NULL)
		return value_array(&x->out, 0);
	rows = arena_alloc(&x->out, t->len * sizeof *rows);
	for (i = 0; i < t->len; i++) {
		rows[i].lo = tk_ctr(t)[i].cnt - tk_ctr(t)[i].err;
		rows[i].cnt = tk_ctr(t)[i].cnt;
		rows[i].v = &tk_ctr(t)[i].v;
	}
	qsort(rows, t->len, sizeof *rows, tk_cmp_row);
	k = x->k < t->len ? x->k : t->len;
	out = value_array(&x->out, k);
	for (i = 0; i < k; i++) {
		out.u.a[i] = value_array(&x->out, 2);
		pair = out.u.a[i].u.a;
		pair[0] = *rows[i].v;
		pair[1] = value_int(rows[i].lo);
	}
	return out;
}

static void
tk_move(void *state, struct arena *a)
{
	struct sk_state	*s = state;
	struct topk	*t;
	uint32_t	 i;

	if (s->blk == NULL)
		return;
	sk_move(state, a);
	t = s->blk;
	for (i = 0; i < t->len; i++)
		tk_ctr(t)[i].v = value_copy(a, &tk_ctr(t)[i].v);
}

/* Save order: hash, then value order. */
static int
tk_cmp_save(const void *pa, const void *pb)
{
	const struct tk_ctr	*a = *(const struct tk_ctr *const *)pa;
	const struct tk_ctr	*b = *(const struct tk_ctr *const *)pb;

	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return value_cmp(&a->v, &b->v);
}

static int
tk_save(const void *state, struct buf *out, char **cause)
{
	const struct sk_state	*s = state;
	const struct topk	*t = s->blk;
	const struct tk_ctr	**order;
	uint32_t		 i;
	int			 rc = 0;

	snap_put_i64(out, s->n);
	if (t == NULL) {
		snap_put_u64(out, 0);
		return 0;
	}
	snap_put_u64(out, t->max);
	snap_put_u64(out, t->len);
	order = xreallocarray(NULL, t->len, sizeof *order);
	for (i = 0; i < t->len; i++)
		order[i] = &tk_ctr(t)[i];
	qsort(order, t->len, sizeof *order, tk_cmp_save);
	for (i = 0; i < t->len && rc == 0; i++) {
		rc = snap_put_value(out, &order[i]->v, cause);
		snap_put_i64(out, order[i]->cnt);
		snap_put_i64(out, order[i]->err);
	}
	free(order);
	return rc;
}

static int
tk_load(void *state, struct snap_rd *r, struct arena *a)
{
	struct sk_state	*s = state;
	struct topk	*t;
	struct tk_ctr	*c;
	uint64_t	 max, lows = 0;
	size_t		 len, i;

	memset(s, 0, sizeof *s);
	if (snap_get_i64(r, &s->n) == -1 || snap_get_u64(r, &max) == -1)
		return -1;
	if (s->n < 0 || (s->n == 0) != (max == 0))
		return snap_fail(r, "topk state: %lld values, %llu counters",
		    (long long)s->n, (unsigned long long)max);
	if (max == 0)
		return 0;
	if (max > TK_CMAX)
		return snap_fail(r, "topk state: %llu counters, more than "
		    "%u", (unsigned long long)max, TK_CMAX);
	if (snap_get_count(r, 3, max, &len) == -1)
		return -1;
	if (len == 0)
		return snap_fail(r, "topk state: no counters");
	t = tk_new(s, (uint32_t)len, (uint32_t)max, a);
	for (i = 0; i < len; i++) {
		c = &tk_ctr(t)[i];
		if (snap_get_value(r, a, &c->v) == -1 ||
		    snap_get_i64(r, &c->cnt) == -1 ||
		    snap_get_i64(r, &c->err) == -1)
			return -1;
		c->h = value_hash(&c->v);
		if (c->cnt < 1 || c->cnt > s->n || c->err < 0 ||
		    c->err >= c->cnt ||
		    (uint64_t)(c->cnt - c->err) > (uint64_t)s->n - lows)
			return snap_fail(r, "topk state: counter %zu counts "
			    "%lld, %lld of them maybe others'", i,
			    (long long)c->cnt, (long long)c->err);
		lows += (uint64_t)(c->cnt - c->err);
		if (i > 0 && tk_cmp_save(&(const struct tk_ctr *){ c - 1 },
		    &(const struct tk_ctr *){ c }) >= 0)
			return snap_fail(r, "topk state: counters out of "
			    "order");
	}
	tk_fill(t, tk_ctr(t), (uint32_t)len);
	return 0;
}

/*
 * Builds topk(ARG)'s instance (topk(10) for NULL).  Returns NULL with
 * *CAUSE set when ARG is not a whole number from 1 to TK_KMAX.
 */
static struct agg *
tk_make(const struct agg_def *def, const char *arg, char **cause)
{
	struct sk_agg	*x;
	const char	*p = arg;
	char		 spell[32];
	long		 k = 0;

	if (arg == NULL)
		k = 10;
	else {
		while (*p == ' ' || *p == '\t')
			p++;
		for (; *p >= '0' && *p <= '9' && k <= TK_KMAX; p++)
			k = k * 10 + (*p - '0');
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0' || k < 1 || k > TK_KMAX) {
			xasprintf(cause, "topk(%s): K must be a whole number "
			    "from 1 to %d", arg, TK_KMAX);
			return NULL;
		}
	}
	snprintf(spell, sizeof spell, "topk(%ld)", k);
	x = (struct sk_agg *)sk_agg_new(def, spell, 0, (uint32_t)k);
	x->cap = (uint32_t)k * TK_FACTOR < TK_CMIN ? TK_CMIN :
	    (uint32_t)k * TK_FACTOR;
	return &x->agg;
}

const struct agg_def agg_topk = {
	.name = "topk",
	.size = sizeof(struct sk_state),
	.add = tk_add,
	.merge = tk_merge,
	.result = tk_result,
	.prefetch = sk_prefetch,
	.move = tk_move,
	.save = tk_save,
	.load = tk_load,
	.free = sk_agg_free,
	.arg = "K",
	.make = tk_make,
	.help = "the K most frequent values as [[value, count], ...], most "
	    "frequent first (Space-Saving with 20 K counters: exact while a "
	    "key has at most 20 K distinct values, and on skewed data whose "
	    "top K are well apart)",
};
