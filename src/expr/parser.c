/*
 * parser.c - the expression compiler: tokens to a tree of nodes.
 *
 * A recursive-descent parser with one precedence table for the binary
 * operators (lowest first):
 *
 *	c ? a : b		right associative
 *	??
 *	||
 *	&&
 *	== != < <= > >= ~ !~
 *	..			concatenation
 *	+ -
 *	* / %
 *	- !			unary
 *	.name [i] f(args)	postfix
 *
 * Names are checked against the flags the operator allows, builtins are
 * resolved and their arity checked, regex literals are compiled (and JIT
 * compiled) once, and every node whose operands are constants is
 * evaluated here and becomes a constant.  Every fault is reported with
 * the expression and a caret under the offending column.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_int.h"

#define PARSE_MAXNEST	256	/* parser recursion */
#define PARSE_MAXDEPTH	1000	/* tree height (evaluation) */

struct parser {
	struct lexer	 lx;
	struct token	 tok;		/* current token */
	struct expr	*e;
	int		 flags;
	int		 nest;
	char		*cause;		/* first fault, with caret */
};

/* Some expression compiled in this run reads input or meta. */
static bool	origin_used;

/*
 * Records the fault at source offset POS: the message, then the source
 * line holding POS and a caret under it.  Only the first fault is kept.
 */
static void __attribute__((format(printf, 3, 4)))
parse_error(struct parser *p, size_t pos, const char *fmt, ...)
{
	struct buf	 b = BUF_INIT;
	const char	*src = p->e->src;
	size_t		 len = strlen(src), ls, le, i;
	va_list		 ap;

	if (p->cause != NULL)
		return;
	if (pos > len)
		pos = len;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);

	for (ls = pos; ls > 0 && src[ls - 1] != '\n'; ls--)
		;
	for (le = pos; le < len && src[le] != '\n'; le++)
		;
	buf_adds(&b, "\n  ");
	buf_add(&b, src + ls, le - ls);
	buf_adds(&b, "\n  ");
	for (i = ls; i < pos; i++) {
		if (src[i] == '\t')
			buf_addc(&b, '\t');
		else if (((unsigned char)src[i] & 0xc0) != 0x80)
			buf_addc(&b, ' ');
	}
	buf_addc(&b, '^');
	p->cause = buf_detach(&b);
}

/* Describes the current token for "found ..." in messages. */
static void
parse_tokdesc(struct parser *p, char *out, size_t outlen)
{
	const struct token	*t = &p->tok;
	size_t			 n = t->end - t->pos;

	if (t->type == T_EOF) {
		snprintf(out, outlen, "the end of the expression");
		return;
	}
	if (n > 24)
		snprintf(out, outlen, "'%.24s...'", p->e->src + t->pos);
	else
		snprintf(out, outlen, "'%.*s'", (int)n, p->e->src + t->pos);
}

/* A syntax error at the current token: "expected WHAT, found X". */
static void
parse_expected(struct parser *p, const char *what)
{
	char	 found[64];

	if (p->tok.type == T_EOF) {
		parse_error(p, p->tok.pos, "syntax error: expected %s", what);
		return;
	}
	parse_tokdesc(p, found, sizeof found);
	parse_error(p, p->tok.pos, "syntax error: expected %s, found %s",
	    what, found);
}

static int
parse_next(struct parser *p)
{
	if (lex_next(&p->lx, &p->tok) == -1) {
		parse_error(p, p->lx.errpos, "syntax error: %s", p->lx.err);
		return -1;
	}
	return 0;
}

static int
parse_expect(struct parser *p, enum tok t, const char *what)
{
	if (p->tok.type != t) {
		parse_expected(p, what);
		return -1;
	}
	return parse_next(p);
}

static struct node *
node_new(struct parser *p, enum nkind kind, uint32_t pos)
{
	struct node	*n = arena_alloc(&p->e->arena, sizeof *n);

	memset(n, 0, sizeof *n);
	n->kind = kind;
	n->pos = pos;
	n->depth = 1;
	n->allnext = p->e->nodes;
	p->e->nodes = n;
	return n;
}

static struct node *
node_const(struct parser *p, struct value v, uint32_t pos)
{
	struct node	*n = node_new(p, N_CONST, pos);

	n->v = v;
	return n;
}

/* Height bookkeeping: fails once the tree is too tall to evaluate safely. */
static int
node_depth(struct parser *p, struct node *n, const struct node *kid)
{
	if (kid != NULL && kid->depth + 1 > n->depth)
		n->depth = kid->depth + 1;
	if (n->depth > PARSE_MAXDEPTH) {
		parse_error(p, n->pos, "expression nested too deeply");
		return -1;
	}
	return 0;
}

static bool
node_foldable(const struct node *n)
{
	uint32_t	 i;

	switch (n->kind) {
	case N_CONST:
	case N_X:
	case N_FIELD0:
	case N_FIELD:
	case N_NF:
	case N_FIELD_LAST:
	case N_FIELD_DYN:
	case N_FIELD_NAME:
	case N_A:
	case N_B:
	case N_VALUES:
	case N_STATE:
	case N_KEY:
	case N_VALUE:
	case N_INPUT:
	case N_META:
	case N_META_FIELD:
	case N_REGEX:
		return false;
	case N_CALL:
		if (n->bi->flags & BI_IMPURE)
			return false;
		break;
	default:
		break;
	}
	if ((n->a && n->a->kind != N_CONST) ||
	    (n->b && n->b->kind != N_CONST) ||
	    (n->c && n->c->kind != N_CONST))
		return false;
	for (i = 0; i < n->nkids; i++)
		if (n->kids[i]->kind != N_CONST)
			return false;
	return true;
}

/*
 * Evaluates N now when its operands are all constants and makes it a
 * constant.  A node that fails (1/0) is left alone: it fails per record,
 * where --on-error decides.
 */
static struct node *
node_fold(struct parser *p, struct node *n)
{
	struct expr_ctx	 ctx;
	struct value	 v;

	if (!node_foldable(n))
		return n;
	expr_ctx_init(&ctx, &p->e->arena);
	if (eval_node(n, &ctx, &v) == 0) {
		n->kind = N_CONST;
		n->v = v;
		n->lit = v.type == V_STR;
		n->a = n->b = n->c = NULL;
		n->kids = NULL;
		n->nkids = 0;
		n->depth = 1;
	}
	expr_ctx_free(&ctx);
	return n;
}

static struct node *
node_bin(struct parser *p, enum nkind kind, uint32_t pos, struct node *a,
    struct node *b)
{
	struct node	*n = node_new(p, kind, pos);

	n->a = a;
	n->b = b;
	if (node_depth(p, n, a) == -1 || node_depth(p, n, b) == -1)
		return NULL;
	return node_fold(p, n);
}

/* Checks that a name of class FLAG may be used here. */
static int
parse_allowed(struct parser *p, int flag, const struct token *t)
{
	const char	*hint;

	if (p->flags & flag)
		return 0;
	switch (flag) {
	case EXPR_AB:
		parse_error(p, t->pos,
		    "'%.*s' is only defined in reduce functions",
		    (int)(t->end - t->pos), p->e->src + t->pos);
		break;
	case EXPR_STATE:
		parse_error(p, t->pos,
		    "'%.*s' is only defined in updateStateByKey",
		    (int)(t->end - t->pos), p->e->src + t->pos);
		break;
	default:
		if (p->flags & EXPR_AB)
			hint = " (reduce functions see a and b)";
		else if (p->flags & EXPR_STATE)
			hint = " (updateStateByKey sees key, values "
			    "and state)";
		else
			hint = "";
		parse_error(p, t->pos, "'%.*s' is not defined here%s",
		    (int)(t->end - t->pos), p->e->src + t->pos, hint);
		break;
	}
	return -1;
}

static struct node	*parse_expr(struct parser *);

/* Parses "expr, expr, ..." up to CLOSE into a node's kids. */
static int
parse_list(struct parser *p, struct node *n, enum tok close, const char *what)
{
	struct node	**kids = NULL, *k;
	uint32_t	 nk = 0, cap = 0;

	if (p->tok.type != close) {
		for (;;) {
			if ((k = parse_expr(p)) == NULL)
				goto fail;
			if (nk == cap) {
				struct node	**nkids;

				cap = cap ? cap * 2 : 4;
				nkids = arena_alloc(&p->e->arena,
				    cap * sizeof *kids);
				if (nk)
					memcpy(nkids, kids, nk * sizeof *kids);
				kids = nkids;
			}
			kids[nk++] = k;
			if (node_depth(p, n, k) == -1)
				goto fail;
			if (p->tok.type != T_COMMA)
				break;
			if (parse_next(p) == -1)
				goto fail;
		}
	}
	if (parse_expect(p, close, what) == -1)
		goto fail;
	n->kids = kids;
	n->nkids = nk;
	return 0;
fail:
	return -1;
}

static void
parse_arity(const struct builtin *bi, char *out, size_t len)
{
	if (bi->max == bi->min)
		snprintf(out, len, "%d argument%s", bi->min,
		    bi->min == 1 ? "" : "s");
	else if (bi->max < 0)
		snprintf(out, len, "at least %d argument%s", bi->min,
		    bi->min == 1 ? "" : "s");
	else if (bi->max == bi->min + 1)
		snprintf(out, len, "%d or %d arguments", bi->min, bi->max);
	else
		snprintf(out, len, "%d to %d arguments", bi->min, bi->max);
}

/* NAME '(' args ')': the name token is T, the current token is '('. */
static struct node *
parse_call(struct parser *p, const struct token *t)
{
	const struct builtin	*bi;
	struct node		*n;
	char			 ar[64];

	if ((bi = builtin_find(t->s, t->n)) == NULL) {
		parse_error(p, t->pos, "unknown function '%.*s'", (int)t->n,
		    t->s);
		return NULL;
	}
	n = node_new(p, N_CALL, t->pos);
	n->bi = bi;
	if (parse_next(p) == -1)
		return NULL;
	if (parse_list(p, n, T_RPAREN, "')' after arguments") == -1)
		return NULL;
	if ((int)n->nkids < bi->min ||
	    (bi->max >= 0 && (int)n->nkids > bi->max)) {
		parse_arity(bi, ar, sizeof ar);
		parse_error(p, t->pos, "'%s' takes %s, not %u", bi->name, ar,
		    n->nkids);
		return NULL;
	}
	if ((bi->flags & BI_RE1) && n->nkids > 1 && n->kids[1]->kind == N_REGEX)
		n->kids[1]->claimed = true;
	if ((bi->flags & BI_RE2) && n->nkids > 2 && n->kids[2]->kind == N_REGEX)
		n->kids[2]->claimed = true;
	return node_fold(p, n);
}

static bool
parse_nameis(const struct token *t, const char *s)
{
	return t->n == strlen(s) && memcmp(t->s, s, t->n) == 0;
}

/* A bare name: a constant, a part of the record, or a function's argument. */
static struct node *
parse_name(struct parser *p, const struct token *t)
{
	static const struct {
		const char	*name;
		enum nkind	 kind;
		int		 flag;
	} names[] = {
		{ "x", N_X, EXPR_X },
		{ "key", N_KEY, EXPR_X },
		{ "value", N_VALUE, EXPR_X },
		{ "NF", N_NF, EXPR_X },
		{ "a", N_A, EXPR_AB },
		{ "b", N_B, EXPR_AB },
		{ "values", N_VALUES, EXPR_STATE },
		{ "state", N_STATE, EXPR_STATE },
		{ "input", N_INPUT, EXPR_X },
		{ "meta", N_META, EXPR_X },
	};
	size_t	 i;

	if (parse_nameis(t, "true"))
		return node_const(p, value_bool(true), t->pos);
	if (parse_nameis(t, "false"))
		return node_const(p, value_bool(false), t->pos);
	if (parse_nameis(t, "null"))
		return node_const(p, value_null(), t->pos);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!parse_nameis(t, names[i].name))
			continue;
		/* updateStateByKey sees the key (of a pair it makes). */
		if (names[i].kind == N_KEY && (p->flags & EXPR_STATE))
			return node_new(p, N_KEY, t->pos);
		if (parse_allowed(p, names[i].flag, t) == -1)
			return NULL;
		if (names[i].kind == N_NF)
			p->e->maxfield = INT32_MAX;
		else if (names[i].kind == N_INPUT || names[i].kind == N_META)
			origin_used = true;
		else if (names[i].flag == EXPR_X)
			p->e->members = true;
		return node_new(p, names[i].kind, t->pos);
	}
	if (builtin_find(t->s, t->n) != NULL)
		parse_error(p, t->pos, "'%.*s' is a function: write %.*s(...)",
		    (int)t->n, t->s, (int)t->n, t->s);
	else
		parse_error(p, t->pos, "unknown name '%.*s'", (int)t->n, t->s);
	return NULL;
}

/* '$N', '$NF', '$name' or '$(expr)'; the current token is the T_FIELD. */
static struct node *
parse_field(struct parser *p)
{
	struct token	 t = p->tok;
	struct node	*n, *k;

	if (parse_allowed(p, EXPR_X, &t) == -1)
		return NULL;
	if (parse_next(p) == -1)
		return NULL;
	if (t.field == FIELD_DYN) {
		if (parse_expect(p, T_LPAREN, "'(' after '$'") == -1)
			return NULL;
		if ((k = parse_expr(p)) == NULL)
			return NULL;
		if (parse_expect(p, T_RPAREN,
		    "')' after the field expression") == -1)
			return NULL;
		n = node_new(p, N_FIELD_DYN, t.pos);
		n->a = k;
		p->e->maxfield = INT32_MAX;
		if (node_depth(p, n, k) == -1)
			return NULL;
		return n;
	}
	if (t.field == FIELD_NF) {
		p->e->maxfield = INT32_MAX;
		return node_new(p, N_FIELD_LAST, t.pos);
	}
	if (t.s != NULL) {
		n = node_new(p, N_FIELD_NAME, t.pos);
		n->v = value_str(arena_strndup(&p->e->arena, t.s, t.n), t.n);
		n->hdr_idx = -1;
		p->e->maxfield = INT32_MAX;
		return n;
	}
	if (t.field == 0)
		return node_new(p, N_FIELD0, t.pos);
	n = node_new(p, N_FIELD, t.pos);
	n->field = t.field;
	if (t.field > p->e->maxfield)
		p->e->maxfield = t.field;
	return n;
}

static struct node *
parse_regex(struct parser *p)
{
	struct node	*n;
	struct regex	*re;
	char		 msg[160];
	size_t		 off;

	re = regex_new(p->tok.s, p->tok.n, p->tok.reflags, msg, sizeof msg,
	    &off);
	if (re == NULL) {
		if (off > p->tok.n)
			off = p->tok.n;
		parse_error(p, p->tok.pos + 1 + off, "bad regex: %s", msg);
		return NULL;
	}
	n = node_new(p, N_REGEX, p->tok.pos);
	n->re = re;
	if (parse_next(p) == -1)
		return NULL;
	return n;
}

/* '{' key: value, ... '}' with keys written as names or strings. */
static struct node *
parse_object(struct parser *p)
{
	struct node	*n = node_new(p, N_OBJECT, p->tok.pos), *k, *v;
	struct node	**kids = NULL;
	uint32_t	 nk = 0, cap = 0;

	if (parse_next(p) == -1)
		return NULL;
	while (p->tok.type != T_RBRACE) {
		if (p->tok.type == T_IDENT || p->tok.type == T_STR)
			k = node_const(p, value_str(p->tok.s, p->tok.n),
			    p->tok.pos);
		else {
			parse_expected(p, "a member name");
			return NULL;
		}
		k->lit = true;
		if (parse_next(p) == -1)
			return NULL;
		if (parse_expect(p, T_COLON, "':' after the member name") == -1)
			return NULL;
		if ((v = parse_expr(p)) == NULL)
			return NULL;
		if (nk + 2 > cap) {
			struct node	**nkids;

			cap = cap ? cap * 2 : 8;
			nkids = arena_alloc(&p->e->arena, cap * sizeof *kids);
			if (nk)
				memcpy(nkids, kids, nk * sizeof *kids);
			kids = nkids;
		}
		kids[nk++] = k;
		kids[nk++] = v;
		if (node_depth(p, n, v) == -1)
			return NULL;
		if (p->tok.type != T_COMMA)
			break;
		if (parse_next(p) == -1)
			return NULL;
	}
	if (parse_expect(p, T_RBRACE, "',' or '}' in the object") == -1)
		return NULL;
	n->kids = kids;
	n->nkids = nk;
	return node_fold(p, n);
}

/*
 * meta.NAME: read in place from what the input said (cur_origin.meta),
 * without building the object.  Returns the META_* of NAME[0..n).
 */
static int32_t
parse_meta_field(const char *name, size_t n)
{
	static const char *const known[] = { "file", "line", "peer" };
	int32_t	 i;

	for (i = 0; i < META_EXT; i++)
		if (n == strlen(known[i]) && memcmp(name, known[i], n) == 0)
			return i;
	return META_EXT;
}

/* '.' NAME, '.' STRING or '[' EXPR ']' after an operand A (or the record). */
static struct node *
parse_member(struct parser *p, struct node *a, uint32_t pos, bool after_dot)
{
	struct node	*n, *k;

	if (after_dot && (p->tok.type == T_IDENT || p->tok.type == T_STR) &&
	    a->kind == N_META) {
		/* meta.NAME becomes one node: no object built per record. */
		a->kind = N_META_FIELD;
		a->v = value_str(p->tok.type == T_IDENT ?
		    arena_strndup(&p->e->arena, p->tok.s, p->tok.n) : p->tok.s,
		    p->tok.n);
		a->field = parse_meta_field(a->v.u.s, a->v.n);
		if (parse_next(p) == -1)
			return NULL;
		return a;
	}
	if (after_dot && (p->tok.type == T_IDENT || p->tok.type == T_STR)) {
		n = node_new(p, N_MEMBER, pos);
		n->a = a;
		n->v = value_str(p->tok.type == T_IDENT ?
		    arena_strndup(&p->e->arena, p->tok.s, p->tok.n) : p->tok.s,
		    p->tok.n);
		if (node_depth(p, n, a) == -1 || parse_next(p) == -1)
			return NULL;
		return node_fold(p, n);
	}
	if (p->tok.type != T_LBRACK) {
		parse_expected(p, "a name, a string or '[' after '.'");
		return NULL;
	}
	if (parse_next(p) == -1)
		return NULL;
	if ((k = parse_expr(p)) == NULL)
		return NULL;
	if (parse_expect(p, T_RBRACK, "']' after the index") == -1)
		return NULL;
	return node_bin(p, N_INDEX, pos, a, k);
}

static struct node *
parse_primary(struct parser *p)
{
	struct token	 t = p->tok;
	struct node	*n, *k;

	switch (t.type) {
	case T_NUM:
		n = node_const(p, t.num, t.pos);
		if (parse_next(p) == -1)
			return NULL;
		return n;
	case T_STR:
		n = node_const(p, value_str(t.s, t.n), t.pos);
		n->lit = true;
		if (parse_next(p) == -1)
			return NULL;
		return n;
	case T_REGEX:
		return parse_regex(p);
	case T_FIELD:
		return parse_field(p);
	case T_IDENT:
		if (parse_next(p) == -1)
			return NULL;
		if (p->tok.type == T_LPAREN)
			return parse_call(p, &t);
		return parse_name(p, &t);
	case T_DOT:
		if (parse_allowed(p, EXPR_X, &t) == -1)
			return NULL;
		if (parse_next(p) == -1)
			return NULL;
		p->e->members = true;
		n = node_new(p, N_X, t.pos);
		/* .name ."key" .[i] touch the dot; "." alone is x. */
		if (p->tok.pos == t.end && (p->tok.type == T_IDENT ||
		    p->tok.type == T_STR || p->tok.type == T_LBRACK))
			return parse_member(p, n, t.pos, true);
		return n;
	case T_LPAREN:
		if (parse_next(p) == -1)
			return NULL;
		if ((k = parse_expr(p)) == NULL)
			return NULL;
		if (p->tok.type != T_COMMA) {
			if (parse_expect(p, T_RPAREN, "')'") == -1)
				return NULL;
			return k;
		}
		n = node_new(p, N_TUPLE, t.pos);
		if (parse_next(p) == -1)
			return NULL;
		if (parse_list(p, n, T_RPAREN, "',' or ')' in the tuple") == -1)
			return NULL;
		{
			/* Put the first element back in front. */
			struct node	**kids;

			kids = arena_alloc(&p->e->arena,
			    (n->nkids + 1) * sizeof *kids);
			kids[0] = k;
			if (n->nkids)
				memcpy(kids + 1, n->kids,
				    n->nkids * sizeof *kids);
			n->kids = kids;
			n->nkids++;
			if (node_depth(p, n, k) == -1)
				return NULL;
		}
		return node_fold(p, n);
	case T_LBRACK:
		n = node_new(p, N_ARRAY, t.pos);
		if (parse_next(p) == -1)
			return NULL;
		if (parse_list(p, n, T_RBRACK, "',' or ']' in the array") == -1)
			return NULL;
		return node_fold(p, n);
	case T_LBRACE:
		return parse_object(p);
	default:
		parse_expected(p, "an expression");
		return NULL;
	}
}

static struct node *
parse_postfix(struct parser *p)
{
	struct node	*n;
	uint32_t	 pos;

	if ((n = parse_primary(p)) == NULL)
		return NULL;
	for (;;) {
		pos = p->tok.pos;
		if (p->tok.type == T_DOT) {
			if (parse_next(p) == -1)
				return NULL;
			n = parse_member(p, n, pos, true);
		} else if (p->tok.type == T_LBRACK)
			n = parse_member(p, n, pos, false);
		else
			break;
		if (n == NULL)
			return NULL;
	}
	return n;
}

static struct node *
parse_unary(struct parser *p)
{
	struct token	 t = p->tok;
	struct node	*n, *k;

	if (t.type != T_MINUS && t.type != T_BANG)
		return parse_postfix(p);
	if (++p->nest > PARSE_MAXNEST) {
		parse_error(p, t.pos, "expression nested too deeply");
		return NULL;
	}
	if (parse_next(p) == -1 || (k = parse_unary(p)) == NULL)
		return NULL;
	p->nest--;
	n = node_new(p, t.type == T_MINUS ? N_NEG : N_NOT, t.pos);
	n->a = k;
	if (node_depth(p, n, k) == -1)
		return NULL;
	return node_fold(p, n);
}

static const struct binop {
	enum tok	 tok;
	enum nkind	 kind;
	int		 prec;
} binops[] = {
	{ T_QQ,		N_COALESCE,	1 },
	{ T_OROR,	N_OR,		2 },
	{ T_ANDAND,	N_AND,		3 },
	{ T_EQ,		N_EQ,		4 },
	{ T_NE,		N_NE,		4 },
	{ T_LT,		N_LT,		4 },
	{ T_LE,		N_LE,		4 },
	{ T_GT,		N_GT,		4 },
	{ T_GE,		N_GE,		4 },
	{ T_MATCH,	N_MATCH,	4 },
	{ T_NOMATCH,	N_NOMATCH,	4 },
	{ T_CAT,	N_CAT,		5 },
	{ T_PLUS,	N_ADD,		6 },
	{ T_MINUS,	N_SUB,		6 },
	{ T_STAR,	N_MUL,		7 },
	{ T_SLASH,	N_DIV,		7 },
	{ T_PERCENT,	N_MOD,		7 },
};

static const struct binop *
parse_binop(enum tok t)
{
	size_t	 i;

	for (i = 0; i < sizeof binops / sizeof binops[0]; i++)
		if (binops[i].tok == t)
			return &binops[i];
	return NULL;
}

/* Precedence climbing over the binary operators, all left associative. */
static struct node *
parse_binary(struct parser *p, int minprec)
{
	const struct binop	*op;
	struct node		*l, *r;
	uint32_t		 pos;

	if (++p->nest > PARSE_MAXNEST) {
		parse_error(p, p->tok.pos, "expression nested too deeply");
		return NULL;
	}
	if ((l = parse_unary(p)) == NULL)
		return NULL;
	while ((op = parse_binop(p->tok.type)) != NULL && op->prec >= minprec) {
		pos = p->tok.pos;
		if (parse_next(p) == -1)
			return NULL;
		if ((r = parse_binary(p, op->prec + 1)) == NULL)
			return NULL;
		if ((op->kind == N_MATCH || op->kind == N_NOMATCH) &&
		    r->kind == N_REGEX)
			r->claimed = true;
		if ((l = node_bin(p, op->kind, pos, l, r)) == NULL)
			return NULL;
	}
	p->nest--;
	return l;
}

static struct node *
parse_expr(struct parser *p)
{
	struct node	*c, *a, *b, *n;
	uint32_t	 pos;

	if (++p->nest > PARSE_MAXNEST) {
		parse_error(p, p->tok.pos, "expression nested too deeply");
		return NULL;
	}
	if ((c = parse_binary(p, 1)) == NULL)
		return NULL;
	if (p->tok.type == T_QUEST) {
		pos = p->tok.pos;
		if (parse_next(p) == -1 || (a = parse_expr(p)) == NULL)
			return NULL;
		if (parse_expect(p, T_COLON, "':' in 'c ? a : b'") == -1)
			return NULL;
		if ((b = parse_expr(p)) == NULL)
			return NULL;
		if (c->kind == N_CONST) {
			c = value_truthy(&c->v) ? a : b;
		} else {
			n = node_new(p, N_COND, pos);
			n->a = c;
			n->b = a;
			n->c = b;
			if (node_depth(p, n, c) == -1 ||
			    node_depth(p, n, a) == -1 ||
			    node_depth(p, n, b) == -1)
				return NULL;
			c = n;
		}
	}
	p->nest--;
	return c;
}

/*
 * Compiles SRC (see expr.h).  The source is copied; the tree, its
 * constants and regexes belong to the returned expr.
 */
struct expr *
expr_compile(const char *src, int flags, char **cause)
{
	struct parser	 p;
	struct expr	*e;
	struct node	*n, *root;

	e = xcalloc(1, sizeof *e);
	e->src = xstrdup(src);
	arena_init(&e->arena);
	memset(&p, 0, sizeof p);
	p.e = e;
	p.flags = flags;
	lex_init(&p.lx, e->src, strlen(e->src), &e->arena);

	if (parse_next(&p) == -1)
		goto fail;
	if ((root = parse_expr(&p)) == NULL)
		goto fail;
	if (p.tok.type != T_EOF) {
		parse_expected(&p, "an operator or the end of the expression");
		goto fail;
	}
	for (n = e->nodes; n != NULL; n = n->allnext) {
		if (n->kind == N_CAT && n->b->kind == N_FIELD &&
		    n->a->kind == N_CAT && n->a->a->kind == N_FIELD &&
		    n->a->b->kind == N_CONST && n->a->b->v.type == V_STR &&
		    n->a->a->field > 0 && n->b->field > 0) {
			n->span = true;
			/* The last field it needs. */
			n->field = n->a->a->field > n->b->field ?
			    n->a->a->field : n->b->field;
		}
		if (n->kind == N_REGEX && !n->claimed && !(flags & EXPR_X)) {
			parse_error(&p, n->pos, "a bare /regex/ matches $0, "
			    "which is not defined here");
			goto fail;
		}
	}
	e->root = root;
	if (root->kind == N_CALL && root->nkids == 1 &&
	    strcmp(root->bi->name, "time") == 0)
		e->time_arg = root->kids[0];
	return e;
fail:
	*cause = p.cause != NULL ? p.cause : xstrdup("syntax error");
	expr_free(e);
	return NULL;
}

void
expr_free(struct expr *e)
{
	struct node	*n;

	if (e == NULL)
		return;
	for (n = e->nodes; n != NULL; n = n->allnext) {
		regex_free(n->re);
		regex_free(n->dyn.re);
	}
	arena_free(&e->arena);
	free(e->src);
	free(e);
}

int32_t
expr_max_field(const struct expr *e)
{
	return e->maxfield;
}

int32_t
expr_lone_field(const struct expr *e)
{
	return e->root->kind == N_FIELD && e->root->field > 0 ?
	    e->root->field : 0;
}

bool
expr_uses_members(const struct expr *e)
{
	return e->members;
}

bool
expr_uses_origin(void)
{
	return origin_used;
}

const char *
expr_source(const struct expr *e)
{
	return e->src;
}
