/*
 * sql.h - what the two SQL destinations (sqlite.c, postgresql.c) share:
 * the destination's name taken apart, passwords masked for messages, and
 * the table's shape.
 *
 * Names: sqlite:PATH[?table=T] and postgresql://...[?table=T&retry=S]
 * (postgres:// too).  sql_dest_parse takes out what is dstream's (table=,
 * and retry= for PostgreSQL) and leaves the rest of a PostgreSQL URI, as
 * written, for libpq.  Table names are plain identifiers (letters,
 * digits, underscores, not starting with a digit, at most 63 bytes),
 * quoted in SQL as given; the default is "dstream".
 *
 * The table's shape: columns time, then key when the rows are keyed,
 * then value, value2, ... valueN.  A row that is a tuple of n >= 2
 * elements is keyed: key is its first element, value..valueN the others
 * (n - 1 values); any other row (a number from count, a string, an
 * array) is unkeyed: one value column.  The first row the run writes
 * fixes the shape when the table is missing; an existing table's columns
 * fix it otherwise.  The primary key is (time, key), or time alone.
 *
 * struct sql_sink is what both kinds hold beyond their connection: the
 * sink (first, so the engine's struct sink * is one), the name, the
 * shape, and the run's state; sql_sink_accept checks a row against the
 * shape, and sql_sink_save / sql_sink_load are both kinds' save and load.
 */
#ifndef DSTREAM_SQL_H
#define DSTREAM_SQL_H

#include <stdbool.h>
#include <stdint.h>

#include "../dstream.h"
#include "sink.h"

#define SQL_DEFAULT_TABLE	"dstream"
#define SQL_CKPT_TABLE		"dstream_checkpoint"
#define SQL_MAX_VALUES		64	/* value .. value64 */

/* A destination's name taken apart (sql_dest_parse); strings owned. */
struct sql_dest {
	bool	 pg;		/* postgresql:// (else sqlite:) */
	char	*target;	/* SQLite: the file; PostgreSQL: libpq's URI */
	char	*table;		/* table=, or SQL_DEFAULT_TABLE */
	char	*shown;		/* the name for messages, passwords masked */
	int	 retry_s;	/* PostgreSQL: retry=, seconds of reconnecting */
};

/*
 * Whether DEST names a SQL destination (sqlite:, postgresql://,
 * postgres://) and, if so, of which kind (*PG).
 */
bool	 sql_dest_is(const char *dest, bool *pg);
/*
 * Takes DEST apart into D.  Returns 0, or -1 with *CAUSE set (naming the
 * destination with its password masked) when the name is malformed: no
 * path, an unknown or repeated parameter, a bad table name, a bad retry.
 * D holds nothing to free after a failure.
 */
int	 sql_dest_parse(const char *dest, struct sql_dest *d, char **cause);
void	 sql_dest_free(struct sql_dest *d);
/*
 * Returns a copy of DEST (caller frees) with the password of a URI's
 * user info and every password= parameter's value replaced by ***.
 */
char	*sql_mask(const char *dest);

/* The table's columns: time, key when keyed, value..value<nvals>. */
struct sql_shape {
	bool		 keyed;
	uint32_t	 nvals;		/* 1 .. SQL_MAX_VALUES */
};

/*
 * The shape row V asks for.  Returns 0, or -1 with *CAUSE set when V is
 * a tuple wider than the table may be.
 */
int	 sql_shape_of(const struct value *v, struct sql_shape *s, char **cause);
bool	 sql_shape_eq(const struct sql_shape *a, const struct sql_shape *b);
/* Appends the column names of S, comma-separated: "time, key, value". */
void	 sql_shape_names(struct buf *b, const struct sql_shape *s);
/* Appends the column names of S quoted for SQL: "time", "key", ... */
void	 sql_columns(struct buf *b, const struct sql_shape *s);
/*
 * Appends CREATE TABLE IF NOT EXISTS TABLE with the columns of S, column
 * I of type TYPES[I] (NULL: none given), time and key NOT NULL, and the
 * primary key (time, key), or time alone; the statement's closing
 * parenthesis is the last byte.
 */
void	 sql_create_table(struct buf *b, const char *table,
	    const struct sql_shape *s, const char *const *types);
/*
 * Appends the SET list of an upsert's DO UPDATE: each value column set
 * from EXCLUDED (the database's word for the row refused: excluded).
 */
void	 sql_upsert_set(struct buf *b, const struct sql_shape *s,
	    const char *excluded);
/*
 * The name of column I of S (0: time), in a static buffer valid until
 * the next call.
 */
const char *sql_column(const struct sql_shape *s, uint32_t i);
static inline uint32_t
sql_ncolumns(const struct sql_shape *s)
{
	return 1 + (s->keyed ? 1 : 0) + s->nvals;
}
/*
 * The shape an existing table's columns NAMES[0..n) make.  Returns 0, or
 * -1 with *CAUSE set naming the columns when they are not a dstream
 * table's (TABLE and WHERE name it in the message).
 */
int	 sql_shape_from_columns(char *const *names, size_t n,
	    const char *where, const char *table, struct sql_shape *s,
	    char **cause);
/*
 * The element of row V that goes into column I (1: the key or the
 * value; 0, the time, is not in the row).
 */
const struct value *sql_cell(const struct sql_shape *s, const struct value *v,
	    uint32_t i);
/*
 * Reports, once, the mismatch of row V with the table's shape S; returns
 * -1.  WHERE and TABLE name the table.
 */
int	 sql_shape_mismatch(const char *where, const char *table,
	    const struct sql_shape *s, const struct value *v);

/*
 * The part of a SQL sink both kinds share; the kind's own struct starts
 * with it.
 */
struct sql_sink {
	struct sink	 sink;
	struct sql_dest	 d;
	struct sql_shape shape;
	bool		 shaped;	/* shape known (table there or row seen) */
	bool		 exists;	/* the table is in the database */
	int64_t		 last_end;	/* the last batch committed */
	bool		 failed;	/* an error was reported: all refused */
	bool		 refused;	/* a row did not fit: the batch in hand
					   dropped, only flush_ended goes on */
};

/*
 * Sets up S's common part for destination DEST (the sink's kind, format
 * and stamp; the name taken apart).  Returns 0, or -1 with *CAUSE set
 * and nothing to free.
 */
int	 sql_sink_init(struct sql_sink *s, const struct sink_kind *kind,
	    const char *dest, enum out_format format, bool stamp,
	    char **cause);
/*
 * Whether row V may go into the table: the first row seen fixes the
 * shape when the table is not there (*FIRST set), later rows must have
 * it, and a keyed row's key may not be null.  Returns 1 when V fits;
 * otherwise, reported, what the sink's row hook returns: -1 for a row of
 * another shape (the batch in hand refused: s->refused), and for a null
 * key record_error's answer (0: the row skipped; -1: --on-error fail).
 */
int	 sql_sink_accept(struct sql_sink *s, const struct value *v,
	    bool *first);
/* Both kinds' save and load: the last batch end committed. */
int	 sql_sink_save(struct sink *sk, struct buf *b);
int	 sql_sink_load(struct sink *sk, struct snap_rd *r);
/* Both kinds' stored_where: the table's row in dstream_checkpoint. */
char	*sql_sink_stored_where(struct sink *sk);

/* Appends END_MS as ISO 8601 UTC with milliseconds, fixed width. */
void	 sql_time(struct buf *b, int64_t end_ms);
/* Appends NAME as a quoted SQL identifier ("name"). */
void	 sql_ident(struct buf *b, const char *name);

#endif
