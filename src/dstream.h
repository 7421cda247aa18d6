/*
 * dstream.h - what every part of dstream shares: exit codes, the shape of
 * the run's configuration and counters, fatal allocation, and per-record
 * error reporting.
 *
 * main.c owns the run's struct config and its run-wide struct counters
 * and hands each module what it needs: the engine and the chain get the
 * config, each input (struct source) keeps counters of its own, and
 * --stats and the exit summary add them up.
 */
#ifndef DSTREAM_H
#define DSTREAM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "state/arena.h"
#include "state/buf.h"
#include "state/value.h"

#define EXIT_OK		0
#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

/* FMT_TOP: -f top, plain where no terminal is drawn on (sinks/top.c). */
enum out_format { FMT_PLAIN, FMT_TSV, FMT_CSV, FMT_JSON, FMT_SPARK, FMT_TOP };
enum on_error { ONERR_SKIP, ONERR_FAIL };

/* The run's settings, filled by main from the command line (main owns them). */
struct config {
	int64_t		 batch_ms;	/* --batch */
	bool		 follow;	/* --follow */
	const char	*event_time;	/* --event-time EXPR, or NULL */
	const char	*time_format;	/* --time-format, or NULL (auto) */
	int64_t		 watermark_ms;	/* --watermark */
	int64_t		 idle_ms;	/* --idle (default: batch_ms) */
	const char	*late_file;	/* --late-file, or NULL */
	bool		 json;		/* --json */
	const char	*delim;		/* -d, or NULL for runs of blanks */
	bool		 csv;		/* --csv */
	bool		 header;	/* --header */
	enum out_format	 format;	/* --format */
	bool		 stamp;		/* --stamp */
	const char	*checkpoint;	/* --checkpoint, or NULL */
	bool		 final;		/* --final */
	int64_t		 checkpoint_every_ms; /* --checkpoint-every (default 1s) */
	size_t		 max_line;	/* --max-line */
	enum on_error	 on_error;	/* --on-error */
	bool		 stats;		/* --stats */
	bool		 from_start;	/* --from-start (dir://) */
	int		 max_clients;	/* --max-clients */
	size_t		 max_buffered;	/* --max-buffered */
	const char	**kafka_props;	/* -X PROP=VAL, checked by main */
	size_t		 nkafka_props;
};

extern const char	*progname;

/* The wall clock in epoch milliseconds (the loop's and the sources' timers). */
static inline int64_t
clock_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Allocation failure is fatal here and nowhere else. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 xvasprintf(char **, const char *, va_list);

/*
 * Counters shown by --stats and the exit summary: one set per input
 * (struct source), and one for the run (records out, and what happens
 * outside any input's record, as a window emits).
 */
struct counters {
	uint64_t	 records_in;
	uint64_t	 records_out;
	uint64_t	 late;
	uint64_t	 skipped;	/* per-record errors */
	uint64_t	 long_lines;	/* over --max-line */
};
/* Adds every counter of C to SUM. */
void	 counters_add(struct counters *sum, const struct counters *c);

/*
 * Per-record errors (bad shape, failed expression, bad JSON, bad time).
 * record_error counts the error and prints "dstream: WHAT: MSG (SRC:LINE)"
 * with the record's origin when known, at most a bounded number of times
 * per run (then a summary at exit).  Returns 0 to skip the record, or -1
 * when --on-error fail asks the run to stop (status 1).  V, when not NULL,
 * is shown (truncated) after the message.
 */
int	 record_error(const char *what, const struct value *v, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * At exit: for each kind of record error with some not shown, its count;
 * then the totals (TOTAL: the run's and every input's counters added up),
 * when errors of several kinds or more than 100 long lines went unshown;
 * then the count of late records, if any, naming LATE_FILE (--late-file)
 * when not NULL.
 */
void	 record_errors_summary(const struct counters *total,
	    const char *late_file);
/*
 * Sets, once before the run, the --on-error policy and the run-wide
 * counters (owned by the caller) that count what no input's counters do.
 */
void	 record_error_init(enum on_error, struct counters *run);

struct expr_header;

/*
 * What an input says of its records, for the `input` variable and the
 * `meta` object of expressions.  Each source holds one (struct source's
 * meta) and keeps its fields current as it reads: a folder's file, a
 * listening socket's client, a datagram's sender.  The strings belong to
 * the source and stay valid while it delivers the record; the clock
 * copies the whole (ext deeply) for records that wait for their batch.
 * Only when some expression reads input or meta (expr_uses_origin) does
 * the decoding step point cur_origin.meta at it, so a pipeline that
 * does not pays one test per record.
 */
struct origin_meta {
	const char		*input;	/* -i NAME=SRC's NAME, or SRC */
	const char		*file;	/* meta.file: the file read, or NULL */
	const char		*peer;	/* meta.peer: the socket's other end,
					 * "ADDR:PORT" or a path, or NULL */
	bool			 lines;	/* meta.line is cur_origin.line */
	/*
	 * More members of meta, an object (Kafka's topic partition offset
	 * key timestamp headers), or NULL.  A message source that knows
	 * such things points this at an object it builds for each record
	 * in the decoder's arena, before calling decode_record.
	 */
	const struct value	*ext;
};

/*
 * Where the record in flight came from, for messages and $name (set by
 * the decoding step, kept with records that wait for their batch).
 */
struct origin {
	const char	*name;		/* "stdin", a path, "tcp://..." */
	uint64_t	 line;		/* 1-based, 0 when unknown */
	struct counters	*counters;	/* its input's, or NULL */
	const struct expr_header *hdr;	/* its input's --header names, or NULL */
	const struct origin_meta *meta;	/* input and meta, or NULL: not
					 * asked for, or no input's record */
	/*
	 * In event time, the record's own time (ms), for the operators
	 * that place records finer than their batch (session windows);
	 * timed is false in processing time and for what operators emit
	 * at a batch end.
	 */
	int64_t		 time_ms;
	bool		 timed;
	/* The Kafka partition's number plus one; 0 for other inputs and
	 * for what operators emit at a batch end (engine/rebuild.c). */
	int32_t		 kpart;
};
extern struct origin	cur_origin;

/*
 * The counters of the record in flight: its input's, or the run's when
 * it came from no input (a window emitting at its end).
 */
struct counters	*origin_counters(void);

#endif
