/*
 * sqlite.c - the SQLite destination (-o sqlite:PATH[?table=T]): each
 * batch's rows upserted into a table of a database file, one transaction
 * per batch (sql.h: the table's shape).
 *
 * open opens (or creates) the file in WAL mode with synchronous=FULL,
 * so a commit is durable when it returns, and a bounded busy timeout
 * (SQLITE_BUSY_MS): another writer holding the database makes dstream
 * wait that long, then fail.  A stop asked meanwhile (SIGINT, SIGTERM:
 * sink_halted) ends the wait at once: the rows not committed stay
 * unwritten, said with the file (sink_give_up), and the run ends with
 * 128 plus the signal's number; with --checkpoint the checkpoint is not
 * advanced.  A read-only file, a folder that is not
 * writable, or a table of another shape is refused at open, naming the
 * file, the table and its columns.  A missing table is created with the
 * first row, in the transaction of that row's batch.
 *
 * Rows of the batch in hand are copied (into an arena) and written at
 * commit, between BEGIN IMMEDIATE and COMMIT, with one prepared upsert
 * (INSERT ... ON CONFLICT DO UPDATE): a replayed batch replaces its own
 * rows.  While held (sink_hold: a regular file's standing content is
 * read), committed batches are gathered into one transaction that
 * flush_ended commits (at most SQLITE_TXN_ROWS rows a transaction); the
 * batch in hand is never part of it, so flush_ended commits only whole
 * batches.  A batch with no rows opens no transaction.
 *
 * Every error (locked past the timeout, disk full, read-only, I/O) is
 * reported once, naming the file, the transaction is rolled back, and
 * every later call fails: the run ends with status 1.  A row that does
 * not fit the table (another shape) is reported and refused with its
 * batch, but the batches ended before it are still committed by the
 * flush_ended the engine makes as the run fails.
 *
 * With --checkpoint (sink->checkpointed), the transaction stays open
 * across batches and commit_checkpoint commits it together with the
 * checkpoint's bytes, a row of the table dstream_checkpoint ("table" the
 * results table's name, bytes, time: when it was committed) in the
 * same database file:
 * rows and positions are durable together or not at all, so a kill -9
 * and a resume leave the table as an uninterrupted run would.
 * stored_checkpoint reads that row back at resume.  save and load hold
 * the last committed batch end (informative: an upsert needs no cutting
 * back).
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../dstream.h"
#include "sink.h"
#include "sql.h"

#define SQLITE_BUSY_MS	5000		/* waiting for another writer */
#define SQLITE_BUSY_STEP_MS 10		/* a pause of that wait */
#define SQLITE_TXN_ROWS	(1 << 20)	/* held batches gathered at most */

struct sqlite_sink {
	struct sql_sink	 t;		/* first: the sink, name, shape */
	sqlite3		*db;
	sqlite3_stmt	*ins;		/* the upsert, once the shape is known */
	bool		 in_txn;	/* a transaction holds committed batches */
	size_t		 txn_rows;
	struct arena	 a;		/* the batch in hand's rows */
	struct value	*rows;
	size_t		 nrows, cap;
	struct buf	 scratch;	/* SQL text, JSON cells, times */
	int64_t		 busy_since;	/* sqlite_busy: the wait's start */
	bool		 halted;	/* sqlite_busy gave up at a stop */
};

/*
 * Reports WHAT failing with SQLite's message, once, rolls back what the
 * transaction held, and returns -1.
 */
static int
sqlite_fail(struct sqlite_sink *s, const char *what)
{
	if (s->halted && !s->t.failed)
		sink_give_up(&s->t.sink, s->t.d.shown, "the database is "
		    "locked by another writer", s->txn_rows + s->nrows);
	else if (!s->t.failed)
		fprintf(stderr, "%s: %s: %s: %s\n", progname, s->t.d.shown,
		    what, sqlite3_errmsg(s->db));
	s->t.failed = true;
	if (s->in_txn && !sqlite3_get_autocommit(s->db))
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = false;
	return -1;
}

/*
 * SQLite's busy handler: another writer holds the database.  Returns 1
 * (try again) after a short pause while the wait is under
 * SQLITE_BUSY_MS and no stop is asked; 0 (give up: SQLITE_BUSY) then.
 * N counts the calls for this lock.
 */
static int
sqlite_busy(void *arg, int n)
{
	struct sqlite_sink	*s = arg;
	struct timespec		 ts = { 0, SQLITE_BUSY_STEP_MS * 1000000L };

	if (n == 0)
		s->busy_since = clock_now_ms();
	if (sink_halted(&s->t.sink)) {
		s->halted = true;
		return 0;
	}
	if (clock_now_ms() - s->busy_since >= SQLITE_BUSY_MS)
		return 0;
	/* A signal ends the pause early (EINTR); the next call sees it. */
	(void)nanosleep(&ts, NULL);
	return 1;
}

static int
sqlite_exec(struct sqlite_sink *s, const char *sql, const char *what)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_fail(s, what);
	return 0;
}

/* Creates the table for the shape now known. */
static int
sqlite_create(struct sqlite_sink *s)
{
	/* Time is text (ISO 8601); the other columns take any type. */
	static const char *const types[2 + SQL_MAX_VALUES] = { "TEXT" };
	struct buf	*b = &s->scratch;

	buf_reset(b);
	sql_create_table(b, s->t.d.table, &s->t.shape, types);
	buf_adds(b, " WITHOUT ROWID");
	if (sqlite_exec(s, b->p, "cannot create the table") != 0)
		return -1;
	s->t.exists = true;
	return 0;
}

/* Prepares the upsert for the shape now known. */
static int
sqlite_prepare(struct sqlite_sink *s)
{
	struct buf	*b = &s->scratch;
	uint32_t	 i, n = sql_ncolumns(&s->t.shape);

	buf_reset(b);
	buf_adds(b, "INSERT INTO ");
	sql_ident(b, s->t.d.table);
	buf_adds(b, " (");
	sql_columns(b, &s->t.shape);
	buf_adds(b, ") VALUES (");
	for (i = 0; i < n; i++)
		buf_printf(b, "%s?%u", i > 0 ? ", " : "", i + 1);
	buf_adds(b, s->t.shape.keyed ? ") ON CONFLICT (\"time\", \"key\")" :
	    ") ON CONFLICT (\"time\")");
	buf_adds(b, " DO UPDATE SET ");
	sql_upsert_set(b, &s->t.shape, "excluded");
	if (sqlite3_prepare_v3(s->db, b->p, -1, SQLITE_PREPARE_PERSISTENT,
	    &s->ins, NULL) != SQLITE_OK)
		return sqlite_fail(s, "cannot prepare the insert");
	return 0;
}

/* Binds V as parameter I: numbers as numbers, structure as JSON text. */
static int
sqlite_bind(struct sqlite_sink *s, int i, const struct value *v)
{
	struct buf	 j = BUF_INIT;
	int		 rc;

	switch (v->type) {
	case V_NULL:
		return sqlite3_bind_null(s->ins, i);
	case V_BOOL:
		return sqlite3_bind_int(s->ins, i, v->u.b ? 1 : 0);
	case V_INT:
		return sqlite3_bind_int64(s->ins, i, v->u.i);
	case V_DBL:
		return sqlite3_bind_double(s->ins, i, v->u.d);
	case V_STR:
		return sqlite3_bind_text(s->ins, i, v->n > 0 ? v->u.s : "",
		    (int)v->n, SQLITE_STATIC);
	default:
		value_fmt_json(&j, v);
		rc = sqlite3_bind_text(s->ins, i, j.p, (int)j.len,
		    SQLITE_TRANSIENT);
		buf_free(&j);
		return rc;
	}
}

/* Upserts the batch in hand's rows in the open transaction. */
static int
sqlite_write_rows(struct sqlite_sink *s, int64_t end_ms)
{
	char		 when[40];
	size_t		 r;
	uint32_t	 i, n = sql_ncolumns(&s->t.shape);
	struct buf	 t = BUF_INIT;

	sql_time(&t, end_ms);
	snprintf(when, sizeof when, "%s", t.p);
	buf_free(&t);
	for (r = 0; r < s->nrows; r++) {
		if (sqlite3_bind_text(s->ins, 1, when, -1, SQLITE_STATIC) !=
		    SQLITE_OK)
			return sqlite_fail(s, "cannot bind");
		for (i = 1; i < n; i++)
			if (sqlite_bind(s, (int)i + 1,
			    sql_cell(&s->t.shape, &s->rows[r], i)) != SQLITE_OK)
				return sqlite_fail(s, "cannot bind");
		if (sqlite3_step(s->ins) != SQLITE_DONE) {
			(void)sqlite3_reset(s->ins);
			return sqlite_fail(s, "cannot write");
		}
		sqlite3_reset(s->ins);
	}
	sqlite3_clear_bindings(s->ins);
	return 0;
}

static int
sqlite_begin(struct sink *sk, int64_t end_ms)
{
	struct sqlite_sink	*s = (struct sqlite_sink *)sk;

	if (s->t.failed || s->t.refused)
		return -1;
	s->nrows = 0;
	arena_reset(&s->a);
	return 0;
}

static int
sqlite_row(struct sink *sk, const struct value *v, int64_t end_ms)
{
	struct sqlite_sink	*s = (struct sqlite_sink *)sk;
	bool			 first;
	int			 rc;

	if (s->t.failed || s->t.refused)
		return -1;
	if ((rc = sql_sink_accept(&s->t, v, &first)) != 1)
		return rc;
	if (s->nrows == s->cap) {
		s->cap = s->cap == 0 ? 256 : s->cap * 2;
		s->rows = xreallocarray(s->rows, s->cap, sizeof *s->rows);
	}
	s->rows[s->nrows++] = value_copy(&s->a, v);
	return 0;
}

static int
sqlite_txn_commit(struct sqlite_sink *s)
{
	if (!s->in_txn)
		return 0;
	if (sqlite_exec(s, "COMMIT", "cannot commit") != 0)
		return -1;
	s->in_txn = false;
	s->txn_rows = 0;
	return 0;
}

/*
 * The batch is complete: its rows are upserted in a transaction that
 * commits now, or while held when flush_ended comes.
 */
static int
sqlite_commit(struct sink *sk, int64_t end_ms)
{
	struct sqlite_sink	*s = (struct sqlite_sink *)sk;

	if (s->t.failed || s->t.refused)
		return -1;
	sk->cut = false;
	if (s->nrows > 0) {
		if (!s->in_txn) {
			if (sqlite_exec(s, "BEGIN IMMEDIATE",
			    "cannot begin a transaction") != 0)
				return -1;
			s->in_txn = true;
		}
		if (!s->t.exists && sqlite_create(s) != 0)
			return -1;
		if (s->ins == NULL && sqlite_prepare(s) != 0)
			return -1;
		if (sqlite_write_rows(s, end_ms) != 0)
			return -1;
		s->txn_rows += s->nrows;
		s->nrows = 0;
		arena_reset(&s->a);
	}
	s->t.last_end = end_ms;
	if (sk->checkpointed)
		return 0;	/* commit_checkpoint commits */
	if (sk->held && s->txn_rows < SQLITE_TXN_ROWS)
		return 0;
	return sqlite_txn_commit(s);
}

static int
sqlite_flush_ended(struct sink *sk)
{
	struct sqlite_sink	*s = (struct sqlite_sink *)sk;

	if (s->t.failed)
		return -1;
	if (sk->checkpointed)
		return 0;
	return sqlite_txn_commit(s);
}

/*
 * Commits the rows of every batch since the last call together with the
 * checkpoint BYTES[0..LEN), a row of dstream_checkpoint keyed by the
 * table's name, in one transaction.
 */
static int
sqlite_commit_checkpoint(struct sink *sk, int64_t end_ms, const void *bytes,
    size_t len, const struct kafka_offsets *const *offs, size_t noffs)
{
	struct sqlite_sink	*s = (struct sqlite_sink *)sk;
	sqlite3_stmt		*st = NULL;
	struct buf		 t = BUF_INIT;
	int			 rc;

	if (s->t.failed)
		return -1;
	if (!s->in_txn) {
		if (sqlite_exec(s, "BEGIN IMMEDIATE",
		    "cannot begin a transaction") != 0)
			return -1;
		s->in_txn = true;
	}
	if (sqlite_exec(s, "CREATE TABLE IF NOT EXISTS " SQL_CKPT_TABLE
	    " (\"table\" TEXT PRIMARY KEY, bytes BLOB NOT NULL, "
	    "\"time\" TEXT NOT NULL)", "cannot create " SQL_CKPT_TABLE) != 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO " SQL_CKPT_TABLE
	    " (\"table\", bytes, \"time\") VALUES (?1, ?2, ?3) ON CONFLICT "
	    "(\"table\") DO UPDATE SET bytes = excluded.bytes, \"time\" = "
	    "excluded.\"time\"", -1, &st, NULL) != SQLITE_OK)
		return sqlite_fail(s, "cannot write the checkpoint");
	sql_time(&t, clock_now_ms());
	sqlite3_bind_text(st, 1, s->t.d.table, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 2, len > 0 ? bytes : "", len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, t.p, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	buf_free(&t);
	if (rc != SQLITE_DONE)
		return sqlite_fail(s, "cannot write the checkpoint");
	return sqlite_txn_commit(s);
}

/*
 * Appends to OUT the checkpoint the database holds for this table (the
 * last commit_checkpoint's bytes), nothing when it holds none.
 */
static int
sqlite_stored_checkpoint(struct sink *sk, struct buf *out, char **cause)
{
	struct sqlite_sink	*s = (struct sqlite_sink *)sk;
	sqlite3_stmt		*st = NULL;
	int			 rc;

	if (sqlite3_prepare_v2(s->db, "SELECT bytes FROM " SQL_CKPT_TABLE
	    " WHERE \"table\" = ?1", -1, &st, NULL) != SQLITE_OK) {
		/* No such table: no checkpoint kept here. */
		if (strstr(sqlite3_errmsg(s->db), "no such table") != NULL)
			return 0;
		xasprintf(cause, "%s: cannot read %s: %s", s->t.d.shown,
		    SQL_CKPT_TABLE, sqlite3_errmsg(s->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, s->t.d.table, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		buf_add(out, sqlite3_column_blob(st, 0) != NULL ?
		    sqlite3_column_blob(st, 0) : "",
		    (size_t)sqlite3_column_bytes(st, 0));
	else if (rc != SQLITE_DONE) {
		xasprintf(cause, "%s: cannot read %s: %s", s->t.d.shown,
		    SQL_CKPT_TABLE, sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

static void
sqlite_close(struct sink *sk)
{
	struct sqlite_sink	*s = (struct sqlite_sink *)sk;

	if (s->in_txn && !sqlite3_get_autocommit(s->db))
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(s->ins);
	sqlite3_close(s->db);
	sql_dest_free(&s->t.d);
	arena_free(&s->a);
	free(s->rows);
	buf_free(&s->scratch);
	free(s);
}

/*
 * Reads the columns of an existing table into the sink's shape.
 * Returns 0 (the table missing or of a dstream shape) or -1 with *CAUSE.
 */
static int
sqlite_read_table(struct sqlite_sink *s, char **cause)
{
	sqlite3_stmt	*st;
	char		**names = NULL;
	size_t		 n = 0, i;
	int		 rc, ret = 0;

	buf_reset(&s->scratch);
	buf_adds(&s->scratch, "SELECT name FROM pragma_table_info(?1)");
	if (sqlite3_prepare_v2(s->db, s->scratch.p, -1, &st, NULL) !=
	    SQLITE_OK) {
		xasprintf(cause, "%s: %s", s->t.d.shown, sqlite3_errmsg(s->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, s->t.d.table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	if (rc != SQLITE_DONE) {
		xasprintf(cause, "%s: %s", s->t.d.shown, sqlite3_errmsg(s->db));
		ret = -1;
	} else if (n > 0) {
		ret = sql_shape_from_columns(names, n, s->t.d.shown,
		    s->t.d.table, &s->t.shape, cause);
		s->t.shaped = s->t.exists = ret == 0;
	}
	sqlite3_finalize(st);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

static struct sink *
sqlite_open(const struct sink_kind *kind, const char *dest,
    enum out_format format, bool stamp, char **cause)
{
	struct sqlite_sink	*s = xcalloc(1, sizeof *s);
	sqlite3_stmt		*st;
	const char		*mode;

	s->t.sink.kind = kind;
	s->t.sink.format = format;
	s->t.sink.stamp = stamp;
	arena_init(&s->a);
	if (sql_dest_parse(dest, &s->t.d, cause) != 0) {
		free(s);
		return NULL;
	}
	if (sqlite3_open_v2(s->t.d.target, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		xasprintf(cause, "output %s: cannot open: %s", s->t.d.shown,
		    s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		xasprintf(cause, "output %s: the database is read-only",
		    s->t.d.shown);
		goto fail;
	}
	sqlite3_busy_handler(s->db, sqlite_busy, s);
	/* WAL, durable at each commit. */
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st,
	    NULL) != SQLITE_OK) {
		xasprintf(cause, "output %s: %s", s->t.d.shown,
		    sqlite3_errmsg(s->db));
		goto fail;
	}
	mode = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		xasprintf(cause, "output %s: cannot use write-ahead logging: "
		    "%s", s->t.d.shown, mode != NULL ? mode :
		    sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(s->db, "PRAGMA synchronous=FULL", NULL, NULL,
	    NULL) != SQLITE_OK) {
		xasprintf(cause, "output %s: %s", s->t.d.shown,
		    sqlite3_errmsg(s->db));
		goto fail;
	}
	if (sqlite_read_table(s, cause) != 0)
		goto fail;
	return &s->t.sink;
fail:
	sqlite3_close(s->db);
	sql_dest_free(&s->t.d);
	buf_free(&s->scratch);
	free(s);
	return NULL;
}

const struct sink_kind sink_sqlite = {
	.name = "sqlite",
	.open = sqlite_open,
	.begin = sqlite_begin,
	.row = sqlite_row,
	.commit = sqlite_commit,
	.flush_ended = sqlite_flush_ended,
	.save = sql_sink_save,
	.load = sql_sink_load,
	.commit_checkpoint = sqlite_commit_checkpoint,
	.stored_checkpoint = sqlite_stored_checkpoint,
	.stored_where = sql_sink_stored_where,
	.close = sqlite_close
};
