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
