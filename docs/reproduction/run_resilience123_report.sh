#!/usr/bin/env bash
# Regenerates the numbers and figures of docs/reproduction/resilience123-env.md.
# Usage: docs/reproduction/run_resilience123_report.sh [BUILD_DIR] [RUNS_DIR] [EPISODES]
set -euo pipefail
BUILD=${1:-build}
RUNS=${2:-runs/resilience123-report}
EPISODES=${3:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-.venv/bin/python}
mkdir -p "$RUNS"
for c in 0 1 2 3 4 5; do
  # Intact feeder: a calm year (no calamity); every step is the same state.
  "$BUILD/bin/gridrl" eval --env resilience123 --agent "config$c" --episodes 1 --seed 0 \
    --calamity hurricane --config p_normal_to_calamity=0 --out "$RUNS/config$c-intact" --quiet
  for t in flood wildfire hurricane short_circuit; do
    "$BUILD/bin/gridrl" eval --env resilience123 --agent "config$c" --episodes "$EPISODES" \
      --seed 1000 --calamity "$t" --out "$RUNS/config$c-$t" --quiet
  done
done
for a in random greedy; do
  for t in flood wildfire hurricane short_circuit; do
    "$BUILD/bin/gridrl" eval --env resilience123 --agent "$a" --episodes "$EPISODES" \
      --seed 1000 --calamity "$t" --out "$RUNS/$a-$t" --quiet
  done
done
"$BUILD/bin/gridrl" resilience123-layout --out "$RUNS/layout.json" --seed 3 --steps 3
"$PY" "$HERE/plot_resilience123.py" layout "$RUNS/layout.json" "$HERE/resilience123"
"$PY" "$HERE/plot_resilience123.py" tables "$RUNS" > "$RUNS/tables.md"
echo "tables in $RUNS/tables.md"
