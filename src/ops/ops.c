/*
 * ops.c - the operator table and the chain.
 *
 * ops.def lists every operator once; here it becomes the declarations of
 * the op_defs the family files export and the table op_find searches.
 * chain_build cuts the command line at each "then", asks each operator's
 * create to check its arguments, links the ops in order and puts the tail
 * (tail.c) at the end; chain_sink hands the tail its destination (and
 * opens what ops write themselves); chain_fresh sets up what a run
 * that resumes no checkpoint starts from.  Also the small helpers every
 * operator shares.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "../sinks/sink.h"
#include "../state/snap.h"
#include "op.h"

#define OP(n) extern const struct op_def n;
#include "ops.def"
#undef OP

static const struct op_def *const op_table[] = {
#define OP(n) &n,
#include "ops.def"
#undef OP
};

#define OP_COUNT	(sizeof op_table / sizeof op_table[0])

const struct op_def *
op_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < OP_COUNT; i++)
		if (strcmp(op_table[i]->name, name) == 0)
			return op_table[i];
	return NULL;
}

/* DESIGN's operators that are not written yet: refused by name. */
bool
op_planned(const char *name)
{
	static const char *const planned[] = { NULL };	/* none left */
	size_t	 i;

	for (i = 0; planned[i] != NULL; i++)
		if (strcmp(planned[i], name) == 0)
			return true;
	return false;
}

const struct op_def *
op_def_at(int i)
{
	if (i < 0 || (size_t)i >= OP_COUNT)
		return NULL;
	return op_table[i];
}

int
op_forward_flush(struct op *op, int64_t end_ms)
{
	if (op->next == NULL)
		return 0;
	return op->next->flush(op->next, end_ms);
}

/* Frees the chain from OP on. */
void
chain_free(struct op *op)
{
	struct op	*next;

	for (; op != NULL; op = next) {
		next = op->next;
		op->free(op);
	}
}

/*
 * Builds one op from ARGV[0] (its name) and its ARGC - 1 arguments.
 * Returns NULL with *CAUSE set when the name is unknown, the number of
 * arguments is outside the op_def's [min_args, max_args], or create
 * refuses the arguments.
 */
static struct op *
chain_op(const struct op_env *env, int argc, char **argv, char **cause)
{
	const struct op_def	*def;
	struct op		*op;

	if ((def = op_find(argv[0])) == NULL) {
		if (op_planned(argv[0]))
			xasprintf(cause, "operator '%s' is not available yet "
			    "(planned: see dstream(1))", argv[0]);
		else
			xasprintf(cause, "unknown operator '%s' (see %s "
			    "--help)", argv[0], progname);
		return NULL;
	}
	argc--;
	argv++;
	if (argc < def->min_args || argc > def->max_args) {
		if (def->max_args == 0)
			xasprintf(cause, "%s takes no arguments (found '%s')",
			    def->name, argv[0]);
		else if (def->min_args == 1 && def->max_args == 1)
			xasprintf(cause, "%s: expected one argument, %s %s",
			    def->name, def->name, def->args);
		else
			xasprintf(cause, "%s: expected %s %s", def->name,
			    def->name, def->args);
		return NULL;
	}
	if ((op = def->create(def, env, argc, argv, cause)) == NULL)
		return NULL;
	op->def = def;
	op->live_ms = INT64_MIN;
	return op;
}

struct op *
chain_build(const struct op_env *env, int argc, char **argv, char **cause)
{
	struct op	*head = NULL, **tail = &head, *op, *last = NULL;
	int		 i, start;

	if (argc == 0) {
		xasprintf(cause, "no operator given (see %s --help)",
		    progname);
		return NULL;
	}
	for (start = 0; start <= argc; start = i + 1) {
		for (i = start; i < argc && strcmp(argv[i], "then") != 0; i++)
			;
		if (i == start) {
			if (start == 0)
				xasprintf(cause, "missing operator before "
				    "'then'");
			else if (i == argc)
				xasprintf(cause, "missing operator after the "
				    "last 'then'");
			else
				xasprintf(cause, "missing operator between "
				    "two 'then'");
			goto fail;
		}
		if (last != NULL && (last->def->flags & OP_LAST)) {
			xasprintf(cause, "%s must be the last operator "
			    "(found '%s' after it)",
			    last->def->name, argv[start]);
			goto fail;
		}
		if ((op = chain_op(env, i - start, argv + start, cause)) ==
		    NULL)
			goto fail;
		*tail = last = op;
		tail = &op->next;
	}

	*tail = tail_create(env);
	(*tail)->live_ms = INT64_MIN;
	return head;

fail:
	chain_free(head);
	return NULL;
}

int
chain_sink(struct op *head, struct sink *sink, char **cause)
{
	struct op	*op, *prev = NULL;

	for (op = head; op->next != NULL; op = op->next)
		prev = op;
	tail_sink(op, sink);
	/* print's layout is Spark's print(), whatever -f and -s say. */
	if (prev != NULL && prev->def == &op_print)
		sink_layout(sink, FMT_SPARK);
	for (op = head; op != NULL; op = op->next)
		if (op->open != NULL && op->open(op, cause) != 0)
			return -1;
	return 0;
}

int
chain_fresh(struct op *op, char **cause)
{
	for (; op != NULL; op = op->next)
		if (op->fresh != NULL && op->fresh(op, cause) != 0)
			return -1;
	return 0;
}

bool
chain_reloads(const struct op *op)
{
	for (; op != NULL; op = op->next)
		if (op->reload != NULL)
			return true;
	return false;
}

void
chain_reload(struct op *op)
{
	for (; op != NULL; op = op->next)
		if (op->reload != NULL)
			op->reload(op);
}

void
chain_tap(struct op *head, struct sink *tap)
{
	struct op	*op;

	for (op = head; op->next != NULL; op = op->next)
		;
	tail_tap(op, tap);
}

void
chain_live(struct op *op, int64_t now)
{
	for (; op != NULL; op = op->next)
		op->live_ms = now;
}

int64_t
chain_span(const struct op *op)
{
	int64_t	 span = 0;

	for (; op != NULL; op = op->next)
		span += op->span_ms;
	return span;
}

int64_t
chain_settle(const struct op *op, int64_t batch_ms)
{
	int64_t	 settle = 0;

	for (; op != NULL; op = op->next)
		if (op->slide_ms > batch_ms)
			settle += op->slide_ms - batch_ms;
	return settle;
}

size_t
chain_held(struct op *op)
{
	size_t	 n = 0;

	for (; op != NULL; op = op->next)
		if (op->held != NULL)
			n += op->held(op);
	return n;
}

/* The section of one op in a chain's checkpoint. */
#define CHAIN_OPTAG	SNAP_TAG('O', 'P', 'S', 'T')

int
chain_save(struct op *head, struct buf *b, char **cause)
{
	struct op	*op;
	size_t		 n = 0, at;

	for (op = head; op != NULL; op = op->next)
		if (!(op->def->flags & OP_HIDDEN))
			n++;
	snap_put_u64(b, n);
	for (op = head; op != NULL; op = op->next) {
		if (op->def->flags & OP_HIDDEN)
			continue;
		at = snap_sec_begin(b, CHAIN_OPTAG);
		snap_put_str(b, op->def->name);
		if (op->save != NULL && op->save(op, b, cause) == -1)
			return -1;
		snap_sec_end(b, at);
	}
	return 0;
}

int
chain_load(struct op *head, struct snap_rd *r)
{
	struct snap_rd	 sub;
	struct op	*op;
	const char	*name;
	uint64_t	 saved;
	size_t		 n = 0, i, len;

	for (op = head; op != NULL; op = op->next)
		if (!(op->def->flags & OP_HIDDEN))
			n++;
	if (snap_get_u64(r, &saved) == -1)
		return -1;
	if (saved != n)
		return snap_fail(r, "the checkpoint holds %llu operators, "
		    "this pipeline has %zu", (unsigned long long)saved, n);
	for (op = head, i = 1; op != NULL; op = op->next, i++) {
		if (op->def->flags & OP_HIDDEN) {
			i--;
			continue;
		}
		if (snap_sec(r, CHAIN_OPTAG, &sub) == -1 ||
		    snap_get_bytes(&sub, 256, &name, &len) == -1)
			return snap_sec_done(r, &sub);
		if (len != strlen(op->def->name) ||
		    memcmp(name, op->def->name, len) != 0) {
			snap_fail(&sub, "the checkpoint's operator %zu is "
			    "'%.*s', this pipeline's is '%s'", i, (int)len,
			    name, op->def->name);
			return snap_sec_done(r, &sub);
		}
		if (op->load != NULL && op->load(op, &sub) == -1 &&
		    sub.cause == NULL)
			snap_fail(&sub, "%s: bad state", op->def->name);
		if (snap_sec_done(r, &sub) == -1)
			return -1;
	}
	return 0;
}
