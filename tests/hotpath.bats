#!/usr/bin/env bats
# hotpath.bats - the hot path's shortcuts give the general path's answers
# (issue 10 item 14): fields swept from a blank mask (the last block read
# in place), `$i .. "k" .. $j` as a span of the text, the event-time
# cache of time(X), a web log's time read in its exact shape.  Each test
# puts a shortcut beside a way round it (a tree of another shape, awk).

bats_require_minimum_version 1.5.0
load test_helper

# Lines of 0 to 40 fields of 1 to 100 bytes, blanks of 1 to 80 spaces and
# tabs, leading and trailing blanks: field edges fall everywhere in and
# across the 64-byte blocks, and in the last block of every length.
fields_lines() {
	awk 'BEGIN {
	    srand(7)
	    for (i = 0; i < 3000; i++) {
		n = int(rand() * 41); line = ""
		if (rand() < 0.3) line = rand() < 0.5 ? " " : "\t \t"
		for (j = 0; j < n; j++) {
		    w = 1 + int(rand() * (rand() < 0.8 ? 12 : 100))
		    f = ""
		    for (k = 0; k < w; k++) f = f substr("abcxyz0123[]:/", 1 + int(rand() * 14), 1)
		    b = 1 + int(rand() * (rand() < 0.9 ? 2 : 80))
		    s = ""
		    for (k = 0; k < b; k++) s = s (rand() < 0.8 ? " " : "\t")
		    line = line f (j < n - 1 || rand() < 0.3 ? s : "")
		}
		print line
	    } }' >"$BATS_TEST_TMPDIR/f.txt"
}

@test "hot path: fields found from the blank mask are awk's (NF, \$1, \$2, \$9, \$NF, every field)" {
	fields_lines
	f=$BATS_TEST_TMPDIR/f.txt
	run dstream -i "$f" map 'NF'
	assert_success
	[ "$output" = "$(awk '{ print NF }' "$f")" ]
	for k in 1 2 9 33; do
		run dstream -i "$f" map "\$$k"
		assert_success
		[ "$output" = "$(awk -v k=$k '{ print $k }' "$f")" ]
	done
	run dstream -i "$f" map '$NF'
	assert_success
	[ "$output" = "$(awk '{ print NF ? $NF : "" }' "$f")" ]	# awk: $0
	run dstream -i "$f" map '$1 .. "|" .. $4 .. "|" .. $12 .. "|" .. $40'
	assert_success
	[ "$output" = "$(awk '{ print $1 "|" $4 "|" $12 "|" $40 }' "$f")" ]
}

@test "hot path: \$i .. \"k\" .. \$j gives what the other shape of tree gives" {
	fields_lines
	f=$BATS_TEST_TMPDIR/f.txt
	for e in '$4 .. " " .. $5' '$1 .. "  " .. $2' '$2 .. "x" .. $3' '$3 .. " " .. $2' '$1 .. " " .. $1' '$39 .. " " .. $40'; do
		other=$(echo "$e" | sed 's/\(\$[0-9]*\) \.\. \(".*"\) \.\. \(\$[0-9]*\)/\1 .. (\2 .. \3)/')
		[ "$other" != "$e" ]
		run dstream -i "$f" map "$e"
		assert_success
		want=$(dstream -i "$f" map "$other")
		[ "$output" = "$want" ]
	done
	# Empty fields with -d, and --csv, take the general path's answer too.
	printf 'a,,b\n,x,\n"q,r",s,t\n' >"$BATS_TEST_TMPDIR/c.txt"
	run dstream -d , -i "$BATS_TEST_TMPDIR/c.txt" map '$1 .. "," .. $2'
	assert_success
	assert_output $'a,\n,x\n"q,r"'
	run dstream --csv -i "$BATS_TEST_TMPDIR/c.txt" map '$1 .. "," .. $2'
	assert_success
	assert_output $'a,\n,x\nq,r,s'
}

@test "hot path: the event-time cache of time(X) keeps every record's time and error" {
	# Times that repeat, change, go back, are malformed or missing: the
	# counts and the records named in errors are those of
	# 0 + time(X), which the cache does not serve.
	awk 'BEGIN {
	    for (i = 0; i < 600; i++) {
		s = int(i / 7) % 60; if (i % 50 == 13) s = 59 - s
		if (i % 97 == 5) { print "x - - [21/Nov/2025:00:00:xx +0000] \"GET / HTTP/1.1\" 200 1"; continue }
		if (i % 101 == 7) { print "x - -"; continue }
		printf "x - - [21/Nov/2025:00:%02d:%02d +0000] \"GET / HTTP/1.1\" %d 1\n", i % 3, s, 200 + i % 4
	    } }' >"$BATS_TEST_TMPDIR/t.log"
	t=$BATS_TEST_TMPDIR/t.log
	dstream -e 'time($4 .. " " .. $5)' -w 1m -b 1m -i "$t" map '$9' then countByValue >"$t.got" 2>"$t.goterr"
	dstream -e '0 + time($4 .. " " .. $5)' -w 1m -b 1m -i "$t" map '$9' then countByValue >"$t.want" 2>"$t.wanterr"
	[ -s "$t.got" ]
	cmp "$t.got" "$t.want"
	grep -c 't.log:' "$t.goterr"
	[ "$(grep -o 't.log:[0-9]*' "$t.goterr")" = "$(grep -o 't.log:[0-9]*' "$t.wanterr")" ]
	grep -q 'gave null, not a time.*t.log:6)' "$t.goterr"
	grep -q '13 records in all' "$t.goterr"
}

@test "hot path: a web log's time in its exact shape, as the general reader says" {
	# The figures are those of the general reader (time_dmy), which
	# answered them before the exact shape was read directly: leap
	# second, lower and upper case, offsets, and the nulls of a bad day,
	# month, hour or offset.
	run dstream map 'time($0)' <<'EOF'
[29/Feb/2024:12:34:56 +0530]
[29/Feb/2023:12:34:56 +0530]
[31/Apr/2025:00:00:00 +0000]
[01/feb/2025:23:59:60 -2359]
[01/FEB/2025:23:59:59 +2400]
[01/Fex/2025:23:59:59 +0100]
[01/Feb/2025:23:59:59 +0160]
[01/Feb/2025:24:00:00 +0000]
[00/Dec/1999:00:00:00 +0000]
[07/May/2025:07:08:09 -0000]
07/May/2025:07:08:09 +0000
EOF
	assert_success
	assert_output $'1709190296\n\n\n1738540740\n\n\n\n\n\n1746601689\n1746601689'
}

@test "hot path: a context that takes the event-time fields and needs more gives awk's fields" {
	# The event time reads $1; the map takes those bounds and splits on
	# (to $9, $40, NF) from there, on lines of every shape; records held
	# for their batch (times that go back) are split again when pushed.
	fields_lines
	awk '{ t = int(NR / 10) - (NR % 13 == 0 ? 3 : 0); print t, $0 }' \
	    "$BATS_TEST_TMPDIR/f.txt" >"$BATS_TEST_TMPDIR/e.txt"
	e=$BATS_TEST_TMPDIR/e.txt
	run dstream -e '$1' -w 10s -b 1000d -i "$e" map '$2 .. "|" .. $9 .. "|" .. $40 .. "|" .. NF'
	assert_success
	[ "$(printf '%s\n' "$output" | sort)" = "$(awk '{ print $2 "|" $9 "|" $40 "|" NF }' "$e" | sort)" ]
	run dstream -e '$1' -w 10s -b 1000d -i "$e" map '$1 .. "|" .. $2' then map '$0 .. "|" .. $1'
	assert_success
	[ "$(printf '%s\n' "$output" | sort)" = "$(awk '{ print $1 "|" $2 "|" $1 "|" $2 }' "$e" | sort)" ]
}

@test "hot path: countByValue's memo of short keys counts as the table does" {
	# Keys of 1 to 16 bytes that differ in one byte anywhere, more than
	# the memo keeps (64) in some batches, long keys among them in
	# others (the memo goes off), over several batches: the counts of
	# awk, batch by batch.
	awk 'BEGIN {
	    srand(11)
	    split("a b ab ba aab aba baa abcd abXd abcde abXde abcdefgh abcXefgh abcdefgX Xbcdefgh abcdefghi abcdefgXi abcdefghijklmnop abcdefghijklmnoX Xbcdefghijklmnop abcdefgXijklmnop abcdefghXjklmnop", k, " ")
	    for (i = 0; i < 4000; i++) {
		t = int(i / 500)
		if (t % 3 == 1) key = "k" int(rand() * 100)
		else key = k[1 + int(rand() * 22)]
		if (t == 5 && i % 7 == 0) key = "a-key-longer-than-16-bytes-" i % 3
		print t, key
	    } }' >"$BATS_TEST_TMPDIR/k.txt"
	k=$BATS_TEST_TMPDIR/k.txt
	run dstream -e '$1' -b 1s -s -i "$k" map '$2' then countByValue
	assert_success
	# The batch ending at second t + 1 holds the records of second t.
	[ "$(printf '%s\n' "$output" | awk -F'\t' '{ print substr($1, 18, 2) - 1, $2, $3 }' | sort)" = \
	    "$(awk '{ n[$1 " " $2]++ } END { for (x in n) print x, n[x] }' "$k" | sort)" ]
}
