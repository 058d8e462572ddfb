#!/usr/bin/env python3
"""Benchmark (not a test): bytes tern writes to its terminal per keypress.

Starts the test Dovecot with a 10,000-message INBOX, runs tern in tmux
(TERM=screen, UTF-8) at 120x40 and 80x24, records everything tern writes
to the terminal with tmux pipe-pane, and prints the bytes written per
cursor move (20 x j, then 20 x k, each waited for on the screen: the
issue's measurement), per move that brings a new message into view (one
key at a time down past the last row and back up past the first: tern
scrolls the list by a row; the first such move and the mean of the ones
after it), per page down (5 x PageDown), for 20 x j sent at once (a held
key: read before one redraw) and per open/close of a message (Enter,
then q).

The same figures, in the same run against the same Dovecot, for NeoMutt
(only its own settings, -n; newest first like tern) and aerc (Debian's
default configuration) when they are installed (apt-get install neomutt
aerc; --peers '' leaves them out). NeoMutt does not scroll by a row: a
move past the last row turns the page. --dump DIR keeps what a j and the
first moves past the last and first row wrote, and prints which rows
their bytes went to (what the terminal's scrolling cost, what was
written again). --folders-hidden measures tern a second time with the
folder pane hidden (B), as tern-B: beside the list, each scroll of the
list moves the folder names too, which are then written again.

Then, with --delay milliseconds (100 unless told) added to every write to
the terminal (tern runs in a pty of this script's, which holds each chunk
of its output that long before passing it on: a slow link's latency), the
time from a key to its screen: j, a j that scrolls, page down, Enter (the
message shown) and 20 x j at once (the last one's row selected); the same
through the pty with no delay first, for what watching the screen costs.

Usage: bench-ssh.py [--sizes 120x40,80x24] [--delay MS] [--count N]
                    [--peers neomutt,aerc] [--folders-hidden] [--dump DIR]
(TERN=path of the binary;
run it once with the binary to compare, e.g. one built from main, once
with this one). Prints figures; asserts nothing."""
import argparse
import fcntl
import os
import pty
import re
import shutil
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


def walk(term, rec, key, times):
    """Press key `times` times, one at a time: [(bytes, rows changed, what
    was written)]."""
    out = []
    for _ in range(times):
        settle(rec, quiet=0.3)
        start, before = size(rec), term.screen().split("\n")
        term.run("send-keys", key)
        try:
            term.until(lambda s, b=before: s.split("\n") != b, timeout=10)
        except RuntimeError:
            pass
        settle(rec, quiet=0.3)
        with open(rec, "rb") as f:
            f.seek(start)
            data = f.read()
        after = term.screen().split("\n")
        out.append((len(data), sum(1 for a, b in zip(before, after) if a != b), data))
    return out


def edge(steps):
    """From a walk: the bytes of the first move that changed more than a
    few rows (the list moved), the mean of the moves after it, and what the
    first one wrote."""
    for i, (n, rows, data) in enumerate(steps):
        if rows > 4:
            rest = [m for m, _, _ in steps[i + 1:]]
            return n, sum(rest) / len(rest) if rest else 0.0, data
    return 0, 0.0, b""


# What moves the cursor to a row (CUP, VPA, home), sets the scrolling
# region (DECSTBM), or scrolls (SU/SD, IL/DL; ri, which outside a region
# is only a row up: TERM=screen's cuu1).
ESCAPE = re.compile(rb"\x1b\[([0-9]*)(?:;([0-9]*))?([HdrSTLM])|\x1bM")


def rows_written(data, h):
    """Where the bytes of one move went: [(row (1-based) or "scroll", B)],
    in order. Everything from setting a scrolling region smaller than the
    screen to setting it back counts as scrolling."""
    out, row, pos, scrolling = [], "?", 0, False

    def add(where, n):
        if out and out[-1][0] == where:
            out[-1] = (where, out[-1][1] + n)
        elif n:
            out.append((where, n))
    for m in ESCAPE.finditer(data):
        add("scroll" if scrolling else row, m.start() - pos)
        pos = m.start()
        final = m.group(3)
        if final is None and not scrolling:  # ri outside a region: up a row
            row = row - 1 if isinstance(row, int) and row > 1 else row
            continue
        if final == b"r":
            region = (int(m.group(1) or 1), int(m.group(2) or h))
            scrolling = region != (1, h)
            add("scroll", m.end() - pos)
            pos = m.end()
            continue
        if final in (b"H", b"d") and not scrolling:
            row = int(m.group(1) or 1)
        elif final not in (b"H", b"d"):
            add("scroll", m.end() - pos)
            pos = m.end()
    add("scroll" if scrolling else row, len(data) - pos)
    return out


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
    envs = client_env(env)
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


class Client:
    """How to run one mail reader against the bench's Dovecot: the shell
    command tmux runs, a test on the screen for "the folder is shown", the
    keys that select the newest message (tern starts there), its page-down
    key and the keys that open and close a message."""

    def __init__(self, name, cmd, ready, top=(), page="NPage", open_=("Enter",),
                 close=("q",), quit_=("Q",)):
        self.name, self.cmd, self.ready, self.top = name, cmd, ready, top
        self.page, self.open, self.close, self.quit = page, open_, close, quit_


def client_env(env):
    return " ".join("%s='%s'" % (k, env.env[k]) for k in
                    ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME") if k in env.env)


def tern_client(env):
    want = "{:,} messages".format(COUNT)
    return Client("tern", tern_cmd(env), lambda s: want in s and "Loading" not in s)


def neomutt_client(srv, env, path):
    """NeoMutt with only this file's settings (-n: not Debian's
    /etc/neomuttrc), newest first like tern, plain IMAP."""
    rc = os.path.join(env.dir, "neomuttrc")
    with open(rc, "w") as f:
        f.write('set spoolfile="imap://%s@127.0.0.1:%d/INBOX"\n'
                'set folder="imap://%s@127.0.0.1:%d/"\n'
                'set imap_pass="%s"\nset ssl_starttls=no\nset ssl_force_tls=no\n'
                'set sort=reverse-date\nset quit=yes\nset imap_idle=no\nset beep=no\n'
                'set header_cache=""\nset message_cachedir=""\nset mail_check_stats=no\n'
                % (srv.user, srv.imap_port, srv.user, srv.imap_port, srv.password))
    os.chmod(rc, 0o600)
    cmd = "exec env %s TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen %s -n -F '%s'" % (
        client_env(env), path, rc)
    want = "Msgs:%d" % COUNT
    return Client("NeoMutt", cmd, lambda s: want in s, top=("Home",), quit_=("q",))


def aerc_client(srv, env, path):
    """aerc with Debian's default aerc.conf and binds.conf, an account for
    the bench's Dovecot over plain IMAP."""
    d = os.path.join(env.env["XDG_CONFIG_HOME"], "aerc")
    os.makedirs(d, exist_ok=True)
    acc = os.path.join(d, "accounts.conf")
    with open(acc, "w") as f:
        f.write("[bench]\nsource = imap+insecure://%s:%s@127.0.0.1:%d\n"
                "outgoing = /bin/false\ndefault = INBOX\nfrom = Bench <bench@example.org>\n"
                % (srv.user, srv.password, srv.imap_port))
    os.chmod(acc, 0o600)
    cmd = "exec env %s TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen %s" % (
        client_env(env), path)

    def ready(s):  # the list filled: a date on (nearly) every row
        return sum(1 for line in s.split("\n")
                   if re.search(r"(?<![0-9])(19|20)[0-9][0-9]-[0-9][0-9]-", line)) >= s.count("\n") - 8
    return Client("aerc", cmd, ready, top=("g",), page="NPage", quit_=("q",))


def dump(d, name, h, moves):
    """Write each move's bytes to d/name-move.bin; print them by row."""
    os.makedirs(d, exist_ok=True)
    for move, data in moves.items():
        with open(os.path.join(d, "%s-%s.bin" % (name, move)), "wb") as f:
            f.write(data)
        print("%s %s %d B: %s" % (name, move, len(data), ", ".join(
            "%s %d" % (w if w == "scroll" else "row %s" % w, n)
            for w, n in rows_written(data, h))))


PEERS = {"neomutt": neomutt_client, "aerc": aerc_client}


def measure(client, env, w, h):
    rec = os.path.join(env.dir, "pipe-%s-%dx%d" % (client.name, w, h))
    term = Tmux(client.cmd, dict(env.env), w, h)
    try:
        term.run("pipe-pane", "-o", "cat >> '%s'" % rec)
        term.until(client.ready)
        settle(rec, quiet=1.0)
        res = {"start": size(rec)}
        for key in client.top:
            term.run("send-keys", key)
        settle(rec)
        moves = size(rec)
        res["j"] = keys(term, rec, "j", 20) / 20
        res["k"] = keys(term, rec, "k", 20) / 20
        with open(rec, "rb") as f:
            f.seek(moves)
            res["status"] = status_writes(f.read(), h)
        # one key at a time down past the last row and back up past the
        # first: what a move that brings a new message into view writes
        # (tern and aerc scroll a row, NeoMutt turns the page)
        res["walk"] = walk(term, rec, "j", h + 20)
        res["walk_k"] = walk(term, rec, "k", h + 18)
        res["page"] = keys(term, rec, client.page, 5) / 5
        # a held key: 20 x j in one write, all read before one redraw
        settle(rec)
        start = size(rec)
        term.run("send-keys", "-N", "20", "j")
        res["burst"] = settle(rec) - start
        res["open"] = sum(keys(term, rec, k, 1) for k in client.open + client.close)
        for key in client.quit:
            term.run("send-keys", key)
        time.sleep(0.5)
        return res
    finally:
        term.kill()


def main():
    global COUNT
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="120x40,80x24")
    ap.add_argument("--delay", type=float, default=100, help="milliseconds")
    ap.add_argument("--count", type=int, default=COUNT, help="messages in INBOX")
    ap.add_argument("--peers", default="neomutt,aerc",
                    help="the other readers measured when installed ('' for none)")
    ap.add_argument("--folders-hidden", action="store_true",
                    help="tern a second time with the folder pane hidden (B): tern-B")
    ap.add_argument("--dump", metavar="DIR",
                    help="write what a j, the first j past the last row and the first k past "
                         "the first row wrote to DIR, and print where their bytes went")
    ap.add_argument("--pty-delay", type=float, help=argparse.SUPPRESS)
    ap.add_argument("command", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.pty_delay is not None:  # inside tmux: the delaying pty
        delay_pty(a.pty_delay / 1000, a.command)
        return
    COUNT = a.count
    srv = dovecot_server.DovecotServer(folders={"INBOX": COUNT, "Sent": 0, "Drafts": 0,
                                                "Trash": 0, "Archive": 0}).start()
    env = ternlib.Env()
    try:
        srv.tern_config(env.config)
        print("tern: %s" % ternlib.TERN)
        clients = [tern_client(env)]
        if a.folders_hidden:  # what the folder pane beside the list costs
            hidden = tern_client(env)
            hidden.name, hidden.top = "tern-B", ("B",)
            clients.append(hidden)
        for peer in filter(None, a.peers.split(",")):
            path = shutil.which(peer)
            if path is None:
                print("%s: not installed" % peer)
            else:
                clients.append(PEERS[peer](srv, env, path))
        for sz in a.sizes.split(","):
            w, h = (int(v) for v in sz.split("x"))
            for client in clients:
                r = measure(client, env, w, h)
                ej, aj, dj = edge(r["walk"])
                ek, ak, dk = edge(r["walk_k"])
                if a.dump:
                    dump(a.dump, "%s-%dx%d" % (client.name, w, h), h,
                         {"j": r["walk"][0][2], "j-past-last-row": dj, "k-past-first-row": dk})
                print("%s %dx%d: per move %.0f B (20 x j then 20 x k: per j %.0f B, per k "
                      "%.0f B); a j past the last row %d B, the j's after it %.0f B each; "
                      "a k past the first row %d B, the k's after it %.0f B each; %d x j "
                      "from the top %.0f B per j; per page down %.0f B "
                      "(a screen is %d cells, the first screen %d B); 20 x j at once %d B; "
                      "open+close %d B; the status line rewritten %d times in the 40 moves"
                      % (client.name, w, h, (r["j"] + r["k"]) / 2, r["j"], r["k"], ej, aj,
                         ek, ak, len(r["walk"]), sum(n for n, _, _ in r["walk"]) / len(r["walk"]),
                         r["page"], w * h, r["start"], r["burst"], r["open"], r["status"]))
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
