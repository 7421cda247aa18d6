#!/usr/bin/env bats
# join.bats - join TABLE and leftOuterJoin TABLE: Spark's (key, (v, w))
# against each table form (key<TAB>value, CSV with a header, JSON lines,
# sqlite:PATH?query=SQL), duplicate keys, outer-join nulls, bad tables at
# start, and reloads: on SIGHUP, when the file changes, and a reload that
# fails keeping the table in use.  Every wait is bounded.

load test_helper
load live_helper
bats_require_minimum_version 1.5.0

setup() {
	T=$BATS_TEST_TMPDIR
	cd "$T"
	printf 'alice 10\nbob 20\ncarol 30\nbob 40\n' >in.txt
	printf 'alice\tadmin\nbob\tuser\nbob\teditor\ndave\tguest\n' >roles.tsv
}

@test "join: key<TAB>value table; a key with several rows gives one output per row, in the table's order" {
	run dstream -i in.txt map '($1, $2)' then join roles.tsv
	assert_success
	assert_output "$(printf '%s\n' \
	    'alice	["10","admin"]' \
	    'bob	["20","user"]' \
	    'bob	["20","editor"]' \
	    'bob	["40","user"]' \
	    'bob	["40","editor"]')"
}

@test "leftOuterJoin: an unmatched key gives (key, (v, null))" {
	run dstream -i in.txt map '($1, $2)' then leftOuterJoin roles.tsv
	assert_success
	assert_output "$(printf '%s\n' \
	    'alice	["10","admin"]' \
	    'bob	["20","user"]' \
	    'bob	["20","editor"]' \
	    'carol	["30",null]' \
	    'bob	["40","user"]' \
	    'bob	["40","editor"]')"
}

@test "join: Spark's layout (k,(v,w)), JSON output, and the pair's parts in later operators" {
	run dstream -i in.txt -f spark map '($1, $2)' then leftOuterJoin roles.tsv then take 2
	assert_line --index 3 '(alice,(10,admin))'
	assert_line --index 4 '(bob,(20,user))'
	run dstream -i in.txt -f json map '($1, int($2))' then leftOuterJoin roles.tsv then filter 'key == "carol"'
	assert_output --regexp '^\{"time":"[^"]*","key":"carol","value":\[30,null\]\}$'
	run dstream -i in.txt map '($1, int($2))' then join roles.tsv \
	    then map '(value[1], value[0])' then reduceByKey sum
	assert_output "$(printf 'admin\t10\neditor\t60\nuser\t60')"
}

@test "join: a line without a tab is a key with a null value (a list of keys)" {
	printf 'bob\ncarol\n\n' >keys.txt
	run dstream -i in.txt map '($1, $2)' then join keys.txt then map '(key, value[0], type(value[1]))'
	assert_output "$(printf 'bob\t20\tnull\ncarol\t30\tnull\nbob\t40\tnull')"
}

@test "join: CSV with a header: the key column named key, quotes, commas, doubled quotes, CRLF" {
	printf 'name,key,team\r\n"Alice A.",alice,"red, blue"\r\n"Bob ""B""",bob,green\r\n' >users.csv
	run dstream -i in.txt map '($1, $2)' then leftOuterJoin users.csv then map 'tojson(x)'
	assert_success
	assert_output "$(printf '%s\n' \
	    '["alice",["10",{"name":"Alice A.","team":"red, blue"}]]' \
	    '["bob",["20",{"name":"Bob \"B\"","team":"green"}]]' \
	    '["carol",["30",null]]' \
	    '["bob",["40",{"name":"Bob \"B\"","team":"green"}]]')"
}

@test "join: CSV of two columns: the key (first, without a key column) and the other column as value" {
	printf 'user,role\nalice,admin\nbob,"multi\nline"\n\ncarol,\n' >roles.csv
	run dstream -i in.txt map '($1, $2)' then join roles.csv then map 'tojson(x)'
	assert_output "$(printf '%s\n' \
	    '["alice",["10","admin"]]' \
	    '["bob",["20","multi\nline"]]' \
	    '["carol",["30",""]]' \
	    '["bob",["40","multi\nline"]]')"
	# .csv is told by the name; csv: says so for any name.
	cp roles.csv roles.txt
	run dstream -i in.txt map '($1, $2)' then join csv:roles.txt then count
	assert_output 4
}

@test "join: JSON lines: {key, value} objects (either order) and objects keyed by their first member" {
	cat >users.jsonl <<-'EOF'
	{"key": "alice", "value": {"age": 31}}
	{"value": [1, 2], "key": "bob"}

	{"id": "carol", "age": 27, "tags": ["x"]}
	{"id": 42, "age": 5}
	EOF
	run dstream -i in.txt map '($1, $2)' then join users.jsonl then map 'tojson(x)'
	assert_success
	assert_output "$(printf '%s\n' \
	    '["alice",["10",{"age":31}]]' \
	    '["bob",["20",[1,2]]]' \
	    '["carol",["30",{"id":"carol","age":27,"tags":["x"]}]]' \
	    '["bob",["40",[1,2]]]')"
	# Keys match as values: the number 42 is not the text "42".
	run dstream map '(42, "n")' then join users.jsonl then map 'value[1].age' <<<'x'
	assert_output 5
	run dstream map '("42", "s")' then leftOuterJoin users.jsonl then map 'type(value[1])' <<<'x'
	assert_output null
	cp users.jsonl users.data
	run dstream -i in.txt map '($1, $2)' then join json:users.data then count
	assert_output 4
}

@test "join: sqlite:PATH?query=SQL: the first column the key, the rest the value, SQLite's types kept" {
	sqlite3 db.sqlite "create table u(id text, name text, n integer, r real);
	    insert into u values ('alice', 'Alice', 1, 0.5), ('bob', 'Bob', 2, null),
	    ('bob', 'Bobby', 3, 1.25);"
	run dstream -i in.txt map '($1, $2)' then join 'sqlite:db.sqlite?query=SELECT id, name FROM u ORDER BY n'
	assert_success
	assert_output "$(printf '%s\n' \
	    'alice	["10","Alice"]' 'bob	["20","Bob"]' 'bob	["20","Bobby"]' \
	    'bob	["40","Bob"]' 'bob	["40","Bobby"]')"
	run dstream -i in.txt map '($1, $2)' then leftOuterJoin 'sqlite:db.sqlite?query=select * from u where n < 3' \
	    then map 'tojson(x)'
	assert_output "$(printf '%s\n' \
	    '["alice",["10",{"name":"Alice","n":1,"r":0.5}]]' \
	    '["bob",["20",{"name":"Bob","n":2,"r":null}]]' \
	    '["carol",["30",null]]' \
	    '["bob",["40",{"name":"Bob","n":2,"r":null}]]')"
	# An integer key matches a number from the stream.
	run dstream map '(2, x)' then join 'sqlite:db.sqlite?query=select n, id from u' <<<'v'
	assert_output "$(printf '2\t["v","bob"]')"
}

@test "join: a table that cannot be loaded at start is an error naming the file (and line), status 1" {
	run dstream -i in.txt map '($1, $2)' then join missing.tsv
	assert_failure 1
	assert_output 'dstream: join: missing.tsv: No such file or directory'
	printf 'k,v\na,1\nb,2,3\n' >bad.csv
	run dstream -i in.txt map '($1, $2)' then join bad.csv
	assert_failure 1
	assert_output 'dstream: join: bad.csv:3: 3 fields, the header has 2'
	printf 'k,v\na,"1\n' >open.csv
	run dstream -i in.txt map '($1, $2)' then join open.csv
	assert_output 'dstream: join: open.csv:2: a quoted field is not closed'
	printf 'k,v\na,"1"x\n' >after.csv
	run dstream -i in.txt map '($1, $2)' then join after.csv
	assert_output 'dstream: join: after.csv:2: text after the closing quote of a field'
	: >empty.csv
	run dstream -i in.txt map '($1, $2)' then join empty.csv
	assert_output --partial 'dstream: join: empty.csv: no header line'
	printf '{"key":"a","value":1}\n{"key":"b",\n' >bad.jsonl
	run dstream -i in.txt map '($1, $2)' then leftOuterJoin bad.jsonl
	assert_failure 1
	assert_output --regexp '^dstream: leftOuterJoin: bad.jsonl:2: .*'
	printf '{"key":"a","value":1}\n\n[1, 2]\n' >arr.jsonl
	run dstream -i in.txt map '($1, $2)' then join arr.jsonl
	assert_output 'dstream: join: arr.jsonl:3: array, not an object'
	printf '{}\n' >empty.jsonl
	run dstream -i in.txt map '($1, $2)' then join empty.jsonl
	assert_output 'dstream: join: empty.jsonl:1: an empty object has no key'
	run dstream -i in.txt map '($1, $2)' then join "$T"
	assert_failure 1
	assert_output "dstream: join: $T: is a directory"
}

@test "join: SQLite errors: bad SQL, a missing database, no query (usage, status 2)" {
	sqlite3 db.sqlite "create table u(id text, name text);"
	run dstream -i in.txt map '($1, $2)' then join 'sqlite:db.sqlite?query=select * from nope'
	assert_failure 1
	assert_output 'dstream: join: sqlite:db.sqlite?query=select * from nope: no such table: nope'
	run dstream -i in.txt map '($1, $2)' then join 'sqlite:db.sqlite?query=selec 1'
	assert_failure 1
	assert_output --partial 'syntax error'
	run dstream -i in.txt map '($1, $2)' then join 'sqlite:none.sqlite?query=select 1'
	assert_failure 1
	assert_output 'dstream: join: none.sqlite: No such file or directory'
	run dstream -i in.txt map '($1, $2)' then join 'sqlite:db.sqlite'
	assert_failure 2
	assert_output --partial 'join: sqlite:db.sqlite: expected sqlite:PATH?query=SQL'
	run dstream -i in.txt map '($1, $2)' then join 'sqlite:db.sqlite?query='
	assert_failure 2
	assert_output --partial 'no query after ?query='
	run dstream map x then join
	assert_failure 2
}

@test "join: a record that is not a pair is a record error, and the good ones still join" {
	printf 'alice 1\nlonely\nbob 2\n' >mixed.txt
	run --separate-stderr dstream -i mixed.txt map 'NF == 2 ? ($1, $2) : $1' then join roles.tsv then count
	assert_success
	assert_output 3
	[[ $stderr == *"join: record is not a (key, value) pair: \"lonely\" (mixed.txt:2)"* ]]
}

@test "join: the same answer as awk's join over 20k rows with duplicate keys" {
	awk 'BEGIN { srand(7); for (i = 0; i < 20000; i++) printf "k%d\tv%d\n", int(rand() * 5000), i }' >big.tsv
	awk 'BEGIN { srand(8); for (i = 0; i < 30000; i++) printf "k%d %d\n", int(rand() * 7000), i }' >stream.txt
	dstream -i stream.txt map '($1, $2)' then join big.tsv \
	    then map '(key, value[0], value[1])' | LC_ALL=C sort >got
	awk -F '\t' 'NR == FNR { n[$1]++; v[$1, n[$1]] = $2; next }
	    { split($0, f, " "); for (i = 1; i <= n[f[1]]; i++) print f[1] "\t" f[2] "\t" v[f[1], i] }' \
	    big.tsv stream.txt | LC_ALL=C sort >want
	[ -s want ]
	diff want got
}

@test "leftOuterJoin: over a 20k-row table, awk's answer record for record, in the stream's order" {
	awk 'BEGIN { srand(9); for (i = 0; i < 20000; i++) printf "k%d\tv%d\n", int(rand() * 6000), i }' >big.tsv
	awk 'BEGIN { srand(10); for (i = 0; i < 30000; i++) printf "k%d %d\n", int(rand() * 8000), i }' >stream.txt
	dstream -i stream.txt map '($1, $2)' then leftOuterJoin big.tsv \
	    then map '(key, value[0], value[1] ?? "-")' >got
	awk -F '\t' 'NR == FNR { n[$1]++; v[$1, n[$1]] = $2; next }
	    { split($0, f, " "); if (!n[f[1]]) print f[1] "\t" f[2] "\t-"
	      for (i = 1; i <= n[f[1]]; i++) print f[1] "\t" f[2] "\t" v[f[1], i] }' \
	    big.tsv stream.txt >want
	[ "$(grep -c -- '-$' want)" -gt 1000 ]
	diff want got
}

# A live run: records arrive by a listening socket while the table changes.
start_live() {
	start_dstream -b 100ms -i tcp-listen://127.0.0.1:0 map '($1, $2)' then leftOuterJoin "$@"
	PORT=$(listen_port)
}
send() {
	printf '%s\n' "$1" | socat -u - "TCP:127.0.0.1:$PORT"
}

@test "join: the table is reloaded, whole, when its file changes (replaced by a rename, or written in place)" {
	printf 'k\tv1\n' >t.tsv
	start_live t.tsv
	send 'k a'
	wait_until out_has 'a","v1'
	printf 'k\tv2\nk\tv2b\n' >t.new
	mv t.new t.tsv
	wait_until err_has 't.tsv: reloaded, 2 rows'
	send 'k b'
	wait_until out_has 'b","v2b'
	# In place, longer: size and time change.
	printf 'k\tv3-in-place\n' >t.tsv
	wait_until err_has 'reloaded, 1 row$'
	send 'k c'
	wait_until out_has 'c","v3-in-place'
	stop_dstream
	run cat "$OUT"
	assert_output "$(printf '%s\n' 'k	["a","v1"]' 'k	["b","v2"]' 'k	["b","v2b"]' 'k	["c","v3-in-place"]')"
}

@test "join: SIGHUP reloads the table even when the change leaves size and time alike" {
	printf 'k\tv1\n' >t.tsv
	touch -r t.tsv stamp
	start_live t.tsv
	send 'k a'
	wait_until out_has 'a","v1'
	# Same inode, same size, the time put back: only SIGHUP can tell.
	# dstream is stopped meanwhile, so that none of its checks (one a
	# batch end) sees the file between the write and the time put back,
	# however long the machine takes between the two.
	kill -STOP "$DS_PID"
	printf 'k\tv9\n' >t.tsv
	touch -r stamp t.tsv
	kill -CONT "$DS_PID"
	sleep 0.3
	send 'k b'
	wait_until out_has 'b","v1'
	kill -HUP "$DS_PID"
	wait_until err_has 'reloaded, 1 row'
	send 'k c'
	wait_until out_has 'c","v9'
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
}

@test "join: a table rewritten in place, slowly, is never read half-written: the old table until the new one has stood still" {
	awk 'BEGIN { for (i = 1; i <= 200; i++) printf "k%d\told\n", i }' >t.tsv
	start_live t.tsv
	send 'k200 a'
	wait_until out_has 'a","old'
	# A writer in place (as cat new >t.tsv from a slow producer): the
	# file truncated, then a line every 10 ms or so, 200 of them, each
	# state of it a table that reads well but lacks the last keys.
	(
		for ((i = 1; i <= 200; i++)); do
			printf 'k%d\tnew\n' "$i"
			sleep 0.01
		done
	) >t.tsv &
	W=$!
	# Meanwhile the last key, whose row comes last: joined with the
	# old table or the new, never missing (null) from a partial one.
	for ((i = 1; i <= 20; i++)); do
		send "k200 r$i"
		sleep 0.1
	done
	wait "$W"
	wait_until err_has 'reloaded, 200 rows'
	send 'k200 z'
	wait_until out_has 'z","new'
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	run grep -c '"r[0-9]*",' "$OUT"
	[ "$output" -eq 20 ]
	run grep -c 'null' "$OUT"
	[ "$output" -eq 0 ]
	# One reload, of the whole file.
	run grep -c 'reloaded' "$ERR"
	[ "$output" -eq 1 ]
}

@test "join: a reload that fails keeps the old table, naming the file and line; a good file later is read" {
	printf 'id,role\nk,old\n' >t.csv
	start_live t.csv
	send 'k a'
	wait_until out_has 'a","old'
	printf 'id,role\nk,new\nj,x,extra\n' >t.new
	mv t.new t.csv
	wait_until err_has 'leftOuterJoin: t.csv:3: 3 fields, the header has 2; keeping the table loaded before (1 row)'
	send 'k b'
	wait_until out_has 'b","old'
	# SIGHUP tries again, and fails again the same way.
	kill -HUP "$DS_PID"
	wait_until eval '[ "$(grep -c "keeping the table" "$ERR")" -ge 2 ]'
	# Gone: said once, the table kept.
	rm t.csv
	wait_until err_has 't.csv: No such file or directory; keeping the table'
	send 'k c'
	wait_until out_has 'c","old'
	printf 'id,role\nk,fixed\n' >t.new
	mv t.new t.csv
	wait_until err_has 'reloaded, 1 row'
	send 'k d'
	wait_until out_has 'd","fixed'
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	[ "$(grep -c 'No such file' "$ERR")" -eq 1 ]
}

@test "join: a JSON table that fails to reload is kept; an SQLite table is reloaded when the database changes" {
	printf '{"key":"k","value":"j1"}\n' >t.jsonl
	sqlite3 t.db "create table t(k text, v text); insert into t values ('k', 's1');"
	start_dstream -b 100ms -i tcp-listen://127.0.0.1:0 map '($1, $2)' \
	    then join t.jsonl then map '(key, value[1])' \
	    then join 'sqlite:t.db?query=select k, v from t'
	PORT=$(listen_port)
	send 'k a'
	wait_until out_has 'j1","s1'
	printf '{"key":"k","value":"j2"}\n{"key":\n' >t.new
	mv t.new t.jsonl
	wait_until err_has 'join: t.jsonl:2: .*keeping the table loaded before (1 row)'
	sqlite3 t.db "update t set v = 's2';"
	wait_until err_has 'sqlite:t.db?query=select k, v from t: reloaded, 1 row'
	send 'k b'
	wait_until out_has 'j1","s2'
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
}

@test "join: without a table to reload, SIGHUP still ends the run as a hangup does" {
	start_dstream -b 100ms -i tcp-listen://127.0.0.1:0 count
	PORT=$(listen_port)
	kill -HUP "$DS_PID"
	wait_pid "$DS_PID"
	! kill -0 "$DS_PID" 2>/dev/null
}
