#!/usr/bin/env bats
# window.bats - Spark's window operations: window, countByWindow,
# reduceByWindow, reduceByKeyAndWindow, countByValueAndWindow and
# groupByKeyAndWindow.
#
# Most cases run in event time with the time in $1 as epoch seconds and
# 1s batches, so the output is exact: a window ending at T covers
# [T-L, T) and is stamped T (--stamp).  The processing-time cases at the
# end use 100ms batches and assert only what cannot depend on timing.

load test_helper

T() { printf '1970-01-01T00:00:%02dZ' "$1"; }

# The common input: time, key, value.
data() {
	printf '10 a 1\n10 b 2\n11 a 3\n13 c 4\n17 a 5\n'
}

# ev ARGS...: dstream in event time ($1), 1s batches, stamped.
ev() {
	timeout 30 "$DSTREAM" --stamp --event-time '$1' --batch 1s "$@"
}

@test "window: a 3s window sliding every 1s gives the records of each window" {
	run ev window 3 1 < <(data)
	assert_success
	assert_output "$(T 11)	10 a 1
$(T 11)	10 b 2
$(T 12)	10 a 1
$(T 12)	10 b 2
$(T 12)	11 a 3
$(T 13)	10 a 1
$(T 13)	10 b 2
$(T 13)	11 a 3
$(T 14)	11 a 3
$(T 14)	13 c 4
$(T 15)	13 c 4
$(T 16)	13 c 4
$(T 18)	17 a 5
$(T 19)	17 a 5
$(T 20)	17 a 5"
}

@test "reduceByKeyAndWindow: basic sliding sum, keys sorted" {
	run ev map '($2, num($3))' then reduceByKeyAndWindow sum 3 1 < <(data)
	assert_success
	assert_output "$(T 11)	a	1
$(T 11)	b	2
$(T 12)	a	4
$(T 12)	b	2
$(T 13)	a	4
$(T 13)	b	2
$(T 14)	a	3
$(T 14)	c	4
$(T 15)	c	4
$(T 16)	c	4
$(T 18)	a	5
$(T 19)	a	5
$(T 20)	a	5"
}

@test "reduceByKeyAndWindow: tumbling window (L = S)" {
	run ev map '($2, num($3))' then reduceByKeyAndWindow sum 2 2 < <(data)
	assert_success
	assert_output "$(T 12)	a	4
$(T 12)	b	2
$(T 14)	c	4
$(T 18)	a	5"
}

@test "countByWindow: a window much larger than the slide" {
	run ev countByWindow 10 2 < <(data)
	assert_success
	assert_output "$(T 12)	3
$(T 14)	4
$(T 16)	4
$(T 18)	5
$(T 20)	5
$(T 22)	2
$(T 24)	1
$(T 26)	1"
}

@test "window: a slide larger than the window skips the records between windows" {
	run ev window 2 5 < <(data; echo '19 d 6')
	assert_success
	assert_output "$(T 15)	13 c 4
$(T 20)	19 d 6"
	run ev countByWindow 2 5 < <(data; echo '19 d 6')
	assert_output "$(T 15)	1
$(T 20)	1"
}

@test "reduceByKeyAndWindow: a window length that is not a multiple of the slide" {
	run ev map '($2, num($3))' then reduceByKeyAndWindow sum 5 3 < <(data)
	assert_success
	# Windows end at 12 [7,12), 15 [10,15), 18 [13,18), 21 [16,21).
	assert_output "$(T 12)	a	4
$(T 12)	b	2
$(T 15)	a	4
$(T 15)	b	2
$(T 15)	c	4
$(T 18)	a	5
$(T 18)	c	4
$(T 21)	a	5"
}

@test "reduceByKeyAndWindow: keys enter and leave, no stale zero rows" {
	run ev map '($2, 1)' then reduceByKeyAndWindow count 2 1 < <(data)
	assert_success
	assert_output "$(T 11)	a	1
$(T 11)	b	1
$(T 12)	a	2
$(T 12)	b	1
$(T 13)	a	1
$(T 14)	c	1
$(T 15)	c	1
$(T 18)	a	1
$(T 19)	a	1"
	refute_output --partial "	0"
	# The inverse path (sum) forgets keys the same way.
	run ev map '($2, 1)' then reduceByKeyAndWindow sum 2 1 < <(data)
	refute_output --partial "	0"
	refute_output --partial "$(T 13)	b"
}

@test "countByWindow: empty windows between data give 0, none before or after" {
	run ev countByWindow 2 2 < <(data)
	assert_success
	assert_output "$(T 12)	3
$(T 14)	1
$(T 16)	0
$(T 18)	1"
}

@test "window then count: an empty window between data is an empty batch" {
	run ev window 2 2 then count < <(data)
	assert_success
	assert_output "$(T 12)	3
$(T 14)	1
$(T 16)	0
$(T 18)	1"
}

@test "reduceByKeyAndWindow: a long run of empty batches in the middle" {
	run ev map '($2, num($3))' then reduceByKeyAndWindow sum 2 1 \
	    < <(printf '10 a 1\n40 a 2\n41 b 3\n')
	assert_success
	assert_output "$(T 11)	a	1
$(T 12)	a	1
$(T 41)	a	2
$(T 42)	a	2
$(T 42)	b	3
$(T 43)	b	3"
}

@test "countByWindow: the first windows are partial, the trailing ones slide out" {
	run ev countByWindow 5 1 < <(data)
	assert_success
	assert_output "$(T 11)	2
$(T 12)	3
$(T 13)	3
$(T 14)	4
$(T 15)	4
$(T 16)	2
$(T 17)	1
$(T 18)	2
$(T 19)	1
$(T 20)	1
$(T 21)	1
$(T 22)	1"
}

@test "window: out-of-order input within the watermark gives the sorted result" {
	run ev map '($2, num($3))' then reduceByKeyAndWindow sum 3 1 < <(data)
	sorted=$output
	run ev --watermark 5s map '($2, num($3))' then \
	    reduceByKeyAndWindow sum 3 1 \
	    < <(printf '11 a 3\n10 a 1\n13 c 4\n10 b 2\n17 a 5\n')
	assert_success
	assert_output "$sorted"
}

@test "window: late input beyond the watermark is counted and written to --late-file" {
	run ev --watermark 2s --late-file "$BATS_TEST_TMPDIR/late" --stats \
	    map '($2, num($3))' then reduceByKeyAndWindow sum 3 1 \
	    < <(printf '10 a 1\n20 b 1\n12 c 7\n21 a 1\n')
	assert_success
	refute_output --partial "	c	"
	assert_output --partial "late=1"
	assert_output --partial "$(T 11)	a	1"
	assert_output --partial "$(T 22)	b	1"
	run cat "$BATS_TEST_TMPDIR/late"
	assert_output "12 c 7"
}

# Values 4, 1, 7, 2 at 10..13; windows of 2s every 1s end at 11..15.
reducer() {
	ev map '($2, num($3))' then reduceByKeyAndWindow "$@" 2 1 \
	    < <(printf '10 x 4\n11 x 1\n12 x 7\n13 x 2\n') | cut -f3 | tr '\n' ' '
}

@test "reduceByKeyAndWindow: the named reducers" {
	[ "$(reducer sum)" = "4 5 8 9 2 " ]
	[ "$(reducer count)" = "1 2 2 2 1 " ]
	[ "$(reducer min)" = "4 1 1 2 2 " ]
	[ "$(reducer max)" = "4 4 7 7 2 " ]
	[ "$(reducer avg)" = "4 2.5 4 4.5 2 " ]
	[ "$(reducer first)" = "4 4 1 7 2 " ]
	[ "$(reducer last)" = "4 1 7 2 2 " ]
}

@test "reduceByKeyAndWindow: custom functions with and without an inverse" {
	[ "$(reducer 'a + b')" = "4 5 8 9 2 " ]
	[ "$(reducer 'a + b' 'a - b')" = "4 5 8 9 2 " ]
	[ "$(reducer 'a * b')" = "4 4 7 14 2 " ]
	[ "$(reducer 'a * b' 'a / b')" = "4 4 7 14 2 " ]
	[ "$(reducer 'a .. "," .. b')" = "4 4,1 1,7 7,2 2 " ]
}

@test "reduceByKeyAndWindow: three arguments are FUNC INVFUNC L, or FUNC L S" {
	input() { printf '10 x 4\n11 x 1\n12 x 7\n13 x 2\n'; }
	# 'a - b' is not a duration: it is the inverse, and S is the batch.
	run ev map '($2, num($3))' then reduceByKeyAndWindow 'a + b' 'a - b' 2 \
	    < <(input)
	assert_success
	assert_output "$(T 11)	x	4
$(T 12)	x	5
$(T 13)	x	8
$(T 14)	x	9
$(T 15)	x	2"
	# 2 is a duration: L = 4, S = 2.
	run ev map '($2, num($3))' then reduceByKeyAndWindow 'a + b' 4 2 \
	    < <(input)
	assert_success
	assert_output "$(T 12)	x	5
$(T 14)	x	14
$(T 16)	x	9"
}

@test "reduceByWindow: one value per window, with and without an inverse" {
	input() { printf '10 x 4\n11 x 1\n12 x 7\n13 x 2\n'; }
	run ev map 'num($3)' then reduceByWindow sum 2 1 < <(input)
	assert_success
	assert_output "$(T 11)	4
$(T 12)	5
$(T 13)	8
$(T 14)	9
$(T 15)	2"
	run ev map 'num($3)' then reduceByWindow 'a + b' 'a - b' 2 1 < <(input)
	assert_output "$(T 11)	4
$(T 12)	5
$(T 13)	8
$(T 14)	9
$(T 15)	2"
	run ev --format plain map 'num($3)' then reduceByWindow max 2 1 < <(input)
	assert_output --partial "$(T 13)	7"
	# Nothing for an empty window.
	run ev map 'num($3)' then reduceByWindow sum 2 2 < <(printf '10 x 1\n15 x 2\n')
	assert_output "$(T 12)	1
$(T 16)	2"
}

@test "countByValueAndWindow then sortBy then take: top N per window" {
	run ev map '$2' then countByValueAndWindow 2 1 then sortBy value desc \
	    then take 2 < <(printf '10 /a\n10 /b\n10 /a\n11 /c\n11 /a\n11 /c\n11 /c\n12 /b\n12 /b\n12 /b\n12 /b\n')
	assert_success
	assert_output "$(T 11)	/a	2
$(T 11)	/b	1
$(T 12)	/a	3
$(T 12)	/c	3
$(T 13)	/b	4
$(T 13)	/c	3
$(T 14)	/b	4"
}

@test "groupByKeyAndWindow: values in arrival order, keys sorted" {
	run ev map '($2, num($3))' then groupByKeyAndWindow 4 2 < <(data)
	assert_success
	assert_output "$(T 12)	a	[1,3]
$(T 12)	b	[2]
$(T 14)	a	[1,3]
$(T 14)	b	[2]
$(T 14)	c	[4]
$(T 16)	c	[4]
$(T 18)	a	[5]
$(T 20)	a	[5]"
}

@test "a window after a window slides out completely" {
	run ev map '$2' then window 2 2 then countByValueAndWindow 4 2 < <(data)
	assert_success
	assert_output "$(T 12)	a	2
$(T 12)	b	1
$(T 14)	a	2
$(T 14)	b	1
$(T 14)	c	1
$(T 16)	c	1
$(T 18)	a	1
$(T 20)	a	1"
}

@test "window: a bare number is seconds, S defaults to the batch" {
	run ev countByWindow 2s 1s < <(data)
	want=$output
	run ev countByWindow 2 < <(data)
	assert_output "$want"
	run ev countByWindow 2000ms 1 < <(data)
	assert_output "$want"
}

@test "window: records of the wrong shape are record errors" {
	run ev reduceByKeyAndWindow sum 2 1 < <(data)
	assert_success
	assert_output --partial "reduceByKeyAndWindow: record is not a (key, value) pair"
	run ev --on-error fail groupByKeyAndWindow 2 1 < <(data)
	assert_failure 1
	assert_output --partial "groupByKeyAndWindow: record is not a (key, value) pair"
}

@test "window: lengths and slides must be multiples of the batch interval" {
	run dstream --batch 1m countByWindow 90 60
	assert_failure 2
	assert_output --partial "countByWindow: window length 90s is not a multiple of the batch interval 1m"
	run dstream --batch 1s window 2 1500ms
	assert_failure 2
	assert_output --partial "window: slide 1500ms is not a multiple of the batch interval 1s"
	run dstream --batch 250ms reduceByKeyAndWindow sum 1100ms
	assert_failure 2
	assert_output --partial "window length 1100ms is not a multiple of the batch interval 250ms"
}

@test "window: usage errors exit 2 and name the fault" {
	run dstream window
	assert_failure 2
	assert_output --partial "window: expected window L [S]"
	run dstream countByWindow 1 1 1
	assert_failure 2
	run dstream window soon
	assert_failure 2
	assert_output --partial "window length 'soon' is not a duration"
	run dstream reduceByKeyAndWindow max 'a - b' 2 1
	assert_failure 2
	assert_output --partial "max has no inverse"
	run dstream reduceByWindow 'a +' 2 1
	assert_failure 2
	assert_output --partial "syntax error"
}

@test "a window after one sliding less often: each window holding a record is emitted, also those ending between the first's flushes" {
	# The first's windows (2s every 2s) end at 12, 14 and 18; each of
	# their results lies in 3 windows (3s every 1s) of the second, whose
	# flushes come only at the first's ends.
	run ev map '($2, num($3))' then reduceByKeyAndWindow sum 2 2 \
	    then reduceByKeyAndWindow sum 3 1 < <(data)
	assert_success
	assert_output "$(T 12)	a	4
$(T 12)	b	2
$(T 13)	a	4
$(T 13)	b	2
$(T 14)	a	4
$(T 14)	b	2
$(T 14)	c	4
$(T 15)	c	4
$(T 16)	c	4
$(T 18)	a	5
$(T 19)	a	5
$(T 20)	a	5"
}

@test "processing time: a burst of lines falls in one batch and slides out" {
	run bash -c "printf 'a\nb\nc\n' | timeout 30 \"$DSTREAM\" --batch 100ms countByWindow 300ms 100ms"
	assert_success
	assert_output "3
3
3"
	printf 'a\nb\nc\n' >"$BATS_TEST_TMPDIR/f"
	run timeout 30 "$DSTREAM" --batch 100ms --stamp window 300ms 100ms \
	    then count <"$BATS_TEST_TMPDIR/f"
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	re=$'^[0-9-]+T[0-9:]+(\\.[0-9]00)?Z\t3$'
	for l in "${lines[@]}"; do
		[[ $l =~ $re ]]
	done
}

@test "processing time: windows follow live input, empty ones between data give 0" {
	run bash -c "{ printf 'a\nb\n'; sleep 0.5; printf 'c\n'; } |
	    timeout 30 \"$DSTREAM\" --batch 100ms countByWindow 200ms 100ms"
	assert_success
	# 2 2, some zeros while the pipe is silent (timing), then 1 1.
	[ "${#lines[@]}" -ge 5 ] && [ "${#lines[@]}" -le 100 ]
	[ "${lines[0]}" = 2 ] && [ "${lines[1]}" = 2 ]
	n=${#lines[@]}
	[ "${lines[n-1]}" = 1 ] && [ "${lines[n-2]}" = 1 ]
	for ((i = 2; i < n - 2; i++)); do
		[ "${lines[i]}" = 0 ]
	done
}

@test "processing time: an empty window is emitted once its end passes, as Spark's every slide" {
	# Silent after a: a 0 for every window that ended then, at once, not
	# when (if ever) the next record comes; none for the windows the end
	# of input closes ahead of the clock.  Before a, as Spark's count (a
	# key that data creates), no row.
	run bash -c "{ sleep 0.5; printf 'a\n'; sleep 0.8; } |
	    timeout 30 \"$DSTREAM\" --stamp --batch 100ms countByWindow 200ms 100ms"
	assert_success
	[[ $(cut -f2 <<<"$output" | tr '\n' ' ') =~ ^1\ 1\ (0 ){3,}$ ]]
	# One window per slide, none skipped.
	run awk -F'\t' '{ split($1, t, /[T:.Z]/)
		ms = ((t[2] * 60 + t[3]) * 60 + t[4]) * 1000 + t[5]
		if (NR > 1 && ms - last != 100 && ms - last != 100 - 86400000)
			exit 1
		last = ms }' <<<"$output"
	assert_success
	# Keyed windows emit no row for an empty window, but Spark's print()
	# prints its header all the same, before the data as after it.
	run bash -c "{ sleep 0.8; printf 'k 1\n'; sleep 0.8; } |
	    timeout 30 \"$DSTREAM\" --batch 100ms map '(\$1, num(\$2))' then \
	    reduceByKeyAndWindow sum 200ms 100ms then print"
	assert_success
	[[ $(grep -v -- '^---' <<<"$output" | grep . | sed 's/^Time: .*/T/' |
	    tr '\n' ' ') =~ ^(T ){2,}T\ \(k,1\)\ T\ \(k,1\)\ (T ){3,}$ ]]
}

@test "processing time: keyed windows over live input" {
	run bash -c "{ printf 'k 1\nk 2\n'; sleep 0.4; printf 'j 5\n'; } |
	    timeout 30 \"$DSTREAM\" --batch 100ms map '(\$1, num(\$2))' then \
	    reduceByKeyAndWindow sum 200ms 100ms"
	assert_success
	# Each key is in the two windows its batch falls in, and only there.
	[ "${#lines[@]}" -eq 4 ]
	[ "$(grep -c '^k	3$' <<<"$output")" -eq 2 ]
	[ "$(grep -c '^j	5$' <<<"$output")" -eq 2 ]
}

@test "inverse argument checked: a named reducer given an INVFUNC, or an INVFUNC that does not compile, is a usage error naming the word" {
	run dstream reduceByKeyAndWindow sum 1h 5m 1m
	assert_failure 2
	assert_output --partial "sum has its own inverse: drop '1h'"
	run dstream reduceByKeyAndWindow sum 'garbage ((' 5m 1m
	assert_failure 2
	assert_output --partial "'garbage (('"
	run dstream reduceByWindow count 'a %%% b' 2m 1m
	assert_failure 2
	assert_output --partial "'a %%% b'"
	run dstream reduceByKeyAndWindow max 1h 5m 1m
	assert_failure 2
	assert_output --partial "max has no inverse: drop '1h'"
	run dstream reduceByKeyAndWindow 'a + b' 'garbage ((' 5m 1m
	assert_failure 2
	assert_output --partial "inverse function"
	assert_output --partial "garbage (("
}
