#!/usr/bin/env python3
"""The summaries come from BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE
MESSAGE-ID IN-REPLY-TO REFERENCES)] (issue 17): tern builds from those
headers what ENVELOPE gave it before. Against the test Dovecot, messages
with awkward headers (quoted and escaped display names, comments, groups,
routes, folded and encoded subjects, obs-syntax, a missing Date, a second
From) are appended; `tern list --json` must show for each the From and
Subject that Dovecot's own ENVELOPE of the message gives, formatted as tern
formats them, and the Date header's time (INTERNALDATE when it has none).
The protocol trace shows that ENVELOPE is no longer asked for."""
import email.header
import email.utils
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

HEADERS = [
    'From: Jane Doe <jane@example.org>\r\nSubject: plain\r\n',
    'From: "Doe, Jane" <jane@example.org>\r\nSubject: a quoted name with a comma\r\n',
    'From: "a \\"quoted\\" b" <q@example.org>\r\nSubject: escaped quotes\r\n',
    'From: jane@example.org (Jane in a comment)\r\nSubject: name from a comment\r\n',
    'From: Jane (not (the) name) <jane@example.org>\r\nSubject: a comment in the phrase\r\n',
    'From: <@route.example,@r2.example:routed@example.org>\r\nSubject: an obs-route\r\n',
    'From: Mr. J. Doe <j@example.org>\r\nSubject: obs-phrase with dots\r\n',
    'From: Team: a@example.org, B <b@example.org>;\r\nSubject: a group first\r\n',
    'From: undisclosed-recipients:;, real@example.org\r\nSubject: an empty group\r\n',
    'From:   Folded\r\n  Name\r\n\t<folded@example.org>\r\nSubject: a\r\n folded\r\n\tsubject\r\n',
    'From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.org>\r\n'
    'Subject: =?UTF-8?B?w6nDqMOg?= and text\r\n',
    'From: first@example.org\r\nFrom: second@example.org\r\nSubject: two From fields\r\n',
    'From: bare@[192.0.2.1]\r\nSubject: a domain literal\r\n',
    'Subject: no From at all\r\n',
]
DATES = ['Date: Mon, 2 Jan 2006 15:04:05 -0700\r\n', '']


def message(i, head):
    date = DATES[0] if i % 3 else DATES[1]
    return ("%s%sMessage-ID: <hdr-%d@tern.test>\r\nTo: t@example.org\r\n\r\nbody %d\r\n"
            % (head, date, i, i)).encode()


# -- a small reader of Dovecot's ENVELOPE (as imaplib hands it over) -------

def flatten(data):
    """imaplib's FETCH data, literals turned back into quoted strings."""
    out = b""
    for part in data:
        if isinstance(part, tuple):
            head, lit = part
            out += re.sub(rb"\{\d+\}$", b"", head)
            out += b'"' + lit.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
        else:
            out += part
    return out


def sexp(b):
    """IMAP lists, quoted strings, NIL and atoms as Python lists/bytes/None."""
    pos = 0

    def item():
        nonlocal pos
        while b[pos:pos + 1] == b" ":
            pos += 1
        c = b[pos:pos + 1]
        if c == b"(":
            pos += 1
            items = []
            while True:
                while b[pos:pos + 1] == b" ":
                    pos += 1
                if b[pos:pos + 1] == b")":
                    pos += 1
                    return items
                items.append(item())
        if c == b'"':
            pos += 1
            s = b""
            while b[pos:pos + 1] != b'"':
                if b[pos:pos + 1] == b"\\":
                    pos += 1
                s += b[pos:pos + 1]
                pos += 1
            pos += 1
            return s
        m = re.compile(rb"[^ ()]+").match(b, pos)
        pos = m.end()
        return None if m.group() == b"NIL" else m.group()
    return item()


def envelope_of(srv, uid):
    c = srv.imap()
    c.select("INBOX", readonly=True)
    typ, data = c.uid("FETCH", str(uid), "(ENVELOPE)")
    c.logout()
    resp = sexp(b"(" + flatten(data).split(b" ", 1)[1] + b")")[0]
    return resp[resp.index(b"ENVELOPE") + 1]


def decode(s):
    return str(email.header.make_header(email.header.decode_header(s)))


def want_from(env):
    """The first real From address as tern formats it: "Name <a@b>"."""
    for name, _adl, mbox, host in env[2] or []:
        if host is None:
            continue  # a group marker
        addr = mbox.decode() + ("@" + host.decode() if host else "")
        if name:
            return "%s <%s>" % (decode(name.decode()), addr)
        return addr
    return None


def main(t):
    srv = ternlib.start_server(t, folders={"INBOX": 0})
    env = ternlib.Env()
    try:
        srv.tern_config(env.config)
        c = srv.imap()
        for i, head in enumerate(HEADERS):
            c.append("INBOX", None, '"01-Jan-2024 12:00:00 +0000"', message(i, head))
        c.logout()
        r = env.tern("--debug", "list", "INBOX", "--json")
        t.eq(r.returncode, 0, "list --json exits 0 (stderr %r)" % r.stderr[:300])
        rows = {m["uid"]: m for m in json.loads(r.stdout)}
        t.eq(sorted(rows), list(range(1, len(HEADERS) + 1)), "every message is listed")
        for uid in sorted(rows):
            e = envelope_of(srv, uid)
            subject = decode(e[1].decode()) if e[1] is not None else None
            got = rows[uid]
            t.eq(got.get("from") or None, want_from(e),
                 "%d: From as Dovecot's ENVELOPE has it (%s)" % (uid, HEADERS[uid - 1][:40]))
            t.eq(got.get("subject") or None, subject, "%d: Subject as ENVELOPE has it" % uid)
            date = email.utils.parsedate_to_datetime(e[0].decode()) if e[0] else None
            want = date.isoformat() if date else "2024-01-01T12:00:00+00:00"
            t.eq(got.get("date"), want, "%d: the Date header (else INTERNALDATE)" % uid)
        log = ""
        for root, _dirs, files in os.walk(env.dir):
            for f in files:
                if f.endswith(".log"):
                    log += open(os.path.join(root, f), errors="replace").read()
        fetches = re.findall(r"C: \S+ UID FETCH 1:\* \(([^\r\n]*)", log)
        t.ok(fetches and all("HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID IN-REPLY-TO "
                             "REFERENCES)" in f and "ENVELOPE" not in f for f in fetches),
             "the summaries ask for the header fields, not ENVELOPE", repr(fetches)[:400])
    finally:
        srv.stop()
        env.cleanup()


if __name__ == "__main__":
    ternlib.run(main)
