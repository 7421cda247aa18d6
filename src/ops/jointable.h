/*
 * jointable.h - the static tables of join and leftOuterJoin: read from a
 * file or an SQLite query into memory once, looked up by key per record.
 *
 * A table is rows of (key, value), indexed by key; several rows may have
 * one key, and a lookup gives them in the table's order.  Its forms:
 *
 *   key<TAB>value lines (the default; "tsv:PATH"): the key is the text
 *     before the first tab, the value the text after it (null when the
 *     line has no tab: a list of keys);
 *   CSV with a header ("PATH.csv" or "csv:PATH", RFC 4180): the key is
 *     the column named "key", or the first; the value the other column
 *     when there are two, an object of the others by name when more;
 *   JSON lines ("PATH.json", ".jsonl", ".ndjson" or "json:PATH"): an
 *     object {"key": K, "value": V} is (K, V); any other object is
 *     keyed by its first member and is the value, whole;
 *   "sqlite:PATH?query=SQL": the first column the key, the rest the
 *     value as for CSV (SQLite's types kept: integers, reals, text,
 *     blobs as strings, NULL as null).
 *
 * Keys match as reduceByKey groups them (value_eq): text keys (TSV, CSV)
 * are strings, and the number 42 is not the text "42".
 *
 * Memory: a file is read whole into one buffer that the values point
 * into; what must be decoded (quoted CSV fields, JSON escapes, SQLite
 * rows) goes to the table's arena.  Once indexed, each row (one 64-byte
 * cache line) holds the bytes of a short key and value itself (an IP
 * address and a country code, say: JT_INLINE bytes for both), and the
 * buffer is freed when no longer string points into it.  The index
 * holds row numbers, not copies.  A table is immutable once built: a reload builds
 * another and the caller swaps them, so a table that fails to load
 * leaves the old one in place.  This file knows nothing of operators;
 * join.c holds a table and asks when to reload it, update.c reads its
 * initial states from one.
 */
#ifndef DSTREAM_JOINTABLE_H
#define DSTREAM_JOINTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "../dstream.h"

enum jt_form { JT_TSV, JT_CSV, JT_JSON, JT_SQLITE };

/*
 * One row: its key and value, the next row with the same key, and room
 * for the bytes of a short key and value: a row is one 64-byte cache
 * line, and a lookup reads its index slot and the row, nothing else.
 */
#define JT_INLINE	28

struct jt_row {
	struct value	 key;
	struct value	 val;
	uint32_t	 next;		/* row index + 1, 0: the last */
	char		 inl[JT_INLINE]; /* key's and val's bytes, if short */
};

/*
 * A table: its rows in the table's order, an open-addressing index of
 * the distinct keys (a slot holds a key's first row and the high half
 * of its hash, 8 bytes), and the memory the values point into.
 */
struct jt_slot {
	uint32_t	 first;		/* row index + 1, 0: an empty slot */
	uint32_t	 hash;		/* the key's hash, high bits */
};

struct jointable {
	struct jt_row	*rows;
	size_t		 nrows, caprows;
	struct jt_slot	*slots;
	size_t		 mask;		/* slots - 1 (a power of two) */
	size_t		 nkeys;
	char		*buf;		/* the file's bytes, or NULL */
	size_t		 buflen;
	struct arena	 arena;		/* decoded strings, objects */
};

/*
 * What a table was read from, as the file stood (to tell a change):
 * device, inode, size and modification time of the file (for SQLite,
 * of the database and of its -wal file).
 */
struct jt_stamp {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	off_t		 wal_size;	/* SQLite: its -wal file, -1 when none */
	struct timespec	 wal_mtime;
};

/* Where a table comes from: its form and path (and query), from TABLE. */
struct jt_spec {
	enum jt_form	 form;
	char		*path;		/* the file (SQLite: the database) */
	char		*query;		/* SQLite: the SQL, else NULL */
	char		*text;		/* TABLE as given, for messages */
};

/*
 * Reads TABLE, as join's argument names it, into *SPEC (freed with
 * jt_spec_free).  Returns 0, or -1 with *CAUSE set when TABLE is not a
 * table ("sqlite:PATH" without "?query=", an empty path).
 */
int	 jt_spec_parse(const char *table, struct jt_spec *spec, char **cause);
void	 jt_spec_free(struct jt_spec *);

/*
 * Builds a table from the bytes BUF[0..len) of a file in the text form
 * FORM (not JT_SQLITE), naming NAME in messages.  BUF is owned by the
 * table from then on (freed with it, also on failure).  Returns the
 * table, or NULL with *CAUSE set to "NAME:LINE: what is wrong" for the
 * first bad line (a CSV line with a different number of fields than the
 * header, an unterminated quote, JSON that is not an object...).
 */
struct jointable *jt_parse(enum jt_form form, const char *name, char *buf,
		    size_t len, char **cause);
/*
 * Loads the table SPEC names: the file read whole and parsed, or the
 * query run on the database (opened read-only).  *STAMP is set to the
 * file as it was read.  Returns the table, or NULL with *CAUSE set (a
 * missing file, a bad line, bad SQL), naming the file and the line.
 * Returns NULL with *CAUSE NULL when the file may be being written: it
 * changed while it was read (size, time, or the file its path names),
 * or, with SETTLE_MS > 0, its modification time is within SETTLE_MS of
 * now (a writer in place may have more to write, though the file stood
 * still during the read): try again later.  SQLite's databases are read
 * in a transaction, whatever SETTLE_MS.
 */
struct jointable *jt_load(const struct jt_spec *spec, int64_t settle_ms,
		    struct jt_stamp *stamp, char **cause);
/*
 * Loads the table SPEC names when a run starts, at once (no settling):
 * a file that changes while it is read is read again, a few times, then
 * refused.  Returns the table, or NULL with *CAUSE always set, naming
 * the file and, for a bad line, the line.
 */
struct jointable *jt_load_start(const struct jt_spec *spec,
		    struct jt_stamp *stamp, char **cause);
/*
 * Whether the file of SPEC is no longer the one STAMP describes (other
 * inode, size or modification time, or gone).  One or two stat calls.
 * *ERR is set to errno when the file cannot be looked at (0 otherwise).
 */
bool	 jt_changed(const struct jt_spec *spec, const struct jt_stamp *stamp,
	    int *err);
void	 jt_free(struct jointable *);

/*
 * Returns the first row of T whose key equals KEY, or NULL; the others
 * follow through jt_next.  Rows live as long as T.  jt_find_hashed is
 * the same with KEY's hash H (jt_hash) already made: a caller that
 * prefetches hashes a key once.
 */
const struct jt_row *jt_find(const struct jointable *t,
		    const struct value *key);
static inline const struct jt_row *jt_find_hashed(const struct jointable *t,
		    const struct value *key, uint64_t h);

#ifdef __SIZEOF_INT128__
/* The 128-bit product of A and B, its halves folded (wyhash's mum). */
static inline uint64_t
jt_mum(uint64_t a, uint64_t b)
{
	__uint128_t	 m = (__uint128_t)a * b;

	return (uint64_t)m ^ (uint64_t)(m >> 64);
}
#endif

/*
 * KEY's hash, as the index keys it.  A string of up to 16 bytes (an
 * address, a user id, a code) is hashed inline, as wyhash (Wang Yi's,
 * public domain) hashes short input: its bytes read as two words, mixed
 * by two 128-bit multiplies, a dozen instructions; any other key by
 * value_hash, which hashes equal values (the number 1 and 1.0) alike.
 * Only jt_index and the lookups use it, so equal keys hash alike.
 */
static inline uint64_t
jt_hash(const struct value *key)
{
#ifdef __SIZEOF_INT128__
	const unsigned char	*s = (const unsigned char *)key->u.s;
	uint64_t		 a, b;
	uint32_t		 x, y;
	size_t			 n = key->n;

	if (key->type != V_STR || n > 16)
		return value_hash(key);
	if (n >= 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		a = x;
		b = y;
	} else if (n > 0) {
		a = (uint64_t)s[0] << 16 | (uint64_t)s[n >> 1] << 8 | s[n - 1];
		b = 0;
	} else
		a = b = 0;
	return jt_mum(0xe7037ed1a0b428dbULL ^ n,
	    jt_mum(a ^ 0xa0761d6478bd642fULL, b ^ 0x8ebc6af09c88c6e3ULL));
#else
	return value_hash(key);
#endif
}

/*
 * Lookups in two steps ahead of jt_find_hashed, so that the cache misses
 * of several keys overlap: jt_prefetch_slot asks for the index line of
 * the hash H; jt_prefetch_row, once that line is in, for the row its
 * slot names (the first slot on H's path whose tag is H's).  Neither
 * reads anything but the index; both change nothing.  jt_prefetch_row
 * returns the row's index + 1, or 0 when H's path ends before a slot
 * with its tag (no key of the table hashes to H): jt_find_row finishes
 * the lookup from there.  JT_UNLOOKED is no answer yet.
 */
#define JT_UNLOOKED	UINT32_MAX	/* past any row index + 1 */

static inline void
jt_prefetch_slot(const struct jointable *t, uint64_t h)
{
	__builtin_prefetch(&t->slots[h & t->mask]);
}

static inline uint32_t
jt_prefetch_row(const struct jointable *t, uint64_t h)
{
	const struct jt_slot	*s;
	uint32_t		 h32 = (uint32_t)(h >> 32);
	size_t			 j;

	for (j = h & t->mask;; j = (j + 1) & t->mask) {
		s = &t->slots[j];
		if (s->first == 0)
			return 0;
		if (s->hash == h32) {
			__builtin_prefetch(&t->rows[s->first - 1]);
			return s->first;
		}
	}
}

/* Whether the row key K equals KEY (value_eq, strings inline). */
static inline bool
jt_key_eq(const struct value *k, const struct value *key)
{
	if (k->type == V_STR && key->type == V_STR)
		return k->n == key->n &&
		    value_bytes_eq(k->u.s, key->u.s, k->n);
	return value_eq(k, key);
}

/* Inline: a join looks up every record it is given. */
static inline const struct jt_row *
jt_find_hashed(const struct jointable *t, const struct value *key,
    uint64_t h)
{
	const struct jt_slot	*s;
	const struct jt_row	*r;
	uint32_t		 h32 = (uint32_t)(h >> 32);
	size_t			 j;

	for (j = h & t->mask;; j = (j + 1) & t->mask) {
		s = &t->slots[j];
		if (s->first == 0)
			return NULL;
		if (s->hash == h32) {
			r = &t->rows[s->first - 1];
			if (jt_key_eq(&r->key, key))
				return r;
		}
	}
}

/*
 * As jt_find_hashed, from what jt_prefetch_row returned for H on the
 * same table (FIRST, or JT_UNLOOKED): no key hashes to H when it is 0,
 * and the row it
 * names is the usual answer, the index walked again only when that row
 * has another key with the same tag.
 */
static inline const struct jt_row *
jt_find_row(const struct jointable *t, const struct value *key, uint64_t h,
    uint32_t first)
{
	const struct jt_row	*r;

	if (first == 0)
		return NULL;
	if (first == JT_UNLOOKED)
		return jt_find_hashed(t, key, h);
	r = &t->rows[first - 1];
	if (jt_key_eq(&r->key, key))
		return r;
	return jt_find_hashed(t, key, h);
}

/* The next row of T with R's key, or NULL. */
static inline const struct jt_row *
jt_next(const struct jointable *t, const struct jt_row *r)
{
	return r->next != 0 ? &t->rows[r->next - 1] : NULL;
}

#endif
