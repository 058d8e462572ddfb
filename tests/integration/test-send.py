#!/usr/bin/env python3
"""Sending, against a real Dovecot and a real SMTP server (aiosmtpd, run
with /usr/bin/python3 on 127.0.0.1): reply and reply-all drafts (headers and
quoted body), forward inline and attached; `tern send` reaches the SMTP
server with Bcc stripped, the Sent copy is appended (Bcc kept) and the
original is \\Answered, checked from a second IMAP connection; with the SMTP
server down the message is queued (exit 74) and the next command that logs
in sends it, exactly once; a send interrupted after DATA is held as "may
have been sent" and never resent by itself; a bad address is a clear error
and nothing is lost or queued."""
import email
import email.policy
import json
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

ORIGINAL = (b"From: Alice Example <alice@example.org>\r\n"
            b"To: Test User <me@example.net>, bob@example.org\r\n"
            b"Cc: carol@example.org, alt@example.net\r\n"
            b"Subject: lunch on friday\r\n"
            b"Date: Wed, 31 Jan 2024 12:00:00 +0000\r\n"
            b"Message-ID: <orig-1@example.org>\r\n"
            b"References: <root-1@example.org>\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
            b"Shall we meet at noon?\r\n")


free_port = ternlib.free_port
Smtpd = ternlib.Smtpd


def imap_uid(srv, folder, mid):
    c = srv.imap()
    c.select(folder, readonly=True)
    typ, data = c.uid("SEARCH", "HEADER", "Message-ID", mid)
    c.logout()
    uids = data[0].split()
    return int(uids[0]) if uids else None, len(uids)


def imap_flags(srv, folder, uid):
    c = srv.imap()
    c.select(folder, readonly=True)
    typ, data = c.uid("FETCH", str(uid), "(FLAGS)")
    c.logout()
    return set(re.search(rb"FLAGS \(([^)]*)\)", data[0]).group(1).decode().split())


def imap_fetch(srv, folder, uid):
    c = srv.imap()
    c.select(folder, readonly=True)
    typ, data = c.uid("FETCH", str(uid), "(BODY.PEEK[])")
    c.logout()
    return data[0][1]


def config(srv, env, smtp_port):
    srv.tern_config(env.config, extra=(
        "smtp_host = 127.0.0.1\nsmtp_port = %d\nsmtp_tls = none\nsmtp_auth = none\n"
        "from = Test User <me@example.net>\nalternates = alt@example.net\n" % smtp_port))


def outbox(env):
    r = env.tern("outbox", "--json")
    return json.loads(r.stdout.decode())


def test_drafts(t, env, uid):
    draft = os.path.join(env.dir, "reply.txt")
    r = env.tern("reply", "INBOX", str(uid), "--all", "-o", draft)
    t.eq(r.returncode, 0, "reply --all writes a draft")
    text = open(draft).read() if os.path.exists(draft) else ""
    head, _, body = text.partition("\n\n")
    t.ok("\nTo: Alice Example <alice@example.org>\n" in "\n" + head + "\n",
         "reply-all: To is the sender", head)
    t.ok("\nCc: bob@example.org, carol@example.org\n" in head + "\n",
         "reply-all: Cc has the others, never the user's own addresses", head)
    t.ok(head.startswith("From: Test User <me@example.net>\n"), "From is the identity addressed")
    t.ok("\nSubject: Re: lunch on friday\n" in head, "Re: once")
    t.ok("\nIn-Reply-To: <orig-1@example.org>\n" in head, "In-Reply-To")
    t.ok("\nReferences: <root-1@example.org> <orig-1@example.org>\n" in head, "References")
    t.ok(body.startswith("On Wed, 31 Jan 2024 12:00 +0000, Alice Example wrote:\n"
                         "> Shall we meet at noon?\n"), "attribution and quoted body", body)
    r = env.tern("reply", "INBOX", str(uid))
    t.ok(b"\nCc: \n" in r.stdout and b"bob@" not in r.stdout, "plain reply: the sender only")
    r = env.tern("forward", "INBOX", str(uid), "--to", "dave@example.org", "--print")
    msg = email.message_from_bytes(r.stdout, policy=email.policy.default)
    t.ok(r.returncode == 0 and msg["Subject"] == "Fwd: lunch on friday" and
         "Forwarded message" in msg.get_content() and "Shall we meet" in msg.get_content(),
         "forward inline", r.stderr.decode())
    r = env.tern("forward", "INBOX", str(uid), "--to", "dave@example.org", "--attach",
                 "--print")
    msg = email.message_from_bytes(r.stdout, policy=email.policy.default)
    parts = [p.get_content_type() for p in msg.walk()]
    t.ok("message/rfc822" in parts, "forward --attach: message/rfc822", str(parts))
    return draft


LIST_MSG = (b"From: Alice Example <alice@example.org>\r\n"
            b"To: dev@lists.example.org\r\n"
            b"Cc: me@example.net\r\n"
            b"Subject: [dev] release\r\n"
            b"Message-ID: <list-1@example.org>\r\n"
            b"List-Post: <mailto:dev@lists.example.org>\r\n"
            b"Content-Type: text/plain\r\n\r\nship it\r\n")


def test_reply_list(t, srv, env, uid):
    c = srv.imap()
    c.append("INBOX", None, None, LIST_MSG)
    c.logout()
    luid, _ = imap_uid(srv, "INBOX", "<list-1@example.org>")
    r = env.tern("reply", "INBOX", str(luid), "--list")
    head = r.stdout.decode().partition("\n\n")[0] + "\n"
    t.ok(r.returncode == 0 and "\nTo: dev@lists.example.org\n" in head and
         "\nCc: \n" in head, "reply --list: To is List-Post's address, alone",
         head + r.stderr.decode())
    r = env.tern("reply", "INBOX", str(uid), "--list")
    t.ok(r.returncode == 1 and b"List-Post" in r.stderr,
         "reply --list on a message of no list: exit 1, says why", r.stderr.decode())
    r = env.tern("reply", "INBOX", str(uid), "--list", "--all")
    t.eq(r.returncode, 64, "--list with --all: usage error")


def test_send(t, srv, env, smtpd, uid, draft):
    text = open(draft).read().replace("\nBcc: \n", "\nBcc: secret@example.org\n")
    text = text.replace("> Shall we meet at noon?\n", "> Shall we meet at noon?\n\nYes!\n")
    with open(draft, "w") as f:
        f.write(text)
    r = env.tern("send", draft, "--json")
    t.eq(r.returncode, 0, "send exits 0")
    out = json.loads(r.stdout.decode() or "{}")
    t.ok(out.get("status") == "sent" and out.get("sent_copy") == "appended",
         "--json: sent, copy appended", r.stdout.decode() + r.stderr.decode())
    got = smtpd.messages()
    t.eq(len(got), 1, "the SMTP server got one message")
    if not got:
        return
    env_, data = got[0]
    t.ok(sorted(env_["rcpts"]) == ["alice@example.org", "bob@example.org",
                                   "carol@example.org", "secret@example.org"],
         "envelope: To, Cc and Bcc", str(env_))
    t.ok(b"secret@" not in data and b"\nBcc:" not in data, "Bcc is not transmitted")
    msg = email.message_from_bytes(data, policy=email.policy.default)
    mid = msg["Message-ID"]
    t.ok(msg["In-Reply-To"] == "<orig-1@example.org>" and "Yes!" in msg.get_content(),
         "the reply as built arrives")
    sent_uid, n = imap_uid(srv, "Sent", mid)
    t.eq(n, 1, "one copy in Sent (second IMAP connection)")
    if sent_uid:
        copy = imap_fetch(srv, "Sent", sent_uid)
        t.ok(b"Bcc: secret@example.org" in copy, "the Sent copy keeps Bcc")
        t.ok("\\Seen" in imap_flags(srv, "Sent", sent_uid), "the Sent copy is \\Seen")
    t.ok("\\Answered" in imap_flags(srv, "INBOX", uid), "the original is \\Answered")
    t.eq(outbox(env), [], "the outbox is empty")


def test_queued(t, srv, env, spool, uid):
    port = free_port()
    config(srv, env, port)
    r = env.tern("compose", "--to", "queue@example.org", "--subject", "later",
                 "--body-file", "-", input=b"queued body\n")
    t.eq(r.returncode, 74, "SMTP down: queued, exit 74")
    t.ok(b"queued in the outbox" in r.stderr, "says it is queued", r.stderr.decode())
    box = outbox(env)
    t.ok(len(box) == 1 and box[0]["status"] == "queued", "tern outbox lists it", str(box))
    smtpd = Smtpd(port, spool)
    try:
        r = env.tern("folders")
        t.eq(r.returncode, 0, "the next command that logs in succeeds")
        t.ok(b"sent" in r.stderr, "and says the queued message went", r.stderr.decode())
        r = env.tern("folders")
        got = [d for e, d in smtpd.messages() if b"queued body" in d]
        t.eq(len(got), 1, "delivered exactly once")
        t.eq(outbox(env), [], "the outbox is empty afterwards")
        if got:
            mid = email.message_from_bytes(got[0])["Message-ID"]
            t.eq(imap_uid(srv, "Sent", mid)[1], 1, "its Sent copy was appended once")
    finally:
        smtpd.stop()
    return port


def test_outbox_send(t, srv, env, spool):
    port = free_port()
    config(srv, env, port)
    r = env.tern("compose", "--to", "now@example.org", "--subject", "send now",
                 "--body-file", "-", input=b"send-now body\n")
    t.eq(r.returncode, 74, "outbox send: queued first (SMTP down)")
    box = outbox(env)
    mid = box[0]["message_id"] if box else "<none>"
    r = env.tern("outbox", "send", mid)
    t.eq(r.returncode, 74, "outbox send with the SMTP server still down: exit 74")
    box = outbox(env)
    t.ok(len(box) == 1 and box[0]["status"] == "queued", "and the message is still queued",
         str(box) + r.stderr.decode())
    smtpd = Smtpd(port, spool)
    try:
        r = env.tern("outbox", "send", mid)
        t.eq(r.returncode, 0, "outbox send ID: sent now, exit 0")
        got = [d for e, d in smtpd.messages() if b"send-now body" in d]
        t.eq(len(got), 1, "outbox send ID: delivered once, at once")
        t.eq(outbox(env), [], "outbox send ID: the outbox is empty")
        r = env.tern("outbox", "send", mid)
        t.eq(r.returncode, 64, "outbox send of what is not there: usage error")
    finally:
        smtpd.stop()


def test_maybe_sent(t, srv, env, spool):
    port = free_port()
    config(srv, env, port)
    smtpd = Smtpd(port, spool, "drop")
    try:
        r = env.tern("compose", "--to", "maybe@example.org", "--subject", "dropped",
                     "--body-file", "-", input=b"maybe body\n")
        t.eq(r.returncode, 74, "interrupted after DATA: exit 74")
        t.ok(b"may have been sent" in r.stderr, "says it may have been sent",
             r.stderr.decode())
        box = outbox(env)
        t.ok(len(box) == 1 and box[0]["status"] == "maybe_sent", "held as maybe_sent",
             str(box))
        env.tern("folders")
        env.tern("folders")
        got = [d for e, d in smtpd.messages() if b"maybe body" in d]
        t.eq(len(got), 1, "never resent by itself")
        if box:
            r = env.tern("outbox", "drop", box[0]["message_id"])
            t.ok(r.returncode == 0 and outbox(env) == [], "tern outbox drop removes it")
    finally:
        smtpd.stop()


def test_bad_address(t, env, smtpd):
    bad = os.path.join(env.dir, "bad.txt")
    with open(bad, "w") as f:
        f.write("From: Test User <me@example.net>\nTo: alice@example.org, bob\n"
                "Subject: x\n\nhello\n")
    before = len(smtpd.messages())
    r = env.tern("send", bad)
    t.eq(r.returncode, 64, "a bad address is a usage error")
    t.ok(b"line 2: To: 'bob' is not an e-mail address" in r.stderr, "names the address",
         r.stderr.decode())
    t.ok(os.path.exists(bad) and outbox(env) == [] and len(smtpd.messages()) == before,
         "nothing sent, nothing queued, the file kept")


def test_postpone(t, srv, env, smtpd):
    before = len(smtpd.messages())
    r = env.tern("compose", "--to", "later@example.org", "--subject", "kept for later",
                 "--body-file", "-", "--postpone", input=b"not yet\n")
    t.eq(r.returncode, 0, "compose --postpone exits 0")
    t.ok(b"kept in 'Drafts'" in r.stderr, "and says where", r.stderr.decode())
    c = srv.imap()
    c.select("Drafts", readonly=True)
    typ, data = c.uid("SEARCH", "SUBJECT", '"kept for later"')
    uids = data[0].split()
    flags = c.uid("FETCH", uids[0], "(FLAGS)")[1][0] if uids else b""
    c.logout()
    t.ok(len(uids) == 1 and b"\\Draft" in flags, "it is in Drafts with \\Draft", repr(flags))
    t.eq(len(smtpd.messages()), before, "and nothing was sent")
    r = env.tern("compose", "--to", "later@example.org", "--postpone")
    t.eq(r.returncode, 64, "--postpone without --body-file: usage error")


def main(t):
    srv = ternlib.start_server(t, folders={"INBOX": 3, "Sent": 0})
    env = ternlib.Env()
    spool = os.path.join(env.dir, "spool")
    smtpd = None
    try:
        c = srv.imap()
        c.append("INBOX", None, None, ORIGINAL)
        c.logout()
        uid, _ = imap_uid(srv, "INBOX", "<orig-1@example.org>")
        port = free_port()
        config(srv, env, port)
        smtpd = Smtpd(port, spool)
        draft = test_drafts(t, env, uid)
        test_reply_list(t, srv, env, uid)
        test_send(t, srv, env, smtpd, uid, draft)
        test_bad_address(t, env, smtpd)
        test_postpone(t, srv, env, smtpd)
        smtpd.stop()
        smtpd = None
        test_queued(t, srv, env, spool, uid)
        test_outbox_send(t, srv, env, os.path.join(env.dir, "spool-now"))
        test_maybe_sent(t, srv, env, os.path.join(env.dir, "spool-drop"))
    finally:
        if smtpd is not None:
            smtpd.stop()
        srv.stop()
        env.cleanup()


if __name__ == "__main__":
    ternlib.run(main)
