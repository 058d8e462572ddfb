#!/usr/bin/env python3
"""The SQLite cache against a real Dovecot: after another connection
(imaplib) flags, expunges, appends and moves messages, a cached `tern list`
equals a fresh uncached one, whichever resync runs (QRESYNC, CONDSTORE,
FLAGS diff); --limit and --sort served from the cache equal the same
without it; a recreated folder (new UIDVALIDITY) drops its cache; a
damaged cache file is rebuilt with a warning; --no-cache and --offline."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402
from ternlib import genmail  # noqa: E402

FOLDERS = {"INBOX": 10, "Work": 300, "Other": 5, "Gone": 20}


def jrun(t, env, *args, extra_env=None):
    saved = dict(env.env)
    if extra_env:
        env.env.update(extra_env)
    try:
        r = env.tern(*args)
    finally:
        env.env = saved
    try:
        return r.returncode, json.loads(r.stdout.decode()), r
    except ValueError:
        t.diag("%s: rc %d stdout %r stderr %r" % (args, r.returncode, r.stdout[:300],
                                                   r.stderr[:500]))
        return r.returncode, None, r


def same_as_fresh(t, env, folder, desc, extra_env=None, *more):
    rc1, cached, r1 = jrun(t, env, "list", folder, "--json", *more, extra_env=extra_env)
    rc2, fresh, r2 = jrun(t, env, "--no-cache", "list", folder, "--json", *more)
    ok = rc1 == 0 and rc2 == 0 and cached is not None and cached == fresh
    diag = None
    if not ok and cached is not None and fresh is not None:
        cu = {x["uid"]: x for x in cached}
        fu = {x["uid"]: x for x in fresh}
        diag = "only cached: %s\nonly fresh: %s\ndiffer: %s\nstderr: %r" % (
            sorted(set(cu) - set(fu))[:20], sorted(set(fu) - set(cu))[:20],
            [(cu[u], fu[u]) for u in set(cu) & set(fu) if cu[u] != fu[u]][:3],
            r1.stderr[:300])
    t.ok(ok, desc, diag)
    return cached


def imap_select(srv, folder):
    c = srv.imap()
    typ, _ = c.select('"%s"' % genmail.mutf7(folder))
    assert typ == "OK", folder
    return c


def uidvalidity(srv, folder):
    c = srv.imap()
    typ, data = c.status('"%s"' % genmail.mutf7(folder), "(UIDVALIDITY)")
    c.logout()
    return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))


def append(srv, folder, n, tag):
    c = srv.imap()
    for i in range(n):
        msg = ("From: New Sender <new%d@example.org>\r\nTo: me@example.org\r\n"
               "Subject: %s %d\r\nDate: Mon, 02 Mar 2026 10:%02d:00 +0100\r\n"
               "Message-ID: <%s-%d@example.org>\r\n\r\nbody %d\r\n"
               % (i, tag, i, i, tag, i, i))
        c.append('"%s"' % genmail.mutf7(folder), "(\\Seen $Label%d)" % (i % 2), None,
                 msg.encode())
    c.logout()


def mutate(srv, folder, round_):
    """Flags, keywords, expunges, appends and moves by another client."""
    c = imap_select(srv, folder)
    typ, data = c.uid("SEARCH", "ALL")
    uids = [int(x) for x in data[0].split()]
    k = 7 * round_
    c.uid("STORE", ",".join(str(u) for u in uids[k:k + 5]), "+FLAGS", "(\\Flagged)")
    c.uid("STORE", ",".join(str(u) for u in uids[k + 5:k + 10]), "-FLAGS", "(\\Seen)")
    c.uid("STORE", ",".join(str(u) for u in uids[k + 10:k + 13]), "+FLAGS",
          "($Work Later)")
    c.uid("STORE", ",".join(str(u) for u in uids[k + 13:k + 16]), "+FLAGS", "(\\Deleted)")
    c.expunge()
    c.uid("MOVE", ",".join(str(u) for u in uids[-(3 + round_):]), "Other")
    c.logout()
    append(srv, folder, 2, "round%d" % round_)


def test_resync(t, srv, env):
    db = os.path.join(env.dir, "cache", "tern", "test.db")
    first = same_as_fresh(t, env, "Work", "cold open: cached list equals an uncached one")
    t.ok(first is not None and len(first) == FOLDERS["Work"], "cold open lists every message")
    t.ok(os.path.exists(db), "the cache is $XDG_CACHE_HOME/tern/ACCOUNT.db")
    same_as_fresh(t, env, "Work", "warm open, nothing changed: equal")
    for round_, (name, off) in enumerate([("QRESYNC", None), ("CONDSTORE", "QRESYNC"),
                                          ("FLAGS diff", "QRESYNC,CONDSTORE")]):
        mutate(srv, "Work", round_)
        extra = {"TERN_TEST_DISABLE": off} if off else None
        same_as_fresh(t, env, "Work",
                      "%s resync after flags, keywords, expunges, appends, moves: equal" % name,
                      extra_env=extra)
        same_as_fresh(t, env, "Other", "%s: the destination folder of the moves too" % name,
                      extra_env=extra)
        # the resync wrote what it saw: a second warm open agrees as well
        same_as_fresh(t, env, "Work", "%s: again, unchanged: equal" % name)
    rc1, a, _ = jrun(t, env, "search", "Work", "is:flagged", "--json")
    rc2, b, _ = jrun(t, env, "--no-cache", "search", "Work", "is:flagged", "--json")
    t.ok(rc1 == 0 and a == b and len(a) > 0, "search with the cache equals one without")
    # the trace shows the QRESYNC select
    log = os.path.join(env.dir, "cache", "tern", "tern.log")
    mutate(srv, "Work", 3)
    r = env.tern("--debug", "list", "Work", "--json")
    trace = open(log, errors="replace").read() if os.path.exists(log) else ""
    t.ok(r.returncode == 0 and re.search(r"EXAMINE Work \(QRESYNC \(\d+ \d+\)\)", trace),
         "a cached folder is opened with EXAMINE (QRESYNC (uidvalidity modseq))")
    t.ok("VANISHED (EARLIER)" in trace, "the server answered with VANISHED (EARLIER)")


def test_limit_sort(t, srv, env):
    """list reads a cached folder without loading it: the newest N through
    the date index (equal dates: the higher UID first), another order over
    those N, or the whole folder streamed; all as without the cache."""
    # same Date headers (append() dates by index): ties, broken by UID
    append(srv, "Work", 2, "tieA")
    append(srv, "Work", 2, "tieB")
    for more in (["--limit", "20"], ["--limit", "1"], ["--limit", "100000"],
                 ["--limit", "20", "--sort", "subject"], ["--limit", "20", "--sort", "date"],
                 ["--limit", "20", "--sort", "-size"], ["--sort", "from"], ["--sort", "-date"]):
        same_as_fresh(t, env, "Work", "list %s from the cache equals one without"
                      % " ".join(more), None, *more)
    rc, rows, _ = jrun(t, env, "list", "Work", "--json")
    t.ok(rows and len(set(x["date"] for x in rows)) < len(rows),
         "the folder holds messages with equal dates")
    plain = env.tern("list", "Work", "--limit", "15")
    fresh = env.tern("--no-cache", "list", "Work", "--limit", "15")
    t.ok(plain.returncode == 0 and plain.stdout == fresh.stdout and
         plain.stdout.count(b"\n") == 15, "plain list --limit 15 from the cache: the same 15 lines",
         (plain.stdout[:300], fresh.stdout[:300]))
    off = env.tern("--offline", "list", "Work", "--limit", "15")
    t.ok(off.returncode == 0 and off.stdout == plain.stdout,
         "--offline list --limit 15: the same lines", off.stderr[:300])
    bad = env.tern("list", "Work", "--limit", "0")
    t.eq(bad.returncode, 64, "--limit 0 is still a usage error")


def test_uidvalidity(t, srv, env):
    same_as_fresh(t, env, "Gone", "Gone is cached")
    before = uidvalidity(srv, "Gone")
    c = srv.imap()
    c.delete("Gone")
    c.create("Gone")
    c.logout()
    append(srv, "Gone", 3, "reborn")
    after = uidvalidity(srv, "Gone")
    t.ok(before != after, "recreating the folder changed its UIDVALIDITY (%d -> %d)"
         % (before, after))
    rows = same_as_fresh(t, env, "Gone", "after a UIDVALIDITY change: equal to a fresh open")
    t.ok(rows is not None and sorted(x["subject"] for x in rows) ==
         ["reborn 0", "reborn 1", "reborn 2"], "the old folder's cached rows are gone")


def test_corrupt(t, srv, env):
    db = os.path.join(env.dir, "cache", "tern", "test.db")
    for sfx in ("-wal", "-shm"):
        if os.path.exists(db + sfx):
            os.unlink(db + sfx)
    with open(db, "wb") as f:
        f.write(b"garbage, not SQLite\n" * 500)
    r = env.tern("list", "Work", "--json")
    err = r.stderr.decode()
    t.ok(r.returncode == 0 and "warning" in err and "damaged" in err,
         "a damaged cache: exit 0 and a warning on stderr", err)
    t.eq(err.count("\n"), 1, "the warning is one line")
    fresh = env.tern("--no-cache", "list", "Work", "--json")
    t.ok(r.stdout == fresh.stdout and len(json.loads(r.stdout)) > 0,
         "the rebuilt cache gives the right list")
    t.ok(os.path.exists(db + ".corrupt"), "the damaged file is kept aside as .corrupt")
    same_as_fresh(t, env, "Work", "and the rebuilt cache resyncs")


def test_no_cache_offline(t, srv, env):
    db = os.path.join(env.dir, "cache", "tern", "test.db")
    online = env.tern("list", "Work", "--json")
    off = env.tern("--offline", "list", "Work", "--json")
    t.ok(off.returncode == 0 and off.stdout == online.stdout,
         "--offline list prints the cached list", off.stderr[:300])
    off_plain = env.tern("--offline", "list", "Work")
    on_plain = env.tern("list", "Work")
    t.ok(off_plain.returncode == 0 and off_plain.stdout == on_plain.stdout,
         "--offline plain list equals the online one")
    for q in (["is:flagged"], ["is:unread"], ["-is:read", "OR", "is:flagged"],
              ["subject:round1"], ["from:new"], ["larger:1K", "smaller:100K"]):
        a = env.tern("--offline", "search", "Work", *q, "--json")
        b = env.tern("search", "Work", *q, "--json")
        t.ok(a.returncode == 0 and a.stdout == b.stdout,
             "--offline search %s equals the server's" % " ".join(q), a.stderr[:200])
    r = env.tern("--offline", "list", "INBOX")
    t.ok(r.returncode == 69 and "not cached" in r.stderr.decode(),
         "--offline on a folder never opened: exit 69, 'not cached'", r.stderr)
    uid = json.loads(online.stdout)[0]["uid"]
    r = env.tern("--offline", "show", "Work", str(uid))
    t.ok(r.returncode == 69 and "not cached" in r.stderr.decode(),
         "--offline show of a message never read: exit 69", r.stderr)
    shown = env.tern("show", "Work", str(uid))
    r = env.tern("--offline", "show", "Work", str(uid))
    t.ok(r.returncode == 0 and r.stdout == shown.stdout and len(r.stdout) > 0,
         "--offline show of a message read before: from the cache")
    raw = env.tern("--offline", "show", "Work", str(uid), "--raw")
    raw2 = env.tern("--no-cache", "show", "Work", str(uid), "--raw")
    t.ok(raw.returncode == 0 and raw.stdout == raw2.stdout, "the cached body is byte-exact")
    r = env.tern("--offline", "--no-cache", "list", "Work")
    t.eq(r.returncode, 64, "--offline with --no-cache is a usage error")
    r = env.tern("--offline", "flag", "Work", str(uid), "+seen")
    t.ok(r.returncode != 0 and "offline" in r.stderr.decode(),
         "--offline refuses a command that needs the server", r.stderr)
    # --no-cache neither reads nor writes the database
    os.unlink(db)
    for sfx in ("-wal", "-shm"):
        if os.path.exists(db + sfx):
            os.unlink(db + sfx)
    r = env.tern("--no-cache", "list", "Work", "--json")
    t.ok(r.returncode == 0 and not os.path.exists(db), "--no-cache creates no cache file")
    r = env.tern("--offline", "list", "Work")
    t.ok(r.returncode == 69 and "nothing is cached" in r.stderr.decode(),
         "--offline without a cache: exit 69, says nothing is cached", r.stderr)


def test_account_name(t, srv, env):
    cfg = os.path.join(env.dir, "config", "tern", "other")
    srv.tern_config(cfg, name="me@example.com")
    r = env.tern("-c", cfg, "list", "INBOX", config=False)
    cache = os.path.join(env.dir, "cache", "tern")
    t.ok(r.returncode == 0 and os.path.exists(os.path.join(cache, "me%40example%2Ecom.db")),
         "the account name is made a safe file name inside the cache directory",
         (r.stderr, os.listdir(cache)))


def main(t):
    srv = ternlib.start_server(t, folders=FOLDERS)
    env = ternlib.Env()
    try:
        srv.tern_config(env.config)
        test_resync(t, srv, env)
        test_limit_sort(t, srv, env)
        test_uidvalidity(t, srv, env)
        test_corrupt(t, srv, env)
        test_no_cache_offline(t, srv, env)
        test_account_name(t, srv, env)
    finally:
        srv.stop()
        env.cleanup()


ternlib.run(main)
