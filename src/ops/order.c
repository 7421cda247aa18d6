/*
 * order.c - reordering and cutting a batch's (or a window's) output:
 * sortBy and take.
 *
 * sortBy holds the batch's records (copied into its arena, each with its
 * sort key evaluated on arrival) and emits them sorted at the flush; take
 * passes the first N records of each batch and drops the rest.  Chained,
 * `sortBy value desc then take 10` is a top-10 per batch or window.
 *
 * Checkpoints: at a batch boundary neither holds anything (sortBy's
 * records are emitted and take's count reset at the flush), so they
 * have no save or load hook.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "op.h"

/* One record held by sortBy. */
struct sortent {
	struct value	 key;
	struct value	 rec;
	size_t		 seq;		/* arrival order, for a stable sort */
};

struct sortop {
	struct op	 op;
	struct expr	*e;
	bool		 desc;
	struct arena	 scratch;	/* expression results, per record */
	struct expr_ctx	 ctx;
	struct arena	 mem;		/* held records and keys */
	struct sortent	*ents;
	size_t		 n;
	size_t		 cap;
};

struct takeop {
	struct op	 op;
	int64_t		 limit;
	int64_t		 seen;
};

static int
sortop_push(struct op *op, struct value *v, int64_t end_ms)
{
	struct sortop	*s = (struct sortop *)op;
	struct value	 key;
	struct sortent	*se;
	int		 rc = 0;

	expr_ctx_record(&s->ctx, v);
	s->ctx.err = NULL;
	if (expr_eval(s->e, &s->ctx, &key) == -1) {
		rc = record_error(op->def->name, v, "%s",
		    s->ctx.err != NULL ? s->ctx.err : "evaluation failed");
		goto out;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->ents = xreallocarray(s->ents, s->cap, sizeof *s->ents);
	}
	se = &s->ents[s->n];
	se->key = value_copy(&s->mem, &key);
	se->rec = value_copy(&s->mem, v);
	se->seq = s->n++;
out:
	arena_reset(&s->scratch);
	return rc;
}

static int
sortop_cmp_asc(const void *a, const void *b)
{
	const struct sortent	*x = a, *y = b;
	int			 c;

	if ((c = value_cmp(&x->key, &y->key)) != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
sortop_cmp_desc(const void *a, const void *b)
{
	const struct sortent	*x = a, *y = b;
	int			 c;

	if ((c = value_cmp(&y->key, &x->key)) != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
sortop_flush(struct op *op, int64_t end_ms)
{
	struct sortop	*s = (struct sortop *)op;
	size_t		 i;
	int		 rc = 0;

	if (s->n > 1)
		qsort(s->ents, s->n, sizeof *s->ents,
		    s->desc ? sortop_cmp_desc : sortop_cmp_asc);
	for (i = 0; i < s->n && rc == 0; i++)
		rc = op_emit(op, &s->ents[i].rec, end_ms);
	s->n = 0;
	arena_reset(&s->mem);
	if (rc == -1)
		return -1;
	return op_forward_flush(op, end_ms);
}

static void
sortop_free(struct op *op)
{
	struct sortop	*s = (struct sortop *)op;

	expr_free(s->e);
	expr_ctx_free(&s->ctx);
	arena_free(&s->scratch);
	arena_free(&s->mem);
	free(s->ents);
	free(s);
}

static struct op *
sortop_create(const struct op_def *def,
    const struct op_env *env, int argc, char **argv, char **cause)
{
	struct sortop	*s;
	char		*why = NULL;

	if (argc == 2 && strcmp(argv[1], "asc") != 0 &&
	    strcmp(argv[1], "desc") != 0) {
		xasprintf(cause, "%s: order must be asc or desc, not '%s'",
		    def->name, argv[1]);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->op.def = def;
	s->op.push = sortop_push;
	s->op.flush = sortop_flush;
	s->op.free = sortop_free;
	s->desc = argc == 2 && strcmp(argv[1], "desc") == 0;
	arena_init(&s->scratch);
	arena_init(&s->mem);
	expr_ctx_init(&s->ctx, &s->scratch);
	if ((s->e = expr_compile(argv[0], EXPR_X, &why)) == NULL) {
		xasprintf(cause, "%s: %s", def->name, why);
		free(why);
		sortop_free(&s->op);
		return NULL;
	}
	return &s->op;
}

static int
takeop_push(struct op *op, struct value *v, int64_t end_ms)
{
	struct takeop	*t = (struct takeop *)op;

	if (t->seen >= t->limit)
		return 0;
	t->seen++;
	return op_emit(op, v, end_ms);
}

static int
takeop_flush(struct op *op, int64_t end_ms)
{
	struct takeop	*t = (struct takeop *)op;

	t->seen = 0;
	return op_forward_flush(op, end_ms);
}

static void
takeop_free(struct op *op)
{
	free(op);
}

/*
 * Parses S as a count: decimal digits only, at most 2^62.  Returns it,
 * or -1 when S is not such a number.
 */
static int64_t
order_count_parse(const char *s)
{
	char		*end;
	long long	 n;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > (1LL << 62))
		return -1;
	return n;
}

static struct op *
takeop_create(const struct op_def *def,
    const struct op_env *env, int argc, char **argv, char **cause)
{
	struct takeop	*t;
	int64_t		 n;

	if ((n = order_count_parse(argv[0])) < 0) {
		xasprintf(cause, "%s: N must be a whole number, not '%s'",
		    def->name, argv[0]);
		return NULL;
	}
	t = xcalloc(1, sizeof *t);
	t->op.def = def;
	t->op.push = takeop_push;
	t->op.flush = takeop_flush;
	t->op.free = takeop_free;
	t->limit = n;
	return &t->op;
}

const struct op_def op_sortBy = {
	.name = "sortBy",
	.flags = OP_BATCH,
	.args = "EXPR [asc|desc]",
	.min_args = 1,
	.max_args = 2,
	.help = "Emits, at the end of each batch or window, its records "
	    "sorted by EXPR (ascending unless desc; records with equal EXPR "
	    "keep their order).  Values order as null < false < true < "
	    "numbers < strings < tuples < arrays < objects; strings compare "
	    "bytewise, so sort numeric text with num().  Example: "
	    "countByValue then sortBy value desc then take 10 gives the ten "
	    "most frequent records.",
	.create = sortop_create
};

const struct op_def op_take = {
	.name = "take",
	.flags = OP_BATCH,
	.args = "N",
	.min_args = 1,
	.max_args = 1,
	.help = "Emits the first N records of each batch or window and drops "
	    "the rest.  Example: sortBy value desc then take 10 keeps a top "
	    "10.",
	.create = takeop_create
};
