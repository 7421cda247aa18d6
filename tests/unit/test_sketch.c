/*
 * test_sketch.c - the sketch reducers alone (state/hll.c, ddsketch.c,
 * topk.c): how their spellings are read, their accuracy against exact
 * answers on generated data, merging (in any grouping and order: the
 * same bytes), copy-on-write (a byte copy of a state never changes the
 * original), the memory a key takes, and save/load (bit-exact round
 * trip; malformed states refused with a cause).  Record errors print on
 * stderr, as in a run.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/dstream.h"
#include "../../src/state/agg.h"
#include "../../src/state/sketch.h"
#include "../../src/state/snap.h"
#include "unit.h"

static struct arena	 mem;
static uint64_t		 rng = 0x9e3779b97f4a7c15ull;

/* xorshift64*: the same numbers on every machine. */
static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* Uniform in (0, 1). */
static double
unif(void)
{
	return ((double)(rnd() >> 11) + 0.5) / 9007199254740992.0;
}

static struct agg *
parse(const char *func)
{
	char		*cause = NULL;
	struct agg	*r = agg_parse(func, &cause);

	CHECK(r != NULL && cause == NULL);
	if (r == NULL) {
		fprintf(stderr, "%s: %s\n", func, cause ? cause : "?");
		exit(1);
	}
	return r;
}

/* The bytes R's save makes of STATE, in OUT (reset first). */
static void
saved(struct agg *r, const void *state, struct buf *out)
{
	char	*cause = NULL;

	buf_reset(out);
	CHECK(r->def->save(state, out, &cause) == 0 && cause == NULL);
}

/* Whether STATES A and B save to the same bytes. */
static bool
same(struct agg *r, const void *a, const void *b)
{
	struct buf	 x = BUF_INIT, y = BUF_INIT;
	bool		 eq;

	saved(r, a, &x);
	saved(r, b, &y);
	eq = x.len == y.len && memcmp(x.p, y.p, x.len) == 0;
	buf_free(&x);
	buf_free(&y);
	return eq;
}

/* Saves STATE, loads it into a fresh state, saves that: same bytes. */
static void
roundtrip(struct agg *r, const void *state)
{
	struct buf	 b1 = BUF_INIT, b2 = BUF_INIT;
	struct snap_rd	 rd;
	struct sk_state	 back;
	struct value	 x, y;
	struct buf	 tx = BUF_INIT, ty = BUF_INIT;

	saved(r, state, &b1);
	snap_rd_init(&rd, b1.p, b1.len);
	CHECK(r->def->load(&back, &rd, &mem) == 0);
	CHECK(snap_rd_end(&rd) == 0);
	snap_rd_free(&rd);
	saved(r, &back, &b2);
	CHECK(b1.len == b2.len && memcmp(b1.p, b2.p, b1.len) == 0);
	x = agg_result(r, state);
	value_fmt_json(&tx, &x);
	y = agg_result(r, &back);
	value_fmt_json(&ty, &y);
	CHECK_STR(ty.p, tx.p);
	buf_free(&b1);
	buf_free(&b2);
	buf_free(&tx);
	buf_free(&ty);
}

/* Whether loading the LEN bytes at P as a state of R fails, with a cause. */
static bool
refused(struct agg *r, const void *p, size_t len)
{
	struct snap_rd	 rd;
	struct sk_state	 s;
	char		*cause;
	int		 rc;

	snap_rd_init(&rd, p, len);
	rc = r->def->load(&s, &rd, &mem);
	if (rc == 0)
		rc = snap_rd_end(&rd);
	cause = snap_rd_cause(&rd);
	free(cause);
	return rc == -1 && cause != NULL;
}

static void
add(struct agg *r, struct sk_state *s, struct value v)
{
	CHECK(agg_add(r, s, &v, &mem) == 0);
}

static size_t
blksize(const struct sk_state *s)
{
	return s->blk != NULL ? ((const struct sk_blk *)s->blk)->size : 0;
}

/* ---- the spellings ---- */

static void
test_parse(void)
{
	static const char *const bad[] = {
		"quantile", "quantile()", "quantile(0)", "quantile(1)",
		"quantile(-0.5)", "quantile(x)", "quantile(nan)",
		"quantile(inf)", "quantile(0.5)x", "quantile(0.5",
		"topk", "topk()", "topk(0)", "topk(1001)", "topk(-1)",
		"topk(2.5)", "topk(x)", "p99(1)", "p50()", NULL
	};
	static const char *const other[] = {
		"max(a, b)", "a + b", "min(a,b)", "distinct(x)", "(a)",
		"nosuch(1)", NULL
	};
	struct agg	*r;
	char		*cause;
	int		 i;

	r = parse("distinct");
	CHECK_STR(agg_spelling(r), "distinct");
	agg_free(r);
	r = parse("p99");
	CHECK_STR(agg_spelling(r), "p99");
	CHECK(((struct sk_agg *)r)->q == 0.99);
	agg_free(r);
	r = parse("p50");
	CHECK(((struct sk_agg *)r)->q == 0.5);
	agg_free(r);
	r = parse("quantile(0.90)");
	CHECK_STR(agg_spelling(r), "quantile(0.9)");
	agg_free(r);
	r = parse("quantile( 0.999 )");
	CHECK_STR(agg_spelling(r), "quantile(0.999)");
	CHECK(((struct sk_agg *)r)->q == 0.999);
	agg_free(r);
	r = parse("topk(007)");
	CHECK_STR(agg_spelling(r), "topk(7)");
	CHECK(((struct sk_agg *)r)->k == 7 && ((struct sk_agg *)r)->cap == 140);
	agg_free(r);
	r = parse("topk(1)");
	CHECK(((struct sk_agg *)r)->cap == 64);
	agg_free(r);
	r = parse("sum");
	CHECK_STR(agg_spelling(r), "sum");
	agg_free(r);
	for (i = 0; bad[i] != NULL; i++) {
		cause = NULL;
		CHECK(agg_parse(bad[i], &cause) == NULL);
		CHECK(cause != NULL);
		/* the message names what was written */
		if (cause != NULL && strncmp(bad[i], cause, 4) != 0) {
			fprintf(stderr, "%s: %s\n", bad[i], cause);
			CHECK(0);
		}
		free(cause);
	}
	for (i = 0; other[i] != NULL; i++) {
		cause = (char *)"unset";
		CHECK(agg_parse(other[i], &cause) == NULL && cause == NULL);
	}
	/* agg_new's defaults, for tests and the fuzzer */
	r = agg_new(agg_find("quantile"));
	CHECK_STR(agg_spelling(r), "quantile(0.5)");
	agg_free(r);
	r = agg_new(agg_find("topk"));
	CHECK_STR(agg_spelling(r), "topk(10)");
	agg_free(r);
}

/* ---- distinct ---- */

/* The estimate of distinct after adding the ints [FROM, TO). */
static int64_t
hll_count(struct agg *r, int64_t from, int64_t to)
{
	struct sk_state	 s;
	struct value	 v;
	int64_t		 i;

	agg_init(r, &s);
	for (i = from; i < to; i++)
		add(r, &s, value_int(i));
	v = agg_result(r, &s);
	CHECK(v.type == V_INT);
	return v.u.i;
}

static void
test_distinct_accuracy(void)
{
	static const int64_t	 ns[] = { 1, 10, 100, 1000, 1536, 1537,
	    5000, 20000, 100000, 1000000 };
	struct agg		*r = parse("distinct");
	struct sk_state		 s;
	struct value		 v;
	double			 err, worst = 0;
	int64_t			 e;
	size_t			 i;

	for (i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		e = hll_count(r, 1000000 * (int64_t)i, 1000000 * (int64_t)i +
		    ns[i]);
		err = fabs((double)e - ns[i]) / ns[i];
		printf("distinct: %lld values, estimate %lld, error %.3f %%\n",
		    (long long)ns[i], (long long)e, 100 * err);
		if (ns[i] <= 1536)
			CHECK(e == ns[i]);	/* sparse: exact here */
		CHECK(err < 0.03);
		if (err > worst)
			worst = err;
	}
	printf("distinct: worst error %.3f %%\n", 100 * worst);

	/* Repeats count once; strings, numbers and 2 == 2.0 as tables do. */
	agg_init(r, &s);
	for (i = 0; i < 1000; i++)
		add(r, &s, value_int((int64_t)i % 7));
	add(r, &s, value_dbl(3.0));
	add(r, &s, value_str("3", 1));
	add(r, &s, value_null());
	v = agg_result(r, &s);
	CHECK(v.type == V_INT && v.u.i == 9);
	CHECK(agg_n(&s) == 1003);
	agg_free(r);
}

/*
 * Adds the ints [0, N) to one state, and to three states by their
 * residue mod 3, then merges those in every grouping and order: all give
 * the same bytes (the sketch is a function of the set of values).
 */
static void
check_merges(struct agg *r, int64_t n, bool exact_assoc)
{
	struct sk_state	 all, p[3], x, y, z, cp;
	struct buf	 before = BUF_INIT, after = BUF_INIT;
	int64_t		 i;

	agg_init(r, &all);
	for (i = 0; i < 3; i++)
		agg_init(r, &p[i]);
	for (i = 0; i < n; i++) {
		add(r, &all, value_int(i * 7919 % 1000003));
		add(r, &p[i % 3], value_int(i * 7919 % 1000003));
	}
	/* (p0 + p1) + p2 */
	agg_init(r, &x);
	CHECK(agg_merge(r, &x, &p[0], &mem) == 0);
	CHECK(agg_merge(r, &x, &p[1], &mem) == 0);
	CHECK(agg_merge(r, &x, &p[2], &mem) == 0);
	/* p0 + (p1 + p2), p0 copied first */
	memcpy(&y, &p[1], sizeof y);		/* a byte copy: copy-on-write */
	saved(r, &p[1], &before);
	CHECK(agg_merge(r, &y, &p[2], &mem) == 0);
	saved(r, &p[1], &after);
	CHECK(before.len == after.len &&
	    memcmp(before.p, after.p, before.len) == 0);
	memcpy(&z, &p[0], sizeof z);
	CHECK(agg_merge(r, &z, &y, &mem) == 0);
	CHECK(agg_n(&x) == n && agg_n(&z) == n);
	if (exact_assoc) {
		CHECK(same(r, &x, &z));
		CHECK(same(r, &x, &all));
		/* (p2 + p0) + p1 */
		memcpy(&cp, &p[2], sizeof cp);
		CHECK(agg_merge(r, &cp, &p[0], &mem) == 0);
		CHECK(agg_merge(r, &cp, &p[1], &mem) == 0);
		CHECK(same(r, &cp, &all));
	}
	roundtrip(r, &all);
	roundtrip(r, &x);
	for (i = 0; i < 3; i++)
		roundtrip(r, &p[i]);
	buf_free(&before);
	buf_free(&after);
}

static void
test_distinct_merge(void)
{
	struct agg	*r = parse("distinct");
	struct sk_state	 s, c;
	struct value	 v;

	check_merges(r, 0, true);
	check_merges(r, 5, true);
	check_merges(r, 1000, true);	/* sparse parts, sparse union */
	check_merges(r, 3000, true);	/* sparse parts, dense union */
	check_merges(r, 50000, true);	/* dense */

	/* A moved state (compaction) is whole; its copy does not share. */
	agg_init(r, &s);
	add(r, &s, value_int(1));
	memcpy(&c, &s, sizeof c);
	add(r, &c, value_int(2));
	v = agg_result(r, &s);
	CHECK(v.u.i == 1);
	v = agg_result(r, &c);
	CHECK(v.u.i == 2);
	agg_free(r);
}

/*
 * The estimate of a window of the panes A then B that distinct keeps
 * (its own sliding, agg_slider), made by entering them one by one as a
 * window does (replaying when asked); once A has left it must be B's
 * own, which is checked too.
 */
static struct value
slid_pair(struct agg *r, const struct sk_state *a, const struct sk_state *b)
{
	const struct agg_slider	*sl = r->def->slide;
	void			*ws = xcalloc(1, sl->size);
	struct value		 v, alone;

	if (sl->enter(r, ws, a, 7) == 1) {
		sl->reset(ws);
		CHECK(sl->enter(r, ws, a, 7) == 0);
	}
	if (sl->enter(r, ws, b, 8) == 1) {
		sl->reset(ws);
		CHECK(sl->enter(r, ws, a, 7) == 0);
		CHECK(sl->enter(r, ws, b, 8) == 0);
	}
	v = sl->result(r, ws);
	if (sl->leave(r, ws, a, 7) == 1) {
		sl->reset(ws);
		CHECK(sl->enter(r, ws, b, 8) == 0);
	}
	alone = sl->result(r, ws);
	CHECK(alone.u.i == agg_result(r, b).u.i);
	sl->free(ws);
	free(ws);
	return v;
}

/*
 * The estimate of a window of two panes (slid_pair) is the one their
 * merge gives, and the histogram a dense sketch keeps as it changes is
 * the one its registers make (a loaded copy counts them afresh): for
 * two sparse sketches whose union stays sparse or turns dense, a dense
 * and a sparse one either way round, and two dense ones, overlapping or
 * not.
 */
static void
test_distinct_union(void)
{
	static const int64_t	 cases[][3] = {	/* |A|, |B|, B's first value */
		{ 3, 5, 1 }, { 1000, 400, 700 }, { 1500, 1500, 0 },
		{ 1000, 1000, 300 }, { 1536, 1, 5000 }, { 5000, 10, 4990 },
		{ 10, 5000, 20000 }, { 1200, 40000, 100 },
		{ 5000, 20000, 2500 }, { 30000, 30000, 0 },
	};
	struct agg		*r = parse("distinct");
	struct sk_state		 a, b, m, all;
	struct value		 got, want, one;
	size_t			 k;
	int64_t			 i;

	for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		agg_init(r, &a);
		agg_init(r, &b);
		agg_init(r, &all);
		for (i = 0; i < cases[k][0]; i++) {
			add(r, &a, value_int(i * 7919 % 1000003));
			add(r, &all, value_int(i * 7919 % 1000003));
		}
		for (i = cases[k][2]; i < cases[k][2] + cases[k][1]; i++) {
			add(r, &b, value_int(i * 7919 % 1000003));
			add(r, &all, value_int(i * 7919 % 1000003));
		}
		memcpy(&m, &a, sizeof m);
		CHECK(agg_merge(r, &m, &b, &mem) == 0);
		want = agg_result(r, &m);
		one = agg_result(r, &all);
		CHECK(want.u.i == one.u.i);
		got = slid_pair(r, &a, &b);
		CHECK(got.type == V_INT && got.u.i == want.u.i);
		got = slid_pair(r, &b, &a);
		CHECK(got.type == V_INT && got.u.i == want.u.i);
		if (got.u.i != want.u.i)
			printf("union case %zu: %lld, merged %lld\n",
			    k, (long long)got.u.i, (long long)want.u.i);
		roundtrip(r, &m);
		roundtrip(r, &a);
		roundtrip(r, &b);
	}
	agg_free(r);
}

/*
 * A window of two panes (slid_pair) against their merge over a grid of
 * sizes: unions that turn dense by a few entries, a dense one with a
 * sparse one, overlapping by none, half or all of the smaller one.
 */
static void
test_distinct_union_grid(void)
{
	static const int64_t	 sizes[] = { 1, 2, 3, 7, 12, 13, 40, 200, 769,
	    1200, 1536, 1537, 3000 };
	struct agg		*r = parse("distinct");
	struct sk_state		 a, b, m;
	struct value		 got, want;
	size_t			 i, j, o;
	int64_t			 k, na, nb, off;
	int			 bad = 0;

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		for (j = 0; j < sizeof sizes / sizeof sizes[0]; j++)
			for (o = 0; o < 3; o++) {
				na = sizes[i];
				nb = sizes[j];
				/* B starts past A, half way into it, or at it */
				off = o == 0 ? na : o == 1 ? na / 2 : 0;
				agg_init(r, &a);
				agg_init(r, &b);
				for (k = 0; k < na; k++)
					add(r, &a, value_int(k * 7919 % 1000003));
				for (k = off; k < off + nb; k++)
					add(r, &b, value_int(k * 7919 % 1000003));
				memcpy(&m, &a, sizeof m);
				CHECK(agg_merge(r, &m, &b, &mem) == 0);
				want = agg_result(r, &m);
				got = slid_pair(r, &a, &b);
				if (got.u.i != want.u.i && bad++ < 5)
					printf("union grid %lld/%lld at %lld: %lld, "
					    "merged %lld\n", (long long)na,
					    (long long)nb, (long long)off,
					    (long long)got.u.i, (long long)want.u.i);
				CHECK(got.type == V_INT && got.u.i == want.u.i);
				got = slid_pair(r, &b, &a);
				CHECK(got.u.i == want.u.i);
			}
	agg_free(r);
}

/* ---- distinct: a window's own sliding (agg_slider) ---- */

#define SL_W		7	/* panes in a window */
#define SL_STEPS	260

/*
 * Gives the window state WS the N pane states WIN (oldest first, numbered
 * IDS) again until none asks for it again, as ops/window.c replays.
 */
static void
slide_replay(struct agg *r, void *ws, struct sk_state *win, uint32_t *ids,
    int n)
{
	const struct agg_slider	*sl = r->def->slide;
	int			 i, again, passes = 0;

	do {
		again = 0;
		sl->reset(ws);
		for (i = 0; i < n; i++)
			if (agg_n(&win[i]) > 0)
				again |= sl->enter(r, ws, &win[i], ids[i]);
		passes++;
	} while (again);
	CHECK(passes <= 2);
}

/* How many values pane STEP gets, and from how many (repeats across
 * panes): small keys, unions that turn dense by their count and fall
 * back, dense panes among sparse ones, then all of these at random. */
static void
slide_shape(int step, int64_t *size, int64_t *pool)
{
	static const int64_t	 sizes[] = { 0, 3, 40, 300, 700, 1600, 3000 };

	if (step < 20) {
		*size = (int64_t)(rnd() % 40);
		*pool = 200;
	} else if (step < 60) {
		*size = 200 + (int64_t)(rnd() % 500);
		*pool = 6000;
	} else if (step < 75) {
		*size = step % 3 == 0 ? 2500 : 100;
		*pool = 40000;
	} else if (step < 100) {
		*size = (int64_t)(rnd() % 60);
		*pool = 300;
	} else {
		*size = sizes[rnd() % (sizeof sizes / sizeof sizes[0])];
		*pool = rnd() % 2 ? *size * 3 + 10 : 100000;
	}
}

/*
 * The window state that distinct keeps (hll.c: an index set, register
 * queues) against the brute-force merge of the window's panes, pane by
 * pane through every regime: sparse unions, unions dense by their count
 * and falling back, dense panes entering and leaving; and against a
 * state made from the window's panes alone (a checkpoint's load).
 */
static void
test_distinct_slider(void)
{
	struct agg		*r = parse("distinct");
	const struct agg_slider	*sl = r->def->slide;
	struct sk_state		 win[SL_W + 1], m;
	uint32_t		 ids[SL_W + 1];
	void			*ws, *fresh;
	struct value		 got, want, again;
	int64_t			 size, pool, k, base;
	int			 step, n = 0, i, bad = 0, dense = 0;

	CHECK(sl != NULL);
	if (sl == NULL)
		return;
	ws = xcalloc(1, sl->size);
	fresh = xcalloc(1, sl->size);
	for (step = 0; step < SL_STEPS; step++) {
		slide_shape(step, &size, &pool);
		agg_init(r, &win[n]);
		ids[n] = (uint32_t)step * 3 + 1;	/* numbers, not places */
		base = (int64_t)(rnd() % 1000000);
		for (k = 0; k < size; k++)
			add(r, &win[n], value_int(base + (int64_t)(rnd() %
			    (uint64_t)pool)));
		if (agg_n(&win[n]) > 0 &&
		    sl->enter(r, ws, &win[n], ids[n]) == 1)
			slide_replay(r, ws, win, ids, n + 1);
		n++;
		if (n > SL_W) {		/* the oldest leaves */
			if (agg_n(&win[0]) > 0 &&
			    sl->leave(r, ws, &win[0], ids[0]) == 1 &&
			    agg_n(ws) > 0)
				slide_replay(r, ws, win + 1, ids + 1, n - 1);
			memmove(win, win + 1, (size_t)(n - 1) * sizeof *win);
			memmove(ids, ids + 1, (size_t)(n - 1) * sizeof *ids);
			n--;
		}
		agg_init(r, &m);
		for (i = 0; i < n; i++)
			CHECK(agg_merge(r, &m, &win[i], &mem) == 0);
		CHECK(agg_n(ws) == agg_n(&m));
		if (agg_n(&m) == 0) {
			sl->free(ws);	/* the key leaves, and comes back */
			memset(ws, 0, sl->size);
			continue;
		}
		want = agg_result(r, &m);
		got = sl->result(r, ws);
		slide_replay(r, fresh, win, ids, n);
		again = sl->result(r, fresh);
		dense += want.u.i > 1536;
		if ((got.u.i != want.u.i || again.u.i != want.u.i) &&
		    bad++ < 5)
			printf("slider step %d: %lld, made again %lld, merged "
			    "%lld\n", step, (long long)got.u.i,
			    (long long)again.u.i, (long long)want.u.i);
		CHECK(got.type == V_INT && got.u.i == want.u.i);
		CHECK(again.type == V_INT && again.u.i == want.u.i);
	}
	CHECK(dense > 40 && dense < SL_STEPS - 40);	/* both regimes */
	sl->free(ws);
	sl->free(fresh);
	free(ws);
	free(fresh);
	agg_free(r);
}

static void
test_distinct_memory(void)
{
	struct agg	*r = parse("distinct");
	struct sk_state	 s;
	int64_t		 i;
	size_t		 most = 0;

	CHECK(r->def->size == 24);
	agg_init(r, &s);
	add(r, &s, value_str("one", 3));
	CHECK(blksize(&s) == 32);	/* 16 + 4 slots of 4 bytes */
	for (i = 0; i < 1535; i++) {
		add(r, &s, value_int(i));
		if (blksize(&s) > most)
			most = blksize(&s);
	}
	CHECK(most == 16 + 2048 * 4);	/* sparse, at most */
	add(r, &s, value_int(-1));	/* the 1537th: dense */
	/* 16 + the registers + their histogram (52 counts of 2 bytes) */
	CHECK(blksize(&s) == 16 + 12288 + 104);
	for (i = 0; i < 200000; i++) {
		add(r, &s, value_int(i));
		CHECK(blksize(&s) <= 16 + 12288 + 104);
	}
	CHECK(blksize(&s) == 16 + 12288 + 104);
	agg_free(r);
}

static void
test_distinct_refusals(void)
{
	struct agg	*r = parse("distinct");
	struct buf	 b = BUF_INIT;
	struct sk_state	 s;
	int64_t		 i;

	/* n and kind disagree */
	snap_put_i64(&b, 3);
	snap_put_u8(&b, 0);
	CHECK(refused(r, b.p, b.len));
	buf_reset(&b);
	snap_put_i64(&b, 0);
	snap_put_u8(&b, 1);
	snap_put_u64(&b, 1);
	snap_put_u64(&b, 5);
	snap_put_u8(&b, 3);
	CHECK(refused(r, b.p, b.len));
	/* a sparse entry: index repeated, rank 0, rank 41, index 2^25 */
	buf_reset(&b);
	snap_put_i64(&b, 2);
	snap_put_u8(&b, 1);
	snap_put_u64(&b, 2);
	snap_put_u64(&b, 5);
	snap_put_u8(&b, 3);
	snap_put_u64(&b, 0);
	snap_put_u8(&b, 3);
	CHECK(refused(r, b.p, b.len));
	buf_reset(&b);
	snap_put_i64(&b, 1);
	snap_put_u8(&b, 1);
	snap_put_u64(&b, 1);
	snap_put_u64(&b, 5);
	snap_put_u8(&b, 0);
	CHECK(refused(r, b.p, b.len));
	b.p[b.len - 1] = 41;
	CHECK(refused(r, b.p, b.len));
	b.p[b.len - 1] = 40;
	CHECK(!refused(r, b.p, b.len));
	buf_reset(&b);
	snap_put_i64(&b, 1);
	snap_put_u8(&b, 1);
	snap_put_u64(&b, 1);
	snap_put_u64(&b, 1u << 25);
	snap_put_u8(&b, 1);
	CHECK(refused(r, b.p, b.len));
	/* a dense register past 51; the registers cut short */
	agg_init(r, &s);
	for (i = 0; i < 5000; i++)
		add(r, &s, value_int(i));
	saved(r, &s, &b);
	CHECK(!refused(r, b.p, b.len));
	b.p[b.len - 1] = (char)0xff;
	CHECK(refused(r, b.p, b.len));
	CHECK(refused(r, b.p, b.len - 1));
	buf_free(&b);
	agg_free(r);
}

/* ---- quantiles ---- */

static int
cmp_dbl(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Adds the N numbers X to quantile sketches and checks every quantile
 * against the exact one (rank floor(q (n - 1))): within 1 % relative.
 * Returns the worst relative error.
 */
static double
check_quantiles(const char *what, double *x, size_t n)
{
	static const char *const qs[] = { "quantile(0.001)", "quantile(0.01)",
	    "quantile(0.1)", "quantile(0.25)", "p50", "quantile(0.75)", "p90",
	    "p95", "p99", "quantile(0.999)" };
	struct agg	*r[10];
	struct sk_state	 s;
	struct value	 v;
	double		 exact, got, err, worst = 0;
	size_t		 i, j;

	for (j = 0; j < 10; j++)
		r[j] = parse(qs[j]);
	agg_init(r[0], &s);
	for (i = 0; i < n; i++)
		add(r[0], &s, value_dbl(x[i]));
	qsort(x, n, sizeof *x, cmp_dbl);
	for (j = 0; j < 10; j++) {
		exact = x[(size_t)floor(((struct sk_agg *)r[j])->q *
		    (double)(n - 1))];
		v = agg_result(r[j], &s);
		CHECK(v.type == V_DBL);
		got = v.u.d;
		err = exact == 0 ? fabs(got) : fabs(got - exact) / fabs(exact);
		if (err > worst)
			worst = err;
		if (!(err <= 0.01)) {
			fprintf(stderr, "%s %s: %g for %g\n", what, qs[j], got,
			    exact);
			CHECK(0);
		}
	}
	roundtrip(r[0], &s);
	printf("quantiles, %s: worst relative error %.4f %%, room for %u "
	    "buckets\n",
	    what, 100 * worst, (unsigned)((blksize(&s) - 16) / 12));
	for (j = 0; j < 10; j++)
		agg_free(r[j]);
	return worst;
}

static void
test_quantile_accuracy(void)
{
	size_t	 n = 200000, i;
	double	*x = xreallocarray(NULL, n, sizeof *x);

	for (i = 0; i < n; i++)
		x[i] = 1000 * unif();
	check_quantiles("uniform (0, 1000)", x, n);
	for (i = 0; i < n; i++)
		x[i] = -log(unif()) * 50;
	check_quantiles("exponential (mean 50)", x, n);
	for (i = 0; i < n; i++)
		x[i] = pow(unif(), -1 / 1.1);	/* Pareto, alpha 1.1 */
	check_quantiles("Pareto (alpha 1.1)", x, n);
	for (i = 0; i < n; i++)
		x[i] = (double)(int64_t)(rnd() % 201) - 100;
	check_quantiles("ints -100..100 (zero, negatives)", x, n);
	for (i = 0; i < n; i++)
		x[i] = (unif() - 0.5) * 1e-6;
	check_quantiles("tiny, both signs", x, n);
	for (i = 0; i < 3; i++)
		x[i] = 42;
	check_quantiles("three alike", x, 3);
	x[0] = 7;
	check_quantiles("one", x, 1);
	free(x);
}

static void
test_quantile_values(void)
{
	struct agg	*r = parse("p50"), *lo = parse("quantile(0.01)");
	struct agg	*hi = parse("p99");
	struct sk_state	 s, c;
	struct value	 v;
	int64_t		 i;

	agg_init(r, &s);
	/* awk's numbers: "12" is 12; others are record errors, left out */
	add(r, &s, value_str("12", 2));
	add(r, &s, value_str("abc", 3));
	add(r, &s, value_dbl(NAN));
	add(r, &s, value_dbl(INFINITY));
	add(r, &s, value_null());
	CHECK(agg_n(&s) == 1);
	v = agg_result(r, &s);
	CHECK(v.type == V_DBL && fabs(v.u.d - 12) <= 0.12);
	/* 0 is answered as 0, negatives mirror positives */
	agg_init(r, &s);
	add(r, &s, value_int(0));
	v = agg_result(r, &s);
	CHECK(v.type == V_DBL && v.u.d == 0);
	agg_init(r, &s);
	add(r, &s, value_int(-250));
	v = agg_result(r, &s);
	CHECK(v.u.d < 0 && fabs(v.u.d + 250) <= 2.5);
	/* the extremes of double */
	agg_init(r, &s);
	add(r, &s, value_dbl(DBL_MAX));
	v = agg_result(r, &s);
	CHECK(v.u.d <= DBL_MAX && v.u.d >= DBL_MAX * 0.99);
	roundtrip(r, &s);
	agg_init(r, &s);
	add(r, &s, value_dbl(-DBL_MIN));
	add(r, &s, value_dbl(DBL_TRUE_MIN));
	roundtrip(r, &s);

	/* More buckets than 2048: the lowest fold, the top keeps its bound. */
	agg_init(r, &s);
	for (i = 0; i < 29000; i++)
		add(r, &s, value_dbl(pow(10, -290 + (double)i / 50)));
	CHECK(blksize(&s) <= 16 + 12 * 2048);
	memcpy(&c, &s, sizeof c);
	v = agg_result(hi, &s);		/* rank floor(0.99 * 28999) */
	CHECK(fabs(v.u.d - pow(10, -290 + 28709.0 / 50)) <=
	    0.01 * pow(10, -290 + 28709.0 / 50));
	v = agg_result(lo, &s);
	CHECK(v.u.d > pow(10, -290 + 300.0 / 50));	/* folded up */
	roundtrip(r, &s);
	/* merging two such sketches stays bounded */
	CHECK(agg_merge(r, &c, &s, &mem) == 0);
	CHECK(blksize(&c) <= 16 + 12 * 2048 && agg_n(&c) == 58000);
	roundtrip(r, &c);
	agg_free(r);
	agg_free(lo);
	agg_free(hi);
}

static void
test_quantile_merge(void)
{
	struct agg	*r = parse("p90");
	struct buf	 b = BUF_INIT;

	check_merges(r, 0, true);
	check_merges(r, 7, true);
	check_merges(r, 100000, true);

	/* refusals: buckets out of order, counts not adding up to n, a key
	 * no number has */
	snap_put_i64(&b, 2);
	snap_put_u64(&b, 2);
	snap_put_i64(&b, 40000);
	snap_put_u64(&b, 1);
	snap_put_u64(&b, 0);
	snap_put_u64(&b, 1);
	CHECK(refused(r, b.p, b.len));
	buf_reset(&b);
	snap_put_i64(&b, 3);
	snap_put_u64(&b, 2);
	snap_put_i64(&b, 40000);
	snap_put_u64(&b, 1);
	snap_put_u64(&b, 1);
	snap_put_u64(&b, 1);
	CHECK(refused(r, b.p, b.len));
	b.p[0] = 4;		/* zigzag 2 */
	CHECK(!refused(r, b.p, b.len));
	buf_reset(&b);
	snap_put_i64(&b, 1);
	snap_put_u64(&b, 1);
	snap_put_i64(&b, 100);
	snap_put_u64(&b, 1);
	CHECK(refused(r, b.p, b.len));
	buf_reset(&b);
	snap_put_i64(&b, 1);
	snap_put_u64(&b, 3000);
	CHECK(refused(r, b.p, b.len));
	buf_free(&b);
	agg_free(r);
}

/* ---- topk ---- */

/* The result of topk as JSON text, in OUT. */
static const char *
topk_json(struct agg *r, const struct sk_state *s, struct buf *out)
{
	struct value	 v = agg_result(r, s);

	buf_reset(out);
	value_fmt_json(out, &v);
	return out->p;
}

/*
 * Zipf-like data: NV values, the i-th (from 1) with weight 1 / i^S, N
 * draws.  Adds them to the topk state and to exact counts CNT; returns
 * nothing.
 */
static void
zipf(struct agg *r, struct sk_state *parts, int nparts, int64_t *cnt,
    int nv, double sexp, int n)
{
	double	*cdf = xreallocarray(NULL, nv, sizeof *cdf), u, t = 0;
	int	 i, lo, hi, mid;

	for (i = 0; i < nv; i++)
		cdf[i] = (t += pow(i + 1, -sexp));
	for (i = 0; i < n; i++) {
		u = unif() * t;
		for (lo = 0, hi = nv - 1; lo < hi; ) {
			mid = (lo + hi) / 2;
			if (cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		cnt[lo]++;
		add(r, &parts[i * nparts / n], value_int(lo + 1000));
	}
	free(cdf);
}

/* The exact top K of CNT (distinct counts assumed) as topk's JSON. */
static const char *
exact_top(const int64_t *cnt, int nv, int k, struct buf *out)
{
	int	 i, j, best;
	bool	*used = xcalloc((size_t)nv, 1);

	buf_reset(out);
	buf_addc(out, '[');
	for (j = 0; j < k; j++) {
		best = -1;
		for (i = 0; i < nv; i++)
			if (!used[i] && (best < 0 || cnt[i] > cnt[best]))
				best = i;
		used[best] = true;
		buf_printf(out, "%s[%d,%lld]", j ? "," : "", best + 1000,
		    (long long)cnt[best]);
	}
	buf_addc(out, ']');
	free(used);
	return out->p;
}

static void
test_topk(void)
{
	struct agg	*r = parse("topk(3)"), *r10 = parse("topk(10)");
	struct sk_state	 s, c, parts[10], w;
	struct buf	 got = BUF_INIT, want = BUF_INIT;
	int64_t		*cnt;
	int		 i, j;

	/* Few values: exact, most frequent first, ties by value. */
	agg_init(r, &s);
	CHECK_STR(topk_json(r, &s, &got), "[]");
	for (i = 1; i <= 5; i++)
		for (j = 0; j < i; j++)
			add(r, &s, value_int(i));
	add(r, &s, value_str("x", 1));
	add(r, &s, value_str("x", 1));
	add(r, &s, value_dbl(2.0));		/* one with 2 */
	CHECK_STR(topk_json(r, &s, &got), "[[5,5],[4,4],[2,3]]");
	add(r, &s, value_int(3));
	CHECK_STR(topk_json(r, &s, &got), "[[5,5],[3,4],[4,4]]");
	roundtrip(r, &s);
	/* a copy added to does not change the original */
	memcpy(&c, &s, sizeof c);
	for (i = 0; i < 10; i++)
		add(r, &c, value_str("y", 1));
	CHECK_STR(topk_json(r, &s, &got), "[[5,5],[3,4],[4,4]]");
	CHECK_STR(topk_json(r, &c, &got), "[[\"y\",10],[5,5],[3,4]]");

	/* Merges without eviction are exact and associative. */
	check_merges(r, 0, true);
	check_merges(r, 40, true);
	check_merges(r, 3000, false);	/* evictions: only the bound */

	/* Skewed data, 100k values, 1M records: the exact top 10, from one
	 * summary and from ten merged, as a window merges its panes. */
	cnt = xcalloc(100000, sizeof *cnt);
	for (i = 0; i < 10; i++)
		agg_init(r10, &parts[i]);
	zipf(r10, parts, 10, cnt, 100000, 1.3, 1000000);
	agg_init(r10, &w);
	for (i = 0; i < 10; i++)
		CHECK(agg_merge(r10, &w, &parts[i], &mem) == 0);
	exact_top(cnt, 100000, 10, &want);
	CHECK_STR(topk_json(r10, &w, &got), want.p);
	printf("topk(10), Zipf 1.3 over 100k values, 10 merged panes: %s\n",
	    got.p);
	roundtrip(r10, &w);
	CHECK(blksize(&w) <= 24 + 200 * 60 + 4 * 512);
	memset(cnt, 0, 100000 * sizeof *cnt);
	agg_init(r10, &s);
	zipf(r10, &s, 1, cnt, 100000, 1.3, 1000000);
	CHECK_STR(topk_json(r10, &s, &got), exact_top(cnt, 100000, 10,
	    &want));
	free(cnt);
	agg_free(r);
	agg_free(r10);
	buf_free(&got);
	buf_free(&want);
}

static void
test_topk_refusals(void)
{
	struct agg	*r = parse("topk(2)");
	struct buf	 b = BUF_INIT;
	struct value	 v;
	char		*cause = NULL;

	/* two counters of one value; out of order; err >= count */
	snap_put_i64(&b, 2);
	snap_put_u64(&b, 64);
	snap_put_u64(&b, 2);
	v = value_int(5);
	snap_put_value(&b, &v, &cause);
	snap_put_i64(&b, 1);
	snap_put_i64(&b, 0);
	snap_put_value(&b, &v, &cause);
	snap_put_i64(&b, 1);
	snap_put_i64(&b, 0);
	CHECK(refused(r, b.p, b.len));
	buf_reset(&b);
	snap_put_i64(&b, 1);
	snap_put_u64(&b, 64);
	snap_put_u64(&b, 1);
	snap_put_value(&b, &v, &cause);
	snap_put_i64(&b, 1);
	snap_put_i64(&b, 1);
	CHECK(refused(r, b.p, b.len));
	b.p[b.len - 1] = 0;
	CHECK(!refused(r, b.p, b.len));
	/* more counters than c, a count above n */
	buf_reset(&b);
	snap_put_i64(&b, 1);
	snap_put_u64(&b, 1000000);
	CHECK(refused(r, b.p, b.len));
	buf_reset(&b);
	snap_put_i64(&b, 1);
	snap_put_u64(&b, 64);
	snap_put_u64(&b, 1);
	snap_put_value(&b, &v, &cause);
	snap_put_i64(&b, 2);
	snap_put_i64(&b, 0);
	CHECK(refused(r, b.p, b.len));
	buf_free(&b);
	agg_free(r);
}

/* A window of sketches: what compaction (move) leaves is whole. */
static void
test_move(void)
{
	static const char *const names[] = { "distinct", "p50", "topk(5)" };
	struct agg	*r;
	struct sk_state	 s;
	struct arena	 old, fresh;
	struct buf	 a = BUF_INIT, b = BUF_INIT;
	size_t		 i;
	int		 j;

	for (i = 0; i < 3; i++) {
		r = parse(names[i]);
		arena_init(&old);
		arena_init(&fresh);
		agg_init(r, &s);
		for (j = 0; j < 3000; j++) {
			struct value v = value_int(j % 500);
			CHECK(agg_add(r, &s, &v, &old) == 0);
		}
		saved(r, &s, &a);
		r->def->move(&s, &fresh);
		arena_free(&old);
		saved(r, &s, &b);
		CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
		CHECK(sk_owns(&s));
		arena_free(&fresh);
		agg_free(r);
	}
	buf_free(&a);
	buf_free(&b);
}

int
main(void)
{
	arena_init(&mem);
	test_parse();
	test_distinct_accuracy();
	test_distinct_merge();
	test_distinct_union();
	test_distinct_union_grid();
	test_distinct_slider();
	test_distinct_memory();
	test_distinct_refusals();
	test_quantile_accuracy();
	test_quantile_values();
	test_quantile_merge();
	test_topk();
	test_topk_refusals();
	test_move();
	arena_free(&mem);
	return unit_done("test_sketch");
}
