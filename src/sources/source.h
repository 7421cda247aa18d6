/*
 * source.h - where lines come from.
 *
 * Each kind of input (file, stdin, tcp, udp, unix, dir, kafka) is one file in
 * src/sources/ exporting a struct source_kind.  The engine owns the event
 * loop: it asks each source for the descriptors to poll and how long it
 * may sleep, and calls ready() when poll reports activity.  A source cuts
 * bytes into lines with a framer (one per connection, so lines of
 * different clients never interleave); each line is decoded (decode.h)
 * and handed to the intake, the callback the engine installed at
 * source_open.  Sources know nothing of the engine above them.
 */
#ifndef DSTREAM_SOURCE_H
#define DSTREAM_SOURCE_H

#include <sys/stat.h>

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../dstream.h"
#include "decode.h"

struct source;

struct framer;
struct kafka_offsets;
struct snap_rd;

/*
 * The memory of partial lines shared by framers that may wait (socket
 * clients), bounded by --max-buffered: one for the run, in the intake.
 * A pooled framer keeps in its own buffer only the partial line it holds
 * (nothing between lines); held adds up those buffers.  Past max, a
 * framer holding 4 KiB or more is not read (its source does not poll
 * it: backpressure on its client), except the leader, the one holding
 * the most, which is read until a line of it ends or passes --max-line
 * (and is skipped), so the pool never stalls for want of memory.  A
 * framer holding less still reads 4 KiB at a time.  So held stays under
 * max, plus one line of --max-line and a read, plus 8 KiB a framer.
 */
struct framer_pool {
	size_t		 held;		/* bytes of the framers' buffers */
	size_t		 max;		/* --max-buffered */
	struct framer	*first;		/* its framers, a list */
	struct framer	*leader;	/* read past max, or NULL */
};

/*
 * Where sources hand their records: one for the run, filled by the
 * engine and given to source_open.
 */
struct intake {
	/*
	 * Takes the record V that SRC delivered; RAW[0..len) are its bytes
	 * (for --late-file) and cur_origin says where it came from.  V lives
	 * in dec.arena, which the callee resets.
	 */
	void		(*record)(struct intake *, struct source *src,
			    struct value *v, const char *raw, size_t len);
	struct decoder	 dec;
	bool		*failed;	/* the run's: once true, nothing more
					 * is decoded; set it to stop the run */
	struct framer_pool pool;	/* partial lines of socket clients */
	/*
	 * Set by record(): the end of the batch the record just handed in
	 * joined (at once or once the watermark lets it), or -1 when it was
	 * late.  A source that must know when its records are committed
	 * downstream (Kafka's offsets) reads it after decode_record, having
	 * set it to -1 before (a record skipped by the decoding step is
	 * done with at once).
	 */
	int64_t		 placed_end;
	/*
	 * For sources with several inputs in the clock's sense (a Kafka
	 * partition each, DESIGN section 4): input_add registers one with
	 * the engine's clock and returns its tag, input_end says it will
	 * deliver nothing more.  Such a source sets src->tag to the input's
	 * tag before each decode_record and back to NULL after.
	 */
	void		*(*input_add)(struct intake *);
	void		 (*input_end)(struct intake *, void *tag);
	/*
	 * Checkpoints of such inputs, which the clock does not save (they
	 * come and go with the source): input_save appends the clock's
	 * state of input TAG to B in the source's save(); input_load, in
	 * its load(), registers an input as input_add does and takes that
	 * state back, returning its tag, or NULL with the cause in R.
	 */
	void		 (*input_save)(struct intake *, void *tag,
			    struct buf *b);
	void		*(*input_load)(struct intake *, struct snap_rd *r);
	/*
	 * --checkpoint: writes a checkpoint now, when the chain is at a
	 * batch boundary between records (event time: records wait in the
	 * clock), so that what the source has read so far is in it (a
	 * Kafka partition handed to another member).  Returns 0 when
	 * written, -1 when it cannot be now (processing time, no
	 * --checkpoint, or the write failed: the run then fails).
	 */
	int		 (*checkpoint_now)(struct intake *);
	/*
	 * A Kafka group moving partitions in event time (engine/rebuild.c):
	 * drops the chain and the clock and makes both afresh, between
	 * records; the rebuilt chain emits no row of a batch or window
	 * ending at or before BOUND[p] of its partition p (N of them;
	 * INT64_MIN: none), nor at or before SELF a row of no partition.
	 * The inputs registered before are gone: the source registers its
	 * own again and reads them again.  Returns 0, or -1 when the run
	 * fails.  NULL when the chain cannot be rebuilt (updateStateByKey,
	 * session windows, saveAsTextFiles before a window, processing
	 * time, or more inputs than the group).
	 */
	int		 (*rebuild)(struct intake *, const int64_t *bound,
			    size_t n, int64_t self);
	/*
	 * After a rebuild: input TAG does not fall silent (--idle) while
	 * ON, as it reads again what the rebuild dropped.
	 */
	void		 (*input_wait)(struct intake *, void *tag, bool on);
	int64_t		 span_ms;	/* how long the chain holds a record */
	bool		 finishing;	/* the input is over or a stop came:
					 * batches flush without the
					 * watermark */
};

/*
 * The framer: the partial line of a byte stream and the line cutting.
 * Lines are handed out in place (pointer into a read buffer), valid
 * until the next framer call.
 */
struct framer {
	char		*buf;		/* the partial line held, or NULL */
	size_t		 cap;
	size_t		 len;		/* bytes held: buf[0..len) */
	uint64_t	 line;		/* lines delivered so far */
	bool		 skipping;	/* inside an over-long line */
	uint64_t	 offset;	/* input bytes consumed before buf[0] */
	size_t		 max_line;	/* --max-line */
	struct decode_input din;	/* this stream's header */
	struct framer_pool *pool;	/* its pool, or NULL (not bounded) */
	struct framer	*pool_prev, *pool_next;
};

/*
 * Readies FR to cut lines of at most MAX_LINE bytes, its partial line
 * counted in POOL (NULL: a file, read at its own pace).
 */
void	framer_init(struct framer *, size_t max_line, struct framer_pool *pool);
/* Frees what FR holds and takes it out of its pool. */
void	framer_free(struct framer *);
/*
 * Whether FR may be read now (its pool has room, or FR holds little, or
 * FR leads).  A source does not poll the descriptor of a paused framer,
 * and polls it again once this says so (when the pool's memory is freed).
 */
bool	framer_may_read(struct framer *);
/*
 * Reads once from FD into the framer and delivers every complete line
 * (without its newline, nor a \r before it) to the decoding step on
 * behalf of SRC.  Returns bytes read (>0), 0 at EOF, or -1 with errno set
 * (EAGAIN included, and EAGAIN when paused by its pool).  A line longer
 * than the framer's max_line is skipped, counted in SRC's counters and
 * reported with its origin; its bytes are not kept.
 */
ssize_t	framer_read(struct framer *, struct source *src, int fd);
/*
 * Frees the read buffer and forgets the bytes held (a partial line).
 * Returns the offset in the input of the first byte not delivered: the
 * caller reads again from there (a file closed to spare descriptors,
 * reopened later).  The line count and the header are kept.
 */
uint64_t framer_drop(struct framer *);
/*
 * Delivers bytes held without a final newline as a last line (at EOF or
 * disconnect) and gives back their buffer.
 */
void	framer_finish(struct framer *, struct source *src);
/* Feeds BUF[0..n) (a datagram) and delivers its lines, the last one even without newline. */
void	framer_feed(struct framer *, struct source *src, const char *buf, size_t n);

enum source_state {
	SRC_LIVE,	/* may deliver more */
	SRC_DONE	/* ended for good */
};

struct source_kind {
	const char	*scheme;	/* "tcp://", or "" for paths and "-" */
	/* Opens SPEC (without the scheme).  Returns 0, or -1 with *CAUSE set. */
	int	(*open)(struct source *, const char *spec, char **cause);
	/*
	 * Fills PFD with up to MAX descriptors to poll; returns the count.
	 * *TIMEOUT_MS may be lowered to ask for a wake-up (reconnect, poll
	 * for a followed file).
	 */
	int	(*fds)(struct source *, struct pollfd *pfd, int max, int *timeout_ms);
	/*
	 * Called after poll with the same descriptors and their revents
	 * (and also on timeouts, with revents all zero).  Reads and delivers
	 * lines.  Returns the source's state, or -1 on a fatal error (message
	 * already printed).
	 */
	int	(*ready)(struct source *, struct pollfd *pfd, int n);
	void	(*close)(struct source *);
	/*
	 * A signal stops the run: delivers what the source holds that will
	 * not grow, as its end would (the unterminated last line of a
	 * followed file, a pipe, a socket client; not of a regular file
	 * cut short, whose read cut it).  May be NULL.
	 */
	void	(*stop)(struct source *);
	/*
	 * Returns the lines read so far, for the message naming where a
	 * stop cut a finite input short.  May be NULL.
	 */
	uint64_t (*lines)(const struct source *);
	/*
	 * Checkpoints (engine/checkpoint.c), at a batch boundary: save
	 * appends the input's position with state/snap.h's writers (a
	 * file's identity and the offset after its last whole line, a
	 * folder's files done); load, before anything is read, takes it
	 * back and readies the input to go on from there (a file rotated
	 * or truncated meanwhile is reported on stderr and handled as
	 * the kind says), returning 0, or -1 with the cause in R.  NULL
	 * for inputs that cannot be read again (pipes, sockets): they
	 * have no position, and a resumed run reads what they send next.
	 */
	int	(*save)(struct source *, struct buf *b);
	int	(*load)(struct source *, struct snap_rd *r);
	/*
	 * Every batch ending at or before END has been committed by the
	 * destination (sink.h): the source may record as done what went
	 * into them (Kafka stores their offsets).  May be NULL.
	 */
	void	(*committed)(struct source *, int64_t end);
	/*
	 * The checkpoint whose position save() wrote last is durable (its
	 * file renamed into place): the source may record that position
	 * as done outside dstream (Kafka commits it to the group).  May
	 * be NULL.
	 */
	void	(*checkpointed)(struct source *);
	/*
	 * The positions save() wrote last as checkpointed() will commit
	 * them outside dstream (Kafka: the group's offsets with the
	 * checkpoint's token, and the member's group metadata;
	 * kafka/kafka.h), asked by the checkpoint module between save()
	 * and the destination's commit_checkpoint, which may commit them
	 * in its own transaction (sinks/sink.h: a Kafka destination does).
	 * NULL when there are none (no group, nothing read since the last
	 * checkpoint).  Owned by the source, valid until the next call or
	 * close.  checkpointed() commits them all the same.  May be NULL.
	 */
	const struct kafka_offsets *(*txn_offsets)(struct source *);
	/*
	 * Puts into B the last whole line the input holds now (the bytes
	 * before its last newline, without a \r before it), which this run
	 * will read: the engine takes its event time to know how far the
	 * run goes (clock_sure).  Returns 1, or 0 when there is none to
	 * tell (not a file read by path, no whole line, a line the framer
	 * would skip or longer than 64 KiB, an error).  May be NULL.
	 */
	int	(*last_line)(struct source *, struct buf *b);
	/*
	 * Whether the source registers its own clock inputs through the
	 * intake (input_add), rather than being one input itself.
	 */
	bool	 inputs;
};

struct source {
	const struct source_kind *kind;
	char		*name;		/* as given on the command line, for messages */
	char		*input;		/* its name: -i NAME=SRC's NAME, or SRC */
	struct origin_meta meta;	/* what `input` and `meta` read; the
					 * kind keeps file, peer current */
	struct intake	*intake;	/* where its records go */
	const struct config *cfg;	/* the run's settings (main's) */
	struct counters	 counters;	/* this input's, summed by --stats */
	bool		 finite;	/* ends by itself (file not followed, stdin) */
	bool		 regular;	/* a regular file read whole at open (one batch) */
	enum source_state state;
	void		*priv;		/* the kind's own state */
	void		*tag;		/* the engine's: its clock input (a
					 * kind with inputs: the one of the
					 * record in flight, else NULL) */
	int64_t		 newest_ms;	/* the engine's: in event time, the
					 * largest time of its records, or
					 * INT64_MIN before the first */
	int32_t		 kpart;		/* cur_origin.kpart of its records:
					 * Kafka's partition plus one while
					 * it delivers one, else 0 */
	int64_t		 saved_ms;	/* the checkpoint's: when the one
					 * loaded was written (wall clock),
					 * set before load; 0 when unknown */
};

/*
 * Opens the input SPEC ("-", a path, or a URL form), called NAME (the
 * `input` variable; NULL: SPEC itself), which hands its records to
 * INTAKE, with the run's settings CFG (which must outlive the source).
 */
struct source	*source_open(const char *name, const char *spec,
		    struct intake *, const struct config *cfg, char **cause);
/*
 * Whether ARG of -i names its input, "NAME=SRC" with NAME an identifier
 * ([A-Za-z_][A-Za-z0-9_]*); if so *NAME_LEN is NAME's length and the
 * source is what follows the '='.  A path holding '=' is read as a path
 * when what precedes its first '=' is no identifier ("./a=b", "a/b=c").
 */
bool		 source_named(const char *arg, size_t *name_len);
void		 source_close(struct source *);
/*
 * The kind's save and load, in a section of their own; an input without
 * a position saves an empty one and loads nothing.
 */
int		 source_save(struct source *, struct buf *b);
int		 source_load(struct source *, struct snap_rd *r);

/*
 * A file's identity and the place reached in it, for checkpoints
 * (filepos.c): rotation, truncation and inode reuse while dstream was
 * stopped are told apart by device, inode, size and a checksum of the
 * first bytes.
 */
struct file_pos {
	char		*path;		/* the name it was read under (owned) */
	uint64_t	 dev, ino;
	uint64_t	 size;		/* its size when saved */
	uint64_t	 head_len;	/* how many first bytes head sums */
	uint64_t	 head;		/* XXH3 of them */
	uint64_t	 offset;	/* after the last whole line read */
	uint64_t	 line;		/* lines read up to offset */
};

/* How many first bytes identify a file (fewer while it is shorter). */
#define FILEPOS_HEAD	1024

/*
 * Takes the identity of the open file FD (read as PATH): device, inode,
 * size and its head.  Returns 0, or -1 with errno set.
 */
int	filepos_ident(struct file_pos *, const char *path, int fd);
void	filepos_put(struct buf *b, const struct file_pos *);
/* Reads a position into P (P->path allocated; filepos_free). */
int	filepos_get(struct snap_rd *r, struct file_pos *p);
void	filepos_free(struct file_pos *);
/* Whether the first bytes of FD are P's (its head): 1 or 0. */
int	filepos_same_head(const struct file_pos *p, int fd);

/* Where the file of a saved position is now (filepos_find). */
enum filepos_where {
	FILEPOS_SAME,		/* at SPEC, as it was: go on at the offset */
	FILEPOS_ROTATED,	/* under another name (*ROT): finish it first */
	FILEPOS_TRUNCATED,	/* at SPEC, shorter than the offset: copytruncate */
	FILEPOS_REPLACED,	/* SPEC is another file (its head differs) */
	FILEPOS_GONE		/* nowhere in its folder */
};

/*
 * Finds the file of P for the input SPEC: at SPEC itself, or renamed
 * within P's folder (same device and inode, and the same head, so a new
 * file reusing the inode is not taken for it).  *ROT gets the rotated
 * name (caller frees) for FILEPOS_ROTATED.  Prints what it finds that
 * loses or skips lines (truncated, replaced, gone), naming NAME.
 */
enum filepos_where filepos_find(const struct file_pos *p, const char *spec,
	    const char *name, char **rot);

/*
 * Looks in SPEC's folder for a copy of P's file made by copytruncate: a
 * file named as a rotated one (see filepos_after) whose first bytes are
 * P's and that holds at least P's offset, the newest if several.
 * Returns its name (caller frees) or NULL.
 */
char	*filepos_copy(const struct file_pos *p, const char *spec);

/*
 * The name of the file DEV:INO in SPEC's folder, other than SPEC, or
 * NULL (caller frees): where a rotated file went.
 */
char	*filepos_name(const char *spec, uint64_t dev, uint64_t ino);

/* A rotated generation of a file, found in its folder (filepos_after). */
struct filepos_gen {
	char		*path;		/* owned */
	struct stat	 st;
};

/*
 * Finds the generations of SPEC rotated after a file modified at AFTER
 * that dstream did not see (rotated again before it was read): the
 * regular files of SPEC's folder named as logrotate names them (SPEC's
 * name, then '.', '-' or '_' and only digits and those: app.log.1,
 * app.log-20261202; not app.log.2.gz), modified after AFTER, but the
 * file now at SPEC and those SKIP(ARG, st) keeps out (files already
 * open).  Returns their count, *GENS (filepos_gens_free) oldest first:
 * by modification time, then app.log.2 before app.log.1.
 */
size_t	filepos_after(const char *spec, const struct timespec *after,
	    bool (*skip)(void *arg, const struct stat *), void *arg,
	    struct filepos_gen **gens);
void	filepos_gens_free(struct filepos_gen *, size_t);

/* Kinds (one file each). */
extern const struct source_kind	source_file;	/* paths and "-"; --follow */
extern const struct source_kind	source_tcp;
extern const struct source_kind	source_tcp_listen;
extern const struct source_kind	source_udp;
extern const struct source_kind	source_unix;
extern const struct source_kind	source_unix_listen;
extern const struct source_kind	source_dir;
extern const struct source_kind	source_kafka;	/* kafka.c; refuses when built without */

/*
 * --follow on a path (follow.c): makes SRC follow SPEC as tail -F does
 * (SRC->kind becomes the follow kind).  Returns 0, -1 with *CAUSE set, or
 * 1 when SPEC is not a regular file (a pipe, a device): open it as usual.
 */
int	follow_open(struct source *src, const char *spec, char **cause);

#endif
