#!/usr/bin/env bats
# state.bats - updateStateByKey EXPR [TIMEOUT] [initial TABLE]: state per
# key across batches, as Spark's updateStateByKey (and mapWithState's
# timeout); initial TABLE, the states before the first batch (Spark's
# initialRDD), in each table form, refused tables, with a timeout, and
# with --checkpoint (applied on a fresh start only).
#
# The cases run in event time with the time in $1 as epoch seconds and
# 1s batches, stamped (--stamp), so the batches are exact: a record at
# second 10 is in the batch ending at 11.

load test_helper
bats_require_minimum_version 1.5.0

T() { printf '1970-01-01T00:00:%02dZ' "$1"; }

# ev ARGS...: dstream in event time ($1), 1s batches, stamped.
ev() {
	timeout 30 "$DSTREAM" --stamp --event-time '$1' --batch 1s "$@"
}

# The running sum of $3 per key $2.
RUNNING='(state ?? 0) + sum(values)'

@test "updateStateByKey: running totals across batches, every key held every batch, in key order" {
	# Spark's StatefulNetworkWordCount: each batch prints the count of
	# every word seen so far, not only this batch's words.
	run ev map '($2, num($3))' then updateStateByKey "$RUNNING" < <(
	    printf '10 b 1\n10 a 2\n10 b 3\n11 a 4\n12 c 5\n')
	assert_success
	assert_output "$(T 11)	a	2
$(T 11)	b	4
$(T 12)	a	6
$(T 12)	b	4
$(T 13)	a	6
$(T 13)	b	4
$(T 13)	c	5"
}

@test "updateStateByKey: a word count with len(values), as the man page's example" {
	run ev flatMap 'split(substr($0, 3))' then map '(x, 1)' then \
	    updateStateByKey '(state ?? 0) + len(values)' < <(
	    printf '10 to be or\n11 not to be\n')
	assert_success
	assert_output "$(T 11)	be	1
$(T 11)	or	1
$(T 11)	to	1
$(T 12)	be	2
$(T 12)	not	1
$(T 12)	or	1
$(T 12)	to	2"
}

@test "updateStateByKey: values in arrival order, state null the first time, [] for a key with no new values" {
	run ev map '($2, num($3))' then updateStateByKey \
	    '{"prev": state == null ? null : state.n, "vals": values, "n": (state == null ? 0 : state.n) + 1}' \
	    then map 'tojson(value)' < <(printf '10 a 3\n10 a 1\n10 a 2\n11 b 9\n')
	assert_success
	assert_output "$(T 11)	{\"prev\":null,\"vals\":[3,1,2],\"n\":1}
$(T 12)	{\"prev\":1,\"vals\":[],\"n\":2}
$(T 12)	{\"prev\":null,\"vals\":[9],\"n\":1}"
}

@test "updateStateByKey: a null result drops the key; it starts afresh when it comes back" {
	run ev map '($2, num($3))' then updateStateByKey \
	    'sum(values) < 0 ? null : (state ?? 0) + sum(values)' < <(
	    printf '10 a 5\n10 b 1\n11 a -1\n12 a 7\n')
	assert_success
	assert_output "$(T 11)	a	5
$(T 11)	b	1
$(T 12)	b	1
$(T 13)	a	7
$(T 13)	b	1"
}

@test "updateStateByKey: a first null result never holds the key" {
	run ev map '($2, num($3))' then updateStateByKey \
	    'key == "x" ? null : len(values) + (state ?? 0)' < <(
	    printf '10 x 1\n10 y 1\n')
	assert_success
	assert_output "$(T 11)	y	1"
}

@test "updateStateByKey: empty batches still emit the state held" {
	run ev map '($2, num($3))' then updateStateByKey "$RUNNING" < <(
	    printf '10 a 1\n14 a 2\n')
	assert_success
	assert_output "$(T 11)	a	1
$(T 12)	a	1
$(T 13)	a	1
$(T 14)	a	1
$(T 15)	a	3"
}

@test "updateStateByKey: TIMEOUT drops a key idle for longer than it, without running EXPR" {
	# a's last records are in the batch ending at 11: with 2s it is
	# held at 12 and 13 (idle 1s, 2s) and dropped at 14 (idle 3s > 2s).
	# b gets records at 12: its clock starts again.
	run ev map '($2, num($3))' then updateStateByKey "$RUNNING" 2 < <(
	    printf '10 a 1\n10 b 1\n11 b 1\n15 b 1\n')
	assert_success
	assert_output "$(T 11)	a	1
$(T 11)	b	1
$(T 12)	a	1
$(T 12)	b	2
$(T 13)	a	1
$(T 13)	b	2
$(T 14)	b	2
$(T 16)	b	1"
}

@test "updateStateByKey: a key that timed out starts with a null state" {
	run ev map '($2, num($3))' then updateStateByKey \
	    '[state, values]' 1500ms < <(printf '10 a 1\n13 a 2\n')
	assert_success
	assert_output "$(T 11)	a	[null,[1]]
$(T 12)	a	[[null,[1]],[]]
$(T 14)	a	[null,[2]]"
}

@test "updateStateByKey: the state feeds further operators" {
	run ev map '($2, num($3))' then updateStateByKey "$RUNNING" then \
	    map value then reduce sum < <(printf '10 a 1\n10 b 2\n11 a 3\n')
	assert_success
	assert_output "$(T 11)	3
$(T 12)	6"
	run ev map '($2, num($3))' then updateStateByKey "$RUNNING" then \
	    sortBy value desc then take 1 < <(printf '10 a 1\n10 b 2\n11 a 3\n')
	assert_success
	assert_output "$(T 11)	b	2
$(T 12)	a	4"
}

@test "updateStateByKey: after a window, state over each window's output" {
	run ev map '($2, 1)' then reduceByKeyAndWindow sum 2 2 then \
	    updateStateByKey "$RUNNING" < <(printf '10 a 1\n11 a 1\n12 a 1\n')
	assert_success
	assert_output "$(T 12)	a	2
$(T 14)	a	3"
}

@test "updateStateByKey: works in processing time" {
	run timeout 30 "$DSTREAM" -b 100ms map '($1, 1)' then \
	    updateStateByKey "$RUNNING" then take 10 < <(printf 'a\nb\na\n')
	assert_success
	# One batch (a file read at once), or more if the machine is slow;
	# the last batch holds the totals.
	assert_output --partial "a	2"
	assert_output --partial "b	1"
}

@test "updateStateByKey: a record that is not a pair is reported and skipped" {
	run ev map 'NF == 3 ? ($2, num($3)) : $2' then updateStateByKey \
	    "$RUNNING" < <(printf '10 a 1\n11 bad\n11 a 2\n')
	assert_success
	assert_output --partial 'dstream: updateStateByKey: record is not a (key, value) pair: "bad" (stdin:2)'
	assert_output --partial "$(T 11)	a	1"
	assert_output --partial "$(T 12)	a	3"
}

@test "updateStateByKey: a failing EXPR is reported and the key keeps its state" {
	run ev map '($2, $3)' then updateStateByKey \
	    'state == null ? 1 : substr({}, 0)' < <(printf '10 a 1\n11 a 2\n')
	assert_success
	assert_output "$(T 11)	a	1
dstream: updateStateByKey function 'state == null ? 1 : substr({}, 0)': substr: not a string: {}: \"[\"a\",[\"2\"]]\"
$(T 12)	a	1"
}

@test "updateStateByKey: an EXPR syntax error is a usage error with a caret" {
	run "$DSTREAM" map '($1, 1)' then updateStateByKey '(state ?? 0 +' </dev/null
	assert_failure 2
	assert_output "dstream: updateStateByKey: syntax error: expected an expression
  (state ?? 0 +
               ^"
}

@test "updateStateByKey: EXPR sees key, values and state, not the record" {
	run "$DSTREAM" map '($1, 1)' then updateStateByKey '$1' </dev/null
	assert_failure 2
	assert_output --partial "'\$1' is not defined here (updateStateByKey sees key, values and state)"
	run "$DSTREAM" map 'values' </dev/null
	assert_failure 2
	assert_output --partial "'values' is only defined in updateStateByKey"
}

@test "updateStateByKey: a bad TIMEOUT is a usage error" {
	for t in 5x -1 0 ''; do
		run "$DSTREAM" map '($1, 1)' then updateStateByKey state "$t" </dev/null
		assert_failure 2
		assert_output --partial "updateStateByKey: TIMEOUT '$t' is not a duration"
	done
	run "$DSTREAM" map '($1, 1)' then updateStateByKey state 1s 2s </dev/null
	assert_failure 2
	assert_output --partial "updateStateByKey: expected updateStateByKey EXPR [TIMEOUT]"
}

@test "updateStateByKey: --stats keys= counts the keys held" {
	# b is dropped by null at once; a and c are held at 11 and 12 and
	# time out at 13 (idle 2s > 1s); c comes back at 14.
	run ev --stats map '($2, num($3))' then updateStateByKey \
	    'key == "b" ? null : (state ?? 0) + 1' 1 < <(
	    printf '10 a 1\n10 b 1\n10 c 1\n13 c 1\n')
	assert_success
	assert_line --regexp "^dstream: batch $(T 11) .* out=2 .* keys=2 "
	assert_line --regexp "^dstream: batch $(T 12) .* out=2 .* keys=2 "
	assert_line --regexp "^dstream: batch $(T 13) .* out=0 .* keys=0 "
	assert_line --regexp "^dstream: batch $(T 14) .* out=1 .* keys=1 "
	assert_line "$(T 14)	c	1"
}

@test "updateStateByKey: help describes it" {
	run "$DSTREAM" help updateStateByKey
	assert_success
	assert_output --partial "usage: dstream updateStateByKey EXPR [TIMEOUT] [initial TABLE]"
	assert_output --partial "null dropping the key"
	assert_output --partial "null value refuses the table"
}

# ---- initial TABLE ----

@test "updateStateByKey initial: the table's states before the first batch; EXPR runs for every initial key then, values [] without records" {
	I=$BATS_TEST_TMPDIR/init.tsv
	printf 'a\t1\nc\t2\n' >"$I"
	# key<TAB>value values are text: arithmetic takes "1" as 1.
	run ev map '($2, num($3))' then updateStateByKey "$RUNNING" initial "$I" \
	    < <(printf '10 a 1\n11 b 1\n')
	assert_success
	assert_output "$(T 11)	a	2
$(T 11)	c	2
$(T 12)	a	2
$(T 12)	b	1
$(T 12)	c	2"
	run ev map '($2, num($3))' then updateStateByKey '[state, values]' \
	    initial "$I" < <(printf '10 a 1\n')
	assert_success
	assert_output "$(T 11)	a	[\"1\",[1]]
$(T 11)	c	[\"2\",[]]"
}

@test "updateStateByKey initial: CSV with a header (text), JSON lines and SQLite (their types kept)" {
	cd "$BATS_TEST_TMPDIR"
	printf 'page,count\na,5\n' >init.csv
	run ev map '($2, num($3))' then updateStateByKey '[state, (state ?? 0) + sum(values)]' \
	    initial init.csv < <(printf '10 a 1\n')
	assert_success
	assert_output "$(T 11)	a	[\"5\",6]"
	printf '{"key":"a","value":[5,6]}\n{"id":"b","n":3}\n' >init.jsonl
	run ev map '($2, num($3))' then updateStateByKey '[state, values]' \
	    initial init.jsonl < <(printf '10 a 1\n')
	assert_success
	assert_output "$(T 11)	a	[[5,6],[1]]
$(T 11)	b	[{\"id\":\"b\",\"n\":3},[]]"
	sqlite3 init.db "create table t(k text, n integer, r real);
	    insert into t values ('a', 5, 0.5), ('b', 7, 1.5);"
	run ev map '($2, num($3))' then updateStateByKey '[state, values]' \
	    initial 'sqlite:init.db?query=SELECT k, n FROM t' < <(printf '10 a 1\n')
	assert_success
	assert_output "$(T 11)	a	[5,[1]]
$(T 11)	b	[7,[]]"
	run ev map '($2, num($3))' then updateStateByKey 'state' \
	    initial 'sqlite:init.db?query=SELECT * FROM t WHERE n > 6' < <(printf '10 a 1\n')
	assert_success
	assert_output "$(T 11)	b	{\"n\":7,\"r\":1.5}"
}

# refused TABLE WHY: a run with the initial TABLE ends as it starts,
# status 1, with "dstream: updateStateByKey: initial TABLE" and WHY as its
# only output, its input unread.
refused() {
	run ev map '($2, 1)' then updateStateByKey "$RUNNING" initial "$1" \
	    < <(printf '10 a 1\n')
	assert_failure 1
	assert_output "dstream: updateStateByKey: initial $1$2"
}

@test "updateStateByKey initial: a key on two rows, or with a null value, refuses the table: status 1, nothing read" {
	cd "$BATS_TEST_TMPDIR"
	printf 'a\t1\nb\t2\na\t3\na\t4\n' >dup.tsv
	refused dup.tsv ': the key "a" is on 3 rows (an initial state is one row per key)'
	# Keys of other types are other keys; the same number twice is not.
	printf '{"key":1,"value":1}\n{"key":"1","value":2}\n' >types.jsonl
	run ev map '($2, 1)' then updateStateByKey state initial types.jsonl </dev/null
	assert_success
	printf '{"key":1,"value":1}\n{"key":1.0,"value":2}\n' >dup.jsonl
	refused dup.jsonl ': the key 1 is on 2 rows (an initial state is one row per key)'
	# A line without a tab is a key without a value: no state.
	printf 'a\t1\nb\n' >null.tsv
	refused null.tsv ': the key "b" has no value (an initial state is not null)'
	printf '{"key":"c","value":null}\n' >null.jsonl
	refused null.jsonl ': the key "c" has no value (an initial state is not null)'
}

@test "updateStateByKey initial: a table that cannot be read ends the run at start, status 1, naming the file and the line" {
	cd "$BATS_TEST_TMPDIR"
	refused none.tsv ': No such file or directory'
	printf 'key,value\na,1\nb,2,3\n' >bad.csv
	refused bad.csv ':3: 3 fields, the header has 2'
	printf '{"key":"a","value":1}\n{"key":\n' >bad.jsonl
	refused bad.jsonl ':2: unexpected end of input, expected a value at byte 8'
	sqlite3 init.db "create table t(k text, n integer);"
	refused 'sqlite:init.db?query=SELECT k FROM nothere' ': no such table: nothere'
}

@test "updateStateByKey initial: misspelt arguments are usage errors" {
	for args in "initial" "1s initial" "1s x.tsv" "1s initial x.tsv y" "initial x.tsv 1s"; do
		run "$DSTREAM" map '($1, 1)' then updateStateByKey state $args </dev/null
		assert_failure 2
		assert_output --partial "updateStateByKey: expected updateStateByKey EXPR [TIMEOUT] [initial TABLE]"
	done
	run "$DSTREAM" map '($1, 1)' then updateStateByKey state initial </dev/null
	assert_output --partial "(no TABLE after 'initial')"
	run "$DSTREAM" map '($1, 1)' then updateStateByKey state initial 'sqlite:x.db' </dev/null
	assert_failure 2
	assert_output "dstream: updateStateByKey: initial sqlite:x.db: expected sqlite:PATH?query=SQL"
	run "$DSTREAM" map '($1, 1)' then updateStateByKey state initial '' </dev/null
	assert_failure 2
	assert_output "dstream: updateStateByKey: initial '': no table file named"
}

@test "updateStateByKey initial: with TIMEOUT, an initial key counts as having had values in the first batch" {
	I=$BATS_TEST_TMPDIR/init.tsv
	printf 'a\t5\nz\t7\n' >"$I"
	# The first batch ends at 11: a and z are held through 13 (idle 2s)
	# and dropped at 14 (3s > 2s); a comes back at 15 with a null state.
	run ev map '($2, num($3))' then updateStateByKey "$RUNNING" 2 initial "$I" \
	    < <(printf '10 a 1\n11 b 1\n12 b 1\n13 b 1\n14 a 1\n')
	assert_success
	assert_output "$(T 11)	a	6
$(T 11)	z	7
$(T 12)	a	6
$(T 12)	b	1
$(T 12)	z	7
$(T 13)	a	6
$(T 13)	b	2
$(T 13)	z	7
$(T 14)	b	3
$(T 15)	a	1
$(T 15)	b	3"
	# The clock starts at the first batch, however late it comes.
	run ev map '($2, num($3))' then updateStateByKey "$RUNNING" 2 initial "$I" \
	    < <(printf '30 b 1\n31 b 1\n32 b 1\n33 b 1\n')
	assert_success
	assert_output --partial "$(T 33)	z	7"
	refute_output --partial "$(T 34)	z"
}

# ck ARGS...: ev with the checkpoint $BATS_TEST_TMPDIR/ck over the file log.
ck() {
	ev --checkpoint "$BATS_TEST_TMPDIR/ck" -i "$BATS_TEST_TMPDIR/log" "$@"
}

@test "updateStateByKey initial: with --checkpoint, applied on a fresh start only; a resume neither reads the table nor applies it again" {
	cd "$BATS_TEST_TMPDIR"
	printf 'a\t100\nz\t1\n' >init.tsv
	printf '10 a 1\n11 a 1\n' >log
	run ck map '($2, num($3))' then updateStateByKey "$RUNNING" initial init.tsv
	assert_success
	assert_output "$(T 11)	a	101
$(T 11)	z	1"
	# Gone, or changed: a resume does not read it.
	rm init.tsv
	printf '12 a 1\n' >>log
	run ck map '($2, num($3))' then updateStateByKey "$RUNNING" initial init.tsv
	assert_success
	assert_output "$(T 12)	a	102
$(T 12)	z	1"
	printf 'a\t0\n' >init.tsv
	run ck --final map '($2, num($3))' then updateStateByKey "$RUNNING" initial init.tsv
	assert_success
	assert_output "$(T 13)	a	103
$(T 13)	z	1"
	# The table's name is part of the pipeline.
	run ck map '($2, num($3))' then updateStateByKey "$RUNNING" initial other.tsv
	assert_failure 1
	assert_output --partial "'updateStateByKey \"$RUNNING\" initial init.tsv' in the checkpoint, 'updateStateByKey \"$RUNNING\" initial other.tsv' now"
}

@test "updateStateByKey initial: with --checkpoint, the first checkpoint, written at start, holds the initial states" {
	cd "$BATS_TEST_TMPDIR"
	printf 'a\t100\n' >init.tsv
	: >log
	# No record: no batch, but the checkpoint of the start.
	run ck map '($2, num($3))' then updateStateByKey "$RUNNING" initial init.tsv
	assert_success
	assert_output ""
	rm init.tsv
	printf '10 a 1\n' >>log
	run ck --final map '($2, num($3))' then updateStateByKey "$RUNNING" initial init.tsv
	assert_success
	assert_output "$(T 11)	a	101"
}
