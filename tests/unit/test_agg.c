/*
 * test_agg.c - the reducers alone (state/agg.h): add, merge, sub and
 * result for every named reducer and for the expression reducer of
 * ops/aggexpr.c; the state rules (n first, zero bytes empty, a byte
 * copy is a state, move) and the save/load encoding, with truncated and
 * malformed input.  Record errors print on stderr, as in a run.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/dstream.h"
#include "../../src/ops/op.h"
#include "../../src/state/agg.h"
#include "../../src/state/snap.h"
#include "unit.h"

#define STATE_MAX	256

static struct arena	 mem;

static struct value
str(const char *s)
{
	return value_str(s, strlen(s));
}

/* A named reducer's instance. */
static struct agg *
named(const char *name)
{
	const struct agg_def	*def = agg_find(name);

	CHECK(def != NULL);
	return agg_new(def);
}

/* Adds the ints FROM..TO, then S (a string) when not NULL, to STATE. */
static void
add_ints(struct agg *r, void *state, int64_t from, int64_t to)
{
	struct value	 v;
	int64_t		 i;

	for (i = from; i <= to; i++) {
		v = value_int(i);
		CHECK(agg_add(r, state, &v, &mem) == 0);
	}
}

static void
add_str(struct agg *r, void *state, const char *s)
{
	struct value	 v = str(s);

	CHECK(agg_add(r, state, &v, &mem) == 0);
}

/* Whether R's result for STATE is the int I. */
static bool
is_int(struct agg *r, const void *state, int64_t i)
{
	struct value	 v = agg_result(r, state);

	return v.type == V_INT && v.u.i == i;
}

static bool
is_dbl(struct agg *r, const void *state, double d)
{
	struct value	 v = agg_result(r, state);

	return v.type == V_DBL && v.u.d == d;
}

static bool
is_str(struct agg *r, const void *state, const char *s)
{
	struct value	 v = agg_result(r, state);

	return v.type == V_STR && v.n == strlen(s) &&
	    memcmp(v.u.s, s, v.n) == 0;
}

static bool
is_null(struct agg *r, const void *state)
{
	return agg_result(r, state).type == V_NULL;
}

static void
test_list(void)
{
	static const char *const names[] = {
		"sum", "count", "min", "max", "avg", "first", "last"
	};
	const struct agg_def	*d;
	size_t			 i;
	int			 n;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		d = agg_find(names[i]);
		CHECK(d != NULL);
		CHECK(d != NULL && strcmp(d->name, names[i]) == 0);
	}
	CHECK(agg_find("median") == NULL);
	CHECK(agg_find("a + b") == NULL);
	for (n = 0; (d = agg_def_at(n)) != NULL; n++) {
		/* Every state holds n first and fits what tests allot. */
		CHECK(d->size >= sizeof(int64_t) && d->size <= STATE_MAX);
		CHECK(d->size % 8 == 0);
		CHECK(d->add && d->merge && d->result && d->save && d->load);
		CHECK(d->init == NULL);		/* zero bytes are empty */
	}
	CHECK(n == 14);		/* 7 plain, 7 sketches (test_sketch) */
	CHECK(agg_def_at(-1) == NULL);
	/* Only the exact inverses. */
	CHECK(agg_find("sum")->sub != NULL);
	CHECK(agg_find("count")->sub != NULL);
	CHECK(agg_find("avg")->sub != NULL);
	CHECK(agg_find("min")->sub == NULL);
	CHECK(agg_find("max")->sub == NULL);
	CHECK(agg_find("first")->sub == NULL);
	CHECK(agg_find("last")->sub == NULL);
	/* The per-key sizes item 15 of issue 10 counts on. */
	CHECK(agg_find("count")->size == 8);
	CHECK(agg_find("avg")->size == 16);
	CHECK(agg_find("sum")->size == 24);
}

static void
test_sum(void)
{
	struct agg	*r = named("sum");
	char		 a[STATE_MAX], b[STATE_MAX];
	struct value	 v;

	CHECK(agg_invertible(r));
	agg_init(r, a);
	CHECK(agg_n(a) == 0);
	CHECK(is_int(r, a, 0));		/* an empty sum is 0 */
	add_ints(r, a, 1, 4);
	add_str(r, a, " 5 ");		/* a number, as awk reads it */
	CHECK(agg_n(a) == 5 && is_int(r, a, 15));
	add_str(r, a, "x");		/* a record error: left out */
	CHECK(agg_n(a) == 5 && is_int(r, a, 15));
	v = value_dbl(0.5);
	CHECK(agg_add(r, a, &v, &mem) == 0);
	CHECK(agg_n(a) == 6 && is_dbl(r, a, 15.5));

	/* merge: into an empty state, and into a full one */
	agg_init(r, b);
	add_ints(r, b, 10, 11);
	memset(a, 0, sizeof a);
	CHECK(agg_merge(r, a, b, &mem) == 0);
	CHECK(agg_n(a) == 2 && is_int(r, a, 21));
	CHECK(agg_merge(r, a, b, &mem) == 0);
	CHECK(agg_n(a) == 4 && is_int(r, a, 42));
	agg_init(r, b);
	CHECK(agg_merge(r, a, b, &mem) == 0);	/* an empty one: nothing */
	CHECK(agg_n(a) == 4 && is_int(r, a, 42));

	/* sub: exact, and to nothing (zeroed) */
	add_ints(r, b, 10, 11);
	CHECK(agg_sub(r, a, b, &mem) == 0);
	CHECK(agg_n(a) == 2 && is_int(r, a, 21));
	CHECK(agg_sub(r, a, b, &mem) == 0);
	CHECK(agg_n(a) == 0 && is_int(r, a, 0));

	/* overflow turns it into a double; a double past 2^53 cannot be
	 * taken from (1: rebuild), state unchanged */
	agg_init(r, a);
	v = value_int(INT64_MAX);
	CHECK(agg_add(r, a, &v, &mem) == 0);
	v = value_int(1);
	CHECK(agg_add(r, a, &v, &mem) == 0);
	CHECK(is_dbl(r, a, 0x1p63));
	agg_init(r, b);
	CHECK(agg_add(r, b, &v, &mem) == 0);
	CHECK(agg_sub(r, a, b, &mem) == 1);
	CHECK(agg_n(a) == 2 && is_dbl(r, a, 0x1p63));
	agg_init(r, a);
	v = value_dbl(INFINITY);
	CHECK(agg_add(r, a, &v, &mem) == 0);
	add_ints(r, a, 1, 1);
	CHECK(agg_sub(r, a, b, &mem) == 1);
	/* int overflow on the way down too: a double, not a wrap */
	agg_init(r, a);
	add_ints(r, a, -1, -1);
	v = value_int(INT64_MIN);
	CHECK(agg_add(r, a, &v, &mem) == 0);
	CHECK(agg_result(r, a).type == V_DBL);
	agg_init(r, a);
	v = value_int(INT64_MIN);
	CHECK(agg_add(r, a, &v, &mem) == 0);
	add_ints(r, a, 0, 0);
	agg_init(r, b);
	add_ints(r, b, 1, 1);
	CHECK(agg_sub(r, a, b, &mem) == 0);
	CHECK(agg_n(a) == 1 && is_dbl(r, a, -0x1p63));
	agg_free(r);
}

static void
test_count(void)
{
	struct agg	*r = named("count");
	char		 a[STATE_MAX], b[STATE_MAX];

	CHECK(agg_invertible(r));
	agg_init(r, a);
	CHECK(is_int(r, a, 0));
	add_ints(r, a, 1, 3);
	add_str(r, a, "not a number either way");
	CHECK(agg_n(a) == 4 && is_int(r, a, 4));
	agg_init(r, b);
	add_ints(r, b, 1, 2);
	CHECK(agg_merge(r, a, b, &mem) == 0);
	CHECK(is_int(r, a, 6));
	CHECK(agg_sub(r, a, b, &mem) == 0);
	CHECK(agg_n(a) == 4 && is_int(r, a, 4));
	add_ints(r, b, 1, 2);
	CHECK(agg_sub(r, a, b, &mem) == 0);	/* b holds as many: empty */
	CHECK(agg_n(a) == 0 && is_int(r, a, 0));
	agg_free(r);
}

static void
test_avg(void)
{
	struct agg	*r = named("avg");
	char		 a[STATE_MAX], b[STATE_MAX];
	struct value	 v;

	CHECK(agg_invertible(r));
	agg_init(r, a);
	CHECK(is_null(r, a));		/* an empty avg is null */
	add_ints(r, a, 1, 2);
	add_str(r, a, "x");
	CHECK(agg_n(a) == 2 && is_dbl(r, a, 1.5));
	agg_init(r, b);
	add_ints(r, b, 6, 6);
	CHECK(agg_merge(r, a, b, &mem) == 0);
	CHECK(agg_n(a) == 3 && is_dbl(r, a, 3.0));
	memset(a + 0, 0, sizeof a);
	CHECK(agg_merge(r, a, b, &mem) == 0);
	CHECK(agg_n(a) == 1 && is_dbl(r, a, 6.0));
	add_ints(r, a, 2, 2);
	CHECK(agg_sub(r, a, b, &mem) == 0);
	CHECK(agg_n(a) == 1 && is_dbl(r, a, 2.0));
	/* a sum past 2^53 cannot be taken from exactly */
	agg_init(r, a);
	v = value_dbl(1e16);
	CHECK(agg_add(r, a, &v, &mem) == 0);
	add_ints(r, a, 1, 1);
	CHECK(agg_sub(r, a, b, &mem) == 1);
	CHECK(agg_n(a) == 2);
	agg_free(r);
}

static void
test_minmax(void)
{
	struct agg	*mn = named("min"), *mx = named("max");
	char		 a[STATE_MAX], b[STATE_MAX], c[STATE_MAX];
	struct value	 v;

	CHECK(!agg_invertible(mn) && !agg_invertible(mx));
	agg_init(mn, a);
	agg_init(mx, b);
	CHECK(is_null(mn, a) && is_null(mx, b));
	/* numbers as numbers, numeric strings too ("10" > "9") */
	add_str(mn, a, "10");
	add_str(mn, a, "9");
	add_ints(mn, a, 12, 12);
	CHECK(agg_n(a) == 3 && is_int(mn, a, 9));
	add_str(mx, b, "10");
	add_str(mx, b, "9");
	CHECK(is_int(mx, b, 10));
	/* past numbers, value order: strings above numbers */
	add_str(mx, b, "abc");
	CHECK(agg_n(b) == 3 && is_str(mx, b, "abc"));
	add_str(mn, a, "abc");
	CHECK(agg_n(a) == 4 && is_int(mn, a, 9));

	/* merge: a later state's better value wins, else ours stays */
	agg_init(mn, c);
	add_ints(mn, c, 2, 3);
	CHECK(agg_merge(mn, a, c, &mem) == 0);
	CHECK(agg_n(a) == 6 && is_int(mn, a, 2));
	agg_init(mn, c);
	add_ints(mn, c, 50, 50);
	CHECK(agg_merge(mn, a, c, &mem) == 0);
	CHECK(agg_n(a) == 7 && is_int(mn, a, 2));
	agg_init(mx, c);
	add_str(mx, c, "abd");
	CHECK(agg_merge(mx, b, c, &mem) == 0);
	CHECK(agg_n(b) == 4 && is_str(mx, b, "abd"));
	memset(a, 0, sizeof a);
	CHECK(agg_merge(mx, a, c, &mem) == 0);	/* into an empty one */
	CHECK(agg_n(a) == 1 && is_str(mx, a, "abd"));
	/* no inverse */
	CHECK(agg_sub(mx, b, c, &mem) == -1);
	CHECK(agg_n(b) == 4);
	v = value_dbl(-0.5);
	CHECK(agg_add(mn, a, &v, &mem) == 0);
	CHECK(is_dbl(mn, a, -0.5));
	agg_free(mn);
	agg_free(mx);
}

static void
test_firstlast(void)
{
	struct agg	*f = named("first"), *l = named("last");
	char		 a[STATE_MAX], b[STATE_MAX], c[STATE_MAX];

	CHECK(!agg_invertible(f) && !agg_invertible(l));
	agg_init(f, a);
	agg_init(l, b);
	CHECK(is_null(f, a) && is_null(l, b));
	add_str(f, a, "one");
	add_str(f, a, "two");
	add_str(l, b, "one");
	add_str(l, b, "two");
	CHECK(agg_n(a) == 2 && is_str(f, a, "one"));
	CHECK(agg_n(b) == 2 && is_str(l, b, "two"));
	/* merge: O's values came after: first keeps ours, last takes O's */
	agg_init(f, c);
	add_str(f, c, "three");
	CHECK(agg_merge(f, a, c, &mem) == 0);
	CHECK(agg_n(a) == 3 && is_str(f, a, "one"));
	CHECK(agg_merge(l, b, c, &mem) == 0);
	CHECK(agg_n(b) == 3 && is_str(l, b, "three"));
	memset(a, 0, sizeof a);
	CHECK(agg_merge(f, a, c, &mem) == 0);
	CHECK(agg_n(a) == 1 && is_str(f, a, "three"));
	CHECK(agg_sub(f, a, c, &mem) == -1);
	CHECK(agg_sub(l, b, c, &mem) == -1);
	/* the state keeps a copy, not the caller's bytes */
	{
		char		 text[] = "mutable";
		struct value	 v = value_str(text, 7);

		agg_init(l, b);
		CHECK(agg_add(l, b, &v, &mem) == 0);
		text[0] = 'X';
		CHECK(is_str(l, b, "mutable"));
	}
	agg_free(f);
	agg_free(l);
}

static void
test_expr(void)
{
	struct agg	*r, *ri;
	char		*cause = NULL;
	char		 a[STATE_MAX], b[STATE_MAX];

	/* FUNC: a name is the named reducer, else an expression */
	r = aggexpr_parse("sum", NULL, &cause);
	CHECK(r != NULL && r->def == agg_find("sum"));
	agg_free(r);
	/* a named reducer takes no INVFUNC: its own inverse, or none */
	CHECK(aggexpr_parse("sum", "a - b", &cause) == NULL);
	CHECK_STR(cause, "sum has its own inverse: drop 'a - b' "
	    "(FUNC [INVFUNC] L [S])");
	free(cause);
	cause = NULL;
	CHECK(aggexpr_parse("max", "a - b", &cause) == NULL);
	CHECK_STR(cause, "max has no inverse: drop 'a - b' (windows slide "
	    "max through panes)");
	free(cause);
	cause = NULL;
	CHECK(aggexpr_parse("a +", NULL, &cause) == NULL);
	CHECK(cause != NULL && strncmp(cause, "reduce function: ", 17) == 0);
	free(cause);
	cause = NULL;
	CHECK(aggexpr_parse("a + b", "b -", &cause) == NULL);
	CHECK(cause != NULL && strncmp(cause, "inverse function: ", 18) == 0);
	free(cause);
	cause = NULL;
	CHECK(aggexpr_parse("x + 1", NULL, &cause) == NULL);	/* a, b only */
	free(cause);
	cause = NULL;

	r = aggexpr_parse("a + b", NULL, &cause);
	CHECK(r != NULL && !agg_invertible(r));
	CHECK_STR(r->what, "reduce function 'a + b'");
	CHECK(r->def->size == sizeof(struct agg_val));
	agg_init(r, a);
	CHECK(is_null(r, a));
	add_ints(r, a, 1, 3);
	CHECK(agg_n(a) == 3 && is_int(r, a, 6));
	add_str(r, a, "x");		/* fails: left out */
	CHECK(agg_n(a) == 3 && is_int(r, a, 6));
	agg_init(r, b);
	add_str(r, b, "x");		/* the first value is taken as is */
	CHECK(agg_n(b) == 1 && is_str(r, b, "x"));
	CHECK(agg_merge(r, a, b, &mem) == 0);	/* fails: a unchanged */
	CHECK(agg_n(a) == 3 && is_int(r, a, 6));
	agg_init(r, b);
	add_ints(r, b, 10, 10);
	CHECK(agg_merge(r, a, b, &mem) == 0);
	CHECK(agg_n(a) == 4 && is_int(r, a, 16));
	CHECK(agg_sub(r, a, b, &mem) == -1);	/* no inverse given */
	memset(a, 0, sizeof a);
	CHECK(agg_merge(r, a, b, &mem) == 0);
	CHECK(agg_n(a) == 1 && is_int(r, a, 10));

	/* order matters: a .. b keeps arrival order through merges */
	ri = aggexpr_parse("a .. b", NULL, &cause);
	CHECK(ri != NULL);
	agg_init(ri, a);
	add_str(ri, a, "x");
	add_str(ri, a, "y");
	agg_init(ri, b);
	add_str(ri, b, "z");
	CHECK(agg_merge(ri, a, b, &mem) == 0);
	CHECK(agg_n(a) == 3 && is_str(ri, a, "xyz"));
	agg_free(ri);
	agg_free(r);

	/* with an inverse */
	r = aggexpr_parse("a + b", "a - b", &cause);
	CHECK(r != NULL && agg_invertible(r));
	agg_init(r, a);
	add_ints(r, a, 1, 4);
	agg_init(r, b);
	add_ints(r, b, 1, 2);
	CHECK(agg_sub(r, a, b, &mem) == 0);
	CHECK(agg_n(a) == 2 && is_int(r, a, 7));
	agg_init(r, b);
	add_str(r, b, "x");
	CHECK(agg_sub(r, a, b, &mem) == 0);	/* fails: a unchanged */
	CHECK(agg_n(a) == 2 && is_int(r, a, 7));
	CHECK(agg_sub(r, a, a, &mem) == 0);	/* all out: empty */
	CHECK(agg_n(a) == 0 && is_null(r, a));
	agg_free(r);
}

/* A byte copy of a state is a state; move takes its values elsewhere. */
static void
test_rules(void)
{
	struct agg	*l = named("last");
	struct arena	 old, fresh;
	char		 a[STATE_MAX], b[STATE_MAX];
	struct value	 v;

	arena_init(&old);
	arena_init(&fresh);
	agg_init(l, a);
	v = str("kept");
	CHECK(agg_add(l, a, &v, &old) == 0);
	memcpy(b, a, l->def->size);
	v = str("later");
	CHECK(agg_add(l, a, &v, &old) == 0);
	CHECK(is_str(l, b, "kept") && is_str(l, a, "later"));
	CHECK(l->def->move != NULL);
	l->def->move(a, &fresh);
	arena_free(&old);		/* a no longer points there */
	CHECK(agg_n(a) == 2 && is_str(l, a, "later"));
	arena_free(&fresh);
	CHECK(agg_find("sum")->move == NULL);
	CHECK(agg_find("count")->move == NULL);
	CHECK(agg_find("avg")->move == NULL);
	CHECK(agg_find("min")->move != NULL);
	agg_free(l);
}

/* Saves STATE of R, loads it back and checks n and result agree. */
static void
roundtrip(struct agg *r, const void *state)
{
	struct buf	 out = BUF_INIT;
	struct snap_rd	 rd;
	struct arena	 a;
	char		 back[STATE_MAX], *cause = NULL;
	size_t		 cut;
	struct value	 x, y;

	arena_init(&a);
	CHECK(r->def->save(state, &out, &cause) == 0 && cause == NULL);
	snap_rd_init(&rd, out.p, out.len);
	memset(back, 0x5a, sizeof back);
	CHECK(r->def->load(back, &rd, &a) == 0);
	CHECK(snap_rd_end(&rd) == 0);		/* every byte read */
	CHECK(agg_n(back) == agg_n(state));
	x = agg_result(r, state);
	y = agg_result(r, back);
	CHECK(value_cmp(&x, &y) == 0 && x.type == y.type);
	snap_rd_free(&rd);
	/* every shorter prefix is refused, with a cause */
	for (cut = 0; cut < out.len; cut++) {
		snap_rd_init(&rd, out.p, cut);
		CHECK(r->def->load(back, &rd, &a) == -1);
		cause = snap_rd_cause(&rd);
		CHECK(cause != NULL);
		free(cause);
	}
	buf_free(&out);
	arena_free(&a);
}

/* Whether loading the LEN bytes at P as a state of DEF fails, with a cause. */
static bool
refused(const struct agg_def *def, const void *p, size_t len)
{
	struct snap_rd	 rd;
	struct arena	 a;
	char		 s[STATE_MAX], *cause;
	int		 rc;

	arena_init(&a);
	snap_rd_init(&rd, p, len);
	rc = def->load(s, &rd, &a);
	cause = snap_rd_cause(&rd);
	arena_free(&a);
	free(cause);
	return rc == -1 && cause != NULL;
}

static void
test_saveload(void)
{
	const struct agg_def	*d;
	struct agg		*r;
	char			 s[STATE_MAX], *cause = NULL;
	struct value		 v, kv[4], el[2], deep;
	struct buf		 out = BUF_INIT;
	int			 i;

	for (i = 0; (d = agg_def_at(i)) != NULL; i++) {
		r = agg_new(d);
		agg_init(r, s);
		roundtrip(r, s);		/* empty */
		add_ints(r, s, 1, 3);
		roundtrip(r, s);
		v = value_dbl(0.25);
		CHECK(agg_add(r, s, &v, &mem) == 0);
		roundtrip(r, s);
		agg_free(r);
	}
	/* values of every type, nested, in a value state */
	r = named("last");
	el[0] = value_bool(true);
	el[1] = value_null();
	kv[0] = str("k");
	kv[1] = value_array(&mem, 2);
	kv[1].u.a[0] = el[0];
	kv[1].u.a[1] = el[1];
	kv[2] = str("");
	kv[3] = value_pair(&mem, value_int(-7), value_str("s\0t", 3));
	v = value_null();
	v.type = V_OBJ;
	v.n = 2;
	v.u.kv = kv;
	agg_init(r, s);
	CHECK(agg_add(r, s, &v, &mem) == 0);
	roundtrip(r, s);
	agg_free(r);
	r = aggexpr_parse("a .. b", NULL, &cause);
	agg_init(r, s);
	add_str(r, s, "x");
	add_str(r, s, "y");
	roundtrip(r, s);
	agg_free(r);

	/* a value nested past what a snapshot holds: save fails, says so */
	r = named("last");
	deep = value_int(1);
	for (i = 0; i <= SNAP_MAX_DEPTH; i++)
		deep = value_pair(&mem, deep, value_null());
	agg_init(r, s);
	CHECK(agg_add(r, s, &deep, &mem) == 0);
	CHECK(r->def->save(s, &out, &cause) == -1 && cause != NULL);
	free(cause);
	cause = NULL;
	agg_free(r);

	/* malformed: n < 0, a sum holding a string, a bad type byte */
	buf_reset(&out);
	snap_put_i64(&out, -1);
	CHECK(refused(agg_find("count"), out.p, out.len));
	snap_put_dbl(&out, 1.0);
	CHECK(refused(agg_find("avg"), out.p, out.len));
	buf_reset(&out);
	snap_put_i64(&out, 1);
	v = str("ten");
	CHECK(snap_put_value(&out, &v, &cause) == 0);
	CHECK(refused(agg_find("sum"), out.p, out.len));
	CHECK(!refused(agg_find("last"), out.p, out.len));
	out.p[1] = 0x7f;			/* the value's type byte */
	CHECK(refused(agg_find("last"), out.p, out.len));
	buf_reset(&out);
	snap_put_i64(&out, 0);			/* an empty sum: no number */
	v = value_null();
	CHECK(snap_put_value(&out, &v, &cause) == 0);
	CHECK(!refused(agg_find("sum"), out.p, out.len));
	buf_free(&out);
}

int
main(void)
{
	arena_init(&mem);
	test_list();
	test_sum();
	test_count();
	test_avg();
	test_minmax();
	test_firstlast();
	test_expr();
	test_rules();
	test_saveload();
	arena_free(&mem);
	return unit_done("test_agg");
}
