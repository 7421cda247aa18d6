/*
 * sessions.c - session windows' state (sessions.h): a pool of session
 * slots, each key's sessions listed by start from a table, and a binary
 * heap of every open session by (end, key).
 *
 * Adding a record costs a table lookup, a walk over its key's sessions
 * (almost always one) and a heap step when the session's end moves;
 * taking out the session that ends first is a heap step too, so closing
 * sessions at each batch end costs what closes, not the number of keys.
 * Slots are referred to by index, so the pool may grow by realloc; a
 * freed slot goes to a free list and serves the next session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "sessions.h"
#include "snap.h"
#include "table.h"

#define SESS_NIL	UINT32_MAX
/* Arena bytes under which the values are never copied afresh. */
#define SESS_COMPACT_MIN	(1024 * 1024)

struct sessions {
	struct agg	*r;
	int64_t		 gap;
	size_t		 off;		/* the state's offset in a slot */
	size_t		 slot;		/* bytes of a slot, 8-aligned */
	char		*pool;
	uint32_t	 npool;		/* slots ever handed out */
	uint32_t	 cappool;
	uint32_t	 freelist;	/* through next, SESS_NIL at the end */
	uint32_t	*heap;		/* slot indices, a min-heap by (end, key) */
	size_t		 nheap, capheap;
	struct table	*keys;		/* key -> uint32_t: its first slot + 1 */
	struct arena	 mem;		/* keys of sessions, the states' values */
	size_t		 compacted;	/* mem.used after the last compaction */
};

static inline struct session *
sess_at(const struct sessions *s, uint32_t i)
{
	return (struct session *)(void *)(s->pool + (size_t)i * s->slot);
}

int64_t
sessions_end(const struct sessions *s, const struct session *x)
{
	return x->last + s->gap;
}

void *
sessions_state(const struct sessions *s, const struct session *x)
{
	return (char *)x + s->off;
}

struct sessions *
sessions_new(struct agg *r, int64_t gap_ms)
{
	struct sessions	*s = xcalloc(1, sizeof *s);

	s->r = r;
	s->gap = gap_ms;
	s->off = (sizeof(struct session) + 7) & ~(size_t)7;
	s->slot = (s->off + r->def->size + 7) & ~(size_t)7;
	s->freelist = SESS_NIL;
	s->keys = table_new(sizeof(uint32_t));
	arena_init(&s->mem);
	return s;
}

void
sessions_free(struct sessions *s)
{
	if (s == NULL)
		return;
	free(s->pool);
	free(s->heap);
	table_free(s->keys);
	arena_free(&s->mem);
	free(s);
}

size_t
sessions_count(const struct sessions *s)
{
	return s->nheap;
}

size_t
sessions_footprint(const struct sessions *s)
{
	return (size_t)s->cappool * s->slot + s->capheap * sizeof *s->heap +
	    table_footprint(s->keys) + arena_footprint(&s->mem);
}

/* ---- the heap, by (end, key) ---- */

/* Whether session slot A closes before slot B. */
static bool
sess_before(const struct sessions *s, uint32_t a, uint32_t b)
{
	const struct session	*x = sess_at(s, a), *y = sess_at(s, b);

	if (x->last != y->last)
		return x->last < y->last;	/* the same gap: end order */
	return value_cmp(&x->key, &y->key) < 0;
}

/* Puts slot I at heap position POS and records it there. */
static inline void
heap_set(struct sessions *s, size_t pos, uint32_t i)
{
	s->heap[pos] = i;
	sess_at(s, i)->heap = (uint32_t)pos;
}

static void
heap_up(struct sessions *s, size_t pos)
{
	uint32_t	 i = s->heap[pos];
	size_t		 parent;

	while (pos > 0) {
		parent = (pos - 1) / 2;
		if (!sess_before(s, i, s->heap[parent]))
			break;
		heap_set(s, pos, s->heap[parent]);
		pos = parent;
	}
	heap_set(s, pos, i);
}

static void
heap_down(struct sessions *s, size_t pos)
{
	uint32_t	 i = s->heap[pos];
	size_t		 c;

	for (;;) {
		c = 2 * pos + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && sess_before(s, s->heap[c + 1],
		    s->heap[c]))
			c++;
		if (!sess_before(s, s->heap[c], i))
			break;
		heap_set(s, pos, s->heap[c]);
		pos = c;
	}
	heap_set(s, pos, i);
}

static void
heap_push(struct sessions *s, uint32_t i)
{
	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? s->capheap * 2 : 16;
		s->heap = xreallocarray(s->heap, s->capheap, sizeof *s->heap);
	}
	s->heap[s->nheap++] = i;
	heap_up(s, s->nheap - 1);
}

/* Takes the slot at heap position POS out of the heap. */
static void
heap_remove(struct sessions *s, size_t pos)
{
	uint32_t	 last = s->heap[--s->nheap];

	if (pos == s->nheap)
		return;
	heap_set(s, pos, last);
	heap_up(s, pos);
	heap_down(s, sess_at(s, last)->heap);
}

/* ---- slots and the keys' lists ---- */

/* Returns a zeroed slot with an empty state. */
static uint32_t
slot_new(struct sessions *s)
{
	uint32_t	 i;

	if (s->freelist != SESS_NIL) {
		i = s->freelist;
		s->freelist = sess_at(s, i)->next;
	} else {
		if (s->npool == s->cappool) {
			if (s->cappool >= SESS_NIL / 2) {
				fprintf(stderr, "%s: more than %u open "
				    "sessions\n", progname, SESS_NIL / 2);
				abort();
			}
			s->cappool = s->cappool ? s->cappool * 2 : 16;
			s->pool = xreallocarray(s->pool, s->cappool, s->slot);
		}
		i = s->npool++;
	}
	memset(sess_at(s, i), 0, s->slot);
	agg_init(s->r, sessions_state(s, sess_at(s, i)));
	return i;
}

static void
slot_free(struct sessions *s, uint32_t i)
{
	sess_at(s, i)->next = s->freelist;
	s->freelist = i;
}

/*
 * Takes slot I out of its key's list (the key leaves the table with its
 * last session).
 */
static void
list_unlink(struct sessions *s, uint32_t i)
{
	struct session	*x = sess_at(s, i);
	uint32_t	*head, j, prev = SESS_NIL;

	if ((head = table_find(s->keys, &x->key)) == NULL)
		return;
	for (j = *head - 1; j != SESS_NIL && j != i; j = sess_at(s, j)->next)
		prev = j;
	if (j == SESS_NIL)
		return;
	if (prev != SESS_NIL)
		sess_at(s, prev)->next = x->next;
	else if (x->next != SESS_NIL)
		*head = x->next + 1;
	else
		table_del(s->keys, &x->key);
}

/*
 * Puts slot I (key, start and last set) into its key's list, sorted by
 * start.  Returns 0, or -1 when it would overlap a neighbour (a load's
 * check; sessions_add never asks for that).
 */
static int
list_insert(struct sessions *s, uint32_t i)
{
	struct session	*x = sess_at(s, i), *y;
	uint32_t	*head, j, prev = SESS_NIL;
	bool		 isnew;

	head = table_put(s->keys, &x->key, &isnew);
	if (isnew) {
		x->next = SESS_NIL;
		*head = i + 1;
		return 0;
	}
	for (j = *head - 1; j != SESS_NIL; j = y->next) {
		y = sess_at(s, j);
		if (y->start > x->start)
			break;
		prev = j;
	}
	if (prev != SESS_NIL && sess_at(s, prev)->last + s->gap >= x->start)
		return -1;
	if (j != SESS_NIL && x->last + s->gap >= sess_at(s, j)->start)
		return -1;
	x->next = j;
	if (prev != SESS_NIL)
		sess_at(s, prev)->next = i;
	else
		*head = i + 1;
	return 0;
}

/*
 * Copies the keys and the states' values of the open sessions into a
 * fresh arena once the old one holds mostly what closed or was
 * replaced ('last', an expression's results).
 */
static void
sessions_compact(struct sessions *s)
{
	struct arena	 fresh;
	struct session	*x;
	size_t		 k;

	if (s->mem.used < SESS_COMPACT_MIN || s->mem.used < 2 * s->compacted)
		return;
	arena_init(&fresh);
	for (k = 0; k < s->nheap; k++) {
		x = sess_at(s, s->heap[k]);
		x->key = value_copy(&fresh, &x->key);
		if (s->r->def->move != NULL)
			s->r->def->move(sessions_state(s, x), &fresh);
	}
	arena_free(&s->mem);
	s->mem = fresh;
	s->compacted = fresh.used;
}

int
sessions_add(struct sessions *s, const struct value *key, int64_t t,
    const struct value *v)
{
	struct session	*x, *y;
	uint32_t	*head, j, a = SESS_NIL, b = SESS_NIL, i;
	int64_t		 before;
	int		 rc;

	/* The sessions of KEY that T reaches: two at most, side by side. */
	if ((head = table_find(s->keys, key)) != NULL)
		for (j = *head - 1; j != SESS_NIL; j = y->next) {
			y = sess_at(s, j);
			if (t < y->start - s->gap)
				break;
			if (t <= y->last + s->gap) {
				if (a == SESS_NIL)
					a = j;
				else
					b = j;
			}
		}

	if (a == SESS_NIL) {
		i = slot_new(s);
		x = sess_at(s, i);
		rc = agg_add(s->r, sessions_state(s, x), v, &s->mem);
		if (agg_n(sessions_state(s, x)) == 0) {
			slot_free(s, i);	/* refused: no session */
			return rc;
		}
		x->key = value_copy(&s->mem, key);
		x->start = x->last = t;
		list_insert(s, i);
		heap_push(s, i);
		sessions_compact(s);
		return rc;
	}

	x = sess_at(s, a);
	before = agg_n(sessions_state(s, x));
	rc = agg_add(s->r, sessions_state(s, x), v, &s->mem);
	if (rc == -1 || agg_n(sessions_state(s, x)) == before)
		return rc;
	if (t < x->start)
		x->start = t;
	if (t > x->last)
		x->last = t;
	if (b != SESS_NIL) {
		/* T bridges A and B: B's values join A's, after them. */
		y = sess_at(s, b);
		if (agg_merge(s->r, sessions_state(s, x), sessions_state(s, y),
		    &s->mem) == -1)
			return -1;
		if (y->last > x->last)
			x->last = y->last;
		x->next = y->next;	/* B follows A in the key's list */
		heap_remove(s, y->heap);
		slot_free(s, b);
	}
	heap_down(s, x->heap);		/* its end only grows */
	sessions_compact(s);
	return rc;
}

struct session *
sessions_first(struct sessions *s)
{
	return s->nheap > 0 ? sess_at(s, s->heap[0]) : NULL;
}

void
sessions_pop(struct sessions *s)
{
	uint32_t	 i;

	if (s->nheap == 0)
		return;
	i = s->heap[0];
	heap_remove(s, 0);
	list_unlink(s, i);
	slot_free(s, i);
}

/* Whether the heap below POS holds a session ending at END. */
static bool
sessions_end_below(struct sessions *s, size_t pos, int64_t end)
{
	int64_t	 e;

	if (pos >= s->nheap)
		return false;
	e = sessions_end(s, sess_at(s, s->heap[pos]));
	if (e >= end)
		return e == end;
	return sessions_end_below(s, 2 * pos + 1, end) ||
	    sessions_end_below(s, 2 * pos + 2, end);
}

bool
sessions_end_at(struct sessions *s, int64_t end)
{
	return sessions_end_below(s, 0, end);
}

/* ---- checkpoints ---- */

/* Empties S, keeping its memory. */
static void
sessions_clear(struct sessions *s)
{
	if (table_count(s->keys) != 0)
		table_clear(s->keys);
	s->nheap = 0;
	s->npool = 0;
	s->freelist = SESS_NIL;
	arena_reset(&s->mem);
	s->compacted = 0;
}

int
sessions_save(struct sessions *s, struct buf *b, char **cause)
{
	uint32_t	*order, *saved, i;
	size_t		 n = s->nheap, k;
	struct session	*x;
	int		 rc = 0;

	/* In (end, key) order: the heap emptied into a copy, then put back. */
	saved = s->heap;
	order = xreallocarray(NULL, n ? n : 1, sizeof *order);
	s->heap = xreallocarray(NULL, n ? n : 1, sizeof *s->heap);
	if (n > 0)
		memcpy(s->heap, saved, n * sizeof *saved);
	for (k = 0; k < n; k++) {
		order[k] = s->heap[0];
		i = s->heap[--s->nheap];
		if (s->nheap > 0) {
			s->heap[0] = i;
			heap_down(s, 0);
		}
	}
	free(s->heap);
	s->heap = saved;
	s->nheap = n;
	for (k = 0; k < n; k++)
		sess_at(s, s->heap[k])->heap = (uint32_t)k;

	snap_put_u64(b, n);
	for (k = 0; k < n && rc == 0; k++) {
		x = sess_at(s, order[k]);
		if (snap_put_value(b, &x->key, cause) == -1) {
			rc = -1;
			break;
		}
		snap_put_i64(b, x->start);
		snap_put_i64(b, x->last);
		rc = s->r->def->save(sessions_state(s, x), b, cause);
	}
	free(order);
	return rc;
}

int
sessions_load(struct sessions *s, struct snap_rd *r)
{
	struct session	*x;
	uint32_t	 i, prev = SESS_NIL;
	size_t		 n, k;

	sessions_clear(s);
	/* A session takes 4 bytes at least: key, start, last, n. */
	if (snap_get_count(r, 4, SESS_NIL / 2, &n) == -1)
		return -1;
	for (k = 0; k < n; k++) {
		i = slot_new(s);
		x = sess_at(s, i);
		if (snap_get_value(r, &s->mem, &x->key) == -1 ||
		    snap_get_i64(r, &x->start) == -1 ||
		    snap_get_i64(r, &x->last) == -1 ||
		    s->r->def->load(sessions_state(s, x), r, &s->mem) == -1) {
			slot_free(s, i);
			return -1;
		}
		if (x->start > x->last || x->last > INT64_MAX - s->gap ||
		    agg_n(sessions_state(s, x)) <= 0) {
			slot_free(s, i);
			return snap_fail(r, "bad session: start %lld, last "
			    "%lld, %lld values", (long long)x->start,
			    (long long)x->last,
			    (long long)agg_n(sessions_state(s, x)));
		}
		if (prev != SESS_NIL && !sess_before(s, prev, i)) {
			slot_free(s, i);
			return snap_fail(r, "sessions out of order");
		}
		if (list_insert(s, i) == -1) {
			slot_free(s, i);
			return snap_fail(r, "sessions of one key overlap");
		}
		heap_push(s, i);
		prev = i;
	}
	s->compacted = s->mem.used;
	return 0;
}
