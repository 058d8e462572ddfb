#!/usr/bin/env python3
"""Hostile PREVIEW answers (RFC 8970, issue 16) on the scripted fake, through
`tern list INBOX --json` (which asks PREVIEW without LAZY).

A 100 KB preview (RFC 8970 allows 256 characters: cut there, memory
bounded), a preview full of control characters, line ends, a C1 control
and a bidi override (dropped; the text kept on one line), and a preview
for a UID the list never asked about (not listed, its text nowhere).
Each case also checks what every hostile case checks: no sanitizer
report, no hang, no raw control byte on stdout or stderr, the server saw
exactly the commands its script expects (PREVIEW among the items)."""
import importlib.util
import json
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

CAPS = "IMAP4rev1 UIDPLUS MOVE PREVIEW"
ASK = "C~ \\S+ UID FETCH 1:\\* \\(UID FLAGS .*HEADER\\.FIELDS .* PREVIEW\\)\n"


def listing(*fetches):
    return (h.prelude(CAPS) + h.select() + ASK + "".join(h.raw(f) for f in fetches) +
            "S: $TAG OK done\n" + h.LOGOUT)


def previews(t, name, r):
    try:
        rows = json.loads(r.out)
    except ValueError:
        t.ok(False, "%s: the output is JSON" % name, r.out[:500])
        return []
    return rows


def main(t):
    tmp = tempfile.mkdtemp(prefix="tern-preview-hostile-")
    try:
        base = h.baseline_rss(t, tmp)
        argv = ["list", "INBOX", "--json"]

        big = b"\xc3\xa9" * 50000  # 100 KB of "é"

        def cut(r):
            rows = previews(t, "a 100 KB preview", r)
            pv = rows[0].get("preview") if len(rows) == 1 else None
            t.ok(pv == "\u00e9" * 256, "a 100 KB preview: cut at 256 characters",
                 repr(pv)[:200])
        h.case(t, tmp, "a 100 KB preview",
               listing(h.fetch(1, 1, extra=b" PREVIEW " + h.lit(big))), argv, h.EX_OK,
               base=base, check=cut)

        evil = b"a\x1b[31mb\x07\r\n\tc\xc2\x9bd\xe2\x80\xaee\x00f\x7fg\xffh"

        def clean(r):
            rows = previews(t, "control characters", r)
            pv = rows[0].get("preview") if len(rows) == 1 else None
            t.eq(pv, "a[31mb cdefg\ufffdh",
                 "controls, C1, bidi, NUL dropped; line ends one space; bad UTF-8 U+FFFD")
        h.case(t, tmp, "control characters in a preview",
               listing(h.fetch(1, 1, extra=b" PREVIEW " + h.lit(evil))), argv, h.EX_OK,
               check=clean)

        def only_asked(r):
            rows = previews(t, "a UID not asked", r)
            t.eq([(x.get("uid"), x.get("preview")) for x in rows], [(1, "mine")],
                 "a preview for a UID not asked: dropped")
            t.ok(b"stolen" not in r.out, "its text is nowhere in the output")
        h.case(t, tmp, "a preview for a UID not asked",
               listing(b'* 7 FETCH (UID 77 PREVIEW "stolen")\r\n',
                       h.fetch(1, 1, extra=b' PREVIEW "mine"'),
                       b'* 1 FETCH (UID 1 PREVIEW "stolen")\r\n'), argv, h.EX_OK,
               check=only_asked)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


ternlib.run(main)
