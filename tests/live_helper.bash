# live_helper.bash - running dstream on live inputs from Bats: start it in
# the background, wait (always with a deadline) for what it prints, stop it
# with SIGTERM.  Loaded by live.bats, follow.bats and dir.bats after
# test_helper.bash.  Peers are socat; everything is loopback or a Unix
# socket under $BATS_TEST_TMPDIR.

# The deadline, in seconds, of every wait.
LIVE_TIMEOUT=${LIVE_TIMEOUT:-20}

# start_dstream ARGS...: runs dstream in the background, stdout in
# $BATS_TEST_TMPDIR/out, stderr in $BATS_TEST_TMPDIR/err; its pid in DS_PID.
start_dstream() {
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
	: >"$OUT"
	: >"$ERR"
	# SIGHUP back to its default: a suite run under nohup would
	# otherwise hand dstream an ignored hangup (env execs, same pid).
	env --default-signal=HUP "$DSTREAM" "$@" >"$OUT" 2>"$ERR" &
	DS_PID=$!
}

# stop_dstream: SIGTERM, then waits for the exit; its status in DS_STATUS.
# A dstream that does not exit in time is killed and the test fails.
stop_dstream() {
	local i
	kill -TERM "$DS_PID" 2>/dev/null || true
	for ((i = 0; i < LIVE_TIMEOUT * 20; i++)); do
		kill -0 "$DS_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$DS_PID" 2>/dev/null; then
		kill -KILL "$DS_PID"
		wait "$DS_PID" || true
		fail "dstream did not exit on SIGTERM"
	fi
	DS_STATUS=0
	wait "$DS_PID" || DS_STATUS=$?
}

teardown() {
	local p
	if [ -n "${DS_PID:-}" ] && kill -0 "$DS_PID" 2>/dev/null; then
		kill -KILL "$DS_PID" 2>/dev/null || true
	fi
	for p in ${PEERS:-}; do
		kill -KILL "$p" 2>/dev/null || true
	done
}

# wait_until CMD...: runs CMD every 50 ms until it succeeds; fails the test
# (showing stderr) after LIVE_TIMEOUT seconds.
wait_until() {
	local i
	for ((i = 0; i < LIVE_TIMEOUT * 20; i++)); do
		if "$@"; then
			return 0
		fi
		sleep 0.05
	done
	echo "timed out waiting for: $*" >&2
	echo "--- stdout:" >&2
	tail -20 "$OUT" >&2
	echo "--- stderr:" >&2
	tail -20 "$ERR" >&2
	return 1
}

# The sum of the first column of the output so far (count summed over
# batches).
out_sum() {
	awk '{ s += $1 } END { print s + 0 }' "$OUT"
}

sum_is() {
	[ "$(out_sum)" -eq "$1" ]
}

sum_at_least() {
	[ "$(out_sum)" -ge "$1" ]
}

# Per-key totals over all batches of (key, n) output, sorted by key.
out_totals() {
	awk -F '\t' '{ t[$1] += $2 } END { for (k in t) print k "\t" t[k] }' \
	    "$OUT" | LC_ALL=C sort
}

out_has() {
	grep -q -- "$1" "$OUT"
}

err_has() {
	grep -q -- "$1" "$ERR"
}

# listen_port: the port dstream bound for an input given with port 0,
# from its "listening on HOST:PORT" message.
listen_port() {
	wait_until err_has 'listening on' || return 1
	sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$ERR" | head -1
}

# batches_seen N: at least N batches have been written (count prints one
# line per batch).
lines_at_least() {
	[ "$(wc -l <"$OUT")" -ge "$1" ]
}

# serve_tcp CMD: finds a free port and runs `CMD | socat` as a one-shot
# TCP server on it in the background; sets PORT and SERVER_PID.  The port
# is checked free by binding it (a busy one makes socat exit at once).
serve_tcp() {
	local cmd=$1 i
	for ((i = 0; i < 50; i++)); do
		PORT=$((20000 + RANDOM % 40000))
		serve_tcp_on "$PORT" "$cmd" && return 0
	done
	fail "no free port found"
}

# serve_tcp_on PORT CMD: as serve_tcp, on a given port.  Returns 1 when
# the port is busy.
serve_tcp_on() {
	local port=$1 cmd=$2
	bash -c "$cmd" | socat -u - "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr" \
	    2>/dev/null &
	SERVER_PID=$!
	PEERS="${PEERS:-} $SERVER_PID"
	sleep 0.2
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		wait "$SERVER_PID" 2>/dev/null || true
		# socat may also have finished already if the command was quick
		# and a client was connected: only a bind failure matters here.
		return 1
	fi
	return 0
}

# wait_pid PID: waits (bounded) for a background peer to end.
wait_pid() {
	local i
	for ((i = 0; i < LIVE_TIMEOUT * 20; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	# Still running after LIVE_TIMEOUT: killed, and the caller fails.
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		echo "wait_pid: $1 still running after ${LIVE_TIMEOUT}s: killed" >&2
		return 1
	fi
	wait "$1" 2>/dev/null || true
}

# The sum of the second column ((key, n) output summed over batches).
out_sum_col2() {
	awk -F '\t' '{ s += $2 } END { print s + 0 }' "$OUT"
}
