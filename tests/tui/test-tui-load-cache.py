#!/usr/bin/env python3
"""The TUI's first load of a folder writes its rows to the cache in large
transactions committed at most ~100 ms apart (issue 17): other processes
keep getting the cache while it loads.

A folder of 4,000 messages is opened with an empty cache in tmux, through
a slow link (a proxy that holds every chunk 0.15 s), so the load takes
seconds. While it is still loading, another process reads the cache and
must see rows already committed (the load is not one transaction to the
end), and `tern flag` from the command line, which writes to the same cache,
must get the write lock and succeed. When the load is over every row is in
the cache and tern quits cleanly."""
import glob
import importlib.util
import os
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402

_spec = importlib.util.spec_from_file_location("tui_base", os.path.join(HERE, "test-tui.py"))
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)

FOLDER = "Big"
COUNT = 4000
LOADED = "4,000 messages"  # the status line once the whole folder is in


def main(t):
    base.main_behind_proxy(t, run_tests, folders={"INBOX": 1, FOLDER: COUNT})


def cached_rows(env):
    """Rows of FOLDER another process sees in the cache (None: no file)."""
    dbs = glob.glob(os.path.join(env.dir, "cache", "tern", "*.db"))
    if not dbs:
        return None
    db = sqlite3.connect("file:%s?mode=ro" % dbs[0], uri=True, timeout=5)
    try:
        return db.execute("SELECT COUNT(*) FROM messages JOIN folders ON folders.id = "
                          "messages.folder WHERE folders.name = ?", (FOLDER,)).fetchone()[0]
    except sqlite3.OperationalError:
        return None
    finally:
        db.close()


def run_tests(t, srv, env, proxy):
    srv.tern_config(env.config, port=proxy.port)
    stderr = os.path.join(env.dir, "stderr")
    status = os.path.join(env.dir, "status")
    envs = " ".join("%s=%s" % (k, base.shell_quote(env.env[k]))
                    for k in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "TZ", "LANG",
                              "LC_ALL") if k in env.env)
    asan = "ASAN_OPTIONS=%s" % base.shell_quote(os.environ.get("ASAN_OPTIONS", "detect_leaks=1"))
    cmd = ("env %s %s TERM=screen %s -c %s 2>%s; echo $? > %s; sleep 600"
           % (envs, asan, base.shell_quote(ternlib.TERN), base.shell_quote(env.config),
              base.shell_quote(stderr), base.shell_quote(status)))
    term = base.Term(cmd, dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8"))
    try:
        ok, lines = term.wait_text("1 message")
        t.ok(ok, "tern starts on INBOX", "\n".join(lines))
        ok, lines = term.wait_text(FOLDER)
        t.ok(ok, "the folder pane lists %s" % FOLDER, "\n".join(lines))
        proxy.delay = 0.15  # a slow link from here on: the load takes seconds
        term.keys("h")
        time.sleep(0.3)
        term.keys("G")
        time.sleep(0.3)
        term.keys("Enter")
        # while it loads: rows committed already, and the lock to be had
        seen, flagged, loading = [], None, True
        deadline = time.time() + 120
        while time.time() < deadline:
            n = cached_rows(env)
            loading = LOADED not in "\n".join(term.screen())
            if n is not None and loading:
                seen.append(n)
            if flagged is None and loading and n and n > 0:
                t0 = time.monotonic()
                r = env.tern("flag", "INBOX", "1", "+flagged", timeout=60)
                flagged = (r.returncode, time.monotonic() - t0, r.stderr[:300])
            if not loading:
                break
            time.sleep(0.2)
        t.ok(any(0 < n < COUNT for n in seen),
             "another process sees rows committed while the folder still loads", repr(seen))
        t.ok(flagged is not None and flagged[0] == 0,
             "tern flag writes to the cache while the interface loads", repr(flagged))
        ok, lines = term.wait_text(LOADED, timeout=120)
        t.ok(ok, "the folder opens with its %d messages" % COUNT, "\n".join(lines))
        deadline = time.time() + 30
        while time.time() < deadline and cached_rows(env) != COUNT:
            time.sleep(0.2)
        t.eq(cached_rows(env), COUNT, "every row is in the cache when the load is over")
    except BaseException:
        t.diag("screen:\n" + "\n".join(term.screen()))
        raise
    finally:
        proxy.delay = 0
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
