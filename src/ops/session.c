/*
 * session.c - session windows: reduceByKeyAndSession FUNC GAP and
 * countByKeyAndSession GAP (Structured Streaming's session_window,
 * grouped by key).
 *
 * Records are (key, value) pairs.  A key's session is a run of its
 * records whose times are at most GAP apart, as in Spark (a record
 * exactly GAP after the last one still joins); it spans [start, end],
 * start its first record's time and end its last record's time + GAP
 * (Spark's session_window end).  The state is src/state/sessions.c:
 * each key's open sessions and a heap of them by end.
 *
 * A record's time: in event time its own (the engine hands it over in
 * cur_origin); in processing time, and for records an earlier operator
 * emits at a batch or window end, the end of the batch it is pushed
 * with (Spark's batch time: current_timestamp() in a micro-batch), so
 * in processing time a session's gaps are measured in whole batches.
 * GAP need not be a multiple of the batch interval.
 *
 * Closing.  When the batch ending at E is flushed, no record older than
 * E can come any more (it would be late), so every session with end < E
 * is complete: none of its key's records can reach it.  A session
 * ending exactly at E could still be reached by a record at E.  Complete
 * sessions are emitted once, in (end, key) order, each stamped with its
 * end, then the rest of the chain is flushed.  A session whose end is
 * E - B (on the batch grid, as with whole-second times and a
 * whole-second GAP) closes only at the flush of E, after the rest of
 * the chain has seen the flush of E - B; so that what follows (a
 * window) never gets a record for a batch it has closed, the flush of
 * a batch end E that some open session ends at is held back until the
 * next flush: the sessions ending at or before E are emitted then, and
 * E flushed after them.  Output for such a batch comes one batch later;
 * records are never held by a later operator across a batch boundary.
 *
 * Late records (older than the watermark) never reach this op: the
 * engine counts them and writes them to --late-file, so a record that
 * would have joined an emitted session is late as usual.  At end of
 * input the engine flushes on for GAP and two batches (span_ms), which
 * closes every session.
 *
 * Emitted: (key, {"start": T, "end": T, "count": N, "value": V}), the
 * times RFC 3339 strings in UTC (milliseconds only when not zero), V the
 * reducer's result (the count again for countByKeyAndSession).
 *
 * Checkpoints: FUNC's text, GAP, the held-back flush and every open
 * session (sessions_save).
 */
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "../expr/expr.h"
#include "../state/sessions.h"
#include "../state/snap.h"
#include "op.h"

struct sess_op {
	struct op	 op;
	struct agg	*r;
	char		*func;		/* FUNC's spelling, or text */
	int64_t		 gap;		/* ms */
	int64_t		 batch;		/* ms */
	struct sessions	*st;
	bool		 held;		/* the flush of held_end is held back */
	int64_t		 held_end;
	struct arena	 scratch;	/* what one flush emits */
	struct buf	 tb;		/* a time being formatted */
};

/* The section holding a session op's state in a checkpoint. */
#define SESS_TAG	SNAP_TAG('S', 'E', 'S', 'S')

/*
 * Returns the time of the record in flight, pushed as part of the batch
 * ending at END: its event time when the engine gave one inside that
 * batch, else END.
 */
static inline int64_t
sess_time(const struct sess_op *s, int64_t end)
{
	if (cur_origin.timed && cur_origin.time_ms < end &&
	    cur_origin.time_ms >= end - s->batch)
		return cur_origin.time_ms;
	return end;
}

static int
sess_push(struct op *op, struct value *v, int64_t end_ms)
{
	struct sess_op	*s = (struct sess_op *)op;

	if (!value_is_pair(v))
		return record_error(op->def->name, v,
		    "record is not a (key, value) pair") == -1 ? -1 : 0;
	return sessions_add(s->st, &v->u.a[0], sess_time(s, end_ms),
	    &v->u.a[1]);
}

/* Returns MS as an RFC 3339 string in the scratch arena. */
static struct value
sess_timestr(struct sess_op *s, int64_t ms)
{
	buf_reset(&s->tb);
	time_fmt_rfc3339(&s->tb, ms);
	return value_str(arena_strndup(&s->scratch, s->tb.p, s->tb.len),
	    s->tb.len);
}

/*
 * Emits and takes out every session ending at or before UPTO, in (end,
 * key) order, each stamped with its end.  Returns 0 or -1 (stop).
 */
static int
sess_emit(struct sess_op *s, int64_t upto)
{
	static const char *const names[] = { "start", "end", "count",
	    "value" };
	struct session	*x;
	struct value	 obj, out, *kv;
	void		*st;
	int64_t		 end;
	int		 i;

	while ((x = sessions_first(s->st)) != NULL &&
	    (end = sessions_end(s->st, x)) <= upto) {
		st = sessions_state(s->st, x);
		kv = arena_alloc(&s->scratch, 8 * sizeof *kv);
		for (i = 0; i < 4; i++)
			kv[2 * i] = value_str(names[i], strlen(names[i]));
		kv[1] = sess_timestr(s, x->start);
		kv[3] = sess_timestr(s, end);
		kv[5] = value_int(agg_n(st));
		kv[7] = agg_result(s->r, st);
		obj = value_null();
		obj.type = V_OBJ;
		obj.n = 4;
		obj.u.kv = kv;
		out = value_pair(&s->scratch, x->key, obj);
		if (op_emit(&s->op, &out, end) == -1)
			return -1;
		sessions_pop(s->st);
	}
	return 0;
}

/*
 * The batch ending at END is complete: emits the sessions that closed
 * and flushes the rest of the chain (holding the flush of END back
 * while a session ends exactly there; see the top).  Returns 0 or -1.
 */
static int
sess_flush(struct op *op, int64_t end)
{
	struct sess_op	*s = (struct sess_op *)op;

	arena_reset(&s->scratch);
	if (s->held) {
		s->held = false;
		if (sess_emit(s, s->held_end) == -1 ||
		    op_forward_flush(op, s->held_end) == -1)
			return -1;
	}
	if (sessions_end_at(s->st, end)) {
		s->held = true;
		s->held_end = end;
		return 0;
	}
	if (sess_emit(s, end) == -1)
		return -1;
	return op_forward_flush(op, end);
}

static size_t
sess_held(struct op *op)
{
	return sessions_count(((struct sess_op *)op)->st);
}

/* Appends FUNC, GAP, the held-back flush and the open sessions. */
static int
sess_save(struct op *op, struct buf *b, char **cause)
{
	struct sess_op	*s = (struct sess_op *)op;
	size_t		 at;
	int		 rc;

	at = snap_sec_begin(b, SESS_TAG);
	snap_put_str(b, s->func);
	snap_put_i64(b, s->gap);
	snap_put_bool(b, s->held);
	snap_put_i64(b, s->held ? s->held_end : 0);
	rc = sessions_save(s->st, b, cause);
	snap_sec_end(b, at);
	return rc;
}

/*
 * Reads what sess_save wrote into S, just built from the same
 * arguments; refuses another FUNC or GAP.  Returns 0, or -1 with the
 * cause in R.
 */
static int
sess_load(struct op *op, struct snap_rd *r)
{
	struct sess_op	*s = (struct sess_op *)op;
	struct snap_rd	 sub;
	const char	*func;
	size_t		 len;
	int64_t		 gap, held_end;
	bool		 held;

	if (snap_sec(r, SESS_TAG, &sub) == -1)
		return -1;
	if (snap_get_bytes(&sub, SIZE_MAX, &func, &len) == -1)
		return snap_sec_done(r, &sub);
	if (len != strlen(s->func) || memcmp(func, s->func, len) != 0) {
		snap_fail(&sub, "the checkpoint's %s reduces with '%.*s', this "
		    "one with '%s'", op->def->name, (int)len, func, s->func);
		return snap_sec_done(r, &sub);
	}
	if (snap_get_i64(&sub, &gap) == -1 ||
	    snap_get_bool(&sub, &held) == -1 ||
	    snap_get_i64(&sub, &held_end) == -1)
		return snap_sec_done(r, &sub);
	if (gap != s->gap) {
		snap_fail(&sub, "the checkpoint's session gap is %lld ms, this "
		    "one %lld ms", (long long)gap, (long long)s->gap);
		return snap_sec_done(r, &sub);
	}
	if (!held && held_end != 0) {
		snap_fail(&sub, "bad held flush");
		return snap_sec_done(r, &sub);
	}
	s->held = held;
	s->held_end = held_end;
	sessions_load(s->st, &sub);
	return snap_sec_done(r, &sub);
}

static void
sess_free(struct op *op)
{
	struct sess_op	*s = (struct sess_op *)op;

	sessions_free(s->st);
	agg_free(s->r);
	arena_free(&s->scratch);
	buf_free(&s->tb);
	free(s->func);
	free(s);
}

/*
 * Builds a session op reducing with FUNC over sessions of GAP.  Returns
 * NULL with *CAUSE set on a usage error.
 */
static struct op *
sess_create(const struct op_def *def, const struct op_env *env,
    const char *func, const char *gap, char **cause)
{
	struct sess_op	*s;
	char		*why = NULL;

	s = xcalloc(1, sizeof *s);
	s->op.def = def;
	s->op.push = sess_push;
	s->op.flush = sess_flush;
	s->op.free = sess_free;
	s->op.held = sess_held;
	s->op.save = sess_save;
	s->op.load = sess_load;
	s->func = xstrdup(func);
	arena_init(&s->scratch);
	s->batch = env->cfg->batch_ms > 0 ? env->cfg->batch_ms : 1000;
	if ((s->gap = duration_parse(gap, false)) <= 0) {
		xasprintf(cause, "%s: GAP '%s' is not a duration (250ms, 1s, "
		    "5m, 1h, 1d; a bare number is seconds)", def->name, gap);
		goto fail;
	}
	if ((s->r = aggexpr_parse(func, NULL, &why)) == NULL) {
		xasprintf(cause, "%s: %s", def->name, why);
		free(why);
		goto fail;
	}
	/* What a checkpoint records: a named reducer's whole spelling
	 * (quantile(0.9) for quantile(.90)), an expression's text. */
	if (strcmp(agg_spelling(s->r), "expression") != 0) {
		free(s->func);
		s->func = xstrdup(agg_spelling(s->r));
	}
	s->st = sessions_new(s->r, s->gap);
	/*
	 * After the last record the chain is flushed on until every
	 * session has closed and its held-back flush has gone: GAP and
	 * two batches, also when a stop drains only that far (settle).
	 */
	s->op.span_ms = s->gap + s->batch;
	s->op.slide_ms = s->gap + 2 * s->batch;
	return &s->op;

fail:
	sess_free(&s->op);
	return NULL;
}

static struct op *
sess_create_reduce(const struct op_def *def, const struct op_env *env,
    int argc, char **argv, char **cause)
{
	(void)argc;
	return sess_create(def, env, argv[0], argv[1], cause);
}

static struct op *
sess_create_count(const struct op_def *def, const struct op_env *env,
    int argc, char **argv, char **cause)
{
	(void)argc;
	return sess_create(def, env, "count", argv[0], cause);
}

const struct op_def op_reduceByKeyAndSession = {
	.name = "reduceByKeyAndSession",
	.flags = OP_KEYED | OP_UNBOUNDED,
	.args = "FUNC GAP",
	.min_args = 2,
	.max_args = 2,
	.help = "On (key, value) pairs: each key's sessions, runs of its "
	    "records at most GAP apart (Spark's session_window).  A session "
	    "closes once the watermark passes its end (its last record's "
	    "time + GAP) and is emitted once, stamped with its end, as (key, "
	    "{start, end, count, value}): the times RFC 3339 in UTC, count "
	    "its records, value its values reduced with FUNC (sum count min "
	    "max avg first last, the sketches distinct p50..p99 quantile(Q) "
	    "topk(K), or an expression over a and b).  A record "
	    "that falls between two open sessions of its key joins them.  "
	    "In processing time a record's time is its batch's end.  At end "
	    "of input every session is emitted.  Example: -e 'time($1)' "
	    "map '($2, num($3))' then reduceByKeyAndSession sum 30m.",
	.create = sess_create_reduce
};

const struct op_def op_countByKeyAndSession = {
	.name = "countByKeyAndSession",
	.flags = OP_KEYED | OP_UNBOUNDED,
	.args = "GAP",
	.min_args = 1,
	.max_args = 1,
	.help = "On (key, value) pairs: each key's sessions, runs of its "
	    "records at most GAP apart, emitted once closed as (key, {start, "
	    "end, count, value}) with value the count; reduceByKeyAndSession "
	    "count GAP.  Example: -e 'time($1)' map '($2, 1)' then "
	    "countByKeyAndSession 30m.",
	.create = sess_create_count
};
