"""One logical pool of environments spread over sessions on several gridrl servers.

Environments are split into contiguous blocks, one block per address, so env i of the whole is
env i - offset of its block's session. Block k is seeded `seed + offset_k`, which gives env i the
seed `seed + i`, as a single server would: the same seeds give the same trajectories whichever
servers the environments run on. Every call goes to all blocks at once (gRPC futures) and the
replies are joined in env order. A failure names the server and the envs it held.
"""
from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Sequence

import grpc
import numpy as np

from gridrl import _wire
from gridrl._session import Batch, Session


def addresses_of(name: str, port: int = 50051) -> List[str]:
    """Every address a DNS name resolves to, as "ip:port" (sorted): the pods behind a headless
    Kubernetes Service (deploy/kubernetes/gridrl-server.yaml), for make_vec(address=...)."""
    infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    ips = sorted({i[4][0] for i in infos})
    return [f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}" for ip in ips]


def split_sizes(num_envs: int, parts: int) -> List[int]:
    """num_envs split into `parts` contiguous blocks whose sizes differ by at most one."""
    return [num_envs // parts + (1 if k < num_envs % parts else 0) for k in range(parts)]


def _batch_shape(spec) -> tuple:
    """What must agree for batches of several sessions to be joined (the per-env config parts
    of the spec, such as max_episode_steps, may differ)."""
    return (spec.observation_space.SerializeToString(deterministic=True),
            spec.action_space.SerializeToString(deterministic=True),
            tuple(l.SerializeToString(deterministic=True) for l in spec.observation_leaves),
            tuple(l.SerializeToString(deterministic=True) for l in spec.action_leaves),
            tuple(spec.info_keys), spec.action_mask_size)


class SessionGroup:
    """The Session interface (reset, step, spec, layouts, close) over one session per address."""

    def __init__(self, addresses: Sequence[str], env_id: str, num_envs: int,
                 config: Optional[Dict[str, Any]] = None,
                 env_configs: Optional[List[Dict[str, Any]]] = None, seed: int = 0,
                 autoreset_mode: str = "next_step", batch_size: int = 0, num_threads: int = 0,
                 timeout: Optional[float] = 60.0):
        addresses = list(addresses)
        if not addresses:
            raise _wire.InvalidInputError(grpc.StatusCode.INVALID_ARGUMENT,
                                          "address: an empty list of servers")
        if len(addresses) > 1:
            if num_envs < len(addresses):
                raise _wire.InvalidInputError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"num_envs={num_envs} is fewer than the {len(addresses)} addresses "
                    "(each server holds at least one environment)")
            if batch_size and batch_size != num_envs:
                raise _wire.InvalidInputError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"batch_size={batch_size}: asynchronous send/recv (batch_size < num_envs) "
                    "runs on one server; with several addresses make one vector env per server")
            if env_configs and len(env_configs) != num_envs:
                raise _wire.InvalidInputError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"env_configs: {len(env_configs)} configs for {num_envs} envs")
        sizes = split_sizes(num_envs, len(addresses))
        self.offsets = [sum(sizes[:k]) for k in range(len(sizes))]
        self.sizes = sizes
        self.addresses = addresses
        self.sessions: List[Session] = []
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(addresses) - 1),
                                        thread_name_prefix="gridrl-servers")
        try:
            for address, off, size in zip(addresses, self.offsets, sizes):
                cfgs = env_configs[off:off + size] if env_configs and len(addresses) > 1 \
                    else env_configs
                self.sessions.append(self._guard(
                    len(self.sessions),
                    lambda address=address, off=off, size=size, cfgs=cfgs: Session(
                        address, env_id, num_envs=size, config=config, env_configs=cfgs,
                        seed=seed + off, autoreset_mode=autoreset_mode,
                        batch_size=batch_size if len(addresses) == 1 else 0,
                        num_threads=num_threads, timeout=timeout)))
            first = self.sessions[0]
            for k, s in enumerate(self.sessions[1:], start=1):
                if _batch_shape(s.spec) != _batch_shape(first.spec):
                    raise _wire.GridrlError(
                        grpc.StatusCode.FAILED_PRECONDITION,
                        f"server {addresses[k]} gives {env_id} other spaces than "
                        f"{addresses[0]} (different gridrl versions?)")
        except BaseException:
            self.close()
            raise
        self.spec = first.spec
        self.num_envs = sum(s.num_envs for s in self.sessions)
        self.batch_size = first.batch_size if len(self.sessions) == 1 else self.num_envs
        self.obs_layout = first.obs_layout
        self.action_layout = first.action_layout
        self.info_keys = first.info_keys

    # --- the Session interface ---------------------------------------------------------------
    def reset(self, env_ids: Sequence[int] = (), seed=None, no_wait: bool = False) -> Batch:
        """seed: None, one int (env i gets seed + i) or one int per env (env_ids order)."""
        if len(self.sessions) == 1:
            return self._guard(0, lambda: self.sessions[0].reset(env_ids, seed, no_wait))
        if no_wait:
            raise _wire.InvalidInputError(grpc.StatusCode.INVALID_ARGUMENT,
                                          "async_reset runs on one server only")
        ids = list(env_ids) if len(env_ids) else list(range(self.num_envs))
        per_env = isinstance(seed, (list, tuple, np.ndarray))
        if per_env and len(seed) != len(ids):
            raise _wire.InvalidInputError(grpc.StatusCode.INVALID_ARGUMENT,
                                          f"reset: {len(seed)} env_seeds for {len(ids)} envs")
        local: List[List[int]] = [[] for _ in self.sessions]
        seeds: List[List[int]] = [[] for _ in self.sessions]
        for pos, i in enumerate(ids):
            k = self._block_of(int(i))
            local[k].append(int(i) - self.offsets[k])
            if per_env:
                seeds[k].append(int(seed[pos]))
        pending = {}
        for k, s in enumerate(self.sessions):
            if not local[k]:
                continue
            block_seed = seeds[k] if per_env else (None if seed is None
                                                   else int(seed) + self.offsets[k])
            block_ids = () if not len(env_ids) else local[k]
            pending[k] = lambda s=s, i=block_ids, b=block_seed: s.reset(env_ids=i, seed=b)
        return self._join(pending)

    def step(self, leaves: List[np.ndarray], env_ids: Sequence[int] = (),
             no_wait: bool = False) -> Batch:
        if len(self.sessions) == 1:
            return self._guard(0, lambda: self.sessions[0].step(leaves, env_ids, no_wait))
        if len(env_ids) or no_wait:
            raise _wire.InvalidInputError(grpc.StatusCode.INVALID_ARGUMENT,
                                          "send/recv run on one server only")
        calls = {k: (lambda s=s, off=off, size=size: s.step([a[off:off + size] for a in leaves]))
                 for k, (s, off, size) in enumerate(zip(self.sessions, self.offsets, self.sizes))}
        return self._join(calls)

    def recv(self) -> Batch:
        if len(self.sessions) != 1:
            raise _wire.InvalidInputError(grpc.StatusCode.INVALID_ARGUMENT,
                                          "send/recv run on one server only")
        return self._guard(0, self.sessions[0].recv)

    def close(self) -> None:
        for s in self.sessions:
            s.close()
        self._pool.shutdown(wait=False)

    # --- internals ---------------------------------------------------------------------------
    def _block_of(self, env: int) -> int:
        if not 0 <= env < self.num_envs:
            raise _wire.InvalidInputError(grpc.StatusCode.OUT_OF_RANGE,
                                          f"env id {env} out of range [0, {self.num_envs})")
        return int(np.searchsorted(self.offsets, env, side="right") - 1)

    def _join(self, calls: Dict[int, Callable[[], Batch]]) -> Batch:
        """Runs the blocks' blocking calls at once (the first in this thread, the others on the
        group's threads, which wait in gRPC without the GIL), waits for all of them (so none is
        left in flight), raises the first failure, else joins the batches in env order."""
        order = sorted(calls)
        futures = {k: self._pool.submit(self._guard, k, calls[k]) for k in order[1:]}
        parts, failure = {}, None
        try:
            parts[order[0]] = self._guard(order[0], calls[order[0]])
        except _wire.GridrlError as e:
            failure = e
        for k, f in futures.items():
            try:
                parts[k] = f.result()
            except _wire.GridrlError as e:
                failure = failure or e
        if failure is not None:
            raise failure
        return Batch.concat([parts[k] for k in order], [self.offsets[k] for k in order])

    def _guard(self, k: int, fn):
        """fn(), with a failure renamed after server k and the envs it holds."""
        try:
            return fn()
        except _wire.GridrlError as e:
            if getattr(e, "address", None) is not None:
                raise
            lo = self.offsets[k] if k < len(self.offsets) else 0
            hi = lo + self.sizes[k] - 1 if k < len(self.sizes) else lo
            gone = e.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
            what = " is unreachable or stopped" if gone else ""
            err = type(e)(e.code, f"server {self.addresses[k]} (envs {lo}-{hi}){what}: "
                                  f"{e.message}")
            err.address = self.addresses[k]
            raise err from None
