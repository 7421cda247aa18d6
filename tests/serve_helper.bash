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

# seen JQ: some batch the server still holds satisfies the jq filter JQ
# (batches go by faster than a poll of /api/latest).
seen() {
	curl -sN --max-time 1.5 "$URL/events?last=600" 2>/dev/null |
	    sed -n 's/^data: //p' | jq -e "select($1)" 2>/dev/null | grep -q .
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
