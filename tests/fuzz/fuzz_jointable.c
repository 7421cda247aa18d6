/*
 * fuzz_jointable.c - libFuzzer target for join's table parsers
 * (ops/jointable.c): the first byte picks the form (key<TAB>value, CSV
 * with a header, JSON lines), the rest is the file.  Nothing may crash
 * or leak; a table that parses must find each of its rows' keys, every
 * row of a key chained after the first, as many rows in the chains as
 * the table holds; a table that fails must say where (NAME:LINE: ...).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dstream.h"
#include "ops/jointable.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum jt_form forms[] = { JT_TSV, JT_CSV, JT_JSON };
	struct jointable	*t;
	const struct jt_row	*r, *q;
	char			*buf, *cause = NULL;
	size_t			 i, chained = 0;
	bool			 seen;

	if (size < 1)
		return 0;
	buf = xmalloc(size);	/* the table's from here on */
	memcpy(buf, data + 1, size - 1);
	t = jt_parse(forms[data[0] % 3], "fuzz", buf, size - 1, &cause);
	if (t == NULL) {
		if (cause == NULL || strncmp(cause, "fuzz", 4) != 0)
			abort();
		free(cause);
		return 0;
	}
	for (i = 0; i < t->nrows; i++) {
		r = jt_find(t, &t->rows[i].key);
		if (r == NULL)
			abort();
		seen = false;
		for (q = r; q != NULL; q = jt_next(t, q)) {
			if (!value_eq(&q->key, &t->rows[i].key))
				abort();
			if (q == &t->rows[i])
				seen = true;
		}
		if (!seen)
			abort();
		/* Count each chain once, from its first row. */
		if (r == &t->rows[i])
			for (q = r; q != NULL; q = jt_next(t, q))
				chained++;
	}
	if (chained != t->nrows)
		abort();
	jt_free(t);
	return 0;
}
