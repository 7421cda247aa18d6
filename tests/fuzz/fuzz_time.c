/*
 * fuzz_time.c - libFuzzer target for the text parsers of the builtins:
 * time_parse (auto-detection and strptime formats, the format itself
 * fuzzed too), time_format, time_fmt_rfc3339, clf_parse and fmt_sprintf.
 * Nothing may crash; a parsed time must be finite, and an auto-detected
 * one must survive an RFC 3339 round trip.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dstream.h"
#include "expr/expr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const formats[] = {
	"%Y-%m-%d %H:%M:%S", "%d/%b/%Y:%H:%M:%S %z", "%s.%f", "%F %T%z",
	"%a, %d %B %Y %I:%M %p %Z", "%Y %j", "%D %R", "%b %e %T", "%%%n%t",
	"%Y%m%d%H%M%S"
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena	 a;
	static int		 init;
	const char		*s = (const char *)data, *err, *nul;
	struct buf		 b = BUF_INIT;
	struct value		 args[4];
	char			*fmt;
	double			 secs, again;
	int64_t			 ms;
	size_t			 i;

	if (!init) {
		arena_init(&a);
		init = 1;
	}
	arena_reset(&a);

	/* Auto-detection, and the RFC 3339 round trip. */
	if (time_parse(s, size, NULL, &secs) == 0) {
		if (!isfinite(secs))
			abort();
		time_format(&b, secs, "%Y-%m-%dT%H:%M:%S.%3f %s %z %Z %j %a");
		if (fabs(secs) < 2.5e11) {
			ms = (int64_t)floor(secs * 1000);
			buf_reset(&b);
			time_fmt_rfc3339(&b, ms);
			if (ms > -62135596800000LL &&
			    (time_parse(b.p, b.len, NULL, &again) != 0 ||
			    fabs(again * 1000 - (double)ms) > 1)) {
				fprintf(stderr, "round trip: %s\n", b.p);
				abort();
			}
		}
	}
	for (i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		if (time_parse(s, size, formats[i], &secs) == 0 &&
		    !isfinite(secs))
			abort();
	}

	/* Up to the first NUL is a format, the rest the text. */
	nul = memchr(s, '\0', size);
	if (nul != NULL) {
		fmt = strndup(s, (size_t)(nul - s));
		if (fmt == NULL)
			abort();
		if (time_parse(nul + 1, size - (size_t)(nul + 1 - s), fmt,
		    &secs) == 0 && !isfinite(secs))
			abort();
		buf_reset(&b);
		time_format(&b, 1763683200.25, fmt);
		args[0] = value_str(nul + 1, size - (size_t)(nul + 1 - s));
		args[1] = value_int(-42);
		args[2] = value_dbl(3.5e300);
		args[3] = value_array(&a, 0);
		buf_reset(&b);
		(void)fmt_sprintf(&b, fmt, strlen(fmt), args, 4, &err);
		free(fmt);
	}

	(void)clf_parse(&a, s, size);
	if (size >= 8) {
		memcpy(&ms, data, 8);
		buf_reset(&b);
		time_fmt_rfc3339(&b, ms % 400000000000000LL);
	}
	buf_free(&b);
	return 0;
}
