/*
 * hll.c - distinct: the approximate number of distinct values, as a
 * HyperLogLog sketch.
 *
 *   Flajolet, Fusy, Gandouet, Meunier, "HyperLogLog: the analysis of a
 *   near-optimal cardinality estimation algorithm", AofA 2007;
 *   Heule, Nunkesser, Hall, "HyperLogLog in practice: algorithmic
 *   engineering of a state of the art cardinality estimation
 *   algorithm", EDBT 2013 (HLL++: the sparse representation);
 *   Ertl, "New cardinality estimation algorithms for HyperLogLog
 *   sketches", arXiv:1702.01284, 2017 (the estimator: no bias tables,
 *   accurate from 0 to far past 2^32).
 *
 * A value is hashed with value_hash (XXH3, the hash the tables use, so
 * two values are one when countByValue would count them as one: 2 and
 * 2.0 alike, the string "2" apart).  The dense sketch has m = 2^14
 * registers of 6 bits (12 KiB): the top 14 bits of the hash pick a
 * register, which keeps the largest rank (1 + leading zeros) of the 50
 * bits after them.  The standard error is 1.04 / sqrt(m) = 0.81 %.
 *
 * A key with few values would waste those 12 KiB, so a sketch starts
 * sparse (HLL++): a small open-addressing set of 32-bit entries, each
 * the top 25 bits of a hash and the rank of the 39 bits after them (the
 * largest per 25-bit index), 4 slots at first, doubled at 3/4 load.  At
 * 2^25 buckets the sparse count (linear counting) is exact to a few in
 * a million.  When the set would pass 2048 slots (8 KiB, 1536 entries)
 * it turns dense; the dense registers are what adding the same hashes to
 * a dense sketch would have made (the 25-bit index and its rank give the
 * 14-bit index and its rank), so the sketch is a function of the set of
 * values alone: adding, merging in any order or grouping, give the same
 * bytes, and a window merged from panes equals the window recomputed.
 *
 * Memory per key: 24 bytes in place, plus 16 + 16 bytes for one value,
 * growing with the values to 8 KiB sparse, then 12 KiB + 16 dense; never
 * more.  Merging is a union (register maxima); there is no inverse.
 *
 * Checkpoint encoding (snap.h): n, a kind byte (0 empty, 1 sparse, 2
 * dense), then for sparse the entry count and each entry as the
 * difference of its 25-bit index to the previous one's (the first as
 * is) and its rank, in index order; for dense the 12288 packed bytes.
 * Loading checks every index, rank and register.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "sketch.h"
#include "snap.h"

#define HLL_P		14			/* dense index bits */
#define HLL_M		(1u << HLL_P)		/* registers */
#define HLL_Q		(64 - HLL_P)		/* bits ranked: ranks 1..Q+1 */
#define HLL_SP		25			/* sparse index bits */
#define HLL_SQ		(64 - HLL_SP)		/* sparse ranks 1..SQ+1 */
#define HLL_REGBYTES	(HLL_M / 4 * 3)		/* 6-bit registers, packed */
#define HLL_MAXCAP	2048			/* sparse slots at most */
#define HLL_MAXCNT	(HLL_MAXCAP / 4 * 3)	/* sparse entries at most */

enum { HLL_NONE, HLL_SPARSE, HLL_DENSE };

struct hll {
	uint32_t	 size;		/* bytes of the block (sk_blk) */
	uint8_t		 dense;
	uint8_t		 pad[3];
	uint32_t	 cap;		/* sparse: slots, a power of two */
	uint32_t	 cnt;		/* sparse: entries */
	/* sparse: uint32_t slots[cap]; dense: HLL_REGBYTES packed bytes */
};

static inline uint32_t *
hll_slots(struct hll *h)
{
	return (uint32_t *)(void *)(h + 1);
}

static inline uint8_t *
hll_regs(struct hll *h)
{
	return (uint8_t *)(h + 1);
}

static inline const uint8_t *
hll_cregs(const struct hll *h)
{
	return (const uint8_t *)(h + 1);
}

/* Register I of the packed registers R (four in three bytes). */
static inline unsigned
hll_get(const uint8_t *r, uint32_t i)
{
	const uint8_t	*p = r + (i >> 2) * 3;
	uint32_t	 w = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;

	return (w >> ((i & 3) * 6)) & 63;
}

/* Raises register I of R to V when V is larger. */
static inline void
hll_raise(uint8_t *r, uint32_t i, unsigned v)
{
	uint8_t		*p = r + (i >> 2) * 3;
	uint32_t	 w = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
	unsigned	 sh = (i & 3) * 6;

	if (((w >> sh) & 63) >= v)
		return;
	w = (w & ~(63u << sh)) | v << sh;
	p[0] = (uint8_t)w;
	p[1] = (uint8_t)(w >> 8);
	p[2] = (uint8_t)(w >> 16);
}

/* A sparse entry: the 25-bit index and the rank of the 39 bits after. */
static inline uint32_t
hll_entry(uint64_t h)
{
	uint32_t	 rank = (uint32_t)__builtin_clzll(h << HLL_SP |
			    1ull << (HLL_SP - 1)) + 1;

	return (uint32_t)(h >> HLL_SQ) << 6 | rank;
}

/* Raises the dense register an entry E falls in to E's rank there. */
static inline void
hll_raise_entry(uint8_t *r, uint32_t e)
{
	uint32_t	 idx = e >> 6, low = idx & ((1u << (HLL_SP - HLL_P)) - 1);
	unsigned	 rank;

	if (low != 0)	/* the first 1 is among the 11 bits between */
		rank = (unsigned)__builtin_clz(low) -
		    (32 - (HLL_SP - HLL_P)) + 1;
	else
		rank = (HLL_SP - HLL_P) + (e & 63);
	hll_raise(r, idx >> (HLL_SP - HLL_P), rank);
}

/* A new sparse block of CAP slots for S in A. */
static struct hll *
hll_new_sparse(struct sk_state *s, uint32_t cap, struct arena *a)
{
	struct hll	*h = sk_alloc(s, sizeof *h + cap * 4, a);

	h->cap = cap;
	return h;
}

/*
 * Puts entry E into the sparse H, which has a free slot.  Returns 1
 * when E's index was new, 0 when it was there (its rank kept largest).
 */
static int
hll_sp_put(struct hll *h, uint32_t e)
{
	uint32_t	*sl = hll_slots(h), mask = h->cap - 1, idx = e >> 6;
	uint32_t	 i;

	for (i = idx & mask; sl[i] != 0; i = (i + 1) & mask)
		if (sl[i] >> 6 == idx) {
			if ((e & 63) > (sl[i] & 63))
				sl[i] = e;
			return 0;
		}
	sl[i] = e;
	h->cnt++;
	return 1;
}

/* Whether the sparse H holds an entry of E's index (rank raised if so). */
static bool
hll_sp_update(struct hll *h, uint32_t e)
{
	uint32_t	*sl = hll_slots(h), mask = h->cap - 1, idx = e >> 6;
	uint32_t	 i;

	for (i = idx & mask; sl[i] != 0; i = (i + 1) & mask)
		if (sl[i] >> 6 == idx) {
			if ((e & 63) > (sl[i] & 63))
				sl[i] = e;
			return true;
		}
	return false;
}

/* Makes S's sparse sketch dense, in a new block in A. */
static struct hll *
hll_densify(struct sk_state *s, struct arena *a)
{
	struct hll	*old = s->blk, *h;
	uint32_t	 i;

	h = sk_alloc(s, sizeof *h + HLL_REGBYTES, a);
	h->dense = 1;
	for (i = 0; i < old->cap; i++)
		if (hll_slots(old)[i] != 0)
			hll_raise_entry(hll_regs(h), hll_slots(old)[i]);
	return h;
}

/*
 * Folds entry E into S's block, which S owns: a sparse one grows (a new
 * block in A) or turns dense when it is full.
 */
static void
hll_put(struct sk_state *s, uint32_t e, struct arena *a)
{
	struct hll	*h = s->blk, *old;
	uint32_t	 i;

	if (h->dense) {
		hll_raise_entry(hll_regs(h), e);
		return;
	}
	if (hll_sp_update(h, e))
		return;
	if ((h->cnt + 1) * 4 > h->cap * 3) {
		if (h->cap * 2 > HLL_MAXCAP) {
			h = hll_densify(s, a);
			hll_raise_entry(hll_regs(h), e);
			return;
		}
		old = h;
		h = hll_new_sparse(s, old->cap * 2, a);
		for (i = 0; i < old->cap; i++)
			if (hll_slots(old)[i] != 0)
				hll_sp_put(h, hll_slots(old)[i]);
	}
	hll_sp_put(h, e);
}

static int
hll_add(struct agg *r, void *state, const struct value *v, struct arena *a)
{
	struct sk_state	*s = state;

	if (s->blk == NULL)
		hll_new_sparse(s, 4, a);
	else
		sk_own(s, a);
	hll_put(s, hll_entry(value_hash(v)), a);
	s->n++;
	return 0;
}

/* Makes room in the sparse H, which S owns, for MORE entries (up to the
 * largest sparse set: whether it turns dense is hll_put's to say). */
static void
hll_reserve(struct sk_state *s, uint32_t more, struct arena *a)
{
	struct hll	*h = s->blk, *old;
	uint32_t	 cap, i;

	for (cap = h->cap; (h->cnt + more) * 4 > cap * 3 && cap < HLL_MAXCAP;
	    cap *= 2)
		;
	if (cap == h->cap)
		return;
	old = h;
	h = hll_new_sparse(s, cap, a);
	for (i = 0; i < old->cap; i++)
		if (hll_slots(old)[i] != 0)
			hll_sp_put(h, hll_slots(old)[i]);
}

/* Raises the dense registers D to the dense registers Q's, four at a time. */
static void
hll_max_regs(uint8_t *d, const uint8_t *q)
{
	uint32_t	 g, x, y, z, m;
	unsigned	 k;

	for (g = 0; g < HLL_REGBYTES; g += 3) {
		x = d[g] | (uint32_t)d[g + 1] << 8 | (uint32_t)d[g + 2] << 16;
		y = q[g] | (uint32_t)q[g + 1] << 8 | (uint32_t)q[g + 2] << 16;
		if (x == y)
			continue;
		z = 0;
		for (k = 0; k < 24; k += 6) {
			m = (x >> k & 63) > (y >> k & 63) ? x >> k & 63 :
			    y >> k & 63;
			z |= m << k;
		}
		d[g] = (uint8_t)z;
		d[g + 1] = (uint8_t)(z >> 8);
		d[g + 2] = (uint8_t)(z >> 16);
	}
}

/* Whether the block A holds more than the block B (copying it is then
 * cheaper than folding it in entry by entry). */
static bool
hll_bigger(const struct hll *a, const struct hll *b)
{
	if (a->dense || b->dense)
		return a->dense && !b->dense;
	return a->cnt > b->cnt;
}

static int
hll_merge(struct agg *r, void *state, const void *o, struct arena *a)
{
	struct sk_state		*s = state;
	const struct sk_state	*so = o;
	struct hll		*ho = so->blk, *h;
	uint32_t		 i;

	if (s->blk == NULL || (!sk_owns(s) && hll_bigger(ho, s->blk))) {
		/* The union is the same either way round: copy the bigger
		 * block and fold the smaller one in. */
		h = s->blk;
		s->blk = so->blk;
		s->owner = NULL;
		sk_own(s, a);
		s->n += so->n;
		if (h == NULL)
			return 0;
		ho = h;
	} else {
		sk_own(s, a);
		s->n += so->n;
	}
	h = s->blk;
	if (ho->dense) {
		if (!h->dense)
			h = hll_densify(s, a);
		hll_max_regs(hll_regs(h), hll_cregs(ho));
		return 0;
	}
	if (!h->dense)
		hll_reserve(s, ho->cnt, a);
	for (i = 0; i < ho->cap; i++)
		if (hll_slots(ho)[i] != 0)
			hll_put(s, hll_slots(ho)[i], a);
	return 0;
}

/* Ertl's sigma and tau (the estimator's corrections at both ends). */
static double
hll_sigma(double x)
{
	double	 y = 1, z = x, zp;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (z != zp);
	return z;
}

static double
hll_tau(double x)
{
	double	 y = 1, z = 1 - x, zp;

	if (x == 0 || x == 1)
		return 0;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != zp);
	return z / 3;
}

/* The estimate of the distinct values S's block has seen. */
static double
hll_estimate(const struct hll *h)
{
	const double	 ms = (double)(1u << HLL_SP), m = HLL_M;
	uint32_t	 c[HLL_Q + 2] = { 0 }, i;
	double		 z;
	int		 k;

	if (!h->dense)	/* linear counting over 2^25 buckets */
		return ms * log(ms / (ms - h->cnt));
	for (i = 0; i < HLL_M; i++)
		c[hll_get(hll_cregs(h), i)]++;
	z = m * hll_tau((m - c[HLL_Q + 1]) / m);
	for (k = HLL_Q; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	z += m * hll_sigma(c[0] / m);
	return m * m / (2 * log(2)) / z;
}

static struct value
hll_result(const struct agg *r, const void *state)
{
	const struct sk_state	*s = state;

	if (s->n == 0 || s->blk == NULL)
		return value_int(0);
	return value_int(llround(hll_estimate(s->blk)));
}

static int
hll_cmp_u32(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
hll_save(const void *state, struct buf *out, char **cause)
{
	const struct sk_state	*s = state;
	struct hll		*h = s->blk;
	uint32_t		 e[HLL_MAXCNT], n = 0, i, prev = 0;

	snap_put_i64(out, s->n);
	if (h == NULL) {
		snap_put_u8(out, HLL_NONE);
		return 0;
	}
	if (h->dense) {
		snap_put_u8(out, HLL_DENSE);
		snap_put_bytes(out, hll_regs(h), HLL_REGBYTES);
		return 0;
	}
	snap_put_u8(out, HLL_SPARSE);
	for (i = 0; i < h->cap; i++)
		if (hll_slots(h)[i] != 0)
			e[n++] = hll_slots(h)[i];
	qsort(e, n, sizeof e[0], hll_cmp_u32);
	snap_put_u64(out, n);
	for (i = 0; i < n; i++) {
		snap_put_u64(out, (e[i] >> 6) - prev);
		snap_put_u8(out, e[i] & 63);
		prev = e[i] >> 6;
	}
	return 0;
}

static int
hll_load(void *state, struct snap_rd *r, struct arena *a)
{
	struct sk_state	*s = state;
	struct hll	*h;
	const char	*p;
	uint64_t	 d, idx = 0;
	size_t		 cnt, n, i;
	uint32_t	 cap;
	uint8_t		 kind, rank;

	memset(s, 0, sizeof *s);
	if (snap_get_i64(r, &s->n) == -1 || snap_get_u8(r, &kind) == -1)
		return -1;
	if (s->n < 0 || (s->n == 0) != (kind == HLL_NONE))
		return snap_fail(r, "distinct state: %lld values, kind %u",
		    (long long)s->n, kind);
	switch (kind) {
	case HLL_NONE:
		return 0;
	case HLL_DENSE:
		if (snap_get_bytes(r, HLL_REGBYTES, &p, &n) == -1)
			return -1;
		if (n != HLL_REGBYTES)
			return snap_fail(r, "distinct state: %zu bytes of "
			    "registers, not %u", n, HLL_REGBYTES);
		h = sk_alloc(s, sizeof *h + HLL_REGBYTES, a);
		h->dense = 1;
		memcpy(hll_regs(h), p, HLL_REGBYTES);
		for (i = 0; i < HLL_M; i++)
			if (hll_get(hll_regs(h), (uint32_t)i) > HLL_Q + 1)
				return snap_fail(r, "distinct state: register "
				    "%zu is %u", i, hll_get(hll_regs(h),
				    (uint32_t)i));
		return 0;
	case HLL_SPARSE:
		if (snap_get_count(r, 2, HLL_MAXCNT, &cnt) == -1)
			return -1;
		if (cnt == 0)
			return snap_fail(r, "distinct state: no entries");
		for (cap = 4; cnt * 4 > cap * 3; cap *= 2)
			;
		h = hll_new_sparse(s, cap, a);
		for (i = 0; i < cnt; i++) {
			if (snap_get_u64(r, &d) == -1 ||
			    snap_get_u8(r, &rank) == -1)
				return -1;
			if ((i > 0 && d == 0) || d >= (1u << HLL_SP) - idx ||
			    rank < 1 || rank > HLL_SQ + 1)
				return snap_fail(r, "distinct state: bad "
				    "entry %zu", i);
			idx += d;
			hll_sp_put(h, (uint32_t)idx << 6 | rank);
		}
		return 0;
	}
	return snap_fail(r, "distinct state: unknown kind %u", kind);
}

const struct agg_def agg_distinct = {
	.name = "distinct",
	.size = sizeof(struct sk_state),
	.add = hll_add,
	.merge = hll_merge,
	.result = hll_result,
	.move = sk_move,
	.save = hll_save,
	.load = hll_load,
	.help = "the approximate number of distinct values (HyperLogLog: "
	    "standard error 0.81 %, exact to a few in a million below "
	    "about 1500 values; 12 KiB a key at most)",
};
