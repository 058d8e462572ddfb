#!/usr/bin/python3
"""A real SMTP server for the tests: Debian's aiosmtpd (python3-aiosmtpd),
run with /usr/bin/python3 (the python3 first on PATH may be another
interpreter). Usage: smtp_server.py PORT SPOOL [MODE [CERT KEY]]. Each
message it accepts is written to SPOOL/N.eml with SPOOL/N.json (envelope,
and the AUTH mechanism that logged in, if any). MODE:
  normal    plain SMTP, no AUTH (the default)
  drop      takes the whole message, keeps it, and closes the connection
            instead of answering the final dot (a send interrupted after DATA)
  hold-data takes the whole message, keeps it, writes SPOOL/held, and never
            answers the final dot (the client is killed meanwhile)
  hold-rcpt writes SPOOL/held at the first RCPT and never answers it (the
            client is killed before DATA)
  starttls  STARTTLS required before anything but EHLO/QUIT, then AUTH
            required (PLAIN or LOGIN, user "me", password "secret")
  implicit  TLS from the first byte (port 465 style), AUTH required as above
CERT and KEY (PEM) are the server's certificate for starttls and implicit.
Every AUTH attempt is appended to SPOOL/auth.log as "MECHANISM ok|bad".
It prints "ready" once listening and runs until killed."""
import asyncio
import json
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = b"me", b"secret"


class Spool:
    def __init__(self, spool, mode):
        self.spool = spool
        self.mode = mode

    def keep(self, session, envelope):
        n = len([f for f in os.listdir(self.spool) if f.endswith(".eml")]) + 1
        base = os.path.join(self.spool, "%d" % n)
        # Readers look for N.eml and then read N.json: the envelope goes
        # first, and each file appears whole (written aside, then renamed).
        with open(base + ".json.tmp", "w") as f:
            json.dump({"from": envelope.mail_from, "rcpts": envelope.rcpt_tos,
                       "auth": getattr(session, "tern_mechanism", None),
                       "tls": session.ssl is not None or self.mode == "implicit"}, f)
        os.rename(base + ".json.tmp", base + ".json")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".eml.tmp", base + ".eml")

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        good = (isinstance(auth_data, LoginPassword) and auth_data.login == USER and
                auth_data.password == PASSWORD)
        with open(os.path.join(self.spool, "auth.log"), "a") as f:
            f.write("%s %s\n" % (mechanism, "ok" if good else "bad"))
        if good:
            session.tern_mechanism = mechanism
        return AuthResult(success=good, handled=False)  # False: aiosmtpd answers 535

    def held(self):
        with open(os.path.join(self.spool, "held"), "w") as f:
            f.write("held\n")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode == "hold-rcpt":
            self.held()
            await asyncio.sleep(3600)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.keep(session, envelope)
        if self.mode == "hold-data":
            self.held()
            await asyncio.sleep(3600)
        if self.mode == "drop":
            server.transport.abort()
            await asyncio.sleep(0)
            return "421 gone"
        return "250 2.0.0 queued"


def main():
    port, spool = int(sys.argv[1]), sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "normal"
    os.makedirs(spool, exist_ok=True)
    handler = Spool(spool, mode)
    if mode in ("starttls", "implicit"):
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(sys.argv[4], sys.argv[5])
        # aiosmtpd 1.4 does not see the TLS of an implicit-TLS connection
        # (Python 3.11's transport): it is there, let AUTH through
        kw = dict(authenticator=handler.authenticate, auth_required=True,
                  auth_require_tls=mode == "starttls")
        if mode == "starttls":
            ctl = Controller(handler, hostname="127.0.0.1", port=port, tls_context=tls,
                             require_starttls=True, **kw)
        else:
            ctl = Controller(handler, hostname="127.0.0.1", port=port,
                                     ssl_context=tls, **kw)
    else:
        ctl = Controller(handler, hostname="127.0.0.1", port=port)
    ctl.start()
    print("ready", flush=True)
    try:
        while True:
            asyncio.run(asyncio.sleep(3600))
    finally:
        ctl.stop()


if __name__ == "__main__":
    main()
