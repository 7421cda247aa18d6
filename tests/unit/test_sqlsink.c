/*
 * test_sqlsink.c - the SQL destinations' checkpoint hooks (sink.h:
 * commit_checkpoint, stored_checkpoint) through the sink API: with
 * --checkpoint the rows of the batches since the last checkpoint are
 * invisible until commit_checkpoint commits them with the bytes; the
 * bytes read back at resume; a batch after the last checkpoint is gone
 * after close (a crash).  SQLite always (a file in a temporary folder);
 * PostgreSQL when DSTREAM_TEST_PGURI names a server (tests/sql_pg.bats
 * runs it so), checked with libpq.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#ifdef HAVE_LIBPQ
#include <libpq-fe.h>
#endif

#include "../../src/dstream.h"
#include "../../src/sinks/sink.h"
#include "unit.h"

static const char	*pg_uri;	/* libpq's URI, without table= */
static char		 db_path[256];

/* The count of rows of TABLE another connection sees; -1: no table. */
static long
rows_seen(bool pg, const char *table)
{
	char	 sql[128];
	long	 n = -1;

	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	if (!pg) {
		sqlite3		*db;
		sqlite3_stmt	*st;

		if (sqlite3_open(db_path, &db) != SQLITE_OK)
			return -2;
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
			if (sqlite3_step(st) == SQLITE_ROW)
				n = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
		}
		sqlite3_close(db);
		return n;
	}
#ifdef HAVE_LIBPQ
	PGconn		*c = PQconnectdb(pg_uri);
	PGresult	*r;

	if (PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return -2;
	}
	r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
#endif
	return n;
}

static void
batch(struct sink *s, int64_t end, int nrows, int base)
{
	struct arena	 a;
	struct value	 v;
	char		 key[16];

	arena_init(&a);
	CHECK(sink_begin(s, end) == 0);
	for (int i = 0; i < nrows; i++) {
		snprintf(key, sizeof key, "k%d", base + i);
		v = value_pair(&a, value_str(arena_strndup(&a, key,
		    strlen(key)), strlen(key)), value_int(i));
		CHECK(sink_row(s, &v, end) == 0);
	}
	CHECK(sink_commit(s, end) == 0);
	arena_free(&a);
}

/*
 * Opens DEST again, as a resumed run does, and checks that the
 * checkpoint it holds is WANT[0..n).  Returns the sink, or NULL.
 */
static struct sink *
reopen_holding(const char *dest, const void *want, size_t n)
{
	struct sink	*s;
	struct buf	 out = BUF_INIT;
	char		*cause = NULL;

	s = sink_open(dest, FMT_PLAIN, false, &cause);
	CHECK(s != NULL);
	if (s == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return NULL;
	}
	CHECK(sink_stored_checkpoint(s, &out, &cause) == 0);
	CHECK(out.len == n && (n == 0 || memcmp(out.p, want, n) == 0));
	buf_free(&out);
	return s;
}

static void
test_dest(bool pg, const char *dest, const char *table)
{
	static const char	 ck1[] = "first\0checkpoint", ck2[] = "second";
	struct sink		*s;

	/* A fresh run: no checkpoint held. */
	if ((s = reopen_holding(dest, "", 0)) == NULL)
		return;
	CHECK(sink_transactional(s));
	CHECK(sink_checkpointed(s, "test", NULL) == 0);
	batch(s, 1000, 3, 0);
	batch(s, 2000, 2, 3);
	CHECK(sink_flush_ended(s) == 0);
	/* Not committed before the checkpoint. */
	CHECK(rows_seen(pg, table) <= 0);
	CHECK(sink_commit_checkpoint(s, 2000, ck1, sizeof ck1, NULL, 0) == 0);
	CHECK(rows_seen(pg, table) == 5);
	CHECK(rows_seen(pg, "dstream_checkpoint") == 1);
	/* A checkpoint with no rows since: the bytes alone. */
	CHECK(sink_commit_checkpoint(s, 2000, ck2, sizeof ck2, NULL, 0) == 0);
	/* A batch after it, then a crash: gone. */
	batch(s, 3000, 4, 5);
	CHECK(sink_flush_ended(s) == 0);
	sink_close(s);
	CHECK(rows_seen(pg, table) == 5);

	/* The resume reads the last checkpoint's bytes back. */
	if ((s = reopen_holding(dest, ck2, sizeof ck2)) == NULL)
		return;
	CHECK(sink_checkpointed(s, "test", NULL) == 0);
	batch(s, 3000, 4, 5);
	CHECK(sink_commit_checkpoint(s, 3000, ck1, sizeof ck1, NULL, 0) == 0);
	CHECK(rows_seen(pg, table) == 9);
	sink_close(s);
	if ((s = reopen_holding(dest, ck1, sizeof ck1)) == NULL)
		return;
	/* Without --checkpoint, each commit commits. */
	batch(s, 4000, 1, 9);
	CHECK(rows_seen(pg, table) == 10);
	sink_close(s);
}

int
main(void)
{
	char	 dir[] = "/tmp/test_sqlsink.XXXXXX", dest[512];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(db_path, sizeof db_path, "%s/o.db", dir);
	snprintf(dest, sizeof dest, "sqlite:%s?table=ck", db_path);
	test_dest(false, dest, "ck");
	snprintf(dest, sizeof dest, "rm -rf %s", dir);
	if (system(dest) != 0)
		return 1;
	pg_uri = getenv("DSTREAM_TEST_PGURI");
#ifdef HAVE_LIBPQ
	if (pg_uri != NULL) {
		snprintf(dest, sizeof dest, "%s&table=ck", pg_uri);
		test_dest(true, dest, "ck");
	}
#endif
	return unit_done("test_sqlsink");
}
