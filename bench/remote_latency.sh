#!/usr/bin/env bash
# One-env remote step latency (p50/p99) and remote env-steps/s against a separate gridrl-server
# process on TCP loopback: how a learner in another process sees the server. Starts the server
# on a free port, runs gridrl-env-bench's TCP benchmarks against it ROUNDS times, stops it.
# Usage: bench/remote_latency.sh [BUILD_DIR] [ROUNDS] [extra gridrl-env-bench flags...]
#   e.g. bench/remote_latency.sh build 3 --benchmark_filter=Latency
set -euo pipefail
BUILD=${1:-build}
ROUNDS=${2:-3}
shift $(( $# > 2 ? 2 : $# ))
FILTER=(--benchmark_filter=Latency)
[ $# -gt 0 ] && FILTER=("$@")
LOG=$(mktemp)
"$BUILD/bin/gridrl-server" --address 127.0.0.1:0 > "$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 50); do
  PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$LOG")
  [ -n "$PORT" ] && break
  sleep 0.1
done
[ -n "${PORT:-}" ] || { echo "gridrl-server did not start:"; cat "$LOG"; exit 1; }
echo "gridrl-server pid $SERVER on 127.0.0.1:$PORT; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
  echo "round $r"
  "$BUILD/bin/gridrl-env-bench" --work=0 --server="127.0.0.1:$PORT" "${FILTER[@]}" 2>&1 |
    grep -E '^(Latency|Remote)'
done
