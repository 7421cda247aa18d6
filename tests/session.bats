#!/usr/bin/env bats
# session.bats - session windows: reduceByKeyAndSession FUNC GAP and
# countByKeyAndSession GAP (Spark's session_window grouped by key).
#
# Most cases run in event time with the time in $1 as epoch seconds, so
# sessions are exact: a session's end is its last record's time + GAP,
# it is emitted once the watermark has passed that end, by end then key.
# The vectors from Spark are its StreamingSessionWindowSuite (the
# StructuredSessionization example) and DataFrameSessionWindowingSuite.

load test_helper

T() { printf '1970-01-01T%02d:%02d:%02dZ' $(($1 / 3600)) $(($1 / 60 % 60)) $(($1 % 60)); }

# S KEY START END COUNT VALUE: one session as plain output prints it.
S() {
	printf '%s\t{"start":"%s","end":"%s","count":%s,"value":%s}' \
	    "$1" "$(T "$2")" "$(T "$3")" "$4" "$5"
}

# ev ARGS...: dstream in event time ($1, epoch seconds), 1s batches.
ev() {
	timeout 30 "$DSTREAM" --event-time 'num($1)' --batch 1s "$@"
}

# The sessionization example's words, each with the line's time.
WORDS=(flatMap 'split(substr($0, len($1) + 1))' then map '(x, 1)')

@test "session: Spark's sessionization example (StreamingSessionWindowSuite, append mode)" {
	# Lines of words at times 40, 41, 25, 30, 60 and 90, a watermark of
	# 30 s and a gap of 10 s: "spark streaming" at 30 joins the
	# sessions at 25 and at 40 into one; the sessions ending by 51 are
	# out once 90 moves the watermark to 60, the rest at end of input.
	run ev -w 30s "${WORDS[@]}" then countByKeyAndSession 10s < <(printf '%s\n' \
	    '40 hello world spark streaming' \
	    '41 world hello structured streaming' \
	    '25 spark streaming' \
	    '30 spark streaming' \
	    '60 hello apache spark' \
	    '90 structured streaming')
	assert_success
	assert_output "$(S spark 25 50 3 3)
$(S hello 40 51 2 2)
$(S streaming 25 51 4 4)
$(S structured 41 51 1 1)
$(S world 40 51 2 2)
$(S apache 60 70 1 1)
$(S hello 60 70 1 1)
$(S spark 60 70 1 1)
$(S streaming 90 100 1 1)
$(S structured 90 100 1 1)"
}

@test "session: each session is out as soon as the watermark passes its end, stamped with its end" {
	# With the watermark 30 s behind: nothing before the line at 60;
	# the sessions ending by 51 come with the line at 90 (watermark 60).
	# A session ending exactly on a batch end (50, 70, 100) may still
	# be joined by a record of the next batch: it comes with that batch.
	out=$BATS_TEST_TMPDIR/out
	mkfifo "$BATS_TEST_TMPDIR/in"
	timeout 30 "$DSTREAM" -e 'num($1)' -b 1s -w 30s -s -f json -i "$BATS_TEST_TMPDIR/in" \
	    "${WORDS[@]}" then countByKeyAndSession 10s > "$out" &
	exec 4> "$BATS_TEST_TMPDIR/in"
	printf '40 hello world spark streaming\n41 world hello structured streaming\n' >&4
	printf '25 spark streaming\n30 spark streaming\n60 hello apache spark\n' >&4
	sleep 0.5
	[ ! -s "$out" ] || fail "sessions emitted before the watermark passed them: $(cat "$out")"
	printf '90 structured streaming\n' >&4
	# Bounded wait for the five sessions ending by 51.
	for i in $(seq 100); do
		[ "$(wc -l < "$out")" -ge 5 ] && break
		sleep 0.1
	done
	run jq -c '[.time, .key, .value.end, .value.count]' "$out"
	assert_output '["1970-01-01T00:00:50Z","spark","1970-01-01T00:00:50Z",3]
["1970-01-01T00:00:51Z","hello","1970-01-01T00:00:51Z",2]
["1970-01-01T00:00:51Z","streaming","1970-01-01T00:00:51Z",4]
["1970-01-01T00:00:51Z","structured","1970-01-01T00:00:51Z",1]
["1970-01-01T00:00:51Z","world","1970-01-01T00:00:51Z",2]'
	exec 4>&-
	wait
	[ "$(wc -l < "$out")" -eq 10 ]
}

@test "session: Spark's session_window vectors with several keys (DataFrameSessionWindowingSuite)" {
	# "session window groupBy with multiple keys statement"
	ts() { printf '%s %s %s\n' "$(date -u -d "2016-03-27 $1" +%s)" "$2" "$3"; }
	run timeout 30 "$DSTREAM" -e 'num($1)' -w 1m map '($3, num($2))' then \
	    reduceByKeyAndSession sum 10 then map '(key, value.start, value.end, value.count, value.value)' < <(
	    ts 19:39:34 1 a; ts 19:39:39 1 a; ts 19:39:56 2 a; ts 19:40:04 2 a; ts 19:39:27 4 b)
	assert_success
	assert_output "b	2016-03-27T19:39:27Z	2016-03-27T19:39:37Z	1	4
a	2016-03-27T19:39:34Z	2016-03-27T19:39:49Z	2	2
a	2016-03-27T19:39:56Z	2016-03-27T19:40:14Z	2	4"
	# "keys overlapped with sessions"
	run timeout 30 "$DSTREAM" -e 'num($1)' -w 1m map '($3, num($2))' then \
	    reduceByKeyAndSession sum 10 then map '(key, value.start, value.end, value.count, value.value)' < <(
	    ts 19:39:34 1 a; ts 19:39:39 1 b; ts 19:39:40 2 a; ts 19:39:45 2 b; ts 19:39:27 4 b)
	assert_success
	assert_output "b	2016-03-27T19:39:27Z	2016-03-27T19:39:37Z	1	4
a	2016-03-27T19:39:34Z	2016-03-27T19:39:50Z	2	3
b	2016-03-27T19:39:39Z	2016-03-27T19:39:55Z	2	3"
}

@test "session: a record exactly GAP after the last joins (Spark), one more ms starts a new session" {
	run ev map '($2, 1)' then countByKeyAndSession 10 < <(printf '0 a\n10 a\n20 a\n30.001 a\n')
	assert_success
	assert_output "$(S a 0 30 3 3)
a	{\"start\":\"1970-01-01T00:00:30.001Z\",\"end\":\"1970-01-01T00:00:40.001Z\",\"count\":1,\"value\":1}"
}

@test "session: an out-of-order record between two open sessions joins them" {
	# a's records at 10 and 30 are two sessions (gap 10 s) until the one
	# at 20 comes, within the watermark, and bridges them.
	run ev -w 1m map '($2, num($3))' then reduceByKeyAndSession sum 10s < <(
	    printf '10 a 1\n30 a 2\n12 b 5\n20 a 4\n45 b 6\n')
	assert_success
	assert_output "$(S b 12 22 1 5)
$(S a 10 40 3 7)
$(S b 45 55 1 6)"
	# Without the bridge: two sessions.
	run ev -w 1m map '($2, num($3))' then reduceByKeyAndSession sum 10s < <(
	    printf '10 a 1\n30 a 2\n')
	assert_output "$(S a 10 20 1 1)
$(S a 30 40 1 2)"
	# A record that reaches one session from before its start extends it.
	run ev -w 1m map '($2, num($3))' then reduceByKeyAndSession min 10s < <(
	    printf '30 a 2\n35 a 3\n22 a 9\n')
	assert_output "$(S a 22 45 3 2)"
}

@test "session: a late record that would have joined a closed session is late as usual" {
	# No watermark: the record at 30 closes a's session [10, 15]; the
	# one at 14 (and at 12, for b) is then late: counted, written to
	# --late-file, and the emitted session is not changed.
	late=$BATS_TEST_TMPDIR/late
	run ev --late-file "$late" map '($2, 1)' then countByKeyAndSession 5 < <(
	    printf '10 a\n11 b\n30 a\n14 a\n12 b\n31 b\n')
	assert_success
	assert_output "$(S a 10 15 1 1)
$(S b 11 16 1 1)
$(S a 30 35 1 1)
$(S b 31 36 1 1)
dstream: 2 late records (behind the watermark) written to --late-file $late"
	run cat "$late"
	assert_output '14 a
12 b'
	run ev --stats map '($2, 1)' then countByKeyAndSession 5 < <(printf '10 a\n30 a\n14 a\n')
	assert_line --partial 'late=1'
}

@test "session: several keys closing together come out by end, then key; every FUNC reducer" {
	run ev map '($2, num($3))' then reduceByKeyAndSession max 5 < <(
	    printf '1 c 3\n1 a 1\n1 b 7\n2 b 2\n2 a 4\n3 c 5\n')
	assert_success
	assert_output "$(S a 1 7 2 4)
$(S b 1 7 2 7)
$(S c 1 8 2 5)"
	run ev map '($2, num($3))' then reduceByKeyAndSession avg 5 then map '(key, value.value)' < <(
	    printf '1 a 1\n2 a 2\n4 a 6\n')
	assert_output "a	3"
	run ev map '($2, $3)' then reduceByKeyAndSession 'a .. b' 5 then map '(key, value.value)' < <(
	    printf '1 a x\n2 a y\n4 a z\n20 a w\n')
	assert_output "a	xyz
a	w"
	run ev map '($2, $3)' then reduceByKeyAndSession first 5 then map '(key, value.value)' < <(
	    printf '1 a x\n2 a y\n')
	assert_output "a	x"
	run ev map '($2, $3)' then reduceByKeyAndSession last 5 then map '(key, value.value)' < <(
	    printf '1 a x\n2 a y\n')
	assert_output "a	y"
}

@test "session: GAP as bare seconds, with units, and not a multiple of the batch" {
	in=$'0 a\n1.5 a\n3.5 a\n10 a'
	for gap in 2 2s 2000ms 0.0333333333m; do
		run ev map '($2, 1)' then countByKeyAndSession "$gap" <<< "$in"
		assert_success
		assert_output "a	{\"start\":\"1970-01-01T00:00:00Z\",\"end\":\"1970-01-01T00:00:05.500Z\",\"count\":3,\"value\":3}
$(S a 10 12 1 1)"
	done
	# A gap shorter than the batch, and one of 1.5 batches: sessions
	# close at the watermark, not at batch ends.
	run timeout 30 "$DSTREAM" -e 'num($1)' -b 10s map '($2, 1)' then countByKeyAndSession 2 <<< "$in"
	assert_success
	assert_output "a	{\"start\":\"1970-01-01T00:00:00Z\",\"end\":\"1970-01-01T00:00:05.500Z\",\"count\":3,\"value\":3}
$(S a 10 12 1 1)"
	run ev -b 2s map '($2, 1)' then countByKeyAndSession 3s <<< "$in"
	assert_output "a	{\"start\":\"1970-01-01T00:00:00Z\",\"end\":\"1970-01-01T00:00:06.500Z\",\"count\":3,\"value\":3}
$(S a 10 13 1 1)"
	run ev map '($2, 1)' then countByKeyAndSession 1m <<< "$in"
	assert_output "$(S a 0 70 4 4)"
}

@test "session: at end of input every open session is emitted" {
	# A watermark of an hour holds every session open until the input
	# ends; then all of them come, by end.
	run ev -w 1h map '($2, 1)' then countByKeyAndSession 30m < <(
	    printf '0 a\n60 b\n1000 a\n2000 c\n')
	assert_success
	assert_output "$(S b 60 1860 1 1)
$(S a 0 2800 2 2)
$(S c 2000 3800 1 1)"
}

@test "session: --stats keys counts the open sessions" {
	run ev -w 1h --stats map '($2, 1)' then countByKeyAndSession 10 < <(
	    printf '0 a\n1 b\n2 c\n3 d\n5 a\n100 a\n')
	assert_success
	# Four sessions open at once, none at the end.
	assert_line --partial 'keys=4'
	[ "$(grep -c 'keys=' <<< "$output")" -ge 2 ]
	last=$(grep 'keys=' <<< "$output" | tail -1)
	[[ $last == *keys=0* ]] || fail "sessions left open at the end: $last"
}

@test "session: processing time, a record's time is its batch's end" {
	# A file read at once is one batch: one session per key.
	printf 'a 1\nb 2\na 3\n' > "$BATS_TEST_TMPDIR/f"
	run timeout 30 "$DSTREAM" -b 100ms -i "$BATS_TEST_TMPDIR/f" map '($1, num($2))' then \
	    reduceByKeyAndSession sum 1s then map '(key, value.count, value.value, time(value.end) - time(value.start))'
	assert_success
	assert_output "a	2	4	1
b	1	2	1"
	# Records further apart than GAP (a pause of 1.5 s against 300 ms)
	# are two sessions; records of one write are one.
	run timeout 30 "$DSTREAM" -b 100ms map '($1, 1)' then countByKeyAndSession 300ms then \
	    map '(key, value.count)' < <(printf 'a\na\nb\n'; sleep 1.5; printf 'a\n')
	assert_success
	assert_output "a	2
b	1
a	1"
}

@test "session: sessions feed later operators, none of them late there" {
	# Whole-second times and GAP: every session ends on a batch end,
	# the case whose batch is held back one batch so that a window after
	# it never sees a session for a batch it has closed.
	in=$'1 a\n2 b\n3 a\n20 a\n21 c\n40 b\n41 b\n42 a\n70 c'
	run ev --stats map '($2, 1)' then countByKeyAndSession 5 then \
	    map 'value.count' then reduceByWindow sum 1h 1h <<< "$in"
	assert_success
	assert_line '9'
	refute_line --partial 'late=1'
	run ev -s map '($2, 1)' then countByKeyAndSession 5 then \
	    map '(key, 1)' then reduceByKeyAndWindow count 30s 30s <<< "$in"
	assert_output "$(T 30)	a	2
$(T 30)	b	1
$(T 30)	c	1
$(T 60)	a	1
$(T 60)	b	1
$(T 90)	c	1"
	# Sessions ending on a window's end (30, 60) are in that window.
	run ev -s map '($2, 1)' then countByKeyAndSession 5 then \
	    map '(key, 1)' then reduceByKeyAndWindow count 30s 30s < <(
	    printf '25 a\n26 b\n55 b\n')
	assert_output "$(T 30)	a	1
$(T 60)	b	2"
	# Session lengths, then the longest.
	run ev map '($2, 1)' then countByKeyAndSession 5 then \
	    map '(key, time(value.end) - time(value.start))' then \
	    reduceByKeyAndWindow max 1h 1h <<< "$in"
	assert_output "a	7
b	6
c	5"
}

@test "session: every -f format prints start and end as RFC 3339 strings" {
	in=$'10 a 1\n11.25 a 2'
	run ev -f json map '($2, num($3))' then reduceByKeyAndSession sum 5 <<< "$in"
	assert_output '{"time":"1970-01-01T00:00:16.250Z","key":"a","value":{"start":"1970-01-01T00:00:10Z","end":"1970-01-01T00:00:16.250Z","count":2,"value":3}}'
	run ev -f csv -s map '($2, num($3))' then reduceByKeyAndSession sum 5 <<< "$in"
	assert_output '1970-01-01T00:00:16.250Z,a,"{""start"":""1970-01-01T00:00:10Z"",""end"":""1970-01-01T00:00:16.250Z"",""count"":2,""value"":3}"'
	run ev -f tsv map '($2, num($3))' then reduceByKeyAndSession sum 5 <<< "$in"
	assert_output 'a	{"start":"1970-01-01T00:00:10Z","end":"1970-01-01T00:00:16.250Z","count":2,"value":3}'
	run ev -f spark map '($2, num($3))' then reduceByKeyAndSession sum 5 <<< "$in"
	assert_line '(a,{"start":"1970-01-01T00:00:10Z","end":"1970-01-01T00:00:16.250Z","count":2,"value":3})'
}

@test "session: records that are not pairs are record errors, skipped" {
	run ev map '$2' then countByKeyAndSession 5 <<< '1 a'
	assert_success
	assert_output --partial 'countByKeyAndSession: record is not a (key, value) pair'
	run ev --on-error fail map '$2' then countByKeyAndSession 5 <<< '1 a'
	assert_failure 1
	# A value sum refuses is skipped: it neither opens nor extends a session.
	run ev map '($2, $3)' then reduceByKeyAndSession sum 5 < <(printf '1 a 1\n4 a x\n8 a 2\n')
	assert_output --partial 'not a number'
	assert_line "$(S a 1 6 1 1)"
	assert_line "$(S a 8 13 1 2)"
}

@test "session: usage errors" {
	run dstream countByKeyAndSession
	assert_failure 2
	assert_output --partial 'countByKeyAndSession: expected one argument, countByKeyAndSession GAP'
	run dstream reduceByKeyAndSession sum
	assert_failure 2
	assert_output --partial 'reduceByKeyAndSession: expected reduceByKeyAndSession FUNC GAP'
	run dstream reduceByKeyAndSession sum 5 6
	assert_failure 2
	for gap in abc 0 -5 1x ''; do
		run dstream countByKeyAndSession "$gap"
		assert_failure 2
		assert_output --partial "countByKeyAndSession: GAP '$gap' is not a duration"
	done
	run dstream reduceByKeyAndSession 'a +' 5
	assert_failure 2
	assert_output --partial 'reduceByKeyAndSession: reduce function:'
	run dstream reduceByKeyAndSession 'nosuch(a)' 5
	assert_failure 2
}

@test "session: help and --help" {
	run dstream help reduceByKeyAndSession
	assert_success
	assert_line --partial 'usage: dstream reduceByKeyAndSession FUNC GAP'
	assert_output --partial 'runs of its records at most GAP'
	run dstream help countByKeyAndSession
	assert_success
	assert_line --partial 'usage: dstream countByKeyAndSession GAP'
	run dstream --help
	assert_output --partial 'reduceByKeyAndSession'
	assert_output --partial 'countByKeyAndSession'
}

@test "session: generated data against a brute-force recomputation" {
	# Random keys and times, out of order within the watermark (never
	# late), GAP and batch chosen not to divide each other; the sessions
	# recomputed by sorting each key's times and cutting at gaps over
	# GAP, then ordered by end and key.
	gen=$BATS_TEST_TMPDIR/gen.py
	cat > "$gen" <<'EOF'
import random, sys, json
seed, n, gap, wm, mode = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
r = random.Random(seed)
keys = ["k%d" % i for i in range(r.randint(1, 30))]
top, recs = 0, []
for _ in range(n):
    top += r.choice([0, 0, 1, 7, 50, 300, 900, 2500, 9000])
    t = max(0, top - r.randint(0, wm))        # never behind the watermark
    recs.append((t, r.choice(keys), r.randint(-5, 20)))
if mode == "input":
    for t, k, v in recs:
        print("%d.%03d %s %d" % (t // 1000, t % 1000, k, v))
    sys.exit(0)
by = {}
for t, k, v in recs:
    by.setdefault(k, []).append((t, v))
out = []
for k, l in by.items():
    l.sort()
    s = None
    for t, v in l:
        if s is not None and t <= s[1] + gap:
            s[1] = t; s[2] += 1; s[3] += v
        else:
            if s is not None:
                out.append((s[1] + gap, k, s[0], s[2], s[3]))
            s = [t, t, 1, v]
    out.append((s[1] + gap, k, s[0], s[2], s[3]))
out.sort()
for e, k, st, c, v in out:
    print(json.dumps([e, k, st, c, v]))
EOF
	for args in "1 300 1700 2000 1000" "2 2000 450 0 1000" "3 1500 5000 10000 700" \
	    "4 800 1000 3000 250" "5 3000 60000 60000 1000"; do
		set -- $args
		python3 "$gen" "$1" "$2" "$3" "$4" input > "$BATS_TEST_TMPDIR/in"
		python3 "$gen" "$1" "$2" "$3" "$4" expect > "$BATS_TEST_TMPDIR/want"
		timeout 60 "$DSTREAM" -e 'num($1)' -b "${5}ms" -w "${4}ms" -s -f json \
		    -i "$BATS_TEST_TMPDIR/in" map '($2, num($3))' then \
		    reduceByKeyAndSession sum "${3}ms" > "$BATS_TEST_TMPDIR/got.json" \
		    2> "$BATS_TEST_TMPDIR/err"
		[ ! -s "$BATS_TEST_TMPDIR/err" ] || fail "$args: $(cat "$BATS_TEST_TMPDIR/err")"
		python3 - "$BATS_TEST_TMPDIR/got.json" "$BATS_TEST_TMPDIR/got" <<'EOF'
import json, sys, datetime
def ms(s):
    d = datetime.datetime.strptime(s.replace("Z", "+0000"),
        "%Y-%m-%dT%H:%M:%S.%f%z" if "." in s else "%Y-%m-%dT%H:%M:%S%z")
    return round(d.timestamp() * 1000)
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        o = json.loads(line)
        v = o["value"]
        assert o["time"] == v["end"], line
        print(json.dumps([ms(v["end"]), o["key"], ms(v["start"]), v["count"], v["value"]]), file=out)
EOF
		diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got" > "$BATS_TEST_TMPDIR/diff" ||
		    fail "$args: differs from the recomputation: $(head -20 "$BATS_TEST_TMPDIR/diff")"
		[ "$(wc -l < "$BATS_TEST_TMPDIR/got")" -gt 10 ]
	done
}

@test "session: the sketch reducers are FUNCs too" {
	in=$'1 a x\n2 a y\n3 a x\n4 a z\n5 a x\n6 a y\n30 a w'
	run ev map '($2, $3)' then reduceByKeyAndSession distinct 10 then map '(key, value.count, value.value)' <<< "$in"
	assert_success
	assert_output "a	6	3
a	1	1"
	run ev map '($2, $3)' then reduceByKeyAndSession 'topk(2)' 10 then map 'tojson(value.value)' <<< "$in"
	assert_output '[["x",3],["y",2]]
[["w",1]]'
	run ev map '($2, num($1))' then reduceByKeyAndSession p50 10 then map 'value.value' <<< "$in"
	assert_line --regexp '^3\.[0-9]+$|^3$'
	run ev map '($2, 1)' then reduceByKeyAndSession 'quantile(2)' 10 <<< "$in"
	assert_failure 2
}

@test "session: cron runs with --checkpoint give what one run over the whole log gives" {
	# The open sessions and the records waiting in the clock (with their
	# event times) are kept in the checkpoint between runs.
	log=$BATS_TEST_TMPDIR/log ck=$BATS_TEST_TMPDIR/ck
	w=(-e 'num($1)' -w 30s -s "${WORDS[@]}" then countByKeyAndSession 10s)
	printf '%s\n' '40 hello world spark streaming' \
	    '41 world hello structured streaming' '25 spark streaming' > "$log"
	timeout 30 "$DSTREAM" -i "$log" --checkpoint "$ck" "${w[@]}" > "$log.out"
	printf '%s\n' '30 spark streaming' '60 hello apache spark' > "$log.more"
	cat "$log.more" >> "$log"
	timeout 30 "$DSTREAM" -i "$log" --checkpoint "$ck" "${w[@]}" >> "$log.out"
	printf '%s\n' '90 structured streaming' >> "$log"
	timeout 30 "$DSTREAM" -i "$log" --checkpoint "$ck" --final "${w[@]}" >> "$log.out"
	timeout 30 "$DSTREAM" -i "$log" "${w[@]}" > "$log.whole"
	diff "$log.whole" "$log.out"
	[ "$(wc -l < "$log.out")" -eq 10 ]
}
