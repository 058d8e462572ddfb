#!/usr/bin/env python3
"""SMTP security, for real (issue 13): aiosmtpd (/usr/bin/python3) with
STARTTLS and AUTH required, and with TLS from the first byte; tern sends with
smtp_tls = starttls and = implicit, trusting the test CA through smtp_ca_file,
logging in with AUTH PLAIN and LOGIN from smtp_password_command. A server that
does not offer STARTTLS is refused (nothing in clear, no AUTH, no MAIL); a
wrong password exits 77 and the message stays queued.

Hostile servers, scripted here on 127.0.0.1 on a port the test picks: 421 in
the middle of DATA (queued, exit 74, not "may have been sent"); one refused
RCPT (nothing sent, the address named, kept as failed); a server that drips
its greeting (given up after `timeout` seconds without a complete answer,
queued); 530 authentication required to MAIL (exit 77, queued, the
answer shown); plaintext injected after the STARTTLS answer (refused, nothing
sent)."""
import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

sys.path.insert(0, os.path.join(ternlib.SRCDIR, "tests", "server"))
import dovecot_server  # noqa: E402

EX_OK, EX_NO, EX_IOERR, EX_NOPERM = 0, 1, 74, 77


free_port = ternlib.free_port


def Smtpd(spool, mode, crt, key):
    """The test SMTP server in a TLS mode, on a port of its own."""
    return ternlib.Smtpd(free_port(), spool, mode, crt, key)


def write_config(env, port, tls, extra=""):
    with open(env.config, "w") as f:
        f.write("[account test]\nhost = 127.0.0.1\nport = 1\ntls = none\nuser = me\n"
                "password_command = echo imap-secret\n"
                "smtp_host = 127.0.0.1\nsmtp_port = %d\nsmtp_tls = %s\n"
                "copy_to_sent = false\nfrom = Test User <me@example.net>\n%s"
                % (port, tls, extra))


def compose(env, subject, to="alice@example.org"):
    return env.tern("--offline", "compose", "--to", to, "--subject", subject,
                    "--body-file", "-", input=("body of %s\n" % subject).encode(), timeout=60)


def outbox(env):
    r = env.tern("--offline", "outbox", "--json")
    return json.loads(r.stdout.decode() or "[]")


def drop_all(env):
    for e in outbox(env):
        env.tern("--offline", "outbox", "drop", e["message_id"])


def test_real_tls(t, env, certs):
    ca, crt, key = certs
    for mode, tls, mech in (("starttls", "starttls", "plain"), ("starttls", "starttls", "login"),
                            ("implicit", "implicit", "plain"), ("implicit", "implicit", "login")):
        srv = Smtpd(os.path.join(env.dir, "spool-%s-%s" % (mode, mech)), mode, crt, key)
        try:
            write_config(env, srv.port, tls, "smtp_ca_file = %s\nsmtp_auth = %s\n"
                         "smtp_password_command = echo secret\n" % (ca, mech))
            r = compose(env, "%s %s" % (tls, mech))
            what = "smtp_tls = %s, AUTH %s" % (tls, mech.upper())
            t.eq(r.returncode, EX_OK, what + ": sent")
            got = srv.messages()
            t.ok(len(got) == 1 and got[0][0]["tls"] and got[0][0]["auth"] == mech.upper() and
                 got[0][0]["rcpts"] == ["alice@example.org"],
                 what + ": arrived over TLS, logged in with " + mech.upper(),
                 str([g[0] for g in got]) + r.stderr.decode())
            t.eq(outbox(env), [], what + ": the outbox is empty")
        finally:
            srv.stop()
    # no smtp_ca_file: the test CA is not trusted
    srv = Smtpd(os.path.join(env.dir, "spool-untrusted"), "implicit", crt, key)
    try:
        write_config(env, srv.port, "implicit", "smtp_password_command = echo secret\n")
        r = compose(env, "untrusted")
        t.eq(r.returncode, EX_NOPERM, "an untrusted certificate: exit 77")
        t.ok(srv.messages() == [] and srv.auth_log() == [],
             "untrusted: nothing sent, no AUTH", str(srv.auth_log()))
        drop_all(env)
    finally:
        srv.stop()


def test_wrong_password(t, env, certs):
    ca, crt, key = certs
    srv = Smtpd(os.path.join(env.dir, "spool-badpw"), "starttls", crt, key)
    try:
        write_config(env, srv.port, "starttls", "smtp_ca_file = %s\n"
                     "smtp_password_command = echo wrong\n" % ca)
        r = compose(env, "bad password")
        t.eq(r.returncode, EX_NOPERM, "a wrong password: exit 77")
        t.ok(b"refused the login" in r.stderr, "says the login was refused", r.stderr.decode())
        box = outbox(env)
        t.ok(len(box) == 1 and box[0]["status"] == "queued", "and the message stays queued",
             str(box))
        t.ok(srv.messages() == [] and "bad" in " ".join(srv.auth_log()),
             "the server saw one bad login and no message", str(srv.auth_log()))
        drop_all(env)
    finally:
        srv.stop()


class Fake:
    """One scripted SMTP connection: script(conn, log) talks to tern; every
    line tern sends is kept in self.lines."""

    def __init__(self, script):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.lines, self.script, self.error = [], script, None
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def _run(self):
        try:
            conn, _ = self.sock.accept()
            conn.settimeout(30)
            self.f = conn.makefile("rb")
            try:
                self.script(self, conn)
            finally:
                time.sleep(0.2)
                conn.close()
        except Exception as e:  # reported by the test
            self.error = repr(e)

    def line(self):
        ln = self.f.readline()
        self.lines.append(ln)
        return ln

    def expect(self, conn, prefix, reply):
        ln = self.line()
        if not ln.upper().startswith(prefix):
            raise RuntimeError("expected %r, got %r" % (prefix, ln))
        if reply:
            conn.sendall(reply)

    def close(self):
        self.th.join(60)
        self.sock.close()

    def sent(self, word):
        return any(ln.upper().startswith(word) for ln in self.lines)


def hello(fk, conn, caps=b"250-fake\r\n250 8BITMIME\r\n"):
    conn.sendall(b"220 fake ESMTP\r\n")
    fk.expect(conn, b"EHLO", caps)


def script_421(fk, conn):
    hello(fk, conn)
    fk.expect(conn, b"MAIL", b"250 ok\r\n")
    fk.expect(conn, b"RCPT", b"250 ok\r\n")
    fk.expect(conn, b"DATA", b"354 go on\r\n")
    fk.line()  # the first line of the message, then give up
    conn.sendall(b"421 4.3.2 shutting down\r\n")
    conn.shutdown(socket.SHUT_WR)


def script_rcpt(fk, conn):
    hello(fk, conn)
    fk.expect(conn, b"MAIL", b"250 ok\r\n")
    fk.expect(conn, b"RCPT", b"250 ok\r\n")
    fk.expect(conn, b"RCPT", b"550 5.1.1 no such user here\r\n")
    while fk.line():  # RSET / QUIT, until tern hangs up
        conn.sendall(b"250 ok\r\n" if not fk.lines[-1].upper().startswith(b"QUIT")
                     else b"221 bye\r\n")


def script_530(fk, conn):
    hello(fk, conn)
    fk.expect(conn, b"MAIL", b"530 5.7.0 Authentication required\r\n")
    while fk.line():
        conn.sendall(b"221 bye\r\n")


def script_drip(fk, conn):
    conn.settimeout(60)
    for _ in range(600):  # a greeting that never ends, one byte at a time
        for b in b"220-still greeting you\r\n":
            try:
                conn.sendall(bytes([b]))
            except OSError:
                return
            time.sleep(0.05)


def script_inject(fk, conn):
    hello(fk, conn, b"250-fake\r\n250 STARTTLS\r\n")
    fk.expect(conn, b"STARTTLS",
              b"220 go ahead\r\n250-fake\r\n250 AUTH PLAIN\r\n")
    while fk.line():  # whatever tern sends next, in clear, is a failure
        pass


def run_fake(t, env, script, extra="", to="alice@example.org"):
    fk = Fake(script)
    write_config(env, fk.port, "none", "smtp_auth = none\n" + extra)
    started = time.monotonic()
    r = compose(env, "fake", to)
    took = time.monotonic() - started
    fk.close()
    if fk.error:
        t.diag("fake server: " + fk.error)
    return r, fk, took


def test_hostile(t, env, certs):
    r, fk, _ = run_fake(t, env, script_421)
    t.eq(r.returncode, EX_IOERR, "421 in the middle of DATA: exit 74")
    box = outbox(env)
    t.ok(len(box) == 1 and box[0]["status"] == "queued", "421 mid-DATA: queued, not "
         "'may have been sent'", str(box) + r.stderr.decode())
    t.ok(b"try later" in r.stderr or b"421" in r.stderr, "421 mid-DATA: says so",
         r.stderr.decode())
    drop_all(env)

    r, fk, _ = run_fake(t, env, script_rcpt, to="alice@example.org, bob@example.org")
    t.eq(r.returncode, EX_NO, "one refused RCPT: exit 1")
    t.ok(b"bob@example.org" in r.stderr and b"no such user" in r.stderr,
         "one refused RCPT: names the address", r.stderr.decode())
    t.ok(not fk.sent(b"DATA"), "one refused RCPT: DATA never sent",
         str(fk.lines))
    box = outbox(env)
    t.ok(len(box) == 1 and box[0]["status"] == "failed", "one refused RCPT: kept as failed",
         str(box))
    drop_all(env)

    r, fk, _ = run_fake(t, env, script_530)
    t.eq(r.returncode, EX_NOPERM, "530 authentication required: exit 77")
    t.ok(b"530 5.7.0" in r.stderr, "530: the server's answer is shown, not QUIT's",
         r.stderr.decode())
    box = outbox(env)
    t.ok(len(box) == 1 and box[0]["status"] == "queued", "530: queued, not failed", str(box))
    drop_all(env)

    r, fk, took = run_fake(t, env, script_drip, "timeout = 3\n")
    t.eq(r.returncode, EX_IOERR, "a greeting dripped forever: exit 74")
    t.ok(took < 30, "the drip is given up (timeout = 3)", "took %.1f s" % took)
    t.diag("drip given up after %.1f s" % took)
    box = outbox(env)
    t.ok(len(box) == 1 and box[0]["status"] == "queued", "drip: queued", str(box))
    drop_all(env)

    ca = certs[0]
    fk = Fake(script_inject)
    write_config(env, fk.port, "starttls", "smtp_ca_file = %s\n"
                 "smtp_password_command = echo secret\n" % ca)
    r = compose(env, "inject")
    fk.close()
    t.eq(r.returncode, EX_NOPERM, "plaintext injected after STARTTLS: refused, exit 77")
    t.ok(not fk.sent(b"AUTH") and not fk.sent(b"MAIL") and not fk.sent(b"EHLO") or
         len([ln for ln in fk.lines if ln.upper().startswith(b"EHLO")]) == 1,
         "injected: nothing more in clear", str(fk.lines))
    t.ok(not fk.sent(b"AUTH") and not fk.sent(b"MAIL"), "injected: no AUTH, no MAIL",
         str(fk.lines))
    box = outbox(env)
    t.ok(len(box) == 1 and box[0]["status"] == "queued", "injected: queued", str(box))
    drop_all(env)

    # no STARTTLS offered, smtp_tls = starttls: never in clear
    fk = Fake(lambda fk, conn: (hello(fk, conn, b"250-fake\r\n250 AUTH PLAIN LOGIN\r\n"),
                                [None for _ in iter(fk.line, b"")]))
    write_config(env, fk.port, "starttls", "smtp_ca_file = %s\n"
                 "smtp_password_command = echo secret\n" % ca)
    r = compose(env, "no starttls")
    fk.close()
    t.eq(r.returncode, EX_NOPERM, "no STARTTLS offered: exit 77")
    t.ok(b"STARTTLS" in r.stderr, "no STARTTLS offered: says so", r.stderr.decode())
    t.ok(not fk.sent(b"AUTH") and not fk.sent(b"MAIL"), "no STARTTLS: no AUTH, no MAIL in "
         "clear", str(fk.lines))
    box = outbox(env)
    t.ok(len(box) == 1 and box[0]["status"] == "queued", "no STARTTLS: queued", str(box))
    drop_all(env)


def test_config_check(t, env, certs):
    ca, crt, key = certs
    srv = Smtpd(os.path.join(env.dir, "spool-check"), "starttls", crt, key)
    try:
        write_config(env, srv.port, "starttls", "smtp_ca_file = %s\n"
                     "smtp_password_command = echo secret\n" % ca)
        r = env.tern("config", "check", timeout=60)
        out = r.stdout.decode()
        t.ok("[test] smtp ok: smtp://127.0.0.1:%d (STARTTLS); logged in" % srv.port in out,
             "config check: the SMTP login is tested", out + r.stderr.decode())
        write_config(env, srv.port, "starttls", "smtp_ca_file = %s\n"
                     "smtp_password_command = echo wrong\n" % ca)
        r = env.tern("config", "check", timeout=60)
        out = r.stdout.decode()
        t.ok("[test] smtp failed (exit 77): the SMTP server refused the login" in out,
             "config check: a refused SMTP login is named", out + r.stderr.decode())
        t.eq(r.returncode, EX_NOPERM, "config check: a refused SMTP login exits 77")
        t.ok(srv.messages() == [] and srv.auth_log() == ["PLAIN ok", "PLAIN bad"],
             "config check: logged in, sent no message", str(srv.auth_log()))
    finally:
        srv.stop()


def main(t):
    env = ternlib.Env()
    try:
        d = os.path.join(env.dir, "certs")
        os.makedirs(d)
        certs = dovecot_server.make_certs(d)
        test_real_tls(t, env, certs)
        test_wrong_password(t, env, certs)
        test_hostile(t, env, certs)
        test_config_check(t, env, certs)
    finally:
        env.cleanup()


if __name__ == "__main__":
    ternlib.run(main)
