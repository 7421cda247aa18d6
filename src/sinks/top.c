/*
 * top.c - -f top: the latest batch as a table redrawn in place on a
 * terminal, as top(1) does: sorted by value (numbers largest first, then
 * the rest by text), cut to the terminal's size (TIOCGWINSZ, again after
 * SIGWINCH), a sparkline of each key's recent values, the batch (or
 * window) end in local time and the batch's row count on the first
 * line.  Redrawn at each commit, at most TOP_HZ times a second: a batch
 * that ends sooner after a drawing waits for its frame's slot, when the
 * engine calls flush_ended again (wake_ms tells its loop not to sleep
 * past the slot), or for the next commit, or for close.
 *
 * The screen: the terminal's alternate screen with the cursor hidden,
 * each frame one write.  close (the end of the run, also after SIGINT
 * or SIGTERM) leaves it and prints the last frame on the normal screen,
 * so the final table stays (that of the latest batch with rows); sink_top_restore does the leaving from a
 * signal handler (a second SIGINT ends the run at once).  Keys and
 * values are shown with control characters replaced by '?', so input
 * cannot send escape sequences to the terminal.
 *
 * sink_open picks this kind for -f top when stdout is a terminal; when it
 * is not, -f top is plain (stdout.c).  Like stdout it is at-least-once
 * and has no position to save.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../dstream.h"
#include "../expr/expr.h"
#include "sink.h"

#define TOP_HZ		10
#define TOP_HIST	24		/* values kept per key (the sparkline) */
#define TOP_ENTER	"\033[?1049h\033[?25l"
#define TOP_LEAVE	"\033[?25h\033[?1049l"

struct top_row {
	size_t		 key, klen;	/* in the pool; klen 0: no key */
	size_t		 val, vlen;
	double		 num;
	bool		 isnum;
	struct top_hist	*hist;
};

/* A key's recent values, in a table rebuilt as keys come and go. */
struct top_hist {
	char		*key;
	size_t		 klen;
	double		 v[TOP_HIST];
	int		 n;		/* values held (at most TOP_HIST) */
	int		 at;		/* the next slot */
	uint64_t	 seen;		/* the batch it was last in */
};

struct top_sink {
	struct sink	 sink;
	struct buf	 pool;		/* the rows' text */
	struct top_row	*rows;
	size_t		 nrows, cap;
	int64_t		 end;		/* the latest batch */
	int64_t		 rows_end;	/* the batch the rows are of */
	bool		 got;		/* the batch in hand has rows */
	bool		 empty;		/* the latest batch had none */
	struct top_hist	**hist;		/* open addressing, power of 2 */
	size_t		 hcap, hn;
	uint64_t	 gen;		/* batches committed */
	struct buf	 frame;
	bool		 pending;	/* committed and not drawn */
	bool		 entered;	/* on the alternate screen */
	bool		 failed;
	int64_t		 next_at;	/* ms, monotonic: the next frame's slot */
	int		 cols, lines;
};

static volatile sig_atomic_t	top_winch;
static volatile sig_atomic_t	top_active;

static void
top_on_winch(int sig)
{
	top_winch = 1;
}

void
sink_top_restore(void)
{
	if (top_active) {
		top_active = 0;
		(void)!write(STDOUT_FILENO, TOP_LEAVE, sizeof TOP_LEAVE - 1);
	}
}

static int64_t
top_mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes P[0..n) to the terminal whole.  Returns 0, or -1 (reported). */
static int
top_write(struct top_sink *t, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(STDOUT_FILENO, p, n)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (!t->failed)
				fprintf(stderr, "%s: write error: %s\n",
				    progname, strerror(errno));
			t->failed = true;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
top_size(struct top_sink *t)
{
	struct winsize	 ws;

	t->cols = 80;
	t->lines = 24;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 &&
	    ws.ws_row > 0) {
		t->cols = ws.ws_col;
		t->lines = ws.ws_row;
	}
}

static struct sink *
top_open(const struct sink_kind *kind, const char *dest,
    enum out_format format, bool stamp, char **cause)
{
	struct top_sink		*t = xcalloc(1, sizeof *t);
	struct sigaction	 sa;

	t->sink.kind = kind;
	t->sink.format = format;
	t->sink.stamp = stamp;
	t->next_at = INT64_MIN / 2;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = top_on_winch;	/* no SA_RESTART: poll() wakes */
	sigaction(SIGWINCH, &sa, NULL);
	top_size(t);
	return &t->sink;
}

/* ---- the keys' history ---- */

static uint64_t
top_hash(const char *s, size_t n)
{
	uint64_t	 h = 1469598103934665603ULL;

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* The history of KEY[0..n), made when missing. */
static struct top_hist *
top_hist_get(struct top_sink *t, const char *key, size_t n)
{
	struct top_hist	**old, *h;
	size_t		  i, ocap;

	if (2 * (t->hn + 1) > t->hcap) {
		old = t->hist;
		ocap = t->hcap;
		t->hcap = ocap == 0 ? 64 : ocap * 2;
		t->hist = xcalloc(t->hcap, sizeof *t->hist);
		for (i = 0; i < ocap; i++) {
			size_t	 j;

			if ((h = old[i]) == NULL)
				continue;
			j = top_hash(h->key, h->klen) & (t->hcap - 1);
			while (t->hist[j] != NULL)
				j = (j + 1) & (t->hcap - 1);
			t->hist[j] = h;
		}
		free(old);
	}
	i = top_hash(key, n) & (t->hcap - 1);
	while ((h = t->hist[i]) != NULL) {
		if (h->klen == n && memcmp(h->key, key, n) == 0)
			return h;
		i = (i + 1) & (t->hcap - 1);
	}
	h = xcalloc(1, sizeof *h);
	h->key = xstrndup(key, n);
	h->klen = n;
	t->hist[i] = h;
	t->hn++;
	return h;
}

/* Forgets the keys not in the latest batch once they outnumber it. */
static void
top_hist_prune(struct top_sink *t)
{
	struct top_hist	**old = t->hist, *h;
	size_t		  i, ocap = t->hcap;

	if (t->hn < 1024 || t->hn < 4 * t->nrows)
		return;
	t->hist = NULL;
	t->hcap = t->hn = 0;
	for (i = 0; i < ocap; i++) {
		if ((h = old[i]) == NULL)
			continue;
		if (h->seen == t->gen) {
			struct top_hist	*n = top_hist_get(t, h->key, h->klen);

			memcpy(n->v, h->v, sizeof n->v);
			n->n = h->n;
			n->at = h->at;
			n->seen = h->seen;
		}
		free(h->key);
		free(h);
	}
	free(old);
	for (i = 0; i < t->nrows; i++)
		t->rows[i].hist = NULL;
}

/* ---- rows ---- */

static int
top_begin(struct sink *s, int64_t end_ms)
{
	struct top_sink	*t = (struct top_sink *)s;

	/* The rows before stay until this batch brings some (for the
	 * table left on the screen at the end). */
	t->got = false;
	t->end = end_ms;
	return t->failed ? -1 : 0;
}

static int
top_row(struct sink *s, const struct value *v, int64_t end_ms)
{
	struct top_sink	*t = (struct top_sink *)s;
	struct top_row	*r;
	const struct value *val = v;

	if (!t->got) {
		t->got = true;
		t->nrows = 0;
		buf_reset(&t->pool);
	}
	if (t->nrows == t->cap) {
		t->cap = t->cap == 0 ? 64 : t->cap * 2;
		t->rows = xreallocarray(t->rows, t->cap, sizeof *t->rows);
	}
	r = &t->rows[t->nrows++];
	memset(r, 0, sizeof *r);
	if (value_is_pair(v)) {
		r->key = t->pool.len;
		value_fmt_plain(&t->pool, &v->u.a[0]);
		r->klen = t->pool.len - r->key;
		val = &v->u.a[1];
	}
	r->val = t->pool.len;
	value_fmt_plain(&t->pool, val);
	r->vlen = t->pool.len - r->val;
	if ((r->isnum = value_is_num(val)))
		r->num = val->type == V_INT ? (double)val->u.i : val->u.d;
	return 0;
}

static struct top_sink	*top_sorting;

/* Numbers largest first, then the rest by their text, then by key. */
static int
top_cmp(const void *a, const void *b)
{
	const struct top_row	*x = a, *y = b;
	const char		*p = top_sorting->pool.p;
	size_t			 n;
	int			 c;

	if (x->isnum != y->isnum)
		return x->isnum ? -1 : 1;
	if (x->isnum && x->num != y->num)
		return x->num > y->num ? -1 : 1;
	if (!x->isnum) {
		n = x->vlen < y->vlen ? x->vlen : y->vlen;
		if ((c = memcmp(p + x->val, p + y->val, n)) != 0)
			return c;
		if (x->vlen != y->vlen)
			return x->vlen < y->vlen ? -1 : 1;
	}
	n = x->klen < y->klen ? x->klen : y->klen;
	if ((c = memcmp(p + x->key, p + y->key, n)) != 0)
		return c;
	return x->klen < y->klen ? -1 : x->klen > y->klen;
}

/*
 * Appends S[0..n) to B in at most WIDTH columns (UTF-8 sequences whole,
 * control characters as '?'), padded with blanks to WIDTH when PAD.
 * Returns the columns used.
 */
static int
top_cell(struct buf *b, const char *s, size_t n, int width, bool pad)
{
	int	 used = 0;
	size_t	 i = 0, len;

	while (i < n && used < width) {
		unsigned char	 c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			buf_addc(b, '?');
			i++;
		} else if (c < 0x80) {
			buf_addc(b, c);
			i++;
		} else {
			len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
			if (i + len > n || len == 1) {
				buf_addc(b, '?');
				i++;
			} else {
				buf_add(b, s + i, len);
				i += len;
			}
		}
		used++;
	}
	if (i < n && used > 0) {
		/* Cut: the last column says so. */
		while (b->len > 0 && ((unsigned char)b->p[b->len - 1] & 0xc0) ==
		    0x80)
			b->len--;
		b->len--;
		buf_adds(b, "\xe2\x80\xa6");	/* … */
	}
	for (; pad && used < width; used++)
		buf_addc(b, ' ');
	return used;
}

/* The width in columns of S[0..n), as top_cell counts them. */
static int
top_width(const char *s, size_t n)
{
	int	 w = 0;
	size_t	 i;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
	return w;
}

/* Appends H's sparkline, the oldest value first, in at most WIDTH columns. */
static void
top_spark(struct buf *b, const struct top_hist *h, int width)
{
	static const char *const bars[] = { "\xe2\x96\x81", "\xe2\x96\x82",
	    "\xe2\x96\x83", "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
	    "\xe2\x96\x87", "\xe2\x96\x88" };
	double	 lo, hi, v;
	int	 i, n = h->n < width ? h->n : width, k;

	if (n <= 0)
		return;
	lo = hi = h->v[(h->at - 1 + TOP_HIST) % TOP_HIST];
	for (i = 0; i < n; i++) {
		v = h->v[(h->at - n + i + 2 * TOP_HIST) % TOP_HIST];
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	for (i = 0; i < n; i++) {
		v = h->v[(h->at - n + i + 2 * TOP_HIST) % TOP_HIST];
		k = hi > lo ? (int)((v - lo) / (hi - lo) * 7 + 0.5) : 3;
		buf_adds(b, bars[k < 0 ? 0 : k > 7 ? 7 : k]);
	}
}

/*
 * Lays the frame out for the terminal's size: PLAIN, without escapes.
 * EMPTY: the latest batch, which had no rows; else the latest with rows.
 */
static void
top_layout(struct top_sink *t, bool plain, bool empty)
{
	struct buf	*b = &t->frame;
	struct buf	 when = BUF_INIT;
	const char	*p = t->pool.p;
	char		 local[64];
	struct tm	 tm;
	time_t		 secs = (time_t)((empty ? t->end : t->rows_end) / 1000);
	size_t		 i, shown, nrows = empty ? 0 : t->nrows;
	int		 kw = 0, vw = 5, sw, room, w;
	bool		 keyed = false;

	buf_reset(b);
	if (!plain)
		buf_adds(b, "\033[H");
	localtime_r(&secs, &tm);
	strftime(local, sizeof local, "%Y-%m-%d %H:%M:%S", &tm);
	room = plain ? (int)nrows : t->lines - 2;
	if (room < 1)
		room = 1;
	shown = nrows < (size_t)room ? nrows : (size_t)room;
	if (shown < nrows && room > 1 && !plain)
		shown = (size_t)room - 1;	/* a line for "... more" */
	for (i = 0; i < shown; i++) {
		struct top_row	*r = &t->rows[i];

		if (r->klen > 0)
			keyed = true;
		if ((w = top_width(p + r->key, r->klen)) > kw)
			kw = w;
		if ((w = top_width(p + r->val, r->vlen)) > vw)
			vw = w;
	}
	if (kw < 3)
		kw = 3;
	if (kw > t->cols / 2)
		kw = t->cols / 2;
	if (vw > t->cols / 3)
		vw = t->cols / 3;
	sw = t->cols - (keyed ? kw + 2 : 0) - vw - 2;
	if (sw > TOP_HIST)
		sw = TOP_HIST;
	buf_printf(&when, "%s  %zu row%s", local, nrows,
	    nrows == 1 ? "" : "s");
	w = top_cell(b, "dstream top  ", 13, t->cols, false);
	top_cell(b, when.p, when.len, t->cols - w, false);
	buf_adds(b, plain ? "\n" : "\033[K\r\n");
	buf_free(&when);
	if (keyed)
		buf_printf(b, "%-*s  ", kw, "KEY");
	buf_printf(b, "%*s", vw, "VALUE");
	if (sw > 0)
		buf_adds(b, "  TREND");
	buf_adds(b, plain ? "\n" : "\033[K\r\n");
	for (i = 0; i < shown; i++) {
		struct top_row	*r = &t->rows[i];

		if (keyed) {
			top_cell(b, p + r->key, r->klen, kw, true);
			buf_adds(b, "  ");
		}
		/* Numbers to the right, text to the left. */
		if (r->isnum)
			for (w = top_width(p + r->val, r->vlen); w < vw; w++)
				buf_addc(b, ' ');
		top_cell(b, p + r->val, r->vlen, vw, !r->isnum && sw > 0);
		if (sw > 0 && r->hist != NULL && r->isnum) {
			buf_adds(b, "  ");
			top_spark(b, r->hist, sw);
		}
		buf_adds(b, plain ? "\n" : "\033[K\r\n");
	}
	if (shown < nrows)
		buf_printf(b, "... %zu more%s", nrows - shown,
		    plain ? "\n" : "\033[K");
	else if (nrows == 0)
		buf_adds(b, plain ? "(no rows)\n" : "(no rows)\033[K");
	if (!plain)
		buf_adds(b, "\033[J");
}

/*
 * Whether a frame may be drawn now, and if so takes its slot.  Slots are
 * 1000 / TOP_HZ ms apart on average, so at most TOP_HZ frames a second
 * (and one more); a frame may come up to 20 ms early, as batch ends
 * 100 ms apart do with the loop's jitter.  A window resize is drawn at
 * once.
 */
static bool
top_due(struct top_sink *t)
{
	int64_t	 now = top_mono_ms();

	if (now < t->next_at && !top_winch)
		return false;
	t->next_at += 1000 / TOP_HZ;
	if (t->next_at < now + 1000 / TOP_HZ - 20)
		t->next_at = now + 1000 / TOP_HZ - 20;
	return true;
}

/* Draws the batch in hand.  Returns 0, or -1 after a write error. */
static int
top_draw(struct top_sink *t)
{
	if (t->failed)
		return -1;
	if (top_winch) {
		top_winch = 0;
		top_size(t);
	}
	if (!t->entered) {
		t->entered = true;
		top_active = 1;
		if (top_write(t, TOP_ENTER, sizeof TOP_ENTER - 1) != 0)
			return -1;
	}
	top_layout(t, false, t->empty);
	t->pending = false;
	return top_write(t, t->frame.p, t->frame.len);
}

static int
top_commit(struct sink *s, int64_t end_ms)
{
	struct top_sink	*t = (struct top_sink *)s;
	struct top_hist	*h;
	size_t		 i;

	s->cut = false;
	t->empty = !t->got;
	t->pending = true;
	if (t->empty)
		return top_due(t) ? top_draw(t) : (t->failed ? -1 : 0);
	t->rows_end = end_ms;
	t->gen++;
	for (i = 0; i < t->nrows; i++) {
		struct top_row	*r = &t->rows[i];

		if (!r->isnum)
			continue;
		h = top_hist_get(t, t->pool.p + r->key, r->klen);
		/* A key twice in a batch (unkeyed rows): its latest value. */
		if (h->seen == t->gen)
			h->at = (h->at - 1 + TOP_HIST) % TOP_HIST;
		else if (h->n < TOP_HIST)
			h->n++;
		h->v[h->at] = r->num;
		h->at = (h->at + 1) % TOP_HIST;
		h->seen = t->gen;
	}
	top_hist_prune(t);
	for (i = 0; i < t->nrows; i++)
		if (t->rows[i].isnum && t->rows[i].hist == NULL)
			t->rows[i].hist = top_hist_get(t, t->pool.p +
			    t->rows[i].key, t->rows[i].klen);
	top_sorting = t;
	qsort(t->rows, t->nrows, sizeof *t->rows, top_cmp);
	if (top_due(t))
		return top_draw(t);
	return t->failed ? -1 : 0;
}

/* A frame waiting for its slot: the ms until it (flush_ended draws it). */
static int
top_wake_ms(struct sink *s)
{
	struct top_sink	*t = (struct top_sink *)s;
	int64_t		 left;

	if (!t->pending || t->failed)
		return -1;
	left = t->next_at - top_mono_ms();
	return left < 0 ? 0 : left > 1000 ? 1000 : (int)left;
}

static int
top_flush_ended(struct sink *s)
{
	struct top_sink	*t = (struct top_sink *)s;

	if (t->pending && top_due(t))
		return top_draw(t);
	if (top_winch && t->entered)
		return top_draw(t);
	return t->failed ? -1 : 0;
}

static int
top_save(struct sink *s, struct buf *b)
{
	return 0;
}

static int
top_load(struct sink *s, struct snap_rd *r)
{
	return 0;
}

/* Leaves the alternate screen and prints the last frame where it stays. */
static void
top_close(struct sink *s)
{
	struct top_sink	*t = (struct top_sink *)s;
	struct sigaction sa;
	size_t		 i;

	if (t->entered && !t->failed) {
		top_active = 0;
		if (top_write(t, TOP_LEAVE, sizeof TOP_LEAVE - 1) == 0 &&
		    t->gen > 0) {
			/* The latest batch with rows stays on the screen. */
			top_layout(t, true, false);
			(void)top_write(t, t->frame.p, t->frame.len);
		}
	}
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGWINCH, &sa, NULL);
	for (i = 0; i < t->hcap; i++)
		if (t->hist[i] != NULL) {
			free(t->hist[i]->key);
			free(t->hist[i]);
		}
	free(t->hist);
	free(t->rows);
	buf_free(&t->pool);
	buf_free(&t->frame);
	free(t);
}

const struct sink_kind sink_top = {
	.name = "top",
	.open = top_open,
	.begin = top_begin,
	.row = top_row,
	.commit = top_commit,
	.flush_ended = top_flush_ended,
	.wake_ms = top_wake_ms,
	.save = top_save,
	.load = top_load,
	.close = top_close
};
