"""RLlib PPO on a gridrl environment with 2 env runners (default restoration70), on a Ray cluster.

    pip install "./clients/python[ray]"
    # a local Ray instance, one gridrl-server started per node by gridrl.ray:
    python clients/python/examples/rllib_ppo.py --server build/bin/gridrl-server
    # an existing cluster whose pods run a gridrl-server sidecar on port 50051 (KubeRay):
    python clients/python/examples/rllib_ppo.py --ray-address auto --sidecar-port 50051
    # servers you started yourself:
    python clients/python/examples/rllib_ppo.py --addresses host1:50051,host2:50051

Prints one JSON line per training iteration (env steps, env steps per second, mean return).
"""
import argparse
import json
import time

import ray
from ray.rllib.algorithms.ppo import PPOConfig

import gridrl.ray


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--env", default="restoration70")
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--runners", type=int, default=2, help="RLlib env runners")
    ap.add_argument("--envs-per-runner", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train-batch", type=int, default=2000, help="env steps per iteration")
    ap.add_argument("--ray-address", default=None, help="Ray cluster ('auto'); default: local")
    ap.add_argument("--num-cpus", type=int, default=None, help="CPUs of a local Ray instance")
    servers = ap.add_mutually_exclusive_group()
    servers.add_argument("--server", default=None, help="gridrl-server to start on every node")
    servers.add_argument("--servers-per-node", type=int, default=1)
    servers.add_argument("--sidecar-port", type=int, default=None,
                         help="use the gridrl-server already listening on every node's port")
    servers.add_argument("--addresses", default=None, help="comma-separated server addresses")
    args = ap.parse_args()

    if args.ray_address:
        ray.init(address=args.ray_address, logging_level="ERROR")
    else:   # a local instance on the loopback interface
        ray.init(num_cpus=args.num_cpus, include_dashboard=False, logging_level="ERROR",
                 _node_ip_address="127.0.0.1")
    group = None
    if args.addresses:
        addresses = args.addresses.split(",")
    elif args.sidecar_port:
        addresses = gridrl.ray.node_addresses(args.sidecar_port)
    else:
        group = gridrl.ray.start_servers(per_node=args.servers_per_node, server_path=args.server)
        addresses = group.addresses
    print(json.dumps({"servers": addresses}), flush=True)
    config = gridrl.ray.configure(PPOConfig(), args.env, addresses, seed=args.seed,
                                  num_env_runners=args.runners,
                                  num_envs_per_env_runner=args.envs_per_runner)
    config = config.training(train_batch_size_per_learner=args.train_batch,
                             minibatch_size=min(256, args.train_batch), num_epochs=5)
    algo = config.build_algo()
    start = time.monotonic()
    for it in range(1, args.iterations + 1):
        t = time.monotonic()
        result = algo.train()
        runners = result["env_runners"]
        print(json.dumps({
            "iteration": it,
            "env_steps": runners["num_env_steps_sampled_lifetime"],
            "iteration_s": round(time.monotonic() - t, 2),
            "env_steps_per_s": round(runners["num_env_steps_sampled_lifetime"]
                                     / (time.monotonic() - start), 1),
            "episode_return_mean": runners.get("episode_return_mean")}), flush=True)
    algo.stop()
    if group is not None:
        group.stop()


if __name__ == "__main__":
    main()
