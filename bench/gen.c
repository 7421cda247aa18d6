/*
 * gen.c - the benchmark's helper: deterministic test data, peak memory,
 * and the loopback load for the live-input figures.
 *
 * bench/run compiles it on demand (cc -O2 -o BENCH_DIR/gen bench/gen.c)
 * and uses it as:
 *
 *   gen log N FILE     N lines of nginx "combined" log, 24 hours of
 *                      2025-11-21 in time order (a few lines up to 2 s
 *                      early, as nginx writes them when requests end)
 *   gen json N FILE    N JSON lines {"time","event","user","amount",...}
 *   gen maxrss CMD...  runs CMD with stdout to /dev/null and prints its
 *                      peak resident set (KiB, from wait4's rusage)
 *   gen send HOST PORT SENDERS LINES
 *                      SENDERS concurrent TCP clients each send LINES
 *                      short lines, then prints the lines/s achieved
 *   gen tick HOST PORT MS SECONDS
 *                      one client sends a line every MS ms for SECONDS
 *   gen latency        reads "STAMP<TAB>..." lines (dstream --stamp) on
 *                      stdin and prints p50/p99/max of (arrival - STAMP)
 *
 * Every random choice comes from one splitmix64 generator with a fixed
 * seed, so the same N gives byte-identical files on every machine.
 * Files are written to FILE.tmp and renamed, so an interrupted run never
 * leaves a truncated file that a later run would take as complete.
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define START_EPOCH	1763683200LL	/* 2025-11-21T00:00:00Z */
#define DAY_MS		86400000LL

static uint64_t	rng_state = 0x5eedda7a2025ULL;

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A uniform double in [0, 1). */
static double
rng_unit(void)
{
	return (double)(rng_next() >> 11) / 9007199254740992.0;
}

/* A uniform integer in [0, n). */
static uint32_t
rng_below(uint32_t n)
{
	return (uint32_t)(rng_unit() * n);
}

/* Picks an index by weight; W holds N weights. */
static int
rng_weighted(const int *w, int n)
{
	int total = 0, i, r;

	for (i = 0; i < n; i++)
		total += w[i];
	r = (int)rng_below((uint32_t)total);
	for (i = 0; i < n; i++) {
		if (r < w[i])
			return i;
		r -= w[i];
	}
	return n - 1;
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static FILE *
open_out(const char *path, char **tmp)
{
	FILE *f;

	if (asprintf(tmp, "%s.tmp", path) < 0)
		die("asprintf");
	if ((f = fopen(*tmp, "w")) == NULL)
		die(*tmp);
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

static void
close_out(FILE *f, const char *tmp, const char *path)
{
	if (fclose(f) != 0)
		die(tmp);
	if (rename(tmp, path) != 0)
		die(path);
}

/* ---- the access log ---- */

#define NIP	5000

static const char *paths[] = {
	"/", "/index.html", "/products", "/cart", "/checkout", "/login",
	"/logout", "/about", "/contact", "/blog", "/blog/streaming-101",
	"/blog/windows-explained", "/static/app.js", "/static/app.css",
	"/static/logo.svg", "/static/vendor.js", "/favicon.ico", "/robots.txt",
	"/api/cart", "/api/orders", "/api/search", "/api/session",
	"/api/products", "/healthz", "/sitemap.xml", "/wp-login.php",
};
static const int path_w[] = {
	60, 40, 50, 25, 10, 12, 3, 5, 3, 8, 4, 3, 90, 80, 60, 70, 30, 5,
	40, 20, 35, 15, 30, 10, 2, 2,
};
#define NPATH	(int)(sizeof(paths) / sizeof(paths[0]))

static const char *referers[] = {
	"https://www.example.com/", "https://www.example.com/products",
	"https://www.google.com/", "https://duckduckgo.com/",
	"https://www.bing.com/", "https://news.ycombinator.com/",
	"https://www.example.com/blog",
};

static const char *agents[] = {
	"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
	"curl/7.88.1",
	"python-requests/2.31.0",
	"Go-http-client/1.1",
};
static const int agent_w[] = { 20, 35, 12, 15, 10, 3, 2, 1, 1, 1 };
#define NAGENT	(int)(sizeof(agents) / sizeof(agents[0]))

static const char *months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec",
};

/* Writes "[21/Nov/2025:00:00:00 +0000]" for epoch seconds S into OUT. */
static void
fmt_clf_time(char *out, size_t n, long long s)
{
	time_t t = (time_t)s;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, n, "[%02d/%s/%04d:%02d:%02d:%02d +0000]", tm.tm_mday,
	    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
}

static void
gen_log(long n, const char *path)
{
	static char ips[NIP][16];
	char *tmp, ts[40];
	FILE *f;
	long i;
	long long t_ms = 0, mean_gap = DAY_MS / n, s;
	int k;

	for (k = 0; k < NIP; k++) {
		/* A spread of public-looking addresses; a few /24s are busy. */
		if (k < 40)
			snprintf(ips[k], sizeof ips[k], "203.0.113.%u",
			    1 + rng_below(254));
		else
			snprintf(ips[k], sizeof ips[k], "%u.%u.%u.%u",
			    11 + rng_below(212), rng_below(256), rng_below(256),
			    1 + rng_below(254));
	}
	f = open_out(path, &tmp);
	for (i = 0; i < n; i++) {
		int ip, p, status, st;
		long bytes;
		const char *method = "GET", *ref, *ua;
		char pathbuf[64];
		const char *pth;

		t_ms += (long long)(rng_unit() * 2 * mean_gap);
		if (t_ms >= DAY_MS)
			t_ms = DAY_MS - 1;
		s = t_ms / 1000;
		if (rng_below(100) == 0)	/* written late: up to 2 s early */
			s -= 1 + rng_below(2);
		if (s < 0)
			s = 0;
		fmt_clf_time(ts, sizeof ts, START_EPOCH + s);

		/* Skewed clients: a cube of a uniform favours the low indexes. */
		ip = (int)(NIP * pow(rng_unit(), 3.0));
		p = rng_weighted(path_w, NPATH);
		pth = paths[p];
		if (p == 2 && rng_below(3) != 0) {
			snprintf(pathbuf, sizeof pathbuf, "/products/%u",
			    1 + rng_below(2000));
			pth = pathbuf;
		} else if (p == 20) {
			snprintf(pathbuf, sizeof pathbuf, "/api/search?q=item%u",
			    rng_below(500));
			pth = pathbuf;
		}
		if (strncmp(pth, "/api/", 5) == 0 && rng_below(3) == 0)
			method = "POST";
		else if (p == 5 && rng_below(2) == 0)
			method = "POST";
		else if (rng_below(200) == 0)
			method = "HEAD";

		st = rng_below(1000);
		if (strncmp(pth, "/static/", 8) == 0 && st < 300)
			status = 304;
		else if (p == 24 || p == 25)
			status = 404;
		else if (st < 830)
			status = 200;
		else if (st < 900)
			status = 301;
		else if (st < 960)
			status = 304;
		else if (st < 990)
			status = 404;
		else
			status = 500;
		switch (status) {
		case 200:
			bytes = (long)(200 * exp(rng_unit() * 5.5));
			break;
		case 301:
			bytes = 169;
			break;
		case 404:
			bytes = 153;
			break;
		case 500:
			bytes = 177;
			break;
		default:
			bytes = 0;
			break;
		}
		if (strcmp(method, "HEAD") == 0)
			bytes = 0;
		ref = rng_below(2) == 0 ? "-" :
		    referers[rng_below(sizeof referers / sizeof referers[0])];
		ua = agents[rng_weighted(agent_w, NAGENT)];
		fprintf(f, "%s - - %s \"%s %s HTTP/1.1\" %d %ld \"%s\" \"%s\"\n",
		    ips[ip], ts, method, pth, status, bytes, ref, ua);
	}
	close_out(f, tmp, path);
}

/* ---- the JSON events ---- */

static const char *events[] = {
	"viewed", "added_to_cart", "purchased", "shipped", "delivered",
	"returned", "cancelled",
};
static const int event_w[] = { 40, 18, 15, 11, 10, 3, 3 };
static const char *countries[] = { "DE", "FR", "US", "GB", "JP", "BR", "IN", "NL" };

static void
gen_json(long n, const char *path)
{
	char *tmp;
	FILE *f;
	long i;
	long long t_ms = 0, mean_gap = DAY_MS / n;

	f = open_out(path, &tmp);
	for (i = 0; i < n; i++) {
		time_t t;
		struct tm tm;
		int ev = rng_weighted(event_w, 7);
		unsigned user = (unsigned)(20000 * pow(rng_unit(), 2.0));
		unsigned cents = 99 + rng_below(20000);
		char amount[32];

		t_ms += (long long)(rng_unit() * 2 * mean_gap);
		if (t_ms >= DAY_MS)
			t_ms = DAY_MS - 1;
		t = (time_t)(START_EPOCH + t_ms / 1000);
		gmtime_r(&t, &tm);
		if (cents % 100 == 0)
			snprintf(amount, sizeof amount, "%u", cents / 100);
		else if (cents % 10 == 0)
			snprintf(amount, sizeof amount, "%u.%u", cents / 100,
			    cents % 100 / 10);
		else
			snprintf(amount, sizeof amount, "%u.%02u", cents / 100,
			    cents % 100);
		fprintf(f, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\","
		    "\"event\":\"%s\",\"user\":\"u%u\",\"amount\":%s,"
		    "\"items\":%u,\"country\":\"%s\",\"session\":\"%08x\"}\n",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (int)(t_ms % 1000), events[ev], user,
		    amount, 1 + rng_below(5), countries[rng_below(8)],
		    (unsigned)rng_next());
	}
	close_out(f, tmp, path);
}

/* ---- peak memory ---- */

/*
 * Runs ARGV with stdout on /dev/null, waits, and prints its peak RSS in
 * KiB on stdout.  Returns the command's exit status.
 */
static int
maxrss(char **argv)
{
	struct rusage ru;
	pid_t pid;
	int status, fd;

	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) == -1)
			die("/dev/null");
		dup2(fd, 1);
		execvp(argv[0], argv);
		die(argv[0]);
	}
	if (wait4(pid, &status, 0, &ru) == -1)
		die("wait4");
	printf("%ld\n", ru.ru_maxrss);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* ---- loopback load ---- */

static const char	*net_host, *net_port;

static int
net_connect(void)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, tries;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(net_host, net_port, &hints, &res) != 0) {
		fprintf(stderr, "gen: cannot resolve %s\n", net_host);
		exit(1);
	}
	for (tries = 0; tries < 100 && fd == -1; tries++) {
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype, 0);
			if (fd == -1)
				continue;
			if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
				break;
			close(fd);
			fd = -1;
		}
		if (fd == -1)
			usleep(50000);
	}
	freeaddrinfo(res);
	if (fd == -1)
		die("connect");
	return fd;
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		p += w;
		n -= (size_t)w;
	}
}

static long	lines_per_sender;

/* One sender: LINES_PER_SENDER lines "word<k>\n", in 64 KiB writes. */
static void *
sender(void *arg)
{
	char buf[65536];
	size_t len = 0;
	long i, id = (long)(intptr_t)arg;
	int fd = net_connect();

	for (i = 0; i < lines_per_sender; i++) {
		if (len > sizeof buf - 32) {
			write_all(fd, buf, len);
			len = 0;
		}
		len += (size_t)snprintf(buf + len, sizeof buf - len,
		    "s%ld w%ld\n", id, i % 16);
	}
	write_all(fd, buf, len);
	close(fd);
	return NULL;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
send_load(int senders, long lines)
{
	pthread_t th[256];
	double t0, t1;
	int i;

	if (senders < 1 || senders > 256)
		senders = 8;
	lines_per_sender = lines;
	t0 = now_s();
	for (i = 0; i < senders; i++)
		pthread_create(&th[i], NULL, sender, (void *)(intptr_t)i);
	for (i = 0; i < senders; i++)
		pthread_join(th[i], NULL);
	t1 = now_s();
	printf("%.0f\n", senders * (double)lines / (t1 - t0));
}

/* One client writes a line every MS milliseconds for SECONDS seconds. */
static void
tick(long ms, long seconds)
{
	int fd = net_connect();
	long i, n = seconds * 1000 / ms;

	for (i = 0; i < n; i++) {
		write_all(fd, "tick\n", 5);
		usleep((useconds_t)ms * 1000);
	}
	close(fd);
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Parses "2025-11-21T00:00:01.200Z" at the start of LINE into epoch
 * seconds; returns -1 when it is not there.
 */
static double
parse_stamp(const char *line)
{
	struct tm tm;
	const char *p;
	double frac = 0;

	memset(&tm, 0, sizeof tm);
	if ((p = strptime(line, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.')
		frac = strtod(p, NULL);
	return (double)timegm(&tm) + frac;
}

/* Reads stamped lines and prints latency percentiles in ms. */
static void
latency(void)
{
	char line[4096];
	double *lat = NULL, stamp, last = -1, *gaps = NULL;
	size_t n = 0, cap = 0, ng = 0;

	while (fgets(line, sizeof line, stdin) != NULL) {
		double t = now_s();

		if ((stamp = parse_stamp(line)) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			lat = realloc(lat, cap * sizeof *lat);
			gaps = realloc(gaps, cap * sizeof *gaps);
			if (lat == NULL || gaps == NULL)
				die("realloc");
		}
		lat[n++] = (t - stamp) * 1000;
		if (last >= 0 && stamp != last)
			gaps[ng++] = (stamp - last) * 1000;
		last = stamp;
	}
	if (n == 0) {
		printf("no stamped lines\n");
		return;
	}
	qsort(lat, n, sizeof *lat, cmp_dbl);
	printf("batches %zu p50 %.3f p99 %.3f max %.3f ms", n,
	    lat[n / 2], lat[(n * 99) / 100], lat[n - 1]);
	if (ng > 0) {
		qsort(gaps, ng, sizeof *gaps, cmp_dbl);
		printf(" stamp-gap min %.1f max %.1f ms", gaps[0], gaps[ng - 1]);
	}
	printf("\n");
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: gen log N FILE | gen json N FILE | gen maxrss CMD [ARG...]\n"
	    "       gen send HOST PORT SENDERS LINES | gen tick HOST PORT MS SECONDS\n"
	    "       gen latency\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "log") == 0 && argc == 4)
		gen_log(atol(argv[2]), argv[3]);
	else if (strcmp(argv[1], "json") == 0 && argc == 4)
		gen_json(atol(argv[2]), argv[3]);
	else if (strcmp(argv[1], "maxrss") == 0 && argc >= 3)
		return maxrss(argv + 2);
	else if (strcmp(argv[1], "send") == 0 && argc == 6) {
		net_host = argv[2];
		net_port = argv[3];
		send_load(atoi(argv[4]), atol(argv[5]));
	} else if (strcmp(argv[1], "tick") == 0 && argc == 6) {
		net_host = argv[2];
		net_port = argv[3];
		tick(atol(argv[4]), atol(argv[5]));
	} else if (strcmp(argv[1], "latency") == 0 && argc == 2)
		latency();
	else
		usage();
	return 0;
}
