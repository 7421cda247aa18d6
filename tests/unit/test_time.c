/*
 * test_time.c - time_parse (auto-detection and strptime formats),
 * time_format, time_fmt_rfc3339 and clf_parse, checked against known
 * epoch values and, for the calendar, against the C library's gmtime_r
 * over many random instants; durations (duration_parse, duration_fmt)
 * and the grid rounding of state/grid.h.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/dstream.h"
#include "../../src/expr/expr.h"
#include "../../src/state/grid.h"
#include "unit.h"

#define NOV21	1763683200.0	/* 2025-11-21T00:00:00Z */

/* Parses S (with FMT or auto) and checks the result is WANT. */
static void
ok(const char *s, const char *fmt, double want, int line)
{
	double	 got = -12345;

	unit_checks++;
	if (time_parse(s, strlen(s), fmt, &got) != 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: \"%s\" (fmt %s) rejected\n", __FILE__,
		    line, s, fmt ? fmt : "auto");
	} else if (fabs(got - want) > 1e-6) {
		unit_failures++;
		fprintf(stderr, "%s:%d: \"%s\" (fmt %s): got %.6f want %.6f\n",
		    __FILE__, line, s, fmt ? fmt : "auto", got, want);
	}
}

/* Checks S (with FMT or auto) is rejected. */
static void
bad(const char *s, const char *fmt, int line)
{
	double	 got;

	unit_checks++;
	if (time_parse(s, strlen(s), fmt, &got) == 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: \"%s\" (fmt %s) accepted as %.6f\n",
		    __FILE__, line, s, fmt ? fmt : "auto", got);
	}
}

#define OK(s, want)		ok(s, NULL, want, __LINE__)
#define OKF(s, fmt, want)	ok(s, fmt, want, __LINE__)
#define BAD(s)			bad(s, NULL, __LINE__)
#define BADF(s, fmt)		bad(s, fmt, __LINE__)

/* Where syslog's rule puts month M, day D at H:MI:S (no year given). */
static double
syslog_want(int m, int d, int h, int mi, int s)
{
	time_t		 now = time(NULL), t;
	struct tm	 tm;

	gmtime_r(&now, &tm);
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	if (t > now + 86400) {
		tm.tm_year--;
		tm.tm_mon = m - 1;
		tm.tm_mday = d;
		t = timegm(&tm);
	}
	return (double)t;
}

static void
test_auto(void)
{
	/* RFC 3339 / ISO 8601 */
	OK("2025-11-21T00:00:00Z", NOV21);
	OK("2025-11-21t00:00:00z", NOV21);
	OK("2025-11-21 00:00:00", NOV21);
	OK("2025-11-21", NOV21);
	OK("2025-11-21T00:00Z", NOV21);
	OK("2025-11-21T12:34:56", 1763728496);
	OK("2025-11-21T00:00:00.123+01:00", NOV21 - 3600 + 0.123);
	OK("2025-11-21T00:00:00+0100", NOV21 - 3600);
	OK("2025-11-21T00:00:00+01", NOV21 - 3600);
	OK("2025-11-21T00:00:00-05:30", NOV21 + 5.5 * 3600);
	OK("2025-11-21 00:00:00 +0100", NOV21 - 3600);
	OK("2025-11-21 00:00:00,5", NOV21 + 0.5);
	OK("2025-11-21T00:00:00.123456789Z", NOV21 + 0.123456789);
	OK("2025-11-21T00:00:00 UTC", NOV21);
	OK("  2025-11-21T00:00:00Z \n", NOV21);
	OK("2024-02-29", 1709164800);
	OK("2000-02-29", 951782400);
	OK("1900-03-01", -2203891200.0);
	OK("1600-02-29", -11670998400.0);
	OK("0001-01-01", -62135596800.0);
	OK("9999-12-31T23:59:59Z", 253402300799.0);
	OK("1969-12-31T23:59:59Z", -1);
	OK("2016-12-31T23:59:60Z", 1483228800);

	BAD("2025-02-29");
	BAD("1900-02-29");
	BAD("2025-02-30");
	BAD("2025-04-31");
	BAD("2025-13-01");
	BAD("2025-00-01");
	BAD("2025-11-00");
	BAD("2025-11-21T24:00:00");
	BAD("2025-11-21T23:60:00");
	BAD("2025-11-21T23:59:61");
	BAD("2025-11");
	BAD("2025-11-21T");
	BAD("2025-11-21T00");
	BAD("2025-11-21T00:00:00+");
	BAD("2025-11-21T00:00:00+25:00");
	BAD("2025-11-21T00:00:00+01:60");
	BAD("2025-11-21T00:00:00Zjunk");
	BAD("2025-11-21T00:00:00.");
	BAD("2025-1-21");
	BAD("25-11-21");
	BAD("2025-11-21  00:00:00");

	/* Apache / nginx */
	OK("21/Nov/2025:00:00:00 +0000", NOV21);
	OK("[21/Nov/2025:00:00:00 +0000]", NOV21);
	OK("21/Nov/2025:01:00:00 +0100", NOV21);
	OK("20/Nov/2025:19:00:00 -0500", NOV21);
	OK("21/nov/2025:00:00:00", NOV21);
	OK("21/November/2025:00:00:00 +0000", NOV21);
	BAD("21/Foo/2025:00:00:00 +0000");
	BAD("[21/Nov/2025:00:00:00 +0000");
	BAD("21/Nov/2025 00:00:00 +0000");
	BAD("31/Nov/2025:00:00:00 +0000");
	BAD("21/Nov/2025:00:00 +0000");

	/* syslog, ctime, RFC 2822 */
	OK("Nov 21 00:00:00", syslog_want(11, 21, 0, 0, 0));
	OK("Nov  1 00:00:00", syslog_want(11, 1, 0, 0, 0));
	OK("Jan  1 12:00:00", syslog_want(1, 1, 12, 0, 0));
	OK("Dec 31 23:59:59", syslog_want(12, 31, 23, 59, 59));
	OK("nov 21 00:00:00", syslog_want(11, 21, 0, 0, 0));
	OK("Sept 21 00:00:00 2025", 1758412800);
	OK("November 21 00:00:00 2025", NOV21);
	OK("Nov 21 00:00:00 2025", NOV21);
	OK("Fri Nov 21 00:00:00 2025", NOV21);
	OK("Fri, 21 Nov 2025 00:00:00 GMT", NOV21);
	OK("Fri, 21 Nov 2025 01:00:00 +0100", NOV21);
	OK("21 Nov 2025 00:00:00 +0000", NOV21);
	OK("Friday, 21 Nov 2025 00:00", NOV21);
	BAD("Nov 21");
	BAD("Nov 21 00:00");
	BAD("Nov 32 00:00:00");
	BAD("Novx 21 00:00:00");
	BAD("Nov 21 00:00:00 host sshd[1]: hello");
	BAD("Fri, 31 Nov 2025 00:00:00 GMT");
	BAD("Fri, 21 Nov 2025 00:00:00 EST");

	/* epoch */
	OK("1763683200", NOV21);
	OK("1763683200.25", NOV21 + 0.25);
	OK("1763683200.", NOV21);
	OK("1763683200123", NOV21 + 0.123);
	OK("0", 0);
	OK("-5", -5);
	OK("-1.5", -1.5);
	OK("2025", 2025);
	BAD("1763683200123.5x");
	BAD("12345678901234567");
	BAD("1.2.3");
	BAD("1e9");
	BAD("0x10");

	/* garbage */
	BAD("");
	BAD("   ");
	BAD("-");
	BAD("[]");
	BAD("abc");
	BAD("12:00");
	BAD("Friday");
	BAD("\x80\xff");
}

static void
test_fmt(void)
{
	OKF("2025-11-21 00:00:00", "%Y-%m-%d %H:%M:%S", NOV21);
	OKF("21/Nov/2025:00:00:00 +0000", "%d/%b/%Y:%H:%M:%S %z", NOV21);
	OKF("20251121000000", "%Y%m%d%H%M%S", NOV21);
	OKF("2025-11-21T00:00:00.250-0100", "%Y-%m-%dT%H:%M:%S.%f%z",
	    NOV21 + 3600 + 0.25);
	OKF("1763683200", "%s", NOV21);
	OKF("1763683200.5", "%s.%f", NOV21 + 0.5);
	OKF("2025-11-21 00:00:00", "%F %T", NOV21);
	OKF("11/21/25", "%D", NOV21);
	OKF("01/01/69", "%D", -31536000.0);
	OKF("01/01/68", "%D", 3092601600.0);
	OKF("2025-11-21 12:30 AM", "%F %I:%M %p", NOV21 + 1800);
	OKF("2025-11-21 12:30 pm", "%F %I:%M %p", NOV21 + 12 * 3600 + 1800);
	OKF("2025-11-21 01:00 PM", "%F %I:%M %p", NOV21 + 13 * 3600);
	BADF("2025-11-21 13:00 PM", "%F %I:%M %p");
	BADF("2025-11-21 00:00 PM", "%F %I:%M %p");
	OKF("2025 325", "%Y %j", NOV21);
	OKF("2024 366", "%Y %j", 1735603200.0);
	BADF("2025 366", "%Y %j");
	BADF("2025 0", "%Y %j");
	OKF("Friday, 21 November 2025", "%A, %d %B %Y", NOV21);
	OKF("Fri 21 nov 2025", "%a %e %h %Y", NOV21);
	OKF("2025-11- 1", "%Y-%m-%e", 1761955200.0);
	OKF("2025-11-21 UTC", "%F %Z", NOV21);
	BADF("2025-11-21 EST", "%F %Z");
	OKF("2025%", "%Y%%", 1735689600.0);
	OKF("01:02", "%H:%M", 3720);
	OKF("2025-11-21   00:00", "%F %R", NOV21);
	OKF("2025-11-2100:00", "%F %R", NOV21);
	OKF("Nov 21 00:00:00", "%b %d %T", syslog_want(11, 21, 0, 0, 0));
	BADF("2025-02-30", "%Y-%m-%d");
	BADF("2025-11-21 00:00:00", "%Y-%m-%d");
	BADF("2025-11-21", "%Y-%m-%d %H");
	BADF("2025/11/21", "%Y-%m-%d");
	BADF("2025-11-21", "%Y-%m-%d %Q");
	BADF("2025-11-21", "%Y-%m-%d%");
	BADF("x", "%s");
	BADF("", "%Y");
}

static void
fmt_is(double secs, const char *fmt, const char *want, int line)
{
	struct buf	 b = BUF_INIT;

	buf_adds(&b, "");
	time_format(&b, secs, fmt);
	unit_checks++;
	if (strcmp(b.p, want) != 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: time_format(%.6f, \"%s\"): got \"%s\", "
		    "want \"%s\"\n", __FILE__, line, secs, fmt, b.p, want);
	}
	buf_free(&b);
}

static void
rfc_is(int64_t ms, const char *want, int line)
{
	struct buf	 b = BUF_INIT;

	time_fmt_rfc3339(&b, ms);
	unit_checks++;
	if (strcmp(b.p, want) != 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: rfc3339(%lld): got \"%s\", want \"%s\"\n",
		    __FILE__, line, (long long)ms, b.p, want);
	}
	buf_free(&b);
}

#define FMT(secs, fmt, want)	fmt_is(secs, fmt, want, __LINE__)
#define RFC(ms, want)		rfc_is(ms, want, __LINE__)

static void
test_format(void)
{
	FMT(NOV21, "%Y-%m-%dT%H:%M:%SZ", "2025-11-21T00:00:00Z");
	FMT(NOV21, "%s", "1763683200");
	FMT(-5, "%s", "-5");
	FMT(NOV21, "%z %Z", "+0000 UTC");
	FMT(NOV21 + 0.25, "%f", "250000");
	FMT(NOV21 + 0.25, "%3f", "250");
	FMT(NOV21 + 0.123, "%S.%3f", "00.123");
	FMT(NOV21 + 0.25, "%9f", "250000000");
	FMT(-0.5, "%H:%M:%S.%3f", "23:59:59.500");
	FMT(NOV21, "%a %b %e", "Fri Nov 21");
	FMT(NOV21 + 86400 * 3, "%-d/%-m", "24/11");
	FMT(NOV21, "%j", "325");
	FMT(NOV21, "100%%", "100%");
	FMT(NOV21, "x%", "x%");
	FMT(NOV21, "", "");
	FMT(NOV21, "plain", "plain");
	FMT(NAN, "%Y", "");
	FMT(INFINITY, "%Y", "");

	RFC(0, "1970-01-01T00:00:00Z");
	RFC(1763683260000LL, "2025-11-21T00:01:00Z");
	RFC(1763683260250LL, "2025-11-21T00:01:00.250Z");
	RFC(1763683260001LL, "2025-11-21T00:01:00.001Z");
	RFC(-1, "1969-12-31T23:59:59.999Z");
	RFC(951782400000LL, "2000-02-29T00:00:00Z");
	RFC(253402300799000LL, "9999-12-31T23:59:59Z");
}

/* The calendar against gmtime_r, and format/parse round trips. */
static void
test_random(void)
{
	struct buf	 b = BUF_INIT, g = BUF_INIT;
	struct tm	 tm;
	time_t		 t;
	int64_t		 ms;
	double		 secs;
	int		 i, bad_cal = 0, bad_trip = 0;
	uint64_t	 r = 88172645463325252ULL;

	for (i = 0; i < 200000; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		/* Years 0001 to 9999. */
		ms = (int64_t)(r % 315537897600000ULL) - 62135596800000LL;
		if (i % 4 == 0)
			ms -= ms % 1000;
		buf_reset(&b);
		time_fmt_rfc3339(&b, ms);
		t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
		gmtime_r(&t, &tm);
		buf_reset(&g);
		buf_printf(&g, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		if (strncmp(b.p, g.p, g.len) != 0) {
			if (bad_cal++ < 5)
				fprintf(stderr, "calendar: %lld: %s vs %s\n",
				    (long long)ms, b.p, g.p);
		}
		if (time_parse(b.p, b.len, NULL, &secs) != 0 ||
		    llround(secs * 1000) != ms) {
			if (bad_trip++ < 5)
				fprintf(stderr, "round trip: %lld: %s\n",
				    (long long)ms, b.p);
		}
	}
	CHECK(bad_cal == 0);
	CHECK(bad_trip == 0);
	/*
	 * Whole seconds over the event-time range (9e15 ms either side of
	 * 1970): years before 0 and after 9999 are signed and read back.
	 */
	for (i = 0, bad_trip = 0; i < 100000; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		ms = ((int64_t)(r % 18000000000000ULL) - 9000000000000LL) * 1000;
		buf_reset(&b);
		time_fmt_rfc3339(&b, ms);
		if ((b.p[0] == '+') != (ms >= 253402300800000LL) ||
		    time_parse(b.p, b.len, NULL, &secs) != 0 ||
		    llround(secs * 1000) != ms) {
			if (bad_trip++ < 5)
				fprintf(stderr, "round trip: %lld: %s\n",
				    (long long)ms, b.p);
		}
	}
	CHECK(bad_trip == 0);
	buf_free(&b);
	buf_free(&g);
}

/*
 * Web-log times one after another, as a log has them (mostly the same
 * minute as the line before, which time_clf answers from its memo of
 * that minute), with jumps, other offsets, second 60 (accepted, as
 * before) and bad seconds, against gmtime_r.
 */
static void
test_clf_seconds(void)
{
	static const char *mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char		 s[64];
	struct tm	 tm;
	time_t		 t = 1764000000;
	double		 secs;
	int		 i, off = 0, sec, wrong = 0, rc;
	uint64_t	 r = 0x9e3779b97f4a7c15ULL;

	for (i = 0; i < 100000; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		if (r % 1000 == 0)
			t += (time_t)(r >> 20) % 40000000;	/* a jump */
		else
			t += (time_t)(r >> 10) % 3;
		if (r % 500 == 1)
			off = (int)((r >> 30) % 27) * 3600 / 2 - 12 * 3600;
		gmtime_r(&t, &tm);
		sec = tm.tm_sec;
		if (r % 97 == 3)
			sec = 60;	/* a leap second: the minute's 60th */
		else if (r % 97 == 4)
			sec = 61 + (int)(r >> 40) % 39;	/* never a second */
		snprintf(s, sizeof s, "[%02d/%s/%04d:%02d:%02d:%02d %c%02d%02d]",
		    tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
		    tm.tm_min, sec, off < 0 ? '-' : '+', abs(off) / 3600,
		    abs(off) % 3600 / 60);
		rc = time_parse(s, strlen(s), NULL, &secs);
		if (sec > 60 ? rc == 0 : rc != 0 ||
		    secs != (double)(t - tm.tm_sec + sec - off)) {
			if (wrong++ < 5)
				fprintf(stderr, "clf: %s: rc %d, %.0f\n", s, rc,
				    secs);
		}
	}
	CHECK(wrong == 0);
}

static const struct value *
get(const struct value *o, const char *k)
{
	return value_obj_get(o, k, strlen(k));
}

static bool
str_is(const struct value *v, const char *want)
{
	return v != NULL && v->type == V_STR && v->n == strlen(want) &&
	    memcmp(v->u.s, want, v->n) == 0;
}

static bool
int_is(const struct value *v, int64_t want)
{
	return v != NULL && v->type == V_INT && v->u.i == want;
}

static struct value
clf(struct arena *a, const char *s)
{
	return clf_parse(a, s, strlen(s));
}

static void
test_clf(void)
{
	struct arena	 a;
	struct value	 o;
	const char	*line;

	arena_init(&a);
	line = "1.2.3.4 - frank [21/Nov/2025:00:00:00 +0000] "
	    "\"GET /a?b=c HTTP/1.1\" 200 512 \"http://ref/\" \"Mozilla/5.0 (X11)\"";
	o = clf(&a, line);
	CHECK(o.type == V_OBJ && o.n == 11);
	CHECK(str_is(get(&o, "ip"), "1.2.3.4"));
	CHECK(str_is(get(&o, "ident"), "-"));
	CHECK(str_is(get(&o, "user"), "frank"));
	CHECK(int_is(get(&o, "time"), 1763683200));
	CHECK(str_is(get(&o, "method"), "GET"));
	CHECK(str_is(get(&o, "path"), "/a?b=c"));
	CHECK(str_is(get(&o, "proto"), "HTTP/1.1"));
	CHECK(int_is(get(&o, "status"), 200));
	CHECK(int_is(get(&o, "bytes"), 512));
	CHECK(str_is(get(&o, "referer"), "http://ref/"));
	CHECK(str_is(get(&o, "agent"), "Mozilla/5.0 (X11)"));
	/* Unescaped strings point into the line. */
	CHECK(get(&o, "ip")->u.s == line);

	/* Common format: no referer, no agent; bytes "-". */
	o = clf(&a, "::1 - - [21/Nov/2025:01:00:00 +0100] \"POST /x HTTP/1.0\" 304 -");
	CHECK(o.type == V_OBJ);
	CHECK(int_is(get(&o, "time"), 1763683200));
	CHECK(get(&o, "bytes")->type == V_NULL);
	CHECK(get(&o, "referer")->type == V_NULL);
	CHECK(get(&o, "agent")->type == V_NULL);
	CHECK(str_is(get(&o, "method"), "POST"));

	/* Escaped quotes and nginx \x escapes in quoted fields. */
	o = clf(&a, "10.0.0.1 - - [21/Nov/2025:00:00:00 +0000] "
	    "\"GET /q?\\\"x\\\" HTTP/1.1\" 404 0 \"-\" \"a \\\"b\\\" \\x22c\\\\\"");
	CHECK(o.type == V_OBJ);
	CHECK(str_is(get(&o, "path"), "/q?\"x\""));
	CHECK(str_is(get(&o, "agent"), "a \"b\" \"c\\"));
	CHECK(str_is(get(&o, "referer"), "-"));
	CHECK(int_is(get(&o, "bytes"), 0));

	/* Odd requests. */
	o = clf(&a, "1.1.1.1 - - [21/Nov/2025:00:00:00 +0000] \"-\" 408 -");
	CHECK(o.type == V_OBJ && get(&o, "method")->type == V_NULL &&
	    get(&o, "path")->type == V_NULL);
	o = clf(&a, "1.1.1.1 - - [21/Nov/2025:00:00:00 +0000] \"\\x16\\x03\" 400 157");
	CHECK(o.type == V_OBJ && get(&o, "method")->type == V_NULL &&
	    str_is(get(&o, "path"), "\x16\x03"));
	o = clf(&a, "1.1.1.1 - - [21/Nov/2025:00:00:00 +0000] \"GET /a b HTTP/1.1\" 200 1");
	CHECK(str_is(get(&o, "path"), "/a b"));
	o = clf(&a, "1.1.1.1 - - [21/Nov/2025:00:00:00 +0000] \"GET /\" 200 1");
	CHECK(str_is(get(&o, "path"), "/") && get(&o, "proto")->type == V_NULL);
	/* Extra nginx fields after the agent are ignored; CRLF trimmed. */
	o = clf(&a, "1.1.1.1 - - [21/Nov/2025:00:00:00 +0000] \"GET / HTTP/1.1\" "
	    "200 1 \"-\" \"curl\" \"5.6.7.8\" 0.004\r\n");
	CHECK(str_is(get(&o, "agent"), "curl"));

	/* Not CLF. */
	CHECK(clf(&a, "").type == V_NULL);
	CHECK(clf(&a, "hello world").type == V_NULL);
	CHECK(clf(&a, "1.1.1.1 - - [bad time] \"GET / HTTP/1.1\" 200 1").type == V_NULL);
	CHECK(clf(&a, "1.1.1.1 - - [21/Nov/2025:00:00:00 +0000] \"GET / HTTP/1.1 200 1").type == V_NULL);
	CHECK(clf(&a, "1.1.1.1 - - [21/Nov/2025:00:00:00 +0000] \"GET /\" abc 1").type == V_NULL);
	CHECK(clf(&a, "1.1.1.1 - - [21/Nov/2025:00:00:00 +0000] \"GET /\" 200 12x").type == V_NULL);
	CHECK(clf(&a, "1.1.1.1 - - [21/Nov/2025:00:00:00 +0000] \"GET /\" 200").type == V_NULL);
	CHECK(clf(&a, "1.1.1.1 - - 21/Nov/2025:00:00:00 \"GET /\" 200 1").type == V_NULL);
	arena_free(&a);
}

static void
test_duration(void)
{
	char	 t[32];

	CHECK(duration_parse("250ms", false) == 250);
	CHECK(duration_parse("1s", false) == 1000);
	CHECK(duration_parse("2", false) == 2000);
	CHECK(duration_parse("1.5s", false) == 1500);
	CHECK(duration_parse(".5", false) == 500);
	CHECK(duration_parse("5m", false) == 300000);
	CHECK(duration_parse("1h", false) == 3600000);
	CHECK(duration_parse("1d", false) == 86400000);
	CHECK(duration_parse("0.0004s", false) == -1);	/* under 1 ms */
	CHECK(duration_parse("0.0015s", false) == 2);	/* rounded */
	CHECK(duration_parse("", false) == -1);
	CHECK(duration_parse(".", false) == -1);
	CHECK(duration_parse("s", false) == -1);
	CHECK(duration_parse("1x", false) == -1);
	CHECK(duration_parse("-1s", false) == -1);
	CHECK(duration_parse("1 s", false) == -1);
	CHECK(duration_parse("1.2.3", false) == -1);
	CHECK(duration_parse("99999999999999999d", false) == -1);
	CHECK(duration_parse(NULL, false) == -1);
	/* Zero: only when asked for, in any unit. */
	CHECK(duration_parse("0", false) == -1);
	CHECK(duration_parse("0s", false) == -1);
	CHECK(duration_parse("0", true) == 0);
	CHECK(duration_parse("0.0ms", true) == 0);
	CHECK(duration_parse("00.", true) == 0);
	CHECK(duration_parse(".0h", true) == 0);
	CHECK(duration_parse("0x", true) == -1);
	CHECK(duration_parse(".", true) == -1);
	CHECK(duration_parse("0.0004s", true) == -1);
	CHECK(duration_parse("3s", true) == 3000);

	duration_fmt(t, sizeof t, 60000);
	CHECK_STR(t, "1m");
	duration_fmt(t, sizeof t, 90000);
	CHECK_STR(t, "90s");
	duration_fmt(t, sizeof t, 1500);
	CHECK_STR(t, "1500ms");
	duration_fmt(t, sizeof t, 7200000);
	CHECK_STR(t, "2h");
	duration_fmt(t, sizeof t, 172800000);
	CHECK_STR(t, "2d");
}

static void
test_grid(void)
{
	CHECK(grid_floordiv(7, 2) == 3);
	CHECK(grid_floordiv(-7, 2) == -4);
	CHECK(grid_floordiv(-8, 2) == -4);
	CHECK(grid_floordiv(7, -2) == -4);
	CHECK(grid_floordiv(0, 5) == 0);
	CHECK(grid_floordiv(-1, 1000) == -1);
	CHECK(grid_floor(2500, 1000) == 2000);
	CHECK(grid_floor(2000, 1000) == 2000);
	CHECK(grid_floor(-1, 1000) == -1000);
	CHECK(grid_floor(-1000, 1000) == -1000);
	CHECK(grid_end(2500, 1000) == 3000);
	CHECK(grid_end(2000, 1000) == 3000);	/* [2000, 3000) */
	CHECK(grid_end(1999, 1000) == 2000);
	CHECK(grid_end(-1, 1000) == 0);
	CHECK(grid_end(-1000, 1000) == 0);
	CHECK(grid_end(-1001, 1000) == -1000);
}

int
main(void)
{
	test_auto();
	test_fmt();
	test_format();
	test_random();
	test_clf_seconds();
	test_clf();
	test_duration();
	test_grid();
	return unit_done("time");
}
