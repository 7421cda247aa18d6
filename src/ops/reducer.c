/*
 * reducer.c - the reduce functions behind reduce, reduceByKey and the
 * window reductions: the named ones (sum count min max avg first last)
 * and expressions over a and b.
 *
 * An aggregate (struct agg) folds values in one at a time (reducer_add),
 * folds another aggregate in (reducer_merge, for window panes) and, for
 * invertible reducers, takes one out (reducer_sub).  agg.n always counts
 * the values folded in, so an aggregate with n == 0 holds nothing and is
 * not emitted.  Values an aggregate keeps are copied into the arena the
 * caller gives; a custom function is evaluated in the reducer's own
 * scratch arena, reset after each call.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "op.h"

enum reducer_kind {
	R_SUM, R_COUNT, R_MIN, R_MAX, R_AVG, R_FIRST, R_LAST, R_CUSTOM
};

static const char *const reducer_names[] = {
	"sum", "count", "min", "max", "avg", "first", "last", NULL
};

struct reducer {
	enum reducer_kind	 kind;
	char			*what;		/* name in error messages */
	struct expr		*fn;		/* R_CUSTOM */
	struct expr		*inv;		/* inverse, or NULL */
	struct arena		 scratch;
	struct expr_ctx		 ctx;
};

struct reducer *
reducer_parse(const char *func, const char *inv, char **cause)
{
	struct reducer	*r;
	char		*why = NULL;
	int		 k;

	r = xcalloc(1, sizeof *r);
	arena_init(&r->scratch);
	expr_ctx_init(&r->ctx, &r->scratch);
	r->kind = R_CUSTOM;
	for (k = 0; reducer_names[k] != NULL; k++)
		if (strcmp(func, reducer_names[k]) == 0)
			r->kind = (enum reducer_kind)k;

	if (r->kind == R_CUSTOM) {
		xasprintf(&r->what, "reduce function '%s'", func);
		if ((r->fn = expr_compile(func, EXPR_AB, &why)) == NULL) {
			xasprintf(cause, "reduce function: %s", why);
			goto fail;
		}
	} else
		r->what = xstrdup(func);

	if (inv != NULL) {
		if (r->kind != R_CUSTOM && r->kind != R_SUM &&
		    r->kind != R_COUNT && r->kind != R_AVG) {
			xasprintf(cause, "%s has no inverse: drop '%s' "
			    "(windows slide %s through panes)", func, inv,
			    func);
			goto fail;
		}
		/* sum, count and avg use their own exact inverse: another
		 * argument there is a mistake (a duration too many, a typo),
		 * not something to drop silently. */
		if (r->kind != R_CUSTOM) {
			xasprintf(cause, "%s has its own inverse: drop '%s' "
			    "(FUNC [INVFUNC] L [S])", func, inv);
			goto fail;
		}
		if (r->kind == R_CUSTOM &&
		    (r->inv = expr_compile(inv, EXPR_AB, &why)) == NULL) {
			xasprintf(cause, "inverse function: %s", why);
			goto fail;
		}
	}
	return r;

fail:
	free(why);
	reducer_free(r);
	return NULL;
}

bool
reducer_invertible(const struct reducer *r)
{
	switch (r->kind) {
	case R_SUM:
	case R_COUNT:
	case R_AVG:
		return true;
	case R_CUSTOM:
		return r->inv != NULL;
	default:
		return false;
	}
}

void
reducer_free(struct reducer *r)
{
	if (r == NULL)
		return;
	expr_free(r->fn);
	expr_free(r->inv);
	expr_ctx_free(&r->ctx);
	arena_free(&r->scratch);
	free(r->what);
	free(r);
}

/*
 * Adds (or with SUB subtracts) numbers X and Y: ints stay ints unless
 * they overflow, anything else is a double.
 */
static struct value
reducer_arith(const struct value *x, const struct value *y, bool sub)
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
reducer_cmp(const struct value *x, const struct value *y)
{
	struct value	 nx, ny;

	if (value_to_num(x, &nx) && value_to_num(y, &ny))
		return value_cmp(&nx, &ny);
	return value_cmp(x, y);
}

/*
 * Evaluates E over A and B and copies the result into ARENA.  Returns 0,
 * or the result of record_error (showing SHOW) when the function fails.
 */
static int
reducer_call(struct reducer *r, struct expr *e, const struct value *a,
    const struct value *b, struct value *out, struct arena *arena,
    const struct value *show)
{
	struct value	 res;
	int		 rc = 0;

	r->ctx.a = *a;
	r->ctx.b = *b;
	r->ctx.err = NULL;
	if (expr_eval(e, &r->ctx, &res) == -1) {
		rc = record_error(r->what, show, "%s",
		    r->ctx.err ? r->ctx.err : "evaluation failed");
		rc = rc == -1 ? -1 : 1;
	} else
		*out = value_copy(arena, &res);
	arena_reset(&r->scratch);
	return rc;
}

/*
 * Returns 0 with V's numeric form in *NUM, 1 when V is not numeric and
 * the record is to be skipped, or -1 to stop the run.
 */
static int
reducer_num(struct reducer *r, const struct value *v, struct value *num)
{
	if (value_to_num(v, num))
		return 0;
	return record_error(r->what, v, "not a number") == -1 ? -1 : 1;
}

/*
 * Folds V into AGG.  A value the reducer cannot take (a non-number for
 * sum or avg, a failing custom function) is a per-record error: it is
 * left out and 0 returned, or -1 returned under --on-error fail.
 */
int
reducer_add(struct reducer *r, struct agg *agg, const struct value *v,
    struct arena *arena)
{
	struct value	 num, out;
	int		 rc;

	switch (r->kind) {
	case R_SUM:
		if ((rc = reducer_num(r, v, &num)) != 0)
			return rc == -1 ? -1 : 0;
		agg->v = agg->n == 0 ? num : reducer_arith(&agg->v, &num, false);
		break;
	case R_AVG:
		if ((rc = reducer_num(r, v, &num)) != 0)
			return rc == -1 ? -1 : 0;
		agg->sum += value_as_dbl(&num);
		break;
	case R_COUNT:
		break;
	case R_MIN:
	case R_MAX:
		if (!value_to_num(v, &num))
			num = *v;
		if (agg->n == 0 || (r->kind == R_MIN ?
		    reducer_cmp(&num, &agg->v) < 0 :
		    reducer_cmp(&num, &agg->v) > 0))
			agg->v = value_copy(arena, &num);
		break;
	case R_FIRST:
		if (agg->n == 0)
			agg->v = value_copy(arena, v);
		break;
	case R_LAST:
		agg->v = value_copy(arena, v);
		break;
	case R_CUSTOM:
		if (agg->n == 0) {
			agg->v = value_copy(arena, v);
			break;
		}
		if ((rc = reducer_call(r, r->fn, &agg->v, v, &out, arena, v)) != 0)
			return rc == -1 ? -1 : 0;
		agg->v = out;
		break;
	}
	agg->n++;
	return 0;
}

/*
 * Folds aggregate O (of later values) into AGG, as if O's values had
 * been added one by one after AGG's.
 */
int
reducer_merge(struct reducer *r, struct agg *agg, const struct agg *o,
    struct arena *arena)
{
	struct value	 out;
	int		 rc;

	if (o->n == 0)
		return 0;
	if (agg->n == 0) {
		agg->v = value_copy(arena, &o->v);
		agg->n = o->n;
		agg->sum = o->sum;
		return 0;
	}
	switch (r->kind) {
	case R_SUM:
		agg->v = reducer_arith(&agg->v, &o->v, false);
		break;
	case R_AVG:
		agg->sum += o->sum;
		break;
	case R_COUNT:
	case R_FIRST:
		break;
	case R_MIN:
		if (reducer_cmp(&o->v, &agg->v) < 0)
			agg->v = value_copy(arena, &o->v);
		break;
	case R_MAX:
		if (reducer_cmp(&o->v, &agg->v) > 0)
			agg->v = value_copy(arena, &o->v);
		break;
	case R_LAST:
		agg->v = value_copy(arena, &o->v);
		break;
	case R_CUSTOM:
		rc = reducer_call(r, r->fn, &agg->v, &o->v, &out, arena, &o->v);
		if (rc != 0)
			return rc == -1 ? -1 : 0;
		agg->v = out;
		break;
	}
	agg->n += o->n;
	return 0;
}

/*
 * Takes aggregate O (values folded in earlier) out of AGG.  Only for an
 * invertible reducer; returns -1 otherwise.  When nothing is left the
 * aggregate is zeroed, so rounding of doubles cannot linger.  Returns 1,
 * AGG unchanged, when a running sum has lost what subtracting needs
 * (it is infinite or NaN, or so large that a double drops units: an
 * int64 overflow, 1e16 + 1): the caller rebuilds AGG from what remains.
 */
int
reducer_sub(struct reducer *r, struct agg *agg, const struct agg *o,
    struct arena *arena)
{
	struct value	 out;
	int		 rc;

	if (!reducer_invertible(r))
		return -1;
	if (o->n == 0)
		return 0;
	if (agg->n <= o->n) {
		memset(agg, 0, sizeof *agg);
		return 0;
	}
	if ((r->kind == R_SUM && agg->v.type == V_DBL &&
	    !(fabs(agg->v.u.d) < 0x1p53)) ||
	    (r->kind == R_AVG && !(fabs(agg->sum) < 0x1p53)))
		return 1;
	switch (r->kind) {
	case R_SUM:
		agg->v = reducer_arith(&agg->v, &o->v, true);
		break;
	case R_AVG:
		agg->sum -= o->sum;
		break;
	case R_CUSTOM:
		rc = reducer_call(r, r->inv, &agg->v, &o->v, &out, arena, &o->v);
		if (rc != 0)
			return rc == -1 ? -1 : 0;
		agg->v = out;
		break;
	default:
		break;
	}
	agg->n -= o->n;
	return 0;
}

struct value
reducer_result(const struct reducer *r, const struct agg *agg)
{
	switch (r->kind) {
	case R_COUNT:
		return value_int(agg->n);
	case R_AVG:
		if (agg->n == 0)
			return value_null();
		return value_dbl(agg->sum / (double)agg->n);
	case R_SUM:
		if (agg->n == 0)
			return value_int(0);
		return agg->v;
	default:
		if (agg->n == 0)
			return value_null();
		return agg->v;
	}
}
