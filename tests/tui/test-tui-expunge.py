#!/usr/bin/env python3
"""EXPUNGEs from a server without QRESYNC (issue 17): tern gathers them and
removes them together, once the responses at hand are read, from the list
and from the cache (ui/tui/conn.c gone_add()), instead of one search of the
whole list and one cache transaction each.

Against the test Dovecot with QRESYNC neither enabled nor used by tern
(TERN_TEST_DISABLE=QRESYNC, so that Dovecot sends EXPUNGE, as Gmail does):
tern has an INBOX of 300 open; another client deletes 200 of them (every
message but the newest 100) and expunges:
  - the debug log shows the 200 EXPUNGE responses, no VANISHED;
  - the status line counts 100 messages, without a key;
  - the newest message is still on the screen, the oldest gone;
  - once quit, the cache holds exactly the newest 100 (--offline list);
  - then another client expunges one more: the list counts 99;
  - tern quits (q) with status 0 and nothing on stderr (no sanitizer report)."""
import importlib.util
import json
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402

_spec = importlib.util.spec_from_file_location("tui_base", os.path.join(HERE, "test-tui.py"))
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)

COUNT = 300
GONE = 200
WAIT = 60


def fill(srv):
    c = srv.imap()
    try:
        for i in range(COUNT):
            typ, data = c.append("INBOX", None, None,
                                 base.raw_message(b"Gone test %03d" % i, "<gone-%d@tern.test>" % i))
            assert typ == "OK", data
    finally:
        c.logout()


def expunge(srv, seqs):
    c = srv.imap()
    try:
        c.select("INBOX")
        c.store(seqs, "+FLAGS.SILENT", "(\\Deleted)")
        c.expunge()
    finally:
        c.logout()


def main(t):
    if shutil.which("tmux") is None:
        if os.environ.get("TERN_REQUIRE_SERVER") == "1":
            raise RuntimeError("TERN_REQUIRE_SERVER=1 but tmux is not installed")
        t.skip_all("tmux is not installed")
    srv = ternlib.start_server(t, folders={"INBOX": 0, "Trash": 0})
    env = ternlib.Env()
    try:
        run_tests(t, srv, env)
    finally:
        env.cleanup()
        srv.stop()


def run_tests(t, srv, env):
    fill(srv)
    config = srv.tern_config(env.config)
    log = os.path.join(env.dir, "cache", "tern", "tern.log")
    env.env["TERN_TEST_DISABLE"] = "QRESYNC"
    try:
        run = base.Run(env, config, "--debug")
    finally:
        del env.env["TERN_TEST_DISABLE"]
    try:
        ok, lines = run.term.wait_text("%d messages" % COUNT, timeout=WAIT)
        t.ok(ok, "INBOX counts %d messages" % COUNT, "\n".join(lines))
        expunge(srv, "1:%d" % GONE)
        ok, lines = run.term.wait_text("%d messages" % (COUNT - GONE), timeout=WAIT)
        t.ok(ok, "after another client expunged %d: %d messages" % (GONE, COUNT - GONE),
             "\n".join(lines))
        screen = "\n".join(run.term.screen())
        t.ok("Gone test %03d" % (COUNT - 1) in screen and "Gone test 000" not in screen,
             "the newest is listed, the oldest gone", screen)
        trace = open(log, errors="replace").read() if os.path.exists(log) else ""
        expunges = re.findall(r"S: \* \d+ EXPUNGE", trace)
        t.ok(len(expunges) >= GONE and "VANISHED" not in trace,
             "the server sent %d EXPUNGE responses and no VANISHED" % len(expunges))
        expunge(srv, "1")
        ok, lines = run.term.wait_text("%d messages" % (COUNT - GONE - 1), timeout=WAIT)
        t.ok(ok, "one more expunged: %d messages" % (COUNT - GONE - 1), "\n".join(lines))
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.quit(t, "expunge")
    r = env.tern("--offline", "list", "INBOX", "--json")
    try:
        listed = sorted(m["subject"] for m in json.loads(r.stdout.decode()))
    except ValueError:
        listed = []
    want = sorted("Gone test %03d" % i for i in range(GONE + 1, COUNT))
    t.ok(listed == want, "the cache holds the %d left (%d listed)" % (len(want), len(listed)),
         r.stderr.decode(errors="replace"))


if __name__ == "__main__":
    ternlib.run(main)
