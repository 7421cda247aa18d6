/*
 * update.c - updateStateByKey EXPR [TIMEOUT] [initial TABLE]: state per
 * key, carried from batch to batch (Spark's updateStateByKey, with
 * mapWithState's timeout and updateStateByKey's initialRDD).
 *
 * Records are (key, value) pairs; push gathers each key's values of the
 * batch in arrival order (the batch table, its values in BMEM), as
 * groupByKey does.  At every flush, empty batches included, EXPR runs once
 * for every key that has values in this batch or state held from before,
 * in key order, over key, values (this batch's values, an array, empty
 * when the key had none) and state (what EXPR returned the last time,
 * null the first time).  What it returns is the key's new state; null
 * drops the key.  Then (key, state) is emitted for every key held, in key
 * order, so equal input gives byte-identical output.
 *
 * TIMEOUT: a key's last batch is the end of the last batch that brought
 * it values.  At the flush of the batch ending at END, a key with no
 * values in this batch whose last batch ended more than TIMEOUT before
 * END (END - last > TIMEOUT, Spark's mapWithState rule) is dropped
 * without EXPR running for it, and not emitted.
 *
 * initial TABLE: the keys' states before the first batch, read once with
 * join's loader (jointable.c: key<TAB>value lines, CSV, JSON lines,
 * sqlite:) when the run starts afresh (the fresh hook; a resumed run
 * has its states from the checkpoint, and TABLE is not read).  Each row
 * (key, value) is a held key with the value as its state, so EXPR runs
 * for it at the first batch end, with values [] when it has no records
 * then.  A key on two rows, or a null value (a null state is no state),
 * refuses the table.  An initial key's last batch is the first batch
 * (Spark's mapWithState stamps its initial states with the first batch
 * time): USTATE_FRESH until that batch's flush sets it.
 *
 * Memory: keys live in the HELD table, each with its state and last batch
 * end; the states live in one of two arenas.  Every flush computes every
 * held key's state anew into the other arena, then frees the old one and
 * swaps, so the op holds the live states (twice, at most, during a
 * flush), however long the run and however often the states change.
 * EXPR is evaluated in a scratch arena reset after each key.
 *
 * Checkpoints: at a batch boundary the batch table is empty; save writes
 * EXPR's text, TIMEOUT and the held table (each key's state and last
 * batch end), the initial states among them until the first batch.
 */
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "../state/snap.h"
#include "../state/table.h"
#include "jointable.h"
#include "op.h"

/* The last batch of an initial key before the first batch's flush. */
#define USTATE_FRESH	INT64_MIN

/* One held key's data in the HELD table. */
struct ustate_ent {
	struct value	 state;		/* in mem[cur] */
	int64_t		 last_ms;	/* end of the last batch with values */
};

/* One key's values of the batch, in BMEM. */
struct ustate_group {
	struct value	*v;
	uint32_t	 n;
	uint32_t	 cap;
};

struct ustate {
	struct op	 op;
	struct expr	*fn;
	char		*what;		/* "updateStateByKey function 'EXPR'" */
	int64_t		 timeout_ms;	/* 0: none */
	struct jt_spec	 init;		/* initial TABLE; path NULL: none */
	struct table	*held;		/* key -> struct ustate_ent */
	struct table	*batch;		/* key -> struct ustate_group */
	struct arena	 mem[2];	/* the states, in mem[cur] */
	int		 cur;
	struct arena	 bmem;		/* the batch's values and drop list */
	struct arena	 scratch;	/* EXPR's evaluation */
	struct expr_ctx	 ctx;
	struct value	*drop;		/* keys to drop at the end of a flush */
	size_t		 ndrop, capdrop;
};

/* The section holding updateStateByKey's state in a checkpoint. */
#define USTATE_TAG	SNAP_TAG('U', 'S', 'T', 'K')

static int
ustate_push(struct op *op, struct value *v, int64_t end_ms)
{
	struct ustate		*u = (struct ustate *)op;
	struct ustate_group	*g;
	struct value		*nv;

	(void)end_ms;
	if (!value_is_pair(v))
		return record_error(op->def->name, v,
		    "record is not a (key, value) pair");
	g = table_put(u->batch, &v->u.a[0], NULL);
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 4;
		nv = arena_alloc(&u->bmem, g->cap * sizeof *nv);
		if (g->n != 0)
			memcpy(nv, g->v, g->n * sizeof *nv);
		g->v = nv;
	}
	g->v[g->n++] = value_copy(&u->bmem, &v->u.a[1]);
	return 0;
}

/* Adds KEY (copied into bmem) to the keys dropped at the end of the flush. */
static void
ustate_drop(struct ustate *u, const struct value *key)
{
	if (u->ndrop == u->capdrop) {
		u->capdrop = u->capdrop ? u->capdrop * 2 : 16;
		u->drop = xreallocarray(u->drop, u->capdrop, sizeof *u->drop);
	}
	u->drop[u->ndrop++] = value_copy(&u->bmem, key);
}

/*
 * Runs EXPR for the key of entry E (its state in E's data) over VALUES
 * and puts the result in *OUT (in the scratch arena).  Returns 0, 1 when
 * EXPR failed and the error was reported (*OUT is then the old state,
 * kept), or -1 when the run is to stop.
 */
static int
ustate_call(struct ustate *u, struct table_ent *e, struct value values,
    struct value *out)
{
	struct ustate_ent	*d = table_data(e);
	struct value		 kv[2], x;
	int			 rc;

	kv[0] = e->key;
	kv[1] = values;
	x = value_null();
	x.type = V_TUPLE;
	x.n = 2;
	x.u.a = kv;
	expr_ctx_record(&u->ctx, &x);
	u->ctx.values = values;
	u->ctx.state = d->state;
	u->ctx.err = NULL;
	if (expr_eval(u->fn, &u->ctx, out) == 0)
		return 0;
	*out = d->state;
	rc = record_error(u->what, &x, "%s",
	    u->ctx.err ? u->ctx.err : "evaluation failed");
	return rc == -1 ? -1 : 1;
}

static int
ustate_flush(struct op *op, int64_t end_ms)
{
	struct ustate		*u = (struct ustate *)op;
	struct arena		*next = &u->mem[!u->cur];
	struct table_ent	**ents, *e;
	struct ustate_ent	*d;
	struct ustate_group	*g;
	struct value		 values, res, kv[2], out;
	size_t			 cursor = 0, i, n;
	bool			 isnew, failed = false;
	int			 rc;

	/* Keys new in this batch join the held ones, with a null state. */
	while ((e = table_next(u->batch, &cursor)) != NULL) {
		d = table_put(u->held, &e->key, &isnew);
		if (isnew)
			d->state = value_null();
		d->last_ms = end_ms;
	}

	n = table_sorted(u->held, &ents);
	for (i = 0; i < n; i++) {
		d = table_data(ents[i]);
		if (d->last_ms == USTATE_FRESH)
			d->last_ms = end_ms;
		if (failed) {
			/* The run stops: keep the states as they are. */
			d->state = value_copy(next, &d->state);
			continue;
		}
		g = table_count(u->batch) != 0 ?
		    table_find(u->batch, &ents[i]->key) : NULL;
		if (g == NULL && u->timeout_ms > 0 &&
		    end_ms - d->last_ms > u->timeout_ms) {
			ustate_drop(u, &ents[i]->key);
			continue;
		}
		values = value_array(&u->scratch, 0);
		if (g != NULL) {
			values.n = g->n;
			values.u.a = g->v;
		}
		if ((rc = ustate_call(u, ents[i], values, &res)) == -1) {
			failed = true;
			d->state = value_copy(next, &d->state);
			arena_reset(&u->scratch);
			continue;
		}
		if (res.type == V_NULL) {
			ustate_drop(u, &ents[i]->key);
			arena_reset(&u->scratch);
			continue;
		}
		d->state = value_copy(next, &res);
		arena_reset(&u->scratch);
		kv[0] = ents[i]->key;
		kv[1] = d->state;
		out = value_null();
		out.type = V_TUPLE;
		out.n = 2;
		out.u.a = kv;
		if (op_emit(op, &out, end_ms) == -1)
			failed = true;
	}

	for (i = 0; i < u->ndrop; i++)
		table_del(u->held, &u->drop[i]);
	u->ndrop = 0;
	table_clear(u->batch);
	arena_reset(&u->bmem);
	arena_reset(&u->mem[u->cur]);
	u->cur = !u->cur;
	if (failed)
		return -1;
	return op_forward_flush(op, end_ms);
}

static size_t
ustate_held(struct op *op)
{
	return table_count(((struct ustate *)op)->held);
}

static int
ustate_save_ent(const void *data, struct buf *b, void *arg, char **cause)
{
	const struct ustate_ent	*d = data;

	(void)arg;
	snap_put_i64(b, d->last_ms);
	return snap_put_value(b, &d->state, cause);
}

static int
ustate_load_ent(void *data, struct snap_rd *r, void *arg)
{
	struct ustate		*u = arg;
	struct ustate_ent	*d = data;

	if (snap_get_i64(r, &d->last_ms) == -1 ||
	    snap_get_value(r, &u->mem[u->cur], &d->state) == -1)
		return -1;
	if (d->state.type == V_NULL)
		return snap_fail(r, "a held key with a null state");
	return 0;
}

/* Appends EXPR's text, TIMEOUT and the held keys with their states. */
static int
ustate_save(struct op *op, struct buf *b, char **cause)
{
	struct ustate	*u = (struct ustate *)op;
	size_t		 at;
	int		 rc;

	at = snap_sec_begin(b, USTATE_TAG);
	snap_put_str(b, expr_source(u->fn));
	snap_put_i64(b, u->timeout_ms);
	rc = table_save(u->held, b, ustate_save_ent, u, cause);
	snap_sec_end(b, at);
	return rc;
}

/*
 * Reads what ustate_save wrote into U, just built from the same
 * arguments; refuses another EXPR or TIMEOUT.  Returns 0, or -1 with the
 * cause in R.
 */
static int
ustate_load(struct op *op, struct snap_rd *r)
{
	struct ustate	*u = (struct ustate *)op;
	struct snap_rd	 sub;
	const char	*src;
	size_t		 len;
	int64_t		 timeout;

	if (snap_sec(r, USTATE_TAG, &sub) == -1)
		return -1;
	if (snap_get_bytes(&sub, SIZE_MAX, &src, &len) == -1)
		return snap_sec_done(r, &sub);
	if (len != strlen(expr_source(u->fn)) ||
	    memcmp(src, expr_source(u->fn), len) != 0) {
		snap_fail(&sub, "the checkpoint's updateStateByKey function "
		    "is '%.*s', this one '%s'", (int)len, src,
		    expr_source(u->fn));
		return snap_sec_done(r, &sub);
	}
	if (snap_get_i64(&sub, &timeout) == -1)
		return snap_sec_done(r, &sub);
	if (timeout != u->timeout_ms) {
		snap_fail(&sub, "the checkpoint's updateStateByKey timeout is "
		    "%lld ms, this one %lld ms", (long long)timeout,
		    (long long)u->timeout_ms);
		return snap_sec_done(r, &sub);
	}
	arena_reset(&u->mem[u->cur]);
	table_load(u->held, &sub, ustate_load_ent, u);
	return snap_sec_done(r, &sub);
}

/*
 * Sets *CAUSE to "updateStateByKey: initial TABLE: the key K " and the
 * message WHY.
 */
static void
ustate_refuse(struct ustate *u, const struct value *key, const char *why,
    char **cause)
{
	struct buf	 k = BUF_INIT;

	value_fmt_json(&k, key);
	xasprintf(cause, "%s: initial %s: the key %.*s %s", u->op.def->name,
	    u->init.text, (int)k.len, k.p, why);
	buf_free(&k);
}

/*
 * The run starts afresh: reads the initial TABLE and holds each of its
 * keys with its value as the state, copied (the table is freed).
 * Returns 0, or -1 with *CAUSE set when the table cannot be read or
 * has a key twice or a null value; nothing is held then.
 */
static int
ustate_fresh(struct op *op, char **cause)
{
	struct ustate		*u = (struct ustate *)op;
	struct jointable	*t;
	struct jt_stamp		 stamp;
	struct ustate_ent	*d;
	const struct jt_row	*r, *o;
	char			*why = NULL, *msg;
	size_t			 i, n;
	int			 rc = -1;

	if (u->init.path == NULL)
		return 0;
	if ((t = jt_load_start(&u->init, &stamp, &why)) == NULL) {
		xasprintf(cause, "%s: initial %s", op->def->name, why);
		free(why);
		return -1;
	}
	for (i = 0; i < t->nrows; i++) {
		r = &t->rows[i];
		if (r->val.type == V_NULL) {
			ustate_refuse(u, &r->key, "has no value (an initial "
			    "state is not null)", cause);
			goto out;
		}
		/* The first row of a key that has more. */
		if (t->nkeys == t->nrows || r->next == 0 ||
		    jt_find(t, &r->key) != r)
			continue;
		for (n = 1, o = r; (o = jt_next(t, o)) != NULL; n++)
			;
		xasprintf(&msg, "is on %zu rows (an initial state is one row "
		    "per key)", n);
		ustate_refuse(u, &r->key, msg, cause);
		free(msg);
		goto out;
	}
	for (i = 0; i < t->nrows; i++) {
		d = table_put(u->held, &t->rows[i].key, NULL);
		d->state = value_copy(&u->mem[u->cur], &t->rows[i].val);
		d->last_ms = USTATE_FRESH;
	}
	rc = 0;
out:
	jt_free(t);
	return rc;
}

static void
ustate_free(struct op *op)
{
	struct ustate	*u = (struct ustate *)op;

	expr_free(u->fn);
	expr_ctx_free(&u->ctx);
	table_free(u->held);
	table_free(u->batch);
	arena_free(&u->mem[0]);
	arena_free(&u->mem[1]);
	arena_free(&u->bmem);
	arena_free(&u->scratch);
	free(u->drop);
	free(u->what);
	jt_spec_free(&u->init);
	free(u);
}

static struct op *
ustate_create(const struct op_def *def, const struct op_env *env, int argc,
    char **argv, char **cause)
{
	struct ustate	*u;
	char		*why = NULL;

	(void)env;
	u = xcalloc(1, sizeof *u);
	u->op.def = def;
	u->op.push = ustate_push;
	u->op.flush = ustate_flush;
	u->op.free = ustate_free;
	u->op.save = ustate_save;
	u->op.load = ustate_load;
	u->op.held = ustate_held;
	u->op.fresh = ustate_fresh;
	u->held = table_new(sizeof(struct ustate_ent));
	u->batch = table_new(sizeof(struct ustate_group));
	arena_init(&u->mem[0]);
	arena_init(&u->mem[1]);
	arena_init(&u->bmem);
	arena_init(&u->scratch);
	expr_ctx_init(&u->ctx, &u->scratch);
	/* initial TABLE, last when given. */
	if (argc >= 2 && strcmp(argv[argc - 2], "initial") == 0) {
		if (jt_spec_parse(argv[argc - 1], &u->init, &why) != 0) {
			xasprintf(cause, "%s: initial %s", def->name, why);
			free(why);
			goto fail;
		}
		argc -= 2;
	}
	if (argc < 1 || argc > 2 || strcmp(argv[argc - 1], "initial") == 0) {
		xasprintf(cause, "%s: expected %s %s%s", def->name, def->name,
		    def->args, argc >= 1 && strcmp(argv[argc - 1],
		    "initial") == 0 ? " (no TABLE after 'initial')" : "");
		goto fail;
	}
	xasprintf(&u->what, "%s function '%s'", def->name, argv[0]);
	if ((u->fn = expr_compile(argv[0], EXPR_STATE, &why)) == NULL) {
		xasprintf(cause, "%s: %s", def->name, why);
		free(why);
		goto fail;
	}
	if (argc == 2 && (u->timeout_ms = duration_parse(argv[1], false)) <=
	    0) {
		xasprintf(cause, "%s: TIMEOUT '%s' is not a duration (250ms, "
		    "1s, 5m, 1h, 1d; a bare number is seconds)", def->name,
		    argv[1]);
		goto fail;
	}
	return &u->op;

fail:
	ustate_free(&u->op);
	return NULL;
}

const struct op_def op_updateStateByKey = {
	.name = "updateStateByKey",
	.flags = OP_KEYED | OP_UNBOUNDED,
	.args = "EXPR [TIMEOUT] [initial TABLE]",
	.min_args = 1,
	.max_args = 4,
	.help = "On (key, value) pairs: keeps a state per key across "
	    "batches.  At the end of every batch (empty ones too), EXPR runs "
	    "for each key with values in the batch or a state held, in key "
	    "order, over key, values (the batch's values of the key, in "
	    "arrival order; [] when none) and state (its result the last "
	    "time; null the first); its result is the key's new state, null "
	    "dropping the key.  Then (key, state) is emitted for every key "
	    "held, sorted by key.  With TIMEOUT, a key that got no values "
	    "for longer than TIMEOUT (its last values' batch ended more "
	    "than TIMEOUT before this batch's end) is dropped without EXPR "
	    "running.  With initial TABLE (any table join reads, read once "
	    "when the run starts without a checkpoint to resume), each row "
	    "(key, value) is a key held with that state before the first "
	    "batch, its TIMEOUT counted from the first batch; a key on two "
	    "rows or a null value refuses the table.  "
	    "A record that is not a pair is a record error.  "
	    "Example: map '($1, 1)' then updateStateByKey "
	    "'(state ?? 0) + sum(values)' gives the running count per "
	    "client; with initial counts.tsv added, it counts on from the "
	    "table's counts.",
	.create = ustate_create
};
