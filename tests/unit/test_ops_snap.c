/*
 * test_ops_snap.c - operators' checkpoints: a chain run over some
 * batches, saved (chain_save), freed, built afresh, loaded (chain_load)
 * and run on must give byte for byte the output of a run that never
 * stopped, whichever batch boundary it stopped at (the drain after the
 * last input included).  Also: a state saves to the same bytes after a
 * load, truncated and foreign states are refused, and a stop between
 * two records of a batch is not a thing the hooks allow (they are
 * called at batch boundaries only).  A chain starts afresh (chain_fresh:
 * updateStateByKey's initial states) once, never after a load, as the
 * engine does.
 *
 * The chain is built from op_defs as chain_build does, with a tail that
 * writes what reaches it as text (the end time, the value as JSON) and
 * every flush, so the order of flushes is compared too.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/dstream.h"
#include "../../src/ops/op.h"
#include "../../src/state/pane.h"
#include "../../src/state/snap.h"
#include "unit.h"
#include "unit_ops.h"

#define BATCH	UNIT_BATCH_MS

/* The initial tables the pipelines name as @TSV and @JSON. */
static char	 init_dir[] = "/tmp/test_ops_snap.XXXXXX";
static char	 init_tsv[64], init_json[64];

/*
 * Builds the chain of PIPE ("window 3s 1s then count") with a tap
 * writing into OUT.  Aborts the test on a usage error: the pipelines are
 * the test's own.
 */
static struct op *
build(const char *pipe, struct buf *out)
{
	struct op		*head = NULL, **tail = &head, *op;
	const struct op_def	*def;
	char			*copy = xstrdup(pipe), *argv[64], *cause = NULL;
	char			*w, *save = NULL;
	int			 argc = 0, i, k, start;

	for (w = strtok_r(copy, " ", &save); w != NULL && argc < 63;
	    w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	for (start = 0; start < argc; start = i + 1) {
		for (i = start; i < argc && strcmp(argv[i], "then") != 0; i++)
			;
		if ((def = op_find(argv[start])) == NULL) {
			fprintf(stderr, "unknown op %s\n", argv[start]);
			exit(1);
		}
		/* In arguments, '_' stands for a blank (a'+'b). */
		for (k = start + 1; k < i; k++) {
			for (w = argv[k]; *w != '\0'; w++)
				if (*w == '_')
					*w = ' ';
			if (strcmp(argv[k], "@TSV") == 0)
				argv[k] = init_tsv;
			else if (strcmp(argv[k], "@JSON") == 0)
				argv[k] = init_json;
		}
		if ((op = def->create(def, &test_env, i - start - 1,
		    argv + start + 1, &cause)) == NULL) {
			fprintf(stderr, "%s: %s\n", pipe, cause);
			exit(1);
		}
		op->def = def;
		*tail = op;
		tail = &op->next;
	}
	*tail = unit_tap(out);
	free(copy);
	return head;
}

/*
 * The records of batch B of input SEED: a few (key, value) pairs, keys
 * from a small set, values ints and halves; some batches are empty, and
 * a stretch of them longer than any window here.
 */
static size_t
batch_input(uint64_t seed, int b, struct arena *a, struct value *out,
    size_t max)
{
	static const char *const keys[] = { "a", "b", "c", "dd", "" };
	uint64_t	 s = seed * 1000003 + (uint64_t)b * 7919;
	size_t		 n, i;
	struct value	 k, v;

	rnd(&s);
	if ((b >= 20 && b < 32) || rnd(&s) % 5 == 0)
		return 0;
	n = rnd(&s) % 9;
	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		k = value_str(keys[rnd(&s) % 5], 0);
		k.n = (uint32_t)strlen(k.u.s);
		if (rnd(&s) % 3 == 0)
			v = value_dbl((double)(rnd(&s) % 40) / 2 - 5);
		else
			v = value_int((int64_t)(rnd(&s) % 100) - 20);
		out[i] = value_pair(a, k, v);
	}
	return n;
}

#define NBATCH	45

/*
 * Gives the Ith record of batch B an event time inside the batch, out
 * of order, as the engine does in event time (session windows place
 * records by it; the other operators go by the batch).
 */
static void
record_time(int b, size_t i)
{
	cur_origin.timed = true;
	cur_origin.time_ms = (int64_t)b * BATCH;
	/* Some at the batch's start: sessions ending on batch ends. */
	if ((i + (size_t)b) % 3 != 0)
		cur_origin.time_ms += (int64_t)((i * 389 + (size_t)b * 131) %
		    BATCH);
}

/*
 * Runs PIPE over NBATCH batches of input SEED and the drain after them
 * (empty batches for as long as the chain's span), appending the tap's
 * text to OUT.  With STOP >= 0, the chain is saved after the flush of
 * that many batches (drain batches count on), freed, and a new one
 * built and loaded to go on.  Returns 0, or -1 when the load failed.
 */
static int
run(const char *pipe, uint64_t seed, int stop, struct buf *out,
    struct buf *state)
{
	struct op	*c = build(pipe, out);
	struct buf	 again = BUF_INIT;
	struct arena	 a;
	struct value	 recs[16], v;
	struct snap_rd	 r;
	char		*cause = NULL;
	int64_t		 span = chain_span(c);
	int		 b, last, rc = 0;
	size_t		 i, n;

	arena_init(&a);
	if (chain_fresh(c, &cause) != 0) {
		fprintf(stderr, "%s: fresh: %s\n", pipe, cause);
		free(cause);
		chain_free(c);
		arena_free(&a);
		return -1;
	}
	last = NBATCH + (int)((span + BATCH - 1) / BATCH);
	for (b = 0; b < last; b++) {
		if (b == stop) {
			buf_reset(state);
			if (chain_save(c, state, &cause) == -1) {
				fprintf(stderr, "%s: save: %s\n", pipe, cause);
				free(cause);
				rc = -1;
				break;
			}
			chain_free(c);
			c = build(pipe, out);
			snap_rd_init(&r, state->p, state->len);
			if (chain_load(c, &r) == -1 || snap_rd_end(&r) == -1) {
				cause = snap_rd_cause(&r);
				fprintf(stderr, "%s: load: %s\n", pipe, cause);
				free(cause);
				rc = -1;
				break;
			}
			/* What was loaded saves to the same bytes. */
			buf_reset(&again);
			if (chain_save(c, &again, &cause) == -1 ||
			    again.len != state->len ||
			    memcmp(again.p, state->p, state->len) != 0) {
				fprintf(stderr, "%s: saves differently after "
				    "a load\n", pipe);
				free(cause);
				rc = -1;
				break;
			}
		}
		arena_reset(&a);
		n = b < NBATCH ? batch_input(seed, b, &a, recs, 16) : 0;
		for (i = 0; i < n; i++) {
			v = recs[i];
			record_time(b, i);
			if (c->push(c, &v, (int64_t)(b + 1) * BATCH) == -1)
				rc = -1;
		}
		cur_origin.timed = false;
		if (c->flush(c, (int64_t)(b + 1) * BATCH) == -1)
			rc = -1;
	}
	chain_free(c);
	arena_free(&a);
	buf_free(&again);
	return rc;
}

static const char *const pipes[] = {
	"count",
	"reduceByKey sum then map value",
	"window 3s 1s then count",
	"window 2s 4s",
	"countByWindow 5s 2s",
	"map value then reduceByWindow sum 4s 2s",
	"map value then reduceByWindow max 4s 2s",
	"map value then reduceByWindow first 3s",
	"map value then reduceByWindow a_+_b 3s 1s",
	"map value then reduceByWindow a_+_b a_-_b 6s 2s",
	"reduceByKeyAndWindow sum 5s 1s",
	"reduceByKeyAndWindow count 3s 3s",
	"reduceByKeyAndWindow avg 6s 2s",
	"reduceByKeyAndWindow min 4s 1s",
	"reduceByKeyAndWindow max 7s 3s",
	"reduceByKeyAndWindow last 5s 2s",
	"reduceByKeyAndWindow [a,b] 3s 1s",
	"reduceByKeyAndWindow a_+_b a_-_b 4s 1s",
	"reduceByKeyAndWindow sum 2s 5s",
	"countByValueAndWindow 4s 2s",
	"map key then countByValueAndWindow 3s 1s",
	"groupByKeyAndWindow 3s 1s",
	"window 2s 1s then reduceByKeyAndWindow sum 4s 2s then "
	    "countByWindow 4s 2s",
	"reduceByKeyAndWindow sum 3s 1s then sortBy value desc then take 2",
	"updateStateByKey (state_??_0)_+_sum(values)",
	"updateStateByKey len(values)_>_2_?_null_:_(state_??_0)_+_sum(values) 3s",
	"updateStateByKey (state_??_0)_+_len(values) 1s then map value then "
	    "reduce sum",
	"reduceByKeyAndWindow sum 3s 1s then updateStateByKey "
	    "[key,_len(values),_sum(values)_+_(state_??_[0,0,0])[2]] 2500ms",
	/* initial states: saved at a stop before the first batch too */
	"updateStateByKey (state_??_0)_+_sum(values) initial @TSV",
	"updateStateByKey len(values)_>_2_?_null_:_(state_??_0)_+_sum(values) "
	    "3s initial @JSON",
	"updateStateByKey [state,_values] 2s initial @JSON then map value",
	/* the sketches (state/hll.c, ddsketch.c, topk.c) */
	"reduceByKeyAndWindow distinct 5s 1s",
	"map value then reduceByWindow distinct 4s 2s",
	"reduceByKeyAndWindow p90 6s 2s",
	"reduceByKeyAndWindow quantile(0.25) 3s 1s",
	"map value then reduceByWindow p50 5s 1s",
	"reduceByKeyAndWindow topk(2) 5s 1s",
	"map value then reduceByWindow topk(3) 4s 2s",
	"reduceByKey p99 then map value",
	"map key then reduce topk(2)",
	"countByKeyAndSession 2s",
	"reduceByKeyAndSession sum 1500ms",
	"reduceByKeyAndSession last 3s then map value.count",
	"reduceByKeyAndSession [a,b] 1s then countByWindow 4s 2s",
	"reduceByKeyAndSession max 2500ms then reduceByKeyAndWindow count 3s 1s",
	"reduceByKeyAndWindow sum 2s 1s then reduceByKeyAndSession avg 2s",
	"reduceByKeyAndSession first 700ms",
	"reduceByKeyAndSession distinct 2s",
	"reduceByKeyAndSession p90 1500ms",
	"reduceByKeyAndSession topk(2) 3s",
	"countByKeyAndSession 2s then map (key,_1) then reduceByKeyAndWindow "
	    "count 2s 2s",
};

/* Whether B holds the text S. */
static bool
buf_has(const struct buf *b, const char *s)
{
	size_t	 n = strlen(s), i;

	for (i = 0; i + n <= b->len; i++)
		if (memcmp(b->p + i, s, n) == 0)
			return true;
	return false;
}

/*
 * For every pipeline and every stopping point: the same output as the
 * run that never stopped, and a loaded state that saves to the same
 * bytes.
 */
static void
test_resume(void)
{
	struct buf	 ref = BUF_INIT, got = BUF_INIT, st = BUF_INIT;
	size_t		 p, bad;
	int		 stop, seed;

	for (p = 0; p < sizeof pipes / sizeof pipes[0]; p++)
		for (seed = 1; seed <= 3; seed++) {
			buf_reset(&ref);
			CHECK(run(pipes[p], (uint64_t)seed, -1, &ref, &st) == 0);
			CHECK(ref.len > 0);
			/* Sessions closed, with more than one record some. */
			if (strstr(pipes[p], "AndSession") != NULL &&
			    strstr(pipes[p], "then") == NULL)
				CHECK(buf_has(&ref, "\"count\":2"));
			bad = 0;
			for (stop = 0; stop <= NBATCH + 8; stop++) {
				buf_reset(&got);
				if (run(pipes[p], (uint64_t)seed, stop, &got,
				    &st) != 0 || got.len != ref.len ||
				    memcmp(got.p, ref.p, ref.len) != 0) {
					if (bad++ == 0)
						fprintf(stderr, "%s (seed %d): "
						    "differs when stopped after"
						    " %d batches\n", pipes[p],
						    seed, stop);
				}
			}
			CHECK(bad == 0);
		}
	buf_free(&ref);
	buf_free(&got);
	buf_free(&st);
}

/*
 * Saves the chain of PIPE after STOP batches of input 1 into STATE
 * (the tap's text thrown away).
 */
static void
state_after(const char *pipe, int stop, struct buf *state)
{
	struct buf	 out = BUF_INIT;
	struct arena	 a;
	struct value	 recs[16], v;
	struct op	*c = build(pipe, &out);
	char		*cause = NULL;
	size_t		 i, n;
	int		 b;

	arena_init(&a);
	for (b = 0; b < stop; b++) {
		arena_reset(&a);
		n = batch_input(1, b, &a, recs, 16);
		for (i = 0; i < n; i++) {
			v = recs[i];
			record_time(b, i);
			c->push(c, &v, (int64_t)(b + 1) * BATCH);
		}
		cur_origin.timed = false;
		c->flush(c, (int64_t)(b + 1) * BATCH);
	}
	buf_reset(state);
	CHECK(chain_save(c, state, &cause) == 0);
	chain_free(c);
	arena_free(&a);
	buf_free(&out);
}

static char	*load_cause(const char *, const char *, size_t);

/*
 * The state ST of PIPE loads; cut short anywhere it is refused; and,
 * when FLIP, with any one byte changed it loads or is refused without
 * a crash.
 */
static void
check_damaged(const char *pipe, const struct buf *st, bool flip)
{
	char	*cause, *copy;
	size_t	 i, bad = 0;

	CHECK((cause = load_cause(pipe, st->p, st->len)) == NULL);
	free(cause);
	for (i = 0; i < st->len; i++) {
		copy = xmalloc(i + 1);
		memcpy(copy, st->p, i);
		if ((cause = load_cause(pipe, copy, i)) == NULL)
			bad++;
		free(cause);
		free(copy);
	}
	CHECK(bad == 0);
	if (!flip)
		return;
	copy = xmalloc(st->len);
	for (i = 0; i < st->len; i++) {
		memcpy(copy, st->p, st->len);
		copy[i] ^= 0x5a;
		free(load_cause(pipe, copy, st->len));
	}
	free(copy);
}

/* Loads STATE into a new chain of PIPE; returns the cause (caller frees) or NULL. */
static char *
load_cause(const char *pipe, const char *p, size_t n)
{
	struct buf	 out = BUF_INIT;
	struct op	*c = build(pipe, &out);
	struct snap_rd	 r;
	char		*cause;

	snap_rd_init(&r, p, n);
	if (chain_load(c, &r) == 0)
		snap_rd_end(&r);
	cause = snap_rd_cause(&r);
	chain_free(c);
	buf_free(&out);
	return cause;
}

/*
 * Refusals: every truncation of a saved state; a state loaded into
 * another pipeline, or into the same operator with other arguments,
 * with a message that says what differs.  A flipped byte must not
 * crash the load (the container's checksum is what refuses it in a
 * checkpoint).
 */
static void
test_refusals(void)
{
	static const char *const some[] = {
		"reduceByKeyAndWindow max 7s 3s",
		"map value then reduceByWindow a_+_b a_-_b 6s 2s",
		"groupByKeyAndWindow 3s 1s",
		"window 2s 1s then reduceByKeyAndWindow sum 4s 2s then "
		    "countByWindow 4s 2s",
		"reduceByKeyAndWindow distinct 5s 1s",
		"reduceByKeyAndWindow p90 6s 2s",
		"reduceByKeyAndWindow topk(2) 5s 1s",
	};
	struct buf	 st = BUF_INIT;
	char		*cause;
	size_t		 k;

	for (k = 0; k < sizeof some / sizeof some[0]; k++) {
		state_after(some[k], 12, &st);
		check_damaged(some[k], &st, true);
	}

	state_after("reduceByKeyAndWindow sum 5s 1s", 12, &st);
	cause = load_cause("reduceByKeyAndWindow sum 6s 1s", st.p, st.len);
	CHECK(cause != NULL && strstr(cause, "the checkpoint's window is "
	    "5000 ms sliding by 1000 ms, this one 6000 ms sliding by 1000 "
	    "ms") != NULL);
	free(cause);
	cause = load_cause("reduceByKeyAndWindow min 5s 1s", st.p, st.len);
	CHECK(cause != NULL && strstr(cause, "reduces with 'sum', this one "
	    "with 'min'") != NULL);
	free(cause);
	/* a sketch's argument is part of what the checkpoint holds */
	state_after("reduceByKeyAndWindow quantile(0.9) 5s 1s", 12, &st);
	cause = load_cause("reduceByKeyAndWindow quantile(0.5) 5s 1s", st.p,
	    st.len);
	CHECK(cause != NULL && strstr(cause, "reduces with 'quantile(0.9)', "
	    "this one with 'quantile(0.5)'") != NULL);
	free(cause);
	cause = load_cause("reduceByKeyAndWindow quantile(0.90) 5s 1s", st.p,
	    st.len);
	CHECK(cause == NULL);
	free(cause);
	state_after("reduceByKeyAndWindow topk(3) 5s 1s", 12, &st);
	cause = load_cause("reduceByKeyAndWindow topk(4) 5s 1s", st.p, st.len);
	CHECK(cause != NULL && strstr(cause, "reduces with 'topk(3)', this "
	    "one with 'topk(4)'") != NULL);
	free(cause);
	state_after("reduceByKeyAndWindow sum 5s 1s", 12, &st);
	cause = load_cause("countByValueAndWindow 5s 1s", st.p, st.len);
	CHECK(cause != NULL && strstr(cause, "the checkpoint's operator 1 is "
	    "'reduceByKeyAndWindow', this pipeline's is "
	    "'countByValueAndWindow'") != NULL);
	free(cause);
	cause = load_cause("map value then reduceByKeyAndWindow sum 5s 1s",
	    st.p, st.len);
	CHECK(cause != NULL && strstr(cause, "the checkpoint holds 2 "
	    "operators, this pipeline has 3") != NULL);
	free(cause);

	/* updateStateByKey: every truncation refused; EXPR and TIMEOUT checked. */
	state_after("updateStateByKey (state_??_0)_+_sum(values) 4s", 12, &st);
	check_damaged("updateStateByKey (state_??_0)_+_sum(values) 4s", &st,
	    false);
	cause = load_cause("updateStateByKey (state_??_0)_+_sum(values) 5s",
	    st.p, st.len);
	CHECK(cause != NULL && strstr(cause, "the checkpoint's "
	    "updateStateByKey timeout is 4000 ms, this one 5000 ms") != NULL);
	free(cause);
	cause = load_cause("updateStateByKey (state_??_0)_+_len(values) 4s",
	    st.p, st.len);
	CHECK(cause != NULL && strstr(cause, "the checkpoint's "
	    "updateStateByKey function is '(state ?? 0) + sum(values)', this "
	    "one '(state ?? 0) + len(values)'") != NULL);
	free(cause);

	/* Sessions: every truncation refused; FUNC and GAP checked. */
	state_after("reduceByKeyAndSession sum 3s", 14, &st);
	CHECK(st.len > 40);	/* open sessions saved */
	check_damaged("reduceByKeyAndSession sum 3s", &st, true);
	cause = load_cause("reduceByKeyAndSession sum 4s", st.p, st.len);
	CHECK(cause != NULL && strstr(cause, "the checkpoint's session gap "
	    "is 3000 ms, this one 4000 ms") != NULL);
	free(cause);
	cause = load_cause("reduceByKeyAndSession max 3s", st.p, st.len);
	CHECK(cause != NULL && strstr(cause, "the checkpoint's "
	    "reduceByKeyAndSession reduces with 'sum', this one with 'max'")
	    != NULL);
	free(cause);
	buf_free(&st);
}

/* Whether panes A and B hold the same: saved, they give the same bytes. */
static int
pane_same(struct pane *a, struct pane *b, bool recs)
{
	struct buf	 ba = BUF_INIT, bb = BUF_INIT;
	char		*cause = NULL;
	int		 same;

	same = pane_save(a, &ba, recs, &cause) == 0 &&
	    pane_save(b, &bb, recs, &cause) == 0 && ba.len == bb.len &&
	    memcmp(ba.p, bb.p, ba.len) == 0;
	free(cause);
	buf_free(&ba);
	buf_free(&bb);
	return same;
}

/*
 * Panes alone: a pane of aggregates for each kind of reducer, and a
 * pane of records, save and load to the same content, go on alike
 * (the same results after more values), and refuse a pane of the other
 * kind.
 */
static void
test_panes(void)
{
	static const char *const funcs[] = { "sum", "count", "avg", "min",
	    "max", "first", "last", "[a, b]" };
	struct arena	 a;
	struct pane	 p, q, recp, recq;
	struct agg	*r;
	struct buf	 b = BUF_INIT;
	struct snap_rd	 rd;
	struct value	 recs[16], k, v;
	char		*cause = NULL;
	size_t		 f, i, n;
	int		 batch;

	arena_init(&a);
	for (f = 0; f < sizeof funcs / sizeof funcs[0]; f++) {
		CHECK((r = aggexpr_parse(funcs[f], NULL, &cause)) != NULL);
		pane_init(&p, r);
		pane_init(&q, r);
		pane_init(&recp, NULL);
		pane_init(&recq, NULL);
		p.id = recp.id = -42;
		for (batch = 0; batch < 6; batch++) {
			n = batch_input(7, batch, &a, recs, 16);
			for (i = 0; i < n; i++) {
				CHECK(pane_add(&p, &recs[i].u.a[0],
				    &recs[i].u.a[1]) == 0);
				pane_keep(&recp, &recs[i]);
			}
		}
		buf_reset(&b);
		CHECK(pane_save(&p, &b, false, &cause) == 0);
		CHECK(pane_save(&recp, &b, true, &cause) == 0);
		/* Something in the panes first: the load replaces it. */
		k = value_str("old", 3);
		v = value_int(1);
		pane_add(&q, &k, &v);
		pane_keep(&recq, &v);
		snap_rd_init(&rd, b.p, b.len);
		CHECK(pane_load(&q, &rd, false) == 0);
		CHECK(pane_load(&recq, &rd, true) == 0);
		CHECK(snap_rd_end(&rd) == 0);
		CHECK(q.id == -42 && q.nrec == p.nrec);
		CHECK(recq.nrec == recp.nrec);
		CHECK(pane_same(&p, &q, false));
		CHECK(pane_same(&recp, &recq, true));
		/* Both go on alike, merges included. */
		for (batch = 6; batch < 9; batch++) {
			n = batch_input(7, batch, &a, recs, 16);
			for (i = 0; i < n; i++) {
				pane_add(&p, &recs[i].u.a[0], &recs[i].u.a[1]);
				pane_add(&q, &recs[i].u.a[0], &recs[i].u.a[1]);
			}
		}
		CHECK(pane_same(&p, &q, false));
		/* The other kind of pane is refused. */
		snap_rd_init(&rd, b.p, b.len);
		CHECK(pane_load(&recq, &rd, true) == -1);
		cause = snap_rd_cause(&rd);
		CHECK(cause != NULL && strstr(cause, "a pane of aggregates "
		    "where one of records was expected") != NULL);
		free(cause);
		cause = NULL;
		pane_free(&p);
		pane_free(&q);
		pane_free(&recp);
		pane_free(&recq);
		agg_free(r);
	}
	buf_free(&b);
	arena_free(&a);
}

/* Writes S into the file PATH. */
static void
write_file(const char *path, const char *s)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL || fputs(s, f) == EOF ||
	    fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int
main(void)
{
	if (mkdtemp(init_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(init_tsv, sizeof init_tsv, "%s/init.tsv", init_dir);
	snprintf(init_json, sizeof init_json, "%s/init.jsonl", init_dir);
	/* Keys of the input (a, c) and others (zz, q), text and numbers. */
	write_file(init_tsv, "a\t5\nzz\t-3\nc\t1.5\n");
	write_file(init_json, "{\"key\":\"b\",\"value\":2.5}\n"
	    "{\"key\":\"q\",\"value\":4}\n{\"key\":\"\",\"value\":-1}\n");
	test_panes();
	test_resume();
	test_refusals();
	unlink(init_tsv);
	unlink(init_json);
	rmdir(init_dir);
	return unit_done("test_ops_snap");
}
