/*
 * fuzz_json.c - libFuzzer target for the JSON record reader: json_parse
 * on arbitrary bytes must never crash, must agree with jansson whenever
 * both accept, must not reject what jansson accepts, and what it accepts
 * must print (value_fmt_json) as JSON that reads back to the same text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dstream.h"
#include "expr/expr.h"
#include "../unit/json_same.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena	 a;
	static int		 init;
	struct buf		 b1 = BUF_INIT, b2 = BUF_INIT;
	struct value		 v, w;
	const char		*err;
	json_error_t		 je;
	json_t			*j;
	int			 r, bom;

	if (!init) {
		arena_init(&a);
		init = 1;
	}
	arena_reset(&a);
	r = json_parse(&a, (const char *)data, size, &v, &err);
	/* The BOM we skip would make jansson fail for another reason. */
	bom = size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0;
	j = bom ? NULL : json_loadb((const char *)data, size, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
	if (r == 0 && j != NULL && !json_same(j, &v)) {
		fprintf(stderr, "different documents\n");
		abort();
	}
	/* jansson takes a NUL byte after a value for the end of the text. */
	if (r == -1 && j != NULL && memchr(data, '\0', size) == NULL) {
		fprintf(stderr, "rejected what jansson accepts: %s\n", err);
		abort();
	}
	if (r == -1 && (err == NULL || strstr(err, " at byte ") == NULL))
		abort();
	if (r == 0 && j == NULL && !bom && !json_lenient(je.text, true)) {
		fprintf(stderr, "accepted what jansson rejects: %s\n", je.text);
		abort();
	}
	json_decref(j);

	if (r == 0) {
		value_fmt_json(&b1, &v);
		if (json_parse(&a, b1.p, b1.len, &w, &err) != 0) {
			fprintf(stderr, "own output rejected: %s\n", err);
			abort();
		}
		value_fmt_json(&b2, &w);
		if (b1.len != b2.len || memcmp(b1.p, b2.p, b1.len) != 0) {
			fprintf(stderr, "round trip differs\n");
			abort();
		}
	}
	buf_free(&b1);
	buf_free(&b2);
	return 0;
}
