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

/*
 * Whether the file at PATH is P's file: same device and inode (*INODE
 * says so), and the same first bytes.  *ST gets its stat.
 */
static bool
filepos_is(const struct file_pos *p, const char *path, struct stat *st,
    bool *inode)
{
	uint64_t	 sum;
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
	same = filepos_head(fd, p->head_len, &sum) == 0 && sum == p->head;
	close(fd);
	return same;
}

/*
 * Looks in the folder of P's path for P's file under another name than
 * SPEC.  Returns the name (caller frees) or NULL.
 */
static char *
filepos_search(const struct file_pos *p, const char *spec)
{
	const char	*slash = strrchr(p->path, '/');
	char		*dir, *path, *found = NULL;
	struct dirent	*de;
	struct stat	 st;
	DIR		*dp;
	bool		 inode;

	dir = slash == NULL ? xstrdup(".") : slash == p->path ? xstrdup("/") :
	    xstrndup(p->path, (size_t)(slash - p->path));
	if ((dp = opendir(dir)) == NULL) {
		free(dir);
		return NULL;
	}
	while (found == NULL && (de = readdir(dp)) != NULL) {
		if ((uint64_t)de->d_ino != p->ino)
			continue;
		if (slash == NULL)
			path = xstrdup(de->d_name);
		else
			xasprintf(&path, "%s/%s", dir, de->d_name);
		if (strcmp(path, spec) != 0 && filepos_is(p, path, &st,
		    &inode))
			found = path;
		else
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
	} else if (!inode && (*rot = filepos_search(p, spec)) != NULL) {
		fprintf(stderr, "%s: %s: rotated while dstream was stopped: "
		    "finishing %s from byte %" PRIu64 ", then reading %s "
		    "from its start\n", progname, name, *rot, p->offset, spec);
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
	fprintf(stderr, "%s: %s: the file read before (inode %" PRIu64
	    ", read up to byte %" PRIu64 " of %" PRIu64 ") is no longer in "
	    "its folder: what it held after that is lost; reading %s from "
	    "its start\n", progname, name, p->ino, p->offset, p->size, spec);
	return FILEPOS_GONE;
}
