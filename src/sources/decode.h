/*
 * decode.h - the bytes of one record into a value.
 *
 * One decoding step for every source: the framer calls it for each line
 * of a byte stream, and a message source (Kafka) will call it for each
 * message, whole.  Text records stay text (their fields, by -d or --csv,
 * are split lazily by the expressions that use them); with --json a
 * record is parsed, and a blank line is no record; with --header the
 * first line of each input (each file, each client of a listening
 * socket) names its fields and is not a record.  Each input keeps its own
 * header: the record points to it (cur_origin.hdr) so that $name finds
 * the field of the record's own input.
 *
 * The decoded record goes to the intake the engine installed when the
 * source was opened (struct intake in source.h): sources never call the
 * engine by name.
 */
#ifndef DSTREAM_DECODE_H
#define DSTREAM_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../dstream.h"

struct source;

/* How records are decoded, for the whole run, and the headers seen. */
struct decoder {
	bool		 json;		/* --json */
	bool		 header;	/* --header */
	bool		 origin;	/* expressions read input or meta:
					 * cur_origin.meta is the source's */
	struct arena	*arena;		/* where values are built; the intake
					 * resets it after each record */
	/* Every distinct header seen, kept until the run ends: records
	 * waiting for their batch still point to theirs. */
	struct decode_hdr {
		char			*text;
		size_t			 len;
		struct expr_header	*hdr;
	}		*hdrs;
	size_t		 nhdrs;
};

/* One input's decoding state (a file, a client, a Kafka partition). */
struct decode_input {
	const struct expr_header *hdr;	/* its --header, NULL before line 1 */
	struct value	 v;		/* the text record handed to the
					 * intake, during that call (here
					 * rather than on decode_record's
					 * stack: the call is its last) */
};

/* Frees the headers D holds. */
void	decode_free(struct decoder *d);
/*
 * Decodes P[0..n), record number LINE (1-based) of input IN of SRC, and
 * hands the value to SRC's intake, with cur_origin saying where it came
 * from (and, when the decoder's origin is set, what SRC's meta says).  A header line becomes IN's header; a blank --json line is
 * skipped; malformed JSON is reported as a per-record error (which may
 * stop the run).  Nothing is decoded once the run is failing.
 */
void	decode_record(struct source *src, struct decode_input *in,
	    const char *p, size_t n, uint64_t line);

#endif
