/*
 * test_expr.c - the expression language alone: compile, evaluate against
 * a record, compare the plain (or JSON) text of the result; and the
 * messages, carets included, of expressions that do not compile.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/dstream.h"
#include "../../src/expr/expr.h"
#include "unit.h"

static struct arena	arena, jarena;
static struct buf	out;

/*
 * The header of the records evaluated next (as the decoding step gives
 * each record its input's), or none when LINE is NULL.
 */
static void
set_header(const char *line, size_t len)
{
	static struct expr_header	*hdr;

	expr_header_free(hdr);
	hdr = line != NULL ? expr_header_new(line, len) : NULL;
	cur_origin.hdr = hdr;
}

/*
 * Compiles SRC with FLAGS, evaluates it with X as the record (and A, B),
 * and returns its text: plain, or JSON when ASJSON; "error: MSG" for a
 * per-record error and "compile: CAUSE" when it does not compile.
 */
static const char *
run_x(const char *src, int flags, const struct value *x, bool asjson)
{
	struct expr	*e;
	struct expr_ctx	 ctx;
	struct value	 v;
	char		*cause = NULL;

	buf_reset(&out);
	if ((e = expr_compile(src, flags, &cause)) == NULL) {
		buf_printf(&out, "compile: %s", cause);
		free(cause);
		return out.p;
	}
	expr_ctx_init(&ctx, &arena);
	expr_ctx_record(&ctx, x);
	ctx.a = value_int(3);
	ctx.b = value_int(4);
	if (expr_eval(e, &ctx, &v) == -1)
		buf_printf(&out, "error: %s", ctx.err);
	else if (asjson)
		value_fmt_json(&out, &v);
	else
		value_fmt_plain(&out, &v);
	buf_addc(&out, '\0');
	out.len--;
	expr_ctx_free(&ctx);
	expr_free(e);
	arena_reset(&arena);
	return out.p;
}

static const char *
run(const char *src, const char *line)
{
	struct value	 x = value_str(line, strlen(line));

	return run_x(src, EXPR_X, &x, false);
}

static const char *
runj(const char *src, const char *line)
{
	struct value	 x = value_str(line, strlen(line));

	return run_x(src, EXPR_X, &x, true);
}

/* With a JSON record: parsed by json_parse. */
static const char *
onjson(const char *src, const char *json)
{
	struct value	 x;
	const char	*err;

	arena_reset(&jarena);
	if (json_parse(&jarena, json, strlen(json), &x, &err) == -1)
		return "bad test JSON";
	return run_x(src, EXPR_X, &x, true);
}

#define T(src, line, want)	CHECK_STR(run(src, line), want)
#define TJ(src, line, want)	CHECK_STR(runj(src, line), want)
#define TO(src, json, want)	CHECK_STR(onjson(src, json), want)

static void
test_literals(void)
{
	T("42", "", "42");
	T("-42", "", "-42");
	T("1.5", "", "1.5");
	T("1e3", "", "1000");
	T("0.1", "", "0.1");
	T(".5", "", "0.5");
	T("99999999999999999999", "", "1e+20");
	TJ("\"a\\tb\\n\\\"\\\\\\/\"", "", "\"a\\tb\\n\\\"\\\\/\"");
	T("\"\\u00e9\\u20ac\"", "", "é€");
	T("\"\\ud83d\\ude00\"", "", "😀");
	T("\"\\ud83d\"", "", "\xef\xbf\xbd");
	TJ("true", "", "true");
	TJ("false", "", "false");
	TJ("null", "", "null");
	T("null", "", "");
	TJ("[1, \"a\", [true]]", "", "[1,\"a\",[true]]");
	TJ("[]", "", "[]");
	TJ("(1, 2)", "", "[1,2]");
	T("(1, \"a\", 3)", "", "1\ta\t3");
	T("(1)", "", "1");
	TJ("{a: 1, \"b c\": [2]}", "", "{\"a\":1,\"b c\":[2]}");
	TJ("{}", "", "{}");
	T("# a comment\n1 + # another\n 2", "", "3");
}

static void
test_fields(void)
{
	T("$0", "  a b\tc  ", "  a b\tc  ");
	T("$1", "  a b\tc  ", "a");
	T("$3", "  a b\tc  ", "c");
	TJ("$4", "  a b\tc  ", "null");
	T("NF", "  a b\tc  ", "3");
	T("NF", "", "0");
	T("NF", "   ", "0");
	T("$NF", "a b c", "c");
	TJ("$NF", "", "null");
	T("$(1 + 1)", "a b c", "b");
	T("$(-1)", "a b c", "c");
	T("$(0)", "a b c", "a b c");
	TJ("$(9)", "a b c", "null");
	T("$2 .. $1", "a b", "ba");
	T("$1 + $2", "3 4", "7");
	T("$1 * 2", "1.5 x", "3");
	T("$9", "1 2 3 4 5 6 7 8 9 10", "9");
	T("$1 .. NF", "x y", "x2");
	T("$2 .. $1 .. NF .. $3", "a b c d", "ba4c");
	T("x", "a b", "a b");
}


/*
 * The fields of the N-byte LINE split byte by byte on blanks and tabs,
 * the reference the splitters are checked against: their offsets into
 * OFF, their lengths into LEN; returns how many.
 */
static int
split_blanks(const char *line, int n, uint32_t *off, uint32_t *len)
{
	int	 nf, i;

	for (nf = 0, i = 0; i < n;) {
		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == n)
			break;
		off[nf] = (uint32_t)i;
		while (i < n && line[i] != ' ' && line[i] != '\t')
			i++;
		len[nf] = (uint32_t)i - off[nf];
		nf++;
	}
	return nf;
}
/*
 * Splitting on blanks against a plain byte-by-byte split: random lines
 * (blanks and tabs in runs, fields across the splitter's 64-byte
 * blocks), their fields asked for in a random order so that splitting
 * resumes mid-line, and joined with `..` (which may join spans of the
 * text without a copy).
 */
static void
test_fields_random(void)
{
	char		 line[400], want[2048], src[256];
	uint32_t	 off[400], len[400], seed = 12345;
	int		 nf, i, k, q, n, t, f[4];
	size_t		 w;

	for (t = 0; t < 3000; t++) {
		n = (int)((seed = seed * 1103515245 + 12345) >> 8) % 330;
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			k = (int)(seed >> 16) % 10;
			line[i] = k < 2 ? ' ' : k == 2 ? '\t' : (char)('a' + k);
			if ((seed >> 12) % 97 == 0)	/* a long run */
				while (i + 1 < n && (seed >> 20) % 50 != 0) {
					seed = seed * 1103515245 + 12345;
					line[++i] = k < 3 ? ' ' : 'x';
				}
		}
		line[n] = '\0';
		nf = split_blanks(line, n, off, len);
		for (q = 0; q < 4; q++) {
			seed = seed * 1103515245 + 12345;
			f[q] = 1 + (int)(seed >> 10) % (nf + 3);
		}
		snprintf(src, sizeof src, "($%d, $%d .. \" \" .. $%d, $%d, NF)",
		    f[0], f[1], f[2], f[3]);
		w = 0;
		for (q = 0; q < 4; q++) {
			if (q == 2)
				want[w++] = ' ';
			else if (q > 0)
				want[w++] = '\t';
			if (f[q] <= nf) {
				memcpy(want + w, line + off[f[q] - 1],
				    len[f[q] - 1]);
				w += len[f[q] - 1];
			}
		}
		w += (size_t)snprintf(want + w, sizeof want - w, "\t%d", nf);
		want[w] = '\0';
		CHECK_STR(run(src, line), want);
	}
}

/*
 * Lines of 56 to 135 bytes (the fresh two-block split takes 65 to 127,
 * the general sweep the rest) through one context that lasts, as the
 * event-time context does, and a second that takes its fields through
 * the hint and may go further: `ahead` makes the first split past what
 * it asks, the second resumes in the block the first kept.  Every field
 * against a byte-by-byte split.
 */
static void
test_fields_two(void)
{
	char		 line[160], want[1024], src[128], got[1024];
	uint32_t	 off[160], len[160], seed = 777;
	struct expr	*e1, *e2;
	struct expr_ctx	 ctx, ctx2;
	struct value	 x, v;
	char		*cause = NULL;
	int		 nf, i, k, n, t, q, f[5];
	size_t		 w;

	expr_ctx_init(&ctx, &arena);
	expr_ctx_init(&ctx2, &arena);
	for (t = 0; t < 4000; t++) {
		n = 56 + (int)((seed = seed * 1103515245 + 12345) >> 8) % 80;
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			k = (int)(seed >> 16) % (t % 3 == 0 ? 30 : 8);
			line[i] = k < 2 ? ' ' : k == 2 ? '\t' : (char)('a' + k);
		}
		line[n] = '\0';
		nf = split_blanks(line, n, off, len);
		for (q = 0; q < 5; q++) {
			seed = seed * 1103515245 + 12345;
			f[q] = 1 + (int)(seed >> 10) % (nf + 3);
		}
		/* The first context: a span (the event time's shape) or one
		 * field; the second: two more fields and NF. */
		if (t % 2 == 0)
			snprintf(src, sizeof src, "$%d .. \" \" .. $%d", f[0],
			    f[1]);
		else
			snprintf(src, sizeof src, "$%d", f[0]);
		e1 = expr_compile(src, EXPR_X, &cause);
		snprintf(src, sizeof src, "($%d, $%d, NF)", f[2], f[3]);
		e2 = expr_compile(src, EXPR_X, &cause);
		CHECK(e1 != NULL && e2 != NULL);
		x = value_str(line, (size_t)n);
		expr_ctx_record(&ctx, &x);
		CHECK(expr_eval(e1, &ctx, &v) == 0);
		w = 0;
		for (q = 0; q < (t % 2 == 0 ? 2 : 1); q++) {
			if (q == 1)
				want[w++] = ' ';
			if (f[q] <= nf) {
				memcpy(want + w, line + off[f[q] - 1],
				    len[f[q] - 1]);
				w += len[f[q] - 1];
			}
		}
		want[w] = '\0';
		buf_reset(&out);
		value_fmt_plain(&out, &v);
		snprintf(got, sizeof got, "%.*s", (int)out.len, out.p);
		CHECK_STR(got, want);
		expr_fields_hint(&ctx);
		expr_ctx_record(&ctx2, &x);
		expr_fields_hint(NULL);
		CHECK(expr_eval(e2, &ctx2, &v) == 0);
		w = 0;
		for (q = 2; q < 4; q++) {
			if (f[q] <= nf) {
				memcpy(want + w, line + off[f[q] - 1],
				    len[f[q] - 1]);
				w += len[f[q] - 1];
			}
			want[w++] = '\t';
		}
		w += (size_t)snprintf(want + w, sizeof want - w, "%d", nf);
		buf_reset(&out);
		value_fmt_plain(&out, &v);
		snprintf(got, sizeof got, "%.*s", (int)out.len, out.p);
		CHECK_STR(got, want);
		expr_free(e1);
		expr_free(e2);
		arena_reset(&arena);
	}
	expr_ctx_free(&ctx);
	expr_ctx_free(&ctx2);
}

/*
 * One context over many records, as an operator has it: each splits as
 * far as the record before needed (and a context taking the first one's
 * fields through expr_fields_hint raises that), which must never change
 * what a field is.
 */
static void
test_fields_reuse(void)
{
	static const char *srcs[] = { "$2", "$9", "($1, NF)", "$12 .. $3" };
	static const char *lines[] = {
		"a b c d e f g h i j k l m",
		"  x\ty",
		"",
		"1 2 3 4 5 6 7 8 9",
		"p q r s t u v w x y z aa bb cc",
	};
	static const char *want[4][5] = {
		{ "b", "y", "", "2", "q" },
		{ "i", "", "", "9", "x" },
		{ "a\t13", "x\t2", "\t0", "1\t9", "p\t14" },
		{ "lc", "", "", "3", "bbr" },
	};
	struct expr	*e[4], *first;
	struct expr_ctx	 ctx, ctx2;
	struct value	 x, v;
	char		*cause = NULL;
	int		 i, k, j;

	first = expr_compile("$1", EXPR_X, &cause);
	for (k = 0; k < 4; k++)
		e[k] = expr_compile(srcs[k], EXPR_X, &cause);
	expr_ctx_init(&ctx, &arena);
	expr_ctx_init(&ctx2, &arena);
	for (i = 0; i < 200; i++) {
		j = (i * 7) % 5;
		k = (i * 3 + i / 5) % 4;
		x = value_str(lines[j], strlen(lines[j]));
		expr_ctx_record(&ctx, &x);
		if (i % 2 == 0) {
			/* Alone. */
			CHECK(expr_eval(e[k], &ctx, &v) == 0);
		} else {
			/* After the first context, taking its fields. */
			CHECK(expr_eval(first, &ctx, &v) == 0);
			expr_fields_hint(&ctx);
			expr_ctx_record(&ctx2, &x);
			expr_fields_hint(NULL);
			CHECK(expr_eval(e[k], &ctx2, &v) == 0);
		}
		buf_reset(&out);
		value_fmt_plain(&out, &v);
		buf_addc(&out, '\0');
		CHECK_STR(out.p, want[k][j]);
		arena_reset(&arena);
	}
	expr_ctx_free(&ctx);
	expr_ctx_free(&ctx2);
	expr_free(first);
	for (k = 0; k < 4; k++)
		expr_free(e[k]);
}

/* Integers print as printf's %lld does: every length, both signs, the ends. */
static void
test_int_text(void)
{
	char		 want[32];
	struct value	 v;
	uint64_t	 seed = 99, p;
	int64_t		 i;
	int		 k, bad = 0;

	for (k = 0; k < 20000; k++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		i = (int64_t)(seed >> (seed % 64));
		if (k % 3 == 0)
			i = -i;
		if (k < 4)
			i = k < 2 ? INT64_MAX - k : INT64_MIN + (k - 2);
		v = value_int(i);
		buf_reset(&out);
		value_fmt_plain(&out, &v);
		snprintf(want, sizeof want, "%lld", (long long)i);
		if (strcmp(out.p, want) != 0)
			bad++;
	}
	for (p = 1; p <= UINT64_C(1000000000000000000); p *= 10)
		for (k = -1; k <= 1; k++) {
			v = value_int((int64_t)p + k);
			buf_reset(&out);
			value_fmt_plain(&out, &v);
			snprintf(want, sizeof want, "%lld", (long long)p + k);
			if (strcmp(out.p, want) != 0)
				bad++;
		}
	CHECK(bad == 0);
}

static void
test_delims(void)
{
	expr_set_fields(",", false);
	T("$2", "a,,c", "");
	T("NF", "a,,c", "3");
	T("NF", "a,", "2");
	T("NF", "", "0");
	T("$3", "a,,c", "c");
	TJ("$4", "a,,c", "null");
	T("$NF", "a,b,", "");
	expr_set_fields("\\t", false);
	T("$2", "a b\tc d", "c d");
	expr_set_fields("::", false);
	T("$2 .. NF", "a::b::c", "b3");
	T("$3", "a::b::", "");
	expr_set_fields(NULL, true);
	T("$2", "a,\"b,c\",d", "b,c");
	T("$2", "a,\"say \"\"hi\"\"\",d", "say \"hi\"");
	T("$3", "a,\"b,c\",d", "d");
	T("NF", "a,\"b,c\",d", "3");
	T("NF", "a,,", "3");
	T("$1", "\"unterminated,x", "unterminated,x");
	TJ("$2", "\"\"", "null");
	set_header("name,age", 8);
	T("$age + 1", "bob,41", "42");
	T("$name", "\"Doe, J\",41", "Doe, J");
	CHECK(strncmp(run("$nope", "a,b"), "error: '$nope': no such column",
	    30) == 0);
	T("$(\"age\")", "bob,41", "41");
	expr_set_fields(NULL, false);
	set_header("x y", 3);
	T("$y", "1 2", "2");
}

static void
test_arith(void)
{
	T("1 + 2 * 3", "", "7");
	T("(1 + 2) * 3", "", "9");
	T("7 / 2", "", "3.5");
	T("6 / 2", "", "3");
	TJ("6 / 2", "", "3");
	T("7 % 3", "", "1");
	T("-7 % 3", "", "-1");
	T("7.5 % 2", "", "1.5");
	T("2 - 3 - 4", "", "-5");
	T("9223372036854775807 + 1", "", "9.223372036854776e+18");
	T("-9223372036854775807 - 2", "", "-9.223372036854776e+18");
	T("4611686018427387904 * 4", "", "1.8446744073709552e+19");
	T("1e308 * 10", "", "inf");
	T("-1e308 * 10", "", "-inf");
	TJ("1e308 * 10", "", "null");
	T("1e308 * 10 - 1e308 * 10", "", "nan");
	T("\" 42 \" + 1", "", "43");
	T("\"1e3\" * 1", "", "1000");
	T("true + 1", "", "2");
	T("- \"3\"", "", "-3");
	T("--3", "", "3");
	T("-(-9223372036854775807 - 1)", "", "9.223372036854776e+18");
	CHECK_STR(run("1 / 0", ""), "error: '/': division by zero");
	CHECK_STR(run("1 % 0", ""), "error: '%': division by zero");
	CHECK_STR(run("1.5 / 0.0", ""), "error: '/': division by zero");
	CHECK_STR(run("$1 / $2", "1 0"), "error: '/': division by zero");
	CHECK_STR(run("\"abc\" + 1", ""), "error: '+': not a number: \"abc\"");
	CHECK_STR(run("$1 + 1", "abc"), "error: '+': not a number: \"abc\"");
	CHECK_STR(run("null * 2", ""), "error: '*': not a number: null");
	CHECK_STR(run("[1] - 1", ""), "error: '-': not a number: [1]");
	CHECK_STR(run("-\"x\"", ""), "error: '-': not a number: \"x\"");
	CHECK_STR(run("$1 + 1", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""),
	    "error: '+': not a number: \"\\\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...");
	CHECK_STR(run("-9223372036854775807 - 1", ""), "-9223372036854775808");
	T("(-9223372036854775807 - 1) / -1", "", "9.223372036854776e+18");
	T("(-9223372036854775807 - 1) % -1", "", "0");
}

static void
test_concat_compare(void)
{
	T("\"a\" .. 1 .. 2.5 .. null .. true", "", "a12.5true");
	T("1 .. 2", "", "12");
	T("0.1 + 0.2 .. \"\"", "", "0.30000000000000004");
	T("[1] .. \"x\"", "", "[1]x");
	TJ("1 < 2", "", "true");
	TJ("\"10\" < \"9\"", "", "true");
	TJ("$1 < $2", "10 9", "false");
	TJ("$1 == 10", "10.0", "true");
	TJ("$1 == \"10\"", "10.0", "false");
	TJ("$1 == \"10\"", "10", "true");
	TJ("$1 > 100", "abc", "true");
	TJ("10 == \"10\"", "", "true");
	TJ("$1 == $2", "1e3 1000", "true");
	TJ("\"abc\" < \"abd\"", "", "true");
	TJ("null == null", "", "true");
	TJ("null == 0", "", "false");
	TJ("[1, 2] == [1, 2]", "", "true");
	TJ("[1, 2] != [1, 3]", "", "true");
	TJ("1 == 1.0", "", "true");
	TJ("(1e308*10 - 1e308*10) == (1e308*10 - 1e308*10)", "", "false");
	TJ("(1e308*10 - 1e308*10) != 1", "", "true");
	TJ("(1e308*10 - 1e308*10) < 1", "", "false");
	TJ("1 <= 1 && 2 >= 1", "", "true");
	TJ("$1 ~ /^a.c$/", "abc d", "true");
	TJ("$0 ~ /B/i", "abc", "true");
	TJ("$0 !~ /B/", "abc", "true");
	TJ("$0 ~ \"b+\"", "abbc", "true");
	TJ("$0 ~ $2", "abc b", "true");
	TJ("/b/", "abc", "true");
	TJ("/x/", "abc", "false");
	TJ("/a\\/b/", "a/b", "true");
	TJ("/[/]/", "a/b", "true");
	TJ("/^.$/", "é", "true");
	TJ("/É/i", "é", "true");
	TJ("/a/ && /c/", "abc", "true");
	TJ("/\\d+/", "\xff\xfe 12", "true");
	CHECK(strncmp(run("$0 ~ \"(\"", "x"), "error: '~': bad regex", 21) == 0);
}

static void
test_logic(void)
{
	TJ("1 && \"\"", "", "false");
	TJ("0 || \"a\"", "", "true");
	TJ("!0", "", "true");
	TJ("!\"x\"", "", "false");
	TJ("null ?? 5", "", "5");
	TJ("0 ?? 5", "", "0");
	TJ("$3 ?? \"none\"", "a b", "\"none\"");
	TJ("1 ? 2 : 3", "", "2");
	TJ("$1 ? \"y\" : \"n\"", "0", "\"y\"");
	TJ("$1 > 5 ? \"big\" : $1 > 2 ? \"mid\" : \"small\"", "3", "\"mid\"");
	TJ("0 ? 1 : 2 ? 3 : 4", "", "3");
	TJ("false && 1 / 0", "", "false");
	TJ("true || 1 / 0", "", "true");
	TJ("1 ?? 1 / 0", "", "1");
	/* precedence: ?? below ||, .. below +, comparison below .. */
	TJ("null ?? 0 || 1", "", "true");
	TJ("1 + 2 .. 3", "", "\"33\"");
	TJ("\"ab\" == \"a\" .. \"b\"", "", "true");
	TJ("-2 * 3", "", "-6");
	TJ("!1 == false", "", "true");
}

static void
test_members(void)
{
	TO(".a", "{\"a\": 1}", "1");
	TO(".a.b[0]", "{\"a\": {\"b\": [7, 8]}}", "7");
	TO(".a.b[-1]", "{\"a\": {\"b\": [7, 8]}}", "8");
	TO(".a.b[2]", "{\"a\": {\"b\": [7, 8]}}", "null");
	TO(".a.b[-3]", "{\"a\": {\"b\": [7, 8]}}", "null");
	TO(".[\"odd key\"]", "{\"odd key\": true}", "true");
	TO(".\"odd key\"", "{\"odd key\": true}", "true");
	TO("x.a", "{\"a\": \"s\"}", "\"s\"");
	TO("x[\"a\"]", "{\"a\": \"s\"}", "\"s\"");
	TO(".", "{\"a\":1}", "{\"a\":1}");
	TO(".[1]", "[1, 2]", "2");
	TO("x[0]", "[1, 2]", "1");
	TO(".missing", "{\"a\": 1}", "null");
	TO(".missing.deeper[3]", "{\"a\": 1}", "null");
	TO(".a[\"1\"]", "{\"a\": [5, 6]}", "6");
	TO("(1, 2)[1]", "null", "2");
	TO("[1, 2, 3][-1]", "null", "3");
	TO("{a: {b: 2}}.a.b", "null", "2");
	TO(".a + .b", "{\"a\": 1, \"b\": \"2\"}", "3");
	TO("$0", "{\"a\": [1, 2]}", "\"{\\\"a\\\":[1,2]}\"");
	TO("$1", "{\"a\": 1, \"b\": 2}", "\"{\\\"a\\\":1,\\\"b\\\":2}\"");
	TO("x.a", "[1]", "error: '.a': not an object: [1]");
	TO(".a[0]", "{\"a\": 5}", "error: '[]': cannot index a number: 5");
	TO(".a[0.5]", "{\"a\": [5]}", "error: '[]': not an integer index: 0.5");
	TO(".a.b", "{\"a\": \"s\"}", "error: '.b': not an object: \"s\"");
	TO(".[0]", "{\"a\": 1}", "error: '[]': an object's key must be a string: 0");
}

static void
test_pairs_ab(void)
{
	struct value	 x;
	struct arena	 a;

	arena_init(&a);
	x = value_pair(&a, value_str("k", 1), value_int(5));
	CHECK_STR(run_x("key", EXPR_X, &x, true), "\"k\"");
	CHECK_STR(run_x("value + 1", EXPR_X, &x, true), "6");
	CHECK_STR(run_x("x[0] .. x[1]", EXPR_X, &x, true), "\"k5\"");
	CHECK_STR(run_x("(key, value * 2)", EXPR_X, &x, false), "k\t10");
	x = value_int(1);
	CHECK_STR(run_x("key", EXPR_X, &x, true), "error: 'key': not a pair: 1");
	CHECK_STR(run_x("a + b", EXPR_AB, &x, true), "7");
	CHECK_STR(run_x("max(a, b)", EXPR_AB, &x, true), "4");
	CHECK_STR(run_x("a", EXPR_X, &x, true),
	    "compile: 'a' is only defined in reduce functions\n  a\n  ^");
	CHECK_STR(run_x("state", EXPR_X, &x, true),
	    "compile: 'state' is only defined in updateStateByKey\n  state\n  ^");
	CHECK_STR(run_x("a + $1", EXPR_AB, &x, true),
	    "compile: '$1' is not defined here (reduce functions see a and b)"
	    "\n  a + $1\n      ^");
	CHECK_STR(run_x("/x/", EXPR_AB, &x, true),
	    "compile: a bare /regex/ matches $0, which is not defined here"
	    "\n  /x/\n  ^");
	CHECK_STR(run_x("split(a, /,/)", EXPR_AB, &x, true), "[\"3\"]");
	CHECK_STR(run_x("split([a], /,/)", EXPR_AB, &x, true),
	    "error: split: not a string: [3]");
	arena_free(&a);
}

static void
test_strings(void)
{
	T("len(\"héllo\")", "", "5");
	T("len(\"\")", "", "0");
	T("len(null)", "", "0");
	T("len([1, 2])", "", "2");
	T("len({a: 1})", "", "1");
	T("len(12345)", "", "5");
	T("len($1)", "\xff\xfe\xfd", "3");
	T("len(\"😀\")", "", "1");
	CHECK_STR(run("len(true)", ""), "error: len: not a string or collection: true");
	T("lower(\"ÀBC\")", "", "àbc");
	T("upper(\"straße é\")", "", "STRAßE É");
	T("upper(\"abc\")", "", "ABC");
	TJ("lower(null)", "", "null");
	T("trim(\"  a b \\t\")", "", "a b");
	T("trim(\"\")", "", "");
	T("substr(\"hello\", 1)", "", "ello");
	T("substr(\"hello\", 1, 3)", "", "ell");
	T("substr(\"hello\", -3)", "", "llo");
	T("substr(\"hello\", -3, 2)", "", "ll");
	T("substr(\"hello\", 10)", "", "");
	T("substr(\"hello\", -10, 2)", "", "he");
	T("substr(\"hello\", 2, -1)", "", "");
	T("substr(\"héllo\", 1, 2)", "", "él");
	T("substr(\"日本語\", -1)", "", "語");
	T("substr(12345, 1, 2)", "", "23");
	TJ("substr(null, 1)", "", "null");
	CHECK_STR(run("substr({a: 1}, 1)", ""), "error: substr: not a string: {\"a\":1}");
	CHECK_STR(run("substr(\"x\", \"y\")", ""), "error: substr: not a number: \"y\"");
	TJ("split(\"a,b,,c\", \",\")", "", "[\"a\",\"b\",\"\",\"c\"]");
	TJ("split(\"a1b22c\", /\\d+/)", "", "[\"a\",\"b\",\"c\"]");
	TJ("split(\"abc\", \"\")", "", "[\"a\",\"b\",\"c\"]");
	TJ("split(\"héé\", \"\")", "", "[\"h\",\"é\",\"é\"]");
	TJ("split(\"abc\", /x*/)", "", "[\"a\",\"b\",\"c\"]");
	TJ("split(\"\", \",\")", "", "[]");
	TJ("split(\",\", \",\")", "", "[\"\",\"\"]");
	TJ("split($0, \" \")[1]", "a b c", "\"b\"");
	TJ("split(null, \",\")", "", "null");
	TJ("split(\"a.b\", \".\")", "", "[\"a\",\"b\"]");
	T("join([1, \"a\", null, [2]], \"-\")", "", "1-a--[2]");
	T("join([], \",\")", "", "");
	T("join(split(\"a b c\", \" \"))", "", "abc");
	CHECK_STR(run("join(\"ab\", \",\")", ""), "error: join: not an array: \"ab\"");
	T("replace(\"a.b.c\", \".\", \"-\")", "", "a-b-c");
	T("replace(\"aaa\", \"a\", \"bb\")", "", "bbbbbb");
	T("replace(\"abc\", \"\", \"x\")", "", "abc");
	T("replace(\"a1b22\", /\\d+/, \"<$0>\")", "", "a<1>b<22>");
	T("replace(\"john smith\", /(\\w+) (\\w+)/, \"$2, $1 $$\")", "", "smith, john $");
	T("replace(\"abc\", /x*/, \"-\")", "", "-a-b-c-");
	T("replace(\"héllo\", /l/, \"L\")", "", "héLLo");
	T("replace(\"abc\", /b/, null)", "", "ac");
	TJ("match(\"ab12cd\", /(\\d)(\\d)/)", "", "[\"12\",\"1\",\"2\"]");
	TJ("match(\"abc\", /(x)?b/)", "", "[\"b\",null]");
	TJ("match(\"abc\", /\\d/)", "", "null");
	TJ("match(\"abc\", \"b.\")", "", "[\"bc\"]");
	TJ("match($1, $2)", "aXb X", "[\"X\"]");
	TJ("contains(\"hello\", \"ell\")", "", "true");
	TJ("contains(\"hello\", \"\")", "", "true");
	TJ("contains(\"hello\", \"xyz\")", "", "false");
	TJ("contains([1, \"a\"], \"a\")", "", "true");
	TJ("contains(null, \"a\")", "", "false");
	TJ("startswith(\"hello\", \"he\")", "", "true");
	TJ("startswith(\"he\", \"hello\")", "", "false");
	TJ("endswith(\"hello\", \"llo\")", "", "true");
	TJ("endswith(\"hello\", \"\")", "", "true");
	TJ("endswith(null, \"x\")", "", "false");
}

static void
test_numbers(void)
{
	TJ("num(\"42\")", "", "42");
	TJ("num(\" 4.5 \")", "", "4.5");
	TJ("num(\"abc\")", "", "null");
	TJ("num(null)", "", "null");
	TJ("num([1])", "", "null");
	TJ("int(3.7)", "", "3");
	TJ("int(-3.7)", "", "-3");
	TJ("int(\"12.9\")", "", "12");
	TJ("int(1e300)", "", "1e+300");
	TJ("int(null)", "", "null");
	CHECK_STR(run("int(\"abc\")", ""), "error: int: not a number: \"abc\"");
	TJ("round(2.5)", "", "3");
	TJ("round(-2.5)", "", "-3");
	TJ("round(3.14159, 2)", "", "3.14");
	TJ("round(1234, -2)", "", "1200");
	TJ("floor(-1.5)", "", "-2");
	TJ("ceil(1.2)", "", "2");
	TJ("ceil(5)", "", "5");
	TJ("abs(-3)", "", "3");
	TJ("abs(-2.5)", "", "2.5");
	TJ("abs(\"-7\")", "", "7");
	TJ("abs(-9223372036854775807 - 1)", "", "9.223372036854776e+18");
	CHECK_STR(run("abs(\"abc\")", ""), "error: abs: not a number: \"abc\"");
	T("abs(1e308 * 10 - 1e308 * 10)", "", "nan");
	TJ("min(3, 1, 2)", "", "1");
	TJ("max(3, 1, 2)", "", "3");
	TJ("min([3, 1, 2])", "", "1");
	TJ("max([])", "", "null");
	TJ("min(null, 5, null)", "", "5");
	TJ("max(\"10\", \"9\")", "", "\"10\"");
	TJ("max(\"b\", \"a\")", "", "\"b\"");
	TJ("min(7)", "", "7");
	TJ("sum(1, 2, 3.5)", "", "6.5");
	TJ("sum([1, 2, null, \"3\"])", "", "6");
	TJ("sum([])", "", "0");
	TJ("sum(9223372036854775807, 1)", "", "9.223372036854776e+18");
	CHECK_STR(run("sum(1, \"x\")", ""), "error: sum: not a number: \"x\"");
	TJ("avg(1, 2, 3)", "", "2");
	TJ("avg([1, 2])", "", "1.5");
	TJ("avg([])", "", "null");
}

static void
test_structure(void)
{
	TJ("tojson([1, \"a\", {b: null}])", "", "\"[1,\\\"a\\\",{\\\"b\\\":null}]\"");
	TJ("tojson(\"x\")", "", "\"\\\"x\\\"\"");
	TJ("has({a: 1}, \"a\")", "", "true");
	TJ("has({a: 1}, \"b\")", "", "false");
	TJ("has([1, 2], 1)", "", "true");
	TJ("has([1, 2], 2)", "", "false");
	TJ("has([1, 2], -2)", "", "true");
	TJ("has(null, \"a\")", "", "false");
	CHECK_STR(run("has(1, \"a\")", ""), "error: has: not an object or array: 1");
	TJ("keys({b: 1, a: 2, c: 3})", "", "[\"a\",\"b\",\"c\"]");
	TJ("keys([5, 6])", "", "[0,1]");
	TJ("keys({})", "", "[]");
	TJ("type(1)", "", "\"number\"");
	TJ("type(1.5)", "", "\"number\"");
	TJ("type(\"\")", "", "\"string\"");
	TJ("type(null)", "", "\"null\"");
	TJ("type(true)", "", "\"boolean\"");
	TJ("type([])", "", "\"array\"");
	TJ("type((1, 2))", "", "\"tuple\"");
	TJ("type({})", "", "\"object\"");
	TJ("coalesce(null, $5, 3, 1 / 0)", "a", "3");
	TJ("coalesce(null, null)", "", "null");
}

static void
test_external(void)
{
	/* Builtins that call the JSON, time, CLF and sprintf modules. */
	TJ("json(\"{\\\"a\\\": [1, 2.5]}\")", "", "{\"a\":[1,2.5]}");
	TJ("json($0).a", "{\"a\": 7}", "7");
	TJ("json(null)", "", "null");
	CHECK(strncmp(run("json(\"{\")", ""), "error: json: ", 13) == 0);
	TJ("time(\"2025-11-21T00:00:00Z\")", "", "1763683200");
	TJ("time(\"2025-11-21T00:00:00.5Z\")", "", "1763683200.5");
	TJ("time(\"21/Nov/2025:00:00:00 +0000\")", "", "1763683200");
	TJ("time(1763683200)", "", "1763683200");
	TJ("time(\"garbage\")", "", "null");
	TJ("time(null)", "", "null");
	TJ("strptime(\"2025-11-21 01:02:03\", \"%Y-%m-%d %H:%M:%S\")", "",
	    "1763686923");
	TJ("strptime(\"nope\", \"%Y\")", "", "null");
	T("strftime(1763683200)", "", "2025-11-21T00:00:00Z");
	T("strftime(1763683200, \"%Y/%m/%d %H\")", "", "2025/11/21 00");
	T("strftime(\"1763683200\", \"%Y\")", "", "2025");
	CHECK_STR(run("strftime(\"x\")", ""), "error: strftime: not a number: \"x\"");
	TJ("now() > 1700000000", "", "true");
	TJ("type(now())", "", "\"number\"");
	T("sprintf(\"%05.1f|%s|%d|%x\", 3.14159, \"a\", 42, 255)", "", "003.1|a|42|ff");
	T("sprintf(\"%s-%s\", $1, $2)", "a b", "a-b");
	T("sprintf(\"100%%\")", "", "100%");
	TJ("clf($0).status", "127.0.0.1 - - [21/Nov/2025:00:00:00 +0000] "
	    "\"GET /x HTTP/1.1\" 200 512 \"-\" \"curl/8\"", "200");
	TJ("clf($0).path", "127.0.0.1 - - [21/Nov/2025:00:00:00 +0000] "
	    "\"GET /x HTTP/1.1\" 200 - \"-\" \"curl/8\"", "\"/x\"");
	TJ("clf(\"not a log line\")", "", "null");
	TJ("clf(null)", "", "null");
}

/* Compile errors: the exact message, source line and caret. */
#define TE(src, want)	CHECK_STR(run(src, ""), "compile: " want)

static void
test_errors(void)
{
	TE("len($1", "syntax error: expected ')' after arguments\n"
	    "  len($1\n        ^");
	TE("len($1 $2)", "syntax error: expected ')' after arguments, found '$2'\n"
	    "  len($1 $2)\n         ^");
	TE("1 +", "syntax error: expected an expression\n  1 +\n     ^");
	TE("", "syntax error: expected an expression\n  \n  ^");
	TE("(1, 2", "syntax error: expected ',' or ')' in the tuple\n"
	    "  (1, 2\n       ^");
	TE("[1 2]", "syntax error: expected ',' or ']' in the array, found '2'\n"
	    "  [1 2]\n     ^");
	TE("1 2", "syntax error: expected an operator or the end of the "
	    "expression, found '2'\n  1 2\n    ^");
	TE("foo(1)", "unknown function 'foo'\n  foo(1)\n  ^");
	TE("1 + foo", "unknown name 'foo'\n  1 + foo\n      ^");
	TE("len", "'len' is a function: write len(...)\n  len\n  ^");
	TE("len(1, 2)", "'len' takes 1 argument, not 2\n  len(1, 2)\n  ^");
	TE("substr(\"a\")", "'substr' takes 2 or 3 arguments, not 1\n"
	    "  substr(\"a\")\n  ^");
	TE("min()", "'min' takes at least 1 argument, not 0\n  min()\n  ^");
	TE("\"abc", "syntax error: unterminated string\n  \"abc\n  ^");
	TE("\"a\\qb\"", "syntax error: unknown escape in string (use \\\" \\\\ "
	    "\\/ \\b \\f \\n \\r \\t \\uXXXX)\n  \"a\\qb\"\n    ^");
	TE("\"\\u12\"", "syntax error: expected 4 hex digits after \\u\n"
	    "  \"\\u12\"\n   ^");
	TE("/abc", "syntax error: unterminated regex\n  /abc\n  ^");
	TE("/a(/", "bad regex: missing closing parenthesis\n  /a(/\n     ^");
	TE("/a/q", "syntax error: unknown regex flag (use i, m, s or x)\n"
	    "  /a/q\n     ^");
	TE("$1 = 2", "syntax error: use '==' to compare\n  $1 = 2\n     ^");
	TE("1 & 2", "syntax error: use '&&' for and\n  1 & 2\n    ^");
	TE("1 | 2", "syntax error: use '||' for or\n  1 | 2\n    ^");
	TE("$", "syntax error: expected a field number, NF, a name or '(' "
	    "after '$'\n  $\n  ^");
	TE("1 ? 2", "syntax error: expected ':' in 'c ? a : b'\n  1 ? 2\n       ^");
	TE("x.", "syntax error: expected a name, a string or '[' after '.'\n"
	    "  x.\n    ^");
	TE("12abc", "syntax error: bad number\n  12abc\n    ^");
	TE("1 @ 2", "syntax error: unexpected character\n  1 @ 2\n    ^");
	TE("{a 1}", "syntax error: expected ':' after the member name, found "
	    "'1'\n  {a 1}\n     ^");
	TE("\"é\" + (", "syntax error: expected an expression\n  \"é\" + (\n         ^");
	TE("\tlen(", "syntax error: expected an expression\n  \tlen(\n  \t    ^");
	TE("1 +\n2 +\n", "syntax error: expected an expression\n  \n  ^");
	TE("1 +\n2 + )", "syntax error: expected an expression, found ')'\n"
	    "  2 + )\n      ^");
	/* Very deep nesting is refused, not a stack overflow. */
	{
		char	 deep[2100];

		memset(deep, '(', 1000);
		strcpy(deep + 1000, "1");
		memset(deep + 1001, ')', 1000);
		deep[2001] = '\0';
		CHECK(strncmp(run(deep, ""), "compile: expression nested too "
		    "deeply", 37) == 0);
		memset(deep, '-', 2000);
		strcpy(deep + 2000, "1");
		CHECK(strncmp(run(deep, ""), "compile: expression nested too "
		    "deeply", 37) == 0);
	}
	{
		struct buf	 b = BUF_INIT;
		int		 i;

		buf_adds(&b, "$1");
		for (i = 0; i < 1200; i++)
			buf_adds(&b, "+$1");
		CHECK(strncmp(run(b.p, "1"), "compile: expression nested too "
		    "deeply", 37) == 0);
		buf_reset(&b);
		buf_adds(&b, "1");
		for (i = 0; i < 5000; i++)
			buf_adds(&b, "+1");
		T(b.p, "", "5001");
		buf_free(&b);
	}
}

static void
test_meta(void)
{
	struct expr	*e;
	char		*cause;

	e = expr_compile("$3 .. $1", EXPR_X, &cause);
	CHECK(e != NULL && expr_max_field(e) == 3 && !expr_uses_members(e));
	CHECK_STR(expr_source(e), "$3 .. $1");
	expr_free(e);
	e = expr_compile("$NF", EXPR_X, &cause);
	CHECK(e != NULL && expr_max_field(e) == INT32_MAX);
	expr_free(e);
	e = expr_compile("NF > 2", EXPR_X, &cause);
	CHECK(e != NULL && expr_max_field(e) == INT32_MAX);
	expr_free(e);
	e = expr_compile("$0 ~ /x/", EXPR_X, &cause);
	CHECK(e != NULL && expr_max_field(e) == 0 && !expr_uses_members(e));
	expr_free(e);
	e = expr_compile(".event", EXPR_X, &cause);
	CHECK(e != NULL && expr_max_field(e) == 0 && expr_uses_members(e));
	expr_free(e);
	e = expr_compile("key", EXPR_X, &cause);
	CHECK(e != NULL && expr_uses_members(e));
	expr_free(e);
}

/* One context over many records: the field cache must follow the record. */
static void
test_reuse(void)
{
	struct expr	*e;
	struct expr_ctx	 ctx;
	struct value	 x, v;
	char		*cause, line[64];
	int		 i, bad = 0;

	e = expr_compile("$2 .. \":\" .. NF", EXPR_X, &cause);
	expr_ctx_init(&ctx, &arena);
	for (i = 0; i < 1000; i++) {
		int	 n = snprintf(line, sizeof line, "a%d b%d%s", i, i,
		    i % 3 ? " c" : "");
		char	 want[64];

		x = value_str(line, (size_t)n);
		expr_ctx_record(&ctx, &x);
		snprintf(want, sizeof want, "b%d:%d", i, i % 3 ? 3 : 2);
		if (expr_eval(e, &ctx, &v) == -1 || v.type != V_STR ||
		    v.n != strlen(want) || memcmp(v.u.s, want, v.n) != 0)
			bad++;
		arena_reset(&arena);
	}
	CHECK(bad == 0);
	expr_ctx_free(&ctx);
	expr_free(e);
}

int
main(void)
{
	arena_init(&arena);
	arena_init(&jarena);
	test_literals();
	test_fields();
	test_fields_random();
	test_fields_two();
	test_fields_reuse();
	test_int_text();
	test_delims();
	test_arith();
	test_concat_compare();
	test_logic();
	test_members();
	test_pairs_ab();
	test_strings();
	test_numbers();
	test_structure();
	test_external();
	test_errors();
	test_meta();
	test_reuse();
	expr_set_fields(NULL, false);
	set_header(NULL, 0);
	buf_free(&out);
	arena_free(&arena);
	arena_free(&jarena);
	return unit_done("expr");
}
