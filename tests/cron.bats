#!/usr/bin/env bats
# cron.bats - cron mode (issue 11 item 6): runs over finite inputs with
# --checkpoint read what the files hold, emit what the watermark closes,
# keep the open windows, exit 0; --final closes them.  The day's log
# processed by many short runs (appends cut mid-line, a rotation in
# between) equals one run with --final.  And files rotated, truncated or
# replaced while dstream was stopped (item 5), followed files and folders
# resumed.

load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	# A web log of two hours: 4000 lines, times increasing, 5 clients.
	awk 'BEGIN { for (i = 0; i < 4000; i++) {
	    t = 1763683200 + int(i * 1.8)
	    printf "10.0.0.%d - - [%s] \"GET /p%d HTTP/1.1\" 200 %d\n", i % 5,
	        strftime("%d/%b/%Y:%H:%M:%S +0000", t, 1), i % 3, 100 + i % 50 } }' \
	    > "$T/day"
}

# A run in the background still up (a test that failed) is killed.
teardown() {
	if [ -n "${pid:-}" ] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
	fi
}

OPTS=(-e 'time($4 .. " " .. $5)' -b 1m -s)
OPS=(map '($1, 0 + $10)' then reduceByKeyAndWindow sum 10m 5m)

@test "20 cron runs over a growing, rotated log give one --final run's output" {
	dstream "${OPTS[@]}" -i "$T/day" -o "$T/ref" "${OPS[@]}"
	size=$(stat -c %s "$T/day")
	: > "$T/app.log"
	done=0
	for i in $(seq 1 20); do
		# The log grows to an arbitrary byte (mostly mid-line).
		upto=$((size * i / 20 - 13 * (i < 20)))
		if [ "$i" -eq 11 ]; then
			# logrotate (create): the rest of the line and a few
			# more go to the old file, which is then renamed.
			cut=$(( $(head -c "$upto" "$T/day" | awk 'END { print NR }') ))
			head -n "$cut" "$T/day" | tail -c +$((done + 1)) >> "$T/app.log"
			done=$(head -n "$cut" "$T/day" | wc -c)
			mv "$T/app.log" "$T/app.log.1"
			: > "$T/app.log"
		fi
		head -c "$upto" "$T/day" | tail -c +$((done + 1)) >> "$T/app.log"
		done=$upto
		final=
		[ "$i" -eq 20 ] && final=--final
		run dstream "${OPTS[@]}" -i "$T/app.log" --checkpoint "$T/ck" \
		    -o "$T/out" $final "${OPS[@]}"
		assert_success
		if [ "$i" -eq 11 ]; then
			assert_output --partial "rotated while dstream was stopped: finishing $T/app.log.1"
		fi
	done
	[ "$(wc -l < "$T/ref")" -gt 100 ]
	cmp "$T/ref" "$T/out"
}

@test "each cron run emits only what the watermark closed, and exits 0" {
	head -n 1000 "$T/day" > "$T/app.log"
	run dstream "${OPTS[@]}" -i "$T/app.log" --checkpoint "$T/ck" "${OPS[@]}"
	assert_success
	first=$output
	# The last window emitted ends before the last record's time
	# (00:29:58): the windows holding it stay open.
	last=$(printf '%s\n' "$first" | tail -n 1 | cut -f 1)
	[ "$last" \< "2025-11-21T00:30:00Z" ]
	run dstream "${OPTS[@]}" -i "$T/app.log" --checkpoint "$T/ck" "${OPS[@]}"
	assert_success
	assert_output ""
	run dstream "${OPTS[@]}" -i "$T/app.log" --checkpoint "$T/ck" --final "${OPS[@]}"
	assert_success
	rest=$output
	[ -n "$rest" ]
	run dstream "${OPTS[@]}" -i "$T/app.log" "${OPS[@]}"
	assert_output "$(printf '%s\n%s' "$first" "$rest")"
}

# Reads $T/app.log in cron mode counting lines per key; prints the output.
cron_count() {
	run dstream -i "$T/app.log" --checkpoint "$T/ck" map '$1' then countByValue "$@"
}

@test "rotation while stopped: the rotated file is finished from its new name, then the new file" {
	printf '%s\n' a a b > "$T/app.log"
	cron_count
	assert_output "$(printf 'a\t2\nb\t1')"
	printf '%s\n' c c >> "$T/app.log"
	mv "$T/app.log" "$T/app.log.1"
	printf '%s\n' d > "$T/app.log"
	cron_count
	assert_success
	assert_line --index 0 "dstream: $T/app.log: rotated while dstream was stopped: finishing $T/app.log.1 from byte 6, then reading $T/app.log from its start"
	assert_line --index 1 "$(printf 'c\t2')"
	assert_line --index 2 "$(printf 'd\t1')"
	# Rotated again: the rotated file of the rotated file is not looked for.
	printf '%s\n' e >> "$T/app.log"
	cron_count
	assert_output "$(printf 'e\t1')"
}

@test "rotation while stopped, in the middle of a rotated file: it is found again under a newer name" {
	printf '%s\n' a b c > "$T/app.log"
	cron_count
	printf '%s\n' d >> "$T/app.log"
	mv "$T/app.log" "$T/app.log.1"
	printf '%s\n' e > "$T/app.log"
	# Stopped by a signal before the rotated file was finished: simulate
	# by a run that fails at once on its output, then rotate once more.
	mv "$T/app.log.1" "$T/app.log.2"
	cron_count
	assert_success
	assert_output --partial "finishing $T/app.log.2 from byte 6"
	assert_output --partial "$(printf 'd\t1\ne\t1')"
}

@test "copytruncate while stopped is detected, reported, and the file read from its start" {
	printf '%s\n' aaaa bbbb cccc > "$T/app.log"
	cron_count
	: > "$T/app.log"		# truncate in place (the copy went elsewhere)
	printf '%s\n' x > "$T/app.log"
	cron_count
	assert_success
	assert_line --index 0 "dstream: $T/app.log: truncated while dstream was stopped (copytruncate?), or replaced by a new file reusing its inode: 2 bytes, less than the 15 already read; reading it from its start (lines written between the copy and the truncation are lost)"
	assert_line --index 1 "$(printf 'x\t1')"
}

@test "a new file in the old one's place (inode reused, or rewritten) is told apart by its head" {
	printf '%s\n' a b > "$T/app.log"
	cron_count
	# Same inode, other content at least as long as what was read.
	printf '%s\n' q r s t > "$T/app.log"
	cron_count
	assert_success
	assert_output --partial "not the file read before (the same inode, other first bytes"
	assert_output --partial "$(printf 'q\t1\nr\t1\ns\t1\nt\t1')"
	# A file gone for good, another in its place: said, and the new one
	# read whole (the file system may give it the old inode: then its
	# head tells it apart).
	cron_count
	rm "$T/app.log"
	printf '%s\n' z > "$T/new"
	mv "$T/new" "$T/app.log"
	cron_count
	assert_success
	assert_output --regexp "is no longer in its folder|reusing its inode"
	assert_line "$(printf 'z\t1')"
}

@test "followed file: stopped by SIGTERM, rotated while stopped, resumed: every line once" {
	printf '%s\n' 1763683200 1763683201 > "$T/app.log"
	"$DSTREAM" -F -e '$1' -i "$T/app.log" --checkpoint "$T/ck" -o "$T/out" \
	    map '"x"' then count 2> "$T/err" &
	pid=$!
	for i in $(seq 1 100); do [ -e "$T/ck/checkpoint" ] && break; sleep 0.05; done
	sleep 0.5
	kill -TERM $pid
	wait $pid
	printf '%s\n' 1763683202 1763683203 >> "$T/app.log"
	mv "$T/app.log" "$T/app.log.1"
	printf '%s\n' 1763683204 > "$T/app.log"
	"$DSTREAM" -F -e '$1' -i "$T/app.log" --checkpoint "$T/ck" -o "$T/out" \
	    map '"x"' then count 2>> "$T/err" &
	pid=$!
	sleep 1
	printf '%s\n' 1763683205 1763683210 >> "$T/app.log"
	sleep 1.5
	kill -TERM $pid
	wait $pid
	run cat "$T/err"
	assert_output --partial "finishing $T/app.log.1 from byte 22"
	# Batches 00:00:01 to 00:00:06, one record each, in order, once;
	# 00:00:11 closed by --idle, or still open.
	run head -n 10 "$T/out"
	assert_output "$(printf '%s\n' 1 1 1 1 1 1 0 0 0 0)"
	rest=$(tail -n +11 "$T/out")
	[ -z "$rest" ] || [ "$rest" = 1 ]

}

@test "followed file rotated again while stopped, the first rotated file read to its end: the second is finished too" {
	# A run stopped within a few seconds of finishing a rotated file
	# keeps it in its checkpoint (a late writer may still add to it);
	# when the file it was reading next is rotated too, that one was
	# "not read (rotated twice)": its tail was lost.
	awk 'BEGIN { for (i = 1; i <= 40000; i++)
	    printf "%d k%d\n", 1763683200 + i, i % 13 }' > "$T/all"
	pipe=(-F -e '$1' -i "$T/log" --checkpoint "$T/ck" -o "$T/out" -b 1m -s
	    map '$2' then countByValue)
	# term_when N: the pipeline stopped by SIGTERM once $T/out has N
	# lines (at most 10 s).
	term_when() {
		local pid i
		"$DSTREAM" "${pipe[@]}" 2>> "$T/err" &
		pid=$!
		for i in $(seq 1 200); do
			[ "$(wc -l < "$T/out" 2>/dev/null || echo 0)" -ge "$1" ] && break
			sleep 0.05
		done
		kill -TERM "$pid"
		wait "$pid"
	}
	dstream -e '$1' -i "$T/all" -b 1m -s map '$2' then countByValue > "$T/ref"
	sed -n 1,10000p "$T/all" > "$T/log"
	term_when 2158
	sed -n 10001,20000p "$T/all" >> "$T/log"
	mv "$T/log" "$T/log.1"
	sed -n 20001,30000p "$T/all" > "$T/log"
	term_when 6500
	sed -n 30001,35000p "$T/all" >> "$T/log"
	mv "$T/log.1" "$T/log.2"
	mv "$T/log" "$T/log.1"
	sed -n 35001,40000p "$T/all" > "$T/log"
	term_when 8658
	run cat "$T/err"
	refute_output --partial "not read"
	# Every batch but the last (the watermark of a live input has not
	# passed it), once.
	head -n 8658 "$T/ref" | cmp - "$T/out"
}

@test "folder input: files done are not read again, files come while stopped are" {
	mkdir "$T/in"
	printf '%s\n' a a > "$T/in/f1"
	"$DSTREAM" -i "dir://$T/in" --from-start --checkpoint "$T/ck" -o "$T/out" \
	    map '$1' then countByValue 2> "$T/err" &
	pid=$!
	for i in $(seq 1 100); do [ -s "$T/out" ] && break; sleep 0.05; done
	sleep 1.2
	kill -TERM $pid
	wait $pid
	printf '%s\n' b > "$T/in/.f2"
	mv "$T/in/.f2" "$T/in/f2"
	"$DSTREAM" -i "dir://$T/in" --checkpoint "$T/ck" -o "$T/out" \
	    map '$1' then countByValue 2>> "$T/err" &
	pid=$!
	for i in $(seq 1 100); do grep -q b "$T/out" && break; sleep 0.05; done
	sleep 1.2
	kill -TERM $pid
	wait $pid
	run cat "$T/out"
	assert_output "$(printf 'a\t2\nb\t1')"
}

# rel FILE: FILE's lines with every RFC 3339 time (the --stamp column, a
# session's start and end) written as milliseconds after the first
# line's stamp, so runs at different times compare.
rel() {
	gawk '
	function ms(s,   a, t) {
		split(s, a, /[-T:Z]/)
		t = mktime(a[1] " " a[2] " " a[3] " " a[4] " " a[5] " " \
		    int(a[6]), 1)
		return t * 1000 + int((a[6] - int(a[6])) * 1000 + 0.5)
	}
	{
		out = ""
		while (match($0, /[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z/)) {
			t = ms(substr($0, RSTART, RLENGTH))
			if (NR == 1 && out == "")
				t0 = t
			out = out substr($0, 1, RSTART - 1) (t - t0)
			$0 = substr($0, RSTART + RLENGTH)
		}
		print out $0
	}' "$1"
}

@test "processing time: the windows a checkpoint holds are emitted at the resume, with their own ends, as one run emits them" {
	seq 1 10 > "$T/ten"
	for ops in 'reduceByKeyAndWindow sum 50ms 10ms' \
	    'reduceByKeyAndWindow max 50ms 10ms' 'countByWindow 50ms 10ms' \
	    'window 30ms 10ms then count' 'reduceByKey sum' \
	    'reduceByKey sum then reduceByKeyAndWindow sum 30ms 10ms' \
	    'reduceByKeyAndWindow sum 30ms 10ms then reduceByKey sum' \
	    'reduceByKeyAndWindow sum 30ms 10ms then reduceByKeyAndWindow sum 30ms 10ms' \
	    'countByKeyAndSession 30ms' \
	    'window 20ms 10ms then countByKeyAndSession 30ms'; do
		rm -rf "$T/ck"
		dstream -b 10ms -i "$T/ten" -s map '(1, 1)' then $ops > "$T/one"
		# Cron mode: the windows still open stay in the checkpoint;
		# the next run starts after their ends have passed.
		dstream -b 10ms -i "$T/ten" --checkpoint "$T/ck" -s \
		    map '(1, 1)' then $ops > "$T/two"
		sleep 0.3
		start=$(date +%s%3N)
		dstream -b 10ms -i "$T/ten" --checkpoint "$T/ck" --final -s \
		    map '(1, 1)' then $ops > "$T/resumed"
		cat "$T/resumed" >> "$T/two"
		echo "== $ops"
		[ "$(wc -l < "$T/one")" -ge 1 ]
		diff <(rel "$T/one") <(rel "$T/two")
		# Stamped with their own ends, before the resumed run began.
		while read -r stamp rest; do
			[ "$(date -d "$stamp" +%s%3N)" -lt "$start" ]
		done < "$T/resumed"
	done
}

@test "processing time: at a resume with new records, the held windows come first, then the new batch's, in time order" {
	seq 1 10 > "$T/log"
	OPS=(map '(1, 1)' then reduceByKeyAndWindow sum 30ms 10ms)
	dstream -b 10ms -i "$T/log" --checkpoint "$T/ck" -s "${OPS[@]}" > "$T/out"
	sleep 0.3
	seq 1 5 >> "$T/log"
	dstream -b 10ms -i "$T/log" --checkpoint "$T/ck" -s "${OPS[@]}" >> "$T/out"
	sleep 0.3
	dstream -b 10ms -i "$T/log" --checkpoint "$T/ck" --final -s \
	    "${OPS[@]}" >> "$T/out"
	run cut -f 2- "$T/out"
	assert_output "$(printf '1\t10\n1\t10\n1\t10\n1\t5\n1\t5\n1\t5')"
	cut -f 1 "$T/out" | sort -c
	# The first run's windows 10 ms apart, as the second run's.
	run rel "$T/out"
	[ "$(sed -n 3p <<< "$output" | cut -f 1)" -eq 20 ]
	[ "$(($(sed -n 6p <<< "$output" | cut -f 1) - $(sed -n 4p <<< "$output" | cut -f 1)))" -eq 20 ]
}

@test "rotated twice while stopped (logrotate's numbered names): the rotated file finished, the next read whole, then the new file" {
	printf '%s\n' a b c > "$T/app.log"
	cron_count
	printf '%s\n' d >> "$T/app.log"
	# Apart in time: a generation is told newer by its modification time.
	sleep 0.05
	mv "$T/app.log" "$T/app.log.1"
	printf '%s\n' e e > "$T/app.log"
	sleep 0.05
	mv "$T/app.log.1" "$T/app.log.2"
	mv "$T/app.log" "$T/app.log.1"
	printf '%s\n' f > "$T/app.log"
	cron_count
	assert_success
	assert_line --index 0 "dstream: $T/app.log: rotated while dstream was stopped: finishing $T/app.log.2 from byte 6, then reading $T/app.log from its start"
	assert_line --index 1 "dstream: $T/app.log: rotated again while dstream was stopped: reading $T/app.log.1 whole before $T/app.log"
	assert_line --index 2 "$(printf 'd\t1')"
	assert_line --index 3 "$(printf 'e\t2')"
	assert_line --index 4 "$(printf 'f\t1')"
	[ "${#lines[@]}" -eq 5 ]
	# Older generations are not read again.
	printf '%s\n' g >> "$T/app.log"
	cron_count
	assert_output "$(printf 'g\t1')"
}

@test "rotated twice while stopped, the second renamed over the first (rotate 1): the first said lost, the second read" {
	printf '%s\n' a b c > "$T/app.log"
	cron_count
	sleep 0.05
	printf '%s\n' d >> "$T/app.log"
	mv "$T/app.log" "$T/app.log.1"
	printf '%s\n' e e > "$T/app.log"
	mv "$T/app.log" "$T/app.log.1"
	printf '%s\n' f > "$T/app.log"
	cron_count
	assert_success
	# The third file may reuse the first's inode: then it is told apart
	# by its head.
	assert_line --index 0 --regexp "^dstream: $T/app.log: (the file read before as $T/app.log \\(inode [0-9]+, read up to byte 6 of 6\\) is no longer in its folder \\(deleted\\)|truncated while dstream was stopped \\(copytruncate\\?\\), or replaced by a new file reusing its inode)"
	assert_line --index 1 "dstream: $T/app.log: rotated again while dstream was stopped: reading $T/app.log.1 whole before $T/app.log"
	assert_line --index 2 "$(printf 'e\t2')"
	assert_line --index 3 "$(printf 'f\t1')"
	[ "${#lines[@]}" -eq 4 ]
}

# follow_ck ARGS: a followed $T/app.log with a checkpoint, each line
# written to $T/out in the background (pid in $pid).
follow_ck() {
	"$DSTREAM" -F -i "$T/app.log" --checkpoint "$T/ck" -o "$T/out" "$@" \
	    map '$0' 2>> "$T/err" &
	pid=$!
}

# out_has N: waits (at most 10 s) until $T/out has N lines.
out_has() {
	local i
	for i in $(seq 1 200); do
		[ "$({ wc -l < "$T/out"; } 2>/dev/null || echo 0)" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# followed_rotated_twice STYLE ARGS: a followed file stopped by SIGTERM
# with lines 1-10 read, then 11-20 added, rotated, 21-30 in a new file,
# rotated again (STYLE numbered: .1 shifted to .2; over: renamed over
# .1, the first gone) and 31-40 in a third, resumed.  LAST: the lines a
# run writes before it is stopped (event time holds the last second).
followed_rotated_twice() {
	local style=$1 more=30
	shift
	# (over: lines 11-20 went with the first file.)
	[ "$style" = over ] && more=20
	seq -f 'line %g' 1 10 > "$T/app.log"
	follow_ck "$@"
	out_has "$LAST"
	sleep 0.3
	kill -TERM $pid
	wait $pid
	seq -f 'line %g' 11 20 >> "$T/app.log"
	sleep 0.05
	mv "$T/app.log" "$T/app.log.1"
	seq -f 'line %g' 21 30 > "$T/app.log"
	sleep 0.05
	# The third file made first, so that it does not take the inode of
	# the first when that one is unlinked (over).
	seq -f 'line %g' 31 40 > "$T/app.log.new"
	[ "$style" = over ] || mv "$T/app.log.1" "$T/app.log.2"
	mv "$T/app.log" "$T/app.log.1"
	mv "$T/app.log.new" "$T/app.log"
	follow_ck "$@"
	out_has $((LAST + more))
	sleep 0.3
	kill -TERM $pid
	wait $pid
	grep -v 'stopped by SIGTERM: checkpoint' "$T/err" > "$T/said" || true
}

@test "followed file rotated twice while stopped: the rotated file finished, the next read whole, then the current, once each" {
	LAST=10
	followed_rotated_twice numbered
	run cat "$T/out"
	assert_output "$(seq -f 'line %g' 1 40)"
	run cat "$T/said"
	assert_output "dstream: $T/app.log: rotated while dstream was stopped: finishing $T/app.log.2 from byte 71, then reading $T/app.log from its start
dstream: $T/app.log: rotated again while dstream was stopped: reading $T/app.log.1 whole before $T/app.log"
}

@test "followed file rotated twice while stopped, event time" {
	LAST=9
	followed_rotated_twice numbered -e '1763683200 + $2' -b 1s
	run cat "$T/out"
	assert_output "$(seq -f 'line %g' 1 39)"
	run cat "$T/said"
	assert_output --partial "finishing $T/app.log.2 from byte 71"
	assert_output --partial "reading $T/app.log.1 whole before $T/app.log"
}

@test "followed file rotated twice while stopped, the first deleted: said, naming it; the second and the current read" {
	LAST=10
	followed_rotated_twice over
	run cat "$T/out"
	assert_output "$(seq -f 'line %g' 1 10; seq -f 'line %g' 21 40)"
	run cat "$T/said"
	assert_line --index 0 --regexp "^dstream: $T/app.log: the file read before as $T/app.log \\(inode [0-9]+, read up to byte 71 of 71\\) is no longer in its folder \\(deleted\\)"
	assert_line --index 1 "dstream: $T/app.log: rotated again while dstream was stopped: reading $T/app.log.1 whole before $T/app.log"
}

@test "copytruncate twice while stopped: the first copy finished from the offset, the second read whole, then the file" {
	printf '%s\n' aaaa bbbb > "$T/app.log"
	cron_count
	printf '%s\n' cccc >> "$T/app.log"
	cp "$T/app.log" "$T/app.log.1"
	: > "$T/app.log"
	printf '%s\n' dddd dddd >> "$T/app.log"
	sleep 0.05
	mv "$T/app.log.1" "$T/app.log.2"
	cp "$T/app.log" "$T/app.log.1"
	: > "$T/app.log"
	printf '%s\n' eeee >> "$T/app.log"
	cron_count
	assert_success
	assert_line --index 0 "dstream: $T/app.log: copied and truncated while dstream was stopped (copytruncate): finishing the copy $T/app.log.2 from byte 10, then reading $T/app.log from its start"
	assert_line --index 1 "dstream: $T/app.log: rotated again while dstream was stopped: reading $T/app.log.1 whole before $T/app.log"
	assert_line --index 2 "$(printf 'cccc\t1')"
	assert_line --index 3 "$(printf 'dddd\t2')"
	assert_line --index 4 "$(printf 'eeee\t1')"
	[ "${#lines[@]}" -eq 5 ]
}
