#!/usr/bin/env python3
"""kill -9 during a real send (tern compose --body-file, SMTP by libcurl to
aiosmtpd on 127.0.0.1, the IMAP side on the test Dovecot).

Covers: tern killed while the server holds its answer to the final "."
(the message is in the server's hands): the next run lists it as
"may have been sent" (maybe_sent), and neither that run nor the ones after
send it again; tern killed while the server holds its answer to RCPT
(before DATA): the next command that logs in sends it, exactly once, and
the outbox is empty afterwards."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

WAIT = 60


def config(srv, env, port):
    srv.tern_config(env.config, extra=(
        "smtp_host = 127.0.0.1\nsmtp_port = %d\nsmtp_tls = none\nsmtp_auth = none\n"
        "from = Test User <me@example.net>\n" % port))


def outbox(env):
    return json.loads(env.tern("outbox", "--json").stdout.decode() or "[]")


def delivered(smtpd, marker):
    return len([d for e, d in smtpd.messages() if marker in d])


def send_and_kill(t, env, spool, body, what):
    """Start a send, wait for the server to hold it, kill -9 tern."""
    p = subprocess.Popen([ternlib.TERN, "-c", env.config, "compose", "--to",
                          "kill@example.org", "--subject", what, "--body-file", "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=env.env)
    p.stdin.write(body)
    p.stdin.close()
    held = os.path.join(spool, "held")
    deadline = time.time() + WAIT
    while time.time() < deadline and not os.path.exists(held) and p.poll() is None:
        time.sleep(0.05)
    t.ok(os.path.exists(held), "%s: the server holds the send" % what)
    p.send_signal(signal.SIGKILL)
    p.wait()
    t.eq(p.returncode, -signal.SIGKILL, "%s: tern was killed (-9)" % what)
    os.unlink(held)


def check_after_dot(t, srv, env, spool):
    port = ternlib.free_port()
    config(srv, env, port)
    smtpd = ternlib.Smtpd(port, spool, "hold-data")
    try:
        send_and_kill(t, env, spool, b"after-dot body\n", "after the dot")
    finally:
        smtpd.stop()
    smtpd = ternlib.Smtpd(port, spool)
    try:
        t.eq(delivered(smtpd, b"after-dot body"), 1, "after the dot: the server has it once")
        box = outbox(env)
        t.ok(len(box) == 1 and box[0]["status"] == "maybe_sent",
             "after the dot: the next run lists it as may have been sent", str(box))
        for _ in range(2):
            r = env.tern("folders")
            t.eq(r.returncode, 0, "after the dot: a command that logs in succeeds")
        t.eq(delivered(smtpd, b"after-dot body"), 1, "after the dot: never sent again")
        box = outbox(env)
        t.ok(len(box) == 1 and box[0]["status"] == "maybe_sent",
             "after the dot: still held for the user", str(box))
        if box:
            env.tern("outbox", "drop", box[0]["message_id"])
    finally:
        smtpd.stop()


def check_before_data(t, srv, env, spool):
    port = ternlib.free_port()
    config(srv, env, port)
    smtpd = ternlib.Smtpd(port, spool, "hold-rcpt")
    try:
        send_and_kill(t, env, spool, b"before-data body\n", "before DATA")
    finally:
        smtpd.stop()
    smtpd = ternlib.Smtpd(port, spool)
    try:
        t.eq(delivered(smtpd, b"before-data body"), 0, "before DATA: nothing was delivered")
        box = outbox(env)
        t.ok(len(box) == 1 and box[0]["status"] == "queued",
             "before DATA: the next run lists it as queued", str(box))
        r = env.tern("folders")
        t.eq(r.returncode, 0, "before DATA: the next command that logs in succeeds")
        r = env.tern("folders")
        t.eq(delivered(smtpd, b"before-data body"), 1, "before DATA: sent, exactly once")
        t.eq(outbox(env), [], "before DATA: the outbox is empty")
    finally:
        smtpd.stop()


def main(t):
    srv = ternlib.start_server(t, folders={"INBOX": 2, "Sent": 0})
    env = ternlib.Env()
    try:
        check_after_dot(t, srv, env, os.path.join(env.dir, "spool-dot"))
        check_before_data(t, srv, env, os.path.join(env.dir, "spool-rcpt"))
    finally:
        srv.stop()
        env.cleanup()


if __name__ == "__main__":
    ternlib.run(main)
