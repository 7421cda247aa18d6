/*
 * filepos.c - where a file input stands, for checkpoints, and where that
 * file is when a resumed run looks for it again.
 *
 * A position names the file by device and inode, its size and a
 * checksum of its first bytes (FILEPOS_HEAD, fewer while the file was
 * shorter), with the name it was read under and the offset after its
 * last whole line.  At resume (filepos_find) the file at the input's
 * path is the one read before when device, inode and head agree; with
 * the same inode but less than the offset it was truncated in place
 * (copytruncate); with the same inode and another head it is a new file
 * that reuses the inode.  When the path names another file, the old one
 * is looked for in the same folder by device and inode (and head): a
 * rename rotation (logrotate's create) left it there, and it is read to
 * its end before the new file.  Used by file.c and follow.c.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "../dstream.h"
#include "../state/snap.h"
#include "source.h"

/*
 * Sets *SUM to the checksum of the first N bytes of FD.  Returns 0, or
 * -1 when they cannot be read (errno set; a file now shorter gives -1
 * with errno 0).
 */
static int
filepos_head(int fd, uint64_t n, uint64_t *sum)
{
	char	 buf[FILEPOS_HEAD];
	ssize_t	 r;
	size_t	 got = 0;

	while (got < n) {
		r = pread(fd, buf + got, (size_t)n - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		got += (size_t)r;
	}
	*sum = XXH3_64bits(buf, got);
	return 0;
}

int
filepos_ident(struct file_pos *p, const char *path, int fd)
{
	struct stat	 st;

	if (fstat(fd, &st) != 0)
		return -1;
	free(p->path);
	p->path = xstrdup(path);
	p->dev = (uint64_t)st.st_dev;
	p->ino = (uint64_t)st.st_ino;
	p->size = (uint64_t)st.st_size;
	p->head_len = p->size < FILEPOS_HEAD ? p->size : FILEPOS_HEAD;
	return filepos_head(fd, p->head_len, &p->head);
}

void
filepos_put(struct buf *b, const struct file_pos *p)
{
	snap_put_str(b, p->path != NULL ? p->path : "");
	snap_put_u64(b, p->dev);
	snap_put_u64(b, p->ino);
	snap_put_u64(b, p->size);
	snap_put_u64(b, p->head_len);
	snap_put_u64(b, p->head);
	snap_put_u64(b, p->offset);
	snap_put_u64(b, p->line);
}

int
filepos_get(struct snap_rd *r, struct file_pos *p)
{
	const char	*s;
	size_t		 n;

	memset(p, 0, sizeof *p);
	if (snap_get_bytes(r, 4096, &s, &n) == -1 ||
	    snap_get_u64(r, &p->dev) == -1 || snap_get_u64(r, &p->ino) == -1 ||
	    snap_get_u64(r, &p->size) == -1 ||
	    snap_get_u64(r, &p->head_len) == -1 ||
	    snap_get_u64(r, &p->head) == -1 ||
	    snap_get_u64(r, &p->offset) == -1 ||
	    snap_get_u64(r, &p->line) == -1)
		return -1;
	if (p->head_len > FILEPOS_HEAD)
		return snap_fail(r, "a file head of %" PRIu64 " bytes",
		    p->head_len);
	if (memchr(s, '\0', n) != NULL)
		return snap_fail(r, "a file name holding a NUL");
	p->path = xstrndup(s, n);
	return 0;
}

void
filepos_free(struct file_pos *p)
{
	free(p->path);
	p->path = NULL;
}

int
filepos_same_head(const struct file_pos *p, int fd)
{
	uint64_t	 sum;

	return filepos_head(fd, p->head_len, &sum) == 0 && sum == p->head;
}

/*
 * Whether the file at PATH is P's file: same device and inode (*INODE
 * says so), and the same first bytes.  *ST gets its stat.
 */
static bool
filepos_is(const struct file_pos *p, const char *path, struct stat *st,
    bool *inode)
{
	bool		 same;
	int		 fd;

	*inode = false;
	if (stat(path, st) != 0 || !S_ISREG(st->st_mode))
		return false;
	if ((uint64_t)st->st_dev != p->dev || (uint64_t)st->st_ino != p->ino)
		return false;
	*inode = true;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	same = filepos_same_head(p, fd);
	close(fd);
	return same;
}

/* SPEC's folder (allocated) and its name in it (within SPEC). */
static char *
filepos_dir(const char *spec, const char **base)
{
	const char	*slash = strrchr(spec, '/');

	*base = slash == NULL ? spec : slash + 1;
	if (slash == NULL)
		return xstrdup(".");
	return slash == spec ? xstrdup("/") :
	    xstrndup(spec, (size_t)(slash - spec));
}

/* DIR/NAME as SPEC names its folder (allocated). */
static char *
filepos_join(const char *spec, const char *dir, const char *name)
{
	char	*path;

	if (strchr(spec, '/') == NULL)
		return xstrdup(name);
	xasprintf(&path, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/",
	    name);
	return path;
}

/*
 * Looks in the folder of DIRPATH for the file DEV:INO under another
 * name than SPEC, with P's first bytes when P is not NULL.  Returns the
 * name (caller frees) or NULL.
 */
static char *
filepos_lookup(const char *dirpath, const char *spec, uint64_t dev,
    uint64_t ino, const struct file_pos *p)
{
	const char	*base;
	char		*dir, *path, *found = NULL;
	struct dirent	*de;
	struct stat	 st;
	DIR		*dp;
	bool		 inode;

	dir = filepos_dir(dirpath, &base);
	if ((dp = opendir(dir)) == NULL) {
		free(dir);
		return NULL;
	}
	while (found == NULL && (de = readdir(dp)) != NULL) {
		if ((uint64_t)de->d_ino != ino)
			continue;
		path = filepos_join(dirpath, dir, de->d_name);
		if (strcmp(path, spec) != 0 && (p != NULL ?
		    filepos_is(p, path, &st, &inode) : stat(path, &st) == 0 &&
		    (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino))
			found = path;
		else
			free(path);
	}
	closedir(dp);
	free(dir);
	return found;
}

/*
 * Whether NAME is a rotated generation's name of BASE: BASE, then '.',
 * '-' or '_', then only digits and those (at least one digit).
 */
static bool
filepos_gen_name(const char *name, const char *base)
{
	size_t		 n = strlen(base);
	const char	*p;
	bool		 digit = false;

	if (strncmp(name, base, n) != 0 || strchr(".-_", name[n]) == NULL ||
	    name[n] == '\0')
		return false;
	for (p = name + n + 1; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9')
			digit = true;
		else if (strchr(".-_", *p) == NULL)
			return false;
	}
	return digit;
}

/* Compares the times A and B: -1, 0 or 1. */
static int
filepos_ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

char *
filepos_copy(const struct file_pos *p, const char *spec)
{
	const char	*base;
	char		*dir, *path, *found = NULL;
	struct dirent	*de;
	struct stat	 st, best;
	DIR		*dp;
	int		 fd;
	bool		 same;

	if (p->head_len == 0)
		return NULL;		/* nothing tells a copy apart */
	memset(&best, 0, sizeof best);
	dir = filepos_dir(spec, &base);
	if ((dp = opendir(dir)) == NULL) {
		free(dir);
		return NULL;
	}
	while ((de = readdir(dp)) != NULL) {
		if (!filepos_gen_name(de->d_name, base))
			continue;
		path = filepos_join(spec, dir, de->d_name);
		same = false;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size >= p->offset &&
		    (found == NULL ||
		    filepos_ts_cmp(&st.st_mtim, &best.st_mtim) > 0) &&
		    (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			same = filepos_same_head(p, fd);
			close(fd);
		}
		if (same) {
			free(found);
			found = path;
			best = st;
		} else
			free(path);
	}
	closedir(dp);
	free(dir);
	return found;
}

enum filepos_where
filepos_find(const struct file_pos *p, const char *spec, const char *name,
    char **rot)
{
	struct stat	 st;
	bool		 inode;

	*rot = NULL;
	if (p->offset == 0 && p->dev == 0 && p->ino == 0)
		return FILEPOS_SAME;		/* never opened */
	if (strcmp(p->path, spec) != 0 && filepos_is(p, p->path, &st,
	    &inode)) {
		*rot = xstrdup(p->path);	/* finishing a rotated file */
		return FILEPOS_ROTATED;
	}
	if (filepos_is(p, spec, &st, &inode)) {
		if ((uint64_t)st.st_size >= p->offset)
			return FILEPOS_SAME;
	} else if (!inode && (*rot = filepos_lookup(p->path, spec, p->dev,
	    p->ino, p)) != NULL) {
		fprintf(stderr, "%s: %s: rotated while dstream was stopped: "
		    "finishing %s from byte %" PRIu64 ", then reading %s "
		    "from its start\n", progname, name, *rot, p->offset, spec);
		return FILEPOS_ROTATED;
	}
	if (inode && (*rot = filepos_copy(p, spec)) != NULL) {
		fprintf(stderr, "%s: %s: copied and truncated while dstream "
		    "was stopped (copytruncate): finishing the copy %s from "
		    "byte %" PRIu64 ", then reading %s from its start\n",
		    progname, name, *rot, p->offset, spec);
		return FILEPOS_ROTATED;
	}
	if (inode && (uint64_t)st.st_size < p->offset) {
		fprintf(stderr, "%s: %s: truncated while dstream was stopped "
		    "(copytruncate?), or replaced by a new file reusing its "
		    "inode: %" PRIu64 " bytes, less than the %"
		    PRIu64 " already read; reading it from its start (lines "
		    "written between the copy and the truncation are lost)\n",
		    progname, name, (uint64_t)st.st_size, p->offset);
		return FILEPOS_TRUNCATED;
	}
	if (inode) {
		fprintf(stderr, "%s: %s: not the file read before (the same "
		    "inode, other first bytes: rewritten, or a new file "
		    "reusing the inode); reading it from its start\n",
		    progname, name);
		return FILEPOS_REPLACED;
	}
	fprintf(stderr, "%s: %s: the file read before as %s (inode %" PRIu64
	    ", read up to byte %" PRIu64 " of %" PRIu64 ") is no longer in "
	    "its folder (deleted): what it held after that is lost; reading "
	    "%s from its start\n", progname, name, p->path, p->ino, p->offset,
	    p->size, spec);
	return FILEPOS_GONE;
}

char *
filepos_name(const char *spec, uint64_t dev, uint64_t ino)
{
	return filepos_lookup(spec, spec, dev, ino, NULL);
}

/* The number after PATH's last '.', or -1 when it is not all digits. */
static long long
filepos_gen_num(const char *path)
{
	const char	*dot = strrchr(path, '.');

	if (dot == NULL || dot[1] == '\0' ||
	    strspn(dot + 1, "0123456789") != strlen(dot + 1))
		return -1;
	return strtoll(dot + 1, NULL, 10);
}

/*
 * Oldest first: by modification time, then by name, a numbered one
 * (app.log.2) before a lower number (app.log.1), dates in their order.
 */
static int
filepos_gen_cmp(const void *va, const void *vb)
{
	const struct filepos_gen	*a = va, *b = vb;
	long long			 na, nb;
	int				 c;

	if ((c = filepos_ts_cmp(&a->st.st_mtim, &b->st.st_mtim)) != 0)
		return c;
	na = filepos_gen_num(a->path);
	nb = filepos_gen_num(b->path);
	if (na >= 0 && nb >= 0 && na != nb)
		return na > nb ? -1 : 1;
	return strcmp(a->path, b->path);
}

size_t
filepos_after(const char *spec, const struct timespec *after,
    bool (*skip)(void *, const struct stat *), void *arg,
    struct filepos_gen **gens)
{
	struct filepos_gen	*g = NULL;
	const char		*base;
	char			*dir, *path;
	struct dirent		*de;
	struct stat		 st, now;
	size_t			 n = 0, cap = 0;
	bool			 has_now;
	DIR			*dp;

	*gens = NULL;
	dir = filepos_dir(spec, &base);
	has_now = stat(spec, &now) == 0;
	if ((dp = opendir(dir)) == NULL) {
		free(dir);
		return 0;
	}
	while ((de = readdir(dp)) != NULL) {
		if (!filepos_gen_name(de->d_name, base))
			continue;
		path = filepos_join(spec, dir, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
		    filepos_ts_cmp(&st.st_mtim, after) <= 0 ||
		    (has_now && st.st_dev == now.st_dev &&
		    st.st_ino == now.st_ino) ||
		    (skip != NULL && skip(arg, &st))) {
			free(path);
			continue;
		}
		if (n == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			g = xreallocarray(g, cap, sizeof *g);
		}
		g[n].path = path;
		g[n++].st = st;
	}
	closedir(dp);
	free(dir);
	if (n > 1)
		qsort(g, n, sizeof *g, filepos_gen_cmp);
	*gens = g;
	return n;
}

void
filepos_gens_free(struct filepos_gen *g, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(g[i].path);
	free(g);
}
