#!/usr/bin/env bats
# decode.bats - the decoding step: the bytes of one record into a value
# (text, --json, --csv with --header), and above all --header per input:
# each input's first line names its own fields, whatever the other inputs
# say and whenever its records reach the operators.

load test_helper
load live_helper
bats_require_minimum_version 1.5.0

@test "--header per input: two files with their columns in other orders" {
	printf 'name,age\nbob,41\n' > "$BATS_TEST_TMPDIR/a.csv"
	printf 'age,name\n30,amy\n' > "$BATS_TEST_TMPDIR/b.csv"
	run dstream --csv --header -i "$BATS_TEST_TMPDIR/a.csv" \
	    -i "$BATS_TEST_TMPDIR/b.csv" map '$name .. ":" .. $age'
	assert_success
	assert_output "$(printf 'bob:41\namy:30')"
}

@test "--header per input: records waiting for their batch keep their input's header" {
	# Event time, a watermark holding every batch open until the end:
	# a.csv's records reach map after b.csv's header was read.
	printf 't,name\n1,a1\n5,a5\n' > "$BATS_TEST_TMPDIR/a.csv"
	printf 'name,t\nb2,2\n' > "$BATS_TEST_TMPDIR/b.csv"
	run dstream --csv --header -e '$t' -b 1s --watermark 10s \
	    -i "$BATS_TEST_TMPDIR/a.csv" -i "$BATS_TEST_TMPDIR/b.csv" \
	    map '$name .. "@" .. $t'
	assert_success
	assert_output "$(printf 'a1@1\nb2@2\na5@5')"
}

@test "--header per input: \$(\"name\") too" {
	printf 'k v\nx 1\n' > "$BATS_TEST_TMPDIR/a.txt"
	printf 'v k\n2 y\n' > "$BATS_TEST_TMPDIR/b.txt"
	run dstream --header -e '$("v")' -b 1s --watermark 10s \
	    -i "$BATS_TEST_TMPDIR/b.txt" -i "$BATS_TEST_TMPDIR/a.txt" \
	    map '$("k")'
	assert_success
	assert_output "$(printf 'x\ny')"
}

@test "--header per input: two clients of a listening socket, interleaved" {
	local fifo=$BATS_TEST_TMPDIR/fifo
	start_dstream --csv --header -b 100ms -i tcp-listen://127.0.0.1:0 \
	    map '$name .. ":" .. $age'
	PORT=$(listen_port)
	mkfifo "$fifo"
	socat -u - "TCP:127.0.0.1:$PORT" < "$fifo" &
	PEERS=$!
	exec 7> "$fifo"
	printf 'name,age\nbob,41\n' >&7
	wait_until out_has '^bob:41$'
	printf 'age,name\n30,amy\n' | socat -u - "TCP:127.0.0.1:$PORT"
	wait_until out_has '^amy:30$'
	printf 'carl,7\n' >&7
	wait_until out_has '^carl:'
	exec 7>&-
	stop_dstream
	run cat "$OUT"
	assert_output "$(printf 'bob:41\namy:30\ncarl:7')"
}

@test "--header: a header line ending in CR names its last field without it" {
	run dstream --csv --header map '$age + 1' < <(printf 'name,age\r\nbob,41\r\n')
	assert_success
	assert_output "42"
}

@test "--json: blank lines (CR, tabs, spaces) are no records; CR ends a line" {
	run --separate-stderr dstream -j map '.a' < <(printf '{"a":1}\r\n\r\n \t \n\n{"a":2}\n')
	assert_success
	assert_output "$(printf '1\n2')"
	[ -z "$stderr" ]
}

@test "--json: a malformed record is a per-record error naming its input and line" {
	run --separate-stderr dstream -j map '.a' < <(printf '{"a":1}\n{"a":\n{"a":3}\n')
	assert_success
	assert_output "$(printf '1\n3')"
	[[ $stderr == *"json: "*"(stdin:2)"* ]]
}
