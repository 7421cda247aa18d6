/*
 * kafka-mock.c - a Kafka cluster for the tests: librdkafka's mock cluster
 * (rdkafka_mock.h), real brokers on loopback ports, in this process.
 *
 *	kafka-mock [-n BROKERS] CONTROL
 *
 * Prints the bootstrap servers on stdout (one line), creates the FIFO
 * CONTROL if missing and serves commands written to it, one a line,
 * until killed.  Each command's answer is one line on stdout, "ok CMD"
 * or "error CMD: why", so a test waits for it (tests/kafka_helper.bash):
 *
 *	create TOPIC N			a topic of N partitions
 *	produce TOPIC P FILE		each line of FILE a message to
 *					partition P (-1: by key), "VALUE",
 *					"KEY<TAB>VALUE" or
 *					"TS_MS<TAB>KEY<TAB>VALUE"
 *	gen TOPIC N KEYS		N messages "wI" keyed "wI", I = 0..KEYS-1
 *					in turn, partitioned by key
 *	down ID, up ID			broker ID stops or starts answering
 *	topicerr TOPIC ERR		metadata for TOPIC fails with error
 *					code ERR (3: unknown, 29: not
 *					authorized; 0 clears it)
 *	reqerr APIKEY CNT ERR		the next CNT requests of APIKEY fail
 *					with ERR
 *	clearerr APIKEY			forgets the errors pushed for APIKEY
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static rd_kafka_t		*rk;	/* the producer owning the cluster */
static rd_kafka_mock_cluster_t	*mc;
static int			 failed;	/* a delivery failed */

static void
delivered(rd_kafka_t *k, const rd_kafka_message_t *m, void *opaque)
{
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR)
		failed = 1;
}

/* Sends one message; returns 0, or -1 with *WHY set. */
static int
send1(const char *topic, int part, const char *key, size_t klen,
    const char *val, size_t vlen, int64_t ts, const char **why)
{
	rd_kafka_resp_err_t	 err;

	for (;;) {
		err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
		    RD_KAFKA_V_PARTITION(part),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_VALUE((void *)val,
		    vlen), RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(rk, 100);
	}
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		*why = rd_kafka_err2str(err);
		return -1;
	}
	rd_kafka_poll(rk, 0);
	return 0;
}

/* Waits (at most 30 s) for every message sent to be delivered. */
static int
flush_all(const char **why)
{
	if (rd_kafka_flush(rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		*why = "not delivered within 30 s";
		return -1;
	}
	if (failed) {
		failed = 0;
		*why = "a message was not delivered";
		return -1;
	}
	return 0;
}

static int
cmd_produce(const char *topic, int part, const char *path, const char **why)
{
	FILE	*f;
	char	*line = NULL, *t1, *t2;
	size_t	 cap = 0;
	ssize_t	 n;
	int64_t	 ts;
	int	 rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		*why = strerror(errno);
		return -1;
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		ts = 0;
		t1 = strchr(line, '\t');
		t2 = t1 != NULL ? strchr(t1 + 1, '\t') : NULL;
		if (t1 == NULL)
			rc = send1(topic, part, NULL, 0, line, (size_t)n, 0,
			    why);
		else if (t2 == NULL)
			rc = send1(topic, part, line, (size_t)(t1 - line),
			    t1 + 1, strlen(t1 + 1), 0, why);
		else {
			ts = strtoll(line, NULL, 10);
			rc = send1(topic, part, t1 + 1, (size_t)(t2 - t1 - 1),
			    t2 + 1, strlen(t2 + 1), ts, why);
		}
	}
	free(line);
	fclose(f);
	return rc == 0 ? flush_all(why) : rc;
}

static int
cmd_gen(const char *topic, long n, long keys, const char **why)
{
	char	 w[32];
	long	 i;
	int	 len;

	for (i = 0; i < n; i++) {
		len = snprintf(w, sizeof w, "w%ld", i % keys);
		if (send1(topic, RD_KAFKA_PARTITION_UA, w, (size_t)len, w,
		    (size_t)len, 0, why) != 0)
			return -1;
	}
	return flush_all(why);
}

/* Runs one command line; returns 0, or -1 with *WHY set. */
static int
command(char *line, const char **why)
{
	char	*argv[5], *p, *save = NULL;
	int	 argc = 0;

	for (p = strtok_r(line, " \t", &save); p != NULL && argc < 5;
	    p = strtok_r(NULL, " \t", &save))
		argv[argc++] = p;
	*why = "bad command";
	if (argc == 3 && strcmp(argv[0], "create") == 0) {
		if (rd_kafka_mock_topic_create(mc, argv[1], atoi(argv[2]), 1) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR) {
			*why = "cannot create the topic";
			return -1;
		}
		return 0;
	}
	if (argc == 4 && strcmp(argv[0], "produce") == 0)
		return cmd_produce(argv[1], atoi(argv[2]), argv[3], why);
	if (argc == 4 && strcmp(argv[0], "gen") == 0)
		return cmd_gen(argv[1], atol(argv[2]), atol(argv[3]), why);
	if (argc == 2 && strcmp(argv[0], "down") == 0)
		return rd_kafka_mock_broker_set_down(mc, atoi(argv[1])) == 0 ?
		    0 : -1;
	if (argc == 2 && strcmp(argv[0], "up") == 0)
		return rd_kafka_mock_broker_set_up(mc, atoi(argv[1])) == 0 ?
		    0 : -1;
	if (argc == 3 && strcmp(argv[0], "topicerr") == 0) {
		rd_kafka_mock_topic_set_error(mc, argv[1],
		    (rd_kafka_resp_err_t)atoi(argv[2]));
		return 0;
	}
	if (argc == 2 && strcmp(argv[0], "clearerr") == 0) {
		rd_kafka_mock_clear_request_errors(mc, (int16_t)atoi(argv[1]));
		return 0;
	}
	if (argc == 4 && strcmp(argv[0], "reqerr") == 0) {
		long			 i, cnt = atol(argv[2]);
		rd_kafka_resp_err_t	*errs;

		if (cnt < 1 || cnt > 1000)
			return -1;
		errs = calloc((size_t)cnt, sizeof *errs);
		for (i = 0; i < cnt; i++)
			errs[i] = (rd_kafka_resp_err_t)atoi(argv[3]);
		rd_kafka_mock_push_request_errors_array(mc,
		    (int16_t)atoi(argv[1]), (size_t)cnt, errs);
		free(errs);
		return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	rd_kafka_conf_t	*conf;
	char		 errstr[512], *line = NULL, *copy;
	const char	*why;
	size_t		 cap = 0;
	ssize_t		 n;
	int		 ch, brokers = 3;
	FILE		*ctl;

	while ((ch = getopt(argc, argv, "n:")) != -1)
		switch (ch) {
		case 'n':
			brokers = atoi(optarg);
			break;
		default:
			goto usage;
		}
	if (argc - optind != 1 || brokers < 1)
		goto usage;
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
	rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof errstr);
	rd_kafka_conf_set_dr_msg_cb(conf, delivered);
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
	    sizeof errstr)) == NULL) {
		fprintf(stderr, "kafka-mock: %s\n", errstr);
		return 1;
	}
	if ((mc = rd_kafka_mock_cluster_new(rk, brokers)) == NULL) {
		fprintf(stderr, "kafka-mock: no mock cluster\n");
		return 1;
	}
	if (mkfifo(argv[optind], 0600) != 0 && errno != EEXIST) {
		fprintf(stderr, "kafka-mock: %s: %s\n", argv[optind],
		    strerror(errno));
		return 1;
	}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	/* The producer talks to its own cluster. */
	rd_kafka_brokers_add(rk, rd_kafka_mock_cluster_bootstraps(mc));
	for (;;) {
		if ((ctl = fopen(argv[optind], "r")) == NULL) {
			fprintf(stderr, "kafka-mock: %s: %s\n", argv[optind],
			    strerror(errno));
			return 1;
		}
		while ((n = getline(&line, &cap, ctl)) >= 0) {
			if (n > 0 && line[n - 1] == '\n')
				line[--n] = '\0';
			if (n == 0)
				continue;
			copy = strdup(line);
			if (command(line, &why) == 0)
				printf("ok %s\n", copy);
			else
				printf("error %s: %s\n", copy, why);
			fflush(stdout);
			free(copy);
		}
		fclose(ctl);
	}
usage:
	fprintf(stderr, "usage: kafka-mock [-n brokers] control-fifo\n");
	return 2;
}
