#!/usr/bin/env bats
# serve.bats - --serve: every route with curl, server-sent events and
# their resumption by Last-Event-ID, /metrics as Prometheus text, GET
# only, bad and huge requests, 1,000 idle connections and a viewer that
# stops reading, none of which holds the pipeline back.  The page in a
# real browser is serve_browser.bats.

load test_helper
load live_helper
load serve_helper

@test "serve: / is the page, with the command line and no address off this host" {
	start_serve -b 100ms countByValue
	run curl -sf --max-time 5 "$URL/"
	assert_success
	assert_output --partial '<canvas id="chart"'
	assert_output --partial '<script src="/chart.js"></script>'
	assert_output --partial "--serve 127.0.0.1:0 -b 100ms countByValue</code>"
	# Nothing the browser would fetch from elsewhere.
	refute_output --regexp '(src|href)="(https?:)?//'
	refute_output --regexp 'https?://'
	run curl -sf --max-time 5 -o /dev/null -w '%{content_type}' "$URL/index.html"
	assert_output 'text/html; charset=utf-8'
}

@test "serve: the command line on the page is HTML-escaped" {
	start_serve -b 100ms map '"<b>&" .. $0'
	run curl -sf --max-time 5 "$URL/"
	assert_output --partial "map '&quot;&lt;b&gt;&amp;&quot; .. \$0'</code>"
}

@test "serve: /chart.js is Debian's Chart.js, read from its installed path" {
	start_serve -b 100ms count
	curl -sf --max-time 5 -o "$BATS_TEST_TMPDIR/chart.js" "$URL/chart.js"
	run grep -l "Chart.js v" "$BATS_TEST_TMPDIR/chart.js"
	assert_success
	js=$(ls /usr/share/javascript/chart.js/chart.umd.min.js \
	    /usr/share/javascript/chart.js/chart.umd.js \
	    /usr/share/javascript/chart.js/chart.min.js 2>/dev/null | head -1)
	cmp "$js" "$BATS_TEST_TMPDIR/chart.js"
	run curl -sf --max-time 5 -o /dev/null -w '%{content_type}' "$URL/chart.js"
	assert_output --partial 'javascript'
	# No copy of it in the repository.
	run grep -rl 'Chart.js v' "$SRCDIR/src" "$SRCDIR/tests" "$SRCDIR/samples"
	refute_output --partial 'chart'
}

@test "serve: /api/latest is the latest batch as JSON, rows as -f json writes them" {
	start_serve -b 3s countByValue
	run curl -sf --max-time 5 "$URL/api/latest"
	assert_success
	feed 'apple\nbanana\napple\n'
	# A batch long enough to be read at leisure holds them.
	wait_until latest_has '.nrows == 2'
	run sh -c "curl -sf --max-time 5 '$URL/api/latest' | jq -c '[.rows[] | [.key, .value]] | sort'"
	assert_output '[["apple",2],["banana",1]]'
	run sh -c "curl -sf --max-time 5 '$URL/api/latest' | jq -r '.time == (.rows[0].time) and (.end | type) == \"number\" and .in == 3 and .out == 2'"
	assert_output true
	# The destination still gets every row.
	wait_until grep -q 'apple	2' "$OUT"
	grep -q 'banana	1' "$OUT"
}

@test "serve: /api/latest before any batch is an empty batch" {
	start_serve -b 1h count
	run curl -sf --max-time 5 "$URL/api/latest"
	assert_success
	assert_output '{"end":null,"rows":[],"nrows":0}'
}

@test "serve: unknown paths are 404, other methods than GET 405 with Allow: GET" {
	start_serve -b 100ms count
	run curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$URL/etc/passwd"
	assert_output 404
	run curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$URL/../../etc/passwd"
	assert_output 404
	run curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$URL/chart.js/../chart.js"
	refute_output 500
	for m in POST PUT DELETE PATCH OPTIONS HEAD; do
		run curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X "$m" "$URL/"
		assert_output 405
	done
	run curl -s --max-time 5 -D - -o /dev/null -X POST --data 'x=1' "$URL/api/latest"
	assert_output --partial '405'
	assert_output --partial 'Allow: GET'
}

@test "serve: /metrics is Prometheus text with the run's and each input's counters" {
	start_serve -b 100ms -j --max-line 20 count
	feed '{"a":1}\n{"a":2}\nnot json\n"0123456789012345678901"\n'
	wait_until sh -c "curl -sf --max-time 5 '$URL/metrics' | grep -q '^dstream_records_in_total 3'"
	run sh -c "curl -sf --max-time 5 '$URL/metrics' | python3 '$SRCDIR/tests/serve_client.py' prom 0"
	assert_success
	assert_line 'ok'
	assert_line 'dstream_batch_processing_seconds histogram'
	assert_line 'dstream_keys_held gauge'
	run curl -sf --max-time 5 "$URL/metrics"
	assert_line 'dstream_skipped_records_total 1'
	assert_line 'dstream_long_lines_total 1'
	assert_line 'dstream_input_records_total{input="stdin"} 3'
	assert_line --regexp '^dstream_records_out_total [1-9]'
	assert_line --regexp '^dstream_batch_processing_seconds_count [1-9]'
	assert_line --regexp '^dstream_lag_seconds [0-9.]+$'
	assert_line --regexp '^dstream_resident_memory_bytes [1-9][0-9]{5,}$'
	assert_line --regexp '^dstream_last_batch_end_seconds [1-9][0-9]{9}\.[0-9]{3}$'
	run curl -sf --max-time 5 -o /dev/null -w '%{content_type}' "$URL/metrics"
	assert_output 'text/plain; version=0.0.4; charset=utf-8'
}

@test "serve: /metrics names several inputs apart, quotes in names escaped" {
	FIFO=$BATS_TEST_TMPDIR/in
	mkfifo "$FIFO" "$BATS_TEST_TMPDIR/b\"q"
	start_fifo "$FIFO" --serve 127.0.0.1:0 -b 100ms -i - -i "$BATS_TEST_TMPDIR/b\"q" count
	exec 8>"$BATS_TEST_TMPDIR/b\"q"
	wait_until grep -q 'dashboard at http://' "$ERR"
	PORT=$(sed -n 's|.*dashboard at http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$ERR")
	URL=http://127.0.0.1:$PORT
	feed 'x\ny\n'
	printf 'z\n' >&8
	# Processing time reads finite inputs one after the other.
	end_input
	wait_until sh -c "curl -sf --max-time 5 '$URL/metrics' | grep -q '^dstream_records_in_total 3'"
	run curl -sf --max-time 5 "$URL/metrics"
	assert_line 'dstream_input_records_total{input="stdin"} 2'
	assert_line "dstream_input_records_total{input=\"$BATS_TEST_TMPDIR/b\\\"q\"} 1"
	exec 8>&-
}

# prom NAME LABELS: the value of the sample NAME{LABELS} (LABELS as
# written, e.g. input="a") of /metrics, read by the Prometheus parser.
prom() {
	curl -sf --max-time 5 "$URL/metrics" |
	    python3 "$SRCDIR/tests/serve_client.py" prom 0 |
	    awk -v s="sample $1{$2}" 'index($0, s " ") == 1 { print $NF }'
}

@test "serve: /metrics per input in event time: lag, idle time, late and skipped records" {
	FIFO=$BATS_TEST_TMPDIR/in
	mkfifo "$FIFO" "$BATS_TEST_TMPDIR/b"
	start_fifo "$FIFO" --serve 127.0.0.1:0 -e '$1' -w 0s -b 1s \
	    -i - -i "$BATS_TEST_TMPDIR/b" count
	exec 8>"$BATS_TEST_TMPDIR/b"
	wait_until grep -q 'dashboard at http://' "$ERR"
	PORT=$(sed -n 's|.*dashboard at http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$ERR")
	URL=http://127.0.0.1:$PORT
	now=$(date +%s)
	# stdin is 5 s behind the wall clock, b an hour.
	feed '%s x\n' "$((now - 5))"
	printf '%s x\n%s x\n' "$((now - 3610))" "$((now - 3600))" >&8
	wait_until sh -c "curl -sf --max-time 5 '$URL/metrics' | grep -q '^dstream_records_in_total 3'"
	# Once the hour-old batches are out, a record two hours old is late
	# (stdin's); a record without a time is skipped (b's).
	wait_until sh -c "curl -sf --max-time 5 '$URL/api/latest' | jq -e '.end != null' >/dev/null"
	feed '%s late\n' "$((now - 7200))"
	printf 'notatime x\n' >&8
	wait_until sh -c "curl -sf --max-time 5 '$URL/metrics' | grep -q '^dstream_skipped_records_total 1'"
	wait_until sh -c "curl -sf --max-time 5 '$URL/metrics' | grep -q '^dstream_late_records_total 1'"
	run sh -c "curl -sf --max-time 5 '$URL/metrics' | python3 '$SRCDIR/tests/serve_client.py' prom 0"
	assert_success
	assert_line ok
	assert_line 'dstream_input_lag_seconds gauge'
	assert_line 'dstream_input_idle_seconds gauge'
	[ "$(prom dstream_input_records_total 'input="stdin"')" = 2 ]
	[ "$(prom dstream_input_records_total "input=\"$BATS_TEST_TMPDIR/b\"")" = 3 ]
	[ "$(prom dstream_input_late_records_total 'input="stdin"')" = 1 ]
	[ "$(prom dstream_input_late_records_total "input=\"$BATS_TEST_TMPDIR/b\"")" = 0 ]
	[ "$(prom dstream_input_skipped_records_total 'input="stdin"')" = 0 ]
	[ "$(prom dstream_input_skipped_records_total "input=\"$BATS_TEST_TMPDIR/b\"")" = 1 ]
	# Lag: the wall clock minus the newest time of the input (the late
	# record does not lower it): about 5 s and an hour, plus the test's
	# own time.
	run awk -v v="$(prom dstream_input_lag_seconds 'input="stdin"')" 'BEGIN { print (v >= 5 && v < 5 + 600) ? "ok" : v }'
	assert_output ok
	run awk -v v="$(prom dstream_input_lag_seconds "input=\"$BATS_TEST_TMPDIR/b\"")" 'BEGIN { print (v >= 3600 && v < 3600 + 600) ? "ok" : v }'
	assert_output ok
	run awk -v v="$(prom dstream_input_idle_seconds "input=\"$BATS_TEST_TMPDIR/b\"")" 'BEGIN { print (v >= 0 && v < 600) ? "ok" : v }'
	assert_output ok
	exec 8>&-
}

@test "serve: /metrics per input in processing time: idle time, no lag" {
	FIFO=$BATS_TEST_TMPDIR/in
	mkfifo "$FIFO" "$BATS_TEST_TMPDIR/quiet"
	start_fifo "$FIFO" --serve 127.0.0.1:0 -b 100ms \
	    -i - -i "$BATS_TEST_TMPDIR/quiet" count
	exec 8>"$BATS_TEST_TMPDIR/quiet"
	wait_until grep -q 'dashboard at http://' "$ERR"
	PORT=$(sed -n 's|.*dashboard at http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$ERR")
	URL=http://127.0.0.1:$PORT
	feed 'x\ny\n'
	wait_until sh -c "curl -sf --max-time 5 '$URL/metrics' | grep -q '^dstream_records_in_total 2'"
	run sh -c "curl -sf --max-time 5 '$URL/metrics' | python3 '$SRCDIR/tests/serve_client.py' prom 0"
	assert_success
	assert_line ok
	# Records have no time of their own: no lag sample.
	refute_line --partial 'sample dstream_input_lag_seconds'
	# The quiet input has been idle since the start, the busy one only
	# since its last record, which came after.
	busy=$(prom dstream_input_idle_seconds 'input="stdin"')
	quiet=$(prom dstream_input_idle_seconds "input=\"$BATS_TEST_TMPDIR/quiet\"")
	[ -n "$busy" ] && [ -n "$quiet" ]
	run awk -v b="$busy" -v q="$quiet" 'BEGIN { print (b >= 0 && q >= b) ? "ok" : b " " q }'
	assert_output ok
	exec 8>&-
}

# events FILE: the ids and ends of the events in FILE, "ID END" a line.
events() {
	awk '/^id: /{id=$2} /^data: /{sub(/^data: /,""); print id " " $0}' "$1" |
	    while read -r id data; do
		printf '%s %s\n' "$id" "$(printf '%s' "$data" | jq -r .end)"
	done
}

@test "serve: /events sends one event per batch, its id the batch end" {
	start_serve -b 100ms countByValue
	feed 'a\n'
	seen '.nrows == 1'
	sse 6 "$URL/events?last=5" >"$BATS_TEST_TMPDIR/ev"
	run head -1 "$BATS_TEST_TMPDIR/ev"
	assert_output 'retry: 2000'
	events "$BATS_TEST_TMPDIR/ev" >"$BATS_TEST_TMPDIR/ids"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/ids")" -ge 6 ]
	# id == data.end, ends increasing by one batch (100 ms).
	run awk '$1 != $2 { print "id " $1 " end " $2 } NR > 1 && $1 != prev + 100 { print "gap " prev " " $1 } { prev = $1 }' "$BATS_TEST_TMPDIR/ids"
	assert_output ''
	run sh -c "curl -sN -D - --max-time $LIVE_TIMEOUT '$URL/events' 2>/dev/null | sed -n '/^\r*\$/q; s/\r\$//; s/^[Cc]ontent-[Tt]ype: //p'"
	assert_output 'text/event-stream'
}

@test "serve: /events resumes after Last-Event-ID; a malformed one is 400" {
	# Every read waits for the events it needs (sse), not for a time:
	# on a loaded host curl may take seconds to start.
	start_serve -b 100ms countByValue
	feed 'a\nb\n'
	seen '.nrows == 2'
	sse 10 "$URL/events?last=20" >"$BATS_TEST_TMPDIR/ev"
	events "$BATS_TEST_TMPDIR/ev" >"$BATS_TEST_TMPDIR/ids"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/ids")" -ge 10 ]
	first=$(sed -n 3p "$BATS_TEST_TMPDIR/ids" | cut -d' ' -f1)
	want=$(sed -n 4p "$BATS_TEST_TMPDIR/ids" | cut -d' ' -f1)
	sse 1 -H "Last-Event-ID: $first" "$URL/events" >"$BATS_TEST_TMPDIR/ev2"
	events "$BATS_TEST_TMPDIR/ev2" >"$BATS_TEST_TMPDIR/ids2"
	run head -1 "$BATS_TEST_TMPDIR/ids2"
	assert_output "$want $want"
	# Resumption wins over ?last= (a browser reconnects to the same URL).
	sse 1 -H "Last-Event-ID: $first" "$URL/events?last=1" >"$BATS_TEST_TMPDIR/ev3"
	run sh -c "grep -m1 '^id: ' '$BATS_TEST_TMPDIR/ev3'"
	assert_output "id: $want"
	# A malformed id is refused at once (the reply ends: no time bound
	# but the wait's).
	for bad in 12abc 99999999999999999999 '1 2' 0x10 1.5; do
		run curl -s --max-time "$LIVE_TIMEOUT" -o /dev/null -w '%{http_code}' -H "Last-Event-ID: $bad" "$URL/events"
		assert_output 400
	done
	# An empty one (curl's "NAME;") is no id: the stream starts.
	run sh -c "curl -sN -D - --max-time $LIVE_TIMEOUT -H 'Last-Event-ID;' '$URL/events' 2>/dev/null | head -1"
	assert_output --partial 'HTTP/1.1 200'
	run curl -s --max-time "$LIVE_TIMEOUT" -o /dev/null -w '%{http_code}' "$URL/events?last=x"
	assert_output 400
	run curl -s --max-time "$LIVE_TIMEOUT" -o /dev/null -w '%{http_code}' "$URL/events?last=601"
	assert_output 400
}

@test "serve: a burst of batches (a backlog read at once) reaches a viewer whole, in order" {
	# 300 one-minute batches of event time end within milliseconds: they
	# go out together, yet a viewer that keeps up gets every one, and
	# the last ones too when the input ends.
	start_serve -e '$1' -b 1m count
	# (curl must not hold the FIFO open: the input would not end.)
	curl -sN --max-time 30 "$URL/events" >"$BATS_TEST_TMPDIR/ev" 7>&- &
	PEERS=$!
	wait_until grep -q '^retry:' "$BATS_TEST_TMPDIR/ev"
	awk 'BEGIN { for (i = 0; i < 300; i++) print 1700000040 + i * 60, "x" }' >&7
	end_input
	wait "$PEERS" || true
	PEERS=
	DS_STATUS=0
	wait "$DS_PID" || DS_STATUS=$?
	[ "$DS_STATUS" -eq 0 ]
	[ "$(wc -l <"$OUT")" -eq 300 ]
	refute grep -q 'events skipped' "$BATS_TEST_TMPDIR/ev"
	events "$BATS_TEST_TMPDIR/ev" >"$BATS_TEST_TMPDIR/ids"
	run awk '$1 != $2 { print "id " $1 " end " $2 } NR > 1 && $1 != prev + 60000 { print "gap " prev " " $1 } { prev = $1 } END { print NR }' "$BATS_TEST_TMPDIR/ids"
	assert_output 300
}

@test "serve: a Last-Event-ID older than the events held resumes at the oldest" {
	start_serve -b 100ms count
	wait_until latest_has '.end != null'
	sse 2 -H "Last-Event-ID: 1" "$URL/events" >"$BATS_TEST_TMPDIR/ev"
	events "$BATS_TEST_TMPDIR/ev" >"$BATS_TEST_TMPDIR/ids"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/ids")" -ge 2 ]
}

@test "serve: many viewers at once get the same events; disconnecting frees them" {
	start_serve -b 100ms countByValue
	feed 'k\n'
	seen '.nrows == 1'
	# Each viewer stays until it has the batch fed once all 20 are
	# there (however slowly they start), then leaves.
	for i in $(seq 1 20); do
		curl -sN --max-time "$LIVE_TIMEOUT" "$URL/events" 2>/dev/null 7>&- |
		    awk '{ print } /"nrows":2/ { exit }' >"$BATS_TEST_TMPDIR/v$i" &
		PEERS="$PEERS $!"
	done
	wait_until sh -c "curl -sf --max-time 5 '$URL/metrics' | grep -q '^dstream_dashboard_viewers 20$'"
	feed 'x\ny\n'
	for p in $PEERS; do
		wait "$p" || true
	done
	PEERS=
	for i in $(seq 1 20); do
		grep -q '"nrows":2' "$BATS_TEST_TMPDIR/v$i"
	done
	# Every viewer that left is forgotten (noticed at the next batch).
	wait_until sh -c "curl -sf --max-time 5 '$URL/metrics' | grep -q '^dstream_dashboard_viewers 0$'"
}

@test "serve: huge headers and too many headers are refused; the pipeline goes on" {
	start_serve -b 100ms countByValue
	run client huge "$PORT" 100000
	assert_output --regexp '^(413|431|400|closed)$'
	run client huge "$PORT" 10000000
	assert_output --regexp '^(413|431|400|closed)$'
	run client headers "$PORT" 5000
	assert_output --regexp '^(413|431|400|closed)$'
	feed 'after\n'
	wait_until grep -q 'after	1' "$OUT"
	seen '.rows[0].key == "after"'
	run curl -sf --max-time 5 -o /dev/null -w '%{http_code}' "$URL/api/latest"
	assert_output 200
}

@test "serve: malformed requests get an error or are closed; the pipeline goes on" {
	start_serve -b 100ms countByValue
	run client malformed "$PORT"
	assert_success
	[ "${#lines[@]}" -eq 12 ]
	# One line per request of serve_client.py's MALFORMED, in order.
	[[ ${lines[0]} =~ ^(400|closed)$ ]]	# not HTTP
	[[ ${lines[1]} =~ ^(400|closed)$ ]]	# no path, no version
	[[ ${lines[2]} =~ ^(505|400)$ ]]	# HTTP/9.9
	[[ ${lines[3]} =~ ^(400|closed)$ ]]	# a header line without a colon
	[[ ${lines[4]} =~ ^(200|400|404|closed)$ ]]	# NUL in the path: cut there
	[[ ${lines[5]} =~ ^(400|closed)$ ]]	# a TLS hello
	[[ ${lines[6]} =~ ^(400|404)$ ]]	# bad percent escapes
	[ "${lines[7]}" = 400 ]			# Last-Event-ID: 12abc
	[ "${lines[8]}" = 400 ]			# ?last= too large
	[[ ${lines[9]} =~ ^(400|closed)$ ]]	# Content-Length: -5
	[[ ${lines[10]} =~ ^(200|400)$ ]]	# a GET's body is not read
	[[ ${lines[11]} =~ ^(400|closed)$ ]]	# cut short
	feed 'still\n'
	wait_until grep -q 'still	1' "$OUT"
	run curl -sf --max-time 5 -o /dev/null -w '%{http_code}' "$URL/metrics"
	assert_output 200
	kill -0 "$DS_PID"
}

@test "serve: 1,000 idle connections do not hold the pipeline or other viewers" {
	start_serve -b 100ms countByValue
	client idle "$PORT" 1000 4 >"$BATS_TEST_TMPDIR/idle" &
	PEERS=$!
	wait_until grep -q 'open 1000' "$BATS_TEST_TMPDIR/idle"
	for i in $(seq 1 50); do feed 'k%d\n' "$i"; done
	wait_until grep -q 'k50	1' "$OUT"
	run curl -sf --max-time 5 "$URL/api/latest"
	assert_success
	run curl -sf --max-time 5 -o /dev/null -w '%{http_code}' "$URL/"
	assert_output 200
	wait_until grep -q '^alive' "$BATS_TEST_TMPDIR/idle"
	feed 'last\n'
	wait_until grep -q 'last	1' "$OUT"
}

@test "serve: a viewer that stops reading does not slow the pipeline; it skips to the latest" {
	start_serve -b 50ms countByValue
	client slow "$PORT" "$BATS_TEST_TMPDIR/go" >"$BATS_TEST_TMPDIR/slow" &
	PEERS=$!
	wait_until grep -q connected "$BATS_TEST_TMPDIR/slow"
	# 3,000 keys a batch for 100 batches: some 15 MB of events, far more
	# than the socket buffers of a viewer that does not read.
	python3 -c '
import sys, time
for b in range(100):
    sys.stdout.write("".join("key%d\n" % i for i in range(3000)))
    sys.stdout.flush()
    time.sleep(0.03)
print("done")' >&7
	wait_until grep -q '^done	1$' "$OUT"
	# Every record reached the destination.
	run awk -F'\t' '$1 ~ /^key/ { n += $2 } END { print n }' "$OUT"
	assert_output 300000
	# Another 80 batches (4 s) on, the viewer is far more than 64 behind
	# however few batches the keys took.
	done_end=$(curl -sf --max-time 5 "$URL/api/latest" | jq .end)
	wait_until latest_has ".end >= $done_end + 4000"
	touch "$BATS_TEST_TMPDIR/go"
	wait_until grep -q '^bytes' "$BATS_TEST_TMPDIR/slow"
	run grep -c "events skipped" "$BATS_TEST_TMPDIR/slow"
	assert_output --regexp '^[1-9]'
	run sh -c "curl -sf --max-time 5 '$URL/metrics' | grep '^dstream_dashboard_dropped_events_total'"
	assert_output --regexp ' [1-9][0-9]*$'
}

@test "serve: listens on 127.0.0.1 unless told; bad addresses are refused" {
	start_serve -b 100ms count
	run grep 'dashboard at http://127.0.0.1:' "$ERR"
	assert_success
	if command -v ss >/dev/null; then
		run ss -ltnH "sport = :$PORT"
		assert_output --partial "127.0.0.1:$PORT"
	fi
	# The port in use.
	run timeout 10 "$DSTREAM" --serve "127.0.0.1:$PORT" count </dev/null
	assert_failure 1
	assert_output --partial "--serve 127.0.0.1:$PORT: cannot listen: Address already in use"
	run timeout 10 "$DSTREAM" --serve "$PORT" count </dev/null
	assert_failure 1
	assert_output --partial "cannot listen"
	for bad in x 70000 -1 'host:' ':' '[::1]:x'; do
		run timeout 10 "$DSTREAM" --serve "$bad" count </dev/null
		assert_failure 1
		assert_output --partial "--serve $bad:"
	done
	run timeout 10 "$DSTREAM" --serve no.such.host.invalid:0 count </dev/null
	assert_failure 1
	assert_output --partial '--serve no.such.host.invalid:0:'
}

@test "serve: [::1]:PORT listens on IPv6 loopback" {
	python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null ||
	    skip "no IPv6 loopback here"
	FIFO=$BATS_TEST_TMPDIR/in
	mkfifo "$FIFO"
	start_fifo "$FIFO" --serve '[::1]:0' -b 100ms count
	wait_until grep -q 'dashboard at http://\[::1\]:' "$ERR"
	port=$(sed -n 's|.*dashboard at http://\[::1\]:\([0-9]*\)/.*|\1|p' "$ERR")
	run curl -sf --max-time 5 -g "http://[::1]:$port/api/latest"
	assert_success
}

@test "serve: windows, print and unkeyed results are events like the rest" {
	start_serve -b 100ms countByValueAndWindow 300ms 100ms
	feed 'w\nw\n'
	seen '.rows[0].key == "w" and .rows[0].value == 2'
	stop_dstream
	start_serve -b 100ms print 2
	feed 'p1\np2\np3\n'
	seen '.nrows == 2 and .cut and .rows[0].value == "p1"'
	stop_dstream
	start_serve -b 100ms count
	feed 'a\nb\n'
	seen '.nrows == 1 and .rows[0].value == 2 and (.rows[0] | has("key") | not)'
}

@test "serve: the input ending ends the run and the server, status 0" {
	start_serve -b 100ms -f json count
	curl -sN --max-time 20 "$URL/events" >"$BATS_TEST_TMPDIR/ev" 7>&- &
	PEERS=$!
	wait_until grep -q '^id:' "$BATS_TEST_TMPDIR/ev"
	end_input
	wait_until sh -c "! kill -0 $DS_PID 2>/dev/null"
	DS_STATUS=0
	wait "$DS_PID" || DS_STATUS=$?
	[ "$DS_STATUS" -eq 0 ]
	# The viewer's stream was ended by its last chunk (curl says 18 for
	# a chunked stream cut short, 28 for one left hanging), and it had
	# the last batch.
	CURL_STATUS=0
	wait "$PEERS" || CURL_STATUS=$?
	PEERS=
	[ "$CURL_STATUS" -eq 0 ]
	want=$(tail -1 "$OUT" | jq -r .time)
	run sh -c "sed -n 's/^data: //p' '$BATS_TEST_TMPDIR/ev' | tail -1 | jq -r .time"
	assert_output "$want"
}
