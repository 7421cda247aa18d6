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

/* Inline: they are called for every byte and field dstream prints. */
static inline void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap)
		buf_grow(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
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

#endif
