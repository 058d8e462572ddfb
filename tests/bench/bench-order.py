#!/usr/bin/env python3
"""Benchmark (not a test): the first screen of a 100,000-message folder
that tern has not cached, sorted by sender and threaded (issue #16).

Starts the test Dovecot with a one-message INBOX and a folder "Big" of
100,000 messages (genmail's), runs tern in tmux on INBOX, sets the view
(o o: by sender; O: threaded; nothing: newest first, for reference), opens
Big with J and measures Enter -> the first list rows of Big on the screen
(its name in the status line and ten rows). tern's cache is emptied before
each run, so Big is never cached.

Beside it, in the same run, the protocol floor: a raw client (plain IMAP,
logged in, Big selected beforehand) sending the same commands tern sends:
  sorted    UID SORT RETURN (PARTIAL 1:N) (DISPLAYFROM) UTF-8 ALL
  threaded  UID THREAD REFS UTF-8 ALL
each alone, and followed by the UID FETCH of the first screen's summaries
(the same items as tern's) - the least a client can do for that screen;
and SELECT alone, and the newest screenful by sequence number, which tern's
figures (Enter -> rows) also contain.

Dovecot builds its sort and thread indexes on the first SORT/THREAD of a
folder: the first round (cold) is printed apart from the warm ones.

Usage: bench-order.py [--count N] [--runs N]   (TERN=path of the binary;
use an optimised build, not a sanitizer one). Prints figures; asserts
nothing. Aim (issue #16): under 0.3 s for both first screens."""
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ternlib  # noqa: E402

FOLDER = "Big"
# tern's summary items (core/imap/client.c): header fields, not ENVELOPE
FETCH_ITEMS = (b"(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS "
               b"(FROM TO CC SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES)])")
ROW = re.compile(r"\d{4}-\d\d-\d\d|\d\d:\d\d")
HEIGHT = 30
FIRST = 56  # tern's first screen on a 30-row terminal: twice the list's rows


class Tmux:
    def __init__(self, cmd, env, w=100, h=HEIGHT):
        self.sock = "tern-bench-order-%d-%d" % (os.getpid(), int(time.time() * 1000) % 1000000)
        self.env = dict(env)
        self.env.pop("TMUX", None)
        self.run("-f", "/dev/null", "new-session", "-d", "-x", str(w), "-y", str(h), cmd)

    def run(self, *args):
        return subprocess.run(["tmux", "-L", self.sock] + list(args), env=self.env,
                              capture_output=True, text=True).stdout

    def screen(self):
        return self.run("capture-pane", "-p")

    def until(self, pred, timeout=600, interval=0.005):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if pred(s):
                return time.monotonic(), s
            time.sleep(interval)
        raise RuntimeError("timed out; screen:\n" + self.screen())

    def kill(self):
        self.run("kill-server")


def start_tern(env):
    envs = " ".join("%s='%s'" % (k, env.env[k]) for k in
                    ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME") if k in env.env)
    cmd = "exec env %s TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen %s -c '%s'" % (
        envs, ternlib.TERN, env.config)
    return Tmux(cmd, dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8"))


def big_shown(screen):
    lines = screen.split("\n")
    status = lines[HEIGHT - 2] if len(lines) >= HEIGHT - 1 else ""
    rows = [l for l in lines[:HEIGHT - 2] if ROW.search(l.split("│", 1)[-1])]
    return FOLDER in status and len(rows) >= 10


def run_tern(env, keys):
    """Enter on Big -> its first rows (seconds), and the screen then."""
    d = env.env["XDG_CACHE_HOME"]
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d, exist_ok=True)
    term = start_tern(env)
    try:
        term.until(lambda s: "1 message" in s, timeout=60, interval=0.05)
        time.sleep(1.5)  # the folder list is in, IDLE runs
        for k in keys:
            term.run("send-keys", k)
            time.sleep(0.3)
        term.run("send-keys", "J")
        term.until(lambda s: "Go to folder:" in s, timeout=10, interval=0.02)
        term.run("send-keys", "-l", FOLDER)
        time.sleep(0.3)
        t0 = time.monotonic()
        term.run("send-keys", "Enter")
        t1, screen = term.until(big_shown)
        term.run("send-keys", "Q")
        time.sleep(0.3)
        return t1 - t0, screen
    finally:
        term.kill()


class Raw:
    """A plain IMAP client: logged in, the folder selected."""

    def __init__(self, srv):
        self.s = socket.create_connection(("127.0.0.1", srv.imap_port))
        self.n = 0
        self.s.recv(4096)
        self.cmd(b"LOGIN %s %s" % (srv.user.encode(), srv.password.encode()))
        self.cmd(b"SELECT " + FOLDER.encode())

    def cmd(self, line):
        self.n += 1
        tag = b"r%d" % self.n
        self.s.sendall(tag + b" " + line + b"\r\n")
        buf = bytearray()
        while True:
            d = self.s.recv(1 << 20)
            if not d:
                raise RuntimeError("closed")
            buf += d
            if buf.endswith(b"\r\n"):
                i = buf.rfind(b"\r\n", 0, len(buf) - 2)
                if bytes(buf[i + 2:] if i >= 0 else buf).startswith(tag + b" "):
                    return bytes(buf)

    def close(self):
        self.s.close()


def select(raw):
    t0 = time.monotonic()
    raw.cmd(b"SELECT " + FOLDER.encode())
    return time.monotonic() - t0


def floor_sorted(raw):
    sel = select(raw)
    t0 = time.monotonic()
    out = raw.cmd(b"UID SORT RETURN (PARTIAL 1:%d) (DISPLAYFROM) UTF-8 ALL" % FIRST)
    t1 = time.monotonic()
    m = re.search(rb"PARTIAL \(\S+ (\S+)\)", out)
    raw.cmd(b"UID FETCH " + m.group(1) + b" " + FETCH_ITEMS)
    t2 = time.monotonic()
    return t1 - t0, t2 - t0, sel


def floor_threaded(raw):
    sel = select(raw)
    t0 = time.monotonic()
    out = raw.cmd(b"UID THREAD REFS UTF-8 ALL")
    t1 = time.monotonic()
    # the last threads' numbers, up to a first screen
    nums = re.findall(rb"\d+", out.split(b"THREAD", 1)[1].rsplit(b"\r\n", 2)[0])
    uids = b",".join(nums[-FIRST:])
    raw.cmd(b"UID FETCH " + uids + b" " + FETCH_ITEMS)
    t2 = time.monotonic()
    return t1 - t0, t2 - t0, len(out), sel


def floor_newest(raw):
    """SELECT, then the newest screenful by sequence number (tern's date order)."""
    t0 = time.monotonic()
    out = raw.cmd(b"SELECT " + FOLDER.encode())
    sel = time.monotonic() - t0
    n = int(re.search(rb"(\d+) EXISTS", out).group(1))
    t0 = time.monotonic()
    raw.cmd(b"FETCH %d:* " % max(1, n - FIRST + 1) + FETCH_ITEMS)
    return time.monotonic() - t0, sel


def ms(x):
    return "%.0f ms" % (x * 1000)


def med(v):
    return "median %s (%s)" % (ms(statistics.median(v)), " ".join(ms(x) for x in v))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    if shutil.which("tmux") is None or ternlib.dovecot_server.find_dovecot() is None:
        print("bench-order: needs tmux and dovecot")
        return 1
    print("generating %d messages..." % a.count, flush=True)
    t0 = time.monotonic()
    srv = ternlib.dovecot_server.DovecotServer(
        folders={"INBOX": 1, FOLDER: a.count, "Trash": 0}).start()
    print("server ready in %.0f s; tern: %s" % (time.monotonic() - t0, ternlib.TERN), flush=True)
    env = ternlib.Env()
    raw = None
    try:
        srv.tern_config(env.config, tls="none")
        raw = Raw(srv)
        # Dovecot's first SORT and THREAD build its indexes: cold figures
        cold_sort = floor_sorted(raw)
        cold_thread = floor_threaded(raw)
        print("cold server (its first SORT / THREAD of %s), raw client:" % FOLDER)
        print("  SORT PARTIAL %s, + FETCH of the first screen %s" % (
            ms(cold_sort[0]), ms(cold_sort[1])))
        print("  THREAD REFS  %s (%d bytes), + FETCH of the first screen %s" % (
            ms(cold_thread[0]), cold_thread[2], ms(cold_thread[1])))
        for label, keys in (("newest first (sequence numbers, for reference)", []),
                            ("sorted by sender (ESORT PARTIAL)", ["o", "o"]),
                            ("threaded (THREAD=REFS)", ["O"])):
            times = []
            for _ in range(a.runs):
                t, _ = run_tern(env, keys)
                times.append(t)
            print("tern, %s, Enter -> first rows: %s" % (label, med(times)), flush=True)
        fs = [floor_sorted(raw) for _ in range(a.runs)]
        ft = [floor_threaded(raw) for _ in range(a.runs)]
        fn = [floor_newest(raw) for _ in range(a.runs)]
        print("protocol floor, warm (raw client, plain IMAP, logged in):")
        print("  SELECT %s                                  %s" % (FOLDER, med([x[2] for x in fs])))
        print("  FETCH of the newest %d by sequence number    %s" % (FIRST, med([x[0] for x in fn])))
        print("  UID SORT RETURN (PARTIAL 1:%d) (DISPLAYFROM)  %s" % (FIRST, med([x[0] for x in fs])))
        print("    + UID FETCH of those %d                    %s" % (FIRST, med([x[1] for x in fs])))
        print("  UID THREAD REFS UTF-8 ALL                     %s (%d bytes)" % (
            med([x[0] for x in ft]), ft[-1][2]))
        print("    + UID FETCH of the newest threads' %d     %s" % (FIRST, med([x[1] for x in ft])))
    finally:
        if raw is not None:
            raw.close()
        env.cleanup()
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
