#!/usr/bin/env python3
"""The first screen's order from a hostile THREAD answer (issue #16), in
tmux on the scripted fake server (tests/fake/fake-imapd.py), threaded view
on (threading = true), the folder not cached.

  - nesting 10,000 deep: the parser refuses it (its depth cap), the
    connection ends; tern reconnects and loads the folder the usual way
    (FETCH by sequence number), without asking THREAD again;
  - 200,000 one-message threads for a folder of one message (a huge but
    well-formed answer): tern takes the newest threads' UIDs, asks their
    summaries in one UID FETCH, shows what exists, then loads as usual.
The script checks every command (a THREAD on the second connection, or
more than one UID set, would fail it); tern quits with status 0 and no
sanitizer report."""
import importlib.util
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "fetch_fake", os.path.join(ternlib.SRCDIR, "tests", "fake", "test-tui-fetch-fake.py"))
fake = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake)
raw = fake.raw

CAPS = "IMAP4rev1 UIDPLUS THREAD=REFS"
SUBJECT = b"the one message"
UID = 200000


def listing(seq, uid):
    env = (b'("Mon, 1 Jan 2024 12:00:00 +0000" "' + SUBJECT + b'" '
           b'(("Alice" NIL "alice" "example.org")) NIL NIL NIL NIL NIL NIL "<m@x>")')
    return (b'* %d FETCH (UID %d FLAGS (\\Seen) INTERNALDATE "01-Jan-2024 12:00:00 +0000" '
            b"RFC822.SIZE 100 ENVELOPE " % (seq, uid) + env +
            b" BODY[HEADER.FIELDS (REFERENCES)] {2}\r\n\r\n)\r\n")


def login():
    return ("S: * OK [CAPABILITY %s] fake ready\n"
            "C~ \\S+ LOGIN .*\n"
            "S: $TAG OK [CAPABILITY %s] logged in\n" % (CAPS, CAPS))


def select(uidnext):
    return ("C~ \\S+ SELECT INBOX\n"
            "S: * 1 EXISTS\n"
            "S: * OK [UIDVALIDITY 7] ok\n"
            "S: * OK [UIDNEXT %d] ok\n"
            "S: $TAG OK [READ-WRITE] done\n" % uidnext)


def load(uid):
    """The usual load of a one-message folder."""
    return ("C~ \\S+ FETCH 1:\\* \\(UID FLAGS .*\n" + raw(listing(1, uid)) +
            "S: $TAG OK done\n")


def list_only():
    """The folder list, after the first screen..."""
    return ('C~ \\S+ LIST "" "\\*"\n'
            'S: * LIST () "/" INBOX\n'
            "S: $TAG OK done\n")


def status(uid):
    """...and its counts (no LIST-STATUS here)."""
    return ("C~ \\S+ STATUS INBOX .*\n"
            "S: * STATUS INBOX (MESSAGES 1 UNSEEN 0 UIDNEXT %d)\n"
            "S: $TAG OK done\n" % (uid + 1))


def folder_list(uid):
    return list_only() + status(uid)


def deep_script():
    deep = b"* THREAD " + b"(1 " * 10000 + b"(2)(3)" + b")" * 10000 + b"\r\n"
    return (login() + select(4) +
            "C~ \\S+ UID THREAD REFS UTF-8 ALL\n" + raw(deep) +
            "EXPECT_EOF\n"
            "NEXT\n" + login() + select(4) + load(3) + folder_list(3) +
            "EXPECT_EOF\n")


def huge_script():
    huge = b"* THREAD " + b"".join(b"(%d)" % i for i in range(1, UID + 1)) + b"\r\n"
    return (login() + select(UID + 1) +
            "C~ \\S+ UID THREAD REFS UTF-8 ALL\n" + raw(huge) +
            "S: $TAG OK Thread completed\n"
            # the newest threads (the last ones), in one set ending at UID
            "C~ \\S+ UID FETCH \\d+:%d \\(UID FLAGS .*\n" % UID +
            raw(listing(1, UID)) + "S: $TAG OK done\n" +
            # the LIST goes after the first screen, the load with it
            list_only() + load(UID) + status(UID) +
            "EXPECT_EOF\n")


def run_case(t, tmp, name, script):
    s = fake.Session(t, tmp, name, script, "threading = true\n")
    try:
        ok, lines = s.term.wait_text(SUBJECT.decode(), timeout=60)
        t.ok(ok, "%s: the folder's message is shown" % name, "\n".join(lines))
        ok, lines = s.term.wait_text("1 message")
        t.ok(ok, "%s: the folder loaded (1 message)" % name, "\n".join(lines))
        s.finish()
    except BaseException:
        t.diag("screen:\n" + "\n".join(s.term.screen()))
        raise
    finally:
        s.close()


def main(t):
    if not os.path.exists(ternlib.TERN):
        t.skip_all("no tern binary at %s" % ternlib.TERN)
    if shutil.which("tmux") is None:
        raise RuntimeError("tmux is needed for the interface's tests")
    tmp = tempfile.mkdtemp(prefix="tern-order-fake-")
    try:
        run_case(t, tmp, "THREAD 10000 deep", deep_script())
        run_case(t, tmp, "THREAD 200000 threads", huge_script())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    ternlib.run(main)
