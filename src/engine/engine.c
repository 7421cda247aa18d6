/*
 * engine.c - the batch clock, event time and the one event loop.
 *
 * Processing time: a record belongs to the batch open when it arrives.
 * Batches are [end - B, end) on the epoch clock; the loop sleeps in poll()
 * until the open batch's end, then flushes the chain with that end.  What
 * a regular file holds when it is opened arrived at that moment: while
 * such a file is being read the clock does not cut batches.
 *
 * Event time: a record belongs to the batch of its own time.  The
 * watermark is the largest time seen minus --watermark; the batch ending
 * at T is complete once the watermark reaches T.  Batches are flushed in
 * time order, every batch end in turn, empty ones included.  Records of
 * the earliest open batch go straight into the chain once the first
 * batch has been flushed (no earlier record can then be accepted);
 * records of later batches wait in per-batch arenas.  A record whose
 * batch was already flushed is late: counted, written to --late-file,
 * never silently lost.
 *
 * End of input (every source ended): the open batches are flushed at
 * once, then empty batches for the chain's span so that windows slide out
 * of their data and the trailing windows are emitted.
 */
#include <sys/resource.h>

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../dstream.h"
#include "../expr/expr.h"
#include "../sinks/sink.h"
#include "../state/grid.h"
#include "engine.h"

#define MAX_PFD		1024
#define GAP_MAX		100000	/* empty batches flushed in one event-time gap */

/* Records of one event-time batch waiting for the watermark. */
struct pending {
	int64_t		 end;
	struct arena	 arena;
	struct value	*recs;
	struct origin	*origins;
	size_t		 n, cap;
	const char	*last_name;	/* the origin name last copied into arena */
};

struct engine {
	const struct config *cfg;	/* main's */
	struct counters	*run;		/* main's run-wide counters */
	struct op	*chain;
	struct sink	*sink;		/* the output: where the chain's tail writes */
	int64_t		 span;		/* chain_span: how long windows hold data */
	int64_t		 B;		/* batch interval, ms */
	struct source	**src;
	int		 nsrc;
	struct arena	 rec;		/* the record in flight */
	bool		 failed;	/* a push or flush asked to stop */

	/* Processing time. */
	int64_t		 open_end;	/* end of the open batch */

	/* Event time. */
	struct expr	*etime;
	struct expr_ctx	 ectx;
	bool		 seen;		/* a timed record has been accepted */
	bool		 flushed;	/* a batch has been flushed */
	int64_t		 next_end;	/* earliest batch end not flushed */
	int64_t		 max_time;	/* largest event time seen, ms */
	int64_t		 last_end;	/* the batch of the last record (a cache) */
	int64_t		 last_data_end;	/* latest batch end holding data */
	int64_t		 held_end;	/* latest flushed batch end that had data */
	bool		 open_data;	/* batch next_end has records in the chain */
	bool		 got_record;	/* a record was accepted in this turn */
	int64_t		 last_wall;	/* wall clock of the latest record */
	struct pending	*pend;		/* sorted by end */
	size_t		 npend, cappend;
	FILE		*late;
	bool		 gap_warned;

	/* --stats */
	int64_t		 cpu_ms;	/* CPU time used at the previous line */
	struct counters	 last;		/* the counters' sum at the previous batch */
};

static volatile sig_atomic_t	stop_signal;

int64_t
clock_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	stop_signal = sig;
}

/* The largest event time, in seconds either side of 1970 (9e15 ms). */
#define ETIME_MAX_S	INT64_C(9000000000000)

struct engine *
engine_new(const struct config *cfg, struct op *chain, struct counters *run,
    char **cause)
{
	struct engine	*e = xcalloc(1, sizeof *e);

	e->cfg = cfg;
	e->run = run;
	e->chain = chain;
	e->span = chain_span(chain);
	e->B = cfg->batch_ms;
	arena_init(&e->rec);
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
	return e;
}

int
engine_late_file(struct engine *e, const char *path, char **cause)
{
	if ((e->late = fopen(path, "a")) == NULL) {
		xasprintf(cause, "--late-file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
engine_output(struct engine *e, const char *dest, char **cause)
{
	if ((e->sink = sink_open(dest, e->cfg->format, e->cfg->stamp,
	    cause)) == NULL)
		return -1;
	chain_sink(e->chain, e->sink);
	return 0;
}

void
engine_free(struct engine *e)
{
	int	 i;
	size_t	 j;

	for (i = 0; i < e->nsrc; i++)
		source_close(e->src[i]);
	free(e->src);
	for (j = 0; j < e->npend; j++) {
		arena_free(&e->pend[j].arena);
		free(e->pend[j].recs);
		free(e->pend[j].origins);
	}
	free(e->pend);
	if (e->etime != NULL) {
		expr_free(e->etime);
		expr_ctx_free(&e->ectx);
	}
	if (e->late != NULL)
		fclose(e->late);
	sink_close(e->sink);
	arena_free(&e->rec);
	free(e);
}

int
engine_add_source(struct engine *e, const char *spec, char **cause)
{
	struct source	*src;

	src = source_open(spec, e, e->cfg, cause);
	if (src == NULL)
		return -1;
	e->src = xreallocarray(e->src, (size_t)e->nsrc + 1, sizeof *e->src);
	e->src[e->nsrc++] = src;
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
 * Prints the --stats line for the batch ending at END.  Its ms= is the
 * processing time: the CPU time used since the line before, not the wall
 * time, which for a live stream is only the batch interval again.
 */
static void
engine_stats(struct engine *e, int64_t end)
{
	struct buf	 b = BUF_INIT;
	struct rusage	 ru;
	struct counters	 counters;
	int64_t		 cpu;

	/* Output held back (sink_hold) goes first: the line follows it. */
	if (sink_flush_ended(e->sink) != 0)
		e->failed = true;
	getrusage(RUSAGE_SELF, &ru);
	cpu = ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
	time_fmt_rfc3339(&b, end);
	engine_counters(e, &counters);
	fprintf(stderr, "%s: batch %s in=%llu out=%llu late=%llu skipped=%llu "
	    "long=%llu ms=%lld keys=%zu rss_kb=%ld\n", progname, b.p,
	    (unsigned long long)(counters.records_in - e->last.records_in),
	    (unsigned long long)(counters.records_out - e->last.records_out),
	    (unsigned long long)(counters.late - e->last.late),
	    (unsigned long long)(counters.skipped - e->last.skipped),
	    (unsigned long long)(counters.long_lines - e->last.long_lines),
	    (long long)(cpu - e->cpu_ms), chain_held(e->chain),
	    ru.ru_maxrss);
	buf_free(&b);
	e->last = counters;
	e->cpu_ms = cpu;
}

/* Flushes the chain for the batch ending at END. */
static void
engine_flush(struct engine *e, int64_t end)
{
	cur_origin.name = NULL;
	cur_origin.line = 0;
	cur_origin.counters = NULL;
	if (!e->failed && e->chain->flush(e->chain, end) != 0)
		e->failed = true;
	if (e->cfg->stats)
		engine_stats(e, end);
}

/* Pushes V into the chain as part of the batch ending at END. */
static void
engine_push(struct engine *e, struct value *v, int64_t end)
{
	if (!e->failed && e->chain->push(e->chain, v, end) != 0)
		e->failed = true;
}

/* ---- event time ---- */

/* Returns the pending batch ending at END, creating it in order. */
static struct pending *
pending_get(struct engine *e, int64_t end)
{
	size_t		 i;
	struct pending	*p;

	for (i = 0; i < e->npend && e->pend[i].end < end; i++)
		;
	if (i < e->npend && e->pend[i].end == end)
		return &e->pend[i];
	if (e->npend == e->cappend) {
		e->cappend = e->cappend ? e->cappend * 2 : 8;
		e->pend = xreallocarray(e->pend, e->cappend, sizeof *e->pend);
	}
	memmove(&e->pend[i + 1], &e->pend[i], (e->npend - i) * sizeof *e->pend);
	e->npend++;
	p = &e->pend[i];
	memset(p, 0, sizeof *p);
	p->end = end;
	arena_init(&p->arena);
	return p;
}

static void
pending_add(struct pending *p, const struct value *v)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->recs = xreallocarray(p->recs, p->cap, sizeof *p->recs);
		p->origins = xreallocarray(p->origins, p->cap,
		    sizeof *p->origins);
	}
	p->recs[p->n] = value_copy(&p->arena, v);
	/* The name may not outlive the source's read (dir:// files). */
	p->origins[p->n].line = cur_origin.line;
	p->origins[p->n].counters = cur_origin.counters;
	p->origins[p->n].name = NULL;
	if (cur_origin.name != NULL) {
		if (p->last_name != NULL &&
		    strcmp(p->last_name, cur_origin.name) == 0)
			p->origins[p->n].name = p->last_name;
		else {
			p->last_name = arena_strndup(&p->arena,
			    cur_origin.name, strlen(cur_origin.name));
			p->origins[p->n].name = p->last_name;
		}
	}
	p->n++;
}

/* Pushes the records waiting for the batch ending at END (the first pending one). */
static void
engine_release(struct engine *e, int64_t end)
{
	struct pending	*p;
	struct origin	 saved = cur_origin;
	size_t		 i;

	if (e->npend == 0 || e->pend[0].end != end)
		return;
	p = &e->pend[0];
	e->open_data = true;
	for (i = 0; i < p->n; i++) {
		cur_origin = p->origins[i];
		engine_push(e, &p->recs[i], end);
	}
	cur_origin = saved;
	arena_free(&p->arena);
	free(p->recs);
	free(p->origins);
	e->npend--;
	memmove(&e->pend[0], &e->pend[1], e->npend * sizeof *e->pend);
}

/*
 * Flushes every batch ending at or before UPTO, in order.  Empty batches
 * between data are flushed one by one (so count gives 0); but when the
 * chain holds nothing (the last batch with data is flushed and its
 * windows have slid past) and the next data lies more than GAP_MAX
 * batches ahead, the empty stretch is skipped, with a note, rather than
 * flushed batch by batch.
 */
static void
engine_advance(struct engine *e, int64_t upto)
{
	int64_t	 target;

	if (!e->seen)
		return;
	while (e->next_end <= upto && !e->failed) {
		engine_release(e, e->next_end);
		if (!e->open_data && e->next_end > e->held_end + e->span + e->B) {
			if (e->npend > 0)
				target = e->pend[0].end;
			else
				target = grid_floor(upto, e->B);
			if (target > upto)
				target = grid_floor(upto, e->B);
			if ((target - e->next_end) / e->B > GAP_MAX) {
				if (!e->gap_warned)
					fprintf(stderr, "%s: event time jumps "
					    "over more than %d empty batches; "
					    "not flushing them one by one\n",
					    progname, GAP_MAX);
				e->gap_warned = true;
				e->next_end = target;
				engine_release(e, e->next_end);
			}
		}
		if (e->open_data)
			e->held_end = e->next_end;
		e->open_data = false;
		engine_flush(e, e->next_end);
		e->flushed = true;
		e->next_end += e->B;
		/* The next batch is now the earliest: its waiting records go
		 * in before any that arrive directly, keeping arrival order. */
		engine_release(e, e->next_end);
	}
}

/*
 * Writes a late record's line to --late-file.  A write error there (disk
 * full) is an error like one on stdout: the run stops with status 1
 * rather than lose late records silently.
 */
static void
engine_late(struct engine *e, const char *line, size_t len)
{
	origin_counters()->late++;
	if (e->late != NULL) {
		fwrite(line, 1, len, e->late);
		fputc('\n', e->late);
		if (fflush(e->late) != 0 || ferror(e->late)) {
			fprintf(stderr, "%s: --late-file %s: write error: %s\n",
			    progname, e->cfg->late_file, strerror(errno));
			e->failed = true;
		}
	}
}

/*
 * Evaluates the event time of V.  Returns 0 and the time in ms, or -1
 * after reporting a per-record error.
 */
static int
engine_event_time(struct engine *e, struct value *v, int64_t *ms)
{
	struct value	 t;
	double		 secs;

	expr_ctx_record(&e->ectx, v);
	if (expr_eval(e->etime, &e->ectx, &t) != 0)
		return record_error("event-time", v, "%s", e->ectx.err) < 0 ?
		    -2 : -1;
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
		return record_error("event-time", &t, "not a time") < 0 ?
		    -2 : -1;
	else
		return record_error("event-time", v, "--event-time gave %s, "
		    "not a time, for the record", value_type_name(&t)) < 0 ?
		    -2 : -1;
	if (!isfinite(secs) || fabs(secs) > ETIME_MAX_S)
		return record_error("event-time", &t, "time out of range") < 0 ?
		    -2 : -1;
	*ms = (int64_t)floor(secs * 1000 + 0.5e-6);
	return 0;
}

/* Event time: places V in its batch, or reports it late. */
static void
engine_event_record(struct engine *e, struct value *v, const char *line,
    size_t len)
{
	int64_t	 ms, end;
	int	 r;

	if ((r = engine_event_time(e, v, &ms)) != 0) {
		if (r == -2)
			e->failed = true;
		return;
	}
	/* Records mostly fall in the batch of the one before. */
	if (ms < e->last_end && ms >= e->last_end - e->B)
		end = e->last_end;
	else
		end = e->last_end = grid_end(ms, e->B);
	if (e->flushed && end < e->next_end) {
		engine_late(e, line, len);
		return;
	}
	e->got_record = true;
	if (!e->seen) {
		e->seen = true;
		e->next_end = end;
		e->max_time = ms;
		e->last_data_end = end;
		e->held_end = end;
	}
	if (end < e->next_end)
		e->next_end = end;
	if (ms > e->max_time)
		e->max_time = ms;
	if (end > e->last_data_end)
		e->last_data_end = end;
	if (e->flushed && end == e->next_end) {
		e->open_data = true;
		expr_fields_hint(&e->ectx);
		engine_push(e, v, end);
		expr_fields_hint(NULL);
	}
	else
		pending_add(pending_get(e, end), v);
	engine_advance(e, e->max_time - e->cfg->watermark_ms);
}

/* ---- records ---- */

/* Whether LINE holds only JSON white space. */
static bool
json_blank(const char *line, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return false;
	return true;
}

void
engine_line(struct engine *e, struct source *src, const char *line,
    size_t len, uint64_t lineno)
{
	struct value	 v;
	const char	*err;

	if (e->failed)
		return;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	cur_origin.name = src->name;
	cur_origin.line = lineno;
	cur_origin.counters = &src->counters;
	if (e->cfg->header && lineno == 1) {
		expr_set_header(line, len);
		return;
	}
	if (e->cfg->json && json_blank(line, len))
		return;		/* as jq: blank lines hold no value */
	src->counters.records_in++;
	if (e->cfg->json) {
		if (json_parse(&e->rec, line, len, &v, &err) != 0) {
			struct value raw = value_str(line, len);

			if (record_error("json", &raw, "%s", err) < 0)
				e->failed = true;
			arena_reset(&e->rec);
			return;
		}
	} else
		v = value_str(line, len);
	if (e->etime != NULL)
		engine_event_record(e, &v, line, len);
	else
		engine_push(e, &v, e->open_end);
	arena_reset(&e->rec);
}

/* ---- the loop ---- */

/* Which live sources engine_open_sources asks about. */
enum src_which {
	SRC_ANY,	/* any source that may still deliver */
	SRC_REGULAR,	/* a regular file whose standing content is being read */
	SRC_STREAM	/* one that may fall silent: a pipe, a socket, a followed
			 * file; only such a stream lets the event clock run on
			 * by the wall clock (--idle) */
};

/*
 * Whether a live source of the kind WHICH is open.  Finite inputs are
 * read one after another, so for REGULAR and STREAM only the first live
 * one counts: a file waiting its turn behind a pipe is not being read.
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
		if (s->finite) {
			if (seq_taken)
				continue;
			seq_taken = true;
		}
		if (s->regular == (which == SRC_REGULAR))
			return true;
	}
	return false;
}

/*
 * Processing time: closes every batch whose end has passed (unless a
 * regular file is being read).
 */
static void
engine_tick(struct engine *e, int64_t now)
{
	if (e->etime != NULL) {
		/* A silent live stream advances by the wall clock after --idle. */
		if (e->seen && engine_open_sources(e, SRC_STREAM) &&
		    now - e->last_wall >= e->cfg->idle_ms)
			engine_advance(e, e->max_time + (now - e->last_wall) -
			    e->cfg->watermark_ms);
		return;
	}
	if (engine_open_sources(e, SRC_REGULAR))
		return;
	while (now >= e->open_end && !e->failed) {
		engine_flush(e, e->open_end);
		e->open_end += e->B;
	}
}

/* All input has ended (or a stop was asked): close what is open. */
static void
engine_finish(struct engine *e, bool drain)
{
	int64_t	 end, last;

	if (e->etime != NULL) {
		if (!e->seen)
			return;
		last = e->last_data_end;
		engine_advance(e, last);
		if (drain)
			engine_advance(e, last + e->span);
		return;
	}
	end = e->open_end;
	engine_flush(e, end);
	if (drain)
		for (last = end + e->span; end < last && !e->failed; ) {
			end += e->B;
			engine_flush(e, end);
		}
}

int
engine_run(struct engine *e)
{
	struct pollfd	 pfd[MAX_PFD];
	struct counters	 counters;
	int		*first, *count;
	int		 i, n, np, timeout, nsrc = e->nsrc;
	int64_t		 now;
	bool		 any, seq_taken, reading;

	/* Each input's slice of pfd: as many inputs as were given. */
	first = xcalloc((size_t)nsrc + 1, sizeof *first);
	count = xcalloc((size_t)nsrc + 1, sizeof *count);
	now = clock_now_ms();
	e->open_end = grid_end(now, e->B);
	while (!e->failed && !stop_signal) {
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
		if (e->etime == NULL && !reading) {
			int64_t	 t = e->open_end - now;

			timeout = t < 0 ? 0 : t > INT32_MAX ? INT32_MAX : (int)t;
		} else if (e->etime != NULL && e->seen &&
		    engine_open_sources(e, SRC_STREAM)) {
			int64_t	 silent = now - e->last_wall, t;

			/* Wake when --idle passes, then at each batch end
			 * of the event clock running on from max_time. */
			if (silent < e->cfg->idle_ms)
				t = e->cfg->idle_ms - silent;
			else
				t = e->next_end + e->cfg->watermark_ms -
				    e->max_time - silent;
			timeout = t < 0 ? 0 : t > INT32_MAX ? INT32_MAX : (int)t;
		}
		for (i = 0; i < nsrc; i++) {
			struct source	*s = e->src[i];

			first[i] = np;
			count[i] = 0;
			if (s->state != SRC_LIVE)
				continue;
			/* Finite inputs are read one after another. */
			if (s->finite) {
				if (seq_taken)
					continue;
				seq_taken = true;
			}
			any = true;
			count[i] = s->kind->fds(s, pfd + np, MAX_PFD - np,
			    &timeout);
			np += count[i];
			if (s->regular)
				timeout = 0;
		}
		if (!any)
			break;
		/* Nothing of an ended batch is held while dstream may wait. */
		if (timeout != 0 && sink_flush_ended(e->sink) != 0) {
			e->failed = true;
			break;
		}
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
		seq_taken = false;
		for (i = 0; i < nsrc && !e->failed; i++) {
			struct source	*s = e->src[i];
			int		 r;

			if (s->state != SRC_LIVE)
				continue;
			if (s->finite) {
				if (seq_taken)
					continue;
				seq_taken = true;
			}
			r = s->kind->ready(s, pfd + first[i], count[i]);
			if (r < 0)
				e->failed = true;
			else
				s->state = (enum source_state)r;
		}
		/* The wall clock of the latest record, for --idle: once per
		 * turn of the loop, not per record. */
		if (e->got_record) {
			e->last_wall = clock_now_ms();
			e->got_record = false;
		}
		/* Input that has just ended closes the batch in hand (in
		 * engine_finish), not the empty ones after it. */
		if (!engine_open_sources(e, SRC_ANY))
			break;
		engine_tick(e, clock_now_ms());
	}
	free(first);
	free(count);
	if (!e->failed)
		engine_finish(e, stop_signal == 0);
	/* Every ended batch is written, also when the run failed; the
	 * batch in hand when it failed is abandoned (sink_close drops it). */
	if (sink_flush_ended(e->sink) != 0)
		e->failed = true;
	engine_counters(e, &counters);
	record_errors_summary(&counters, e->cfg->late_file);
	return e->failed ? EXIT_RUNTIME : EXIT_OK;
}
