/*
 * unit_ops.h - what the operators' unit tests share (test_join.c,
 * test_ops_snap.c): the run's settings and counters as main would own
 * them (test_env, batches of UNIT_BATCH_MS), a tail op that writes what
 * reaches it (the end time, the value as JSON) and every flush as text
 * into a buffer, so that the order of flushes is compared too
 * (unit_tap), and a small deterministic generator (rnd), so that every
 * run sees the same input.  Included after dstream.h, ops/op.h and
 * unit.h.
 */
#ifndef DSTREAM_UNIT_OPS_H
#define DSTREAM_UNIT_OPS_H

#include <stdint.h>
#include <stdlib.h>

#define UNIT_BATCH_MS	1000

static struct config	test_cfg = { .batch_ms = UNIT_BATCH_MS };
static struct counters	test_counters;
static const struct op_env test_env = { &test_cfg, &test_counters };

/* The tail: writes what reaches it, and each flush, into OUT. */
struct tap {
	struct op	 op;
	struct buf	*out;
};

static inline int
tap_push(struct op *op, struct value *v, int64_t end)
{
	struct tap	*t = (struct tap *)op;

	buf_printf(t->out, "%lld ", (long long)end);
	value_fmt_json(t->out, v);
	buf_addc(t->out, '\n');
	return 0;
}

static inline int
tap_flush(struct op *op, int64_t end)
{
	struct tap	*t = (struct tap *)op;

	buf_printf(t->out, "flush %lld\n", (long long)end);
	return 0;
}

static inline void
tap_free(struct op *op)
{
	free(op);
}

static const struct op_def tap_def = { .name = "tap" };

/* Returns a new tail op writing into OUT (freed with the chain). */
static inline struct op *
unit_tap(struct buf *out)
{
	struct tap	*t = xcalloc(1, sizeof *t);

	t->op.def = &tap_def;
	t->op.push = tap_push;
	t->op.flush = tap_flush;
	t->op.free = tap_free;
	t->out = out;
	return &t->op;
}

/* The next number of the generator whose state is *S (a PCG step). */
static inline uint64_t
rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

#endif
