#!/usr/bin/env python3
"""The viewer's toolbox (issue 14), in tmux against the test Dovecot.

A message appended for the test (newest, so first in INBOX) is HTML with
numbered links, a header the viewer does not show by default and a word to
find far down. Covers: H shows every header (and back), V the source as
Dovecot has it, sanitised (an ESC in a header shows as ^[); / in the viewer
finds text in the message (not the folder search), n and N go to the next
and previous match; | pipes the message to a command line that records its
stdin (bytes as Dovecot has them), its output shown in the viewer and its
status on the status line; S saves the message as .eml in save_dir
(bytes compared, mode 0600) and asks before overwriting; b opens a link
through a browser that records its argument, and refuses a file: link."""
import base64
import importlib.util
import os
import re
import stat
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
races = _load("tui_races", "test-tui-races.py")
WAIT = base.WAIT
H = base.HEIGHT

MID = "<toolbox-1@tern.test>"
SUBJECT = "Toolbox test message"
FILLER = "".join("<p>filler line %d</p>\r\n" % i for i in range(60))


def message():
    return ("From: Toolbox <toolbox@example.org>\r\n"
            "To: tern@example.org\r\n"
            "Subject: %s\r\n"
            "Date: Thu, 01 Jan 2037 12:00:00 +0000\r\n"
            "Message-ID: %s\r\n"
            "X-Tern-Hidden: hidden-header-value \x1b[31mred\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/html; charset=utf-8\r\n\r\n"
            "<p>Top of the message.</p>\r\n"
            "<p><a href=\"https://example.org/page?a=1&amp;b=2\">the site</a>\r\n"
            "<a href=\"file:///etc/passwd\">a file</a>\r\n"
            "<a href=\"javascript:alert(1)\">a script</a></p>\r\n"
            "%s<p>first needle here</p>\r\n%s<p>second needle here</p>\r\n"
            % (SUBJECT, MID, FILLER, FILLER)).encode()


PARTS_MID = "<toolbox-2@tern.test>"
PARTS_SUBJECT = "Toolbox parts message"
PDF = b"%PDF-1.4 " + bytes(range(256)) * 4


def parts_message(pwned):
    b = "toolbox-b"
    evil = "a'; touch %s; '.pdf" % pwned
    return ("From: Toolbox <toolbox@example.org>\r\n"
            "To: tern@example.org\r\n"
            "Subject: %s\r\n"
            "Date: Wed, 31 Dec 2036 12:00:00 +0000\r\n"
            "Message-ID: %s\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
            "--%s\r\nContent-Type: text/plain\r\n\r\nSee the attachments.\r\n"
            "--%s\r\nContent-Type: application/pdf\r\n"
            "Content-Disposition: attachment; filename=\"%s\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n"
            "--%s\r\nContent-Type: text/plain\r\n"
            "Content-Disposition: attachment; filename=\"../../evil\x1b[31m%s.txt\"\r\n\r\n"
            "evil text\r\n"
            "--%s--\r\n"
            % (PARTS_SUBJECT, PARTS_MID, b, b, b, evil,
               base64.encodebytes(PDF).decode().replace("\n", "\r\n"), b, "x" * 10000, b)
            ).encode()


RECORD = """#!/bin/sh
{ printf 'arg=%%s\\n' "$1"; stat -c 'mode=%%a' "$1"; stat -c 'dir=%%a' "$(dirname "$1")"
  cmp -s "$1" %s && echo same; } > "$0.rec"
echo recorded-by-mailcap
"""

BROWSER = """#!/bin/sh
printf '%s\\n' "$@" >> "$0.args"
"""


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    try:
        run_tests(t, srv, env)
    finally:
        env.cleanup()
        srv.stop()


def screen_has(lines, s):
    return any(s in l for l in lines)


def message_line(lines):
    return lines[H - 1] if len(lines) >= H else ""


def run_tests(t, srv, env):
    c = srv.imap()
    typ, data = c.append("INBOX", None, None, message())
    t.ok(typ == "OK", "the test message is appended", repr(data))
    c.select("INBOX", readonly=True)
    typ, data = c.uid("SEARCH", None, "HEADER", "Message-ID", '"%s"' % MID)
    uid = data[0].split()[-1].decode()
    typ, data = c.uid("FETCH", uid, "(BODY.PEEK[])")
    raw = data[0][1]
    pwned = os.path.join(env.dir, "pwned")
    typ, data = c.append("INBOX", None, None, parts_message(pwned))
    t.ok(typ == "OK", "the parts message is appended", repr(data))
    c.logout()
    expected = os.path.join(env.dir, "expected.pdf")
    with open(expected, "wb") as f:
        f.write(PDF)
    record = os.path.join(env.dir, "record.sh")
    with open(record, "w") as f:
        f.write(RECORD % expected)
    os.chmod(record, 0o755)
    with open(os.path.join(env.env["HOME"], ".mailcap"), "w") as f:
        f.write("# tern test\napplication/pdf; echo WRONG-ENTRY %%s; test=false; copiousoutput\n"
                "application/pdf; %s '%%s'; copiousoutput\n" % record)
    save_dir = os.path.join(env.dir, "saved")
    os.makedirs(save_dir)
    browser = os.path.join(env.dir, "browser.sh")
    with open(browser, "w") as f:
        f.write(BROWSER)
    os.chmod(browser, 0o755)
    config = srv.tern_config(env.config, tls="none")
    with open(config, "a") as f:
        f.write("[ui]\nsave_dir = %s\nbrowser = %s\n" % (save_dir, browser))
    n = len(srv.mailbox["INBOX"]) + 2
    run = races.Run(env, config)
    try:
        ok, lines = races.wait_loaded(run, n)
        t.ok(ok, "INBOX loaded", "\n".join(lines))
        time.sleep(1)
        run.term.keys("g", "Enter")
        ok, lines = run.term.wait(lambda ls: races.viewer_subject(ls) == SUBJECT)
        t.ok(ok, "Enter opens the test message", "\n".join(lines))
        check_headers_source(t, run)
        check_find(t, run)
        check_pipe(t, run, env, raw)
        check_save(t, run, save_dir, raw)
        check_links(t, run, browser)
        check_parts(t, run, save_dir, record, pwned)
        run.term.keys("q")
        ok, lines = run.term.wait(lambda ls: races.viewer_subject(ls) is None)
        t.ok(ok, "q closes the message", "\n".join(lines))
        time.sleep(0.5)
        run.term.keys("q")
        code = run.exit_code()
        t.eq(code, "0", "quits with status 0")
        if code != "0":
            t.diag("screen:\n" + "\n".join(run.term.screen()))
        t.eq(run.err(), "", "nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


def check_headers_source(t, run):
    lines = run.term.screen()
    t.ok(not screen_has(lines, "X-Tern-Hidden"), "the viewer hides X-Tern-Hidden at first")
    run.term.keys("H")
    ok, lines = run.term.wait(lambda ls: screen_has(ls, "X-Tern-Hidden: hidden-header-value"))
    t.ok(ok, "H: every header, X-Tern-Hidden among them", "\n".join(lines))
    t.ok(screen_has(lines, "Message-ID: %s" % MID), "H: the Message-ID too")
    run.term.keys("H")
    ok, lines = run.term.wait(lambda ls: not screen_has(ls, "X-Tern-Hidden") and
                              races.viewer_subject(ls) == SUBJECT)
    t.ok(ok, "H again: back to the text", "\n".join(lines))
    run.term.keys("V")
    ok, lines = run.term.wait(lambda ls: screen_has(ls, "Content-Type: text/html"))
    t.ok(ok, "V: the source", "\n".join(lines))
    t.ok(screen_has(lines, "X-Tern-Hidden: hidden-header-value ^[[31mred") or
         screen_has(lines, "X-Tern-Hidden: hidden-header-value \\x1b[31mred") or
         screen_has(lines, "X-Tern-Hidden: hidden-header-value <ESC>"),
         "V: the ESC in the source is shown visibly, not sent",
         "\n".join(l for l in lines if "Hidden" in l))
    run.term.keys("Escape")
    ok, lines = run.term.wait(lambda ls: not screen_has(ls, "Content-Type: text/html") and
                              races.viewer_subject(ls) == SUBJECT)
    t.ok(ok, "Esc: back from the source to the text", "\n".join(lines))


def check_find(t, run):
    lines = run.term.screen()
    t.ok(not screen_has(lines, "first needle"), "the first needle is below the screen")
    run.term.keys("/")
    ok, lines = run.term.wait(lambda ls: "Find in the message:" in message_line(ls))
    t.ok(ok, "/ in the viewer asks what to find in the message (not a folder search)",
         message_line(lines))
    run.term.text("NEEDLE")
    run.term.keys("Enter")
    ok, lines = run.term.wait(lambda ls: screen_has(ls, "first needle here"))
    t.ok(ok, "/NEEDLE: the viewer scrolls to the first match (case ignored)",
         "\n".join(lines))
    run.term.keys("n")
    ok, lines = run.term.wait(lambda ls: screen_has(ls, "second needle here") and
                              not screen_has(ls, "first needle here"))
    t.ok(ok, "n: the next match", "\n".join(lines))
    t.ok(races.viewer_subject(lines) is None, "n stays in this message (no next unread)")
    run.term.keys("N")
    ok, lines = run.term.wait(lambda ls: screen_has(ls, "first needle here"))
    t.ok(ok, "N: the previous match", "\n".join(lines))
    run.term.keys("Escape")
    time.sleep(0.3)
    run.term.keys("g")
    time.sleep(0.3)


def check_pipe(t, run, env, raw):
    out = os.path.join(env.dir, "piped")
    run.term.keys("|")
    ok, lines = run.term.wait(lambda ls: "Pipe the message to:" in message_line(ls))
    t.ok(ok, "|: asks for a command", message_line(lines))
    run.term.text("cat > %s; echo piped-output-line; exit 3" % out)
    run.term.keys("Enter")
    ok, lines = run.term.wait(lambda ls: "status 3" in message_line(ls))
    t.ok(ok, "|: the exit status on the status line", message_line(lines))
    t.ok(os.path.exists(out) and open(out, "rb").read() == raw,
         "|: the command got the message as Dovecot has it")
    t.ok(screen_has(lines, "piped-output-line"), "|: the output is shown in the viewer",
         "\n".join(lines))
    run.term.keys("q")
    ok, lines = run.term.wait(lambda ls: races.viewer_subject(ls) == SUBJECT)
    t.ok(ok, "q: back from the output to the message", "\n".join(lines))


def check_save(t, run, save_dir, raw):
    run.term.keys("S")
    ok, lines = run.term.wait(lambda ls: "Save to:" in message_line(ls))
    t.ok(ok and save_dir in message_line(lines), "S: offers save_dir", message_line(lines))
    run.term.keys("Enter")
    want = os.path.join(save_dir, SUBJECT + ".eml")
    ok, lines = run.term.wait(lambda ls: "Saved" in message_line(ls))
    t.ok(ok and os.path.exists(want), "S: saved as <subject>.eml in save_dir",
         "%s %r" % (message_line(lines), os.listdir(save_dir)))
    if os.path.exists(want):
        t.ok(open(want, "rb").read() == raw, "S: the bytes are Dovecot's")
        t.eq(stat.S_IMODE(os.stat(want).st_mode), 0o600, "S: the file is 0600")
        with open(want, "wb") as f:
            f.write(b"keep me")
    run.term.keys("S")
    run.term.wait(lambda ls: "Save to:" in message_line(ls))
    run.term.keys("Enter")
    ok, lines = run.term.wait(lambda ls: "exists. Overwrite" in message_line(ls))
    t.ok(ok, "S on an existing file asks first", message_line(lines))
    run.term.keys("n")
    time.sleep(0.5)
    t.eq(open(want, "rb").read() if os.path.exists(want) else None, b"keep me",
         "S: answering no keeps the file")


def check_links(t, run, browser):
    args = browser + ".args"
    run.term.keys("b")
    ok, lines = run.term.wait(lambda ls: "Open link (1-2)" in message_line(ls))
    t.ok(ok, "b: asks which of the 2 links (javascript: is never numbered)",
         message_line(lines))
    run.term.text("1")
    run.term.keys("Enter")
    deadline = time.time() + WAIT
    while time.time() < deadline and not os.path.exists(args):
        time.sleep(0.05)
    got = open(args).read() if os.path.exists(args) else None
    t.eq(got, "https://example.org/page?a=1&b=2\n",
         "b 1: the browser gets the URL shown, as one argument")
    run.term.keys("b")
    run.term.wait(lambda ls: "Open link" in message_line(ls))
    run.term.text("2")
    run.term.keys("Enter")
    ok, lines = run.term.wait(lambda ls: "not opened" in message_line(ls))
    t.ok(ok, "b 2: a file: link is refused", message_line(lines))
    time.sleep(0.5)
    t.eq(open(args).read() if os.path.exists(args) else None,
         "https://example.org/page?a=1&b=2\n", "b 2: the browser was not run")


def check_parts(t, run, save_dir, record, pwned):
    run.term.keys("q")
    run.term.wait(lambda ls: races.viewer_subject(ls) is None)
    time.sleep(0.3)
    run.term.keys("j")
    time.sleep(0.3)
    run.term.keys("Enter")
    ok, lines = run.term.wait(lambda ls: races.viewer_subject(ls) == PARTS_SUBJECT)
    t.ok(ok, "the parts message opens", "\n".join(lines))
    run.term.keys("v")
    # the viewer's own attachment lines say "application/pdf" too: wait for
    # the list's row (number, two spaces, type), not for the type alone
    ok, lines = run.term.wait(lambda ls: screen_has(ls, " 1  application/pdf"))
    t.ok(ok, "v: the list of parts, with their types", "\n".join(lines))
    t.ok(screen_has(lines, " 1  application/pdf") and screen_has(lines, " 2  text/plain"),
         "v: numbered as tern save numbers them", "\n".join(lines))
    t.ok(not any("\x1b" in l for l in lines), "v: the hostile name is shown sanitised")
    run.term.keys("o")
    ok, lines = run.term.wait(lambda ls: screen_has(ls, "recorded-by-mailcap"))
    t.ok(ok, "o: the mailcap entry's copiousoutput is shown in the viewer", "\n".join(lines))
    t.ok(not screen_has(lines, "WRONG-ENTRY"), "o: an entry whose test fails is skipped")
    rec = open(record + ".rec").read() if os.path.exists(record + ".rec") else ""
    m = re.search(r"^arg=(.*)$", rec, re.M)
    arg = m.group(1) if m else ""
    t.ok(re.fullmatch(r"/[A-Za-z0-9._/-]+\.pdf", arg) is not None,
         "o: %s is a path tern built of [A-Za-z0-9._/-]", repr(rec))
    t.ok("mode=600" in rec and "dir=700" in rec, "o: the file is 0600 in a 0700 directory",
         repr(rec))
    t.ok("same" in rec, "o: the file holds the part's decoded bytes", repr(rec))
    t.ok(not os.path.exists(pwned), "o: the file name could not break out of %s")
    run.term.keys("q")
    ok, lines = run.term.wait(lambda ls: screen_has(ls, "Parts ("))
    t.ok(ok, "q: from the output back to the parts list", "\n".join(lines))
    run.term.keys("j")
    time.sleep(0.3)
    run.term.keys("s")
    ok, lines = run.term.wait(lambda ls: "Save to:" in message_line(ls))
    t.ok(ok, "s: asks where to save the part (save_dir/its safe name)", message_line(lines))
    run.term.keys("Enter")
    ok, lines = run.term.wait(lambda ls: "Saved" in message_line(ls))
    names = os.listdir(save_dir)
    evil = [nm for nm in names if nm.startswith("evil")]
    t.ok(ok and len(evil) == 1, "s: the part saved in save_dir under a safe name",
         "%s %r" % (message_line(lines), names))
    if evil:
        t.ok("\x1b" not in evil[0] and "/" not in evil[0] and len(evil[0].encode()) <= 255,
             "s: no ESC, no directory, a name a file system takes", repr(evil[0][:80]))
        t.eq(open(os.path.join(save_dir, evil[0]), "rb").read(), b"evil text",
             "s: the part's bytes")
    t.ok(not os.path.exists(os.path.join(os.path.dirname(save_dir), "evil")),
         "s: nothing written outside save_dir")
    run.term.keys("q")
    ok, lines = run.term.wait(lambda ls: races.viewer_subject(ls) == PARTS_SUBJECT)
    t.ok(ok, "q: the parts list closes, the message is shown", "\n".join(lines))


ternlib.run(main)
