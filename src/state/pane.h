/*
 * pane.h - window panes: the slices of time a sliding window is cut into.
 *
 * A window of length L sliding by S is cut into panes of gcd(L, S), so
 * that every window is a whole number of panes and a slide adds the
 * newest panes and drops the oldest ones.  A pane holds either one
 * reducer state (state/agg.h) per key, in place in a table whose entries
 * are sized for that reducer, or copies of its records
 * in arrival order, for the operators that must give the records back
 * (window, groupByKeyAndWindow).  Everything a pane holds lives in its
 * own table and arena, so dropping a pane is a reset and its memory
 * serves a later pane.
 *
 * The same struct holds an aggregate over many panes: the running window
 * of an invertible reducer (pane_merge in, pane_sub out).  The two-stack
 * queue that slides the other reducers turns a pane's states into
 * per-key suffixes in place, linked through bytes after each state
 * (pane_init_extra; see src/ops/window.c).
 */
#ifndef DSTREAM_PANE_H
#define DSTREAM_PANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "arena.h"
#include "table.h"
#include "value.h"

struct pane {
	int64_t		 id;		/* start time / pane width */
	uint64_t	 nrec;		/* records added to this pane itself */
	struct agg	*agg;		/* the reducer, NULL if not keyed */
	struct table	*keys;		/* key -> AGG's state, NULL if not keyed */
	struct value	*rec;		/* copies of the records (pane_keep) */
	size_t		 caprec;
	struct arena	 mem;		/* record copies and aggregate values */
	size_t		 compacted;	/* mem.used after the last compaction */
};

/*
 * Makes P empty.  With a reducer AGG (the caller's, which outlives P) it
 * holds AGG's state per key; with NULL, records.
 */
void	 pane_init(struct pane *p, struct agg *agg);
/*
 * As pane_init with a reducer, each key's entry holding EXTRA bytes
 * (zeroed) after AGG's state, for the caller (a window's links between
 * the panes a key is in); merges, saves and loads ignore them.
 */
void	 pane_init_extra(struct pane *p, struct agg *agg, size_t extra);
/* Forgets everything P holds, keeping its memory for reuse. */
void	 pane_reset(struct pane *p);
void	 pane_free(struct pane *p);
/* Bytes P holds from malloc, for --stats. */
size_t	 pane_footprint(const struct pane *p);

/* Appends a deep copy of V to P's records. */
void	 pane_keep(struct pane *p, const struct value *v);
/*
 * Folds V into the state of KEY.  Returns 0 (the record counted, or
 * skipped after a per-record error), or -1 to stop the run.
 */
int	 pane_add(struct pane *p, const struct value *key, const struct value *v);
/*
 * Folds every aggregate of SRC into DST, SRC's values coming after
 * DST's (order matters for first, last and custom functions).  Keys new
 * to DST are copied.  Returns 0 or -1 (stop).
 */
int	 pane_merge(struct pane *dst, struct pane *src);
/*
 * Takes SRC's aggregates out of DST with the reducer's inverse; a key
 * left with no record is deleted, so it is not emitted as a stale zero.
 * Returns 0, -1 (stop), or 1 when an aggregate cannot be taken out
 * exactly (agg_sub): DST is then half done, to be rebuilt by merging.
 */
int	 pane_sub(struct pane *dst, struct pane *src);
/*
 * Copies the live aggregate values of P into fresh memory when the old
 * values (replaced by merges and subtractions) outweigh them; nothing
 * for a reducer that keeps no values (agg_def's move is NULL).
 */
void	 pane_compact(struct pane *p);

/*
 * Checkpoints (state/snap.h encoding).  pane_save appends P: its id,
 * its record count, the state of each key (the reducer's save) when P
 * holds aggregates, and the records themselves when RECS (a pane of
 * window or groupByKeyAndWindow; countByWindow's count none).  Returns
 * 0, or -1 with *CAUSE set (caller frees).
 */
struct snap_rd;
int	 pane_save(struct pane *p, struct buf *b, bool recs, char **cause);
/*
 * Reads what pane_save wrote into P, emptied first, which must be set
 * up as the saved one was (the same reducer, or none; the same RECS).
 * Returns 0, or -1 with the cause in R; P then holds part of it.
 */
int	 pane_load(struct pane *p, struct snap_rd *r, bool recs);
/*
 * The same encoding written and read key by key by a caller that keeps
 * the states elsewhere (a window's back aggregates): pane_save_keys
 * appends the head of a pane of aggregates with id 0, no records and
 * NKEYS keys, after which the caller appends each key (snap_put_value)
 * and its state (the reducer's save), which is what pane_save writes
 * for such a pane.  pane_load_keys reads that head back and sets *NKEYS
 * (checked against the bytes left); the caller reads each key and state.
 * pane_load_keys returns 0, or -1 with the cause in R.
 */
void	 pane_save_keys(struct buf *b, size_t nkeys);
int	 pane_load_keys(struct snap_rd *r, size_t *nkeys);

#endif
