#!/usr/bin/env python3
"""Proves the test harness (not tern): our own Dovecot starts on 127.0.0.1,
greets, offers STARTTLS and implicit TLS with the generated CA, logs our
user in, advertises the extensions tern relies on, and holds the generated
folders and messages."""
import os
import socket
import ssl
import sys

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402
from ternlib import genmail  # noqa: E402

WANT_CAPS = ["IMAP4REV1", "CONDSTORE", "QRESYNC", "IDLE", "MOVE", "UIDPLUS",
             "SPECIAL-USE", "LIST-STATUS", "ESEARCH", "COMPRESS=DEFLATE", "LITERAL+"]


def readline(f):
    return f.readline().decode("utf-8", "replace").rstrip("\r\n")


def command(f, sock, tag, line):
    sock.sendall(("%s %s\r\n" % (tag, line)).encode())
    lines = []
    while True:
        ln = readline(f)
        lines.append(ln)
        if ln.startswith(tag + " ") or ln == "":
            return lines


def main(t):
    srv = ternlib.start_server(t)
    try:
        # plain socket: greeting, pre-login CAPABILITY with STARTTLS
        s = socket.create_connection(("127.0.0.1", srv.imap_port), timeout=10)
        f = s.makefile("rb")
        greet = readline(f)
        t.ok(greet.startswith("* OK"), "greeting is an untagged OK", greet)
        r = command(f, s, "a1", "CAPABILITY")
        t.ok(r[-1].startswith("a1 OK"), "CAPABILITY answered OK", r)
        t.ok("STARTTLS" in r[0].split(), "STARTTLS offered before login", r[0])
        r = command(f, s, "a2", "STARTTLS")
        t.ok(r[-1].startswith("a2 OK"), "STARTTLS accepted", r)
        ctx = ssl.create_default_context(cafile=srv.ca_file)
        ts = ctx.wrap_socket(s, server_hostname="localhost")
        tf = ts.makefile("rb")
        t.ok(ts.version() in ("TLSv1.2", "TLSv1.3"), "TLS >= 1.2 verified against the CA file",
             ts.version())
        r = command(tf, ts, "a3", "LOGIN %s %s" % (srv.user, srv.password))
        t.ok(r[-1].startswith("a3 OK"), "LOGIN as the passwd-file user", r)
        r = command(tf, ts, "a4", "CAPABILITY")
        caps = r[0].upper().split()
        for c in WANT_CAPS:
            t.ok(c in caps, "capability %s advertised" % c)
        r = command(tf, ts, "a5", 'LIST "" "*" RETURN (SPECIAL-USE STATUS (MESSAGES))')
        listing = "\n".join(r)
        for name, use in genmail.SPECIAL_USE.items():
            t.ok(any(use in ln and ln.endswith(" " + name) for ln in r),
                 "%s is listed with %s" % (name, use), listing)
        want = genmail.default_folders()
        for name, count in want.items():
            enc = genmail.mutf7(name)
            enc_q = '"%s"' % enc if " " in enc else enc
            t.ok(any(ln.startswith("* STATUS %s (MESSAGES %d)" % (enc_q, count)) for ln in r),
                 "folder %r holds %d messages" % (name, count), listing)
        r = command(tf, ts, "a6", "EXAMINE INBOX")
        first = genmail.generate_folder("INBOX", want["INBOX"])[0]
        r = command(tf, ts, "a7", "UID FETCH 1 (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        t.ok(any(first.message_id in ln for ln in r),
             "UID 1 of INBOX is the generator's first message", r)
        command(tf, ts, "a8", "LOGOUT")
        ts.close()

        # implicit TLS port
        raw = socket.create_connection(("127.0.0.1", srv.imaps_port), timeout=10)
        ts = ssl.create_default_context(cafile=srv.ca_file).wrap_socket(
            raw, server_hostname="localhost")
        greet = readline(ts.makefile("rb"))
        t.ok(greet.startswith("* OK"), "implicit TLS port greets after a verified handshake",
             greet)
        ts.close()
        pid = srv.proc.pid
    finally:
        srv.stop()
    gone = False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        gone = True
    t.ok(gone, "the server is stopped by the test that started it")

    # same seed, same mail
    a = genmail.generate_folder("Lists/tern-devel", 50)
    b = genmail.generate_folder("Lists/tern-devel", 50)
    t.ok([m.raw for m in a] == [m.raw for m in b], "the generator is deterministic")
    kinds = {m.kind for m in genmail.generate_folder("Lists/tern-devel", 1000)}
    t.eq(kinds, {"plain", "alternative", "attachment"}, "the 1,000 folder mixes body kinds")


ternlib.run(main)
