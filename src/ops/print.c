/*
 * print.c - Spark's DStream.print(), byte for byte.
 *
 * At each flush it writes a line of 43 dashes, "Time: <ms> ms", the
 * dashes again, the first N records of the batch or window (tuples as
 * "(k,v)"), "..." when there were more, and an empty line.  print writes
 * to stdout itself and is the last operator of a chain: the sink after
 * it receives nothing and only flushes stdout.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "../sinks/sink.h"
#include "op.h"

#define PRINT_DEFAULT	10

static const char print_dashes[] =
    "-------------------------------------------\n";

struct printop {
	struct op	 op;
	int64_t		 limit;
	int64_t		 seen;
	struct buf	 lines;		/* the first LIMIT records, formatted */
	struct counters	*counters;	/* the run's: records_out */
};

static int
printop_push(struct op *op, struct value *v, int64_t end_ms)
{
	struct printop	*p = (struct printop *)op;

	if (p->seen++ >= p->limit)
		return 0;
	sink_format(&p->lines, FMT_SPARK, v, 0, false);
	buf_addc(&p->lines, '\n');
	p->counters->records_out++;
	return 0;
}

static int
printop_flush(struct op *op, int64_t end_ms)
{
	struct printop	*p = (struct printop *)op;
	struct buf	 head = BUF_INIT;
	int		 rc;

	buf_adds(&head, print_dashes);
	buf_printf(&head, "Time: %" PRId64 " ms\n", end_ms);
	buf_adds(&head, print_dashes);
	rc = out_write(head.p, head.len);
	buf_free(&head);
	if (rc == 0 && p->lines.len != 0)
		rc = out_write(p->lines.p, p->lines.len);
	if (rc == 0 && p->seen > p->limit)
		rc = out_write("...\n", 4);
	if (rc == 0)
		rc = out_write("\n", 1);
	buf_reset(&p->lines);
	p->seen = 0;
	if (rc != 0)
		return -1;
	return op_forward_flush(op, end_ms);
}

static void
printop_free(struct op *op)
{
	struct printop	*p = (struct printop *)op;

	buf_free(&p->lines);
	free(p);
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
	p->counters = env->counters;
	return &p->op;
}

const struct op_def op_print = {
	.name = "print",
	.args = "[N]",
	.min_args = 0,
	.max_args = 1,
	.flags = OP_LAST,
	.help = "Writes, at the end of each batch or window, Spark's "
	    "DStream.print() layout: a line of dashes, \"Time: <epoch ms> "
	    "ms\", dashes, the first N records (default 10; pairs as (k,v)), "
	    "\"...\" when there were more, and an empty line.  It must be "
	    "the last operator.  Example: flatMap 'split($0, \" \")' then "
	    "map '(x, 1)' then reduceByKey sum then print is Spark's "
	    "NetworkWordCount.",
	.create = printop_create
};
