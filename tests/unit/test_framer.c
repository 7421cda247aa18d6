/*
 * test_framer.c - the framer alone, fed through non-blocking pipes: lines
 * cut whole, the partial line held between reads in a buffer sized to
 * fit (none between lines, shrinking back after a long line), over-long
 * lines skipped with their memory let go, and the pool of --max-buffered
 * (issue 10 item 8): past the bound the framers holding the most are
 * paused, the one holding the most leads and is read to the end of its
 * line, a paused framer resumes once memory is freed, and a lone line
 * longer than the bound still gets through.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/dstream.h"
#include "../../src/sources/source.h"
#include "unit.h"

static struct arena	 rec;
static bool		 failed;
static struct intake	 ik;
static struct buf	 logbuf = BUF_INIT;
static size_t		 nrec;
static struct stream	*nested;	/* read from the intake, once */

static size_t	drain(struct stream *);

/*
 * The intake: logs "LEN:FIRST-BYTE " for each record; reads NESTED (if
 * set) while the record is out, then checks the record is intact.
 */
static void
take(struct intake *in, struct source *src, struct value *v,
    const char *raw, size_t len)
{
	struct stream	*s = nested;
	char		 before[64];
	size_t		 keep = len < sizeof before ? len : sizeof before;

	nrec++;
	buf_printf(&logbuf, "%zu:%c ", len, len > 0 ? raw[0] : '-');
	if (s != NULL) {
		nested = NULL;
		memcpy(before, raw, keep);
		drain(s);
		CHECK(memcmp(before, raw, keep) == 0);
	}
	arena_reset(&rec);
}

static const char *
logged(void)
{
	buf_addc(&logbuf, '\0');
	logbuf.len--;
	return logbuf.p;
}

static void
log_clear(void)
{
	logbuf.len = 0;
	nrec = 0;
}

/* One stream: a pipe, its framer and its source. */
struct stream {
	int		 rfd, wfd;
	struct framer	 fr;
	struct source	 src;
};

static void
stream_open(struct stream *s, const char *name, size_t max_line,
    struct framer_pool *pool)
{
	int	 p[2];

	memset(s, 0, sizeof *s);
	if (pipe2(p, O_NONBLOCK) != 0)
		abort();
	s->rfd = p[0];
	s->wfd = p[1];
	s->src.name = (char *)name;
	s->src.intake = &ik;
	framer_init(&s->fr, max_line, pool);
}

static void
stream_close(struct stream *s)
{
	close(s->rfd);
	if (s->wfd != -1)
		close(s->wfd);
	framer_free(&s->fr);
}

/*
 * Reads S until the pipe is empty or the framer is paused.  Returns the
 * bytes read.
 */
static size_t
drain(struct stream *s)
{
	size_t	 total = 0;
	ssize_t	 n;

	while ((n = framer_read(&s->fr, &s->src, s->rfd)) > 0)
		total += (size_t)n;
	return total;
}

/* Writes N bytes of C to S (at most what a pipe holds: 64 KiB). */
static void
put(struct stream *s, char c, size_t n)
{
	char	*b = malloc(n);

	memset(b, c, n);
	if (write(s->wfd, b, n) != (ssize_t)n)
		abort();
	free(b);
}

static void
puts_(struct stream *s, const char *text)
{
	size_t	 n = strlen(text);

	if (write(s->wfd, text, n) != (ssize_t)n)
		abort();
}

/* Lines, the partial line held and a buffer sized to fit. */
static void
test_lines(void)
{
	struct stream	 s;

	stream_open(&s, "a", 1024 * 1024, NULL);
	puts_(&s, "one\ntwo\nthr");
	drain(&s);
	CHECK_STR(logged(), "3:o 3:t ");
	CHECK(s.fr.len == 3);
	CHECK(s.fr.cap >= 3 && s.fr.cap <= 6);
	puts_(&s, "ee\n");
	drain(&s);
	CHECK_STR(logged(), "3:o 3:t 5:t ");
	/* Between lines, nothing held. */
	CHECK(s.fr.len == 0 && s.fr.cap == 0 && s.fr.buf == NULL);
	/* A last line without newline, at the end. */
	puts_(&s, "tail\r");
	drain(&s);
	close(s.wfd);
	s.wfd = -1;
	CHECK(framer_read(&s.fr, &s.src, s.rfd) == 0);
	framer_finish(&s.fr, &s.src);
	CHECK_STR(logged(), "3:o 3:t 5:t 4:t ");
	CHECK(s.fr.cap == 0);
	stream_close(&s);
	log_clear();
}

/* A long line grows the buffer; once it ends the buffer shrinks back. */
static void
test_shrink(void)
{
	struct stream	 s;
	int		 i;

	stream_open(&s, "a", 1024 * 1024, NULL);
	for (i = 0; i < 10; i++) {
		put(&s, 'x', 60000);
		drain(&s);
	}
	CHECK(s.fr.len == 600000);
	CHECK(s.fr.cap >= 600000);
	puts_(&s, "\nab");
	drain(&s);
	CHECK_STR(logged(), "600000:x ");
	CHECK(s.fr.len == 2);
	CHECK(s.fr.cap < 64);
	stream_close(&s);
	log_clear();
}

/* An over-long line is skipped as soon as it is known too long. */
static void
test_long(void)
{
	struct stream	 s;

	stream_open(&s, "a", 10000, NULL);
	puts_(&s, "ok\n");
	put(&s, 'x', 10002);
	drain(&s);
	/* 10002 > 10000 + 1: no \r can save it; nothing held. */
	CHECK(s.src.counters.long_lines == 1);
	CHECK(s.fr.cap == 0 && s.fr.skipping);
	put(&s, 'x', 50000);
	drain(&s);
	CHECK(s.fr.cap == 0);
	puts_(&s, "\nfine\n");
	drain(&s);
	CHECK_STR(logged(), "2:o 4:f ");
	CHECK(s.src.counters.long_lines == 1);
	CHECK(s.fr.line == 3);
	/* max_line + 1 bytes ending in \r is a line of max_line. */
	put(&s, 'y', 10000);
	puts_(&s, "\r");
	drain(&s);
	CHECK(s.fr.len == 10001 && !s.fr.skipping);
	puts_(&s, "\n");
	drain(&s);
	CHECK_STR(logged(), "2:o 4:f 10000:y ");
	stream_close(&s);
	log_clear();
}

/*
 * A framer read while another's lines are out (the intake reading an
 * input) does not overwrite them.
 */
static void
test_nested(void)
{
	struct stream	 a, b;

	stream_open(&a, "a", 1024, NULL);
	stream_open(&b, "b", 1024, NULL);
	puts_(&a, "a1\naa2\naaa");
	puts_(&b, "b1\nbb2\nbbbb");
	nested = &b;
	drain(&a);
	CHECK_STR(logged(), "2:a 2:b 3:b 3:a ");
	CHECK(a.fr.len == 3 && b.fr.len == 4);
	puts_(&a, "\n");
	puts_(&b, "\n");
	drain(&b);
	drain(&a);
	CHECK_STR(logged(), "2:a 2:b 3:b 3:a 4:b 3:a ");
	stream_close(&a);
	stream_close(&b);
	log_clear();
}

/* The pool: pause, leader, resume. */
static void
test_pool(void)
{
	struct framer_pool	 pool = { .max = 16384 };
	struct stream		 a, b, c;

	stream_open(&a, "a", 1024 * 1024, &pool);
	stream_open(&b, "b", 1024 * 1024, &pool);
	stream_open(&c, "c", 1024 * 1024, &pool);
	put(&a, 'a', 12000);
	drain(&a);
	CHECK(pool.held == 12000);
	/* B may read up to the bound, then holds 4 KiB or more: paused. */
	put(&b, 'b', 8000);
	drain(&b);
	CHECK(b.fr.len == 4384);
	CHECK(pool.held == 16384);
	CHECK(!framer_may_read(&b.fr));
	errno = 0;
	CHECK(framer_read(&b.fr, &b.src, b.rfd) == -1 && errno == EAGAIN);
	/* A holds the most: it leads, read past the bound. */
	CHECK(framer_may_read(&a.fr));
	CHECK(pool.leader == &a.fr);
	put(&a, 'a', 30000);
	drain(&a);
	CHECK(a.fr.len == 42000);
	/* C holds nothing: it still reads, 4 KiB at a time. */
	CHECK(framer_may_read(&c.fr));
	puts_(&c, "short\nlines\n");
	drain(&c);
	CHECK_STR(logged(), "5:s 5:l ");
	CHECK(c.fr.cap == 0);
	put(&c, 'c', 10000);
	CHECK(drain(&c) == 4096);
	CHECK(!framer_may_read(&c.fr));
	/* A's line ends: its memory goes, B and C resume. */
	puts_(&a, "\n");
	drain(&a);
	CHECK(a.fr.cap == 0);
	CHECK(pool.leader == NULL);
	CHECK(pool.held == 4384 + 4096);
	CHECK(framer_may_read(&b.fr));
	CHECK(framer_may_read(&c.fr));
	drain(&b);
	drain(&c);
	/* C filled the bound, then led: the one holding the most. */
	CHECK(b.fr.len == 8000 && c.fr.len == 10000);
	CHECK(pool.held == 18000 && pool.leader == &c.fr);
	puts_(&b, "\n");
	puts_(&c, "\n");
	/* B is paused; C leads and ends its line. */
	CHECK(!framer_may_read(&b.fr));
	CHECK(framer_may_read(&c.fr));
	drain(&c);
	CHECK(framer_may_read(&b.fr));
	drain(&b);
	CHECK_STR(logged(), "5:s 5:l 42000:a 10000:c 8000:b ");
	CHECK(pool.held == 0);
	stream_close(&a);
	stream_close(&b);
	stream_close(&c);
	CHECK(pool.first == NULL && pool.held == 0);
	log_clear();
}

/* A lone line longer than the bound (and under --max-line) gets through. */
static void
test_lone(void)
{
	struct framer_pool	 pool = { .max = 4096 };
	struct stream		 a;
	int			 i;

	stream_open(&a, "a", 200000, &pool);
	for (i = 0; i < 3; i++) {
		put(&a, 'z', 60000);
		CHECK(drain(&a) == 60000);
	}
	put(&a, 'z', 19999);
	puts_(&a, "\n");
	drain(&a);
	CHECK_STR(logged(), "199999:z ");
	CHECK(pool.held == 0 && pool.leader == NULL);
	/* Past --max-line: skipped, its memory let go. */
	for (i = 0; i < 4; i++) {
		put(&a, 'w', 60000);
		drain(&a);
	}
	CHECK(a.src.counters.long_lines == 1);
	CHECK(pool.held == 0 && pool.leader == NULL);
	puts_(&a, "\nok\n");
	drain(&a);
	CHECK_STR(logged(), "199999:z 2:o ");
	stream_close(&a);
	log_clear();
}

int
main(void)
{
	arena_init(&rec);
	ik.record = take;
	ik.failed = &failed;
	ik.dec.arena = &rec;
	test_lines();
	test_shrink();
	test_long();
	test_nested();
	test_pool();
	test_lone();
	decode_free(&ik.dec);
	arena_free(&rec);
	buf_free(&logbuf);
	return unit_done("test_framer");
}
