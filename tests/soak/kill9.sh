#!/bin/sh
# kill9.sh [KILLS] - the long kill -9 soak of --checkpoint (not run by
# make check): a pipeline over a growing log is killed with SIGKILL at
# random moments KILLS times (default 300), the log growing by an
# arbitrary number of bytes (mostly cutting a line) every few kills;
# then the rest of the log and one last run with --final.  Its -o file must be byte for byte the
# output of one uninterrupted run.  Prints the figures: kills, of which
# after at least one checkpoint, runs that finished before their kill,
# checkpoints found torn (checkpoint.tmp removed at resume), and the
# comparison.
#
#	DSTREAM=./dstream tests/soak/kill9.sh 500
set -u
D=${DSTREAM:-./dstream}
KILLS=${1:-300}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
awk 'BEGIN { for (i = 1; i <= 400000; i++)
    printf "%d k%d %d\n", 1763683200 + i, (i * 7919) % 101, i % 97 }' > "$W/big"
run() {
	"$D" -e '$1' -b 1m -i "$W/log" --checkpoint "$W/ck" --checkpoint-every 0 \
	    -o "$W/out" -s "$@" map '($2, 0 + $3)' \
	    then reduceByKeyAndWindow sum 10m 2m \
	    then updateStateByKey '(state ?? 0) + sum(values)'
}
"$D" -e '$1' -b 1m -i "$W/big" -s map '($2, 0 + $3)' \
    then reduceByKeyAndWindow sum 10m 2m \
    then updateStateByKey '(state ?? 0) + sum(values)' > "$W/ref"
size=$(stat -c %s "$W/big")
: > "$W/log"
k=0 finished=0 grown=0
while [ $k -lt "$KILLS" ]; do
	if [ $((k % 4)) -eq 0 ]; then
		have=$(stat -c %s "$W/log")
		want=$((have + 1 + $(od -An -N4 -tu4 /dev/urandom) % (size / 30)))
		[ "$want" -gt "$size" ] && want=$size
		head -c "$want" "$W/big" | tail -c +$((have + 1)) >> "$W/log"
		grown=$((grown + 1))
	fi
	run 2>> "$W/err" &
	pid=$!
	# Mostly within the run's work (a few tens of ms on an idle machine).
	sleep "0.$(od -An -N2 -tu2 /dev/urandom | awk '{ printf "%03d", $1 % 80 }')"
	if kill -9 $pid 2>/dev/null; then :; else finished=$((finished + 1)); fi
	wait $pid 2>/dev/null
	k=$((k + 1))
done
head -c "$size" "$W/big" | tail -c +$(($(stat -c %s "$W/log") + 1)) >> "$W/log"
run --final 2>> "$W/err"
rc=$?
torn=$(grep -c 'removed checkpoint.tmp' "$W/err")
refused=$(grep -c 'remove .* to start afresh' "$W/err")
echo "runs: $KILLS, killed by SIGKILL while running: $((KILLS - finished)), finished before their kill: $finished"
echo "log grown $grown times, $(wc -l < "$W/big") lines, $size bytes"
echo "torn checkpoints recovered: $torn; checkpoints refused: $refused"
echo "final run status: $rc; output lines: $(wc -l < "$W/out") (reference $(wc -l < "$W/ref"))"
if cmp -s "$W/ref" "$W/out"; then
	echo "output: byte-identical to the uninterrupted run"
else
	echo "output: DIFFERS"; cmp "$W/ref" "$W/out"; exit 1
fi
