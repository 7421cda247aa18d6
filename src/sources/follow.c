/*
 * follow.c - --follow: a file path followed as tail -F follows it.
 *
 * What the file holds when dstream opens it arrived then, all of it: it
 * is read whole into the batch open at that moment (src->regular holds
 * the batch clock until the first end of file).  After that, lines
 * appended arrive when they are read.  The name is followed, not the
 * open file:
 *
 *  - rename rotation (logrotate's "create"): when the path names another
 *    file, the old one is read to its end and kept open a little longer
 *    (FOLLOW_GRACE of silence) for a writer that has not reopened yet,
 *    while the new file is read from its start;
 *  - copytruncate: when the file shrinks below what was read, it is read
 *    again from its start;
 *  - a path that does not exist yet (or vanished) is waited for.
 *
 * A line left unfinished by a rotation or a truncation is delivered as a
 * record of its own, and so is the unterminated last line of a file read
 * to its end when a signal stops the run (follow_stop).  Lines are neither lost nor repeated as long as
 * dstream reads a file's end before it is truncated (copytruncate loses
 * what the writer adds between the copy and the truncation, for every
 * reader).
 *
 * The folder holding the path is watched with inotify, so appends are
 * seen at once; the path is also checked every FOLLOW_CHECK ms in case an
 * event was missed.  Without inotify (some network file systems, the
 * folder missing, or DSTREAM_NO_INOTIFY in the environment) the path is
 * polled every FOLLOW_POLL ms.  A followed input is live: it never ends.
 */
#include <sys/types.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dstream.h"
#include "../state/snap.h"
#include "source.h"

#define FOLLOW_POLL	200		/* ms between checks without inotify */
#define FOLLOW_CHECK	1000		/* ms between checks with inotify */
#define FOLLOW_GRACE	2000		/* ms a rotated file is kept open */
#define FOLLOW_READ_MAX	(1024 * 1024)	/* bytes per file per ready() */
#define FOLLOW_EVENTS	(32 * (sizeof(struct inotify_event) + NAME_MAX + 1))

/* One open file: the one at the path, or one rotated away. */
struct follow_file {
	int		 fd;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 pos;		/* bytes read */
	int64_t		 last_data;	/* ms */
	struct framer	 fr;
	struct file_pos	 id;		/* its identity, for checkpoints */
};

struct follow {
	char			*path;
	char			*dir;		/* the folder watched */
	char			*base;		/* the name in it */
	struct follow_file	 cur;
	struct follow_file	 old;
	int			 ifd;		/* inotify, or -1 */
	int64_t			 next_check;	/* ms */
	bool			 more;		/* a read stopped at its budget */
	bool			 warned;	/* "waiting for it" is out */
	bool			 errored;	/* a read error was reported */
	bool			 moved;		/* the path no longer names cur */
};

static const struct source_kind source_follow;

static void
follow_file_open(struct source *src, struct follow_file *f, int fd,
    const struct stat *sb)
{
	f->fd = fd;
	f->dev = sb->st_dev;
	f->ino = sb->st_ino;
	f->pos = 0;
	f->last_data = clock_now_ms();
	framer_init(&f->fr, src->cfg->max_line, NULL);
	memset(&f->id, 0, sizeof f->id);
	(void)filepos_ident(&f->id, ((struct follow *)src->priv)->path, fd);
}

/* Closes F, delivering its unfinished last line first. */
static void
follow_file_close(struct source *src, struct follow_file *f)
{
	if (f->fd == -1)
		return;
	framer_finish(&f->fr, src);
	framer_free(&f->fr);
	filepos_free(&f->id);
	close(f->fd);
	f->fd = -1;
}

/*
 * Tries to open the file at the path as the current one.  Returns 0 when
 * it is open, -1 when there is none (yet), or when it is not a regular
 * file.
 */
static int
follow_attach(struct source *src)
{
	struct follow	*fo = src->priv;
	struct stat	 sb;
	int		 fd;

	fd = open(fo->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -1;
	}
	follow_file_open(src, &fo->cur, fd, &sb);
	return 0;
}

/* Starts watching the folder.  Returns 0, or -1 to poll instead. */
static int
follow_watch(struct follow *fo)
{
	if (getenv("DSTREAM_NO_INOTIFY") != NULL)
		return -1;
	if (fo->ifd == -1)
		fo->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fo->ifd == -1)
		return -1;
	if (inotify_add_watch(fo->ifd, fo->dir, IN_MODIFY | IN_CREATE |
	    IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB |
	    IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF |
	    IN_ONLYDIR) == -1) {
		close(fo->ifd);
		fo->ifd = -1;
		return -1;
	}
	return 0;
}

int
follow_open(struct source *src, const char *spec, char **cause)
{
	struct follow	*fo;
	struct stat	 sb;
	const char	*slash;

	if (stat(spec, &sb) == 0 && !S_ISREG(sb.st_mode))
		return 1;	/* a pipe, a device, a folder: not followed */

	fo = xcalloc(1, sizeof *fo);
	fo->path = xstrdup(spec);
	src->meta.file = fo->path;
	if ((slash = strrchr(spec, '/')) == NULL) {
		fo->dir = xstrdup(".");
		fo->base = xstrdup(spec);
	} else {
		fo->dir = slash == spec ? xstrdup("/") :
		    xstrndup(spec, slash - spec);
		fo->base = xstrdup(slash + 1);
	}
	fo->cur.fd = fo->old.fd = -1;
	fo->ifd = -1;
	src->kind = &source_follow;
	src->priv = fo;
	src->finite = false;
	src->regular = false;

	/* Watch first, then open: nothing that happens between is missed. */
	follow_watch(fo);
	if (follow_attach(src) == 0)
		src->regular = true;	/* its content arrived now, whole */
	else if (errno != ENOENT) {
		xasprintf(cause, "%s: %s", spec, strerror(errno));
		source_follow.close(src);
		src->meta.file = NULL;
		src->kind = &source_file;
		return -1;
	} else {
		fprintf(stderr, "%s: %s: no such file; waiting for it\n",
		    progname, src->name);
		fo->warned = true;
	}
	fo->next_check = clock_now_ms();
	return 0;
}

/*
 * Reads F up to FOLLOW_READ_MAX bytes.  Returns 1 when it stopped at the
 * budget (more may be there), 0 at the end of the file, -1 on a read
 * error (reported once).
 */
static int
follow_drain(struct source *src, struct follow_file *f)
{
	struct follow	*fo = src->priv;
	size_t		 total = 0;
	ssize_t		 n;

	while (total < FOLLOW_READ_MAX) {
		n = framer_read(&f->fr, src, f->fd);
		if (n > 0) {
			total += n;
			f->pos += n;
			f->last_data = clock_now_ms();
			continue;
		}
		if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == EINTR)
			continue;
		if (!fo->errored)
			fprintf(stderr, "%s: %s: read error: %s\n", progname,
			    src->name, strerror(errno));
		fo->errored = true;
		return -1;
	}
	return 1;
}

/*
 * Starts F over from the start of the file when it shrank below what was
 * read (copytruncate).
 */
static void
follow_truncated(struct source *src, struct follow_file *f)
{
	struct stat	 sb;

	if (fstat(f->fd, &sb) == -1 || sb.st_size >= f->pos)
		return;
	framer_finish(&f->fr, src);
	framer_free(&f->fr);
	framer_init(&f->fr, src->cfg->max_line, NULL);
	if (lseek(f->fd, 0, SEEK_SET) == -1)
		return;
	f->pos = 0;
}

/*
 * Brings everything up to date: reads the current file, notices
 * truncation and rotation, drains and retires a rotated file, and picks
 * up a file that appeared at the path.
 */
static void
follow_check(struct source *src)
{
	struct follow	*fo = src->priv;
	struct stat	 sb;
	int		 r;

	fo->more = false;
	if (fo->old.fd != -1) {
		r = follow_drain(src, &fo->old);
		if (r == 1) {
			/* The rotated file is finished before the new one. */
			fo->more = true;
			return;
		} else if (r == -1 ||
		    clock_now_ms() - fo->old.last_data >= FOLLOW_GRACE)
			follow_file_close(src, &fo->old);
	}

	if (fo->cur.fd != -1) {
		follow_truncated(src, &fo->cur);
		r = follow_drain(src, &fo->cur);
		if (r == 1) {
			fo->more = true;
			return;		/* the rest first */
		}
		src->regular = false;	/* the standing content is read */
		if (r == -1) {
			follow_file_close(src, &fo->cur);
			return;
		}
		if (stat(fo->path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
			fo->moved = true;	/* gone for now */
			return;
		}
		if (sb.st_dev == fo->cur.dev && sb.st_ino == fo->cur.ino) {
			fo->moved = false;
			return;
		}
		/* Rotated: keep the old file open for a late writer. */
		follow_file_close(src, &fo->old);
		fo->old = fo->cur;
		fo->old.last_data = clock_now_ms();
		fo->cur.fd = -1;
		fo->moved = false;
	}

	if (follow_attach(src) == -1)
		return;
	fo->warned = false;
	fo->errored = false;
	if (follow_drain(src, &fo->cur) == 1)
		fo->more = true;
}

static int
follow_fds(struct source *src, struct pollfd *pfd, int max, int *timeout_ms)
{
	struct follow	*fo = src->priv;
	int64_t		 wait;

	if (fo->more || src->regular)
		wait = 0;
	else {
		wait = fo->next_check - clock_now_ms();
		if (wait < 0)
			wait = 0;
	}
	if (*timeout_ms < 0 || wait < *timeout_ms)
		*timeout_ms = (int)wait;
	if (fo->ifd == -1 || max < 1)
		return 0;
	pfd[0].fd = fo->ifd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	return 1;
}

/*
 * Drains the inotify queue.  Returns whether an event may concern the
 * followed files; stops watching (polling instead) if the folder went.
 */
static bool
follow_events(struct source *src)
{
	struct follow			*fo = src->priv;
	const struct inotify_event	*ev;
	char				 buf[FOLLOW_EVENTS]
				    __attribute__((aligned(8)));
	ssize_t				 n;
	char				*p;
	bool				 any = false, unlinked;

	/* Once the file at the path is not the one read, any event counts. */
	unlinked = fo->cur.fd == -1 || fo->old.fd != -1 || fo->moved;
	for (;;) {
		n = read(fo->ifd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return any;
		for (p = buf; p < buf + n; p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF |
			    IN_MOVE_SELF)) {
				close(fo->ifd);
				fo->ifd = -1;
				return true;
			}
			if (unlinked || ev->len == 0 ||
			    (ev->mask & IN_Q_OVERFLOW) ||
			    strcmp(ev->name, fo->base) == 0)
				any = true;
		}
	}
}

static int
follow_ready(struct source *src, struct pollfd *pfd, int n)
{
	struct follow	*fo = src->priv;
	int64_t		 now = clock_now_ms();
	bool		 due;

	due = fo->more || src->regular || now >= fo->next_check;
	if (fo->ifd != -1 && n >= 1 && pfd[0].fd == fo->ifd &&
	    pfd[0].revents != 0 && follow_events(src))
		due = true;
	if (!due)
		return SRC_LIVE;
	if (fo->ifd == -1 && now >= fo->next_check)
		follow_watch(fo);	/* the folder may be back */
	follow_check(src);
	now = clock_now_ms();
	if (fo->ifd == -1 || fo->old.fd != -1 || fo->cur.fd == -1 ||
	    fo->moved)
		fo->next_check = now + FOLLOW_POLL;
	else
		fo->next_check = now + FOLLOW_CHECK;
	return SRC_LIVE;
}

static void
follow_close(struct source *src)
{
	struct follow	*fo = src->priv;

	if (fo == NULL)
		return;
	if (fo->cur.fd != -1) {
		framer_free(&fo->cur.fr);
		filepos_free(&fo->cur.id);
		close(fo->cur.fd);
	}
	if (fo->old.fd != -1) {
		framer_free(&fo->old.fr);
		filepos_free(&fo->old.id);
		close(fo->old.fd);
	}
	if (fo->ifd != -1)
		close(fo->ifd);
	free(fo->path);
	free(fo->dir);
	free(fo->base);
	free(fo);
	src->priv = NULL;
}

/*
 * A signal stops the run: the unterminated last line of each file read
 * to its end (a writer's "partial" without a newline yet) is delivered as
 * a record, as a rotation would.  A file whose read stopped at its budget
 * holds a line cut by that read, not by the writer: that stays unread.
 */
static void
follow_stop(struct source *src)
{
	struct follow	*fo = src->priv;

	/* With a checkpoint the line stays, for the next run to read whole. */
	if (fo == NULL || fo->more || src->regular ||
	    src->cfg->checkpoint != NULL)
		return;
	if (fo->old.fd != -1)
		framer_finish(&fo->old.fr, src);
	if (fo->cur.fd != -1)
		framer_finish(&fo->cur.fr, src);
}

/* The position: the rotated file still read (if any), then the current one. */
static int
follow_save(struct source *src, struct buf *b)
{
	struct follow		*fo = src->priv;
	struct follow_file	*f[2] = { &fo->old, &fo->cur };
	struct file_pos		 p;
	int			 i;

	snap_put_u64(b, (fo->old.fd != -1) + (fo->cur.fd != -1));
	for (i = 0; i < 2; i++) {
		if (f[i]->fd == -1)
			continue;
		p = f[i]->id;
		p.size = (uint64_t)f[i]->pos;
		p.offset = f[i]->fr.offset;
		p.line = f[i]->fr.line;
		filepos_put(b, &p);
	}
	return 0;
}

/*
 * Places FILE at the saved position P (its offset and line count).
 * Returns 0, or -1 with errno set.
 */
static int
follow_seek(struct follow_file *f, const struct file_pos *p)
{
	if (lseek(f->fd, (off_t)p->offset, SEEK_SET) == (off_t)-1)
		return -1;
	f->pos = (off_t)p->offset;
	f->fr.offset = p->offset;
	f->fr.line = p->line;
	return 0;
}

/*
 * Goes on from the saved files: the one at the path at its offset when
 * it is the same; a file rotated away meanwhile is finished from its new
 * name first (as the old file of a live rotation).
 */
static int
follow_load(struct source *src, struct snap_rd *r)
{
	struct follow	*fo = src->priv;
	struct file_pos	 p;
	struct stat	 sb;
	size_t		 n, i;
	char		*rot;
	int		 fd;

	if (snap_get_count(r, 9, 2, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (filepos_get(r, &p) == -1)
			return -1;
		switch (filepos_find(&p, fo->path, src->name, &rot)) {
		case FILEPOS_SAME:
			if (fo->cur.fd != -1 &&
			    (uint64_t)fo->cur.dev == p.dev &&
			    (uint64_t)fo->cur.ino == p.ino &&
			    follow_seek(&fo->cur, &p) != 0)
				snap_fail(r, "%s: %s", fo->path,
				    strerror(errno));
			break;
		case FILEPOS_ROTATED:
			/* Read to its end before (a run stopped within
			 * FOLLOW_GRACE of its last line): nothing to finish,
			 * and the next file saved may need the slot. */
			if (stat(rot, &sb) == 0 &&
			    (uint64_t)sb.st_size <= p.offset)
				break;
			if (fo->old.fd != -1) {
				fprintf(stderr, "%s: %s: %s not read (rotated "
				    "twice while dstream was stopped)\n",
				    progname, src->name, rot);
				break;
			}
			fd = open(rot, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
			    O_NOCTTY);
			if (fd == -1 || fstat(fd, &sb) == -1) {
				snap_fail(r, "%s: %s", rot, strerror(errno));
				if (fd != -1)
					close(fd);
				break;
			}
			follow_file_open(src, &fo->old, fd, &sb);
			if (follow_seek(&fo->old, &p) != 0)
				snap_fail(r, "%s: %s", rot, strerror(errno));
			break;
		default:
			break;
		}
		free(rot);
		filepos_free(&p);
	}
	return r->cause != NULL ? -1 : 0;
}

static const struct source_kind source_follow = {
	.scheme = "",
	.open = follow_open,
	.fds = follow_fds,
	.ready = follow_ready,
	.close = follow_close,
	.stop = follow_stop,
	.save = follow_save,
	.load = follow_load
};
