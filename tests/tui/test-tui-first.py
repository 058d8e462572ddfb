#!/usr/bin/env python3
"""A new user's first run, in tmux against the test Dovecot: an empty HOME,
`tern` with no configuration, the setup answered on the terminal, then keys
in the interface and a clean quit.

Covers: the setup offers `none` for a loopback server; the account it writes
works at once (INBOX draws) and the first keys (j, ?, Down) do not crash;
with the default `implicit` against a plain port the TLS error is shown and
`$` (try again) does not crash either; a fatal signal leaves the terminal
usable (the screen is restored, the shell reads lines again)."""
import importlib.util
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402

_spec = importlib.util.spec_from_file_location("tui_base", os.path.join(HERE, "test-tui.py"))
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)

WAIT = base.WAIT
q = base.shell_quote


def main(t):
    srv = ternlib.start_server(t)
    try:
        check_first_run(t, srv)
        check_first_run_tls_error(t, srv)
        check_fatal_signal(t, srv)
    finally:
        srv.stop()


class Shell:
    """An interactive shell in tmux with a private, empty HOME."""

    def __init__(self):
        self.env = ternlib.Env()
        self.tenv = dict(self.env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8", TERM="screen")
        self.term = base.Term("env PS1='SHELL-PROMPT$ ' bash --norc --noprofile -i", self.tenv)
        self.stderr = os.path.join(self.env.dir, "stderr")
        self.term.wait_text("SHELL-PROMPT$")

    def start_tern(self, args=""):
        asan = os.environ.get("ASAN_OPTIONS", "detect_leaks=1")
        self.term.text("ASAN_OPTIONS=%s %s %s 2>%s; echo EXIT=$?" % (
            q(asan), q(ternlib.TERN), args, q(self.stderr)))
        self.term.keys("Enter")

    def answer(self, question, text):
        ok, lines = self.term.wait_text(question)
        if not ok:
            raise RuntimeError("no question %r:\n%s" % (question, "\n".join(lines)))
        if text:
            self.term.text(text)
        self.term.keys("Enter")

    def setup(self, srv, tls):
        self.answer("Set up an account now?", "y")
        self.answer("IMAP server", "127.0.0.1")
        ok, lines = self.term.wait_text("Security:")
        security = next((l for l in lines if "Security:" in l), "")
        self.answer("Security:", tls)
        self.answer("Port", str(srv.imap_port))
        self.answer("User name", srv.user)
        self.answer("prints the password", "echo %s" % srv.password)
        return security

    def exit_code(self):
        ok, lines = self.term.wait(lambda ls: any(l.startswith("EXIT=") for l in ls))
        for l in lines:
            if l.startswith("EXIT="):
                return l[5:].strip()
        return "(still running)"

    def stderr_text(self):
        if not os.path.exists(self.stderr):
            return ""
        return open(self.stderr, errors="replace").read()

    def close(self):
        self.term.kill()
        self.env.cleanup()


def status_line(lines):
    return lines[base.HEIGHT - 2] if len(lines) >= base.HEIGHT - 1 else ""


def check_first_run(t, srv):
    sh = Shell()
    try:
        t.ok(not os.listdir(os.path.join(sh.env.dir, "config", "tern")),
             "first run: no configuration yet")
        sh.start_tern()
        security = sh.setup(srv, "none")
        t.ok("none" in security, "the setup offers none (loopback servers)", security)
        label = base.count_label(len(srv.mailbox["INBOX"]))
        ok, lines = sh.term.wait(lambda ls: label in status_line(ls))
        t.ok(ok, "first run: INBOX draws with the new account", "\n".join(lines))
        sh.term.keys("j")
        sh.term.keys("Down")
        sh.term.keys("?")
        ok, lines = sh.term.wait_text("next_unread")
        t.ok(ok, "first run: j, Down and ? work (no crash)", "\n".join(lines))
        sh.term.keys("q")
        ok, lines = sh.term.wait(lambda ls: label in status_line(ls))
        sh.term.keys("q")
        t.eq(sh.exit_code(), "0", "first run: q quits with status 0")
        t.eq(sh.stderr_text(), "", "first run: nothing on stderr")
        cfg = os.path.join(sh.env.dir, "config", "tern", "config")
        t.ok(os.path.exists(cfg) and (os.stat(cfg).st_mode & 0o777) == 0o600,
             "first run: the config was written with mode 0600")
        # The second start reads it without asking.
        sh.start_tern()
        ok, lines = sh.term.wait(lambda ls: label in status_line(ls))
        t.ok(ok, "second run: the written config opens INBOX", "\n".join(lines))
        sh.term.keys("j", "q")
        t.eq(sh.exit_code(), "0", "second run: quits with status 0")
    except BaseException:
        t.diag("screen:\n" + "\n".join(sh.term.screen()))
        raise
    finally:
        sh.close()


def check_first_run_tls_error(t, srv):
    sh = Shell()
    try:
        sh.start_tern()
        sh.setup(srv, "")  # the default, implicit, against the plain port
        ok, lines = sh.term.wait(lambda ls: "TLS" in status_line(ls) or
                                 any("TLS" in l for l in ls))
        t.ok(ok, "implicit on a plain port: the TLS error is shown", "\n".join(lines))
        sh.term.keys("$")
        time.sleep(0.5)
        sh.term.keys("j")
        sh.term.keys("?")
        ok, lines = sh.term.wait_text("next_unread")
        t.ok(ok, "after $ the interface still answers keys", "\n".join(lines))
        sh.term.keys("q")
        time.sleep(0.3)
        sh.term.keys("q")
        t.eq(sh.exit_code(), "0", "TLS error run: q quits with status 0")
        t.eq(sh.stderr_text(), "", "TLS error run: nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(sh.term.screen()))
        raise
    finally:
        sh.close()


def check_fatal_signal(t, srv):
    """A crash (SIGSEGV sent from outside) must leave the terminal usable:
    the screen is restored and the shell reads a typed line again."""
    sh = Shell()
    try:
        srv.tern_config(sh.env.config, tls="none")
        # no sanitizer here: ASan would report the SIGSEGV itself
        sh.term.text("ASAN_OPTIONS=handle_segv=0 %s -c %s 2>%s; echo EXIT=$?" % (
            q(ternlib.TERN), q(sh.env.config), q(sh.stderr)))
        sh.term.keys("Enter")
        label = base.count_label(len(srv.mailbox["INBOX"]))
        ok, lines = sh.term.wait(lambda ls: label in status_line(ls))
        t.ok(ok, "crash run: the interface is up", "\n".join(lines))
        pid = subprocess.run(["pgrep", "-f", "-n", "-x", ".*tern -c %s" % sh.env.config],
                             capture_output=True, text=True).stdout.split()
        t.ok(len(pid) == 1, "crash run: found its process", repr(pid))
        if pid:
            os.kill(int(pid[0]), signal.SIGSEGV)
        code = sh.exit_code()
        t.eq(code, str(128 + signal.SIGSEGV), "crash run: it died of SIGSEGV")
        # In raw, no-echo mode the typed text would not appear and Enter
        # would not run it: the shell answering shows the terminal is sane.
        sh.term.text("echo SANE-$((40+2))")
        sh.term.keys("Enter")
        ok, lines = sh.term.wait_text("SANE-42")
        t.ok(ok, "after the crash the terminal echoes and reads lines", "\n".join(lines))
        mode = sh.term.display("#{alternate_on}")
        t.eq(mode, "0", "after the crash the alternate screen is left")
        cursor = sh.term.display("#{cursor_flag}")
        t.eq(cursor, "1", "after the crash the cursor is visible")
    except BaseException:
        t.diag("screen:\n" + "\n".join(sh.term.screen()))
        raise
    finally:
        sh.close()


if __name__ == "__main__":
    ternlib.run(main)
