#!/usr/bin/env bats
# output.bats - where results go: -o FILE (appended, in the -f format
# with --stamp, a write error is status 1 naming the file, a usage error
# creates nothing) and saveAsTextFiles PREFIX [SUFFIX] (one file per
# batch, written under a temporary name and renamed).

load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	# Event-time records in three 10s batches, the middle one empty.
	printf '%s\n' '2025-11-21T00:00:01Z a' '2025-11-21T00:00:02Z b' \
	    '2025-11-21T00:00:03Z a' '2025-11-21T00:00:25Z c' > "$T/in"
}

@test "-o FILE appends across runs" {
	run dstream -i "$T/in" -e '$1' -b 10s -o "$T/out" map '$2' then countByValue
	assert_success
	assert_output ""
	run dstream -i "$T/in" -e '$1' -b 10s --output "$T/out" map '$2' then count
	assert_success
	run cat "$T/out"
	assert_output "$(printf 'a\t2\nb\t1\nc\t1\n3\n0\n1\n')"
}

@test "-o FILE is created with mode 0666 less the umask" {
	(umask 027; printf 'x\n' | dstream -o "$T/out" map '$0')
	run stat -c %a "$T/out"
	assert_output 640
	run cat "$T/out"
	assert_output x
}

@test "-o FILE honours -f and --stamp" {
	run dstream -i "$T/in" -e '$1' -b 10s -f csv -s -o "$T/out" map '$2' then countByValue
	assert_success
	run cat "$T/out"
	assert_output "$(printf '%s\n' 2025-11-21T00:00:10Z,a,2 2025-11-21T00:00:10Z,b,1 2025-11-21T00:00:30Z,c,1)"
	run dstream -i "$T/in" -e '$1' -b 10s -f json -o "$T/j" map '$2' then count
	run cat "$T/j"
	assert_output "$(printf '%s\n' '{"time":"2025-11-21T00:00:10Z","value":3}' '{"time":"2025-11-21T00:00:20Z","value":0}' '{"time":"2025-11-21T00:00:30Z","value":1}')"
}

@test "-o - is stdout" {
	run dstream -i "$T/in" -e '$1' -b 10s -o - map '$2' then count
	assert_success
	assert_output "$(printf '3\n0\n1')"
}

@test "-o FILE after print gets Spark's layout" {
	run dstream -i "$T/in" -e '$1' -b 10s -o "$T/out" map '$2' then print
	assert_success
	run head -3 "$T/out"
	assert_line --index 1 "Time: 1763683210000 ms"
}

@test "-o: a write error (disk full) is status 1 naming the file" {
	[ -w /dev/full ] || skip "no /dev/full"
	run dstream -i "$T/in" -o /dev/full map '$2'
	assert_failure 1
	assert_output --partial "/dev/full: write error: No space left on device"
}

@test "-o: a write failing mid-batch (ulimit -f) is status 1 naming the file; the file keeps whole batches only, and a checkpointed run resumes exactly" {
	# 60k event-time records, 13 keys, one-minute batches.
	awk 'BEGIN { for (i = 1; i <= 60000; i++)
	    printf "%d k%d\n", 1763683200 + i, (i * 7919) % 13 }' > "$T/log"
	dstream -e '$1' -b 1m -i "$T/log" -s map '$2' then countByValue > "$T/ref"
	# A file read whole: its batches are gathered, none made durable
	# before the failure, so none is left (was: 64 KiB ending mid-line,
	# or a kill by SIGXFSZ).
	run bash -c 'ulimit -f 64; "$DSTREAM" -e "\$1" -b 1m -i "$1/log" -s \
	    -o "$1/out" map "\$2" then countByValue' _ "$T"
	assert_failure 1
	assert_output "dstream: $T/out: write error: File too large"
	[ ! -s "$T/out" ]
	# From a pipe each batch is made durable at its end: the file is
	# the batches before the failure, whole.
	run bash -c 'ulimit -f 64; "$DSTREAM" -e "\$1" -b 1m -s -o "$1/out2" \
	    map "\$2" then countByValue < <(cat "$1/log")' _ "$T"
	assert_failure 1
	assert_output "dstream: $T/out2: write error: File too large"
	size=$(stat -c %s "$T/out2")
	[ "$size" -gt 30000 ]
	head -c "$size" "$T/ref" | cmp - "$T/out2"
	# Whole lines, and whole batches: the next line is another batch's.
	[ "$(tail -c 1 "$T/out2")" = "" ]
	last=$(tail -n 1 "$T/out2" | cut -f 1)
	[ "$(tail -c +$((size + 1)) "$T/ref" | head -n 1 | cut -f 1)" != "$last" ]
	# With --checkpoint: runs failing at growing limits, then one with
	# room: the file ends as one uninterrupted run's.
	for kib in 64 128 256; do
		run bash -c 'ulimit -f "$2"; "$DSTREAM" -e "\$1" -b 1m -i "$1/log" \
		    --checkpoint "$1/ck" --checkpoint-every 0 -s -o "$1/out3" \
		    map "\$2" then countByValue' _ "$T" "$kib"
		assert_failure 1
		assert_output --partial "dstream: $T/out3: write error: File too large"
	done
	run dstream -e '$1' -b 1m -i "$T/log" --checkpoint "$T/ck" --final -s \
	    -o "$T/out3" map '$2' then countByValue
	assert_success
	cmp "$T/ref" "$T/out3"
}

# Starts `dstream ARGS...` in the background reading the FIFO $T/fifo,
# held open by this shell (fd 4) until stop_holder, and waits (bounded)
# until the run holds FILE: its lock taken with the file's opening (a
# plain run), or its first checkpoint, in the folder named by ARGS's
# --checkpoint, written (a checkpointed run has the file alone by then).
# (Asking flock(1) would take the lock itself for a moment.)
start_holder() {
	local file=$1 ck=$2 i
	shift 2
	mkfifo "$T/fifo"
	"$DSTREAM" "$@" < "$T/fifo" 4>&- &
	holder=$!
	exec 4>"$T/fifo"
	for i in $(seq 100); do
		if [ -n "$ck" ]; then
			[ -e "$ck/checkpoint" ] && return 0
		elif ls -l "/proc/$holder/fd" 2>/dev/null | grep -q -- "-> $file\$"; then
			sleep 0.2
			return 0
		fi
		sleep 0.1
	done
	echo "the run did not take $file" >&2
	return 1
}

stop_holder() {
	exec 4>&-
	wait "$holder"
	rm -f "$T/fifo"
}

@test "-o FILE with --checkpoint is the run's alone: another run naming it is refused at start; runs without one share a file" {
	start_holder "$T/out" "$T/ck1" --checkpoint "$T/ck1" -o "$T/out" count
	run dstream --checkpoint "$T/ck2" -o "$T/out" count < /dev/null
	assert_failure 1
	assert_output "dstream: -o $T/out: a dstream run with --checkpoint owns it (its resume cuts the file back to its checkpoint, which would cut this run's lines off): give each run its own file"
	run dstream -o "$T/out" count < /dev/null
	assert_failure 1
	assert_output "dstream: -o $T/out: a dstream run with --checkpoint owns it (its resume cuts the file back to its checkpoint, which would cut this run's lines off): give each run its own file"
	# The second checkpointed run was refused before it wrote anything.
	[ ! -e "$T/ck2/checkpoint" ]
	echo x > "$T/fifo"
	stop_holder
	# Plain runs share a file, and the holder's checkpoint is not taken.
	start_holder "$T/out" "" -o "$T/out" count
	run dstream -o "$T/out" count < /dev/null
	assert_success
	run dstream --checkpoint "$T/ck2" -o "$T/out" count < /dev/null
	assert_failure 1
	assert_output "dstream: -o $T/out: another dstream run writes it; with --checkpoint a run owns the file (a resume cuts it back to the checkpoint's length, which would cut the other run's lines off): give each run its own file"
	stop_holder
	# Once the runs are gone the file is free again.
	run dstream --checkpoint "$T/ck1" -o "$T/out" count < /dev/null
	assert_success
	# The holder's count of its one line is there (processing time: the
	# runs' empty batches may add zeros).
	run grep -c -v '^0$' "$T/out"
	assert_output 1
}

@test "--late-file with --checkpoint is the run's alone, as -o FILE" {
	start_holder "$T/late" "$T/ck1" -e '$1' --late-file "$T/late" \
	    --checkpoint "$T/ck1" count
	run dstream -e '$1' --late-file "$T/late" count < /dev/null
	assert_failure 1
	assert_output "dstream: --late-file $T/late: a dstream run with --checkpoint owns it (its resume cuts the file back to its checkpoint, which would cut this run's lines off): give each run its own file"
	run dstream -e '$1' --late-file "$T/late" --checkpoint "$T/ck2" count < /dev/null
	assert_failure 1
	assert_output --partial "dstream: --late-file $T/late: a dstream run with --checkpoint owns it"
	stop_holder
	start_holder "$T/late" "" -e '$1' --late-file "$T/late" count
	run dstream -e '$1' --late-file "$T/late" count < /dev/null
	assert_success
	run dstream -e '$1' --late-file "$T/late" --checkpoint "$T/ck2" count < /dev/null
	assert_failure 1
	assert_output --partial "dstream: --late-file $T/late: another dstream run writes it; with --checkpoint"
	stop_holder
}

@test "-o: a folder, a missing folder, an unwritable file are named, exit 1" {
	run dstream -i "$T/in" -o "$T" count
	assert_failure 1
	assert_output "dstream: -o $T: Is a directory"
	run dstream -i "$T/in" -o "$T/none/out" count
	assert_failure 1
	assert_output "dstream: -o $T/none/out: No such file or directory"
	[ ! -e "$T/none" ]
	printf 'keep\n' > "$T/ro"; chmod 444 "$T/ro"
	as_nobody -i "$T/in" -o "$T/ro" count
	assert_failure 1
	assert_output --partial "-o $T/ro: Permission denied"
	run cat "$T/ro"
	assert_output keep
}

@test "-o: a usage error does not create the file" {
	run dstream -i "$T/in" -o "$T/out" -b nonsense count
	assert_failure 2
	[ ! -e "$T/out" ]
	run dstream -i "$T/in" -o "$T/out" reduceByKey 'a +'
	assert_failure 2
	[ ! -e "$T/out" ]
	run dstream -i "$T/in" -o "$T/out" --late-file "$T/late" count
	assert_failure 2
	[ ! -e "$T/out" ]
}

@test "-o: planned and unknown destination kinds are refused" {
	run dstream -o sqlite: count < /dev/null
	assert_failure 1
	assert_output --partial "no file name"
	run dstream -o 'kafka://localhost:9092/t?group=g' count < /dev/null
	assert_failure 1
	assert_output --regexp "an output takes no query|built without Kafka"
	run dstream -o 'nowhere:x' count < /dev/null
	assert_failure 1
	assert_output --partial "unknown destination"
	[ ! -e nowhere:x ]
}

@test "saveAsTextFiles writes one file per batch, empty ones included" {
	mkdir "$T/o"
	run dstream -i "$T/in" -e '$1' -b 10s map '$2' then countByValue then saveAsTextFiles "$T/o/counts" txt
	assert_success
	# The records pass on to stdout too.
	assert_output "$(printf 'a\t2\nb\t1\nc\t1')"
	run ls -A "$T/o"
	assert_output "$(printf '%s\n' counts-1763683210000.txt counts-1763683220000.txt counts-1763683230000.txt)"
	run cat "$T/o/counts-1763683210000.txt"
	assert_output "$(printf 'a\t2\nb\t1')"
	[ ! -s "$T/o/counts-1763683220000.txt" ]
	run cat "$T/o/counts-1763683230000.txt"
	assert_output "$(printf 'c\t1')"
}

@test "saveAsTextFiles: SUFFIX is optional; -f and --stamp apply; then print" {
	mkdir "$T/o"
	run dstream -i "$T/in" -e '$1' -b 10s -f csv -s map '$2' then count then saveAsTextFiles "$T/o/n" then print
	assert_success
	assert_line "Time: 1763683210000 ms"
	assert_line 3
	run ls -A "$T/o"
	assert_output "$(printf '%s\n' n-1763683210000 n-1763683220000 n-1763683230000)"
	run cat "$T/o/n-1763683210000"
	assert_output "2025-11-21T00:00:10Z,3"
	run cat "$T/o/n-1763683220000"
	assert_output "2025-11-21T00:00:20Z,0"
}

@test "saveAsTextFiles replaces the file of a batch written again" {
	mkdir "$T/o"
	printf 'stale\nlines\n' > "$T/o/c-1763683210000"
	run dstream -i "$T/in" -e '$1' -b 10s map '$2' then saveAsTextFiles "$T/o/c"
	assert_success
	run cat "$T/o/c-1763683210000"
	assert_output "$(printf 'a\nb\na')"
}

@test "saveAsTextFiles in the current folder, windows too" {
	cd "$T"
	run dstream -i "$T/in" -e '$1' -b 10s map '$2' then countByValueAndWindow 20s 10s then saveAsTextFiles w
	assert_success
	[ -f w-1763683210000 ] && [ -f w-1763683220000 ]
	run cat w-1763683220000
	assert_output "$(printf 'a\t2\nb\t1')"
	run ls -A "$T"
	refute_output --partial ".tmp"
}

@test "saveAsTextFiles: a missing or unwritable folder stops the run at start" {
	run dstream -i "$T/in" saveAsTextFiles "$T/none/c" txt
	assert_failure 1
	assert_output "dstream: saveAsTextFiles: $T/none: No such file or directory"
	mkdir "$T/ro"; chmod 555 "$T/ro"
	as_nobody -i "$T/in" map '$2' then saveAsTextFiles "$T/ro/c"
	assert_failure 1
	assert_output "dstream: saveAsTextFiles: $T/ro: Permission denied"
	run ls -A "$T/ro"
	assert_output ""
	run dstream saveAsTextFiles "" < /dev/null
	assert_failure 2
}

@test "saveAsTextFiles: a write error is status 1 and leaves no temporary file" {
	[ -d /dev/shm ] || skip "no /dev/shm"
	# A folder whose files cannot grow: RLIMIT_FSIZE of a few bytes.
	mkdir "$T/o"
	run sh -c 'ulimit -f 0; trap "" XFSZ 2>/dev/null; exec "$0" "$@"' "$DSTREAM" -i "$T/in" map '$2' then saveAsTextFiles "$T/o/c"
	if [ "$status" -eq 0 ]; then skip "the file size limit is not enforced here"; fi
	assert_failure 1
	assert_output --partial "write error"
	run ls -A "$T/o"
	assert_output ""
}
