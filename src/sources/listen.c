/*
 * listen.c - tcp-listen://[HOST]:PORT and unix-listen://PATH: dstream as
 * a server taking lines from many clients at once.
 *
 * The listening socket and every client are polled by the engine's one
 * loop.  Each client has its own framer, so a client's lines reach the
 * engine whole and never interleave mid-line with another's; a line a
 * client leaves unfinished when it disconnects is delivered as a record
 * of its own, and so is one it holds when a signal stops the run.
 * Clients come and go without ending the input, which is
 * live.  With --max-clients N, a client beyond N is accepted and closed
 * at once, and one message per overflow says so.  Each client reads at
 * most LISTEN_READ_MAX bytes per loop turn so one busy client cannot
 * starve the others.  Past --max-buffered bytes of unfinished lines held
 * for all clients, the clients holding the most are not polled (their
 * senders wait, nothing is lost) until lines end and memory is freed
 * (struct framer_pool in source.h).
 *
 * A port of 0 binds a free port and prints it on stderr ("listening on
 * 127.0.0.1:40123"), which scripts and tests use.  "*" binds every
 * address: the IPv6 wildcard dual-stack (IPv4 clients too), or the IPv4
 * one where IPv6 is not available.
 *
 * A TCP client is named in messages by its address ("tcp-listen://:5140
 * from 10.0.0.7:51234:12: line longer than ..."): while its bytes are
 * framed, the source's name is the client's.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dstream.h"
#include "sock.h"
#include "source.h"

#define LISTEN_READ_MAX		(256 * 1024)	/* bytes per client per ready() */
#define LISTEN_ACCEPT_MAX	64		/* accepts per ready() */
#define LISTEN_PAUSE		100		/* ms off after EMFILE */

struct listen_client {
	int		 fd;
	struct framer	 fr;
	char		*name;		/* "LISTENER from ADDR:PORT", or NULL */
	char		*peer;		/* meta.peer: "ADDR:PORT", a Unix
					 * client's path or "pid:N" */
};

struct listen {
	int			  lfd;
	struct sock_addr	  sa;
	char			 *path;		/* unix-listen: unlinked at close */
	dev_t			  dev;
	ino_t			  ino;

	struct listen_client	**clients;
	int			  n;
	int			  cap;
	int			  rr;		/* first client polled, when not all fit */

	/* What fds() put where, for ready(). */
	int			  lslot;	/* pfd index of the listener, or -1 */
	struct listen_client	**slot;
	int			  nslot;
	int			  capslot;

	int64_t			  paused_until;	/* listener off (EMFILE) */
	bool			  full;		/* an overflow message is out */
	bool			  nofile;	/* an EMFILE message is out */
};

/*
 * Makes the Unix socket path free for bind: a stale socket left by a
 * dead process (nothing accepts on it) is removed; a live one, or a
 * file that is not a socket, is an error.
 */
static int
listen_unix_clear(const struct sock_addr *sa, const char *path, char **cause)
{
	struct stat	 sb;
	int		 fd, saved;

	if (lstat(path, &sb) == -1)
		return 0;
	if (!S_ISSOCK(sb.st_mode)) {
		xasprintf(cause, "%s: exists and is not a socket", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&sa->ss, sa->len) == 0) {
		close(fd);
		xasprintf(cause, "%s: address in use (another server listens)",
		    path);
		return -1;
	}
	saved = errno;
	close(fd);
	if (saved == ECONNREFUSED && unlink(path) == 0)
		return 0;
	xasprintf(cause, "%s: %s", path, strerror(saved));
	return -1;
}

/*
 * Binds and listens.  UNIX_PATH selects unix-listen.  Returns 0, or -1
 * with *CAUSE set.
 */
static int
listen_open_common(struct source *src, const char *spec, bool unix_path,
    char **cause)
{
	struct listen		*l;
	struct sock_addr	*addrs = NULL;
	struct stat		 sb;
	char			 abuf[128];
	char			*why = NULL;
	socklen_t		 len;
	int			 i, n;

	l = xcalloc(1, sizeof *l);
	l->lfd = -1;
	l->lslot = -1;
	if (unix_path) {
		if (sock_unix(spec, &l->sa, cause) != 0)
			goto fail;
		if (listen_unix_clear(&l->sa, spec, cause) != 0)
			goto fail;
		if ((l->lfd = sock_bind(&l->sa, SOCK_STREAM, cause)) == -1)
			goto fail;
		l->path = xstrdup(spec);
		if (stat(spec, &sb) == 0) {
			l->dev = sb.st_dev;
			l->ino = sb.st_ino;
		}
	} else {
		n = sock_resolve(src->name, spec, SOCK_STREAM, &addrs, cause);
		if (n < 0)
			goto fail;
		/* The first address that binds; else the last failure. */
		for (i = 0; i < n; i++) {
			free(why);
			why = NULL;
			l->lfd = sock_bind(&addrs[i], SOCK_STREAM, &why);
			if (l->lfd != -1)
				break;
		}
		if (l->lfd == -1) {
			*cause = why;
			goto fail;
		}
		l->sa = addrs[i];
		len = sizeof l->sa.ss;
		if (getsockname(l->lfd, (struct sockaddr *)&l->sa.ss,
		    &len) == 0)
			l->sa.len = len;
		n = strlen(spec);
		if (n >= 2 && strcmp(spec + n - 2, ":0") == 0) {
			sock_addr_fmt(&l->sa, abuf, sizeof abuf);
			fprintf(stderr, "%s: %s: listening on %s\n", progname,
			    src->name, abuf);
		}
		free(addrs);
	}
	src->priv = l;
	src->finite = false;
	src->regular = false;
	return 0;

fail:
	free(addrs);
	if (l->lfd != -1)
		close(l->lfd);
	free(l);
	return -1;
}

static int
listen_open(struct source *src, const char *spec, char **cause)
{
	return listen_open_common(src, spec, false, cause);
}

static int
listen_unix_open(struct source *src, const char *spec, char **cause)
{
	return listen_open_common(src, spec, true, cause);
}

static int
listen_fds(struct source *src, struct pollfd *pfd, int max, int *timeout_ms)
{
	struct listen	*l = src->priv;
	int		 k = 0, i, j, room;
	int64_t		 d;

	l->lslot = -1;
	l->nslot = 0;
	if (l->paused_until != 0) {
		d = l->paused_until - clock_now_ms();
		if (d < 0)
			d = 0;
		if (*timeout_ms < 0 || d < *timeout_ms)
			*timeout_ms = (int)d;
	} else if (k < max) {
		pfd[k].fd = l->lfd;
		pfd[k].events = POLLIN;
		pfd[k].revents = 0;
		l->lslot = k++;
	}
	if (l->n == 0 || k >= max)
		return k;

	room = max - k;
	if (room > l->n)
		room = l->n;
	if (l->rr >= l->n)
		l->rr = 0;
	if (room > l->capslot) {
		l->capslot = room;
		l->slot = xreallocarray(l->slot, room, sizeof *l->slot);
	}
	/* Clients paused by --max-buffered are left out (backpressure). */
	for (i = 0, j = l->rr; i < l->n && l->nslot < room;
	    i++, j = (j + 1) % l->n) {
		if (!framer_may_read(&l->clients[j]->fr))
			continue;
		l->slot[l->nslot++] = l->clients[j];
		pfd[k].fd = l->clients[j]->fd;
		pfd[k].events = POLLIN;
		pfd[k].revents = 0;
		k++;
	}
	if (i < l->n)
		l->rr = j;	/* the rest get polled next turn */
	return k;
}

/*
 * Returns meta.peer for the Unix client on FD whose address accept gave
 * in PEER (LEN bytes), a string the caller frees: the path it is bound
 * to, or, as most clients are not bound, "pid:N", its process (from the
 * kernel's SO_PEERCRED), or "unknown".
 */
static char *
listen_unix_peer(int fd, const struct sock_addr *peer, socklen_t len)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&peer->ss;
	struct ucred		  cred;
	socklen_t		  clen = sizeof cred;
	size_t			  off = offsetof(struct sockaddr_un, sun_path);
	char			 *s;

	if (len > off && len <= sizeof *sun && sun->sun_path[0] != '\0')
		return xstrndup(sun->sun_path, len - off);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
		xasprintf(&s, "pid:%ld", (long)cred.pid);
		return s;
	}
	return xstrdup("unknown");
}

/* Accepts the pending connections (a bounded number per call). */
static void
listen_accept(struct source *src)
{
	struct listen		*l = src->priv;
	struct listen_client	*c;
	struct sock_addr	 peer;
	char			 ebuf[128], abuf[128];
	socklen_t		 len;
	int			 i, fd;

	for (i = 0; i < LISTEN_ACCEPT_MAX; i++) {
		memset(&peer, 0, sizeof peer);
		len = sizeof peer.ss;
		fd = accept4(l->lfd, (struct sockaddr *)&peer.ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EPROTO)
				continue;
			if (!l->nofile)
				fprintf(stderr, "%s: %s: accept: %s\n",
				    progname, src->name,
				    sock_strerror(errno, ebuf, sizeof ebuf));
			l->nofile = true;
			l->paused_until = clock_now_ms() + LISTEN_PAUSE;
			return;
		}
		l->nofile = false;
		if (src->cfg->max_clients > 0 && l->n >= src->cfg->max_clients) {
			if (!l->full)
				fprintf(stderr, "%s: %s: more than %d clients; "
				    "refusing new ones\n", progname, src->name,
				    src->cfg->max_clients);
			l->full = true;
			close(fd);
			continue;
		}
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 16;
			l->clients = xreallocarray(l->clients, l->cap,
			    sizeof *l->clients);
		}
		c = xcalloc(1, sizeof *c);
		c->fd = fd;
		framer_init(&c->fr, src->cfg->max_line, &src->intake->pool);
		peer.family = peer.ss.ss_family;
		if (l->path == NULL && len <= sizeof peer.ss &&
		    (peer.family == AF_INET || peer.family == AF_INET6)) {
			sock_addr_fmt(&peer, abuf, sizeof abuf);
			xasprintf(&c->name, "%s from %s", src->name, abuf);
			c->peer = xstrdup(abuf);
		} else
			c->peer = listen_unix_peer(fd, &peer, len);
		l->clients[l->n++] = c;
	}
}

/*
 * Reads from client C.  Returns 0 while it is connected, -1 once it has
 * gone (its last, unfinished line delivered).
 */
static int
listen_read(struct source *src, struct listen_client *c)
{
	size_t	 total = 0;
	ssize_t	 n;
	char	*saved = src->name;
	int	 rc = 0;

	/* Messages about these lines name the client. */
	if (c->name != NULL)
		src->name = c->name;
	src->meta.peer = c->peer;
	while (total < LISTEN_READ_MAX) {
		n = framer_read(&c->fr, src, c->fd);
		if (n > 0) {
			total += n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == -1 && errno == EINTR)
			continue;
		/* EOF, or reset by the client: same thing here. */
		framer_finish(&c->fr, src);
		rc = -1;
		break;
	}
	src->name = saved;
	src->meta.peer = NULL;
	if (cur_origin.name == c->name && c->name != NULL)
		cur_origin.name = saved;	/* the client may go now */
	return rc;
}

/*
 * A signal stops the run: each client's unfinished line is delivered as
 * a record of its own, as when the client disconnects (dstream reads no
 * more of it).
 */
static void
listen_stop(struct source *src)
{
	struct listen		*l = src->priv;
	struct listen_client	*c;
	char			*saved = src->name;
	int			 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		if ((c = l->clients[i])->fd == -1)
			continue;
		if (c->name != NULL)
			src->name = c->name;
		src->meta.peer = c->peer;
		framer_finish(&c->fr, src);
		src->name = saved;
		src->meta.peer = NULL;
		if (cur_origin.name == c->name && c->name != NULL)
			cur_origin.name = saved;
	}
}

static void
listen_client_free(struct listen_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	framer_free(&c->fr);
	free(c->name);
	free(c->peer);
	free(c);
}

static int
listen_ready(struct source *src, struct pollfd *pfd, int n)
{
	struct listen		*l = src->priv;
	struct listen_client	*c;
	int			 i, j, gone = 0;

	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (i == l->lslot) {
			if (pfd[i].fd == l->lfd)
				listen_accept(src);
			continue;
		}
		j = i - (l->lslot == -1 ? 0 : 1);
		if (j < 0 || j >= l->nslot)
			continue;
		c = l->slot[j];
		if (c->fd != pfd[i].fd)
			continue;
		if (listen_read(src, c) == -1) {
			close(c->fd);
			c->fd = -1;
			gone++;
		}
	}
	l->nslot = 0;
	l->lslot = -1;

	if (gone) {
		for (i = j = 0; i < l->n; i++) {
			if (l->clients[i]->fd == -1)
				listen_client_free(l->clients[i]);
			else
				l->clients[j++] = l->clients[i];
		}
		l->n = j;
		if (src->cfg->max_clients <= 0 || l->n < src->cfg->max_clients)
			l->full = false;
	}
	if (l->paused_until != 0 && clock_now_ms() >= l->paused_until)
		l->paused_until = 0;
	return SRC_LIVE;
}

static void
listen_close(struct source *src)
{
	struct listen	*l = src->priv;
	struct stat	 sb;
	int		 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		listen_client_free(l->clients[i]);
	free(l->clients);
	free(l->slot);
	if (l->lfd != -1)
		close(l->lfd);
	/* Remove our socket file, not one another process put there since. */
	if (l->path != NULL && stat(l->path, &sb) == 0 &&
	    sb.st_dev == l->dev && sb.st_ino == l->ino)
		unlink(l->path);
	free(l->path);
	free(l);
	src->priv = NULL;
}

const struct source_kind source_tcp_listen = {
	.scheme = "tcp-listen://",
	.open = listen_open,
	.fds = listen_fds,
	.ready = listen_ready,
	.close = listen_close,
	.stop = listen_stop
};

const struct source_kind source_unix_listen = {
	.scheme = "unix-listen://",
	.open = listen_unix_open,
	.fds = listen_fds,
	.ready = listen_ready,
	.close = listen_close,
	.stop = listen_stop
};
