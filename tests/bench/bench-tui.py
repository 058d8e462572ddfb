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

Each size gets all of the above, and a summary ends the run: a line per
size with the time and peak RSS per message (so growth worse than linear
shows) beside the floor, and issue 17's targets at the largest size
(first screen under 0.3 s with nothing cached and with the cache filled,
a key drawn within 50 ms while loading, peak RSS under 300 MiB), each
said met or missed. Printed, not asserted.

TERN_BENCH_1M=1 adds a folder of 1,000,000 messages. Its mail is kept in
$TERN_BENCH_DIR (default /var/tmp/tern-bench-1m-tui, one size per
directory) and reused while the stamp file generated-INBOX-1000000 is
there: making it takes some 6 minutes and 17 GB, and Dovecot's first
index of it some 3 more (its imap processes need vsz_limit 2G, which
tests/server/dovecot_server.py sets). A kept folder's server is already
warm, so the two warming fetches are skipped for it.

--cache-only measures only what comes from tern's cache: one load with
nothing cached fills it (not reported), then the warm-cache runs (first
screen, keys while the rest comes, RSS) and the --offline runs (the whole
folder loaded, with CPU time and peak RSS), and a summary of those rows
against issue 17's floor targets (whole folder from the cache: 100,000 in
under 0.15 s, 1,000,000 in under 1 s).

Usage: bench-tui.py [--count N | --sizes N,N,...] [--runs N] [--cache-only]
(TERN=path of the binary; use an optimised build, not a sanitizer one).
  TERN_BENCH_1M=1 bench-tui.py --sizes 10000,100000   # 10k, 100k and 1M
Prints figures; asserts nothing."""
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

    def gone(self, timeout=60):
        """Wait (after Q) until tern has exited: it finishes its cache's
        checkpoint first, which the next run would otherwise find undone."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = subprocess.run(["tmux", "-L", self.sock, "has-session"], env=self.env,
                               capture_output=True)
            if r.returncode != 0:
                return
            time.sleep(0.05)


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
            term.gone()
            term.kill()
    finally:
        env.cleanup()
        srv.stop()


def clear_cache(env):
    d = env.env["XDG_CACHE_HOME"]
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d, exist_ok=True)


def cpu_seconds(pid):
    """User + system CPU time of the process so far (every thread, those
    that ended included)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_offline(env, count):
    """tern --offline on its filled cache: start -> the whole folder counted
    (no server, no key pressed), polled every 10 ms."""
    term = start_tern(env, "--offline")
    try:
        want = "{:,}".format(count)
        t, _ = term.until(lambda s: "Loading" not in s and (want + " messages") in s,
                          interval=0.01)
        rss = rss_kib(term.pid())
        rss["cpu"] = cpu_seconds(term.pid())
        term.run("send-keys", "Q")
        term.gone()
    finally:
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
        term.gone()
    finally:
        term.kill()
    return res


def floor(srv, first):
    """Same items, same transport (STARTTLS), read to the end; the newest
    screenful also without RFC822.SIZE, as tern's first screen asks."""
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
    # tern's first screen asks without RFC822.SIZE (first in the session:
    # the first size asked for is what costs Dovecot its uidlist walk)
    s.sendall(b"a4 UID FETCH %d:* " % max(1, uidnext - first) +
              FETCH_ITEMS.replace(b"RFC822.SIZE ", b"") + b"\r\n")
    read_until(s, b"a4")
    t2 = time.monotonic()
    s.sendall(b"a5 UID FETCH %d:* " % max(1, uidnext - first) + FETCH_ITEMS + b"\r\n")
    read_until(s, b"a5")
    t3 = time.monotonic()
    s.sendall(b"a6 UID FETCH 1:* " + FETCH_ITEMS + b"\r\n")
    n = len(read_until(s, b"a6"))
    t4 = time.monotonic()
    s.close()
    return {"connect_login_select": t1 - t0, "first_screenful_nosize": t2 - t1,
            "first_screenful": t3 - t2, "whole_folder": t4 - t3, "whole_bytes": n}


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


KEEP_DIR_1M = "/var/tmp/tern-bench-1m-tui"
FIRST_SCREEN_TARGET = 0.3      # s, cold (nothing cached by tern) and warm (cache filled)
KEYPRESS_TARGET = 0.05         # s, a key drawn while the folder loads
RSS_TARGET = 300 * 1024        # KiB, peak with the whole index loaded


def start_server(count):
    """The test Dovecot with an INBOX of count messages. From 1,000,000 up
    the mail is kept in $TERN_BENCH_DIR (default KEEP_DIR_1M; one size per
    directory) and reused when its stamp file says it was made; Dovecot's
    index and cache are kept with it. Returns (server, kept)."""
    folders = {"INBOX": count, "Trash": 0, "Archive": 0}
    if count < 1000000:
        return ternlib.dovecot_server.DovecotServer(folders=folders).start(), False
    keep = os.environ.get("TERN_BENCH_DIR") or KEEP_DIR_1M
    stamp = os.path.join(keep, "generated-INBOX-%d" % count)
    gm = ternlib.dovecot_server.genmail
    write = gm.write_maildir
    kept = os.path.exists(stamp)
    if kept:
        gm.write_maildir = lambda root, f, seed=None: {}
    try:
        srv = ternlib.dovecot_server.DovecotServer(folders=folders, keep_dir=keep).start()
    finally:
        gm.write_maildir = write
    open(stamp, "w").close()
    return srv, kept


def bench_size(count, runs, empty):
    """Every figure for one folder size; returns them for the summary."""
    out = {"count": count}
    print("\n==== %s messages ====" % "{:,}".format(count))
    print("generating %d messages..." % count, flush=True)
    t0 = time.monotonic()
    srv, kept = start_server(count)
    print("server ready in %.0f s%s; tern: %s" % (
        time.monotonic() - t0, " (mail and Dovecot's index kept from an earlier run)"
        if kept else "", ternlib.TERN), flush=True)
    env = ternlib.Env()
    try:
        srv.tern_config(env.config)
        r = run_tern(srv, env, count)
        report("cold server, nothing cached (%s)" % (
            "Dovecot just started on its kept index" if kept else
            "Dovecot reads the folder for the first time"), r, count, empty)
        out["cold_server"] = r
        if not kept:
            # Dovecot fills its own cache over the first two full fetches:
            # warm it with the floor's before the "warm" runs (a kept
            # folder's cache was filled when it was made).
            floor(srv, 100)
            floor(srv, 100)
        clear_cache(env)
        r = run_tern(srv, env, count, keys=False)
        report("warm server, nothing cached, no key pressed while loading", r, count, empty)
        out["nokeys"] = r
        out["cold"], out["warm"] = [], []
        for i in range(runs):
            clear_cache(env)
            r = run_tern(srv, env, count)
            report("warm server, nothing cached, run %d" % (i + 1), r, count, empty)
            out["cold"].append(r)
        for i in range(runs):
            r = run_tern(srv, env, count)
            report("warm cache (tern started again on its filled cache), run %d" % (i + 1),
                   r, count, empty)
            out["warm"].append(r)
        offline = [run_offline(env, count) for _ in range(3)]
        out["offline"] = offline
        print("warm cache, --offline, no key pressed (start -> whole folder counted):")
        print("  whole folder loaded          median %s (%s), RSS %d MiB" % (
            ms(statistics.median(x[0] for x in offline)),
            " ".join(ms(x[0]) for x in offline), offline[-1][1].get("VmHWM", 0) // 1024))
        f = floor(srv, 100)
        out["floor"] = f
        print("protocol floor (same FETCH items, STARTTLS, no parsing):")
        print("  connect + STARTTLS + LOGIN + SELECT  %s" % ms(f["connect_login_select"]))
        print("  newest 100 without RFC822.SIZE       %s (first: tern's first screen)" %
              ms(f["first_screenful_nosize"]))
        print("  newest 100 messages                  %s" % ms(f["first_screenful"]))
        print("  whole folder                         %s (%.1f MiB)" % (
            ms(f["whole_folder"]), f["whole_bytes"] / 1048576), flush=True)
    finally:
        env.cleanup()
        srv.stop()
    return out


def bench_cache_size(count, runs, empty):
    """--cache-only: the warm-cache and --offline rows alone."""
    out = {"count": count}
    print("\n==== %s messages, from the cache ====" % "{:,}".format(count))
    srv, kept = start_server(count)
    env = ternlib.Env()
    try:
        srv.tern_config(env.config)
        run_tern(srv, env, count, keys=False)  # fills the cache
        out["warm"] = []
        for i in range(runs):
            r = run_tern(srv, env, count)
            report("warm cache (tern started again on its filled cache), run %d" % (i + 1),
                   r, count, empty)
            out["warm"].append(r)
        out["offline"] = [run_offline(env, count) for _ in range(max(3, runs))]
        print("warm cache, --offline, no key pressed (start -> whole folder counted):")
        for t, rss in out["offline"]:
            print("  whole folder loaded          %s, CPU %.2f s, peak RSS %d MiB" % (
                ms(t), rss["cpu"], rss.get("VmHWM", 0) // 1024), flush=True)
    finally:
        env.cleanup()
        srv.stop()
    return out


def summary_cache(results):
    print("\n==== summary, from the cache (medians) ====")
    print("%10s %9s %9s %9s %9s %9s %8s" % ("messages", "1st warm", "key max", "offline",
                                           "CPU", "per msg", "peak"))
    for o in results:
        keys = [x for r in o["warm"] for x in r["lat_help"] + r["lat_move"]]
        off = statistics.median(x[0] for x in o["offline"])
        cpu = statistics.median(x[1]["cpu"] for x in o["offline"])
        peak = max([x[1].get("VmHWM", 0) for x in o["offline"]] +
                   [r["rss"].get("VmHWM", 0) for r in o["warm"]])
        print("%10s %9s %9s %9s %8.2fs %7.2fus %5dMiB" % (
            "{:,}".format(o["count"]),
            ms(statistics.median(r["first_screen"] for r in o["warm"])),
            ms(max(keys)) if keys else "-", ms(off), cpu, off * 1e6 / o["count"],
            peak // 1024))
    for o in results:
        target = {100000: 0.15, 1000000: 1.0}.get(o["count"])
        if target is not None:
            off = statistics.median(x[0] for x in o["offline"])
            print("  whole folder from the cache at %s: %s < %s  %s" % (
                "{:,}".format(o["count"]), ms(off), ms(target), met(off < target)))


def met(ok):
    return "met" if ok else "MISSED"


def summary(results, empty):
    """A line per size: time and RSS per message, beside the floor; then
    the targets of issue 17 (printed, not asserted)."""
    print("\n==== summary (medians where there are several runs) ====")
    print("%10s %9s %9s %9s %9s %9s %9s %8s %8s %9s %9s" % (
        "messages", "1st cold", "1st warm", "key max", "loaded", "per msg", "floor",
        "peak", "per msg", "offline", "per msg"))
    print("%10s %9s %9s %9s %9s %9s %9s %8s %8s %9s %9s" % (
        "", "(no cache)", "(cache)", "(loading)", "(no cache)", "(time)", "(whole)",
        "RSS", "(RSS)", "(loaded)", "(time)"))
    for o in results:
        n = o["count"]
        cold, warm = o["cold"], o["warm"]
        first_cold = statistics.median(r["first_screen"] for r in cold)
        first_warm = statistics.median(r["first_screen"] for r in warm)
        keys = [x for r in cold + warm + [o["cold_server"]]
                for x in r["lat_help"] + r["lat_move"]]
        loaded = statistics.median(r["loaded"] for r in [o["nokeys"]] + cold)
        peak = max(r["rss"].get("VmHWM", 0) for r in [o["nokeys"]] + cold + warm)
        per_rss = (peak - empty) * 1024.0 / (n - BASE_COUNT) if n > BASE_COUNT else 0
        off = statistics.median(x[0] for x in o["offline"])
        o.update(first_cold=first_cold, first_warm=first_warm, keys=keys, peak=peak)
        print("%10s %9s %9s %9s %9s %7.1fus %9s %5dMiB %7.0fB %9s %7.2fus" % (
            "{:,}".format(n), ms(first_cold), ms(first_warm),
            ms(max(keys)) if keys else "-", ms(loaded), loaded * 1e6 / n,
            ms(o["floor"]["whole_folder"]), peak // 1024, per_rss, ms(off), off * 1e6 / n))
    print("floor: the same FETCH items over the same transport, read without parsing; "
          "'newest 100' per size:")
    for o in results:
        print("  %10s  connect+login+select %s, newest 100 %s (%s with sizes), whole %s" % (
            "{:,}".format(o["count"]), ms(o["floor"]["connect_login_select"]),
            ms(o["floor"]["first_screenful_nosize"]), ms(o["floor"]["first_screenful"]),
            ms(o["floor"]["whole_folder"])))
    big = max(results, key=lambda o: o["count"])
    print("targets (issue 17) at %s messages:" % "{:,}".format(big["count"]))
    print("  first screen, nothing cached  %s  < %s  %s" % (
        ms(big["first_cold"]), ms(FIRST_SCREEN_TARGET),
        met(big["first_cold"] < FIRST_SCREEN_TARGET)))
    print("  first screen, cache filled    %s  < %s  %s" % (
        ms(big["first_warm"]), ms(FIRST_SCREEN_TARGET),
        met(big["first_warm"] < FIRST_SCREEN_TARGET)))
    if big["keys"]:
        print("  keypress drawn while loading  max %s, median %s  < %s  %s" % (
            ms(max(big["keys"])), ms(statistics.median(big["keys"])), ms(KEYPRESS_TARGET),
            met(max(big["keys"]) < KEYPRESS_TARGET)))
    print("  peak RSS, whole index loaded  %d MiB  < %d MiB  %s" % (
        big["peak"] // 1024, RSS_TARGET // 1024, met(big["peak"] < RSS_TARGET)))
    def per_msg(o):
        return statistics.median(r["loaded"] for r in [o["nokeys"]] + o["cold"]) / o["count"]

    for small in sorted((o for o in results if o is not big), key=lambda o: o["count"]):
        print("  per-message time (nothing cached), %s vs %s: x%.2f (flat: close to 1 "
              "or below)" % ("{:,}".format(big["count"]), "{:,}".format(small["count"]),
                             per_msg(big) / per_msg(small)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=None,
                    help="one size (default 100,000)")
    ap.add_argument("--sizes", default=None,
                    help="sizes, comma-separated (e.g. 10000,100000)")
    ap.add_argument("--runs", type=int, default=1, help="warm runs")
    ap.add_argument("--cache-only", action="store_true",
                    help="only the warm-cache and --offline rows")
    a = ap.parse_args()
    if shutil.which("tmux") is None or ternlib.dovecot_server.find_dovecot() is None:
        print("bench-tui: needs tmux and dovecot")
        return 1
    if a.sizes:
        sizes = [int(x) for x in a.sizes.split(",") if x]
    else:
        sizes = [a.count or 100000]
    if os.environ.get("TERN_BENCH_1M") == "1" and 1000000 not in sizes:
        sizes.append(1000000)
    empty = base_peak()
    if a.cache_only:
        summary_cache([bench_cache_size(n, a.runs, empty) for n in sizes])
        return 0
    results = [bench_size(n, a.runs, empty) for n in sizes]
    summary(results, empty)
    return 0


if __name__ == "__main__":
    sys.exit(main())
