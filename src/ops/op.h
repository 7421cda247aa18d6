/*
 * op.h - the operator interface.
 *
 * A pipeline is a chain of ops.  The engine pushes records into the first
 * one; each op pushes what it emits into op->next.  At the end of every
 * batch the engine calls flush(end_ms) on the first op; an op emits what
 * the batch (or window) produced, then flushes its successor.  The last op
 * is the tail (tail.c), which hands the rows to the destination (a sink,
 * sinks/sink.h).
 *
 * Memory rule: a value pushed into an op is valid only during that push
 * call.  An op that keeps it copies it (value_copy) into its own arena or
 * table.  Values an op emits during flush live in the op's memory and stay
 * valid until the op's flush returns.
 *
 * The control plane is struct op_def (one per operator, listed once in
 * ops.def), as tmux's cmd_entry: written with designated initializers, it
 * says how many arguments the operator takes (checked once, by
 * chain_build, before create is called) and what the chain must respect
 * (OP_LAST); its create function checks the arguments' content and
 * builds the op.
 */
#ifndef DSTREAM_OP_H
#define DSTREAM_OP_H

#include <stdbool.h>
#include <stdint.h>

#include "../dstream.h"
#include "../expr/expr.h"
#include "../state/agg.h"

struct op;
struct sink;
struct snap_rd;

/*
 * What chain_build hands every create: the run's settings (window ops
 * check their lengths against the batch interval) and the run-wide
 * counters (records out).  Both are main's and outlive the chain.
 */
struct op_env {
	const struct config	*cfg;
	struct counters		*counters;
};

/* op_def flags. */
#define OP_LAST		0x1	/* must be the last operator (print) */
/*
 * For chains rebuilt when a Kafka group moves partitions (engine/rebuild.c):
 * KEYED keeps records or state by key (a pair's first element, or the
 * record itself when it is no pair), BYVALUE by the whole record,
 * UNBOUNDED holds state longer than its span (it cannot be rebuilt from
 * a span's records), OUTPUT writes output itself, BATCH holds records
 * or rows until a batch ends without keys (count, sortBy); the rebuild's
 * own ops are HIDDEN (chain_save and chain_load pass over them).
 */
#define OP_KEYED	0x2
#define OP_BYVALUE	0x4
#define OP_UNBOUNDED	0x8
#define OP_OUTPUT	0x10
#define OP_HIDDEN	0x20	/* not the user's: not in checkpoints */
#define OP_BATCH	0x40	/* emits at a batch's end what it holds */

struct op_def {
	const char	*name;		/* as in Spark: "reduceByKey" */
	const char	*args;		/* synopsis of the arguments: "FUNC" */
	const char	*help;		/* what it emits, one paragraph */
	int		 min_args;	/* fewest arguments */
	int		 max_args;	/* most arguments */
	int		 flags;		/* OP_* */
	/*
	 * Builds the op from its arguments (ARGV[0] is the first argument,
	 * not the name); ARGC is within [min_args, max_args] already.
	 * Returns NULL and sets *CAUSE (caller frees) when the arguments
	 * are wrong.
	 */
	struct op	*(*create)(const struct op_def *, const struct op_env *,
			    int argc, char **argv, char **cause);
};

struct op {
	const struct op_def	*def;
	struct op		*next;
	/*
	 * Pushes one record of the batch (or window) ending at END_MS.
	 * Returns 0, or -1 to stop the run (status 1).
	 */
	int	(*push)(struct op *, struct value *v, int64_t end_ms);
	/* The batch ending at END_MS is complete.  Returns 0 or -1. */
	int	(*flush)(struct op *, int64_t end_ms);
	void	(*free)(struct op *);
	/*
	 * Opens what the op writes to itself (saveAsTextFiles' files),
	 * once the command line has passed every usage check (chain_sink).
	 * Returns 0, or -1 with *CAUSE set (caller frees): the run ends
	 * with status 1.  NULL for most ops.
	 */
	int	(*open)(struct op *, char **cause);
	/*
	 * The run starts afresh: no checkpoint is resumed (none asked for,
	 * or none written yet).  Called once, after open and before the
	 * first record and the first checkpoint (chain_fresh), to set up
	 * what only a fresh start has (updateStateByKey's initial states);
	 * a resumed run has its state from the checkpoint instead, and
	 * this is not called.  Returns 0, or -1 with *CAUSE set (caller
	 * frees): the run ends with status 1.  NULL for most ops.
	 */
	int	(*fresh)(struct op *, char **cause);
	/*
	 * SIGHUP came: reads again what the op loaded at open (join's
	 * table), keeping what it had when that fails (and saying so).
	 * Called by the engine between records, never during a push.
	 * NULL for most ops.
	 */
	void	(*reload)(struct op *);
	/*
	 * How far past the last record this op still holds data, in ms
	 * (window length; 0 for per-batch ops).  After the last input the
	 * engine keeps flushing empty batches this long so trailing windows
	 * are emitted.  Set by create.
	 */
	int64_t	 span_ms;
	/*
	 * How often the op emits what it holds, in ms (window slide; 0 for
	 * per-batch ops): a stop drains only until every window holding
	 * the last record has been emitted once (chain_settle).  Set by
	 * create.
	 */
	int64_t	 slide_ms;
	/*
	 * Processing time: the batch ends up to this one were closed by the
	 * wall clock while the inputs were open (chain_live), so a window
	 * ending there is emitted even when empty, as Spark emits every
	 * slide.  INT64_MIN in event time and until the first tick; the
	 * ends the drain at end of input closes ahead of the clock lie
	 * past it.  Set by chain_build and chain_live.
	 */
	int64_t	 live_ms;
	/*
	 * Checkpoint hooks, called at a batch boundary only (after a
	 * flush); NULL when the op holds nothing across batches.  save
	 * appends the op's state (state/snap.h encoding) to the buffer and
	 * returns 0, or -1 with *CAUSE set (caller frees).  load reads
	 * that back into an op just built from the same arguments, so that
	 * it goes on as the saved one would have; it returns 0, or -1 with
	 * the cause in the reader.
	 */
	int	(*save)(struct op *, struct buf *, char **cause);
	int	(*load)(struct op *, struct snap_rd *);
	/*
	 * What the op holds across batches, for --stats: keys (keyed
	 * state) or records (window, groupByKeyAndWindow).  NULL: nothing.
	 */
	size_t	(*held)(struct op *);
};

/* Default behaviours an op can use. */
int	op_forward_flush(struct op *, int64_t end_ms);	/* flushes next */
/*
 * Pushes V into next as part of the batch or window ending at END_MS.
 * Inline: every record and every row of output goes through it.
 */
static inline int
op_emit(struct op *op, struct value *v, int64_t end_ms)
{
	if (op->next == NULL)
		return 0;
	return op->next->push(op->next, v, end_ms);
}

/* The operator table (ops.def) and its lookup. */
const struct op_def	*op_find(const char *name);
/* Whether NAME is an operator of DESIGN that is not available yet. */
bool			 op_planned(const char *name);
/* Iterates all op_defs (for --help and the man page check); NULL at end. */
const struct op_def	*op_def_at(int i);

/*
 * Builds the chain from ARGV (operators joined by "then") and appends
 * the tail.  Returns the head, or NULL with *CAUSE set (usage error).
 * ENV's pointers must outlive the chain.
 */
struct op	*chain_build(const struct op_env *env, int argc, char **argv,
		    char **cause);
/*
 * Hands SINK (which the caller owns) to the chain's tail before the run;
 * a chain ending in print gets Spark's print() layout in SINK.  Then
 * opens every op's own output (struct op's open).  Returns 0, or -1
 * with *CAUSE set (caller frees).
 */
int		 chain_sink(struct op *, struct sink *, char **cause);
/*
 * The run starts afresh (no checkpoint resumed): calls every op's fresh
 * hook, in chain order.  Returns 0, or -1 with *CAUSE set (caller
 * frees) by the first that fails.
 */
int		 chain_fresh(struct op *, char **cause);
/*
 * Hands the chain's output rows also to TAP (--serve's copy), which the
 * caller owns; the chain's destination still gets them all.
 */
void		 chain_tap(struct op *, struct sink *tap);
void		 chain_free(struct op *);
/* Whether an op of the chain has a reload hook (SIGHUP means something). */
bool		 chain_reloads(const struct op *);
/* Calls every op's reload hook (SIGHUP). */
void		 chain_reload(struct op *);
/* Sum of what the ops of the chain hold (struct op's held), for --stats. */
size_t		 chain_held(struct op *);
/*
 * Processing time, inputs open, no regular file being read: the wall
 * clock is at NOW, and the batch ends it passes are flushed next (every
 * op's live_ms).
 */
void		 chain_live(struct op *, int64_t now);
/* Largest span_ms summed along the chain (windows after windows add up). */
int64_t		 chain_span(const struct op *);
/*
 * How far past the batch of the last record (batches of BATCH_MS) the
 * chain must be flushed for each of its windows to have emitted the
 * window holding that record: the slides less a batch, summed along the
 * chain (a window's output is the next one's input).
 */
int64_t		 chain_settle(const struct op *, int64_t batch_ms);
/*
 * Checkpoints of the whole chain, at a batch boundary: chain_save
 * appends the number of ops, then a section per op holding its name and
 * what its save hook writes.  Returns 0, or -1 with *CAUSE set.
 * chain_load reads that into a chain just built from the same command
 * line; it refuses (-1, the cause in R) a different chain ("the
 * checkpoint's operator 2 is 'window', this pipeline's is 'map'") and
 * anything an op's load refuses.
 */
int		 chain_save(struct op *, struct buf *, char **cause);
int		 chain_load(struct op *, struct snap_rd *);

/*
 * The tail (tail.c): the last op of every chain, which hands the rows
 * it is pushed to its sink (begin, row, commit; see sinks/sink.h).
 */
struct op	*tail_create(const struct op_env *env);
void		 tail_sink(struct op *, struct sink *);
/* Also hands every row to TAP (the dashboard's), before the sink. */
void		 tail_tap(struct op *, struct sink *tap);
/*
 * print's word to the tail after it: the batch in hand had more records
 * than print forwarded, so the text layout shows "...".
 */
void		 tail_cut(struct op *);

/* Shared helpers for operators. */

/*
 * FUNC as a reducer (aggexpr.c): a named one of state/agg.def ("sum",
 * "count", "min", "max", "avg", "first", "last", the sketches "distinct",
 * "p50".."p99", "quantile(Q)", "topk(K)", read by agg_parse) or an
 * expression over a and b; INV (or NULL) an inverse expression, only for the latter (a
 * named reducer has its own inverse or none).  Returns the instance
 * (agg_free), or NULL with *CAUSE set.
 */
struct agg	*aggexpr_parse(const char *func, const char *inv, char **cause);

#endif
