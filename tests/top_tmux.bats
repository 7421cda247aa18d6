#!/usr/bin/env bats
# top_tmux.bats - -f top in a real terminal emulator: tmux (a private
# server on a socket in the test's folder) runs dstream in a pane; the
# test reads the screen with capture-pane, resizes the window and types
# Ctrl-C with send-keys.  Event time holds one batch on the screen: the
# records of [60, 120) s are shown once a record at 121 s closes it, and
# nothing ends the next batch.  (tests/top.bats checks the bytes written
# on a pseudo-terminal.)

load test_helper
load live_helper

# tmux ARGS...: the test's own tmux server.
tmux() {
	# Without fd 7: the server must not hold the FIFO open.
	command tmux -S "$BATS_TEST_TMPDIR/tmux.sock" -f /dev/null "$@" 7>&-
}

# in_pane ROWS COLS DSTREAM-ARGS...: dstream ARGS -f top reading the FIFO
# the test writes to (fd 7), in a window of ROWS x COLS; when it ends
# the pane says "status N" and stays.
in_pane() {
	local rows=$1 cols=$2
	shift 2
	# What wait_until shows when it times out: the screen, stderr.
	OUT=$BATS_TEST_TMPDIR/screen
	ERR=$BATS_TEST_TMPDIR/err
	: >"$OUT"
	: >"$ERR"
	mkfifo "$BATS_TEST_TMPDIR/in"
	# Read-write: opening does not wait for dstream.
	exec 7<>"$BATS_TEST_TMPDIR/in"
	{
		# A handler, not an ignore: dstream gets SIGINT's default.
		echo "trap 'true' INT"
		printf "'%s' -f top" "$DSTREAM"
		printf " '%s'" "$@"
		printf " <'%s' 2>'%s'\n" "$BATS_TEST_TMPDIR/in" "$ERR"
		echo 'echo "status $?"'
		echo 'sleep 120'
	} >"$BATS_TEST_TMPDIR/run.sh"
	tmux new-session -d -s top -x "$cols" -y "$rows" \
	    "sh '$BATS_TEST_TMPDIR/run.sh'"
}

# screen: the pane's visible text.
screen() {
	tmux capture-pane -p -t top
}

# shows REGEX: the pane has a line matching REGEX (extended).
shows() {
	screen >"$OUT"
	grep -qE "$1" "$OUT"
}

# pane FORMAT: a tmux format of the pane (#{alternate_on}...).
pane() {
	tmux display-message -p -t top "$1"
}

teardown() {
	exec 7>&- 2>/dev/null || true
	command tmux -S "$BATS_TEST_TMPDIR/tmux.sock" kill-server 2>/dev/null || true
}

@test "top in tmux: the batch drawn sorted on the alternate screen; Ctrl-C restores the terminal" {
	in_pane 15 60 -e '$1' -w 0s -b 1m map '$2' then countByValue
	printf '60 a\n61 b\n62 a\n63 c\n64 a\n65 b\n121 z\n' >&7
	wait_until shows '^c +1 '
	run screen
	assert_line --index 0 --regexp '^dstream top  [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}  3 rows$'
	assert_line --index 1 --regexp '^KEY +VALUE  TREND$'
	assert_line --index 2 --regexp '^a +3  [▁▂▃▄▅▆▇█]$'
	assert_line --index 3 --regexp '^b +2  [▁▂▃▄▅▆▇█]$'
	assert_line --index 4 --regexp '^c +1  [▁▂▃▄▅▆▇█]$'
	[ "$(pane '#{alternate_on}')" = 1 ]
	[ "$(pane '#{cursor_flag}')" = 0 ]
	# Ctrl-C typed in the pane: the terminal's SIGINT.
	tmux send-keys -t top C-c
	wait_until shows '^status [0-9]+$'
	[ "$(pane '#{alternate_on}')" = 0 ]
	[ "$(pane '#{cursor_flag}')" = 1 ]
	# The last table stays on the normal screen: a stop emits the batch
	# in hand (z's).
	run screen
	assert_line --index 0 --regexp '^dstream top  .*  1 row$'
	assert_line --index 1 --regexp '^KEY +VALUE  TREND$'
	assert_line --index 2 --regexp '^z +1  [▁▂▃▄▅▆▇█]$'
	assert_line 'status 0'
}

@test "top in tmux: cut to the window, redrawn at once when it is resized" {
	in_pane 8 40 -e '$1' -w 0s -b 1m map '$2' then countByValue
	awk 'BEGIN { for (i = 0; i < 20; i++) for (j = 0; j <= i; j++) print 60 + j, "k" i; print "121 z" }' >&7
	wait_until shows 'more'
	run screen
	# Header, column names, 5 rows, "... N more": 8 lines.
	assert_line --index 0 --regexp '^dstream top  [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}  20 ro'

	assert_line --index 2 --regexp '^k19 +20  '
	assert_line --index 6 --regexp '^k15 +16  '
	assert_line --index 7 --regexp 'more'
	refute_line --regexp '^k14 '
	tmux resize-window -t top -x 40 -y 14
	wait_until shows '^k9 +10  '
	run screen
	assert_line --index 12 --regexp '^k9 +10  '
	assert_line --index 13 --regexp 'more'
	# Every line fits the width, counted in characters (a cut line ends
	# in the three bytes of ...; mawk's length counts bytes).
	run bash -c "export LC_ALL=C.UTF-8; tmux -S '$BATS_TEST_TMPDIR/tmux.sock' capture-pane -p -t top |
	    while IFS= read -r l; do [ \${#l} -le 40 ] || printf '%s\\n' \"\$l\"; done"
	assert_output ''
	# The input ending ends the run: status 0, the screen restored.
	exec 7>&-
	wait_until shows '^status [0-9]+$'
	assert [ "$(pane '#{alternate_on}')" = 0 ]
	run screen
	assert_line 'status 0'
}

@test "top in tmux: a batch that ends within a frame of the last drawing is drawn once its slot comes, not at the next batch" {
	in_pane 15 60 -e '$1' -w 0s -b 1m map '$2' then countByValue
	# Two batches end in one read: [60, 120) is drawn at once, [120,
	# 180) waits for the next frame's slot (10 a second), and nothing
	# more comes to end another batch.
	printf '60 a\n61 a\n121 z\n181 y\n' >&7
	wait_until shows '^z +1 '
	run screen
	assert_line --index 0 --regexp '^dstream top  .*  1 row$'
	refute_line --regexp '^a '
}
