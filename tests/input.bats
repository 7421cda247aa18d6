#!/usr/bin/env bats
# input.bats - stdin and files: order, framing, and every class of bad
# input (missing files, binary, NUL bytes, invalid UTF-8, huge lines, CRLF).

load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
}

@test "stdin is the default input" {
	run bash -c 'printf "a\nb\na\n" | "$DSTREAM" countByValue'
	assert_success
	assert_output "$(printf 'a\t2\nb\t1')"
}

@test "several -i inputs are read in order as one stream" {
	printf '1\n2\n' > "$T/a"; printf '3\n' > "$T/b"
	run dstream -i "$T/a" -i "$T/b" -i "$T/a" map x
	assert_success
	assert_output "$(printf '1\n2\n3\n1\n2')"
}

@test "- names stdin among files" {
	printf 'f\n' > "$T/a"
	run bash -c "printf 's\n' | \"\$DSTREAM\" -i '$T/a' -i - map x"
	assert_output "$(printf 'f\ns')"
}

@test "a file read at once is one batch: one total" {
	seq 1 100000 > "$T/n"
	run dstream -i "$T/n" count
	assert_success
	assert_output "100000"
}

@test "the last line without a newline is a record" {
	run bash -c 'printf "a\nb" | "$DSTREAM" count'
	assert_output "2"
}

@test "an empty input gives count 0 and no countByValue rows" {
	run dstream count < /dev/null
	assert_output "0"
	run dstream countByValue < /dev/null
	assert_output ""
}

@test "a trailing carriage return is removed (CRLF input)" {
	run bash -c 'printf "a\r\nb\r\n" | "$DSTREAM" map "len(x)"'
	assert_output "$(printf '1\n1')"
}

@test "a missing file is named, exit 1" {
	run dstream -i "$T/nope" count
	assert_failure 1
	assert_output --partial "$T/nope: No such file or directory"
}

@test "an unreadable file is named, exit 1" {
	printf 'x\n' > "$T/secret"; chmod 000 "$T/secret"
	as_nobody -i "$T/secret" count
	assert_failure 1
	assert_output --partial "Permission denied"
}

@test "a directory given as a file is refused with a hint" {
	run dstream -i "$T" count
	assert_failure 1
	assert_output --partial "is a directory"
}

@test "an unknown URL scheme is refused" {
	run dstream -i "ftp://example/x" count
	assert_failure 1
	assert_output --partial "unknown input kind"
}

@test "NUL bytes pass through as bytes" {
	run bash -c 'printf "a\0b\nc\n" | "$DSTREAM" map "len(x)"'
	assert_output "$(printf '3\n1')"
	run bash -c 'printf "a\0b\n" | "$DSTREAM" map x | od -An -c | tr -s " "'
	assert_output --partial 'a \0 b \n'
}

@test "invalid UTF-8 passes through unchanged" {
	printf 'caf\xe9\n\xff\xfe\n' > "$T/bad"
	run bash -c "\"\$DSTREAM\" -i '$T/bad' map x | cmp - '$T/bad'"
	assert_success
}

@test "binary input never crashes and keeps the good lines" {
	head -c 200000 /dev/urandom > "$T/bin" || true
	printf '\nGOOD\n' >> "$T/bin"
	run dstream -i "$T/bin" filter 'x == "GOOD"' then count
	assert_success
	assert_output "1"
}

@test "a line over --max-line is skipped, counted and reported with file and line" {
	{ echo short; head -c 5000 /dev/zero | tr '\0' x; echo; echo after; } > "$T/long"
	run dstream --max-line 100 -i "$T/long" map x
	assert_success
	assert_line "short"
	assert_line "after"
	assert_line --partial "$T/long:2: line longer than 100 bytes skipped"
	refute_line --regexp '^xxxx'
}

@test "a huge line (4 MiB) over the default limit is skipped, the rest kept" {
	{ echo one; head -c 4194304 /dev/zero | tr '\0' y; echo; echo three; } > "$T/huge"
	run dstream -i "$T/huge" count
	assert_success
	assert_line "2"
	assert_line --partial "huge:2: line longer than 1048576 bytes skipped"
}

@test "a line exactly at --max-line is accepted" {
	head -c 100 /dev/zero | tr '\0' z > "$T/edge"; echo >> "$T/edge"
	run dstream --max-line 100 -i "$T/edge" map 'len(x)'
	assert_output "100"
}

@test "-d sets a literal field separator" {
	run bash -c 'printf "a:b::d\n" | "$DSTREAM" -d : map "(\$2, \$3, \$4, NF)"'
	assert_output "$(printf 'b\t\td\t4')"
}

@test "default fields are runs of blanks, as awk" {
	run bash -c 'printf "  a \t b   c  \n" | "$DSTREAM" map "(\$1, \$3, NF)"'
	assert_output "$(printf 'a\tc\t3')"
}
