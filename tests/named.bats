#!/usr/bin/env bats
# named.bats - named inputs (-i NAME=SRC), the `input` variable and the
# `meta` object on every source kind: files, stdin, --follow, dir://,
# tcp://, tcp-listen://, udp://, unix://, unix-listen://; records of
# several inputs told apart and joined by key within a window (the ad
# impressions and clicks example of the man page).  Every wait is bounded.

load test_helper
load live_helper
bats_require_minimum_version 1.5.0

setup() {
	T=$BATS_TEST_TMPDIR
	printf 'a 1\nb 2\n' >"$T/one.txt"
	printf 'c 3\n' >"$T/two.txt"
}

@test "named inputs: -i NAME=SRC names the input, an unnamed one is named by SRC" {
	run dstream -i one="$T/one.txt" -i "$T/two.txt" \
	    map '(input, meta.file, meta.line, $1)'
	assert_success
	assert_output "$(printf 'one\t%s\t1\ta\none\t%s\t2\tb\n%s\t%s\t1\tc' \
	    "$T/one.txt" "$T/one.txt" "$T/two.txt" "$T/two.txt")"
}

@test "named inputs: meta is an object of what the input knows; meta.peer null for a file" {
	run dstream -i f="$T/two.txt" map 'meta' then map 'tojson(x)'
	assert_success
	assert_output "{\"file\":\"$T/two.txt\",\"line\":1}"
	run dstream -i f="$T/two.txt" map '(type(meta.peer), type(meta.topic), type(meta["file"]))'
	assert_output "$(printf 'null\tnull\tstring')"
}

@test "named inputs: stdin is '-', named or not" {
	run dstream map '(input, meta.file, meta.line)' <<<'x'
	assert_output "$(printf -- '-\t-\t1')"
	run dstream -i in=- map '(input, meta.file)' <<<'x'
	assert_output "$(printf 'in\t-')"
}

@test "named inputs: NAME must be an identifier; other '=' stay in the path" {
	mkdir "$T/d"
	printf 'eq\n' >"$T/d/k=v"
	# Not an identifier before '=': the whole argument is the path.
	cd "$T/d"
	run dstream -i ./k=v map '(input, x)'
	assert_success
	assert_output "$(printf './k=v\teq')"
	run dstream -i "$T/d/k=v" map 'input'
	assert_output "$T/d/k=v"
	# An identifier before '=' names the input: k=v is input k from file v.
	run dstream -i k=v map 'input'
	assert_failure
	assert_output 'dstream: v: No such file or directory'
	# A name needs an input after it.
	run dstream -i k= count
	[ "$status" -eq 2 ]
	assert_output --partial "-i k=: no input after 'k=' (-i NAME=SRC)"
	# Names are used as given, and two inputs may share one.
	run dstream -i k=./k=v -i k=./k=v map 'input' then countByValue
	assert_output "$(printf 'k\t2')"
}

@test "named inputs: a record no input gave (a batch's result) has input null and meta {}" {
	run dstream -i one="$T/one.txt" countByValue then \
	    map '(key, input ?? "none", tojson(meta))'
	assert_success
	assert_output "$(printf 'a 1\tnone\t{}\nb 2\tnone\t{}')"
}

@test "named inputs: input and meta are only for records (reduce functions see a and b)" {
	run dstream reduceByKey 'a + len(input)'
	[ "$status" -eq 2 ]
	assert_output --partial "'input' is not defined here"
}

@test "named inputs: event time keeps each record's input and line while it waits for its batch" {
	printf '2025-11-21T00:00:03Z x\n2025-11-21T00:00:01Z y\n' >"$T/a.log"
	printf '2025-11-21T00:00:02Z z\n2025-11-21T00:00:00Z w\n' >"$T/b.log"
	run dstream -i A="$T/a.log" -i B="$T/b.log" -e '$1' -w 10s -b 1s \
	    map '(input, meta.line, $2)'
	assert_success
	assert_output "$(printf 'B\t2\tw\nA\t2\ty\nB\t1\tz\nA\t1\tx')"
}

@test "named inputs: the event-time expression may read input" {
	printf '2025-11-21T00:00:05Z p\n' >"$T/a.log"
	printf 'q 2025-11-21T00:00:01Z\n' >"$T/b.log"
	run dstream -i A="$T/a.log" -i B="$T/b.log" \
	    -e 'input == "A" ? $1 : $2' -w 1m -s map '(input, $0)'
	assert_success
	assert_output "$(printf '2025-11-21T00:00:02Z\tB\tq 2025-11-21T00:00:01Z\n2025-11-21T00:00:06Z\tA\t2025-11-21T00:00:05Z p')"
}

@test "named inputs: --follow gives the file and its lines" {
	printf 'f1\n' >"$T/f.log"
	start_dstream -F -i fol="$T/f.log" --batch 100ms map '(input, meta.file, meta.line, x)'
	wait_until out_has 'f1'
	printf 'f2\n' >>"$T/f.log"
	wait_until out_has 'f2'
	stop_dstream
	run cat "$OUT"
	assert_output "$(printf 'fol\t%s\t1\tf1\nfol\t%s\t2\tf2' "$T/f.log" "$T/f.log")"
}

@test "named inputs: dir:// gives each file's path and line" {
	mkdir "$T/in"
	start_dstream -i drop="dir://$T/in" --batch 100ms map '(input, meta.file, meta.line, x)'
	sleep 0.3
	printf 'r1\nr2\n' >"$T/.p"
	mv "$T/.p" "$T/in/part1"
	wait_until out_has 'r2'
	stop_dstream
	run cat "$OUT"
	assert_output "$(printf 'drop\t%s/part1\t1\tr1\ndrop\t%s/part1\t2\tr2' "$T/in" "$T/in")"
}

@test "named inputs: tcp:// gives the server's address as meta.peer" {
	serve_tcp 'printf "s1\ns2\n"'
	start_dstream -i srv="tcp://127.0.0.1:$PORT" --batch 100ms \
	    map '(input, meta.peer, meta.line, x)'
	wait_until out_has 's2'
	stop_dstream
	run cat "$OUT"
	assert_output "$(printf 'srv\t127.0.0.1:%s\t1\ts1\nsrv\t127.0.0.1:%s\t2\ts2' "$PORT" "$PORT")"
}

@test "named inputs: tcp-listen:// gives each client's address:port" {
	start_dstream -i web=tcp-listen://127.0.0.1:0 --batch 100ms \
	    map '(input, meta.peer, meta.line, type(meta.file), x)'
	PORT=$(listen_port)
	printf 'c1\n' | socat -u - "TCP:127.0.0.1:$PORT"
	wait_until out_has 'c1'
	stop_dstream
	run cat "$OUT"
	assert_output --regexp "^web	127\.0\.0\.1:[0-9]+	1	null	c1$"
}

@test "named inputs: udp:// gives each datagram's sender" {
	start_dstream -i sys=udp://127.0.0.1:0 --batch 100ms \
	    map '(input, meta.peer, x)'
	PORT=$(listen_port)
	printf 'u1\nu2' | socat -u - "UDP-SENDTO:127.0.0.1:$PORT"
	wait_until out_has 'u2'
	stop_dstream
	run cat "$OUT"
	assert_line --index 0 --regexp '^sys	127\.0\.0\.1:[0-9]+	u1$'
	# The sender's port, not the one dstream listens on.
	refute_output --partial ":$PORT	"
	# One datagram, one sender: both lines name the same.
	[ "$(cut -f 2 "$OUT" | sort -u | wc -l)" -eq 1 ]
	[ "$(wc -l <"$OUT")" -eq 2 ]
}

@test "named inputs: unix-listen:// names a client by its process, unix:// the socket path" {
	local sock=$T/in.sock srv=$T/srv.sock
	start_dstream -i loc="unix-listen://$sock" --batch 100ms \
	    map '(input, meta.peer, x)'
	wait_until test -S "$sock"
	printf 'l1\n' | socat -u - "UNIX-CONNECT:$sock"
	wait_until out_has 'l1'
	stop_dstream
	run cat "$OUT"
	assert_output --regexp "^loc	pid:[0-9]+	l1$"

	printf 'v1\n' | socat -u - "UNIX-LISTEN:$srv" & PEERS=$!
	wait_until test -S "$srv"
	start_dstream -i up="unix://$srv" --batch 100ms map '(input, meta.peer, x)'
	wait_until out_has 'v1'
	stop_dstream
	run cat "$OUT"
	assert_output "$(printf 'up\t%s\tv1' "$srv")"
}

@test "named inputs: several live inputs told apart in one stream" {
	start_dstream -i a=tcp-listen://127.0.0.1:0 -i "b=unix-listen://$T/b.sock" \
	    --batch 100ms map 'input' then countByValue
	PORT=$(listen_port)
	wait_until test -S "$T/b.sock"
	seq 1 3 | socat -u - "TCP:127.0.0.1:$PORT"
	seq 1 5 | socat -u - "UNIX-CONNECT:$T/b.sock"
	wait_until eval '[ "$(out_sum_col2)" -ge 8 ]'
	stop_dstream
	run out_totals
	assert_output "$(printf 'a\t3\nb\t5')"
}

# The man page's stream-stream join: impressions and clicks by ad id in
# ten-minute windows of event time.
@test "named inputs: ad impressions joined with their clicks by ad id (stream-stream join)" {
	cat >"$T/impressions.log" <<-'EOF'
	2025-11-21T10:00:05Z ad1 mobile
	2025-11-21T10:00:20Z ad2 desktop
	2025-11-21T10:01:10Z ad3 mobile
	2025-11-21T10:12:00Z ad4 mobile
	EOF
	cat >"$T/clicks.log" <<-'EOF'
	2025-11-21T10:00:40Z ad1
	2025-11-21T10:02:30Z ad3
	2025-11-21T10:09:00Z ad9
	2025-11-21T10:13:00Z ad4
	EOF
	run dstream -i imp="$T/impressions.log" -i clk="$T/clicks.log" \
	    -e '$1' -b 1m -s \
	    map '($2, (input, $1))' \
	    then groupByKeyAndWindow 10m 10m \
	    then filter 'min(value)[0] != max(value)[0]' \
	    then map '(key, max(value)[1], min(value)[1])'
	assert_success
	assert_output "$(printf '%s\n' \
	    '2025-11-21T10:10:00Z	ad1	2025-11-21T10:00:05Z	2025-11-21T10:00:40Z' \
	    '2025-11-21T10:10:00Z	ad3	2025-11-21T10:01:10Z	2025-11-21T10:02:30Z' \
	    '2025-11-21T10:20:00Z	ad4	2025-11-21T10:12:00Z	2025-11-21T10:13:00Z')"
	# The grouped records themselves: each tagged with its input.
	run dstream -i imp="$T/impressions.log" -i clk="$T/clicks.log" \
	    -e '$1' -b 1m map '($2, (input, $1))' \
	    then groupByKeyAndWindow 10m 10m then take 2
	assert_output "$(printf '%s\n' \
	    'ad1	[["imp","2025-11-21T10:00:05Z"],["clk","2025-11-21T10:00:40Z"]]' \
	    'ad2	[["imp","2025-11-21T10:00:20Z"]]' \
	    'ad4	[["imp","2025-11-21T10:12:00Z"],["clk","2025-11-21T10:13:00Z"]]')"
}
