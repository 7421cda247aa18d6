/*
 * clock.h - time without I/O: batch ends, the watermark, records waiting
 * for their batch, late records and the drain at end of input.
 *
 * The engine owns the loop and the chain; the clock only decides.  The
 * engine tells it the wall time (clock_tick), each record's event time
 * (clock_record) and the end of input (clock_finish); the clock answers
 * with what to do with the record and, through the hooks the engine gave
 * it, pushes waiting records and flushes complete batches in time order.
 *
 * Processing time: a record belongs to the batch open when it arrives
 * (clock_open_end); batches end on the wall clock, except while a regular
 * file is read (its content arrived when it was opened).
 *
 * Event time: a record belongs to the batch of its own time.  Inputs
 * register with the clock (clock_input_add: a file, a socket, later a
 * Kafka partition) and each record names its input.  The stream is their
 * union (DESIGN section 4, Structured Streaming's rule): each input has
 * its own watermark, its largest time minus --watermark, and the stream's
 * watermark is the smallest among the inputs that hold it:
 *
 *  - an input that has ended holds nothing;
 *  - an input that has delivered no record yet holds the watermark at
 *    the beginning of time, so nothing is complete before it speaks;
 *  - a stream input (a pipe, a socket, a followed file) that has been
 *    silent for --idle of wall clock, or has never spoken for --idle
 *    since the start, stops holding it until it delivers a record that
 *    is not late (Flink's idle sources): a silent socket never stalls
 *    the stream;
 *  - a file input is never silent: it is read when the clock says
 *    (clock_next_file), by turns with the other files, the one whose
 *    watermark is smallest first, so that files far apart in size but
 *    close in time are held in memory only as far as their times differ.
 *
 * When no input holds the watermark it is the largest time seen minus
 * --watermark, and once every input has been silent for --idle it runs
 * on with the wall clock from there.  The batch ending at T is complete
 * once the watermark reaches T.
 */
#ifndef DSTREAM_CLOCK_H
#define DSTREAM_CLOCK_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "../dstream.h"

struct clock;
struct clock_input;
struct snap_rd;

/*
 * What the clock calls back; CTX is the engine's.  While *STOP is true
 * (the run is failing) the clock flushes nothing more.  Once *HALT (a
 * signal handler's flag; may be NULL) is not 0, a drain at end of input
 * is cut short (clock_finish).
 */
struct clock_hooks {
	void		*ctx;
	const bool	*stop;
	/*
	 * Pushes the waiting record V, which came from O, into the batch
	 * ending at END.  V and O's name live in the clock's memory until the
	 * hook returns.
	 */
	void	(*push)(void *ctx, struct value *v, const struct origin *o,
		    int64_t end);
	/* The batch ending at END is complete. */
	void	(*flush)(void *ctx, int64_t end);
	/*
	 * Event time jumped from FROM to TO over more than GAP_MAX empty
	 * batches, which are not flushed one by one (TO is, next).  May be NULL.
	 */
	void	(*skip)(void *ctx, int64_t from, int64_t to);
	const volatile sig_atomic_t *halt;
};

struct clock_config {
	int64_t	 batch_ms;	/* B: batches are [end - B, end) */
	int64_t	 span_ms;	/* how long the chain's windows hold data */
	bool	 event;		/* event time (else processing time) */
	int64_t	 watermark_ms;	/* --watermark */
	int64_t	 idle_ms;	/* --idle: a silent stream's clock runs on after it */
	int64_t	 settle_ms;	/* a stop's drain: chain_settle (ops/op.h) */
	/*
	 * Event time with --checkpoint: a checkpoint is taken only where
	 * the chain is at a batch boundary (clock_boundary), so records
	 * go into the chain at once only where one is sure to come: in
	 * batches this run will flush (clock_sure) and while no checkpoint
	 * waits for one (clock_keep).  The others wait in the clock until
	 * their batch is flushed, and clock_save holds them.
	 */
	bool	 hold;
};

/* What clock_record says of a record, with CLOCK_DUE or'ed in. */
enum clock_place {
	CLOCK_LATE = 0,		/* its batch was flushed: late */
	CLOCK_PUSH = 1,		/* in the earliest open batch: push it now */
	CLOCK_PEND = 2,		/* the clock keeps a copy until its batch opens */
	CLOCK_DUE = 4		/* then call clock_advance: a batch is complete */
};
#define CLOCK_PLACE(r)	((r) & 3)

/* Returns a clock; the hooks are copied.  Event time needs an input added. */
struct clock	*clock_new(const struct clock_config *, const struct clock_hooks *);
/* Frees the clock, the records still waiting and its inputs. */
void		 clock_free(struct clock *);
/* The kinds of input, for the event-time watermark. */
enum clock_input_kind {
	CLOCK_FILE,	/* finite, read when clock_next_file names it */
	CLOCK_STREAM	/* delivers when it likes; may fall silent (--idle) */
};

/* Registers an input of kind KIND; the clock owns it.  Returns it. */
struct clock_input *clock_input_add(struct clock *, enum clock_input_kind);
/*
 * Registers an input that joins the running stream at wall time NOW (a
 * Kafka partition assigned mid-run): as clock_input_add, but its --idle
 * clock starts at NOW, so it holds the watermark for --idle before it is
 * taken as silent.  Its state is not in clock_save: its source keeps it
 * in its own position (clock_input_save, clock_input_load), since it
 * comes and goes with the source's assignments.
 */
struct clock_input *clock_input_add_at(struct clock *,
		    enum clock_input_kind, int64_t now);
/* Appends IN's event-time progress to B (what clock_save keeps of an input). */
void		 clock_input_save(const struct clock_input *, struct buf *b);
/*
 * Takes back what clock_input_save wrote into IN, an input of C.
 * Returns 0, or -1 with the cause in R.
 */
int		 clock_input_load(struct clock *, struct clock_input *,
		    struct snap_rd *r);
/*
 * The input has ended: it delivers nothing more.  In event time it stops
 * holding the watermark back, and the batches it held are flushed.
 */
void		 clock_input_end(struct clock *, struct clock_input *);
/*
 * While ON, IN does not fall silent (--idle): it holds the watermark
 * whatever the wall clock says (a Kafka partition reading again what a
 * rebuild dropped: its records are coming, engine/rebuild.c).  Turned
 * off at NOW, its --idle clock starts then.
 */
void		 clock_input_wait(struct clock_input *, bool on, int64_t now);

/* ---- processing time ---- */

/*
 * Opens the batch holding NOW (the run starts); the --idle clocks of the
 * inputs start at NOW too.
 */
void		 clock_start(struct clock *, int64_t now);
/* Returns the end of the open batch, the one a record arriving now joins. */
int64_t		 clock_open_end(const struct clock *);

/* ---- event time ---- */

/*
 * Places a record of input IN with event time MS: returns CLOCK_LATE,
 * CLOCK_PUSH (the caller pushes it into the batch *END now) or CLOCK_PEND
 * (V and O were copied; the clock pushes them when their batch opens),
 * with CLOCK_DUE added when the watermark has passed a batch end: the
 * caller then calls clock_advance, after pushing.  *END is the batch end.
 */
int		 clock_record(struct clock *, struct clock_input *in,
		    int64_t ms, const struct value *v, const struct origin *o,
		    int64_t *end);
/* Flushes every batch the watermark has passed, in order. */
void		 clock_advance(struct clock *);
/* The stream's watermark: batches ending at or before it are complete. */
int64_t		 clock_watermark(const struct clock *);
/*
 * Returns the file input (CLOCK_FILE) to read next: of those not ended,
 * the one whose watermark is smallest (one that has delivered nothing
 * first; the first registered on a tie), or NULL when none is left.  The
 * caller reads a bounded chunk of it, then asks again.
 */
struct clock_input *clock_next_file(const struct clock *);
/* How many records wait for their batch. */
size_t		 clock_pending(const struct clock *);

/*
 * With hold: the batches ending at or before END will be flushed in
 * this run whatever happens (its inputs are files that hold records so
 * late: the watermark passes END by their end), so their records may go
 * into the chain at once.  Until it is said, none is sure.
 */
void		 clock_sure(struct clock *, int64_t end);
/*
 * ON: from now on every record waits in the clock until its batch is
 * flushed, so the chain comes to a batch boundary at the next flush and
 * stays there (a checkpoint is due, a stop).  Off: records of the batch
 * in hand go into the chain again (those that waited first), within
 * clock_sure's limit.  Not called while the clock is flushing.
 */
void		 clock_keep(struct clock *, bool on);
/*
 * Whether the chain is at a batch boundary: no record of a batch not
 * flushed is in it (each is in a flushed batch or waits in the clock),
 * so a checkpoint may be taken.  Always true in processing time, where
 * the engine takes it right after a flush.
 */
bool		 clock_boundary(const struct clock *);

/* ---- both ---- */

/*
 * The wall clock reads NOW.  READING: a regular file is being read (the
 * processing-time clock does not cut batches).  In event time, a stream
 * input silent for --idle stops holding the watermark, and when every
 * input that has not ended is silent the watermark runs on by the wall
 * clock.  Flushes the batches that ended.
 */
void		 clock_tick(struct clock *, int64_t now, bool reading);
/*
 * Once per turn of the loop: when records were placed since the last
 * call, NOW is the wall time of the latest, for the stream and for each
 * input that delivered (their --idle clocks start again).
 */
void		 clock_arrived(struct clock *, int64_t now);
/*
 * Returns how many ms the loop may sleep before the clock needs a tick
 * (0 for at once), or -1 for as long as it likes.  Notes the inputs that
 * have fallen silent by NOW (as clock_tick does, without flushing).
 */
int64_t		 clock_wake(struct clock *, int64_t now, bool reading);
/*
 * Returns the end of the first batch not yet complete: the open batch in
 * processing time, in event time the earliest the watermark has not
 * passed (-1 before any record).  At a stop, output from there on is
 * partial.
 */
int64_t		 clock_partial_from(const struct clock *);
/*
 * Every input has ended, or a stop was asked: flushes the batches still
 * open (every one holding records) and then the empty ones after them for
 * the chain's span so that windows slide out of their data (the trailing
 * windows).  Without DRAIN (a stop), or once *HALT is set during it, the
 * drain goes only settle_ms past the last batch with records, so that
 * each window holding records is emitted once; the rest of the trailing
 * windows are left out.  Returns the end of the last batch flushed when
 * trailing windows were left out, else -1.
 */
int64_t		 clock_finish(struct clock *, bool drain);

/* ---- checkpoints ---- */

/*
 * The run ends with a checkpoint and without the drain (cron mode, a
 * stop): in processing time the open batch is flushed (what was read is
 * processed); in event time nothing more is (the batches the watermark
 * passed are flushed already, the others wait in the checkpoint).
 */
void		 clock_end_here(struct clock *);
/*
 * Appends the clock's state to B at a batch boundary (clock_boundary;
 * never while the clock is flushing): the event-time
 * progress, each input's watermark, and the records waiting for their
 * batch with their origins (their event times included).  CTR[0..nctr)
 * are the inputs' counters, in the order of clock_input_add, by which an
 * origin names its input.
 * Returns 0, or -1 with *CAUSE set (a value nesting too deep).
 */
int		 clock_save(const struct clock *, struct buf *b,
		    struct counters *const *ctr, size_t nctr, char **cause);
/*
 * Reads what clock_save wrote into a clock built with the same settings
 * and inputs, before the run.  Returns 0, or -1 with the cause in R.
 */
int		 clock_load(struct clock *, struct snap_rd *r,
		    struct counters *const *ctr, size_t nctr);

#endif
