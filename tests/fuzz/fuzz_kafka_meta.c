/*
 * fuzz_kafka_meta.c - libFuzzer target for the metadata of a consumer
 * group's offset commits (kafka/meta.c), which dstream reads back from
 * the group: whatever another client committed must not crash it.  A
 * bound read back is written again, with and without a token, to
 * metadata that reads back the same; a token is recognised before its
 * bound and alone.
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
	static const char	*token = "dstream:0123456789abcdef";
	char			 buf[64];
	int64_t			 bound;
	size_t			 n;

	bound = kafka_meta_bound(data, size);
	if (bound == INT64_MIN)
		return 0;
	n = kafka_meta_format(buf, sizeof buf, NULL, bound);
	if (n == 0 || kafka_meta_bound(buf, n) != bound ||
	    kafka_meta_token_is(buf, n, token))
		abort();
	n = kafka_meta_format(buf, sizeof buf, token, bound);
	if (n == 0 || kafka_meta_bound(buf, n) != bound ||
	    !kafka_meta_token_is(buf, n, token))
		abort();
	n = kafka_meta_format(buf, sizeof buf, token, INT64_MIN);
	if (kafka_meta_bound(buf, n) != INT64_MIN ||
	    !kafka_meta_token_is(buf, n, token))
		abort();
	return 0;
}
