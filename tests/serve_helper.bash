# serve_helper.bash - a dstream with --serve for Bats: its stdin a FIFO
# the test writes to (fd 7, feed), the port it listens on read from its
# stderr (--serve 127.0.0.1:0 takes a free port).  Loaded after
# test_helper.bash and live_helper.bash.

# start_serve ARGS...: dstream --serve 127.0.0.1:0 ARGS... reading the
# FIFO; sets PORT and URL once it listens.
start_serve() {
	FIFO=$BATS_TEST_TMPDIR/in
	rm -f "$FIFO"
	mkfifo "$FIFO"
	start_fifo "$FIFO" --serve 127.0.0.1:0 "$@"
	wait_until grep -q 'dashboard at http://' "$ERR"
	PORT=$(sed -n 's|.*dashboard at http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$ERR")
	URL=http://127.0.0.1:$PORT
	[ -n "$PORT" ]
}

# start_fifo FIFO ARGS...: dstream ARGS... in the background reading
# FIFO, which the test holds open for writing on fd 7 (the FIFO is
# opened in the background: opening it blocks until both ends are).
start_fifo() {
	local fifo=$1
	shift
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
	: >"$OUT"
	: >"$ERR"
	"$DSTREAM" "$@" <"$fifo" >"$OUT" 2>"$ERR" &
	DS_PID=$!
	exec 7>"$fifo"
}

# feed TEXT: writes TEXT (printf's format, with its arguments) to dstream.
feed() {
	# shellcheck disable=SC2059
	printf "$@" >&7
}

# end_input: closes dstream's input; it ends after its last batch.
end_input() {
	exec 7>&-
}

# latest_has JQ: the latest batch satisfies the jq filter JQ.
latest_has() {
	curl -sf --max-time 5 "$URL/api/latest" | jq -e "$1" >/dev/null
}

# seen JQ: waits until a batch satisfies the jq filter JQ, among those
# the server still holds and those that end while it waits (batches go by
# faster than a poll of /api/latest): one stream of events, read in the
# background, looked at until one does (at most LIVE_TIMEOUT seconds,
# however slow the host: no read is cut short by a time of its own).
seen() {
	local f=$BATS_TEST_TMPDIR/seen.$RANDOM st=0 pid
	curl -sN --max-time "$LIVE_TIMEOUT" "$URL/events?last=600" >"$f" \
	    2>/dev/null 7>&- &
	pid=$!
	wait_until seen_in "$f" "$1" || st=1
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$f"
	return $st
}

# seen_in FILE JQ: an event in FILE (an SSE stream) satisfies JQ.
seen_in() {
	sed -n 's/^data: //p' "$1" |
	    jq -n -e "first(inputs | select($2)) | true" >/dev/null 2>&1
}

# sse N CURL-ARGS...: the stream curl reads from CURL-ARGS (a URL on
# /events and its options) up to its Nth event's data line, then stops:
# however slow the host, it waits for the events, not for a time (at
# most LIVE_TIMEOUT seconds, the bound of every wait here).
sse() {
	local n=$1
	shift
	curl -sN --max-time "$LIVE_TIMEOUT" "$@" 2>/dev/null |
	    awk -v n="$n" '{ print } /^data: / && ++k >= n { exit }'
}

# the python3 raw clients
client() {
	python3 "$SRCDIR/tests/serve_client.py" "$@"
}

teardown() {
	local p
	exec 7>&- 2>/dev/null || true
	if [ -n "${DS_PID:-}" ] && kill -0 "$DS_PID" 2>/dev/null; then
		kill -KILL "$DS_PID" 2>/dev/null || true
		wait "$DS_PID" 2>/dev/null || true
	fi
	for p in ${PEERS:-}; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
