# kafka_helper.bash - a Kafka cluster for the Kafka tests: librdkafka's
# mock cluster in tests/kafka-mock (built by make check), started once
# per .bats file, driven through its control FIFO, killed at the end.
# Every wait has a deadline.  Loaded after test_helper.bash.
#
#	kafka_setup_file / kafka_teardown_file	start / stop the cluster
#	$BROKERS				its bootstrap servers
#	kafka_cmd CMD...			runs a kafka-mock command
#	kafka_produce TOPIC PART LINES...	messages, one per argument
#	kafka_read TOPIC			the topic's messages (kcat)

KAFKA_MOCK=${KAFKA_MOCK:-$SRCDIR/tests/kafka-mock}
KAFKA_TIMEOUT=${KAFKA_TIMEOUT:-30}

# Skips the test when this dstream was built without Kafka (configure
# --without-kafka): then there is no mock cluster to run against.
kafka_need() {
	[ -x "$KAFKA_MOCK" ] && [ -f "$KAFKA_MOCK" ] ||
		skip "built without Kafka (no tests/kafka-mock)"
}

kafka_setup_file() {
	[ -x "$KAFKA_MOCK" ] && [ -f "$KAFKA_MOCK" ] || return 0
	KDIR=$BATS_FILE_TMPDIR/kafka
	mkdir -p "$KDIR"
	# In a subshell, so that its kill at the end is not reported as a job's.
	("$KAFKA_MOCK" -n 3 "$KDIR/ctl" >"$KDIR/out" 2>"$KDIR/err" &
	    echo $! >"$KDIR/pid")
	local i
	for ((i = 0; i < KAFKA_TIMEOUT * 20; i++)); do
		[ -s "$KDIR/out" ] && break
		sleep 0.05
	done
	[ -s "$KDIR/out" ] || { echo "kafka-mock did not start" >&2; return 1; }
	export KDIR
}

kafka_teardown_file() {
	[ -n "${KDIR:-}" ] && [ -f "$KDIR/pid" ] || return 0
	kill -KILL "$(cat "$KDIR/pid")" 2>/dev/null || true
}

kafka_setup() {
	kafka_need
	BROKERS=$(head -1 "$KDIR/out")
	export BROKERS
}

# kafka_cmd CMD...: sends CMD to the mock cluster and waits (bounded) for
# its answer, failing the test unless it is "ok".
kafka_cmd() {
	local before i last
	before=$(wc -l <"$KDIR/out")
	timeout "$KAFKA_TIMEOUT" sh -c 'echo "$1" >"$2"' sh "$*" "$KDIR/ctl" ||
		{ echo "kafka-mock: cannot send '$*'" >&2; return 1; }
	for ((i = 0; i < KAFKA_TIMEOUT * 20; i++)); do
		[ "$(wc -l <"$KDIR/out")" -gt "$before" ] && break
		sleep 0.05
	done
	last=$(tail -1 "$KDIR/out")
	[ "$last" = "ok $*" ] || { echo "kafka-mock: '$*': ${last:-no answer}" >&2; return 1; }
}

# kafka_produce TOPIC PART LINE...: each LINE a message to partition PART
# (-1: by key); "KEY<TAB>VALUE" and "TS_MS<TAB>KEY<TAB>VALUE" set the key
# and the timestamp.
kafka_produce() {
	local topic=$1 part=$2 f
	shift 2
	f=$(mktemp "$BATS_TEST_TMPDIR/msgs.XXXXXX")
	printf '%s\n' "$@" >"$f"
	kafka_cmd produce "$topic" "$part" "$f"
}

# kafka_read TOPIC: every message of TOPIC, as kcat prints them.
kafka_read() {
	timeout "$KAFKA_TIMEOUT" kcat -b "$BROKERS" -t "$1" -C -e -q -o beginning "${@:2}"
}
