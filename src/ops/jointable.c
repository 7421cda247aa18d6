/*
 * jointable.c - join's static tables: TSV, CSV with a header, JSON lines
 * and SQLite queries read into rows indexed by key (see jointable.h for
 * the forms and the contract).
 *
 * A text table is read whole into one buffer and cut in place: keys and
 * values point into it, and only what must be decoded (a quoted CSV
 * field with doubled quotes, a JSON string with escapes, an object of
 * several columns) is built in the table's arena.  The index is built
 * once all rows are read, in one pass that keeps the table's order for
 * rows sharing a key.  A bad line fails the whole table, naming the file
 * and the line, so that the caller keeps the table it had.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dstream.h"
#include "../expr/expr.h"
#include "jointable.h"

#define JT_MAX_ROWS	(UINT32_MAX - 1)

_Static_assert(sizeof(struct jt_row) == 64, "a row is one cache line");

/* ---- the table ---- */

/*
 * Makes room for CAP rows in T, in memory aligned to a cache line (so a
 * row is one line): a new array, the rows copied.  Text tables know
 * their line count and make room once; SQLite's grow by doubling.
 */
static void
jt_reserve(struct jointable *t, size_t cap)
{
	void	*p;

	if (posix_memalign(&p, 64, cap * sizeof *t->rows) != 0)
		p = xreallocarray(NULL, cap, sizeof *t->rows);	/* dies */
	if (t->nrows > 0)
		memcpy(p, t->rows, t->nrows * sizeof *t->rows);
	free(t->rows);
	t->rows = p;
	t->caprows = cap;
}

static struct jointable *
jt_new(char *buf)
{
	struct jointable	*t = xcalloc(1, sizeof *t);

	t->buf = buf;
	arena_init(&t->arena);
	return t;
}

void
jt_free(struct jointable *t)
{
	if (t == NULL)
		return;
	free(t->rows);
	free(t->slots);
	free(t->buf);
	arena_free(&t->arena);
	free(t);
}

/* Appends the row (K, V).  Returns 0, or -1 when the table is full. */
static int
jt_add(struct jointable *t, struct value k, struct value v)
{
	struct jt_row	*r;

	if (t->nrows == JT_MAX_ROWS)
		return -1;
	if (t->nrows == t->caprows)
		jt_reserve(t, t->caprows ? t->caprows * 2 : 1024);
	r = &t->rows[t->nrows++];
	r->key = k;
	r->val = v;
	r->next = 0;
	return 0;
}

/*
 * Builds the index of T's rows: a slot per distinct key at most half
 * full; rows of one key chained in their order.
 */
static void
jt_index(struct jointable *t)
{
	struct jt_slot	*s;
	uint32_t	*last;		/* each slot's key's last row, while built */
	size_t		 n = 16, i, j;
	uint64_t	 h;

	while (n < t->nrows * 2)
		n *= 2;
	t->slots = xcalloc(n, sizeof *t->slots);
	last = xcalloc(n, sizeof *last);
	t->mask = n - 1;
	for (i = 0; i < t->nrows; i++) {
		h = jt_hash(&t->rows[i].key);
		for (j = h & t->mask;; j = (j + 1) & t->mask) {
			s = &t->slots[j];
			if (s->first == 0) {
				s->first = last[j] = (uint32_t)i + 1;
				s->hash = (uint32_t)(h >> 32);
				t->nkeys++;
				break;
			}
			if (s->hash == (uint32_t)(h >> 32) &&
			    value_eq(&t->rows[s->first - 1].key,
			    &t->rows[i].key)) {
				t->rows[last[j] - 1].next = (uint32_t)i + 1;
				last[j] = (uint32_t)i + 1;
				break;
			}
		}
	}
	free(last);
}

/* Whether V, or a string within it, points into BUF[0..len). */
static bool
jt_into(const struct value *v, const char *buf, size_t len)
{
	size_t	 i, n;

	switch (v->type) {
	case V_STR:
		return buf != NULL && v->n > 0 && v->u.s >= buf &&
		    v->u.s < buf + len;
	case V_TUPLE:
	case V_ARR:
	case V_OBJ:
		n = v->type == V_OBJ ? 2 * (size_t)v->n : v->n;
		for (i = 0; i < n; i++)
			if (jt_into(&v->u.a[i], buf, len))
				return true;
		return false;
	default:
		return false;
	}
}

/*
 * Puts V's bytes in the row's room INL (*USED bytes of it taken) when V
 * is a string that fits.  Returns whether V still points into the file's
 * bytes BUF[0..len) (a string that did not fit).
 */
static bool
jt_place(struct value *v, char *inl, size_t *used, const char *buf,
    size_t len)
{
	if (v->type != V_STR)	/* an object of CSV columns, say */
		return jt_into(v, buf, len);
	if (v->n <= JT_INLINE - *used) {
		if (v->n > 0)
			memcpy(inl + *used, v->u.s, v->n);
		v->u.s = inl + *used;
		*used += v->n;
		return false;
	}
	return jt_into(v, buf, len);
}

/*
 * The rows no longer move: gives back the slack, puts each row's short
 * key and value in the row itself (so a lookup reads its slot and its
 * row's cache line, nothing else), and frees the file's bytes when no
 * row points into them any more (a table of short keys and values holds
 * its bytes once, in its rows; one of long values keeps the file's
 * bytes, and the short ones are in the rows too).
 */
static void
jt_inline(struct jointable *t)
{
	struct jt_row	*r;
	size_t		 i, used;
	bool		 kept = false;

	if (t->caprows > t->nrows + t->nrows / 8 + 16)
		jt_reserve(t, t->nrows);
	for (i = 0; i < t->nrows; i++) {
		r = &t->rows[i];
		used = 0;
		kept |= jt_place(&r->key, r->inl, &used, t->buf, t->buflen);
		kept |= jt_place(&r->val, r->inl, &used, t->buf, t->buflen);
	}
	if (!kept) {
		free(t->buf);
		t->buf = NULL;
	}
}

const struct jt_row *
jt_find(const struct jointable *t, const struct value *key)
{
	return jt_find_hashed(t, key, jt_hash(key));
}

/* ---- the spec ---- */

/* Whether PATH ends with SUFFIX. */
static bool
jt_ends(const char *path, const char *suffix)
{
	size_t	 n = strlen(path), m = strlen(suffix);

	return n > m && strcmp(path + n - m, suffix) == 0;
}

int
jt_spec_parse(const char *table, struct jt_spec *spec, char **cause)
{
	static const struct {
		const char	*prefix;
		enum jt_form	 form;
	} forms[] = {
		{ "tsv:", JT_TSV }, { "csv:", JT_CSV }, { "json:", JT_JSON },
	};
	const char	*q;
	size_t		 i;

	memset(spec, 0, sizeof *spec);
	if (strncmp(table, "sqlite:", 7) == 0) {
		if ((q = strstr(table + 7, "?query=")) == NULL) {
			xasprintf(cause, "%s: expected sqlite:PATH?query=SQL",
			    table);
			return -1;
		}
		if (q == table + 7 || q[7] == '\0') {
			xasprintf(cause, "%s: %s", table, q == table + 7 ?
			    "no database path" : "no query after ?query=");
			return -1;
		}
		spec->form = JT_SQLITE;
		spec->path = xstrndup(table + 7, (size_t)(q - table - 7));
		spec->query = xstrdup(q + 7);
		spec->text = xstrdup(table);
		return 0;
	}
	spec->form = JT_TSV;
	q = table;
	for (i = 0; i < sizeof forms / sizeof forms[0]; i++)
		if (strncmp(table, forms[i].prefix,
		    strlen(forms[i].prefix)) == 0) {
			spec->form = forms[i].form;
			q = table + strlen(forms[i].prefix);
			break;
		}
	if (q == table) {
		if (jt_ends(table, ".csv") || jt_ends(table, ".CSV"))
			spec->form = JT_CSV;
		else if (jt_ends(table, ".json") || jt_ends(table, ".jsonl") ||
		    jt_ends(table, ".ndjson"))
			spec->form = JT_JSON;
	}
	if (*q == '\0') {
		xasprintf(cause, "'%s': no table file named", table);
		return -1;
	}
	spec->path = xstrdup(q);
	spec->text = xstrdup(table);
	return 0;
}

void
jt_spec_free(struct jt_spec *spec)
{
	free(spec->path);
	free(spec->query);
	free(spec->text);
	memset(spec, 0, sizeof *spec);
}

/* ---- text forms ---- */

/* Sets *CAUSE to "NAME:LINE: " and the message FMT. */
static void __attribute__((format(printf, 4, 5)))
jt_fail(char **cause, const char *name, uint64_t line, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	xasprintf(cause, "%s:%llu: %s", name, (unsigned long long)line, msg);
	free(msg);
}

/*
 * The line that starts at P (before END): returns where it ends (its
 * newline, or END) and sets *N to its length without the newline and a
 * carriage return before it; counts it in *LINE.  The text forms of one
 * record a line (TSV, JSON lines) read their lines with it.
 */
static const char *
jt_line(const char *p, const char *end, size_t *n, uint64_t *line)
{
	const char	*nl;

	(*line)++;
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		nl = end;
	*n = (size_t)(nl - p);
	if (*n > 0 && p[*n - 1] == '\r')
		(*n)--;
	return nl;
}

/*
 * key<TAB>value lines: the key before the first tab, the value after it
 * (null without a tab).  Blank lines are skipped.  Never fails but for
 * a table past JT_MAX_ROWS.
 */
static int
jt_parse_tsv(struct jointable *t, const char *name, const char *p,
    const char *end, char **cause)
{
	const char	*nl, *tab;
	size_t		 n;
	uint64_t	 line = 0;

	for (; p < end; p = nl + 1) {
		nl = jt_line(p, end, &n, &line);
		if (n == 0)
			continue;
		tab = memchr(p, '\t', n);
		if (jt_add(t, value_str(p, tab != NULL ? (size_t)(tab - p) : n),
		    tab != NULL ? value_str(tab + 1, n - (size_t)(tab + 1 - p)) :
		    value_null()) != 0) {
			jt_fail(cause, name, line, "more than %u rows",
			    (unsigned)JT_MAX_ROWS);
			return -1;
		}
	}
	return 0;
}

/* A CSV reader's place in the buffer, and the fields of its last row. */
struct jt_csv {
	const char	*p, *end;
	uint64_t	 line;		/* of the next byte */
	struct value	*f;		/* the fields of the row read */
	size_t		 nf, cap;
	struct arena	*arena;		/* unquoted "" fields */
	const char	*name;
};

/* Appends the field V to the row of C. */
static void
jt_csv_push(struct jt_csv *c, struct value v)
{
	if (c->nf == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->f = xreallocarray(c->f, c->cap, sizeof *c->f);
	}
	c->f[c->nf++] = v;
}

/*
 * Reads the quoted field starting at C's place (on the opening quote)
 * into *V: its bytes in place when they hold no doubled quote, else
 * undoubled into the arena.  Returns 0, or -1 with *CAUSE set.
 */
static int
jt_csv_quoted(struct jt_csv *c, struct value *v, char **cause)
{
	const char	*s = c->p + 1, *q;
	uint64_t	 start = c->line;
	bool		 doubled = false;
	char		*out;
	size_t		 n, i;

	for (q = s;; q++) {
		if (q == c->end) {
			jt_fail(cause, c->name, start,
			    "a quoted field is not closed");
			return -1;
		}
		if (*q == '\n')
			c->line++;
		if (*q != '"')
			continue;
		if (q + 1 < c->end && q[1] == '"') {
			doubled = true;
			q++;
			continue;
		}
		break;
	}
	n = (size_t)(q - s);
	if (!doubled)
		*v = value_str(s, n);
	else {
		out = arena_alloc_bytes(c->arena, n);
		for (i = 0; s < q; s++) {
			out[i++] = *s;
			if (*s == '"')
				s++;	/* the second of a pair */
		}
		*v = value_str(out, i);
	}
	c->p = q + 1;
	if (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
	    !(*c->p == '\r' && (c->p + 1 == c->end || c->p[1] == '\n'))) {
		jt_fail(cause, c->name, c->line,
		    "text after the closing quote of a field");
		return -1;
	}
	return 0;
}

/*
 * Reads the next row of C into c->f (c->nf fields), skipping empty
 * lines; *LINE is the line it starts on.  Returns 1 with a row, 0 at the
 * end, -1 with *CAUSE set.
 */
static int
jt_csv_row(struct jt_csv *c, uint64_t *line, char **cause)
{
	struct value	 v;
	const char	*s;

	c->nf = 0;
	/* Empty lines hold no row. */
	while (c->p < c->end && (*c->p == '\n' || (*c->p == '\r' &&
	    c->p + 1 < c->end && c->p[1] == '\n'))) {
		c->p += *c->p == '\r' ? 2 : 1;
		c->line++;
	}
	if (c->p >= c->end)
		return 0;
	*line = c->line;
	for (;;) {
		if (c->p < c->end && *c->p == '"') {
			if (jt_csv_quoted(c, &v, cause) != 0)
				return -1;
		} else {
			for (s = c->p; c->p < c->end && *c->p != ',' &&
			    *c->p != '\n'; c->p++)
				;
			v = value_str(s, (size_t)(c->p - s));
			if (v.n > 0 && c->p[-1] == '\r' &&
			    (c->p == c->end || *c->p == '\n'))
				v.n--;
		}
		jt_csv_push(c, v);
		if (c->p < c->end && *c->p == '\r')
			c->p++;		/* before the newline: checked */
		if (c->p >= c->end)
			return 1;
		if (*c->p++ == '\n') {
			c->line++;
			return 1;
		}
		/* A comma: one more field, maybe empty at the end. */
	}
}

/*
 * CSV with a header: the key the column named "key" (or the first), the
 * value the other column, or an object of the others by name, or null
 * when there is only the key.
 */
static int
jt_parse_csv(struct jointable *t, const char *name, const char *p,
    const char *end, char **cause)
{
	struct jt_csv	 c;
	struct value	*hdr = NULL, v, *kv;
	size_t		 nh = 0, kcol = 0, i, j;
	uint64_t	 line;
	int		 r, rc = -1;

	memset(&c, 0, sizeof c);
	c.p = p;
	c.end = end;
	c.line = 1;
	c.arena = &t->arena;
	c.name = name;
	if ((r = jt_csv_row(&c, &line, cause)) <= 0) {
		if (r == 0)
			xasprintf(cause, "%s: no header line (a CSV table "
			    "starts with its column names)", name);
		goto out;
	}
	nh = c.nf;
	hdr = xreallocarray(NULL, nh, sizeof *hdr);
	memcpy(hdr, c.f, nh * sizeof *hdr);
	for (i = 0; i < nh; i++)
		if (hdr[i].n == 3 && memcmp(hdr[i].u.s, "key", 3) == 0) {
			kcol = i;
			break;
		}
	while ((r = jt_csv_row(&c, &line, cause)) == 1) {
		if (c.nf != nh) {
			jt_fail(cause, name, line, "%zu field%s, the header "
			    "has %zu", c.nf, c.nf == 1 ? "" : "s", nh);
			goto out;
		}
		if (nh == 1)
			v = value_null();
		else if (nh == 2)
			v = c.f[1 - kcol];
		else {
			kv = arena_alloc(&t->arena, (nh - 1) * 2 * sizeof *kv);
			for (i = j = 0; i < nh; i++) {
				if (i == kcol)
					continue;
				kv[2 * j] = hdr[i];
				kv[2 * j + 1] = c.f[i];
				j++;
			}
			v.type = V_OBJ;
			v.n = (uint32_t)(nh - 1);
			v.u.kv = kv;
		}
		if (jt_add(t, c.f[kcol], v) != 0) {
			jt_fail(cause, name, line, "more than %u rows",
			    (unsigned)JT_MAX_ROWS);
			goto out;
		}
	}
	if (r == 0)
		rc = 0;
out:
	free(hdr);
	free(c.f);
	return rc;
}

/* Whether P[0..n) is only blanks. */
static bool
jt_blank(const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}

/*
 * JSON lines: {"key": K, "value": V} is (K, V); any other object is the
 * value, keyed by its first member.  Blank lines are skipped.
 */
static int
jt_parse_json(struct jointable *t, const char *name, const char *p,
    const char *end, char **cause)
{
	const char	*nl, *err;
	struct value	 v, *kv, rk, rv;
	struct arena	 scratch;
	size_t		 n;
	uint64_t	 line = 0;
	int		 k, rc = -1;

	/*
	 * Each line is parsed in scratch, then copied whole into the
	 * table's arena: the parser's working memory is not kept, and the
	 * file's buffer can go (jt_parse frees it).
	 */
	arena_init(&scratch);
	for (; p < end; p = nl + 1) {
		arena_reset(&scratch);
		nl = jt_line(p, end, &n, &line);
		if (jt_blank(p, n))
			continue;
		if (json_parse(&scratch, p, n, &v, &err) != 0) {
			jt_fail(cause, name, line, "%s", err);
			goto out;
		}
		if (v.type != V_OBJ) {
			jt_fail(cause, name, line, "%s, not an object",
			    value_type_name(&v));
			goto out;
		}
		if (v.n == 0) {
			jt_fail(cause, name, line, "an empty object has no "
			    "key");
			goto out;
		}
		kv = v.u.kv;
		k = -1;
		if (v.n == 2 && kv[0].n == 3 && memcmp(kv[0].u.s, "key", 3) == 0 &&
		    kv[2].n == 5 && memcmp(kv[2].u.s, "value", 5) == 0)
			k = 0;
		else if (v.n == 2 && kv[2].n == 3 &&
		    memcmp(kv[2].u.s, "key", 3) == 0 && kv[0].n == 5 &&
		    memcmp(kv[0].u.s, "value", 5) == 0)
			k = 1;
		/* Only what the row keeps is copied. */
		if (k < 0) {
			v = value_copy(&t->arena, &v);
			rk = v.u.kv[1];
			rv = v;
		} else {
			rk = value_copy(&t->arena, &kv[2 * k + 1]);
			rv = value_copy(&t->arena, &kv[2 * (1 - k) + 1]);
		}
		if (jt_add(t, rk, rv) != 0) {
			jt_fail(cause, name, line, "more than %u rows",
			    (unsigned)JT_MAX_ROWS);
			goto out;
		}
	}
	rc = 0;
out:
	arena_free(&scratch);
	return rc;
}

struct jointable *
jt_parse(enum jt_form form, const char *name, char *buf, size_t len,
    char **cause)
{
	struct jointable	*t = jt_new(buf);
	const char		*p, *nl;
	size_t			 lines = 1;
	int			 rc;

	/* A row a line at most: room made once. */
	t->buflen = len;
	for (p = buf; p < buf + len &&
	    (nl = memchr(p, '\n', (size_t)(buf + len - p))) != NULL; p = nl + 1)
		lines++;
	jt_reserve(t, lines < JT_MAX_ROWS ? lines : JT_MAX_ROWS);

	switch (form) {
	case JT_CSV:
		rc = jt_parse_csv(t, name, buf, buf + len, cause);
		break;
	case JT_JSON:
		rc = jt_parse_json(t, name, buf, buf + len, cause);
		break;
	case JT_TSV:
		rc = jt_parse_tsv(t, name, buf, buf + len, cause);
		break;
	default:
		xasprintf(cause, "%s: not a text table", name);
		rc = -1;
		break;
	}
	if (rc != 0) {
		jt_free(t);
		return NULL;
	}
	jt_index(t);
	jt_inline(t);
	return t;
}

/* ---- files ---- */

/* Sets STAMP from SB (the file) and the WAL's stat W (or NULL). */
static void
jt_stamp_set(struct jt_stamp *stamp, const struct stat *sb,
    const struct stat *w)
{
	memset(stamp, 0, sizeof *stamp);
	stamp->dev = sb->st_dev;
	stamp->ino = sb->st_ino;
	stamp->size = sb->st_size;
	stamp->mtime = sb->st_mtim;
	stamp->wal_size = w != NULL ? w->st_size : -1;
	if (w != NULL)
		stamp->wal_mtime = w->st_mtim;
}

static bool
jt_same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/*
 * Whether the modification time M is within SETTLE_MS of the wall clock
 * (before it or after it): the file was written a moment ago, and its
 * writer may not be done.  A time further in the future (a clock set
 * wrong, touch -d) says nothing, and is not waited for.
 */
static bool
jt_fresh(const struct timespec *m, int64_t settle_ms)
{
	struct timespec	 now;
	int64_t		 age;

	if (settle_ms <= 0 || clock_gettime(CLOCK_REALTIME, &now) != 0)
		return false;
	age = ((int64_t)now.tv_sec - (int64_t)m->tv_sec) * 1000 +
	    ((int64_t)now.tv_nsec - (int64_t)m->tv_nsec) / 1000000;
	return age < settle_ms && age > -settle_ms;
}

/*
 * Reads the file FD (SPEC's) whole into *BUF (caller frees) and its
 * length into *LEN.  Returns 0, 1 when it changed while read (a writer
 * at work: other size or time after than before, fewer or more bytes
 * than its size, or its path naming another file), -1 with *CAUSE set.
 */
static int
jt_read(const struct jt_spec *spec, int fd, const struct stat *sb,
    char **bufp, size_t *lenp, char **cause)
{
	struct stat	 after, named;
	char		*buf;
	size_t		 cap, len = 0;
	ssize_t		 n;

	cap = sb->st_size > 0 ? (size_t)sb->st_size + 1 : 65536;
	buf = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			xasprintf(cause, "%s: %s", spec->path, strerror(errno));
			free(buf);
			return -1;
		}
		len += (size_t)n;
	}
	if (S_ISREG(sb->st_mode) && (fstat(fd, &after) != 0 ||
	    after.st_size != sb->st_size || (off_t)len != sb->st_size ||
	    !jt_same_time(&after.st_mtim, &sb->st_mtim) ||
	    stat(spec->path, &named) != 0 || named.st_dev != sb->st_dev ||
	    named.st_ino != sb->st_ino)) {
		free(buf);
		return 1;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

/* The -wal file of the database PATH, a string the caller frees. */
static char *
jt_wal_path(const char *path)
{
	char	*w;

	xasprintf(&w, "%s-wal", path);
	return w;
}

/* An SQLite column of row ST as a value, in arena A. */
static struct value
jt_sqlite_col(sqlite3_stmt *st, int i, struct arena *a)
{
	const void	*p;
	char		*s;
	int		 n;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return value_int(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return value_dbl(sqlite3_column_double(st, i));
	case SQLITE_NULL:
		return value_null();
	case SQLITE_BLOB:
		p = sqlite3_column_blob(st, i);
		break;
	default:
		p = sqlite3_column_text(st, i);
		break;
	}
	n = sqlite3_column_bytes(st, i);
	s = arena_alloc_bytes(a, n > 0 ? (size_t)n : 1);
	if (n > 0)
		memcpy(s, p, (size_t)n);
	return value_str(s, (size_t)(n > 0 ? n : 0));
}

/*
 * Runs SPEC's query on its database, opened read-only: the first column
 * the key, the others the value (one column: itself; several: an object
 * by column name; none: null).  Returns the table, or NULL with *CAUSE.
 */
static struct jointable *
jt_load_sqlite(const struct jt_spec *spec, char **cause)
{
	struct jointable	*t = jt_new(NULL);
	sqlite3			*db = NULL;
	sqlite3_stmt		*st = NULL;
	struct value		*names = NULL, *kv, v;
	const char		*nm;
	int			 ncol, i, r;

	if (sqlite3_open_v2(spec->path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		xasprintf(cause, "%s: %s", spec->text, db != NULL ?
		    sqlite3_errmsg(db) : "cannot open the database");
		goto fail;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, spec->query, -1, &st, NULL) != SQLITE_OK) {
		xasprintf(cause, "%s: %s", spec->text, sqlite3_errmsg(db));
		goto fail;
	}
	if ((ncol = sqlite3_column_count(st)) == 0) {
		xasprintf(cause, "%s: the query returns no columns",
		    spec->text);
		goto fail;
	}
	names = xcalloc((size_t)ncol, sizeof *names);
	for (i = 0; i < ncol; i++) {
		nm = sqlite3_column_name(st, i);
		if (nm == NULL)
			nm = "";
		names[i] = value_str(arena_strndup(&t->arena, nm, strlen(nm)),
		    strlen(nm));
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (ncol == 1)
			v = value_null();
		else if (ncol == 2)
			v = jt_sqlite_col(st, 1, &t->arena);
		else {
			kv = arena_alloc(&t->arena,
			    (size_t)(ncol - 1) * 2 * sizeof *kv);
			for (i = 1; i < ncol; i++) {
				kv[2 * (i - 1)] = names[i];
				kv[2 * (i - 1) + 1] = jt_sqlite_col(st, i,
				    &t->arena);
			}
			v.type = V_OBJ;
			v.n = (uint32_t)(ncol - 1);
			v.u.kv = kv;
		}
		if (jt_add(t, jt_sqlite_col(st, 0, &t->arena), v) != 0) {
			xasprintf(cause, "%s: more than %u rows", spec->text,
			    (unsigned)JT_MAX_ROWS);
			goto fail;
		}
	}
	if (r != SQLITE_DONE) {
		xasprintf(cause, "%s: %s", spec->text, sqlite3_errmsg(db));
		goto fail;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(names);
	jt_index(t);
	jt_inline(t);
	return t;

fail:
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(names);
	jt_free(t);
	return NULL;
}

struct jointable *
jt_load(const struct jt_spec *spec, int64_t settle_ms, struct jt_stamp *stamp,
    char **cause)
{
	struct stat	 sb, wb;
	char		*buf, *wal;
	size_t		 len;
	int		 fd, r;
	bool		 has_wal;

	*cause = NULL;
	if (spec->form == JT_SQLITE) {
		/* SQLite would make a missing file a "unable to open". */
		if (stat(spec->path, &sb) != 0) {
			xasprintf(cause, "%s: %s", spec->path,
			    strerror(errno));
			return NULL;
		}
		wal = jt_wal_path(spec->path);
		has_wal = stat(wal, &wb) == 0;
		free(wal);
		/* Stamped before: a change during the query is seen next. */
		jt_stamp_set(stamp, &sb, has_wal ? &wb : NULL);
		return jt_load_sqlite(spec, cause);
	}
	if ((fd = open(spec->path, O_RDONLY | O_CLOEXEC)) < 0) {
		xasprintf(cause, "%s: %s", spec->path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) != 0) {
		xasprintf(cause, "%s: %s", spec->path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (S_ISDIR(sb.st_mode)) {
		xasprintf(cause, "%s: is a directory", spec->path);
		close(fd);
		return NULL;
	}
	/*
	 * Written a moment ago: maybe by a writer in place (cat new >
	 * table) that has more to write, whose file looks the same before
	 * and after a read between two of its writes.  Read once it has
	 * stood still for SETTLE_MS.
	 */
	if (S_ISREG(sb.st_mode) && jt_fresh(&sb.st_mtim, settle_ms)) {
		close(fd);
		return NULL;	/* *CAUSE NULL: try again */
	}
	r = jt_read(spec, fd, &sb, &buf, &len, cause);
	close(fd);
	if (r != 0)
		return NULL;	/* *CAUSE NULL: it changed; try again */
	/* Written to while read, though the same after as before. */
	if (S_ISREG(sb.st_mode) && jt_fresh(&sb.st_mtim, settle_ms)) {
		free(buf);
		return NULL;
	}
	jt_stamp_set(stamp, &sb, NULL);
	return jt_parse(spec->form, spec->path, buf, len, cause);
}

struct jointable *
jt_load_start(const struct jt_spec *spec, struct jt_stamp *stamp,
    char **cause)
{
	struct jointable	*t;
	int			 tries;

	/* A file being written as we start: a few more tries. */
	for (tries = 0; tries < 5; tries++)
		if ((t = jt_load(spec, 0, stamp, cause)) != NULL ||
		    *cause != NULL)
			return t;
	xasprintf(cause, "%s: changes while it is read", spec->path);
	return NULL;
}

bool
jt_changed(const struct jt_spec *spec, const struct jt_stamp *stamp, int *err)
{
	struct stat	 sb, wb;
	char		*wal;
	bool		 has_wal;

	*err = 0;
	if (stat(spec->path, &sb) != 0) {
		*err = errno;
		return true;
	}
	if (sb.st_dev != stamp->dev || sb.st_ino != stamp->ino ||
	    sb.st_size != stamp->size ||
	    !jt_same_time(&sb.st_mtim, &stamp->mtime))
		return true;
	if (spec->form != JT_SQLITE)
		return false;
	wal = jt_wal_path(spec->path);
	has_wal = stat(wal, &wb) == 0;
	free(wal);
	if (!has_wal)
		return stamp->wal_size != -1;
	return wb.st_size != stamp->wal_size ||
	    !jt_same_time(&wb.st_mtim, &stamp->wal_mtime);
}
