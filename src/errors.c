/*
 * errors.c - per-record errors and where they are counted.
 *
 * A record that cannot be processed (wrong shape, failed expression,
 * malformed JSON, unparseable time) is reported here with its origin and
 * counted.  Errors are told apart by kind (the operator and the message
 * without the record: "map: '*': not a number"): the first KIND_SHOW of
 * each kind, and REPORT_MAX in all, are printed in full; after that only
 * the counts grow, and record_errors_summary prints them at exit, so an
 * expression failing on every record of a big file does not bury the
 * terminal.  The summary also names the late records, which are never
 * dropped silently.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dstream.h"

#define REPORT_MAX	100	/* messages in all */
#define KIND_SHOW	5	/* messages of one kind */
#define KINDS_MAX	32	/* kinds told apart (the rest share the last) */
#define KIND_LEN	120	/* bytes of a kind's text kept */
#define SHOW_MAX	200	/* bytes of the record shown */

struct origin	 cur_origin;
const char	*progname = "dstream";

static uint64_t		 reported;
static enum on_error	 on_error = ONERR_SKIP;
static struct counters	 no_counters;	/* until record_error_init */
static struct counters	*run_counters = &no_counters;

void
record_error_init(enum on_error policy, struct counters *run)
{
	on_error = policy;
	run_counters = run;
}

struct counters *
origin_counters(void)
{
	return cur_origin.counters != NULL ? cur_origin.counters :
	    run_counters;
}

void
counters_add(struct counters *sum, const struct counters *c)
{
	sum->records_in += c->records_in;
	sum->records_out += c->records_out;
	sum->late += c->late;
	sum->skipped += c->skipped;
	sum->long_lines += c->long_lines;
}

/* One kind of record error: its text and how many records had it. */
struct error_kind {
	char		 text[KIND_LEN];	/* "map: '*': not a number" */
	uint64_t	 n;
	uint64_t	 shown;
};
static struct error_kind	 kinds[KINDS_MAX];
static int			 nkinds;

/*
 * Returns the kind of the message MSG of WHAT: its text up to the record
 * it shows (the first '"'), digits written as 'N' (a byte offset is not
 * a kind of its own).  Past KINDS_MAX kinds, the last one stands for all
 * the others.  The kinds live as long as the process.
 */
static struct error_kind *
error_kind(const char *what, const char *msg)
{
	char	 text[KIND_LEN];
	size_t	 n, i;
	int	 k;

	n = (size_t)snprintf(text, sizeof text, "%s: ", what);
	if (n >= sizeof text)
		n = sizeof text - 1;
	for (; *msg != '\0' && *msg != '"' && n < sizeof text - 1; msg++)
		if (*msg < '0' || *msg > '9')
			text[n++] = *msg;
		else if (n == 0 || text[n - 1] != 'N')
			text[n++] = 'N';
	/* "... not a number: " before the record: the ": " goes. */
	while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == ':'))
		n--;
	text[n] = '\0';
	for (k = 0; k < nkinds; k++)
		if (strcmp(kinds[k].text, text) == 0)
			return &kinds[k];
	if (nkinds == KINDS_MAX) {
		snprintf(kinds[KINDS_MAX - 1].text, KIND_LEN, "other errors");
		return &kinds[KINDS_MAX - 1];
	}
	for (i = 0; i <= n; i++)
		kinds[nkinds].text[i] = text[i];
	return &kinds[nkinds++];
}

/*
 * Appends V to B for a message: its plain text, cut at SHOW_MAX bytes,
 * with control bytes shown as escapes so the message stays one line.
 */
static void
show_value(struct buf *b, const struct value *v)
{
	struct buf	 t = BUF_INIT;
	size_t		 i;

	if (v->type == V_STR)
		buf_add(&t, v->u.s, v->n);
	else
		value_fmt_json(&t, v);
	buf_addc(b, '"');
	for (i = 0; i < t.len && i < SHOW_MAX; i++) {
		unsigned char c = (unsigned char)t.p[i];
		if (c == '\t')
			buf_adds(b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\x%02x", c);
		else
			buf_addc(b, c);
	}
	buf_addc(b, '"');
	if (t.len > SHOW_MAX)
		buf_adds(b, "...");
	buf_free(&t);
}

int
record_error(const char *what, const struct value *v, const char *fmt, ...)
{
	struct buf		 b = BUF_INIT;
	struct error_kind	*k;
	va_list			 ap;
	size_t			 start;

	origin_counters()->skipped++;
	buf_printf(&b, "%s: %s: ", progname, what);
	start = b.len;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	k = error_kind(what, b.p + start);
	k->n++;
	if ((reported < REPORT_MAX && k->shown < KIND_SHOW) ||
	    on_error == ONERR_FAIL) {
		reported++;
		k->shown++;
		if (v != NULL) {
			struct buf	 shown = BUF_INIT;

			/* A message that already shows the record (an
			 * expression's own error) does not repeat it. */
			show_value(&shown, v);
			if (strstr(b.p, shown.p) == NULL) {
				buf_adds(&b, ": ");
				buf_add(&b, shown.p, shown.len);
			}
			buf_free(&shown);
		}
		if (cur_origin.name != NULL) {
			if (cur_origin.line)
				buf_printf(&b, " (%s:%llu)", cur_origin.name,
				    (unsigned long long)cur_origin.line);
			else
				buf_printf(&b, " (%s)", cur_origin.name);
		}
		if (on_error != ONERR_FAIL) {
			if (reported == REPORT_MAX)
				buf_adds(&b, "\n(further record errors are "
				    "counted, not shown)");
			else if (k->shown == KIND_SHOW)
				buf_adds(&b, "\n(more of this kind are "
				    "counted, not shown)");
		}
		fprintf(stderr, "%s\n", b.p);
	}
	buf_free(&b);
	return on_error == ONERR_FAIL ? -1 : 0;
}

void
record_errors_summary(const struct counters *total, const char *late_file)
{
	int	 k;

	for (k = 0; k < nkinds; k++)
		if (kinds[k].n > kinds[k].shown)
			fprintf(stderr, "%s: %s: %llu records in all\n",
			    progname, kinds[k].text,
			    (unsigned long long)kinds[k].n);
	if ((reported < total->skipped && nkinds > 1) ||
	    total->long_lines > 100)
		fprintf(stderr, "%s: %llu record errors, %llu long lines "
		    "skipped in all\n", progname,
		    (unsigned long long)total->skipped,
		    (unsigned long long)total->long_lines);
	if (total->late > 0 && late_file != NULL)
		fprintf(stderr, "%s: %llu late records (behind the "
		    "watermark) written to --late-file %s\n", progname,
		    (unsigned long long)total->late, late_file);
	else if (total->late > 0)
		fprintf(stderr, "%s: %llu late records (behind the "
		    "watermark) left out; see --watermark and --late-file\n",
		    progname, (unsigned long long)total->late);
}
