/*
 * fuzz_snap.c - libFuzzer target for the snapshot readers (state/snap.c).
 *
 * The first byte chooses what the rest is read as (its value mod 4):
 *   0: a script of typed items, each an op byte then the item (u64,
 *      i64, double, bool, bytes, value, count, or a section holding a
 *      script of its own);
 *   1: a container of kind 'FUZZ' whose payload is such a script;
 *   2: a table (table_load) whose data is an i64 per key;
 *   3: a pane (pane_load): the second byte picks the reducer of its
 *      aggregates (agg.def's list, the sketches' loaders included:
 *      distinct, the quantiles, topk), or none for a pane of records.
 * Nothing may crash or read out of bounds.  Since the encoding is
 * canonical, a script or container that reads back whole must encode
 * again to exactly the bytes read, and those bytes must read back the
 * same way again.  A table or pane that loads must save to bytes that
 * load and save to the same bytes again.
 *
 * The seed corpus (fuzz_snap.corpus/) is written by the unit test:
 * tests/unit/test_snap --seeds tests/fuzz/fuzz_snap.corpus
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dstream.h"
#include "state/agg.h"
#include "state/pane.h"
#include "state/snap.h"
#include "state/table.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_KIND	SNAP_TAG('F', 'U', 'Z', 'Z')
#define FUZZ_SEC	SNAP_TAG('S', 'E', 'C', 'T')

/*
 * Reads items from R until its end, writing each again to OUT.
 * Returns 0 when everything read, -1 at the first refusal.
 */
static int
fuzz_script(struct snap_rd *r, struct arena *a, struct buf *out, int depth)
{
	struct snap_rd	 sub;
	struct value	 v;
	uint64_t	 u;
	int64_t		 i;
	double		 d;
	bool		 b;
	const char	*p;
	size_t		 n, at;
	uint8_t		 op;
	char		*cause = NULL;

	while (snap_left(r) > 0) {
		if (snap_get_u8(r, &op) == -1)
			return -1;
		snap_put_u8(out, op);
		switch (op % 8) {
		case 0:
			if (snap_get_u64(r, &u) == -1)
				return -1;
			snap_put_u64(out, u);
			break;
		case 1:
			if (snap_get_i64(r, &i) == -1)
				return -1;
			snap_put_i64(out, i);
			break;
		case 2:
			if (snap_get_dbl(r, &d) == -1)
				return -1;
			snap_put_dbl(out, d);
			break;
		case 3:
			if (snap_get_bool(r, &b) == -1)
				return -1;
			snap_put_bool(out, b);
			break;
		case 4:
			if (snap_get_bytes(r, 1 << 16, &p, &n) == -1)
				return -1;
			snap_put_bytes(out, p, n);
			break;
		case 5:
			if (snap_get_value(r, a, &v) == -1)
				return -1;
			if (snap_put_value(out, &v, &cause) == -1) {
				fprintf(stderr, "read a value it cannot write: "
				    "%s\n", cause);
				abort();
			}
			break;
		case 6:
			if (snap_get_count(r, 4, 1000, &n) == -1)
				return -1;
			if (n > 1000 || n > snap_left(r) / 4)
				abort();
			snap_put_u64(out, n);
			break;
		case 7:
			if (depth >= 8)
				return snap_fail(r, "sections too deep");
			if (snap_sec(r, FUZZ_SEC, &sub) == -1)
				return -1;
			at = snap_sec_begin(out, FUZZ_SEC);
			fuzz_script(&sub, a, out, depth + 1);
			if (snap_sec_done(r, &sub) == -1)
				return -1;
			snap_sec_end(out, at);
			break;
		}
		if (r->p > r->end)
			abort();
	}
	return 0;
}

static int
fuzz_i64_save(const void *data, struct buf *b, void *arg, char **cause)
{
	snap_put_i64(b, *(const int64_t *)data);
	return 0;
}

static int
fuzz_i64_load(void *data, struct snap_rd *r, void *arg)
{
	return snap_get_i64(r, data);
}

/*
 * Loads the bytes at P as a table (MODE 2) or a pane with the reducer
 * AGG (MODE 3; records when NULL) and saves what loaded into OUT.
 * Returns 0, or -1 when the load refused them (with a cause).
 */
static int
fuzz_state(int mode, struct agg *agg, const char *p, size_t n,
    struct buf *out)
{
	struct snap_rd	 r;
	struct table	*t;
	struct pane	 pn;
	char		*cause = NULL;
	int		 rc;

	buf_reset(out);
	snap_rd_init(&r, p, n);
	if (mode == 2) {
		t = table_new(sizeof(int64_t));
		rc = table_load(t, &r, fuzz_i64_load, NULL);
		if (rc == 0)
			rc = snap_rd_end(&r);
		if (rc == 0 && table_save(t, out, fuzz_i64_save, NULL,
		    &cause) == -1) {
			fprintf(stderr, "loaded a table it cannot save: %s\n",
			    cause);
			abort();
		}
		table_free(t);
	} else {
		pane_init(&pn, agg);
		rc = pane_load(&pn, &r, agg == NULL);
		if (rc == 0)
			rc = snap_rd_end(&r);
		if (rc == 0 && pane_save(&pn, out, agg == NULL, &cause) == -1) {
			fprintf(stderr, "loaded a pane it cannot save: %s\n",
			    cause);
			abort();
		}
		pane_free(&pn);
	}
	if (rc == -1 && r.cause == NULL) {
		fprintf(stderr, "refused without a cause\n");
		abort();
	}
	snap_rd_free(&r);
	return rc;
}

/* Mode 2 and 3: whatever loads saves to bytes that load and save alike. */
static void
fuzz_states(const uint8_t *data, size_t size)
{
	const struct agg_def	*def = NULL;
	struct agg		*agg = NULL;
	struct buf		 b1 = BUF_INIT, b2 = BUF_INIT;
	int			 i, mode = data[0] % 4;
	size_t			 skip = 1;

	if (mode == 3) {
		if (size < 2)
			return;
		for (i = 0; agg_def_at(i) != NULL; i++)
			;
		if (data[1] % (i + 1) < i)
			def = agg_def_at(data[1] % (i + 1));
		agg = def != NULL ? agg_new(def) : NULL;
		skip = 2;
	}
	if (fuzz_state(mode, agg, (const char *)data + skip, size - skip,
	    &b1) == 0) {
		if (fuzz_state(mode, agg, b1.p, b1.len, &b2) != 0 ||
		    b1.len != b2.len || memcmp(b1.p, b2.p, b1.len) != 0) {
			fprintf(stderr, "saved state loads differently\n");
			abort();
		}
	}
	agg_free(agg);
	buf_free(&b1);
	buf_free(&b2);
}

/* Reads DATA as the first byte says; 0 with OUT its re-encoding, or -1. */
static int
fuzz_read(const char *data, size_t size, struct arena *a, struct buf *out)
{
	struct snap_rd	 r, pl;
	size_t		 at;
	int		 rc;

	buf_reset(out);
	if (size == 0)
		return -1;
	buf_addc(out, data[0]);
	snap_rd_init(&r, data + 1, size - 1);
	if (data[0] % 4 == 0)
		rc = fuzz_script(&r, a, out, 0);
	else {
		rc = snap_open(&r, FUZZ_KIND, &pl);
		if (rc == 0) {
			at = snap_begin(out, FUZZ_KIND);
			rc = fuzz_script(&pl, a, out, 0);
			if (rc == -1)
				r.cause = snap_rd_cause(&pl);
			snap_end(out, at);
		}
		snap_rd_free(&pl);
		if (rc == 0)
			rc = snap_rd_end(&r);
	}
	if (rc == -1 && r.cause == NULL) {
		fprintf(stderr, "refused without a cause\n");
		abort();
	}
	snap_rd_free(&r);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena	 a;
	static int		 init;
	struct buf		 b1 = BUF_INIT, b2 = BUF_INIT;

	if (!init) {
		arena_init(&a);
		init = 1;
	}
	arena_reset(&a);
	if (size > 0 && data[0] % 4 >= 2) {
		fuzz_states(data, size);
		return 0;
	}
	if (fuzz_read((const char *)data, size, &a, &b1) == 0) {
		if (b1.len != size || memcmp(b1.p, data, size) != 0) {
			fprintf(stderr, "re-encoding differs\n");
			abort();
		}
		if (fuzz_read(b1.p, b1.len, &a, &b2) != 0 ||
		    b2.len != b1.len || memcmp(b2.p, b1.p, b1.len) != 0) {
			fprintf(stderr, "second reading differs\n");
			abort();
		}
	}
	buf_free(&b1);
	buf_free(&b2);
	return 0;
}
