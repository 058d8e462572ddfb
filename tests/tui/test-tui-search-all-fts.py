#!/usr/bin/env python3
"""The all-folder search (#16) with the local full-text index, in tmux
against the test Dovecot behind a slow link (a proxy holding every chunk
1 s): what the cache finds in every cached folder (bodies read before, by
a word of them) is listed at once, while the search's own connection is
still being made; the server's answer then replaces it folder by folder:
a match the server confirms stays, one the server no longer has (expunged
by another client since it was cached) leaves the list, and one whose
body was never read (another folder) comes in. The end equals a raw
client's per-folder UID SEARCH union."""
import importlib.util
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


base = _load("tui_base", "test-tui.py")
cache = _load("tui_cache", "test-tui-cache.py")
H = base.HEIGHT
FOLDER = "Notes"
WORD = "xenolith"


def message(n, body):
    return ("From: Sender %d <s%d@example.org>\r\nTo: me@example.org\r\n"
            "Subject: Probe %d\r\nDate: Mon, 02 Mar 2026 10:%02d:00 +0100\r\n"
            "Message-ID: <probe-all-%d@example.org>\r\n\r\n%s\r\n" % (n, n, n, n, n, body)
            ).encode()


def rows(lines):
    return [l for l in lines[1:H - 2] if "Probe " in l]


def raw_union(srv):
    c = srv.imap()
    found = set()
    try:
        for folder in ("INBOX", FOLDER):
            c.select(folder, readonly=True)
            typ, data = c.uid("SEARCH", None, "BODY", WORD)
            for uid in (data[0] or b"").split():
                found.add((folder, int(uid)))
    finally:
        c.logout()
    return found


def main(t):
    srv = ternlib.start_server(t, folders={"INBOX": 4})
    env = ternlib.Env()
    proxy = ternlib.Proxy(srv.imap_port)
    try:
        srv.tern_config(env.config)
        slow = srv.tern_config(os.path.join(env.dir, "slow"), port=proxy.port)
        c = srv.imap()
        c.create(FOLDER)
        c.append(FOLDER, None, None, message(1, "A xenolith in the garden."))
        c.append(FOLDER, None, None, message(3, "A xenolith that will go."))
        c.append("INBOX", None, None, message(2, "Another xenolith, never read."))
        c.logout()
        r = env.tern("folders")
        t.ok(r.returncode == 0, "folders caches the folder list", r.stderr[:300])
        r = env.tern("list", FOLDER, "--json")
        uids = sorted(m["uid"] for m in json.loads(r.stdout.decode()))
        for u in uids:
            r = env.tern("show", FOLDER, str(u))
            t.ok(r.returncode == 0 and WORD.encode() in r.stdout,
                 "show caches %s %d's body" % (FOLDER, u), r.stderr[:300])
        # another client expunges Probe 3: the cache still has it
        c = srv.imap()
        c.select(FOLDER)
        c.uid("STORE", str(uids[1]), "+FLAGS.SILENT", "(\\Deleted)")
        c.expunge()
        c.logout()

        run = cache.Run(env, slow)
        try:
            ok, lines = run.term.wait(lambda ls: any("Probe 2" in l for l in ls[:H - 2]))
            t.ok(ok, "INBOX opens through the proxy", "\n".join(lines))
            time.sleep(1.0)  # the folder watcher's connection settles first
            proxy.delay = 1.0  # connecting the search's connection takes seconds
            run.term.keys("/")
            run.term.keys("Tab")
            ok, lines = run.term.wait(lambda ls: ls[H - 1].startswith("Search all folders:"))
            t.ok(ok, "Tab: all folders", lines[H - 1] if lines else "")
            run.term.text("body:" + WORD)
            run.term.keys("Enter")
            ok, lines = run.term.wait(lambda ls: len(rows(ls)) >= 2)
            got = rows(lines)
            t.ok(ok and any("connecting" in l for l in lines) and len(got) == 2 and
                 any("Probe 1" in l for l in got) and any("Probe 3" in l for l in got),
                 "the cache's matches (Notes' read bodies) show while the search connects",
                 "\n".join(lines))
            t.ok(all(FOLDER in l for l in got), "with their folder", "\n".join(got))
            ok, lines = run.term.wait(lambda ls: "matches in" in ls[H - 1] or
                                      "match in" in ls[H - 1], timeout=base.WAIT + 60)
            got = rows(lines)
            t.ok(ok and len(got) == 2 and any("Probe 1" in l for l in got) and
                 any("Probe 2" in l and "INBOX" in l for l in got),
                 "the server's answer: Probe 1 stays, Probe 2 (never read) comes in",
                 "\n".join(lines))
            t.ok(not any("Probe 3" in l for l in got),
                 "and Probe 3, expunged since it was cached, leaves the list", "\n".join(got))
            t.ok("2 matches in" in lines[H - 1], "the status line counts 2", lines[H - 1])
            want = raw_union(srv)
            t.eq(sorted(f for f, _ in want), ["INBOX", FOLDER],
                 "a raw client's union is the same two: one in INBOX, one in Notes")
            t.ok((FOLDER, uids[0]) in want, "Notes' is Probe 1", want)
            proxy.delay = 0
            run.term.keys("Escape")
            ok, lines = run.term.wait(lambda ls: not any("All folders" in l for l in ls))
            t.ok(ok, "Esc closes the results", "\n".join(lines))
        except BaseException:
            t.diag("screen:\n" + "\n".join(run.term.screen()))
            raise
        finally:
            proxy.delay = 0
            time.sleep(1.5)  # chunks held before the delay was lifted go on
            t.diag("before quitting:\n" + "\n".join(run.term.screen()))
            run.quit(t, "search all fts")
    finally:
        proxy.close()
        srv.stop()
        env.cleanup()


ternlib.run(main)
