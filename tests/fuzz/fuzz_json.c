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

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Whether jansson's J and our V hold the same document. */
static int
same(json_t *j, const struct value *v)
{
	const struct value *k;
	json_t		*m;
	uint32_t	 i;

	switch (json_typeof(j)) {
	case JSON_NULL:
		return v->type == V_NULL;
	case JSON_TRUE:
		return v->type == V_BOOL && v->u.b;
	case JSON_FALSE:
		return v->type == V_BOOL && !v->u.b;
	case JSON_INTEGER:
		/* Our "-0" is the double -0.0; jansson's the integer 0. */
		return (v->type == V_INT && v->u.i == json_integer_value(j)) ||
		    (v->type == V_DBL && v->u.d == 0 &&
		    json_integer_value(j) == 0);
	case JSON_REAL:
		return v->type == V_DBL && v->u.d == json_real_value(j);
	case JSON_STRING:
		return v->type == V_STR && v->n == json_string_length(j) &&
		    memcmp(v->u.s, json_string_value(j), v->n) == 0;
	case JSON_ARRAY:
		if (v->type != V_ARR || v->n != json_array_size(j))
			return 0;
		for (i = 0; i < v->n; i++) {
			if (!same(json_array_get(j, i), &v->u.a[i]))
				return 0;
		}
		return 1;
	case JSON_OBJECT:
		if (v->type != V_OBJ || v->n != json_object_size(j))
			return 0;
		for (i = 0; i < v->n; i++) {
			k = &v->u.kv[2 * i];
			m = json_object_getn(j, k->u.s, k->n);
			if (m == NULL || !same(m, &v->u.kv[2 * i + 1]))
				return 0;
		}
		return 1;
	}
	return 0;
}

/* jansson's errors for what json_parse accepts on purpose. */
static int
lenient(const char *why)
{
	return strstr(why, "unable to decode byte") != NULL ||
	    strstr(why, "nvalid Unicode") != NULL ||
	    strstr(why, "too big") != NULL ||
	    strstr(why, "overflow") != NULL ||
	    strstr(why, "duplicate") != NULL ||
	    strstr(why, "NUL byte in object key") != NULL ||
	    strstr(why, "maximum parsing depth") != NULL;
}

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
	if (r == 0 && j != NULL && !same(j, &v)) {
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
	if (r == 0 && j == NULL && !bom && !lenient(je.text)) {
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
