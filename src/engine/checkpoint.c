/*
 * checkpoint.c - --checkpoint DIR: writing the run's state down durably
 * and resuming from it (see checkpoint.h for the contract: what the file
 * holds, the order of a checkpoint, what is refused).
 *
 * This module alone orders a checkpoint: the destination's ended batches
 * made durable (sink_flush_ended), then the state and positions taken
 * (the destination's position last written by its commit), then a
 * transactional destination's commit of the same bytes (with the Kafka
 * inputs' group offsets, which a Kafka destination commits in the same
 * transaction), then the folder's file replaced (temp, fsync, rename,
 * fsync of the folder), then the sources told (checkpointed: Kafka
 * commits its offsets to the group).
 * The --late-file is made durable with the destination, and its length
 * recorded after the destination's position (LATE), to be cut back to.
 * The engine calls checkpoint_write only where the chain is at a batch
 * boundary, and checkpoint_resume before the first batch.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dstream.h"
#include "../state/snap.h"
#include "checkpoint.h"
#include "rebuild.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION	"unknown"	/* built outside configure (fuzz) */
#endif

#define CKPT_KIND	SNAP_TAG('C', 'K', 'P', 'T')
#define CKPT_META	SNAP_TAG('M', 'E', 'T', 'A')
#define CKPT_PIPE	SNAP_TAG('P', 'I', 'P', 'E')
#define CKPT_INPT	SNAP_TAG('I', 'N', 'P', 'T')
#define CKPT_CHAN	SNAP_TAG('C', 'H', 'A', 'N')
#define CKPT_SINK	SNAP_TAG('S', 'I', 'N', 'K')
#define CKPT_LATE	SNAP_TAG('L', 'A', 'T', 'E')

#define CKPT_FILE	"checkpoint"
#define CKPT_TEMP	"checkpoint.tmp"
#define CKPT_LOCK	"lock"
/* The largest checkpoint file read back. */
#define CKPT_MAX	(UINT64_C(1) << 40)

/* One item of the pipeline's fingerprint: "operator 2", "reduceByKey +". */
struct ckpt_item {
	char	*label;
	char	*value;
};

struct checkpoint {
	char			*dir;
	int			 dfd;		/* the folder */
	int			 lockfd;
	struct ckpt_item	*items;
	size_t			 nitems;
	int64_t			 every;		/* --checkpoint-every, ms */
	int64_t			 last_write;	/* wall clock, ms */
	bool			 waiting;	/* a batch flushed since */
	int64_t			 last_end;	/* the last batch flushed */
	uint64_t		 seq;		/* of the last checkpoint */
	struct buf		 b;		/* the bytes, kept between writes */
};

/* ---- the fingerprint ---- */

static void
ckpt_item(struct checkpoint *ck, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ckpt_item(struct checkpoint *ck, const char *label, const char *fmt, ...)
{
	va_list	 ap;

	ck->items = xreallocarray(ck->items, ck->nitems + 1,
	    sizeof *ck->items);
	ck->items[ck->nitems].label = xstrdup(label);
	va_start(ap, fmt);
	xvasprintf(&ck->items[ck->nitems].value, fmt, ap);
	va_end(ap);
	ck->nitems++;
}

/*
 * The stateful part of the pipeline as labelled items: the batch
 * interval, the time settings, the output, and every operator by name,
 * with its arguments when it holds state across batches (its save
 * hook): a reducer's expression text is part of what its state means.
 * Stateless operators may change their arguments between runs.
 */
static void
ckpt_fingerprint(struct checkpoint *ck, const struct config *cfg, int argc,
    char **argv, const struct op *chain, const char *output)
{
	const struct op	*op = chain;
	struct buf	 w = BUF_INIT;
	char		 label[64], *shown;
	int		 i, start, n = 0;

	ckpt_item(ck, "batch interval", "%lld ms", (long long)cfg->batch_ms);
	if (cfg->event_time == NULL)
		ckpt_item(ck, "time", "processing time");
	else {
		ckpt_item(ck, "time", "event time %s", cfg->event_time);
		ckpt_item(ck, "watermark", "%lld ms",
		    (long long)cfg->watermark_ms);
		ckpt_item(ck, "time format", "%s", cfg->time_format != NULL ?
		    cfg->time_format : "auto");
	}
	/* Passwords never reach the file or a message. */
	shown = sink_shown(output);
	ckpt_item(ck, "output", "%s", shown);
	free(shown);
	for (start = 0; start < argc && op != NULL; start = i + 1) {
		for (i = start; i < argc && strcmp(argv[i], "then") != 0; i++)
			;
		buf_reset(&w);
		buf_printf(&w, "%s", argv[start]);
		if (op->save != NULL) {
			int	 k;

			for (k = start + 1; k < i; k++)
				buf_printf(&w, strpbrk(argv[k], " \t\"'") ?
				    " \"%s\"" : " %s", argv[k]);
		}
		snprintf(label, sizeof label, "operator %d", ++n);
		ckpt_item(ck, label, "%s", w.p);
		op = op->next;
	}
	ckpt_item(ck, "operators", "%d", n);
	buf_free(&w);
}

static void
ckpt_put_pipe(struct buf *b, const struct checkpoint *ck)
{
	size_t	 at = snap_sec_begin(b, CKPT_PIPE), i;

	snap_put_u64(b, ck->nitems);
	for (i = 0; i < ck->nitems; i++) {
		snap_put_str(b, ck->items[i].label);
		snap_put_str(b, ck->items[i].value);
	}
	snap_sec_end(b, at);
}

/*
 * Compares the checkpoint's fingerprint in R with this pipeline's (CK
 * NULL: only reads it).  Fails naming the first item that differs in
 * *WHY (caller frees).
 */
static int
ckpt_get_pipe(struct snap_rd *r, const struct checkpoint *ck, char **why)
{
	struct snap_rd	 sub;
	const char	*l, *v;
	size_t		 n, i, j, ln, vn;

	if (snap_sec(r, CKPT_PIPE, &sub) == -1)
		return -1;
	if (snap_get_count(&sub, 2, 4096, &n) == -1)
		return snap_sec_done(r, &sub);
	for (i = 0; i < n; i++) {
		if (snap_get_bytes(&sub, 256, &l, &ln) == -1 ||
		    snap_get_bytes(&sub, 1 << 20, &v, &vn) == -1)
			break;
		if (ck == NULL)
			continue;
		for (j = 0; j < ck->nitems; j++)
			if (strlen(ck->items[j].label) == ln &&
			    memcmp(ck->items[j].label, l, ln) == 0)
				break;
		if (j == ck->nitems) {
			xasprintf(why, "it was written by another pipeline: "
			    "%.*s '%.*s' in the checkpoint, none now", (int)ln,
			    l, (int)vn, v);
			snap_fail(&sub, "%s", *why);
			break;
		}
		if (strlen(ck->items[j].value) != vn ||
		    memcmp(ck->items[j].value, v, vn) != 0) {
			xasprintf(why, "it was written by another pipeline: "
			    "%.*s: '%.*s' in the checkpoint, '%s' now",
			    (int)ln, l, (int)vn, v, ck->items[j].value);
			snap_fail(&sub, "%s", *why);
			break;
		}
	}
	if (ck != NULL && sub.cause == NULL && n != ck->nitems) {
		xasprintf(why, "it was written by another pipeline: %zu "
		    "settings and operators in the checkpoint, %zu now", n,
		    ck->nitems);
		snap_fail(&sub, "%s", *why);
	}
	return snap_sec_done(r, &sub);
}

/* ---- opening ---- */

struct checkpoint *
checkpoint_open(const char *dir, const struct config *cfg, int argc,
    char **argv, const struct op *chain, const char *output,
    int64_t every_ms, char **cause)
{
	struct checkpoint	*ck;
	struct stat		 st;

	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		xasprintf(cause, "--checkpoint %s: %s", dir, strerror(errno));
		return NULL;
	}
	ck = xcalloc(1, sizeof *ck);
	ck->dir = xstrdup(dir);
	ck->lockfd = -1;
	ck->every = every_ms;
	ck->last_end = -1;
	ck->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ck->dfd == -1 || fstat(ck->dfd, &st) != 0) {
		xasprintf(cause, "--checkpoint %s: %s", dir, strerror(errno));
		goto fail;
	}
	ck->lockfd = openat(ck->dfd, CKPT_LOCK, O_RDWR | O_CREAT | O_CLOEXEC,
	    0666);
	if (ck->lockfd == -1) {
		xasprintf(cause, "--checkpoint %s: %s: %s", dir, CKPT_LOCK,
		    strerror(errno));
		goto fail;
	}
	if (flock(ck->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			xasprintf(cause, "--checkpoint %s: in use by another "
			    "dstream run", dir);
		else
			xasprintf(cause, "--checkpoint %s: lock: %s", dir,
			    strerror(errno));
		goto fail;
	}
	ckpt_fingerprint(ck, cfg, argc, argv, chain, output);
	return ck;
fail:
	checkpoint_free(ck);
	return NULL;
}

void
checkpoint_free(struct checkpoint *ck)
{
	size_t	 i;

	if (ck == NULL)
		return;
	if (ck->lockfd != -1)
		close(ck->lockfd);
	if (ck->dfd != -1)
		close(ck->dfd);
	for (i = 0; i < ck->nitems; i++) {
		free(ck->items[i].label);
		free(ck->items[i].value);
	}
	free(ck->items);
	buf_free(&ck->b);
	free(ck->dir);
	free(ck);
}

/* ---- reading ---- */

/*
 * Reads DIR/checkpoint into B.  Returns 1 when it was read, 0 when there
 * is none, -1 with *CAUSE set.
 */
static int
ckpt_read_file(struct checkpoint *ck, struct buf *b, char **cause)
{
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	/* A write cut short left its temporary file: the last good stays. */
	if (unlinkat(ck->dfd, CKPT_TEMP, 0) == 0)
		fprintf(stderr, "%s: checkpoint %s: removed %s, left by a "
		    "write cut short; resuming from the last complete "
		    "checkpoint\n", progname, ck->dir, CKPT_TEMP);
	fd = openat(ck->dfd, CKPT_FILE, O_RDONLY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		return 0;
	if (fd == -1 || fstat(fd, &st) != 0) {
		xasprintf(cause, "checkpoint %s/%s: %s", ck->dir, CKPT_FILE,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > CKPT_MAX) {
		xasprintf(cause, "checkpoint %s/%s: %lld bytes: too large",
		    ck->dir, CKPT_FILE, (long long)st.st_size);
		close(fd);
		return -1;
	}
	buf_reset(b);
	buf_grow(b, (size_t)st.st_size + 1);
	for (;;) {
		if (b->cap - b->len < 65536)
			buf_grow(b, 65536);
		n = read(fd, b->p + b->len, b->cap - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			xasprintf(cause, "checkpoint %s/%s: read error: %s",
			    ck->dir, CKPT_FILE, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	close(fd);
	return 1;
}

/*
 * Reads the META section of the checkpoint B[0..n): its sequence number
 * into *SEQ, its last batch end into *END and, when WHEN is not NULL,
 * the wall clock when it was written into *WHEN.  Returns 0 or -1 (the
 * cause in R, which is left at the start of the PIPE section).
 */
static int
ckpt_get_meta(struct snap_rd *r, uint64_t *seq, int64_t *end, int64_t *when)
{
	struct snap_rd	 sub;
	const char	*v;
	size_t		 vn;
	int64_t		 written;

	if (snap_sec(r, CKPT_META, &sub) == -1)
		return -1;
	if (snap_get_u64(&sub, seq) == 0 &&
	    snap_get_i64(&sub, &written) == 0 &&
	    snap_get_bytes(&sub, 256, &v, &vn) == 0) {
		snap_get_i64(&sub, end);
		if (when != NULL)
			*when = written;
	}
	return snap_sec_done(r, &sub);
}

/* The sequence number of the checkpoint bytes B[0..n), or 0 when unreadable. */
static uint64_t
ckpt_seq(const void *b, size_t n)
{
	struct snap_rd	 r, pl;
	uint64_t	 seq = 0;
	int64_t		 end;

	snap_rd_init(&r, b, n);
	if (snap_open(&r, CKPT_KIND, &pl) == 0 &&
	    ckpt_get_meta(&pl, &seq, &end, NULL) == -1)
		seq = 0;
	snap_rd_free(&pl);
	snap_rd_free(&r);
	return seq;
}

/*
 * Walks the INPT section: each input's name compared with P's (P NULL:
 * only read), then, when LOAD, each position loaded.  A difference is
 * told in *WHY (caller frees).
 */
static int
ckpt_get_inputs(struct snap_rd *r, const struct ckpt_parts *p, bool load,
    char **why)
{
	struct snap_rd	 sub, pos;
	const char	*name;
	size_t		 n, i, len;

	if (snap_sec(r, CKPT_INPT, &sub) == -1)
		return -1;
	if (snap_get_count(&sub, 2, 1 << 20, &n) == -1)
		return snap_sec_done(r, &sub);
	if (p != NULL && n != (size_t)p->nsrc) {
		xasprintf(why, "it was written for %zu input%s, this run has "
		    "%d", n, n == 1 ? "" : "s", p->nsrc);
		snap_fail(&sub, "%s", *why);
		return snap_sec_done(r, &sub);
	}
	for (i = 0; i < n; i++) {
		if (snap_get_bytes(&sub, 1 << 16, &name, &len) == -1)
			break;
		if (p != NULL && (strlen(p->src[i]->name) != len ||
		    memcmp(p->src[i]->name, name, len) != 0)) {
			xasprintf(why, "its input %zu is '%.*s', this run's "
			    "is '%s'", i + 1, (int)len, name,
			    p->src[i]->name);
			snap_fail(&sub, "%s", *why);
			break;
		}
		if (load) {
			if (source_load(p->src[i], &sub) == -1)
				break;
		} else {
			if (snap_sec(&sub, SNAP_TAG('P', 'O', 'S', 'N'),
			    &pos) == -1)
				break;
			pos.p = pos.end;
			if (snap_sec_done(&sub, &pos) == -1)
				break;
		}
	}
	return snap_sec_done(r, &sub);
}

/* Skips one section of R tagged TAG. */
static int
ckpt_skip(struct snap_rd *r, uint32_t tag)
{
	struct snap_rd	 sub;

	if (snap_sec(r, tag, &sub) == -1)
		return -1;
	sub.p = sub.end;
	return snap_sec_done(r, &sub);
}

/* The --late-file as a checkpoint recorded it (LATE). */
struct ckpt_late {
	char		*path;
	uint64_t	 dev;
	uint64_t	 ino;
	uint64_t	 len;
	bool		 have;
};

/*
 * Reads the LATE section into L when R has one more section (a
 * checkpoint of a run without --late-file, or from before LATE was
 * written, has none).  Returns 0 or -1 (recorded in R).
 */
static int
ckpt_get_late(struct snap_rd *r, struct ckpt_late *l)
{
	struct snap_rd	 sub;
	const char	*path;
	size_t		 len;

	if (snap_left(r) == 0)
		return 0;
	if (snap_sec(r, CKPT_LATE, &sub) == -1)
		return -1;
	if (snap_get_bytes(&sub, 1 << 16, &path, &len) == 0 &&
	    snap_get_u64(&sub, &l->dev) == 0 &&
	    snap_get_u64(&sub, &l->ino) == 0 &&
	    snap_get_u64(&sub, &l->len) == 0) {
		l->path = xstrndup(path, len);
		l->have = true;
	}
	return snap_sec_done(r, &sub);
}

/*
 * Cuts this run's --late-file back to the length L recorded, when it is
 * the same file (path, device and inode) and longer: the late records
 * written after that checkpoint are written again by this run.  A file
 * that is another one now, or shorter (rotated, emptied by hand), is
 * appended to as it is.
 */
static void
ckpt_late_cut(const struct ckpt_parts *p, const struct ckpt_late *l)
{
	struct stat	 st;
	int		 fd;

	if (p->late == NULL || !l->have || strcmp(p->late_path, l->path) != 0)
		return;
	fd = fileno(p->late);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_dev != l->dev || (uint64_t)st.st_ino != l->ino ||
	    (uint64_t)st.st_size <= l->len)
		return;
	if (ftruncate(fd, (off_t)l->len) != 0 || fsync(fd) != 0)
		fprintf(stderr, "%s: --late-file %s: cannot cut it back to "
		    "%" PRIu64 " bytes: %s (late records since the checkpoint "
		    "may be written twice)\n", progname, p->late_path, l->len,
		    strerror(errno));
}

/* The inputs' counters, by which the clock's waiting records name them. */
static struct counters **
ckpt_counters(const struct ckpt_parts *p)
{
	struct counters	**c = xcalloc((size_t)p->nsrc + 1, sizeof *c);
	int		  i;

	for (i = 0; i < p->nsrc; i++)
		c[i] = &p->src[i]->counters;
	return c;
}

/*
 * The end of reading checkpoint bytes: R read the container, PL its
 * payload.  When RC is -1 and *CAUSE is not set yet, *CAUSE gets what
 * the readers recorded (the container's cause, else the payload's;
 * caller frees).  Frees both readers' causes.  Returns RC.
 */
static int
ckpt_rd_done(struct snap_rd *r, struct snap_rd *pl, int rc, char **cause)
{
	if (rc == -1 && *cause == NULL)
		*cause = r->cause != NULL ? snap_rd_cause(r) :
		    snap_rd_cause(pl);
	snap_rd_free(pl);
	snap_rd_free(r);
	return rc;
}

/*
 * Checks the checkpoint B[0..n) against the pipeline and loads it into
 * P.  Everything that can be refused is checked before anything changes
 * outside dstream (the output file is cut back last).
 */
static int
ckpt_load(struct checkpoint *ck, const struct ckpt_parts *p, const char *b,
    size_t n, char **cause)
{
	struct snap_rd	 r, pl, sub;
	struct counters	**ctr = NULL;
	struct ckpt_late late = { NULL, 0, 0, 0, false };
	const char	*inputs;
	int64_t		 written = 0;
	int		 rc = -1, i;

	snap_rd_init(&r, b, n);
	if (snap_open(&r, CKPT_KIND, &pl) == -1)
		goto out;
	if (ckpt_get_meta(&pl, &ck->seq, &ck->last_end, &written) == -1 ||
	    ckpt_get_pipe(&pl, ck, cause) == -1)
		goto out;
	/* A followed file's successors are told by that time (follow.c). */
	for (i = 0; i < p->nsrc; i++)
		p->src[i]->saved_ms = written;
	/* The inputs' names first, then their positions. */
	inputs = pl.p;
	if (ckpt_get_inputs(&pl, p, false, cause) == -1)
		goto out;
	pl.p = inputs;
	if (ckpt_get_inputs(&pl, p, true, cause) == -1)
		goto out;
	ctr = ckpt_counters(p);
	if (clock_load(p->clock, &pl, ctr, (size_t)p->nsrc) == -1)
		goto out;
	if (snap_sec(&pl, CKPT_CHAN, &sub) == -1)
		goto out;
	if (chain_load(p->chain, &sub) == 0 && snap_left(&sub) > 0)
		(void)rebuild_load(p->rb, &sub);
	if (snap_sec_done(&pl, &sub) == -1)
		goto out;
	if (snap_sec(&pl, CKPT_SINK, &sub) == -1)
		goto out;
	sink_load(p->sink, &sub);
	if (snap_sec_done(&pl, &sub) == -1 ||
	    ckpt_get_late(&pl, &late) == -1 || snap_rd_end(&pl) == -1)
		goto out;
	ckpt_late_cut(p, &late);
	rc = 0;
out:
	free(ctr);
	free(late.path);
	return ckpt_rd_done(&r, &pl, rc, cause);
}

int
checkpoint_resume(struct checkpoint *ck, const struct ckpt_parts *p,
    char **cause)
{
	struct buf	 stored = BUF_INIT;
	const char	*from;
	char		*why = NULL, *abs, *where = NULL;
	int		 have;

	have = ckpt_read_file(ck, &ck->b, cause);
	if (have == -1)
		return -1;
	/* Named by the folder's absolute path: the same on every resume. */
	abs = realpath(ck->dir, NULL);
	if (sink_checkpointed(p->sink, abs != NULL ? abs : ck->dir,
	    cause) != 0) {
		free(abs);
		return -1;
	}
	free(abs);
	if (sink_stored_checkpoint(p->sink, &stored, cause) == -1) {
		buf_free(&stored);
		return -1;
	}
	/* The newer of the folder's and the destination's. */
	from = CKPT_FILE;
	if (stored.len > 0)
		where = sink_stored_where(p->sink);
	if (stored.len > 0 && (have == 0 ||
	    ckpt_seq(stored.p, stored.len) > ckpt_seq(ck->b.p, ck->b.len))) {
		buf_reset(&ck->b);
		buf_add(&ck->b, stored.p, stored.len);
		have = 1;
		from = "the destination's copy";
	}
	buf_free(&stored);
	if (have == 0) {
		free(where);
		return 0;
	}
	/*
	 * To start afresh, the destination's copy goes too: without it
	 * removed, the next run would resume from (or refuse) that copy.
	 */
	if (ckpt_load(ck, p, ck->b.p, ck->b.len, &why) == -1) {
		xasprintf(cause, "checkpoint %s (%s): %s; remove %s%s%s to "
		    "start afresh (its state and input positions are then "
		    "lost)", ck->dir, from, why != NULL ? why : "refused",
		    ck->dir, where != NULL ? " and " : "",
		    where != NULL ? where : "");
		free(why);
		free(where);
		return -1;
	}
	free(where);
	return 1;
}

int
checkpoint_check(const void *b, size_t n, char **cause)
{
	struct snap_rd	 r, pl, sub, op;
	struct ckpt_late late = { NULL, 0, 0, 0, false };
	uint64_t	 seq, nops, i;
	int64_t		 end;
	const char	*name;
	size_t		 len;
	int		 rc = -1;

	*cause = NULL;
	snap_rd_init(&r, b, n);
	if (snap_open(&r, CKPT_KIND, &pl) == -1)
		goto out;
	if (ckpt_get_meta(&pl, &seq, &end, NULL) == -1 ||
	    ckpt_get_pipe(&pl, NULL, cause) == -1 ||
	    ckpt_get_inputs(&pl, NULL, false, cause) == -1 ||
	    ckpt_skip(&pl, SNAP_TAG('C', 'L', 'C', 'K')) == -1 ||
	    snap_sec(&pl, CKPT_CHAN, &sub) == -1)
		goto out;
	if (snap_get_u64(&sub, &nops) == 0)
		for (i = 0; i < nops; i++) {
			if (snap_sec(&sub, SNAP_TAG('O', 'P', 'S', 'T'),
			    &op) == -1)
				break;
			if (snap_get_bytes(&op, 256, &name, &len) == 0)
				op.p = op.end;
			if (snap_sec_done(&sub, &op) == -1)
				break;
		}
	/* A rebuilt chain's bounds (rebuild.c). */
	if (snap_left(&sub) > 0) {
		struct rebuild	 rb;

		memset(&rb, 0, sizeof rb);
		(void)rebuild_load(&rb, &sub);
		rebuild_free(&rb);
	}
	if (snap_sec_done(&pl, &sub) == -1 ||
	    ckpt_skip(&pl, CKPT_SINK) == -1 ||
	    ckpt_get_late(&pl, &late) == -1 || snap_rd_end(&pl) == -1)
		goto out;
	rc = 0;
out:
	free(late.path);
	return ckpt_rd_done(&r, &pl, rc, cause);
}

/* ---- writing ---- */

void
checkpoint_batch(struct checkpoint *ck, int64_t end)
{
	ck->waiting = true;
	ck->last_end = end;
}

bool
checkpoint_due(const struct checkpoint *ck, int64_t now)
{
	return ck->waiting && now - ck->last_write >= ck->every;
}

int64_t
checkpoint_wake(const struct checkpoint *ck, int64_t now)
{
	int64_t	 t;

	if (!ck->waiting)
		return -1;
	t = ck->last_write + ck->every - now;
	return t < 0 ? 0 : t;
}

/* Builds the checkpoint of P into ck->b.  Returns 0, or -1 with *CAUSE set. */
static int
ckpt_build(struct checkpoint *ck, const struct ckpt_parts *p, char **cause)
{
	struct buf	*b = &ck->b;
	struct counters	**ctr;
	struct stat	 st;
	size_t		 start, at, in;
	int		 i, rc;

	buf_reset(b);
	start = snap_begin(b, CKPT_KIND);
	at = snap_sec_begin(b, CKPT_META);
	snap_put_u64(b, ck->seq + 1);
	snap_put_i64(b, clock_now_ms());
	snap_put_str(b, PACKAGE_VERSION);
	snap_put_i64(b, ck->last_end);
	snap_sec_end(b, at);
	ckpt_put_pipe(b, ck);
	at = snap_sec_begin(b, CKPT_INPT);
	snap_put_u64(b, (uint64_t)p->nsrc);
	for (i = 0; i < p->nsrc; i++) {
		snap_put_str(b, p->src[i]->name);
		if (source_save(p->src[i], b) != 0) {
			xasprintf(cause, "input %s: its position cannot be "
			    "saved", p->src[i]->name);
			return -1;
		}
	}
	snap_sec_end(b, at);
	ctr = ckpt_counters(p);
	rc = clock_save(p->clock, b, ctr, (size_t)p->nsrc, cause);
	free(ctr);
	if (rc != 0)
		return -1;
	at = snap_sec_begin(b, CKPT_CHAN);
	if (chain_save(p->chain, b, cause) != 0)
		return -1;
	if (rebuild_on(p->rb) && rebuild_save(p->rb, b, cause) != 0)
		return -1;
	snap_sec_end(b, at);
	at = snap_sec_begin(b, CKPT_SINK);
	in = b->len;
	if (sink_save(p->sink, b) != 0) {
		xasprintf(cause, "the output's position cannot be saved");
		return -1;
	}
	(void)in;
	snap_sec_end(b, at);
	if (p->late != NULL && fstat(fileno(p->late), &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		at = snap_sec_begin(b, CKPT_LATE);
		snap_put_str(b, p->late_path);
		snap_put_u64(b, (uint64_t)st.st_dev);
		snap_put_u64(b, (uint64_t)st.st_ino);
		snap_put_u64(b, (uint64_t)st.st_size);
		snap_sec_end(b, at);
	}
	snap_end(b, start);
	return 0;
}

/*
 * Writes ck->b to DIR/checkpoint durably.  Returns 0, or -1 after
 * reporting (the temporary file removed, the old checkpoint intact).
 */
static int
ckpt_write_file(struct checkpoint *ck)
{
	const char	*p = ck->b.p, *what = "write error";
	size_t		 left = ck->b.len;
	ssize_t		 w;
	int		 fd;

	fd = openat(ck->dfd, CKPT_TEMP, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0666);
	if (fd == -1) {
		what = "cannot create " CKPT_TEMP;
		goto fail;
	}
	while (left > 0) {
		w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		p += w;
		left -= (size_t)w;
	}
	what = "fsync";
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		what = "write error";
		goto fail;
	}
	fd = -1;
	what = "rename";
	if (renameat(ck->dfd, CKPT_TEMP, ck->dfd, CKPT_FILE) != 0)
		goto fail;
	/* The rename itself durable. */
	what = "fsync of the folder";
	if (fsync(ck->dfd) != 0 && errno != EINVAL)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "%s: checkpoint %s: %s: %s (the last checkpoint "
	    "stays as it was)\n", progname, ck->dir, what, strerror(errno));
	if (fd != -1)
		close(fd);
	unlinkat(ck->dfd, CKPT_TEMP, 0);
	return -1;
}

/*
 * Makes the --late-file's records durable, before its length is
 * recorded.  Returns 0, or -1 after reporting.
 */
static int
ckpt_late_sync(struct checkpoint *ck, const struct ckpt_parts *p)
{
	if (p->late == NULL)
		return 0;
	if (fflush(p->late) != 0 || (fsync(fileno(p->late)) != 0 &&
	    errno != EINVAL && errno != EROFS && errno != ENOTSUP)) {
		fprintf(stderr, "%s: checkpoint %s: --late-file %s: %s (the "
		    "last checkpoint stays as it was)\n", progname, ck->dir,
		    p->late_path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Commits the checkpoint in ck->b in a transactional destination's own
 * transaction, with the inputs' positions as their own systems keep
 * them (Kafka groups' offsets, which a Kafka destination on the same
 * brokers commits in it).  Returns 0, or -1 after reporting.
 */
static int
ckpt_commit_in_sink(struct checkpoint *ck, const struct ckpt_parts *p)
{
	const struct kafka_offsets	**offs;
	size_t				 n = 0;
	int				 i, rc;

	if (!sink_transactional(p->sink))
		return 0;
	offs = xcalloc(p->nsrc > 0 ? (size_t)p->nsrc : 1, sizeof *offs);
	for (i = 0; i < p->nsrc; i++)
		if (p->src[i]->kind->txn_offsets != NULL &&
		    (offs[n] = p->src[i]->kind->txn_offsets(p->src[i])) != NULL)
			n++;
	rc = sink_commit_checkpoint(p->sink, ck->last_end, ck->b.p,
	    ck->b.len, offs, n);
	free(offs);
	return rc;
}

int
checkpoint_write(struct checkpoint *ck, const struct ckpt_parts *p)
{
	char	*cause = NULL;
	int	 i;

	/* What the destination has committed is durable before anything
	 * records a position past it. */
	if (sink_flush_ended(p->sink) != 0 || ckpt_late_sync(ck, p) != 0)
		return -1;
	if (ckpt_build(ck, p, &cause) != 0) {
		fprintf(stderr, "%s: checkpoint %s: %s\n", progname, ck->dir,
		    cause);
		free(cause);
		return -1;
	}
	if (ckpt_commit_in_sink(ck, p) != 0)
		return -1;
	if (ckpt_write_file(ck) != 0)
		return -1;
	for (i = 0; i < p->nsrc; i++)
		if (p->src[i]->kind->checkpointed != NULL)
			p->src[i]->kind->checkpointed(p->src[i]);
	ck->seq++;
	ck->waiting = false;
	ck->last_write = clock_now_ms();
	return 0;
}
