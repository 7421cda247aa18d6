/*
 * expr.h - the expression language: compile once, evaluate per record.
 *
 * expr_compile turns source text into a tree of nodes with constants
 * folded, regexes JIT-compiled and builtins resolved.  expr_eval walks it
 * for one record; every value it builds lives in the context's arena, so
 * the common case calls no malloc.
 */
#ifndef DSTREAM_EXPR_H
#define DSTREAM_EXPR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../state/value.h"

struct expr;

/* Which names an expression may use (they depend on the operator). */
#define EXPR_X		0x01	/* x, $0, $N, NF, .name, key, value,
				 * input, meta */
#define EXPR_AB		0x02	/* a, b (reduce functions) */
#define EXPR_STATE	0x04	/* key, values, state (updateStateByKey) */

/* Field splitting of the record text, shared by all expressions. */
struct fields {
	const char	*text;		/* $0 bytes, NULL until needed */
	uint32_t	 len;
	int32_t		 nsplit;	/* fields split so far */
	bool		 all;		/* split to the end (NF known) */
	uint32_t	 cap;		/* fields OWN has room for */
	uint32_t	*bnd;		/* field i (1-based) is text[bnd[2i-2] ..
					 * bnd[2i-1]): its start and end, side
					 * by side, as the splitter finds them;
					 * OWN, or the bounds of the context
					 * whose fields this one took (see
					 * expr_fields_hint), until it splits
					 * further */
	uint32_t	*own;		/* this context's bounds, CAP fields */
	struct value	*cooked;	/* --csv: unquoted field values, or NULL */
	uint32_t	 mbase;		/* blanks of text[mbase..mbase+64) are */
	uint64_t	 mask;		/* the bits of mask; UINT32_MAX: none */
	int32_t		 need;		/* the highest field this record asked */
	int32_t		 ahead;		/* split this far at once: what the last
					 * record needed (and what those taking
					 * this context's fields needed) */
};

/*
 * Everything an evaluation can see.  The caller sets x (and a/b or
 * values/state where they apply) and calls expr_ctx_record when x
 * changes, so the field cache is dropped.  Values produced by expr_eval
 * live in ARENA, which the engine resets after each record.
 */
struct expr_ctx {
	struct arena	*arena;
	struct value	 x;
	struct value	 a, b;
	struct value	 values, state;
	struct fields	 f;
	const char	*err;		/* runtime error text, set on failure */
};

void	 expr_ctx_init(struct expr_ctx *, struct arena *);
void	 expr_ctx_free(struct expr_ctx *);
/* Makes X the current record and forgets its fields. */
void	 expr_ctx_record(struct expr_ctx *, const struct value *x);
/*
 * While CTX is the hint, a context given the very same string (same
 * bytes, same length) by expr_ctx_record starts from CTX's split fields
 * instead of splitting again.  The engine sets it around pushing a record
 * whose event time it has just evaluated, and clears it (NULL) after.
 * Inline: set and cleared around every such record.
 */
extern struct expr_ctx	*expr_hint;
static inline void
expr_fields_hint(struct expr_ctx *ctx)
{
	expr_hint = ctx;
}

/*
 * Compiles SRC.  FLAGS says which names are allowed.  On a syntax error
 * returns NULL and sets *CAUSE (caller frees) to a message of the form
 *   syntax error: expected ')' after arguments
 *     len($1
 *           ^
 */
struct expr	*expr_compile(const char *src, int flags, char **cause);
void		 expr_free(struct expr *);
/*
 * Evaluates E in CTX into *OUT.  Returns 0, or -1 with ctx->err set to a
 * message naming the fault ("substr: not a string: {...}") for a
 * per-record error.
 */
int		 expr_eval(struct expr *e, struct expr_ctx *ctx, struct value *out);
/*
 * When E is a call of time() with one argument X (the event time
 * `time($4 .. " " .. $5)`), evaluates X alone into *OUT and returns 0, or
 * -1 with ctx->err set.  Returns 1, evaluating nothing, for any other E.
 * The result of E is then a function of X's value only, which lets a
 * caller answer a record whose X repeats the last one's without E.
 */
int		 expr_eval_time_arg(struct expr *e, struct expr_ctx *ctx,
		    struct value *out);
/* The highest $N the expression uses (0 if none, INT32_MAX for NF/$NF/$0-free unknown). */
int32_t		 expr_max_field(const struct expr *);
/*
 * N when the expression is the field $N alone (N > 0), else 0: its value
 * is then expr_record_field's.
 */
int32_t		 expr_lone_field(const struct expr *);
/*
 * expr_ctx_record(CTX, X), then field I (I > 0) of X as expr_eval of `$I`
 * gives it (a string in X's text, or null past the last field), in one
 * call: `map '$9'` on every record.
 */
struct value	 expr_record_field(struct expr_ctx *ctx, const struct value *x,
		    int32_t i);
/* Whether the expression reads the record as JSON members (.name). */
bool		 expr_uses_members(const struct expr *);
/*
 * Whether any expression compiled so far reads `input` or `meta`: the
 * engine asks once, after the chain is built, so that the sources say
 * where each record came from (cur_origin.meta) only then.
 */
bool		 expr_uses_origin(void);
const char	*expr_source(const struct expr *);

/* Field-separator settings from the command line (-d, --csv). */
void	 expr_set_fields(const char *delim, bool csv);
/*
 * Column names for $name from a --header line, split as records are; the
 * line is copied.  Each input has its own (see cur_origin.hdr).  Returns
 * the header, which the caller frees.
 */
struct expr_header *expr_header_new(const char *line, size_t len);
void	 expr_header_free(struct expr_header *);

/* ---- pieces the builtins share with the rest of dstream ---- */

/*
 * Parses the JSON text S[0..n) into *OUT in arena A.  Returns 0, or -1
 * with *ERR pointing to a static message ("expected ',' or '}' at byte 12").
 */
int	 json_parse(struct arena *a, const char *s, size_t n, struct value *out, const char **err);

/*
 * Time parsing.  time_parse auto-detects RFC 3339/ISO 8601 (offsets,
 * fractions), Apache/nginx "[21/Nov/2025:00:00:00 +0000]" (brackets
 * optional), syslog "Nov 21 00:00:00" (current year) and epoch seconds.
 * With FMT not NULL it uses strptime-like parsing with FMT (%z honoured).
 * Returns 0 and the epoch seconds (fractional when the text has
 * fractions) in *SECS, or -1 when the text is not a time.
 */
int	 time_parse(const char *s, size_t n, const char *fmt, double *secs);

/*
 * Whether A and B hold the same N bytes: a log's time (16 to 32 bytes)
 * as four 8-byte words from each end, inline, for the one-entry caches
 * of time_parse and the engine's event time.
 */
static inline bool
time_same(const char *a, const char *b, size_t n)
{
	uint64_t	 x[4], y[4];

	if (n >= 16 && n <= 32) {
		memcpy(x, a, 16);
		memcpy(x + 2, a + n - 16, 16);
		memcpy(y, b, 16);
		memcpy(y + 2, b + n - 16, 16);
		return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
		    (x[3] ^ y[3])) == 0;
	}
	return memcmp(a, b, n) == 0;
}
/* Appends the epoch time SECS formatted by strftime FMT, in UTC. */
void	 time_format(struct buf *b, double secs, const char *fmt);
/* Appends epoch milliseconds MS as RFC 3339 UTC, ".mmm" only when not zero. */
void	 time_fmt_rfc3339(struct buf *b, int64_t ms);

/*
 * Durations: "250ms", "1.5s", "5m", "1h", "1d", a bare number being
 * seconds.  duration_parse returns whole milliseconds (rounded), 0 when
 * ZERO_OK and S is a zero ("0", "0s", "0.0ms"), or -1 when S is not a
 * duration or rounds to under 1 ms.  duration_fmt writes MS (> 0) into S
 * as the shortest such text in one unit: "1m", "90s", "1500ms".
 */
int64_t	 duration_parse(const char *s, bool zero_ok);
void	 duration_fmt(char *s, size_t size, int64_t ms);

/* Parses an Apache/nginx common or combined log line into an object; null when it does not match. */
struct value	clf_parse(struct arena *a, const char *s, size_t n);

/*
 * sprintf(FMT, ARGS...) into B.  Returns 0, or -1 with *ERR set for a bad
 * conversion.
 */
int	 fmt_sprintf(struct buf *b, const char *fmt, size_t fmtlen,
	    const struct value *args, int nargs, const char **err);

#endif
