/*
 * main.c - the command line: options, the operator chain, the inputs,
 * then the engine.
 *
 *	dstream [options] operator [arg ...] [then operator [arg ...]] ...
 *
 * Options come first (getopt_long with "+": the first operator name ends
 * them).  Usage errors exit 2 with a message naming the bad word.
 *
 * main owns the run's configuration and its run-wide counters, and hands
 * them to the modules that need them: the chain, the engine (which hands
 * the configuration on to each input) and record_error.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dstream.h"
#include "engine/engine.h"
#include "kafka/kafka.h"
#include "ops/op.h"
#include "sources/source.h"
#include "state/agg.h"

enum {
	OPT_TIME_FORMAT = 256, OPT_LATE_FILE, OPT_IDLE, OPT_CSV, OPT_HEADER,
	OPT_MAX_LINE, OPT_ON_ERROR, OPT_STATS, OPT_FROM_START,
	OPT_MAX_CLIENTS, OPT_MAX_BUFFERED, OPT_CHECKPOINT, OPT_CHECKPOINT_EVERY,
	OPT_FINAL, OPT_SERVE
};

static const struct option longopts[] = {
	{ "input",	required_argument,	NULL, 'i' },
	{ "batch",	required_argument,	NULL, 'b' },
	{ "follow",	no_argument,		NULL, 'F' },
	{ "event-time",	required_argument,	NULL, 'e' },
	{ "time-format", required_argument,	NULL, OPT_TIME_FORMAT },
	{ "watermark",	required_argument,	NULL, 'w' },
	{ "late-file",	required_argument,	NULL, OPT_LATE_FILE },
	{ "idle",	required_argument,	NULL, OPT_IDLE },
	{ "json",	no_argument,		NULL, 'j' },
	{ "delimiter",	required_argument,	NULL, 'd' },
	{ "csv",	no_argument,		NULL, OPT_CSV },
	{ "header",	no_argument,		NULL, OPT_HEADER },
	{ "format",	required_argument,	NULL, 'f' },
	{ "stamp",	no_argument,		NULL, 's' },
	{ "output",	required_argument,	NULL, 'o' },
	{ "max-line",	required_argument,	NULL, OPT_MAX_LINE },
	{ "on-error",	required_argument,	NULL, OPT_ON_ERROR },
	{ "stats",	no_argument,		NULL, OPT_STATS },
	{ "from-start",	no_argument,		NULL, OPT_FROM_START },
	{ "max-clients", required_argument,	NULL, OPT_MAX_CLIENTS },
	{ "max-buffered", required_argument,	NULL, OPT_MAX_BUFFERED },
	{ "checkpoint",	required_argument,	NULL, OPT_CHECKPOINT },
	{ "checkpoint-every", required_argument, NULL, OPT_CHECKPOINT_EVERY },
	{ "final",	no_argument,		NULL, OPT_FINAL },
	{ "serve",	required_argument,	NULL, OPT_SERVE },
	{ "kafka",	required_argument,	NULL, 'X' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

static const char usage_text[] =
"usage: dstream [options] operator [arg ...] [then operator [arg ...]] ...\n"
"       dstream help operator|reducer\n";

static const char options_text[] =
"\n"
"Options:\n"
"  -i, --input [NAME=]SRC  input: -, a file, tcp://HOST:PORT,\n"
"                         tcp-listen://[HOST]:PORT, udp://[HOST]:PORT,\n"
"                         unix://PATH, unix-listen://PATH, dir://PATH,\n"
"                         kafka://BROKERS/TOPIC[?group=G&offset=beginning|\n"
"                         end|stored&until=end]; repeatable (default: -);\n"
"                         NAME (an identifier) is the input's name in\n"
"                         expressions (input), SRC when not given\n"
"  -b, --batch DUR        batch interval (default 1s): 250ms 1s 5m 1h 1d\n"
"  -F, --follow           follow files as tail -F does\n"
"  -e, --event-time EXPR  event time: EXPR gives each record's time\n"
"      --time-format FMT  strptime format of event times (default: auto)\n"
"  -w, --watermark DUR    allowed lateness in event time (default 0)\n"
"      --late-file FILE   append late records to FILE\n"
"      --idle DUR         advance a silent live event-time stream after\n"
"                         DUR of wall clock (default: one batch)\n"
"  -j, --json             input lines are JSON\n"
"  -d, --delimiter STR    field separator for $1..$N (default: blanks)\n"
"      --csv              fields are RFC 4180 CSV\n"
"      --header           the first line names the fields ($name)\n"
"  -f, --format FMT       output: plain tsv csv json spark (default plain),\n"
"                         or top: the latest batch redrawn in a terminal\n"
"  -s, --stamp            prefix each output record with its batch end\n"
"  -o, --output DEST      append the output to the file DEST, fsynced at\n"
"                         each batch (default -: stdout); or upsert rows\n"
"                         into a table: sqlite:PATH[?table=T], or a\n"
"                         PostgreSQL URI with ?table=T (see DATABASES)\n"
"                         kafka://BROKERS/TOPIC: a message per row\n"
"                         (key, JSON value)\n"
"      --checkpoint DIR   keep state, input positions and the output's\n"
"                         position in DIR; resume from it (exactly once\n"
"                         for files, folders, -o FILE, databases and\n"
"                         Kafka in transactions: read it with\n"
"                         -X isolation.level=read_committed)\n"
"      --checkpoint-every DUR  least time between checkpoints (default\n"
"                         1s; always at exit)\n"
"      --final            with --checkpoint, close every window at the\n"
"                         end of input (the last cron run)\n"
"      --max-line BYTES   longest accepted line (default 1M)\n"
"      --on-error skip|fail  a failing record is skipped (default) or fatal\n"
"      --stats            one line per batch on stderr\n"
"      --serve [HOST:]PORT  live dashboard over HTTP: / (the page),\n"
"                         /events, /api/latest, /metrics (Prometheus);\n"
"                         HOST defaults to 127.0.0.1\n"
"      --from-start       dir://: also read the files present at start\n"
"      --max-clients N    tcp-listen/unix-listen: most clients at once\n"
"                         (default 1024)\n"
"      --max-buffered BYTES  socket clients: most bytes of unfinished\n"
"                         lines held, past which the clients holding the\n"
"                         most wait (default 64M)\n"
"  -X, --kafka PROP=VAL   a librdkafka property (as kcat's -X); -X list\n"
"                         shows them\n"
"  -h, --help             this help\n"
"  -V, --version          the version\n"
"\n"
"Operators (dstream help OPERATOR for one):\n";

static void __attribute__((noreturn))
usage(void)
{
	fputs(usage_text, stderr);
	fprintf(stderr, "Try 'dstream --help' for more.\n");
	exit(EXIT_USAGE);
}

static void __attribute__((noreturn))
usage_error(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage();
}

static void
help(void)
{
	const struct op_def	*d;
	const struct agg_def	*r;
	int			 i;

	fputs(usage_text, stdout);
	fputs(options_text, stdout);
	for (i = 0; (d = op_def_at(i)) != NULL; i++)
		printf("  %s%s%s\n", d->name, *d->args ? " " : "", d->args);
	printf("\nReducers, for FUNC (dstream help REDUCER for one):\n ");
	for (i = 0; (r = agg_def_at(i)) != NULL; i++)
		printf(" %s%s%s%s", r->name, r->arg ? "(" : "",
		    r->arg ? r->arg : "", r->arg ? ")" : "");
	printf("\n  or an expression over a and b\n");
	printf("\nOperators are joined by the word 'then'.  "
	    "See dstream(1) for the expression language.\n");
}

/*
 * Prints TEXT wrapped at word boundaries to lines of fewer than WIDTH
 * columns (a word longer than that stands on its own line).  The blanks
 * between words are kept (two after a full stop), except at a break.
 */
static void
help_wrap(const char *text, int width)
{
	const char	*p = text, *w;
	size_t		 gap, wlen, col = 0;

	while (*p != '\0') {
		gap = strspn(p, " ");
		w = p + gap;
		wlen = strcspn(w, " \n");
		if (col > 0 && col + gap + wlen >= (size_t)width) {
			putchar('\n');
			col = 0;
		} else if (col > 0 || gap > 0) {
			printf("%.*s", (int)gap, p);
			col += gap;
		}
		printf("%.*s", (int)wlen, w);
		col += wlen;
		p = w + wlen;
		if (*p == '\n') {
			putchar('\n');
			col = 0;
			p++;
		}
	}
	if (col > 0)
		putchar('\n');
}

/* The width of the terminal on stdout, or 80 when it is not one. */
static int
help_width(void)
{
	struct winsize	 ws;

	if (isatty(STDOUT_FILENO) &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

/* dstream help REDUCER: its spelling, what it gives, where it goes. */
static void
help_reducer(const struct agg_def *r)
{
	char	*text;

	xasprintf(&text, "reducer: %s%s%s%s\n\n%c%s.  A FUNC of reduce, "
	    "reduceByKey, reduceByWindow, reduceByKeyAndWindow%s.  Example: "
	    "map '($1, num($2))' then reduceByKeyAndWindow %s%s 1h 5m.\n",
	    r->name, r->arg ? "(" : "", r->arg ? r->arg : "",
	    r->arg ? ")" : "", r->help[0] - 'a' + 'A', r->help + 1,
	    r->sub != NULL ? " (it slides by taking panes out)" :
	    " (windows slide it by merging panes)", r->name,
	    r->arg == NULL ? "" : r->arg[0] == 'Q' ? "(0.99)" : "(5)");
	help_wrap(text, help_width());
	free(text);
}

/* dstream help [OPERATOR|REDUCER] */
static int
help_operator(const char *name)
{
	const struct op_def	*d;
	const struct agg_def	*r;
	char			*usage_line;
	int			 i;

	if (name == NULL) {
		for (i = 0; (d = op_def_at(i)) != NULL; i++)
			printf("%s%s%s\n", d->name, *d->args ? " " : "",
			    d->args);
		return EXIT_OK;
	}
	if ((d = op_find(name)) == NULL) {
		/* A reducer, by its name or as spelt: quantile(0.9). */
		usage_line = xstrndup(name, strcspn(name, "("));
		r = agg_find(usage_line);
		free(usage_line);
		if (r != NULL) {
			help_reducer(r);
			return EXIT_OK;
		}
		if (op_planned(name))
			fprintf(stderr, "%s: help: operator '%s' is not "
			    "available yet (planned: see dstream(1))\n",
			    progname, name);
		else
			fprintf(stderr, "%s: help: unknown operator '%s'\n",
			    progname, name);
		return EXIT_USAGE;
	}
	xasprintf(&usage_line, "usage: dstream %s%s%s\n\n", d->name,
	    *d->args ? " " : "", d->args);
	help_wrap(usage_line, help_width());
	help_wrap(d->help, help_width());
	free(usage_line);
	return EXIT_OK;
}

/*
 * Returns STATUS once what help and version printed is out, or 1 after
 * a message when writing it failed (stdout full or closed), as GNU tools
 * do.
 */
static int
stdout_status(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: write error: %s\n", progname,
		    strerror(errno));
		return EXIT_RUNTIME;
	}
	return status;
}

/* Parses a duration option (0 only when ZERO_OK) or exits 2 naming it. */
static int64_t
opt_duration(const char *opt, const char *arg, bool zero_ok)
{
	int64_t	 ms;

	if ((ms = duration_parse(arg, zero_ok)) < 0)
		usage_error("%s: bad duration '%s' (examples: 250ms, 1s, 5m, "
		    "1h, 1d)", opt, arg);
	return ms;
}

/* Parses BYTES with an optional k/M/G suffix (powers of 1024). */
static size_t
opt_bytes(const char *opt, const char *arg)
{
	char			*end;
	unsigned long long	 n;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (end == arg || errno != 0 || arg[0] == '-')
		usage_error("%s: bad size '%s'", opt, arg);
	switch (*end) {
	case 'k': case 'K': n <<= 10; end++; break;
	case 'm': case 'M': n <<= 20; end++; break;
	case 'g': case 'G': n <<= 30; end++; break;
	}
	if (*end != '\0' || n == 0 || n > (1ULL << 31))
		usage_error("%s: bad size '%s' (1 to 2G)", opt, arg);
	return (size_t)n;
}

static enum out_format
opt_format(const char *arg)
{
	static const char *const names[] = { "plain", "tsv", "csv", "json",
	    "spark", "top" };
	size_t	 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(arg, names[i]) == 0)
			return (enum out_format)i;
	usage_error("--format: unknown format '%s' (plain, tsv, csv, json, "
	    "spark, top)", arg);
}

/*
 * Returns the first of the operator words ARGV[0..argc) that is one of
 * dstream's options ("-i", "--input", "--input=x"), or NULL: what a
 * failed chain is most likely to be about.
 */
static const char *
misplaced_option(int argc, char **argv)
{
	const struct option	*o;
	size_t			 n;
	int			 i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-')
			continue;
		if (a[1] != '-' && a[1] != '\0' && a[2] == '\0' &&
		    strchr("ibFewjdfsXhV", a[1]) != NULL)
			return a;
		if (a[1] != '-' || a[2] == '\0')
			continue;
		n = strcspn(a + 2, "=");
		for (o = longopts; o->name != NULL; o++)
			if (strlen(o->name) == n &&
			    strncmp(o->name, a + 2, n) == 0)
				return a;
	}
	return NULL;
}

/*
 * The command line ARGV[0..argc) as one string for the dashboard, the
 * program's name first, each word that a shell would split or expand in
 * single quotes.  The caller
 * frees it.
 */
static char *
cmdline_join(int argc, char **argv)
{
	struct buf	 b = BUF_INIT;
	const char	*p;
	int		 i;

	buf_adds(&b, progname);		/* not the path it was run by */
	for (i = 1; i < argc; i++) {
		buf_addc(&b, ' ');
		if (argv[i][0] != '\0' && strspn(argv[i], "abcdefghijklmnopqrstu"
		    "vwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+%") ==
		    strlen(argv[i])) {
			buf_adds(&b, argv[i]);
			continue;
		}
		buf_addc(&b, '\'');
		for (p = argv[i]; *p != '\0'; p++)
			if (*p == '\'')
				buf_adds(&b, "'\\''");
			else
				buf_addc(&b, *p);
		buf_addc(&b, '\'');
	}
	return buf_detach(&b);
}

/*
 * Makes sure descriptors 0, 1 and 2 are open before anything else is, so
 * that a file opened later (--late-file, an input) cannot become stdout
 * by accident.  A closed one is opened on /dev/null in the mode it cannot
 * be used in (stdin write-only, stdout and stderr read-only), as gnulib's
 * stdopen does: writing to a closed stdout still fails and is reported.
 * Exits 1 when even that is impossible.
 */
static void
stdfds_open(void)
{
	int	 fd, nfd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		nfd = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (nfd != fd) {
			if (nfd != -1)
				close(nfd);
			_exit(EXIT_RUNTIME);
		}
	}
}

/*
 * The run's signals: SIGINT and SIGTERM stop it; SIGHUP reloads join
 * tables when the chain RELOADS any (else it ends the run, as a hangup
 * ends other filters); SIGPIPE and SIGXFSZ are ignored (their writes
 * fail: EPIPE, EFBIG).
 */
static void
signals_init(bool reloads)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = engine_stop;	/* no SA_RESTART: poll() wakes */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (reloads) {
		sa.sa_handler = engine_hup;
		sigaction(SIGHUP, &sa, NULL);
	}
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);	/* EPIPE: sinks/stdout.c */
	/* A file grown past ulimit -f fails its write with EFBIG, an error
	 * reported, the output cut back and the checkpoint not advanced,
	 * as when the disk is full, rather than a kill mid-line. */
	sigaction(SIGXFSZ, &sa, NULL);
}

/*
 * The -i arguments.  At file scope, so the array is still reachable (not
 * a leak to LeakSanitizer) when a usage error exits from inside a helper.
 */
static const char	**inputs;
static const char	**kafka_props;

/*
 * Adds the input of -i ARG, "NAME=SRC" or "SRC" (source_named's rule:
 * NAME is an identifier, so paths holding '=' elsewhere stay paths).
 * Returns 0, or -1 with *CAUSE set.
 */
static int
main_add_input(struct engine *engine, const char *arg, char **cause)
{
	char	*name;
	size_t	 n;
	int	 rc;

	if (!source_named(arg, &n))
		return engine_add_source(engine, NULL, arg, cause);
	name = xstrndup(arg, n);
	rc = engine_add_source(engine, name, arg + n + 1, cause);
	free(name);
	return rc;
}

/* The run's settings and its run-wide counters (inputs keep their own). */
static struct config	 cfg;
static struct counters	 counters;

int
main(int argc, char **argv)
{
	int		  ninputs = 0, ch, i, status;
	bool		  idle_set = false, every_set = false;
	struct op	 *chain;
	struct op_env	  env = { &cfg, &counters };
	struct engine	 *engine = NULL;
	char		 *cause = NULL;
	const char	 *output = "-", *serve = NULL;
	int		  argc0 = argc;
	char		**argv0 = argv;
	char		 *end;
	long		  l;
	int		  li = 0;
	size_t		  namelen;

	stdfds_open();
	cfg.batch_ms = 1000;
	cfg.max_line = 1024 * 1024;
	cfg.format = FMT_PLAIN;
	cfg.on_error = ONERR_SKIP;
	cfg.max_clients = 1024;
	cfg.max_buffered = 64 * 1024 * 1024;

	while ((ch = getopt_long(argc, argv, "+i:b:Fe:w:jd:f:so:X:hV", longopts,
	    &li)) != -1) {
		switch (ch) {
		case 'i':
			if (source_named(optarg, &namelen) &&
			    optarg[namelen + 1] == '\0')
				usage_error("-i %s: no input after '%.*s=' "
				    "(-i NAME=SRC)", optarg, (int)namelen,
				    optarg);
			inputs = xreallocarray(inputs, (size_t)ninputs + 1,
			    sizeof *inputs);
			inputs[ninputs++] = optarg;
			break;
		case 'b':
			cfg.batch_ms = opt_duration("--batch", optarg, false);
			break;
		case 'F':
			cfg.follow = true;
			break;
		case 'e':
			cfg.event_time = optarg;
			break;
		case OPT_TIME_FORMAT:
			cfg.time_format = optarg;
			break;
		case 'w':
			cfg.watermark_ms = opt_duration("--watermark", optarg,
			    true);
			break;
		case OPT_LATE_FILE:
			cfg.late_file = optarg;
			break;
		case OPT_IDLE:
			cfg.idle_ms = opt_duration("--idle", optarg, false);
			idle_set = true;
			break;
		case 'j':
			cfg.json = true;
			break;
		case 'd':
			if (optarg[0] == '\0')
				usage_error("--delimiter: empty separator");
			cfg.delim = optarg;
			break;
		case OPT_CSV:
			cfg.csv = true;
			break;
		case OPT_HEADER:
			cfg.header = true;
			break;
		case 'f':
			cfg.format = opt_format(optarg);
			break;
		case 's':
			cfg.stamp = true;
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_MAX_LINE:
			cfg.max_line = opt_bytes("--max-line", optarg);
			break;
		case OPT_ON_ERROR:
			if (strcmp(optarg, "skip") == 0)
				cfg.on_error = ONERR_SKIP;
			else if (strcmp(optarg, "fail") == 0)
				cfg.on_error = ONERR_FAIL;
			else
				usage_error("--on-error: expected skip or "
				    "fail, not '%s'", optarg);
			break;
		case OPT_STATS:
			cfg.stats = true;
			break;
		case OPT_FROM_START:
			cfg.from_start = true;
			break;
		case OPT_MAX_CLIENTS:
			errno = 0;
			l = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || errno != 0 ||
			    l < 1 || l > 65536)
				usage_error("--max-clients: bad number '%s' "
				    "(1 to 65536)", optarg);
			cfg.max_clients = (int)l;
			break;
		case OPT_MAX_BUFFERED:
			cfg.max_buffered = opt_bytes("--max-buffered", optarg);
			break;
		case OPT_CHECKPOINT:
			if (optarg[0] == '\0')
				usage_error("--checkpoint: empty folder name");
			cfg.checkpoint = optarg;
			break;
		case OPT_CHECKPOINT_EVERY:
			cfg.checkpoint_every_ms = opt_duration(
			    "--checkpoint-every", optarg, true);
			every_set = true;
			break;
		case OPT_FINAL:
			cfg.final = true;
			break;
		case OPT_SERVE:
			serve = optarg;
			break;
		case 'X':
			if (strcmp(optarg, "list") == 0) {
				kafka_props_list();
				return stdout_status(EXIT_OK);
			}
			if (kafka_prop_check(optarg, &cause) != 0) {
				fprintf(stderr, "%s: %s\n", progname, cause);
				free(cause);
				usage();
			}
			kafka_props = xreallocarray(kafka_props,
			    cfg.nkafka_props + 1, sizeof *kafka_props);
			kafka_props[cfg.nkafka_props++] = optarg;
			cfg.kafka_props = kafka_props;
			break;
		case 'h':
			help();
			return stdout_status(EXIT_OK);
		case 'V':
			printf("dstream %s\n", PACKAGE_VERSION);
			return stdout_status(EXIT_OK);
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (!idle_set)
		cfg.idle_ms = cfg.batch_ms;
	if (argc == 0)
		usage_error("no operator given");
	if (strcmp(argv[0], "help") == 0) {
		if (argc > 2)
			usage_error("help: one operator at a time");
		return stdout_status(help_operator(argc > 1 ? argv[1] :
		    NULL));
	}
	if (cfg.header && cfg.json)
		usage_error("--header does not apply to --json records");
	if (cfg.csv && cfg.delim != NULL)
		usage_error("--csv and --delimiter cannot be used together");
	if (cfg.late_file != NULL && cfg.event_time == NULL)
		usage_error("--late-file needs --event-time");
	if (cfg.watermark_ms != 0 && cfg.event_time == NULL)
		usage_error("--watermark needs --event-time");
	if (every_set && cfg.checkpoint == NULL)
		usage_error("--checkpoint-every needs --checkpoint");
	if (!every_set)
		cfg.checkpoint_every_ms = 1000;
	if (cfg.checkpoint != NULL && cfg.header)
		usage_error("--header cannot be used with --checkpoint yet "
		    "(the header line is not kept in the checkpoint)");
	expr_set_fields(cfg.delim, cfg.csv);
	record_error_init(cfg.on_error, &counters);

	if ((chain = chain_build(&env, argc, argv, &cause)) == NULL) {
		const char *opt = misplaced_option(argc, argv);

		if (opt != NULL)
			fprintf(stderr, "%s: '%s': options go before the first "
			    "operator\n", progname, opt);
		else
			fprintf(stderr, "%s: %s\n", progname, cause);
		free(cause);
		if (opt != NULL)
			usage();
		return EXIT_USAGE;
	}
	if ((engine = engine_new(&env, chain, argc, argv, &cause)) == NULL) {
		status = EXIT_USAGE;
		goto fail;
	}
	/* An output or input that cannot be opened is a runtime failure. */
	status = EXIT_RUNTIME;
	if (engine_output(engine, output, &cause) != 0)
		goto fail;
	if (cfg.late_file != NULL &&
	    engine_late_file(engine, cfg.late_file, &cause) != 0)
		goto fail;
	if (ninputs == 0) {
		static const char *stdin_only[] = { "-" };

		inputs = xmalloc(sizeof *inputs);
		inputs[0] = stdin_only[0];
		ninputs = 1;
	}
	engine_ninputs(engine, ninputs);
	for (i = 0; i < ninputs; i++)
		if (main_add_input(engine, inputs[i], &cause) != 0)
			goto fail;
	/* A run that resumes no checkpoint starts afresh. */
	if (cfg.checkpoint != NULL ? engine_checkpoint(engine,
	    cfg.checkpoint, argc, argv, output, &cause) != 0 :
	    chain_fresh(chain, &cause) != 0)
		goto fail;
	free(inputs);
	if (serve != NULL) {
		char	*cmd = cmdline_join(argc0, argv0);

		i = engine_serve(engine, serve, cmd, &cause);
		free(cmd);
		if (i != 0) {
			inputs = NULL;
			goto fail;
		}
	}
	signals_init(chain_reloads(chain));
	status = engine_run(engine);
	engine_free(engine);		/* and the chain */
	free(kafka_props);
	return status;

fail:
	fprintf(stderr, "%s: %s\n", progname, cause);
	free(cause);
	if (engine != NULL)
		engine_free(engine);
	else
		chain_free(chain);
	free(inputs);
	free(kafka_props);
	return status;
}
