/*
 * snapbench.c - how long saving and loading the state of many keys takes
 * (issue 11 item 8: 1M keys, under a second each way), through the
 * operators' own hooks: chain_save and chain_load, as a checkpoint calls
 * them at a batch boundary.
 *
 *	snapbench [KEYS [BATCHES [WORD]]]
 *
 * For each pipeline below, a chain is built (as main builds it, the
 * tail replaced by one that drops what reaches it), fed KEYS distinct
 * keys ("user1".."userKEYS", each once, spread over BATCHES batches of
 * one minute) and flushed batch by batch; then its state is saved into
 * memory (chain_save), the chain freed, a new one built and the state
 * loaded into it (chain_load), and saved again to check it gives the
 * same bytes.  Printed per pipeline: keys, state bytes, save and load
 * seconds (CPU time of this process, which a busy machine disturbs less
 * than the wall clock; the wall clock beside it).  `make bench` runs it
 * with 1,000,000 keys; WORD runs only the pipelines that hold it.  The
 * exit status is 1 when a save or load fails or the reloaded state saves
 * differently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/dstream.h"
#include "../src/ops/op.h"
#include "../src/state/snap.h"

#define MINUTE	60000		/* ms: the batch interval */

static struct config	cfg = { .batch_ms = MINUTE };
static struct counters	counters;
static const struct op_env env = { &cfg, &counters };

/* The tail: drops everything. */
static int drop_push(struct op *op, struct value *v, int64_t end) { return 0; }
static int drop_flush(struct op *op, int64_t end) { return 0; }
static void drop_free(struct op *op) { free(op); }
static const struct op_def drop_def = { .name = "drop" };

/* Builds PIPE (words split on blanks, '_' standing for a blank). */
static struct op *
build(const char *pipe)
{
	struct op	*head, *op, *prev = NULL, *t;
	char		*copy = xstrdup(pipe), *argv[32], *w, *save = NULL;
	char		*cause = NULL;
	int		 argc = 0;

	for (w = strtok_r(copy, " ", &save); w != NULL && argc < 31;
	    w = strtok_r(NULL, " ", &save)) {
		argv[argc++] = w;
		for (; *w != '\0'; w++)
			if (*w == '_')
				*w = ' ';
	}
	argv[argc] = NULL;
	if ((head = chain_build(&env, argc, argv, &cause)) == NULL) {
		fprintf(stderr, "snapbench: %s: %s\n", pipe, cause);
		exit(1);
	}
	for (op = head; op->next != NULL; op = op->next)
		prev = op;
	t = xcalloc(1, sizeof *t);
	t->def = &drop_def;
	t->push = drop_push;
	t->flush = drop_flush;
	t->free = drop_free;
	prev->next = t;
	op->free(op);
	free(copy);
	return head;
}

static double
cpu_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
wall_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs one pipeline; returns 0, or 1 when something failed. */
static int
bench(const char *pipe, long keys, int batches)
{
	struct op	*c = build(pipe);
	struct buf	 state = BUF_INIT, again = BUF_INIT;
	struct arena	 a;
	struct snap_rd	 r;
	struct value	 k, v;
	char		 name[32], shown[64], *cause = NULL;
	double		 c0, w0, save_cpu, save_wall, load_cpu, load_wall;
	long		 i, per = (keys + batches - 1) / batches;
	int		 b, n, rc = 0;

	arena_init(&a);
	for (b = 0, i = 0; b < batches; b++) {
		for (; i < keys && i < (long)(b + 1) * per; i++) {
			n = snprintf(name, sizeof name, "user%ld", i + 1);
			k = value_str(name, (size_t)n);
			v = strncmp(pipe, "countByValue", 12) == 0 ? k :
			    value_pair(&a, k, value_int(1 + i % 1000));
			if (c->push(c, &v, (int64_t)(b + 1) * MINUTE) == -1)
				rc = 1;
			arena_reset(&a);
		}
		if (c->flush(c, (int64_t)(b + 1) * MINUTE) == -1)
			rc = 1;
	}

	c0 = cpu_now();
	w0 = wall_now();
	if (chain_save(c, &state, &cause) == -1) {
		fprintf(stderr, "snapbench: %s: save: %s\n", pipe, cause);
		free(cause);
		return 1;
	}
	save_cpu = cpu_now() - c0;
	save_wall = wall_now() - w0;
	chain_free(c);

	c = build(pipe);
	c0 = cpu_now();
	w0 = wall_now();
	snap_rd_init(&r, state.p, state.len);
	if (chain_load(c, &r) == -1 || snap_rd_end(&r) == -1) {
		cause = snap_rd_cause(&r);
		fprintf(stderr, "snapbench: %s: load: %s\n", pipe, cause);
		free(cause);
		return 1;
	}
	load_cpu = cpu_now() - c0;
	load_wall = wall_now() - w0;
	if (chain_save(c, &again, &cause) == -1 || again.len != state.len ||
	    memcmp(again.p, state.p, state.len) != 0) {
		fprintf(stderr, "snapbench: %s: the loaded state saves "
		    "differently\n", pipe);
		free(cause);
		rc = 1;
	}
	snprintf(shown, sizeof shown, "%s", pipe);
	for (i = 0; shown[i] != '\0'; i++)
		if (shown[i] == '_')
			shown[i] = ' ';
	printf("%-44s %8ld keys %6.1f MB  save %6.3f s (wall %6.3f)  "
	    "load %6.3f s (wall %6.3f)\n", shown, keys,
	    (double)state.len / 1e6, save_cpu, save_wall, load_cpu,
	    load_wall);
	fflush(stdout);
	chain_free(c);
	buf_free(&state);
	buf_free(&again);
	arena_free(&a);
	return rc;
}

int
main(int argc, char **argv)
{
	static const char *const pipes[] = {
		"updateStateByKey (state_??_0)_+_sum(values)",
		"reduceByKeyAndWindow sum 10m 1m",
		"reduceByKeyAndWindow max 10m 1m",
		"countByValueAndWindow 10m 1m",
		"groupByKeyAndWindow 10m 1m",
	};
	long	 keys = argc > 1 ? atol(argv[1]) : 1000000;
	int	 batches = argc > 2 ? atoi(argv[2]) : 10, rc = 0;
	size_t	 i;

	progname = "snapbench";
	if (keys < 1 || batches < 1) {
		fprintf(stderr, "usage: snapbench [KEYS [BATCHES [WORD]]]\n");
		return 2;
	}
	for (i = 0; i < sizeof pipes / sizeof pipes[0]; i++)
		if (argc < 4 || strstr(pipes[i], argv[3]) != NULL)
			rc |= bench(pipes[i], keys, batches);
	return rc;
}
