/*
 * test_rebuild.c - the rebuild's probe and gate (engine/rebuild.c), on
 * chains built as main builds them, their tails replaced by a tap: where
 * the two go, which rows pass (keyed rows by their key's partition, rows
 * pushed with a record by its partition, unkeyed rows by the member's
 * own end), which flushes pass, the keys forgotten once the flushes pass
 * every bound, a save and load giving the same decisions, and the chains
 * that cannot be rebuilt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/dstream.h"
#include "../../src/engine/rebuild.h"
#include "../../src/ops/op.h"
#include "../../src/state/buf.h"
#include "../../src/state/snap.h"
#include "unit.h"
#include "unit_ops.h"

/* Builds the chain of WORDS (NULL-terminated), its tail a tap into OUT. */
static struct op *
build(char **words, struct buf *out)
{
	struct op	*head, *op;
	char		*cause = NULL;
	int		 n;

	for (n = 0; words[n] != NULL; n++)
		;
	if ((head = chain_build(&test_env, n, words, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		exit(1);
	}
	for (op = head; op->next->next != NULL; op = op->next)
		;
	op->next->free(op->next);
	op->next = unit_tap(out);
	return head;
}

/* The chain's op names, joined by spaces, into B. */
static const char *
names(struct op *op, struct buf *b)
{
	buf_reset(b);
	for (; op != NULL; op = op->next)
		buf_printf(b, "%s%s", b->len > 0 ? " " : "", op->def->name);
	buf_addc(b, '\0');
	return b->p;
}

/* Pushes the pair (KEY, 1) from partition PART (0: none) into END. */
static void
push(struct op *head, const char *key, int32_t part, int64_t end)
{
	struct value	 kv[2], v;

	kv[0] = value_str(key, strlen(key));
	kv[1] = value_int(1);
	v.type = V_TUPLE;
	v.n = 2;
	v.u.a = kv;
	cur_origin.kpart = part;
	CHECK(head->push(head, &v, end) == 0);
	cur_origin.kpart = 0;
}

int
main(void)
{
	static char	*win[] = { "reduceByKeyAndWindow", "sum", "2s", "1s", NULL };
	static char	*cnt[] = { "count", NULL };
	static char	*map[] = { "map", "x", NULL };
	static char	*upd[] = { "map", "(x, 1)", "then", "updateStateByKey",
			    "(state ?? 0) + sum(values)", NULL };
	static char	*ses[] = { "reduceByKeyAndSession", "sum", "5s", NULL };
	static char	*sav[] = { "saveAsTextFiles", "raw", "then", "map", "x",
			    "then", "reduceByKeyAndWindow", "sum", "2s", "1s",
			    NULL };
	static char	*sav2[] = { "reduceByKeyAndWindow", "sum", "2s", "1s",
			    "then", "saveAsTextFiles", "win", NULL };
	struct buf	 out = BUF_INIT, nb = BUF_INIT, saved = BUF_INIT;
	struct rebuild	 rb, rb2;
	struct snap_rd	 r;
	struct op	*head;
	int64_t		 bound[2] = { 3000, INT64_MIN };
	char		*cause = NULL;
	int64_t		 end;

	memset(&rb, 0, sizeof rb);
	memset(&rb2, 0, sizeof rb2);

	/* Placement: the probe before the keyed op, the gate before the tail. */
	head = build(win, &out);
	CHECK(rebuild_possible(head));
	rebuild_insert(&head, &rb);
	CHECK_STR(names(head, &nb), "(rebuild probe) reduceByKeyAndWindow "
	    "(rebuild gate) tap");
	CHECK(rb.on);

	/*
	 * Partition 1 (a) was emitted up to 3000, partition 2 (b) never,
	 * this member up to 2000: a's windows ending at 1000..3000 are held
	 * back, b's all pass, and the flushes of 1000 and 2000 pass because
	 * b's rows did.
	 */
	rebuild_set(&rb, bound, 2, 2000);
	for (end = 1000; end <= 4000; end += 1000) {
		if (end <= 3000) {
			push(head, "a", 1, end);
			push(head, "b", 2, end);
		}
		CHECK(head->flush(head, end) == 0);
		/* The keys are kept while a bound may be reached. */
		CHECK((rb.keys != NULL) == (end <= 3000));
	}
	CHECK_STR(out.p,
	    "1000 [\"b\",1]\nflush 1000\n"
	    "2000 [\"b\",2]\nflush 2000\n"
	    "3000 [\"b\",2]\nflush 3000\n"
	    "4000 [\"a\",1]\n4000 [\"b\",1]\nflush 4000\n");

	/* Saved with its keys, loaded: the same decisions. */
	buf_reset(&out);
	rebuild_set(&rb, bound, 2, 2000);
	push(head, "a", 1, 1000);
	push(head, "b", 2, 1000);
	CHECK(rebuild_save(&rb, &saved, &cause) == 0);
	snap_rd_init(&r, saved.p, saved.len);
	CHECK(rebuild_load(&rb2, &r) == 0 && snap_rd_end(&r) == 0);
	snap_rd_free(&r);
	CHECK(rb2.pending && !rb2.on && rb2.nbound == 2 &&
	    rb2.bound[0] == 3000 && rb2.bound[1] == INT64_MIN &&
	    rb2.self == 2000 && rb2.top == 3000 && rb2.keys != NULL);
	chain_free(head);
	head = build(win, &out);
	rebuild_insert(&head, &rb2);
	CHECK(!rb2.pending && rb2.on);
	/* The state is the chain's (not saved here): only keys and bounds. */
	push(head, "a", 0, 2000);	/* a flush's row: by its key */
	push(head, "b", 0, 2000);
	CHECK(head->flush(head, 2000) == 0);
	CHECK_STR(out.p, "2000 [\"b\",1]\nflush 2000\n");
	chain_free(head);

	/* Truncated: refused. */
	snap_rd_init(&r, saved.p, saved.len - 1);
	CHECK(rebuild_load(&rb2, &r) == -1 || snap_rd_end(&r) == -1);
	snap_rd_free(&r);

	/*
	 * Unkeyed (count): no probe; rows by the member's own end, and the
	 * flushes of ends it had flushed, with nothing passed, held back.
	 */
	buf_reset(&out);
	head = build(cnt, &out);
	rebuild_insert(&head, &rb);
	CHECK_STR(names(head, &nb), "count (rebuild gate) tap");
	rebuild_set(&rb, bound, 2, 2000);
	for (end = 1000; end <= 3000; end += 1000) {
		push(head, "a", 1, end);
		CHECK(head->flush(head, end) == 0);
	}
	CHECK_STR(out.p, "3000 1\nflush 3000\n");
	chain_free(head);

	/* Records pushed through (map): by the record's partition. */
	buf_reset(&out);
	head = build(map, &out);
	rebuild_insert(&head, &rb);
	CHECK_STR(names(head, &nb), "map (rebuild gate) tap");
	rebuild_set(&rb, bound, 2, 2000);
	push(head, "a", 1, 3000);
	push(head, "b", 2, 3000);
	push(head, "c", 0, 3000);
	CHECK(head->flush(head, 3000) == 0);
	CHECK_STR(out.p, "3000 [\"b\",1]\n3000 [\"c\",1]\nflush 3000\n");
	chain_free(head);

	/* Chains whose state may outlive their span are not rebuilt. */
	head = build(upd, &out);
	CHECK(!rebuild_possible(head));
	chain_free(head);
	head = build(ses, &out);
	CHECK(!rebuild_possible(head));
	chain_free(head);
	/* Output written before a window: the gate would starve it. */
	head = build(sav, &out);
	CHECK(!rebuild_possible(head));
	chain_free(head);
	head = build(sav2, &out);
	CHECK(rebuild_possible(head));
	rebuild_insert(&head, &rb);
	CHECK_STR(names(head, &nb), "(rebuild probe) reduceByKeyAndWindow "
	    "(rebuild gate) saveAsTextFiles tap");
	chain_free(head);

	rebuild_free(&rb);
	rebuild_free(&rb2);
	buf_free(&out);
	buf_free(&nb);
	buf_free(&saved);
	free(cause);
	return unit_done("test_rebuild");
}
