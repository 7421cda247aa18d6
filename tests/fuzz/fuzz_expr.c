/*
 * fuzz_expr.c - libFuzzer target for the expression compiler and
 * evaluator.  The input is expression text.  Compiling must never crash
 * and must either succeed or give a message with a caret line; what
 * compiles is evaluated against a few fixed records (a log line, a JSON
 * object, a pair, a number, null) under each field separator, and every
 * result is printed in plain and JSON form.  A failed evaluation must
 * leave a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dstream.h"
#include "expr/expr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char	line[] =
    "127.0.0.1 - - [21/Nov/2025:00:00:00 +0000] "
    "\"GET /a,b HTTP/1.1\" 200 512 \"-\" \"curl\" \xff é";
static const char	json[] =
    "{\"a\": {\"b\": [1, 2.5, \"x\"]}, "
    "\"event\": \"click\", \"n\": -3, \"odd key\": null, "
    "\"t\": \"2025-11-21T00:00:00Z\", \"s\": \"1,\\\"2\\\",3\"}";

static void
check_cause(const char *cause)
{
	/* A message, the expression line, then the caret line. */
	const char	*nl = strchr(cause, '\n');

	if (nl == NULL || strchr(nl + 1, '\n') == NULL ||
	    cause[strlen(cause) - 1] != '^') {
		fprintf(stderr, "compile error without a caret: %s\n", cause);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena	 a, ja;
	static struct value	 recs[5];
	static int		 init;
	struct expr_ctx		 ctx;
	struct expr		*e, *e2;
	struct value		 v;
	struct buf		 b = BUF_INIT;
	const char		*err;
	char			*src, *cause = NULL;
	int			 mode, i;

	if (!init) {
		arena_init(&a);
		arena_init(&ja);
		recs[0] = value_str(line, sizeof line - 1);
		if (json_parse(&ja, json, sizeof json - 1, &recs[1],
		    &err) == -1)
			abort();
		recs[2] = value_pair(&ja, value_str("k", 1), value_int(7));
		recs[3] = value_dbl(2.5);
		recs[4] = value_null();
		cur_origin.hdr = expr_header_new("ip x y z", 8);
		init = 1;
	}
	src = xstrndup((const char *)data, size);

	/* Only the record's names allowed: exercises the "not here" faults. */
	if ((e2 = expr_compile(src, EXPR_X, &cause)) == NULL) {
		check_cause(cause);
		free(cause);
		cause = NULL;
	}
	expr_free(e2);

	e = expr_compile(src, EXPR_X | EXPR_AB | EXPR_STATE, &cause);
	if (e == NULL) {
		check_cause(cause);
		free(cause);
		free(src);
		return 0;
	}
	(void)expr_max_field(e);
	(void)expr_uses_members(e);
	if (strcmp(expr_source(e), src) != 0)
		abort();

	for (mode = 0; mode < 3; mode++) {
		expr_set_fields(mode == 1 ? "," : NULL, mode == 2);
		expr_ctx_init(&ctx, &a);
		for (i = 0; i < 5; i++) {
			expr_ctx_record(&ctx, &recs[i]);
			ctx.a = recs[(i + 1) % 5];
			ctx.b = recs[(i + 2) % 5];
			ctx.values = recs[1].u.kv[1].u.kv[1];	/* .a.b */
			ctx.state = recs[i];
			if (expr_eval(e, &ctx, &v) == -1) {
				if (ctx.err == NULL)
					abort();
			} else {
				buf_reset(&b);
				value_fmt_plain(&b, &v);
				buf_reset(&b);
				value_fmt_json(&b, &v);
			}
			arena_reset(&a);
		}
		expr_ctx_free(&ctx);
	}
	expr_set_fields(NULL, false);
	buf_free(&b);
	expr_free(e);
	free(src);
	return 0;
}
