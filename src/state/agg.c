/*
 * agg.c - the named reducers (sum count min max avg first last) and
 * what every reducer shares: the lookup by name over agg.def and the
 * save and load of states of n and a value (the part of merge and sub
 * that is the same for all is inline in agg.h).
 *
 * The states (rules in agg.h): count is n alone; sum is n and a number,
 * an int while it does not overflow, then a double; avg is n and a double
 * sum; min, max, first and last are n and a value (struct agg_val) copied
 * into the caller's arena.  Only those four keep arena memory (a string
 * min, the last record), so only they have a move.  sum and avg turn a
 * value into a number as awk does; one that is not a number is a record
 * error.  min and max compare as numbers when both sides are numeric,
 * else in value order.
 *
 * Saving and loading use the checkpoint encoding's typed writer and
 * reader (snap.h): a state is its fields in order, n (a signed integer)
 * then the value (a whole value) or avg's sum (a double).  Loading
 * checks what the writer guarantees: n not negative, a sum's value a
 * number.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "agg.h"
#include "snap.h"

#define AGG(d) extern const struct agg_def d;
#include "agg.def"
#undef AGG

static const struct agg_def *const agg_defs[] = {
#define AGG(d) &d,
#include "agg.def"
#undef AGG
	NULL
};

const struct agg_def *
agg_find(const char *name)
{
	int	 i;

	for (i = 0; agg_defs[i] != NULL; i++)
		if (strcmp(agg_defs[i]->name, name) == 0)
			return agg_defs[i];
	return NULL;
}

const struct agg_def *
agg_def_at(int i)
{
	if (i < 0 || i >= (int)(sizeof agg_defs / sizeof agg_defs[0]))
		return NULL;
	return agg_defs[i];
}

struct agg *
agg_new(const struct agg_def *def)
{
	struct agg	*r;
	char		*cause = NULL;

	if (def->make != NULL) {
		/* The defaults never fail. */
		if ((r = def->make(def, NULL, &cause)) == NULL)
			abort();
		return r;
	}
	r = xcalloc(1, sizeof *r);
	r->def = def;
	r->what = def->name;
	r->spelling = def->name;
	return r;
}

struct agg *
agg_parse(const char *func, char **cause)
{
	const struct agg_def	*def;
	const char		*open, *close;
	char			 name[32], *arg = NULL;
	struct agg		*r;
	size_t			 n;

	*cause = NULL;
	if ((open = strchr(func, '(')) == NULL) {
		if ((def = agg_find(func)) == NULL)
			return NULL;
		if (def->arg != NULL) {
			xasprintf(cause, "%s needs its argument: %s(%s)",
			    func, func, def->arg);
			return NULL;
		}
		return agg_new(def);
	}
	/* NAME(ARG): only a reducer that has arguments reads the
	 * parentheses; 'max(a, b)' is an expression. */
	n = (size_t)(open - func);
	if (n == 0 || n >= sizeof name)
		return NULL;
	memcpy(name, func, n);
	name[n] = '\0';
	if ((def = agg_find(name)) == NULL || def->make == NULL)
		return NULL;
	close = func + strlen(func) - 1;
	if (*close != ')') {
		xasprintf(cause, "%s: expected %s(%s), with nothing after "
		    "the ')'", func, name, def->arg != NULL ? def->arg : "");
		return NULL;
	}
	if (def->arg == NULL) {
		xasprintf(cause, "%s: %s takes no argument", func, name);
		return NULL;
	}
	arg = xstrndup(open + 1, (size_t)(close - open - 1));
	r = def->make(def, arg, cause);
	free(arg);
	return r;
}

void
agg_free(struct agg *r)
{
	if (r == NULL)
		return;
	if (r->def->free != NULL)
		r->def->free(r);
	else
		free(r);
}

/* Reads n into *N; it must not be negative.  Returns 0 or -1 (cause in R). */
static int
agg_get_n(struct snap_rd *r, const char *name, int64_t *n)
{
	if (snap_get_i64(r, n) == -1)
		return -1;
	if (*n < 0)
		return snap_fail(r, "%s state: %lld values", name,
		    (long long)*n);
	return 0;
}

/* ---- states of n and a value: min max first last, and custom ---- */

void
agg_val_move(void *state, struct arena *a)
{
	struct agg_val	*s = state;

	s->v = value_copy(a, &s->v);
}

int
agg_val_save(const void *state, struct buf *out, char **cause)
{
	const struct agg_val	*s = state;

	snap_put_i64(out, s->n);
	return snap_put_value(out, &s->v, cause);
}

int
agg_val_load(void *state, struct snap_rd *r, struct arena *a)
{
	struct agg_val	*s = state;

	memset(s, 0, sizeof *s);
	if (agg_get_n(r, "reducer", &s->n) == -1 ||
	    snap_get_value(r, a, &s->v) == -1)
		return -1;
	return 0;
}

struct value
agg_val_result(const struct agg *r, const void *state)
{
	const struct agg_val	*s = state;

	if (s->n == 0)
		return value_null();
	return s->v;
}

/* V copied into A: a number (nothing to copy) without value_copy's call. */
static inline struct value
agg_keep(struct arena *a, const struct value *v)
{
	return value_is_num(v) ? *v : value_copy(a, v);
}

/* Takes O's value and n into the empty state S (a merge into nothing). */
static void
agg_val_take(struct agg_val *s, const struct agg_val *o, struct arena *a)
{
	s->v = agg_keep(a, &o->v);
	s->n = o->n;
}

/* ---- helpers of the named reducers ---- */

/*
 * Adds (or with SUB subtracts) numbers X and Y: ints stay ints unless
 * they overflow, anything else is a double.
 */
static struct value
agg_arith(const struct value *x, const struct value *y, bool sub)
{
	int64_t	 i;

	if (x->type == V_INT && y->type == V_INT) {
		if (!sub && !__builtin_add_overflow(x->u.i, y->u.i, &i))
			return value_int(i);
		if (sub && !__builtin_sub_overflow(x->u.i, y->u.i, &i))
			return value_int(i);
	}
	if (sub)
		return value_dbl(value_as_dbl(x) - value_as_dbl(y));
	return value_dbl(value_as_dbl(x) + value_as_dbl(y));
}

/*
 * Orders X and Y for min and max: as numbers when both are numeric.  Two
 * integers (a window's every merge, as often as not) are compared here.
 */
static inline int
agg_cmp(const struct value *x, const struct value *y)
{
	struct value	 nx, ny;

	if (x->type == V_INT && y->type == V_INT)
		return x->u.i < y->u.i ? -1 : x->u.i > y->u.i;
	if (value_is_num(x) && value_is_num(y))
		return value_cmp(x, y);
	if (value_to_num(x, &nx) && value_to_num(y, &ny))
		return value_cmp(&nx, &ny);
	return value_cmp(x, y);
}

/*
 * Returns 0 with V's numeric form in *NUM, 1 when V is not numeric and
 * the record is to be skipped, or -1 to stop the run.
 */
static int
agg_num(struct agg *r, const struct value *v, struct value *num)
{
	if (value_to_num(v, num))
		return 0;
	return record_error(r->what, v, "not a number") == -1 ? -1 : 1;
}

/* ---- sum: n and a number (struct agg_val) ---- */

static int
agg_sum_add(struct agg *r, void *state, const struct value *v,
    struct arena *arena)
{
	struct agg_val	*s = state;
	struct value	 num;
	int		 rc;

	if ((rc = agg_num(r, v, &num)) != 0)
		return rc == -1 ? -1 : 0;
	s->v = s->n == 0 ? num : agg_arith(&s->v, &num, false);
	s->n++;
	return 0;
}

static int
agg_sum_merge(struct agg *r, void *state, const void *o, struct arena *arena)
{
	struct agg_val		*s = state;
	const struct agg_val	*so = o;

	if (s->n == 0)
		s->v = so->v;
	else
		s->v = agg_arith(&s->v, &so->v, false);
	s->n += so->n;
	return 0;
}

static int
agg_sum_sub(struct agg *r, void *state, const void *o, struct arena *arena)
{
	struct agg_val		*s = state;
	const struct agg_val	*so = o;

	if (s->v.type == V_DBL && !(fabs(s->v.u.d) < 0x1p53))
		return 1;
	s->v = agg_arith(&s->v, &so->v, true);
	s->n -= so->n;
	return 0;
}

static struct value
agg_sum_result(const struct agg *r, const void *state)
{
	const struct agg_val	*s = state;

	if (s->n == 0)
		return value_int(0);
	return s->v;
}

static int
agg_sum_load(void *state, struct snap_rd *r, struct arena *a)
{
	struct agg_val	*s = state;

	if (agg_val_load(state, r, a) == -1)
		return -1;
	if (s->n != 0 && !value_is_num(&s->v))
		return snap_fail(r, "sum state: a %s, not a number",
		    value_type_name(&s->v));
	return 0;
}

const struct agg_def agg_sum = {
	.name = "sum",
	.size = sizeof(struct agg_val),
	.add = agg_sum_add,
	.merge = agg_sum_merge,
	.sub = agg_sum_sub,
	.result = agg_sum_result,
	.save = agg_val_save,
	.load = agg_sum_load,
	.help = "the sum of the values as numbers (ints stay ints until they overflow); exact inverse",
};

/* ---- count: n alone ---- */

struct agg_cnt {
	int64_t		 n;
};

static int
agg_count_add(struct agg *r, void *state, const struct value *v,
    struct arena *arena)
{
	((struct agg_cnt *)state)->n++;
	return 0;
}

static int
agg_count_merge(struct agg *r, void *state, const void *o,
    struct arena *arena)
{
	((struct agg_cnt *)state)->n += ((const struct agg_cnt *)o)->n;
	return 0;
}

static int
agg_count_sub(struct agg *r, void *state, const void *o, struct arena *arena)
{
	((struct agg_cnt *)state)->n -= ((const struct agg_cnt *)o)->n;
	return 0;
}

static struct value
agg_count_result(const struct agg *r, const void *state)
{
	return value_int(((const struct agg_cnt *)state)->n);
}

static int
agg_count_save(const void *state, struct buf *out, char **cause)
{
	snap_put_i64(out, ((const struct agg_cnt *)state)->n);
	return 0;
}

static int
agg_count_load(void *state, struct snap_rd *r, struct arena *a)
{
	return agg_get_n(r, "count", &((struct agg_cnt *)state)->n);
}

const struct agg_def agg_count = {
	.name = "count",
	.size = sizeof(struct agg_cnt),
	.add = agg_count_add,
	.merge = agg_count_merge,
	.sub = agg_count_sub,
	.result = agg_count_result,
	.save = agg_count_save,
	.load = agg_count_load,
	.help = "the number of values; exact inverse",
};

/* ---- avg: n and a double sum ---- */

struct agg_avgst {
	int64_t		 n;
	double		 sum;
};

static int
agg_avg_add(struct agg *r, void *state, const struct value *v,
    struct arena *arena)
{
	struct agg_avgst	*s = state;
	struct value		 num;
	int			 rc;

	if ((rc = agg_num(r, v, &num)) != 0)
		return rc == -1 ? -1 : 0;
	s->sum += value_as_dbl(&num);
	s->n++;
	return 0;
}

static int
agg_avg_merge(struct agg *r, void *state, const void *o, struct arena *arena)
{
	struct agg_avgst	*s = state;
	const struct agg_avgst	*so = o;

	if (s->n == 0)
		s->sum = so->sum;
	else
		s->sum += so->sum;
	s->n += so->n;
	return 0;
}

static int
agg_avg_sub(struct agg *r, void *state, const void *o, struct arena *arena)
{
	struct agg_avgst	*s = state;
	const struct agg_avgst	*so = o;

	if (!(fabs(s->sum) < 0x1p53))
		return 1;
	s->sum -= so->sum;
	s->n -= so->n;
	return 0;
}

static struct value
agg_avg_result(const struct agg *r, const void *state)
{
	const struct agg_avgst	*s = state;

	if (s->n == 0)
		return value_null();
	return value_dbl(s->sum / (double)s->n);
}

static int
agg_avg_save(const void *state, struct buf *out, char **cause)
{
	const struct agg_avgst	*s = state;

	snap_put_i64(out, s->n);
	snap_put_dbl(out, s->sum);
	return 0;
}

static int
agg_avg_load(void *state, struct snap_rd *r, struct arena *a)
{
	struct agg_avgst	*s = state;

	if (agg_get_n(r, "avg", &s->n) == -1 ||
	    snap_get_dbl(r, &s->sum) == -1)
		return -1;
	return 0;
}

const struct agg_def agg_avg = {
	.name = "avg",
	.size = sizeof(struct agg_avgst),
	.add = agg_avg_add,
	.merge = agg_avg_merge,
	.sub = agg_avg_sub,
	.result = agg_avg_result,
	.save = agg_avg_save,
	.load = agg_avg_load,
	.help = "the mean of the values as numbers; exact inverse",
};

/* ---- min, max: n and the least (greatest) value, numbers as numbers ---- */

/* Whether X is to replace Y: below it for min (MAX false), above for max. */
static inline bool
agg_beats(const struct value *x, const struct value *y, bool max)
{
	int	 c = agg_cmp(x, y);

	return max ? c > 0 : c < 0;
}

/* Folds V into S, keeping it when S is empty or V beats S's value. */
static void
agg_minmax_add(struct agg_val *s, const struct value *v, bool max,
    struct arena *arena)
{
	struct value	 num;

	if (!value_to_num(v, &num))
		num = *v;
	if (s->n == 0 || agg_beats(&num, &s->v, max))
		s->v = agg_keep(arena, &num);
	s->n++;
}

static void
agg_minmax_merge(struct agg_val *s, const struct agg_val *o, bool max,
    struct arena *arena)
{
	if (s->n == 0) {
		agg_val_take(s, o, arena);
		return;
	}
	if (agg_beats(&o->v, &s->v, max))
		s->v = agg_keep(arena, &o->v);
	s->n += o->n;
}

static int
agg_min_add(struct agg *r, void *state, const struct value *v,
    struct arena *arena)
{
	agg_minmax_add(state, v, false, arena);
	return 0;
}

static int
agg_min_merge(struct agg *r, void *state, const void *o, struct arena *arena)
{
	agg_minmax_merge(state, o, false, arena);
	return 0;
}

static int
agg_max_add(struct agg *r, void *state, const struct value *v,
    struct arena *arena)
{
	agg_minmax_add(state, v, true, arena);
	return 0;
}

static int
agg_max_merge(struct agg *r, void *state, const void *o, struct arena *arena)
{
	agg_minmax_merge(state, o, true, arena);
	return 0;
}

const struct agg_def agg_min = {
	.name = "min",
	.size = sizeof(struct agg_val),
	.add = agg_min_add,
	.merge = agg_min_merge,
	.result = agg_val_result,
	.move = agg_val_move,
	.save = agg_val_save,
	.load = agg_val_load,
	.help = "the least value (numbers compared as numbers)",
};

const struct agg_def agg_max = {
	.name = "max",
	.size = sizeof(struct agg_val),
	.add = agg_max_add,
	.merge = agg_max_merge,
	.result = agg_val_result,
	.move = agg_val_move,
	.save = agg_val_save,
	.load = agg_val_load,
	.help = "the greatest value (numbers compared as numbers)",
};

/* ---- first, last: n and the first (last) value in arrival order ---- */

static int
agg_first_add(struct agg *r, void *state, const struct value *v,
    struct arena *arena)
{
	struct agg_val	*s = state;

	if (s->n == 0)
		s->v = value_copy(arena, v);
	s->n++;
	return 0;
}

static int
agg_first_merge(struct agg *r, void *state, const void *o,
    struct arena *arena)
{
	struct agg_val		*s = state;
	const struct agg_val	*so = o;

	if (s->n == 0)
		agg_val_take(s, so, arena);
	else
		s->n += so->n;
	return 0;
}

static int
agg_last_add(struct agg *r, void *state, const struct value *v,
    struct arena *arena)
{
	struct agg_val	*s = state;

	s->v = value_copy(arena, v);
	s->n++;
	return 0;
}

static int
agg_last_merge(struct agg *r, void *state, const void *o,
    struct arena *arena)
{
	struct agg_val		*s = state;
	const struct agg_val	*so = o;

	s->v = value_copy(arena, &so->v);
	s->n += so->n;
	return 0;
}

const struct agg_def agg_first = {
	.name = "first",
	.size = sizeof(struct agg_val),
	.add = agg_first_add,
	.merge = agg_first_merge,
	.result = agg_val_result,
	.move = agg_val_move,
	.save = agg_val_save,
	.load = agg_val_load,
	.help = "the first value in arrival order",
};

const struct agg_def agg_last = {
	.name = "last",
	.size = sizeof(struct agg_val),
	.add = agg_last_add,
	.merge = agg_last_merge,
	.result = agg_val_result,
	.move = agg_val_move,
	.save = agg_val_save,
	.load = agg_val_load,
	.help = "the last value in arrival order",
};
