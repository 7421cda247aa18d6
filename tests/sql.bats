#!/usr/bin/env bats
# sql.bats - -o sqlite:PATH[?table=T]: the table made from the first row
# (time, key, value..valueN; time and value for unkeyed rows), each value
# type, windows, replays (upserts), an existing table of another shape, a
# row of another shape, a read-only database, a locked one (and SIGTERM
# while it is locked), bad names.
# Results are read back with the sqlite3 shell.

load test_helper
load sql_helper
load live_helper

setup() {
	T=$BATS_TEST_TMPDIR
	command -v sqlite3 >/dev/null || skip "the sqlite3 shell is not installed (Debian: sqlite3)"
	# Event-time records in three 10s batches, the middle one empty.
	printf '%s\n' '2025-11-21T00:00:01Z a 1' '2025-11-21T00:00:02Z b 2.5' \
	    '2025-11-21T00:00:03Z a 3' '2025-11-21T00:00:25Z c x' > "$T/in"
}

q() { sqlite3 -separator '|' "$T/o.db" "$@"; }

@test "sqlite: a keyed table is created with the first row: time, key, value, primary key (time, key)" {
	run dstream -i "$T/in" -e '$1' -b 10s -o "sqlite:$T/o.db" map '$2' then countByValue
	assert_success
	assert_output ""
	run q '.schema dstream'
	assert_output --partial '"time" TEXT NOT NULL, "key" NOT NULL, "value", PRIMARY KEY ("time", "key")'
	run q 'SELECT time, key, value, typeof(value) FROM dstream ORDER BY time, key'
	assert_output "$(printf '%s\n' '2025-11-21T00:00:10.000Z|a|2|integer' \
	    '2025-11-21T00:00:10.000Z|b|1|integer' '2025-11-21T00:00:30.000Z|c|1|integer')"
	# WAL mode.
	run q 'PRAGMA journal_mode'
	assert_output wal
}

@test "sqlite: unkeyed output (count) has no key column, primary key time, empty batches included" {
	run dstream -i "$T/in" -e '$1' -b 10s -o "sqlite:$T/o.db?table=n" count
	assert_success
	run q '.schema n'
	assert_output --partial '"time" TEXT NOT NULL, "value", PRIMARY KEY ("time")'
	run q 'SELECT * FROM n ORDER BY time'
	assert_output "$(printf '%s\n' '2025-11-21T00:00:10.000Z|3' '2025-11-21T00:00:20.000Z|0' \
	    '2025-11-21T00:00:30.000Z|1')"
}

@test "sqlite: each value type: numbers as numbers, strings as text, booleans 1/0, null, structure as JSON text" {
	run dstream -i "$T/in" -e '$1' -b 1h -o "sqlite:$T/o.db?table=v" map \
	    '($2 .. $3, [$2, 1], 2, 0.5, "s", true, null, {"k": [1, "two"]}, ($3, 1), 1 == 2)'
	assert_success
	run q 'SELECT key, value, value2, typeof(value2), value3, typeof(value3), value4, value5, value6 IS NULL, value7, value8, value9 FROM v ORDER BY key'
	assert_output "$(printf '%s\n' \
	    'a1|["a",1]|2|integer|0.5|real|s|1|1|{"k":[1,"two"]}|["1",1]|0' \
	    'a3|["a",1]|2|integer|0.5|real|s|1|1|{"k":[1,"two"]}|["3",1]|0' \
	    'b2.5|["b",1]|2|integer|0.5|real|s|1|1|{"k":[1,"two"]}|["2.5",1]|0' \
	    'cx|["c",1]|2|integer|0.5|real|s|1|1|{"k":[1,"two"]}|["x",1]|0')"
	run q 'SELECT typeof(key), typeof(value), typeof(value4), typeof(value7) FROM v LIMIT 1'
	assert_output 'text|text|text|text'
}

@test "sqlite: numeric keys stay numbers; a null key is a record error, the other rows go in" {
	run dstream -i "$T/in" -e '$1' -b 1h -o "sqlite:$T/o.db?table=k" map '(num($3), $3)'
	assert_success
	assert_output --partial "a row with a null key has no place in table k"
	assert_output --partial "in:4)"
	run q "SELECT key, typeof(key), value, typeof(value) FROM k ORDER BY key"
	assert_output "$(printf '%s\n' '1|integer|1|text' '2.5|real|2.5|text' '3|integer|3|text')"
	run dstream -i "$T/in" -e '$1' -b 1h -o "sqlite:$T/o.db?table=k2" --on-error fail map '(num($3), $3)'
	assert_failure 1
	run q "SELECT count(*) FROM k2"
	assert_failure
	assert_output --partial "no such table"
}

@test "sqlite: wide tuples spread over value, value2, value3; several rows of one key in a batch: the last wins" {
	run dstream -i "$T/in" -e '$1' -b 10s -o "sqlite:$T/o.db?table=w" map '($2, $3, NF, $1)'
	assert_success
	run q '.schema w'
	assert_output --partial '"key" NOT NULL, "value", "value2", "value3", PRIMARY KEY ("time", "key")'
	run q 'SELECT * FROM w ORDER BY time, key'
	assert_output "$(printf '%s\n' '2025-11-21T00:00:10.000Z|a|3|3|2025-11-21T00:00:03Z' \
	    '2025-11-21T00:00:10.000Z|b|2.5|3|2025-11-21T00:00:02Z' \
	    '2025-11-21T00:00:30.000Z|c|x|3|2025-11-21T00:00:25Z')"
}

@test "sqlite: windows: time is each window's end" {
	run dstream -i "$T/in" -e '$1' -b 10s -o "sqlite:$T/o.db" map '($2, 1)' then reduceByKeyAndWindow sum 20s 10s
	assert_success
	run q 'SELECT * FROM dstream ORDER BY time, key'
	assert_output "$(printf '%s\n' '2025-11-21T00:00:10.000Z|a|2' '2025-11-21T00:00:10.000Z|b|1' \
	    '2025-11-21T00:00:20.000Z|a|2' '2025-11-21T00:00:20.000Z|b|1' \
	    '2025-11-21T00:00:30.000Z|c|1' '2025-11-21T00:00:40.000Z|c|1')"
}

@test "sqlite: a replayed run replaces its own rows (upserts), other rows stay" {
	run dstream -i "$T/in" -e '$1' -b 10s -o "sqlite:$T/o.db" map '$2' then countByValue
	assert_success
	run q 'SELECT * FROM dstream ORDER BY time, key'
	local first=$output
	run dstream -i "$T/in" -e '$1' -b 10s -o "sqlite:$T/o.db" map '$2' then countByValue
	assert_success
	run q 'SELECT * FROM dstream ORDER BY time, key'
	assert_output "$first"
	# The same batch with other counts: replaced, not added.
	head -2 "$T/in" > "$T/in2"
	printf '%s\n' '2025-11-21T00:00:41Z d 1' >> "$T/in2"
	run dstream -i "$T/in2" -e '$1' -b 10s -o "sqlite:$T/o.db" map '$2' then countByValue
	assert_success
	run q 'SELECT * FROM dstream ORDER BY time, key'
	assert_output "$(printf '%s\n' '2025-11-21T00:00:10.000Z|a|1' '2025-11-21T00:00:10.000Z|b|1' \
	    '2025-11-21T00:00:30.000Z|c|1' '2025-11-21T00:00:50.000Z|d|1')"
}

@test "sqlite: an existing table of another shape is refused at start, naming its columns" {
	sqlite3 "$T/o.db" 'CREATE TABLE dstream (t TEXT, k TEXT, n INTEGER); INSERT INTO dstream VALUES (1, 2, 3)'
	run dstream -i "$T/in" -e '$1' -b 10s -o "sqlite:$T/o.db" map '$2' then countByValue
	assert_failure 1
	assert_output --partial "table dstream has columns (t, k, n)"
	run q 'SELECT * FROM dstream'
	assert_output '1|2|3'
	# A dstream table of another width: refused with the first row.
	run dstream -i "$T/in" -e '$1' -b 10s -o "sqlite:$T/o.db?table=c" count
	assert_success
	run dstream -i "$T/in" -e '$1' -b 10s -o "sqlite:$T/o.db?table=c" map '$2' then countByValue
	assert_failure 1
	assert_output --partial "table c has columns (time, value), and the row"
	assert_output --partial "needs (time, key, value)"
	run q 'SELECT count(*) FROM c'
	assert_output 3
}

@test "sqlite: a row of another shape mid-run is an error (status 1); the batches before it stay, its own is rolled back" {
	run dstream -i "$T/in" -e '$1' -b 10s -o "sqlite:$T/o.db" map '$3 == "x" ? [1, 2] : ($2, 1)'
	assert_failure 1
	assert_output --partial 'table dstream has columns (time, key, value), and the row [1,2] needs (time, value)'
	run q 'SELECT * FROM dstream ORDER BY time, key'
	assert_output "$(printf '%s\n' '2025-11-21T00:00:10.000Z|a|1' '2025-11-21T00:00:10.000Z|b|1')"
}

@test "sqlite: a read-only database or folder is refused at start, naming the file" {
	# A folder nobody can reach whatever the test folder's parents allow.
	local d
	d=$(mktemp -d /tmp/dstream-sqlro.XXXXXX)
	sqlite3 "$d/ro.db" 'CREATE TABLE x (a)'
	chmod 444 "$d/ro.db"
	chmod 777 "$d"
	as_nobody -i "$T/in" -o "sqlite:$d/ro.db" count
	assert_failure 1
	assert_output "dstream: output sqlite:$d/ro.db: the database is read-only"
	chmod 555 "$d"
	as_nobody -i "$T/in" -o "sqlite:$d/new.db" count
	local st=$status out=$output
	[ ! -e "$d/new.db" ]
	chmod 755 "$d"
	rm -rf "$d"
	[ "$st" -eq 1 ]
	[[ $out == *"output sqlite:$d/new.db: cannot open: unable to open database file"* ]]
}

# hold_lock SECS: a writer holding $T/o.db's write lock for SECS seconds
# (then committing); it creates $T/locked once it holds it.
hold_lock() {
	python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
c.execute("INSERT INTO other VALUES (1)")
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))
c.execute("COMMIT")
' "$T/o.db" "$T/locked" "$1"
}

# wait_locked: waits (at most 10 s) for hold_lock to hold the lock.
wait_locked() {
	local i
	for ((i = 0; i < 200; i++)); do [ -e "$T/locked" ] && break; sleep 0.05; done
}

@test "sqlite: a database locked by another writer: waited for, then written" {
	sqlite3 "$T/o.db" 'PRAGMA journal_mode=WAL; CREATE TABLE other (a)' >/dev/null
	# A writer holding the lock for 1 s, under the busy timeout.
	hold_lock 1 &
	wait_locked
	run dstream -i "$T/in" -e '$1' -b 10s -o "sqlite:$T/o.db" map '$2' then countByValue
	wait
	assert_success
	run q 'SELECT count(*) FROM dstream'
	assert_output 3
}

@test "sqlite: a database locked past the busy timeout: status 1, nothing written" {
	sqlite3 "$T/o.db" 'PRAGMA journal_mode=WAL; CREATE TABLE other (a)' >/dev/null
	hold_lock 30 &
	local holder=$!
	wait_locked
	run dstream -i "$T/in" -e '$1' -b 10s -o "sqlite:$T/o.db" map '$2' then countByValue
	kill "$holder"; wait "$holder" || true
	assert_failure 1
	assert_output "dstream: sqlite:$T/o.db: cannot begin a transaction: database is locked"
	run q "SELECT count(*) FROM sqlite_master WHERE name = 'dstream'"
	assert_output 0
}

# pipe_empty FD: what was written to the pipe FD has all been read.
pipe_empty() {
	[ "$(python3 -c 'import fcntl, struct, sys, termios
print(struct.unpack("i", fcntl.ioctl(int(sys.argv[1]), termios.FIONREAD, b"\0" * 4))[0])' "$1")" = 0 ]
}

@test "sqlite: SIGTERM while the database is locked ends the wait at once: status 143, the rows not written said" {
	sqlite3 "$T/o.db" 'PRAGMA journal_mode=WAL; CREATE TABLE other (a)' >/dev/null
	hold_lock 60 &
	local holder=$!
	wait_locked
	mkfifo "$T/fifo"
	start_dstream -i "$T/fifo" -b 100ms -o "sqlite:$T/o.db" map '$1' then countByValue
	exec 7>"$T/fifo"
	echo k1 >&7
	# Once dstream has read the line, its batch waits for the lock (or
	# the stop flushes it into that wait): either way the stop ends it.
	wait_until pipe_empty 7
	stop_dstream
	exec 7>&-
	kill "$holder"; wait "$holder" || true
	[ "$DS_STATUS" -eq 143 ]
	grep -Fqx "dstream: sqlite:$T/o.db: stopped by SIGTERM while the database is locked by another writer: 1 row not written" "$ERR"
	run q "SELECT count(*) FROM sqlite_master WHERE name = 'dstream'"
	assert_output 0
}

@test "sqlite: bad destination names are refused (status 1), naming them" {
	run dstream -o sqlite: count < /dev/null
	assert_failure 1
	assert_output "dstream: output 'sqlite:': no file name (sqlite:PATH)"
	run dstream -o "sqlite:$T/o.db?mode=ro" count < /dev/null
	assert_failure 1
	assert_output "dstream: output 'sqlite:$T/o.db?mode=ro': unknown parameter 'mode=ro' (sqlite: takes table=NAME)"
	run dstream -o "sqlite:$T/o.db?table=1x" count < /dev/null
	assert_failure 1
	assert_output --partial "bad table name '1x'"
	run dstream -o "sqlite:$T/o.db?table=dstream_checkpoint" count < /dev/null
	assert_failure 1
	assert_output --partial "is dstream's own"
	run dstream -o "sqlite:$T/nowhere/o.db" count < /dev/null
	assert_failure 1
	assert_output --partial "output sqlite:$T/nowhere/o.db: cannot open: unable to open database file"
	# A usage error opens nothing.
	run dstream -o "sqlite:$T/o.db" -b nonsense count < /dev/null
	assert_failure 2
	[ ! -e "$T/o.db" ]
}

@test "sqlite: no rows, no table; a file's content read in gathered transactions gives the same rows" {
	run dstream -i "$T/in" -o "sqlite:$T/o.db" filter 'false'
	assert_success
	run q "SELECT count(*) FROM sqlite_master WHERE name = 'dstream'"
	assert_output 0
	seq 1 3000 | awk '{ printf "2025-11-21T00:%02d:%02dZ k%d\n", int($1 / 60) % 60, $1 % 60, $1 % 7 }' > "$T/big"
	run dstream -i "$T/big" -e '$1' -b 1s -o "sqlite:$T/o.db?table=big" map '$2' then countByValue
	assert_success
	run dstream -i "$T/big" -e '$1' -b 1s -s map '$2' then countByValue
	assert_success
	[ "$(q 'SELECT count(*), sum(value) FROM big')" = "$(printf '%s\n' "$output" | awk -F'\t' '{ n++; s += $3 } END { print n "|" s }')" ]
}

# ---- --checkpoint: rows and checkpoint in one transaction ----

@test "sqlite: kill -9 at random moments with --checkpoint, then a rerun: the table is an uninterrupted run's" {
	sql_kill_data
	run dstream -o "sqlite:$T/ref.db" "${PIPE[@]}"
	assert_success
	kill_loop 10 "sqlite:$T/o.db" "${PIPE[@]}"
	run timeout 120 "$DSTREAM" --checkpoint "$T/ck" --final -o "sqlite:$T/o.db" "${PIPE[@]}"
	assert_success
	[ "$(sqlite3 "$T/ref.db" 'SELECT count(*) FROM dstream')" -gt 5000 ]
	[ "$(sqlite3 "$T/o.db" 'SELECT * FROM dstream ORDER BY time, key' | md5sum)" = \
	    "$(sqlite3 "$T/ref.db" 'SELECT * FROM dstream ORDER BY time, key' | md5sum)" ]
	run sqlite3 "$T/o.db" 'SELECT "table", length(bytes) > 0 FROM dstream_checkpoint'
	assert_output 'dstream|1'
}

@test "sqlite: kill -9 in processing time with --checkpoint: every record counted once" {
	seq 1 300000 > "$T/nums"
	kill_loop 8 "sqlite:$T/o.db" -b 10ms -i "$T/nums" count
	run timeout 120 "$DSTREAM" --checkpoint "$T/ck" -o "sqlite:$T/o.db" -b 10ms -i "$T/nums" count
	assert_success
	run sqlite3 "$T/o.db" 'SELECT sum(value) FROM dstream'
	assert_output 300000
}

@test "sqlite: a refused checkpoint names the database's copy and how to remove it (removing the folder alone resumed the copy, refused again)" {
	command -v sqlite3 >/dev/null || skip "the sqlite3 shell is not installed"
	awk 'BEGIN { for (i = 1; i <= 1000; i++) printf "%d k%d\n", 1763683200 + i, i % 5 }' > "$T/ev"
	run dstream -e '$1' -i "$T/ev" --checkpoint "$T/ck" -o "sqlite:$T/o.db" \
	    map '$2' then countByValueAndWindow 10s 1s
	assert_success
	hint="remove $T/ck and its copy in sqlite:$T/o.db (DELETE FROM dstream_checkpoint WHERE \"table\" = 'dstream') to start afresh"
	# Another window: refused, from the folder's checkpoint, then (the
	# folder removed) from the database's.
	run dstream -e '$1' -i "$T/ev" --checkpoint "$T/ck" -o "sqlite:$T/o.db" \
	    map '$2' then countByValueAndWindow 20s 1s
	assert_failure 1
	assert_output --partial "it was written by another pipeline"
	assert_output --partial "$hint"
	rm -rf "$T/ck"
	run dstream -e '$1' -i "$T/ev" --checkpoint "$T/ck" -o "sqlite:$T/o.db" \
	    map '$2' then countByValueAndWindow 20s 1s
	assert_failure 1
	assert_output --partial "checkpoint $T/ck (the destination's copy)"
	assert_output --partial "$hint"
	# Doing what it says starts afresh.
	q "DELETE FROM dstream_checkpoint WHERE \"table\" = 'dstream'"
	rm -rf "$T/ck"
	run dstream -e '$1' -i "$T/ev" --checkpoint "$T/ck" -o "sqlite:$T/o.db" \
	    map '$2' then countByValueAndWindow 20s 1s
	assert_success
}

@test "sqlite: the database's checkpoint, newer than the folder's, is the one resumed from" {
	db_checkpoint_newer "sqlite:$T/o.db"
	run sqlite3 "$T/o.db" 'SELECT sum(value) FROM dstream'
	assert_output 200000
}
