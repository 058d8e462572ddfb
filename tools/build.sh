#!/bin/sh
# Configure (once) and build tern in _build/ (or $TERN_BUILD) with make -j2.
# Extra arguments go to configure.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${TERN_BUILD:-$top/_build}
[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null 2>&1) || (cd "$top" && ./autogen.sh)
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ] || [ "$*" != "$(cat .tern-configure-args 2>/dev/null)" ]; then
	"$top/configure" -q "$@"
	printf '%s' "$*" > .tern-configure-args
fi
make -j2 -s
