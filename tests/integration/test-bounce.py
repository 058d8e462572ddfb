#!/usr/bin/env python3
"""tern bounce: a message redirected unchanged, against a real Dovecot and a
real SMTP server (aiosmtpd on 127.0.0.1).

Covers: the envelope goes from the user to the --to addresses (repeated
option, each once) and to no one else (not the original's To or Cc); the
bytes are Resent-From, Resent-To, Resent-Date and Resent-Message-ID on top
of the original's bytes exactly as the server holds them; --json names the
Resent-Message-ID; no copy goes to Sent; a bad address is a usage error
(64) and nothing is sent or queued; without --to it is a usage error."""
import email
import email.policy
import json
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

ORIGINAL = (b"From: Alice Example <alice@example.org>\r\n"
            b"To: Test User <me@example.net>, bob@example.org\r\n"
            b"Cc: carol@example.org\r\n"
            b"Bcc: hidden@example.org\r\n"
            b"Subject: =?utf-8?q?caf=C3=A9?= plans\r\n"
            b"Date: Wed, 31 Jan 2024 12:00:00 +0000\r\n"
            b"Message-ID: <bounce-1@example.org>\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            b"See you there.\r\n.\r\n..dots stay\r\n")


def imap(srv, folder, fn):
    c = srv.imap()
    try:
        c.select(folder, readonly=True)
        return fn(c)
    finally:
        c.logout()


def uid_of(c, mid):
    typ, data = c.uid("SEARCH", "HEADER", "Message-ID", mid)
    return data[0].split()


def main(t):
    srv = ternlib.start_server(t, folders={"INBOX": 2, "Sent": 0})
    env = ternlib.Env()
    spool = os.path.join(env.dir, "spool")
    port = ternlib.free_port()
    smtpd = ternlib.Smtpd(port, spool)
    try:
        c = srv.imap()
        c.append("INBOX", None, None, ORIGINAL)
        c.logout()
        uid = imap(srv, "INBOX", lambda c: uid_of(c, "<bounce-1@example.org>"))[0].decode()
        orig = imap(srv, "INBOX", lambda c: c.uid("FETCH", uid, "(BODY.PEEK[])")[1][0][1])
        srv.tern_config(env.config, extra=(
            "smtp_host = 127.0.0.1\nsmtp_port = %d\nsmtp_tls = none\nsmtp_auth = none\n"
            "from = Test User <me@example.net>\n" % port))
        check_bounce(t, srv, env, smtpd, uid, orig)
        check_refused(t, env, smtpd, uid)
    finally:
        smtpd.stop()
        srv.stop()
        env.cleanup()


def check_bounce(t, srv, env, smtpd, uid, orig):
    r = env.tern("bounce", "INBOX", uid, "--to", "Zed <zed@example.org>", "--json",
                 "--to=yann@example.org, zed@example.org")
    t.eq(r.returncode, 0, "bounce exits 0 (%s)" % r.stderr.decode())
    out = json.loads(r.stdout.decode() or "{}")
    t.eq(out.get("status"), "sent", "--json: sent")
    msgs = smtpd.messages()
    t.eq(len(msgs), 1, "the SMTP server got one message")
    if not msgs:
        return
    env_, raw = msgs[0]
    t.eq(env_["from"], "me@example.net", "the envelope sender is the user")
    t.eq(sorted(env_["rcpts"]), ["yann@example.org", "zed@example.org"],
         "the envelope goes to the --to addresses, each once, no one else")
    head, sep, rest = raw.partition(b"Resent-Message-ID: ")
    t.ok(head.startswith(b"Resent-From: Test User <me@example.net>\r\n"
                         b"Resent-To: Zed <zed@example.org>, yann@example.org\r\n"
                         b"Resent-Date: "), "the Resent- fields on top", raw[:300])
    mid, _, body = rest.partition(b"\r\n")
    t.eq(mid.decode(), out.get("message_id"), "--json names the Resent-Message-ID")
    t.ok(body == orig, "the original's bytes follow, unchanged", body[:300])
    m = email.message_from_bytes(raw, policy=email.policy.default)
    t.eq(m["Message-ID"], "<bounce-1@example.org>", "the original's Message-ID stays")
    sent = imap(srv, "Sent", lambda c: c.uid("SEARCH", "ALL")[1][0].split())
    t.eq(sent, [], "no copy in Sent")
    t.eq(json.loads(env.tern("outbox", "--json").stdout.decode()), [], "the outbox is empty")


def check_refused(t, env, smtpd, uid):
    before = len(smtpd.messages())
    r = env.tern("bounce", "INBOX", uid, "--to", "not an address")
    t.eq(r.returncode, 64, "a bad address: usage error")
    t.ok(b"not an e-mail address" in r.stderr, "says which", r.stderr.decode())
    r = env.tern("bounce", "INBOX", uid)
    t.eq(r.returncode, 64, "no --to: usage error")
    t.eq(len(smtpd.messages()), before, "nothing sent")
    t.eq(json.loads(env.tern("outbox", "--json").stdout.decode()), [], "nothing queued")


if __name__ == "__main__":
    ternlib.run(main)
