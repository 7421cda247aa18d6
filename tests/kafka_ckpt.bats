#!/usr/bin/env bats
# kafka_ckpt.bats - --checkpoint with kafka:// inputs (issue 12 item 5):
# the partitions' offsets live in the checkpoint and a resumed run is
# assigned from them, so Kafka into -o FILE (and into SQLite) is
# exactly-once across kill -9: killed at random moments and run again,
# the output ends byte for byte as an uninterrupted run's (the shape of
# killnine.bats).  Against librdkafka's mock cluster (tests/kafka-mock);
# every wait is bounded.

load test_helper
load live_helper
load kafka_helper

setup_file() {
	kafka_setup_file || return
	[ -n "${KDIR:-}" ] || return 0
	# 30k event-time lines over 8 hours of 13 keys, partitioned by key
	# over 3 partitions.
	awk 'BEGIN { for (i = 1; i <= 30000; i++) { k = (i * 7919) % 13
	    printf "k%d\t%d k%d %d\n", k, 1763683200 + i, k, i % 97 } }' \
	    >"$KDIR/msgs"
	local b
	b=$(head -1 "$KDIR/out")
	BROKERS=$b kafka_cmd create ck 3
	BROKERS=$b kafka_cmd produce ck -1 "$KDIR/msgs"
}
teardown_file() { kafka_teardown_file; }
setup() { T=$BATS_TEST_TMPDIR; cd "$T"; }

CHAIN=(map '$2' then window 5m 1m then countByValue)

# kill_loop N URL OUT EXTRA...: N runs of the pipeline over URL with
# --checkpoint into OUT, each killed -9: the first once its output has
# begun (so that one kill is surely mid-stream), the others after 0.1 to
# 1.4 s; then one run to the end (--final).  EXTRA are more options.
kill_loop() {
	local n=$1 url=$2 out=$3 pid i
	shift 3
	for i in $(seq 1 "$n"); do
		"$DSTREAM" -e '$1' -b 1m -i "$url" --checkpoint "$T/ck" \
		    --checkpoint-every 0 -o "$out" --final "$@" "${CHAIN[@]}" \
		    2>>"$T/err" &
		pid=$!
		DS_PID=$pid
		if [ "$i" -eq 1 ]; then
			LIVE_TIMEOUT=60 OUT=$T/err ERR=$T/err wait_until \
			    out_begun "$out"
			sleep "0.$((RANDOM % 3))"
		else
			sleep "$((RANDOM % 2)).$((RANDOM % 9 + 1))"
		fi
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" || true
	done
	run timeout 90 "$DSTREAM" -e '$1' -b 1m -i "$url" --checkpoint "$T/ck" \
	    -o "$out" --final "$@" "${CHAIN[@]}"
	assert_success
}

# out_begun OUT: the destination holds rows (a file, or a SQLite table).
out_begun() {
	case $1 in
	sqlite:*) [ "$(sqlite3 "${1#sqlite:}" 'select count(*) from dstream' \
	    2>/dev/null || echo 0)" -gt 0 ] ;;
	*) [ -s "$1" ] ;;
	esac
}

@test "kafka --checkpoint: kill -9 at random points, then resumed: windows end byte-identical" {
	kafka_setup
	url="kafka://$BROKERS/ck?offset=beginning&until=end"
	run timeout 90 "$DSTREAM" -e '$1' -b 1m -i "$url" "${CHAIN[@]}"
	assert_success
	echo "$output" >ref
	[ "$(wc -l <ref)" -gt 2000 ]
	kill_loop 8 "$url" "$T/out"
	cmp ref "$T/out"
	# The checkpoint's position is every partition's end now: a run
	# more reads nothing and writes nothing more.
	run timeout 90 "$DSTREAM" -e '$1' -b 1m -i "$url" --checkpoint "$T/ck" \
	    -o "$T/out" --final "${CHAIN[@]}"
	assert_success
	cmp ref "$T/out"
}

@test "kafka --checkpoint: a group member killed -9 and restarted goes on from its checkpoint, byte-identical" {
	kafka_setup
	url="kafka://$BROKERS/ck?group=g-ck&offset=beginning&until=end"
	timeout 90 "$DSTREAM" -e '$1' -b 1m \
	    -i "kafka://$BROKERS/ck?offset=beginning&until=end" "${CHAIN[@]}" >ref
	# Each restart waits for the group to forget the killed member
	# (session.timeout.ms): two kills.
	kill_loop 2 "$url" "$T/out" -X session.timeout.ms=6000 \
	    -X heartbeat.interval.ms=500
	cmp ref "$T/out"
}

@test "kafka --checkpoint: into SQLite, kill -9 at random points: the table ends as an uninterrupted run's" {
	command -v sqlite3 >/dev/null || skip "the sqlite3 shell is not installed"
	kafka_setup
	url="kafka://$BROKERS/ck?offset=beginning&until=end"
	timeout 90 "$DSTREAM" -e '$1' -b 1m -i "$url" -o "sqlite:$T/ref.db" \
	    "${CHAIN[@]}"
	kill_loop 6 "$url" "sqlite:$T/o.db"
	sqlite3 "$T/ref.db" 'select * from dstream order by 1, 2' >want
	sqlite3 "$T/o.db" 'select * from dstream order by 1, 2' >got
	[ "$(wc -l <want)" -gt 2000 ]
	cmp want got
}

@test "kafka --checkpoint: a checkpoint of another topic is refused, naming both" {
	kafka_setup
	kafka_cmd create ck-other 1
	kafka_produce ck-other 0 "1763683201 a 1"
	run timeout 60 "$DSTREAM" -e '$1' -b 1m --checkpoint "$T/ck" \
	    -i "kafka://$BROKERS/ck?offset=beginning&until=end" -o out count
	assert_success
	run timeout 60 "$DSTREAM" -e '$1' -b 1m --checkpoint "$T/ck" \
	    -i "kafka://$BROKERS/ck-other?offset=beginning&until=end" -o out count
	assert_failure 1
	assert_output --partial "its input 1 is 'kafka://$BROKERS/ck?offset=beginning&until=end', this run's is 'kafka://$BROKERS/ck-other?offset=beginning&until=end'"
	assert_output --partial "remove $T/ck to start afresh"
}

@test "kafka --checkpoint: offsets past a partition's end (another cluster behind the same address) are fatal" {
	command -v socat >/dev/null || skip "socat is not installed"
	kafka_setup
	kafka_cmd create moved 1
	kafka_produce moved 0 "1763683201 a 1" "1763683202 a 2" "1763683203 a 3"
	# One address, a forwarder to the first cluster, then to a second.
	port=$((20000 + RANDOM % 20000))
	first=${BROKERS%%,*}
	socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" "TCP:$first" &
	fwd=$!
	PEERS=$fwd
	url="kafka://127.0.0.1:$port/moved?offset=beginning&until=end"
	LIVE_TIMEOUT=10 OUT=/dev/null ERR=/dev/null wait_until \
	    bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null
	run timeout 60 "$DSTREAM" -e '$1' -b 1m --checkpoint "$T/ck" -i "$url" \
	    -o out count
	kill "$fwd"
	wait "$fwd" || true
	assert_success
	# A second cluster, whose topic holds one message.
	mkdir k2
	("$KAFKA_MOCK" -n 1 k2/ctl >k2/out 2>k2/err & echo $! >k2/pid)
	PEERS=$(cat k2/pid)
	LIVE_TIMEOUT=30 OUT=/dev/null ERR=/dev/null wait_until test -s k2/out
	KDIR=$T/k2 BROKERS=$(head -1 k2/out) kafka_cmd create moved 1
	printf '1763683209 b 1\n' >k2/msg
	KDIR=$T/k2 kafka_cmd produce moved 0 "$T/k2/msg"
	socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" \
	    "TCP:$(head -1 k2/out)" &
	fwd=$!
	PEERS="$PEERS $fwd"
	LIVE_TIMEOUT=10 OUT=/dev/null ERR=/dev/null wait_until \
	    bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null
	run timeout 60 "$DSTREAM" -e '$1' -b 1m --checkpoint "$T/ck" -i "$url" \
	    -o out count
	kill "$fwd"
	wait "$fwd" || true
	kill -KILL "$(cat k2/pid)"
	assert_failure 1
	assert_output --partial "partition 0 ends at offset 1, the checkpoint had read it up to 3: another cluster, or the topic was deleted and made again"
}

@test "kafka --checkpoint: a member resumed after another read its partition goes on from the group's offset, not its older checkpoint" {
	kafka_setup
	kafka_cmd create handover 1
	url="kafka://$BROKERS/handover?group=g-handover&offset=beginning&until=end"
	x=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
	kafka_produce handover 0 a b c
	# A, with a checkpoint, reads a b c and stops.
	run timeout 90 "$DSTREAM" "${x[@]}" --checkpoint "$T/ck" -i "$url" \
	    -o outA map x
	assert_success
	kafka_produce handover 0 d e
	# B, another member, reads d e (from A's commit) and stops.
	run timeout 90 "$DSTREAM" "${x[@]}" -i "$url" map x
	assert_success
	assert_output "$(printf 'd\ne')"
	kafka_produce handover 0 f
	# A again: its checkpoint says after c, the group says after e.
	run timeout 90 "$DSTREAM" "${x[@]}" --checkpoint "$T/ck" -i "$url" \
	    -o outA map x
	assert_success
	assert_output --partial "partition 0: another member of group g-handover read it up to offset 5 while this run was stopped (the checkpoint is at 3): going on from there"
	run cat outA
	assert_output "$(printf 'a\nb\nc\nf')"
}

@test "kafka --checkpoint: in event time a rebalance taking partitions away writes a checkpoint at once" {
	kafka_setup
	kafka_cmd create handev 2
	url="kafka://$BROKERS/handev?group=g-handev&offset=beginning"
	x=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
	kafka_produce handev 0 "10 a" "100 a"
	kafka_produce handev 1 "10 b" "100 b"
	# Checkpoints at most hourly: after the first, only the rebalance
	# writes one.
	"$DSTREAM" "${x[@]}" -e '$1' -b 10s --checkpoint "$T/ckA" \
	    --checkpoint-every 1h -i "$url" -o outA map '$2' then countByValue \
	    2>errA &
	a=$!
	PEERS=$a
	# A has its partitions: the batch of time 10 is out.
	LIVE_TIMEOUT=60 OUT=outA ERR=errA wait_until grep -q b outA
	sleep 1
	ino=$(stat -c %i "$T/ckA/checkpoint")
	"$DSTREAM" "${x[@]}" -e '$1' -b 10s -i "$url" -o outB \
	    map '$2' then countByValue 2>errB &
	PEERS="$a $!"
	# B joins: A gives partitions back and writes a checkpoint first.
	new_ckpt() { [ "$(stat -c %i "$T/ckA/checkpoint")" != "$ino" ]; }
	LIVE_TIMEOUT=60 OUT=outA ERR=errA wait_until new_ckpt
	kill -TERM $PEERS
	wait $PEERS || true
}
