/*
 * kafka.c - kafka://BROKERS/TOPIC[?group=G&offset=...&until=end]: a
 * librdkafka consumer as an input (DESIGN sections 2 and 4; the URL is
 * parsed by kafka/url.c).
 *
 * Messages are whole records: each goes through the decoding step
 * (decode.c: text, --json, --csv) without the line framer.  Each
 * partition is an input in the clock's sense (clock.h): it registers
 * through the intake when it is assigned and ends when it is revoked or,
 * with until=end, when it reaches its end, so the stream's watermark is
 * the smallest among the partitions that hold it and an idle one lets
 * go of it after --idle.
 *
 * Two ways to consume:
 *
 *  - with group=G, a member of consumer group G (subscribe; partitions
 *    assigned by the group's assignor: librdkafka's default, or -X
 *    partition.assignment.strategy; eager and cooperative both handled);
 *    where to start in a partition is the group's committed offset, else
 *    offset= (beginning, or end for end and stored);
 *  - without it, a plain consumer of every partition the topic has at
 *    start, from offset= (beginning, or end for end and stored, as kcat),
 *    committing nothing.
 *
 * Offsets (groups only): enable.auto.offset.store is off.  The engine
 * tells the source when batches are committed downstream (committed());
 * only then are the offsets after their records stored and committed
 * (synchronously), so a crash re-delivers and never loses.  A record
 * waiting for its batch in event time keeps its partition's offset back
 * until that batch is committed.  When the group takes a partition away
 * (a rebalance), what this process has read of it is committed at once:
 * those records are in its open batches and it emits them; the new owner
 * starts after them.
 *
 * Rebuilding windows (event time, a chain whose state lies within its
 * span, the group the only input: kafka_rebuilds, engine/rebuild.c;
 * with --checkpoint, committed with the checkpoints): the offset
 * committed for a partition is instead its first record in a batch a
 * window not yet emitted still holds (its replay start), with the end of
 * the last batch emitted (its bound) as the commit's metadata; when the
 * partitions owned change, the chain and the clock are built again and
 * every partition owned is read again from its replay start (its own,
 * or the group's for one new to this member: kafka_rebuild), and what
 * was emitted before is not emitted again.
 *
 * With --checkpoint, the positions are the checkpoint's (kafka_save,
 * kafka_load): each partition read, the offset after its last record
 * handed in (the records before it are in the checkpoint's clock, state
 * or output) and the clock's state of its input.  A resumed run is
 * assigned from them (kafka_resume_apply: at the first assignment, over
 * the group's offsets), so with a destination that keeps its position
 * in the checkpoint the run is exactly-once across crashes.  A group's
 * offsets are then committed when a checkpoint is durable
 * (kafka_checkpointed), not when a batch is; with a Kafka destination
 * on the same brokers they are first handed to it (kafka_txn_offsets),
 * which commits them in the transaction that holds the checkpoint and
 * the rows since the last one, so that the group's offsets never fall
 * behind the output (sinks/kafka.c).
 *
 * librdkafka does the I/O in its own threads.  Its consumer queue is
 * forwarded to one queue whose "not empty" edge writes to a pipe the
 * engine polls; ready() drains the queue (a bounded number of messages
 * per call, asking to be called again at once when there is more), and
 * the loop also wakes every second to serve the queue (rebalances, the
 * group's max.poll.interval.ms).  A broker that cannot be reached is
 * retried by librdkafka with its own backoff, for as long as the run
 * lasts; each outage prints one message when it starts and one when
 * messages flow again.  An unknown or deleted topic, or an authorization
 * error, is fatal and names the topic.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dstream.h"
#include "../kafka/kafka.h"
#include "../state/snap.h"
#include "source.h"

#ifdef HAVE_KAFKA

#define KAFKA_BUDGET		4096	/* messages per ready() */
#define KAFKA_WAKE_MS		1000	/* the queue served at least this often */
#define KAFKA_META_MS		2000	/* a metadata request's time limit */
#define KAFKA_BACKOFF_MIN	100	/* ms, plain consumer's metadata */
#define KAFKA_BACKOFF_MAX	5000

/* A batch end and the first offset of a partition's records placed in it. */
struct kafka_held {
	int64_t		 end;
	int64_t		 offset;
};

/* One partition of the topic. */
struct kafka_part {
	int32_t		 id;
	char		*name;		/* "kafka://BROKERS/TOPIC[P]", for messages */
	void		*tag;		/* its clock input while assigned, or NULL */
	bool		 assigned;
	bool		 done;		/* until=end: reached its end */
	int64_t		 end;		/* until=end: the end offset found, or -1 */
	int64_t		 next;		/* offset after the last read, or -1 */
	int64_t		 stored;	/* last offset stored, or -1 */
	int64_t		 saved;		/* --checkpoint: next in the last
					 * checkpoint taken, or -1 */
	int64_t		 saved_from;	/* rebuilding: its replay start and */
	int64_t		 saved_bound;	/* bound in that checkpoint */
	int64_t		 handed;	/* next when the last eager revoke
					 * took it, or -1 */
	bool		 revoked;	/* taken by the last eager revoke */
	/*
	 * Rebuilding windows (kafka_rebuilds): the end of the last batch
	 * or window emitted of its records before the chain was last
	 * rebuilt (by this member or the one before), INT64_MIN for none,
	 * and the bound last committed with its offset.
	 */
	int64_t		 bound;
	int64_t		 stored_bound;
	/*
	 * Rebuilding, a partition read again holds the watermark (it does
	 * not fall silent) until it reaches catchup (where it stood before
	 * the rebuild; -1: none, for one new to this member) or its end.
	 */
	bool		 waiting;
	int64_t		 catchup;
	uint64_t	 nread;		/* messages read: the record number */
	struct decode_input din;
	/* Batches not yet committed that hold its records. */
	struct kafka_held *held;
	size_t		 nheld, capheld;
};

/* A partition's position in a checkpoint: the offset to read next. */
struct kafka_pos {
	int32_t		 id;
	int64_t		 offset;
	void		*tag;		/* its clock input, or NULL */
	/* Rebuilding windows: its bound and held batches (kafka_part). */
	int64_t		 bound;
	struct kafka_held *held;
	size_t		 nheld;
};

struct kafka {
	struct kafka_url url;
	rd_kafka_t	*rk;
	rd_kafka_queue_t *q;
	int		 pipe[2];	/* the queue's wake-up */
	struct kafka_part **parts;	/* by partition id */
	size_t		 nparts;
	bool		 group;		/* group= given */
	bool		 assigned;	/* ever given partitions */
	bool		 more;		/* the queue was left non-empty */
	bool		 outage;	/* a broker-unreachable message is out */
	bool		 closing;	/* source_close: revokes end nothing */
	bool		 fatal;
	int64_t		 retry_at;	/* plain: next metadata attempt */
	int		 backoff;
	int64_t		 committed_end;	/* latest batch end committed */
	/*
	 * Rebuilding windows: the latest end the current chain flushed as
	 * the watermark passed it (not the end of the input's drain), and
	 * the latest this member ever did, INT64_MIN for none.
	 */
	int64_t		 flushed;
	int64_t		 emitted;
	uint64_t	 nread;		/* messages read, all partitions */
	/*
	 * --checkpoint: the positions a resumed run loaded, not yet
	 * applied to an assignment (offset -1: applied, or dropped).
	 */
	struct kafka_pos *ck;
	size_t		 nck;
	bool		 resumed;	/* a checkpoint with positions loaded */
	bool		 ck_held;	/* with bounds and held batches */
	bool		 ckpt;		/* --checkpoint given */
	/*
	 * --checkpoint: this checkpoint's token, a random number kept in
	 * it and sent as the metadata of its group commits, by which a
	 * resumed run tells its own commits from another member's.
	 */
	uint64_t	 token;
	char		 tokstr[32];	/* "dstream:HEX" */
	/* --checkpoint: what txn_offsets handed out last. */
	struct kafka_offsets txo;
};

static int	kafka_plain_assign(struct source *);

/* A consumer handle left to the process's exit (kafka_close). */
static rd_kafka_t	*kafka_abandoned;

/*
 * Whether closing RK before its first assignment would hit librdkafka's
 * issue 4312 (fixed in 2.3.0): the cooperative-sticky assignor's state
 * destroyed before it exists.
 */
static bool
kafka_sticky_bug(rd_kafka_t *rk)
{
	char	 buf[256];
	size_t	 n = sizeof buf;

	if (rd_kafka_version() >= 0x020300ff)
		return false;
	if (rd_kafka_conf_get(rd_kafka_conf(rk),
	    "partition.assignment.strategy", buf, &n) != RD_KAFKA_CONF_OK)
		return true;
	return strstr(buf, "cooperative-sticky") != NULL;
}

/* Frees the positions K loaded. */
static void
kafka_ck_free(struct kafka *k)
{
	size_t	 i;

	for (i = 0; i < k->nck; i++)
		free(k->ck[i].held);
	free(k->ck);
	k->ck = NULL;
	k->nck = 0;
}

/* Sets K's checkpoint token (the metadata of its group commits). */
static void
kafka_token(struct kafka *k, uint64_t token)
{
	k->token = token;
	snprintf(k->tokstr, sizeof k->tokstr, "dstream:%016llx",
	    (unsigned long long)token);
}

/* The partition ID of K, created when first seen. */
static struct kafka_part *
kafka_part(struct source *src, int32_t id)
{
	struct kafka		*k = src->priv;
	struct kafka_part	*p;

	if ((size_t)id >= k->nparts) {
		k->parts = xreallocarray(k->parts, (size_t)id + 1,
		    sizeof *k->parts);
		memset(k->parts + k->nparts, 0,
		    ((size_t)id + 1 - k->nparts) * sizeof *k->parts);
		k->nparts = (size_t)id + 1;
	}
	if ((p = k->parts[id]) == NULL) {
		p = k->parts[id] = xcalloc(1, sizeof *p);
		p->id = id;
		xasprintf(&p->name, "kafka://%s/%s[%d]", k->url.brokers,
		    k->url.topic, (int)id);
		p->end = p->next = p->stored = p->saved = p->handed = -1;
		p->saved_from = p->catchup = -1;
		p->bound = p->stored_bound = p->saved_bound = INT64_MIN;
	}
	return p;
}

/* Says once per outage that the brokers cannot be reached. */
static void
kafka_outage(struct source *src, const char *why)
{
	struct kafka	*k = src->priv;

	if (k->outage)
		return;
	k->outage = true;
	fprintf(stderr, "%s: %s: %s; retrying\n", progname, src->name, why);
}

/* Messages flow again after an outage: said once. */
static void
kafka_back(struct source *src)
{
	struct kafka	*k = src->priv;

	if (!k->outage)
		return;
	k->outage = false;
	fprintf(stderr, "%s: %s: reconnected\n", progname, src->name);
}

/* A fatal error on the topic: said, and the run stops (status 1). */
static void
kafka_fatal(struct source *src, const char *why)
{
	struct kafka	*k = src->priv;

	if (k->fatal)
		return;
	k->fatal = true;
	fprintf(stderr, "%s: %s: %s\n", progname, src->name, why);
}

/* Partition P has read again what a rebuild dropped: --idle applies. */
static void
kafka_caught_up(struct source *src, struct kafka_part *p)
{
	if (!p->waiting)
		return;
	p->waiting = false;
	if (p->tag != NULL)
		src->intake->input_wait(src->intake, p->tag, false);
}

/* Partition P has been read to its end (until=end): it ends as an input. */
static void
kafka_part_done(struct source *src, struct kafka_part *p)
{
	if (p->done)
		return;
	p->done = true;
	if (p->tag != NULL) {
		src->intake->input_end(src->intake, p->tag);
		p->tag = NULL;
	}
}

/*
 * Whether every partition assigned is done (until=end): the input has
 * ended.  Before the first assignment it has not.
 */
static bool
kafka_all_done(struct source *src)
{
	struct kafka	*k = src->priv;
	size_t		 i;

	if (!k->url.until_end || !k->assigned)
		return false;
	for (i = 0; i < k->nparts; i++)
		if (k->parts[i] != NULL && k->parts[i]->assigned &&
		    !k->parts[i]->done)
			return false;
	return true;
}

/* ---- windows rebuilt when the group moves partitions ---- */

/*
 * Whether this run rebuilds its windows when its partitions change
 * (engine/rebuild.c): a group in event time whose chain can be built
 * again, the group the only input.
 */
static inline bool
kafka_rebuilds(const struct source *src)
{
	const struct kafka	*k = src->priv;

	return k->group && src->intake->rebuild != NULL;
}

/* The last end emitted of P's records: by this chain, or before it. */
static int64_t
kafka_bound(const struct kafka *k, const struct kafka_part *p)
{
	return p->bound > k->flushed ? p->bound : k->flushed;
}

/*
 * The batch end a record of P must be past to count in a window not
 * emitted yet (a window's length before P's bound), or INT64_MIN.
 */
static int64_t
kafka_keep(const struct source *src, const struct kafka_part *p)
{
	int64_t	 b = kafka_bound(src->priv, p);

	return b == INT64_MIN ? INT64_MIN : b - src->intake->span_ms;
}

/*
 * Where a replay of P starts: its first record in a batch past
 * kafka_keep, else the offset after its last record read (-1: none read).
 */
static int64_t
kafka_replay_from(const struct source *src, const struct kafka_part *p)
{
	int64_t	 keep = kafka_keep(src, p), to = p->next;
	size_t	 i;

	for (i = 0; i < p->nheld; i++)
		if (p->held[i].end > keep && (to < 0 || p->held[i].offset < to))
			to = p->held[i].offset;
	return to;
}

/*
 * Sets E's metadata to the partition's BOUND (kafka/meta.c), after this
 * checkpoint's token with --checkpoint.
 */
static void
kafka_put_bound(const struct kafka *k, rd_kafka_topic_partition_t *e,
    int64_t bound)
{
	char	 buf[64];

	free(e->metadata);
	e->metadata = NULL;
	e->metadata_size = kafka_meta_format(buf, sizeof buf,
	    k->ckpt ? k->tokstr : NULL, bound);
	if (e->metadata_size > 0)
		e->metadata = xstrdup(buf);
}

/* Whether LIST (or NULL) holds partition ID of K's topic. */
static bool
kafka_listed(const struct kafka *k, rd_kafka_topic_partition_list_t *list,
    int32_t id)
{
	return list != NULL &&
	    rd_kafka_topic_partition_list_find(list, k->url.topic, id) != NULL;
}

static void	kafka_take(struct source *, rd_kafka_topic_partition_list_t *);

/*
 * Seeks the assigned partitions of LIST to their offsets.  Returns the
 * first error, or none.
 */
static rd_kafka_resp_err_t
kafka_seek(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *list)
{
	rd_kafka_error_t	*error;
	rd_kafka_resp_err_t	 err = RD_KAFKA_RESP_ERR_NO_ERROR;
	int			 i;

	if ((error = rd_kafka_seek_partitions(rk, list, KAFKA_META_MS)) !=
	    NULL) {
		err = rd_kafka_error_code(error);
		rd_kafka_error_destroy(error);
		return err;
	}
	for (i = 0; i < list->cnt; i++)
		if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR)
			return list->elems[i].err;
	return err;
}

/*
 * The partitions this member owns change (a rebalance: ADD assigned, or
 * NULL after a cooperative revoke).  Every partition it keeps (assigned,
 * or taken by the eager revoke just before and dealt back in ADD) is
 * read again from its replay start with its bound; every one of ADD new
 * to it from the group's committed offset, with the bound in the
 * commit's metadata.  The chain and the clock are made afresh (the
 * intake's rebuild) and every partition owned is a new input of the new
 * clock.  ADD's offsets are set; kept partitions not in ADD are sought.
 * Returns 0, or -1 when the run fails.
 */
static int
kafka_rebuild(struct source *src, rd_kafka_topic_partition_list_t *add)
{
	struct kafka			*k = src->priv;
	struct kafka_part		*p;
	rd_kafka_topic_partition_list_t	*own, *fresh, *seek;
	rd_kafka_topic_partition_t	*e;
	rd_kafka_resp_err_t		 err;
	int64_t				*bound, from;
	size_t				 i;
	int				 j, rc = 0;

	own = rd_kafka_topic_partition_list_new(8);
	fresh = rd_kafka_topic_partition_list_new(8);
	seek = rd_kafka_topic_partition_list_new(8);
	for (i = 0; i < k->nparts; i++) {
		if ((p = k->parts[i]) == NULL)
			continue;
		if (p->assigned || (p->revoked && kafka_listed(k, add, p->id))) {
			p->bound = kafka_bound(k, p);
			p->catchup = p->next;
			from = kafka_replay_from(src, p);
			rd_kafka_topic_partition_list_add(own, k->url.topic,
			    p->id)->offset = from >= 0 ? from :
			    RD_KAFKA_OFFSET_INVALID;
		}
	}
	for (j = 0; add != NULL && j < add->cnt; j++)
		if (strcmp(add->elems[j].topic, k->url.topic) == 0 &&
		    !kafka_listed(k, own, add->elems[j].partition))
			rd_kafka_topic_partition_list_add(fresh, k->url.topic,
			    add->elems[j].partition);
	if (fresh->cnt > 0 && (err = rd_kafka_committed(k->rk, fresh,
	    KAFKA_META_MS)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "%s: %s: the group's offsets of the partitions "
		    "assigned cannot be read (%s): windows other members "
		    "emitted may be emitted again\n", progname, src->name,
		    rd_kafka_err2str(err));
		for (j = 0; j < fresh->cnt; j++) {
			fresh->elems[j].err = err;
			kafka_put_bound(k, &fresh->elems[j], INT64_MIN);
		}
	}
	for (j = 0; j < fresh->cnt; j++) {
		e = &fresh->elems[j];
		p = kafka_part(src, e->partition);
		p->catchup = -1;
		p->bound = e->err == RD_KAFKA_RESP_ERR_NO_ERROR ?
		    kafka_meta_bound(e->metadata, e->metadata_size) : INT64_MIN;
		rd_kafka_topic_partition_list_add(own, k->url.topic,
		    e->partition)->offset = e->err ==
		    RD_KAFKA_RESP_ERR_NO_ERROR && e->offset >= 0 ? e->offset :
		    RD_KAFKA_OFFSET_INVALID;
	}
	/* The bounds, by partition; the old clock's inputs go with it. */
	bound = xreallocarray(NULL, k->nparts > 0 ? k->nparts : 1,
	    sizeof *bound);
	for (i = 0; i < k->nparts; i++) {
		bound[i] = INT64_MIN;
		if ((p = k->parts[i]) == NULL)
			continue;
		if (kafka_listed(k, own, p->id))
			bound[i] = p->bound;
		else {
			p->assigned = false;
			p->nheld = 0;
		}
		p->tag = NULL;
		p->waiting = false;
		p->handed = -1;
		p->revoked = false;
	}
	if (src->intake->rebuild(src->intake, bound, k->nparts,
	    k->emitted) != 0)
		rc = -1;
	free(bound);
	k->flushed = INT64_MIN;
	if (rc == 0) {
		kafka_take(src, own);
		for (j = 0; j < own->cnt; j++) {
			p = k->parts[own->elems[j].partition];
			if (p->tag != NULL && (p->catchup < 0 ||
			    (p->next >= 0 && p->next < p->catchup))) {
				p->waiting = true;
				src->intake->input_wait(src->intake, p->tag,
				    true);
			}
		}
		for (j = 0; j < own->cnt; j++) {
			if (add != NULL && (e =
			    rd_kafka_topic_partition_list_find(add,
			    k->url.topic, own->elems[j].partition)) != NULL)
				e->offset = own->elems[j].offset;
			else if (own->elems[j].offset >= 0)
				rd_kafka_topic_partition_list_add(seek,
				    k->url.topic, own->elems[j].partition)->offset =
				    own->elems[j].offset;
		}
		if (seek->cnt > 0 && (err = kafka_seek(k->rk, seek)) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR)
			fprintf(stderr, "%s: %s: cannot go back in the "
			    "partitions kept to rebuild their windows (%s): "
			    "windows of them may be emitted in part\n",
			    progname, src->name, rd_kafka_err2str(err));
	}
	rd_kafka_topic_partition_list_destroy(own);
	rd_kafka_topic_partition_list_destroy(fresh);
	rd_kafka_topic_partition_list_destroy(seek);
	return rc;
}

/*
 * --checkpoint, resuming: the partitions of LIST that the checkpoint
 * holds start at its offsets (LIST's offsets set), so the run goes on
 * exactly where the checkpoint's state stands.  The positions are used
 * once, at the first assignment after the resume: with a group, the
 * partitions it does not hold now are another member's, which starts at
 * the group's offset (committed with this process's checkpoints); a
 * plain consumer is assigned every partition, and a partition the
 * checkpoint holds that the topic no longer has means the topic was
 * recreated (fatal).  An offset past a partition's end is fatal too (another
 * cluster, or the topic recreated); one before its start lost the
 * messages between to retention (said; librdkafka's auto.offset.reset
 * applies).  Returns 0, or -1 after a fatal error.
 */
static int
kafka_resume_apply(struct source *src, rd_kafka_topic_partition_list_t *list)
{
	struct kafka			*k = src->priv;
	struct kafka_part		*p;
	rd_kafka_topic_partition_list_t	*got = NULL;
	int64_t				 lo, hi, off;
	size_t				 j;
	char				*why;
	int				 i, rc = 0;

	if (!k->resumed || k->nck == 0)
		return 0;
	if (k->group && (got = rd_kafka_topic_partition_list_copy(list)) !=
	    NULL && rd_kafka_committed(k->rk, got, KAFKA_META_MS) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		rd_kafka_topic_partition_list_destroy(got);
		got = NULL;
	}
	for (i = 0; i < list->cnt && rc == 0; i++) {
		if (strcmp(list->elems[i].topic, k->url.topic) != 0)
			continue;
		for (j = 0; j < k->nck; j++)
			if (k->ck[j].id == list->elems[i].partition &&
			    k->ck[j].offset >= 0)
				break;
		if (j == k->nck)
			continue;
		off = k->ck[j].offset;
		k->ck[j].offset = -1;
		/*
		 * The group's offset is past the checkpoint's, committed by
		 * another member (its metadata is not this checkpoint's
		 * token): that member read the partition while this process
		 * was away and emitted what it read; going on from the
		 * checkpoint would count that again.
		 */
		if (got != NULL && got->elems[i].err ==
		    RD_KAFKA_RESP_ERR_NO_ERROR && got->elems[i].offset > off &&
		    !kafka_meta_token_is(got->elems[i].metadata,
		    got->elems[i].metadata_size, k->tokstr)) {
			fprintf(stderr, "%s: %s: partition %d: another member "
			    "of group %s read it up to offset %lld while this "
			    "run was stopped (the checkpoint is at %lld): going "
			    "on from there\n", progname, src->name,
			    (int)list->elems[i].partition, k->url.group,
			    (long long)got->elems[i].offset, (long long)off);
			off = got->elems[i].offset;
		}
		list->elems[i].offset = off;
		p = kafka_part(src, k->ck[j].id);
		if (p->tag == NULL)
			p->tag = k->ck[j].tag;
		else if (k->ck[j].tag != NULL)
			src->intake->input_end(src->intake, k->ck[j].tag);
		k->ck[j].tag = NULL;
		if (rd_kafka_query_watermark_offsets(k->rk, k->url.topic,
		    list->elems[i].partition, &lo, &hi, KAFKA_META_MS) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR)
			continue;
		if (off > hi) {
			xasprintf(&why, "partition %d ends at offset %lld, "
			    "the checkpoint had read it up to %lld: another "
			    "cluster, or the topic was deleted and made "
			    "again; remove the checkpoint to start afresh",
			    (int)list->elems[i].partition, (long long)hi,
			    (long long)off);
			kafka_fatal(src, why);
			free(why);
			rc = -1;
		} else if (off < lo)
			fprintf(stderr, "%s: %s: partition %d now starts at "
			    "offset %lld, the checkpoint had read it up to "
			    "%lld: the messages between were deleted "
			    "(retention) and are lost\n", progname,
			    src->name, (int)list->elems[i].partition,
			    (long long)lo, (long long)off);
	}
	for (j = 0; j < k->nck && rc == 0; j++) {
		if (k->ck[j].offset < 0)
			continue;
		if (!k->group) {
			xasprintf(&why, "the checkpoint holds partition %d, "
			    "the topic has no such partition now: it was "
			    "deleted and made again; remove the checkpoint "
			    "to start afresh", (int)k->ck[j].id);
			kafka_fatal(src, why);
			free(why);
			rc = -1;
		}
		k->ck[j].offset = -1;
		if (k->ck[j].tag != NULL)
			src->intake->input_end(src->intake, k->ck[j].tag);
		k->ck[j].tag = NULL;
	}
	for (j = 0; j < k->nck; j++) {
		free(k->ck[j].held);
		k->ck[j].held = NULL;
	}
	k->nck = 0;
	if (got != NULL)
		rd_kafka_topic_partition_list_destroy(got);
	return rc;
}

/*
 * Partitions LIST are ours now: each becomes an input of the clock and,
 * with until=end, learns its end offset (a bounded request; when it
 * fails the end is the first end-of-partition seen, as kcat's -e).
 */
static void
kafka_take(struct source *src, rd_kafka_topic_partition_list_t *list)
{
	struct kafka		*k = src->priv;
	struct kafka_part	*p;
	int64_t			 lo, hi;
	int			 i;

	k->assigned = true;
	for (i = 0; i < list->cnt; i++) {
		if (strcmp(list->elems[i].topic, k->url.topic) != 0)
			continue;
		p = kafka_part(src, list->elems[i].partition);
		p->assigned = true;
		p->done = false;
		p->end = -1;
		/* Handed back at once: its records held are still held. */
		if (p->handed < 0 || list->elems[i].offset != p->handed)
			p->nheld = 0;
		p->handed = -1;
		p->next = list->elems[i].offset >= 0 ?
		    list->elems[i].offset : -1;
		p->stored = p->saved = p->saved_from = -1;
		p->stored_bound = p->saved_bound = INT64_MIN;
		if (p->tag == NULL && !k->closing)
			p->tag = src->intake->input_add(src->intake);
		if (k->url.until_end && rd_kafka_query_watermark_offsets(k->rk,
		    k->url.topic, p->id, &lo, &hi, KAFKA_META_MS) ==
		    RD_KAFKA_RESP_ERR_NO_ERROR) {
			p->end = hi;
			if (hi <= lo || list->elems[i].offset ==
			    RD_KAFKA_OFFSET_END || p->next >= hi)
				kafka_part_done(src, p);
		}
	}
}

/*
 * Stores and commits OFFSETS (partition, offset after the last record
 * done with) for the group, synchronously.  An error is not fatal: the
 * partitions' offsets are committed again with the next batch (a group
 * rebalancing refuses commits for a moment; that is not said), and at
 * worst a crash re-delivers.
 */
static void
kafka_commit(struct source *src, rd_kafka_topic_partition_list_t *offs)
{
	struct kafka		*k = src->priv;
	rd_kafka_resp_err_t	 err;
	int			 i;

	if (offs->cnt == 0 || !k->group)
		return;
	if (k->ckpt)
		for (i = 0; i < offs->cnt; i++)
			if (offs->elems[i].metadata == NULL)
				kafka_put_bound(k, &offs->elems[i], INT64_MIN);
	(void)rd_kafka_offsets_store(k->rk, offs);
	err = rd_kafka_commit(k->rk, offs, 0);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR ||
	    err == RD_KAFKA_RESP_ERR__NO_OFFSET)
		return;
	for (i = 0; i < offs->cnt; i++)
		if ((size_t)offs->elems[i].partition < k->nparts &&
		    k->parts[offs->elems[i].partition] != NULL)
			k->parts[offs->elems[i].partition]->stored = -1;
	if (err != RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS &&
	    err != RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION &&
	    err != RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID &&
	    err != RD_KAFKA_RESP_ERR__STATE)
		kafka_outage(src, rd_kafka_err2str(err));
}

/*
 * Partitions LIST are taken away by the group: what this process has
 * read of them is committed (it emits those records), and each stops
 * being an input.  While closing, nothing more is stored: only what
 * committed() stored counts.  EAGER: every partition is taken back and
 * dealt again; one dealt back to this process goes on from where it
 * was (kafka_rebalance), not from the group's offset, which a group
 * rebalancing may have refused to move.
 *
 * Rebuilding windows (kafka_rebuilds), the next owner reads each
 * partition again from its replay start and emits only windows past its
 * bound, both committed now (a group rebalancing may refuse that: the
 * last batch's commit stands); the records of LIST leave the chain when
 * it is rebuilt for the partitions that stay.  An eager revoke keeps
 * the partitions' records and inputs until the assignment that follows
 * says whether they are dealt back (then nothing changes).
 */
static void
kafka_give(struct source *src, rd_kafka_topic_partition_list_t *list,
    bool eager)
{
	struct kafka			*k = src->priv;
	struct kafka_part		*p;
	rd_kafka_topic_partition_list_t	*offs;
	rd_kafka_topic_partition_t	*e;
	int64_t				 from;
	bool				 ckpt = false, rebuilds;
	int				 i;

	/*
	 * With --checkpoint, a checkpoint now holds every record read of
	 * them (possible in event time, where the chain is at a batch
	 * boundary between records): the offsets handed over are then in
	 * it, and committed by kafka_checkpointed.
	 */
	if (k->ckpt && !k->closing &&
	    src->intake->checkpoint_now(src->intake) == 0)
		ckpt = true;
	rebuilds = kafka_rebuilds(src);
	offs = rd_kafka_topic_partition_list_new(list->cnt);
	for (i = 0; i < list->cnt; i++) {
		if (strcmp(list->elems[i].topic, k->url.topic) != 0 ||
		    (size_t)list->elems[i].partition >= k->nparts ||
		    (p = k->parts[list->elems[i].partition]) == NULL)
			continue;
		if (rebuilds && !k->closing && !k->ckpt &&
		    (from = kafka_replay_from(src, p)) >= 0) {
			e = rd_kafka_topic_partition_list_add(offs,
			    k->url.topic, p->id);
			e->offset = from;
			kafka_put_bound(k, e, kafka_bound(k, p));
		} else if (!rebuilds && !k->closing && p->next >= 0 && !ckpt) {
			rd_kafka_topic_partition_list_add(offs, k->url.topic,
			    p->id)->offset = p->next;
			p->stored = p->next;
		}
		p->assigned = false;
		p->handed = eager && !k->closing ? p->next : -1;
		p->revoked = rebuilds && eager && !k->closing;
		if (p->revoked)
			continue;
		if (p->handed < 0 || rebuilds)
			p->nheld = 0;
		if (p->tag != NULL && !k->closing)
			src->intake->input_end(src->intake, p->tag);
		p->tag = NULL;
		p->waiting = false;
	}
	if (!k->closing)
		kafka_commit(src, offs);
	rd_kafka_topic_partition_list_destroy(offs);
}

/*
 * An eager rebalance deals back partitions this process had: each goes
 * on after the last record read (nobody read it meanwhile: in an eager
 * rebalance no member holds a partition between the revoke and the
 * assignment), whatever the group's offset, which a rebalancing group
 * may have refused to move (librdkafka's mock cluster refuses every
 * commit then).  The others lose that mark.
 */
static void
kafka_handed_back(struct source *src, rd_kafka_topic_partition_list_t *list)
{
	struct kafka		*k = src->priv;
	struct kafka_part	*p;
	size_t			 j;
	int			 i;

	for (i = 0; i < list->cnt; i++) {
		if (strcmp(list->elems[i].topic, k->url.topic) != 0 ||
		    list->elems[i].offset >= 0 ||
		    (size_t)list->elems[i].partition >= k->nparts ||
		    (p = k->parts[list->elems[i].partition]) == NULL ||
		    p->handed < 0)
			continue;
		list->elems[i].offset = p->handed;
	}
	for (j = 0; j < k->nparts; j++)
		if ((p = k->parts[j]) != NULL && !p->assigned) {
			for (i = 0; i < list->cnt; i++)
				if (list->elems[i].partition == p->id &&
				    strcmp(list->elems[i].topic,
				    k->url.topic) == 0)
					break;
			if (i == list->cnt)
				p->handed = -1;
		}
}

/*
 * Whether the eager assignment LIST deals back exactly the partitions
 * the revoke before took (or none, after none): then nothing changes.
 */
static bool
kafka_dealt_back(struct source *src, rd_kafka_topic_partition_list_t *list)
{
	struct kafka		*k = src->priv;
	struct kafka_part	*p;
	size_t			 i, n = 0, mine = 0;
	int			 j;

	for (j = 0; j < list->cnt; j++) {
		if (strcmp(list->elems[j].topic, k->url.topic) != 0)
			continue;
		mine++;
		if ((size_t)list->elems[j].partition >= k->nparts ||
		    (p = k->parts[list->elems[j].partition]) == NULL ||
		    !p->revoked)
			return false;
	}
	for (i = 0; i < k->nparts; i++)
		if (k->parts[i] != NULL && k->parts[i]->revoked)
			n++;
	return n == mine;
}

/* The partition of position C, given C's bound and held batches. */
static struct kafka_part *
kafka_ck_take(struct source *src, struct kafka_pos *c)
{
	struct kafka_part	*p = kafka_part(src, c->id);

	free(p->held);
	p->held = c->held;
	p->nheld = p->capheld = c->nheld;
	p->bound = c->bound;
	c->held = NULL;
	c->nheld = 0;
	return p;
}

/*
 * The first assignment after a resume, rebuilding windows: when it is
 * the checkpoint's partitions and the group holds no other member's
 * offsets for them, the run goes on from the checkpoint (its windows,
 * its positions).  Otherwise the partitions moved while the run was
 * away: the windows are rebuilt (kafka_rebuild), the checkpoint's
 * partitions that the group still has from this run from their replay
 * starts in the checkpoint, the others from the group's offsets.  A
 * checkpoint written without the rebuild's part goes on as it is.
 * Returns 0, or -1 when the run fails.
 */
static int
kafka_resume_rebuilt(struct source *src, rd_kafka_topic_partition_list_t *list)
{
	struct kafka			*k = src->priv;
	struct kafka_part		*p;
	struct kafka_pos		*c;
	rd_kafka_topic_partition_list_t	*got;
	rd_kafka_topic_partition_t	*g;
	size_t				 j, nmine = 0, nck = 0;
	int				 i, rc;
	bool				 same = true;

	got = rd_kafka_topic_partition_list_copy(list);
	if (rd_kafka_committed(k->rk, got, KAFKA_META_MS) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		for (i = 0; i < got->cnt; i++)
			got->elems[i].err = RD_KAFKA_RESP_ERR__TIMED_OUT;
	for (j = 0; j < k->nck; j++)
		if (k->ck[j].offset >= 0)
			nck++;
	for (i = 0; i < list->cnt; i++) {
		if (strcmp(list->elems[i].topic, k->url.topic) != 0)
			continue;
		nmine++;
		for (j = 0; j < k->nck; j++)
			if (k->ck[j].id == list->elems[i].partition &&
			    k->ck[j].offset >= 0)
				break;
		g = &got->elems[i];
		if (j == k->nck || (g->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
		    g->offset >= 0 && !kafka_meta_token_is(g->metadata,
		    g->metadata_size, k->tokstr)))
			same = false;
	}
	if (nmine != nck)
		same = false;
	if (same || !k->ck_held) {
		/* Its windows and positions go on. */
		for (j = 0; j < k->nck; j++) {
			c = &k->ck[j];
			if (c->offset < 0)
				continue;
			p = kafka_ck_take(src, c);
			p->handed = c->offset;	/* kafka_take keeps held */
		}
		rd_kafka_topic_partition_list_destroy(got);
		rc = kafka_resume_apply(src, list);
		kafka_take(src, list);
		return rc;
	}
	fprintf(stderr, "%s: %s: the group's partitions moved since the "
	    "checkpoint: the windows are made again from the partitions' "
	    "records\n", progname, src->name);
	for (j = 0; j < k->nck; j++) {
		c = &k->ck[j];
		if (c->offset < 0)
			continue;
		for (i = 0; i < list->cnt; i++)
			if (list->elems[i].partition == c->id &&
			    strcmp(list->elems[i].topic, k->url.topic) == 0)
				break;
		/* Another member's since: the group's offset, in kafka_rebuild. */
		if (i == list->cnt || (got->elems[i].err ==
		    RD_KAFKA_RESP_ERR_NO_ERROR && got->elems[i].offset >= 0 &&
		    !kafka_meta_token_is(got->elems[i].metadata,
		    got->elems[i].metadata_size, k->tokstr)))
			continue;
		p = kafka_ck_take(src, c);
		p->next = c->offset;
		p->revoked = true;	/* kept: kafka_rebuild */
	}
	/* The checkpoint's clock inputs go with the clock. */
	for (j = 0; j < k->nck; j++) {
		k->ck[j].offset = -1;
		k->ck[j].tag = NULL;
		free(k->ck[j].held);
		k->ck[j].held = NULL;
	}
	k->nck = 0;
	rd_kafka_topic_partition_list_destroy(got);
	return kafka_rebuild(src, list);
}

/* How many partitions of LIST are of K's topic. */
static int
kafka_mine(const struct kafka *k, const rd_kafka_topic_partition_list_t *list)
{
	int	 i, n = 0;

	for (i = 0; i < list->cnt; i++)
		if (strcmp(list->elems[i].topic, k->url.topic) == 0)
			n++;
	return n;
}

/*
 * Partitions LIST are assigned, rebuilding windows (kafka_rebuilds): a
 * change in the partitions owned rebuilds the chain (kafka_rebuild, or
 * kafka_resume_rebuilt at the first assignment after a resume); an
 * eager rebalance that deals back what it took, and a cooperative round
 * that adds nothing, change nothing.
 */
static void
kafka_assigned_rebuilt(struct source *src,
    rd_kafka_topic_partition_list_t *list, bool coop)
{
	struct kafka	*k = src->priv;
	size_t		 i;

	if (coop && kafka_mine(k, list) == 0) {
		/* Nothing added (a round of the protocol): as it was. */
	} else if (k->resumed && k->nck > 0 && !k->closing) {
		if (kafka_resume_rebuilt(src, list) != 0)
			k->fatal = true;
	} else if (!coop && kafka_dealt_back(src, list)) {
		kafka_handed_back(src, list);
		kafka_take(src, list);
	} else if (!k->closing && kafka_rebuild(src, list) != 0)
		k->fatal = true;
	for (i = 0; i < k->nparts; i++)
		if (k->parts[i] != NULL)
			k->parts[i]->revoked = false;
}

/*
 * The group's rebalance callback: partitions assigned or revoked.
 * Rebuilding windows, a cooperative revoke rebuilds the chain for the
 * partitions that stay.
 */
static void
kafka_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *list, void *opaque)
{
	struct source	*src = opaque;
	struct kafka	*k = src->priv;
	bool		 coop, rebuilds;

	coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	rebuilds = kafka_rebuilds(src);
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		if (rebuilds)
			kafka_assigned_rebuilt(src, list, coop);
		else {
			(void)kafka_resume_apply(src, list);
			kafka_handed_back(src, list);
			kafka_take(src, list);
		}
		if (coop)
			rd_kafka_error_destroy(rd_kafka_incremental_assign(rk,
			    list));
		else
			rd_kafka_assign(rk, list);
		return;
	}
	/* A lost assignment (this member was dropped) may be others' now. */
	kafka_give(src, list, !coop && !rd_kafka_assignment_lost(rk));
	if (coop) {
		rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, list));
		if (rebuilds && !k->closing && kafka_mine(k, list) > 0 &&
		    kafka_rebuild(src, NULL) != 0)
			k->fatal = true;
	} else
		rd_kafka_assign(rk, NULL);
}

static int
kafka_open(struct source *src, const char *spec, char **cause)
{
	struct kafka		*k = xcalloc(1, sizeof *k);
	rd_kafka_conf_t		*conf = NULL;
	const char		*base[32];
	char			 errstr[512];
	size_t			 nb = 0;
	int			 fl, i;

	k->pipe[0] = k->pipe[1] = -1;
	src->priv = k;
	if (kafka_url_parse(spec, KAFKA_URL_INPUT, &k->url, cause) != 0)
		goto fail;
	k->group = k->url.group != NULL;
	k->committed_end = k->flushed = k->emitted = INT64_MIN;
	k->ckpt = src->cfg->checkpoint != NULL;
	if (k->ckpt)
		kafka_token(k, ((uint64_t)clock_now_ms() << 20) ^
		    ((uint64_t)getpid() << 1) ^ (uint64_t)(uintptr_t)k);
	base[nb++] = "group.id";
	base[nb++] = k->group ? k->url.group : "dstream";
	base[nb++] = "enable.auto.offset.store";
	base[nb++] = "false";
	base[nb++] = "enable.partition.eof";
	base[nb++] = "true";
	base[nb++] = "auto.offset.reset";
	base[nb++] = k->url.offset == KAFKA_OFFSET_BEGINNING ? "earliest" :
	    "latest";
	/*
	 * Rebuilding windows, every commit is dstream's own: librdkafka's
	 * (at a revoke, or every few seconds) would commit the offsets
	 * stored without their metadata (before 2.1 rd_kafka_offsets_store
	 * keeps none), and the next owner would not know the bound.
	 */
	base[nb++] = "enable.auto.commit";
	base[nb++] = k->group && !kafka_rebuilds(src) ? "true" : "false";
	base[nb++] = "log.connection.close";
	base[nb++] = "false";
	base[nb] = NULL;
	if ((conf = kafka_conf_new(src->cfg, src->name, k->url.brokers, base,
	    cause)) == NULL)
		goto fail;
	rd_kafka_conf_set_opaque(conf, src);
	if (k->group)
		rd_kafka_conf_set_rebalance_cb(conf, kafka_rebalance);
	if ((k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr,
	    sizeof errstr)) == NULL) {
		xasprintf(cause, "%s: %s", src->name, errstr);
		goto fail;
	}
	conf = NULL;		/* the handle's now */
	rd_kafka_poll_set_consumer(k->rk);
	if (pipe(k->pipe) != 0) {
		xasprintf(cause, "%s: pipe: %s", src->name, strerror(errno));
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		fl = fcntl(k->pipe[i], F_GETFL);
		fcntl(k->pipe[i], F_SETFL, fl | O_NONBLOCK);
		fcntl(k->pipe[i], F_SETFD, FD_CLOEXEC);
	}
	k->q = rd_kafka_queue_get_consumer(k->rk);
	rd_kafka_queue_io_event_enable(k->q, k->pipe[1], "1", 1);
	if (k->group) {
		rd_kafka_topic_partition_list_t	*topics;
		rd_kafka_resp_err_t		 err;

		topics = rd_kafka_topic_partition_list_new(1);
		rd_kafka_topic_partition_list_add(topics, k->url.topic,
		    RD_KAFKA_PARTITION_UA);
		err = rd_kafka_subscribe(k->rk, topics);
		rd_kafka_topic_partition_list_destroy(topics);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			xasprintf(cause, "%s: %s", src->name,
			    rd_kafka_err2str(err));
			goto fail;
		}
	}
	src->finite = k->url.until_end;
	src->meta.lines = false;	/* meta.offset says where a message is */
	k->backoff = KAFKA_BACKOFF_MIN;
	return 0;
fail:
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	src->kind->close(src);
	src->priv = NULL;
	return -1;
}

/*
 * The plain consumer (no group): finds the topic's partitions and
 * assigns them all from offset=.  Returns 0 when done, 1 when the
 * brokers cannot be reached yet (try again later), or -1 after a fatal
 * error (no such topic, not authorized).
 */
static int
kafka_plain_assign(struct source *src)
{
	struct kafka			*k = src->priv;
	const struct rd_kafka_metadata	*md;
	rd_kafka_topic_t		*rkt;
	rd_kafka_topic_partition_list_t	*list;
	rd_kafka_resp_err_t		 err;
	int64_t				 start;
	char				*why;
	int				 i;

	rkt = rd_kafka_topic_new(k->rk, k->url.topic, NULL);
	err = rd_kafka_metadata(k->rk, 0, rkt, &md, KAFKA_META_MS);
	rd_kafka_topic_destroy(rkt);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (!kafka_err_transient(err)) {
			kafka_fatal(src, rd_kafka_err2str(err));
			return -1;
		}
		kafka_outage(src, rd_kafka_err2str(err));
		return 1;
	}
	if (md->topic_cnt < 1 || md->topics[0].err !=
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		err = md->topic_cnt < 1 ? RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC :
		    md->topics[0].err;
		rd_kafka_metadata_destroy(md);
		if (kafka_err_transient(err) &&
		    err != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE) {
			kafka_outage(src, rd_kafka_err2str(err));
			return 1;
		}
		if (err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE) {
			kafka_outage(src, rd_kafka_err2str(err));
			return 1;
		}
		xasprintf(&why, "topic %s: %s", k->url.topic,
		    rd_kafka_err2str(err));
		kafka_fatal(src, why);
		free(why);
		return -1;
	}
	/*
	 * Resuming, a partition the checkpoint does not hold was made
	 * since: all of it is new.  With --checkpoint, offset=end is
	 * found here, so that the next checkpoint pins it.
	 */
	start = k->url.offset == KAFKA_OFFSET_BEGINNING || k->resumed ?
	    RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
	list = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
	for (i = 0; i < md->topics[0].partition_cnt; i++) {
		rd_kafka_topic_partition_t	*e;
		int64_t				 lo, hi;

		e = rd_kafka_topic_partition_list_add(list, k->url.topic,
		    md->topics[0].partitions[i].id);
		e->offset = start;
		if (k->ckpt && start == RD_KAFKA_OFFSET_END &&
		    rd_kafka_query_watermark_offsets(k->rk, k->url.topic,
		    e->partition, &lo, &hi, KAFKA_META_MS) ==
		    RD_KAFKA_RESP_ERR_NO_ERROR)
			e->offset = hi;
	}
	rd_kafka_metadata_destroy(md);
	if (kafka_resume_apply(src, list) != 0) {
		rd_kafka_topic_partition_list_destroy(list);
		return -1;
	}
	kafka_take(src, list);
	err = rd_kafka_assign(k->rk, list);
	rd_kafka_topic_partition_list_destroy(list);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		kafka_fatal(src, rd_kafka_err2str(err));
		return -1;
	}
	kafka_back(src);
	return 0;
}

static int
kafka_fds(struct source *src, struct pollfd *pfd, int max, int *timeout_ms)
{
	struct kafka	*k = src->priv;
	int64_t		 wait = KAFKA_WAKE_MS;

	if (k->more)
		wait = 0;
	else if (!k->group && !k->assigned) {
		wait = k->retry_at - clock_now_ms();
		if (wait < 0)
			wait = 0;
	}
	if (*timeout_ms < 0 || wait < *timeout_ms)
		*timeout_ms = (int)wait;
	if (max < 1)
		return 0;
	pfd[0].fd = k->pipe[0];
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	return 1;
}

/*
 * Keeps in P's list that the record at OFFSET went into the batch ending
 * at END: its offset is not stored before that batch is committed.
 * Records of one partition mostly go into the batch of the one before.
 */
static inline void
kafka_hold(struct kafka_part *p, int64_t end, int64_t offset)
{
	size_t	 i;

	if (p->nheld > 0 && p->held[p->nheld - 1].end == end)
		return;
	for (i = 0; i < p->nheld; i++)
		if (p->held[i].end == end)
			return;		/* its first offset is smaller */
	if (p->nheld == p->capheld) {
		p->capheld = p->capheld ? p->capheld * 2 : 8;
		p->held = xreallocarray(p->held, p->capheld, sizeof *p->held);
	}
	p->held[p->nheld].end = end;
	p->held[p->nheld].offset = offset;
	p->nheld++;
}

/*
 * meta for message M of partition P, built in the decoder's arena (reset
 * after the record): topic, partition, offset, key (null without one),
 * timestamp (epoch seconds; null when the message has none) and headers
 * (an object, name to value; null values for headers without one).  The
 * strings point into M, valid while it is decoded; the clock copies what
 * waits for its batch.
 */
static void
kafka_meta(struct source *src, struct kafka_part *p, rd_kafka_message_t *m,
    struct value *obj)
{
	struct kafka		*k = src->priv;
	struct arena		*a = src->intake->dec.arena;
	struct value		*kv, *hv;
	rd_kafka_headers_t	*hdrs = NULL;
	rd_kafka_timestamp_type_t tt;
	const char		*hname;
	const void		*hval;
	size_t			 hlen, nh = 0, i;
	int64_t			 ts;

	kv = arena_alloc(a, 12 * sizeof *kv);
	kv[0] = value_str("topic", 5);
	kv[1] = value_str(k->url.topic, strlen(k->url.topic));
	kv[2] = value_str("partition", 9);
	kv[3] = value_int(p->id);
	kv[4] = value_str("offset", 6);
	kv[5] = value_int(m->offset);
	kv[6] = value_str("key", 3);
	kv[7] = m->key != NULL ? value_str(m->key, m->key_len) : value_null();
	kv[8] = value_str("timestamp", 9);
	ts = rd_kafka_message_timestamp(m, &tt);
	if (tt == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ts < 0)
		kv[9] = value_null();
	else if (ts % 1000 == 0)
		kv[9] = value_int(ts / 1000);
	else
		kv[9] = value_dbl((double)ts / 1000);
	kv[10] = value_str("headers", 7);
	if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR)
		nh = rd_kafka_header_cnt(hdrs);
	hv = arena_alloc(a, (nh > 0 ? nh : 1) * 2 * sizeof *hv);
	for (i = 0; i < nh; i++) {
		if (rd_kafka_header_get_all(hdrs, i, &hname, &hval, &hlen) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR)
			break;
		hv[2 * i] = value_str(hname, strlen(hname));
		hv[2 * i + 1] = hval != NULL ? value_str(hval, hlen) :
		    value_null();
	}
	kv[11].type = V_OBJ;
	kv[11].n = (uint32_t)i;
	kv[11].u.kv = hv;
	obj->type = V_OBJ;
	obj->n = 6;
	obj->u.kv = kv;
}

/* One message: decoded and handed in as a record of its partition. */
static void
kafka_message(struct source *src, rd_kafka_message_t *m)
{
	struct kafka		*k = src->priv;
	struct kafka_part	*p;
	struct intake		*ik = src->intake;
	struct value		 meta;
	char			*name;

	if (m->partition < 0 || (size_t)m->partition >= k->nparts ||
	    (p = k->parts[m->partition]) == NULL || !p->assigned || p->done)
		return;
	if (p->end >= 0 && m->offset >= p->end) {
		kafka_part_done(src, p);
		return;
	}
	p->nread++;
	k->nread++;
	name = src->name;
	src->name = p->name;
	src->tag = p->tag;
	src->kpart = p->id + 1;
	ik->placed_end = -1;
	if (ik->dec.origin) {
		kafka_meta(src, p, m, &meta);
		src->meta.ext = &meta;
	}
	decode_record(src, &p->din, m->payload != NULL ? m->payload : "",
	    m->len, p->nread);
	src->tag = NULL;
	src->kpart = 0;
	src->name = name;
	src->meta.ext = NULL;
	if (kafka_rebuilds(src)) {
		if (ik->placed_end >= 0 && ik->placed_end > kafka_keep(src, p))
			kafka_hold(p, ik->placed_end, m->offset);
	} else if (ik->placed_end > k->committed_end && k->group && !k->ckpt)
		kafka_hold(p, ik->placed_end, m->offset);
	p->next = m->offset + 1;
	if (p->waiting && p->catchup >= 0 && p->next >= p->catchup)
		kafka_caught_up(src, p);
	if (p->end >= 0 && p->next >= p->end)
		kafka_part_done(src, p);
}

/*
 * An error event from the consumer: the end of a partition (until=end),
 * a broker that cannot be reached (an outage), or a fatal error.
 */
static void
kafka_event_error(struct source *src, rd_kafka_message_t *m)
{
	struct kafka	*k = src->priv;
	char		*why;

	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		kafka_back(src);
		if (m->partition >= 0 && (size_t)m->partition < k->nparts &&
		    k->parts[m->partition] != NULL)
			kafka_caught_up(src, k->parts[m->partition]);
		if (k->url.until_end && m->partition >= 0 &&
		    (size_t)m->partition < k->nparts &&
		    k->parts[m->partition] != NULL &&
		    k->parts[m->partition]->assigned)
			kafka_part_done(src, k->parts[m->partition]);
		return;
	}
	if (kafka_err_transient(m->err) && !rd_kafka_fatal_error(k->rk,
	    NULL, 0)) {
		kafka_outage(src, rd_kafka_message_errstr(m));
		return;
	}
	if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
	    m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
		xasprintf(&why, "topic %s does not exist (or was deleted): %s",
		    k->url.topic, rd_kafka_message_errstr(m));
	else if (m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
	    m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED ||
	    m->err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED)
		xasprintf(&why, "not authorized: %s",
		    rd_kafka_message_errstr(m));
	else
		why = xstrdup(rd_kafka_message_errstr(m));
	kafka_fatal(src, why);
	free(why);
}

static int
kafka_ready(struct source *src, struct pollfd *pfd, int n)
{
	struct kafka		*k = src->priv;
	rd_kafka_message_t	*m;
	char			 drain[256];
	int			 got = 0;

	if (n > 0 && (pfd[0].revents & POLLIN))
		while (read(k->pipe[0], drain, sizeof drain) > 0)
			;
	if (!k->group && !k->assigned) {
		if (clock_now_ms() < k->retry_at)
			return SRC_LIVE;
		switch (kafka_plain_assign(src)) {
		case -1:
			return -1;
		case 1:
			k->retry_at = clock_now_ms() + k->backoff;
			k->backoff = k->backoff * 2 > KAFKA_BACKOFF_MAX ?
			    KAFKA_BACKOFF_MAX : k->backoff * 2;
			return SRC_LIVE;
		}
	}
	k->more = false;
	while (got < KAFKA_BUDGET && !k->fatal && !*src->intake->failed) {
		if ((m = rd_kafka_consumer_poll(k->rk, 0)) == NULL)
			break;
		if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR)
			kafka_event_error(src, m);
		else {
			if (k->outage)
				kafka_back(src);
			kafka_message(src, m);
			got++;
		}
		rd_kafka_message_destroy(m);
	}
	if (got == KAFKA_BUDGET)
		k->more = true;
	if (k->fatal)
		return -1;
	return kafka_all_done(src) ? SRC_DONE : SRC_LIVE;
}

/*
 * kafka_committed when rebuilding windows: each partition's offset is
 * its replay start, committed with its bound (with --checkpoint, when a
 * checkpoint holding them is durable: kafka_checkpointed).  Only flushes the
 * watermark made move the bound: those of the input's end or a stop
 * (finishing) emit windows early, which the next owner emits again
 * whole.  A partition read to its end (until=end) when the input ends
 * is committed after its last record and without a bound, as a run
 * without a rebuild would: the next run's windows are its own.
 */
static void
kafka_committed_rebuilt(struct source *src, int64_t end)
{
	struct kafka			*k = src->priv;
	struct kafka_part		*p;
	rd_kafka_topic_partition_list_t	*offs = NULL;
	rd_kafka_topic_partition_t	*e;
	int64_t				 to, bound, keep;
	size_t				 i, j, w;

	if (!src->intake->finishing) {
		if (end > k->flushed)
			k->flushed = end;
		if (end > k->emitted)
			k->emitted = end;
	}
	for (i = 0; i < k->nparts; i++) {
		if ((p = k->parts[i]) == NULL || !p->assigned || p->next < 0)
			continue;
		/* The batches no window to come holds are done with. */
		keep = kafka_keep(src, p);
		for (j = w = 0; j < p->nheld; j++)
			if (p->held[j].end > keep)
				p->held[w++] = p->held[j];
		p->nheld = w;
		if (k->ckpt)
			continue;	/* committed by kafka_checkpointed */
		if (src->intake->finishing && p->done) {
			to = p->next;
			bound = INT64_MIN;
		} else {
			bound = kafka_bound(k, p);
			to = kafka_replay_from(src, p);
		}
		if (to == p->stored && bound == p->stored_bound)
			continue;
		if (offs == NULL)
			offs = rd_kafka_topic_partition_list_new(8);
		e = rd_kafka_topic_partition_list_add(offs, k->url.topic,
		    p->id);
		e->offset = to;
		kafka_put_bound(k, e, bound);
		p->stored = to;
		p->stored_bound = bound;
	}
	if (offs != NULL) {
		kafka_commit(src, offs);
		rd_kafka_topic_partition_list_destroy(offs);
	}
}

/*
 * Every batch up to END is committed downstream: each partition's
 * offset moves to its first record still in a batch after END (or past
 * its last record read), and is stored and committed for the group.
 */
static void	kafka_committed_rebuilt(struct source *, int64_t);

static void
kafka_committed(struct source *src, int64_t end)
{
	struct kafka			*k = src->priv;
	struct kafka_part		*p;
	rd_kafka_topic_partition_list_t	*offs;
	int64_t				 to;
	size_t				 i, j, w;

	k->committed_end = end;
	if (kafka_rebuilds(src)) {
		kafka_committed_rebuilt(src, end);
		return;
	}
	if (!k->group || k->ckpt)
		return;		/* with --checkpoint: kafka_checkpointed */
	offs = NULL;
	for (i = 0; i < k->nparts; i++) {
		if ((p = k->parts[i]) == NULL || !p->assigned || p->next < 0)
			continue;
		to = p->next;
		for (j = w = 0; j < p->nheld; j++) {
			if (p->held[j].end <= end)
				continue;
			if (p->held[j].offset < to)
				to = p->held[j].offset;
			p->held[w++] = p->held[j];
		}
		p->nheld = w;
		if (to <= p->stored)
			continue;
		if (offs == NULL)
			offs = rd_kafka_topic_partition_list_new(8);
		rd_kafka_topic_partition_list_add(offs, k->url.topic,
		    p->id)->offset = to;
		p->stored = to;
	}
	if (offs != NULL) {
		kafka_commit(src, offs);
		rd_kafka_topic_partition_list_destroy(offs);
	}
}

/*
 * One partition's position: its id, the offset to read next, and the
 * clock's state of its input (its watermark) when it has one.
 */
static void
kafka_put_pos(struct source *src, struct buf *b, int32_t id, int64_t next,
    void *tag)
{
	snap_put_u64(b, (uint64_t)id);
	snap_put_i64(b, next);
	snap_put_bool(b, tag != NULL);
	if (tag != NULL)
		src->intake->input_save(src->intake, tag, b);
}

/* A position's bound and held batches (rebuilding windows). */
static void
kafka_put_held(struct buf *b, int32_t id, int64_t bound,
    const struct kafka_held *held, size_t n)
{
	size_t	 i;

	snap_put_u64(b, (uint64_t)id);
	snap_put_i64(b, bound);
	snap_put_u64(b, n);
	for (i = 0; i < n; i++) {
		snap_put_i64(b, held[i].end);
		snap_put_i64(b, held[i].offset);
	}
}

/*
 * Reads the rebuild's part of a checkpoint's positions (kafka_save)
 * into K's loaded positions.  Returns 0, or -1 with the cause in R.
 */
static int
kafka_load_held(struct source *src, struct snap_rd *r)
{
	struct kafka	*k = src->priv;
	struct kafka_pos *pos;
	uint64_t	 id;
	size_t		 n, nh, i, j, h;
	int64_t		 bound;

	if (snap_get_i64(r, &k->flushed) == -1 ||
	    snap_get_i64(r, &k->emitted) == -1 ||
	    snap_get_count(r, 3, 1 << 20, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (snap_get_u64(r, &id) == -1 || snap_get_i64(r, &bound) == -1 ||
		    snap_get_count(r, 2, 1 << 24, &nh) == -1)
			return -1;
		for (j = 0; j < k->nck && k->ck[j].id != (int64_t)id; j++)
			;
		if (j == k->nck || k->ck[j].held != NULL)
			return snap_fail(r, "input %s: held batches of "
			    "partition %llu, which has no position", src->name,
			    (unsigned long long)id);
		pos = &k->ck[j];
		pos->bound = bound;
		pos->held = xreallocarray(NULL, nh > 0 ? nh : 1,
		    sizeof *pos->held);
		for (h = 0; h < nh; h++)
			if (snap_get_i64(r, &pos->held[h].end) == -1 ||
			    snap_get_i64(r, &pos->held[h].offset) == -1 ||
			    pos->held[h].offset < 0)
				return snap_fail(r, "input %s: partition %llu's "
				    "held batches", src->name,
				    (unsigned long long)id);
		pos->nheld = nh;
	}
	return 0;
}

/*
 * --checkpoint: the position of every partition read (the offset after
 * its last record handed in: the records before it are in the
 * checkpoint's clock, state or output), and the positions loaded at a
 * resume not yet applied to an assignment, after the input's brokers,
 * topic and group.  A partition assigned with nothing read yet has no
 * position (offset= or the group's offset applies, as for a new run).
 */
static int
kafka_save(struct source *src, struct buf *b)
{
	struct kafka		*k = src->priv;
	struct kafka_part	*p;
	size_t			 i, n = 0;

	snap_put_str(b, k->url.brokers);
	snap_put_str(b, k->url.topic);
	snap_put_str(b, k->group ? k->url.group : "");
	snap_put_u64(b, k->token);
	for (i = 0; i < k->nparts; i++)
		if ((p = k->parts[i]) != NULL && p->assigned && p->next >= 0)
			n++;
	for (i = 0; i < k->nck; i++)
		if (k->ck[i].offset >= 0)
			n++;
	snap_put_u64(b, n);
	for (i = 0; i < k->nparts; i++) {
		if ((p = k->parts[i]) == NULL || !p->assigned || p->next < 0)
			continue;
		kafka_put_pos(src, b, p->id, p->next, p->tag);
		p->saved = p->next;
		p->saved_from = kafka_replay_from(src, p);
		p->saved_bound = kafka_bound(k, p);
	}
	for (i = 0; i < k->nck; i++)
		if (k->ck[i].offset >= 0)
			kafka_put_pos(src, b, k->ck[i].id, k->ck[i].offset,
			    k->ck[i].tag);
	if (!kafka_rebuilds(src))
		return 0;
	/*
	 * Rebuilding windows: what the chain last flushed, then each
	 * position's bound and held batches, to find its replay start.
	 */
	snap_put_i64(b, k->flushed);
	snap_put_i64(b, k->emitted);
	snap_put_u64(b, n);
	for (i = 0; i < k->nparts; i++) {
		if ((p = k->parts[i]) == NULL || !p->assigned || p->next < 0)
			continue;
		kafka_put_held(b, p->id, p->bound, p->held, p->nheld);
	}
	for (i = 0; i < k->nck; i++)
		if (k->ck[i].offset >= 0)
			kafka_put_held(b, k->ck[i].id, k->ck[i].bound,
			    k->ck[i].held, k->ck[i].nheld);
	return 0;
}

/*
 * Takes back the positions of a checkpoint (kafka_save) before anything
 * is read; they are applied when partitions are assigned
 * (kafka_resume_apply).  A checkpoint of another topic, cluster or group
 * is refused.
 */
static int
kafka_load(struct source *src, struct snap_rd *r)
{
	struct kafka	*k = src->priv;
	const char	*br, *tp, *gr;
	size_t		 nbr, ntp, ngr, n, i, j;
	uint64_t	 id, token;
	int64_t		 off;
	const char	*mine;
	bool		 in;

	if (snap_get_bytes(r, 65536, &br, &nbr) == -1 ||
	    snap_get_bytes(r, 65536, &tp, &ntp) == -1 ||
	    snap_get_bytes(r, 65536, &gr, &ngr) == -1)
		return -1;
	if (ntp != strlen(k->url.topic) || memcmp(tp, k->url.topic, ntp) != 0)
		return snap_fail(r, "input %s: the checkpoint was taken "
		    "reading topic '%.*s', this run reads topic '%s'",
		    src->name, (int)ntp, tp, k->url.topic);
	if (nbr != strlen(k->url.brokers) ||
	    memcmp(br, k->url.brokers, nbr) != 0)
		return snap_fail(r, "input %s: the checkpoint was taken "
		    "reading brokers '%.*s', this run reads brokers '%s' "
		    "(its offsets are another cluster's)", src->name,
		    (int)nbr, br, k->url.brokers);
	mine = k->group ? k->url.group : "";
	if (ngr != strlen(mine) || memcmp(gr, mine, ngr) != 0)
		return snap_fail(r, "input %s: the checkpoint was taken "
		    "%s%.*s%s, this run %s%s%s", src->name,
		    ngr > 0 ? "in group '" : "without a group", (int)ngr, gr,
		    ngr > 0 ? "'" : "", k->group ? "is in group '" :
		    "has no group", k->group ? mine : "", k->group ? "'" : "");
	if (snap_get_u64(r, &token) == -1 ||
	    snap_get_count(r, 3, 1 << 20, &n) == -1)
		return -1;
	kafka_token(k, token);
	kafka_ck_free(k);
	k->ck = xcalloc(n > 0 ? n : 1, sizeof *k->ck);
	k->nck = 0;
	for (i = 0; i < n; i++) {
		if (snap_get_u64(r, &id) == -1 || snap_get_i64(r, &off) == -1 ||
		    snap_get_bool(r, &in) == -1)
			return -1;
		if (id > INT32_MAX || off < 0)
			return snap_fail(r, "input %s: partition %llu at "
			    "offset %lld", src->name, (unsigned long long)id,
			    (long long)off);
		for (j = 0; j < k->nck; j++)
			if (k->ck[j].id == (int32_t)id)
				return snap_fail(r, "input %s: partition %llu "
				    "twice", src->name, (unsigned long long)id);
		k->ck[k->nck].id = (int32_t)id;
		k->ck[k->nck].offset = off;
		k->ck[k->nck].tag = NULL;
		k->ck[k->nck].bound = INT64_MIN;
		k->ck[k->nck].held = NULL;
		k->ck[k->nck].nheld = 0;
		if (in && (k->ck[k->nck].tag =
		    src->intake->input_load(src->intake, r)) == NULL)
			return -1;
		k->nck++;
	}
	if (snap_left(r) > 0) {
		if (kafka_load_held(src, r) == -1)
			return -1;
		k->ck_held = true;
	}
	k->resumed = k->nck > 0;
	return 0;
}

/*
 * --checkpoint, a group: the positions of the checkpoint last saved that
 * the group does not hold yet (each assigned partition's offset saved
 * past the one last stored), with the checkpoint's token as metadata.
 */
static rd_kafka_topic_partition_list_t *
kafka_saved_offsets(struct source *src)
{
	struct kafka			*k = src->priv;
	rd_kafka_topic_partition_list_t	*offs;
	rd_kafka_topic_partition_t	*e;
	struct kafka_part		*p;
	size_t				 i;

	offs = rd_kafka_topic_partition_list_new(8);
	for (i = 0; i < k->nparts; i++) {
		if ((p = k->parts[i]) == NULL || !p->assigned || p->saved < 0)
			continue;
		if (kafka_rebuilds(src)) {
			/* Its replay start and bound (kafka_save). */
			if (p->saved_from < 0 || (p->saved_from == p->stored &&
			    p->saved_bound == p->stored_bound))
				continue;
			e = rd_kafka_topic_partition_list_add(offs,
			    k->url.topic, p->id);
			e->offset = p->saved_from;
			kafka_put_bound(k, e, p->saved_bound);
			continue;
		}
		if (p->saved <= p->stored)
			continue;
		e = rd_kafka_topic_partition_list_add(offs, k->url.topic,
		    p->id);
		e->offset = p->saved;
		e->metadata = xstrdup(k->tokstr);
		e->metadata_size = strlen(k->tokstr);
	}
	return offs;
}

/* Frees what txn_offsets handed out. */
static void
kafka_txo_clear(struct kafka *k)
{
	if (k->txo.offsets != NULL)
		rd_kafka_topic_partition_list_destroy(k->txo.offsets);
	if (k->txo.member != NULL)
		rd_kafka_consumer_group_metadata_destroy(k->txo.member);
	memset(&k->txo, 0, sizeof k->txo);
}

/*
 * --checkpoint: the positions kafka_checkpointed will commit, for a
 * Kafka destination's transaction (source.h), with the member's group
 * metadata as it stands now.
 */
static const struct kafka_offsets *
kafka_txn_offsets(struct source *src)
{
	struct kafka	*k = src->priv;

	kafka_txo_clear(k);
	if (!k->group || !k->ckpt || k->rk == NULL)
		return NULL;
	k->txo.offsets = kafka_saved_offsets(src);
	if (k->txo.offsets->cnt == 0 || (k->txo.member =
	    rd_kafka_consumer_group_metadata(k->rk)) == NULL) {
		kafka_txo_clear(k);
		return NULL;
	}
	k->txo.brokers = k->url.brokers;
	k->txo.group = k->url.group;
	return &k->txo;
}

/*
 * --checkpoint: the checkpoint last saved is durable.  With a group, its
 * positions are committed to the group: a member given the partitions
 * next starts where this process's checkpoint stands.  (A Kafka
 * destination on the same cluster has already committed the same
 * offsets in its transaction: committed again, they change nothing;
 * another destination's run has them committed here only.)
 */
static void
kafka_checkpointed(struct source *src)
{
	struct kafka			*k = src->priv;
	rd_kafka_topic_partition_list_t	*offs;
	int				 i;

	kafka_txo_clear(k);
	if (!k->group)
		return;
	offs = kafka_saved_offsets(src);
	for (i = 0; i < offs->cnt; i++) {
		k->parts[offs->elems[i].partition]->stored =
		    offs->elems[i].offset;
		k->parts[offs->elems[i].partition]->stored_bound =
		    k->parts[offs->elems[i].partition]->saved_bound;
	}
	kafka_commit(src, offs);
	rd_kafka_topic_partition_list_destroy(offs);
}

static uint64_t
kafka_lines(const struct source *src)
{
	const struct kafka	*k = src->priv;

	return k->nread;
}

static void
kafka_close(struct source *src)
{
	struct kafka	*k = src->priv;
	size_t		 i;

	if (k == NULL)
		return;
	k->closing = true;
	if (k->q != NULL) {
		rd_kafka_queue_io_event_enable(k->q, -1, NULL, 0);
		rd_kafka_queue_destroy(k->q);
	}
	if (k->rk != NULL && k->group && !k->assigned &&
	    kafka_sticky_bug(k->rk)) {
		/*
		 * librdkafka before 2.3 aborts when a cooperative-sticky
		 * member is destroyed before its first assignment (its
		 * issue 4312): the handle is left to the process's exit,
		 * which follows.  The group forgets the member after
		 * session.timeout.ms.
		 */
		kafka_abandoned = k->rk;
		k->rk = NULL;
	}
	if (k->rk != NULL) {
		rd_kafka_consumer_close(k->rk);
		rd_kafka_destroy(k->rk);
	}
	for (i = 0; i < k->nparts; i++)
		if (k->parts[i] != NULL) {
			free(k->parts[i]->name);
			free(k->parts[i]->held);
			free(k->parts[i]);
		}
	free(k->parts);
	kafka_ck_free(k);
	kafka_txo_clear(k);
	if (k->pipe[0] != -1)
		close(k->pipe[0]);
	if (k->pipe[1] != -1)
		close(k->pipe[1]);
	kafka_url_free(&k->url);
	free(k);
	src->priv = NULL;
}

const struct source_kind source_kafka = {
	.scheme = "kafka://",
	.open = kafka_open,
	.fds = kafka_fds,
	.ready = kafka_ready,
	.close = kafka_close,
	.lines = kafka_lines,
	.committed = kafka_committed,
	.save = kafka_save,
	.load = kafka_load,
	.checkpointed = kafka_checkpointed,
	.txn_offsets = kafka_txn_offsets,
	.inputs = true,
};

#else /* !HAVE_KAFKA */

static int
kafka_open(struct source *src, const char *spec, char **cause)
{
	xasprintf(cause, "%s: this dstream was built without Kafka "
	    "(configure --without-kafka); rebuild it with librdkafka",
	    src->name);
	return -1;
}

const struct source_kind source_kafka = {
	.scheme = "kafka://",
	.open = kafka_open,
	.inputs = true,
};

#endif
