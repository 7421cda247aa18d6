/*
 * conf.c - librdkafka's configuration for a Kafka input or output: the
 * brokers of the URL, what dstream sets for its guarantees, then the
 * user's -X properties (kcat's conventions), checked once by main so
 * that a bad one is a usage error naming it (see kafka.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "kafka.h"

#ifdef HAVE_KAFKA

/*
 * Properties dstream owns: setting them would break what it promises or
 * say again what the URL says.  Each with what to do instead.
 */
static const struct {
	const char	*name;
	const char	*instead;
} kafka_owned[] = {
	{ "bootstrap.servers", "the brokers go in the URL: kafka://BROKERS/TOPIC" },
	{ "metadata.broker.list", "the brokers go in the URL: kafka://BROKERS/TOPIC" },
	{ "group.id", "the group goes in the URL: ?group=G" },
	{ "enable.auto.offset.store", "offsets are stored once their batch is committed downstream" },
	{ "enable.auto.commit", "dstream commits the offsets, with what a rebuild of the windows needs" },
	{ "enable.partition.eof", "set by dstream for until=end" },
	{ "transactional.id", "dstream sets it with --checkpoint" },
};

/*
 * Sets the property KV ("PROP=VAL") on CONF, as kcat does: PROP as
 * given, or, when librdkafka knows no such property and it starts with
 * "topic.", without that prefix (a topic property set for every topic).
 * Returns RD_KAFKA_CONF_OK, or librdkafka's verdict with ERRSTR set;
 * KAFKA_NOT_KV when KV is not PROP=VAL.
 */
#define KAFKA_NOT_KV	1

static int
kafka_prop_set(rd_kafka_conf_t *conf, const char *kv, char *errstr,
    size_t size)
{
	const char		*eq = strchr(kv, '=');
	char			*prop;
	rd_kafka_conf_res_t	 r;

	if (eq == NULL || eq == kv)
		return KAFKA_NOT_KV;
	prop = xstrndup(kv, (size_t)(eq - kv));
	r = rd_kafka_conf_set(conf, prop, eq + 1, errstr, size);
	if (r == RD_KAFKA_CONF_UNKNOWN && strncmp(prop, "topic.", 6) == 0 &&
	    prop[6] != '\0')
		r = rd_kafka_conf_set(conf, prop + 6, eq + 1, errstr, size);
	free(prop);
	return r;
}

int
kafka_prop_check(const char *kv, char **cause)
{
	rd_kafka_conf_t	*conf;
	char		 errstr[512];
	size_t		 i, n = strcspn(kv, "=");
	int		 r, rc = 0;

	for (i = 0; i < sizeof kafka_owned / sizeof kafka_owned[0]; i++)
		if (strlen(kafka_owned[i].name) == n &&
		    strncmp(kv, kafka_owned[i].name, n) == 0) {
			xasprintf(cause, "-X %s: property %s is dstream's "
			    "(%s)", kv, kafka_owned[i].name,
			    kafka_owned[i].instead);
			return -1;
		}
	conf = rd_kafka_conf_new();
	if ((r = kafka_prop_set(conf, kv, errstr, sizeof errstr)) ==
	    KAFKA_NOT_KV) {
		xasprintf(cause, "-X %s: expected PROP=VALUE (-X list shows "
		    "the properties)", kv);
		rc = -1;
	} else if (r != RD_KAFKA_CONF_OK) {
		xasprintf(cause, "-X %s: %s", kv, errstr);
		rc = -1;
	}
	rd_kafka_conf_destroy(conf);
	return rc;
}

void
kafka_props_list(void)
{
	rd_kafka_conf_properties_show(stdout);
}

/*
 * librdkafka's log lines: only what is critical is shown (a broker that
 * cannot be reached is an error event, said once per outage by the
 * source or the sink, not a line per reconnect), unless -X debug=...
 * asked for librdkafka's debugging (kafka_log_all).
 */
static void
kafka_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	if (level <= LOG_CRIT)
		fprintf(stderr, "%s: kafka: %s: %s\n", progname, fac, buf);
}

static void
kafka_log_all(const rd_kafka_t *rk, int level, const char *fac,
    const char *buf)
{
	fprintf(stderr, "%s: kafka: %s: %s\n", progname, fac, buf);
}

rd_kafka_conf_t *
kafka_conf_new(const struct config *cfg, const char *name, const char *brokers,
    const char *const *base, char **cause)
{
	rd_kafka_conf_t	*conf = rd_kafka_conf_new();
	char		 errstr[512];
	size_t		 i;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr,
	    sizeof errstr) != RD_KAFKA_CONF_OK) {
		xasprintf(cause, "%s: %s", name, errstr);
		goto fail;
	}
	for (i = 0; base != NULL && base[i] != NULL; i += 2)
		if (rd_kafka_conf_set(conf, base[i], base[i + 1], errstr,
		    sizeof errstr) != RD_KAFKA_CONF_OK) {
			xasprintf(cause, "%s: %s=%s: %s", name, base[i],
			    base[i + 1], errstr);
			goto fail;
		}
	for (i = 0; i < cfg->nkafka_props; i++)
		if (kafka_prop_set(conf, cfg->kafka_props[i], errstr,
		    sizeof errstr) != RD_KAFKA_CONF_OK) {
			xasprintf(cause, "-X %s: %s", cfg->kafka_props[i],
			    errstr);
			goto fail;
		}
	rd_kafka_conf_set_log_cb(conf, kafka_log);
	for (i = 0; i < cfg->nkafka_props; i++)
		if (strncmp(cfg->kafka_props[i], "debug=", 6) == 0)
			rd_kafka_conf_set_log_cb(conf, kafka_log_all);
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

bool
kafka_err_transient(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
	case RD_KAFKA_RESP_ERR__AUTHENTICATION:
	case RD_KAFKA_RESP_ERR__FATAL:
	case RD_KAFKA_RESP_ERR__INVALID_ARG:
	case RD_KAFKA_RESP_ERR__SSL:
	case RD_KAFKA_RESP_ERR_TOPIC_DELETION_DISABLED:
	case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
		return false;
	default:
		return true;
	}
}

#else /* !HAVE_KAFKA */

int
kafka_prop_check(const char *kv, char **cause)
{
	xasprintf(cause, "-X %s: this dstream was built without Kafka "
	    "(configure --without-kafka)", kv);
	return -1;
}

void
kafka_props_list(void)
{
	printf("this dstream was built without Kafka\n");
}

#endif
