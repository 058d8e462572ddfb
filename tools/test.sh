#!/bin/sh
# The whole test suite, from a fresh machine: install what is missing, build
# with ASan+UBSan in _build-check/, run `make check` with the real Dovecot
# required (never skipped). Prints automake's summary; exits non-zero on failure.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/tools/deps.sh"
export TERN_BUILD=${TERN_BUILD:-$top/_build-check}
sh "$top/tools/build.sh" --enable-sanitizers
cd "$TERN_BUILD"
TERN_REQUIRE_SERVER=1 make -j2 check
