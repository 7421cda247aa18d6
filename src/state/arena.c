/*
 * arena.c - bump allocation in chunks; reset forgets everything at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "arena.h"

struct arena_chunk {
	struct arena_chunk	*next;
	size_t			 size;		/* usable bytes after the header */
	_Alignas(16) char	 data[];
};

#define ARENA_FIRST	(64 * 1024)

void
arena_init(struct arena *a)
{
	memset(a, 0, sizeof *a);
	a->chunk = ARENA_FIRST;
}

void
arena_init_sized(struct arena *a, size_t first)
{
	arena_init(a);
	a->chunk = first < 256 ? 256 : first;
}

static void
arena_newchunk(struct arena *a, size_t need)
{
	struct arena_chunk	*c;
	size_t			 size = a->chunk ? a->chunk : ARENA_FIRST;

	while (size < need)
		size *= 2;
	c = xmalloc(sizeof *c + size);
	c->size = size;
	c->next = a->head;
	a->head = c;
	a->p = c->data;
	a->end = c->data + size;
	if (a->chunk < 16 * 1024 * 1024)
		a->chunk = size * 2;
}

void *
arena_alloc_chunk(struct arena *a, size_t size)
{
	char	*p;

	arena_newchunk(a, size);
	p = a->p;
	a->p = p + size;
	a->used += size;
	return p;
}

void *
arena_alloc_bytes(struct arena *a, size_t size)
{
	char	*p;

	if (a->head == NULL || (size_t)(a->end - a->p) < size)
		arena_newchunk(a, size);
	p = a->p;
	a->p += size;
	a->used += size;
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t len)
{
	char	*p = arena_alloc(a, len + 1);

	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
arena_reset_used(struct arena *a)
{
	struct arena_chunk	*c, *next, *keep = NULL;

	if (a->head == NULL || (a->head->next == NULL && a->p == a->head->data))
		return;
	/* Keep the largest chunk, so a steady load settles into one. */
	for (c = a->head; c != NULL; c = c->next)
		if (keep == NULL || c->size > keep->size)
			keep = c;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		if (c != keep)
			free(c);
	}
	keep->next = NULL;
	a->head = keep;
	a->p = keep->data;
	a->end = keep->data + keep->size;
	a->used = 0;
}

void
arena_free(struct arena *a)
{
	struct arena_chunk	*c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	arena_init(a);
}

size_t
arena_footprint(const struct arena *a)
{
	const struct arena_chunk	*c;
	size_t				 n = 0;

	for (c = a->head; c != NULL; c = c->next)
		n += sizeof *c + c->size;
	return n;
}
