#!/usr/bin/env bats
# kafka_out.bats - the Kafka destination (-o kafka://BROKERS/TOPIC)
# against librdkafka's mock cluster (tests/kafka-mock), read back with
# kcat: a message per row, key and JSON value, the batch end as
# timestamp; delivery failures are fatal and store no input offsets; a
# SIGTERM while the brokers are down ends the run at once.

load test_helper
load live_helper
load kafka_helper

setup_file() { kafka_setup_file; }
teardown_file() { kafka_teardown_file; }
setup() { cd "$BATS_TEST_TMPDIR"; }

@test "kafka out: one message per row, the key as message key, the value as JSON, the batch end as timestamp" {
	kafka_setup
	kafka_cmd create wcout 3
	printf '%s\n' '{"t":"2025-11-21T00:00:05Z","w":"a"}' '{"t":"2025-11-21T00:00:07Z","w":"b"}' \
	    '{"t":"2025-11-21T00:00:09Z","w":"a"}' '{"t":"2025-11-21T00:00:12Z","w":"a"}' >in.jsonl
	run dstream -j -e .t -b 10s -i in.jsonl -o "kafka://$BROKERS/wcout" map '(.w, 1)' then reduceByKey sum
	assert_success
	assert_output ''
	run bash -c "kafka_read() { timeout 30 kcat -b '$BROKERS' -t wcout -C -e -q -o beginning -f '%k %s %T\n'; }; kafka_read | sort"
	assert_output "$(printf 'a 1 1763683220000\na 2 1763683210000\nb 1 1763683210000')"
}

@test "kafka out: rows that are not pairs have no key; tuples keep the rest as an array" {
	kafka_setup
	kafka_cmd create plain 1
	printf 'x y z\nx y z\n' >in.txt
	run dstream -i in.txt -o "kafka://$BROKERS/plain" count
	assert_success
	run dstream -i in.txt -o "kafka://$BROKERS/plain" map '($1, $2, {"z": $3})' then take 1
	assert_success
	run kafka_read plain -f '%K|%k|%s\n'
	assert_output "$(printf -- '-1||2\n1|x|["y",{"z":"z"}]')"
}

@test "kafka out: a bad destination URL or property is refused before anything runs" {
	kafka_need
	run dstream -o 'kafka://h:1/t?until=end' count </dev/null
	assert_failure 1
	assert_output --partial "kafka://h:1/t?until=end: an output takes no query"
	run dstream -o 'kafka://h:1/' count </dev/null
	assert_failure 1
	assert_output --partial "no topic after the brokers"
	run dstream -X acks=most -o 'kafka://h:1/t' count </dev/null
	assert_failure 2
	assert_output --partial "-X acks=most"
}

@test "kafka out: a delivery that fails for good is fatal (status 1), and the input's offsets are not stored" {
	kafka_setup
	kafka_cmd create kin 1
	kafka_cmd create kout 1
	kafka_produce kin 0 a b a
	# Every produce request refused: not authorized (29).
	kafka_cmd reqerr 0 1000 29
	url="kafka://$BROKERS/kin?group=g-out&offset=beginning&until=end"
	run timeout 60 "$DSTREAM" -X session.timeout.ms=6000 -X message.timeout.ms=3000 \
	    -i "$url" -o "kafka://$BROKERS/kout" countByValue
	kafka_cmd clearerr 0
	assert_failure 1
	assert_output --partial "kafka://$BROKERS/kout: delivery failed: "
	# Nothing was stored: the next run gets the same records.
	run timeout 60 "$DSTREAM" -X session.timeout.ms=6000 -i "$url" \
	    -o "kafka://$BROKERS/kout" countByValue
	assert_success
	run bash -c "timeout 30 kcat -b '$BROKERS' -t kout -C -e -q -o beginning -f '%k %s\n' | sort"
	assert_output "$(printf 'a 2\nb 1')"
}

@test "kafka out: SIGTERM while the brokers are down ends the waiting at once: status 143, the rows not written said" {
	kafka_setup
	kafka_cmd create kdown 1
	mkfifo fifo
	# message.timeout.ms past the bounded wait of stop_dstream: only the
	# signal can end the waiting in time.
	start_dstream -X message.timeout.ms=600000 -i fifo -b 100ms -o "kafka://$BROKERS/kdown" map '$1'
	exec 7>fifo
	echo a >&7
	wait_until eval '[ "$(kafka_read kdown -f "%s\n" | wc -l)" -ge 1 ]'
	kafka_cmd down 1
	kafka_cmd down 2
	kafka_cmd down 3
	echo b >&7
	wait_until err_has 'retrying'
	stop_dstream
	exec 7>&-
	kafka_cmd up 1
	kafka_cmd up 2
	kafka_cmd up 3
	[ "$DS_STATUS" -eq 143 ]
	grep -Fqx "dstream: kafka://$BROKERS/kdown: stopped by SIGTERM while messages wait for the brokers: 1 row not written" "$ERR"
	run kafka_read kdown -f '%s\n'
	assert_output '"a"'
}
