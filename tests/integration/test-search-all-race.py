#!/usr/bin/env python3
"""tern search --all while a folder goes away (issue 16, hostile: "a
folder name that changes while a search is in flight").

The search runs pipelined over a slow link (a proxy holding every chunk
0.2 s). As soon as tern's protocol trace shows its first EXAMINE (so LIST
has named every folder), a second connection deletes the folder LIST
named last (INBOX and the special-use folders aside), which tern examines only after the first folders answered.
tern must report that folder on stderr and skip it: exit status 0, and
the result equals a raw client's per-folder UID SEARCH union over the
folders that are left (the INBOX match there, the deleted folder's not).
It fails if a refused EXAMINE ends the search or the SEARCH behind it is
taken for another folder's answer."""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402
import genmail  # noqa: E402

WORD = "quokkafold"


def message(subject, mid):
    return ("From: Racer <race@example.org>\r\n"
            "To: tern@example.org\r\n"
            "Subject: %s\r\n"
            "Date: Thu, 01 Jan 2037 12:00:00 +0000\r\n"
            "Message-ID: %s\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "Somewhere.\r\n" % (subject, mid)).encode()


def listed(c):
    """Selectable folders as LIST gives them, in its order (wire names)."""
    typ, data = c.list('""', "*")
    names = []
    for line in data:
        m = re.match(rb'\(([^)]*)\) (?:"[^"]*"|NIL) (.*)$', line)
        if m and b"\\Noselect" not in m.group(1):
            names.append(m.group(2).decode())
    return names


def raw_union(srv):
    """{(UTF-8 folder, uid)} that UID SEARCH TEXT WORD finds, folder by folder."""
    c = srv.imap()
    found = set()
    try:
        names = {genmail.mutf7(f): f for f in srv.mailbox}
        for wire in listed(c):
            name = names.get(wire.strip('"'), wire.strip('"'))
            typ, _ = c.select(wire, readonly=True)
            if typ != "OK":
                continue
            typ, data = c.uid("SEARCH", None, "TEXT", WORD)
            for uid in (data[0] or b"").split():
                found.add((name, int(uid)))
    finally:
        c.logout()
    return found


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    proxy = ternlib.Proxy(srv.imap_port)
    try:
        srv.tern_config(env.config, tls="none", port=proxy.port)
        c = srv.imap()
        wires = listed(c)
        # the last in LIST's order but INBOX (Dovecot lists it last) and the
        # special-use folders (the test server creates them again on EXAMINE)
        special = {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"}
        last = [w for w in wires if w.strip('"') not in special][-1]
        t.ok(len(wires) > 9, "more folders than the search has in flight at once", wires)
        c.append("INBOX", None, None, message("Quokkafold in the inbox", "<race-1@tern.test>"))
        c.append(last, None, None, message("Quokkafold doomed", "<race-2@tern.test>"))
        c.logout()
        before = raw_union(srv)
        gone = {f for f, _ in before if f not in ("INBOX",)}
        t.eq(len(before), 2, "a raw client finds the word in INBOX and the last folder")

        proxy.delay = 0.2
        log = os.path.join(env.env["XDG_CACHE_HOME"], "tern", "tern.log")
        p = subprocess.Popen([ternlib.TERN, "-c", env.config, "--debug", "search", "--all",
                              "--json", WORD], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env.env)
        deadline = time.monotonic() + 120
        seen = False
        while time.monotonic() < deadline and p.poll() is None:
            if os.path.exists(log):
                with open(log, errors="replace") as f:
                    if " EXAMINE " in f.read():
                        seen = True
                        break
            time.sleep(0.01)
        t.ok(seen, "tern began examining folders")
        c = srv.imap()
        typ, data = c.delete(last)
        c.logout()
        t.ok(typ == "OK", "a second connection deleted %s mid-search" % last, data)
        out, err = p.communicate(timeout=300)
        err = err.decode(errors="replace")
        t.ok(p.returncode == 0, "the search exits 0", err)
        name = next(iter(gone)) if gone else last
        t.ok(name in err, "the deleted folder is reported on stderr", err)
        got = json.loads(out.decode()) if p.returncode == 0 else []
        t.eq({(e["folder"], e["uid"]) for e in got}, raw_union(srv),
             "the result is the union of the folders left")
        t.ok(any(e["folder"] == "INBOX" for e in got), "INBOX's match is there", got)
        t.ok(not any(e["folder"] == name for e in got), "the deleted folder's is not", got)
    finally:
        proxy.delay = 0
        srv.stop()
        env.cleanup()


ternlib.run(main)
