/*
 * print.c - Spark's DStream.print(), byte for byte.
 *
 * print lays nothing out itself: it is an operator like any other,
 * which forwards the first N records of each batch or window to the
 * tail (and on to the destination) and, when there were more, says so
 * with tail_cut.  The layout is the destination's: a chain that ends in
 * print has its text laid out in the spark format whatever -f and -s
 * say (chain_sink sets it), and the spark format gives exactly Spark's
 * print(): at each flush a line of 43 dashes, "Time: <ms> ms", the
 * dashes again (the Spark header, format_spark_header), the records
 * forwarded (tuples as "(k,v)"), "..." when the batch was cut, and an
 * empty line.  print must be the last operator, so that the tail comes
 * right after it.
 *
 * Checkpoints: at a batch boundary it holds nothing (the flush resets
 * its count), so it has no save or load hook.
 */
#include <errno.h>
#include <stdlib.h>

#include "../dstream.h"
#include "op.h"

#define PRINT_DEFAULT	10

struct printop {
	struct op	 op;
	int64_t		 limit;
	int64_t		 seen;		/* records of the batch so far */
};

static int
printop_push(struct op *op, struct value *v, int64_t end_ms)
{
	struct printop	*p = (struct printop *)op;

	if (p->seen++ >= p->limit)
		return 0;
	return op_emit(op, v, end_ms);
}

static int
printop_flush(struct op *op, int64_t end_ms)
{
	struct printop	*p = (struct printop *)op;

	if (p->seen > p->limit)
		tail_cut(op->next);
	p->seen = 0;
	return op_forward_flush(op, end_ms);
}

static void
printop_free(struct op *op)
{
	free(op);
}

static struct op *
printop_create(const struct op_def *def,
    const struct op_env *env, int argc, char **argv, char **cause)
{
	struct printop	*p;
	long long	 n = PRINT_DEFAULT;
	char		*end;

	if (argc == 1) {
		errno = 0;
		n = strtoll(argv[0], &end, 10);
		if (argv[0][0] < '0' || argv[0][0] > '9' || *end != '\0' ||
		    errno != 0 || n > (1LL << 62)) {
			xasprintf(cause, "%s: N must be a whole number, not "
			    "'%s'", def->name, argv[0]);
			return NULL;
		}
	}
	p = xcalloc(1, sizeof *p);
	p->op.def = def;
	p->op.push = printop_push;
	p->op.flush = printop_flush;
	p->op.free = printop_free;
	p->limit = n;
	return &p->op;
}

const struct op_def op_print = {
	.name = "print",
	.args = "[N]",
	.min_args = 0,
	.max_args = 1,
	.flags = OP_LAST | OP_OUTPUT,
	.help = "Writes, at the end of each batch or window, Spark's "
	    "DStream.print() layout: a line of dashes, \"Time: <epoch ms> "
	    "ms\", dashes, the first N records (default 10; pairs as (k,v)), "
	    "\"...\" when there were more, and an empty line.  It must be "
	    "the last operator.  Example: flatMap 'split($0, \" \")' then "
	    "map '(x, 1)' then reduceByKey sum then print is Spark's "
	    "NetworkWordCount.",
	.create = printop_create
};
