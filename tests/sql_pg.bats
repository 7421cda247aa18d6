#!/usr/bin/env bats
# sql_pg.bats - -o postgresql://...: against a throwaway server this file
# starts (pg_helper.bash: initdb and pg_ctl on a Unix socket, as nobody
# when run as root) and always stops.  Table creation and types, each
# value type, wide tuples, windows, replays, shapes and types that do not
# fit, the server restarted mid-run (nothing lost or doubled) and gone
# for good, SIGTERM while it is away (with and without --checkpoint), a
# read-only database, permission denied, bad names, passwords never
# shown.

load test_helper
load sql_helper
load live_helper
load pg_helper

setup_file() {
	pg_start
}

teardown_file() {
	pg_stop
}

setup() {
	[ -n "${PGURI:-}" ] || skip "no PostgreSQL server (see setup_file)"
	if "$DSTREAM" -o "$PGURI&table=probe" filter false </dev/null 2>&1 |
	    grep -q 'built without PostgreSQL'; then
		skip "dstream is built without PostgreSQL"
	fi
	T=$BATS_TEST_TMPDIR
	printf '%s\n' '2025-11-21T00:00:01Z a 1' '2025-11-21T00:00:02Z b 2.5' \
	    '2025-11-21T00:00:03Z a 3' '2025-11-21T00:00:25Z c x' > "$T/in"
	# A table of its own per test.
	TB=t$BATS_TEST_NUMBER
}

# The columns of table $1: name type nullable, one a line.
columns() {
	psql_q "SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns WHERE table_name = '$1' ORDER BY ordinal_position"
}

pkey() {
	psql_q "SELECT string_agg(a.attname, ',' ORDER BY array_position(i.indkey, a.attnum)) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = '$1'::regclass AND i.indisprimary"
}

@test "postgresql: a keyed table is created with the first row: timestamptz, text, numeric, primary key (time, key)" {
	run dstream -i "$T/in" -e '$1' -b 10s -o "$PGURI&table=$TB" map '$2' then countByValue
	assert_success
	assert_output ""
	run columns $TB
	assert_output "$(printf '%s\n' 'time timestamp with time zone NO' 'key text NO' 'value numeric YES')"
	run pkey $TB
	assert_output "time,key"
	run psql_q "SELECT to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), key, value FROM $TB ORDER BY time, key"
	assert_output "$(printf '%s\n' '2025-11-21 00:00:10|a|2' '2025-11-21 00:00:10|b|1' '2025-11-21 00:00:30|c|1')"
}

@test "postgresql: unkeyed output (count): time and value, primary key time" {
	run dstream -i "$T/in" -e '$1' -b 10s -o "$PGURI&table=$TB" count
	assert_success
	run columns $TB
	assert_output "$(printf '%s\n' 'time timestamp with time zone NO' 'value numeric YES')"
	run pkey $TB
	assert_output "time"
	run psql_q "SELECT extract(epoch FROM time)::bigint, value FROM $TB ORDER BY time"
	assert_output "$(printf '%s\n' '1763683210|3' '1763683220|0' '1763683230|1')"
}

@test "postgresql: each value type: numeric, text, boolean, jsonb for structure and null; wide tuples spread" {
	run dstream -i "$T/in" -e '$1' -b 1h -o "$PGURI&table=$TB" map \
	    '($2 .. $3, [$2, 1], 2, 0.5, "s", true, null, {"k": [1, "two"]}, ($3, 1), 1 == 2, 1e300, "tab\there")'
	assert_success
	run columns $TB
	assert_output "$(printf '%s\n' 'time timestamp with time zone NO' 'key text NO' \
	    'value jsonb YES' 'value2 numeric YES' 'value3 numeric YES' 'value4 text YES' \
	    'value5 boolean YES' 'value6 jsonb YES' 'value7 jsonb YES' 'value8 jsonb YES' \
	    'value9 boolean YES' 'value10 numeric YES' 'value11 text YES')"
	run psql_q "SELECT key, value, value2, value3, value4, value5, value6 IS NULL, value7, value8, value9, value10 = 1e300, value11 = E'tab\\there' FROM $TB ORDER BY key"
	assert_output "$(printf '%s\n' \
	    'a1|["a", 1]|2|0.5|s|t|t|{"k": [1, "two"]}|["1", 1]|f|t|t' \
	    'a3|["a", 1]|2|0.5|s|t|t|{"k": [1, "two"]}|["3", 1]|f|t|t' \
	    'b2.5|["b", 1]|2|0.5|s|t|t|{"k": [1, "two"]}|["2.5", 1]|f|t|t' \
	    'cx|["c", 1]|2|0.5|s|t|t|{"k": [1, "two"]}|["x", 1]|f|t|t')"
}

@test "postgresql: several rows of one key in a batch: the last wins; a null key or a string that is not UTF-8 is a record error" {
	printf '%s\n' '2025-11-21T00:00:01Z a 1' '2025-11-21T00:00:02Z b 2.5' \
	    '2025-11-21T00:00:03Z a 3' > "$T/in"
	printf '2025-11-21T00:00:04Z a \377\n' >> "$T/in"
	echo '2025-11-21T00:00:25Z c x' >> "$T/in"
	run dstream -i "$T/in" -e '$1' -b 10s -o "$PGURI&table=$TB" map '($2, $3)'
	assert_success
	assert_output --partial "a string that is not UTF-8 or holds a NUL byte cannot be stored in PostgreSQL"
	run psql_q "SELECT extract(epoch FROM time)::bigint, key, value FROM $TB ORDER BY time, key"
	assert_output "$(printf '%s\n' '1763683210|a|3' '1763683210|b|2.5' '1763683230|c|x')"
	run dstream -i "$T/in" -e '$1' -b 10s -o "$PGURI&table=${TB}n" map '(num($3), 1)'
	assert_success
	assert_output --partial "a row with a null key has no place in table ${TB}n"
	run psql_q "SELECT count(*) FROM ${TB}n"
	assert_output 3
}

@test "postgresql: windows: time is each window's end" {
	run dstream -i "$T/in" -e '$1' -b 10s -o "$PGURI&table=$TB" map '($2, 1)' then reduceByKeyAndWindow sum 20s 10s
	assert_success
	run psql_q "SELECT extract(epoch FROM time)::bigint, key, value FROM $TB ORDER BY time, key"
	assert_output "$(printf '%s\n' '1763683210|a|2' '1763683210|b|1' '1763683220|a|2' \
	    '1763683220|b|1' '1763683230|c|1' '1763683240|c|1')"
}

@test "postgresql: a replayed run replaces its own rows (upserts)" {
	run dstream -i "$T/in" -e '$1' -b 10s -o "$PGURI&table=$TB" map '$2' then countByValue
	assert_success
	run dstream -i "$T/in" -e '$1' -b 10s -o "$PGURI&table=$TB" map '$2' then countByValue
	assert_success
	head -2 "$T/in" > "$T/in2"
	run dstream -i "$T/in2" -e '$1' -b 10s -o "$PGURI&table=$TB" map '$2' then countByValue
	assert_success
	run psql_q "SELECT extract(epoch FROM time)::bigint, key, value FROM $TB ORDER BY time, key"
	assert_output "$(printf '%s\n' '1763683210|a|1' '1763683210|b|1' '1763683230|c|1')"
}

@test "postgresql: a table of another shape, or of a type dstream does not write, is refused at start" {
	psql_q "CREATE TABLE $TB (t text, n int)"
	run dstream -i "$T/in" -e '$1' -b 10s -o "$PGURI&table=$TB" count
	assert_failure 1
	assert_output --partial "table $TB has columns (t, n), not a dstream table's"
	psql_q "CREATE TABLE ${TB}b (time timestamptz, value bytea)"
	run dstream -i "$T/in" -e '$1' -b 10s -o "$PGURI&table=${TB}b" count
	assert_failure 1
	assert_output --partial "column value of table ${TB}b is bytea, which dstream does not write"
}

@test "postgresql: a row of another shape or type mid-run: status 1, the batches before it stay" {
	run dstream -i "$T/in" -e '$1' -b 10s -o "$PGURI&table=$TB" map '$3 == "x" ? [1] : ($2, 1)'
	assert_failure 1
	assert_output --partial "table $TB has columns (time, key, value), and the row [1] needs (time, value)"
	run psql_q "SELECT count(*) FROM $TB"
	assert_output 2
	run dstream -i "$T/in" -e '$1' -b 10s -o "$PGURI&table=$TB" map '($2, $3 == "x" ? $3 : num($3))'
	assert_failure 1
	assert_output --partial "column value of table $TB is numeric, and the row [\"c\",\"x\"] holds a string there"
	run psql_q "SELECT extract(epoch FROM time)::bigint, key, value FROM $TB ORDER BY time, key"
	assert_output "$(printf '%s\n' '1763683210|a|3' '1763683210|b|2.5')"
}

@test "postgresql: the server restarted mid-run: one message, reconnected, every row once" {
	mkfifo "$T/fifo"
	start_dstream -i "$T/fifo" -b 100ms -o "$PGURI&table=$TB" map '$1' then countByValue
	exec 7>"$T/fifo"
	local i
	for i in $(seq 1 20); do echo "k$i" >&7; done
	wait_until eval '[ "$(psql_q "SELECT count(*) FROM $TB" 2>/dev/null)" = 20 ]'
	pg_ctl_stop fast
	for i in $(seq 21 40); do echo "k$i" >&7; done
	wait_until err_has 'the server is away'
	pg_ctl_start
	for i in $(seq 41 60); do echo "k$i" >&7; done
	exec 7>&-
	for ((i = 0; i < LIVE_TIMEOUT * 20; i++)); do
		kill -0 "$DS_PID" 2>/dev/null || break
		sleep 0.05
	done
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	run psql_q "SELECT count(*), sum(value), count(DISTINCT key) FROM $TB"
	assert_output "60|60|60"
	[ "$(grep -c 'the server is away' "$ERR")" -eq 1 ]
	[ "$(grep -c 'reconnected after' "$ERR")" -eq 1 ]
}

@test "postgresql: the server gone for good: retry= seconds of reconnecting, then status 1" {
	mkfifo "$T/fifo"
	start_dstream -i "$T/fifo" -b 100ms -o "$PGURI&table=$TB&retry=1" map '$1' then countByValue
	exec 7>"$T/fifo"
	echo k1 >&7
	wait_until eval '[ "$(psql_q "SELECT count(*) FROM $TB" 2>/dev/null)" = 1 ]'
	pg_ctl_stop fast
	echo k2 >&7
	local i
	for ((i = 0; i < LIVE_TIMEOUT * 20; i++)); do
		kill -0 "$DS_PID" 2>/dev/null || break
		sleep 0.05
	done
	exec 7>&-
	pg_ctl_start
	stop_dstream
	[ "$DS_STATUS" -eq 1 ]
	grep -q 'the server is away' "$ERR"
	grep -q 'gave up reconnecting' "$ERR"
	run psql_q "SELECT key FROM $TB"
	assert_output k1
}

@test "postgresql: a read-only database and a table without permission: status 1, naming the error" {
	psql_q "CREATE DATABASE ro" >/dev/null
	psql_q "ALTER DATABASE ro SET default_transaction_read_only = on"
	run dstream -i "$T/in" -o "postgresql:///ro?host=$PGSOCK&port=$PGPORT&user=postgres" count
	assert_failure 1
	assert_output --partial "cannot write: cannot execute CREATE TABLE in a read-only transaction"
	psql_q "CREATE TABLE $TB (time timestamptz, value numeric, PRIMARY KEY (time)); CREATE ROLE weak LOGIN" >/dev/null
	run dstream -i "$T/in" -o "postgresql:///postgres?host=$PGSOCK&port=$PGPORT&user=weak&table=$TB" count
	assert_failure 1
	assert_output --partial "cannot write: permission denied for"
}

@test "postgresql: bad names and unreachable servers are refused at start (status 1), passwords masked" {
	run dstream -o "postgresql://u:SECRET@/db?host=$T/nowhere&port=1&table=x" count </dev/null
	assert_failure 1
	assert_output --partial "output postgresql://u:***@/db?host=$T/nowhere&port=1&table=x: cannot connect: connection to server on socket"
	refute_output --partial SECRET
	run dstream -o "postgresql:///db?host=$T/nowhere&password=SECRET" count </dev/null
	assert_failure 1
	assert_output --partial "password=***"
	refute_output --partial SECRET
	run dstream -o "postgresql://u:SECRET@h/db?retry=soon" count </dev/null
	assert_failure 1
	assert_output "dstream: output 'postgresql://u:***@h/db?retry=soon': retry= wants whole seconds, 0 to 86400, given once"
	run dstream -o "postgresql://u:SECRET@h/db?table=a;b" count </dev/null
	assert_failure 1
	assert_output --partial "bad table name 'a;b'"
	refute_output --partial SECRET
	run dstream -o "postgresql://u:SECRET@h/db?sslmode=bogus" count </dev/null
	assert_failure 1
	assert_output --partial "cannot connect: invalid sslmode value"
	refute_output --partial SECRET
}

@test "postgresql: with --checkpoint, rows and the checkpoint commit in one transaction (test_sqlsink against this server)" {
	local unit
	unit=$(dirname "$DSTREAM")/tests/unit/test_sqlsink
	[ -x "$unit" ] || skip "tests/unit/test_sqlsink is not built (make check builds it)"
	DSTREAM_TEST_PGURI=$PGURI run "$unit"
	assert_success
	assert_output --partial "test_sqlsink: 94 checks, 0 failed"
}

@test "postgresql: kill -9 at random moments with --checkpoint, then a rerun: the table is an uninterrupted run's" {
	sql_kill_data
	run dstream -o "$PGURI&table=${TB}ref" "${PIPE[@]}"
	assert_success
	kill_loop 10 "$PGURI&table=$TB" "${PIPE[@]}"
	run timeout 120 "$DSTREAM" --checkpoint "$T/ck" --final -o "$PGURI&table=$TB" "${PIPE[@]}"
	assert_success
	[ "$(psql_q "SELECT count(*) FROM ${TB}ref")" -gt 5000 ]
	[ "$(psql_q "SELECT * FROM $TB ORDER BY time, key" | md5sum)" = \
	    "$(psql_q "SELECT * FROM ${TB}ref ORDER BY time, key" | md5sum)" ]
	run psql_q "SELECT length(bytes) > 0 FROM dstream_checkpoint WHERE \"table\" = '$TB'"
	assert_output t
}

@test "postgresql: kill -9 in processing time with --checkpoint: every record counted once" {
	seq 1 300000 > "$T/nums"
	kill_loop 8 "$PGURI&table=$TB" -b 10ms -i "$T/nums" count
	run timeout 120 "$DSTREAM" --checkpoint "$T/ck" -o "$PGURI&table=$TB" -b 10ms -i "$T/nums" count
	assert_success
	run psql_q "SELECT sum(value) FROM $TB"
	assert_output 300000
}

@test "postgresql: the database's checkpoint, newer than the folder's, is the one resumed from" {
	db_checkpoint_newer "$PGURI&table=$TB"
	run psql_q "SELECT sum(value) FROM $TB"
	assert_output 200000
}

@test "postgresql: a password in the URI reaches neither the checkpoint nor its messages" {
	seq 1 10 > "$T/s"
	run dstream --checkpoint "$T/ck" -o "$PGURI&password=SECRET&table=$TB" -i "$T/s" count
	assert_success
	run grep -c SECRET "$T/ck/checkpoint"
	assert_output 0
	run dstream --checkpoint "$T/ck" -o "$PGURI&password=SECRET&table=${TB}b" -i "$T/s" count
	assert_failure 1
	assert_output --partial "written by another pipeline: output:"
	assert_output --partial "password=***"
	refute_output --partial SECRET
}

# written_then_server_stopped: dstream reading the FIFO $T/fifo (held
# open on fd 7) into $TB with retry=600, so that only a signal can end
# its waiting within stop_dstream's bound; once its first row (k1) is
# in, the server is stopped.
written_then_server_stopped() {
	mkfifo "$T/fifo"
	start_dstream -i "$T/fifo" -b 100ms -o "$PGURI&table=$TB&retry=600" map '$1' then countByValue
	exec 7>"$T/fifo"
	echo k1 >&7
	wait_until eval '[ "$(psql_q "SELECT count(*) FROM $TB" 2>/dev/null)" = 1 ]'
	pg_ctl_stop fast
}

@test "postgresql: SIGTERM while the server is away ends the run at once: status 143, the rows not written said" {
	written_then_server_stopped
	echo k2 >&7
	wait_until err_has 'the server is away'
	stop_dstream
	exec 7>&-
	pg_ctl_start
	[ "$DS_STATUS" -eq 143 ]
	grep -q "^dstream: postgresql:///postgres?host=$PGSOCK&port=$PGPORT&user=postgres&table=$TB&retry=600: stopped by SIGTERM while the server is away (.*): 1 row not written\$" "$ERR"
	! grep -q 'gave up reconnecting' "$ERR"
	run psql_q "SELECT key FROM $TB"
	assert_output k1
}

@test "postgresql: SIGTERM during an outage with --checkpoint: status 143, the checkpoint not advanced; the next run writes every row once" {
	: > "$T/log"
	start_dstream --checkpoint "$T/ck" -F -i "$T/log" -b 100ms -o "$PGURI&table=$TB&retry=600" map '$1' then countByValue
	seq -f 'k%g' 1 20 >> "$T/log"
	wait_until eval '[ "$(psql_q "SELECT count(*) FROM $TB" 2>/dev/null)" = 20 ]'
	pg_ctl_stop fast
	seq -f 'k%g' 21 40 >> "$T/log"
	wait_until err_has 'the server is away'
	stop_dstream
	pg_ctl_start
	[ "$DS_STATUS" -eq 143 ]
	grep -q "table=$TB&retry=600: stopped by SIGTERM while the server is away (.*): [0-9]* rows\? not written\$" "$ERR"
	grep -q "^dstream: stopped by SIGTERM: checkpoint $T/ck not advanced; the next run goes on from the last one" "$ERR"
	! grep -q 'checkpoint .* written' "$ERR"
	run psql_q "SELECT count(*) FROM $TB"
	assert_output 20
	# The next run: the rows not written, and the new ones, each once.
	start_dstream --checkpoint "$T/ck" -F -i "$T/log" -b 100ms -o "$PGURI&table=$TB&retry=600" map '$1' then countByValue
	seq -f 'k%g' 41 60 >> "$T/log"
	wait_until eval '[ "$(psql_q "SELECT count(*) FROM $TB" 2>/dev/null)" = 60 ]'
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	run psql_q "SELECT count(*), sum(value), count(DISTINCT key) FROM $TB"
	assert_output "60|60|60"
}

@test "postgresql: SIGTERM while reconnecting to a server that accepts and never answers ends the run at once" {
	written_then_server_stopped
	# On the server's socket, a listener that never accepts: a connect
	# succeeds, and the server's answer never comes.
	python3 -c 'import select, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(16)
open(sys.argv[2], "w").close()
select.select([s], [], [], 600)
open(sys.argv[3], "w").close()
time.sleep(600)' "$PGSOCK/.s.PGSQL.$PGPORT" "$T/listening" "$T/pending" &
	PEERS=$!
	wait_until test -e "$T/listening"
	echo k2 >&7
	# dstream's reconnecting is waiting for the answer.
	wait_until test -e "$T/pending"
	stop_dstream
	exec 7>&-
	kill "$PEERS"
	wait "$PEERS" || true
	rm -f "$PGSOCK/.s.PGSQL.$PGPORT"
	pg_ctl_start
	[ "$DS_STATUS" -eq 143 ]
	grep -q "table=$TB&retry=600: stopped by SIGTERM while the server is away (.*): 1 row not written\$" "$ERR"
	run psql_q "SELECT key FROM $TB"
	assert_output k1
}
