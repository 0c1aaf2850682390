"""Aggregate env-steps/s with 1, 2 and 4 gridrl-servers on this machine: through one multi-address
VectorEnv (the Python client alone) and through RLlib (PPO env runners sampling, one runner per
server), and the bytes one env-step puts on the wire (what the scaling model in bench/README.md
divides a network link by).

    .venv/bin/python bench/cluster_throughput.py --env restoration70
    .venv/bin/python bench/cluster_throughput.py --env tutorial --config work=20000 \
        --config action_space=discrete --skip-rllib       # a server-bound env (physics cost)

Servers are started from build/bin on free loopback ports. Prints one JSON line per measurement.
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import time

import numpy as np

import gridrl
from gridrl import _wire
from gridrl._session import Session

ROOT = pathlib.Path(__file__).resolve().parents[1]
SERVER = pathlib.Path(os.environ.get("GRIDRL_BIN_DIR", ROOT / "build" / "bin")) / "gridrl-server"


def start_server(threads):
    proc = subprocess.Popen([str(SERVER), "--address", "127.0.0.1:0", "--max-threads-per-session",
                             str(threads)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    m = re.search(r"listening on port (\d+)", proc.stdout.readline())
    if not m:
        proc.kill()
        raise RuntimeError("gridrl-server did not start")
    return proc, f"127.0.0.1:{m.group(1)}"


def masked_actions(infos, rng, n):
    """A uniformly random allowed action per env (action 0 where none is or no mask)."""
    if "action_mask" not in infos:
        return np.zeros(n, dtype=np.int64)
    out = []
    for m in infos["action_mask"]:
        allowed = np.flatnonzero(m)
        out.append(rng.choice(allowed) if len(allowed) else 0)
    return np.array(out, dtype=np.int64)


def vector_rate(env_id, addresses, num_envs, steps, config, seed=0):
    venv = gridrl.make_vec(env_id, num_envs, address=addresses, seed=seed, **config)
    rng = np.random.default_rng(seed)
    obs, infos = venv.reset()
    for _ in range(5):   # warm-up
        obs, _, _, _, infos = venv.step(masked_actions(infos, rng, num_envs))
    t = time.perf_counter()
    for _ in range(steps):
        obs, _, _, _, infos = venv.step(masked_actions(infos, rng, num_envs))
    dt = time.perf_counter() - t
    venv.close()
    return num_envs * steps / dt


def wire_bytes(env_id, address, num_envs, config):
    """Serialized StepRequest and StepResponse sizes of one step of num_envs envs."""
    s = Session(address, env_id, num_envs=num_envs, config=config)
    b = s.reset()
    mask = b.action_mask if b.action_mask is not None else np.ones((num_envs, 1), bool)
    acts = np.array([np.flatnonzero(m)[0] if m.any() else 0 for m in mask], dtype=np.int64)
    req = s._step_request(s.action_layout.flatten(acts, rows=num_envs), (), False)
    resp = _wire.call(s.stub.Step, req, 30)
    s.close()
    return req.ByteSize(), resp.ByteSize()


def rllib_rate(env_id, addresses, envs_per_runner, timesteps, env_config):
    import ray
    from ray.rllib.algorithms.ppo import PPOConfig

    import gridrl.ray
    config = gridrl.ray.configure(PPOConfig(), env_id, addresses, seed=0,
                                  num_env_runners=len(addresses),
                                  num_envs_per_env_runner=envs_per_runner,
                                  env_config=env_config)
    config = config.env_runners(num_cpus_per_env_runner=0.1)
    algo = config.build_algo()
    group = algo.env_runner_group
    group.foreach_env_runner(lambda r: len(r.sample(num_timesteps=envs_per_runner * 10)),
                             local_env_runner=False)   # warm-up
    t = time.perf_counter()
    counts = group.foreach_env_runner(
        lambda r: sum(len(e) for e in r.sample(num_timesteps=timesteps)),
        local_env_runner=False)
    dt = time.perf_counter() - t
    algo.stop()
    del ray
    return sum(counts) / dt, sum(counts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--env", default="restoration70")
    ap.add_argument("--num-envs", type=int, default=16)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--servers", default="1,2,4")
    ap.add_argument("--rllib-envs-per-runner", type=int, default=4)
    ap.add_argument("--rllib-timesteps", type=int, default=2000, help="per runner")
    ap.add_argument("--skip-rllib", action="store_true")
    ap.add_argument("--config", action="append", default=[], help="env config KEY=VALUE")
    args = ap.parse_args()
    config = {}
    for kv in args.config:
        k, v = kv.split("=", 1)
        config[k] = int(v) if v.lstrip("-").isdigit() else v
    counts = [int(x) for x in args.servers.split(",")]
    print(json.dumps({"load_average": os.getloadavg(), "cpus": os.cpu_count()}), flush=True)
    procs = []
    try:
        addresses = []
        for _ in range(max(counts)):
            p, a = start_server(threads=1)
            procs.append(p)
            addresses.append(a)
        req, resp = wire_bytes(args.env, addresses[0], args.num_envs, config)
        print(json.dumps({"env": args.env, "config": config, "num_envs": args.num_envs, "step_request_bytes": req,
                          "step_response_bytes": resp,
                          "bytes_per_env_step": round((req + resp) / args.num_envs, 1)}),
              flush=True)
        base = None
        for k in counts:
            rate = vector_rate(args.env, addresses[:k], args.num_envs, args.steps, config)
            base = base or rate
            print(json.dumps({"path": "multi-address VectorEnv", "env": args.env, "servers": k,
                              "num_envs": args.num_envs, "env_steps_per_s": round(rate),
                              "ratio_to_1_server": round(rate / base, 2)}), flush=True)
        if not args.skip_rllib:
            import ray
            ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level="ERROR",
                     log_to_driver=False, _node_ip_address="127.0.0.1")
            base = None
            for k in counts:
                rate, n = rllib_rate(args.env, addresses[:k], args.rllib_envs_per_runner,
                                     args.rllib_timesteps, config)
                base = base or rate
                print(json.dumps({"path": "RLlib env runners (sampling)", "env": args.env,
                                  "servers": k, "env_runners": k,
                                  "envs_per_runner": args.rllib_envs_per_runner,
                                  "env_steps": n, "env_steps_per_s": round(rate),
                                  "ratio_to_1_server": round(rate / base, 2)}), flush=True)
            ray.shutdown()
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
    print(json.dumps({"load_average_end": os.getloadavg()}))


if __name__ == "__main__":
    main()
