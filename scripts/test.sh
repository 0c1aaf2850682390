#!/usr/bin/env bash
# Installs, builds and runs every test: the C++ suites (ctest) and the Python client (pytest).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${GRIDRL_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
echo "==> C++ tests"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${GRIDRL_JOBS:-2}"
echo "==> Python tests"
GRIDRL_BIN_DIR="$BUILD_DIR/bin" "$ROOT/.venv/bin/python" -m pytest -q "$ROOT/tests/python"
