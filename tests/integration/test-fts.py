#!/usr/bin/env python3
"""The local full-text index (SQLite FTS5 in the cache) against a real
Dovecot: `tern --offline search FOLDER body:WORD` finds a message whose body
was read (cached) by a word of it and not one whose body never was; an
HTML-only body is found by its rendered text (a word split by a tag, an
entity); FTS syntax in a query (quotes, NEAR, *, OR, column filters) is
taken literally; `tern --offline search --all` does the same over every
cached folder; hostile bodies (NUL bytes, a body of a few MiB) are
indexed up to the first 256 KiB of text; an expunged message leaves the
index and a UIDVALIDITY change empties the folder's part of it."""
import base64
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

FOLDER = "Fts"


def message(n, ctype, body, cte=None):
    head = ("From: Sender %d <s%d@example.org>\r\nTo: me@example.org\r\n"
            "Subject: fts %d\r\nDate: Mon, 02 Mar 2026 10:%02d:00 +0100\r\n"
            "Message-ID: <fts-%d@example.org>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: %s\r\n" % (n, n, n, n, n, ctype))
    if cte:
        head += "Content-Transfer-Encoding: %s\r\n" % cte
    return (head + "\r\n").encode() + body


def b64(data):
    enc = base64.b64encode(data)
    return b"\r\n".join(enc[i:i + 76] for i in range(0, len(enc), 76)) + b"\r\n"


HUGE_TEXT = (b"earlyword " + b"filler text line\n" * (3 * 1024 * 1024 // 17) +
             b" lateword\n")
MESSAGES = [
    # 1: read, plain text
    message(1, "text/plain; charset=utf-8", b"We met in zanzibar last spring.\r\n"),
    # 2: never read
    message(2, "text/plain; charset=utf-8", b"A quokka smiled.\r\n"),
    # 3: read, HTML only: "wombat" exists only once the tags are gone
    message(3, "text/html; charset=utf-8",
            b"<html><body><p>Hello wom<b>bat</b> at the caf&eacute;</p></body></html>\r\n"),
    # 4: read, FTS syntax in the text, NUL bytes inside (base64)
    message(4, "text/plain; charset=utf-8",
            b64(b"say \"quoted\" NEAR(alpha beta) star* {hdr} : x\x00\x00 after nul\n"),
            "base64"),
    # 5: read, a few MiB of text
    message(5, "text/plain; charset=us-ascii", b64(HUGE_TEXT), "base64"),
]


def append_all(srv, folder, msgs):
    c = srv.imap()
    c.create(folder)
    for m in msgs:
        typ, _ = c.append(folder, None, None, m)
        assert typ == "OK"
    c.logout()


def search(t, env, *query, offline=True):
    args = (["--offline"] if offline else []) + ["search", FOLDER] + list(query) + ["--json"]
    r = env.tern(*args)
    try:
        return sorted(x["subject"] for x in json.loads(r.stdout.decode()))
    except ValueError:
        t.diag("%s: rc %d stderr %r" % (query, r.returncode, r.stderr[:400]))
        return None


def fts_rows(db, like):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM fts WHERE body LIKE ? OR hdr LIKE ?",
                           ("%" + like + "%", "%" + like + "%")).fetchone()[0]
    finally:
        con.close()


def check_all_folders(t, env):
    """--offline search --all: every cached folder through the index; the
    folders never opened are not cached and are left out without a word."""
    r = env.tern("folders")
    t.ok(r.returncode == 0, "folders caches the folder list", r.stderr[:300])
    r = env.tern("--offline", "search", "--all", "--json", "body:zanzibar")
    t.ok(r.returncode == 0 and r.stderr == b"", "offline search --all exits 0, nothing on stderr",
         r.stderr[:300])
    got = json.loads(r.stdout.decode()) if r.returncode == 0 else []
    t.eq([(x["folder"], x["subject"]) for x in got], [(FOLDER, "fts 1")],
         "offline search --all finds a cached body by a word of it, with its folder")
    r = env.tern("--offline", "search", "--all", "--json", "body:quokka")
    t.eq(json.loads(r.stdout.decode()) if r.returncode == 0 else None, [],
         "offline search --all does not find a word of a body never read")
    r = env.tern("--offline", "search", "--all", "--json", "text:wombat OR subject:\"fts 2\"")
    got = json.loads(r.stdout.decode()) if r.returncode == 0 else []
    t.eq(sorted(x["subject"] for x in got), ["fts 2", "fts 3"],
         "offline search --all: the index and the cached headers in one query")


def main(t):
    srv = ternlib.start_server(t, folders={"INBOX": 2})
    env = ternlib.Env()
    db = os.path.join(env.dir, "cache", "tern", "test.db")
    try:
        srv.tern_config(env.config)
        append_all(srv, FOLDER, MESSAGES)
        r = env.tern("list", FOLDER, "--json")
        t.ok(r.returncode == 0, "list caches the summaries", r.stderr[:300])
        uids = [x["uid"] for x in sorted(json.loads(r.stdout.decode()), key=lambda x: x["uid"])]
        for u in (uids[0], uids[2], uids[3], uids[4]):
            r = env.tern("show", FOLDER, str(u))
            t.ok(r.returncode == 0, "show %d caches its body" % u, r.stderr[:300])

        t.eq(search(t, env, "body:zanzibar"), ["fts 1"],
             "offline body: finds a cached body by a word of it")
        t.eq(search(t, env, "body:quokka"), [],
             "offline body: does not find a word of a body never read")
        t.eq(search(t, env, "zanzibar"), ["fts 1"], "a bare word looks in the index too")
        t.eq(search(t, env, "ZANZIBAR"), ["fts 1"], "case does not matter")
        t.eq(search(t, env, "body:anzib"), ["fts 1"], "a substring matches, as IMAP SEARCH")
        t.eq(search(t, env, "body:wombat"), ["fts 3"],
             "an HTML body is found by its rendered text (a word split by a tag)")
        t.eq(search(t, env, "body:café"), ["fts 3"], "an entity is found as its character")
        t.eq(search(t, env, "body:<b>bat"), [], "the HTML markup is not indexed")
        t.eq(search(t, env, "body:\"NEAR(alpha beta)\""), ["fts 4"],
             "NEAR(...) in a query is text")
        t.eq(search(t, env, "body:\"NEAR(alpha zanzibar)\""), [],
             "NEAR(...) is not an FTS operator")
        t.eq(search(t, env, "body:\"\\\"quoted\\\"\""), ["fts 4"], "double quotes are text")
        t.eq(search(t, env, "body:\"star*\""), ["fts 4"], "a * is text")
        t.eq(search(t, env, "body:\"zanz*\""), [], "a * is not a prefix query")
        t.eq(search(t, env, "body:\"zanzibar OR quokka\""), [], "OR inside a value is text")
        t.eq(search(t, env, "body:\"{hdr} : x\""), ["fts 4"], "a column filter is text")
        t.eq(search(t, env, "body:\"{hdr} : fts\""), [], "a column filter does not filter")
        t.eq(search(t, env, "body:\"after nul\""), ["fts 4"],
             "text after NUL bytes in a body is indexed")
        t.eq(search(t, env, "body:earlyword"), ["fts 5"], "a huge body's start is indexed")
        t.eq(search(t, env, "body:lateword"), [],
             "past its first 256 KiB of text a body is not indexed")
        con = sqlite3.connect(db)
        longest = con.execute("SELECT max(length(CAST(body AS BLOB))) FROM fts").fetchone()[0]
        con.close()
        t.ok(longest <= 256 * 1024, "no row indexes more than 256 KiB of text (%d)" % longest)
        t.eq(search(t, env, "body:zanzibar", offline=False), ["fts 1"],
             "online the server answers the same")
        check_all_folders(t, env)

        # an expunge by another client, seen by the next resync
        c = srv.imap()
        c.select(FOLDER)
        c.uid("STORE", str(uids[0]), "+FLAGS.SILENT", "(\\Deleted)")
        c.expunge()
        c.logout()
        r = env.tern("list", FOLDER)
        t.ok(r.returncode == 0, "list resyncs after the expunge", r.stderr[:300])
        t.eq(search(t, env, "body:zanzibar"), [], "an expunged message is not found offline")
        t.eq(fts_rows(db, "zanzibar"), 0, "an expunged message's text is gone from the index")
        t.ok(fts_rows(db, "wombat") == 1, "the others stay")

        # a UIDVALIDITY change: the folder recreated
        c = srv.imap()
        c.delete(FOLDER)
        c.logout()
        append_all(srv, FOLDER, [message(9, "text/plain", b"reborn body\r\n")])
        r = env.tern("list", FOLDER)
        t.ok(r.returncode == 0, "list after the folder was recreated", r.stderr[:300])
        t.eq(fts_rows(db, "wombat") + fts_rows(db, "earlyword") + fts_rows(db, "fts 3"), 0,
             "a UIDVALIDITY change empties the folder's index")
        t.eq(search(t, env, "body:wombat"), [], "and nothing old is found offline")
        t.eq(search(t, env, "text:fts"), ["fts 9"], "the new summaries are indexed")
    finally:
        srv.stop()
        env.cleanup()


ternlib.run(main)
