/*
 * test_sink.c - the sink layer alone: format.c's rows to text in every
 * format (with and without --stamp), the one Spark header and a batch's
 * closing lines, and the stdout destination's contract (sinks/sink.h):
 * rows written at commit, gathered while held until sink_flush_ended,
 * a batch begun and not committed dropped by close, save and load that
 * keep nothing.  Descriptor 1 is pointed at a temporary file meanwhile.
 * The file destination (-o FILE): appended at commit, an uncommitted
 * batch cut off by close, save and load of the committed length (load
 * cuts a longer file back and refuses a shorter one).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/dstream.h"
#include "../../src/sinks/format.h"
#include "../../src/sinks/sink.h"
#include "../../src/state/snap.h"
#include "unit.h"

#define DASHES	"-------------------------------------------\n"
#define T0	INT64_C(1763683260000)	/* 2025-11-21T00:01:00Z */

/* Formats V in FORMAT (stamped at T0 when STAMP) and checks the text. */
static void
row_is(enum out_format format, const struct value *v, bool stamp,
    const char *want)
{
	struct buf	 b = BUF_INIT;

	format_row(&b, format, v, T0, stamp);
	CHECK_STR(b.len ? b.p : "", want);
	buf_free(&b);
}

static void
test_format(void)
{
	struct arena	 a;
	struct value	 s, pair, three, arr, dbl, big, nul;
	struct buf	 b = BUF_INIT;

	arena_init(&a);
	s = value_str("a,b\t\"c\"", 7);
	pair = value_pair(&a, value_str("k", 1), value_int(3));
	three = value_tuple(&a, 3);
	three.u.a[0] = value_str("x", 1);
	three.u.a[1] = value_dbl(0.5);
	three.u.a[2] = value_null();
	arr = value_array(&a, 2);
	arr.u.a[0] = value_int(1);
	arr.u.a[1] = value_str("y", 1);
	dbl = value_dbl(2.0);
	big = value_dbl(1e7);
	nul = value_null();

	row_is(FMT_PLAIN, &pair, false, "k\t3");
	row_is(FMT_PLAIN, &pair, true, "2025-11-21T00:01:00Z\tk\t3");
	row_is(FMT_PLAIN, &dbl, false, "2");
	row_is(FMT_PLAIN, &arr, false, "[1,\"y\"]");
	row_is(FMT_TSV, &s, false, "a,b\\t\"c\"");
	row_is(FMT_TSV, &three, true, "2025-11-21T00:01:00Z\tx\t0.5\t");
	row_is(FMT_CSV, &s, false, "\"a,b\t\"\"c\"\"\"");
	row_is(FMT_CSV, &pair, true, "2025-11-21T00:01:00Z,k,3");
	row_is(FMT_CSV, &arr, false, "\"[1,\"\"y\"\"]\"");
	row_is(FMT_JSON, &pair, false,
	    "{\"time\":\"2025-11-21T00:01:00Z\",\"key\":\"k\",\"value\":3}");
	row_is(FMT_JSON, &three, true, "{\"time\":\"2025-11-21T00:01:00Z\","
	    "\"value\":[\"x\",0.5,null]}");
	row_is(FMT_JSON, &nul, false,
	    "{\"time\":\"2025-11-21T00:01:00Z\",\"value\":null}");
	row_is(FMT_SPARK, &pair, true, "(k,3)");
	row_is(FMT_SPARK, &three, false, "(x,0.5,null)");
	row_is(FMT_SPARK, &arr, false, "[1, y]");
	row_is(FMT_SPARK, &dbl, false, "2.0");
	row_is(FMT_SPARK, &big, false, "1.0E7");

	/* The one Spark header, and what opens and closes a batch. */
	format_spark_header(&b, 1000);
	CHECK_STR(b.p, DASHES "Time: 1000 ms\n" DASHES);
	buf_reset(&b);
	format_begin(&b, FMT_SPARK, -2000);
	CHECK_STR(b.p, DASHES "Time: -2000 ms\n" DASHES);
	buf_reset(&b);
	format_end(&b, FMT_SPARK, false);
	CHECK_STR(b.p, "\n");
	buf_reset(&b);
	format_end(&b, FMT_SPARK, true);
	CHECK_STR(b.p, "...\n\n");
	buf_reset(&b);
	format_begin(&b, FMT_PLAIN, 1000);
	format_end(&b, FMT_JSON, true);
	CHECK(b.len == 0);
	buf_free(&b);
	format_free();
	arena_free(&a);
}

static char	 out_path[] = "/tmp/test_sink.XXXXXX";
static int	 out_fd;

/* Checks that what stdout received so far is WANT. */
static void
out_is(const char *want)
{
	static char	 got[1 << 20];
	ssize_t		 n;

	n = pread(out_fd, got, sizeof got - 1, 0);
	got[n < 0 ? 0 : n] = '\0';
	CHECK_STR(got, want);
}

/* Empties what stdout received (it appends: O_APPEND). */
static void
out_clear(void)
{
	CHECK(ftruncate(out_fd, 0) == 0);
}

static void
test_stdout(void)
{
	struct sink	*s;
	struct buf	 save = BUF_INIT;
	struct snap_rd	 rd;
	struct value	 v = value_str("r", 1);
	char		*cause = NULL;
	int		 saved, i, rc = 0;

	CHECK(sink_open("nowhere:x", FMT_PLAIN, false, &cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "nowhere:x") != NULL);
	free(cause);

	saved = dup(STDOUT_FILENO);
	out_fd = mkstemp(out_path);
	CHECK(out_fd != -1 && saved != -1);
	if (out_fd == -1 || saved == -1)
		return;
	CHECK(fcntl(out_fd, F_SETFL, O_APPEND) == 0);
	CHECK(dup2(out_fd, STDOUT_FILENO) == STDOUT_FILENO);

	s = sink_open("-", FMT_PLAIN, true, &cause);
	CHECK(s != NULL && strcmp(s->kind->name, "stdout") == 0);

	/* Not held: a commit writes the batch. */
	CHECK(sink_begin(s, T0) == 0);
	CHECK(sink_row(s, &v, T0) == 0);
	out_is("");
	CHECK(sink_commit(s, T0) == 0);
	out_is("2025-11-21T00:01:00Z\tr\n");

	/* Held: commits gather until sink_flush_ended, which leaves the
	 * batch in hand. */
	sink_hold(s, true);
	CHECK(sink_begin(s, T0 + 1000) == 0 && sink_row(s, &v, T0) == 0);
	CHECK(sink_commit(s, T0 + 1000) == 0);
	CHECK(sink_begin(s, T0 + 2000) == 0 && sink_row(s, &v, T0) == 0);
	out_is("2025-11-21T00:01:00Z\tr\n");
	CHECK(sink_flush_ended(s) == 0);
	out_is("2025-11-21T00:01:00Z\tr\n2025-11-21T00:01:00Z\tr\n");
	CHECK(sink_commit(s, T0 + 2000) == 0);
	sink_hold(s, false);
	CHECK(sink_flush_ended(s) == 0);
	out_is("2025-11-21T00:01:00Z\tr\n2025-11-21T00:01:00Z\tr\n"
	    "2025-11-21T00:01:00Z\tr\n");

	/* Held, a large output goes out in pieces of committed and
	 * uncommitted rows alike once 256 KiB are buffered. */
	out_clear();
	sink_layout(s, FMT_SPARK);
	sink_hold(s, true);
	CHECK(sink_begin(s, 5000) == 0);
	for (i = 0; i < 200000; i++)
		rc |= sink_row(s, &v, 5000);
	CHECK(rc == 0);
	CHECK(lseek(out_fd, 0, SEEK_END) >= 256 * 1024);
	CHECK(sink_commit(s, 5000) == 0);
	CHECK(sink_flush_ended(s) == 0);
	CHECK(lseek(out_fd, 0, SEEK_END) == (off_t)(sizeof DASHES * 2 - 2 +
	    sizeof "Time: 5000 ms\n" - 1 + 200000 * 2 + 1));
	sink_hold(s, false);

	/* Spark's layout (print's): the header, rows, "..." when cut. */
	out_clear();
	CHECK(sink_begin(s, 6000) == 0 && sink_row(s, &v, 6000) == 0);
	s->cut = true;
	CHECK(sink_commit(s, 6000) == 0);
	CHECK(!s->cut);
	CHECK(sink_begin(s, 7000) == 0 && sink_commit(s, 7000) == 0);
	out_is(DASHES "Time: 6000 ms\n" DASHES "r\n...\n\n"
	    DASHES "Time: 7000 ms\n" DASHES "\n");

	/* stdout keeps no position. */
	CHECK(sink_save(s, &save) == 0 && save.len == 0);
	snap_rd_init(&rd, save.len ? save.p : "", save.len);
	CHECK(sink_load(s, &rd) == 0 && snap_rd_end(&rd) == 0);
	buf_free(&save);

	/* A batch begun and not committed is dropped by close. */
	out_clear();
	CHECK(sink_begin(s, 8000) == 0 && sink_row(s, &v, 8000) == 0);
	CHECK(sink_flush_ended(s) == 0);
	sink_close(s);
	out_is("");
	sink_close(NULL);

	CHECK(dup2(saved, STDOUT_FILENO) == STDOUT_FILENO);
	close(saved);
	close(out_fd);
	unlink(out_path);
}

/* The whole content of the file at PATH. */
static void
file_is(const char *path, const char *want)
{
	static char	 got[1 << 16];
	ssize_t		 n = -1;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) != -1) {
		n = read(fd, got, sizeof got - 1);
		close(fd);
	}
	got[n < 0 ? 0 : n] = '\0';
	CHECK_STR(got, want);
}

static void
test_file(void)
{
	char		 path[] = "/tmp/test_sink_file.XXXXXX";
	struct sink	*s;
	struct buf	 save = BUF_INIT, save2 = BUF_INIT;
	struct snap_rd	 rd;
	struct value	 v = value_str("r", 1);
	char		*cause = NULL;
	int		 fd;

	fd = mkstemp(path);
	CHECK(fd != -1);
	if (fd == -1)
		return;
	CHECK(write(fd, "old\n", 4) == 4);
	close(fd);

	/* Appended at commit, not before. */
	s = sink_open(path, FMT_PLAIN, false, &cause);
	CHECK(s != NULL && strcmp(s->kind->name, "file") == 0);
	if (s == NULL)
		return;
	CHECK(sink_begin(s, T0) == 0 && sink_row(s, &v, T0) == 0);
	file_is(path, "old\n");
	CHECK(sink_commit(s, T0) == 0);
	file_is(path, "old\nr\n");

	/* save holds the committed length (6). */
	CHECK(sink_save(s, &save) == 0 && save.len > 0);

	/* A batch begun and not committed is cut off again by close, even
	 * after pieces of it were written. */
	CHECK(sink_begin(s, T0 + 1000) == 0);
	for (fd = 0; fd < 200000; fd++)
		if (sink_row(s, &v, T0 + 1000) != 0)
			break;
	CHECK(fd == 200000);
	sink_close(s);
	file_is(path, "old\nr\n");

	/* Rows appended after the checkpoint are cut back by load. */
	s = sink_open(path, FMT_PLAIN, true, &cause);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK(sink_begin(s, T0) == 0 && sink_row(s, &v, T0) == 0 &&
	    sink_commit(s, T0) == 0);
	file_is(path, "old\nr\n2025-11-21T00:01:00Z\tr\n");
	snap_rd_init(&rd, save.p, save.len);
	CHECK(sink_load(s, &rd) == 0 && snap_rd_end(&rd) == 0);
	file_is(path, "old\nr\n");
	/* ... and the sink goes on from there, its length saved anew. */
	CHECK(sink_begin(s, T0) == 0 && sink_row(s, &v, T0) == 0 &&
	    sink_commit(s, T0) == 0);
	file_is(path, "old\nr\n2025-11-21T00:01:00Z\tr\n");
	CHECK(sink_save(s, &save2) == 0);
	snap_rd_init(&rd, save2.p, save2.len);
	CHECK(sink_load(s, &rd) == 0);
	file_is(path, "old\nr\n2025-11-21T00:01:00Z\tr\n");
	sink_close(s);

	/* A file shorter than the checkpoint says is refused, untouched. */
	CHECK(truncate(path, 3) == 0);
	s = sink_open(path, FMT_PLAIN, false, &cause);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	snap_rd_init(&rd, save.p, save.len);
	CHECK(sink_load(s, &rd) == -1);
	cause = snap_rd_cause(&rd);
	CHECK(cause != NULL && strstr(cause, path) != NULL &&
	    strstr(cause, "shorter") != NULL);
	free(cause);
	snap_rd_free(&rd);
	sink_close(s);
	file_is(path, "old");

	/* Usage errors name the path: a folder, a missing folder. */
	cause = NULL;
	CHECK(sink_open("/tmp", FMT_PLAIN, false, &cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "/tmp") != NULL);
	free(cause);
	cause = NULL;
	CHECK(sink_open("/nonexistent-dstream/x", FMT_PLAIN, false, &cause) ==
	    NULL);
	CHECK(cause != NULL && strstr(cause, "No such file") != NULL);
	free(cause);

	buf_free(&save);
	buf_free(&save2);
	unlink(path);
}

int
main(void)
{
	test_format();
	test_stdout();
	test_file();
	return unit_done("test_sink");
}
