#!/usr/bin/env python3
"""The cold load writes its summaries many batches to a transaction
(core/store/sync.c): over a slow link another process still gets the
cache's write lock within a moment while `tern list` is loading (the
transaction is committed 100 ms after it began, not only after 10,000
rows), and what was loaded is all in the cache and equals an uncached
list."""
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

N = 3000
FOLDERS = {"INBOX": 3, "Big": N}


def write_lock_wait(db):
    """Seconds another process waits for the write lock (None: not got
    within 3 s)."""
    t0 = time.monotonic()
    try:
        c = sqlite3.connect(db, timeout=3, isolation_level=None)
        c.execute("BEGIN IMMEDIATE")
        c.execute("ROLLBACK")
        c.close()
    except sqlite3.OperationalError:
        return None
    return time.monotonic() - t0


def rows(db):
    try:
        c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=3)
        n = c.execute("SELECT count(*) FROM messages").fetchone()[0]
        c.close()
        return n
    except sqlite3.OperationalError:
        return 0


def main(t):
    srv = ternlib.start_server(t, folders=FOLDERS)
    env = ternlib.Env()
    proxy = ternlib.Proxy(srv.imap_port)
    db = os.path.join(env.dir, "cache", "tern", "test.db")
    try:
        srv.tern_config(env.config, port=proxy.port, timeout=120)
        proxy.delay = 0.1
        p = subprocess.Popen([ternlib.TERN, "-c", env.config, "list", "Big", "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env.env)
        # rows are seen by another process only once committed: the first
        # ones come long before the last while the link is slow
        deadline = time.monotonic() + 120
        while p.poll() is None and rows(db) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        partial = rows(db)
        waits = []
        while p.poll() is None and len(waits) < 8 and rows(db) < N:
            waits.append(write_lock_wait(db))
            time.sleep(0.05)
        still = rows(db)
        t.diag("rows first seen %d, after the tries %d; waits %r" % (partial, still, waits))
        out, err = p.communicate(timeout=180)
        t.ok(len(waits) >= 3, "another process tried the write lock during the load",
             (waits, err[:300]))
        t.ok(0 < partial < N and still < N,
             "the rows are committed while the load goes on, not only at its end",
             (partial, still))
        t.ok(all(w is not None and w < 2 for w in waits),
             "each got the cache's write lock within 2 s while tern list was loading",
             waits)
        t.ok(p.returncode == 0, "tern list over the slow link ends with 0", err[:300])
        got = json.loads(out.decode()) if p.returncode == 0 else []
        t.eq(len(got), N, "every message is listed")
        t.eq(rows(db), N, "every message is in the cache")
        proxy.delay = 0
        r = env.tern("--no-cache", "list", "Big", "--json")
        t.ok(r.returncode == 0 and json.loads(r.stdout.decode()) == got,
             "the cold list equals an uncached one")
        r = env.tern("--offline", "list", "Big", "--json")
        t.ok(r.returncode == 0 and json.loads(r.stdout.decode()) == got,
             "and the cache alone gives the same (offline)")
    finally:
        proxy.close()
        srv.stop()
        env.cleanup()


ternlib.run(main)
