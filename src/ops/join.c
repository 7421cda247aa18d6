/*
 * join.c - join TABLE and leftOuterJoin TABLE: pairs of the stream
 * joined with a static table (Spark's join with a static RDD, as
 * transform(rdd => rdd.join(table)) does per batch).
 *
 * A record (key, v) gives (key, (v, w)) for each row (key, w) of the
 * table, in the table's order; leftOuterJoin gives (key, (v, null)) for a
 * key the table lacks.  The table (jointable.c) is loaded when the chain
 * is opened (the open hook: a table that cannot be loaded ends the run
 * with status 1 before anything is read), and again, whole or not at
 * all, when the engine says SIGHUP came (the reload hook) or when its
 * file has changed, which each batch end checks with a stat.  A reload
 * that fails keeps the table in use and says why, naming the file and
 * the line; one that succeeds says how many rows it read.
 *
 * Memory: what push emits is built on the stack, valid during the emit
 * (nothing is allocated per record); the values of w point into
 * the table, which lives until the next reload (at a batch end or
 * between records, never during a push), so ops that keep them copy
 * them, by the memory rule.
 *
 * Checkpoints: the op holds nothing across batches but the table, which
 * is read again from its file on resume, so it has no save or load hook.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "jointable.h"
#include "op.h"

#define JOIN_CHECK_MS	100	/* the table file looked at, at most */

struct joinop {
	struct op		 op;
	bool			 outer;		/* leftOuterJoin */
	struct jt_spec		 spec;
	struct jointable	*t;
	struct jt_stamp		 stamp;		/* the file t was read from */
	bool			 gone;		/* the file cannot be looked
						 * at: said once */
	bool			 retry;		/* reload at the next check
						 * (it changed while read) */
	int64_t			 checked;	/* wall ms of the last check */
};

/*
 * Emits (key, (v, w)) for each row (key, w) of the table.  The pairs are
 * built on the stack (valid during the op_emit call, which is all the
 * memory rule gives an emitted record) and w is the table's own value:
 * nothing is allocated or copied per record.
 */
static int
joinop_push(struct op *op, struct value *v, int64_t end_ms)
{
	struct joinop		*j = (struct joinop *)op;
	const struct jt_row	*r;
	struct value		 out, outer[2], inner[2];
	int			 rc = 0;

	if (!value_is_pair(v))
		return record_error(op->def->name, v,
		    "record is not a (key, value) pair");
	r = jt_find(j->t, &v->u.a[0]);
	if (r == NULL && !j->outer)
		return 0;
	outer[0] = v->u.a[0];
	outer[1].type = V_TUPLE;
	outer[1].n = 2;
	outer[1].u.a = inner;
	inner[0] = v->u.a[1];
	out.type = V_TUPLE;
	out.n = 2;
	out.u.a = outer;
	if (r == NULL) {
		inner[1] = value_null();
		return op_emit(op, &out, end_ms);
	}
	for (; r != NULL && rc == 0; r = jt_next(j->t, r)) {
		inner[1] = r->val;
		rc = op_emit(op, &out, end_ms);
	}
	return rc;
}

/*
 * Loads J's table again.  Returns 0 with the new table in place, or -1
 * keeping the old one; says which on stderr (a file that is being
 * written is quietly tried again at the next check).
 */
static int
joinop_load(struct joinop *j)
{
	struct jointable	*t;
	struct jt_stamp		 stamp = j->stamp;
	char			*cause = NULL;

	if ((t = jt_load(&j->spec, &stamp, &cause)) == NULL) {
		if (cause == NULL) {
			j->retry = true;
			return -1;
		}
		fprintf(stderr, "%s: %s: %s; keeping the table loaded before "
		    "(%zu row%s)\n", progname, j->op.def->name, cause,
		    j->t->nrows, j->t->nrows == 1 ? "" : "s");
		free(cause);
		j->stamp = stamp;	/* said once for this version */
		j->retry = false;
		return -1;
	}
	jt_free(j->t);
	j->t = t;
	j->stamp = stamp;
	j->retry = false;
	fprintf(stderr, "%s: %s: %s: reloaded, %zu row%s\n", progname,
	    j->op.def->name, j->spec.text, t->nrows, t->nrows == 1 ? "" : "s");
	return 0;
}

/* SIGHUP: the table is read again, changed or not. */
static void
joinop_reload(struct op *op)
{
	struct joinop	*j = (struct joinop *)op;

	j->gone = false;
	joinop_load(j);
}

/*
 * A batch ends: the table is read again if its file has changed (or was
 * being written at the last try), looked at once per JOIN_CHECK_MS at
 * most.  A file that cannot be looked at (gone
 * while replaced, say) keeps the table, said once.
 */
static int
joinop_flush(struct op *op, int64_t end_ms)
{
	struct joinop	*j = (struct joinop *)op;
	int64_t		 now = clock_now_ms();
	int		 err = 0;

	/* At most ten stats a second, however short the batches. */
	if (now - j->checked < JOIN_CHECK_MS && now >= j->checked)
		return op_forward_flush(op, end_ms);
	j->checked = now;
	if (jt_changed(&j->spec, &j->stamp, &err) || j->retry) {
		if (err != 0) {
			if (!j->gone)
				fprintf(stderr, "%s: %s: %s: %s; keeping the "
				    "table loaded before (%zu row%s)\n",
				    progname, op->def->name, j->spec.path,
				    strerror(err), j->t->nrows,
				    j->t->nrows == 1 ? "" : "s");
			j->gone = true;
		} else {
			j->gone = false;
			joinop_load(j);
		}
	}
	return op_forward_flush(op, end_ms);
}

/* Loads the table before the run: one that cannot be loaded ends it. */
static int
joinop_open(struct op *op, char **cause)
{
	struct joinop	*j = (struct joinop *)op;
	char		*why = NULL;
	int		 tries;

	/* A file being written as we start: a few more tries. */
	for (tries = 0; tries < 5; tries++) {
		if ((j->t = jt_load(&j->spec, &j->stamp, &why)) != NULL)
			return 0;
		if (why != NULL)
			break;
	}
	if (why == NULL)
		xasprintf(&why, "%s: changes while it is read", j->spec.path);
	xasprintf(cause, "%s: %s", op->def->name, why);
	free(why);
	return -1;
}

static void
joinop_free(struct op *op)
{
	struct joinop	*j = (struct joinop *)op;

	jt_free(j->t);
	jt_spec_free(&j->spec);
	free(j);
}

static struct op *
joinop_create(const struct op_def *def, const struct op_env *env, int argc,
    char **argv, char **cause)
{
	struct joinop	*j;
	char		*why = NULL;

	j = xcalloc(1, sizeof *j);
	j->op.def = def;
	j->op.push = joinop_push;
	j->op.flush = joinop_flush;
	j->op.free = joinop_free;
	j->op.open = joinop_open;
	j->op.reload = joinop_reload;
	j->outer = strcmp(def->name, "leftOuterJoin") == 0;
	if (jt_spec_parse(argv[0], &j->spec, &why) != 0) {
		xasprintf(cause, "%s: %s", def->name, why);
		free(why);
		joinop_free(&j->op);
		return NULL;
	}
	return &j->op;
}

const struct op_def op_join = {
	.name = "join",
	.args = "TABLE",
	.min_args = 1,
	.max_args = 1,
	.help = "On (key, v) pairs: emits (key, (v, w)) for each row (key, w) "
	    "of the static TABLE (none when the key is not in it).  TABLE: "
	    "a file of key<TAB>value lines, FILE.csv (a header; the key is "
	    "the column 'key' or the first), FILE.json or .jsonl (objects "
	    "{\"key\":..,\"value\":..}, or keyed by their first member), or "
	    "sqlite:PATH?query=SQL (the first column the key).  Reloaded, "
	    "whole or not at all, on SIGHUP and when the file changes.  "
	    "Example: map '($1, $7)' then join users.tsv.",
	.create = joinop_create
};

const struct op_def op_leftOuterJoin = {
	.name = "leftOuterJoin",
	.args = "TABLE",
	.min_args = 1,
	.max_args = 1,
	.help = "As join, and (key, (v, null)) for a key that TABLE lacks.  "
	    "Example: map '($1, $7)' then leftOuterJoin users.csv.",
	.create = joinop_create
};
