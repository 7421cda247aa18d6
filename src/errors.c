/*
 * errors.c - per-record errors and the run's counters.
 *
 * A record that cannot be processed (wrong shape, failed expression,
 * malformed JSON, unparseable time) is reported here with its origin and
 * counted.  The first REPORT_MAX are printed in full; after that only the
 * count grows, and record_errors_summary prints the total at exit, so a
 * file of a million bad lines does not bury the terminal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dstream.h"

#define REPORT_MAX	100
#define SHOW_MAX	200	/* bytes of the record shown */

struct config	 cfg;
struct origin	 cur_origin;
struct counters	 counters;
const char	*progname = "dstream";

static uint64_t	 reported;

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
	struct buf	 b = BUF_INIT;
	va_list		 ap;

	counters.skipped++;
	if (reported < REPORT_MAX || cfg.on_error == ONERR_FAIL) {
		reported++;
		buf_printf(&b, "%s: %s: ", progname, what);
		va_start(ap, fmt);
		buf_vprintf(&b, fmt, ap);
		va_end(ap);
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
		if (reported == REPORT_MAX && cfg.on_error != ONERR_FAIL)
			buf_adds(&b, "\n(further record errors are counted, not shown)");
		fprintf(stderr, "%s\n", b.p);
		buf_free(&b);
	}
	return cfg.on_error == ONERR_FAIL ? -1 : 0;
}
