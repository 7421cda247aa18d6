/*
 * json.c - the JSON reader of --json records and json(): text straight
 * into arena values, in one pass, with no allocation but the arena's.
 *
 * A string without escapes is not copied: its value points into the
 * input, which the caller keeps alive as long as the value (the engine
 * keeps the line for the record's lifetime).  Strings with escapes are
 * decoded into the arena; \uXXXX escapes become UTF-8, surrogate pairs
 * joined, a lone surrogate replaced by U+FFFD (as jq does).  Bytes that
 * are not valid UTF-8 pass through unchanged, like every other string in
 * dstream.  Objects keep their members in input order, duplicates
 * included.  Integers that fit in int64 become ints, other numbers
 * doubles.  Anything else is an error with the byte (1-based) where it
 * was seen: raw control characters in strings, nesting deeper than 512,
 * text after the value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "expr.h"

#define JSON_MAX_DEPTH	512

struct json_parser {
	struct arena	*a;
	const char	*s;		/* start of the text */
	const char	*p;		/* next byte */
	const char	*end;
	const char	*err;
};

static char	 json_errbuf[128];

/* Bytes that end the fast scan of a string: '"', '\\' and controls. */
static const unsigned char json_special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

static int	json_value(struct json_parser *, struct value *, int);

/* Sets the error MSG at the current byte and returns -1. */
static int
json_error(struct json_parser *jp, const char *msg)
{
	if (jp->p >= jp->end)
		snprintf(json_errbuf, sizeof json_errbuf,
		    "unexpected end of input%s%s at byte %zu",
		    *msg != '\0' ? ", " : "", msg,
		    (size_t)(jp->end - jp->s) + 1);
	else
		snprintf(json_errbuf, sizeof json_errbuf, "%s at byte %zu",
		    msg, (size_t)(jp->p - jp->s) + 1);
	jp->err = json_errbuf;
	return -1;
}

static inline void
json_ws(struct json_parser *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' ||
	    *jp->p == '\n' || *jp->p == '\r'))
		jp->p++;
}

static int
json_hex4(const char *p)
{
	int		 v = 0, i, c;

	for (i = 0; i < 4; i++) {
		c = (unsigned char)p[i];
		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c -= 'a' - 10;
		else if (c >= 'A' && c <= 'F')
			c -= 'A' - 10;
		else
			return -1;
		v = v << 4 | c;
	}
	return v;
}

static char *
json_utf8(char *o, unsigned cp)
{
	if (cp < 0x80)
		*o++ = (char)cp;
	else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/*
 * Decodes the escaped string body at Q[0..n) (known to be well formed up
 * to its \u digits) into the arena.
 */
static int
json_unescape(struct json_parser *jp, const char *q, size_t n,
    struct value *out)
{
	const char	*e = q + n;
	char		*d, *o;
	int		 cp, lo;

	d = o = arena_alloc(jp->a, n ? n : 1);
	while (q < e) {
		if (*q != '\\') {
			*o++ = *q++;
			continue;
		}
		q++;
		switch (*q++) {
		case '"':	*o++ = '"'; break;
		case '\\':	*o++ = '\\'; break;
		case '/':	*o++ = '/'; break;
		case 'b':	*o++ = '\b'; break;
		case 'f':	*o++ = '\f'; break;
		case 'n':	*o++ = '\n'; break;
		case 'r':	*o++ = '\r'; break;
		case 't':	*o++ = '\t'; break;
		case 'u':
			if (e - q < 4 || (cp = json_hex4(q)) == -1) {
				jp->p = q - 2;
				return json_error(jp, "invalid \\u escape");
			}
			q += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && e - q >= 6 &&
			    q[0] == '\\' && q[1] == 'u' &&
			    (lo = json_hex4(q + 2)) >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				q += 6;
			} else if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd;
			o = json_utf8(o, (unsigned)cp);
			break;
		}
	}
	*out = value_str(d, (size_t)(o - d));
	return 0;
}

/* A string; jp->p is at its opening quote. */
static int
json_string(struct json_parser *jp, struct value *out)
{
	const char	*start = ++jp->p, *q = start, *end = jp->end;
	bool		 escaped = false;

	for (;;) {
		while (q < end && !json_special[(unsigned char)*q])
			q++;
		if (q >= end) {
			jp->p = q;
			return json_error(jp, "unterminated string");
		}
		if (*q == '"')
			break;
		if (*q != '\\') {
			jp->p = q;
			return json_error(jp, "control character in string");
		}
		escaped = true;
		if (q + 1 >= end) {
			jp->p = q + 1;
			return json_error(jp, "unterminated string");
		}
		if (strchr("\"\\/bfnrtu", q[1]) == NULL || q[1] == '\0') {
			jp->p = q;
			return json_error(jp, "invalid escape");
		}
		q += 2;
	}
	if ((size_t)(q - start) > UINT32_MAX) {
		jp->p = start;
		return json_error(jp, "string too long");
	}
	jp->p = q + 1;
	if (!escaped) {
		*out = value_str(start, (size_t)(q - start));
		return 0;
	}
	return json_unescape(jp, start, (size_t)(q - start), out);
}

/*
 * A number, as JSON's grammar has it.  Integers that fit in int64 are
 * ints; the rest go through strtod on a NUL-terminated copy.
 */
static int
json_number(struct json_parser *jp, struct value *out)
{
	const char	*p = jp->p, *start = p, *end = jp->end;
	char		 tmp[64], *copy;
	bool		 neg = false, isint = true;
	uint64_t	 u = 0;
	size_t		 len;
	int		 c;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (p >= end || *p < '0' || *p > '9') {
		jp->p = p;
		return json_error(jp, "expected a digit");
	}
	if (*p == '0')
		p++;
	else {
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			c = *p - '0';
			if (u > (UINT64_MAX - (uint64_t)c) / 10)
				isint = false;
			else
				u = u * 10 + (uint64_t)c;
		}
	}
	if (p < end && *p == '.') {
		isint = false;
		if (++p >= end || *p < '0' || *p > '9') {
			jp->p = p;
			return json_error(jp, "expected a digit after '.'");
		}
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		isint = false;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9') {
			jp->p = p;
			return json_error(jp, "expected a digit in the exponent");
		}
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	jp->p = p;
	if (isint) {
		/* "-0" stays the double -0.0, so it prints back as "-0". */
		if (!neg && u <= INT64_MAX) {
			*out = value_int((int64_t)u);
			return 0;
		}
		if (neg && u == 0) {
			*out = value_dbl(-0.0);
			return 0;
		}
		if (neg && u <= (uint64_t)INT64_MAX + 1) {
			*out = value_int(u == (uint64_t)INT64_MAX + 1 ?
			    INT64_MIN : -(int64_t)u);
			return 0;
		}
	}
	len = (size_t)(p - start);
	if (len < sizeof tmp) {
		memcpy(tmp, start, len);
		tmp[len] = '\0';
		copy = tmp;
	} else
		copy = arena_strndup(jp->a, start, len);
	*out = value_dbl(strtod(copy, NULL));
	return 0;
}

/* Matches the literal WORD (true, false, null) at jp->p. */
static int
json_word(struct json_parser *jp, const char *word, size_t len)
{
	if ((size_t)(jp->end - jp->p) < len || memcmp(jp->p, word, len) != 0)
		return json_error(jp, "invalid literal");
	jp->p += len;
	return 0;
}

/* Grows the element array *V (of *CAP values, N used) in the arena. */
static struct value *
json_grow(struct json_parser *jp, struct value *v, size_t n, size_t *cap)
{
	struct value	*nv;

	*cap = *cap ? *cap * 2 : 8;
	nv = arena_alloc(jp->a, *cap * sizeof *nv);
	if (n > 0)
		memcpy(nv, v, n * sizeof *nv);
	return nv;
}

/*
 * After an element of an array or an object closed by CLOSE: skips
 * white space and a ',' (returns 1: another element follows) or CLOSE
 * (returns 0: the end).  Anything else is an error (-1).
 */
static int
json_next(struct json_parser *jp, char close)
{
	json_ws(jp);
	if (jp->p < jp->end && *jp->p == ',') {
		jp->p++;
		return 1;
	}
	if (jp->p < jp->end && *jp->p == close) {
		jp->p++;
		return 0;
	}
	return json_error(jp, close == ']' ? "expected ',' or ']'" :
	    "expected ',' or '}'");
}

/* An array; jp->p is at '['. */
static int
json_array(struct json_parser *jp, struct value *out, int depth)
{
	struct value	*el = NULL;
	size_t		 n = 0, cap = 0;
	int		 more;

	jp->p++;
	json_ws(jp);
	if (jp->p < jp->end && *jp->p == ']') {
		jp->p++;
		out->type = V_ARR;
		out->n = 0;
		out->u.a = NULL;
		return 0;
	}
	for (;;) {
		if (n == cap) {
			if (n >= UINT32_MAX)
				return json_error(jp, "array too long");
			el = json_grow(jp, el, n, &cap);
		}
		if (json_value(jp, &el[n], depth + 1) == -1)
			return -1;
		n++;
		if ((more = json_next(jp, ']')) != 1) {
			if (more == -1)
				return -1;
			break;
		}
	}
	out->type = V_ARR;
	out->n = (uint32_t)n;
	out->u.a = el;
	return 0;
}

/* An object; jp->p is at '{'. */
static int
json_object(struct json_parser *jp, struct value *out, int depth)
{
	struct value	*kv = NULL;
	size_t		 n = 0, cap = 0;
	int		 more;

	jp->p++;
	json_ws(jp);
	if (jp->p < jp->end && *jp->p == '}') {
		jp->p++;
		out->type = V_OBJ;
		out->n = 0;
		out->u.kv = NULL;
		return 0;
	}
	for (;;) {
		if (2 * n + 2 > cap) {
			if (n >= UINT32_MAX)
				return json_error(jp, "object too long");
			kv = json_grow(jp, kv, 2 * n, &cap);
		}
		json_ws(jp);
		if (jp->p >= jp->end || *jp->p != '"')
			return json_error(jp, "expected a string key");
		if (json_string(jp, &kv[2 * n]) == -1)
			return -1;
		json_ws(jp);
		if (jp->p >= jp->end || *jp->p != ':')
			return json_error(jp, "expected ':'");
		jp->p++;
		if (json_value(jp, &kv[2 * n + 1], depth + 1) == -1)
			return -1;
		n++;
		if ((more = json_next(jp, '}')) != 1) {
			if (more == -1)
				return -1;
			break;
		}
	}
	out->type = V_OBJ;
	out->n = (uint32_t)n;
	out->u.kv = kv;
	return 0;
}

/* Any value, after optional white space. */
static int
json_value(struct json_parser *jp, struct value *out, int depth)
{
	json_ws(jp);
	if (jp->p >= jp->end)
		return json_error(jp, "expected a value");
	switch (*jp->p) {
	case '"':
		return json_string(jp, out);
	case '{':
		if (depth >= JSON_MAX_DEPTH)
			return json_error(jp, "nested deeper than 512 levels");
		return json_object(jp, out, depth);
	case '[':
		if (depth >= JSON_MAX_DEPTH)
			return json_error(jp, "nested deeper than 512 levels");
		return json_array(jp, out, depth);
	case 't':
		*out = value_bool(true);
		return json_word(jp, "true", 4);
	case 'f':
		*out = value_bool(false);
		return json_word(jp, "false", 5);
	case 'n':
		*out = value_null();
		return json_word(jp, "null", 4);
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return json_number(jp, out);
	default:
		return json_error(jp, "expected a value");
	}
}

int
json_parse(struct arena *a, const char *s, size_t n, struct value *out,
    const char **err)
{
	struct json_parser jp;

	if (n == 0)
		s = "";
	jp.a = a;
	jp.s = jp.p = s;
	jp.end = s + n;
	jp.err = NULL;
	/* A UTF-8 byte order mark is ignored. */
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		jp.p += 3;
	if (json_value(&jp, out, 0) == -1)
		goto fail;
	json_ws(&jp);
	if (jp.p != jp.end) {
		json_error(&jp, "unexpected text after the value");
		goto fail;
	}
	return 0;

fail:
	*out = value_null();
	*err = jp.err;
	return -1;
}
