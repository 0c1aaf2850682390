#!/usr/bin/env bash
# Builds the server image with podman, runs it, checks its health check, steps an environment
# from the Python client on the host, and stops it with SIGTERM (which must exit cleanly).
#   GRIDRL_SMOKE_PORT  host port for the container (default 50071)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${GRIDRL_SMOKE_PORT:-50071}"
IMAGE=gridrl:smoke
NAME="gridrl-smoke-$$"
cd "$ROOT"

echo "==> container tooling (podman and a local Debian base image)"
if [ -x "$ROOT/../shared/tools/container-base.sh" ] || [ -f "$ROOT/../shared/tools/container-base.sh" ]; then
  bash "$ROOT/../shared/tools/container-base.sh"
fi
command -v podman >/dev/null || { echo "podman is required" >&2; exit 1; }

echo "==> building $IMAGE"
# Docker format, so the image keeps its HEALTHCHECK (OCI images have none).
podman --runtime runc build --format docker --network host -t "$IMAGE" -f docker/Dockerfile .

echo "==> starting the container on port $PORT"
podman --runtime runc run -d --name "$NAME" --network host -e GRIDRL_HEALTH_ADDRESS="127.0.0.1:$PORT" \
  "$IMAGE" --address "127.0.0.1:$PORT" >/dev/null
cleanup() { podman rm -f "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT

user=$(podman exec "$NAME" id -un)
[ "$user" = "gridrl" ] || { echo "the server runs as '$user', expected the non-root user gridrl" >&2; exit 1; }
for _ in $(seq 50); do
  podman exec "$NAME" gridrl health --address "127.0.0.1:$PORT" >/dev/null 2>&1 && break
  sleep 0.2
done
podman exec "$NAME" gridrl health --address "127.0.0.1:$PORT"
echo "==> the image's own HEALTHCHECK"
if ! podman healthcheck run "$NAME" 2>/dev/null; then
  echo "the image's HEALTHCHECK reports the server unhealthy" >&2
  exit 1
fi
echo "healthcheck: healthy"
podman exec "$NAME" gridrl envs tutorial

echo "==> stepping from the Python client on the host"
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  python3 -m venv "$ROOT/.venv"
  "$ROOT/.venv/bin/pip" install -q grpcio protobuf numpy gymnasium
fi
"$ROOT/.venv/bin/pip" install -q "$ROOT/clients/python"
"$ROOT/.venv/bin/python" - "$PORT" <<'PY'
import sys
import numpy as np
import gridrl

address = f"127.0.0.1:{sys.argv[1]}"
venv = gridrl.make_vec("tutorial", 4, address=address, seed=0, action_space="discrete",
                       enforce_mask=False)
obs, infos = venv.reset(seed=0)
total = 0.0
for t in range(100):
    obs, rewards, terms, truncs, infos = venv.step(venv.action_space.sample())
    total += rewards.sum()
assert obs.shape == (4, 7), obs.shape
print(f"stepped 4 envs x 100 steps in the container; total reward {total:.3f}")
venv.close()
PY

echo "==> stopping with SIGTERM"
podman stop -t 10 "$NAME" >/dev/null
code=$(podman inspect "$NAME" --format '{{.State.ExitCode}}')
podman logs "$NAME" | tail -n 3
[ "$code" = "0" ] || { echo "the server exited with $code after SIGTERM" >&2; exit 1; }
echo "smoke test passed"
