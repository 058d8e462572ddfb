#!/usr/bin/env python3
"""fake-imapd: a scripted IMAP server for tern's tests (Python 3 stdlib only).

Listens on 127.0.0.1 on a port the OS picks, prints "PORT <n>" as the first
line of its stdout, serves ONE connection following a script (or several, one
after the other, separated by NEXT), then exits:
0 when the client did what the script expected, 1 (after printing what it
saw and what it expected on stderr) when it did not, 2 on a usage error.
With --stdio it serves stdin/stdout instead (for `tunnel = ...`).

Script lines (blank lines and lines starting with '#' are ignored):
  S: <text>          send text + CRLF ("$TAG" becomes the client's last tag)
  C: <line>          expect this client line; a first word "*" matches any tag
  C~ <regex>         expect a client line matching the regex (whole line)
  RAW: <bytes>       send a Python bytes literal exactly, e.g. RAW: b"a1 OK\\r\\n"
  SEND_BYTES <n> [c] send n bytes, all the character c (default "x")
  TLS [cert key]     server-side TLS handshake (default --cert/--key)
  TLS_REFUSED [cert key]  a handshake the client must refuse (fails if it succeeds)
  COMPRESS           from now on raw deflate (RFC 4978) both ways
  CORK / UNCORK      hold TCP output and then send it together (one segment)
  SLEEP <seconds>    pause
  DRIP <seconds> <text>   send text + CRLF one byte at a time, pausing between
  READ <n> [sha256:<hex>] read exactly n bytes from the client, check their digest
  EXPECT_EOF         the client must close without sending anything more
  CLOSE              close the connection now (the script ends here)
  RESET              abort with a TCP RST (SO_LINGER 0); the script ends here
  NEXT               close this connection and go on with the next one
                     the client makes (a reconnect)
At the end of the script the connection is closed and the server exits 0.
FAKE_IMAPD_VERBOSE=1 prints the transcript on stderr.
"""

import argparse
import ast
import hashlib
import os
import re
import socket
import ssl
import struct
import sys
import time
import zlib

VERBOSE = os.environ.get("FAKE_IMAPD_VERBOSE") == "1"
LINE_MAX = 1 << 20  # a client line longer than this is a mismatch


class Mismatch(Exception):
    pass


def log(what, data):
    if VERBOSE:
        sys.stderr.write("fake-imapd %s %r\n" % (what, data))
        sys.stderr.flush()


class Transport:
    """Bytes in and out: a socket (maybe TLS) or stdin/stdout."""

    def __init__(self, sock=None, rfd=None, wfd=None):
        self.sock = sock
        self.raw_sock = sock
        self.rfd, self.wfd = rfd, wfd
        self.corked = False

    def recv(self, n):
        if self.sock is None:
            return os.read(self.rfd, n)
        try:
            # ACK at once: a client with a tiny send buffer waits for ACKs
            self.raw_sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            return self.sock.recv(n)
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError):
            return b""

    def send(self, data):
        if self.sock is None:
            while data:
                data = data[os.write(self.wfd, data):]
        else:
            self.sock.sendall(data)

    def settimeout(self, t):
        if self.sock is not None:
            self.sock.settimeout(t)

    def cork(self, on):
        if self.raw_sock is not None:
            self.raw_sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1 if on else 0)

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        else:
            for fd in {self.rfd, self.wfd}:
                try:
                    os.close(fd)
                except OSError:
                    pass

    def reset(self):
        if self.raw_sock is None:
            raise Mismatch("RESET needs a socket")
        self.raw_sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.raw_sock.close()


class Server:
    def __init__(self, t, args, listener=None):
        self.t = t
        self.args = args
        self.listener = listener
        self.inbuf = bytearray()
        self.tag = "*"
        self.deflate = None
        self.inflate = None

    # ---- layers ----
    def send(self, data):
        log("S", data)
        if self.deflate is not None:
            data = self.deflate.compress(data) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
        self.t.send(data)

    def fill(self, deadline):
        """Read more plaintext into inbuf; False at EOF."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise Mismatch("timed out waiting for the client")
        self.t.settimeout(left)
        try:
            data = self.t.recv(65536)
        except socket.timeout:
            raise Mismatch("timed out waiting for the client")
        if not data:
            return False
        if self.inflate is not None:
            data = self.inflate.decompress(data)
        self.inbuf += data
        return True

    def readline(self, deadline):
        while b"\n" not in self.inbuf:
            if len(self.inbuf) > LINE_MAX:
                raise Mismatch("client line too long")
            if not self.fill(deadline):
                if self.inbuf:
                    raise Mismatch("client closed in the middle of a line: %r"
                                   % bytes(self.inbuf[:200]))
                return None
        i = self.inbuf.index(b"\n")
        line = bytes(self.inbuf[:i])
        del self.inbuf[:i + 1]
        line = line[:-1] if line.endswith(b"\r") else line
        log("C", line)
        return line.decode("utf-8", "surrogateescape")

    def deadline(self):
        return time.monotonic() + self.args.timeout

    # ---- commands ----
    def do_S(self, arg):
        self.send(arg.replace("$TAG", self.tag).encode("utf-8") + b"\r\n")

    def expect_line(self, arg, match):
        line = self.readline(self.deadline())
        if line is None:
            raise Mismatch("expected %r, got EOF" % arg)
        if not match(line):
            raise Mismatch("expected %r, got %r" % (arg, line))
        self.tag = line.split(" ", 1)[0]

    def do_C(self, arg):
        def match(line):
            want = arg.split(" ", 1)
            got = line.split(" ", 1)
            if want[0] == "*":
                return len(got) == len(want) and want[1:] == got[1:]
            return line == arg
        self.expect_line(arg, match)

    def do_Cre(self, arg):
        rx = re.compile(arg)
        self.expect_line(arg, lambda line: rx.fullmatch(line) is not None)

    def do_RAW(self, arg):
        data = ast.literal_eval(arg)
        if not isinstance(data, bytes):
            raise SyntaxError("RAW takes a bytes literal")
        self.send(data.replace(b"$TAG", self.tag.encode()))

    def do_SEND_BYTES(self, arg):
        words = arg.split()
        n = int(words[0])
        c = words[1].encode() if len(words) > 1 else b"x"
        chunk = c * 65536
        while n > 0:
            self.send(chunk[:min(n, len(chunk))])
            n -= min(n, len(chunk))

    def tls_context(self, arg):
        words = arg.split()
        cert = words[0] if words else self.args.cert
        key = words[1] if len(words) > 1 else self.args.key
        if not cert or not key:
            raise SyntaxError("TLS needs --cert and --key or arguments")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        return ctx

    def handshake(self, arg):
        if self.t.sock is None:
            raise SyntaxError("TLS needs a socket (not --stdio)")
        if self.inbuf:
            raise Mismatch("client sent %r before the TLS handshake" % bytes(self.inbuf))
        ctx = self.tls_context(arg)
        self.t.sock.settimeout(self.args.timeout)
        self.t.sock = ctx.wrap_socket(self.t.sock, server_side=True)
        self.t.raw_sock = self.t.sock  # the plain socket object is detached now
        log("TLS", self.t.sock.version())

    def do_TLS(self, arg):
        try:
            self.handshake(arg)
        except (ssl.SSLError, OSError) as e:
            raise Mismatch("TLS handshake failed: %s" % e)

    def do_TLS_REFUSED(self, arg):
        try:
            self.handshake(arg)
        except (ssl.SSLError, OSError) as e:
            log("TLS refused", str(e))
            raise EndOfScript()
        # TLS 1.3: the client checks the certificate after our side is done;
        # a refusing client closes without sending any application data.
        try:
            self.t.sock.settimeout(self.args.timeout)
            data = self.t.sock.recv(1)
        except (ssl.SSLError, OSError):
            data = b""
        if data:
            raise Mismatch("client accepted the certificate and sent %r" % data)
        raise EndOfScript()

    def do_COMPRESS(self, arg):
        self.deflate = zlib.compressobj(wbits=-15)
        self.inflate = zlib.decompressobj(wbits=-15)
        if self.inbuf:
            self.inbuf = bytearray(self.inflate.decompress(bytes(self.inbuf)))

    def do_CORK(self, arg):
        self.t.cork(True)

    def do_UNCORK(self, arg):
        self.t.cork(False)

    def do_SLEEP(self, arg):
        time.sleep(float(arg))

    def do_DRIP(self, arg):
        delay, text = arg.split(" ", 1)
        for b in text.encode("utf-8") + b"\r\n":
            self.send(bytes([b]))
            time.sleep(float(delay))

    def do_READ(self, arg):
        words = arg.split()
        n = int(words[0])
        deadline = self.deadline()
        while len(self.inbuf) < n:
            if not self.fill(deadline):
                raise Mismatch("expected %d bytes, got EOF after %d" % (n, len(self.inbuf)))
        data = bytes(self.inbuf[:n])
        del self.inbuf[:n]
        log("C", "%d bytes" % n)
        if len(words) > 1:
            want = words[1].lower()
            want = want[7:] if want.startswith("sha256:") else want
            got = hashlib.sha256(data).hexdigest()
            if got != want:
                raise Mismatch("the %d bytes read have sha256 %s, expected %s" % (n, got, want))

    def do_EXPECT_EOF(self, arg):
        deadline = self.deadline()
        while not self.inbuf and self.fill(deadline):
            pass
        if self.inbuf:
            raise Mismatch("expected EOF, got %r" % bytes(self.inbuf[:200]))

    def do_NEXT(self, arg):
        if self.listener is None:
            raise SyntaxError("NEXT needs a socket (not --stdio)")
        self.t.close()
        self.listener.settimeout(self.args.timeout)
        try:
            sock, _ = self.listener.accept()
        except socket.timeout:
            raise Mismatch("the client did not connect again")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.t = Transport(sock=sock)
        self.inbuf = bytearray()
        self.tag = "*"
        self.deflate = self.inflate = None
        log("NEXT", "connection")

    def do_CLOSE(self, arg):
        raise EndOfScript()

    def do_RESET(self, arg):
        self.t.reset()
        self.t.raw_sock = self.t.sock = None
        raise EndOfScript(reset=True)


class EndOfScript(Exception):
    def __init__(self, reset=False):
        super().__init__()
        self.reset = reset


COMMANDS = {
    "S:": "do_S", "C:": "do_C", "C~": "do_Cre", "RAW:": "do_RAW",
    "SEND_BYTES": "do_SEND_BYTES", "TLS": "do_TLS", "TLS_REFUSED": "do_TLS_REFUSED",
    "COMPRESS": "do_COMPRESS", "CORK": "do_CORK", "UNCORK": "do_UNCORK",
    "SLEEP": "do_SLEEP", "DRIP": "do_DRIP", "READ": "do_READ",
    "EXPECT_EOF": "do_EXPECT_EOF", "CLOSE": "do_CLOSE", "RESET": "do_RESET",
    "NEXT": "do_NEXT",
}


def parse_script(path):
    steps = []
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            word, _, arg = line.partition(" ")
            if word not in COMMANDS:
                raise SystemExit("fake-imapd: %s:%d: unknown command %r" % (path, no, word))
            steps.append((no, word, arg))
    return steps


def run(server, steps, path):
    for no, word, arg in steps:
        try:
            getattr(server, COMMANDS[word])(arg)
        except EndOfScript as e:
            if not e.reset:
                server.t.close()
            return 0
        except Mismatch as e:
            sys.stderr.write("fake-imapd: %s:%d (%s %s): %s\n" % (path, no, word, arg, e))
            server.t.close()
            return 1
        except (BrokenPipeError, ConnectionResetError) as e:
            sys.stderr.write("fake-imapd: %s:%d (%s %s): connection lost: %s\n"
                             % (path, no, word, arg, e))
            return 1
    server.t.close()
    return 0


def main():
    ap = argparse.ArgumentParser(description="scripted fake IMAP server")
    ap.add_argument("script")
    ap.add_argument("--cert", help="PEM certificate for TLS")
    ap.add_argument("--key", help="PEM private key for TLS")
    ap.add_argument("--timeout", type=float, default=10.0,
                    help="seconds to wait for the client at each step")
    ap.add_argument("--stdio", action="store_true", help="serve stdin/stdout")
    ap.add_argument("--listen", default="127.0.0.1", help="address to listen on (::1 for IPv6)")
    args = ap.parse_args()
    try:
        steps = parse_script(args.script)
    except OSError as e:
        sys.stderr.write("fake-imapd: %s\n" % e)
        return 2

    if args.stdio:
        server = Server(Transport(rfd=0, wfd=1), args)
        return run(server, steps, args.script)

    family = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
    try:
        ls = socket.socket(family, socket.SOCK_STREAM)
        ls.bind((args.listen, 0))
    except OSError as e:
        sys.stdout.write("NOLISTEN %s\n" % e)  # e.g. no IPv6 here
        return 3
    ls.listen(1)
    sys.stdout.write("PORT %d\n" % ls.getsockname()[1])
    sys.stdout.flush()
    ls.settimeout(args.timeout)
    try:
        sock, _ = ls.accept()
    except socket.timeout:
        sys.stderr.write("fake-imapd: no client connected\n")
        return 1
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener = ls if any(word == "NEXT" for _, word, _ in steps) else None
    if listener is None:
        ls.close()
    rc = run(Server(Transport(sock=sock), args, listener), steps, args.script)
    ls.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
