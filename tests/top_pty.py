#!/usr/bin/env python3
"""top_pty.py - runs a command on a pseudo-terminal for tests/top.bats
and writes everything it printed to OUT.  Usage:
  top_pty.py OUT ROWS COLS [--winch SECS ROWS COLS]
      [--winch-on TEXT ROWS COLS FILE] [--sigint SECS] -- CMD...
--winch resizes the terminal after SECS (the kernel sends SIGWINCH);
--winch-on resizes it once the command has printed TEXT, then creates
FILE (so that the command's input can wait for the resize rather than
for a time); --sigint sends SIGINT to the command's process group after
SECS, as ^C does.  Prints "status N" (or "signal N") and "seconds S"; every wait is
bounded (60 s)."""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time


def main():
    args = sys.argv[1:]
    out, rows, cols = args[0], int(args[1]), int(args[2])
    args = args[3:]
    winch = winch_on = sigint = None
    while args[0] != "--":
        if args[0] == "--winch":
            winch = (float(args[1]), int(args[2]), int(args[3]))
            args = args[4:]
        elif args[0] == "--winch-on":
            winch_on = (args[1].encode(), int(args[2]), int(args[3]), args[4])
            args = args[5:]
        elif args[0] == "--sigint":
            sigint = float(args[1])
            args = args[2:]
        else:
            sys.exit("top_pty.py: bad argument " + args[0])
    cmd = args[1:]
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.execvp(cmd[0], cmd)
    start = time.time()
    data = b""
    deadline = start + 60
    while time.time() < deadline:
        now = time.time() - start
        if winch and now >= winch[0]:
            fcntl.ioctl(fd, termios.TIOCSWINSZ,
                        struct.pack("HHHH", winch[1], winch[2], 0, 0))
            os.killpg(pid, signal.SIGWINCH)
            winch = None
        if winch_on and winch_on[0] in data:
            fcntl.ioctl(fd, termios.TIOCSWINSZ,
                        struct.pack("HHHH", winch_on[1], winch_on[2], 0, 0))
            os.killpg(pid, signal.SIGWINCH)
            open(winch_on[3], "w").close()
            winch_on = None
        if sigint is not None and now >= sigint:
            os.killpg(pid, signal.SIGINT)
            sigint = None
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    else:
        os.kill(pid, signal.SIGKILL)
    _, st = os.waitpid(pid, 0)
    with open(out, "wb") as f:
        f.write(data)
    if os.WIFEXITED(st):
        print("status %d" % os.WEXITSTATUS(st))
    else:
        print("signal %d" % os.WTERMSIG(st))
    print("seconds %.2f" % (time.time() - start))


if __name__ == "__main__":
    main()
