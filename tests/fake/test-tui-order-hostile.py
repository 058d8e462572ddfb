#!/usr/bin/env python3
"""The first screen's order from a hostile THREAD answer (issue #16), in
tmux on the scripted fake server (tests/fake/fake-imapd.py), threaded view
on (threading = true), the folder not cached.

  - nesting 10,000 deep: the parser refuses it (its depth cap), the
    connection ends; tern reconnects and loads the folder the usual way
    (FETCH by sequence number), without asking THREAD again;
  - 200,000 one-message threads for a folder of one message (a huge but
    well-formed answer): tern takes the newest threads' UIDs and asks
    their summaries in one UID FETCH.
In both the newest screenful by sequence number is asked for first, so
that a server slow to thread never leaves the screen empty.
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


def listing(seq, uid, flags=b"\\Seen"):
    env = (b'("Mon, 1 Jan 2024 12:00:00 +0000" "' + SUBJECT + b'" '
           b'(("Alice" NIL "alice" "example.org")) NIL NIL NIL NIL NIL NIL "<m@x>")')
    return (b'* %d FETCH (UID %d FLAGS (%s) INTERNALDATE "01-Jan-2024 12:00:00 +0000" '
            b"RFC822.SIZE 100 ENVELOPE " % (seq, uid, flags) + env +
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
    # the newest screenful first (here the whole folder), then THREAD
    return (login() + select(4) + load(3) +
            "C~ \\S+ UID THREAD REFS UTF-8 ALL\n" + raw(deep) +
            "EXPECT_EOF\n"
            # the list holds the message now: the flags are brought up
            # to date, flagged here so that the screen shows it
            "NEXT\n" + login() + select(4) +
            "C~ \\S+ UID FETCH 1:\\* \\(UID FLAGS\\)\n" +
            raw(b"* 1 FETCH (UID 3 FLAGS (\\Seen \\Flagged))\r\n") + "S: $TAG OK done\n" +
            folder_list(3) +
            "EXPECT_EOF\n")


def huge_script():
    huge = b"* THREAD " + b"".join(b"(%d)" % i for i in range(1, UID + 1)) + b"\r\n"
    # the newest screenful first (the folder's one message), then
    # THREAD; the LIST, asked once that screen was drawn, goes before the
    # summaries of the newest threads (in one set ending at UID)
    return (login() + select(UID + 1) + load(UID) +
            "C~ \\S+ UID THREAD REFS UTF-8 ALL\n" + raw(huge) +
            "S: $TAG OK Thread completed\n" + list_only() +
            "C~ \\S+ UID FETCH \\d+:%d \\(UID FLAGS .*\n" % UID +
            # flagged here: the screen shows when this answer is in
            raw(listing(1, UID, b"\\Seen \\Flagged")) + "S: $TAG OK done\n" + status(UID) +
            "EXPECT_EOF\n")


def run_case(t, tmp, name, script, done):
    """done(lines): the screen shows the script has run its course."""
    s = fake.Session(t, tmp, name, script, "threading = true\n")
    try:
        ok, lines = s.term.wait_text(SUBJECT.decode(), timeout=60)
        t.ok(ok, "%s: the folder's message is shown" % name, "\n".join(lines))
        ok, lines = s.term.wait(done, timeout=60)
        t.ok(ok, "%s: the order's answer came and went" % name, "\n".join(lines))
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
        # the THREAD answer cost the connection: tern says it is back
        flagged = lambda ls: any(re.search(r"│..F .*" + SUBJECT.decode(), l) for l in ls)
        # the THREAD answer cost the connection; the next one flags it
        run_case(t, tmp, "THREAD 10000 deep", deep_script(), flagged)
        # the newest threads' summaries: the message is flagged in them
        run_case(t, tmp, "THREAD 200000 threads", huge_script(), flagged)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    ternlib.run(main)
