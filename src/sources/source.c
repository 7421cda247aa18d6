/*
 * source.c - naming an input: "-", a path, or a URL form, to its kind.
 */
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "../state/snap.h"
#include "source.h"

static const struct source_kind *source_kinds[] = {
	&source_tcp_listen,	/* before tcp:// (longer prefix first) */
	&source_tcp,
	&source_udp,
	&source_unix_listen,
	&source_unix,
	&source_dir,
	&source_kafka,
};

/* Whether SPEC starts with a URL scheme ("name://"). */
static bool
source_has_scheme(const char *spec)
{
	const char	*p = spec;

	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
	    *p == '-' || *p == '+' || *p == '.')
		p++;
	return p > spec && strncmp(p, "://", 3) == 0;
}

bool
source_named(const char *arg, size_t *name_len)
{
	const char	*p = arg;

	if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	    *p == '_'))
		return false;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	    (*p >= '0' && *p <= '9') || *p == '_')
		p++;
	if (*p != '=')
		return false;
	*name_len = (size_t)(p - arg);
	return true;
}

struct source *
source_open(const char *name, const char *spec, struct intake *intake,
    const struct config *cfg, char **cause)
{
	const struct source_kind	*kind = &source_file;
	struct source			*src;
	const char			*rest = spec;
	size_t				 i, n;

	for (i = 0; i < sizeof source_kinds / sizeof source_kinds[0]; i++) {
		n = strlen(source_kinds[i]->scheme);
		if (strncmp(spec, source_kinds[i]->scheme, n) == 0) {
			kind = source_kinds[i];
			rest = spec + n;
			break;
		}
	}
	if (kind == &source_file && source_has_scheme(spec)) {
		if (strncmp(spec, "file://", 7) != 0) {
			xasprintf(cause, "%s: unknown input kind (expected a "
			    "path, -, tcp://, tcp-listen://, udp://, unix://, "
			    "unix-listen://, dir:// or kafka://)", spec);
			return NULL;
		}
		rest = spec + 7;
	}
	src = xcalloc(1, sizeof *src);
	src->kind = kind;
	src->name = xstrdup(strcmp(spec, "-") == 0 ? "stdin" : spec);
	src->input = xstrdup(name != NULL ? name : spec);
	src->meta.input = src->input;
	src->meta.lines = true;
	src->intake = intake;
	src->cfg = cfg;
	src->state = SRC_LIVE;
	if (kind->open(src, rest, cause) != 0) {
		free(src->name);
		free(src->input);
		free(src);
		return NULL;
	}
	return src;
}

void
source_close(struct source *src)
{
	if (src == NULL)
		return;
	if (src->kind->close != NULL)
		src->kind->close(src);
	free(src->name);
	free(src->input);
	free(src);
}

/* The section of one input's position. */
#define SOURCE_POSTAG	SNAP_TAG('P', 'O', 'S', 'N')

int
source_save(struct source *src, struct buf *b)
{
	size_t	 at;
	int	 r = 0;

	at = snap_sec_begin(b, SOURCE_POSTAG);
	snap_put_bool(b, src->kind->save != NULL);
	if (src->kind->save != NULL)
		r = src->kind->save(src, b);
	snap_sec_end(b, at);
	return r;
}

int
source_load(struct source *src, struct snap_rd *r)
{
	struct snap_rd	 sub;
	bool		 has;

	if (snap_sec(r, SOURCE_POSTAG, &sub) == -1)
		return -1;
	if (snap_get_bool(&sub, &has) == 0 && has) {
		if (src->kind->load == NULL)
			snap_fail(&sub, "input %s: the checkpoint holds a "
			    "position for it, and it has none", src->name);
		else
			src->kind->load(src, &sub);
	}
	return snap_sec_done(r, &sub);
}
