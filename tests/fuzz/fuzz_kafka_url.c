/*
 * fuzz_kafka_url.c - libFuzzer target for the kafka:// URL parser
 * (kafka/url.c), for inputs and outputs.  Nothing may crash or leak; an
 * accepted URL has brokers and a topic Kafka would take, and an output
 * never accepts a query.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dstream.h"
#include "kafka/kafka.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kafka_url	 u;
	char			*s, *cause = NULL;
	int			 use;

	s = xstrndup((const char *)data, size);
	for (use = 0; use < 2; use++) {
		if (kafka_url_parse(s, use == 0 ? KAFKA_URL_INPUT :
		    KAFKA_URL_OUTPUT, &u, &cause) != 0) {
			if (cause == NULL || u.brokers != NULL)
				abort();
			free(cause);
			cause = NULL;
			continue;
		}
		if (u.brokers == NULL || *u.brokers == '\0' ||
		    u.topic == NULL || *u.topic == '\0' ||
		    strlen(u.topic) > 249 || strchr(u.topic, '/') != NULL)
			abort();
		if (use == 1 && (u.group != NULL || u.until_end ||
		    u.offset_set))
			abort();
		if (u.group != NULL && *u.group == '\0')
			abort();
		kafka_url_free(&u);
	}
	free(s);
	return 0;
}
