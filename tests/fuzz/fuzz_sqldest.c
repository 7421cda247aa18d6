/*
 * fuzz_sqldest.c - libFuzzer target for the SQL destinations' names
 * (sinks/sql.c): sql_dest_parse and sql_mask on any bytes.  Nothing may
 * crash or leak; a parsed name keeps its kind; a password given in the
 * user info or as password= never shows in the masked name or a cause.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dstream.h"
#include "sinks/sql.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);


/* Whether the password marker "SECRET" put in by the corpus shows. */
static void
fuzz_no_secret(const char *in, const char *out)
{
	const char	*q = strchr(in, '?'), *p = strstr(in, "://"), *at, *c;

	if (out == NULL || strstr(out, "SECRET") == NULL)
		return;
	/* Only a password in the user info or password= counts. */
	if (p != NULL) {
		at = NULL;
		for (c = p + 3; *c != '\0' && (q == NULL || c < q); c++)
			if (*c == '@')
				at = c;
		c = p + 3;
		while (at != NULL && c < at && *c != ':')
			c++;
		if (at != NULL && c < at && memmem(c, (size_t)(at - c),
		    "SECRET", 6) != NULL)
			abort();
	}
	if (q != NULL && strcasestr(q, "password=SECRET") != NULL &&
	    strstr(out, "password=SECRET") != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s = malloc(size + 1), *cause = NULL, *m;
	struct sql_dest	 d;
	bool		 pg;

	memcpy(s, data, size);
	s[size] = '\0';
	m = sql_mask(s);
	fuzz_no_secret(s, m);
	free(m);
	if (sql_dest_parse(s, &d, &cause) == 0) {
		if (!sql_dest_is(s, &pg) || pg != d.pg || d.table == NULL ||
		    d.target == NULL || d.shown == NULL)
			abort();
		fuzz_no_secret(s, d.shown);
		sql_dest_free(&d);
	} else {
		fuzz_no_secret(s, cause);
		free(cause);
	}
	free(s);
	return 0;
}
