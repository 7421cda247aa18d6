/*
 * sketch.h - what the sketch reducers (distinct: hll.c; p50 p90 p95 p99
 * quantile(Q): ddsketch.c; topk(K): topk.c) share: the state a table or
 * pane holds for them, the instance that carries their argument, and the
 * copy-on-write rule that lets a sketch change in place.
 *
 * A sketch is too big to live in a table entry (HyperLogLog's registers
 * are 12 KiB), and small keys must stay small, so the state in place is
 * 24 bytes: n (agg.h's rule), a pointer to the sketch's block in the
 * arena the caller passes to add, merge and load, and OWNER, the address
 * of the state the block was last written for.  Each block begins with
 * its size in bytes, so a block can be copied without knowing its kind.
 *
 * agg.h's rule is that a state copied with memcpy is a second valid
 * state and that what a state points to is never changed.  Copying a
 * 12 KiB block for every record would cost too much, so a sketch writes
 * its block in place only when the block is its own: when OWNER is the
 * state's own address.  A memcpy copy (a window's scratch state) has
 * another address and so copies the block before its first change
 * (sk_own); so does a state the table moved (a table's growth), once.
 * The old block stays in the arena until the caller's compaction moves
 * the live blocks (move), which writes OWNER again.  OWNER is only ever
 * compared, never followed.
 *
 * The instance (struct sk_agg) holds the reducer's argument (Q, K), its
 * full spelling for checkpoints ("quantile(0.9)", see agg_spelling) and
 * an arena for results that need memory (topk's array), which is reset
 * at the instance's next result: a result is valid until then.
 */
#ifndef DSTREAM_SKETCH_H
#define DSTREAM_SKETCH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "agg.h"
#include "arena.h"

struct sk_state {
	int64_t		 n;		/* values folded in */
	void		*blk;		/* the sketch, NULL while empty */
	const void	*owner;		/* the state BLK was written for */
};

/* Every block begins with its size in bytes (this header included). */
struct sk_blk {
	uint32_t	 size;
};

/* Bucket answers a quantile instance remembers (ddsketch.c). */
#define SK_QCACHE	512

struct sk_agg {
	struct agg	 agg;
	double		 q;		/* quantile: 0 < q < 1 */
	/* quantile: answers of recent buckets, by key % SK_QCACHE (key 0,
	 * answer 0, is right as zeroed) */
	int32_t		 qkey[SK_QCACHE];
	double		 qval[SK_QCACHE];
	uint32_t	 k;		/* topk: K */
	uint32_t	 cap;		/* topk: counters kept, c */
	struct arena	 out;		/* results that need memory */
	char		 spell[48];	/* "quantile(0.9)", "topk(5)" */
};

/* Whether S may write its block in place. */
static inline bool
sk_owns(const struct sk_state *s)
{
	return s->blk != NULL && s->owner == (const void *)s;
}

/* A new block of SIZE bytes in A (zeroed, its size set) that S owns. */
void	*sk_alloc(struct sk_state *s, size_t size, struct arena *a);
/*
 * Makes S's block its own (a copy in A when it is not) and returns it;
 * values the block points to are shared, as they never change.
 */
void	*sk_own(struct sk_state *s, struct arena *a);
/* agg_def's prefetch for sketches: the head of S's block. */
void	 sk_prefetch(const void *state);
/* agg_def's move for sketches without values of their own (hll, dds). */
void	 sk_move(void *state, struct arena *a);
/*
 * Builds the instance of DEF: spelling SPELL (NULL: the def's name),
 * quantile Q, topk K.  Never fails.
 */
struct agg	*sk_agg_new(const struct agg_def *def, const char *spell,
		    double q, uint32_t k);
void		 sk_agg_free(struct agg *);

#endif
