/*
 * route.c - the request's route, event id and counts (route.h).  Every
 * reader is strict: a value that is not exactly what it should be is
 * refused rather than half-read, and serve.c answers 400 or ignores it.
 */
#include <string.h>

#include "route.h"

enum route
route_find(const char *path)
{
	static const struct {
		const char	*path;
		enum route	 route;
	} routes[] = {
		{ "/", ROUTE_PAGE },
		{ "/index.html", ROUTE_PAGE },
		{ "/events", ROUTE_EVENTS },
		{ "/api/latest", ROUTE_LATEST },
		{ "/metrics", ROUTE_METRICS },
		{ "/chart.js", ROUTE_CHARTJS }
	};
	size_t	 i;

	if (path == NULL)
		return ROUTE_NONE;
	for (i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (strcmp(path, routes[i].path) == 0)
			return routes[i].route;
	return ROUTE_NONE;
}

static bool
route_blank(char c)
{
	return c == ' ' || c == '\t';
}

bool
route_event_id(const char *s, int64_t *id)
{
	int64_t	 v = 0;
	int	 digits = 0;
	bool	 neg = false;

	if (s == NULL)
		return false;
	while (route_blank(*s))
		s++;
	if (*s == '-') {
		neg = true;
		s++;
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		if (++digits > 16)
			return false;	/* past any batch end (9e15 ms) */
		v = v * 10 + (*s - '0');
	}
	while (route_blank(*s))
		s++;
	if (digits == 0 || *s != '\0')
		return false;
	*id = neg ? -v : v;
	return true;
}

bool
route_count(const char *s, unsigned max, unsigned *n)
{
	unsigned	 v = 0;
	int		 digits = 0;

	if (s == NULL)
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (++digits > 9)
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (digits == 0 || *s != '\0' || v > max)
		return false;
	*n = v;
	return true;
}
