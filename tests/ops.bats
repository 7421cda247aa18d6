#!/usr/bin/env bats
# ops.bats - the per-record and per-batch operators: map, flatMap,
# filter, mapValues, flatMapValues, count, countByValue, reduce,
# reduceByKey, groupByKey, sortBy, take, print.  Input is a file on
# stdin, so each test sees one batch (and one flush).

bats_require_minimum_version 1.5.0
load test_helper

# ---- map, flatMap, filter ----

@test "map: emits the expression of each record" {
	run dstream map 'upper($0)' <<'EOF'
hello world
a b
EOF
	assert_success
	assert_output $'HELLO WORLD\nA B'
}

@test "map: a pair prints as tab-separated fields" {
	run dstream map '($2, $1)' <<'EOF'
a 1
b 2
EOF
	assert_success
	assert_output $'1\ta\n2\tb'
}

@test "map: empty input gives no output" {
	run dstream map '$1' </dev/null
	assert_success
	assert_output ''
}

@test "flatMap: emits each element of the array" {
	run dstream flatMap 'split($0, " ")' <<'EOF'
to be
or not

to be
EOF
	assert_success
	assert_output $'to\nbe\nor\nnot\nto\nbe'
}

@test "flatMap: a non-array result is skipped and reported" {
	run --separate-stderr dstream flatMap '$1' <<'EOF'
one
EOF
	assert_success
	assert_output ''
	[[ $stderr == *flatMap*"not an array"*'"one"'* ]]
}

@test "flatMap: a non-array result stops the run with --on-error fail" {
	run --separate-stderr dstream --on-error fail flatMap '$1' <<'EOF'
one
EOF
	assert_failure 1
	[[ $stderr == *flatMap*"not an array"* ]]
}

@test "filter: keeps the records where the expression is true" {
	run dstream filter '$2 > 1' <<'EOF'
a 1
b 2
c 10
d 0.5
EOF
	assert_success
	assert_output $'b 2\nc 10'
}

@test "filter: regex match keeps matching lines unchanged" {
	run dstream filter '$0 ~ /^GET /' <<'EOF'
GET /a
POST /b
GET /c
EOF
	assert_success
	assert_output $'GET /a\nGET /c'
}

# ---- mapValues, flatMapValues ----

@test "mapValues: maps the value and keeps the key" {
	run dstream map '($1, num($2))' then mapValues 'x * 10' <<'EOF'
a 1
b 2
EOF
	assert_success
	assert_output $'a\t10\nb\t20'
}

@test "mapValues: a record that is not a pair is skipped, named and shown" {
	run --separate-stderr dstream mapValues 'x' <<'EOF'
lonely line
EOF
	assert_success
	assert_output ''
	[[ $stderr == *mapValues*"record is not a (key, value) pair"*'"lonely line"'* ]]
}

@test "mapValues: a record that is not a pair is fatal with --on-error fail" {
	run --separate-stderr dstream --on-error fail mapValues 'x' <<'EOF'
lonely line
EOF
	assert_failure 1
	[[ $stderr == *mapValues*"not a (key, value) pair"* ]]
}

@test "flatMapValues: one pair per element, key kept" {
	run dstream map '($1, $2)' then flatMapValues 'split(x, ",")' <<'EOF'
a x,y
b z
EOF
	assert_success
	assert_output $'a\tx\na\ty\nb\tz'
}

# ---- count, countByValue ----

@test "count: the number of records in the batch" {
	run dstream count <<'EOF'
a
b
c
EOF
	assert_success
	assert_output '3'
}

@test "count: an empty batch counts 0" {
	run dstream count </dev/null
	assert_success
	assert_output '0'
}

@test "count: takes no arguments" {
	run --separate-stderr dstream count 5
	assert_failure 2
	[[ $stderr == *count*"no arguments"* ]]
}

@test "countByValue: (value, n) sorted by value" {
	run dstream countByValue <<'EOF'
pear
apple
pear
fig
apple
pear
EOF
	assert_success
	assert_output $'apple\t2\nfig\t1\npear\t3'
}

@test "countByValue: numbers sort before strings and 2 equals 2.0" {
	run dstream map '$1 == "b" ? $1 : num($1)' then countByValue <<'EOF'
10
2
2.0
b
9
EOF
	assert_success
	assert_output $'2\t2\n9\t1\n10\t1\nb\t1'
}

@test "countByValue: empty input gives no rows" {
	run dstream countByValue </dev/null
	assert_success
	assert_output ''
}

@test "countByValue: equal input gives byte-identical output" {
	input=$(for i in $(seq 1 500); do echo "k$((i * 7919 % 97))"; done)
	run dstream countByValue <<<"$input"
	assert_success
	first=$output
	run dstream countByValue <<<"$(echo "$input" | tac)"
	assert_success
	[ "$output" = "$first" ]
	[ "$(echo "$output" | wc -l)" -eq 97 ]
	[ "$(echo "$output" | cut -f1)" = "$(echo "$output" | cut -f1 | LC_ALL=C sort)" ]
}

# ---- reduce ----

@test "reduce sum: one value per batch" {
	run dstream reduce sum <<'EOF'
1
2
3.5
EOF
	assert_success
	assert_output '6.5'
}

@test "reduce: nothing for an empty batch" {
	run dstream reduce sum </dev/null
	assert_success
	assert_output ''
}

@test "reduce: a custom function over a and b" {
	run dstream reduce 'a * b' <<'EOF'
2
3
4
EOF
	assert_success
	assert_output '24'
}

@test "reduce sum: int overflow turns into a double" {
	run dstream reduce sum <<'EOF'
9223372036854775807
1
EOF
	assert_success
	assert_output '9.223372036854776e+18'
}

@test "reduce sum: a non-number is skipped and reported" {
	run --separate-stderr dstream reduce sum <<'EOF'
1
abc
2
EOF
	assert_success
	assert_output '3'
	[[ $stderr == *sum*"not a number"*'"abc"'* ]]
}

@test "reduce: needs a function" {
	run --separate-stderr dstream reduce
	assert_failure 2
	[[ $stderr == *reduce*FUNC* ]]
}

# ---- reduceByKey and the named reducers ----

pairs() {
	cat <<'EOF'
b 5
a 3
b 1
a 10
c 7
a 4
EOF
}

@test "reduceByKey sum" {
	run dstream map '($1, $2)' then reduceByKey sum < <(pairs)
	assert_success
	assert_output $'a\t17\nb\t6\nc\t7'
}

@test "reduceByKey count" {
	run dstream map '($1, $2)' then reduceByKey count < <(pairs)
	assert_success
	assert_output $'a\t3\nb\t2\nc\t1'
}

@test "reduceByKey min compares numeric text as numbers" {
	run dstream map '($1, $2)' then reduceByKey min < <(pairs)
	assert_success
	assert_output $'a\t3\nb\t1\nc\t7'
}

@test "reduceByKey max compares numeric text as numbers" {
	run dstream map '($1, $2)' then reduceByKey max < <(pairs)
	assert_success
	assert_output $'a\t10\nb\t5\nc\t7'
}

@test "reduceByKey avg" {
	run dstream map '($1, $2)' then reduceByKey avg < <(pairs)
	assert_success
	assert_output $'a\t5.666666666666667\nb\t3\nc\t7'
}

@test "reduceByKey first" {
	run dstream map '($1, $2)' then reduceByKey first < <(pairs)
	assert_success
	assert_output $'a\t3\nb\t5\nc\t7'
}

@test "reduceByKey last" {
	run dstream map '($1, $2)' then reduceByKey last < <(pairs)
	assert_success
	assert_output $'a\t4\nb\t1\nc\t7'
}

@test "reduceByKey custom a + b" {
	run dstream map '($1, $2)' then reduceByKey 'a + b' < <(pairs)
	assert_success
	assert_output $'a\t17\nb\t6\nc\t7'
}

@test "reduceByKey custom string concatenation a .. b" {
	run dstream map '($1, $2)' then reduceByKey 'a .. "," .. b' < <(pairs)
	assert_success
	assert_output $'a\t3,10,4\nb\t5,1\nc\t7'
}

@test "reduceByKey: word count, keys sorted" {
	run dstream flatMap 'split($0, " ")' then map '(x, 1)' then reduceByKey sum <<'EOF'
the cat the dog
a cat
EOF
	assert_success
	assert_output $'a\t1\ncat\t2\ndog\t1\nthe\t2'
}

@test "reduceByKey: a record that is not a pair is skipped, named and shown" {
	run --separate-stderr dstream reduceByKey sum <<'EOF'
not a pair
EOF
	assert_success
	assert_output ''
	[[ $stderr == *reduceByKey*"record is not a (key, value) pair"*'"not a pair"'* ]]
}

@test "reduceByKey: the other records still count when one is skipped" {
	run --separate-stderr dstream map '$1 == "x" ? $0 : ($1, $2)' then reduceByKey sum <<'EOF'
a 1
x y z
a 2
EOF
	assert_success
	assert_output $'a\t3'
	[[ $stderr == *reduceByKey* ]]
}

@test "reduceByKey: a record that is not a pair stops the run with --on-error fail" {
	run --separate-stderr dstream --on-error fail reduceByKey sum <<'EOF'
not a pair
EOF
	assert_failure 1
	[[ $stderr == *reduceByKey*"not a (key, value) pair"* ]]
}

@test "reduceByKey sum: a key whose values are all non-numbers is left out" {
	run --separate-stderr dstream map '($1, $2)' then reduceByKey sum <<'EOF'
a 1
b x
EOF
	assert_success
	assert_output $'a\t1'
	[[ $stderr == *"not a number"* ]]
}

@test "reduceByKey: a syntax error in FUNC is a usage error naming the operator" {
	run --separate-stderr dstream reduceByKey 'a +'
	assert_failure 2
	[[ $stderr == *reduceByKey* ]]
}

# ---- groupByKey ----

@test "groupByKey: (key, [values]) in arrival order, keys sorted" {
	run dstream map '($1, num($2))' then groupByKey < <(pairs)
	assert_success
	assert_output $'a\t[3,10,4]\nb\t[5,1]\nc\t[7]'
}

@test "groupByKey: json output" {
	run dstream -f json map '($1, num($2))' then groupByKey <<'EOF'
k 1
EOF
	assert_success
	assert_output --regexp '^\{"time":"[^"]+","key":"k","value":\[1\]\}$'
}

@test "groupByKey: a record that is not a pair is skipped" {
	run --separate-stderr dstream groupByKey <<'EOF'
solo
EOF
	assert_success
	assert_output ''
	[[ $stderr == *groupByKey*"not a (key, value) pair"* ]]
}

# ---- sortBy, take ----

@test "sortBy: ascending by default, stable" {
	run dstream sortBy 'num($2)' <<'EOF'
c 3
a 1
b 3
d 2
EOF
	assert_success
	assert_output $'a 1\nd 2\nc 3\nb 3'
}

@test "sortBy desc: largest first, equal keys keep their order" {
	run dstream sortBy 'num($2)' desc <<'EOF'
c 3
a 1
b 3
d 2
EOF
	assert_success
	assert_output $'c 3\nb 3\nd 2\na 1'
}

@test "sortBy: rejects an order other than asc or desc" {
	run --separate-stderr dstream sortBy x down
	assert_failure 2
	[[ $stderr == *sortBy*"'down'"* ]]
}

@test "take: the first N records of the batch" {
	run dstream take 2 <<'EOF'
1
2
3
EOF
	assert_success
	assert_output $'1\n2'
}

@test "take 0 emits nothing" {
	run dstream take 0 <<'EOF'
1
EOF
	assert_success
	assert_output ''
}

@test "take: N must be a whole number" {
	run --separate-stderr dstream take ten
	assert_failure 2
	[[ $stderr == *take*"'ten'"* ]]
}

@test "sortBy value desc then take: top N of countByValue" {
	run dstream countByValue then sortBy value desc then take 2 <<'EOF'
x
y
y
z
z
z
w
EOF
	assert_success
	assert_output $'z\t3\ny\t2'
}

# ---- print ----

@test "print: Spark's layout with (k,v) tuples" {
	run dstream map '($1, 1)' then reduceByKey sum then print <<'EOF'
b
a
b
EOF
	assert_success
	assert_equal "${#lines[@]}" 5
	assert_line --index 0 -- '-------------------------------------------'
	assert_line --index 1 --regexp '^Time: [0-9]+ ms$'
	assert_line --index 2 -- '-------------------------------------------'
	assert_line --index 3 '(a,1)'
	assert_line --index 4 '(b,2)'
	# The block ends with an empty line.
	[ "$(dstream map '($1, 1)' then reduceByKey sum then print <<<'a' | tail -c 2 | od -An -c | tr -d ' ')" = '\n\n' ]
}

@test "print N: the first N records then ..." {
	run dstream print 2 <<'EOF'
1
2
3
EOF
	assert_success
	assert_line --index 3 '1'
	assert_line --index 4 '2'
	assert_line --index 5 '...'
	assert_equal "${#lines[@]}" 6
}

@test "print: exactly N records gives no ..." {
	run dstream print 2 <<'EOF'
1
2
EOF
	assert_success
	refute_line '...'
}

@test "print: an empty batch still prints its header" {
	run dstream print </dev/null
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line --index 1 --regexp '^Time: [0-9]+ ms$'
}

@test "print: the header is not doubled with --format spark" {
	run dstream -f spark print <<'EOF'
x
EOF
	assert_success
	assert_equal "$(grep -c '^Time:' <<<"$output")" 1
}

@test "print: must be the last operator" {
	run --separate-stderr dstream print then count
	assert_failure 2
	[[ $stderr == *print*last* ]]
}

# ---- the chain ----

@test "chain: an unknown operator is a usage error naming it" {
	run --separate-stderr dstream map x then frobnicate
	assert_failure 2
	[[ $stderr == *"unknown operator 'frobnicate'"* ]]
}

@test "chain: a missing operator after then is a usage error" {
	run --separate-stderr dstream map x then
	assert_failure 2
	[[ $stderr == *"missing operator"* ]]
}

@test "chain: two then in a row is a usage error" {
	run --separate-stderr dstream map x then then count
	assert_failure 2
	[[ $stderr == *"missing operator"* ]]
}

@test "chain: a syntax error in map is a usage error naming map" {
	run --separate-stderr dstream map '($1'
	assert_failure 2
	[[ $stderr == *map* ]]
}

# ---- several batches (event time: epoch seconds in $1, 1s batches) ----

@test "count: one row per batch, 0 for an empty batch between data" {
	run dstream -e '$1' count <<'EOF'
100 a
100 b
101 c
103 d
EOF
	assert_success
	assert_output $'2\n1\n0\n1'
}

@test "take: the limit starts again in each batch, with the first records" {
	run dstream -e '$1' take 1 <<'EOF'
100 a
100 b
101 c
101 d
103 e
103 f
EOF
	assert_success
	assert_output $'100 a\n101 c\n103 e'
}

@test "countByValue: each batch counts its own records" {
	run dstream -e '$1' map '$2' then countByValue <<'EOF'
100 x
100 y
100 x
101 x
EOF
	assert_success
	assert_output $'x\t2\ny\t1\nx\t1'
}

@test "print: one block per batch, named by the batch end" {
	run dstream -e '$1' map '$2' then print <<'EOF'
100 a
101 b
EOF
	assert_success
	assert_output $'-------------------------------------------\nTime: 101000 ms\n-------------------------------------------\na\n\n-------------------------------------------\nTime: 102000 ms\n-------------------------------------------\nb'
}
