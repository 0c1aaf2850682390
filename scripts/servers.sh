#!/usr/bin/env bash
# Many gridrl-servers on one machine: starts N servers on ports the kernel picks, prints their
# addresses (one line, comma-separated, for make_vec(address=...split(","))) and waits; Ctrl-C or
# SIGTERM stops them all.
#   bash scripts/servers.sh 4 [more gridrl-server flags, e.g. --max-threads-per-session 1]
#   GRIDRL_HOST (default 127.0.0.1): the interface they listen on
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVER="${GRIDRL_SERVER:-$ROOT/build/bin/gridrl-server}"
N="${1:?usage: servers.sh N [gridrl-server flags]}"
shift
[ -x "$SERVER" ] || { echo "$SERVER not found: bash scripts/setup.sh builds it" >&2; exit 1; }
dir=$(mktemp -d)
pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait || true; rm -rf "$dir"; }
trap stop EXIT INT TERM
addresses=()
for i in $(seq "$N"); do
  "$SERVER" --address "${GRIDRL_HOST:-127.0.0.1}:0" "$@" >"$dir/$i.log" 2>&1 &
  pids+=($!)
done
for i in $(seq "$N"); do
  for _ in $(seq 100); do grep -q "listening on port" "$dir/$i.log" && break; sleep 0.1; done
  port=$(grep -o "listening on port [0-9]*" "$dir/$i.log" | grep -o "[0-9]*$") \
    || { echo "server $i did not start: $(cat "$dir/$i.log")" >&2; exit 1; }
  addresses+=("${GRIDRL_HOST:-127.0.0.1}:$port")
done
(IFS=,; echo "${addresses[*]}")
wait
