/*
 * none.c - the dashboard left out (configure --without-serve): asking
 * for it says so; the rest of serve.h is never reached, serve_open
 * having failed.
 */
#include <stdlib.h>

#include "../dstream.h"
#include "serve.h"

struct serve *
serve_open(const char *addr, const char *cmdline, const struct counters *run,
    char **cause)
{
	xasprintf(cause, "--serve: this dstream was built without the "
	    "dashboard (configure --without-serve); rebuild it with "
	    "libmicrohttpd (Debian: libmicrohttpd-dev libjs-chart.js)");
	return NULL;
}

void
serve_close(struct serve *sv)
{
}

void
serve_input(struct serve *sv, const char *name, const struct counters *c,
    const int64_t *newest_ms)
{
}

struct sink *
serve_tap(struct serve *sv)
{
	return NULL;
}

int
serve_fds(struct serve *sv, struct pollfd *pfd, int max, int *timeout)
{
	return 0;
}

void
serve_ready(struct serve *sv, const struct pollfd *pfd, int n, bool more)
{
}

void
serve_batch(struct serve *sv, int64_t end_ms, int64_t cpu_ms, size_t keys)
{
}
