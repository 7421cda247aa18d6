/*
 * route.h - what a dashboard request asks for, read from its path, its
 * Last-Event-ID header and its query arguments.
 *
 * Pure functions over strings, with no HTTP library behind them, so the
 * fuzz target (tests/fuzz/fuzz_serve.c) and the unit test reach every
 * case.  serve.c calls them with what libmicrohttpd decoded: the path
 * without its query, a header's value, one query argument's value.
 */
#ifndef DSTREAM_ROUTE_H
#define DSTREAM_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

enum route {
	ROUTE_NONE,		/* no such page: 404 */
	ROUTE_PAGE,		/* / and /index.html */
	ROUTE_EVENTS,		/* /events: server-sent events */
	ROUTE_LATEST,		/* /api/latest */
	ROUTE_METRICS,		/* /metrics */
	ROUTE_CHARTJS		/* /chart.js: Debian's Chart.js */
};

/* The route of PATH (NULL: ROUTE_NONE).  Exact names only: no ".." or
 * trailing parts, no percent-decoding beyond what the library did. */
enum route	 route_find(const char *path);

/*
 * Reads an event id (a batch end, epoch ms) from S: optional blanks, an
 * optional minus sign, 1 to 16 digits, optional blanks, nothing else.
 * Returns true and the id in *ID, or false (S NULL, empty or malformed).
 */
bool		 route_event_id(const char *s, int64_t *id);

/*
 * Reads a count from S (a query argument such as last=120): 1 to 9
 * digits, at most MAX.  Returns true and the count in *N, or false.
 */
bool		 route_count(const char *s, unsigned max, unsigned *n);

#endif
