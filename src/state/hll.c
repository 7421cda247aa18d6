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
 * What keeps it cheap: a dense sketch keeps the histogram of its
 * registers (how many hold each value) as they change, so its estimate
 * reads 52 counts, not 16384 registers; two dense sketches merge eight
 * registers at a time (SWAR on six bytes); a merge copies the bigger
 * block and folds the smaller one in, laying the copy out at once as
 * the union will need (hll_own).  A window (1h sliding by 1m asks every
 * key's estimate each minute) does not merge its panes: it slides its
 * own way (agg_slider, below), each key's estimate kept as its panes
 * enter and leave, from a set of the window's indexes while the union
 * may be sparse and from the sliding maximum of each register once it
 * is dense.
 *
 * Memory per key: 24 bytes in place, plus 16 + 16 bytes for one value,
 * growing with the values to 8 KiB sparse, then 12 KiB + 120 dense
 * (the header and the histogram); never more.  Merging is a union
 * (register maxima); there is no inverse.  A window keeps per key
 * besides what its panes hold (below): 40 bytes, the index set, and
 * while its union is dense 128 KiB of register queues and their pool,
 * 8 bytes a node (4 KiB for a window of 2 dense panes, 64 KiB for 10,
 * 256 KiB for 30 or more, with random values; 8 MiB at most, 50 nodes
 * a register, the pool doubling).
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

	/*
	 * One test a slot, not two (empty? this index?): whether a value
	 * is new or seen comes in no order, a slot that is neither seldom.
	 * The product is 0 when either is (both factors below 2^32).
	 */
	for (i = idx & mask; (uint64_t)sl[i] * ((sl[i] >> 6) ^ idx) != 0;
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
	uint32_t	 old = *p;

	/* selects, not branches: new or seen comes in no order */
	h->cnt += old == 0;
	*p = (e & 63) > (old & 63) ? e : old;
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
	if (!hll_sp_room(h->cnt + (*p == 0), h->cap)) {	/* full: E is new */
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
 * Raises the registers of the dense H to those of the dense O, eight at
 * a time (six bytes), and keeps H's histogram.
 */
static void
hll_max_regs(struct hll *h, const struct hll *o)
{
	uint8_t		*d = hll_regs(h);
	const uint8_t	*q = hll_cregs(o);
	uint16_t	*c = hll_hist(h);
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
		d[g] = (uint8_t)z;
		d[g + 1] = (uint8_t)(z >> 8);
		d[g + 2] = (uint8_t)(z >> 16);
		d[g + 3] = (uint8_t)(z >> 24);
		d[g + 4] = (uint8_t)(z >> 32);
		d[g + 5] = (uint8_t)(z >> 40);
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

/*
 * A window's own sliding (struct agg_slider, agg.h): for each key, what
 * the window's panes hold of it, kept so that a pane entering or leaving
 * costs what that pane holds for the key, and an estimate reads counts
 * rather than a union of the panes built at every slide.
 *
 * The union of the key's pane sketches is sparse while it has at most
 * HLL_MAXCNT 25-bit indexes and no pane's sketch is dense, and its
 * estimate is then that count's (hll_sp_result).  The count is kept by
 * the window's index set: each index of the window's panes once, with
 * the newest pane that holds it.  A pane entering sets its indexes'
 * pane; the oldest pane leaving takes out those whose newest pane it
 * was.
 *
 * A dense union's registers are the maxima, register by register, of
 * the panes' ranks (a sparse pane's entries give theirs as
 * hll_raise_entry does).  The window keeps them as register queues
 * (struct hll_rq), a sliding maximum for each register: the panes whose
 * rank there is larger than every newer pane's, newest first (one node
 * a pane at most, ranks falling: 52 nodes at most), the newest in the
 * register's own slot and the others in a pool, the oldest holding the
 * window's maximum; and the histogram of those maxima, from which the
 * estimate is made as a dense sketch's (hll_hist_estimate).  A pane
 * entering pushes its ranks, dropping the older nodes no larger; the
 * oldest pane leaving drops its own nodes, each the oldest of its
 * register.  The queues are made when the union first turns dense (128
 * KiB and the pool: not for the many small keys of a window), by a
 * replay, and kept until the union falls back under half the sparse
 * limit.
 *
 * The index set is needed only while the union might be sparse: not
 * while a dense pane is in the window, nor while more than HLL_MAXCNT
 * registers are not 0 (each holds an index at least); it is dropped
 * when a dense pane enters or more than HLL_WIDE registers are not 0,
 * and made again by a replay when neither holds (so a key far past the
 * sparse limit, where most of a window's entries are, pays for the
 * queues alone).
 *
 * The estimates are the merged panes' to the bit: the same count, or
 * the same registers and so the same histogram.  Memory per key: 40
 * bytes in place; the index set 8 bytes a slot, between 1/8 and 1/2
 * full, each index of the panes once (no more than the panes' own
 * sketches hold); the queues 128 KiB, the histogram and 8 bytes a node
 * beyond each register's newest.
 */

/* Entries ahead whose slot (a register's, an index's) is fetched. */
#define HLL_AHEAD	32

/* Registers not 0 past which a window drops its index set. */
#define HLL_WIDE	(HLL_MAXCNT + HLL_MAXCNT / 3)

/*
 * A node of the register queues: the pane (high 32 bits), the next
 * older node in the pool (24 bits, 0: none) and the rank (low 8 bits,
 * 0 only in an empty register's slot).
 */
#define HLL_RQ_PANE(x)	((uint32_t)((x) >> 32))
#define HLL_RQ_OLDER(x)	((uint32_t)(x) >> 8)
#define HLL_RQ_RANK(x)	((unsigned)(x) & 255)
#define HLL_RQ_NODE(pane, older, rank) \
	((uint64_t)(pane) << 32 | (uint64_t)(older) << 8 | (rank))

struct hll_rq {
	uint16_t	 hist[HLL_Q + 2];	/* of the window's maxima */
	uint32_t	 npool, cappool;	/* pool nodes made (0 is none) */
	uint32_t	 freed;			/* a free pool node, 0: none */
	uint64_t	*pool;
	uint64_t	 slot[HLL_M];		/* each register's newest node */
};

/* A key's window state. */
struct hll_win {
	int64_t		 n;		/* values in the window's panes */
	uint64_t	*set;		/* (index + 1) << 32 | pane, 0: empty */
	struct hll_rq	*rq;		/* the register queues, or NULL */
	uint32_t	 cap;		/* SET's slots, a power of two, or 0 */
	uint32_t	 cnt;		/* indexes in SET */
	uint32_t	 ndense;	/* dense pane sketches in the window */
	uint8_t		 want;		/* the queues kept through a replay */
	uint8_t		 noset;		/* the index set is not kept */
};

/* The index set's slots made CAP (a power of two, above twice cnt). */
static void
hll_iset_resize(struct hll_win *w, uint32_t cap)
{
	uint64_t	*sl = xcalloc(cap, sizeof *sl), *old = w->set;
	uint32_t	 i, j, mask = cap - 1;

	for (i = 0; i < w->cap; i++) {
		if (old[i] == 0)
			continue;
		for (j = ((uint32_t)(old[i] >> 32) - 1) & mask; sl[j] != 0;
		    j = (j + 1) & mask)
			;
		sl[j] = old[i];
	}
	free(old);
	w->set = sl;
	w->cap = cap;
}

/* Drops the index set: it is not kept from now on. */
static void
hll_iset_drop(struct hll_win *w)
{
	free(w->set);
	w->set = NULL;
	w->cap = w->cnt = 0;
	w->noset = 1;
}

/* Asks for the index set's slot of entry E (a sparse set's) to be
 * fetched. */
static inline void
hll_iset_ahead(const struct hll_win *w, uint32_t e)
{
	__builtin_prefetch(&w->set[(e >> 6) & (w->cap - 1)]);
}

/* Asks for the index set's slots of the first few of the N entries ES. */
static inline void
hll_iset_fetch(const struct hll_win *w, const uint32_t *es, uint32_t n)
{
	uint32_t	 i;

	for (i = 0; i < n && i < HLL_AHEAD; i++)
		hll_iset_ahead(w, es[i]);
}

/* Gives the index set room for N more indexes (at most half full). */
static inline void
hll_iset_room(struct hll_win *w, uint32_t n)
{
	uint32_t	 cap = w->cap != 0 ? w->cap : 8;

	while ((w->cnt + n) * 2 > cap)
		cap *= 2;
	if (cap != w->cap)
		hll_iset_resize(w, cap);
}

/* Index IDX is in PANE, the window's newest (the set has room). */
static inline void
hll_iset_enter(struct hll_win *w, uint32_t idx, uint32_t pane)
{
	uint64_t	*sl = w->set;
	uint32_t	 i, mask = w->cap - 1;

	/* indexes are hash bits: their low bits spread them; one test a
	 * slot, as hll_sp_slot's */
	for (i = idx & mask; (sl[i] >> 32) * ((sl[i] >> 32) ^ (idx + 1)) != 0;
	    i = (i + 1) & mask)
		;
	w->cnt += sl[i] == 0;
	sl[i] = (uint64_t)(idx + 1) << 32 | pane;
}

/*
 * PANE, the window's oldest, leaves holding index IDX: out of the set
 * when no newer pane holds it (linear probing's deletion: the entries
 * after it that may move back do).
 */
static inline void
hll_iset_leave(struct hll_win *w, uint32_t idx, uint32_t pane)
{
	uint64_t	*sl = w->set;
	uint32_t	 i, j, home, mask = w->cap - 1;

	for (i = idx & mask; (sl[i] >> 32) * ((sl[i] >> 32) ^ (idx + 1)) != 0;
	    i = (i + 1) & mask)
		;
	if (sl[i] == 0 || (uint32_t)sl[i] != pane)
		return;
	for (j = (i + 1) & mask; sl[j] != 0; j = (j + 1) & mask) {
		home = ((uint32_t)(sl[j] >> 32) - 1) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			sl[i] = sl[j];
			i = j;
		}
	}
	sl[i] = 0;
	w->cnt--;
}

/*
 * Tells the index set of the indexes of the sparse H of PANE, entering
 * (LEAVE false) or leaving; each index's slot is asked for a few
 * entries ahead, as the set's slots are read in no order.
 */
static void
hll_iset_pane(struct hll_win *w, const struct hll *h, uint32_t pane,
    bool leave)
{
	uint32_t	 es[HLL_MAXCAP], i, n = hll_sp_gather(h, es);

	if (!leave)
		hll_iset_room(w, n);
	hll_iset_fetch(w, es, n);
	for (i = 0; i < n; i++) {
		if (i + HLL_AHEAD < n)
			hll_iset_ahead(w, es[i + HLL_AHEAD]);
		if (leave)
			hll_iset_leave(w, es[i] >> 6, pane);
		else
			hll_iset_enter(w, es[i] >> 6, pane);
	}
	if (leave && w->cap > 8 && w->cnt * 8 < w->cap)
		hll_iset_resize(w, w->cap / 2);
}

/* Empties the register queues Q (a new Q when NULL). */
static struct hll_rq *
hll_rq_clear(struct hll_rq *q)
{
	if (q == NULL)
		q = xmalloc(sizeof *q);
	else
		free(q->pool);
	memset(q, 0, sizeof *q);
	q->hist[0] = HLL_M;
	q->npool = 1;
	return q;
}

static void
hll_rq_free(struct hll_rq *q)
{
	if (q == NULL)
		return;
	free(q->pool);
	free(q);
}

/* A pool node of Q holding X. */
static inline uint32_t
hll_rq_keep(struct hll_rq *q, uint64_t x)
{
	uint32_t	 k;

	if ((k = q->freed) != 0)
		q->freed = (uint32_t)q->pool[k];
	else {
		if (q->npool >= q->cappool) {
			q->cappool = q->cappool != 0 ? q->cappool * 2 : 64;
			q->pool = xreallocarray(q->pool, q->cappool,
			    sizeof *q->pool);
		}
		k = q->npool++;
	}
	q->pool[k] = x;
	return k;
}

static inline void
hll_rq_unkeep(struct hll_rq *q, uint32_t k)
{
	q->pool[k] = q->freed;
	q->freed = k;
}

/*
 * Pushes the rank RANK (1 or more) of PANE, the window's newest, in
 * register J: the older nodes no larger are dropped, and the maximum
 * changes when none is left.
 */
static inline void
hll_rq_enter(struct hll_rq *q, uint32_t j, unsigned rank, uint32_t pane)
{
	uint64_t	 s = q->slot[j];
	uint32_t	 t, k;
	unsigned	 top;

	if (HLL_RQ_RANK(s) > rank) {
		/* a larger rank of PANE's stays; an older pane's is kept */
		if (HLL_RQ_PANE(s) != pane)
			q->slot[j] = HLL_RQ_NODE(pane, hll_rq_keep(q, s),
			    rank);
		return;
	}
	top = HLL_RQ_RANK(s);	/* the last dropped: the oldest */
	for (t = HLL_RQ_OLDER(s); t != 0 && HLL_RQ_RANK(q->pool[t]) <= rank;
	    t = k) {
		top = HLL_RQ_RANK(q->pool[t]);
		k = HLL_RQ_OLDER(q->pool[t]);
		hll_rq_unkeep(q, t);
	}
	if (t == 0) {
		q->hist[top]--;
		q->hist[rank]++;
	}
	q->slot[j] = HLL_RQ_NODE(pane, t, rank);
}

/* PANE, the window's oldest, leaves register J: its node, if any, is the
 * oldest there, and the maximum falls to the next one's rank, or 0. */
static inline void
hll_rq_leave(struct hll_rq *q, uint32_t j, uint32_t pane)
{
	uint64_t	 s = q->slot[j], *prev;
	uint32_t	 t;

	if (HLL_RQ_OLDER(s) == 0) {
		if (HLL_RQ_PANE(s) != pane || s == 0)
			return;
		q->hist[HLL_RQ_RANK(s)]--;
		q->hist[0]++;
		q->slot[j] = 0;
		return;
	}
	prev = &q->slot[j];
	for (t = HLL_RQ_OLDER(s); HLL_RQ_OLDER(q->pool[t]) != 0;
	    t = HLL_RQ_OLDER(q->pool[t]))
		prev = &q->pool[t];
	if (HLL_RQ_PANE(q->pool[t]) != pane)
		return;
	q->hist[HLL_RQ_RANK(q->pool[t])]--;
	q->hist[HLL_RQ_RANK(*prev)]++;
	*prev &= ~((uint64_t)0xffffff << 8);
	hll_rq_unkeep(q, t);
}

/*
 * Tells the register queues Q of the ranks of the block H (sparse or
 * dense) of PANE, entering (LEAVE false) or leaving.
 */
static void
hll_rq_pane(struct hll_rq *q, const struct hll *h, uint32_t pane,
    bool leave)
{
	uint32_t	 es[HLL_MAXCAP], i, j, n;
	unsigned	 rank;

	if (h->dense) {
		for (j = 0; j < HLL_M; j++) {
			if ((rank = hll_get(hll_cregs(h), j)) == 0)
				continue;
			if (leave)
				hll_rq_leave(q, j, pane);
			else
				hll_rq_enter(q, j, rank, pane);
		}
		return;
	}
	/*
	 * The entries as their registers and ranks; each register's slot
	 * is asked for a few entries ahead, as they fall anywhere in the
	 * 128 KiB and every read would otherwise wait for its own.
	 */
	n = hll_sp_gather(h, es);
	for (i = 0; i < n; i++) {
		j = hll_entry_reg(es[i], &rank);
		es[i] = j << 8 | rank;
		if (i < HLL_AHEAD)
			__builtin_prefetch(&q->slot[j]);
	}
	for (i = 0; i < n; i++) {
		if (i + HLL_AHEAD < n)
			__builtin_prefetch(&q->slot[es[i + HLL_AHEAD] >> 8]);
		if (leave)
			hll_rq_leave(q, es[i] >> 8, pane);
		else
			hll_rq_enter(q, es[i] >> 8, es[i] & 255, pane);
	}
}

/* Registers of the window's union that are not 0. */
static inline uint32_t
hll_rq_used(const struct hll_rq *q)
{
	return HLL_M - q->hist[0];
}

static int
hll_win_enter(const struct agg *r, void *ws, const void *state,
    uint32_t pane)
{
	struct hll_win		*w = ws;
	const struct sk_state	*s = state;
	const struct hll	*h = s->blk;

	(void)r;
	w->n += s->n;
	if (h == NULL)
		return 0;
	if (h->dense) {
		w->ndense++;
		if (!w->noset)
			hll_iset_drop(w);
	} else if (!w->noset)
		hll_iset_pane(w, h, pane, false);
	if (w->rq == NULL) {
		if (w->ndense == 0 && w->cnt <= HLL_MAXCNT)
			return 0;
		w->want = 1;	/* the union is dense: the queues, by a replay */
		return 1;
	}
	hll_rq_pane(w->rq, h, pane, false);
	if (!w->noset && hll_rq_used(w->rq) > HLL_WIDE)
		hll_iset_drop(w);	/* dense, and far from sparse */
	return 0;
}

static int
hll_win_leave(const struct agg *r, void *ws, const void *state,
    uint32_t pane)
{
	struct hll_win		*w = ws;
	const struct sk_state	*s = state;
	const struct hll	*h = s->blk;

	(void)r;
	w->n -= s->n;
	if (h == NULL || w->n <= 0)
		return 0;
	w->ndense -= h->dense;
	if (!w->noset) {
		hll_iset_pane(w, h, pane, true);
		if (w->rq != NULL && w->cnt <= HLL_MAXCNT / 2) {
			hll_rq_free(w->rq);	/* far from dense again */
			w->rq = NULL;
			w->want = 0;
		}
	}
	if (w->rq == NULL)
		return 0;
	hll_rq_pane(w->rq, h, pane, true);
	/* the union may be sparse: the index set made again */
	return w->noset && w->ndense == 0 && hll_rq_used(w->rq) <= HLL_MAXCNT;
}

static void
hll_win_reset(void *ws)
{
	struct hll_win	*w = ws;

	hll_iset_drop(w);
	w->noset = 0;
	w->n = 0;
	w->ndense = 0;
	if (w->want)
		w->rq = hll_rq_clear(w->rq);
	else {
		hll_rq_free(w->rq);
		w->rq = NULL;
	}
}

static void
hll_win_free(void *ws)
{
	struct hll_win	*w = ws;

	free(w->set);
	hll_rq_free(w->rq);
	memset(w, 0, sizeof *w);
}

static struct value
hll_win_result(const struct agg *r, const void *ws)
{
	const struct hll_win	*w = ws;

	(void)r;
	if (w->n <= 0)
		return value_int(0);
	if (!w->noset && w->ndense == 0 && w->cnt <= HLL_MAXCNT)
		return value_int(hll_sp_result(w->cnt));
	return value_int(llround(hll_hist_estimate(w->rq->hist)));
}

static const struct agg_slider hll_slider = {
	.size = sizeof(struct hll_win),
	.enter = hll_win_enter,
	.leave = hll_win_leave,
	.reset = hll_win_reset,
	.free = hll_win_free,
	.result = hll_win_result,
};

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
	.prefetch = sk_prefetch,
	.slide = &hll_slider,
	.move = sk_move,
	.save = hll_save,
	.load = hll_load,
	.help = "the approximate number of distinct values (HyperLogLog: "
	    "standard error 0.81 %, exact to a few in a million below "
	    "about 1500 values; 12 KiB a key at most)",
};
