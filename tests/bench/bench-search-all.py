#!/usr/bin/env python3
"""Benchmark (not a test): the all-folder search (#16 "Search everywhere")
against its protocol floor, on the benchmark account: 100 folders, INBOX
with --count messages (default 100,000) and 99 more with --per messages.

Prints, the median of --runs after one warm-up run of each:

  floor     a raw client (this script, plain TCP on loopback): connect,
            LOGIN, LIST, then for each folder in LIST's order EXAMINE and
            UID SEARCH RETURN (ALL) for the same criteria, one command
            after the other, each waiting for its answer; first = the
            first non-empty answer, last = the last answer
  cli       `tern search --all --json QUERY` run to its end (it sorts the
            whole result before printing: first = last), with nothing
            cached, then again once the interface has cached INBOX (and
            --before's, there)
  tui       tern in tmux with INBOX open (started a second time, on the
            cache the first filled), `/`, Tab (all folders), QUERY,
            Enter; first = the first result row on the screen, last = the
            status line's "N matches in M folders"

    python3 tests/bench/bench-search-all.py [--count 100000] [--per 100]
        [--runs 3] [--query subject:quarterly] [--before TERN]
Run from a build tree (TERN, TERN_BUILDDIR) or after tools/build.sh; build
without sanitizers for figures worth comparing. Prints figures, asserts
nothing."""
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import ternlib  # noqa: E402
import genmail  # noqa: E402

RESULT_ROW = re.compile(r"(INBOX|Folder \d\d) +\d{4}-\d\d-\d\d")


def criteria(query):
    """The IMAP criteria tern sends for the simple queries this bench takes."""
    key, _, value = query.partition(":")
    if not value:
        return "TEXT " + key
    return {"subject": "SUBJECT", "from": "FROM", "body": "BODY", "text": "TEXT"}[key] + \
        " " + value


class Raw:
    """A blocking IMAP client that reads to each tagged answer."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""
        self.n = 0
        self.read_line()  # greeting

    def read_line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def cmd(self, text):
        self.n += 1
        tag = b"f%d" % self.n
        self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        lines = []
        while True:
            line = self.read_line()
            # literals: {n} at the end of a line
            m = re.search(rb"\{(\d+)\}$", line)
            while m:
                n = int(m.group(1))
                while len(self.buf) < n:
                    self.buf += self.sock.recv(65536)
                line += self.buf[:n]
                self.buf = self.buf[n:]
                rest = self.read_line()
                line += rest
                m = re.search(rb"\{(\d+)\}$", rest)
            if line.startswith(tag + b" "):
                return line, lines
            lines.append(line)


def quote(name):
    return '"%s"' % genmail.mutf7(name).replace("\\", "\\\\").replace('"', '\\"')


def floor(srv, crit):
    t0 = time.monotonic()
    c = Raw(srv.imap_port)
    c.cmd("LOGIN %s %s" % (srv.user, srv.password))
    _, lines = c.cmd('LIST "" "*"')
    names = []
    for line in lines:
        m = re.match(rb'\* LIST \(([^)]*)\) (?:"[^"]*"|NIL) (.*)$', line)
        if m and b"\\Noselect" not in m.group(1):
            names.append(m.group(2).decode())
    first = None
    for wire in names:
        c.cmd("EXAMINE %s" % wire)
        _, lines = c.cmd("UID SEARCH RETURN (ALL) %s" % crit)
        if first is None and any(b" ALL " in l for l in lines):
            first = time.monotonic() - t0
    last = time.monotonic() - t0
    c.cmd("LOGOUT")
    return first, last, len(names)


def cli(env, query, tern=None):
    t0 = time.monotonic()
    r = subprocess.run([tern or ternlib.TERN, "-c", env.config, "search", "--all", "--json",
                        query], capture_output=True, env=env.env)
    dt = time.monotonic() - t0
    if r.returncode != 0:
        raise RuntimeError(r.stderr.decode())
    return dt, dt, r.stdout.count(b'"folder"')


class Tmux:
    n = 0

    def __init__(self, cmd, env, w=120, h=40):
        # a socket of its own: a new server on the socket of one just
        # killed can go down with it
        Tmux.n += 1
        self.sock = "tern-bench-sa-%d-%d" % (os.getpid(), Tmux.n)
        self.env = dict(env)
        self.env.pop("TMUX", None)
        self.h = h
        self.run("-f", "/dev/null", "new-session", "-d", "-x", str(w), "-y", str(h), cmd)

    def run(self, *args):
        return subprocess.run(["tmux", "-L", self.sock] + list(args), env=self.env,
                              capture_output=True, text=True).stdout

    def screen(self):
        lines = self.run("capture-pane", "-p").split("\n")
        return lines + [""] * (self.h - len(lines))  # before the pane is up

    def until(self, pred, timeout=600, interval=0.002):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if pred(s):
                return time.monotonic(), s
            time.sleep(interval)
        raise RuntimeError("timed out; screen:\n" + "\n".join(self.screen()))

    def kill(self):
        self.run("kill-server")


def start_tui(env, tern=None):
    envs = " ".join("%s='%s'" % (k, env.env[k]) for k in
                    ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME") if k in env.env)
    cmd = "exec env %s TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen %s -c '%s'" % (
        envs, tern or ternlib.TERN, env.config)
    return Tmux(cmd, dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8"))


def tui(term, query, word):
    """One all-folder search in a running tern: (first, last, matches)."""
    h = term.h
    term.run("send-keys", "/")
    term.until(lambda s: s[h - 1].startswith("Search"))
    term.run("send-keys", "Tab")
    term.until(lambda s: s[h - 1].startswith("Search all folders:"))
    term.run("send-keys", "-l", query)
    term.until(lambda s: query in s[h - 1])
    t0 = time.monotonic()
    term.run("send-keys", "Enter")
    # a result row has its folder column just before the date (the folder
    # list's rows behind the results have none)
    t1, _ = term.until(lambda s: any(word in l.lower() and RESULT_ROW.search(l)
                                      for l in s[1:h - 2]) or "matches in" in s[h - 1])
    t2, s = term.until(lambda s: re.search(r"match(es)? in \d+ folders", s[h - 1]) is not None)
    m = re.search(r"(\d+) match", s[h - 1])
    term.run("send-keys", "Escape")
    term.until(lambda s: "All folders" not in "\n".join(s))
    return t1 - t0, t2 - t0, int(m.group(1)) if m else -1


def ms(x):
    return "%7.0f ms" % (x * 1000) if x is not None else "      -"


def report(label, runs):
    firsts = [r[0] for r in runs if r[0] is not None]
    print("  %-10s first %s   last %s   (%s found; runs: %s)" % (
        label, ms(statistics.median(firsts)) if firsts else ms(None),
        ms(statistics.median(r[1] for r in runs)), runs[-1][2],
        " ".join("%.0f/%.0f" % ((r[0] or 0) * 1000, r[1] * 1000) for r in runs)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--per", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--query", default="subject:quarterly")
    ap.add_argument("--before", help="another tern binary: its search --all measured too")
    a = ap.parse_args()
    if shutil.which("tmux") is None or ternlib.dovecot_server.find_dovecot() is None:
        print("bench-search-all: needs tmux and dovecot")
        return 1
    folders = {"INBOX": a.count}
    for i in range(1, 100):
        folders["Folder %02d" % i] = a.per
    crit = criteria(a.query)
    word = a.query.partition(":")[2] or a.query
    print("generating %d + 99 x %d messages..." % (a.count, a.per), flush=True)
    t0 = time.monotonic()
    srv = ternlib.dovecot_server.DovecotServer(folders=folders).start()
    print("server ready in %.0f s; tern: %s; query %r (%s)" % (
        time.monotonic() - t0, ternlib.TERN, a.query, crit), flush=True)
    env = ternlib.Env()
    term = None
    try:
        srv.tern_config(env.config, tls="none")
        floor(srv, crit)  # warm Dovecot's indexes and caches
        f = [floor(srv, crit) for _ in range(a.runs)]
        print("all-folder search, %d folders:" % f[-1][2])
        report("floor", [(x[0], x[1], "-") for x in f])
        cli(env, a.query)
        report("cli", [cli(env, a.query) for _ in range(a.runs)])
        count = "{:,}".format(a.count)
        # the first start caches INBOX (the cold load's writes would
        # compete with the search); measured on the second
        for _ in range(2):
            if term is not None:
                term.kill()
            term = start_tui(env)
            term.until(lambda s: count in s[term.h - 2], timeout=1800)
            time.sleep(5)  # let the load finish writing: not an assertion
        tui(term, a.query, word)
        report("tui", [tui(term, a.query, word) for _ in range(a.runs)])
        term.kill()
        term = None
        print("INBOX cached (by the interface) as the server has it:")
        report("cli", [cli(env, a.query) for _ in range(a.runs)])
        if a.before:
            cli(env, a.query, a.before)
            report("before cli", [cli(env, a.query, a.before) for _ in range(a.runs)])
    finally:
        if term is not None:
            term.kill()
        env.cleanup()
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
