#!/usr/bin/env python3
"""PREVIEW (RFC 8970, issue 16) in `tern list --json` against the test
Dovecot, which offers PREVIEW.

A message appended for the test has a known first line; every entry of
`list INBOX --json` has a "preview" field, the test message's is that text
(Dovecot makes it: the CLI asks without LAZY), on one line, with the
message's ESC and bidi override never raw. Plain output is unchanged (no
preview text). With `[ui] preview = false` and no cache nothing is asked:
every preview is null. `search INBOX ... --json` has the field too, and a
second `list --json` (now from the cache) gives the same previews."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

MID = "<preview-cli-1@tern.test>"
SUBJECT = "Preview CLI message"
CANARY = "Canary-words for the preview"


def message():
    return ("From: Preview <preview@example.org>\r\n"
            "To: tern@example.org\r\n"
            "Subject: %s\r\n"
            "Date: Thu, 01 Jan 2037 12:00:00 +0000\r\n"
            "Message-ID: %s\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "%s \x1b[31mred\u202e here.\r\nSecond line.\r\n"
            % (SUBJECT, MID, CANARY)).encode()


def list_json(t, env, *args):
    r = env.tern(*args)
    t.eq(r.returncode, 0, "tern %s exits 0" % " ".join(args))
    if r.returncode != 0:
        t.diag(r.stderr.decode(errors="replace"))
        return []
    return json.loads(r.stdout)


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    try:
        c = srv.imap()
        typ, data = c.append("INBOX", None, None, message())
        t.ok(typ == "OK", "the test message is appended", repr(data))
        c.logout()
        n = len(srv.mailbox["INBOX"]) + 1

        # [ui] preview = false, no cache: nothing asked, every preview null
        srv.tern_config(env.config, extra="[ui]\npreview = false\n")
        rows = list_json(t, env, "--no-cache", "list", "INBOX", "--json")
        t.eq(len(rows), n, "list --json: every message")
        t.ok(all("preview" in r for r in rows), "every entry has a preview field")
        t.ok(all(r["preview"] is None for r in rows), "preview = false: every preview is null",
             repr([r["preview"] for r in rows]))

        srv.tern_config(env.config)
        rows = list_json(t, env, "list", "INBOX", "--json")
        t.eq(len(rows), n, "list --json: every message")
        mine = [r for r in rows if r["subject"] == SUBJECT]
        t.eq(len(mine), 1, "the test message is listed")
        pv = mine[0]["preview"] if mine else None
        t.ok(isinstance(pv, str) and pv.startswith(CANARY),
             "its preview is the start of its text", repr(pv))
        t.ok(pv is not None and "\x1b" not in pv and "\u202e" not in pv and "\n" not in pv,
             "no ESC, bidi override or line end in the preview", repr(pv))
        t.ok(pv is not None and "Second line." in pv, "the text's lines joined on one",
             repr(pv))
        others = [r for r in rows if r["subject"] != SUBJECT]
        t.ok(all(isinstance(r["preview"], str) and r["preview"].startswith("Hello")
                 for r in others), "the fixture messages' previews too",
             repr([r["preview"] for r in others][:3]))

        again = list_json(t, env, "list", "INBOX", "--json")
        t.eq([r["preview"] for r in again], [r["preview"] for r in rows],
             "a second list (from the cache) gives the same previews")
        offline = list_json(t, env, "--offline", "list", "INBOX", "--json")
        t.eq([r["preview"] for r in offline], [r["preview"] for r in rows],
             "--offline: the cached previews")

        found = list_json(t, env, "search", "INBOX", "subject:\"%s\"" % SUBJECT, "--json")
        t.ok(len(found) == 1 and (found[0].get("preview") or "").startswith(CANARY),
             "search --json carries the preview", repr(found))

        r = env.tern("list", "INBOX")
        out = r.stdout.decode(errors="replace")
        t.ok(r.returncode == 0 and SUBJECT in out and CANARY not in out,
             "plain list: no preview text", out)
    finally:
        env.cleanup()
        srv.stop()


ternlib.run(main)
