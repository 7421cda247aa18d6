#!/usr/bin/env bats
# time.bats - reading and writing times in expressions: time() with its
# auto-detected forms, strptime(), strftime(), now(), and clf() for web
# server logs.  DESIGN sections 3 and 4.

bats_require_minimum_version 1.5.0
load test_helper

@test "time(): RFC 3339 and ISO 8601 forms, offsets and fractions" {
	run dstream map 'time($0)' <<'EOF'
2025-11-21T00:00:00Z
2025-11-21 00:00:00
2025-11-21
2025-11-21T00:00:00.250Z
2025-11-21T01:00:00+01:00
2025-11-21T01:00:00+0100
2025-11-20T19:00:00-05:00
2025-11-21 00:00:00,5
EOF
	assert_success
	assert_output $'1763683200\n1763683200\n1763683200\n1763683200.25\n1763683200\n1763683200\n1763683200\n1763683200.5'
}

@test "time(): Apache/nginx times, with or without brackets" {
	run dstream map 'time($0)' <<'EOF'
[21/Nov/2025:00:00:00 +0000]
21/Nov/2025:00:00:00 +0000
21/Nov/2025:01:30:00 +0130
EOF
	assert_success
	assert_output $'1763683200\n1763683200\n1763683200'
}

@test "time(): syslog times take the current year, or the last when ahead" {
	run dstream map 'strftime(time($0), "%m-%d %T")' <<'EOF'
Nov 21 00:00:00
Nov  1 12:34:56
EOF
	assert_success
	assert_output $'11-21 00:00:00\n11-01 12:34:56'
	# Never more than a day in the future.
	run dstream map 'time($0) <= now() + 86400' <<'EOF'
Jan  1 00:00:00
Dec 31 23:59:59
EOF
	assert_output $'true\ntrue'
}

@test "time(): syslog with a year, ctime and RFC 2822 dates" {
	run dstream map 'time($0)' <<'EOF'
Nov 21 00:00:00 2025
Fri Nov 21 00:00:00 2025
Fri, 21 Nov 2025 00:00:00 GMT
21 Nov 2025 01:00:00 +0100
EOF
	assert_success
	assert_output $'1763683200\n1763683200\n1763683200\n1763683200'
}

@test "time(): epoch seconds as text or number; 13 digits are milliseconds" {
	run dstream map 'time($0)' <<'EOF'
1763683200
1763683200.75
1763683200123
-86400
EOF
	assert_success
	assert_output $'1763683200\n1763683200.75\n1763683200.123\n-86400'
	run dstream map 'time(num($0) + 1)' <<<'1763683200'
	assert_output '1763683201'
}

@test "time(): leap days; invalid dates and garbage are null" {
	run dstream map 'time($0) ?? "null"' <<'EOF'
2024-02-29
2025-02-29
2025-02-30
2025-11-21T24:00:00
21/Foo/2025:00:00:00 +0000
yesterday
2025-11-21T00:00:00Z trailing

EOF
	assert_success
	assert_output $'1709164800\nnull\nnull\nnull\nnull\nnull\nnull\nnull'
}

@test "strptime(): formats with names, offsets, fractions and AM/PM" {
	run dstream map 'strptime($0, "%d/%b/%Y:%H:%M:%S %z")' <<<'21/Nov/2025:01:00:00 +0100'
	assert_output '1763683200'
	run dstream map 'strptime($0, "%A, %B %e %Y %I:%M %p")' <<<'Friday, November 21 2025 12:30 PM'
	assert_output '1763728200'
	run dstream map 'strptime($0, "%Y-%m-%dT%H:%M:%S.%f%z")' <<<'2025-11-21T00:00:00.125Z'
	assert_output '1763683200.125'
	run dstream map 'strptime($0, "%s")' <<<'1763683200'
	assert_output '1763683200'
	run dstream map 'strptime($0, "%Y %j")' <<<'2025 325'
	assert_output '1763683200'
	run dstream map 'strptime($0, "%D %T")' <<<'11/21/25 00:00:00'
	assert_output '1763683200'
	run dstream map 'strptime($0, "%Y%m%d%H%M%S")' <<<'20251121000000'
	assert_output '1763683200'
}

@test "strptime(): text that does not fit the format is null" {
	run dstream map 'strptime($0, "%Y-%m-%d") ?? "null"' <<'EOF'
2025-11-21
2025/11/21
2025-11-21 00:00
2025-02-30
EOF
	assert_success
	assert_output $'1763683200\nnull\nnull\nnull'
}

@test "strptime(): the result does not depend on TZ or the locale" {
	run env TZ=America/New_York LC_ALL=C.UTF-8 "$DSTREAM" map 'strptime($0, "%F %T")' <<<'2025-11-21 00:00:00'
	assert_output '1763683200'
	run env TZ=Asia/Tokyo "$DSTREAM" map 'time($0)' <<<'Nov 21 00:00:00 2025'
	assert_output '1763683200'
	run env TZ=Asia/Tokyo "$DSTREAM" map 'strftime($0, "%F %T %Z %z %s")' <<<'1763683200'
	assert_output '2025-11-21 00:00:00 UTC +0000 1763683200'
}

@test "strftime(): UTC, fractions with %f and %3f, default RFC 3339" {
	run dstream map 'strftime(num($0), "%Y-%m-%d %H:%M:%S.%3f|%f|%a %b %e|%j")' <<<'1763683200.25'
	assert_success
	assert_output '2025-11-21 00:00:00.250|250000|Fri Nov 21|325'
	run dstream map 'strftime(num($0))' <<<'1763683200'
	assert_output '2025-11-21T00:00:00Z'
	run dstream map 'strftime(-0.5, "%F %T.%3f")' <<<'x'
	assert_output '1969-12-31 23:59:59.500'
}

@test "strftime() then time() round-trips" {
	run dstream map 'time(strftime(num($0), "%Y-%m-%dT%H:%M:%S.%3fZ"))' <<'EOF'
0
951782400.5
1763683200.125
253402300799
EOF
	assert_success
	assert_output $'0\n951782400.5\n1763683200.125\n253402300799'
}

@test "now(): the wall clock in epoch seconds" {
	run dstream map 'now() > 1700000000 && now() < 4102444800' <<<'x'
	assert_output 'true'
}

# ---- clf() ----

@test "clf(): a combined log line becomes an object" {
	run dstream -f json -e 'num(1763683200)' map 'clf($0)' <<'EOF'
203.0.113.7 - frank [21/Nov/2025:00:00:00 +0000] "GET /a?b=1 HTTP/1.1" 200 512 "https://ex.com/" "Mozilla/5.0 (X11)"
EOF
	assert_success
	assert_output '{"time":"2025-11-21T00:00:01Z","value":{"ip":"203.0.113.7","ident":"-","user":"frank","time":1763683200,"method":"GET","path":"/a?b=1","proto":"HTTP/1.1","status":200,"bytes":512,"referer":"https://ex.com/","agent":"Mozilla/5.0 (X11)"}}'
}

@test "clf(): common format: bytes '-' is null, no referer or agent" {
	run dstream map 'clf($0)' <<'EOF'
::1 - - [21/Nov/2025:01:00:00 +0100] "HEAD / HTTP/1.0" 304 -
EOF
	assert_success
	assert_output '{"ip":"::1","ident":"-","user":"-","time":1763683200,"method":"HEAD","path":"/","proto":"HTTP/1.0","status":304,"bytes":null,"referer":null,"agent":null}'
}

@test "clf(): escaped quotes inside the request and the agent" {
	run dstream map '(clf($0).path, clf($0).agent)' <<'EOF'
10.0.0.1 - - [21/Nov/2025:00:00:00 +0000] "GET /q?s=\"x\" HTTP/1.1" 404 0 "-" "a \"b\" c"
EOF
	assert_success
	assert_output $'/q?s="x"\ta "b" c'
}

@test "clf(): lines that are not access logs give null" {
	run dstream map 'clf($0) ?? "null"' <<'EOF'
hello world
1.2.3.4 - - [not a time] "GET / HTTP/1.1" 200 1
1.2.3.4 - - [21/Nov/2025:00:00:00 +0000] "GET / HTTP/1.1 200 1
1.2.3.4 - - [21/Nov/2025:00:00:00 +0000] "GET / HTTP/1.1" OK 1
EOF
	assert_success
	assert_output $'null\nnull\nnull\nnull'
}

@test "clf(): status per minute from the sample log" {
	run dstream -e 'clf($0).time' -b 1h map 'clf($0).status' then count <"$SRCDIR/samples/access.log"
	assert_success
	total=0
	for n in $output; do total=$((total + n)); done
	[ "$total" -eq "$(grep -c . "$SRCDIR/samples/access.log")" ]
}

# ---- --time-format with event time ----

@test "--event-time with --time-format uses the strptime reader" {
	run dstream -f json -e '$1' --time-format '%Y%m%d%H%M%S' -b 1m map '$2' then count <<'EOF'
20251121000000 a
20251121000030 b
20251121000100 c
EOF
	assert_success
	assert_output $'{"time":"2025-11-21T00:01:00Z","value":2}\n{"time":"2025-11-21T00:02:00Z","value":1}'
}

@test "--event-time auto-detects Apache times in the log" {
	run dstream -f json -e '$4 .. " " .. $5' -b 1m map '$9' then countByValue <<'EOF'
1.2.3.4 - - [21/Nov/2025:00:00:10 +0000] "GET / HTTP/1.1" 200 1
1.2.3.4 - - [21/Nov/2025:00:00:20 +0000] "GET / HTTP/1.1" 404 1
EOF
	assert_success
	assert_output $'{"time":"2025-11-21T00:01:00Z","key":"200","value":1}\n{"time":"2025-11-21T00:01:00Z","key":"404","value":1}'
}

# ---- the edges of the calendar and of a second ----

@test "time(): a fraction a hair under the next second stays in its second" {
	# In double, 1763683200 + .9999999999 rounds to 1763683201: the
	# record went to the next second's batch.
	local t
	for t in 1763683200.9999999999999999999 2025-11-21T00:00:00.9999999999Z \
	    9999-12-31T23:59:59.99999999Z -5.99999999999; do
		echo "$t x" | dstream -e 'time($1)' -b 1ms --stamp count
	done > "$BATS_TEST_TMPDIR/out"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output - <<'EOF'
2025-11-21T00:00:01Z	1
2025-11-21T00:00:01Z	1
+10000-01-01T00:00:00Z	1
1969-12-31T23:59:54.001Z	1
EOF
}

@test "--stamp: years past 9999 and before 0 are signed, and time() reads them back" {
	run dstream -f json -e '$1' -b 1s map 'strftime(time($1))' <<'EOF'
9999-12-31T23:59:59Z
+10000-01-01T00:00:00.5Z
+010000-01-02T00:00:00Z
EOF
	assert_success
	assert_output - <<'EOF'
{"time":"+10000-01-01T00:00:00Z","value":"9999-12-31T23:59:59Z"}
{"time":"+10000-01-01T00:00:01Z","value":"+10000-01-01T00:00:00.500Z"}
{"time":"+10000-01-02T00:00:01Z","value":"+10000-01-02T00:00:00Z"}
EOF
}

@test "time(): a year signed with 4 to 6 digits, before 0 too; other signed text is not a time" {
	run dstream map 'tojson(time($1)) .. " " .. strftime(time($1))' <<'EOF'
-0044-03-15T12:00:00Z
+2025-11-21
+5
+123-01-01
-12345678-01-01
EOF
	assert_success
	assert_output - <<'EOF'
-63549316800 -0044-03-15T12:00:00Z
1763683200 2025-11-21T00:00:00Z
null 
null 
null 
EOF
}
