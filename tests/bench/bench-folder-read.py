#!/usr/bin/env python3
"""Benchmark (not a test): C-r, "mark the folder read", on a big folder.

Starts the test Dovecot with an INBOX of N messages (default 100,000, all
unread), runs tern with --debug in tmux, waits until the folder is loaded,
then measures:

  screen        C-r -> no "unread" left in the status line
  server        C-r -> STATUS INBOX (UNSEEN) says 0 (polled every 50 ms)
  commands      the UID STORE commands C-r sent, and their bytes
  undo          z -> the status line counts N unread again, and the server
                agrees; the commands z sent (one per UID set of at most
                4,000 bytes: it names the messages that were unread)

Usage: bench-folder-read.py [--count N] (TERN=path of the binary; an
optimised build gives the honest times). Prints figures; asserts nothing."""
import argparse
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ternlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from importlib.machinery import SourceFileLoader  # noqa: E402

bench_tui = SourceFileLoader("bench_tui", os.path.join(HERE, "bench-tui.py")).load_module()


def unseen(srv):
    c = srv.imap()
    try:
        typ, data = c.status("INBOX", "(UNSEEN)")
        return int(re.search(rb"UNSEEN (\d+)", data[0]).group(1))
    finally:
        c.logout()


def mark_unseen(srv):
    c = srv.imap()
    try:
        c.select("INBOX")
        c.uid("STORE", "1:*", "-FLAGS.SILENT", "(\\Seen)")
    finally:
        c.logout()


def stores(log, start):
    with open(log, errors="replace") as f:
        f.seek(start)
        lines = [l for l in f.read().splitlines() if re.search(r"C: \S+ UID STORE ", l)]
    return len(lines), sum(len(l.split("C: ", 1)[1]) + 2 for l in lines)


def until(pred, timeout=600, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return time.monotonic()
        time.sleep(interval)
    raise RuntimeError("timed out")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=100000)
    a = ap.parse_args()
    if shutil.which("tmux") is None or ternlib.dovecot_server.find_dovecot() is None:
        print("bench-folder-read: needs tmux and dovecot")
        return 1
    print("generating %d messages..." % a.count, flush=True)
    srv = ternlib.dovecot_server.DovecotServer(
        folders={"INBOX": a.count, "Trash": 0, "Archive": 0}).start()
    env = ternlib.Env()
    log = os.path.join(env.dir, "cache", "tern", "tern.log")
    try:
        mark_unseen(srv)
        n = unseen(srv)
        srv.tern_config(env.config)
        tern = ternlib.TERN
        envs = " ".join("%s='%s'" % (k, env.env[k]) for k in
                        ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME") if k in env.env)
        cmd = ("exec env %s TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen %s -c '%s' --debug"
               % (envs, tern, env.config))
        term = bench_tui.Tmux(cmd, dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8"))
        try:
            want = "{:,} messages, {:,} unread".format(a.count, n)
            term.until(lambda s: "Loading" not in s and want in s, interval=0.1)
            time.sleep(1)
            start = os.path.getsize(log)
            t0 = time.monotonic()
            term.run("send-keys", "C-r")
            t1, _ = term.until(lambda s: "unread" not in s.split("\n")[28], interval=0.01)
            t2 = until(lambda: unseen(srv) == 0)
            time.sleep(0.5)
            cmds, size = stores(log, start)
            print("tern %s, INBOX of %d messages, %d unread" % (tern, a.count, n))
            print("  C-r -> screen shows no unread   %7.0f ms" % ((t1 - t0) * 1000))
            print("  C-r -> server says 0 unseen     %7.0f ms" % ((t2 - t0) * 1000))
            print("  C-r sent %d UID STORE command(s), %d bytes" % (cmds, size))
            start = os.path.getsize(log)
            t0 = time.monotonic()
            term.run("send-keys", "z")
            t1, _ = term.until(lambda s: want in s, interval=0.01)
            t2 = until(lambda: unseen(srv) == n)
            time.sleep(0.5)
            cmds, size = stores(log, start)
            print("  z   -> screen shows %d unread %7.0f ms" % (n, (t1 - t0) * 1000))
            print("  z   -> server says %d unseen  %7.0f ms" % (n, (t2 - t0) * 1000))
            print("  z sent %d UID STORE command(s), %d bytes" % (cmds, size))
            term.run("send-keys", "Q")
            time.sleep(0.5)
        finally:
            term.kill()
    finally:
        env.cleanup()
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
