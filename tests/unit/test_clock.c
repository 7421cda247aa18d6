/*
 * test_clock.c - the clock alone: batch ends in processing time, the
 * event-time watermark with records out of order, gaps (and the skip of
 * long ones), late records, the --idle clock and the drain at end of
 * input.  The hooks write what the clock asks into a log, "P2000:x" for
 * a waiting record pushed into the batch ending at 2000, "F2000" for a
 * flush, "S1000-9000" for a skipped gap; the test pushes CLOCK_PUSH
 * records itself, logged as "p2000:x".
 */
#include <stdlib.h>
#include <string.h>

#include "../../src/dstream.h"
#include "../../src/engine/clock.h"
#include "../../src/state/grid.h"
#include "unit.h"

static struct buf	 logbuf = BUF_INIT;
static bool		 stop;
static int		 nflush;

static void
log_value(const struct value *v)
{
	if (v->type == V_STR)
		buf_add(&logbuf, v->u.s, v->n);
	else
		buf_printf(&logbuf, "%lld", (long long)v->u.i);
}

static void
hook_push(void *ctx, struct value *v, const struct origin *o, int64_t end)
{
	buf_printf(&logbuf, "P%lld:", (long long)end);
	log_value(v);
	if (o->name != NULL)
		buf_printf(&logbuf, "@%s:%llu", o->name,
		    (unsigned long long)o->line);
	buf_addc(&logbuf, ' ');
}

static void
hook_flush(void *ctx, int64_t end)
{
	nflush++;
	/* Long runs of flushes are only counted. */
	if (nflush < 50)
		buf_printf(&logbuf, "F%lld ", (long long)end);
}

static void
hook_skip(void *ctx, int64_t from, int64_t to)
{
	buf_printf(&logbuf, "S%lld-%lld ", (long long)from, (long long)to);
}

/* A clock of batch B, span SPAN, watermark WM (event time when EVENT). */
static struct clock *
mk(bool event, int64_t B, int64_t span, int64_t wm, int64_t idle)
{
	struct clock_config	 cc = { B, span, event, wm, idle, 0 };
	struct clock_hooks	 h = { NULL, &stop, hook_push, hook_flush,
				     hook_skip, NULL };

	buf_reset(&logbuf);
	stop = false;
	nflush = 0;
	return clock_new(&cc, &h);
}

/* The log so far, then forgotten. */
static const char *
took(void)
{
	static char	 s[4096];
	size_t		 n = logbuf.len;

	while (n > 0 && logbuf.p[n - 1] == ' ')
		n--;
	if (n >= sizeof s)
		n = sizeof s - 1;
	if (n > 0)
		memcpy(s, logbuf.p, n);
	s[n] = '\0';
	buf_reset(&logbuf);
	return s;
}

/*
 * Places an integer record of time MS from input IN as the engine does:
 * pushes it when the clock says so, then advances when a batch is due.
 * Returns the place (without CLOCK_DUE).
 */
static int
rec(struct clock *c, struct clock_input *in, int64_t ms)
{
	struct value	 v = value_int(ms);
	struct origin	 o = { .name = "in" };
	int64_t		 end = 0;
	int		 r;

	o.line = (uint64_t)ms;
	r = clock_record(c, in, ms, &v, &o, &end);
	if (CLOCK_PLACE(r) == CLOCK_PUSH) {
		buf_printf(&logbuf, "p%lld:", (long long)end);
		log_value(&v);
		buf_addc(&logbuf, ' ');
	}
	if (r & CLOCK_DUE)
		clock_advance(c);
	return CLOCK_PLACE(r);
}

static void
test_grid(void)
{
	CHECK(grid_end(0, 1000) == 1000);
	CHECK(grid_end(999, 1000) == 1000);
	CHECK(grid_end(1000, 1000) == 2000);
	CHECK(grid_end(-1, 1000) == 0);
	CHECK(grid_end(-1000, 1000) == 0);
	CHECK(grid_end(-1001, 1000) == -1000);
	CHECK(grid_floor(1999, 1000) == 1000);
	CHECK(grid_floor(-1, 1000) == -1000);
	CHECK(grid_floor(-1000, 1000) == -1000);
	CHECK(grid_floordiv(-7, 2) == -4);
	CHECK(grid_floordiv(7, 2) == 3);
	CHECK(grid_floordiv(7, -2) == -4);
	CHECK(!grid_gap_long(0, (int64_t)GAP_MAX * 10, 10));
	CHECK(grid_gap_long(0, ((int64_t)GAP_MAX + 1) * 10, 10));
}

static void
test_processing(void)
{
	struct clock	*c = mk(false, 1000, 2000, 0, 1000);

	clock_start(c, 1500);
	CHECK(clock_open_end(c) == 2000);
	CHECK(clock_wake(c, 1500, false) == 500);
	CHECK(clock_wake(c, 2100, false) == 0);
	/* While a regular file is read, no batch ends and no wake-up. */
	CHECK(clock_wake(c, 1500, true) == -1);
	clock_tick(c, 1999, false);
	CHECK_STR(took(), "");
	clock_tick(c, 5000, true);
	CHECK_STR(took(), "");
	clock_tick(c, 2000, false);
	CHECK_STR(took(), "F2000");
	CHECK(clock_open_end(c) == 3000);
	/* A long sleep closes every batch that ended meanwhile, in order. */
	clock_tick(c, 5500, false);
	CHECK_STR(took(), "F3000 F4000 F5000");
	CHECK(clock_open_end(c) == 6000);
	/* End of input: the open batch, then the span's empty batches. */
	clock_finish(c, true);
	CHECK_STR(took(), "F6000 F7000 F8000");
	clock_free(c);

	/* A stop (not a drain) closes only the batch in hand. */
	c = mk(false, 1000, 2000, 0, 1000);
	clock_start(c, 0);
	clock_finish(c, false);
	CHECK_STR(took(), "F1000");
	clock_free(c);

	/* A failing run flushes nothing more. */
	c = mk(false, 1000, 0, 0, 1000);
	clock_start(c, 0);
	stop = true;
	clock_tick(c, 10000, false);
	clock_finish(c, true);
	CHECK_STR(took(), "");
	clock_free(c);
}

static void
test_event_in_order(void)
{
	struct clock		*c = mk(true, 1000, 0, 0, 1000);
	struct clock_input	*in = clock_input_add(c, CLOCK_STREAM);

	/* Nothing is flushed before the first record. */
	clock_advance(c);
	clock_finish(c, true);
	CHECK_STR(took(), "");
	/* Until the first flush every record waits. */
	CHECK(rec(c, in, 100) == CLOCK_PEND);
	CHECK(rec(c, in, 900) == CLOCK_PEND);
	CHECK_STR(took(), "");
	/* 1500 passes the end 1000: the first batch goes, then the second
	 * batch's waiting record enters the chain before any newer one. */
	CHECK(rec(c, in, 1500) == CLOCK_PEND);
	CHECK_STR(took(), "P1000:100@in:100 P1000:900@in:900 F1000 "
	    "P2000:1500@in:1500");
	CHECK(clock_watermark(c) == 1500);
	/* Now records of the open batch go straight in. */
	CHECK(rec(c, in, 1999) == CLOCK_PUSH);
	CHECK_STR(took(), "p2000:1999");
	CHECK(rec(c, in, 2000) == CLOCK_PEND);
	CHECK_STR(took(), "F2000 P3000:2000@in:2000");
	clock_finish(c, true);
	CHECK_STR(took(), "F3000");
	clock_free(c);
}

static void
test_event_watermark(void)
{
	struct clock		*c = mk(true, 1000, 0, 2000, 1000);
	struct clock_input	*in = clock_input_add(c, CLOCK_STREAM);

	/* Out of order within the watermark: sorted into their batches. */
	CHECK(rec(c, in, 3500) == CLOCK_PEND);
	CHECK(rec(c, in, 1200) == CLOCK_PEND);
	CHECK(rec(c, in, 2500) == CLOCK_PEND);
	CHECK(rec(c, in, 1100) == CLOCK_PEND);
	CHECK(rec(c, in, 3900) == CLOCK_PEND);
	CHECK_STR(took(), "");
	CHECK(clock_watermark(c) == 1900);
	/* The watermark reaches 3000: two batches complete, each record
	 * in its own, in arrival order within a batch. */
	CHECK(rec(c, in, 5000) == CLOCK_PEND);
	CHECK_STR(took(), "P2000:1200@in:1200 P2000:1100@in:1100 F2000 "
	    "P3000:2500@in:2500 F3000 "
	    "P4000:3500@in:3500 P4000:3900@in:3900");
	/* A record of a flushed batch is late; of the open one, pushed. */
	CHECK(rec(c, in, 2999) == CLOCK_LATE);
	CHECK(rec(c, in, 1) == CLOCK_LATE);
	CHECK(rec(c, in, 3000) == CLOCK_PUSH);
	CHECK_STR(took(), "p4000:3000");
	/* End of input: every batch up to the last with data. */
	clock_finish(c, false);
	CHECK_STR(took(), "F4000 F5000 P6000:5000@in:5000 F6000");
	clock_free(c);
}

static void
test_event_gaps(void)
{
	struct clock		*c = mk(true, 1000, 0, 0, 1000);
	struct clock_input	*in = clock_input_add(c, CLOCK_STREAM);
	int64_t			 far;

	/* A short gap: every empty batch is flushed (count gives 0). */
	rec(c, in, 500);
	rec(c, in, 4200);
	CHECK_STR(took(), "P1000:500@in:500 F1000 F2000 F3000 F4000 "
	    "P5000:4200@in:4200");
	/* A jump over more than GAP_MAX empty batches is skipped, once
	 * the chain holds nothing (span 0: right after the data). */
	far = 4200 + ((int64_t)GAP_MAX + 10) * 1000;
	nflush = 0;
	rec(c, in, far);
	CHECK(nflush < 10);
	CHECK_STR(took(), "F5000 F6000 S7000-100014000 F100014000 "
	    "P100015000:100014200@in:100014200");
	clock_free(c);

	/* With a span, the empty batches it needs are flushed first. */
	c = mk(true, 1000, 3000, 0, 1000);
	in = clock_input_add(c, CLOCK_STREAM);
	rec(c, in, 500);
	rec(c, in, 500 + ((int64_t)GAP_MAX + 10) * 1000);
	CHECK(nflush < 20);
	CHECK(strstr(took(), "F1000 F2000 F3000 F4000 F5000 S6000-") != NULL);
	clock_free(c);

	/* A gap shorter than GAP_MAX is flushed one by one. */
	c = mk(true, 1000, 0, 0, 1000);
	in = clock_input_add(c, CLOCK_STREAM);
	rec(c, in, 500);
	rec(c, in, 500 + ((int64_t)GAP_MAX - 10) * 1000);
	CHECK(nflush == GAP_MAX - 10);
	CHECK(strstr(took(), "S") == NULL);
	clock_free(c);
}

static void
test_event_drain(void)
{
	struct clock		*c = mk(true, 1000, 3000, 5000, 1000);
	struct clock_input	*in = clock_input_add(c, CLOCK_STREAM), *in2;

	/* A large watermark: nothing completes while input flows. */
	rec(c, in, 1500);
	rec(c, in, 500);
	CHECK_STR(took(), "");
	/* End of input: the open batches, then the span for the trailing
	 * windows (up to the last data's batch plus the span). */
	clock_finish(c, true);
	CHECK_STR(took(), "P1000:500@in:500 F1000 P2000:1500@in:1500 F2000 "
	    "F3000 F4000 F5000");
	clock_free(c);

	/* A stop flushes what holds data, not the trailing windows. */
	c = mk(true, 1000, 3000, 5000, 1000);
	in = clock_input_add(c, CLOCK_STREAM);
	rec(c, in, 1500);
	clock_finish(c, false);
	CHECK_STR(took(), "P2000:1500@in:1500 F2000");
	clock_free(c);

	/* Two inputs are one stream, each with its own watermark: the
	 * second input's earlier record is not late (it held the stream's
	 * watermark back, having said nothing yet). */
	c = mk(true, 1000, 0, 0, 1000);
	in = clock_input_add(c, CLOCK_STREAM);
	in2 = clock_input_add(c, CLOCK_STREAM);
	rec(c, in, 500);
	rec(c, in, 2500);
	CHECK(rec(c, in2, 700) == CLOCK_PEND);
	clock_input_end(c, in);
	CHECK_STR(took(), "");
	CHECK(rec(c, in2, 2600) == CLOCK_PEND);
	clock_finish(c, true);
	CHECK_STR(took(), "P1000:500@in:500 P1000:700@in:700 F1000 F2000 "
	    "P3000:2500@in:2500 P3000:2600@in:2600 F3000");
	clock_free(c);
}

static void
test_event_idle(void)
{
	struct clock		*c = mk(true, 1000, 0, 0, 300);
	struct clock_input	*in = clock_input_add(c, CLOCK_STREAM);

	/* No wake-up before the first record, nor without a stream. */
	CHECK(clock_wake(c, 0, false) == -1);
	rec(c, in, 100500);
	clock_arrived(c, 50000);
	CHECK(clock_wake(c, 50000, false) == 300);
	CHECK(clock_wake(c, 50100, false) == 200);
	/* Silent for --idle: the clock runs on from the largest time. */
	clock_tick(c, 50200, false);
	CHECK_STR(took(), "");
	CHECK(clock_wake(c, 50300, false) == 200);
	clock_tick(c, 50500, false);
	CHECK_STR(took(), "P101000:100500@in:100500 F101000");
	CHECK(clock_wake(c, 50500, false) == 1000);
	clock_tick(c, 52500, false);
	CHECK_STR(took(), "F102000 F103000");
	/* A new record starts the silence again. */
	rec(c, in, 103100);
	clock_arrived(c, 52600);
	CHECK(clock_wake(c, 52600, false) == 300);
	clock_free(c);

	/* No wake-up, nor a clock running on, without a stream (a file is
	 * read: it is never silent). */
	c = mk(true, 1000, 0, 0, 300);
	in = clock_input_add(c, CLOCK_FILE);
	clock_start(c, 50000);
	rec(c, in, 100500);
	clock_arrived(c, 50000);
	CHECK(clock_wake(c, 50000, false) == -1);
	clock_tick(c, 59000, false);
	CHECK_STR(took(), "");
	clock_free(c);
}

static void
test_union(void)
{
	struct clock		*c;
	struct clock_input	*a, *b, *s, *f[5];
	int			 i;

	/* Each input its own watermark, the stream's the smallest: the
	 * slower input's records are never late. */
	c = mk(true, 1000, 0, 0, 1000);
	a = clock_input_add(c, CLOCK_STREAM);
	b = clock_input_add(c, CLOCK_STREAM);
	CHECK(clock_watermark(c) == INT64_MIN);
	rec(c, a, 500);
	rec(c, a, 3500);
	CHECK(clock_watermark(c) == INT64_MIN);	/* b said nothing yet */
	CHECK(clock_pending(c) == 2);
	CHECK(rec(c, b, 600) == CLOCK_PEND);
	CHECK(clock_watermark(c) == 600);
	CHECK_STR(took(), "");
	rec(c, b, 1200);
	CHECK_STR(took(), "P1000:500@in:500 P1000:600@in:600 F1000 "
	    "P2000:1200@in:1200");
	CHECK(clock_pending(c) == 1);
	/* b passes a: a holds the watermark at 3500. */
	rec(c, b, 5200);
	CHECK(clock_watermark(c) == 3500);
	CHECK_STR(took(), "F2000 F3000 P4000:3500@in:3500");
	CHECK(rec(c, a, 3600) == CLOCK_PUSH);
	CHECK(rec(c, a, 2999) == CLOCK_LATE);	/* late for a too */
	CHECK_STR(took(), "p4000:3600");
	/* a ends: b alone holds it, and the end flushes what it held. */
	clock_input_end(c, a);
	CHECK(clock_watermark(c) == 5200);
	CHECK_STR(took(), "F4000 F5000 P6000:5200@in:5200");
	clock_input_end(c, b);
	clock_finish(c, true);
	CHECK_STR(took(), "F6000");
	clock_free(c);

	/* A watermark of 1 s: each input's is its largest time less it. */
	c = mk(true, 1000, 0, 1000, 1000);
	a = clock_input_add(c, CLOCK_STREAM);
	b = clock_input_add(c, CLOCK_STREAM);
	rec(c, a, 9000);
	rec(c, b, 4500);
	CHECK(clock_watermark(c) == 3500);
	CHECK_STR(took(), "");
	rec(c, b, 5000);
	CHECK_STR(took(), "");
	rec(c, b, 6000);
	CHECK_STR(took(), "P5000:4500@in:4500 F5000 P6000:5000@in:5000");
	clock_free(c);

	/* Files by turns: one that has said nothing first, then the one
	 * whose watermark is smallest, the first registered on a tie. */
	c = mk(true, 1000, 0, 0, 1000);
	for (i = 0; i < 3; i++)
		f[i] = clock_input_add(c, CLOCK_FILE);
	s = clock_input_add(c, CLOCK_STREAM);
	CHECK(clock_next_file(c) == f[0]);
	rec(c, f[0], 5000);
	CHECK(clock_next_file(c) == f[1]);
	rec(c, f[1], 3000);
	CHECK(clock_next_file(c) == f[2]);
	rec(c, f[2], 3000);
	CHECK(clock_next_file(c) == f[1]);
	rec(c, f[1], 4000);
	CHECK(clock_next_file(c) == f[2]);
	clock_input_end(c, f[2]);
	CHECK(clock_next_file(c) == f[1]);
	clock_input_end(c, f[1]);
	clock_input_end(c, f[0]);
	CHECK(clock_next_file(c) == NULL);
	/* The stream has said nothing: it holds every file's records. */
	CHECK_STR(took(), "");
	CHECK(clock_pending(c) == 4);
	rec(c, s, 6000);
	CHECK_STR(took(), "P4000:3000@in:3000 P4000:3000@in:3000 F4000 "
	    "P5000:4000@in:4000 F5000 P6000:5000@in:5000 F6000 "
	    "P7000:6000@in:6000");
	clock_free(c);

	/* Many files read by turns: the watermark follows the slowest,
	 * nothing is late, and the held records stay few (a scan of the
	 * inputs only when the one holding passes the next). */
	c = mk(true, 1000, 0, 0, 1000);
	for (i = 0; i < 5; i++)
		f[i] = clock_input_add(c, CLOCK_FILE);
	{
		int64_t	 t[5] = { 0 };
		size_t	 most = 0;
		int	 k, late = 0;

		while ((a = clock_next_file(c)) != NULL) {
			for (k = 0; f[k] != a; k++)
				;
			/* A chunk of 10 records of file k: times k, k + 5,
			 * ... seconds apart by 500 ms each. */
			for (i = 0; i < 10; i++, t[k] += 500)
				if (rec(c, a, t[k] * 5 + k * 100) ==
				    CLOCK_LATE)
					late++;
			if (clock_pending(c) > most)
				most = clock_pending(c);
			if (t[k] >= 100000)
				clock_input_end(c, a);
		}
		CHECK(late == 0);
		CHECK(most <= 60);
		took();
	}
	clock_free(c);
}

static void
test_union_silent(void)
{
	struct clock		*c;
	struct clock_input	*f, *s, *s2;

	/* A stream that never speaks holds the watermark for --idle from
	 * the start, then lets it go: a file beside it is not held for
	 * ever. */
	c = mk(true, 1000, 0, 0, 300);
	f = clock_input_add(c, CLOCK_FILE);
	s = clock_input_add(c, CLOCK_STREAM);
	clock_start(c, 10000);
	rec(c, f, 500);
	rec(c, f, 2500);
	clock_arrived(c, 10050);
	CHECK(clock_wake(c, 10050, false) == 250);	/* when s falls silent */
	clock_tick(c, 10200, false);
	CHECK_STR(took(), "");
	CHECK(clock_watermark(c) == INT64_MIN);
	clock_tick(c, 10300, false);
	CHECK_STR(took(), "P1000:500@in:500 F1000 F2000 P3000:2500@in:2500");
	CHECK(clock_watermark(c) == 2500);
	/* It speaks: it holds the watermark again, from its own time. */
	CHECK(rec(c, s, 2700) == CLOCK_PUSH);
	CHECK(rec(c, f, 4000) == CLOCK_PEND);
	clock_arrived(c, 10400);
	CHECK(clock_watermark(c) == 2700);
	CHECK_STR(took(), "p3000:2700");
	/* The file ends: the stream alone holds; silent, the watermark
	 * runs on by the wall clock from the largest time, 4000, and the
	 * last record, at 10400 of the wall clock. */
	clock_input_end(c, f);
	CHECK_STR(took(), "");
	clock_tick(c, 10699, false);
	CHECK_STR(took(), "");
	clock_tick(c, 10700, false);		/* silent: no one holds */
	CHECK(clock_watermark(c) == 4000);
	CHECK_STR(took(), "F3000 F4000 P5000:4000@in:4000");
	clock_tick(c, 11400, false);		/* 4000 + 1000 */
	CHECK_STR(took(), "F5000");
	/* A late record does not make it speak again. */
	CHECK(rec(c, s, 1000) == CLOCK_LATE);
	clock_arrived(c, 11450);
	CHECK(clock_wake(c, 11450, false) == 950);
	clock_free(c);

	/* Two streams: the silent one lets the other's records go, the
	 * quiet one's later record is late only if its batch went. */
	c = mk(true, 1000, 0, 0, 300);
	s = clock_input_add(c, CLOCK_STREAM);
	s2 = clock_input_add(c, CLOCK_STREAM);
	clock_start(c, 0);
	rec(c, s, 500);
	rec(c, s2, 600);
	clock_arrived(c, 100);
	rec(c, s, 3500);
	clock_arrived(c, 350);
	CHECK_STR(took(), "");
	CHECK(clock_wake(c, 350, false) == 50);	/* s2 falls silent at 400 */
	clock_tick(c, 400, false);
	CHECK_STR(took(), "P1000:500@in:500 P1000:600@in:600 F1000 F2000 "
	    "F3000 P4000:3500@in:3500");
	CHECK(rec(c, s2, 2500) == CLOCK_LATE);
	CHECK(rec(c, s2, 3200) == CLOCK_PUSH);
	CHECK(clock_watermark(c) == 3200);
	clock_free(c);
}

/* A signal during the drain: the flush hook raises it at batch HALT_AT. */
static volatile sig_atomic_t	 halt;
static int64_t			 halt_at;

static void
hook_flush_halt(void *ctx, int64_t end)
{
	hook_flush(ctx, end);
	if (end == halt_at)
		halt = SIGTERM;
}

/* A clock as mk's whose drain a stop cuts SETTLE past the last data. */
static struct clock *
mk_halt(bool event, int64_t span, int64_t settle, int64_t at)
{
	struct clock_config	 cc = { 1000, span, event, 0, 1000, settle };
	struct clock_hooks	 h = { NULL, &stop, hook_push, hook_flush_halt,
				     hook_skip, &halt };

	buf_reset(&logbuf);
	stop = false;
	nflush = 0;
	halt = 0;
	halt_at = at;
	return clock_new(&cc, &h);
}

static void
test_stop_drain(void)
{
	struct clock		*c;
	struct clock_input	*in;

	/* A stop before the drain: it goes on only until every window
	 * holding data was emitted (settle), and says where it stopped. */
	c = mk_halt(false, 5000, 2000, -1);
	clock_start(c, 0);
	CHECK(clock_partial_from(c) == 1000);
	CHECK(clock_finish(c, false) == 3000);
	CHECK_STR(took(), "F1000 F2000 F3000");
	clock_free(c);

	/* A signal during the drain, past the settle: cut at once. */
	c = mk_halt(false, 100000000, 2000, 5000);
	clock_start(c, 0);
	CHECK(clock_finish(c, true) == 5000);
	CHECK_STR(took(), "F1000 F2000 F3000 F4000 F5000");
	clock_free(c);

	/* Before the settle: the drain goes on to it. */
	c = mk_halt(false, 100000000, 4000, 2000);
	clock_start(c, 0);
	CHECK(clock_finish(c, true) == 5000);
	CHECK_STR(took(), "F1000 F2000 F3000 F4000 F5000");
	clock_free(c);

	/* A signal at the drain's last batch cuts nothing. */
	c = mk_halt(false, 3000, 1000, 4000);
	clock_start(c, 0);
	CHECK(clock_finish(c, true) == -1);
	CHECK_STR(took(), "F1000 F2000 F3000 F4000");
	clock_free(c);

	/* Event time: the pending batches, then the same rule. */
	c = mk_halt(true, 100000000, 1000, 4000);
	in = clock_input_add(c, CLOCK_STREAM);
	CHECK(clock_partial_from(c) == -1);
	rec(c, in, 500);
	rec(c, in, 1500);
	CHECK(clock_partial_from(c) == 2000);
	CHECK(clock_finish(c, true) == 4000);
	CHECK_STR(took(), "P1000:500@in:500 F1000 P2000:1500@in:1500 F2000 "
	    "F3000 F4000");
	clock_free(c);
	halt = 0;
}

/*
 * --checkpoint in event time (hold): records go into the chain at once
 * only in batches the run is sure to flush (clock_sure) and while no
 * checkpoint waits (clock_keep); clock_boundary says when the chain holds
 * no part of a batch.
 */
static void
test_hold(void)
{
	struct clock_config	 cc = { 1000, 0, true, 0, 1000, 0, true };
	struct clock_hooks	 h = { NULL, &stop, hook_push, hook_flush,
				     hook_skip, NULL };
	struct clock		*c;
	struct clock_input	*in;

	buf_reset(&logbuf);
	stop = false;
	nflush = 0;
	c = clock_new(&cc, &h);
	in = clock_input_add(c, CLOCK_FILE);
	/* Nothing sure: every record waits for its flush, and the chain
	 * is at a boundary between records. */
	CHECK(rec(c, in, 100) == CLOCK_PEND);
	CHECK(rec(c, in, 1500) == CLOCK_PEND);
	CHECK_STR(took(), "P1000:100@in:100 F1000");
	CHECK(clock_boundary(c));
	CHECK(rec(c, in, 1600) == CLOCK_PEND);
	CHECK(clock_boundary(c));
	/* Batches up to 3000 sure: the batch in hand's waiting records go
	 * in first, then its new ones straight. */
	clock_sure(c, 3000);
	CHECK_STR(took(), "P2000:1500@in:1500 P2000:1600@in:1600");
	CHECK(!clock_boundary(c));
	CHECK(rec(c, in, 1700) == CLOCK_PUSH);
	CHECK_STR(took(), "p2000:1700");
	/* A checkpoint is due: records wait from now, and the next flush
	 * brings the chain to a boundary, where it stays. */
	clock_keep(c, true);
	CHECK(rec(c, in, 1800) == CLOCK_PEND);
	CHECK(!clock_boundary(c));
	CHECK(rec(c, in, 2100) == CLOCK_PEND);
	CHECK_STR(took(), "P2000:1800@in:1800 F2000");
	CHECK(clock_boundary(c));
	CHECK(rec(c, in, 2150) == CLOCK_PEND);
	CHECK(clock_boundary(c));
	/* Written: the waiting records of the batch in hand go in. */
	clock_keep(c, false);
	CHECK_STR(took(), "P3000:2100@in:2100 P3000:2150@in:2150");
	CHECK(!clock_boundary(c));
	CHECK(rec(c, in, 2200) == CLOCK_PUSH);
	/* Past what is sure, records wait for their flush again. */
	CHECK(rec(c, in, 3100) == CLOCK_PEND);
	CHECK_STR(took(), "p3000:2200 F3000");
	CHECK(clock_boundary(c));
	CHECK(rec(c, in, 3200) == CLOCK_PEND);
	CHECK(clock_boundary(c));
	CHECK(clock_pending(c) == 2);
	clock_end_here(c);
	CHECK_STR(took(), "");
	CHECK(clock_boundary(c));
	clock_free(c);
}

int
main(void)
{
	test_grid();
	test_processing();
	test_event_in_order();
	test_event_watermark();
	test_event_gaps();
	test_event_drain();
	test_event_idle();
	test_stop_drain();
	test_union();
	test_union_silent();
	test_hold();
	buf_free(&logbuf);
	return unit_done("clock");
}
