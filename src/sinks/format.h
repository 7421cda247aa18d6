/*
 * format.h - rows into text for the text destinations (stdout, files).
 *
 * Pure functions: each appends to a buffer the text of one row, or of
 * the start or end of a batch, in the given --format (format.c lists
 * the forms).  A text destination writes, for each batch:
 *
 *     format_begin(b, format, end)
 *     format_row(b, format, row, end, stamp) and '\n', for each row
 *     format_end(b, format, cut)
 */
#ifndef DSTREAM_FORMAT_H
#define DSTREAM_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#include "../dstream.h"

/* The forms one by one (format.c); format_row picks one. */
/* Appends the batch end MS as RFC 3339 UTC (--stamp, json's time). */
void	format_stamp(struct buf *b, int64_t ms);
/*
 * The last stamp formatted, a tab after it: the rows of a batch or
 * window share their stamp, so a row's costs a compare and a copy.
 * format_memo_set formats MS into it.
 */
struct format_memo {
	int64_t	 ms;
	size_t	 len;		/* with the tab */
	bool	 have;
	char	 text[72];
};
extern struct format_memo format_memo;
void	format_memo_set(int64_t ms);

/* format_stamp and a tab (plain's first column), inline. */
static inline void
format_stamp_tab(struct buf *b, int64_t ms)
{
	if (!format_memo.have || ms != format_memo.ms)
		format_memo_set(ms);
	buf_add(b, format_memo.text, format_memo.len);
}
/* tsv or csv fields: one per tuple element, else one. */
void	format_delimited(struct buf *b, enum out_format format,
	    const struct value *v, int64_t stamp_ms, bool stamp);
/* {"time":T,"key":K,"value":V} for a pair, {"time":T,"value":V} else. */
void	format_json(struct buf *b, const struct value *v, int64_t stamp_ms);
/* Scala's toString: (k,v), Java's doubles, [a, b]. */
void	format_spark(struct buf *b, const struct value *v);

/*
 * Appends V to B in FORMAT: one record, without its newline, the batch
 * or window end STAMP_MS first when STAMP (plain, tsv, csv) and in the
 * object (json).  Inline, so that a destination's row function calls
 * the form's own function and no other.
 */
static inline void
format_row(struct buf *b, enum out_format format, const struct value *v,
    int64_t stamp_ms, bool stamp)
{
	switch (format) {
	case FMT_PLAIN:
	case FMT_TOP:		/* plain when not drawn on a terminal */
		if (stamp)
			format_stamp_tab(b, stamp_ms);
		value_fmt_plain(b, v);
		break;
	case FMT_TSV:
	case FMT_CSV:
		format_delimited(b, format, v, stamp_ms, stamp);
		break;
	case FMT_JSON:
		format_json(b, v, stamp_ms);
		break;
	case FMT_SPARK:
		format_spark(b, v);
		break;
	}
}

/*
 * format_row and the newline: one line of a text destination.  Plain
 * rows go to value_fmt_line, the stamp with them, written at once.
 */
static inline void
format_line(struct buf *b, enum out_format format, const struct value *v,
    int64_t stamp_ms, bool stamp)
{
	if (format == FMT_PLAIN || format == FMT_TOP) {
		if (!stamp) {
			value_fmt_line(b, NULL, 0, v);
			return;
		}
		if (!format_memo.have || stamp_ms != format_memo.ms)
			format_memo_set(stamp_ms);
		value_fmt_line(b, format_memo.text, format_memo.len, v);
		return;
	}
	format_row(b, format, v, stamp_ms, stamp);
	buf_addc(b, '\n');
}

/*
 * Appends Spark's batch header: a line of 43 dashes, "Time: <END_MS>
 * ms", the dashes again.  The one place it is written, for the spark
 * format and print alike.
 */
void	format_spark_header(struct buf *b, int64_t end_ms);
/* Appends what comes before the rows of the batch ending at END_MS. */
void	format_begin(struct buf *b, enum out_format format, int64_t end_ms);
/*
 * Appends what closes a batch: in spark, "..." when CUT (print had more
 * rows than it shows) and an empty line; nothing in the other formats.
 */
void	format_end(struct buf *b, enum out_format format, bool cut);
/* Frees the scratch memory format_row keeps between calls. */
void	format_free(void);

#endif
