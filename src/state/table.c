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
#include "snap.h"
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

/* An entry to sort and the first 8 bytes of its order, as an integer. */
struct table_sortent {
	uint64_t		 pre;
	struct table_ent	*e;
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

	struct table_ent	**sorted;	/* table_sorted's result */
	struct table_sortent	*sortbuf;	/* ... and its work space */
	size_t			 sortedcap;
	/*
	 * The entry numbers of the last table_sorted in key order, kept so
	 * the next one need only merge in what came since: while ORDER_OK
	 * (no squeeze or clear since, so numbers still hold), entries from
	 * ORDER_NENTS on are the new ones, and dead ones drop out.
	 */
	uint32_t		*order;
	size_t			 norder;
	size_t			 order_nents;
	bool			 order_ok;

	/* The entry number + 1 of the string key table_put found or made
	 * last (0: none): records in a row often share their key.  It is
	 * tried first only while that has paid (REPEATS: the last lookup
	 * found the key of the one before). */
	size_t			 last;
	bool			 repeats;
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
	free(t->sortbuf);
	free(t->order);
	arena_free(&t->keys);
	free(t);
}

void
table_clear(struct table *t)
{
	t->nents = t->live = t->dead = 0;
	t->tombs = 0;
	t->order_ok = false;
	t->last = 0;
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
	    t->sortedcap * (sizeof *t->sorted + 2 * sizeof *t->sortbuf +
	    sizeof *t->order) +
	    arena_footprint(&t->keys);
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
		t->order_ok = false;	/* entry numbers changed */
		t->last = 0;
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
	uint64_t		 h;
	size_t			 s, slot;

	/* The same string key as last time: no hashing, no probing. */
	if (t->repeats && t->last != 0 && key->type == V_STR) {
		e = table_ent_at(t, t->last - 1);
		if (e->key.n == key->n && (key->n == 0 ||
		    memcmp(e->key.u.s, key->u.s, key->n) == 0)) {
			if (isnew != NULL)
				*isnew = false;
			return table_data(e);
		}
	}
	h = value_hash(key);
	s = table_probe(t, key, h, &slot);
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
		table_probe(t, key, h, &slot);
	if (t->idx[slot].ent == TABLE_TOMB)
		t->tombs--;
	t->idx[slot].ent = (uint32_t)(t->nents + 1);
	t->idx[slot].tag = (uint32_t)(h >> 32);

	e = table_ent_at(t, t->nents++);
	t->last = key->type == V_STR ? t->nents : 0;
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
	t->last = 0;
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

/*
 * The order-preserving prefix of key K when it is a string or an integer
 * (kind 1 or 2 in *KIND); kind 0 for any other key.
 */
static uint64_t
table_prefix(const struct value *k, int *kind)
{
	uint64_t	 pre = 0;
	uint32_t	 i;

	switch (k->type) {
	case V_STR:
		*kind = 1;
		if (k->n >= 8) {
			memcpy(&pre, k->u.s, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			pre = __builtin_bswap64(pre);
#endif
			return pre;
		}
		for (i = 0; i < 8; i++)
			pre = pre << 8 | (i < k->n ? (uint8_t)k->u.s[i] : 0);
		return pre;
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

static int
table_cmp_sortent(const void *a, const void *b)
{
	const struct table_sortent	*x = a, *y = b;

	return value_cmp(&x->e->key, &y->e->key);
}

static size_t	table_sort(struct table *);

static inline uint32_t
table_num(const struct table *t, const struct table_ent *e)
{
	return (uint32_t)(((const char *)e - t->ents) / t->entsize);
}

/*
 * Brings the last sort's order up to date when few entries came since:
 * the new ones sorted alone, each put in place by a binary search, the
 * dead ones dropped.  Returns false when a whole sort is better.
 */
static bool
table_sorted_update(struct table *t)
{
	struct table_ent	**fresh = (struct table_ent **)(void *)t->sortbuf;
	uint32_t		*merged = (uint32_t *)(void *)(t->sortbuf +
				    t->sortedcap);
	uint32_t		*order = t->order;
	size_t			 i, j, k = 0, m = 0, w = 0, lo = 0, hi, mid;
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
	for (i = 0; i < t->norder; i++)
		if (table_ent_at(t, order[i])->key.type != TABLE_DEAD)
			order[m++] = order[i];
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
	if (w != t->live)
		return false;
	memcpy(order, merged, w * sizeof *order);
	t->norder = w;
	t->order_nents = t->nents;
	for (i = 0; i < w; i++)
		t->sorted[i] = table_ent_at(t, order[i]);
	return true;
}

/*
 * When the keys are all strings or all integers, they are radix-sorted
 * on an 8-byte prefix (LSD, a byte a pass, skipping bytes every key
 * shares, the counts of all bytes taken in one first pass), and whole
 * keys are compared only where prefixes tie: several times faster than
 * a comparison sort, which is what other keys get.  Between two calls
 * that only added a few entries (a sliding window's running table) the
 * last order is merged with the new entries instead (table_sorted_update).
 */
size_t
table_sorted(struct table *t, struct table_ent ***out)
{
	size_t	 i, n;

	if (t->sortedcap < t->live) {
		free(t->sorted);
		free(t->sortbuf);
		t->sortedcap = t->live + t->live / 2;
		t->sorted = xreallocarray(NULL, t->sortedcap, sizeof *t->sorted);
		t->sortbuf = xreallocarray(NULL, t->sortedcap,
		    2 * sizeof *t->sortbuf);
		t->order = xreallocarray(t->order, t->sortedcap,
		    sizeof *t->order);
	}
	*out = t->sorted;
	if (t->live == 0)
		return 0;
	if (t->order_ok && table_sorted_update(t))
		return t->live;
	n = table_sort(t);
	for (i = 0; i < n; i++)
		t->order[i] = table_num(t, t->sorted[i]);
	t->norder = n;
	t->order_nents = t->nents;
	t->order_ok = true;
	return n;
}

/* Sorts the live entries into t->sorted; returns their count. */
static size_t
table_sort(struct table *t)
{
	struct table_sortent	*a, *b, *tmp;
	struct table_ent	*e;
	uint32_t		 count[8][256], c, sum;
	uint64_t		 pre;
	size_t			 i, j, n = 0, cursor = 0;
	int			 kind, first = -1, d;

	a = t->sortbuf;
	b = t->sortbuf + t->sortedcap;
	memset(count, 0, sizeof count);
	while ((e = table_next(t, &cursor)) != NULL) {
		a[n].pre = pre = table_prefix(&e->key, &kind);
		a[n].e = t->sorted[n] = e;
		n++;
		if (first == -1)
			first = kind;
		if (kind == 0 || kind != first) {
			/* Mixed or other keys: a comparison sort. */
			while ((e = table_next(t, &cursor)) != NULL)
				t->sorted[n++] = e;
			qsort(t->sorted, n, sizeof *t->sorted, table_cmp_ent);
			return n;
		}
		for (d = 0; d < 8; d++)
			count[d][(pre >> (8 * d)) & 0xff]++;
	}
	for (d = 0; d < 8 && n > 1; d++) {
		if (count[d][(a[0].pre >> (8 * d)) & 0xff] == n)
			continue;
		for (i = 0, sum = 0; i < 256; i++) {
			c = count[d][i];
			count[d][i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			b[count[d][(a[i].pre >> (8 * d)) & 0xff]++] = a[i];
		tmp = a;
		a = b;
		b = tmp;
	}
	/* Strings whose first 8 bytes tie are ordered by the whole key. */
	for (i = 0; first == 1 && i < n; i = j) {
		for (j = i + 1; j < n && a[j].pre == a[i].pre; j++)
			;
		if (j - i > 1)
			qsort(a + i, j - i, sizeof *a, table_cmp_sortent);
	}
	for (i = 0; i < n; i++)
		t->sorted[i] = a[i].e;
	return n;
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

/*
 * Sizes the empty table T for N entries at once (as table_reserve would
 * have grown it), so a load does not rebuild the index on the way.  N
 * has been checked against the bytes it is read from.
 */
static void
table_presize(struct table *t, size_t n)
{
	size_t	 want = TABLE_MINIDX;

	while ((n + 1) * 20 > want * 7)
		want *= 2;
	if (want > t->mask + 1)
		table_rebuild(t, want);
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
		if (snap_get_value(r, &scratch, &key) == -1)
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
