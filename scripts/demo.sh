#!/usr/bin/env bash
# The README's demo: start the built-in target in the background on a free loopback port,
# run examples/scenarios/demo.httpx against it with --progress, stop the target.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
./bin/httptool target --host 127.0.0.1 --port "$PORT" --quiet >/dev/null &
TARGET=$!
trap 'kill $TARGET 2>/dev/null || true; wait $TARGET 2>/dev/null || true' EXIT
for _ in $(seq 100); do   # wait (at most 10 s) until the target answers
  if $PY -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/get', timeout=1)" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
./bin/httptool scenario validate examples/scenarios/demo.httpx
echo
echo "Running examples/scenarios/demo.httpx against the built-in target on port $PORT"
./bin/httptool scenario run examples/scenarios/demo.httpx --progress \
  --base-url-map "http://127.0.0.1:8080=http://127.0.0.1:$PORT" "$@"
