#!/usr/bin/env bats
# checkpoint.bats - --checkpoint DIR: Spark's CheckpointSuite as restart
# tests (run some batches, stop, append, resume: every batch's output
# exactly once), what the folder holds, and every way a checkpoint is
# refused (corrupt, truncated, foreign, old version, another pipeline,
# other inputs), a torn write, a folder in use, disk full during a
# write, signals, and the options' usage errors.

load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	# 30 one-second event-time batches of keyed values, epoch seconds.
	awk 'BEGIN { for (i = 0; i < 300; i++)
	    printf "%d k%d %d\n", 1763683200 + int(i / 10), (i * 7) % 5, i % 11 }' \
	    > "$T/all"
	head -n 100 "$T/all" > "$T/p1"
	sed -n '101,220p' "$T/all" > "$T/p2"
	sed -n '221,$p' "$T/all" > "$T/p3"
}

# restart PIPE...: the pipeline over the whole log in one run, against
# three runs with a checkpoint, the log growing between them (the last
# with --final): the output must be the same bytes.
restart() {
	rm -rf "$T/ck" "$T/out" "$T/ref"
	dstream -e '$1' -i "$T/all" -o "$T/ref" "$@"
	: > "$T/log"
	cat "$T/p1" >> "$T/log"
	run dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -o "$T/out" "$@"
	assert_success
	cat "$T/p2" >> "$T/log"
	run dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -o "$T/out" "$@"
	assert_success
	cat "$T/p3" >> "$T/log"
	run dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -o "$T/out" \
	    --final "$@"
	assert_success
	[ -s "$T/ref" ]
	cmp "$T/ref" "$T/out"
}

@test "restart: map + reduceByKey, every batch once" {
	restart -s map '($2, 0 + $3)' then reduceByKey sum
}

@test "restart: invertible reduceByKeyAndWindow, every window once" {
	restart -s map '($2, 0 + $3)' then reduceByKeyAndWindow sum 5s 1s
	restart -s map '($2, 0 + $3)' then reduceByKeyAndWindow 'a + b' 'a - b' 4s 2s
}

@test "restart: updateStateByKey keeps its state across runs" {
	restart -s map '($2, 0 + $3)' then updateStateByKey '(state ?? 0) + sum(values)'
	# The output really holds running totals over all three parts.
	run tail -n 1 "$T/out"
	assert_output --regexp $'\tk4\t[0-9]+$'
}

@test "restart: saveAsTextFiles writes each batch's file once" {
	mkdir "$T/ref.d" "$T/out.d"
	dstream -e '$1' -i "$T/all" -o /dev/null map '$2' then countByValue \
	    then saveAsTextFiles "$T/ref.d/b" txt
	: > "$T/log"
	for p in p1 p2 p3; do
		cat "$T/$p" >> "$T/log"
		run dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -o /dev/null \
		    $([ $p = p3 ] && echo --final) map '$2' then countByValue \
		    then saveAsTextFiles "$T/out.d/b" txt
		assert_success
	done
	run diff -r "$T/ref.d" "$T/out.d"
	assert_success
	[ "$(ls "$T/out.d" | wc -l)" -eq 30 ]
}

@test "restart: windows open at the end of a run are kept, not emitted, until --final" {
	printf '%s\n' '1763683200 a' '1763683201 a' '1763683204 b' > "$T/log"
	run dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -s map '$2' then countByValue
	assert_success
	# The watermark (the last time) closed the first two batches only.
	assert_output "$(printf '2025-11-21T00:00:01Z\ta\t1\n2025-11-21T00:00:02Z\ta\t1')"
	run dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -s map '$2' then countByValue
	assert_success
	assert_output ""
	run dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" --final -s map '$2' then countByValue
	assert_success
	assert_output "$(printf '2025-11-21T00:00:05Z\tb\t1')"
}

@test "a processing-time run resumes where its files stopped" {
	printf '%s\n' a b a > "$T/log"
	run dstream -i "$T/log" --checkpoint "$T/ck" countByValue
	assert_success
	assert_output "$(printf 'a\t2\nb\t1')"
	printf '%s\n' c a >> "$T/log"
	run dstream -i "$T/log" --checkpoint "$T/ck" countByValue
	assert_success
	assert_output "$(printf 'a\t1\nc\t1')"
	run dstream -i "$T/log" --checkpoint "$T/ck" countByValue
	assert_success
	assert_output ""
}

@test "an unterminated last line waits for its end, and --final takes it as it is" {
	printf '1763683200 a\n1763683201 b\n1763683202 c' > "$T/log"
	run dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -s map '$2' then countByValue
	assert_success
	assert_output "$(printf '2025-11-21T00:00:01Z\ta\t1')"
	printf 'x\n1763683203 d' >> "$T/log"
	run dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -s map '$2' then countByValue
	assert_success
	assert_output "$(printf '2025-11-21T00:00:02Z\tb\t1')"
	run dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" --final -s map '$2' then countByValue
	assert_success
	assert_output "$(printf '2025-11-21T00:00:03Z\tcx\t1\n2025-11-21T00:00:04Z\td\t1')"
}

@test "the folder holds one versioned, checksummed file and a lock" {
	run dstream -e '$1' -i "$T/p1" --checkpoint "$T/ck" count
	assert_success
	run ls "$T/ck"
	assert_output "$(printf 'checkpoint\nlock')"
	run head -c 8 "$T/ck/checkpoint"
	assert_output "DSTRSNAP"
}

# A checkpoint to spoil, and the pipeline that wrote it.
ck_made() {
	dstream -e '$1' -i "$T/p1" --checkpoint "$T/ck" -o "$T/out" \
	    map '($2, 0 + $3)' then reduceByKeyAndWindow sum 5s 1s
	cp "$T/out" "$T/out.before"
}
ck_rerun() {
	run dstream -e '$1' -i "$T/p1" --checkpoint "$T/ck" -o "$T/out" \
	    map '($2, 0 + $3)' then reduceByKeyAndWindow sum 5s 1s
}

@test "a corrupt checkpoint is refused, saying so and how to start afresh; the output is left alone" {
	ck_made
	size=$(stat -c %s "$T/ck/checkpoint")
	printf 'Z' | dd of="$T/ck/checkpoint" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
	ck_rerun
	assert_failure 1
	assert_output --partial "checkpoint $T/ck"
	assert_output --partial "checksum"
	assert_output --partial "remove $T/ck to start afresh"
	cmp "$T/out" "$T/out.before"
}

@test "a truncated checkpoint is refused" {
	ck_made
	truncate -s 60 "$T/ck/checkpoint"
	ck_rerun
	assert_failure 1
	assert_output --partial "checkpoint $T/ck"
	assert_output --partial "remove $T/ck to start afresh"
	: > "$T/ck/checkpoint"
	ck_rerun
	assert_failure 1
	assert_output --partial "remove $T/ck to start afresh"
}

@test "a foreign file is refused as not a checkpoint" {
	ck_made
	printf 'hello, world\n%.0s' $(seq 1 20) > "$T/ck/checkpoint"
	ck_rerun
	assert_failure 1
	assert_output --partial "magic"
	assert_output --partial "remove $T/ck to start afresh"
}

@test "a checkpoint of another format version is refused, naming both versions" {
	ck_made
	# The version is the u32 after the 8-byte magic.
	printf '\x07' | dd of="$T/ck/checkpoint" bs=1 seek=8 conv=notrunc 2>/dev/null
	ck_rerun
	assert_failure 1
	assert_output --partial "version 7"
	assert_output --partial "remove $T/ck to start afresh"
}

@test "another pipeline is refused, naming what changed, arguments of stateful operators included" {
	ck_made
	run dstream -e '$1' -i "$T/p1" --checkpoint "$T/ck" -o "$T/out" \
	    map '($2, 0 + $3)' then reduceByKeyAndWindow 'a + b' 5s 1s
	assert_failure 1
	assert_output --partial "operator 2: 'reduceByKeyAndWindow sum 5s 1s' in the checkpoint, 'reduceByKeyAndWindow \"a + b\" 5s 1s' now;"
	assert_output --partial "remove $T/ck to start afresh"
	run dstream -e '$1' -b 2s -i "$T/p1" --checkpoint "$T/ck" -o "$T/out" \
	    map '($2, 0 + $3)' then reduceByKeyAndWindow sum 6s 2s
	assert_failure 1
	assert_output --partial "batch interval: '1000 ms' in the checkpoint, '2000 ms' now"
	run dstream -e '0 + $1' -i "$T/p1" --checkpoint "$T/ck" -o "$T/out" \
	    map '($2, 0 + $3)' then reduceByKeyAndWindow sum 5s 1s
	assert_failure 1
	assert_output --partial "time: 'event time \$1' in the checkpoint, 'event time 0 + \$1' now"
	run dstream -e '$1' -i "$T/p1" --checkpoint "$T/ck" -o "$T/other" \
	    map '($2, 0 + $3)' then reduceByKeyAndWindow sum 5s 1s
	assert_failure 1
	assert_output --partial "output: '$T/out' in the checkpoint, '$T/other' now"
	run dstream -e '$1' -i "$T/p1" --checkpoint "$T/ck" -o "$T/out" \
	    map '($2, 0 + $3)' then reduceByKeyAndWindow sum 5s 1s then count
	assert_failure 1
	assert_output --partial "another pipeline"
	cmp "$T/out" "$T/out.before"
	# A stateless operator's arguments may change.
	run dstream -e '$1' -i "$T/p1" --checkpoint "$T/ck" -o "$T/out" \
	    map '($2, 1 + $3)' then reduceByKeyAndWindow sum 5s 1s
	assert_success
}

@test "an expression reducer is fingerprinted by its text" {
	printf '1763683200 a 1\n' > "$T/log"
	dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -o "$T/out" \
	    map '($2, 0 + $3)' then updateStateByKey '(state ?? 0) + sum(values)'
	run dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -o "$T/out" \
	    map '($2, 0 + $3)' then updateStateByKey '(state ?? 0) + 2 * sum(values)'
	assert_failure 1
	assert_output --partial "'updateStateByKey \"(state ?? 0) + sum(values)\"' in the checkpoint, 'updateStateByKey \"(state ?? 0) + 2 * sum(values)\"' now"
}

@test "other inputs are refused, naming the input" {
	ck_made
	cp "$T/p1" "$T/q1"
	run dstream -e '$1' -i "$T/q1" --checkpoint "$T/ck" -o "$T/out" \
	    map '($2, 0 + $3)' then reduceByKeyAndWindow sum 5s 1s
	assert_failure 1
	assert_output --partial "its input 1 is '$T/p1', this run's is '$T/q1'"
	run dstream -e '$1' -i "$T/p1" -i "$T/q1" --checkpoint "$T/ck" -o "$T/out" \
	    map '($2, 0 + $3)' then reduceByKeyAndWindow sum 5s 1s
	assert_failure 1
	assert_output --partial "written for 1 input, this run has 2"
}

@test "a torn write (the temporary file left) resumes from the last good checkpoint" {
	cat "$T/p1" > "$T/log"
	dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -o "$T/out" \
	    map '($2, 0 + $3)' then reduceByKey sum
	head -c 100 "$T/ck/checkpoint" > "$T/ck/checkpoint.tmp"
	cat "$T/p2" "$T/p3" >> "$T/log"
	run dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -o "$T/out" --final \
	    map '($2, 0 + $3)' then reduceByKey sum
	assert_success
	assert_output --partial "removed checkpoint.tmp"
	[ ! -e "$T/ck/checkpoint.tmp" ]
	dstream -e '$1' -i "$T/all" map '($2, 0 + $3)' then reduceByKey sum > "$T/ref"
	cmp "$T/ref" "$T/out"
}

@test "an output file shorter than the checkpoint says is refused" {
	ck_made
	: > "$T/out"
	ck_rerun
	assert_failure 1
	assert_output --partial "shorter than the"
	assert_output --partial "remove the checkpoint to start afresh"
}

@test "a folder in use by another run is refused" {
	printf '1763683200 a\n' > "$T/log"
	"$DSTREAM" -F -e '$1' -i "$T/log" --checkpoint "$T/ck" count > /dev/null 2>&1 &
	pid=$!
	for i in $(seq 1 100); do [ -e "$T/ck/checkpoint" ] && break; sleep 0.05; done
	run dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" count
	kill $pid; wait $pid || true
	assert_failure 1
	assert_output "dstream: --checkpoint $T/ck: in use by another dstream run"
}

@test "SIGTERM: stop reading, process what was read, write the checkpoint, exit 0; the next run goes on" {
	printf '%s\n' '1763683200 a' '1763683201 b' > "$T/log"
	"$DSTREAM" -F -e '$1' -i "$T/log" --checkpoint "$T/ck" -o "$T/out" -s \
	    map '$2' then countByValue 2> "$T/err" &
	pid=$!
	for i in $(seq 1 100); do [ -e "$T/ck/checkpoint" ] && break; sleep 0.05; done
	sleep 0.3
	printf '%s\n' '1763683202 c' >> "$T/log"
	sleep 0.3
	kill -TERM $pid
	status=0
	wait $pid || status=$?
	[ "$status" -eq 0 ]
	run cat "$T/err"
	assert_output --partial "stopped by SIGTERM: checkpoint $T/ck written"
	printf '%s\n' '1763683203 d' >> "$T/log"
	run dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -o "$T/out" -s --final \
	    map '$2' then countByValue
	assert_success
	run cat "$T/out"
	assert_output "$(printf '%s\n' '2025-11-21T00:00:01Z	a	1' '2025-11-21T00:00:02Z	b	1' \
	    '2025-11-21T00:00:03Z	c	1' '2025-11-21T00:00:04Z	d	1')"
}

@test "disk full during a checkpoint write: status 1, the old checkpoint stays valid" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
	mkdir "$T/small"
	mount -t tmpfs -o size=64k tmpfs "$T/small" || skip "cannot mount tmpfs here"
	cat "$T/p1" > "$T/log"
	run dstream -e '$1' -i "$T/log" --checkpoint "$T/small/ck" -o "$T/out" \
	    map '($2, 1)' then updateStateByKey 'state ?? 1'
	assert_success
	cp "$T/small/ck/checkpoint" "$T/good"
	# Fill the file system, then give the state many keys to save.
	dd if=/dev/zero of="$T/small/fill" bs=1k count=64 2>/dev/null || true
	awk 'BEGIN { for (i = 0; i < 3000; i++) printf "1763683230 key%d\n", i }' >> "$T/log"
	run dstream -e '$1' -i "$T/log" --checkpoint "$T/small/ck" -o "$T/out" \
	    map '($2, 1)' then updateStateByKey 'state ?? 1'
	assert_failure 1
	assert_output --partial "checkpoint $T/small/ck"
	assert_output --partial "No space left on device (the last checkpoint stays as it was)"
	cmp "$T/good" "$T/small/ck/checkpoint"
	[ ! -e "$T/small/ck/checkpoint.tmp" ]
	umount "$T/small"
}

@test "a file cut short under a run (the batch in hand partly processed): no checkpoint at the end, the next run is exact" {
	# The run lets into the chain the records of batches its files'
	# last lines promise; the file is cut (copytruncate) while it is
	# read, so the batch in hand is never completed: the checkpoint of
	# the end is not written, and the next run (the file restored) goes
	# on from the last one, cutting -o FILE back to it.
	awk 'BEGIN { for (i = 1; i <= 1000000; i++)
	    printf "%d k%d %d\n", 1763683200 + i, (i * 7919) % 13, i % 97 }' \
	    > "$T/whole"
	pipe=(-b 1m -s map '($2, 0 + $3)' then reduceByKeyAndWindow sum 10m 2m
	    then updateStateByKey '(state ?? 0) + sum(values)')
	dstream -e '$1' -i "$T/whole" "${pipe[@]}" > "$T/ref"
	half=$(($(stat -c %s "$T/whole") / 2 - 5))
	for try in 1 2 3; do
		rm -rf "$T/ck" "$T/out"
		cp "$T/whole" "$T/log"
		"$DSTREAM" -e '$1' -i "$T/log" --checkpoint "$T/ck" \
		    --checkpoint-every 0 -o "$T/out" "${pipe[@]}" 2> "$T/err" &
		pid=$!
		for i in $(seq 1 500); do
			[ -s "$T/out" ] && break
			sleep 0.01
		done
		kill -STOP "$pid"
		truncate -s "$half" "$T/log"
		kill -CONT "$pid"
		status=0
		wait "$pid" || status=$?
		[ "$status" -eq 0 ]
		# Read past the cut before it came: try again.
		grep -q "not written at the end: a batch was partly processed" \
		    "$T/err" && break
	done
	run cat "$T/err"
	assert_output --partial "dstream: checkpoint $T/ck: not written at the end: a batch was partly processed; the next run goes on from the last one"
	[ "$(stat -c %s "$T/out")" -lt "$(stat -c %s "$T/ref")" ]
	cp "$T/whole" "$T/log"
	run timeout 60 "$DSTREAM" -e '$1' -i "$T/log" --checkpoint "$T/ck" \
	    -o "$T/out" --final "${pipe[@]}"
	assert_success
	cmp "$T/ref" "$T/out"
}

@test "usage: --checkpoint-every needs --checkpoint, --header is refused with it, durations are checked" {
	run dstream --checkpoint-every 5s count
	assert_failure 2
	assert_output --partial "--checkpoint-every needs --checkpoint"
	run dstream --checkpoint "$T/ck" --checkpoint-every soon count
	assert_failure 2
	assert_output --partial "--checkpoint-every: bad duration 'soon'"
	run dstream --checkpoint "$T/ck" --header count
	assert_failure 2
	assert_output --partial "--header cannot be used with --checkpoint"
	run dstream --checkpoint "" count
	assert_failure 2
	[ ! -e "$T/ck" ]
}

@test "a checkpoint folder that cannot be made is a runtime error naming it" {
	run dstream --checkpoint "$T/no/such/ck" count < /dev/null
	assert_failure 1
	assert_output "dstream: --checkpoint $T/no/such/ck: No such file or directory"
}
