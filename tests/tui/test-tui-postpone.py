#!/usr/bin/env python3
"""Postponing to the Drafts folder, in tmux against the test Dovecot and a
real SMTP server (aiosmtpd on 127.0.0.1): p on the review screen keeps the
file under the cache as before and also APPENDs the message, \\Draft, to the
\\Drafts special-use folder (checked from a second IMAP connection); P
resumes it and y sends it, and then exactly that copy is removed from Drafts
(UID STORE \\Deleted + UID EXPUNGE of its UID: the folder's other draft
stays). With nothing kept under the cache, P fetches the newest message of
the Drafts folder (one another program put there) onto the review screen,
and sending it removes it there too."""
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
send = _load("cli_send", os.path.join(HERE, "..", "integration", "test-send.py"))
compose = _load("tui_compose", os.path.join(HERE, "test-tui-compose.py"))

SUBJECT = "postponed on the server"
EDITOR = """#!/bin/sh
sed -i -e 's/^To: $/To: dave@example.org/' -e 's/^Subject: $/Subject: %s/' "$1"
printf 'draft body\\n' >> "$1"
""" % SUBJECT


def drafts_on_server(srv):
    """(UIDs of every message in Drafts, {uid: flags} of ours)."""
    c = srv.imap()
    try:
        c.select("Drafts", readonly=True)
        typ, data = c.uid("SEARCH", "ALL")
        every = [int(u) for u in data[0].split()]
        typ, data = c.uid("SEARCH", "SUBJECT", '"%s"' % SUBJECT)
        ours = {}
        for u in data[0].split():
            typ, f = c.uid("FETCH", u, "(FLAGS)")
            ours[int(u)] = set(re.search(rb"FLAGS \(([^)]*)\)", f[0]).group(1).decode().split())
        return every, ours
    finally:
        c.logout()


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    spool = os.path.join(env.dir, "spool")
    port = send.free_port()
    smtpd = send.Smtpd(port, spool)
    try:
        config = srv.tern_config(env.config, tls="none", extra=(
            "smtp_host = 127.0.0.1\nsmtp_port = %d\nsmtp_tls = none\nsmtp_auth = none\n"
            "from = Tern User <tern@example.org>\n" % port))
        editor = os.path.join(env.dir, "editor.sh")
        with open(editor, "w") as f:
            f.write(EDITOR)
        os.chmod(editor, 0o755)
        check(t, srv, env, config, editor, smtpd)
    finally:
        smtpd.stop()
        env.cleanup()
        srv.stop()


FOREIGN = (b"From: Tern User <tern@example.org>\r\n"
           b"To: Erin <erin@example.org>\r\n"
           b"Subject: written elsewhere\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
           b"begun on the phone\r\n")


def check_foreign(t, srv, env, run, smtpd, before):
    c = srv.imap()
    c.append("Drafts", "(\\Draft)", None, FOREIGN)
    c.logout()
    t.eq(compose.drafts(env), [], "nothing kept under the cache")
    run.term.keys("P")
    ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls) and
                              any("written elsewhere" in l for l in ls))
    t.ok(ok and any("erin@example.org" in l for l in lines),
         "P: the newest message of Drafts on the review screen", "\n".join(lines))
    run.term.keys("y")
    ok = base.wait_server(lambda: any(b"begun on the phone" in m[1]
                                      for m in smtpd.messages()))
    t.ok(ok, "y: it is sent")
    ok = base.wait_server(lambda: drafts_on_server(srv)[0] == before)
    t.ok(ok, "and removed from Drafts (the other draft stays)",
         repr(drafts_on_server(srv)))


def check(t, srv, env, config, editor, smtpd):
    before, _ = drafts_on_server(srv)
    run = compose.Run(env, config, editor)
    try:
        ok, lines = run.term.wait(lambda ls: "messages" in ls[base.HEIGHT - 2])
        time.sleep(1)
        run.term.keys("M")
        ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls))
        t.ok(ok, "M: the review screen", "\n".join(lines))
        run.term.keys("p")
        ok, lines = run.wait_message("in Drafts")
        t.ok(ok, "p: the message line says it is in Drafts", lines[-1])
        every, ours = drafts_on_server(srv)
        t.ok(len(ours) == 1 and "\\Draft" in list(ours.values())[0],
             "p: the message is in Drafts with \\Draft (second connection)", repr(ours))
        files = compose.drafts(env)
        t.eq(len(files), 1, "p: the file under the cache stays")
        if files:
            text = open(os.path.join(env.dir, "cache", "tern", "drafts", files[0])).read()
            t.ok("\nX-Tern-Postponed: " in text, "the file notes where its copy is", text)
        run.term.keys("P")
        ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls))
        t.ok(ok and any(SUBJECT in l for l in lines), "P resumes it", "\n".join(lines))
        run.term.keys("y")
        ok, lines = run.wait_message("Sent:")
        t.ok(ok, "y sends it", lines[-1])
        msgs = [m for m in smtpd.messages() if SUBJECT.encode() in m[1]]
        t.eq(len(msgs), 1, "the SMTP server got it once")
        if msgs:
            m = email.message_from_bytes(msgs[0][1], policy=email.policy.default)
            t.ok("X-Tern-Postponed" not in m, "the note is not transmitted")
        ok = base.wait_server(lambda: drafts_on_server(srv)[1] == {})
        t.ok(ok, "sent: its copy is removed from Drafts", repr(drafts_on_server(srv)))
        t.eq(drafts_on_server(srv)[0], before, "and exactly that one: the other draft stays")
        check_foreign(t, srv, env, run, smtpd, before)
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "quits with status 0")
        t.eq(run.err(), "", "nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


if __name__ == "__main__":
    ternlib.run(main)
