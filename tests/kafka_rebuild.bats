#!/usr/bin/env bats
# kafka_rebuild.bats - event-time windows in a Kafka consumer group when
# partitions move (issue 12 item 2): a member whose partitions change
# drops its window state and reads its partitions again from the offset
# the group holds for them (a window's length back), emitting only the
# windows after the last one emitted there (the commit's "e=" metadata),
# so the members' outputs together hold every (key, window end) row
# exactly once, with the value one process reading the whole topic
# gives.  Against librdkafka's mock cluster (tests/kafka-mock); every
# wait is bounded.
#
# How the tests drive the group.  The mock's group coordinator refuses
# every offset commit while its group is joining or syncing
# (rd_kafka_mock_cgrp_check_state), where a Kafka broker takes the
# current generation's: a commit cut off that way would make a new owner
# start from an older offset for reasons that are the mock's, not
# dstream's.  So records are produced only while the group is stable:
# each member runs with -X debug=cgrp and the group is taken as stable
# when every member's last join state is "steady" and stays so, with no
# new rebalance, for a second (settled, below); before members come or
# go the test waits until the outputs show the last wave's windows and
# each member's last offset commit, made just after a batch is written,
# has been answered with success (written, below).
#
# The data: a topic of NP partitions, keys k0..k(2*NP-1), key kN in
# partition N % NP (explicit partitions, the key set too), messages
# "T kN V" with event time T (seconds) and V small numbers, each wave in
# time order in every partition; --idle 1h, so only records move the
# watermark.  The chain: reduceByKeyAndWindow sum 30s 10s over (kN, V).
# A live test ends with one record far later in every partition (time
# 1000), which closes every real window naturally (a stop would emit
# forced partial windows); rows are compared up to the last real window.
# The reference: one process over the whole topic (offset=beginning,
# until=end, no group), the same chain.

load test_helper
load live_helper
load kafka_helper

setup_file() { kafka_setup_file; }
teardown_file() { kafka_teardown_file; }
setup() { cd "$BATS_TEST_TMPDIR"; }

GROUP_X=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
EVENT=(-e '$1' -b 10s -f json)
CHAIN=(map '($2, $3)' then reduceByKeyAndWindow sum 30s 10s)

# iso S: epoch second S as the output's window ends are written.
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# member N TOPIC GROUP ARGS...: member N of GROUP over TOPIC in the
# background, its rows appended to outN, its stderr (librdkafka's group
# log included) in errN; ARGS are more options and the chain.  With CK
# set, it keeps its checkpoint in ckN (--checkpoint); with RESUME set,
# outN is kept (the run cuts it back to its checkpoint's length) and the
# stderr of the run before is moved to errN.K, K counting the runs.
member() {
	local n=$1 topic=$2 group=$3 ck=() k=1
	shift 3
	if [ -n "${RESUME:-}" ]; then
		while [ -e "err$n.$k" ]; do k=$((k + 1)); done
		mv "err$n" "err$n.$k"
	else
		: >"out$n"
	fi
	[ -z "${CK:-}" ] || ck=(--checkpoint "ck$n")
	"$DSTREAM" "${GROUP_X[@]}" -X debug=cgrp \
	    -i "kafka://$BROKERS/$topic?group=$group&offset=beginning" \
	    "${ck[@]}" -o "out$n" "$@" 2>"err$n" &
	MPID[$n]=$!
	PEERS="${PEERS:-} $!"
}

# event_member N TOPIC GROUP ARGS...: member N in event time with the
# chain; ARGS are more options.
event_member() {
	local n=$1 topic=$2 group=$3
	shift 3
	member "$n" "$topic" "$group" "${EVENT[@]}" --idle 1h "$@" "${CHAIN[@]}"
}

# steadies N: how many times member N's group membership became steady.
steadies() {
	grep -c 'changed join state .* -> steady' "err$1" 2>/dev/null || true
}

# steady N: member N's last join state is steady.
steady() {
	grep 'CGRPJOINSTATE' "err$1" 2>/dev/null | tail -1 | grep -q -- '-> steady'
}

# settled N...: members N... are all steady and stay so, without another
# rebalance, for a second.
settled() {
	local n before after
	for n; do steady "$n" || return 1; done
	before=$(for n; do steadies "$n"; done)
	sleep 1
	for n; do steady "$n" || return 1; done
	after=$(for n; do steadies "$n"; done)
	[ "$before" = "$after" ]
}

# counts N...: how many times each member N became steady, as "N:C ...".
# rebalanced COUNTS N...: each member of COUNTS has become steady more
# times since, and members N... are settled.
counts() {
	local n
	for n; do printf '%s:%s ' "$n" "$(steadies "$n")"; done
}
rebalanced() {
	local c n
	for c in $1; do
		n=${c%%:*}
		[ "$(steadies "$n")" -gt "${c#*:}" ] || return 1
	done
	shift
	settled "$@"
}

# joins OLD START N ARGS...: member N starts (START N ARGS...: member or
# event_member) and waits (bounded) until the group has dealt partitions
# again: each of members OLD ("1 2") became steady once more, and all
# are settled.
joins() {
	local old=$1 n=$3 c
	c=$(counts $old)
	"${@:2}"
	OUT=out$n ERR=err$n wait_until rebalanced "$c" $old "$n"
}

# wait_settled N...: waits until members N... are settled (bounded); the
# first one's files are shown if not.
wait_settled() {
	OUT=out$1 ERR=err$1 wait_until settled "$@"
}

# committed N...: each member N's last offset commit has been answered,
# with success (librdkafka's group log).
committed() {
	local n
	for n; do
		grep -E 'Committing offsets|OffsetCommit for' "err$n" 2>/dev/null |
		    tail -1 | grep -q 'returned: Success' || return 1
	done
}

# written END N...: each member N has written the rows of the window
# ending at second END and committed after them: a second for the commit
# to begin (it follows the batch's write), then its answer (bounded).
written() {
	local end=$1
	shift
	wait_end "$end" "$@"
	sleep 1
	OUT=out$1 ERR=err$1 wait_until committed "$@"
}

# wave TOPIC NP FROM TO: records at times FROM..TO, in each of the NP
# partitions, one a second for each of its two keys.
wave() {
	local topic=$1 np=$2 from=$3 to=$4 p t j n msgs
	for ((p = 0; p < np; p++)); do
		msgs=()
		for ((t = from; t <= to; t++)); do
			for ((j = 0; j < 2; j++)); do
				n=$((p + np * j))
				msgs+=("$(printf 'k%d\t%d k%d %d' "$n" "$t" "$n" \
				    $(((5 * t + 3 * n + t / 3) % 9 + 1)))")
			done
		done
		kafka_produce "$topic" "$p" "${msgs[@]}"
	done
}

# wave_lines NP FROM TO: the records of wave NP FROM TO as lines, in time
# order.
wave_lines() {
	local np=$1 from=$2 to=$3 p t j n
	for ((t = from; t <= to; t++)); do
		for ((p = 0; p < np; p++)); do
			for ((j = 0; j < 2; j++)); do
				n=$((p + np * j))
				echo "$t k$n $(((5 * t + 3 * n + t / 3) % 9 + 1))"
			done
		done
	done
}

# closing TOPIC NP: one record at time 1000 in each partition, so that
# every window before it closes.
closing() {
	local p
	for ((p = 0; p < $2; p++)); do
		kafka_produce "$1" "$p" "$(printf 'k%d\t1000 k%d 1' "$p" "$p")"
	done
}

# has_end END N...: each member N has written a row of the window ending
# at second END.
has_end() {
	local e n
	e=$(iso "$1")
	shift
	for n; do grep -q "\"time\":\"$e\"" "out$n" 2>/dev/null || return 1; done
}

# wait_end END N...: waits until has_end END N... (bounded).
wait_end() {
	OUT=out$2 ERR=err$2 wait_until has_end "$@"
}

# reference TOPIC NP LAST [CLOSED]: one process over the whole topic, the
# same chain, into ref; checked against the chain over the lines
# produced (waves 1..LAST, the lines of the file extra if any, and the
# closing records unless CLOSED is "open") read from a pipe, in time
# order, so that the reference holds every record.
reference() {
	local p
	run timeout 60 "$DSTREAM" "${EVENT[@]}" \
	    -i "kafka://$BROKERS/$1?offset=beginning&until=end" "${CHAIN[@]}"
	assert_success
	printf '%s\n' "$output" >ref
	{
		wave_lines "$2" 1 "$3"
		[ ! -f extra ] || cat extra
		if [ "${4:-}" != open ]; then
			for ((p = 0; p < $2; p++)); do echo "1000 k$p 1"; done
		fi
	} | sort -s -n -k1,1 | "$DSTREAM" "${EVENT[@]}" "${CHAIN[@]}" |
	    LC_ALL=C sort >ref.pipe
	run diff ref.pipe <(LC_ALL=C sort ref)
	assert_success
}

# rows_upto END FILE...: the rows of FILEs whose window ends at second END
# or before, sorted.
rows_upto() {
	local c
	c=$(iso "$1")
	shift
	cat "$@" | awk -v c="$c" 'substr($0, 10, 20) <= c' | LC_ALL=C sort
}

# exact_union END N...: the rows of members N... up to END, together,
# are the reference's (as sorted multisets): none missing, none twice,
# the same values.  The diff is shown when not.
exact_union() {
	local end=$1 n files=()
	shift
	for n; do files+=("out$n"); done
	rows_upto "$end" ref >want
	rows_upto "$end" "${files[@]}" >got
	[ "$(wc -l <want)" -gt 0 ]
	run diff want got
	assert_success
}

# stop_members N...: SIGTERM to members N..., each waited for (bounded).
stop_members() {
	local n
	for n; do kill -TERM "${MPID[$n]}" 2>/dev/null || true; done
	for n; do wait_pid "${MPID[$n]}"; done
}

# alone TOPIC NP GROUP LAST ARGS...: a topic of NP partitions, member 1
# alone in the group (ARGS: more options), records 1..LAST read, the
# windows up to 20 written and committed.
alone() {
	local topic=$1 np=$2 group=$3 last=$4
	shift 4
	kafka_setup
	kafka_cmd create "$topic" "$np"
	LIVE_TIMEOUT=60
	event_member 1 "$topic" "$group" "$@"
	wait_settled 1
	wave "$topic" "$np" 1 "$last"
	written 20 1
}

# joined TOPIC GROUP ARGS...: member 1 alone reads a wave that ends
# mid-window (1..24: the window ending at 30 is open), member 2 joins and
# takes partitions, two more waves, then the end; ARGS are the members'
# more options.
joined() {
	local topic=$1 group=$2
	shift 2
	alone "$topic" 4 "$group" 24 "$@"
	joins 1 event_member 2 "$topic" "$group" "$@"
	wave "$topic" 4 25 54
	wait_end 50 1 2
	wave "$topic" 4 55 84
	wait_end 80 1 2
	closing "$topic" 4
	wait_end 110 1 2
	reference "$topic" 4 84
	stop_members 1 2
}

@test "kafka rebuild: a member joins mid-window (eager assignor): the members' rows together are exactly one process's" {
	joined rb-join g-join
	exact_union 110 1 2
}

@test "kafka rebuild: a member joins mid-window (cooperative-sticky): the members' rows together are exactly one process's" {
	joined rb-coop g-coop -X partition.assignment.strategy=cooperative-sticky
	exact_union 110 1 2
}

@test "kafka rebuild: record operators only (map), a member joins (cooperative-sticky): each record's row once" {
	# Rows of the batch in hand are not written before its flush, so a
	# rebuild leaves no batch begun and the replay writes none again.
	local x=(-X partition.assignment.strategy=cooperative-sticky)
	CHAIN=(map '($2, $3)')
	alone rb-map 4 g-map 24 "${x[@]}"
	joins 1 event_member 2 rb-map g-map "${x[@]}"
	wave rb-map 4 25 54
	wait_end 50 1 2
	wave rb-map 4 55 84
	closing rb-map 4
	# The last batch of records ends at 90 (no window after it).
	wait_end 90 1 2
	reference rb-map 4 84
	stop_members 1 2
	exact_union 90 1 2
}

@test "kafka rebuild: 3 members over 6 partitions, one killed -9 mid-window: the rows together are exactly one process's" {
	kafka_setup
	kafka_cmd create rb-kill 6
	LIVE_TIMEOUT=60
	event_member 1 rb-kill g-kill
	event_member 2 rb-kill g-kill
	event_member 3 rb-kill g-kill
	wait_settled 1 2 3
	wave rb-kill 6 1 24
	written 20 1 2 3
	c=$(counts 1 2)
	kill -KILL "${MPID[3]}"
	{ wait "${MPID[3]}"; } 2>/dev/null || true
	# Its partitions go to the others once the group has dropped it
	# (session.timeout.ms).
	OUT=out1 ERR=err1 wait_until rebalanced "$c" 1 2
	wave rb-kill 6 25 54
	wait_end 50 1 2
	closing rb-kill 6
	wait_end 80 1 2
	reference rb-kill 6 54
	stop_members 1 2
	# Member 3's rows up to the window ending at 20 count.
	exact_union 80 1 2 3
}

@test "kafka rebuild: the window spanning a partition's move is emitted once, whole, by its new owner" {
	alone rb-span 2 g-span 24
	joins 1 event_member 2 rb-span g-span
	wave rb-span 2 25 44
	closing rb-span 2
	wait_end 70 1 2
	reference rb-span 2 44
	stop_members 1 2
	# The keys of the partition member 2 took (each key is in one
	# partition): the windows ending at 30, 40 and 50 hold records of
	# both sides of the move.
	keys=$(sed -n 's/.*"key":"\([^"]*\)".*/\1/p' out2 | sort -u)
	[ -n "$keys" ]
	for k in $keys; do
		for e in 30 40 50; do
			row="\"time\":\"$(iso "$e")\",\"key\":\"$k\""
			echo "($k, $e): member 1: $(grep -c "$row" out1)," \
			    "member 2: $(grep -c "$row" out2)"
			run grep -h "$row" out1 out2
			assert_output "$(grep "$row" ref)"
			[ "$(grep -c "$row" out2)" -eq 1 ]
		done
	done
}

@test "kafka rebuild: processing time is unchanged: the old owner emits what it read, nothing is read twice" {
	kafka_setup
	kafka_cmd create rb-proc 4
	LIVE_TIMEOUT=60
	# Each record is in the 5 windows of 1s every 200ms after it: a
	# key's values over all rows add up to 5 times its records.
	pchain=(-b 200ms -f tsv map '($2, 1)' then reduceByKeyAndWindow sum 1s 200ms)
	member 1 rb-proc g-proc "${pchain[@]}"
	wait_settled 1
	wave rb-proc 4 1 10
	totals() {
		cat "$@" | awk -F '\t' '{ s[$1] += $2 } END {
		    for (k = 0; k < 8; k++) printf "k%d %d\n", k, s["k" k] }'
	}
	totals_are() {
		local want=$1
		shift
		[ "$(totals "$@" | awk '{ print $2 }' | sort -u)" = "$want" ]
	}
	OUT=out1 ERR=err1 wait_until totals_are 50 out1
	sleep 1
	OUT=out1 ERR=err1 wait_until committed 1
	joins 1 member 2 rb-proc g-proc "${pchain[@]}"
	wave rb-proc 4 11 20
	OUT=out2 ERR=err2 wait_until totals_are 100 out1 out2
	# Member 2 took partitions and counted records of them.
	[ -s out2 ]
	sleep 1.5
	stop_members 1 2
	run totals out1 out2
	assert_output "$(for k in 0 1 2 3 4 5 6 7; do echo "k$k 100"; done)"
}

@test "kafka rebuild: a cron run (until=end) after a live member stopped goes on from the group's offsets; the next reads only what is new" {
	# Up to 29: the stop emits the batch ending at 30 (its windows end
	# at 30 and are whole: the next records are at 30 and later).
	alone rb-cron 2 g-cron 29
	stop_members 1
	wave rb-cron 2 30 49
	url="kafka://$BROKERS/rb-cron?group=g-cron&offset=beginning&until=end"
	run timeout 60 "$DSTREAM" "${GROUP_X[@]}" "${EVENT[@]}" -i "$url" -o out2 \
	    "${CHAIN[@]}"
	assert_success
	reference rb-cron 2 49 open
	# Both emit every window at the end of their input: all of them are
	# compared.
	exact_union 999 1 2
	# The cron run committed the offsets after its last records: the
	# next run's windows are its own, over the new records alone.
	wave rb-cron 2 50 59
	run timeout 60 "$DSTREAM" "${GROUP_X[@]}" "${EVENT[@]}" -i "$url" -o out3 \
	    "${CHAIN[@]}"
	assert_success
	wave_lines 2 50 59 | "$DSTREAM" "${EVENT[@]}" "${CHAIN[@]}" | LC_ALL=C sort >want
	run diff want <(LC_ALL=C sort out3)
	assert_success
}

# With --checkpoint (CK set: member N keeps its checkpoint in ckN), the
# group's offsets are committed as each checkpoint is written (every
# second, and at once when a rebalance takes partitions away), so the
# waits above hold: a member's last commit answered is its last
# checkpoint's.  A member killed -9 is started again with RESUME set: it
# resumes from ckN and cuts outN back to the checkpoint's length, so
# outN holds the rows of both runs, each once.

# killed N: member N killed -9, and waited for.
killed() {
	kill -KILL "${MPID[$1]}"
	{ wait "${MPID[$1]}"; } 2>/dev/null || true
}

# moved N: how many times member N's stderr says that the group's
# partitions moved since its checkpoint.
moved() {
	grep -c 'the group.s partitions moved since the checkpoint' "err$1" || true
}

@test "kafka rebuild --checkpoint: a member joins mid-window (eager assignor): the members' rows together are exactly one process's" {
	CK=1
	joined rb-ckjoin g-ckjoin
	exact_union 110 1 2
}

@test "kafka rebuild --checkpoint: of 2 members one killed -9 mid-window, its partitions taken, then resumed: they moved, the rows together are exactly one process's" {
	kafka_setup
	kafka_cmd create rb-ckkill 4
	LIVE_TIMEOUT=60
	CK=1
	event_member 1 rb-ckkill g-ckkill
	event_member 2 rb-ckkill g-ckkill
	wait_settled 1 2
	wave rb-ckkill 4 1 24
	written 20 1 2
	c=$(counts 1)
	killed 2
	# Member 1 takes its partitions once the group has dropped it.
	OUT=out1 ERR=err1 wait_until rebalanced "$c" 1
	wave rb-ckkill 4 25 54
	written 50 1
	# Member 2 again, from its checkpoint: its partitions were member
	# 1's since, so it rebuilds its windows.
	RESUME=1 joins 1 event_member 2 rb-ckkill g-ckkill
	[ "$(moved 2)" -eq 1 ]
	wave rb-ckkill 4 55 84
	wait_end 80 1 2
	closing rb-ckkill 4
	wait_end 110 1 2
	reference rb-ckkill 4 84
	stop_members 1 2
	exact_union 110 1 2
}

@test "kafka rebuild --checkpoint: a lone member killed -9 mid-window and resumed goes on from its checkpoint: exactly one process's rows" {
	CK=1
	alone rb-cklone 2 g-cklone 24
	killed 1
	# The group gives it its partitions once its dead self is dropped.
	RESUME=1 event_member 1 rb-cklone g-cklone
	wait_settled 1
	[ "$(moved 1)" -eq 0 ]
	wave rb-cklone 2 25 54
	closing rb-cklone 2
	wait_end 80 1
	reference rb-cklone 2 54
	stop_members 1
	exact_union 80 1
}

# dense_wave TOPIC NP FROM TO N DFROM DTO: wave TOPIC NP FROM TO with, in
# each partition P, N more records "T kP 1" at each time T of DFROM..DTO
# after the wave's two (made by awk), their lines appended to the file
# extra for the reference.  The mock keeps some 5 MB of a partition (it
# drops older records past that): N * (DTO - DFROM + 1) stays below
# 250000.
dense_wave() {
	local topic=$1 np=$2 from=$3 to=$4 n=$5 dfrom=$6 dto=$7 p
	for ((p = 0; p < np; p++)); do
		awk -v np="$np" -v p="$p" -v from="$from" -v to="$to" \
		    -v x="$n" -v dfrom="$dfrom" -v dto="$dto" 'BEGIN {
			for (t = from; t <= to; t++) {
				for (j = 0; j < 2; j++) {
					k = p + np * j
					printf "k%d\t%d k%d %d\n", k, t, k,
					    (5 * t + 3 * k + int(t / 3)) % 9 + 1
				}
				if (t < dfrom || t > dto)
					continue
				for (i = 0; i < x; i++)
					printf "k%d\t%d k%d 1\n", p, t, p
			}
			for (t = dfrom; t <= dto; t++)
				for (i = 0; i < x; i++)
					print t " k" p " 1" >"/dev/stderr"
		}' >"dense$p" 2>>extra
		kafka_cmd produce "$topic" "$p" "$PWD/dense$p"
	done
}

# commit_since N C: member N became steady more than C times, and an
# offset commit made after its last "steady" has been answered with
# success (a checkpoint written since its partitions last changed).
commit_since() {
	[ "$(steadies "$1")" -gt "$2" ] || return 1
	sed -n '/changed join state .* -> steady/h; /changed join state .* -> steady/!H; ${x;p}' \
	    "err$1" | grep -E 'Committing offsets|OffsetCommit for' | tail -1 |
	    grep -q 'returned: Success'
}

@test "kafka rebuild --checkpoint: killed -9 in the replay after a rebalance, resumed from the replay's checkpoint: exactly one process's rows" {
	CK=1
	alone rb-ckreplay 4 g-ckreplay 24 --checkpoint-every 0
	joins 1 event_member 2 rb-ckreplay g-ckreplay --checkpoint-every 0
	# 20000 records a second more in each partition from 30 to 39: the
	# replay's batch ending at 40 comes a second or so after the one
	# ending at 30.
	dense_wave rb-ckreplay 4 25 44 20000 30 39
	written 40 1 2
	# Member 2 leaves (its stop checkpoints and leaves its open windows
	# to the group): member 1 takes every partition and replays them.
	# It is killed as soon as a checkpoint written since has been
	# committed: in the replay (its first batch ends at 30, the window
	# ending at 40 is still to come and must not be emitted again),
	# its checkpoint holds the rebuild's bounds and keys.
	c=$(steadies 1)
	stop_members 2
	OUT=out1 ERR=err1 wait_until commit_since 1 "$c"
	killed 1
	# Every partition's offset is member 1's now: it goes on from its
	# checkpoint, in the middle of the replay.
	RESUME=1 event_member 1 rb-ckreplay g-ckreplay --checkpoint-every 0
	wait_settled 1
	[ "$(moved 1)" -eq 0 ]
	wave rb-ckreplay 4 45 64
	closing rb-ckreplay 4
	wait_end 90 1
	reference rb-ckreplay 4 64
	stop_members 1
	exact_union 90 1 2
}
