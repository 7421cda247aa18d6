/*
 * sink.h - destinations: where the rows the chain outputs go.
 *
 * Sinks see rows (struct value), not text.  Each kind of destination is
 * one struct sink_kind, a vtable in a file of its own (stdout.c, file.c
 * for -o FILE, textfiles.c for saveAsTextFiles, sqlite.c and
 * postgresql.c for the SQL databases (sql.h: what they share), kafka.c
 * for Kafka);
 * sink_open picks the kind from the destination's name.  Text
 * destinations turn rows into text with format.h, in the layout held by
 * struct sink (-f and -s, or Spark's print() layout after print).
 *
 * Who calls what:
 *
 *   - The tail op (ops/tail.c), the last op of every chain, hands the
 *     chain's output to the sink: for each batch (or window) that has
 *     output, begin(end) before its first row, row() per record,
 *     commit(end) when the chain flushes that end.  A batch with no rows
 *     still gets begin and commit (spark prints an empty batch's header).
 *     Batches never interleave: a begin is followed by its commit before
 *     the next begin.  END is the batch or window end, in epoch ms.
 *   - The engine calls sink_hold (while it reads a regular file's
 *     standing content, batches end far faster than anyone could watch)
 *     and sink_flush_ended before it may wait for input, before a --stats
 *     line and at the end of the run, also when the run fails (ended
 *     batches are written; the batch in hand, begun and not committed,
 *     is not).
 *   - The engine owns the sink: engine_output opens it once the command
 *     line has passed every usage check (a usage error opens nothing),
 *     hands it to the chain's tail (chain_sink), and engine_free closes
 *     it.  A checkpoint (issue 11) calls sink_flush_ended, then save,
 *     and records a position only after it.
 *   - The engine hands the sink its stop flag (sink_watch): a kind that
 *     waits for its destination gives up at a stop (sink_give_up), and
 *     the engine, seeing sink_stopped, ends the run with 128 plus the
 *     signal's number instead of 1.
 *
 * What commit promises: it is the durability point of the batch.  Once
 * commit (and, while held, the sink_flush_ended after it) has returned 0,
 * the batch's rows are at the destination: written to stdout, appended
 * and fsynced for a file, a committed transaction for SQL and Kafka.  A
 * batch begun and never committed is dropped (rolled back) by close:
 * all of it for a transactional destination, what is still buffered of
 * it for stdout (whose buffer goes out whenever it fills).
 * Every function returns 0, or -1 after reporting the error itself
 * (stdout: "dstream: write error: ..."), which stops the run with status
 * 1; a destination that failed refuses every later call.
 *
 * What save and load hold: the destination's position, for checkpoints.
 * save appends to a buffer, with state/snap.h's writers, what load needs
 * to bring the destination back to its state after the last commit (a
 * file's length, to cut it back to; a transactional destination's last
 * committed batch end); load reads it back with snap.h's readers.
 * stdout is at-least-once and has no position: its save and load do
 * nothing.  saveAsTextFiles' files need none either (a replayed batch
 * rewrites its own file whole).
 *
 * Checkpoints inside a destination's own transaction (SQL, Kafka): a
 * kind may keep the checkpoint in the same transaction as the rows, so
 * that rows and input positions are committed together or not at all.
 * Such a kind sets commit_checkpoint and stored_checkpoint (stdout,
 * files and saveAsTextFiles leave them NULL).  engine/checkpoint.c
 * drives them:
 *
 *   - With --checkpoint, once before the first batch and before
 *     stored_checkpoint, the engine sets sink->checkpointed and the
 *     checkpoint's name (sink_checkpointed).  From then on the kind's
 *     commit(end) ends the batch inside a transaction it keeps open
 *     (its rows written, not committed), and the transaction spans
 *     the batches until the next commit_checkpoint.
 *   - At each checkpoint (every --checkpoint-every, and at exit) the
 *     checkpoint module first calls sink_flush_ended, then save (the
 *     position after the last batch, in the bytes), builds the whole
 *     checkpoint, and calls commit_checkpoint(sink, end, bytes, len):
 *     it commits, in one transaction, the rows of every batch since
 *     the last call and BYTES[0..LEN), the checkpoint (END is the last
 *     batch end committed by commit, -1 for the checkpoint a first run
 *     writes before its first batch; SQL: a row of a table
 *     dstream_checkpoint in the same database; Kafka: the bytes as
 *     messages of the topic TOPIC.dstream-checkpoint in the
 *     transaction, then the commit).  OFFS[0..NOFFS) are the inputs'
 *     positions as their own systems keep them, asked of the sources
 *     after save (sources/source.h's txn_offsets; borrowed for the
 *     call): Kafka consumer groups' offsets (kafka/kafka.h), which a
 *     Kafka destination on the same brokers as the input commits in
 *     the same transaction (send_offsets_to_transaction), so that
 *     rows, checkpoint and group offsets commit together; other kinds,
 *     and a Kafka destination on other brokers, leave them to the
 *     sources' checkpointed().  Then the module
 *     writes the same bytes to the checkpoint folder.  Returns 0, or
 *     -1 after reporting (the run stops with status 1; close rolls the
 *     open transaction back, and the checkpoint stays where it was).
 *   - At resume, before load, stored_checkpoint appends to OUT the
 *     bytes of the last commit_checkpoint that committed (OUT left
 *     empty when the destination holds none) and returns 0, or -1 with
 *     *CAUSE set (caller frees).  The checkpoint module keeps the newer
 *     of those bytes and the folder's (each holds a sequence number),
 *     so a crash between the transaction and the folder's write loses
 *     nothing; load then gets the position from the chosen bytes.
 *
 * Without --checkpoint (checkpointed false) such a kind commits at
 * commit, as every other kind does.
 */
#ifndef DSTREAM_SINK_H
#define DSTREAM_SINK_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "../dstream.h"

struct kafka_offsets;
struct sink;
struct snap_rd;

struct sink_kind {
	const char	*name;		/* "stdout" */
	/*
	 * Opens the destination DEST (the -o argument; "-" for stdout)
	 * laying text out in FORMAT, with the batch end first when STAMP.
	 * Returns the sink, or NULL with *CAUSE set (caller frees).
	 */
	struct sink	*(*open)(const struct sink_kind *, const char *dest,
			    enum out_format format, bool stamp, char **cause);
	/* The batch or window ending at END_MS starts its output. */
	int	(*begin)(struct sink *, int64_t end_ms);
	/*
	 * One row of the batch begun, valid only during the call (the sink
	 * copies what it keeps).  END_MS is the batch end again, for
	 * destinations that stamp every row.
	 */
	int	(*row)(struct sink *, const struct value *v, int64_t end_ms);
	/* The batch ending at END_MS is complete: make it durable. */
	int	(*commit)(struct sink *, int64_t end_ms);
	/*
	 * Writes what committed batches left buffered (while held, commits
	 * may be gathered into large writes); the batch in hand stays.
	 */
	int	(*flush_ended)(struct sink *);
	/*
	 * How long, in ms, until flush_ended has something to do again
	 * without a new commit (-f top: a frame that waits for its slot),
	 * or -1: nothing.  The engine's loop sleeps no longer than that.
	 * NULL: always -1.
	 */
	int	(*wake_ms)(struct sink *);
	/*
	 * The destination's position after the last commit (see above):
	 * save appends it to B; load takes it back from R and returns -1
	 * with the cause recorded in R (snap_fail) when it cannot.
	 */
	int	(*save)(struct sink *, struct buf *b);
	int	(*load)(struct sink *, struct snap_rd *r);
	/*
	 * The checkpoint inside the destination's transaction (see above);
	 * both NULL for destinations without transactions.
	 */
	int	(*commit_checkpoint)(struct sink *, int64_t end_ms,
		    const void *bytes, size_t len,
		    const struct kafka_offsets *const *offs, size_t noffs);
	int	(*stored_checkpoint)(struct sink *, struct buf *out,
		    char **cause);
	/*
	 * Where stored_checkpoint's copy is and how it is removed, for
	 * the message that tells how to start afresh (caller frees).
	 */
	char	*(*stored_where)(struct sink *);
	/*
	 * --checkpoint is on (sink_checkpointed): a destination that a
	 * resume cuts back to its checkpointed position takes it for this
	 * run alone (the file: an exclusive lock).  Returns 0, or -1 with
	 * *CAUSE set.  NULL: nothing to take.
	 */
	int	(*own)(struct sink *, char **cause);
	/* Drops a batch begun and not committed, and frees the sink. */
	void	(*close)(struct sink *);
};

/*
 * What every sink starts with; a kind's own struct embeds it first.
 * The layout fields matter to text destinations only.
 */
struct sink {
	const struct sink_kind	*kind;
	enum out_format		 format;	/* -f, or FMT_SPARK after print */
	bool			 stamp;		/* -s */
	bool			 held;		/* sink_hold */
	/*
	 * --checkpoint is on (sink_checkpointed): a kind with
	 * commit_checkpoint keeps its transaction open across commits.
	 */
	bool			 checkpointed;
	/*
	 * The checkpoint's stable name (its folder's absolute path), set
	 * with checkpointed: a Kafka destination derives its
	 * transactional.id from it.  Owned by the sink.
	 */
	char			*ckpt_name;
	/*
	 * The batch in hand was cut short (print N had more rows): text
	 * layouts end it with "...".  Set by the tail before commit;
	 * cleared by the kind's commit.
	 */
	bool			 cut;
	/*
	 * The run's stop flag (sink_watch; NULL: none): non-zero, the
	 * number of the SIGINT or SIGTERM that asked the run to stop.  A
	 * kind that waits for its destination (PostgreSQL reconnecting,
	 * SQLite locked by another writer, Kafka deliveries retried)
	 * watches it while it waits, and when it is set gives up at once
	 * (sink_give_up): what the destination had not taken stays
	 * unwritten, and every later call fails, as after an error.
	 */
	const volatile sig_atomic_t *halt;
	/*
	 * The kind gave up because of HALT (sink_give_up), not an error:
	 * the engine ends the run with 128 plus the signal's number, as a
	 * stop that cut the output short.
	 */
	bool			 stopped;
};

/*
 * The kinds of destination (stdout.c, file.c, textfiles.c, top.c,
 * sqlite.c, postgresql.c).
 */
extern const struct sink_kind	sink_stdout;
extern const struct sink_kind	sink_top;
extern const struct sink_kind	sink_file;
extern const struct sink_kind	sink_textfiles;
extern const struct sink_kind	sink_sqlite;
extern const struct sink_kind	sink_postgresql;
extern const struct sink_kind	sink_kafka;	/* kafka.c */

/*
 * The Kafka destination DEST ("kafka://BROKERS/TOPIC", kafka.c) with the
 * run's -X properties from CFG (NULL: none).  Returns NULL with *CAUSE
 * set when the URL or a property is refused, or when dstream was built
 * without Kafka.
 */
struct sink	*sink_kafka_open(const char *dest, const struct config *cfg,
		    char **cause);

/*
 * saveAsTextFiles' destination (textfiles.c): each batch to its own
 * file PREFIX-<end ms>[.SUFFIX] (SUFFIX may be NULL), written whole to
 * a temporary name and renamed at commit.  Checks that PREFIX's folder
 * is there and writable; returns NULL with *CAUSE set when it is not.
 */
struct sink	*sink_textfiles_open(const char *prefix, const char *suffix,
		    enum out_format format, bool stamp, char **cause);

/*
 * Opens DEST with the kind its name says ("-": stdout).  Returns NULL
 * with *CAUSE set when DEST is unknown or cannot be opened.
 */
struct sink	*sink_open(const char *dest, enum out_format format, bool stamp,
		    char **cause);
/*
 * Puts the terminal back as it was when -f top drew on it (its cursor,
 * the normal screen).  Async-signal-safe: for a signal that ends the
 * run at once.
 */
void		 sink_top_restore(void);
/*
 * Lays the text out in FORMAT from now on: print asks for Spark's
 * layout whatever -f says (set by chain_sink).
 */
void		 sink_layout(struct sink *, enum out_format format);
/*
 * The sink watches HALT, the run's stop flag (a signal's number, or 0),
 * while it waits for its destination (see struct sink).
 */
void		 sink_watch(struct sink *, const volatile sig_atomic_t *halt);
/* Whether a stop was asked (the flag sink_watch gave is set). */
static inline bool
sink_halted(const struct sink *s)
{
	return s->halt != NULL && *s->halt != 0;
}
/*
 * A kind waiting for its destination gives up because a stop was asked:
 * reports, naming the destination SHOWN, that the stop came WHILE (the
 * server is away, ...) and that ROWS rows were not written (0: not
 * said); sets stopped.  Returns -1.
 */
int		 sink_give_up(struct sink *, const char *shown, const char *while_,
		    size_t rows);
/* Whether the sink gave up because of a stop (sink_give_up). */
bool		 sink_stopped(const struct sink *);
/* While ON, commits may be gathered until sink_flush_ended. */
void		 sink_hold(struct sink *, bool on);
int		 sink_flush_ended(struct sink *);
int		 sink_wake_ms(struct sink *);
int		 sink_save(struct sink *, struct buf *);
int		 sink_load(struct sink *, struct snap_rd *);
/*
 * The run checkpoints (see above), into the checkpoint named NAME (its
 * folder's absolute path: the same on every resume); before the first
 * batch and before stored_checkpoint (a Kafka destination fences its
 * killed predecessor with it before reading its checkpoint back).
 */
int		 sink_checkpointed(struct sink *, const char *name, char **cause);
/*
 * The lock that keeps two runs from cutting each other's lines off a
 * file they append to (-o FILE, --late-file; WHAT names the option):
 * a run without --checkpoint holds it shared, so such runs may append
 * to one file together, and a run with --checkpoint, whose resume cuts
 * the file back to the checkpoint's length, holds it alone.  Only a
 * regular file is locked; a file system without flock is not.  Returns
 * 0, or -1 with *CAUSE set when another run holds the file otherwise.
 */
int		 sink_file_lock(int fd, const char *what, const char *path,
		    bool exclusive, char **cause);
/* Whether S keeps the checkpoint in its own transaction. */
bool		 sink_transactional(const struct sink *);
/*
 * commit_checkpoint and stored_checkpoint; for a kind without them,
 * the first does nothing (returns 0) and the second leaves OUT empty.
 */
int		 sink_commit_checkpoint(struct sink *, int64_t end_ms,
		    const void *bytes, size_t len,
		    const struct kafka_offsets *const *offs, size_t noffs);
int		 sink_stored_checkpoint(struct sink *, struct buf *out,
		    char **cause);
/* stored_where, or NULL for a kind without a copy (caller frees). */
char		*sink_stored_where(struct sink *);
/*
 * DEST as messages and checkpoints may show it: a copy (caller frees)
 * with the passwords of a database URI masked (sql.h's sql_mask).
 */
char		*sink_shown(const char *dest);
/* Closes and frees S (NULL is allowed). */
void		 sink_close(struct sink *);

/* The tail's calls, inline: one indirect call per row, no more. */
static inline int
sink_begin(struct sink *s, int64_t end_ms)
{
	return s->kind->begin(s, end_ms);
}

static inline int
sink_row(struct sink *s, const struct value *v, int64_t end_ms)
{
	return s->kind->row(s, v, end_ms);
}

static inline int
sink_commit(struct sink *s, int64_t end_ms)
{
	return s->kind->commit(s, end_ms);
}

#endif
