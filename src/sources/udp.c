/*
 * udp.c - udp://[HOST]:PORT: lines from datagrams, as syslog sends them.
 *
 * The socket is bound to HOST (default 127.0.0.1; "*" for every address)
 * and polled by the engine's loop.  One datagram may hold several lines;
 * each datagram stands alone, so a last line without a newline is a
 * whole record and a line is never joined across datagrams.  The input
 * is live and never ends by itself.  A port of 0 binds a free port and
 * prints it on stderr.
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

#define UDP_DGRAM_MAX	65536		/* largest datagram */
#define UDP_READ_MAX	(1024 * 1024)	/* bytes per ready() */
#define UDP_DGRAMS_MAX	4096		/* datagrams per ready() */
#define UDP_RCVBUF	(4 * 1024 * 1024)

struct udp {
	int		 fd;
	char		*buf;
	struct framer	 fr;
	bool		 warned;	/* a receive error was reported */
	char		 peer[128];	/* meta.peer: the last datagram's sender */
};

static int
udp_open(struct source *src, const char *spec, char **cause)
{
	struct udp		*u;
	struct sock_addr	*addrs = NULL, sa;
	char			 abuf[128], *why = NULL;
	socklen_t		 len;
	int			 i, n, size = UDP_RCVBUF;

	u = xcalloc(1, sizeof *u);
	u->fd = -1;
	n = sock_resolve(src->name, spec, SOCK_DGRAM, &addrs, cause);
	if (n < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		free(why);
		why = NULL;
		if ((u->fd = sock_bind(&addrs[i], SOCK_DGRAM, &why)) != -1)
			break;
	}
	if (u->fd == -1) {
		*cause = why;
		goto fail;
	}
	/* Room for bursts: the kernel caps this at net.core.rmem_max. */
	(void)setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	n = strlen(spec);
	if (n >= 2 && strcmp(spec + n - 2, ":0") == 0) {
		sa = addrs[i];
		len = sizeof sa.ss;
		if (getsockname(u->fd, (struct sockaddr *)&sa.ss, &len) == 0) {
			sa.len = len;
			sock_addr_fmt(&sa, abuf, sizeof abuf);
			fprintf(stderr, "%s: %s: listening on %s\n", progname,
			    src->name, abuf);
		}
	}
	free(addrs);
	u->buf = xmalloc(UDP_DGRAM_MAX);
	framer_init(&u->fr, src->cfg->max_line, NULL);
	src->priv = u;
	src->finite = false;
	src->regular = false;
	return 0;

fail:
	free(addrs);
	if (u->fd != -1)
		close(u->fd);
	free(u);
	return -1;
}

static int
udp_fds(struct source *src, struct pollfd *pfd, int max, int *timeout_ms)
{
	struct udp	*u = src->priv;

	if (max < 1)
		return 0;
	pfd[0].fd = u->fd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	return 1;
}

static int
udp_ready(struct source *src, struct pollfd *pfd, int n)
{
	struct udp	*u = src->priv;
	struct sock_addr from;
	char		 ebuf[128];
	size_t		 total = 0;
	ssize_t		 got;
	int		 i;
	bool		 meta = src->intake->dec.origin;

	if (n < 1 || pfd[0].revents == 0)
		return SRC_LIVE;
	for (i = 0; total < UDP_READ_MAX && i < UDP_DGRAMS_MAX; i++) {
		/* The sender only when an expression reads meta.peer. */
		if (meta) {
			memset(&from, 0, sizeof from);
			from.len = sizeof from.ss;
			got = recvfrom(u->fd, u->buf, UDP_DGRAM_MAX, 0,
			    (struct sockaddr *)&from.ss, &from.len);
			from.family = from.ss.ss_family;
			if (got >= 0) {
				sock_addr_fmt(&from, u->peer, sizeof u->peer);
				src->meta.peer = u->peer;
			}
		} else
			got = recv(u->fd, u->buf, UDP_DGRAM_MAX, 0);
		if (got == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    !u->warned) {
				fprintf(stderr, "%s: %s: %s\n", progname,
				    src->name,
				    sock_strerror(errno, ebuf, sizeof ebuf));
				u->warned = true;
			}
			break;
		}
		total += got;
		if (got > 0)
			framer_feed(&u->fr, src, u->buf, got);
	}
	return SRC_LIVE;
}

static void
udp_close(struct source *src)
{
	struct udp	*u = src->priv;

	if (u == NULL)
		return;
	if (u->fd != -1)
		close(u->fd);
	framer_free(&u->fr);
	free(u->buf);
	free(u);
	src->priv = NULL;
}

const struct source_kind source_udp = {
	.scheme = "udp://",
	.open = udp_open,
	.fds = udp_fds,
	.ready = udp_ready,
	.close = udp_close
};
