/*
 * sql.c - the SQL destinations' common part (sql.h): destination names
 * taken apart and masked, the table's shape, times and identifiers in
 * SQL, and the state and checks both sinks share (struct sql_sink).  No
 * database: fuzzed (tests/fuzz/fuzz_sqldest.c) and unit-tested without a
 * server.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../dstream.h"
#include "../state/snap.h"
#include "sql.h"

bool
sql_dest_is(const char *dest, bool *pg)
{
	if (strncmp(dest, "sqlite:", 7) == 0) {
		*pg = false;
		return true;
	}
	if (strncmp(dest, "postgresql://", 13) == 0 ||
	    strncmp(dest, "postgres://", 11) == 0) {
		*pg = true;
		return true;
	}
	return false;
}

/* Whether S[0..n) is an identifier a table may be named with. */
static bool
sql_good_table(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 63 || isdigit((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

char *
sql_mask(const char *dest)
{
	struct buf	 b = BUF_INIT;
	const char	*p, *auth, *end, *at, *colon, *q;
	size_t		 n;

	buf_adds(&b, "");
	end = dest + strcspn(dest, "?");
	p = strstr(dest, "://");
	if (p != NULL && p < end) {
		/*
		 * user:password@host: the last @ before the parameters ends
		 * the user info (a password may hold / unescaped).
		 */
		auth = p + 3;
		at = NULL;
		for (q = auth; q < end; q++)
			if (*q == '@')
				at = q;
		buf_add(&b, dest, (size_t)(auth - dest));
		if (at != NULL) {
			colon = memchr(auth, ':', (size_t)(at - auth));
			if (colon != NULL) {
				buf_add(&b, auth, (size_t)(colon - auth));
				buf_adds(&b, ":***");
			} else
				buf_add(&b, auth, (size_t)(at - auth));
			buf_add(&b, at, (size_t)(end - at));
		} else
			buf_add(&b, auth, (size_t)(end - auth));
	} else
		buf_add(&b, dest, (size_t)(end - dest));
	/* Parameters: password=... masked, the rest as written. */
	p = end;
	while (*p != '\0') {
		buf_addc(&b, *p);	/* ? or & */
		p++;
		n = strcspn(p, "&");
		if (n >= 9 && strncasecmp(p, "password=", 9) == 0)
			buf_adds(&b, "password=***");
		else
			buf_add(&b, p, n);
		p += n;
	}
	return buf_detach(&b);
}

/*
 * Takes the parameters Q (after the ?, up to the end) apart: table= and,
 * for PostgreSQL, retry= are dstream's; the others are kept in KEEP for
 * libpq (PostgreSQL) or refused (SQLite).  Returns 0 or -1 with *CAUSE.
 */
static int
sql_params(const char *q, struct sql_dest *d, struct buf *keep,
    char **cause)
{
	const char	*p = q, *eq;
	size_t		 n;
	bool		 have_retry = false;
	long		 r;
	char		*e, num[16];

	while (*p != '\0') {
		n = strcspn(p, "&");
		eq = memchr(p, '=', n);
		if (n == 0) {
			p++;
			continue;
		}
		if (eq != NULL && (size_t)(eq - p) == 5 &&
		    strncmp(p, "table", 5) == 0) {
			if (d->table != NULL) {
				xasprintf(cause, "output '%s': table= is given "
				    "twice", d->shown);
				return -1;
			}
			if (!sql_good_table(eq + 1, n - 6)) {
				xasprintf(cause, "output '%s': bad table name "
				    "'%.*s' (letters, digits and _, not "
				    "starting with a digit, at most 63)",
				    d->shown, (int)(n - 6 > 80 ? 80 : n - 6),
				    eq + 1);
				return -1;
			}
			d->table = xstrndup(eq + 1, n - 6);
			if (strcmp(d->table, SQL_CKPT_TABLE) == 0) {
				xasprintf(cause, "output '%s': the table %s is "
				    "dstream's own (checkpoints)", d->shown,
				    SQL_CKPT_TABLE);
				return -1;
			}
		} else if (d->pg && eq != NULL && (size_t)(eq - p) == 5 &&
		    strncmp(p, "retry", 5) == 0) {
			if (have_retry || n - 6 == 0 || n - 6 >= sizeof num)
				goto bad_retry;
			memcpy(num, eq + 1, n - 6);
			num[n - 6] = '\0';
			r = strtol(num, &e, 10);
			if (*e != '\0' || !isdigit((unsigned char)num[0]) ||
			    r < 0 || r > 86400)
				goto bad_retry;
			d->retry_s = (int)r;
			have_retry = true;
		} else if (d->pg) {
			buf_addc(keep, keep->len == 0 ? '?' : '&');
			buf_add(keep, p, n);
		} else {
			xasprintf(cause, "output '%s': unknown parameter "
			    "'%.*s' (sqlite: takes table=NAME)", d->shown,
			    (int)(n > 80 ? 80 : n), p);
			return -1;
		}
		p += n;
		if (*p == '&')
			p++;
	}
	return 0;
bad_retry:
	xasprintf(cause, "output '%s': retry= wants whole seconds, 0 to "
	    "86400, given once", d->shown);
	return -1;
}

int
sql_dest_parse(const char *dest, struct sql_dest *d, char **cause)
{
	struct buf	 keep = BUF_INIT;
	const char	*q;
	bool		 pg;

	memset(d, 0, sizeof *d);
	if (!sql_dest_is(dest, &pg)) {
		xasprintf(cause, "output: not a SQL destination");
		return -1;
	}
	d->pg = pg;
	d->retry_s = 300;
	d->shown = sql_mask(dest);
	q = strchr(dest, '?');
	if (q == NULL)
		q = dest + strlen(dest);
	buf_adds(&keep, "");
	if (sql_params(*q == '?' ? q + 1 : q, d, &keep, cause) != 0)
		goto fail;
	if (d->table == NULL)
		d->table = xstrdup(SQL_DEFAULT_TABLE);
	if (!pg) {
		if (q == dest + 7) {
			xasprintf(cause, "output '%s': no file name (sqlite:"
			    "PATH)", d->shown);
			goto fail;
		}
		d->target = xstrndup(dest + 7, (size_t)(q - (dest + 7)));
	} else {
		xasprintf(&d->target, "%.*s%s", (int)(q - dest), dest,
		    keep.p);
	}
	buf_free(&keep);
	return 0;
fail:
	buf_free(&keep);
	sql_dest_free(d);
	return -1;
}

void
sql_dest_free(struct sql_dest *d)
{
	free(d->target);
	free(d->table);
	free(d->shown);
	memset(d, 0, sizeof *d);
}

int
sql_shape_of(const struct value *v, struct sql_shape *s, char **cause)
{
	if (v->type == V_TUPLE && v->n >= 2) {
		if (v->n - 1 > SQL_MAX_VALUES) {
			xasprintf(cause, "a tuple of %u elements is wider than "
			    "a table may be (a key and %d values)", v->n,
			    SQL_MAX_VALUES);
			return -1;
		}
		s->keyed = true;
		s->nvals = v->n - 1;
	} else {
		s->keyed = false;
		s->nvals = 1;
	}
	return 0;
}

bool
sql_shape_eq(const struct sql_shape *a, const struct sql_shape *b)
{
	return a->keyed == b->keyed && a->nvals == b->nvals;
}

const char *
sql_column(const struct sql_shape *s, uint32_t i)
{
	static char	 name[24];

	if (i == 0)
		return "time";
	if (s->keyed && i == 1)
		return "key";
	i -= s->keyed ? 1 : 0;
	if (i == 1)
		return "value";
	snprintf(name, sizeof name, "value%u", i);
	return name;
}

void
sql_shape_names(struct buf *b, const struct sql_shape *s)
{
	uint32_t	 i, n = sql_ncolumns(s);

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_adds(b, ", ");
		buf_adds(b, sql_column(s, i));
	}
}

void
sql_columns(struct buf *b, const struct sql_shape *s)
{
	uint32_t	 i, n = sql_ncolumns(s);

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_adds(b, ", ");
		sql_ident(b, sql_column(s, i));
	}
}

void
sql_create_table(struct buf *b, const char *table, const struct sql_shape *s,
    const char *const *types)
{
	uint32_t	 i, n = sql_ncolumns(s);

	buf_adds(b, "CREATE TABLE IF NOT EXISTS ");
	sql_ident(b, table);
	buf_adds(b, " (");
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_adds(b, ", ");
		sql_ident(b, sql_column(s, i));
		if (types[i] != NULL) {
			buf_addc(b, ' ');
			buf_adds(b, types[i]);
		}
		if (i == 0 || (s->keyed && i == 1))
			buf_adds(b, " NOT NULL");
	}
	buf_adds(b, s->keyed ? ", PRIMARY KEY (\"time\", \"key\"))" :
	    ", PRIMARY KEY (\"time\"))");
}

void
sql_upsert_set(struct buf *b, const struct sql_shape *s, const char *excluded)
{
	uint32_t	 i, first = s->keyed ? 2 : 1, n = sql_ncolumns(s);

	for (i = first; i < n; i++) {
		const char *c = sql_column(s, i);

		if (i > first)
			buf_adds(b, ", ");
		sql_ident(b, c);
		buf_adds(b, " = ");
		buf_adds(b, excluded);
		buf_addc(b, '.');
		sql_ident(b, c);
	}
}

const struct value *
sql_cell(const struct sql_shape *s, const struct value *v, uint32_t i)
{
	if (!s->keyed)
		return v;
	return &v->u.a[i - 1];
}

int
sql_shape_from_columns(char *const *names, size_t n, const char *where,
    const char *table, struct sql_shape *s, char **cause)
{
	bool		 seen[SQL_MAX_VALUES + 1];
	bool		 time = false, key = false, ok = true;
	uint32_t	 nv = 0, k;
	size_t		 i;
	char		*e;
	unsigned long	 u;
	struct buf	 b = BUF_INIT;

	memset(seen, 0, sizeof seen);
	for (i = 0; i < n && ok; i++) {
		if (strcmp(names[i], "time") == 0 && !time)
			time = true;
		else if (strcmp(names[i], "key") == 0 && !key)
			key = true;
		else if (strcmp(names[i], "value") == 0 && !seen[0])
			seen[0] = true;
		else if (strncmp(names[i], "value", 5) == 0 &&
		    names[i][5] >= '2' && names[i][5] <= '9') {
			u = strtoul(names[i] + 5, &e, 10);
			if (*e != '\0' || u > SQL_MAX_VALUES || seen[u - 1])
				ok = false;
			else
				seen[u - 1] = true;
		} else
			ok = false;
	}
	for (k = 0; k < SQL_MAX_VALUES && seen[k]; k++)
		nv++;
	for (; k < SQL_MAX_VALUES; k++)
		if (seen[k])
			ok = false;
	if (ok && time && nv > 0) {
		s->keyed = key;
		s->nvals = nv;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_adds(&b, ", ");
		buf_adds(&b, names[i]);
	}
	xasprintf(cause, "%s: table %s has columns (%s), not a dstream "
	    "table's (time, key, value[, value2 ...]) or (time, value): "
	    "name another table with ?table=NAME", where, table,
	    b.len > 0 ? b.p : "");
	buf_free(&b);
	return -1;
}

int
sql_shape_mismatch(const char *where, const char *table,
    const struct sql_shape *s, const struct value *v)
{
	struct buf	 have = BUF_INIT, want = BUF_INIT, row = BUF_INIT;
	struct sql_shape rs;
	char		*cause = NULL;

	sql_shape_names(&have, s);
	if (sql_shape_of(v, &rs, &cause) == 0)
		sql_shape_names(&want, &rs);
	else
		buf_adds(&want, cause);
	value_fmt_json(&row, v);
	if (row.len > 200) {
		row.len = 200;
		buf_adds(&row, "...");
	}
	fprintf(stderr, "%s: %s: table %s has columns (%s), and the row %s "
	    "needs (%s): all rows of a table have one shape (the first "
	    "row's, or the existing table's; ?table=NAME names another)\n",
	    progname, where, table, have.p, row.p, want.p);
	free(cause);
	buf_free(&have);
	buf_free(&want);
	buf_free(&row);
	return -1;
}

int
sql_sink_init(struct sql_sink *s, const struct sink_kind *kind,
    const char *dest, enum out_format format, bool stamp, char **cause)
{
	s->sink.kind = kind;
	s->sink.format = format;
	s->sink.stamp = stamp;
	return sql_dest_parse(dest, &s->d, cause);
}

int
sql_sink_accept(struct sql_sink *s, const struct value *v, bool *first)
{
	char	*cause = NULL;

	*first = false;
	if (!s->shaped) {
		if (sql_shape_of(v, &s->shape, &cause) != 0) {
			fprintf(stderr, "%s: %s: %s\n", progname, s->d.shown,
			    cause);
			free(cause);
			s->refused = true;
			return -1;
		}
		s->shaped = *first = true;
	} else if (s->shape.keyed ? v->type != V_TUPLE ||
	    v->n != s->shape.nvals + 1 : v->type == V_TUPLE && v->n >= 2) {
		s->refused = true;
		return sql_shape_mismatch(s->d.shown, s->d.table, &s->shape,
		    v);
	}
	if (s->shape.keyed && v->u.a[0].type == V_NULL)
		return record_error("output", v, "%s: a row with a null key "
		    "has no place in table %s (its primary key)", s->d.shown,
		    s->d.table);
	return 1;
}

int
sql_sink_save(struct sink *sk, struct buf *b)
{
	snap_put_i64(b, ((struct sql_sink *)sk)->last_end);
	return 0;
}

int
sql_sink_load(struct sink *sk, struct snap_rd *r)
{
	return snap_get_i64(r, &((struct sql_sink *)sk)->last_end);
}

char *
sql_sink_stored_where(struct sink *sk)
{
	struct sql_sink	*s = (struct sql_sink *)sk;
	char		*w;

	xasprintf(&w, "its copy in %s (DELETE FROM " SQL_CKPT_TABLE
	    " WHERE \"table\" = '%s')", s->d.shown, s->d.table);
	return w;
}

void
sql_time(struct buf *b, int64_t ms)
{
	struct tm	 tm;
	time_t		 t;
	int64_t		 sec = ms / 1000, frac = ms % 1000;

	if (frac < 0) {
		frac += 1000;
		sec--;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL) {
		buf_adds(b, "1970-01-01T00:00:00.000Z");
		return;
	}
	buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)frac);
}

void
sql_ident(struct buf *b, const char *name)
{
	const char	*p;

	buf_addc(b, '"');
	for (p = name; *p != '\0'; p++) {
		if (*p == '"')
			buf_addc(b, '"');
		buf_addc(b, *p);
	}
	buf_addc(b, '"');
}
