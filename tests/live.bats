#!/usr/bin/env bats
# live.bats - sockets: tcp:// (NetworkWordCount, reconnects), tcp-listen://
# (many clients, --max-clients), udp://, unix:// and unix-listen://, and
# the lifetime of a live run (until SIGTERM, which flushes the batch in
# hand).  Loopback and $BATS_TEST_TMPDIR only; every wait is bounded.

load test_helper
load live_helper
bats_require_minimum_version 1.5.0

@test "NetworkWordCount: words from a tcp:// server counted per batch" {
	serve_tcp 'printf "to be or not to be\nthat is the question\nto be\n"'
	start_dstream -i "tcp://127.0.0.1:$PORT" --batch 200ms \
	    flatMap 'split($0, " ")' then map '(x, 1)' then reduceByKey sum
	wait_until err_has 'connection closed by peer'
	wait_until lines_at_least 1
	sleep 0.3
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	run out_totals
	assert_output "$(printf 'be\t3\nis\t1\nnot\t1\nor\t1\nquestion\t1\nthat\t1\nthe\t1\nto\t3')"
}

@test "tcp:// reconnects after the server restarts; no line sent after the restart is lost" {
	serve_tcp 'seq 1 100'
	start_dstream -i "tcp://127.0.0.1:$PORT" --batch 100ms count
	wait_until sum_is 100
	# The server is down a while: several attempts, one message.
	sleep 1.5
	serve_tcp_on "$PORT" 'seq 101 250' || fail "port $PORT taken"
	wait_until sum_is 250
	wait_until err_has 'reconnected'
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	[ "$(out_sum)" -eq 250 ]
	# One message when the outage starts and one when it ends, not one
	# per attempt (the second server's close starts a second outage).
	run grep -c 'reconnecting\|retrying' "$ERR"
	assert_output 2
	run grep -c 'reconnected' "$ERR"
	assert_output 1
}

@test "tcp:// refused at start: one message, then connected when the server comes" {
	PORT=$((20000 + RANDOM % 40000))
	start_dstream -i "tcp://127.0.0.1:$PORT" --batch 100ms count
	wait_until err_has 'connection refused; retrying'
	sleep 1
	serve_tcp_on "$PORT" 'seq 1 7' || skip "port $PORT taken"
	wait_until sum_is 7
	stop_dstream
	run grep -c 'retrying' "$ERR"
	assert_output 1
	run grep -c ': connected$' "$ERR"
	assert_output 1
}

@test "tcp:// a line cut by a disconnect is a record of its own" {
	serve_tcp 'printf "whole\ncut sho"'
	start_dstream -i "tcp://127.0.0.1:$PORT" --batch 100ms map 'len($0) .. ":" .. $0'
	wait_until out_has 'cut sho'
	stop_dstream
	run cat "$OUT"
	assert_output "$(printf '5:whole\n7:cut sho')"
}

@test "tcp:// name lookup failed: an outage like a refused connection, one message, never given up" {
	seq 1 3 > "$BATS_TEST_TMPDIR/f"
	# Stopped by SIGTERM after 1.5 s: several lookups, one message; the
	# file beside it is read meanwhile.
	run --separate-stderr timeout --preserve-status -s TERM 1.5 \
	    "$DSTREAM" -i tcp://nonexistent.invalid:80 -i "$BATS_TEST_TMPDIR/f" \
	    --batch 100ms count
	assert_success
	[ "$(awk '{ s += $1 } END { print s }' <<<"$output")" -eq 3 ]
	[ "$(grep -c . <<<"$stderr")" -eq 1 ] || fail "$stderr"
	[[ $stderr == "dstream: tcp://nonexistent.invalid:80: "*"; retrying" ]] || fail "$stderr"
}

@test "tcp:// without a port is an error at start" {
	run dstream -i tcp://127.0.0.1 count
	assert_failure
	assert_output --partial 'missing port'
}

@test "tcp-listen: 100 concurrent clients, every line whole, exact totals" {
	local i pids=
	start_dstream -i tcp-listen://127.0.0.1:0 --batch 100ms \
	    map '$1 .. ":" .. len($3)' then countByValue
	PORT=$(listen_port)
	# Long lines, so that reads cut them at many places.
	for ((i = 1; i <= 100; i++)); do
		awk -v c="$i" 'BEGIN { s = sprintf("%0300d", 0)
		    for (j = 1; j <= 500; j++) print "c" c, j, s }' |
		    socat -u - "TCP:127.0.0.1:$PORT" &
		pids="$pids $!"
	done
	PEERS="$pids"
	for i in $pids; do wait_pid "$i"; done
	wait_until eval '[ "$(out_sum_col2)" -ge 50000 ]'
	sleep 0.3
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	# 100 keys "cN:300", each 500: a line cut or mixed gives another key.
	run out_totals
	[ "${#lines[@]}" -eq 100 ]
	run bash -c 'awk -F "\t" "\$1 !~ /^c[0-9]+:300\$/ || \$2 != 500" <<<"$1"' _ "$(out_totals)"
	assert_output ''
	[ "$(out_sum_col2)" -eq 50000 ]
}

@test "tcp-listen: a client leaving does not end the stream" {
	start_dstream -i tcp-listen://127.0.0.1:0 --batch 100ms count
	PORT=$(listen_port)
	seq 1 10 | socat -u - "TCP:127.0.0.1:$PORT"
	wait_until sum_is 10
	sleep 0.3
	kill -0 "$DS_PID"
	seq 1 5 | socat -u - "TCP:127.0.0.1:$PORT"
	wait_until sum_is 15
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
}

@test "tcp-listen: a line left unfinished by a leaving client is a record" {
	start_dstream -i tcp-listen://127.0.0.1:0 --batch 100ms map 'len($0)'
	PORT=$(listen_port)
	printf 'abc\nlast' | socat -u - "TCP:127.0.0.1:$PORT"
	wait_until out_has '^4$'
	stop_dstream
	run cat "$OUT"
	assert_output "$(printf '3\n4')"
}

# stopped_with WANT: stops dstream (SIGTERM), closes fd 8 (the feed),
# and requires status 0 and the output WANT.
stopped_with() {
	stop_dstream
	exec 8>&-
	[ "$DS_STATUS" -eq 0 ]
	run cat "$OUT"
	assert_output "$1"
}

# feed_client URL FIFO: a client of dstream's listener URL (socat's
# address, as TCP:127.0.0.1:P) sending what is written to FIFO; returns
# once FIFO is open for writing on fd 8.
feed_client() {
	mkfifo "$2"
	socat -u "OPEN:$2" "$1" 2>/dev/null &
	PEERS="${PEERS:-} $!"
	exec 8>"$2"
}

@test "issue 10 item 10: a listener's client's unfinished line is a record at a stop (tcp-listen://, unix-listen://), status 0" {
	start_dstream -i tcp-listen://127.0.0.1:0 --batch 100ms map 'len($0) .. ":" .. $0'
	PORT=$(listen_port)
	feed_client "TCP:127.0.0.1:$PORT" "$BATS_TEST_TMPDIR/c1"
	# One write: once its whole line is out, the rest waits in dstream.
	printf 'whole\nhalf' >&8
	wait_until out_has '5:whole'
	stopped_with "$(printf '5:whole\n4:half')"

	local sock=$BATS_TEST_TMPDIR/in.sock
	start_dstream -i "unix-listen://$sock" --batch 100ms map 'len($0) .. ":" .. $0'
	wait_until test -S "$sock"
	feed_client "UNIX-CONNECT:$sock" "$BATS_TEST_TMPDIR/c2"
	printf 'abc\nde' >&8
	wait_until out_has '3:abc'
	stopped_with "$(printf '3:abc\n2:de')"
}

@test "issue 10 item 10: a tcp:// server's unfinished line is a record at a stop, status 0" {
	local fifo=$BATS_TEST_TMPDIR/s i
	mkfifo "$fifo"
	# A server that sends what is written to the FIFO, on a free port.
	for ((i = 0; i < 50; i++)); do
		PORT=$((20000 + RANDOM % 40000))
		socat -U "TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr" "OPEN:$fifo" 2>/dev/null &
		SERVER_PID=$!
		sleep 0.2
		kill -0 "$SERVER_PID" 2>/dev/null && break
	done
	PEERS="${PEERS:-} $SERVER_PID"
	start_dstream -i "tcp://127.0.0.1:$PORT" --batch 100ms map 'len($0) .. ":" .. $0'
	# Opened once dstream is connected (socat opens it then).
	exec 8>"$fifo"
	printf 'whole\nhalf' >&8
	wait_until out_has '5:whole'
	stopped_with "$(printf '5:whole\n4:half')"
}

@test "tcp-listen: --max-clients refuses extra clients with one message" {
	local a b
	start_dstream --max-clients 2 -i tcp-listen://127.0.0.1:0 --batch 100ms count
	PORT=$(listen_port)
	# Two clients that stay connected, fed from fifos held open here.
	mkfifo "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	socat -u "OPEN:$BATS_TEST_TMPDIR/a" "TCP:127.0.0.1:$PORT" 3>&- & a=$!
	socat -u "OPEN:$BATS_TEST_TMPDIR/b" "TCP:127.0.0.1:$PORT" 3>&- & b=$!
	PEERS="$a $b"
	exec 8>"$BATS_TEST_TMPDIR/a" 9>"$BATS_TEST_TMPDIR/b"
	echo one >&8
	echo two >&9
	wait_until sum_is 2
	# Three more: refused (their lines not counted), one message.
	for i in 1 2 3; do
		echo extra | timeout 5 socat -u - "TCP:127.0.0.1:$PORT" || true
	done
	wait_until err_has 'more than 2 clients'
	sleep 0.3
	[ "$(out_sum)" -eq 2 ]
	run grep -c 'more than 2 clients' "$ERR"
	assert_output 1
	# When one leaves, a new client gets in.
	exec 8>&-
	wait_pid "$a"
	sleep 0.3
	echo late | timeout 5 socat -u - "TCP:127.0.0.1:$PORT"
	wait_until sum_is 3
	exec 9>&-
	wait_pid "$b"
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
}

@test "tcp-listen: a busy address is an error at start" {
	start_dstream -i tcp-listen://127.0.0.1:0 count
	PORT=$(listen_port)
	run dstream -i "tcp-listen://127.0.0.1:$PORT" count
	assert_failure
	assert_output --partial 'address already in use'
	stop_dstream
}

# Whether this machine has an IPv6 loopback (a container may have none;
# then "*" binds IPv4 only, and only that is checked).
have_ipv6() {
	grep -q ' lo$' /proc/net/if_inet6 2>/dev/null
}

@test "listeners: tcp-listen://*:P and udp://*:P take IPv6 clients (dual-stack) and IPv4 ones" {
	start_dstream -i 'tcp-listen://*:0' --batch 100ms count
	PORT=$(listen_port)
	seq 1 3 | socat -u - "TCP4:127.0.0.1:$PORT"
	wait_until sum_is 3
	if have_ipv6; then
		seq 1 4 | socat -u - "TCP6:[::1]:$PORT"
		wait_until sum_is 7
	fi
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]

	start_dstream -i 'udp://*:0' --batch 100ms count
	PORT=$(listen_port)
	printf 'a\nb\n' | socat -u - "UDP4-SENDTO:127.0.0.1:$PORT"
	wait_until sum_is 2
	if have_ipv6; then
		printf 'c\n' | socat -u - "UDP6-SENDTO:[::1]:$PORT"
		wait_until sum_is 3
	fi
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
}

@test "listeners: tcp-listen://:-1 is a bad port, the same message as :99999" {
	run dstream -i tcp-listen://:-1 count
	assert_failure 1
	assert_output "dstream: tcp-listen://:-1: bad port '-1' (0 to 65535)"
	run dstream -i udp://:-1 count
	assert_failure 1
	assert_output "dstream: udp://:-1: bad port '-1' (0 to 65535)"
}

@test "listeners: long-line and record error messages name the client address:port" {
	start_dstream -i tcp-listen://127.0.0.1:0 --max-line 10 --json --batch 100ms count
	PORT=$(listen_port)
	printf '1\naaaaaaaaaaaaaaaaaaaa\n{bad\n' | socat -u - "TCP:127.0.0.1:$PORT"
	wait_until err_has 'expected a string key'
	stop_dstream
	run grep -c "tcp-listen://127.0.0.1:0 from 127.0.0.1:[0-9]*:2: line longer than 10 bytes skipped" "$ERR"
	assert_output 1
	run grep -c "(tcp-listen://127.0.0.1:0 from 127.0.0.1:[0-9]*:3)\$" "$ERR"
	assert_output 1
}

@test "udp: syslog lines, several per datagram, the last without newline" {
	start_dstream -i udp://:0 --batch 100ms map '$5' then countByValue
	PORT=$(listen_port)
	printf '<34>Oct 11 22:14:15 host su: %s\n' "'su root' failed" |
	    socat -u - "UDP-SENDTO:127.0.0.1:$PORT"
	printf '<13>Oct 11 22:14:16 host sshd[12]: accepted\n<13>Oct 11 22:14:16 host cron[9]: run\n<13>Oct 11 22:14:17 host sshd[12]: closed' |
	    socat -u - "UDP-SENDTO:127.0.0.1:$PORT"
	wait_until eval '[ "$(out_sum_col2)" -ge 4 ]'
	sleep 0.3
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	run out_totals
	assert_output "$(printf 'cron[9]:\t1\nsshd[12]:\t2\nsu:\t1')"
}

@test "unix-listen: lines from clients on a Unix socket" {
	local sock=$BATS_TEST_TMPDIR/in.sock
	start_dstream -i "unix-listen://$sock" --batch 100ms count
	wait_until test -S "$sock"
	seq 1 20 | socat -u - "UNIX-CONNECT:$sock"
	seq 1 30 | socat -u - "UNIX-CONNECT:$sock"
	wait_until sum_is 50
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	# The socket file is removed at exit.
	[ ! -e "$sock" ]
}

@test "unix-listen: a stale socket file is replaced, a regular file is not" {
	local sock=$BATS_TEST_TMPDIR/stale.sock
	# A socket nobody listens on any more.
	timeout 5 socat -u "UNIX-LISTEN:$sock,unlink-close=0" - </dev/null &
	wait_until test -S "$sock"
	kill "$!"; wait "$!" 2>/dev/null || true
	[ -S "$sock" ]
	start_dstream -i "unix-listen://$sock" --batch 100ms count
	# Until dstream listens in the stale one's place, a connection is
	# refused (a fixed sleep lost that race on a loaded machine).
	wait_until socat -u /dev/null "UNIX-CONNECT:$sock"
	seq 1 3 | socat -u - "UNIX-CONNECT:$sock"
	wait_until sum_is 3
	stop_dstream
	echo data >"$BATS_TEST_TMPDIR/plain"
	run dstream -i "unix-listen://$BATS_TEST_TMPDIR/plain" count
	assert_failure
	assert_output --partial 'not a socket'
}

@test "unix://: a client of a Unix socket server, reconnecting" {
	local sock=$BATS_TEST_TMPDIR/srv.sock
	seq 1 40 | socat -u - "UNIX-LISTEN:$sock" & PEERS=$!
	wait_until test -S "$sock"
	start_dstream -i "unix://$sock" --batch 100ms count
	wait_until sum_is 40
	wait_pid "$PEERS"
	seq 1 2 | socat -u - "UNIX-LISTEN:$sock" & PEERS=$!
	wait_until sum_is 42
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
}

@test "live input: a silent batch gives count 0, on time" {
	start_dstream -i tcp-listen://127.0.0.1:0 --batch 100ms count
	wait_until lines_at_least 5
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	run sort -u "$OUT"
	assert_output 0
}

@test "live input runs until SIGTERM, which flushes the batch in hand" {
	start_dstream -i tcp-listen://127.0.0.1:0 --batch 1h count
	PORT=$(listen_port)
	seq 1 12 | socat -u - "TCP:127.0.0.1:$PORT"
	sleep 0.5
	kill -0 "$DS_PID"
	[ ! -s "$OUT" ]
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	run cat "$OUT"
	assert_output 12
}

@test "several live inputs are unioned" {
	local sock=$BATS_TEST_TMPDIR/u.sock
	start_dstream -i tcp-listen://127.0.0.1:0 -i "unix-listen://$sock" \
	    --batch 100ms count
	PORT=$(listen_port)
	wait_until test -S "$sock"
	seq 1 5 | socat -u - "TCP:127.0.0.1:$PORT"
	seq 1 6 | socat -u - "UNIX-CONNECT:$sock"
	wait_until sum_is 11
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
}

@test "backpressure: a blocked stdout stops reading, memory stays bounded" {
	local fifo=$BATS_TEST_TMPDIR/out.fifo sender rss i
	mkfifo "$fifo"
	# Nobody reads the fifo yet: dstream's writes block.
	"$DSTREAM" -i tcp-listen://127.0.0.1:0 --batch 100ms map x \
	    >"$fifo" 2>"$BATS_TEST_TMPDIR/err" &
	DS_PID=$!
	ERR=$BATS_TEST_TMPDIR/err OUT=/dev/null
	exec 7<"$fifo"		# hold the pipe open, read nothing
	PORT=$(listen_port)
	# 2,000,000 lines of 100 bytes: 200 MB.
	awk 'BEGIN { s = sprintf("%099d", 0); for (i = 0; i < 2000000; i++) print s }' |
	    socat -u - "TCP:127.0.0.1:$PORT" &
	sender=$!
	PEERS=$sender
	sleep 2
	# The sender is held up, and dstream has not buffered the input.
	kill -0 "$sender"
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$DS_PID/status")
	[ "$rss" -lt 65536 ] || fail "RSS ${rss} kB while stdout is blocked"
	# Reading again lets everything through, every line counted.
	OUT=$BATS_TEST_TMPDIR/n
	wc -l <&7 >"$OUT" &
	i=$!
	exec 7<&-
	wait_pid "$sender"
	sleep 0.5
	kill -TERM "$DS_PID"
	wait_pid "$DS_PID"
	wait_pid "$i"
	run cat "$OUT"
	assert_output 2000000
}

@test "event time on a silent live input: the watermark follows the wall clock after --idle" {
	local t
	start_dstream -i tcp-listen://127.0.0.1:0 -e '$1' --batch 1s \
	    --idle 300ms count
	PORT=$(listen_port)
	t=$(( $(date +%s) - 100 ))
	printf '%s a\n%s b\n%s c\n' "$t" "$t" "$((t + 1))" |
	    socat -u - "TCP:127.0.0.1:$PORT"
	# Both batches come out while the input is silent, before SIGTERM.
	wait_until eval '[ "$(out_sum)" -eq 3 ]'
	run head -2 "$OUT"
	assert_output "$(printf '2\n1')"
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
}
