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
	framer_finish(&f->fr, src);
	/* Ended: its descriptor and buffer go at once. */
	if (f->lazy)
		file_shut(f);
	return r < 0 ? -1 : SRC_DONE;
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

const struct source_kind source_file = {
	.scheme = "",
	.open = file_open,
	.fds = file_fds,
	.ready = file_ready,
	.close = file_close,
	.lines = file_lines,
};
