#!/usr/bin/env bash
# The main job: installs and builds, starts gridrl-server with every environment on built-in
# defaults, and steps them from the Python client to show them working. Interactively the server
# then keeps serving until Ctrl-C; without a terminal it stops after the demonstration.
#   GRIDRL_PORT  TCP port (default 50051)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${GRIDRL_BUILD_DIR:-$ROOT/build}"
PORT="${GRIDRL_PORT:-50051}"
"$ROOT/scripts/setup.sh"

echo "==> starting gridrl-server on port $PORT"
"$BUILD_DIR/bin/gridrl-server" --address "0.0.0.0:$PORT" &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  "$ROOT/.venv/bin/python" -c "import grpc,sys; grpc.channel_ready_future(grpc.insecure_channel('localhost:$PORT')).result(timeout=0.2)" 2>/dev/null && break
  kill -0 $SERVER 2>/dev/null || { echo "gridrl-server failed to start" >&2; exit 1; }
done

"$ROOT/.venv/bin/python" "$ROOT/clients/python/examples/demo.py" --address "localhost:$PORT"

if [ -t 0 ]; then
  echo "==> gridrl-server is serving on localhost:$PORT (Ctrl-C to stop)"
  wait $SERVER
fi
