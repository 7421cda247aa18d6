/*
 * table.c - the one hash table, behind every keyed operator and window.
 *
 * Entries (hash, key, caller's data) sit in one dense array in insertion
 * order.  An index of slots, each an entry number and the high half of
 * its hash, is probed linearly; most misses are settled in the index
 * without touching an entry.  Deleting marks the entry dead and leaves a
 * tombstone in the index; nothing moves then, so deleting while iterating
 * is safe.  The dead entries are squeezed out (and the index rebuilt) at a
 * later insertion once they outnumber the live ones, and the key arena is
 * rebuilt when the bytes of deleted keys outweigh the live keys.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "table.h"

#define TABLE_EMPTY	0		/* slot never used */
#define TABLE_TOMB	UINT32_MAX	/* slot of a deleted entry */
#define TABLE_DEAD	0xff		/* key.type of a deleted entry */
#define TABLE_MINIDX	16
#define TABLE_KEYSLACK	(32 * 1024)	/* dead key bytes worth a rebuild */

struct table_slot {
	uint32_t	 ent;		/* entry number + 1, EMPTY or TOMB */
	uint32_t	 tag;		/* high 32 bits of the hash */
};

struct table {
	size_t			 datasize;
	size_t			 entsize;	/* header + data, 16-aligned */
	char			*ents;
	size_t			 nents;		/* used, dead included */
	size_t			 capents;
	size_t			 live;
	size_t			 dead;		/* dead entries in ents */

	struct table_slot	*idx;
	size_t			 mask;		/* slots - 1 */
	size_t			 tombs;

	struct arena		 keys;
	size_t			 keylive;	/* value_size of live keys */
	size_t			 keydead;	/* ... of deleted keys */

	struct table_ent	**sorted;
	size_t			 sortedcap;
};

#define TABLE_HDR	((sizeof(struct table_ent) + 15) & ~(size_t)15)

static inline struct table_ent *
table_ent_at(const struct table *t, size_t i)
{
	return (struct table_ent *)(t->ents + i * t->entsize);
}

/* First chunk of a table's key arena: tables are many (one per pane). */
#define TABLE_KEYCHUNK	4096

struct table *
table_new(size_t datasize)
{
	struct table	*t = xcalloc(1, sizeof *t);

	t->datasize = datasize;
	t->entsize = TABLE_HDR + ((datasize + 15) & ~(size_t)15);
	t->mask = TABLE_MINIDX - 1;
	t->idx = xcalloc(TABLE_MINIDX, sizeof *t->idx);
	arena_init_sized(&t->keys, TABLE_KEYCHUNK);
	return t;
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	free(t->ents);
	free(t->idx);
	free(t->sorted);
	arena_free(&t->keys);
	free(t);
}

void
table_clear(struct table *t)
{
	t->nents = t->live = t->dead = 0;
	t->tombs = 0;
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
	    (t->mask + 1) * sizeof *t->idx +
	    t->sortedcap * sizeof *t->sorted + arena_footprint(&t->keys);
}

/* Puts entry number E (with hash H) into the first free slot of its run. */
static void
table_slot_insert(struct table *t, uint64_t h, size_t e)
{
	size_t	 i = (size_t)h & t->mask;

	while (t->idx[i].ent != TABLE_EMPTY)
		i = (i + 1) & t->mask;
	t->idx[i].ent = (uint32_t)(e + 1);
	t->idx[i].tag = (uint32_t)(h >> 32);
}

/*
 * Squeezes dead entries out of the dense array (keeping order) and
 * rebuilds the index with SLOTS slots, which drops every tombstone.
 */
static void
table_rebuild(struct table *t, size_t slots)
{
	struct table_ent	*e;
	size_t			 i, n = 0;

	if (t->dead != 0) {
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
	}
	if (slots != t->mask + 1) {
		free(t->idx);
		t->idx = xcalloc(slots, sizeof *t->idx);
		t->mask = slots - 1;
	} else
		memset(t->idx, 0, slots * sizeof *t->idx);
	t->tombs = 0;
	for (i = 0; i < t->nents; i++)
		table_slot_insert(t, table_ent_at(t, i)->hash, i);
}

/* Copies the live keys into a fresh arena and frees the old one. */
static void
table_rekey(struct table *t)
{
	struct arena		 fresh;
	struct table_ent	*e;
	size_t			 i;

	arena_init_sized(&fresh, TABLE_KEYCHUNK);
	for (i = 0; i < t->nents; i++) {
		e = table_ent_at(t, i);
		if (e->key.type != TABLE_DEAD)
			e->key = value_copy(&fresh, &e->key);
	}
	arena_free(&t->keys);
	t->keys = fresh;
	t->keydead = 0;
}

/*
 * Makes room for one more entry: reclaims dead entries and key bytes
 * when they outweigh the live ones, grows the index past 0.7 load and
 * shrinks index and entries when most of them went unused.  Returns
 * whether the index was rebuilt (slot numbers changed).
 */
static bool
table_reserve(struct table *t)
{
	size_t	 slots = t->mask + 1, want = TABLE_MINIDX, cap;

	if (t->keydead > TABLE_KEYSLACK && t->keydead > t->keylive)
		table_rekey(t);
	if ((t->live + 1) * 10 <= slots * 7 &&
	    (t->live + t->tombs + 1) * 10 <= slots * 7 &&
	    (t->dead <= 16 || t->dead <= t->live)) {
		if (t->nents == t->capents) {
			t->capents = t->capents ? t->capents * 2 : 16;
			t->ents = xreallocarray(t->ents, t->capents,
			    t->entsize);
		}
		return false;
	}

	/* Rebuild at about 35% load: room to grow, not too sparse. */
	while ((t->live + 1) * 20 > want * 7)
		want *= 2;
	if (want < slots && want * 4 > slots)
		want = slots;
	table_rebuild(t, want);
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

/*
 * Probes for KEY with hash H.  Returns the slot number holding it, or
 * (size_t)-1 with *FREE set to the first reusable slot of the run.
 */
static size_t
table_probe(const struct table *t, const struct value *key, uint64_t h,
    size_t *freeslot)
{
	size_t			 i = (size_t)h & t->mask, tomb = (size_t)-1;
	uint32_t		 tag = (uint32_t)(h >> 32), ent;
	struct table_ent	*e;

	for (;; i = (i + 1) & t->mask) {
		ent = t->idx[i].ent;
		if (ent == TABLE_EMPTY)
			break;
		if (ent == TABLE_TOMB) {
			if (tomb == (size_t)-1)
				tomb = i;
			continue;
		}
		if (t->idx[i].tag != tag)
			continue;
		e = table_ent_at(t, ent - 1);
		if (e->hash != h)
			continue;
		if (key->type == V_STR && e->key.type == V_STR) {
			if (e->key.n == key->n && (key->n == 0 ||
			    memcmp(e->key.u.s, key->u.s, key->n) == 0))
				return i;
		} else if (value_eq(&e->key, key))
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

	s = table_probe(t, key, value_hash(key), NULL);
	if (s == (size_t)-1)
		return NULL;
	return table_data(table_ent_at(t, t->idx[s].ent - 1));
}

void *
table_put(struct table *t, const struct value *key, bool *isnew)
{
	struct table_ent	*e;
	uint64_t		 h = value_hash(key);
	size_t			 s, slot;

	s = table_probe(t, key, h, &slot);
	if (s != (size_t)-1) {
		if (isnew != NULL)
			*isnew = false;
		return table_data(table_ent_at(t, t->idx[s].ent - 1));
	}

	/* Growing or squeezing rebuilds the index: probe again after. */
	if (table_reserve(t))
		table_probe(t, key, h, &slot);
	if (t->idx[slot].ent == TABLE_TOMB)
		t->tombs--;
	t->idx[slot].ent = (uint32_t)(t->nents + 1);
	t->idx[slot].tag = (uint32_t)(h >> 32);

	e = table_ent_at(t, t->nents++);
	e->hash = h;
	e->key = value_copy(&t->keys, key);
	memset(table_data(e), 0, t->entsize - TABLE_HDR);
	t->live++;
	t->keylive += value_size(key);
	if (isnew != NULL)
		*isnew = true;
	return table_data(e);
}

bool
table_del(struct table *t, const struct value *key)
{
	struct table_ent	*e;
	size_t			 s, size;

	s = table_probe(t, key, value_hash(key), NULL);
	if (s == (size_t)-1)
		return false;
	e = table_ent_at(t, t->idx[s].ent - 1);
	size = value_size(&e->key);
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

static int
table_cmp_ent(const void *a, const void *b)
{
	const struct table_ent	*ea = *(struct table_ent *const *)a;
	const struct table_ent	*eb = *(struct table_ent *const *)b;

	return value_cmp(&ea->key, &eb->key);
}

size_t
table_sorted(struct table *t, struct table_ent ***out)
{
	struct table_ent	*e;
	size_t			 i = 0, n = 0;

	if (t->sortedcap < t->live) {
		free(t->sorted);
		t->sortedcap = t->live;
		t->sorted = xreallocarray(NULL, t->sortedcap, sizeof *t->sorted);
	}
	while ((e = table_next(t, &i)) != NULL)
		t->sorted[n++] = e;
	if (n > 1)
		qsort(t->sorted, n, sizeof *t->sorted, table_cmp_ent);
	*out = t->sorted;
	return n;
}
