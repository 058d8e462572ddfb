#!/usr/bin/env python3
"""Answering several messages at once, bouncing and editing as new, in
tmux against the test Dovecot and a real SMTP server (aiosmtpd).

Covers: ; R on two tagged messages sends one reply whose recipients are
both messages' (each once, never the user's own address), whose body
quotes each original under its own attribution line, with both ids in
In-Reply-To and References, and after which both originals are \\Answered
on the server; ; f answered y attaches each original as message/rfc822 and
flags both $Forwarded, answered n forwards both inline; > bounces a message: the envelope goes to the
address typed only, the bytes are Resent-From/To/Date/Message-ID on top of
the original's bytes exactly; E opens a message as a new one: its
recipients, subject, body and attachment, no In-Reply-To; P with two
messages kept lists them (date, recipients, subject) and Enter resumes the
one chosen, P with one resumes it at once; Tab in the To prompt completes
from the cache's addresses, the most used first, cycles on a second Tab,
completes the word after the last comma, and asks address_book_command
(its hostile lines refused); Tab in the attach prompt completes a path
(~ expanded, a / after a directory, the common part of several)."""
import email
import email.policy
import importlib.util
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


base = _load("tui_base", os.path.join(HERE, "test-tui.py"))
races = _load("tui_races", os.path.join(HERE, "test-tui-races.py"))
compose = _load("tui_compose", os.path.join(HERE, "test-tui-compose.py"))

WAIT = base.WAIT

MSG_A = (b"From: Alice <alice@example.org>\r\n"
         b"To: Tern User <tern@example.org>, bob@example.org\r\n"
         b"Cc: carol@example.org\r\n"
         b"Date: Wed, 02 Jan 2030 12:00:00 +0000\r\n"
         b"Message-ID: <plan-a@example.org>\r\n"
         b"Subject: Plan A\r\n"
         b"MIME-Version: 1.0\r\n"
         b"Content-Type: multipart/mixed; boundary=\"xx\"\r\n\r\n"
         b"--xx\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
         b"Alice's first line.\r\n"
         b"--xx\r\nContent-Type: text/plain; name=notes.txt\r\n"
         b"Content-Disposition: attachment; filename=notes.txt\r\n\r\n"
         b"the notes\r\n"
         b"--xx--\r\n")
MSG_B = (b"From: Bob <bob@example.org>\r\n"
         b"To: tern@example.org, dave@example.org\r\n"
         b"Cc: Alice <alice@example.org>\r\n"
         b"Date: Tue, 01 Jan 2030 12:00:00 +0000\r\n"
         b"Message-ID: <plan-b@example.org>\r\n"
         b"References: <root@example.org>\r\n"
         b"Subject: Plan B\r\n"
         b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
         b"Bob's first line.\r\n")


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    spool = os.path.join(env.dir, "spool")
    port = ternlib.free_port()
    smtpd = ternlib.Smtpd(port, spool)
    try:
        run_tests(t, srv, env, smtpd, port)
    finally:
        smtpd.stop()
        env.cleanup()
        srv.stop()


def addrs(value):
    return sorted(a.addr_spec for a in (value.addresses if value is not None else ()))


def server_raw(srv, mid):
    c = srv.imap()
    try:
        c.select("INBOX", readonly=True)
        typ, data = c.uid("SEARCH", None, "HEADER", "Message-ID", '"%s"' % mid)
        uid = data[0].split()[0]
        typ, data = c.uid("FETCH", uid, "(BODY.PEEK[])")
        return data[0][1]
    finally:
        c.logout()


def run_tests(t, srv, env, smtpd, port):
    config = srv.tern_config(env.config, tls="none", extra=(
        "smtp_host = 127.0.0.1\nsmtp_port = %d\nsmtp_tls = none\nsmtp_auth = none\n"
        "from = Tern User <tern@example.org>\naddress_book_command = %s\n"
        % (port, addrbook_script(env))))
    editor = os.path.join(env.dir, "editor.sh")
    with open(editor, "w") as f:
        f.write(compose.EDITOR)
    os.chmod(editor, 0o755)
    base.append(srv, "INBOX", MSG_A)
    base.append(srv, "INBOX", MSG_B)
    n = len(srv.mailbox["INBOX"]) + 2
    run = compose.Run(env, config, editor)
    try:
        ok, lines = races.wait_loaded(run, n)
        t.ok(ok, "INBOX loaded", "\n".join(lines))
        time.sleep(1)
        check_reply_tagged(t, srv, run, smtpd)
        check_forward_tagged(t, srv, run, smtpd)
        check_bounce(t, srv, run, smtpd)
        check_edit_new(t, srv, run, smtpd)
        check_picker(t, run)
        check_completion(t, run, env)
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "quits with status 0")
        t.eq(run.err(), "", "nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


def sent(t, run, smtpd, before, what):
    run.term.keys("y")
    ok, lines = run.wait_message("Sent:")
    t.ok(ok, "%s: sent" % what, lines[-1])
    ok = base.wait_server(lambda: len(smtpd.messages()) == before + 1)
    t.ok(ok, "%s: the SMTP server got one message" % what)
    env_, raw = smtpd.messages()[-1]
    return env_, raw, email.message_from_bytes(raw, policy=email.policy.default)


def check_reply_tagged(t, srv, run, smtpd):
    before = len(smtpd.messages())
    run.term.keys("g", "t", "t", "\\;", "R")
    ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls))
    t.ok(ok, "; R: one reply to the tagged messages, on the review screen", "\n".join(lines))
    env_, raw, m = sent(t, run, smtpd, before, "; R")
    t.eq(addrs(m["To"]), ["alice@example.org", "bob@example.org"],
         "; R: To is both senders, each once")
    t.eq(addrs(m["Cc"]), ["carol@example.org", "dave@example.org"],
         "; R: Cc is the others, each once, none already in To, not the user")
    t.ok("tern@example.org" not in env_["rcpts"], "; R: the user's own address is not a "
         "recipient", repr(env_))
    t.eq(sorted(env_["rcpts"]), ["alice@example.org", "bob@example.org", "carol@example.org",
                                 "dave@example.org"], "; R: the envelope, each once")
    t.eq(m["In-Reply-To"], "<plan-a@example.org> <plan-b@example.org>",
         "; R: In-Reply-To names both originals")
    refs = m["References"] or ""
    t.ok(all(i in refs for i in ("<plan-a@example.org>", "<plan-b@example.org>",
                                 "<root@example.org>")),
         "; R: References has both and B's own", refs)
    body = m.get_body(preferencelist=("plain",)).get_content()
    t.ok("Alice wrote:" in body and "Bob wrote:" in body,
         "; R: each original under its own attribution line", body)
    t.ok("> Alice's first line." in body and "> Bob's first line." in body,
         "; R: each original quoted", body)
    for mid in ("<plan-a@example.org>", "<plan-b@example.org>"):
        t.ok(base.wait_server(lambda: "\\Answered" in (base.server_flags(srv, "INBOX", mid)
                                                        or set())),
             "; R: %s is \\Answered on the server" % mid)


def check_forward_tagged(t, srv, run, smtpd):
    before = len(smtpd.messages())
    # the tags are still on
    run.term.keys("\\;", "f")
    ok, lines = run.wait_message("as an attachment")
    t.ok(ok, "; f asks inline or attached", lines[-1])
    run.term.keys("y")
    ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls))
    t.ok(ok, "; f: the review screen", "\n".join(lines))
    screen = "\n".join(lines)
    t.ok("message-1.eml" in screen and "message-2.eml" in screen,
         "; f: each original is an attachment", screen)
    run.term.keys("t")
    run.term.text("zed@example.org")
    run.term.keys("Enter")
    run.term.wait(lambda ls: any("zed@example.org" in l for l in ls[:8]))
    env_, raw, m = sent(t, run, smtpd, before, "; f")
    t.eq(env_["rcpts"], ["zed@example.org"], "; f: to the address given")
    t.eq(m["Subject"], "Fwd: Plan A", "; f: the subject is the first one's, Fwd: once")
    parts = [p for p in m.iter_attachments()]
    t.eq([p.get_content_type() for p in parts], ["message/rfc822", "message/rfc822"],
         "; f: two message/rfc822 attachments")
    inner = [p.get_content()["Message-ID"] for p in parts]
    t.eq(inner, ["<plan-a@example.org>", "<plan-b@example.org>"],
         "; f: the originals, in the list's order")
    for mid in ("<plan-a@example.org>", "<plan-b@example.org>"):
        t.ok(base.wait_server(lambda: "$Forwarded" in (base.server_flags(srv, "INBOX", mid)
                                                        or set())),
             "; f: %s is $Forwarded on the server" % mid)
    drafts = os.path.join(run_cache(run), "drafts")
    t.eq(os.listdir(drafts) if os.path.isdir(drafts) else [], [],
         "; f: the attached copies are removed once sent")
    # inline: both originals one after the other in the body
    run.term.keys("\\;", "f")
    run.wait_message("as an attachment")
    run.term.keys("n")
    ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls))
    body = "\n".join(lines)
    t.ok(ok and body.count("Forwarded message") == 2 and "Alice's first line." in body and
         "Bob's first line." in body and "Attach 1" not in body,
         "; f answered n: both forwarded inline, one after the other", body)
    run.term.keys("q")
    run.wait_message("Drop this message")
    run.term.keys("y")
    ok, lines = run.wait_message("Message dropped")
    t.ok(ok, "; f inline: dropped", lines[-1])


def run_cache(run):
    return os.path.join(os.path.dirname(run.stderr), "cache", "tern")


def check_bounce(t, srv, run, smtpd):
    before = len(smtpd.messages())
    run.term.keys("C-t", "g", "j")  # untag all; Plan B
    run.term.keys(">")
    ok, lines = run.wait_message("Bounce the message to:")
    t.ok(ok, "> asks where to bounce the message", lines[-1])
    run.term.text("Zed <zed@example.org>, yann@example.org")
    run.term.keys("Enter")
    ok, lines = run.wait_message("Sent:")
    t.ok(ok, "bounce: sent", lines[-1])
    ok = base.wait_server(lambda: len(smtpd.messages()) == before + 1)
    t.ok(ok, "bounce: the SMTP server got one message")
    env_, raw = smtpd.messages()[-1]
    t.eq(sorted(env_["rcpts"]), ["yann@example.org", "zed@example.org"],
         "bounce: the envelope goes to the addresses typed only")
    t.eq(env_.get("from"), "tern@example.org", "bounce: the envelope sender is the user")
    head, _, rest = raw.partition(b"Resent-Message-ID: ")
    t.ok(head.startswith(b"Resent-From: Tern User <tern@example.org>\r\nResent-To: "),
         "bounce: Resent-From and Resent-To on top", raw[:300])
    t.ok(b"\r\nResent-Date: " in head, "bounce: Resent-Date", raw[:300])
    orig = server_raw(srv, "<plan-b@example.org>")
    t.ok(rest.split(b"\r\n", 1)[1] == orig, "bounce: the original's bytes, unchanged",
         rest[:400])


def check_edit_new(t, srv, run, smtpd):
    before = len(smtpd.messages())
    run.term.keys("g", "E")  # Plan A
    ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls))
    t.ok(ok, "E: the message in the editor, then on the review screen", "\n".join(lines))
    screen = "\n".join(lines)
    t.ok("notes.txt" in screen, "E: its attachment is kept", screen)
    env_, raw, m = sent(t, run, smtpd, before, "E")
    t.eq(addrs(m["To"]), ["bob@example.org", "tern@example.org"], "E: To as in the original")
    t.eq(addrs(m["Cc"]), ["carol@example.org"], "E: Cc as in the original")
    t.eq(m["Subject"], "Plan A", "E: the subject as it was")
    t.eq(m["In-Reply-To"], None, "E: no In-Reply-To")
    body = m.get_body(preferencelist=("plain",)).get_content()
    t.ok("Alice's first line." in body and "Thanks, noted." in body,
         "E: the original's text and what the editor added", body)
    att = [(p.get_filename(), p.get_content()) for p in m.iter_attachments()]
    t.eq(att, [("notes.txt", "the notes")], "E: the attachment, the same content")


def keep(t, run, subject):
    run.term.keys("M")
    ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls))
    t.ok(ok, "M: the review screen (%s)" % subject, "\n".join(lines))
    run.term.keys("s")
    run.term.text(subject)
    run.term.keys("Enter", "t")
    run.term.text("kept@example.org")
    run.term.keys("Enter")
    run.term.wait(lambda ls: any(subject in l for l in ls[:8]))
    run.term.keys("p")
    ok, lines = run.wait_message("P resumes it")
    t.ok(ok, "p keeps %s" % subject, lines[-1])


def check_picker(t, run):
    keep(t, run, "first kept")
    keep(t, run, "second kept")
    run.term.keys("P")
    ok, lines = run.term.wait(lambda ls: any("Messages kept for later" in l for l in ls))
    t.ok(ok, "P with two kept: a list to choose from", "\n".join(lines))
    rows = [l for l in lines if "kept@example.org" in l]
    t.ok(len(rows) == 2 and "second kept" in rows[0] and "first kept" in rows[1],
         "the list: recipients and subject of each, newest first", "\n".join(lines))
    t.ok(all(re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", r) for r in rows),
         "the list: the date of each", "\n".join(rows))
    run.term.keys("j", "Enter")
    ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls))
    t.ok(ok and any("first kept" in l for l in lines[:8]),
         "j Enter resumes the one chosen", "\n".join(lines))
    run.term.keys("q")
    ok, lines = run.wait_message("Message dropped")
    t.ok(ok, "q drops it (nothing changed)", lines[-1])
    run.term.keys("P")
    ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls))
    t.ok(ok and any("second kept" in l for l in lines[:8]),
         "P with one kept resumes it at once", "\n".join(lines))
    run.term.keys("q")
    run.wait_message("Message dropped")


ADDRBOOK = """#!/bin/sh
# mutt's query_command habit: a first line, then address TAB name [TAB other]
echo "Searching for $1..."
printf 'zoe@example.org\\tZoe Zed\\tfriend\\n' | grep -i -- "$1"
printf 'evil@example.org\\tEvil\\033]0;title\\007\\n' | grep -i -- "$1"
printf 'evilbis@example.org, other@example.org\\tEvil Bis\\n' | grep -i -- "$1"
"""


def addrbook_script(env):
    path = os.path.join(env.dir, "addrbook.sh")
    with open(path, "w") as f:
        f.write(ADDRBOOK)
    os.chmod(path, 0o755)
    return path


def prompt_line(run):
    return run.term.screen()[base.HEIGHT - 1]


def check_completion(t, run, env):
    home = env.env["HOME"]
    os.makedirs(os.path.join(home, "docs"))
    for name in ("report-2030.txt", "report-2031.txt"):
        with open(os.path.join(home, "docs", name), "w") as f:
            f.write("report\n")
    run.term.keys("M")
    ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls))
    t.ok(ok, "completion: a new message on the review screen", "\n".join(lines))
    run.term.keys("t")
    run.term.text("bob")
    run.term.keys("Tab")
    ok, lines = run.term.wait(lambda ls: "To: Bob <bob@example.org>" in ls[base.HEIGHT - 1])
    t.ok(ok, "Tab: the cache's match for 'bob', shown with its name",
         "\n".join(lines[-2:]))
    run.term.keys("C-u")
    run.term.text("example.org")
    run.term.keys("Tab")
    ok, lines = run.term.wait(
        lambda ls: "To: Tern User <tern@example.org>" in ls[base.HEIGHT - 1])
    t.ok(ok, "Tab: the most used match first (the fixtures' To)", "\n".join(lines[-2:]))
    note = lines[base.HEIGHT - 2]
    t.ok("[Tern User <tern@example.org>]" in note and 0 < note.find("Alice") < note.find("Bob"), "the others listed above, by use",
         note)
    run.term.keys("Tab")
    ok, lines = run.term.wait(lambda ls: "To: Alice <alice@example.org>" in
                              ls[base.HEIGHT - 1])
    t.ok(ok, "Tab again: the next match", "\n".join(lines[-2:]))
    run.term.keys("C-u")
    run.term.text("alice@example.org, dave@")
    run.term.keys("Tab")
    ok, lines = run.term.wait(
        lambda ls: "To: alice@example.org, dave@example.org" in ls[base.HEIGHT - 1])
    t.ok(ok, "Tab completes the word after the last comma", lines[-1])
    run.term.keys("C-u")
    run.term.text("zo")
    run.term.keys("Tab")
    ok, lines = run.term.wait(lambda ls: "To: Zoe Zed <zoe@example.org>" in ls[base.HEIGHT - 1])
    t.ok(ok, "Tab: address_book_command's answer", lines[-1])
    run.term.keys("C-u")
    run.term.text("evil")
    run.term.keys("Tab")
    ok, lines = run.term.wait(lambda ls: "No address matches" in ls[base.HEIGHT - 2])
    t.ok(ok and "Evil" not in lines[base.HEIGHT - 1] and "title" not in "".join(lines),
         "its lines with a control character or two addresses are refused",
         "\n".join(lines[-2:]))
    run.term.keys("C-u")
    run.term.text("zo")
    run.term.keys("Tab")
    run.term.wait(lambda ls: "Zoe Zed" in ls[base.HEIGHT - 1])
    run.term.keys("Enter")
    ok, lines = run.term.wait(lambda ls: any("zoe@example.org" in l for l in ls[:8]))
    t.ok(ok, "Enter: To is the completed address", "\n".join(lines[:8]))
    run.term.keys("a")
    run.term.text("~/do")
    run.term.keys("Tab")
    ok, lines = run.term.wait(lambda ls: ls[base.HEIGHT - 1].rstrip().endswith("~/docs/"))
    t.ok(ok, "attach: Tab completes a directory, with a /", lines[-1])
    run.term.text("rep")
    run.term.keys("Tab")
    ok, lines = run.term.wait(lambda ls: ls[base.HEIGHT - 1].rstrip().endswith(
        "~/docs/report-203"))
    t.ok(ok, "attach: Tab fills in the common part of two names", lines[-1])
    t.ok("report-2030.txt" in lines[base.HEIGHT - 2] and
         "report-2031.txt" in lines[base.HEIGHT - 2], "and lists them", lines[-2])
    run.term.text("0.txt")
    run.term.keys("Enter")
    ok, lines = run.term.wait(lambda ls: any("report-2030.txt" in l for l in ls[:10]))
    t.ok(ok, "attach: the completed path is attached", "\n".join(lines[:10]))
    run.term.keys("q")
    run.wait_message("Drop this message")
    run.term.keys("y")
    run.wait_message("Message dropped")


if __name__ == "__main__":
    ternlib.run(main)
