#!/usr/bin/env bats
# man.bats - the manual cannot drift from the program.
#
# Every "$ dstream ..." line in a literal display of man/dstream.1 is run
# from samples/, and must print exactly the lines that follow it up to
# the end of the display.  Every "EXPR \(-> TEXT" line in a literal
# display is evaluated with `map EXPR` over one record and must print
# TEXT.  Every operator of src/ops/ops.def and every long option of
# `dstream --help` must be in the page, and mandoc must find nothing to
# warn about.

load test_helper

setup() {
	MAN=$SRCDIR/man/dstream.1
	case $DSTREAM in
	/*) ;;
	*/*) DSTREAM=$PWD/$DSTREAM ;;
	esac
	export DSTREAM
}

# The record the builtin examples are evaluated over (the page says so).
BUILTIN_RECORD='GET /a/b.html 200 5120'

# Turns the roff escapes used in displays into the characters they stand
# for.
unroff() {
	sed -e 's/\\e/\x01/g' -e 's/\\(aq/'"'"'/g' -e 's/\\(dq/"/g' \
	    -e 's/\\(ga/`/g' -e 's/\\(ha/^/g' -e 's/\\(ti/~/g' \
	    -e 's/\\(->/->/g' -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\x01/\\/g'
}

# Writes the examples of the page into $BATS_TEST_TMPDIR/ex.N.cmd and
# ex.N.out, one pair per "$ dstream" line; prints how many.
extract_examples() {
	awk -v dir="$BATS_TEST_TMPDIR" '
	/^\.Bd -literal/ { lit = 1; cur = ""; next }
	/^\.Ed/ { lit = 0; cur = ""; next }
	!lit { next }
	/^\$ / && /dstream/ {
		n++
		cur = dir "/ex." n
		print substr($0, 3) > (cur ".cmd")
		printf "" > (cur ".out")
		next
	}
	cur != "" { print > (cur ".out") }
	END { print n + 0 }' "$MAN"
}

@test "man: the page has runnable examples" {
	n=$(extract_examples)
	[ "$n" -ge 8 ] || fail "only $n examples in $MAN"
}

@test "man: every example prints exactly what the page shows" {
	local n i cmd failed=""
	n=$(extract_examples)
	for ((i = 1; i <= n; i++)); do
		unroff <"$BATS_TEST_TMPDIR/ex.$i.cmd" >"$BATS_TEST_TMPDIR/cmd"
		unroff <"$BATS_TEST_TMPDIR/ex.$i.out" >"$BATS_TEST_TMPDIR/want"
		cmd=$(cat "$BATS_TEST_TMPDIR/cmd")
		(cd "$SRCDIR/samples" && eval "$cmd") </dev/null \
		    >"$BATS_TEST_TMPDIR/got" 2>"$BATS_TEST_TMPDIR/err" || true
		if ! diff -u "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got" \
		    >"$BATS_TEST_TMPDIR/diff"; then
			echo "example: \$ $cmd"
			cat "$BATS_TEST_TMPDIR/diff" "$BATS_TEST_TMPDIR/err"
			failed="$failed $i"
		fi
	done
	[ -z "$failed" ] || fail "examples that differ:$failed"
}

@test "man: every builtin example gives what the page says" {
	local line expr want got n=0 failed=0
	while IFS= read -r line; do
		expr=${line%% -> *}
		want=${line#* -> }
		expr=$(printf '%s' "$expr" | sed -e 's/[[:space:]]*$//' -e 's/^[[:space:]]*//')
		n=$((n + 1))
		got=$(printf '%s\n' "$BUILTIN_RECORD" | dstream map "$expr" 2>&1) || true
		if [ "$got" != "$want" ]; then
			echo "$expr: want <$want>, got <$got>"
			failed=$((failed + 1))
		fi
	done < <(awk '/^\.Bd -literal/ { lit = 1; next } /^\.Ed/ { lit = 0; next }
	    lit && /\\\(->/' "$MAN" | unroff)
	[ "$n" -ge 37 ] || fail "only $n builtin examples"
	[ "$failed" -eq 0 ] || fail "$failed builtin examples differ"
}

@test "man: every builtin of the language is documented with .Fn" {
	local f
	for f in len lower upper trim substr split join replace match contains \
	    startswith endswith sprintf num int round floor ceil abs min max \
	    sum avg now strptime strftime time json tojson has keys type \
	    coalesce clf; do
		grep -qE "^\.It .*Fn $f( |$)" "$MAN" || fail "builtin $f not documented"
	done
}

@test "man: every operator in ops.def is documented" {
	local names name
	names=$(sed -n 's/^OP(op_\(.*\))$/\1/p' "$SRCDIR/src/ops/ops.def")
	[ -n "$names" ] || fail "no operators found in ops.def"
	for name in $names; do
		grep -qE "^\.It Ic $name( |$)" "$MAN" || fail "operator $name not in the man page"
	done
}

@test "man: every operator dstream lists is documented" {
	run dstream help
	assert_success
	local name
	for name in $(printf '%s\n' "$output" | awk '{ print $1 }'); do
		grep -qE "^\.It Ic $name( |$)" "$MAN" || fail "operator $name not in the man page"
	done
}

@test "man: every long option of --help has its entry in the man page" {
	run dstream --help
	assert_success
	local opts o
	opts=$(printf '%s\n' "$output" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
	[ -n "$opts" ] || fail "no options in --help"
	for o in $opts; do
		grep -qE "^\\.It Fl (.* )?\\\\?-${o#--}( |$)" "$MAN" || fail "option $o has no entry in OPTIONS"
	done
}

@test "man: every input form of --help has its entry in INPUTS" {
	run dstream --help
	assert_success
	local forms f
	forms=$(printf '%s\n' "$output" | grep -oE '[a-z-]+://' | sort -u)
	[ -n "$forms" ] || fail "no input forms in --help"
	for f in $forms; do
		grep -qE "^\\.It Li $f" "$MAN" || fail "input $f has no entry in INPUTS"
	done
}

@test "man: SYNOPSIS mirrors usage()" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	run dstream --badoption
	assert_failure 2
	local usage
	usage=$(mandoc -Tascii "$MAN" | sed -e 's/.\x08//g' | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' |
	    sed -e '1d' -e '$d' -e 's/^ *//' -e '/^$/d')
	[ "$(printf '%s\n' "$usage" | wc -l)" -eq 2 ] || fail "SYNOPSIS: $usage"
	assert_output --partial "usage: $(printf '%s\n' "$usage" | sed -n 1p)"
	assert_output --partial "$(printf '%s\n' "$usage" | sed -n 2p)"
}

@test "man: mandoc -Tlint finds nothing to warn about" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	run mandoc -Tlint -Wwarning "$MAN"
	assert_success
	assert_output ''
}
