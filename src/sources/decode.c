/*
 * decode.c - the bytes of one record into a value: text, --json, and the
 * --header line of each input (see decode.h for the contract).
 *
 * Called once per record from the framer, so it stays short: the common
 * text record is one value_str and one call to the intake (JSON is out
 * of line).
 */
#include <stdlib.h>
#include <string.h>

#include "../expr/expr.h"
#include "decode.h"
#include "source.h"

void
decode_free(struct decoder *d)
{
	size_t	 i;

	for (i = 0; i < d->nhdrs; i++) {
		expr_header_free(d->hdrs[i].hdr);
		free(d->hdrs[i].text);
	}
	free(d->hdrs);
	d->hdrs = NULL;
	d->nhdrs = 0;
}

/*
 * Returns the header for the line P[0..n): one already seen with the same
 * text (files of one kind share theirs), or a new one D keeps.
 */
static const struct expr_header * __attribute__((noinline))
decode_header(struct decoder *d, const char *p, size_t n)
{
	struct decode_hdr	*h;
	size_t			 i;

	for (i = d->nhdrs; i-- > 0; )
		if (d->hdrs[i].len == n && memcmp(d->hdrs[i].text, p, n) == 0)
			return d->hdrs[i].hdr;
	d->hdrs = xreallocarray(d->hdrs, d->nhdrs + 1, sizeof *d->hdrs);
	h = &d->hdrs[d->nhdrs++];
	h->text = xstrndup(p, n);
	h->len = n;
	h->hdr = expr_header_new(p, n);
	return h->hdr;
}

/* Whether P[0..n) holds only JSON white space. */
static bool
decode_json_blank(const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/*
 * A --json record: parsed into D's arena and handed to the intake, or
 * reported.  Out of line, so that decode_record stays short for text.
 */
static void __attribute__((noinline))
decode_json(struct source *src, const char *p, size_t n)
{
	struct intake	*ik = src->intake;
	struct value	 v;
	const char	*err;

	if (decode_json_blank(p, n))
		return;		/* as jq: blank lines hold no value */
	src->counters.records_in++;
	if (json_parse(ik->dec.arena, p, n, &v, &err) != 0) {
		struct value raw = value_str(p, n);

		if (record_error("json", &raw, "%s", err) < 0)
			*ik->failed = true;
		arena_reset(ik->dec.arena);
		return;
	}
	ik->record(ik, src, &v, p, n);
}

void
decode_record(struct source *src, struct decode_input *in, const char *p,
    size_t n, uint64_t line)
{
	struct intake	*ik = src->intake;

	if (*ik->failed)
		return;
	cur_origin.name = src->name;
	cur_origin.line = line;
	cur_origin.counters = &src->counters;
	cur_origin.meta = ik->dec.origin ? &src->meta : NULL;
	cur_origin.kpart = src->kpart;
	if (ik->dec.header && line == 1) {
		in->hdr = decode_header(&ik->dec, p, n);
		return;
	}
	cur_origin.hdr = in->hdr;
	if (ik->dec.json) {
		decode_json(src, p, n);
		return;
	}
	src->counters.records_in++;
	in->v = value_str(p, n);
	ik->record(ik, src, &in->v, p, n);
}
