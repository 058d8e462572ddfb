#!/usr/bin/env python3
"""Benchmark (not a test): opening a folder with the SQLite cache at
1,000 / 10,000 / 100,000 messages. Two opens:

  limit50  `tern list FOLDER --limit 50`  the newest screenful (what a user sees)
  json     `tern list FOLDER --json`      every message

each in four states:

  cold        no cache file, COMPRESS off: every summary fetched and stored
  cold+z      no cache file, COMPRESS=DEFLATE on
  warm        cache up to date, nothing changed on the server (COMPRESS on)
  warm+100    another client flagged 100 messages first (COMPRESS on)

Columns: time (best of --runs), bytes received from the server (counted
by a forwarding proxy in this script, on one more run), tern's peak RSS
(GNU time, the most over the runs), and beside them the protocol floor
(tests/bench/floor.c, built here with zlib): the same LOGIN, EXAMINE and
a UID FETCH 1:* of the summary items (cold rows) or of UID FLAGS only
(warm rows: what a client without a cache needs to know the folder's
state; for warm+100 after the same flag changes), in the same COMPRESS
mode as the row, read to the end without parsing. COMPRESS is forced on loopback with TERN_FORCE_COMPRESS=1 (tern
leaves it off on loopback, where it only costs CPU). Prints figures,
asserts nothing.

    python3 tests/bench/bench-cache.py [--sizes 1000,10000,100000] [--runs 3]
Run from a build tree (TERN, TERN_BUILDDIR) or after tools/build.sh; build
without sanitizers for figures worth comparing."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402
from ternlib import dovecot_server  # noqa: E402

COLD_ITEMS = ("UID FLAGS INTERNALDATE RFC822.SIZE MODSEQ BODY.PEEK[HEADER.FIELDS (FROM TO CC "
              "SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES)]")
WARM_ITEMS = "UID FLAGS"
OPENS = [("limit50", ["--limit", "50"]), ("json", ["--json"])]


def write_config(env, srv, port, name, compress):
    return srv.tern_config(os.path.join(env.dir, "config", "tern", name), tls="none", name="b",
                           port=port, compress=compress, timeout=300)


def run_tern(env, config, folder, args):
    e = dict(env.env)
    e["TERN_FORCE_COMPRESS"] = "1"  # only matters with compress = true
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", ternlib.TERN, "-c", config,
                        "list", folder] + args,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=e)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError("tern failed: %s" % p.stderr.decode())
    kib = int(p.stderr.decode().rsplit("MAXRSS ", 1)[1].split()[0])
    return dt, kib * 1024


def build_floor(tmp):
    exe = os.path.join(tmp, "floor")
    subprocess.run(["cc", "-O2", "-DFLOOR_ZLIB", "-o", exe, os.path.join(HERE, "floor.c"),
                    "-lz"], check=True)
    return exe


def run_floor(floor, srv, folder, items, compress):
    argv = [floor, str(srv.imap_port), srv.user, srv.password, folder, items]
    if compress:
        argv.append("compress")
    r = subprocess.run(argv, capture_output=True, text=True, check=True)
    kv = dict(x.split("=") for x in r.stdout.split())
    return float(kv["seconds"]), int(kv["bytes"])


def floor_best(a, floor, srv, folder, items, compress, prepare=None):
    best, nbytes = None, 0
    for i in range(a.runs):
        if prepare is not None:
            prepare(i)
        s, nbytes = run_floor(floor, srv, folder, items, compress)
        best = s if best is None else min(best, s)
    return best, nbytes


def cache_file(env):
    return os.path.join(env.dir, "cache", "tern", "b.db")


def drop_cache(env):
    for sfx in ("", "-wal", "-shm"):
        if os.path.exists(cache_file(env) + sfx):
            os.unlink(cache_file(env) + sfx)


class Flagger:
    """Flags 100 messages spread over the folder, then unflags them, and so on."""

    def __init__(self, srv, folder):
        c = srv.imap()
        c.select(folder)
        typ, data = c.uid("SEARCH", "ALL")
        c.logout()
        uids = data[0].split()
        step = max(1, len(uids) // 100)
        self.set = b",".join(uids[i] for i in range(0, len(uids), step)[:100]).decode()
        self.srv, self.folder, self.round = srv, folder, 0

    def __call__(self, _i):
        c = self.srv.imap()
        c.select(self.folder)
        c.uid("STORE", self.set, "+FLAGS" if self.round % 2 == 0 else "-FLAGS", "(\\Flagged)")
        c.logout()
        self.round += 1


def measure(a, env, configs, proxy, folder, args, prepare):
    """Best time and peak RSS over the runs, then bytes on one proxied run."""
    direct, proxied = configs
    best, peak = None, 0
    for i in range(a.runs):
        prepare(i)
        dt, rss = run_tern(env, direct, folder, args)
        best = dt if best is None else min(best, dt)
        peak = max(peak, rss)
    prepare(a.runs)
    proxy.take()
    run_tern(env, proxied, folder, args)
    return best, proxy.take(), peak


def fmt_bytes(n):
    if n < 10 * 1024:
        return "%d B" % n
    if n < 10 * 1048576:
        return "%.1f KiB" % (n / 1024)
    return "%.1f MiB" % (n / 1048576)


HEADER = ("%9s %-8s %-9s %8s %11s %8s  %8s %11s" %
          ("messages", "open", "state", "tern s", "tern bytes", "RSS MiB", "floor s",
           "floor bytes"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]
    tmp = tempfile.mkdtemp(prefix="tern-bench-")
    floor = build_floor(tmp)
    folders = {"B%d" % n: n for n in sizes}
    print("generating %s messages..." % "+".join(str(n) for n in sizes), flush=True)
    srv = dovecot_server.DovecotServer(folders=folders).start()
    env = ternlib.Env()
    proxy = ternlib.Proxy(srv.imap_port)
    plain = (write_config(env, srv, srv.imap_port, "direct", False),
             write_config(env, srv, proxy.port, "proxied", False))
    zipped = (write_config(env, srv, srv.imap_port, "direct-z", True),
              write_config(env, srv, proxy.port, "proxied-z", True))
    rss = {}
    try:
        print(HEADER)
        for folder, n in folders.items():
            run_floor(floor, srv, folder, COLD_ITEMS, False)  # warm Dovecot's index
            flagger = Flagger(srv, folder)
            floors = {
                "cold": floor_best(a, floor, srv, folder, COLD_ITEMS, False),
                "cold+z": floor_best(a, floor, srv, folder, COLD_ITEMS, True),
                "warm": floor_best(a, floor, srv, folder, WARM_ITEMS, True),
                # after the same flag changes: Dovecot's maildir then rescans
                # the folder on the next SELECT, whoever sends it
                "warm+100": floor_best(a, floor, srv, folder, WARM_ITEMS, True, flagger),
            }
            run_floor(floor, srv, folder, WARM_ITEMS, False)  # let it settle
            got = {}
            states = [("cold", plain, lambda i: drop_cache(env)),
                      ("cold+z", zipped, lambda i: drop_cache(env)),
                      ("warm", zipped, lambda i: None),
                      ("warm+100", zipped, flagger)]
            for open_name, args in OPENS:
                for state, configs, prepare in states:
                    if state == "warm":
                        run_tern(env, zipped[0], folder, args)  # make sure it is warm
                    ts, tb, peak = measure(a, env, configs, proxy, folder, args, prepare)
                    fs, fb = floors[state]
                    rss[(n, open_name, state)] = peak
                    got[(open_name, state)] = tb
                    print("%9d %-8s %-9s %8.3f %11s %8.1f  %8.3f %11s" %
                          (n, open_name, state, ts, fmt_bytes(tb), peak / 1048576, fs,
                           fmt_bytes(fb)), flush=True)
            print("%9s cache file %.1f MiB; a cold open moves %.0f bytes a message, "
                  "%.0f with COMPRESS (the floor %.0f and %.0f)"
                  % ("", os.path.getsize(cache_file(env)) / 1048576,
                     got[("json", "cold")] / n, got[("json", "cold+z")] / n,
                     floors["cold"][1] / n, floors["cold+z"][1] / n), flush=True)
        lo, hi = min(sizes), max(sizes)
        if hi > lo:
            print("\nRSS per message, (RSS at %d - RSS at %d) / %d:" % (hi, lo, hi - lo))
            for open_name, _ in OPENS:
                print("  %-8s %s" % (open_name, "  ".join(
                    "%s %.0f B" % (st, (rss[(hi, open_name, st)] - rss[(lo, open_name, st)]) /
                                   (hi - lo))
                    for st in ("cold", "cold+z", "warm", "warm+100"))))
    finally:
        srv.stop()
        env.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


main()
