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
 * outage.  A stop asked while messages wait (SIGINT, SIGTERM:
 * sink_halted) ends the waiting at once: the messages not acknowledged
 * are given up (purged; the open transaction aborted), said with the
 * destination (sink_give_up), and the run ends with 128 plus the
 * signal's number; with --checkpoint the checkpoint is not advanced.  A batch begun and not committed is purged by close, but
 * what librdkafka already sent of it cannot be called back: without
 * transactions the destination is at-least-once.
 *
 * With --checkpoint the producer is transactional (sink.h's
 * commit_checkpoint and stored_checkpoint): the rows of every batch
 * since the last checkpoint and the checkpoint's bytes go in one Kafka
 * transaction, committed by commit_checkpoint, so that consumers reading
 * with isolation.level=read_committed see each checkpoint interval's
 * rows once, together with the input positions that produced them, or
 * not at all.  A Kafka input's consumer group on the same brokers (the
 * same bootstrap servers in both URLs) has its offsets, those of the
 * checkpoint with its token as metadata (handed by the checkpoint
 * module: sink.h, kafka/kafka.h), put in the same transaction before
 * the commit (send_offsets_to_transaction, with the member's group
 * metadata): rows, checkpoint and group offsets commit together,
 * Kafka's consume-transform-produce, so a member without this
 * checkpoint that takes the partitions starts right after the rows
 * committed.  Other brokers, or no group: nothing is sent, and the
 * source's own commit after the checkpoint is all.  The call waits for
 * brokers that went away and cannot be cut short, so it is made once
 * they answer a metadata request (a stop seen meanwhile); a refusal
 * librdkafka does not retry aborts the transaction and fails the run.
 * The bytes go to the topic TOPIC.dstream-checkpoint,
 * partition 0, keyed by the transactional.id, cut into messages of at
 * most KAFKA_CKPT_PIECE bytes (header "dstream-part": "I/N").  The
 * transactional.id is "dstream-" and a hash of the checkpoint folder's
 * absolute path and the topic: the same folder gives the same id, so a
 * resumed run's init_transactions fences its killed predecessor (a
 * zombie's open transaction is aborted, its later writes refused).
 * The producer is made when first needed (the id is known only once the
 * checkpoint module calls sink_checkpointed); stored_checkpoint makes it
 * first, so the fencing happens before the checkpoint topic is read
 * back with a read_committed consumer.  commit(end) only serves
 * delivery reports: commit_checkpoint is the durability point.  A
 * transaction that cannot commit is aborted and fails the run (status
 * 1); close aborts the transaction in hand.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../dstream.h"
#include "../kafka/kafka.h"
#include "sink.h"

#ifdef HAVE_KAFKA

#define KAFKA_FLUSH_MS	100	/* a commit's wait, a step */
#define KAFKA_CKPT_SUFFIX ".dstream-checkpoint"
#define KAFKA_CKPT_PIECE 500000	/* checkpoint bytes a message at most */
#define KAFKA_TXN_MS	60000	/* a transaction call's time limit */
#define KAFKA_READ_MS	60000	/* reading the checkpoint topic back, at most */
#define KAFKA_STEP_MS	200	/* a transaction call's wait, a step */
#define KAFKA_ABORT_MS	1000	/* aborting at a stop, at most */

struct kafka_sink {
	struct sink	 sink;
	char		*name;		/* the -o argument, for messages */
	struct kafka_url url;
	rd_kafka_conf_t	*conf;		/* the producer's, until it is made */
	rd_kafka_conf_t	*cconf;		/* the checkpoint reader's */
	rd_kafka_t	*rk;
	rd_kafka_topic_t *rkt;
	rd_kafka_topic_t *ckpt_rkt;	/* the checkpoint topic's */
	char		*ckpt_topic;	/* TOPIC.dstream-checkpoint */
	char		*txn_id;	/* transactional.id, with --checkpoint */
	bool		 in_txn;	/* a transaction is open */
	struct buf	 key, val;	/* the row in hand */
	rd_kafka_resp_err_t fail;	/* the first delivery failure, or 0 */
	bool		 failed;	/* reported: every call fails */
	bool		 outage;	/* a broker-unreachable message is out */
	size_t		 txn_rows;	/* rows produced in the open transaction */
};

static void	ksink_close_free(struct kafka_sink *);

/*
 * A message's delivery report: keeps the first failure (not a purge,
 * which only follows one: an aborted transaction's messages).
 */
static void
ksink_delivered(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka_sink	*s = opaque;

	if (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
	    m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
		return;
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

/*
 * A stop was asked while messages wait for the brokers (deliveries
 * retried, a transaction call retried): gives them up, reported (the
 * rows not acknowledged: the open transaction's, or those still queued),
 * the open transaction aborted within KAFKA_ABORT_MS; every later call
 * fails.  Returns -1.
 */
static int
ksink_give_up(struct kafka_sink *s)
{
	rd_kafka_error_t	*err;
	size_t			 rows;

	if (s->failed)
		return -1;
	rows = s->txn_id != NULL ? s->txn_rows : (size_t)rd_kafka_outq_len(s->rk);
	sink_give_up(&s->sink, s->name, "messages wait for the brokers", rows);
	rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE |
	    RD_KAFKA_PURGE_F_INFLIGHT);
	if (s->in_txn && (err = rd_kafka_abort_transaction(s->rk,
	    KAFKA_ABORT_MS)) != NULL)
		rd_kafka_error_destroy(err);
	s->in_txn = false;
	s->failed = true;
	return -1;
}

/*
 * Runs the transaction call CALL (init, commit) in steps of
 * KAFKA_STEP_MS, so that a stop asked meanwhile is seen: again while
 * it fails with a retriable error (when SAY, said once, "...; retrying",
 * past KAFKA_TXN_MS or when it is not a time-out).  Returns NULL when it
 * succeeded; the error (caller destroys) when it failed for good; and
 * sets *STOPPED (returning NULL) at a stop.
 */
static rd_kafka_error_t *
ksink_txn_call(struct kafka_sink *s,
    rd_kafka_error_t *(*call)(rd_kafka_t *, int), bool say, bool *stopped)
{
	rd_kafka_error_t	*err;
	int64_t			 start = clock_now_ms();
	bool			 said = !say;

	*stopped = false;
	while ((err = call(s->rk, KAFKA_STEP_MS)) != NULL) {
		if (!rd_kafka_error_is_retriable(err))
			return err;
		if (!said && (rd_kafka_error_code(err) !=
		    RD_KAFKA_RESP_ERR__TIMED_OUT ||
		    clock_now_ms() - start >= KAFKA_TXN_MS)) {
			fprintf(stderr, "%s: %s: %s; retrying\n", progname,
			    s->name, rd_kafka_error_string(err));
			said = true;
		}
		rd_kafka_error_destroy(err);
		if (sink_halted(&s->sink)) {
			*stopped = true;
			return NULL;
		}
	}
	return NULL;
}

static rd_kafka_error_t *
ksink_init_txns(rd_kafka_t *rk, int ms)
{
	return rd_kafka_init_transactions(rk, ms);
}

static rd_kafka_error_t *
ksink_commit_txn(rd_kafka_t *rk, int ms)
{
	return rd_kafka_commit_transaction(rk, ms);
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
	/*
	 * A transaction spans a checkpoint interval: the brokers must not
	 * abort it before (twice the interval and 10 s, at least
	 * librdkafka's 60 s, at most the brokers' default ceiling
	 * transaction.max.timeout.ms, 15 minutes; -X
	 * transaction.timeout.ms overrides).
	 */
	char			 txn_ms[32];
	const char		*base[] = {
		"enable.idempotence", "true",
		"linger.ms", "5",
		"log.connection.close", "false",
		"transaction.timeout.ms", txn_ms,
		NULL
	};
	/* The checkpoint topic's reader: committed transactions only. */
	static const char *const reader[] = {
		"isolation.level", "read_committed",
		"enable.partition.eof", "true",
		"enable.auto.commit", "false",
		"log.connection.close", "false",
		NULL
	};
	struct kafka_sink	*s = xcalloc(1, sizeof *s);
	struct config		 none;
	rd_kafka_conf_t		*conf;

	s->sink.kind = &sink_kafka;
	s->sink.format = FMT_JSON;
	s->name = xstrdup(dest);
	if (kafka_url_parse(dest + 8, KAFKA_URL_OUTPUT, &s->url, cause) != 0)
		goto fail;
	if (cfg == NULL) {
		memset(&none, 0, sizeof none);
		cfg = &none;
	}
	snprintf(txn_ms, sizeof txn_ms, "%" PRId64,
	    cfg->checkpoint_every_ms <= 25000 ? INT64_C(60000) :
	    cfg->checkpoint_every_ms >= 445000 ? INT64_C(900000) :
	    2 * cfg->checkpoint_every_ms + 10000);
	if ((conf = kafka_conf_new(cfg, dest, s->url.brokers,
	    (const char *const *)base, cause)) == NULL)
		goto fail;
	rd_kafka_conf_set_opaque(conf, s);
	rd_kafka_conf_set_dr_msg_cb(conf, ksink_delivered);
	rd_kafka_conf_set_error_cb(conf, ksink_error);
	s->conf = conf;
	if ((s->cconf = kafka_conf_new(cfg, dest, s->url.brokers,
	    (const char *const *)reader, cause)) == NULL)
		goto fail;
	xasprintf(&s->ckpt_topic, "%s" KAFKA_CKPT_SUFFIX, s->url.topic);
	return &s->sink;
fail:
	ksink_close_free(s);
	return NULL;
}

/* FNV-1a, 64 bits, of P[0..N) from H. */
static uint64_t
ksink_hash(uint64_t h, const char *p, size_t n)
{
	while (n-- > 0) {
		h ^= (unsigned char)*p++;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/*
 * Reports the transaction call WHAT's error ERR (taking it), once; the
 * open transaction is aborted when the error asks for it.  Returns -1.
 */
static int
ksink_txn_fail(struct kafka_sink *s, const char *what, rd_kafka_error_t *err)
{
	rd_kafka_error_t	*e2;
	bool			 fenced;

	if (!s->failed) {
		fenced = rd_kafka_error_code(err) ==
		    RD_KAFKA_RESP_ERR__FENCED ||
		    rd_kafka_error_code(err) ==
		    RD_KAFKA_RESP_ERR_PRODUCER_FENCED;
		fprintf(stderr, "%s: %s: %s: %s%s\n", progname, s->name, what,
		    rd_kafka_error_string(err), fenced ? " (another dstream "
		    "with the same checkpoint folder took over)" : "");
	}
	if (rd_kafka_error_txn_requires_abort(err) && s->in_txn) {
		if ((e2 = rd_kafka_abort_transaction(s->rk, KAFKA_TXN_MS)) !=
		    NULL)
			rd_kafka_error_destroy(e2);
		s->in_txn = false;
	}
	rd_kafka_error_destroy(err);
	s->failed = true;
	return -1;
}

/*
 * Makes the producer, once: with --checkpoint a transactional one whose
 * transactional.id comes from the checkpoint's name and the topic, its
 * init_transactions fencing a predecessor (retried while the brokers
 * cannot be reached, said once).  Returns 0, or -1 after reporting.
 */
static int
ksink_start(struct kafka_sink *s)
{
	rd_kafka_error_t	*err;
	char			 errstr[512];
	uint64_t		 h;
	bool			 stopped;

	if (s->rk != NULL)
		return 0;
	if (s->failed)
		return -1;
	if (s->sink.checkpointed && s->sink.ckpt_name != NULL) {
		h = ksink_hash(UINT64_C(0xcbf29ce484222325),
		    s->sink.ckpt_name, strlen(s->sink.ckpt_name) + 1);
		h = ksink_hash(h, s->url.topic, strlen(s->url.topic));
		xasprintf(&s->txn_id, "dstream-%016" PRIx64, h);
		if (rd_kafka_conf_set(s->conf, "transactional.id", s->txn_id,
		    errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
			fprintf(stderr, "%s: %s: %s\n", progname, s->name,
			    errstr);
			s->failed = true;
			return -1;
		}
	}
	if ((s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, s->conf, errstr,
	    sizeof errstr)) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", progname, s->name, errstr);
		s->failed = true;
		return -1;
	}
	s->conf = NULL;		/* the producer's now */
	s->rkt = rd_kafka_topic_new(s->rk, s->url.topic, NULL);
	if (s->txn_id == NULL)
		return 0;
	s->ckpt_rkt = rd_kafka_topic_new(s->rk, s->ckpt_topic, NULL);
	if ((err = ksink_txn_call(s, ksink_init_txns, true, &stopped)) != NULL)
		return ksink_txn_fail(s, "cannot start its transactions", err);
	if (stopped)
		return ksink_give_up(s);
	return 0;
}

/* Opens a transaction when none is: 0, or -1 after reporting. */
static int
ksink_txn_begin(struct kafka_sink *s)
{
	rd_kafka_error_t	*err;

	if (s->in_txn || s->txn_id == NULL)
		return 0;
	if ((err = rd_kafka_begin_transaction(s->rk)) != NULL)
		return ksink_txn_fail(s, "cannot begin a transaction", err);
	s->in_txn = true;
	s->txn_rows = 0;
	return 0;
}

static int
ksink_begin(struct sink *sk, int64_t end_ms)
{
	struct kafka_sink	*s = (struct kafka_sink *)sk;

	if (s->failed || ksink_start(s) != 0)
		return -1;
	return ksink_txn_begin(s);
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
		if (sink_halted(&s->sink))
			return ksink_give_up(s);
		rd_kafka_poll(s->rk, KAFKA_FLUSH_MS);
	}
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		s->fail = err;
		return ksink_fail(s);
	}
	s->txn_rows++;
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
	if (s->txn_id != NULL) {
		/* commit_checkpoint commits the transaction. */
		if (s->fail != RD_KAFKA_RESP_ERR_NO_ERROR)
			return ksink_fail(s);
		return 0;
	}
	while (rd_kafka_outq_len(s->rk) > 0 &&
	    s->fail == RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (sink_halted(&s->sink))
			return ksink_give_up(s);
		rd_kafka_flush(s->rk, KAFKA_FLUSH_MS);
	}
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

/*
 * Puts the consumer group's offsets O in the open transaction, when the
 * group lives on this destination's brokers (the same bootstrap servers
 * in both URLs; elsewhere the source's own commit after the checkpoint
 * is all).  librdkafka's call cannot be cut short by a stop and waits
 * for brokers that went away (up to KAFKA_TXN_MS), so it is made once
 * the brokers answer a metadata request (waited for in steps, a stop
 * seen).  A retriable failure (librdkafka retried within KAFKA_TXN_MS)
 * is tried again, said once, until a stop; any other fails the run.
 * Returns 0, or -1 after reporting (the transaction aborted when the
 * error asks it).
 */
static int
ksink_send_offsets(struct kafka_sink *s, const struct kafka_offsets *o)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t	 e;
	rd_kafka_error_t	*err;
	char			*what;
	bool			 said = false;

	if (strcmp(o->brokers, s->url.brokers) != 0)
		return 0;
	/* Not transient: the call itself says what is wrong. */
	while ((e = rd_kafka_metadata(s->rk, 0, s->rkt, &md, KAFKA_STEP_MS)) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR && kafka_err_transient(e)) {
		if (sink_halted(&s->sink))
			return ksink_give_up(s);
		rd_kafka_poll(s->rk, KAFKA_STEP_MS);
	}
	if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
		rd_kafka_metadata_destroy(md);
	while ((err = rd_kafka_send_offsets_to_transaction(s->rk, o->offsets,
	    o->member, KAFKA_TXN_MS)) != NULL) {
		if (!rd_kafka_error_is_retriable(err) ||
		    rd_kafka_error_txn_requires_abort(err) ||
		    rd_kafka_error_is_fatal(err)) {
			xasprintf(&what, "cannot commit group %s's offsets in "
			    "the transaction", o->group);
			ksink_txn_fail(s, what, err);
			free(what);
			return -1;
		}
		if (!said)
			fprintf(stderr, "%s: %s: %s; retrying\n", progname,
			    s->name, rd_kafka_error_string(err));
		said = true;
		rd_kafka_error_destroy(err);
		if (sink_halted(&s->sink))
			return ksink_give_up(s);
		rd_kafka_poll(s->rk, KAFKA_STEP_MS);
	}
	return 0;
}

/*
 * Commits the transaction in hand (or a new one) with the checkpoint
 * BYTES[0..LEN) as messages of the checkpoint topic and the consumer
 * groups' offsets OFFS[0..NOFFS) that live on these brokers: the rows
 * of every batch since the last call and the checkpoint, visible
 * together to read_committed consumers, and the offsets committed with
 * them.  Returns 0, or -1 after reporting (the transaction aborted:
 * none of it is visible, the checkpoint and the offsets stay).
 */
static int
ksink_commit_checkpoint(struct sink *sk, int64_t end_ms, const void *bytes,
    size_t len, const struct kafka_offsets *const *offs, size_t noffs)
{
	struct kafka_sink	*s = (struct kafka_sink *)sk;
	rd_kafka_error_t	*err;
	rd_kafka_resp_err_t	 e;
	rd_kafka_headers_t	*hdrs;
	const char		*p = bytes;
	size_t			 n, i, pieces;
	char			 part[48];
	bool			 stopped;

	if (s->failed || ksink_start(s) != 0 || ksink_txn_begin(s) != 0)
		return -1;
	if (s->txn_id == NULL)
		return 0;
	pieces = len == 0 ? 1 : (len + KAFKA_CKPT_PIECE - 1) / KAFKA_CKPT_PIECE;
	for (i = 0; i < pieces; i++) {
		n = len - i * KAFKA_CKPT_PIECE;
		if (n > KAFKA_CKPT_PIECE)
			n = KAFKA_CKPT_PIECE;
		snprintf(part, sizeof part, "%zu/%zu", i, pieces);
		hdrs = rd_kafka_headers_new(1);
		rd_kafka_header_add(hdrs, "dstream-part", -1, part, -1);
		for (;;) {
			e = rd_kafka_producev(s->rk,
			    RD_KAFKA_V_RKT(s->ckpt_rkt),
			    RD_KAFKA_V_PARTITION(0),
			    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			    RD_KAFKA_V_KEY(s->txn_id, strlen(s->txn_id)),
			    RD_KAFKA_V_VALUE((void *)(p + i * KAFKA_CKPT_PIECE),
			    n), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
			if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
				break;
			if (sink_halted(&s->sink)) {
				rd_kafka_headers_destroy(hdrs);
				return ksink_give_up(s);
			}
			rd_kafka_poll(s->rk, KAFKA_FLUSH_MS);
		}
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
			rd_kafka_headers_destroy(hdrs);
			s->fail = e;
			ksink_fail(s);
			if ((err = rd_kafka_abort_transaction(s->rk,
			    KAFKA_TXN_MS)) != NULL)
				rd_kafka_error_destroy(err);
			s->in_txn = false;
			return -1;
		}
	}
	for (i = 0; i < noffs; i++)
		if (ksink_send_offsets(s, offs[i]) != 0)
			return -1;
	if ((err = ksink_txn_call(s, ksink_commit_txn, false, &stopped)) != NULL) {
		if (s->fail != RD_KAFKA_RESP_ERR_NO_ERROR) {
			/* A message of the transaction failed: say which. */
			ksink_fail(s);
			s->failed = false;
		}
		return ksink_txn_fail(s, "cannot commit the transaction", err);
	}
	if (stopped)
		return ksink_give_up(s);
	s->in_txn = false;
	rd_kafka_poll(s->rk, 0);
	if (s->fail != RD_KAFKA_RESP_ERR_NO_ERROR)
		return ksink_fail(s);
	return 0;
}

/* Where stored_checkpoint's copy is (sink.h). */
static char *
ksink_stored_where(struct sink *sk)
{
	struct kafka_sink	*s = (struct kafka_sink *)sk;
	char			*w;

	xasprintf(&w, "its copy in topic %s, kept under the folder's "
	    "path (or use a checkpoint folder of another path)",
	    s->ckpt_topic);
	return w;
}

/*
 * Appends to OUT the last checkpoint committed to the checkpoint topic
 * under this run's transactional.id, read with isolation.level=
 * read_committed (after init_transactions fenced any predecessor, so
 * no transaction of ours is left open).  Nothing when the topic holds
 * none (or does not exist).  Returns 0, or -1 with *CAUSE set.
 */
static int
ksink_stored_checkpoint(struct sink *sk, struct buf *out, char **cause)
{
	struct kafka_sink	*s = (struct kafka_sink *)sk;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_t		*rc = NULL;
	rd_kafka_topic_t	*rt = NULL;
	rd_kafka_message_t	*m;
	rd_kafka_headers_t	*hdrs;
	rd_kafka_resp_err_t	 e;
	struct buf		 cur = BUF_INIT, best = BUF_INIT;
	const void		*hv;
	size_t			 hn, klen;
	char			 errstr[512], hbuf[48];
	unsigned long		 pi, pn, next = 0;
	time_t			 deadline;
	int			 rcode = -1;
	bool			 started = false, have = false;

	if (ksink_start(s) != 0) {
		xasprintf(cause, "%s: cannot read its checkpoint back",
		    s->name);
		return -1;
	}
	if (s->txn_id == NULL)
		return 0;
	klen = strlen(s->txn_id);
	/* Is there a checkpoint topic at all? */
	e = rd_kafka_metadata(s->rk, 0, s->ckpt_rkt, &md, KAFKA_READ_MS);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		xasprintf(cause, "%s: cannot read %s: %s", s->name,
		    s->ckpt_topic, rd_kafka_err2str(e));
		goto out;
	}
	if (md->topic_cnt < 1 || md->topics[0].err ==
	    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
	    md->topics[0].partition_cnt < 1) {
		rcode = 0;
		goto out;
	}
	if (md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		xasprintf(cause, "%s: cannot read %s: %s", s->name,
		    s->ckpt_topic, rd_kafka_err2str(md->topics[0].err));
		goto out;
	}
	if ((rc = rd_kafka_new(RD_KAFKA_CONSUMER, s->cconf, errstr,
	    sizeof errstr)) == NULL) {
		xasprintf(cause, "%s: cannot read %s: %s", s->name,
		    s->ckpt_topic, errstr);
		goto out;
	}
	s->cconf = NULL;	/* the reader's now */
	rt = rd_kafka_topic_new(rc, s->ckpt_topic, NULL);
	if (rd_kafka_consume_start(rt, 0, RD_KAFKA_OFFSET_BEGINNING) != 0) {
		xasprintf(cause, "%s: cannot read %s: %s", s->name,
		    s->ckpt_topic, rd_kafka_err2str(rd_kafka_last_error()));
		goto out;
	}
	started = true;
	deadline = time(NULL) + KAFKA_READ_MS / 1000;
	for (;;) {
		if (time(NULL) > deadline) {
			xasprintf(cause, "%s: cannot read %s to its end within "
			    "%d s", s->name, s->ckpt_topic, KAFKA_READ_MS / 1000);
			goto out;
		}
		if ((m = rd_kafka_consume(rt, 0, 1000)) == NULL)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			rd_kafka_message_destroy(m);
			break;
		}
		if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			if (kafka_err_transient(m->err) &&
			    m->err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
				rd_kafka_message_destroy(m);
				continue;
			}
			xasprintf(cause, "%s: cannot read %s: %s", s->name,
			    s->ckpt_topic, rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			goto out;
		}
		/* One of ours, "I/N": the pieces of one checkpoint in turn. */
		if (m->key_len == klen && memcmp(m->key, s->txn_id, klen) == 0 &&
		    rd_kafka_message_headers(m, &hdrs) == 0 &&
		    rd_kafka_header_get_last(hdrs, "dstream-part", &hv, &hn) ==
		    0 && hn < sizeof hbuf) {
			memcpy(hbuf, hv, hn);
			hbuf[hn] = '\0';
			if (sscanf(hbuf, "%lu/%lu", &pi, &pn) == 2 && pi < pn) {
				if (pi == 0) {
					buf_reset(&cur);
					next = 0;
				}
				if (pi == next) {
					buf_add(&cur, m->payload, m->len);
					next++;
					if (next == pn) {
						buf_reset(&best);
						buf_add(&best, cur.p, cur.len);
						have = true;
					}
				} else
					next = (unsigned long)-1;
			}
		}
		rd_kafka_message_destroy(m);
	}
	if (have)
		buf_add(out, best.p, best.len);
	rcode = 0;
out:
	if (started)
		rd_kafka_consume_stop(rt, 0);
	if (rt != NULL)
		rd_kafka_topic_destroy(rt);
	if (rc != NULL)
		rd_kafka_destroy(rc);
	if (md != NULL)
		rd_kafka_metadata_destroy(md);
	buf_free(&cur);
	buf_free(&best);
	return rcode;
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
	rd_kafka_error_t	*err;

	if (s->rkt != NULL)
		rd_kafka_topic_destroy(s->rkt);
	if (s->ckpt_rkt != NULL)
		rd_kafka_topic_destroy(s->ckpt_rkt);
	if (s->rk != NULL) {
		/* What was not committed is dropped, not waited for (at a
		 * stop, the brokers not answering, a short while). */
		if (s->in_txn && (err = rd_kafka_abort_transaction(s->rk,
		    sink_halted(&s->sink) ? KAFKA_ABORT_MS : KAFKA_TXN_MS)) !=
		    NULL)
			rd_kafka_error_destroy(err);
		if (s->txn_id == NULL || sink_halted(&s->sink))
			rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE |
			    RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_poll(s->rk, 0);
		rd_kafka_destroy(s->rk);
	}
	if (s->conf != NULL)
		rd_kafka_conf_destroy(s->conf);
	if (s->cconf != NULL)
		rd_kafka_conf_destroy(s->cconf);
	free(s->ckpt_topic);
	free(s->txn_id);
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
	.commit_checkpoint = ksink_commit_checkpoint,
	.stored_checkpoint = ksink_stored_checkpoint,
	.stored_where = ksink_stored_where,
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
