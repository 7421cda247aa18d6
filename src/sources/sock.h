/*
 * sock.h - socket addresses and descriptors shared by the socket sources
 * (tcp.c, listen.c, udp.c).
 */
#ifndef DSTREAM_SOCK_H
#define DSTREAM_SOCK_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One resolved address, TCP/UDP or a Unix socket path. */
struct sock_addr {
	int			 family;
	socklen_t		 len;
	bool			 dual;	/* the IPv6 wildcard: bind for IPv4 too */
	struct sockaddr_storage	 ss;
};

/*
 * Resolves SPEC, "[HOST]:PORT" ("HOST:PORT", "[::1]:PORT", ":PORT" or
 * "PORT"), for SOCKTYPE.  A missing host is 127.0.0.1; "*" is every
 * address (passive), the IPv6 wildcard first, marked dual-stack.
 * Returns the count of addresses stored in *ADDRS (caller frees), or
 * with *CAUSE set, naming the input NAME: -1 for a bad SPEC (syntax,
 * port, unknown service), -2 when the name lookup failed and may work
 * later (unknown host, no answer from DNS).
 */
int	 sock_resolve(const char *name, const char *spec, int socktype,
	    struct sock_addr **addrs, char **cause);
/* Fills SA with the Unix socket PATH.  Returns 0, or -1 with *CAUSE set. */
int	 sock_unix(const char *path, struct sock_addr *sa, char **cause);
/*
 * Opens a non-blocking, close-on-exec socket bound to SA; a stream socket
 * also listens.  Returns the descriptor, or -1 with *CAUSE set.
 */
int	 sock_bind(const struct sock_addr *sa, int socktype, char **cause);
/* Writes SA as text ("127.0.0.1:9999", "[::1]:80", a path) into BUF. */
void	 sock_addr_fmt(const struct sock_addr *sa, char *buf, size_t len);
/* strerror(ERR) in lower case, for "...: connection refused". */
const char *sock_strerror(int err, char *buf, size_t len);

#endif
