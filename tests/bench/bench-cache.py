#!/usr/bin/env python3
"""Benchmark (not a test): `tern list FOLDER --json >/dev/null` with the
SQLite cache at 1,000 / 10,000 / 100,000 messages —

  cold     no cache file: every summary fetched and stored
  warm     cache up to date, nothing changed on the server
  warm+100 after another client flagged 100 messages

time (best of --runs), bytes received from the server (counted by a
forwarding proxy in this script, on a separate run) and tern's peak RSS
(GNU time). Beside them the protocol floor (tests/bench/floor.c): the
same LOGIN/SELECT and a UID FETCH of the summary items (cold) or of
UID FLAGS only (warm), read to the end without parsing.

    python3 tests/bench/bench-cache.py [--sizes 1000,10000,100000] [--runs 3]
Run from a build tree (TERN, TERN_BUILDDIR) or after tools/build.sh; build
without sanitizers for figures worth comparing."""
import argparse
import os
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402
from ternlib import dovecot_server  # noqa: E402

COLD_ITEMS = ("UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE MODSEQ "
              "BODY.PEEK[HEADER.FIELDS (REFERENCES)]")
WARM_ITEMS = "UID FLAGS"


class CountingProxy:
    """127.0.0.1:port -> the server; counts the bytes the server sends."""

    def __init__(self, target_port):
        self.target = target_port
        self.received = 0
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, True), daemon=True).start()

    def _pipe(self, src, dst, count):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if count:
                    with self.lock:
                        self.received += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def take(self):
        with self.lock:
            n, self.received = self.received, 0
        return n


def write_config(env, srv, port, name):
    path = os.path.join(env.dir, "config", "tern", name)
    with open(path, "w") as f:
        f.write("[account b]\nhost = 127.0.0.1\nport = %d\ntls = none\nuser = %s\n"
                "password = %s\ncompress = false\ntimeout = 300\n"
                % (port, srv.user, srv.password))
    os.chmod(path, 0o600)
    return path


def run_tern(env, config, folder):
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", ternlib.TERN, "-c", config,
                        "list", folder, "--json"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env.env)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError("tern failed: %s" % p.stderr.decode())
    kib = int(p.stderr.decode().rsplit("MAXRSS ", 1)[1].split()[0])
    return dt, kib * 1024


def run_floor(floor, srv, folder, items):
    r = subprocess.run([floor, str(srv.imap_port), srv.user, srv.password, folder, items],
                       capture_output=True, text=True, check=True)
    kv = dict(x.split("=") for x in r.stdout.split())
    return float(kv["seconds"]), int(kv["bytes"])


def cache_file(env):
    return os.path.join(env.dir, "cache", "tern", "b.db")


def drop_cache(env):
    for sfx in ("", "-wal", "-shm"):
        if os.path.exists(cache_file(env) + sfx):
            os.unlink(cache_file(env) + sfx)


def flag_100(srv, folder, round_):
    c = srv.imap()
    c.select(folder)
    typ, data = c.uid("SEARCH", "ALL")
    uids = data[0].split()
    step = max(1, len(uids) // 100)
    chosen = b",".join(uids[i] for i in range(0, len(uids), step)[:100])
    c.uid("STORE", chosen.decode(), "+FLAGS" if round_ % 2 == 0 else "-FLAGS", "(\\Flagged)")
    c.logout()


def measure(a, env, srv, direct, proxied, proxy, folder, prepare):
    """Best time and peak RSS over the runs, then bytes on one proxied run."""
    best, peak = None, 0
    for i in range(a.runs):
        prepare(i)
        dt, rss = run_tern(env, direct, folder)
        best = dt if best is None else min(best, dt)
        peak = max(peak, rss)
    prepare(a.runs)
    proxy.take()
    run_tern(env, proxied, folder)
    time.sleep(0.05)
    return best, proxy.take(), peak


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--runs", type=int, default=3)
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
    proxy = CountingProxy(srv.imap_port)
    direct = write_config(env, srv, srv.imap_port, "direct")
    proxied = write_config(env, srv, proxy.port, "proxied")
    try:
        print("%9s %-9s %9s %12s %9s %12s %10s" % ("messages", "open", "floor s", "floor bytes",
                                                   "tern s", "tern bytes", "RSS MiB"))
        for folder, n in folders.items():
            run_floor(floor, srv, folder, COLD_ITEMS)  # warm Dovecot's index
            rows = []
            fc = min(run_floor(floor, srv, folder, COLD_ITEMS)[0] for _ in range(a.runs))
            fcb = run_floor(floor, srv, folder, COLD_ITEMS)[1]
            fw = min(run_floor(floor, srv, folder, WARM_ITEMS)[0] for _ in range(a.runs))
            fwb = run_floor(floor, srv, folder, WARM_ITEMS)[1]
            rows.append(("cold", fc, fcb) + measure(a, env, srv, direct, proxied, proxy, folder,
                                                     lambda i: drop_cache(env)))
            rows.append(("warm", fw, fwb) + measure(a, env, srv, direct, proxied, proxy, folder,
                                                     lambda i: None))
            rows.append(("warm+100", fw, fwb) +
                        measure(a, env, srv, direct, proxied, proxy, folder,
                                lambda i: flag_100(srv, folder, i)))
            for name, fs, fb, ts, tb, rss in rows:
                print("%9d %-9s %9.3f %12d %9.3f %12d %10.1f" % (n, name, fs, fb, ts, tb,
                                                                 rss / 1048576), flush=True)
            print("%9s cache file %.1f MiB" % ("", os.path.getsize(cache_file(env)) / 1048576),
                  flush=True)
    finally:
        srv.stop()
        env.cleanup()


main()
