/*
 * agg.h - reducers: what reduce, reduceByKey and the window reductions
 * fold values with, each a vtable (struct agg_def) whose state lives in
 * the caller's memory (a table entry, a pane's table, a field of an op).
 *
 * The named reducers (sum count min max avg first last) are listed once
 * in agg.def and written in agg.c; a new one (a sketch) is one file with
 * its agg_def and one line in agg.def.  The sketches (distinct, p50 p90
 * p95 p99, quantile(Q), topk(K)) are in hll.c, ddsketch.c and topk.c,
 * with what they share in sketch.h.  A reducer that takes an argument is
 * spelt NAME(ARG); agg_parse reads every spelling, in one place, and
 * agg_spelling gives it back whole, for checkpoints and fingerprints.  The reducer over an expression
 * in a and b ('a .. b', with an optional inverse) needs the expression
 * evaluator, which sits above state in the layering (expr > state), so
 * it lives in src/ops/aggexpr.c: it fills in an agg_def of its own with
 * functions that evaluate its expressions, and hands out a struct agg
 * like the named ones.  Nothing here knows of it.
 *
 * An instance (struct agg) is a def and whatever the def needs besides
 * the state (the custom reducer's compiled expressions); named reducers
 * need nothing.  Operators create one per FUNC argument and keep one
 * state per key.
 *
 * The rules every state follows, so tables and panes can hold them
 * without knowing them:
 *   - it is def->size bytes, 8-aligned, and begins with int64_t n: the
 *     values folded in.  n == 0 means it holds nothing (not emitted);
 *     agg_n reads it.
 *   - the empty state is what def->init makes, or all zero bytes when
 *     init is NULL (what table_put gives a new entry).
 *   - it is plain bytes: copied with memcpy it is a second valid state.
 *     What it points to (values kept in the arena the caller gives) is
 *     never changed once written: add, merge and sub build new values.
 *     (A sketch changes its block in place only while the block is its
 *     own, which a copy's is not: sketch.h.)
 *   - values it keeps are in the arena passed to add, merge, sub and
 *     load; move copies them into a fresh arena (compaction), and is NULL
 *     for a reducer that keeps none there.
 *
 * save and load write and read a state with the checkpoint encoding's
 * typed writer and reader (snap.h), for the checkpoint of the table or
 * pane that holds it.
 *
 * Per-record errors (a non-number for sum or avg, a failing custom
 * function) go through record_error with the instance's WHAT: the value
 * is left out and 0 returned, or -1 under --on-error fail.
 */
#ifndef DSTREAM_AGG_H
#define DSTREAM_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "value.h"

struct agg;
struct snap_rd;

/*
 * A window's own way to slide, for a reducer without inverse whose
 * merges cost much (distinct: HyperLogLog's unions of 12 KiB).  Without
 * one a window slides such a reducer through its two stacks of merged
 * panes (ops/window.c); with one it keeps, for each key in the window, a
 * state of SIZE bytes (int64_t n first, as a reducer state's: the values
 * of the key's states in the window; zero bytes are the empty one) that
 * it tells of each entered pane's state of the key as the pane enters
 * (enter) and, oldest first, as it leaves (leave), PANE being the pane's
 * number (its id's low 32 bits: never two alike in a window), and asks
 * for the window's value (result: what merging the key's states in the
 * window's panes would give, valid as agg_result's).
 *
 * enter and leave return 0, or 1 when the window state must be given
 * the key's states in the window's panes again, oldest first (a
 * replay): reset, then enter for each, until none returns 1 (the
 * second pass never does: what the state learned from the first is kept
 * by reset).  A state whose n is 0 holds no values: free, and the key
 * leaves.  The window state holds no pointers into the panes (a pane's
 * arena may be compacted), and is rebuilt from the panes, never saved:
 * a checkpoint saves the panes alone.
 */
struct agg_slider {
	size_t		 size;		/* bytes of a key's window state */
	int		(*enter)(const struct agg *, void *ws, const void *state,
			    uint32_t pane);
	int		(*leave)(const struct agg *, void *ws, const void *state,
			    uint32_t pane);
	/* Empties WS for a replay, keeping what it learned of its size. */
	void		(*reset)(void *ws);
	/* Frees what WS holds (the key leaves, or the window ends). */
	void		(*free)(void *ws);
	struct value	(*result)(const struct agg *, const void *ws);
};

struct agg_def {
	const char	*name;		/* "sum"; what FUNC names */
	size_t		 size;		/* bytes of state, n first */
	/* Makes STATE empty; NULL when zero bytes are the empty state. */
	void		(*init)(void *state);
	/*
	 * Folds V into STATE.  Returns 0 (n counts V, or V was refused
	 * as a record error and n is unchanged), or -1 to stop the run.
	 */
	int		(*add)(struct agg *, void *state, const struct value *v,
			    struct arena *);
	/*
	 * Folds O (a state of values that came after STATE's; o's n > 0)
	 * into STATE, which may be empty.  Returns 0 or -1 (stop); after a
	 * record error STATE is unchanged.
	 */
	int		(*merge)(struct agg *, void *state, const void *o,
			    struct arena *);
	/*
	 * Takes O (values folded in earlier, 0 < o's n < STATE's n) out of
	 * STATE.  Returns 0, -1 (stop), or 1 with STATE unchanged when it
	 * cannot be done exactly (a running sum gone infinite or past 2^53):
	 * the caller rebuilds STATE from what remains.  NULL: the reducer has
	 * no inverse (windows slide it through panes).
	 */
	int		(*sub)(struct agg *, void *state, const void *o,
			    struct arena *);
	/*
	 * The value to emit for STATE, valid while STATE is and until the
	 * instance's next result (topk builds its array in the instance's
	 * memory); callers emit only states with n > 0; an empty one gives
	 * 0 or null.
	 */
	struct value	(*result)(const struct agg *, const void *state);
	/*
	 * Asks for the memory STATE points to (a sketch's block) to be
	 * fetched, for a caller that reads it a few states later: a
	 * window's emission walks keys in key order, not memory order, so
	 * without it every key would wait for that memory in turn.  NULL:
	 * a state holds what result reads in place.
	 */
	void		(*prefetch)(const void *state);
	/* A window's own sliding (above); NULL: the window's two stacks. */
	const struct agg_slider	*slide;
	/* Copies the values STATE keeps into A; NULL: it keeps none. */
	void		(*move)(void *state, struct arena *a);
	/*
	 * Appends STATE to OUT with snap.h's writers.  Returns 0, or -1
	 * with *CAUSE set (caller frees) when a value cannot be written (it
	 * nests past SNAP_MAX_DEPTH); OUT then holds part of it.
	 */
	int		(*save)(const void *state, struct buf *out, char **cause);
	/*
	 * Reads a state saved by save from R into STATE, the values it
	 * keeps copied into A.  Returns 0, or -1 with the cause recorded in
	 * R (bytes short, or not such a state).
	 */
	int		(*load)(void *state, struct snap_rd *r, struct arena *a);
	/* Frees an instance of this def; NULL: a plain struct agg (free). */
	void		(*free)(struct agg *);
	/*
	 * What the argument is ("Q" for quantile(Q), "K" for topk(K)):
	 * the reducer must be spelt NAME(ARG).  NULL: it takes none.
	 */
	const char	*arg;
	/*
	 * Builds an instance from ARG, the text between the parentheses
	 * (NULL: the defaults, for agg_new).  Returns NULL with *CAUSE set
	 * (caller frees; it names the spelling) when ARG is not one.  NULL
	 * for a def whose instance is a plain struct agg.
	 */
	struct agg	*(*make)(const struct agg_def *, const char *arg,
			    char **cause);
	/* One sentence for --help and dstream help: what it gives. */
	const char	*help;
};

/* An instance of a reducer; a def's own may extend it (struct agg first). */
struct agg {
	const struct agg_def	*def;
	const char		*what;	/* names it in record errors */
	const char		*spelling; /* "quantile(0.9)"; agg_spelling */
};

/*
 * The state layout of reducers that keep one value (min max first last,
 * and the custom one): n then the value.  Their move, save and load
 * below serve any reducer with this layout.
 */
struct agg_val {
	int64_t		 n;
	struct value	 v;
};
void	 agg_val_move(void *state, struct arena *);
int	 agg_val_save(const void *state, struct buf *, char **cause);
int	 agg_val_load(void *state, struct snap_rd *, struct arena *);
/* The result of such a state: its value, null when empty. */
struct value	 agg_val_result(const struct agg *, const void *state);

/* The named reducer NAME (agg.def), or NULL when there is none. */
const struct agg_def	*agg_find(const char *name);
/*
 * Reads FUNC as a named reducer: "sum", "distinct", "p99",
 * "quantile(0.9)", "topk(5)" (blanks allowed around the argument).
 * Returns a new instance (free with agg_free); NULL with *CAUSE NULL
 * when FUNC names no reducer (it is an expression: 'max(a, b)' is one,
 * since max takes no argument); NULL with *CAUSE set (caller frees)
 * when it names one wrongly ("quantile(2)", "topk", "p99(3)").
 */
struct agg		*agg_parse(const char *func, char **cause);
/*
 * The reducer's whole spelling, argument included and normalized
 * ("quantile(0.9)" for quantile(0.90), "topk(5)"; the name alone for
 * reducers without argument, and "expression" for an expression): what
 * a checkpoint records, so that one of quantile(0.9) is not taken for
 * one of quantile(0.5).
 */
static inline const char *
agg_spelling(const struct agg *r)
{
	return r->spelling != NULL ? r->spelling : r->def->name;
}
/* Iterates the named reducers, for help and tests; NULL at the end. */
const struct agg_def	*agg_def_at(int i);
/* A new instance of the named reducer DEF (free with agg_free). */
struct agg		*agg_new(const struct agg_def *def);
void			 agg_free(struct agg *);

static inline bool
agg_invertible(const struct agg *r)
{
	return r->def->sub != NULL;
}

/* The values folded into STATE (its first 8 bytes). */
static inline int64_t
agg_n(const void *state)
{
	return *(const int64_t *)state;
}

/* Makes STATE (R's size) the empty state. */
static inline void
agg_init(const struct agg *r, void *state)
{
	if (r->def->init != NULL)
		r->def->init(state);
	else
		memset(state, 0, r->def->size);
}

/*
 * Folds V into STATE (copies into ARENA what it keeps).  Returns 0, V
 * counted or skipped after a record error, or -1 to stop the run.
 */
static inline int
agg_add(struct agg *r, void *state, const struct value *v,
    struct arena *arena)
{
	return r->def->add(r, state, v, arena);
}

/*
 * Folds state O (of later values) into STATE, as if O's values had been
 * added one by one after STATE's.  Returns 0 or -1 (stop).
 */
static inline int
agg_merge(struct agg *r, void *state, const void *o, struct arena *arena)
{
	if (agg_n(o) == 0)
		return 0;
	return r->def->merge(r, state, o, arena);
}

/*
 * Takes state O (values folded in earlier) out of STATE.  Only for an
 * invertible reducer; returns -1 otherwise.  When nothing is left STATE
 * is made empty, so rounding of doubles cannot linger.  Returns 1, STATE
 * unchanged, when a running sum has lost what subtracting needs (it is
 * infinite or NaN, or so large that a double drops units: an int64
 * overflow, 1e16 + 1): the caller rebuilds STATE from what remains.
 */
static inline int
agg_sub(struct agg *r, void *state, const void *o, struct arena *arena)
{
	if (r->def->sub == NULL)
		return -1;
	if (agg_n(o) == 0)
		return 0;
	if (agg_n(state) <= agg_n(o)) {
		agg_init(r, state);
		return 0;
	}
	return r->def->sub(r, state, o, arena);
}

/* The value to emit for STATE: 0 for an empty sum or count, else null. */
static inline struct value
agg_result(const struct agg *r, const void *state)
{
	return r->def->result(r, state);
}

/* Fetches ahead what STATE points to (agg_def's prefetch), if anything. */
static inline void
agg_prefetch(const struct agg *r, const void *state)
{
	if (r->def->prefetch != NULL)
		r->def->prefetch(state);
}

#endif
