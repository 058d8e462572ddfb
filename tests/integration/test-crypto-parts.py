#!/usr/bin/env python3
"""tern parts, tern save and tern show on signed and encrypted mail (issues
#14 and #15, loose ends), against the test Dovecot.

- An encrypted message is listed by tern parts as its decrypted tree, with
  the numbers tern save takes (the attachment inside is 1, as tern show
  --json lists it); a part inside the encryption has no IMAP section: null
  in --json, "-" in the plain list. Before, tern parts listed the
  application/pgp-encrypted and application/octet-stream envelope parts,
  numbered 1 and 2, and `tern save 1` saved something else.
- A signed message lists the parts inside the signature with their
  sections, and the signature after them.
- A gpg-agent that accepts and never answers: tern show, tern parts and
  tern save give up after 15 s (MIME_CRYPTO_WAIT_S) with exit 69 and a
  message naming gpg-agent, instead of waiting forever."""
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import cryptolib  # noqa: E402
import ternlib  # noqa: E402

SECRET = "the secret text is pumpernickel"
ATTACHMENT = bytes(range(256)) * 4
SIGNED_ATTACHMENT = b"signed attachment bytes\x00\x01\x02" * 10


class SilentAgent:
    """Listens where gpg looks for gpg-agent, accepts, and never answers."""

    def __init__(self, home):
        path = subprocess.run(["gpgconf", "--list-dirs", "agent-socket"], capture_output=True,
                              text=True, env=dict(os.environ, GNUPGHOME=home),
                              timeout=60).stdout.strip()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def main(t):
    if not cryptolib.have_tools():
        raise RuntimeError("gpg, gpgsm, gpgconf and openssl are needed (tools/deps.sh)")
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    keys = None
    agent = None
    try:
        keys = cryptolib.Keys(env.dir)
        env.env["GNUPGHOME"] = keys.home
        srv.tern_config(env.config, tls="none")
        h = cryptolib.headers
        msgs = {
            "encrypted": keys.pgp_encrypted(
                h("encrypted", "<p-enc@t>"),
                cryptolib.mixed_entity(SECRET, "inside.bin", ATTACHMENT), to=keys.alice),
            "signed": keys.pgp_signed(
                h("signed", "<p-signed@t>"),
                cryptolib.mixed_entity("Signed text.", "signed.bin", SIGNED_ATTACHMENT)),
        }
        uids = {}
        c = srv.imap()
        for name, data in msgs.items():
            typ, resp = c.append("INBOX", None, None, data)
            t.ok(typ == "OK", "%s: appended" % name, repr(resp))
        c.select("INBOX", readonly=True)
        for name in msgs:
            mid = msgs[name].split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0].decode()
            typ, data = c.uid("SEARCH", None, "HEADER", "Message-ID", '"%s"' % mid)
            uids[name] = data[0].split()[-1].decode()
        c.logout()
        check_encrypted(t, env, uids["encrypted"])
        check_signed(t, env, uids["signed"])
        keys.kill_agents()
        home = os.path.join(env.dir, "h")
        shutil.copytree(keys.home, home, ignore=shutil.ignore_patterns("S.*"))
        agent = SilentAgent(home)
        env.env["GNUPGHOME"] = home
        check_silent_agent(t, env, uids["encrypted"])
    finally:
        if agent is not None:
            agent.close()
        if keys is not None:
            keys.kill_agents()
        env.cleanup()
        srv.stop()


def parts_json(t, env, uid, name):
    r = env.tern("--no-cache", "parts", "INBOX", uid, "--json")
    t.eq(r.returncode, 0, "%s: tern parts --json exits 0 (%r)" % (name, r.stderr[:300]))
    try:
        return json.loads(r.stdout.decode())
    except ValueError as e:
        t.ok(False, "%s: one JSON document" % name, "%s %r" % (e, r.stdout[:300]))
        return []


def check_encrypted(t, env, uid):
    parts = parts_json(t, env, uid, "encrypted")
    t.eq([(p.get("part"), p.get("index"), p.get("type"), p.get("filename")) for p in parts],
         [(None, None, "text/plain", None),
          (None, 1, "application/octet-stream", "inside.bin")],
         "encrypted: tern parts lists the decrypted tree; no IMAP section inside")
    t.eq([p.get("size") for p in parts[1:2]], [len(ATTACHMENT)],
         "encrypted: the size inside is the decoded one")
    r = env.tern("--no-cache", "show", "INBOX", uid, "--json")
    shown = json.loads(r.stdout.decode()).get("parts", []) if r.returncode == 0 else []
    t.eq([(p.get("index"), p.get("filename")) for p in shown],
         [(p.get("index"), p.get("filename")) for p in parts if p.get("index")],
         "encrypted: tern show --json and tern parts --json number the parts alike")
    r = env.tern("--no-cache", "parts", "INBOX", uid)
    lines = r.stdout.decode().splitlines()
    t.ok(r.returncode == 0 and len(lines) == 2 and lines[1].split()[:3] ==
         ["-", "1", "application/octet-stream"] and lines[1].endswith("inside.bin"),
         "encrypted: the plain list shows '-' for the section, 1 for the number", repr(lines))
    save = os.path.join(env.dir, "save-enc")
    os.makedirs(save)
    r = env.tern("--no-cache", "save", "INBOX", uid, "1", "-o", save)
    t.eq(r.returncode, 0, "encrypted: tern save 1 exits 0 (%r)" % r.stderr[:300])
    path = os.path.join(save, "inside.bin")
    t.ok(os.path.exists(path) and open(path, "rb").read() == ATTACHMENT,
         "encrypted: tern save 1 saves what tern parts lists as 1", repr(os.listdir(save)))
    r = env.tern("--no-cache", "show", "INBOX", uid, "--part", "2")
    t.ok(r.returncode == 0 and b"-----BEGIN PGP MESSAGE-----" in r.stdout,
         "encrypted: tern show --part 2 still gives the server's part 2 (the armored data)",
         repr(r.stdout[:200]))


def check_signed(t, env, uid):
    parts = parts_json(t, env, uid, "signed")
    t.eq([(p.get("part"), p.get("index"), p.get("type")) for p in parts],
         [("1.1", None, "text/plain"), ("1.2", 1, "application/octet-stream"),
          ("2", 2, "application/pgp-signature")],
         "signed: the parts inside the signature with their sections, then the signature")
    save = os.path.join(env.dir, "save-signed")
    os.makedirs(save)
    r = env.tern("--no-cache", "save", "INBOX", uid, "1", "-o", save)
    path = os.path.join(save, "signed.bin")
    t.ok(r.returncode == 0 and os.path.exists(path) and
         open(path, "rb").read() == SIGNED_ATTACHMENT,
         "signed: tern save 1 saves the attachment inside the signature", repr(r.stderr[:300]))


def check_silent_agent(t, env, uid):
    for what, args in (("show", ["show", "INBOX", uid]), ("parts", ["parts", "INBOX", uid]),
                       ("show --json", ["show", "INBOX", uid, "--json"])):
        start = time.time()
        try:
            r = env.tern("--no-cache", *args, timeout=120)
        except subprocess.TimeoutExpired:
            t.ok(False, "silent agent: tern %s ends" % what, "still waiting after 120 s")
            continue
        took = time.time() - start
        err = r.stderr.decode(errors="replace")
        t.eq(r.returncode, 69, "silent agent: tern %s exits 69 (%r)" % (what, err[:300]))
        t.ok("gpg-agent did not answer within 15 s" in err,
             "silent agent: tern %s says gpg-agent did not answer" % what, err[:300])
        t.ok(14 <= took < 100, "silent agent: tern %s gave up after about 15 s" % what,
             "%.1f s" % took)
        t.ok(SECRET.encode() not in r.stdout, "silent agent: tern %s showed nothing decrypted"
             % what)


if __name__ == "__main__":
    ternlib.run(main)
