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
 * join.c holds a table and asks when to reload it.
 */
#ifndef DSTREAM_JOINTABLE_H
#define DSTREAM_JOINTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
 * Returns NULL with *CAUSE NULL when the file changed while it was read
 * (it is being written): try again later.
 */
struct jointable *jt_load(const struct jt_spec *spec, struct jt_stamp *stamp,
		    char **cause);
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
 * follow through jt_next.  Rows live as long as T.
 */
const struct jt_row *jt_find(const struct jointable *t,
		    const struct value *key);
/* The next row of T with R's key, or NULL. */
static inline const struct jt_row *
jt_next(const struct jointable *t, const struct jt_row *r)
{
	return r->next != 0 ? &t->rows[r->next - 1] : NULL;
}

#endif
