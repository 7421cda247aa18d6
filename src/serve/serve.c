/*
 * serve.c - the dashboard's HTTP server (serve.h says how it fits the
 * flow): libmicrohttpd in "external polling" mode with epoll, so the
 * whole server is one descriptor in the engine's poll set and runs only
 * when the engine calls serve_ready or serve_batch; no thread of its own.
 *
 * Routes (GET only: any other method is answered 405):
 *   /            the page (page.html, built into the binary), the
 *                pipeline's command line filled in
 *   /chart.js    Chart.js, read at start from Debian's libjs-chart.js
 *                (the one file served from disk; configure finds it)
 *   /events      server-sent events: one per batch, "id: <batch end ms>"
 *                and "data: <the batch as JSON>"; Last-Event-ID (or
 *                ?after=ID) resumes after that batch, ?last=N starts N
 *                batches back; else the latest batch comes first
 *   /api/latest  the latest batch as JSON
 *   /metrics     Prometheus text format (metrics.c)
 *
 * Events: each batch is laid out once, as the text of its event, into a
 * ring of the most recent ones (at most RING_EVENTS and about
 * RING_BYTES).  Each viewer has a cursor into the ring and a buffer with
 * the rest of the one event it is sending; when it has sent all it may,
 * its connection is suspended until the next batch.  A viewer more than
 * LAG_MAX events behind (besides the backlog it asked for when it came:
 * Last-Event-ID, ?last=N) skips to the latest (the skipped ones are
 * counted in /metrics and named in an SSE comment); a viewer that
 * reconnects with Last-Event-ID gets what the ring still holds after it.
 * So a slow or stuck viewer costs at most one event's copy and never
 * holds the pipeline: writes are non-blocking and nothing waits for them.
 *
 * Wake-ups: a batch wakes the viewers at once when the last wake-up was
 * WAKE_MS or more ago, and its event is in any case sent before the
 * engine's loop may wait for input (serve_fds makes its poll not sleep
 * while an event is held; serve_ready is told whether the sources had
 * input at hand): a live stream gets each batch as it ends, however
 * close together its batches end.  Only while input keeps pouring in (a
 * file or a backlog being read, thousands of batches a second) do the
 * events of the batches ending within WAKE_MS of a wake-up wait for the
 * next one, so such a burst costs each viewer about 100 writes a second
 * (plus one each time the input runs dry), not one a batch.  No timer
 * holds an event while the loop sleeps.
 *
 * Limits: requests are read within CONN_MEMORY bytes (longer headers get
 * 431 or 413 from libmicrohttpd and the connection is closed); at most
 * CONN_MAX connections (more wait in the kernel's backlog or are
 * refused); a connection idle CONN_IDLE seconds is closed, viewers
 * excepted (they get a comment every PING_MS so a dead one is noticed).
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "../dstream.h"
#include "../expr/expr.h"
#include "../sinks/format.h"
#include "../sinks/sink.h"
#include "route.h"
#include "serve.h"
#include "serve_int.h"

#define RING_EVENTS	600		/* events held for resumption */
#define RING_BYTES	(32u << 20)	/* ... and about this much text */
#define LAG_MAX		64		/* a viewer further behind skips */
#define ROWS_MAX	10000		/* rows of a batch kept for viewers */
#define CONN_MAX	4000
#define CONN_MEMORY	(32 * 1024)
#define CONN_IDLE	60		/* seconds */
#define PING_MS		15000
#define WAKE_MS		10		/* viewers woken at most this often */
#define CLOSE_MS	1000		/* at the end, to send what is left */
#define LAST_MAX	RING_EVENTS	/* ?last=N */

/* page.c, generated from page.html and configure's CHARTJS. */
extern const char	 serve_page[];
extern const char	 serve_chartjs_path[];
#define CHARTJS_PATH	serve_chartjs_path

struct event {
	int64_t		 id;		/* the batch end */
	char		*text;		/* "id: ...\ndata: ...\n\n" */
	size_t		 len;
	size_t		 doff, dlen;	/* the JSON in it */
};

struct client {
	struct serve		*sv;
	struct MHD_Connection	*conn;
	uint64_t		 next;		/* the next event's sequence */
	uint64_t		 allow;		/* events it may be behind */
	struct buf		 out;		/* being sent */
	size_t			 off;		/* out[0..off) sent */
	bool			 suspended;
	bool			 kept_up;	/* suspended with all sent */
	bool			 ping;		/* send a keep-alive comment */
	struct client		*prev, *nextc;
};

/* The tap: the sink the chain's tail also hands its rows to. */
struct tap {
	struct sink	 sink;
	struct serve	*sv;
};

struct serve {
	struct MHD_Daemon	*d;
	int			 epfd;
	struct tap		 tap;
	/* The batch in hand, from the tap. */
	struct buf		 rows;		/* JSON rows, comma-separated */
	size_t			 nrows;
	bool			 cut;		/* print had more rows */
	/* The ring: sequences [oldest, head) are held, at seq % RING_EVENTS. */
	struct event		 ring[RING_EVENTS];
	uint64_t		 oldest, head;
	size_t			 ring_bytes;
	int64_t			 prev_end;	/* the batch before, or INT64_MIN */
	struct counters		 last;		/* totals at the previous batch */
	int64_t			 ping_at;	/* wall clock of the next ping */
	int64_t			 run_at;	/* when libmicrohttpd must run */
	bool			 woken;		/* viewers woken: run it soon */
	bool			 pending;	/* events held (input pours in) */
	int64_t			 wake_at;	/* held events wait for this,
						 * unless the input runs dry */
	uint64_t		 rss;		/* bytes, read at most once a second */
	int64_t			 rss_at;
	struct buf		 page;
	char			*chartjs;
	size_t			 chartjs_len;
	struct metrics		 m;
	struct client		*clients;
	bool			 closing;
};

/* ---- the tap ---- */

static int
tap_begin(struct sink *s, int64_t end_ms)
{
	struct serve	*sv = ((struct tap *)s)->sv;

	buf_reset(&sv->rows);
	sv->nrows = 0;
	sv->cut = false;
	return 0;
}

static int
tap_row(struct sink *s, const struct value *v, int64_t end_ms)
{
	struct serve	*sv = ((struct tap *)s)->sv;

	if (++sv->nrows > ROWS_MAX)
		return 0;
	if (sv->nrows > 1)
		buf_addc(&sv->rows, ',');
	format_json(&sv->rows, v, end_ms);
	return 0;
}

static int
tap_commit(struct sink *s, int64_t end_ms)
{
	((struct tap *)s)->sv->cut = s->cut;
	s->cut = false;
	return 0;
}

static int
tap_nothing(struct sink *s)
{
	return 0;
}

static int
tap_save(struct sink *s, struct buf *b)
{
	return 0;
}

static int
tap_load(struct sink *s, struct snap_rd *r)
{
	return 0;
}

static void
tap_close(struct sink *s)
{
	/* The server owns the tap. */
}

static const struct sink_kind sink_tap = {
	.name = "dashboard",
	.begin = tap_begin,
	.row = tap_row,
	.commit = tap_commit,
	.flush_ended = tap_nothing,
	.save = tap_save,
	.load = tap_load,
	.close = tap_close
};

struct sink *
serve_tap(struct serve *sv)
{
	return &sv->tap.sink;
}

/* ---- events and viewers ---- */

/* Drops the oldest event held. */
static void
serve_evict(struct serve *sv)
{
	struct event	*ev = &sv->ring[sv->oldest % RING_EVENTS];

	sv->ring_bytes -= ev->len;
	free(ev->text);
	ev->text = NULL;
	sv->oldest++;
}

/*
 * Fills C's buffer with its next event, or a keep-alive comment when
 * asked.  Returns whether it has something to send.
 */
static bool
client_fill(struct client *c)
{
	struct serve	*sv = c->sv;
	struct event	*ev;
	uint64_t	 skip = 0;

	buf_reset(&c->out);
	c->off = 0;
	if (c->next < sv->oldest) {
		skip = sv->oldest - c->next;
		c->next = sv->oldest;
	}
	/* A viewer that had sent all it had keeps up: it may have all the
	 * events that came since, however many batches a burst ended (the
	 * ring bounds them); LAG_MAX counts for a viewer still sending. */
	if (c->kept_up) {
		c->kept_up = false;
		if (sv->head - c->next > c->allow)
			c->allow = sv->head - c->next;
	}
	if (sv->head - c->next > c->allow) {
		skip += sv->head - 1 - c->next;
		c->next = sv->head - 1;
	}
	/* What it asked for when it came is its due; as it catches up,
	 * the bound comes down to LAG_MAX. */
	if (sv->head - c->next < c->allow)
		c->allow = sv->head - c->next > LAG_MAX ?
		    sv->head - c->next : LAG_MAX;
	if (skip > 0) {
		sv->m.dropped += skip;
		buf_printf(&c->out, ": %llu events skipped: this viewer was "
		    "too far behind\n\n", (unsigned long long)skip);
	}
	if (c->next < sv->head) {
		ev = &sv->ring[c->next % RING_EVENTS];
		buf_add(&c->out, ev->text, ev->len);
		c->next++;
		c->ping = false;
	} else if (c->ping) {
		buf_adds(&c->out, ": keep-alive\n\n");
		c->ping = false;
	}
	return c->out.len > 0;
}

/*
 * libmicrohttpd asks for more of C's event stream: as many events as fit
 * in MAX bytes, so that a burst of batches (a file being read) goes out
 * in few writes.
 */
static ssize_t
client_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct client	*c = cls;
	size_t		 n, done = 0;

	while (done < max) {
		if (c->off == c->out.len && !client_fill(c))
			break;
		n = c->out.len - c->off;
		if (n > max - done)
			n = max - done;
		memcpy(buf + done, c->out.p + c->off, n);
		c->off += n;
		done += n;
	}
	if (done > 0)
		return (ssize_t)done;
	if (c->sv->closing)
		return MHD_CONTENT_READER_END_OF_STREAM;
	MHD_suspend_connection(c->conn);
	c->suspended = true;
	c->kept_up = true;
	return 0;
}

/* The viewer's response is gone (it left, or the server stops). */
static void
client_free(void *cls)
{
	struct client	*c = cls;
	struct serve	*sv = c->sv;

	if (c->prev != NULL)
		c->prev->nextc = c->nextc;
	else
		sv->clients = c->nextc;
	if (c->nextc != NULL)
		c->nextc->prev = c->prev;
	sv->m.viewers--;
	buf_free(&c->out);
	free(c);
}

/* Wakes every suspended viewer (PING: and asks each for a comment). */
static void
serve_wake(struct serve *sv, bool ping)
{
	struct client	*c;

	for (c = sv->clients; c != NULL; c = c->nextc) {
		if (ping)
			c->ping = true;
		if (c->suspended) {
			c->suspended = false;
			MHD_resume_connection(c->conn);
		}
	}
}

/*
 * The sequence a new viewer starts at: after the event LAST_ID
 * (Last-Event-ID, when HAVE_ID), LAST events back (?last=N), or at the
 * latest event.
 */
static uint64_t
serve_start(struct serve *sv, bool have_id, int64_t last_id, unsigned last)
{
	uint64_t	 s;

	if (have_id) {
		for (s = sv->oldest; s < sv->head; s++)
			if (sv->ring[s % RING_EVENTS].id > last_id)
				break;
		return s;
	}
	if (last > 0)
		return sv->head - sv->oldest > last ? sv->head - last :
		    sv->oldest;
	return sv->head > sv->oldest ? sv->head - 1 : sv->head;
}

/* ---- requests ---- */

/* Queues a response of LEN bytes at P (copied unless STATIC_). */
static enum MHD_Result
serve_reply(struct MHD_Connection *conn, unsigned status, const char *type,
    const void *p, size_t len, bool static_)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)p,
	    static_ ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
serve_text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return serve_reply(conn, status, "text/plain; charset=utf-8", msg,
	    strlen(msg), true);
}

/* /events: a new viewer. */
static enum MHD_Result
serve_events(struct serve *sv, struct MHD_Connection *conn)
{
	struct MHD_Response	*r;
	struct client		*c;
	const char		*h, *q;
	int64_t			 id = 0;
	unsigned		 last = 0;
	bool			 have_id = false;
	enum MHD_Result		 ret;

	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_LAST_EVENT_ID);
	if (h != NULL && *h != '\0') {
		if (!route_event_id(h, &id))
			return serve_text(conn, MHD_HTTP_BAD_REQUEST,
			    "Last-Event-ID: not a batch end (epoch ms)\n");
		have_id = true;
	}
	/* ?after=ID: as Last-Event-ID, for clients that cannot set it. */
	q = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "after");
	if (q != NULL && !have_id) {
		if (!route_event_id(q, &id))
			return serve_text(conn, MHD_HTTP_BAD_REQUEST,
			    "after: not a batch end (epoch ms)\n");
		have_id = true;
	}
	q = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "last");
	if (q != NULL && !route_count(q, LAST_MAX, &last))
		return serve_text(conn, MHD_HTTP_BAD_REQUEST,
		    "last: expected a count of batches, 0 to 600\n");
	c = xcalloc(1, sizeof *c);
	c->sv = sv;
	c->conn = conn;
	c->next = serve_start(sv, have_id, id, last);
	c->allow = sv->head - c->next > LAG_MAX ? sv->head - c->next : LAG_MAX;
	buf_adds(&c->out, "retry: 2000\n\n");
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
	    client_read, c, client_free);
	if (r == NULL) {
		buf_free(&c->out);
		free(c);
		return MHD_NO;
	}
	c->nextc = sv->clients;
	if (sv->clients != NULL)
		sv->clients->prev = c;
	sv->clients = c;
	sv->m.viewers++;
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* libmicrohttpd's request handler: called once the headers are read. */
static enum MHD_Result
serve_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct serve	*sv = cls;
	struct buf	 b = BUF_INIT;
	struct event	*ev;
	enum MHD_Result	 ret;
	static const char empty[] = "{\"end\":null,\"rows\":[],\"nrows\":0}\n";

	sv->m.requests++;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return serve_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "only GET is served here\n");
	switch (route_find(url)) {
	case ROUTE_PAGE:
		return serve_reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8",
		    sv->page.p, sv->page.len, true);
	case ROUTE_CHARTJS:
		return serve_reply(conn, MHD_HTTP_OK,
		    "text/javascript; charset=utf-8", sv->chartjs,
		    sv->chartjs_len, true);
	case ROUTE_EVENTS:
		return serve_events(sv, conn);
	case ROUTE_LATEST:
		if (sv->head == sv->oldest)
			return serve_reply(conn, MHD_HTTP_OK,
			    "application/json", empty, sizeof empty - 1, true);
		ev = &sv->ring[(sv->head - 1) % RING_EVENTS];
		buf_add(&b, ev->text + ev->doff, ev->dlen);
		buf_addc(&b, '\n');
		break;
	case ROUTE_METRICS:
		sv->m.now = clock_now_ms();
		metrics_seen(&sv->m, sv->m.now);
		metrics_text(&sv->m, &b);
		ret = serve_reply(conn, MHD_HTTP_OK,
		    "text/plain; version=0.0.4; charset=utf-8", b.p, b.len,
		    false);
		buf_free(&b);
		return ret;
	default:
		return serve_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	}
	ret = serve_reply(conn, MHD_HTTP_OK, "application/json", b.p, b.len,
	    false);
	buf_free(&b);
	return ret;
}

/* ---- the batch ---- */

/*
 * Wakes the viewers for the events pending if the last wake-up was
 * WAKE_MS or more before NOW, or at once unless MORE (the sources have
 * more input at hand: the loop will not wait).
 */
static void
serve_due(struct serve *sv, int64_t now, bool more)
{
	if (!sv->pending || (more && now < sv->wake_at))
		return;
	sv->pending = false;
	sv->wake_at = now + WAKE_MS;
	serve_wake(sv, false);
	sv->woken = true;
}

/* Appends the decimal I to B. */
static void
serve_int(struct buf *b, int64_t i)
{
	char		 d[24], *p = d + sizeof d;
	uint64_t	 u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (i < 0)
		*--p = '-';
	buf_add(b, p, (size_t)(d + sizeof d - p));
}

/* Appends ",\"NAME\":" and the decimal I to B. */
static void
serve_field(struct buf *b, const char *name, int64_t i)
{
	buf_adds(b, ",\"");
	buf_adds(b, name);
	buf_adds(b, "\":");
	serve_int(b, i);
}

void
serve_batch(struct serve *sv, int64_t end_ms, int64_t cpu_ms, size_t keys)
{
	struct buf	 b = BUF_INIT;
	struct counters	 t;
	struct event	*ev;
	size_t		 doff;
	int64_t		 now = clock_now_ms();

	metrics_totals(&sv->m, &t);
	metrics_observe(&sv->m, (double)cpu_ms / 1000);
	/* /proc is read once a second at most: batches of a file being
	 * read end thousands of times a second. */
	if (now - sv->rss_at >= 1000) {
		sv->rss = metrics_rss();
		sv->rss_at = now;
	}
	sv->m.keys = keys;
	sv->m.last_end = end_ms;
	sv->m.lag_ms = now - end_ms;
	/* Laid out by hand: printf's cost shows when a file is read. */
	buf_adds(&b, "id: ");
	serve_int(&b, end_ms);
	buf_adds(&b, "\ndata: ");
	doff = b.len;
	buf_adds(&b, "{\"end\":");
	serve_int(&b, end_ms);
	buf_adds(&b, ",\"time\":\"");
	time_fmt_rfc3339(&b, end_ms);
	buf_adds(&b, "\",\"prev\":");
	if (sv->prev_end == INT64_MIN)
		buf_adds(&b, "null");
	else
		serve_int(&b, sv->prev_end);
	serve_field(&b, "nrows", (int64_t)sv->nrows);
	buf_adds(&b, sv->nrows > ROWS_MAX || sv->cut ? ",\"cut\":true" :
	    ",\"cut\":false");
	serve_field(&b, "in", (int64_t)(t.records_in - sv->last.records_in));
	serve_field(&b, "out", (int64_t)(t.records_out - sv->last.records_out));
	serve_field(&b, "late", (int64_t)(t.late - sv->last.late));
	serve_field(&b, "skipped", (int64_t)(t.skipped - sv->last.skipped));
	serve_field(&b, "long", (int64_t)(t.long_lines - sv->last.long_lines));
	serve_field(&b, "ms", cpu_ms);
	serve_field(&b, "keys", (int64_t)keys);
	serve_field(&b, "lag_ms", now - end_ms);
	serve_field(&b, "rss_kb", (int64_t)(sv->rss / 1024));
	buf_adds(&b, ",\"rows\":[");
	buf_add(&b, sv->rows.p, sv->rows.len);
	buf_adds(&b, "]}");
	sv->last = t;
	sv->prev_end = end_ms;
	buf_reset(&sv->rows);
	sv->nrows = 0;
	sv->cut = false;

	if (sv->head - sv->oldest == RING_EVENTS)
		serve_evict(sv);
	while (sv->head > sv->oldest && sv->ring_bytes + b.len > RING_BYTES)
		serve_evict(sv);
	ev = &sv->ring[sv->head % RING_EVENTS];
	ev->id = end_ms;
	ev->doff = doff;
	ev->dlen = b.len - doff;
	buf_adds(&b, "\n\n");
	ev->len = b.len;
	ev->text = buf_detach(&b);
	sv->ring_bytes += ev->len;
	sv->head++;
	/* The viewers are woken now (or before the loop may wait, or at
	 * wake_at: see the top) and served by serve_ready: batches ending
	 * together go out together. */
	if (sv->clients != NULL) {
		sv->pending = true;
		serve_due(sv, now, true);
	}
	sv->ping_at = now + PING_MS;
}

/* ---- the loop ---- */

int
serve_fds(struct serve *sv, struct pollfd *pfd, int max, int *timeout)
{
	MHD_UNSIGNED_LONG_LONG	 t;
	int64_t			 ping;

	if (max < 1)
		return 0;
	pfd[0].fd = sv->epfd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	sv->run_at = sv->woken ? 0 : INT64_MAX;
	/* Events held: the poll only looks whether input is at hand (when
	 * none is, serve_ready sends them). */
	if (sv->woken || sv->pending)
		*timeout = 0;
	if (MHD_get_timeout(sv->d, &t) == MHD_YES && t < INT32_MAX) {
		sv->run_at = clock_now_ms() + (int64_t)t;
		if (*timeout < 0 || (int)t < *timeout)
			*timeout = (int)t;
	}
	if (sv->clients != NULL) {
		ping = sv->ping_at - clock_now_ms();
		if (ping < 0)
			ping = 0;
		if (*timeout < 0 || ping < *timeout)
			*timeout = (int)ping;
	}
	return 1;
}

void
serve_ready(struct serve *sv, const struct pollfd *pfd, int n, bool more)
{
	int64_t		 now = clock_now_ms();
	bool		 due;

	/* Which inputs delivered in this turn: a test per input. */
	metrics_seen(&sv->m, now);
	serve_due(sv, now, more);
	due = now >= sv->run_at || sv->woken;
	if (sv->clients != NULL && now >= sv->ping_at) {
		serve_wake(sv, true);
		sv->ping_at = now + PING_MS;
		due = true;
	}
	/* Reading a file, the loop turns for every chunk: the server runs
	 * only when its descriptor or its timer says so. */
	if (due || (n > 0 && pfd[0].revents != 0)) {
		sv->woken = false;
		MHD_run(sv->d);
	}
}

/* ---- start and stop ---- */

/*
 * Splits ADDR ("[HOST:]PORT", "[V6]:PORT") into HOST (127.0.0.1 when
 * left out) and PORT.  Returns 0, or -1 with *CAUSE set.
 */
static int
serve_addr(const char *addr, char **host, char **port, char **cause)
{
	const char	*colon, *p;
	char		*end;
	long		 n;

	if ((colon = strrchr(addr, ':')) == NULL) {
		*host = xstrdup("127.0.0.1");
		p = addr;
	} else if (colon == addr) {
		*host = xstrdup("127.0.0.1");
		p = colon + 1;
	} else if (addr[0] == '[' && colon[-1] == ']') {
		*host = xstrndup(addr + 1, (size_t)(colon - addr - 2));
		p = colon + 1;
	} else {
		*host = xstrndup(addr, (size_t)(colon - addr));
		p = colon + 1;
	}
	errno = 0;
	n = strtol(p, &end, 10);
	if (*p == '\0' || *end != '\0' || errno != 0 || n < 0 || n > 65535 ||
	    **host == '\0') {
		xasprintf(cause, "--serve %s: expected [HOST:]PORT, a port "
		    "from 0 to 65535", addr);
		free(*host);
		return -1;
	}
	*port = xstrdup(p);
	return 0;
}

/* Opens the listening socket for ADDR.  Returns it, or -1 with *CAUSE set. */
static int
serve_listen(const char *addr, int *family, char **cause)
{
	struct addrinfo	 hints, *res, *ai;
	char		*host, *port;
	int		 fd = -1, on = 1, rc, err = 0;

	if (serve_addr(addr, &host, &port, cause) != 0)
		return -1;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		xasprintf(cause, "--serve %s: %s", addr, gai_strerror(rc));
		free(host);
		free(port);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd == -1) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 1024) == 0) {
			*family = ai->ai_family;
			break;
		}
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		xasprintf(cause, "--serve %s: cannot listen: %s", addr,
		    strerror(err));
	free(host);
	free(port);
	return fd;
}

/* Reads Chart.js into memory.  Returns 0, or -1 with *CAUSE set. */
static int
serve_chartjs(struct serve *sv, char **cause)
{
	struct buf	 b = BUF_INIT;
	char		 chunk[65536];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(CHARTJS_PATH, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "--serve: the chart library %s: %s (install "
		    "the Debian package libjs-chart.js)", CHARTJS_PATH,
		    strerror(errno));
		return -1;
	}
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	if (n < 0 || b.len == 0) {
		xasprintf(cause, "--serve: the chart library %s: %s",
		    CHARTJS_PATH, n < 0 ? strerror(errno) : "empty");
		buf_free(&b);
		return -1;
	}
	sv->chartjs_len = b.len;
	sv->chartjs = buf_detach(&b);
	return 0;
}

/* The page, with the command line CMD (HTML-escaped) in its place. */
static void
serve_page_fill(struct serve *sv, const char *cmd)
{
	static const char	 mark[] = "@@CMDLINE@@";
	const char		*at = strstr(serve_page, mark), *p;

	if (at == NULL) {
		buf_adds(&sv->page, serve_page);
		return;
	}
	buf_add(&sv->page, serve_page, (size_t)(at - serve_page));
	for (p = cmd; *p != '\0'; p++)
		switch (*p) {
		case '<':
			buf_adds(&sv->page, "&lt;");
			break;
		case '>':
			buf_adds(&sv->page, "&gt;");
			break;
		case '&':
			buf_adds(&sv->page, "&amp;");
			break;
		case '"':
			buf_adds(&sv->page, "&quot;");
			break;
		default:
			buf_addc(&sv->page, *p);
		}
	buf_adds(&sv->page, at + sizeof mark - 1);
}

/*
 * Raises the limit of open descriptors as far as allowed, for many
 * viewers.  Returns the connections the server may take.
 */
static unsigned
serve_fd_room(void)
{
	struct rlimit	 rl;
	rlim_t		 want = CONN_MAX + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 256;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < 384)
		return rl.rlim_cur > 160 ? (unsigned)rl.rlim_cur - 128 : 32;
	return rl.rlim_cur - 256 < CONN_MAX ? (unsigned)rl.rlim_cur - 256 :
	    CONN_MAX;
}

/* Says on stderr where the listening socket FD listens. */
static void
serve_say(int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof ss;
	char			 host[NI_MAXHOST], port[NI_MAXSERV];
	bool			 v6;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, port,
	    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return;
	v6 = ss.ss_family == AF_INET6;
	fprintf(stderr, "%s: dashboard at http://%s%s%s:%s/\n", progname,
	    v6 ? "[" : "", host, v6 ? "]" : "", port);
}

struct serve *
serve_open(const char *addr, const char *cmdline, const struct counters *run,
    char **cause)
{
	struct serve		*sv;
	const union MHD_DaemonInfo *di;
	unsigned		 flags;
	int			 lfd, family = AF_INET;

	if ((lfd = serve_listen(addr, &family, cause)) == -1)
		return NULL;
	sv = xcalloc(1, sizeof *sv);
	sv->prev_end = INT64_MIN;
	sv->m.run = run;
	sv->tap.sink.kind = &sink_tap;
	sv->tap.sink.format = FMT_JSON;
	sv->tap.sv = sv;
	if (serve_chartjs(sv, cause) != 0) {
		close(lfd);
		free(sv);
		return NULL;
	}
	serve_page_fill(sv, cmdline);
	flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	sv->d = MHD_start_daemon(flags, 0, NULL, NULL, serve_request, sv,
	    MHD_OPTION_LISTEN_SOCKET, lfd,
	    MHD_OPTION_CONNECTION_LIMIT, serve_fd_room(),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_IDLE,
	    MHD_OPTION_STRICT_FOR_CLIENT, 1,
	    MHD_OPTION_END);
	if (sv->d == NULL || (di = MHD_get_daemon_info(sv->d,
	    MHD_DAEMON_INFO_EPOLL_FD)) == NULL) {
		xasprintf(cause, "--serve %s: the HTTP server did not start",
		    addr);
		if (sv->d != NULL)
			MHD_stop_daemon(sv->d);
		close(lfd);
		buf_free(&sv->page);
		free(sv->chartjs);
		free(sv);
		return NULL;
	}
	sv->epfd = di->epoll_fd;
	serve_say(lfd);
	return sv;
}

void
serve_input(struct serve *sv, const char *name, const struct counters *c,
    const int64_t *newest_ms)
{
	struct metrics		*m = &sv->m;
	struct metrics_input	*in;

	m->inputs = xreallocarray(m->inputs, (size_t)m->ninputs + 1,
	    sizeof *m->inputs);
	in = &m->inputs[m->ninputs++];
	memset(in, 0, sizeof *in);
	in->name = name;
	in->c = c;
	in->newest = newest_ms;
	in->seen_in = c->records_in;
	in->seen_at = clock_now_ms();
}

/*
 * Whether libmicrohttpd has work to do at once: a connection it has more
 * to write on that its socket can take (in epoll mode such a connection
 * gets no new event from the kernel: it must be run again, not waited
 * for).
 */
static bool
serve_busy(struct serve *sv)
{
	MHD_UNSIGNED_LONG_LONG	 t;

	return MHD_get_timeout(sv->d, &t) == MHD_YES && t == 0;
}

void
serve_close(struct serve *sv)
{
	struct pollfd	 pfd;
	int64_t		 until, now;

	if (sv == NULL)
		return;
	/* The viewers get the events they have not had yet and the end of
	 * their streams, for at most CLOSE_MS (one that does not read is
	 * not waited for longer).  Each turn runs the server at once while
	 * it has writes it can make (a stream's last events, then its
	 * closing chunk: a run makes one step of each), and waits on its
	 * descriptor only for a viewer whose socket is full. */
	sv->closing = true;
	serve_wake(sv, false);
	MHD_run(sv->d);
	until = clock_now_ms() + CLOSE_MS;
	while ((sv->clients != NULL || serve_busy(sv)) &&
	    (now = clock_now_ms()) < until) {
		pfd.fd = sv->epfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, serve_busy(sv) ? 0 : (int)(until - now)) <
		    0 && errno != EINTR)
			break;
		MHD_run(sv->d);
	}
	MHD_stop_daemon(sv->d);
	while (sv->head > sv->oldest)
		serve_evict(sv);
	buf_free(&sv->rows);
	buf_free(&sv->page);
	free(sv->chartjs);
	free(sv->m.inputs);
	free(sv);
}
