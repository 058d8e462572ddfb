#!/usr/bin/env python3
"""Benchmark (not a test): what PREVIEW (RFC 8970, issue 16) adds to the
summaries, at 10,000 messages (and 100,000 with --sizes 10000,100000).

Against one Dovecot (plain TCP, loopback, COMPRESS off), for each size:

  floor env            UID FETCH 1:* of what tern's summaries ask today
                       (ENVELOPE ...), read to the end (tests/bench/floor.c)
  + PREVIEW (LAZY) new the same with PREVIEW (LAZY) before Dovecot has made
                       any preview: it answers NIL (what a first load costs)
  + PREVIEW cold       the same with PREVIEW, the first time: Dovecot reads
                       every message and makes its preview (one run: after
                       it the previews are in Dovecot's cache)
  + PREVIEW warm       PREVIEW again (Dovecot's cache holds them)
  + PREVIEW (LAZY)     LAZY once they are made: the previews come
  floor env again      the first row again, last: how much of the
                       differences is Dovecot's own cache settling (it
                       keeps a field once it is asked for twice)
  tern off / on        `tern list FOLDER --json`, no cache file, with
                       [ui] preview = false and true (previews made already)

Times are the median of --runs (cold: one run) in seconds; the ratio is
against floor env. Build without sanitizers for tern figures worth
comparing (the floor rows do not depend on tern's build).

    python3 tests/bench/bench-preview.py [--sizes 10000] [--runs 3]
Prints figures, asserts nothing."""
import argparse
import os
import shutil
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402
from ternlib import dovecot_server  # noqa: E402


# tern's summary items (core/imap/client.c): header fields, not ENVELOPE
ENV = ("UID FLAGS INTERNALDATE RFC822.SIZE MODSEQ BODY.PEEK[HEADER.FIELDS "
       "(FROM TO CC SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES)]")


def floor_lib():
    """bench-floor.py's helpers, without running its main()."""
    src = open(os.path.join(HERE, "bench-floor.py")).read()
    src = src[:src.rindex("\nmain()")]
    mod = {"__file__": os.path.join(HERE, "bench-floor.py"), "__name__": "bench_floor_lib"}
    exec(compile(src, "bench-floor.py", "exec"), mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]
    fl = floor_lib()
    tmp = tempfile.mkdtemp(prefix="tern-bench-preview-")
    floor = fl["build_floor"](tmp)
    srv, folders = fl["start_server"](sizes)
    envs = {}
    for label, on in (("off", "false"), ("on", "true")):
        envs[label] = ternlib.Env()
        srv.tern_config(envs[label].config, tls="none", name="b", compress=False, timeout=600,
                        extra="[ui]\npreview = %s\n" % on)
    run_floor = fl["run_floor"]
    median = lambda fn: statistics.median(fn() for _ in range(a.runs))  # noqa: E731
    try:
        print("%9s %-22s %8s %7s" % ("messages", "what", "seconds", "ratio"), flush=True)
        for folder, n in folders.items():
            for _ in range(2):  # Dovecot builds its index and decides what to cache
                run_floor(floor, srv, folder, ENV)
            base = median(lambda: run_floor(floor, srv, folder, ENV))
            rows = [("floor env", base)]
            rows.append(("+ PREVIEW (LAZY) new",
                         median(lambda: run_floor(floor, srv, folder, ENV + " PREVIEW (LAZY)"))))
            rows.append(("+ PREVIEW cold", run_floor(floor, srv, folder, ENV + " PREVIEW")))
            rows.append(("+ PREVIEW warm",
                         median(lambda: run_floor(floor, srv, folder, ENV + " PREVIEW"))))
            rows.append(("+ PREVIEW (LAZY)",
                         median(lambda: run_floor(floor, srv, folder, ENV + " PREVIEW (LAZY)"))))
            rows.append(("floor env again", median(lambda: run_floor(floor, srv, folder, ENV))))
            for label in ("off", "on"):
                env = envs[label]

                def cold():
                    fl["drop_cache"](env)
                    return fl["run_tern"](env, ["list", folder, "--json"])[0]
                rows.append(("tern " + label, median(cold)))
            for what, secs in rows:
                print("%9d %-22s %8.3f %7.2f" % (n, what, secs, secs / base), flush=True)
    finally:
        srv.stop()
        for env in envs.values():
            env.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


main()
