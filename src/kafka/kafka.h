/*
 * kafka.h - what the Kafka source (sources/kafka.c) and destination
 * (sinks/kafka.c) share: the kafka:// URL, and the librdkafka
 * configuration built from it and from -X.
 *
 *	kafka://BROKERS/TOPIC[?group=G&offset=beginning|end|stored&until=end]
 *
 * BROKERS is librdkafka's bootstrap.servers (host:port, comma-separated;
 * [v6]:port for IPv6); TOPIC a Kafka topic name (letters, digits, '.',
 * '_', '-'; at most 249).  The query is for inputs only: group= names a
 * consumer group (percent-escapes allowed), offset= where to start, and
 * until=end ends the input at the end offsets found when a partition is
 * assigned (kcat's -e).  A destination takes no query.
 *
 * url.c is plain C (the fuzz target and a build without librdkafka use
 * it); conf.c needs librdkafka (HAVE_KAFKA).
 */
#ifndef DSTREAM_KAFKA_H
#define DSTREAM_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../dstream.h"

enum kafka_offset {
	KAFKA_OFFSET_STORED,	/* the group's stored offset, else the end */
	KAFKA_OFFSET_BEGINNING,
	KAFKA_OFFSET_END
};

/* A parsed kafka:// URL; its strings are its own. */
struct kafka_url {
	char		*brokers;	/* bootstrap.servers */
	char		*topic;
	char		*group;		/* group=, or NULL */
	enum kafka_offset offset;	/* offset= */
	bool		 offset_set;	/* offset= was given */
	bool		 until_end;	/* until=end */
};

/* What kafka_url_parse accepts. */
enum kafka_url_use {
	KAFKA_URL_INPUT,	/* the query is allowed */
	KAFKA_URL_OUTPUT	/* no query */
};

/*
 * Parses SPEC, the URL without "kafka://", into U.  Returns 0, or -1 with
 * *CAUSE set (naming what is wrong; U then holds nothing).  The caller
 * frees U with kafka_url_free.
 */
int	kafka_url_parse(const char *spec, enum kafka_url_use use,
	    struct kafka_url *u, char **cause);
void	kafka_url_free(struct kafka_url *u);

/*
 * Checks one -X argument, "PROP=VAL" as kcat takes it ("topic.PROP=VAL"
 * sets a topic property): returns 0, or -1 with *CAUSE naming the
 * property and what librdkafka says of it (also when dstream was built
 * without Kafka).  Properties dstream sets itself for its guarantees
 * (enable.auto.offset.store, enable.partition.eof...) are refused here.
 */
int	kafka_prop_check(const char *kv, char **cause);
/* Prints librdkafka's list of properties (-X list) to stdout. */
void	kafka_props_list(void);

/*
 * A group commit's metadata (meta.c): kafka_meta_format writes into
 * BUF[0..size) "dstream e=BOUND", or TOKEN ("dstream:HEX", --checkpoint)
 * in place of "dstream", or TOKEN alone without a bound (INT64_MIN), or
 * nothing without either; returns its length (0: none, or too long).
 * kafka_meta_bound reads the bound back from META[0..len) (INT64_MIN:
 * none there); kafka_meta_token_is tells whether META is TOKEN's (alone
 * or before a bound).
 */
size_t	kafka_meta_format(char *buf, size_t size, const char *token,
	    int64_t bound);
int64_t	kafka_meta_bound(const void *meta, size_t len);
bool	kafka_meta_token_is(const void *meta, size_t len, const char *token);

#ifdef HAVE_KAFKA
#include <librdkafka/rdkafka.h>

/*
 * Returns a new librdkafka configuration for BROKERS with the run's -X
 * properties (CFG->kafka_props, already checked) set on top of BASE, a
 * NULL-terminated list of property, value pairs dstream sets first.  A
 * log callback reports librdkafka's errors as "dstream: NAME: ..." and
 * keeps its chatter (reconnects) quiet.  Returns NULL with *CAUSE set
 * when a property is refused.  The caller owns the configuration.
 */
rd_kafka_conf_t	*kafka_conf_new(const struct config *cfg, const char *name,
		    const char *brokers, const char *const *base, char **cause);
/*
 * Whether ERR means the broker cannot be reached (yet): those are
 * retried, and said once per outage.  Other errors on a topic
 * (unknown, deleted, not authorized) are fatal.
 */
bool		 kafka_err_transient(rd_kafka_resp_err_t err);

/*
 * A consumer group's positions, handed by the Kafka source
 * (sources/source.h's txn_offsets) through the checkpoint module to a
 * Kafka destination (sinks/sink.h's commit_checkpoint), which commits
 * them in its transaction with rd_kafka_send_offsets_to_transaction:
 * the offsets the source commits to its group once the checkpoint is
 * durable, each with the checkpoint's token as metadata, and the
 * member's group metadata (its generation, by which the brokers refuse
 * a member the group has moved on without).  BROKERS is the input's
 * bootstrap.servers, by which the destination tells whether the group
 * lives in its cluster.  Owned by the source.
 */
struct kafka_offsets {
	const char				*brokers;
	const char				*group;
	rd_kafka_topic_partition_list_t		*offsets;
	rd_kafka_consumer_group_metadata_t	*member;
};
#endif

#endif
