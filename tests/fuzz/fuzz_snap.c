/*
 * fuzz_snap.c - libFuzzer target for the snapshot readers (state/snap.c).
 *
 * The first byte chooses what the rest is read as:
 *   even: a script of typed items, each an op byte then the item (u64,
 *         i64, double, bool, bytes, value, count, or a section holding a
 *         script of its own);
 *   odd:  a container of kind 'FUZZ' whose payload is such a script.
 * Nothing may crash or read out of bounds.  Since the encoding is
 * canonical, whatever reads back whole must encode again to exactly the
 * bytes read, and those bytes must read back the same way again.
 *
 * The seed corpus (fuzz_snap.corpus/) is written by the unit test:
 * tests/unit/test_snap --seeds tests/fuzz/fuzz_snap.corpus
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dstream.h"
#include "state/snap.h"

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
	if (data[0] % 2 == 0)
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
