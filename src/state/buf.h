/*
 * buf.h - a growable byte buffer, the one way dstream builds text.
 *
 * The bytes are always followed by a NUL (not counted in len).  A buf
 * owns its memory; buf_free releases it.
 */
#ifndef DSTREAM_BUF_H
#define DSTREAM_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT { NULL, 0, 0 }

void	buf_grow(struct buf *, size_t more);
void	buf_adds(struct buf *, const char *);

/*
 * Copies S[0..N) to D, with no room check (the caller made room): short
 * pieces (keys, numbers, times) as two overlapping fixed-size moves,
 * which compile to plain moves, not a call.  buf_add, the plain and JSON
 * formats and join's record queue copy through it.
 */
static inline void
buf_put_bytes(char *d, const char *s, size_t n)
{
	if (n > 32)
		memcpy(d, s, n);
	else if (n >= 16) {
		memcpy(d, s, 16);
		memcpy(d + n - 16, s + n - 16, 16);
	} else if (n >= 8) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else if (n > 0) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

/* Inline: they are called for every byte and field dstream prints. */
static inline void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap)
		buf_grow(b, n);
	buf_put_bytes(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void
buf_addc(struct buf *b, int c)
{
	if (b->len + 2 > b->cap)
		buf_grow(b, 1);
	b->p[b->len++] = (char)c;
	b->p[b->len] = '\0';
}
void	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_vprintf(struct buf *, const char *, va_list);
void	buf_reset(struct buf *);
void	buf_free(struct buf *);
/* Hands the NUL-terminated bytes to the caller (free with free()). */
char	*buf_detach(struct buf *);

/*
 * The value of hex digit C (0-9, a-f, A-F), or -1: for the escapes of
 * text dstream reads (URLs' %HH, log fields' \xHH).
 */
static inline int
buf_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
