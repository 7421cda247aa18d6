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
 *    file, the new one is opened at once, whatever is being read, and
 *    the old one is read to its end before it, and kept open a little
 *    longer (FOLLOW_GRACE of silence) for a writer that has not reopened
 *    yet.  The rotated files wait in a queue, oldest first, each read to
 *    its end before the next, then the file at the path: a file rotated
 *    again (app.log.1 to app.log.2, or renamed over, unlinked) is read
 *    from its open descriptor.  A file rotated and rotated again before
 *    dstream saw it at the path (dstream stopped or busy) is looked for
 *    in the folder (filepos_after: named as logrotate names rotated
 *    files, modified after the file rotated before it) and read whole in
 *    its turn.  At most FOLLOW_ROTATED rotated files are held: past it
 *    the oldest still unread is closed, saying how many of its bytes
 *    were not read;
 *  - copytruncate: when the file shrinks below what was read, or its
 *    first bytes change (truncated and written again past that), the
 *    copy is looked for in the folder (the same first bytes) and
 *    finished from where the file was read to, then any file rotated
 *    after that copy, and the file is read again from its start;
 *  - a path that does not exist yet (or vanished) is waited for.
 *
 * A line left unfinished by a rotation or a truncation without a copy is
 * delivered as a record of its own, and so is the unterminated last line
 * of a file read to its end when a signal stops the run (follow_stop).
 * Lines are neither lost nor repeated as long as the rotated files stay
 * in the folder or open (copytruncate loses what the writer adds between
 * the copy and the truncation, for every reader).
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
#define FOLLOW_ROTATED	8		/* rotated files held, at most */
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
	/* The rotated files, oldest first: each read to its end in turn. */
	struct follow_file	 rot[FOLLOW_ROTATED];
	int			 nrot;
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
	fo->cur.fd = -1;
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

/* Whether the file ST is one held open (SKIP of filepos_after). */
static bool
follow_held(void *arg, const struct stat *st)
{
	struct follow	*fo = arg;
	int		 i;

	if (fo->cur.fd != -1 && fo->cur.dev == st->st_dev &&
	    fo->cur.ino == st->st_ino)
		return true;
	for (i = 0; i < fo->nrot; i++)
		if (fo->rot[i].dev == st->st_dev &&
		    fo->rot[i].ino == st->st_ino)
			return true;
	return false;
}

/* The name F goes by now (its rotated name when known), for messages. */
static const char *
follow_file_name(const struct follow *fo, const struct follow_file *f)
{
	return f->id.path != NULL ? f->id.path : fo->path;
}

/* Takes the I-th rotated file (closed) out of the queue. */
static void
follow_rot_remove(struct follow *fo, int i)
{
	memmove(&fo->rot[i], &fo->rot[i + 1],
	    (size_t)(fo->nrot - i - 1) * sizeof fo->rot[0]);
	fo->nrot--;
}

/*
 * Makes room in the queue of rotated files: closes the oldest one read
 * to its end, or else the oldest, saying how many of its bytes are left
 * unread (its unfinished line dropped: the bound cut it, not a writer).
 */
static void
follow_rot_room(struct source *src)
{
	struct follow		*fo = src->priv;
	struct follow_file	*f;
	struct stat		 sb;
	int			 i;

	for (i = 0; i < fo->nrot; i++)
		if (fstat(fo->rot[i].fd, &sb) == 0 &&
		    sb.st_size <= fo->rot[i].pos)
			break;
	if (i == fo->nrot) {
		i = 0;
		f = &fo->rot[0];
		if (fstat(f->fd, &sb) == -1)
			sb.st_size = f->pos;
		fprintf(stderr, "%s: %s: more than %d rotated files not read "
		    "to their end: %s skipped, %lld of its %lld bytes not "
		    "read\n", progname, src->name, FOLLOW_ROTATED,
		    follow_file_name(fo, f),
		    (long long)(sb.st_size - (off_t)f->fr.offset),
		    (long long)sb.st_size);
		framer_free(&f->fr);
		filepos_free(&f->id);
		close(f->fd);
	} else
		follow_file_close(src, &fo->rot[i]);
	follow_rot_remove(fo, i);
}

/* Puts the open file F last in the queue of rotated files. */
static void
follow_rot_push(struct source *src, const struct follow_file *f)
{
	struct follow	*fo = src->priv;

	if (fo->nrot == FOLLOW_ROTATED)
		follow_rot_room(src);
	fo->rot[fo->nrot] = *f;
	fo->rot[fo->nrot++].last_data = clock_now_ms();
}

/*
 * Queues, after the rotated files, the files of the path's folder
 * rotated after a file modified at AFTER that are not held yet: files
 * rotated and rotated again before dstream saw them at the path.  WHEN
 * says when for the message.
 */
static void
follow_rot_found(struct source *src, const struct timespec *after,
    const char *when)
{
	struct follow		*fo = src->priv;
	struct follow_file	 f;
	struct filepos_gen	*g;
	size_t			 n, i;
	int			 fd;

	n = filepos_after(fo->path, after, follow_held, fo, &g);
	for (i = 0; i < n; i++) {
		fd = open(g[i].path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
		    O_NOCTTY);
		if (fd == -1 || fstat(fd, &g[i].st) == -1) {
			fprintf(stderr, "%s: %s: rotated again %s: %s not "
			    "read: %s\n", progname, src->name, when,
			    g[i].path, strerror(errno));
			if (fd != -1)
				close(fd);
			continue;
		}
		fprintf(stderr, "%s: %s: rotated again %s: reading %s whole "
		    "before %s\n", progname, src->name, when, g[i].path,
		    fo->path);
		follow_file_open(src, &f, fd, &g[i].st);
		free(f.id.path);
		f.id.path = xstrdup(g[i].path);
		follow_rot_push(src, &f);
	}
	filepos_gens_free(g, n);
}

/*
 * Notices that the current file was truncated in place (copytruncate):
 * it is shorter than what was read, or its first bytes changed (cut
 * and written again past that while dstream was stopped or busy).  The
 * copy of what it held, when found in the folder (filepos_copy), is
 * finished first from where it was read to, then any file rotated after
 * that copy (copytruncate done twice); the file is then read from its
 * start.  Else the file's unfinished line is a record, as a rotation's.
 */
static void
follow_truncated(struct source *src)
{
	struct follow		*fo = src->priv;
	struct follow_file	*f = &fo->cur, c;
	struct file_pos		 p;
	struct stat		 sb, cs;
	char			*copy;
	int			 fd = -1;

	if (fstat(f->fd, &sb) == -1)
		return;
	if (sb.st_size >= f->pos && filepos_same_head(&f->id, f->fd)) {
		/* A file first seen short: its head grows to identify it. */
		if (f->id.head_len < FILEPOS_HEAD &&
		    (uint64_t)sb.st_size > f->id.head_len)
			(void)filepos_ident(&f->id, fo->path, f->fd);
		return;
	}
	p = f->id;
	p.offset = f->fr.offset;
	if ((copy = filepos_copy(&p, fo->path)) != NULL &&
	    ((fd = open(copy, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY)) == -1 || fstat(fd, &cs) == -1 ||
	    lseek(fd, (off_t)p.offset, SEEK_SET) == (off_t)-1)) {
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	if (fd != -1) {
		/* Its unfinished line is read again from the copy. */
		follow_file_open(src, &c, fd, &cs);
		free(c.id.path);
		c.id.path = copy;
		copy = NULL;
		c.pos = (off_t)p.offset;
		c.fr.offset = p.offset;
		c.fr.line = f->fr.line;
		follow_rot_push(src, &c);
		follow_rot_found(src, &cs.st_mtim, "before it was read");
	} else
		framer_finish(&f->fr, src);
	free(copy);
	framer_free(&f->fr);
	framer_init(&f->fr, src->cfg->max_line, NULL);
	if (lseek(f->fd, 0, SEEK_SET) == -1)
		return;
	f->pos = 0;
	(void)filepos_ident(&f->id, fo->path, f->fd);
}

/*
 * The path names another file than the current one: the current one
 * joins the rotated files (under its new name, if it is in the folder),
 * with any found rotated after it.
 */
static void
follow_rotated(struct source *src)
{
	struct follow	*fo = src->priv;
	struct stat	 sb;
	char		*name;
	bool		 dated;

	dated = fstat(fo->cur.fd, &sb) == 0;
	if ((name = filepos_name(fo->path, (uint64_t)fo->cur.dev,
	    (uint64_t)fo->cur.ino)) != NULL) {
		free(fo->cur.id.path);
		fo->cur.id.path = name;
	}
	follow_rot_push(src, &fo->cur);
	fo->cur.fd = -1;
	memset(&fo->cur.id, 0, sizeof fo->cur.id);
	if (dated)
		follow_rot_found(src, &sb.st_mtim, "before it was read");
}

/*
 * Looks at the path: when it names another file than the current one
 * (rotated), that one is opened as the current file, not read yet, and
 * the current one joins the rotated files.
 */
static void
follow_look(struct source *src)
{
	struct follow	*fo = src->priv;
	struct stat	 sb;

	if (stat(fo->path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		fo->moved = fo->cur.fd != -1;	/* gone for now */
		return;
	}
	fo->moved = false;
	if (follow_held(fo, &sb))
		return;
	if (fo->cur.fd != -1)
		follow_rotated(src);
	if (follow_attach(src) == 0) {
		fo->warned = false;
		fo->errored = false;
	}
}

/*
 * Brings everything up to date: notices a rotation and a truncation,
 * reads the rotated files in turn (retiring those read to their end and
 * silent for FOLLOW_GRACE), then the current file.
 */
static void
follow_check(struct source *src)
{
	struct follow	*fo = src->priv;
	int		 r, i;

	fo->more = false;
	follow_look(src);
	if (fo->cur.fd != -1)
		follow_truncated(src);
	for (i = 0; i < fo->nrot; ) {
		r = follow_drain(src, &fo->rot[i]);
		if (r == 1) {
			/* A rotated file is finished before the next. */
			fo->more = true;
			return;
		}
		if (r == -1 ||
		    clock_now_ms() - fo->rot[i].last_data >= FOLLOW_GRACE) {
			follow_file_close(src, &fo->rot[i]);
			follow_rot_remove(fo, i);
		} else
			i++;
	}
	if (fo->cur.fd != -1) {
		r = follow_drain(src, &fo->cur);
		if (r == 1) {
			fo->more = true;
			return;		/* the rest first */
		}
		if (r == -1)
			follow_file_close(src, &fo->cur);
	}
	src->regular = false;	/* the standing content is read */
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
	unlinked = fo->cur.fd == -1 || fo->nrot > 0 || fo->moved;
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
	if (fo->ifd == -1 || fo->nrot > 0 || fo->cur.fd == -1 ||
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
	int		 i;

	if (fo == NULL)
		return;
	if (fo->cur.fd != -1) {
		framer_free(&fo->cur.fr);
		filepos_free(&fo->cur.id);
		close(fo->cur.fd);
	}
	for (i = 0; i < fo->nrot; i++) {
		framer_free(&fo->rot[i].fr);
		filepos_free(&fo->rot[i].id);
		close(fo->rot[i].fd);
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
	int		 i;

	/* With a checkpoint the line stays, for the next run to read whole. */
	if (fo == NULL || fo->more || src->regular ||
	    src->cfg->checkpoint != NULL)
		return;
	for (i = 0; i < fo->nrot; i++)
		framer_finish(&fo->rot[i].fr, src);
	if (fo->cur.fd != -1)
		framer_finish(&fo->cur.fr, src);
}

/*
 * The position: the rotated files held (if any), oldest first, then the
 * current one.
 */
static int
follow_save(struct source *src, struct buf *b)
{
	struct follow		*fo = src->priv;
	struct follow_file	*f;
	struct file_pos		 p;
	int			 i;

	snap_put_u64(b, (uint64_t)fo->nrot + (fo->cur.fd != -1));
	for (i = 0; i <= fo->nrot; i++) {
		f = i < fo->nrot ? &fo->rot[i] : &fo->cur;
		if (f->fd == -1)
			continue;
		p = f->id;
		p.size = (uint64_t)f->pos;
		p.offset = f->fr.offset;
		p.line = f->fr.line;
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
 * Queues the file saved at P, rotated meanwhile to ROT, to be read from
 * P's offset; sets *MTIME to its modification time.  A file read to its
 * end before (a run stopped within FOLLOW_GRACE of its last line) is
 * not queued: nothing to finish.
 */
static void
follow_load_rotated(struct source *src, struct snap_rd *r,
    const struct file_pos *p, const char *rot, struct timespec *mtime)
{
	struct follow_file	 f;
	struct stat		 sb;
	int			 fd;

	if (stat(rot, &sb) == 0) {
		*mtime = sb.st_mtim;
		if ((uint64_t)sb.st_size <= p->offset)
			return;
	}
	fd = open(rot, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd == -1 || fstat(fd, &sb) == -1) {
		snap_fail(r, "%s: %s", rot, strerror(errno));
		if (fd != -1)
			close(fd);
		return;
	}
	*mtime = sb.st_mtim;
	follow_file_open(src, &f, fd, &sb);
	free(f.id.path);
	f.id.path = xstrdup(rot);
	if (follow_seek(&f, p) != 0) {
		snap_fail(r, "%s: %s", rot, strerror(errno));
		framer_free(&f.fr);
		filepos_free(&f.id);
		close(fd);
		return;
	}
	follow_rot_push(src, &f);
}

/*
 * Goes on from the saved files: the one at the path at its offset when
 * it is the same; files rotated away meanwhile are finished from their
 * new names (or their copies by copytruncate) first, in order (as the
 * rotated files of a live rotation), and after the newest of them (or
 * after a file gone, truncated or replaced since, from the checkpoint's
 * time) the files rotated after it that were never read.
 */
static int
follow_load(struct source *src, struct snap_rd *r)
{
	struct follow		*fo = src->priv;
	struct file_pos		 p;
	struct timespec		 after = { -1, 0 };
	enum filepos_where	 where = FILEPOS_SAME;
	size_t			 n, i;
	char			*rot;

	if (snap_get_count(r, 9, FOLLOW_ROTATED + 1, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (filepos_get(r, &p) == -1)
			return -1;
		switch (where = filepos_find(&p, fo->path, src->name, &rot)) {
		case FILEPOS_SAME:
			if (fo->cur.fd != -1 &&
			    (uint64_t)fo->cur.dev == p.dev &&
			    (uint64_t)fo->cur.ino == p.ino &&
			    follow_seek(&fo->cur, &p) != 0)
				snap_fail(r, "%s: %s", fo->path,
				    strerror(errno));
			break;
		case FILEPOS_ROTATED:
			after.tv_sec = -1;	/* unknown till stat says */
			follow_load_rotated(src, r, &p, rot, &after);
			break;
		case FILEPOS_GONE:
		case FILEPOS_TRUNCATED:
		case FILEPOS_REPLACED:
			/* Its successors were made after the checkpoint. */
			after.tv_sec = src->saved_ms > 0 ?
			    src->saved_ms / 1000 : -1;
			after.tv_nsec = src->saved_ms % 1000 * 1000000;
			break;
		default:
			break;
		}
		free(rot);
		filepos_free(&p);
	}
	if (r->cause == NULL && where != FILEPOS_SAME && after.tv_sec >= 0)
		follow_rot_found(src, &after, "while dstream was stopped");
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
