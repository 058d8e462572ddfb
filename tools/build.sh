#!/bin/sh
# Configure (once) and build tern in _build/ (or $TERN_BUILD) with make -j2.
# Extra arguments go to configure.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${TERN_BUILD:-$top/_build}
# autogen.sh makes configure before Makefile.in: a run cut short (^C, a
# closed terminal) leaves a configure that cannot work, so both are asked
if [ ! -x "$top/configure" ] || [ ! -f "$top/Makefile.in" ]; then
	(cd "$top" && ./autogen.sh >/dev/null 2>&1) || (cd "$top" && ./autogen.sh)
fi
mkdir -p "$build"
cd "$build"
# the same for configure, whose Makefile comes before config.h
if [ ! -f Makefile ] || [ ! -f config.h ] ||
	[ "$*" != "$(cat .tern-configure-args 2>/dev/null)" ]; then
	"$top/configure" -q "$@"
	printf '%s' "$*" > .tern-configure-args
fi
make -j2 -s
