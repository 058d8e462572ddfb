#!/usr/bin/env python3
"""Benchmark (not a test): bytes tern writes to its terminal per keypress.

Starts the test Dovecot with a 10,000-message INBOX, runs tern in tmux
(TERM=screen, UTF-8) at 120x40 and 80x24, records everything tern writes
to the terminal with tmux pipe-pane, and prints the bytes written per
cursor move (20 x j, then 20 x k, each waited for on the screen; then
the same at the bottom and top edge, where each move scrolls the list), per
page down (5 x PageDown), for 20 x j sent at once (a held key: read
before one redraw) and per open/close of a message (Enter, then q).

Then, with --delay milliseconds (100 unless told) added to every write to
the terminal (tern runs in a pty of this script's, which holds each chunk
of its output that long before passing it on: a slow link's latency), the
time from a key to its screen: j, a j that scrolls, page down, Enter (the
message shown) and 20 x j at once (the last one's row selected); the same
through the pty with no delay first, for what watching the screen costs.

Usage: bench-ssh.py [--sizes 120x40,80x24] [--delay MS]
(TERN=path of the binary;
run it once with the binary to compare, e.g. one built from main, once
with this one). Prints figures; asserts nothing."""
import argparse
import fcntl
import os
import pty
import select
import signal
import sys
import termios
import time
import tty

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ternlib  # noqa: E402
import dovecot_server  # noqa: E402

COUNT = 10000


class Tmux:
    def __init__(self, cmd, env, w, h):
        self.sock = "tern-bench-ssh-%d-%d" % (os.getpid(), int(time.time() * 1000) % 1000000)
        self.env = dict(env)
        self.env.pop("TMUX", None)
        self.run("-f", "/dev/null", "new-session", "-d", "-x", str(w), "-y", str(h), cmd)

    def run(self, *args):
        import subprocess
        return subprocess.run(["tmux", "-L", self.sock] + list(args), env=self.env,
                              capture_output=True, text=True).stdout

    def screen(self):
        return self.run("capture-pane", "-p", "-e")

    def until(self, pred, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if pred(s):
                return s
            time.sleep(0.02)
        raise RuntimeError("timed out; screen:\n" + self.screen())

    def kill(self):
        self.run("kill-server")


def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def settle(path, quiet=0.4, timeout=30):
    """Wait until nothing more is written for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    last, since = size(path), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        n = size(path)
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


def keys(term, path, key, times):
    """Bytes written for `times` presses of key, each waited for."""
    settle(path)
    start = size(path)
    for _ in range(times):
        before = term.screen()
        term.run("send-keys", key)
        try:
            term.until(lambda s, b=before: s != b, timeout=10)
        except RuntimeError:
            pass  # nothing to change (end of the list): still counted
    return settle(path) - start


def delay_pty(delay, argv):
    """Run argv in a pty of ours; what it writes reaches our stdout `delay`
    seconds later (each chunk held that long, order kept); keys go to it at
    once. The window size follows ours."""
    pid, master = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)

    def winch(*_):
        ws = fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(master, termios.TIOCSWINSZ, ws)
        os.kill(pid, signal.SIGWINCH)
    winch()
    signal.signal(signal.SIGWINCH, winch)
    tty.setraw(0)
    held = []  # (due, bytes)
    while True:
        now = time.monotonic()
        while held and held[0][0] <= now:
            os.write(1, held.pop(0)[1])
        wait = max(0.0, held[0][0] - now) if held else None
        try:
            ready, _, _ = select.select([0, master], [], [], wait)
        except InterruptedError:
            continue
        if 0 in ready:
            os.write(master, os.read(0, 4096))
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            if not data:
                break
            held.append((time.monotonic() + delay, data))
    for _, data in held:
        time.sleep(max(0.0, delay))
        os.write(1, data)
    os.waitpid(pid, 0)


def tern_cmd(env, wrap=""):
    envs = " ".join("%s='%s'" % (k, env.env[k]) for k in
                    ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME") if k in env.env)
    return "exec env %s TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen %s %s -c '%s'" % (
        envs, wrap, ternlib.TERN, env.config)


def drawn(term, send, pred):
    """Milliseconds from sending keys to the screen that pred accepts."""
    start = time.monotonic()
    term.run("send-keys", *send)
    term.until(pred, timeout=60)
    return (time.monotonic() - start) * 1000


def sel_row(screen):
    """The selected message's row: the one in the selection's colours."""
    for i, line in enumerate(screen.split("\n")):
        if "\x1b[30m\x1b[46m" in line or "\x1b[30;46m" in line:
            return i
    return None


def latency(srv, env, w, h, delay):
    wrap = "%s %s --pty-delay %g --" % (sys.executable, os.path.abspath(__file__), delay)
    term = Tmux(tern_cmd(env, wrap), dict(env.env), w, h)
    res = {}
    try:
        want = "{:,} messages".format(COUNT)
        term.until(lambda s: want in s and "Loading" not in s)
        time.sleep(1)

        def moved(key, where):
            before = sel_row(term.screen())
            return drawn(term, [key], lambda s: sel_row(s) == where(before))
        res["j"] = moved("j", lambda r: r + 1)
        term.run("send-keys", "-N", str(h), "j")
        time.sleep(2 + delay / 500)
        first = term.screen().split("\n")[0]
        res["js"] = drawn(term, ["j"], lambda s: s.split("\n")[0] != first)
        time.sleep(1)
        first = term.screen().split("\n")[0]
        res["page"] = drawn(term, ["NPage"], lambda s: s.split("\n")[0] != first)
        time.sleep(1)
        term.run("send-keys", "-N", str(h), "k")
        time.sleep(2 + delay / 500)
        top = sel_row(term.screen())
        res["burst"] = drawn(term, ["-N", "20", "j"], lambda s: sel_row(s) == top + 20)
        time.sleep(1)
        res["open"] = drawn(term, ["Enter"], lambda s: "Subject:" in s or "From:" in s)
        term.run("send-keys", "q")
        time.sleep(1)
        term.run("send-keys", "Q")
        time.sleep(0.5)
        return res
    finally:
        term.kill()


def status_writes(data, h):
    """How often data moves the cursor to the status line (row h - 1 of h,
    1-based in the escapes): absolute moves (CUP, VPA) only, which is how
    ncurses reaches a row it rewrites after the list's rows."""
    import re
    row = str(h - 1).encode()
    return len(re.findall(rb"\x1b\[" + row + rb"(?:;[0-9]+H|H|d)", data))


def measure(srv, env, w, h):
    rec = os.path.join(env.dir, "pipe-%dx%d" % (w, h))
    term = Tmux(tern_cmd(env), dict(env.env), w, h)
    try:
        term.run("pipe-pane", "-o", "cat >> '%s'" % rec)
        want = "{:,} messages".format(COUNT)
        term.until(lambda s: want in s and "Loading" not in s)
        settle(rec, quiet=1.0)
        res = {"start": size(rec)}
        settle(rec)
        moves = size(rec)
        res["j"] = keys(term, rec, "j", 20) / 20
        res["k"] = keys(term, rec, "k", 20) / 20
        with open(rec, "rb") as f:
            f.seek(moves)
            res["status"] = status_writes(f.read(), h)
        # to the last row on the screen: each j from there scrolls the list
        term.run("send-keys", "-N", str(h), "j")
        settle(rec)
        res["js"] = keys(term, rec, "j", 20) / 20
        term.run("send-keys", "-N", str(h), "k")
        settle(rec)
        res["ks"] = keys(term, rec, "k", 20) / 20
        res["page"] = keys(term, rec, "NPage", 5) / 5
        # a held key: 20 x j in one write, all read before one redraw
        settle(rec)
        start = size(rec)
        term.run("send-keys", "-N", "20", "j")
        res["burst"] = settle(rec) - start
        res["open"] = keys(term, rec, "Enter", 1) + keys(term, rec, "q", 1)
        term.run("send-keys", "Q")
        time.sleep(0.5)
        return res
    finally:
        term.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="120x40,80x24")
    ap.add_argument("--delay", type=float, default=100, help="milliseconds")
    ap.add_argument("--pty-delay", type=float, help=argparse.SUPPRESS)
    ap.add_argument("command", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.pty_delay is not None:  # inside tmux: the delaying pty
        delay_pty(a.pty_delay / 1000, a.command)
        return
    srv = dovecot_server.DovecotServer(folders={"INBOX": COUNT, "Sent": 0, "Drafts": 0,
                                                "Trash": 0, "Archive": 0}).start()
    env = ternlib.Env()
    try:
        srv.tern_config(env.config)
        print("tern: %s" % ternlib.TERN)
        for sz in a.sizes.split(","):
            w, h = (int(v) for v in sz.split("x"))
            r = measure(srv, env, w, h)
            print("%dx%d: first screen %d B; per j %.0f B, per k %.0f B (on the screen); "
                  "per j %.0f B, per k %.0f B (scrolling); per page down %.0f B "
                  "(a screen is %d cells, the first screen %d B); 20 x j at once %d B; "
                  "open+close %d B; the status line rewritten %d times in the 40 moves"
                  % (w, h, r["start"], r["j"], r["k"], r["js"], r["ks"], r["page"], w * h,
                     r["start"], r["burst"], r["open"], r["status"]))
        if a.delay > 0:
            w, h = (int(v) for v in a.sizes.split(",")[0].split("x"))
            # the same pty with no delay first: what polling the screen costs
            for delay in (0, a.delay):
                r = latency(srv, env, w, h, delay)
                print("%dx%d with %g ms added to every write to the terminal: drawn after "
                      "j %.0f ms, a j that scrolls %.0f ms, page down %.0f ms, Enter "
                      "(message shown) %.0f ms, 20 x j at once %.0f ms"
                      % (w, h, delay, r["j"], r["js"], r["page"], r["open"], r["burst"]))
    finally:
        env.cleanup()
        srv.stop()


if __name__ == "__main__":
    main()
