#!/usr/bin/env bats
# json.bats - JSON records (--json): parsing, member access, bad lines,
# Unicode, big numbers, deep nesting, and how JSON values print in each
# --format.  DESIGN sections 3 and 6.

bats_require_minimum_version 1.5.0
load test_helper

@test "-j: members, nested members, array indexes and odd keys" {
	run dstream -j map '(.event, .user.id, .tags[1], .["odd key"])' <<'EOF'
{"event":"click","user":{"id":42},"tags":["a","b"],"odd key":true}
{"event":"view","user":{"id":7},"tags":["c","d"],"odd key":null}
EOF
	assert_success
	assert_output $'click\t42\tb\ttrue\nview\t7\td\t'
}

@test "-j: any JSON value is a record, not only objects" {
	run dstream -j map 'type(x)' <<'EOF'
[1,2]
"text"
3.5
null
true
{}
EOF
	assert_success
	assert_output $'array\nstring\nnumber\nnull\nboolean\nobject'
}

@test "-j: a malformed line is skipped and reported with file and line; neighbours kept" {
	printf '%s\n' '{"e":"a"}' '{"e":' '{"e":"b"}' '{"e" "c"}' '{"e":"d"}' >"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr dstream -j -i "$BATS_TEST_TMPDIR/in.jsonl" map '.e'
	assert_success
	assert_output $'a\nb\nd'
	[[ "$stderr" == *"in.jsonl:2"* ]]
	[[ "$stderr" == *"in.jsonl:4"* ]]
	[[ "$stderr" == *"expected ':' at byte 6"* ]]
	[[ "$stderr" != *"in.jsonl:1)"* ]]
}

@test "-j: the error message names the fault and its byte" {
	run --separate-stderr dstream -j map x <<<'{"a":1 "b":2}'
	assert_success
	assert_output ''
	[[ "$stderr" == *"expected ',' or '}' at byte 8"* ]]
	[[ "$stderr" == *"stdin:1"* ]]
}

@test "-j --on-error fail: a malformed line stops the run with status 1" {
	run --separate-stderr dstream -j --on-error fail map '.e' <<'EOF'
{"e":"a"}
not json
{"e":"b"}
EOF
	assert_failure 1
	refute_output --partial b
	[[ "$stderr" == *"stdin:2"* ]]
}

@test "-j: trailing garbage and unclosed values are errors" {
	run --separate-stderr dstream -j map x <<'EOF'
{"a":1} x
[1,2
"abc
{"a":01}
[1,]
{"ok":1}
EOF
	assert_success
	assert_output '{"ok":1}'
	[ "$(grep -c 'dstream: ' <<<"$stderr")" -ge 5 ]
}

@test "-j: CRLF line endings are fine" {
	run dstream -j map '.a' <<<$'{"a":"x"}\r'
	assert_success
	assert_output 'x'
}

@test "-j: Unicode escapes become UTF-8, surrogate pairs joined" {
	run dstream -j map '.s' <<'EOF'
{"s":"caf\u00e9 \u20ac \ud83d\ude00 \u0041"}
EOF
	assert_success
	assert_output 'café € 😀 A'
}

@test "-j: a lone surrogate becomes U+FFFD" {
	run dstream -j map '.s' <<'EOF'
{"s":"a\ud800b"}
EOF
	assert_success
	assert_output 'a�b'
}

@test "-j: escapes decoded: quotes, backslash, slash, controls" {
	run dstream -j -f json map '.s' <<'EOF'
{"s":"q\"b\\s\/n\nt\t"}
EOF
	assert_success
	assert_output --regexp '"value":"q\\"b\\\\s/n\\nt\\t"\}$'
}

@test "-j: raw UTF-8 and invalid bytes pass through" {
	run dstream -j map '.s' <<<$'{"s":"h\xc3\xa9 \xff"}'
	assert_success
	assert_output $'h\xc3\xa9 \xff'
}

@test "-j: int64 stays exact; bigger integers become doubles" {
	run dstream -j map x <<'EOF'
9223372036854775807
-9223372036854775808
12345678901234567890
1.5e300
-0
EOF
	assert_success
	assert_output $'9223372036854775807\n-9223372036854775808\n1.2345678901234567e+19\n1.5e+300\n-0'
}

@test "-j: arithmetic on big and fractional numbers" {
	run dstream -j map '.a + .b' <<<'{"a":0.1,"b":0.2}'
	assert_success
	assert_output '0.30000000000000004'
}

@test "-j: nesting up to 512 levels is accepted, deeper is an error" {
	deep=$(printf '[%.0s' {1..512})$(printf ']%.0s' {1..512})
	deeper=$(printf '[%.0s' {1..600})$(printf ']%.0s' {1..600})
	run --separate-stderr dstream -j map 'len(x)' <<<"$deep"
	assert_success
	assert_output '1'
	run --separate-stderr dstream -j map 'len(x)' <<<"$deeper"
	assert_success
	assert_output ''
	[[ "$stderr" == *"nested deeper than 512"* ]]
}

@test "-j: duplicate keys are kept; member access takes the first" {
	run dstream -j map '(.a, x)' <<<'{"a":1,"a":2}'
	assert_success
	assert_output $'1\t{"a":1,"a":2}'
}

# ---- JSON values in each output format ----

@test "plain: objects and arrays print as compact JSON, members in input order" {
	run dstream -j map 'x' <<'EOF'
{ "z" : [ 1 , { "y" : null } ] , "a" : "s" }
EOF
	assert_success
	assert_output '{"z":[1,{"y":null}],"a":"s"}'
}

@test "tsv: JSON values are one escaped field" {
	run dstream -j -f tsv map '(.k, .v)' <<'EOF'
{"k":"a","v":{"t":"x\ty","q":"\""}}
EOF
	assert_success
	assert_output 'a	{"t":"x\\ty","q":"\\""}'
}

@test "csv: JSON values are quoted fields with doubled quotes" {
	run dstream -j -f csv map '(.k, .v)' <<'EOF'
{"k":"a","v":[1,"b"]}
EOF
	assert_success
	assert_output 'a,"[1,""b""]"'
}

@test "json: JSON values are written natively" {
	run dstream -j -f json -e 'num(.t)' -b 1m map '(.k, .v)' <<'EOF'
{"t":1763683200,"k":"a","v":{"n":[1,2.5,null,true]}}
EOF
	assert_success
	assert_output '{"time":"2025-11-21T00:01:00Z","key":"a","value":{"n":[1,2.5,null,true]}}'
}

@test "json output round-trips through jq" {
	command -v jq >/dev/null || skip "jq not installed"
	run bash -c '"$DSTREAM" -j -f json map x <<<'"'"'{"s":"é\u0001\"","n":-1.5e-7}'"'"' | jq -c .value'
	assert_success
	assert_output '{"s":"é\u0001\"","n":-1.5e-07}'
}

# ---- json() and tojson() on text ----

@test "json(): parses a string; a bad one is a per-record error" {
	run --separate-stderr dstream map 'json($0).a' <<'EOF'
{"a":[1,2]}
{"a":
{"a":"ok"}
EOF
	assert_success
	assert_output $'[1,2]\nok'
	[[ "$stderr" == *"stdin:2"* ]]
}

@test "-j then countByValue counts members" {
	run dstream -j map '.event' then countByValue <<'EOF'
{"event":"b"}
{"event":"a"}
{"event":"b"}
{"other":1}
EOF
	assert_success
	assert_output $'\t1\na\t1\nb\t2'
}

@test "blank lines in JSON input are skipped silently, as jq does" {
	run bash -c 'printf "{\"a\":1}\n\n  \n{\"a\":2}\n" | "$DSTREAM" -j map .a 2>&1'
	assert_success
	assert_output "$(printf '1\n2')"
}
