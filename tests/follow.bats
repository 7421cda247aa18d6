#!/usr/bin/env bats
# follow.bats - --follow: appends, rename rotation (logrotate's create),
# copytruncate, a file that does not exist yet; with inotify and with
# polling (DSTREAM_NO_INOTIFY).  Every line carries a unique number and the
# output is counted per line, so a lost or repeated line shows.

load test_helper
load live_helper

# lines FROM TO: "line N" for N in FROM..TO, appended to the log.
lines() {
	seq -f 'line %g' "$1" "$2" >>"$LOG"
}

# The check of exact accounting: N distinct lines, each seen once.
exactly() {
	run out_totals
	[ "${#lines[@]}" -eq "$1" ] || fail "$(printf '%s\n' "${lines[@]}" | head) ... expected $1 keys, got ${#lines[@]}"
	run bash -c 'awk -F "\t" "\$2 != 1" <<<"$1"' _ "$(out_totals)"
	assert_output ''
}

follow() {
	LOG=$BATS_TEST_TMPDIR/app.log
	start_dstream -F -i "$LOG" --batch 100ms "$@" countByValue
}

@test "--follow: the standing content, then lines as they are appended" {
	LOG=$BATS_TEST_TMPDIR/app.log
	lines 1 30
	follow
	wait_until eval '[ "$(out_sum_col2)" -eq 30 ]'
	lines 31 40
	wait_until eval '[ "$(out_sum_col2)" -eq 40 ]'
	printf 'line 41\nline 4' >>"$LOG"
	sleep 0.3
	printf '2\n' >>"$LOG"
	wait_until eval '[ "$(out_sum_col2)" -eq 42 ]'
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	exactly 42
}

@test "--follow: the standing content of a file is one batch" {
	LOG=$BATS_TEST_TMPDIR/app.log
	seq 1 300000 >"$LOG"
	start_dstream -F -i "$LOG" --batch 10ms count
	wait_until sum_is 300000
	stop_dstream
	# Not split at some arbitrary tick: one line holds it all.
	run grep -x 300000 "$OUT"
	assert_success
}

rotation() {
	LOG=$BATS_TEST_TMPDIR/app.log
	lines 1 100
	follow
	wait_until eval '[ "$(out_sum_col2)" -eq 100 ]'
	# logrotate "create": rename, the writer still appends to the old
	# file a moment, then a new file at the name.
	mv "$LOG" "$LOG.1"
	seq -f 'line %g' 101 110 >>"$LOG.1"
	lines 111 150
	wait_until eval '[ "$(out_sum_col2)" -eq 150 ]'
	lines 151 160
	wait_until eval '[ "$(out_sum_col2)" -eq 160 ]'
	# A second rotation, with the new file created empty first.
	mv "$LOG" "$LOG.2"
	: >"$LOG"
	sleep 0.3
	lines 161 170
	wait_until eval '[ "$(out_sum_col2)" -eq 170 ]'
	sleep 0.5
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	exactly 170
}

@test "--follow: rename rotation loses and repeats no line" {
	rotation
}

@test "--follow: rename rotation, polling" {
	export DSTREAM_NO_INOTIFY=1
	rotation
}

truncation() {
	LOG=$BATS_TEST_TMPDIR/app.log
	lines 1 100
	follow
	wait_until eval '[ "$(out_sum_col2)" -eq 100 ]'
	# copytruncate: copy, then truncate in place; the writer goes on.
	cp "$LOG" "$LOG.1"
	: >"$LOG"
	sleep 0.5
	lines 101 120
	wait_until eval '[ "$(out_sum_col2)" -eq 120 ]'
	# Truncated again, with truncate(1).
	truncate -s 0 "$LOG"
	sleep 0.5
	lines 121 125
	wait_until eval '[ "$(out_sum_col2)" -eq 125 ]'
	sleep 0.5
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	exactly 125
}

@test "--follow: copytruncate loses and repeats no line" {
	truncation
}

@test "--follow: copytruncate, polling" {
	export DSTREAM_NO_INOTIFY=1
	truncation
}

@test "--follow: a file that does not exist yet is waited for" {
	LOG=$BATS_TEST_TMPDIR/later.log
	start_dstream -F -i "$LOG" --batch 100ms countByValue
	wait_until err_has 'waiting for it'
	sleep 0.3
	lines 1 5
	wait_until eval '[ "$(out_sum_col2)" -eq 5 ]'
	rm "$LOG"
	sleep 0.3
	lines 6 9
	wait_until eval '[ "$(out_sum_col2)" -eq 9 ]'
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	exactly 9
}

@test "--follow: a line left unfinished by a rotation is a record" {
	LOG=$BATS_TEST_TMPDIR/app.log
	printf 'line 1\nline 2' >"$LOG"
	follow
	wait_until eval '[ "$(out_sum_col2)" -eq 1 ]'
	mv "$LOG" "$LOG.1"
	lines 3 3
	# The old file is kept open a little for a late writer, then closed.
	wait_until eval '[ "$(out_sum_col2)" -eq 3 ]'
	stop_dstream
	exactly 3
}

@test "--follow: two followed files together" {
	local a=$BATS_TEST_TMPDIR/a.log b=$BATS_TEST_TMPDIR/b.log
	seq -f 'a %g' 1 3 >"$a"
	seq -f 'b %g' 1 4 >"$b"
	start_dstream -F -i "$a" -i "$b" --batch 100ms count
	wait_until sum_is 7
	seq 1 5 >>"$b"
	seq 1 2 >>"$a"
	wait_until sum_is 14
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
}

@test "--follow: stdin is read as usual and ends" {
	run bash -c 'seq 1 4 | "$DSTREAM" -F count'
	assert_success
	assert_output 4
}

@test "--follow in event time: the standing content's batches are all written before dstream waits" {
	LOG=$BATS_TEST_TMPDIR/app.log
	# 5000 one-second batches: read at once, their output written in
	# large blocks, and all of it before dstream waits for more lines.
	awk 'BEGIN { for (i = 0; i < 5001; i++) print i, "x" }' >"$LOG"
	start_dstream -F -i "$LOG" -e '$1' -b 1s -w 0 count
	wait_until eval '[ "$(wc -l <"$OUT")" -eq 5000 ]'
	run kill -0 "$DS_PID"
	assert_success
	# The last second waits for the watermark: a later line releases it.
	echo '5001 x' >>"$LOG"
	wait_until eval '[ "$(wc -l <"$OUT")" -eq 5001 ]'
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	[ "$(awk '{ s += $1 } END { print s }' "$OUT")" -eq 5002 ]
}

# file_pos PID FILE: the offset PID has read FILE up to (its open fd's pos).
file_pos() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		if [ "$(readlink "$fd")" = "$2" ]; then
			awk '/^pos:/ { print $2 }' "/proc/$1/fdinfo/${fd##*/}"
			return 0
		fi
	done
	echo -1
}

@test "issue 10 item 10: --follow: an unterminated last line is a record at SIGTERM" {
	LOG=$BATS_TEST_TMPDIR/app.log
	lines 1 3
	follow
	wait_until eval '[ "$(out_sum_col2)" -eq 3 ]'
	printf 'partial' >>"$LOG"
	# Read (the fd's offset is at the end) but not a record yet.
	wait_until eval '[ "$(file_pos "$DS_PID" "$LOG")" -eq "$(stat -c %s "$LOG")" ]'
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	run out_totals
	assert_output "$(printf 'line 1\t1\nline 2\t1\nline 3\t1\npartial\t1')"
	[ ! -s "$ERR" ]
}

# in_order N: the output is "line 1" .. "line N", each once, in order (the
# lines as read, one record each).
in_order() {
	run cat "$OUT"
	assert_output "$(seq -f 'line %g' 1 "$1")"
}

# stopped_after N ARGS: lines 1-N in the log, followed by dstream (ARGS
# added; each line a record), stopped by SIGSTOP once it wrote them
# (less $HELD: in event time the last second waits for a later line).
stopped_after() {
	LOG=$BATS_TEST_TMPDIR/app.log
	lines 1 "$1"
	start_dstream -F -i "$LOG" --batch 100ms "${@:2}" map '$0'
	wait_until lines_at_least $(($1 - ${HELD:-0}))
	kill -STOP "$DS_PID"
}

# resumed_until N: dstream goes on (SIGCONT); stopped by SIGTERM once
# it wrote N lines (less $HELD), with status 0.
resumed_until() {
	kill -CONT "$DS_PID"
	wait_until lines_at_least $(($1 - ${HELD:-0}))
	sleep 0.3
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
}

# rotated_twice STYLE ARGS: dstream stopped with lines 101-120 of the
# first file unread, which is rotated, a second file written (121-160)
# and rotated too, and a third (161-170) written, before it runs again;
# every line once, in order.  STYLE numbered: logrotate's default
# (app.log.1 shifted to app.log.2); over: rotate 1 (the second renamed
# over the first, which is unlinked while dstream still holds it open).
rotated_twice() {
	stopped_after 100 "${@:2}"
	lines 101 120
	# Apart in time: a generation is told newer by its modification time.
	sleep 0.05
	mv "$LOG" "$LOG.1"
	lines 121 160
	sleep 0.05
	[ "$1" = numbered ] && mv "$LOG.1" "$LOG.2"
	mv "$LOG" "$LOG.1"
	lines 161 170
	resumed_until 170
	in_order 170
}

@test "--follow: rotated twice before the first rotated file was read: every generation read to its end, in order" {
	rotated_twice numbered
	run cat "$ERR"
	assert_output "dstream: $LOG: rotated again before it was read: reading $LOG.1 whole before $LOG"
}

@test "--follow: rotated twice, polling" {
	export DSTREAM_NO_INOTIFY=1
	rotated_twice numbered
}

@test "--follow: rotated twice, the second renamed over the first (rotate 1): the first, unlinked, read from its open descriptor" {
	rotated_twice over
}

@test "--follow: rotated twice in event time" {
	HELD=1
	rotated_twice numbered -e '1763683200 + $2' -b 1s
}

# copied_twice N: lines N+1 .. 2N written, the file copied and
# truncated (copytruncate), 2N+1 .. 4N written, copied and truncated
# again (the first copy shifted to app.log.2), then 4N+1 .. 4N+M.
copied_twice() {
	lines $(($1 + 1)) $((2 * $1))
	cp "$LOG" "$LOG.1"
	: >"$LOG"
	lines $((2 * $1 + 1)) $((4 * $1))
	sleep 0.05
	mv "$LOG.1" "$LOG.2"
	cp "$LOG" "$LOG.1"
	: >"$LOG"
	lines $((4 * $1 + 1)) $((4 * $1 + $2))
}

@test "--follow: copytruncate twice before the copy was read: the first copy finished, the second read whole, then the file" {
	stopped_after 100
	copied_twice 100 10
	resumed_until 410
	in_order 410
	run cat "$ERR"
	assert_output "dstream: $LOG: rotated again before it was read: reading $LOG.1 whole before $LOG"
}

@test "--follow: copytruncate twice, the file written again past what was read: told by its first bytes" {
	stopped_after 10
	copied_twice 10 20
	resumed_until 60
	in_order 60
}

@test "--follow: more rotated files than are held (8): the oldest skipped, saying how many of its bytes were not read" {
	stopped_after 100
	lines 101 120
	# Nine rotations, logrotate's numbered names: the first file ends as
	# app.log.9, the eight after it as app.log.8 .. app.log.1.
	for g in $(seq 1 9); do
		sleep 0.02
		for i in $(seq $((g - 1)) -1 1); do
			mv "$LOG.$i" "$LOG.$((i + 1))"
		done
		mv "$LOG" "$LOG.1"
		lines $((111 + g * 10)) $((120 + g * 10))
	done
	resumed_until 190
	run cat "$OUT"
	assert_output "$(seq -f 'line %g' 1 100; seq -f 'line %g' 121 210)"
	run grep -c 'rotated again before it was read' "$ERR"
	assert_output 8
	run grep -v 'rotated again' "$ERR"
	assert_output "dstream: $LOG: more than 8 rotated files not read to their end: $LOG.9 skipped, 180 of its 972 bytes not read"
}
