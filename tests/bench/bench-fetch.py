#!/usr/bin/env python3
"""Benchmark (not a test): showing a 20 MB message with a 19 MB attachment.

Starts the test Dovecot, appends the message of tests/tui/test-tui-fetch.py
(a short text and a 14 MiB attachment, 19 MB in base64) and measures, in
one run, the bytes the server sends and the time until the text can be
shown, for the ways a viewer can fetch it:

  whole          UID FETCH (BODY.PEEK[])                  (tern before: <= 1 MB)
  first MB       UID FETCH (BODY.PEEK[]<0.1048576>)       (tern before: bigger)
  shown parts    UID FETCH (BODYSTRUCTURE BODY.PEEK[HEADER]), then
                 UID FETCH (BODY.PEEK[1.MIME] BODY.PEEK[1])  (tern now)
  tern viewer    tern itself in tmux: Enter on the message -> its text on
                 the screen (bytes counted by ternlib.Proxy; the time
                 includes rendering and tmux polling)

The three protocol rows send the same fetch items as tern over the same
transport (plain TCP through the same proxy, logged in and the folder
selected first, not counted) and read each answer to its end without
parsing. --delay adds that many seconds to every chunk each way (a slow
link: round trips start to count).

Usage: bench-fetch.py [--runs N] [--delay S]   (TERN=path of the binary;
an optimised build gives the fairer viewer time). Prints figures; asserts
nothing."""
import argparse
import importlib.util
import os
import re
import socket
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402


class Imap:
    """A raw IMAP connection that reads answers to their end, unparsed
    but for the literal counts."""

    def __init__(self, port, user, password):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = b""
        self.n = 0
        self.line()
        self.cmd(b"LOGIN %s %s" % (user.encode(), password.encode()))
        self.cmd(b"EXAMINE INBOX")

    def line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.s.recv(1 << 20)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def skip(self, n):
        while len(self.buf) < n:
            self.buf += self.s.recv(1 << 20)
        self.buf = self.buf[n:]

    def cmd(self, text):
        self.n += 1
        tag = b"b%d" % self.n
        self.s.sendall(tag + b" " + text + b"\r\n")
        while True:
            line = self.line()
            m = re.search(rb"~?\{(\d+)\}$", line)
            if m:
                self.skip(int(m.group(1)))
                continue
            if line.startswith(tag + b" "):
                return line

    def close(self):
        self.cmd(b"LOGOUT")
        self.s.close()


def protocol_row(proxy, srv, uid, commands):
    c = Imap(proxy.port, srv.user, srv.password)
    with proxy.lock:
        start_bytes = proxy.received
    t0 = time.monotonic()
    for cmd in commands:
        c.cmd(cmd % uid.encode())
    elapsed = time.monotonic() - t0
    with proxy.lock:
        n = proxy.received - start_bytes
    c.close()
    return n, elapsed


def tern_row(proxy, srv, env, n_msgs, races, text):
    config = srv.tern_config(env.config, tls="none", port=proxy.port, timeout=120)
    cache = os.path.join(env.dir, "cache", "tern")
    if os.path.isdir(cache):
        import shutil
        shutil.rmtree(cache)
    run = races.Run(env, config)
    try:
        ok, _ = races.wait_loaded(run, n_msgs)
        if not ok:
            raise RuntimeError("the folder did not load")
        time.sleep(1)
        with proxy.lock:
            start_bytes = proxy.received
        t0 = time.monotonic()
        run.term.keys("g", "Enter")
        ok, _ = run.term.wait(lambda ls: any(text in l for l in ls), timeout=300)
        elapsed = time.monotonic() - t0
        time.sleep(0.5)
        with proxy.lock:
            n = proxy.received - start_bytes
        run.term.keys("q")
        time.sleep(0.3)
        run.term.keys("q")
        run.exit_code()
        return n, elapsed
    finally:
        run.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--delay", type=float, default=0.0)
    args = ap.parse_args()
    sys.argv = sys.argv[:1]
    spec = importlib.util.spec_from_file_location(
        "tui_fetch_msg", os.path.join(HERE, "..", "tui", "test-tui-fetch.py"))
    src = open(spec.origin).read().replace("ternlib.run(main)", "")
    mod = {"__file__": spec.origin, "__name__": "tui_fetch_msg"}
    exec(compile(src, spec.origin, "exec"), mod)
    races = mod["races"]
    raw = mod["big_message"]()
    text, mid = mod["TEXT"], mod["MID"]

    srv = ternlib.dovecot_server.DovecotServer().start()
    env = ternlib.Env()
    proxy = ternlib.Proxy(srv.imap_port)
    proxy.delay = args.delay
    try:
        c = srv.imap()
        c.append("INBOX", None, None, raw)
        c.select("INBOX", readonly=True)
        uid = c.uid("SEARCH", None, "HEADER", "Message-ID", '"%s"' % mid)[1][0].split()[-1]
        uid = uid.decode()
        c.logout()
        n_msgs = len(srv.mailbox["INBOX"]) + 1
        rows = [
            ("whole", [b"UID FETCH %s (UID BODY.PEEK[])"]),
            ("first MB", [b"UID FETCH %s (UID BODY.PEEK[]<0.1048576>)"]),
            ("shown parts", [b"UID FETCH %s (UID BODYSTRUCTURE BODY.PEEK[HEADER])",
                             b"UID FETCH %s (UID BODY.PEEK[1.MIME] BODY.PEEK[1])"]),
        ]
        print("message: %d bytes (attachment %d bytes decoded); delay %.3f s per chunk; "
              "%d runs, median" % (len(raw), len(mod["ATTACHMENT"]), args.delay, args.runs))
        print("%-14s %14s %10s" % ("way", "bytes read", "seconds"))
        for name, cmds in rows:
            got = [protocol_row(proxy, srv, uid, cmds) for _ in range(args.runs)]
            print("%-14s %14d %10.3f" % (name, statistics.median(g[0] for g in got),
                                          statistics.median(g[1] for g in got)))
        got = [tern_row(proxy, srv, env, n_msgs, races, text) for _ in range(args.runs)]
        print("%-14s %14d %10.3f" % ("tern viewer", statistics.median(g[0] for g in got),
                                      statistics.median(g[1] for g in got)))
    finally:
        proxy.close()
        env.cleanup()
        srv.stop()


if __name__ == "__main__":
    main()
