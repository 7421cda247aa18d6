/*
 * time.c - reading and writing times: the time() and strptime() builtins,
 * --event-time with or without --time-format, and the RFC 3339 stamps of
 * --stamp and --format json; and durations ("250ms", "5m"), as options
 * and operator arguments give them.
 *
 * Everything is computed in UTC from the civil calendar (proleptic
 * Gregorian, days counted from 1970-01-01 as in Howard Hinnant's
 * days_from_civil), never through mktime, timegm, strptime or the TZ
 * variable, so a result does not depend on the machine's locale or time
 * zone.  The parsers read the text by hand, without sscanf: the event-time
 * path parses one timestamp per record.
 *
 * Auto-detected forms (time_parse with FMT NULL; blanks around the text
 * are ignored, the rest of the text must be the time):
 *
 *   2025-11-21                        ISO 8601 / RFC 3339 date, midnight UTC
 *   2025-11-21T00:00:00Z              'T', 't' or a space between; seconds
 *   2025-11-21 00:00                    optional; fractions after '.' or ','
 *   2025-11-21T00:00:00.123+01:00     offsets Z, +HH, +HHMM, +HH:MM, also
 *   2025-11-21 00:00:00 +0100           after one space; no offset is UTC
 *   +10000-01-01, -0044-03-15         ISO 8601's expanded years: a sign and
 *                                       4 to 6 digits (the stamps' years
 *                                       before 0 and after 9999)
 *   21/Nov/2025:00:00:00 +0000        Apache/nginx, brackets optional,
 *   [21/Nov/2025:00:00:00 +0000]        offset optional
 *   Nov 21 00:00:00, Nov  1 00:00:00  syslog: the current year (UTC), or
 *                                       the previous one when that would
 *                                       put it more than a day ahead; an
 *                                       optional year may follow
 *   Fri Nov 21 00:00:00 2025          ctime
 *   Fri, 21 Nov 2025 00:00:00 GMT     RFC 2822 / HTTP dates (GMT, UTC, Z
 *                                       or a numeric offset)
 *   1763683200, 1763683200.25, -5     epoch seconds, fraction optional
 *   1763683200123                     exactly 13 digits, no fraction:
 *                                       epoch milliseconds
 *
 * Month and day names are English, in any case.  Invalid dates (Feb 30,
 * 25:00) are rejected; a leap second :60 is accepted and counts as the
 * first second of the next minute.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../dstream.h"
#include "../state/grid.h"
#include "expr.h"

/* The fields a parse collects before they are turned into seconds. */
struct tparts {
	int64_t		 year;
	int		 mon, day, yday;	/* 1-based */
	int		 hour, min, sec;
	int		 off;		/* seconds east of UTC */
	double		 frac;
	double		 epoch;
	int		 pm;		/* -1 unset, 0 am, 1 pm */
	int		 century;	/* %y: year within century, or -1 */
	bool		 have_year, have_mon, have_day, have_yday, have_epoch;
};

static const char *const time_months[12] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"
};
static const char *const time_days[7] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
	"saturday"
};

static int	time_parse1(const char *, size_t, const char *, double *);
static int	time_strptime(const char **, const char *, const char *,
		    struct tparts *, int);

static inline bool
time_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

static inline bool
time_isblank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

static inline int
time_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Days from 1970-01-01 to Y-M-D (proleptic Gregorian; M and D 1-based). */
static int64_t
time_days_from_civil(int64_t y, int m, int d)
{
	int64_t		 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The civil date of day Z counted from 1970-01-01. */
static void
time_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool
time_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
time_mdays(int64_t y, int m)
{
	static const int	 mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && time_leap(y) ? 29 : mdays[m - 1];
}

/*
 * Reads MIN to MAX decimal digits at *P (before END) into *V and moves
 * *P past them.  Returns 0, or -1 (and *P unmoved) when there are fewer
 * than MIN.
 */
static int
time_num(const char **p, const char *end, int min, int max, int *v)
{
	const char	*s = *p;
	int		 n = 0, k = 0;

	while (s < end && k < max && time_isdigit(*s)) {
		n = n * 10 + (*s++ - '0');
		k++;
	}
	if (k < min)
		return -1;
	*p = s;
	*v = n;
	return 0;
}

/* Reads the digits of a fraction (after its separator) into *FRAC. */
static int
time_frac(const char **p, const char *end, double *frac)
{
	const char	*s = *p;
	int64_t		 n = 0, scale = 1;

	if (s >= end || !time_isdigit(*s))
		return -1;
	for (; s < end && time_isdigit(*s); s++) {
		if (scale < 1000000000) {
			n = n * 10 + (*s - '0');
			scale *= 10;
		}
	}
	*frac = (double)n / (double)scale;
	*p = s;
	return 0;
}

/*
 * Matches a name from NAMES (N of them) at *P, in full or by its first
 * three letters, in any case.  Returns its index, or -1.
 */
static int
time_name(const char **p, const char *end, const char *const *names, int n)
{
	const char	*s = *p;
	size_t		 len, avail = (size_t)(end - s), k;
	int		 i;

	if (avail < 3)
		return -1;
	for (i = 0; i < n; i++) {
		/* Most names differ in the first letter: test it first. */
		if (time_lower((unsigned char)s[0]) != names[i][0])
			continue;
		len = strlen(names[i]);
		for (k = 0; k < len && k < avail; k++) {
			if (time_lower((unsigned char)s[k]) != names[i][k])
				break;
		}
		if (k >= 3) {
			*p = s + k;
			return i;
		}
	}
	return -1;
}

/*
 * Reads a UTC offset at *P: Z or z, or a sign with HH, HHMM or HH:MM.
 * Sets *OFF (seconds east).  Returns 0 or -1.
 */
static int
time_offset(const char **p, const char *end, int *off)
{
	const char	*s = *p;
	int		 sign, hh, mm = 0;

	if (s < end && (*s == 'Z' || *s == 'z')) {
		*off = 0;
		*p = s + 1;
		return 0;
	}
	if (s >= end || (*s != '+' && *s != '-'))
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	if (time_num(&s, end, 2, 2, &hh) == -1 || hh > 23)
		return -1;
	if (s < end && *s == ':') {
		s++;
		if (time_num(&s, end, 2, 2, &mm) == -1)
			return -1;
	} else if (s < end && time_isdigit(*s)) {
		if (time_num(&s, end, 2, 2, &mm) == -1)
			return -1;
	}
	if (mm > 59)
		return -1;
	*off = sign * (hh * 3600 + mm * 60);
	*p = s;
	return 0;
}

/* Reads a zone name that means UTC (UTC, GMT, UT, Z), in any case. */
static int
time_zone_name(const char **p, const char *end)
{
	static const char *const names[] = { "utc", "gmt", "ut", "z" };
	const char	*s = *p;
	size_t		 i, k, len;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		len = strlen(names[i]);
		if ((size_t)(end - s) < len)
			continue;
		for (k = 0; k < len; k++) {
			if (time_lower((unsigned char)s[k]) != names[i][k])
				break;
		}
		if (k == len) {
			*p = s + len;
			return 0;
		}
	}
	return -1;
}

/* Reads "HH:MM[:SS[.frac]]" into T. */
static int
time_hms(const char **p, const char *end, struct tparts *t, bool need_sec)
{
	const char	*s = *p;

	if (time_num(&s, end, 2, 2, &t->hour) == -1 || s >= end || *s != ':')
		return -1;
	s++;
	if (time_num(&s, end, 2, 2, &t->min) == -1)
		return -1;
	if (s < end && *s == ':') {
		s++;
		if (time_num(&s, end, 2, 2, &t->sec) == -1)
			return -1;
		if (s + 1 < end && (*s == '.' || *s == ',') &&
		    time_isdigit(s[1])) {
			s++;
			if (time_frac(&s, end, &t->frac) == -1)
				return -1;
		}
	} else if (need_sec)
		return -1;
	*p = s;
	return 0;
}

static void
time_init(struct tparts *t)
{
	memset(t, 0, sizeof *t);
	t->mon = t->day = 1;
	t->pm = -1;
	t->century = -1;
}

/* The current UTC year. */
static int64_t
time_this_year(time_t now)
{
	int64_t		 y;
	int		 m, d;

	time_civil_from_days((int64_t)now / 86400 - (now % 86400 < 0), &y,
	    &m, &d);
	return y;
}

/*
 * WHOLE seconds and a fraction FRAC in [0, 1) as one double that stays
 * inside WHOLE's second: far from 1970 the sum rounds to the next whole
 * second once FRAC is within half a double's step of 1 (".9999999999" at
 * today's epoch, ".99999" in year 9999), which would place the time, and
 * its record's batch, a second late.  Such a sum is taken down to the
 * largest double below the next second.
 */
static double
time_join(int64_t whole, double frac)
{
	double		 s = (double)whole + frac, next = (double)whole + 1;

	return s < next ? s : nextafter(next, -INFINITY);
}

/* Seconds since the epoch of the validated date and time in T, or -1. */
static int
time_seconds(const struct tparts *t, int64_t year, double *secs)
{
	int64_t		 days;

	if (t->mon < 1 || t->mon > 12 || t->day < 1 ||
	    t->day > time_mdays(year, t->mon))
		return -1;
	if (t->hour > 23 || t->min > 59 || t->sec > 60)
		return -1;
	days = time_days_from_civil(year, t->mon, t->day);
	*secs = time_join(days * 86400 + t->hour * 3600 + t->min * 60 +
	    t->sec - t->off, t->frac);
	return 0;
}

/*
 * Turns the parts into epoch seconds.  Without a year but with a month
 * or day, the year is the current one, or the previous one when that
 * would put the time more than a day in the future (syslog's rule);
 * without any date the day is 1970-01-01.
 */
static int
time_finish(struct tparts *t, double *secs)
{
	time_t		 now;
	int64_t		 year, days;
	int		 m;

	if (t->have_epoch) {
		*secs = time_join((int64_t)t->epoch, t->frac);
		return 0;
	}
	if (t->pm != -1) {
		if (t->hour < 1 || t->hour > 12)
			return -1;
		t->hour = t->hour % 12 + (t->pm ? 12 : 0);
	}
	if (t->century != -1)
		t->year = t->century < 69 ? 2000 + t->century : 1900 + t->century;
	if (t->have_yday && !t->have_mon && !t->have_day) {
		if (!t->have_year && t->century == -1)
			t->year = 1970;
		if (t->yday < 1 || t->yday > (time_leap(t->year) ? 366 : 365))
			return -1;
		days = t->yday;
		for (m = 1; days > time_mdays(t->year, m); m++)
			days -= time_mdays(t->year, m);
		t->mon = m;
		t->day = (int)days;
		return time_seconds(t, t->year, secs);
	}
	if (t->have_year || t->century != -1)
		return time_seconds(t, t->year, secs);
	if (!t->have_mon && !t->have_day)
		return time_seconds(t, 1970, secs);
	now = time(NULL);
	year = time_this_year(now);
	if (time_seconds(t, year, secs) == 0 && *secs <= (double)now + 86400)
		return 0;
	return time_seconds(t, year - 1, secs);
}

/*
 * ISO 8601 / RFC 3339 after the year's YDIGITS digits have been checked
 * (4, or 4 to 6 after a sign: ISO's expanded years, as time_fmt_rfc3339
 * writes the years before 0 and after 9999); NEG: the year had a '-'.
 */
static int
time_iso(const char *s, const char *end, int ydigits, bool neg, double *secs)
{
	struct tparts	 t;
	int		 y;

	time_init(&t);
	if (time_num(&s, end, ydigits, ydigits, &y) == -1 || s >= end ||
	    *s++ != '-')
		return -1;
	if (time_num(&s, end, 2, 2, &t.mon) == -1 || s >= end || *s++ != '-')
		return -1;
	if (time_num(&s, end, 2, 2, &t.day) == -1)
		return -1;
	t.year = neg ? -y : y;
	if (s < end && (*s == 'T' || *s == 't' || *s == ' ')) {
		s++;
		if (time_hms(&s, end, &t, false) == -1)
			return -1;
		if (s < end && *s == ' ')
			s++;
		if (s < end && time_offset(&s, end, &t.off) == -1 &&
		    time_zone_name(&s, end) == -1)
			return -1;
	}
	if (s != end)
		return -1;
	return time_seconds(&t, t.year, secs);
}

/*
 * Day, month name, year, then the time, with SEP between the date parts
 * and TSEP before the time:
 *   Apache/nginx "21/Nov/2025:00:00:00 +0000" ('/', ':'; seconds needed,
 *   offset optional), and RFC 2822 after the day name and comma, if any,
 *   "21 Nov 2025 00:00:00 GMT" (' ', ' '; seconds and zone optional,
 *   ZONES: a zone may be a name such as GMT).
 */
static int
time_dmy(const char *s, const char *end, char sep, char tsep, bool zones,
    double *secs)
{
	struct tparts	 t;
	int		 y;

	time_init(&t);
	if (time_num(&s, end, 1, 2, &t.day) == -1 || s >= end || *s++ != sep)
		return -1;
	if ((t.mon = time_name(&s, end, time_months, 12) + 1) == 0)
		return -1;
	if (s >= end || *s++ != sep)
		return -1;
	if (time_num(&s, end, 4, 4, &y) == -1 || s >= end || *s++ != tsep)
		return -1;
	t.year = y;
	if (time_hms(&s, end, &t, !zones) == -1)
		return -1;
	if (s < end && *s == ' ') {
		s++;
		if (time_offset(&s, end, &t.off) == -1 &&
		    (!zones || time_zone_name(&s, end) == -1))
			return -1;
	}
	if (s != end)
		return -1;
	return time_seconds(&t, t.year, secs);
}

/*
 * A web log's time in its one exact shape, "21/Nov/2025:00:00:05 +0000"
 * (26 bytes, brackets gone), read directly: what time_dmy would answer
 * for it, without its walk.  Returns -2 when S..END is not of that shape
 * (time_dmy then reads it), else time_seconds' answer.
 */
static int
time_clf(const char *s, const char *end, double *secs)
{
	static const char	 digits[] = {
		0, 1, 7, 8, 9, 10, 12, 13, 15, 16, 18, 19, 22, 23, 24, 25
	};
	/* The minute of the last time read whole: its bytes before the
	 * seconds and its offset, and its time at second 0.  A log's next
	 * second mostly shares them: then only the seconds are read (the
	 * time is linear in them; the checks below passed on the same
	 * bytes). */
	static char		 lastmin[18 + 6];
	static bool		 have;
	static double		 lastbase;
	struct tparts		 t;
	size_t			 i;
	int			 m, hh, mm, sec, rc;
	char			 mon[3];

#define D2(k)	((s[k] - '0') * 10 + (s[(k) + 1] - '0'))
	if (end - s == 26 && have && memcmp(s, lastmin, 18) == 0 &&
	    memcmp(s + 20, lastmin + 18, 6) == 0 && time_isdigit(s[18]) &&
	    time_isdigit(s[19]) && (sec = D2(18)) <= 60) {
		*secs = lastbase + sec;
		return 0;
	}
	if (end - s != 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' ||
	    s[14] != ':' || s[17] != ':' || s[20] != ' ' ||
	    (s[21] != '+' && s[21] != '-'))
		return -2;
	for (i = 0; i < sizeof digits; i++)
		if (!time_isdigit(s[(int)digits[i]]))
			return -2;
	for (i = 0; i < 3; i++)
		mon[i] = (char)time_lower((unsigned char)s[3 + i]);
	for (m = 0; m < 12; m++)
		if (memcmp(mon, time_months[m], 3) == 0)
			break;
	if (m == 12)
		return -2;
	hh = D2(22);
	mm = D2(24);
	if (hh > 23 || mm > 59)
		return -2;	/* time_dmy says no too */
	time_init(&t);
	t.day = D2(0);
	t.mon = m + 1;
	t.year = D2(7) * 100 + D2(9);
	t.hour = D2(12);
	t.min = D2(15);
	t.sec = D2(18);
	t.off = (s[21] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
#undef D2
	if ((rc = time_seconds(&t, t.year, secs)) == 0) {
		memcpy(lastmin, s, 18);
		memcpy(lastmin + 18, s + 20, 6);
		lastbase = *secs - t.sec;
		have = true;
	}
	return rc;
}

/* Syslog "Nov 21 00:00:00" and ctime's "Nov 21 00:00:00 2025". */
static int
time_syslog(const char *s, const char *end, double *secs)
{
	struct tparts	 t;
	int		 y;

	time_init(&t);
	if ((t.mon = time_name(&s, end, time_months, 12) + 1) == 0)
		return -1;
	if (s >= end || *s++ != ' ')
		return -1;
	if (s < end && *s == ' ')
		s++;
	if (time_num(&s, end, 1, 2, &t.day) == -1 || s >= end || *s++ != ' ')
		return -1;
	if (time_hms(&s, end, &t, true) == -1)
		return -1;
	t.have_mon = t.have_day = true;
	if (s < end && *s == ' ') {
		s++;
		if (time_num(&s, end, 4, 4, &y) == -1)
			return -1;
		t.year = y;
		t.have_year = true;
	}
	if (s != end)
		return -1;
	return time_finish(&t, secs);
}

/*
 * Epoch seconds: an optional '-', digits, an optional fraction.  Exactly
 * 13 digits without a fraction are milliseconds.
 */
static int
time_epoch(const char *s, const char *end, double *secs)
{
	bool		 neg = false;
	int64_t		 n = 0;
	int		 k = 0;
	double		 frac = 0;

	if (s < end && *s == '-') {
		neg = true;
		s++;
	}
	for (; s < end && time_isdigit(*s); s++, k++) {
		if (k >= 16)
			return -1;
		n = n * 10 + (*s - '0');
	}
	if (k == 0)
		return -1;
	if (s < end && *s == '.') {
		s++;
		if (s < end && time_frac(&s, end, &frac) == -1)
			return -1;
	} else if (k == 13) {
		*secs = (neg ? -(double)n : (double)n) / 1000;
		return s == end ? 0 : -1;
	}
	if (s != end)
		return -1;
	*secs = neg ? -time_join(n, frac) : time_join(n, frac);
	return 0;
}

/* Auto-detection: picks the form by the first characters. */
static int
time_auto(const char *s, const char *end, double *secs)
{
	const char	*p;
	int		 k;

	if (s < end && *s == '[' && end[-1] == ']') {
		s++;
		end--;
	}
	if (s >= end)
		return -1;
	if (time_isdigit(*s)) {
		if ((k = time_clf(s, end, secs)) != -2)
			return k;
		for (p = s, k = 0; p < end && time_isdigit(*p); p++)
			k++;
		if (k == 4 && p < end && *p == '-')
			return time_iso(s, end, 4, false, secs);
		if (k <= 2 && p < end && *p == '/')
			return time_dmy(s, end, '/', ':', false, secs);
		if (k <= 2 && p < end && *p == ' ')
			return time_dmy(s, end, ' ', ' ', true, secs);
		return time_epoch(s, end, secs);
	}
	if (*s == '+' || *s == '-') {
		for (p = s + 1, k = 0; p < end && time_isdigit(*p); p++)
			k++;
		if (k >= 4 && k <= 6 && p < end && *p == '-')
			return time_iso(s + 1, end, k, *s == '-', secs);
		return *s == '-' ? time_epoch(s, end, secs) : -1;
	}
	p = s;
	if (time_name(&p, end, time_months, 12) != -1 && p < end && *p == ' ')
		return time_syslog(s, end, secs);
	p = s;
	if (time_name(&p, end, time_days, 7) == -1 || p >= end)
		return -1;
	if (*p == ',') {
		p++;
		if (p < end && *p == ' ')
			p++;
		return time_dmy(p, end, ' ', ' ', true, secs);
	}
	if (*p == ' ')
		return time_syslog(p + 1, end, secs);
	return -1;
}

/*
 * The strptime-like reader: matches the input at *P against FMT (up to
 * FEND), collecting fields into T.  Blanks in FMT match any run of blanks
 * (none included); numeric fields may be preceded by blanks; other
 * characters match themselves.  DEPTH bounds the expansion of %T, %D and
 * the like.  Returns 0, or -1 when the input does not match.
 */
static int
time_strptime(const char **p, const char *end, const char *fmt,
    struct tparts *t, int depth)
{
	const char	*s = *p;
	char		 c;
	int		 v, i;
	int64_t		 e;
	bool		 neg;

	if (depth > 2)
		return -1;
	for (; *fmt != '\0'; fmt++) {
		if (time_isblank((unsigned char)*fmt)) {
			while (s < end && time_isblank((unsigned char)*s))
				s++;
			continue;
		}
		if (*fmt != '%') {
			if (s >= end || *s != *fmt)
				return -1;
			s++;
			continue;
		}
		c = *++fmt;
		while (c == 'E' || c == 'O' || c == '-' || c == '_' || c == '0' ||
		    c == '^' || c == '#')
			c = *++fmt;
		if (strchr("YmdeHIMSyjCuw", c) != NULL) {
			while (s < end && time_isblank((unsigned char)*s))
				s++;
		}
		switch (c) {
		case '\0':
			return -1;
		case '%':
			if (s >= end || *s++ != '%')
				return -1;
			break;
		case 'n':
		case 't':
			while (s < end && time_isblank((unsigned char)*s))
				s++;
			break;
		case 'Y':
			if (time_num(&s, end, 1, 4, &v) == -1)
				return -1;
			t->year = v;
			t->have_year = true;
			t->century = -1;
			break;
		case 'y':
			if (time_num(&s, end, 1, 2, &v) == -1)
				return -1;
			t->century = v;
			break;
		case 'm':
			if (time_num(&s, end, 1, 2, &t->mon) == -1)
				return -1;
			t->have_mon = true;
			break;
		case 'd':
		case 'e':
			if (time_num(&s, end, 1, 2, &t->day) == -1)
				return -1;
			t->have_day = true;
			break;
		case 'j':
			if (time_num(&s, end, 1, 3, &t->yday) == -1)
				return -1;
			t->have_yday = true;
			break;
		case 'H':
		case 'I':
			if (time_num(&s, end, 1, 2, &t->hour) == -1)
				return -1;
			break;
		case 'M':
			if (time_num(&s, end, 1, 2, &t->min) == -1)
				return -1;
			break;
		case 'S':
			if (time_num(&s, end, 1, 2, &t->sec) == -1)
				return -1;
			break;
		case 'C':
		case 'u':
		case 'w':
			if (time_num(&s, end, 1, 2, &v) == -1)
				return -1;
			break;
		case 'f':
			if (time_frac(&s, end, &t->frac) == -1)
				return -1;
			break;
		case 's':
			neg = s < end && *s == '-';
			if (neg)
				s++;
			for (e = 0, i = 0; s < end && time_isdigit(*s); s++, i++) {
				if (i >= 16)
					return -1;
				e = e * 10 + (*s - '0');
			}
			if (i == 0)
				return -1;
			t->epoch = neg ? -(double)e : (double)e;
			t->have_epoch = true;
			break;
		case 'b':
		case 'B':
		case 'h':
			if ((v = time_name(&s, end, time_months, 12)) == -1)
				return -1;
			t->mon = v + 1;
			t->have_mon = true;
			break;
		case 'a':
		case 'A':
			if (time_name(&s, end, time_days, 7) == -1)
				return -1;
			break;
		case 'p':
			if (end - s < 2 || time_lower((unsigned char)s[1]) != 'm')
				return -1;
			if (time_lower((unsigned char)s[0]) == 'a')
				t->pm = 0;
			else if (time_lower((unsigned char)s[0]) == 'p')
				t->pm = 1;
			else
				return -1;
			s += 2;
			break;
		case 'z':
			if (time_offset(&s, end, &t->off) == -1)
				return -1;
			break;
		case 'Z':
			if (time_zone_name(&s, end) == -1)
				return -1;
			break;
		case 'T':
			if (time_strptime(&s, end, "%H:%M:%S", t, depth + 1) == -1)
				return -1;
			break;
		case 'R':
			if (time_strptime(&s, end, "%H:%M", t, depth + 1) == -1)
				return -1;
			break;
		case 'D':
			if (time_strptime(&s, end, "%m/%d/%y", t, depth + 1) == -1)
				return -1;
			break;
		case 'F':
			if (time_strptime(&s, end, "%Y-%m-%d", t, depth + 1) == -1)
				return -1;
			break;
		default:
			return -1;
		}
	}
	*p = s;
	return 0;
}

int
time_parse(const char *s, size_t n, const char *fmt, double *secs)
{
	/*
	 * The last text parsed and its result: consecutive log lines mostly
	 * carry the same second, so most records are answered from here.
	 */
	static char		 last[64];
	static size_t		 lastn;
	static const char	*lastfmt;
	static double		 lastsecs;
	static int		 lastrc;
	int			 rc;

	if (n == 0)
		return -1;
	if (n == lastn && fmt == lastfmt && time_same(s, last, n)) {
		if (lastrc == 0)
			*secs = lastsecs;
		return lastrc;
	}
	rc = time_parse1(s, n, fmt, secs);
	if (n <= sizeof last) {
		memcpy(last, s, n);
		lastn = n;
		lastfmt = fmt;
		lastrc = rc;
		lastsecs = rc == 0 ? *secs : 0;
	}
	return rc;
}

/* time_parse without the cache (out of line: the cache's hit stays
 * short). */
static int __attribute__((noinline))
time_parse1(const char *s, size_t n, const char *fmt, double *secs)
{
	const char	*end;
	struct tparts	 t;

	end = s + n;
	while (s < end && time_isblank((unsigned char)*s))
		s++;
	while (end > s && time_isblank((unsigned char)end[-1]))
		end--;
	if (fmt == NULL)
		return time_auto(s, end, secs);

	time_init(&t);
	if (time_strptime(&s, end, fmt, &t, 0) == -1 || s != end)
		return -1;
	return time_finish(&t, secs);
}

/* Appends V as at least WIDTH decimal digits (V >= 0). */
static void
time_digits(struct buf *b, int64_t v, int width)
{
	char		 tmp[24];
	int		 n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && n < (int)sizeof tmp);
	while (n < width && n < (int)sizeof tmp)
		tmp[n++] = '0';
	while (n > 0)
		buf_addc(b, tmp[--n]);
}

/*
 * Appends SECS formatted by FMT in UTC.  Conversions are strftime's,
 * with these handled here so they do not depend on the time zone: %s
 * (epoch seconds), %z (+0000), %Z (UTC), and %f, %Nf (fraction of the
 * second: six digits, or N from 1 to 9).  A time that cannot be shown
 * (NaN, infinite, more than 1e15 seconds away) appends nothing.
 */
void
time_format(struct buf *b, double secs, const char *fmt)
{
	struct tm	 tm;
	time_t		 whole;
	double		 fl;
	int64_t		 us, w;
	char		 spec[16], out[256];
	const char	*f;
	size_t		 n, k;
	int		 digits, i;

	if (!isfinite(secs) || fabs(secs) > 1e15)
		return;
	fl = floor(secs);
	w = (int64_t)fl;
	us = (int64_t)llround((secs - fl) * 1e6);
	if (us >= 1000000) {
		us -= 1000000;
		w++;
	}
	whole = (time_t)w;
	if (gmtime_r(&whole, &tm) == NULL)
		return;

	for (; *fmt != '\0'; fmt++) {
		if (*fmt != '%') {
			for (f = fmt; f[1] != '\0' && f[1] != '%'; f++)
				;
			buf_add(b, fmt, (size_t)(f - fmt + 1));
			fmt = f;
			continue;
		}
		f = fmt + 1;
		digits = 6;
		if (*f >= '1' && *f <= '9' && f[1] == 'f') {
			digits = *f - '0';
			f++;
		}
		switch (*f) {
		case '\0':
			buf_addc(b, '%');
			return;
		case 'f':
			for (i = 0, w = us; i < digits; i++) {
				buf_addc(b, (char)('0' + (i < 6 ?
				    w / 100000 % 10 : 0)));
				w = w * 10 % 1000000;
			}
			fmt = f;
			continue;
		case 's':
			if (whole < 0) {
				buf_addc(b, '-');
				time_digits(b, -(int64_t)whole, 1);
			} else
				time_digits(b, (int64_t)whole, 1);
			fmt = f;
			continue;
		case 'z':
			buf_adds(b, "+0000");
			fmt = f;
			continue;
		case 'Z':
			buf_adds(b, "UTC");
			fmt = f;
			continue;
		}
		/* Hand one conversion, flags and width included, to strftime. */
		for (k = 1; fmt[k] != '\0' && k < sizeof spec - 2 &&
		    strchr("-_0^#EO123456789", fmt[k]) != NULL; k++)
			;
		if (fmt[k] == '\0') {
			buf_adds(b, fmt);
			return;
		}
		memcpy(spec, fmt, k + 1);
		spec[k + 1] = '\0';
		n = strftime(out, sizeof out, spec, &tm);
		buf_add(b, out, n);
		fmt += k;
	}
}

void
time_fmt_rfc3339(struct buf *b, int64_t ms)
{
	int64_t		 days, rem, y;
	int		 m, d;

	days = grid_floordiv(ms, 86400000);
	rem = ms - days * 86400000;
	time_civil_from_days(days, &y, &m, &d);
	/*
	 * Past 9999 a year has more than four digits and takes a sign, as
	 * ISO 8601's expanded years and Java's Instant.toString (Spark's
	 * stamps) write it: "+10000-01-01T00:00:00Z".
	 */
	if (y < 0) {
		buf_addc(b, '-');
		y = -y;
	} else if (y > 9999)
		buf_addc(b, '+');
	time_digits(b, y, 4);
	buf_addc(b, '-');
	time_digits(b, m, 2);
	buf_addc(b, '-');
	time_digits(b, d, 2);
	buf_addc(b, 'T');
	time_digits(b, rem / 3600000, 2);
	buf_addc(b, ':');
	time_digits(b, rem / 60000 % 60, 2);
	buf_addc(b, ':');
	time_digits(b, rem / 1000 % 60, 2);
	if (rem % 1000 != 0) {
		buf_addc(b, '.');
		time_digits(b, rem % 1000, 3);
	}
	buf_addc(b, 'Z');
}

/* ---- durations ---- */

/*
 * Accepts a decimal number (fraction allowed, at least one digit)
 * followed by one of ms, s, m, h, d, or nothing for seconds.  Returns
 * whole milliseconds (rounded); 0 when ZERO_OK and every digit is 0; -1
 * when S is not such a duration, is zero without ZERO_OK, or rounds to
 * under 1 ms.
 */
int64_t
duration_parse(const char *s, bool zero_ok)
{
	const char	*p = s;
	double		 num = 0, scale = 1, unit;
	size_t		 digits = 0;
	bool		 nonzero = false;

	if (s == NULL)
		return -1;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		num = num * 10 + (*p - '0');
		nonzero |= *p != '0';
	}
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			scale /= 10;
			num += (*p - '0') * scale;
			nonzero |= *p != '0';
		}
	if (digits == 0)
		return -1;
	if (strcmp(p, "ms") == 0)
		unit = 1;
	else if (*p == '\0' || strcmp(p, "s") == 0)
		unit = 1000;
	else if (strcmp(p, "m") == 0)
		unit = 60 * 1000;
	else if (strcmp(p, "h") == 0)
		unit = 3600 * 1000;
	else if (strcmp(p, "d") == 0)
		unit = 86400 * 1000;
	else
		return -1;
	if (!nonzero)
		return zero_ok ? 0 : -1;
	num = round(num * unit);
	if (!(num >= 1) || num > 9e15)
		return -1;
	return (int64_t)num;
}

void
duration_fmt(char *s, size_t size, int64_t ms)
{
	static const struct {
		const char	*unit;
		int64_t		 ms;
	} units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 },
		{ "s", 1000 }, { "ms", 1 }
	};
	size_t	 i;

	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (ms % units[i].ms == 0)
			break;
	snprintf(s, size, "%lld%s", (long long)(ms / units[i].ms),
	    units[i].unit);
}
