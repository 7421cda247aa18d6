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

# ---- issue 10 items 1 and 2: what a signal leaves of the output ----

# wait_gone PID: waits (at most 10 s) for PID to exit; its status in rc,
# or fails after killing it.
wait_gone() {
	local pid=$1
	if ! timeout 10 tail --pid="$pid" -f /dev/null; then
		kill -KILL "$pid"
		wait "$pid" || true
		fail "dstream did not exit within 10 s of the signal"
	fi
	rc=0
	wait "$pid" || rc=$?
}

# drain_stopped SIG ARGS...: `seq 3 | dstream ARGS countByWindow 1000d 1s`
# (86.4M trailing windows), sent SIG once the drain has printed 1000 of
# them; it must exit within 10 s, status 128+SIG.
drain_stopped() {
	local sig=$1 i
	shift
	out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	seq 3 | "$DSTREAM" "$@" countByWindow 1000d 1s >"$out" 2>"$err" &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		[ "$(wc -l <"$out")" -ge 1000 ] && break
		sleep 0.05
	done
	kill -"$sig" "$pid"
	wait_gone "$pid"
}

@test "issue 10 item 1: SIGTERM during the drain of trailing windows ends it promptly, and says so" {
	drain_stopped TERM
	[ "$rc" -eq 143 ]
	run head -1 "$out"
	assert_output 3
	run cat "$err"
	assert_output --regexp '^dstream: stopped by SIGTERM: trailing windows after [0-9T:.Z-]+ not emitted$'
	# Far fewer than the 86.4M windows a full drain prints.
	[ "$(wc -l <"$out")" -lt 50000000 ]
}

@test "issue 10 item 1: SIGINT during the drain in event time does the same" {
	drain_stopped INT -e x -b 1s
	[ "$rc" -eq 130 ]
	run head -3 "$out"
	assert_output "$(printf '1\n2\n3')"
	run cat "$err"
	assert_output --regexp '^dstream: stopped by SIGINT: trailing windows after [0-9T:.Z-]+ not emitted$'
}

# read_pos PID FILE: the offset PID has read FILE up to (its fd's pos), or -1.
read_pos() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		if [ "$(readlink "$fd" 2>/dev/null)" = "$2" ]; then
			awk '/^pos:/ { print $2 }' "/proc/$1/fdinfo/${fd##*/}" 2>/dev/null
			return 0
		fi
	done
	echo -1
}

# blocked_cut ARGS...: dstream ARGS reads a 3M-line file into a stdout
# nobody reads yet, so it stops mid-file on a full pipe; SIGTERM comes
# then, and only then is the output read: reading stops where it was.
blocked_cut() {
	local fifo=$BATS_TEST_TMPDIR/ofifo i
	big=$BATS_TEST_TMPDIR/big.log
	out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	seq 1 3000000 | awk '{ print $1, $1 % 7 }' >"$big"
	mkfifo "$fifo"
	"$DSTREAM" -i "$big" "$@" >"$fifo" 2>"$err" 3>&- &
	pid=$!
	exec 7<"$fifo"
	# Once it has read some of the file (bounded wait), and a little
	# more: by then its writes are held up by the full pipe.
	for ((i = 0; i < 200; i++)); do
		[ "$(read_pos "$pid" "$big")" -gt 0 ] && break
		sleep 0.05
	done
	sleep 0.3
	kill -TERM "$pid"
	timeout 10 cat <&7 >"$out" || true
	exec 7<&-
	wait_gone "$pid"
}

@test "issue 10 item 2: SIGTERM mid-file: stderr names the line reading stopped at, the batch is partial, status 143" {
	blocked_cut map x
	[ "$rc" -eq 143 ]
	n=$(wc -l <"$out")
	[ "$n" -gt 0 ] && [ "$n" -lt 3000000 ]
	# Every line read is processed, and the message says how many.
	run cat "$err"
	assert_output "dstream: stopped by SIGTERM: $big read up to line $n; the last batch is partial"
	run tail -1 "$out"
	assert_output "$n $((n % 7))"
}

@test "issue 10 item 2: SIGTERM mid-file in event time: stderr names the first partial batch" {
	blocked_cut -e '$1 / 100000' -b 1s map '$1'
	[ "$rc" -eq 143 ]
	n=$(wc -l <"$out")
	[ "$n" -gt 0 ] && [ "$n" -lt 3000000 ]
	# Line n is at n/100000 s: the batches from the one holding it on
	# are partial.
	run cat "$err"
	assert_output "dstream: stopped by SIGTERM: $big read up to line $n; the batches from 1970-01-01T00:00:$(printf %02d $((n / 100000 + 1)))Z on are partial"
}

@test "issue 10 item 2: SIGTERM before a file's turn: it is named as not read, windows still open are emitted once" {
	fifo=$BATS_TEST_TMPDIR/fifo; mkfifo "$fifo"
	out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	seq 1 10 >"$BATS_TEST_TMPDIR/later"
	"$DSTREAM" -b 100ms --stats -i - -i "$BATS_TEST_TMPDIR/later" \
	    countByWindow 1h 1h <"$fifo" >"$out" 2>"$err" 3>&- &
	pid=$!
	exec 7>"$fifo"
	printf 'a\nb\nc\n' >&7
	# Once the batch holding a, b, c has ended (bounded wait).
	for ((i = 0; i < 200; i++)); do
		grep -q ' in=3 ' "$err" && break
		sleep 0.05
	done
	kill -TERM "$pid"
	wait_gone "$pid"
	exec 7>&-
	[ "$rc" -eq 143 ]
	# The hour's window holding a, b, c is emitted, though open.
	run cat "$out"
	assert_output 3
	run grep '^dstream: stopped' "$err"
	assert_line --index 0 "dstream: stopped by SIGTERM: stdin read up to line 3, $BATS_TEST_TMPDIR/later not read; the last batch is partial"
	assert_line --index 1 --regexp '^dstream: stopped by SIGTERM: trailing windows after .* not emitted$'
	[ "${#lines[@]}" -eq 2 ]
}

@test "issue 10 item 2: a live-only run stopped by SIGTERM is a normal stop (status 0)" {
	signalled TERM $'a\nb\n' count
	run cat "$out"
	assert_output 2
}

@test "issue 10 item 10: a pipe's unterminated last line is a record at a stop and at its end, with --checkpoint too" {
	signalled TERM $'a\nb\npart' map '$0'
	run cat "$out"
	assert_output "$(printf 'a\nb\npart')"
	run bash -c 'printf "a\nb\npart" | "$DSTREAM" map "\$0"'
	assert_success
	assert_output "$(printf 'a\nb\npart')"
	run bash -c 'printf "a\nb\npart" | "$DSTREAM" --checkpoint "$BATS_TEST_TMPDIR/ck" map "\$0"'
	assert_success
	assert_output "$(printf 'a\nb\npart')"
}
