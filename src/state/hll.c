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
 * largest per 25-bit index), 4 slots at first, doubled when full: 3/4
 * full up to 16 slots and at 2048, half full between, where sets grow
 * and merge most and a probe should seldom walk far (hll_sp_room).  At
 * 2^25 buckets the sparse count (linear counting) is exact to a few in
 * a million.  When the set would pass 1536 entries (2048 slots, 8 KiB)
 * it turns dense; the dense registers are what adding the same hashes to
 * a dense sketch would have made (the 25-bit index and its rank give the
 * 14-bit index and its rank), so the sketch is a function of the set of
 * values alone: adding, merging in any order or grouping, give the same
 * registers and entries, and a window merged from panes equals the
 * window recomputed.
 *
 * What keeps it cheap (a window of 1h sliding by 1m asks every key's
 * estimate each minute, and merges panes): a dense sketch keeps the
 * histogram of its registers (how many hold each value) as they change,
 * so its estimate reads 52 counts, not 16384 registers; two dense
 * sketches merge eight registers at a time (SWAR on six bytes); a merge
 * copies the bigger block and folds the smaller one in, laying the copy
 * out at once as the union will need (hll_own); and a window's emission
 * asks the estimate of its front merged with its back without building
 * the merge (merged_result, agg.h): two sparse sets count the smaller
 * one's indexes the larger one lacks, and a union that is dense has its
 * histogram made on the side.
 *
 * Memory per key: 24 bytes in place, plus 16 + 16 bytes for one value,
 * growing with the values to 8 KiB sparse, then 12 KiB + 120 dense
 * (the header and the histogram); never more.  Merging is a union
 * (register maxima); there is no inverse.
 *
 * Checkpoint encoding (snap.h): n, a kind byte (0 empty, 1 sparse, 2
 * dense), then for sparse the entry count and each entry as the
 * difference of its 25-bit index to the previous one's (the first as
 * is) and its rank, in index order; for dense the 12288 packed bytes.
 * Loading checks every index, rank and register.
 */
#ifdef __SSE2__
#include <emmintrin.h>
#endif
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
	/* sparse: uint32_t slots[cap]; dense: HLL_REGBYTES packed bytes,
	 * then uint16_t hist[HLL_Q + 2], how many registers hold each value */
};

/* Bytes of a dense block: the header, the registers, their histogram. */
#define HLL_DENSEBYTES	(sizeof(struct hll) + HLL_REGBYTES + \
			    (HLL_Q + 2) * sizeof(uint16_t))

static inline uint32_t *
hll_slots(struct hll *h)
{
	return (uint32_t *)(void *)(h + 1);
}

static inline const uint32_t *
hll_cslots(const struct hll *h)
{
	return (const uint32_t *)(const void *)(h + 1);
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

/* The dense H's histogram: hist[v] registers hold v (they sum to m). */
static inline uint16_t *
hll_hist(struct hll *h)
{
	return (uint16_t *)(void *)(hll_regs(h) + HLL_REGBYTES);
}

static inline const uint16_t *
hll_chist(const struct hll *h)
{
	return (const uint16_t *)(const void *)(hll_cregs(h) + HLL_REGBYTES);
}

/*
 * The four bytes at P as a number, the first byte lowest.  Registers are
 * read a word at a time: a dense block's histogram follows its
 * registers, so a read past the last register's bytes stays within it.
 */
static inline uint32_t
hll_load32(const uint8_t *p)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t	 w;

	memcpy(&w, p, sizeof w);
	return w;
#else
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
#endif
}

/* Register I of the packed registers R (four in three bytes). */
static inline unsigned
hll_get(const uint8_t *r, uint32_t i)
{
	return (hll_load32(r + (i >> 2) * 3) >> ((i & 3) * 6)) & 63;
}

/* Raises register I of the dense H to V when V is larger (and keeps the
 * histogram). */
static inline void
hll_raise(struct hll *h, uint32_t i, unsigned v)
{
	uint8_t		*p = hll_regs(h) + (i >> 2) * 3;
	uint32_t	 w = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
	unsigned	 sh = (i & 3) * 6, old = (w >> sh) & 63;

	if (old >= v)
		return;
	hll_hist(h)[old]--;
	hll_hist(h)[v]++;
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

/* The dense register an entry E falls in; *RANK is E's rank there. */
static inline uint32_t
hll_entry_reg(uint32_t e, unsigned *rank)
{
	uint32_t	 idx = e >> 6, low = idx & ((1u << (HLL_SP - HLL_P)) - 1);

	if (low != 0)	/* the first 1 is among the 11 bits between */
		*rank = (unsigned)__builtin_clz(low) -
		    (32 - (HLL_SP - HLL_P)) + 1;
	else
		*rank = (HLL_SP - HLL_P) + (e & 63);
	return idx >> (HLL_SP - HLL_P);
}

/* Raises the register of the dense H an entry E falls in to E's rank
 * there. */
static inline void
hll_raise_entry(struct hll *h, uint32_t e)
{
	unsigned	 rank;
	uint32_t	 j = hll_entry_reg(e, &rank);

	hll_raise(h, j, rank);
}

/*
 * Whether CAP sparse slots may hold CNT entries: up to 3/4 full while
 * small (16 slots at most) and at the largest size, half full between,
 * where sets grow and merge most, so that a probe seldom walks far.
 * Whether a set is dense is a function of its entries alone: it is when
 * they are more than HLL_MAXCNT.
 */
static inline bool
hll_sp_room(uint32_t cnt, uint32_t cap)
{
	if (cap >= HLL_MAXCAP)
		return cnt <= HLL_MAXCNT;
	if (cap <= 16)
		return cnt * 4 <= cap * 3;
	return cnt * 2 <= cap;
}

/* The slots a sparse set of CNT entries (HLL_MAXCNT at most) is given. */
static uint32_t
hll_sp_cap(uint32_t cnt)
{
	uint32_t	 cap;

	for (cap = 4; !hll_sp_room(cnt, cap); cap *= 2)
		;
	return cap;
}

/*
 * The slot of the sparse H that holds the index of entry E, or else the
 * empty slot where E goes (hll_sp_room keeps one free): the one probe
 * loop of the sparse set.
 */
static inline uint32_t *
hll_sp_slot(struct hll *h, uint32_t e)
{
	uint32_t	*sl = hll_slots(h), mask = h->cap - 1, idx = e >> 6;
	uint32_t	 i;

	for (i = idx & mask; sl[i] != 0 && sl[i] >> 6 != idx;
	    i = (i + 1) & mask)
		;
	return &sl[i];
}

/*
 * Puts entry E into slot P of the sparse H (from hll_sp_slot): a new
 * entry when P is empty (H must have room for one more), else the
 * larger rank kept.
 */
static inline void
hll_sp_set(struct hll *h, uint32_t *p, uint32_t e)
{
	if (*p == 0) {
		*p = e;
		h->cnt++;
	} else if ((e & 63) > (*p & 63))
		*p = e;
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
 * Gathers the entries of the sparse H into ES (room for H's slots) and
 * returns how many: without a branch, as empty slots come in no order,
 * so that the loops over a set's entries do not mispredict.
 */
static inline uint32_t
hll_sp_gather(const struct hll *h, uint32_t *es)
{
	const uint32_t	*sl = hll_cslots(h);
	uint32_t	 i, n = 0;

	for (i = 0; i < h->cap; i += 4) {	/* 4 slots at least */
		es[n] = sl[i];
		n += sl[i] != 0;
		es[n] = sl[i + 1];
		n += sl[i + 1] != 0;
		es[n] = sl[i + 2];
		n += sl[i + 2] != 0;
		es[n] = sl[i + 3];
		n += sl[i + 3] != 0;
	}
	return n;
}

/*
 * A new sparse block of CAP slots for S in A holding the entries of the
 * sparse OLD (S's block before, or another state's: OLD is not changed
 * and stays where it is).
 */
static struct hll *
hll_sp_rehash(struct sk_state *s, const struct hll *old, uint32_t cap,
    struct arena *a)
{
	uint32_t	 es[HLL_MAXCAP], i, n = hll_sp_gather(old, es);
	struct hll	*h = hll_new_sparse(s, cap, a);

	for (i = 0; i < n; i++)
		hll_sp_set(h, hll_sp_slot(h, es[i]), es[i]);
	return h;
}

/*
 * A new dense block for S in A with the entries of the sparse OLD (S's
 * block before, or another state's, not changed).
 */
static struct hll *
hll_densify(struct sk_state *s, const struct hll *old, struct arena *a)
{
	uint32_t	 es[HLL_MAXCAP], i, n = hll_sp_gather(old, es);
	struct hll	*h;

	h = sk_alloc(s, HLL_DENSEBYTES, a);
	h->dense = 1;
	hll_hist(h)[0] = HLL_M;
	for (i = 0; i < n; i++)
		hll_raise_entry(h, es[i]);
	return h;
}

/*
 * Folds entry E into S's block, which S owns: a sparse one grows (a new
 * block in A) or turns dense when it is full.
 */
static inline void
hll_put(struct sk_state *s, uint32_t e, struct arena *a)
{
	struct hll	*h = s->blk;
	uint32_t	*p;

	if (h->dense) {
		hll_raise_entry(h, e);
		return;
	}
	p = hll_sp_slot(h, e);
	if (*p == 0 && !hll_sp_room(h->cnt + 1, h->cap)) {
		if (h->cap >= HLL_MAXCAP) {
			h = hll_densify(s, h, a);
			hll_raise_entry(h, e);
			return;
		}
		h = hll_sp_rehash(s, h, h->cap * 2, a);
		p = hll_sp_slot(h, e);
	}
	hll_sp_set(h, p, e);
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

/* Loads the six bytes at P (registers: see hll_load32) as a number, the
 * first byte lowest. */
static inline uint64_t
hll_load48(const uint8_t *p)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t	 w;

	memcpy(&w, p, sizeof w);
	return w & 0xffffffffffffull;
#else
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40;
#endif
}

/* The even-numbered of eight 6-bit fields, and the bit above each. */
#define HLL_EVEN	0x03f03f03f03full
#define HLL_GUARD	0x040040040040ull

/* The field by field maxima of the 6-bit fields X and Y, laid out as
 * HLL_EVEN's (a gap of six bits above each). */
static inline uint64_t
hll_max4(uint64_t x, uint64_t y)
{
	/* bit 6 of a field stays set where x >= y: the guard absorbs the
	 * borrow */
	uint64_t	 ge = ((x | HLL_GUARD) - y) & HLL_GUARD;

	return y ^ ((x ^ y) & ((ge >> 6) * 63));
}

/*
 * Moves the histogram C of the dense registers D to that of the
 * registers' maxima with the dense registers Q, eight at a time (six
 * bytes); the changed maxima are written to OUT (D itself) unless OUT is
 * NULL.
 */
static inline void
hll_max_pass(const uint8_t *d, const uint8_t *q, uint16_t *c, uint8_t *out)
{
	uint64_t	 x, y, z, diff;
	uint32_t	 g;
	unsigned	 k;

	for (g = 0; g < HLL_REGBYTES; g += 6) {
		/* no test of Y for 0: whether it is comes in no order */
		y = hll_load48(q + g);
		x = hll_load48(d + g);
		z = hll_max4(x & HLL_EVEN, y & HLL_EVEN) |
		    hll_max4(x >> 6 & HLL_EVEN, y >> 6 & HLL_EVEN) << 6;
		if ((diff = z ^ x) == 0)
			continue;
		while (diff != 0) {
			k = (unsigned)__builtin_ctzll(diff) / 6 * 6;
			c[x >> k & 63]--;
			c[z >> k & 63]++;
			diff &= ~(63ull << k);
		}
		if (out == NULL)
			continue;
		out[g] = (uint8_t)z;
		out[g + 1] = (uint8_t)(z >> 8);
		out[g + 2] = (uint8_t)(z >> 16);
		out[g + 3] = (uint8_t)(z >> 24);
		out[g + 4] = (uint8_t)(z >> 32);
		out[g + 5] = (uint8_t)(z >> 40);
	}
}

/* Raises the registers of the dense H to those of the dense O (and
 * keeps H's histogram). */
static void
hll_max_regs(struct hll *h, const struct hll *o)
{
	hll_max_pass(hll_regs(h), hll_cregs(o), hll_hist(h), hll_regs(h));
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

/*
 * Gives S a block of its own in A that holds what the block SRC holds,
 * with room for the entries of the block SMALL (NULL: none) that is to
 * be folded in: SRC copied as it is, or laid out at once as the union
 * will need (more sparse slots, or dense), never copied twice.
 */
static struct hll *
hll_own(struct sk_state *s, const struct hll *src, const struct hll *small,
    struct arena *a)
{
	uint32_t	 cnt, cap = 0;

	if (!src->dense && small != NULL) {
		if (small->dense)
			return hll_densify(s, src, a);
		cnt = src->cnt + small->cnt;
		cap = hll_sp_cap(cnt < HLL_MAXCNT ? cnt : HLL_MAXCNT);
		if (cap > src->cap)
			return hll_sp_rehash(s, src, cap, a);
	}
	if (src == s->blk && sk_owns(s))
		return s->blk;
	s->blk = (void *)(uintptr_t)src;
	s->owner = NULL;
	return sk_own(s, a);
}

static int
hll_merge(struct agg *r, void *state, const void *o, struct arena *a)
{
	struct sk_state		*s = state;
	const struct sk_state	*so = o;
	const struct hll	*small;
	struct hll		*h;
	uint32_t		 es[HLL_MAXCAP], i, n;

	s->n += so->n;
	if (so->blk == NULL)
		return 0;
	if (s->blk == NULL || hll_bigger(so->blk, s->blk)) {
		/* The union is the same either way round: copy the bigger
		 * block and fold the smaller one in (S's own block, smaller,
		 * is left to A's next compaction). */
		small = s->blk;
		h = hll_own(s, so->blk, small, a);
		if (small == NULL)
			return 0;
	} else {
		small = so->blk;
		h = hll_own(s, s->blk, small, a);
	}
	if (small->dense) {
		hll_max_regs(h, small);
		return 0;
	}
	n = hll_sp_gather(small, es);
	if (h->dense) {
		for (i = 0; i < n; i++)
			hll_raise_entry(h, es[i]);
		return 0;
	}
	for (i = 0; i < n; i++)	/* may move S's block, not SMALL */
		hll_put(s, es[i], a);
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

/* The estimate of a sparse sketch of CNT entries: linear counting over
 * its 2^25 buckets. */
static inline double
hll_sp_estimate(uint32_t cnt)
{
	const double	 ms = (double)(1u << HLL_SP);

	return ms * log(ms / (ms - cnt));
}

/* The estimate from the histogram C of dense registers (Ertl's). */
static double
hll_hist_estimate(const uint16_t *c)
{
	const double	 m = HLL_M;
	double		 z;
	int		 k;

	z = m * hll_tau((m - c[HLL_Q + 1]) / m);
	for (k = HLL_Q; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	z += m * hll_sigma(c[0] / m);
	return m * m / (2 * log(2)) / z;
}

/* The estimate of the distinct values S's block has seen. */
static double
hll_estimate(const struct hll *h)
{
	if (!h->dense)
		return hll_sp_estimate(h->cnt);
	return hll_hist_estimate(hll_chist(h));	/* kept as registers change */
}

/*
 * The rounded estimate of a sparse sketch of CNT entries (HLL_MAXCNT at
 * most): llround(hll_sp_estimate(CNT)), from a table made at the first
 * call, as a window asks it of thousands of small keys every slide.
 */
static int64_t
hll_sp_result(uint32_t cnt)
{
	static int64_t	 tab[HLL_MAXCNT + 1];
	static bool	 made;
	uint32_t	 i;

	if (!made) {
		for (i = 0; i <= HLL_MAXCNT; i++)
			tab[i] = llround(hll_sp_estimate(i));
		made = true;
	}
	return tab[cnt];
}

static struct value
hll_result(const struct agg *r, const void *state)
{
	const struct sk_state	*s = state;
	const struct hll	*h = s->blk;

	(void)r;
	if (s->n == 0 || h == NULL)
		return value_int(0);
	if (!h->dense)
		return value_int(hll_sp_result(h->cnt));
	return value_int(llround(hll_estimate(h)));
}

/* Whether the sparse H holds an entry of E's index. */
static inline bool
hll_sp_has(const struct hll *h, uint32_t e)
{
	const uint32_t	*sl = hll_cslots(h);
	uint32_t	 mask = h->cap - 1, idx = e >> 6, i;

	for (i = idx & mask; sl[i] != 0; i = (i + 1) & mask)
		if (sl[i] >> 6 == idx)
			return true;
	return false;
}

/*
 * The register an entry E falls in and E's rank there, as
 * hll_entry_reg, without a branch: a sparse set's empty slots (E 0)
 * come in no order, so a loop over slots must not branch on them.
 */
static inline uint32_t
hll_entry_reg_flat(uint32_t e, unsigned *rank)
{
	/* the 11 bits between at the top, the rank below them */
	uint32_t	 t = e << (32 - 6 - (HLL_SP - HLL_P));

	*rank = t >= 1u << (32 - (HLL_SP - HLL_P)) ?
	    (unsigned)__builtin_clz(t) + 1 : (HLL_SP - HLL_P) + (e & 63);
	return e >> (6 + HLL_SP - HLL_P);
}

/*
 * The registers of a union estimated unbuilt (hll_union_estimate): the
 * registers its sparse entries changed, 0 elsewhere.  Zero between
 * calls: each call clears the registers it wrote (hll_overlay_clear),
 * so no call pays for clearing all 16 KiB.
 */
static _Thread_local uint8_t	 hll_ov[HLL_M];

/*
 * Lays the N sparse entries ES over the registers of D (the dense
 * registers, or NULL: all zero), the union's changed registers kept in
 * hll_ov, and moves the histogram C of the registers to that of the
 * maxima.  No branch on the data: an entry that changes nothing moves a
 * count out and back.
 */
static inline void
hll_overlay(uint16_t *c, const uint8_t *d, const uint32_t *es, uint32_t n)
{
	uint8_t		*ov = hll_ov;
	uint32_t	 i, j;
	unsigned	 r, cur, dv, nv;

	for (i = 0; i < n; i++) {
		j = hll_entry_reg_flat(es[i], &r);
		cur = ov[j];
		if (d != NULL) {
			dv = hll_get(d, j);
			cur = cur > dv ? cur : dv;
		}
		nv = r > cur ? r : cur;
		c[cur]--;
		c[nv]++;
		ov[j] = (uint8_t)nv;
	}
}

/* Zeroes the registers of hll_ov that hll_overlay wrote for the N
 * entries ES. */
static inline void
hll_overlay_clear(const uint32_t *es, uint32_t n)
{
	uint32_t	 i;

	for (i = 0; i < n; i++)
		hll_ov[es[i] >> (6 + HLL_SP - HLL_P)] = 0;
}

/*
 * Asks for the registers of the dense H to be fetched, all of them: a
 * sparse set's entries then read them in no order, and these requests
 * overlap where the reads would wait for each line in turn.
 */
static inline void
hll_fetch_regs(const struct hll *h)
{
	const char	*p = (const char *)hll_cregs(h);
	uint32_t	 off;

	for (off = 0; off < HLL_REGBYTES; off += 64)
		__builtin_prefetch(p + off);
}

/*
 * The estimate of the union of the blocks A and B, unbuilt: the dense
 * union's histogram from the dense one's (or all zero registers) and the
 * sparse ones' entries laid over it on the side, or from a pass over two
 * dense ones that keeps the maxima's histogram only.  For a union that
 * is dense; what merging and then estimating would give, to the bit.
 */
static double
hll_union_estimate(const struct hll *a, const struct hll *b)
{
	const struct hll	*t;
	uint16_t		 c[HLL_Q + 2];
	uint32_t		 ea[HLL_MAXCAP], eb[HLL_MAXCAP], na, nb;

	if (b->dense) {
		t = a;
		a = b;
		b = t;
	}
	if (a->dense) {
		memcpy(c, hll_chist(a), sizeof c);
		if (b->dense) {
			hll_max_pass(hll_cregs(a), hll_cregs(b), c, NULL);
			return hll_hist_estimate(c);
		}
		hll_fetch_regs(a);
		nb = hll_sp_gather(b, eb);
		hll_overlay(c, hll_cregs(a), eb, nb);
		hll_overlay_clear(eb, nb);
		return hll_hist_estimate(c);
	}
	memset(c, 0, sizeof c);
	c[0] = HLL_M;
	na = hll_sp_gather(a, ea);
	nb = hll_sp_gather(b, eb);
	hll_overlay(c, NULL, ea, na);
	hll_overlay(c, NULL, eb, nb);
	hll_overlay_clear(ea, na);
	hll_overlay_clear(eb, nb);
	return hll_hist_estimate(c);
}

/* Four sparse slots side by side (GCC and Clang vectors). */
typedef uint32_t hll_u32x4 __attribute__((vector_size(16)));

/* Whether the comparison M (lanes all ones or all zero) found none. */
static inline uint32_t
hll_none4(hll_u32x4 m)
{
#ifdef __SSE2__
	return _mm_movemask_epi8((__m128i)m) == 0;
#else
	return (m[0] | m[1] | m[2] | m[3]) == 0;
#endif
}

/*
 * How many of the entries of the sparse B have an index the sparse A
 * lacks, or, once A's entries and those passed HLL_MAXCNT, a count that
 * does (the union is dense).  A small A (16 slots at most: most keys of
 * a window) is compared whole with each entry, four slots at a time,
 * without a branch on the data; a larger one is probed.
 */
static uint32_t
hll_sp_missing(const struct hll *a, const struct hll *b)
{
	const uint32_t	*al = hll_cslots(a), *sl = hll_cslots(b);
	hll_u32x4	 kv[4], v, m, iv;
	uint32_t	 es[HLL_MAXCAP];
	uint32_t	 i, k, e, n = 0, nv = a->cap / 4;

	if (a->cap <= 16) {
		/* each slot's index + 1, or 0 when empty */
		for (k = 0; k < nv; k++) {
			memcpy(&v, al + 4 * k, sizeof v);
			kv[k] = ((v >> 6) + 1) & (v != 0);
		}
		for (i = 0; i < b->cap; i++) {
			e = sl[i];
			iv = (hll_u32x4){ 0, 0, 0, 0 } + ((e >> 6) + 1);
			m = kv[0] == iv;
			for (k = 1; k < nv; k++)
				m |= kv[k] == iv;
			n += (e != 0) & hll_none4(m);
		}
		return n;
	}
	for (i = 0, k = hll_sp_gather(b, es); i < k; i++) {
		n += !hll_sp_has(a, es[i]);
		/* past the sparse limit the count does not matter */
		if ((i & 63) == 63 && a->cnt + n > HLL_MAXCNT)
			break;
	}
	return n;
}

/*
 * The estimate of two sketches' union, unbuilt: for two sparse ones the
 * larger one's entries and those of the smaller one's indexes it lacks,
 * unless they pass the sparse limit (the union is dense): then, as with
 * a dense one, hll_union_estimate.
 */
static bool
hll_merged_result(const struct agg *r, const void *state, const void *o,
    struct value *out)
{
	const struct hll	*a = ((const struct sk_state *)state)->blk;
	const struct hll	*b = ((const struct sk_state *)o)->blk, *t;
	uint32_t		 cnt;

	(void)r;
	if (a == NULL || b == NULL)
		return false;
	if (!a->dense && !b->dense) {
		if (a->cnt < b->cnt) {
			t = a;
			a = b;
			b = t;
		}
		cnt = a->cnt + hll_sp_missing(a, b);
		if (cnt <= HLL_MAXCNT) {
			*out = value_int(hll_sp_result(cnt));
			return true;
		}
	}
	*out = value_int(llround(hll_union_estimate(a, b)));
	return true;
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
	uint32_t	 e;
	unsigned	 v;
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
		h = sk_alloc(s, HLL_DENSEBYTES, a);
		h->dense = 1;
		memcpy(hll_regs(h), p, HLL_REGBYTES);
		for (i = 0; i < HLL_M; i++) {
			v = hll_get(hll_regs(h), (uint32_t)i);
			if (v > HLL_Q + 1)
				return snap_fail(r, "distinct state: register "
				    "%zu is %u", i, v);
			hll_hist(h)[v]++;
		}
		return 0;
	case HLL_SPARSE:
		if (snap_get_count(r, 2, HLL_MAXCNT, &cnt) == -1)
			return -1;
		if (cnt == 0)
			return snap_fail(r, "distinct state: no entries");
		h = hll_new_sparse(s, hll_sp_cap((uint32_t)cnt), a);
		for (i = 0; i < cnt; i++) {
			if (snap_get_u64(r, &d) == -1 ||
			    snap_get_u8(r, &rank) == -1)
				return -1;
			if ((i > 0 && d == 0) || d >= (1u << HLL_SP) - idx ||
			    rank < 1 || rank > HLL_SQ + 1)
				return snap_fail(r, "distinct state: bad "
				    "entry %zu", i);
			idx += d;
			e = (uint32_t)idx << 6 | rank;
			hll_sp_set(h, hll_sp_slot(h, e), e);
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
	.merged_result = hll_merged_result,
	.prefetch = sk_prefetch,
	.move = sk_move,
	.save = hll_save,
	.load = hll_load,
	.help = "the approximate number of distinct values (HyperLogLog: "
	    "standard error 0.81 %, exact to a few in a million below "
	    "about 1500 values; 12 KiB a key at most)",
};
