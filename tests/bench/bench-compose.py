#!/usr/bin/env python3
"""Benchmark (not a test): answering in the interface on a big folder.

Starts the test Dovecot with an INBOX of --count messages (100,000 by
default) and one 20 MB message (a short text and a 20 MB attachment) on
top, runs tern in tmux with $EDITOR set to a script that writes a time
stamp and leaves, waits until the folder is loaded, then measures:

  key -> editor        r pressed -> the editor has started (its stamp)
  editor -> review     the editor's exit -> the review screen on the screen
  20 MB message        the same two, replying to the 20 MB message (its
                       bytes on the wire counted by a proxy)

For scale: the protocol floor's connect + SELECT. Usage:
bench-compose.py [--count N] [--runs N] (TERN: an optimised build).
Prints figures; asserts nothing."""
import argparse
import importlib.util
import os
import shutil
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_tui", os.path.join(HERE, "bench-tui.py"))
bt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bt)

# date(1) is quick to start; the stamps are wall-clock time (time.time()).
EDITOR = """#!/bin/sh
date +%s.%N > "$BENCH_STAMP.start"
printf 'Noted.\\n' >> "$1"
date +%s.%N > "$BENCH_STAMP.end"
"""


def big_message():
    text = b"Hello,\r\n\r\nthe report is attached.\r\n"
    blob = (b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4\r\n"
            * (20 * 1024 * 1024 // 78))
    return (b"From: Big Sender <big@example.org>\r\nTo: tern@example.org\r\n"
            b"Subject: the big report\r\nDate: Tue, 31 Dec 2030 12:00:00 +0000\r\n"
            b"Message-ID: <big-report@example.org>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + b"--b\r\n"
            b"Content-Type: application/octet-stream; name=report.bin\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + blob + b"--b--\r\n")


def read_stamp(path, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            s = open(path).read().strip()
            if s:
                return float(s)
        time.sleep(0.001)
    raise RuntimeError("no stamp " + path)


def answer_once(term, stamp, key_seq):
    for f in (stamp + ".start", stamp + ".end"):
        if os.path.exists(f):
            os.unlink(f)
    for k in key_seq[:-1]:
        term.run("send-keys", k)
    time.sleep(0.3)
    t0 = time.time()
    term.run("send-keys", key_seq[-1])
    start = read_stamp(stamp + ".start")
    end = read_stamp(stamp + ".end")
    term.until(lambda s: "Review:" in s, timeout=60)
    t1 = time.time()
    term.run("send-keys", "q")  # drop it: the editor wrote, so it asks
    term.until(lambda s: "Drop this message" in s, timeout=30)
    term.run("send-keys", "y")
    term.until(lambda s: "Review:" not in s, timeout=30)
    return start - t0, t1 - end


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    if shutil.which("tmux") is None or ternlib.dovecot_server.find_dovecot() is None:
        print("bench-compose: needs tmux and dovecot")
        return 1
    print("generating %d messages..." % a.count, flush=True)
    srv = ternlib.dovecot_server.DovecotServer(folders={"INBOX": a.count, "Sent": 0}).start()
    c = srv.imap()
    c.append("INBOX", None, None, big_message())
    c.logout()
    env = ternlib.Env()
    proxy = ternlib.Proxy(srv.imap_port)
    editor = os.path.join(env.dir, "editor.sh")
    with open(editor, "w") as f:
        f.write(EDITOR)
    os.chmod(editor, 0o755)
    stamp = os.path.join(env.dir, "stamp")
    env.env.update(EDITOR=editor, BENCH_STAMP=stamp)
    env.env.pop("VISUAL", None)
    try:
        srv.tern_config(env.config, tls="none", port=proxy.port, extra=(
            "smtp_host = 127.0.0.1\nsmtp_port = 9\nsmtp_tls = none\n"
            "from = Tern User <tern@example.org>\n"))
        term = bt.start_tern(env)
        label = "{:,} messages".format(a.count + 1)
        term.until(lambda s: label in s and "Loading" not in s, timeout=600)
        proxy.take()
        # the newest message is the 20 MB one: answer the second row first
        ed, rv = [], []
        for _ in range(a.runs):
            e, r = answer_once(term, stamp, ["g", "j", "r"])
            ed.append(e)
            rv.append(r)
        print("%d messages, r on an ordinary message (%d runs):" % (a.count + 1, a.runs))
        print("  key -> editor       median %s, max %s" % (
            bt.ms(statistics.median(ed)), bt.ms(max(ed))))
        print("  editor -> review    median %s, max %s" % (
            bt.ms(statistics.median(rv)), bt.ms(max(rv))))
        proxy.take()
        e, r = answer_once(term, stamp, ["g", "r"])
        term.kill()
        wire = proxy.take()
        print("r on the 20 MB message (not opened before):")
        print("  key -> editor       %s" % bt.ms(e))
        print("  editor -> review    %s" % bt.ms(r))
        print("  bytes from the server for it: %.1f MiB" % (wire / 1048576))
        f = bt.floor(srv, 100)
        print("protocol floor: connect + STARTTLS + LOGIN + SELECT %s" %
              bt.ms(f["connect_login_select"]))
    finally:
        proxy.close()
        env.cleanup()
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
