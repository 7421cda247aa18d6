/*
 * sessions.h - session windows' state: the open sessions of every key,
 * each a reducer state (agg.h), and the order in which they close.
 *
 * A key's session is a run of its records whose times are at most GAP
 * apart (Spark's session_window: a record at t opens [t, t + GAP], and
 * sessions whose spans touch or overlap are one).  A session spans
 * [start, end] with end = its last record's time + GAP; a record at t
 * joins it when start - GAP <= t <= end, and a record that reaches two
 * sessions of its key (it came out of order, between them) joins them
 * into one.  The sessions of one key never overlap, so a record reaches
 * two at most.
 *
 * The op (src/ops/session.c) decides when a session is complete (the
 * watermark has passed its end); here they are kept in a binary heap by
 * (end, key), so the next to close is found without looking at every
 * key, and each key's sessions in a short list sorted by start, found
 * by the key in a table.  Memory is what the open sessions hold: a
 * session is a slot of a pool (its key, start, last time, links and the
 * reducer's state), freed when it is taken out; the keys and the
 * values the states keep live in one arena, copied afresh (agg_def's
 * move) when what is dead in it outweighs what lives.
 *
 * Records with a value the reducer refuses (a record error) neither
 * open nor extend a session.  A session's count is its state's n: the
 * values folded in.  Values fold in arrival order within a session; a
 * merge folds the later-starting session's state into the earlier's.
 */
#ifndef DSTREAM_SESSIONS_H
#define DSTREAM_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "buf.h"
#include "value.h"

struct sessions;
struct snap_rd;

/* One session, as sessions_first shows it. */
struct session {
	struct value	 key;		/* in the sessions' arena */
	int64_t		 start;		/* its first record's time, ms */
	int64_t		 last;		/* its last record's time, ms */
	uint32_t	 next;		/* the key's next session (internal) */
	uint32_t	 heap;		/* its place in the heap (internal) */
	/* the reducer's state follows: sessions_state() */
};

/*
 * Returns an empty set of sessions folding values with R (the caller's,
 * which outlives it), records GAP_MS (> 0) apart at most joining.
 */
struct sessions	*sessions_new(struct agg *r, int64_t gap_ms);
void		 sessions_free(struct sessions *);
/* How many sessions are open. */
size_t		 sessions_count(const struct sessions *);
/* Bytes held from malloc, for tests and --stats. */
size_t		 sessions_footprint(const struct sessions *);

/*
 * Adds the value V of KEY at time T_MS: it joins the session of KEY it
 * reaches, joins the two it bridges into one, or opens a new one.
 * Returns 0 (added, or refused by the reducer as a record error), or -1
 * to stop the run.
 */
int		 sessions_add(struct sessions *, const struct value *key,
		    int64_t t_ms, const struct value *v);

/* The end of session S: its last record's time + GAP. */
int64_t		 sessions_end(const struct sessions *, const struct session *s);
/* The reducer state of S (its n is the session's count). */
void		*sessions_state(const struct sessions *, const struct session *s);
/*
 * Returns the session that ends first (the smallest key among those
 * ending then), or NULL when none is open.  Valid, with its key and
 * state's values, until the next sessions_add or sessions_pop.
 */
struct session	*sessions_first(struct sessions *);
/*
 * Takes the first session out (it is complete).  Its key and values stay
 * readable until the next sessions_add.
 */
void		 sessions_pop(struct sessions *);
/* Whether some open session ends exactly at END_MS. */
bool		 sessions_end_at(struct sessions *, int64_t end_ms);

/*
 * Checkpoints (snap.h).  sessions_save appends the count of open
 * sessions, then each in (end, key) order: key, start, last and the
 * reducer's state.  Returns 0, or -1 with *CAUSE set.  sessions_load
 * empties S and reads that back, refusing sessions out of order or
 * overlapping another of their key; returns 0, or -1 with the cause in
 * R (S then holds what was read so far).
 */
int		 sessions_save(struct sessions *, struct buf *, char **cause);
int		 sessions_load(struct sessions *, struct snap_rd *);

#endif
