#!/usr/bin/env python3
"""Benchmark (not a test): the TUI on a folder of 100,000 messages.

Starts the test Dovecot with a 100,000-message INBOX (genmail's benchmark
messages), runs tern in tmux and measures:

  first screen   start of tern -> the first list rows on the screen
  keypress       while the folder is still loading: a key -> its redraw
                 (the help screen opening, then closing; a cursor move)
  loaded         start -> "Loading INBOX n / 100,000" gone and all
                 100,000 messages counted in the status line
  RSS            tern's resident memory when loaded (VmHWM: the peak)
  per message    (peak - peak of tern on 1,000 messages) / (messages - 1,000):
                 the marginal bytes a message costs, transient ones included

with nothing cached by tern, once against a cold server (Dovecot has
never read the folder) and then warm (after two full fetches from another
client: Dovecot fills its own cache over the first two), once without any
key pressed while loading; then with tern's cache filled (tern started again: the folder
opens from its SQLite cache, then resyncs), and last with --offline on
that cache (start -> the whole folder counted, no server, no key pressed:
the whole-folder load alone). For scale it also times the
protocol floor: the same UID FETCH items over the same transport
(STARTTLS), read to the end without parsing, for the newest screenful and
for the whole folder.

Usage: bench-tui.py [--count N] [--runs N]   (TERN=path of the binary;
use an optimised build, not a sanitizer one). Prints figures; asserts
nothing."""
import argparse
import os
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ternlib  # noqa: E402

FETCH_ITEMS = (b"(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO CC "
               b"SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES)])")
ROW = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


class Tmux:
    def __init__(self, cmd, env, w=100, h=30):
        self.sock = "tern-bench-%d-%d" % (os.getpid(), int(time.time() * 1000) % 1000000)
        self.env = dict(env)
        self.env.pop("TMUX", None)
        self.t0 = time.monotonic()
        self.run("-f", "/dev/null", "new-session", "-d", "-x", str(w), "-y", str(h), cmd)

    def run(self, *args):
        return subprocess.run(["tmux", "-L", self.sock] + list(args), env=self.env,
                              capture_output=True, text=True).stdout

    def screen(self, attrs=False):
        return self.run("capture-pane", "-p", *(["-e"] if attrs else []))

    def until(self, pred, timeout=600, attrs=False, interval=0.002):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen(attrs)
            if pred(s):
                return time.monotonic(), s
            time.sleep(interval)
        raise RuntimeError("timed out; screen:\n" + self.screen())

    def pid(self):
        return int(self.run("display", "-p", "#{pane_pid}").strip())

    def kill(self):
        self.run("kill-server")


def rss_kib(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                k, v = line.split(":")
                out[k] = int(v.split()[0])
    return out


def list_rows(screen):
    return [l for l in screen.split("\n")[:11] if ROW.search(l)]


def keypress(term, key, pred, attrs=False):
    t0 = time.monotonic()
    term.run("send-keys", key)
    t1, _ = term.until(pred, timeout=30, attrs=attrs)
    return t1 - t0


def start_tern(env, extra=""):
    tern = ternlib.TERN
    envs = " ".join("%s='%s'" % (k, env.env[k]) for k in
                    ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME") if k in env.env)
    cmd = "exec env %s TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen %s -c '%s' %s" % (
        envs, tern, env.config, extra)
    return Tmux(cmd, dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8"))


BASE_COUNT = 1000


def base_peak():
    """tern's peak RSS (KiB) on an INBOX of BASE_COUNT messages, loaded with
    nothing cached: DESIGN's per-message figure is marginal,
    (RSS at 100,000 - RSS at 1,000) / 99,000."""
    srv = ternlib.dovecot_server.DovecotServer(
        folders={"INBOX": BASE_COUNT, "Trash": 0, "Archive": 0}).start()
    env = ternlib.Env()
    want = "{:,} messages".format(BASE_COUNT)
    try:
        srv.tern_config(env.config)
        term = start_tern(env)
        try:
            term.until(lambda s: want in s and "Loading" not in s, timeout=60, interval=0.05)
            time.sleep(0.5)
            return rss_kib(term.pid()).get("VmHWM", 0)
        finally:
            term.run("send-keys", "Q")
            time.sleep(0.3)
            term.kill()
    finally:
        env.cleanup()
        srv.stop()


def clear_cache(env):
    d = env.env["XDG_CACHE_HOME"]
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d, exist_ok=True)


def run_offline(env, count):
    """tern --offline on its filled cache: start -> the whole folder counted
    (no server, no key pressed), polled every 10 ms."""
    term = start_tern(env, "--offline")
    try:
        want = "{:,}".format(count)
        t, _ = term.until(lambda s: "Loading" not in s and (want + " messages") in s,
                          interval=0.01)
        rss = rss_kib(term.pid())
        term.run("send-keys", "Q")
    finally:
        time.sleep(0.3)
        term.kill()
    return t - term.t0, rss


def run_tern(srv, env, count, keys=True):
    term = start_tern(env)
    res = {}
    try:
        want = "{:,}".format(count)
        t1, s = term.until(lambda s: len(list_rows(s)) >= 10)
        res["first_screen"] = t1 - term.t0
        # From the cache the rest streams in without "Loading": the count tells.
        loading = "Loading INBOX" in s or (want + " messages") not in s
        res["loading_at_first_screen"] = loading
        lat_help, lat_move = [], []
        for _ in range(5 if keys else 0):
            scr = term.screen()
            if "Loading" not in scr and (want + " messages") in scr:
                break
            lat_help.append(keypress(term, "?", lambda s: "tern — keys" in s))
            lat_help.append(keypress(term, "q", lambda s: "tern — keys" not in s))
            before = term.screen(attrs=True)
            lat_move.append(keypress(term, "j", lambda s, b=before: s != b, attrs=True))
        res["lat_help"] = lat_help
        res["lat_move"] = lat_move
        # Polled every 50 ms, not 2: capture-pane in a tight loop takes a
        # core of this 2-core machine from tern and Dovecot.
        t2, s = term.until(lambda s: "Loading" not in s and (want + " messages") in s,
                           interval=0.05)
        res["loaded"] = t2 - term.t0
        time.sleep(0.5)
        res["rss"] = rss_kib(term.pid())
        term.run("send-keys", "Q")
    finally:
        time.sleep(0.3)
        term.kill()
    return res


def floor(srv, first):
    """Same items, same transport (STARTTLS), read to the end."""
    def done(buf, tag):
        tail = bytes(buf[-8192:])
        if not tail.endswith(b"\r\n"):
            return False
        i = tail.rfind(b"\r\n", 0, len(tail) - 2)
        return (tail[i + 2:] if i >= 0 else tail).startswith(tag + b" ")

    def read_until(sock, tag):
        buf = bytearray()
        while not done(buf, tag):
            d = sock.recv(1 << 20)
            if not d:
                raise RuntimeError("closed")
            buf += d
        return bytes(buf)

    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", srv.imap_port))
    s.recv(4096)
    s.sendall(b"a1 STARTTLS\r\n")
    read_until(s, b"a1")
    ctx = ssl.create_default_context(cafile=srv.ca_file)
    s = ctx.wrap_socket(s, server_hostname="localhost")
    s.sendall(b"a2 LOGIN %s %s\r\n" % (srv.user.encode(), srv.password.encode()))
    read_until(s, b"a2")
    s.sendall(b"a3 SELECT INBOX\r\n")
    sel = read_until(s, b"a3")
    uidnext = int(re.search(rb"UIDNEXT (\d+)", sel).group(1))
    t1 = time.monotonic()
    s.sendall(b"a4 UID FETCH %d:* " % max(1, uidnext - first) + FETCH_ITEMS + b"\r\n")
    read_until(s, b"a4")
    t2 = time.monotonic()
    s.sendall(b"a5 UID FETCH 1:* " + FETCH_ITEMS + b"\r\n")
    n = len(read_until(s, b"a5"))
    t3 = time.monotonic()
    s.close()
    return {"connect_login_select": t1 - t0, "first_screenful": t2 - t1,
            "whole_folder": t3 - t2, "whole_bytes": n}


def ms(x):
    return "%.0f ms" % (x * 1000)


def report(label, r, count, empty):
    print("%s:" % label)
    print("  first screen of the list     %s%s" % (
        ms(r["first_screen"]),
        " (still loading: yes)" if r["loading_at_first_screen"] else " (already loaded)"))
    for name, key in (("help open/close", "lat_help"), ("cursor move (j)", "lat_move")):
        v = r[key]
        if v:
            print("  keypress -> redraw, %-9s median %s, max %s (n=%d, while loading)" % (
                name.split()[0], ms(statistics.median(v)), ms(max(v)), len(v)))
    print("  whole folder loaded          %s" % ms(r["loaded"]))
    print("  RSS when loaded              %d MiB (peak %d MiB)" % (
        r["rss"].get("VmRSS", 0) // 1024, r["rss"].get("VmHWM", 0) // 1024))
    if empty and count > BASE_COUNT:
        print("  per message (peak)           %.0f bytes (marginal over %d messages: %d MiB "
              "peak)" % ((r["rss"].get("VmHWM", 0) - empty) * 1024.0 / (count - BASE_COUNT),
                         BASE_COUNT, empty // 1024))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=1, help="warm runs")
    a = ap.parse_args()
    if shutil.which("tmux") is None or ternlib.dovecot_server.find_dovecot() is None:
        print("bench-tui: needs tmux and dovecot")
        return 1
    folders = {"INBOX": a.count, "Trash": 0, "Archive": 0}
    empty = base_peak()
    print("generating %d messages..." % a.count, flush=True)
    t0 = time.monotonic()
    srv = ternlib.dovecot_server.DovecotServer(folders=folders).start()
    print("server ready in %.0f s; tern: %s" % (time.monotonic() - t0, ternlib.TERN))
    env = ternlib.Env()
    try:
        srv.tern_config(env.config)
        report("cold server, nothing cached (Dovecot reads the folder for the first time)",
               run_tern(srv, env, a.count), a.count, empty)
        # Dovecot fills its own cache over the first two full fetches: warm
        # it with the floor's before the "warm" runs.
        floor(srv, 100)
        floor(srv, 100)
        clear_cache(env)
        report("warm server, nothing cached, no key pressed while loading",
               run_tern(srv, env, a.count, keys=False), a.count, empty)
        for i in range(a.runs):
            clear_cache(env)
            r = run_tern(srv, env, a.count)
            report("warm server, nothing cached, run %d" % (i + 1), r, a.count, empty)
        for i in range(a.runs):
            r = run_tern(srv, env, a.count)
            report("warm cache (tern started again on its filled cache), run %d" % (i + 1),
                   r, a.count, empty)
        offline = [run_offline(env, a.count) for _ in range(3)]
        print("warm cache, --offline, no key pressed (start -> whole folder counted):")
        print("  whole folder loaded          median %s (%s), RSS %d MiB" % (
            ms(statistics.median(x[0] for x in offline)),
            " ".join(ms(x[0]) for x in offline), offline[-1][1].get("VmHWM", 0) // 1024))
        f = floor(srv, 100)
        print("protocol floor (same FETCH items, STARTTLS, no parsing):")
        print("  connect + STARTTLS + LOGIN + SELECT  %s" % ms(f["connect_login_select"]))
        print("  newest 100 messages                  %s" % ms(f["first_screenful"]))
        print("  whole folder                         %s (%.1f MiB)" % (
            ms(f["whole_folder"]), f["whole_bytes"] / 1048576))
    finally:
        env.cleanup()
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
