/*
 * stdout.c - the stdout destination: one buffer, written with write(2)
 * on descriptor 1 at every commit and whenever it holds 64 KiB.
 *
 * Rows are formatted (format.h) straight into the buffer, so a reader
 * downstream sees a batch as soon as it is committed.  The one exception
 * is the hold (sink_hold): while the engine reads the standing content
 * of a regular file, batches end far faster than anyone could watch, and
 * their rows go out in 256 KiB writes instead (flush_ended writes what
 * committed batches left before the engine may wait for input).
 * Writing with write(2) rather than stdio lets the failure be seen where
 * it happens: a write error (disk full) is reported once and makes every
 * later call fail, so the run ends with status 1 and nothing (checkpoint
 * included) is advanced; a closed pipe ends the process by SIGPIPE,
 * quietly, as any filter does.  A non-blocking stdout is waited on with
 * poll(2): output applies backpressure, it never grows without bound.
 *
 * stdout is at-least-once: it has no position to save or load, and after
 * a crash the last batch not covered by a checkpoint may be written
 * again (its stamp tells it apart).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dstream.h"
#include "format.h"
#include "sink.h"

#define OUT_SIZE	(64 * 1024)	/* written at this much, as a rule */
#define OUT_HELD	(256 * 1024)	/* ... and while held (sink_hold) */
#define OUT_PIPE	(1024 * 1024)	/* the pipe size asked for */

struct stdout_sink {
	struct sink	 sink;
	struct buf	 b;		/* written out once it holds OUT_SIZE */
	size_t		 ended;		/* b[0..ended) is of committed batches */
	bool		 failed;	/* a write error was reported */
	int		 piped;		/* stdout is a pipe (-1: not asked yet) */
};

/*
 * The reader went away.  Dies of SIGPIPE with the default action, so a
 * shell sees an ordinary pipe closure; if the signal cannot be delivered
 * the exit is still quiet.
 */
static void
stdout_epipe(void)
{
	sigset_t	 set;

	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(SIGPIPE);
	_exit(128 + SIGPIPE);
}

/*
 * Writes P[0..n) to descriptor 1 whole, retrying on EINTR and waiting
 * for POLLOUT on EAGAIN.  Returns 0, or -1 after reporting the error (the
 * first time only).  Does not return on EPIPE.
 */
static int
stdout_write_fd(struct stdout_sink *s, const char *p, size_t n)
{
	struct pollfd	 pfd;
	struct stat	 st;
	ssize_t		 w;

	if (s->piped == -1) {
		/*
		 * A pipe of the default 64 KiB makes the writer wait for the
		 * reader at every buffer; a larger one (where the system
		 * allows it) lets both run.  Failing to grow it is harmless.
		 */
		s->piped = fstat(STDOUT_FILENO, &st) == 0 &&
		    S_ISFIFO(st.st_mode);
#ifdef F_SETPIPE_SZ
		if (s->piped && fcntl(STDOUT_FILENO, F_GETPIPE_SZ) < OUT_PIPE)
			(void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, OUT_PIPE);
#endif
	}
	if (s->failed)
		return -1;
	while (n > 0) {
		w = write(STDOUT_FILENO, p, n);
		if (w >= 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			pfd.fd = STDOUT_FILENO;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
				goto fail;
			continue;
		}
		if (errno == EPIPE)
			stdout_epipe();
		goto fail;
	}
	return 0;

fail:
	fprintf(stderr, "%s: stdout: write error: %s\n", progname,
	    strerror(errno));
	s->failed = true;
	return -1;
}

/* Writes b[0..n) and keeps what follows (the batch in hand). */
static int
stdout_write_head(struct stdout_sink *s, size_t n)
{
	int	 rc;

	if (s->failed)
		return -1;
	if (n == 0)
		return 0;
	rc = stdout_write_fd(s, s->b.p, n);
	s->b.len -= n;
	memmove(s->b.p, s->b.p + n, s->b.len + 1);
	s->ended = 0;
	if (s->b.len == 0 && s->b.cap > 4 * OUT_HELD)
		buf_free(&s->b);	/* a huge record is gone: give it back */
	return rc;
}

static int
stdout_begin(struct sink *sk, int64_t end_ms)
{
	struct stdout_sink	*s = (struct stdout_sink *)sk;

	if (s->failed)
		return -1;
	if (s->b.cap == 0)
		buf_grow(&s->b, OUT_SIZE + 1024);
	format_begin(&s->b, sk->format, end_ms);
	return 0;
}

/* Formats V into the buffer; writes the buffer out once it is full. */
static int
stdout_row(struct sink *sk, const struct value *v, int64_t end_ms)
{
	struct stdout_sink	*s = (struct stdout_sink *)sk;

	if (s->failed)
		return -1;
	format_line(&s->b, sk->format, v, end_ms, sk->stamp);
	if (s->b.len >= (sk->held ? OUT_HELD : OUT_SIZE))
		return stdout_write_head(s, s->b.len);
	return 0;
}

/*
 * The batch is complete: writes the buffer out, or while held only once
 * it is full (flush_ended writes the rest before the engine waits).
 */
static int
stdout_commit(struct sink *sk, int64_t end_ms)
{
	struct stdout_sink	*s = (struct stdout_sink *)sk;

	if (s->failed)
		return -1;
	format_end(&s->b, sk->format, sk->cut);
	sk->cut = false;
	s->ended = s->b.len;
	if (sk->held && s->b.len < OUT_HELD)
		return 0;
	return stdout_write_head(s, s->b.len);
}

static int
stdout_flush_ended(struct sink *sk)
{
	struct stdout_sink	*s = (struct stdout_sink *)sk;

	return stdout_write_head(s, s->ended);
}

/* stdout is at-least-once: no position to keep. */
static int
stdout_save(struct sink *sk, struct buf *b)
{
	return 0;
}

static int
stdout_load(struct sink *sk, struct snap_rd *r)
{
	return 0;
}

/* Drops what a batch begun and not committed left, and frees the sink. */
static void
stdout_close(struct sink *sk)
{
	struct stdout_sink	*s = (struct stdout_sink *)sk;

	buf_free(&s->b);
	format_free();
	free(s);
}

static struct sink *
stdout_open(const struct sink_kind *kind, const char *dest,
    enum out_format format, bool stamp, char **cause)
{
	struct stdout_sink	*s = xcalloc(1, sizeof *s);

	s->sink.kind = kind;
	s->sink.format = format;
	s->sink.stamp = stamp;
	s->piped = -1;
	return &s->sink;
}

const struct sink_kind sink_stdout = {
	.name = "stdout",
	.open = stdout_open,
	.begin = stdout_begin,
	.row = stdout_row,
	.commit = stdout_commit,
	.flush_ended = stdout_flush_ended,
	.save = stdout_save,
	.load = stdout_load,
	.close = stdout_close
};
