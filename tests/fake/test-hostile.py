#!/usr/bin/env python3
"""Hostile servers against the real tern CLI (issue 7).

Each case writes a fake-imapd script into a temporary directory, starts one
fake server on 127.0.0.1 for it, runs `tern -c CONF ...` against it and checks
tern's exit code, its stdout/stderr bytes, its peak memory, and the fake
server's own verdict (exit 0 = the client sent exactly what the script
expected, e.g. no LOGIN after a refused STARTTLS: the script ends with
EXPECT_EOF at the refusal point).

Classes (numbers as in issue 7): 1 STARTTLS injection, 2 downgrade and
certificates, 3 lengths and numbers, 4 nesting and fan-out, 5 injection
through names, 6 terminal escapes, 7 sessions that go wrong, 8 no lost mail;
issue 12, bug 9: 9 plaintext while STARTTLS is in flight, and a response
line trickled forever; issue 17: 10 the header block the summaries are built
from (BODY[HEADER.FIELDS (FROM ...)]).
"""
import hashlib
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

FAKE = os.path.join(ternlib.SRCDIR, "tests", "fake", "fake-imapd.py")
sys.path.insert(0, os.path.join(ternlib.SRCDIR, "tests", "fake"))
import certs  # noqa: E402

# Exit codes (sysexits.h, DESIGN.md).
EX_OK, EX_NO, EX_UNAVAILABLE, EX_IOERR, EX_PROTOCOL, EX_NOPERM = 0, 1, 69, 74, 76, 77

# Peak RSS tern may reach above its own baseline in any case here (KiB).
# The hostile inputs announce gigabytes; buffering even one 64 MiB line
# would exceed this.
RSS_MARGIN_KIB = 48 * 1024

# Bytes that must never reach a terminal raw: ESC, BEL, CSI/OSC in C1 form
# (raw and UTF-8-encoded), bidi overrides and isolates.
FORBIDDEN = [b"\x1b", b"\x07", b"\x9b", b"\x9d", b"\xc2\x9b", b"\xc2\x9d", b"\xc2\x85",
             b"\xe2\x80\xae", b"\xe2\x80\xad", b"\xe2\x81\xa6", b"\xe2\x81\xa7", b"\x00", b"\r"]

GREET_CAPS = "IMAP4rev1 UIDPLUS MOVE"


def q(rx):
    """A literal string as a regex."""
    return re.escape(rx)


class Run:
    pass


class Case:
    """One fake server + one tern run."""

    def __init__(self, t, tmp, name):
        self.t, self.tmp, self.name = t, tmp, name
        self.dir = os.path.join(tmp, re.sub(r"[^A-Za-z0-9]+", "-", name))
        os.makedirs(self.dir)
        self.env = ternlib.Env()

    def run(self, script, argv, conf=None, server_args=(), tern_timeout=30,
            server_timeout=10):
        path = os.path.join(self.dir, "script")
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(script)
        srv_err = open(os.path.join(self.dir, "server.err"), "w+b")
        srv = subprocess.Popen([sys.executable, FAKE, path, "--timeout", str(server_timeout)]
                               + list(server_args), stdout=subprocess.PIPE, stderr=srv_err)
        first = srv.stdout.readline().decode()
        if not first.startswith("PORT "):
            srv.kill()
            srv.wait()
            raise RuntimeError("fake-imapd did not start: %r" % first)
        port = int(first.split()[1])
        c = {"host": "127.0.0.1", "port": str(port), "tls": "none", "user": "u",
             "password": "secret-password", "timeout": "10"}
        c.update(conf or {})
        with open(self.env.config, "w") as f:
            f.write("[account hostile]\n")
            for k, v in c.items():
                if v is not None:
                    f.write("%s = %s\n" % (k, v))
        os.chmod(self.env.config, 0o600)
        r = self.tern(argv, tern_timeout)
        try:
            r.srv_rc = srv.wait(timeout=server_timeout + 5)
        except subprocess.TimeoutExpired:
            srv.kill()
            r.srv_rc = srv.wait()
        srv.stdout.close()
        srv_err.seek(0)
        r.srv_err = srv_err.read().decode(errors="replace")
        if r.srv_rc != 0 or os.environ.get("FAKE_IMAPD_VERBOSE") == "1":
            self.t.diag(r.srv_err[-3000:])
        srv_err.close()
        return r

    def tern(self, argv, timeout):
        out = open(os.path.join(self.dir, "stdout"), "w+b")
        err = open(os.path.join(self.dir, "stderr"), "w+b")
        start = time.monotonic()
        p = subprocess.Popen([ternlib.TERN, "-c", self.env.config] + list(argv),
                             stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                             env=self.env.env)
        killed = []

        def kill():
            killed.append(True)
            p.kill()
        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, usage = os.wait4(p.pid, 0)
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        r = Run()
        r.elapsed = time.monotonic() - start
        r.rc = p.returncode
        r.killed = bool(killed)
        r.maxrss = usage.ru_maxrss
        out.seek(0)
        err.seek(0)
        r.out, r.err = out.read(), err.read()
        out.close()
        err.close()
        return r

    def done(self):
        self.env.cleanup()


def clean_run(t, name, r, rc=None, server_ok=True, baseline=None, max_secs=20):
    """The checks every case makes; returns True when all held."""
    ok = True
    if r.killed:
        return t.ok(False, "%s: tern finished (it hung and was killed)" % name,
                    r.err.decode(errors="replace")[-2000:])
    sane = [m for m in (b"AddressSanitizer", b"LeakSanitizer", b"runtime error:")
            if m in r.err]
    ok &= t.ok(r.rc >= 0 and not sane, "%s: no signal, no sanitizer report (exit %d)"
               % (name, r.rc), r.err.decode(errors="replace")[-3000:])
    if rc is not None:
        want = rc if isinstance(rc, (tuple, list)) else (rc,)
        ok &= t.ok(r.rc in want, "%s: exit %s" % (name, "/".join(map(str, want))),
                   "got exit %d; stderr: %r; stdout: %r"
                   % (r.rc, r.err[-1500:], r.out[-500:]))
    if server_ok:
        ok &= t.ok(r.srv_rc == 0, "%s: the server saw what it expected" % name)
    ok &= t.ok(r.elapsed < max_secs, "%s: done in %.1fs (< %ds)" % (name, r.elapsed, max_secs))
    if baseline is not None:
        ok &= t.ok(r.maxrss < baseline + RSS_MARGIN_KIB,
                   "%s: bounded memory (peak %d KiB, baseline %d KiB)"
                   % (name, r.maxrss, baseline))
    return ok


def no_raw(t, name, data, what):
    bad = [b for b in FORBIDDEN if b in data]
    return t.ok(not bad, "%s: no raw control bytes on %s" % (name, what),
                "found %r in %r" % (bad, data[:600]))


# ---------------------------------------------------------------- scripts

def raw(data):
    return "RAW: %r\n" % (data,)


def prelude(caps=GREET_CAPS):
    return ("S: * OK [CAPABILITY %s] fake ready\n"
            "C~ \\S+ LOGIN .*\n"
            "S: $TAG OK [CAPABILITY %s] logged in\n" % (caps, caps))


def select(n=1, cmd="EXAMINE", folder="INBOX"):
    return ("C~ \\S+ %s %s\n"
            "S: * %d EXISTS\n"
            "S: * OK [UIDVALIDITY 7] ok\n"
            "S: * OK [UIDNEXT 100] ok\n"
            "S: $TAG OK [%s] done\n" % (cmd, q(folder), n,
                                          "READ-ONLY" if cmd == "EXAMINE" else "READ-WRITE"))


FETCH_LIST = "C~ \\S+ UID FETCH 1:\\* \\(UID FLAGS .*HEADER\\.FIELDS \\(FROM .*\\)\n"

LOGOUT = ("C~ \\S+ LOGOUT\n"
          "S: * BYE bye\n"
          "S: $TAG OK bye\n"
          "EXPECT_EOF\n")


def envelope(subject=b'"hello"', frm=b'(("Alice" NIL "alice" "example.org"))'):
    return (b'("Mon, 1 Jan 2024 12:00:00 +0000" ' + subject + b" " + frm +
            b' NIL NIL NIL NIL NIL NIL "<m@x>")')


def fetch(seq, uid, subject=b'"hello"', frm=None, extra=b"", refs=True):
    env = envelope(subject) if frm is None else envelope(subject, frm)
    return (b"* %d FETCH (UID %d FLAGS (\\Seen) INTERNALDATE \"01-Jan-2024 12:00:00 +0000\" "
            b"RFC822.SIZE 100 ENVELOPE " % (seq, uid) + env + extra +
            (b" BODY[HEADER.FIELDS (REFERENCES)] {2}\r\n\r\n" if refs else b"") + b")\r\n")


def lit(b):
    return b"{%d}\r\n" % len(b) + b


def message(subject="hello", body="Hello.\n", extra_headers=""):
    return ("From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n"
            "Subject: %s\r\nDate: Mon, 1 Jan 2024 12:00:00 +0000\r\n"
            "Message-ID: <m@x>\r\n%sMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n%s"
            % (subject, extra_headers, body.replace("\n", "\r\n"))).encode("utf-8")


def body_fetch(uid, data):
    return b"* 1 FETCH (UID %d BODY[] {%d}\r\n" % (uid, len(data)) + data + b")\r\n"


SHOW = "C~ \\S+ UID FETCH 1 \\(UID BODY\\.PEEK\\[\\]\\)\n"


# ---------------------------------------------------------------- cases

def baseline_rss(t, tmp):
    c = Case(t, tmp, "baseline")
    r = c.run(prelude() + select() + FETCH_LIST + raw(fetch(1, 1)) + "S: $TAG OK done\n" +
              LOGOUT, ["list", "INBOX", "--json"])
    clean_run(t, "baseline list", r, rc=0)
    c.done()
    t.diag("baseline peak RSS %d KiB" % r.maxrss)
    return r.maxrss


def main(t):
    if not os.path.exists(ternlib.TERN):
        t.skip_all("no tern binary at %s" % ternlib.TERN)
    tmp = tempfile.mkdtemp(prefix="tern-hostile-")
    try:
        certdir = os.path.join(tmp, "certs")
        os.makedirs(certdir)
        certs.make_certs(certdir)
        base = baseline_rss(t, tmp)
        for fn in (class1, class2, class3, class4, class5, class6, class7, class8, class9,
                   class10):
            fn(t, tmp, certdir, base)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


ONLY = os.environ.get("HOSTILE_ONLY")


class Skipped:
    rc, out, err, elapsed = 0, b"[]", b"", 0.0


def case(t, tmp, name, script, argv, rc, conf=None, server_ok=True, base=None,
         server_args=(), max_secs=20, check=None):
    """Run one case (HOSTILE_ONLY=regex runs only the matching ones)."""
    if ONLY and not re.search(ONLY, name):
        return Skipped()
    c = Case(t, tmp, name)
    try:
        r = c.run(script, argv, conf=conf, server_args=server_args)
        clean_run(t, name, r, rc=rc, server_ok=server_ok, baseline=base, max_secs=max_secs)
        no_raw(t, name, r.out, "stdout")
        no_raw(t, name, r.err, "stderr")
        if check is not None:
            check(r)
        return r
    finally:
        c.done()


# 1 ------------------------------------------------------------ STARTTLS injection

def class1(t, tmp, certdir, base):
    tls = ["--cert", os.path.join(certdir, "server.pem"),
           "--key", os.path.join(certdir, "server.key")]
    conf = {"tls": "starttls", "ca_file": os.path.join(certdir, "ca.pem")}
    injected = [
        ("caps injected with the STARTTLS OK",
         b"* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR\r\n"),
        ("fake tagged OK injected with the STARTTLS OK",
         b"* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR\r\n"
         b"a4 OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake\r\n"
         b"t4 OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake\r\n"
         b"4 OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake\r\n"),
    ]
    for name, inj in injected:
        # The greeting's capabilities are not trusted either: CAPABILITY is
        # asked before STARTTLS, and again after it.  If tern believed the
        # injected SASL-IR it would send AUTHENTICATE PLAIN <ir> on one line,
        # which the script does not accept; the fake server also fails when
        # the client sends anything between the OK and the handshake.
        script = ("S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN SASL-IR] hi\n"
                  "C~ \\S+ CAPABILITY\n"
                  "S: * CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\n"
                  "S: $TAG OK done\n"
                  "C~ \\S+ STARTTLS\n" +
                  "CORK\n" + raw(b"$TAG OK begin TLS now\r\n" + inj) + "UNCORK\n"
                  "TLS\n"
                  "C~ \\S+ CAPABILITY\n"
                  "S: * CAPABILITY IMAP4rev1 AUTH=PLAIN\n"
                  "S: $TAG OK done\n"
                  "C~ \\S+ AUTHENTICATE PLAIN\n"
                  "S: +\n"
                  "C~ [A-Za-z0-9+/=]+\n"
                  "S: t4 OK [CAPABILITY IMAP4rev1] in\n"
                  "C~ \\S+ LIST \"\" \"\\*\"\n"
                  "S: * LIST () \"/\" INBOX\n"
                  "S: $TAG OK done\n"
                  "C~ \\S+ STATUS INBOX \\(MESSAGES UNSEEN\\)\n"
                  "S: * STATUS INBOX (MESSAGES 1 UNSEEN 0)\n"
                  "S: $TAG OK done\n" + LOGOUT)
        case(t, tmp, "1 " + name, script, ["folders"], EX_OK, conf=conf, server_args=tls)


# 2 ------------------------------------------------------------ downgrade

def class2(t, tmp, certdir, base):
    conf = {"tls": "starttls", "ca_file": os.path.join(certdir, "ca.pem")}
    caps = ("C~ \\S+ CAPABILITY\n"
            "S: * CAPABILITY IMAP4rev1 STARTTLS\n"
            "S: $TAG OK done\n"
            "C~ \\S+ STARTTLS\n")

    def refused(r):
        t.ok(b"secret-password" not in r.out + r.err, "no password echoed")
    cases = [
        ("PREAUTH greeting", "S: * PREAUTH [CAPABILITY IMAP4rev1] welcome\nEXPECT_EOF\n"),
        ("no STARTTLS capability",
         "S: * OK [CAPABILITY IMAP4rev1 STARTTLS] hi\n"
         "C~ \\S+ CAPABILITY\n"
         "S: * CAPABILITY IMAP4rev1 AUTH=PLAIN\n"
         "S: $TAG OK done\nEXPECT_EOF\n"),
        ("NO to STARTTLS", "S: * OK hi\n" + caps + "S: $TAG NO not today\nEXPECT_EOF\n"),
        ("BAD to STARTTLS", "S: * OK hi\n" + caps + "S: $TAG BAD what\nEXPECT_EOF\n"),
        ("garbage greeting", "S: HTTP/1.1 200 OK\nEXPECT_EOF\n"),
        ("untagged garbage greeting", "S: * FOO bar\nEXPECT_EOF\n"),
        ("binary greeting", raw(b"\x16\x03\x01\x00\xff\r\n") + "EXPECT_EOF\n"),
    ]
    for name, script in cases:
        case(t, tmp, "2 starttls: " + name, script, ["folders"], EX_NOPERM, conf=conf,
             check=refused)

    def tls_args(cert):
        return ["--cert", os.path.join(certdir, cert), "--key", os.path.join(certdir, "server.key")]
    ca = os.path.join(certdir, "ca.pem")
    for name, cert, extra in [
            ("untrusted self-signed", "selfsigned.pem", {}),
            ("untrusted CA", "server.pem", {}),
            ("wrong host", "other.pem", {"ca_file": ca}),
            ("expired", "expired.pem", {"ca_file": ca}),
            ("wrong pin", "selfsigned.pem", {"tls_fingerprint": "sha256:" + ":".join(["AB"] * 32)})]:
        conf = {"tls": "implicit"}
        conf.update(extra)
        case(t, tmp, "2 implicit: " + name, "TLS_REFUSED\n", ["folders"], EX_NOPERM,
             conf=conf, server_args=tls_args(cert))
    with open(os.path.join(certdir, "selfsigned.pem")) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    pin = "sha256:" + ":".join("%02X" % b for b in hashlib.sha256(der).digest())
    script = ("TLS\n" + prelude() +
              "C~ \\S+ LIST .*\nS: $TAG OK done\n" + LOGOUT)
    case(t, tmp, "2 implicit: pinned self-signed certificate accepted", script, ["folders"],
         EX_OK, conf={"tls": "implicit", "tls_fingerprint": pin},
         server_args=tls_args("selfsigned.pem"))


# 3 ------------------------------------------------------------ lengths, numbers

def class3(t, tmp, certdir, base):
    head = prelude() + select() + FETCH_LIST
    lits = [("literal 2^31", b"2147483648"), ("literal 2^32", b"4294967296"),
            ("literal 2^64", b"18446744073709551616"), ("literal 400 digits", b"9" * 400),
            ("literal 2^32+5", b"4294967301")]
    for name, n in lits:
        script = head + raw(b"* 1 FETCH (UID 1 BODY[HEADER.FIELDS (REFERENCES)] {" + n +
                            b"}\r\nabc") + "EXPECT_EOF\n"
        case(t, tmp, "3 " + name, script, ["list", "INBOX", "--json"], EX_PROTOCOL, base=base,
             max_secs=10)
    # Numbers out of range in a FETCH answer: a protocol error, never a
    # wrapped value that tern would act on.
    nums = [("UID 2^32", fetch(1, 1).replace(b"UID 1 ", b"UID 4294967296 ")),
            ("UID 2^64+1", fetch(1, 1).replace(b"UID 1 ", b"UID 18446744073709551617 ")),
            ("UID 0", fetch(1, 1).replace(b"UID 1 ", b"UID 0 ")),
            ("UID -1", fetch(1, 1).replace(b"UID 1 ", b"UID -1 ")),
            ("size 2^64", fetch(1, 1).replace(b"RFC822.SIZE 100", b"RFC822.SIZE 18446744073709551616")),
            ("sequence 2^32", fetch(1, 1).replace(b"* 1 FETCH", b"* 4294967296 FETCH")),
            ("sequence 0", fetch(1, 1).replace(b"* 1 FETCH", b"* 0 FETCH")),
            ("EXISTS 2^32", b"* 4294967296 EXISTS\r\n"),
            ("EXISTS 2^31", b"* 2147483648 EXISTS\r\n"),
            ("'1,' EXISTS", b"* 1, EXISTS\r\n"),
            ("EXPUNGE 2^64", b"* 18446744073709551616 EXPUNGE\r\n")]
    for name, data in nums:
        script = head + raw(data) + "EXPECT_EOF\n"
        def nothing(r, name=name):
            t.ok(r.out == b"", "3 %s: nothing printed from a broken answer" % name, r.out[:300])
        case(t, tmp, "3 " + name, script, ["list", "INBOX", "--json"], EX_PROTOCOL,
             base=base, max_secs=10, check=nothing)
    # Sequence sets from the server (ESEARCH): a broken set is a protocol
    # error, one too large to expand matches nothing; neither is acted on.
    caps = "IMAP4rev1 ESEARCH UIDPLUS"
    for sset, rc in [("1,", EX_PROTOCOL), (":5", EX_PROTOCOL), ("*:*", EX_PROTOCOL),
                     ("0:3", EX_PROTOCOL), ("4294967296", EX_PROTOCOL),
                     ("1:3:5", EX_PROTOCOL), ("1:4294967295", EX_UNAVAILABLE)]:
        script = (prelude(caps) + select(n=3, cmd="SELECT") +
                  "C: t3 UID SEARCH RETURN (ALL) UID 1:*\n"
                  'S: * ESEARCH (TAG "t3") UID ALL %s\n'
                  "S: t3 OK done\n" % sset)
        script += (LOGOUT if rc != EX_PROTOCOL else "EXPECT_EOF\n")
        case(t, tmp, "3 ESEARCH ALL %s" % sset, script, ["flag", "INBOX", "1:*", "+seen"], rc,
             base=base)
    script = (prelude(caps) + select(n=3, cmd="SELECT") +
              "C: t3 UID SEARCH RETURN (ALL) UID 1:*\n"
              'S: * ESEARCH (TAG "t3") UID ALL 3:1\n'
              "S: t3 OK done\n"
              "C: t4 UID STORE 1:3 +FLAGS.SILENT (\\Seen)\nS: t4 OK done\n" + LOGOUT)
    case(t, tmp, "3 ESEARCH ALL 3:1 (valid, reversed)", script,
         ["flag", "INBOX", "1:*", "+seen"], EX_OK)
    script = (prelude() + select(n=3, cmd="SELECT") +
              "C: t3 UID SEARCH UID 1:*\nS: * SEARCH 1 4294967296\nS: t3 OK done\n"
              "EXPECT_EOF\n")
    case(t, tmp, "3 SEARCH with a UID past 2^32", script, ["flag", "INBOX", "1:*", "+seen"],
         EX_PROTOCOL)
    # A line of 64 MiB that never ends, sent in 64 KiB pieces.
    script = head + raw(b'* 1 FETCH (UID 1 ENVELOPE ("') + "SEND_BYTES 67108864 a\n"
    case(t, tmp, "3 64 MiB line without an end", script, ["list", "INBOX", "--json"],
         EX_PROTOCOL, server_ok=False, base=base, max_secs=15)
    script = head + "SEND_BYTES 67108864 a\n"
    case(t, tmp, "3 64 MiB of garbage without a CRLF", script, ["list", "INBOX", "--json"],
         EX_PROTOCOL, server_ok=False, base=base, max_secs=15)


# 4 ------------------------------------------------------------ nesting, fan-out

def class4(t, tmp, certdir, base):
    head = prelude() + select() + FETCH_LIST
    deep = b"(" * 10000 + b'"TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1' + b' "MIXED")' * 10000
    script = head + raw(fetch(1, 1, extra=b" BODYSTRUCTURE " + deep)) + "EXPECT_EOF\n"
    case(t, tmp, "4 BODYSTRUCTURE nested 10,000 deep", script, ["list", "INBOX", "--json"],
         EX_PROTOCOL, base=base, server_ok=True)
    groups = b"(" + b"(NIL NIL \"g\" NIL)(NIL NIL NIL NIL)" * 200000 + b")"
    script = head + raw(fetch(1, 1, frm=groups)) + "EXPECT_EOF\n"
    case(t, tmp, "4 ENVELOPE with 200,000 empty groups", script, ["list", "INBOX", "--json"],
         (EX_OK, EX_PROTOCOL), base=base, server_ok=False)

    # A message of 50,000 parts and a header of 20,000 encoded-words, to show.
    # mime/ stops building parts at MIME_MAX_PARTS: what GMime builds for
    # those costs more than RSS_MARGIN_KIB under ASan, so "bounded" is shown
    # by comparison: 50,000 parts cost no more than 12,000 do.
    peaks = {}
    for n in (12000, 50000):
        parts = ["--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(n)]
        msg = ("From: a@example.org\r\nSubject: many parts\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + "".join(parts) +
               "--b--\r\n").encode()
        script = (prelude() + select() + SHOW + raw(body_fetch(1, msg)) + "S: $TAG OK done\n" +
                  LOGOUT)

        def readable(r, n=n):
            peaks[n] = r.maxrss
            t.ok(b"part 0" in r.out, "4 %d parts: the first part is shown" % n, r.out[:300])
        case(t, tmp, "4 message with %d parts" % n, script, ["show", "INBOX", "1"],
             (EX_OK, EX_PROTOCOL), check=readable)
    if len(peaks) == 2:
        t.ok(peaks[50000] < peaks[12000] * 1.25 + 8192,
             "4 50,000 parts cost what 12,000 do (peak %d KiB vs %d KiB)"
             % (peaks[50000], peaks[12000]))
    words = " ".join(["=?UTF-8?B?YWJj?="] * 20000)
    msg = message(subject=words, body="still readable\n")
    script = prelude() + select() + SHOW + raw(body_fetch(1, msg)) + "S: $TAG OK done\n" + LOGOUT

    def readable2(r):
        t.ok(b"still readable" in r.out, "4 20,000 encoded-words: the body is shown",
             r.out[:300])
    case(t, tmp, "4 header with 20,000 encoded-words", script, ["show", "INBOX", "1"],
         (EX_OK, EX_PROTOCOL), base=base, check=readable2)
    # The rest of the folder stays readable: a hostile message among good ones.
    script = (head + raw(fetch(1, 1)) +
              raw(fetch(2, 2, subject=b'"' + b"=?UTF-8?B?YWJj?= " * 2000 + b'"')) +
              raw(fetch(3, 3, subject=b'"third"')) + "S: $TAG OK done\n" + LOGOUT)

    def rest(r):
        try:
            uids = [m["uid"] for m in json.loads(r.out)]
        except ValueError:
            uids = None
        t.eq(sorted(uids or []), [1, 2, 3], "4 the rest of the folder is listed")
    case(t, tmp, "4 long encoded subject among good messages", script.replace(
        "S: * 1 EXISTS", "S: * 3 EXISTS"), ["list", "INBOX", "--json"], EX_OK, check=rest)


# 5 ------------------------------------------------------------ names

def class5(t, tmp, certdir, base):
    names = [("CR LF", b"foo\r\nbar"), ("dot dot slash", b"../../../etc/passwd"),
             ("slash", b"/tmp/x"), ("backquotes", b"`touch /tmp/pwned`"),
             ("format", b"%n%s%x%p"), ("quote and backslash", b'a"b\\c'),
             ("tagged line", b"x\r\nt9 LOGOUT"), ("8-bit", b"caf\xe9")]
    for name, wire in names:
        # folders: the name is printed sanitised, and sent back (STATUS) as
        # one command: a literal when it holds CR/LF or 8-bit bytes.  (The
        # fake server splits client lines at LF, so a literal with CRLF
        # arrives as several "lines"; its $TAG would be wrong: tags are
        # written out.)
        script = (prelude() + 'C~ t2 LIST "" "\\*"\n' +
                  raw(b'* LIST (\\HasNoChildren) "/" ' + lit(wire) + b"\r\n") +
                  "S: t2 OK done\n")
        if b"\n" in wire or any(c >= 0x80 for c in wire):
            script += "C: t3 STATUS {%d}\nS: + go\n" % len(wire)
            lines = wire.split(b"\r\n")
            for i, ln in enumerate(lines):
                rx = "".join(q(chr(c)) if c < 0x80 else "." for c in ln)
                tail = " \\(MESSAGES UNSEEN\\)" if i == len(lines) - 1 else ""
                script += "C~ %s%s\n" % (rx, tail)
        else:
            quoted = '"%s"' % wire.decode().replace("\\", "\\\\").replace('"', '\\"')
            script += "C~ t3 STATUS (%s|%s) \\(MESSAGES UNSEEN\\)\n" % (
                q(quoted), q(wire.decode()))
        script += "S: t3 OK done\n" + LOGOUT

        def shown(r, wire=wire, name=name):
            lines = r.out.splitlines()
            t.eq(len(lines), 1, "5 %s: one line printed for one folder" % name)
        case(t, tmp, "5 folder name: " + name, script, ["folders"], EX_OK, check=shown)

    # NUL in a name: it cannot be sent back (no STATUS for it), never cut.
    script = (prelude() + 'C~ \\S+ LIST "" "\\*"\n' +
              raw(b'* LIST (\\HasNoChildren) "/" ' + lit(b"ab\x00cd") + b"\r\n") +
              "S: $TAG OK done\n")
    def nul(r):
        try:
            names = [f["name"] for f in json.loads(r.out)]
        except ValueError:
            names = None
        t.eq(names, ["ab\ufffdcd"], "5 NUL: the name is shown whole, NUL as U+FFFD")
    case(t, tmp, "5 folder name with NUL is never sent back", script + LOGOUT,
         ["folders", "--json"], EX_OK, check=nul)

    # A name typed by the user is encoded as modified UTF-7 (CR LF become
    # &AA0ACg-): one line, the name the user meant.
    script = (prelude() + "C: t2 EXAMINE foo&AA0ACg-bar\n"
              "S: t2 NO no such folder\n" + LOGOUT)
    case(t, tmp, "5 list of a CR LF name sends one line", script,
         ["list", "foo\r\nbar"], EX_UNAVAILABLE)
    script = (prelude() + select(cmd="SELECT") + "C~ \\S+ UID SEARCH UID 1\n"
              "S: * SEARCH 1\nS: $TAG OK done\n"
              'C: t4 UID MOVE 1 "x&AA0ACg-t9 LOGOUT"\n'
              "S: t4 NO [TRYCREATE] no\n" + LOGOUT)
    case(t, tmp, "5 move to a name with CRLF + a command sends one line", script,
         ["move", "INBOX", "1", "x\r\nt9 LOGOUT"], EX_UNAVAILABLE)


# 6 ------------------------------------------------------------ terminal escapes

EVIL = ("\x1b]52;c;cHduZWQ=\x07\x1b]0;title\x07\x1b[2J\x1b[31mred\u009b31m\u009d0;x\u0007"
        "\u202egnp.exe\u2066x\u2069\x1bP+q\x1b\\")


def class6(t, tmp, certdir, base):
    import base64
    evil = EVIL.encode("utf-8")
    enc = b"=?UTF-8?B?" + base64.b64encode(evil) + b"?="
    variants = [("raw subject", lit(evil)), ("encoded subject", b'"' + enc + b'"'),
                ("raw C1 byte", lit(b"x\x9b2Jy\x1b[0m"))]
    for name, subj in variants:
        script = (prelude() + select() + FETCH_LIST +
                  raw(fetch(1, 1, subject=subj,
                            frm=b'((' + lit(evil) + b' NIL "a" "b.example"))')) +
                  "S: $TAG OK done\n" + LOGOUT)
        for fmt in ([], ["--json"]):
            def json_ok(r, fmt=fmt):
                if fmt:
                    try:
                        json.loads(r.out)
                        ok = True
                    except ValueError:
                        ok = False
                    t.ok(ok, "6 %s: valid JSON" % name, r.out[:300])
            case(t, tmp, "6 %s list %s" % (name, " ".join(fmt)), script,
                 ["list", "INBOX"] + fmt, EX_OK, check=json_ok)
    # Folder names and ALERT texts.
    script = ("S: * OK [CAPABILITY IMAP4rev1] fake ready\n"
              "C~ \\S+ LOGIN .*\n" +
              raw(b"* OK [ALERT] " + evil + b"\r\n") +
              raw(b"* NO [ALERT] =?UTF-8?B?" + base64.b64encode(evil) + b"?=\r\n") +
              "S: $TAG OK [CAPABILITY IMAP4rev1] logged in\n"
              'C~ \\S+ LIST "" "\\*"\n' +
              raw(b'* LIST (\\Noselect) "/" ' + lit(evil) + b"\r\n") +
              "S: $TAG OK done\n" + LOGOUT)
    for fmt in ([], ["--json"]):
        case(t, tmp, "6 folder name and ALERT %s" % " ".join(fmt), script, ["folders"] + fmt,
             EX_OK)
    # Body, headers and the error path.
    msg = message(subject=EVIL, body="line " + EVIL + "\n")
    script = prelude() + select() + SHOW + raw(body_fetch(1, msg)) + "S: $TAG OK done\n" + LOGOUT
    case(t, tmp, "6 show a hostile body", script, ["show", "INBOX", "1"], EX_OK)
    script = prelude() + select() + SHOW + raw(body_fetch(1, msg)) + "S: $TAG OK done\n" + LOGOUT
    case(t, tmp, "6 show --headers", script, ["show", "INBOX", "1", "--headers"], EX_OK)
    # An attachment's file name: saved inside -o DIR under a safe name,
    # printed sanitised.
    att = ("From: a@example.org\r\nSubject: att\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           "Content-Type: text/plain\r\n\r\nbody\r\n--b\r\n"
           "Content-Type: application/octet-stream\r\n"
           "Content-Disposition: attachment; filename*=UTF-8''%2E%2E%2F%2E%2E%2Fevil"
           "%1B%5D0%3Bx%07%E2%80%AE.txt\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           "aGVsbG8K\r\n--b--\r\n").encode()
    # tern save fetches the structure, then the part alone (#14): the
    # hostile name comes in the BODYSTRUCTURE's disposition parameters.
    structure = (b'(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 6 1)("APPLICATION" "OCTET-STREAM" NIL '
                 b'NIL NIL "BASE64" 10 NIL ("ATTACHMENT" ("FILENAME*" "UTF-8\'\'%2E%2E%2F'
                 b'%2E%2E%2Fevil%1B%5D0%3Bx%07%E2%80%AE.txt")) NIL) "MIXED")')
    script = (prelude() + select() + "C~ \\S+ UID FETCH 1 \\(UID BODYSTRUCTURE\\)\n" +
              raw(b"* 1 FETCH (UID 1 BODYSTRUCTURE " + structure + b")\r\n") +
              "S: $TAG OK done\n" + "C~ \\S+ UID FETCH 1 \\(UID BODY\\.PEEK\\[2\\]\\)\n" +
              raw(b"* 1 FETCH (UID 1 BODY[2] {10}\r\naGVsbG8K\r\n)\r\n") +
              "S: $TAG OK done\n" + LOGOUT)
    outdir = os.path.join(tmp, "save-out", "inner")
    os.makedirs(outdir)

    def saved(r):
        inside = os.listdir(outdir)
        outside = [n for n in os.listdir(os.path.dirname(outdir)) if n != "inner"]
        t.ok(len(inside) == 1 and not outside,
             "6 save: one file, inside -o DIR (%r, outside %r)" % (inside, outside))
        t.ok(all(not any(ord(ch) < 0x20 or ch in "\u202e/" for ch in n) for n in inside),
             "6 save: the file name has no control or bidi characters", repr(inside))
    case(t, tmp, "6 save an attachment with a hostile file name", script,
         ["save", "INBOX", "1", "-o", outdir], EX_OK, check=saved)
    script = (prelude() + "C~ \\S+ EXAMINE INBOX\n" +
              raw(b"* NO [ALERT] " + evil + b"\r\n") +
              raw(b"$TAG NO " + evil + b"\r\n") + LOGOUT)
    case(t, tmp, "6 NO text on stderr", script, ["list", "INBOX"], EX_UNAVAILABLE)
    script = prelude() + raw(b"* BYE " + evil + b"\r\n") + "CLOSE\n"
    case(t, tmp, "6 BYE text on stderr", script, ["list", "INBOX"], EX_IOERR, server_ok=False)


# 7 ------------------------------------------------------------ sessions going wrong

def class7(t, tmp, certdir, base):
    head = prelude() + select(n=3) + FETCH_LIST
    script = head + raw(fetch(1, 1)) + "S: * BYE going down\nEXPECT_EOF\n"
    case(t, tmp, "7 BYE in the middle of a FETCH", script, ["list", "INBOX"], EX_IOERR)
    script = prelude() + select() + "RESET\n"
    case(t, tmp, "7 TCP reset after SELECT", script, ["show", "INBOX", "1"], EX_IOERR)
    script = prelude() + select() + SHOW + raw(b"* 1 FETCH (UID 1 BODY[] {100}\r\nabc") + \
        "SLEEP 6\n"

    def timed(r):
        t.ok(b"timed out" in r.err, "7 stall: says it timed out", r.err[:300])
        t.ok(r.elapsed < 5, "7 stall: gave up within a few seconds (%.1fs)" % r.elapsed)
    case(t, tmp, "7 stall inside a literal", script, ["show", "INBOX", "1"], EX_IOERR,
         conf={"timeout": "1"}, server_ok=False, check=timed)
    # A byte every 50 ms (20 bytes/s) for ~12 s with timeout = 1: above the
    # low-speed limit of 10 bytes/s, so progress and no timeout.
    line = fetch(1, 1, refs=False).decode().rstrip("\r\n")
    script = prelude() + select() + FETCH_LIST + "DRIP 0.05 %s\n" % line + \
        "S: $TAG OK done\n" + LOGOUT
    case(t, tmp, "7 a server dripping a byte every 50 ms", script, ["list", "INBOX", "--json"],
         EX_OK, conf={"timeout": "1"}, max_secs=30)
    # EXPUNGE and EXISTS in the middle of SEARCH and STORE: the STORE names
    # UIDs, so the flag lands on UID 3 whatever the sequence numbers became.
    script = (prelude() + select(n=3, cmd="SELECT") +
              "C~ \\S+ UID SEARCH UID 3\n"
              "S: * 1 EXPUNGE\nS: * 5 EXISTS\nS: * SEARCH 3\nS: * 1 EXPUNGE\n"
              "S: $TAG OK done\n"
              "C~ \\S+ UID STORE 3 \\+FLAGS\\.SILENT \\(\\\\Flagged\\)\n"
              "S: * 1 EXPUNGE\nS: * 1 FETCH (UID 3 FLAGS (\\Flagged))\nS: * 9 EXISTS\n"
              "S: $TAG OK done\n" + LOGOUT)
    case(t, tmp, "7 EXPUNGE/EXISTS during SEARCH and STORE", script,
         ["flag", "INBOX", "3", "+flagged"], EX_OK)
    script = (head + raw(fetch(1, 1)) + "S: * 1 EXPUNGE\nS: * 7 EXISTS\n" +
              raw(fetch(1, 2)) + "S: * 2 EXPUNGE\n" + raw(fetch(1, 3)) +
              "S: $TAG OK done\n" + LOGOUT)

    def uids(r):
        try:
            got = sorted((m["uid"], m["subject"]) for m in json.loads(r.out))
        except ValueError:
            got = None
        t.eq(got, [(1, "hello"), (2, "hello"), (3, "hello")],
             "7 EXPUNGE during FETCH: every UID listed once")
    case(t, tmp, "7 EXPUNGE/EXISTS during FETCH", script, ["list", "INBOX", "--json"], EX_OK,
         check=uids)


# 8 ------------------------------------------------------------ no lost mail

def class8(t, tmp, certdir, base):
    def sel(caps):
        return (prelude(caps) + select(n=3, cmd="SELECT") +
                "C~ \\S+ UID SEARCH UID 1:2\nS: * SEARCH 1 2\nS: $TAG OK done\n")
    script = sel(GREET_CAPS) + "C~ \\S+ UID MOVE 1:2 Archive\n" \
        "S: $TAG NO [TRYCREATE] no such folder\n" + LOGOUT
    case(t, tmp, "8 MOVE answered NO [TRYCREATE]", script,
         ["move", "INBOX", "1:2", "Archive"], EX_UNAVAILABLE)
    script = sel(GREET_CAPS) + "C~ \\S+ UID MOVE 1:2 Archive\n" \
        "S: $TAG NO [OVERQUOTA] quota exceeded\n" + LOGOUT
    case(t, tmp, "8 MOVE answered NO [OVERQUOTA]", script,
         ["move", "INBOX", "1:2", "Archive"], EX_NO)
    for code in ("TRYCREATE", "OVERQUOTA"):
        script = sel("IMAP4rev1 UIDPLUS") + "C~ \\S+ UID COPY 1:2 Archive\n" \
            "S: $TAG NO [%s] no\n" % code + LOGOUT
        case(t, tmp, "8 COPY (move without MOVE) answered NO [%s]" % code, script,
             ["move", "INBOX", "1:2", "Archive"], (EX_NO, EX_UNAVAILABLE))
        script = sel("IMAP4rev1 UIDPLUS") + "C~ \\S+ UID COPY 1:2 Archive\n" \
            "S: $TAG NO [%s] no\n" % code + LOGOUT
        case(t, tmp, "8 copy answered NO [%s]" % code, script,
             ["copy", "INBOX", "1:2", "Archive"], (EX_NO, EX_UNAVAILABLE))
    script = (sel("IMAP4rev1 UIDPLUS") + "C~ \\S+ UID COPY 1:2 Archive\n"
              "S: $TAG OK [COPYUID 9 1:2 7:8] copied\n"
              "C~ \\S+ UID STORE 1:2 \\+FLAGS\\.SILENT \\(\\\\Deleted\\)\n"
              "S: $TAG OK done\n"
              "C~ \\S+ UID EXPUNGE 1:2\n"
              "S: * 1 EXPUNGE\nS: * 1 EXPUNGE\nS: $TAG OK done\n" + LOGOUT)
    case(t, tmp, "8 move without MOVE: COPY, STORE, UID EXPUNGE of those UIDs", script,
         ["move", "INBOX", "1:2", "Archive"], EX_OK)
    script = (sel("IMAP4rev1") + "C~ \\S+ UID COPY 1:2 Archive\n"
              "S: $TAG OK copied\n"
              "C~ \\S+ UID STORE 1:2 \\+FLAGS\\.SILENT \\(\\\\Deleted\\)\n"
              "S: $TAG OK done\n" + LOGOUT)

    def says(r):
        t.ok(b"UIDPLUS" in r.err or b"marked" in r.err,
             "8 without UIDPLUS: says the originals stay marked", r.err[:300])
    case(t, tmp, "8 move without MOVE or UIDPLUS: no plain EXPUNGE", script,
         ["move", "INBOX", "1:2", "Archive"], (EX_OK, EX_NO), check=says)
    script = (sel("IMAP4rev1").replace("C~ \\S+ SELECT", 'C~ \\S+ LIST "" "\\*"\n'
                                        "S: $TAG OK done\nC~ \\S+ SELECT") +
              "C~ \\S+ UID STORE 1:2 \\+FLAGS\\.SILENT \\(\\\\Deleted\\)\n"
              "S: $TAG OK done\n" + LOGOUT)
    case(t, tmp, "8 delete --expunge without UIDPLUS: no plain EXPUNGE", script,
         ["delete", "INBOX", "1:2", "--expunge"], (EX_OK, EX_NO), check=says)


# 9 ------------------------------------------------------------ plaintext in flight, trickles

# Untagged responses of every kind, each naming itself so that a leak shows.
INJECTED = (b"* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR INJECTEDCAP\r\n"
            b'* LIST () "/" InjectedFolder\r\n'
            b"* 42 EXISTS\r\n"
            b"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n"
            b"* OK [ALERT] INJECTED-ALERT\r\n"
            b"* NO [ALERT] INJECTED-NO-ALERT\r\n")


def class9(t, tmp, certdir, base):
    tls = ["--cert", os.path.join(certdir, "server.pem"),
           "--key", os.path.join(certdir, "server.key")]
    conf = {"tls": "starttls", "ca_file": os.path.join(certdir, "ca.pem")}
    start = ("S: * OK [CAPABILITY IMAP4rev1 STARTTLS] hi\n"
             "C~ \\S+ CAPABILITY\n"
             "S: * CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\n"
             "S: $TAG OK done\n"
             "C~ \\S+ STARTTLS\n")
    after_tls = ("TLS\n"
                 "C~ \\S+ CAPABILITY\n"
                 "S: * CAPABILITY IMAP4rev1\n"
                 "S: $TAG OK done\n"
                 "C~ \\S+ LOGIN .*\n"
                 "S: $TAG OK [CAPABILITY IMAP4rev1] in\n"
                 "C~ \\S+ LIST \"\" \"\\*\"\n"
                 "S: * LIST () \"/\" INBOX\n"
                 "S: $TAG OK done\n"
                 "C~ \\S+ STATUS INBOX \\(MESSAGES UNSEEN\\)\n"
                 "S: * STATUS INBOX (MESSAGES 1 UNSEEN 0)\n"
                 "S: $TAG OK done\n" + LOGOUT)

    def nothing_injected(name):
        def check(r):
            leak = re.findall(rb"(?i)inject\w*|\b42\b", r.out + r.err)
            t.ok(not leak, "9 %s: nothing injected reaches stdout or stderr" % name,
                 "found %r in %r / %r" % (leak, r.out[:400], r.err[:400]))
        return check
    # Before the tagged OK, each response in its own segment, then the OK:
    # all of it thrown away, and the session goes on over TLS.
    script = start
    for line in INJECTED.split(b"\r\n")[:-1]:
        script += raw(line + b"\r\n") + "SLEEP 0.05\n"
    script += "S: $TAG OK begin TLS now\n" + after_tls
    for fmt in ([], ["--json"]):
        name = "starttls: untagged before the OK %s" % " ".join(fmt)
        case(t, tmp, "9 " + name, script, ["folders"] + fmt, EX_OK, conf=conf,
             server_args=tls, check=nothing_injected(name))
    # With the OK, in one segment: thrown away with the rest of the segment.
    script = start + "CORK\n" + raw(b"$TAG OK begin TLS now\r\n" + INJECTED) + \
        "UNCORK\n" + after_tls
    name = "starttls: untagged with the OK"
    case(t, tmp, "9 " + name, script, ["folders"], EX_OK, conf=conf, server_args=tls,
         check=nothing_injected(name))
    # After the OK, in a later segment, while the client's handshake has
    # begun: that is not TLS, so the handshake fails; nothing reaches output.
    script = start + "S: $TAG OK begin TLS now\nSLEEP 0.2\n" + raw(INJECTED) + \
        "SLEEP 0.5\n"
    name = "starttls: untagged after the OK, in the handshake"
    case(t, tmp, "9 " + name, script, ["folders"], (EX_IOERR, EX_NOPERM, EX_PROTOCOL),
         conf=conf, server_ok=None, check=nothing_injected(name))

    # One response line trickled forever (4 bytes/s, never a CRLF) with
    # timeout = 3: below the low-speed limit, so it times out like a stall.
    forever = '* LIST () "/" ' + "x" * 400
    for argv, head in ((["folders"], prelude() + 'C~ \\S+ LIST "" "\\*"\n'),
                       (["list", "INBOX"], prelude() + select() + FETCH_LIST)):
        def timed(r, name=argv[0]):
            t.ok(b"timed out" in r.err, "9 trickle %s: says it timed out" % name, r.err[:300])
            t.ok(r.elapsed < 12, "9 trickle %s: gave up in %.1fs" % (name, r.elapsed))
        script = head + "DRIP 0.25 %s\n" % forever + "S: $TAG OK done\n" + LOGOUT
        case(t, tmp, "9 a line trickled forever: %s" % argv[0], script, argv, EX_IOERR,
             conf={"timeout": "3"}, server_ok=None, check=timed)


# 10 ----------------------------------------------------------- header blocks

def header_fetch(seq, uid, block):
    """A summary answered with a header block instead of ENVELOPE. block is
    bytes, or a list of bytes and (n, c) for n bytes of c that the fake server
    makes itself (so that this process stays small: its pages would count in
    tern's peak RSS through the fork)."""
    pieces = block if isinstance(block, list) else [block]
    size = sum(len(x) if isinstance(x, bytes) else x[0] for x in pieces)
    out = raw(b"* %d FETCH (UID %d FLAGS (\\Seen) INTERNALDATE \"01-Jan-2024 12:00:00 +0000\" "
              b"RFC822.SIZE 100 BODY[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID "
              b"IN-REPLY-TO REFERENCES)] {%d}\r\n" % (seq, uid, size))
    for x in pieces:
        out += raw(x) if isinstance(x, bytes) else "SEND_BYTES %d %s\n" % x
    return out + raw(b")\r\n")


def class10(t, tmp, certdir, base):
    head = prelude() + select(n=3) + FETCH_LIST
    good = (b"From: Alice <alice@example.org>\r\nSubject: first\r\n"
            b"Date: Mon, 1 Jan 2024 12:00:00 +0000\r\nMessage-ID: <m1@x>\r\n\r\n")
    last = (b"From: \"Carol, C.\" <carol@example.org>\r\nSubject: third\r\n"
            b"Message-ID: <m3@x>\r\nIn-Reply-To: <m1@x>\r\nReferences: <m1@x>\r\n\r\n")
    many = b",\r\n ".join(b"U%d <u%d@x>" % (i, i) for i in range(10000))
    cases = [
        ("a header of 10 MB", [b"Subject: ", (9 << 20, "s"), b"\r\nFrom: ", (1 << 20, "f"),
                               b"@x\r\n\r\n"]),
        ("10,000 addresses", b"From: b@x\r\nTo: " + many + b"\r\nCc: " + many + b"\r\n\r\n"),
        ("NUL bytes", b"From: B\x00ob <b\x00@x>\r\nSubject: a\x00b\x00\r\n"
         b"Message-ID: <\x00>\r\n\r\n"),
        ("an unterminated quote", b'From: "Bob <b@x>, c@y\r\nSubject: q\r\n\r\n'),
        ("an unterminated comment", [b"From: b@x (Bob (((\r\nTo: ", (100000, "("),
                                     b"\r\n\r\n"]),
        ("unterminated angles", b"From: Bob <<<<b@x\r\nTo: <" * 1000 + b"\r\n\r\n"),
        ("only garbage", bytes(range(256)) * 64),
    ]
    for name, block in cases:
        script = (head + header_fetch(1, 1, good) + header_fetch(2, 2, block) +
                  header_fetch(3, 3, last) + "S: $TAG OK done\n" + LOGOUT)

        def listed(r, name=name):
            try:
                rows = {m["uid"]: m for m in json.loads(r.out)}
            except ValueError:
                rows = {}
            t.eq(sorted(rows), [1, 2, 3], "10 %s: the folder is listed" % name)
            t.ok(len(r.out) < 300000, "10 %s: what is printed is bounded (%d bytes)"
                 % (name, len(r.out)))
            if 1 in rows and 3 in rows:
                t.eq((rows[1].get("from"), rows[3].get("subject")),
                     ("Alice <alice@example.org>", "third"),
                     "10 %s: the good messages around it are intact" % name)
        case(t, tmp, "10 header block: " + name, script, ["list", "INBOX", "--json"],
             EX_OK, base=base, check=listed)


if __name__ == "__main__":
    ternlib.run(main)
