/*
 * ddsketch.c - p50 p90 p95 p99 and quantile(Q): quantiles with a
 * relative error bound, as a DDSketch.
 *
 *   Masson, Rim, Lee, "DDSketch: a fast and fully-mergeable quantile
 *   sketch with relative-error guarantees", PVLDB 12(12), 2019.
 *
 * A number x > 0 falls in bucket i = ceil(log_gamma(x)), which covers
 * (gamma^(i-1), gamma^i]; a bucket answers 2 gamma^i / (gamma + 1),
 * within alpha = (gamma - 1) / (gamma + 1) of every number in it.  Here
 * gamma = 1.02, so alpha = 0.99 %; the bucket's answer is the shortest
 * decimal number within 0.995 % of all it covers (7790 rather than
 * 7790.340395003639), so the answer is within 1 % (relative) of the
 * exact quantile.  Negative numbers fall in the buckets of their
 * magnitude, mirrored; 0 (and magnitudes below 2^-1022, the subnormals)
 * in a bucket of their own that answers 0.  The buckets are kept sorted
 * by the numbers they hold as one list of keys: 0 for zero, i + 40000
 * for positive numbers, -(i + 40000) for negative ones (i is within
 * +-35900 for every finite double).
 *
 * The quantile Q of n numbers is the one of rank floor(Q (n - 1)) in
 * sorted order, counting from 0 (the lower middle one for p50 of an
 * even count), as DDSketch defines it; the answer is its bucket's.  A
 * value that is not a number (awk's rule: "12" is 12) or is infinite or
 * NaN is a record error, left out.
 *
 * Memory per key: 24 bytes in place, plus 16 bytes and 12 a bucket (a
 * 4-byte key and an 8-byte count; room for 2 at first, doubled), the
 * buckets of one key's numbers only: a key whose numbers span 1 ms to 10 s has at most 464.  The
 * buckets are bounded at 2048 (a ratio of 4e17 between the smallest and
 * largest magnitude); past that the lowest buckets are folded into the
 * next one up, so the highest quantiles keep their bound and the lowest
 * lose it (the paper's collapsing store): 24 KiB a key at most.
 *
 * Merging adds the counts bucket by bucket: merging panes gives what
 * adding their numbers one by one gives (as long as nothing is folded),
 * so a window slid through panes equals the window recomputed.
 *
 * Checkpoint encoding (snap.h): n, the bucket count, then each bucket's
 * key (the first as a signed integer, then the difference to the
 * previous, at least 1) and count; the counts add up to n.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "sketch.h"
#include "snap.h"

#define DDS_GAMMA	1.02
#define DDS_OFFSET	40000		/* key of bucket i > 0 is i + OFFSET */
#define DDS_IMAX	36000		/* |i| of every finite double is below */
#define DDS_MAXBINS	2048

struct dds {
	uint32_t	 size;		/* bytes of the block (sk_blk) */
	uint32_t	 cap;		/* buckets room, even */
	uint32_t	 len;		/* buckets */
	uint32_t	 pad;
	/* int32_t key[cap], ascending; uint64_t cnt[cap] */
};

static inline int32_t *
dds_keys(struct dds *d)
{
	return (int32_t *)(void *)(d + 1);
}

static inline uint64_t *
dds_cnts(struct dds *d)
{
	return (uint64_t *)(void *)((char *)(d + 1) + 4 * (size_t)d->cap);
}

/* The bucket key of the finite number X. */
static inline int32_t
dds_key(double x)
{
	static double	 inv;
	double		 ax = fabs(x);
	int32_t		 i;

	if (!(ax >= DBL_MIN))
		return 0;
	if (inv == 0)
		inv = 1 / log(DDS_GAMMA);
	i = (int32_t)ceil(log(ax) * inv) + DDS_OFFSET;
	return x > 0 ? i : -i;
}

/*
 * The number bucket KEY answers: the shortest decimal number within
 * 0.995 % of every number the bucket covers, (g, 1.02 g]: one in
 * [1.00985 g, 1.00995 g], near the bucket's middle 2 gamma^i /
 * (gamma + 1) = 1.0099 g.  So p99 of latencies reads 7790, not
 * 7790.340395003639, and stays within the 1 % bound.
 */
static double
dds_value(int32_t key)
{
	char	 buf[40];
	double	 g, lo, hi, mid, y = 0;
	int	 d;

	if (key == 0)
		return 0;
	g = exp((double)((key > 0 ? key : -key) - DDS_OFFSET - 1) *
	    log(DDS_GAMMA));
	lo = g * 1.00985;
	hi = g * 1.00995;
	mid = g * (2 * DDS_GAMMA / (DDS_GAMMA + 1));
	for (d = 1; d <= 17; d++) {
		snprintf(buf, sizeof buf, "%.*g", d, mid);
		y = strtod(buf, NULL);
		if (y >= lo && y <= hi)
			break;
	}
	if (!(y <= DBL_MAX))
		y = DBL_MAX;
	return key > 0 ? y : -y;
}

/* A new block for S in A with room for CAP buckets (rounded up even). */
static struct dds *
dds_new(struct sk_state *s, uint32_t cap, struct arena *a)
{
	struct dds	*d;

	cap = (cap + 1) & ~1u;
	d = sk_alloc(s, sizeof *d + 12 * (size_t)cap, a);
	d->cap = cap;
	return d;
}

/* Moves S's buckets into a new block of CAP in A; returns it. */
static struct dds *
dds_regrow(struct sk_state *s, uint32_t cap, struct arena *a)
{
	struct dds	*old = s->blk, *d;

	d = dds_new(s, cap, a);
	d->len = old->len;
	memcpy(dds_keys(d), dds_keys(old), 4 * (size_t)old->len);
	memcpy(dds_cnts(d), dds_cnts(old), 8 * (size_t)old->len);
	return d;
}

/* Folds the lowest EXTRA buckets of D into the one after them. */
static void
dds_collapse(struct dds *d, uint32_t extra)
{
	uint64_t	*c = dds_cnts(d);
	uint32_t	 i;

	for (i = 0; i < extra; i++)
		c[extra] += c[i];
	memmove(dds_keys(d), dds_keys(d) + extra, 4 * (size_t)(d->len - extra));
	memmove(c, c + extra, 8 * (size_t)(d->len - extra));
	d->len -= extra;
}

/* The index of the first key of D not below KEY (len when none). */
static uint32_t
dds_find(struct dds *d, int32_t key)
{
	const int32_t	*k = dds_keys(d);
	uint32_t	 lo = 0, hi = d->len, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (k[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Adds one number of bucket KEY to S, whose block S owns. */
static void
dds_put(struct sk_state *s, int32_t key, struct arena *a)
{
	struct dds	*d = s->blk;
	uint32_t	 i = dds_find(d, key);

	if (i < d->len && dds_keys(d)[i] == key) {
		dds_cnts(d)[i]++;
		return;
	}
	if (d->len == DDS_MAXBINS) {
		if (i == 0) {		/* below the folded floor */
			dds_cnts(d)[0]++;
			return;
		}
		dds_collapse(d, 1);
		i--;
	}
	if (d->len == d->cap) {
		d = dds_regrow(s, d->cap * 2 > DDS_MAXBINS ? DDS_MAXBINS :
		    d->cap * 2, a);
	}
	memmove(dds_keys(d) + i + 1, dds_keys(d) + i, 4 * (size_t)(d->len - i));
	memmove(dds_cnts(d) + i + 1, dds_cnts(d) + i, 8 * (size_t)(d->len - i));
	dds_keys(d)[i] = key;
	dds_cnts(d)[i] = 1;
	d->len++;
}

static int
dds_add(struct agg *r, void *state, const struct value *v, struct arena *a)
{
	struct sk_state	*s = state;
	struct value	 num;
	double		 x;

	if (!value_to_num(v, &num))
		return record_error(r->what, v, "not a number") == -1 ? -1 : 0;
	x = value_as_dbl(&num);
	if (!isfinite(x))
		return record_error(r->what, v, "not a finite number") == -1 ?
		    -1 : 0;
	if (s->blk == NULL)
		dds_new(s, 2, a);
	else
		sk_own(s, a);
	dds_put(s, dds_key(x), a);
	s->n++;
	return 0;
}

static int
dds_merge(struct agg *r, void *state, const void *o, struct arena *a)
{
	struct sk_state		*s = state;
	const struct sk_state	*so = o;
	struct dds		*d, *e = so->blk;
	const int32_t		*ek = dds_keys(e);
	const uint64_t		*ec = dds_cnts(e);
	int32_t			*dk;
	uint64_t		*dc;
	uint32_t		 u, i, j, k, cap;

	if (s->blk == NULL) {
		s->blk = so->blk;
		s->owner = NULL;
		sk_own(s, a);
		s->n = so->n;
		return 0;
	}
	d = sk_own(s, a);
	/* The union's size, then a merge from the top down, in place. */
	for (u = 0, i = 0, j = 0; i < d->len || j < e->len; u++) {
		if (j == e->len || (i < d->len && dds_keys(d)[i] < ek[j]))
			i++;
		else if (i == d->len || ek[j] < dds_keys(d)[i])
			j++;
		else
			i++, j++;
	}
	if (u > d->cap) {
		for (cap = d->cap; cap < u; cap *= 2)
			;
		d = dds_regrow(s, cap, a);
	}
	dk = dds_keys(d);
	dc = dds_cnts(d);
	i = d->len;
	j = e->len;
	for (k = u; k-- > 0; ) {
		if (j > 0 && (i == 0 || ek[j - 1] > dk[i - 1])) {
			dk[k] = ek[j - 1];
			dc[k] = ec[j - 1];
			j--;
		} else if (j > 0 && ek[j - 1] == dk[i - 1]) {
			dk[k] = dk[i - 1];
			dc[k] = dc[i - 1] + ec[j - 1];
			i--;
			j--;
		} else {
			dk[k] = dk[i - 1];
			dc[k] = dc[i - 1];
			i--;
		}
	}
	d->len = u;
	if (u > DDS_MAXBINS) {
		dds_collapse(d, u - DDS_MAXBINS);
		dds_regrow(s, DDS_MAXBINS, a);
	}
	s->n += so->n;
	return 0;
}

static struct value
dds_result(const struct agg *r, const void *state)
{
	const struct sk_agg	*x = (const struct sk_agg *)r;
	const struct sk_state	*s = state;
	struct dds		*d = s->blk;
	uint64_t		 total = 0, cum = 0;
	double			 rank;
	uint32_t		 i, slot;
	int32_t			 key;

	if (s->n == 0 || d == NULL)
		return value_null();
	for (i = 0; i < d->len; i++)
		total += dds_cnts(d)[i];
	rank = floor(x->q * (double)(total - 1));
	for (i = 0; i + 1 < d->len; i++) {
		cum += dds_cnts(d)[i];
		if ((double)cum > rank)
			break;
	}
	/* Finding the shortest decimal takes a few printfs: remembered. */
	key = dds_keys(d)[i];
	slot = (uint32_t)key % SK_QCACHE;
	if (x->qkey[slot] != key) {
		((struct sk_agg *)(uintptr_t)x)->qval[slot] = dds_value(key);
		((struct sk_agg *)(uintptr_t)x)->qkey[slot] = key;
	}
	return value_dbl(x->qval[slot]);
}

static int
dds_save(const void *state, struct buf *out, char **cause)
{
	const struct sk_state	*s = state;
	struct dds		*d = s->blk;
	uint32_t		 i;

	snap_put_i64(out, s->n);
	if (d == NULL) {
		snap_put_u64(out, 0);
		return 0;
	}
	snap_put_u64(out, d->len);
	for (i = 0; i < d->len; i++) {
		if (i == 0)
			snap_put_i64(out, dds_keys(d)[0]);
		else
			snap_put_u64(out, (uint64_t)((int64_t)dds_keys(d)[i] -
			    dds_keys(d)[i - 1]));
		snap_put_u64(out, dds_cnts(d)[i]);
	}
	return 0;
}

/* Whether KEY is a bucket some finite number falls in. */
static bool
dds_key_ok(int64_t key)
{
	int64_t	 m = key < 0 ? -key : key;

	return key == 0 || (m >= DDS_OFFSET - DDS_IMAX &&
	    m <= DDS_OFFSET + DDS_IMAX);
}

static int
dds_load(void *state, struct snap_rd *r, struct arena *a)
{
	struct sk_state	*s = state;
	struct dds	*d;
	uint64_t	 c, dk, total = 0;
	int64_t		 key = 0;
	size_t		 len, i;

	memset(s, 0, sizeof *s);
	if (snap_get_i64(r, &s->n) == -1 ||
	    snap_get_count(r, 2, DDS_MAXBINS, &len) == -1)
		return -1;
	if (s->n < 0 || (s->n == 0) != (len == 0))
		return snap_fail(r, "quantile state: %lld values in %zu "
		    "buckets", (long long)s->n, len);
	if (len == 0)
		return 0;
	d = dds_new(s, (uint32_t)len, a);
	for (i = 0; i < len; i++) {
		if (i == 0) {
			if (snap_get_i64(r, &key) == -1)
				return -1;
		} else {
			if (snap_get_u64(r, &dk) == -1)
				return -1;
			if (dk == 0 || dk > 2 * (DDS_OFFSET + DDS_IMAX))
				return snap_fail(r, "quantile state: buckets "
				    "out of order");
			key += (int64_t)dk;
		}
		if (snap_get_u64(r, &c) == -1)
			return -1;
		if (!dds_key_ok(key) || c == 0 || c > (uint64_t)s->n - total)
			return snap_fail(r, "quantile state: bad bucket %zu",
			    i);
		total += c;
		dds_keys(d)[i] = (int32_t)key;
		dds_cnts(d)[i] = c;
		d->len++;
	}
	if (total != (uint64_t)s->n)
		return snap_fail(r, "quantile state: buckets of %llu values, "
		    "not %lld", (unsigned long long)total, (long long)s->n);
	return 0;
}

/*
 * Builds quantile(ARG)'s instance (the defaults for NULL: quantile(0.5)),
 * or pNN's (no argument).  Returns NULL with *CAUSE set when ARG is not
 * a number strictly between 0 and 1.
 */
static struct agg *
dds_make(const struct agg_def *def, const char *arg, char **cause)
{
	struct buf	 b = BUF_INIT;
	struct agg	*r;
	char		*end;
	double		 q;

	if (def->arg == NULL)		/* p50 .. p99 */
		return sk_agg_new(def, NULL, atoi(def->name + 1) / 100.0, 0);
	if (arg == NULL)
		return sk_agg_new(def, "quantile(0.5)", 0.5, 0);
	q = strtod(arg, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	if (end == arg || *end != '\0' || !(q > 0 && q < 1)) {
		xasprintf(cause, "quantile(%s): Q must be a number between 0 "
		    "and 1, both excluded (p99 is quantile(0.99))", arg);
		return NULL;
	}
	buf_adds(&b, "quantile(");
	value_fmt_dbl(&b, q);
	buf_addc(&b, ')');
	r = sk_agg_new(def, b.p, q, 0);
	buf_free(&b);
	return r;
}

#define DDS_DEF(var, nm, a, h) \
const struct agg_def var = {						\
	.name = nm,							\
	.size = sizeof(struct sk_state),				\
	.add = dds_add,							\
	.merge = dds_merge,						\
	.result = dds_result,						\
	.prefetch = sk_prefetch,					\
	.move = sk_move,						\
	.save = dds_save,						\
	.load = dds_load,						\
	.free = sk_agg_free,						\
	.arg = a,							\
	.make = dds_make,						\
	.help = h,							\
};

DDS_DEF(agg_p50, "p50", NULL, "the median, quantile(0.5)")
DDS_DEF(agg_p90, "p90", NULL, "the 90th percentile, quantile(0.9)")
DDS_DEF(agg_p95, "p95", NULL, "the 95th percentile, quantile(0.95)")
DDS_DEF(agg_p99, "p99", NULL, "the 99th percentile, quantile(0.99)")
DDS_DEF(agg_quantile, "quantile", "Q", "the number of rank floor(Q(n-1)) "
    "among the n numbers in order, 0 < Q < 1, within 1 % relative "
    "(DDSketch: 12 bytes a bucket of 2 %, 24 KiB a key at most)")
