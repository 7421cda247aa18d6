/*
 * dir.c - dir://PATH: Spark's textFileStream.  Files that appear in a
 * folder are read, once each, as they arrive.
 *
 * A file is expected to be moved into the folder whole (written elsewhere,
 * then renamed in), as Spark asks; names starting with "." are ignored,
 * so writing to ".name" and renaming to "name" is the safe way to drop a
 * file in.  Files already in the folder when dstream starts are ignored
 * unless --from-start is given, in which case they are read first, oldest
 * first.  A file read once is remembered by (device, inode, name) and not
 * read again; it is forgotten when it leaves the folder, so a new file
 * later given the same name is read.
 *
 * On Linux the folder is watched with inotify (IN_MOVED_TO for files
 * renamed in, IN_CLOSE_WRITE for files written in place); where inotify
 * is missing or fails (some network file systems, or DSTREAM_NO_INOTIFY
 * set in the environment) the folder is scanned every batch interval, at
 * most every second.  Each file is read whole in one loop turn, so all of
 * its lines belong to the batch open when it arrived; while a file is
 * read, the source's name is the file's path, so messages about its
 * lines name the file and line.  The input is live: it never ends.
 */
#include <sys/types.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "../dstream.h"
#include "../state/snap.h"
#include "source.h"

#define DIR_SCAN_MAX	1000	/* ms between scans when polling */
#define DIR_EVENTS	(64 * (sizeof(struct inotify_event) + NAME_MAX + 1))

static void	dir_close(struct source *);

/* A file read (or present at start): one entry of the remembered set. */
struct dir_entry {
	struct dir_entry	*next;
	uint64_t		 hash;
	dev_t			 dev;
	ino_t			 ino;
	unsigned		 gen;		/* last scan that saw it */
	char			 name[];
};

/* A file found and not read yet. */
struct dir_new {
	char		*name;
	struct timespec	 mtime;
};

struct dir {
	char			 *path;
	int			  dfd;		/* the folder, for openat */
	int			  ifd;		/* inotify, or -1 when polling */
	int			  wd;
	int64_t			  next_scan;	/* polling: ms */
	unsigned		  gen;

	struct dir_entry	**tab;
	size_t			  size;		/* buckets, a power of 2 */
	size_t			  count;

	struct dir_new		 *queue;
	size_t			  nqueue;
	size_t			  capqueue;
	bool			  rescan;	/* inotify overflowed */
};

static struct dir_entry **
dir_slot(struct dir *d, const char *name, uint64_t hash)
{
	struct dir_entry	**pp;

	pp = &d->tab[hash & (d->size - 1)];
	while (*pp != NULL &&
	    ((*pp)->hash != hash || strcmp((*pp)->name, name) != 0))
		pp = &(*pp)->next;
	return pp;
}

/* Remembers NAME as (DEV, INO), replacing what NAME held before. */
static struct dir_entry *
dir_remember(struct dir *d, const char *name, dev_t dev, ino_t ino)
{
	struct dir_entry	**pp, *e, *next, **tab;
	uint64_t		  hash = XXH3_64bits(name, strlen(name));
	size_t			  i, size;

	if (d->count >= d->size) {
		size = d->size * 2;
		tab = xcalloc(size, sizeof *tab);
		for (i = 0; i < d->size; i++) {
			for (e = d->tab[i]; e != NULL; e = next) {
				next = e->next;
				e->next = tab[e->hash & (size - 1)];
				tab[e->hash & (size - 1)] = e;
			}
		}
		free(d->tab);
		d->tab = tab;
		d->size = size;
	}
	pp = dir_slot(d, name, hash);
	if ((e = *pp) == NULL) {
		e = xmalloc(sizeof *e + strlen(name) + 1);
		e->next = NULL;
		e->hash = hash;
		strcpy(e->name, name);
		*pp = e;
		d->count++;
	}
	e->dev = dev;
	e->ino = ino;
	e->gen = d->gen;
	return e;
}

static struct dir_entry *
dir_find(struct dir *d, const char *name)
{
	return *dir_slot(d, name, XXH3_64bits(name, strlen(name)));
}

static void
dir_forget(struct dir *d, const char *name)
{
	struct dir_entry	**pp, *e;

	pp = dir_slot(d, name, XXH3_64bits(name, strlen(name)));
	if ((e = *pp) != NULL) {
		*pp = e->next;
		free(e);
		d->count--;
	}
}

/* Forgets every entry the last scan did not see (files gone). */
static void
dir_prune(struct dir *d)
{
	struct dir_entry	**pp, *e;
	size_t			  i;

	for (i = 0; i < d->size; i++) {
		pp = &d->tab[i];
		while ((e = *pp) != NULL) {
			if (e->gen != d->gen) {
				*pp = e->next;
				free(e);
				d->count--;
			} else
				pp = &e->next;
		}
	}
}

static void
dir_queue(struct dir *d, const char *name, const struct timespec *mtime)
{
	if (d->nqueue == d->capqueue) {
		d->capqueue = d->capqueue ? d->capqueue * 2 : 16;
		d->queue = xreallocarray(d->queue, d->capqueue,
		    sizeof *d->queue);
	}
	d->queue[d->nqueue].name = xstrdup(name);
	d->queue[d->nqueue].mtime = *mtime;
	d->nqueue++;
}

static int
dir_new_cmp(const void *a, const void *b)
{
	const struct dir_new	*x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Lists the folder.  Files not remembered are queued (oldest first), or,
 * when IGNORE is set (the scan at start without --from-start), only
 * remembered.  Entries for files no longer there are forgotten.
 * Returns 0, or -1 with errno set when the folder cannot be read.
 */
static int
dir_scan(struct dir *d, bool ignore)
{
	struct dir_entry	*e;
	struct dirent		*de;
	struct stat		 sb;
	DIR			*dp;
	size_t			 first = d->nqueue;
	int			 fd;

	fd = openat(d->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if ((dp = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	d->gen++;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(d->dfd, de->d_name, &sb, 0) == -1 ||
		    !S_ISREG(sb.st_mode))
			continue;
		e = dir_find(d, de->d_name);
		if (e != NULL && e->dev == sb.st_dev && e->ino == sb.st_ino) {
			e->gen = d->gen;
			continue;
		}
		if (ignore)
			dir_remember(d, de->d_name, sb.st_dev, sb.st_ino);
		else {
			if (e != NULL)
				e->gen = d->gen;	/* replaced at read */
			dir_queue(d, de->d_name, &sb.st_mtim);
		}
	}
	closedir(dp);
	dir_prune(d);
	if (d->nqueue - first > 1)
		qsort(d->queue + first, d->nqueue - first, sizeof *d->queue,
		    dir_new_cmp);
	return 0;
}

/* Starts watching with inotify.  Returns 0, or -1 to poll instead. */
static int
dir_watch(struct dir *d)
{
	if (getenv("DSTREAM_NO_INOTIFY") != NULL)
		return -1;
	d->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->ifd == -1)
		return -1;
	d->wd = inotify_add_watch(d->ifd, d->path, IN_MOVED_TO |
	    IN_CLOSE_WRITE | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF |
	    IN_MOVE_SELF | IN_ONLYDIR);
	if (d->wd == -1) {
		close(d->ifd);
		d->ifd = -1;
		return -1;
	}
	return 0;
}

static int
dir_open(struct source *src, const char *spec, char **cause)
{
	struct dir	*d;
	struct stat	 sb;

	d = xcalloc(1, sizeof *d);
	d->ifd = -1;
	d->dfd = -1;
	d->path = xstrdup(spec);
	d->size = 64;
	d->tab = xcalloc(d->size, sizeof *d->tab);
	d->dfd = open(spec, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dfd == -1 || fstat(d->dfd, &sb) == -1) {
		xasprintf(cause, "%s: %s", src->name, strerror(errno));
		goto fail;
	}
	/* Watch, then list: a file moved in between is seen twice, not lost. */
	dir_watch(d);
	if (dir_scan(d, !src->cfg->from_start) == -1) {
		xasprintf(cause, "%s: %s", src->name, strerror(errno));
		goto fail;
	}
	d->next_scan = clock_now_ms();
	src->priv = d;
	src->finite = false;
	src->regular = false;
	return 0;

fail:
	src->priv = d;
	dir_close(src);
	return -1;
}

static int64_t
dir_interval(const struct source *src)
{
	int64_t	 batch_ms = src->cfg->batch_ms;

	if (batch_ms > 0 && batch_ms < DIR_SCAN_MAX)
		return batch_ms;
	return DIR_SCAN_MAX;
}

static int
dir_fds(struct source *src, struct pollfd *pfd, int max, int *timeout_ms)
{
	struct dir	*d = src->priv;
	int64_t		 wait;

	if (d->nqueue > 0 || d->rescan)
		wait = 0;
	else if (d->ifd == -1) {
		wait = d->next_scan - clock_now_ms();
		if (wait < 0)
			wait = 0;
	} else
		wait = -1;
	if (wait >= 0 && (*timeout_ms < 0 || wait < *timeout_ms))
		*timeout_ms = (int)wait;
	if (d->ifd == -1 || max < 1)
		return 0;
	pfd[0].fd = d->ifd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	return 1;
}

/* Drains the inotify queue, queueing new files and forgetting gone ones. */
static void
dir_events(struct source *src)
{
	struct dir			*d = src->priv;
	const struct inotify_event	*ev;
	struct timespec			 zero = { 0, 0 };
	char				 buf[DIR_EVENTS]
				    __attribute__((aligned(8)));
	ssize_t				 n;
	char				*p;

	for (;;) {
		n = read(d->ifd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (p = buf; p < buf + n; p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW) {
				d->rescan = true;
				continue;
			}
			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF |
			    IN_MOVE_SELF)) {
				/* The folder went away or moved: poll. */
				fprintf(stderr, "%s: %s: folder removed or "
				    "moved; polling for it\n", progname,
				    src->name);
				close(d->ifd);
				d->ifd = -1;
				return;
			}
			if (ev->len == 0 || ev->name[0] == '.')
				continue;
			if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
				dir_forget(d, ev->name);
			else if (ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE))
				dir_queue(d, ev->name, &zero);
		}
	}
}

/*
 * Reads the queued file NAME whole and delivers its lines, unless it is
 * remembered as read already (same name, device and inode).  A file that
 * vanished in the meantime is skipped quietly.
 */
static void
dir_read(struct source *src, const char *name)
{
	struct dir	*d = src->priv;
	struct dir_entry *e;
	struct framer	 fr;
	struct stat	 sb;
	char		*path, *saved;
	ssize_t		 n;
	int		 fd;

	fd = openat(d->dfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (fd == -1) {
		if (errno != ENOENT)
			fprintf(stderr, "%s: %s/%s: %s\n", progname, d->path,
			    name, strerror(errno));
		return;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return;
	}
	e = dir_find(d, name);
	if (e != NULL && e->dev == sb.st_dev && e->ino == sb.st_ino) {
		close(fd);
		return;
	}
	dir_remember(d, name, sb.st_dev, sb.st_ino);

	xasprintf(&path, "%s/%s", d->path, name);
	saved = src->name;
	src->name = path;
	src->meta.file = path;
	framer_init(&fr, src->cfg->max_line, NULL);
	for (;;) {
		n = framer_read(&fr, src, fd);
		if (n > 0 || (n == -1 && errno == EINTR))
			continue;
		if (n == -1)
			fprintf(stderr, "%s: %s: %s\n", progname, path,
			    strerror(errno));
		break;
	}
	framer_finish(&fr, src);
	framer_free(&fr);
	src->name = saved;
	src->meta.file = NULL;
	free(path);
	close(fd);
}

/*
 * Opens the folder by its path again (it may have been removed and made
 * anew).  Returns 0, or -1 while it is missing.
 */
static int
dir_reopen(struct dir *d)
{
	int	 fd;

	fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (d->dfd != -1)
		close(d->dfd);
	d->dfd = fd;
	return 0;
}

static int
dir_ready(struct source *src, struct pollfd *pfd, int n)
{
	struct dir	*d = src->priv;
	int64_t		 now = clock_now_ms();
	size_t		 i;

	if (d->ifd != -1 && n >= 1 && pfd[0].fd == d->ifd &&
	    pfd[0].revents != 0)
		dir_events(src);
	if (d->ifd == -1 && now >= d->next_scan) {
		/*
		 * Polling: open the folder by its name again each time, so
		 * one removed and made anew is found; try inotify again.
		 */
		if (dir_reopen(d) == 0 && dir_scan(d, false) == 0 &&
		    dir_watch(d) == 0)
			dir_scan(d, false);	/* what came meanwhile */
		d->next_scan = now + dir_interval(src);
	} else if (d->rescan) {
		dir_scan(d, false);
		d->rescan = false;
	}
	/* The names read may queue more; read them next turn. */
	for (i = 0; i < d->nqueue; i++) {
		dir_read(src, d->queue[i].name);
		free(d->queue[i].name);
	}
	d->nqueue = 0;
	return SRC_LIVE;
}

static void
dir_close(struct source *src)
{
	struct dir		*d = src->priv;
	struct dir_entry	*e, *next;
	size_t			 i;

	if (d == NULL)
		return;
	for (i = 0; i < d->size; i++) {
		for (e = d->tab[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(d->tab);
	for (i = 0; i < d->nqueue; i++)
		free(d->queue[i].name);
	free(d->queue);
	if (d->ifd != -1)
		close(d->ifd);
	if (d->dfd != -1)
		close(d->dfd);
	free(d->path);
	free(d);
	src->priv = NULL;
}

/*
 * The position: the files done, by name, device and inode (those read,
 * and those left out at the first start without --from-start).  A file
 * is read whole in one turn of the loop, so a checkpoint never falls
 * inside one.
 */
static int
dir_save(struct source *src, struct buf *b)
{
	struct dir		*d = src->priv;
	struct dir_entry	*e;
	size_t			 i;

	snap_put_u64(b, d->count);
	for (i = 0; i < d->size; i++)
		for (e = d->tab[i]; e != NULL; e = e->next) {
			snap_put_str(b, e->name);
			snap_put_u64(b, (uint64_t)e->dev);
			snap_put_u64(b, (uint64_t)e->ino);
		}
	return 0;
}

/*
 * Takes the files done back, in place of what the scan at open
 * remembered, and queues every other file in the folder: those that
 * came while dstream was stopped are read now.
 */
static int
dir_load(struct source *src, struct snap_rd *r)
{
	struct dir		*d = src->priv;
	struct dir_entry	*e, *next;
	const char		*name;
	uint64_t		 dev, ino;
	size_t			 n, len, i;
	char			*s;

	if (snap_get_count(r, 3, UINT64_C(1) << 32, &n) == -1)
		return -1;
	for (i = 0; i < d->size; i++) {
		for (e = d->tab[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
		d->tab[i] = NULL;
	}
	d->count = 0;
	for (i = 0; i < n; i++) {
		if (snap_get_bytes(r, 4096, &name, &len) == -1 ||
		    snap_get_u64(r, &dev) == -1 || snap_get_u64(r, &ino) == -1)
			return -1;
		if (len == 0 || memchr(name, '\0', len) != NULL ||
		    memchr(name, '/', len) != NULL)
			return snap_fail(r, "a bad file name in a folder's "
			    "files done");
		s = xstrndup(name, len);
		dir_remember(d, s, (dev_t)dev, (ino_t)ino);
		free(s);
	}
	if (dir_scan(d, false) == -1)
		return snap_fail(r, "%s: %s", src->name, strerror(errno));
	return 0;
}

const struct source_kind source_dir = {
	.scheme = "dir://",
	.open = dir_open,
	.fds = dir_fds,
	.ready = dir_ready,
	.close = dir_close,
	.save = dir_save,
	.load = dir_load
};
