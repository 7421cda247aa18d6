/*
 * test_snap.c - the snapshot encoding alone: round trips of every item
 * and every value type (extreme integers, NaN, infinities, -0.0, empty
 * and nested containers), canonical bytes, and refusals: every
 * truncation point, a flipped byte anywhere, another format version,
 * bad tags, over-long lengths and counts, depth, sections that overrun.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/dstream.h"
#include "../../src/state/agg.h"
#include "../../src/state/pane.h"
#include "../../src/state/snap.h"
#include "../../src/state/table.h"
#include "unit.h"


#define KIND	SNAP_TAG('T', 'E', 'S', 'T')

/* Whether the cause recorded in R contains WHAT (and then frees it). */
static int
cause_has(struct snap_rd *r, const char *what)
{
	char	*c = snap_rd_cause(r);
	int	 ok = c != NULL && strstr(c, what) != NULL;

	if (!ok)
		fprintf(stderr, "cause \"%s\" lacks \"%s\"\n",
		    c ? c : "(null)", what);
	free(c);
	return ok;
}

static int
dbl_same(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

static void
test_scalars(void)
{
	static const uint64_t	 us[] = { 0, 1, 127, 128, 255, 16383, 16384,
	    UINT32_MAX, (uint64_t)1 << 63, UINT64_MAX - 1, UINT64_MAX };
	static const int64_t	 is[] = { 0, 1, -1, 63, -64, 64, -65,
	    INT32_MIN, INT32_MAX, INT64_MAX, INT64_MIN, INT64_MIN + 1 };
	double			 ds[12];
	struct buf		 b = BUF_INIT;
	struct snap_rd		 r;
	uint64_t		 u, nanbits = 0x7ff8000000000abcull;
	int64_t			 i;
	double			 d;
	uint8_t			 u8;
	bool			 bo;
	const char		*p;
	size_t			 n, k;

	ds[0] = 0.0;
	ds[1] = -0.0;
	ds[2] = INFINITY;
	ds[3] = -INFINITY;
	ds[4] = NAN;
	memcpy(&ds[5], &nanbits, sizeof ds[5]);	/* a NaN with a payload */
	ds[6] = -NAN;
	ds[7] = DBL_MAX;
	ds[8] = DBL_MIN;
	ds[9] = DBL_TRUE_MIN;
	ds[10] = 0.1;
	ds[11] = -1e300;

	for (k = 0; k < sizeof us / sizeof us[0]; k++)
		snap_put_u64(&b, us[k]);
	for (k = 0; k < sizeof is / sizeof is[0]; k++)
		snap_put_i64(&b, is[k]);
	for (k = 0; k < sizeof ds / sizeof ds[0]; k++)
		snap_put_dbl(&b, ds[k]);
	snap_put_u8(&b, 0);
	snap_put_u8(&b, 255);
	snap_put_bool(&b, true);
	snap_put_bool(&b, false);
	snap_put_bytes(&b, "a\0b", 3);
	snap_put_bytes(&b, "", 0);
	snap_put_str(&b, "hello");

	snap_rd_init(&r, b.p, b.len);
	for (k = 0; k < sizeof us / sizeof us[0]; k++) {
		CHECK(snap_get_u64(&r, &u) == 0);
		CHECK(u == us[k]);
	}
	for (k = 0; k < sizeof is / sizeof is[0]; k++) {
		CHECK(snap_get_i64(&r, &i) == 0);
		CHECK(i == is[k]);
	}
	for (k = 0; k < sizeof ds / sizeof ds[0]; k++) {
		CHECK(snap_get_dbl(&r, &d) == 0);
		CHECK(dbl_same(d, ds[k]));
	}
	CHECK(snap_get_u8(&r, &u8) == 0 && u8 == 0);
	CHECK(snap_get_u8(&r, &u8) == 0 && u8 == 255);
	CHECK(snap_get_bool(&r, &bo) == 0 && bo);
	CHECK(snap_get_bool(&r, &bo) == 0 && !bo);
	CHECK(snap_get_bytes(&r, 100, &p, &n) == 0 && n == 3 &&
	    memcmp(p, "a\0b", 3) == 0);
	CHECK(snap_get_bytes(&r, 100, &p, &n) == 0 && n == 0);
	CHECK(snap_get_bytes(&r, 100, &p, &n) == 0 && n == 5 &&
	    memcmp(p, "hello", 5) == 0);
	CHECK(snap_left(&r) == 0);
	CHECK(snap_rd_end(&r) == 0);
	CHECK(r.cause == NULL);

	/* Small numbers take one byte; zigzag keeps small negatives small. */
	buf_reset(&b);
	snap_put_u64(&b, 127);
	snap_put_i64(&b, -64);
	snap_put_i64(&b, 63);
	CHECK(b.len == 3);
	snap_put_u64(&b, UINT64_MAX);
	CHECK(b.len == 13);
	buf_free(&b);
}

/* Encodes V, decodes it, and checks the decoded value encodes alike. */
static void
roundtrip(const struct value *v)
{
	struct buf	 b1 = BUF_INIT, b2 = BUF_INIT;
	struct arena	 a;
	struct value	 w;
	struct snap_rd	 r;
	char		*cause = NULL;

	arena_init(&a);
	CHECK(snap_put_value(&b1, v, &cause) == 0);
	snap_rd_init(&r, b1.p, b1.len);
	CHECK(snap_get_value(&r, &a, &w) == 0);
	CHECK(snap_rd_end(&r) == 0);
	CHECK(w.type == v->type);
	CHECK(snap_put_value(&b2, &w, &cause) == 0);
	CHECK(b1.len == b2.len && memcmp(b1.p, b2.p, b1.len) == 0);
	if (!(w.type == V_DBL && isnan(w.u.d)))
		CHECK(value_eq(&w, v) && value_cmp(&w, v) == 0);
	snap_rd_free(&r);
	buf_free(&b1);
	buf_free(&b2);
	arena_free(&a);
}

static struct value
str(const char *s)
{
	return value_str(s, strlen(s));
}

static void
test_values(void)
{
	struct arena	 a;
	struct value	 v, t, arr, obj, e;
	uint64_t	 nanbits = 0xfff0000000000001ull;
	double		 d;

	arena_init(&a);
	v = value_null();
	roundtrip(&v);
	v = value_bool(true);
	roundtrip(&v);
	v = value_bool(false);
	roundtrip(&v);
	v = value_int(INT64_MIN);
	roundtrip(&v);
	v = value_int(INT64_MAX);
	roundtrip(&v);
	v = value_int(0);
	roundtrip(&v);
	v = value_dbl(-0.0);
	roundtrip(&v);
	v = value_dbl(INFINITY);
	roundtrip(&v);
	v = value_dbl(-INFINITY);
	roundtrip(&v);
	memcpy(&d, &nanbits, sizeof d);
	v = value_dbl(d);
	roundtrip(&v);
	v = value_dbl(NAN);
	roundtrip(&v);
	v = value_dbl(5e-324);
	roundtrip(&v);
	v = value_str("", 0);
	roundtrip(&v);
	v = value_str("x\0y\xff", 4);
	roundtrip(&v);

	/* Empty containers. */
	v = value_tuple(&a, 0);
	roundtrip(&v);
	v = value_array(&a, 0);
	roundtrip(&v);
	v.type = V_OBJ;
	v.n = 0;
	v.u.kv = NULL;
	roundtrip(&v);

	/* Nested: a pair holding an array holding an object and a tuple. */
	obj.type = V_OBJ;
	obj.n = 3;
	obj.u.kv = arena_alloc(&a, 6 * sizeof *obj.u.kv);
	obj.u.kv[0] = str("a");
	obj.u.kv[1] = value_int(-5);
	obj.u.kv[2] = str("");
	obj.u.kv[3] = value_array(&a, 0);
	obj.u.kv[4] = str("n\0ul");
	obj.u.kv[4].n = 4;
	obj.u.kv[5] = value_dbl(-0.0);
	t = value_tuple(&a, 3);
	t.u.a[0] = value_null();
	t.u.a[1] = value_bool(true);
	t.u.a[2] = str("three");
	arr = value_array(&a, 3);
	arr.u.a[0] = obj;
	arr.u.a[1] = t;
	arr.u.a[2] = value_dbl(1.5);
	v = value_pair(&a, str("key"), arr);
	roundtrip(&v);

	/* Decoded strings are copies: the bytes read may go away. */
	{
		struct buf	 b = BUF_INIT;
		struct snap_rd	 r;
		char		*cause;

		CHECK(snap_put_value(&b, &v, &cause) == 0);
		snap_rd_init(&r, b.p, b.len);
		CHECK(snap_get_value(&r, &a, &e) == 0);
		memset(b.p, 0xee, b.len);
		CHECK(value_eq(&e, &v));
		buf_free(&b);
	}
	arena_free(&a);
}

/* A value nested N levels deep: [[[...]]]. */
static struct value
deep(struct arena *a, int n)
{
	struct value	 v = value_int(7), w;

	while (n-- > 0) {
		w = value_array(a, 1);
		w.u.a[0] = v;
		v = w;
	}
	return v;
}

static void
test_depth(void)
{
	struct arena	 a;
	struct buf	 b = BUF_INIT;
	struct snap_rd	 r;
	struct value	 v;
	char		*cause = NULL;
	int		 i;

	arena_init(&a);
	v = deep(&a, SNAP_MAX_DEPTH);
	roundtrip(&v);
	v = deep(&a, SNAP_MAX_DEPTH + 1);
	CHECK(snap_put_value(&b, &v, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "deeper") != NULL);
	free(cause);

	/* Read side: hand-made bytes one level too deep. */
	buf_reset(&b);
	for (i = 0; i < SNAP_MAX_DEPTH + 1; i++) {
		snap_put_u8(&b, 7);	/* array */
		snap_put_u64(&b, 1);
	}
	snap_put_u8(&b, 0);
	snap_rd_init(&r, b.p, b.len);
	CHECK(snap_get_value(&r, &a, &v) == -1);
	CHECK(v.type == V_NULL);
	CHECK(cause_has(&r, "deeper"));
	buf_free(&b);
	arena_free(&a);
}

/* A container holding a bit of everything. */
static void
sample(struct buf *b)
{
	struct arena	 a;
	struct value	 v;
	size_t		 start, sec;
	char		*cause;

	arena_init(&a);
	start = snap_begin(b, KIND);
	snap_put_u64(b, 300);
	snap_put_i64(b, -2);
	snap_put_dbl(b, -0.0);
	sec = snap_sec_begin(b, SNAP_TAG('S', 'E', 'C', '1'));
	snap_put_str(b, "inside");
	v = value_pair(&a, str("k"), value_dbl(2.5));
	snap_put_value(b, &v, &cause);
	snap_sec_end(b, sec);
	snap_put_bool(b, true);
	snap_end(b, start);
	arena_free(&a);
}

/* Reads what sample wrote; returns 0 when everything is as written. */
static int
read_sample(const char *p, size_t n, char **cause)
{
	struct arena	 a;
	struct snap_rd	 r, pl, sec;
	struct value	 v;
	uint64_t	 u;
	int64_t		 i;
	double		 d;
	const char	*s = "";
	size_t		 sn = 0;
	bool		 bo;
	int		 rc = -1;

	v = value_null();

	arena_init(&a);
	snap_rd_init(&r, p, n);
	if (snap_open(&r, KIND, &pl) == -1 || snap_rd_end(&r) == -1)
		goto out;
	snap_get_u64(&pl, &u);
	snap_get_i64(&pl, &i);
	snap_get_dbl(&pl, &d);
	if (snap_sec(&pl, SNAP_TAG('S', 'E', 'C', '1'), &sec) == 0) {
		snap_get_bytes(&sec, 100, &s, &sn);
		snap_get_value(&sec, &a, &v);
		snap_sec_done(&pl, &sec);
	}
	snap_get_bool(&pl, &bo);
	if (snap_rd_end(&pl) == -1) {
		r.cause = snap_rd_cause(&pl);
		goto out;
	}
	if (u != 300 || i != -2 || !dbl_same(d, -0.0) || sn != 6 ||
	    memcmp(s, "inside", 6) != 0 || !value_is_pair(&v) || !bo) {
		snap_fail(&r, "read back differs");
		goto out;
	}
	rc = 0;
out:
	*cause = snap_rd_cause(&r);
	arena_free(&a);
	return rc;
}

static void
test_container(void)
{
	struct buf	 b = BUF_INIT;
	struct snap_rd	 r, pl;
	char		*cause, *copy;
	size_t		 i, bad, badsum;
	int		 bit;

	sample(&b);
	CHECK(read_sample(b.p, b.len, &cause) == 0);
	CHECK(cause == NULL);

	/* Every truncation point is refused. */
	bad = 0;
	for (i = 0; i < b.len; i++) {
		copy = xmalloc(i + 1);	/* exact size: ASan sees overreads */
		memcpy(copy, b.p, i);
		if (read_sample(copy, i, &cause) == 0)
			bad++;
		CHECK(cause != NULL);
		free(cause);
		free(copy);
	}
	CHECK(bad == 0);

	/* A flipped bit anywhere is refused; past the header, by the checksum. */
	bad = badsum = 0;
	copy = xmalloc(b.len);
	for (i = 0; i < b.len; i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, b.p, b.len);
			copy[i] ^= (char)(1 << bit);
			if (read_sample(copy, b.len, &cause) == 0)
				bad++;
			if ((i >= 24 || (i >= 12 && i < 16)) &&
			    (cause == NULL || strstr(cause, "checksum") == NULL))
				badsum++;
			free(cause);
		}
	free(copy);
	CHECK(bad == 0);
	CHECK(badsum == 0);

	/* Trailing bytes after a container are the caller's to refuse. */
	buf_addc(&b, 'x');
	CHECK(read_sample(b.p, b.len, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "1 bytes left over") != NULL);
	free(cause);
	b.len--;

	/* Another format version: the message names both. */
	copy = xmalloc(b.len);
	memcpy(copy, b.p, b.len);
	copy[8] = 2;
	snap_rd_init(&r, copy, b.len);
	CHECK(snap_open(&r, KIND, &pl) == -1);
	CHECK(cause_has(&r, "snapshot format version 2, this dstream reads "
	    "version 1"));

	/* Another kind. */
	snap_rd_init(&r, b.p, b.len);
	CHECK(snap_open(&r, SNAP_TAG('O', 'T', 'H', 0), &pl) == -1);
	CHECK(cause_has(&r, "holds 'TEST', expected 'OTH?'"));

	/* Not a snapshot at all. */
	memcpy(copy, "hello world, this is text", 25);
	snap_rd_init(&r, copy, 25);
	CHECK(snap_open(&r, KIND, &pl) == -1);
	CHECK(cause_has(&r, "not a dstream snapshot"));
	snap_rd_init(&r, copy, 0);
	CHECK(snap_open(&r, KIND, &pl) == -1);
	CHECK(cause_has(&r, "truncated"));
	free(copy);

	/* Two containers in a row. */
	sample(&b);
	snap_rd_init(&r, b.p, b.len);
	CHECK(snap_open(&r, KIND, &pl) == 0);
	CHECK(snap_open(&r, KIND, &pl) == 0);
	CHECK(snap_rd_end(&r) == 0);
	buf_free(&b);
}

static void
test_refusals(void)
{
	struct buf	 b = BUF_INIT;
	struct arena	 a;
	struct snap_rd	 r, sub;
	struct value	 v;
	uint64_t	 u;
	int64_t		 i;
	double		 d;
	uint8_t		 u8;
	bool		 bo;
	const char	*p;
	char		*s;
	size_t		 n, used, k;

	arena_init(&a);

	/* Over-long and overflowing varints. */
	snap_rd_init(&r, "\x80\x00", 2);
	CHECK(snap_get_u64(&r, &u) == -1 && u == 0);
	CHECK(cause_has(&r, "over-long varint at byte 0"));
	snap_rd_init(&r, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10);
	CHECK(snap_get_u64(&r, &u) == -1);
	CHECK(cause_has(&r, "overflows"));
	snap_rd_init(&r, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
	CHECK(snap_get_u64(&r, &u) == -1);
	CHECK(cause_has(&r, "overflows"));
	snap_rd_init(&r, "\xff\xff", 2);
	CHECK(snap_get_i64(&r, &i) == -1 && i == 0);
	CHECK(cause_has(&r, "truncated varint"));

	/* Truncated fixed-size items. */
	snap_rd_init(&r, "1234567", 7);
	CHECK(snap_get_dbl(&r, &d) == -1 && d == 0);
	CHECK(cause_has(&r, "truncated double"));
	snap_rd_init(&r, "", 0);
	CHECK(snap_get_u8(&r, &u8) == -1);
	CHECK(cause_has(&r, "truncated"));

	/* A boolean is 0 or 1. */
	snap_rd_init(&r, "\x02", 1);
	CHECK(snap_get_bool(&r, &bo) == -1);
	CHECK(cause_has(&r, "bad boolean 2 at byte 0"));

	/* Lengths over the bytes left or over the caller's limit. */
	snap_rd_init(&r, "\x05" "abc", 4);
	CHECK(snap_get_bytes(&r, 100, &p, &n) == -1 && n == 0);
	CHECK(cause_has(&r, "truncated byte string: 5 bytes, 3 left"));
	snap_rd_init(&r, "\x03" "abc", 4);
	CHECK(snap_get_str(&r, &a, 2, &s, &n) == -1 && s == NULL);
	CHECK(cause_has(&r, "over the limit 2"));
	snap_rd_init(&r, "\x03" "abc", 4);
	CHECK(snap_get_str(&r, &a, 3, &s, &n) == 0 && n == 3 &&
	    strcmp(s, "abc") == 0);
	snap_rd_init(&r, "\x04" "abcdefgh", 9);
	CHECK(snap_get_count(&r, 2, 100, &n) == 0 && n == 4);
	snap_rd_init(&r, "\x05" "abcdefgh", 9);
	CHECK(snap_get_count(&r, 2, 100, &n) == -1 && n == 0);
	CHECK(cause_has(&r, "cannot fit"));
	snap_rd_init(&r, "\x05" "abcdefgh", 9);
	CHECK(snap_get_count(&r, 1, 4, &n) == -1);
	CHECK(cause_has(&r, "over the limit 4"));

	/* Bad value type; a huge count is refused before any allocation. */
	snap_rd_init(&r, "\x09", 1);
	CHECK(snap_get_value(&r, &a, &v) == -1);
	CHECK(cause_has(&r, "bad value type 9"));
	arena_reset(&a);
	used = a.used;
	buf_reset(&b);
	snap_put_u8(&b, 7);
	snap_put_u64(&b, UINT32_MAX);
	snap_put_u8(&b, 0);
	snap_rd_init(&r, b.p, b.len);
	CHECK(snap_get_value(&r, &a, &v) == -1);
	CHECK(a.used == used);
	CHECK(cause_has(&r, "cannot fit"));
	buf_reset(&b);
	snap_put_u8(&b, 6);
	snap_put_u64(&b, (uint64_t)UINT32_MAX + 1);
	snap_rd_init(&r, b.p, b.len);
	CHECK(snap_get_value(&r, &a, &v) == -1);
	CHECK(cause_has(&r, "over the limit"));
	/* An object key is a string: its length is checked too. */
	snap_rd_init(&r, "\x08\x01\x09\x00", 4);
	CHECK(snap_get_value(&r, &a, &v) == -1);
	CHECK(cause_has(&r, "truncated"));

	/* Every truncation of a nested value is refused. */
	{
		struct value	 t = value_tuple(&a, 3);
		char		*cause, *copy;

		t.u.a[0] = str("abc");
		t.u.a[1] = deep(&a, 5);
		t.u.a[2] = value_dbl(1);
		buf_reset(&b);
		CHECK(snap_put_value(&b, &t, &cause) == 0);
		for (k = 0; k < b.len; k++) {
			copy = xmalloc(k + 1);
			memcpy(copy, b.p, k);
			snap_rd_init(&r, copy, k);
			CHECK(snap_get_value(&r, &a, &v) == -1);
			CHECK(v.type == V_NULL);
			CHECK(r.p <= r.end);
			snap_rd_free(&r);
			free(copy);
		}
	}

	/* The first cause sticks; later reads fail too. */
	snap_rd_init(&r, "\x80", 1);
	CHECK(snap_get_u64(&r, &u) == -1);
	CHECK(snap_get_u8(&r, &u8) == -1);
	CHECK(snap_fail(&r, "later") == -1);
	CHECK(cause_has(&r, "truncated varint"));

	/* Sections fence their bytes in. */
	buf_reset(&b);
	k = snap_sec_begin(&b, SNAP_TAG('A', 'A', 'A', 'A'));
	snap_put_u64(&b, 5);
	snap_sec_end(&b, k);
	snap_put_u64(&b, 6);
	snap_rd_init(&r, b.p, b.len);
	CHECK(snap_sec(&r, SNAP_TAG('B', 'B', 'B', 'B'), &sub) == -1);
	CHECK(cause_has(&r, "section 'AAAA' where 'BBBB' was expected"));
	snap_rd_init(&r, b.p, b.len);
	CHECK(snap_sec(&r, SNAP_TAG('A', 'A', 'A', 'A'), &sub) == 0);
	CHECK(snap_get_u64(&sub, &u) == 0 && u == 5);
	CHECK(snap_get_u64(&sub, &u) == -1);	/* not the 6 beyond */
	CHECK(snap_sec_done(&r, &sub) == -1);
	CHECK(cause_has(&r, "truncated varint at byte 13"));
	snap_rd_init(&r, b.p, b.len);
	CHECK(snap_sec(&r, SNAP_TAG('A', 'A', 'A', 'A'), &sub) == 0);
	CHECK(snap_sec_done(&r, &sub) == -1);
	CHECK(cause_has(&r, "1 bytes left over"));
	snap_rd_init(&r, b.p, b.len);
	CHECK(snap_sec(&r, SNAP_TAG('A', 'A', 'A', 'A'), &sub) == 0);
	CHECK(snap_get_u64(&sub, &u) == 0);
	CHECK(snap_sec_done(&r, &sub) == 0);
	CHECK(snap_get_u64(&r, &u) == 0 && u == 6);
	CHECK(snap_rd_end(&r) == 0);
	/* A section longer than what holds it. */
	snap_rd_init(&r, b.p, b.len - 2);
	CHECK(snap_sec(&r, SNAP_TAG('A', 'A', 'A', 'A'), &sub) == -1);
	CHECK(cause_has(&r, "truncated section 'AAAA'"));

	buf_free(&b);
	arena_free(&a);
}

/* Writes N bytes at P to DIR/NAME. */
static void
seed_write(const char *dir, const char *name, const char *p, size_t n)
{
	char	 path[1024];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n ||
	    fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static int
seed_i64(const void *data, struct buf *b, void *arg, char **cause)
{
	snap_put_i64(b, *(const int64_t *)data);
	return 0;
}

/*
 * Writes the seed corpus of tests/fuzz/fuzz_snap.c into DIR: scripts of
 * typed items (first byte 0), a container holding one (1), a table (2)
 * and panes (3).
 */
static void
seeds(const char *dir)
{
	struct buf	 b = BUF_INIT, c = BUF_INIT;
	struct arena	 a;
	struct value	 v, o;
	size_t		 at, sec;
	char		*cause;

	arena_init(&a);
	buf_addc(&b, 0);
	snap_put_u8(&b, 0);
	snap_put_u64(&b, UINT64_MAX);
	snap_put_u8(&b, 1);
	snap_put_i64(&b, INT64_MIN);
	snap_put_u8(&b, 2);
	snap_put_dbl(&b, -0.0);
	snap_put_u8(&b, 3);
	snap_put_bool(&b, true);
	snap_put_u8(&b, 4);
	snap_put_bytes(&b, "bytes", 5);
	snap_put_u8(&b, 6);
	snap_put_u64(&b, 1);
	snap_put_bytes(&b, "four", 4);
	seed_write(dir, "scalars", b.p, b.len);

	buf_reset(&b);
	buf_addc(&b, 0);
	o.type = V_OBJ;
	o.n = 2;
	o.u.kv = arena_alloc(&a, 4 * sizeof *o.u.kv);
	o.u.kv[0] = str("k");
	o.u.kv[1] = value_array(&a, 0);
	o.u.kv[2] = str("nan");
	o.u.kv[3] = value_dbl(NAN);
	v = value_tuple(&a, 4);
	v.u.a[0] = o;
	v.u.a[1] = value_pair(&a, str("x"), value_int(-3));
	v.u.a[2] = value_bool(false);
	v.u.a[3] = value_null();
	snap_put_u8(&b, 5);
	snap_put_value(&b, &v, &cause);
	snap_put_u8(&b, 5);
	v = deep(&a, 20);
	snap_put_value(&b, &v, &cause);
	seed_write(dir, "values", b.p, b.len);

	buf_reset(&b);
	buf_addc(&b, 0);
	snap_put_u8(&b, 7);
	sec = snap_sec_begin(&b, SNAP_TAG('S', 'E', 'C', 'T'));
	snap_put_u8(&b, 0);
	snap_put_u64(&b, 42);
	snap_put_u8(&b, 5);
	v = str("in a section");
	snap_put_value(&b, &v, &cause);
	snap_sec_end(&b, sec);
	seed_write(dir, "section", b.p, b.len);

	buf_addc(&c, 1);
	at = snap_begin(&c, SNAP_TAG('F', 'U', 'Z', 'Z'));
	buf_add(&c, b.p + 1, b.len - 1);
	snap_end(&c, at);
	seed_write(dir, "container", c.p, c.len);

	/* A table (mode 2): keys of each kind, an i64 per key. */
	{
		struct table	*t = table_new(sizeof(int64_t));
		bool		 isnew;
		int64_t		*d;

		buf_reset(&b);
		buf_addc(&b, 2);
		v = str("key");
		d = table_put(t, &v, &isnew);
		*d = -7;
		v = value_pair(&a, value_int(3), value_dbl(0.5));
		d = table_put(t, &v, &isnew);
		*d = INT64_MAX;
		v = value_null();
		table_put(t, &v, &isnew);
		table_save(t, &b, seed_i64, NULL, &cause);
		seed_write(dir, "table", b.p, b.len);
		table_free(t);
	}

	/* Panes (mode 3): of avg's aggregates, of last's, of the sketches'
	 * (distinct dense for one key, sparse for the other), of records. */
	{
		const char	*names[] = { "avg", "last", "distinct", "p90",
		    "topk", NULL };
		struct pane	 pn;
		struct agg	*r;
		char		 file[32];
		int		 i, k, ndefs;

		for (ndefs = 0; agg_def_at(ndefs) != NULL; ndefs++)
			;
		for (k = 0; k < 6; k++) {
			buf_reset(&b);
			buf_addc(&b, 3);
			r = NULL;
			if (names[k] != NULL) {
				for (i = 0; strcmp(agg_def_at(i)->name,
				    names[k]) != 0; i++)
					;
				buf_addc(&b, i);
				r = agg_new(agg_def_at(i));
			} else
				buf_addc(&b, ndefs);
			pane_init(&pn, r);
			pn.id = 1234;
			for (i = 0; i < (k == 2 ? 2000 : 5); i++) {
				v = value_pair(&a, str((k == 2 ? i % 7 != 0 :
				    i % 2) ? "a" : "b"),
				    value_dbl(i * 1.5));
				if (r != NULL)
					pane_add(&pn, &v.u.a[0], &v.u.a[1]);
				else
					pane_keep(&pn, &v);
			}
			pane_save(&pn, &b, r == NULL, &cause);
			snprintf(file, sizeof file, "pane_%s",
			    names[k] ? names[k] : "records");
			seed_write(dir, file, b.p, b.len);
			pane_free(&pn);
			agg_free(r);
		}
	}

	buf_free(&b);
	buf_free(&c);
	arena_free(&a);
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--seeds") == 0) {
		seeds(argv[2]);
		return 0;
	}
	test_scalars();
	test_values();
	test_depth();
	test_container();
	test_refusals();
	return unit_done("test_snap");
}
