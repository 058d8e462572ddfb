#!/usr/bin/env python3
"""Answering mail in the interface, in tmux against the test Dovecot and a
real SMTP server (aiosmtpd, started by the test on 127.0.0.1).

Covers: r on a message runs $EDITOR (a script that writes a line) on a
headers-on-top file, the review screen shows the recipients, y sends: the
message arrives with In-Reply-To, References and the quoted original, the
copy is in Sent and the original is \\Answered (checked from a second IMAP
connection); M then q after writing asks before dropping; p keeps a message,
a new start says so and P resumes it, t changes To on the review screen;
with the SMTP server down the message waits in the outbox (the status line
says so) and the next start sends it, once."""
import email
import email.policy
import importlib.util
import os
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

WAIT = base.WAIT
EDITOR = """#!/bin/sh
# the user's editor: writes one line at the end of the file
printf '%s\\n' "${TERN_TEST_LINE:-Thanks, noted.}" >> "$1"
"""


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    spool = os.path.join(env.dir, "spool")
    port = send.free_port()
    STATE["smtpd"] = send.Smtpd(port, spool)
    try:
        run_tests(t, srv, env, STATE["smtpd"], port, spool)
    finally:
        STATE["smtpd"].stop()
        env.cleanup()
        srv.stop()


class Run(races.Run):
    def __init__(self, env, config, editor):
        env.env["EDITOR"] = editor
        env.env.pop("VISUAL", None)
        super().__init__(env, config)

    def message_line(self):
        return self.term.screen()[base.HEIGHT - 1]

    def wait_message(self, text, timeout=WAIT):
        return self.term.wait(lambda ls: text in ls[base.HEIGHT - 1], timeout)


def sent_copy(srv, mid):
    c = srv.imap()
    c.select("Sent", readonly=True)
    typ, data = c.uid("SEARCH", "HEADER", "Message-ID", mid)
    c.logout()
    return len(data[0].split())


def run_tests(t, srv, env, smtpd, port, spool):
    config = srv.tern_config(env.config, tls="none", extra=(
        "smtp_host = 127.0.0.1\nsmtp_port = %d\nsmtp_tls = none\nsmtp_auth = none\n"
        "from = Tern User <tern@example.org>\n" % port))
    editor = os.path.join(env.dir, "editor.sh")
    with open(editor, "w") as f:
        f.write(EDITOR)
    os.chmod(editor, 0o755)
    inbox = base.newest_first(list(srv.mailbox["INBOX"]))
    check_reply(t, srv, env, config, editor, inbox, spool, smtpd)
    check_abort_postpone_resume(t, srv, env, config, editor, spool)
    check_outbox(t, srv, env, config, editor, inbox, port, spool)


def check_reply(t, srv, env, config, editor, inbox, spool, smtpd):
    orig = inbox[0]
    run = Run(env, config, editor)
    try:
        ok, lines = races.wait_loaded(run, len(inbox))
        t.ok(ok, "reply: INBOX loaded", "\n".join(lines))
        time.sleep(1)
        run.term.keys("g", "r")
        ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls))
        t.ok(ok, "r: after the editor, the review screen", "\n".join(lines))
        screen = "\n".join(lines)
        t.ok(orig.from_addr in screen, "review: To is the original's sender (%s)"
             % orig.from_addr, screen)
        t.ok("Tern User <tern@example.org>" in screen, "review: From is the account's", screen)
        t.ok("Thanks, noted." in screen, "review: the editor's line is in the body", screen)
        run.term.keys("y")
        ok, lines = run.wait_message("Sent:")
        t.ok(ok, "y: the message line says it was sent", lines[-1])
        msgs = smtpd.messages()
        t.eq(len(msgs), 1, "the SMTP server got one message")
        if msgs:
            env_, raw = msgs[0]
            m = email.message_from_bytes(raw, policy=email.policy.default)
            t.eq(m["In-Reply-To"], orig.message_id, "In-Reply-To is the original's Message-ID")
            t.ok(orig.message_id in (m["References"] or ""), "References names the original")
            body = m.get_body(preferencelist=("plain",)).get_content()
            t.ok("Thanks, noted." in body, "the body has what the editor wrote", body)
            t.ok("\n> " in body, "the body quotes the original", body)
            t.ok(env_["rcpts"] == [orig.from_addr], "the envelope goes to the sender only",
                 repr(env_))
            mid = m["Message-ID"]
            t.ok(base.wait_server(lambda: sent_copy(srv, mid) == 1),
                 "the copy is in Sent (once)")
        t.ok(base.wait_server(lambda: "\\Answered" in base.server_flags(
            srv, "INBOX", orig.message_id)), "the original is \\Answered on the server")
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "reply: quits with status 0")
        t.eq(run.err(), "", "reply: nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


def drafts(env):
    d = os.path.join(env.dir, "cache", "tern", "drafts")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def check_abort_postpone_resume(t, srv, env, config, editor, spool):
    run = Run(env, config, editor)
    try:
        ok, lines = run.term.wait(lambda ls: "messages" in ls[base.HEIGHT - 2])
        time.sleep(1)
        run.term.keys("M")
        ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls))
        t.ok(ok, "M: a new message, reviewed after the editor", "\n".join(lines))
        t.eq(len(drafts(env)), 1, "the message being written is a file under the cache")
        run.term.keys("q")
        ok, lines = run.wait_message("Drop this message")
        t.ok(ok, "q after writing asks before dropping", lines[-1])
        run.term.keys("y")
        ok, lines = run.wait_message("Message dropped")
        t.ok(ok, "y drops it", lines[-1])
        t.eq(drafts(env), [], "and its file is gone")
        run.term.keys("M")
        run.term.wait(lambda ls: any("Review:" in l for l in ls))
        run.term.keys("p")
        ok, lines = run.wait_message("P resumes it")
        t.ok(ok, "p keeps the message for later", lines[-1])
        t.eq(len(drafts(env)), 1, "its file stays")
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "postpone: quits with status 0")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()
    run = Run(env, config, editor)
    try:
        ok, lines = run.wait_message("unfinished message is kept")
        t.ok(ok, "a new start says a message is kept", lines[-1])
        time.sleep(1)
        run.term.keys("P")
        ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls))
        t.ok(ok, "P resumes it on the review screen", "\n".join(lines))
        run.term.keys("t")
        run.term.text("bob@example.org")
        run.term.keys("Enter")
        ok, lines = run.term.wait(lambda ls: any("bob@example.org" in l for l in ls[:8]))
        t.ok(ok, "t changes To on the review screen", "\n".join(lines))
        run.term.keys("t")
        run.term.keys("C-u")
        run.term.text("not an address")
        run.term.keys("Enter")
        ok, lines = run.wait_message("not an e-mail address")
        t.ok(ok, "a bad address is refused with a clear error", lines[-1])
        n = len(STATE["smtpd"].messages())
        run.term.keys("y")
        ok, lines = run.wait_message("Sent:")
        t.ok(ok, "the resumed message is sent", lines[-1])
        msgs = STATE["smtpd"].messages()
        t.ok(len(msgs) == n + 1 and msgs[-1][0]["rcpts"] == ["bob@example.org"],
             "it went to the To set on the review screen",
             repr([m[0] for m in msgs]))
        t.eq(drafts(env), [], "the kept file is gone once sent")
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "resume: quits with status 0")
        t.eq(run.err(), "", "resume: nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


def check_outbox(t, srv, env, config, editor, inbox, port, spool):
    before = len(STATE["smtpd"].messages())
    # the SMTP server is down: nothing listens on the port
    run = Run(env, config, editor)
    try:
        ok, lines = races.wait_loaded(run, len(inbox))
        time.sleep(1)
        return_server = stop_smtp(port)
        run.term.keys("g", "j", "r")
        run.term.wait(lambda ls: any("Review:" in l for l in ls))
        run.term.keys("y")
        ok, lines = run.wait_message("waits in the outbox")
        t.ok(ok, "SMTP down: the message waits in the outbox", lines[-1])
        ok, lines = run.term.wait(lambda ls: "1 message waiting to be sent" in
                                  ls[base.HEIGHT - 2])
        t.ok(ok, "the status line counts it", lines[base.HEIGHT - 2])
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "outbox: quits with status 0")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()
    smtpd = return_server()
    run = Run(env, config, editor)
    try:
        ok, lines = run.wait_message("Sent:")
        t.ok(ok, "the next start sends what waited", lines[-1])
        time.sleep(1)
        msgs = smtpd.messages()
        t.eq(len(msgs), before + 1, "delivered once")
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "outbox flush: quits with status 0")
        t.eq(run.err(), "", "outbox flush: nothing on stderr")
    finally:
        run.kill()


def stop_smtp(port):
    """Stop the module's SMTP server; return a function that starts it again
    on the same port and spool."""
    srv = STATE["smtpd"]
    srv.stop()

    def again():
        s = send.Smtpd(port, srv.spool)
        STATE["smtpd"] = s
        return s
    return again


STATE = {}


if __name__ == "__main__":
    ternlib.run(main)
