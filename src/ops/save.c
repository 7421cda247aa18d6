/*
 * save.c - saveAsTextFiles PREFIX [SUFFIX], Spark's
 * DStream.saveAsTextFiles: each batch (or window) reaching it is written
 * to its own file, PREFIX-<end ms>[.SUFFIX], in the -f format (with
 * --stamp's column when asked).
 *
 * The writing is a destination of its own (sinks/textfiles.c: a
 * temporary name, fsync, rename, fsync of the folder), which the op owns
 * and drives as the tail drives the run's sink: begin before the first
 * row of a batch, row per record, commit at the flush (a batch with no
 * records still gets its empty file).  The folder is checked when the
 * chain is opened (chain_sink, after every usage check), so a folder
 * that is missing or not writable stops the run at start, status 1.
 *
 * Unlike Spark's output action it passes every record on unchanged, as
 * tee does: `then print` shows the same rows, and a chain that ends in
 * it also writes them to the run's destination (stdout, or -o).
 *
 * Checkpoints: at a batch boundary it holds nothing (the commit ends the
 * batch's file), and a replayed batch rewrites its own file: no save or
 * load hook.
 */
#include <stdlib.h>

#include "../dstream.h"
#include "../sinks/sink.h"
#include "op.h"

struct saveop {
	struct op		 op;
	const struct config	*cfg;		/* -f and -s */
	const char		*prefix;	/* argv's: they outlive the op */
	const char		*suffix;	/* NULL: none */
	struct sink		*sink;		/* opened by saveop_open */
	bool			 begun;		/* begin called for this batch */
};

static int
saveop_push(struct op *op, struct value *v, int64_t end_ms)
{
	struct saveop	*s = (struct saveop *)op;

	if (!s->begun) {
		if (sink_begin(s->sink, end_ms) != 0)
			return -1;
		s->begun = true;
	}
	if (sink_row(s->sink, v, end_ms) != 0)
		return -1;
	return op_emit(op, v, end_ms);
}

static int
saveop_flush(struct op *op, int64_t end_ms)
{
	struct saveop	*s = (struct saveop *)op;

	if (!s->begun && sink_begin(s->sink, end_ms) != 0)
		return -1;
	s->begun = false;
	if (sink_commit(s->sink, end_ms) != 0)
		return -1;
	return op_forward_flush(op, end_ms);
}

/* Checks PREFIX's folder and opens the files' destination. */
static int
saveop_open(struct op *op, char **cause)
{
	struct saveop	*s = (struct saveop *)op;

	s->sink = sink_textfiles_open(s->prefix, s->suffix, s->cfg->format,
	    s->cfg->stamp, cause);
	return s->sink == NULL ? -1 : 0;
}

static void
saveop_free(struct op *op)
{
	struct saveop	*s = (struct saveop *)op;

	sink_close(s->sink);
	free(s);
}

static struct op *
saveop_create(const struct op_def *def, const struct op_env *env, int argc,
    char **argv, char **cause)
{
	struct saveop	*s;

	if (argv[0][0] == '\0') {
		xasprintf(cause, "%s: PREFIX is empty", def->name);
		return NULL;
	}
	if (argc > 1 && argv[1][0] == '\0') {
		xasprintf(cause, "%s: SUFFIX is empty (leave it out for none)",
		    def->name);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->op.def = def;
	s->op.push = saveop_push;
	s->op.flush = saveop_flush;
	s->op.open = saveop_open;
	s->op.free = saveop_free;
	s->cfg = env->cfg;
	s->prefix = argv[0];
	s->suffix = argc > 1 ? argv[1] : NULL;
	return &s->op;
}

const struct op_def op_saveAsTextFiles = {
	.name = "saveAsTextFiles",
	.flags = OP_OUTPUT,
	.args = "PREFIX [SUFFIX]",
	.min_args = 1,
	.max_args = 2,
	.help = "Writes each batch (or window) to its own file, "
	    "PREFIX-<end ms>[.SUFFIX], in the -f format (and --stamp): "
	    "written to a temporary name in the same folder, fsynced and "
	    "renamed, so a file is whole or absent and a replayed batch "
	    "replaces its own.  Every batch gets a file, empty ones "
	    "included.  Records pass on unchanged, as through tee, to the "
	    "next operator or the destination.  Example: reduceByKey sum "
	    "then saveAsTextFiles out/counts txt.",
	.create = saveop_create
};
