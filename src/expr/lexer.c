/*
 * lexer.c - cuts expression source into tokens for the parser.
 *
 * The parser pulls one token at a time.  A '/' starts a regex literal
 * where an operand may begin and is division after an operand, as in
 * awk.  String literals are decoded (JSON escapes) into the expression's
 * arena; regex literals keep their text for PCRE2, with "\/" unescaped.
 * A lexical fault sets lx->err and lx->errpos for the parser's caret.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "expr_int.h"

void
lex_init(struct lexer *lx, const char *src, size_t len, struct arena *a)
{
	memset(lx, 0, sizeof *lx);
	lx->src = src;
	lx->len = len;
	lx->arena = a;
	lx->prev = T_EOF;
}

static int
lex_fail(struct lexer *lx, size_t pos, const char *msg)
{
	lx->err = msg;
	lx->errpos = (uint32_t)pos;
	return -1;
}

static bool
lex_isident(int c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return true;
	return !first && c >= '0' && c <= '9';
}

static bool
lex_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

/* Whether the previous token ends an operand, so '/' divides. */
static bool
lex_after_operand(const struct lexer *lx)
{
	switch (lx->prev) {
	case T_NUM:
	case T_STR:
	case T_REGEX:
	case T_IDENT:
	case T_FIELD:
	case T_DOT:
	case T_RPAREN:
	case T_RBRACK:
	case T_RBRACE:
		return true;
	default:
		return false;
	}
}

static int
lex_hex4(const char *p)
{
	int	 i, v = 0, c;

	for (i = 0; i < 4; i++) {
		c = (unsigned char)p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static void
lex_utf8(struct buf *b, uint32_t cp)
{
	if (cp < 0x80)
		buf_addc(b, (int)cp);
	else if (cp < 0x800) {
		buf_addc(b, (int)(0xc0 | (cp >> 6)));
		buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(b, (int)(0xe0 | (cp >> 12)));
		buf_addc(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(b, (int)(0xf0 | (cp >> 18)));
		buf_addc(b, (int)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addc(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	}
}

/*
 * Decodes the string literal whose opening quote is at lx->pos into T.
 * Escapes are JSON's; a lone surrogate becomes U+FFFD.
 */
static int
lex_string(struct lexer *lx, struct token *t)
{
	struct buf	 b = BUF_INIT;
	const char	*s = lx->src;
	size_t		 i = lx->pos + 1, start = lx->pos;
	int		 hi, lo;

	for (;;) {
		if (i >= lx->len) {
			buf_free(&b);
			return lex_fail(lx, start, "unterminated string");
		}
		if (s[i] == '"')
			break;
		if (s[i] != '\\') {
			buf_addc(&b, s[i++]);
			continue;
		}
		if (i + 1 >= lx->len) {
			buf_free(&b);
			return lex_fail(lx, start, "unterminated string");
		}
		switch (s[i + 1]) {
		case '"':  buf_addc(&b, '"'); break;
		case '\\': buf_addc(&b, '\\'); break;
		case '/':  buf_addc(&b, '/'); break;
		case 'b':  buf_addc(&b, '\b'); break;
		case 'f':  buf_addc(&b, '\f'); break;
		case 'n':  buf_addc(&b, '\n'); break;
		case 'r':  buf_addc(&b, '\r'); break;
		case 't':  buf_addc(&b, '\t'); break;
		case 'u':
			if (i + 6 > lx->len || (hi = lex_hex4(s + i + 2)) < 0) {
				buf_free(&b);
				return lex_fail(lx, i,
				    "expected 4 hex digits after \\u");
			}
			i += 6;
			if (hi >= 0xd800 && hi < 0xdc00 && i + 6 <= lx->len &&
			    s[i] == '\\' && s[i + 1] == 'u' &&
			    (lo = lex_hex4(s + i + 2)) >= 0xdc00 &&
			    lo < 0xe000) {
				lex_utf8(&b, 0x10000 +
				    (((uint32_t)hi - 0xd800) << 10) +
				    ((uint32_t)lo - 0xdc00));
				i += 6;
			} else if (hi >= 0xd800 && hi < 0xe000)
				lex_utf8(&b, 0xfffd);
			else
				lex_utf8(&b, (uint32_t)hi);
			continue;
		default:
			buf_free(&b);
			return lex_fail(lx, i, "unknown escape in string "
			    "(use \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
		}
		i += 2;
	}
	t->type = T_STR;
	t->n = b.len;
	t->s = arena_strndup(lx->arena, b.p ? b.p : "", b.len);
	buf_free(&b);
	lx->pos = i + 1;
	return 0;
}

/* Reads the regex literal whose opening slash is at lx->pos, then its flags. */
static int
lex_regex(struct lexer *lx, struct token *t)
{
	struct buf	 b = BUF_INIT;
	const char	*s = lx->src;
	size_t		 i = lx->pos + 1, start = lx->pos;
	bool		 inclass = false;

	for (;;) {
		if (i >= lx->len || s[i] == '\n') {
			buf_free(&b);
			return lex_fail(lx, start, "unterminated regex");
		}
		if (s[i] == '/' && !inclass)
			break;
		if (s[i] == '\\' && i + 1 < lx->len) {
			if (s[i + 1] != '/')
				buf_addc(&b, '\\');
			buf_addc(&b, s[i + 1]);
			i += 2;
			continue;
		}
		if (s[i] == '[' && !inclass) {
			inclass = true;
			buf_addc(&b, s[i++]);
			/* A ']' first in a class is literal. */
			if (i < lx->len && s[i] == '^')
				buf_addc(&b, s[i++]);
			if (i < lx->len && s[i] == ']')
				buf_addc(&b, s[i++]);
			continue;
		}
		if (s[i] == ']')
			inclass = false;
		buf_addc(&b, s[i++]);
	}
	i++;
	t->reflags = 0;
	while (i < lx->len && lex_isident((unsigned char)s[i], false)) {
		switch (s[i]) {
		case 'i': t->reflags |= PCRE2_CASELESS; break;
		case 'm': t->reflags |= PCRE2_MULTILINE; break;
		case 's': t->reflags |= PCRE2_DOTALL; break;
		case 'x': t->reflags |= PCRE2_EXTENDED; break;
		default:
			buf_free(&b);
			return lex_fail(lx, i,
			    "unknown regex flag (use i, m, s or x)");
		}
		i++;
	}
	t->type = T_REGEX;
	t->n = b.len;
	t->s = arena_strndup(lx->arena, b.p ? b.p : "", b.len);
	buf_free(&b);
	lx->pos = i;
	return 0;
}

/* Reads a number: digits, an optional fraction and exponent. */
static int
lex_number(struct lexer *lx, struct token *t)
{
	const char	*s = lx->src;
	size_t		 i = lx->pos, start = lx->pos;
	bool		 isdbl = false;
	char		*text, *end;
	long long	 ll;

	while (i < lx->len && lex_isdigit((unsigned char)s[i]))
		i++;
	if (i + 1 < lx->len && s[i] == '.' &&
	    lex_isdigit((unsigned char)s[i + 1])) {
		isdbl = true;
		i++;
		while (i < lx->len && lex_isdigit((unsigned char)s[i]))
			i++;
	}
	if (i < lx->len && (s[i] == 'e' || s[i] == 'E')) {
		size_t	 j = i + 1;

		if (j < lx->len && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < lx->len && lex_isdigit((unsigned char)s[j])) {
			isdbl = true;
			i = j;
			while (i < lx->len && lex_isdigit((unsigned char)s[i]))
				i++;
		}
	}
	if (i < lx->len && lex_isident((unsigned char)s[i], false))
		return lex_fail(lx, i, "bad number");
	text = xstrndup(s + start, i - start);
	if (!isdbl) {
		errno = 0;
		ll = strtoll(text, &end, 10);
		if (errno == ERANGE)
			isdbl = true;
		else
			t->num = value_int(ll);
	}
	if (isdbl)
		t->num = value_dbl(strtod(text, &end));
	free(text);
	t->type = T_NUM;
	lx->pos = i;
	return 0;
}

/* Reads what follows '$': digits, NF, a name, or '(' (left for the parser). */
static int
lex_field(struct lexer *lx, struct token *t)
{
	const char	*s = lx->src;
	size_t		 i = lx->pos + 1, start;
	int64_t		 n = 0;

	t->type = T_FIELD;
	if (i < lx->len && lex_isdigit((unsigned char)s[i])) {
		while (i < lx->len && lex_isdigit((unsigned char)s[i])) {
			n = n * 10 + (s[i] - '0');
			if (n > INT32_MAX / 2)
				return lex_fail(lx, lx->pos,
				    "field number too large");
			i++;
		}
		if (i < lx->len && lex_isident((unsigned char)s[i], false))
			return lex_fail(lx, i, "bad field number");
		t->field = (int32_t)n;
		lx->pos = i;
		return 0;
	}
	if (i < lx->len && s[i] == '(') {
		t->field = FIELD_DYN;
		lx->pos = i;
		return 0;
	}
	if (i < lx->len && lex_isident((unsigned char)s[i], true)) {
		start = i;
		while (i < lx->len && lex_isident((unsigned char)s[i], false))
			i++;
		if (i - start == 2 && memcmp(s + start, "NF", 2) == 0)
			t->field = FIELD_NF;
		else {
			t->field = 0;
			t->s = s + start;
			t->n = i - start;
		}
		lx->pos = i;
		return 0;
	}
	return lex_fail(lx, lx->pos,
	    "expected a field number, NF, a name or '(' after '$'");
}

int
lex_next(struct lexer *lx, struct token *t)
{
	const char	*s = lx->src;
	int		 c, c1;

	memset(t, 0, sizeof *t);
	for (;;) {
		while (lx->pos < lx->len && (s[lx->pos] == ' ' ||
		    s[lx->pos] == '\t' || s[lx->pos] == '\n' ||
		    s[lx->pos] == '\r'))
			lx->pos++;
		if (lx->pos < lx->len && s[lx->pos] == '#') {
			while (lx->pos < lx->len && s[lx->pos] != '\n')
				lx->pos++;
			continue;
		}
		break;
	}
	t->pos = (uint32_t)lx->pos;
	if (lx->pos >= lx->len) {
		t->type = T_EOF;
		t->end = t->pos;
		lx->prev = T_EOF;
		return 0;
	}
	c = (unsigned char)s[lx->pos];
	c1 = lx->pos + 1 < lx->len ? (unsigned char)s[lx->pos + 1] : -1;

	if (lex_isdigit(c) || (c == '.' && lex_isdigit(c1) &&
	    !lex_after_operand(lx))) {
		if (c == '.') {
			/* ".5": read as "0.5" would be, without copying. */
			const char	*p = s + lx->pos;
			char		*end;

			lx->pos++;
			while (lx->pos < lx->len &&
			    lex_isdigit((unsigned char)s[lx->pos]))
				lx->pos++;
			if (lx->pos < lx->len &&
			    lex_isident((unsigned char)s[lx->pos], false))
				return lex_fail(lx, lx->pos, "bad number");
			{
				char	*text;

				text = xstrndup(p, (size_t)(s + lx->pos - p));

				t->num = value_dbl(strtod(text, &end));
				free(text);
			}
			t->type = T_NUM;
		} else if (lex_number(lx, t) == -1)
			return -1;
	} else if (c == '"') {
		if (lex_string(lx, t) == -1)
			return -1;
	} else if (c == '/' && !lex_after_operand(lx)) {
		if (lex_regex(lx, t) == -1)
			return -1;
	} else if (lex_isident(c, true)) {
		size_t	 start = lx->pos;

		while (lx->pos < lx->len &&
		    lex_isident((unsigned char)s[lx->pos], false))
			lx->pos++;
		t->type = T_IDENT;
		t->s = s + start;
		t->n = lx->pos - start;
	} else if (c == '$') {
		if (lex_field(lx, t) == -1)
			return -1;
	} else {
		lx->pos++;
		switch (c) {
		case '.':
			if (c1 == '.') {
				lx->pos++;
				t->type = T_CAT;
			} else
				t->type = T_DOT;
			break;
		case '(': t->type = T_LPAREN; break;
		case ')': t->type = T_RPAREN; break;
		case '[': t->type = T_LBRACK; break;
		case ']': t->type = T_RBRACK; break;
		case '{': t->type = T_LBRACE; break;
		case '}': t->type = T_RBRACE; break;
		case ',': t->type = T_COMMA; break;
		case ':': t->type = T_COLON; break;
		case '+': t->type = T_PLUS; break;
		case '-': t->type = T_MINUS; break;
		case '*': t->type = T_STAR; break;
		case '/': t->type = T_SLASH; break;
		case '%': t->type = T_PERCENT; break;
		case '~': t->type = T_MATCH; break;
		case '?':
			if (c1 == '?') {
				lx->pos++;
				t->type = T_QQ;
			} else
				t->type = T_QUEST;
			break;
		case '!':
			if (c1 == '=') {
				lx->pos++;
				t->type = T_NE;
			} else if (c1 == '~') {
				lx->pos++;
				t->type = T_NOMATCH;
			} else
				t->type = T_BANG;
			break;
		case '=':
			if (c1 != '=')
				return lex_fail(lx, t->pos,
				    "use '==' to compare");
			lx->pos++;
			t->type = T_EQ;
			break;
		case '<':
			if (c1 == '=') {
				lx->pos++;
				t->type = T_LE;
			} else
				t->type = T_LT;
			break;
		case '>':
			if (c1 == '=') {
				lx->pos++;
				t->type = T_GE;
			} else
				t->type = T_GT;
			break;
		case '&':
			if (c1 != '&')
				return lex_fail(lx, t->pos, "use '&&' for and");
			lx->pos++;
			t->type = T_ANDAND;
			break;
		case '|':
			if (c1 != '|')
				return lex_fail(lx, t->pos, "use '||' for or");
			lx->pos++;
			t->type = T_OROR;
			break;
		default:
			return lex_fail(lx, t->pos, "unexpected character");
		}
	}
	t->end = (uint32_t)lx->pos;
	lx->prev = t->type;
	return 0;
}

/* How a token type is named in "expected ..." messages. */
const char *
lex_tokname(enum tok t)
{
	switch (t) {
	case T_EOF:	return "the end of the expression";
	case T_NUM:	return "a number";
	case T_STR:	return "a string";
	case T_REGEX:	return "a regex";
	case T_IDENT:	return "a name";
	case T_FIELD:	return "a field";
	case T_DOT:	return "'.'";
	case T_LPAREN:	return "'('";
	case T_RPAREN:	return "')'";
	case T_LBRACK:	return "'['";
	case T_RBRACK:	return "']'";
	case T_LBRACE:	return "'{'";
	case T_RBRACE:	return "'}'";
	case T_COMMA:	return "','";
	case T_COLON:	return "':'";
	case T_QUEST:	return "'?'";
	case T_QQ:	return "'?""?'";
	case T_OROR:	return "'||'";
	case T_ANDAND:	return "'&&'";
	case T_EQ:	return "'=='";
	case T_NE:	return "'!='";
	case T_LT:	return "'<'";
	case T_LE:	return "'<='";
	case T_GT:	return "'>'";
	case T_GE:	return "'>='";
	case T_MATCH:	return "'~'";
	case T_NOMATCH:	return "'!~'";
	case T_CAT:	return "'..'";
	case T_PLUS:	return "'+'";
	case T_MINUS:	return "'-'";
	case T_STAR:	return "'*'";
	case T_SLASH:	return "'/'";
	case T_PERCENT:	return "'%'";
	case T_BANG:	return "'!'";
	}
	return "?";
}
