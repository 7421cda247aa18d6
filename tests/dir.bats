#!/usr/bin/env bats
# dir.bats - dir://PATH, Spark's textFileStream: files moved into the
# folder are read once each; dotfiles are ignored; files present at start
# are ignored unless --from-start; with inotify and with polling.

load test_helper
load live_helper

setup() {
	D=$BATS_TEST_TMPDIR/in
	STAGE=$BATS_TEST_TMPDIR/stage
	mkdir -p "$D" "$STAGE"
}

# drop NAME FROM TO: writes "NAME N" lines elsewhere, moves the file in.
drop() {
	seq -f "$1 %g" "$2" "$3" >"$STAGE/$1"
	mv "$STAGE/$1" "$D/$1"
}

moved_in() {
	start_dstream -i "dir://$D" --batch 100ms count
	sleep 0.3
	drop a 1 10
	wait_until sum_is 10
	drop b 1 25
	drop c 1 5
	wait_until sum_is 40
	# Written in place and closed (cp) also counts, once, with inotify
	# (IN_CLOSE_WRITE); polling promises only files moved in whole, and
	# could catch a copy half-written.
	local cp=0
	if [ -z "${DSTREAM_NO_INOTIFY:-}" ]; then
		seq 1 7 >"$STAGE/d"
		cp "$STAGE/d" "$D/d"
		cp=7
		wait_until sum_is $((40 + cp))
	fi
	# A file read once is not read again when touched or appended to.
	echo more >>"$D/a"
	touch "$D/b"
	sleep 1.5
	[ "$(out_sum)" -eq $((40 + cp)) ]
	# A file gone and a new one under the same name is new.
	rm "$D/c"
	sleep 1.2
	drop c 1 3
	wait_until sum_is $((43 + cp))
	sleep 0.3
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	[ "$(out_sum)" -eq $((43 + cp)) ]
}

@test "dir://: files moved in are read once each" {
	moved_in
}

@test "dir://: files moved in, polling" {
	export DSTREAM_NO_INOTIFY=1
	moved_in
}

@test "dir://: names starting with a dot are ignored" {
	start_dstream -i "dir://$D" --batch 100ms count
	sleep 0.3
	seq 1 9 >"$D/.part"
	sleep 1.2
	[ "$(out_sum)" -eq 0 ]
	# The usual way in: write a dotfile, rename it.
	mv "$D/.part" "$D/whole"
	wait_until sum_is 9
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
}

@test "dir://: files present at start are ignored" {
	seq 1 4 >"$D/old"
	start_dstream -i "dir://$D" --batch 100ms count
	sleep 0.3
	drop new 1 6
	wait_until sum_is 6
	sleep 1.2
	stop_dstream
	[ "$(out_sum)" -eq 6 ]
}

@test "dir://: --from-start reads the files present at start, oldest first" {
	seq -f 'old %g' 1 2 >"$D/z-older"
	touch -d '2020-01-01' "$D/z-older"
	seq -f 'new %g' 1 3 >"$D/a-newer"
	touch -d '2021-01-01' "$D/a-newer"
	echo hidden >"$D/.hidden"
	start_dstream --from-start -i "dir://$D" --batch 100ms map '$0'
	wait_until eval '[ "$(wc -l <"$OUT")" -ge 5 ]'
	drop c 1 1
	wait_until out_has 'c 1'
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	run cat "$OUT"
	assert_output "$(printf 'old 1\nold 2\nnew 1\nnew 2\nnew 3\nc 1')"
}

@test "dir://: the last line of a file without a newline counts" {
	start_dstream -i "dir://$D" --batch 100ms map 'len($0)'
	sleep 0.3
	printf 'ab\ncde' >"$STAGE/f"
	mv "$STAGE/f" "$D/f"
	wait_until out_has '^3$'
	stop_dstream
	run cat "$OUT"
	assert_output "$(printf '2\n3')"
}

@test "dir://: a folder that does not exist is an error at start" {
	run dstream -i "dir://$BATS_TEST_TMPDIR/nope" count
	assert_failure
	assert_output --partial 'nope: No such file or directory'
}

@test "dir://: a file's lines are one batch, named by the file in messages" {
	start_dstream -i "dir://$D" --batch 10ms --max-line 10 count
	sleep 0.3
	{ seq 1 100000; echo 'this line is too long'; } >"$STAGE/big"
	mv "$STAGE/big" "$D/big"
	wait_until sum_is 100000
	stop_dstream
	run grep -x 100000 "$OUT"
	assert_success
	run cat "$ERR"
	assert_output --partial "$D/big:100001: line longer than 10 bytes"
}
