#!/usr/bin/env python3
"""tern mailto:URL (RFC 6068) in tmux, against the test Dovecot and a real
SMTP server (aiosmtpd on 127.0.0.1): the interface opens with the editor on
a message whose To, Cc, Subject and body come from the URL (other fields,
such as From, ignored); the review screen shows them and y sends it. A URL
that cannot be read is refused before the screen starts (exit 64)."""
import email
import email.policy
import importlib.util
import os
import shlex
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

EDITOR = """#!/bin/sh
printf 'written in the editor\\n' >> "$1"
"""
URL = ("mailto:alice@example.org?subject=hi%20there&cc=bob@example.org"
       "&body=first%20line%0D%0Asecond%20line&from=evil@example.com&X-Evil=1")


class Run(races.Run):
    """races.Run with words after the config."""

    def __init__(self, env, config, words):
        races.Run.n += 1
        q = shlex.quote
        self.stderr = os.path.join(env.dir, "stderr-m%d" % races.Run.n)
        self.status = os.path.join(env.dir, "status-m%d" % races.Run.n)
        self.config = config
        envs = " ".join("%s=%s" % (k, q(env.env[k]))
                        for k in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "TZ", "LANG",
                                  "LC_ALL", "EDITOR") if k in env.env)
        asan = "ASAN_OPTIONS=%s" % q(os.environ.get("ASAN_OPTIONS", "detect_leaks=1"))
        cmd = ("env %s %s TERM=screen %s -c %s %s 2>%s; echo $? > %s; sleep 600"
               % (envs, asan, q(ternlib.TERN), q(config), " ".join(q(w) for w in words),
                  q(self.stderr), q(self.status)))
        self.term = base.Term(cmd, dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8"))


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    spool = os.path.join(env.dir, "spool")
    port = send.free_port()
    smtpd = send.Smtpd(port, spool)
    try:
        config = srv.tern_config(env.config, tls="none", extra=(
            "smtp_host = 127.0.0.1\nsmtp_port = %d\nsmtp_tls = none\nsmtp_auth = none\n"
            "from = Tern User <tern@example.org>\n" % port))
        editor = os.path.join(env.dir, "editor.sh")
        with open(editor, "w") as f:
            f.write(EDITOR)
        os.chmod(editor, 0o755)
        env.env["EDITOR"] = editor
        env.env.pop("VISUAL", None)
        check_mailto(t, srv, env, config, smtpd)
        check_bad(t, env, config)
    finally:
        smtpd.stop()
        env.cleanup()
        srv.stop()


def check_mailto(t, srv, env, config, smtpd):
    run = Run(env, config, [URL])
    try:
        ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls))
        screen = "\n".join(lines)
        t.ok(ok, "mailto: the editor, then the review screen", screen)
        t.ok("alice@example.org" in screen and "bob@example.org" in screen,
             "review: To and Cc from the URL", screen)
        t.ok("hi there" in screen, "review: the subject from the URL", screen)
        t.ok("Tern User <tern@example.org>" in screen and "evil@" not in screen,
             "review: From is the account's, the URL's from= ignored", screen)
        time.sleep(0.5)
        run.term.keys("y")
        ok = base.wait_server(lambda: len(smtpd.messages()) == 1)
        t.ok(ok, "y: the SMTP server got the message")
        msgs = smtpd.messages()
        if msgs:
            env_, raw = msgs[0]
            m = email.message_from_bytes(raw, policy=email.policy.default)
            body = m.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
            t.eq(m["Subject"], "hi there", "the subject as the URL gave it")
            t.ok("first line\nsecond line\n" in body and "written in the editor" in body,
                 "the body: the URL's lines, then the editor's", repr(body))
            t.ok(sorted(env_["rcpts"]) == ["alice@example.org", "bob@example.org"],
                 "the envelope: To and Cc of the URL", repr(env_))
            t.ok("X-Evil" not in m and "evil@" not in str(m["From"]),
                 "unknown fields are not headers", str(m))
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "mailto: quits with status 0")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


def check_bad(t, env, config):
    for url, what in (("mailto:bob?subject=x", "not an e-mail address"),
                      ("mailto:a@example.org?body=%zz", "escape")):
        run = Run(env, config, [url])
        try:
            t.eq(run.exit_code(), "64", "%s: refused before the screen, exit 64" % url)
            t.ok(what in run.err(), "%s: says why" % url, run.err())
        finally:
            run.kill()


if __name__ == "__main__":
    ternlib.run(main)
