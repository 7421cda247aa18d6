/*
 * test_json.c - json_parse against jansson (the reference reader) on
 * fixed documents, on many generated ones and on corrupted copies of
 * them; then fmt_sprintf, the other text-building piece of the builtins.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../src/dstream.h"
#include "../../src/expr/expr.h"
#include "json_same.h"
#include "unit.h"

static uint64_t	 rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11) % n;
}


static void
gen_ws(struct buf *b)
{
	static const char ws[] = " \t\n\r";

	while (rnd(4) == 0)
		buf_addc(b, ws[rnd(4)]);
}

static void
gen_string(struct buf *b)
{
	static const char *const pieces[] = {
		"a", "hello", " ", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n",
		"\\r", "\\t", "\\u0041", "\\u00e9", "\\u20AC", "\\ud83d\\ude00",
		"\\u0000", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "0",
		"{", "}", "[", "]", ",", ":", "key", "\\u001f", "\x7f"
	};
	int		 n = (int)rnd(6), i;

	buf_addc(b, '"');
	for (i = 0; i < n; i++)
		buf_adds(b, pieces[rnd(sizeof pieces / sizeof pieces[0])]);
	buf_addc(b, '"');
}

static void
gen_number(struct buf *b)
{
	static const char *const nums[] = {
		"0", "-0", "1", "-1", "42", "9223372036854775807",
		"-9223372036854775808", "0.5", "-0.25", "1e3", "1E-3", "2.5e+10",
		"123456789.123456789", "1.7976931348623157e308", "5e-324",
		"0.1", "100", "3.0"
	};

	if (rnd(2))
		buf_adds(b, nums[rnd(sizeof nums / sizeof nums[0])]);
	else
		buf_printf(b, "%d", (int)rnd(2000000) - 1000000);
}

static void
gen_value(struct buf *b, int depth)
{
	int		 n, i;

	gen_ws(b);
	switch (rnd(depth > 6 ? 5 : 8)) {
	case 0:
		buf_adds(b, rnd(3) == 0 ? "null" : rnd(2) ? "true" : "false");
		break;
	case 1:
	case 2:
		gen_number(b);
		break;
	case 3:
	case 4:
		gen_string(b);
		break;
	case 5:
	case 6:
		buf_addc(b, '[');
		n = (int)rnd(5);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			gen_value(b, depth + 1);
		}
		gen_ws(b);
		buf_addc(b, ']');
		break;
	default:
		buf_addc(b, '{');
		n = (int)rnd(5);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			gen_ws(b);
			buf_printf(b, "\"k%d%s\"", i, rnd(4) ? "" : "\\n");
			gen_ws(b);
			buf_addc(b, ':');
			gen_value(b, depth + 1);
		}
		gen_ws(b);
		buf_addc(b, '}');
		break;
	}
	gen_ws(b);
}

/* Corrupts B: a byte changed, removed or inserted, a few times. */
static void
mutate(struct buf *b)
{
	static const char bytes[] = "{}[]\",:\\-+.eE0123456789tfnul \x80\xff\x01";
	int		 k = 1 + (int)rnd(3);
	size_t		 at;

	while (k-- > 0 && b->len > 0) {
		at = rnd((uint32_t)b->len);
		switch (rnd(3)) {
		case 0:
			b->p[at] = bytes[rnd(sizeof bytes - 1)];
			break;
		case 1:
			memmove(b->p + at, b->p + at + 1, b->len - at - 1);
			b->len--;
			break;
		default:
			buf_addc(b, 0);
			memmove(b->p + at + 1, b->p + at, b->len - at - 1);
			b->p[at] = bytes[rnd(sizeof bytes - 1)];
			break;
		}
	}
}

static int	 n_same, n_both_bad, n_lenient;

/* Parses B with both readers; returns false on a disagreement. */
static bool
differ(struct arena *a, const struct buf *b)
{
	json_error_t	 je;
	json_t		*j;
	struct value	 v;
	const char	*err;
	int		 r;
	bool		 okay;

	arena_reset(a);
	r = json_parse(a, b->p, b->len, &v, &err);
	j = json_loadb(b->p, b->len, JSON_DECODE_ANY | JSON_ALLOW_NUL |
	    JSON_REJECT_DUPLICATES, &je);
	if (j != NULL && r == 0) {
		okay = json_same(j, &v);
		n_same++;
	} else if (j == NULL && r == -1) {
		okay = err != NULL && strstr(err, " at byte ") != NULL;
		n_both_bad++;
	} else if (j == NULL) {
		okay = json_lenient(je.text, false);
		n_lenient++;
		if (!okay)
			fprintf(stderr, "jansson: %s\n", je.text);
	} else {
		okay = false;
		fprintf(stderr, "ours: %s\n", err);
	}
	if (!okay)
		fprintf(stderr, "disagreement on: %.*s\n", (int)b->len, b->p);
	json_decref(j);
	return okay;
}

static void
test_differential(void)
{
	struct arena	 a;
	struct buf	 b = BUF_INIT;
	int		 i, bad = 0;

	arena_init(&a);
	for (i = 0; i < 100000; i++) {
		buf_reset(&b);
		gen_value(&b, 0);
		if (!differ(&a, &b) && bad++ > 10)
			break;
		mutate(&b);
		if (!differ(&a, &b) && bad++ > 10)
			break;
	}
	CHECK(bad == 0);
	CHECK(n_same > 50000);
	CHECK(n_both_bad > 10000);
	printf("json differential: %d agreed, %d both rejected, %d lenient\n",
	    n_same, n_both_bad, n_lenient);
	buf_free(&b);
	arena_free(&a);
}

/* Parses S and checks its compact JSON is WANT (or the error is WANT). */
static void
js(const char *s, size_t n, const char *want, int line)
{
	struct arena	 a;
	struct buf	 b = BUF_INIT;
	struct value	 v;
	const char	*err;

	arena_init(&a);
	buf_adds(&b, "");
	if (json_parse(&a, s, n, &v, &err) == 0)
		value_fmt_json(&b, &v);
	else
		buf_printf(&b, "error: %s", err);
	unit_checks++;
	if (strcmp(b.p, want) != 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: json %s: got <%s> want <%s>\n",
		    __FILE__, line, s, b.p, want);
	}
	buf_free(&b);
	arena_free(&a);
}

#define JS(s, want)	js(s, strlen(s), want, __LINE__)

static void
test_fixed(void)
{
	struct arena	 a;
	struct value	 v;
	const char	*err, *line;
	struct buf	 b = BUF_INIT;
	int		 i;

	JS("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
	    "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}");
	JS("  [ 1 , 2 ]  \n", "[1,2]");
	JS("\"\\u00e9\\u20ac\\ud83d\\ude00\"", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	JS("\"\\ud800x\"", "\"\xef\xbf\xbdx\"");
	JS("\"\\udc00\"", "\"\xef\xbf\xbd\"");
	JS("\"a\\\"b\\\\c\\/d\\n\"", "\"a\\\"b\\\\c/d\\n\"");
	JS("9223372036854775807", "9223372036854775807");
	JS("-9223372036854775808", "-9223372036854775808");
	JS("9223372036854775808", "9.223372036854776e+18");
	JS("123456789012345678901234567890", "1.2345678901234568e+29");
	JS("1.5", "1.5");
	JS("-0.0", "-0");
	JS("-0", "-0");
	JS("1e2", "100");
	JS("{\"a\":1,\"a\":2}", "{\"a\":1,\"a\":2}");
	JS("\xef\xbb\xbf{}", "{}");
	JS("{}", "{}");
	JS("[]", "[]");
	JS("\"\"", "\"\"");
	/* Bytes that are not UTF-8 are read, and written as U+FFFD. */
	JS("\"\xff\xfe\"", "\"\xef\xbf\xbd\xef\xbf\xbd\"");

	JS("", "error: unexpected end of input, expected a value at byte 1");
	JS("{\"a\":1 \"b\":2}", "error: expected ',' or '}' at byte 8");
	JS("[1 2]", "error: expected ',' or ']' at byte 4");
	JS("{\"a\" 1}", "error: expected ':' at byte 6");
	JS("{1:2}", "error: expected a string key at byte 2");
	JS("{\"a\":1", "error: unexpected end of input, expected ',' or '}' at byte 7");
	JS("[1,]", "error: expected a value at byte 4");
	JS("{\"a\":1,}", "error: expected a string key at byte 8");
	JS("{} x", "error: unexpected text after the value at byte 4");
	JS("tru", "error: invalid literal at byte 1");
	JS("nul", "error: invalid literal at byte 1");
	JS("01", "error: unexpected text after the value at byte 2");
	JS("1.", "error: unexpected end of input, expected a digit after '.' at byte 3");
	JS("1e", "error: unexpected end of input, expected a digit in the exponent at byte 3");
	JS("-", "error: unexpected end of input, expected a digit at byte 2");
	JS("+1", "error: expected a value at byte 1");
	JS("\"abc", "error: unexpected end of input, unterminated string at byte 5");
	JS("\"a\tb\"", "error: control character in string at byte 3");
	JS("\"\\x\"", "error: invalid escape at byte 2");
	JS("\"\\u12\"", "error: invalid \\u escape at byte 2");
	JS("'a'", "error: expected a value at byte 1");
	JS("NaN", "error: expected a value at byte 1");
	js("[1,\0]", 5, "error: expected a value at byte 4", __LINE__);

	/* Strings without escapes point into the input. */
	arena_init(&a);
	line = "{\"event\":\"click\"}";
	CHECK(json_parse(&a, line, strlen(line), &v, &err) == 0);
	CHECK(v.type == V_OBJ && v.n == 1 && v.u.kv[1].u.s == line + 10);
	/* The input need not be NUL-terminated. */
	CHECK(json_parse(&a, "12345", 2, &v, &err) == 0 && v.u.i == 12);
	CHECK(json_parse(&a, "1.55", 3, &v, &err) == 0 && v.u.d == 1.5);

	/* Depth: 512 levels parse, 513 do not. */
	for (i = 0; i < 512; i++)
		buf_addc(&b, '[');
	for (i = 0; i < 512; i++)
		buf_addc(&b, ']');
	CHECK(json_parse(&a, b.p, b.len, &v, &err) == 0);
	buf_reset(&b);
	for (i = 0; i < 513; i++)
		buf_adds(&b, "{\"a\":");
	buf_adds(&b, "1");
	for (i = 0; i < 513; i++)
		buf_addc(&b, '}');
	CHECK(json_parse(&a, b.p, b.len, &v, &err) == -1 &&
	    strstr(err, "nested deeper than 512") != NULL);
	buf_reset(&b);
	for (i = 0; i < 100000; i++)
		buf_addc(&b, '[');
	CHECK(json_parse(&a, b.p, b.len, &v, &err) == -1);

	/* A long array and a long object. */
	buf_reset(&b);
	buf_addc(&b, '[');
	for (i = 0; i < 10000; i++)
		buf_printf(&b, "%s%d", i ? "," : "", i);
	buf_addc(&b, ']');
	CHECK(json_parse(&a, b.p, b.len, &v, &err) == 0 && v.n == 10000 &&
	    v.u.a[9999].u.i == 9999);
	buf_reset(&b);
	buf_addc(&b, '{');
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
	buf_addc(&b, '}');
	CHECK(json_parse(&a, b.p, b.len, &v, &err) == 0 && v.n == 1000 &&
	    v.u.kv[2 * 999 + 1].u.i == 999);
	buf_free(&b);
	arena_free(&a);
}

/* Formats FMT with the N values in ARGS and checks the text or error. */
static void
sp(const char *fmt, const struct value *args, int n, const char *want,
    int line)
{
	struct buf	 b = BUF_INIT;
	const char	*err = NULL;

	buf_adds(&b, "");
	if (fmt_sprintf(&b, fmt, strlen(fmt), args, n, &err) == -1) {
		buf_reset(&b);
		buf_printf(&b, "error: %s", err);
	}
	unit_checks++;
	if (strcmp(b.p, want) != 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: sprintf(\"%s\"): got <%s> want <%s>\n",
		    __FILE__, line, fmt, b.p, want);
	}
	buf_free(&b);
}

#define S(s)	value_str(s, strlen(s))
#define I(i)	value_int(i)
#define D(d)	value_dbl(d)
#define SP(fmt, want, ...) do {						\
	struct value args_[] = { value_null(), __VA_ARGS__ };		\
	sp(fmt, args_ + 1, (int)(sizeof args_ / sizeof args_[0]) - 1,	\
	    want, __LINE__);						\
} while (0)

static void
test_sprintf(void)
{
	struct arena	 a;
	struct value	 t;

	arena_init(&a);
	SP("plain", "plain");
	SP("100%%", "100%");
	SP("%s", "abc", S("abc"));
	SP("%5s|%-5s|", "   ab|cd   |", S("ab"), S("cd"));
	SP("%.2s", "h\xc3\xa9", S("h\xc3\xa9llo"));
	SP("%3s|", "  \xc3\xa9|", S("\xc3\xa9"));
	SP("%s %s %s %s", "42 0.1  true", I(42), D(0.1), value_null(),
	    value_bool(true));
	t = value_pair(&a, S("k"), I(1));
	SP("<%s>", "<k\t1>", t);
	SP("%d", "42", I(42));
	SP("%d %d %i", "3 -3 12", D(3.9), D(-3.9), S("12"));
	SP("%5d|%-5d|%05d|%+d|% d", "   42|42   |00042|+42| 42", I(42), I(42),
	    I(42), I(42), I(42));
	SP("%.3d", "042", I(42));
	SP("%d", "1", value_bool(true));
	SP("%d", "1000000000000000019884624838656", D(1e30));
	SP("%d", "-9223372036854775808", I(INT64_MIN));
	SP("%x %X %#x %o", "ff FF 0xff 10", I(255), I(255), I(255), I(8));
	SP("%x", "ffffffffffffffff", I(-1));
	SP("%f|%.2f|%8.3f|", "3.141590|3.14|   3.142|", D(3.14159), D(3.14159),
	    D(3.14159));
	SP("%e", "1.234568e+04", D(12345.678));
	SP("%g %g %G", "0.0001 1e-05 1E-05", D(0.0001), D(1e-5), D(1e-5));
	SP("%f", "2.000000", I(2));
	SP("%.1f", "2.5", S(" 2.5 "));
	SP("%c%c", "AB", I(65), S("BCD"));
	SP("%c", "\xc3\xa9", I(233));
	SP("%c", "\xc3\xa9", S("\xc3\xa9lan"));
	SP("%c", "\xf0\x9f\x98\x80", I(0x1f600));
	SP("%c", "\xef\xbf\xbd", I(-1));
	SP("%3c|", "  x|", S("x"));
	SP("%*d|", "   42|", I(5), I(42));
	SP("%-*d|", "42   |", I(5), I(42));
	SP("%*d|", "42   |", I(-5), I(42));
	SP("%.*f", "3.14", I(2), D(3.14159));
	SP("%s", "a", S("a"), S("extra"));

	SP("%d", "error: sprintf: not enough arguments");
	SP("%s %s", "error: sprintf: not enough arguments", S("a"));
	SP("%*d", "error: sprintf: not enough arguments", I(5));
	SP("%q", "error: sprintf: unknown conversion %q", I(1));
	SP("%", "error: sprintf: incomplete conversion at the end");
	SP("%5", "error: sprintf: incomplete conversion at the end", I(1));
	SP("%d", "error: sprintf: %d needs a number, not string", S("abc"));
	SP("%f", "error: sprintf: %f needs a number, not null", value_null());
	SP("%c", "error: sprintf: %c needs a number, not array",
	    value_array(&a, 0));
	SP("%99999d", "error: sprintf: width or precision too large", I(1));
	SP("%.99999f", "error: sprintf: width or precision too large", D(1));
	SP("%*d", "error: sprintf: width or precision too large", I(1000000),
	    I(1));
	SP("%*d", "error: sprintf: '*' needs a number", S("x"), I(1));
	arena_free(&a);
}

int
main(void)
{
	test_fixed();
	test_sprintf();
	test_differential();
	return unit_done("json");
}
