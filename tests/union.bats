#!/usr/bin/env bats
# union.bats - several inputs in event time are one stream (issue 10 item
# 6): each input its own watermark, the stream's the smallest of those
# that have not ended, files read by turns so memory follows their skew;
# and inputs opened when read (item 9): any number of files under a low
# descriptor limit.  Sockets on 127.0.0.1 only; every wait is bounded.

load test_helper
load live_helper
bats_require_minimum_version 1.5.0

# Two access logs of the same day, two web servers behind one balancer:
# "EPOCH SERVER PATH STATUS", times interleaved, b starting earlier.
two_servers() {
	awk -v d="$1" 'BEGIN { srand(7); t = 1763683200
	    for (i = 0; i < 6000; i++) { t += int(rand() * 3)
		printf "%d a /p%d %d\n", t, i % 7, 200 + (i % 3) * 100 } }' \
	    >"$BATS_TEST_TMPDIR/a.log"
	awk -v d="$1" 'BEGIN { srand(11); t = 1763683200 - 30
	    for (i = 0; i < 5000; i++) { t += int(rand() * 4)
		printf "%d b /p%d %d\n", t, i % 5, 200 + (i % 4) * 100 } }' \
	    >"$BATS_TEST_TMPDIR/b.log"
	sort -s -n -k1,1 "$BATS_TEST_TMPDIR/a.log" "$BATS_TEST_TMPDIR/b.log" \
	    >"$BATS_TEST_TMPDIR/merged.log"
}

@test "event-time union loses nothing: two servers' logs of the same day give what one merged log gives" {
	local d=$BATS_TEST_TMPDIR
	two_servers
	for ops in "map \$3 then countByValue" "count" \
	    "map (\$3,\$4) then countByValueAndWindow 5m 1m"; do
		run --separate-stderr "$DSTREAM" -s -e '$1' -b 1m --stats \
		    -i "$d/a.log" -i "$d/b.log" $ops
		assert_success
		union=$output
		[ "$(grep -c ' late=0 ' <<<"$stderr")" -eq \
		    "$(grep -c ' late=' <<<"$stderr")" ] || fail "$stderr"
		[[ "$stderr" != *"late records"* ]] || fail "$stderr"
		run "$DSTREAM" -s -e '$1' -b 1m -i "$d/merged.log" $ops
		assert_success
		[ "$union" = "$output" ] || fail "$ops: union differs from the merged log"
	done
	# Every record counted once.
	run "$DSTREAM" -e '$1' -b 1m -i "$d/a.log" -i "$d/b.log" count
	[ "$(awk '{ s += $1 } END { print s }' <<<"$output")" -eq 11000 ]
}

@test "event-time union loses nothing: the issue's JSON case, b's earlier records kept" {
	local d=$BATS_TEST_TMPDIR
	awk 'BEGIN { for (i = 0; i < 300; i++)
	    printf "{\"t\":%d,\"x\":\"a%d\"}\n", 1000 + i / 10, i }' >"$d/a.jsonl"
	awk 'BEGIN { for (i = 0; i < 300; i++)
	    printf "{\"t\":%.1f,\"x\":\"b%d\"}\n", 999 + i / 10, i }' >"$d/b.jsonl"
	run --separate-stderr "$DSTREAM" -j -e .t -b 1 -s -i "$d/a.jsonl" \
	    -i "$d/b.jsonl" map .x
	assert_success
	[ -z "$stderr" ] || fail "$stderr"
	[ "${#lines[@]}" -eq 600 ]
	# Each record in the batch of its own time.
	run bash -c 'cat "$1" "$2" | "$DSTREAM" -j -e .t -b 1 -s -w 1h map .x |
	    sort' _ "$d/a.jsonl" "$d/b.jsonl"
	local merged=$output
	run bash -c '"$DSTREAM" -j -e .t -b 1 -s -i "$1" -i "$2" map .x | sort' \
	    _ "$d/a.jsonl" "$d/b.jsonl"
	[ "$output" = "$merged" ]
}

# peer_open: a client of 127.0.0.1:$PORT that sends what is written to
# fd 8 and stays connected until fd 8 is closed.
peer_open() {
	mkfifo "$BATS_TEST_TMPDIR/peer"
	socat -u "OPEN:$BATS_TEST_TMPDIR/peer" "TCP:127.0.0.1:$PORT" 3>&- &
	PEERS=$!
	exec 8>"$BATS_TEST_TMPDIR/peer"
}

@test "event-time union loses nothing: a slow socket beside a file holds the watermark, nothing late" {
	local d=$BATS_TEST_TMPDIR
	awk 'BEGIN { for (t = 100; t < 110; t++) print t, "f" }' >"$d/f"
	# A generous --idle: the socket, slow but not silent, holds the
	# watermark; the file's records wait for it.
	start_dstream -e '$1' -b 1s --idle 20s -i tcp-listen://127.0.0.1:0 \
	    -i "$d/f" count
	PORT=$(listen_port)
	peer_open
	echo '102 s' >&8; sleep 0.3; echo '105 s' >&8; sleep 0.3
	echo '108 s' >&8
	# The socket at 108: the batches up to it are out while it is open.
	wait_until lines_at_least 8
	sleep 0.3
	run cat "$OUT"
	assert_output "$(printf '1\n1\n2\n1\n1\n2\n1\n1')"
	stop_dstream
	exec 8>&-
	[ "$DS_STATUS" -eq 0 ]
	run cat "$OUT"
	assert_output "$(printf '1\n1\n2\n1\n1\n2\n1\n1\n2\n1')"
	[[ "$(cat "$ERR")" != *late* ]] || fail "$(cat "$ERR")"
}

@test "event-time union loses nothing: a socket that never speaks does not hold a file for ever (--idle)" {
	local d=$BATS_TEST_TMPDIR
	awk 'BEGIN { for (t = 100; t < 110; t++) print t, "f" }' >"$d/f"
	start_dstream -e '$1' -b 1s --idle 300ms -i tcp-listen://127.0.0.1:0 \
	    -i "$d/f" count
	# Silent for --idle since the start, the socket holds nothing: the
	# file's batches come out, the last one when the stream has been
	# silent for --idle.
	wait_until eval '[ "$(out_sum)" -eq 10 ]'
	run kill -0 "$DS_PID"
	assert_success
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	[ "$(out_sum)" -eq 10 ]
}

@test "event-time union loses nothing: an input that ends early releases the watermark" {
	local d=$BATS_TEST_TMPDIR fifo=$BATS_TEST_TMPDIR/fifo
	mkfifo "$fifo"
	OUT=$d/out ERR=$d/err
	# --idle 1h: only the pipe's end can release the watermark it holds.
	"$DSTREAM" -e '$1' -b 1s --idle 1h -i - -i tcp-listen://127.0.0.1:0 \
	    count <"$fifo" >"$OUT" 2>"$ERR" 3>&- &
	DS_PID=$!
	exec 7>"$fifo"
	PORT=$(listen_port)
	peer_open 7>&-
	printf '1 x\n2 y\n6 z\n' >&8
	printf '1 a\n2 b\n' >&7
	# The pipe holds the watermark at 2: the batch of 1 is complete.
	wait_until lines_at_least 1
	sleep 0.3
	run cat "$OUT"
	assert_output 2
	# The pipe ends: the socket alone holds it, at 6.
	exec 7>&-
	wait_until lines_at_least 5
	run kill -0 "$DS_PID"
	assert_success
	stop_dstream
	exec 8>&-
	[ "$DS_STATUS" -eq 0 ]
	run cat "$OUT"
	assert_output "$(printf '2\n2\n0\n0\n0\n1')"
}

# Peak RSS in KiB of dstream --stats ARGS (ASan's quarantine off).
peak_rss() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" \
	    "$DSTREAM" --stats "$@" 2>&1 >/dev/null |
	    sed -n 's/.*rss_kb=//p' | sort -n | tail -1
}

@test "event-time union loses nothing: two big files with a small skew are read by turns, memory bounded by the skew" {
	local d=$BATS_TEST_TMPDIR alone union
	# 25 MB each, the same hours, b 20 s behind a.
	awk 'BEGIN { for (i = 0; i < 400000; i++)
	    printf "%d.%02d a %060d\n", 1000000 + i / 100, i % 100, i }' >"$d/a"
	awk 'BEGIN { for (i = 0; i < 400000; i++)
	    printf "%d.%02d b %060d\n", 999980 + i / 100, i % 100, i }' >"$d/b"
	alone=$(peak_rss -e '$1' -b 10s -i "$d/a" count)
	union=$(peak_rss -e '$1' -b 10s -i "$d/a" -i "$d/b" count)
	# Read one after the other, b would wait whole (25 MB and more).
	[ "$union" -lt $((alone + 12000)) ] || fail "alone $alone KiB, union $union KiB"
	run --separate-stderr "$DSTREAM" -e '$1' -b 10s -i "$d/a" -i "$d/b" count
	assert_success
	[ -z "$stderr" ] || fail "$stderr"
	[ "$(awk '{ s += $1 } END { print s }' <<<"$output")" -eq 800000 ]
}

@test "processing time: several files are still read one after another" {
	local d=$BATS_TEST_TMPDIR
	printf '3 a\n1 b\n' >"$d/x"; printf '2 c\n' >"$d/y"
	run dstream -i "$d/x" -i "$d/y" -i "$d/x" map '$2'
	assert_output "$(printf 'a\nb\nc\na\nb')"
}

# Makes N small files in $BATS_TEST_TMPDIR/many, the time of each line
# its file's number modulo 7, and their -i arguments in ARGS.
many_files() {
	local i
	mkdir -p "$BATS_TEST_TMPDIR/many"
	ARGS=()
	for ((i = 1; i <= $1; i++)); do
		printf '%d f%d\n%d g%d\n' $((i % 7)) "$i" $((i % 7 + 1)) "$i" \
		    >"$BATS_TEST_TMPDIR/many/f$i"
		ARGS+=(-i "$BATS_TEST_TMPDIR/many/f$i")
	done
}

@test "inputs opened when read: 200 files under ulimit -n 64, processing time" {
	many_files 200
	run bash -c 'ulimit -n 64 && "$DSTREAM" "$@" count' _ "${ARGS[@]}"
	assert_success
	assert_output 400
	run bash -c 'ulimit -n 64 && "$DSTREAM" "$@" map "\$2"' _ "${ARGS[@]}"
	assert_success
	# In the order given.
	[ "$output" = "$(for ((i = 1; i <= 200; i++)); do printf 'f%d\ng%d\n' "$i" "$i"; done)" ]
}

@test "inputs opened when read: 200 files under ulimit -n 64, event time by turns" {
	many_files 200
	run --separate-stderr bash -c 'ulimit -n 64 && "$DSTREAM" -e "\$1" -b 1s "$@" count' _ "${ARGS[@]}"
	assert_success
	[ -z "$stderr" ] || fail "$stderr"
	local union=$output
	run bash -c 'cat "$1"/* | sort -n | "$DSTREAM" -e "\$1" -b 1s count' _ "$BATS_TEST_TMPDIR/many"
	[ "$union" = "$output" ]
}

@test "inputs opened when read: files closed and reopened by turns read on where they stopped" {
	local d=$BATS_TEST_TMPDIR/big k args=()
	mkdir -p "$d"
	# Ten files of 600 KB, times interleaved: each turn reads a chunk
	# of one, and at most 4 are open (ulimit -n 32).
	for k in 0 1 2 3 4 5 6 7 8 9; do
		awk -v k=$k 'BEGIN { for (i = 0; i < 12000; i++)
		    printf "%d.%d h%d /p%d %040d\n", i / 10, k, k, (i * 7 + k) % 13, i }' \
		    >"$d/f$k"
		args+=(-i "$d/f$k")
	done
	run --separate-stderr bash -c 'ulimit -n 32 && "$DSTREAM" -s -e "\$1" -b 10s "$@" map "\$4" then countByValue' _ "${args[@]}"
	assert_success
	[ -z "$stderr" ] || fail "$stderr"
	local union=$output
	run bash -c 'sort -s -n -k1,1 "$1"/f* | "$DSTREAM" -s -e "\$1" -b 10s map "\$4" then countByValue' _ "$d"
	[ "$union" = "$output" ]
	[ "$(awk -F '\t' '{ s += $3 } END { print s }' <<<"$union")" -eq 120000 ]
}

@test "inputs opened when read: a missing file is still an error at start, before any output" {
	printf '1\n' >"$BATS_TEST_TMPDIR/a"
	run --separate-stderr dstream -i "$BATS_TEST_TMPDIR/a" -i "$BATS_TEST_TMPDIR/nope" map x
	assert_failure 1
	assert_output ''
	[[ "$stderr" == *"$BATS_TEST_TMPDIR/nope: No such file or directory"* ]] || fail "$stderr"
}

@test "inputs opened when read: a file gone before its turn is named when its turn comes, exit 1" {
	local fifo=$BATS_TEST_TMPDIR/fifo
	mkfifo "$fifo"
	printf 'z\n' >"$BATS_TEST_TMPDIR/f"
	"$DSTREAM" -i - -i "$BATS_TEST_TMPDIR/f" map x <"$fifo" \
	    >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local pid=$! status=0
	exec 7>"$fifo"
	printf 's\n' >&7
	sleep 0.2
	rm "$BATS_TEST_TMPDIR/f"
	exec 7>&-
	wait "$pid" || status=$?
	[ "$status" -eq 1 ]
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output --partial "$BATS_TEST_TMPDIR/f: No such file or directory"
}
