# sql_helper.bash - what sql.bats and sql_pg.bats share: the kill -9
# loop over a SQL destination and its data, and the resume from a
# database's checkpoint newer than the folder's.

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

# db_checkpoint_newer DEST: two runs over a growing file with
# --checkpoint, the folder's checkpoint then put back to the first run's
# (a crash after the database's commit, before the folder's write), and
# a third run, which must resume from the database's newer checkpoint
# (the caller checks that every record was counted once: 200000).
db_checkpoint_newer() {
	seq 1 100000 > "$T/grow"
	run dstream --checkpoint "$T/ck" -o "$1" -b 10ms -i "$T/grow" count
	assert_success
	cp -a "$T/ck" "$T/ck.old"
	seq 100001 200000 >> "$T/grow"
	run dstream --checkpoint "$T/ck" -o "$1" -b 10ms -i "$T/grow" count
	assert_success
	rm -rf "$T/ck"
	mv "$T/ck.old" "$T/ck"
	run dstream --checkpoint "$T/ck" -o "$1" -b 10ms -i "$T/grow" count
	assert_success
}
