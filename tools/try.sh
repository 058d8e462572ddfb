#!/bin/sh
# Try tern in one command: install what is missing, build, start a local
# Dovecot with sample mail on 127.0.0.1, and open tern on it. The server
# stops when tern exits.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/tools/deps.sh"
sh "$top/tools/build.sh"
demo=${TERN_DEMO_DIR:-${XDG_RUNTIME_DIR:-/tmp}/tern-demo-$(id -u)}
fifo=$(mktemp -u)
mkfifo "$fifo"
python3 "$top/tests/server/dovecot_server.py" --demo "$demo" ${TERN_DEMO_BIG:+--big} --ready-fd 3 3>"$fifo" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$fifo"' EXIT INT TERM
read -r _ <"$fifo" || { echo "tern: the demo server did not start" >&2; exit 1; }
export XDG_CACHE_HOME="$demo/cache"
"$top/_build/tern" -c "$demo/config" "$@"
