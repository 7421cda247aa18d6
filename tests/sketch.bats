#!/usr/bin/env bats
# sketch.bats - the sketch reducers (distinct, p50 p90 p95 p99,
# quantile(Q), topk(K)) against exact answers computed by brute force
# (tests/sketch_brute.py) on generated data: distinct within 3 % at 10,
# 1k, 100k and 1M distinct values; quantiles within 1 % on uniform,
# exponential, heavy-tailed and signed data; topk exact on skewed data
# whose top K are well apart; sliding windows equal to the windows
# recomputed from scratch and to brute force.  Then the usage errors,
# bad records, memory per key, help, and sketch windows resumed from
# checkpoints.

load test_helper

brute() { python3 "$BATS_TEST_DIRNAME/sketch_brute.py" "$@"; }

@test "distinct: within 3 % of the exact count at 10, 1k and 100k distinct values" {
	local spec n d want got
	for spec in 1000:10 20000:1000 300000:100000; do
		n=${spec%:*} d=${spec#*:}
		brute gen-values "$n" "$d" 7 >"$BATS_TEST_TMPDIR/in"
		want=$(brute distinct "$BATS_TEST_TMPDIR/in")
		[ "$want" -eq "$d" ]
		got=$(dstream -i "$BATS_TEST_TMPDIR/in" reduce distinct)
		echo "$d distinct values: exact $want, distinct $got"
		awk -v g="$got" -v w="$want" 'BEGIN { e = (g - w) / w; if (e < 0) e = -e; exit !(e <= 0.03) }'
	done
	# up to 1536 a key's values are counted sparse: exact
	got=$(dstream -i "$BATS_TEST_TMPDIR/in" map 'substr(x, 0, 3)' then reduce distinct)
	want=$(cut -c1-3 "$BATS_TEST_TMPDIR/in" | sort -u | wc -l)
	[ "$got" -eq "$want" ]
}

@test "distinct: 1M distinct values within 3 % (one run)" {
	seq 1000000 | awk '{ print "v" $1 * 7 }' >"$BATS_TEST_TMPDIR/in"
	want=$(sort -u "$BATS_TEST_TMPDIR/in" | wc -l)
	[ "$want" -eq 1000000 ]
	got=$(dstream -i "$BATS_TEST_TMPDIR/in" reduce distinct)
	echo "1M: distinct $got"
	awk -v g="$got" -v w="$want" 'BEGIN { e = (g - w) / w; if (e < 0) e = -e; exit !(e <= 0.03) }'
}

@test "distinct: per key, values told apart as countByValue does" {
	run dstream --json map '(.k, .v)' then reduceByKey distinct <<'EOF'
{"k":"a","v":1}
{"k":"a","v":1.0}
{"k":"a","v":"1"}
{"k":"a","v":[1,2]}
{"k":"a","v":{"x":null}}
{"k":"a","v":[1,2]}
{"k":"b","v":null}
EOF
	assert_success
	assert_output "$(printf 'a\t4\nb\t1')"
}

@test "quantiles: within 1 % of the exact quantile on uniform, exponential, Pareto and signed data" {
	local f q
	brute gen-quant 50000 3 >"$BATS_TEST_TMPDIR/in"
	for f in p50 p90 p95 p99 'quantile(0.001)' 'quantile(0.25)' 'quantile(0.999)'; do
		dstream -i "$BATS_TEST_TMPDIR/in" map '($1, num($2))' then \
		    reduceByKey "$f" >"$BATS_TEST_TMPDIR/got"
		case $f in
		p*) q=0.${f#p} ;;
		*) q=${f#quantile(}; q=${q%)} ;;
		esac
		run brute check-quant "$BATS_TEST_TMPDIR/in" "$q" "$BATS_TEST_TMPDIR/got"
		echo "$output"
		assert_success
	done
}

@test "quantiles: awk's numbers; other values are record errors, left out and counted" {
	run dstream reduce p50 <<<$'10\nabc\n 30 \n'
	assert_success
	assert_line --index 0 'dstream: p50: not a number: "abc" (stdin:2)'
	assert_line --index 1 'dstream: p50: not a number: "" (stdin:4)'
	# 10, 30: the lower middle one
	assert_line --index 2 --regexp '^(9\.9|10\.0)[0-9]*$'
	run dstream --on-error fail reduce p99 <<<$'1\nx\n'
	assert_failure 1
	assert_output --partial 'p99: not a number: "x"'
	run dstream --json reduce 'quantile(0.5)' <<<$'1e400\n-0\n'
	assert_success
	assert_output --partial 'not a finite number'
	assert_line 0
}

@test "quantiles: zero and negative numbers keep the bound, mirrored" {
	run dstream map 'x - 100' then reduce 'quantile(0.1)' < <(seq 0 200)
	assert_success
	awk -v g="$output" 'BEGIN { e = (g + 80) / 80; if (e < 0) e = -e; exit !(e <= 0.01) }'
	run dstream map 'x - 100' then reduce p50 < <(seq 0 200)
	assert_output 0
}

@test "topk: the exact top K, with their counts, on skewed data whose top K are well apart" {
	brute gen-topk 5 >"$BATS_TEST_TMPDIR/in"
	brute topk "$BATS_TEST_TMPDIR/in" 5 >"$BATS_TEST_TMPDIR/want"
	run dstream -i "$BATS_TEST_TMPDIR/in" map '($1, $2)' then reduceByKey 'topk(5)'
	assert_success
	assert_output "$(cat "$BATS_TEST_TMPDIR/want")"
	assert_output $'k\t[["alpha",20000],["beta",15000],["gamma",10000],["delta",7000],["eps",5000]]'
	# Zipf-like: 300k draws of 20k values, exponent 1.3
	brute gen-zipf 300000 20000 1.3 9 >"$BATS_TEST_TMPDIR/in"
	brute topk "$BATS_TEST_TMPDIR/in" 10 >"$BATS_TEST_TMPDIR/want"
	run dstream -i "$BATS_TEST_TMPDIR/in" map '($1, $2)' then reduceByKey 'topk(10)'
	assert_success
	assert_output "$(cat "$BATS_TEST_TMPDIR/want")"
}

@test "topk: few values exactly, ties in value order, any kind of value; -f json" {
	run dstream --json reduce 'topk(3)' <<'EOF'
"b"
"a"
[1,2]
{"x":1}
[1,2]
"a"
2
2.0
EOF
	assert_success
	assert_output '[[2,2],["a",2],[[1,2],2]]'
	run dstream -f json map '($1, $2)' then reduceByKey 'topk(1)' <<<$'k a\nk a\nk b'
	assert_success
	assert_output --regexp '^\{"time":"[-0-9T:.Z]+","key":"k","value":\[\["a",2\]\]\}$'
}

# windows FUNC L S: the events through reduceByKeyAndWindow FUNC, through
# window then reduceByKey (recomputed from scratch), and by brute force.
windows() {
	local func=$1 l=$2 s=$3
	dstream --stamp --event-time '$1' --batch 1s map '($2, num($3))' then \
	    reduceByKeyAndWindow "$func" "${l}s" "${s}s" \
	    <"$BATS_TEST_TMPDIR/ev" >"$BATS_TEST_TMPDIR/slid"
	dstream --stamp --event-time '$1' --batch 1s map '($2, num($3))' then \
	    window "${l}s" "${s}s" then reduceByKey "$func" \
	    <"$BATS_TEST_TMPDIR/ev" >"$BATS_TEST_TMPDIR/again"
	if ! cmp -s "$BATS_TEST_TMPDIR/slid" "$BATS_TEST_TMPDIR/again"; then
		echo "$func $l $s: sliding differs from recomputing"
		diff "$BATS_TEST_TMPDIR/again" "$BATS_TEST_TMPDIR/slid" | head
		return 1
	fi
	brute windows "$BATS_TEST_TMPDIR/ev" "$l" "$s" "$func" >"$BATS_TEST_TMPDIR/want"
	brute check-windows "$func" "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/slid"
}

@test "windows: sliding by merging panes equals recomputing each window, and brute force" {
	local func shape
	brute gen-events 1500 11 >"$BATS_TEST_TMPDIR/ev"
	for func in distinct p50 p99 'quantile(0.3)' 'topk(3)'; do
		for shape in 10:2 6:3 5:5 4:1 30:6; do
			windows "$func" "${shape%:*}" "${shape#*:}"
		done
	done
}

@test "windows: reduceByWindow with sketches equals window then reduce" {
	local func
	brute gen-events 800 12 >"$BATS_TEST_TMPDIR/ev"
	for func in distinct p95 'topk(2)'; do
		dstream --stamp -e '$1' map 'num($3)' then reduceByWindow "$func" 8s 2s \
		    <"$BATS_TEST_TMPDIR/ev" >"$BATS_TEST_TMPDIR/slid"
		dstream --stamp -e '$1' map 'num($3)' then window 8s 2s then reduce "$func" \
		    <"$BATS_TEST_TMPDIR/ev" >"$BATS_TEST_TMPDIR/again"
		[ -s "$BATS_TEST_TMPDIR/slid" ]
		cmp "$BATS_TEST_TMPDIR/slid" "$BATS_TEST_TMPDIR/again"
	done
}

@test "the check itself can fail: another reducer's windows are not brute force's" {
	brute gen-events 300 13 >"$BATS_TEST_TMPDIR/ev"
	dstream --stamp -e '$1' map '($2, num($3))' then reduceByKeyAndWindow count 10s 2s \
	    <"$BATS_TEST_TMPDIR/ev" >"$BATS_TEST_TMPDIR/got"
	brute windows "$BATS_TEST_TMPDIR/ev" 10 2 distinct >"$BATS_TEST_TMPDIR/want"
	run brute check-windows distinct "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	assert_failure
	dstream --stamp -e '$1' map '($2, num($3) * 1.05)' then reduceByKeyAndWindow p50 10s 2s \
	    <"$BATS_TEST_TMPDIR/ev" >"$BATS_TEST_TMPDIR/got"
	brute windows "$BATS_TEST_TMPDIR/ev" 10 2 p50 >"$BATS_TEST_TMPDIR/want"
	run brute check-windows p50 "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	assert_failure
}

@test "usage errors name what was written (exit 2)" {
	run dstream reduce 'quantile(1.5)'
	assert_failure 2
	assert_output --partial "quantile(1.5): Q must be a number between 0 and 1, both excluded"
	run dstream reduce 'quantile(abc)'
	assert_failure 2
	assert_output --partial "quantile(abc): Q must be"
	run dstream reduceByKey quantile
	assert_failure 2
	assert_output --partial "quantile needs its argument: quantile(Q)"
	run dstream reduceByKeyAndWindow 'topk(0)' 1m
	assert_failure 2
	assert_output --partial "topk(0): K must be a whole number from 1 to 1000"
	run dstream reduce topk
	assert_failure 2
	assert_output --partial "topk needs its argument: topk(K)"
	run dstream reduce 'p99(3)'
	assert_failure 2
	assert_output --partial "p99(3): p99 takes no argument"
	run dstream reduceByKeyAndWindow p99 'a - b' 1m 10s
	assert_failure 2
	assert_output --partial "p99 has no inverse"
	# a function of a and b that shares a reducer's name is an expression
	run dstream map '(1, x)' then reduceByKey 'max(a, b)' <<<$'3\n5\n4'
	assert_success
	assert_output $'1\t5'
}

@test "memory per key is bounded: 200k keys of a few values, 2k keys of many" {
	# Under a sanitizer (shadow memory, freed memory in quarantine) RSS
	# means nothing: only the results are checked.
	local limit=1
	if ldd "$DSTREAM" 2>/dev/null | grep -q 'libasan\|libtsan\|libmsan'; then
		limit=1000
	fi
	# 200k keys with 3 values each: the sparse sketches
	seq 600000 | awk '{ print $1 % 200000, $1 }' >"$BATS_TEST_TMPDIR/in"
	for func in distinct p99 'topk(3)'; do
		/usr/bin/time -f '%M' -o "$BATS_TEST_TMPDIR/rss" "$DSTREAM" \
		    -i "$BATS_TEST_TMPDIR/in" map '($1, num($2))' then reduceByKey "$func" \
		    >"$BATS_TEST_TMPDIR/out"
		[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq 200000 ]
		echo "$func, 200k keys: $(cat "$BATS_TEST_TMPDIR/rss") KiB"
		# under 1 KiB a key, all counted (the run itself takes some MiB)
		[ "$(cat "$BATS_TEST_TMPDIR/rss")" -lt $((200000 * limit)) ]
	done
	# 2k keys with 2000 distinct values each: dense, 12 KiB a key
	seq 4000000 | awk '{ print $1 % 2000, $1 }' >"$BATS_TEST_TMPDIR/in"
	/usr/bin/time -f '%M' -o "$BATS_TEST_TMPDIR/rss" "$DSTREAM" \
	    -i "$BATS_TEST_TMPDIR/in" map '($1, $2)' then reduceByKey distinct \
	    >"$BATS_TEST_TMPDIR/out"
	echo "distinct, 2k dense keys: $(cat "$BATS_TEST_TMPDIR/rss") KiB"
	[ "$(cat "$BATS_TEST_TMPDIR/rss")" -lt $((120000 * limit)) ]
	awk -F'\t' '{ e = ($2 - 2000) / 2000; if (e < 0) e = -e; if (e > 0.05) exit 1 }' "$BATS_TEST_TMPDIR/out"
}

@test "help: --help lists the reducers, dstream help REDUCER explains one" {
	run dstream --help
	assert_success
	assert_output --partial "distinct p50 p90 p95 p99 quantile(Q) topk(K)"
	run dstream help 'quantile(0.9)'
	assert_success
	assert_line --index 0 "reducer: quantile(Q)"
	assert_output --partial "within 1 % relative"
	run dstream help distinct
	assert_success
	assert_output --partial "HyperLogLog"
	run dstream help topk
	assert_output --partial "Space-Saving"
}

# restart PIPE...: the pipeline over the whole log in one run, against
# three runs with --checkpoint, the log growing between them (the last
# with --final; the first two end at line CUT1 and CUT2, 700 and 1500
# unless set): the same bytes (as checkpoint.bats does for the others).
restart() {
	local T=$BATS_TEST_TMPDIR a=${CUT1:-700} b=${CUT2:-1500}
	rm -rf "$T/ck" "$T/out" "$T/ref"
	dstream -e '$1' -i "$T/all" -o "$T/ref" "$@"
	: >"$T/log"
	head -n "$a" "$T/all" >>"$T/log"
	dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -o "$T/out" "$@"
	sed -n "$((a + 1)),${b}p" "$T/all" >>"$T/log"
	dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -o "$T/out" "$@"
	sed -n "$((b + 1)),\$p" "$T/all" >>"$T/log"
	dstream -e '$1' -i "$T/log" --checkpoint "$T/ck" -o "$T/out" --final "$@"
	[ -s "$T/ref" ]
	cmp "$T/ref" "$T/out"
}

@test "checkpoints: sketch windows resume across runs, every window once, to the bit" {
	brute gen-events 2000 21 >"$BATS_TEST_TMPDIR/all"
	restart -s map '($2, num($3))' then reduceByKeyAndWindow distinct 10s 2s
	restart -s map '($2, num($3))' then reduceByKeyAndWindow p99 6s 3s
	restart -s map '($2, num($3))' then reduceByKeyAndWindow 'topk(3)' 8s 2s
	restart -s map 'num($3)' then reduceByWindow 'quantile(0.25)' 5s 1s
	# another argument is another pipeline: refused, saying what changed
	run dstream -e '$1' -i "$BATS_TEST_TMPDIR/log" --checkpoint "$BATS_TEST_TMPDIR/ck" \
	    -o "$BATS_TEST_TMPDIR/out" -s map 'num($3)' then reduceByWindow 'quantile(0.5)' 5s 1s
	assert_failure
	assert_output --partial "quantile(0.25)"
	assert_output --partial "quantile(0.5)"
}

# dense_events: 40 seconds of events for keys that take each path of a
# distinct window (state/hll.c, a window's own sliding): "many", 400
# values a second, its windows' unions dense by their count while its
# panes are sparse; "burst", three values a second but 2500 in one (a
# dense pane entering and leaving); "grow", from 5 values a second to
# 350 and back (its union turns dense, then falls back to sparse); "few".
dense_events() {
	awk 'BEGIN {
		for (t = 0; t < 40; t++) {
			for (i = 0; i < 400; i++)
				print 1000 + t, "many", (t * 400 + i * 7) % 9000
			n = t == 17 ? 2500 : 3
			for (i = 0; i < n; i++)
				print 1000 + t, "burst", t * 10000 + i
			n = t >= 10 && t < 25 ? 350 : 5
			for (i = 0; i < n; i++)
				print 1000 + t, "grow", (t * 131 + i * 17) % 20000
			print 1000 + t, "few", t % 4
		}
	}'
}

# slides_as_recomputed MAP SLIDING OP L S: $T/slid, distinct over the
# windows of L seconds sliding by S of MAP over the events $T/ev (by
# SLIDING, reduceByKeyAndWindow or reduceByWindow), is not empty and is
# to the bit what each window's records give anew (window then OP).
slides_as_recomputed() {
	local map=$1 sliding=$2 op=$3 l=$4 s=$5 T=$BATS_TEST_TMPDIR
	dstream --stamp -e '$1' -b 1s map "$map" then \
	    "$sliding" distinct "${l}s" "${s}s" <"$T/ev" >"$T/slid"
	dstream --stamp -e '$1' -b 1s map "$map" then \
	    window "${l}s" "${s}s" then "$op" distinct <"$T/ev" >"$T/again"
	[ -s "$T/slid" ]
	cmp "$T/slid" "$T/again"
}

@test "windows: distinct's dense unions, dense panes and the fall back to sparse slide as recomputed" {
	local shape l s T=$BATS_TEST_TMPDIR
	dense_events >"$T/ev"
	for shape in 10:2 6:3 4:1 12:4; do
		l=${shape%:*} s=${shape#*:}
		slides_as_recomputed '($2, $3)' reduceByKeyAndWindow \
		    reduceByKey "$l" "$s"
		# and brute force's: the same rows, exact while sparse, 3 % else
		brute windows "$T/ev" "$l" "$s" distinct >"$T/want"
		paste "$T/want" "$T/slid" | awk -F'\t' '$1 != $4 || $2 != $5 ||
		    ($3 <= 1536 && $6 != $3) || ($6 - $3) ^ 2 > (0.03 * $3) ^ 2 {
		    print "differs: " $0; bad = 1 } END { exit bad }'
		[ "$(wc -l <"$T/want")" -eq "$(wc -l <"$T/slid")" ]
	done
	# each path was taken: dense unions, a dense pane, sparse again
	awk -F'\t' '$2 == "grow" && $3 > 3000 { g = 1 }
	    g && $2 == "grow" && $3 < 700 { f = 1 }
	    $2 == "burst" && $3 > 2400 { b = 1 }
	    $2 == "many" && $3 > 3000 { m = 1 }
	    END { exit !(g && f && b && m) }' "$BATS_TEST_TMPDIR/slid"
}

@test "checkpoints: distinct windows resume across runs in every regime, to the bit" {
	dense_events >"$BATS_TEST_TMPDIR/all"
	# cut while "grow" is dense and while the dense pane of "burst" is
	# in the window
	CUT1=6000 CUT2=11000 restart -s map '($2, $3)' then \
	    reduceByKeyAndWindow distinct 10s 2s
	CUT1=9000 CUT2=12500 restart -s map '($2, $3)' then \
	    reduceByWindow distinct 6s 3s
}

# A distinct window at the sparse limit: keys whose window holds 1531 to
# 1541 values (1536 the most a sparse sketch holds), values whose 25-bit
# indexes collide (counted once while sparse), a key whose panes turn
# dense and sparse again, empty panes and gaps longer than the window;
# sliding must give, to the bit, what the window's records give anew.
@test "windows: distinct at the sparse limit, with colliding indexes and gaps, slides as recomputed" {
	local shape l s n T=$BATS_TEST_TMPDIR
	# the pairs collide: one index each while sparse
	n=$(python3 -c 'import sys; sys.path[0] = sys.argv[1]
import sketch_brute
for p in sketch_brute.COLLIDE[:5]: print(*p, sep="\n")' "$BATS_TEST_DIRNAME")
	[ "$(echo "$n" | dstream map 'num(x)' then reduce distinct)" -eq 5 ]
	for shape in 2:1 3:3 5:2 13:1 4:6; do
		l=${shape%:*} s=${shape#*:}
		brute gen-edges "$l" "$l" >"$T/ev"
		slides_as_recomputed '($2, num($3))' reduceByKeyAndWindow \
		    reduceByKey "$l" "$s"
		slides_as_recomputed 'num($3)' reduceByWindow reduce "$l" "$s"
	done
	# the limit was crossed: windows of the edge keys at 1536 (sparse,
	# exact) and past it (dense, an estimate)
	brute gen-edges 13 13 >"$T/ev"
	dstream --stamp -e '$1' -b 1s map '($2, num($3))' then \
	    reduceByKeyAndWindow distinct 13s 1s <"$T/ev" >"$T/slid"
	grep -q "edge[0-9]	1536$" "$T/slid"
	awk -F'\t' '$2 ~ /^edge/ && $3 > 1536 { f = 1 } END { exit !f }' "$T/slid"
}

# old_checkpoint N: $T/ck, a checkpoint of `reduceByKeyAndWindow distinct
# 4s 1s` over $T/log (N lines "TIME KEY I") that dstream wrote before
# distinct slid its own way (bf30309): with 4 lines it holds the two
# stacks' suffixes, with 5 their back states (base64).
old_checkpoint() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
	    print 1000 + i, (i % 2 ? "a" : "b"), i }' >"$T/log"
	mkdir -p "$T/ck"
	case $1 in
	4) base64 -d >"$T/ck/checkpoint" <<'B64' ;;
RFNUUlNOQVABAAAAQ0tQVPoBAAAAAAAATUVUQRAAAAAAAAAAAsql3vfGaAUwLjEuMPC3elBJUEWe
AAAAAAAAAAgOYmF0Y2ggaW50ZXJ2YWwHMTAwMCBtcwR0aW1lDWV2ZW50IHRpbWUgJDEJd2F0ZXJt
YXJrBDAgbXMLdGltZSBmb3JtYXQEYXV0bwZvdXRwdXQBLQpvcGVyYXRvciAxA21hcApvcGVyYXRv
ciAyI3JlZHVjZUJ5S2V5QW5kV2luZG93IGRpc3RpbmN0IDRzIDFzCW9wZXJhdG9ycwEySU5QVCwA
AAAAAAAAAQNsb2dQT1NOGwAAAAAAAAABAQNsb2eA/AOHgMcCJCT2n/WAxYThloUBJARDTENLLwAA
AAAAAAABAQHAx3rwt3rAx3rwt3oBAfC3egHAx3oBBQgxMDAzIGEgMwEDbG9nBAEB8Ld6AENIQU6p
AAAAAAAAAANPUFNUBAAAAAAAAAADbWFwT1BTVHsAAAAAAAAAFHJlZHVjZUJ5S2V5QW5kV2luZG93
A8A+0A8IZGlzdGluY3QDAwHWDwMBwMd68Ld6AAHQDwEBBQFiAgEBsayOBQQB0g8BAQUBYQIBAd/a
9goBAdQPAQEFAWICAQHFzKwIAQEAAAIFAWECAQHf2vYKAQUBYgIBAcXMrAgBT1BTVAUAAAAAAAAA
BHRhaWxTSU5LAAAAAAAAAADL5iQ4CAIQuw==
B64
	5) base64 -d >"$T/ck/checkpoint" <<'B64' ;;
RFNUUlNOQVABAAAAQ0tQVP4BAAAAAAAATUVUQRAAAAAAAAAAAvil3vfGaAUwLjEuMMDHelBJUEWe
AAAAAAAAAAgOYmF0Y2ggaW50ZXJ2YWwHMTAwMCBtcwR0aW1lDWV2ZW50IHRpbWUgJDEJd2F0ZXJt
YXJrBDAgbXMLdGltZSBmb3JtYXQEYXV0bwZvdXRwdXQBLQpvcGVyYXRvciAxA21hcApvcGVyYXRv
ciAyI3JlZHVjZUJ5S2V5QW5kV2luZG93IGRpc3RpbmN0IDRzIDFzCW9wZXJhdG9ycwEySU5QVCsA
AAAAAAAAAQNsb2dQT1NOGgAAAAAAAAABAQNsb2eA/AOHgMcCLS3fpfvh7MKquBgtBUNMQ0svAAAA
AAAAAAEBAZDXesDHepDXesDHegEBwMd6AZDXegEFCDEwMDQgYiA0AQNsb2cFAQHAx3oAQ0hBTq4A
AAAAAAAAA09QU1QEAAAAAAAAAANtYXBPUFNUgAAAAAAAAAAUcmVkdWNlQnlLZXlBbmRXaW5kb3cD
wD7QDwhkaXN0aW5jdAMDANgPAwGQ13rAx3oAAdIPAQEFAWECAQHf2vYKAQHUDwEBBQFiAgEBxcys
CAEB1g8BAQUBYQIBAfzTpwwBAQAAAgUBYQQBAt/a9goBnfmwAQEFAWICAQHFzKwIAU9QU1QFAAAA
AAAAAAR0YWlsU0lOSwAAAAAAAAAAiqG4tOWI9eo=
B64
	esac
}

@test "checkpoints: a distinct window saved by the older dstream is refused, saying so" {
	local n T=$BATS_TEST_TMPDIR
	cd "$T"
	for n in 4 5; do
		rm -rf ck
		old_checkpoint "$n"
		run dstream -e '$1' -b 1s -i log --checkpoint ck \
		    map '($2, $3)' then reduceByKeyAndWindow distinct 4s 1s
		assert_failure 1
		assert_output --partial "checkpoint ck (checkpoint): this distinct window was saved by an older dstream"
		assert_output --partial "remove ck to start afresh"
		refute_output --regexp $'^a\t|^b\t'
	done
}
