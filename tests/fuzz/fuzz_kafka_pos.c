/*
 * fuzz_kafka_pos.c - libFuzzer target for a Kafka input's position in a
 * checkpoint (sources/kafka.c's load: brokers, topic, group, token, and
 * each partition's offset with its clock input's state, read through
 * the intake's input_load as the engine does).  One consumer handle for
 * the whole run (kafka://127.0.0.1:1/t, never reached); each input is
 * loaded into it.  Nothing may crash, leak or read out of bounds; a
 * position that loads is saved again to bytes that load.
 *
 * Seeds (fuzz_kafka_pos.corpus/): positions of the topic t at
 * 127.0.0.1:1 with 0 to 3 partitions, with and without input state.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dstream.h"
#include "engine/clock.h"
#include "sources/source.h"
#include "state/snap.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct clock	*fz_clock;
static struct clock_config fz_cc;
static struct clock_hooks fz_ch;

static void	fz_push(void *ctx, struct value *v, const struct origin *o,
		    int64_t end) { }
static void	fz_flush(void *ctx, int64_t end) { }

static void *
fz_input_load(struct intake *ik, struct snap_rd *r)
{
	struct clock_input	*in;

	in = clock_input_add_at(fz_clock, CLOCK_STREAM, 0);
	return clock_input_load(fz_clock, in, r) == -1 ? NULL : in;
}

static void
fz_input_save(struct intake *ik, void *tag, struct buf *b)
{
	clock_input_save(tag, b);
}

static void
fz_input_end(struct intake *ik, void *tag)
{
	clock_input_end(fz_clock, tag);
}

static struct source *
fz_source(void)
{
	static struct intake	 ik;
	static struct config	 cfg;
	static bool		 failed, stop;
	struct source		*src;
	char			*cause = NULL;

	fz_cc.batch_ms = 1000;
	fz_cc.span_ms = 1000;
	fz_cc.event = true;
	fz_cc.hold = true;
	fz_ch.stop = &stop;
	fz_ch.push = fz_push;
	fz_ch.flush = fz_flush;
	fz_clock = clock_new(&fz_cc, &fz_ch);
	ik.failed = &failed;
	ik.input_load = fz_input_load;
	ik.input_save = fz_input_save;
	ik.input_end = fz_input_end;
	cfg.checkpoint = "fuzz";
	cfg.max_line = 1024;
	src = source_open(NULL, "kafka://127.0.0.1:1/t", &ik, &cfg, &cause);
	if (src == NULL) {
		fprintf(stderr, "fuzz_kafka_pos: %s\n", cause);
		abort();
	}
	return src;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct source	*src;
	struct snap_rd		 r;
	struct buf		 b = BUF_INIT;

	if (src == NULL)
		src = fz_source();
	else {
		/* A clock of its own for each input (inputs pile up). */
		clock_free(fz_clock);
		fz_clock = clock_new(&fz_cc, &fz_ch);
	}
	snap_rd_init(&r, data, size);
	if (src->kind->load(src, &r) == 0 && snap_rd_end(&r) == 0) {
		snap_rd_free(&r);
		if (src->kind->save(src, &b) != 0)
			abort();
		snap_rd_init(&r, b.p, b.len);
		if (src->kind->load(src, &r) != 0 || snap_rd_end(&r) != 0)
			abort();
	}
	snap_rd_free(&r);
	buf_free(&b);
	return 0;
}
