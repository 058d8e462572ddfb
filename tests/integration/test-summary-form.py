#!/usr/bin/env python3
"""The summary form (issue 17, "At the floor"): summaries ask either
BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID IN-REPLY-TO
REFERENCES)] or ENVELOPE (+ the References header), per account and server.

Against the test Dovecot:
 (a) summary_fetch = envelope sends ENVELOPE, headers sends the header
     fields, and both give the same `tern list --json` (with PREVIEW and
     MODSEQ) and the same cached summaries, column for column, for messages
     with awkward headers (test-header-envelope's) and the generated ones;
 (b) summary_fetch = auto on a cold folder of 6,000 messages probes once
     (the newest 1,000 by sequence number, headers, envelope, headers,
     envelope), stores the choice with the server's name, and lists the
     same; a second cold load of it does not probe and uses the stored form;
     a stored choice for another server is not used (probed again);
 (c) `tern config check` says which form is used and why;
 (d) the interface uses the stored choice too: its cold load of a folder
     asks the form the cache holds for this server (set to the other one
     here, so that a default would show)."""
import importlib
import importlib.util
import json
import os
import re
import shutil
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "integration"))
import ternlib  # noqa: E402

awkward = importlib.import_module("test-header-envelope")

BIG = 6000
PROBE = re.compile(r"C: \S+ FETCH 5001:6000 \(([^\r\n]*)")
LOAD = re.compile(r"C: \S+ UID FETCH 1:\* \(UID FLAGS ([^\r\n]*)")
HDR_ITEM = "BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES)]"
ENV_ITEM = "ENVELOPE BODY.PEEK[HEADER.FIELDS (REFERENCES)]"
COLUMNS = ("uid, flags, keywords, internaldate, internaldate_tz, date, date_tz, size, "
           "from_full, from_name, from_addr, to_list, cc_list, subject, message_id, "
           "in_reply_to, refs, list_from, list_subject, preview")


def odd_message(i, head):
    """test-header-envelope's message with To, Cc and threading headers."""
    extra = ("Cc: \"Smith, J.\" <js@example.org>, team: a@example.org;\r\n"
             "In-Reply-To: <parent-%d@tern.test>\r\n"
             "References: <root@tern.test>\r\n\t<parent-%d@tern.test>\r\n" % (i, i))
    return awkward.message(i, head + extra)


class Account:
    """One Env with its own cache, summary_fetch set to mode."""

    def __init__(self, srv, mode):
        self.env = ternlib.Env()
        srv.tern_config(self.env.config, extra="summary_fetch = %s\n" % mode)
        self.db = os.path.join(self.env.dir, "cache", "tern", "test.db")

    def tern(self, *args):
        self.truncate_logs()
        return self.env.tern("--debug", *args, timeout=600)

    def logs(self):
        text = ""
        for root, _dirs, files in os.walk(self.env.dir):
            for f in files:
                if f.endswith(".log"):
                    text += open(os.path.join(root, f), errors="replace").read()
        return text

    def truncate_logs(self):
        for root, _dirs, files in os.walk(self.env.dir):
            for f in files:
                if f.endswith(".log"):
                    open(os.path.join(root, f), "w").close()

    def sql(self, query, *args):
        db = sqlite3.connect(self.db)
        try:
            rows = db.execute(query, args).fetchall()
            db.commit()
        finally:
            db.close()
        return rows

    def rows(self, folder):
        return self.sql("SELECT " + COLUMNS + " FROM messages WHERE folder = "
                        "(SELECT id FROM folders WHERE name = ?) ORDER BY uid", folder)

    def forget_folders(self):
        """Makes the next load of every folder a cold one."""
        self.sql("DELETE FROM messages")
        self.sql("DELETE FROM folders")

    def cleanup(self):
        self.env.cleanup()


def listed(t, acct, folder, what, *extra):
    r = acct.tern(*(extra + ("list", folder, "--json")))
    t.eq(r.returncode, 0, "%s: list %s exits 0 (stderr %r)" % (what, folder, r.stderr[-300:]))
    return json.loads(r.stdout) if r.returncode == 0 else None, acct.logs()


def loads_ask(t, log, item, not_item, what):
    loads = LOAD.findall(log)
    t.ok(loads and all(item in x and not_item not in x for x in loads),
         "%s: the load asks %s" % (what, item.split(" ")[0]), repr(loads)[:600])


def test_fixed(t, srv, hdr, env):
    """(a) both fixed forms: what is sent, and the same summaries."""
    for folder in ("Odd", "INBOX"):
        out_h, log_h = listed(t, hdr, folder, "headers")
        out_e, log_e = listed(t, env, folder, "envelope")
        loads_ask(t, log_h, HDR_ITEM, "ENVELOPE", "headers " + folder)
        loads_ask(t, log_e, ENV_ITEM, "HEADER.FIELDS (FROM", "envelope " + folder)
        t.ok("PREVIEW" in log_e and "MODSEQ" in log_e,
             "envelope %s: PREVIEW and MODSEQ still asked" % folder)
        t.ok(not PROBE.search(log_h + log_e), "%s: a fixed form never probes" % folder)
        t.ok(out_h is not None and out_h == out_e,
             "%s: list --json is the same in both forms (%d messages)"
             % (folder, len(out_h or [])))
        rows_h, rows_e = hdr.rows(folder), env.rows(folder)
        t.ok(len(rows_h) > 0 and rows_h == rows_e,
             "%s: the cached summaries are the same, column for column" % folder,
             "\n".join("%r\n%r" % (a, b) for a, b in zip(rows_h, rows_e) if a != b)[:3000])
    # without a cache the client asks the configured form too
    r = env.tern("--no-cache", "list", "Odd", "--json")
    t.eq(r.returncode, 0, "envelope --no-cache: list exits 0")
    loads_ask(t, env.logs(), ENV_ITEM, "HEADER.FIELDS (FROM", "envelope --no-cache")
    t.ok(json.loads(r.stdout) == out_for(hdr, "Odd"), "--no-cache lists the same")


def out_for(acct, folder):
    r = acct.env.tern("--offline", "list", folder, "--json")
    return json.loads(r.stdout) if r.returncode == 0 else None


def probes(log):
    return ["ENVELOPE" if "ENVELOPE" in p else "HEADERS" if "HEADER.FIELDS (FROM" in p else p
            for p in PROBE.findall(log)]


def test_auto(t, srv, auto, hdr):
    """(b) the probe: once, stored, used, redone for another server."""
    want = out_for(hdr, "INBOX")
    out, log = listed(t, auto, "INBOX", "auto, first load")
    t.eq(probes(log), ["HEADERS", "ENVELOPE", "HEADERS", "ENVELOPE"],
         "auto: the cold load of 6,000 probes the newest 1,000 four times, alternating")
    t.ok(all("PREVIEW" not in p for p in PROBE.findall(log)) and
         all("PREVIEW" in x for x in LOAD.findall(log)),
         "auto: the probe asks no PREVIEW (the load does: --json)", log[-2000:])
    t.ok(re.search(r"summaries: probe of 5001:6000: headers \d+ us, envelope \d+ us: "
                   r"(headers|envelope)", log), "auto: the debug log says what the probe chose")
    stored = auto.sql("SELECT server, form, headers_us, envelope_us, probed FROM summary_form")
    t.ok(len(stored) == 1 and stored[0][1] in (0, 1) and stored[0][2] > 0 and
         stored[0][3] > 0 and stored[0][4] > 0, "auto: the choice is stored with both times",
         repr(stored))
    if not stored:
        return
    server, form = stored[0][0], stored[0][1]
    t.ok("Dovecot" in server and "IMAP4REV1" in server,
         "auto: stored with the server's greeting and capabilities", server)
    t.diag("probe on the test Dovecot (6,000 messages, newest 1,000): headers %.1f ms, "
           "envelope %.1f ms -> %s" % (stored[0][2] / 1000, stored[0][3] / 1000,
                                       "envelope" if form == 1 else "headers"))
    t.ok(out == want, "auto: the list is the same as with headers")
    item, not_item = (ENV_ITEM, "HEADER.FIELDS (FROM") if form == 1 else (HDR_ITEM, "ENVELOPE")
    loads_ask(t, log, item, not_item, "auto, first load")

    auto.forget_folders()
    out, log = listed(t, auto, "INBOX", "auto, second cold load")
    t.eq(probes(log), [], "auto: a second cold load does not probe again")
    t.ok("summaries: %s, as probed on this server" % ("envelope" if form == 1 else "headers")
         in log, "auto: the stored form is used (debug log)")
    loads_ask(t, log, item, not_item, "auto, second load")
    t.ok(out == want, "auto: the second list is the same")
    t.eq(auto.sql("SELECT probed FROM summary_form"), [(stored[0][4],)],
         "auto: the stored choice is unchanged")

    auto.sql("UPDATE summary_form SET server = 'Another server ready. | IMAP4REV1'")
    auto.forget_folders()
    out, log = listed(t, auto, "INBOX", "auto, another server stored")
    t.eq(probes(log), ["HEADERS", "ENVELOPE", "HEADERS", "ENVELOPE"],
         "auto: a choice stored for another server is not used: probed again")
    t.eq([r[0] for r in auto.sql("SELECT server FROM summary_form")], [server],
         "auto: the new choice replaces the other server's")
    t.ok(out == want, "auto: the list is still the same")

    # a small cold folder never probes (nor does a warm one)
    auto.sql("DELETE FROM summary_form")
    out, log = listed(t, auto, "Odd", "auto, small folder")
    t.eq(probes(log) + auto.sql("SELECT server FROM summary_form"), [],
         "auto: a folder under 5,000 messages does not probe; nothing stored")
    loads_ask(t, log, HDR_ITEM, "ENVELOPE", "auto unprobed")


def test_config_check(t, auto, env):
    """(c) config check names the form and why."""
    r = auto.env.tern("config", "check")
    t.ok(re.search(rb"\[test\] summaries: headers \(summary_fetch = auto: not probed on this "
                   rb"server yet", r.stdout), "config check: auto, not probed", r.stdout)
    auto.forget_folders()
    listed(t, auto, "INBOX", "auto, probe again")
    r = auto.env.tern("config", "check")
    t.ok(re.search(rb"\[test\] summaries: (headers|envelope) \(probed on this server: headers "
                   rb"[0-9.]+ ms, envelope [0-9.]+ ms\)", r.stdout),
         "config check: auto, the probe's choice and times", r.stdout)
    r = auto.env.tern("--no-cache", "config", "check")
    t.ok(b"[test] summaries: headers (summary_fetch = auto, without a cache)" in r.stdout,
         "config check --no-cache: headers", r.stdout)
    r = env.env.tern("config", "check")
    t.ok(b"[test] summaries: envelope (set by summary_fetch)" in r.stdout,
         "config check: envelope, set by summary_fetch", r.stdout)


def tui_base():
    path = os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "tui", "test-tui.py")
    spec = importlib.util.spec_from_file_location("tui_base", path)
    base = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(base)
    return base


def test_interface(t, auto):
    """(d) the interface's cold load asks the stored form."""
    if shutil.which("tmux") is None:
        if os.environ.get("TERN_REQUIRE_SERVER") == "1":
            raise RuntimeError("TERN_REQUIRE_SERVER=1 but tmux is not installed")
        t.ok(True, "# SKIP tmux is not installed")
        return
    base = tui_base()
    stored = auto.sql("SELECT form FROM summary_form")
    t.eq(len(stored), 1, "interface: a choice is stored")
    if len(stored) != 1:
        return
    form = 1 - stored[0][0]  # the other one: a default would not pass
    auto.sql("UPDATE summary_form SET form = ?", form)
    auto.forget_folders()
    auto.truncate_logs()
    run = base.Run(auto.env, auto.env.config, "--debug")
    try:
        ok, lines = run.term.wait_text("{:,} messages".format(BIG), timeout=120)
        t.ok(ok, "interface: INBOX loaded", "\n".join(lines))
    finally:
        run.quit(t, "interface")
    log = auto.logs()
    fetches = re.findall(r"C: \S+ (?:UID )?FETCH \S+ \(UID FLAGS ([^\r\n]*)", log)
    item, not_item = (ENV_ITEM, "HEADER.FIELDS (FROM") if form == 1 else (HDR_ITEM, "ENVELOPE")
    t.ok(fetches and all(item in x and not_item not in x for x in fetches),
         "interface: every summary FETCH asks the stored form (%s)" % item.split(" ")[0],
         repr(fetches)[:600])
    t.ok("summaries: %s, as probed on this server" % ("envelope" if form == 1 else "headers")
         in log, "interface: the debug log says the stored form is used")


def main(t):
    srv = ternlib.start_server(t, folders={"INBOX": BIG, "Odd": 0})
    accts = []
    try:
        c = srv.imap()
        for i, head in enumerate(awkward.HEADERS):
            c.append("Odd", None, '"01-Jan-2024 12:00:00 +0000"', odd_message(i, head))
        c.logout()
        hdr, env, auto = (Account(srv, m) for m in ("headers", "envelope", "auto"))
        accts = [hdr, env, auto]
        test_fixed(t, srv, hdr, env)
        test_auto(t, srv, auto, hdr)
        test_config_check(t, auto, env)
        test_interface(t, auto)
    finally:
        srv.stop()
        for a in accts:
            a.cleanup()


if __name__ == "__main__":
    ternlib.run(main)
