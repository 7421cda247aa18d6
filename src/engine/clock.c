/*
 * clock.c - batch ends, the watermark, pending batches, late records and
 * the drain at end of input; no I/O (see clock.h for the contract).
 *
 * Processing time: batches are [end - B, end) on the epoch clock; the
 * open batch is flushed when the wall clock passes its end (clock_tick),
 * except while a regular file is being read.
 *
 * Event time: batches are flushed in time order, every batch end in turn,
 * empty ones included.  Records of the earliest open batch go straight
 * into the chain (CLOCK_PUSH) once the first batch has been flushed (no
 * earlier record can then be accepted); records of later batches wait in
 * per-batch arenas (struct pending) and are pushed, in arrival order,
 * when their batch becomes the earliest.  A record whose batch was
 * already flushed is late (CLOCK_LATE): the engine counts it and writes
 * it to --late-file.  When the chain holds nothing and the next data lies
 * more than GAP_MAX batches ahead, the empty stretch is skipped.
 *
 * Several inputs: the stream's watermark is the smallest of the inputs
 * that hold it (clock.h).  It is kept, not computed per record: the
 * input holding it (hold), its watermark and the next smallest
 * (second).  A record raises its input's watermark; only when that input
 * is the one holding and passes the second is the list scanned again, so
 * files read by turns cost a scan per turn, not per record.  An input
 * that ends or falls silent, or speaks again, is a scan too.
 *
 * End of input: the open batches are flushed at once, then empty batches
 * for the chain's span so that windows slide out of their data.  A stop
 * (a signal, before or during that drain) cuts it once every window
 * holding records has been emitted (settle), within a batch's work when
 * that point is passed: a 1000d window sliding by 1s would otherwise
 * print 86.4M trailing windows.
 */
#include <stdlib.h>
#include <string.h>

#include "../state/grid.h"
#include "../state/snap.h"
#include "clock.h"

/* Records of one event-time batch waiting for the watermark. */
struct pending {
	int64_t		 end;
	struct arena	 arena;
	struct value	*recs;
	struct origin	*origins;
	size_t		 n, cap;
	const char	*last_name;	/* the origin name last copied into arena */
	const struct origin_meta *last_meta; /* the meta last copied there */
};

/* One input's place in event time. */
struct clock_input {
	int64_t		 max_time;	/* its largest event time, ms */
	int64_t		 last_wall;	/* wall clock of its latest record */
	bool		 seen;		/* it has given a timed record */
	bool		 ended;
	bool		 file;		/* CLOCK_FILE: read by turns, never silent */
	bool		 silent;	/* a stream silent for --idle: holds nothing */
	bool		 got;		/* it placed a record in this turn */
	bool		 own;		/* joined mid-run (clock_input_add_at):
					 * its source saves it, not clock_save */
	bool		 waiting;	/* clock_input_wait: never silent */
};

/* The watermark of an input that holds none yet: the beginning of time. */
#define WM_NONE		INT64_MIN

struct clock {
	struct clock_hooks	 h;
	int64_t			 B;		/* batch interval, ms */
	int64_t			 span;		/* how long windows hold data */
	bool			 event;
	int64_t			 watermark;	/* --watermark, ms */
	int64_t			 idle;		/* --idle, ms */
	int64_t			 settle;	/* a stop's drain, ms */
	/*
	 * Records of the earliest open batch go into the chain at once
	 * only while it ends at or before push_upto: INT64_MAX without a
	 * checkpoint; with one (hold), sure, the last batch end this run
	 * is known to flush (clock_sure), or INT64_MIN while keep is set
	 * (clock_keep).  Other records wait in pend until their flush.
	 */
	int64_t			 push_upto;
	int64_t			 sure;
	bool			 keep;
	struct clock_input	**in;
	size_t			 nin;
	size_t			 nstreams;	/* stream inputs not ended */
	int64_t			 start_wall;	/* clock_start's NOW */

	/* Processing time. */
	int64_t		 open_end;	/* end of the open batch */

	/* Event time. */
	bool		 seen;		/* a timed record has been accepted */
	bool		 flushed;	/* a batch has been flushed */
	int64_t		 next_end;	/* earliest batch end not flushed */
	int64_t		 max_time;	/* largest event time seen, ms */
	int64_t		 last_end;	/* the batch of the last record (a cache) */
	int64_t		 last_data_end;	/* latest batch end holding data */
	int64_t		 held_end;	/* latest flushed batch end that had data */
	bool		 open_data;	/* batch next_end has records in the chain */
	bool		 got_record;	/* a record was placed in this turn */
	int64_t		 last_wall;	/* wall clock of the latest record */
	struct pending	*pend;		/* sorted by end */
	size_t		 npend, cappend;
	size_t		 npending;	/* records in pend */

	/* The inputs holding the watermark (see above). */
	struct clock_input *hold;	/* the smallest, NULL when none holds */
	int64_t		 hold_wm;	/* its watermark */
	int64_t		 second_wm;	/* the next smallest, INT64_MAX if none */
};

struct clock *
clock_new(const struct clock_config *cf, const struct clock_hooks *h)
{
	struct clock	*c = xcalloc(1, sizeof *c);

	c->h = *h;
	c->B = cf->batch_ms;
	c->span = cf->span_ms;
	c->event = cf->event;
	c->watermark = cf->watermark_ms;
	c->idle = cf->idle_ms;
	c->settle = cf->settle_ms < cf->span_ms ? cf->settle_ms : cf->span_ms;
	c->sure = cf->hold && cf->event ? INT64_MIN : INT64_MAX;
	c->push_upto = c->sure;
	return c;
}

void
clock_free(struct clock *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->npend; i++) {
		arena_free(&c->pend[i].arena);
		free(c->pend[i].recs);
		free(c->pend[i].origins);
	}
	free(c->pend);
	for (i = 0; i < c->nin; i++)
		free(c->in[i]);
	free(c->in);
	free(c);
}

/* The watermark input IN holds the stream at (it holds it). */
static inline int64_t
clock_input_wm(const struct clock *c, const struct clock_input *in)
{
	return in->seen ? in->max_time - c->watermark : WM_NONE;
}

/*
 * Finds again the input holding the watermark, its watermark and the
 * next smallest, over every input that holds it (not ended, not silent).
 */
static void
clock_hold_scan(struct clock *c)
{
	struct clock_input	*in;
	int64_t			 wm;
	size_t			 i;

	c->hold = NULL;
	c->hold_wm = c->second_wm = INT64_MAX;
	for (i = 0; i < c->nin; i++) {
		in = c->in[i];
		if (in->ended || in->silent)
			continue;
		wm = clock_input_wm(c, in);
		if (c->hold == NULL || wm < c->hold_wm) {
			c->second_wm = c->hold_wm;
			c->hold = in;
			c->hold_wm = wm;
		} else if (wm < c->second_wm)
			c->second_wm = wm;
	}
}

struct clock_input *
clock_input_add(struct clock *c, enum clock_input_kind kind)
{
	struct clock_input	*in = xcalloc(1, sizeof *in);

	in->file = kind == CLOCK_FILE;
	in->last_wall = c->start_wall;
	if (!in->file)
		c->nstreams++;
	c->in = xreallocarray(c->in, c->nin + 1, sizeof *c->in);
	c->in[c->nin++] = in;
	clock_hold_scan(c);
	return in;
}

struct clock_input *
clock_input_add_at(struct clock *c, enum clock_input_kind kind, int64_t now)
{
	struct clock_input	*in = clock_input_add(c, kind);

	in->own = true;
	if (now > in->last_wall)
		in->last_wall = now;
	return in;
}

void
clock_input_save(const struct clock_input *in, struct buf *b)
{
	snap_put_bool(b, in->seen);
	snap_put_i64(b, in->max_time);
}

int
clock_input_load(struct clock *c, struct clock_input *in, struct snap_rd *r)
{
	if (snap_get_bool(r, &in->seen) == -1 ||
	    snap_get_i64(r, &in->max_time) == -1)
		return -1;
	clock_hold_scan(c);
	return 0;
}

void
clock_input_end(struct clock *c, struct clock_input *in)
{
	if (in->ended)
		return;
	in->ended = true;
	if (!in->file)
		c->nstreams--;
	clock_hold_scan(c);
	if (c->event)
		clock_advance(c);
}

struct clock_input *
clock_next_file(const struct clock *c)
{
	struct clock_input	*in, *best = NULL;
	int64_t			 wm, best_wm = 0;
	size_t			 i;

	for (i = 0; i < c->nin; i++) {
		in = c->in[i];
		if (!in->file || in->ended)
			continue;
		wm = clock_input_wm(c, in);
		if (best == NULL || wm < best_wm) {
			best = in;
			best_wm = wm;
		}
	}
	return best;
}

size_t
clock_pending(const struct clock *c)
{
	return c->npending;
}

/*
 * Notes the stream inputs silent for --idle by NOW (never spoken: since
 * the start): they stop holding the watermark.
 */
static void
clock_silence(struct clock *c, int64_t now)
{
	struct clock_input	*in;
	size_t			 i;
	bool			 changed = false;

	for (i = 0; i < c->nin; i++) {
		in = c->in[i];
		if (in->file || in->ended || in->silent || in->waiting ||
		    now - in->last_wall < c->idle)
			continue;
		in->silent = true;
		changed = true;
	}
	if (changed)
		clock_hold_scan(c);
}

/* Whether the engine's run is failing: nothing more is flushed. */
static inline bool
clock_stopped(const struct clock *c)
{
	return c->h.stop != NULL && *c->h.stop;
}

/* Whether a stop was asked (a signal): a drain is cut short. */
static inline bool
clock_halted(const struct clock *c)
{
	return c->h.halt != NULL && *c->h.halt != 0;
}

/* ---- processing time ---- */

void
clock_start(struct clock *c, int64_t now)
{
	size_t	 i;

	c->open_end = grid_end(now, c->B);
	c->start_wall = now;
	for (i = 0; i < c->nin; i++)
		c->in[i]->last_wall = now;
}

int64_t
clock_open_end(const struct clock *c)
{
	return c->open_end;
}

/* ---- event time ---- */

/* Returns the pending batch ending at END, creating it in order. */
static struct pending *
pending_get(struct clock *c, int64_t end)
{
	size_t		 i;
	struct pending	*p;

	for (i = 0; i < c->npend && c->pend[i].end < end; i++)
		;
	if (i < c->npend && c->pend[i].end == end)
		return &c->pend[i];
	if (c->npend == c->cappend) {
		c->cappend = c->cappend ? c->cappend * 2 : 8;
		c->pend = xreallocarray(c->pend, c->cappend, sizeof *c->pend);
	}
	memmove(&c->pend[i + 1], &c->pend[i], (c->npend - i) * sizeof *c->pend);
	c->npend++;
	p = &c->pend[i];
	memset(p, 0, sizeof *p);
	p->end = end;
	arena_init(&p->arena);
	return p;
}

/* Whether strings A and B (each possibly NULL) are equal. */
static bool
pending_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Returns a copy of S (or NULL) in P's arena. */
static const char *
pending_str(struct pending *p, const char *s)
{
	return s != NULL ? arena_strndup(&p->arena, s, strlen(s)) : NULL;
}

/*
 * Returns M, what an input said of a record (input, meta), copied into
 * P's arena, where it lives as long as the record; the last copy when
 * it says the same (records of one file, one client, in a row).
 */
static const struct origin_meta *
pending_meta(struct pending *p, const struct origin_meta *m)
{
	const struct origin_meta *l = p->last_meta;
	struct origin_meta	 *c;

	if (l != NULL && m->ext == NULL && l->ext == NULL &&
	    m->lines == l->lines && pending_same(m->input, l->input) &&
	    pending_same(m->file, l->file) && pending_same(m->peer, l->peer))
		return l;
	c = arena_alloc(&p->arena, sizeof *c);
	c->input = pending_str(p, m->input);
	c->file = pending_str(p, m->file);
	c->peer = pending_str(p, m->peer);
	c->lines = m->lines;
	c->ext = NULL;
	if (m->ext != NULL) {
		struct value	*x = arena_alloc(&p->arena, sizeof *x);

		*x = value_copy(&p->arena, m->ext);
		c->ext = x;
	}
	p->last_meta = c;
	return c;
}

/* Copies V and its origin O into the pending batch P. */
static void
pending_add(struct pending *p, const struct value *v, const struct origin *o)
{
	struct origin	*po;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->recs = xreallocarray(p->recs, p->cap, sizeof *p->recs);
		p->origins = xreallocarray(p->origins, p->cap,
		    sizeof *p->origins);
	}
	p->recs[p->n] = value_copy(&p->arena, v);
	/* The name may not outlive the source's read (dir:// files). */
	po = &p->origins[p->n];
	*po = *o;
	po->name = NULL;
	if (o->name != NULL) {
		if (p->last_name == NULL || strcmp(p->last_name, o->name) != 0)
			p->last_name = arena_strndup(&p->arena, o->name,
			    strlen(o->name));
		po->name = p->last_name;
	}
	if (o->meta != NULL)
		po->meta = pending_meta(p, o->meta);
	p->n++;
}

/* Pushes the records waiting for the batch ending at END (the first pending one). */
static void
clock_release(struct clock *c, int64_t end)
{
	struct pending	*p;
	size_t		 i;

	if (c->npend == 0 || c->pend[0].end != end)
		return;
	p = &c->pend[0];
	c->open_data = true;
	for (i = 0; i < p->n; i++)
		c->h.push(c->h.ctx, &p->recs[i], &p->origins[i], end);
	arena_free(&p->arena);
	free(p->recs);
	free(p->origins);
	c->npending -= p->n;
	c->npend--;
	memmove(&c->pend[0], &c->pend[1], c->npend * sizeof *c->pend);
}

/*
 * Flushes every batch ending at or before UPTO, in order.  Empty batches
 * between data are flushed one by one (so count gives 0); but when the
 * chain holds nothing (the last batch with data is flushed and its
 * windows have slid past) and the next data lies more than GAP_MAX
 * batches ahead, the empty stretch is skipped (the skip hook says so)
 * rather than flushed batch by batch.
 */
static void
clock_advance_to(struct clock *c, int64_t upto)
{
	int64_t	 target;

	if (!c->seen)
		return;
	while (c->next_end <= upto && !clock_stopped(c)) {
		clock_release(c, c->next_end);
		if (!c->open_data && c->next_end > c->held_end + c->span + c->B) {
			if (c->npend > 0 && c->pend[0].end <= upto)
				target = c->pend[0].end;
			else
				target = grid_floor(upto, c->B);
			if (grid_gap_long(c->next_end, target, c->B)) {
				if (c->h.skip != NULL)
					c->h.skip(c->h.ctx, c->next_end, target);
				c->next_end = target;
				clock_release(c, c->next_end);
			}
		}
		if (c->open_data)
			c->held_end = c->next_end;
		c->open_data = false;
		c->h.flush(c->h.ctx, c->next_end);
		c->flushed = true;
		c->next_end += c->B;
		/* The next batch is now the earliest: its waiting records go
		 * in before any that arrive directly, keeping arrival order.
		 * (Past push_upto they wait for their flush.) */
		if (c->next_end <= c->push_upto)
			clock_release(c, c->next_end);
	}
}

int64_t
clock_watermark(const struct clock *c)
{
	return c->hold != NULL ? c->hold_wm : c->max_time - c->watermark;
}

void
clock_advance(struct clock *c)
{
	clock_advance_to(c, clock_watermark(c));
}

/* The first record the clock sees, at MS in the batch ending at END. */
static void __attribute__((noinline))
clock_first(struct clock *c, int64_t ms, int64_t end)
{
	c->seen = true;
	c->next_end = end;
	c->max_time = ms;
	c->last_data_end = end;
	c->held_end = end;
}

/*
 * Keeps V (from O) in the pending batch ending at END; returns CLOCK_PEND.
 * Out of line, so that clock_record's common path, a record pushed at
 * once, stays short.
 */
static int __attribute__((noinline))
clock_pend(struct clock *c, int64_t end, const struct value *v,
    const struct origin *o)
{
	pending_add(pending_get(c, end), v, o);
	c->npending++;
	return CLOCK_PEND;
}

/* clock_record's every case; clock_record is its common one, inline. */
static int __attribute__((noinline))
clock_record_any(struct clock *c, struct clock_input *in, int64_t ms,
    const struct value *v, const struct origin *o, int64_t *endp)
{
	int64_t	 end;
	int	 r;

	/* Records mostly fall in the batch of the one before. */
	if (ms < c->last_end && ms >= c->last_end - c->B)
		end = c->last_end;
	else
		end = c->last_end = grid_end(ms, c->B);
	*endp = end;
	if (c->flushed && end < c->next_end)
		return CLOCK_LATE;
	c->got_record = true;
	if (!c->seen)
		clock_first(c, ms, end);
	in->got = true;
	if (!in->seen || ms > in->max_time) {
		in->seen = true;
		in->max_time = ms;
		/* The input holding the watermark raises it, as far as the
		 * next one; past it, another input holds. */
		if (in == c->hold) {
			if (ms - c->watermark <= c->second_wm)
				c->hold_wm = ms - c->watermark;
			else
				clock_hold_scan(c);
		}
	}
	if (in->silent) {
		/* It speaks again: it holds the watermark again. */
		in->silent = false;
		clock_hold_scan(c);
	}
	if (end < c->next_end)
		c->next_end = end;
	if (ms > c->max_time)
		c->max_time = ms;
	if (end > c->last_data_end)
		c->last_data_end = end;
	if (c->flushed && end == c->next_end && end <= c->push_upto) {
		c->open_data = true;
		r = CLOCK_PUSH;
	} else
		r = clock_pend(c, end, v, o);
	if (c->next_end <= clock_watermark(c))
		r |= CLOCK_DUE;
	return r;
}

/*
 * A record of the batch in hand (the one of the record before, being
 * pushed now), no later than its input's latest, from an input that
 * speaks: what clock_record_any does for it, without a call (so no frame);
 * anything else there.
 */
int
clock_record(struct clock *c, struct clock_input *in, int64_t ms,
    const struct value *v, const struct origin *o, int64_t *endp)
{
	int64_t	 end = c->last_end;

	if (ms < end && ms >= end - c->B && end == c->next_end && c->flushed &&
	    end <= c->push_upto && c->seen && in->seen && ms <= in->max_time &&
	    !in->silent) {
		*endp = end;
		c->got_record = true;
		in->got = true;
		if (ms > c->max_time)
			c->max_time = ms;
		if (end > c->last_data_end)
			c->last_data_end = end;
		c->open_data = true;
		return c->next_end <= clock_watermark(c) ?
		    CLOCK_PUSH | CLOCK_DUE : CLOCK_PUSH;
	}
	return clock_record_any(c, in, ms, v, o, endp);
}

void
clock_sure(struct clock *c, int64_t end)
{
	c->sure = end;
	clock_keep(c, c->keep);
}

void
clock_keep(struct clock *c, bool on)
{
	c->keep = on;
	c->push_upto = on ? INT64_MIN : c->sure;
	/* The records of the batch in hand that waited go in first. */
	if (c->event && c->flushed && c->next_end <= c->push_upto)
		clock_release(c, c->next_end);
}

bool
clock_boundary(const struct clock *c)
{
	return !c->event || !c->open_data;
}

/* ---- both ---- */

void
clock_arrived(struct clock *c, int64_t now)
{
	size_t	 i;

	if (!c->got_record)
		return;
	c->last_wall = now;
	c->got_record = false;
	for (i = 0; i < c->nin; i++)
		if (c->in[i]->got) {
			c->in[i]->last_wall = now;
			c->in[i]->got = false;
		}
}

void
clock_tick(struct clock *c, int64_t now, bool reading)
{
	if (c->event) {
		clock_silence(c, now);
		if (!c->seen)
			return;
		/* Every input silent: the watermark runs on by the wall clock
		 * after --idle.  Else it is where the inputs hold it (a
		 * silent one may just have let it go). */
		if (c->hold == NULL && c->nstreams > 0 &&
		    now - c->last_wall >= c->idle)
			clock_advance_to(c, c->max_time + (now - c->last_wall) -
			    c->watermark);
		else
			clock_advance(c);
		return;
	}
	if (reading)
		return;
	while (now >= c->open_end && !clock_stopped(c)) {
		c->h.flush(c->h.ctx, c->open_end);
		c->open_end += c->B;
	}
}

int64_t
clock_wake(struct clock *c, int64_t now, bool reading)
{
	int64_t	 silent, t;

	if (!c->event) {
		if (reading)
			return -1;
		t = c->open_end - now;
	} else {
		clock_silence(c, now);
		if (!c->seen)
			return -1;
		if (c->hold != NULL) {
			/* A file is being read: no sleep to plan.  A stream:
			 * wake when it has been silent for --idle, and the
			 * watermark goes on without it. */
			if (c->hold->file || c->hold->waiting)
				return -1;
			t = c->hold->last_wall + c->idle - now;
		} else if (c->nstreams > 0) {
			/* Wake when --idle passes, then at each batch end of
			 * the event clock running on from max_time. */
			silent = now - c->last_wall;
			if (silent < c->idle)
				t = c->idle - silent;
			else
				t = c->next_end + c->watermark - c->max_time -
				    silent;
		} else
			return -1;
	}
	return t < 0 ? 0 : t;
}

int64_t
clock_partial_from(const struct clock *c)
{
	if (!c->event)
		return c->open_end;
	return c->seen ? c->next_end : -1;
}

int64_t
clock_finish(struct clock *c, bool drain)
{
	int64_t	 end, last;

	if (clock_stopped(c))
		return -1;
	if (c->event) {
		if (!c->seen)
			return -1;
		last = c->last_data_end;
		clock_advance_to(c, last);
	} else {
		last = c->open_end;
		c->h.flush(c->h.ctx, last);
	}
	/* The drain, batch by batch, so that a stop is seen at once. */
	for (end = last; end < last + c->span && !clock_stopped(c); ) {
		if ((!drain || clock_halted(c)) && end >= last + c->settle)
			return end;
		end += c->B;
		if (c->event)
			clock_advance_to(c, end);
		else
			c->h.flush(c->h.ctx, end);
	}
	return -1;
}

void
clock_input_wait(struct clock_input *in, bool on, int64_t now)
{
	in->waiting = on;
	if (!on)
		in->last_wall = now;
}

/* ---- checkpoints ---- */

#define CLOCK_TAG	SNAP_TAG('C', 'L', 'C', 'K')
/* Most inputs and pending batches a checkpoint may name. */
#define CLOCK_MAX	(UINT64_C(1) << 32)

void
clock_end_here(struct clock *c)
{
	if (clock_stopped(c) || c->event)
		return;
	c->h.flush(c->h.ctx, c->open_end);
	c->open_end += c->B;
}

/* Writes the string S, or a missing one (NULL), as a flag and bytes. */
static void
clock_put_ostr(struct buf *b, const char *s)
{
	snap_put_bool(b, s != NULL);
	if (s != NULL)
		snap_put_str(b, s);
}

/* Reads what clock_put_ostr wrote into A; *S is NULL when missing. */
static int
clock_get_ostr(struct snap_rd *r, struct arena *a, const char **s)
{
	bool	 have;
	char	*p;
	size_t	 n;

	*s = NULL;
	if (snap_get_bool(r, &have) == -1)
		return -1;
	if (!have)
		return 0;
	if (snap_get_str(r, a, 1 << 20, &p, &n) == -1)
		return -1;
	*s = p;
	return 0;
}

int
clock_save(const struct clock *c, struct buf *b, struct counters *const *ctr,
    size_t nctr, char **cause)
{
	const struct pending	*p;
	const struct origin	*o;
	size_t			 at, i, j, k;

	at = snap_sec_begin(b, CLOCK_TAG);
	snap_put_bool(b, c->event);
	if (c->event) {
		snap_put_bool(b, c->seen);
		snap_put_bool(b, c->flushed);
		snap_put_i64(b, c->next_end);
		snap_put_i64(b, c->max_time);
		snap_put_i64(b, c->last_data_end);
		snap_put_i64(b, c->held_end);
		/* The inputs of the command line; the others' sources
		 * save theirs (clock_input_save). */
		for (i = k = 0; i < c->nin; i++)
			k += !c->in[i]->own;
		snap_put_u64(b, k);
		for (i = 0; i < c->nin; i++) {
			if (c->in[i]->own)
				continue;
			snap_put_bool(b, c->in[i]->seen);
			snap_put_i64(b, c->in[i]->max_time);
		}
		snap_put_u64(b, c->npend);
		for (i = 0; i < c->npend; i++) {
			p = &c->pend[i];
			snap_put_i64(b, p->end);
			snap_put_u64(b, p->n);
			for (j = 0; j < p->n; j++) {
				o = &p->origins[j];
				if (snap_put_value(b, &p->recs[j], cause) == -1)
					return -1;
				clock_put_ostr(b, o->name);
				snap_put_u64(b, o->line);
				/* Its input, by position: 0 for none. */
				for (k = 0; k < nctr && ctr[k] != o->counters;
				    k++)
					;
				snap_put_u64(b, k < nctr ? k + 1 : 0);
				/* Its event time (session windows place by it)
				 * and Kafka partition (engine/rebuild.c):
				 * flags 1 and 2 (a byte, once a bool). */
				snap_put_u8(b, (o->timed ? 1 : 0) |
				    (o->kpart > 0 ? 2 : 0));
				if (o->timed)
					snap_put_i64(b, o->time_ms);
				if (o->kpart > 0)
					snap_put_u64(b, (uint64_t)o->kpart);
				snap_put_bool(b, o->meta != NULL);
				if (o->meta == NULL)
					continue;
				clock_put_ostr(b, o->meta->input);
				clock_put_ostr(b, o->meta->file);
				clock_put_ostr(b, o->meta->peer);
				snap_put_bool(b, o->meta->lines);
				snap_put_bool(b, o->meta->ext != NULL);
				if (o->meta->ext != NULL &&
				    snap_put_value(b, o->meta->ext, cause) == -1)
					return -1;
			}
		}
	}
	snap_sec_end(b, at);
	return 0;
}

/* Reads one waiting record of R into P (its arena and arrays). */
static int
clock_load_rec(struct snap_rd *r, struct pending *p,
    struct counters *const *ctr, size_t nctr)
{
	struct origin		*o;
	struct origin_meta	*m;
	struct value		*x;
	uint64_t		 line, in, kpart;
	uint8_t			 flags;
	bool			 have, ext;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->recs = xreallocarray(p->recs, p->cap, sizeof *p->recs);
		p->origins = xreallocarray(p->origins, p->cap,
		    sizeof *p->origins);
	}
	o = &p->origins[p->n];
	memset(o, 0, sizeof *o);
	if (snap_get_value(r, &p->arena, &p->recs[p->n]) == -1 ||
	    clock_get_ostr(r, &p->arena, &o->name) == -1 ||
	    snap_get_u64(r, &line) == -1 || snap_get_u64(r, &in) == -1 ||
	    snap_get_u8(r, &flags) == -1)
		return -1;
	if (flags > 3)
		return snap_fail(r, "a waiting record's flags %u", flags);
	o->timed = (flags & 1) != 0;
	kpart = 0;
	if ((o->timed && snap_get_i64(r, &o->time_ms) == -1) ||
	    ((flags & 2) && snap_get_u64(r, &kpart) == -1) ||
	    snap_get_bool(r, &have) == -1)
		return -1;
	if ((flags & 2) && (kpart == 0 || kpart > INT32_MAX))
		return snap_fail(r, "a waiting record of partition %llu",
		    (unsigned long long)kpart - 1);
	o->kpart = (int32_t)kpart;
	if (in > nctr)
		return snap_fail(r, "a waiting record of input %llu, of %zu",
		    (unsigned long long)in, nctr);
	o->line = line;
	o->counters = in > 0 ? ctr[in - 1] : NULL;
	if (have) {
		m = arena_alloc(&p->arena, sizeof *m);
		memset(m, 0, sizeof *m);
		if (clock_get_ostr(r, &p->arena, &m->input) == -1 ||
		    clock_get_ostr(r, &p->arena, &m->file) == -1 ||
		    clock_get_ostr(r, &p->arena, &m->peer) == -1 ||
		    snap_get_bool(r, &m->lines) == -1 ||
		    snap_get_bool(r, &ext) == -1)
			return -1;
		if (ext) {
			x = arena_alloc(&p->arena, sizeof *x);
			if (snap_get_value(r, &p->arena, x) == -1)
				return -1;
			m->ext = x;
		}
		o->meta = m;
	}
	p->n++;
	return 0;
}

int
clock_load(struct clock *c, struct snap_rd *r, struct counters *const *ctr,
    size_t nctr)
{
	struct snap_rd	 sub;
	struct pending	*p;
	uint64_t	 nin, n;
	size_t		 npend, i, j;
	int64_t		 end, prev = INT64_MIN;
	bool		 event;

	if (snap_sec(r, CLOCK_TAG, &sub) == -1)
		return -1;
	if (snap_get_bool(&sub, &event) == -1)
		goto done;
	if (event != c->event) {
		snap_fail(&sub, "the checkpoint is in %s time, this run in %s "
		    "time", event ? "event" : "processing",
		    c->event ? "event" : "processing");
		goto done;
	}
	if (!event)
		goto done;
	if (snap_get_bool(&sub, &c->seen) == -1 ||
	    snap_get_bool(&sub, &c->flushed) == -1 ||
	    snap_get_i64(&sub, &c->next_end) == -1 ||
	    snap_get_i64(&sub, &c->max_time) == -1 ||
	    snap_get_i64(&sub, &c->last_data_end) == -1 ||
	    snap_get_i64(&sub, &c->held_end) == -1 ||
	    snap_get_u64(&sub, &nin) == -1)
		goto done;
	for (i = j = 0; i < c->nin; i++)
		j += !c->in[i]->own;
	if (nin != j) {
		snap_fail(&sub, "the checkpoint's clock has %llu inputs, this "
		    "run %zu", (unsigned long long)nin, j);
		goto done;
	}
	for (i = 0; i < c->nin; i++)
		if (!c->in[i]->own &&
		    (snap_get_bool(&sub, &c->in[i]->seen) == -1 ||
		    snap_get_i64(&sub, &c->in[i]->max_time) == -1))
			goto done;
	if (snap_get_count(&sub, 2, CLOCK_MAX, &npend) == -1)
		goto done;
	for (i = 0; i < npend; i++) {
		if (snap_get_i64(&sub, &end) == -1 ||
		    snap_get_count(&sub, 5, CLOCK_MAX, &j) == -1)
			goto done;
		if (end <= prev || end < c->next_end ||
		    end % c->B != 0) {
			snap_fail(&sub, "a waiting batch ending at %lld out of "
			    "order", (long long)end);
			goto done;
		}
		prev = end;
		p = pending_get(c, end);
		for (n = j; n > 0; n--)
			if (clock_load_rec(&sub, p, ctr, nctr) == -1)
				goto done;
		c->npending += p->n;
	}
	c->open_data = false;
	c->last_end = 0;
	clock_hold_scan(c);
done:
	return snap_sec_done(r, &sub);
}
