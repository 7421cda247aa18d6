/*
 * postgresql.c - the PostgreSQL destination (-o postgresql://...): each
 * batch's rows upserted into a table of a real server, one transaction
 * per batch (sql.h: the name and the table's shape).
 *
 * The name is a libpq connection URI; table= (default "dstream") and
 * retry= (seconds of reconnecting before giving up, default 300) are
 * dstream's and taken out before libpq sees it.  open connects at once
 * (a server that cannot be reached, a refused login, a table of another
 * shape: status 1 at start, naming the URI with its password masked) and
 * reads the table's columns and types when it exists.  A missing table
 * is created with the first rows, in their transaction: time
 * timestamptz, key and values typed by the first row (a string text, a
 * number numeric, a boolean boolean, anything else jsonb), primary key
 * (time, key) or time.
 *
 * Rows of the batch in hand are kept in memory as COPY text; at commit
 * the transaction is: BEGIN, COPY into a temporary table, one prepared
 * INSERT ... SELECT ... ON CONFLICT DO UPDATE from it into the table
 * (the last of rows with the same time and key wins, as in a sequence of
 * upserts), COMMIT.  A replayed batch replaces its own rows.  While held
 * (sink_hold), committed batches are gathered and sent together by
 * flush_ended, as for SQLite; the batch in hand never is.  A batch with
 * no rows sends nothing.
 *
 * Failures: the server gone (connection lost, shut down, restarting,
 * too many connections) or a serialization failure: the connection is
 * dropped, dstream reconnects with a growing pause (0.1 s doubling to
 * 5 s), and the whole transaction is sent again; an upsert twice gives
 * the same rows, so nothing is lost or doubled.  One message when the
 * outage starts and one when it ends; after retry= seconds without a
 * connection, the run fails (status 1).  A stop asked meanwhile (SIGINT,
 * SIGTERM: sink_halted) ends the waiting at once: the rows not sent stay
 * unwritten, said with the destination (sink_give_up), and the run ends
 * with 128 plus the signal's number; with --checkpoint the checkpoint
 * is not advanced, so the next run writes them.  Reconnecting to one
 * host is done by steps that a stop ends (a host that does not answer,
 * a server that accepts and says nothing); to several hosts, and a
 * query on a connection that hangs, libpq blocks: connect_timeout=
 * bounds the first, a second signal ends the run.  Any other error (permission
 * denied, read-only, disk full, a value the column refuses) is fatal at
 * once: reported, status 1, the batch not committed.  A row the server
 * could not store (a string that is not UTF-8 or holds a NUL byte, a
 * null key) is a per-record error (--on-error).  A row that does not
 * fit the table (another shape, a value the column's type does not
 * take) is reported and refused with its batch; batches ended before it
 * are still sent by the flush_ended the engine makes as the run fails.
 *
 * With --checkpoint (sink->checkpointed), rows are gathered across
 * batches and commit_checkpoint sends them with the checkpoint's bytes,
 * a row of the table dstream_checkpoint ("table" the results table's
 * name, bytes bytea, time: when it was committed) in the same database,
 * in one transaction
 * (retried whole like any other); stored_checkpoint reads that row back
 * at resume.
 *
 * Built without libpq (./configure --without-postgresql), opening a
 * postgresql:// destination says so.
 */
#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../dstream.h"
#include "sink.h"
#include "sql.h"

#ifdef HAVE_LIBPQ
#include <libpq-fe.h>

#define PG_TXN_BYTES	(64u << 20)	/* held batches gathered at most */
#define PG_PAUSE_MS	100		/* first pause before reconnecting */
#define PG_PAUSE_MAX_MS	5000
#define PG_PAUSE_STEP_MS 50		/* a pause's step, watching for a stop */

/* What a column holds, and how a value is written into it. */
enum pg_type { PG_TEXT, PG_NUMERIC, PG_BOOL, PG_JSONB, PG_TIME };

struct pg_sink {
	struct sql_sink	 t;		/* first: the sink, name, shape */
	PGconn		*conn;
	bool		 ready;		/* temp table and statement on conn */
	bool		 ck_ready;	/* dstream_checkpoint there (this conn) */
	enum pg_type	 types[2 + SQL_MAX_VALUES];
	struct buf	 batch;		/* the batch in hand, as COPY text */
	size_t		 batch_rows;
	struct buf	 txn;		/* committed, not yet sent */
	size_t		 txn_rows;
	struct buf	 cell;		/* scratch: one cell's text */
	struct buf	 sql;		/* scratch: statements */
	char		 when[40];	/* the batch in hand's end, as text */
};

/*
 * Appends the first line of libpq's message MSG, without the severity
 * ("ERROR:  ") libpq puts first.
 */
static void
pg_errmsg(struct buf *b, const char *msg)
{
	static const char *const sev[] = { "ERROR:  ", "FATAL:  ",
	    "PANIC:  " };
	size_t	 i;

	for (i = 0; i < sizeof sev / sizeof sev[0]; i++)
		if (strncmp(msg, sev[i], strlen(sev[i])) == 0) {
			msg += strlen(sev[i]);
			break;
		}
	buf_add(b, msg, strcspn(msg, "\r\n"));
}

/* Reports WHAT failing with MSG, once; marks the sink failed; -1. */
static int
pg_fail(struct pg_sink *s, const char *what, const char *msg)
{
	struct buf	 b = BUF_INIT;

	if (!s->t.failed) {
		buf_adds(&b, "");
		pg_errmsg(&b, msg != NULL ? msg : "");
		fprintf(stderr, "%s: %s: %s%s%s\n", progname, s->t.d.shown,
		    what, b.len > 0 ? ": " : "", b.p);
	}
	buf_free(&b);
	s->t.failed = true;
	return -1;
}

/* The SQL name of column type T. */
static const char *
pg_type_str(enum pg_type t)
{
	static const char *const names[] = { "text", "numeric", "boolean",
	    "jsonb", "timestamptz" };

	return names[t];
}

static void
pg_type_name(struct buf *b, enum pg_type t)
{
	buf_adds(b, pg_type_str(t));
}

/* The column type a first row's cell V asks for. */
static enum pg_type
pg_type_of(const struct value *v)
{
	switch (v->type) {
	case V_STR:
		return PG_TEXT;
	case V_INT:
	case V_DBL:
		return PG_NUMERIC;
	case V_BOOL:
		return PG_BOOL;
	default:
		return PG_JSONB;
	}
}

/* Whether S[0..n) is UTF-8 without NUL bytes (what text may hold). */
static bool
pg_text_ok(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s, *e = p + n;
	unsigned		 c, need;
	uint32_t		 cp;

	while (p < e) {
		c = *p++;
		if (c < 0x80) {
			if (c == 0)
				return false;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else
			return false;
		if ((size_t)(e - p) < need)
			return false;
		while (need-- > 0) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (*p++ & 0x3f);
		}
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (c == 0xe0 && cp < 0x800) || (c == 0xf0 && cp < 0x10000))
			return false;
	}
	return true;
}

/* Appends S[0..n) to B escaped for COPY's text format. */
static void
pg_copy_escape(struct buf *b, const char *s, size_t n)
{
	size_t	 i, run = 0;

	for (i = 0; i < n; i++) {
		const char *esc = NULL;

		switch (s[i]) {
		case '\\': esc = "\\\\"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		default: continue;
		}
		buf_add(b, s + run, i - run);
		buf_add(b, esc, 2);
		run = i + 1;
	}
	buf_add(b, s + run, n - run);
}

/*
 * Appends V, for a column of type T, to the batch as a COPY field.
 * Returns 0; 1 when V's text cannot be stored (not UTF-8, a NUL); 2 when
 * the column's type does not take V.
 */
static int
pg_cell(struct pg_sink *s, enum pg_type t, const struct value *v)
{
	struct buf	*c = &s->cell;

	if (v->type == V_NULL) {
		buf_add(&s->batch, "\\N", 2);
		return 0;
	}
	c->len = 0;
	switch (t) {
	case PG_NUMERIC:
		if (v->type == V_INT)
			buf_printf(c, "%" PRId64, v->u.i);
		else if (v->type != V_DBL)
			return 2;
		else if (isnan(v->u.d))
			buf_adds(c, "NaN");
		else if (isinf(v->u.d))
			buf_adds(c, v->u.d > 0 ? "Infinity" : "-Infinity");
		else
			value_fmt_dbl(c, v->u.d);
		break;
	case PG_BOOL:
		if (v->type != V_BOOL)
			return 2;
		buf_adds(c, v->u.b ? "t" : "f");
		break;
	case PG_TEXT:
		if (v->type == V_STR) {
			if (!pg_text_ok(v->u.s, v->n))
				return 1;
			pg_copy_escape(&s->batch, v->u.s, v->n);
			return 0;
		}
		if (v->type == V_TUPLE || v->type == V_ARR ||
		    v->type == V_OBJ)
			value_fmt_json(c, v);
		else
			value_fmt_plain(c, v);
		break;
	case PG_JSONB:
	case PG_TIME:
		value_fmt_json(c, v);
		if (memmem(c->p, c->len, "\\u0000", 6) != NULL)
			return 1;
		break;
	}
	if (c->len > 0 && !pg_text_ok(c->p, c->len))
		return 1;
	pg_copy_escape(&s->batch, c->p != NULL ? c->p : "", c->len);
	return 0;
}

/* The server's notices (a table already there) are not the user's. */
static void
pg_notice(void *arg, const char *msg)
{
}

/*
 * Returns the connection's option KEY as libpq took it from the URI (a
 * copy, caller frees), or NULL when it is not given.
 */
static char *
pg_option(PGconn *conn, const char *key)
{
	PQconninfoOption	*o, *opts = PQconninfo(conn);
	char			*val = NULL;

	if (opts == NULL)
		return NULL;
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, key) == 0 && o->val != NULL &&
		    o->val[0] != '\0')
			val = xstrdup(o->val);
	PQconninfoFree(opts);
	return val;
}

/*
 * Drives the connection started on s->conn (PQconnectStart) to its end,
 * waiting in steps of PG_PAUSE_STEP_MS so that a stop asked meanwhile
 * ends the wait (a host that does not answer, a server that accepts and
 * says nothing), and within the URI's connect_timeout= (at least 2 s, as
 * libpq counts it).  Returns 0, or -1 with *MSG set.
 */
static int
pg_connect_wait(struct pg_sink *s, const char **msg)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	struct pollfd	 pfd;
	char		*t;
	int64_t		 deadline = -1;
	long		 secs;
	int		 n;

	if ((t = pg_option(s->conn, "connect_timeout")) != NULL) {
		secs = strtol(t, NULL, 10);
		free(t);
		if (secs > 0)
			deadline = clock_now_ms() + (secs < 2 ? 2 : secs) *
			    INT64_C(1000);
	}
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED) {
			*msg = PQerrorMessage(s->conn);
			return -1;
		}
		if (sink_halted(&s->t.sink)) {
			*msg = "the server does not answer";
			return -1;
		}
		if (deadline >= 0 && clock_now_ms() >= deadline) {
			*msg = "timeout expired";
			return -1;
		}
		pfd.fd = PQsocket(s->conn);
		pfd.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		pfd.revents = 0;
		n = poll(&pfd, 1, PG_PAUSE_STEP_MS);
		if (n < 0 && errno != EINTR) {
			*msg = strerror(errno);
			return -1;
		}
		if (n > 0)
			st = PQconnectPoll(s->conn);
	}
	return 0;
}

/*
 * Connects to the server: at open, as libpq does (PQconnectdb); when
 * reconnecting during the run (the sink watches the stop flag), to a
 * single host, by steps that a stop ends (pg_connect_wait).  Several
 * hosts are left to libpq, which tries the next one at a time-out.
 * Returns 0, or -1 with libpq's message in *MSG (static until the next
 * call).
 */
static int
pg_connect(struct pg_sink *s, const char **msg)
{
	char	*h;
	bool	 wait = true;

	if (s->conn != NULL)
		PQfinish(s->conn);
	s->ready = false;
	s->conn = s->t.sink.halt != NULL ? PQconnectStart(s->t.d.target) :
	    PQconnectdb(s->t.d.target);
	if (s->conn == NULL) {
		*msg = "out of memory";
		return -1;
	}
	if (s->t.sink.halt != NULL && PQstatus(s->conn) != CONNECTION_BAD) {
		h = pg_option(s->conn, "host");
		if (h == NULL || strchr(h, ',') == NULL) {
			free(h);
			h = pg_option(s->conn, "hostaddr");
		}
		if (h != NULL && strchr(h, ',') != NULL) {
			/* Several hosts: libpq's own way, blocking. */
			PQfinish(s->conn);
			s->conn = PQconnectdb(s->t.d.target);
			wait = false;
		}
		free(h);
		if (s->conn == NULL) {
			*msg = "out of memory";
			return -1;
		}
		if (wait && pg_connect_wait(s, msg) != 0)
			return -1;
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
		*msg = PQerrorMessage(s->conn);
		return -1;
	}
	PQsetNoticeProcessor(s->conn, pg_notice, NULL);
	if (PQsetClientEncoding(s->conn, "UTF8") != 0) {
		*msg = PQerrorMessage(s->conn);
		return -1;
	}
	return 0;
}

/*
 * Whether the error in RES (or on the connection, RES NULL) is the
 * server going away or a conflict that a new attempt clears: class 08
 * (connection), 57P01-57P03 (shut down, starting), 53300 (too many
 * connections), class 40 (serialization failure, deadlock); and any
 * error while the connection is broken.
 */
static bool
pg_transient(struct pg_sink *s, PGresult *res)
{
	const char	*st = NULL;

	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
		return true;
	if (res != NULL)
		st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (st == NULL)
		return PQstatus(s->conn) != CONNECTION_OK;
	return strncmp(st, "08", 2) == 0 || strncmp(st, "40", 2) == 0 ||
	    strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 ||
	    strcmp(st, "57P03") == 0 || strcmp(st, "53300") == 0;
}

/*
 * Runs SQL, wanting WANT.  Returns 0; -1 with *MSG set and *TRANSIENT
 * saying whether another attempt may succeed.
 */
static int
pg_run(struct pg_sink *s, const char *sql, ExecStatusType want,
    struct buf *msg, bool *transient)
{
	PGresult	*r = PQexec(s->conn, sql);

	if (r != NULL && PQresultStatus(r) == want) {
		PQclear(r);
		return 0;
	}
	buf_reset(msg);
	pg_errmsg(msg, r != NULL ? PQresultErrorMessage(r) :
	    PQerrorMessage(s->conn));
	if (msg->len == 0)
		pg_errmsg(msg, PQerrorMessage(s->conn));
	*transient = pg_transient(s, r);
	PQclear(r);
	return -1;
}

/*
 * The statements that set a connection up for the shape now known,
 * inside the first transaction: the table (when missing), the temporary
 * table rows are copied into, and the prepared upsert.
 */
static int
pg_setup(struct pg_sink *s, struct buf *msg, bool *transient)
{
	struct buf	*b = &s->sql;
	const char	*types[2 + SQL_MAX_VALUES];
	uint32_t	 i, n = sql_ncolumns(&s->t.shape);
	PGresult	*r;

	if (!s->t.exists) {
		for (i = 0; i < n; i++)
			types[i] = pg_type_str(s->types[i]);
		buf_reset(b);
		sql_create_table(b, s->t.d.table, &s->t.shape, types);
		if (pg_run(s, b->p, PGRES_COMMAND_OK, msg, transient) != 0)
			return -1;
	}
	buf_reset(b);
	buf_adds(b, "CREATE TEMPORARY TABLE IF NOT EXISTS dstream_rows "
	    "ON COMMIT DELETE ROWS AS SELECT 0::bigint AS dstream_seq, ");
	sql_columns(b, &s->t.shape);
	buf_adds(b, " FROM ");
	sql_ident(b, s->t.d.table);
	buf_adds(b, " WITH NO DATA");
	if (pg_run(s, b->p, PGRES_COMMAND_OK, msg, transient) != 0)
		return -1;
	buf_reset(b);
	buf_adds(b, "INSERT INTO ");
	sql_ident(b, s->t.d.table);
	buf_adds(b, " (");
	sql_columns(b, &s->t.shape);
	buf_adds(b, ") SELECT DISTINCT ON (");
	buf_adds(b, s->t.shape.keyed ? "\"time\", \"key\"" : "\"time\"");
	buf_adds(b, ") ");
	sql_columns(b, &s->t.shape);
	buf_adds(b, " FROM dstream_rows ORDER BY ");
	buf_adds(b, s->t.shape.keyed ? "\"time\", \"key\"" : "\"time\"");
	buf_adds(b, ", dstream_seq DESC ON CONFLICT (");
	buf_adds(b, s->t.shape.keyed ? "\"time\", \"key\"" : "\"time\"");
	buf_adds(b, ") DO UPDATE SET ");
	sql_upsert_set(b, &s->t.shape, "EXCLUDED");
	r = PQprepare(s->conn, "dstream_upsert", b->p, 0, NULL);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
		buf_reset(msg);
		pg_errmsg(msg, r != NULL ? PQresultErrorMessage(r) :
		    PQerrorMessage(s->conn));
		*transient = pg_transient(s, r);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

/*
 * One attempt at the transaction that writes the gathered rows, and the
 * checkpoint CK[0..ckl) when CK is not NULL.  Returns 0; -1 with *MSG
 * and *TRANSIENT.
 */
static int
pg_txn_once(struct pg_sink *s, const void *ck, size_t ckl, struct buf *msg,
    bool *transient)
{
	struct buf	*b = &s->sql;
	PGresult	*r;
	const char	*vals[3];
	int		 lens[3], fmts[3] = { 0, 1, 0 };
	struct buf	 t = BUF_INIT;

	if (pg_run(s, "BEGIN", PGRES_COMMAND_OK, msg, transient) != 0)
		goto fail;
	if (s->txn_rows > 0) {
		if (!s->ready && pg_setup(s, msg, transient) != 0)
			goto fail;
		buf_reset(b);
		buf_adds(b, "COPY dstream_rows (dstream_seq, ");
		sql_columns(b, &s->t.shape);
		buf_adds(b, ") FROM STDIN");
		if (pg_run(s, b->p, PGRES_COPY_IN, msg, transient) != 0)
			goto fail;
		if (PQputCopyData(s->conn, s->txn.p, (int)s->txn.len) != 1 ||
		    PQputCopyEnd(s->conn, NULL) != 1) {
			buf_reset(msg);
			pg_errmsg(msg, PQerrorMessage(s->conn));
			*transient = pg_transient(s, NULL);
			goto fail;
		}
		r = PQgetResult(s->conn);
		if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
			goto fail_res;
		PQclear(r);
		while ((r = PQgetResult(s->conn)) != NULL)
			PQclear(r);
		r = PQexecPrepared(s->conn, "dstream_upsert", 0, NULL, NULL,
		    NULL, 0);
		if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
			goto fail_res;
		PQclear(r);
	}
	if (ck != NULL) {
		if (!s->ck_ready && pg_run(s, "CREATE TABLE IF NOT EXISTS "
		    SQL_CKPT_TABLE " (\"table\" text PRIMARY KEY, bytes bytea "
		    "NOT NULL, \"time\" timestamptz NOT NULL)",
		    PGRES_COMMAND_OK, msg, transient) != 0)
			goto fail;
		sql_time(&t, clock_now_ms());
		vals[0] = s->t.d.table;
		vals[1] = ckl > 0 ? ck : "";
		vals[2] = t.p;
		lens[0] = lens[2] = 0;
		lens[1] = (int)ckl;
		r = PQexecParams(s->conn, "INSERT INTO " SQL_CKPT_TABLE
		    " (\"table\", bytes, \"time\") VALUES ($1, $2, $3) ON "
		    "CONFLICT (\"table\") DO UPDATE SET bytes = EXCLUDED.bytes, "
		    "\"time\" = EXCLUDED.\"time\"", 3, NULL, vals, lens, fmts,
		    0);
		buf_free(&t);
		if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
			goto fail_res;
		PQclear(r);
	}
	if (pg_run(s, "COMMIT", PGRES_COMMAND_OK, msg, transient) != 0)
		goto fail;
	if (s->txn_rows > 0) {
		s->ready = true;
		s->t.exists = true;
	}
	if (ck != NULL)
		s->ck_ready = true;
	return 0;
fail_res:
	buf_reset(msg);
	pg_errmsg(msg, r != NULL ? PQresultErrorMessage(r) :
	    PQerrorMessage(s->conn));
	*transient = pg_transient(s, r);
	PQclear(r);
	while ((r = PQgetResult(s->conn)) != NULL)
		PQclear(r);
fail:
	/* The session is left behind: a new one starts clean. */
	PQfinish(s->conn);
	s->conn = NULL;
	s->ready = s->ck_ready = false;
	return -1;
}

/*
 * Pauses MS milliseconds before the next attempt, in steps short enough
 * that a stop asked meanwhile (sink_halted) ends the pause at once.
 */
static void
pg_pause(struct pg_sink *s, int ms)
{
	struct timespec	 ts;
	int		 step;

	while (ms > 0 && !sink_halted(&s->t.sink)) {
		step = ms < PG_PAUSE_STEP_MS ? ms : PG_PAUSE_STEP_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)step * 1000000L;
		if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
			break;
		ms -= step;
	}
}

/*
 * A stop was asked while the server is away (MSG: why): gives up the
 * rows not sent, reported; every later call fails.  Returns -1.
 */
static int
pg_give_up(struct pg_sink *s, const char *msg)
{
	struct buf	 w = BUF_INIT;

	buf_printf(&w, "the server is away (%s)", msg);
	s->t.failed = true;
	sink_give_up(&s->t.sink, s->t.d.shown, w.p,
	    s->txn_rows + s->batch_rows);
	buf_free(&w);
	return -1;
}

/*
 * Writes the gathered rows in one transaction, reconnecting and sending
 * it again while the server is away (at most retry= seconds).  Returns
 * 0, or -1 after reporting a permanent error or the end of patience.
 */
static int
pg_send(struct pg_sink *s, const void *ck, size_t ckl)
{
	struct buf	 msg = BUF_INIT;
	const char	*cmsg;
	int64_t		 start = 0;
	int		 pause = PG_PAUSE_MS;
	bool		 transient = false, outage = false;
	int		 rc = -1;

	if (s->txn_rows == 0 && ck == NULL)
		return 0;
	buf_adds(&msg, "");
	for (;;) {
		if (s->conn == NULL) {
			if (pg_connect(s, &cmsg) == 0) {
				if (pg_txn_once(s, ck, ckl, &msg,
				    &transient) == 0)
					break;
			} else {
				buf_reset(&msg);
				pg_errmsg(&msg, cmsg);
				transient = true;
				PQfinish(s->conn);
				s->conn = NULL;
			}
		} else if (pg_txn_once(s, ck, ckl, &msg, &transient) == 0)
			break;
		if (!transient) {
			pg_fail(s, "cannot write", msg.p);
			goto out;
		}
		if (sink_halted(&s->t.sink)) {
			pg_give_up(s, msg.p);
			goto out;
		}
		if (!outage) {
			fprintf(stderr, "%s: %s: the server is away (%s); "
			    "reconnecting, the batch kept\n", progname,
			    s->t.d.shown, msg.p);
			outage = true;
			start = clock_now_ms();
		} else if (clock_now_ms() - start >= (int64_t)s->t.d.retry_s *
		    1000) {
			pg_fail(s, "gave up reconnecting", msg.p);
			goto out;
		}
		pg_pause(s, pause);
		if (sink_halted(&s->t.sink)) {
			pg_give_up(s, msg.p);
			goto out;
		}
		pause = pause * 2 > PG_PAUSE_MAX_MS ? PG_PAUSE_MAX_MS :
		    pause * 2;
	}
	if (outage)
		fprintf(stderr, "%s: %s: reconnected after %.1f s\n", progname,
		    s->t.d.shown, (double)(clock_now_ms() - start) / 1000);
	s->txn.len = 0;
	s->txn_rows = 0;
	rc = 0;
out:
	buf_free(&msg);
	return rc;
}

static int
pg_begin(struct sink *sk, int64_t end_ms)
{
	struct pg_sink	*s = (struct pg_sink *)sk;
	struct buf	 t = BUF_INIT;

	if (s->t.failed || s->t.refused)
		return -1;
	s->batch.len = 0;
	s->batch_rows = 0;
	sql_time(&t, end_ms);
	snprintf(s->when, sizeof s->when, "%s", t.p);
	buf_free(&t);
	return 0;
}

/* Reports a value of the wrong type for column I, once; -1. */
static int
pg_type_mismatch(struct pg_sink *s, uint32_t i, const struct value *v)
{
	struct buf	 b = BUF_INIT, row = BUF_INIT;

	pg_type_name(&b, s->types[i]);
	value_fmt_json(&row, v);
	if (row.len > 200) {
		row.len = 200;
		buf_adds(&row, "...");
	}
	fprintf(stderr, "%s: %s: column %s of table %s is %s, and the row "
	    "%s holds a %s there\n", progname, s->t.d.shown,
	    sql_column(&s->t.shape, i), s->t.d.table, b.p, row.p,
	    value_type_name(sql_cell(&s->t.shape, v, i)));
	buf_free(&b);
	buf_free(&row);
	s->t.refused = true;
	return -1;
}

/* Lays row V out as a COPY line of the batch in hand. */
static int
pg_row(struct sink *sk, const struct value *v, int64_t end_ms)
{
	struct pg_sink	*s = (struct pg_sink *)sk;
	bool		 first;
	size_t		 mark;
	uint32_t	 i, n;
	int		 rc;

	if (s->t.failed || s->t.refused)
		return -1;
	if ((rc = sql_sink_accept(&s->t, v, &first)) != 1)
		return rc;
	if (first) {
		s->types[0] = PG_TIME;
		for (i = 1; i < sql_ncolumns(&s->t.shape); i++)
			s->types[i] = pg_type_of(sql_cell(&s->t.shape, v, i));
	}
	mark = s->batch.len;
	buf_printf(&s->batch, "%zu\t%s", s->txn_rows + s->batch_rows,
	    s->when);
	n = sql_ncolumns(&s->t.shape);
	for (i = 1; i < n; i++) {
		buf_addc(&s->batch, '\t');
		rc = pg_cell(s, s->types[i], sql_cell(&s->t.shape, v, i));
		if (rc == 2)
			return pg_type_mismatch(s, i, v);
		if (rc == 1) {
			s->batch.len = mark;
			return record_error("output", v, "%s: a string that "
			    "is not UTF-8 or holds a NUL byte cannot be "
			    "stored in PostgreSQL", s->t.d.shown);
		}
	}
	buf_addc(&s->batch, '\n');
	s->batch_rows++;
	return 0;
}

static int
pg_commit(struct sink *sk, int64_t end_ms)
{
	struct pg_sink	*s = (struct pg_sink *)sk;

	if (s->t.failed || s->t.refused)
		return -1;
	sk->cut = false;
	if (s->batch_rows > 0) {
		buf_add(&s->txn, s->batch.p, s->batch.len);
		s->txn_rows += s->batch_rows;
		s->batch.len = 0;
		s->batch_rows = 0;
	}
	s->t.last_end = end_ms;
	if (sk->checkpointed)
		return 0;	/* commit_checkpoint sends */
	if (sk->held && s->txn.len < PG_TXN_BYTES)
		return 0;
	return pg_send(s, NULL, 0);
}

static int
pg_flush_ended(struct sink *sk)
{
	struct pg_sink	*s = (struct pg_sink *)sk;

	if (s->t.failed)
		return -1;
	if (sk->checkpointed)
		return 0;
	return pg_send(s, NULL, 0);
}

/*
 * Sends the rows of every batch since the last call and the checkpoint
 * BYTES[0..LEN), a row of dstream_checkpoint keyed by the table's name,
 * in one transaction (retried whole while the server is away).
 */
static int
pg_commit_checkpoint(struct sink *sk, int64_t end_ms, const void *bytes,
    size_t len, const struct kafka_offsets *const *offs, size_t noffs)
{
	struct pg_sink	*s = (struct pg_sink *)sk;

	if (s->t.failed)
		return -1;
	return pg_send(s, bytes, len);
}

/*
 * Appends to OUT the checkpoint the database holds for this table,
 * nothing when it holds none (no dstream_checkpoint table, no row).
 */
static int
pg_stored_checkpoint(struct sink *sk, struct buf *out, char **cause)
{
	struct pg_sink	*s = (struct pg_sink *)sk;
	const char	*params[1] = { s->t.d.table };
	struct buf	 msg = BUF_INIT;
	PGresult	*r;
	const char	*st;

	if (s->conn == NULL) {
		xasprintf(cause, "%s: no connection", s->t.d.shown);
		return -1;
	}
	r = PQexecParams(s->conn, "SELECT bytes FROM " SQL_CKPT_TABLE
	    " WHERE \"table\" = $1", 1, NULL, params, NULL, NULL, 1);
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		st = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) :
		    NULL;
		if (st != NULL && strcmp(st, "42P01") == 0) {
			PQclear(r);
			return 0;	/* undefined table */
		}
		buf_adds(&msg, "");
		pg_errmsg(&msg, r != NULL ? PQresultErrorMessage(r) :
		    PQerrorMessage(s->conn));
		xasprintf(cause, "%s: cannot read %s: %s", s->t.d.shown,
		    SQL_CKPT_TABLE, msg.p);
		buf_free(&msg);
		PQclear(r);
		return -1;
	}
	if (PQntuples(r) > 0)
		buf_add(out, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
	PQclear(r);
	return 0;
}

static void
pg_close(struct sink *sk)
{
	struct pg_sink	*s = (struct pg_sink *)sk;

	if (s->conn != NULL)
		PQfinish(s->conn);
	sql_dest_free(&s->t.d);
	buf_free(&s->batch);
	buf_free(&s->txn);
	buf_free(&s->cell);
	buf_free(&s->sql);
	free(s);
}

/* The column type a type name of information_schema stands for. */
static int
pg_type_from_name(const char *t, enum pg_type *out)
{
	static const struct {
		const char	*name;
		enum pg_type	 type;
	} map[] = {
		{ "text", PG_TEXT }, { "character varying", PG_TEXT },
		{ "character", PG_TEXT }, { "numeric", PG_NUMERIC },
		{ "bigint", PG_NUMERIC }, { "integer", PG_NUMERIC },
		{ "smallint", PG_NUMERIC }, { "double precision", PG_NUMERIC },
		{ "real", PG_NUMERIC }, { "boolean", PG_BOOL },
		{ "jsonb", PG_JSONB }, { "json", PG_JSONB },
		{ "timestamp with time zone", PG_TIME }
	};
	size_t	 i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(t, map[i].name) == 0) {
			*out = map[i].type;
			return 0;
		}
	return -1;
}

/*
 * Reads the existing table's columns and types into the sink.  Returns
 * 0 (missing, or of a dstream shape) or -1 with *CAUSE.
 */
static int
pg_read_table(struct pg_sink *s, char **cause)
{
	const char	*params[1] = { s->t.d.table };
	PGresult	*r;
	char		**names;
	int		 n, i, ret = 0;
	uint32_t	 c, nc;
	enum pg_type	 t;
	struct buf	 msg = BUF_INIT;

	r = PQexecParams(s->conn, "SELECT column_name::text, data_type::text "
	    "FROM information_schema.columns WHERE table_schema = "
	    "current_schema() AND table_name = $1 ORDER BY ordinal_position",
	    1, NULL, params, NULL, NULL, 0);
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		buf_adds(&msg, "");
		pg_errmsg(&msg, r != NULL ? PQresultErrorMessage(r) :
		    PQerrorMessage(s->conn));
		xasprintf(cause, "output %s: cannot read the table's columns: "
		    "%s", s->t.d.shown, msg.p);
		buf_free(&msg);
		PQclear(r);
		return -1;
	}
	n = PQntuples(r);
	if (n == 0) {
		PQclear(r);
		return 0;
	}
	names = xcalloc((size_t)n, sizeof *names);
	for (i = 0; i < n; i++)
		names[i] = PQgetvalue(r, i, 0);
	if (sql_shape_from_columns(names, (size_t)n, s->t.d.shown, s->t.d.table,
	    &s->t.shape, cause) != 0) {
		ret = -1;
		goto out;
	}
	nc = sql_ncolumns(&s->t.shape);
	for (c = 0; c < nc; c++)
		for (i = 0; i < n; i++) {
			if (strcmp(names[i], sql_column(&s->t.shape, c)) != 0)
				continue;
			if (pg_type_from_name(PQgetvalue(r, i, 1), &t) != 0 ||
			    (c == 0) != (t == PG_TIME)) {
				xasprintf(cause, "%s: column %s of table %s is "
				    "%s, which dstream does not write (time: "
				    "timestamptz; others: text, numeric, "
				    "boolean or jsonb)", s->t.d.shown, names[i],
				    s->t.d.table, PQgetvalue(r, i, 1));
				ret = -1;
				goto out;
			}
			s->types[c] = t;
		}
	s->t.shaped = s->t.exists = true;
out:
	free(names);
	PQclear(r);
	return ret;
}

static struct sink *
pg_open(const struct sink_kind *kind, const char *dest,
    enum out_format format, bool stamp, char **cause)
{
	struct pg_sink	*s = xcalloc(1, sizeof *s);
	struct buf	 msg = BUF_INIT;
	const char	*cmsg;

	s->t.sink.kind = kind;
	s->t.sink.format = format;
	s->t.sink.stamp = stamp;
	if (sql_dest_parse(dest, &s->t.d, cause) != 0) {
		free(s);
		return NULL;
	}
	if (pg_connect(s, &cmsg) != 0) {
		buf_adds(&msg, "");
		pg_errmsg(&msg, cmsg);
		xasprintf(cause, "output %s: cannot connect: %s", s->t.d.shown,
		    msg.p);
		buf_free(&msg);
		goto fail;
	}
	if (PQserverVersion(s->conn) < 90500) {
		xasprintf(cause, "output %s: the server is older than "
		    "PostgreSQL 9.5 (no INSERT ... ON CONFLICT)", s->t.d.shown);
		goto fail;
	}
	if (pg_read_table(s, cause) != 0)
		goto fail;
	buf_adds(&s->batch, "");
	buf_adds(&s->txn, "");
	buf_adds(&s->cell, "");
	return &s->t.sink;
fail:
	pg_close(&s->t.sink);
	return NULL;
}

#else	/* !HAVE_LIBPQ */

static struct sink *
pg_open(const struct sink_kind *kind, const char *dest,
    enum out_format format, bool stamp, char **cause)
{
	char	*shown = sql_mask(dest);

	xasprintf(cause, "output %s: this dstream was built without "
	    "PostgreSQL (./configure --without-postgresql); rebuild it with "
	    "libpq (Debian: libpq-dev)", shown);
	free(shown);
	return NULL;
}

static int pg_begin(struct sink *sk, int64_t e) { return -1; }
static int pg_row(struct sink *sk, const struct value *v, int64_t e) { return -1; }
static int pg_commit(struct sink *sk, int64_t e) { return -1; }
static int pg_flush_ended(struct sink *sk) { return -1; }
static int pg_commit_checkpoint(struct sink *sk, int64_t e, const void *b, size_t n,
    const struct kafka_offsets *const *o, size_t no) { return -1; }
static int pg_stored_checkpoint(struct sink *sk, struct buf *o, char **c) { return -1; }
static void pg_close(struct sink *sk) { }

#endif	/* HAVE_LIBPQ */

const struct sink_kind sink_postgresql = {
	.name = "postgresql",
	.open = pg_open,
	.begin = pg_begin,
	.row = pg_row,
	.commit = pg_commit,
	.flush_ended = pg_flush_ended,
	.save = sql_sink_save,
	.load = sql_sink_load,
	.commit_checkpoint = pg_commit_checkpoint,
	.stored_checkpoint = pg_stored_checkpoint,
	.stored_where = sql_sink_stored_where,
	.close = pg_close
};
