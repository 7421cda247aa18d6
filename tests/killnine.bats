#!/usr/bin/env bats
# killnine.bats - kill -9 at random moments, then the same command again:
# the -o file must end byte for byte as an uninterrupted run's (issue 11
# item 4), over files, a growing log, a followed file and a folder;
# kills once a run is well under way (the chain holding part of a
# batch), and SIGTERM in the middle of files.  Bounded: a fixed number
# of kills, each run given at most a few seconds.  tests/soak/kill9.sh
# does the same hundreds of times.

load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	# 300k event-time records over 83 hours, 13 keys.
	awk 'BEGIN { for (i = 1; i <= 300000; i++)
	    printf "%d k%d %d\n", 1763683200 + i, (i * 7919) % 13, i % 97 }' \
	    > "$T/big"
}

# kill9_once ARGS...: dstream ARGS killed with SIGKILL after 0 to 80 ms.
kill9_once() {
	local pid
	"$DSTREAM" "$@" 2>> "$T/err" &
	pid=$!
	sleep "0.0$((RANDOM % 9))"
	kill -9 "$pid" 2> /dev/null || true
	wait "$pid" || true
}

# ref_but_last: $T/ref without its last batch, which the watermark of a
# live input (it never ends) has not passed: that batch stays in the
# checkpoint.
ref_but_last() {
	local last
	last=$(tail -n 1 "$T/ref" | cut -f 1)
	grep -v "^$last" "$T/ref" > "$T/ref2"
	mv "$T/ref2" "$T/ref"
}

# handles_term PID: waits (at most 5 s) until process PID catches
# SIGTERM (bit 15 of SigCgt in /proc/PID/status), or has ended.
handles_term() {
	local j mask
	for j in $(seq 1 500); do
		mask=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2> /dev/null)
		[ -n "$mask" ] || return 0
		(( (16#$mask >> 14) & 1 )) && return 0
		sleep 0.01
	done
}

# term_at_ref TENTHS ARGS...: dstream ARGS (writing $T/out) in the
# background, stopped by SIGTERM once $T/out has as many lines as $T/ref
# (or after TENTHS tenths of a second); fails unless it exits with 0.
term_at_ref() {
	local tenths=$1 pid want i
	shift
	"$DSTREAM" "$@" 2>> "$T/err" &
	pid=$!
	want=$(wc -l < "$T/ref")
	for i in $(seq 1 "$tenths"); do
		[ "$(wc -l < "$T/out")" -ge "$want" ] && break
		sleep 0.1
	done
	# $T/out may be whole before this run began (a killed run wrote it
	# all): a SIGTERM before dstream has its handler would kill it.
	handles_term "$pid"
	kill -TERM "$pid"
	wait "$pid"
}

# wait_written PID SIZE: waits (at most 5 s) until $T/out is larger than
# SIZE bytes, or dstream PID has ended.
wait_written() {
	local j
	for j in $(seq 1 500); do
		[ "$(stat -c %s "$T/out")" -gt "$2" ] && break
		kill -0 "$1" 2> /dev/null || break
		sleep 0.01
	done
}

# kill_loop N LOG PIPE...: N runs killed after 0 to 80 ms, then one left
# to finish with --final; compares the output with $T/ref.
kill_loop() {
	local n=$1 log=$2 i
	shift 2
	for i in $(seq 1 "$n"); do
		kill9_once -e '$1' -i "$log" --checkpoint "$T/ck" \
		    --checkpoint-every 0 -o "$T/out" "$@"
	done
	run timeout 60 "$DSTREAM" -e '$1' -i "$log" --checkpoint "$T/ck" \
	    -o "$T/out" --final "$@"
	assert_success
	cmp "$T/ref" "$T/out"
}

@test "kill -9 at random points: windows and counts end byte-identical" {
	dstream -e '$1' -b 1m -i "$T/big" -s map '$2' then window 5m 1m \
	    then countByValue > "$T/ref"
	kill_loop 15 "$T/big" -b 1m -s map '$2' then window 5m 1m then countByValue
	[ "$(wc -l < "$T/out")" -gt 60000 ]
}

@test "kill -9 at random points: updateStateByKey and an invertible window" {
	dstream -e '$1' -b 1m -i "$T/big" -s map '($2, 0 + $3)' \
	    then reduceByKeyAndWindow sum 10m 2m \
	    then updateStateByKey '(state ?? 0) + sum(values)' > "$T/ref"
	kill_loop 15 "$T/big" -b 1m -s map '($2, 0 + $3)' \
	    then reduceByKeyAndWindow sum 10m 2m \
	    then updateStateByKey '(state ?? 0) + sum(values)'
}

@test "kill -9 while the log grows, cut mid-line: no line lost or doubled" {
	dstream -e '$1' -b 1m -i "$T/big" -s map '$2' then countByValue > "$T/ref"
	size=$(stat -c %s "$T/big")
	: > "$T/log"
	for i in $(seq 1 12); do
		# Append up to an arbitrary byte (mostly inside a line).
		head -c $((size * i / 12 - 7 * (i < 12))) "$T/big" | \
		    tail -c +$(($(stat -c %s "$T/log") + 1)) >> "$T/log"
		kill9_once -e '$1' -i "$T/log" --checkpoint "$T/ck" \
		    --checkpoint-every 0 -o "$T/out" -b 1m -s map '$2' \
		    then countByValue
	done
	cmp "$T/big" "$T/log"
	run timeout 60 "$DSTREAM" -e '$1' -i "$T/log" --checkpoint "$T/ck" \
	    -o "$T/out" --final -b 1m -s map '$2' then countByValue
	assert_success
	cmp "$T/ref" "$T/out"
}

@test "kill -9 at random points of a followed file (-F): every batch once" {
	dstream -e '$1' -b 1m -i "$T/big" -s map '$2' then countByValue > "$T/ref"
	for i in $(seq 1 10); do
		kill9_once -F -e '$1' -i "$T/big" --checkpoint "$T/ck" \
		    --checkpoint-every 0 -o "$T/out" -b 1m -s map '$2' \
		    then countByValue
	done
	# The last run reads to the end and is stopped by SIGTERM: every
	# batch but the last (which the watermark has not passed: it stays
	# in the checkpoint) is out, once.
	ref_but_last
	term_at_ref 300 -F -e '$1' -i "$T/big" --checkpoint "$T/ck" \
	    -o "$T/out" -b 1m -s map '$2' then countByValue
	cmp "$T/ref" "$T/out"
}

@test "kill -9 at random points of a folder input (dir://): every file once" {
	dstream -e '$1' -b 1m -i "$T/big" -s map '$2' then countByValue > "$T/ref"
	# Twelve files of 25k records in time order, oldest first by mtime,
	# renamed into the folder one by one: before a run, and during one.
	mkdir "$T/parts" "$T/in"
	split -l 25000 -d "$T/big" "$T/parts/p"
	n=0
	for f in "$T"/parts/p*; do
		n=$((n + 1))
		touch -d "@$((1700000000 + n))" "$f"
	done
	next() {
		local f
		f=$(ls "$T/parts" | head -n 1)
		[ -z "$f" ] || mv "$T/parts/$f" "$T/in/$f"
	}
	next
	for i in $(seq 1 12); do
		"$DSTREAM" -e '$1' -i "dir://$T/in" --from-start \
		    --checkpoint "$T/ck" --checkpoint-every 0 -o "$T/out" \
		    --late-file "$T/late" -b 1m -s map '$2' then countByValue 2>> "$T/err" &
		pid=$!
		sleep "0.0$((RANDOM % 9))"
		[ $((i % 2)) -eq 0 ] && next
		sleep "0.0$((RANDOM % 9))"
		kill -9 "$pid" 2> /dev/null || true
		wait "$pid" || true
		[ $((i % 2)) -eq 1 ] && next
	done
	while [ -n "$(ls "$T/parts")" ]; do next; done
	# The last run reads what is left and is stopped by SIGTERM once its
	# output is all there but the last batch, which the watermark has
	# not passed (a live input never ends): it stays in the checkpoint.
	ref_but_last
	term_at_ref 600 -e '$1' -i "dir://$T/in" --from-start --checkpoint "$T/ck" \
	    -o "$T/out" --late-file "$T/late" -b 1m -s map '$2' then countByValue
	[ "$(wc -l < "$T/out")" -gt 60000 ]
	cmp "$T/ref" "$T/out"
	# A file read again would give only late records (their batches
	# are out): there must be none.
	[ ! -s "$T/late" ]
}

@test "SIGTERM in the middle of files: each run ends at a batch boundary, the next goes on: byte-identical" {
	# A file-only run reads on after the signal until the batch in hand
	# is flushed (the chain holds part of it), then writes the checkpoint.
	awk 'BEGIN { for (i = 1; i <= 1000000; i++)
	    printf "%d k%d %d\n", 1763683200 + i, (i * 7919) % 13, i % 97 }' \
	    > "$T/huge"
	dstream -e '$1' -b 1m -i "$T/huge" -i "$T/big" -s map '$2' \
	    then countByValue > "$T/ref"
	stopped=0
	: > "$T/out"
	for i in $(seq 1 5); do
		s0=$(stat -c %s "$T/out")
		"$DSTREAM" -e '$1' -i "$T/huge" -i "$T/big" --checkpoint "$T/ck" \
		    -o "$T/out" -b 1m -s map '$2' then countByValue \
		    2> "$T/err" &
		pid=$!
		# Once it has written something, it is in the middle.
		wait_written "$pid" "$s0"
		kill -TERM "$pid" 2> /dev/null || true
		status=0
		wait "$pid" || status=$?
		if grep -q "stopped by SIGTERM: checkpoint $T/ck written" "$T/err"
		then
			[ "$status" -eq 0 ]
			stopped=$((stopped + 1))
		fi
		run cat "$T/err"
		refute_output --partial "not written"
	done
	[ "$stopped" -ge 1 ]
	run timeout 60 "$DSTREAM" -e '$1' -i "$T/huge" -i "$T/big" \
	    --checkpoint "$T/ck" -o "$T/out" --final -b 1m -s map '$2' \
	    then countByValue
	assert_success
	cmp "$T/ref" "$T/out"
}

@test "kill -9 in the middle of runs (once each has written): per-batch counts end byte-identical" {
	# The chain holds part of a batch most of the time: a checkpoint
	# taken then would lose it (countByValue keeps nothing across
	# batches), so each run is killed once it is well under way.
	dstream -e '$1' -b 1m -i "$T/big" -s map '$2' then countByValue > "$T/ref"
	: > "$T/out"
	for i in $(seq 1 6); do
		s0=$(stat -c %s "$T/out")
		"$DSTREAM" -e '$1' -i "$T/big" --checkpoint "$T/ck" \
		    --checkpoint-every 0 -o "$T/out" -b 1m -s map '$2' \
		    then countByValue 2>> "$T/err" &
		pid=$!
		wait_written "$pid" "$s0"
		sleep "0.0$((RANDOM % 5))"
		kill -9 "$pid" 2> /dev/null || true
		wait "$pid" || true
	done
	run timeout 60 "$DSTREAM" -e '$1' -i "$T/big" --checkpoint "$T/ck" \
	    -o "$T/out" --final -b 1m -s map '$2' then countByValue
	assert_success
	cmp "$T/ref" "$T/out"
}

# gaps_log FILE: 300k event-time records over 3.5 days, 13 keys, a
# 400 s silence after every 1000th (so sessions close along the way).
gaps_log() {
	awk 'BEGIN { t = 1763683200; for (i = 1; i <= 300000; i++) {
	    t += 1 + (i % 1000 == 0) * 400
	    printf "%d k%d %d\n", t, (i * 7919) % 13, i % 97 } }' > "$1"
}

@test "kill -9 at random points: windows without an inverse, distinct, sessions end byte-identical" {
	gaps_log "$T/gaps"
	for chain in "map (\$2,0+\$3) then reduceByKeyAndWindow max 10m 2m" \
	    "map (\$2,\$3) then reduceByKeyAndWindow distinct 10m 2m" \
	    "map (\$2,0+\$3) then reduceByKeyAndSession sum 90s"; do
		# shellcheck disable=SC2086 # the chain's words
		dstream -e '$1' -b 1m -i "$T/gaps" -s $chain > "$T/ref"
		rm -rf "$T/ck" "$T/out"
		# shellcheck disable=SC2086
		kill_loop 6 "$T/gaps" -b 1m -s $chain
		[ "$(wc -l < "$T/out")" -gt 3000 ]
	done
}

@test "kill -9 at random points with --late-file: every late record written there once" {
	# Every 20th record 200 s behind: late once its batch is out.
	awk 'BEGIN { for (i = 1; i <= 300000; i++)
	    printf "%d k%d\n", 1763683200 + i - (i % 20 == 0) * 200, i % 7 }' \
	    > "$T/late.log"
	dstream -e '$1' -b 1m -i "$T/late.log" --late-file "$T/late.ref" -s \
	    map '$2' then countByValue > "$T/ref"
	[ "$(wc -l < "$T/late.ref")" -gt 10000 ]
	kill_loop 12 "$T/late.log" --late-file "$T/late" -b 1m -s map '$2' \
	    then countByValue
	cmp "$T/late.ref" "$T/late"
}
