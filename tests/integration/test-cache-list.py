#!/usr/bin/env python3
"""The whole-folder list from the cache (`tern --offline list F --json`,
read in one scan of From and Subject decoded when they were written) never
shows stale or wrong data: after another client changes a flag, expunges a
message, or the folder is recreated with a new UIDVALIDITY, and once an
online open has resynced, the offline list equals a fresh uncached one;
rows an older tern wrote (no decoded columns) are decoded on reading; a
garbage cache file lists nothing."""
import json
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

FOLDERS = {"INBOX": 5, "Big": 400}


def listing(env, *args):
    r = env.tern(*args)
    try:
        return r.returncode, json.loads(r.stdout.decode()), r
    except ValueError:
        return r.returncode, None, r


def offline_is_fresh(t, env, folder, desc, same_bytes=None):
    """Sync once online, then compare the offline list with an uncached one
    (and with same_bytes, the online list's bytes with the offline ones: a
    cold load prints the rows as it wrote them, not read back)."""
    rc0, _, r0 = listing(env, "list", folder, "--json")
    rc1, off, r1 = listing(env, "--offline", "list", folder, "--json")
    if same_bytes is not None:
        t.ok(rc0 == 0 and r0.stdout == r1.stdout and len(r0.stdout) > 100, same_bytes,
             (r0.stdout[:300], r1.stdout[:300]))
    rc2, fresh, _ = listing(env, "--no-cache", "list", folder, "--json")
    ok = rc0 == 0 and rc1 == 0 and rc2 == 0 and off is not None and off == fresh
    diag = None
    if not ok and off is not None and fresh is not None:
        ou = {x["uid"]: x for x in off}
        fu = {x["uid"]: x for x in fresh}
        diag = "only offline: %s\nonly fresh: %s\ndiffer: %s" % (
            sorted(set(ou) - set(fu))[:10], sorted(set(fu) - set(ou))[:10],
            [(ou[u], fu[u]) for u in set(ou) & set(fu) if ou[u] != fu[u]][:3])
    elif not ok:
        diag = (r0.stderr[:300], r1.stderr[:300])
    t.ok(ok, desc, diag)
    return off


def uid_list(srv, folder):
    c = srv.imap()
    c.select(folder)
    typ, data = c.uid("SEARCH", "ALL")
    c.logout()
    return [int(x) for x in data[0].split()]


def uidvalidity(srv, folder):
    c = srv.imap()
    typ, data = c.status(folder, "(UIDVALIDITY)")
    c.logout()
    return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))


def main(t):
    srv = ternlib.start_server(t, folders=FOLDERS)
    env = ternlib.Env()
    db = os.path.join(env.dir, "cache", "tern", "test.db")
    try:
        srv.tern_config(env.config)
        first = offline_is_fresh(t, env, "Big", "cold: the offline list equals an uncached one",
                                 "cold: the list printed while loading is byte for byte the "
                                 "offline one")
        t.ok(first is not None and len(first) == 400, "every message is listed")
        t.ok(first is not None and any(any(ord(ch) > 127 for ch in x["subject"] + x["from"])
                                       for x in first),
             "some listed From or Subject was decoded to non-ASCII text")
        con = sqlite3.connect(db)
        n = con.execute("SELECT count(*) FROM messages WHERE list_subject IS NOT NULL").fetchone()
        # a plain one is the raw column itself: not stored twice
        twice = con.execute("SELECT count(*) FROM messages WHERE list_subject = subject OR "
                            "list_from = from_full").fetchone()
        undecoded = con.execute("SELECT count(*) FROM messages WHERE (list_subject IS NULL AND "
                                "subject LIKE '%=?%') OR (list_from IS NULL AND "
                                "from_full LIKE '%=?%')").fetchone()
        con.close()
        t.ok(n[0] > 0, "the cache holds the decoded subjects (%d)" % n[0])
        t.eq(twice[0], 0, "no plain From or Subject is stored twice")
        t.eq(undecoded[0], 0, "every encoded From and Subject is stored decoded")

        uids = uid_list(srv, "Big")
        c = srv.imap()
        c.select("Big")
        c.uid("STORE", str(uids[10]), "+FLAGS", "(\\Flagged $Later)")
        c.uid("STORE", str(uids[11]), "-FLAGS", "(\\Seen)")
        c.logout()
        rows = offline_is_fresh(t, env, "Big", "after a flag change: equal")
        mine = [x for x in rows or [] if x["uid"] == uids[10]]
        t.ok(len(mine) == 1 and "\\Flagged" in mine[0]["flags"] and "$Later" in mine[0]["flags"],
             "the changed flags are listed", mine)

        c = srv.imap()
        c.select("Big")
        c.uid("STORE", "%d,%d" % (uids[20], uids[-1]), "+FLAGS", "(\\Deleted)")
        c.expunge()
        c.logout()
        rows = offline_is_fresh(t, env, "Big", "after an expunge: equal")
        t.ok(rows is not None and len(rows) == 398 and
             not ({uids[20], uids[-1]} & {x["uid"] for x in rows}),
             "the expunged messages are gone")

        before = uidvalidity(srv, "Big")
        c = srv.imap()
        c.delete("Big")
        c.create("Big")
        for i in range(3):
            c.append("Big", "(\\Seen)", None,
                     ("From: =?UTF-8?Q?Z=C3=A9?= <z@example.org>\r\nSubject: reborn %d\r\n"
                      "Date: Mon, 02 Mar 2026 10:0%d:00 +0100\r\nMessage-ID: <r%d@x>\r\n\r\n"
                      "body\r\n" % (i, i, i)).encode())
        c.logout()
        t.ok(uidvalidity(srv, "Big") != before, "recreating the folder changed its UIDVALIDITY")
        rows = offline_is_fresh(t, env, "Big", "after a UIDVALIDITY change: equal",
                                "a new UIDVALIDITY is a cold load: the same bytes as offline")
        t.ok(rows is not None and [x["subject"] for x in rows] ==
             ["reborn 2", "reborn 1", "reborn 0"] and rows[0]["from"] == "Zé <z@example.org>",
             "only the new folder's messages, decoded, newest first", rows)

        # dates out of UID order (a message moved in late, one without a
        # Date, two at the same minute): a cold load sorts the rows it kept
        # rather than taking them in the reverse of their UID order
        minutes = [7, 3, 9, 3, None, 1, 8, 0, 5, 5]
        c = srv.imap()
        c.create("Mixed")
        for i, m in enumerate(minutes):
            date = "" if m is None else "Date: Tue, 03 Mar 2026 09:%02d:00 +0000\r\n" % m
            c.append("Mixed", None, None,
                     ("From: m@example.org\r\nSubject: mixed %d\r\n%sMessage-ID: <m%d@x>\r\n"
                      "\r\nbody\r\n" % (i, date, i)).encode())
        c.logout()
        rows = offline_is_fresh(t, env, "Mixed", "dates out of UID order: equal",
                                "dates out of UID order: the cold list's bytes are the "
                                "offline one's")
        t.ok(rows is not None and len(rows) == 10 and
             [x["subject"] for x in rows if x["subject"] != "mixed 4"] ==
             ["mixed 2", "mixed 6", "mixed 0", "mixed 9", "mixed 8", "mixed 3", "mixed 1",
              "mixed 5", "mixed 7"],
             "newest Date first, the same minute highest UID first", rows)

        # rows an older tern wrote: no decoded columns, decoded on reading
        listing(env, "list", "INBOX", "--json")
        con = sqlite3.connect(db)
        con.execute("UPDATE messages SET list_from = NULL, list_subject = NULL")
        con.commit()
        con.close()
        _, off, r = listing(env, "--offline", "list", "INBOX", "--json")
        _, fresh, _ = listing(env, "--no-cache", "list", "INBOX", "--json")
        t.ok(off is not None and off == fresh and len(off) == 5,
             "rows without the decoded columns: decoded on reading, equal", r.stderr[:300])

        # a big folder is listed by two threads (two scans, two formatters):
        # the same bytes as the streaming path (--limit walks the date index),
        # queued changes shown over both
        con = sqlite3.connect(db)
        fid = con.execute("SELECT id FROM folders WHERE name = 'Big'").fetchone()[0]
        cols = [r[1] for r in con.execute("PRAGMA table_info(messages)")]
        sel = ", ".join("uid + ?" if c == "uid" else "date + ?" if c == "date" else c
                        for c in cols)
        for i in range(1, 8001):
            con.execute("INSERT INTO messages (%s) SELECT %s FROM messages WHERE folder = ? "
                        "AND uid < 10" % (", ".join(cols), sel), (i * 10, i % 500, fid))
        con.commit()
        big_uids = [r[0] for r in con.execute(
            "SELECT uid FROM messages WHERE folder = ? ORDER BY uid", (fid,))]
        con.close()
        fl = env.tern("--offline", "flag", "Big", str(big_uids[5000]), "+flagged")
        mv = env.tern("--offline", "move", "Big", str(big_uids[17000]), "INBOX")
        whole = env.tern("--offline", "list", "Big", "--json")
        walk = env.tern("--offline", "list", "Big", "--json", "--limit", "1000000")
        rows = json.loads(whole.stdout.decode()) if whole.returncode == 0 else []
        t.ok(fl.returncode == 74 and mv.returncode == 74, "a flag and a move queued offline",
             (fl.stderr[:200], mv.stderr[:200]))
        t.ok(whole.returncode == 0 and whole.stdout == walk.stdout and
             len(rows) == len(big_uids) - 1 > 20000,
             "%d rows over UIDs 1..%d: the two-thread list is byte for byte the index walk's"
             % (len(big_uids), big_uids[-1]), (len(rows), whole.stderr[:300]))
        t.ok(not any(x["uid"] == big_uids[17000] for x in rows) and
             [x for x in rows if x["uid"] == big_uids[5000]][0]["flags"].count("\\Flagged") == 1,
             "the queued move hides its message, the queued flag shows")

        # a garbage cache file lists nothing rather than something wrong
        for sfx in ("-wal", "-shm"):
            if os.path.exists(db + sfx):
                os.unlink(db + sfx)
        with open(db, "wb") as f:
            f.write(b"SQLite format 3\0" + b"\xff" * 8000)
        r = env.tern("--offline", "list", "INBOX", "--json")
        t.ok(r.returncode == 69 and r.stdout == b"",
             "--offline on a garbage cache: exit 69, nothing listed",
             (r.returncode, r.stdout[:200], r.stderr[:300]))
    finally:
        srv.stop()
        env.cleanup()


ternlib.run(main)
