/*
 * metrics.c - dstream's own counters in Prometheus' text format (version
 * 0.0.4), for /metrics: records in and out, late, skipped, long lines,
 * batches and their processing time as a histogram, keys held, the lag of
 * the latest batch, RSS, the dashboard's viewers, and for every input,
 * labelled by its name, its record counters, how long it has been idle
 * and (event time) its lag.  A pure function of struct metrics
 * (serve_int.h) but for the RSS, read from /proc.
 */
#include <stdio.h>
#include <unistd.h>

#include "../dstream.h"
#include "serve_int.h"

/* Upper bounds of the histogram's buckets, in seconds. */
static const double	 metrics_le[METRICS_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1
};

void
metrics_observe(struct metrics *m, double seconds)
{
	int	 i;

	for (i = 0; i < METRICS_BUCKETS && seconds > metrics_le[i]; i++)
		;
	m->bucket[i]++;
	m->proc_sum += seconds;
	m->batches++;
}

void
metrics_seen(struct metrics *m, int64_t now)
{
	struct metrics_input	*in;
	int			 i;

	for (i = 0; i < m->ninputs; i++) {
		in = &m->inputs[i];
		if (in->c->records_in != in->seen_in) {
			in->seen_in = in->c->records_in;
			in->seen_at = now;
		}
	}
}

void
metrics_totals(const struct metrics *m, struct counters *sum)
{
	int	 i;

	*sum = *m->run;
	for (i = 0; i < m->ninputs; i++)
		counters_add(sum, m->inputs[i].c);
}

uint64_t
metrics_rss(void)
{
	FILE			*f;
	unsigned long long	 size, rss;
	long			 page = sysconf(_SC_PAGESIZE);
	int			 n;

	if ((f = fopen("/proc/self/statm", "r")) == NULL)
		return 0;
	n = fscanf(f, "%llu %llu", &size, &rss);
	fclose(f);
	return n == 2 && page > 0 ? rss * (uint64_t)page : 0;
}

/* Appends a metric's HELP and TYPE lines. */
static void
metrics_head(struct buf *b, const char *name, const char *type,
    const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Appends S as a label value: backslash, quote and newline escaped. */
static void
metrics_label(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(b, '\\');
		if (*s == '\n') {
			buf_adds(b, "\\n");
			continue;
		}
		buf_addc(b, *s);
	}
}

/* One counter of every input, labelled input="NAME". */
static void
metrics_per_input(const struct metrics *m, struct buf *b, const char *name,
    const char *help, size_t field)
{
	int	 i;

	metrics_head(b, name, "counter", help);
	for (i = 0; i < m->ninputs; i++) {
		buf_printf(b, "%s{input=\"", name);
		metrics_label(b, m->inputs[i].name);
		buf_printf(b, "\"} %llu\n", (unsigned long long)
		    *(const uint64_t *)(const void *)
		    ((const char *)m->inputs[i].c + field));
	}
}

void
metrics_text(const struct metrics *m, struct buf *b)
{
	struct counters	 t;
	uint64_t	 cum = 0;
	int		 i;

	metrics_totals(m, &t);
	metrics_head(b, "dstream_records_in_total", "counter",
	    "Records read, all inputs.");
	buf_printf(b, "dstream_records_in_total %llu\n",
	    (unsigned long long)t.records_in);
	metrics_head(b, "dstream_records_out_total", "counter",
	    "Rows output by the pipeline.");
	buf_printf(b, "dstream_records_out_total %llu\n",
	    (unsigned long long)t.records_out);
	metrics_head(b, "dstream_late_records_total", "counter",
	    "Records later than the watermark (event time).");
	buf_printf(b, "dstream_late_records_total %llu\n",
	    (unsigned long long)t.late);
	metrics_head(b, "dstream_skipped_records_total", "counter",
	    "Records skipped for an error (bad JSON, bad time, failed "
	    "expression).");
	buf_printf(b, "dstream_skipped_records_total %llu\n",
	    (unsigned long long)t.skipped);
	metrics_head(b, "dstream_long_lines_total", "counter",
	    "Lines longer than --max-line, skipped.");
	buf_printf(b, "dstream_long_lines_total %llu\n",
	    (unsigned long long)t.long_lines);
	metrics_head(b, "dstream_batch_processing_seconds", "histogram",
	    "CPU time spent on each batch.");
	for (i = 0; i < METRICS_BUCKETS; i++) {
		cum += m->bucket[i];
		buf_printf(b, "dstream_batch_processing_seconds_bucket"
		    "{le=\"%g\"} %llu\n", metrics_le[i],
		    (unsigned long long)cum);
	}
	cum += m->bucket[METRICS_BUCKETS];
	buf_printf(b, "dstream_batch_processing_seconds_bucket{le=\"+Inf\"} "
	    "%llu\n", (unsigned long long)cum);
	buf_printf(b, "dstream_batch_processing_seconds_sum %.6f\n",
	    m->proc_sum);
	buf_printf(b, "dstream_batch_processing_seconds_count %llu\n",
	    (unsigned long long)m->batches);
	metrics_head(b, "dstream_keys_held", "gauge",
	    "Keys the pipeline's operators hold (windows, state).");
	buf_printf(b, "dstream_keys_held %zu\n", m->keys);
	metrics_head(b, "dstream_last_batch_end_seconds", "gauge",
	    "End of the latest batch output, epoch seconds.");
	buf_printf(b, "dstream_last_batch_end_seconds %.3f\n",
	    (double)m->last_end / 1000);
	metrics_head(b, "dstream_lag_seconds", "gauge",
	    "Wall clock when the latest batch was output minus its end.");
	buf_printf(b, "dstream_lag_seconds %.3f\n", (double)m->lag_ms / 1000);
	metrics_head(b, "dstream_resident_memory_bytes", "gauge",
	    "Resident set size.");
	buf_printf(b, "dstream_resident_memory_bytes %llu\n",
	    (unsigned long long)metrics_rss());
	metrics_head(b, "dstream_dashboard_viewers", "gauge",
	    "Connections open on /events.");
	buf_printf(b, "dstream_dashboard_viewers %u\n", m->viewers);
	metrics_head(b, "dstream_dashboard_dropped_events_total", "counter",
	    "Events skipped for viewers too far behind.");
	buf_printf(b, "dstream_dashboard_dropped_events_total %llu\n",
	    (unsigned long long)m->dropped);
	metrics_per_input(m, b, "dstream_input_records_total",
	    "Records read from each input.",
	    offsetof(struct counters, records_in));
	metrics_per_input(m, b, "dstream_input_skipped_records_total",
	    "Records of each input skipped for an error.",
	    offsetof(struct counters, skipped));
	metrics_per_input(m, b, "dstream_input_long_lines_total",
	    "Lines of each input longer than --max-line.",
	    offsetof(struct counters, long_lines));
	metrics_per_input(m, b, "dstream_input_late_records_total",
	    "Late records of each input (event time).",
	    offsetof(struct counters, late));
	metrics_head(b, "dstream_input_idle_seconds", "gauge",
	    "Seconds since each input last delivered a record (since the "
	    "start before its first).");
	for (i = 0; i < m->ninputs; i++) {
		buf_adds(b, "dstream_input_idle_seconds{input=\"");
		metrics_label(b, m->inputs[i].name);
		buf_printf(b, "\"} %.3f\n", (double)(m->now -
		    m->inputs[i].seen_at) / 1000);
	}
	/* Only inputs with a time: none in processing time. */
	metrics_head(b, "dstream_input_lag_seconds", "gauge",
	    "Event time: wall clock minus the largest time of each input's "
	    "records.");
	for (i = 0; i < m->ninputs; i++) {
		if (*m->inputs[i].newest == INT64_MIN)
			continue;
		buf_adds(b, "dstream_input_lag_seconds{input=\"");
		metrics_label(b, m->inputs[i].name);
		buf_printf(b, "\"} %.3f\n", (double)(m->now -
		    *m->inputs[i].newest) / 1000);
	}
}
