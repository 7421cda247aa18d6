/*
 * sink.c - the destinations' table and the calls main and the engine
 * make on a sink (sink.h says who calls what, and what commit and
 * save/load promise).  sink_open picks the kind from the name: "-" is
 * stdout (-f top on a terminal: top.c), sqlite: is sqlite.c,
 * postgresql:// (or postgres://) is postgresql.c, kafka:// is kafka.c
 * (the engine opens it with sink_kafka_open, to pass -X), other names
 * with a scheme ("name:") as unknown, anything else is a file path
 * (file.c).  The tail's per-row calls are inline in sink.h.
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dstream.h"
#include "sink.h"
#include "sql.h"

/*
 * Whether DEST starts with a URL scheme and a colon ("sqlite:",
 * "nowhere:"): names of that form are kinds of destination, not files.
 */
static bool
sink_has_scheme(const char *dest)
{
	const char	*p = dest;

	if (!isalpha((unsigned char)*p))
		return false;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
	    *p == '.')
		p++;
	return *p == ':';
}

struct sink *
sink_open(const char *dest, enum out_format format, bool stamp, char **cause)
{
	bool	 pg;

	/* -f top draws on a terminal; elsewhere its output is plain. */
	if (strcmp(dest, "-") == 0 && format == FMT_TOP &&
	    isatty(STDOUT_FILENO))
		return sink_top.open(&sink_top, dest, format, stamp, cause);
	if (format == FMT_TOP)
		format = FMT_PLAIN;
	if (strcmp(dest, "-") == 0)
		return sink_stdout.open(&sink_stdout, dest, format, stamp,
		    cause);
	if (sql_dest_is(dest, &pg)) {
		const struct sink_kind *k = pg ? &sink_postgresql :
		    &sink_sqlite;

		return k->open(k, dest, format, stamp, cause);
	}
	if (strncmp(dest, "kafka://", 8) == 0)
		return sink_kafka_open(dest, NULL, cause);
	if (sink_has_scheme(dest)) {
		xasprintf(cause, "output '%s': unknown destination (a file "
		    "path, or - for stdout; ./%s for a file of that name)",
		    dest, dest);
		return NULL;
	}
	if (dest[0] == '\0') {
		xasprintf(cause, "-o: empty file name");
		return NULL;
	}
	return sink_file.open(&sink_file, dest, format, stamp, cause);
}

void
sink_layout(struct sink *s, enum out_format format)
{
	s->format = format;
}

void
sink_watch(struct sink *s, const volatile sig_atomic_t *halt)
{
	s->halt = halt;
}

int
sink_give_up(struct sink *s, const char *shown, const char *while_,
    size_t rows)
{
	int	 sig = s->halt != NULL ? *s->halt : 0;

	if (!s->stopped) {
		fprintf(stderr, "%s: %s: stopped by %s while %s", progname,
		    shown, sig == SIGINT ? "SIGINT" : sig == SIGTERM ?
		    "SIGTERM" : "a signal", while_);
		if (rows > 0)
			fprintf(stderr, ": %zu row%s not written", rows,
			    rows == 1 ? "" : "s");
		fputc('\n', stderr);
	}
	s->stopped = true;
	return -1;
}

bool
sink_stopped(const struct sink *s)
{
	return s != NULL && s->stopped;
}

void
sink_hold(struct sink *s, bool on)
{
	s->held = on;
}

int
sink_wake_ms(struct sink *s)
{
	return s->kind->wake_ms != NULL ? s->kind->wake_ms(s) : -1;
}

int
sink_flush_ended(struct sink *s)
{
	return s->kind->flush_ended(s);
}

int
sink_save(struct sink *s, struct buf *b)
{
	return s->kind->save(s, b);
}

int
sink_load(struct sink *s, struct snap_rd *r)
{
	return s->kind->load(s, r);
}

int
sink_checkpointed(struct sink *s, const char *name, char **cause)
{
	s->checkpointed = true;
	free(s->ckpt_name);
	s->ckpt_name = xstrdup(name);
	return s->kind->own != NULL ? s->kind->own(s, cause) : 0;
}

bool
sink_transactional(const struct sink *s)
{
	return s->kind->commit_checkpoint != NULL;
}

int
sink_commit_checkpoint(struct sink *s, int64_t end_ms, const void *bytes,
    size_t len, const struct kafka_offsets *const *offs, size_t noffs)
{
	if (s->kind->commit_checkpoint == NULL)
		return 0;
	return s->kind->commit_checkpoint(s, end_ms, bytes, len, offs, noffs);
}

int
sink_stored_checkpoint(struct sink *s, struct buf *out, char **cause)
{
	if (s->kind->stored_checkpoint == NULL)
		return 0;
	return s->kind->stored_checkpoint(s, out, cause);
}

char *
sink_stored_where(struct sink *s)
{
	if (s->kind->stored_where == NULL)
		return NULL;
	return s->kind->stored_where(s);
}

char *
sink_shown(const char *dest)
{
	bool	 pg;

	if (sql_dest_is(dest, &pg))
		return sql_mask(dest);
	return xstrdup(dest);
}

void
sink_close(struct sink *s)
{
	if (s != NULL) {
		free(s->ckpt_name);
		s->ckpt_name = NULL;
		s->kind->close(s);
	}
}
