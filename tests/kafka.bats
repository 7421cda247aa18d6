#!/usr/bin/env bats
# kafka.bats - kafka:// inputs against librdkafka's mock cluster
# (tests/kafka-mock): the URL and -X, records through the decoding step,
# until=end, groups and their offsets, per-partition watermarks, broker
# outages and fatal topic errors.  Topics and groups are named per test.

load test_helper
load live_helper
load kafka_helper

setup_file() { kafka_setup_file; }
teardown_file() { kafka_teardown_file; }
setup() { cd "$BATS_TEST_TMPDIR"; }

# ---- the URL and -X (no cluster needed) ----

@test "kafka URL: each fault is named" {
	run dstream -i 'kafka://localhost:9092' count
	assert_failure 1
	assert_output --partial "expected BROKERS/TOPIC"
	run dstream -i 'kafka:///t' count
	assert_failure 1
	assert_output --partial "no broker before the topic"
	run dstream -i 'kafka://h:1/' count
	assert_failure 1
	assert_output --partial "no topic after the brokers"
	run dstream -i 'kafka://h:1/a/b' count
	assert_failure 1
	assert_output --partial "bad topic name 'a/b'"
	run dstream -i 'kafka://h:1/t?offset=middle' count
	assert_failure 1
	assert_output --partial "offset=: expected beginning, end or stored, not 'middle'"
	run dstream -i 'kafka://h:1/t?group=a&group=b' count
	assert_failure 1
	assert_output --partial "group= given twice"
	run dstream -i 'kafka://h:1/t?partition=1' count
	assert_failure 1
	assert_output --partial "unknown query key 'partition' (group, offset, until)"
	run dstream -i 'kafka://h:1/t?until=now' count
	assert_failure 1
	assert_output --partial "until=: expected end, not 'now'"
	run dstream -i 'kafka://h:1/t?group=%zz' count
	assert_failure 1
	assert_output --partial "group=: bad percent-escape"
	run dstream -i 'kafka://h:1,,h:2/t' count
	assert_failure 1
	assert_output --partial "bad broker list"
}

@test "-X: a bad property is a usage error naming it; -X list lists them" {
	kafka_need
	run dstream -X no.such.property=1 count
	assert_failure 2
	assert_output --partial "-X no.such.property=1: No such configuration property: \"no.such.property\""
	run dstream -X fetch.wait.max.ms=abc count
	assert_failure 2
	assert_output --partial "-X fetch.wait.max.ms=abc:"
	run dstream -X session.timeout.ms count
	assert_failure 2
	assert_output --partial "-X session.timeout.ms: expected PROP=VALUE"
	run dstream -X group.id=g count
	assert_failure 2
	assert_output --partial "property group.id is dstream's (the group goes in the URL: ?group=G)"
	run dstream -X enable.auto.offset.store=true count
	assert_failure 2
	assert_output --partial "enable.auto.offset.store is dstream's"
	run dstream -X enable.auto.commit=true count
	assert_failure 2
	assert_output --partial "enable.auto.commit is dstream's"
	run dstream -X list
	assert_success
	assert_output --partial "session.timeout.ms"
	# kcat's topic. prefix, and a good property, are taken.
	run dstream -X topic.auto.offset.reset=earliest -X fetch.wait.max.ms=10 count </dev/null
	assert_success
	assert_output 0
}

# ---- records ----

@test "samples/kafka-ads: clicks per ad read from a topic are what the same chain over ads.log gives, nothing on stderr" {
	kafka_need
	KAFKA_MOCK="$KAFKA_MOCK" timeout 60 sh "$SRCDIR/samples/kafka-ads" >got 2>err
	[ ! -s err ] || { cat err; false; }
	"$DSTREAM" -i "$SRCDIR/samples/ads.log" -e '$1' -b 1m \
	    filter '$2 == "click"' then map '($3, 1)' \
	    then reduceByKeyAndWindow sum 30m 10m >want
	[ -s want ]
	run diff want got
	assert_success
}

@test "kafka: NetworkWordCount over a topic, until=end" {
	kafka_setup
	kafka_cmd create wc 3
	kafka_produce wc -1 "to be or" "not to be" "that is" "the question to"
	run timeout 60 "$DSTREAM" -b 1h -i "kafka://$BROKERS/wc?offset=beginning&until=end" \
	    flatMap 'split($0, " ")' then map '(x, 1)' then reduceByKey sum
	assert_success
	assert_output "$(printf 'be\t2\nis\t1\nnot\t1\nor\t1\nquestion\t1\nthat\t1\nthe\t1\nto\t3')"
}

@test "kafka: until=end ends at once on an empty topic; offset=end reads nothing old" {
	kafka_setup
	kafka_cmd create empty 4
	run timeout 60 "$DSTREAM" -i "kafka://$BROKERS/empty?offset=beginning&until=end" count
	assert_success
	assert_output 0
	kafka_cmd create old 2
	kafka_produce old 0 a b c
	run timeout 60 "$DSTREAM" -i "kafka://$BROKERS/old?offset=end&until=end" count
	assert_success
	assert_output 0
}

@test "kafka: --json messages are decoded like lines; a bad one is reported with its partition" {
	kafka_setup
	kafka_cmd create js 1
	kafka_produce js 0 '{"u":"a","n":2}' '{"u":"b","n":3}' '{oops' '{"u":"a","n":5}'
	run timeout 60 "$DSTREAM" --json -i "kafka://$BROKERS/js?offset=beginning&until=end" \
	    map '(.u, .n)' then reduceByKey sum
	assert_success
	assert_line --index 0 --regexp "^dstream: json: .*\(kafka://$BROKERS/js\[0\]:3\)$"
	assert_line "$(printf 'a\t7')"
	assert_line "$(printf 'b\t3')"
}

@test "kafka: --csv fields and the text of messages with no trailing newline" {
	kafka_setup
	kafka_cmd create csv 1
	kafka_produce csv 0 'x,"1,5",y' 'z,2,w'
	run timeout 60 "$DSTREAM" --csv -i "kafka://$BROKERS/csv?offset=beginning&until=end" map '$2'
	assert_success
	assert_output "$(printf '1,5\n2')"
}

# ---- meta ----

@test "kafka meta: topic, partition, offset, key, timestamp (seconds), headers" {
	kafka_setup
	kafka_cmd create meta 2
	printf 'k1:hello\n' | timeout 30 kcat -P -b "$BROKERS" -t meta -p 1 -K : -H trace=abc -H empty
	kafka_produce meta 1 "$(printf '1700000000250\tk2\tworld')"
	run timeout 60 "$DSTREAM" -i "kafka://$BROKERS/meta?offset=beginning&until=end" map 'tojson(meta)'
	assert_success
	assert_line --index 0 --regexp '^\{"topic":"meta","partition":1,"offset":0,"key":"k1","timestamp":[0-9.]+,"headers":\{"trace":"abc","empty":null\}\}$'
	assert_line --index 1 '{"topic":"meta","partition":1,"offset":1,"key":"k2","timestamp":1700000000.25,"headers":{}}'
	run timeout 60 "$DSTREAM" -i "kafka://$BROKERS/meta?offset=beginning&until=end" \
	    map 'meta.key .. " " .. x .. " " .. (meta.headers.trace ?? "-") .. " " .. (meta.line ?? "no line")'
	assert_line --index 0 "k1 hello abc no line"
	assert_line --index 1 "k2 world - no line"
}

@test "kafka meta: -e meta.timestamp gives event time from the message timestamp" {
	kafka_setup
	kafka_cmd create mts 1
	kafka_produce mts 0 "$(printf '60000\ta\tx')" "$(printf '61500\tb\ty')" "$(printf '125000\tc\tz')"
	run timeout 60 "$DSTREAM" -e meta.timestamp -b 1m -s \
	    -i "kafka://$BROKERS/mts?offset=beginning&until=end" count
	assert_success
	assert_output "$(printf '1970-01-01T00:02:00Z\t2\n1970-01-01T00:03:00Z\t1')"
}

# ---- event time: a partition is an input ----

@test "kafka event time: each partition has its own watermark; a lagging one's records are not late" {
	kafka_setup
	kafka_cmd create ev 2
	a=() b=()
	for ((t = 10; t <= 100; t += 10)); do a+=("$t a"); b+=("$((t - 5)) b"); done
	kafka_produce ev 0 "${a[@]}"
	kafka_produce ev 1 "${b[@]}"
	run timeout 60 "$DSTREAM" -e '$1' -b 10s -s -i "kafka://$BROKERS/ev?offset=beginning&until=end" \
	    map '$2' then countByValue
	assert_success
	refute_output --partial late
	[ "$(echo "$output" | grep -c "	a	1$")" -eq 10 ]
	[ "$(echo "$output" | grep -c "	b	1$")" -eq 10 ]
	assert_line --index 0 "$(printf '1970-01-01T00:00:10Z\tb\t1')"
	assert_line --index 19 "$(printf '1970-01-01T00:01:50Z\ta\t1')"
}

@test "kafka event time: a silent partition lets go of the watermark after --idle" {
	kafka_setup
	kafka_cmd create idle 2
	kafka_produce idle 0 "10 a" "20 a" "30 a"
	start_dstream -e '$1' -b 10s --idle 1s -s -i "kafka://$BROKERS/idle?offset=beginning" \
	    map '$2' then countByValue
	# Partition 1 says nothing: after --idle the batches partition 0
	# completed come out while the input is still live.
	wait_until grep -q "00:00:20Z	a	1" "$OUT"
	stop_dstream
	assert_equal "$(head -1 "$OUT")" "$(printf '1970-01-01T00:00:20Z\ta\t1')"
}

# ---- groups and offsets ----

@test "kafka group: offsets are stored after each batch; the next run reads only what is new" {
	kafka_setup
	kafka_cmd create grp 3
	kafka_produce grp -1 "$(printf 'k1\ta')" "$(printf 'k2\tb')" "$(printf 'k3\tc')"
	url="kafka://$BROKERS/grp?group=g-offsets&offset=beginning&until=end"
	run timeout 60 "$DSTREAM" -X session.timeout.ms=6000 -i "$url" count
	assert_success
	[ "$(echo "$output" | awk '{ s += $1 } END { print s }')" -eq 3 ]
	run timeout 60 "$DSTREAM" -X session.timeout.ms=6000 -i "$url" count
	assert_success
	[ "$(echo "$output" | awk '{ s += $1 } END { print s }')" -eq 0 ]
	kafka_produce grp -1 "$(printf 'k4\td')" "$(printf 'k5\te')"
	timeout 60 "$DSTREAM" -X session.timeout.ms=6000 -i "$url" map x >got
	run sort got
	assert_output "$(printf 'd\ne')"
	# Another group starts from the beginning.
	run timeout 60 "$DSTREAM" -X session.timeout.ms=6000 \
	    -i "kafka://$BROKERS/grp?group=g-other&offset=beginning&until=end" count
	[ "$(echo "$output" | awk '{ s += $1 } END { print s }')" -eq 5 ]
}

@test "kafka group: a failing run stores nothing; the next run reads the same records again" {
	kafka_setup
	kafka_cmd create fail1 1
	kafka_produce fail1 0 1 2 x 4
	url="kafka://$BROKERS/fail1?group=g-fail&offset=beginning&until=end"
	run timeout 60 "$DSTREAM" -X session.timeout.ms=6000 --on-error fail \
	    -i "$url" map '$1 + 0'
	assert_failure 1
	assert_output --partial 'not a number: "x"'
	run timeout 60 "$DSTREAM" -X session.timeout.ms=6000 -i "$url" map x
	assert_success
	assert_output "$(printf '1\n2\nx\n4')"
}

# ---- errors ----

@test "kafka: an unknown (deleted) topic is a fatal error naming it" {
	kafka_setup
	kafka_cmd create gone 1
	kafka_cmd topicerr gone 3
	run timeout 60 "$DSTREAM" -i "kafka://$BROKERS/gone?offset=beginning&until=end" count
	kafka_cmd topicerr gone 0
	assert_failure 1
	assert_output --partial "topic gone: Broker: Unknown topic or partition"
}

@test "kafka: an authorization error is fatal and says so" {
	kafka_setup
	kafka_cmd create secret 1
	kafka_cmd topicerr secret 29
	run timeout 60 "$DSTREAM" -i "kafka://$BROKERS/secret?offset=beginning&until=end" count
	kafka_cmd topicerr secret 0
	assert_failure 1
	assert_output --partial "Topic authorization failed"
}

@test "kafka group: a topic deleted under a group is fatal" {
	kafka_setup
	kafka_cmd create gone2 1
	kafka_cmd topicerr gone2 3
	run timeout 60 "$DSTREAM" -X topic.metadata.refresh.interval.ms=500 \
	    -X session.timeout.ms=6000 \
	    -i "kafka://$BROKERS/gone2?group=g-gone&until=end" count
	kafka_cmd topicerr gone2 0
	assert_failure 1
	assert_output --partial "topic gone2 does not exist (or was deleted)"
}

@test "kafka: brokers down at start: one message, retried until they are back, nothing lost" {
	kafka_setup
	kafka_cmd create down 2
	kafka_produce down 0 a b
	kafka_produce down 1 c
	kafka_cmd down 1
	kafka_cmd down 2
	kafka_cmd down 3
	start_dstream -i "kafka://$BROKERS/down?offset=beginning&until=end" count
	wait_until grep -q "retrying" "$ERR"
	sleep 2
	kafka_cmd up 1
	kafka_cmd up 2
	kafka_cmd up 3
	for ((i = 0; i < 600; i++)); do kill -0 "$DS_PID" 2>/dev/null || break; sleep 0.1; done
	DS_STATUS=0
	wait "$DS_PID" || DS_STATUS=$?
	[ "$DS_STATUS" -eq 0 ]
	[ "$(grep -c retrying "$ERR")" -eq 1 ]
	grep -q "reconnected" "$ERR"
	[ "$(out_sum)" -eq 3 ]
}


# ---- a group of processes ----

# keys_at_least N FILE...: each of k0..k9 adds up to N or more in FILEs.
keys_at_least() {
	local want=$1
	shift
	cat "$@" 2>/dev/null | awk -F '\t' -v n="$want" '{ s[$1] += $2 } END {
	    for (k = 0; k < 10; k++) if (s["k" k] < n) exit 1 }'
}

# probes R FILE...: the rows of probe round R (key pR) in FILEs add up.
probes() {
	local r=$1
	shift
	cat "$@" 2>/dev/null | awk -F '\t' -v k="p$r" '$1 == k { s += $2 }
	    END { print s + 0 }'
}

# probe_round R: one message keyed pR into each of the 6 partitions of
# g6, then waits until all 6 are counted: every partition has an owner
# that reads it and has written (and committed) what it read before.
# Probes may be counted twice by a rebalance (below): they are left out
# of the totals checked.
probe_round() {
	local p
	for p in 0 1 2 3 4 5; do kafka_produce g6 "$p" "$(printf 'p%d\tx' "$1")"; done
	probes_at_least() { [ "$(probes "$1" out1 out2 out3 out4)" -ge 6 ]; }
	OUT=out1 ERR=err1 wait_until probes_at_least "$1"
}

# keys_exactly N FILE...: each of k0..k9 adds up to exactly N in FILEs.
keys_exactly() {
	local want=$1
	shift
	cat "$@" 2>/dev/null | awk -F '\t' -v n="$want" '$1 ~ /^k/ { s[$1] += $2 }
	    END { for (k = 0; k < 10; k++) if (s["k" k] != n) exit 1 }'
}

# The group below is driven so that every wave of records is read while
# the group is stable: probe rounds before and after each change of
# members show that every partition has an owner again and that each
# member has committed what it wrote.  Then the totals are exact: a
# member killed -9 had committed its records, and its partitions are
# read by the others from there; a member joining takes partitions from
# members that have committed theirs.  What is not exact under the mock
# cluster is a record read in the moment a rebalance begins: librdkafka's
# mock group coordinator refuses every offset commit while the group is
# joining (rd_kafka_mock_cgrp_check_state: OffsetCommit gives
# REBALANCE_IN_PROGRESS in the Joining and Syncing states, where a Kafka
# broker accepts the current generation's commits while it prepares a
# rebalance), so the member giving the partition away cannot hand over
# its last records and the new owner reads them again.  Probes may meet
# that; they are left out of the totals.
@test "kafka group: 3 processes over 6 partitions, one killed (-9) and one started mid-stream: exact per-key totals, all take part" {
	kafka_setup
	kafka_cmd create g6 6
	LIVE_TIMEOUT=90
	opts=(-b 200ms -X session.timeout.ms=6000 -X heartbeat.interval.ms=500
	    -i "kafka://$BROKERS/g6?group=g-three&offset=beginning")
	chain=(map '(meta.key, 1)' then reduceByKey sum)
	: >out4
	pids=()
	for n in 1 2 3; do
		"$DSTREAM" "${opts[@]}" -o "out$n" "${chain[@]}" 2>"err$n" &
		pids+=($!)
	done
	PEERS="${pids[*]}"
	wave() {
		local i msgs=()
		for ((i = 0; i < 100; i++)); do msgs+=("$(printf 'k%d\t%d' $((i % 10)) "$i")"); done
		kafka_produce g6 -1 "${msgs[@]}"
	}
	# Probe until each of the three has partitions: the group is formed.
	r=0
	for ((i = 0; i < 30; i++)); do
		probe_round $((++r))
		[ -s out1 ] && [ -s out2 ] && [ -s out3 ] && break
	done
	[ -s out1 ] && [ -s out2 ] && [ -s out3 ]
	wave
	OUT=out1 ERR=err1 wait_until keys_at_least 10 out1 out2 out3
	probe_round $((++r))
	kill -KILL "${pids[1]}"
	# Its partitions are read again once the group has dropped it.
	probe_round $((++r))
	wave
	OUT=out1 ERR=err1 wait_until keys_at_least 20 out1 out2 out3
	probe_round $((++r))
	"$DSTREAM" "${opts[@]}" -o out4 "${chain[@]}" 2>err4 &
	pids+=($!)
	PEERS="${pids[*]}"
	for ((i = 0; i < 30; i++)); do
		probe_round $((++r))
		grep -q '^p' out4 && break
	done
	grep -q '^p' out4
	wave
	OUT=out1 ERR=err1 wait_until keys_at_least 30 out1 out2 out3 out4
	for p in "${pids[0]}" "${pids[2]}" "${pids[3]}"; do kill -TERM "$p"; done
	for p in "${pids[0]}" "${pids[2]}" "${pids[3]}"; do wait "$p" || true; done
	# Every key's 30 records counted once, by the members together;
	# the restarted member took part (it counted probes).
	keys_exactly 30 out1 out2 out3 out4
	[ "$(cat out1 out2 out3 out4 | grep '^k' | cut -f1 | sort -u | wc -l)" -eq 10 ]
}
