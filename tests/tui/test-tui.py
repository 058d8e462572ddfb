#!/usr/bin/env python3
"""The TUI in a real terminal: tern runs in tmux against the test Dovecot;
keys go in with send-keys, the screen comes back with capture-pane, and a
second IMAP connection checks what the server holds.

Covers: the three panes with the fixture folders; opening a message
(decoded subject and body); flag, read, delete (to Trash) and move, on the
screen and on the server; search; resizing; new mail from another client;
hostile subjects (OSC 0 title, OSC 52 clipboard) shown as visible escapes
with the pane title and paste buffers unchanged; quitting cleanly (exit 0,
nothing on stderr, so no sanitizer report)."""
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ternlib  # noqa: E402

WIDTH, HEIGHT = 100, 30
WAIT = 20  # seconds to wait for a screen (sanitizer builds are slow)


class Term:
    """One tmux server (private socket) running one command."""
    count = 0

    def __init__(self, cmd, env, width=WIDTH, height=HEIGHT, options=()):
        Term.count += 1
        self.sock = "tern-tui-%d-%d" % (os.getpid(), Term.count)
        self.env = dict(env)
        self.env.pop("TMUX", None)
        self.run("-f", "/dev/null", "new-session", "-d", "-x", str(width), "-y", str(height),
                 cmd)
        for opt in options:
            self.run(*opt)

    def run(self, *args, check=True):
        r = subprocess.run(["tmux", "-L", self.sock] + list(args), env=self.env,
                           capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise RuntimeError("tmux %s: %s" % (" ".join(args), r.stderr))
        return r.stdout

    def keys(self, *keys):
        self.run("send-keys", *keys)

    def text(self, s):
        self.run("send-keys", "-l", s)

    def screen(self):
        return self.run("capture-pane", "-p").split("\n")[:HEIGHT_NOW[0]]

    def display(self, fmt):
        return self.run("display", "-p", fmt).strip()

    def wait(self, pred, timeout=WAIT):
        """Poll until pred(screen lines) is true; return the lines (or the
        last ones seen, with ok False)."""
        deadline = time.time() + timeout
        lines = self.screen()
        while time.time() < deadline:
            lines = self.screen()
            if pred(lines):
                return True, lines
            time.sleep(0.05)
        return False, lines

    def wait_text(self, s, timeout=WAIT):
        return self.wait(lambda lines: any(s in l for l in lines), timeout)

    def kill(self):
        self.run("kill-server", check=False)


HEIGHT_NOW = [HEIGHT]


def shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def list_rows(lines, list_h):
    """The message list part of the first list_h rows (after the folder
    pane's separator)."""
    out = []
    for l in lines[:list_h]:
        out.append(l.split("│", 1)[1] if "│" in l else l)
    return out


def server_flags(srv, folder, message_id):
    """Flags of the message with this Message-ID in folder, or None when
    it is not there."""
    c = srv.imap()
    try:
        import imaplib
        typ, _ = c.select(imaplib_quote(folder), readonly=True)
        if typ != "OK":
            return None
        typ, data = c.uid("SEARCH", None, "HEADER", "Message-ID", '"%s"' % message_id)
        uids = data[0].split() if data and data[0] else []
        if not uids:
            return None
        typ, data = c.uid("FETCH", uids[0], "(FLAGS)")
        m = re.search(rb"FLAGS \(([^)]*)\)", data[0] if isinstance(data[0], bytes) else data[0][0])
        return set(m.group(1).decode().split()) if m else set()
    finally:
        c.logout()


def imaplib_quote(folder):
    import genmail
    return '"%s"' % genmail.mutf7(folder)


def wait_server(pred, timeout=WAIT):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return True
        time.sleep(0.1)
    return False


def append(srv, folder, raw):
    c = srv.imap()
    try:
        typ, data = c.append(imaplib_quote(folder), None, None, raw)
        if typ != "OK":
            raise RuntimeError("APPEND: %r" % data)
    finally:
        c.logout()


class Run:
    """One tern in tmux; status and stderr in files. args are more of its
    arguments; what env.env holds reaches it through tmux."""
    n = 0

    def __init__(self, env, config, args=""):
        Run.n += 1
        self.stderr = os.path.join(env.dir, "stderr-%d" % Run.n)
        self.status = os.path.join(env.dir, "status-%d" % Run.n)
        envs = " ".join("%s=%s" % (k, shell_quote(env.env[k]))
                        for k in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "TZ", "LANG",
                                  "LC_ALL") if k in env.env)
        asan = "ASAN_OPTIONS=%s" % shell_quote(os.environ.get("ASAN_OPTIONS",
                                                              "detect_leaks=1"))
        cmd = ("env %s %s TERM=screen %s -c %s %s 2>%s; echo $? > %s; sleep 600"
               % (envs, asan, shell_quote(ternlib.TERN), shell_quote(config), args,
                  shell_quote(self.stderr), shell_quote(self.status)))
        self.term = Term(cmd, dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8"))

    def status_line(self, lines):
        return lines[HEIGHT - 2]

    @contextlib.contextmanager
    def checked(self, t, what):
        """The checks made on this run: the screen goes to the log when
        one raises, and tern is quit (status 0, nothing on stderr)
        however they end."""
        try:
            yield self
        except BaseException:
            t.diag("screen:\n" + "\n".join(self.term.screen()))
            raise
        finally:
            self.quit(t, what)

    def quit(self, t, what):
        self.term.keys("q")
        time.sleep(0.2)
        self.term.keys("q")
        deadline = time.time() + WAIT
        while time.time() < deadline and not os.path.exists(self.status):
            time.sleep(0.1)
        time.sleep(0.2)
        code = open(self.status).read().strip() if os.path.exists(self.status) else "running"
        t.eq(code, "0", "%s: q quits with status 0" % what)
        err = open(self.stderr, errors="replace").read() if os.path.exists(self.stderr) else ""
        t.eq(err, "", "%s: nothing on stderr (no sanitizer report)" % what)
        self.term.kill()


def raw_message(subject_bytes, mid, body=b"Hello from another client.\r\n"):
    return (b"From: Other Client <other@example.org>\r\n"
            b"To: tern@example.org\r\n"
            b"Date: Wed, 31 Dec 2025 12:00:00 +0000\r\n"
            b"Message-ID: " + mid.encode() + b"\r\n"
            b"Subject: " + subject_bytes + b"\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body)


def require_tmux(t):
    """Skip the file without tmux; with TERN_REQUIRE_SERVER=1, fail."""
    if shutil.which("tmux") is None:
        if os.environ.get("TERN_REQUIRE_SERVER") == "1":
            raise RuntimeError("TERN_REQUIRE_SERVER=1 but tmux is not installed")
        t.skip_all("tmux is not installed")


def main_behind_proxy(t, run_tests, **server_args):
    """A test file's main: Dovecot (ternlib.start_server(t, **server_args)),
    a ternlib.Proxy before it and an Env, run_tests(t, srv, env, proxy),
    then all of them stopped however it ends."""
    require_tmux(t)
    srv = ternlib.start_server(t, **server_args)
    env = ternlib.Env()
    proxy = ternlib.Proxy(srv.imap_port)
    try:
        run_tests(t, srv, env, proxy)
    finally:
        proxy.close()
        env.cleanup()
        srv.stop()


def main(t):
    require_tmux(t)
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    term = None
    try:
        run_tests(t, srv, env)
    finally:
        env.cleanup()
        srv.stop()


def run_tests(t, srv, env):
    srv.tern_config(env.config)
    inbox = list(srv.mailbox["INBOX"])
    stderr = os.path.join(env.dir, "stderr")
    status = os.path.join(env.dir, "status")
    envs = " ".join("%s=%s" % (k, shell_quote(env.env[k]))
                    for k in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "TZ", "LANG",
                              "LC_ALL") if k in env.env)
    asan = "ASAN_OPTIONS=%s" % shell_quote(os.environ.get("ASAN_OPTIONS", "detect_leaks=1"))
    cmd = ("env %s %s TERM=screen %s -c %s 2>%s; echo $? > %s; sleep 600"
           % (envs, asan, shell_quote(ternlib.TERN), shell_quote(env.config),
              shell_quote(stderr), shell_quote(status)))
    tenv = dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8")
    term = Term(cmd, tenv, options=[("set", "-g", "set-clipboard", "on")])
    srv.count = len(inbox)
    try:
        title0 = term.display("#{pane_title}")
        buffers0 = term.run("list-buffers")
        check_panes(t, term, inbox)
        check_colors(t, term, True)
        opened = check_open(t, term, inbox)
        check_flags(t, term, srv, opened)
        check_delete_move(t, term, srv)
        check_search(t, term, srv)
        check_view_keys(t, term)
        check_expunge(t, term, srv)
        check_new_mail(t, term, srv)
        check_remote_changes(t, term, srv)
        check_reconnect(t, term, srv)
        check_hostile(t, term, srv, title0, buffers0)
        check_resize(t, term)
        check_quit(t, term, stderr, status)
    except BaseException:
        t.diag("screen:\n" + "\n".join(term.screen()))
        raise
    finally:
        term.kill()
    check_job_control(t, srv, env, tenv)


def wrong_password_config(srv, env, config):
    """A copy of config (mode 0600) whose password the server refuses."""
    bad = os.path.join(env.dir, "config-badpw")
    with open(config) as f:
        text = f.read().replace("password = %s" % srv.password,
                                "password = wrong-%s" % srv.password)
    with open(bad, "w") as f:
        f.write(text)
    os.chmod(bad, 0o600)
    return bad


def count_label(n):
    return "%d message%s" % (n, "" if n == 1 else "s")


def status_has(term, text, timeout=WAIT):
    return term.wait(lambda ls: text in ls[HEIGHT_NOW[0] - 2], timeout)


def newest_first(msgs):
    return sorted(msgs, key=lambda m: (m.date.timestamp(), m.index), reverse=True)


def check_panes(t, term, inbox):
    ok, lines = term.wait(lambda ls: any("INBOX" in l and "10 messages" in l for l in ls))
    t.ok(ok, "the status line names the account, INBOX and its 10 messages", "\n".join(lines))
    # The open folder's first screen comes before the folder list: wait for it.
    ok, lines = term.wait(lambda ls: any("Familie & Freunde" in l for l in ls))
    screen = "\n".join(lines)
    for folder in ("INBOX", "Sent", "Trash", "Archive", "Lists", "tern-devel", "Zürich",
                   "日本語", "Familie & Freunde"):
        t.ok(folder in screen, "folder pane shows %s" % folder)
    # INBOX first, then the special-use folders
    order = [l.split("│")[0].strip() for l in lines[:6]]
    t.ok(order[0].startswith("INBOX") and order[1].startswith("Drafts") and
         order[2].startswith("Sent"), "INBOX, then special-use folders first", repr(order))
    newest = newest_first(inbox)[0]
    rows = list_rows(lines, 11)
    t.ok(newest.subject[:20] in rows[0], "the newest message is the first row (decoded)",
         "%r not in %r" % (newest.subject[:20], rows[0]))
    t.ok(not any("────" in l for l in lines[:HEIGHT - 2]),
         "no viewer until a message is opened: the list has every row", screen)


def check_open(t, term, inbox):
    order = newest_first(inbox)
    # the newest message with an encoded (non-ASCII) subject
    idx = next(i for i, m in enumerate(order) if m.charset != "ascii" and not m.subject.startswith("Re:"))
    m = order[idx]
    for _ in range(idx):
        term.keys("j")
    term.keys("Enter")
    ok, lines = term.wait_text("Subject: " + m.subject[:30])
    t.ok(ok, "Enter opens the message: decoded subject %r" % m.subject, "\n".join(lines))
    first_line = m.body.split("\n")[2][:30]
    ok, lines = term.wait_text(first_line)
    t.ok(ok, "the viewer shows the decoded body", "%r" % first_line)
    t.ok(any(l.strip().endswith("From: %s <%s>" % (m.from_name, m.from_addr)) or
             ("From: %s" % m.from_name) in l for l in lines), "the viewer shows From decoded")
    return m


def check_flags(t, term, srv, m):
    mid = m.message_id
    t.ok(wait_server(lambda: "\\Seen" in (server_flags(srv, "INBOX", mid) or set())),
         "opening marked it read on the server")
    term.keys("s")
    ok, lines = term.wait(lambda ls: any(m.subject[:20] in l and re.search(r"│[ *][ N]F", l)
                                         for l in ls[:11]))
    t.ok(ok, "s shows F in the list at once", "\n".join(lines[:11]))
    t.ok(wait_server(lambda: "\\Flagged" in (server_flags(srv, "INBOX", mid) or set())),
         "the server has \\Flagged")
    term.keys("u")
    ok, lines = term.wait(lambda ls: any(m.subject[:20] in l and re.search(r"│[ *]NF", l)
                                         for l in ls[:11]))
    t.ok(ok, "u shows it unread (N)", "\n".join(lines[:11]))
    t.ok(wait_server(lambda: "\\Seen" not in (server_flags(srv, "INBOX", mid) or {"\\Seen"})),
         "the server dropped \\Seen")
    term.keys("z")
    t.ok(wait_server(lambda: "\\Seen" in (server_flags(srv, "INBOX", mid) or set())),
         "z undoes the read change on the server")
    term.keys("q")  # back to the list


ROW = re.compile(r"^[ *][ N][ F][ AD] \d{4}-\d\d-\d\d \d\d:\d\d (.*)$")


def row_subject(row):
    """The subject shown in a list row (without a trailing ellipsis, nor the
    preview that may follow it after two spaces)."""
    m = ROW.match(row)
    if m is None:
        return None
    parts = re.split(r"\s{2,}", m.group(1).strip(), maxsplit=2)
    return parts[1].rstrip("…") if len(parts) >= 2 else None


def message_in_row(msgs, row):
    """The one message whose subject the row shows."""
    sub = row_subject(row)
    found = [m for m in msgs if sub and m.subject.startswith(sub)]
    if len(found) != 1:
        raise RuntimeError("row %r matches %d messages" % (row, len(found)))
    return found[0]


def check_delete_move(t, term, srv):
    term.keys("g")
    time.sleep(0.3)
    lines = term.screen()
    row0 = list_rows(lines, 1)[0]
    row1 = list_rows(lines, 2)[1]
    inbox = srv.mailbox["INBOX"]
    victim = message_in_row(inbox, row0)
    nxt = message_in_row(inbox, row1)
    term.keys("d")
    srv.count -= 1
    ok, lines = status_has(term, count_label(srv.count))
    t.ok(ok, "d: the list shows %d messages at once" % srv.count, "\n".join(lines))
    t.ok(nxt.subject[:15] in list_rows(lines, 1)[0], "the next message took its place")
    t.ok(wait_server(lambda: server_flags(srv, "Trash", victim.message_id) is not None),
         "the deleted message is in Trash on the server")
    t.ok(wait_server(lambda: server_flags(srv, "INBOX", victim.message_id) is None),
         "and gone from INBOX")
    # move the (now) first message to Projects/2026/Q4 with completion
    term.keys("m")
    term.text("projects/2026/")
    term.keys("Tab")
    ok, lines = term.wait_text("Projects/2026/Q4")
    t.ok(ok, "Tab completes the folder name", lines[-1])
    term.keys("Enter")
    ok, lines = status_has(term, count_label(srv.count - 1))
    t.ok(ok, "m: the list shows %d messages" % (srv.count - 1), "\n".join(lines))
    t.ok(wait_server(lambda: server_flags(srv, "Projects/2026/Q4", nxt.message_id) is not None),
         "the moved message is in Projects/2026/Q4 on the server")
    t.ok(wait_server(lambda: server_flags(srv, "INBOX", nxt.message_id) is None),
         "and gone from INBOX")
    ok, lines = term.wait_text("Moved 1 message to Projects/2026/Q4.")
    t.ok(ok, "the move is confirmed on the message line", lines[-1])
    term.keys("z")
    ok, lines = term.wait(lambda ls: count_label(srv.count) in ls[-2] and
                          any(nxt.subject[:15] in r for r in list_rows(ls, 11)))
    t.ok(ok, "z: the moved message is back in the list", "\n".join(lines))
    t.ok(wait_server(lambda: server_flags(srv, "INBOX", nxt.message_id) is not None),
         "and back in INBOX on the server")
    t.ok(wait_server(lambda: server_flags(srv, "Projects/2026/Q4", nxt.message_id) is None),
         "and gone from Projects/2026/Q4")
    srv.removed = {victim.message_id}


def check_search(t, term, srv):
    left = [m for m in srv.mailbox["INBOX"] if m.message_id not in srv.removed]
    # a word in some subjects but not all
    words = {}
    for m in left:
        for w in set(re.findall(r"[a-z]+", m.subject.lower())):
            words[w] = words.get(w, 0) + 1
    word = sorted((w for w, n in words.items() if 2 <= n < len(left) and len(w) > 3),
                  key=lambda w: (-words[w], w))[0]
    want = [m for m in left if word in m.subject.lower()]
    term.keys("/")
    term.text("subject:" + word)
    term.keys("Enter")
    n = len(want)
    label = "%d match%s" % (n, "" if n == 1 else "es")
    ok, lines = term.wait_text(label)
    t.ok(ok, "search subject:%s says %s" % (word, label), "\n".join(lines))
    rows = [r for r in list_rows(lines, 11) if r.strip()]
    t.eq(len(rows), n, "the list shows exactly the matching messages")
    for m in want:
        t.ok(any(m.subject[:15] in r for r in rows), "match shown: %r" % m.subject)
    term.keys("Escape")
    ok, lines = term.wait(lambda ls: "match" not in ls[-2] and count_label(srv.count) in ls[-2])
    t.ok(ok, "Esc shows every message again", lines[-2])


def check_view_keys(t, term):
    term.keys("o")
    ok, lines = status_has(term, "[oldest first")
    t.ok(ok, "o: the next sort order", lines[-2])
    term.keys("o", "o", "o", "o")
    ok, lines = status_has(term, "[newest first")
    t.ok(ok, "o cycles back to newest first", lines[-2])
    term.keys("O")
    ok, lines = term.wait(lambda ls: ", threads]" in ls[-2] and
                          any("└─>" in r for r in list_rows(ls, 11)))
    t.ok(ok, "O: threaded view, replies under their parent", "\n".join(lines[:11]))
    term.keys("O")
    ok, lines = term.wait(lambda ls: ", threads]" not in ls[-2] and
                          not any("─>" in r for r in list_rows(ls, 11)))
    t.ok(ok, "O again: flat view", "\n".join(lines[:11]))
    # fold Projects in the folder pane (row 9: after INBOX, the five
    # special-use folders, Familie & Freunde, Lists and tern-devel)
    term.keys("h", "g")
    term.keys(*(["j"] * 9))
    term.keys("c")
    ok, lines = term.wait(lambda ls: any(l.startswith("+Projects") for l in ls) and
                          not any("Q4" in l.split("│")[0] for l in ls))
    t.ok(ok, "c folds a folder's subfolders", "\n".join(l.split("│")[0] for l in lines))
    term.keys("c")
    ok, lines = term.wait(lambda ls: any("Q4" in l.split("│")[0] for l in ls))
    t.ok(ok, "c again unfolds them", "\n".join(l.split("│")[0] for l in lines))
    term.keys("l")


def check_expunge(t, term, srv):
    """In Trash, d deletes for good, after asking."""
    victim = next(iter(srv.removed))
    term.keys("h", "g", "j", "j", "j", "j", "j", "Enter")  # Trash: row 5
    ok, lines = term.wait(lambda ls: "Trash" in ls[-2] and "1 message" in ls[-2])
    t.ok(ok, "Enter in the folder pane opens Trash", lines[-2])
    term.keys("d")
    ok, lines = term.wait_text("for good")
    t.ok(ok, "d in Trash asks before deleting for good", lines[-1])
    term.keys("n")
    ok, lines = term.wait_text("Nothing deleted.")
    t.ok(ok and server_flags(srv, "Trash", victim) is not None, "n keeps it")
    term.keys("d", "y")
    ok, lines = term.wait(lambda ls: "0 messages" in ls[-2])
    t.ok(ok, "y deletes it from the list", lines[-2])
    t.ok(wait_server(lambda: server_flags(srv, "Trash", victim) is None),
         "and expunges it on the server")
    term.keys("h", "g", "Enter")
    ok, lines = term.wait(lambda ls: "INBOX" in ls[-2] and count_label(srv.count) in ls[-2])
    t.ok(ok, "back in INBOX", lines[-2])


def check_new_mail(t, term, srv):
    append(srv, "INBOX", raw_message(b"Fresh arrival from elsewhere", "<fresh@test.tern>"))
    ok, lines = term.wait_text("Fresh arrival from elsewhere")
    t.ok(ok, "new mail appended by another client appears without a key", "\n".join(lines))
    srv.count += 1
    ok, lines = status_has(term, count_label(srv.count))
    t.ok(ok, "the count follows", lines[-2])


def remote(srv, fn):
    c = srv.imap()
    try:
        c.select("INBOX")
        return fn(c)
    finally:
        c.logout()


def check_remote_changes(t, term, srv):
    def uid_of(c, mid):
        typ, data = c.uid("SEARCH", None, "HEADER", "Message-ID", mid)
        return data[0].split()[0]

    remote(srv, lambda c: c.uid("STORE", uid_of(c, "<fresh@test.tern>"), "+FLAGS",
                                "(\\Flagged)"))
    ok, lines = term.wait(lambda ls: any("Fresh arrival" in l and re.search(r"│[ *][ N]F", l)
                                         for l in ls))
    t.ok(ok, "a flag set by another client shows", "\n".join(lines[:11]))

    def expunge(c):
        c.uid("STORE", uid_of(c, "<fresh@test.tern>"), "+FLAGS", "(\\Deleted)")
        c.expunge()
    remote(srv, expunge)
    srv.count -= 1
    ok, lines = term.wait(lambda ls: count_label(srv.count) in ls[-2] and
                          not any("Fresh arrival" in l for l in ls[:11]))
    t.ok(ok, "a message expunged by another client goes away", "\n".join(lines))


def check_reconnect(t, term, srv):
    r = subprocess.run(["doveadm", "-c", srv.config, "kick", srv.user], capture_output=True,
                       text=True, timeout=30)
    t.ok(r.returncode == 0, "doveadm kick dropped the connection", r.stderr)
    ok, lines = term.wait(lambda ls: "Connection lost" in ls[-1] or "offline" in ls[-2])
    t.ok(ok, "a dropped connection says so", "\n".join(lines[-2:]))
    ok, lines = term.wait(lambda ls: "Connected again" in ls[-1] and
                          count_label(srv.count) in ls[-2])
    t.ok(ok, "it reconnects by itself and shows the folder again", "\n".join(lines[-2:]))
    append(srv, "INBOX", raw_message(b"After the reconnect", "<again@test.tern>"))
    srv.count += 1
    ok, lines = term.wait(lambda ls: any("After the reconnect" in l for l in ls) and
                          count_label(srv.count) in ls[-2])
    t.ok(ok, "new mail shows after the reconnect (IDLE again)", "\n".join(lines))


def check_colors(t, term, want):
    shot = term.run("capture-pane", "-p", "-e")
    colored = re.search(r"\x1b\[[0-9;]*(3[0-7]|4[0-7]|38;5|48;5)[;m]", shot) is not None
    if want:
        t.ok(colored, "colours are used (8-colour terminal)")
    else:
        t.ok(not colored, "NO_COLOR: no colour at all", repr(shot[:300]))
        t.ok("\x1b[" in shot, "NO_COLOR: attributes still mark things (reverse, bold)")


def check_hostile(t, term, srv, title0, buffers0):
    osc_title = b"\x1b]0;PWNED-TITLE\x07"
    osc_clip = b"\x1b]52;c;cHduZWQ=\x07"
    append(srv, "INBOX", raw_message(b"Evil " + osc_title + b" and " + osc_clip + b" end",
                                     "<evil1@test.tern>", body=b"evil body " + osc_title + b"\r\n"))
    append(srv, "INBOX", raw_message(b"=?utf-8?q?Encoded_=1B]2;PWNED2=07_and_=E2=80=AEtxt?=",
                                     "<evil2@test.tern>"))
    ok, lines = term.wait_text("Evil ^[]0;PWNED-TITLE^G and ^[]52;c;")
    t.ok(ok, "a raw ESC/BEL subject shows as visible escapes", "\n".join(lines))
    srv.count += 2
    ok, lines = term.wait_text("Encoded ^[]2;PWNED2^G and <U+202E>txt")
    t.ok(ok, "an encoded ESC and a bidi override show as visible escapes", "\n".join(lines))
    # open the raw one (the second row: same date, lower UID): the viewer too
    rows = list_rows(term.screen(), 2)
    t.ok("Encoded" in rows[0] and "Evil" in rows[1], "hostile messages at the top", repr(rows))
    term.keys("g", "j", "Enter")
    ok, lines = term.wait_text("evil body ^[]0;PWNED-TITLE^G")
    t.ok(ok, "the viewer shows the hostile body as visible escapes", "\n".join(lines))
    term.keys("q")
    time.sleep(0.5)
    t.eq(term.display("#{pane_title}"), title0, "the pane title is unchanged")
    t.eq(term.run("list-buffers"), buffers0, "no paste buffer was set (OSC 52)")
    t.ok("PWNED" not in term.display("#{window_name}"), "the window name is unchanged")
    # Control: the same bytes written raw do reach tmux, so the checks
    # above can see an escape that gets through.
    ctl = Term("sleep 0.5; printf '\\033]0;PWNED-CONTROL\\007\\033]52;c;cHduZWQ=\\007'; sleep 600",
               term.env, options=[("set", "-g", "set-clipboard", "on")])
    try:
        deadline = time.time() + 10
        while time.time() < deadline and ctl.display("#{pane_title}") != "PWNED-CONTROL":
            time.sleep(0.1)
        t.eq(ctl.display("#{pane_title}"), "PWNED-CONTROL",
             "control: raw OSC 0 does change a pane title")
        t.ok(ctl.run("list-buffers") != "", "control: raw OSC 52 does set a paste buffer")
    finally:
        ctl.kill()


def layout_ok(lines, width, height, viewer=False):
    """A correct layout at this size: the status bar on the next-to-last
    row, the folder pane column, the viewer separator when a message is
    open (none when not: the list has every row), no row wider."""
    errs = []
    if len(lines) < height:
        errs.append("only %d rows" % len(lines))
        return errs
    if "messages" not in lines[height - 2]:
        errs.append("no status bar on row %d: %r" % (height - 2, lines[height - 2]))
    if not lines[0].startswith(" INBOX"):
        errs.append("folder pane not at the left: %r" % lines[0])
    sep = [i for i, l in enumerate(lines) if "──────" in l]
    want = max(3, min((height - 2) * 40 // 100, height - 5))
    if not viewer and sep:
        errs.append("viewer separator on rows %r with no message open" % sep)
    elif viewer and sep != [want]:
        errs.append("viewer separator on rows %r, want [%d]" % (sep, want))
    for i, l in enumerate(lines):
        cols = sum(2 if 0x1100 <= ord(c) and (ord(c) <= 0x115f or 0x2e80 <= ord(c) <= 0xa4cf or
                                               0xac00 <= ord(c) <= 0xd7a3 or
                                               0xf900 <= ord(c) <= 0xfaff or
                                               0xff00 <= ord(c) <= 0xff60 or
                                               0x1f300 <= ord(c) <= 0x1faff) else 1
                   for c in l)
        if cols > width:
            errs.append("row %d is %d columns wide" % (i, cols))
    return errs


def check_resize(t, term):
    for viewer in (False, True):
        if viewer:
            term.keys("Enter")
        for w, h in ((80, 24), (132, 43), (WIDTH, HEIGHT)):
            HEIGHT_NOW[0] = h
            term.run("resize-window", "-x", str(w), "-y", str(h))
            ok, lines = term.wait(lambda ls: not layout_ok(ls, w, h, viewer), timeout=10)
            t.ok(ok, "resized to %dx%d%s: the layout follows"
                 % (w, h, ", a message open" if viewer else ""),
                 "\n".join(layout_ok(lines, w, h, viewer)) + "\n" + "\n".join(lines))
    term.keys("q")  # close the message


def check_quit(t, term, stderr, status):
    term.keys("?")
    ok, lines = term.wait_text("next_unread")
    t.ok(ok, "? shows the help with every action", "\n".join(lines))
    term.keys("q")
    ok, lines = term.wait(lambda ls: "messages" in ls[-2])
    term.keys("q")
    deadline = time.time() + WAIT
    while time.time() < deadline and not os.path.exists(status):
        time.sleep(0.1)
    time.sleep(0.2)
    code = open(status).read().strip() if os.path.exists(status) else "(still running)"
    t.eq(code, "0", "q from the list quits with status 0")
    err = open(stderr, errors="replace").read() if os.path.exists(stderr) else ""
    t.eq(err, "", "nothing on stderr (no sanitizer report)")


def last_line(lines):
    full = [l.strip() for l in lines if l.strip()]
    return full[-1] if full else ""


def check_job_control(t, srv, env, tenv):
    """A second run in an interactive shell: Ctrl-Z and fg, the beside
    layout from [ui], NO_COLOR, and SIGTERM."""
    cfg = os.path.join(env.dir, "config-beside")
    srv.tern_config(cfg, extra="\n[ui]\nlayout = beside\n")
    HEIGHT_NOW[0] = HEIGHT
    sh_env = dict(tenv, NO_COLOR="1", TERM="screen")
    term = Term("env PS1='SHELL-PROMPT$ ' bash --norc --noprofile -i", sh_env)
    try:
        term.wait_text("SHELL-PROMPT$")
        asan = os.environ.get("ASAN_OPTIONS", "detect_leaks=1")
        term.text("ASAN_OPTIONS=%s %s -c %s 2>%s" % (
            shell_quote(asan), shell_quote(ternlib.TERN), shell_quote(cfg),
            shell_quote(os.path.join(env.dir, "stderr2"))))
        term.keys("Enter")
        ok, lines = term.wait(lambda ls: "messages" in ls[-2] and "INBOX" in ls[0])
        t.ok(ok, "second run: the interface starts from a shell", "\n".join(lines))
        check_colors(t, term, False)
        term.keys("Enter")
        ok, lines = term.wait(lambda ls: any(l.count("│") >= 2 and "Subject:" in l
                                             for l in ls[:12]))
        t.ok(ok, "[ui] layout = beside: the viewer is right of the list", "\n".join(lines))
        term.keys("q", "C-z")
        ok, lines = term.wait(lambda ls: last_line(ls) == "SHELL-PROMPT$" and
                              any("Stopped" in l for l in ls))
        t.ok(ok, "Ctrl-Z suspends to the shell", "\n".join(lines))
        term.text("fg")
        term.keys("Enter")
        ok, lines = term.wait(lambda ls: "messages" in ls[-2] and "INBOX" in ls[0])
        t.ok(ok, "fg brings it back, redrawn", "\n".join(lines))
        pid = subprocess.run(["pgrep", "-f", "-n", "config-beside"], capture_output=True,
                             text=True).stdout.split()
        t.ok(len(pid) == 1, "found its process")
        if pid:
            os.kill(int(pid[0]), 15)
        ok, lines = term.wait(lambda ls: last_line(ls) == "SHELL-PROMPT$")
        t.ok(ok, "SIGTERM: it quits and the shell is back", "\n".join(lines))
        term.text("echo EXIT=$?")
        term.keys("Enter")
        ok, lines = term.wait_text("EXIT=0")
        t.ok(ok, "SIGTERM: exit status 0", "\n".join(lines))
        err = open(os.path.join(env.dir, "stderr2"), errors="replace").read()
        t.eq(err, "", "second run: nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(term.screen()))
        raise
    finally:
        term.kill()


if __name__ == "__main__":
    ternlib.run(main)
