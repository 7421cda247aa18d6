/*
 * textfiles.c - saveAsTextFiles' destination: one file per batch (or
 * window), PREFIX-<end ms>[.SUFFIX], written atomically.
 *
 * The saveAsTextFiles operator (ops/save.c) owns one of these.  At
 * begin it opens a temporary name in the same folder, .BASE-<ms>[.SUFFIX]
 * .tmp (a leading dot, so that a dir:// reader of the folder, dstream's
 * or Spark's, skips it); rows are formatted in the -f format (format.h)
 * and written to it; commit fsyncs it, renames it to its final name (an
 * existing file of the same batch is replaced whole) and fsyncs the
 * folder, so the file is either absent or complete.  A replayed batch
 * (after a crash) rewrites the same file, so the files are exactly-once
 * without a position to save: save and load do nothing.  A crash leaves
 * at most the temporary file of the batch in hand, which that batch's
 * replay overwrites; close removes the one of a batch begun and not
 * committed.  Every batch gets its file, empty ones included (as Spark
 * writes empty part files): the file's presence says the batch is done.
 *
 * Errors (the folder removed, disk full) are reported once naming the
 * file, and every later call fails: the run ends with status 1.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dstream.h"
#include "format.h"
#include "sink.h"

#define TEXT_OUT	(256 * 1024)	/* written at this much */

struct textfiles_sink {
	struct sink	 sink;
	char		*prefix;	/* as given: "out/counts" */
	char		*suffix;	/* NULL: none */
	char		*dir;		/* PREFIX's folder: "out", or "." */
	const char	*base;		/* PREFIX's last part: "counts" */
	int		 dirfd;		/* the folder, for its fsync */
	int		 fd;		/* the batch's temporary file, or -1 */
	char		*tmp;		/* its name */
	char		*final;		/* the name it gets at commit */
	struct buf	 b;
	bool		 failed;
};

/* Reports WHAT failing on PATH with errno, once; returns -1. */
static int
textfiles_fail(struct textfiles_sink *s, const char *path, const char *what)
{
	if (!s->failed)
		fprintf(stderr, "%s: saveAsTextFiles: %s: %s%s%s\n", progname,
		    path, what, what[0] != '\0' ? ": " : "", strerror(errno));
	s->failed = true;
	return -1;
}

/* Writes the whole buffer to the temporary file; 0 or -1 (reported). */
static int
textfiles_write(struct textfiles_sink *s)
{
	const char	*p = s->b.p;
	size_t		 left = s->b.len;
	ssize_t		 w;

	while (left > 0) {
		w = write(s->fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return textfiles_fail(s, s->tmp, "write error");
		}
		p += w;
		left -= (size_t)w;
	}
	s->b.len = 0;
	return 0;
}

/* Forgets the batch in hand: closes and removes its temporary file. */
static void
textfiles_drop(struct textfiles_sink *s)
{
	if (s->fd != -1) {
		close(s->fd);
		(void)unlink(s->tmp);
		s->fd = -1;
	}
	free(s->tmp);
	free(s->final);
	s->tmp = s->final = NULL;
	s->b.len = 0;
}

/* Opens the temporary file of the batch ending at END_MS. */
static int
textfiles_begin(struct sink *sk, int64_t end_ms)
{
	struct textfiles_sink	*s = (struct textfiles_sink *)sk;
	const char		*dot = s->suffix != NULL ? "." : "";
	const char		*suffix = s->suffix != NULL ? s->suffix : "";

	if (s->failed)
		return -1;
	textfiles_drop(s);
	xasprintf(&s->final, "%s-%" PRId64 "%s%s", s->prefix, end_ms, dot,
	    suffix);
	xasprintf(&s->tmp, "%s/.%s-%" PRId64 "%s%s.tmp", s->dir, s->base,
	    end_ms, dot, suffix);
	s->fd = open(s->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (s->fd == -1)
		return textfiles_fail(s, s->tmp, "");
	if (s->b.cap == 0)
		buf_grow(&s->b, TEXT_OUT + 1024);
	format_begin(&s->b, sk->format, end_ms);
	return 0;
}

static int
textfiles_row(struct sink *sk, const struct value *v, int64_t end_ms)
{
	struct textfiles_sink	*s = (struct textfiles_sink *)sk;

	if (s->failed)
		return -1;
	format_line(&s->b, sk->format, v, end_ms, sk->stamp);
	if (s->b.len >= TEXT_OUT)
		return textfiles_write(s);
	return 0;
}

/*
 * The batch is complete: writes and fsyncs its temporary file, renames
 * it to its final name and fsyncs the folder.  0 or -1 (reported).
 */
static int
textfiles_commit(struct sink *sk, int64_t end_ms)
{
	struct textfiles_sink	*s = (struct textfiles_sink *)sk;
	int			 fd;

	if (s->failed)
		return -1;
	format_end(&s->b, sk->format, sk->cut);
	sk->cut = false;
	if (textfiles_write(s) != 0)
		return -1;
	if (fsync(s->fd) != 0 && errno != EINVAL)
		return textfiles_fail(s, s->tmp, "fsync");
	fd = s->fd;
	s->fd = -1;
	if (close(fd) != 0) {
		(void)unlink(s->tmp);
		return textfiles_fail(s, s->tmp, "close");
	}
	if (rename(s->tmp, s->final) != 0) {
		(void)unlink(s->tmp);
		return textfiles_fail(s, s->final, "rename");
	}
	if (fsync(s->dirfd) != 0 && errno != EINVAL)
		return textfiles_fail(s, s->dir, "fsync");
	textfiles_drop(s);
	return 0;
}

/* Every commit is durable already. */
static int
textfiles_flush_ended(struct sink *sk)
{
	return ((struct textfiles_sink *)sk)->failed ? -1 : 0;
}

/* A replayed batch rewrites its own file: no position to keep. */
static int
textfiles_save(struct sink *sk, struct buf *b)
{
	return 0;
}

static int
textfiles_load(struct sink *sk, struct snap_rd *r)
{
	return 0;
}

static void
textfiles_close(struct sink *sk)
{
	struct textfiles_sink	*s = (struct textfiles_sink *)sk;

	textfiles_drop(s);
	close(s->dirfd);
	buf_free(&s->b);
	format_free();
	free(s->prefix);
	free(s->suffix);
	free(s->dir);
	free(s);
}

struct sink *
sink_textfiles_open(const char *prefix, const char *suffix,
    enum out_format format, bool stamp, char **cause)
{
	struct textfiles_sink	*s;
	const char		*slash;
	char			*dir;
	int			 dirfd;

	if ((slash = strrchr(prefix, '/')) == NULL)
		dir = xstrdup(".");
	else if (slash == prefix)
		dir = xstrdup("/");
	else
		xasprintf(&dir, "%.*s", (int)(slash - prefix), prefix);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd == -1 || access(dir, W_OK | X_OK) != 0) {
		xasprintf(cause, "saveAsTextFiles: %s: %s", dir,
		    strerror(errno));
		if (dirfd != -1)
			close(dirfd);
		free(dir);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->sink.kind = &sink_textfiles;
	s->sink.format = format;
	s->sink.stamp = stamp;
	s->prefix = xstrdup(prefix);
	s->suffix = suffix != NULL ? xstrdup(suffix) : NULL;
	s->dir = dir;
	s->base = slash != NULL ? s->prefix + (slash - prefix) + 1 :
	    s->prefix;
	s->dirfd = dirfd;
	s->fd = -1;
	return &s->sink;
}

static struct sink *
textfiles_open(const struct sink_kind *kind, const char *dest,
    enum out_format format, bool stamp, char **cause)
{
	return sink_textfiles_open(dest, NULL, format, stamp, cause);
}

const struct sink_kind sink_textfiles = {
	.name = "textfiles",
	.open = textfiles_open,
	.begin = textfiles_begin,
	.row = textfiles_row,
	.commit = textfiles_commit,
	.flush_ended = textfiles_flush_ended,
	.save = textfiles_save,
	.load = textfiles_load,
	.close = textfiles_close
};
