#!/usr/bin/env python3
"""The summary form against scripted servers (issue 17): what Dovecot never
does. Each case is one fake-imapd script (tests/fake/fake-imapd.py) that
fails unless tern sends exactly the commands listed, and one `tern list`.

 1. A folder of 5,000 on a server that answers BAD to
    BODY.PEEK[HEADER.FIELDS (...)]: the probe drops the header fields after
    the first refusal, times ENVELOPE twice, stores ENVELOPE; the load asks
    ENVELOPE and lists all 5,000. A second run against the same server (same
    greeting and capabilities) loads another cold folder of 5,000 without
    probing.
 2. A server that is slow to answer the header fields (0.3 s each) and
    quick with ENVELOPE: the probe ends with ENVELOPE.
 3. summary_fetch = headers on a server that says NO to the header fields:
    the load is asked again with ENVELOPE and succeeds (a refused form never
    fails the load).
 4. A server that refuses both: the load fails with the server's answer,
    after one try of each."""
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

FAKE = os.path.join(ternlib.SRCDIR, "tests", "fake", "fake-imapd.py")
CAPS = "IMAP4rev1 UIDPLUS MOVE"
N = 5000
HDR = (r"BODY\.PEEK\[HEADER\.FIELDS \(FROM TO CC SUBJECT DATE MESSAGE-ID IN-REPLY-TO "
       r"REFERENCES\)\]\)")
ENV = r"ENVELOPE BODY\.PEEK\[HEADER\.FIELDS \(REFERENCES\)\]\)"
ITEMS = r"\(UID FLAGS INTERNALDATE RFC822\.SIZE "
PROBE_HDR = "C~ \\S+ FETCH 4001:5000 " + ITEMS + HDR + "\n"
PROBE_ENV = "C~ \\S+ FETCH 4001:5000 " + ITEMS + ENV + "\n"
LOAD_HDR = "C~ \\S+ UID FETCH 1:\\* " + ITEMS + HDR + "\n"
LOAD_ENV = "C~ \\S+ UID FETCH 1:\\* " + ITEMS + ENV + "\n"
OK = "S: $TAG OK done\n"
LOGOUT = "C~ \\S+ LOGOUT\nS: * BYE bye\nS: $TAG OK bye\nEXPECT_EOF\n"


def prelude():
    return ("S: * OK [CAPABILITY %s] fake ready\n"
            "C~ \\S+ LOGIN .*\n"
            "S: $TAG OK [CAPABILITY %s] logged in\n" % (CAPS, CAPS))


def examine(folder, n):
    return ("C~ \\S+ EXAMINE %s\n"
            "S: * %d EXISTS\n"
            "S: * OK [UIDVALIDITY 7] ok\n"
            "S: * OK [UIDNEXT %d] ok\n"
            "S: $TAG OK [READ-ONLY] done\n" % (re.escape(folder), n, n + 1))


def envelopes(lo, hi):
    """FETCH answers with ENVELOPE for sequence numbers lo..hi (UID = seq)."""
    out = b"".join(
        b"* %d FETCH (UID %d FLAGS (\\Seen) INTERNALDATE \"01-Jan-2024 12:00:00 +0000\" "
        b"RFC822.SIZE 100 ENVELOPE (\"Mon, 1 Jan 2024 12:00:00 +0000\" \"message %d\" "
        b"((\"Alice\" NIL \"alice\" \"example.org\")) NIL NIL NIL NIL NIL NIL \"<m%d@x>\") "
        b"BODY[HEADER.FIELDS (REFERENCES)] {2}\r\n\r\n)\r\n" % (i, i, i, i)
        for i in range(lo, hi + 1))
    return "RAW: %r\n" % (out,)


class Case:
    def __init__(self, t, tmp, name, env=None):
        self.t, self.name = t, name
        self.dir = os.path.join(tmp, re.sub(r"[^A-Za-z0-9]+", "-", name))
        os.makedirs(self.dir)
        self.env = env or ternlib.Env()
        self.db = os.path.join(self.env.dir, "cache", "tern", "fake.db")

    def run(self, script, argv, extra=""):
        path = os.path.join(self.dir, "script")
        with open(path, "w") as f:
            f.write(script)
        err = open(os.path.join(self.dir, "server.err"), "w+b")
        srv = subprocess.Popen([sys.executable, FAKE, path, "--timeout", "60"],
                               stdout=subprocess.PIPE, stderr=err)
        port = int(srv.stdout.readline().decode().split()[1])
        with open(self.env.config, "w") as f:
            f.write("[account fake]\nhost = 127.0.0.1\nport = %d\ntls = none\nuser = u\n"
                    "password = secret\ntimeout = 60\n%s" % (port, extra))
        os.chmod(self.env.config, 0o600)
        r = self.env.tern("--debug", *argv, timeout=300)
        try:
            r.srv_rc = srv.wait(timeout=60)
        except subprocess.TimeoutExpired:
            srv.kill()
            r.srv_rc = srv.wait()
        srv.stdout.close()
        err.seek(0)
        r.srv_err = err.read().decode(errors="replace")
        err.close()
        self.t.ok(r.srv_rc == 0, "%s: tern sent exactly what the script expects" % self.name,
                  r.srv_err[-3000:] + r.stderr.decode(errors="replace")[-1000:])
        return r

    def stored(self):
        db = sqlite3.connect(self.db)
        try:
            return db.execute("SELECT server, form, headers_us, envelope_us "
                              "FROM summary_form").fetchall()
        finally:
            db.close()


def listed(t, name, r, n):
    t.eq(r.returncode, 0, "%s: list exits 0 (stderr %r)" % (name, r.stderr[-300:]))
    rows = json.loads(r.stdout) if r.returncode == 0 else []
    t.eq(len(rows), n, "%s: every message listed" % name)


def refused_headers(t, tmp):
    c = Case(t, tmp, "1 header fields refused")
    script = (prelude() + examine("INBOX", N) +
              PROBE_HDR + "S: $TAG BAD unknown fetch attribute\n" +
              PROBE_ENV + envelopes(4001, N) + OK +
              PROBE_ENV + envelopes(4001, N) + OK +
              LOAD_ENV + envelopes(1, N) + OK + LOGOUT)
    r = c.run(script, ["list", "INBOX", "--json"])
    listed(t, c.name, r, N)
    st = c.stored()
    t.ok(len(st) == 1 and st[0][1] == 1 and st[0][2] == 0 and st[0][3] > 0,
         "1: ENVELOPE stored, the header fields marked refused (0 us)", repr(st))
    t.ok(len(st) == 1 and st[0][0] == "fake ready | IMAP4REV1 MOVE UIDPLUS",
         "1: stored for this server's greeting and capabilities", repr(st))
    c2 = Case(t, tmp, "1 same server again", env=c.env)
    r = c2.run(prelude() + examine("Other", N) + LOAD_ENV + envelopes(1, N) + OK + LOGOUT,
               ["list", "Other", "--json"])
    listed(t, c2.name, r, N)
    c.env.cleanup()


def slow_headers(t, tmp):
    c = Case(t, tmp, "2 slow header fields")
    slow = "SLEEP 0.3\n" + OK
    script = (prelude() + examine("INBOX", N) +
              PROBE_HDR + slow + PROBE_ENV + envelopes(4001, N) + OK +
              PROBE_HDR + slow + PROBE_ENV + envelopes(4001, N) + OK +
              LOAD_ENV + envelopes(1, N) + OK + LOGOUT)
    r = c.run(script, ["list", "INBOX", "--json"])
    listed(t, c.name, r, N)
    st = c.stored()
    t.ok(len(st) == 1 and st[0][1] == 1 and st[0][2] >= 300000 and st[0][3] < st[0][2],
         "2: ENVELOPE stored, the header fields timed at 0.3 s or more", repr(st))
    c.env.cleanup()


def refused_load(t, tmp):
    c = Case(t, tmp, "3 configured headers refused")
    script = (prelude() + examine("INBOX", 3) +
              LOAD_HDR + "S: $TAG NO [SERVERBUG] header fields are broken here\n" +
              LOAD_ENV + envelopes(1, 3) + OK + LOGOUT)
    r = c.run(script, ["list", "INBOX", "--json"], extra="summary_fetch = headers\n")
    listed(t, c.name, r, 3)
    c.env.cleanup()


def refused_both(t, tmp):
    c = Case(t, tmp, "4 both refused")
    script = (prelude() + examine("INBOX", 3) +
              LOAD_HDR + "S: $TAG BAD no header fields\n" +
              LOAD_ENV + "S: $TAG BAD no envelope either\n" + LOGOUT)
    r = c.run(script, ["list", "INBOX", "--json"])
    t.ok(r.returncode != 0 and b"no envelope either" in r.stderr,
         "4: the load fails with the server's last answer", r.stderr[-500:])
    c.env.cleanup()


def main(t):
    tmp = tempfile.mkdtemp(prefix="tern-form-fake-")
    try:
        refused_headers(t, tmp)
        slow_headers(t, tmp)
        refused_load(t, tmp)
        refused_both(t, tmp)
    finally:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    ternlib.run(main)
