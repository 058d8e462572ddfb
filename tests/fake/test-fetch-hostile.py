#!/usr/bin/env python3
"""Fetching parts from a hostile server (issue 14), on the scripted fake.

What the viewer, `tern show --part`, `tern save` and a reply rely on when
they fetch parts instead of whole messages: a BODYSTRUCTURE that lies about
a part's size (bigger or smaller than what comes: what came is what is
written), a section the message does not have (asked of tern, or answered
NIL by the server), nesting past the bounds (a protocol error, exit 76,
memory bounded), a BINARY literal8 bigger than the body bound (refused
before it is read), a BODYSTRUCTURE the server leaves out (a reply falls
back to the whole message) and a text part longer than announced (the
reply quotes it all), and a NO [UNKNOWN-CTE] to BINARY (BODY.PEEK
instead, decoded by tern). Each case also checks what every hostile case
checks: no sanitizer report, no hang, the fake server saw exactly the
commands its script expects (e.g. BINARY.PEEK, and one UID FETCH for the
header and the text parts)."""
import importlib.util
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402

spec = importlib.util.spec_from_file_location("hostile", os.path.join(HERE, "test-hostile.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)

CAPS = "IMAP4rev1 UIDPLUS MOVE BINARY"
TEXT = b"The text of the message.\r\n"


def structure(text_size=len(TEXT), att_size=10, extra=b""):
    return (b'(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" %d 1)'
            b'("APPLICATION" "OCTET-STREAM" ("NAME" "a.bin") NIL NIL "BASE64" %d)%s "MIXED")'
            % (text_size, att_size, extra))


def structure_fetch(body):
    return (h.raw(b"* 1 FETCH (UID 1 BODYSTRUCTURE " + body + b")\r\n") +
            "S: $TAG OK done\n")


ASK_STRUCTURE = "C~ \\S+ UID FETCH 1 \\(UID BODYSTRUCTURE\\)\n"
ASK_SHOWN = "C~ \\S+ UID FETCH 1 \\(UID BODYSTRUCTURE BODY\\.PEEK\\[HEADER\\]\\)\n"
ASK_TEXT = "C~ \\S+ UID FETCH 1 \\(UID BODY\\.PEEK\\[1\\.MIME\\] BODY\\.PEEK\\[1\\]\\)\n"
ASK_BINARY = "C~ \\S+ UID FETCH 1 \\(UID BINARY\\.PEEK\\[2\\]\\)\n"
HEADER = (b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: parts\r\n"
          b"Date: Mon, 1 Jan 2024 12:00:00 +0000\r\nMessage-ID: <m@x>\r\nMIME-Version: 1.0\r\n"
          b"Content-Type: multipart/mixed; boundary=b\r\n\r\n")


def binary_answer(data):
    return (h.raw(b"* 1 FETCH (UID 1 BINARY[2] ~{%d}\r\n" % len(data) + data + b")\r\n") +
            "S: $TAG OK done\n")


def message_case(t, tmp, name, script, argv, rc, conf, check):
    """h.case for a command that prints a message (CRLF is its line end)."""
    c = h.Case(t, tmp, name)
    try:
        r = c.run(script, argv, conf=conf)
        h.clean_run(t, name, r, rc=rc)
        h.no_raw(t, name, r.out.replace(b"\r\n", b"\n"), "stdout")
        h.no_raw(t, name, r.err, "stderr")
        check(r)
    finally:
        c.done()


def main(t):
    tmp = tempfile.mkdtemp(prefix="tern-fetch-hostile-")
    try:
        base = h.baseline_rss(t, tmp)
        sizes(t, tmp)
        sections(t, tmp)
        unknown_cte(t, tmp)
        bounds(t, tmp, base)
        replies(t, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def show_part(t, tmp, name, announced, came):
    script = (h.prelude(CAPS) + h.select() + ASK_STRUCTURE +
              structure_fetch(structure(att_size=announced)) + ASK_BINARY +
              binary_answer(came) + h.LOGOUT)

    def exact(r):
        t.ok(r.out == came, "%s: what came is what is written (%d bytes)" % (name, len(came)),
             "got %d bytes" % len(r.out))
    h.case(t, tmp, name, script, ["show", "INBOX", "1", "--part", "2"], h.EX_OK, check=exact)


def sizes(t, tmp):
    data = bytes(range(32, 127)) * 50  # printable: the case checks stdout for controls
    show_part(t, tmp, "a part bigger than its BODYSTRUCTURE says", 10, data)
    show_part(t, tmp, "a part smaller than its BODYSTRUCTURE says", 10 ** 9, b"seven b")


def unknown_cte(t, tmp):
    data = bytes(range(32, 127)) * 3
    import base64
    enc = base64.encodebytes(data).replace(b"\n", b"\r\n")
    script = (h.prelude(CAPS) + h.select() + ASK_STRUCTURE + structure_fetch(structure()) +
              ASK_BINARY + "S: $TAG NO [UNKNOWN-CTE] cannot decode that\n" +
              "C~ \\S+ UID FETCH 1 \\(UID BODY\\.PEEK\\[2\\]\\)\n" +
              h.raw(b"* 1 FETCH (UID 1 BODY[2] " + h.lit(enc) + b")\r\n") +
              "S: $TAG OK done\n" + h.LOGOUT)

    def decoded(r):
        t.ok(r.out == data, "NO to BINARY: BODY.PEEK instead, decoded by tern", r.out[:200])
    h.case(t, tmp, "BINARY refused with UNKNOWN-CTE", script,
           ["show", "INBOX", "1", "--part", "2"], h.EX_OK, check=decoded)


def sections(t, tmp):
    script = h.prelude(CAPS) + h.select() + ASK_STRUCTURE + structure_fetch(structure()) + h.LOGOUT

    def said(r):
        t.ok(b"no part 5" in r.err, "a section the message lacks: said so", r.err)
    h.case(t, tmp, "tern show --part 5 of a message of two parts", script,
           ["show", "INBOX", "1", "--part", "5"], (h.EX_NO, h.EX_UNAVAILABLE), check=said)
    script = (h.prelude(CAPS) + h.select() + ASK_STRUCTURE + structure_fetch(structure()) +
              ASK_BINARY + h.raw(b"* 1 FETCH (UID 1 BINARY[2] NIL)\r\n") +
              "S: $TAG OK done\n" + h.LOGOUT)

    def said2(r):
        t.ok(b"no part 2" in r.err and r.out == b"", "the server sends NIL: said so, nothing "
             "written", r.err)
    h.case(t, tmp, "the server answers NIL for a listed part", script,
           ["show", "INBOX", "1", "--part", "2"], (h.EX_NO, h.EX_UNAVAILABLE), check=said2)


def bounds(t, tmp, base):
    deep = b'"TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1'
    for _ in range(40):
        deep = b"(" + deep + b' "MIXED")'
    script = h.prelude(CAPS) + h.select() + ASK_STRUCTURE + structure_fetch(deep) + "EXPECT_EOF\n"
    h.case(t, tmp, "BODYSTRUCTURE nested 40 deep (bound 32)", script,
           ["parts", "INBOX", "1"], h.EX_PROTOCOL, base=base)
    many = b"".join(b'("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1)' for _ in range(6000))
    script = (h.prelude(CAPS) + h.select() + ASK_STRUCTURE +
              structure_fetch(b"(" + many + b' "MIXED")') + "EXPECT_EOF\n")
    h.case(t, tmp, "BODYSTRUCTURE of 6,000 parts (bound 5,000)", script,
           ["parts", "INBOX", "1"], h.EX_PROTOCOL, base=base)
    script = (h.prelude(CAPS) + h.select() + ASK_STRUCTURE + structure_fetch(structure()) +
              ASK_BINARY + h.raw(b"* 1 FETCH (UID 1 BINARY[2] ~{100000000}\r\n") +
              "SEND_BYTES 65536\nEXPECT_EOF\n")
    h.case(t, tmp, "a BINARY literal8 of 100 MB (bound 64 MiB)", script,
           ["show", "INBOX", "1", "--part", "2"], h.EX_PROTOCOL, base=base, server_ok=None)


def replies(t, tmp):
    conf = {"from": "Bob <bob@example.org>"}
    msg = HEADER.replace(b"multipart/mixed; boundary=b", b"text/plain") + TEXT
    script = (h.prelude(CAPS) + h.select() + ASK_SHOWN +
              h.raw(b"* 1 FETCH (UID 1 BODY[HEADER] " + h.lit(HEADER) + b")\r\n") +
              "S: $TAG OK done\n" +
              "C~ \\S+ UID FETCH 1 \\(UID BODY\\.PEEK\\[\\]\\)\n" +
              h.raw(h.body_fetch(1, msg)) + "S: $TAG OK done\n" + h.LOGOUT)

    def quoted(r):
        t.ok(b"> The text of the message." in r.out,
             "no BODYSTRUCTURE: the whole message is fetched and quoted", r.out[-500:])
    message_case(t, tmp, "a reply when the server leaves BODYSTRUCTURE out", script,
                 ["reply", "INBOX", "1", "--print"], h.EX_OK, conf, quoted)
    long_text = b"".join(b"line %d of a text longer than announced\r\n" % i for i in range(300))
    script = (h.prelude(CAPS) + h.select() + ASK_SHOWN +
              h.raw(b"* 1 FETCH (UID 1 BODYSTRUCTURE " + structure(text_size=5, att_size=10 ** 8) +
                    b" BODY[HEADER] " + h.lit(HEADER) + b")\r\n") +
              "S: $TAG OK done\n" + ASK_TEXT +
              h.raw(b"* 1 FETCH (UID 1 BODY[1.MIME] " +
                    h.lit(b"Content-Type: text/plain; charset=utf-8\r\n\r\n") +
                    b" BODY[1] " + h.lit(long_text) + b")\r\n") +
              "S: $TAG OK done\n" + h.LOGOUT)

    def quoted_all(r):
        t.ok(b"> line 0 of" in r.out and b"> line 299 of" in r.out,
             "a reply quotes the text part, all of what came", r.out[-300:])
    message_case(t, tmp, "a reply to a message whose 100 MB attachment stays on the server",
                 script, ["reply", "INBOX", "1", "--print"], h.EX_OK, conf, quoted_all)


if __name__ == "__main__":
    ternlib.run(main)
