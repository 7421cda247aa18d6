/*
 * rebuild.h - windows rebuilt when a Kafka consumer group moves
 * partitions (issue 12 item 2; the contract is at the top of rebuild.c).
 */
#ifndef DSTREAM_REBUILD_H
#define DSTREAM_REBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct op;
struct table;

/*
 * What a rebuilt chain must not emit again: a row of a batch or window
 * ending at or before its partition's bound.  One for the run, owned by
 * the engine; the chain's hidden ops point at it.
 */
struct rebuild {
	int64_t		*bound;		/* by partition: last end emitted,
					 * INT64_MIN for none */
	size_t		 nbound;
	int64_t		 self;		/* the bound of a row no partition
					 * claims: this member's last end */
	int64_t		 top;		/* the largest bound: the gate passes
					 * every row past it */
	struct table	*keys;		/* key -> partition + 1, while
					 * top is ahead of the flushes */
	bool		 passed;	/* a row passed since the last flush */
	bool		 on;		/* the chain has the probe and gate */
	bool		 pending;	/* loaded from a checkpoint: the
					 * chain needs them (rebuild_insert) */
};

/* Whether a chain can be rebuilt: its state lies within its span. */
bool	rebuild_possible(const struct op *chain);
/*
 * Puts RB's probe before the chain's first keyed operator and its gate
 * before the first operator that writes output (or the tail); *HEAD may
 * change.  The chain must be fresh (nothing pushed yet).
 */
void	rebuild_insert(struct op **head, struct rebuild *rb);
/*
 * Sets RB's bounds for a chain rebuilt now: BOUND[i] for partition i
 * (N of them), SELF for the rest.  Forgets the keys seen before.
 */
void	rebuild_set(struct rebuild *rb, const int64_t *bound, size_t n,
	    int64_t self);
void	rebuild_free(struct rebuild *rb);
/* Whether a chain was rebuilt: its probe and gate are in it. */
static inline bool rebuild_on(const struct rebuild *rb) { return rb->on; }
/*
 * Checkpoints (--checkpoint, engine/checkpoint.c): the bounds and the
 * keys seen, appended to B (0, or -1 with *CAUSE set), read back from R
 * (0, or -1 with the cause in R); a chain resumed with them gets its
 * probe and gate again (rebuild_insert).
 */
struct buf;
struct snap_rd;
int	rebuild_save(const struct rebuild *rb, struct buf *b, char **cause);
int	rebuild_load(struct rebuild *rb, struct snap_rd *r);

#endif
