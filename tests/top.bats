#!/usr/bin/env bats
# top.bats - -f top on a terminal (a pseudo-terminal made by
# tests/top_pty.py): the latest batch redrawn in place, sorted by value,
# with sparklines, cut to the terminal's size and redrawn after it
# changes, at most 10 frames a second, the terminal restored at the end
# and after SIGINT; plain output when stdout is not a terminal.

load test_helper

ESC=$'\033'
ENTER="$ESC[?1049h$ESC[?25l"
LEAVE="$ESC[?25h$ESC[?1049l"

# on_pty ROWS COLS [OPTIONS] -- CMD...: runs CMD on a terminal of that
# size; what it printed in $TTY_OUT, "status N" and "seconds S" in output.
on_pty() {
	TTY_OUT=$BATS_TEST_TMPDIR/tty
	run python3 "$SRCDIR/tests/top_pty.py" "$TTY_OUT" "$@"
}

# frames: how many frames were drawn (each starts at the cursor's home).
frames() {
	grep -oF "$ESC[H" "$TTY_OUT" | wc -l
}

# last_frame: the text of the last frame drawn on the alternate screen.
last_frame() {
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
d = d.split("\x1b[?25h\x1b[?1049l")[0]
f = d.split("\x1b[H")[-1]
f = f.replace("\x1b[K", "").replace("\x1b[J", "").replace("\r", "")
print(f.rstrip("\n"))' "$TTY_OUT"
}

# after_leave: what was printed after leaving the alternate screen.
after_leave() {
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
print(d.split("\x1b[?25h\x1b[?1049l", 1)[1].replace("\r", "").rstrip("\n"))' "$TTY_OUT"
}

# keys N [PAUSE [FLAG]]: lines "kI" I+B+1 times for I below N, for B =
# 1, 2, 3, PAUSE seconds (default 0.3) after each; with FLAG, batch 2
# waits (at most 30 s) for the file FLAG first.  Each batch is one write
# (under PIPE_BUF), so a busy host cannot split it across two batches.
keys() {
	local b i j
	for b in 1 2 3; do
		for ((i = 0; i < $1; i++)); do
			for ((j = 0; j <= i + b; j++)); do
				echo "k$i"
			done
		done >"$BATS_TEST_TMPDIR/batch$b"
	done
	{
		echo "cat $BATS_TEST_TMPDIR/batch1"
		if [ -n "${3:-}" ]; then
			echo "i=0"
			echo "while [ ! -e '$3' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i + 1)); done"
		fi
		echo "sleep ${2:-0.3}"
		echo "cat $BATS_TEST_TMPDIR/batch2"
		echo "sleep ${2:-0.3}"
		echo "cat $BATS_TEST_TMPDIR/batch3"
		echo "sleep ${2:-0.3}"
	} >"$BATS_TEST_TMPDIR/gen.sh"
	echo "sh $BATS_TEST_TMPDIR/gen.sh"
}

@test "top: the latest batch as a table sorted by value, sparklines, then restored" {
	on_pty 24 80 -- sh -c "$(keys 5) | '$DSTREAM' -b 100ms -f top countByValue"
	assert_line 'status 0'
	run grep -cF "$ENTER" "$TTY_OUT"
	assert_output 1
	run grep -cF "$LEAVE" "$TTY_OUT"
	assert_output 1
	[ "$(frames)" -ge 2 ]
	# The last frame drawn: the last batch, empty.
	run last_frame
	assert_line --index 0 --regexp '^dstream top  [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}  0 rows$'
	assert_line --index 2 '(no rows)'
	# Frames with rows, largest first.
	grep -aqF "KEY  VALUE  TREND$ESC[K" "$TTY_OUT"
	grep -aqE "k4 +8  [▁▂▃▄▅▆▇█]+$ESC\[K" "$TTY_OUT"
	# After leaving the alternate screen the final table stays.
	run after_leave
	assert_line --index 1 --regexp '^KEY +VALUE  TREND$'
	assert_line --index 2 --regexp '^k4 +8  [▁▂▃▄▅▆▇█]+$'
	assert_line --index 3 --regexp '^k3 +7  [▁▂▃▄▅▆▇█]+$'
	assert_line --index 6 --regexp '^k0 +4  [▁▂▃▄▅▆▇█]+$'
	# Three batches with rows: the sparkline rises across them.
	assert_line --index 2 --regexp '^k4 +8  .*▁.*█$'
}

@test "top: cut to the terminal's size, and redrawn to its new size after SIGWINCH" {
	# The terminal grows once a frame at 8 rows was drawn ("... N more"),
	# and the next batches wait for that: no race with a busy host.
	# Half-second batches: no frame is skipped for the rate limit.
	on_pty 8 40 --winch-on ' more' 14 40 "$BATS_TEST_TMPDIR/resized" -- sh -c "$(keys 20 0.6 "$BATS_TEST_TMPDIR/resized") | '$DSTREAM' -b 500ms -f top countByValue"
	assert_line 'status 0'
	python3 - "$TTY_OUT" <<'PY'
import sys
d = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
d = d.split("\x1b[?25h\x1b[?1049l")[0]
frames = [f for f in d.split("\x1b[H")[1:]]
def lines(f):
    return f.replace("\x1b[J", "").split("\r\n")
small = [f for f in frames if "k19" in f]
assert frames, "no frame"
for f in frames:
    ls = lines(f)
    assert all(len(l.replace("\x1b[K", "")) <= 40 * 3 for l in ls)
# 8 rows: header, column names, 5 rows, "... N more"
assert any(len(lines(f)) == 8 and "more" in lines(f)[-1] for f in frames), [lines(f) for f in frames]
# the last batch, after the resize to 14 rows: 11 rows and the "more" line
assert any(len(lines(f)) == 14 and "more" in lines(f)[-1] for f in frames), [len(lines(f)) for f in frames]
PY
}

@test "top: at most 10 frames a second however fast batches end" {
	on_pty 24 80 -- sh -c "i=0; while [ \$i -lt 40 ]; do echo \$i; i=\$((i+1)); sleep 0.05; done | '$DSTREAM' -b 10ms -f top countByValue"
	assert_line 'status 0'
	secs=$(printf '%s\n' "$output" | sed -n 's/^seconds //p')
	n=$(frames)
	[ "$n" -ge 1 ]
	python3 -c "import sys; n, s = $n, $secs; sys.exit(0 if n <= s * 10 + 2 else 1)" ||
	    fail "$n frames in $secs s"
}

@test "top: SIGINT restores the terminal and leaves the last table" {
	on_pty 24 80 --sigint 1.2 -- sh -c "(echo a; echo b; echo a; sleep 30) | exec '$DSTREAM' -b 100ms -f top countByValue"
	run grep -cF "$LEAVE" "$TTY_OUT"
	assert_output 1
	run after_leave
	assert_line --index 1 --regexp '^KEY +VALUE  TREND$'
}

@test "top: control characters in keys are not sent to the terminal" {
	on_pty 24 80 -- sh -c "printf '\\033]0;title\\007x\\n\\033[31mred\\n' | '$DSTREAM' -b 100ms -f top countByValue"
	assert_line 'status 0'
	run after_leave
	assert_output --partial '?]0;title?x'
	assert_output --partial '?[31mred'
	run grep -cF "$ESC[31m" "$TTY_OUT"
	assert_output 0
}

@test "top: plain output when stdout is not a terminal" {
	printf 'a\nb\na\n' >"$BATS_TEST_TMPDIR/in"
	run dstream -f top countByValue "$BATS_TEST_TMPDIR/in"
	run sh -c "'$DSTREAM' -f top countByValue <'$BATS_TEST_TMPDIR/in'"
	assert_success
	want=$("$DSTREAM" -f plain countByValue <"$BATS_TEST_TMPDIR/in")
	assert_output "$want"
	run sh -c "'$DSTREAM' -f top -o '$BATS_TEST_TMPDIR/o' countByValue <'$BATS_TEST_TMPDIR/in' && cat '$BATS_TEST_TMPDIR/o'"
	assert_output "$want"
}
