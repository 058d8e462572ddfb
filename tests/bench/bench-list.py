#!/usr/bin/env python3
"""Benchmark (not a test): `tern list FOLDER --json >/dev/null` on 10,000
and 100,000 messages beside the protocol floor (tests/bench/floor: the same
LOGIN/EXAMINE/UID FETCH over the same plain loopback TCP, read to the end
without parsing). Prints times, their ratio, bytes received and tern's
peak RSS per message (marginal: (RSS@100k - RSS@10k) / 90,000).

    python3 tests/bench/bench-list.py [--sizes 10000,100000] [--runs 3]
Run from a build tree (TERN, TERN_BUILDDIR) or after tools/build.sh."""
import argparse
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402
from ternlib import dovecot_server  # noqa: E402

ITEMS = ("UID FLAGS INTERNALDATE RFC822.SIZE MODSEQ BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT "
         "DATE MESSAGE-ID IN-REPLY-TO REFERENCES)]")


def run_tern(env, folder):
    # GNU time reports the peak RSS of tern itself; measured from here the
    # figure would include this (large) Python process, which exec inherits.
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", ternlib.TERN, "-c", env.config, "--no-cache",
                        "list", folder, "--json"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env.env)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError("tern failed: %s" % p.stderr.decode())
    kib = int(p.stderr.decode().rsplit("MAXRSS ", 1)[1].split()[0])
    return dt, kib * 1024


def run_floor(floor, srv, folder):
    r = subprocess.run([floor, str(srv.imap_port), srv.user, srv.password, folder, ITEMS],
                       capture_output=True, text=True, check=True)
    kv = dict(x.split("=") for x in r.stdout.split())
    return float(kv["seconds"]), int(kv["bytes"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="keep the server for perf")
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]
    floor = os.path.join(ternlib.BUILDDIR, "tests", "bench", "floor")
    if not os.path.exists(floor):
        subprocess.run(["cc", "-O2", "-o", "/tmp/tern-floor", os.path.join(HERE, "floor.c")],
                       check=True)
        floor = "/tmp/tern-floor"
    folders = {"B%d" % n: n for n in sizes}
    print("generating %s messages..." % "+".join(str(n) for n in sizes), flush=True)
    srv = dovecot_server.DovecotServer(folders=folders).start()
    env = ternlib.Env()
    try:
        with open(env.config, "w") as f:
            f.write("[account b]\nhost = 127.0.0.1\nport = %d\ntls = none\nuser = %s\n"
                    "password = %s\ncompress = false\ntimeout = 120\n"
                    % (srv.imap_port, srv.user, srv.password))
        os.chmod(env.config, 0o600)
        rss = {}
        print("%9s %9s %9s %7s %12s %10s" % ("messages", "floor s", "tern s", "ratio",
                                             "bytes", "RSS MiB"))
        for folder, n in folders.items():
            run_floor(floor, srv, folder)  # warm Dovecot's index
            fl = min(run_floor(floor, srv, folder)[0] for _ in range(a.runs))
            nbytes = run_floor(floor, srv, folder)[1]
            best, peak = None, 0
            for _ in range(a.runs):
                dt, r = run_tern(env, folder)
                best = dt if best is None else min(best, dt)
                peak = max(peak, r)
            rss[n] = peak
            print("%9d %9.3f %9.3f %7.2f %12d %10.1f" % (n, fl, best, best / fl, nbytes,
                                                        peak / 1048576), flush=True)
        if len(sizes) >= 2:
            lo, hi = sizes[0], sizes[-1]
            print("marginal RSS per message: %.0f bytes" % ((rss[hi] - rss[lo]) / (hi - lo)))
    finally:
        srv.stop()
        env.cleanup()


main()
