#!/usr/bin/env bats
# spark_basic.bats - Spark Streaming's own test vectors for the operators
# beside the windows (spark_vectors.bats has WindowOperationsSuite):
# BasicOperationsSuite, MapWithStateSuite's state snapshots (our
# updateStateByKey), CheckpointSuite's recoveries, and the same
# operators' cases in Spark's JavaAPISuite and PySpark's test_dstream.
#
# A vector is a list of batches, each a Seq of records; here each batch
# is one JSON line {"t":SECONDS,"b":[records]} read in event time, batch
# i at second i (PySpark's tests: at i * 0.5 s, with 500ms batches), and
# the records are the array's elements (flatMap .b).  An empty batch is
# a line with [], so the stream has every batch Spark's TestInputStream
# has, empty ones included.  The output is -f spark (Spark's print()),
# read back as one line per batch, "SECONDS: row | row" ("SECONDS:" for
# an empty batch); where Spark's test compares sets (useSet, or a sort),
# the rows are sorted first (-u).
#
# Not ported, for want of the operator: glom, mapPartitions and
# repartition (no partitions), transform and transformWith, slice,
# cogroup and the stream-stream joins (join and leftOuterJoin take a
# static table here; PySpark's one-batch joins are ported with the
# second stream as the table), combineByKey, updateStateByKey with the
# batch time as input (no batch time in expressions), mapWithState's
# mapped output (our updateStateByKey emits what Spark calls the state
# snapshots).  An initial RDD (updateStateByKey's initialRDD,
# mapWithState's initialState) is a table file: initial TABLE.
#
# Where we differ from Spark on purpose the test says so: outer-join
# misses are null, not None, and matches are not wrapped in Some;
# arrays print as [a, b], not as Scala's ArrayBuffer(a, b); trailing
# windows are emitted while the data slides out, past the batches
# Spark's harness runs (DESIGN 4).

load test_helper
bats_require_minimum_version 1.5.0

setup() {
	T=$(mktemp -d)
}

teardown() {
	rm -rf "$T"
}

# feed [-s STEP] BATCH...: one line per batch, batch i at i * STEP
# seconds (STEP 1 unless given); a BATCH is a JSON array.
feed() {
	local step=1 i=0 b
	if [ "$1" = -s ]; then
		step=$2
		shift 2
	fi
	for b in "$@"; do
		printf '{"t":%s,"b":%s}\n' \
		    "$(awk -v i=$i -v s="$step" 'BEGIN { print i * s }')" "$b"
		i=$((i + 1))
	done
}

# spark_out [-u] [OPTION...] OPERATOR...: dstream over feed's lines
# (stdin, or the -i files among the OPTIONs, each one word:
# --batch=500ms), one line per batch as above; -u sorts each batch's rows.
spark_out() {
	local sorted=0 opts=()
	if [ "$1" = -u ]; then
		sorted=1
		shift
	fi
	while [ "${1#-}" != "$1" ]; do
		opts+=("$1")
		shift
	done
	timeout 30 "$DSTREAM" -j -e .t "${opts[@]}" -f spark \
	    flatMap .b then "$@" | awk -v sorted=$sorted '
		function flush(  i, j, r, s) {
			if (t == "")
				return
			if (sorted)
				for (i = 2; i <= n; i++)
					for (j = i; j > 1 && row[j - 1] "" > row[j] ""; j--) {
						r = row[j]; row[j] = row[j - 1]; row[j - 1] = r
					}
			s = t ":"
			for (i = 1; i <= n; i++)
				s = s (i > 1 ? " |" : "") " " row[i]
			print s
			t = ""
			n = 0
		}
		$0 == "-------------------------------------------" { next }
		/^Time: [0-9]+ ms$/ { flush(); t = $2 / 1000; next }
		$0 != "" { row[++n] = $0 }
		END { flush() }'
}

# The inputs BasicOperationsSuite uses most.
ONE_TO_12=('[1,2,3,4]' '[5,6,7,8]' '[9,10,11,12]')
WORDS=('["a","a","b"]' '["",""]' '[]')

# ---- BasicOperationsSuite ----

@test "spark basic: map" {
	run spark_out map 'x .. ""' < <(feed "${ONE_TO_12[@]}")
	assert_success
	assert_output "1: 1 | 2 | 3 | 4
2: 5 | 6 | 7 | 8
3: 9 | 10 | 11 | 12"
}

@test "spark basic: flatMap" {
	run spark_out flatMap '[x, x * 2]' < <(feed "${ONE_TO_12[@]}")
	assert_success
	assert_output "1: 1 | 2 | 2 | 4 | 3 | 6 | 4 | 8
2: 5 | 10 | 6 | 12 | 7 | 14 | 8 | 16
3: 9 | 18 | 10 | 20 | 11 | 22 | 12 | 24"
}

@test "spark basic: filter" {
	run spark_out filter 'x % 2 == 0' < <(feed "${ONE_TO_12[@]}")
	assert_success
	assert_output "1: 2 | 4
2: 6 | 8
3: 10 | 12"
}

@test "spark basic: groupByKey, the empty key and an empty batch" {
	run spark_out -u map '(x, 1)' then groupByKey < <(feed "${WORDS[@]}")
	assert_success
	# Spark prints the values as a Scala collection; we print an array.
	assert_output "1: (a,[1, 1]) | (b,[1])
2: (,[1, 1])
3:"
}

@test "spark basic: reduceByKey" {
	run spark_out -u map '(x, 1)' then reduceByKey 'a + b' < <(feed "${WORDS[@]}")
	assert_success
	assert_output "1: (a,2) | (b,1)
2: (,2)
3:"
	run spark_out -u map '(x, 1)' then reduceByKey sum < <(feed "${WORDS[@]}")
	assert_output "1: (a,2) | (b,1)
2: (,2)
3:"
}

@test "spark basic: reduce" {
	run spark_out reduce 'a + b' < <(feed "${ONE_TO_12[@]}")
	assert_success
	assert_output "1: 10
2: 26
3: 42"
}

@test "spark basic: count, 0 for the empty first batch" {
	run spark_out count < <(feed '[]' '[1]' '[1,2]' '[1,2,3]' '[1,2,3,4]')
	assert_success
	assert_output "1: 0
2: 1
3: 2
4: 3
5: 4"
}

@test "spark basic: countByValue" {
	run spark_out -u countByValue < <(feed '[1]' '[1,1,1]' '[1,2]' '[1,1,2,2]')
	assert_success
	assert_output "1: (1,1)
2: (1,3)
3: (1,1) | (2,1)
4: (1,2) | (2,2)"
}

@test "spark basic: mapValues" {
	run spark_out -u map '(x, 1)' then reduceByKey 'a + b' then \
	    mapValues 'x + 10' < <(feed "${WORDS[@]}")
	assert_success
	assert_output "1: (a,12) | (b,11)
2: (,12)
3:"
}

@test "spark basic: flatMapValues" {
	run spark_out map '(x, 1)' then reduceByKey 'a + b' then \
	    flatMapValues '[x, x + 10]' < <(feed "${WORDS[@]}")
	assert_success
	# Spark compares sets; ours come in key order, each key's in order.
	assert_output "1: (a,2) | (a,12) | (b,1) | (b,11)
2: (,2) | (,12)
3:"
}

@test "spark basic: union (s and s.map(_ + 4) as two inputs)" {
	feed '[1,2,3,4]' '[101,102,103,104]' '[201,202,203,204]' >"$T/s"
	feed '[5,6,7,8]' '[105,106,107,108]' '[205,206,207,208]' >"$T/s4"
	run spark_out -i"$T/s" -i"$T/s4" map x
	assert_success
	assert_output "1: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8
2: 101 | 102 | 103 | 104 | 105 | 106 | 107 | 108
3: 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208"
}

@test "spark basic: StreamingContext.union of three streams" {
	feed '[1,2,3,4]' '[101,102,103,104]' '[201,202,203,204]' >"$T/s"
	feed '[5,6,7,8]' '[105,106,107,108]' '[205,206,207,208]' >"$T/s4"
	feed '[9,10,11,12]' '[109,110,111,112]' '[209,210,211,212]' >"$T/s8"
	run spark_out -i"$T/s" -i"$T/s4" -i"$T/s8" map x
	assert_success
	assert_output "1: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12
2: 101 | 102 | 103 | 104 | 105 | 106 | 107 | 108 | 109 | 110 | 111 | 112
3: 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208 | 209 | 210 | 211 | 212"
}

# The running count of BasicOperationsSuite and MapWithStateSuite.
RUNNING='sum(values) + (state ?? 0)'
ABC=('["a"]' '["a","b"]' '["a","b","c"]' '["a","b"]' '["a"]' '[]')
ABC_STATES=('(a,1)' '(a,2) | (b,1)' '(a,3) | (b,2) | (c,1)'
    '(a,4) | (b,3) | (c,1)' '(a,5) | (b,3) | (c,1)' '(a,5) | (b,3) | (c,1)')

# numbered N ROWS...: spark_out's lines for batches N, N + 1... holding ROWS.
numbered() {
	local i=$1 r
	shift
	for r in "$@"; do
		echo "$i:${r:+ $r}"
		i=$((i + 1))
	done
}

@test "spark basic: updateStateByKey, every key held every batch, the last one empty" {
	run spark_out -u map '(x, 1)' then updateStateByKey "$RUNNING" \
	    < <(feed "${ABC[@]}")
	assert_success
	assert_output "$(numbered 1 "${ABC_STATES[@]}")"
}

@test "spark basic: updateStateByKey - object lifecycle, a state dropped by returning None" {
	# The state is (counter, batches without values); the second batch
	# in a row without values drops the key (null, Spark's None).
	f='sum(values) == 0
	    ? (state[1] == 1 ? null : (state[0], state[1] + 1))
	    : ((state ?? (0, 0))[0] + sum(values), 0)'
	run spark_out -u map '(x, 1)' then updateStateByKey "$f" then \
	    mapValues 'x[0]' < <(feed '["a","b"]' '[]' '["a","c","a"]' '["c"]' '[]' '[]')
	assert_success
	assert_output "1: (a,1) | (b,1)
2: (a,1) | (b,1)
3: (a,3) | (c,1)
4: (a,3) | (c,2)
5: (c,2)
6:"
}

@test "spark basic: updateStateByKey - simple with initial value RDD, and with initial value RDD" {
	# Spark's two vectors differ only in the form of the update
	# function (per key, or over an iterator of keys): one for us.
	printf 'a\t1\nc\t2\n' >"$T/initial.tsv"
	run spark_out -u map '(x, 1)' then updateStateByKey "$RUNNING" \
	    initial "$T/initial.tsv" < <(feed "${ABC[@]}")
	assert_success
	assert_output "$(numbered 1 '(a,2) | (c,2)' '(a,3) | (b,1) | (c,2)' \
	    '(a,4) | (b,2) | (c,3)' '(a,5) | (b,3) | (c,3)' \
	    '(a,6) | (b,3) | (c,3)' '(a,6) | (b,3) | (c,3)')"
}

# ---- MapWithStateSuite: the state snapshots ----

@test "spark mapWithState: initial states, with nothing returned as from mapping function" {
	printf 'a\t5\nb\t10\nc\t-20\nd\t0\n' >"$T/initial.tsv"
	run spark_out -u map '(x, 1)' then updateStateByKey "$RUNNING" \
	    initial "$T/initial.tsv" < <(feed '[]' "${ABC[@]}")
	assert_success
	# The first batch, empty, holds the initial states as they are.
	assert_output "$(numbered 1 '(a,5) | (b,10) | (c,-20) | (d,0)' \
	    '(a,6) | (b,10) | (c,-20) | (d,0)' '(a,7) | (b,11) | (c,-20) | (d,0)' \
	    '(a,8) | (b,12) | (c,-19) | (d,0)' '(a,9) | (b,13) | (c,-19) | (d,0)' \
	    '(a,10) | (b,13) | (c,-19) | (d,0)' '(a,10) | (b,13) | (c,-19) | (d,0)')"
}

@test "spark mapWithState: basic operations, the state snapshots" {
	run spark_out -u map '(x, 1)' then updateStateByKey "$RUNNING" \
	    < <(feed '[]' "${ABC[@]}")
	assert_success
	assert_output "$(numbered 1 '' "${ABC_STATES[@]}")"
}

@test "spark mapWithState: state removing" {
	# A key's state is removed by the next batch that has the key.
	f='len(values) == 0 ? state : (state == null ? values[0] : null)'
	run spark_out -u map '(x, 1)' then updateStateByKey "$f" < <(feed '[]' \
	    '["a"]' '["a","b"]' '["a","b","c"]' '["a","b","c"]' '["a","b"]' '["a"]' '[]')
	assert_success
	assert_output "1:
2: (a,1)
3: (b,1)
4: (a,1) | (c,1)
5: (b,1)
6: (a,1)
7:
8:"
}

@test "spark mapWithState: state timing out (timeout 3s)" {
	a='["a"]'
	run spark_out -u map '(x, 1)' then updateStateByKey 1 3s < <(feed \
	    '["a","b","c"]' '["a","b"]' $a '[]' '[]' $a $a $a $a $a $a $a)
	assert_success
	# Spark asserts that a, b and c are held together at some batch, that
	# b and c time out once each, and that in the end only a is held.
	# Spark's rule, a key not updated since batch time T times out at the
	# first batch later than T + timeout, gives these batches exactly.
	assert_output "1: (a,1) | (b,1) | (c,1)
2: (a,1) | (b,1) | (c,1)
3: (a,1) | (b,1) | (c,1)
4: (a,1) | (b,1) | (c,1)
5: (a,1) | (b,1)
6: (a,1)
7: (a,1)
8: (a,1)
9: (a,1)
10: (a,1)
11: (a,1)
12: (a,1)"
}

# ---- CheckpointSuite: recovery, as two cron runs ----

# recover N OPERATOR...: the batches on stdin run as two runs sharing a
# checkpoint, the first over the first N batches, the second (--final)
# over all of them, their outputs one after the other.
recover() {
	local n=$1
	shift
	cat >"$T/all"
	head -n "$n" "$T/all" >"$T/in"
	spark_out -u --checkpoint="$T/cp" -i"$T/in" "$@"
	cat "$T/all" >"$T/in"
	spark_out -u --checkpoint="$T/cp" --final -i"$T/in" "$@"
}

@test "spark checkpoint: recovery with map and reduceByKey operations" {
	run recover 3 map '(x, 1)' then reduceByKey 'a + b' < <(feed \
	    "${WORDS[@]}" "${WORDS[@]}")
	assert_success
	# Spark processes again the last batch before the stop; the
	# checkpoint holds it open instead, and the batch comes out once.
	assert_output "1: (a,2) | (b,1)
2: (,2)
3:
4: (a,2) | (b,1)
5: (,2)
6:"
}

# CheckpointSuite's input for the stateful recoveries: ten batches of "a".
TEN_A=('["a"]' '["a"]' '["a"]' '["a"]' '["a"]' '["a"]' '["a"]' '["a"]' '["a"]' '["a"]')

@test "spark checkpoint: recovery with invertible reduceByKeyAndWindow operation" {
	run recover 7 map '(x, 1)' then reduceByKeyAndWindow 'a + b' 'a - b' 4 1 \
	    < <(feed "${TEN_A[@]}")
	assert_success
	# Spark's ten batches, 1 2 3 then 4, then the trailing windows as the
	# data slides out.
	assert_output "$(numbered 1 '(a,1)' '(a,2)' '(a,3)' $(printf '(a,4) %.0s' {1..7}) \
	    '(a,3)' '(a,2)' '(a,1)')"
}

@test "spark checkpoint: recovery with updateStateByKey operation" {
	run recover 7 map '(x, 1)' then updateStateByKey "$RUNNING" \
	    < <(feed "${TEN_A[@]}")
	assert_success
	assert_output "$(numbered 1 $(printf '(a,%d) ' {1..10}))"
}

@test "spark checkpoint: recovery with updateStateByKey and an initial state, applied once" {
	printf 'a\t100\n' >"$T/initial.tsv"
	run recover 7 map '(x, 1)' then updateStateByKey "$RUNNING" \
	    initial "$T/initial.tsv" < <(feed "${TEN_A[@]}")
	assert_success
	# The second run resumes the states: 108 follows 107.
	assert_output "$(numbered 1 $(printf '(a,%d) ' {101..110}))"
}

# ---- JavaAPISuite ----

KV=('[["california",1],["california",3],["new york",4],["new york",1]]'
    '[["california",5],["california",5],["new york",3],["new york",1]]')

@test "spark java: reduceByWindow, with and without an inverse" {
	for f in "'a + b' 'a - b'" "'a + b'" sum; do
		eval "run spark_out reduceByWindow $f 2 1" \
		    < <(feed '[1,2,3]' '[4,5,6]' '[7,8,9]')
		assert_success
		assert_output "1: 6
2: 21
3: 39
4: 24"
	done
}

@test "spark java: window, and window with a slide" {
	run spark_out -u window 2s < <(feed '[1,2,3]' '[4,5,6]' '[7,8,9]')
	assert_success
	assert_output "1: 1 | 2 | 3
2: 1 | 2 | 3 | 4 | 5 | 6
3: 4 | 5 | 6 | 7 | 8 | 9
4: 7 | 8 | 9"
	run spark_out window 4s 2s < <(feed '[1,2,3]' '[4,5,6]' '[7,8,9]' \
	    '[10,11,12]' '[13,14,15]' '[16,17,18]')
	assert_success
	assert_output "2: 1 | 2 | 3 | 4 | 5 | 6
4: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12
6: 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16 | 17 | 18
8: 13 | 14 | 15 | 16 | 17 | 18"
}

@test "spark java: pair operations (swap, reduceByKey, groupByKey, countByValue)" {
	run spark_out map '(x[1], x[0])' < <(feed "${KV[@]}")
	assert_success
	assert_output "1: (1,california) | (3,california) | (4,new york) | (1,new york)
2: (5,california) | (5,california) | (3,new york) | (1,new york)"
	run spark_out map '(x[0], x[1])' then reduceByKey 'a + b' < <(feed "${KV[@]}")
	assert_output "1: (california,4) | (new york,5)
2: (california,10) | (new york,4)"
	run spark_out map '(x[0], x[1])' then groupByKey < <(feed "${KV[@]}")
	assert_output "1: (california,[1, 3]) | (new york,[4, 1])
2: (california,[5, 5]) | (new york,[3, 1])"
	run spark_out countByValue < <(feed '["hello","world"]' '["hello","moon"]' '["hello"]')
	assert_output "1: (hello,1) | (world,1)
2: (hello,1) | (moon,1)
3: (hello,1)"
}

@test "spark java: reduceByKeyAndWindow, groupByKeyAndWindow, updateStateByKey" {
	for f in "'a + b'" "'a + b' 'a - b'" sum; do
		eval "run spark_out map '(x[0], x[1])' then reduceByKeyAndWindow $f 2 1" \
		    < <(feed "${KV[@]}" '[]')
		assert_success
		assert_output "1: (california,4) | (new york,5)
2: (california,14) | (new york,9)
3: (california,10) | (new york,4)"
	done
	run spark_out map '(x[0], x[1])' then groupByKeyAndWindow 2 1 \
	    < <(feed "${KV[@]}" '[]')
	assert_output "1: (california,[1, 3]) | (new york,[4, 1])
2: (california,[1, 3, 5, 5]) | (new york,[4, 1, 3, 1])
3: (california,[5, 5]) | (new york,[3, 1])"
	run spark_out map '(x[0], x[1])' then updateStateByKey "$RUNNING" \
	    < <(feed "${KV[@]}" '[]')
	assert_output "1: (california,4) | (new york,5)
2: (california,14) | (new york,9)
3: (california,14) | (new york,9)"
}

@test "spark java: updateStateByKey with initial" {
	printf 'california\t1\nnew york\t2\n' >"$T/initial.tsv"
	run spark_out map '(x[0], x[1])' then updateStateByKey "$RUNNING" \
	    initial "$T/initial.tsv" < <(feed "${KV[@]}" '[]')
	assert_success
	assert_output "1: (california,5) | (new york,7)
2: (california,15) | (new york,11)
3: (california,15) | (new york,11)"
}

# ---- PySpark's test_dstream (500ms batches) ----

RANGES=('[1,2,3,4]' '[5,6,7,8]' '[9,10,11,12]')

@test "pyspark: map, flatMap, filter, count, reduce" {
	run spark_out --batch=500ms map 'x .. ""' < <(feed -s 0.5 "${RANGES[@]}")
	assert_success
	assert_output "0.5: 1 | 2 | 3 | 4
1: 5 | 6 | 7 | 8
1.5: 9 | 10 | 11 | 12"
	run spark_out --batch=500ms flatMap '[x, x * 2]' < <(feed -s 0.5 "${RANGES[@]}")
	assert_output "0.5: 1 | 2 | 2 | 4 | 3 | 6 | 4 | 8
1: 5 | 10 | 6 | 12 | 7 | 14 | 8 | 16
1.5: 9 | 18 | 10 | 20 | 11 | 22 | 12 | 24"
	run spark_out --batch=500ms filter 'x % 2 == 0' < <(feed -s 0.5 "${RANGES[@]}")
	assert_output "0.5: 2 | 4
1: 6 | 8
1.5: 10 | 12"
	run spark_out --batch=500ms count < <(feed -s 0.5 '[0,1,2,3,4]' \
	    '[0,1,2,3,4,5,6,7,8,9]' '[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19]')
	assert_output "0.5: 5
1: 10
1.5: 20"
	run spark_out --batch=500ms reduce 'a + b' < <(feed -s 0.5 "${RANGES[@]}")
	assert_output "0.5: 10
1: 26
1.5: 42"
}

@test "pyspark: reduceByKey, mapValues, flatMapValues, with keys of several types" {
	run spark_out -u --batch=500ms map '(x[0], x[1])' then reduceByKey 'a + b' \
	    < <(feed -s 0.5 '[["a",1],["a",1],["b",1],["b",1]]' \
	    '[["",1],["",1],["",1],["",1]]' '[[1,1],[1,1],[2,1],[2,1],[3,1]]')
	assert_success
	assert_output "0.5: (a,2) | (b,2)
1: (,4)
1.5: (1,2) | (2,2) | (3,1)"
	run spark_out -u --batch=500ms map '(x[0], x[1])' then mapValues 'x + 10' \
	    < <(feed -s 0.5 '[["a",2],["b",2],["c",1],["d",1]]' \
	    '[[0,4],[1,1],[2,2],[3,3]]' '[[1,1],[2,1],[3,1],[4,1]]')
	assert_output "0.5: (a,12) | (b,12) | (c,11) | (d,11)
1: (0,14) | (1,11) | (2,12) | (3,13)
1.5: (1,11) | (2,11) | (3,11) | (4,11)"
	# Not sorted: PySpark compares the lists as they come.
	run spark_out --batch=500ms map '(x[0], x[1])' then flatMapValues '[x, x + 10]' \
	    < <(feed -s 0.5 '[["a",2],["b",2],["c",1],["d",1]]' \
	    '[[0,4],[1,1],[2,1],[3,1]]' '[[1,1],[2,1],[3,1],[4,1]]')
	assert_output "0.5: (a,2) | (a,12) | (b,2) | (b,12) | (c,1) | (c,11) | (d,1) | (d,11)
1: (0,4) | (0,14) | (1,1) | (1,11) | (2,1) | (2,11) | (3,1) | (3,11)
1.5: (1,1) | (1,11) | (2,1) | (2,11) | (3,1) | (3,11) | (4,1) | (4,11)"
}

@test "pyspark: countByValue and groupByKey" {
	run spark_out -u --batch=500ms countByValue < <(feed -s 0.5 \
	    '[1,2,3,4,1,2,3,4]' '[5,6,5,6,7,8]' '["a","a","b",""]')
	assert_success
	assert_output "0.5: (1,2) | (2,2) | (3,2) | (4,2)
1: (5,2) | (6,2) | (7,1) | (8,1)
1.5: (,1) | (a,2) | (b,1)"
	run spark_out -u --batch=500ms map '(x[0], x[1])' then groupByKey \
	    < <(feed -s 0.5 '[[1,1],[2,1],[3,1],[4,1]]' \
	    '[[1,1],[1,1],[1,1],[2,1],[2,1],[3,1]]' \
	    '[["a",1],["a",1],["b",1],["",1],["",1],["",1]]')
	assert_output "0.5: (1,[1]) | (2,[1]) | (3,[1]) | (4,[1])
1: (1,[1, 1, 1]) | (2,[1, 1]) | (3,[1])
1.5: (,[1, 1, 1]) | (a,[1, 1]) | (b,[1])"
}

@test "pyspark: union, the second stream shorter" {
	feed -s 0.5 '[0,1,2]' '[0,1,2,3,4]' '[0,1,2,3,4,5]' >"$T/d1"
	feed -s 0.5 '[3,4,5]' '[5]' >"$T/d2"
	run spark_out -u --batch=500ms -i"$T/d1" -i"$T/d2" map x
	assert_success
	assert_output "0.5: 0 | 1 | 2 | 3 | 4 | 5
1: 0 | 1 | 2 | 3 | 4 | 5
1.5: 0 | 1 | 2 | 3 | 4 | 5"
}

@test "pyspark: join and leftOuterJoin, the second stream as a table" {
	printf '{"key":"b","value":3}\n{"key":"c","value":4}\n' >"$T/t.jsonl"
	run spark_out -u --batch=500ms map '(x[0], x[1])' then join "$T/t.jsonl" \
	    < <(feed -s 0.5 '[["a",1],["b",2]]')
	assert_success
	assert_output "0.5: (b,(2,3))"
	run spark_out -u --batch=500ms map '(x[0], x[1])' then leftOuterJoin "$T/t.jsonl" \
	    < <(feed -s 0.5 '[["a",1],["b",2]]')
	# PySpark: ('a', (1, None)); a miss is null here.
	assert_output "0.5: (a,(1,null)) | (b,(2,3))"
}

@test "pyspark: updateStateByKey, a list extended by each batch's values" {
	f='state == null ? values : json(replace(tojson(state) .. tojson(values), "][", ","))'
	run spark_out --batch=500ms map '("k", x)' then updateStateByKey "$f" \
	    < <(feed -s 0.5 '[0]' '[1]' '[2]' '[3]' '[4]')
	assert_success
	assert_output "0.5: (k,[0])
1: (k,[0, 1])
1.5: (k,[0, 1, 2])
2: (k,[0, 1, 2, 3])
2.5: (k,[0, 1, 2, 3, 4])"
}

@test "pyspark: updateStateByKey with initialRDD, a list extended by each batch's values" {
	# The initial list is a JSON value: a JSON lines table.
	printf '{"key":"k","value":[0,1]}\n' >"$T/initial.jsonl"
	f='state == null ? values : json(replace(tojson(state) .. tojson(values), "][", ","))'
	run spark_out --batch=500ms map '("k", x)' then updateStateByKey "$f" \
	    initial "$T/initial.jsonl" < <(feed -s 0.5 '[2]' '[3]' '[4]')
	assert_success
	assert_output "0.5: (k,[0, 1, 2])
1: (k,[0, 1, 2, 3])
1.5: (k,[0, 1, 2, 3, 4])"
}

PYRANGES=('[0]' '[0,1]' '[0,1,2]' '[0,1,2,3]' '[0,1,2,3,4]' '[0,1,2,3,4,5]')

@test "pyspark: window then count, and countByWindow" {
	# PySpark's test_window and test_count_by_window: the same counts.
	for op in "window 1.5 0.5 then count" "countByWindow 1.5 0.5"; do
		run spark_out --batch=500ms $op < <(feed -s 0.5 "${PYRANGES[@]:0:5}")
		assert_success
		assert_output "0.5: 1
1: 3
1.5: 6
2: 9
2.5: 12
3: 9
3.5: 5"
	done
	run spark_out --batch=500ms countByWindow 2.5 0.5 < <(feed -s 0.5 "${PYRANGES[@]}")
	assert_output "0.5: 1
1: 3
1.5: 6
2: 10
2.5: 15
3: 20
3.5: 18
4: 15
4.5: 11
5: 6"
}

@test "pyspark: countByValueAndWindow" {
	run spark_out -u --batch=500ms countByValueAndWindow 2.5 0.5 \
	    < <(feed -s 0.5 "${PYRANGES[@]}")
	assert_success
	assert_output "0.5: (0,1)
1: (0,2) | (1,1)
1.5: (0,3) | (1,2) | (2,1)
2: (0,4) | (1,3) | (2,2) | (3,1)
2.5: (0,5) | (1,4) | (2,3) | (3,2) | (4,1)
3: (0,5) | (1,5) | (2,4) | (3,3) | (4,2) | (5,1)
3.5: (0,4) | (1,4) | (2,4) | (3,3) | (4,2) | (5,1)
4: (0,3) | (1,3) | (2,3) | (3,3) | (4,2) | (5,1)
4.5: (0,2) | (1,2) | (2,2) | (3,2) | (4,2) | (5,1)
5: (0,1) | (1,1) | (2,1) | (3,1) | (4,1) | (5,1)"
}

@test "pyspark: groupByKeyAndWindow" {
	run spark_out --batch=500ms map '("a", x)' then groupByKeyAndWindow 1.5 0.5 \
	    < <(feed -s 0.5 '[0]' '[1]' '[2]' '[3]' '[4]')
	assert_success
	assert_output "0.5: (a,[0])
1: (a,[0, 1])
1.5: (a,[0, 1, 2])
2: (a,[1, 2, 3])
2.5: (a,[2, 3, 4])
3: (a,[3, 4])
3.5: (a,[4])"
}

@test "pyspark: reduceByKeyAndWindow with a None inverse, then filter and count" {
	for f in "'a + b'" "'a + b' 'a - b'"; do
		eval "run spark_out --batch=500ms map '(x, 1)' then \
		    reduceByKeyAndWindow $f 5 1 then filter 'value > 0' then count" \
		    < <(feed -s 0.5 "${PYRANGES[@]}")
		assert_success
		# PySpark stops after six; the seventh window still holds data.
		assert_output "1: 2
2: 4
3: 6
4: 6
5: 6
6: 6
7: 6"
	done
}

@test "pyspark: reduceByKeyAndWindow over an invalid window is refused" {
	run --separate-stderr dstream --batch 500ms reduceByKeyAndWindow 'a + b' 'a - b' 0.1 0.1
	assert_failure 2
	[[ $stderr == *"window length 100ms is not a multiple of the batch interval 500ms"* ]]
	run --separate-stderr dstream --batch 500ms reduceByKeyAndWindow 'a + b' 'a - b' 1 0.1
	assert_failure 2
	[[ $stderr == *"slide 100ms is not a multiple of the batch interval 500ms"* ]]
}

# ---- print() ----

@test "spark print: the header, the first ten records, then ..." {
	run bash -c "$(declare -f feed); feed '[0,1,2,3,4,5,6,7,8,9,10]' '[]' |
	    \"\$DSTREAM\" -j -e .t flatMap .b then print"
	assert_success
	assert_output "-------------------------------------------
Time: 1000 ms
-------------------------------------------
0
1
2
3
4
5
6
7
8
9
...

-------------------------------------------
Time: 2000 ms
-------------------------------------------"
}
