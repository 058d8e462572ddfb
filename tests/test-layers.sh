#!/bin/sh
# The layering rule: core/ includes neither ncurses nor GMime; mime/ no ncurses.
. "$TERN_SRCDIR/tests/lib/tap.sh"
plan 2
cd "$TERN_SRCDIR" || exit 1
bad=$(grep -rnE '#include *[<"](n?cursesw?/|n?curses|gmime/|libxml/)' core 2>/dev/null)
[ -z "$bad" ]; ok $? "core/ includes no ncurses, GMime or libxml header"
[ -n "$bad" ] && diag "$bad"
bad=$(grep -rnE '#include *[<"](n?cursesw?/|n?curses)|#include *"ui/' mime 2>/dev/null)
[ -z "$bad" ]; ok $? "mime/ includes no ncurses and nothing from ui/"
[ -n "$bad" ] && diag "$bad"
exit 0
