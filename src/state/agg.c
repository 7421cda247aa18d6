/*
 * agg.c - the named reducers (sum count min max avg first last) and
 * what every reducer shares: the lookup by name over agg.def and the
 * encoding of states for checkpoints (the part of merge and sub that is
 * the same for all is inline in agg.h).
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
 * The encoding is local until state/snap.c brings the checkpoint's typed
 * writer and reader (and should then call those instead): an integer is
 * 8 bytes little-endian, a double the 8 bytes of its bits the same way;
 * a value is its type byte then nothing (null), 1 byte (bool), 8 (int,
 * double), a 4-byte length and the bytes (string), or a 4-byte count and
 * the elements (tuple, array; an object's keys and values alternating).
 * A state is its fields in order: n, then the value or the sum.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "agg.h"

/* Nesting deeper than this in a saved value is refused by load. */
#define AGG_DEPTH_MAX	4096

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
	struct agg	*r = xcalloc(1, sizeof *r);

	r->def = def;
	r->what = def->name;
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

/* ---- the encoding (see the top of the file) ---- */

static void
agg_put_u64(struct buf *b, uint64_t x)
{
	unsigned char	 c[8];
	int		 i;

	for (i = 0; i < 8; i++)
		c[i] = (unsigned char)(x >> (8 * i));
	buf_add(b, c, 8);
}

static void
agg_put_u32(struct buf *b, uint32_t x)
{
	unsigned char	 c[4];
	int		 i;

	for (i = 0; i < 4; i++)
		c[i] = (unsigned char)(x >> (8 * i));
	buf_add(b, c, 4);
}

static void
agg_put_dbl(struct buf *b, double d)
{
	uint64_t	 x;

	memcpy(&x, &d, sizeof x);
	agg_put_u64(b, x);
}

/* Reads N (at most 8) bytes little-endian; -1 when fewer are left. */
static int
agg_get_le(const char **p, const char *end, int n, uint64_t *x)
{
	const unsigned char	*s = (const unsigned char *)*p;
	int			 i;

	if (end - *p < n)
		return -1;
	*x = 0;
	for (i = n; i-- > 0; )
		*x = *x << 8 | s[i];
	*p += n;
	return 0;
}

static void
agg_put_value(struct buf *b, const struct value *v)
{
	uint32_t	 i, n;

	buf_addc(b, v->type);
	switch (v->type) {
	case V_BOOL:
		buf_addc(b, v->u.b ? 1 : 0);
		break;
	case V_INT:
		agg_put_u64(b, (uint64_t)v->u.i);
		break;
	case V_DBL:
		agg_put_dbl(b, v->u.d);
		break;
	case V_STR:
		agg_put_u32(b, v->n);
		buf_add(b, v->u.s, v->n);
		break;
	case V_TUPLE:
	case V_ARR:
	case V_OBJ:
		agg_put_u32(b, v->n);
		n = v->type == V_OBJ ? 2 * v->n : v->n;
		for (i = 0; i < n; i++)
			agg_put_value(b, &v->u.a[i]);
		break;
	default:
		break;
	}
}

/*
 * Reads a value saved by agg_put_value into *V, its memory from A.
 * Returns 0, or -1 when the bytes are short or malformed (an unknown
 * type, an object key that is not a string, nesting past DEPTH_MAX).
 */
static int
agg_get_value(const char **p, const char *end, struct arena *a,
    struct value *v, int depth)
{
	uint64_t	 x;
	uint32_t	 i, n;
	size_t		 nel;
	char		*s;

	if (depth > AGG_DEPTH_MAX || end - *p < 1)
		return -1;
	*v = value_null();
	v->type = (uint8_t)*(*p)++;
	switch (v->type) {
	case V_NULL:
		return 0;
	case V_BOOL:
		if (agg_get_le(p, end, 1, &x) == -1 || x > 1)
			return -1;
		v->u.b = x == 1;
		return 0;
	case V_INT:
		if (agg_get_le(p, end, 8, &x) == -1)
			return -1;
		v->u.i = (int64_t)x;
		return 0;
	case V_DBL:
		if (agg_get_le(p, end, 8, &x) == -1)
			return -1;
		memcpy(&v->u.d, &x, sizeof v->u.d);
		return 0;
	case V_STR:
		if (agg_get_le(p, end, 4, &x) == -1 || (uint64_t)(end - *p) < x)
			return -1;
		v->n = (uint32_t)x;
		if (v->n == 0)
			v->u.s = "";
		else {
			s = arena_alloc(a, v->n);
			memcpy(s, *p, v->n);
			v->u.s = s;
		}
		*p += v->n;
		return 0;
	case V_TUPLE:
	case V_ARR:
	case V_OBJ:
		if (agg_get_le(p, end, 4, &x) == -1)
			return -1;
		v->n = n = (uint32_t)x;
		nel = v->type == V_OBJ ? 2 * (size_t)n : n;
		/* Each element takes a byte at least: no huge allocation. */
		if (nel > (size_t)(end - *p))
			return -1;
		v->u.a = NULL;
		if (nel == 0)
			return 0;
		v->u.a = arena_alloc(a, nel * sizeof *v->u.a);
		for (i = 0; i < nel; i++) {
			if (agg_get_value(p, end, a, &v->u.a[i], depth + 1) == -1)
				return -1;
			if (v->type == V_OBJ && i % 2 == 0 &&
			    v->u.a[i].type != V_STR)
				return -1;
		}
		return 0;
	default:
		return -1;
	}
}

/* Reads n, which must not be negative; -1 otherwise. */
static int
agg_get_n(const char **p, const char *end, int64_t *n)
{
	uint64_t	 x;

	if (agg_get_le(p, end, 8, &x) == -1 || (int64_t)x < 0)
		return -1;
	*n = (int64_t)x;
	return 0;
}

/* Sets *CAUSE for a state of reducer NAME that could not be read. */
static int
agg_bad(const char *name, char **cause)
{
	xasprintf(cause, "%s state: truncated or malformed", name);
	return -1;
}

/* ---- states of n and a value: min max first last, and custom ---- */

void
agg_val_move(void *state, struct arena *a)
{
	struct agg_val	*s = state;

	s->v = value_copy(a, &s->v);
}

int
agg_val_save(const void *state, struct buf *out)
{
	const struct agg_val	*s = state;

	agg_put_u64(out, (uint64_t)s->n);
	agg_put_value(out, &s->v);
	return 0;
}

int
agg_val_load(void *state, const char **p, const char *end, struct arena *a,
    char **cause)
{
	struct agg_val	*s = state;

	memset(s, 0, sizeof *s);
	if (agg_get_n(p, end, &s->n) == -1 ||
	    agg_get_value(p, end, a, &s->v, 0) == -1)
		return agg_bad("reducer", cause);
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

/* Takes O's value and n into the empty state S (a merge into nothing). */
static void
agg_val_take(struct agg_val *s, const struct agg_val *o, struct arena *a)
{
	s->v = value_copy(a, &o->v);
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

/* Orders X and Y for min and max: as numbers when both are numeric. */
static int
agg_cmp(const struct value *x, const struct value *y)
{
	struct value	 nx, ny;

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
agg_sum_load(void *state, const char **p, const char *end, struct arena *a,
    char **cause)
{
	struct agg_val	*s = state;

	memset(s, 0, sizeof *s);
	if (agg_get_n(p, end, &s->n) == -1 ||
	    agg_get_value(p, end, a, &s->v, 0) == -1 ||
	    (s->n != 0 && !value_is_num(&s->v)))
		return agg_bad("sum", cause);
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
agg_count_save(const void *state, struct buf *out)
{
	agg_put_u64(out, (uint64_t)((const struct agg_cnt *)state)->n);
	return 0;
}

static int
agg_count_load(void *state, const char **p, const char *end,
    struct arena *a, char **cause)
{
	if (agg_get_n(p, end, &((struct agg_cnt *)state)->n) == -1)
		return agg_bad("count", cause);
	return 0;
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
agg_avg_save(const void *state, struct buf *out)
{
	const struct agg_avgst	*s = state;

	agg_put_u64(out, (uint64_t)s->n);
	agg_put_dbl(out, s->sum);
	return 0;
}

static int
agg_avg_load(void *state, const char **p, const char *end, struct arena *a,
    char **cause)
{
	struct agg_avgst	*s = state;
	uint64_t		 x;

	if (agg_get_n(p, end, &s->n) == -1 || agg_get_le(p, end, 8, &x) == -1)
		return agg_bad("avg", cause);
	memcpy(&s->sum, &x, sizeof s->sum);
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
		s->v = value_copy(arena, &num);
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
		s->v = value_copy(arena, &o->v);
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
};
