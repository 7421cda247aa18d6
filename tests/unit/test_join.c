/*
 * test_join.c - join and leftOuterJoin against a table large enough
 * for their lookup queue (join.c: records wait, copied, while their
 * index slots and rows are prefetched): the output must be, record for
 * record and in order, what one lookup a record (jt_find) gives, whatever
 * the keys and values (short and long strings, numbers, tuples), with
 * the pushed records' bytes overwritten after each push, flushes in the
 * middle, and reloads between records (records before a reload joined
 * with the old table, after it with the new one, the queue switched on
 * and off as the table grows past its threshold and shrinks).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/dstream.h"
#include "../../src/ops/jointable.h"
#include "../../src/ops/op.h"
#include "unit.h"
#include "unit_ops.h"

/* Builds NAME TABLE with a tap into OUT, its table loaded. */
static struct op *
build(const char *name, const char *table, struct buf *out)
{
	const struct op_def	*def = op_find(name);
	struct op		*op;
	char			*argv[2], *cause = NULL;

	argv[0] = (char *)table;
	argv[1] = NULL;
	if (def == NULL || (op = def->create(def, &test_env, 1, argv,
	    &cause)) == NULL || op->open(op, &cause) != 0) {
		fprintf(stderr, "%s %s: %s\n", name, table,
		    cause != NULL ? cause : "no such op");
		exit(1);
	}
	op->next = unit_tap(out);
	return op;
}

/*
 * Writes a table of ROWS rows to PATH: keys k0.. (N of them, some with
 * several rows), a few keys of 70 bytes, values tagged TAG.
 */
static void
write_table(const char *path, int rows, int nkeys, const char *tag)
{
	FILE	*f = fopen(path, "w");
	int	 i;

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	for (i = 0; i < rows; i++) {
		if (i % 997 == 0)
			fprintf(f, "long-%064d\t%s%d\n", i % 3, tag, i);
		else
			fprintf(f, "k%d\t%s%d\n", i % nkeys, tag, i);
	}
	fclose(f);
}

/*
 * Dates PATH SECS seconds back: a file its writer is long done with,
 * which a reload reads at once (one written a moment ago waits until it
 * has stood still for a second).
 */
static void
age_file(const char *path, int secs)
{
	struct timespec	 ts[2];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= secs;
	ts[1] = ts[0];
	if (utimensat(AT_FDCWD, path, ts, 0) != 0) {
		perror(path);
		exit(1);
	}
}

/*
 * Record I of a stream (seed S): (key, value) with the key a table key,
 * a missing one, a long one, or a number; the value an int, a string of
 * 0 to 79 bytes, or a tuple.  Its bytes are written into SCRATCH, which
 * the next record overwrites; tuples' parts into PARTS.
 */
static struct value
record(uint64_t *s, char *scratch, struct value *parts)
{
	struct value	 k, v, *kv = parts + 2;
	char		*p = scratch;
	uint64_t	 r = rnd(s);
	int		 n;

	switch (r % 8) {
	case 0:
		n = sprintf(p, "long-%064d", (int)(rnd(s) % 4));
		break;
	case 1:
		n = sprintf(p, "missing%d", (int)(rnd(s) % 50));
		break;
	default:
		n = sprintf(p, "k%d", (int)(rnd(s) % 9000));
		break;
	}
	k = value_str(p, (size_t)n);
	p += n;
	if (r % 13 == 0)
		k = value_int((int64_t)(rnd(s) % 100));
	switch (rnd(s) % 4) {
	case 0:
		v = value_int((int64_t)rnd(s));
		break;
	case 1:
		kv[0] = value_str(p, 3);
		memcpy(p, "abc", 3);
		p += 3;
		kv[1] = value_dbl(0.5);
		v.type = V_TUPLE;
		v.n = 2;
		v.u.a = kv;
		break;
	default:
		n = (int)(rnd(s) % 80);
		memset(p, 'a' + (int)(rnd(s) % 26), (size_t)n);
		v = value_str(p, (size_t)n);
		break;
	}
	parts[0] = k;
	parts[1] = v;
	v.type = V_TUPLE;
	v.n = 2;
	v.u.a = parts;
	return v;
}

/* Appends to WANT what joining V with T gives, as the tap writes it. */
static void
expect(struct buf *want, const struct jointable *t, const struct value *v,
    bool outer, int64_t end)
{
	const struct jt_row	*r = jt_find(t, &v->u.a[0]);
	struct value		 out, o[2], in[2];

	if (r == NULL && !outer)
		return;
	o[0] = v->u.a[0];
	o[1].type = V_TUPLE;
	o[1].n = 2;
	o[1].u.a = in;
	in[0] = v->u.a[1];
	in[1] = value_null();
	out.type = V_TUPLE;
	out.n = 2;
	out.u.a = o;
	do {
		if (r != NULL)
			in[1] = r->val;
		buf_printf(want, "%lld ", (long long)end);
		value_fmt_json(want, &out);
		buf_addc(want, '\n');
	} while (r != NULL && (r = jt_next(t, r)) != NULL);
}

/* Loads the table at PATH for the expected answers. */
static struct jointable *
load(const char *path)
{
	struct jt_spec		 spec;
	struct jt_stamp		 stamp;
	struct jointable	*t;
	char			*cause = NULL;

	if (jt_spec_parse(path, &spec, &cause) != 0 ||
	    (t = jt_load(&spec, 0, &stamp, &cause)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, cause ? cause : "?");
		exit(1);
	}
	jt_spec_free(&spec);
	return t;
}

/*
 * Runs NAME over a stream of batches with reloads between records:
 * the table is SIZES[0] rows, then SIZES[1]... (each a reload, in the
 * middle of a batch), and checks the output against jt_find's.
 */
static void
run(const char *name, const char *path, const int *sizes, int nsizes)
{
	struct buf		 got = BUF_INIT, want = BUF_INIT;
	struct jointable	*t;
	struct op		*op;
	struct value		 v, parts[4];
	char			 scratch[256], tag[16];
	uint64_t		 s = 42;
	bool			 outer = strcmp(name, "leftOuterJoin") == 0;
	int64_t			 end = 1000;
	int			 i, k;

	write_table(path, sizes[0], sizes[0] / 3 + 1, "a");
	op = build(name, path, &got);
	t = load(path);
	for (k = 0; k < nsizes; k++) {
		if (k > 0) {
			snprintf(tag, sizeof tag, "%c", 'a' + k);
			write_table(path, sizes[k], sizes[k] / 3 + 1, tag);
			age_file(path, 10 + k);
			op->reload(op);
			jt_free(t);
			t = load(path);
		}
		for (i = 0; i < 3000; i++) {
			v = record(&s, scratch, parts);
			expect(&want, t, &v, outer, end);
			CHECK(op->push(op, &v, end) == 0);
			/* The pushed bytes are gone once push returns. */
			memset(scratch, 'x', sizeof scratch);
			if (i % 1000 == 999) {
				CHECK(op->flush(op, end) == 0);
				buf_printf(&want, "flush %lld\n", (long long)end);
				end += 1000;
			}
			if (i == 1500 && k + 1 < nsizes)
				break;		/* the reload mid-batch */
		}
	}
	CHECK(op->flush(op, end) == 0);
	buf_printf(&want, "flush %lld\n", (long long)end);
	CHECK(got.len > 10000);
	CHECK(got.len == want.len);
	CHECK(got.p != NULL && want.p != NULL && strcmp(got.p, want.p) == 0);
	if (got.p != NULL && want.p != NULL && strcmp(got.p, want.p) != 0) {
		for (i = 0; got.p[i] == want.p[i]; i++)
			;
		while (i > 0 && got.p[i - 1] != '\n')
			i--;
		fprintf(stderr, "%s: first difference:\ngot  %.200s\nwant %.200s\n",
		    name, got.p + i, want.p + i);
	}
	jt_free(t);
	chain_free(op);
	buf_free(&got);
	buf_free(&want);
}

/*
 * jt_find_row, the lookup finished from jt_prefetch_row's answer: the
 * same row as jt_find for every key in the table and some that are not,
 * also when the answer names another key's row (a tag shared by two
 * keys: the index walked again) or is JT_UNLOOKED.
 */
static void
test_find_row(void)
{
	struct jointable	*t;
	struct value		 k;
	char			*buf, key[32], *cause = NULL;
	size_t			 i, n = 0, bad = 0;
	uint64_t		 h;
	uint32_t		 first, other;

	buf = xmalloc(64 * 5000);
	for (i = 0; i < 5000; i++)
		n += (size_t)sprintf(buf + n, "10.0.%zu.%zu\tv%zu\n", i / 7,
		    i % 97, i);
	t = jt_parse(JT_TSV, "t.tsv", buf, n, &cause);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	other = jt_prefetch_row(t, jt_hash(&t->rows[0].key));
	CHECK(other == 1);
	for (i = 0; i < 6000; i++) {
		snprintf(key, sizeof key, "10.0.%zu.%zu", i / 7, i % 97);
		k = value_str(key, strlen(key));
		h = jt_hash(&k);
		first = jt_prefetch_row(t, h);
		bad += jt_find_row(t, &k, h, first) != jt_find(t, &k);
		bad += jt_find_row(t, &k, h, JT_UNLOOKED) != jt_find(t, &k);
		bad += jt_find_row(t, &k, h, other) != jt_find(t, &k);
		bad += (i < 5000) != (jt_find(t, &k) != NULL);
	}
	CHECK(bad == 0);
	jt_free(t);
}

/*
 * jt_load with a settle time: a file written a moment ago (or dated a
 * moment ahead) is not read yet, NULL without a cause (try again); one
 * dated further back, or far in the future (a wrong clock), is read;
 * without a settle time (the load at start) it is read at once.
 */
static void
test_settle(const char *path)
{
	struct jt_spec		 spec;
	struct jt_stamp		 stamp;
	struct jointable	*t;
	struct timespec		 ts[2];
	char			*cause = NULL;

	write_table(path, 10, 5, "s");
	CHECK(jt_spec_parse(path, &spec, &cause) == 0);
	t = jt_load(&spec, 60000, &stamp, &cause);
	CHECK(t == NULL && cause == NULL);
	t = jt_load(&spec, 0, &stamp, &cause);
	CHECK(t != NULL && t->nrows == 10);
	jt_free(t);
	age_file(path, 61);
	t = jt_load(&spec, 60000, &stamp, &cause);
	CHECK(t != NULL && t->nrows == 10);
	jt_free(t);
	/* A moment ahead: waited for; a day ahead: read. */
	age_file(path, -30);
	t = jt_load(&spec, 60000, &stamp, &cause);
	CHECK(t == NULL && cause == NULL);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec += 86400;
	ts[1] = ts[0];
	CHECK(utimensat(AT_FDCWD, path, ts, 0) == 0);
	t = jt_load(&spec, 60000, &stamp, &cause);
	CHECK(t != NULL && t->nrows == 10);
	jt_free(t);
	/* A missing file is an error still, settle time or not. */
	unlink(path);
	t = jt_load(&spec, 60000, &stamp, &cause);
	CHECK(t == NULL && cause != NULL && strstr(cause, path) != NULL);
	free(cause);
	jt_spec_free(&spec);
}

int
main(void)
{
	char		 dir[] = "/tmp/test_join.XXXXXX", path[64];
	static const int big[] = { 40000 };
	static const int sizes[] = { 40000, 30000, 1000, 20000, 100 };

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/t.tsv", dir);
	test_find_row();
	test_settle(path);
	run("join", path, big, 1);
	run("leftOuterJoin", path, big, 1);
	run("join", path, sizes, 5);
	run("leftOuterJoin", path, sizes, 5);
	unlink(path);
	rmdir(dir);
	return unit_done("test_join");
}
