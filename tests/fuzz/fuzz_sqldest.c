/*
 * fuzz_sqldest.c - libFuzzer target for the SQL destinations' names
 * (sinks/sql.c): sql_dest_parse and sql_mask on any bytes.  Nothing may
 * crash or leak; a parsed name keeps its kind; the masked name shows
 * *** where a password goes (the user information, password=).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dstream.h"
#include "sinks/sql.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);


/*
 * Aborts unless the masked name OUT shows no password: in a URI's user
 * information (from the first colon to the last @ before the first ?)
 * only ***, and every password= parameter's value ***.
 */
static void
fuzz_masked(const char *out)
{
	const char	*q = out + strcspn(out, "?"), *p = strstr(out, "://");
	const char	*at = NULL, *colon, *c;
	size_t		 n;

	if (p != NULL && p < q) {
		for (c = p + 3; c < q; c++)
			if (*c == '@')
				at = c;
		colon = at != NULL ? memchr(p + 3, ':', (size_t)(at - p - 3)) :
		    NULL;
		if (colon != NULL && (at - colon != 4 ||
		    memcmp(colon + 1, "***", 3) != 0))
			abort();
	}
	for (c = q; *c != '\0'; c += n) {
		c++;
		n = strcspn(c, "&");
		if (n >= 9 && strncasecmp(c, "password=", 9) == 0 &&
		    (n != 12 || memcmp(c + 9, "***", 3) != 0))
			abort();
	}
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
	fuzz_masked(m);
	free(m);
	if (sql_dest_parse(s, &d, &cause) == 0) {
		if (!sql_dest_is(s, &pg) || pg != d.pg || d.table == NULL ||
		    d.target == NULL || d.shown == NULL)
			abort();
		fuzz_masked(d.shown);
		sql_dest_free(&d);
	} else
		free(cause);
	free(s);
	return 0;
}
