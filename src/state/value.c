/*
 * value.c - the record value: construction, deep copies, the total order,
 * hashing, the awk-like numeric view and the text forms (plain, JSON).
 *
 * Values never own memory; everything value_copy builds lives in the
 * arena it is given.  The order, equality and hash agree with each
 * other: numbers compare by value, so int 2 and double 2.0 are one key.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Inlined: keys are short, and a call per hash shows in profiles. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../dstream.h"
#include "value.h"

#define VALUE_ALIGN(n)	(((n) + 15) & ~(size_t)15)

struct value
value_tuple(struct arena *a, uint32_t n)
{
	struct value	v = { V_TUPLE, n, { 0 } };

	if (n != 0) {
		v.u.a = arena_alloc(a, n * sizeof *v.u.a);
		memset(v.u.a, 0, n * sizeof *v.u.a);
	}
	return v;
}

struct value
value_pair(struct arena *a, struct value k, struct value val)
{
	struct value	v = value_tuple(a, 2);

	v.u.a[0] = k;
	v.u.a[1] = val;
	return v;
}

struct value
value_array(struct arena *a, uint32_t n)
{
	struct value	v = value_tuple(a, n);

	v.type = V_ARR;
	return v;
}

/*
 * Copies the memory behind SRC (not SRC itself) into A and rewrites the
 * pointers of *DST, which is a shallow copy of SRC.
 */
static void
value_copy_into(struct arena *a, struct value *dst, const struct value *src)
{
	size_t	 i, n;

	switch (src->type) {
	case V_STR:
		if (src->n == 0) {
			dst->u.s = "";
			break;
		}
		dst->u.s = memcpy(arena_alloc(a, src->n), src->u.s, src->n);
		break;
	case V_TUPLE:
	case V_ARR:
	case V_OBJ:
		n = src->type == V_OBJ ? 2 * (size_t)src->n : src->n;
		if (n == 0) {
			dst->u.a = NULL;
			break;
		}
		dst->u.a = arena_alloc(a, n * sizeof *dst->u.a);
		for (i = 0; i < n; i++) {
			dst->u.a[i] = src->u.a[i];
			value_copy_into(a, &dst->u.a[i], &src->u.a[i]);
		}
		break;
	default:
		break;
	}
}

struct value
value_copy(struct arena *a, const struct value *src)
{
	struct value	v = *src;

	value_copy_into(a, &v, src);
	return v;
}

size_t
value_size(const struct value *v)
{
	size_t	 i, n, size;

	switch (v->type) {
	case V_STR:
		return v->n == 0 ? 0 : VALUE_ALIGN((size_t)v->n);
	case V_TUPLE:
	case V_ARR:
	case V_OBJ:
		n = v->type == V_OBJ ? 2 * (size_t)v->n : v->n;
		if (n == 0)
			return 0;
		size = VALUE_ALIGN(n * sizeof *v->u.a);
		for (i = 0; i < n; i++)
			size += value_size(&v->u.a[i]);
		return size;
	default:
		return 0;
	}
}

/* The rank of a type in the total order; numbers share one rank. */
static int
value_rank(const struct value *v)
{
	switch (v->type) {
	case V_NULL:
		return 0;
	case V_BOOL:
		return 1;
	case V_INT:
	case V_DBL:
		return 2;
	case V_STR:
		return 3;
	case V_TUPLE:
		return 4;
	case V_ARR:
		return 5;
	default:
		return 6;
	}
}

/*
 * Compares int I with double D exactly (no rounding of large ints).
 * NaN sorts below every other number.
 */
static int
value_cmp_int_dbl(int64_t i, double d)
{
	double	 t;
	int64_t	 ti;

	if (isnan(d))
		return 1;
	if (d >= 9223372036854775808.0)
		return -1;
	if (d < -9223372036854775808.0)
		return 1;
	t = trunc(d);
	ti = (int64_t)t;
	if (i != ti)
		return i < ti ? -1 : 1;
	if (d > t)
		return -1;
	if (d < t)
		return 1;
	return 0;
}

static int
value_cmp_num(const struct value *a, const struct value *b)
{
	if (a->type == V_INT && b->type == V_INT)
		return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
	if (a->type == V_INT)
		return value_cmp_int_dbl(a->u.i, b->u.d);
	if (b->type == V_INT)
		return -value_cmp_int_dbl(b->u.i, a->u.d);
	if (isnan(a->u.d) || isnan(b->u.d))
		return isnan(b->u.d) - isnan(a->u.d);
	return a->u.d < b->u.d ? -1 : a->u.d > b->u.d;
}

static int
value_cmp_str(const char *a, size_t an, const char *b, size_t bn)
{
	int	 c;

	c = memcmp(a, b, an < bn ? an : bn);
	if (c != 0)
		return c < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

int
value_cmp(const struct value *a, const struct value *b)
{
	int	 ra = value_rank(a), rb = value_rank(b), c;
	size_t	 i, n, an, bn;

	if (ra != rb)
		return ra < rb ? -1 : 1;
	switch (a->type) {
	case V_NULL:
		return 0;
	case V_BOOL:
		return (int)a->u.b - (int)b->u.b;
	case V_INT:
	case V_DBL:
		return value_cmp_num(a, b);
	case V_STR:
		return value_cmp_str(a->u.s, a->n, b->u.s, b->n);
	default:
		an = a->type == V_OBJ ? 2 * (size_t)a->n : a->n;
		bn = b->type == V_OBJ ? 2 * (size_t)b->n : b->n;
		n = an < bn ? an : bn;
		for (i = 0; i < n; i++)
			if ((c = value_cmp(&a->u.a[i], &b->u.a[i])) != 0)
				return c;
		return an < bn ? -1 : an > bn;
	}
}

bool
value_eq(const struct value *a, const struct value *b)
{
	if (a->type == V_STR && b->type == V_STR)
		return a->n == b->n && (a->n == 0 ||
		    memcmp(a->u.s, b->u.s, a->n) == 0);
	if (a->type == V_INT && b->type == V_INT)
		return a->u.i == b->u.i;
	return value_cmp(a, b) == 0;
}

/* Seeds keep the types apart: "1" and 1 and [1] hash differently. */
enum { HSEED_NULL = 1, HSEED_BOOL, HSEED_NUM, HSEED_STR, HSEED_TUPLE,
    HSEED_ARR, HSEED_OBJ };

uint64_t
value_hash(const struct value *v)
{
	uint64_t	 h, buf[2];
	size_t		 i, n;
	double		 d;
	int64_t		 i64;

	switch (v->type) {
	case V_NULL:
		return XXH3_64bits_withSeed(NULL, 0, HSEED_NULL);
	case V_BOOL:
		buf[0] = v->u.b;
		return XXH3_64bits_withSeed(buf, 8, HSEED_BOOL);
	case V_INT:
		i64 = v->u.i;
		return XXH3_64bits_withSeed(&i64, 8, HSEED_NUM);
	case V_DBL:
		d = v->u.d;
		if (isnan(d))
			d = NAN;
		else if (d >= -9223372036854775808.0 &&
		    d < 9223372036854775808.0 && d == trunc(d)) {
			/* Integral: hash as the int it equals. */
			i64 = (int64_t)d;
			return XXH3_64bits_withSeed(&i64, 8, HSEED_NUM);
		}
		memcpy(&buf[0], &d, 8);
		return XXH3_64bits_withSeed(buf, 8, HSEED_NUM);
	case V_STR:
		return XXH3_64bits_withSeed(v->u.s, v->n, HSEED_STR);
	default:
		n = v->type == V_OBJ ? 2 * (size_t)v->n : v->n;
		h = v->type == V_TUPLE ? HSEED_TUPLE :
		    v->type == V_ARR ? HSEED_ARR : HSEED_OBJ;
		for (i = 0; i < n; i++) {
			buf[0] = h;
			buf[1] = value_hash(&v->u.a[i]);
			h = XXH3_64bits(buf, sizeof buf);
		}
		return h;
	}
}

bool
value_truthy(const struct value *v)
{
	switch (v->type) {
	case V_NULL:
		return false;
	case V_BOOL:
		return v->u.b;
	case V_INT:
		return v->u.i != 0;
	case V_DBL:
		return v->u.d != 0 && !isnan(v->u.d);
	case V_STR:
		return v->n != 0;
	default:
		return true;
	}
}

static bool
value_isblank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f' || c == '\v';
}

/*
 * Accepts [blanks][+-]digits[.digits][(e|E)[+-]digits][blanks] with at
 * least one mantissa digit, as awk's idea of a numeric string.  Plain
 * integers that fit in int64 become V_INT; everything else a double.
 */
bool
value_parse_num(const char *s, size_t n, struct value *out)
{
	const char	*p = s, *end = s + n, *start, *numend;
	bool		 neg = false, isint = true;
	uint64_t	 u = 0;
	size_t		 digits = 0;
	char		 small[128], *tmp;
	double		 d;

	while (p < end && value_isblank((unsigned char)*p))
		p++;
	while (end > p && value_isblank((unsigned char)end[-1]))
		end--;
	start = p;
	if (p < end && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (u > (UINT64_MAX - 9) / 10)
			isint = false;
		else
			u = u * 10 + (uint64_t)(*p - '0');
		digits++;
	}
	if (p < end && *p == '.') {
		isint = false;
		for (p++; p < end && *p >= '0' && *p <= '9'; p++)
			digits++;
	}
	if (digits == 0)
		return false;
	if (p < end && (*p == 'e' || *p == 'E')) {
		isint = false;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || *p < '0' || *p > '9')
			return false;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p != end)
		return false;
	numend = end;

	if (isint) {
		if (!neg && u <= INT64_MAX) {
			*out = value_int((int64_t)u);
			return true;
		}
		if (neg && u <= (uint64_t)INT64_MAX + 1) {
			*out = value_int(u == (uint64_t)INT64_MAX + 1 ?
			    INT64_MIN : -(int64_t)u);
			return true;
		}
	}
	n = (size_t)(numend - start);
	tmp = n < sizeof small ? small : xmalloc(n + 1);
	memcpy(tmp, start, n);
	tmp[n] = '\0';
	d = strtod(tmp, NULL);
	if (tmp != small)
		free(tmp);
	*out = value_dbl(d);
	return true;
}

bool
value_to_num(const struct value *v, struct value *out)
{
	switch (v->type) {
	case V_INT:
	case V_DBL:
		*out = *v;
		return true;
	case V_BOOL:
		*out = value_int(v->u.b);
		return true;
	case V_STR:
		return value_parse_num(v->u.s, v->n, out);
	default:
		return false;
	}
}

double
value_as_dbl(const struct value *v)
{
	struct value	 n;

	if (v->type == V_DBL)
		return v->u.d;
	if (v->type == V_INT)
		return (double)v->u.i;
	if (value_to_num(v, &n))
		return n.type == V_INT ? (double)n.u.i : n.u.d;
	return NAN;
}

void
value_fmt_dbl(struct buf *b, double d)
{
	char	 tmp[40];
	int	 prec;

	if (isnan(d)) {
		buf_add(b, "nan", 3);
		return;
	}
	if (isinf(d)) {
		buf_adds(b, d < 0 ? "-inf" : "inf");
		return;
	}
	if (d == trunc(d) && fabs(d) < 1e15) {
		buf_printf(b, "%.0f", d);
		return;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	if (prec == 17)
		snprintf(tmp, sizeof tmp, "%.17g", d);
	buf_adds(b, tmp);
}

/* "00" to "99": two digits a division. */
static const char value_pairs[200] =
    "00010203040506070809101112131415161718192021222324252627282930"
    "31323334353637383940414243444546474849505152535455565758596061"
    "62636465666768697071727374757677787980818283848586878889909192"
    "93949596979899";

/* The number of decimal digits of U (1 for 0). */
static inline size_t
value_ndigits(uint64_t u)
{
	static const uint64_t	 pow10[20] = {
		UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000),
		UINT64_C(10000), UINT64_C(100000), UINT64_C(1000000),
		UINT64_C(10000000), UINT64_C(100000000),
		UINT64_C(1000000000), UINT64_C(10000000000),
		UINT64_C(100000000000), UINT64_C(1000000000000),
		UINT64_C(10000000000000), UINT64_C(100000000000000),
		UINT64_C(1000000000000000), UINT64_C(10000000000000000),
		UINT64_C(100000000000000000), UINT64_C(1000000000000000000),
		UINT64_C(10000000000000000000)
	};
	/* log10 of the highest bit (1233 / 4096 ~ log10(2)), then one
	 * more when U reaches the next power of ten. */
	uint64_t v = u | 1;
	size_t	 t = ((size_t)(64 - __builtin_clzll(v)) * 1233) >> 12;

	return t + (v >= pow10[t]);
}

/*
 * Writes I in decimal at P, which has room for 20 bytes, and returns
 * the end (no NUL).  Inline: every integer dstream prints comes here,
 * a sliding window's rows by the million.
 */
static inline char *
value_put_int(char *p, int64_t i)
{
	uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i, q;
	uint32_t v, w;
	char	*end;

	if (i < 0)
		*p++ = '-';
	end = p + value_ndigits(u);
	p = end;
	/* From the last digit back, two a division (by a multiply). */
	while (u > UINT32_MAX) {
		q = u / 100;
		p -= 2;
		memcpy(p, value_pairs + (u - q * 100) * 2, 2);
		u = q;
	}
	/* The rest in 32 bits, whose division by 100 costs less. */
	for (v = (uint32_t)u; v >= 100; v = w) {
		w = v / 100;
		p -= 2;
		memcpy(p, value_pairs + (v - w * 100) * 2, 2);
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, value_pairs + v * 2, 2);
	} else
		*--p = (char)('0' + v);
	return end;
}

static void
value_fmt_int(struct buf *b, int64_t i)
{
	/* 20 bytes at most: 19 digits and a sign, or 20 digits. */
	if (b->len + 21 > b->cap)
		buf_grow(b, 20);
	b->len = (size_t)(value_put_int(b->p + b->len, i) - b->p);
	b->p[b->len] = '\0';
}

/*
 * The length of the well-formed UTF-8 sequence starting S[0..n), whose
 * first byte is >= 0x80: 2 to 4, or 0 when it is none (RFC 3629: no
 * overlong form, no surrogate, nothing past U+10FFFF, none cut short).
 */
static size_t
value_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char	 c = s[0], lo = 0x80, hi = 0xbf;
	size_t		 len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Appends S[0..n) as a JSON string.  JSON text is UTF-8 (RFC 8259): a
 * byte that is not part of a well-formed UTF-8 sequence (a Latin-1
 * log line, a cut character) becomes U+FFFD, as jq writes it, so that
 * every JSON reader accepts the line.
 */
static inline void
value_fmt_json_str(struct buf *b, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	static const char	 plain[] = "\"\\\n\t\r\b\f";
	static const char	 letter[] = "\"\\ntrbf";
	const char		*e;
	size_t			 i, run = 0, len;
	unsigned char		 c;
	char			 esc[6], *d;

	if (b->len + n + 3 > b->cap)
		buf_grow(b, n + 2);
	/*
	 * Most strings need no escape: copied as they are looked at, into
	 * the room made above, and done; one that needs an escape is
	 * written again below (what was copied is past b->len, ignored).
	 */
	d = b->p + b->len + 1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80)
			break;
		d[i] = (char)c;
	}
	if (i == n) {
		d[-1] = '"';
		d[n] = '"';
		d[n + 1] = '\0';
		b->len += n + 2;
		return;
	}
	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x80) {
			len = value_utf8_len((const unsigned char *)s + i,
			    n - i);
			if (len != 0) {
				i += len - 1;
				continue;
			}
			buf_add(b, s + run, i - run);
			run = i + 1;
			buf_add(b, "\xef\xbf\xbd", 3);	/* U+FFFD */
			continue;
		}
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, s + run, i - run);
		run = i + 1;
		/* The two-character escapes JSON has; \u00XX for the rest. */
		if ((e = memchr(plain, c, sizeof plain - 1)) != NULL) {
			esc[0] = '\\';
			esc[1] = letter[e - plain];
			buf_add(b, esc, 2);
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			buf_add(b, esc, 6);
		}
	}
	buf_add(b, s + run, n - run);
	buf_addc(b, '"');
}

void
value_fmt_json(struct buf *b, const struct value *v)
{
	const struct value	*e;
	uint32_t		 i;

	switch (v->type) {
	case V_NULL:
		buf_add(b, "null", 4);
		break;
	case V_BOOL:
		buf_adds(b, v->u.b ? "true" : "false");
		break;
	case V_INT:
		value_fmt_int(b, v->u.i);
		break;
	case V_DBL:
		if (isnan(v->u.d) || isinf(v->u.d))
			buf_add(b, "null", 4);
		else
			value_fmt_dbl(b, v->u.d);
		break;
	case V_STR:
		value_fmt_json_str(b, v->u.s, v->n);
		break;
	case V_TUPLE:
	case V_ARR:
		buf_addc(b, '[');
		for (i = 0; i < v->n; i++) {
			if (i != 0)
				buf_addc(b, ',');
			/* The usual elements without a call of their own
			 * (a join's (v, w) a row, say). */
			e = &v->u.a[i];
			if (e->type == V_STR)
				value_fmt_json_str(b, e->u.s, e->n);
			else if (e->type == V_INT)
				value_fmt_int(b, e->u.i);
			else
				value_fmt_json(b, e);
		}
		buf_addc(b, ']');
		break;
	case V_OBJ:
		buf_addc(b, '{');
		for (i = 0; i < v->n; i++) {
			if (i != 0)
				buf_addc(b, ',');
			value_fmt_json(b, &v->u.kv[2 * i]);
			buf_addc(b, ':');
			value_fmt_json(b, &v->u.kv[2 * i + 1]);
		}
		buf_addc(b, '}');
		break;
	}
}

/* Plain form of a scalar; compound values as compact JSON. */
static void
value_fmt_scalar(struct buf *b, const struct value *v)
{
	switch (v->type) {
	case V_NULL:
		break;
	case V_BOOL:
		buf_adds(b, v->u.b ? "true" : "false");
		break;
	case V_INT:
		value_fmt_int(b, v->u.i);
		break;
	case V_DBL:
		value_fmt_dbl(b, v->u.d);
		break;
	case V_STR:
		buf_add(b, v->u.s, v->n);
		break;
	default:
		value_fmt_json(b, v);
		break;
	}
}


/* The bytes a string or an integer takes at most in plain form, or 0 for any other value. */
static inline size_t
value_flat_size(const struct value *v)
{
	if (v->type == V_STR)
		return v->n + 1;	/* and no more: 1 keeps 0 for "other" */
	return v->type == V_INT ? 20 : 0;
}

/*
 * A tuple or array a row's pair holds (a join's (v, w), say) is written
 * at once when it has at most VALUE_FLAT_TUPLE elements, each a string
 * of at most VALUE_FLAT_STR bytes that needs no escape, an integer or
 * null: VALUE_FLAT_ROOM bytes at most.
 */
#define VALUE_FLAT_TUPLE	4
#define VALUE_FLAT_STR		64
#define VALUE_FLAT_ROOM		(2 + VALUE_FLAT_TUPLE * (VALUE_FLAT_STR + 3))

/*
 * The bytes the element V of a row's pair takes at most in plain form:
 * value_flat_size's, or VALUE_FLAT_ROOM for a tuple or array (which
 * value_put_flat_json may yet refuse).  0 for any other value.
 */
static inline size_t
value_elem_size(const struct value *v)
{
	if (v->type == V_TUPLE || v->type == V_ARR)
		return VALUE_FLAT_ROOM;
	return value_flat_size(v);
}

/* The bytes a JSON string escapes: below 0x20, '"' and '\\'. */
static const unsigned char value_json_esc[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1,
	[0x05] = 1, [0x06] = 1, [0x07] = 1, [0x08] = 1, [0x09] = 1,
	[0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1, [0x0e] = 1,
	[0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1,
	[0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1,
	[0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1,
	[0x1e] = 1, [0x1f] = 1, ['"'] = 1, ['\\'] = 1
};

/* Whether any byte of X is below 0x20, a double quote, a backslash
 * (the bytes a JSON string escapes: three of Mycroft's zero-byte tests)
 * or >= 0x80 (UTF-8, checked by value_fmt_json_str). */
static inline bool
value_json_esc8(uint64_t x)
{
	const uint64_t	 ones = UINT64_C(0x0101010101010101);
	const uint64_t	 high = UINT64_C(0x8080808080808080);
	uint64_t	 q = x ^ ones * '"', bs = x ^ ones * '\\';

	return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
	    ((bs - ones) & ~bs) | x) & high;
}

/*
 * Whether S[0..n) needs no escape in a JSON string, eight bytes a test
 * (short strings in one: overlapping loads, read within S only).
 */
static inline bool
value_json_plain(const char *s, size_t n)
{
	uint32_t	 a, b;
	uint64_t	 x;
	size_t		 i;

	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8) {
			memcpy(&x, s + i, 8);
			if (value_json_esc8(x))
				return false;
		}
		memcpy(&x, s + n - 8, 8);
		return !value_json_esc8(x);
	}
	if (n >= 4) {
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		return !value_json_esc8((uint64_t)a | (uint64_t)b << 32);
	}
	if (n == 0)
		return true;
	/* One to three bytes, the first repeated to fill the word. */
	x = (unsigned char)s[0] * UINT64_C(0x0101010101010101);
	x = (x << 16) | (uint64_t)(unsigned char)s[n / 2] << 8 |
	    (unsigned char)s[n - 1];
	return !value_json_esc8(x);
}

/*
 * Writes the tuple or array V at P (VALUE_FLAT_ROOM bytes of room) as
 * compact JSON, as value_fmt_json would, and returns the end; returns
 * NULL when it is not one VALUE_FLAT_ROOM describes (too many elements,
 * a long string or one that needs an escape, another type), what was
 * written to be ignored: value_fmt_json writes it then.
 */
static inline char *
value_put_flat_json(char *p, const struct value *v)
{
	const struct value	*e = v->u.a, *end = e + v->n;
	const unsigned char	*s;
	unsigned char		 c0, c1, c2;
	uint32_t		 n;

	if (v->n > VALUE_FLAT_TUPLE)
		return NULL;
	*p++ = '[';
	for (; e < end; e++) {
		if (e != v->u.a)
			*p++ = ',';
		if (e->type == V_INT) {
			p = value_put_int(p, e->u.i);
			continue;
		}
		if (e->type == V_NULL) {
			memcpy(p, "null", 4);
			p += 4;
			continue;
		}
		/* Read before anything is written: a store through P may
		 * alias E, and would have it read again. */
		n = e->n;
		s = (const unsigned char *)e->u.s;
		if (e->type != V_STR || n > VALUE_FLAT_STR)
			return NULL;
		if (n < 4) {
			/* A code: its first, middle and last bytes are all
			 * of it. */
			if (n > 0) {
				c0 = s[0];
				c1 = s[n / 2];
				c2 = s[n - 1];
				if (value_json_esc[c0] | value_json_esc[c1] |
				    value_json_esc[c2] | ((c0 | c1 | c2) & 0x80))
					return NULL;
				p[1] = (char)c0;
				p[1 + n / 2] = (char)c1;
				p[n] = (char)c2;
			}
		} else {
			if (!value_json_plain((const char *)s, n))
				return NULL;
			buf_put_bytes(p + 1, (const char *)s, n);
		}
		p[0] = '"';
		p[n + 1] = '"';
		p += n + 2;
	}
	*p++ = ']';
	return p;
}

/* Writes string or integer V in plain form at P (value_flat_size room); returns the end. */
static inline char *
value_put_flat(char *p, const struct value *v)
{
	if (v->type == V_STR) {
		buf_put_bytes(p, v->u.s, v->n);
		return p + v->n;
	}
	return value_put_int(p, v->u.i);
}

void
value_fmt_plain(struct buf *b, const struct value *v)
{
	uint32_t	 i;

	if (v->type != V_TUPLE) {
		value_fmt_scalar(b, v);
		return;
	}
	for (i = 0; i < v->n; i++) {
		if (i != 0)
			buf_addc(b, '\t');
		value_fmt_scalar(b, &v->u.a[i]);
	}
}

/*
 * value_fmt_line for the rows that are not a string, an integer or a
 * pair of them: a pair with a short tuple of them (a join's (key, (v,
 * w))) written at once, with one room check; anything else, or a string
 * in it that needs an escape, as value_fmt_plain writes it.  Out of
 * line, so that the common rows' path stays as short as it was.
 */
static __attribute__((noinline)) void
value_fmt_line_other(struct buf *b, const char *pre, size_t npre,
    const struct value *v)
{
	const struct value	*e;
	size_t			 n0, n1, k;
	char			*p;

	if (v->type != V_TUPLE || v->n != 2)
		goto slow;
	e = v->u.a;
	if ((n0 = value_elem_size(&e[0])) == 0 ||
	    (n1 = value_elem_size(&e[1])) == 0)
		goto slow;
	if (b->len + npre + n0 + n1 + 4 > b->cap)
		buf_grow(b, npre + n0 + n1 + 4);
	p = b->p + b->len;
	buf_put_bytes(p, pre, npre);
	p += npre;
	for (k = 0; k < 2; k++) {
		if (k != 0)
			*p++ = '\t';
		if (e[k].type == V_STR || e[k].type == V_INT)
			p = value_put_flat(p, &e[k]);
		else if ((p = value_put_flat_json(p, &e[k])) == NULL)
			goto slow;
	}
	*p++ = '\n';
	*p = '\0';
	b->len = (size_t)(p - b->p);
	return;

slow:
	/* Nothing of it was committed (b->len unchanged). */
	buf_add(b, pre, npre);
	value_fmt_plain(b, v);
	buf_addc(b, '\n');
}

void
value_fmt_line(struct buf *b, const char *pre, size_t npre,
    const struct value *v)
{
	const struct value	*e = v;
	size_t			 n0, n1 = 1, need;
	char			*p;

	/*
	 * The common rows, a string or an integer or a pair of them (a key
	 * and its count or sum), with one room check for the whole line
	 * and no NUL between its pieces.
	 */
	if (v->type == V_TUPLE && v->n == 2) {
		e = v->u.a;
		n1 = value_flat_size(&e[1]);
	}
	if ((n0 = value_flat_size(&e[0])) == 0 || n1 == 0) {
		value_fmt_line_other(b, pre, npre, v);
		return;
	}
	need = npre + n0 + n1 + 4;	/* a tab, the newline, the NUL */
	if (b->len + need > b->cap)
		buf_grow(b, need);
	p = b->p + b->len;
	buf_put_bytes(p, pre, npre);
	p = value_put_flat(p + npre, &e[0]);
	if (e != v) {
		*p++ = '\t';
		p = value_put_flat(p, &e[1]);
	}
	*p++ = '\n';
	*p = '\0';
	b->len = (size_t)(p - b->p);
}

const char *
value_type_name(const struct value *v)
{
	switch (v->type) {
	case V_NULL:
		return "null";
	case V_BOOL:
		return "boolean";
	case V_INT:
	case V_DBL:
		return "number";
	case V_STR:
		return "string";
	case V_TUPLE:
		return "tuple";
	case V_ARR:
		return "array";
	default:
		return "object";
	}
}

const struct value *
value_obj_get(const struct value *o, const char *key, size_t klen)
{
	uint32_t		 i;
	const struct value	*k;

	if (o->type != V_OBJ)
		return NULL;
	for (i = 0; i < o->n; i++) {
		k = &o->u.kv[2 * i];
		if (k->n == klen && (klen == 0 || memcmp(k->u.s, key, klen) == 0))
			return &o->u.kv[2 * i + 1];
	}
	return NULL;
}
