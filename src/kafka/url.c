/*
 * url.c - the kafka:// URL of an input or an output (see kafka.h).
 *
 * Every fault is named: an empty broker list or topic, a topic name
 * Kafka would refuse, an unknown or repeated query key, a bad value.
 * Values may hold percent-escapes (a group name with '&' in it).
 */
#include <stdlib.h>
#include <string.h>

#include "kafka.h"

#define TOPIC_MAX	249	/* Kafka's longest topic name */

void
kafka_url_free(struct kafka_url *u)
{
	free(u->brokers);
	free(u->topic);
	free(u->group);
	memset(u, 0, sizeof *u);
}

/*
 * Returns P[0..n) with its percent-escapes decoded (a new string), or
 * NULL when an escape is malformed or decodes to a NUL.
 */
static char *
url_unescape(const char *p, size_t n)
{
	char	*s = xmalloc(n + 1), *q = s;
	size_t	 i;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		if (p[i] != '%') {
			*q++ = p[i];
			continue;
		}
		if (i + 2 >= n ||
		    (hi = buf_hex_digit((unsigned char)p[i + 1])) < 0 ||
		    (lo = buf_hex_digit((unsigned char)p[i + 2])) < 0 ||
		    (hi == 0 && lo == 0))
			goto bad;
		*q++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*q = '\0';
	return s;
bad:
	free(s);
	return NULL;
}

/* Whether P[0..n) is a topic name Kafka accepts. */
static bool
url_topic_ok(const char *p, size_t n)
{
	size_t	 i;

	if (n == 0 || n > TOPIC_MAX)
		return false;
	if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
		return false;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '.' || p[i] == '_' || p[i] == '-'))
			return false;
	return true;
}

/*
 * Whether P[0..n), the broker list, is one or more non-empty host:port
 * items separated by commas, without blanks or slashes.
 */
static bool
url_brokers_ok(const char *p, size_t n)
{
	size_t	 i, item = 0;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] == ',') {
			if (item == 0)
				return false;
			item = 0;
			continue;
		}
		if ((unsigned char)p[i] <= ' ' || p[i] == '?' ||
		    (unsigned char)p[i] >= 0x7f)
			return false;
		item++;
	}
	return item > 0;
}

/*
 * Takes one query item KEY=VALUE (P[0..n)) into U.  Returns 0, or -1
 * with *CAUSE set.
 */
static int
url_query_item(struct kafka_url *u, const char *p, size_t n, bool *seen,
    char **cause)
{
	static const char *const keys[] = { "group", "offset", "until" };
	const char	*eq = memchr(p, '=', n);
	size_t		 klen, k;
	char		*val;

	if (eq == NULL) {
		xasprintf(cause, "'%.*s' in the query is not KEY=VALUE",
		    (int)n, p);
		return -1;
	}
	klen = (size_t)(eq - p);
	for (k = 0; k < 3; k++)
		if (strlen(keys[k]) == klen && memcmp(keys[k], p, klen) == 0)
			break;
	if (k == 3) {
		xasprintf(cause, "unknown query key '%.*s' (group, offset, "
		    "until)", (int)klen, p);
		return -1;
	}
	if (seen[k]) {
		xasprintf(cause, "%s= given twice", keys[k]);
		return -1;
	}
	seen[k] = true;
	if ((val = url_unescape(eq + 1, n - klen - 1)) == NULL) {
		xasprintf(cause, "%s=: bad percent-escape", keys[k]);
		return -1;
	}
	switch (k) {
	case 0:
		if (*val == '\0') {
			xasprintf(cause, "group=: empty group name");
			break;
		}
		u->group = val;
		return 0;
	case 1:
		u->offset_set = true;
		if (strcmp(val, "beginning") == 0)
			u->offset = KAFKA_OFFSET_BEGINNING;
		else if (strcmp(val, "end") == 0)
			u->offset = KAFKA_OFFSET_END;
		else if (strcmp(val, "stored") == 0)
			u->offset = KAFKA_OFFSET_STORED;
		else {
			xasprintf(cause, "offset=: expected beginning, end or "
			    "stored, not '%s'", val);
			break;
		}
		free(val);
		return 0;
	default:
		if (strcmp(val, "end") != 0) {
			xasprintf(cause, "until=: expected end, not '%s'", val);
			break;
		}
		u->until_end = true;
		free(val);
		return 0;
	}
	free(val);
	return -1;
}

int
kafka_url_parse(const char *spec, enum kafka_url_use use, struct kafka_url *u,
    char **cause)
{
	const char	*slash, *q, *item, *end;
	char		*why = NULL;
	bool		 seen[3] = { false, false, false };
	size_t		 tlen;

	memset(u, 0, sizeof *u);
	if ((slash = strchr(spec, '/')) == NULL) {
		why = xstrdup("expected BROKERS/TOPIC");
		goto fail;
	}
	if (!url_brokers_ok(spec, (size_t)(slash - spec))) {
		why = xstrdup(slash == spec ? "no broker before the topic" :
		    "bad broker list (host:port, comma-separated)");
		goto fail;
	}
	q = strchr(slash + 1, '?');
	tlen = q != NULL ? (size_t)(q - slash - 1) : strlen(slash + 1);
	if (!url_topic_ok(slash + 1, tlen)) {
		xasprintf(&why, tlen == 0 ? "no topic after the brokers" :
		    "bad topic name '%.*s' (letters, digits, '.', '_', '-'; "
		    "at most 249)", (int)tlen, slash + 1);
		goto fail;
	}
	u->brokers = xstrndup(spec, (size_t)(slash - spec));
	u->topic = xstrndup(slash + 1, tlen);
	u->offset = KAFKA_OFFSET_STORED;
	if (q == NULL)
		return 0;
	if (use == KAFKA_URL_OUTPUT) {
		why = xstrdup("an output takes no query (?...)");
		goto fail;
	}
	for (item = q + 1; ; item = end + 1) {
		end = strchr(item, '&');
		if (end == NULL)
			end = item + strlen(item);
		if (end == item) {
			why = xstrdup("empty item in the query");
			goto fail;
		}
		if (url_query_item(u, item, (size_t)(end - item), seen,
		    &why) != 0)
			goto fail;
		if (*end == '\0')
			break;
	}
	return 0;
fail:
	kafka_url_free(u);
	xasprintf(cause, "kafka://%s: %s", spec, why);
	free(why);
	return -1;
}
