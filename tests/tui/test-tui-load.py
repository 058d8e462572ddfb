#!/usr/bin/env python3
"""The TUI's first load of a folder costs round trips in proportion to its
messages, not to its UIDNEXT (issue #12, bug 5).

A folder of 310 messages whose UIDNEXT is pushed to 1,000,000
(`doveadm mailbox update --min-next-uid`) is opened with an empty cache in
tmux against the test Dovecot, with --debug; the protocol trace counts the
summary FETCH commands the load sent. Loaded in ranges of UIDs it took
~500 (one per 2,000 UIDs); in ranges of sequence numbers it takes 2 (the
first screen, then the rest). Also checks that every message arrived
(the oldest one's FETCH is in the trace) and that tern quits cleanly."""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402

_spec = importlib.util.spec_from_file_location("tui_base", os.path.join(HERE, "test-tui.py"))
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)

FOLDER = "Sparse"
COUNT = 310
MIN_NEXT_UID = 1000000
# the first screen and the rest; a little room, far below the ~500 of UID ranges
MAX_FETCHES = 4
SUMMARY_FETCH = re.compile(r"C: \S+ (UID )?FETCH \S+ \(UID FLAGS INTERNALDATE .*HEADER\.FIELDS \(FROM")


def main(t):
    if shutil.which("tmux") is None:
        if os.environ.get("TERN_REQUIRE_SERVER") == "1":
            raise RuntimeError("TERN_REQUIRE_SERVER=1 but tmux is not installed")
        t.skip_all("tmux is not installed")
    srv = ternlib.start_server(t, folders={"INBOX": 1, FOLDER: COUNT})
    env = ternlib.Env()
    try:
        run_tests(t, srv, env)
    finally:
        env.cleanup()
        srv.stop()


def push_uidnext(t, srv):
    # Dovecot gives the maildir's messages their UIDs (1..310) on first
    # access: before the update, so that UIDNEXT lies far above them.
    c = srv.imap()
    try:
        c.status(ternlib.genmail.mutf7(FOLDER), "(MESSAGES UIDNEXT)")
    finally:
        c.logout()
    doveadm = os.path.join(os.path.dirname(srv.exe), "doveadm")
    if not os.path.exists(doveadm):
        doveadm = shutil.which("doveadm") or "doveadm"
    r = subprocess.run([doveadm, "-c", srv.config, "mailbox", "update", "-u", srv.user,
                        "--min-next-uid", str(MIN_NEXT_UID), FOLDER],
                       capture_output=True, text=True, timeout=60)
    t.eq(r.returncode, 0, "doveadm mailbox update --min-next-uid %d" % MIN_NEXT_UID)
    if r.returncode != 0:
        t.diag(r.stderr)
    c = srv.imap()
    try:
        typ, data = c.status(ternlib.genmail.mutf7(FOLDER), "(MESSAGES UIDNEXT)")
    finally:
        c.logout()
    text = data[0].decode()
    t.ok("MESSAGES %d" % COUNT in text and "UIDNEXT %d" % MIN_NEXT_UID in text,
         "the folder holds %d messages under UIDNEXT %d" % (COUNT, MIN_NEXT_UID), text)


def run_tests(t, srv, env):
    push_uidnext(t, srv)
    srv.tern_config(env.config)
    log = os.path.join(env.dir, "cache", "tern", "tern.log")
    stderr = os.path.join(env.dir, "stderr")
    status = os.path.join(env.dir, "status")
    envs = " ".join("%s=%s" % (k, base.shell_quote(env.env[k]))
                    for k in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "TZ", "LANG",
                              "LC_ALL") if k in env.env)
    asan = "ASAN_OPTIONS=%s" % base.shell_quote(os.environ.get("ASAN_OPTIONS", "detect_leaks=1"))
    cmd = ("env %s %s TERM=screen %s -c %s --debug 2>%s; echo $? > %s; sleep 600"
           % (envs, asan, base.shell_quote(ternlib.TERN), base.shell_quote(env.config),
              base.shell_quote(stderr), base.shell_quote(status)))
    term = base.Term(cmd, dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8"))
    try:
        ok, lines = term.wait_text("1 message")  # INBOX is up: the loop runs
        t.ok(ok, "tern starts on INBOX", "\n".join(lines))
        # the folder list comes after INBOX's first screen: G below needs it
        ok, lines = term.wait_text(FOLDER)
        t.ok(ok, "the folder pane lists %s" % FOLDER, "\n".join(lines))
        # the folder pane: the ordinary folder comes after the special ones
        term.keys("h")
        time.sleep(0.3)
        term.keys("G")
        time.sleep(0.3)
        term.keys("Enter")
        ok, lines = term.wait_text(base.count_label(COUNT))
        t.ok(ok, "the folder opens with its %d messages" % COUNT, "\n".join(lines))
        # the oldest message (UID 1, sequence 1) is the load's last
        done = re.compile(r"S: \* 1 FETCH \(UID 1 ")
        deadline = time.time() + 60
        select = re.compile(r"C: \S+ SELECT \"?%s" % FOLDER)
        after = ""
        while time.time() < deadline:
            trace = open(log, errors="replace").read() if os.path.exists(log) else ""
            m = select.search(trace)
            after = trace[m.start():] if m else ""
            if done.search(after):
                break
            time.sleep(0.2)
        t.ok(done.search(after) is not None, "the whole folder was loaded")
        fetches = [l for l in after.splitlines() if SUMMARY_FETCH.search(l)]
        t.ok(0 < len(fetches) <= MAX_FETCHES,
             "%d summary FETCH commands for %d messages under UIDNEXT %d (at most %d)"
             % (len(fetches), COUNT, MIN_NEXT_UID, MAX_FETCHES),
             "\n".join(fetches[:10]))
    except BaseException:
        t.diag("screen:\n" + "\n".join(term.screen()))
        raise
    finally:
        term.keys("q")
        time.sleep(0.3)
        term.keys("q")
        deadline = time.time() + base.WAIT
        while time.time() < deadline and not os.path.exists(status):
            time.sleep(0.1)
        time.sleep(0.2)
        term.kill()
    code = open(status).read().strip() if os.path.exists(status) else "running"
    t.eq(code, "0", "q quits with status 0")
    err = open(stderr, errors="replace").read() if os.path.exists(stderr) else ""
    t.eq(err, "", "nothing on stderr (no sanitizer report)")


if __name__ == "__main__":
    ternlib.run(main)
