/*
 * grid.h - time on a grid of steps: batch ends, window ends, pane ids.
 *
 * Batches are [end - B, end) with END a multiple of B on the epoch clock
 * (windows likewise with their slide, panes with their width); times
 * before 1970 are negative, so every division here rounds down, never
 * toward zero.  A long run of empty steps (event time jumping ahead by
 * years) is skipped rather than gone through one by one: GAP_MAX is that
 * limit for the clock and the windows alike.  Pure arithmetic, no state,
 * inline because the window operators use it once per record: the clock,
 * the window operators, the time formatting and the unit tests share it.
 */
#ifndef DSTREAM_GRID_H
#define DSTREAM_GRID_H

#include <stdbool.h>
#include <stdint.h>

/* Empty batches (or windows) gone through one by one, at most, in one gap. */
#define GAP_MAX		100000

/* Returns A / B rounded down (B not zero). */
static inline int64_t
grid_floordiv(int64_t a, int64_t b)
{
	int64_t	 q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/* Returns the largest multiple of STEP (> 0) at or below MS. */
static inline int64_t
grid_floor(int64_t ms, int64_t step)
{
	return grid_floordiv(ms, step) * step;
}

/*
 * Returns the end of the step holding MS: the next multiple of STEP
 * (> 0) above it (MS itself being a multiple gives MS + STEP).
 */
static inline int64_t
grid_end(int64_t ms, int64_t step)
{
	return (grid_floordiv(ms, step) + 1) * step;
}

/*
 * Whether the empty steps of STEP from FROM up to TO (TO excluded) are
 * more than GAP_MAX: too many to go through one by one.
 */
static inline bool
grid_gap_long(int64_t from, int64_t to, int64_t step)
{
	return (to - from) / step > GAP_MAX;
}

#endif
