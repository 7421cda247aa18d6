/*
 * clf.c - clf(s): an Apache/nginx access log line, in the Common or the
 * Combined Log Format, as an object
 *
 *   {ip, ident, user, time, method, path, proto, status, bytes,
 *    referer, agent}
 *
 * from lines such as
 *
 *   1.2.3.4 - frank [21/Nov/2025:00:00:00 +0000] "GET /a HTTP/1.1" 200 512
 *       "http://ref/" "Mozilla/5.0"
 *
 * time is epoch seconds (a number), status a number, bytes a number or
 * null for "-".  ident, user and referer are kept as written ("-"
 * included).  A Common-format line has referer and agent null; fields
 * after the agent (nginx configurations often add some) are ignored.  The
 * request is split into method, path and proto at its first and last
 * spaces (proto only when it starts with "HTTP/"); a request of "-" or
 * one without a space leaves method and proto null (the whole request is
 * then the path, or null for "-").  Quoted fields may hold \" and \\, and
 * nginx's \xHH: such a field is decoded into the arena; every other string
 * points into the line itself.  A line that does not have this shape gives
 * null.
 */
#include <string.h>

#include "../dstream.h"
#include "expr.h"

enum {
	CLF_IP, CLF_IDENT, CLF_USER, CLF_TIME, CLF_METHOD, CLF_PATH, CLF_PROTO,
	CLF_STATUS, CLF_BYTES, CLF_REFERER, CLF_AGENT, CLF_NFIELDS
};

static const char *const clf_names[CLF_NFIELDS] = {
	"ip", "ident", "user", "time", "method", "path", "proto", "status",
	"bytes", "referer", "agent"
};

/* Reads a token up to the next space; returns its end, or NULL if empty. */
static const char *
clf_token(const char *p, const char *end, struct value *v)
{
	const char	*q = p;

	while (q < end && *q != ' ')
		q++;
	if (q == p)
		return NULL;
	*v = value_str(p, (size_t)(q - p));
	return q;
}

/* Skips one or more spaces; returns NULL if there is none. */
static const char *
clf_space(const char *p, const char *end)
{
	if (p >= end || *p != ' ')
		return NULL;
	while (p < end && *p == ' ')
		p++;
	return p;
}

/*
 * Reads a double-quoted field at P (which must be at the quote) into *V,
 * decoding \" \\ \xHH \n \r \t when there are any.  Returns the byte
 * after the closing quote, or NULL.
 */
static const char *
clf_quoted(struct arena *a, const char *p, const char *end, struct value *v)
{
	const char	*start, *q;
	char		*d, *o;
	bool		 escaped = false;
	int		 h, l;

	if (p >= end || *p != '"')
		return NULL;
	start = q = p + 1;
	for (; q < end && *q != '"'; q++) {
		if (*q == '\\') {
			escaped = true;
			if (++q >= end)
				return NULL;
		}
	}
	if (q >= end)
		return NULL;
	if (!escaped) {
		*v = value_str(start, (size_t)(q - start));
		return q + 1;
	}
	d = o = arena_alloc(a, (size_t)(q - start));
	for (p = start; p < q; p++) {
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		switch (*++p) {
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'x':
			if (q - p > 2 &&
			    (h = buf_hex_digit((unsigned char)p[1])) != -1 &&
			    (l = buf_hex_digit((unsigned char)p[2])) != -1) {
				*o++ = (char)(h << 4 | l);
				p += 2;
				break;
			}
			*o++ = '\\';
			*o++ = 'x';
			break;
		case '"':
		case '\\':
			*o++ = *p;
			break;
		default:
			*o++ = '\\';
			*o++ = *p;
			break;
		}
	}
	*v = value_str(d, (size_t)(o - d));
	return q + 1;
}

/* Splits the request line R into method, path and proto. */
static void
clf_request(const struct value *r, struct value *f)
{
	const char	*s = r->u.s, *end = s + r->n, *sp1, *sp2;

	f[CLF_METHOD] = f[CLF_PATH] = f[CLF_PROTO] = value_null();
	if (r->n == 0 || (r->n == 1 && *s == '-'))
		return;
	sp1 = memchr(s, ' ', r->n);
	if (sp1 == NULL) {
		f[CLF_PATH] = *r;
		return;
	}
	f[CLF_METHOD] = value_str(s, (size_t)(sp1 - s));
	for (sp2 = end - 1; sp2 > sp1 && *sp2 != ' '; sp2--)
		;
	if (sp2 > sp1 && end - sp2 > 5 && memcmp(sp2 + 1, "HTTP/", 5) == 0) {
		f[CLF_PATH] = value_str(sp1 + 1, (size_t)(sp2 - sp1 - 1));
		f[CLF_PROTO] = value_str(sp2 + 1, (size_t)(end - sp2 - 1));
	} else
		f[CLF_PATH] = value_str(sp1 + 1, (size_t)(end - sp1 - 1));
}

/* Reads decimal digits at P into *N; returns their end or NULL. */
static const char *
clf_number(const char *p, const char *end, int64_t *n)
{
	const char	*q = p;
	int64_t		 v = 0;

	while (q < end && *q >= '0' && *q <= '9' && q - p < 18)
		v = v * 10 + (*q++ - '0');
	if (q == p || (q < end && *q != ' '))
		return NULL;
	*n = v;
	return q;
}

struct value
clf_parse(struct arena *a, const char *s, size_t n)
{
	const char	*p, *end, *close;
	struct value	 f[CLF_NFIELDS], req, obj;
	double		 secs;
	int64_t		 num;
	int		 i;

	if (n == 0)
		return value_null();
	p = s;
	end = s + n;
	for (i = 0; i < CLF_NFIELDS; i++)
		f[i] = value_null();
	while (end > p && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' '))
		end--;

	if ((p = clf_token(p, end, &f[CLF_IP])) == NULL ||
	    (p = clf_space(p, end)) == NULL ||
	    (p = clf_token(p, end, &f[CLF_IDENT])) == NULL ||
	    (p = clf_space(p, end)) == NULL ||
	    (p = clf_token(p, end, &f[CLF_USER])) == NULL ||
	    (p = clf_space(p, end)) == NULL)
		goto fail;

	if (p >= end || *p != '[' ||
	    (close = memchr(p, ']', (size_t)(end - p))) == NULL)
		goto fail;
	if (time_parse(p + 1, (size_t)(close - p - 1), NULL, &secs) == -1)
		goto fail;
	if (secs == (double)(int64_t)secs)
		f[CLF_TIME] = value_int((int64_t)secs);
	else
		f[CLF_TIME] = value_dbl(secs);
	if ((p = clf_space(close + 1, end)) == NULL ||
	    (p = clf_quoted(a, p, end, &req)) == NULL ||
	    (p = clf_space(p, end)) == NULL)
		goto fail;
	clf_request(&req, f);

	if ((p = clf_number(p, end, &num)) == NULL)
		goto fail;
	f[CLF_STATUS] = value_int(num);
	if ((p = clf_space(p, end)) == NULL)
		goto fail;
	if (p < end && *p == '-' && (p + 1 == end || p[1] == ' '))
		p++;
	else if ((p = clf_number(p, end, &num)) == NULL)
		goto fail;
	else
		f[CLF_BYTES] = value_int(num);

	/* Combined: the referer and the agent, when they follow. */
	if (p < end && (p = clf_space(p, end)) != NULL && p < end &&
	    (p = clf_quoted(a, p, end, &f[CLF_REFERER])) != NULL &&
	    (p = clf_space(p, end)) != NULL)
		clf_quoted(a, p, end, &f[CLF_AGENT]);

	obj.type = V_OBJ;
	obj.n = CLF_NFIELDS;
	obj.u.kv = arena_alloc(a, 2 * CLF_NFIELDS * sizeof *obj.u.kv);
	for (i = 0; i < CLF_NFIELDS; i++) {
		obj.u.kv[2 * i] = value_str(clf_names[i], strlen(clf_names[i]));
		obj.u.kv[2 * i + 1] = f[i];
	}
	return obj;

fail:
	return value_null();
}
