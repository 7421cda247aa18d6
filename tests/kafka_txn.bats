#!/usr/bin/env bats
# kafka_txn.bats - -o kafka:// with --checkpoint: each checkpoint
# interval's rows and the checkpoint in one Kafka transaction (the
# checkpoint as messages of TOPIC.dstream-checkpoint, under a
# transactional.id derived from the checkpoint folder), against
# librdkafka's mock cluster (tests/kafka-mock), read back with kcat.
#
# What the mock cannot show: it accepts the transactional protocol
# (InitProducerId, AddPartitionsToTxn, EndTxn...) but writes no
# transaction markers, answers every fetch with last stable offset =
# high watermark and no aborted transactions, and gives a new producer
# id to each init_transactions without fencing the old one.  So an
# aborted transaction's rows stay visible here even to read_committed
# consumers, and a zombie is not fenced: those two halves of the
# guarantee belong to a real broker.  The tests below check everything
# on dstream's side: the transactional path, the stable id, the
# checkpoint read back from Kafka (and preferred when newer), failures
# that abort (status 1, no checkpoint advanced), a SIGTERM while the
# brokers are down (status 143 at once, no checkpoint advanced), and no
# loss across kill -9.

load test_helper
load live_helper
load kafka_helper

setup_file() { kafka_setup_file; }
teardown_file() { kafka_teardown_file; }
setup() {
	cd "$BATS_TEST_TMPDIR"
	T=$BATS_TEST_TMPDIR
}

# committed TOPIC [kcat args]: the topic as a read_committed consumer
# sees it.
committed() {
	kafka_read "$1" -X isolation.level=read_committed "${@:2}"
}

# ckpt_keys TOPIC: the distinct keys of TOPIC.dstream-checkpoint.
ckpt_keys() {
	kafka_read "$1.dstream-checkpoint" -f '%k\n' | sort -u
}

@test "kafka txn: rows and the checkpoint in one transaction; the checkpoint topic holds the folder's bytes under an id stable for the folder" {
	kafka_setup
	kafka_cmd create tx1 3
	printf 'a\nb\na\n' > in.txt
	run dstream --checkpoint ck -i in.txt -o "kafka://$BROKERS/tx1" countByValue
	assert_success
	assert_output ''
	run bash -c "$(declare -f kafka_read committed); KAFKA_TIMEOUT=$KAFKA_TIMEOUT BROKERS=$BROKERS committed tx1 -f '%k %s\n' | sort"
	assert_output "$(printf 'a 2\nb 1')"
	# The last checkpoint message is the folder's checkpoint, byte for byte.
	kafka_read tx1.dstream-checkpoint -o -1 -c 1 -f '%s' > last.bin
	cmp last.bin ck/checkpoint
	run kafka_read tx1.dstream-checkpoint -o -1 -c 1 -f '%h\n'
	assert_output 'dstream-part=0/1'
	id1=$(ckpt_keys tx1)
	[[ $id1 == dstream-* ]]
	# The same folder again (a resume): the same transactional.id.
	echo c >> in.txt
	run dstream --checkpoint ck -i in.txt -o "kafka://$BROKERS/tx1" countByValue
	assert_success
	[ "$(ckpt_keys tx1)" = "$id1" ]
	run bash -c "$(declare -f kafka_read committed); KAFKA_TIMEOUT=$KAFKA_TIMEOUT BROKERS=$BROKERS committed tx1 -f '%k %s\n' | sort"
	assert_output "$(printf 'a 2\nb 1\nc 1')"
	# Another folder: another id.
	run dstream --checkpoint ck2 -i in.txt -o "kafka://$BROKERS/tx1" countByValue
	assert_success
	[ "$(ckpt_keys tx1 | wc -l)" -eq 2 ]
}

@test "kafka txn: Kafka's checkpoint, newer than the folder's (a crash between the two), is the one resumed from: nothing twice" {
	kafka_setup
	kafka_cmd create tx2 2
	seq 1 1000 > grow
	run dstream --checkpoint ck -b 10ms -i grow -o "kafka://$BROKERS/tx2" count
	assert_success
	cp -a ck ck.old
	seq 1001 2000 >> grow
	run dstream --checkpoint ck -b 10ms -i grow -o "kafka://$BROKERS/tx2" count
	assert_success
	# A crash after Kafka's commit, before the folder's write.
	rm -rf ck
	mv ck.old ck
	seq 2001 2500 >> grow
	run dstream --checkpoint ck -b 10ms -i grow -o "kafka://$BROKERS/tx2" count
	assert_success
	run bash -c "$(declare -f kafka_read committed); KAFKA_TIMEOUT=$KAFKA_TIMEOUT BROKERS=$BROKERS committed tx2 -f '%s\n' | awk '{ s += \$1 } END { print s }'"
	assert_output 2500
	# The folder lost altogether: Kafka's copy alone resumes the run.
	rm -f ck/checkpoint
	run dstream --checkpoint ck -b 10ms -i grow -o "kafka://$BROKERS/tx2" count
	assert_success
	run bash -c "$(declare -f kafka_read committed); KAFKA_TIMEOUT=$KAFKA_TIMEOUT BROKERS=$BROKERS committed tx2 -f '%s\n' | awk '{ s += \$1 } END { print s }'"
	assert_output 2500
}

@test "kafka txn: a delivery that fails for good aborts the transaction: status 1, neither the folder's nor Kafka's checkpoint advances" {
	kafka_setup
	kafka_cmd create tx3 1
	printf 'a\nb\n' > in.txt
	run dstream --checkpoint ck -i in.txt -o "kafka://$BROKERS/tx3" countByValue
	assert_success
	cp ck/checkpoint ck.before
	n=$(kafka_read tx3.dstream-checkpoint -f '%o\n' | wc -l)
	printf 'c\nd\n' >> in.txt
	# Every produce request refused: not authorized (29).
	kafka_cmd reqerr 0 1000 29
	run timeout 60 "$DSTREAM" -X message.timeout.ms=3000 --checkpoint ck -i in.txt \
	    -o "kafka://$BROKERS/tx3" countByValue
	kafka_cmd clearerr 0
	assert_failure 1
	assert_output --partial "kafka://$BROKERS/tx3: "
	assert_output --partial "Topic authorization failed"
	cmp ck/checkpoint ck.before
	[ "$(kafka_read tx3.dstream-checkpoint -f '%o\n' | wc -l)" -eq "$n" ]
	# The next run sends c and d (once the brokers take them).
	run timeout 60 "$DSTREAM" --checkpoint ck -i in.txt -o "kafka://$BROKERS/tx3" countByValue
	assert_success
	run bash -c "$(declare -f kafka_read committed); KAFKA_TIMEOUT=$KAFKA_TIMEOUT BROKERS=$BROKERS committed tx3 -f '%k %s\n' | grep -c '^[cd] 1'"
	[ "${lines[-1]}" -ge 2 ]
	[ "$(kafka_read tx3.dstream-checkpoint -f '%o\n' | wc -l)" -gt "$n" ]
}

@test "kafka txn: a transaction refused at its commit (EndTxn error) fails the run with status 1; the checkpoint stays" {
	kafka_setup
	kafka_cmd create tx4 1
	printf 'a\n' > in.txt
	run dstream --checkpoint ck -i in.txt -o "kafka://$BROKERS/tx4" countByValue
	assert_success
	cp ck/checkpoint ck.before
	echo b >> in.txt
	# EndTxn (26) refused: transactional id not authorized (53).
	kafka_cmd reqerr 26 1000 53
	run timeout 60 "$DSTREAM" --checkpoint ck -i in.txt -o "kafka://$BROKERS/tx4" countByValue
	kafka_cmd clearerr 26
	assert_failure 1
	assert_output --partial "kafka://$BROKERS/tx4: cannot commit the transaction: "
	cmp ck/checkpoint ck.before
}

@test "kafka txn: SIGTERM while the brokers are down: status 143 at once, the transaction given up, the checkpoint not advanced; the next run sends the rows" {
	kafka_setup
	kafka_cmd create txdown 1
	printf 'a\n' > in.txt
	# transaction.timeout.ms past the bounded wait of stop_dstream: only
	# the signal can end the waiting in time.
	start_dstream -X transaction.timeout.ms=600000 --checkpoint ck -F -i in.txt -b 100ms -o "kafka://$BROKERS/txdown" map '$1'
	wait_until eval '[ "$(committed txdown -f "%s\n" | wc -l)" -ge 1 ]'
	kafka_cmd down 1
	kafka_cmd down 2
	kafka_cmd down 3
	cp ck/checkpoint ck.before
	echo b >> in.txt
	wait_until err_has 'retrying'
	stop_dstream
	kafka_cmd up 1
	kafka_cmd up 2
	kafka_cmd up 3
	[ "$DS_STATUS" -eq 143 ]
	grep -Eq "^dstream: kafka://$BROKERS/txdown: stopped by SIGTERM while messages wait for the brokers(: [0-9]+ rows? not written)?\$" "$ERR"
	grep -Fq "dstream: stopped by SIGTERM: checkpoint ck not advanced" "$ERR"
	cmp ck/checkpoint ck.before
	# The next run sends b.
	start_dstream -X transaction.timeout.ms=600000 --checkpoint ck -F -i in.txt -b 100ms -o "kafka://$BROKERS/txdown" map '$1'
	wait_until eval 'committed txdown -f "%s\n" | grep -qx "\"b\""'
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
}

@test "kafka txn: kill -9 at random moments with --checkpoint, then a rerun: nothing lost" {
	kafka_setup
	kafka_cmd create tx5 2
	seq 1 100000 > nums
	local i pid
	for i in $(seq 1 6); do
		"$DSTREAM" --checkpoint ck --checkpoint-every 0 -b 10ms -i nums \
		    -o "kafka://$BROKERS/tx5" count 2>> err &
		pid=$!
		sleep "0.$((RANDOM % 9))"
		kill -9 "$pid" 2> /dev/null || true
		wait "$pid" || true
	done
	run timeout 120 "$DSTREAM" --checkpoint ck -b 10ms -i nums -o "kafka://$BROKERS/tx5" count
	assert_success
	# Every record counted; a real broker also hides the killed runs'
	# open transactions from read_committed consumers (the mock cannot).
	run bash -c "$(declare -f kafka_read committed); KAFKA_TIMEOUT=$KAFKA_TIMEOUT BROKERS=$BROKERS committed tx5 -f '%s\n' | awk '{ s += \$1 } END { print s }'"
	[ "$output" -ge 100000 ]
	# The checkpoint resumed from is the last one committed: the run
	# after the loop read nothing twice of its own.
	kafka_read tx5.dstream-checkpoint -o -1 -c 1 -f '%s' > last.bin
	cmp last.bin ck/checkpoint
}
