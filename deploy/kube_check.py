"""Plays deploy/kubernetes/gridrl-server.yaml with `podman kube play` and checks what Kubernetes
would do with it: the pods start from the image, run as the non-root user with the manifest's
resource limits and the ConfigMap's limits, answer grpc.health.v1 (the probes' check) and are
stepped from the host through one multi-address VectorEnv; SIGTERM stops them cleanly.

Podman plays one replica of a Deployment and has no Services, so the Deployment is played once per
replica (gridrl-server-1, -2, ...) with the container port published on a free loopback port;
everything else is the manifest as written. Run by deploy/kube-test.sh.
"""
import argparse
import json
import pathlib
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import yaml

import gridrl
import gridrl.ray

PODMAN = ["podman", "--runtime", "runc"]


def sh(*args, check=True):
    out = subprocess.run([*PODMAN, *args], capture_output=True, text=True, timeout=120)
    if check and out.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(manifest, replica, port, image):
    """The manifest's ConfigMap and Deployment, as replica `replica` of podman's one."""
    docs = [d for d in yaml.safe_load_all(manifest.read_text()) if d]
    kinds = {d["kind"] for d in docs}
    assert {"ConfigMap", "Deployment", "Service"} <= kinds, kinds
    out = []
    for d in docs:
        if d["kind"] == "Deployment":
            d["metadata"]["name"] = f"{d['metadata']['name']}-{replica}"
            d["spec"]["replicas"] = 1
            c = d["spec"]["template"]["spec"]["containers"][0]
            c["image"] = image
            c["ports"][0].update(hostPort=port, hostIP="127.0.0.1")
        if d["kind"] in ("ConfigMap", "Deployment"):
            out.append(d)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", default="deploy/kubernetes/gridrl-server.yaml")
    ap.add_argument("--image", default="localhost/gridrl:latest")
    args = ap.parse_args()
    manifest = pathlib.Path(args.manifest)
    docs = [d for d in yaml.safe_load_all(manifest.read_text()) if d]
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    config_map = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    service = next(d for d in docs if d["kind"] == "Service")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    # The parts podman does not act on, checked as written.
    assert service["spec"]["clusterIP"] == "None", "the Service must be headless"
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"]["port"] == container["ports"][0]["containerPort"], probe
    replicas = int(deployment["spec"]["replicas"])

    work = pathlib.Path(tempfile.mkdtemp(prefix="gridrl-kube-"))
    played, addresses, pods, containers = [], [], [], []
    try:
        for k in range(1, replicas + 1):
            port = free_port()
            path = work / f"replica-{k}.yaml"
            path.write_text(yaml.safe_dump_all(render(manifest, k, port, args.image)))
            out = sh("kube", "play", str(path)).split()   # "Pod: ID Container: ID"
            played.append(path)
            pods.append(out[out.index("Pod:") + 1])
            containers.append(out[out.index("Container:") + 1])
            addresses.append(f"127.0.0.1:{port}")
        pods = [sh("pod", "inspect", p, "--format", "{{.Name}}") for p in pods]
        containers = [sh("inspect", c, "--format", "{{.Name}}") for c in containers]
        print(f"played {replicas} pods: {', '.join(pods)}; addresses {addresses}")

        # Ready: grpc.health.v1 SERVING, from inside the pod (what the probe asks) and the host.
        deadline = time.monotonic() + 60
        while any(gridrl.ray.health(a, 2) != "SERVING" for a in addresses):
            if time.monotonic() > deadline:
                logs = {c: sh("logs", c, check=False)[-500:] for c in containers}
                raise RuntimeError(f"pods not serving after 60 s: {logs}")
            time.sleep(0.5)
        for c in containers:
            print(c, sh("exec", c, "gridrl", "health", "--address", "127.0.0.1:50051"))

        for c in containers:
            info = json.loads(sh("inspect", c))[0]
            assert info["State"]["Status"] == "running", info["State"]
            user = sh("exec", c, "id", "-un")
            assert user == "gridrl", f"{c} runs as {user}"
            host = info["HostConfig"]
            limits = container["resources"]["limits"]
            mem = int(limits["memory"].rstrip("Gi")) * 1024 ** 3
            assert host["Memory"] == mem, (host["Memory"], mem)
            cpus = (host.get("NanoCpus") or 0) / 1e9 or host["CpuQuota"] / host["CpuPeriod"]
            assert cpus == float(limits["cpu"]), (cpus, limits["cpu"])
            cmd = sh("exec", c, "cat", "/proc/1/cmdline").replace("\0", " ")
            want = f"--max-envs-per-session={config_map['GRIDRL_MAX_ENVS_PER_SESSION']}"
            assert want in cmd, f"{c}: the ConfigMap's limit did not reach the server: {cmd}"
            print(f"{c}: user {user}, memory {host['Memory']} B, {cpus:g} CPUs, {cmd.strip()}")

        # The ConfigMap's limit holds: one env more than it allows is refused, naming the limit.
        limit = int(config_map["GRIDRL_MAX_ENVS_PER_SESSION"])
        try:
            gridrl.make_vec("tutorial", limit + 1, address=addresses[0])
            raise AssertionError("a session above max-envs-per-session was accepted")
        except gridrl.GridrlError as e:
            assert str(limit) in str(e), e
            print(f"{limit + 1} envs refused: {e}")

        # A client steps every pod through one VectorEnv: the trajectories of one pod alone.
        n, steps = 8, 60
        rows = []
        for address in (addresses, addresses[0]):
            venv = gridrl.make_vec("restoration70", n, address=address, seed=3)
            obs, infos = venv.reset()
            trace = []
            for t in range(steps):
                mask = infos["action_mask"]
                actions = np.array([np.flatnonzero(m)[t % max(1, m.sum())] if m.any() else 0
                                    for m in mask])
                obs, rew, term, trunc, infos = venv.step(actions)
                trace.append((rew.tolist(), obs["ciu"].tolist()))
            venv.close()
            rows.append(trace)
        assert rows[0] == rows[1], "the pods' trajectories differ from one pod's"
        total = sum(sum(r) for r, _ in rows[0])
        print(f"stepped {n} restoration70 envs x {steps} steps over {len(addresses)} pods "
              f"(same trajectories as one pod; total reward {total:.4f})")

        # SIGTERM (the pod's termination) stops the server with exit code 0.
        for p, c in zip(pods, containers):
            sh("pod", "stop", "-t", str(deployment["spec"]["template"]["spec"]
                                        ["terminationGracePeriodSeconds"]), p)
            code = json.loads(sh("inspect", c))[0]["State"]["ExitCode"]
            assert code == 0, f"{c} exited with {code} after SIGTERM"
        print("pods stopped cleanly (exit code 0)")
    finally:
        for path in played:
            sh("kube", "play", "--down", str(path), check=False)
    print("kube test passed")


if __name__ == "__main__":
    sys.exit(main())
