#!/usr/bin/env python3
"""Folder roles on servers without SPECIAL-USE (issue 19 item 10).

Courier and older servers mark no folder \\Trash, \\Sent, ...: tern finds
them by their usual names (Trash, Deleted Items, Papierkorb, INBOX.Trash,
...) in core, so `tern delete` moves to that folder instead of asking for
`trash =`. A folder the server does mark keeps its role over a folder that
only has the usual name. Dovecot's test config marks special-use, so these
run on the scripted fake server (the helpers of test-hostile.py).
"""
import importlib.util
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "hostile", os.path.join(ternlib.SRCDIR, "tests", "fake", "test-hostile.py"))
hostile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hostile)


def delete_script(list_lines, dest_rx, caps="IMAP4rev1 UIDPLUS MOVE"):
    """delete INBOX 1: LIST (answered with list_lines), SELECT, then the
    move to the folder matching dest_rx."""
    return (hostile.prelude(caps) +
            'C~ \\S+ LIST "" "\\*".*\n' +
            "".join("S: %s\n" % line for line in list_lines) +
            "S: $TAG OK done\n" +
            hostile.select(n=3, cmd="SELECT") +
            "C~ \\S+ UID SEARCH UID 1\nS: * SEARCH 1\nS: $TAG OK done\n" +
            "C~ \\S+ UID MOVE 1 %s\n" % dest_rx +
            "S: $TAG OK moved\n" + hostile.LOGOUT)


CASES = [
    ("Deleted Items at the top",
     ['* LIST (\\HasNoChildren) "/" INBOX', '* LIST (\\HasNoChildren) "/" Sent',
      '* LIST (\\HasNoChildren) "/" "Deleted Items"'],
     '"Deleted Items"'),
    ("INBOX.Trash (Courier)",
     ['* LIST (\\HasChildren) "." INBOX', '* LIST (\\HasNoChildren) "." INBOX.Sent',
      '* LIST (\\HasNoChildren) "." INBOX.Trash'],
     "INBOX\\.Trash"),
    ("Papierkorb, any case",
     ['* LIST (\\HasNoChildren) "/" INBOX', '* LIST (\\HasNoChildren) "/" papierkorb'],
     "papierkorb"),
    ("Trash before Deleted Messages",
     ['* LIST (\\HasNoChildren) "/" INBOX',
      '* LIST (\\HasNoChildren) "/" "Deleted Messages"',
      '* LIST (\\HasNoChildren) "/" Trash'],
     "Trash"),
    ("a \\Noselect Trash is not the Trash",
     ['* LIST (\\HasNoChildren) "/" INBOX', '* LIST (\\Noselect) "/" Trash',
      '* LIST (\\HasNoChildren) "/" Corbeille'],
     "Corbeille"),
]


def main(t):
    if not os.path.exists(ternlib.TERN):
        t.skip_all("no tern binary at %s" % ternlib.TERN)
    tmp = tempfile.mkdtemp(prefix="tern-roles-")
    try:
        for name, lines, dest in CASES:
            hostile.case(t, tmp, "delete finds the Trash by name: " + name,
                         delete_script(lines, dest), ["delete", "INBOX", "1"], hostile.EX_OK)
        # A server that marks its Trash keeps it, even beside a "Trash".
        script = delete_script(
            ['* LIST (\\HasNoChildren) "/" INBOX', '* LIST (\\HasNoChildren) "/" Trash',
             '* LIST (\\HasNoChildren \\Trash) "/" Bin'],
            "Bin", caps="IMAP4rev1 UIDPLUS MOVE SPECIAL-USE")
        hostile.case(t, tmp, "a folder marked \\Trash wins over one named Trash", script,
                     ["delete", "INBOX", "1"], hostile.EX_OK)
        # No usual name at all: still the clear error asking for trash =.
        script = (hostile.prelude() + 'C~ \\S+ LIST "" "\\*".*\n'
                  'S: * LIST (\\HasNoChildren) "/" INBOX\n'
                  'S: * LIST (\\HasNoChildren) "/" Rubbish\n'
                  "S: $TAG OK done\n" + hostile.LOGOUT)

        def asks(r):
            t.ok(b"trash" in r.err, "no usual name: the error names trash =", r.err[:300])
        hostile.case(t, tmp, "no usual name: delete asks for trash =", script,
                     ["delete", "INBOX", "1"], hostile.EX_UNAVAILABLE, server_ok=False,
                     check=asks)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    ternlib.run(main)
