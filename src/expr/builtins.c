/*
 * builtins.c - the functions an expression can call, in one table: name,
 * arity range, flags, C function.  The parser resolves names and checks
 * arity here; eval.c calls the function with its evaluated arguments.
 *
 * Conventions every builtin keeps:
 *
 *  - Text is UTF-8 where it is valid: len, substr, lower, upper, split
 *    with an empty separator and indexing count code points.  Text that
 *    is not valid UTF-8 is counted and cut in bytes, so nothing fails on
 *    binary input.  lower and upper map every code point the C.UTF-8
 *    locale knows (ASCII only when that locale is missing).
 *  - null in, null out: a builtin that transforms one value (lower,
 *    substr, int, round, time, json, clf, ...) returns null for null, so
 *    a missing field or member flows through without an error.
 *    Predicates (contains, startswith, endswith, has) are false for null.
 *  - Numbers as text: where a string is expected, a number is taken as
 *    its shortest text; where a number is expected, a string that looks
 *    like one is that number (as awk).
 *  - Anything else of the wrong type (substr of an object, abs of "abc")
 *    is a per-record error naming the builtin and showing the value:
 *    "substr: not a string: {"a":1}".  num() is the lenient conversion:
 *    it gives null instead.
 *  - A string pattern is literal text in split, replace and contains; a
 *    /regex/ literal (or match, whose string pattern is a regex) is
 *    PCRE2.  replace's replacement may refer to groups as $0..$9 ($$ is
 *    a dollar sign).
 *  - min, max, sum and avg take their arguments, or the elements of a
 *    single array argument, and skip nulls; min and max compare as the
 *    comparison operators do (numeric strings numerically).
 */
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wctype.h>

#include "expr_int.h"

/* ---- helpers ---- */

/* Text of string or number V, else an error naming WHO. */
static int
bi_text(struct expr_ctx *ctx, const char *who, const struct value *v,
    const char **s, size_t *n)
{
	if (v->type != V_STR && !value_is_num(v))
		return expr_failv(ctx, v, "%s: not a string", who);
	expr_text(ctx, v, s, n);
	return 0;
}

/* A number from number or numeric string V, else an error naming WHO. */
static int
bi_num(struct expr_ctx *ctx, const char *who, const struct value *v,
    struct value *out)
{
	if (v->type == V_BOOL || !value_to_num(v, out))
		return expr_failv(ctx, v, "%s: not a number", who);
	return 0;
}

/* An integer argument (doubles truncated toward zero, clamped). */
static int
bi_int(struct expr_ctx *ctx, const char *who, const struct value *v,
    int64_t *out)
{
	struct value	 num;

	if (bi_num(ctx, who, v, &num) == -1)
		return -1;
	if (num.type == V_INT)
		*out = num.u.i;
	else if (isnan(num.u.d))
		return expr_failv(ctx, v, "%s: not a number", who);
	else if (num.u.d >= 9e18)
		*out = INT64_C(9000000000000000000);
	else if (num.u.d <= -9e18)
		*out = -INT64_C(9000000000000000000);
	else
		*out = (int64_t)num.u.d;
	return 0;
}

/* An integral double as an int when it fits, else the double. */
static struct value
bi_intval(double d)
{
	if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 &&
	    d == trunc(d))
		return value_int((int64_t)d);
	return value_dbl(d);
}

/* Length of the UTF-8 sequence led by byte C (1 for a stray byte). */
static size_t
utf8_seqlen(unsigned char c)
{
	if (c < 0xc0)
		return 1;
	if (c < 0xe0)
		return 2;
	if (c < 0xf0)
		return 3;
	return 4;
}

/*
 * Decodes one code point at S (N bytes left) into *CP.  Returns its
 * length, or 0 when the bytes are not valid UTF-8.
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t	 c = s[0];
	size_t		 len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xc2 || c > 0xf4)
		return 0;
	len = utf8_seqlen((unsigned char)c);
	if (len > n)
		return 0;
	c &= len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c < 0xe000))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return len;
}

static void
utf8_encode(struct buf *b, uint32_t cp)
{
	char	 t[4];

	if (cp < 0x80) {
		buf_addc(b, (int)cp);
		return;
	}
	if (cp < 0x800) {
		t[0] = (char)(0xc0 | (cp >> 6));
		t[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, t, 2);
	} else if (cp < 0x10000) {
		t[0] = (char)(0xe0 | (cp >> 12));
		t[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		t[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, t, 3);
	} else {
		t[0] = (char)(0xf0 | (cp >> 18));
		t[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		t[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		t[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, t, 4);
	}
}

/*
 * Counts the characters of S[0..n): code points when the text is valid
 * UTF-8 (*UTF set), else bytes.
 */
static size_t
utf8_count(const char *s, size_t n, bool *utf)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, count = 0, l;
	uint32_t		 cp;

	while (i < n && p[i] < 0x80)
		i++;
	count = i;
	while (i < n) {
		if ((l = utf8_decode(p + i, n - i, &cp)) == 0) {
			*utf = false;
			return n;
		}
		i += l;
		count++;
	}
	*utf = true;
	return count;
}

/* Byte offset of character K in S (valid UTF-8 when UTF); K <= count. */
static size_t
utf8_offset(const char *s, size_t n, size_t k, bool utf)
{
	size_t	 i = 0;

	if (!utf)
		return k < n ? k : n;
	while (k > 0 && i < n) {
		i += utf8_seqlen((unsigned char)s[i]);
		k--;
	}
	return i < n ? i : n;
}

static locale_t	 bi_loc;
static bool	 bi_loc_tried;

/* The C.UTF-8 locale for case mapping, or (locale_t)0 when missing. */
static locale_t
bi_locale(void)
{
	if (!bi_loc_tried) {
		bi_loc_tried = true;
		bi_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
		if (bi_loc == (locale_t)0)
			bi_loc = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
	}
	return bi_loc;
}

static void __attribute__((destructor))
bi_locale_free(void)
{
	if (bi_loc != (locale_t)0)
		freelocale(bi_loc);
	bi_loc = (locale_t)0;
}

/* A growable array of values in the arena (old copies are left there). */
struct bi_vec {
	struct value	*v;
	uint32_t	 n, cap;
};

static void
bi_vecpush(struct expr_ctx *ctx, struct bi_vec *a, struct value v)
{
	struct value	*nv;

	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 8;
		nv = arena_alloc(ctx->arena, a->cap * sizeof *nv);
		if (a->n)
			memcpy(nv, a->v, a->n * sizeof *nv);
		a->v = nv;
	}
	a->v[a->n++] = v;
}

static struct value
bi_vecarray(struct bi_vec *a)
{
	struct value	 v = value_null();

	v.type = V_ARR;
	v.n = a->n;
	v.u.a = a->v;
	return v;
}

/* The values min/max/sum/avg work on: the args, or one array's elements. */
static void
bi_list(struct value *args, int nargs, const struct value **list, uint32_t *n)
{
	if (nargs == 1 && (args[0].type == V_ARR || args[0].type == V_TUPLE)) {
		*list = args[0].u.a;
		*n = args[0].n;
	} else {
		*list = args;
		*n = (uint32_t)nargs;
	}
}

/* ---- strings ---- */

static int
bi_len(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	const char	*s;
	size_t		 len;
	bool		 utf;

	switch (args[0].type) {
	case V_NULL:
		*out = value_int(0);
		return 0;
	case V_ARR:
	case V_TUPLE:
	case V_OBJ:
		*out = value_int(args[0].n);
		return 0;
	case V_BOOL:
		return expr_failv(ctx, &args[0], "len: not a string or "
		    "collection");
	default:
		expr_text(ctx, &args[0], &s, &len);
		*out = value_int((int64_t)utf8_count(s, len, &utf));
		return 0;
	}
}

static int
bi_case(struct expr_ctx *ctx, const char *who, bool upper, struct value *arg,
    struct value *out)
{
	const char	*s;
	size_t		 len, i, l;
	struct buf	*b;
	bool		 ascii = true;
	locale_t	 loc;
	uint32_t	 cp;
	char		*p;

	if (arg->type == V_NULL) {
		*out = *arg;
		return 0;
	}
	if (bi_text(ctx, who, arg, &s, &len) == -1)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80) {
			ascii = false;
			break;
		}
	loc = bi_locale();
	if (ascii || loc == (locale_t)0) {
		p = arena_alloc(ctx->arena, len + 1);
		for (i = 0; i < len; i++) {
			int	 c = (unsigned char)s[i];

			if (upper && c >= 'a' && c <= 'z')
				c -= 32;
			else if (!upper && c >= 'A' && c <= 'Z')
				c += 32;
			p[i] = (char)c;
		}
		p[len] = '\0';
		*out = value_str(p, len);
		return 0;
	}
	b = expr_scratch();
	for (i = 0; i < len; i += l) {
		l = utf8_decode((const unsigned char *)s + i, len - i, &cp);
		if (l == 0) {
			/* Not UTF-8 here: the byte goes through as it is. */
			buf_addc(b, s[i]);
			l = 1;
			continue;
		}
		cp = upper ? (uint32_t)towupper_l((wint_t)cp, loc) :
		    (uint32_t)towlower_l((wint_t)cp, loc);
		utf8_encode(b, cp);
	}
	*out = expr_strbuf(ctx, b);
	return 0;
}

static int
bi_lower(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	return bi_case(ctx, "lower", false, &args[0], out);
}

static int
bi_upper(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	return bi_case(ctx, "upper", true, &args[0], out);
}

static bool
bi_isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

static int
bi_trim(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	const char	*s;
	size_t		 len;

	if (args[0].type == V_NULL) {
		*out = args[0];
		return 0;
	}
	if (bi_text(ctx, "trim", &args[0], &s, &len) == -1)
		return -1;
	while (len > 0 && bi_isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && bi_isspace((unsigned char)s[len - 1]))
		len--;
	*out = value_str(s, len);
	return 0;
}

static int
bi_substr(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	const char	*s;
	size_t		 len, count, from, to;
	int64_t		 start, want;
	bool		 utf;

	if (args[0].type == V_NULL) {
		*out = args[0];
		return 0;
	}
	if (bi_text(ctx, "substr", &args[0], &s, &len) == -1 ||
	    bi_int(ctx, "substr", &args[1], &start) == -1)
		return -1;
	if (nargs > 2 && bi_int(ctx, "substr", &args[2], &want) == -1)
		return -1;
	count = utf8_count(s, len, &utf);
	if (start < 0) {
		start += (int64_t)count;
		if (start < 0)
			start = 0;
	}
	if ((uint64_t)start >= count) {
		*out = value_str("", 0);
		return 0;
	}
	if (nargs < 3 || want > (int64_t)(count - (size_t)start))
		want = (int64_t)(count - (size_t)start);
	if (want <= 0) {
		*out = value_str("", 0);
		return 0;
	}
	from = utf8_offset(s, len, (size_t)start, utf);
	to = from + utf8_offset(s + from, len - from, (size_t)want, utf);
	*out = value_str(s + from, to - from);
	return 0;
}

/*
 * split(s) and split(s, sep): the parts of S between separators; with
 * no SEP, the words of S between runs of white space, leading and
 * trailing space ignored (awk's and Python's split).  The parts point
 * into S.
 */
static int
bi_split(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	struct bi_vec	 v = { NULL, 0, 0 };
	struct regex	*re = NULL;
	const char	*s, *sep, *d;
	size_t		 len, seplen = 0, pos, last, ms, me, l;
	PCRE2_SIZE	*ov;
	int		 rc;

	if (args[0].type == V_NULL) {
		*out = args[0];
		return 0;
	}
	if (bi_text(ctx, "split", &args[0], &s, &len) == -1)
		return -1;
	if (nargs == 1) {
		for (pos = 0;;) {
			while (pos < len && bi_isspace((unsigned char)s[pos]))
				pos++;
			if (pos == len)
				break;
			for (last = pos; pos < len &&
			    !bi_isspace((unsigned char)s[pos]); pos++)
				;
			bi_vecpush(ctx, &v, value_str(s + last, pos - last));
		}
		*out = bi_vecarray(&v);
		return 0;
	}
	if (n->kids[1]->kind == N_REGEX)
		re = n->kids[1]->re;
	else if (bi_text(ctx, "split", &args[1], &sep, &seplen) == -1)
		return -1;
	if (len == 0) {
		*out = bi_vecarray(&v);
		return 0;
	}
	if (re == NULL && seplen == 0) {
		bool	 utf;

		(void)utf8_count(s, len, &utf);
		for (pos = 0; pos < len; pos += l) {
			l = utf ? utf8_seqlen((unsigned char)s[pos]) : 1;
			bi_vecpush(ctx, &v, value_str(s + pos, l));
		}
		*out = bi_vecarray(&v);
		return 0;
	}
	if (re == NULL) {
		for (pos = 0;;) {
			d = memmem(s + pos, len - pos, sep, seplen);
			if (d == NULL)
				break;
			bi_vecpush(ctx, &v, value_str(s + pos,
			    (size_t)(d - s) - pos));
			pos = (size_t)(d - s) + seplen;
		}
		bi_vecpush(ctx, &v, value_str(s + pos, len - pos));
		*out = bi_vecarray(&v);
		return 0;
	}
	ov = pcre2_get_ovector_pointer(re->md);
	for (pos = last = 0; pos <= len;) {
		if ((rc = regex_exec(re, s, len, pos)) == -1)
			return expr_failv(ctx, &args[0], "split: regex match "
			    "failed (too complex)");
		if (rc == 0)
			break;
		ms = ov[0];
		me = ov[1];
		if (me == ms) {
			/* An empty match splits inside, never at the ends. */
			if (ms >= len)
				break;
			if (ms > last) {
				bi_vecpush(ctx, &v,
				    value_str(s + last, ms - last));
				last = ms;
			}
			pos = ms + utf8_seqlen((unsigned char)s[ms]);
			continue;
		}
		bi_vecpush(ctx, &v, value_str(s + last, ms - last));
		last = pos = me;
	}
	bi_vecpush(ctx, &v, value_str(s + last, len - last));
	*out = bi_vecarray(&v);
	return 0;
}

static int
bi_join(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	const char	*sep = "";
	size_t		 seplen = 0;
	struct buf	*b;
	uint32_t	 i;

	if (args[0].type == V_NULL) {
		*out = args[0];
		return 0;
	}
	if (args[0].type != V_ARR && args[0].type != V_TUPLE)
		return expr_failv(ctx, &args[0], "join: not an array");
	if (nargs > 1 && args[1].type != V_NULL &&
	    bi_text(ctx, "join", &args[1], &sep, &seplen) == -1)
		return -1;
	b = expr_scratch();
	for (i = 0; i < args[0].n; i++) {
		if (i > 0)
			buf_add(b, sep, seplen);
		value_fmt_plain(b, &args[0].u.a[i]);
	}
	*out = expr_strbuf(ctx, b);
	return 0;
}

/* Appends REPL to B with $0..$9 replaced by the groups of the match in S. */
static void
bi_expand(struct buf *b, const char *repl, size_t rlen, const char *s,
    const PCRE2_SIZE *ov, uint32_t ncap)
{
	size_t		 i;
	uint32_t	 g;

	for (i = 0; i < rlen; i++) {
		if (repl[i] != '$' || i + 1 >= rlen) {
			buf_addc(b, repl[i]);
			continue;
		}
		if (repl[i + 1] == '$') {
			buf_addc(b, '$');
			i++;
			continue;
		}
		if (repl[i + 1] < '0' || repl[i + 1] > '9' ||
		    (g = (uint32_t)(repl[i + 1] - '0')) > ncap) {
			buf_addc(b, repl[i]);
			continue;
		}
		i++;
		if (ov[2 * g] != PCRE2_UNSET)
			buf_add(b, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	}
}

static int
bi_replace(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	struct regex	*re = NULL;
	const char	*s, *pat = NULL, *repl, *d;
	size_t		 len, plen = 0, rlen, pos, ms, me;
	struct buf	*b;
	PCRE2_SIZE	*ov;
	int		 rc;

	if (args[0].type == V_NULL) {
		*out = args[0];
		return 0;
	}
	if (bi_text(ctx, "replace", &args[0], &s, &len) == -1)
		return -1;
	if (n->kids[1]->kind == N_REGEX)
		re = n->kids[1]->re;
	else if (bi_text(ctx, "replace", &args[1], &pat, &plen) == -1)
		return -1;
	if (args[2].type == V_NULL) {
		repl = "";
		rlen = 0;
	} else if (bi_text(ctx, "replace", &args[2], &repl, &rlen) == -1)
		return -1;

	b = expr_scratch();
	if (re == NULL) {
		if (plen == 0) {
			*out = value_str(s, len);
			return 0;
		}
		for (pos = 0;
		    (d = memmem(s + pos, len - pos, pat, plen)) != NULL;) {
			buf_add(b, s + pos, (size_t)(d - s) - pos);
			buf_add(b, repl, rlen);
			pos = (size_t)(d - s) + plen;
		}
		if (pos == 0) {
			*out = value_str(s, len);
			return 0;
		}
		buf_add(b, s + pos, len - pos);
		*out = expr_strbuf(ctx, b);
		return 0;
	}
	ov = pcre2_get_ovector_pointer(re->md);
	for (pos = 0; pos <= len;) {
		if ((rc = regex_exec(re, s, len, pos)) == -1)
			return expr_failv(ctx, &args[0], "replace: regex match "
			    "failed (too complex)");
		if (rc == 0)
			break;
		ms = ov[0];
		me = ov[1];
		buf_add(b, s + pos, ms - pos);
		bi_expand(b, repl, rlen, s, ov, re->ncap);
		if (me > ms) {
			pos = me;
			continue;
		}
		/* Empty match: keep one character and move past it. */
		if (ms >= len) {
			pos = len + 1;
			break;
		}
		me = ms + utf8_seqlen((unsigned char)s[ms]);
		if (me > len)
			me = len;
		buf_add(b, s + ms, me - ms);
		pos = me;
	}
	if (pos < len)
		buf_add(b, s + pos, len - pos);
	*out = expr_strbuf(ctx, b);
	return 0;
}

static int
bi_match(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	struct regex	*re;
	const char	*s;
	size_t		 len;
	PCRE2_SIZE	*ov;
	struct value	 v;
	uint32_t	 i;
	int		 rc;

	if (args[0].type == V_NULL) {
		*out = args[0];
		return 0;
	}
	if (bi_text(ctx, "match", &args[0], &s, &len) == -1)
		return -1;
	if ((re = expr_regex(ctx, n->kids[1], &n->kids[1]->dyn, &args[1],
	    "match")) == NULL)
		return -1;
	if ((rc = regex_exec(re, s, len, 0)) == -1)
		return expr_failv(ctx, &args[0], "match: regex match failed "
		    "(too complex)");
	if (rc == 0) {
		*out = value_null();
		return 0;
	}
	ov = pcre2_get_ovector_pointer(re->md);
	v = value_array(ctx->arena, re->ncap + 1);
	for (i = 0; i <= re->ncap; i++)
		if (ov[2 * i] != PCRE2_UNSET)
			v.u.a[i] = value_str(s + ov[2 * i],
			    ov[2 * i + 1] - ov[2 * i]);
	*out = v;
	return 0;
}

static int
bi_contains(struct expr_ctx *ctx, struct node *n, struct value *args,
    int nargs, struct value *out)
{
	const char	*s, *t;
	size_t		 len, tlen;
	uint32_t	 i;

	switch (args[0].type) {
	case V_NULL:
		*out = value_bool(false);
		return 0;
	case V_ARR:
	case V_TUPLE:
		for (i = 0; i < args[0].n; i++)
			if (value_eq(&args[0].u.a[i], &args[1])) {
				*out = value_bool(true);
				return 0;
			}
		*out = value_bool(false);
		return 0;
	default:
		break;
	}
	if (bi_text(ctx, "contains", &args[0], &s, &len) == -1)
		return -1;
	if (args[1].type == V_NULL) {
		*out = value_bool(false);
		return 0;
	}
	if (bi_text(ctx, "contains", &args[1], &t, &tlen) == -1)
		return -1;
	*out = value_bool(tlen == 0 || memmem(s, len, t, tlen) != NULL);
	return 0;
}

static int
bi_affix(struct expr_ctx *ctx, const char *who, bool end, struct value *args,
    struct value *out)
{
	const char	*s, *t;
	size_t		 len, tlen;

	if (args[0].type == V_NULL || args[1].type == V_NULL) {
		*out = value_bool(false);
		return 0;
	}
	if (bi_text(ctx, who, &args[0], &s, &len) == -1 ||
	    bi_text(ctx, who, &args[1], &t, &tlen) == -1)
		return -1;
	*out = value_bool(tlen <= len && (tlen == 0 ||
	    memcmp(end ? s + len - tlen : s, t, tlen) == 0));
	return 0;
}

static int
bi_startswith(struct expr_ctx *ctx, struct node *n, struct value *args,
    int nargs, struct value *out)
{
	return bi_affix(ctx, "startswith", false, args, out);
}

static int
bi_endswith(struct expr_ctx *ctx, struct node *n, struct value *args,
    int nargs, struct value *out)
{
	return bi_affix(ctx, "endswith", true, args, out);
}

static int
bi_sprintf(struct expr_ctx *ctx, struct node *n, struct value *args,
    int nargs, struct value *out)
{
	const char	*fmt, *err = NULL;
	size_t		 flen;
	struct buf	*b;

	if (args[0].type != V_STR)
		return expr_failv(ctx, &args[0], "sprintf: the format is not "
		    "a string");
	fmt = args[0].u.s != NULL ? args[0].u.s : "";
	flen = args[0].n;
	b = expr_scratch();
	if (fmt_sprintf(b, fmt, flen, args + 1, nargs - 1, &err) == -1)
		return expr_fail(ctx, "%s", err != NULL ? err :
		    "sprintf: bad format");
	*out = expr_strbuf(ctx, b);
	return 0;
}

/* ---- numbers ---- */

static int
bi_numf(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	if (args[0].type == V_NULL || !value_to_num(&args[0], out))
		*out = value_null();
	return 0;
}

/* int, floor, ceil, round: F applied to doubles, ints kept. */
static int
bi_rounding(struct expr_ctx *ctx, const char *who, double (*f)(double),
    struct value *args, int nargs, struct value *out)
{
	struct value	 v;
	int64_t		 digits = 0;
	double		 scale, d, r;

	if (args[0].type == V_NULL) {
		*out = args[0];
		return 0;
	}
	if (bi_num(ctx, who, &args[0], &v) == -1)
		return -1;
	if (nargs > 1 && bi_int(ctx, who, &args[1], &digits) == -1)
		return -1;
	if (v.type == V_INT && digits >= 0) {
		*out = v;
		return 0;
	}
	d = value_as_dbl(&v);
	if (nargs > 1 && digits != 0) {
		if (digits > 300)
			digits = 300;
		if (digits < -300)
			digits = -300;
		/* Divide by 10^k rather than multiply by 10^-k: exact for 1200. */
		scale = pow(10, (double)(digits > 0 ? digits : -digits));
		/*
		 * From 2^52 up a double has no fraction: when D scaled
		 * is that large (or overflows, 1e308 at 2 digits), D has
		 * no digit past the scale and is its own result.
		 */
		if (digits > 0 && fabs(d * scale) < 0x1p52)
			d = f(d * scale) / scale;
		else if (digits < 0 && isfinite(r = f(d / scale) * scale))
			d = r;
		*out = digits > 0 ? value_dbl(d) : bi_intval(d);
		return 0;
	}
	*out = bi_intval(f(d));
	return 0;
}

static int
bi_intf(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	return bi_rounding(ctx, "int", trunc, args, nargs, out);
}

static int
bi_round(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	return bi_rounding(ctx, "round", round, args, nargs, out);
}

static int
bi_floor(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	return bi_rounding(ctx, "floor", floor, args, nargs, out);
}

static int
bi_ceil(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	return bi_rounding(ctx, "ceil", ceil, args, nargs, out);
}

static int
bi_abs(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	struct value	 v;

	if (args[0].type == V_NULL) {
		*out = args[0];
		return 0;
	}
	if (bi_num(ctx, "abs", &args[0], &v) == -1)
		return -1;
	if (v.type == V_INT)
		*out = v.u.i >= 0 ? v : v.u.i == INT64_MIN ?
		    value_dbl(9223372036854775808.0) : value_int(-v.u.i);
	else
		*out = value_dbl(fabs(v.u.d));
	return 0;
}

static int
bi_minmax(struct expr_ctx *ctx, bool max, struct value *args, int nargs,
    struct value *out)
{
	const struct value	*list, *best = NULL;
	uint32_t		 i, n;
	int			 c;

	bi_list(args, nargs, &list, &n);
	for (i = 0; i < n; i++) {
		if (list[i].type == V_NULL)
			continue;
		if (best == NULL || (best->type == V_DBL && isnan(best->u.d))) {
			best = &list[i];
			continue;
		}
		c = expr_compare(&list[i], best, false, false);
		if (c == (max ? 1 : -1))
			best = &list[i];
	}
	*out = best != NULL ? *best : value_null();
	return 0;
}

static int
bi_min(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	return bi_minmax(ctx, false, args, nargs, out);
}

static int
bi_max(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	return bi_minmax(ctx, true, args, nargs, out);
}

/* Sums the non-null values of the list into *SUM; *COUNT how many. */
static int
bi_total(struct expr_ctx *ctx, const char *who, struct value *args, int nargs,
    struct value *sum, int64_t *count)
{
	const struct value	*list;
	struct value		 v, t;
	uint32_t		 i, n;

	bi_list(args, nargs, &list, &n);
	*sum = value_int(0);
	*count = 0;
	for (i = 0; i < n; i++) {
		if (list[i].type == V_NULL)
			continue;
		if (bi_num(ctx, who, &list[i], &v) == -1)
			return -1;
		if (expr_arith(ctx, N_ADD, sum, &v, &t) == -1)
			return -1;
		*sum = t;
		(*count)++;
	}
	return 0;
}

static int
bi_sum(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	int64_t	 count;

	return bi_total(ctx, "sum", args, nargs, out, &count);
}

static int
bi_avg(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	struct value	 sum, cnt;
	int64_t		 count;

	if (bi_total(ctx, "avg", args, nargs, &sum, &count) == -1)
		return -1;
	if (count == 0) {
		*out = value_null();
		return 0;
	}
	cnt = value_int(count);
	return expr_arith(ctx, N_DIV, &sum, &cnt, out);
}

/* ---- time ---- */

static int
bi_now(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*out = value_dbl((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
	return 0;
}

/* A NUL-terminated copy of string argument V in the arena. */
static int
bi_cstr(struct expr_ctx *ctx, const char *who, const struct value *v,
    const char **out)
{
	const char	*s;
	size_t		 len;

	if (bi_text(ctx, who, v, &s, &len) == -1)
		return -1;
	*out = arena_strndup(ctx->arena, s, len);
	return 0;
}

static int
bi_strptime(struct expr_ctx *ctx, struct node *n, struct value *args,
    int nargs, struct value *out)
{
	const char	*s, *fmt;
	size_t		 len;
	double		 secs;

	if (args[0].type == V_NULL) {
		*out = args[0];
		return 0;
	}
	if (bi_text(ctx, "strptime", &args[0], &s, &len) == -1 ||
	    bi_cstr(ctx, "strptime", &args[1], &fmt) == -1)
		return -1;
	if (time_parse(s, len, fmt, &secs) == -1)
		*out = value_null();
	else
		*out = bi_intval(secs);
	return 0;
}

static int
bi_time(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	double	 secs;

	switch (args[0].type) {
	case V_NULL:
	case V_INT:
	case V_DBL:
		*out = args[0];
		return 0;
	case V_STR:
		if (time_parse(args[0].u.s != NULL ? args[0].u.s : "",
		    args[0].n, NULL, &secs) == -1)
			*out = value_null();
		else
			*out = bi_intval(secs);
		return 0;
	default:
		return expr_failv(ctx, &args[0],
		    "time: not a string or number");
	}
}

static int
bi_strftime(struct expr_ctx *ctx, struct node *n, struct value *args,
    int nargs, struct value *out)
{
	const char	*fmt = NULL;
	struct value	 t;
	struct buf	*b;
	double		 d;

	if (args[0].type == V_NULL) {
		*out = args[0];
		return 0;
	}
	if (bi_num(ctx, "strftime", &args[0], &t) == -1)
		return -1;
	if (nargs > 1 && bi_cstr(ctx, "strftime", &args[1], &fmt) == -1)
		return -1;
	d = value_as_dbl(&t);
	if (!isfinite(d) || fabs(d) > 1e15)
		return expr_failv(ctx, &args[0], "strftime: time out of range");
	b = expr_scratch();
	/* The default is RFC 3339 as --stamp writes it: milliseconds only
	 * when they are not zero. */
	if (fmt == NULL)
		time_fmt_rfc3339(b, (int64_t)llround(d * 1000));
	else
		time_format(b, d, fmt);
	*out = expr_strbuf(ctx, b);
	return 0;
}

/* ---- JSON and structure ---- */

static int
bi_json(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	const char	*err = NULL;

	if (args[0].type == V_NULL) {
		*out = args[0];
		return 0;
	}
	if (args[0].type != V_STR)
		return expr_failv(ctx, &args[0], "json: not a string");
	if (json_parse(ctx->arena, args[0].u.s != NULL ? args[0].u.s : "",
	    args[0].n, out, &err) == -1)
		return expr_fail(ctx, "json: %s", err != NULL ? err :
		    "bad JSON");
	return 0;
}

static int
bi_tojson(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	struct buf	*b = expr_scratch();

	value_fmt_json(b, &args[0]);
	*out = expr_strbuf(ctx, b);
	return 0;
}

static int
bi_has(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	int64_t	 i;

	switch (args[0].type) {
	case V_NULL:
		*out = value_bool(false);
		return 0;
	case V_OBJ:
		if (args[1].type != V_STR)
			return expr_failv(ctx, &args[1], "has: an object's key "
			    "must be a string");
		*out = value_bool(value_obj_get(&args[0], args[1].u.s,
		    args[1].n) != NULL);
		return 0;
	case V_ARR:
	case V_TUPLE:
		if (bi_int(ctx, "has", &args[1], &i) == -1)
			return -1;
		if (i < 0)
			i += args[0].n;
		*out = value_bool(i >= 0 && i < (int64_t)args[0].n);
		return 0;
	default:
		return expr_failv(ctx, &args[0], "has: not an object or array");
	}
}

static int
bi_keycmp(const void *a, const void *b)
{
	return value_cmp(a, b);
}

static int
bi_keys(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	struct value	 v;
	uint32_t	 i;

	switch (args[0].type) {
	case V_NULL:
		*out = args[0];
		return 0;
	case V_OBJ:
		v = value_array(ctx->arena, args[0].n);
		for (i = 0; i < args[0].n; i++)
			v.u.a[i] = args[0].u.kv[2 * i];
		if (v.n > 1)
			qsort(v.u.a, v.n, sizeof *v.u.a, bi_keycmp);
		*out = v;
		return 0;
	case V_ARR:
	case V_TUPLE:
		v = value_array(ctx->arena, args[0].n);
		for (i = 0; i < args[0].n; i++)
			v.u.a[i] = value_int(i);
		*out = v;
		return 0;
	default:
		return expr_failv(ctx, &args[0],
		    "keys: not an object or array");
	}
}

static int
bi_type(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	const char	*t = value_type_name(&args[0]);

	*out = value_str(t, strlen(t));
	return 0;
}

/* coalesce evaluates its arguments itself, stopping at the first non-null. */
static int
bi_coalesce(struct expr_ctx *ctx, struct node *n, struct value *args,
    int nargs, struct value *out)
{
	uint32_t	 i;

	for (i = 0; i < n->nkids; i++) {
		if (eval_node(n->kids[i], ctx, out) == -1)
			return -1;
		if (out->type != V_NULL)
			return 0;
	}
	*out = value_null();
	return 0;
}

static int
bi_clf(struct expr_ctx *ctx, struct node *n, struct value *args, int nargs,
    struct value *out)
{
	if (args[0].type == V_NULL) {
		*out = args[0];
		return 0;
	}
	if (args[0].type != V_STR)
		return expr_failv(ctx, &args[0], "clf: not a string");
	*out = clf_parse(ctx->arena, args[0].u.s != NULL ? args[0].u.s : "",
	    args[0].n);
	return 0;
}

/* ---- the table ---- */

static const struct builtin builtins[] = {
	{ "abs",	1, 1,	0,		bi_abs },
	{ "avg",	1, -1,	0,		bi_avg },
	{ "ceil",	1, 2,	0,		bi_ceil },
	{ "clf",	1, 1,	0,		bi_clf },
	{ "coalesce",	1, -1,	BI_LAZY,	bi_coalesce },
	{ "contains",	2, 2,	0,		bi_contains },
	{ "endswith",	2, 2,	0,		bi_endswith },
	{ "floor",	1, 2,	0,		bi_floor },
	{ "has",	2, 2,	0,		bi_has },
	{ "int",	1, 1,	0,		bi_intf },
	{ "join",	1, 2,	0,		bi_join },
	{ "json",	1, 1,	0,		bi_json },
	{ "keys",	1, 1,	0,		bi_keys },
	{ "len",	1, 1,	0,		bi_len },
	{ "lower",	1, 1,	0,		bi_lower },
	{ "match",	2, 2,	BI_RE1,		bi_match },
	{ "max",	1, -1,	0,		bi_max },
	{ "min",	1, -1,	0,		bi_min },
	{ "now",	0, 0,	BI_IMPURE,	bi_now },
	{ "num",	1, 1,	0,		bi_numf },
	{ "replace",	3, 3,	BI_RE1,		bi_replace },
	{ "round",	1, 2,	0,		bi_round },
	{ "split",	1, 2,	BI_RE1,		bi_split },
	{ "sprintf",	1, -1,	0,		bi_sprintf },
	{ "startswith",	2, 2,	0,		bi_startswith },
	{ "strftime",	1, 2,	0,		bi_strftime },
	{ "strptime",	2, 2,	0,		bi_strptime },
	{ "substr",	2, 3,	0,		bi_substr },
	{ "sum",	1, -1,	0,		bi_sum },
	{ "time",	1, 1,	0,		bi_time },
	{ "tojson",	1, 1,	0,		bi_tojson },
	{ "trim",	1, 1,	0,		bi_trim },
	{ "type",	1, 1,	0,		bi_type },
	{ "upper",	1, 1,	0,		bi_upper },
};

const struct builtin *
builtin_find(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (strlen(builtins[i].name) == len &&
		    memcmp(builtins[i].name, name, len) == 0)
			return &builtins[i];
	return NULL;
}
