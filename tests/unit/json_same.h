/*
 * json_same.h - the comparison of a document read by json_parse with
 * jansson's reading of the same text, shared by the unit test
 * (test_json.c) and the fuzz target (fuzz_json.c).
 */
#ifndef DSTREAM_JSON_SAME_H
#define DSTREAM_JSON_SAME_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

/*
 * Where we accept and jansson does not, the document must be one of the
 * documented leniencies: invalid UTF-8 or lone surrogates kept, numbers
 * beyond int64 or double read as doubles, duplicate keys kept, \u0000 in
 * keys; and, when DEEP, nesting past jansson's depth limit (the fuzzer's
 * inputs reach it).  WHY is jansson's error text.
 */
static bool
json_lenient(const char *why, bool deep)
{
	return strstr(why, "unable to decode byte") != NULL ||
	    strstr(why, "nvalid Unicode") != NULL ||
	    strstr(why, "too big") != NULL ||
	    strstr(why, "overflow") != NULL ||
	    strstr(why, "duplicate") != NULL ||
	    strstr(why, "NUL byte in object key") != NULL ||
	    (deep && strstr(why, "maximum parsing depth") != NULL);
}

/* Whether jansson's J and our V are the same document. */
static bool
json_same(json_t *j, const struct value *v)
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
			return false;
		for (i = 0; i < v->n; i++) {
			if (!json_same(json_array_get(j, i), &v->u.a[i]))
				return false;
		}
		return true;
	case JSON_OBJECT:
		if (v->type != V_OBJ || v->n != json_object_size(j))
			return false;
		for (i = 0; i < v->n; i++) {
			k = &v->u.kv[2 * i];
			m = json_object_getn(j, k->u.s, k->n);
			if (m == NULL || !json_same(m, &v->u.kv[2 * i + 1]))
				return false;
		}
		return true;
	}
	return false;
}

#endif
