/*
 * arena.h - bump allocator for memory that dies all at once.
 *
 * Records and their derived values live in an arena that is reset when the
 * record (or batch) is done; state that outlives it is copied into the
 * owning operator's own arena.  Allocation never fails (xmalloc aborts).
 */
#ifndef DSTREAM_ARENA_H
#define DSTREAM_ARENA_H

#include <stddef.h>
#include <stdint.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;	/* newest chunk first */
	char		*p;		/* next free byte in head */
	char		*end;		/* end of head */
	size_t		 used;		/* bytes handed out since reset */
	size_t		 chunk;		/* size of the next chunk */
};

void	 arena_init(struct arena *);
/* As arena_init, with FIRST bytes for the first chunk (small arenas, many of them). */
void	 arena_init_sized(struct arena *, size_t first);
/* arena_alloc when the head chunk lacks room (a new chunk). */
void	*arena_alloc_chunk(struct arena *, size_t size);
/*
 * Returns SIZE bytes aligned to 16, valid until arena_reset/arena_free.
 * Inline: a pair or a copy per output row comes from here.
 */
static inline void *
arena_alloc(struct arena *a, size_t size)
{
	char	*p;

	size = size == 0 ? 16 : (size + 15) & ~(size_t)15;
	/* arena_alloc_bytes may have left the next byte unaligned. */
	p = (char *)(((uintptr_t)a->p + 15) & ~(uintptr_t)15);
	if (a->head == NULL || p > a->end || (size_t)(a->end - p) < size)
		return arena_alloc_chunk(a, size);
	a->p = p + size;
	a->used += size;
	return p;
}
/*
 * Returns SIZE bytes with no alignment (string bytes packed one after
 * another, as a table's keys are), valid as arena_alloc's.
 */
void	*arena_alloc_bytes(struct arena *, size_t size);
/* Returns a NUL-terminated copy of the LEN bytes at S. */
char	*arena_strndup(struct arena *, const char *s, size_t len);
/* arena_reset when something was handed out since the last reset. */
void	 arena_reset_used(struct arena *);
/*
 * Forgets every allocation; keeps the largest chunk for reuse.  Inline:
 * the engine resets per record, mostly an arena nothing was taken from.
 */
static inline void
arena_reset(struct arena *a)
{
	if (a->used != 0)
		arena_reset_used(a);
}
void	 arena_free(struct arena *);
/* Bytes the arena holds from malloc (for --stats). */
size_t	 arena_footprint(const struct arena *);

#endif
