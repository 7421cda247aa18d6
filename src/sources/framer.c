/*
 * framer.c - cutting bytes into lines.
 *
 * One framer per byte stream (a file, a connection).  It reads in large
 * chunks and finds newlines with memchr; each complete line is handed to
 * the decoding step (decode.c) in place, without a copy.  A partial line at the end of the
 * buffer is moved to the front before the next read; the buffer grows
 * only as far as --max-line needs.  A longer line is skipped up to its
 * newline, counted, and reported with its origin and line number.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dstream.h"
#include "source.h"

#define FRAMER_CHUNK	(256 * 1024)
#define LONG_REPORT_MAX	100

static uint64_t	long_reported;

void
framer_init(struct framer *fr, size_t max_line)
{
	memset(fr, 0, sizeof *fr);
	fr->max_line = max_line;
}

void
framer_free(struct framer *fr)
{
	free(fr->buf);
	memset(fr, 0, sizeof *fr);
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
static void
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
 * Delivers every complete line in buf[start..len); what remains is a
 * partial line.  Returns nothing; fr->start moves past what was framed.
 */
static void
framer_scan(struct framer *fr, struct source *src, size_t from)
{
	char	*p, *nl, *end = fr->buf + fr->len;

	p = fr->buf + fr->start;
	if (fr->skipping) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			fr->offset += (uint64_t)(end - p);
			fr->start = fr->len = 0;
			return;
		}
		fr->skipping = false;
		fr->offset += (uint64_t)(nl + 1 - p);
		p = nl + 1;
		from = 0;
	}
	/* Bytes before FROM are known to hold no newline. */
	if (fr->buf + from > p) {
		nl = memchr(fr->buf + from, '\n', (size_t)(end - (fr->buf + from)));
	} else
		nl = memchr(p, '\n', (size_t)(end - p));
	while (nl != NULL) {
		framer_emit(fr, src, p, (size_t)(nl - p));
		fr->offset += (uint64_t)(nl + 1 - p);
		p = nl + 1;
		nl = memchr(p, '\n', (size_t)(end - p));
	}
	fr->start = (size_t)(p - fr->buf);
	if (fr->start == fr->len)
		fr->start = fr->len = 0;
}

ssize_t
framer_read(struct framer *fr, struct source *src, int fd)
{
	ssize_t	 n;
	size_t	 held, scanned;

	if (fr->buf == NULL) {
		fr->cap = FRAMER_CHUNK;
		fr->buf = xmalloc(fr->cap);
	}
	/* Move the partial line to the front. */
	if (fr->start > 0) {
		held = fr->len - fr->start;
		memmove(fr->buf, fr->buf + fr->start, held);
		fr->start = 0;
		fr->len = held;
	}
	/* Room for the longest line, its \r and its newline. */
	if (fr->len == fr->cap) {
		if (fr->cap < fr->max_line + 2) {
			fr->cap = fr->cap * 2 > fr->max_line + 2 ?
			    fr->max_line + 2 : fr->cap * 2;
			if (fr->cap < fr->len + 4096)
				fr->cap = fr->len + 4096;
			fr->buf = xrealloc(fr->buf, fr->cap);
		} else {
			/* The line in hand is already too long: drop it. */
			framer_long(fr, src, fr->line + 1);
			fr->line++;
			fr->skipping = true;
			fr->offset += fr->len;
			fr->start = fr->len = 0;
		}
	}
	scanned = fr->len;
	do
		n = read(fd, fr->buf + fr->len, fr->cap - fr->len);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n;
	fr->len += (size_t)n;
	framer_scan(fr, src, scanned);
	return n;
}

void
framer_finish(struct framer *fr, struct source *src)
{
	if (fr->skipping) {
		fr->skipping = false;
		fr->start = fr->len = 0;
		return;
	}
	if (fr->len > fr->start) {
		size_t n = fr->len - fr->start;

		framer_emit(fr, src, fr->buf + fr->start, n);
		fr->offset += n;
	}
	fr->start = fr->len = 0;
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
