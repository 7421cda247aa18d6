/*
 * file.c - stdin and files, read in order as one stream.
 *
 * A regular file is read whole as it stands when opened: what it holds
 * then arrived at that moment, so the engine keeps it in the batch open
 * at open time however long the reading takes (src->regular).  Pipes and
 * terminals are polled and their lines arrive when they are read.
 *
 * A regular file named by -i is opened when it is first read, not at
 * start, and closed at its end, so that any number of files can be read
 * one after another (-i with thousands of files).  At start it is only
 * checked (stat, access): a file that is missing or unreadable is still
 * an error before anything is read.  In event time the engine reads the
 * files by turns; at most file_open_max() of them are open at once: the
 * one read longest ago is closed, and reopened where it stopped when its
 * turn comes again (the bytes of a partial line are read again).
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dstream.h"
#include "../state/snap.h"
#include "source.h"

struct file_src {
	int		 fd;		/* -1 while a lazy file is closed */
	bool		 is_stdin;
	bool		 lazy;		/* a regular file opened when read */
	char		*path;		/* its path (meta.file; a lazy file's
					 * to reopen) */
	bool		 opened;	/* it has been opened once */
	dev_t		 dev;		/* the file it was, then */
	ino_t		 ino;
	struct file_pos	 id;		/* ... and its head, for checkpoints */
	/*
	 * A resumed run finishing the file that was rotated away while
	 * dstream was stopped (path, its new name): the files to read next,
	 * each from its start, in order: those rotated after it that were
	 * never read (filepos_after), then the input's own path.  NULL
	 * otherwise.
	 */
	char		**then;
	size_t		 nthen;
	uint64_t	 resume;	/* where to read on when reopened */
	struct framer	 fr;
	/* The open lazy files, the one read last first. */
	struct file_src	*newer, *older;
};

/* The open lazy files: the one read last, the one read longest ago. */
static struct file_src	*file_newest, *file_oldest;
static int		 file_nopen;

/*
 * Returns how many lazy files may be open at once: an eighth of the
 * descriptor limit, between 4 and 64, leaving the rest to sockets,
 * clients and the outputs.
 */
static int
file_open_max(void)
{
	static int	 max;
	struct rlimit	 rl;

	if (max == 0) {
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY)
			max = rl.rlim_cur / 8 > 64 ? 64 : (int)(rl.rlim_cur / 8);
		else
			max = 64;
		if (max < 4)
			max = 4;
	}
	return max;
}

/* Takes F out of the list of open lazy files. */
static void
file_unlist(struct file_src *f)
{
	if (f->newer != NULL)
		f->newer->older = f->older;
	else
		file_newest = f->older;
	if (f->older != NULL)
		f->older->newer = f->newer;
	else
		file_oldest = f->newer;
	f->newer = f->older = NULL;
	file_nopen--;
}

/* Puts F first in the list of open lazy files (it is read now). */
static void
file_list_first(struct file_src *f)
{
	if (file_newest == f)
		return;
	if (f->newer != NULL || f->older != NULL || file_oldest == f)
		file_unlist(f);
	f->older = file_newest;
	if (file_newest != NULL)
		file_newest->newer = f;
	file_newest = f;
	if (file_oldest == NULL)
		file_oldest = f;
	file_nopen++;
}

/*
 * Closes the lazy file F and frees its read buffer; it reads on from
 * where it stopped when reopened.
 */
static void
file_shut(struct file_src *f)
{
	if (f->fd < 0)
		return;
	file_unlist(f);
	close(f->fd);
	f->fd = -1;
	f->resume = framer_drop(&f->fr);
}

/*
 * Opens the lazy file F, at the place where it stopped, closing the
 * one read longest ago when too many are open.  Returns 0, or -1 after
 * saying why (the run stops: the file went away, or was replaced while
 * closed).
 */
static int
file_reopen(struct file_src *f)
{
	struct stat	 st;
	const char	*why = NULL;
	int		 fd;

	while (file_nopen >= file_open_max() && file_oldest != NULL)
		file_shut(file_oldest);
	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, f->path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "no longer a regular file";
	else if (f->opened && (st.st_dev != f->dev || st.st_ino != f->ino))
		why = "replaced while it was closed (more files are read "
		    "at once than may be open)";
	else if (f->resume > 0 &&
	    lseek(fd, (off_t)f->resume, SEEK_SET) == (off_t)-1)
		why = strerror(errno);
	if (why != NULL) {
		fprintf(stderr, "%s: %s: %s\n", progname, f->path, why);
		close(fd);
		return -1;
	}
	if (!f->opened && filepos_ident(&f->id, f->path, fd) != 0 &&
	    errno != 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, f->path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	f->opened = true;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->fd = fd;
	file_list_first(f);
	return 0;
}

static int
file_open(struct source *src, const char *spec, char **cause)
{
	struct file_src	*f;
	struct stat	 st;
	int		 fd = -1;
	bool		 is_stdin = strcmp(spec, "-") == 0, lazy = false;

	/* --follow: follow.c takes regular files and files yet to come. */
	if (src->cfg->follow && !is_stdin &&
	    (fd = follow_open(src, spec, cause)) != 1)
		return fd;
	/* A regular file is only checked now: opened when read. */
	if (!is_stdin && stat(spec, &st) == 0 && S_ISREG(st.st_mode)) {
		if (access(spec, R_OK) != 0) {
			xasprintf(cause, "%s: %s", spec, strerror(errno));
			return -1;
		}
		lazy = true;
	} else if (is_stdin)
		fd = STDIN_FILENO;
	else if ((fd = open(spec, O_RDONLY | O_CLOEXEC)) < 0) {
		xasprintf(cause, "%s: %s", spec, strerror(errno));
		return -1;
	}
	if (!lazy && fstat(fd, &st) != 0) {
		xasprintf(cause, "%s: %s", src->name, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode) && is_stdin) {
		xasprintf(cause, "%s: is a directory", src->name);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		xasprintf(cause, "%s: is a directory (use dir://%s to watch "
		    "a folder)", src->name, spec);
		goto fail;
	}
	f = xcalloc(1, sizeof *f);
	f->fd = fd;
	f->is_stdin = is_stdin;
	f->lazy = lazy;
	f->path = xstrdup(spec);
	src->meta.file = is_stdin ? "-" : f->path;
	framer_init(&f->fr, src->cfg->max_line, NULL);
	src->priv = f;
	src->finite = true;
	src->regular = S_ISREG(st.st_mode);
	return 0;
fail:
	if (!is_stdin && fd >= 0)
		close(fd);
	return -1;
}

/* A regular file is always ready: only pipes and terminals are polled. */
static int
file_fds(struct source *src, struct pollfd *pfd, int max, int *timeout_ms)
{
	struct file_src	*f = src->priv;

	if (max < 1 || src->regular)
		return 0;
	pfd[0].fd = f->fd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	return 1;
}

static int
file_ready(struct source *src, struct pollfd *pfd, int n)
{
	struct file_src	*f = src->priv;
	ssize_t		 r;

	if (!src->regular && (n < 1 || pfd[0].revents == 0))
		return src->state;
	if (f->lazy) {
		if (f->fd < 0 && file_reopen(f) != 0)
			return -1;
		file_list_first(f);
	}
	r = framer_read(&f->fr, src, f->fd);
	if (r > 0)
		return SRC_LIVE;
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return SRC_LIVE;
	if (r < 0)
		fprintf(stderr, "%s: %s: read error: %s\n", progname,
		    src->name, strerror(errno));
	/*
	 * An unterminated last line is delivered at the end, except a
	 * file's in a checkpointed run (not --final): a writer may still be
	 * adding to it, and the next run reads it whole from the position
	 * kept.  A file rotated away is complete; a pipe has ended, and
	 * keeps no position.
	 */
	if (!src->regular || src->cfg->checkpoint == NULL ||
	    src->cfg->final || f->nthen > 0)
		framer_finish(&f->fr, src);
	/* Ended: its descriptor and buffer go at once. */
	if (f->lazy)
		file_shut(f);
	if (r == 0 && f->nthen > 0) {
		/* The rotated file is done: now the next one. */
		free(f->path);
		f->path = f->then[0];
		memmove(f->then, f->then + 1, --f->nthen * sizeof *f->then);
		if (f->nthen == 0) {
			free(f->then);
			f->then = NULL;
		}
		src->meta.file = f->path;
		f->opened = false;
		f->resume = 0;
		framer_free(&f->fr);
		framer_init(&f->fr, src->cfg->max_line, NULL);
		return SRC_LIVE;
	}
	return r < 0 ? -1 : SRC_DONE;
}

/*
 * A signal stops the run: a pipe's (or a terminal's) unterminated last
 * line is delivered as a record, as at its end: dstream reads no more of
 * it, and a pipe keeps no position for a next run.  A regular file's
 * stays unread: the read, not the writer, may have cut it.
 */
static void
file_stop(struct source *src)
{
	struct file_src	*f = src->priv;

	if (f != NULL && !src->regular && f->fd != -1)
		framer_finish(&f->fr, src);
}

/*
 * The position: none for stdin and pipes; else the file's identity
 * (taken when first opened) and the offset after its last whole line.
 */
static int
file_save(struct source *src, struct buf *b)
{
	struct file_src	*f = src->priv;
	struct file_pos	 p;
	struct stat	 st;

	snap_put_bool(b, f->lazy);
	if (!f->lazy)
		return 0;
	memset(&p, 0, sizeof p);
	if (f->opened) {
		p = f->id;
		if (f->fd >= 0 && fstat(f->fd, &st) == 0)
			p.size = (uint64_t)st.st_size;
	} else
		p.path = f->path;
	p.offset = f->fr.offset;
	p.line = f->fr.line;
	filepos_put(b, &p);
	return 0;
}

/* Whether ST is the file of ARG, a file_pos (SKIP of filepos_after). */
static bool
file_is_pos(void *arg, const struct stat *st)
{
	const struct file_pos	*p = arg;

	return (uint64_t)st->st_dev == p->dev && (uint64_t)st->st_ino == p->ino;
}

/*
 * Sets the files read after F's path: those rotated after a file
 * modified at AFTER that were never read (rotated twice while dstream
 * was stopped), save the file of P, then the input's own path SPEC
 * (taken).
 */
static void
file_then(struct source *src, const struct timespec *after,
    const struct file_pos *p, char *spec)
{
	struct file_src		*f = src->priv;
	struct filepos_gen	*g = NULL;
	size_t			 n = 0, i;

	if (after->tv_sec >= 0)
		n = filepos_after(spec, after, file_is_pos, (void *)p, &g);
	f->then = xreallocarray(NULL, n + 1, sizeof *f->then);
	for (i = 0; i < n; i++) {
		fprintf(stderr, "%s: %s: rotated again while dstream was "
		    "stopped: reading %s whole before %s\n", progname,
		    src->name, g[i].path, spec);
		f->then[i] = g[i].path;
		g[i].path = NULL;
	}
	f->then[n] = spec;
	f->nthen = n + 1;
	filepos_gens_free(g, n);
}

/*
 * Goes on from the saved position: at the offset in the same file, or
 * in the file it was rotated (or copied by copytruncate) to first
 * (filepos_find), then in those rotated after it; from the start when
 * it was truncated or replaced (reported).  When it is gone, truncated
 * or replaced, the files rotated after the checkpoint are read before
 * the path.
 */
static int
file_load(struct source *src, struct snap_rd *r)
{
	struct file_src	*f = src->priv;
	struct file_pos	 p;
	struct timespec	 after;
	struct stat	 st;
	bool		 had;
	char		*rot;

	if (snap_get_bool(r, &had) == -1)
		return -1;
	if (!had)
		return 0;
	if (!f->lazy)
		return snap_fail(r, "input %s was a regular file, now it is "
		    "not", src->name);
	if (filepos_get(r, &p) == -1)
		return -1;
	switch (filepos_find(&p, f->path, src->name, &rot)) {
	case FILEPOS_ROTATED:
		after.tv_sec = -1;
		if (stat(rot, &st) == 0) {
			after = st.st_mtim;
			p.dev = (uint64_t)st.st_dev;	/* a copy's own */
			p.ino = (uint64_t)st.st_ino;
		}
		file_then(src, &after, &p, f->path);
		f->path = rot;
		src->meta.file = f->path;
		/* FALLTHROUGH */
	case FILEPOS_SAME:
		if (p.dev == 0 && p.ino == 0)
			break;
		f->opened = true;
		f->dev = (dev_t)p.dev;
		f->ino = (ino_t)p.ino;
		filepos_free(&f->id);
		f->id = p;
		f->id.path = xstrdup(f->path);
		f->resume = f->fr.offset = p.offset;
		f->fr.line = p.line;
		break;
	case FILEPOS_GONE:
	case FILEPOS_TRUNCATED:
	case FILEPOS_REPLACED:
		/* Its successors were made after the checkpoint. */
		if (src->saved_ms <= 0)
			break;
		after.tv_sec = src->saved_ms / 1000;
		after.tv_nsec = src->saved_ms % 1000 * 1000000;
		file_then(src, &after, &p, f->path);
		if (f->nthen == 1) {	/* none: the path alone */
			free(f->then);
			f->then = NULL;
			f->nthen = 0;
			break;
		}
		f->path = f->then[0];
		memmove(f->then, f->then + 1, --f->nthen * sizeof *f->then);
		src->meta.file = f->path;
		break;
	default:
		break;
	}
	filepos_free(&p);
	return 0;
}

static void
file_close(struct source *src)
{
	struct file_src	*f = src->priv;

	if (f == NULL)
		return;
	if (f->lazy)
		file_shut(f);
	else if (!f->is_stdin)
		close(f->fd);
	framer_free(&f->fr);
	free(f->path);
	while (f->nthen > 0)
		free(f->then[--f->nthen]);
	free(f->then);
	filepos_free(&f->id);
	free(f);
	src->priv = NULL;
}

/* Lines delivered so far (a cut line held in the buffer is not one). */
static uint64_t
file_lines(const struct source *src)
{
	const struct file_src	*f = src->priv;

	return f != NULL ? f->fr.line : 0;
}

/* How far back file_last_line looks for the last whole line. */
#define FILE_TAIL	65536

/*
 * The last whole line of a regular file read by path (the one read last
 * when a rotated file is finished first), as it stands now, into B.
 */
static int
file_last_line(struct source *src, struct buf *b)
{
	struct file_src	*f = src->priv;
	const char	*path, *p, *nl, *start;
	struct stat	 st;
	size_t		 n, got = 0, len;
	ssize_t		 r;
	off_t		 from;
	int		 fd, rc = 0;

	if (!f->lazy)
		return 0;
	path = f->nthen > 0 ? f->then[f->nthen - 1] : f->path;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		goto out;
	n = st.st_size < FILE_TAIL ? (size_t)st.st_size : FILE_TAIL;
	from = st.st_size - (off_t)n;
	buf_reset(b);
	buf_grow(b, n);
	while (got < n) {
		r = pread(fd, b->p + got, n - got, from + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		got += (size_t)r;
	}
	/* The line ends at the last newline and starts after the one before. */
	if ((nl = memrchr(b->p, '\n', n)) == NULL)
		goto out;
	p = memrchr(b->p, '\n', (size_t)(nl - b->p));
	if (p == NULL && from > 0)
		goto out;		/* longer than we look back */
	start = p != NULL ? p + 1 : b->p;
	len = (size_t)(nl - start);
	if (len > 0 && start[len - 1] == '\r')
		len--;
	if (len > src->cfg->max_line)
		goto out;		/* the framer skips it */
	memmove(b->p, start, len);
	b->len = len;
	rc = 1;
out:
	close(fd);
	return rc;
}

const struct source_kind source_file = {
	.scheme = "",
	.open = file_open,
	.fds = file_fds,
	.ready = file_ready,
	.close = file_close,
	.stop = file_stop,
	.lines = file_lines,
	.save = file_save,
	.load = file_load,
	.last_line = file_last_line,
};
