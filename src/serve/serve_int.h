/*
 * serve_int.h - what serve.c and metrics.c share: the histogram of batch
 * processing times and the figures /metrics reports.
 */
#ifndef DSTREAM_SERVE_INT_H
#define DSTREAM_SERVE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "../dstream.h"

#define METRICS_BUCKETS	10

/* One input's name and counters (serve_input), and when it last read. */
struct metrics_input {
	const char		*name;
	const struct counters	*c;
	const int64_t		*newest;	/* its largest event time, ms */
	uint64_t		 seen_in;	/* c->records_in at seen_at */
	int64_t			 seen_at;	/* wall clock it last delivered
						 * (the start before that) */
};

/* What /metrics reports; serve.c keeps it up to date. */
struct metrics {
	const struct counters	*run;		/* the run-wide counters */
	struct metrics_input	*inputs;
	int			 ninputs;
	uint64_t		 batches;
	/* Batch processing time: counts per bucket (not cumulative). */
	uint64_t		 bucket[METRICS_BUCKETS + 1];	/* last: +Inf */
	double			 proc_sum;	/* seconds */
	size_t			 keys;		/* held after the latest batch */
	int64_t			 last_end;	/* the latest batch end, ms */
	int64_t			 lag_ms;	/* wall clock at it minus its end */
	unsigned		 viewers;	/* /events connections open */
	uint64_t		 dropped;	/* events skipped for slow viewers */
	uint64_t		 requests;	/* HTTP requests answered */
	int64_t			 now;		/* wall clock of the report, ms */
};

/* Counts a batch that took SECONDS to process. */
void	metrics_observe(struct metrics *, double seconds);
/*
 * Notes, at wall clock NOW, which inputs delivered records since the last
 * call (for their idle time).
 */
void	metrics_seen(struct metrics *, int64_t now);
/* The run's counters plus every input's, into *SUM. */
void	metrics_totals(const struct metrics *, struct counters *sum);
/* Appends the Prometheus text exposition of M, at M->now, to B. */
void	metrics_text(const struct metrics *, struct buf *b);
/* The resident set size now, in bytes (0 when unknown). */
uint64_t metrics_rss(void);

#endif
