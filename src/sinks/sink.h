/*
 * sink.h - the end of the chain: formatting records and writing stdout.
 *
 * out_* is dstream's own stdout buffer: large writes with write(2), so a
 * write error is seen (and reported) where it happens.  On EPIPE the run
 * ends quietly (see out_flush).  The sink op formats each record in the
 * chosen --format (with --stamp), and flushes stdout at every batch end.
 */
#ifndef DSTREAM_SINK_H
#define DSTREAM_SINK_H

#include <stddef.h>

#include "../ops/op.h"

/* Appends bytes to the stdout buffer (written when it fills). Returns 0 or -1. */
int	out_write(const void *, size_t);
/*
 * The stdout buffer itself, for formatting into it in place (NULL after
 * a write error); out_done after appending writes it when it is full.
 */
struct buf	*out_buf(void);
int	out_done(void);
/*
 * A batch has ended: writes the buffer out, unless held.  While held
 * (out_hold(true)), output is written only in 256 KiB pieces; the engine
 * holds it while it reads a regular file's standing content, and calls
 * out_flush_batches (which writes what ended batches left, not the batch
 * in hand) before it may wait for input.
 */
int	out_batch_end(void);
void	out_hold(bool on);
int	out_flush_batches(void);
/*
 * Writes out everything buffered.  Returns 0, or -1 after printing
 * "dstream: write error: ..." on a write error.  On EPIPE it exits the
 * process quietly (the reader is gone; nothing is advanced).
 */
int	out_flush(void);

/*
 * The sink op for FORMAT, with --stamp when STAMP; it counts the records
 * it writes in COUNTERS (the run's).  It is always the last op of the
 * chain.
 */
struct op	*sink_create(enum out_format format, bool stamp,
		    struct counters *counters);

/*
 * Appends V to B in FORMAT (one record, no newline, no stamp): the text
 * forms of DESIGN section 6.  Spark's layout writes tuples as "(k,v)".
 */
void	sink_format(struct buf *b, enum out_format format, const struct value *v, int64_t stamp_ms, bool stamp);

#endif
