/*
 * file.c - stdin and files, read in order as one stream.
 *
 * A regular file is read whole as it stands when opened: what it holds
 * then arrived at that moment, so the engine keeps it in the batch open
 * at open time however long the reading takes (src->regular).  Pipes and
 * terminals are polled and their lines arrive when they are read.
 */
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
	int		 fd;
	bool		 is_stdin;
	struct framer	 fr;
};

static int
file_open(struct source *src, const char *spec, char **cause)
{
	struct file_src	*f;
	struct stat	 st;
	int		 fd;
	bool		 is_stdin = strcmp(spec, "-") == 0;

	/* --follow: follow.c takes regular files and files yet to come. */
	if (src->cfg->follow && !is_stdin &&
	    (fd = follow_open(src, spec, cause)) != 1)
		return fd;
	if (is_stdin)
		fd = STDIN_FILENO;
	else if ((fd = open(spec, O_RDONLY | O_CLOEXEC)) < 0) {
		xasprintf(cause, "%s: %s", spec, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
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
	framer_init(&f->fr, src->cfg->max_line, NULL);
	src->priv = f;
	src->finite = true;
	src->regular = S_ISREG(st.st_mode);
	return 0;
fail:
	if (!is_stdin)
		close(fd);
	return -1;
}

static int
file_fds(struct source *src, struct pollfd *pfd, int max, int *timeout_ms)
{
	struct file_src	*f = src->priv;

	if (max < 1)
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
	r = framer_read(&f->fr, src, f->fd);
	if (r > 0)
		return SRC_LIVE;
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return SRC_LIVE;
	if (r < 0)
		fprintf(stderr, "%s: %s: read error: %s\n", progname,
		    src->name, strerror(errno));
	framer_finish(&f->fr, src);
	return r < 0 ? -1 : SRC_DONE;
}

static void
file_close(struct source *src)
{
	struct file_src	*f = src->priv;

	if (f == NULL)
		return;
	if (!f->is_stdin)
		close(f->fd);
	framer_free(&f->fr);
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
