/*
 * snap.h - the snapshot encoding: how dstream writes its state down and
 * reads it back (checkpoints), after Redis's RDB.
 *
 * A snapshot is a container:
 *
 *	magic "DSTRSNAP" | version u32 | kind 4 bytes | length u64 |
 *	payload (length bytes) | XXH3-64 of everything before it, u64
 *
 * (fixed-size integers little-endian).  The kind says what the payload
 * holds (SNAP_TAG('C','K','P','T')).  Inside a payload, writers append
 * typed items to a struct buf and readers take them back in the same
 * order from a struct snap_rd: unsigned integers as LEB128 varints,
 * signed ones zigzagged first, doubles as their 8 bytes (bit-exact: NaN
 * payloads, -0.0), byte strings as a varint length and the bytes, whole
 * values (struct value, every type, nested) as a type byte and their
 * parts.  A section (tag, u64 length, bytes) fences off one part of a
 * payload, so a part's reader cannot run into the next part and a
 * reader can tell whose bytes it was given.
 *
 * The encoding is canonical: a varint is never longer than it needs to
 * be and a boolean is 0 or 1, so equal states encode to equal bytes and
 * anything else is refused.
 *
 * Readers never read past the end, and never allocate from a length
 * field before checking it against the bytes left.  Each returns 0, or
 * -1 after recording the cause (with its byte offset) in the reader;
 * the first cause is kept and every later read fails too, so a loader
 * may read several items and check once.
 */
#ifndef DSTREAM_SNAP_H
#define DSTREAM_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "value.h"

/* The format this dstream writes and the only one it reads. */
#define SNAP_VERSION	1u
/* How deep a value may nest (a tuple or array inside another counts one). */
#define SNAP_MAX_DEPTH	2048

/* A kind or section tag from four characters: SNAP_TAG('C','K','P','T'). */
#define SNAP_TAG(a, b, c, d) \
	((uint32_t)(uint8_t)(a) | (uint32_t)(uint8_t)(b) << 8 | \
	 (uint32_t)(uint8_t)(c) << 16 | (uint32_t)(uint8_t)(d) << 24)

/* A reader over bytes it does not own. */
struct snap_rd {
	const char	*p;		/* next byte */
	const char	*end;		/* one past the last byte */
	const char	*base;		/* where offsets in messages count from */
	char		*cause;		/* first error (owned), NULL when none */
};

/* Writing: each appends to B, which grows as needed. */

/* Starts a container of KIND; returns where it starts, for snap_end. */
size_t	 snap_begin(struct buf *b, uint32_t kind);
/* Closes the container begun at START: its length and checksum. */
void	 snap_end(struct buf *b, size_t start);
/* Starts a section tagged TAG; returns where it starts, for snap_sec_end. */
size_t	 snap_sec_begin(struct buf *b, uint32_t tag);
void	 snap_sec_end(struct buf *b, size_t start);

void	 snap_put_u8(struct buf *b, uint8_t v);
void	 snap_put_bool(struct buf *b, bool v);
void	 snap_put_u64(struct buf *b, uint64_t v);
void	 snap_put_i64(struct buf *b, int64_t v);
void	 snap_put_dbl(struct buf *b, double v);
void	 snap_put_bytes(struct buf *b, const void *p, size_t n);
void	 snap_put_str(struct buf *b, const char *s);
/*
 * Appends V (deep).  Returns 0, or -1 with *CAUSE set (caller frees)
 * when V nests deeper than SNAP_MAX_DEPTH, which no reader would take
 * back; B then holds a partial value.
 */
int	 snap_put_value(struct buf *b, const struct value *v, char **cause);

/* Reading. */

/* Reads the N bytes at P (which must outlive the reader). */
void	 snap_rd_init(struct snap_rd *r, const void *p, size_t n);
/* Bytes not read yet. */
static inline size_t snap_left(const struct snap_rd *r) { return (size_t)(r->end - r->p); }
/*
 * Records a cause made from FMT (unless one is recorded already) with
 * the current offset, and returns -1: for loaders' own checks ("pane
 * width 1000, expected 500").
 */
int	 snap_fail(struct snap_rd *r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Fails unless every byte has been read ("N bytes left over"). */
int	 snap_rd_end(struct snap_rd *r);
/*
 * Hands the recorded cause to the caller (who frees it) and clears it;
 * NULL when there was none.
 */
char	*snap_rd_cause(struct snap_rd *r);
/* Frees the recorded cause, if any. */
void	 snap_rd_free(struct snap_rd *r);

/*
 * Reads a container of KIND at R's position and points PAYLOAD (a new
 * reader with the same base) at its payload; R moves past it.  Fails
 * (the cause in R) on a bad magic, another format version (the message
 * names both), a truncated or over-long length, a checksum mismatch or
 * another kind, in that order of checking.
 */
int	 snap_open(struct snap_rd *r, uint32_t kind, struct snap_rd *payload);
/*
 * Reads a section tagged TAG and points SUB at its bytes; R moves past
 * it.  When SUB is done, snap_sec_done checks that all of it was read
 * and moves its cause (if any) into R.
 */
int	 snap_sec(struct snap_rd *r, uint32_t tag, struct snap_rd *sub);
int	 snap_sec_done(struct snap_rd *r, struct snap_rd *sub);

/* Each sets *OUT (to zero on failure) and returns 0 or -1. */
int	 snap_get_u8(struct snap_rd *r, uint8_t *out);
int	 snap_get_bool(struct snap_rd *r, bool *out);
int	 snap_get_u64(struct snap_rd *r, uint64_t *out);
int	 snap_get_i64(struct snap_rd *r, int64_t *out);
int	 snap_get_dbl(struct snap_rd *r, double *out);
/*
 * Reads a count of items that take at least MINSIZE bytes each (1 when
 * 0) and fails if there cannot be that many in the bytes left, or more
 * than MAX: the check to make before allocating an array of *OUT items.
 */
int	 snap_get_count(struct snap_rd *r, size_t minsize, uint64_t max,
	    size_t *out);
/*
 * Reads a byte string of at most MAX bytes; *P points into R's bytes
 * (no copy), *N is its length.
 */
int	 snap_get_bytes(struct snap_rd *r, size_t max, const char **p,
	    size_t *n);
/* Reads a byte string as snap_get_bytes into a NUL-terminated copy in A. */
int	 snap_get_str(struct snap_rd *r, struct arena *a, size_t max,
	    char **s, size_t *n);
/*
 * Reads a value into *OUT, everything it refers to copied into A (the
 * caller's arena), so the value outlives R's bytes.  On failure *OUT is
 * null and A may hold the parts read before the failure.
 */
int	 snap_get_value(struct snap_rd *r, struct arena *a, struct value *out);
/*
 * As snap_get_value, but a string (the common key) is left in R's bytes,
 * not copied: for a key that is copied at once into a table.
 */
int	 snap_get_key(struct snap_rd *r, struct arena *a, struct value *out);

#endif
