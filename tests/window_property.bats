#!/usr/bin/env bats
# window_property.bats - sliding windows checked against brute force.
#
# Random event-time input (a fixed-seed awk generator, slightly out of
# order within the watermark) goes through reduceByKeyAndWindow three
# ways: `sum`, which slides by adding the newest pane and taking out the
# oldest; `a + b`, which has no inverse and slides through the two-stack
# queue of panes; `a + b` with the inverse `a - b`.  All three must be
# byte-identical to tests/window_brute.awk, which recomputes every
# window from the records.  min, max, first, last and an order-sensitive
# concatenation check the two-stack path on its own, with a few keys and
# with hundreds.

load test_helper

# gen SEED N GAPS: N lines "TIME KEY VALUE" from SEED, times nondecreasing
# with occasional gaps of up to GAPS seconds, then shuffled by up to 4s
# (the runs use --watermark 5s, so none is late).
gen() {
	awk -v seed="$1" -v n="$2" -v gaps="$3" 'BEGIN {
		srand(seed)
		t = 1000 + int(rand() * 60)
		for (i = 0; i < n; i++) {
			if (rand() < 0.04)
				t += int(rand() * gaps)
			else
				t += int(rand() * 3)
			printf "%.3f %d k%d %d\n", t + rand() * 4, t,
			    int(rand() * 7), int(rand() * 201) - 100
		}
	}' | sort -s -n -k1,1 | cut -d' ' -f2-
}

# check FILE L S FUNC [INVFUNC]: dstream's windows equal the brute force
# with reducer R (set by the caller).
check() {
	local file=$1 l=$2 s=$3
	shift 3
	awk -v L="$l" -v S="$s" -v R="$R" -f "$BATS_TEST_DIRNAME/window_brute.awk" \
	    "$file" >"$BATS_TEST_TMPDIR/want"
	timeout 60 "$DSTREAM" --stamp --event-time '$1' --watermark 5s \
	    --batch 1s map '($2, num($3))' then \
	    reduceByKeyAndWindow "$@" "$l" "$s" <"$file" >"$BATS_TEST_TMPDIR/got"
	if ! cmp -s "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"; then
		echo "differs: L=$l S=$s reduceByKeyAndWindow $* (R=$R)"
		diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got" | head -20
		return 1
	fi
}

# The window shapes: sliding, tumbling, S > L, L not a multiple of S,
# one-pane windows, long windows.
SHAPES="3:1 4:2 5:5 2:5 3:7 5:3 9:6 1:1 30:1 20:4"

@test "property: inverse, no inverse and brute force agree on sum" {
	local seed shape
	R=sum
	for seed in 1 2 3 4 5 6; do
		gen "$seed" 400 25 >"$BATS_TEST_TMPDIR/in"
		[ "$(wc -l <"$BATS_TEST_TMPDIR/in")" -eq 400 ]
		for shape in $SHAPES; do
			check "$BATS_TEST_TMPDIR/in" "${shape%:*}" "${shape#*:}" sum
			check "$BATS_TEST_TMPDIR/in" "${shape%:*}" "${shape#*:}" 'a + b'
			check "$BATS_TEST_TMPDIR/in" "${shape%:*}" "${shape#*:}" 'a + b' 'a - b'
		done
	done
}

@test "property: count slides exactly" {
	local seed shape
	R=count
	for seed in 7 8 9; do
		gen "$seed" 400 25 >"$BATS_TEST_TMPDIR/in"
		for shape in $SHAPES; do
			check "$BATS_TEST_TMPDIR/in" "${shape%:*}" "${shape#*:}" count
		done
	done
}

@test "property: min, max, first, last and custom functions through panes" {
	local seed shape
	for seed in 11 12 13; do
		gen "$seed" 300 25 >"$BATS_TEST_TMPDIR/in"
		for shape in $SHAPES; do
			for R in min max first last; do
				check "$BATS_TEST_TMPDIR/in" "${shape%:*}" "${shape#*:}" "$R"
			done
			R=cat
			check "$BATS_TEST_TMPDIR/in" "${shape%:*}" "${shape#*:}" 'a .. "," .. b'
		done
	done
}

# gen_many SEED N KEYS: N lines "TIME KEY VALUE", about 60 a second over
# KEYS keys, with gaps now and then that empty the window, so that keys
# come and go by the hundred (a window's keys table deleting, putting
# and laid out again in key order, table_relayout) and each pane's
# lookups in it are many.
gen_many() {
	awk -v seed="$1" -v n="$2" -v keys="$3" 'BEGIN {
		srand(seed)
		t = 2000
		for (i = 0; i < n; i++) {
			if (rand() < 0.0005)
				t += 20 + int(rand() * 40)
			else if (rand() < 0.017)
				t++
			printf "%d k%d %d\n", t, int(rand() * keys),
			    int(rand() * 2001) - 1000
		}
	}'
}

@test "property: min, max, last, sum and custom functions over hundreds of keys coming and going" {
	local shape
	gen_many 21 12000 900 >"$BATS_TEST_TMPDIR/in"
	for shape in 20:1 12:3 7:7; do
		for R in min max last sum; do
			check "$BATS_TEST_TMPDIR/in" "${shape%:*}" "${shape#*:}" "$R"
		done
		R=sum
		check "$BATS_TEST_TMPDIR/in" "${shape%:*}" "${shape#*:}" 'a + b'
		R=cat
		check "$BATS_TEST_TMPDIR/in" "${shape%:*}" "${shape#*:}" 'a .. "," .. b'
	done
}

@test "property: the brute force itself can fail the check" {
	R=sum
	gen 1 100 10 >"$BATS_TEST_TMPDIR/in"
	run check "$BATS_TEST_TMPDIR/in" 3 1 max
	assert_failure
	assert_output --partial differs
}
