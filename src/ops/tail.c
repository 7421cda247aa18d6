/*
 * tail.c - the tail: the last op of every chain, which hands the chain's
 * output rows to the sink (sinks/sink.h).
 *
 * chain_build appends it; chain_sink gives it its sink.  For each batch
 * or window with output it calls begin(end) before the first row, row()
 * for every record, and commit(end) when the chain flushes that end; an
 * end flushed with no rows still gets begin and commit.  It counts the
 * records out (--stats out=).  With --serve, every call is made on the
 * dashboard's tap too (chain_tap), before the destination's.  print,
 * the one operator that lays its output out itself, comes just before
 * it and says with tail_cut when a batch had more rows than it shows.
 *
 * Checkpoints: at a batch boundary it holds nothing (the commit ends the
 * batch in hand), so it has no save or load hook; where the destination
 * stands is the sink's own save and load.
 */
#include <stdlib.h>

#include "../dstream.h"
#include "../sinks/sink.h"
#include "op.h"

struct tail {
	struct op	 op;
	struct sink	*sink;
	struct sink	*tap;		/* the dashboard's copy, or NULL */
	struct counters	*counters;	/* the run's: records_out */
	bool		 begun;		/* begin called for the batch in hand */
};

static const struct op_def tail_def = {
	.name = "tail",
	.args = "",
	.help = "hands the chain's output rows to the destination"
};

static int
tail_push(struct op *op, struct value *v, int64_t end_ms)
{
	struct tail	*t = (struct tail *)op;

	t->counters->records_out++;
	if (!t->begun) {
		if (sink_begin(t->sink, end_ms) != 0)
			return -1;
		if (t->tap != NULL && sink_begin(t->tap, end_ms) != 0)
			return -1;
		t->begun = true;
	}
	if (t->tap != NULL && sink_row(t->tap, v, end_ms) != 0)
		return -1;
	return sink_row(t->sink, v, end_ms);
}

static int
tail_flush(struct op *op, int64_t end_ms)
{
	struct tail	*t = (struct tail *)op;

	if (!t->begun && (sink_begin(t->sink, end_ms) != 0 ||
	    (t->tap != NULL && sink_begin(t->tap, end_ms) != 0)))
		return -1;
	t->begun = false;
	if (t->tap != NULL && sink_commit(t->tap, end_ms) != 0)
		return -1;
	return sink_commit(t->sink, end_ms);
}

static void
tail_free(struct op *op)
{
	free(op);
}

struct op *
tail_create(const struct op_env *env)
{
	struct tail	*t = xcalloc(1, sizeof *t);

	t->counters = env->counters;
	t->op.def = &tail_def;
	t->op.push = tail_push;
	t->op.flush = tail_flush;
	t->op.free = tail_free;
	return &t->op;
}

void
tail_sink(struct op *op, struct sink *sink)
{
	struct tail	*t = (struct tail *)op;

	t->sink = sink;
}

void
tail_tap(struct op *op, struct sink *tap)
{
	struct tail	*t = (struct tail *)op;

	t->tap = tap;
}

void
tail_cut(struct op *op)
{
	struct tail	*t = (struct tail *)op;

	if (op->def == &tail_def) {
		t->sink->cut = true;
		if (t->tap != NULL)
			t->tap->cut = true;
	}
}
