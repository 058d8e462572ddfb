#!/usr/bin/python3
"""A real SMTP server for the tests: Debian's aiosmtpd (python3-aiosmtpd),
run with /usr/bin/python3 (the python3 first on PATH may be another
interpreter). Usage: smtp_server.py PORT SPOOL [MODE]. Each message it
accepts is written to SPOOL/N.eml with SPOOL/N.json (envelope). MODE
"drop" takes the whole message, keeps it, and closes the connection
instead of answering the final dot (a send interrupted after DATA). It
prints "ready" once listening and runs until killed."""
import asyncio
import json
import os
import sys

from aiosmtpd.controller import Controller


class Spool:
    def __init__(self, spool, mode):
        self.spool = spool
        self.mode = mode

    def keep(self, envelope):
        n = len([f for f in os.listdir(self.spool) if f.endswith(".eml")]) + 1
        base = os.path.join(self.spool, "%d" % n)
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "rcpts": envelope.rcpt_tos}, f)

    async def handle_DATA(self, server, session, envelope):
        self.keep(envelope)
        if self.mode == "drop":
            server.transport.abort()
            await asyncio.sleep(0)
            return "421 gone"
        return "250 2.0.0 queued"


def main():
    port, spool = int(sys.argv[1]), sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "normal"
    os.makedirs(spool, exist_ok=True)
    ctl = Controller(Spool(spool, mode), hostname="127.0.0.1", port=port)
    ctl.start()
    print("ready", flush=True)
    try:
        while True:
            asyncio.run(asyncio.sleep(3600))
    finally:
        ctl.stop()


if __name__ == "__main__":
    main()
