#!/usr/bin/env python3
"""tern search --all QUERY... against the test Dovecot (issue 16, "Search
everywhere", its command-line part).

The result must equal the union of a raw client's per-folder UID SEARCH
over every selectable folder (Junk and Trash included), each --json entry
carrying the folder's UTF-8 name; --limit N applies to the whole result
(the newest N of all folders); plain output has a folder column; a folder
that cannot be opened is reported on stderr and skipped; a folder the
cache holds exactly gives its matches from the cache, with the server's
flags, the exit status
staying 0; list --all and a missing query are usage errors (64)."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402
import genmail  # noqa: E402

WORD = "meeting"


def raw_union(srv, skip=()):
    """{(UTF-8 folder, uid)} that UID SEARCH TEXT WORD finds, folder by folder."""
    c = srv.imap()
    found = set()
    try:
        names = {}
        for f in srv.mailbox:  # the fixture's folders, by their UTF-8 names
            names[genmail.mutf7(f)] = f
        for wire, name in names.items():
            if name in skip:
                continue
            typ, _ = c.select('"%s"' % wire, readonly=True)
            if typ != "OK":
                continue
            typ, data = c.uid("SEARCH", None, "TEXT", WORD)
            for uid in (data[0] or b"").split():
                found.add((name, int(uid)))
    finally:
        c.logout()
    return found


def search_all(env):
    r = env.tern("search", "--all", "--json", WORD)
    return json.loads(r.stdout.decode()) if r.returncode == 0 else []


def check_cached(t, srv, env, want):
    """A folder the cache holds as the server has it gives its matches from
    the cache; one changed since (a flag set by another client) from the
    server: the flags are the server's either way."""
    folder = sorted({f for f, _ in want})[0]
    uid = min(u for f, u in want if f == folder)
    r = env.tern("list", folder)
    t.ok(r.returncode == 0, "list caches %s" % folder, r.stderr[:300])
    got = search_all(env)
    t.eq({(e["folder"], e["uid"]) for e in got}, want, "with %s cached: the same union" % folder)
    c = srv.imap()
    c.select('"%s"' % genmail.mutf7(folder))
    c.uid("STORE", str(uid), "+FLAGS", "(\\Flagged)")
    c.logout()
    got = search_all(env)
    e = [x for x in got if x["folder"] == folder and x["uid"] == uid]
    t.ok(e and "\\Flagged" in e[0]["flags"],
         "a flag another client set since the cache was filled shows", e)
    t.eq({(x["folder"], x["uid"]) for x in got}, want, "and the union is the same")
    r = env.tern("list", folder)  # the cache catches up: exact again
    got = search_all(env)
    e = [x for x in got if x["folder"] == folder and x["uid"] == uid]
    t.ok(e and "\\Flagged" in e[0]["flags"], "from the cache once it caught up, the same", e)
    t.eq({(x["folder"], x["uid"]) for x in got}, want, "and the same union")


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    try:
        srv.tern_config(env.config)
        want = raw_union(srv)
        t.ok(len({f for f, _ in want}) >= 3, "the fixture has matches in several folders",
             sorted({f for f, _ in want}))
        r = env.tern("search", "--all", "--json", WORD)
        t.eq(r.returncode, 0, "search --all --json exits 0")
        got = json.loads(r.stdout.decode())
        t.eq({(e["folder"], e["uid"]) for e in got}, want,
             "search --all is the union of every folder's UID SEARCH")
        t.eq(len(got), len(want), "each message once")
        t.ok(all("folder" in e and "subject" in e for e in got), "every entry has a folder")
        dates = [e["date"] for e in got]
        r = env.tern("search", "--all", "--json", "--limit", "3", WORD)
        lim = json.loads(r.stdout.decode())
        t.eq(len(lim), 3, "--limit 3 gives 3 entries of all folders")
        t.eq([(e["folder"], e["uid"]) for e in lim], [(e["folder"], e["uid"]) for e in got[:3]],
             "they are the newest 3 of the whole result")
        r = env.tern("search", "--all", WORD, "--limit", "2")
        lines = r.stdout.decode().splitlines()
        t.eq(len(lines), 2, "plain: two lines")
        t.ok(lines and lines[0].startswith(got[0]["folder"]),
             "plain: the folder column comes first", lines)

        check_cached(t, srv, env, want)

        # A folder that cannot be opened: reported, skipped, exit 0.
        junk = os.path.join(srv.dir, "mail", srv.user, "Junk")
        os.chmod(junk, 0)
        try:
            r = env.tern("search", "--all", "--json", WORD)
        finally:
            os.chmod(junk, 0o700)
        err = r.stderr.decode()
        t.ok(r.returncode == 0, "a folder that fails leaves the exit status 0", err)
        t.ok("Junk" in err, "and is reported on stderr", err)
        got = json.loads(r.stdout.decode()) if r.returncode == 0 else []
        t.eq({(e["folder"], e["uid"]) for e in got}, raw_union(srv, skip=("Junk",)),
             "the other folders' matches are all there")

        r = env.tern("list", "--all", "INBOX")
        t.eq(r.returncode, 64, "list --all is a usage error")
        r = env.tern("search", "--all")
        t.eq(r.returncode, 64, "search --all without a query is a usage error")
    finally:
        srv.stop()
        env.cleanup()


ternlib.run(main)
