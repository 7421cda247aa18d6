/*
 * gen.c - the benchmark's helper: deterministic test data and peak
 * memory.  (The live-input figures come from bench/live and its own
 * bench/loadgen.c.)
 *
 * bench/run compiles it on demand (cc -O2 -o BENCH_DIR/gen bench/gen.c)
 * and uses it as:
 *
 *   gen log N FILE     N lines of nginx "combined" log, 24 hours of
 *                      2025-11-21 in time order (a few lines up to 2 s
 *                      early, as nginx writes them when requests end)
 *   gen clf N FILE     the same N requests in the "common" log format:
 *                      no referer or user agent, so lines are short
 *                      (about 90 bytes, 10 fields, against 210 and 20)
 *   gen json N FILE    N JSON lines {"time","event","user","amount",...}
 *   gen users N FILE   user1 to userN, one a line (N distinct keys)
 *   gen keyed N KEYS SECONDS FILE
 *                      N lines "EPOCH KEY VALUE" in time order over
 *                      SECONDS seconds from 2025-11-21, KEY one of
 *                      k0..k(KEYS-1) drawn uniformly, VALUE 0..99999
 *   gen iptable N FILE N rows "ADDRESS<TAB>COUNTRY": the log's client
 *                      addresses and others (10.x.y.z) up to N, a table
 *                      for join
 *   gen maxrss CMD...  runs CMD with stdout to /dev/null and prints its
 *                      peak resident set (KiB, from wait4's rusage)
 *
 * Every random choice comes from one splitmix64 generator with a fixed
 * seed, and only exact IEEE arithmetic (no libm) shapes the numbers, so
 * the same N gives byte-identical files on every machine.
 * Files are written to FILE.tmp and renamed, so an interrupted run never
 * leaves a truncated file that a later run would take as complete.
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
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

/*
 * The log's client addresses, the first draws of the generator (so
 * "gen iptable" finds the same ones): a spread of public-looking
 * addresses; a few /24s are busy.
 */
static void
log_ips(char ips[NIP][16])
{
	int k;

	for (k = 0; k < NIP; k++) {
		if (k < 40)
			snprintf(ips[k], sizeof ips[k], "203.0.113.%u",
			    1 + rng_below(254));
		else
			snprintf(ips[k], sizeof ips[k], "%u.%u.%u.%u",
			    11 + rng_below(212), rng_below(256), rng_below(256),
			    1 + rng_below(254));
	}
}

/*
 * Writes N log lines to PATH: nginx "combined" when COMBINED, else the
 * "common" format (the same lines without referer and user agent).  The
 * random draws are the same either way, so the two files hold the same
 * requests.
 */
static void
gen_log(long n, const char *path, int combined)
{
	static char ips[NIP][16];
	char *tmp, ts[40];
	FILE *f;
	long i;
	long long t_ms = 0, mean_gap = DAY_MS / n, s;

	log_ips(ips);
	f = open_out(path, &tmp);
	for (i = 0; i < n; i++) {
		int ip, p, status, st;
		long bytes;
		double u;
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
		u = rng_unit();
		ip = (int)(NIP * u * u * u);
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
			/* 200 B to 50 kB, small ones the most common. */
			u = rng_unit();
			bytes = 200 + (long)(50000 * u * u * u * u);
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
		if (combined)
			fprintf(f, "%s - - %s \"%s %s HTTP/1.1\" %d %ld \"%s\" "
			    "\"%s\"\n", ips[ip], ts, method, pth, status, bytes,
			    ref, ua);
		else
			fprintf(f, "%s - - %s \"%s %s HTTP/1.1\" %d %ld\n",
			    ips[ip], ts, method, pth, status, bytes);
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
		double u = rng_unit();
		unsigned user = (unsigned)(20000 * u * u);
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

/* ---- many keys: distinct users, keyed events ---- */

static void
gen_users(long n, const char *path)
{
	char *tmp;
	FILE *f;
	long i;

	f = open_out(path, &tmp);
	for (i = 1; i <= n; i++)
		fprintf(f, "user%ld\n", i);
	close_out(f, tmp, path);
}

static void
gen_keyed(long n, long keys, long seconds, const char *path)
{
	char *tmp;
	FILE *f;
	long i;

	f = open_out(path, &tmp);
	for (i = 0; i < n; i++)
		fprintf(f, "%lld k%u %u\n",
		    START_EPOCH + (long long)i * seconds / n,
		    rng_below((uint32_t)keys), rng_below(100000));
	close_out(f, tmp, path);
}

/* ---- a table for join ---- */

static const char *table_countries[] = {
	"US", "DE", "FR", "GB", "JP", "BR", "IN", "CA", "AU", "NL", "SE",
	"ES", "IT", "PL", "KR", "MX", "ZA", "AR", "NG", "SG",
};

/*
 * Writes N rows "ADDRESS<TAB>COUNTRY" to PATH: every distinct client
 * address of the log (spread through the table), and as many others
 * (10.x.y.z, which the log never holds) as make N, each with a country
 * drawn at random: the attributes a log is enriched with by join.
 */
static void
gen_iptable(long n, const char *path)
{
	static char ips[NIP][16];
	char *tmp;
	FILE *f;
	long r, other = 0;
	int k, j, nuniq = 0, next = 0;

	log_ips(ips);
	for (k = 0; k < NIP; k++) {
		for (j = 0; j < nuniq; j++)
			if (strcmp(ips[j], ips[k]) == 0)
				break;
		if (j == nuniq)
			memmove(ips[nuniq++], ips[k], sizeof ips[k]);
	}
	f = open_out(path, &tmp);
	for (r = 0; r < n; r++) {
		const char *c = table_countries[rng_below(20)];

		if (next < nuniq && (r % 16 == 0 || n - r <= nuniq - next))
			fprintf(f, "%s\t%s\n", ips[next++], c);
		else {
			fprintf(f, "10.%ld.%ld.%ld\t%s\n", (other >> 16) & 255,
			    (other >> 8) & 255, other & 255, c);
			other++;
		}
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

static void
usage(void)
{
	fprintf(stderr,
	    "usage: gen log N FILE | gen clf N FILE | gen json N FILE |\n"
	    "       gen users N FILE | gen keyed N KEYS SECONDS FILE |\n"
	    "       gen iptable N FILE |\n"
	    "       gen maxrss CMD [ARG...]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "log") == 0 && argc == 4)
		gen_log(atol(argv[2]), argv[3], 1);
	else if (strcmp(argv[1], "clf") == 0 && argc == 4)
		gen_log(atol(argv[2]), argv[3], 0);
	else if (strcmp(argv[1], "json") == 0 && argc == 4)
		gen_json(atol(argv[2]), argv[3]);
	else if (strcmp(argv[1], "users") == 0 && argc == 4)
		gen_users(atol(argv[2]), argv[3]);
	else if (strcmp(argv[1], "keyed") == 0 && argc == 6)
		gen_keyed(atol(argv[2]), atol(argv[3]), atol(argv[4]), argv[5]);
	else if (strcmp(argv[1], "iptable") == 0 && argc == 4)
		gen_iptable(atol(argv[2]), argv[3]);
	else if (strcmp(argv[1], "maxrss") == 0 && argc >= 3)
		return maxrss(argv + 2);
	else
		usage();
	return 0;
}
