/*
 * value.h - the record: what flows between operators.
 *
 * A value is 16 bytes and refers to, never owns, the memory behind it
 * (string bytes, elements).  That memory lives in an arena chosen by
 * whoever built the value: the engine's per-record arena for a record in
 * flight, an operator's own arena for state.  value_copy deep-copies into
 * an arena; nothing else allocates.
 *
 * Strings are byte strings (NUL bytes and invalid UTF-8 allowed), not
 * NUL-terminated.  An object is n key/value pairs stored flat in kv[]:
 * kv[2i] is the key (always a string), kv[2i+1] the value, in input order.
 * A pair is a tuple of 2.
 */
#ifndef DSTREAM_VALUE_H
#define DSTREAM_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "buf.h"

enum vtype {
	V_NULL, V_BOOL, V_INT, V_DBL, V_STR, V_TUPLE, V_ARR, V_OBJ
};

struct value {
	uint8_t		 type;		/* enum vtype */
	uint32_t	 n;		/* string bytes; element or member count */
	union {
		int64_t		 i;
		double		 d;
		bool		 b;
		const char	*s;
		struct value	*a;	/* tuple/array: a[0..n) */
		struct value	*kv;	/* object: kv[0..2n) */
	} u;
};

static inline struct value value_null(void) { struct value v = { V_NULL, 0, { 0 } }; return v; }
static inline struct value value_bool(bool b) { struct value v = { V_BOOL, 0, { 0 } }; v.u.b = b; return v; }
static inline struct value value_int(int64_t i) { struct value v = { V_INT, 0, { 0 } }; v.u.i = i; return v; }
static inline struct value value_dbl(double d) { struct value v = { V_DBL, 0, { 0 } }; v.u.d = d; return v; }
static inline struct value value_str(const char *s, size_t n) { struct value v = { V_STR, (uint32_t)n, { 0 } }; v.u.s = s; return v; }
static inline bool value_is_num(const struct value *v) { return v->type == V_INT || v->type == V_DBL; }
static inline bool value_is_pair(const struct value *v) { return v->type == V_TUPLE && v->n == 2; }

/*
 * Whether the N bytes at A and B are the same: short keys (a status, an
 * IP, a word) compared with a few loads inline, not memcmp's call; the
 * loads overlap and never reach past the N bytes.
 */
static inline bool
value_bytes_eq(const char *a, const char *b, size_t n)
{
	uint64_t	 x, y, u, w;
	uint32_t	 p, q, r, t;

	if (n > 16 || n == 0)
		return n == 0 || memcmp(a, b, n) == 0;
	if (n >= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		memcpy(&u, a + n - 8, 8);
		memcpy(&w, b + n - 8, 8);
		return ((x ^ y) | (u ^ w)) == 0;
	}
	if (n >= 4) {
		memcpy(&p, a, 4);
		memcpy(&q, b, 4);
		memcpy(&r, a + n - 4, 4);
		memcpy(&t, b + n - 4, 4);
		return ((p ^ q) | (r ^ t)) == 0;
	}
	return a[0] == b[0] && a[n >> 1] == b[n >> 1] && a[n - 1] == b[n - 1];
}

/* Builds a tuple of N elements in A (elements zeroed to null). */
struct value	value_tuple(struct arena *a, uint32_t n);
/* Builds the pair (K, V) in A; K and V are copied shallowly. */
struct value	value_pair(struct arena *a, struct value k, struct value v);
/* Builds an array of N null elements in A. */
struct value	value_array(struct arena *a, uint32_t n);

/* Deep-copies SRC into A; the result shares nothing with SRC. */
struct value	value_copy(struct arena *a, const struct value *src);
/* Bytes value_copy would allocate for V (for memory accounting). */
size_t		value_size(const struct value *v);

/*
 * Total order used for sorting keys and for min/max:
 * null < false < true < numbers < strings < tuples < arrays < objects.
 * Numbers compare by value (int 2 == double 2.0); strings bytewise;
 * tuples/arrays element by element, then by length.
 */
int		value_cmp(const struct value *, const struct value *);
bool		value_eq(const struct value *, const struct value *);
/* XXH3 hash consistent with value_eq (2 and 2.0 hash alike). */
uint64_t	value_hash(const struct value *);

/* Truth: null, false, numeric zero (0, 0.0, NaN) and "" are false; all else is true. */
bool		value_truthy(const struct value *);
/*
 * Numeric view, as awk: numbers as they are; strings that look like a
 * number (leading/trailing blanks allowed) are that number; bool as 0/1.
 * Returns false (and leaves *out alone) when V is not numeric.
 */
bool		value_to_num(const struct value *v, struct value *out);
/* Parses S[0..n) as a number the way value_to_num does. */
bool		value_parse_num(const char *s, size_t n, struct value *out);
/* Double view of a number value (ints converted). */
double		value_as_dbl(const struct value *);

/* Appends the shortest text that reads back as D ("1", "0.1", "1e+100"). */
void		value_fmt_dbl(struct buf *, double d);
/* Appends V as compact JSON (tuples as arrays; strings escaped; NaN/inf as null). */
void		value_fmt_json(struct buf *, const struct value *v);
/*
 * Appends V as plain text: strings raw, numbers shortest, null as empty,
 * bools true/false, tuples as tab-separated fields (each in plain form),
 * arrays and objects as compact JSON.  This is also what $0 means.
 */
void		value_fmt_plain(struct buf *, const struct value *v);
/*
 * Appends one output line: PRE[0..npre) (a stamp and its tab, or
 * nothing), V in plain form, a newline.  A string, an integer or a pair
 * of them (most rows) is written at once, with no check between pieces.
 */
void		value_fmt_line(struct buf *, const char *pre, size_t npre,
		    const struct value *v);
/* Name of the type as type() returns it: "null","boolean","number","string","tuple","array","object". */
const char	*value_type_name(const struct value *);
/* Looks KEY up in object O; NULL when absent. */
const struct value *value_obj_get(const struct value *o, const char *key, size_t klen);

#endif
