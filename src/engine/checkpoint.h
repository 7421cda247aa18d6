/*
 * checkpoint.h - --checkpoint DIR: the run's state made durable, and
 * resumed from (DESIGN section 6, issue 11).
 *
 * One folder per pipeline.  It holds one checkpoint file, DIR/checkpoint,
 * a snap.h container (kind CKPT: magic, format version, length, XXH3
 * checksum) whose payload is a sequence of sections:
 *
 *	META	sequence number, the time it was written, the dstream
 *		version, the end of the last batch flushed
 *	PIPE	the fingerprint of the stateful part of the pipeline:
 *		labelled items (batch interval, event-time settings,
 *		every operator with the arguments of the stateful ones),
 *		compared one by one at resume so the refusal says what
 *		changed
 *	INPT	each input's name and position (sources/source.h: a
 *		file's identity and the offset after its last whole
 *		line, a folder's files done)
 *	CLCK	the clock's state (clock.h: watermarks per input, the
 *		records waiting for their batch)
 *	CHAN	every operator's state (chain_save)
 *	SINK	the destination's position after its last commit
 *		(sink_save)
 *	LATE	with --late-file: its path, device, inode and length (a
 *		checkpoint without it, from before it was kept, loads)
 *
 * It is written durably: to DIR/checkpoint.tmp, fsynced, renamed over
 * DIR/checkpoint, and the folder fsynced.  A temporary file left by a
 * crash (a torn write) is removed at resume and the last good
 * checkpoint used.  DIR/lock is held (flock) while a run uses the
 * folder, so two runs never share one.
 *
 * The order of a checkpoint, which this module alone owns: the sink's
 * ended batches are written and made durable first (sink_flush_ended,
 * the commit point of every batch already flushed), then the state and
 * the positions are taken, so a position never runs ahead of what the
 * destination has committed; a transactional destination then commits
 * its open transaction together with the bytes (sink.h's
 * commit_checkpoint; a Kafka destination with the Kafka inputs' group
 * offsets too, source.h's txn_offsets), and only then is the folder's
 * file replaced.
 * The --late-file is made durable with the destination and its length
 * recorded; a resume cuts it back to that length, so a late record is
 * written there once across crashes, as a row is to -o FILE.
 *
 * A checkpoint is taken only where the chain is at a batch boundary:
 * every record read is either in a flushed batch (its effect in the
 * operators' state and the destination) or waiting in the clock (saved
 * with it).  In event time the engine asks the clock (clock_boundary);
 * when one is due and the chain holds part of the batch in hand, records
 * wait in the clock from then on (clock_keep) and the checkpoint is
 * written once that batch is flushed; a stop reads on until then, and a
 * run over files only lets into the chain records of batches it is sure
 * to flush (clock_sure), so it ends at a boundary.  In processing time
 * the engine takes it right after a batch end, before reading more.
 *
 * What is refused, each with a message saying what differs and that
 * removing DIR starts afresh: a file that is not a checkpoint (foreign),
 * of another format version (old), truncated or failing its checksum
 * (corrupt), of another pipeline (the fingerprint item that changed), of
 * other inputs (the input that differs).
 */
#ifndef DSTREAM_CHECKPOINT_H
#define DSTREAM_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../ops/op.h"
#include "../sinks/sink.h"
#include "../sources/source.h"
#include "clock.h"

struct checkpoint;

/* What a checkpoint is made of: the engine's parts, which it owns. */
struct rebuild;

struct ckpt_parts {
	struct op	*chain;
	/* What a rebuilt chain holds back (engine/rebuild.h), saved after
	 * the operators when the chain has its probe and gate. */
	struct rebuild	*rb;
	struct sink	*sink;
	struct clock	*clock;
	struct source	**src;
	int		 nsrc;
	FILE		*late;		/* --late-file, or NULL */
	const char	*late_path;
};

/*
 * Opens (creating when missing) the checkpoint folder DIR for the
 * pipeline of CFG whose operator words are ARGV[0..argc), chain CHAIN
 * and destination OUTPUT (-o); EVERY_MS is --checkpoint-every, the
 * least time between two checkpoints (0: at every batch end).  Takes
 * the folder's lock.  Returns NULL with *CAUSE set (caller frees).
 */
struct checkpoint *checkpoint_open(const char *dir, const struct config *cfg,
		    int argc, char **argv, const struct op *chain,
		    const char *output, int64_t every_ms, char **cause);
/*
 * Before the first batch: reads the newer of the folder's checkpoint
 * and the one the destination holds (sink.h), checks it against this
 * pipeline, and loads it into P (the sink, the inputs' positions, the
 * clock, the chain).  Tells the sink it is checkpointed.  Returns 1
 * when the run resumes, 0 when there was nothing to resume, -1 with
 * *CAUSE set when the checkpoint is refused.
 */
int		 checkpoint_resume(struct checkpoint *, const struct ckpt_parts *p,
		    char **cause);
/* The batch ending at END was flushed: a checkpoint will be due. */
void		 checkpoint_batch(struct checkpoint *, int64_t end);
/*
 * Whether a checkpoint is due at NOW: a batch was flushed since the
 * last one and --checkpoint-every has passed.
 */
bool		 checkpoint_due(const struct checkpoint *, int64_t now);
/* How many ms until one is due (0: now), or -1 when none is waiting. */
int64_t		 checkpoint_wake(const struct checkpoint *, int64_t now);
/*
 * Writes a checkpoint of P (see the order above).  Returns 0, or -1
 * after reporting the error (the folder's checkpoint is left as it
 * was).
 */
int		 checkpoint_write(struct checkpoint *, const struct ckpt_parts *p);
/* Releases the lock and frees. */
void		 checkpoint_free(struct checkpoint *);

/*
 * Reads checkpoint bytes B[0..n) as checkpoint_resume does, without a
 * pipeline to load them into: checks the container and walks every
 * section's structure.  Returns 0, or -1 with *CAUSE set.  For the fuzz
 * target and `dstream` diagnostics.
 */
int		 checkpoint_check(const void *b, size_t n, char **cause);

#endif
