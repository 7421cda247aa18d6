#!/usr/bin/env bats
# expr.bats - the expression language through the binary: every block of
# tests/expr.test (one Bats test per "## section"), then what a table
# cannot say: compile errors with their caret and exit status 2,
# per-record errors under --on-error, pairs, --header, JSON output of
# NaN and infinity.

bats_require_minimum_version 1.5.0
load test_helper

TABLE=$BATS_TEST_DIRNAME/expr.test

# Runs the blocks of section $1 of expr.test; prints every mismatch and
# fails if there was one.
table() {
	local want_section=$1 section= line lineno=0 state=0 flags= expr= input=
	local start=0 nblocks=0 nfail=0
	local -a want

	check_block() {
		local -a fl=()
		local got err rc expected w i

		nblocks=$((nblocks + 1))
		[[ -n $flags ]] && eval "fl=($flags)"
		got=$(printf '%s\n' "$input" | "$DSTREAM" "${fl[@]}" map "$expr" \
		    2>"$BATS_TEST_TMPDIR/err")
		rc=$?
		err=$(cat "$BATS_TEST_TMPDIR/err")
		if [[ ${want[0]} == 'error: '* ]]; then
			w=${want[0]#error: }
			if [[ $rc != 0 || -n $got || $err != *"$w"* ]]; then
				printf 'expr.test:%d: %s\n  input: %s\n  want error: %s\n  got (rc %d): %s\n  stderr: %s\n' \
				    "$start" "$expr" "$input" "$w" "$rc" "$got" "$err"
				nfail=$((nfail + 1))
			fi
			return
		fi
		expected=
		for i in "${!want[@]}"; do
			w=${want[$i]}
			[[ $w == '<empty>' ]] && w=
			if ((i == 0)); then expected=$w; else expected+=$'\n'$w; fi
		done
		if [[ $rc != 0 || $got != "$expected" || -n $err ]]; then
			printf 'expr.test:%d: %s\n  input: %s\n  want: %s\n  got (rc %d): %s\n  stderr: %s\n' \
			    "$start" "$expr" "$input" "$expected" "$rc" "$got" "$err"
			nfail=$((nfail + 1))
		fi
	}

	while IFS= read -r line || [[ -n $line ]]; do
		lineno=$((lineno + 1))
		case $state in
		0)
			[[ -z $line ]] && continue
			if [[ $line == '## '* ]]; then
				section=${line#'## '}
				continue
			fi
			if [[ $line == '# flags: '* ]]; then
				flags=${line#'# flags: '}
				continue
			fi
			[[ $line == '#'* ]] && continue
			expr=$line
			start=$lineno
			state=1
			;;
		1)
			input=$line
			want=()
			state=2
			;;
		2)
			if [[ -n $line ]]; then
				want+=("$line")
				continue
			fi
			[[ $section == "$want_section" ]] && check_block
			state=0
			flags=
			;;
		esac
	done <"$TABLE"
	if ((state == 2)) && [[ $section == "$want_section" ]]; then
		check_block
	fi
	if ((nblocks == 0)); then
		echo "expr.test: no blocks in section '$want_section'"
		return 1
	fi
	((nfail == 0))
}

SECTIONS="literals fields delimiters csv arithmetic division concat
comparison regex logic members pairs len lower upper trim substr split join
replace match contains startswith endswith num int round floor ceil abs min
max sum avg sprintf now strptime strftime time json tojson has keys type
coalesce clf"

@test "expr.test: every section has a test here" {
	run grep '^## ' "$TABLE"
	assert_success
	[[ $(printf '%s\n' "${lines[@]#'## '}" | sort | tr '\n' ' ') == \
	    "$(printf '%s\n' $SECTIONS | sort | tr '\n' ' ')" ]]
}

@test "expr.test: literals" { table literals; }
@test "expr.test: fields" { table fields; }
@test "expr.test: delimiters" { table delimiters; }
@test "expr.test: csv" { table csv; }
@test "expr.test: arithmetic" { table arithmetic; }
@test "expr.test: division" { table division; }
@test "expr.test: concat" { table concat; }
@test "expr.test: comparison" { table comparison; }
@test "expr.test: regex" { table regex; }
@test "expr.test: logic" { table logic; }
@test "expr.test: members" { table members; }
@test "expr.test: pairs" { table pairs; }
@test "builtin len" { table len; }
@test "builtin lower" { table lower; }
@test "builtin upper" { table upper; }
@test "builtin trim" { table trim; }
@test "builtin substr" { table substr; }
@test "builtin split" { table split; }
@test "builtin join" { table join; }
@test "builtin replace" { table replace; }
@test "builtin match" { table match; }
@test "builtin contains" { table contains; }
@test "builtin startswith" { table startswith; }
@test "builtin endswith" { table endswith; }
@test "builtin num" { table num; }
@test "builtin int" { table int; }
@test "builtin round" { table round; }
@test "builtin floor" { table floor; }
@test "builtin ceil" { table ceil; }
@test "builtin abs" { table abs; }
@test "builtin min" { table min; }
@test "builtin max" { table max; }
@test "builtin sum" { table sum; }
@test "builtin avg" { table avg; }
@test "builtin sprintf" { table sprintf; }
@test "builtin now" { table now; }
@test "builtin strptime" { table strptime; }
@test "builtin strftime" { table strftime; }
@test "builtin time" { table time; }
@test "builtin json" { table json; }
@test "builtin tojson" { table tojson; }
@test "builtin has" { table has; }
@test "builtin keys" { table keys; }
@test "builtin type" { table type; }
@test "builtin coalesce" { table coalesce; }
@test "builtin clf" { table clf; }

# ---- compile errors: message, expression, caret; exit status 2 ----

@test "syntax error: missing ')' points past the end, exit 2" {
	run --separate-stderr dstream map 'len($1'
	assert_failure 2
	assert_output ''
	[[ $stderr == *"syntax error: expected ')' after arguments"* ]]
	[[ $stderr == *$'\n  len($1\n        ^'* ]]
}

@test "syntax error: the caret is under the unexpected token" {
	run --separate-stderr dstream map '$1 + * 2'
	assert_failure 2
	[[ $stderr == *"syntax error: expected an expression, found '*'"* ]]
	[[ $stderr == *$'\n  $1 + * 2\n       ^'* ]]
}

@test "syntax error: trailing garbage after a complete expression" {
	run --separate-stderr dstream map '$1 $2'
	assert_failure 2
	[[ $stderr == *"expected an operator or the end of the expression, found '\$2'"* ]]
	[[ $stderr == *$'\n  $1 $2\n     ^'* ]]
}

@test "syntax error: unterminated string and regex" {
	run --separate-stderr dstream map '"abc'
	assert_failure 2
	[[ $stderr == *"unterminated string"*$'\n  "abc\n  ^'* ]]
	run --separate-stderr dstream filter '/abc'
	assert_failure 2
	[[ $stderr == *"unterminated regex"*$'\n  /abc\n  ^'* ]]
}

@test "syntax error: a bad regex is reported at compile time" {
	run --separate-stderr dstream filter '$0 ~ /a(b/'
	assert_failure 2
	[[ $stderr == *"bad regex: missing closing parenthesis"* ]]
}

@test "syntax error: '=' and '&' suggest '==' and '&&'" {
	run --separate-stderr dstream filter '$1 = 2'
	assert_failure 2
	[[ $stderr == *"use '==' to compare"* ]]
	run --separate-stderr dstream filter '$1 & 2'
	assert_failure 2
	[[ $stderr == *"use '&&' for and"* ]]
}

@test "unknown function: named, with a caret" {
	run --separate-stderr dstream map 'lenght($0)'
	assert_failure 2
	[[ $stderr == *"unknown function 'lenght'"*$'\n  lenght($0)\n  ^'* ]]
}

@test "unknown name: named, with a caret" {
	run --separate-stderr dstream map '1 + foo'
	assert_failure 2
	[[ $stderr == *"unknown name 'foo'"*$'\n  1 + foo\n      ^'* ]]
}

@test "wrong number of arguments is a compile error" {
	run --separate-stderr dstream map 'substr($0)'
	assert_failure 2
	[[ $stderr == *"'substr' takes 2 or 3 arguments, not 1"* ]]
	run --separate-stderr dstream map 'len($1, $2)'
	assert_failure 2
	[[ $stderr == *"'len' takes 1 argument, not 2"* ]]
}

@test "a and b outside a reduce function are compile errors" {
	run --separate-stderr dstream map 'a + 1'
	assert_failure 2
	[[ $stderr == *"'a' is only defined in reduce functions"* ]]
}

@test "an empty expression is a syntax error" {
	run --separate-stderr dstream map ''
	assert_failure 2
	[[ $stderr == *"syntax error: expected an expression"* ]]
}

# ---- per-record errors ----

@test "runtime error: the record is skipped and counted, others go on" {
	run --separate-stderr dstream map '10 / $1' <<'EOF'
2
0
abc
5
EOF
	assert_success
	assert_output $'5\n2'
	[[ $stderr == *"division by zero"* ]]
	[[ $stderr == *"'/': not a number: \"abc\""* ]]
}

@test "runtime error: --on-error fail stops with status 1" {
	run --separate-stderr dstream --on-error fail map '$1 + 1' <<'EOF'
1
x
3
EOF
	assert_failure 1
	[[ $stderr == *"'+': not a number: \"x\""* ]]
}

@test "runtime error: a builtin names itself and shows the value" {
	run --separate-stderr dstream -j map 'substr(.a, 1)' <<'EOF'
{"a": {"b": 1}}
EOF
	assert_success
	assert_output ''
	[[ $stderr == *'substr: not a string: {"b":1}'* ]]
}

@test "runtime error: a long value is shown truncated" {
	local long
	long=$(printf 'x%.0s' {1..500})
	run --separate-stderr dstream map '$1 * 2' <<<"$long"
	assert_success
	[[ $stderr == *"'*': not a number: \"xxxxx"*'...'* ]]
}

# ---- NaN and infinity: values in plain, null in JSON ----

@test "nan and inf print as nan/inf in plain and null in json" {
	run dstream map '(1e308 * 10, -1e308 * 10, 1e308 * 10 - 1e308 * 10)' <<<"x"
	assert_success
	assert_output $'inf\t-inf\tnan'
	run dstream -f json map '1e308 * 10' <<<"x"
	assert_success
	[[ $output == *'"value":null}' ]]
}

# ---- pairs: key and value ----

@test "key and value are the parts of a pair" {
	run dstream map '($1, $2 * 2)' then map 'key .. "=" .. value' <<'EOF'
a 1
b 2
EOF
	assert_success
	assert_output $'a=2\nb=4'
}

@test "key on a record that is not a pair is a per-record error" {
	run --separate-stderr dstream map 'key' <<<"a b"
	assert_success
	assert_output ''
	[[ $stderr == *"'key': not a pair: \"a b\""* ]]
}

@test "reduceByKey function sees a and b" {
	run dstream map '($1, $2)' then reduceByKey 'a .. "+" .. b' <<'EOF'
k 1
k 2
j 3
EOF
	assert_success
	assert_output $'j\t3\nk\t1+2'
}

# ---- fields: --header names, separators ----

@test "--header names the fields: \$name" {
	run dstream --csv --header map '$name .. ":" .. ($age + 1)' <<'EOF'
name,age
bob,41
"Doe, J",7
EOF
	assert_success
	assert_output $'bob:42\nDoe, J:8'
}

@test "\$name without --header is a per-record error" {
	run --separate-stderr dstream map '$name' <<<"a b"
	assert_success
	assert_output ''
	[[ $stderr == *"'\$name': a column name needs --header"* ]]
}

@test "\$name not in the header is a per-record error" {
	run --separate-stderr dstream --header map '$nope' <<'EOF'
a b
1 2
EOF
	assert_success
	assert_output ''
	[[ $stderr == *"'\$nope': no such column in the header"* ]]
}

@test "fields: invalid UTF-8 and NUL bytes pass through as bytes" {
	run dstream map '$2 .. "|" .. len($2)' < <(printf 'a \xff\xfe b\n')
	assert_success
	assert_output $'\xff\xfe|2'
}

@test "regex: a bare /re/ filters on \$0 as awk" {
	run dstream filter '/GET/ && !/favicon/' <<'EOF'
GET /index.html
POST /form
GET /favicon.ico
EOF
	assert_success
	assert_output 'GET /index.html'
}

@test "regex: a pattern from the record is compiled at run time" {
	run dstream filter '$1 ~ $2' <<'EOF'
apple ^a
banana ^a
cherry r+y$
EOF
	assert_success
	assert_output $'apple ^a\ncherry r+y$'
}

@test "regex: nested groups on a 100 kB line do not hit the JIT stack limit" {
	run dstream map '$0 ~ /^(?:(a)|(b))*$/' < <(printf 'ab%.0s' {1..50000}; echo)
	assert_success
	assert_output 'true'
}

@test "fields: a JSON record's \$0 is its compact JSON text" {
	run dstream -j map '$0 .. "|" .. NF' <<'EOF2'
{"a": 1,   "b": [1, 2]}
EOF2
	assert_success
	assert_output '{"a":1,"b":[1,2]}|1'
}
