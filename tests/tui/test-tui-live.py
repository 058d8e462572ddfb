#!/usr/bin/env python3
"""Live counts everywhere (issue 16), in tmux against the test Dovecot.

tern has INBOX open. A second client appends to, flags in and expunges
from Archive, which is not selected: the folder pane's unread count for
Archive follows without a key and without polling (NOTIFY), Archive is
marked "*" as having new mail until it is opened, the message line says
where the mail came, and new_mail_command runs without a shell with the
folder and the count as its last two arguments (recorded by a script).
The user's own move (m) to Junk fires nothing: no mark, no message, no
command (checked once a later outside APPEND to Lists has been told, so
Junk's STATUS came before). The same with NOTIFY switched off in Dovecot
(mailbox_list_index = no) and poll_interval = 1: the LIST-STATUS poll."""
import importlib.util
import os
import shutil
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
WAIT = 40


def folder_row(lines, name):
    """The folder pane's row for a top-level folder (its label, then the
    count column), or ''."""
    for l in lines[:base.HEIGHT - 2]:
        pane = l.split("│", 1)[0]
        if pane.strip().startswith(name + " ") or pane.strip() == name:
            return pane.strip()
    return ""


def count_of(row, name):
    return row[len(name):].strip()


def msg(n, seen=False):
    return base.raw_message(b"Live test %d" % n, "<live-%d@tern.test>" % n)


def recorded(path):
    try:
        with open(path) as f:
            return f.read().split("\n")[:-1]
    except OSError:
        return []


def start(env, srv, record, poll):
    extra = "[ui]\nnew_mail_command = %s --tag\n%s\n[keys]\ngoto_folder = G\n" % (
        record, "poll_interval = 1\n" if poll else "")
    srv.tern_config(env.config, extra=extra)
    stderr = os.path.join(env.dir, "stderr")
    status = os.path.join(env.dir, "status")
    envs = " ".join("%s=%s" % (k, base.shell_quote(env.env[k]))
                    for k in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "TZ", "LANG",
                              "LC_ALL") if k in env.env)
    asan = "ASAN_OPTIONS=%s" % base.shell_quote(os.environ.get("ASAN_OPTIONS",
                                                               "detect_leaks=1"))
    cmd = ("env %s %s TERM=screen %s -c %s --debug 2>%s; echo $? > %s; sleep 600"
           % (envs, asan, base.shell_quote(ternlib.TERN), base.shell_quote(env.config),
              base.shell_quote(stderr), base.shell_quote(status)))
    tenv = dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8")
    return base.Term(cmd, tenv), stderr, status


def watching(env, timeout=WAIT):
    """The watch is on: NOTIFY answered, or the poll chosen."""
    log = os.path.join(env.dir, "cache", "tern", "tern.log")

    def on():
        try:
            text = open(log, errors="replace").read()
        except OSError:
            return False
        return "OK NOTIFY" in text or "watch: no NOTIFY" in text
    return base.wait_server(on, timeout)


def unseen_uid(srv, folder):
    c = srv.imap()
    try:
        c.select(folder)
        typ, data = c.uid("SEARCH", "UNSEEN")
        return data[0].split()[-1].decode()
    finally:
        c.logout()


def remote(srv, folder, fn):
    c = srv.imap()
    try:
        c.select(folder)
        fn(c)
    finally:
        c.logout()


def scenario(t, srv, env, label, poll):
    record = os.path.join(env.dir, "record-%s.sh" % label)
    out = os.path.join(env.dir, "argv-%s" % label)
    with open(record, "w") as f:
        f.write("#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\n' \"$a\" >> %s; done\n"
                % base.shell_quote(out))
    os.chmod(record, 0o755)
    term, stderr, status = start(env, srv, record, poll)
    try:
        ok, lines = term.wait(lambda ls: folder_row(ls, "Archive") != "", WAIT)
        t.ok(ok, label + ": the folder pane shows Archive", "\n".join(lines))
        t.ok(watching(env), label + ": the watch is on")
        lines = term.screen()
        t.eq(count_of(folder_row(lines, "Archive"), "Archive"), "1",
             label + ": Archive starts with 1 unread")

        base.append(srv, "Archive", msg(1))
        ok, lines = term.wait(lambda ls: count_of(folder_row(ls, "Archive"), "Archive") == "*2",
                              WAIT)
        t.ok(ok, label + ": another client's APPEND to Archive: '*2' without a key",
             "\n".join(lines))
        ok, lines = term.wait_text("New mail in Archive: 1 message", WAIT)
        t.ok(ok, label + ": the message line says where", lines[-1])
        t.ok(base.wait_server(lambda: recorded(out) == ["--tag", "Archive", "1"], WAIT),
             label + ": new_mail_command ran with the folder and the count", recorded(out))

        uid = unseen_uid(srv, "Archive")
        remote(srv, "Archive", lambda c: c.uid("STORE", uid, "+FLAGS", "(\\Seen)"))
        ok, lines = term.wait(lambda ls: count_of(folder_row(ls, "Archive"), "Archive") == "*1",
                              WAIT)
        t.ok(ok, label + ": \\Seen set by another client: Archive shows 1 unread",
             "\n".join(lines))
        uid = unseen_uid(srv, "Archive")

        def expunge(c):
            c.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
            c.expunge()
        remote(srv, "Archive", expunge)
        ok, lines = term.wait(lambda ls: count_of(folder_row(ls, "Archive"), "Archive") == "*",
                              WAIT)
        t.ok(ok, label + ": the last unread expunged by another client: no count, still '*'",
             "\n".join(lines))

        # The user's own move fires nothing.
        term.keys("m")
        term.text("Junk")
        term.keys("Enter")
        ok, lines = term.wait_text("Moved 1 message to Junk.", WAIT)
        t.ok(ok, label + ": m moves the first message to Junk", lines[-1])
        base.append(srv, "Lists", msg(2))
        ok, lines = term.wait_text("New mail in Lists: 1 message", WAIT)
        t.ok(ok, label + ": a later APPEND to Lists is told", lines[-1])
        t.ok(base.wait_server(lambda: recorded(out)[-2:] == ["Lists", "1"], WAIT),
             label + ": and runs new_mail_command", recorded(out))
        lines = term.screen()
        t.ok("*" not in folder_row(lines, "Junk"), label + ": the own move marks no Junk",
             folder_row(lines, "Junk"))
        t.ok("Junk" not in recorded(out), label + ": no command ran for Junk", recorded(out))

        # Opening Archive takes its mark away.
        term.keys("G")
        term.text("Archive")
        term.keys("Enter")
        ok, lines = term.wait(lambda ls: "Archive" in ls[-2] and "messages" in ls[-2] and
                              folder_row(ls, "Archive") == "Archive", WAIT)
        t.ok(ok, label + ": opening Archive takes its mark away",
             folder_row(lines, "Archive") + " / " + lines[-2])
        term.keys("q")
        t.ok(base.wait_server(lambda: os.path.exists(status) and
                              open(status).read().strip() != "", WAIT),
             label + ": q quits")
        t.eq(open(status).read().strip(), "0", label + ": exit status 0")
        t.eq(open(stderr).read(), "", label + ": nothing on stderr (no sanitizer report)")
    except BaseException:
        t.diag("screen:\n" + "\n".join(term.screen()))
        raise
    finally:
        term.kill()


def main(t):
    if shutil.which("tmux") is None:
        if os.environ.get("TERN_REQUIRE_SERVER") == "1":
            raise RuntimeError("TERN_REQUIRE_SERVER=1 but tmux is not installed")
        t.skip_all("tmux is not installed")
    for label, poll in (("NOTIFY", False), ("poll", True)):
        env = ternlib.Env()
        srv = ternlib.start_server(t, list_index=not poll)
        try:
            scenario(t, srv, env, label, poll)
        finally:
            srv.stop()
            env.cleanup()


ternlib.run(main)
