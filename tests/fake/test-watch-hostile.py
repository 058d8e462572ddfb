#!/usr/bin/env python3
"""tern watch against a hostile NOTIFY stream (issue 16), on the scripted
fake server: after NOTIFY, the server floods 100,000 STATUS lines for
folders no LIST named (names of 40 bytes, counts of 4294967295), then one
for INBOX with the largest counts there are. tern watch --json must print
exactly one line (INBOX, new, the counts as sent), keep nothing of the
flood (its peak RSS, ASan's quarantine off, stays within 4 MiB of a run
where the same number of lines are "* OK" noise, which the watch never
sees; figures printed), make the folder list again rather than trust the
names, and end with 0 on SIGTERM."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

FAKE = os.path.join(ternlib.SRCDIR, "tests", "fake", "fake-imapd.py")
CAPS = "IMAP4rev1 NOTIFY LIST-STATUS"
FLOOD = 100000
BIG = 4294967295


def script(flood):
    s = ("S: * OK [CAPABILITY %s] fake ready\n"
         "C~ \\S+ LOGIN .*\n"
         "S: $TAG OK [CAPABILITY %s] logged in\n"
         "C~ \\S+ LIST \"\" \"\\*\" RETURN \\(STATUS \\(MESSAGES UNSEEN UIDNEXT\\)\\)\n"
         "S: * LIST () \"/\" INBOX\n"
         "S: * STATUS INBOX (MESSAGES 1 UNSEEN 0 UIDNEXT 2)\n"
         "S: $TAG OK done\n"
         "C~ \\S+ NOTIFY SET .*\n"
         "S: $TAG OK notify\n" % (CAPS, CAPS))
    if flood:
        fmt = ("S: * STATUS f%039d (MESSAGES %d UNSEEN %d UIDNEXT %d)\n" if flood == "status"
               else "S: * OK f%039d (MESSAGES %d UNSEEN %d UIDNEXT %d)\n")
        s += "CORK\n"
        for i in range(FLOOD):
            s += fmt % (i, BIG, BIG, BIG)
        s += "UNCORK\n"
    s += "S: * STATUS INBOX (MESSAGES %d UNSEEN %d UIDNEXT %d)\n" % (BIG, BIG, BIG)
    if flood == "status":
        # The unknown names make tern list again; the answer is the same.
        s += ("C~ \\S+ LIST \"\" \"\\*\" RETURN \\(STATUS \\(MESSAGES UNSEEN UIDNEXT\\)\\)\n"
              "S: * LIST () \"/\" INBOX\n"
              "S: * STATUS INBOX (MESSAGES %d UNSEEN %d UIDNEXT %d)\n"
              "S: $TAG OK done\n" % (BIG, BIG, BIG))
    return s + "SLEEP 600\n"


def run(t, tmp, flood, debug=False):
    path = os.path.join(tmp, "script-%s" % flood)
    with open(path, "w") as f:
        f.write(script(flood))
    srv = subprocess.Popen([sys.executable, FAKE, path, "--timeout", "120"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    port = int(srv.stdout.readline().decode().split()[1])
    env = ternlib.Env()
    # ASan keeps freed memory aside (256 MiB): RSS would measure churn.
    env.env["ASAN_OPTIONS"] = (env.env.get("ASAN_OPTIONS", "") +
                               ":quarantine_size_mb=0").lstrip(":")
    with open(env.config, "w") as f:
        f.write("[account hostile]\nhost = 127.0.0.1\nport = %d\ntls = none\nuser = u\n"
                "password = secret-password\ntimeout = 60\n" % port)
    os.chmod(env.config, 0o600)
    out = open(os.path.join(tmp, "out-%s" % flood), "w+b")
    err = open(os.path.join(tmp, "err-%s" % flood), "w+b")
    # The trace (--debug) shows the second LIST, but its writing weighs
    # on the figures: RSS is compared without it.
    p = subprocess.Popen([ternlib.TERN, "-c", env.config] + (["--debug"] if debug else []) +
                         ["watch", "--json"],
                         stdout=out, stderr=err, env=env.env)
    log = os.path.join(env.dir, "cache", "tern", "tern.log")

    def relisted():
        try:
            text = open(log, errors="replace").read()
        except OSError:
            return False
        return text.count('LIST "" "*"') >= 2 and text.count("S: * LIST") >= 2
    # The end: the line printed, and (with the flood) the second list answered.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        out.seek(0)
        if out.read().count(b"\n") >= 1 and (not debug or relisted()):
            break
        time.sleep(0.1)
    # tern's own peak, read before it exits (wait4's figure would include
    # LeakSanitizer's helper at exit).
    hwm = 0
    with open("/proc/%d/status" % p.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    p.send_signal(signal.SIGTERM)
    timer = threading.Timer(60, p.kill)
    timer.start()
    _, status, usage = os.wait4(p.pid, 0)
    timer.cancel()
    srv.kill()
    srv.wait()
    srv.stdout.close()
    srv.stderr.close()
    out.seek(0)
    err.seek(0)
    r = (os.waitstatus_to_exitcode(status), out.read().decode("utf-8", "replace"),
         err.read().decode("utf-8", "replace"), hwm, relisted())
    out.close()
    err.close()
    env.cleanup()
    return r


def main(t):
    tmp = tempfile.mkdtemp(prefix="tern-watch-hostile-")
    try:
        want = [{"folder": "INBOX", "messages": BIG, "unseen": BIG, "event": "new"}]
        rc, out, err, base_rss, _ = run(t, tmp, None)
        t.eq(rc, 0, "without the flood: SIGTERM ends tern watch with 0")
        t.eq([json.loads(l) for l in out.splitlines()], want,
             "without the flood: one line, the largest counts as sent")
        rc, out, err, noise_rss, _ = run(t, tmp, "noise")
        t.eq(rc, 0, "after 100,000 '* OK' lines: SIGTERM ends it with 0")
        rc, out, err, _, relisted = run(t, tmp, "status", debug=True)
        t.eq(rc, 0, "after 100,000 STATUS lines for unknown folders: SIGTERM ends it with 0")
        t.eq([json.loads(l) for l in out.splitlines()], want,
             "the flood prints nothing; INBOX's change is one line")
        t.eq(err, "", "nothing on stderr (no sanitizer report)")
        t.ok(relisted, "the unknown names made tern list the folders again")
        rc, out, err, rss, _ = run(t, tmp, "status")
        t.eq((rc, len(out.splitlines())), (0, 1), "the same without the trace: one line, 0")
        t.diag("peak RSS: %d KiB alone, %d KiB after the noise, %d KiB after the STATUS flood"
               % (base_rss, noise_rss, rss))
        t.ok(rss - noise_rss < 4 * 1024,
             "the STATUS flood costs less than 4 MiB more than the same noise",
             "%d KiB more" % (rss - noise_rss))
    finally:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


ternlib.run(main)
