/*
 * engine.c - the one event loop: sources, signals, --stats, and the
 * wiring of the clock to the operator chain.
 *
 * The loop polls every source and sleeps until input comes or the clock
 * (clock.c) needs the wall time.  In processing time finite inputs are
 * read one after another; in event time every input is read at once, as
 * one stream, the files by turns: each turn the clock names the file
 * whose watermark is smallest and the loop reads one chunk of it (the
 * union rule, DESIGN section 4).  Sources hand decoded records (decode.c) to the engine's
 * intake; in processing time a record joins the batch open now, in
 * event time the engine evaluates its time and the clock says where it
 * goes: into the chain now, into a batch waiting for the watermark, or to
 * --late-file.  The clock calls back to push waiting records and flush
 * complete batches; the engine does the I/O around them (--stats lines,
 * the late file, the note on a skipped gap).
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../dstream.h"
#include "../expr/expr.h"
#include "../serve/serve.h"
#include "../sinks/sink.h"
#include "../state/grid.h"
#include "checkpoint.h"
#include "clock.h"
#include "engine.h"
#include "rebuild.h"

#define MAX_PFD		1024

struct engine {
	const struct config *cfg;	/* main's */
	struct counters	*run;		/* main's run-wide counters */
	struct op	*chain;
	struct sink	*sink;		/* the output: where the chain's tail writes */
	struct clock	*clock;
	struct clock_config cc;		/* how the clock was made */
	struct clock_hooks ch;
	/* How the chain was built, to build it again (engine_rebuild). */
	struct op_env	 env;
	int		 argc;
	char		**argv;
	struct rebuild	 rb;		/* what a rebuilt chain holds back */
	struct checkpoint *ck;		/* --checkpoint, or NULL */
	uint64_t	 nflush;	/* batches flushed */
	struct source	**src;
	int		 nsrc;
	struct intake	 in;		/* where sources hand records */
	struct arena	 rec;		/* the record in flight */
	bool		 failed;	/* a push or flush asked to stop */
	bool		 committed;	/* a source wants to know of commits */

	/* Event time. */
	struct expr	*etime;
	struct expr_ctx	 ectx;
	/* When etime is time(X): the last X (a string of up to 64 bytes)
	 * and the time it gave, which records with the same X share. */
	char		 tlast[64];
	size_t		 tlast_n;	/* 0: none */
	int64_t		 tlast_ms;
	FILE		*late;
	off_t		 late_len;	/* its length after the last whole write
					   (-1: not a regular file; -2: not
					   known before the first write) */
	bool		 late_failed;	/* a write to it failed (reported) */
	bool		 gap_warned;

	struct serve	*serve;		/* --serve, or NULL */

	/* --stats and --serve */
	int64_t		 cpu_ms;	/* CPU time used at the previous batch */
	struct counters	 last;		/* the counters' sum at the previous batch */
};

static volatile sig_atomic_t	stop_signal;
static volatile sig_atomic_t	hup_signal;

void
engine_hup(int sig)
{
	hup_signal = 1;
}

/*
 * The first SIGINT or SIGTERM asks the run to end gracefully; a second
 * one ends it at once, by that signal, since finishing may be stuck (a
 * reader that stopped reading holds the last write forever).
 */
void
engine_stop(int sig)
{
	if (stop_signal != 0) {
		sink_top_restore();
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	stop_signal = sig;
}

/* The largest event time, in seconds either side of 1970 (9e15 ms). */
#define ETIME_MAX_S	INT64_C(9000000000000)

static void	engine_hook_push(void *, struct value *, const struct origin *,
		    int64_t);
static void	engine_hook_flush(void *, int64_t);
static void	engine_hook_skip(void *, int64_t, int64_t);
static void	engine_record(struct intake *, struct source *, struct value *,
		    const char *, size_t);
static int	engine_event_time1(struct engine *, struct value *, int64_t *,
		    bool);
static void	engine_record_event(struct intake *, struct source *,
		    struct value *, const char *, size_t);
static void	*engine_input_add(struct intake *);
static void	engine_input_end(struct intake *, void *);
static void	engine_input_wait(struct intake *, void *, bool);
static void	engine_input_save(struct intake *, void *, struct buf *);
static void	*engine_input_load(struct intake *, struct snap_rd *);
static int	engine_checkpoint_now(struct intake *);
static int	engine_rebuild(struct intake *, const int64_t *, size_t,
		    int64_t);

struct engine *
engine_new(const struct op_env *env, struct op *chain, int argc, char **argv,
    char **cause)
{
	struct engine		*e = xcalloc(1, sizeof *e);
	const struct config	*cfg = env->cfg;

	e->cfg = cfg;
	e->run = env->counters;
	e->env = *env;
	e->argc = argc;
	e->argv = argv;
	arena_init(&e->rec);
	e->in.record = cfg->event_time != NULL ? engine_record_event :
	    engine_record;
	e->in.failed = &e->failed;
	e->in.dec.json = cfg->json;
	e->in.dec.header = cfg->header;
	e->in.dec.arena = &e->rec;
	e->in.pool.max = cfg->max_buffered;
	e->in.input_add = engine_input_add;
	e->in.input_end = engine_input_end;
	e->in.input_wait = engine_input_wait;
	e->in.input_save = engine_input_save;
	e->in.input_load = engine_input_load;
	e->in.checkpoint_now = engine_checkpoint_now;
	e->in.placed_end = -1;
	if (cfg->event_time != NULL) {
		e->etime = expr_compile(cfg->event_time, EXPR_X, cause);
		if (e->etime == NULL) {
			char *c = *cause;

			xasprintf(cause, "--event-time: %s", c);
			free(c);
			free(e);
			return NULL;
		}
		expr_ctx_init(&e->ectx, &e->rec);
	}
	/* input and meta cost nothing unless an expression reads them. */
	e->in.dec.origin = expr_uses_origin();
	e->cc.batch_ms = cfg->batch_ms;
	e->cc.span_ms = chain_span(chain);
	e->cc.event = e->etime != NULL;
	e->cc.watermark_ms = cfg->watermark_ms;
	e->cc.idle_ms = cfg->idle_ms;
	e->cc.settle_ms = chain_settle(chain, cfg->batch_ms);
	e->cc.hold = cfg->checkpoint != NULL;
	e->ch.ctx = e;
	e->ch.stop = &e->failed;
	e->ch.push = engine_hook_push;
	e->ch.flush = engine_hook_flush;
	e->ch.skip = engine_hook_skip;
	e->ch.halt = &stop_signal;
	e->clock = clock_new(&e->cc, &e->ch);
	/*
	 * A Kafka group moving partitions has the chain built again in
	 * event time, when nothing the chain holds outlives its span and
	 * the group is the only input (engine_add_source).
	 */
	e->in.span_ms = e->cc.span_ms;
	e->chain = chain;
	e->rb.self = e->rb.top = INT64_MIN;
	if (e->etime != NULL && rebuild_possible(chain))
		e->in.rebuild = engine_rebuild;
	return e;
}

int
engine_late_file(struct engine *e, const char *path, char **cause)
{
	if ((e->late = fopen(path, "ae")) == NULL) {
		xasprintf(cause, "--late-file %s: %s", path, strerror(errno));
		return -1;
	}
	/* Shared with other runs until --checkpoint takes it alone. */
	if (sink_file_lock(fileno(e->late), "--late-file", path, false,
	    cause) != 0) {
		fclose(e->late);
		e->late = NULL;
		return -1;
	}
	/* Taken at the first write: a resume may cut the file back. */
	e->late_len = -2;
	return 0;
}

int
engine_output(struct engine *e, const char *dest, char **cause)
{
	/* Kafka takes the run's -X properties. */
	if (strncmp(dest, "kafka://", 8) == 0)
		e->sink = sink_kafka_open(dest, e->cfg, cause);
	else
		e->sink = sink_open(dest, e->cfg->format, e->cfg->stamp,
		    cause);
	if (e->sink == NULL)
		return -1;
	/* A destination that waits (reconnecting, locked) heeds a stop. */
	sink_watch(e->sink, &stop_signal);
	return chain_sink(e->chain, e->sink, cause);
}

void
engine_free(struct engine *e)
{
	int	 i;

	for (i = 0; i < e->nsrc; i++)
		source_close(e->src[i]);
	free(e->src);
	clock_free(e->clock);
	chain_free(e->chain);
	rebuild_free(&e->rb);
	checkpoint_free(e->ck);
	decode_free(&e->in.dec);
	cur_origin.hdr = NULL;		/* the decoder's, now freed */
	if (e->etime != NULL) {
		expr_free(e->etime);
		expr_ctx_free(&e->ectx);
	}
	if (e->late != NULL)
		fclose(e->late);
	sink_close(e->sink);
	serve_close(e->serve);
	arena_free(&e->rec);
	free(e);
}

/*
 * Whether S is read by turns in event time: a finite regular file (or
 * stdin redirected from one), whose content is all there.
 */
static bool
engine_by_turns(const struct source *s)
{
	return s->finite && s->regular;
}

void
engine_ninputs(struct engine *e, int n)
{
	if (n > 1)
		e->in.rebuild = NULL;
}

int
engine_add_source(struct engine *e, const char *name, const char *spec,
    char **cause)
{
	struct source	*src;

	/* Rebuilding the clock would drop the other inputs' state. */
	if (e->nsrc > 0)
		e->in.rebuild = NULL;
	src = source_open(name, spec, &e->in, e->cfg, cause);
	if (src == NULL)
		return -1;
	src->newest_ms = INT64_MIN;
	if (!src->kind->inputs)
		src->tag = clock_input_add(e->clock, engine_by_turns(src) ?
		    CLOCK_FILE : CLOCK_STREAM);
	if (src->kind->committed != NULL)
		e->committed = true;
	e->src = xreallocarray(e->src, (size_t)e->nsrc + 1, sizeof *e->src);
	e->src[e->nsrc++] = src;
	return 0;
}

/* The parts a checkpoint is made of. */
static struct ckpt_parts
engine_parts(struct engine *e)
{
	struct ckpt_parts	 p;

	p.chain = e->chain;
	p.rb = &e->rb;
	p.sink = e->sink;
	p.clock = e->clock;
	p.src = e->src;
	p.nsrc = e->nsrc;
	p.late = e->late;
	p.late_path = e->cfg->late_file;
	return p;
}

int
engine_checkpoint(struct engine *e, const char *dir, int argc, char **argv,
    const char *output, char **cause)
{
	struct ckpt_parts	 p = engine_parts(e);

	e->ck = checkpoint_open(dir, e->cfg, argc, argv, e->chain, output,
	    e->cfg->checkpoint_every_ms, cause);
	if (e->ck == NULL)
		return -1;
	/* A resume cuts the late file back: it is this run's alone. */
	if (e->late != NULL && sink_file_lock(fileno(e->late), "--late-file",
	    e->cfg->late_file, true, cause) != 0)
		return -1;
	switch (checkpoint_resume(e->ck, &p, cause)) {
	case -1:
		return -1;
	case 1:
		/* Resumed in the middle of a rebuild: its gate goes on. */
		if (e->rb.pending)
			rebuild_insert(&e->chain, &e->rb);
		break;
	case 0:
		/*
		 * A first run: the chain set up afresh, then a checkpoint
		 * of the start (the output's length now, the initial
		 * states), so that a crash before the next one cuts what
		 * this run wrote off again.
		 */
		if (chain_fresh(e->chain, cause) != 0)
			return -1;
		if (checkpoint_write(e->ck, &p) != 0) {
			xasprintf(cause, "--checkpoint %s: cannot write the "
			    "first checkpoint", dir);
			return -1;
		}
		break;
	}
	return 0;
}

/*
 * A turn of the loop, between records: a checkpoint is written if one
 * is due and the chain is at a batch boundary.  In processing time that
 * is when a batch was flushed since NFLUSH.  In event time the chain
 * may hold part of the batch in hand: then records wait in the clock
 * from now on (clock_keep), so that the next flush brings it to a
 * boundary, where a later turn writes the checkpoint and lets records
 * into the chain again.
 */
static void
engine_ckpt_point(struct engine *e, uint64_t nflush)
{
	struct ckpt_parts	 p;

	if (e->ck == NULL || e->failed)
		return;
	if (e->etime == NULL && e->nflush == nflush)
		return;
	if (!checkpoint_due(e->ck, clock_now_ms()))
		return;
	if (!clock_boundary(e->clock)) {
		clock_keep(e->clock, true);
		return;
	}
	p = engine_parts(e);
	if (checkpoint_write(e->ck, &p) != 0)
		e->failed = true;
	/* A stop keeps the chain at the boundary, to end there. */
	if (e->etime != NULL && !e->failed && !stop_signal)
		clock_keep(e->clock, false);
}

/*
 * The last batch end a checkpointed event-time run is sure to flush,
 * for clock_sure: when every input is a file read by turns (the run
 * ends at their ends), the largest event time among their last whole
 * lines less --watermark, since the watermark passes it once they are
 * read; INT64_MIN (none) when an input may go on (a stream, a pipe) or
 * no last line tells.  The event time is taken quietly: a last line
 * without one tells nothing, and is reported when it is read.
 */
static int64_t
engine_sure_end(struct engine *e)
{
	struct buf	 b = BUF_INIT;
	struct source	*s;
	struct value	 v;
	int64_t		 ms, best = INT64_MIN;
	int		 i;

	for (i = 0; i < e->nsrc; i++)
		if (!engine_by_turns(e->src[i]))
			return INT64_MIN;
	for (i = 0; i < e->nsrc; i++) {
		s = e->src[i];
		if (s->kind->last_line == NULL || e->cfg->json ||
		    s->kind->last_line(s, &b) != 1)
			continue;
		memset(&cur_origin, 0, sizeof cur_origin);
		cur_origin.name = s->name;
		cur_origin.counters = &s->counters;
		cur_origin.meta = e->in.dec.origin ? &s->meta : NULL;
		v = value_str(b.p, b.len);
		expr_ctx_record(&e->ectx, &v);
		if (engine_event_time1(e, &v, &ms, true) == 0 && ms > best)
			best = ms;
		arena_reset(&e->rec);
	}
	memset(&cur_origin, 0, sizeof cur_origin);
	buf_free(&b);
	if (best == INT64_MIN)
		return INT64_MIN;
	return best - e->cfg->watermark_ms;
}

int
engine_serve(struct engine *e, const char *addr, const char *cmdline,
    char **cause)
{
	int	 i;

	e->serve = serve_open(addr, cmdline, e->run, cause);
	if (e->serve == NULL)
		return -1;
	for (i = 0; i < e->nsrc; i++)
		serve_input(e->serve, e->src[i]->name, &e->src[i]->counters,
		    &e->src[i]->newest_ms);
	chain_tap(e->chain, serve_tap(e->serve));
	return 0;
}

/* Sets *SUM to the run's counters plus every input's. */
static void
engine_counters(struct engine *e, struct counters *sum)
{
	int	 i;

	*sum = *e->run;
	for (i = 0; i < e->nsrc; i++)
		counters_add(sum, &e->src[i]->counters);
}

/*
 * The CPU time used since the previous batch (the batch's processing
 * time: for a live stream the wall time is only the batch interval
 * again), in ms; *RU gets the usage now.
 */
static int64_t
engine_cpu(struct engine *e, struct rusage *ru)
{
	int64_t	 cpu, d;

	getrusage(RUSAGE_SELF, ru);
	cpu = ((int64_t)ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000 +
	    (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1000;
	d = cpu - e->cpu_ms;
	e->cpu_ms = cpu;
	return d;
}

/* Prints the --stats line for the batch ending at END, which took CPU ms. */
static void
engine_stats(struct engine *e, int64_t end, int64_t cpu,
    const struct rusage *ru)
{
	struct buf	 b = BUF_INIT;
	struct counters	 counters;

	/* Output held back (sink_hold) goes first: the line follows it. */
	if (sink_flush_ended(e->sink) != 0)
		e->failed = true;
	time_fmt_rfc3339(&b, end);
	engine_counters(e, &counters);
	fprintf(stderr, "%s: batch %s in=%llu out=%llu late=%llu skipped=%llu "
	    "long=%llu ms=%lld keys=%zu rss_kb=%ld\n", progname, b.p,
	    (unsigned long long)(counters.records_in - e->last.records_in),
	    (unsigned long long)(counters.records_out - e->last.records_out),
	    (unsigned long long)(counters.late - e->last.late),
	    (unsigned long long)(counters.skipped - e->last.skipped),
	    (unsigned long long)(counters.long_lines - e->last.long_lines),
	    (long long)cpu, chain_held(e->chain), ru->ru_maxrss);
	buf_free(&b);
	e->last = counters;
}

/*
 * The batch ending at END has been flushed: once what the sink holds of
 * it is written (committed), the sources that asked are told, so that a
 * Kafka input stores the offsets of the records it held.
 */
static void
engine_committed(struct engine *e, int64_t end)
{
	int	 i;

	if (sink_flush_ended(e->sink) != 0) {
		e->failed = true;
		return;
	}
	for (i = 0; i < e->nsrc; i++)
		if (e->src[i]->kind->committed != NULL)
			e->src[i]->kind->committed(e->src[i], end);
}

/*
 * Flushes the chain for the batch ending at END.  What the flush emits
 * has no input line of its own; the header stays that of the latest
 * record, for records a window emits again.
 */
static void
engine_flush(struct engine *e, int64_t end)
{
	struct rusage	 ru;
	int64_t		 cpu;

	cur_origin.name = NULL;
	cur_origin.line = 0;
	cur_origin.counters = NULL;
	cur_origin.meta = NULL;
	cur_origin.timed = false;
	cur_origin.kpart = 0;
	if (!e->failed && e->chain->flush(e->chain, end) != 0)
		e->failed = true;
	e->nflush++;
	if (e->ck != NULL)
		checkpoint_batch(e->ck, end);
	if (e->committed && !e->failed)
		engine_committed(e, end);
	if (!e->cfg->stats && e->serve == NULL)
		return;
	cpu = engine_cpu(e, &ru);
	if (e->cfg->stats)
		engine_stats(e, end, cpu, &ru);
	if (e->serve != NULL)
		serve_batch(e->serve, end, cpu, chain_held(e->chain));
}

/* Pushes V into the chain as part of the batch ending at END. */
static void
engine_push(struct engine *e, struct value *v, int64_t end)
{
	if (!e->failed && e->chain->push(e->chain, v, end) != 0)
		e->failed = true;
}

/* The clock pushes V, a record that waited for its batch (it came from O). */
static void
engine_hook_push(void *ctx, struct value *v, const struct origin *o,
    int64_t end)
{
	cur_origin = *o;
	engine_push(ctx, v, end);
}

/* The clock says the batch ending at END is complete. */
static void
engine_hook_flush(void *ctx, int64_t end)
{
	engine_flush(ctx, end);
}

/* The clock skips the empty batches from FROM to TO: said once a run. */
static void
engine_hook_skip(void *ctx, int64_t from, int64_t to)
{
	struct engine	*e = ctx;

	if (!e->gap_warned)
		fprintf(stderr, "%s: event time jumps over more than %d empty "
		    "batches; not flushing them one by one\n", progname,
		    GAP_MAX);
	e->gap_warned = true;
}

/* ---- event time ---- */

/*
 * Writes a late record's line to --late-file.  A write error there (disk
 * full) is an error like one on stdout: the run stops with status 1
 * rather than lose late records silently.  The file is cut back to its
 * last whole line (a regular file), and nothing more is written to it.
 */
static void
engine_late(struct engine *e, const char *line, size_t len)
{
	struct stat	 st;

	origin_counters()->late++;
	if (e->late == NULL || e->late_failed)
		return;
	if (e->late_len == -2)
		e->late_len = fstat(fileno(e->late), &st) == 0 &&
		    S_ISREG(st.st_mode) ? st.st_size : -1;
	fwrite(line, 1, len, e->late);
	fputc('\n', e->late);
	if (fflush(e->late) != 0 || ferror(e->late)) {
		fprintf(stderr, "%s: --late-file %s: write error: %s\n",
		    progname, e->cfg->late_file, strerror(errno));
		if (e->late_len >= 0)
			(void)ftruncate(fileno(e->late), e->late_len);
		e->late_failed = true;
		e->failed = true;
	} else if (e->late_len >= 0)
		e->late_len = ftello(e->late);
}

/* The --late-file the exit summary may say holds the late records. */
static const char *
engine_late_name(const struct engine *e)
{
	return e->late_failed ? NULL : e->cfg->late_file;
}

/*
 * Evaluates the event time of V.  Returns 0 and the time in ms, or -1
 * after reporting a per-record error (-2: and the run stops).  Records of
 * one second mostly follow each other: when the event time is time(X)
 * and X is the text of the last record's, so is the time.
 */
static int
engine_event_time(struct engine *e, struct value *v, int64_t *ms)
{
	struct value	 x;
	int		 rc;
	bool		 keep;

	expr_ctx_record(&e->ectx, v);
	keep = expr_eval_time_arg(e->etime, &e->ectx, &x) == 0 &&
	    x.type == V_STR && x.n > 0 && x.n <= sizeof e->tlast;
	if (keep && x.n == e->tlast_n && time_same(x.u.s, e->tlast, x.n)) {
		*ms = e->tlast_ms;
		return 0;
	}
	if ((rc = engine_event_time1(e, v, ms, false)) == 0 && keep) {
		memcpy(e->tlast, x.u.s, x.n);
		e->tlast_n = x.n;
		e->tlast_ms = *ms;
	}
	return rc;
}

/*
 * engine_event_time without the last time: E's expression on the record
 * in its context.  QUIET: an error is not reported (nor counted), -1.
 */
static int
engine_event_time1(struct engine *e, struct value *v, int64_t *ms, bool quiet)
{
	struct value	 t;
	double		 secs;

/* A per-record error: -1, or -2 when --on-error fail stops the run. */
#define ETIME_ERROR(...)	(quiet ? -1 : \
	    record_error("event-time", __VA_ARGS__) < 0 ? -2 : -1)
	if (expr_eval(e->etime, &e->ectx, &t) != 0)
		return ETIME_ERROR(v, "%s", e->ectx.err);
	if (t.type == V_INT && t.u.i >= -ETIME_MAX_S && t.u.i <= ETIME_MAX_S) {
		*ms = t.u.i * 1000;	/* whole seconds: no rounding */
		return 0;
	}
	if (t.type == V_INT)
		secs = (double)t.u.i;
	else if (t.type == V_DBL)
		secs = t.u.d;
	else if (t.type == V_STR &&
	    time_parse(t.u.s, t.n, e->cfg->time_format, &secs) == 0)
		;
	else if (t.type == V_STR)
		return ETIME_ERROR(&t, "not a time");
	else
		return ETIME_ERROR(v, "--event-time gave %s, not a time, for "
		    "the record", value_type_name(&t));
	if (!isfinite(secs) || fabs(secs) > ETIME_MAX_S)
		return ETIME_ERROR(&t, "time out of range");
#undef ETIME_ERROR
	*ms = (int64_t)floor(secs * 1000 + 0.5e-6);
	return 0;
}

/* Event time: places V in its batch, or reports it late. */
static void
engine_event_record(struct engine *e, struct source *src, struct value *v,
    const char *line, size_t len)
{
	int64_t	 ms, end;
	int	 r;

	if ((r = engine_event_time(e, v, &ms)) != 0) {
		if (r == -2)
			e->failed = true;
		return;
	}
	cur_origin.time_ms = ms;
	cur_origin.timed = true;
	/* For --serve's per-input lag: one comparison a record. */
	if (ms > src->newest_ms)
		src->newest_ms = ms;
	r = clock_record(e->clock, src->tag, ms, v, &cur_origin, &end);
	switch (CLOCK_PLACE(r)) {
	case CLOCK_LATE:
		e->in.placed_end = -1;
		engine_late(e, line, len);
		return;
	case CLOCK_PUSH:
		e->in.placed_end = end;
		expr_fields_hint(&e->ectx);
		engine_push(e, v, end);
		expr_fields_hint(NULL);
		break;
	default:
		e->in.placed_end = end;
		break;		/* the clock keeps it */
	}
	if (r & CLOCK_DUE)
		clock_advance(e->clock);
}

/* ---- records ---- */

/*
 * The intake: a source delivers the decoded record V (RAW[0..len) its
 * bytes).  It joins the open batch; engine_record_event is the intake in
 * event time, where the clock places it.  (Two intakes rather than a test
 * in one: each stays short.)
 */
static void
engine_record(struct intake *ik, struct source *src, struct value *v,
    const char *raw, size_t len)
{
	struct engine	*e = (struct engine *)(void *)((char *)ik -
			    offsetof(struct engine, in));

	ik->placed_end = clock_open_end(e->clock);
	engine_push(e, v, ik->placed_end);
	arena_reset(&e->rec);
}

static void
engine_record_event(struct intake *ik, struct source *src, struct value *v,
    const char *raw, size_t len)
{
	struct engine	*e = (struct engine *)(void *)((char *)ik -
			    offsetof(struct engine, in));

	engine_event_record(e, src, v, raw, len);
	arena_reset(&e->rec);
}

/*
 * The intake's input_add: a source registers one more input of its own
 * (a Kafka partition assigned), joining the stream now.
 */
static void *
engine_input_add(struct intake *ik)
{
	struct engine	*e = (struct engine *)(void *)((char *)ik -
			    offsetof(struct engine, in));

	return clock_input_add_at(e->clock, CLOCK_STREAM, clock_now_ms());
}

/* The intake's input_wait: that input may not fall silent meanwhile. */
static void
engine_input_wait(struct intake *ik, void *tag, bool on)
{
	(void)ik;
	clock_input_wait(tag, on, clock_now_ms());
}

/* The intake's input_end: that input delivers nothing more. */
static void
engine_input_end(struct intake *ik, void *tag)
{
	struct engine	*e = (struct engine *)(void *)((char *)ik -
			    offsetof(struct engine, in));

	clock_input_end(e->clock, tag);
}

/* The intake's input_save: the clock's state of a source's own input. */
static void
engine_input_save(struct intake *ik, void *tag, struct buf *b)
{
	(void)ik;
	clock_input_save(tag, b);
}

/*
 * The intake's input_load: a source's own input registered again at a
 * resume, with its state from the checkpoint.
 */
static void *
engine_input_load(struct intake *ik, struct snap_rd *r)
{
	struct engine		*e = (struct engine *)(void *)((char *)ik -
				    offsetof(struct engine, in));
	struct clock_input	*in;

	in = clock_input_add_at(e->clock, CLOCK_STREAM, clock_now_ms());
	/* On failure the run is refused: the input is left as it is. */
	return clock_input_load(e->clock, in, r) == -1 ? NULL : in;
}

/*
 * The intake's rebuild (engine/rebuild.c): between records, the chain
 * and the clock are dropped and made afresh, the chain with the rebuild
 * probe and gate holding back what BOUND (N partitions) and SELF say
 * was emitted.  The source registers its inputs again.  Returns 0, or -1
 * when the chain cannot be built again (said; the run fails).
 */
static int
engine_rebuild(struct intake *ik, const int64_t *bound, size_t n,
    int64_t self)
{
	struct engine	*e = (struct engine *)(void *)((char *)ik -
			    offsetof(struct engine, in));
	struct op	*chain;
	char		*cause = NULL;

	if ((chain = chain_build(&e->env, e->argc, e->argv, &cause)) == NULL)
		goto fail;
	rebuild_insert(&chain, &e->rb);
	if (chain_sink(chain, e->sink, &cause) != 0 ||
	    chain_fresh(chain, &cause) != 0) {
		chain_free(chain);
		goto fail;
	}
	if (e->serve != NULL)
		chain_tap(chain, serve_tap(e->serve));
	chain_free(e->chain);
	e->chain = chain;
	clock_free(e->clock);
	/*
	 * Records wait in the clock until their batch is flushed, so the
	 * chain and the output are at a batch boundary between records:
	 * a rebuild never leaves a batch begun in the sink.
	 */
	e->cc.hold = true;
	e->clock = clock_new(&e->cc, &e->ch);
	clock_start(e->clock, clock_now_ms());
	rebuild_set(&e->rb, bound, n, self);
	return 0;

fail:
	fprintf(stderr, "%s: rebuilding the windows: %s\n", progname, cause);
	free(cause);
	e->failed = true;
	return -1;
}

/*
 * The intake's checkpoint_now: in event time with --checkpoint, where
 * the chain is at a batch boundary (clock_boundary: always so in a run
 * with a stream input, whose records all wait in the clock until their
 * batch's flush), a checkpoint may be written between records.
 */
static int
engine_checkpoint_now(struct intake *ik)
{
	struct engine		*e = (struct engine *)(void *)((char *)ik -
				    offsetof(struct engine, in));
	struct ckpt_parts	 p;

	if (e->ck == NULL || e->etime == NULL || e->failed ||
	    !clock_boundary(e->clock))
		return -1;
	p = engine_parts(e);
	if (checkpoint_write(e->ck, &p) != 0) {
		e->failed = true;
		return -1;
	}
	return 0;
}

/* ---- the loop ---- */

/* Which live sources engine_open_sources asks about. */
enum src_which {
	SRC_ANY,	/* any source that may still deliver */
	SRC_REGULAR	/* a regular file whose standing content is being read */
};

/*
 * Whether a live source of the kind WHICH is being read.  In processing
 * time finite inputs are read one after another, so for REGULAR only the
 * first live one counts: a file waiting its turn behind a pipe is not
 * being read.  In event time every input is read.
 */
static bool
engine_open_sources(struct engine *e, enum src_which which)
{
	struct source	*s;
	int		 i;
	bool		 seq_taken = false;

	for (i = 0; i < e->nsrc; i++) {
		s = e->src[i];
		if (s->state != SRC_LIVE)
			continue;
		if (which == SRC_ANY)
			return true;
		if (e->etime == NULL && s->finite) {
			if (seq_taken)
				continue;
			seq_taken = true;
		}
		if (s->regular)
			return true;
	}
	return false;
}

/*
 * Whether S is read in this turn of the loop.  Processing time: every
 * live source but the finite ones after the first live finite one
 * (*SEQ_TAKEN says it was seen).  Event time: every live source, but of
 * the files read by turns only TURN, the one the clock named.
 */
static bool
engine_reads(struct engine *e, struct source *s, struct clock_input *turn,
    bool *seq_taken)
{
	if (s->state != SRC_LIVE)
		return false;
	if (e->etime != NULL)
		return !engine_by_turns(s) || s->tag == turn;
	if (s->finite) {
		if (*seq_taken)
			return false;
		*seq_taken = true;
	}
	return true;
}

/*
 * Tells the clock the wall time NOW, and in processing time whether a
 * regular file is being read (no batch ends then); when none is, the
 * chain too (chain_live): the ends flushed now are the wall clock's.
 */
static void
engine_tick(struct engine *e, int64_t now)
{
	uint64_t	 n = e->nflush;
	bool		 reading;

	reading = e->etime == NULL && engine_open_sources(e, SRC_REGULAR);
	if (e->etime == NULL && !reading)
		chain_live(e->chain, now);
	clock_tick(e->clock, now, reading);
	engine_ckpt_point(e, n);
}

/* ---- the stop ---- */

static const char *
engine_signame(int sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	default:
		return "a signal";
	}
}

/*
 * A signal stopped the run before every input ended.  Sources deliver
 * what they hold that will not grow (a followed file's last line); then
 * stderr names each finite input cut short, where reading stopped, and
 * from which batch on the output is partial (DESIGN section 6).  Returns
 * whether a regular file was cut short: the run's output is not that of
 * its input, and the exit status says so.
 */
static bool
engine_stopped(struct engine *e, int sig)
{
	struct buf	 b = BUF_INIT;
	struct source	*s;
	int64_t		 from;
	int		 i;
	bool		 file_cut = false;

	for (i = 0; i < e->nsrc; i++) {
		s = e->src[i];
		if (s->state == SRC_LIVE && s->kind->stop != NULL)
			s->kind->stop(s);
	}
	for (i = 0; i < e->nsrc; i++) {
		s = e->src[i];
		if (s->state != SRC_LIVE || !s->finite)
			continue;
		if (s->regular)
			file_cut = true;
		buf_printf(&b, "%s%s", b.len > 0 ? ", " : "", s->name);
		if (s->kind->lines == NULL)
			buf_printf(&b, " cut short");
		else if (s->kind->lines(s) == 0)
			buf_printf(&b, " not read");
		else
			buf_printf(&b, " read up to line %llu",
			    (unsigned long long)s->kind->lines(s));
	}
	if (b.len > 0) {
		from = clock_partial_from(e->clock);
		if (e->etime == NULL)
			buf_printf(&b, "; the last batch is partial");
		else if (from >= 0) {
			buf_printf(&b, "; the batches from ");
			time_fmt_rfc3339(&b, from);
			buf_printf(&b, " on are partial");
		}
		fprintf(stderr, "%s: stopped by %s: %s\n", progname,
		    engine_signame(sig), b.p);
	}
	buf_free(&b);
	return file_cut;
}

/*
 * A stop was asked: whether a checkpointed run reads on, because its
 * chain holds part of a batch (a checkpoint is taken only at a batch
 * boundary).  Records wait in the clock from now on, so the next flush
 * ends the batch in hand; that happens before its files end (the only
 * runs whose chain holds part of a batch read files that take the
 * watermark past it: clock_sure).
 */
static bool
engine_finishing(struct engine *e)
{
	if (e->ck == NULL || clock_boundary(e->clock))
		return false;
	clock_keep(e->clock, true);
	return true;
}

/*
 * The run's exit status: 1 when it failed; 128 plus the signal's number
 * when a stop cut it short (PARTIAL, by SIG), or when the destination
 * gave up waiting (reconnecting, locked) at a stop, its output not
 * written; else 0.
 */
static int
engine_status(struct engine *e, bool partial, int sig)
{
	if (e->failed && sink_stopped(e->sink) && stop_signal != 0)
		return 128 + stop_signal;
	if (e->failed)
		return EXIT_RUNTIME;
	/* Cut short by a signal, as a filter killed by it would say. */
	return partial ? 128 + sig : EXIT_OK;
}

/*
 * The end of a checkpointed run: every input has ended (cron mode) or a
 * stop was asked.  What was read is processed (processing time: the
 * open batch is flushed); windows the watermark has not closed stay in
 * the checkpoint for the next run, unless --final closes them all at the
 * end of input; then the checkpoint is written.  Returns the exit status.
 */
static int
engine_end_checkpointed(struct engine *e)
{
	struct ckpt_parts	 p;
	struct counters		 counters;
	int			 sig = stop_signal, i;
	struct source		*s;

	if (sig != 0)
		for (i = 0; i < e->nsrc; i++) {
			s = e->src[i];
			if (s->state == SRC_LIVE && s->kind->stop != NULL)
				s->kind->stop(s);
		}
	if (!e->failed) {
		if (e->cfg->final && sig == 0)
			(void)clock_finish(e->clock, true);
		else
			clock_end_here(e->clock);
	}
	if (sink_flush_ended(e->sink) != 0)
		e->failed = true;
	if (!e->failed && !clock_boundary(e->clock)) {
		/*
		 * Not at a batch boundary (a file changed under the run: its
		 * last line told more than it held): the last checkpoint
		 * stays, and the next run goes on from there as after a
		 * kill (-o FILE is cut back to it: still exactly once).
		 */
		fprintf(stderr, "%s: checkpoint %s: not written at the end: "
		    "a batch was partly processed; the next run goes on from "
		    "the last one\n", progname, e->cfg->checkpoint);
		sig = 0;
	} else if (!e->failed) {
		p = engine_parts(e);
		if (checkpoint_write(e->ck, &p) != 0)
			e->failed = true;
	}
	if (sig != 0 && !e->failed)
		fprintf(stderr, "%s: stopped by %s: checkpoint %s written; "
		    "the next run goes on from there\n", progname,
		    engine_signame(sig), e->cfg->checkpoint);
	/* The destination gave its waiting up at a stop (sink.h). */
	if (e->failed && sink_stopped(e->sink))
		fprintf(stderr, "%s: stopped by %s: checkpoint %s not "
		    "advanced; the next run goes on from the last one and "
		    "writes what was not written\n", progname,
		    engine_signame(stop_signal), e->cfg->checkpoint);
	engine_counters(e, &counters);
	record_errors_summary(&counters, engine_late_name(e));
	return engine_status(e, false, 0);
}

int
engine_run(struct engine *e)
{
	struct pollfd	 pfd[MAX_PFD];
	struct counters	 counters;
	struct clock_input *turn;
	int		*first, *count;
	int		 i, n, np, ns, timeout, nsrc = e->nsrc;
	int64_t		 now, t, cut;
	int		 sig;
	bool		 any, seq_taken, reading, partial = false, drain, *sel;
	bool		 more;

	/* Each input's slice of pfd: as many inputs as were given. */
	first = xcalloc((size_t)nsrc + 1, sizeof *first);
	count = xcalloc((size_t)nsrc + 1, sizeof *count);
	sel = xcalloc((size_t)nsrc + 1, sizeof *sel);
	clock_start(e->clock, clock_now_ms());
	if (e->ck != NULL && e->etime != NULL)
		clock_sure(e->clock, engine_sure_end(e));
	while (!e->failed && (!stop_signal || engine_finishing(e))) {
		/* SIGHUP: the join tables are read again, between records. */
		if (hup_signal) {
			hup_signal = 0;
			chain_reload(e->chain);
		}
		np = 0;
		any = false;
		seq_taken = false;
		timeout = -1;
		now = clock_now_ms();
		/* Reading a regular file, batches end faster than anyone
		 * could watch: their output goes in large writes (and what
		 * ended batches left goes before dstream may wait, below). */
		reading = engine_open_sources(e, SRC_REGULAR);
		sink_hold(e->sink, reading);
		t = clock_wake(e->clock, now, reading);
		if (t >= 0)
			timeout = t > INT32_MAX ? INT32_MAX : (int)t;
		/* In event time a checkpoint waiting is written at the next
		 * turn at a batch boundary (until then records wait in the
		 * clock, and the next flush brings one); in processing time
		 * at the next batch end. */
		if (e->ck != NULL && e->etime != NULL &&
		    clock_boundary(e->clock) &&
		    (t = checkpoint_wake(e->ck, now)) >= 0 &&
		    (timeout < 0 || t < timeout))
			timeout = (int)t;
		/* In event time, the file whose turn it is. */
		turn = e->etime != NULL ? clock_next_file(e->clock) : NULL;
		for (i = 0; i < nsrc; i++) {
			struct source	*s = e->src[i];

			first[i] = np;
			count[i] = 0;
			sel[i] = engine_reads(e, s, turn, &seq_taken);
			if (!sel[i])
				continue;
			any = true;
			count[i] = s->kind->fds(s, pfd + np, MAX_PFD - np,
			    &timeout);
			np += count[i];
			if (s->regular)
				timeout = 0;
		}
		if (!any)
			break;
		/* The dashboard's descriptor after the sources'.  Whether
		 * the loop has work at hand without waiting (a regular file,
		 * a batch to close) is the dashboard's business too. */
		more = timeout == 0;
		ns = e->serve != NULL ? serve_fds(e->serve, pfd + np,
		    MAX_PFD - np, &timeout) : 0;
		np += ns;
		/* Nothing of an ended batch is held while dstream may wait,
		 * nor longer than the sink asks (-f top's next frame). */
		if (timeout != 0 && sink_flush_ended(e->sink) != 0) {
			e->failed = true;
			break;
		}
		if (timeout != 0 && (t = sink_wake_ms(e->sink)) >= 0 &&
		    (timeout < 0 || t < timeout))
			timeout = (int)t;
		if (np > 0 || timeout != 0) {
			n = poll(pfd, (nfds_t)np, timeout);
			if (n < 0 && errno != EINTR) {
				fprintf(stderr, "%s: poll: %s\n", progname,
				    strerror(errno));
				e->failed = true;
				break;
			}
			if (n < 0)
				continue;
		}
		/* Close the batches that ended while we slept, so what is
		 * read now lands in the batch open now. */
		engine_tick(e, clock_now_ms());
		for (i = 0; i < nsrc && !e->failed; i++) {
			struct source	*s = e->src[i];
			int		 r;

			if (!sel[i])
				continue;
			r = s->kind->ready(s, pfd + first[i], count[i]);
			if (r < 0)
				e->failed = true;
			else
				s->state = (enum source_state)r;
			if (s->state == SRC_DONE && s->tag != NULL)
				clock_input_end(e->clock, s->tag);
		}
		if (e->serve != NULL) {
			/* Input at hand: the dashboard's events may wait for
			 * the next batches (see serve_ready). */
			for (i = 0; i < np - ns && !more; i++)
				more = pfd[i].revents != 0;
			serve_ready(e->serve, pfd + np - ns, ns, more);
		}
		/* The wall clock of the latest record, for --idle: once per
		 * turn of the loop, not per record. */
		if (e->etime != NULL)
			clock_arrived(e->clock, clock_now_ms());
		/* Input that has just ended closes the batch in hand (in
		 * engine_finish), not the empty ones after it. */
		if (!engine_open_sources(e, SRC_ANY))
			break;
		engine_tick(e, clock_now_ms());
	}
	free(first);
	free(count);
	free(sel);
	/* Flushes from now on are the end's, not the watermark's. */
	e->in.finishing = true;
	if (e->ck != NULL)
		return engine_end_checkpointed(e);
	drain = (sig = stop_signal) == 0;
	if (sig != 0 && !e->failed)
		partial = engine_stopped(e, sig);
	if (sig != 0 && !e->failed && e->rb.on) {
		/*
		 * A Kafka group rebuilding its windows: a stop emits nothing
		 * the watermark has not closed, since the group's offsets
		 * hand those windows to the next owner, which emits them
		 * whole (engine/rebuild.c).
		 */
		clock_end_here(e->clock);
		fprintf(stderr, "%s: stopped by %s: the windows still open are "
		    "left to the group (their partitions' next owner emits "
		    "them)\n", progname, engine_signame(sig));
		cut = -1;
	} else
		cut = clock_finish(e->clock, drain);
	if (cut >= 0 && !e->failed && (sig = stop_signal) != 0) {
		struct buf	 b = BUF_INIT;

		/* A signal during the drain of a finished input cuts its output short. */
		if (drain)
			partial = true;
		time_fmt_rfc3339(&b, cut);
		fprintf(stderr, "%s: stopped by %s: trailing windows after %s "
		    "not emitted\n", progname, engine_signame(sig), b.p);
		buf_free(&b);
	}
	/* Every ended batch is written, also when the run failed; the
	 * batch in hand when it failed is abandoned (sink_close drops it). */
	if (sink_flush_ended(e->sink) != 0)
		e->failed = true;
	engine_counters(e, &counters);
	record_errors_summary(&counters, engine_late_name(e));
	return engine_status(e, partial, sig);
}
