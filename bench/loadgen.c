/*
 * loadgen.c - load generator and downstream timer for bench/live.
 *
 *   loadgen send HOST PORT SENDERS LINES [RATE]
 *	SENDERS connections each send LINES lines ("sN SEQ payload"),
 *	as fast as the socket takes them, or RATE lines per second each.
 *	Prints the start and end times (epoch ms) and the lines sent.
 *
 *   loadgen read [-n BATCHES] [-t TARGET]
 *	Reads dstream's output (`--stamp count`: "TIME<TAB>N" per batch)
 *	from stdin.  For each line: the delay from the batch end (TIME) to
 *	the moment the line is read here, and the distance between
 *	consecutive batch lines.  Stops after BATCHES lines, or once the
 *	counts add up to TARGET (printing when), or at end of input;
 *	after BATCHES lines it still reads (and ignores) to the end.
 *
 * Built by bench/live with `cc -O2 -pthread`; not part of dstream.
 */
#define _GNU_SOURCE
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char	*host;
static int		 port;
static long		 nlines;
static long		 rate;

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
dial(void)
{
	struct sockaddr_in	 sin;
	int			 fd, i;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	inet_pton(AF_INET, host, &sin.sin_addr);
	for (i = 0; i < 100; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0)
			return fd;
		close(fd);
		usleep(50000);
	}
	perror("connect");
	exit(1);
}

static int
send_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One sender: LINES lines in 64 KiB writes, paced to RATE if set. */
static void *
sender(void *arg)
{
	long	 id = (long)arg, seq = 0, i, per_tick, sent_tick;
	char	*buf = malloc(1 << 17);
	size_t	 len = 0;
	int	 fd = dial(), one = 1;
	double	 t0 = now_us(), due;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	per_tick = rate > 0 ? (rate + 999) / 1000 : 0;	/* per ms */
	sent_tick = 0;
	for (i = 0; i < nlines; i++) {
		len += (size_t)snprintf(buf + len, 64, "s%ld %ld abcdefgh\n",
		    id, ++seq);
		if (len > (1 << 16) || (per_tick && ++sent_tick >= per_tick)) {
			if (send_all(fd, buf, len) != 0) {
				perror("write");
				exit(1);
			}
			len = 0;
		}
		if (per_tick && sent_tick >= per_tick) {
			/* Sleep until this many lines are due. */
			sent_tick = 0;
			due = t0 + (double)(i + 1) * 1e6 / rate;
			while (now_us() < due)
				usleep(200);
		}
	}
	if (len > 0 && send_all(fd, buf, len) != 0)
		exit(1);
	close(fd);
	free(buf);
	return NULL;
}

static int
cmd_send(int argc, char **argv)
{
	pthread_t	*th;
	long		 n, i;
	int64_t		 start, end;

	if (argc < 5) {
		fprintf(stderr, "usage: loadgen send HOST PORT SENDERS LINES "
		    "[RATE]\n");
		return 2;
	}
	host = argv[1];
	port = atoi(argv[2]);
	n = atol(argv[3]);
	nlines = atol(argv[4]);
	rate = argc > 5 ? atol(argv[5]) : 0;
	th = calloc(n, sizeof *th);
	start = now_ms();
	for (i = 0; i < n; i++)
		pthread_create(&th[i], NULL, sender, (void *)(i + 1));
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	end = now_ms();
	printf("start %lld end %lld lines %ld\n", (long long)start,
	    (long long)end, n * nlines);
	free(th);
	return 0;
}

/* "2025-11-21T00:01:00.100Z" or "...:00Z" to epoch ms; -1 if not a time. */
static int64_t
parse_stamp(const char *s)
{
	struct tm	 tm;
	const char	*p;
	int64_t		 ms = 0;

	memset(&tm, 0, sizeof tm);
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.') {
		ms = strtol(p + 1, NULL, 10);
	}
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double *v, size_t n, double p)
{
	size_t	 i = (size_t)(p * (double)(n - 1) + 0.5);

	return n ? v[i] : 0;
}

static int
cmd_read(int argc, char **argv)
{
	char	 line[4096], *tab;
	double	*lat = NULL, *gap = NULL, t, prev = 0;
	size_t	 n = 0, ng = 0, cap = 0;
	long	 max = 0, target = 0, sum = 0;
	int64_t	 end;
	int	 c;

	while ((c = getopt(argc, argv, "n:t:")) != -1) {
		if (c == 'n')
			max = atol(optarg);
		else if (c == 't')
			target = atol(optarg);
		else
			return 2;
	}
	while (fgets(line, sizeof line, stdin) != NULL) {
		t = now_us();
		if ((tab = strchr(line, '\t')) == NULL)
			continue;
		sum += atol(tab + 1);
		if (target > 0 && sum >= target) {
			printf("target %ld reached %lld sum %ld\n", target,
			    (long long)(t / 1000), sum);
			fflush(stdout);
			return sum == target ? 0 : 1;
		}
		if ((end = parse_stamp(line)) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			lat = realloc(lat, cap * sizeof *lat);
			gap = realloc(gap, cap * sizeof *gap);
		}
		lat[n++] = t / 1000.0 - (double)end;
		if (prev != 0)
			gap[ng++] = (t - prev) / 1000.0;
		prev = t;
		if (max > 0 && (long)n >= max)
			break;
	}
	/* Keep the pipe open to the end, so dstream is not cut off early. */
	while (fgets(line, sizeof line, stdin) != NULL)
		continue;
	if (target > 0) {
		printf("target %ld not reached: sum %ld\n", target, sum);
		return 1;
	}
	qsort(lat, n, sizeof *lat, cmp_double);
	qsort(gap, ng, sizeof *gap, cmp_double);
	printf("batches %zu records %ld\n", n, sum);
	printf("latency_ms p50 %.3f p99 %.3f max %.3f min %.3f\n",
	    pct(lat, n, .5), pct(lat, n, .99), n ? lat[n - 1] : 0,
	    n ? lat[0] : 0);
	printf("interval_ms p1 %.3f p50 %.3f p99 %.3f min %.3f max %.3f\n",
	    pct(gap, ng, .01), pct(gap, ng, .5), pct(gap, ng, .99),
	    ng ? gap[0] : 0, ng ? gap[ng - 1] : 0);
	free(lat);
	free(gap);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "send") == 0)
		return cmd_send(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "read") == 0)
		return cmd_read(argc - 1, argv + 1);
	fprintf(stderr, "usage: loadgen send|read ...\n");
	return 2;
}
