#!/usr/bin/env bats
# format.bats - the output side: --format plain, tsv, csv, json and spark,
# --stamp, and how stdout fails (a full disk, a closed pipe, a slow
# non-blocking reader).  DESIGN section 6.

bats_require_minimum_version 1.5.0
load test_helper

# An RFC 3339 UTC time as the stamps are written (ms only when not zero).
TIME_RE='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{3})?Z'

# ---- plain ----

@test "plain: strings raw, numbers shortest, pairs as tab-separated fields" {
	run dstream map '($1, num($2) / 4)' <<'EOF'
a 2
b\c 4
EOF
	assert_success
	assert_output $'a\t0.5\nb\\c\t1'
}

@test "plain: null is empty, booleans are words, arrays and objects compact JSON" {
	run dstream map '[null, true, $1]' then map '(x, null, 1 == 1, {"k": [1]})' <<<'z'
	assert_success
	assert_output $'[null,true,"z"]\t\ttrue\t{"k":[1]}'
}

@test "plain: numbers in shortest round-trip form" {
	run dstream map 'num($0)' <<'EOF'
0.1
1e300
3.0
-2.50
123456789012
EOF
	assert_success
	assert_output $'0.1\n1e+300\n3\n-2.5\n123456789012'
}

# ---- tsv ----

@test "tsv: tuples are fields; tab, newline, CR and backslash escaped" {
	run dstream -f tsv map '($0, "a\tb", "c\nd", "e\rf")' <<'EOF'
x\y
EOF
	assert_success
	assert_output 'x\\y	a\tb	c\nd	e\rf'
}

@test "tsv: null empty, arrays compact JSON with backslashes escaped" {
	run dstream -f tsv map '(null, [1, "q\"r"], 2.5)' <<<'x'
	assert_success
	assert_output $'\t[1,"q\\\\"r"]\t2.5'
}

@test "tsv: a lone value is one field" {
	run dstream -f tsv map '$0' <<'EOF'
one two
EOF
	assert_success
	assert_output 'one two'
}

# ---- csv ----

@test "csv: RFC 4180 quoting only where needed" {
	run dstream -f csv map '($1, "a,b", "say \"hi\"", "l1\nl2", null, 3)' <<<'plain'
	assert_success
	assert_output $'plain,"a,b","say ""hi""","l1\nl2",,3'
}

@test "csv: arrays are quoted JSON fields" {
	run dstream -f csv map '($1, [1, "x"])' <<<'k'
	assert_success
	assert_output 'k,"[1,""x""]"'
}

@test "csv: a carriage return forces quotes" {
	run dstream -f csv map '"a\rb"' <<<'x'
	assert_success
	assert_output $'"a\rb"'
}

# ---- json ----

@test "json: pairs as time/key/value, other values as time/value" {
	run dstream -f json map '($1, num($2))' <<'EOF'
a 1
b 2.5
EOF
	assert_success
	assert_line --index 0 --regexp "^\\{\"time\":\"$TIME_RE\",\"key\":\"a\",\"value\":1\\}\$"
	assert_line --index 1 --regexp "^\\{\"time\":\"$TIME_RE\",\"key\":\"b\",\"value\":2.5\\}\$"
	run dstream -f json map '$0' <<<'say "hi"'
	assert_success
	assert_output --regexp "^\\{\"time\":\"$TIME_RE\",\"value\":\"say \\\\\"hi\\\\\"\"\\}\$"
}

@test "json: tuples other than pairs and arrays are JSON arrays; null is null" {
	run dstream -f json map '($1, $2, $3)' <<<'a b c'
	assert_success
	assert_output --regexp "^\\{\"time\":\"$TIME_RE\",\"value\":\\[\"a\",\"b\",\"c\"\\]\\}\$"
	run dstream -f json map 'null' <<<'a'
	assert_success
	assert_output --regexp "\"value\":null\\}\$"
}

@test "json: the output is valid JSON for jq" {
	command -v jq >/dev/null || skip "jq not installed"
	run bash -c '"$DSTREAM" -f json map "(\$1, [\$2, \"t\tab\"])" <<<"k v" | jq -c "[.key, .value]"'
	assert_success
	assert_output '["k",["v","t\tab"]]'
}

@test "json: a string that is not UTF-8 is written with U+FFFD, so strict readers take the line; plain keeps the bytes" {
	# Latin-1, a cut character, a surrogate, past U+10FFFF; then valid
	# two-, three- and four-byte characters, kept.
	printf 'caf\xe9 x\xc3 \xed\xa0\x80 \xf4\x90\x80\x80 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n' \
	    > "$BATS_TEST_TMPDIR/in"
	run dstream -i "$BATS_TEST_TMPDIR/in" -e '"2025-11-21T00:00:00Z"' -f json \
	    map '($1, [$2, $3, $4, $5])'
	assert_success
	assert_output "$(printf '{"time":"2025-11-21T00:00:01Z","key":"caf\xef\xbf\xbd","value":["x\xef\xbf\xbd","\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd","\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd","\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"]}')"
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/out"
	run python3 -c 'import json, sys
json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$BATS_TEST_TMPDIR/out"
	assert_success
	# tojson too; plain writes a string's own bytes.
	run dstream -i "$BATS_TEST_TMPDIR/in" map 'tojson($1)'
	assert_output "$(printf '"caf\xef\xbf\xbd"')"
	run dstream -i "$BATS_TEST_TMPDIR/in" map '$1'
	assert_output "$(printf 'caf\xe9')"
}

@test "json: the time is the batch end, in event time exactly" {
	run dstream -f json -e 'num($1)' -b 1m map '$2' then count <<'EOF'
1763683200 a
1763683230 b
1763683290 c
EOF
	assert_success
	assert_output $'{"time":"2025-11-21T00:01:00Z","value":2}\n{"time":"2025-11-21T00:02:00Z","value":1}'
}

@test "json: milliseconds appear only when the end is not a whole second" {
	run dstream -f json -e 'num($1)' -b 250ms count <<'EOF'
1763683200.1
EOF
	assert_success
	assert_output '{"time":"2025-11-21T00:00:00.250Z","value":1}'
}

# ---- spark ----

@test "spark: Spark's print() layout with (k,v) tuples" {
	run bash -c '"$DSTREAM" -f spark -e "num(\$1)" -b 1m map "(\$2, 1)" then reduceByKey sum; echo END' <<'EOF'
1763683200 b
1763683201 a
1763683202 b
1763683262 c
EOF
	assert_success
	assert_output "-------------------------------------------
Time: 1763683260000 ms
-------------------------------------------
(a,1)
(b,2)

-------------------------------------------
Time: 1763683320000 ms
-------------------------------------------
(c,1)

END"
}

@test "spark: the header comes before the records, processing time" {
	run dstream -f spark map '$1' <<'EOF'
x
y
EOF
	assert_success
	assert_line --index 0 -- '-------------------------------------------'
	assert_line --index 1 --regexp '^Time: [0-9]{13} ms$'
	assert_line --index 2 -- '-------------------------------------------'
	assert_line --index 3 'x'
	assert_line --index 4 'y'
	# The batch ends with an empty line.
	run bash -c '"$DSTREAM" -f spark map "\$1" <<<x | tail -c 3 | od -An -c | tr -d " "'
	assert_output 'x\n\n'
}

@test "spark: an empty batch still prints its header" {
	run bash -c '"$DSTREAM" -f spark count </dev/null'
	assert_success
	assert_line --index 0 -- '-------------------------------------------'
	assert_line --index 1 --regexp '^Time: [0-9]+ ms$'
	assert_line --index 3 '0'
}

@test "spark: nested tuples, doubles in Java's style, null, booleans, arrays" {
	run dstream -f spark map '($1, (num($2) * 1.0, null), true, [1, "a"])' <<'EOF'
k 1
k 0.1
k 10000000
k 0.0001
k 123.456
k -2
EOF
	assert_success
	assert_line --index 3 '(k,(1.0,null),true,[1, a])'
	assert_line --index 4 '(k,(0.1,null),true,[1, a])'
	assert_line --index 5 '(k,(1.0E7,null),true,[1, a])'
	assert_line --index 6 '(k,(1.0E-4,null),true,[1, a])'
	assert_line --index 7 '(k,(123.456,null),true,[1, a])'
	assert_line --index 8 '(k,(-2.0,null),true,[1, a])'
}

@test "spark: ints stay ints, strings raw" {
	run dstream -f spark map '($1, len($1))' <<<'héllo, world'
	assert_success
	assert_line --index 3 '(héllo,,6)'
}

# ---- --stamp ----

@test "--stamp: plain puts the time in a first tab-separated column" {
	run dstream -s -e 'num($1)' -b 1m map '$2' <<<'1763683200 a'
	assert_success
	assert_output $'2025-11-21T00:01:00Z\ta'
}

@test "--stamp: tsv and csv get the time as first field" {
	run dstream -s -f tsv -e 'num($1)' -b 1m map '($2, "x\ty")' <<<'1763683200 a'
	assert_success
	assert_output $'2025-11-21T00:01:00Z\ta\tx\\ty'
	run dstream -s -f csv -e 'num($1)' -b 1m map '($2, "x,y")' <<<'1763683200 a'
	assert_success
	assert_output '2025-11-21T00:01:00Z,a,"x,y"'
}

@test "--stamp: json and spark are unchanged" {
	run dstream -s -f json -e 'num($1)' -b 1m map '$2' <<<'1763683200 a'
	assert_success
	assert_output '{"time":"2025-11-21T00:01:00Z","value":"a"}'
	run dstream -s -f spark -e 'num($1)' -b 1m map '$2' <<<'1763683200 a'
	assert_success
	assert_line --index 3 'a'
}

@test "--stamp: processing time stamps look like RFC 3339" {
	run dstream --stamp map '$1' <<<'a'
	assert_success
	assert_output --regexp "^${TIME_RE}"$'\t'"a\$"
}

@test "--format: an unknown format is a usage error naming it" {
	run --separate-stderr dstream -f xml map x <<<'a'
	assert_failure 2
	[[ "$stderr" == *xml* ]]
}

# ---- stdout failures ----

@test "a write error (stdout on /dev/full) exits 1 with a message" {
	[ -w /dev/full ] || skip "no /dev/full"
	run --separate-stderr bash -c 'seq 1 1000 | "$DSTREAM" map x >/dev/full'
	assert_failure 1
	[[ "$stderr" == *"dstream: stdout: write error: No space left on device"* ]]
	# Reported once, not once per record.
	[ "$(grep -c 'write error' <<<"$stderr")" -eq 1 ]
}

@test "a closed pipe ends dstream quietly" {
	run --separate-stderr bash -c 'seq 1 300000 | "$DSTREAM" map x | head -1; echo "status ${PIPESTATUS[1]}"'
	assert_output $'1\nstatus 141'
	assert_equal "$stderr" ''
}

@test "a non-blocking stdout with a slow reader loses nothing" {
	command -v python3 >/dev/null || skip "python3 not installed"
	run bash -c '
	    seq 1 200000 >"$BATS_TEST_TMPDIR/in"
	    python3 -c "
import fcntl, os, sys
fl = fcntl.fcntl(1, fcntl.F_GETFL)
fcntl.fcntl(1, fcntl.F_SETFL, fl | os.O_NONBLOCK)
os.execv(sys.argv[1], sys.argv[1:])
" "$DSTREAM" map x <"$BATS_TEST_TMPDIR/in" | { sleep 1; wc -l; }'
	assert_success
	assert_output '200000'
}

@test "large output arrives whole and in order" {
	run bash -c 'seq 1 300000 | "$DSTREAM" map x | cksum'
	assert_output "$(seq 1 300000 | cksum)"
}
