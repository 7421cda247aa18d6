#!/usr/bin/env python3
"""serve_client.py - raw HTTP clients for tests/serve.bats, things curl
cannot do: hold many idle connections, send malformed or huge requests,
be a viewer that stops reading, check Prometheus text.  Every wait is
bounded.  Usage: serve_client.py COMMAND PORT [ARGS...]; prints what it
found, exits 1 on a failed check."""
import os
import re
import resource
import socket
import sys
import time

HOST = "127.0.0.1"


def connect(port, timeout=10):
    s = socket.create_connection((HOST, port), timeout=timeout)
    return s


def read_reply(s, limit=1 << 20):
    """The status line's code of a reply (None if closed without one)."""
    data = b""
    try:
        while b"\r\n" not in data and len(data) < limit:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout, BrokenPipeError):
        pass
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(m.group(1)) if m else None


def cmd_idle(port, n, seconds):
    """Opens N connections that send nothing, holds them SECONDS (or
    until stdin closes), then says how many are still open."""
    n, seconds = int(n), float(seconds)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    socks = []
    for _ in range(n):
        socks.append(connect(port))
    print("open %d" % len(socks), flush=True)
    time.sleep(seconds)
    alive = 0
    for s in socks:
        s.setblocking(False)
        try:
            d = s.recv(1)
            alive += 0 if d == b"" else 1
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    print("alive %d" % alive, flush=True)
    for s in socks:
        s.close()


def cmd_huge(port, size):
    """A request with a header of SIZE bytes: prints the status (or
    'closed')."""
    s = connect(port)
    req = b"GET /api/latest HTTP/1.1\r\nHost: x\r\nX-Big: " + \
        b"a" * int(size) + b"\r\n\r\n"
    try:
        s.sendall(req)
    except (BrokenPipeError, ConnectionResetError):
        pass
    code = read_reply(s)
    print(code if code is not None else "closed")


def cmd_many_headers(port, n):
    s = connect(port)
    req = b"GET /api/latest HTTP/1.1\r\nHost: x\r\n" + \
        b"".join(b"X-H%d: v\r\n" % i for i in range(int(n))) + b"\r\n"
    try:
        s.sendall(req)
    except (BrokenPipeError, ConnectionResetError):
        pass
    code = read_reply(s)
    print(code if code is not None else "closed")


MALFORMED = [
    b"GARBAGE\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n",
    b"GET /\x00/x HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
    b"GET /%zz%00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 12abc\r\n\r\n",
    b"GET /events?last=99999999999 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET / HTTP/1.1\r\n",   # cut short, then closed
]


def cmd_malformed(port):
    """Sends each malformed request on its own connection: prints its
    status (or 'closed') per line."""
    for req in MALFORMED:
        s = connect(port)
        try:
            s.sendall(req)
            if req.endswith(b"HTTP/1.1\r\n"):
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        code = read_reply(s)
        print(code if code is not None else "closed")
        s.close()


def cmd_slow(port, go):
    """A viewer of /events that reads its headers and then nothing until
    the file GO exists (60 s at most), with a tiny receive buffer; then
    reads what comes for a moment and prints the comments it got."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect((HOST, port))
    s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
    print("connected", flush=True)
    end = time.time() + 60
    while not os.path.exists(go) and time.time() < end:
        time.sleep(0.05)
    n, tail, comments = 0, b"", []
    s.settimeout(0.5)
    end = time.time() + 30
    while time.time() < end:
        try:
            chunk = s.recv(1 << 20)
        except socket.timeout:
            if comments:
                break
            continue
        if not chunk:
            break
        n += len(chunk)
        # Lines are looked for in what came, with the unfinished line
        # before it (never the whole stream again).
        lines = (tail + chunk).split(b"\n")
        tail = lines.pop()
        comments += [l for l in lines if l.startswith(b": ") and b"skipped" in l]
        if comments:
            break
    for line in comments:
        print(line.decode())
    print("bytes %d" % n)


LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*)?\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$')


def cmd_prom(_port):
    """Checks Prometheus text format 0.0.4 on stdin: every sample line
    well formed, a TYPE before its samples, one TYPE per family,
    histogram buckets cumulative and ending in +Inf equal to _count.
    Prints 'ok', the families ('NAME TYPE'), then every sample as parsed:
    'sample NAME{LABELS} VALUE' (labels as written)."""
    types = {}
    samples = []
    buckets = {}
    count = {}
    bad = []
    for n, line in enumerate(sys.stdin.read().split("\n"), 1):
        if line == "":
            continue
        if line.startswith("# TYPE "):
            parts = line.split()
            if len(parts) != 4 or parts[3] not in (
                    "counter", "gauge", "histogram", "summary", "untyped"):
                bad.append("%d: %s" % (n, line))
            if parts[2] in types:
                bad.append("%d: second TYPE for %s" % (n, parts[2]))
            types[parts[2]] = parts[3]
            continue
        if line.startswith("#"):
            if not line.startswith("# HELP "):
                bad.append("%d: %s" % (n, line))
            continue
        m = LINE.match(line)
        if not m:
            bad.append("%d: malformed: %s" % (n, line))
            continue
        name = m.group(1)
        samples.append("sample %s%s %s" % (name, m.group(2) or "", m.group(7)))
        fam = re.sub(r"_(bucket|sum|count)$", "", name)
        if name not in types and fam not in types:
            bad.append("%d: no TYPE before %s" % (n, name))
        if name.endswith("_total") and types.get(name) != "counter":
            bad.append("%d: %s is not a counter" % (n, name))
        if name.endswith("_bucket"):
            le = re.search(r'le="([^"]*)"', line).group(1)
            buckets.setdefault(fam, []).append((le, float(m.group(7))))
        if name.endswith("_count"):
            count[fam] = float(m.group(7))
    for fam, bs in buckets.items():
        vals = [v for _, v in bs]
        if vals != sorted(vals):
            bad.append("%s: buckets not cumulative" % fam)
        if bs[-1][0] != "+Inf" or bs[-1][1] != count.get(fam):
            bad.append("%s: +Inf bucket is not _count" % fam)
    if bad:
        print("\n".join(bad))
        sys.exit(1)
    print("ok")
    for k in sorted(types):
        print(k, types[k])
    for s in samples:
        print(s)


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    fn = {"idle": cmd_idle, "huge": cmd_huge, "headers": cmd_many_headers,
          "malformed": cmd_malformed, "slow": cmd_slow,
          "prom": cmd_prom}[cmd]
    fn(port, *sys.argv[3:])


if __name__ == "__main__":
    main()
