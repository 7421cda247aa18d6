/*
 * format.c - rows into text: one record in the chosen --format, and the
 * text around a batch's records (Spark's header, its closing lines).
 *
 * A pure function of (format, value, stamp): it knows nothing of files,
 * stdout or operators; the text destinations (sinks/stdout.c, and the
 * files of -o later) call it.  The forms (DESIGN section 6):
 *
 *   plain  value_fmt_plain: strings raw, numbers shortest, null empty,
 *          tuples as tab-separated fields, arrays/objects compact JSON.
 *   tsv    plain with escapes: a tuple's elements are tab-separated
 *          fields (a nested tuple, an array or an object is one field of
 *          compact JSON, as in plain); in each field tab, newline,
 *          carriage return and backslash are written \t \n \r \\; null
 *          is empty.
 *   csv    RFC 4180: the same fields joined by commas; a field holding a
 *          comma, a double quote, CR or LF is quoted, quotes doubled.
 *   json   one object per line, {"time":T,"key":K,"value":V} for a pair
 *          and {"time":T,"value":V} for anything else; T is the batch or
 *          window end as RFC 3339 UTC, K and V native JSON (tuples as
 *          arrays).
 *   spark  Spark's DStream.print() layout: at every batch end (even an
 *          empty one) the Spark header (a line of 43 dashes, "Time: <end
 *          ms> ms", 43 dashes: format_spark_header), every record of the
 *          batch, "..." when print cut the batch short, an empty line.
 *          Records in Scala's toString style: tuples (k,v) and (a,(b,c)),
 *          strings raw, ints as is, doubles as Java's Double.toString
 *          (1.0, 0.1, 1.0E7, 1.0E-4, NaN, Infinity), null, true/false.
 *          Arrays are written [a, b] with their elements in the same
 *          style (Spark would show a groupByKey result as
 *          CompactBuffer(a, b) and a List as List(a, b); one bracketed
 *          form for every array keeps the output readable and
 *          unambiguous); objects as compact JSON.  print's layout is
 *          this one, whatever -f says.
 *
 * --stamp puts the batch or window end (RFC 3339 UTC) first: a leading
 * tab-separated column in plain and tsv, the first field in csv.  json
 * already carries the time and spark its header, so they are unchanged.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "../expr/expr.h"
#include "format.h"

static const char	 format_dashes[] =
    "-------------------------------------------\n";

static struct buf	 format_scratch;	/* arrays/objects before escaping */

struct format_memo	 format_memo;

void
format_memo_set(int64_t ms)
{
	struct buf	 t = BUF_INIT;
	size_t		 n;

	time_fmt_rfc3339(&t, ms);
	n = t.len < 63 ? t.len : 63;	/* as long as any time is */
	memcpy(format_memo.text, t.p, n);
	format_memo.text[n] = '\t';
	format_memo.len = n + 1;
	buf_free(&t);
	format_memo.ms = ms;
	format_memo.have = true;
}

void
format_stamp(struct buf *b, int64_t ms)
{
	if (!format_memo.have || ms != format_memo.ms)
		format_memo_set(ms);
	buf_add(b, format_memo.text, format_memo.len - 1);
}

/* Appends S[0..n) with tab, newline, CR and backslash escaped for TSV. */
static void
format_tsv_escape(struct buf *b, const char *s, size_t n)
{
	size_t	 i, run = 0;
	char	 c;

	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		c = s[i];
		if (c != '\t' && c != '\n' && c != '\r' && c != '\\')
			continue;
		buf_add(b, s + run, i - run);
		buf_addc(b, '\\');
		buf_addc(b, c == '\t' ? 't' : c == '\n' ? 'n' :
		    c == '\r' ? 'r' : '\\');
		run = i + 1;
	}
	buf_add(b, s + run, n - run);
}

/* Appends S[0..n) as one RFC 4180 field, quoted only when it must be. */
static void
format_csv_escape(struct buf *b, const char *s, size_t n)
{
	size_t	 i, run;

	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			break;
	}
	if (i == n) {
		buf_add(b, s, n);
		return;
	}
	buf_addc(b, '"');
	for (i = run = 0; i < n; i++) {
		if (s[i] != '"')
			continue;
		buf_add(b, s + run, i + 1 - run);
		buf_addc(b, '"');
		run = i + 1;
	}
	buf_add(b, s + run, n - run);
	buf_addc(b, '"');
}

/* Appends V as one tsv or csv field. */
static void
format_field(struct buf *b, enum out_format format, const struct value *v)
{
	void	(*esc)(struct buf *, const char *, size_t);

	esc = format == FMT_CSV ? format_csv_escape : format_tsv_escape;
	switch (v->type) {
	case V_STR:
		esc(b, v->u.s, v->n);
		break;
	case V_TUPLE:
	case V_ARR:
	case V_OBJ:
		buf_reset(&format_scratch);
		value_fmt_json(&format_scratch, v);
		esc(b, format_scratch.p, format_scratch.len);
		break;
	default:
		value_fmt_plain(b, v);
		break;
	}
}

/*
 * Appends V as tsv or csv fields: a tuple gives one field per element,
 * anything else one field.  FIRST says whether a separator is due.
 */
static void
format_sep_fields(struct buf *b, enum out_format format, const struct value *v,
    bool first)
{
	char	 sep = format == FMT_CSV ? ',' : '\t';
	uint32_t i;

	if (v->type != V_TUPLE) {
		if (!first)
			buf_addc(b, sep);
		format_field(b, format, v);
		return;
	}
	for (i = 0; i < v->n; i++) {
		if (!first || i > 0)
			buf_addc(b, sep);
		format_field(b, format, &v->u.a[i]);
	}
}

/*
 * Appends D as Java's Double.toString writes it: the shortest digits
 * that read back as D, in plain notation with at least one decimal when
 * 1e-3 <= |d| < 1e7, else as d.dddE<exp>.
 */
static void
format_java_dbl(struct buf *b, double d)
{
	char	 text[40], digits[40];	/* digits: at most all of text */
	int	 prec, exp, nd, i;
	char	*p;

	if (isnan(d)) {
		buf_adds(b, "NaN");
		return;
	}
	if (isinf(d)) {
		buf_adds(b, d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (d == 0) {
		buf_adds(b, signbit(d) ? "-0.0" : "0.0");
		return;
	}
	if (d < 0) {
		buf_addc(b, '-');
		d = -d;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(text, sizeof text, "%.*e", prec - 1, d);
		if (strtod(text, NULL) == d)
			break;
	}
	/* text is "D.DDDDe[+-]XX": collect the digits and the exponent. */
	nd = 0;
	for (p = text; *p != 'e'; p++) {
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	}
	exp = (int)strtol(p + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;

	if (d >= 1e-3 && d < 1e7) {
		if (exp >= 0) {
			for (i = 0; i <= exp; i++)
				buf_addc(b, i < nd ? digits[i] : '0');
			buf_addc(b, '.');
			if (nd > exp + 1)
				buf_add(b, digits + exp + 1, (size_t)(nd - exp - 1));
			else
				buf_addc(b, '0');
		} else {
			buf_adds(b, "0.");
			for (i = 0; i < -exp - 1; i++)
				buf_addc(b, '0');
			buf_add(b, digits, (size_t)nd);
		}
		return;
	}
	buf_addc(b, digits[0]);
	buf_addc(b, '.');
	if (nd > 1)
		buf_add(b, digits + 1, (size_t)(nd - 1));
	else
		buf_addc(b, '0');
	buf_printf(b, "E%d", exp);
}

void
format_spark(struct buf *b, const struct value *v)
{
	uint32_t i;

	switch (v->type) {
	case V_NULL:
		buf_adds(b, "null");
		break;
	case V_BOOL:
		buf_adds(b, v->u.b ? "true" : "false");
		break;
	case V_INT:
		buf_printf(b, "%" PRId64, v->u.i);
		break;
	case V_DBL:
		format_java_dbl(b, v->u.d);
		break;
	case V_STR:
		buf_add(b, v->u.s, v->n);
		break;
	case V_TUPLE:
		buf_addc(b, '(');
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			format_spark(b, &v->u.a[i]);
		}
		buf_addc(b, ')');
		break;
	case V_ARR:
		buf_addc(b, '[');
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				buf_adds(b, ", ");
			format_spark(b, &v->u.a[i]);
		}
		buf_addc(b, ']');
		break;
	default:
		value_fmt_json(b, v);
		break;
	}
}

void
format_delimited(struct buf *b, enum out_format format, const struct value *v,
    int64_t stamp_ms, bool stamp)
{
	if (stamp)
		format_stamp(b, stamp_ms);
	format_sep_fields(b, format, v, !stamp);
}

void
format_json(struct buf *b, const struct value *v, int64_t stamp_ms)
{
	buf_adds(b, "{\"time\":\"");
	format_stamp(b, stamp_ms);
	if (value_is_pair(v)) {
		buf_adds(b, "\",\"key\":");
		value_fmt_json(b, &v->u.a[0]);
		buf_adds(b, ",\"value\":");
		value_fmt_json(b, &v->u.a[1]);
	} else {
		buf_adds(b, "\",\"value\":");
		value_fmt_json(b, v);
	}
	buf_addc(b, '}');
}

void
format_spark_header(struct buf *b, int64_t end_ms)
{
	buf_adds(b, format_dashes);
	buf_printf(b, "Time: %" PRId64 " ms\n", end_ms);
	buf_adds(b, format_dashes);
}

void
format_begin(struct buf *b, enum out_format format, int64_t end_ms)
{
	if (format == FMT_SPARK)
		format_spark_header(b, end_ms);
}

void
format_end(struct buf *b, enum out_format format, bool cut)
{
	if (format != FMT_SPARK)
		return;
	if (cut)
		buf_adds(b, "...\n");
	buf_addc(b, '\n');
}

void
format_free(void)
{
	buf_free(&format_scratch);
}
