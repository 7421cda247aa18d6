/*
 * eval.c - the expression evaluator: walks the tree parser.c built, for
 * one record at a time, and splits the record into fields on demand.
 *
 * Values an evaluation returns live in the context's arena, or point
 * into the record itself ($0 and its fields are never copied), or into
 * the compiled expression (constants).  Nothing is malloc'd per record.
 *
 * Numbers and errors, the one policy:
 *
 *  - Arithmetic (+ - * / %, unary -) takes numbers and strings that look
 *    like numbers (as awk: " 42 ", "1e3", "-0.5"); booleans count as 0
 *    and 1.  Anything else (null, "", "abc", arrays, objects) is a
 *    per-record error: "'+': not a number: \"abc\"".
 *  - int op int stays an int; on overflow the result is a double.  '/' of
 *    two ints is an int when the division is exact, else a double; '%' of
 *    two ints is an int with the sign of the dividend (as C); with a
 *    double, '%' is fmod.
 *  - Division or remainder by zero (0 or 0.0) is a per-record error
 *    ("division by zero"), never inf or NaN.
 *  - NaN and infinity that double arithmetic produces (1e308 * 10) are
 *    kept as values: they print as "nan", "inf" and "-inf" in plain
 *    output and as null in JSON.  NaN is unequal to everything,
 *    itself included, and neither below nor above any number.
 *  - Comparisons are numeric when both sides are numbers or strings that
 *    look like numbers; a string literal written in the expression is
 *    always a string (awk's rule), so $1 == "007" compares text.  A
 *    number against a non-numeric string compares the number's text.
 *    Everything else follows the total order of value_cmp.
 *
 * Fields: $1..$N are split from $0 lazily, only as far as the highest
 * field asked for; NF and $NF split to the end.  The separator is set
 * once for the run by expr_set_fields: runs of blanks (awk's default),
 * a literal string, or RFC 4180 CSV.  A field past the last is null.
 * $name is the field under that heading in the header of the record's
 * own input (cur_origin.hdr, set by the decoding step).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>

#endif

#include "expr_int.h"

/*
 * PCRE2's JIT scans with aligned vector loads that may look at bytes past
 * the end of the subject (harmlessly, within the page), which valgrind
 * reports.  Under valgrind the interpreter is used instead; the sanitizer
 * builds and normal runs keep the JIT.
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define REGEX_USE_JIT()	(!RUNNING_ON_VALGRIND)
#endif
#endif
#ifndef REGEX_USE_JIT
#define REGEX_USE_JIT()	1
#endif

/* The run's field separator (expr_set_fields). */
static char	*fs_delim;	/* NULL: runs of blanks */
static size_t	 fs_dlen;
static bool	 fs_csv;

/*
 * Column names from a --header line (expr_header_new).  Each input has
 * its own; the record in flight points to its input's (cur_origin.hdr).
 * ID tells headers apart for the column index a $name node caches.
 */
struct expr_header {
	char		**names;
	size_t		 *lens;
	int32_t		  n;
	uint32_t	  id;		/* never 0 */
};

static uint32_t	hdr_ids;	/* the last header id given */

static struct buf	scratch = BUF_INIT;

struct buf *
expr_scratch(void)
{
	buf_reset(&scratch);
	return &scratch;
}

/* ---- settings ---- */

/*
 * Sets the field separator for every expression: DELIM (with \t, \n and
 * \\ unescaped) or, when NULL or empty, runs of blanks; CSV selects RFC
 * 4180 fields and wins over DELIM.
 */
void
expr_set_fields(const char *delim, bool csv)
{
	size_t	 i, n;

	free(fs_delim);
	fs_delim = NULL;
	fs_dlen = 0;
	fs_csv = csv;
	if (csv || delim == NULL || *delim == '\0')
		return;
	fs_delim = xmalloc(strlen(delim) + 1);
	for (i = n = 0; delim[i] != '\0'; i++) {
		if (delim[i] == '\\' && delim[i + 1] != '\0') {
			switch (delim[++i]) {
			case 't':
				fs_delim[n++] = '\t';
				continue;
			case 'n':
				fs_delim[n++] = '\n';
				continue;
			case '\\':
				fs_delim[n++] = '\\';
				continue;
			default:
				fs_delim[n++] = '\\';
				break;
			}
		}
		fs_delim[n++] = delim[i];
	}
	fs_delim[n] = '\0';
	fs_dlen = n;
}

static void	fields_split(struct expr_ctx *, int32_t upto);
static void	fields_grow(struct fields *);
/* A context whose split fields others may take (see expr_fields_hint). */
struct expr_ctx	*expr_hint;
static struct value fields_get(struct expr_ctx *, int32_t i);

/*
 * Returns the column names of the header LINE, split as records are (with
 * the field settings of the moment); the caller frees it.
 */
struct expr_header *
expr_header_new(const char *line, size_t len)
{
	struct expr_header	*h = xcalloc(1, sizeof *h);
	struct arena		 a;
	struct expr_ctx		 ctx;
	struct value		 x, v;
	int32_t			 i;

	if (++hdr_ids == 0)
		hdr_ids = 1;
	h->id = hdr_ids;
	arena_init(&a);
	expr_ctx_init(&ctx, &a);
	x = value_str(line, len);
	expr_ctx_record(&ctx, &x);
	fields_split(&ctx, INT32_MAX);
	h->n = ctx.f.nsplit;
	h->names = xcalloc((size_t)h->n + 1, sizeof *h->names);
	h->lens = xcalloc((size_t)h->n + 1, sizeof *h->lens);
	for (i = 0; i < h->n; i++) {
		v = fields_get(&ctx, i + 1);
		h->names[i] = xstrndup(v.u.s ? v.u.s : "", v.n);
		h->lens[i] = v.n;
	}
	expr_ctx_free(&ctx);
	arena_free(&a);
	return h;
}

void
expr_header_free(struct expr_header *h)
{
	int32_t	 i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++)
		free(h->names[i]);
	free(h->names);
	free(h->lens);
	free(h);
}

/* Returns the 1-based column named NAME[0..len) in H, or -1. */
static int32_t
expr_header_find(const struct expr_header *h, const char *name, size_t len)
{
	int32_t	 i;

	for (i = 0; i < h->n; i++)
		if (h->lens[i] == len && memcmp(h->names[i], name, len) == 0)
			return i + 1;
	return -1;
}

/* ---- the context ---- */

void
expr_ctx_init(struct expr_ctx *ctx, struct arena *a)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->arena = a;
	ctx->f.mbase = UINT32_MAX;
}

void
expr_ctx_free(struct expr_ctx *ctx)
{
	free(ctx->f.own);
	free(ctx->f.cooked);
	memset(&ctx->f, 0, sizeof ctx->f);
	buf_free(&scratch);
}

/* expr_ctx_record, inline in the calls that take a record and evaluate. */
static inline void
ctx_record(struct expr_ctx *ctx, const struct value *x)
{
	struct expr_ctx		*h = expr_hint;
	struct fields		*f = &ctx->f;

	ctx->x = *x;
	f->ahead = f->need;
	f->need = 0;
	/* The same bytes already split by the hint's context: take its
	 * fields (its bounds, read where they are until this context splits
	 * further) rather than splitting the line again. */
	if (h != NULL && h != ctx && x->type == V_STR &&
	    h->f.text == x->u.s && h->x.n == x->n && h->f.nsplit > 0 &&
	    h->x.type == V_STR && h->x.u.s == x->u.s && !fs_csv) {
		f->bnd = h->f.bnd;
		f->nsplit = h->f.nsplit;
		f->all = h->f.all;
		f->text = h->f.text;
		f->len = h->f.len;
		f->mbase = h->f.mbase;
		f->mask = h->f.mask;
		/* Next time the hint splits as far as this one goes. */
		if (h->f.need < f->ahead)
			h->f.need = f->ahead;
		return;
	}
	f->bnd = f->own;
	f->text = NULL;
	f->nsplit = 0;
	f->all = false;
	f->mbase = UINT32_MAX;
}

void
expr_ctx_record(struct expr_ctx *ctx, const struct value *x)
{
	ctx_record(ctx, x);
}


/* ---- errors and text ---- */

static int
expr_vfail(struct expr_ctx *ctx, const struct value *v, const char *fmt,
    va_list ap)
{
	struct buf	*b = expr_scratch();
	size_t		 mark, cut;

	buf_vprintf(b, fmt, ap);
	if (v != NULL) {
		buf_adds(b, ": ");
		mark = b->len;
		value_fmt_json(b, v);
		if (b->len - mark > 64) {
			cut = mark + 60;
			while (cut > mark &&
			    ((unsigned char)b->p[cut] & 0xc0) == 0x80)
				cut--;
			b->len = cut;
			buf_adds(b, "...");
		}
	}
	ctx->err = arena_strndup(ctx->arena, b->p, b->len);
	return -1;
}

int
expr_fail(struct expr_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = expr_vfail(ctx, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

int
expr_failv(struct expr_ctx *ctx, const struct value *v, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = expr_vfail(ctx, v, fmt, ap);
	va_end(ap);
	return rc;
}

struct value
expr_strbuf(struct expr_ctx *ctx, const struct buf *b)
{
	if (b->len == 0)
		return value_str("", 0);
	return value_str(arena_strndup(ctx->arena, b->p, b->len), b->len);
}

void
expr_text_fmt(struct expr_ctx *ctx, const struct value *v, const char **s,
    size_t *n)
{
	struct buf	*b;

	if (v->type == V_STR) {
		*s = v->u.s != NULL ? v->u.s : "";
		*n = v->n;
		return;
	}
	if (v->type == V_NULL) {
		*s = "";
		*n = 0;
		return;
	}
	b = expr_scratch();
	value_fmt_plain(b, v);
	*s = arena_strndup(ctx->arena, b->p, b->len);
	*n = b->len;
}

/* ---- regexes ---- */

struct regex *
regex_new(const char *pat, size_t len, uint32_t flags, char *errbuf,
    size_t errlen, size_t *erroff)
{
	struct regex	*r;
	pcre2_code	*code;
	int		 errcode;
	PCRE2_SIZE	 off = 0;
	uint32_t	 opts = flags;

#ifdef PCRE2_MATCH_INVALID_UTF
	opts |= PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
#endif
	code = pcre2_compile((PCRE2_SPTR)(pat != NULL ? pat : ""), len, opts,
	    &errcode, &off, NULL);
	if (code == NULL) {
		if (pcre2_get_error_message(errcode, (PCRE2_UCHAR *)errbuf,
		    errlen) < 0)
			snprintf(errbuf, errlen, "error %d", errcode);
		*erroff = off;
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->code = code;
	r->jit = REGEX_USE_JIT() &&
	    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
	r->md = pcre2_match_data_create_from_pattern(code, NULL);
	if (r->md == NULL) {
		/* As xmalloc: running out of memory ends the run. */
		fprintf(stderr, "dstream: out of memory for a regex\n");
		exit(EXIT_RUNTIME);
	}
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &r->ncap);
	r->pat = xstrndup(pat != NULL ? pat : "", len);
	r->patlen = len;
	r->flags = flags;
	return r;
}

void
regex_free(struct regex *r)
{
	if (r == NULL)
		return;
	pcre2_match_data_free(r->md);
	pcre2_code_free(r->code);
	free(r->pat);
	free(r);
}

/*
 * One match context for every regex, with a JIT stack that grows to
 * 8 MiB (the default 32 KiB fails on long lines with nested groups).
 */
static pcre2_match_context	*regex_mctx;
static pcre2_jit_stack		*regex_jstack;

static pcre2_match_context *
regex_context(void)
{
	if (regex_mctx != NULL)
		return regex_mctx;
	if ((regex_mctx = pcre2_match_context_create(NULL)) == NULL) {
		fprintf(stderr, "dstream: out of memory for a regex\n");
		exit(EXIT_RUNTIME);
	}
	regex_jstack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024,
	    NULL);
	if (regex_jstack != NULL)
		pcre2_jit_stack_assign(regex_mctx, NULL, regex_jstack);
	return regex_mctx;
}

static void __attribute__((destructor))
regex_context_free(void)
{
	pcre2_jit_stack_free(regex_jstack);
	pcre2_match_context_free(regex_mctx);
	regex_jstack = NULL;
	regex_mctx = NULL;
}

int
regex_exec(struct regex *r, const char *s, size_t n, size_t start)
{
	pcre2_match_context	*mc = regex_context();
	int			 rc;

	if (s == NULL)
		s = "";
	if (r->jit)
		rc = pcre2_jit_match(r->code, (PCRE2_SPTR)s, n, start, 0,
		    r->md, mc);
	else
		rc = pcre2_match(r->code, (PCRE2_SPTR)s, n, start, 0, r->md,
		    mc);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return -1;
}

struct regex *
expr_regex(struct expr_ctx *ctx, struct node *n, struct dyncache *cache,
    const struct value *v, const char *who)
{
	struct regex	*re;
	const char	*s;
	size_t		 len, off;
	char		 msg[160];

	if (n != NULL && n->kind == N_REGEX)
		return n->re;
	if (v->type != V_STR && !value_is_num(v)) {
		expr_failv(ctx, v, "%s: not a regex or string", who);
		return NULL;
	}
	expr_text(ctx, v, &s, &len);
	re = cache->re;
	if (re != NULL && re->patlen == len && memcmp(re->pat, s, len) == 0)
		return re;
	if ((re = regex_new(s, len, 0, msg, sizeof msg, &off)) == NULL) {
		expr_failv(ctx, v, "%s: bad regex (%s at offset %zu)", who, msg,
		    off);
		return NULL;
	}
	regex_free(cache->re);
	cache->re = re;
	return re;
}

/* ---- fields ---- */

/* Makes the record's text ($0) known: the string itself, or its plain form. */
static void
fields_text(struct expr_ctx *ctx)
{
	struct fields	*f = &ctx->f;
	const char	*s;
	size_t		 n;

	expr_text(ctx, &ctx->x, &s, &n);
	f->text = s;
	f->len = (uint32_t)n;
	f->mbase = UINT32_MAX;
}

/* Doubles F's own bounds (F splits into them: see fields_own). */
static void
fields_grow(struct fields *f)
{
	f->cap = f->cap ? f->cap * 2 : 32;
	f->own = f->bnd = xreallocarray(f->own, f->cap, 2 * sizeof *f->own);
	if (fs_csv)
		f->cooked = xreallocarray(f->cooked, f->cap, sizeof *f->cooked);
}

/*
 * Makes F's bounds its own before it splits further: the fields taken
 * from the hint's context are copied into OWN.  Out of line: a context
 * that takes the hint's fields mostly needs no more.
 */
static void __attribute__((noinline))
fields_own(struct fields *f)
{
	const uint32_t	*from = f->bnd;

	while (f->cap < (uint32_t)f->nsplit)
		fields_grow(f);
	f->bnd = f->own;
	memcpy(f->bnd, from, (size_t)f->nsplit * 2 * sizeof *f->bnd);
}

static inline void
fields_add(struct expr_ctx *ctx, uint32_t off, uint32_t len)
{
	struct fields	*f = &ctx->f;

	if ((uint32_t)f->nsplit == f->cap)
		fields_grow(f);
	f->bnd[2 * f->nsplit] = off;
	f->bnd[2 * f->nsplit + 1] = off + len;
	f->nsplit++;
}

static inline bool
fields_isblank(char c)
{
	return c == ' ' || c == '\t';
}

#ifdef __SSE2__
/* Bit i is set when p[i] is a blank, for the 16 bytes at P. */
static inline uint32_t
fields_blanks16(const char *p)
{
	__m128i	 v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i	 m = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')));

	return (uint32_t)_mm_movemask_epi8(m);
}
#endif

/* Bit i is set when S[i] is a blank, for the 64 bytes at S. */
static inline uint64_t
fields_blanks64(const char *s)
{
	uint64_t	 m = 0;
	int		 k;

#ifdef __SSE2__
	/* Written out: GCC at -O2 keeps the loop of four. */
	(void)k;
	m = (uint64_t)fields_blanks16(s) |
	    (uint64_t)fields_blanks16(s + 16) << 16 |
	    (uint64_t)fields_blanks16(s + 32) << 32 |
	    (uint64_t)fields_blanks16(s + 48) << 48;
#else
	for (k = 0; k < 64; k++)
		m |= (uint64_t)fields_isblank(s[k]) << k;
#endif
	return m;
}

/* The first blank in S[pos..len), or LEN: 16 bytes at a time. */
static inline uint32_t
fields_blank_at(const char *s, uint32_t pos, uint32_t len)
{
#ifdef __SSE2__
	uint32_t	 m;

	for (; pos + 16 <= len; pos += 16)
		if ((m = fields_blanks16(s + pos)) != 0)
			return pos + (uint32_t)__builtin_ctz(m);
#endif
	while (pos < len && !fields_isblank(s[pos]))
		pos++;
	return pos;
}

/*
 * Puts the edges of EDGES (bit i: an edge at POS + i) at O, two a turn (a
 * field's start and end, mostly), until they run out or O reaches OEND;
 * returns where O got to.  One past OEND may be written (the callers have
 * room for it; nsplit counts whole fields).
 */
static inline uint32_t *
fields_edges(uint32_t *o, const uint32_t *oend, uint64_t edges, uint32_t pos)
{
	while (edges != 0 && o < oend) {
		o[0] = pos + (uint32_t)__builtin_ctzll(edges);
		edges &= edges - 1;
		if (edges == 0)
			return o + 1;
		o[1] = pos + (uint32_t)__builtin_ctzll(edges);
		edges &= edges - 1;
		o += 2;
	}
	return o;
}

/*
 * With glibc on x86-64 the fresh split below is compiled twice, for CPUs
 * with AVX2 and BMI (x86-64-v3: two 32-byte compares a block, one-
 * instruction bit clearing) and for any, and the loader picks one (an
 * ifunc, never inlined).  Elsewhere it is kept out of line.
 */
#if defined(__x86_64__) && defined(__GLIBC__) && \
    (defined(__clang__) ? __clang_major__ >= 14 : __GNUC__ >= 11)
#define FIELDS_TWO	__attribute__((target_clones("arch=x86-64-v3", \
			    "default")))
#else
#define FIELDS_TWO	__attribute__((noinline))
#endif

/* Room in F's bounds for the fresh two-block splits below. */
#define FIELDS_TWO_CAP	128

/*
 * A fresh split (no field yet) of a text of 65 to 127 bytes, the most
 * common log line (as far as its status, and often whole): the two
 * blocks' masks taken at once, the second the 64 bytes that end the
 * text, shifted (blanks above its end), with none of the general sweep's
 * resuming, growing or stepping.  Leaves F as fields_split_blanks would:
 * the same bounds (up to LIM), NF known when the text ran out, the last
 * block's mask kept.  Called by fields_split, without the general
 * sweep's frame.
 */
static void FIELDS_TWO
fields_split_two(struct fields *f, uint32_t lim)
{
	const char	*s = f->text;
	uint32_t	 len = f->len, nb, *bnd, *o;
	const uint32_t	*oend;
	uint64_t	 b = fields_blanks64(s), b1;

	while (f->cap < FIELDS_TWO_CAP)
		fields_grow(f);
	bnd = f->bnd;
	oend = bnd + (lim < 128 ? lim : 128);
	o = fields_edges(bnd, oend, b ^ (b << 1 | 1), 0);
	nb = (uint32_t)(o - bnd);
	if (nb >= lim) {
		f->nsplit = (int32_t)(nb / 2);
		f->mbase = 0;
		f->mask = b;
		return;
	}
	b1 = fields_blanks64(s + len - 64) >> (128 - len) |
	    ~(uint64_t)0 << (len - 64);
	o = fields_edges(o, oend, b1 ^ (b1 << 1 | b >> 63), 64);
	nb = (uint32_t)(o - bnd);
	if (nb < lim) {
		if (nb & 1)	/* the last field runs to the end */
			bnd[nb++] = len;
		f->all = true;
	}
	f->nsplit = (int32_t)(nb / 2);
	f->mbase = 64;
	f->mask = b1;
}


/*
 * Splits F's text on runs of blanks from POS (a blank, the end, or 0)
 * until field UPTO exists or the text ends.  The text is looked at 64
 * bytes at a time: one mask of its blanks gives every place where a
 * field starts (a non-blank after a blank) or ends (a blank after a
 * non-blank) in the block.  Starts and ends alternate, so they are taken
 * in one sweep into F's bounds, start and end of each field side by
 * side: a few instructions a field whatever its length, and the branches
 * follow the count of fields, not the bytes.  The last block's mask is
 * kept for the next call, which mostly resumes inside it.
 */
static void __attribute__((noinline))
fields_split_blanks(struct fields *f, int32_t upto)
{
	const char	*s = f->text;
	uint32_t	 len = f->len, w, r, mbase = f->mbase;
	/* Bounds found (twice the fields ended, plus one while a field is
	 * open), and as many as field UPTO's end needs (UPTO <= INT32_MAX:
	 * no wrap). */
	uint32_t	 nb = 2 * (uint32_t)f->nsplit, lim = 2 * (uint32_t)upto;
	uint32_t	*bnd = f->bnd, *o, *oend;
	uint64_t	 b, after, edges, prev = 1, mask = f->mask;
	uint32_t	 pos = nb == 0 ? 0 : f->bnd[nb - 1];
	char		 tail[64];

	if (lim == nb + 2) {
		/* Just one more field (`map '$1'`): a block's mask would
		 * cost more than stepping to its end. */
		while (pos < len && fields_isblank(s[pos]))
			pos++;
		if (pos >= len) {
			f->all = true;
			return;
		}
		if (2 * f->cap < nb + 2)
			fields_grow(f);
		f->bnd[nb] = pos;
		f->bnd[nb + 1] = fields_blank_at(s, pos, len);
		f->nsplit++;
		return;
	}
	/* Where the sweep stops: field UPTO's end, or the end of BND
	 * (never short of a block's edges: see the growth below). */
	oend = bnd == NULL ? NULL : bnd + (lim < 2 * f->cap ? lim : 2 * f->cap);
	while (nb < lim) {
		if (pos >= len) {
			if (nb & 1)	/* the last field runs to the end */
				bnd[nb++] = len;
			f->all = true;
			break;
		}
		if (pos >= mbase && pos - mbase < 64) {
			/* Resuming inside the block the last call looked
			 * at: the rest of its mask, W bits of it. */
			w = 64 - (pos - mbase);
			b = mask >> (pos - mbase);
			after = b << 1 | prev;
			edges = (b ^ after) & (~(uint64_t)0 >> (64 - w));
			prev = b >> (w - 1) & 1;
		} else {
			w = 64;
			if (len - pos >= 64)
				b = fields_blanks64(s + pos);
			else if (len >= 64) {
				/* The last block, R bytes: the 64 that end
				 * the text, shifted past those already
				 * looked at, blanks above (which end a
				 * field). */
				r = len - pos;
				b = fields_blanks64(s + len - 64) >> (64 - r) |
				    ~(uint64_t)0 << r;
			} else {
				/* The last block of a short text: blanks pad
				 * it. */
				memset(tail, ' ', sizeof tail);
				memcpy(tail, s + pos, len - pos);
				b = fields_blanks64(tail);
			}
			mbase = pos;
			mask = b;
			after = b << 1 | prev;	/* bit i: byte i-1 is blank */
			edges = b ^ after;	/* a start or an end */
			prev = b >> 63;
		}
		/* A block holds at most 64 edges. */
		while (2 * f->cap < nb + 64) {
			f->nsplit = (int32_t)(nb / 2);
			fields_grow(f);
			bnd = f->bnd;
			oend = bnd + (lim < 2 * f->cap ? lim : 2 * f->cap);
		}
		/* Two edges a turn (a field's start and end, mostly); one
		 * past LIM is harmless (room for it, and nsplit counts
		 * whole fields). */
		o = fields_edges(bnd + nb, oend, edges, pos);
		nb = (uint32_t)(o - bnd);
		pos += w;
	}
	f->nsplit = (int32_t)(nb / 2);
	f->mbase = mbase;
	f->mask = mask;
}

/* One CSV field at POS: records its raw span and its unquoted value. */
static void
fields_csv1(struct expr_ctx *ctx, uint32_t pos)
{
	struct fields	*f = &ctx->f;
	const char	*s = f->text, *q;
	uint32_t	 i = pos, end;
	struct buf	*b;
	bool		 doubled = false;
	struct value	 v;

	if (i < f->len && s[i] == '"') {
		for (i++; i < f->len; i++) {
			if (s[i] != '"')
				continue;
			if (i + 1 < f->len && s[i + 1] == '"') {
				doubled = true;
				i++;
				continue;
			}
			break;
		}
		end = i;		/* the closing quote, or the end */
		if (!doubled)
			v = value_str(s + pos + 1, end - pos - 1);
		else {
			b = expr_scratch();
			for (q = s + pos + 1; q < s + end; q++) {
				buf_addc(b, *q);
				if (*q == '"')
					q++;
			}
			v = expr_strbuf(ctx, b);
		}
		/* Text after the closing quote, up to a comma, stays. */
		if (i < f->len)
			i++;
		if (i < f->len && s[i] != ',') {
			b = expr_scratch();
			buf_add(b, v.u.s, v.n);
			while (i < f->len && s[i] != ',')
				buf_addc(b, s[i++]);
			v = expr_strbuf(ctx, b);
		}
	} else {
		while (i < f->len && s[i] != ',')
			i++;
		v = value_str(s + pos, i - pos);
	}
	fields_add(ctx, pos, i - pos);
	f->cooked[f->nsplit - 1] = v;
}

/* fields_split with a separator string or CSV. */
static void __attribute__((noinline))
fields_split_sep(struct expr_ctx *ctx, int32_t upto)
{
	struct fields	*f = &ctx->f;
	const char	*s, *d;
	uint32_t	 pos;

	if (fs_csv && f->cooked == NULL && f->cap > 0)
		/* --csv set after this context last split a record */
		f->cooked = xreallocarray(NULL, f->cap, sizeof *f->cooked);
	s = f->text;
	if (f->nsplit == 0)
		pos = 0;
	else
		pos = f->bnd[2 * f->nsplit - 1];
	if (f->len == 0) {
		f->all = true;
		return;
	}
	if (f->nsplit > 0) {
		if (pos >= f->len) {
			f->all = true;
			return;
		}
		pos += fs_csv ? 1 : (uint32_t)fs_dlen;
	}
	while (f->nsplit < upto) {
		if (fs_csv) {
			fields_csv1(ctx, pos);
			pos = f->bnd[2 * f->nsplit - 1];
		} else {
			if (fs_dlen == 1)
				d = memchr(s + pos, fs_delim[0], f->len - pos);
			else
				d = memmem(s + pos, f->len - pos, fs_delim,
				    fs_dlen);
			if (d == NULL) {
				fields_add(ctx, pos, f->len - pos);
				f->all = true;
				return;
			}
			fields_add(ctx, pos, (uint32_t)(d - (s + pos)));
			pos = (uint32_t)(d - s);
		}
		if (pos >= f->len) {
			f->all = true;
			return;
		}
		if (f->nsplit < upto)
			pos += fs_csv ? 1 : (uint32_t)fs_dlen;
	}
}

/* Splits $0 until field UPTO exists or the text ends. */
static inline void
fields_split(struct expr_ctx *ctx, int32_t upto)
{
	struct fields	*f = &ctx->f;

	if (f->text != NULL)
		;
	else if (ctx->x.type == V_STR && ctx->x.u.s != NULL) {
		/* fields_text for a string, inline */
		f->text = ctx->x.u.s;
		f->len = ctx->x.n;
		f->mbase = UINT32_MAX;
	} else
		fields_text(ctx);
	if (f->all)
		return;
	if (f->bnd != f->own)
		fields_own(f);
	if (fs_delim == NULL && !fs_csv) {
		if (f->nsplit == 0 && f->len - 65 < 63 && upto > 1)
			fields_split_two(f, 2 * (uint32_t)upto);
		else
			fields_split_blanks(f, upto);
	}
	else
		fields_split_sep(ctx, upto);
}

/*
 * Whether S[0..len) and T[0..tlen) joined are S[0..len+tlen) of the
 * record's text: S lies in the text and T is what follows it there.
 */
static bool
eval_cat_span(const struct expr_ctx *ctx, const char *s, size_t len,
    const char *t, size_t tlen)
{
	const char	*text = ctx->f.text;
	size_t		 off;

	/* Compared as integers: S may lie in another object. */
	if (text == NULL || (uintptr_t)s < (uintptr_t)text ||
	    (uintptr_t)s - (uintptr_t)text > ctx->f.len)
		return false;
	off = (size_t)((uintptr_t)s - (uintptr_t)text);
	if (len + tlen > ctx->f.len - off)
		return false;
	return t == s + len || memcmp(s + len, t, tlen) == 0;
}

/*
 * Splits as far as field I at least: as far as the last record needed
 * (records alike need alike fields), if further.  Returns whether field
 * I exists.  Out of line: fields_get, inline, then needs no frame.
 */
static bool __attribute__((noinline))
fields_reach(struct expr_ctx *ctx, int32_t i)
{
	fields_split(ctx, i > ctx->f.ahead ? i : ctx->f.ahead);
	return ctx->f.nsplit >= i;
}

/* Field I (1-based) as a string value into the record, or null past the end. */
static inline struct value
fields_get(struct expr_ctx *ctx, int32_t i)
{
	struct fields	*f = &ctx->f;

	if (f->need < i)
		f->need = i;
	if (f->nsplit < i && !fields_reach(ctx, i))
		return value_null();
	if (fs_csv)
		return f->cooked[i - 1];
	return value_str(f->text + f->bnd[2 * i - 2],
	    f->bnd[2 * i - 1] - f->bnd[2 * i - 2]);
}

struct value
expr_record_field(struct expr_ctx *ctx, const struct value *x, int32_t i)
{
	ctx_record(ctx, x);
	ctx->err = NULL;
	return fields_get(ctx, i);
}

static int	eval_cat(struct node *, struct expr_ctx *, struct value *);
static int	eval_span(struct node *, struct expr_ctx *, struct value *);
static int	eval_call(struct node *, struct expr_ctx *, struct value *);

/*
 * eval_node for the commonest nodes, fields and constants (and `..` and
 * calls, in functions of their own), without the big function's frame:
 * every operand of an operator or a call comes through here.
 */
static inline int
eval_fast(struct node *n, struct expr_ctx *ctx, struct value *out)
{
	switch (n->kind) {
	case N_FIELD:
		*out = fields_get(ctx, n->field);
		return 0;
	case N_CONST:
		*out = n->v;
		return 0;
	case N_CAT:
		return n->span ? eval_span(n, ctx, out) : eval_cat(n, ctx, out);
	case N_CALL:
		return eval_call(n, ctx, out);
	default:
		return eval_node(n, ctx, out);
	}
}

/*
 * `$i .. "k" .. $j` (a log's time, `$4 .. " " .. $5`): when the two fields
 * lie in the text with K between them, that span of the text (the bytes
 * eval_cat would give, without its walk); else eval_cat.  Out of line:
 * inlined in eval_fast, it would weigh on every caller's frame.
 */
static int __attribute__((noinline))
eval_span(struct node *n, struct expr_ctx *ctx, struct value *out)
{
	const struct value	*k = &n->a->b->v;
	struct fields		*f = &ctx->f;
	int32_t			 i = n->a->a->field, j = n->b->field;
	int32_t			 m = n->field, upto;
	uint32_t		 aend, bstart;

	/* What fields_get(i) then fields_get(j) would do. */
	if (fs_csv)
		return eval_cat(n, ctx, out);
	if (f->need < m)
		f->need = m;
	if (f->nsplit < m) {
		upto = m > f->ahead ? m : f->ahead;
		if (f->text == NULL && ctx->x.type == V_STR &&
		    ctx->x.n - 65 < 63 && fs_delim == NULL) {
			/* A record's first split (expr_ctx_record left its
			 * own bounds, none found), of fields_split_two's
			 * size: fields_split's way, shorter. */
			f->text = ctx->x.u.s;
			f->len = ctx->x.n;
			fields_split_two(f, 2 * (uint32_t)upto);
		} else
			fields_split(ctx, upto);
		if (f->nsplit < m)
			return eval_cat(n, ctx, out);
	}
	aend = f->bnd[2 * i - 1];
	bstart = f->bnd[2 * j - 2];
	if (aend + k->n == bstart && (k->n == 1 ?
	    f->text[aend] == k->u.s[0] :
	    memcmp(f->text + aend, k->u.s, k->n) == 0)) {
		*out = value_str(f->text + f->bnd[2 * i - 2],
		    f->bnd[2 * j - 1] - f->bnd[2 * i - 2]);
		return 0;
	}
	return eval_cat(n, ctx, out);
}

/* A .. B: the text of both, joined. */
static int
eval_cat(struct node *n, struct expr_ctx *ctx, struct value *out)
{
	struct value	 a, b;
	const char	*s, *t;
	size_t		 len, tlen;
	char		*p;

	if (eval_fast(n->a, ctx, &a) == -1 ||
	    eval_fast(n->b, ctx, &b) == -1)
		return -1;
	expr_text(ctx, &a, &s, &len);
	expr_text(ctx, &b, &t, &tlen);
	if (tlen == 0 && a.type == V_STR) {
		*out = a;
		return 0;
	}
	if (len == 0 && b.type == V_STR) {
		*out = b;
		return 0;
	}
	/* Two pieces of the record's own text that lie side by side there
	 * (`$4 .. " " .. $5`) join without a copy: the result is a span of
	 * the text. */
	if (eval_cat_span(ctx, s, len, t, tlen)) {
		*out = value_str(s, len + tlen);
		return 0;
	}
	p = arena_alloc(ctx->arena, len + tlen + 1);
	memcpy(p, s, len);
	memcpy(p + len, t, tlen);
	p[len + tlen] = '\0';
	*out = value_str(p, len + tlen);
	return 0;
}

static int32_t
fields_count(struct expr_ctx *ctx)
{
	fields_split(ctx, INT32_MAX);
	return ctx->f.nsplit;
}

/* Field by a computed index (negative: from the end) or by column name. */
static int
fields_dyn(struct expr_ctx *ctx, const struct value *k, struct value *out)
{
	const struct expr_header *h = cur_origin.hdr;
	struct value	 num;
	int64_t		 i;
	int32_t		 j;

	if (k->type == V_STR && !value_parse_num(k->u.s, k->n, &num)) {
		if (h == NULL)
			return expr_failv(ctx, k, "'$()': a column name needs "
			    "--header");
		if ((j = expr_header_find(h, k->u.s, k->n)) < 0)
			return expr_failv(ctx, k, "'$()': no such column");
		*out = fields_get(ctx, j);
		return 0;
	}
	if (!value_to_num(k, &num) || k->type == V_BOOL)
		return expr_failv(ctx, k, "'$()': not a field number");
	if (num.type == V_DBL) {
		if (!(num.u.d >= -1e9 && num.u.d <= 1e9) ||
		    num.u.d != trunc(num.u.d))
			return expr_failv(ctx, k, "'$()': not a field number");
		i = (int64_t)num.u.d;
	} else
		i = num.u.i;
	if (i == 0) {
		if (ctx->f.text == NULL)
			fields_text(ctx);
		*out = value_str(ctx->f.text, ctx->f.len);
		return 0;
	}
	if (i < 0)
		i += (int64_t)fields_count(ctx) + 1;
	if (i <= 0 || i > INT32_MAX) {
		*out = value_null();
		return 0;
	}
	*out = fields_get(ctx, (int32_t)i);
	return 0;
}

/* ---- numbers ---- */

static const char *
eval_opname(enum nkind op)
{
	switch (op) {
	case N_ADD:	return "+";
	case N_SUB:	return "-";
	case N_MUL:	return "*";
	case N_DIV:	return "/";
	case N_MOD:	return "%";
	case N_NEG:	return "-";
	default:	return "?";
	}
}

/* The number V stands for, or an error naming operator OP. */
static int
eval_tonum(struct expr_ctx *ctx, enum nkind op, const struct value *v,
    struct value *out)
{
	if (v->type == V_INT || v->type == V_DBL) {
		*out = *v;
		return 0;
	}
	if (value_to_num(v, out))
		return 0;
	return expr_failv(ctx, v, "'%s': not a number", eval_opname(op));
}

int
expr_arith(struct expr_ctx *ctx, enum nkind op, const struct value *a,
    const struct value *b, struct value *out)
{
	struct value	 x, y;
	int64_t		 r;
	double		 p, q;

	if (eval_tonum(ctx, op, a, &x) == -1 ||
	    eval_tonum(ctx, op, b, &y) == -1)
		return -1;
	if (x.type == V_INT && y.type == V_INT) {
		switch (op) {
		case N_ADD:
			if (!__builtin_add_overflow(x.u.i, y.u.i, &r))
				goto isint;
			break;
		case N_SUB:
			if (!__builtin_sub_overflow(x.u.i, y.u.i, &r))
				goto isint;
			break;
		case N_MUL:
			if (!__builtin_mul_overflow(x.u.i, y.u.i, &r))
				goto isint;
			break;
		case N_DIV:
			if (y.u.i == 0)
				return expr_fail(ctx, "'/': division by zero");
			if (y.u.i == -1) {
				if (x.u.i == INT64_MIN)
					break;
				r = -x.u.i;
				goto isint;
			}
			if (x.u.i % y.u.i == 0) {
				r = x.u.i / y.u.i;
				goto isint;
			}
			break;
		case N_MOD:
			if (y.u.i == 0)
				return expr_fail(ctx, "'%%': division by zero");
			r = y.u.i == -1 ? 0 : x.u.i % y.u.i;
			goto isint;
		default:
			break;
		}
	}
	p = value_as_dbl(&x);
	q = value_as_dbl(&y);
	switch (op) {
	case N_ADD:
		*out = value_dbl(p + q);
		break;
	case N_SUB:
		*out = value_dbl(p - q);
		break;
	case N_MUL:
		*out = value_dbl(p * q);
		break;
	case N_DIV:
		if (q == 0)
			return expr_fail(ctx, "'/': division by zero");
		*out = value_dbl(p / q);
		break;
	case N_MOD:
		if (q == 0)
			return expr_fail(ctx, "'%%': division by zero");
		*out = value_dbl(fmod(p, q));
		break;
	default:
		return expr_fail(ctx, "bad arithmetic operator");
	}
	return 0;
isint:
	*out = value_int(r);
	return 0;
}

static bool
eval_isnan(const struct value *v)
{
	return v->type == V_DBL && isnan(v->u.d);
}

/*
 * Compares A and B as the comparison operators do (see the policy at the
 * top).  Returns -1, 0, 1, or 2 when they are unordered (NaN).  ALIT and
 * BLIT say a side is a string literal, never read as a number.
 */
int
expr_compare(const struct value *a, const struct value *b, bool alit,
    bool blit)
{
	struct value	 x, y;
	struct buf	*t;
	int		 c;
	size_t		 n;

	if (a->type == V_STR && b->type == V_STR) {
		if (!alit && !blit && value_parse_num(a->u.s, a->n, &x) &&
		    value_parse_num(b->u.s, b->n, &y)) {
			a = &x;
			b = &y;
			goto num;
		}
		n = a->n < b->n ? a->n : b->n;
		c = n ? memcmp(a->u.s, b->u.s, n) : 0;
		if (c != 0)
			return c < 0 ? -1 : 1;
		return a->n < b->n ? -1 : a->n > b->n;
	}
	if (value_is_num(a) && value_is_num(b))
		goto num;
	if (value_is_num(a) && b->type == V_STR) {
		if (!blit && value_parse_num(b->u.s, b->n, &y)) {
			b = &y;
			goto num;
		}
		t = expr_scratch();
		value_fmt_plain(t, a);
		x = value_str(t->p, t->len);
		return expr_compare(&x, b, true, true);
	}
	if (a->type == V_STR && value_is_num(b)) {
		c = expr_compare(b, a, blit, alit);
		return c == 2 ? 2 : -c;
	}
	return value_cmp(a, b);
num:
	if (eval_isnan(a) || eval_isnan(b))
		return 2;
	return value_cmp(a, b);
}

/* Whether two values are equal for ==: NaN never is. */
static bool
expr_equal(const struct value *a, const struct value *b, bool alit, bool blit)
{
	if (a->type == V_STR && b->type == V_STR && (alit || blit))
		return a->n == b->n && (a->n == 0 ||
		    memcmp(a->u.s, b->u.s, a->n) == 0);
	if (a->type == V_INT && b->type == V_INT)
		return a->u.i == b->u.i;
	return expr_compare(a, b, alit, blit) == 0;
}

/* ---- members and indexes ---- */

/* Index K into N elements: an integer, negative from the end. */
static int
eval_indexof(struct expr_ctx *ctx, const struct value *k, uint32_t n,
    int64_t *out)
{
	struct value	 num;
	int64_t		 i;

	if (k->type == V_BOOL || !value_to_num(k, &num))
		return expr_failv(ctx, k, "'[]': not an index");
	if (num.type == V_DBL) {
		if (!(num.u.d > -9e18 && num.u.d < 9e18) ||
		    num.u.d != trunc(num.u.d))
			return expr_failv(ctx, k, "'[]': not an integer index");
		i = (int64_t)num.u.d;
	} else
		i = num.u.i;
	if (i < 0)
		i += n;
	*out = i;
	return 0;
}

/*
 * A[K]: an element of an array or tuple (null out of range), a member
 * of an object (null when absent), null on null; else an error.
 */
static int
eval_index(struct expr_ctx *ctx, const struct value *a, const struct value *k,
    struct value *out)
{
	const struct value	*m;
	int64_t			 i = 0;

	switch (a->type) {
	case V_NULL:
		*out = value_null();
		return 0;
	case V_ARR:
	case V_TUPLE:
		if (eval_indexof(ctx, k, a->n, &i) == -1)
			return -1;
		*out = i >= 0 && i < a->n ? a->u.a[i] : value_null();
		return 0;
	case V_OBJ:
		if (k->type != V_STR)
			return expr_failv(ctx, k, "'[]': an object's key must "
			    "be a string");
		m = value_obj_get(a, k->u.s, k->n);
		*out = m != NULL ? *m : value_null();
		return 0;
	default:
		return expr_failv(ctx, a, "'[]': cannot index a %s",
		    value_type_name(a));
	}
}

/* ---- the walk ---- */

/*
 * A builtin call: evaluates the arguments (on the stack up to eight),
 * leaving regex literals where the builtin takes a pattern to it.
 */
static int
eval_call(struct node *n, struct expr_ctx *ctx, struct value *out)
{
	const struct builtin	*bi = n->bi;
	struct value		 small[8], *args = small;
	uint32_t		 i;

	if (bi->flags & BI_LAZY)
		return bi->fn(ctx, n, NULL, (int)n->nkids, out);
	if (n->nkids == 1) {
		/* time($4 .. " " .. $5) and the like: no loop (an only
		 * argument is never a pattern's place). */
		if (eval_fast(n->kids[0], ctx, &small[0]) == -1)
			return -1;
		return bi->fn(ctx, n, small, 1, out);
	}
	if (n->nkids > 8)
		args = arena_alloc(ctx->arena, n->nkids * sizeof *args);
	for (i = 0; i < n->nkids; i++) {
		if (n->kids[i]->kind == N_REGEX &&
		    ((i == 1 && (bi->flags & BI_RE1)) ||
		    (i == 2 && (bi->flags & BI_RE2)))) {
			args[i] = value_null();
			continue;
		}
		if (eval_fast(n->kids[i], ctx, &args[i]) == -1)
			return -1;
	}
	return bi->fn(ctx, n, args, (int)n->nkids, out);
}

/* S ~ RE and S !~ RE, with RE a literal or a string compiled (cached). */
static int
eval_match(struct node *n, struct expr_ctx *ctx, struct value *out)
{
	struct value	 s, p;
	struct regex	*re;
	const char	*t;
	size_t		 len;
	int		 rc;

	if (eval_fast(n->a, ctx, &s) == -1)
		return -1;
	if (n->b->kind == N_REGEX)
		re = n->b->re;
	else {
		if (eval_fast(n->b, ctx, &p) == -1)
			return -1;
		re = expr_regex(ctx, n->b, &n->b->dyn, &p,
		    n->kind == N_MATCH ? "'~'" : "'!~'");
		if (re == NULL)
			return -1;
	}
	expr_text(ctx, &s, &t, &len);
	if ((rc = regex_exec(re, t, len, 0)) == -1)
		return expr_failv(ctx, &s, "regex match failed (too complex)");
	*out = value_bool((rc == 1) == (n->kind == N_MATCH));
	return 0;
}

/* A tuple, array or object literal, built in the ctx arena. */
static int
eval_container(struct node *n, struct expr_ctx *ctx, struct value *out)
{
	struct value	 v;
	uint32_t	 i;

	switch (n->kind) {
	case N_TUPLE:
		v = value_tuple(ctx->arena, n->nkids);
		break;
	case N_ARRAY:
		v = value_array(ctx->arena, n->nkids);
		break;
	default:
		/* kids alternate key, value */
		v.type = V_OBJ;
		v.n = n->nkids / 2;
		v.u.kv = arena_alloc(ctx->arena,
		    (n->nkids ? n->nkids : 1) * sizeof *v.u.kv);
		break;
	}
	for (i = 0; i < n->nkids; i++)
		if (eval_fast(n->kids[i], ctx, &v.u.a[i]) == -1)
			return -1;
	*out = v;
	return 0;
}

/* A string or null (S NULL) as a value. */
static struct value
eval_cstr(const char *s)
{
	return s != NULL ? value_str(s, strlen(s)) : value_null();
}

/*
 * meta.NAME (N's v, its META_* in field) for the record in flight, read
 * in place from what its input said: null when the input does not know
 * it, or for a record no input gave (one a window emits).
 */
static int
eval_meta_field(struct node *n, struct expr_ctx *ctx, struct value *out)
{
	const struct origin_meta	*m = cur_origin.meta;
	const struct value		*v;

	*out = value_null();
	if (m == NULL)
		return 0;
	switch (n->field) {
	case META_FILE:
		*out = eval_cstr(m->file);
		break;
	case META_LINE:
		if (m->lines && cur_origin.line > 0)
			*out = value_int((int64_t)cur_origin.line);
		break;
	case META_PEER:
		*out = eval_cstr(m->peer);
		break;
	default:
		if (m->ext != NULL && m->ext->type == V_OBJ &&
		    (v = value_obj_get(m->ext, n->v.u.s, n->v.n)) != NULL)
			*out = *v;
		break;
	}
	return 0;
}

/*
 * meta as an object, built in the ctx arena: the members the record's
 * input knows (file, line, peer, then ext's), {} for a record no input
 * gave.
 */
static int
eval_meta(struct expr_ctx *ctx, struct value *out)
{
	const struct origin_meta	*m = cur_origin.meta;
	struct value			*kv;
	uint32_t			 n = 0, next;

	next = m != NULL && m->ext != NULL && m->ext->type == V_OBJ ?
	    m->ext->n : 0;
	kv = arena_alloc(ctx->arena, (3 + next) * 2 * sizeof *kv);
	if (m != NULL) {
		if (m->file != NULL) {
			kv[2 * n] = value_str("file", 4);
			kv[2 * n++ + 1] = eval_cstr(m->file);
		}
		if (m->lines && cur_origin.line > 0) {
			kv[2 * n] = value_str("line", 4);
			kv[2 * n++ + 1] = value_int((int64_t)cur_origin.line);
		}
		if (m->peer != NULL) {
			kv[2 * n] = value_str("peer", 4);
			kv[2 * n++ + 1] = eval_cstr(m->peer);
		}
		if (next > 0) {
			memcpy(kv + 2 * n, m->ext->u.kv, next * 2 * sizeof *kv);
			n += next;
		}
	}
	out->type = V_OBJ;
	out->n = n;
	out->u.kv = kv;
	return 0;
}

/*
 * Evaluates N for the record in CTX into *OUT.  Returns 0, or -1 with
 * ctx->err set.  The result may point into the record, the expression's
 * constants or the ctx arena, and is valid until the arena is reset.
 */
int
eval_node(struct node *n, struct expr_ctx *ctx, struct value *out)
{
	struct value		 a, b;
	const struct value	*m;
	const struct expr_header *hd;
	int			 c, rc;

	switch (n->kind) {
	case N_CONST:
		*out = n->v;
		return 0;
	case N_FIELD:
		*out = fields_get(ctx, n->field);
		return 0;
	case N_X:
		*out = ctx->x;
		return 0;
	case N_FIELD0:
		if (ctx->x.type == V_STR) {
			*out = ctx->x;
			return 0;
		}
		if (ctx->f.text == NULL)
			fields_text(ctx);
		*out = value_str(ctx->f.text, ctx->f.len);
		return 0;
	case N_NF:
		*out = value_int(fields_count(ctx));
		return 0;
	case N_FIELD_LAST:
		c = fields_count(ctx);
		*out = c > 0 ? fields_get(ctx, c) : value_null();
		return 0;
	case N_FIELD_DYN:
		if (eval_fast(n->a, ctx, &a) == -1)
			return -1;
		return fields_dyn(ctx, &a, out);
	case N_FIELD_NAME:
		/* The column is looked up once per header, then cached. */
		hd = cur_origin.hdr;
		if (hd == NULL)
			return expr_fail(ctx, "'$%.*s': a column name needs "
			    "--header", (int)n->v.n, n->v.u.s);
		if (n->hdr_id != hd->id) {
			n->hdr_id = hd->id;
			n->hdr_idx = expr_header_find(hd, n->v.u.s, n->v.n);
		}
		if (n->hdr_idx < 0)
			return expr_fail(ctx, "'$%.*s': no such column in the "
			    "header", (int)n->v.n, n->v.u.s);
		*out = fields_get(ctx, n->hdr_idx);
		return 0;
	case N_A:
		*out = ctx->a;
		return 0;
	case N_B:
		*out = ctx->b;
		return 0;
	case N_VALUES:
		*out = ctx->values;
		return 0;
	case N_STATE:
		*out = ctx->state;
		return 0;
	case N_KEY:
	case N_VALUE:
		if (!value_is_pair(&ctx->x))
			return expr_failv(ctx, &ctx->x, "'%s': not a pair",
			    n->kind == N_KEY ? "key" : "value");
		*out = ctx->x.u.a[n->kind == N_KEY ? 0 : 1];
		return 0;
	case N_INPUT:
		*out = cur_origin.meta != NULL && cur_origin.meta->input !=
		    NULL ? value_str(cur_origin.meta->input,
		    strlen(cur_origin.meta->input)) : value_null();
		return 0;
	case N_META_FIELD:
		return eval_meta_field(n, ctx, out);
	case N_META:
		return eval_meta(ctx, out);
	case N_MEMBER:
		if (eval_fast(n->a, ctx, &a) == -1)
			return -1;
		if (a.type == V_OBJ) {
			m = value_obj_get(&a, n->v.u.s, n->v.n);
			*out = m != NULL ? *m : value_null();
			return 0;
		}
		if (a.type == V_NULL) {
			*out = a;
			return 0;
		}
		return expr_failv(ctx, &a, "'.%.*s': not an object",
		    (int)n->v.n, n->v.u.s);
	case N_INDEX:
		if (eval_fast(n->a, ctx, &a) == -1 ||
		    eval_fast(n->b, ctx, &b) == -1)
			return -1;
		return eval_index(ctx, &a, &b, out);
	case N_NEG:
		if (eval_fast(n->a, ctx, &a) == -1)
			return -1;
		if (eval_tonum(ctx, N_NEG, &a, &b) == -1)
			return -1;
		if (b.type == V_INT && b.u.i != INT64_MIN)
			*out = value_int(-b.u.i);
		else
			*out = value_dbl(-value_as_dbl(&b));
		return 0;
	case N_NOT:
		if (eval_fast(n->a, ctx, &a) == -1)
			return -1;
		*out = value_bool(!value_truthy(&a));
		return 0;
	case N_ADD:
	case N_SUB:
	case N_MUL:
	case N_DIV:
	case N_MOD:
		if (eval_fast(n->a, ctx, &a) == -1 ||
		    eval_fast(n->b, ctx, &b) == -1)
			return -1;
		return expr_arith(ctx, n->kind, &a, &b, out);
	case N_CAT:
		return eval_cat(n, ctx, out);
	case N_EQ:
	case N_NE:
		if (eval_fast(n->a, ctx, &a) == -1 ||
		    eval_fast(n->b, ctx, &b) == -1)
			return -1;
		rc = expr_equal(&a, &b, node_is_lit(n->a), node_is_lit(n->b));
		*out = value_bool(rc == (n->kind == N_EQ));
		return 0;
	case N_LT:
	case N_LE:
	case N_GT:
	case N_GE:
		if (eval_fast(n->a, ctx, &a) == -1 ||
		    eval_fast(n->b, ctx, &b) == -1)
			return -1;
		c = expr_compare(&a, &b, node_is_lit(n->a), node_is_lit(n->b));
		switch (n->kind) {
		case N_LT:
			rc = c == -1;
			break;
		case N_LE:
			rc = c == -1 || c == 0;
			break;
		case N_GT:
			rc = c == 1;
			break;
		default:
			rc = c == 1 || c == 0;
			break;
		}
		*out = value_bool(rc);
		return 0;
	case N_MATCH:
	case N_NOMATCH:
		return eval_match(n, ctx, out);
	case N_REGEX:
		if (ctx->f.text == NULL)
			fields_text(ctx);
		if ((rc = regex_exec(n->re, ctx->f.text, ctx->f.len, 0)) == -1)
			return expr_fail(ctx,
			    "regex match failed (too complex)");
		*out = value_bool(rc == 1);
		return 0;
	case N_AND:
		if (eval_fast(n->a, ctx, &a) == -1)
			return -1;
		if (!value_truthy(&a)) {
			*out = value_bool(false);
			return 0;
		}
		if (eval_fast(n->b, ctx, &b) == -1)
			return -1;
		*out = value_bool(value_truthy(&b));
		return 0;
	case N_OR:
		if (eval_fast(n->a, ctx, &a) == -1)
			return -1;
		if (value_truthy(&a)) {
			*out = value_bool(true);
			return 0;
		}
		if (eval_fast(n->b, ctx, &b) == -1)
			return -1;
		*out = value_bool(value_truthy(&b));
		return 0;
	case N_COALESCE:
		if (eval_fast(n->a, ctx, out) == -1)
			return -1;
		if (out->type != V_NULL)
			return 0;
		return eval_fast(n->b, ctx, out);
	case N_COND:
		if (eval_fast(n->a, ctx, &a) == -1)
			return -1;
		return eval_fast(value_truthy(&a) ? n->b : n->c, ctx, out);
	case N_TUPLE:
	case N_ARRAY:
	case N_OBJECT:
		return eval_container(n, ctx, out);
	case N_CALL:
		return eval_call(n, ctx, out);
	}
	return expr_fail(ctx, "internal error: bad node");
}

int
expr_eval(struct expr *e, struct expr_ctx *ctx, struct value *out)
{
	ctx->err = NULL;
	return eval_fast(e->root, ctx, out);
}

int
expr_eval_time_arg(struct expr *e, struct expr_ctx *ctx, struct value *out)
{
	if (e->time_arg == NULL)
		return 1;
	ctx->err = NULL;
	return eval_fast(e->time_arg, ctx, out);
}
