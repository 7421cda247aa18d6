/*
 * join.c - join TABLE and leftOuterJoin TABLE: pairs of the stream
 * joined with a static table (Spark's join with a static RDD, as
 * transform(rdd => rdd.join(table)) does per batch).
 *
 * A record (key, v) gives (key, (v, w)) for each row (key, w) of the
 * table, in the table's order; leftOuterJoin gives (key, (v, null)) for a
 * key the table lacks.  The table (jointable.c) is loaded when the chain
 * is opened (the open hook: a table that cannot be loaded ends the run
 * with status 1 before anything is read), and again, whole or not at
 * all, when the engine says SIGHUP came (the reload hook) or when its
 * file has changed, which each batch end checks with a stat.  A reload
 * waits until the file has stood still for JOIN_SETTLE_MS (its
 * modification time that old), so that a file rewritten in place is
 * not read between two writes of its writer.  A reload
 * that fails keeps the table in use and says why, naming the file and
 * the line; one that succeeds says how many rows it read.
 *
 * Memory: what push emits is built on the stack, valid during the emit
 * (nothing is allocated per record); the values of w point into
 * the table, which lives until the next reload (at a batch end or
 * between records, never during a push), so ops that keep them copy
 * them, by the memory rule.
 *
 * Speed: a lookup in a large table is two cache misses (its index slot
 * and its row), most of a join's cost when they come one after another.
 * With a table past JOIN_QMIN rows (larger than a core's L2 cache), a
 * record waits in a queue of JOIN_QUEUE: its key is hashed once when it
 * comes and its slot prefetched, its row prefetched JOIN_QUEUE / 2
 * records later, and it is joined, in the order records came, when the
 * queue fills (JOIN_QUEUE - 1 wait between pushes), so the misses of
 * that many keys overlap; the row found when it was prefetched is where
 * its lookup starts (jt_find_row: one key compare).  A waiting record is
 * a copy (a short key and a scalar in the entry's room; anything else in
 * the entry's own small arena, reused): the pushed one is valid only
 * during its push.  The queue is emptied, in
 * order, at every flush (before the flush is passed on) and before a
 * reload, so every record is joined with the table in use when it came
 * and a batch's output is what it would be without the queue.
 *
 * Checkpoints: the op holds nothing across batches but the table, which
 * is read again from its file on resume, so it has no save or load hook.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "jointable.h"
#include "op.h"

#define JOIN_CHECK_MS	100	/* the table file looked at, at most */
#define JOIN_SETTLE_MS	1000	/* a file written since is not read yet */
#define JOIN_QUEUE	16	/* records in flight (a power of two) */
#define JOIN_QMIN	16384	/* rows (1 MiB of them) for the queue */
#define JOIN_QROOM	64	/* bytes of strings an entry holds itself */

/*
 * A record waiting for its lookup: its key, value and hash, copied.  A
 * key and value that are strings or scalars (an address and a count,
 * say) have their bytes in ROOM when they fit; anything else is copied
 * into MEM, the entry's own arena (reused, so it holds the largest such
 * record at most).
 */
struct join_qent {
	struct value		 key;
	struct value		 val;
	uint64_t		 hash;
	int64_t			 end_ms;
	uint32_t		 first;		/* jt_prefetch_row's answer */
	char			 room[JOIN_QROOM];
	struct arena		 mem;
};

struct joinop {
	struct op		 op;
	bool			 outer;		/* leftOuterJoin */
	struct join_qent	 q[JOIN_QUEUE];	/* a ring */
	size_t			 qhead, qlen;
	struct jt_spec		 spec;
	struct jointable	*t;
	struct jt_stamp		 stamp;		/* the file t was read from */
	bool			 gone;		/* the file cannot be looked
						 * at: said once */
	bool			 retry;		/* reload at the next check
						 * (it changed while read) */
	int64_t			 checked;	/* wall ms of the last check */
};

/*
 * Emits (key, (v, w)) for each row (key, w) of the table from R, the
 * first with KEY, or (key, (v, null)) for leftOuterJoin when R is NULL.
 * The pairs are built on the stack (valid during the op_emit call, which
 * is all the memory rule gives an emitted record) and w is the table's
 * own value: nothing is allocated or copied per output.  Returns 0, or
 * -1 from a later op.
 */
static inline int
joinop_join(struct joinop *j, const struct value *key, const struct value *v,
    const struct jt_row *r, int64_t end_ms)
{
	struct value		 out, outer[2], inner[2];
	int			 rc = 0;

	if (r == NULL && !j->outer)
		return 0;
	outer[0] = *key;
	outer[1].type = V_TUPLE;
	outer[1].n = 2;
	outer[1].u.a = inner;
	inner[0] = *v;
	out.type = V_TUPLE;
	out.n = 2;
	out.u.a = outer;
	if (r == NULL) {
		inner[1] = value_null();
		return op_emit(&j->op, &out, end_ms);
	}
	for (; r != NULL && rc == 0; r = jt_next(j->t, r)) {
		inner[1] = r->val;
		rc = op_emit(&j->op, &out, end_ms);
	}
	return rc;
}

/* Joins the oldest waiting record of J.  Returns as joinop_join. */
static __attribute__((noinline)) int
joinop_qpop(struct joinop *j)
{
	struct join_qent	*e = &j->q[j->qhead];

	j->qhead = (j->qhead + 1) & (JOIN_QUEUE - 1);
	j->qlen--;
	return joinop_join(j, &e->key, &e->val,
	    jt_find_row(j->t, &e->key, e->hash, e->first), e->end_ms);
}

/*
 * Joins every waiting record of J, in order: their rows prefetched
 * first (the records that had not come that far), then joined.  Returns
 * 0, or -1 from a later op (the queue emptied all the same).
 */
static int
joinop_drain(struct joinop *j)
{
	struct join_qent	*e;
	size_t			 i;
	int			 rc = 0;

	for (i = 0; i < j->qlen; i++) {
		e = &j->q[(j->qhead + i) & (JOIN_QUEUE - 1)];
		e->first = jt_prefetch_row(j->t, e->hash);
	}
	while (j->qlen > 0)
		if (joinop_qpop(j) != 0)
			rc = -1;
	return rc;
}


/*
 * Copies the scalar or string S into *DST, its bytes in E's room at
 * *USED.  Returns false, copying nothing, when S is neither or does not
 * fit.
 */
static inline bool
joinop_qroom(struct join_qent *e, struct value *dst, const struct value *s,
    size_t *used)
{
	switch (s->type) {
	case V_TUPLE:
	case V_ARR:
	case V_OBJ:
		return false;
	case V_STR:
		if (s->n > JOIN_QROOM - *used)
			return false;
		*dst = *s;
		if (s->n > 0) {
			buf_put_bytes(e->room + *used, s->u.s, s->n);
			dst->u.s = e->room + *used;
			*used += s->n;
		}
		return true;
	default:
		*dst = *s;
		return true;
	}
}

/*
 * Copies the record (KV[0], KV[1]) into E whatever it holds: strings and
 * scalars into its room when they fit, else the whole record into its
 * arena.  Out of line: joinop_push copies the usual record itself.
 */
static __attribute__((noinline)) void
joinop_qcopy(struct join_qent *e, const struct value *kv)
{
	size_t	 used = 0;

	if (!joinop_qroom(e, &e->key, &kv[0], &used) ||
	    !joinop_qroom(e, &e->val, &kv[1], &used)) {
		arena_reset(&e->mem);
		e->key = value_copy(&e->mem, &kv[0]);
		e->val = value_copy(&e->mem, &kv[1]);
	}
}

/*
 * A record (KV[0], KV[1]) whose key hashes to H, joined at once: a small
 * table's (after the records still waiting, if it was large before a
 * reload).  Returns as joinop_join.
 */
static __attribute__((noinline)) int
joinop_now(struct joinop *j, const struct value *kv, uint64_t h,
    int64_t end_ms)
{
	if (j->qlen > 0 && joinop_drain(j) != 0)
		return -1;
	return joinop_join(j, &kv[0], &kv[1], jt_find_hashed(j->t, &kv[0], h),
	    end_ms);
}

/* Scalars come before strings in enum vtype: "type < V_STR" is one. */
_Static_assert(V_NULL < V_STR && V_BOOL < V_STR && V_INT < V_STR &&
    V_DBL < V_STR, "scalars before strings");

/*
 * A record (key, v): joined at once with a small table; with a large
 * one, queued (copied, its slot prefetched) behind the records still
 * waiting, the row of the one half the queue ahead prefetched, and the
 * oldest joined when the queue is full.  The usual record, a short
 * string key and a scalar value (an address and its count), is copied
 * here; any other by joinop_qcopy.
 */
static int
joinop_push(struct op *op, struct value *v, int64_t end_ms)
{
	struct joinop		*j = (struct joinop *)op;
	const struct value	*kv;
	struct join_qent	*e;
	uint64_t		 h;

	if (!value_is_pair(v))
		return record_error(op->def->name, v,
		    "record is not a (key, value) pair");
	kv = v->u.a;
	h = jt_hash(&kv[0]);
	if (j->t->nrows < JOIN_QMIN)
		return joinop_now(j, kv, h, end_ms);
	/* Fewer than JOIN_QUEUE wait between pushes: E is free. */
	e = &j->q[(j->qhead + j->qlen) & (JOIN_QUEUE - 1)];
	j->qlen++;
	if (kv[0].type == V_STR && kv[0].n <= JOIN_QROOM &&
	    kv[1].type < V_STR) {
		e->key = kv[0];
		e->val = kv[1];
		buf_put_bytes(e->room, kv[0].u.s, kv[0].n);
		e->key.u.s = e->room;
	} else
		joinop_qcopy(e, kv);
	e->hash = h;
	e->end_ms = end_ms;
	e->first = JT_UNLOOKED;
	jt_prefetch_slot(j->t, h);
	if (j->qlen > JOIN_QUEUE / 2) {
		e = &j->q[(j->qhead + j->qlen - 1 - JOIN_QUEUE / 2) &
		    (JOIN_QUEUE - 1)];
		e->first = jt_prefetch_row(j->t, e->hash);
	}
	/* Last, so that it is a jump: nothing here outlives it. */
	if (j->qlen == JOIN_QUEUE)
		return joinop_qpop(j);
	return 0;
}

/*
 * Loads J's table again.  Returns 0 with the new table in place, or -1
 * keeping the old one; says which on stderr.  A file that is being
 * written, or was written less than JOIN_SETTLE_MS ago (a writer in
 * place may not be done: its half-written file looks whole), is quietly
 * tried again at the next check, until it has stood still that long.
 */
static int
joinop_load(struct joinop *j)
{
	struct jointable	*t;
	struct jt_stamp		 stamp = j->stamp;
	char			*cause = NULL;

	if ((t = jt_load(&j->spec, JOIN_SETTLE_MS, &stamp, &cause)) == NULL) {
		if (cause == NULL) {
			j->retry = true;
			return -1;
		}
		fprintf(stderr, "%s: %s: %s; keeping the table loaded before "
		    "(%zu row%s)\n", progname, j->op.def->name, cause,
		    j->t->nrows, j->t->nrows == 1 ? "" : "s");
		free(cause);
		j->stamp = stamp;	/* said once for this version */
		j->retry = false;
		return -1;
	}
	jt_free(j->t);
	j->t = t;
	j->stamp = stamp;
	j->retry = false;
	fprintf(stderr, "%s: %s: %s: reloaded, %zu row%s\n", progname,
	    j->op.def->name, j->spec.text, t->nrows, t->nrows == 1 ? "" : "s");
	return 0;
}

/* SIGHUP: the table is read again, changed or not. */
static void
joinop_reload(struct op *op)
{
	struct joinop	*j = (struct joinop *)op;

	/*
	 * The records that came before the signal are joined with the
	 * table they came under.  A later op's failure here is its own to
	 * report; the run stops at its next push or flush.
	 */
	(void)joinop_drain(j);
	j->gone = false;
	joinop_load(j);
}

/*
 * A batch ends: the table is read again if its file has changed (or was
 * being written at the last try), looked at once per JOIN_CHECK_MS at
 * most.  A file that cannot be looked at (gone
 * while replaced, say) keeps the table, said once.
 */
static int
joinop_flush(struct op *op, int64_t end_ms)
{
	struct joinop	*j = (struct joinop *)op;
	int64_t		 now = clock_now_ms();
	int		 err = 0;

	if (joinop_drain(j) != 0)
		return -1;
	/* At most ten stats a second, however short the batches. */
	if (now - j->checked < JOIN_CHECK_MS && now >= j->checked)
		return op_forward_flush(op, end_ms);
	j->checked = now;
	if (jt_changed(&j->spec, &j->stamp, &err) || j->retry) {
		if (err != 0) {
			if (!j->gone)
				fprintf(stderr, "%s: %s: %s: %s; keeping the "
				    "table loaded before (%zu row%s)\n",
				    progname, op->def->name, j->spec.path,
				    strerror(err), j->t->nrows,
				    j->t->nrows == 1 ? "" : "s");
			j->gone = true;
		} else {
			j->gone = false;
			joinop_load(j);
		}
	}
	return op_forward_flush(op, end_ms);
}

/* Loads the table before the run: one that cannot be loaded ends it. */
static int
joinop_open(struct op *op, char **cause)
{
	struct joinop	*j = (struct joinop *)op;
	char		*why = NULL;

	if ((j->t = jt_load_start(&j->spec, &j->stamp, &why)) != NULL)
		return 0;
	xasprintf(cause, "%s: %s", op->def->name, why);
	free(why);
	return -1;
}

static void
joinop_free(struct op *op)
{
	struct joinop	*j = (struct joinop *)op;
	size_t		 i;

	for (i = 0; i < JOIN_QUEUE; i++)
		arena_free(&j->q[i].mem);
	jt_free(j->t);
	jt_spec_free(&j->spec);
	free(j);
}

static struct op *
joinop_create(const struct op_def *def, const struct op_env *env, int argc,
    char **argv, char **cause)
{
	struct joinop	*j;
	char		*why = NULL;
	size_t		 i;

	j = xcalloc(1, sizeof *j);
	for (i = 0; i < JOIN_QUEUE; i++)
		arena_init_sized(&j->q[i].mem, 256);
	j->op.def = def;
	j->op.push = joinop_push;
	j->op.flush = joinop_flush;
	j->op.free = joinop_free;
	j->op.open = joinop_open;
	j->op.reload = joinop_reload;
	j->outer = strcmp(def->name, "leftOuterJoin") == 0;
	if (jt_spec_parse(argv[0], &j->spec, &why) != 0) {
		xasprintf(cause, "%s: %s", def->name, why);
		free(why);
		joinop_free(&j->op);
		return NULL;
	}
	return &j->op;
}

const struct op_def op_join = {
	.name = "join",
	.args = "TABLE",
	.min_args = 1,
	.max_args = 1,
	.help = "On (key, v) pairs: emits (key, (v, w)) for each row (key, w) "
	    "of the static TABLE (none when the key is not in it).  TABLE: "
	    "a file of key<TAB>value lines, FILE.csv (a header; the key is "
	    "the column 'key' or the first), FILE.json or .jsonl (objects "
	    "{\"key\":..,\"value\":..}, or keyed by their first member), or "
	    "sqlite:PATH?query=SQL (the first column the key).  Reloaded, "
	    "whole or not at all, on SIGHUP and when the file changes, "
	    "once it has stood still for a second.  "
	    "Example: map '($1, $7)' then join users.tsv.",
	.create = joinop_create
};

const struct op_def op_leftOuterJoin = {
	.name = "leftOuterJoin",
	.args = "TABLE",
	.min_args = 1,
	.max_args = 1,
	.help = "As join, and (key, (v, null)) for a key that TABLE lacks.  "
	    "Example: map '($1, $7)' then leftOuterJoin users.csv.",
	.create = joinop_create
};
