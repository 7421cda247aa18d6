/*
 * snap.c - the snapshot encoding (see snap.h for the layout): typed
 * writers that append to a struct buf, and typed readers that check
 * every length against the bytes left before using it.
 *
 * Checkpoints (engine/checkpoint.c), operators' save/load hooks, the
 * table and the panes all write through here, so there is one encoding
 * to version and one set of bounds checks to trust.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../dstream.h"
#include "snap.h"

#define SNAP_MAGIC	"DSTRSNAP"
#define SNAP_MAGICLEN	8
#define SNAP_HDRLEN	24	/* magic, version, kind, length */
#define SNAP_SUMLEN	8
#define SNAP_SECLEN	12	/* tag, length */

/* Type bytes of encoded values (fixed by the format, not by enum vtype). */
enum {
	SNAP_V_NULL, SNAP_V_FALSE, SNAP_V_TRUE, SNAP_V_INT, SNAP_V_DBL,
	SNAP_V_STR, SNAP_V_TUPLE, SNAP_V_ARR, SNAP_V_OBJ
};

static void
snap_le32(char *p, uint32_t v)
{
	int	 i;

	for (i = 0; i < 4; i++)
		p[i] = (char)(v >> (8 * i));
}

static void
snap_le64(char *p, uint64_t v)
{
	int	 i;

	for (i = 0; i < 8; i++)
		p[i] = (char)(v >> (8 * i));
}

static uint32_t
snap_rd32(const char *p)
{
	const unsigned char	*u = (const unsigned char *)p;

	return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 |
	    (uint32_t)u[3] << 24;
}

static uint64_t
snap_rd64(const char *p)
{
	const unsigned char	*u = (const unsigned char *)p;
	uint64_t		 v = 0;
	int			 i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | u[i];
	return v;
}

/* Writes TAG's four characters into OUT (5 bytes), '?' for unprintables. */
static void
snap_tagname(uint32_t tag, char *out)
{
	int	 i, c;

	for (i = 0; i < 4; i++) {
		c = (int)(tag >> (8 * i) & 0xff);
		out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[4] = '\0';
}

/* Writing. */

size_t
snap_begin(struct buf *b, uint32_t kind)
{
	size_t	 start = b->len;
	char	 hdr[SNAP_HDRLEN];

	memcpy(hdr, SNAP_MAGIC, SNAP_MAGICLEN);
	snap_le32(hdr + 8, SNAP_VERSION);
	snap_le32(hdr + 12, kind);
	snap_le64(hdr + 16, 0);
	buf_add(b, hdr, sizeof hdr);
	return start;
}

void
snap_end(struct buf *b, size_t start)
{
	char	 sum[SNAP_SUMLEN];

	snap_le64(b->p + start + 16, b->len - start - SNAP_HDRLEN);
	snap_le64(sum, XXH3_64bits(b->p + start, b->len - start));
	buf_add(b, sum, sizeof sum);
}

size_t
snap_sec_begin(struct buf *b, uint32_t tag)
{
	size_t	 start = b->len;
	char	 hdr[SNAP_SECLEN];

	snap_le32(hdr, tag);
	snap_le64(hdr + 4, 0);
	buf_add(b, hdr, sizeof hdr);
	return start;
}

void
snap_sec_end(struct buf *b, size_t start)
{
	snap_le64(b->p + start + 4, b->len - start - SNAP_SECLEN);
}

void
snap_put_u8(struct buf *b, uint8_t v)
{
	buf_addc(b, v);
}

void
snap_put_bool(struct buf *b, bool v)
{
	buf_addc(b, v ? 1 : 0);
}

void
snap_put_u64(struct buf *b, uint64_t v)
{
	char	 tmp[10];
	size_t	 n = 0;

	while (v >= 0x80) {
		tmp[n++] = (char)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (char)v;
	buf_add(b, tmp, n);
}

void
snap_put_i64(struct buf *b, int64_t v)
{
	/* Zigzag: small magnitudes of either sign take few bytes. */
	snap_put_u64(b, ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0));
}

void
snap_put_dbl(struct buf *b, double v)
{
	char		 tmp[8];
	uint64_t	 u;

	memcpy(&u, &v, sizeof u);
	snap_le64(tmp, u);
	buf_add(b, tmp, sizeof tmp);
}

void
snap_put_bytes(struct buf *b, const void *p, size_t n)
{
	snap_put_u64(b, n);
	buf_add(b, p, n);
}

void
snap_put_str(struct buf *b, const char *s)
{
	snap_put_bytes(b, s, strlen(s));
}

static int
snap_put_value_at(struct buf *b, const struct value *v, int depth,
    char **cause)
{
	uint32_t	 i;

	switch (v->type) {
	case V_NULL:
		snap_put_u8(b, SNAP_V_NULL);
		return 0;
	case V_BOOL:
		snap_put_u8(b, v->u.b ? SNAP_V_TRUE : SNAP_V_FALSE);
		return 0;
	case V_INT:
		snap_put_u8(b, SNAP_V_INT);
		snap_put_i64(b, v->u.i);
		return 0;
	case V_DBL:
		snap_put_u8(b, SNAP_V_DBL);
		snap_put_dbl(b, v->u.d);
		return 0;
	case V_STR:
		snap_put_u8(b, SNAP_V_STR);
		snap_put_bytes(b, v->u.s, v->n);
		return 0;
	}
	if (depth >= SNAP_MAX_DEPTH) {
		xasprintf(cause, "a value nests deeper than %d levels",
		    SNAP_MAX_DEPTH);
		return -1;
	}
	switch (v->type) {
	case V_TUPLE:
	case V_ARR:
		snap_put_u8(b, v->type == V_TUPLE ? SNAP_V_TUPLE : SNAP_V_ARR);
		snap_put_u64(b, v->n);
		for (i = 0; i < v->n; i++)
			if (snap_put_value_at(b, &v->u.a[i], depth + 1,
			    cause) == -1)
				return -1;
		return 0;
	case V_OBJ:
		snap_put_u8(b, SNAP_V_OBJ);
		snap_put_u64(b, v->n);
		for (i = 0; i < v->n; i++) {
			/* Keys are always strings: no type byte. */
			snap_put_bytes(b, v->u.kv[2 * i].u.s,
			    v->u.kv[2 * i].n);
			if (snap_put_value_at(b, &v->u.kv[2 * i + 1],
			    depth + 1, cause) == -1)
				return -1;
		}
		return 0;
	}
	xasprintf(cause, "a value of unknown type %d", v->type);
	return -1;
}

int
snap_put_value(struct buf *b, const struct value *v, char **cause)
{
	return snap_put_value_at(b, v, 0, cause);
}

/* Reading. */

void
snap_rd_init(struct snap_rd *r, const void *p, size_t n)
{
	r->p = p;
	r->end = r->p + n;
	r->base = r->p;
	r->cause = NULL;
}

static int
snap_vfail(struct snap_rd *r, const char *fmt, va_list ap)
{
	char	*msg;

	if (r->cause != NULL)
		return -1;
	xvasprintf(&msg, fmt, ap);
	xasprintf(&r->cause, "%s at byte %zu", msg, (size_t)(r->p - r->base));
	free(msg);
	return -1;
}

int
snap_fail(struct snap_rd *r, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	snap_vfail(r, fmt, ap);
	va_end(ap);
	return -1;
}

int
snap_rd_end(struct snap_rd *r)
{
	if (r->cause != NULL)
		return -1;
	if (r->p != r->end)
		return snap_fail(r, "%zu bytes left over", snap_left(r));
	return 0;
}

char *
snap_rd_cause(struct snap_rd *r)
{
	char	*c = r->cause;

	r->cause = NULL;
	return c;
}

void
snap_rd_free(struct snap_rd *r)
{
	free(r->cause);
	r->cause = NULL;
}

/* Fails unless N more bytes are there (WHAT names them in the message). */
static int
snap_need(struct snap_rd *r, size_t n, const char *what)
{
	if (r->cause != NULL)
		return -1;
	if (snap_left(r) < n)
		return snap_fail(r, "truncated %s: %zu bytes needed, %zu left",
		    what, n, snap_left(r));
	return 0;
}

int
snap_open(struct snap_rd *r, uint32_t kind, struct snap_rd *payload)
{
	const char	*start = r->p;
	uint32_t	 version, got;
	uint64_t	 len, sum;
	size_t		 m;
	char		 n1[5], n2[5];

	payload->p = payload->end = r->p;
	payload->base = r->base;
	payload->cause = NULL;
	if (r->cause != NULL)
		return -1;
	m = snap_left(r) < SNAP_MAGICLEN ? snap_left(r) : SNAP_MAGICLEN;
	if (memcmp(r->p, SNAP_MAGIC, m) != 0)
		return snap_fail(r, "not a dstream snapshot (no "
		    SNAP_MAGIC " magic)");
	if (snap_need(r, SNAP_HDRLEN, "snapshot header") == -1)
		return -1;
	version = snap_rd32(start + 8);
	if (version != SNAP_VERSION)
		return snap_fail(r, "snapshot format version %u, this dstream "
		    "reads version %u", version, SNAP_VERSION);
	len = snap_rd64(start + 16);
	m = snap_left(r) - SNAP_HDRLEN;
	if (m < SNAP_SUMLEN || len > m - SNAP_SUMLEN)
		return snap_fail(r, "truncated snapshot: a payload of %llu "
		    "bytes and its checksum need %llu bytes, %zu left",
		    (unsigned long long)len,
		    (unsigned long long)len + SNAP_SUMLEN, m);
	sum = snap_rd64(start + SNAP_HDRLEN + len);
	if (XXH3_64bits(start, SNAP_HDRLEN + len) != sum)
		return snap_fail(r, "snapshot checksum mismatch (corrupt "
		    "snapshot)");
	got = snap_rd32(start + 12);
	if (got != kind) {
		snap_tagname(got, n1);
		snap_tagname(kind, n2);
		return snap_fail(r, "snapshot holds '%s', expected '%s'",
		    n1, n2);
	}
	payload->p = start + SNAP_HDRLEN;
	payload->end = payload->p + len;
	r->p = payload->end + SNAP_SUMLEN;
	return 0;
}

int
snap_sec(struct snap_rd *r, uint32_t tag, struct snap_rd *sub)
{
	uint32_t	 got;
	uint64_t	 len;
	char		 n1[5], n2[5];

	sub->p = sub->end = r->p;
	sub->base = r->base;
	sub->cause = NULL;
	if (snap_need(r, SNAP_SECLEN, "section header") == -1)
		return -1;
	got = snap_rd32(r->p);
	if (got != tag) {
		snap_tagname(got, n1);
		snap_tagname(tag, n2);
		return snap_fail(r, "section '%s' where '%s' was expected",
		    n1, n2);
	}
	len = snap_rd64(r->p + 4);
	if (len > snap_left(r) - SNAP_SECLEN) {
		snap_tagname(tag, n1);
		return snap_fail(r, "truncated section '%s': %llu bytes, "
		    "%zu left", n1, (unsigned long long)len,
		    snap_left(r) - SNAP_SECLEN);
	}
	sub->p = r->p + SNAP_SECLEN;
	sub->end = sub->p + len;
	r->p = sub->end;
	return 0;
}

int
snap_sec_done(struct snap_rd *r, struct snap_rd *sub)
{
	snap_rd_end(sub);
	if (sub->cause == NULL)
		return r->cause != NULL ? -1 : 0;
	if (r->cause == NULL)
		r->cause = sub->cause;
	else
		free(sub->cause);
	sub->cause = NULL;
	return -1;
}

int
snap_get_u8(struct snap_rd *r, uint8_t *out)
{
	if (r->cause == NULL && r->p < r->end) {
		*out = (uint8_t)*r->p++;
		return 0;
	}
	*out = 0;
	if (snap_need(r, 1, "byte") == -1)
		return -1;
	*out = (uint8_t)*r->p++;
	return 0;
}

int
snap_get_bool(struct snap_rd *r, bool *out)
{
	uint8_t	 u;

	*out = false;
	if (snap_get_u8(r, &u) == -1)
		return -1;
	if (u > 1) {
		r->p--;
		return snap_fail(r, "bad boolean %u", u);
	}
	*out = u == 1;
	return 0;
}

int
snap_get_u64(struct snap_rd *r, uint64_t *out)
{
	const unsigned char	*u = (const unsigned char *)r->p;
	uint64_t		 v = 0;
	size_t			 i, left = snap_left(r);

	*out = 0;
	if (r->cause != NULL)
		return -1;
	/* One byte, the commonest (counts, lengths, small numbers). */
	if (left > 0 && u[0] < 0x80) {
		r->p++;
		*out = u[0];
		return 0;
	}
	for (i = 0; i < 10; i++) {
		if (i == left)
			return snap_fail(r, "truncated varint");
		if (i == 9 && u[i] > 1)
			return snap_fail(r, "varint overflows 64 bits");
		v |= (uint64_t)(u[i] & 0x7f) << (7 * i);
		if ((u[i] & 0x80) == 0) {
			if (i > 0 && u[i] == 0)
				return snap_fail(r, "over-long varint");
			r->p += i + 1;
			*out = v;
			return 0;
		}
	}
	return snap_fail(r, "varint overflows 64 bits");
}

int
snap_get_i64(struct snap_rd *r, int64_t *out)
{
	uint64_t	 u;
	int		 rc;

	rc = snap_get_u64(r, &u);
	*out = (int64_t)(u >> 1 ^ (u & 1 ? UINT64_MAX : 0));
	return rc;
}

int
snap_get_dbl(struct snap_rd *r, double *out)
{
	uint64_t	 u;

	*out = 0;
	if (snap_need(r, 8, "double") == -1)
		return -1;
	u = snap_rd64(r->p);
	memcpy(out, &u, sizeof u);
	r->p += 8;
	return 0;
}

int
snap_get_count(struct snap_rd *r, size_t minsize, uint64_t max, size_t *out)
{
	const char	*at = r->p;
	uint64_t	 n;
	size_t		 left;

	*out = 0;
	if (minsize == 0)
		minsize = 1;
	if (snap_get_u64(r, &n) == -1)
		return -1;
	if (n > max || n > snap_left(r) / minsize) {
		left = snap_left(r);
		r->p = at;
		if (n > max)
			return snap_fail(r, "count %llu over the limit %llu",
			    (unsigned long long)n, (unsigned long long)max);
		return snap_fail(r, "count %llu cannot fit in the %zu "
		    "bytes left", (unsigned long long)n, left);
	}
	*out = (size_t)n;
	return 0;
}

int
snap_get_bytes(struct snap_rd *r, size_t max, const char **p, size_t *n)
{
	const char	*at = r->p;
	uint64_t	 len;
	size_t		 left;

	*p = "";
	*n = 0;
	if (snap_get_u64(r, &len) == -1)
		return -1;
	if (len > max) {
		r->p = at;
		return snap_fail(r, "byte string of %llu bytes, over the "
		    "limit %zu", (unsigned long long)len, max);
	}
	if (len > snap_left(r)) {
		left = snap_left(r);
		r->p = at;
		return snap_fail(r, "truncated byte string: %llu bytes, %zu "
		    "left", (unsigned long long)len, left);
	}
	*p = r->p;
	*n = (size_t)len;
	r->p += len;
	return 0;
}

int
snap_get_str(struct snap_rd *r, struct arena *a, size_t max, char **s,
    size_t *n)
{
	const char	*p;

	*s = NULL;
	if (snap_get_bytes(r, max, &p, n) == -1)
		return -1;
	*s = arena_strndup(a, p, *n);
	return 0;
}

/* Reads a string's bytes into V (a copy in A; "" when empty). */
static int
snap_get_strval(struct snap_rd *r, struct arena *a, struct value *v)
{
	const char	*p;
	size_t		 n;

	if (snap_get_bytes(r, UINT32_MAX, &p, &n) == -1)
		return -1;
	*v = value_str(n ? memcpy(arena_alloc(a, n), p, n) : "", n);
	return 0;
}

static int
snap_get_value_at(struct snap_rd *r, struct arena *a, struct value *out,
    int depth)
{
	struct value	*el;
	uint8_t		 t;
	size_t		 n, i;

	*out = value_null();
	if (snap_get_u8(r, &t) == -1)
		return -1;
	switch (t) {
	case SNAP_V_NULL:
		return 0;
	case SNAP_V_FALSE:
	case SNAP_V_TRUE:
		*out = value_bool(t == SNAP_V_TRUE);
		return 0;
	case SNAP_V_INT:
		*out = value_int(0);
		return snap_get_i64(r, &out->u.i);
	case SNAP_V_DBL:
		*out = value_dbl(0);
		return snap_get_dbl(r, &out->u.d);
	case SNAP_V_STR:
		return snap_get_strval(r, a, out);
	case SNAP_V_TUPLE:
	case SNAP_V_ARR:
	case SNAP_V_OBJ:
		break;
	default:
		r->p--;
		return snap_fail(r, "bad value type %u", t);
	}
	if (depth >= SNAP_MAX_DEPTH) {
		r->p--;
		return snap_fail(r, "value nested deeper than %d levels",
		    SNAP_MAX_DEPTH);
	}
	/* Every element takes a byte at least; a member's key one more. */
	if (snap_get_count(r, t == SNAP_V_OBJ ? 2 : 1, UINT32_MAX, &n) == -1)
		return -1;
	out->type = t == SNAP_V_TUPLE ? V_TUPLE : t == SNAP_V_ARR ? V_ARR :
	    V_OBJ;
	if (n == 0)
		return 0;
	i = t == SNAP_V_OBJ ? 2 * n : n;
	el = arena_alloc(a, i * sizeof *el);
	memset(el, 0, i * sizeof *el);
	for (i = 0; i < n; i++) {
		if (t == SNAP_V_OBJ) {
			if (snap_get_strval(r, a, &el[2 * i]) == -1 ||
			    snap_get_value_at(r, a, &el[2 * i + 1],
			    depth + 1) == -1)
				goto fail;
		} else if (snap_get_value_at(r, a, &el[i], depth + 1) == -1)
			goto fail;
	}
	out->n = (uint32_t)n;
	out->u.a = el;
	return 0;
fail:
	*out = value_null();
	return -1;
}

int
snap_get_value(struct snap_rd *r, struct arena *a, struct value *out)
{
	return snap_get_value_at(r, a, out, 0);
}

int
snap_get_key(struct snap_rd *r, struct arena *a, struct value *out)
{
	const char	*p;
	size_t		 n;

	if (r->cause == NULL && r->p < r->end && *r->p == SNAP_V_STR) {
		r->p++;
		if (snap_get_bytes(r, UINT32_MAX, &p, &n) == -1) {
			*out = value_null();
			return -1;
		}
		*out = value_str(n ? p : "", n);
		return 0;
	}
	return snap_get_value_at(r, a, out, 0);
}
