#!/usr/bin/env python3
"""Benchmark (not a test): tern's whole index beside the protocol floor
(issue 17, "At the floor"), at 10,000 and 100,000 messages, and at
1,000,000 with TERN_BENCH_1M=1.

For each size, in one run against the same Dovecot (plain TCP, loopback,
COMPRESS off), the median of --runs:

  floor hdr    the fastest cold fetch: UID FLAGS INTERNALDATE RFC822.SIZE
               BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID
               IN-REPLY-TO REFERENCES)], read to the end without parsing
               (tests/bench/floor.c)
  floor env    the same with ENVELOPE MODSEQ BODY.PEEK[HEADER.FIELDS
               (REFERENCES)] instead (what tern fetched before issue 17)
  floor prev   the header fields with MODSEQ and PREVIEW: what tern's
               list --json asks (ratios stay against floor hdr)
  floor flags  UID FLAGS: what a client that has everything cached must
               still learn (the floor of a reopen)
  cold         `tern list FOLDER --json >/dev/null`, nothing cached but the
               summary form chosen for this server: every summary fetched
               and the cache written
  cold+probe   the same with no cache file at all: the first load of the
               account, which probes the summary form (core/store/probe.c);
               a line after it gives the probe's choice, its timed fetches
               and what it added to the load
  warm         `tern list FOLDER --json`, cache up to date, nothing changed
  offline      `tern --offline list FOLDER --json`: the whole index from the
               cache alone (the issue's target: 0.15 s at 100,000)

and tern's peak RSS per message for each (GNU time's maxrss / messages),
the time per message (us/msg, the floors' too, so growth worse than linear
shows), and the marginal RSS between each two sizes. Ratios are against the
floor measured in the same run: cold / floor hdr, warm / floor flags.

The 1,000,000 mode (TERN_BENCH_1M=1) needs about 17 GB of disk and ten
minutes the first time; the generated mail is kept in
$TERN_BENCH_DIR (default /var/tmp/tern-bench-1m) and reused by later runs
(setting TERN_BENCH_DIR keeps and reuses the mail of any sizes).

    python3 tests/bench/bench-floor.py [--sizes 10000,100000] [--runs 3] [--before TERN]
Run from a build tree (TERN, TERN_BUILDDIR) or after tools/build.sh; build
without sanitizers for figures worth comparing. Prints figures, asserts
nothing."""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import ternlib  # noqa: E402
from ternlib import dovecot_server  # noqa: E402
import genmail  # noqa: E402

HDR = ("UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE "
       "MESSAGE-ID IN-REPLY-TO REFERENCES)]")
ENV = "UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE MODSEQ BODY.PEEK[HEADER.FIELDS (REFERENCES)]"
FLAGS = "UID FLAGS"
# what `tern list --json` itself asks: the header fields, MODSEQ and PREVIEW
PREV = HDR + " MODSEQ PREVIEW"


def build_floor(tmp):
    exe = os.path.join(ternlib.BUILDDIR, "tests", "bench", "floor")
    if os.path.exists(exe):
        return exe
    exe = os.path.join(tmp, "floor")
    subprocess.run(["cc", "-O2", "-o", exe, os.path.join(HERE, "floor.c")], check=True)
    return exe


def run_floor(floor, srv, folder, items):
    r = subprocess.run([floor, str(srv.imap_port), srv.user, srv.password, folder, items],
                       capture_output=True, text=True, check=True)
    kv = dict(x.split("=") for x in r.stdout.split())
    return float(kv["seconds"])


def run_tern(env, args, tern=None):
    """Seconds and peak RSS (bytes) of one tern run, stdout to /dev/null."""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", tern or ternlib.TERN, "-c",
                        env.config] +
                       args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env.env)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError("tern %s failed: %s" % (" ".join(args), p.stderr.decode()))
    kib = int(p.stderr.decode().rsplit("MAXRSS ", 1)[1].split()[0])
    return dt, kib * 1024


def drop_cache(env):
    d = os.path.join(env.dir, "cache", "tern")
    for f in os.listdir(d) if os.path.isdir(d) else []:
        os.unlink(os.path.join(d, f))


def cache_db(env):
    return os.path.join(env.dir, "cache", "tern", "b.db")


def keep_choice(env):
    """After a cold run: the cache file emptied of folders and messages but
    with the summary form the probe chose (a template for later cold runs).
    Returns the template's path, or None when there is no choice (a tern
    from before the probe)."""
    import sqlite3
    db = sqlite3.connect(cache_db(env))
    try:
        if not db.execute("SELECT name FROM sqlite_master WHERE name = 'summary_form'").fetchall():
            return None
        db.execute("DELETE FROM messages")
        db.execute("DELETE FROM folders")
        db.commit()
        db.execute("VACUUM")
    finally:
        db.close()
    template = os.path.join(env.dir, "form-template.db")
    shutil.copyfile(cache_db(env), template)
    return template


def cold_cache(env, template):
    drop_cache(env)
    if template is not None:
        shutil.copyfile(template, cache_db(env))


def probe_choice(env):
    import sqlite3
    db = sqlite3.connect(cache_db(env))
    try:
        return db.execute("SELECT form, headers_us, envelope_us FROM summary_form").fetchone()
    finally:
        db.close()


def median_of(runs, fn, prepare=None):
    times, rss = [], 0
    for _ in range(runs):
        if prepare is not None:
            prepare()
        r = fn()
        if isinstance(r, tuple):
            times.append(r[0])
            rss = max(rss, r[1])
        else:
            times.append(r)
    return statistics.median(times), rss


def start_server(sizes):
    folders = {"B%d" % n: n for n in sizes}
    keep = None
    if max(sizes) >= 1000000 or os.environ.get("TERN_BENCH_DIR"):
        # generating a million messages takes minutes: keep them
        keep = os.environ.get("TERN_BENCH_DIR") or "/var/tmp/tern-bench-1m"
        stamp = os.path.join(keep, "generated-" + "-".join(str(n) for n in sizes))
        if os.path.exists(stamp):
            genmail.write_maildir = lambda root, f, seed=None: {}
            dovecot_server.genmail.write_maildir = genmail.write_maildir
    print("generating %s messages..." % "+".join(str(n) for n in sizes), flush=True)
    srv = dovecot_server.DovecotServer(folders=folders, keep_dir=keep).start()
    if keep is not None:
        open(stamp, "w").close()
    return srv, folders


def measure_tern(a, binaries, envs, folder, n, fl, per_msg):
    """The cold, warm and offline rows of each binary, each in its own cache;
    the binaries take turns, run by run, so a change in the machine's load
    falls on all of them alike."""
    rows = [
        ("cold+probe", "hdr", ["list", folder, "--json"], "probe"),
        ("cold", "hdr", ["list", folder, "--json"], "cold"),
        ("warm", "flags", ["list", folder, "--json"], None),
        ("offline", "flags", ["--offline", "list", folder, "--json"], None),
    ]
    templates, medians = {}, {}
    for what, against, args, cold in rows:
        times = {label: [] for label, _ in binaries}
        rss = {label: 0 for label, _ in binaries}
        for label, tern in binaries:
            if cold is None:
                run_tern(envs[label], args, tern)  # the cache is there and current
        for _ in range(a.runs):
            for label, tern in binaries:
                if cold == "probe":
                    drop_cache(envs[label])
                elif cold == "cold":
                    cold_cache(envs[label], templates.get(label))
                t, r = run_tern(envs[label], args, tern)
                times[label].append(t)
                rss[label] = max(rss[label], r)
        for label, _ in binaries:
            t = statistics.median(times[label])
            medians[(label, what)] = t
            per_msg[(label, n, what)] = rss[label]
            print("%9d %-16s %8.3f %8.3f %7.2f %9.1f %11.0f %8.2f" %
                  (n, what + label, fl[against], t, t / fl[against], rss[label] / 1048576,
                   rss[label] / n, t / n * 1e6), flush=True)
            if cold == "probe":
                templates[label] = keep_choice(envs[label])
            choice = probe_choice(envs[label]) if cold == "cold" and templates.get(label) else None
            if choice is not None:
                form, h_us, e_us = choice
                print("%9d %-16s chose %s (second fetch of the newest 1,000: headers %.1f ms, "
                      "envelope %.1f ms); cold+probe - cold = %.0f ms" %
                      (n, "probe" + label, "envelope" if form == 1 else "headers",
                       h_us / 1000, e_us / 1000,
                       (medians[(label, "cold+probe")] - t) * 1000), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--before", metavar="TERN",
                    help="another tern binary measured in the same run (rows marked 'before')")
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]
    if os.environ.get("TERN_BENCH_1M") == "1" and 1000000 not in sizes:
        sizes.append(1000000)
    tmp = tempfile.mkdtemp(prefix="tern-bench-")
    floor = build_floor(tmp)
    srv, folders = start_server(sizes)
    binaries = [("", ternlib.TERN)] + ([(" (before)", a.before)] if a.before else [])
    envs = {}
    for label, _ in binaries:
        # a cache each: two versions of tern may disagree on its schema
        envs[label] = ternlib.Env()
        srv.tern_config(envs[label].config, tls="none", name="b", compress=False, timeout=600)
    per_msg = {}
    try:
        print("%9s %-16s %8s %8s %7s %9s %11s %8s" % ("messages", "what", "floor s", "tern s",
                                                      "ratio", "RSS MiB", "RSS B/msg",
                                                      "us/msg"))
        for folder, n in folders.items():
            run_floor(floor, srv, folder, HDR)  # Dovecot builds its index and cache
            run_floor(floor, srv, folder, ENV)
            run_floor(floor, srv, folder, PREV)  # and makes every preview, once
            fl = {k: median_of(a.runs, lambda it=it: run_floor(floor, srv, folder, it))[0]
                  for k, it in (("hdr", HDR), ("env", ENV), ("prev", PREV), ("flags", FLAGS))}
            for k in ("hdr", "env", "prev", "flags"):
                print("%9d %-16s %8.3f %46.2f" % (n, "floor " + k, fl[k], fl[k] / n * 1e6),
                      flush=True)
            measure_tern(a, binaries, envs, folder, n, fl, per_msg)
        for label, _ in binaries:
            for lo, hi in zip(sizes, sizes[1:]):
                print("marginal RSS per message%s (%d -> %d): %s" % (label, lo, hi, "  ".join(
                    "%s %.0f B" % (w, (per_msg[(label, hi, w)] - per_msg[(label, lo, w)]) /
                                   (hi - lo))
                    for w in ("cold", "warm", "offline"))))
    finally:
        srv.stop()
        for env in envs.values():
            env.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


main()
