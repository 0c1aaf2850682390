#!/usr/bin/env bash
# Tests the Kubernetes manifests with `podman kube play` (no cluster needed): builds the server
# image from docker/Dockerfile, plays deploy/kubernetes/gridrl-server.yaml (each replica of the
# Deployment as its own pod, the container port on a free loopback port), and checks the pods'
# health (grpc.health.v1), user, resource limits and ConfigMap limits, steps them from the host
# through one multi-address VectorEnv, and stops them with SIGTERM (deploy/kube_check.py).
# Also parses deploy/kubernetes/raycluster.yaml (KubeRay is not run here).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE=localhost/gridrl:latest
cd "$ROOT"

echo "==> container tooling (podman and a local Debian base image)"
if [ -f "$ROOT/../shared/tools/container-base.sh" ]; then
  bash "$ROOT/../shared/tools/container-base.sh"
fi
command -v podman >/dev/null || { echo "podman is required" >&2; exit 1; }

if [ "${GRIDRL_KUBE_SKIP_BUILD:-0}" != 1 ]; then
  echo "==> building $IMAGE"
  podman --runtime runc build --format docker --network host -t "$IMAGE" -f docker/Dockerfile .
fi

echo "==> the Python client on the host"
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  python3 -m venv "$ROOT/.venv"
fi
"$ROOT/.venv/bin/pip" install -q grpcio protobuf numpy gymnasium grpcio-health-checking pyyaml
"$ROOT/.venv/bin/pip" install -q --no-deps --force-reinstall "$ROOT/clients/python"

echo "==> KubeRay example: well-formed, sidecar as in the server manifest"
"$ROOT/.venv/bin/python" - <<'PY'
import yaml
docs = list(yaml.safe_load_all(open("deploy/kubernetes/raycluster.yaml")))
(rc,) = docs
assert rc["kind"] == "RayCluster"
groups = [rc["spec"]["headGroupSpec"]] + rc["spec"]["workerGroupSpecs"]
for g in groups:
    names = [c["name"] for c in g["template"]["spec"]["containers"]]
    assert "gridrl-server" in names, names
    side = next(c for c in g["template"]["spec"]["containers"] if c["name"] == "gridrl-server")
    assert side["livenessProbe"]["grpc"]["port"] == side["ports"][0]["containerPort"] == 50051
print(f"raycluster.yaml: {len(groups)} groups, each with a gridrl-server sidecar")
PY

echo "==> podman kube play"
"$ROOT/.venv/bin/python" deploy/kube_check.py --image "$IMAGE"
