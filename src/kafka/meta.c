/*
 * meta.c - the metadata dstream writes with a consumer group's offset
 * commits (sources/kafka.c), and reads back from the group:
 *
 *	dstream e=MS		the partition's bound: the end of the last
 *				batch or window emitted of its records
 *				(epoch ms), for the member that rebuilds
 *				its windows next (engine/rebuild.c)
 *	dstream:HEX		with --checkpoint, the checkpoint's token,
 *	dstream:HEX e=MS	by which a resumed run tells its own
 *				commits from another member's
 *
 * Plain C: the fuzz target uses it without librdkafka.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"

#define META_PREFIX	"dstream"
#define META_MAX	64

size_t
kafka_meta_format(char *buf, size_t size, const char *token, int64_t bound)
{
	int	 n;

	if (bound == INT64_MIN && token == NULL)
		n = 0;
	else if (bound == INT64_MIN)
		n = snprintf(buf, size, "%s", token);
	else
		n = snprintf(buf, size, "%s e=%lld",
		    token != NULL ? token : META_PREFIX, (long long)bound);
	if (n < 0 || (size_t)n >= size)
		n = 0;
	if (size > 0)
		buf[n] = '\0';
	return (size_t)n;
}

int64_t
kafka_meta_bound(const void *meta, size_t len)
{
	const char	*e;
	char		 buf[META_MAX], *end;
	size_t		 tok;
	long long	 v;

	if (meta == NULL || len < sizeof META_PREFIX - 1 || len >= sizeof buf)
		return INT64_MIN;
	memcpy(buf, meta, len);
	buf[len] = '\0';
	if (strlen(buf) != len || strncmp(buf, META_PREFIX,
	    sizeof META_PREFIX - 1) != 0)
		return INT64_MIN;
	/* The token, ":HEX", if any, then " e=". */
	tok = sizeof META_PREFIX - 1;
	if (buf[tok] == ':') {
		tok++;
		tok += strspn(buf + tok, "0123456789abcdef");
	}
	e = buf + tok;
	if (strncmp(e, " e=", 3) != 0 || !(e[3] == '-' ||
	    (e[3] >= '0' && e[3] <= '9')))
		return INT64_MIN;
	errno = 0;
	v = strtoll(e + 3, &end, 10);
	if (*end != '\0' || errno != 0 || v == (long long)INT64_MIN)
		return INT64_MIN;
	return v;
}

bool
kafka_meta_token_is(const void *meta, size_t len, const char *token)
{
	size_t	 n = strlen(token);

	return meta != NULL && len >= n && memcmp(meta, token, n) == 0 &&
	    (len == n || ((const char *)meta)[n] == ' ');
}
