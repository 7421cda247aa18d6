/*
 * test_table.c - the hash table alone: insert, find, delete, growth,
 * iteration order, sorting, numeric keys that are equal, and the key
 * memory of deleted entries coming back.  Also the value functions the
 * table leans on (order, equality, hash, numeric parsing, text forms).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/dstream.h"
#include "../../src/state/snap.h"
#include "../../src/state/table.h"
#include "unit.h"

const char	*progname = "test_table";

struct cnt {
	int64_t	 n;
	int64_t	 order;
};

static struct value
skey(struct arena *a, const char *fmt, long i)
{
	char	 tmp[256];
	int	 n;

	n = snprintf(tmp, sizeof tmp, fmt, i);
	return value_str(arena_strndup(a, tmp, (size_t)n), (size_t)n);
}

static void
test_basic(void)
{
	struct table	*t = table_new(sizeof(struct cnt));
	struct arena	 a;
	struct value	 k;
	struct cnt	*c;
	bool		 isnew;
	char		 buf[8];

	arena_init(&a);
	CHECK(table_count(t) == 0);
	k = value_str("apple", 5);
	CHECK(table_find(t, &k) == NULL);
	c = table_put(t, &k, &isnew);
	CHECK(isnew);
	CHECK(c->n == 0);
	c->n = 7;
	c = table_put(t, &k, &isnew);
	CHECK(!isnew);
	CHECK(c->n == 7);

	/* The key is copied: changing the caller's bytes changes nothing. */
	memcpy(buf, "banana", 6);
	k = value_str(buf, 6);
	c = table_put(t, &k, &isnew);
	c->n = 3;
	memcpy(buf, "xxxxxx", 6);
	k = value_str("banana", 6);
	c = table_find(t, &k);
	CHECK(c != NULL && c->n == 3);
	CHECK(table_count(t) == 2);

	CHECK(table_del(t, &k));
	CHECK(!table_del(t, &k));
	CHECK(table_find(t, &k) == NULL);
	CHECK(table_count(t) == 1);
	k = value_str("apple", 5);
	c = table_find(t, &k);
	CHECK(c != NULL && c->n == 7);

	table_clear(t);
	CHECK(table_count(t) == 0);
	CHECK(table_find(t, &k) == NULL);
	c = table_put(t, &k, &isnew);
	CHECK(isnew && c->n == 0);

	table_free(t);
	arena_free(&a);
}

/* Numbers that are equal are one key: 2, 2.0, and also -0.0 and 0. */
static void
test_numeric_keys(void)
{
	struct table	*t = table_new(sizeof(struct cnt));
	struct value	 k;
	struct cnt	*c;
	bool		 isnew;

	k = value_int(2);
	c = table_put(t, &k, &isnew);
	c->n++;
	k = value_dbl(2.0);
	c = table_put(t, &k, &isnew);
	CHECK(!isnew);
	c->n++;
	CHECK(c->n == 2);
	k = value_dbl(-0.0);
	table_put(t, &k, &isnew);
	k = value_int(0);
	table_put(t, &k, &isnew);
	CHECK(!isnew);
	/* A string that looks like a number is another key. */
	k = value_str("2", 1);
	table_put(t, &k, &isnew);
	CHECK(isnew);
	k = value_dbl(2.5);
	table_put(t, &k, &isnew);
	CHECK(isnew);
	k = value_dbl(NAN);
	table_put(t, &k, &isnew);
	CHECK(isnew);
	k = value_dbl(-NAN);
	table_put(t, &k, &isnew);
	CHECK(!isnew);
	CHECK(table_count(t) == 5);
	table_free(t);
}

/* Compound keys: tuples and arrays copied deep, compared by content. */
static void
test_compound_keys(void)
{
	struct table	*t = table_new(0);
	struct arena	 a;
	struct value	 k, k2;
	bool		 isnew;

	arena_init(&a);
	k = value_pair(&a, value_str("x", 1), value_int(1));
	table_put(t, &k, &isnew);
	CHECK(isnew);
	arena_reset(&a);
	k2 = value_pair(&a, value_str("x", 1), value_dbl(1.0));
	table_put(t, &k2, &isnew);
	CHECK(!isnew);
	k2.type = V_ARR;
	table_put(t, &k2, &isnew);
	CHECK(isnew);
	CHECK(table_count(t) == 2);
	table_free(t);
	arena_free(&a);
}

/* Many keys: growth keeps every one, deletions of half keep the rest. */
static void
test_many(void)
{
	struct table		*t = table_new(sizeof(struct cnt));
	struct arena		 a;
	struct value		 k;
	struct cnt		*c;
	struct table_ent	*e;
	size_t			 cur;
	bool			 isnew, ok;
	long			 i, n = 200000, prev;

	arena_init(&a);
	for (i = 0; i < n; i++) {
		k = (i & 1) ? value_int(i) : skey(&a, "key-%ld", i);
		c = table_put(t, &k, &isnew);
		if (!isnew)
			break;
		c->n = i;
	}
	CHECK(i == n);
	CHECK(table_count(t) == (size_t)n);
	ok = true;
	for (i = 0; i < n; i++) {
		k = (i & 1) ? value_int(i) : skey(&a, "key-%ld", i);
		c = table_find(t, &k);
		if (c == NULL || c->n != i)
			ok = false;
	}
	CHECK(ok);

	/* Iteration is in insertion order. */
	cur = 0;
	i = 0;
	ok = true;
	while ((e = table_next(t, &cur)) != NULL) {
		if (((struct cnt *)table_data(e))->n != i)
			ok = false;
		i++;
	}
	CHECK(ok && i == n);

	/* Delete every key not a multiple of 3, while iterating. */
	cur = 0;
	while ((e = table_next(t, &cur)) != NULL) {
		c = table_data(e);
		if (c->n % 3 != 0) {
			k = e->key;
			CHECK(table_del(t, &k));
		}
	}
	CHECK(table_count(t) == (size_t)(n + 2) / 3);
	ok = true;
	for (i = 0; i < n; i++) {
		k = (i & 1) ? value_int(i) : skey(&a, "key-%ld", i);
		c = table_find(t, &k);
		if ((i % 3 == 0) != (c != NULL) || (c != NULL && c->n != i))
			ok = false;
	}
	CHECK(ok);

	/* Reinsert after deletions: tombstones reused, order still kept. */
	for (i = 0; i < n; i++) {
		if (i % 3 == 0)
			continue;
		k = (i & 1) ? value_int(i) : skey(&a, "key-%ld", i);
		c = table_put(t, &k, &isnew);
		CHECK(isnew);
		c->n = n + i;
	}
	CHECK(table_count(t) == (size_t)n);
	cur = 0;
	prev = -1;
	ok = true;
	i = 0;
	while ((e = table_next(t, &cur)) != NULL) {
		c = table_data(e);
		if (c->n < n && c->n % 3 != 0)
			ok = false;
		if (c->n >= n && prev >= n && c->n < prev)
			ok = false;
		prev = c->n;
		i++;
	}
	CHECK(ok && i == n);
	table_free(t);
	arena_free(&a);
}

static void
test_sorted(void)
{
	struct table		*t = table_new(sizeof(struct cnt));
	struct arena		 a;
	struct table_ent	**ents;
	struct value		 keys[8];
	size_t			 n, i;
	bool			 ok;

	arena_init(&a);
	keys[0] = value_str("b", 1);
	keys[1] = value_int(10);
	keys[2] = value_null();
	keys[3] = value_dbl(2.5);
	keys[4] = value_str("a", 1);
	keys[5] = value_bool(true);
	keys[6] = value_pair(&a, value_str("a", 1), value_int(1));
	keys[7] = value_int(-3);
	for (i = 0; i < 8; i++)
		table_put(t, &keys[i], NULL);
	table_del(t, &keys[0]);
	n = table_sorted(t, &ents);
	CHECK(n == 7);
	/* null < true < -3 < 2.5 < 10 < "a" < ("a", 1) */
	CHECK(ents[0]->key.type == V_NULL);
	CHECK(ents[1]->key.type == V_BOOL);
	CHECK(ents[2]->key.type == V_INT && ents[2]->key.u.i == -3);
	CHECK(ents[3]->key.type == V_DBL);
	CHECK(ents[4]->key.type == V_INT && ents[4]->key.u.i == 10);
	CHECK(ents[5]->key.type == V_STR);
	CHECK(ents[6]->key.type == V_TUPLE);
	ok = true;
	for (i = 1; i < n; i++)
		if (value_cmp(&ents[i - 1]->key, &ents[i]->key) >= 0)
			ok = false;
	CHECK(ok);
	table_clear(t);
	CHECK(table_sorted(t, &ents) == 0);
	table_free(t);
	arena_free(&a);
}

/* Whether ENTS[0..n) are T's live keys (all found) strictly increasing. */
static bool
sorted_ok(struct table *t, struct table_ent **ents, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (table_find(t, &ents[i]->key) != table_data(ents[i]))
			return false;
		if (i > 0 && value_cmp(&ents[i - 1]->key, &ents[i]->key) >= 0)
			return false;
	}
	return true;
}

/*
 * The radix path of table_sorted: all-string keys (sharing long
 * prefixes, holding NUL and 0xff bytes, shorter than 8 bytes or not) and
 * all-integer keys (both signs, the extremes), after deletions, must come
 * out strictly increasing by value_cmp, every live key once.
 */
static void
test_sorted_radix(void)
{
	struct table		*t;
	struct table_ent	**ents;
	struct value		 k;
	static const char	 bytes[] = "\0\xff.0123456789ab";
	char			 s[40];
	uint64_t		 seed = 7;
	size_t			 n, i, want, round, len, j, step;

	for (round = 0; round < 40; round++) {
		t = table_new(sizeof(struct cnt));
		want = (round * 97) % 3001;
		for (i = 0; i < want; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			if (round % 2 == 0) {
				len = (size_t)(seed >> 59) + (seed >> 58 & 1 ? 8 : 0);
				memcpy(s, "203.0.113.", 10);
				for (j = (seed >> 40) % 3 == 0 ? 0 : 9; j < len; j++)
					s[j] = bytes[(seed >> (j * 3 % 50)) %
					    (sizeof bytes - 1)];
				k = value_str(s, len);
			} else if ((seed >> 33) % 50 == 0)
				k = value_int((seed >> 32) % 2 ? INT64_MIN : INT64_MAX);
			else
				k = value_int((int64_t)(seed >> 20) - (INT64_C(1) << 43));
			table_put(t, &k, NULL);
			if ((seed >> 30) % 7 == 0)
				table_del(t, &k);
		}
		n = table_sorted(t, &ents);
		CHECK(n == table_count(t));
		CHECK(sorted_ok(t, ents, n));
		/* A few changes between sorts, as a window slides: the
		 * last order is merged with them (and, when many, redone). */
		for (step = 0; step < 30; step++) {
			for (i = 0; i < (step % 5 == 4 ? want : 3); i++) {
				seed = seed * 6364136223846793005ULL +
				    1442695040888963407ULL;
				k = round % 2 == 0 ?
				    value_str(s, (seed >> 60) + 1) :
				    value_int((int64_t)(seed >> 54) - 512);
				if (round % 2 == 0)
					s[(seed >> 50) % 16] = (char)('0' + (seed >> 40) % 10);
				if ((seed >> 30) % 3 == 0)
					table_del(t, &k);
				else
					table_put(t, &k, NULL);
			}
			n = table_sorted(t, &ents);
			CHECK(n == table_count(t));
			CHECK(sorted_ok(t, ents, n));
		}
		table_free(t);
	}
}

static int
cmp_value(const void *a, const void *b)
{
	return value_cmp(a, b);
}

/*
 * The chunked radix sort on string keys that tie for many bytes: keys
 * that begin one another, keys differing only past byte 7, 14, 21, NUL
 * bytes against the end of a shorter key, in buckets big and small.
 * The order must be value_cmp's, checked against qsort; and again after
 * table_sorted_final dropped the index, lookups, insertions and
 * deletions must work (the index hashed anew).  Keys put through
 * table_prefetch and table_put_tag are the same keys table_put finds.
 */
static void
test_sorted_chunks(void)
{
	struct table		*t;
	struct table_ent	**ents;
	struct value		*want, k;
	struct arena		 a;
	char			 s[64];
	uint64_t		 seed = 11;
	size_t			 n, i, j, len, round, nwant;
	bool			 ok, isnew;
	int64_t			*c;

	arena_init(&a);
	for (round = 0; round < 12; round++) {
		t = table_new(sizeof(int64_t));
		nwant = round < 6 ? 300 + round * 911 : 70000 + round;
		want = xreallocarray(NULL, nwant, sizeof *want);
		for (i = 0, n = 0; i < nwant; i++) {
			seed = seed * 6364136223846793005ULL +
			    1442695040888963407ULL;
			/* A long shared stem, then a few varying bytes. */
			len = 6 + (seed >> 59);
			memset(s, 'x', sizeof s);
			memcpy(s, "stem/", 5);
			for (j = 0; j < 4; j++)
				s[(seed >> (8 * j)) % len] =
				    "\0a\xff"[(seed >> (40 + 2 * j)) % 3];
			if (round % 3 == 1)
				len = 5 + i % 40;	/* nested prefixes */
			k = value_str(s, len);
			if (round % 4 == 3) {
				c = table_put_tag(t, &k, table_prefetch(t, &k),
				    &isnew);
				CHECK(table_put(t, &k, NULL) == c);
			} else
				table_put(t, &k, &isnew);
			if (isnew)
				want[n++] = value_copy(&a, &k);
		}
		CHECK(n == table_count(t));
		qsort(want, n, sizeof *want, cmp_value);
		n = round % 2 ? table_sorted_final(t, &ents) :
		    table_sorted(t, &ents);
		ok = n == table_count(t);
		for (i = 0; ok && i < n; i++)
			if (!value_eq(&ents[i]->key, &want[i]) ||
			    ents[i]->key.n != want[i].n)
				ok = false;
		CHECK(ok);
		/* The table goes on after a final sort. */
		ok = true;
		for (i = 0; i < n; i += 7)
			if (table_find(t, &want[i]) == NULL)
				ok = false;
		CHECK(ok);
		CHECK(table_del(t, &want[0]));
		CHECK(table_find(t, &want[0]) == NULL);
		k = value_str("new key", 7);
		table_put(t, &k, &isnew);
		CHECK(isnew && table_count(t) == n);
		CHECK(table_sorted(t, &ents) == n && sorted_ok(t, ents, n));
		table_clear(t);
		CHECK(table_count(t) == 0 && table_find(t, &k) == NULL);
		table_put(t, &k, &isnew);
		CHECK(isnew && table_count(t) == 1);
		free(want);
		table_free(t);
		arena_reset(&a);
	}
	arena_free(&a);
}

/*
 * table_put's shortcut for a string key equal to the last one: runs of a
 * repeated key, deletions of it (the cached entry), squeezes and clears
 * in between must keep every count right and isnew true exactly once.
 */
static void
test_last_key(void)
{
	struct table	*t = table_new(sizeof(int64_t));
	struct value	 k;
	int64_t		*c, want[64];
	char		 s[16];
	uint64_t	 seed = 3;
	bool		 isnew, ok = true, live[64];
	int		 i, id, run;

	memset(want, 0, sizeof want);
	memset(live, 0, sizeof live);
	for (i = 0; i < 200000; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		/* Mostly a run of one key, sometimes another. */
		id = (seed >> 40) % 8 == 0 ? (int)((seed >> 20) % 64) : 7;
		snprintf(s, sizeof s, "k%d", id);
		k = value_str(s, strlen(s));
		if ((seed >> 30) % 97 == 0) {
			CHECK(table_del(t, &k) == live[id]);
			live[id] = false;
			want[id] = 0;
			continue;
		}
		if ((seed >> 30) % 9973 == 0) {
			table_clear(t);
			memset(want, 0, sizeof want);
			memset(live, 0, sizeof live);
		}
		for (run = 0; run < 3; run++) {
			c = table_put(t, &k, &isnew);
			if (isnew != !live[id] || *c != want[id])
				ok = false;
			live[id] = true;
			*c = ++want[id];
		}
	}
	CHECK(ok);
	for (id = 0; id < 64; id++) {
		snprintf(s, sizeof s, "k%d", id);
		k = value_str(s, strlen(s));
		c = table_find(t, &k);
		CHECK(live[id] ? c != NULL && *c == want[id] : c == NULL);
	}
	table_free(t);
}

/* Deleting most long keys and inserting again gives the memory back. */
static void
test_reclaim(void)
{
	struct table	*t = table_new(8);
	struct arena	 a;
	struct value	 k;
	size_t		 full, after;
	long		 i, n = 20000;

	arena_init(&a);
	for (i = 0; i < n; i++) {
		k = skey(&a, "%0200ld", i);
		table_put(t, &k, NULL);
	}
	full = table_footprint(t);
	for (i = 0; i < n - 10; i++) {
		k = skey(&a, "%0200ld", i);
		CHECK(table_del(t, &k));
	}
	/* Churn: a few inserts and deletes, as a sliding window does. */
	for (i = 0; i < 100; i++) {
		k = skey(&a, "new-%ld", i);
		table_put(t, &k, NULL);
		table_del(t, &k);
	}
	after = table_footprint(t);
	CHECK(table_count(t) == 10);
	CHECK(after < full / 20);
	for (i = n - 10; i < n; i++) {
		k = skey(&a, "%0200ld", i);
		CHECK(table_find(t, &k) != NULL);
	}
	table_free(t);
	arena_free(&a);
}

/*
 * A sliding window's running table: keys come and go between sorts, and
 * a table sorted again and again is laid out in key order now and then
 * (table_relayout).  After every sort the order is strict, every live
 * key is found where the sort says, its data is intact, a key put again
 * is not new, and deleted keys are gone: a brute-force model decides.
 */
static void
test_sorted_slide(void)
{
	struct table		*t = table_new(sizeof(struct cnt));
	struct table_ent	**ents;
	struct arena		 a;
	struct cnt		*c;
	struct value		 k;
	int64_t			 live[3000];
	size_t			 n, i, nlive;
	unsigned		 seed = 7;
	int			 round, j, id, ok, intkeys;
	bool			 isnew;

	arena_init(&a);
	for (intkeys = 0; intkeys < 2; intkeys++) {
		memset(live, 0, sizeof live);
		for (round = 0; round < 200; round++) {
			/* Few changes most rounds, many now and then. */
			for (j = 0; j < (round % 50 == 0 ? 2000 : 40); j++) {
				seed = seed * 1103515245 + 12345;
				id = (int)((seed >> 8) % 3000);
				k = intkeys ? value_int(id * 7919 - 9000000) :
				    skey(&a, "10.%ld.7.1", id);
				if (live[id] != 0 && (seed >> 4) % 3 == 0) {
					CHECK(table_del(t, &k));
					live[id] = 0;
					continue;
				}
				c = table_put(t, &k, &isnew);
				CHECK(isnew == (live[id] == 0));
				if (isnew)
					c->order = id;
				c->n++;
				live[id]++;
			}
			n = table_sorted(t, &ents);
			for (i = 0, nlive = 0; i < 3000; i++)
				nlive += live[i] != 0;
			CHECK(n == nlive && n == table_count(t));
			CHECK(sorted_ok(t, ents, n));
			ok = 1;
			for (i = 0; i < n; i++) {
				c = table_data(ents[i]);
				if (c->order < 0 || c->order >= 3000 ||
				    live[c->order] != c->n)
					ok = 0;
			}
			CHECK(ok);
			arena_reset(&a);
		}
		/* The same string key twice in a row (table_put's memo). */
		k = intkeys ? value_int(5) : value_str("10.5.7.1", 8);
		table_put(t, &k, NULL);
		table_put(t, &k, &isnew);
		CHECK(!isnew);
		table_clear(t);
	}
	table_free(t);
	arena_free(&a);
}

/* A tuple of the N values at ITEMS (not copied). */
static struct value
tuple_of(struct value *items, int n)
{
	struct value	 v = value_null();

	v.type = V_TUPLE;
	v.n = n;
	v.u.a = items;
	return v;
}

/* B holds "kept:" then V's line as value_fmt_line writes it after PRE. */
static void
kept_line(struct buf *b, const char *pre, const struct value *v)
{
	buf_reset(b);
	buf_adds(b, "kept:");
	value_fmt_line(b, pre, strlen(pre), v);
}

/*
 * value_fmt_line: the stamp, the row in plain form and a newline, the
 * common rows written at once; every integer's digits as printf's, the
 * strings of every short length, and the other values as value_fmt_plain.
 */
static void
test_fmt_line(void)
{
	static const int64_t	 ints[] = { 0, 1, 9, 10, 11, 99, 100, 101,
	    999, 1000, 9999, 10000, 65535, 99999, 100000, 999999, 1000000,
	    4294967295LL, 4294967296LL, 9999999999LL, 10000000000LL,
	    999999999999999999LL, 1000000000000000000LL, INT64_MAX };
	const char	*pre = "2025-11-21T00:26:00Z\t";
	struct arena	 a;
	struct buf	 b = BUF_INIT, w = BUF_INIT;
	struct value	 v, kv[3];
	char		 s[64], tmp[128];
	size_t		 i, j, n, bad = 0;
	int		 sign;

	arena_init(&a);
	for (i = 0; i < sizeof ints / sizeof ints[0]; i++)
		for (sign = 1; sign >= -1; sign -= 2) {
			if (sign < 0 && ints[i] == 0)
				continue;
			v = value_int(sign * ints[i]);
			buf_reset(&b);
			value_fmt_line(&b, NULL, 0, &v);
			snprintf(tmp, sizeof tmp, "%lld\n",
			    (long long)(sign * ints[i]));
			bad += strcmp(b.p, tmp) != 0;
		}
	v = value_int(INT64_MIN);
	buf_reset(&b);
	value_fmt_line(&b, "x", 1, &v);
	CHECK_STR(b.p, "x-9223372036854775808\n");
	CHECK(bad == 0);

	/* Pairs of a string of every length to 40 and an integer. */
	for (n = 0; n <= 40; n++) {
		for (j = 0; j < n; j++)
			s[j] = (char)('a' + j % 26);
		s[n] = '\0';
		kv[0] = value_str(s, n);
		kv[1] = value_int((int64_t)n * 12345 - 100000);
		v = tuple_of(kv, 2);
		kept_line(&b, pre, &v);
		snprintf(tmp, sizeof tmp, "kept:%s%s\t%lld\n", pre, s,
		    (long long)kv[1].u.i);
		CHECK_STR(b.p, tmp);
		CHECK(b.len == strlen(tmp));
		/* The other way round, and a string alone. */
		kv[2] = kv[0];
		kv[0] = kv[1];
		kv[1] = kv[2];
		buf_reset(&b);
		value_fmt_line(&b, NULL, 0, &v);
		snprintf(tmp, sizeof tmp, "%lld\t%s\n", (long long)kv[0].u.i,
		    s);
		CHECK_STR(b.p, tmp);
		buf_reset(&b);
		value_fmt_line(&b, pre, strlen(pre), &kv[1]);
		snprintf(tmp, sizeof tmp, "%s%s\n", pre, s);
		CHECK_STR(b.p, tmp);
	}

	/* Anything else: as value_fmt_plain. */
	kv[0] = value_str("k", 1);
	kv[1] = value_dbl(0.1);
	kv[2] = value_null();
	for (i = 0; i < 4; i++) {
		v = tuple_of(kv, i == 3 ? 3 : 2);
		if (i == 1)
			v = value_dbl(2.5);
		else if (i == 2)
			v = value_pair(&a, value_int(1), value_pair(&a,
			    value_str("a", 1), value_bool(true)));
		buf_reset(&b);
		value_fmt_line(&b, pre, strlen(pre), &v);
		buf_reset(&w);
		buf_adds(&w, pre);
		value_fmt_plain(&w, &v);
		buf_addc(&w, '\n');
		CHECK_STR(b.p, w.p);
	}
	/*
	 * A pair whose parts are short tuples (a join's (key, (v, w))):
	 * written at once, as value_fmt_plain would; a string in them that
	 * needs an escape, a long tuple or another type of element go the
	 * slow way, with the same bytes.
	 */
	{
		struct value	 in[6], pv;
		static const char *strs[] = { "US", "", "a\"b", "t\tab",
		    "back\\slash", "caf\xc3\xa9", "x\001y",
		    "an address like 2001:db8:85a3::8a2e:370:7334 and more",
		    "sixty-four bytes, the most written at once, in a tuple: 12345678",
		    "sixty-five bytes, one past the most written at once in a tuple!!!",
		    "a long string with a quote \" past its sixty-fourth byte..........\"" };
		size_t		 si, k;

		for (si = 0; si < sizeof strs / sizeof strs[0]; si++)
			for (k = 0; k < 12; k++) {
				in[0] = value_int(k % 2 ? -7 : 1234567);
				in[1] = value_str(strs[si], strlen(strs[si]));
				in[2] = value_null();
				in[3] = value_str("z", 1);
				in[4] = value_int(0);
				in[5] = k == 11 ? value_dbl(1.5) : value_bool(1);
				pv = value_null();
				pv.type = k % 3 == 2 ? V_ARR : V_TUPLE;
				/* 0 to 6 elements: 5 and 6 are too many
				 * for the fast way, 6 has a bool. */
				pv.n = (uint32_t)(k % 7);
				pv.u.a = in;
				kv[0] = value_str("10.1.2.3", 8);
				kv[1] = pv;
				if (k >= 7) {	/* the tuple first */
					kv[0] = pv;
					kv[1] = value_str(strs[si],
					    strlen(strs[si]));
				}
				v = tuple_of(kv, 2);
				kept_line(&b, pre, &v);
				buf_reset(&w);
				buf_adds(&w, "kept:");
				buf_adds(&w, pre);
				value_fmt_plain(&w, &v);
				buf_addc(&w, '\n');
				CHECK_STR(b.p, w.p);
				CHECK(b.len == w.len);
			}
		/* Every byte that needs an escape, and its neighbours, at
		 * every place of strings of 1 to 20 bytes. */
		{
			static const unsigned char probe[] = { 0x00, 0x01,
			    0x1f, 0x20, '"', '!', '#', '\\', '[', ']', 0x7f,
			    0x80, 0xa2, 0xdc, 0xff };
			char	 str[24];
			size_t	 len, at, pi, nbad = 0;

			for (len = 1; len <= 20; len++)
				for (at = 0; at < len; at++)
					for (pi = 0; pi < sizeof probe; pi++) {
						memset(str, 'a' + (int)(len % 7), len);
						str[at] = (char)probe[pi];
						in[0] = value_str(str, len);
						pv = tuple_of(in, 1);
						kv[0] = value_str("k", 1);
						kv[1] = pv;
						v = tuple_of(kv, 2);
						buf_reset(&b);
						value_fmt_line(&b, NULL, 0, &v);
						buf_reset(&w);
						value_fmt_plain(&w, &v);
						buf_addc(&w, '\n');
						nbad += b.len != w.len ||
						    memcmp(b.p, w.p, b.len) != 0;
					}
			CHECK(nbad == 0);
		}
		/* A tuple alone is tab-separated, not JSON. */
		in[0] = value_str("a", 1);
		in[1] = value_int(2);
		in[2] = value_str("c", 1);
		pv = tuple_of(in, 3);
		buf_reset(&b);
		value_fmt_line(&b, NULL, 0, &pv);
		CHECK_STR(b.p, "a\t2\tc\n");
		kv[0] = value_str("k", 1);
		kv[1] = pv;
		v.u.a = kv;
		buf_reset(&b);
		value_fmt_line(&b, NULL, 0, &v);
		CHECK_STR(b.p, "k\t[\"a\",2,\"c\"]\n");
	}
	/* An empty buffer grows; many lines in a row stay whole. */
	buf_free(&b);
	kv[0] = value_str("10.0.0.1", 8);
	kv[1] = value_int(-42);
	v = tuple_of(kv, 2);
	for (i = 0; i < 10000; i++)
		value_fmt_line(&b, pre, strlen(pre), &v);
	CHECK(b.len == 10000 * (strlen(pre) + 13));
	CHECK(memcmp(b.p + b.len - 13, "10.0.0.1\t-42\n", 13) == 0);
	buf_free(&b);
	buf_free(&w);
	arena_free(&a);
}

static void
test_value(void)
{
	struct arena	 a;
	struct buf	 b = BUF_INIT;
	struct value	 v, w, t;

	arena_init(&a);
	CHECK(value_parse_num(" 42 ", 4, &v) && v.type == V_INT && v.u.i == 42);
	CHECK(value_parse_num("1.5e3", 5, &v) && v.type == V_DBL && v.u.d == 1500);
	CHECK(value_parse_num("9223372036854775808", 19, &v) && v.type == V_DBL);
	CHECK(value_parse_num("-9223372036854775808", 20, &v) && v.type == V_INT &&
	    v.u.i == INT64_MIN);
	CHECK(!value_parse_num("0x10", 4, &v));
	CHECK(!value_parse_num("inf", 3, &v));
	CHECK(!value_parse_num("nan", 3, &v));
	CHECK(!value_parse_num("", 0, &v));
	CHECK(!value_parse_num("1e", 2, &v));
	CHECK(!value_parse_num("12ab", 4, &v));

	value_fmt_dbl(&b, 3.0);
	CHECK_STR(b.p, "3");
	buf_reset(&b);
	value_fmt_dbl(&b, 0.1);
	CHECK_STR(b.p, "0.1");
	buf_reset(&b);
	value_fmt_dbl(&b, 0.1 + 0.2);
	CHECK_STR(b.p, "0.30000000000000004");
	buf_reset(&b);
	value_fmt_dbl(&b, 1e100);
	CHECK_STR(b.p, "1e+100");
	buf_reset(&b);
	value_fmt_dbl(&b, -INFINITY);
	CHECK_STR(b.p, "-inf");
	buf_reset(&b);

	v = value_str("a\"\n\x01\xff", 5);
	w = value_pair(&a, v, value_dbl(NAN));
	value_fmt_json(&b, &w);
	/* A byte that is not UTF-8 is written as U+FFFD. */
	CHECK_STR(b.p, "[\"a\\\"\\n\\u0001\xef\xbf\xbd\",null]");
	buf_reset(&b);
	t = value_tuple(&a, 3);
	t.u.a[0] = value_str("k", 1);
	t.u.a[1] = value_array(&a, 1);
	t.u.a[1].u.a[0] = value_int(1);
	t.u.a[2] = value_null();
	value_fmt_plain(&b, &t);
	CHECK_STR(b.p, "k\t[1]\t");
	buf_reset(&b);

	w = value_copy(&a, &t);
	CHECK(value_eq(&w, &t) && w.u.a != t.u.a);
	CHECK(value_size(&t) > 0);
	v = value_int(2);
	w = value_dbl(2.0);
	CHECK(value_cmp(&v, &w) == 0 && value_hash(&v) == value_hash(&w));
	v = value_int(INT64_MAX);
	w = value_dbl(9223372036854775808.0);
	CHECK(value_cmp(&v, &w) < 0);
	v = value_str("", 0);
	CHECK(!value_truthy(&v));
	v = value_str("0", 1);
	CHECK(value_truthy(&v));
	buf_free(&b);
	arena_free(&a);
}

static int
cnt_save(const void *data, struct buf *b, void *arg, char **cause)
{
	const struct cnt	*c = data;

	(*(int *)arg)++;
	snap_put_i64(b, c->n);
	snap_put_i64(b, c->order);
	return 0;
}

static int
cnt_load(void *data, struct snap_rd *r, void *arg)
{
	struct cnt	*c = data;

	(*(int *)arg)++;
	snap_get_i64(r, &c->n);
	snap_get_i64(r, &c->order);
	if (c->n < 0)
		return snap_fail(r, "negative count %lld", (long long)c->n);
	return r->cause == NULL ? 0 : -1;
}

/* Whether A and B hold the same keys and data in the same order. */
static int
table_same(struct table *a, struct table *b)
{
	struct table_ent	*e, *f;
	size_t			 i = 0, j = 0;

	if (table_count(a) != table_count(b))
		return 0;
	while ((e = table_next(a, &i)) != NULL) {
		if ((f = table_next(b, &j)) == NULL ||
		    !value_eq(&e->key, &f->key) || e->key.type != f->key.type ||
		    memcmp(table_data(e), table_data(f),
		    sizeof(struct cnt)) != 0)
			return 0;
	}
	return table_next(b, &j) == NULL;
}

/*
 * Checkpoints: a table with deleted entries and keys of every kind
 * saves and loads to the same entries in the same order; the load
 * refuses truncations, a key twice and its callback's refusal.
 */
static void
test_save_load(void)
{
	struct table	*t = table_new(sizeof(struct cnt));
	struct table	*u = table_new(sizeof(struct cnt));
	struct arena	 a;
	struct buf	 b = BUF_INIT, b2 = BUF_INIT;
	struct snap_rd	 r;
	struct value	 k;
	struct cnt	*c;
	char		*cause = NULL, *copy;
	size_t		 i, bad;
	bool		 isnew;
	int		 calls = 0;

	arena_init(&a);
	/* An empty table. */
	CHECK(table_save(t, &b, cnt_save, &calls, &cause) == 0);
	CHECK(b.len == 1);
	snap_rd_init(&r, b.p, b.len);
	CHECK(table_load(u, &r, cnt_load, &calls) == 0);
	CHECK(snap_rd_end(&r) == 0 && table_count(u) == 0);

	for (i = 0; i < 2000; i++) {
		switch (i % 4) {
		case 0:
			k = skey(&a, "key%ld", (long)i);
			break;
		case 1:
			k = value_int((int64_t)i * 1000003 - INT64_MAX / 3);
			break;
		case 2:
			k = value_pair(&a, skey(&a, "p%ld", (long)i),
			    value_dbl((double)i / 7));
			break;
		default:
			k = value_dbl(-(double)i - 0.5);
			break;
		}
		c = table_put(t, &k, &isnew);
		CHECK(isnew);
		c->n = (int64_t)i * 3;
		c->order = -(int64_t)i;
	}
	/* Dead entries in the middle are not saved. */
	for (i = 0; i < 2000; i += 3) {
		k = skey(&a, "key%ld", (long)i);
		table_del(t, &k);
	}
	k = value_null();
	c = table_put(t, &k, &isnew);
	c->n = INT64_MAX;

	buf_reset(&b);
	calls = 0;
	CHECK(table_save(t, &b, cnt_save, &calls, &cause) == 0);
	CHECK(calls == (int)table_count(t));
	/* Something in the table first: the load replaces it. */
	k = value_str("stale", 5);
	table_put(u, &k, &isnew);
	snap_rd_init(&r, b.p, b.len);
	calls = 0;
	CHECK(table_load(u, &r, cnt_load, &calls) == 0);
	CHECK(snap_rd_end(&r) == 0);
	CHECK(calls == (int)table_count(t));
	CHECK(table_same(t, u));
	CHECK(table_find(u, &k) == NULL);
	k = value_dbl(-3.5);
	CHECK((c = table_find(u, &k)) != NULL && c->n == 9);
	/* Keys were copied: the bytes read may go away. */
	memset(b.p, 0, b.len);
	CHECK(table_same(t, u));
	CHECK(table_save(u, &b2, cnt_save, &calls, &cause) == 0);
	buf_reset(&b);
	CHECK(table_save(t, &b, cnt_save, &calls, &cause) == 0);
	CHECK(b.len == b2.len && memcmp(b.p, b2.p, b.len) == 0);
	/* The loaded table goes on like the first. */
	k = value_str("new", 3);
	table_put(t, &k, &isnew);
	table_put(u, &k, &isnew);
	CHECK(table_same(t, u));

	/* Every truncation is refused (one byte at a time near the ends). */
	bad = 0;
	for (i = 0; i < b.len; i += (i < 64 || i > b.len - 64) ? 1 : 97) {
		copy = xmalloc(i + 1);
		memcpy(copy, b.p, i);
		snap_rd_init(&r, copy, i);
		if (table_load(u, &r, cnt_load, &calls) == 0)
			bad++;
		if (r.cause == NULL)
			bad++;
		snap_rd_free(&r);
		free(copy);
	}
	CHECK(bad == 0);

	/* A key twice; the callback's refusal. */
	buf_reset(&b);
	snap_put_u64(&b, 2);
	for (i = 0; i < 2; i++) {
		k = value_int(5);
		snap_put_value(&b, &k, &cause);
		snap_put_i64(&b, 1);
		snap_put_i64(&b, 1);
	}
	snap_rd_init(&r, b.p, b.len);
	CHECK(table_load(u, &r, cnt_load, &calls) == -1);
	cause = snap_rd_cause(&r);
	CHECK(cause != NULL && strstr(cause, "key saved twice") != NULL);
	free(cause);
	buf_reset(&b);
	snap_put_u64(&b, 1);
	snap_put_value(&b, &k, &cause);
	snap_put_i64(&b, -1);
	snap_put_i64(&b, 1);
	snap_rd_init(&r, b.p, b.len);
	CHECK(table_load(u, &r, cnt_load, &calls) == -1);
	cause = snap_rd_cause(&r);
	CHECK(cause != NULL && strstr(cause, "negative count -1") != NULL);
	free(cause);

	/* No callbacks: keys only, data zero. */
	buf_reset(&b);
	CHECK(table_save(t, &b, NULL, NULL, &cause) == 0);
	snap_rd_init(&r, b.p, b.len);
	CHECK(table_load(u, &r, NULL, NULL) == 0);
	CHECK(snap_rd_end(&r) == 0 && table_count(u) == table_count(t));
	k = value_dbl(-3.5);
	CHECK((c = table_find(u, &k)) != NULL && c->n == 0);

	buf_free(&b);
	buf_free(&b2);
	arena_free(&a);
	table_free(t);
	table_free(u);
}

int
main(void)
{
	test_basic();
	test_numeric_keys();
	test_compound_keys();
	test_many();
	test_sorted();
	test_sorted_radix();
	test_sorted_chunks();
	test_sorted_slide();
	test_fmt_line();
	test_last_key();
	test_reclaim();
	test_value();
	test_save_load();
	return unit_done("test_table");
}
