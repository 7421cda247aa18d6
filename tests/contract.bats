#!/usr/bin/env bats
# contract.bats - points of DESIGN.md found astray in an audit, each
# checked against the binary: what is planned is refused by name, bad
# ports are refused, help has no trailing blanks, error messages say a
# thing once, strftime() writes times as --stamp does, and --stats ms= is
# processing time.

load test_helper

@test "--checkpoint and --final, once planned, are options now (issue 11)" {
	run dstream --checkpoint "$BATS_TEST_TMPDIR/state.ckpt" count < /dev/null
	assert_success
	assert_output "0"
	run dstream --final count < /dev/null
	assert_success
	refute_output --partial "not available yet"
}

@test "join and leftOuterJoin, once planned, are operators; unknown ones are refused by name, with status 2" {
	for op in join leftOuterJoin; do
		run dstream help "$op"
		assert_success
		assert_output --partial "$op TABLE"
	done
	run dstream frobnicate
	assert_failure 2
	assert_output --partial "unknown operator 'frobnicate'"
}

@test "kafka:// is an input kind: a bad URL is named (built without Kafka: said so)" {
	run dstream -i kafka://localhost:9092 count
	assert_failure 1
	if [ -f "${KAFKA_MOCK:-$SRCDIR/tests/kafka-mock}" ]; then
		assert_output "dstream: kafka://localhost:9092: expected BROKERS/TOPIC"
	else
		assert_output --partial "built without Kafka"
	fi
}

@test "a port above 65535 is refused, not taken modulo 65536" {
	run dstream -i tcp-listen://:99999 count
	assert_failure 1
	assert_output "dstream: tcp-listen://:99999: bad port '99999' (0 to 65535)"
	run dstream -i udp://127.0.0.1:65536 count
	assert_failure 1
	assert_output --partial "bad port '65536'"
	run dstream -i tcp://localhost:123456789012345678901 count
	assert_failure 1
	assert_output --partial "bad port"
}

@test "help lists operators without trailing blanks" {
	run dstream help
	assert_success
	assert_line "count"
	assert_line "countByValue"
	refute_line --regexp ' $'
	run dstream --help
	assert_line "  groupByKey"
	refute_line --regexp ' $'
	run dstream help count
	assert_line --index 0 "usage: dstream count"
}

@test "a sprintf() error names sprintf once" {
	run dstream map 'sprintf("%d", $1)' <<<'abc'
	assert_success
	assert_output 'dstream: map: sprintf: %d needs a number, not string: "abc" (stdin:1)'
}

@test "strftime() by default writes RFC 3339 as --stamp does: milliseconds only when not zero" {
	run dstream map '(strftime(1763721000), strftime(1763721000.5), strftime(-0.25), strftime(1763721000.0004))' <<<'x'
	assert_success
	assert_output "$(printf '2025-11-21T10:30:00Z\t2025-11-21T10:30:00.500Z\t1969-12-31T23:59:59.750Z\t2025-11-21T10:30:00Z')"
	run dstream map 'time(strftime(1763721000.25)) == 1763721000.25' <<<'x'
	assert_output "true"
}

@test "--stats ms= is the processing time, not the batch interval" {
	# A silent live stream: its empty batches cost next to nothing.
	run bash -c '(echo a; sleep 1.3) | "$DSTREAM" --stats -b 400ms count 2>&1 >/dev/null'
	assert_success
	[ "$(printf '%s\n' "$output" | grep -c '^dstream: batch ')" -ge 3 ]
	printf '%s\n' "$output" | awk '{ sub(/.* ms=/, ""); sub(/ .*/, ""); if ($0 + 0 >= 200) { print "ms=" $0; bad = 1 } } END { exit bad }' ||
	    fail "a silent batch reported 200 ms or more: $output"
}

@test "--watermark takes a zero duration in any unit, as it takes 0" {
	for w in 0 0s 0ms 0.0m; do
		run dstream -e x -w "$w" count <<<'1'
		assert_success
		assert_output "1"
	done
	run dstream -e x -w 0x count <<<'1'
	assert_failure 2
	assert_line --index 0 "dstream: --watermark: bad duration '0x' (examples: 250ms, 1s, 5m, 1h, 1d)"
}
