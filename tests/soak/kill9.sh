#!/bin/sh
# kill9.sh [KILLS] - the long kill -9 soak of --checkpoint (not run by
# make check).  In rounds: a pipeline over a 400k-line log (event time,
# an invertible window, updateStateByKey, -o FILE) is started again and
# again with the same command, each run killed with SIGKILL after a
# random 0 to SOAK_KILL_MS ms (default 400), until one run gets to the
# end by itself; then a last run with --final, whose -o file must be
# byte for byte the output of one uninterrupted run.  Half the rounds
# read a log that grows between the runs, by an arbitrary number of
# bytes (mostly cutting a line).  Stops after KILLS kills (default 300)
# and prints the figures.
#
#	DSTREAM=./dstream tests/soak/kill9.sh 500
set -u
D=${DSTREAM:-./dstream}
KILLS=${1:-300}
KILL_MS=${SOAK_KILL_MS:-400}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
awk 'BEGIN { for (i = 1; i <= 400000; i++)
    printf "%d k%d %d\n", 1763683200 + i, (i * 7919) % 101, i % 97 }' > "$W/big"
size=$(stat -c %s "$W/big")
# The command, in the foreground (run) or in the background (start: $!
# is dstream itself, not a subshell, so the kill reaches it).
run() {
	"$D" -e '$1' -b 1m -i "$W/log" --checkpoint "$W/ck" --checkpoint-every 0 \
	    -o "$W/out" -s "$@" map '($2, 0 + $3)' \
	    then reduceByKeyAndWindow sum 10m 2m \
	    then updateStateByKey '(state ?? 0) + sum(values)'
}
start() {
	"$D" -e '$1' -b 1m -i "$W/log" --checkpoint "$W/ck" --checkpoint-every 0 \
	    -o "$W/out" -s map '($2, 0 + $3)' \
	    then reduceByKeyAndWindow sum 10m 2m \
	    then updateStateByKey '(state ?? 0) + sum(values)' 2>> "$W/err" &
}
"$D" -e '$1' -b 1m -i "$W/big" -s map '($2, 0 + $3)' \
    then reduceByKeyAndWindow sum 10m 2m \
    then updateStateByKey '(state ?? 0) + sum(values)' > "$W/ref"
kills=0 rounds=0 good=0 bad=0 runs=0
while [ $kills -lt "$KILLS" ]; do
	rounds=$((rounds + 1))
	rm -rf "$W/ck" "$W/out"
	grow=$((rounds % 2))
	if [ $grow -eq 1 ]; then : > "$W/log"; else cp "$W/big" "$W/log"; fi
	while :; do
		if [ $grow -eq 1 ] && [ "$(stat -c %s "$W/log")" -lt "$size" ]; then
			have=$(stat -c %s "$W/log")
			want=$((have + 1 + $(od -An -N4 -tu4 /dev/urandom) % (size / 8)))
			[ "$want" -gt "$size" ] && want=$size
			head -c "$want" "$W/big" | tail -c +$((have + 1)) >> "$W/log"
		fi
		start
		pid=$!
		runs=$((runs + 1))
		sleep "$(od -An -N2 -tu2 /dev/urandom | awk -v m="$KILL_MS" '{ printf "%.3f", ($1 % m) / 1000 }')"
		if kill -9 $pid 2>/dev/null; then
			kills=$((kills + 1))
			wait $pid 2>/dev/null
		else
			wait $pid 2>/dev/null
			[ "$(stat -c %s "$W/log")" -eq "$size" ] && break
		fi
	done
	run --final 2>> "$W/err"
	if cmp -s "$W/ref" "$W/out"; then good=$((good + 1)); else
		bad=$((bad + 1)); cp "$W/out" "/tmp/kill9-bad-$rounds.out"
	fi
done
torn=$(grep -c 'removed checkpoint.tmp' "$W/err")
refused=$(grep -c 'remove .* to start afresh' "$W/err")
echo "rounds: $rounds ($good byte-identical to the uninterrupted run, $bad not)"
echo "runs: $runs, killed by SIGKILL: $kills"
echo "log: $(wc -l < "$W/big") lines, $size bytes; half the rounds growing it mid-line"
echo "torn checkpoints recovered: $torn; checkpoints refused: $refused"
[ $bad -eq 0 ]
