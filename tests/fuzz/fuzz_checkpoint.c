/*
 * fuzz_checkpoint.c - libFuzzer target for the checkpoint file reader
 * (engine/checkpoint.c) and the clock's part of it (engine/clock.c).
 *
 * The first byte chooses what the rest is read as (its value mod 2):
 *   0: a whole checkpoint file (checkpoint_check: the container, the
 *      META, PIPE and INPT sections item by item, every operator's
 *      section, the clock and sink sections' framing, the LATE
 *      section);
 *   1: the clock's section (clock_load) into an event-time clock of
 *      two inputs, batches of 1 s; a clock that loads must save again
 *      to bytes that load.
 * Nothing may crash, leak or read out of bounds.
 *
 * Seeds (fuzz_checkpoint.corpus/): checkpoints written by dstream runs
 * (tests/fuzz/fuzz_checkpoint.seeds makes them again).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dstream.h"
#include "engine/checkpoint.h"
#include "engine/clock.h"
#include "state/snap.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fuzz_push(void *ctx, struct value *v, const struct origin *o,
		    int64_t end) { }
static void	fuzz_flush(void *ctx, int64_t end) { }

static struct clock *
fuzz_clock(void)
{
	static bool		 stop;
	struct clock_config	 cc;
	struct clock_hooks	 ch;
	struct clock		*c;

	memset(&cc, 0, sizeof cc);
	cc.batch_ms = 1000;
	cc.span_ms = 5000;
	cc.event = true;
	cc.idle_ms = 1000;
	cc.hold = true;
	memset(&ch, 0, sizeof ch);
	ch.stop = &stop;
	ch.push = fuzz_push;
	ch.flush = fuzz_flush;
	c = clock_new(&cc, &ch);
	clock_input_add(c, CLOCK_FILE);
	clock_input_add(c, CLOCK_STREAM);
	return c;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct counters	 c1, c2;
	struct counters		*ctr[2] = { &c1, &c2 };
	struct snap_rd		 r;
	struct buf		 b = BUF_INIT;
	struct clock		*c;
	char			*cause = NULL;

	if (size < 1)
		return 0;
	if (data[0] % 2 == 0) {
		(void)checkpoint_check(data + 1, size - 1, &cause);
		free(cause);
		return 0;
	}
	c = fuzz_clock();
	snap_rd_init(&r, data + 1, size - 1);
	if (clock_load(c, &r, ctr, 2) == 0) {
		if (clock_save(c, &b, ctr, 2, &cause) != 0)
			abort();
		clock_free(c);
		c = fuzz_clock();
		snap_rd_free(&r);
		snap_rd_init(&r, b.p, b.len);
		if (clock_load(c, &r, ctr, 2) != 0)
			abort();
	}
	snap_rd_free(&r);
	buf_free(&b);
	clock_free(c);
	return 0;
}
