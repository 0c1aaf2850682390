"""gridrl on Ray: RLlib environments, a gridrl-server actor per node, and their addresses.

    pip install "./clients/python[ray]"

    import ray, gridrl.ray
    from ray.rllib.algorithms.ppo import PPOConfig
    ray.init(address="auto")
    servers = gridrl.ray.start_servers()                   # one health-checked server per node
    config = gridrl.ray.configure(PPOConfig(), "restoration70", servers.addresses, seed=0,
                                  num_env_runners=2, num_envs_per_env_runner=4)
    algo = config.build_algo()

Each RLlib env runner holds one gridrl session (a RemoteVectorEnv of num_envs_per_env_runner
environments) on one server: env runner w uses a server on its own node where there is one
(else addresses[w % len(addresses)]), and its env i is seeded

    seed + w * num_envs_per_env_runner + i

with `seed` from the env config (RLlib's own seed, config.debugging(seed=...), seeds the networks
and action sampling; configure() sets both). Trajectories do not depend on which server a runner
uses, so a run with the same seeds is reproduced whatever the placement. Give evaluation runners
another env-config seed for out-of-sample episodes.

RLlib sees a flat float32 observation (gymnasium's flatten of the environment's space); where
the action space is Discrete and the environment has an action mask, the observation is
{"observations": flat, "action_mask": mask}, the form of RLlib's action-masking modules
(configure() then selects ActionMaskingTorchRLModule).
"""
from __future__ import annotations

import contextvars
import os
import re
import shutil
import subprocess
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Union

import gymnasium as gym
import numpy as np
import ray
from gymnasium.vector.utils import batch_space, iterate
from ray.rllib.env.single_agent_env_runner import SingleAgentEnvRunner
from ray.tune.registry import register_env
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

import gridrl
from gridrl.vector import RemoteVectorEnv

_RUNNER_INDEX: contextvars.ContextVar[Optional[int]] = contextvars.ContextVar(
    "gridrl_runner_index", default=None)


# --- RLlib environments ----------------------------------------------------------------------
def env_name(env_id: str) -> str:
    """The name a gridrl environment is registered under for RLlib."""
    return f"gridrl/{env_id}"


class EnvRunner(SingleAgentEnvRunner):
    """RLlib's single-agent env runner that tells the gridrl env creator its index (RLlib passes
    vector env creators a plain dict without it)."""

    def make_env(self) -> None:
        token = _RUNNER_INDEX.set(int(self.worker_index or 0))
        try:
            super().make_env()
        finally:
            _RUNNER_INDEX.reset(token)


class RLlibVectorEnv(gym.vector.VectorWrapper):
    """A RemoteVectorEnv with RLlib-ready observations and this runner's seeds.

    A reset that asks for a seed (RLlib's first reset) reseeds env i with seed_base + i."""

    def __init__(self, env: RemoteVectorEnv, seed_base: int):
        super().__init__(env)
        self.seed_base = int(seed_base)
        self._source_space = env.single_observation_space
        flat = gym.spaces.flatten_space(self._source_space)
        flat = gym.spaces.Box(flat.low.astype(np.float32), flat.high.astype(np.float32),
                              flat.shape, np.float32)
        self.masked = (env.action_mask_size > 0
                       and isinstance(env.single_action_space, gym.spaces.Discrete)
                       and env.action_mask_size == env.single_action_space.n)
        single: gym.Space = flat
        if self.masked:
            single = gym.spaces.Dict({
                "action_mask": gym.spaces.Box(0.0, 1.0, (env.action_mask_size,), np.float32),
                "observations": flat})
        self.single_observation_space = single
        self.observation_space = batch_space(single, env.num_envs)

    def reset(self, *, seed=None, options=None):
        obs, infos = self.env.reset(seed=None if seed is None else self.seed_base,
                                    options=options)
        return self._convert(obs, infos), infos

    def step(self, actions):
        obs, rewards, terminations, truncations, infos = self.env.step(actions)
        return self._convert(obs, infos), rewards, terminations, truncations, infos

    def _convert(self, obs, infos):
        flat = np.stack([gym.spaces.flatten(self._source_space, o)
                         for o in iterate(self.env.observation_space, obs)]).astype(np.float32)
        if not self.masked:
            return flat
        return {"action_mask": np.asarray(infos["action_mask"], dtype=np.float32),
                "observations": flat}


def _host(address: str) -> str:
    return address.rsplit(":", 1)[0].strip("[]")


def pick_server(addresses: Sequence[str], runner_index: int) -> str:
    """The server of env runner `runner_index`: one on this node if any, round-robin among
    them; else round-robin over all."""
    here = ray.util.get_node_ip_address() if ray.is_initialized() else None
    local = [a for a in addresses if here is not None and _host(a) == here]
    pool = local or list(addresses)
    return pool[runner_index % len(pool)]


class EnvCreator:
    """RLlib's creator for one gridrl environment (a vector entry point).

    env_config: {"address": server or list of servers, "seed": int (default 0),
                 "config": the environment's config (dict), "timeout": seconds per call}."""

    def __init__(self, env_id: str):
        self.env_id = env_id

    def __call__(self, env_config: Dict[str, Any]) -> RLlibVectorEnv:
        cfg = dict(env_config)
        num_envs = cfg.pop("num_envs", None)
        if num_envs is None:
            raise ValueError(f"{env_name(self.env_id)} is a vector environment: set "
                             "gym_env_vectorize_mode='vector_entry_point' "
                             "(gridrl.ray.configure does)")
        runner = getattr(env_config, "worker_index", None)
        if runner is None:
            runner = _RUNNER_INDEX.get()
        if runner is None:
            raise RuntimeError(f"{env_name(self.env_id)}: the env runner's index is unknown; "
                               "use env_runner_cls=gridrl.ray.EnvRunner (gridrl.ray.configure "
                               "sets it)")
        unknown = set(cfg) - {"address", "seed", "config", "timeout"}
        if unknown:
            raise ValueError(f"{env_name(self.env_id)}: unknown env_config keys "
                             f"{sorted(unknown)} (the environment's own config goes under "
                             "'config')")
        if "address" not in cfg:
            raise ValueError(f"{env_name(self.env_id)}: env_config needs 'address' "
                             "(a server or a list of servers)")
        address = cfg["address"]
        addresses = [address] if isinstance(address, str) else list(address)
        seed_base = int(cfg.get("seed", 0)) + int(runner) * int(num_envs)
        env = RemoteVectorEnv(self.env_id, int(num_envs), address=pick_server(addresses, runner),
                              seed=seed_base, timeout=cfg.get("timeout", 60.0),
                              **dict(cfg.get("config") or {}))
        return RLlibVectorEnv(env, seed_base)


def register_envs(address: Union[str, Sequence[str]]) -> List[str]:
    """Registers every environment the server at `address` (the first one of a list) serves;
    returns their RLlib names."""
    first = address if isinstance(address, str) else list(address)[0]
    names = []
    for e in gridrl.list_envs(first):
        register_env(env_name(e["env_id"]), EnvCreator(e["env_id"]))
        names.append(env_name(e["env_id"]))
    return names


def configure(config, env_id: str, addresses: Union[str, Sequence[str]], seed: int = 0,
              num_env_runners: int = 2, num_envs_per_env_runner: int = 1,
              env_config: Optional[Dict[str, Any]] = None, timeout: float = 60.0):
    """An RLlib AlgorithmConfig (new API stack) set to step `env_id` on gridrl servers: the
    environment, gridrl's env runner, vector entry point, seeds, and the action-masking module
    where the environment needs one. Returns the config."""
    addresses = [addresses] if isinstance(addresses, str) else list(addresses)
    register_env(env_name(env_id), EnvCreator(env_id))
    probe = RLlibVectorEnv(RemoteVectorEnv(env_id, 1, address=addresses[0], timeout=timeout,
                                           **dict(env_config or {})), 0)
    masked = probe.masked
    probe.close()
    config = (config
              .environment(env_name(env_id), env_config={
                  "address": addresses, "seed": int(seed), "config": dict(env_config or {}),
                  "timeout": timeout})
              .env_runners(num_env_runners=num_env_runners,
                           num_envs_per_env_runner=num_envs_per_env_runner,
                           env_runner_cls=EnvRunner,
                           gym_env_vectorize_mode="vector_entry_point")
              .debugging(seed=int(seed)))
    if masked:
        from ray.rllib.core.rl_module.rl_module import RLModuleSpec
        from ray.rllib.examples.rl_modules.classes.action_masking_rlm import (
            ActionMaskingTorchRLModule)
        config = config.rl_module(rl_module_spec=RLModuleSpec(
            module_class=ActionMaskingTorchRLModule))
    return config


# --- gridrl-server actors --------------------------------------------------------------------
def find_server(path: Optional[str] = None) -> str:
    """The gridrl-server executable: `path`, else $GRIDRL_SERVER, else gridrl-server on PATH."""
    for candidate in (path, os.environ.get("GRIDRL_SERVER"), shutil.which("gridrl-server")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError("gridrl-server not found: pass server_path, set GRIDRL_SERVER or "
                            "put it on PATH (on every node)")


@ray.remote(num_cpus=0)
class ServerActor:
    """Starts a gridrl-server on this actor's node (on the node's IP, a port the kernel picks)
    and health-checks it (grpc.health.v1); the server stops with the actor."""

    def __init__(self, server_path: Optional[str] = None, args: Sequence[str] = (),
                 host: Optional[str] = None, start_timeout_s: float = 30.0):
        exe = find_server(server_path)
        self.host = host or ray.util.get_node_ip_address()
        self.proc = subprocess.Popen([exe, "--address", f"{self.host}:0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log: List[str] = []
        port = self._wait_for_port(start_timeout_s)
        self._address = f"{self.host}:{port}"
        # Keep reading the server's output so its pipe never fills.
        threading.Thread(target=self._drain, daemon=True).start()

    def _wait_for_port(self, timeout_s: float) -> int:
        found: List[int] = []

        def read():
            for line in self.proc.stdout:
                self.log.append(line.rstrip())
                m = re.search(r"listening on port (\d+)", line)
                if m:
                    found.append(int(m.group(1)))
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout_s)
        if not found:
            self.proc.kill()
            raise RuntimeError(f"gridrl-server on {self.host} did not start within "
                               f"{timeout_s:.0f} s: {' | '.join(self.log[-5:])}")
        return found[0]

    def _drain(self) -> None:
        for line in self.proc.stdout:
            self.log = (self.log + [line.rstrip()])[-50:]

    def address(self) -> str:
        return self._address

    def node_id(self) -> str:
        return ray.get_runtime_context().get_node_id()

    def check(self, timeout_s: float = 5.0) -> str:
        """The server's health status ("SERVING"); raises if the process has exited."""
        code = self.proc.poll()
        if code is not None:
            raise RuntimeError(f"gridrl-server {self._address} exited with {code}: "
                               f"{' | '.join(self.log[-5:])}")
        return health(self._address, timeout_s)

    def stop(self, timeout_s: float = 10.0) -> int:
        """SIGTERM, then the exit code (0: a clean stop)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def health(address: str, timeout_s: float = 5.0) -> str:
    """grpc.health.v1 Check of the whole server: the status name ("SERVING", "NOT_SERVING")."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(address) as channel:
        try:
            resp = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                              timeout=timeout_s)
        except grpc.RpcError as e:
            return f"UNREACHABLE ({e.code().name})"
    return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)


class ServerGroup:
    """Server actors and their addresses; stop() ends them."""

    def __init__(self, actors: List[Any], addresses: List[str], node_ids: List[str]):
        self.actors = actors
        self.addresses = addresses
        self.node_ids = node_ids

    def check(self, timeout_s: float = 5.0) -> Dict[str, str]:
        return dict(zip(self.addresses, ray.get([a.check.remote(timeout_s)
                                                 for a in self.actors])))

    def stop(self) -> List[int]:
        codes = ray.get([a.stop.remote() for a in self.actors])
        for a in self.actors:
            ray.kill(a)
        return codes

    def __enter__(self) -> "ServerGroup":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def node_addresses(port: int) -> List[str]:
    """host:port on every alive node, for servers that run beside Ray rather than under it (a
    sidecar container in each Ray pod, deploy/kubernetes/raycluster.yaml), after checking that
    each answers its health check SERVING."""
    nodes = sorted((n for n in ray.nodes() if n.get("Alive")), key=lambda n: n["NodeID"])
    addresses = [f"{n['NodeManagerAddress']}:{int(port)}" for n in nodes]
    status = {a: health(a) for a in addresses}
    bad = {a: s for a, s in status.items() if s != "SERVING"}
    if bad:
        raise RuntimeError(f"gridrl-servers not serving: {bad}")
    return addresses


def start_servers(per_node: int = 1, server_path: Optional[str] = None,
                  args: Sequence[str] = (), timeout_s: float = 60.0) -> ServerGroup:
    """Starts `per_node` gridrl-servers on every alive node of the Ray cluster, waits until each
    answers its health check SERVING, and returns them with their addresses (node order)."""
    nodes = sorted((n for n in ray.nodes() if n.get("Alive")), key=lambda n: n["NodeID"])
    if not nodes:
        raise RuntimeError("no alive Ray node")
    actors = [ServerActor.options(scheduling_strategy=NodeAffinitySchedulingStrategy(
                  n["NodeID"], soft=False)).remote(server_path, list(args))
              for n in nodes for _ in range(per_node)]
    try:
        addresses = ray.get([a.address.remote() for a in actors], timeout=timeout_s)
        node_ids = ray.get([a.node_id.remote() for a in actors], timeout=timeout_s)
        group = ServerGroup(actors, addresses, node_ids)
        deadline = time.monotonic() + timeout_s
        while True:
            status = group.check()
            if all(s == "SERVING" for s in status.values()):
                return group
            if time.monotonic() > deadline:
                raise RuntimeError(f"gridrl-servers not serving after {timeout_s:.0f} s: "
                                   f"{status}")
            time.sleep(0.2)
    except BaseException:
        for a in actors:
            ray.kill(a)
        raise
