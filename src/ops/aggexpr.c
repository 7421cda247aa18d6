/*
 * aggexpr.c - FUNC, the reduce argument of reduce, reduceByKey and the
 * window reductions, made into a reducer (state/agg.h): one of the named
 * reducers of state/agg.def, or else an expression over a and b, with an
 * optional inverse expression (INVFUNC) that lets windows slide it by
 * taking panes out.
 *
 * The expression reducer lives here, in ops, and not beside the named
 * ones in state/agg.c, because it evaluates expressions and the layering
 * puts expr above state (state includes nothing of expr).  It is an
 * agg_def like any other, not listed in agg.def: its state is n and a
 * value (struct agg_val, whose move, save and load it shares with first
 * and last), and its instance (struct aggexpr, a struct agg first)
 * carries the compiled expressions and a scratch arena they are
 * evaluated in, reset after each call; results are copied into the
 * arena the caller gives.  The first value a state takes is kept as it
 * is; each later one is folded in as FUNC(a = the state, b = the value).
 */
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "../expr/expr.h"
#include "../state/agg.h"
#include "op.h"

struct aggexpr {
	struct agg	 agg;
	char		*what;		/* "reduce function 'FUNC'" */
	struct expr	*fn;
	struct expr	*inv;		/* INVFUNC, or NULL */
	struct arena	 scratch;
	struct expr_ctx	 ctx;
};

/*
 * Evaluates E over A and B and copies the result into ARENA.  Returns 0,
 * or with a failing function the record_error result (showing SHOW)
 * made 1 (skip) or -1 (stop).
 */
static int
aggexpr_call(struct aggexpr *x, struct expr *e, const struct value *a,
    const struct value *b, struct value *out, struct arena *arena,
    const struct value *show)
{
	struct value	 res;
	int		 rc = 0;

	x->ctx.a = *a;
	x->ctx.b = *b;
	x->ctx.err = NULL;
	if (expr_eval(e, &x->ctx, &res) == -1) {
		rc = record_error(x->what, show, "%s",
		    x->ctx.err ? x->ctx.err : "evaluation failed");
		rc = rc == -1 ? -1 : 1;
	} else
		*out = value_copy(arena, &res);
	arena_reset(&x->scratch);
	return rc;
}

static int
aggexpr_add(struct agg *r, void *state, const struct value *v,
    struct arena *arena)
{
	struct aggexpr	*x = (struct aggexpr *)r;
	struct agg_val	*s = state;
	struct value	 out;
	int		 rc;

	if (s->n == 0)
		s->v = value_copy(arena, v);
	else {
		if ((rc = aggexpr_call(x, x->fn, &s->v, v, &out, arena, v)) != 0)
			return rc == -1 ? -1 : 0;
		s->v = out;
	}
	s->n++;
	return 0;
}

static int
aggexpr_merge(struct agg *r, void *state, const void *o, struct arena *arena)
{
	struct aggexpr		*x = (struct aggexpr *)r;
	struct agg_val		*s = state;
	const struct agg_val	*so = o;
	struct value		 out;
	int			 rc;

	if (s->n == 0)
		s->v = value_copy(arena, &so->v);
	else {
		rc = aggexpr_call(x, x->fn, &s->v, &so->v, &out, arena,
		    &so->v);
		if (rc != 0)
			return rc == -1 ? -1 : 0;
		s->v = out;
	}
	s->n += so->n;
	return 0;
}

static int
aggexpr_sub(struct agg *r, void *state, const void *o, struct arena *arena)
{
	struct aggexpr		*x = (struct aggexpr *)r;
	struct agg_val		*s = state;
	const struct agg_val	*so = o;
	struct value		 out;
	int			 rc;

	rc = aggexpr_call(x, x->inv, &s->v, &so->v, &out, arena, &so->v);
	if (rc != 0)
		return rc == -1 ? -1 : 0;
	s->v = out;
	s->n -= so->n;
	return 0;
}

static void
aggexpr_free(struct agg *r)
{
	struct aggexpr	*x = (struct aggexpr *)r;

	expr_free(x->fn);
	expr_free(x->inv);
	expr_ctx_free(&x->ctx);
	arena_free(&x->scratch);
	free(x->what);
	free(x);
}

/* A FUNC without inverse: windows slide it through panes. */
static const struct agg_def aggexpr_plain = {
	.name = "expression",
	.size = sizeof(struct agg_val),
	.add = aggexpr_add,
	.merge = aggexpr_merge,
	.result = agg_val_result,
	.move = agg_val_move,
	.save = agg_val_save,
	.load = agg_val_load,
	.free = aggexpr_free,
};

/* A FUNC given an INVFUNC. */
static const struct agg_def aggexpr_inverse = {
	.name = "expression",
	.size = sizeof(struct agg_val),
	.add = aggexpr_add,
	.merge = aggexpr_merge,
	.sub = aggexpr_sub,
	.result = agg_val_result,
	.move = agg_val_move,
	.save = agg_val_save,
	.load = agg_val_load,
	.free = aggexpr_free,
};

struct agg *
aggexpr_parse(const char *func, const char *inv, char **cause)
{
	const struct agg_def	*def;
	struct aggexpr		*x;
	struct agg		*r;
	char			*why = NULL;

	if ((r = agg_parse(func, cause)) != NULL || *cause != NULL) {
		if (r == NULL)
			return NULL;
		def = r->def;
		if (inv != NULL && def->sub == NULL) {
			xasprintf(cause, "%s has no inverse: drop '%s' "
			    "(windows slide %s through panes)", func, inv,
			    func);
			agg_free(r);
			return NULL;
		}
		/* sum, count and avg use their own exact inverse: another
		 * argument there is a mistake (a duration too many, a typo),
		 * not something to drop silently. */
		if (inv != NULL) {
			xasprintf(cause, "%s has its own inverse: drop '%s' "
			    "(FUNC [INVFUNC] L [S])", func, inv);
			agg_free(r);
			return NULL;
		}
		return r;
	}

	x = xcalloc(1, sizeof *x);
	x->agg.def = inv != NULL ? &aggexpr_inverse : &aggexpr_plain;
	arena_init(&x->scratch);
	expr_ctx_init(&x->ctx, &x->scratch);
	xasprintf(&x->what, "reduce function '%s'", func);
	x->agg.what = x->what;
	if ((x->fn = expr_compile(func, EXPR_AB, &why)) == NULL) {
		xasprintf(cause, "reduce function: %s", why);
		goto fail;
	}
	if (inv != NULL && (x->inv = expr_compile(inv, EXPR_AB, &why)) == NULL) {
		xasprintf(cause, "inverse function: %s", why);
		goto fail;
	}
	return &x->agg;

fail:
	free(why);
	aggexpr_free(&x->agg);
	return NULL;
}
