#!/bin/sh
# tern --help / --version / unknown command and option exit codes.
. "$TERN_SRCDIR/tests/lib/tap.sh"
plan 7
out=$("$TERN" --help); ok $? "--help exits 0"
echo "$out" | grep -q "tern folders"; ok $? "--help lists the folders command"
ver=$("$TERN" --version); ok $? "--version exits 0"
echo "$ver" | grep -Eq '^tern [0-9]+\.[0-9]+'; ok $? "--version prints 'tern X.Y'"
"$TERN" frobnicate 2>/dev/null; rc=$?; [ $rc -eq 64 ]; ok $? "unknown command exits 64 (got $rc)"
"$TERN" --bogus 2>/dev/null; rc=$?; [ $rc -eq 64 ]; ok $? "unknown global option exits 64 (got $rc)"
err=$("$TERN" frobnicate 2>&1 >/dev/null | wc -l); [ "$err" -eq 1 ]; ok $? "an error is one line on stderr"
