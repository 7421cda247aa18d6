#!/usr/bin/env bats
# noserve.bats - a dstream built without the dashboard (configure
# --without-serve): --serve says so, exit status 1, nothing read; the
# rest works as ever.  The binary is DSTREAM_NOSERVE: `make check` links
# one (tests/dstream-noserve: main.c and the stand-in src/serve/none.c,
# no libmicrohttpd), and .ci/run gives the one a real `configure
# --without-serve` builds.

load test_helper

setup() {
	NOSERVE=${DSTREAM_NOSERVE:-}
	if [ -z "$NOSERVE" ]; then
		skip "DSTREAM_NOSERVE not set (make check sets it)"
	fi
	[ -x "$NOSERVE" ]
}

@test "without the dashboard: --serve says the binary was built without it, status 1" {
	run sh -c "printf 'a\n' | '$NOSERVE' --serve 127.0.0.1:0 count"
	assert_failure 1
	assert_output --partial 'built without the dashboard'
	assert_output --partial 'configure --without-serve'
	assert_output --partial 'libmicrohttpd'
	# Nothing was run: no output row, no "dashboard at".
	refute_output --partial 'dashboard at'
	refute_line 1
	# Whatever the address.
	run "$NOSERVE" --serve 8080 -i /dev/null count
	assert_failure 1
	assert_output --partial 'built without the dashboard'
}

@test "without the dashboard: no libmicrohttpd linked, and pipelines run as ever" {
	run ldd "$NOSERVE"
	assert_success
	refute_output --partial microhttpd
	run sh -c "printf 'a\nb\na\n' | '$NOSERVE' countByValue | sort"
	assert_success
	assert_output "$(printf 'a\t2\nb\t1')"
	# -f top is no part of the dashboard: plain output off a terminal.
	run sh -c "printf 'x\n' | '$NOSERVE' -f top count"
	assert_success
	assert_output --partial 1
}
