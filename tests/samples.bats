#!/usr/bin/env bats
# samples.bats - every samples/*.sh runs and prints exactly its
# samples/*.out, so the samples (and the README's first command) cannot
# drift from the program.

load test_helper

setup() {
	SAMPLES=$SRCDIR/samples
	# The samples are run from other folders: DSTREAM must not be relative.
	case $DSTREAM in
	/*) ;;
	*/*) DSTREAM=$PWD/$DSTREAM ;;
	esac
	export DSTREAM
}

@test "samples: every pipeline prints its expected output" {
	local sh out n=0 failed=""
	for sh in "$SAMPLES"/*.sh; do
		out=${sh%.sh}.out
		n=$((n + 1))
		if [ ! -f "$out" ]; then
			failed="$failed ${sh##*/}(no .out)"
			continue
		fi
		# Run from elsewhere: a sample finds its data next to itself.
		if ! (cd "$BATS_TEST_TMPDIR" && sh "$sh") >"$BATS_TEST_TMPDIR/got" 2>"$BATS_TEST_TMPDIR/err"; then
			echo "${sh##*/} failed: $(cat "$BATS_TEST_TMPDIR/err")"
			failed="$failed ${sh##*/}"
			continue
		fi
		if ! diff -u "$out" "$BATS_TEST_TMPDIR/got"; then
			failed="$failed ${sh##*/}"
		fi
	done
	[ "$n" -ge 6 ] || fail "only $n samples found in $SAMPLES"
	[ -z "$failed" ] || fail "samples that differ:$failed"
}

@test "samples: a pipeline writes nothing on stderr" {
	local sh
	for sh in "$SAMPLES"/*.sh; do
		(cd "$BATS_TEST_TMPDIR" && sh "$sh") >/dev/null 2>"$BATS_TEST_TMPDIR/err" || true
		[ ! -s "$BATS_TEST_TMPDIR/err" ] ||
		    fail "${sh##*/} wrote on stderr: $(cat "$BATS_TEST_TMPDIR/err")"
	done
}

@test "samples: each script is one dstream command using \${DSTREAM:-dstream}" {
	local sh
	for sh in "$SAMPLES"/*.sh; do
		[ "$(grep -cv '^#' "$sh")" -eq 1 ] || fail "${sh##*/}: not one command line"
		grep -q '"${DSTREAM:-dstream}"' "$sh" || fail "${sh##*/}: does not use \${DSTREAM:-dstream}"
	done
}

@test "samples: README.md lists every sample" {
	local sh
	for sh in "$SAMPLES"/*.sh; do
		grep -qF "${sh##*/}" "$SAMPLES/README.md" || fail "${sh##*/} missing from samples/README.md"
	done
}

@test "samples: status-counts.sh (the README's first command) agrees with awk" {
	run sh "$SAMPLES/status-counts.sh"
	assert_success
	local want
	want=$(awk '{ c[$9]++ } END { for (k in c) printf "%s\t%d\n", k, c[k] }' "$SAMPLES/access.log" | sort)
	assert_output "$want"
}

@test "samples: a sample run with DSTREAM unset uses dstream from PATH" {
	local bin=$BATS_TEST_TMPDIR/bin
	mkdir -p "$bin"
	ln -s "$DSTREAM" "$bin/dstream"
	run env -u DSTREAM PATH="$bin:$PATH" sh "$SAMPLES/status-counts.sh"
	assert_success
	assert_output "$(cat "$SAMPLES/status-counts.out")"
}

# The event-time samples against figures computed another way: awk keys
# each line by the minute its timestamp says; dstream names a batch by its
# end, one minute later.

@test "samples: status-per-minute.sh agrees with awk's per-minute counts" {
	run sh "$SAMPLES/status-per-minute.sh"
	assert_success
	local want
	want=$(awk '{ split(substr($4, 14, 5), t, ":"); e = t[1] * 60 + t[2] + 1
	    c[sprintf("2025-11-21T%02d:%02d:00Z\t%s", int(e / 60), e % 60, $9)]++ }
	    END { for (k in c) print k "\t" c[k] }' "$SAMPLES/access.log" | sort)
	assert_output "$want"
}

@test "samples: sliding-requests.sh agrees with awk's sums over 5 minutes" {
	run sh "$SAMPLES/sliding-requests.sh"
	assert_success
	local want
	want=$(awk '{ split(substr($4, 14, 5), t, ":"); c[t[1] * 60 + t[2] + 1]++ }
	    END { for (T = 601; T <= 625; T++) { s = 0
		for (j = T - 4; j <= T; j++) s += c[j]
		if (s > 0) printf "2025-11-21T%02d:%02d:00Z\t%d\n", int(T / 60), T % 60, s } }' \
	    "$SAMPLES/access.log")
	assert_output "$want"
}

@test "samples: events-per-minute.sh agrees with awk's per-minute counts" {
	run sh "$SAMPLES/events-per-minute.sh"
	assert_success
	local want
	want=$(awk -F'"' '{ split($4, t, "[T:]"); e = t[2] * 60 + t[3] + 1
	    c[sprintf("2025-11-21T%02d:%02d:00Z\t%s", int(e / 60), e % 60, $8)]++ }
	    END { for (k in c) print k "\t" c[k] }' "$SAMPLES/events.jsonl" | sort)
	assert_output "$want"
}

# The use cases of issue 14 (orders, click-through, fraud, sentiment, p99
# latency, unique visitors) against figures computed in Python from the
# same data (tests/samples_check.py): batches and windows by their end,
# the p99 within 1 % of the exact quantile, distinct exact at these sizes.

@test "samples: the use-case samples agree with Python's figures" {
	local name failed=""
	for name in orders-per-minute click-through fraud-cards sentiment latency-p99 unique-visitors; do
		(cd "$BATS_TEST_TMPDIR" && sh "$SAMPLES/$name.sh") >"$BATS_TEST_TMPDIR/$name.got" ||
		    fail "$name.sh failed"
		python3 "$SRCDIR/tests/samples_check.py" "$SAMPLES" "$name" "$BATS_TEST_TMPDIR/$name.got" ||
		    failed="$failed $name"
	done
	[ -z "$failed" ] || fail "samples that differ from Python's figures:$failed"
}
