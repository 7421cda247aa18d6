/*
 * table.c - the one hash table, behind every keyed operator and window.
 *
 * Entries (key, caller's data) sit in one dense array in insertion order.
 * An index of slots, each an entry number and the high 32 bits of its
 * key's hash (the tag), is probed linearly from the slot the tag's top
 * bits name; most misses are settled in the index without touching an
 * entry, and growing the index needs only the index (tags give the new
 * positions), never the keys.  Deleting marks the entry dead and leaves
 * a tombstone in the index; nothing moves then, so deleting while
 * iterating is safe.  The dead entries are squeezed out (the index
 * rebuilt by hashing the live keys again) at a later insertion once they
 * outnumber the live ones, and the key arena is rebuilt when the bytes
 * of deleted keys outweigh the live keys.
 *
 * Memory per key (issue 10 item 15: millions of distinct keys): the
 * entry (16-byte key, data rounded to 8), 8 bytes a slot at 35 to 70 %
 * load (doubling), the key's string bytes packed without padding, and,
 * while sorted output is wanted, 8 bytes of prefix (then the result's
 * pointer) and 4 of entry number.  An index of 2 MiB or more asks for
 * transparent huge pages: a probe is a random access, and with 4 KiB
 * pages most of its cost was the page-table walk.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "snap.h"
#include "table.h"

#define TABLE_EMPTY	0		/* slot never used */
#define TABLE_TOMB	UINT32_MAX	/* slot of a deleted entry */
#define TABLE_DEAD	0xff		/* key.type of a deleted entry */
#define TABLE_MINIDX	16
#define TABLE_MINBITS	4		/* log2(TABLE_MINIDX) */
#define TABLE_MAXBITS	32		/* tags are 32 bits */
#define TABLE_KEYSLACK	(32 * 1024)	/* dead key bytes worth a rebuild */
#define TABLE_HUGE	((size_t)2 << 20)	/* a huge page */
#define TABLE_SMALL	32		/* sorted by insertion below this */
#define TABLE_DROPIDX	65536		/* table_sorted_final: frees the
					   index of this many keys or more */
#define TABLE_LAYOUT_MIN 256		/* table_relayout: keys worth it, */
#define TABLE_LAYOUT_MAX (1 << 20)	/* and at most (key bytes copied) */

struct table_slot {
	uint32_t	 ent;		/* entry number + 1, EMPTY or TOMB */
	uint32_t	 tag;		/* high 32 bits of the hash */
};

struct table {
	size_t			 datasize;
	size_t			 entsize;	/* header + data, 8-aligned */
	char			*ents;
	size_t			 nents;		/* used, dead included */
	size_t			 capents;
	size_t			 live;
	size_t			 dead;		/* dead entries in ents */

	struct table_slot	*idx;
	size_t			 mask;		/* slots - 1 */
	unsigned		 shift;		/* tag >> shift: home slot */
	size_t			 tombs;

	struct arena		 keys;
	size_t			 keylive;	/* key bytes of live keys */
	size_t			 keydead;	/* ... of deleted keys */

	/*
	 * table_sorted's result, SORTEDCAP entries of 8 bytes: while a sort
	 * runs, each key's prefix (uint64_t), then the entry pointers.
	 */
	struct table_ent	**sorted;
	size_t			 sortedcap;
	/*
	 * The entry numbers of the last table_sorted in key order (the
	 * sort's second array), kept so the next one need only merge in what
	 * came since: while ORDER_OK (no squeeze or clear since, so numbers
	 * still hold), entries from ORDER_NENTS on are the new ones, and dead
	 * ones drop out.
	 */
	uint32_t		*order;
	size_t			 norder;
	/* Entries new or dead since the last table_relayout (or all). */
	size_t			 unlaid;
	size_t			 order_nents;
	bool			 order_ok;
	/*
	 * The numbers of the entries of that order deleted since (NDIED of
	 * them, listed while DIEDCAP holds them), so that the next sort drops
	 * them without reading every entry (a cache line each, in a big
	 * table) to find the dead.
	 */
	uint32_t		*died;
	size_t			 ndied, diedcap;

	/* The entry number + 1 of the string key table_put found or made
	 * last (0: none): records in a row often share their key.  It is
	 * tried first only while that has paid (REPEATS: the last lookup
	 * found the key of the one before). */
	size_t			 last;
	bool			 repeats;
};

static inline struct table_ent *
table_ent_at(const struct table *t, size_t i)
{
	return (struct table_ent *)(t->ents + i * t->entsize);
}

static inline uint32_t
table_tag(const struct value *key)
{
	return (uint32_t)(value_hash(key) >> 32);
}

/* First chunk of a table's key arena: tables are many (one per pane). */
#define TABLE_KEYCHUNK	4096

/*
 * Returns SLOTS zeroed slots (free with table_idx_free).  From 2 MiB on
 * they are aligned to a huge page and the kernel is asked for huge pages
 * (transparent huge pages in "madvise" mode, Debian's default).
 */
static struct table_slot *
table_idx_alloc(size_t slots)
{
	size_t	 size = slots * sizeof(struct table_slot);
	void	*p;

#ifdef MADV_HUGEPAGE
	if (size >= TABLE_HUGE && posix_memalign(&p, TABLE_HUGE, size) == 0) {
		(void)madvise(p, size, MADV_HUGEPAGE);
		memset(p, 0, size);
		return p;
	}
#endif
	return xcalloc(slots, sizeof(struct table_slot));
}

static void
table_idx_free(struct table_slot *idx)
{
	free(idx);
}

static void	table_slot_insert(struct table *, uint32_t, size_t);
static size_t	table_want(const struct table *);

/* Points T at a fresh index of SLOTS (a power of 2) empty slots. */
static void
table_idx_new(struct table *t, size_t slots)
{
	unsigned	 bits = TABLE_MINBITS;

	while (((size_t)1 << bits) < slots)
		bits++;
	t->idx = table_idx_alloc(slots);
	t->mask = slots - 1;
	t->shift = TABLE_MAXBITS - bits;
	t->tombs = 0;
}

/*
 * Gives T its index again after table_sorted_final dropped it: the live
 * keys hashed anew.
 */
static void
table_idx_ensure(struct table *t)
{
	size_t	 i;

	if (t->idx != NULL)
		return;
	t->mask = 0;
	table_idx_new(t, table_want(t));
	for (i = 0; i < t->nents; i++)
		if (table_ent_at(t, i)->key.type != TABLE_DEAD)
			table_slot_insert(t, table_tag(&table_ent_at(t, i)->key),
			    i);
}

struct table *
table_new(size_t datasize)
{
	struct table	*t = xcalloc(1, sizeof *t);

	t->datasize = datasize;
	t->entsize = sizeof(struct table_ent) + ((datasize + 7) & ~(size_t)7);
	table_idx_new(t, TABLE_MINIDX);
	arena_init_sized(&t->keys, TABLE_KEYCHUNK);
	return t;
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	free(t->ents);
	table_idx_free(t->idx);
	free(t->sorted);
	free(t->order);
	free(t->died);
	arena_free(&t->keys);
	free(t);
}

void
table_clear(struct table *t)
{
	t->nents = t->live = t->dead = 0;
	t->tombs = 0;
	t->order_ok = false;
	t->ndied = 0;
	t->last = 0;
	if (t->idx == NULL)
		table_idx_new(t, TABLE_MINIDX);
	else
		memset(t->idx, 0, (t->mask + 1) * sizeof *t->idx);
	arena_reset(&t->keys);
	t->keylive = t->keydead = 0;
}

size_t
table_count(const struct table *t)
{
	return t->live;
}

size_t
table_footprint(const struct table *t)
{
	return sizeof *t + t->capents * t->entsize +
	    (t->idx != NULL ? (t->mask + 1) * sizeof *t->idx : 0) +
	    t->sortedcap * (sizeof(uint64_t) + sizeof *t->order) +
	    arena_footprint(&t->keys);
}

/*
 * Copies KEY into T's key arena: a string's bytes packed, unaligned (a
 * key is mostly a short string), anything else by value_copy.
 */
static struct value
table_copykey(struct table *t, const struct value *key)
{
	struct value	 v;

	if (key->type != V_STR || key->n == 0)
		return value_copy(&t->keys, key);
	v = *key;
	v.u.s = memcpy(arena_alloc_bytes(&t->keys, key->n), key->u.s, key->n);
	return v;
}

/* The arena bytes table_copykey takes for KEY. */
static size_t
table_keysize(const struct value *key)
{
	return key->type == V_STR ? key->n : value_size(key);
}

/* Puts entry number E (with tag TAG) into the first free slot of its run. */
static void
table_slot_insert(struct table *t, uint32_t tag, size_t e)
{
	size_t	 i = tag >> t->shift;

	while (t->idx[i].ent != TABLE_EMPTY)
		i = (i + 1) & t->mask;
	t->idx[i].ent = (uint32_t)(e + 1);
	t->idx[i].tag = tag;
}

/*
 * Moves the index to SLOTS slots, reading only the old index: a live
 * slot's tag names its home in the new one.  Drops every tombstone.
 */
static void
table_reindex(struct table *t, size_t slots)
{
	struct table_slot	*old = t->idx;
	size_t			 i, n = t->mask + 1;

	table_idx_new(t, slots);
	for (i = 0; i < n; i++)
		if (old[i].ent != TABLE_EMPTY && old[i].ent != TABLE_TOMB)
			table_slot_insert(t, old[i].tag, old[i].ent - 1);
	table_idx_free(old);
}

/*
 * Squeezes dead entries out of the dense array (keeping order) and
 * builds an index of SLOTS slots by hashing the live keys again (their
 * entry numbers changed).
 */
static void
table_squeeze(struct table *t, size_t slots)
{
	struct table_ent	*e;
	size_t			 i, n = 0;

	for (i = 0; i < t->nents; i++) {
		e = table_ent_at(t, i);
		if (e->key.type == TABLE_DEAD)
			continue;
		if (n != i)
			memcpy(table_ent_at(t, n), e, t->entsize);
		n++;
	}
	t->nents = n;
	t->dead = 0;
	t->order_ok = false;	/* entry numbers changed */
	t->last = 0;
	if (slots != t->mask + 1) {
		table_idx_free(t->idx);
		table_idx_new(t, slots);
	} else {
		memset(t->idx, 0, slots * sizeof *t->idx);
		t->tombs = 0;
	}
	for (i = 0; i < n; i++)
		table_slot_insert(t, table_tag(&table_ent_at(t, i)->key), i);
}

/* Copies the live keys into a fresh arena and frees the old one. */
static void
table_rekey(struct table *t)
{
	struct arena		 fresh = t->keys;
	struct table_ent	*e;
	size_t			 i;

	arena_init_sized(&t->keys, TABLE_KEYCHUNK);
	for (i = 0; i < t->nents; i++) {
		e = table_ent_at(t, i);
		if (e->key.type != TABLE_DEAD)
			e->key = table_copykey(t, &e->key);
	}
	arena_free(&fresh);
	t->keydead = 0;
}

/*
 * The index size for T's live entries (and one more) after a rebuild:
 * at most half full, so a table that grows doubles its index at 70 %
 * load; one that shrank keeps its index until a quarter of it would do.
 */
static size_t
table_want(const struct table *t)
{
	size_t	 want = TABLE_MINIDX, slots = t->mask + 1;

	while ((t->live + 1) * 2 > want)
		want *= 2;
	if (want < slots && want * 4 > slots)
		want = slots;
	return want;
}

/*
 * Makes room for one more entry: reclaims dead entries and key bytes
 * when they outweigh the live ones, grows the index past 0.7 load
 * (tombstones counted) and shrinks entries when most of them went
 * unused.  Returns whether the index was rebuilt (slot numbers changed).
 */
static bool
table_reserve(struct table *t)
{
	size_t	 slots = t->mask + 1, cap;

	if (t->keydead > TABLE_KEYSLACK && t->keydead > t->keylive)
		table_rekey(t);
	if ((t->live + t->tombs + 1) * 10 <= slots * 7 &&
	    (t->dead <= 16 || t->dead <= t->live)) {
		if (t->nents == t->capents) {
			t->capents = t->capents ? t->capents * 2 : 16;
			t->ents = xreallocarray(t->ents, t->capents,
			    t->entsize);
		}
		return false;
	}

	if (t->dead != 0)
		table_squeeze(t, table_want(t));
	else
		table_reindex(t, table_want(t));
	cap = t->nents < 16 ? 16 : t->nents;
	if (t->capents > 4 * cap) {
		t->capents = 2 * cap;
		t->ents = xreallocarray(t->ents, t->capents, t->entsize);
	}
	if (t->nents == t->capents) {
		t->capents = t->capents ? t->capents * 2 : 16;
		t->ents = xreallocarray(t->ents, t->capents, t->entsize);
	}
	return true;
}

/* Whether entry E holds KEY. */
static inline bool
table_is(const struct table_ent *e, const struct value *key)
{
	if (key->type == V_STR && e->key.type == V_STR)
		return e->key.n == key->n &&
		    value_bytes_eq(e->key.u.s, key->u.s, key->n);
	return value_eq(&e->key, key);
}

/*
 * Probes for KEY with tag TAG.  Returns the slot number holding it, or
 * (size_t)-1 with *FREE set to the first reusable slot of the run.
 */
static size_t
table_probe(const struct table *t, const struct value *key, uint32_t tag,
    size_t *freeslot)
{
	size_t			 i = tag >> t->shift, tomb = (size_t)-1;
	uint32_t		 ent;

	for (;; i = (i + 1) & t->mask) {
		ent = t->idx[i].ent;
		if (ent == TABLE_EMPTY)
			break;
		if (ent == TABLE_TOMB) {
			if (tomb == (size_t)-1)
				tomb = i;
			continue;
		}
		if (t->idx[i].tag == tag &&
		    table_is(table_ent_at(t, ent - 1), key))
			return i;
	}
	if (freeslot != NULL)
		*freeslot = tomb != (size_t)-1 ? tomb : i;
	return (size_t)-1;
}

void *
table_find(struct table *t, const struct value *key)
{
	size_t	 s;

	table_idx_ensure(t);
	s = table_probe(t, key, table_tag(key), NULL);
	if (s == (size_t)-1)
		return NULL;
	return table_data(table_ent_at(t, t->idx[s].ent - 1));
}

void *
table_put(struct table *t, const struct value *key, bool *isnew)
{
	struct table_ent	*e;

	/* The same string key as last time: no hashing, no probing. */
	if (t->repeats && t->last != 0 && key->type == V_STR) {
		e = table_ent_at(t, t->last - 1);
		if (e->key.n == key->n &&
		    value_bytes_eq(e->key.u.s, key->u.s, key->n)) {
			if (isnew != NULL)
				*isnew = false;
			return table_data(e);
		}
	}
	return table_put_tag(t, key, table_tag(key), isnew);
}

uint32_t
table_prefetch(const struct table *t, const struct value *key)
{
	uint32_t	 tag = table_tag(key);

	if (t->idx != NULL)
		__builtin_prefetch(&t->idx[tag >> t->shift]);
	return tag;
}

void
table_prefetch_step(const struct table *t, uint32_t tag, int step)
{
	const struct table_slot	*slot;
	const struct table_ent	*e;

	if (t->idx == NULL)
		return;
	slot = &t->idx[tag >> t->shift];
	if (slot->ent == TABLE_EMPTY || slot->ent == TABLE_TOMB ||
	    slot->tag != tag || slot->ent > t->nents)
		return;
	e = table_ent_at(t, slot->ent - 1);
	if (step == 1) {
		/* the whole entry: its data may start the next line */
		__builtin_prefetch(e);
		__builtin_prefetch((const char *)e + t->entsize - 1);
	} else if (e->key.type == V_STR && e->key.n > 0)
		__builtin_prefetch(e->key.u.s);
}

void *
table_find_tag(struct table *t, const struct value *key, uint32_t tag)
{
	size_t	 s;

	table_idx_ensure(t);
	s = table_probe(t, key, tag, NULL);
	if (s == (size_t)-1)
		return NULL;
	return table_data(table_ent_at(t, t->idx[s].ent - 1));
}

void *
table_put_tag(struct table *t, const struct value *key, uint32_t tag,
    bool *isnew)
{
	struct table_ent	*e;
	size_t			 s, slot;

	table_idx_ensure(t);
	s = table_probe(t, key, tag, &slot);
	if (s != (size_t)-1) {
		if (isnew != NULL)
			*isnew = false;
		if (key->type == V_STR) {
			t->repeats = t->last == t->idx[s].ent;
			t->last = t->idx[s].ent;
		}
		return table_data(table_ent_at(t, t->idx[s].ent - 1));
	}

	/* Growing or squeezing rebuilds the index: probe again after. */
	if (table_reserve(t))
		table_probe(t, key, tag, &slot);
	if (t->idx[slot].ent == TABLE_TOMB)
		t->tombs--;
	t->idx[slot].ent = (uint32_t)(t->nents + 1);
	t->idx[slot].tag = tag;

	e = table_ent_at(t, t->nents++);
	t->last = key->type == V_STR ? t->nents : 0;
	e->key = table_copykey(t, key);
	memset(table_data(e), 0, t->entsize - sizeof *e);
	t->live++;
	t->keylive += table_keysize(key);
	if (isnew != NULL)
		*isnew = true;
	return table_data(e);
}

bool
table_del(struct table *t, const struct value *key)
{
	struct table_ent	*e;
	size_t			 s, size, num;

	table_idx_ensure(t);
	s = table_probe(t, key, table_tag(key), NULL);
	if (s == (size_t)-1)
		return false;
	num = t->idx[s].ent - 1;
	e = table_ent_at(t, num);
	if (t->order_ok && num < t->order_nents && t->ndied++ < t->diedcap)
		t->died[t->ndied - 1] = (uint32_t)num;
	t->last = 0;
	size = table_keysize(&e->key);
	t->keylive -= size;
	t->keydead += size;
	e->key.type = TABLE_DEAD;
	t->idx[s].ent = TABLE_TOMB;
	t->tombs++;
	t->live--;
	t->dead++;
	return true;
}

struct table_ent *
table_next(struct table *t, size_t *cursor)
{
	struct table_ent	*e;

	while (*cursor < t->nents) {
		e = table_ent_at(t, (*cursor)++);
		if (e->key.type != TABLE_DEAD)
			return e;
	}
	return NULL;
}

/*
 * Sorting.  A string key is cut into chunks of 7 bytes, and chunk C
 * becomes a 64-bit integer: its bytes (zero-padded) in the top 56 bits
 * and in the low byte how many of them the key has (0 to 7), or 8 when
 * the key goes on past the chunk.  Comparing keys bytewise, the shorter
 * first when one begins the other (value_cmp's order), is comparing
 * their chunk integers one after the other; two keys whose chunks tie
 * with a low byte under 8 are equal.  An integer key is one chunk, its
 * bits with the sign flipped.
 */
static uint64_t
table_chunk(const struct value *k, size_t c)
{
	size_t		 off = 7 * c, left = k->n - off, i;
	uint64_t	 pre = 0;

	if (left > 7) {
		memcpy(&pre, k->u.s + off, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		pre = __builtin_bswap64(pre);
#endif
		return (pre & ~(uint64_t)0xff) | 8;
	}
	for (i = 0; i < 7; i++)
		pre = pre << 8 | (i < left ? (uint8_t)k->u.s[off + i] : 0);
	return pre << 8 | left;
}

/* The first chunk of key K and its kind: 1 string, 2 integer, 0 other. */
static uint64_t
table_prefix(const struct value *k, int *kind)
{
	switch (k->type) {
	case V_STR:
		*kind = 1;
		return table_chunk(k, 0);
	case V_INT:
		*kind = 2;
		return (uint64_t)k->u.i ^ (UINT64_C(1) << 63);
	default:
		*kind = 0;
		return 0;
	}
}

static int
table_cmp_ent(const void *a, const void *b)
{
	const struct table_ent	*ea = *(struct table_ent *const *)a;
	const struct table_ent	*eb = *(struct table_ent *const *)b;

	return value_cmp(&ea->key, &eb->key);
}

/*
 * The order of entries NA and NB of T whose current chunks are A and B:
 * by the chunks, and when they tie on a string that goes on, by the
 * whole keys (every earlier chunk tied too).
 */
static int
table_chunk_cmp(const struct table *t, uint64_t a, uint32_t na, uint64_t b,
    uint32_t nb, bool str)
{
	if (a != b)
		return a < b ? -1 : 1;
	if (!str || (a & 0xff) != 8)
		return 0;
	return value_cmp(&table_ent_at(t, na)->key, &table_ent_at(t, nb)->key);
}

/*
 * Sorts the N entry numbers NUM by key, PRE holding each one's chunk
 * CHUNK, whose bytes above bit SHIFT + 8 all tie: an in-place MSD radix
 * sort (American flag), a byte a level; the bytes all N share are
 * skipped at once, and N under TABLE_SMALL are sorted by insertion.  Strings tying on a whole chunk that goes on move to the
 * next chunk (read from the keys).  Every bucket but the largest is
 * sorted by recursion, the largest by going round again, so the depth
 * stays under 32.
 */
static void
table_msd(const struct table *t, uint64_t *pre, uint32_t *num, size_t n,
    int shift, size_t chunk, bool str)
{
	uint32_t	 count[256], pos[256], u, uu;
	uint64_t	 p, pp;
	size_t		 i, j, b, lo, big, bmin, bmax;

	for (;;) {
		if (n < TABLE_SMALL) {
			for (i = 1; i < n; i++) {
				p = pre[i];
				u = num[i];
				for (j = i; j > 0 && table_chunk_cmp(t, pre[j - 1],
				    num[j - 1], p, u, str) > 0; j--) {
					pre[j] = pre[j - 1];
					num[j] = num[j - 1];
				}
				pre[j] = p;
				num[j] = u;
			}
			return;
		}
		if (shift < 0) {
			/* All N tie on the whole chunk. */
			if (!str || (pre[0] & 0xff) != 8)
				return;
			chunk++;
			for (i = 0; i < n; i++)
				pre[i] = table_chunk(&table_ent_at(t, num[i])->key,
				    chunk);
			shift = 56;
			continue;
		}
		/*
		 * Counts of the byte at SHIFT, only the buckets from the
		 * least to the greatest used after (small groups use few:
		 * digits 10 of 256).  When all N share it, the bytes they
		 * all share are skipped at once (PP: where any differs
		 * from the first).
		 */
		bmin = 255;
		bmax = 0;
		pp = 0;
		memset(count, 0, sizeof count);
		for (i = 0; i < n; i++) {
			pp |= pre[i] ^ pre[0];
			j = (pre[i] >> shift) & 0xff;
			count[j]++;
			bmin = j < bmin ? j : bmin;
			bmax = j > bmax ? j : bmax;
		}
		if (bmin == bmax) {
			pp &= ~(uint64_t)0 >> (56 - shift);
			shift = pp == 0 ? -1 : (63 - __builtin_clzll(pp)) & ~7;
			continue;
		}

		/* Each item swapped into its bucket, a cycle at a time. */
		for (b = bmin, lo = 0; b <= bmax; b++) {
			pos[b] = (uint32_t)lo;
			lo += count[b];
		}
		for (b = bmin, lo = 0; b <= bmax; lo += count[b], b++) {
			while (pos[b] < lo + count[b]) {
				p = pre[pos[b]];
				u = num[pos[b]];
				while ((j = (p >> shift) & 0xff) != b) {
					pp = pre[pos[j]];
					uu = num[pos[j]];
					pre[pos[j]] = p;
					num[pos[j]] = u;
					pos[j]++;
					p = pp;
					u = uu;
				}
				pre[pos[b]] = p;
				num[pos[b]] = u;
				pos[b]++;
			}
		}
		big = bmin;
		for (b = bmin + 1; b <= bmax; b++)
			if (count[b] > count[big])
				big = b;
		for (b = bmin, lo = 0; b <= bmax; lo += count[b], b++)
			if (b != big && count[b] > 1)
				table_msd(t, pre + lo, num + lo, count[b],
				    shift - 8, chunk, str);
		for (b = bmin, lo = 0; b < big; b++)
			lo += count[b];
		pre += lo;
		num += lo;
		n = count[big];
		shift -= 8;
	}
}

static inline uint32_t
table_num(const struct table *t, const struct table_ent *e)
{
	return (uint32_t)(((const char *)e - t->ents) / t->entsize);
}

/*
 * Moves the live entries into the order of the last sort (T->order),
 * their string keys' bytes in the same order into a fresh key arena, so
 * that a walk in key order reads memory in sequence: a sliding window's
 * running table, walked in key order at every slide, was otherwise a
 * cache miss or two a key.  The index keeps its slots (tags and
 * tombstones), renumbered; dead entries are dropped on the way.  The
 * entries move within their array, each copied once, so that no second
 * array of them is ever held (a large window's table was two at its
 * peak): entry I takes the one numbered ORDER[I], whose place then takes
 * its own, and so on, each chain begun at a place whose entry is dead
 * (it ends at a place past the live ones) or, for what is left, at any
 * place of a cycle, its first entry kept aside.
 */
static void
table_relayout(struct table *t)
{
	struct arena		 old = t->keys;
	struct table_ent	*e;
	uint32_t		*renum, *order = t->order, ent;
	char			*first;
	size_t			 i, j, from, n = t->norder;

	renum = xcalloc(t->nents, sizeof *renum);	/* new number + 1 */
	arena_init_sized(&t->keys, TABLE_KEYCHUNK);
	for (i = 0; i < n; i++) {
		e = table_ent_at(t, order[i]);
		e->key = table_copykey(t, &e->key);
		renum[order[i]] = (uint32_t)(i + 1);
	}
	for (i = 0; i < n; i++) {
		if (renum[i] != 0)	/* a live entry: not a chain's start */
			continue;
		for (j = i;; j = from) {
			from = order[j];
			memcpy(table_ent_at(t, j), table_ent_at(t, from),
			    t->entsize);
			order[j] = (uint32_t)j;
			if (from >= n)
				break;
		}
	}
	first = xmalloc(t->entsize);
	for (i = 0; i < n; i++) {
		if (order[i] == i)
			continue;
		memcpy(first, table_ent_at(t, i), t->entsize);
		for (j = i;; j = from) {
			from = order[j];
			order[j] = (uint32_t)j;
			if (from == i) {
				memcpy(table_ent_at(t, j), first, t->entsize);
				break;
			}
			memcpy(table_ent_at(t, j), table_ent_at(t, from),
			    t->entsize);
		}
	}
	free(first);
	if (t->idx != NULL)
		for (i = 0; i <= t->mask; i++) {
			ent = t->idx[i].ent;
			if (ent != TABLE_EMPTY && ent != TABLE_TOMB)
				t->idx[i].ent = renum[ent - 1];
		}
	t->last = t->last != 0 ? renum[t->last - 1] : 0;
	free(renum);
	arena_free(&old);
	t->nents = t->order_nents = n;
	t->dead = 0;
	t->keydead = 0;
}

/*
 * Brings the last sort's order up to date when few entries came since:
 * the new ones sorted alone, each put in place by a binary search, the
 * dead ones dropped.  Returns false when a whole sort is better.
 */
static bool
table_sorted_update(struct table *t)
{
	struct table_ent	**fresh = t->sorted;	/* free until the end */
	uint32_t		*merged, *order = t->order;
	uint64_t		*gone;
	size_t			 i, j, k = 0, m = 0, w = 0, lo = 0, hi, mid, was;
	struct table_ent	*e;

	for (i = t->order_nents; i < t->nents; i++) {
		e = table_ent_at(t, i);
		if (e->key.type == TABLE_DEAD)
			continue;
		if (++k > t->live / 8 + 1)
			return false;
		fresh[k - 1] = e;
	}
	if (k > 1)
		qsort(fresh, k, sizeof *fresh, table_cmp_ent);
	was = t->norder;
	if (t->ndied == 0)
		m = t->norder;
	else if (t->ndied <= t->diedcap) {
		/* The listed dead dropped: a bit each by entry number. */
		gone = xcalloc(t->order_nents / 64 + 1, sizeof *gone);
		for (i = 0; i < t->ndied; i++)
			gone[t->died[i] / 64] |= (uint64_t)1 << t->died[i] % 64;
		for (i = 0; i < t->norder; i++)
			if ((gone[order[i] / 64] >> order[i] % 64 & 1) == 0)
				order[m++] = order[i];
		free(gone);
	} else
		for (i = 0; i < t->norder; i++)
			if (table_ent_at(t, order[i])->key.type != TABLE_DEAD)
				order[m++] = order[i];
	t->norder = m;
	if (m + k != t->live)
		return false;
	merged = xreallocarray(NULL, t->live, sizeof *merged);
	for (j = 0; j < k; j++) {
		/* The first of order[lo..m) above fresh[j]. */
		for (hi = m; lo < hi;) {
			mid = lo + (hi - lo) / 2;
			if (value_cmp(&table_ent_at(t, order[mid])->key,
			    &fresh[j]->key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* Copy the old ones below it, then it. */
		for (i = w - j; i < lo; i++)
			merged[w++] = order[i];
		merged[w++] = table_num(t, fresh[j]);
	}
	for (i = w - k; i < m; i++)
		merged[w++] = order[i];
	memcpy(order, merged, w * sizeof *order);
	free(merged);
	t->norder = w;
	t->order_nents = t->nents;
	/*
	 * Sorted again and again: worth laying out in key order, again
	 * once the entries new or dead since make a sixteenth of them.
	 */
	t->unlaid += k + (was - m);
	if (t->unlaid > w / 16 && w >= TABLE_LAYOUT_MIN &&
	    w <= TABLE_LAYOUT_MAX) {
		table_relayout(t);
		t->unlaid = 0;
	}
	for (i = 0; i < w; i++)
		t->sorted[i] = table_ent_at(t, order[i]);
	return true;
}

/*
 * Sorts the live entries: their numbers into t->order, the pointers
 * into t->sorted.  When the keys are all strings or all integers, by
 * table_msd on their chunks (several times faster than a comparison
 * sort, and no memory but the two result arrays: the chunks sit where
 * the pointers go at the end); other keys by a comparison sort.
 */
static void
table_sort(struct table *t)
{
	uint64_t		*pre = (uint64_t *)(void *)t->sorted;
	uint32_t		*num = t->order;
	struct table_ent	*e;
	size_t			 i, n = 0, cursor = 0;
	int			 kind, first = -1;

	while ((e = table_next(t, &cursor)) != NULL) {
		pre[n] = table_prefix(&e->key, &kind);
		num[n++] = table_num(t, e);
		if (first == -1)
			first = kind;
		if (kind == 0 || kind != first) {
			/* Mixed or other keys: a comparison sort. */
			cursor = 0;
			for (n = 0; (e = table_next(t, &cursor)) != NULL; )
				t->sorted[n++] = e;
			qsort(t->sorted, n, sizeof *t->sorted, table_cmp_ent);
			for (i = 0; i < n; i++)
				num[i] = table_num(t, t->sorted[i]);
			return;
		}
	}
	table_msd(t, pre, num, n, 56, 0, first == 1);
	/* Each pointer goes where the chunk was. */
	for (i = 0; i < n; i++)
		t->sorted[i] = table_ent_at(t, num[i]);
}

/*
 * Between two calls that only added a few entries (a sliding window's
 * running table) the last order is merged with the new entries
 * (table_sorted_update); otherwise a whole sort (table_sort).
 */
size_t
table_sorted(struct table *t, struct table_ent ***out)
{
	if (t->sortedcap < t->live) {
		free(t->sorted);
		t->sortedcap = t->live + t->live / 2;
		/* 8 bytes each: a uint64_t chunk, then a pointer. */
		t->sorted = xreallocarray(NULL, t->sortedcap, sizeof(uint64_t));
		t->order = xreallocarray(t->order, t->sortedcap,
		    sizeof *t->order);
		/* as many dead as an update is worth (table_sorted_update) */
		t->diedcap = t->sortedcap / 8 + 16;
		t->died = xreallocarray(t->died, t->diedcap, sizeof *t->died);
	}
	*out = t->sorted;
	if (t->live == 0)
		return 0;
	if (t->order_ok && table_sorted_update(t)) {
		t->ndied = 0;
		return t->live;
	}
	table_sort(t);
	t->unlaid = t->live;	/* laid out by insertion */
	t->norder = t->live;
	t->order_nents = t->nents;
	t->order_ok = true;
	t->ndied = 0;
	return t->live;
}

int
table_save(struct table *t, struct buf *b, table_save_fn save, void *arg,
    char **cause)
{
	struct table_ent	*e;
	size_t			 i;

	snap_put_u64(b, t->live);
	for (i = 0; i < t->nents; i++) {
		e = table_ent_at(t, i);
		if (e->key.type == TABLE_DEAD)
			continue;
		if (snap_put_value(b, &e->key, cause) == -1)
			return -1;
		if (save != NULL && save(table_data(e), b, arg, cause) == -1)
			return -1;
	}
	return 0;
}

size_t
table_sorted_final(struct table *t, struct table_ent ***out)
{
	if (t->live >= TABLE_DROPIDX && t->idx != NULL) {
		table_idx_free(t->idx);
		t->idx = NULL;
	}
	return table_sorted(t, out);
}

/*
 * Sizes the empty table T for N entries at once (as table_reserve would
 * have grown it), so a load does not rebuild the index on the way.  N
 * has been checked against the bytes it is read from.
 */
static void
table_presize(struct table *t, size_t n)
{
	size_t	 want = TABLE_MINIDX;

	while ((n + 1) * 2 > want)
		want *= 2;
	if (want > t->mask + 1) {
		table_idx_free(t->idx);
		table_idx_new(t, want);
	}
	if (t->capents < n) {
		t->capents = n;
		t->ents = xreallocarray(t->ents, t->capents, t->entsize);
	}
}

int
table_load(struct table *t, struct snap_rd *r, table_load_fn load, void *arg)
{
	struct arena	 scratch;
	struct value	 key;
	void		*data;
	size_t		 n, i;
	bool		 isnew;
	int		 rc = -1;

	table_clear(t);
	/* Entry numbers are 32 bits in the index (TABLE_TOMB reserved). */
	if (snap_get_count(r, 1, UINT32_MAX - 2, &n) == -1)
		return -1;
	table_presize(t, n);
	arena_init_sized(&scratch, TABLE_KEYCHUNK);
	for (i = 0; i < n; i++) {
		arena_reset(&scratch);
		if (snap_get_key(r, &scratch, &key) == -1)
			goto out;
		data = table_put(t, &key, &isnew);
		if (!isnew) {
			snap_fail(r, "key saved twice");
			goto out;
		}
		if (load != NULL && load(data, r, arg) == -1) {
			if (r->cause == NULL)
				snap_fail(r, "bad table entry");
			goto out;
		}
	}
	rc = 0;
out:
	arena_free(&scratch);
	return rc;
}
