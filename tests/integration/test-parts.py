#!/usr/bin/env python3
"""tern parts, tern show --part and tern pipe against the test Dovecot
(issue 14, Command line).

A nested message (alternative text + HTML, a big base64 attachment, an
attached message with its own attachment, and a part whose file name is
hostile: ../, an ESC, a bidi override and 10,000 characters) is appended.
`parts` must list it from BODYSTRUCTURE without fetching the body (the
protocol trace says so), with the numbers `tern save` takes (the same as
`tern show --json`); `show --part` writes a part's bytes decoded; `pipe`
runs a command without a shell, feeds it the message as Dovecot has it
(or the text with --text), stops parsing options at the command and
reports a non-zero status on stderr while exiting 0."""
import base64
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

MID = "<parts-1@tern.test>"
BLOB = bytes((i * 7 + 3) % 256 for i in range(300000))
INNER_PDF = b"%PDF-1.4 inner attachment\n"
HOSTILE = "../../" + "\x1b[31m" + "\u202e" + "x" * 10000 + ".txt"


def rfc2231(value):
    return "utf-8''" + "".join(chr(b) if b < 128 and (chr(b).isalnum() or chr(b) in "-.") else "%%%02X" % b
                               for b in value.encode("utf-8"))


def message():
    outer, alt, inner = "outer-b", "alt-b", "inner-b"
    blob64 = base64.encodebytes(BLOB).decode().replace("\n", "\r\n")
    inner_msg = ("From: inner@example.org\r\n"
                 "Subject: the inner message\r\n"
                 "MIME-Version: 1.0\r\n"
                 "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
                 "--%s\r\n"
                 "Content-Type: text/plain\r\n\r\n"
                 "inner text\r\n"
                 "--%s\r\n"
                 "Content-Type: application/pdf\r\n"
                 "Content-Disposition: attachment; filename=\"inner.pdf\"\r\n\r\n"
                 "%s\r\n"
                 "--%s--\r\n" % (inner, inner, inner, INNER_PDF.decode().rstrip("\n"), inner))
    return ("From: a@example.org\r\n"
            "To: tern@example.org\r\n"
            "Subject: parts\r\n"
            "Date: Wed, 31 Dec 2025 12:00:00 +0000\r\n"
            "Message-ID: %s\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
            "--%s\r\n"
            "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
            "--%s\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            "Gr=C3=BC=C3=9Fe, plain.\r\n"
            "--%s\r\n"
            "Content-Type: text/html; charset=utf-8\r\n\r\n"
            "<p>Gr\u00fc\u00dfe, <b>html</b>.</p>\r\n"
            "--%s--\r\n"
            "--%s\r\n"
            "Content-Type: application/octet-stream; name=\"blob.bin\"\r\n"
            "Content-Disposition: attachment; filename=\"blob.bin\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s"
            "--%s\r\n"
            "Content-Type: message/rfc822\r\n\r\n%s"
            "--%s\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Disposition: attachment; filename*=%s\r\n\r\n"
            "hostile\r\n"
            "--%s--\r\n"
            % (MID, outer, outer, alt, alt, alt, alt, outer, blob64, outer, inner_msg,
               outer, rfc2231(HOSTILE), outer)).encode("utf-8")


class Trace:
    def __init__(self, env):
        self.path = os.path.join(env.dir, "cache", "tern", "tern.log")
        self.pos = os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def new(self):
        if not os.path.exists(self.path):
            return ""
        with open(self.path, errors="replace") as f:
            f.seek(self.pos)
            return f.read()


def test_parts(t, env, uid):
    tr = Trace(env)
    r = env.tern("--debug", "--no-cache", "parts", "INBOX", uid, "--json")
    t.eq(r.returncode, 0, "parts --json exits 0 (stderr %r)" % r.stderr[:300])
    bad = [b for b in (b"\x1b", b"\xe2\x80\xae", b"\x00") if b in r.stdout]
    t.ok(not bad, "parts --json: no raw control bytes", repr(bad))
    try:
        doc = json.loads(r.stdout.decode("utf-8"))
    except ValueError as e:
        t.ok(False, "parts --json is one JSON document", "%s: %r" % (e, r.stdout[:300]))
        return
    got = [(p["part"], p["index"], p["type"], p["disposition"]) for p in doc]
    t.eq(got, [("1.1", None, "text/plain", None),
               ("1.2", None, "text/html", None),
               ("2", 1, "application/octet-stream", "attachment"),
               ("3", 2, "message/rfc822", None),
               ("3.1", None, "text/plain", None),
               ("3.2", 3, "application/pdf", "attachment"),
               ("4", 4, "text/plain", "attachment")],
         "parts: every leaf and the attached message, with section, index, type, "
         "disposition")
    t.eq(doc[2]["filename"], "blob.bin", "parts: a filename")
    t.eq(doc[3]["filename"], None, "parts: no filename is null")
    t.eq(doc[6]["filename"], HOSTILE, "parts: an RFC 2231 name decoded exactly "
         "(../, ESC, bidi, 10,000 characters; escaped by JSON)")
    t.ok(doc[2]["size"] >= len(BLOB) * 4 // 3, "parts: size as the server reports "
         "(the encoded octets)", repr(doc[2]["size"]))
    t.eq(doc[5]["depth"], 1, "parts: nesting inside the attached message")
    trace = tr.new()
    t.ok("BODYSTRUCTURE" in trace, "parts: asked for BODYSTRUCTURE", trace[-500:])
    t.ok(not re.search(r"BODY(\.PEEK)?\[", trace), "parts: no body fetched",
         "\n".join(l for l in trace.splitlines() if "BODY" in l)[:500])
    # the numbers are the ones tern save takes (tern show --json lists the same)
    r = env.tern("--no-cache", "show", "INBOX", uid, "--json")
    shown = [(p["index"], p["type"]) for p in json.loads(r.stdout.decode())["parts"]]
    t.eq(shown, [(p["index"], p["type"]) for p in doc if p["index"] is not None],
         "parts: index and type agree with show --json")
    r = env.tern("--no-cache", "parts", "INBOX", uid)
    t.eq(r.returncode, 0, "parts (plain) exits 0")
    t.ok(b"\x1b" not in r.stdout and b"\xe2\x80\xae" not in r.stdout,
         "parts (plain): the hostile name is sanitised", repr(r.stdout[-200:]))
    t.ok(re.search(rb"^3\.2 +3 +application/pdf", r.stdout, re.M) is not None or
         re.search(rb"^ +3\.2 +3 +application/pdf", r.stdout, re.M) is not None,
         "parts (plain): one line a part", repr(r.stdout[:600]))
    r = env.tern("--no-cache", "parts", "INBOX", "999999")
    t.eq(r.returncode, 69, "parts: no such UID is 69")
    r = env.tern("--no-cache", "parts", "INBOX")
    t.eq(r.returncode, 64, "parts: a missing UID is a usage error")


def test_show_part(t, env, uid):
    tr = Trace(env)
    r = env.tern("--debug", "--no-cache", "show", "INBOX", uid, "--part", "2")
    t.eq(r.returncode, 0, "show --part 2 exits 0 (stderr %r)" % r.stderr[:300])
    t.ok(r.stdout == BLOB, "show --part 2: the attachment's bytes, base64 undone",
         "%d bytes" % len(r.stdout))
    trace = tr.new()
    t.ok("BINARY.PEEK[2]" in trace and "BODY.PEEK[]" not in trace,
         "show --part fetches only that part, by BINARY (Dovecot offers it)")
    r = env.tern("--no-cache", "show", "INBOX", uid, "--part", "1.1")
    t.eq(r.stdout.decode("utf-8", "replace").strip(), "Grüße, plain.",
         "show --part 1.1: quoted-printable undone")
    r = env.tern("--no-cache", "show", "INBOX", uid, "--part", "3.2")
    t.eq(r.stdout.rstrip(b"\r\n"), INNER_PDF.rstrip(b"\n"),
         "show --part 3.2: a part inside the attached message")
    r = env.tern("--no-cache", "show", "INBOX", uid, "--part", "9")
    t.eq(r.returncode, 69, "show --part 9: no such part is 69")
    for bad in ("../1", "1..2", "1.", "HEADER", "1 2"):
        r = env.tern("--no-cache", "show", "INBOX", uid, "--part", bad)
        t.eq(r.returncode, 64, "show --part %r: usage error" % bad)


def test_pipe(t, env, srv, uid):
    c = srv.imap()
    c.select("INBOX", readonly=True)
    typ, data = c.uid("FETCH", uid, "(BODY.PEEK[])")
    c.logout()
    raw = data[0][1]
    out = os.path.join(env.dir, "piped")
    r = env.tern("--no-cache", "pipe", "INBOX", uid, "/bin/sh", "-c",
                 'cat > "$1"; exit 3', "sh", out)
    t.eq(r.returncode, 0, "pipe: exit 0 when the command ran (stderr %r)" % r.stderr[:300])
    t.ok(os.path.exists(out) and open(out, "rb").read() == raw,
         "pipe: the command gets the message as Dovecot has it")
    t.ok(b"status 3" in r.stderr, "pipe: a non-zero status is reported on stderr",
         repr(r.stderr))
    r = env.tern("--no-cache", "pipe", "--text", "INBOX", uid, "/bin/sh", "-c",
                 'cat > "$1"', "sh", out)
    text = open(out, "rb").read().decode("utf-8", "replace")
    t.eq(r.returncode, 0, "pipe --text exits 0")
    t.ok("Grüße, plain." in text and "Subject: parts" in text and "Content-Type" not in text,
         "pipe --text: the decoded text", repr(text[:300]))
    t.eq(r.stderr, b"", "pipe: nothing on stderr when the command succeeds")
    # options stop at COMMAND: --text and --json belong to it
    r = env.tern("--no-cache", "pipe", "INBOX", uid, "/bin/sh", "-c",
                 'printf "%s|" "$@" > "$0"', out, "--text", "--json", "-x")
    t.eq(open(out).read(), "--text|--json|-x|", "pipe: words after COMMAND are its own")
    # no shell: a command word with shell syntax is a file name
    r = env.tern("--no-cache", "pipe", "INBOX", uid, "true; touch %s.sh" % out)
    t.eq(r.returncode, 1, "pipe: a command that cannot run is exit 1")
    t.ok(not os.path.exists(out + ".sh"), "pipe: the command is not given to a shell")
    # a command that does not read its input is fine
    r = env.tern("--no-cache", "pipe", "INBOX", uid, "true")
    t.eq((r.returncode, r.stderr), (0, b""), "pipe: a command that reads nothing")
    r = env.tern("--no-cache", "pipe", "INBOX", uid)
    t.eq(r.returncode, 64, "pipe without COMMAND: usage error")


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
        test_parts(t, env, uid)
        test_show_part(t, env, uid)
        test_pipe(t, env, srv, uid)
    finally:
        srv.stop()
        env.cleanup()


ternlib.run(main)
