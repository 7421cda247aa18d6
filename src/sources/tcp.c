/*
 * tcp.c - tcp://HOST:PORT and unix://PATH: dstream as a stream-socket
 * client, like Spark's socketTextStream.
 *
 * Both kinds share one state machine: IDLE (waiting to try again),
 * CONNECTING (a non-blocking connect in flight) and CONNECTED (reading).
 * A refused, failed or dropped connection is retried with a backoff of
 * 100 ms doubling up to 5 s, for as long as the run lasts: the input is
 * live and never ends by itself.  Each outage prints one message on
 * stderr when it starts ("...: connection refused; retrying") and one
 * when it ends ("...: reconnected"), never one per attempt.  A host name
 * that does not resolve is an outage like a refused connection: it is
 * looked up again at every attempt until it resolves (the lookup is
 * synchronous, once per backoff step).
 *
 * For the man page: when the connection drops in the middle of a line,
 * the bytes received of that line are delivered as a record of their
 * own; the rest, if the server sends it again after reconnecting, comes
 * as another record.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dstream.h"
#include "sock.h"
#include "source.h"

#define TCP_BACKOFF_MIN		100	/* ms */
#define TCP_BACKOFF_MAX		5000	/* ms */
#define TCP_CONNECT_TIMEOUT	10000	/* ms */
#define TCP_STABLE		1000	/* ms up before the backoff resets */
#define TCP_READ_MAX		(1024 * 1024)	/* bytes per ready() */

enum tcp_state {
	TCP_IDLE,
	TCP_CONNECTING,
	TCP_CONNECTED
};

struct tcp {
	char			*spec;		/* HOST:PORT, until it resolves */
	struct sock_addr	*addrs;
	int			 naddrs;	/* 0: not resolved yet */
	int			 next;		/* address to try next */
	enum tcp_state		 state;
	int			 fd;
	int64_t			 at_ms;		/* retry (IDLE), give up (CONNECTING) */
	int64_t			 up_ms;		/* when the connection was made */
	int			 backoff;	/* ms */
	bool			 ever;		/* connected at least once */
	bool			 outage;	/* an outage message is out */
	bool			 got_data;	/* the connection delivered bytes */
	struct framer		 fr;
	char			 peer[128];	/* meta.peer: the address
						 * connected to */
};

static void	tcp_attempt(struct source *);
static void	tcp_fail(struct source *, int, const char *);

static void
tcp_wake_at(int *timeout_ms, int64_t at_ms)
{
	int64_t	 d = at_ms - clock_now_ms();

	if (d < 0)
		d = 0;
	if (*timeout_ms < 0 || d < *timeout_ms)
		*timeout_ms = (int)d;
}

/*
 * Opens the client: checks and resolves the address now (a bad address
 * or port is an error at start; a name that does not resolve yet is the
 * first outage) and makes the first connection attempt.  UNIX selects a
 * Unix socket path instead of HOST:PORT.
 */
static int
tcp_open_common(struct source *src, const char *spec, bool unix_path,
    char **cause)
{
	struct tcp	*t;

	t = xcalloc(1, sizeof *t);
	t->fd = -1;
	t->backoff = TCP_BACKOFF_MIN;
	if (unix_path) {
		t->addrs = xcalloc(1, sizeof *t->addrs);
		if (sock_unix(spec, t->addrs, cause) != 0)
			goto fail;
		t->naddrs = 1;
	} else {
		t->naddrs = sock_resolve(src->name, spec, SOCK_STREAM,
		    &t->addrs, cause);
		if (t->naddrs == -1)
			goto fail;
		if (t->naddrs == -2) {
			/* Not now: tcp_attempt looks it up again. */
			free(*cause);
			*cause = NULL;
			t->naddrs = 0;
			t->spec = xstrdup(spec);
		}
	}
	framer_init(&t->fr, src->cfg->max_line, &src->intake->pool);
	src->priv = t;
	src->finite = false;
	src->regular = false;
	tcp_attempt(src);
	return 0;

fail:
	free(t->addrs);
	free(t);
	return -1;
}

static int
tcp_open(struct source *src, const char *spec, char **cause)
{
	return tcp_open_common(src, spec, false, cause);
}

static int
unix_open(struct source *src, const char *spec, char **cause)
{
	return tcp_open_common(src, spec, true, cause);
}

/*
 * The attempt or the connection failed with ERR (0: closed by the peer),
 * or the lookup failed with the message WHY (ERR unused).  Closes the
 * socket and schedules the next attempt: at once on the next address if
 * one is left in this round, else after the backoff.  Prints the outage
 * message if this outage has none yet.
 */
static void
tcp_fail(struct source *src, int err, const char *why)
{
	struct tcp	*t = src->priv;
	char		 ebuf[128];
	int64_t		 now = clock_now_ms();
	bool		 was_up = t->state == TCP_CONNECTED;

	if (t->fd != -1)
		close(t->fd);
	t->fd = -1;
	t->state = TCP_IDLE;
	if (!t->outage) {
		if (why != NULL)
			fprintf(stderr, "%s: %s; retrying\n", progname, why);
		else if (err == 0)
			fprintf(stderr, "%s: %s: connection closed by peer; "
			    "reconnecting\n", progname, src->name);
		else
			fprintf(stderr, "%s: %s: %s; retrying\n", progname,
			    src->name, sock_strerror(err, ebuf, sizeof ebuf));
		t->outage = true;
	}
	if (was_up && (t->got_data || now - t->up_ms >= TCP_STABLE)) {
		/* A connection that worked: try again at once. */
		t->backoff = TCP_BACKOFF_MIN;
		t->next = 0;
		t->at_ms = now;
		return;
	}
	if (++t->next < t->naddrs) {
		t->at_ms = now;
		return;
	}
	t->next = 0;
	t->at_ms = now + t->backoff;
	t->backoff *= 2;
	if (t->backoff > TCP_BACKOFF_MAX)
		t->backoff = TCP_BACKOFF_MAX;
}

static void
tcp_connected(struct source *src)
{
	struct tcp	*t = src->priv;

	t->state = TCP_CONNECTED;
	t->up_ms = clock_now_ms();
	sock_addr_fmt(&t->addrs[t->next], t->peer, sizeof t->peer);
	src->meta.peer = t->peer;
	t->got_data = false;
	if (t->outage)
		fprintf(stderr, "%s: %s: %s\n", progname, src->name,
		    t->ever ? "reconnected" : "connected");
	t->outage = false;
	t->ever = true;
}

/*
 * Looks the address up again after a failed lookup.  Returns true once
 * it resolves; false after scheduling the next try as an outage.
 */
static bool
tcp_lookup(struct source *src)
{
	struct tcp	*t = src->priv;
	char		*cause = NULL;
	int		 n;

	n = sock_resolve(src->name, t->spec, SOCK_STREAM, &t->addrs, &cause);
	if (n > 0) {
		t->naddrs = n;
		t->next = 0;
		free(t->spec);
		t->spec = NULL;
		return true;
	}
	tcp_fail(src, 0, cause);
	free(cause);
	return false;
}

/* Starts a non-blocking connect to the next address. */
static void
tcp_attempt(struct source *src)
{
	struct tcp		*t = src->priv;
	const struct sock_addr	*sa;

	if (t->naddrs == 0 && !tcp_lookup(src))
		return;
	sa = &t->addrs[t->next];
	t->fd = socket(sa->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (t->fd == -1) {
		tcp_fail(src, errno, NULL);
		return;
	}
	if (connect(t->fd, (const struct sockaddr *)&sa->ss, sa->len) == 0) {
		tcp_connected(src);
		return;
	}
	if (errno == EINPROGRESS || errno == EINTR) {
		t->state = TCP_CONNECTING;
		t->at_ms = clock_now_ms() + TCP_CONNECT_TIMEOUT;
		return;
	}
	tcp_fail(src, errno, NULL);
}

static int
tcp_fds(struct source *src, struct pollfd *pfd, int max, int *timeout_ms)
{
	struct tcp	*t = src->priv;

	switch (t->state) {
	case TCP_IDLE:
		tcp_wake_at(timeout_ms, t->at_ms);
		return 0;
	case TCP_CONNECTING:
		if (max < 1)
			return 0;
		tcp_wake_at(timeout_ms, t->at_ms);
		pfd[0].fd = t->fd;
		pfd[0].events = POLLOUT;
		pfd[0].revents = 0;
		return 1;
	case TCP_CONNECTED:
		/* Not while --max-buffered holds it back (backpressure). */
		if (max < 1 || !framer_may_read(&t->fr))
			return 0;
		pfd[0].fd = t->fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		return 1;
	}
	return 0;
}

/* Reads up to TCP_READ_MAX bytes; handles end of stream and errors. */
static void
tcp_read(struct source *src)
{
	struct tcp	*t = src->priv;
	size_t		 total = 0;
	ssize_t		 n;

	while (total < TCP_READ_MAX) {
		n = framer_read(&t->fr, src, t->fd);
		if (n > 0) {
			total += n;
			t->got_data = true;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1 && errno == EINTR)
			continue;
		/* End of stream: a line cut short is a record of its own. */
		framer_finish(&t->fr, src);
		tcp_fail(src, n == 0 ? 0 : errno, NULL);
		return;
	}
}

static int
tcp_ready(struct source *src, struct pollfd *pfd, int n)
{
	struct tcp	*t = src->priv;
	socklen_t	 len;
	int		 err;

	switch (t->state) {
	case TCP_IDLE:
		if (clock_now_ms() >= t->at_ms)
			tcp_attempt(src);
		break;
	case TCP_CONNECTING:
		if (n < 1 || pfd[0].fd != t->fd || pfd[0].revents == 0) {
			if (clock_now_ms() >= t->at_ms)
				tcp_fail(src, ETIMEDOUT, NULL);
			break;
		}
		err = 0;
		len = sizeof err;
		if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0)
			tcp_fail(src, err, NULL);
		else
			tcp_connected(src);
		break;
	case TCP_CONNECTED:
		if (n >= 1 && pfd[0].fd == t->fd && pfd[0].revents != 0)
			tcp_read(src);
		break;
	}
	return SRC_LIVE;
}

/*
 * A signal stops the run: a line the server left unfinished is a record
 * of its own, as when the connection ends.
 */
static void
tcp_stop(struct source *src)
{
	struct tcp	*t = src->priv;

	if (t != NULL && t->fd != -1)
		framer_finish(&t->fr, src);
}

static void
tcp_close(struct source *src)
{
	struct tcp	*t = src->priv;

	if (t == NULL)
		return;
	if (t->fd != -1)
		close(t->fd);
	framer_free(&t->fr);
	free(t->addrs);
	free(t->spec);
	free(t);
	src->priv = NULL;
}

const struct source_kind source_tcp = {
	.scheme = "tcp://",
	.open = tcp_open,
	.fds = tcp_fds,
	.ready = tcp_ready,
	.close = tcp_close,
	.stop = tcp_stop
};

const struct source_kind source_unix = {
	.scheme = "unix://",
	.open = unix_open,
	.fds = tcp_fds,
	.ready = tcp_ready,
	.close = tcp_close,
	.stop = tcp_stop
};
