#!/usr/bin/env bats
# serve_browser.bats - the dashboard's page in a real browser: headless
# Chromium (Debian's chromium), with every address but this host's made
# unreachable, loads the page while a pipeline runs; the test reads the
# DOM it built (the chart's keys and points, the table's rows) and takes
# a screenshot in the test's temporary directory (copied to
# $DSTREAM_SCREENSHOT when set, for the README).  The page's #last=K
# starts K batches back and #stop=N stops listening after N events, so
# the browser's virtual time can run out and the DOM be dumped.

load test_helper
load live_helper
load serve_helper

# browser ARGS...: headless Chromium, no network beyond loopback.
browser() {
	timeout 90 chromium --headless --no-sandbox --disable-gpu \
	    --no-first-run --disable-extensions --disable-sync \
	    --disable-background-networking --disable-component-update \
	    --proxy-server=http://127.0.0.1:9 --proxy-bypass-list='127.0.0.1;localhost' \
	    --host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE 127.0.0.1' \
	    --user-data-dir="$BATS_TEST_TMPDIR/chromium" \
	    --virtual-time-budget=5000 "$@" 2>>"$BATS_TEST_TMPDIR/chromium.log"
}

# dom URL: the page's DOM once it stopped listening.
dom() {
	browser --dump-dom "$1" >"$BATS_TEST_TMPDIR/dom.html"
}

# attr NAME: the chart canvas's attribute NAME, unescaped.
attr() {
	sed -n "s/.*<canvas id=\"chart\"[^>]* $1=\"\\([^\"]*\\)\".*/\\1/p" \
	    "$BATS_TEST_TMPDIR/dom.html" | sed 's/&quot;/"/g'
}

# cells: the table's cells, a row a line, tab-separated.
cells() {
	sed -n 's/.*<tbody>\(.*\)<\/tbody>.*/\1/p' "$BATS_TEST_TMPDIR/dom.html" |
	    sed -e 's/<tr>//g' -e 's/<\/tr>/\n/g' -e 's/<td[^>]*>//g' \
	    -e 's/<\/td>/\t/g' | sed -e 's/\t$//' -e '/^$/d'
}

setup() {
	command -v chromium >/dev/null || fail "chromium is not installed (tools/install-deps)"
}

@test "browser: the chart draws a line per key and the table shows the latest batch" {
	start_serve -b 100ms countByValueAndWindow 30s 100ms
	feed 'apple\napple\napple\napple\napple\nbanana\nbanana\nbanana\ncherry\n'
	wait_until sh -c "curl -sN --max-time 0.5 '$URL/events?last=600' | grep -c '\"nrows\":3' | grep -qv '^[0-5]$'"
	dom "$URL/#last=5&stop=5"
	run grep -c 'data-batches="5"' "$BATS_TEST_TMPDIR/dom.html"
	assert_output 1
	run attr data-keys
	assert_output '["apple","banana","cherry"]'
	run attr data-points
	assert_output 15
	run cells
	assert_output "$(printf 'apple\t5\nbanana\t3\ncherry\t1')"
	grep -q 'stopped after 5 batches' "$BATS_TEST_TMPDIR/dom.html"
	grep -q '<th>key</th><th>value</th>' "$BATS_TEST_TMPDIR/dom.html"
	# Chart.js drew on the canvas (it sizes it), from /chart.js.
	grep -q '<canvas id="chart"[^>]* width="[1-9]' "$BATS_TEST_TMPDIR/dom.html"
	grep -q 'countByValueAndWindow 30s 100ms</code>' "$BATS_TEST_TMPDIR/dom.html"
	# The health line: records/s and the batch's figures.
	grep -q '<b id="h-lag">[0-9.]* m\?s</b>' "$BATS_TEST_TMPDIR/dom.html"
	grep -q '<b id="h-out">3</b>' "$BATS_TEST_TMPDIR/dom.html"

	browser --window-size=1280,800 --screenshot="$BATS_TEST_TMPDIR/page.png" "$URL/#last=60&stop=60"
	[ "$(head -c 8 "$BATS_TEST_TMPDIR/page.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
	[ "$(wc -c <"$BATS_TEST_TMPDIR/page.png")" -gt 20000 ]
	if [ -n "${DSTREAM_SCREENSHOT:-}" ]; then
		cp "$BATS_TEST_TMPDIR/page.png" "$DSTREAM_SCREENSHOT"
	fi
}

@test "browser: one number per batch is charted as value" {
	start_serve -b 100ms count
	feed 'a\nb\nc\n'
	seen '.rows[0].value == 3'
	dom "$URL/#last=20&stop=20"
	run attr data-keys
	assert_output '["value"]'
	grep -q '<h2 id="chart-title">Value over time</h2>' "$BATS_TEST_TMPDIR/dom.html"
	grep -q '<th>value</th></tr>' "$BATS_TEST_TMPDIR/dom.html"
}

@test "browser: print's records are a table, the chart the rows per batch" {
	start_serve -b 100ms print 5
	feed 'first line\nsecond line\n<b>not bold</b>\n'
	seen '.nrows == 3'
	# The batch that has them is the one shown: the page starts after
	# the batch before it (its prev; 0 when it is the run's first) and
	# stops there.
	# (The stream is read until that batch comes, however slow the host.)
	local id
	id=$(curl -sN --max-time "$LIVE_TIMEOUT" "$URL/events?last=600" 2>/dev/null |
	    grep -m1 '^data: .*"nrows":3' | sed 's/^data: //' | jq '.prev // 0')
	[ -n "$id" ]
	dom "$URL/#after=$id&stop=1"
	run cells
	assert_output "$(printf '&lt;b&gt;not bold&lt;/b&gt;\nfirst line\nsecond line')"
	run attr data-keys
	assert_output '["rows"]'
}

@test "browser: 1,000 keys: the 10 largest are charted, 200 rows shown" {
	start_serve -b 100ms countByValueAndWindow 30s 100ms
	python3 -c '
for i in range(1000):
    print(("k%d\n" % i) * (1 + max(0, i - 989)), end="")' >&7
	seen '.nrows == 1000'
	sleep 0.5
	dom "$URL/#last=3&stop=3"
	run attr data-keys
	assert_output '["k999","k998","k997","k996","k995","k994","k993","k992","k991","k990"]'
	[ "$(cells | wc -l)" -eq 200 ]
	grep -q '\.\.\. and 800 more' "$BATS_TEST_TMPDIR/dom.html"
	grep -q 'Top 10 of 1000 keys' "$BATS_TEST_TMPDIR/dom.html"
}

@test "browser: the seeds' dashboard, purchased / shipped / delivered per 5 minutes" {
	FIFO=$BATS_TEST_TMPDIR/in
	mkfifo "$FIFO"
	start_fifo "$FIFO" --serve 127.0.0.1:0 -j -e .time -b 1m map '.event' then countByValueAndWindow 5m 1m
	wait_until grep -q 'dashboard at http://' "$ERR"
	PORT=$(sed -n 's|.*dashboard at http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$ERR")
	URL=http://127.0.0.1:$PORT
	cat "$SRCDIR/samples/events.jsonl" >&7
	# The ten minutes' windows: a record of the next minute closes the
	# last (rather than a minute of silence, --idle's default); it stays
	# in the minute still open.
	printf '{"time":"2025-11-21T10:10:00Z","event":"purchased"}\n' >&7
	seen '.time == "2025-11-21T10:10:00Z"'
	# The batches held, up to that one (the stream read until it comes).
	n=$(curl -sN --max-time "$LIVE_TIMEOUT" "$URL/events?last=600" 2>/dev/null |
	    awk '/^id: / { n++ } /^data: .*"time":"2025-11-21T10:10:00Z"/ { print n; exit }')
	[ "$n" -ge 10 ]
	dom "$URL/#last=$n&stop=$n"
	keys=$(attr data-keys | jq -c sort)
	[ "$keys" = '["delivered","purchased","shipped"]' ]
	# The table is the latest window's, as stdout has it.
	run cells
	assert_output "$(tail -3 "$OUT" | sort -t"$(printf '\t')" -k2,2nr -k1,1)"
	browser --window-size=1280,760 --screenshot="$BATS_TEST_TMPDIR/dashboard.png" "$URL/#last=$n&stop=$n"
	[ "$(wc -c <"$BATS_TEST_TMPDIR/dashboard.png")" -gt 20000 ]
	if [ -n "${DSTREAM_SCREENSHOT:-}" ]; then
		cp "$BATS_TEST_TMPDIR/dashboard.png" "$DSTREAM_SCREENSHOT"
	fi
}
