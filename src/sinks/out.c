/*
 * out.c - dstream's standard output: one buffer, written with write(2)
 * on descriptor 1 at every batch end and whenever it holds 64 KiB.
 *
 * Every byte dstream prints as a result goes through out_write, and the
 * sink calls out_batch_end at each batch end, so a reader downstream sees
 * a batch as soon as it is complete.  The one exception is out_hold:
 * while the engine reads the standing content of a regular file, batches
 * end far faster than anyone could watch, and their results go out in
 * 256 KiB writes instead (out_flush_batches writes what ended batches
 * left before the engine may wait for input).
 * Writing with write(2) rather than
 * stdio lets the failure be seen where it happens: a write error (disk
 * full) is reported once and makes every later call fail, so the run
 * ends with status 1 and nothing (checkpoint included) is advanced; a
 * closed pipe ends the process by SIGPIPE, quietly, as any filter does.
 * A non-blocking stdout is waited on with poll(2): output applies
 * backpressure, it never grows without bound.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../dstream.h"
#include "sink.h"

#define OUT_SIZE	(64 * 1024)	/* written at this much, as a rule */
#define OUT_HELD	(256 * 1024)	/* ... and while held (out_hold) */
#define OUT_PIPE	(1024 * 1024)	/* the pipe size asked for */

static struct buf out_b;	/* written out once it holds out_limit */
static size_t	 out_limit = OUT_SIZE;
static bool	 out_held;
static size_t	 out_ended;	/* out_b[0..out_ended) is of ended batches */
static int	 out_failed;	/* a write error was reported */

/*
 * The reader went away.  Dies of SIGPIPE with the default action, so a
 * shell sees an ordinary pipe closure; if the signal cannot be delivered
 * the exit is still quiet.
 */
static void
out_epipe(void)
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
out_write_fd(const char *p, size_t n)
{
	static int	 piped = -1;
	struct pollfd	 pfd;
	struct stat	 st;
	ssize_t		 w;

	if (piped == -1) {
		/*
		 * A pipe of the default 64 KiB makes the writer wait for the
		 * reader at every buffer; a larger one (where the system
		 * allows it) lets both run.  Failing to grow it is harmless.
		 */
		piped = fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode);
#ifdef F_SETPIPE_SZ
		if (piped && fcntl(STDOUT_FILENO, F_GETPIPE_SZ) < OUT_PIPE)
			(void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, OUT_PIPE);
#endif
	}
	if (out_failed)
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
			out_epipe();
		goto fail;
	}
	return 0;

fail:
	fprintf(stderr, "%s: write error: %s\n", progname, strerror(errno));
	out_failed = 1;
	return -1;
}

struct buf *
out_buf(void)
{
	if (out_failed)
		return NULL;
	if (out_b.cap == 0)
		buf_grow(&out_b, OUT_SIZE + 1024);
	return &out_b;
}

int
out_done(void)
{
	if (out_failed)
		return -1;
	if (out_b.len >= out_limit)
		return out_flush();
	return 0;
}

void
out_hold(bool on)
{
	out_held = on;
	out_limit = on ? OUT_HELD : OUT_SIZE;
}

int
out_batch_end(void)
{
	out_ended = out_b.len;
	return out_held ? out_done() : out_flush();
}

/* Writes out_b[0..n) and keeps what follows (the batch in hand). */
static int
out_write_head(size_t n)
{
	int	 rc;

	if (out_failed)
		return -1;
	if (n == 0)
		return 0;
	rc = out_write_fd(out_b.p, n);
	out_b.len -= n;
	memmove(out_b.p, out_b.p + n, out_b.len + 1);
	out_ended = 0;
	if (out_b.len == 0 && out_b.cap > 4 * OUT_HELD)
		buf_free(&out_b);	/* a huge record is gone: give it back */
	return rc;
}

int
out_flush_batches(void)
{
	return out_write_head(out_ended);
}

int
out_write(const void *p, size_t n)
{
	struct buf	*b;

	if ((b = out_buf()) == NULL)
		return -1;
	buf_add(b, p, n);
	return out_done();
}

int
out_flush(void)
{
	return out_write_head(out_b.len);
}
