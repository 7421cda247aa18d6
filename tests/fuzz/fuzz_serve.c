/*
 * fuzz_serve.c - libFuzzer target for what the dashboard reads from a
 * request itself (serve/route.h): the route of a path, an event id
 * (Last-Event-ID, ?after=) and a count (?last=).  The input is split at
 * its first two NUL bytes into path, id and count.  Nothing may crash; a
 * route is found only for an exact path; an id read back prints as the
 * digits it was read from; a count is within its bound.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/route.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s = malloc(size + 3), *path, *id, *count, *p;
	char		 back[32];
	int64_t		 v;
	unsigned	 n;
	enum route	 r;

	memcpy(s, data, size);
	s[size] = s[size + 1] = s[size + 2] = '\0';
	path = s;
	id = path + strlen(path) + 1;
	count = id + strlen(id) + 1;
	if (id > s + size)
		id = s + size;
	if (count > s + size + 1)
		count = s + size + 1;

	r = route_find(path);
	if (r != ROUTE_NONE && path[0] != '/')
		abort();
	if (r == ROUTE_NONE && (strcmp(path, "/") == 0 ||
	    strcmp(path, "/metrics") == 0))
		abort();
	if (route_event_id(id, &v)) {
		/* The digits, without blanks and leading zeros, are V. */
		p = id + strspn(id, " \t");
		snprintf(back, sizeof back, "%" PRId64, v);
		if (v < -9999999999999999LL || v > 9999999999999999LL)
			abort();
		if (*p == '-')
			p++;
		while (*p == '0' && p[1] >= '0' && p[1] <= '9')
			p++;
		if (strncmp(back + (v < 0 ? 1 : 0), p,
		    strlen(back) - (v < 0 ? 1 : 0)) != 0 && v != 0)
			abort();
	}
	if (route_count(count, 600, &n) && n > 600)
		abort();
	free(s);
	return 0;
}
