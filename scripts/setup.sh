#!/usr/bin/env bash
# Installs everything gridrl needs on a fresh Debian machine and builds it (idempotent: a second
# run only rebuilds what changed). Used by scripts/run.sh and scripts/test.sh.
#   GRIDRL_BUILD_DIR  build folder (default: build)    GRIDRL_JOBS  parallel jobs (default: 2)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${GRIDRL_BUILD_DIR:-$ROOT/build}"
JOBS="${GRIDRL_JOBS:-2}"
VENV="$ROOT/.venv"

APT_PACKAGES=(cmake ninja-build g++ ccache pkg-config python3 python3-venv
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libeigen3-dev libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "==> installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating the Python environment $VENV"
  python3 -m venv "$VENV"
fi
stamp="$VENV/.gridrl-deps"
want="grpcio grpcio-tools protobuf numpy gymnasium pytest grpcio-health-checking"
# The client's extras too: [ray] (Ray RLlib and torch, for gridrl.ray and its cluster test; about
# 3 minutes and 6 GB the first time, torch's PyPI wheel bringing its CUDA libraries).
extras="ray,test"
want_stamp="$want [$extras] $(sha256sum "$ROOT/clients/python/pyproject.toml" | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want_stamp" ]; then
  echo "==> installing Python packages: $want and the client's [$extras] dependencies"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q $want
  "$VENV/bin/pip" install -q "$ROOT/clients/python[$extras]"
  echo "$want_stamp" > "$stamp"
fi

echo "==> building (Release, $JOBS jobs) in $BUILD_DIR"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.ccache}" CCACHE_BASEDIR="$ROOT"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"

echo "==> installing the Python client (stubs generated from proto/)"
"$VENV/bin/pip" install -q --no-deps --force-reinstall "$ROOT/clients/python"
