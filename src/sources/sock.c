/*
 * sock.c - socket addresses and descriptors shared by the socket sources.
 *
 * The tcp, tcp-listen, udp, unix and unix-listen inputs all start from a
 * text address; this file turns it into struct sock_addr values (resolved
 * once, when the input is opened) and opens bound sockets for the
 * listening kinds.  Every descriptor made here is non-blocking and
 * close-on-exec: the engine's one poll() loop must never block in a read.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dstream.h"
#include "sock.h"

#define SOCK_BACKLOG	512

/* Lower-cases the first letter of a message unless it starts a word in capitals. */
static const char *
sock_lower(char *buf)
{
	if (isupper((unsigned char)buf[0]) && !isupper((unsigned char)buf[1]))
		buf[0] = tolower((unsigned char)buf[0]);
	return buf;
}

/* gai_strerror(ERR) in lower case, for "...: name or service not known". */
static const char *
sock_strerror_gai(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", gai_strerror(err));
	return sock_lower(buf);
}

/*
 * Whether the getaddrinfo error ERR is a failed lookup that may succeed
 * later (the name unknown today, DNS unreachable), not a bad request.
 */
static bool
sock_gai_transient(int err)
{
	switch (err) {
	case EAI_NONAME:
	case EAI_AGAIN:
	case EAI_FAIL:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
		return true;
	default:
		return false;
	}
}

/*
 * Splits SPEC into a host and a port, both allocated (caller frees);
 * *HOST is NULL when SPEC gives none.  Returns 0, or -1 with *CAUSE set.
 */
static int
sock_split(const char *name, const char *spec, char **host, char **port,
    char **cause)
{
	const char	*colon, *end;

	*host = *port = NULL;
	if (*spec == '[') {
		if ((end = strchr(spec, ']')) == NULL || end[1] != ':') {
			xasprintf(cause, "%s: expected [HOST]:PORT", name);
			return -1;
		}
		*host = xstrndup(spec + 1, end - spec - 1);
		colon = end + 1;
	} else if ((colon = strrchr(spec, ':')) != NULL) {
		if (colon != spec)
			*host = xstrndup(spec, colon - spec);
	} else if (spec[strspn(spec, "0123456789")] == '\0')
		colon = spec - 1;	/* a bare port */
	else
		colon = spec + strlen(spec);
	if (*colon == '\0' || colon[1] == '\0') {
		xasprintf(cause, "%s: missing port (expected [HOST]:PORT)",
		    name);
		free(*host);
		*host = NULL;
		return -1;
	}
	*port = xstrdup(colon + 1);
	return 0;
}

int
sock_resolve(const char *name, const char *spec, int socktype,
    struct sock_addr **addrs, char **cause)
{
	struct addrinfo		 hints, *res = NULL, *ai;
	struct sock_addr	*out = NULL;
	char			*host, *port, ebuf[128];
	const char		*digits;
	int			 error, n = 0, ret = -1;

	if (sock_split(name, spec, &host, &port, cause) != 0)
		return -1;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_NUMERICSERV;
	digits = port + (*port == '-' || *port == '+');
	if (*digits == '\0' ||
	    strspn(digits, "0123456789") != strlen(digits))
		hints.ai_flags &= ~AI_NUMERICSERV;	/* a service name */
	else if (digits != port || strlen(digits) > 5 ||
	    strtoul(digits, NULL, 10) > 65535) {
		/* getaddrinfo would take 99999 modulo 65536, and -1 as a
		 * service name. */
		xasprintf(cause, "%s: bad port '%s' (0 to 65535)", name, port);
		goto fail;
	}
	if (host != NULL && strcmp(host, "*") == 0) {
		free(host);
		host = NULL;
		hints.ai_flags |= AI_PASSIVE;
	} else if (host == NULL)
		host = xstrdup("127.0.0.1");
	error = getaddrinfo(host, port, &hints, &res);
	if (error != 0) {
		xasprintf(cause, "%s: %s", name,
		    sock_strerror_gai(error, ebuf, sizeof ebuf));
		if (sock_gai_transient(error))
			ret = -2;	/* may resolve later */
		goto fail;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof out[0].ss)
			continue;
		out = xreallocarray(out, n + 1, sizeof *out);
		memset(&out[n], 0, sizeof out[n]);
		out[n].family = ai->ai_family;
		out[n].len = ai->ai_addrlen;
		memcpy(&out[n].ss, ai->ai_addr, ai->ai_addrlen);
		/*
		 * Every address: the IPv6 wildcard, bound dual-stack, takes
		 * IPv4 clients too; it goes first, the IPv4 wildcard stays as
		 * the fallback where IPv6 is not available.
		 */
		if (host == NULL && ai->ai_family == AF_INET6) {
			out[n].dual = true;
			if (n > 0) {
				struct sock_addr t = out[n];

				memmove(&out[1], &out[0], n * sizeof *out);
				out[0] = t;
			}
		}
		n++;
	}
	if (n == 0) {
		xasprintf(cause, "%s: no usable address", name);
		goto fail;
	}
	freeaddrinfo(res);
	free(host);
	free(port);
	*addrs = out;
	return n;

fail:
	if (res != NULL)
		freeaddrinfo(res);
	free(out);
	free(host);
	free(port);
	return ret;
}

int
sock_unix(const char *path, struct sock_addr *sa, char **cause)
{
	struct sockaddr_un	*sun = (struct sockaddr_un *)&sa->ss;
	size_t			 len = strlen(path);

	if (len == 0) {
		xasprintf(cause, "missing socket path");
		return -1;
	}
	if (len >= sizeof sun->sun_path) {
		xasprintf(cause, "%s: socket path too long", path);
		return -1;
	}
	memset(sa, 0, sizeof *sa);
	sa->family = AF_UNIX;
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len + 1);
	sa->len = offsetof(struct sockaddr_un, sun_path) + len + 1;
	return 0;
}

int
sock_bind(const struct sock_addr *sa, int socktype, char **cause)
{
	char	 name[128], ebuf[128];
	int	 fd, on = 1;

	sock_addr_fmt(sa, name, sizeof name);
	fd = socket(sa->family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	if (sa->family != AF_UNIX)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (sa->family == AF_INET6) {
		int v6only = !sa->dual;

		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    sizeof v6only);
	}
	if (bind(fd, (const struct sockaddr *)&sa->ss, sa->len) == -1)
		goto fail;
	if (socktype == SOCK_STREAM && listen(fd, SOCK_BACKLOG) == -1)
		goto fail;
	return fd;

fail:
	xasprintf(cause, "%s: %s", name,
	    sock_strerror(errno, ebuf, sizeof ebuf));
	if (fd != -1)
		close(fd);
	return -1;
}

void
sock_addr_fmt(const struct sock_addr *sa, char *buf, size_t len)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	char				 host[INET6_ADDRSTRLEN];

	switch (sa->family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)&sa->ss;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
		break;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)&sa->ss;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			/* An IPv4 client of a dual-stack listener. */
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], host,
			    sizeof host);
			snprintf(buf, len, "%s:%u", host,
			    ntohs(sin6->sin6_port));
			break;
		}
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
		break;
	case AF_UNIX:
		snprintf(buf, len, "%s",
		    ((const struct sockaddr_un *)&sa->ss)->sun_path);
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
}

const char *
sock_strerror(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err));
	/* "Connection refused" -> "connection refused"; "I/O error" stays. */
	return sock_lower(buf);
}
