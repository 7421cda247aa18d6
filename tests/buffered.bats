#!/usr/bin/env bats
# buffered.bats - issue 10 item 8, buffered partial lines bounded: the
# memory held in unfinished lines of socket clients stays under
# --max-buffered (plus one line); past it the clients holding the most
# are not read (backpressure) and nothing is dropped; over-long lines are
# still skipped and reported.  Clients are python3 threads on loopback;
# every wait is bounded.

load test_helper
load live_helper
bats_require_minimum_version 1.5.0

setup() {
	command -v python3 >/dev/null || skip "python3 not installed"
}

# clients PORT N SIZE HWM_FILE: N clients connect to PORT; each sends
# SIZE bytes of 'x' without a newline; after 2 s (dstream reads what it
# may meanwhile) the VmHWM of dstream is written to HWM_FILE (kB); then
# each client ends its line and sends one more, "done", and leaves.
clients() {
	timeout 120 python3 - "$@" "$DS_PID" <<'EOF'
import socket, sys, threading, time
port, n, size, hwm_file, pid = int(sys.argv[1]), int(sys.argv[2]), \
    int(sys.argv[3]), sys.argv[4], sys.argv[5]
go = threading.Event()
errors = []

def client(i):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=90)
        s.sendall(b"x" * size)
        go.wait(90)
        s.sendall(b"\ndone\n")
        s.close()
    except Exception as e:
        errors.append("client %d: %s" % (i, e))

threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
time.sleep(2)
with open("/proc/%s/status" % pid) as f:
    hwm = [l.split()[1] for l in f if l.startswith("VmHWM:")][0]
with open(hwm_file, "w") as f:
    f.write(hwm + "\n")
go.set()
for t in threads:
    t.join(100)
if errors or any(t.is_alive() for t in threads):
    sys.exit("clients failed: %s" % errors)
EOF
}

# totals_are TEXT: the per-key totals so far, on one line, are TEXT.
totals_are() {
	[ "$(out_totals | tr '\t\n' '  ')" = "$1" ]
}

# The peak RSS of dstream so far, in kB.
ds_hwm() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$DS_PID/status"
}

# Sanitizer builds keep freed memory in quarantine: RSS says nothing.
rss_checked() {
	! ldd "$DSTREAM" 2>/dev/null | grep -q 'libasan\|libtsan\|libmsan'
}

@test "buffered partial lines bounded: 50 clients with 2 MB unfinished lines under --max-buffered 1M: peak RSS bounded, every line arrives" {
	local hwm
	start_dstream -i tcp-listen://127.0.0.1:0 --max-buffered 1M \
	    --max-line 4M --batch 100ms map 'len($0)' then countByValue
	PORT=$(listen_port)
	clients "$PORT" 50 2000000 "$BATS_TEST_TMPDIR/hwm"
	# Every line, counted once: none dropped, none cut.
	wait_until totals_are "2000000 50 4 50 "
	hwm=$(ds_hwm)
	sleep 0.3
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	run out_totals
	assert_output "$(printf '2000000\t50\n4\t50')"
	run grep -c 'longer than' "$ERR"
	assert_output 0
	# 100 MB were sent; held were at most 1M, one line of 2 MB (its
	# buffer up to twice that), and a few KiB a client.
	if rss_checked; then
		echo "VmHWM after 2 s: $(cat "$BATS_TEST_TMPDIR/hwm") kB, at the end: $hwm kB"
		[ "$(cat "$BATS_TEST_TMPDIR/hwm")" -lt 40000 ]
		[ "$hwm" -lt 40000 ]
	fi
}

@test "buffered partial lines bounded: a lone client's line of --max-line bytes gets through a --max-buffered far smaller" {
	start_dstream -i tcp-listen://127.0.0.1:0 --max-buffered 4k \
	    --max-line 1M --batch 100ms map 'len($0)' then countByValue
	PORT=$(listen_port)
	timeout 60 python3 - "$PORT" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=50)
# In pieces, so that dstream holds the line a while.
line = b"y" * 1048576
for i in range(0, len(line), 65536):
    s.sendall(line[i:i + 65536])
    time.sleep(0.01)
s.sendall(b"\n" + b"z" * 1048577 + b"\nafter\n")
s.close()
EOF
	wait_until out_has '^5	1$'
	sleep 0.3
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	run out_totals
	assert_output "$(printf '1048576\t1\n5\t1')"
	run grep -c ':2: line longer than 1048576 bytes skipped' "$ERR"
	assert_output 1
}

@test "buffered partial lines bounded: over-long lines of many clients are skipped and reported, their memory freed for the rest" {
	start_dstream -i tcp-listen://127.0.0.1:0 --max-buffered 64k \
	    --max-line 100k --batch 100ms count
	PORT=$(listen_port)
	timeout 60 python3 - "$PORT" <<'EOF'
import socket, sys, threading
def client():
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=50)
    s.sendall(b"ok\n" + b"w" * 3000000 + b"\nok\n")
    s.close()
threads = [threading.Thread(target=client) for i in range(10)]
for t in threads:
    t.start()
for t in threads:
    t.join(55)
EOF
	wait_until sum_is 20
	sleep 0.3
	stop_dstream
	[ "$DS_STATUS" -eq 0 ]
	[ "$(out_sum)" -eq 20 ]
	run grep -c ':2: line longer than 102400 bytes skipped' "$ERR"
	assert_output 10
}

@test "buffered partial lines bounded: --max-buffered takes a size" {
	run dstream --max-buffered 0 count </dev/null
	assert_failure 2
	assert_output --partial "--max-buffered: bad size '0'"
	run dstream --max-buffered 10x count </dev/null
	assert_failure 2
	run dstream --max-buffered 16M count <<<"a"
	assert_success
	assert_output 1
}
