#!/usr/bin/env python3
"""A throwaway Dovecot for tern's tests and demo.

Everything lives in one temporary directory: config, state, logs, a
self-signed CA and server certificate made at start, a passwd-file user and
Maildir mail from the fixture generator. It listens on 127.0.0.1 only, on
ports picked here, with plain IMAP (+STARTTLS) and implicit TLS, and stops
what it started (stop() is also registered with atexit and signal handlers).

As a module:
    with DovecotServer(folders=genmail.default_folders()) as srv:
        srv.imap_port, srv.imaps_port, srv.ca_file, srv.user, srv.password
As a program (the README's demo):
    dovecot_server.py --demo DIR     start, write DIR/config for tern, wait
"""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import genmail  # noqa: E402

USER = "tern"
PASSWORD = "tern-test-pw"


def find_dovecot():
    for p in ("/usr/sbin/dovecot", shutil.which("dovecot") or ""):
        if p and os.access(p, os.X_OK):
            return p
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certs(d, hostname="localhost"):
    """A CA and a server certificate for localhost/127.0.0.1 signed by it."""
    ca_key, ca_crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    key, csr, crt = (os.path.join(d, n) for n in ("server.key", "server.csr", "server.crt"))
    ext = os.path.join(d, "server.ext")
    run = lambda *a: subprocess.run(a, check=True, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", ca_key, "-out", ca_crt, "-days", "30", "-subj", "/CN=tern test CA")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key, "-out", csr, "-subj", "/CN=" + hostname)
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:%s,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n" % hostname)
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
        "-CAcreateserial", "-out", crt, "-days", "30", "-extfile", ext)
    return ca_crt, crt, key


CONFIG = """\
base_dir = {d}/run
state_dir = {d}/state
instance_name = tern-test-{pid}
log_path = {d}/log/dovecot.log
info_log_path = {d}/log/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{d}/server.crt
ssl_key = <{d}/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
{users}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{d}/mail/%u:LAYOUT=fs:INBOX={d}/mail/%u/INBOX
mail_plugins = $mail_plugins zlib
mailbox_list_index = {list_index}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  prefix =
{special}
}}
protocol imap {{
  mail_plugins = $mail_plugins imap_zlib
  mail_max_userip_connections = 100
}}
# A 1,000,000-message maildir needs more than the default 256 MB per
# imap process (its uidlist hash alone is 12 MB, and it grows on resync).
service imap {{
  vsz_limit = 2G
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = 0
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0600
  }}
}}
"""


class ServerUnavailable(Exception):
    pass


class DovecotServer:
    """Start with start() (or `with`), stop with stop(); idempotent."""

    def __init__(self, folders=None, seed=genmail.DEFAULT_SEED, keep_dir=None,
                 list_index=True):
        # list_index=False: Dovecot 2.3 then offers no NOTIFY (tern's poll
        # fallback is tested so).
        self.list_index = list_index
        self.folders = folders if folders is not None else genmail.default_folders()
        self.seed = seed
        self.keep_dir = keep_dir
        self.dir = None
        self.proc = None
        self.user, self.password = USER, PASSWORD
        self.host = "127.0.0.1"
        self.mailbox = None

    # -- life cycle -------------------------------------------------------
    def start(self):
        exe = find_dovecot()
        if exe is None:
            raise ServerUnavailable("dovecot is not installed (Debian package dovecot-imapd)")
        self.exe = exe
        self.dir = self.keep_dir or tempfile.mkdtemp(prefix="tern-dovecot-")
        os.makedirs(self.dir, exist_ok=True)
        for sub in ("run", "state", "log", "mail", "home/" + USER):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.ca_file, _, _ = make_certs(self.dir)
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            f.write("%s:{PLAIN}%s::::::\n" % (USER, PASSWORD))
        self.mailbox = genmail.write_maildir(os.path.join(self.dir, "mail", USER),
                                             self.folders, seed=self.seed)
        self.uid, self.gid = os.getuid(), os.getgid()
        if self.uid == 0:
            # Dovecot refuses uid 0 for mail: run the mail user as 'dovecot'.
            import pwd
            pw = pwd.getpwnam("dovecot")
            self.uid, self.gid = pw.pw_uid, pw.pw_gid
            for sub in ("mail", "home"):
                for top, dirs, files in os.walk(os.path.join(self.dir, sub)):
                    for n in dirs + files:
                        os.chown(os.path.join(top, n), self.uid, self.gid)
                os.chown(os.path.join(self.dir, sub), self.uid, self.gid)
        atexit.register(self.stop)
        for attempt in range(5):
            self.imap_port, self.imaps_port = free_port(), free_port()
            self._write_config()
            if self._launch():
                return self
        raise RuntimeError("dovecot did not start; log:\n" + self.log_tail())

    def _write_config(self):
        if os.getuid() == 0:
            users = "default_login_user = dovenull\ndefault_internal_user = dovecot"
        else:
            me = os.environ.get("USER") or str(os.getuid())
            users = "default_login_user = %s\ndefault_internal_user = %s" % (me, me)
        special = "".join(
            "  mailbox \"%s\" {\n    special_use = %s\n    auto = subscribe\n  }\n" % (n, u)
            for n, u in genmail.SPECIAL_USE.items())
        self.config = os.path.join(self.dir, "dovecot.conf")
        with open(self.config, "w") as f:
            f.write(CONFIG.format(d=self.dir, pid=os.getpid(), uid=self.uid, gid=self.gid,
                                  users=users, special=special, imap_port=self.imap_port,
                                  imaps_port=self.imaps_port,
                                  list_index="yes" if self.list_index else "no"))

    def _launch(self):
        self.proc = subprocess.Popen([self.exe, "-F", "-c", self.config],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.proc = None
                return False
            if self._port_open(self.imap_port) and self._port_open(self.imaps_port):
                return True
            time.sleep(0.05)
        self.stop()
        return False

    @staticmethod
    def _port_open(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if self.proc.stderr:
                self.proc.stderr.close()
            self.proc = None
        if self.dir and not self.keep_dir and not os.environ.get("TERN_KEEP_SERVER"):
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- helpers for tests ------------------------------------------------
    def log_tail(self, n=30):
        try:
            with open(os.path.join(self.dir, "log", "dovecot.log")) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no log)"

    def tern_config(self, path, tls="starttls", name="test", extra="", port=None,
                    compress=False, timeout=20):
        """Write a tern config for this server (or for port, e.g. a proxy in
        front of it); return its path."""
        if port is None:
            port = self.imaps_port if tls == "implicit" else self.imap_port
        ca = "" if tls == "none" else "ca_file = %s\n" % self.ca_file
        with open(path, "w") as f:
            f.write("[account %s]\nhost = 127.0.0.1\nport = %d\ntls = %s\nuser = %s\n"
                    "password = %s\n%scompress = %s\ntimeout = %d\n%s"
                    % (name, port, tls, self.user, self.password, ca,
                       "true" if compress else "false", timeout, extra))
        os.chmod(path, 0o600)
        return path

    def tunnel_command(self):
        """A command that speaks PREAUTH IMAP on stdin/stdout as the test user."""
        return "doveadm -c %s exec imap -u %s" % (self.config, self.user)

    def imap(self):
        """A logged-in imaplib connection (a second client for checks)."""
        import imaplib
        c = imaplib.IMAP4(self.host, self.imap_port)
        c.login(self.user, self.password)
        return c


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="Run the throwaway Dovecot with fixture mail.")
    ap.add_argument("--demo", metavar="DIR", required=True,
                    help="state directory; DIR/config is a tern config for it")
    ap.add_argument("--big", action="store_true", help="also make the 100,000-message folder")
    ap.add_argument("--ready-fd", type=int, help="write 'ready' to this fd once started")
    args = ap.parse_args(argv)
    folders = genmail.default_folders(big=args.big)
    d = os.path.abspath(args.demo)
    if os.path.exists(os.path.join(d, "dovecot.conf")):
        shutil.rmtree(d)
    srv = DovecotServer(folders=folders, keep_dir=d)
    stop = lambda *a: (srv.stop(), sys.exit(0))
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, stop)
    srv.start()
    cfg = srv.tern_config(os.path.join(d, "config"), tls="starttls", name="demo")
    print("Dovecot is running on 127.0.0.1: IMAP+STARTTLS port %d, IMAPS port %d"
          % (srv.imap_port, srv.imaps_port))
    print("user %s, password %s, CA %s" % (srv.user, srv.password, srv.ca_file))
    print("tern config: %s" % cfg, flush=True)
    if args.ready_fd is not None:
        os.write(args.ready_fd, b"ready\n")
        os.close(args.ready_fd)
    while True:
        signal.pause()


if __name__ == "__main__":
    main(sys.argv[1:])
