# sql_helper.bash - what sql.bats and sql_pg.bats share: the kill -9
# loop over a SQL destination and its data.

# sql_kill_data: writes $T/big, 100000 lines "EPOCH kN V" a second apart,
# and sets PIPE to a pipeline over it with a window and updateStateByKey.
sql_kill_data() {
	awk 'BEGIN { for (i = 1; i <= 100000; i++)
	    printf "%d k%d %d\n", 1763683200 + i, (i * 7919) % 13, i % 97 }' > "$T/big"
	PIPE=(-e '$1' -b 1m -i "$T/big" map '($2, 0 + $3)' then reduceByKeyAndWindow sum 10m 2m
	    then updateStateByKey '(state ?? 0) + sum(values)')
}

# kill_loop N DEST ARGS...: N runs of dstream ARGS -o DEST with a
# checkpoint at every batch, each killed with SIGKILL after 0 to 80 ms.
kill_loop() {
	local n=$1 dest=$2 pid i
	shift 2
	for i in $(seq 1 "$n"); do
		"$DSTREAM" --checkpoint "$T/ck" --checkpoint-every 0 -o "$dest" "$@" 2>> "$T/err" &
		pid=$!
		sleep "0.0$((RANDOM % 9))"
		kill -9 "$pid" 2> /dev/null || true
		wait "$pid" || true
	done
}
