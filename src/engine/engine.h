/*
 * engine.h - the event loop.
 *
 * The engine owns the sources and the clock (clock.h).  Records from
 * sources, decoded (sources/decode.h), arrive through the intake the
 * engine gives each source when it opens it; the engine asks the clock
 * for each record's batch (processing time: the batch open when it
 * arrives; event time: the batch of its own time) and pushes it into the
 * operator chain.  When the clock says a batch is complete the engine
 * flushes the chain with its end.
 */
#ifndef DSTREAM_ENGINE_H
#define DSTREAM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../ops/op.h"
#include "../sources/source.h"

struct engine;

/*
 * A new engine for CHAIN, built by chain_build from ENV and the
 * operator words ARGV[0..argc) (ENV's settings and counters, and ARGV,
 * main's: they must outlive the engine), which the engine owns from now
 * on (engine_free frees it; a Kafka group may have it built again,
 * engine/rebuild.c).  Returns NULL with *CAUSE set when --event-time
 * does not compile.
 */
struct engine	*engine_new(const struct op_env *env, struct op *chain,
		    int argc, char **argv, char **cause);
void		 engine_free(struct engine *);
/* Opens PATH to append late records to.  Returns 0, or -1 with *CAUSE set. */
int		 engine_late_file(struct engine *, const char *path, char **cause);
/*
 * Opens the destination DEST ("-": stdout) for the chain's output, laid
 * out as -f and -s say (Spark's print() layout when the chain ends in
 * print), and hands it to the chain's tail; the engine holds and
 * flushes it (sinks/sink.h) and engine_free closes it.  Returns 0, or
 * -1 with *CAUSE set.
 */
int		 engine_output(struct engine *, const char *dest, char **cause);
/*
 * Starts the dashboard (--serve ADDR, serve.h) on the loop, showing
 * CMDLINE, after the output and the inputs are open: it charts what the
 * chain outputs and counts every input.  Returns 0, or -1 with *CAUSE
 * set.
 */
int		 engine_serve(struct engine *, const char *addr,
		    const char *cmdline, char **cause);
/*
 * The run will have N inputs (before the first engine_add_source): with
 * more than one, a Kafka group's windows are not rebuilt (rebuilding
 * the clock would drop the other inputs' state).
 */
void		 engine_ninputs(struct engine *, int n);
/*
 * Adds the input SPEC, called NAME (the `input` variable; NULL: SPEC).
 * Returns 0, or -1 with *CAUSE set.
 */
int		 engine_add_source(struct engine *, const char *name,
		    const char *spec, char **cause);
/*
 * --checkpoint DIR (engine/checkpoint.h), after the output and every
 * input: opens the folder and resumes from its checkpoint, if any, for
 * the pipeline whose operator words are ARGV[0..argc) writing to OUTPUT;
 * with none, the chain starts afresh (chain_fresh) before the first
 * checkpoint is written.  Returns 0, or -1 with *CAUSE set (a checkpoint
 * refused, an op that cannot start).
 */
int		 engine_checkpoint(struct engine *, const char *dir, int argc,
		    char **argv, const char *output, char **cause);
/* Runs until every input has ended or a stop is asked.  Returns the exit status. */
int		 engine_run(struct engine *);
/* Asks the run to end after the batch in hand (signal-safe). */
void		 engine_stop(int sig);
/*
 * SIGHUP's handler: asks the run to reload what the chain loaded at
 * start (join tables), in the loop's next turn (signal-safe).
 */
void		 engine_hup(int sig);

#endif
