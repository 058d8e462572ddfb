#!/usr/bin/env python3
"""What the test Dovecot cannot stage without extra set-up (DESIGN.md,
"Tests"): AUTHENTICATE PLAIN with and without SASL-IR, XOAUTH2 and
OAUTHBEARER with a token from oauth_token_command (and the empty answer to
the server's error challenge), LITERAL+ and LITERAL- vs synchronizing
literals, UTF8=ACCEPT (names and strings in UTF-8) and an IMAP4rev2 server.
Each case runs the real tern against the scripted fake server, which fails
when tern sends anything but the expected lines."""
import base64
import importlib.util
import os
import sys
import tempfile
import shutil

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "hostile", os.path.join(ternlib.SRCDIR, "tests", "fake", "test-hostile.py"))
hostile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hostile)
q, case, LOGOUT = hostile.q, hostile.case, hostile.LOGOUT

LIST_EMPTY = ('C~ \\S+ LIST "" "\\*".*\n'
              "S: $TAG OK listed\n")


def b64(s):
    return base64.b64encode(s.encode()).decode()


def greet(caps):
    return "S: * OK [CAPABILITY %s] fake ready\n" % caps


def auth_cases(t, tmp):
    plain = b64("\0u\0secret-password")
    case(t, tmp, "AUTHENTICATE PLAIN with SASL-IR",
         greet("IMAP4rev1 SASL-IR AUTH=PLAIN") +
         "C: * AUTHENTICATE PLAIN %s\n" % plain +
         "S: $TAG OK [CAPABILITY IMAP4rev1] in\n" + LIST_EMPTY + LOGOUT,
         ["folders"], 0)
    case(t, tmp, "AUTHENTICATE PLAIN without SASL-IR waits for +",
         greet("IMAP4rev1 AUTH=PLAIN") +
         "C: t1 AUTHENTICATE PLAIN\n"
         "S: + \n"
         "C: %s\n" % plain +
         "S: t1 OK [CAPABILITY IMAP4rev1] in\n" + LIST_EMPTY + LOGOUT,
         ["folders"], 0)
    case(t, tmp, "LOGIN when AUTH=PLAIN is not offered",
         greet("IMAP4rev1") +
         "C: * LOGIN u secret-password\n"
         "S: $TAG OK [CAPABILITY IMAP4rev1] in\n" + LIST_EMPTY + LOGOUT,
         ["folders"], 0)
    case(t, tmp, "LOGINDISABLED without AUTH=PLAIN is refused, nothing sent",
         greet("IMAP4rev1 LOGINDISABLED") + "EXPECT_EOF\n",
         ["folders"], 77)
    token_cmd = "printf tok-123"
    xo = b64("user=u\x01auth=Bearer tok-123\x01\x01")
    conf = {"auth": "xoauth2", "password": None, "oauth_token_command": token_cmd}
    case(t, tmp, "XOAUTH2 with the token from oauth_token_command",
         greet("IMAP4rev1 SASL-IR AUTH=XOAUTH2") +
         "C: * AUTHENTICATE XOAUTH2 %s\n" % xo +
         "S: $TAG OK [CAPABILITY IMAP4rev1] in\n" + LIST_EMPTY + LOGOUT,
         ["folders"], 0, conf=conf)
    err = b64('{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}')
    case(t, tmp, "XOAUTH2 refused: the error challenge is answered empty, exit 77",
         greet("IMAP4rev1 SASL-IR AUTH=XOAUTH2") +
         "C: t1 AUTHENTICATE XOAUTH2 %s\n" % xo +
         "S: + %s\n" % err +
         "C: \n"
         "S: t1 NO [AUTHENTICATIONFAILED] invalid credentials\n"
         "EXPECT_EOF\n",
         ["folders"], 77, conf=conf)
    ob = b64("n,a=u,\x01auth=Bearer tok-123\x01\x01")
    conf = {"auth": "oauthbearer", "password": None, "oauth_token_command": token_cmd}
    case(t, tmp, "OAUTHBEARER with the token from oauth_token_command",
         greet("IMAP4rev1 SASL-IR AUTH=OAUTHBEARER") +
         "C: * AUTHENTICATE OAUTHBEARER %s\n" % ob +
         "S: $TAG OK [CAPABILITY IMAP4rev1] in\n" + LIST_EMPTY + LOGOUT,
         ["folders"], 0, conf=conf)
    conf = {"auth": "xoauth2", "password": None, "oauth_token_command": "false"}
    case(t, tmp, "a failing oauth_token_command is a config error, nothing sent",
         greet("IMAP4rev1 SASL-IR AUTH=XOAUTH2") + "EXPECT_EOF\n",
         ["folders"], 78, conf=conf, server_ok=None, server_args=("--timeout", "1"))


def literal_cases(t, tmp):
    # 8-bit in a search string needs a literal: {n+} with LITERAL+, {n} and
    # "+" without it.
    body = "café"
    n = len(body.encode())
    sel = ("C~ \\S+ EXAMINE INBOX\n"
           "S: * 0 EXISTS\n"
           "S: * OK [UIDVALIDITY 7] ok\n"
           "S: $TAG OK [READ-ONLY] done\n")
    for caps, first, wait in (("IMAP4rev1 LITERAL+", "{%d+}" % n, False),
                              ("IMAP4rev1 LITERAL-", "{%d+}" % n, False),
                              ("IMAP4rev1", "{%d}" % n, True)):
        script = (greet(caps) +
                  "C: * LOGIN u secret-password\n"
                  "S: $TAG OK [CAPABILITY %s] in\n" % caps + sel +
                  "C~ \\S+ UID SEARCH CHARSET UTF-8 SUBJECT %s\n" % q(first))
        if wait:
            script += "S: + go ahead\n"
        # $TAG would be the literal's line: name the tag (LOGIN t1, EXAMINE t2)
        script += ("C: %s\n" % body +
                   "S: * SEARCH\n"
                   "S: t3 OK searched\n" + LOGOUT)
        case(t, tmp, "a non-ASCII search string as %s literal (%s)" %
             ("a synchronizing" if wait else "a non-synchronizing",
              caps.replace("+", " plus").replace("-", " minus")),
             script, ["--no-cache", "search", "INBOX", "--json", "subject:" + body], 0)


def utf8_cases(t, tmp):
    # UTF8=ACCEPT: ENABLEd, names are UTF-8 on the wire both ways, no
    # CHARSET on SEARCH.
    script = (greet("IMAP4rev1 ENABLE UTF8=ACCEPT") +
              "C: * LOGIN u secret-password\n"
              "S: $TAG OK [CAPABILITY IMAP4rev1 ENABLE UTF8=ACCEPT] in\n"
              "C: * ENABLE UTF8=ACCEPT\n"
              "S: * ENABLED UTF8=ACCEPT\n"
              "S: $TAG OK enabled\n"
              'C~ \\S+ LIST "" "\\*".*\n'
              'S: * LIST () "/" "Grüße"\n'
              "S: $TAG OK listed\n"
              'C~ \\S+ STATUS (?:"Grüße"|\\{\\d+\\+?\\}) \\(MESSAGES UNSEEN\\)\n')
    script += ("S: * STATUS \"Grüße\" (MESSAGES 3 UNSEEN 1)\n"
               "S: $TAG OK status\n" + LOGOUT)
    r = case(t, tmp, "UTF8=ACCEPT: folder names in UTF-8", script, ["folders", "--json"], 0)
    t.ok(b'"Gr\xc3\xbc\xc3\x9fe"' in r.out, "the UTF-8 folder name is shown as sent", r.out)


def rev2_cases(t, tmp):
    # An IMAP4rev2-only server: ESEARCH answers for UID SEARCH.
    script = (greet("IMAP4rev2 ESEARCH") +
              "C: * LOGIN u secret-password\n"
              "S: $TAG OK [CAPABILITY IMAP4rev2 ESEARCH] in\n"
              "C~ \\S+ EXAMINE INBOX\n"
              "S: * 5 EXISTS\n"
              "S: * OK [UIDVALIDITY 7] ok\n"
              "S: $TAG OK [READ-ONLY] done\n"
              "C~ \\S+ UID SEARCH RETURN \\(ALL\\) FLAGGED\n"
              "S: * ESEARCH (TAG \"$TAG\") UID ALL 2:3\n"
              "S: $TAG OK searched\n"
              "C~ \\S+ UID FETCH 2:3 \\(UID FLAGS .*\\)\n")
    for seq, uid in ((1, 2), (2, 3)):
        script += ('S: * %d FETCH (UID %d FLAGS (\\Flagged) INTERNALDATE '
                   '"01-Jan-2024 12:00:00 +0000" RFC822.SIZE 10 ENVELOPE '
                   '("Mon, 1 Jan 2024 12:00:00 +0000" "s%d" NIL NIL NIL NIL NIL NIL NIL '
                   '"<m%d@x>"))\n' % (seq, uid, uid, uid))
    script += "S: $TAG OK fetched\n" + LOGOUT
    r = case(t, tmp, "IMAP4rev2 server: ESEARCH answers a search", script,
             ["--no-cache", "search", "INBOX", "--json", "is:flagged"], 0)
    t.ok(b'"uid": 3' in r.out and b'"uid": 2' in r.out, "both ESEARCH UIDs listed", r.out)


def main(t):
    if not os.path.exists(ternlib.TERN):
        t.skip_all("no tern binary at %s" % ternlib.TERN)
    tmp = tempfile.mkdtemp(prefix="tern-auth-")
    try:
        auth_cases(t, tmp)
        literal_cases(t, tmp)
        utf8_cases(t, tmp)
        rev2_cases(t, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    ternlib.run(main)
