#!/usr/bin/env bats
# kafka_eos.bats - Kafka in a consumer group into Kafka out with
# --checkpoint: the group's offsets committed in the destination's
# transaction (send_offsets_to_transaction) with the rows and the
# checkpoint, Kafka's consume-transform-produce exactly-once (issue 12
# item 4), against librdkafka's mock cluster (tests/kafka-mock).
#
# What the mock cannot show: it answers AddOffsetsToTxn and
# TxnOffsetCommit but discards the offsets, so the group's offsets seen
# here are those of the source's own commit after the checkpoint (kept:
# harmless, and all there is when the clusters differ).  That the
# offsets go into the transaction is seen in librdkafka's protocol
# debugging (-X debug=protocol,eos): the TxnOffsetCommit request sent
# after AddOffsetsToTxn and before the transaction's EndTxn, and its
# error, injected, naming the partitions.  Nor does the mock hide an
# aborted transaction's messages from read_committed consumers (see
# kafka_txn.bats): the failing runs below keep their rows in the
# producer's queue (-X linger.ms=30000) until the commit, so that what
# an abort purges never reaches the mock's log, and read back exactly.

load test_helper
load live_helper
load kafka_helper

setup_file() { kafka_setup_file; }
teardown_file() { kafka_teardown_file; }
setup() {
	cd "$BATS_TEST_TMPDIR"
	T=$BATS_TEST_TMPDIR
}

# Short sessions, so that a member gone is forgotten quickly.
X=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)

# total TOPIC: the sum of TOPIC's values (counts) as a read_committed
# consumer sees them.
total() {
	kafka_read "$1" -X isolation.level=read_committed -f '%s\n' |
	    awk '{ s += $1 } END { print s + 0 }'
}

# fresh_member URL: what a member of the URL's group with no checkpoint
# reads (until=end) counted: 0 when the group's offsets are at the end.
fresh_member() {
	timeout 60 "$DSTREAM" "${X[@]}" -i "$1" count |
	    awk '{ s += $1 } END { print s + 0 }'
}

# last_ckpt_is_folders TOPIC: the last checkpoint committed to Kafka is
# the folder's, byte for byte (neither ahead of the other).
last_ckpt_is_folders() {
	kafka_read "$1.dstream-checkpoint" -X isolation.level=read_committed \
	    -o -1 -c 1 -f '%s' >last.bin
	cmp last.bin ck/checkpoint
}

# rerun_exact URL DEST N: a run from the checkpoint ck over URL into DEST
# (kafka://BROKERS/TOPIC) ends with N in all there, the last checkpoint
# committed to Kafka the folder's and the group's offsets at the end.
rerun_exact() {
	local url=$1 dest=${2#kafka://}
	run timeout 90 "$DSTREAM" "${X[@]}" --checkpoint ck -i "$url" -o "$2" \
	    count
	assert_success
	[ "$(BROKERS=${dest%/*} total "${dest##*/}")" -eq "$3" ]
	BROKERS=${dest%/*} last_ckpt_is_folders "${dest##*/}"
	[ "$(fresh_member "$url")" -eq 0 ]
}

@test "kafka eos: the group's offsets go into the destination's transaction before its commit; the group's own commit follows; a new member reads only what is new" {
	kafka_setup
	kafka_cmd create ein1 3
	kafka_cmd create eout1 3
	kafka_cmd gen ein1 300 7
	url="kafka://$BROKERS/ein1?group=g-eos1&offset=beginning&until=end"
	run timeout 90 "$DSTREAM" "${X[@]}" -X debug=protocol,eos \
	    --checkpoint ck -i "$url" -o "kafka://$BROKERS/eout1" count
	assert_success
	[ "$(total eout1)" -eq 300 ]
	last_ckpt_is_folders eout1
	# AddOffsetsToTxn, then TxnOffsetCommit (answered without error),
	# then the transaction's EndTxn.
	printf '%s\n' "$output" >log
	add=$(grep -n 'Sent AddOffsetsToTxnRequest' log | tail -1 | cut -d: -f1)
	toc=$(grep -n 'Sent TxnOffsetCommitRequest' log | tail -1 | cut -d: -f1)
	end=$(grep -n 'Sent EndTxnRequest' log | tail -1 | cut -d: -f1)
	[ -n "$add" ]
	[ -n "$toc" ]
	[ -n "$end" ]
	[ "$add" -lt "$toc" ]
	[ "$toc" -lt "$end" ]
	grep -q 'send_offsets_to_transaction .* Success' log
	# The group's offsets are at the end: a member without the
	# checkpoint reads nothing; new messages, it reads those alone.
	[ "$(fresh_member "$url")" -eq 0 ]
	kafka_cmd gen ein1 40 7
	rerun_exact "$url" "kafka://$BROKERS/eout1" 340
}

@test "kafka eos: without a group no offsets go into the transaction" {
	kafka_setup
	kafka_cmd create ein2 2
	kafka_cmd create eout2 1
	kafka_cmd gen ein2 100 5
	run timeout 90 "$DSTREAM" -X debug=protocol --checkpoint ck \
	    -i "kafka://$BROKERS/ein2?offset=beginning&until=end" \
	    -o "kafka://$BROKERS/eout2" count
	assert_success
	[ "$(total eout2)" -eq 100 ]
	refute_output --partial 'TxnOffsetCommitRequest'
	assert_output --partial 'Sent EndTxnRequest'
}

@test "kafka eos: a retriable error on TxnOffsetCommit is retried by librdkafka: the run goes on, exactly" {
	kafka_setup
	kafka_cmd create ein3 3
	kafka_cmd create eout3 1
	kafka_cmd gen ein3 200 7
	url="kafka://$BROKERS/ein3?group=g-eos3&offset=beginning&until=end"
	# TxnOffsetCommit (28) refused 3 times: coordinator loading (14).
	kafka_cmd reqerr 28 3 14
	run timeout 90 "$DSTREAM" "${X[@]}" -X debug=protocol --checkpoint ck \
	    -i "$url" -o "kafka://$BROKERS/eout3" count
	kafka_cmd clearerr 28
	assert_success
	[ "$(printf '%s\n' "$output" | grep -c 'Sent TxnOffsetCommitRequest')" -ge 4 ]
	[ "$(total eout3)" -eq 200 ]
	last_ckpt_is_folders eout3
	[ "$(fresh_member "$url")" -eq 0 ]
}

# refused API ERR WHAT...: a run whose request API (25 AddOffsetsToTxn,
# 28 TxnOffsetCommit) fails with ERR (saying each WHAT) ends with status 1
# naming the destination and the group, the transaction aborted and no
# checkpoint or offset advanced; the rerun ends exactly.
refused() {
	local api=$1 err=$2 topic=ein$1x$2 out=eout$1x$2 url n what
	shift 2
	kafka_setup
	kafka_cmd create "$topic" 3
	kafka_cmd create "$out" 2
	kafka_cmd gen "$topic" 100 7
	url="kafka://$BROKERS/$topic?group=g-$topic&offset=beginning&until=end"
	run timeout 90 "$DSTREAM" "${X[@]}" --checkpoint ck -i "$url" \
	    -o "kafka://$BROKERS/$out" count
	assert_success
	[ "$(total "$out")" -eq 100 ]
	kafka_cmd gen "$topic" 50 7
	n=$(kafka_read "$out.dstream-checkpoint" -f '%o\n' | wc -l)
	kafka_cmd reqerr "$api" 1000 "$err"
	run timeout 90 "$DSTREAM" "${X[@]}" -X linger.ms=30000 --checkpoint ck \
	    -i "$url" -o "kafka://$BROKERS/$out" count
	kafka_cmd clearerr "$api"
	assert_failure 1
	assert_output --partial "dstream: kafka://$BROKERS/$out: cannot commit group g-$topic's offsets in the transaction: "
	for what; do
		assert_output --partial "$what"
	done
	# Nothing of the failed transaction is committed; the checkpoints
	# stay where the last good one was (earlier checkpoints of this run
	# without offsets to send hold the same positions).
	[ "$(total "$out")" -eq 100 ]
	last_ckpt_is_folders "$out"
	[ "$(kafka_read "$out.dstream-checkpoint" -f '%o\n' | wc -l)" -ge "$n" ]
	# The rerun counts the 50 once; the group ends at the end.
	rerun_exact "$url" "kafka://$BROKERS/$out" 150
}

@test "kafka eos: an abortable error on TxnOffsetCommit aborts the transaction: status 1 naming the destination, nothing advanced; the rerun ends exactly" {
	# Group authorization failed (30): the transaction must be aborted;
	# the message names the partitions refused.
	refused 28 30 'Failed to commit offsets to transaction on broker ' \
	    'ein28x30[' 'Group authorization failed'
}

@test "kafka eos: a fatal error on TxnOffsetCommit ends the run: status 1 naming the destination, nothing advanced; the rerun ends exactly" {
	# Transactional id authorization failed (53): the producer is done.
	refused 28 53 'Transactional Id authorization failed'
}

@test "kafka eos: an abortable error on AddOffsetsToTxn aborts the transaction the same way" {
	refused 25 30 'Failed to add offsets to transaction on broker ' \
	    'Group authorization failed'
}

@test "kafka eos: input and output on different clusters: no offsets in the transaction, the group's commit after the checkpoint; exact" {
	kafka_setup
	kafka_cmd create ein4 3
	kafka_cmd gen ein4 120 7
	mkdir k2
	("$KAFKA_MOCK" -n 1 k2/ctl >k2/out 2>k2/err & echo $! >k2/pid)
	PEERS=$(cat k2/pid)
	LIVE_TIMEOUT=30 OUT=/dev/null ERR=/dev/null wait_until test -s k2/out
	B2=$(head -1 k2/out)
	KDIR=$T/k2 BROKERS=$B2 kafka_cmd create eout4 2
	url="kafka://$BROKERS/ein4?group=g-eos4&offset=beginning&until=end"
	run timeout 90 "$DSTREAM" "${X[@]}" -X debug=protocol --checkpoint ck \
	    -i "$url" -o "kafka://$B2/eout4" count
	assert_success
	refute_output --partial 'TxnOffsetCommitRequest'
	assert_output --partial 'Sent EndTxnRequest'
	[ "$(BROKERS=$B2 total eout4)" -eq 120 ]
	[ "$(fresh_member "$url")" -eq 0 ]
	kafka_cmd gen ein4 30 7
	rerun_exact "$url" "kafka://$B2/eout4" 150
	kill -KILL "$(cat k2/pid)"
}

@test "kafka eos: SIGTERM while the brokers are down at a checkpoint with offsets to send: status 143 at once, nothing advanced; the next run ends at the end" {
	kafka_setup
	kafka_cmd create ein5 1
	kafka_cmd create eout5 1
	url="kafka://$BROKERS/ein5?group=g-eos5&offset=beginning"
	# No checkpoint but the one a stop writes, whose offsets are to go
	# into the transaction while the brokers are down.
	start_dstream "${X[@]}" -X transaction.timeout.ms=600000 \
	    --checkpoint ck --checkpoint-every 1h -b 200ms -i "$url" \
	    -o "kafka://$BROKERS/eout5" count
	kafka_cmd gen ein5 25 5
	# Read (its rows are out, not committed), then the brokers go.
	wait_until eval '[ "$(kafka_read eout5 -f "%s\n" | awk "{ s += \$1 } END { print s + 0 }")" -ge 25 ]'
	cp ck/checkpoint ck.before
	kafka_cmd down 1
	kafka_cmd down 2
	kafka_cmd down 3
	# librdkafka's send_offsets_to_transaction would wait for them
	# (60 s) whatever the signal: it is called only once they answer.
	LIVE_TIMEOUT=8 stop_dstream
	kafka_cmd up 1
	kafka_cmd up 2
	kafka_cmd up 3
	[ "$DS_STATUS" -eq 143 ]
	grep -Eq "^dstream: kafka://$BROKERS/eout5: stopped by SIGTERM while messages wait for the brokers" "$ERR"
	grep -Fq "dstream: stopped by SIGTERM: checkpoint ck not advanced" "$ERR"
	cmp ck/checkpoint ck.before
	# The next run reads the 25 again (the mock also shows the given-up
	# transaction's rows), and its stop commits the group's offsets.
	start_dstream "${X[@]}" -X transaction.timeout.ms=600000 \
	    --checkpoint ck --checkpoint-every 1h -b 200ms -i "$url" \
	    -o "kafka://$BROKERS/eout5" count
	wait_until eval '[ "$(kafka_read eout5 -f "%s\n" | awk "{ s += \$1 } END { print s + 0 }")" -ge 50 ]'
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	last_ckpt_is_folders eout5
	[ "$(fresh_member "$url&until=end")" -eq 0 ]
}

@test "kafka eos: kill -9 at random moments, group in, Kafka out, then a rerun: nothing lost, the group's offsets at the end" {
	kafka_setup
	kafka_cmd create ein6 3
	kafka_cmd create eout6 2
	kafka_cmd gen ein6 20000 13
	url="kafka://$BROKERS/ein6?group=g-eos6&offset=beginning&until=end"
	local i pid had
	# Each restart waits for the group to forget the killed member
	# (session.timeout.ms): each run is killed once it has written.
	for i in 1 2 3; do
		had=$(kafka_read eout6 -f '%o\n' | wc -l)
		"$DSTREAM" "${X[@]}" --checkpoint ck --checkpoint-every 0 \
		    -b 20ms -i "$url" -o "kafka://$BROKERS/eout6" count 2>>err &
		pid=$!
		DS_PID=$pid
		LIVE_TIMEOUT=60 OUT=err ERR=err wait_until eval \
		    '[ "$(kafka_read eout6 -f "%o\n" | wc -l)" -gt "$had" ]'
		sleep "0.$((RANDOM % 9))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" || true
	done
	run timeout 120 "$DSTREAM" "${X[@]}" --checkpoint ck -b 20ms -i "$url" \
	    -o "kafka://$BROKERS/eout6" count
	assert_success
	# Every record counted (a real broker also hides the killed runs'
	# open transactions from read_committed consumers; the mock cannot).
	[ "$(total eout6)" -ge 20000 ]
	last_ckpt_is_folders eout6
	[ "$(fresh_member "$url")" -eq 0 ]
}
