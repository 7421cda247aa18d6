#!/usr/bin/env bats
# spark_vectors.bats - Spark Streaming's own window test vectors
# (WindowOperationsSuite), replayed in event time: Spark's batch i
# (0-based, 1 s batches) is the records stamped i seconds, and Spark's
# output at batch time T is our window ending at T.  Where Spark prints
# rows we deliberately do not (stale zero rows after an inverse function
# without a filter, empty trailing windows that event time cannot see),
# the test says so.

load test_helper

# batches "a:1 b:1|a:1||..." -> lines "SECOND KEY VALUE"
batches() {
	local i=0 b r
	IFS='|' read -ra bs <<< "$1"
	for b in "${bs[@]}"; do
		for r in $b; do
			echo "$i ${r%%:*} ${r#*:}"
		done
		i=$((i + 1))
	done
}

# Windows as "T:k=v,k=v;T:..." from the --stamp output.
windows() {
	"$DSTREAM" -s -e '$1' -b 1s "$@" | awk -F'\t' '
		{ t = substr($1, 18, 2) + 0; row = (NF == 3) ? $2 "=" $3 : $2
		  if (t != last) { if (out != "") out = out ";"; out = out t ":" row; last = t }
		  else out = out "," row }
		END { print out }'
}

big="a:1|a:1 b:1|a:1 b:1 c:1|a:1 b:1|a:1||a:1|a:1 b:1|a:1 b:1 c:1|a:1 b:1|a:1|"
big_reduce="1:a=1;2:a=2,b=1;3:a=2,b=2,c=1;4:a=2,b=2,c=1;5:a=2,b=1;6:a=1;7:a=1;8:a=2,b=1;9:a=2,b=2,c=1;10:a=2,b=2,c=1;11:a=2,b=1;12:a=1"

@test "spark: window - basic window (2s, 1s)" {
	run bash -c "$(declare -f windows); printf '0 0\n1 1\n2 2\n3 3\n4 4\n5 5\n' | windows map '\$2' then window 2s 1s"
	# Spark: (0) (0,1) (1,2) (2,3) (3,4) (4,5) - and (5) as the data slides out.
	assert_output "1:0;2:0,1;3:1,2;4:2,3;5:3,4;6:4,5;7:5"
}

@test "spark: window - tumbling window (2s, 2s)" {
	run bash -c "$(declare -f windows); printf '0 0\n1 1\n2 2\n3 3\n4 4\n5 5\n' | windows map '\$2' then window 2s 2s"
	assert_output "2:0,1;4:2,3;6:4,5"
}

@test "spark: window - larger window (4s, 2s)" {
	run bash -c "$(declare -f windows); printf '0 0\n1 1\n2 2\n3 3\n4 4\n5 5\n' | windows map '\$2' then window 4s 2s"
	assert_output "2:0,1;4:0,1,2,3;6:2,3,4,5;8:4,5"
}

@test "spark: window - non-overlapping window (2s, 3s)" {
	run bash -c "$(declare -f windows); printf '0 0\n1 1\n2 2\n3 3\n4 4\n5 5\n' | windows map '\$2' then window 2s 3s"
	assert_output "3:1,2;6:4,5"
}

@test "spark: reduceByKeyAndWindow - basic reduction, with and without inverse" {
	for f in "'a + b'" "sum" "'a + b' 'a - b'"; do
		run bash -c "$(declare -f windows); printf '0 a 1\n0 a 3\n' | windows map '(\$2, num(\$3))' then reduceByKeyAndWindow $f 2s 1s"
		assert_output "1:a=4;2:a=4"
	done
}

@test "spark: reduceByKeyAndWindow - key removed from window" {
	# Spark without a filter prints (a,0) at the end with an inverse; we never print stale zero rows.
	for f in "'a + b'" "sum" "'a + b' 'a - b'"; do
		run bash -c "$(declare -f windows); printf '0 a 1\n1 a 1\n' | windows map '(\$2, num(\$3))' then reduceByKeyAndWindow $f 2s 1s"
		assert_output "1:a=1;2:a=2;3:a=1"
	done
}

@test "spark: reduceByKeyAndWindow - larger slide time (4s, 2s)" {
	for f in "'a + b'" "sum" "'a + b' 'a - b'"; do
		run bash -c "$(declare -f windows); printf '0 a 1\n1 a 2\n2 a 3\n3 a 4\n4 a 5\n5 a 6\n' | windows map '(\$2, num(\$3))' then reduceByKeyAndWindow $f 4s 2s"
		assert_output "2:a=3;4:a=10;6:a=18;8:a=11"
	done
}

@test "spark: reduceByKeyAndWindow - big test, with and without inverse (as Spark's filtered inverse)" {
	for f in "'a + b'" "sum" "'a + b' 'a - b'"; do
		run bash -c "$(declare -f batches windows); batches '$big' | windows map '(\$2, num(\$3))' then reduceByKeyAndWindow $f 2s 1s"
		assert_output "$big_reduce"
	done
}

@test "spark: groupByKeyAndWindow - big test" {
	run bash -c "$(declare -f batches windows); batches '$big' | windows map '(\$2, num(\$3))' then groupByKeyAndWindow 2s 1s then map '(key, len(value))'"
	assert_output "$big_reduce"
}

@test "spark: countByWindow" {
	# Spark's input ends with two empty batches and prints 1 2 3 3 1 0; in event
	# time the last empty window is not seen, the rest agree.
	run bash -c "$(declare -f windows); printf '0 1\n1 1\n2 1\n2 2\n3 0\n' | windows countByWindow 2s 1s"
	assert_output "1:1;2:2;3:3;4:3;5:1"
}

@test "spark: countByValueAndWindow" {
	run bash -c "$(declare -f windows); printf '0 a\n1 b\n1 b\n2 a\n2 b\n' | windows map '\$2' then countByValueAndWindow 2s 1s"
	# Spark: (a,1) (a,1)(b,2) (a,1)(b,3); then the trailing window as data slides out.
	assert_output "1:a=1;2:a=1,b=2;3:a=1,b=3;4:a=1,b=1"
}

@test "spark: reduceByKeyAndWindow - key already in window and new value added, new key added" {
	for f in "'a + b'" "sum" "'a + b' 'a - b'"; do
		run bash -c "$(declare -f windows); printf '0 a 1\n1 a 1\n' | windows map '(\$2, num(\$3))' then reduceByKeyAndWindow $f 2s 1s"
		# Spark runs two batches: (a,1) (a,2); then the data slides out.
		assert_output "1:a=1;2:a=2;3:a=1"
		run bash -c "$(declare -f batches windows); batches 'a:1|a:1 b:1' | windows map '(\$2, num(\$3))' then reduceByKeyAndWindow $f 2s 1s"
		assert_output "1:a=1;2:a=2,b=1;3:a=1,b=1"
	done
}

@test "spark: windows after the last data are not emitted, even where Spark's input has empty batches" {
	# Spark's "key removed from window" runs four batches, the last two
	# empty, and prints () at the fourth ((a,0) with an inverse), and its
	# countByWindow prints 0 at the sixth.  The empty batches are here as
	# records the first operator drops, so the stream has them; still,
	# event time emits no window after the last one holding data (DESIGN 4).
	for f in "'a + b'" "sum" "'a + b' 'a - b'"; do
		run bash -c "$(declare -f windows); printf '0 a\n1 a\n2 -\n3 -\n' | windows filter '\$2 != \"-\"' then map '(\$2, 1)' then reduceByKeyAndWindow $f 2s 1s"
		assert_output "1:a=1;2:a=2;3:a=1"
	done
	run bash -c "$(declare -f windows); printf '0 1\n1 1\n2 1\n2 2\n3 0\n4 -\n5 -\n' | windows filter '\$2 != \"-\"' then countByWindow 2s 1s"
	assert_output "1:1;2:2;3:3;4:3;5:1"
}

@test "spark: reduceByWindow, with and without an inverse (JavaAPISuite)" {
	for f in "'a + b' 'a - b'" "'a + b'" "sum"; do
		run bash -c "$(declare -f windows); printf '0 1\n0 2\n0 3\n1 4\n1 5\n1 6\n2 7\n2 8\n2 9\n' | windows map 'num(\$2)' then reduceByWindow $f 2s 1s"
		assert_output "1:6;2:21;3:39;4:24"
	done
}
