"""The Ray cluster test's driver: on a running cluster, one gridrl-server per node, RLlib PPO with
2 env runners on restoration70, each runner's first episodes, a replay of them straight on a
server with the seeds of the documented rule, and one training iteration. Prints one JSON
object (run by test_ray_cluster.py in a subprocess, so its time is bounded).

    python ray_driver.py --address HOST:PORT --server build/bin/gridrl-server
"""
import argparse
import json
import sys
import time

import numpy as np
import ray
from ray.rllib.algorithms.ppo import PPOConfig

import gridrl.ray
from gridrl.vector import RemoteVectorEnv

ENV, SEED, RUNNERS, ENVS_PER_RUNNER = "restoration70", 17, 2, 2


def first_episodes(runner):
    """The runner's first completed episodes (one per env), with the server it steps."""
    episodes = runner.sample(num_episodes=ENVS_PER_RUNNER, explore=True)
    out = []
    for ep in episodes[:ENVS_PER_RUNNER]:
        obs = ep.get_observations()
        out.append({"obs": np.asarray(obs["observations"]).tolist(),
                    "actions": np.asarray(ep.get_actions()).tolist(),
                    "rewards": np.asarray(ep.get_rewards()).tolist()})
    return {"runner": int(runner.worker_index), "node": ray.get_runtime_context().get_node_id(),
            "address": runner.env.unwrapped.addresses[0], "episodes": out}


def replay(address, runner, episodes):
    """The runner's episodes replayed on `address` with env i seeded
    SEED + runner * ENVS_PER_RUNNER + i: the observations each row then gives."""
    base = SEED + runner * ENVS_PER_RUNNER
    env = gridrl.ray.RLlibVectorEnv(RemoteVectorEnv(ENV, ENVS_PER_RUNNER, address=address,
                                                    seed=base), base)
    obs, _ = env.reset(seed=0)
    rows = obs["observations"]
    order = []   # episode k ran on row order[k]
    for ep in episodes:
        match = [r for r in range(ENVS_PER_RUNNER) if np.array_equal(rows[r], ep["obs"][0])]
        order.append(match[0] if match else -1)
    if sorted(order) != list(range(ENVS_PER_RUNNER)):
        env.close()
        return {"rows": order, "obs": []}
    steps = len(episodes[0]["actions"])
    seen = [[rows[order[k]].tolist()] for k in range(len(episodes))]
    for t in range(steps):
        actions = np.zeros(ENVS_PER_RUNNER, dtype=np.int64)
        for k, ep in enumerate(episodes):
            actions[order[k]] = ep["actions"][t]
        obs, *_ = env.step(actions)
        for k in range(len(episodes)):
            seen[k].append(obs["observations"][order[k]].tolist())
    env.close()
    return {"rows": order, "obs": seen}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--nodes", type=int, default=2)
    args = ap.parse_args()
    t0 = time.monotonic()
    ray.init(address=args.address, logging_level="ERROR", log_to_driver=False)
    while len([n for n in ray.nodes() if n["Alive"]]) < args.nodes:
        if time.monotonic() - t0 > 60:
            raise RuntimeError(f"fewer than {args.nodes} Ray nodes after 60 s")
        time.sleep(0.5)
    servers = gridrl.ray.start_servers(server_path=args.server)
    config = gridrl.ray.configure(PPOConfig(), ENV, servers.addresses, seed=SEED,
                                  num_env_runners=RUNNERS,
                                  num_envs_per_env_runner=ENVS_PER_RUNNER)
    config = (config.training(train_batch_size_per_learner=160, minibatch_size=80, num_epochs=1)
              .env_runners(rollout_fragment_length=40, num_cpus_per_env_runner=0.5))
    algo = config.build_algo()
    runs = algo.env_runner_group.foreach_env_runner(first_episodes, local_env_runner=False)
    runs = sorted(runs, key=lambda r: r["runner"])
    for r in runs:
        r["replay"] = replay(servers.addresses[0], r["runner"], r["episodes"])
    result = algo.train()
    sampled = result["env_runners"]["num_env_steps_sampled_lifetime"]
    algo.stop()
    codes = servers.stop()
    print(json.dumps({"servers": servers.addresses, "server_nodes": servers.node_ids,
                      "server_exit_codes": codes, "runs": runs, "trained_env_steps": sampled,
                      "seconds": time.monotonic() - t0}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
