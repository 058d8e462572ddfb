#!/usr/bin/env python3
"""tern show FOLDER UID --json against the test Dovecot (issue 19, Smaller).

A message appended for the test has an RFC 2047 subject hiding an ESC and
a bidi override, a folded header, a text part and two attachments (one
inline, one attachment); the JSON must parse, hold every header decoded
and unfolded in order, the text shown, the parts with index, type, size,
filename and disposition, a crypto object saying it is neither signed nor
encrypted — and no raw control byte.
tern(1) must not promise JSON for every command."""
import base64
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

MID = "<show-json-1@tern.test>"
PNG = bytes(range(256)) * 3  # 768 bytes of "image"
ESC_SUBJECT = "Report \x1b[31m red \u202e evil"


def message():
    subj = "=?utf-8?b?%s?=" % base64.b64encode(ESC_SUBJECT.encode()).decode()
    b = "XyZ-boundary"
    return ("From: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\r\n"
            "To: tern@example.org\r\n"
            "Subject: %s\r\n"
            "Date: Wed, 31 Dec 2025 12:00:00 +0000\r\n"
            "Message-ID: %s\r\n"
            "X-Folded: first part\r\n"
            "\tsecond part\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
            "--%s\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "Grüße aus Zürich.\r\nSecond line.\r\n"
            "--%s\r\n"
            "Content-Type: image/png; name=\"pic.png\"\r\n"
            "Content-Disposition: inline; filename=\"pic.png\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n"
            "--%s\r\n"
            "Content-Type: application/pdf\r\n"
            "Content-Disposition: attachment; filename=\"report.pdf\"\r\n\r\n"
            "%%PDF-1.4 not really\r\n"
            "--%s--\r\n"
            % (subj, MID, b, b, b, base64.b64encode(PNG).decode(), b, b)).encode()


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    try:
        srv.tern_config(env.config)
        c = srv.imap()
        try:
            typ, data = c.append("INBOX", None, None, message())
            t.ok(typ == "OK", "the test message is appended", repr(data))
            c.select("INBOX", readonly=True)
            typ, data = c.uid("SEARCH", None, "HEADER", "Message-ID", '"%s"' % MID)
            uid = data[0].split()[-1].decode()
        finally:
            c.logout()
        r = env.tern("show", "INBOX", uid, "--json")
        t.eq(r.returncode, 0, "show --json exits 0 (stderr %r)" % r.stderr[:300])
        bad = [b for b in (b"\x1b", b"\xe2\x80\xae", b"\x00") if b in r.stdout]
        t.ok(not bad, "no raw control bytes in the JSON", repr(bad))
        try:
            doc = json.loads(r.stdout.decode("utf-8"))
        except ValueError as e:
            t.ok(False, "the output is one JSON document", "%s: %r" % (e, r.stdout[:300]))
            return
        t.ok(True, "the output is one JSON document")
        t.eq(doc.get("uid"), int(uid), "uid")
        t.eq(doc.get("folder"), "INBOX", "folder")
        headers = doc.get("headers") or []
        names = [h["name"] for h in headers]
        t.eq(names[:6], ["From", "To", "Subject", "Date", "Message-ID", "X-Folded"],
             "headers: every header, in order")
        hv = {h["name"]: h["value"] for h in headers}
        t.eq(hv.get("Subject"), ESC_SUBJECT, "headers: the subject decoded exactly "
             "(controls escaped by JSON, not replaced)")
        t.eq(hv.get("From"), "Jürgen <j@example.org>", "headers: From decoded")
        t.eq(hv.get("X-Folded"), "first part\tsecond part", "headers: a folded value unfolded")
        text = doc.get("text") or ""
        t.ok("Grüße aus Zürich.\nSecond line.\n" in text, "text: the text part shown",
             repr(text[:200]))
        parts = doc.get("parts")
        t.eq(parts, [
            {"index": 1, "type": "image/png", "size": len(PNG), "filename": "pic.png",
             "disposition": "inline"},
            {"index": 2, "type": "application/pdf", "size": len(b"%PDF-1.4 not really"),
             "filename": "report.pdf", "disposition": "attachment"},
        ], "parts: index, type, size, filename, disposition")
        cr = doc.get("crypto") or {}
        t.ok(cr.get("protocol") is None and cr.get("signature") == "none" and
             cr.get("signed_part") == "none" and cr.get("encrypted") is False and
             cr.get("recipients") == [], "crypto: neither signed nor encrypted", repr(cr))
        # --json with --raw is a usage error
        r = env.tern("show", "INBOX", uid, "--json", "--raw")
        t.eq(r.returncode, 64, "--json with --raw: usage error")
        man = open(os.path.join(ternlib.SRCDIR, "doc", "tern.1"), encoding="utf-8").read()
        t.ok(not re.search(r"every command can print JSON", man),
             "tern(1) does not promise JSON for every command")
        t.ok(re.search(r"show .*\\-\\-json", man) is not None, "tern(1) lists show --json")
    finally:
        srv.stop()
        env.cleanup()


ternlib.run(main)
