"""Shared helpers for tern's Python tests: TAP output, the test Dovecot,
and running the tern binary with a fixed environment."""
import os
import subprocess
import sys
import tempfile
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
