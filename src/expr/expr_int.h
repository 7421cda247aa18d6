/*
 * expr_int.h - what the parts of the expression language share and
 * nothing else sees: tokens (lexer.c), the node tree (parser.c builds it,
 * eval.c walks it), compiled regexes, and the builtin table (builtins.c).
 *
 * A compiled expression owns one arena holding its nodes, folded
 * constants and literal strings; the regexes its nodes hold are malloc'd
 * and found through the list of all nodes.  Both die in expr_free.
 * Evaluation writes to the expression only in the per-node caches of
 * run-time patterns and header lookups.
 */
#ifndef DSTREAM_EXPR_INT_H
#define DSTREAM_EXPR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "../dstream.h"
#include "expr.h"

/* ---- tokens (lexer.c) ---- */

enum tok {
	T_EOF, T_NUM, T_STR, T_REGEX, T_IDENT,
	T_FIELD,	/* $N (field), $NF, $name (s), $( (FIELD_DYN) */
	T_DOT,		/* "." */
	T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_LBRACE, T_RBRACE,
	T_COMMA, T_COLON, T_QUEST, T_QQ,
	T_OROR, T_ANDAND, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
	T_MATCH, T_NOMATCH, T_CAT, T_PLUS, T_MINUS, T_STAR, T_SLASH,
	T_PERCENT, T_BANG
};

#define FIELD_NF	(-1)	/* $NF */
#define FIELD_DYN	(-2)	/* $( expr ) */

struct token {
	enum tok	 type;
	uint32_t	 pos;		/* offset of the first byte */
	uint32_t	 end;		/* offset past the last byte */
	struct value	 num;		/* T_NUM */
	const char	*s;		/* string, regex, name text */
	size_t		 n;
	int32_t		 field;		/* T_FIELD */
	uint32_t	 reflags;	/* T_REGEX: PCRE2 options */
};

struct lexer {
	const char	*src;
	size_t		 len;
	size_t		 pos;
	struct arena	*arena;		/* decoded strings */
	enum tok	 prev;		/* type of the previous token */
	const char	*err;		/* message of a lexical error */
	uint32_t	 errpos;
};

void		 lex_init(struct lexer *, const char *src, size_t len,
		    struct arena *);
/* Reads the next token into *T.  Returns 0, or -1 with lx->err set. */
int		 lex_next(struct lexer *, struct token *t);
const char	*lex_tokname(enum tok);

/* ---- regexes (eval.c) ---- */

struct regex {
	pcre2_code		*code;
	pcre2_match_data	*md;
	bool			 jit;
	uint32_t		 ncap;	/* groups, not counting 0 */
	char			*pat;	/* source, for caches */
	size_t			 patlen;
	uint32_t		 flags;
};

/*
 * Compiles PAT[0..len) with PCRE2 options FLAGS (UTF is added), JIT
 * compiled when possible.  Returns the regex (free with regex_free), or
 * NULL with a message of at most ERRLEN bytes in ERRBUF and the offset of
 * the fault in *ERROFF.
 */
struct regex	*regex_new(const char *pat, size_t len, uint32_t flags,
		    char *errbuf, size_t errlen, size_t *erroff);
void		 regex_free(struct regex *);
/*
 * Matches R against S[0..n) from byte START.  Returns 1 on a match (the
 * ovector in r->md), 0 on none, -1 on a match error (resource limits).
 */
int		 regex_exec(struct regex *r, const char *s, size_t n,
		    size_t start);

/* ---- nodes (parser.c builds, eval.c walks) ---- */

enum nkind {
	N_CONST, N_X, N_FIELD0, N_FIELD, N_NF, N_FIELD_LAST, N_FIELD_DYN,
	N_FIELD_NAME, N_A, N_B, N_VALUES, N_STATE, N_KEY, N_VALUE,
	N_INPUT, N_META, N_META_FIELD,
	N_MEMBER, N_INDEX, N_NEG, N_NOT,
	N_ADD, N_SUB, N_MUL, N_DIV, N_MOD, N_CAT,
	N_EQ, N_NE, N_LT, N_LE, N_GT, N_GE, N_MATCH, N_NOMATCH,
	N_AND, N_OR, N_COALESCE, N_COND,
	N_TUPLE, N_ARRAY, N_OBJECT, N_REGEX, N_CALL
};

struct builtin;

/* meta.NAME: the members every input may have, and the others (ext). */
#define META_FILE	0
#define META_LINE	1
#define META_PEER	2
#define META_EXT	3

/* A run-time pattern cache: the last string compiled, and its regex. */
struct dyncache {
	struct regex	*re;
};

struct node {
	enum nkind		 kind;
	uint32_t		 pos;	/* source offset, for messages */
	struct node		*a, *b, *c;
	struct node		**kids;	/* elements, arguments */
	uint32_t		 nkids;
	/* N_CONST: the value; N_MEMBER, N_FIELD_NAME: the name */
	struct value		 v;
	int32_t			 field;	/* N_FIELD; N_META_FIELD: META_*;
					 * a span's N_CAT: its last field */
	bool			 lit;	/* string literal */
	struct regex		*re;	/* N_REGEX */
	struct dyncache		 dyn;	/* string as pattern */
	const struct builtin	*bi;	/* N_CALL */
	uint32_t		 hdr_id;  /* N_FIELD_NAME: header looked in */
	int32_t			 hdr_idx; /* N_FIELD_NAME: its column */
	uint32_t		 depth;	/* height of the subtree */
	bool			 claimed; /* N_REGEX used as a pattern */
	bool			 span;	/* N_CAT of the shape $i .. "k" .. $j */
	struct node		*allnext; /* every node of the expression */
};

struct expr {
	char		*src;
	struct node	*root;
	struct node	*time_arg;	/* X when root is time(X), else NULL */
	int32_t		 maxfield;
	bool		 members;
	struct arena	 arena;		/* nodes, constants */
	struct node	*nodes;		/* all nodes (regexes) */
};

/* ---- evaluation (eval.c) ---- */

int		 eval_node(struct node *, struct expr_ctx *,
		    struct value *out);
/*
 * Sets ctx->err to the message built from FMT (in the ctx arena) and
 * returns -1.  expr_failv appends ": " and V shown as JSON, truncated.
 */
int		 expr_fail(struct expr_ctx *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
int		 expr_failv(struct expr_ctx *, const struct value *v,
		    const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* Plain text of V: strings as they are, others formatted into the arena. */
void		 expr_text_fmt(struct expr_ctx *, const struct value *v,
		    const char **s, size_t *n);
static inline void
expr_text(struct expr_ctx *ctx, const struct value *v, const char **s,
    size_t *n)
{
	if (v->type == V_STR && v->u.s != NULL) {
		*s = v->u.s;
		*n = v->n;
	} else
		expr_text_fmt(ctx, v, s, n);
}
/* Copies the bytes of B into the ctx arena as a string value. */
struct value	 expr_strbuf(struct expr_ctx *, const struct buf *b);
/*
 * A scratch buffer for building text, emptied by each caller; never
 * held across a call that may use it too (eval_node, expr_text).
 */
struct buf	*expr_scratch(void);
/*
 * The regex an argument or operand stands for: N's literal regex, or
 * the string V compiled (cached in CACHE).  Returns NULL with ctx->err
 * set, naming WHO.
 */
struct regex	*expr_regex(struct expr_ctx *, struct node *n,
		    struct dyncache *cache, const struct value *v,
		    const char *who);
/* Arithmetic OP (N_ADD...N_MOD) on awk-like numbers, as the operators. */
int		 expr_arith(struct expr_ctx *, enum nkind op,
		    const struct value *a, const struct value *b,
		    struct value *out);
/*
 * The order of the comparison operators: -1, 0, 1, or 2 when unordered
 * (NaN).  ALIT and BLIT say a side is a string literal.
 */
int		 expr_compare(const struct value *a, const struct value *b,
		    bool alit, bool blit);

/* Whether N is a string literal (compared as a string, as in awk). */
static inline bool
node_is_lit(const struct node *n)
{
	return n->kind == N_CONST && n->lit;
}

/* ---- builtins (builtins.c) ---- */

#define BI_IMPURE	0x01	/* never folded (now) */
#define BI_LAZY		0x02	/* evaluates its own arguments */
#define BI_RE1		0x04	/* argument 1 may be /re/ */
#define BI_RE2		0x08	/* argument 2 may be /re/ */

struct builtin {
	const char	*name;
	int		 min, max;	/* arity; max -1 when variadic */
	int		 flags;
	/*
	 * Computes the call N with its NARGS evaluated arguments in ARGS
	 * (a regex literal argument is left null: see expr_regex).  Returns
	 * 0 with *OUT set, or -1 with ctx->err set.
	 */
	int		(*fn)(struct expr_ctx *, struct node *n,
			    struct value *args, int nargs, struct value *out);
};

/* Looks NAME[0..len) up; NULL when there is no such builtin. */
const struct builtin	*builtin_find(const char *name, size_t len);

#endif
