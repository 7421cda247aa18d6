#!/usr/bin/env bats
# signals.bats - SIGPIPE/EPIPE, write errors, SIGINT/SIGTERM.

load test_helper

@test "dstream | head -1 exits promptly and silently" {
	run timeout 20 bash -c 'seq 1 2000000 | "$DSTREAM" map x 2>&1 | head -1'
	assert_success
	assert_output "1"
	run timeout 20 bash -c 'seq 1 2000000 | "$DSTREAM" map x 2>"$BATS_TEST_TMPDIR/err" | head -1 >/dev/null; cat "$BATS_TEST_TMPDIR/err"'
	assert_output ""
}

@test "a write error (stdout is /dev/full) exits 1 with a message" {
	[ -w /dev/full ] || skip "no /dev/full"
	run bash -c 'seq 1 10 | "$DSTREAM" map x > /dev/full'
	assert_failure 1
	assert_output --partial "write error"
}

# signalled SIG INPUT OPERATOR...: runs dstream with hour-long batches on
# a pipe fed INPUT that stays open, sends SIG half a second later, and
# requires exit status 0; the output is left in $out.
signalled() {
	local sig=$1 input=$2 pid rc
	shift 2
	fifo=$BATS_TEST_TMPDIR/fifo; mkfifo "$fifo"
	out=$BATS_TEST_TMPDIR/out
	"$DSTREAM" -b 1h "$@" < "$fifo" > "$out" 3>&- &
	pid=$!
	exec 7> "$fifo"
	printf '%s' "$input" >&7
	sleep 0.5
	kill -"$sig" "$pid"
	timeout 10 tail --pid="$pid" -f /dev/null
	wait "$pid"; rc=$?
	exec 7>&-
	[ "$rc" -eq 0 ]
}

@test "SIGTERM finishes the batch in hand, flushes and exits 0" {
	signalled TERM $'a\nb\nc\n' count
	run cat "$out"
	assert_output "3"
}

@test "SIGINT does the same" {
	signalled INT $'x\nx\n' countByValue
	run cat "$out"
	assert_output "$(printf 'x\t2')"
}

@test "each batch is written and flushed at its end (a pipe sees it at once)" {
	fifo=$BATS_TEST_TMPDIR/fifo; mkfifo "$fifo"
	out=$BATS_TEST_TMPDIR/out
	"$DSTREAM" -b 200ms count < "$fifo" > "$out" 3>&- &
	pid=$!
	exec 7> "$fifo"
	printf 'a\n' >&7
	# Within 5 s the batch holding "a" must be on disk while dstream still runs.
	for i in $(seq 50); do grep -qx 1 "$out" 2>/dev/null && break; sleep 0.1; done
	run grep -cx 1 "$out"
	kill -TERM "$pid"; exec 7>&-; wait "$pid" || true
	assert_output "1"
}
