/*
 * record.c - the per-record operators: map, flatMap, filter, mapValues,
 * flatMapValues.
 *
 * Each evaluates one compiled expression per record and pushes what it
 * yields straight on; none keeps anything across records.  What the
 * expression builds lives in the op's scratch arena, which is reset once
 * the record's results have been pushed downstream (where anything kept
 * is copied, by the memory rule).
 *
 * Checkpoints: they hold nothing at a batch boundary, so they have no
 * save or load hook.
 */
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "op.h"

enum recop_kind { RK_MAP, RK_FLATMAP, RK_FILTER, RK_MAPVALUES, RK_FLATMAPVALUES };

struct recop {
	struct op		 op;
	enum recop_kind		 kind;
	struct expr		*e;
	struct arena		 scratch;
	struct expr_ctx		 ctx;
	int32_t			 field;	/* N of `map '$N'`, else 0 */
};

/* Reports the failed evaluation of the expression on record V. */
static int
recop_fail(struct recop *r, const struct value *v)
{
	return record_error(r->op.def->name, v, "%s",
	    r->ctx.err != NULL ? r->ctx.err : "evaluation failed");
}

/*
 * Pushes each element of array A on, each paired with KEY when KEY is
 * not NULL.  Returns 0 or -1.
 */
static int
recop_each(struct recop *r, const struct value *key, const struct value *a,
    int64_t end_ms)
{
	struct value	 out;
	uint32_t	 i;

	for (i = 0; i < a->n; i++) {
		if (key != NULL)
			out = value_pair(&r->scratch, *key, a->u.a[i]);
		else
			out = a->u.a[i];
		if (op_emit(&r->op, &out, end_ms) == -1)
			return -1;
	}
	return 0;
}

static int
recop_push(struct op *op, struct value *v, int64_t end_ms)
{
	struct recop		*r = (struct recop *)op;
	struct value		 res, out;
	const struct value	*key = NULL;
	int			 rc;

	if (r->kind == RK_MAPVALUES || r->kind == RK_FLATMAPVALUES) {
		if (!value_is_pair(v))
			return record_error(op->def->name, v,
			    "record is not a (key, value) pair");
		key = &v->u.a[0];
		expr_ctx_record(&r->ctx, &v->u.a[1]);
	} else
		expr_ctx_record(&r->ctx, v);

	r->ctx.err = NULL;
	if (expr_eval(r->e, &r->ctx, &res) == -1) {
		rc = recop_fail(r, v);
		goto out;
	}
	switch (r->kind) {
	case RK_MAP:
		rc = op_emit(op, &res, end_ms);
		break;
	case RK_FILTER:
		rc = value_truthy(&res) ? op_emit(op, v, end_ms) : 0;
		break;
	case RK_MAPVALUES:
		out = value_pair(&r->scratch, *key, res);
		rc = op_emit(op, &out, end_ms);
		break;
	case RK_FLATMAP:
	case RK_FLATMAPVALUES:
		/* A tuple is a fixed-size array: its elements too. */
		if (res.type != V_ARR && res.type != V_TUPLE) {
			rc = record_error(op->def->name, v, "'%s' gave %s %s, "
			    "not an array", expr_source(r->e),
			    res.type == V_ARR || res.type == V_OBJ ? "an" : "a",
			    value_type_name(&res));
			break;
		}
		rc = recop_each(r, key, &res, end_ms);
		break;
	default:
		rc = -1;
		break;
	}
out:
	arena_reset(&r->scratch);
	return rc;
}

/*
 * map's push: recop_push with the kind's switch and the pair cases left
 * out, so the commonest op of a chain (`map '$9'`) keeps a short frame.
 */
static int
recop_push_map(struct op *op, struct value *v, int64_t end_ms)
{
	struct recop	*r = (struct recop *)op;
	struct value	 res;
	int		 rc;

	expr_ctx_record(&r->ctx, v);
	if (expr_eval(r->e, &r->ctx, &res) == -1)
		rc = recop_fail(r, v);
	else
		rc = op_emit(op, &res, end_ms);
	arena_reset(&r->scratch);
	return rc;
}

/* map's push when the expression is a field alone (`map '$9'`). */
static int
recop_push_field(struct op *op, struct value *v, int64_t end_ms)
{
	struct recop	*r = (struct recop *)op;
	struct value	 res = expr_record_field(&r->ctx, v, r->field);
	int		 rc;

	rc = op_emit(op, &res, end_ms);
	/* A CSV field unquoted, a number's text: made in the scratch. */
	arena_reset(&r->scratch);
	return rc;
}

static void
recop_free(struct op *op)
{
	struct recop	*r = (struct recop *)op;

	expr_free(r->e);
	expr_ctx_free(&r->ctx);
	arena_free(&r->scratch);
	free(r);
}

static struct op *
recop_create(const struct op_def *def,
    const struct op_env *env, int argc, char **argv, char **cause)
{
	struct recop	*r;
	char		*why = NULL;

	r = xcalloc(1, sizeof *r);
	r->op.def = def;
	r->op.push = recop_push;
	r->op.flush = op_forward_flush;
	r->op.free = recop_free;
	if (strcmp(def->name, "map") == 0) {
		r->kind = RK_MAP;
		r->op.push = recop_push_map;
	} else if (strcmp(def->name, "flatMap") == 0)
		r->kind = RK_FLATMAP;
	else if (strcmp(def->name, "filter") == 0)
		r->kind = RK_FILTER;
	else if (strcmp(def->name, "mapValues") == 0)
		r->kind = RK_MAPVALUES;
	else
		r->kind = RK_FLATMAPVALUES;
	arena_init(&r->scratch);
	expr_ctx_init(&r->ctx, &r->scratch);
	if ((r->e = expr_compile(argv[0], EXPR_X, &why)) == NULL) {
		xasprintf(cause, "%s: %s", def->name, why);
		free(why);
		recop_free(&r->op);
		return NULL;
	}
	if (r->kind == RK_MAP && (r->field = expr_lone_field(r->e)) > 0)
		r->op.push = recop_push_field;
	return &r->op;
}

const struct op_def op_map = {
	.name = "map",
	.args = "EXPR",
	.min_args = 1,
	.max_args = 1,
	.help = "Emits EXPR of each record, one record out for each record "
	    "in.  Example: map '($9, 1)' turns each access-log line into the "
	    "pair (status, 1).",
	.create = recop_create
};

const struct op_def op_flatMap = {
	.name = "flatMap",
	.args = "EXPR",
	.min_args = 1,
	.max_args = 1,
	.help = "Emits each element of the array (or tuple) EXPR yields for "
	    "a record (none for an empty array); any other result is a "
	    "record error.  Example: flatMap 'split($0, \" \")' emits every "
	    "word of every line.",
	.create = recop_create
};

const struct op_def op_filter = {
	.name = "filter",
	.args = "EXPR",
	.min_args = 1,
	.max_args = 1,
	.help = "Emits the records for which EXPR is true (not null, false, "
	    "0 or \"\"), unchanged.  Example: filter '$9 >= 500' keeps the "
	    "server errors.",
	.create = recop_create
};

const struct op_def op_mapValues = {
	.name = "mapValues",
	.args = "EXPR",
	.min_args = 1,
	.max_args = 1,
	.help = "On (key, value) pairs: emits (key, EXPR) where x is the "
	    "value; the key is kept.  A record that is not a pair is a "
	    "record error.  Example: mapValues 'x / 1024' turns byte counts "
	    "into KiB.",
	.create = recop_create
};

const struct op_def op_flatMapValues = {
	.name = "flatMapValues",
	.args = "EXPR",
	.min_args = 1,
	.max_args = 1,
	.help = "On (key, value) pairs: emits (key, e) for each element e of "
	    "the array EXPR yields, where x is the value.  Example: "
	    "flatMapValues 'split(x, \",\")' gives one pair per tag.",
	.create = recop_create
};
