/*
 * file.c - the file destination (-o FILE): the run's rows appended to a
 * file dstream owns, in the -f format, made durable batch by batch.
 *
 * The file is opened for appending (created 0666 less the umask when
 * missing) by sink_open, which main calls through engine_output only
 * once the command line has passed every usage check, so a usage error
 * never creates it.  Rows are formatted (format.h) into a buffer and
 * written at commit, which then fsyncs the file: commit is the batch's
 * durability point.  A batch larger than the buffer goes out in pieces
 * before its commit; a batch begun and not committed is cut off the
 * file again by close (ftruncate back to the end of the last commit).
 * While held (sink_hold: the standing content of a regular file is
 * read), commits are gathered and flush_ended writes and fsyncs them at
 * once, as stdout gathers its writes.
 *
 * A write or fsync error (disk full) is reported once, naming the file,
 * and every later call fails: the run ends with status 1, and close
 * cuts the file back to the end of the last commit made durable, so it
 * never ends in part of a batch or of a line.
 *
 * Two runs appending to one file (sink_file_lock): runs without
 * --checkpoint may share it (each holds a shared lock; O_APPEND keeps
 * their writes whole); a run with --checkpoint takes it alone (own: an
 * exclusive lock), since its resume cuts the file back, and a second
 * run naming that file is refused at start, either way.
 *
 * Checkpoints: save records the file's length after the last commit
 * (the bytes dstream has made durable); load, on resume, cuts the file
 * back to that length when it is longer (a batch written after the
 * checkpoint will be written again) and refuses a file shorter than it
 * (something else changed it), so the file's content is exactly-once.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dstream.h"
#include "../state/snap.h"
#include "format.h"
#include "sink.h"

#define FILE_OUT	(256 * 1024)	/* written at this much */

struct file_sink {
	struct sink	 sink;
	char		*path;
	int		 fd;
	struct buf	 b;		/* formatted, not yet written */
	uint64_t	 len;		/* bytes in the file: ours and before */
	uint64_t	 cend;		/* file offset where the last commit ends */
	uint64_t	 synced;	/* ... up to which the file is fsynced */
	bool		 failed;	/* an error was reported */
};

/* Reports WHAT failing on the file with errno, once; returns -1. */
static int
file_fail(struct file_sink *s, const char *what)
{
	if (!s->failed)
		fprintf(stderr, "%s: %s: %s: %s\n", progname, s->path, what,
		    strerror(errno));
	s->failed = true;
	return -1;
}

/*
 * Writes b[0..n) to the file whole, retrying on EINTR, and keeps what
 * follows in the buffer.  Returns 0, or -1 after reporting the error.
 */
static int
file_write_head(struct file_sink *s, size_t n)
{
	const char	*p = s->b.p;
	size_t		 left = n;
	ssize_t		 w;

	if (s->failed)
		return -1;
	while (left > 0) {
		w = write(s->fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return file_fail(s, "write error");
		}
		p += w;
		left -= (size_t)w;
		s->len += (uint64_t)w;
	}
	if (n > 0) {
		s->b.len -= n;
		memmove(s->b.p, s->b.p + n, s->b.len + 1);
	}
	return 0;
}

/*
 * Makes everything up to the last commit durable: writes it out and
 * fsyncs the file.  Returns 0 or -1 (reported).  Files that cannot be
 * synced (a device, a pipe: EINVAL) are written only.
 */
static int
file_sync(struct file_sink *s)
{
	if (s->failed)
		return -1;
	if (s->cend > s->len &&
	    file_write_head(s, (size_t)(s->cend - s->len)) != 0)
		return -1;
	if (s->synced == s->cend)
		return 0;
	while (fsync(s->fd) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EINVAL || errno == ENOTSUP || errno == EROFS)
			break;
		return file_fail(s, "fsync");
	}
	s->synced = s->cend;
	return 0;
}

static int
file_begin(struct sink *sk, int64_t end_ms)
{
	struct file_sink	*s = (struct file_sink *)sk;

	if (s->failed)
		return -1;
	if (s->b.cap == 0)
		buf_grow(&s->b, FILE_OUT + 1024);
	format_begin(&s->b, sk->format, end_ms);
	return 0;
}

/* Formats V into the buffer; writes the buffer out once it is full. */
static int
file_row(struct sink *sk, const struct value *v, int64_t end_ms)
{
	struct file_sink	*s = (struct file_sink *)sk;

	if (s->failed)
		return -1;
	format_line(&s->b, sk->format, v, end_ms, sk->stamp);
	if (s->b.len >= FILE_OUT)
		return file_write_head(s, s->b.len);
	return 0;
}

/*
 * The batch is complete: writes it and fsyncs the file, or while held
 * only marks it (flush_ended makes it durable).
 */
static int
file_commit(struct sink *sk, int64_t end_ms)
{
	struct file_sink	*s = (struct file_sink *)sk;

	if (s->failed)
		return -1;
	format_end(&s->b, sk->format, sk->cut);
	sk->cut = false;
	s->cend = s->len + s->b.len;
	if (sk->held) {
		if (s->b.len >= FILE_OUT)
			return file_write_head(s, s->b.len);
		return 0;
	}
	return file_sync(s);
}

static int
file_flush_ended(struct sink *sk)
{
	return file_sync((struct file_sink *)sk);
}

/* The length of the file after the last commit. */
static int
file_save(struct sink *sk, struct buf *b)
{
	struct file_sink	*s = (struct file_sink *)sk;

	snap_put_u64(b, s->cend);
	return 0;
}

/*
 * Brings the file back to the saved length: cut back when longer,
 * refused when shorter.  Called before the first batch of a resumed run.
 */
static int
file_load(struct sink *sk, struct snap_rd *r)
{
	struct file_sink	*s = (struct file_sink *)sk;
	struct stat		 st;
	uint64_t		 want, have;

	if (snap_get_u64(r, &want) != 0)
		return -1;
	if (fstat(s->fd, &st) != 0)
		return snap_fail(r, "output %s: %s", s->path,
		    strerror(errno));
	/* A device or a pipe (/dev/null) has no length to go back to. */
	if (!S_ISREG(st.st_mode))
		return 0;
	have = (uint64_t)st.st_size;
	if (have < want)
		return snap_fail(r, "output %s is %" PRIu64 " bytes, shorter "
		    "than the %" PRIu64 " the checkpoint recorded: it was "
		    "changed behind dstream's back (restore it, or remove "
		    "the checkpoint to start afresh)", s->path, have, want);
	if (have > want) {
		if (ftruncate(s->fd, (off_t)want) != 0)
			return snap_fail(r, "output %s: cannot cut it back to "
			    "%" PRIu64 " bytes: %s", s->path, want,
			    strerror(errno));
		if (fsync(s->fd) != 0 && errno != EINVAL)
			return snap_fail(r, "output %s: fsync: %s", s->path,
			    strerror(errno));
	}
	s->b.len = 0;
	s->len = s->cend = s->synced = want;
	return 0;
}

/*
 * Drops a batch begun and not committed (cutting what of it was written
 * off the file again), and frees the sink.  After a write or fsync error
 * the file is cut back to what was made durable (synced): the failed
 * write may have left part of a line, and commits gathered while held
 * were never all written.
 */
static void
file_close(struct sink *sk)
{
	struct file_sink	*s = (struct file_sink *)sk;
	uint64_t		 keep = s->failed ? s->synced : s->cend;

	if (s->len > keep)
		(void)ftruncate(s->fd, (off_t)keep);
	close(s->fd);
	buf_free(&s->b);
	format_free();
	free(s->path);
	free(s);
}

int
sink_file_lock(int fd, const char *what, const char *path, bool exclusive,
    char **cause)
{
	struct stat	 st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 ||
	    errno != EWOULDBLOCK)
		return 0;
	if (exclusive)
		xasprintf(cause, "%s %s: another dstream run writes it; with "
		    "--checkpoint a run owns the file (a resume cuts it back "
		    "to the checkpoint's length, which would cut the other "
		    "run's lines off): give each run its own file", what,
		    path);
	else
		xasprintf(cause, "%s %s: a dstream run with --checkpoint "
		    "owns it (its resume cuts the file back to its "
		    "checkpoint, which would cut this run's lines off): give "
		    "each run its own file", what, path);
	return -1;
}

/* --checkpoint: the file is this run's alone (sink_file_lock). */
static int
file_own(struct sink *sink, char **cause)
{
	struct file_sink	*s = (struct file_sink *)sink;

	return sink_file_lock(s->fd, "-o", s->path, true, cause);
}

static struct sink *
file_open(const struct sink_kind *kind, const char *dest,
    enum out_format format, bool stamp, char **cause)
{
	struct file_sink	*s;
	struct stat		 st;
	int			 fd;

	if (stat(dest, &st) == 0 && S_ISDIR(st.st_mode)) {
		xasprintf(cause, "-o %s: %s", dest, strerror(EISDIR));
		return NULL;
	}
	fd = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd == -1) {
		xasprintf(cause, "-o %s: %s", dest, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		xasprintf(cause, "-o %s: %s", dest, strerror(errno));
		close(fd);
		return NULL;
	}
	if (sink_file_lock(fd, "-o", dest, false, cause) != 0) {
		close(fd);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->sink.kind = kind;
	s->sink.format = format;
	s->sink.stamp = stamp;
	s->path = xstrdup(dest);
	s->fd = fd;
	s->len = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	s->cend = s->synced = s->len;
	return &s->sink;
}

const struct sink_kind sink_file = {
	.name = "file",
	.open = file_open,
	.begin = file_begin,
	.row = file_row,
	.commit = file_commit,
	.flush_ended = file_flush_ended,
	.save = file_save,
	.load = file_load,
	.own = file_own,
	.close = file_close
};
