#!/usr/bin/env python3
"""The viewer against a scripted server whose BODYSTRUCTURE is unusable
(issue 14): in tmux, on tests/fake/fake-imapd.py.

The server answers the viewer's UID FETCH (BODYSTRUCTURE BODY.PEEK[HEADER])
with the header alone (no structure). The viewer then asks for the first
megabyte, BODY.PEEK[]<0.1048576>, of the 2 MB message and shows it with
the notice that only its start was fetched. The script checks the exact
commands (the fake server fails on any other), and tern quits cleanly:
status 0, no sanitizer report.

A message held in parts (over 64 KiB: its structure, header and text
part fetched) whose attachment the server will not decode: v, s asks for
BINARY.PEEK[2], the server answers NO [UNKNOWN-CTE], tern asks for
BODY.PEEK[2] and decodes the base64 itself; the file saved holds the
decoded bytes."""
import base64
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "hostile", os.path.join(ternlib.SRCDIR, "tests", "fake", "test-hostile.py"))
hostile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hostile)
_spec = importlib.util.spec_from_file_location(
    "tui", os.path.join(ternlib.SRCDIR, "tests", "tui", "test-tui.py"))
tui = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tui)
raw = hostile.raw

CAPS = "IMAP4rev1 BINARY UIDPLUS MOVE"
HEADER = (b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n"
          b"Subject: broken structure\r\nDate: Mon, 1 Jan 2024 12:00:00 +0000\r\n"
          b"Message-ID: <m@x>\r\nMIME-Version: 1.0\r\n"
          b"Content-Type: text/plain; charset=utf-8\r\n\r\n")
TEXT = b"The start of a message whose structure the server left out."
START = HEADER + TEXT + b"\r\n" + b"filler line\r\n" * 100


def opening(size):
    env = (b'("Mon, 1 Jan 2024 12:00:00 +0000" "broken structure" '
           b'(("Alice" NIL "alice" "example.org")) NIL NIL NIL NIL NIL NIL "<m@x>")')
    listing = (b'* 1 FETCH (UID 1 FLAGS (\\Seen) INTERNALDATE "01-Jan-2024 12:00:00 +0000" '
               b"RFC822.SIZE %d ENVELOPE " % size + env +
               b" BODY[HEADER.FIELDS (REFERENCES)] {2}\r\n\r\n)\r\n")
    login = ("S: * OK [CAPABILITY %s] fake ready\n"
             "C~ \\S+ LOGIN .*\n"
             "S: $TAG OK [CAPABILITY %s] logged in\n" % (CAPS, CAPS))
    return (login +
            "C~ \\S+ SELECT INBOX\n"
            "S: * 1 EXISTS\n"
            "S: * OK [UIDVALIDITY 7] ok\n"
            "S: * OK [UIDNEXT 100] ok\n"
            "S: $TAG OK [READ-WRITE] done\n"
            "C~ \\S+ FETCH 1:\\* .*\n" + raw(listing) + "S: $TAG OK done\n"
            'C~ \\S+ LIST "" "\\*"\n'
            'S: * LIST () "/" INBOX\n'
            "S: $TAG OK done\n"
            "C~ \\S+ STATUS INBOX .*\n"
            "S: * STATUS INBOX (MESSAGES 1 UNSEEN 0 UIDNEXT 100)\n"
            "S: $TAG OK done\n")


def no_structure_script():
    return (opening(2000000) +
            "C~ \\S+ UID FETCH 1 \\(UID BODYSTRUCTURE BODY\\.PEEK\\[HEADER\\]\\)\n" +
            raw(b"* 1 FETCH (UID 1 BODY[HEADER] {%d}\r\n" % len(HEADER) + HEADER + b")\r\n") +
            "S: $TAG OK done\n"
            "C~ \\S+ UID FETCH 1 \\(UID BODY\\.PEEK\\[\\]<0\\.1048576>\\)\n" +
            raw(b"* 1 FETCH (UID 1 BODY[]<0> {%d}\r\n" % len(START) + START + b")\r\n") +
            "S: $TAG OK done\n"
            "EXPECT_EOF\n")


PART_HEADER = (b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n"
               b"Subject: broken structure\r\nDate: Mon, 1 Jan 2024 12:00:00 +0000\r\n"
               b"Message-ID: <m@x>\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: multipart/mixed; boundary=b\r\n\r\n")
PART_TEXT = b"The text of a message held in parts.\r\n"
PART_MIME = b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
ATTACHMENT = bytes(range(32, 127)) * 3


def unknown_cte_script():
    enc = base64.encodebytes(ATTACHMENT).replace(b"\n", b"\r\n")
    structure = (b'(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" %d 1)'
                 b'("APPLICATION" "OCTET-STREAM" ("NAME" "a.bin") NIL NIL "BASE64" %d) "MIXED")'
                 % (len(PART_TEXT), len(enc)))
    return (opening(100000) +
            "C~ \\S+ UID FETCH 1 \\(UID BODYSTRUCTURE BODY\\.PEEK\\[HEADER\\]\\)\n" +
            raw(b"* 1 FETCH (UID 1 BODYSTRUCTURE " + structure + b" BODY[HEADER] {%d}\r\n"
                % len(PART_HEADER) + PART_HEADER + b")\r\n") +
            "S: $TAG OK done\n"
            "C~ \\S+ UID FETCH 1 \\(UID BODY\\.PEEK\\[1\\.MIME\\] BODY\\.PEEK\\[1\\]\\)\n" +
            raw(b"* 1 FETCH (UID 1 BODY[1.MIME] {%d}\r\n" % len(PART_MIME) + PART_MIME +
                b" BODY[1] {%d}\r\n" % len(PART_TEXT) + PART_TEXT + b")\r\n") +
            "S: $TAG OK done\n"
            "C~ \\S+ UID FETCH 1 \\(UID BINARY\\.PEEK\\[2\\]\\)\n"
            "S: $TAG NO [UNKNOWN-CTE] cannot decode that\n"
            "C~ \\S+ UID FETCH 1 \\(UID BODY\\.PEEK\\[2\\]\\)\n" +
            raw(b"* 1 FETCH (UID 1 BODY[2] {%d}\r\n" % len(enc) + enc + b")\r\n") +
            "S: $TAG OK done\n"
            "EXPECT_EOF\n")


class Session:
    """tern's interface in tmux on the fake server running script."""

    def __init__(self, t, tmp, name, script, extra=""):
        self.t, self.name = t, name
        self.dir = os.path.join(tmp, name.replace(" ", "-"))
        os.makedirs(self.dir)
        spath = os.path.join(self.dir, "script")
        with open(spath, "w") as f:
            f.write(script)
        self.srv_err = open(os.path.join(self.dir, "server.err"), "w+b")
        self.srv = subprocess.Popen([sys.executable, hostile.FAKE, spath, "--timeout", "60"],
                                    stdout=subprocess.PIPE, stderr=self.srv_err)
        port = int(self.srv.stdout.readline().split()[1])
        self.env = ternlib.Env()
        # no poll while the script runs (the server offers no IDLE)
        with open(self.env.config, "w") as f:
            f.write("[account a]\nhost = 127.0.0.1\nport = %d\ntls = none\nuser = u\n"
                    "password = p\ntimeout = 30\n[ui]\npoll_interval = 86400\n%s"
                    % (port, extra))
        os.chmod(self.env.config, 0o600)
        self.stderr = os.path.join(self.dir, "stderr")
        self.status = os.path.join(self.dir, "status")
        envs = " ".join("%s=%s" % (k, tui.shell_quote(self.env.env[k]))
                        for k in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "TZ", "LANG",
                                  "LC_ALL", "PATH") if k in self.env.env)
        cmd = ("env %s TERM=screen %s -c %s 2>%s; echo $? > %s; sleep 600"
               % (envs, tui.shell_quote(ternlib.TERN), tui.shell_quote(self.env.config),
                  tui.shell_quote(self.stderr), tui.shell_quote(self.status)))
        self.term = tui.Term(cmd, self.env.env)

    def finish(self, quits=2):
        """q until tern exits; the server's verdict and tern's exit."""
        t, name = self.t, self.name
        for _ in range(quits):
            self.term.keys("q")
            time.sleep(0.5)
        deadline = time.time() + 30
        while time.time() < deadline and not os.path.exists(self.status):
            time.sleep(0.1)
        time.sleep(0.2)
        code = open(self.status).read().strip() if os.path.exists(self.status) else "(running)"
        t.eq(code, "0", "%s: q quits with status 0" % name)
        err = open(self.stderr, errors="replace").read() if os.path.exists(self.stderr) else ""
        t.ok("Sanitizer" not in err and "runtime error" not in err and "LeakSanitizer" not in err,
             "%s: no sanitizer report" % name, err[-2000:])
        try:
            rc = self.srv.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.srv.kill()
            rc = self.srv.wait()
        self.srv_err.seek(0)
        t.ok(rc == 0, "%s: the server saw exactly the commands of its script" % name,
             self.srv_err.read().decode(errors="replace")[-2000:])

    def close(self):
        self.term.kill()
        if self.srv.poll() is None:
            self.srv.kill()
            self.srv.wait()
        self.srv.stdout.close()
        self.srv_err.close()
        self.env.cleanup()


def no_structure(t, tmp):
    name = "no BODYSTRUCTURE"
    s = Session(t, tmp, name, no_structure_script())
    try:
        ok, lines = s.term.wait_text("broken structure")
        t.ok(ok, "%s: the list shows the message" % name, "\n".join(lines))
        s.term.keys("Enter")
        ok, lines = s.term.wait(lambda ls: any(TEXT.decode() in l for l in ls) and
                                any("Only the first" in l for l in ls))
        t.ok(ok, "%s: the viewer shows the first megabyte, saying only its start came"
             % name, "\n".join(lines))
        s.finish()
    except BaseException:
        t.diag("screen:\n" + "\n".join(s.term.screen()))
        raise
    finally:
        s.close()


def unknown_cte(t, tmp):
    name = "UNKNOWN-CTE"
    save_dir = os.path.join(tmp, "saved")
    os.makedirs(save_dir)
    s = Session(t, tmp, name, unknown_cte_script(), "save_dir = %s\n" % save_dir)
    try:
        ok, lines = s.term.wait_text("broken structure")
        t.ok(ok, "%s: the list shows the message" % name, "\n".join(lines))
        s.term.keys("Enter")
        ok, lines = s.term.wait_text(PART_TEXT.decode().strip())
        t.ok(ok, "%s: the viewer shows the text part it fetched" % name, "\n".join(lines))
        s.term.keys("v")
        ok, lines = s.term.wait(lambda ls: any("Parts (" in l for l in ls) and
                                any("a.bin" in l for l in ls))
        t.ok(ok, "%s: v lists the attachment from the structure" % name, "\n".join(lines))
        s.term.keys("s")
        ok, lines = s.term.wait_text("Save to:")
        t.ok(ok, "%s: s: BINARY refused, BODY.PEEK fetched it; the save prompt" % name,
             "\n".join(lines))
        s.term.keys("Enter")
        want = os.path.join(save_dir, "a.bin")
        ok, lines = s.term.wait_text("Saved")
        got = open(want, "rb").read() if os.path.exists(want) else b""
        t.ok(ok and got == ATTACHMENT, "%s: the saved file holds the part decoded by tern"
             % name, "%r %r" % (os.listdir(save_dir), got[:80]))
        s.finish(3)
    except BaseException:
        t.diag("screen:\n" + "\n".join(s.term.screen()))
        raise
    finally:
        s.close()


def main(t):
    if not os.path.exists(ternlib.TERN):
        t.skip_all("no tern binary at %s" % ternlib.TERN)
    if shutil.which("tmux") is None:
        raise RuntimeError("tmux is needed for the interface's tests")
    tmp = tempfile.mkdtemp(prefix="tern-tui-fake-")
    try:
        no_structure(t, tmp)
        unknown_cte(t, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    ternlib.run(main)
