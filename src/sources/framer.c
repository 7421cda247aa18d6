/*
 * framer.c - cutting bytes into lines.
 *
 * One framer per byte stream (a file, a connection).  It reads in large
 * chunks and finds newlines with memchr; each complete line is handed to
 * the decoding step (decode.c) in place, without a copy.  Reads go into
 * one scratch buffer shared by every framer, after a copy of the partial
 * line the framer holds; the partial line left at the end of a read is
 * copied back into the framer's own buffer, sized to fit, so that between
 * reads a stream holds only its unfinished line (nothing, between
 * lines), and a buffer grown for a long line shrinks back once it ends.
 * A partial line longer than a read is read into the framer's own
 * buffer, grown as far as --max-line needs, without copies.  A longer
 * line is skipped up to its newline as soon as it is known to be too
 * long, counted, and reported with its origin and line number.
 *
 * Socket clients' framers share a pool (struct framer_pool, source.h):
 * past --max-buffered, those holding the most wait (backpressure) and
 * the one holding the most is read until its line ends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dstream.h"
#include "source.h"

#define FRAMER_CHUNK	(256 * 1024)	/* bytes per read */
#define FRAMER_SMALL	4096		/* held, never paused; read under pressure */
#define LONG_REPORT_MAX	100

static uint64_t	long_reported;
static char	*framer_scratch;	/* 2 * FRAMER_CHUNK, for every framer */
static bool	 framer_scanning;	/* lines in the scratch are out */

void
framer_init(struct framer *fr, size_t max_line, struct framer_pool *pool)
{
	memset(fr, 0, sizeof *fr);
	fr->max_line = max_line;
	fr->pool = pool;
	if (pool != NULL) {
		fr->pool_next = pool->first;
		if (pool->first != NULL)
			pool->first->pool_prev = fr;
		pool->first = fr;
	}
}

/*
 * Gives FR's buffer CAP bytes (0: none), keeping its first bytes, and
 * counts the change in its pool.
 */
static void
framer_resize(struct framer *fr, size_t cap)
{
	if (cap == fr->cap)
		return;
	if (fr->pool != NULL)
		fr->pool->held = fr->pool->held - fr->cap + cap;
	if (cap == 0) {
		free(fr->buf);
		fr->buf = NULL;
	} else
		fr->buf = xrealloc(fr->buf, cap);
	fr->cap = cap;
}

void
framer_free(struct framer *fr)
{
	struct framer_pool	*pl = fr->pool;

	framer_resize(fr, 0);
	if (pl != NULL) {
		if (fr->pool_prev != NULL)
			fr->pool_prev->pool_next = fr->pool_next;
		else
			pl->first = fr->pool_next;
		if (fr->pool_next != NULL)
			fr->pool_next->pool_prev = fr->pool_prev;
		if (pl->leader == fr)
			pl->leader = NULL;
	}
	memset(fr, 0, sizeof *fr);
}

/*
 * The framer of pool PL allowed past its bound: the one holding the
 * most when a leader was last needed, until a line of it ends.  Never
 * NULL when a framer of PL holds bytes.
 */
static struct framer *
framer_leader(struct framer_pool *pl)
{
	struct framer	*f;

	if (pl->leader == NULL)
		for (f = pl->first; f != NULL; f = f->pool_next)
			if (f->len > 0 && (pl->leader == NULL ||
			    f->len > pl->leader->len))
				pl->leader = f;
	return pl->leader;
}

/*
 * Returns how many bytes FR may read now: a chunk, less when its pool
 * is near its bound, 0 when FR must wait.
 */
static size_t
framer_budget(struct framer *fr)
{
	struct framer_pool	*pl = fr->pool;
	size_t			 avail;

	if (pl == NULL)
		return FRAMER_CHUNK;
	avail = pl->held < pl->max ? pl->max - pl->held : 0;
	if (avail >= FRAMER_CHUNK)
		return FRAMER_CHUNK;
	if (fr->len < FRAMER_SMALL)
		return avail > FRAMER_SMALL ? avail : FRAMER_SMALL;
	if (avail > 0)
		return avail;
	return framer_leader(pl) == fr ? FRAMER_CHUNK : 0;
}

bool
framer_may_read(struct framer *fr)
{
	return framer_budget(fr) > 0;
}

/* Counts and reports the over-long line number LINE of SRC. */
static void
framer_long(struct framer *fr, struct source *src, uint64_t line)
{
	src->counters.long_lines++;
	if (long_reported++ < LONG_REPORT_MAX)
		fprintf(stderr, "%s: %s:%llu: line longer than %zu bytes "
		    "skipped\n", progname, src->name,
		    (unsigned long long)line, fr->max_line);
}

/*
 * Delivers the line P[0..n) (without newline) as line number ++fr->line,
 * or reports it when it is too long.  A trailing \r ends the line, as
 * the newline does: it is not part of the record and does not count
 * against --max-line.
 */
static inline void
framer_emit(struct framer *fr, struct source *src, const char *p, size_t n)
{
	fr->line++;
	if (n > fr->max_line && !(n == fr->max_line + 1 && p[n - 1] == '\r'))
		framer_long(fr, src, fr->line);
	else {
		if (n > 0 && p[n - 1] == '\r')
			n--;
		decode_record(src, &fr->din, p, n, fr->line);
	}
}

/*
 * Delivers every complete line in B[0..len), where B[0..from) is known
 * to hold no newline.  Returns where the partial line left starts
 * (LEN when none); fr->offset counts what was framed or skipped.
 */
static size_t
framer_scan(struct framer *fr, struct source *src, char *b, size_t len,
    size_t from)
{
	char	*p = b, *q, *nl, *end = b + len;

	if (fr->skipping) {
		nl = memchr(p, '\n', len);
		if (nl == NULL) {
			fr->offset += len;
			return len;
		}
		fr->skipping = false;
		fr->offset += (uint64_t)(nl + 1 - p);
		p = nl + 1;
		from = 0;
	}
	q = b + from > p ? b + from : p;
	nl = memchr(q, '\n', (size_t)(end - q));
	while (nl != NULL) {
		framer_emit(fr, src, p, (size_t)(nl - p));
		fr->offset += (uint64_t)(nl + 1 - p);
		p = nl + 1;
		nl = memchr(p, '\n', (size_t)(end - p));
	}
	return (size_t)(p - b);
}

/*
 * Keeps P[0..n), the partial line left by a read, as what FR holds: P is
 * in FR's own buffer when OWN, else in the scratch buffer.  A partial
 * line already longer than a line may be is skipped now, its bytes let
 * go.  The buffer is sized to fit when less than half of it is used.
 */
static void
framer_keep(struct framer *fr, struct source *src, const char *p, size_t n,
    bool own)
{
	/* max_line + 1: the line may still end with \r and its newline. */
	if (n > fr->max_line + 1) {
		fr->line++;
		framer_long(fr, src, fr->line);
		fr->skipping = true;
		fr->offset += n;
		n = 0;
	}
	if (n > 0 && own)
		memmove(fr->buf, p, n);
	else if (n > 0) {
		if (n > fr->cap)
			framer_resize(fr, n);
		memcpy(fr->buf, p, n);
	}
	fr->len = n;
	if (n < fr->cap / 2)
		framer_resize(fr, n);
}

ssize_t
framer_read(struct framer *fr, struct source *src, int fd)
{
	struct framer_pool	*pl = fr->pool;
	size_t			 h = fr->len, room, want, grow, s;
	uint64_t		 line0 = fr->line;
	ssize_t			 n;
	char			*b;
	bool			 outer;

	room = framer_budget(fr);
	if (room == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (h <= FRAMER_CHUNK && !framer_scanning) {
		/* A short partial line: read after a copy of it. */
		if (framer_scratch == NULL)
			framer_scratch = xmalloc(2 * FRAMER_CHUNK);
		b = framer_scratch;
		if (h > 0)
			memcpy(b, fr->buf, h);
	} else {
		/*
		 * A long one (or a read while lines of the scratch are
		 * out): read after it in place, growing the buffer.
		 */
		want = h + room;
		if (want > fr->cap) {
			grow = fr->cap * 2;
			if (grow > fr->max_line + 1 + FRAMER_CHUNK)
				grow = fr->max_line + 1 + FRAMER_CHUNK;
			if (grow > want && (pl == NULL || pl->leader == fr ||
			    pl->held + (grow - fr->cap) <= pl->max))
				want = grow;
			framer_resize(fr, want);
		}
		b = fr->buf;
		room = fr->cap - h;
	}
	do
		n = read(fd, b + h, room);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n;
	/* A read of another framer from the intake goes to its own buffer. */
	outer = framer_scanning;
	framer_scanning = outer || b == framer_scratch;
	s = framer_scan(fr, src, b, h + (size_t)n, h);
	framer_scanning = outer;
	framer_keep(fr, src, b + s, h + (size_t)n - s, b == fr->buf);
	/* A leader whose line ended (or was skipped) lets another lead. */
	if (pl != NULL && pl->leader == fr && fr->line != line0)
		pl->leader = NULL;
	return n;
}

uint64_t
framer_drop(struct framer *fr)
{
	fr->len = 0;
	framer_resize(fr, 0);
	if (fr->pool != NULL && fr->pool->leader == fr)
		fr->pool->leader = NULL;
	return fr->offset;
}

void
framer_finish(struct framer *fr, struct source *src)
{
	if (fr->skipping)
		fr->skipping = false;
	else if (fr->len > 0) {
		framer_emit(fr, src, fr->buf, fr->len);
		fr->offset += fr->len;
	}
	fr->len = 0;
	framer_resize(fr, 0);
	if (fr->pool != NULL && fr->pool->leader == fr)
		fr->pool->leader = NULL;
}

void
framer_feed(struct framer *fr, struct source *src, const char *buf, size_t n)
{
	const char	*p = buf, *end = buf + n, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			framer_emit(fr, src, p, (size_t)(end - p));
			break;
		}
		framer_emit(fr, src, p, (size_t)(nl - p));
		p = nl + 1;
	}
	fr->offset += n;
}
