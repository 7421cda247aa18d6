/*
 * batch.c - the per-batch operators: count, countByValue, reduce,
 * reduceByKey, groupByKey.
 *
 * They gather what a batch (or, after a window, a window) brings and emit
 * it at the flush: keyed results in key order (table_sorted), so equal
 * input gives byte-identical output.  Keys live in the op's table, values
 * the aggregates keep in the op's arena; both are cleared after each
 * flush, once everything emitted has been pushed on.  reduce and
 * reduceByKey keep their reducer's state (state/agg.h): reduce one, in
 * the op, reduceByKey one per key, in place in the table, whose entries
 * are sized for that reducer.
 *
 * Checkpoints: at a batch boundary these ops hold nothing (the flush
 * emits and clears everything), so they have no save or load hook.
 */
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "../state/table.h"
#include "op.h"

enum batchop_kind { BK_COUNT, BK_COUNTBYVALUE, BK_REDUCE, BK_REDUCEBYKEY,
    BK_GROUPBYKEY };

/* groupByKey's list of one key's values, in the op's arena. */
struct group {
	struct value	*v;
	uint32_t	 n;
	uint32_t	 cap;
};

/*
 * countByValue's queue of keys waiting to be counted.  A key's index
 * slot is fetched (table_prefetch) when it comes and the key counted
 * BATCH_QUEUE keys later, so with many distinct keys the cache misses
 * of that many probes overlap instead of adding up (half the run's time
 * with 5 million keys).  A key equal to the newest waiting one only
 * adds to its count, as table_put's last-key shortcut would.  Only keys
 * whose copy fits in BATCH_QKEY bytes wait; others are counted at once
 * (the order keys enter the table is not seen: output is sorted).
 * While the table holds fewer than BATCH_QMIN keys its index stays in
 * the cache and the queue would only add work: keys are counted at once.
 */
#define BATCH_QUEUE	8
#define BATCH_QKEY	48
#define BATCH_QMIN	65536

struct batch_qent {
	struct value	 key;		/* bytes in BYTES when a string */
	uint32_t	 tag;
	int64_t		 n;		/* records with this key */
	char		 bytes[BATCH_QKEY];
};

/*
 * countByValue's memo of short keys: a string of 1 to 16 bytes (a status,
 * a method, an event name) and where its count lies in the table, found
 * by a multiply of its bytes instead of the table's hash and probe.  A
 * table's entries may move when it gains a key, so the memo is emptied
 * then, and at the flush.  Past BATCH_MEMO_KEYS keys in a batch, or once
 * a key of another kind comes (counted the usual way, which may add to
 * the table unseen), it is off until the flush: it pays while the keys
 * are few and short.
 */
#define BATCH_MEMO_BITS	5
#define BATCH_MEMO_KEYS	64

struct batch_memo {
	uint64_t	 key[2];	/* batch_memo_key */
	int64_t		*n;		/* the count in the table, or NULL */
	uint32_t	 len;
};

/* Arena bytes under which reduce's aggregates are never compacted. */
#define BATCH_COMPACT_MIN	(1024 * 1024)

struct batchop {
	struct op		 op;
	enum batchop_kind	 kind;
	struct agg		*r;		/* reduce, reduceByKey */
	struct table		*t;		/* keyed kinds */
	struct arena		 mem;		/* values kept until the flush */
	size_t			 compacted;	/* mem.used after the last compaction */
	int64_t			 n;		/* count */
	void			*agg;		/* reduce: r's state */
	struct batch_qent	 q[BATCH_QUEUE];	/* countByValue, a ring */
	size_t			 qhead, qlen;
	struct batch_memo	 memo[1 << BATCH_MEMO_BITS];
	bool			 memo_off;	/* too many keys this batch */
};

static int
batchop_notpair(struct op *op, const struct value *v)
{
	return record_error(op->def->name, v,
	    "record is not a (key, value) pair");
}

/* Appends V (copied) to group G, doubling its room in MEM when full. */
static void
batchop_group_add(struct group *g, const struct value *v, struct arena *mem)
{
	struct value	*nv;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 4;
		nv = arena_alloc(mem, g->cap * sizeof *nv);
		if (g->n != 0)
			memcpy(nv, g->v, g->n * sizeof *nv);
		g->v = nv;
	}
	g->v[g->n++] = value_copy(mem, v);
}

/*
 * reduce, reduceByKey: every value an aggregate takes (last, a custom
 * 'a .. b') is a new copy in MEM and the one it replaces stays there
 * until the flush.  When those dead copies outweigh the live values,
 * the live ones move to a fresh arena, so a batch holds memory for its
 * aggregates, not for every value they ever held.
 */
static void
batchop_compact(struct batchop *b)
{
	struct table_ent	*e;
	struct arena		 fresh;
	size_t			 cursor = 0;

	if (b->mem.used < BATCH_COMPACT_MIN || b->mem.used < 2 * b->compacted ||
	    b->r->def->move == NULL)
		return;
	arena_init(&fresh);
	if (b->kind == BK_REDUCE)
		b->r->def->move(b->agg, &fresh);
	else
		while ((e = table_next(b->t, &cursor)) != NULL)
			b->r->def->move(table_data(e), &fresh);
	arena_free(&b->mem);
	b->mem = fresh;
	b->compacted = fresh.used;
}

/* Counts the oldest waiting key of B's queue. */
static void
batchop_qpop(struct batchop *b)
{
	struct batch_qent	*q = &b->q[b->qhead];

	*(int64_t *)table_put_tag(b->t, &q->key, q->tag, NULL) += q->n;
	b->qhead = (b->qhead + 1) % BATCH_QUEUE;
	b->qlen--;
}

/*
 * The bytes of S[0..n), 1 <= n <= 16, as two numbers that, with N, tell
 * strings apart: from 8 bytes on, the first and the last eight
 * (overlapping below 16); from 4, the first and last four; below, the
 * first, middle and last byte.  Each covers every byte.
 */
static inline void
batch_memo_key(const char *s, uint32_t n, uint64_t k[2])
{
	uint32_t	 lo, hi;

	if (n >= 8) {
		memcpy(&k[0], s, 8);
		memcpy(&k[1], s + n - 8, 8);
		return;
	}
	k[1] = 0;
	if (n >= 4) {
		memcpy(&lo, s, 4);
		memcpy(&hi, s + n - 4, 4);
		k[0] = lo | (uint64_t)hi << 32;
		return;
	}
	k[0] = (uint8_t)s[0] | (uint64_t)(uint8_t)s[n >> 1] << 8 |
	    (uint64_t)(uint8_t)s[n - 1] << 16;
}

/* countByValue of a string of 1 to 16 bytes, through the memo. */
static void
batchop_count_short(struct batchop *b, const struct value *v)
{
	struct batch_memo	*m;
	uint64_t		 k[2];
	int64_t			*n;
	bool			 isnew;

	batch_memo_key(v->u.s, v->n, k);
	m = &b->memo[((k[0] ^ (k[1] >> 7) ^ v->n) *
	    UINT64_C(0x9e3779b97f4a7c15)) >> (64 - BATCH_MEMO_BITS)];
	if (m->key[0] == k[0] && m->key[1] == k[1] && m->len == v->n &&
	    m->n != NULL) {
		(*m->n)++;
		return;
	}
	n = table_put(b->t, v, &isnew);
	(*n)++;
	if (isnew) {
		memset(b->memo, 0, sizeof b->memo);
		if (table_count(b->t) > BATCH_MEMO_KEYS) {
			b->memo_off = true;
			return;
		}
	}
	m->key[0] = k[0];
	m->key[1] = k[1];
	m->len = v->n;
	m->n = n;
}

/* countByValue: counts V, through the queue when it can wait. */
static void
batchop_count_value(struct batchop *b, const struct value *v)
{
	struct batch_qent	*q;

	if (!b->memo_off) {
		if (v->type == V_STR && v->n - 1 < 16) {
			batchop_count_short(b, v);
			return;
		}
		/* Another key may enter the table on the way below: the
		 * memo is off for the rest of the batch. */
		memset(b->memo, 0, sizeof b->memo);
		b->memo_off = true;
	}
	if ((b->qlen == 0 && table_count(b->t) < BATCH_QMIN) ||
	    (v->type == V_STR ? v->n > BATCH_QKEY :
	    v->type != V_INT && v->type != V_DBL && v->type != V_BOOL &&
	    v->type != V_NULL)) {
		(*(int64_t *)table_put(b->t, v, NULL))++;
		return;
	}
	if (b->qlen > 0) {
		q = &b->q[(b->qhead + b->qlen - 1) % BATCH_QUEUE];
		if (q->key.type == v->type && (v->type == V_STR ?
		    q->key.n == v->n && memcmp(q->bytes, v->u.s, v->n) == 0 :
		    value_eq(&q->key, v))) {
			q->n++;
			return;
		}
	}
	if (b->qlen == BATCH_QUEUE)
		batchop_qpop(b);
	q = &b->q[(b->qhead + b->qlen++) % BATCH_QUEUE];
	q->key = *v;
	if (v->type == V_STR) {
		memcpy(q->bytes, v->u.s, v->n);
		q->key.u.s = q->bytes;
	}
	q->n = 1;
	q->tag = table_prefetch(b->t, &q->key);
}

/* batchop_count_value out of line: the way past the memo's hits. */
static void __attribute__((noinline))
batchop_count_slow(struct batchop *b, const struct value *v)
{
	batchop_count_value(b, v);
}

/*
 * countByValue's push: a key the memo holds counted here, with no frame
 * to set up (no call but the tail one); anything else through
 * batchop_count_value.
 */
static int
batchop_push_count(struct op *op, struct value *v, int64_t end_ms)
{
	struct batchop		*b = (struct batchop *)op;
	struct batch_memo	*m;
	uint64_t		 k[2];

	if (!b->memo_off && v->type == V_STR && v->n - 1 < 16) {
		batch_memo_key(v->u.s, v->n, k);
		m = &b->memo[((k[0] ^ (k[1] >> 7) ^ v->n) *
		    UINT64_C(0x9e3779b97f4a7c15)) >> (64 - BATCH_MEMO_BITS)];
		if (m->key[0] == k[0] && m->key[1] == k[1] &&
		    m->len == v->n && m->n != NULL) {
			(*m->n)++;
			return 0;
		}
	}
	batchop_count_slow(b, v);
	return 0;
}

static int
batchop_push(struct op *op, struct value *v, int64_t end_ms)
{
	struct batchop	*b = (struct batchop *)op;
	void		*agg;
	struct group	*g;
	bool		 isnew;
	int		 rc;

	switch (b->kind) {
	case BK_COUNT:
		b->n++;
		return 0;
	case BK_COUNTBYVALUE:
		batchop_count_value(b, v);
		return 0;
	case BK_REDUCE:
		rc = agg_add(b->r, b->agg, v, &b->mem);
		batchop_compact(b);
		return rc;
	case BK_REDUCEBYKEY:
		if (!value_is_pair(v))
			return batchop_notpair(op, v);
		agg = table_put(b->t, &v->u.a[0], &isnew);
		if (isnew && b->r->def->init != NULL)
			b->r->def->init(agg);
		rc = agg_add(b->r, agg, &v->u.a[1], &b->mem);
		batchop_compact(b);
		return rc;
	case BK_GROUPBYKEY:
		if (!value_is_pair(v))
			return batchop_notpair(op, v);
		g = table_put(b->t, &v->u.a[0], NULL);
		batchop_group_add(g, &v->u.a[1], &b->mem);
		return 0;
	}
	return -1;
}

/*
 * Emits the pair (key, value) for each entry of the table in key order.
 * Entries that folded in nothing (every value was a record error) are
 * left out.
 */
static int
batchop_emit_keyed(struct batchop *b, int64_t end_ms)
{
	struct table_ent	**ents;
	struct value		 out, val, kv[2];
	void			*agg;
	struct group		*g;
	size_t			 i, n;

	while (b->qlen > 0)
		batchop_qpop(b);
	n = table_sorted_final(b->t, &ents);
	for (i = 0; i < n; i++) {
		switch (b->kind) {
		case BK_COUNTBYVALUE:
			val = value_int(*(int64_t *)table_data(ents[i]));
			break;
		case BK_REDUCEBYKEY:
			agg = table_data(ents[i]);
			if (agg_n(agg) == 0)
				continue;
			val = agg_result(b->r, agg);
			break;
		default:
			g = table_data(ents[i]);
			val = value_array(&b->mem, 0);
			val.n = g->n;
			val.u.a = g->v;
			break;
		}
		/* The pair on the stack: the next op copies what it keeps,
		 * and a pair a key in the arena would be 32 bytes a key. */
		kv[0] = ents[i]->key;
		kv[1] = val;
		out = value_null();
		out.type = V_TUPLE;
		out.n = 2;
		out.u.a = kv;
		if (op_emit(&b->op, &out, end_ms) == -1)
			return -1;
	}
	return 0;
}

static int
batchop_flush(struct op *op, int64_t end_ms)
{
	struct batchop	*b = (struct batchop *)op;
	struct value	 out;
	int		 rc = 0;

	switch (b->kind) {
	case BK_COUNT:
		out = value_int(b->n);
		b->n = 0;
		rc = op_emit(op, &out, end_ms);
		break;
	case BK_REDUCE:
		if (agg_n(b->agg) != 0) {
			out = agg_result(b->r, b->agg);
			rc = op_emit(op, &out, end_ms);
		}
		agg_init(b->r, b->agg);
		break;
	default:
		rc = batchop_emit_keyed(b, end_ms);
		table_clear(b->t);
		memset(b->memo, 0, sizeof b->memo);
		b->memo_off = false;
		break;
	}
	arena_reset(&b->mem);
	b->compacted = 0;
	if (rc == -1)
		return -1;
	return op_forward_flush(op, end_ms);
}

static void
batchop_free(struct op *op)
{
	struct batchop	*b = (struct batchop *)op;

	agg_free(b->r);
	free(b->agg);
	table_free(b->t);
	arena_free(&b->mem);
	free(b);
}

static struct op *
batchop_create(const struct op_def *def,
    const struct op_env *env, int argc, char **argv, char **cause)
{
	struct batchop	*b;
	char		*why = NULL;
	size_t		 datasize = 0;

	b = xcalloc(1, sizeof *b);
	b->op.def = def;
	b->op.push = batchop_push;
	b->op.flush = batchop_flush;
	b->op.free = batchop_free;
	arena_init(&b->mem);
	if (strcmp(def->name, "count") == 0)
		b->kind = BK_COUNT;
	else if (strcmp(def->name, "countByValue") == 0) {
		b->kind = BK_COUNTBYVALUE;
		b->op.push = batchop_push_count;
		datasize = sizeof(int64_t);
	} else if (strcmp(def->name, "reduce") == 0)
		b->kind = BK_REDUCE;
	else if (strcmp(def->name, "reduceByKey") == 0)
		b->kind = BK_REDUCEBYKEY;
	else {
		b->kind = BK_GROUPBYKEY;
		datasize = sizeof(struct group);
	}

	/* The reducing kinds take FUNC (their one argument), the others none. */
	if ((b->kind == BK_REDUCE || b->kind == BK_REDUCEBYKEY) &&
	    (b->r = aggexpr_parse(argv[0], NULL, &why)) == NULL) {
		xasprintf(cause, "%s: %s", def->name, why);
		free(why);
		goto fail;
	}
	if (b->kind == BK_REDUCE) {
		b->agg = xmalloc(b->r->def->size);
		agg_init(b->r, b->agg);
	} else if (b->kind == BK_REDUCEBYKEY)
		datasize = b->r->def->size;
	if (datasize != 0)
		b->t = table_new(datasize);
	return &b->op;

fail:
	batchop_free(&b->op);
	return NULL;
}

const struct op_def op_count = {
	.name = "count",
	.flags = OP_BATCH,
	.args = "",
	.min_args = 0,
	.max_args = 0,
	.help = "Emits, at the end of each batch, the number of records the "
	    "batch held (0 for an empty batch).  Example: filter '$9 == 404' "
	    "then count gives the not-found requests per batch.",
	.create = batchop_create
};

const struct op_def op_countByValue = {
	.name = "countByValue",
	.flags = OP_BYVALUE,
	.args = "",
	.min_args = 0,
	.max_args = 0,
	.help = "Emits, at the end of each batch, (value, n) for each "
	    "distinct record of the batch, sorted by value.  Example: map "
	    "'$9' then countByValue counts the requests per HTTP status.",
	.create = batchop_create
};

const struct op_def op_reduce = {
	.name = "reduce",
	.flags = OP_BATCH,
	.args = "FUNC",
	.min_args = 1,
	.max_args = 1,
	.help = "Emits, at the end of each batch, the batch's records "
	    "reduced to one value by FUNC: sum, count, min, max, avg, first, "
	    "last, a sketch (distinct, p50, p90, p95, p99, quantile(Q), "
	    "topk(K): dstream help REDUCER), or an expression over a and b.  Nothing is emitted for an "
	    "empty batch.  Example: map '$10' then reduce sum gives the "
	    "bytes sent per batch.",
	.create = batchop_create
};

const struct op_def op_reduceByKey = {
	.name = "reduceByKey",
	.flags = OP_KEYED,
	.args = "FUNC",
	.min_args = 1,
	.max_args = 1,
	.help = "On (key, value) pairs: emits, at the end of each batch, "
	    "(key, r) for each key, r being the key's values reduced by FUNC "
	    "(sum, count, min, max, avg, first, last, a sketch: distinct, p50, "
	    "p90, p95, p99, quantile(Q), topk(K); or an expression over a and "
	    "b), sorted by key.  A record that is not a pair is a "
	    "record error.  Example: map '($1, $10)' then reduceByKey sum "
	    "gives the bytes per client.",
	.create = batchop_create
};

const struct op_def op_groupByKey = {
	.name = "groupByKey",
	.flags = OP_KEYED,
	.args = "",
	.min_args = 0,
	.max_args = 0,
	.help = "On (key, value) pairs: emits, at the end of each batch, "
	    "(key, [v, ...]) for each key with its values in arrival order, "
	    "sorted by key.  Example: map '($1, $7)' then groupByKey lists "
	    "the paths each client asked for.",
	.create = batchop_create
};
