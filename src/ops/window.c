/*
 * window.c - Spark's window operations: window, countByWindow,
 * reduceByWindow, reduceByKeyAndWindow, countByValueAndWindow and
 * groupByKeyAndWindow.
 *
 * A window of length L sliding by S ends at every multiple T of S and
 * covers [T - L, T).  Time is cut into panes of gcd(L, S) (state/pane.h);
 * a record pushed with the end E of its batch falls in the pane holding
 * E - 1.  Records come in time order, so the live panes
 * form a queue, oldest first.  At a window end the panes the window has
 * reached enter it; once the last window holding a pane has been emitted
 * the pane leaves and its memory is recycled.
 *
 * Sliding is incremental.  An invertible reducer (sum, count, avg, or a
 * function given with an INVFUNC) keeps one running aggregate per key:
 * an entering pane is merged in, a leaving pane taken out, and a key with
 * no record left is deleted, so windows never show stale zero rows (when
 * taking out cannot be exact, a sum gone infinite or past 2^53, the
 * running aggregate is rebuilt from the panes still in the window).  A
 * reducer that slides its own way (agg_slider, agg.h: distinct) keeps a
 * window state per key in KEYS, told of each pane's state of the key as
 * the pane enters and leaves, and giving the key's value at emission;
 * when it asks, the key's states in the entered panes are given to it
 * again (a replay); a checkpoint saves the panes alone and a load enters
 * them again.  The other reducers slide through a two-stack queue of
 * panes, kept per key (below).  window and groupByKeyAndWindow keep
 * record copies in their panes and give them back in arrival order.
 *
 * The two-stack queue, per key.  One table (KEYS) holds each key of the
 * entered panes once, with its back aggregate (the merge of its states
 * in the back panes, which entering panes are merged into), a pointer
 * to its front state and a copy of that state.  When the front is empty
 * and a pane must leave (or a window be emitted), the entered panes
 * become the front by a flip: going from the newest pane to the oldest,
 * each key's state in a pane has the state of the key's next pane merged
 * into it (read from the key's copy), so it holds the key's values from
 * that pane up to the newest (a suffix over the panes the key is in), and
 * keeps a link to that next state (in the bytes after the state,
 * pane_init_extra); the key's front pointer ends at its oldest such
 * state, copied, and the back aggregates are emptied.  A window is, for
 * each key, its front copy merged with its back aggregate: one sorted
 * table to walk, its entries in sequence, as for an invertible reducer
 * (reading each front state in its pane instead was a cache miss a key
 * and slide).  When the oldest pane leaves, each of
 * its keys' front pointer moves along the link to the key's next pane,
 * whose state is copied; a key with neither left is deleted.  The walks
 * over a pane's states look their keys up in KEYS a few states ahead
 * (struct win_walk), so those cache misses overlap.  Each state is
 * merged a bounded number of times and copied at most twice, so no
 * record is read again and a slide costs no more as L/S grows: what a
 * slide costs beyond an invertible reducer's is a lookup more for each
 * state (the flip's) and the merges of a front copy with a back.  A
 * pane's states are only ever those of the keys it has: the memory is
 * what the panes hold (the sum over panes of the keys in each) plus KEYS
 * (each key of the window once), not panes x keys as when every suffix
 * was a whole table (with 100,000 keys, a 20m window and a 10s slide,
 * max peaked at 1.2 GB against sum's 52 MB; now 40 MB against 35).  The
 * merges are the ones the whole-table suffixes did, in the same order,
 * so the results are the same to the bit.
 *
 * Which windows are emitted.  In processing time, every window whose
 * end the wall clock has passed while the inputs were open (struct op's
 * live_ms), empty or not, at once, as Spark emits every slide (later
 * per-batch operators see an empty batch; countByWindow gives 0 after
 * the first record, nothing before it, as Spark's).  Otherwise (event time, and the drain at end of input) from
 * the first window holding data to the last one holding data: an empty
 * window between them is emitted when the next window with data comes,
 * so live and replayed input give the same output; empty windows after
 * the last data are not emitted, except that later operators are
 * flushed for as long as their own windows (chain_span) need to slide
 * out.  After emitting a window the op flushes the rest of the chain
 * with the window's end, and only then; what it emits is pushed on with
 * that end too.
 *
 * At a resume in processing time the wall clock has jumped: the windows
 * the checkpoint holds whose ends passed while no run was up are gone
 * through at the first flush, in order, before that batch's window, as
 * the drain would (win_catch_up: each holding data emitted, stamped with
 * its own end, the empty ones between them too), as Spark's recovery
 * runs the batches it missed; none with data is dropped.  The windows
 * ending between the flushes of an earlier window that slides less often
 * (it flushes the chain at its own ends only) are gone through the same
 * way at its next flush.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "../state/grid.h"
#include "../state/pane.h"
#include "../state/snap.h"
#include "op.h"

/* Keys ahead whose memory an emitting loop asks for (prefetch). */
#define WIN_AHEAD	8

/*
 * A walk over a pane's states (those holding values) that looks their
 * keys up in the window's KEYS a few ahead: a key's index slot, then its
 * entry, then its string's bytes are asked for WIN_STEP states apart
 * (table_prefetch, table_prefetch_step), so that the cache misses of
 * several lookups in a big KEYS overlap instead of adding up; and for a
 * leaving front pane, the state each state links to.
 */
#define WIN_STEP	4
#define WIN_PIPE	(3 * WIN_STEP)

struct win_walk {
	struct table		*pane;		/* the pane's keys, walked */
	struct table		*keys;		/* where they are looked up */
	size_t			 linkoff;	/* a state's link, or 0 */
	size_t			 cursor;	/* in PANE */
	struct table_ent	*e[WIN_PIPE];	/* a ring of the states ahead */
	uint32_t		 tag[WIN_PIPE];	/* their keys' tags in KEYS */
	size_t			 head, n;
};

enum win_kind {
	W_WINDOW,	/* window: the records */
	W_COUNT,	/* countByWindow: how many */
	W_REDUCE,	/* reduceByWindow: one value */
	W_BYKEY,	/* reduceByKeyAndWindow: (key, reduced) */
	W_BYVALUE,	/* countByValueAndWindow: (value, n) */
	W_GROUP		/* groupByKeyAndWindow: (key, [values]) */
};

/*
 * A key of a window without inverse, in its KEYS table: where its front
 * suffix is, then a copy of that suffix, then its back aggregate (the
 * reducer's states, each w->stsize bytes).  The copy is what an emission
 * reads: the KEYS entries in key order, not a state in some pane a key.
 */
struct win_key {
	void		*front;		/* a state in a front pane, or NULL */
};

/* Key K's copy of its front suffix: empty (agg_n 0) when front is NULL. */
static inline void *
win_front(struct win_key *k)
{
	return (char *)k + sizeof *k;
}

/* groupByKeyAndWindow: one key's values while a window is emitted. */
struct win_group {
	struct value	*v;
	uint32_t	 n, cap;
};

struct win {
	struct op	 op;
	enum win_kind	 kind;
	struct agg	*r;		/* the aggregating kinds' reducer */
	bool		 inv;		/* r slides by adding and taking out */
	int64_t		 len, slide;	/* L and S, ms */
	int64_t		 width;		/* pane width, gcd(L, S) */
	int64_t		 n;		/* panes in a window, L / width */

	struct pane	**q;		/* live panes, oldest first: a ring */
	size_t		 qcap, qhead, qlen;
	size_t		 nin;		/* the first nin live panes have entered */
	size_t		 nfront;	/* the first nfront hold suffixes */
	int64_t		 closed;	/* panes below this id have entered */
	struct pane	**spare;	/* recycled panes */
	size_t		 nspare, capspare;
	uint64_t	 wrec;		/* records in the entered live panes */

	struct pane	 run;		/* running window (inv) */
	/* no inverse: key -> struct win_key, or the reducer's own window
	 * state when it slides its own way (SL) */
	struct table	*keys;
	const struct agg_slider *sl;	/* r's own sliding, or NULL */
	struct arena	 backmem;	/* values the back aggregates keep */
	struct table	*groups;	/* W_GROUP: key -> struct win_group */
	struct arena	 scratch;	/* the values of one emitted window */
	void		*tmp;		/* r's state: a front suffix + the back */
	size_t		 stsize;	/* r's state in a win_key, rounded up */

	bool		 started;	/* a window with data has been emitted */
	int64_t		 next_end;	/* the next window end not yet emitted */
	int64_t		 last_data;	/* end of the last window with data */
	int64_t		 span_next;	/* chain_span after this op, -1 unknown */
	bool		 gap_warned;
};

/* Key K's back aggregate, after its front copy. */
static inline void *
win_back(const struct win *w, struct win_key *k)
{
	return (char *)win_front(k) + w->stsize;
}

static int64_t
win_gcd(int64_t a, int64_t b)
{
	int64_t	 t;

	while (b != 0) {
		t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* The Ith live pane, 0 being the oldest. */
static struct pane *
win_at(struct win *w, size_t i)
{
	return w->q[(w->qhead + i) % w->qcap];
}

/* For --stats: the keys (or records) the live panes hold. */
static size_t
win_held(struct op *op)
{
	struct win	*w = (struct win *)op;
	struct pane	*p;
	size_t		 i, n = 0;

	for (i = 0; i < w->qlen; i++) {
		p = win_at(w, i);
		n += p->keys != NULL ? table_count(p->keys) : p->nrec;
	}
	if (w->run.keys != NULL)
		n += table_count(w->run.keys);
	if (w->keys != NULL)
		n += table_count(w->keys);
	return n;
}

/* Appends a pane for ID to the queue, reusing a recycled one if any. */
static struct pane *
win_newpane(struct win *w, int64_t id)
{
	struct pane	**q, *p;
	size_t		 i, cap;

	if (w->nspare > 0)
		p = w->spare[--w->nspare];
	else {
		p = xmalloc(sizeof *p);
		if (w->keys != NULL && w->sl == NULL)	/* a link a state */
			pane_init_extra(p, w->r, sizeof(void *));
		else
			pane_init(p, w->r);
	}
	p->id = id;
	if (w->qlen == w->qcap) {
		cap = w->qcap ? w->qcap * 2 : 8;
		q = xreallocarray(NULL, cap, sizeof *q);
		for (i = 0; i < w->qlen; i++)
			q[i] = win_at(w, i);
		free(w->q);
		w->q = q;
		w->qcap = cap;
		w->qhead = 0;
	}
	w->q[(w->qhead + w->qlen++) % w->qcap] = p;
	return p;
}

static void
win_walk_start(struct win_walk *ww, struct pane *p, struct table *keys,
    size_t linkoff)
{
	ww->pane = p->keys;
	ww->keys = keys;
	ww->linkoff = linkoff;
	ww->cursor = ww->head = ww->n = 0;
}

/*
 * The walk's next state holding values, its key's tag in KEYS in *TAG,
 * or NULL at the end.
 */
static struct table_ent *
win_walk_next(struct win_walk *ww, uint32_t *tag)
{
	struct table_ent	*e;
	size_t			 i;

	while (ww->n < WIN_PIPE &&
	    (e = table_next(ww->pane, &ww->cursor)) != NULL) {
		if (agg_n(table_data(e)) == 0)
			continue;
		i = (ww->head + ww->n++) % WIN_PIPE;
		ww->e[i] = e;
		ww->tag[i] = table_prefetch(ww->keys, &e->key);
		if (ww->linkoff != 0)
			__builtin_prefetch(*(void **)(void *)((char *)
			    table_data(e) + ww->linkoff));
		if (ww->n > WIN_STEP)
			table_prefetch_step(ww->keys, ww->tag[(i + WIN_PIPE -
			    WIN_STEP) % WIN_PIPE], 1);
		if (ww->n > 2 * WIN_STEP)
			table_prefetch_step(ww->keys, ww->tag[(i + WIN_PIPE -
			    2 * WIN_STEP) % WIN_PIPE], 2);
	}
	if (ww->n == 0)
		return NULL;
	e = ww->e[ww->head];
	*tag = ww->tag[ww->head];
	ww->head = (ww->head + 1) % WIN_PIPE;
	ww->n--;
	return e;
}

/*
 * Copies a state of W's reducer (plain bytes) from SRC to DST; inline
 * for the reducers of n and a value (sum, min, max, first, last).
 */
static inline void
win_copy_state(const struct win *w, void *dst, const void *src)
{
	if (w->r->def->size == sizeof(struct agg_val))
		memcpy(dst, src, sizeof(struct agg_val));
	else
		memcpy(dst, src, w->r->def->size);
}

/* The link after state ST of a pane: the key's state in its next pane. */
static void **
win_link(const struct win *w, void *st)
{
	return (void **)(void *)((char *)st + w->r->def->size);
}

/*
 * Links the states of the first NFRONT entered panes, newest first: each
 * key's state to the key's state in its next pane, and the key's front
 * pointer (NULL before) to its oldest.  With MERGE (a flip) each state
 * also has the next one merged into it, making it a suffix; without (a
 * checkpoint loaded) the states are suffixes already, and keys not yet
 * in KEYS are added.  Returns 0 or -1 (stop).
 */
static int
win_link_front(struct win *w, size_t nfront, bool merge)
{
	struct win_walk		 ww;
	struct table_ent	*e;
	struct pane		*p;
	struct win_key		*k;
	void			*st;
	size_t			 i;
	uint32_t		 tag;
	bool			 isnew;

	for (i = nfront; i-- > 0; ) {
		p = win_at(w, i);
		win_walk_start(&ww, p, w->keys, 0);
		while ((e = win_walk_next(&ww, &tag)) != NULL) {
			st = table_data(e);
			if (merge)
				k = table_find_tag(w->keys, &e->key, tag);
			else {
				k = table_put_tag(w->keys, &e->key, tag,
				    &isnew);
				if (isnew)
					agg_init(w->r, win_back(w, k));
			}
			if (k == NULL)		/* every key has entered */
				continue;
			/* the copy of *k->front: the same bytes, at hand */
			if (merge && k->front != NULL && agg_merge(w->r, st,
			    win_front(k), &p->mem) == -1)
				return -1;
			*win_link(w, st) = k->front;
			k->front = st;
			win_copy_state(w, win_front(k), st);
		}
	}
	return 0;
}

/*
 * Turns the entered back panes into the front (per-key suffixes, see the
 * top); the back aggregates are then empty.  Only called when the front
 * is empty.
 */
static int
win_flip(struct win *w)
{
	struct table_ent	*e;
	size_t			 cursor = 0;

	if (win_link_front(w, w->nin, true) == -1)
		return -1;
	while ((e = table_next(w->keys, &cursor)) != NULL)
		agg_init(w->r, win_back(w, table_data(e)));
	arena_reset(&w->backmem);
	w->nfront = w->nin;
	return 0;
}

/*
 * The oldest front pane P leaves: each of its keys' front pointer (at
 * P's state, the key's oldest) moves to the key's next state; a key with
 * neither a front nor a back state left leaves KEYS.
 */
static void
win_front_leave(struct win *w, struct pane *p)
{
	struct win_walk		 ww;
	struct table_ent	*e;
	struct win_key		*k;
	void			*st;
	uint32_t		 tag;

	win_walk_start(&ww, p, w->keys, w->r->def->size);
	while ((e = win_walk_next(&ww, &tag)) != NULL) {
		st = table_data(e);
		if ((k = table_find_tag(w->keys, &e->key, tag)) == NULL)
			continue;
		if ((k->front = *win_link(w, st)) != NULL)
			win_copy_state(w, win_front(k), k->front);
		else if (agg_n(win_back(w, k)) == 0)
			table_del(w->keys, &e->key);
		else
			memset(win_front(k), 0, w->r->def->size);
	}
}

/*
 * Pane P enters the back of a window without inverse: each of its
 * states is merged into its key's back aggregate.  Returns 0 or -1.
 */
static int
win_back_enter(struct win *w, struct pane *p)
{
	struct win_walk		 ww;
	struct table_ent	*e;
	struct win_key		*k;
	void			*st;
	uint32_t		 tag;
	bool			 isnew;

	win_walk_start(&ww, p, w->keys, 0);
	while ((e = win_walk_next(&ww, &tag)) != NULL) {
		st = table_data(e);
		k = table_put_tag(w->keys, &e->key, tag, &isnew);
		if (isnew)
			agg_init(w->r, win_back(w, k));
		if (agg_merge(w->r, win_back(w, k), st, &w->backmem) == -1)
			return -1;
	}
	return 0;
}

/*
 * Gives KEY's window state WS (a reducer's own sliding) the key's states
 * in the entered panes FROM..TO-1 again, oldest first, until no state
 * asks for it again (agg.h: a replay).
 */
static void
win_replay(struct win *w, const struct value *key, void *ws, size_t from,
    size_t to)
{
	struct pane	*p;
	void		*st;
	size_t		 i;
	int		 again;

	do {
		again = 0;
		w->sl->reset(ws);
		for (i = from; i < to; i++) {
			p = win_at(w, i);
			if ((st = table_find(p->keys, key)) != NULL &&
			    agg_n(st) > 0)
				again |= w->sl->enter(w->r, ws, st,
				    (uint32_t)p->id);
		}
	} while (again);
}

/*
 * The live pane I, the first not entered, enters a window whose reducer
 * slides its own way: each of its states is told to its key's window
 * state.
 */
static void
win_slide_enter(struct win *w, size_t i)
{
	struct pane		*p = win_at(w, i);
	struct table_ent	*e;
	void			*st, *ws;
	size_t			 cursor = 0;

	while ((e = table_next(p->keys, &cursor)) != NULL) {
		st = table_data(e);
		if (agg_n(st) == 0)
			continue;
		ws = table_put(w->keys, &e->key, NULL);
		if (w->sl->enter(w->r, ws, st, (uint32_t)p->id) == 1)
			win_replay(w, &e->key, ws, 0, i + 1);
	}
}

/*
 * The oldest pane P leaves a window whose reducer slides its own way; a
 * key with no values left leaves the window.
 */
static void
win_slide_leave(struct win *w, struct pane *p)
{
	struct table_ent	*e;
	void			*st, *ws;
	size_t			 cursor = 0;
	int			 rc;

	while ((e = table_next(p->keys, &cursor)) != NULL) {
		st = table_data(e);
		if (agg_n(st) == 0 ||
		    (ws = table_find(w->keys, &e->key)) == NULL)
			continue;
		rc = w->sl->leave(w->r, ws, st, (uint32_t)p->id);
		if (agg_n(ws) <= 0) {
			w->sl->free(ws);
			table_del(w->keys, &e->key);
		} else if (rc == 1)
			win_replay(w, &e->key, ws, 1, w->nin);
	}
}

/* Empties KEYS, freeing what the reducer's own window states hold. */
static void
win_keys_clear(struct win *w)
{
	struct table_ent	*e;
	size_t			 cursor = 0;

	if (w->sl != NULL)
		while ((e = table_next(w->keys, &cursor)) != NULL)
			w->sl->free(table_data(e));
	if (table_count(w->keys) != 0)
		table_clear(w->keys);
}

/*
 * Rebuilds the running window of an invertible reducer from the entered
 * panes but the oldest, which is leaving: for when taking that pane out
 * cannot be exact (pane_sub returned 1).
 */
static int
win_rebuild(struct win *w)
{
	size_t	 i;

	pane_reset(&w->run);
	for (i = 1; i < w->nin; i++)
		if (pane_merge(&w->run, win_at(w, i)) == -1)
			return -1;
	return 0;
}

/* The oldest pane leaves: out of the window state, back to the spares. */
static int
win_leave(struct win *w)
{
	struct pane	*p = win_at(w, 0);
	int		 rc = 0;

	if (w->nin > 0) {
		w->wrec -= p->nrec;
		if (w->r != NULL && w->inv) {
			if ((rc = pane_sub(&w->run, p)) == 1)
				rc = win_rebuild(w);
			pane_compact(&w->run);
		} else if (w->sl != NULL)
			win_slide_leave(w, p);
		else if (w->r != NULL) {
			if (w->nfront == 0)
				rc = win_flip(w);
			if (w->nfront > 0) {
				win_front_leave(w, p);
				w->nfront--;
			}
		}
		w->nin--;
	}
	w->qhead = (w->qhead + 1) % w->qcap;
	w->qlen--;
	pane_reset(p);
	if (w->nspare == w->capspare) {
		w->capspare = w->capspare ? w->capspare * 2 : 8;
		w->spare = xreallocarray(w->spare, w->capspare,
		    sizeof *w->spare);
	}
	w->spare[w->nspare++] = p;
	return rc;
}

/* Drops the panes whose id is LIMIT or less: no window to come holds them. */
static int
win_evict(struct win *w, int64_t limit)
{
	while (w->qlen > 0 && win_at(w, 0)->id <= limit)
		if (win_leave(w) == -1)
			return -1;
	return 0;
}

/* The panes below id THI enter the window state. */
static int
win_enter(struct win *w, int64_t thi)
{
	struct pane	*p;

	while (w->nin < w->qlen && (p = win_at(w, w->nin))->id < thi) {
		w->wrec += p->nrec;
		if (w->sl != NULL)
			win_slide_enter(w, w->nin);
		else if (w->keys != NULL) {
			if (win_back_enter(w, p) == -1)
				return -1;
		} else if (w->r != NULL && pane_merge(&w->run, p) == -1)
			return -1;
		w->nin++;
	}
	if (w->r != NULL && w->inv)
		pane_compact(&w->run);
	if (thi > w->closed)
		w->closed = thi;
	return 0;
}

/*
 * Emits one key's result V: (key, V), or V alone, as part of the window
 * ending at END.  The pair is on the stack, as a batch op's
 * (ops/batch.c): the next op copies what it keeps, and a pair in the
 * arena would be 32 bytes written a row.
 */
static inline int
win_emit_val(struct win *w, const struct value *key, struct value v,
    int64_t end)
{
	struct value	 kv[2];

	if (w->kind != W_REDUCE) {
		kv[0] = *key;
		kv[1] = v;
		v = value_null();
		v.type = V_TUPLE;
		v.n = 2;
		v.u.a = kv;
	}
	return op_emit(&w->op, &v, end);
}

/* Emits one key's state A (win_emit_val), if it holds anything. */
static inline int
win_emit_agg(struct win *w, const struct value *key, const void *a,
    int64_t end)
{
	if (agg_n(a) <= 0)
		return 0;
	if (w->sl != NULL)	/* a key's window state */
		return win_emit_val(w, key, w->sl->result(w->r, a), end);
	return win_emit_val(w, key, agg_result(w->r, a), end);
}

/*
 * Emits the aggregates of table T, sorted by key.  Key order is not
 * memory order: the entries a few keys ahead are fetched early, and
 * their key bytes (a string's are elsewhere, in the table's arena) a few
 * keys nearer, so the cache misses overlap.
 */
static int
win_emit_table(struct win *w, struct table *t, int64_t end)
{
	struct table_ent	**ents, *e;
	size_t			 i, n;

	n = table_sorted(t, &ents);
	for (i = 0; i < n; i++) {
		if (i + 2 * WIN_AHEAD < n)
			__builtin_prefetch(ents[i + 2 * WIN_AHEAD]);
		if (i + WIN_AHEAD < n &&
		    (e = ents[i + WIN_AHEAD])->key.type == V_STR)
			__builtin_prefetch(e->key.u.s);
		if (win_emit_agg(w, &ents[i]->key, table_data(ents[i]),
		    end) == -1)
			return -1;
	}
	return 0;
}

/*
 * Emits the window of a reducer without inverse: for each key in order,
 * its front suffix (the key's copy of it) merged with its back aggregate.
 */
static int
win_emit_stacks(struct win *w, int64_t end)
{
	struct table_ent	**ents;
	struct win_key		*k;
	void			*front, *back;
	size_t			 i, n;

	if (w->nfront == 0 && win_flip(w) == -1)
		return -1;
	n = table_sorted(w->keys, &ents);
	for (i = 0; i < n; i++) {
		/*
		 * Key order is not memory order: fetch the entries a few
		 * keys ahead, and what their states point to (a sketch's
		 * block) a few keys nearer, so the cache misses overlap.
		 */
		if (i + WIN_AHEAD < n)
			__builtin_prefetch(ents[i + WIN_AHEAD]);
		if (i + WIN_AHEAD / 2 < n) {
			k = table_data(ents[i + WIN_AHEAD / 2]);
			agg_prefetch(w->r, win_front(k));
			agg_prefetch(w->r, win_back(w, k));
		}
		k = table_data(ents[i]);
		front = win_front(k);
		back = win_back(w, k);
		if (agg_n(front) > 0 && agg_n(back) > 0) {
			/* A copy of the front state (states are plain bytes). */
			win_copy_state(w, w->tmp, front);
			if (agg_merge(w->r, w->tmp, back, &w->scratch) == -1)
				return -1;
			back = w->tmp;
		} else if (agg_n(front) > 0)
			back = front;
		if (win_emit_agg(w, &ents[i]->key, back, end) == -1)
			return -1;
	}
	return 0;
}

/* Emits groupByKeyAndWindow's (key, [values]), sorted by key. */
static int
win_emit_groups(struct win *w, int64_t end)
{
	struct table_ent	**ents;
	struct win_group	*g;
	struct pane		*p;
	struct value		*kv, *grown, v, arr;
	size_t			 i, k, n;

	if (table_count(w->groups) != 0)
		table_clear(w->groups);
	for (i = 0; i < w->qlen; i++) {
		p = win_at(w, i);
		for (k = 0; k < p->nrec; k++) {
			kv = p->rec[k].u.a;
			g = table_put(w->groups, &kv[0], NULL);
			if (g->n == g->cap) {
				g->cap = g->cap ? g->cap * 2 : 4;
				grown = arena_alloc(&w->scratch,
				    g->cap * sizeof *grown);
				if (g->n != 0)
					memcpy(grown, g->v, g->n * sizeof *grown);
				g->v = grown;
			}
			g->v[g->n++] = kv[1];
		}
	}
	n = table_sorted(w->groups, &ents);
	for (i = 0; i < n; i++) {
		g = table_data(ents[i]);
		arr = value_null();
		arr.type = V_ARR;
		arr.n = g->n;
		arr.u.a = g->v;
		v = value_pair(&w->scratch, ents[i]->key, arr);
		if (op_emit(&w->op, &v, end) == -1)
			return -1;
	}
	return 0;
}

/* Pushes the records of the window ending at END into the next op. */
static int
win_emit(struct win *w, int64_t end)
{
	struct pane	*p;
	struct value	 v;
	size_t		 i, k;

	arena_reset(&w->scratch);
	switch (w->kind) {
	case W_WINDOW:
		for (i = 0; i < w->qlen; i++) {
			p = win_at(w, i);
			for (k = 0; k < p->nrec; k++) {
				v = p->rec[k];
				if (op_emit(&w->op, &v, end) == -1)
					return -1;
			}
		}
		return 0;
	case W_COUNT:
		v = value_int((int64_t)w->wrec);
		return op_emit(&w->op, &v, end);
	case W_GROUP:
		return win_emit_groups(w, end);
	default:
		break;
	}
	if (w->inv)
		return win_emit_table(w, w->run.keys, end);
	if (w->sl != NULL)
		return win_emit_table(w, w->keys, end);
	return win_emit_stacks(w, end);
}

/*
 * Emits the empty windows from next_end up to UPTO, each followed by a
 * flush of the rest of the chain; countByWindow's 0 once a window with
 * data has been (Spark's count is a key that data creates and an inverse
 * takes to 0: before the first record its windows have no row).  A
 * stretch longer than GAP_MAX windows is skipped, with a note, rather
 * than emitted one by one.
 */
static int
win_empties(struct win *w, int64_t upto)
{
	struct value	 zero;
	int64_t		 t;

	if (upto < w->next_end)
		return 0;
	/* The windows next_end..upto, all empty. */
	if (grid_gap_long(w->next_end, upto + w->slide, w->slide)) {
		if (!w->gap_warned)
			fprintf(stderr, "%s: %s: more than %d empty windows "
			    "in a row; not emitting them one by one\n",
			    progname, w->op.def->name, GAP_MAX);
		w->gap_warned = true;
		w->next_end = upto + w->slide;
		return 0;
	}
	for (t = w->next_end; t <= upto; t += w->slide) {
		w->next_end = t + w->slide;
		if (w->kind == W_COUNT && w->started) {
			zero = value_int(0);
			if (op_emit(&w->op, &zero, t) == -1)
				return -1;
		}
		if (op_forward_flush(&w->op, t) == -1)
			return -1;
	}
	return 0;
}

/*
 * The window ending at END (a multiple of the slide) is complete.  LIVE:
 * the wall clock passed END while the inputs were open (op's live_ms).
 */
static int
win_end(struct win *w, int64_t end, bool live)
{
	if (win_enter(w, end / w->width) == -1)
		return -1;
	if (w->wrec > 0) {
		if (w->started && win_empties(w, end - w->slide) == -1)
			return -1;
		if (win_emit(w, end) == -1 ||
		    op_forward_flush(&w->op, end) == -1)
			return -1;
		w->started = true;
		w->last_data = end;
		w->next_end = end + w->slide;
	} else if (live) {
		/* Past on the wall clock: emitted now, empty as it is. */
		if (!w->started && w->next_end < end)
			w->next_end = end;
		return win_empties(w, end);
	} else if (w->started && end - w->last_data <= w->span_next)
		return win_empties(w, end);
	return 0;
}

/*
 * The windows ending after the last one gone through (closed) and before
 * END: none when every batch end is flushed.  After a jump in time they
 * were never gone through: at a resume in processing time, the windows
 * whose ends the wall clock passed while no run was up, held in the
 * checkpoint (in event time the clock skips only an empty stretch, when
 * no pane is held); and after a window sliding less often than this
 * one, whose flushes come at its own ends only.  They are gone through
 * now, in order, as the drain at end of input would: each holding
 * data is emitted, stamped with its end, with the empty ones between,
 * and later operators are flushed for their span after the last; the
 * empty stretch beyond is skipped.  The records of the batch END lie in
 * no window ending before it.  Returns 0 or -1.
 */
static int
win_catch_up(struct win *w, int64_t end)
{
	int64_t	 t, id;

	if (w->closed != INT64_MIN)
		t = w->closed * w->width + w->slide;
	else if (w->qlen > 0)		/* no window gone through yet */
		t = grid_floordiv(win_at(w, 0)->id * w->width, w->slide) *
		    w->slide + w->slide;
	else
		return 0;
	while (t < end) {
		if (w->qlen > 0 && (id = win_at(w, 0)->id) >= t / w->width &&
		    (!w->started || t - w->last_data > w->span_next)) {
			/* Window t holds nothing: on to the oldest pane's. */
			t = (grid_floordiv(id * w->width, w->slide) + 1) *
			    w->slide;
			continue;
		}
		if (w->qlen == 0 &&
		    (!w->started || t - w->last_data > w->span_next))
			break;
		if (win_end(w, t, false) == -1 ||
		    win_evict(w, t / w->width - w->n) == -1)
			return -1;
		t += w->slide;
	}
	return 0;
}

/*
 * The batch ending at END is complete: panes no window will hold again
 * are dropped, and when END is a multiple of the slide the window ending
 * there is emitted.  Returns 0, or -1 to stop the run.
 */
static int
win_flush(struct op *op, int64_t end)
{
	struct win	*w = (struct win *)op;

	if (w->span_next < 0)
		w->span_next = chain_span(op->next);
	if (win_catch_up(w, end) == -1)
		return -1;
	/* Panes whose every window ended before END (after a jump in time). */
	if (win_evict(w, grid_floordiv(end - 1, w->width) - w->n) == -1)
		return -1;
	if (end % w->slide == 0 &&
	    win_end(w, end, end <= w->op.live_ms) == -1)
		return -1;
	return win_evict(w, grid_floordiv(end, w->width) - w->n);
}

/* Whether some window holds pane ID (not so in the gaps when S > L). */
static bool
win_covered(const struct win *w, int64_t id)
{
	int64_t	 last = grid_floordiv((id + w->n) * w->width, w->slide);

	return last * w->slide > id * w->width;
}

/*
 * Adds V to the pane of the batch ending at END_MS, as a copy or folded
 * into its key's aggregate.  Returns 0 (kept, or skipped after a record
 * error), or -1 to stop the run.
 */
static int
win_push(struct op *op, struct value *v, int64_t end_ms)
{
	struct win	*w = (struct win *)op;
	struct pane	*p = NULL;
	struct value	 none = value_null();
	int64_t		 id = grid_floordiv(end_ms - 1, w->width);

	if ((w->kind == W_BYKEY || w->kind == W_GROUP) && !value_is_pair(v))
		return record_error(op->def->name, v,
		    "record is not a (key, value) pair") == -1 ? -1 : 0;
	if (w->qlen > 0)
		p = win_at(w, w->qlen - 1);
	if (id < w->closed || (p != NULL && p->id > id)) {
		/* Its windows are out already: late for this op. */
		origin_counters()->late++;
		return 0;
	}
	if (!win_covered(w, id))
		return 0;
	if (p == NULL || p->id != id)
		p = win_newpane(w, id);

	switch (w->kind) {
	case W_WINDOW:
	case W_GROUP:
		pane_keep(p, v);
		return 0;
	case W_COUNT:
		p->nrec++;
		return 0;
	case W_REDUCE:
		return pane_add(p, &none, v);
	case W_BYKEY:
		return pane_add(p, &v->u.a[0], &v->u.a[1]);
	case W_BYVALUE:
		return pane_add(p, v, v);
	}
	return 0;
}

/* Whether the panes of W keep copies of their records. */
static bool
win_keeps(const struct win *w)
{
	return w->kind == W_WINDOW || w->kind == W_GROUP;
}

/*
 * Saves the back aggregates of a window without inverse as the pane of
 * them they once were (a pane's encoding: what win_load_back reads), in
 * key order, so that what a load makes saves to the same bytes: written
 * key by key from W's own table (pane_save_keys), not through a copy.
 * Returns 0, or -1 with *CAUSE set.
 */
static int
win_save_back(struct win *w, struct buf *b, char **cause)
{
	struct table_ent	**ents;
	void			*st;
	size_t			 i, n, live = 0;

	n = table_sorted(w->keys, &ents);
	for (i = 0; i < n; i++)
		if (agg_n(win_back(w, table_data(ents[i]))) > 0)
			live++;
	pane_save_keys(b, live);
	for (i = 0; i < n; i++) {
		st = win_back(w, table_data(ents[i]));
		if (agg_n(st) > 0 &&
		    (snap_put_value(b, &ents[i]->key, cause) == -1 ||
		    w->r->def->save(st, b, cause) == -1))
			return -1;
	}
	return 0;
}

/*
 * Reads the back aggregates win_save_back wrote into W's KEYS, each
 * straight into its key's back state, its values in W's memory.
 * Returns 0, or -1 with the cause in R.
 */
static int
win_load_back(struct win *w, struct snap_rd *r)
{
	struct arena		 scratch;
	struct value		 key;
	struct win_key		*k;
	size_t			 n, i;
	int			 rc = -1;

	if (pane_load_keys(r, &n) == -1)
		return -1;
	arena_init_sized(&scratch, 4096);
	for (i = 0; i < n; i++) {
		arena_reset(&scratch);
		if (snap_get_key(r, &scratch, &key) == -1)
			goto out;
		k = table_put(w->keys, &key, NULL);
		if (agg_n(win_back(w, k)) != 0) {
			snap_fail(r, "key saved twice");
			goto out;
		}
		if (w->r->def->load(win_back(w, k), r, &w->backmem) == -1) {
			if (r->cause == NULL)
				snap_fail(r, "bad window state");
			goto out;
		}
		if (agg_n(win_back(w, k)) == 0) {
			snap_fail(r, "an empty window state");
			goto out;
		}
	}
	rc = 0;
out:
	arena_free(&scratch);
	return rc;
}

/*
 * Checkpoint: what identifies the window (kind, L, S, reducer), where it
 * stands (the next window end, the last one with data, which panes have
 * entered and which hold suffixes) and every live pane as it is, the
 * running aggregate or back stack too.  The panes are saved as they are
 * rather than as their records, so the loaded window slides exactly as
 * this one would: the same merges in the same order, the same doubles.
 */
static int
win_save(struct op *op, struct buf *b, char **cause)
{
	struct win	*w = (struct win *)op;
	size_t		 i;

	snap_put_u8(b, (uint8_t)w->kind);
	snap_put_i64(b, w->len);
	snap_put_i64(b, w->slide);
	snap_put_str(b, w->r != NULL ? agg_spelling(w->r) : "");
	snap_put_u64(b, w->qlen);
	snap_put_u64(b, w->nin);
	snap_put_u64(b, w->nfront);
	snap_put_i64(b, w->closed);
	snap_put_u64(b, w->wrec);
	snap_put_bool(b, w->started);
	snap_put_i64(b, w->next_end);
	snap_put_i64(b, w->last_data);
	snap_put_bool(b, w->gap_warned);
	for (i = 0; i < w->qlen; i++)
		if (pane_save(win_at(w, i), b, win_keeps(w), cause) == -1)
			return -1;
	if (w->sl != NULL) {
		/* the keys' window states are made again from the panes */
		pane_save_keys(b, 0);
		return 0;
	}
	if (w->keys != NULL)
		return win_save_back(w, b, cause);
	return pane_save(&w->run, b, false, cause);
}

/*
 * A load's cause for a window of a reducer that slides its own way saved
 * as the two stacks' merged states (the suffixes, the back aggregates):
 * a dstream before the reducer slid its own way wrote it, and the panes'
 * own states are not in it.  %s: the reducer's spelling.
 */
#define WIN_OLD_STACKS	"this %s window was saved by an older dstream " \
	"(its merged panes, not the panes alone, which this one reads)"

/*
 * Reads what win_save wrote into W (just built from the same
 * arguments), checking that it describes the same window and that its
 * pane bookkeeping holds together, so that nothing later indexes past
 * the panes loaded.  Returns 0, or -1 with the cause in R.
 */
static int
win_load(struct op *op, struct snap_rd *r)
{
	struct win	*w = (struct win *)op;
	struct pane	*p;
	const char	*name, *want;
	uint64_t	 qlen, nin, nfront, wrec, sum = 0;
	int64_t		 len, slide, prev = INT64_MIN;
	uint8_t		 kind;
	size_t		 nlen, i;

	/* Any live panes go back to the spares: the load replaces them. */
	while (w->qlen > 0) {
		w->nin = w->nfront = 0;
		if (win_leave(w) == -1)
			return snap_fail(r, "cannot empty the window");
	}
	pane_reset(&w->run);
	if (w->keys != NULL) {
		win_keys_clear(w);
		arena_reset(&w->backmem);
	}
	want = w->r != NULL ? agg_spelling(w->r) : "";
	if (snap_get_u8(r, &kind) == -1 || snap_get_i64(r, &len) == -1 ||
	    snap_get_i64(r, &slide) == -1 ||
	    snap_get_bytes(r, 64, &name, &nlen) == -1)
		return -1;
	if (kind != w->kind || len != w->len || slide != w->slide)
		return snap_fail(r, "the checkpoint's window is %lld ms "
		    "sliding by %lld ms, this one %lld ms sliding by %lld ms",
		    (long long)len, (long long)slide, (long long)w->len,
		    (long long)w->slide);
	if (nlen != strlen(want) || memcmp(name, want, nlen) != 0)
		return snap_fail(r, "the checkpoint's window reduces with "
		    "'%.*s', this one with '%s'", (int)nlen, name, want);
	if (snap_get_u64(r, &qlen) == -1 || snap_get_u64(r, &nin) == -1 ||
	    snap_get_u64(r, &nfront) == -1 ||
	    snap_get_i64(r, &w->closed) == -1 ||
	    snap_get_u64(r, &wrec) == -1 ||
	    snap_get_bool(r, &w->started) == -1 ||
	    snap_get_i64(r, &w->next_end) == -1 ||
	    snap_get_i64(r, &w->last_data) == -1 ||
	    snap_get_bool(r, &w->gap_warned) == -1)
		return -1;
	/* A window of such a reducer saved as the two stacks' suffixes. */
	if (nfront > 0 && w->sl != NULL)
		return snap_fail(r, WIN_OLD_STACKS, want);
	/* A pane takes 3 bytes at least (flags, id, count). */
	if (qlen > snap_left(r) / 3 || nin > qlen || nfront > nin ||
	    (nfront > 0 && (w->r == NULL || w->inv)))
		return snap_fail(r, "bad window: %llu panes, %llu entered, "
		    "%llu suffixes", (unsigned long long)qlen,
		    (unsigned long long)nin, (unsigned long long)nfront);
	for (i = 0; i < qlen; i++) {
		p = win_newpane(w, 0);
		if (pane_load(p, r, win_keeps(w)) == -1)
			return -1;
		if (p->id <= prev)
			return snap_fail(r, "window panes out of order");
		prev = p->id;
		if (i < nin)
			sum += p->nrec;
	}
	if (sum != wrec)
		return snap_fail(r, "the window's %llu records are not its "
		    "panes' %llu", (unsigned long long)wrec,
		    (unsigned long long)sum);
	w->nin = (size_t)nin;
	w->nfront = (size_t)nfront;
	w->wrec = wrec;
	if (w->keys == NULL)
		return pane_load(&w->run, r, false);
	if (w->sl != NULL) {
		if (pane_load_keys(r, &nlen) == -1)
			return -1;
		if (nlen != 0)	/* the two stacks' back states */
			return snap_fail(r, WIN_OLD_STACKS, want);
		/* The keys' window states: the panes entered again. */
		for (i = 0; i < w->nin; i++)
			win_slide_enter(w, i);
		return 0;
	}
	/* The links between front states are not saved: made again. */
	if (win_link_front(w, w->nfront, false) == -1)
		return snap_fail(r, "cannot link the window's panes");
	return win_load_back(w, r);
}

static void
win_free(struct op *op)
{
	struct win	*w = (struct win *)op;
	struct pane	*p;
	size_t		 i;

	for (i = 0; i < w->qlen; i++) {
		p = win_at(w, i);
		pane_free(p);
		free(p);
	}
	for (i = 0; i < w->nspare; i++) {
		pane_free(w->spare[i]);
		free(w->spare[i]);
	}
	free(w->q);
	free(w->spare);
	pane_free(&w->run);
	if (w->keys != NULL) {
		win_keys_clear(w);
		table_free(w->keys);
	}
	arena_free(&w->backmem);
	if (w->groups != NULL)
		table_free(w->groups);
	arena_free(&w->scratch);
	free(w->tmp);
	agg_free(w->r);
	free(w);
}

/*
 * Reads the duration ARG as WHAT ("window length").  Returns it in ms,
 * or -1 with *CAUSE set when it is not a duration or not a multiple of
 * the batch interval BATCH_MS.
 */
static int64_t
win_duration(const struct op_def *def, int64_t batch_ms, const char *what,
    const char *arg, char **cause)
{
	char	 d[32], b[32];
	int64_t	 ms;

	if ((ms = duration_parse(arg, false)) <= 0) {
		xasprintf(cause, "%s: %s '%s' is not a duration (250ms, 1s, "
		    "5m, 1h, 1d; a bare number is seconds)", def->name, what,
		    arg);
		return -1;
	}
	if (batch_ms > 0 && ms % batch_ms != 0) {
		duration_fmt(d, sizeof d, ms);
		duration_fmt(b, sizeof b, batch_ms);
		xasprintf(cause, "%s: %s %s is not a multiple of the batch "
		    "interval %s", def->name, what, d, b);
		return -1;
	}
	return ms;
}

/*
 * Builds a window op of KIND from its arguments: [FUNC [INVFUNC]] L [S]
 * (FUNC only for the reducing kinds).  With three arguments to a
 * reducing kind the second is L when it is a duration (FUNC L S), else
 * INVFUNC (FUNC INVFUNC L).  Returns NULL with *CAUSE set on a usage
 * error.
 */
static struct op *
win_create(const struct op_def *def, const struct op_env *env,
    enum win_kind kind, int argc, char **argv, char **cause)
{
	int64_t		 batch_ms = env->cfg->batch_ms;
	struct win	*w;
	const char	*func = NULL, *inv = NULL, *len, *slide = NULL;
	char		*why = NULL;
	bool		 reduces = kind == W_REDUCE || kind == W_BYKEY;

	/* ARGC is 2 to 4 for the reducing kinds, 1 or 2 for the others. */
	if (reduces) {
		func = argv[0];
		if (argc == 4 ||
		    (argc == 3 && duration_parse(argv[1], false) <= 0))
			inv = argv[1];
		len = argv[inv != NULL ? 2 : 1];
		if (argc == 4 || (argc == 3 && inv == NULL))
			slide = argv[argc - 1];
	} else {
		len = argv[0];
		if (argc == 2)
			slide = argv[1];
	}

	w = xcalloc(1, sizeof *w);
	w->op.def = def;
	w->op.push = win_push;
	w->op.flush = win_flush;
	w->op.free = win_free;
	w->op.held = win_held;
	w->op.save = win_save;
	w->op.load = win_load;
	w->kind = kind;
	w->span_next = -1;
	arena_init(&w->scratch);
	arena_init(&w->backmem);
	if (kind == W_GROUP)
		w->groups = table_new(sizeof(struct win_group));

	if ((w->len = win_duration(def, batch_ms, "window length", len,
	    cause)) == -1)
		goto fail;
	if (slide == NULL)
		w->slide = batch_ms > 0 ? batch_ms : 1000;
	else if ((w->slide = win_duration(def, batch_ms, "slide", slide,
	    cause)) == -1)
		goto fail;
	w->width = win_gcd(w->len, w->slide);
	w->n = w->len / w->width;
	w->closed = INT64_MIN;
	w->op.span_ms = w->len;
	w->op.slide_ms = w->slide;

	if (kind == W_BYVALUE)
		func = "count";
	if (func != NULL) {
		if ((w->r = aggexpr_parse(func, inv, &why)) == NULL) {
			xasprintf(cause, "%s: %s", def->name, why);
			free(why);
			goto fail;
		}
		w->inv = agg_invertible(w->r);
		w->tmp = xmalloc(w->r->def->size);
		if (!w->inv && (w->sl = w->r->def->slide) != NULL)
			w->keys = table_new(w->sl->size);
		else if (!w->inv) {
			w->stsize = (w->r->def->size + 7) & ~(size_t)7;
			w->keys = table_new(sizeof(struct win_key) +
			    2 * w->stsize);
		}
	}
	/* The running window or back stack: the reducer's states, if any. */
	pane_init(&w->run, w->r);
	return &w->op;

fail:
	win_free(&w->op);
	return NULL;
}

static struct op *
win_create_window(const struct op_def *def, const struct op_env *env, int argc,
    char **argv, char **cause)
{
	return win_create(def, env, W_WINDOW, argc, argv, cause);
}

static struct op *
win_create_count(const struct op_def *def, const struct op_env *env, int argc,
    char **argv, char **cause)
{
	return win_create(def, env, W_COUNT, argc, argv, cause);
}

static struct op *
win_create_reduce(const struct op_def *def, const struct op_env *env, int argc,
    char **argv, char **cause)
{
	return win_create(def, env, W_REDUCE, argc, argv, cause);
}

static struct op *
win_create_bykey(const struct op_def *def, const struct op_env *env, int argc,
    char **argv, char **cause)
{
	return win_create(def, env, W_BYKEY, argc, argv, cause);
}

static struct op *
win_create_byvalue(const struct op_def *def, const struct op_env *env, int argc,
    char **argv, char **cause)
{
	return win_create(def, env, W_BYVALUE, argc, argv, cause);
}

static struct op *
win_create_group(const struct op_def *def, const struct op_env *env, int argc,
    char **argv, char **cause)
{
	return win_create(def, env, W_GROUP, argc, argv, cause);
}

const struct op_def op_window = {
	.name = "window",
	.flags = OP_KEYED,
	.args = "L [S]",
	.min_args = 1,
	.max_args = 2,
	.help = "Every S (default: the batch interval), emits all the "
	    "records of the window [T-L, T) ending then, in arrival order; "
	    "later operators see each window as one batch.  Example: window "
	    "1m 10s then countByValue.",
	.create = win_create_window
};

const struct op_def op_countByWindow = {
	.name = "countByWindow",
	.flags = OP_BATCH,
	.args = "L [S]",
	.min_args = 1,
	.max_args = 2,
	.help = "Every S, emits the number of records in the window of "
	    "length L ending then; 0 for an empty window after the first "
	    "record (in event time, one between windows with data).  "
	    "Example: countByWindow 1h 5m.",
	.create = win_create_count
};

const struct op_def op_reduceByWindow = {
	.name = "reduceByWindow",
	.flags = OP_BATCH,
	.args = "FUNC [INVFUNC] L [S]",
	.min_args = 2,
	.max_args = 4,
	.help = "Every S, emits the records of the window of length L "
	    "reduced to one value with FUNC (sum count min max avg first "
	    "last, the sketches distinct p50 p90 p95 p99 quantile(Q) topk(K), "
	    "or an expression over a and b); nothing for an empty "
	    "window.  INVFUNC (over a and b: b taken out of a) lets a custom "
	    "FUNC slide incrementally.  Example: map 'num($10)' then "
	    "reduceByWindow max 5m 1m.",
	.create = win_create_reduce
};

const struct op_def op_reduceByKeyAndWindow = {
	.name = "reduceByKeyAndWindow",
	.flags = OP_KEYED,
	.args = "FUNC [INVFUNC] L [S]",
	.min_args = 2,
	.max_args = 4,
	.help = "On (key, value) pairs: every S, emits (key, reduced) for "
	    "each key with records in the window of length L, sorted by "
	    "key.  FUNC is sum count min max avg first last, a sketch "
	    "(distinct p50 p90 p95 p99 quantile(Q) topk(K), merged pane by "
	    "pane), or an expression over a and b; sum, count, avg and a FUNC given an INVFUNC slide "
	    "by adding the newest pane and taking out the oldest.  With "
	    "three arguments the second is INVFUNC unless it is a duration.  "
	    "Example: map '($1, num($10))' then reduceByKeyAndWindow sum 1h "
	    "1m.",
	.create = win_create_bykey
};

const struct op_def op_countByValueAndWindow = {
	.name = "countByValueAndWindow",
	.flags = OP_BYVALUE,
	.args = "L [S]",
	.min_args = 1,
	.max_args = 2,
	.help = "Every S, emits (value, n) for each distinct record in the "
	    "window of length L, sorted by value.  Example: map '$7' then "
	    "countByValueAndWindow 5m 1m then sortBy value desc then take 10.",
	.create = win_create_byvalue
};

const struct op_def op_groupByKeyAndWindow = {
	.name = "groupByKeyAndWindow",
	.flags = OP_KEYED,
	.args = "L [S]",
	.min_args = 1,
	.max_args = 2,
	.help = "On (key, value) pairs: every S, emits (key, [values]) for "
	    "each key with records in the window of length L, sorted by key, "
	    "the values in arrival order.  Example: map '($1, $7)' then "
	    "groupByKeyAndWindow 10m 1m.",
	.create = win_create_group
};
