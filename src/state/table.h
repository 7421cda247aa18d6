/*
 * table.h - the one hash table: values as keys, fixed-size aggregates in
 * place.
 *
 * Open addressing over an index array (linear probing, 32 bits of each
 * XXH3 hash kept in the index) into a dense entry array, so iteration is
 * cheap and deletion leaves no holes for long.  Keys are deep-copied into
 * the table's own arena on insert (string bytes packed, unaligned); key
 * memory of deleted entries is reclaimed when it outweighs the live keys.
 * The DATA bytes of an entry belong to the caller: the table zeroes them
 * on insert and moves them as raw bytes (so they must not point into
 * themselves).
 *
 * Memory, for the high-cardinality case (issue 10 item 15): an entry is
 * the 16-byte key and the data rounded up to 8 (24 bytes for a count),
 * the index 8 bytes a slot at 35 to 70 % load, a sort 12 bytes a key;
 * the string bytes of a key count once, unpadded.
 */
#ifndef DSTREAM_TABLE_H
#define DSTREAM_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "value.h"

struct table;

/* One entry: the key, then DATASIZE bytes for the caller (8-aligned). */
struct table_ent {
	struct value	key;
	/* caller's data follows, see table_data() */
};

struct table	*table_new(size_t datasize);
void		 table_free(struct table *);
/* Removes every entry and releases the key memory. */
void		 table_clear(struct table *);
size_t		 table_count(const struct table *);
/* Bytes held (entries, index, keys), for --stats. */
size_t		 table_footprint(const struct table *);

/* Returns the data of KEY, or NULL when KEY is absent. */
void		*table_find(struct table *, const struct value *key);
/*
 * Returns the data of KEY, inserting it (key copied, data zeroed) when
 * absent; *ISNEW tells which.  The pointer is valid until the next
 * insertion, deletion or table_sorted (which may move the entries).
 */
void		*table_put(struct table *, const struct value *key, bool *isnew);
/*
 * For callers that know their next keys ahead (countByValue's short
 * queue): returns KEY's tag for table_put_tag and starts bringing the
 * index slot where its probe begins into cache, so that several probes'
 * memory latency overlaps instead of adding up.
 */
uint32_t	 table_prefetch(const struct table *, const struct value *key);
/*
 * The steps after table_prefetch, for callers looking keys up a few
 * ahead: once the slot is in cache, STEP 1 starts bringing the entry the
 * key's home slot holds (when its tag is TAG), its data too, and once
 * that is, STEP 2 the bytes of its string key.  Only a guess: a key
 * further along its run is not fetched.
 */
void		 table_prefetch_step(const struct table *, uint32_t tag,
		    int step);
/* table_put with KEY's tag from table_prefetch (T may have grown since). */
void		*table_put_tag(struct table *, const struct value *key,
		    uint32_t tag, bool *isnew);
/* table_find with KEY's tag from table_prefetch. */
void		*table_find_tag(struct table *, const struct value *key,
		    uint32_t tag);
/* Deletes KEY if present; returns whether it was. */
bool		 table_del(struct table *, const struct value *key);

/* Iteration in insertion order: for (i = 0; (e = table_at(t, &i)); ) ... */
struct table_ent *table_next(struct table *, size_t *cursor);
static inline void *table_data(struct table_ent *e) { return (char *)e + sizeof(struct table_ent); }
/*
 * Fills *OUT with the live entries sorted by key (value_cmp) and returns
 * their count.  *OUT is owned by the table and valid until the next
 * change.  A table sorted again and again is laid out in key order now
 * and then (entries and keys moved, so earlier data pointers go stale).
 */
size_t		 table_sorted(struct table *, struct table_ent ***out);

/*
 * table_sorted for a table about to be cleared (a batch's last read):
 * a big table's index is freed first, so the sort's arrays take its
 * place instead of adding to the peak.  A later lookup hashes the keys
 * again to rebuild it; table_clear starts a small one.
 */
size_t		 table_sorted_final(struct table *, struct table_ent ***out);

/*
 * Checkpoints (state/snap.c encoding).  table_save appends the live
 * entries in insertion order: their count, then each key followed by
 * what SAVE (the data's owner) appends for its data.  Returns 0, or -1
 * with *CAUSE set (caller frees) when a key cannot be encoded or SAVE
 * fails (SAVE sets *CAUSE then).
 */
struct snap_rd;
typedef int	(*table_save_fn)(const void *data, struct buf *, void *arg,
		    char **cause);
typedef int	(*table_load_fn)(void *data, struct snap_rd *, void *arg);
int		 table_save(struct table *, struct buf *, table_save_fn save,
		    void *arg, char **cause);
/*
 * Empties T and fills it with what table_save wrote, in the same order:
 * each key is inserted (its data zeroed) and LOAD reads the data in
 * place.  A NULL SAVE or LOAD means the data is not saved (left zero).
 * Returns 0, or -1 with the cause in R (a truncated or corrupt encoding,
 * a key twice, LOAD's refusal); T then holds what was read so far.
 */
int		 table_load(struct table *, struct snap_rd *, table_load_fn load,
		    void *arg);

#endif
