#!/usr/bin/env python3
"""The preview column (RFC 8970 PREVIEW, issue 16), in tmux against the test
Dovecot, which offers PREVIEW and PREVIEW (LAZY).

A message appended for the test (newest, so on the first row) has a known
first line. Dovecot answers LAZY with NIL until it has made a preview, so
the text on screen comes from the fetch tern makes once the folder is
loaded. Covers: the preview shows on the test message's row after its
subject; G (the oldest rows, which the first screen's fetch did not
cover) brings theirs too; it is cached, so `--offline` shows it too; with
`[ui] preview = false` the row has the subject and no preview."""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


base = _load("tui_base", "test-tui.py")
races = _load("tui_races", "test-tui-races.py")
q = base.shell_quote

MID = "<preview-tui-1@tern.test>"
SUBJECT = "Preview TUI message"
CANARY = "Canarywords"


def message():
    return ("From: Preview <preview@example.org>\r\n"
            "To: tern@example.org\r\n"
            "Subject: %s\r\n"
            "Date: Thu, 01 Jan 2037 12:00:00 +0000\r\n"
            "Message-ID: %s\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "%s of the preview test.\r\n" % (SUBJECT, MID, CANARY)).encode()


class Run(races.Run):
    """races.Run with extra arguments (--offline)."""

    def __init__(self, env, config, args=""):
        races.Run.n += 1
        self.stderr = os.path.join(env.dir, "stderr-p%d" % races.Run.n)
        self.status = os.path.join(env.dir, "status-p%d" % races.Run.n)
        self.config = config
        envs = " ".join("%s=%s" % (k, q(env.env[k]))
                        for k in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "TZ", "LANG",
                                  "LC_ALL") if k in env.env)
        asan = "ASAN_OPTIONS=%s" % q(os.environ.get("ASAN_OPTIONS", "detect_leaks=1"))
        cmd = ("env %s %s TERM=screen %s -c %s %s 2>%s; echo $? > %s; sleep 600"
               % (envs, asan, q(ternlib.TERN), q(config), args, q(self.stderr),
                  q(self.status)))
        self.term = base.Term(cmd, dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8"))


def subject_row(lines):
    return next((l for l in lines if SUBJECT in l), None)


def preview_after_subject(lines):
    row = subject_row(lines)
    return row is not None and CANARY in row and row.index(CANARY) > row.index(SUBJECT)


def bottom_previews(lines):
    """Rows of the lower half of the list that show a preview (Dovecot's
    start with "Hello,") after the subject."""
    rows = [l.split("\u2502", 1)[-1] for l in lines[base.HEIGHT // 2:base.HEIGHT - 2]]
    return [r for r in rows if base.ROW.match(r) and "  Hello," in r]


def quit_clean(t, run, what):
    run.term.keys("q")
    code = run.exit_code()
    t.eq(code, "0", "%s: quits with status 0" % what)
    t.eq(run.err(), "", "%s: nothing on stderr" % what)


def session(t, env, config, n, what, args="", want_preview=True):
    run = Run(env, config, args)
    try:
        if args:
            ok, lines = run.term.wait(lambda ls: subject_row(ls) is not None)
        else:
            ok, lines = races.wait_loaded(run, n)
        t.ok(ok, "%s: INBOX shown" % what, "\n".join(lines))
        if os.environ.get("TERN_TEST_SHOW"):
            t.diag("\n".join(run.term.screen()))
        if want_preview:
            ok, lines = run.term.wait(preview_after_subject)
            t.ok(ok, "%s: the preview shows after the subject" % what, "\n".join(lines))
            if not args:
                run.term.keys("G")
                ok, lines = run.term.wait(lambda ls: len(bottom_previews(ls)) >= 3)
                t.ok(ok, "%s: G: the oldest rows get their previews too" % what,
                     "\n".join(lines))
                run.term.keys("g")
        else:
            # the cache holds the preview (the sessions before showed it
            # from there at once): a column that were on would show it on
            # the row's first drawing
            row = subject_row(lines)
            t.ok(row is not None and CANARY not in row,
                 "%s: the subject shows, no preview" % what, "\n".join(lines))
        quit_clean(t, run, what)
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


def main(t):
    # more messages than the first screen's fetch covers
    srv = ternlib.start_server(t, folders={"INBOX": 300})
    env = ternlib.Env()
    try:
        c = srv.imap()
        typ, data = c.append("INBOX", None, None, message())
        t.ok(typ == "OK", "the test message is appended", repr(data))
        c.select("INBOX", readonly=True)
        typ, data = c.fetch("1:*", "(PREVIEW (LAZY))")
        t.ok(typ == "OK" and all(b"PREVIEW NIL" in d for d in data),
             "Dovecot has made no preview yet (LAZY answers NIL)", repr(data[:2]))
        c.logout()
        n = len(srv.mailbox["INBOX"]) + 1
        config = srv.tern_config(env.config, tls="none")
        session(t, env, config, n, "online")
        session(t, env, config, n, "--offline", args="--offline")
        off = srv.tern_config(os.path.join(env.dir, "off"), tls="none",
                              extra="[ui]\npreview = false\n")
        session(t, env, off, n, "preview = false", want_preview=False)
    finally:
        env.cleanup()
        srv.stop()


ternlib.run(main)
