"""Shared helpers for tern's Python tests: TAP output, the test Dovecot,
and running the tern binary with a fixed environment."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

SRCDIR = os.environ.get("TERN_SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILDDIR = os.environ.get("TERN_BUILDDIR") or SRCDIR
TERN = os.environ.get("TERN") or os.path.join(BUILDDIR, "tern")
sys.path.insert(0, os.path.join(SRCDIR, "tests", "server"))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "fixtures"))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "fake"))

import genmail  # noqa: E402
import dovecot_server  # noqa: E402


class Tap:
    """TAP producer. Failures are 'not ok' lines; an exception in the test
    body prints its traceback as diagnostics and exits non-zero (ERROR)."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, desc.replace("\n", " ")))
        if not cond:
            self.failed += 1
            if diag is not None:
                self.diag(diag)
        sys.stdout.flush()
        return cond

    def eq(self, got, want, desc):
        return self.ok(got == want, desc, "got:  %r\nwant: %r" % (got, want))

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line)

    def skip_all(self, reason):
        print("1..0 # SKIP " + reason)
        sys.exit(0)

    def done(self):
        print("1..%d" % self.n)
        sys.stdout.flush()
        sys.exit(0)


def run(main):
    """Run main(tap); turn exceptions into a failing TAP stream."""
    t = Tap()
    try:
        main(t)
    except SystemExit:
        raise
    except BaseException:
        t.ok(False, "test raised an exception")
        t.diag(traceback.format_exc())
        print("1..%d" % t.n)
        sys.exit(1)
    t.done()


def start_server(t, **kw):
    """Start the test Dovecot, or skip (TAP) when it is not installed —
    unless TERN_REQUIRE_SERVER=1, where a missing server fails."""
    if dovecot_server.find_dovecot() is None:
        reason = "dovecot is not installed (apt-get install dovecot-imapd)"
        if os.environ.get("TERN_REQUIRE_SERVER") == "1":
            raise RuntimeError("TERN_REQUIRE_SERVER=1 but " + reason)
        t.skip_all(reason)
    return dovecot_server.DovecotServer(**kw).start()


class Env:
    """A private HOME/XDG tree for one test, so no user file is touched."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tern-test-")
        for sub in ("config/tern", "cache", "home"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        self.env = dict(os.environ)
        self.env.update(HOME=os.path.join(self.dir, "home"),
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                        XDG_CACHE_HOME=os.path.join(self.dir, "cache"),
                        XDG_STATE_HOME=os.path.join(self.dir, "state"),
                        TZ="UTC", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        self.config = os.path.join(self.dir, "config", "tern", "config")

    def tern(self, *args, input=None, timeout=120, config=True):
        argv = [TERN]
        if config:
            argv += ["-c", self.config]
        argv += list(args)
        return subprocess.run(argv, input=input, capture_output=True, timeout=timeout,
                              env=self.env)

    def cleanup(self):
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on now."""
    return dovecot_server.free_port()


class Smtpd:
    """The test SMTP server (tests/server/smtp_server.py, Debian's aiosmtpd,
    run by /usr/bin/python3) on 127.0.0.1:port, started and stopped by the
    test. mode and its extra arguments (a certificate and key for the TLS
    modes) go to the server; each accepted message is N.eml with N.json."""

    def __init__(self, port, spool, mode="normal", *args):
        self.port, self.spool = port, spool
        server = os.path.join(SRCDIR, "tests", "server", "smtp_server.py")
        self.p = subprocess.Popen(["/usr/bin/python3", server, str(port), spool, mode] +
                                  list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.p.stdout.readline()
        if line.strip() != b"ready":
            raise RuntimeError("smtp server: %r %r" % (line, self.p.stderr.read()))

    def stop(self):
        self.p.kill()
        self.p.wait()

    def messages(self):
        """(envelope dict, message bytes) of each message, in order."""
        import json
        out = []
        for n in range(1, 1000):
            base = os.path.join(self.spool, "%d" % n)
            if not os.path.exists(base + ".eml"):
                break
            with open(base + ".eml", "rb") as f, open(base + ".json") as j:
                out.append((json.load(j), f.read()))
        return out

    def auth_log(self):
        path = os.path.join(self.spool, "auth.log")
        return open(path).read().split("\n")[:-1] if os.path.exists(path) else []


SEQ_FETCH = re.compile(rb"(?:^|\n)\S+ FETCH ")
ORDER_CMD = re.compile(rb"\S+ UID (?:FETCH|SORT|THREAD) ")
SELECT_CMD = re.compile(rb"(?:^|\n)\S+ (?:SELECT|EXAMINE) ")


class Proxy:
    """127.0.0.1:port -> 127.0.0.1:target, for tests and benchmarks. It
    counts the bytes the server sends (take()), and its mode says what it
    does with new data:
      up          forward both ways
      down        every new connection is closed at once (set_down() also
                  cuts the open ones: the server "cannot be reached")
      drop-store  forward, but a connection whose client sends a STORE is
                  cut before the command reaches the server
      hold-store  forward until the client sends a STORE; from then on what
                  the client sends is swallowed and the connection stays
                  open (an answer that never comes)
      hold-select  forward until the client sends a SELECT or EXAMINE; from
                  then on what the client sends is swallowed (a folder that
                  never opens)
      hold-seq-fetch  the first FETCH by sequence number (a folder's newest
                  screenful) goes through; from the second on (the rest of
                  the load) what the client sends is swallowed, except
                  UID FETCH, SORT and THREAD
      stall       nothing goes on, either way, until the mode changes: then
                  what was held goes on in order (a link that stalls for
                  exactly as long as the test wants)
      stall-select  forward until the client sends a SELECT or EXAMINE;
                  from it on, as stall (the mode becomes "stall")
    delay (seconds) holds every chunk that long before it goes on, both
    ways: a slow link."""

    def __init__(self, target_port):
        self.target = target_port
        self.mode = "up"
        self.delay = 0
        self.received = 0
        self.open_pipes = 0
        self.conns = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if self.mode == "down":
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                self.conns.append((client, server))
                self.open_pipes += 2
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, src, dst, from_client):
        held = False
        seq_fetches = 0
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_client and self.mode == "drop-store" and b" STORE " in data:
                    break
                if from_client and self.mode == "hold-store" and (held or b" STORE " in data):
                    held = True
                    continue
                if from_client and self.mode == "hold-select" and (
                        held or SELECT_CMD.search(data)):
                    held = True
                    continue
                if from_client and self.mode == "hold-seq-fetch" and (
                        held or SEQ_FETCH.search(data)):
                    seq_fetches += len(SEQ_FETCH.findall(data))
                    if held or seq_fetches > 1:
                        held = True
                        data = b"".join(l for l in data.splitlines(keepends=True)
                                        if ORDER_CMD.match(l))
                        if not data:
                            continue
                if from_client and self.mode == "stall-select" and SELECT_CMD.search(data):
                    self.mode = "stall"
                while self.mode == "stall":
                    time.sleep(0.02)
                if self.delay:
                    time.sleep(self.delay)
                if not from_client:
                    with self.lock:
                        self.received += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self.lock:
                self.open_pipes -= 1

    def take(self):
        """The bytes the server sent since the last take, once the
        connections closed."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with self.lock:
                if self.open_pipes == 0:
                    break
            time.sleep(0.01)
        with self.lock:
            n, self.received = self.received, 0
        return n

    def set_down(self):
        """Refuse new connections and cut the open ones."""
        self.mode = "down"
        with self.lock:
            conns, self.conns = self.conns, []
        for pair in conns:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.set_down()
        self.sock.close()
