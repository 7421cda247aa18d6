/*
 * rebuild.c - windows rebuilt when a Kafka consumer group moves
 * partitions (issue 12 item 2, DESIGN sections 3 and 6).
 *
 * A member of a group reading in event time keeps, for each partition,
 * the end of the last batch or window it emitted (its bound) and commits
 * with it the offset of the first record still inside a window not yet
 * emitted (a window's length back: sources/kafka.c).  When its set of
 * partitions changes, the engine drops the chain and the clock and
 * builds both afresh (engine_rebuild), and the source reads every
 * partition it owns again from that offset: its own for the partitions
 * it kept, the group's for those new to it.  The fresh chain then holds
 * every record of every window not yet emitted, and emits each window
 * whole as the replay's watermark passes it; what it emits of a window
 * some member has already emitted is dropped here.
 *
 * Whose a row is: the record in flight's partition (cur_origin.kpart)
 * while a record is pushed; at a flush, where the operators emit what
 * they hold, the partition of the row's key.  The probe, before the
 * chain's first keyed operator, notes each key's partition as records
 * pass it (the key: a pair's first element, or the record itself for
 * countByValue and a record that is no pair), but only for records of
 * batches a bound may reach; the keys are forgotten once the flushes are
 * past every bound.  The gate, before the first operator that writes
 * output (print, saveAsTextFiles) or the tail, drops a row of a batch
 * ending at or before its partition's bound, and a row no partition
 * claims (an unkeyed aggregate, a key the probe did not see) at or
 * before this member's own last end.  A flush of an end this member
 * had flushed before, of which no row passed, is not passed on either
 * (print would show its header twice).  Rows keep their key from the
 * probe to the gate: an operator between that changes the key (a map
 * swapping key and value) makes the rows unclaimed.
 *
 * Possible only when the chain holds nothing for longer than its span
 * (rebuild_possible: no updateStateByKey, no session windows, whose
 * sessions may be longer), and writes output (saveAsTextFiles) only
 * after every operator that holds records: the gate before it would
 * keep the replayed records from the windows after it.
 */
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "../ops/op.h"
#include "../state/snap.h"
#include "../state/table.h"
#include "rebuild.h"

struct rebuild_op {
	struct op	 op;
	struct rebuild	*rb;
	bool		 whole;		/* the probe: the key is the record */
};

static const struct op_def rebuild_probe_def = {
	.name = "(rebuild probe)",
	.flags = OP_HIDDEN,
	.args = "",
	.help = "notes the partition of each key a rebuilt chain may emit"
};

static const struct op_def rebuild_gate_def = {
	.name = "(rebuild gate)",
	.flags = OP_HIDDEN,
	.args = "",
	.help = "drops the rows of windows already emitted"
};

/* V's key: a pair's first element, else V (or V itself when WHOLE). */
static inline const struct value *
rebuild_key(const struct value *v, bool whole)
{
	return !whole && value_is_pair(v) ? &v->u.a[0] : v;
}

bool
rebuild_possible(const struct op *op)
{
	bool	 output = false;

	for (; op != NULL; op = op->next) {
		if (op->def->flags & OP_UNBOUNDED)
			return false;
		/* The gate before that output would starve what follows. */
		if (output && (op->def->flags & (OP_KEYED | OP_BYVALUE |
		    OP_BATCH) || op->span_ms > 0))
			return false;
		if (op->def->flags & OP_OUTPUT)
			output = true;
	}
	return true;
}

static int
rebuild_probe_push(struct op *op, struct value *v, int64_t end)
{
	struct rebuild_op	*p = (struct rebuild_op *)op;
	struct rebuild		*rb = p->rb;
	int32_t			*part;
	bool			 isnew;

	if (end <= rb->top && cur_origin.kpart > 0) {
		if (rb->keys == NULL)
			rb->keys = table_new(sizeof *part);
		part = table_put(rb->keys, rebuild_key(v, p->whole), &isnew);
		*part = cur_origin.kpart;
	}
	return op_emit(op, v, end);
}

/* The bound of row V: its partition's, or the member's own. */
static int64_t
rebuild_bound(struct rebuild *rb, const struct value *v)
{
	int32_t		*part, kp = cur_origin.kpart;

	if (kp == 0 && rb->keys != NULL &&
	    (part = table_find(rb->keys, rebuild_key(v, false))) != NULL)
		kp = *part;
	if (kp > 0 && (size_t)kp <= rb->nbound)
		return rb->bound[kp - 1];
	return rb->self;
}

static int
rebuild_gate_push(struct op *op, struct value *v, int64_t end)
{
	struct rebuild	*rb = ((struct rebuild_op *)op)->rb;

	if (end <= rb->top && end <= rebuild_bound(rb, v))
		return 0;
	rb->passed = true;
	return op_emit(op, v, end);
}

static int
rebuild_gate_flush(struct op *op, int64_t end)
{
	struct rebuild	*rb = ((struct rebuild_op *)op)->rb;
	bool		 passed = rb->passed;

	rb->passed = false;
	if (end > rb->top && rb->keys != NULL) {
		table_free(rb->keys);
		rb->keys = NULL;
	}
	if (end <= rb->self && !passed)
		return 0;
	return op_forward_flush(op, end);
}

static void
rebuild_op_free(struct op *op)
{
	free(op);
}

static struct op *
rebuild_op(const struct op_def *def, struct rebuild *rb, struct op *next)
{
	struct rebuild_op	*p = xcalloc(1, sizeof *p);

	p->op.def = def;
	p->op.next = next;
	p->op.live_ms = INT64_MIN;
	p->op.push = def == &rebuild_gate_def ? rebuild_gate_push :
	    rebuild_probe_push;
	p->op.flush = def == &rebuild_gate_def ? rebuild_gate_flush :
	    op_forward_flush;
	p->op.free = rebuild_op_free;
	p->rb = rb;
	return &p->op;
}

void
rebuild_insert(struct op **head, struct rebuild *rb)
{
	struct op	**pp;
	bool		 probed = false;

	rb->on = true;
	rb->pending = false;
	for (pp = head; *pp != NULL; pp = &(*pp)->next) {
		const struct op_def *def = (*pp)->def;

		if (!probed && (def->flags & (OP_KEYED | OP_BYVALUE))) {
			*pp = rebuild_op(&rebuild_probe_def, rb, *pp);
			((struct rebuild_op *)*pp)->whole =
			    (def->flags & OP_BYVALUE) != 0;
			probed = true;
			pp = &(*pp)->next;
		}
		if ((def->flags & OP_OUTPUT) || (*pp)->next == NULL) {
			*pp = rebuild_op(&rebuild_gate_def, rb, *pp);
			return;
		}
	}
}

void
rebuild_set(struct rebuild *rb, const int64_t *bound, size_t n, int64_t self)
{
	size_t	 i;

	free(rb->bound);
	rb->bound = xreallocarray(NULL, n > 0 ? n : 1, sizeof *rb->bound);
	memcpy(rb->bound, bound, n * sizeof *bound);
	rb->nbound = n;
	rb->self = self;
	rb->top = self;
	for (i = 0; i < n; i++)
		if (bound[i] > rb->top)
			rb->top = bound[i];
	if (rb->keys != NULL)
		table_free(rb->keys);
	rb->keys = NULL;
	rb->passed = false;
}

void
rebuild_free(struct rebuild *rb)
{
	free(rb->bound);
	if (rb->keys != NULL)
		table_free(rb->keys);
	memset(rb, 0, sizeof *rb);
}

/* A key's partition in a checkpoint. */
static int
rebuild_save_part(const void *data, struct buf *b, void *arg, char **cause)
{
	snap_put_u64(b, (uint64_t)*(const int32_t *)data);
	return 0;
}

static int
rebuild_load_part(void *data, struct snap_rd *r, void *arg)
{
	uint64_t	 v;

	if (snap_get_u64(r, &v) == -1)
		return -1;
	if (v == 0 || v > INT32_MAX)
		return snap_fail(r, "a key's partition %llu",
		    (unsigned long long)v);
	*(int32_t *)data = (int32_t)v;
	return 0;
}

int
rebuild_save(const struct rebuild *rb, struct buf *b, char **cause)
{
	size_t	 i;

	snap_put_u64(b, rb->nbound);
	for (i = 0; i < rb->nbound; i++)
		snap_put_i64(b, rb->bound[i]);
	snap_put_i64(b, rb->self);
	snap_put_bool(b, rb->keys != NULL);
	if (rb->keys != NULL)
		return table_save(rb->keys, b, rebuild_save_part, NULL, cause);
	return 0;
}

int
rebuild_load(struct rebuild *rb, struct snap_rd *r)
{
	int64_t		*bound, self;
	size_t		 n, i;
	bool		 keys;

	if (snap_get_count(r, 1, 1 << 24, &n) == -1)
		return -1;
	bound = xreallocarray(NULL, n > 0 ? n : 1, sizeof *bound);
	for (i = 0; i < n; i++)
		if (snap_get_i64(r, &bound[i]) == -1) {
			free(bound);
			return -1;
		}
	if (snap_get_i64(r, &self) == -1 || snap_get_bool(r, &keys) == -1) {
		free(bound);
		return -1;
	}
	rebuild_set(rb, bound, n, self);
	rb->pending = true;
	free(bound);
	if (!keys)
		return 0;
	rb->keys = table_new(sizeof(int32_t));
	return table_load(rb->keys, r, rebuild_load_part, NULL);
}
