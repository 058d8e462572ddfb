#!/usr/bin/env python3
"""Copy, mark the folder read, and copy a link (issue 14's leftovers), in
tmux against the test Dovecot.

Covers: C copies the current message to a folder through the move prompt
(Tab completes the name): a second IMAP connection finds it in both
folders, and the destination's unread count in the folder pane follows;
; C copies the tagged messages. C-r marks INBOX read at once on screen
with one UID STORE 1:N +FLAGS.SILENT (\\Seen) in the protocol trace (no
command per message), the server agrees, and z gives back exactly the
messages that were unread. y in the links prompt (b) writes
ESC ] 52 ; c ; base64(URL) BEL to the terminal when osc52 = true (seen in
a pipe-pane recording, and in tmux's buffer with set-clipboard on), and
nothing of it when osc52 is off. Offline (--offline), C and C-r are
queued in the journal and the next start sends them. Each run quits with
status 0 and nothing on stderr."""
import base64
import importlib.util
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


base = _load("tui_base", "test-tui.py")
cache = _load("tui_cache", "test-tui-cache.py")
WAIT = base.WAIT
H = base.HEIGHT

LINK_MID = "<copy-link@tern.test>"
LINK_SUBJECT = "Copy test with a link"
URL = "https://example.org/copy?x=1&y=2"
PLAIN_MID = "<copy-plain@tern.test>"
PLAIN_SUBJECT = "Copy test plain"


def link_message():
    return ("From: Copier <copy@example.org>\r\n"
            "To: tern@example.org\r\n"
            "Subject: %s\r\n"
            "Date: Thu, 01 Jan 2037 12:00:00 +0000\r\n"
            "Message-ID: %s\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/html; charset=utf-8\r\n\r\n"
            "<p>Read <a href=\"%s\">the page</a>.</p>\r\n"
            % (LINK_SUBJECT, LINK_MID, URL.replace("&", "&amp;"))).encode()


def plain_message():
    return ("From: Copier <copy@example.org>\r\n"
            "To: tern@example.org\r\n"
            "Subject: %s\r\n"
            "Date: Wed, 31 Dec 2036 12:00:00 +0000\r\n"
            "Message-ID: %s\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "Plain text.\r\n" % (PLAIN_SUBJECT, PLAIN_MID)).encode()


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    try:
        run_tests(t, srv, env)
    finally:
        env.cleanup()
        srv.stop()


def message_line(lines):
    return lines[H - 1] if len(lines) >= H else ""


def status_line(lines):
    return lines[H - 2] if len(lines) >= H else ""


def unseen(srv, folder="INBOX"):
    """The UIDs of folder without \\Seen, as the server says."""
    c = srv.imap()
    try:
        c.select(base.imaplib_quote(folder), readonly=True)
        typ, data = c.uid("SEARCH", None, "UNSEEN")
        return sorted(int(u) for u in data[0].split()) if data and data[0] else []
    finally:
        c.logout()


def pane_count(lines, folder):
    """The unread count the folder pane shows beside folder (0: none)."""
    for l in lines[:H - 2]:
        left = l.split("│", 1)[0]
        m = re.match(r"^\s*[ +-]%s\s*(\d*)\s*$" % re.escape(folder), left)
        if m:
            return int(m.group(1) or 0)
    return None


def run_tests(t, srv, env):
    base.append(srv, "INBOX", link_message())
    base.append(srv, "INBOX", plain_message())
    # a message of INBOX that is not \Seen, so mark-read has work
    t.ok(len(unseen(srv)) >= 2, "INBOX has unread messages", repr(unseen(srv)))
    n = len(srv.mailbox["INBOX"]) + 2
    on = srv.tern_config(env.config, tls="none")
    with open(on, "a") as f:
        f.write("[ui]\nosc52 = true\n")
    off = srv.tern_config(os.path.join(env.dir, "config-off"), tls="none")
    log = os.path.join(env.dir, "cache", "tern", "tern.log")

    run = cache.Run(env, on, "--debug")
    try:
        run.term.run("set-option", "-s", "set-clipboard", "on")
        ok, lines = run.term.wait(lambda ls: base.count_label(n) in status_line(ls))
        t.ok(ok, "INBOX loaded", "\n".join(lines))
        time.sleep(1)
        check_copy(t, srv, run)
        check_copy_tagged(t, srv, run)
        check_osc52(t, run, env, True)
        check_mark_read(t, srv, run, log)
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.quit(t, "online")

    before = unseen(srv)
    run = cache.Run(env, off, "--offline")
    try:
        ok, lines = run.term.wait(lambda ls: cache.BANNER in status_line(ls) and
                                  "unread" in status_line(ls))
        t.ok(ok, "offline: opens on the cache, with unread messages", "\n".join(lines))
        check_osc52(t, run, env, False)
        check_offline(t, run)
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.quit(t, "offline")
    rows = cache.journal(env)
    t.eq([(r[0], r[1], r[3]) for r in rows], [(4, "INBOX", "Junk"), (1, "INBOX", "\\Seen")],
         "offline: the journal holds the copy, then the flag change")
    t.eq(cache.copies(srv, "Junk", LINK_MID), 0, "offline: nothing copied meanwhile")
    t.eq(unseen(srv), before, "offline: nothing marked read meanwhile")

    run = cache.Run(env, off)
    try:
        ok, lines = run.term.wait_text("Sent 2 queued changes.")
        t.ok(ok, "replay: the next start sends the 2 queued changes", "\n".join(lines))
        t.ok(base.wait_server(lambda: cache.copies(srv, "Junk", LINK_MID) == 1),
             "replay: the message is in Junk")
        t.eq(cache.copies(srv, "INBOX", LINK_MID), 1, "replay: and still in INBOX")
        t.ok(base.wait_server(lambda: unseen(srv) == []), "replay: INBOX is read",
             repr(unseen(srv)))
        t.eq(cache.journal(env), [], "replay: the journal is empty")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.quit(t, "replay")


def check_copy(t, srv, run):
    archived = unseen(srv, "Archive")
    run.term.keys("g")
    time.sleep(0.3)
    run.term.keys("C")
    ok, lines = run.term.wait(lambda ls: "Copy 1 message to:" in message_line(ls))
    t.ok(ok, "C: asks where to copy the message", message_line(lines))
    run.term.text("Archi")
    run.term.keys("Tab")
    ok, lines = run.term.wait(lambda ls: "Copy 1 message to: Archive" in message_line(ls))
    t.ok(ok, "C: Tab completes the folder name", message_line(lines))
    run.term.keys("Enter")
    ok, lines = run.term.wait(lambda ls: "Copied 1 message to Archive." in message_line(ls))
    t.ok(ok, "C: says it copied", message_line(lines))
    t.eq(cache.copies(srv, "Archive", LINK_MID), 1, "C: the message is in Archive")
    t.eq(cache.copies(srv, "INBOX", LINK_MID), 1, "C: and still in INBOX")
    want = len(archived) + 1
    ok, lines = run.term.wait(lambda ls: pane_count(ls, "Archive") == want)
    t.ok(ok, "C: the folder pane shows Archive's new unread count (%d)" % want,
         "\n".join(l.split("│", 1)[0] for l in lines))
    t.ok(LINK_SUBJECT[:15] in "\n".join(lines[:H - 2]), "C: the message stays in the list")


def check_copy_tagged(t, srv, run):
    run.term.keys("g")
    time.sleep(0.3)
    run.term.keys("t")
    time.sleep(0.2)
    run.term.keys("t")
    ok, lines = run.term.wait(lambda ls: "2 tagged" in status_line(ls))
    t.ok(ok, "t t: two messages tagged", status_line(lines))
    run.term.keys("\\;")
    time.sleep(0.2)
    run.term.keys("C")
    ok, lines = run.term.wait(lambda ls: "Copy 2 messages to:" in message_line(ls))
    t.ok(ok, "; C: asks where to copy the 2 tagged messages", message_line(lines))
    run.term.text("Projects")
    run.term.keys("Enter")
    ok, lines = run.term.wait(lambda ls: "Copied 2 messages to Projects." in message_line(ls))
    t.ok(ok, "; C: says it copied 2", message_line(lines))
    t.eq((cache.copies(srv, "Projects", LINK_MID), cache.copies(srv, "Projects", PLAIN_MID)),
         (1, 1), "; C: both are in Projects")
    run.term.keys("C-t")
    run.term.wait(lambda ls: "tagged" not in status_line(ls))


def viewer_open(lines):
    """The viewer shows a message: its Subject header line."""
    return any(l.strip().startswith("Subject: ") or "│ Subject: " in l for l in lines)


def check_osc52(t, run, env, enabled):
    what = "osc52 on" if enabled else "osc52 off"
    rec = os.path.join(env.dir, "pane-%s.out" % ("on" if enabled else "off"))
    run.term.run("pipe-pane", "-o", "cat >> %s" % base.shell_quote(rec))
    run.term.keys("g")
    time.sleep(0.3)
    run.term.keys("Enter")
    # the viewer's header, not only the text: the list's preview column
    # shows "the page" too
    ok, lines = run.term.wait(lambda ls: viewer_open(ls) and any("the page" in l for l in ls))
    t.ok(ok, "%s: the message with a link opens" % what, "\n".join(lines))
    run.term.keys("b")
    ok, lines = run.term.wait(lambda ls: "Open link (1-1" in message_line(ls))
    t.ok(ok, "%s: b asks which link" % what, message_line(lines))
    t.eq("y and its number copies" in message_line(lines), enabled,
         "%s: the prompt says y copies only when it can" % what)
    run.term.text("y1")
    run.term.keys("Enter")
    if enabled:
        ok, lines = run.term.wait(lambda ls: "Copied link 1" in message_line(ls))
        t.ok(ok, "%s: y1 copies link 1" % what, message_line(lines))
    else:
        ok, lines = run.term.wait(lambda ls: "osc52 = true" in message_line(ls))
        t.ok(ok, "%s: y1 says copying needs osc52 = true" % what, message_line(lines))
    time.sleep(0.5)
    run.term.run("pipe-pane")  # stop recording
    data = open(rec, "rb").read() if os.path.exists(rec) else b""
    seq = b"\x1b]52;c;" + base64.b64encode(URL.encode()) + b"\x07"
    if enabled:
        t.ok(seq in data, "%s: ESC ] 52 ; c ; base64(URL) BEL reached the terminal" % what,
             repr(data[-300:]))
        got = run.term.run("show-buffer", check=False)
        t.eq(got, URL, "%s: tmux (set-clipboard on) has the URL in its buffer" % what)
    else:
        t.ok(len(data) > 0 and b"]52;" not in data,
             "%s: no OSC 52 reached the terminal" % what, repr(data[-300:]))
    run.term.keys("q")
    run.term.wait(lambda ls: not viewer_open(ls))
    time.sleep(0.3)


def store_lines(trace):
    return [l for l in trace.splitlines() if re.search(r"C: \S+ UID STORE ", l)]


def check_mark_read(t, srv, run, log):
    was = unseen(srv)
    t.ok(len(was) > 0, "C-r: INBOX has unread messages first", repr(was))
    ok, lines = run.term.wait(lambda ls: ", %d unread" % len(was) in status_line(ls))
    t.ok(ok, "C-r: the status line counts %d unread" % len(was), status_line(lines))
    mark = os.path.getsize(log)
    run.term.keys("C-r")
    ok, lines = run.term.wait(lambda ls: "unread" not in status_line(ls) and
                              "read (z takes it back)" in message_line(ls))
    t.ok(ok, "C-r: no unread message left on screen, at once", "\n".join(lines[H - 2:]))
    t.ok(not any(re.search(r"│[ *]N", l) for l in lines[:H - 2]),
         "C-r: no row shows N", "\n".join(lines))
    t.ok(base.wait_server(lambda: unseen(srv) == []), "C-r: the server has INBOX read",
         repr(unseen(srv)))
    time.sleep(0.5)
    with open(log, errors="replace") as f:
        f.seek(mark)
        stores = store_lines(f.read())
    t.eq(len(stores), 1, "C-r: one UID STORE command for the whole folder")
    t.ok(stores and re.search(r"UID STORE 1:\d+ \+FLAGS\.SILENT \(\\Seen\)", stores[0]),
         "C-r: it is UID STORE 1:N +FLAGS.SILENT (\\Seen)", repr(stores))
    run.term.keys("z")
    ok, lines = run.term.wait(lambda ls: ", %d unread" % len(was) in status_line(ls))
    t.ok(ok, "z: the %d messages are unread again on screen" % len(was), status_line(lines))
    t.ok(base.wait_server(lambda: unseen(srv) == was),
         "z: the server has exactly those unread again", "%r %r" % (unseen(srv), was))


def check_offline(t, run):
    run.term.keys("g")
    time.sleep(0.3)
    run.term.keys("C")
    ok, lines = run.term.wait(lambda ls: "Copy 1 message to:" in message_line(ls))
    t.ok(ok, "offline C: asks where to copy", message_line(lines))
    run.term.text("Junk")
    run.term.keys("Enter")
    ok, lines = run.term.wait(lambda ls: "queued" in message_line(ls))
    t.ok(ok, "offline C: the copy is queued", message_line(lines))
    run.term.keys("C-r")
    ok, lines = run.term.wait(lambda ls: "unread" not in status_line(ls) and
                              "2 changes queued" in status_line(ls))
    t.ok(ok, "offline C-r: queued, and no unread message left on screen",
         "\n".join(lines[H - 2:]))


if __name__ == "__main__":
    ternlib.run(main)
