#!/usr/bin/env python3
"""Benchmark (not a test): bytes tern writes to its terminal per keypress.

Starts the test Dovecot with a 10,000-message INBOX, runs tern in tmux
(TERM=screen, UTF-8) at 120x40 and 80x24, records everything tern writes
to the terminal with tmux pipe-pane, and prints the bytes written per
cursor move (20 x j, then 20 x k, each waited for on the screen; then
the same at the bottom and top edge, where each move scrolls the list), per
page down (5 x PageDown), for 20 x j sent at once (a held key: read
before one redraw) and per open/close of a message (Enter, then q).

Usage: bench-ssh.py [--sizes 120x40,80x24]  (TERN=path of the binary;
run it once with the binary to compare, e.g. one built from main, once
with this one). Prints figures; asserts nothing."""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ternlib  # noqa: E402
import dovecot_server  # noqa: E402

COUNT = 10000


class Tmux:
    def __init__(self, cmd, env, w, h):
        self.sock = "tern-bench-ssh-%d-%d" % (os.getpid(), int(time.time() * 1000) % 1000000)
        self.env = dict(env)
        self.env.pop("TMUX", None)
        self.run("-f", "/dev/null", "new-session", "-d", "-x", str(w), "-y", str(h), cmd)

    def run(self, *args):
        import subprocess
        return subprocess.run(["tmux", "-L", self.sock] + list(args), env=self.env,
                              capture_output=True, text=True).stdout

    def screen(self):
        return self.run("capture-pane", "-p", "-e")

    def until(self, pred, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if pred(s):
                return s
            time.sleep(0.02)
        raise RuntimeError("timed out; screen:\n" + self.screen())

    def kill(self):
        self.run("kill-server")


def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def settle(path, quiet=0.4, timeout=30):
    """Wait until nothing more is written for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    last, since = size(path), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        n = size(path)
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


def keys(term, path, key, times):
    """Bytes written for `times` presses of key, each waited for."""
    settle(path)
    start = size(path)
    for _ in range(times):
        before = term.screen()
        term.run("send-keys", key)
        try:
            term.until(lambda s, b=before: s != b, timeout=10)
        except RuntimeError:
            pass  # nothing to change (end of the list): still counted
    return settle(path) - start


def measure(srv, env, w, h):
    rec = os.path.join(env.dir, "pipe-%dx%d" % (w, h))
    envs = " ".join("%s='%s'" % (k, env.env[k]) for k in
                    ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME") if k in env.env)
    cmd = "exec env %s TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen %s -c '%s'" % (
        envs, ternlib.TERN, env.config)
    term = Tmux(cmd, dict(env.env), w, h)
    try:
        term.run("pipe-pane", "-o", "cat >> '%s'" % rec)
        want = "{:,} messages".format(COUNT)
        term.until(lambda s: want in s and "Loading" not in s)
        settle(rec, quiet=1.0)
        res = {"start": size(rec)}
        res["j"] = keys(term, rec, "j", 20) / 20
        res["k"] = keys(term, rec, "k", 20) / 20
        # to the last row on the screen: each j from there scrolls the list
        term.run("send-keys", "-N", str(h), "j")
        settle(rec)
        res["js"] = keys(term, rec, "j", 20) / 20
        term.run("send-keys", "-N", str(h), "k")
        settle(rec)
        res["ks"] = keys(term, rec, "k", 20) / 20
        res["page"] = keys(term, rec, "NPage", 5) / 5
        # a held key: 20 x j in one write, all read before one redraw
        settle(rec)
        start = size(rec)
        term.run("send-keys", "-N", "20", "j")
        res["burst"] = settle(rec) - start
        res["open"] = keys(term, rec, "Enter", 1) + keys(term, rec, "q", 1)
        term.run("send-keys", "Q")
        time.sleep(0.5)
        return res
    finally:
        term.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="120x40,80x24")
    a = ap.parse_args()
    srv = dovecot_server.DovecotServer(folders={"INBOX": COUNT, "Sent": 0, "Drafts": 0,
                                                "Trash": 0, "Archive": 0}).start()
    env = ternlib.Env()
    try:
        srv.tern_config(env.config)
        print("tern: %s" % ternlib.TERN)
        for sz in a.sizes.split(","):
            w, h = (int(v) for v in sz.split("x"))
            r = measure(srv, env, w, h)
            print("%dx%d: first screen %d B; per j %.0f B, per k %.0f B (on the screen); "
                  "per j %.0f B, per k %.0f B (scrolling); per page down %.0f B "
                  "(a screen is %d cells); 20 x j at once %d B; open+close %d B"
                  % (w, h, r["start"], r["j"], r["k"], r["js"], r["ks"], r["page"], w * h,
                     r["burst"], r["open"]))
    finally:
        env.cleanup()
        srv.stop()


if __name__ == "__main__":
    main()
