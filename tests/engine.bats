#!/usr/bin/env bats
# engine.bats - batches and time: processing-time batches on the epoch
# clock, event time, watermark, late records, --stats, --idle.

load test_helper

@test "processing time: batches end on multiples of --batch and are stamped with their end" {
	run bash -c '(echo a; sleep 0.7; echo b) | "$DSTREAM" -s -b 250ms count'
	assert_success
	# Every stamp is a multiple of 250 ms, and they rise by 250 ms.
	run bash -c '(echo a; sleep 0.7; echo b) | "$DSTREAM" -f json -b 250ms count'
	while read -r line; do
		[[ $line =~ \"time\":\"[0-9-]+T[0-9:]+(\.(250|500|750))?Z\" ]]
	done <<< "$output"
	# Two records in all, counted in batches; at least 3 batches over 0.7 s.
	total=$(printf '%s\n' "$output" | sed 's/.*"value"://; s/}//' | awk '{s+=$1} END{print s}')
	[ "$total" -eq 2 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -ge 3 ]
}

@test "processing time: when input ends the open batch closes at once" {
	start=$(date +%s%N)
	run bash -c 'printf "a\n" | "$DSTREAM" -b 1h count'
	end=$(date +%s%N)
	assert_output "1"
	# Generous bound: far less than the hour-long batch.
	[ $(( (end - start) / 1000000 )) -lt 30000 ]
}

@test "event time: records go to the batch of their own time, in time order" {
	run bash -c 'printf "10 a\n11 b\n12 a\n13 a\n15 b\n" | "$DSTREAM" -s -e "\$1" -b 2s map "\$2" then countByValue'
	assert_success
	assert_output "$(printf '1970-01-01T00:00:12Z\ta\t1\n1970-01-01T00:00:12Z\tb\t1\n1970-01-01T00:00:14Z\ta\t2\n1970-01-01T00:00:16Z\tb\t1')"
}

@test "event time: empty batches between data give count 0" {
	run bash -c 'printf "1\n5\n" | "$DSTREAM" -e "\$1" -b 1s count'
	assert_output "$(printf '1\n0\n0\n0\n1')"
}

@test "event time: out-of-order input within the watermark is placed in its batch" {
	run bash -c 'printf "10\n12\n11\n13\n" | "$DSTREAM" -s -e "\$1" -b 1s -w 2s count'
	assert_output "$(printf '1970-01-01T00:00:11Z\t1\n1970-01-01T00:00:12Z\t1\n1970-01-01T00:00:13Z\t1\n1970-01-01T00:00:14Z\t1')"
}

@test "event time: a record older than the watermark is late: counted, written to --late-file, not counted in a batch" {
	late=$BATS_TEST_TMPDIR/late
	run bash -c "printf '10 a\n11 b\n14 a\n9 late\n13 a\n' | \"\$DSTREAM\" -e '\$1' -b 2s -w 1s --late-file '$late' --stats count"
	assert_success
	assert_line "2"
	assert_line --regexp 'late=1'
	run cat "$late"
	assert_output "9 late"
}

@test "event time: with watermark 0 a record behind the newest batch is late" {
	run bash -c 'printf "10\n20\n15\n" | "$DSTREAM" -e "\$1" -b 5s --stats count 2>&1 >/dev/null | grep -c "late=1"'
	assert_output "1"
}

@test "event time: ISO 8601 and CLF times are auto-detected" {
	run bash -c 'printf "2025-11-21T00:00:01Z\n2025-11-21T00:00:03.5+00:00\n" | "$DSTREAM" -s -e x -b 2s count'
	assert_output "$(printf '2025-11-21T00:00:02Z\t1\n2025-11-21T00:00:04Z\t1')"
	run bash -c 'printf "[21/Nov/2025:00:00:01 +0000] x\n" | "$DSTREAM" -s -e "substr(\$0, 1, 26)" -b 1m count'
	assert_output "$(printf '2025-11-21T00:01:00Z\t1')"
}

@test "event time: --time-format parses with a strptime format" {
	run bash -c 'printf "21.11.2025 00:00:30\n" | "$DSTREAM" -s -e x --time-format "%d.%m.%Y %H:%M:%S" -b 1m count'
	assert_output "$(printf '2025-11-21T00:01:00Z\t1')"
}

@test "event time: an unparseable time is a per-record error, skipped; fatal with --on-error fail" {
	run bash -c 'printf "10\nnot-a-time\n11\n" | "$DSTREAM" -e x -b 5s count'
	assert_success
	assert_line "2"
	assert_line --partial "event-time: not a time"
	assert_line --partial "stdin:2"
	run bash -c 'printf "10\nnot-a-time\n11\n" | "$DSTREAM" --on-error fail -e x -b 5s count'
	assert_failure 1
}

@test "event time: a bad --event-time expression is a usage error" {
	run dstream -e 'len(' count
	assert_failure 2
	assert_output --partial "--event-time"
}

@test "event time: a silent live stream advances by the wall clock after --idle" {
	fifo=$BATS_TEST_TMPDIR/fifo; mkfifo "$fifo"
	out=$BATS_TEST_TMPDIR/out
	"$DSTREAM" -e x -b 1s --idle 300ms count < "$fifo" > "$out" 3>&- &
	pid=$!
	exec 7> "$fifo"
	printf '100.5\n' >&7
	for i in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
	run head -1 "$out"
	kill -TERM "$pid"; exec 7>&-; wait "$pid" || true
	assert_output "1"
}

@test "event time: a jump over a huge empty stretch is skipped with a note" {
	run bash -c 'printf "10\n9000000000\n" | "$DSTREAM" -e x -b 1s count'
	assert_success
	assert_line --partial "jumps over more than"
	[ "$(printf '%s\n' "$output" | grep -c '^0$')" -lt 200000 ]
}

@test "--stats prints one line per batch on stderr" {
	run bash -c 'printf "1\n2\n3\n" | "$DSTREAM" -e x -b 1s --stats count 2>&1 >/dev/null'
	assert_success
	[ "$(printf '%s\n' "$output" | grep -c '^dstream: batch ')" -eq 3 ]
	assert_line --regexp 'in=[0-9]+ out=[0-9]+ late=0 skipped=0 long=0 ms=[0-9]+ keys=[0-9]+ rss_kb=[0-9]+'
}

@test "a file whose reading crosses batch ends gives one total and no empty batch after it" {
	seq 1 2000000 > "$BATS_TEST_TMPDIR/n"
	for i in 1 2 3 4 5; do
		run dstream -b 10ms -i "$BATS_TEST_TMPDIR/n" count
		assert_output "2000000"
	done
}

@test "an event-time expression that gives no time names the record" {
	run bash -c 'printf "x\n" | "$DSTREAM" -e "time(x)" count'
	assert_output --partial 'gave null, not a time, for the record: "x" (stdin:1)'
}

@test "an expression error shows the record once" {
	run bash -c 'echo x | "$DSTREAM" map .a'
	assert_output "dstream: map: '.a': not an object: \"x\" (stdin:1)"
}

@test "--stats adds up the counters of every input" {
	f=$BATS_TEST_TMPDIR/f
	{ seq 1 60; printf '%0200d\n' 0; echo x; } > "$f"
	# Two inputs, each 61 records in (the long line is not one), one long
	# line, one record error.
	run bash -c '"$DSTREAM" --stats --max-line 100 -b 1h -i "$1" -i "$1" \
	    map "num(\$1) * 2" then count 2>&1 >/dev/null | grep -o "in=[0-9]* .*long=[0-9]*"' _ "$f"
	assert_output "in=122 out=1 late=0 skipped=2 long=2"
}
