/*
 * serve.h - the live dashboard (--serve [HOST:]PORT): an HTTP server on
 * the engine's own event loop, the page, the batches as server-sent
 * events, and dstream's own metrics for Prometheus.
 *
 * How it fits the flow: the chain's tail hands every output row to the
 * destination (-o) and, besides, to the serve's tap (serve_tap, a sink
 * the tail calls after the destination), which keeps the batch's rows as
 * JSON (sinks/format.c).  After the chain has flushed a batch the engine
 * calls serve_batch with the batch's processing time and the keys held:
 * the batch becomes one event, kept in a bounded ring of recent events
 * that every viewer reads at its own pace.  The engine polls the
 * server's one descriptor (serve_fds) with the sources' and calls
 * serve_ready after each poll; libmicrohttpd runs no thread of its own.
 *
 * A viewer never slows the pipeline: nothing here blocks, a viewer more
 * than a bound behind skips to the latest event (and may resume by id
 * from the ring), and one that goes away frees all it held.
 *
 * Built without libmicrohttpd (configure --without-serve), serve_open
 * says so and every other call does nothing (none.c).
 */
#ifndef DSTREAM_SERVE_H
#define DSTREAM_SERVE_H

#include <poll.h>
#include <stdint.h>

#include "../dstream.h"

struct serve;
struct sink;

/*
 * Starts the server on ADDR ("[HOST:]PORT"; HOST 127.0.0.1 when left
 * out, PORT 0 for any free port).  CMDLINE is shown on the page; RUN is
 * the run-wide counters (read at each batch and each /metrics request;
 * they must outlive the server).  Says on stderr where it listens.
 * Returns the server, or NULL with *CAUSE set (caller frees).
 */
struct serve	*serve_open(const char *addr, const char *cmdline,
		    const struct counters *run, char **cause);
/* Stops the server, closing every connection, and frees it (NULL allowed). */
void		 serve_close(struct serve *);
/*
 * An input NAME, its counters and, in event time, the largest time of its
 * records (ms; INT64_MIN before the first, and in processing time), for
 * /metrics; all three must outlive SV.
 */
void		 serve_input(struct serve *, const char *name,
		    const struct counters *c, const int64_t *newest_ms);
/* The sink the chain's tail copies its rows to (owned by the server). */
struct sink	*serve_tap(struct serve *);
/*
 * Adds the server's descriptor to PFD (room for MAX) and lowers
 * *TIMEOUT (ms, -1 for none) to when it needs to run (0 while it holds
 * events of ended batches: they are sent before the loop may sleep).
 * Returns how many descriptors it added (0 or 1).
 */
int		 serve_fds(struct serve *, struct pollfd *pfd, int max,
		    int *timeout);
/*
 * After poll: serves what is ready (PFD, N: what serve_fds added).  MORE
 * says whether the sources had input at hand in this turn (the loop did
 * not or would not wait): events of batches that ended close together
 * are then held a little, to go out together; without it every event
 * held goes out now.
 */
void		 serve_ready(struct serve *, const struct pollfd *pfd, int n,
		    bool more);
/*
 * The chain has flushed the batch ending at END_MS (its rows, if any,
 * went to the tap): it becomes the latest event.  CPU_MS is the time
 * spent on it, KEYS the keys the chain holds.
 */
void		 serve_batch(struct serve *, int64_t end_ms, int64_t cpu_ms,
		    size_t keys);

#endif
