"""gridrl.ray on a two-node Ray cluster that the test starts on this machine (`ray start --head`
and a second `ray start` joining it, every port picked free, everything on 127.0.0.1): one
gridrl-server per node, RLlib PPO with 2 env runners on restoration70, and the same
first-episode trajectories in two identical runs. Bounded: each step has a timeout and the
cluster is stopped at the end (marker `ray`; about 2 minutes on 2 cores)."""
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

pytest.importorskip("ray.rllib", reason="gridrl.ray needs the ray extra: "
                                        "pip install './clients/python[ray]' (scripts/setup.sh)")
pytest.importorskip("torch", reason="RLlib's modules need torch (the ray extra)")

from conftest import BIN  # noqa: E402

pytestmark = pytest.mark.ray
HERE = pathlib.Path(__file__).resolve().parent
RAY = str(pathlib.Path(sys.executable).parent / "ray")


def _ray_env():
    """The cluster's and the driver's environment, the same whatever ~/.ray holds: Ray turns on
    token authentication by itself where a token file exists (a local ray.init() writes one);
    this cluster listens on 127.0.0.1 only and lives for the test."""
    return dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled")


def _free_ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _node_ports():
    p = _free_ports(7 + 16)
    return ["--node-manager-port", str(p[0]), "--object-manager-port", str(p[1]),
            "--dashboard-agent-listen-port", str(p[2]), "--dashboard-agent-grpc-port", str(p[3]),
            "--metrics-export-port", str(p[4]), "--runtime-env-agent-port", str(p[5]),
            "--worker-port-list", ",".join(str(x) for x in p[7:])]


def _wait_port(port, proc, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.3)
    return False


def _stop(proc):
    """Ends a `ray start --block` we started (it stops its node's processes), then its group."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)   # our own process group: leftovers of this node
    except ProcessLookupError:
        pass
    proc.wait()


@pytest.fixture(scope="module")
def ray_cluster():
    temp = tempfile.mkdtemp(prefix="gridrl-ray-")
    gcs, client = _free_ports(2)
    common = ["--block", "--node-ip-address", "127.0.0.1", "--disable-usage-stats",
              "--object-store-memory", str(200 * 1024 * 1024), "--log-style", "record"]
    env = _ray_env()
    logs = [open(pathlib.Path(temp) / f"{name}.log", "w") for name in ("head", "worker")]
    head = subprocess.Popen([RAY, "start", "--head", "--port", str(gcs), "--num-cpus", "2",
                             "--include-dashboard", "false", "--ray-client-server-port",
                             str(client), "--temp-dir", temp, *common, *_node_ports()],
                            stdout=logs[0], stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    procs = [head]
    try:
        if not _wait_port(gcs, head, 60):
            pytest.fail(f"ray head did not start: {(pathlib.Path(temp) / 'head.log').read_text()}")
        worker = subprocess.Popen([RAY, "start", "--address", f"127.0.0.1:{gcs}", "--num-cpus",
                                   "2", *common, *_node_ports()], stdout=logs[1],
                                  stderr=subprocess.STDOUT, env=env, start_new_session=True)
        procs.append(worker)
        yield f"127.0.0.1:{gcs}"
    finally:
        for p in reversed(procs):
            _stop(p)
        for f in logs:
            f.close()


def _drive(address):
    out = subprocess.run([sys.executable, str(HERE / "ray_driver.py"), "--address", address,
                          "--server", str(BIN / "gridrl-server")], capture_output=True,
                         text=True, timeout=240, env=_ray_env())
    assert out.returncode == 0, f"driver failed:\n{out.stdout[-3000:]}\n{out.stderr[-5000:]}"
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_rllib_first_episodes_reproduce_on_a_two_node_cluster(ray_cluster):
    first = _drive(ray_cluster)
    # One server per node, on two different nodes, both stopped cleanly.
    assert len(first["servers"]) == 2 and len(set(first["server_nodes"])) == 2
    assert first["server_exit_codes"] == [0, 0]
    runs = first["runs"]
    assert [r["runner"] for r in runs] == [1, 2]
    # The two runners step different servers and different episodes (their own seeds).
    assert {r["address"] for r in runs} == set(first["servers"])
    assert runs[0]["episodes"][0]["obs"][0] != runs[1]["episodes"][0]["obs"][0]
    for r in runs:
        assert len(r["episodes"]) == 2
        for ep in r["episodes"]:
            assert len(ep["actions"]) == 20 and len(ep["obs"]) == 21   # 20 faults, 20 repairs
        # Replayed straight on a server with seed + runner * envs_per_runner + i: the same
        # observations, whichever server the runner used.
        assert sorted(r["replay"]["rows"]) == [0, 1]
        assert r["replay"]["obs"] == [ep["obs"] for ep in r["episodes"]]
    assert first["trained_env_steps"] >= 160

    second = _drive(ray_cluster)
    for a, b in zip(first["runs"], second["runs"]):
        assert a["episodes"] == b["episodes"], f"runner {a['runner']}'s first episodes differ"
