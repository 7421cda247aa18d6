/*
 * kafka.c - the Kafka destination (-o kafka://BROKERS/TOPIC): each row
 * one message, produced with librdkafka's idempotent producer.
 *
 * A row that is a tuple has its first element as the message key (as
 * text, in the plain layout) and the rest as the value: the second
 * element for a pair, an array of the rest for a longer tuple; any other
 * row has no key and is the value whole.  The value is JSON; the
 * message timestamp is the batch (or window) end.  Messages go with
 * the default partitioner, so rows of one key land in one partition.
 *
 * commit is the durability point (sink.h): it waits until every message
 * of the batch is acknowledged by the brokers (acks=all, idempotence:
 * librdkafka retries, without duplicates or reordering, within
 * message.timeout.ms).  A message that cannot be delivered in the end
 * is reported, naming the destination and the error, and fails the run
 * (status 1): no checkpoint or Kafka offset advances past that batch.
 * A broker that cannot be reached while messages wait is said once per
 * outage.  A batch begun and not committed is purged by close, but
 * what librdkafka already sent of it cannot be called back: without
 * transactions the destination is at-least-once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dstream.h"
#include "../kafka/kafka.h"
#include "sink.h"

#ifdef HAVE_KAFKA

#define KAFKA_FLUSH_MS	100	/* a commit's wait, a step */

struct kafka_sink {
	struct sink	 sink;
	char		*name;		/* the -o argument, for messages */
	struct kafka_url url;
	rd_kafka_t	*rk;
	rd_kafka_topic_t *rkt;
	struct buf	 key, val;	/* the row in hand */
	rd_kafka_resp_err_t fail;	/* the first delivery failure, or 0 */
	bool		 failed;	/* reported: every call fails */
	bool		 outage;	/* a broker-unreachable message is out */
};

static void	ksink_close_free(struct kafka_sink *);

/* A message's delivery report: keeps the first failure. */
static void
ksink_delivered(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka_sink	*s = opaque;

	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR &&
	    s->fail == RD_KAFKA_RESP_ERR_NO_ERROR)
		s->fail = m->err;
	else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && s->outage) {
		s->outage = false;
		fprintf(stderr, "%s: %s: reconnected\n", progname, s->name);
	}
}

/* The producer's errors: an outage said once; fatal ones fail the run. */
static void
ksink_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka_sink	*s = opaque;

	if (err == RD_KAFKA_RESP_ERR__FATAL || !kafka_err_transient(err)) {
		if (s->fail == RD_KAFKA_RESP_ERR_NO_ERROR)
			s->fail = (rd_kafka_resp_err_t)err;
		return;
	}
	if (!s->outage)
		fprintf(stderr, "%s: %s: %s; retrying\n", progname, s->name,
		    reason);
	s->outage = true;
}

/* Reports the delivery failure, once; returns -1. */
static int
ksink_fail(struct kafka_sink *s)
{
	char	 errstr[512];

	if (!s->failed) {
		if (s->fail == RD_KAFKA_RESP_ERR__FATAL)
			rd_kafka_fatal_error(s->rk, errstr, sizeof errstr);
		else
			snprintf(errstr, sizeof errstr, "%s",
			    rd_kafka_err2str(s->fail));
		fprintf(stderr, "%s: %s: delivery failed: %s\n", progname,
		    s->name, errstr);
	}
	s->failed = true;
	return -1;
}

static struct sink *
ksink_open(const struct sink_kind *kind, const char *dest,
    enum out_format format, bool stamp, char **cause)
{
	return sink_kafka_open(dest, NULL, cause);
}

struct sink *
sink_kafka_open(const char *dest, const struct config *cfg, char **cause)
{
	static const char *const base[] = {
		"enable.idempotence", "true",
		"linger.ms", "5",
		"log.connection.close", "false",
		NULL
	};
	struct kafka_sink	*s = xcalloc(1, sizeof *s);
	struct config		 none;
	rd_kafka_conf_t		*conf;
	char			 errstr[512];

	s->sink.kind = &sink_kafka;
	s->sink.format = FMT_JSON;
	s->name = xstrdup(dest);
	if (kafka_url_parse(dest + 8, KAFKA_URL_OUTPUT, &s->url, cause) != 0)
		goto fail;
	if (cfg == NULL) {
		memset(&none, 0, sizeof none);
		cfg = &none;
	}
	if ((conf = kafka_conf_new(cfg, dest, s->url.brokers,
	    (const char *const *)base, cause)) == NULL)
		goto fail;
	rd_kafka_conf_set_opaque(conf, s);
	rd_kafka_conf_set_dr_msg_cb(conf, ksink_delivered);
	rd_kafka_conf_set_error_cb(conf, ksink_error);
	if ((s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
	    sizeof errstr)) == NULL) {
		rd_kafka_conf_destroy(conf);
		xasprintf(cause, "%s: %s", dest, errstr);
		goto fail;
	}
	s->rkt = rd_kafka_topic_new(s->rk, s->url.topic, NULL);
	return &s->sink;
fail:
	ksink_close_free(s);
	return NULL;
}

static int
ksink_begin(struct sink *sk, int64_t end_ms)
{
	struct kafka_sink	*s = (struct kafka_sink *)sk;

	return s->failed ? -1 : 0;
}

/*
 * Sends row V of the batch ending at END_MS: its key and JSON value
 * built in the sink's buffers, copied by librdkafka.  A full queue is
 * served (delivery reports) until it has room.
 */
static int
ksink_row(struct sink *sk, const struct value *v, int64_t end_ms)
{
	struct kafka_sink	*s = (struct kafka_sink *)sk;
	struct value		 rest;
	rd_kafka_resp_err_t	 err;
	bool			 keyed = v->type == V_TUPLE && v->n >= 2;

	if (s->failed || s->fail != RD_KAFKA_RESP_ERR_NO_ERROR)
		return ksink_fail(s);
	buf_reset(&s->key);
	buf_reset(&s->val);
	if (keyed) {
		value_fmt_plain(&s->key, &v->u.a[0]);
		if (v->n == 2)
			value_fmt_json(&s->val, &v->u.a[1]);
		else {
			rest.type = V_ARR;
			rest.n = v->n - 1;
			rest.u.a = v->u.a + 1;
			value_fmt_json(&s->val, &rest);
		}
	} else
		value_fmt_json(&s->val, v);
	for (;;) {
		err = rd_kafka_producev(s->rk, RD_KAFKA_V_RKT(s->rkt),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_KEY(keyed ? s->key.p : NULL,
		    keyed ? s->key.len : 0),
		    RD_KAFKA_V_VALUE(s->val.p, s->val.len),
		    RD_KAFKA_V_TIMESTAMP(end_ms), RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(s->rk, KAFKA_FLUSH_MS);
	}
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		s->fail = err;
		return ksink_fail(s);
	}
	return 0;
}

/*
 * The batch's messages are all acknowledged, or one failed for good
 * (librdkafka gives up after message.timeout.ms): 0, or -1 reported.
 */
static int
ksink_commit(struct sink *sk, int64_t end_ms)
{
	struct kafka_sink	*s = (struct kafka_sink *)sk;

	if (s->failed)
		return -1;
	rd_kafka_poll(s->rk, 0);
	while (rd_kafka_outq_len(s->rk) > 0 &&
	    s->fail == RD_KAFKA_RESP_ERR_NO_ERROR)
		rd_kafka_flush(s->rk, KAFKA_FLUSH_MS);
	if (s->fail != RD_KAFKA_RESP_ERR_NO_ERROR)
		return ksink_fail(s);
	return 0;
}

static int
ksink_flush_ended(struct sink *sk)
{
	struct kafka_sink	*s = (struct kafka_sink *)sk;

	return s->failed ? -1 : 0;
}

/* No position: a replayed batch is sent again (at-least-once). */
static int
ksink_save(struct sink *sk, struct buf *b)
{
	return 0;
}

static int
ksink_load(struct sink *sk, struct snap_rd *r)
{
	return 0;
}

static void
ksink_close_free(struct kafka_sink *s)
{
	if (s->rkt != NULL)
		rd_kafka_topic_destroy(s->rkt);
	if (s->rk != NULL) {
		/* What was not committed is dropped, not waited for. */
		rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE |
		    RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_poll(s->rk, 0);
		rd_kafka_destroy(s->rk);
	}
	kafka_url_free(&s->url);
	buf_free(&s->key);
	buf_free(&s->val);
	free(s->name);
	free(s);
}

static void
ksink_close(struct sink *sk)
{
	ksink_close_free((struct kafka_sink *)sk);
}

const struct sink_kind sink_kafka = {
	.name = "kafka",
	.open = ksink_open,
	.begin = ksink_begin,
	.row = ksink_row,
	.commit = ksink_commit,
	.flush_ended = ksink_flush_ended,
	.save = ksink_save,
	.load = ksink_load,
	.close = ksink_close,
};

#else /* !HAVE_KAFKA */

struct sink *
sink_kafka_open(const char *dest, const struct config *cfg, char **cause)
{
	xasprintf(cause, "output '%s': this dstream was built without Kafka "
	    "(configure --without-kafka); rebuild it with librdkafka", dest);
	return NULL;
}

#endif
