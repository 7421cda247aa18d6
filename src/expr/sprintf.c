/*
 * sprintf.c - the sprintf(fmt, args...) builtin: C's printf conversions
 * over dstream values.
 *
 * Conversions: %s (any value, in its plain text form), %d %i (numbers;
 * a double is truncated toward zero), %f %F %e %E %g %G, %x %X %o (of the
 * integer, negative ones as 64-bit two's complement), %c (a number is
 * that code point, written as UTF-8; a string gives its first
 * character) and %%.  Flags "-+ 0#", a width and a precision, either of
 * them '*' to take it from the next argument, as in C.  Numeric
 * conversions take numbers, numeric strings (as awk) and booleans (0/1);
 * anything else is an error, as are too few arguments and an unknown
 * conversion.  Widths and precisions count characters (UTF-8) for %s
 * and %c, and are limited to 10000.  Extra arguments are ignored.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../dstream.h"
#include "expr.h"

#define SPRINTF_MAX_WIDTH	10000

struct sprintf_spec {
	char		 flags[8];	/* NUL-terminated */
	int		 width;		/* -1 when absent */
	int		 prec;		/* -1 when absent */
	char		 conv;
};

static char	 sprintf_errbuf[64];

/* Number of UTF-8 characters in S[0..n) (stray continuation bytes not counted). */
static size_t
sprintf_chars(const char *s, size_t n)
{
	size_t		 i, c = 0;

	for (i = 0; i < n; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	}
	return c;
}

/* Byte length of the first MAX characters of S[0..n). */
static size_t
sprintf_prefix(const char *s, size_t n, size_t max)
{
	size_t		 i, c = 0;

	for (i = 0; i < n; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && c++ == max)
			return i;
	}
	return n;
}

/*
 * The text appended to B since START is a %s or %c result: cuts it to
 * the precision and pads it to the width, in characters.
 */
static void
sprintf_pad_text(struct buf *b, size_t start, const struct sprintf_spec *sp)
{
	size_t		 len = b->len - start, chars, pad;

	if (sp->prec >= 0) {
		len = sprintf_prefix(b->p + start, len, (size_t)sp->prec);
		b->len = start + len;
		b->p[b->len] = '\0';
	}
	if (sp->width <= 0)
		return;
	chars = sprintf_chars(b->p + start, len);
	if (chars >= (size_t)sp->width)
		return;
	pad = (size_t)sp->width - chars;
	buf_grow(b, pad);
	if (strchr(sp->flags, '-') == NULL) {
		memmove(b->p + start + pad, b->p + start, len);
		memset(b->p + start, ' ', pad);
	} else
		memset(b->p + start + len, ' ', pad);
	b->len += pad;
	b->p[b->len] = '\0';
}

/* Appends code point CP as UTF-8 (U+FFFD when it is not one). */
static void
sprintf_utf8(struct buf *b, int64_t cp)
{
	if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
		cp = 0xfffd;
	if (cp < 0x80)
		buf_addc(b, (int)cp);
	else if (cp < 0x800) {
		buf_addc(b, (int)(0xc0 | cp >> 6));
		buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(b, (int)(0xe0 | cp >> 12));
		buf_addc(b, (int)(0x80 | (cp >> 6 & 0x3f)));
		buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(b, (int)(0xf0 | cp >> 18));
		buf_addc(b, (int)(0x80 | (cp >> 12 & 0x3f)));
		buf_addc(b, (int)(0x80 | (cp >> 6 & 0x3f)));
		buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	}
}

/* Builds the C format for SP ending in CONV ("f", PRId64, ...). */
static void
sprintf_cfmt(char *out, size_t size, const struct sprintf_spec *sp,
    const char *conv)
{
	char		 w[16] = "", p[16] = "";

	if (sp->width >= 0)
		snprintf(w, sizeof w, "%d", sp->width);
	if (sp->prec >= 0)
		snprintf(p, sizeof p, ".%d", sp->prec);
	snprintf(out, size, "%%%s%s%s%s", sp->flags, w, p, conv);
}

/* Reads a width or precision (digits, or '*' from the arguments). */
static int
sprintf_count(const char **f, const char *end, const struct value *args,
    int nargs, int *ai, int *out, const char **err)
{
	struct value	 n;
	int64_t		 v = 0;

	if (*f < end && **f == '*') {
		(*f)++;
		if (*ai >= nargs) {
			*err = "sprintf: not enough arguments";
			return -1;
		}
		if (!value_to_num(&args[*ai], &n)) {
			*err = "sprintf: '*' needs a number";
			return -1;
		}
		(*ai)++;
		v = n.type == V_INT ? n.u.i : isfinite(n.u.d) ?
		    (fabs(n.u.d) > 1e9 ? SPRINTF_MAX_WIDTH + 1 : (int64_t)n.u.d) : 0;
		if (v < -SPRINTF_MAX_WIDTH || v > SPRINTF_MAX_WIDTH) {
			*err = "sprintf: width or precision too large";
			return -1;
		}
		*out = (int)v;
		return 0;
	}
	while (*f < end && **f >= '0' && **f <= '9') {
		v = v * 10 + (**f - '0');
		if (v > SPRINTF_MAX_WIDTH) {
			*err = "sprintf: width or precision too large";
			return -1;
		}
		(*f)++;
	}
	*out = (int)v;
	return 0;
}

/* Converts one argument A by SP into B. */
static int
sprintf_conv(struct buf *b, const struct sprintf_spec *sp,
    const struct value *a, const char **err)
{
	char		 cfmt[64], conv[2];
	struct sprintf_spec s2;
	struct value	 n;
	size_t		 start = b->len, k;
	double		 d;

	switch (sp->conv) {
	case 's':
		if (a->type == V_STR)
			buf_add(b, a->u.s, a->n);
		else
			value_fmt_plain(b, a);
		sprintf_pad_text(b, start, sp);
		return 0;
	case 'c':
		if (a->type == V_STR) {
			k = sprintf_prefix(a->u.s, a->n, 1);
			buf_add(b, a->u.s, k);
		} else if (value_to_num(a, &n)) {
			d = value_as_dbl(&n);
			sprintf_utf8(b, n.type == V_INT ? n.u.i :
			    isfinite(d) && fabs(d) < 1e9 ? (int64_t)d : -1);
		} else
			goto notnum;
		sprintf_pad_text(b, start, sp);
		return 0;
	}

	if (!value_to_num(a, &n))
		goto notnum;
	switch (sp->conv) {
	case 'd':
	case 'i':
	case 'x':
	case 'X':
	case 'o':
		if (n.type == V_DBL) {
			d = trunc(n.u.d);
			if (!(d >= -9223372036854775808.0 &&
			    d < 9223372036854775808.0)) {
				/* Beyond int64 (or NaN): the double's digits. */
				s2 = *sp;
				s2.prec = 0;
				sprintf_cfmt(cfmt, sizeof cfmt, &s2, "f");
				buf_printf(b, cfmt, d);
				return 0;
			}
			n = value_int((int64_t)d);
		}
		switch (sp->conv) {
		case 'x':
			sprintf_cfmt(cfmt, sizeof cfmt, sp, PRIx64);
			buf_printf(b, cfmt, (uint64_t)n.u.i);
			break;
		case 'X':
			sprintf_cfmt(cfmt, sizeof cfmt, sp, PRIX64);
			buf_printf(b, cfmt, (uint64_t)n.u.i);
			break;
		case 'o':
			sprintf_cfmt(cfmt, sizeof cfmt, sp, PRIo64);
			buf_printf(b, cfmt, (uint64_t)n.u.i);
			break;
		default:
			sprintf_cfmt(cfmt, sizeof cfmt, sp, PRId64);
			buf_printf(b, cfmt, n.u.i);
			break;
		}
		return 0;
	default:
		conv[0] = sp->conv;
		conv[1] = '\0';
		sprintf_cfmt(cfmt, sizeof cfmt, sp, conv);
		buf_printf(b, cfmt, value_as_dbl(&n));
		return 0;
	}

notnum:
	snprintf(sprintf_errbuf, sizeof sprintf_errbuf,
	    "sprintf: %%%c needs a number, not %s", sp->conv,
	    value_type_name(a));
	*err = sprintf_errbuf;
	return -1;
}

int
fmt_sprintf(struct buf *b, const char *fmt, size_t fmtlen,
    const struct value *args, int nargs, const char **err)
{
	const char	*f, *end, *run;
	struct sprintf_spec sp;
	size_t		 nf;
	int		 ai = 0;

	if (fmtlen == 0)
		return 0;
	f = fmt;
	end = fmt + fmtlen;
	while (f < end) {
		for (run = f; f < end && *f != '%'; f++)
			;
		buf_add(b, run, (size_t)(f - run));
		if (f >= end)
			break;
		f++;
		if (f < end && *f == '%') {
			buf_addc(b, '%');
			f++;
			continue;
		}
		memset(&sp, 0, sizeof sp);
		for (nf = 0; f < end && strchr("-+ 0#", *f) != NULL &&
		    *f != '\0'; f++) {
			if (nf < sizeof sp.flags - 1 &&
			    memchr(sp.flags, *f, nf) == NULL)
				sp.flags[nf++] = *f;
		}
		sp.width = sp.prec = -1;
		if (f < end && (*f == '*' || (*f >= '0' && *f <= '9'))) {
			if (sprintf_count(&f, end, args, nargs, &ai, &sp.width,
			    err) == -1)
				return -1;
			if (sp.width < 0) {
				sp.width = -sp.width;
				if (memchr(sp.flags, '-', nf) == NULL &&
				    nf < sizeof sp.flags - 1)
					sp.flags[nf++] = '-';
			}
		}
		if (f < end && *f == '.') {
			f++;
			if (sprintf_count(&f, end, args, nargs, &ai, &sp.prec,
			    err) == -1)
				return -1;
			if (sp.prec < 0)
				sp.prec = -1;
		}
		if (f >= end) {
			*err = "sprintf: incomplete conversion at the end";
			return -1;
		}
		sp.conv = *f++;
		if (strchr("sdicfFeEgGxXo", sp.conv) == NULL ||
		    sp.conv == '\0') {
			if ((unsigned char)sp.conv >= 0x20 &&
			    (unsigned char)sp.conv < 0x7f)
				snprintf(sprintf_errbuf, sizeof sprintf_errbuf,
				    "sprintf: unknown conversion %%%c",
				    sp.conv);
			else
				snprintf(sprintf_errbuf, sizeof sprintf_errbuf,
				    "sprintf: unknown conversion");
			*err = sprintf_errbuf;
			return -1;
		}
		if (ai >= nargs) {
			*err = "sprintf: not enough arguments";
			return -1;
		}
		if (sprintf_conv(b, &sp, &args[ai++], err) == -1)
			return -1;
	}
	return 0;
}
