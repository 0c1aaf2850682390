"""`gymnasium.vector.VectorEnv` for a batch of environments on a gridrl server."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Union

import gymnasium as gym
import numpy as np
from gymnasium.vector.utils import batch_space

from gridrl import _wire
from gridrl._group import SessionGroup
from gridrl._session import Batch

_MODES = {"next_step": "NEXT_STEP", "same_step": "SAME_STEP", "disabled": "DISABLED"}


class RemoteVectorEnv(gym.vector.VectorEnv):
    """num_envs environments stepped together on gridrl servers.

    `address` is one server ("host:port": one session, one pool) or a list of servers: the
    environments are then split into contiguous blocks, one session per server, stepped
    concurrently and joined in env order; env i is seeded seed + i either way, so trajectories do
    not depend on how many servers run them. A server that fails raises GridrlError naming it
    (its `address`) and the envs it held.

    Autoreset follows Gymnasium 1.x (`metadata["autoreset_mode"]`): NEXT_STEP (default),
    SAME_STEP (final observations in infos["final_obs"] / infos["final_info"]) or DISABLED
    (reset ended envs with `reset(options={"reset_mask": mask})`). Infos hold each info key as
    a float64 array with its `_key` mask, and the flat action mask as infos["action_mask"].

    With batch_size < num_envs the session is asynchronous (EnvPool style): use
    `async_reset()`, then `recv()` and `send(actions, env_ids)` (one server only).
    """

    def __init__(self, env_id: str, num_envs: int,
                 address: Union[str, Sequence[str]] = "localhost:50051",
                 seed: int = 0, autoreset_mode: str = "next_step", batch_size: int = 0,
                 num_threads: int = 0, env_configs: Optional[List[Dict[str, Any]]] = None,
                 timeout: Optional[float] = 60.0, **config: Any):
        addresses = [address] if isinstance(address, str) else list(address)
        self.addresses = addresses
        self._session = SessionGroup(addresses, env_id, num_envs=num_envs, config=config,
                                     env_configs=env_configs, seed=seed,
                                     autoreset_mode=autoreset_mode, batch_size=batch_size,
                                     num_threads=num_threads, timeout=timeout)
        spec = self._session.spec
        self.env_id = env_id
        self.num_envs = int(self._session.num_envs)
        self.batch_size = int(self._session.batch_size)
        self.action_mask_size = int(spec.action_mask_size)   # 0: the env has no mask
        self.single_observation_space = _wire.space_from_proto(spec.observation_space)
        self.single_action_space = _wire.space_from_proto(spec.action_space)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.metadata = dict(self.metadata)
        mode = getattr(gym.vector, "AutoresetMode", None)
        self.metadata["autoreset_mode"] = (getattr(mode, _MODES[autoreset_mode])
                                           if mode is not None else autoreset_mode)
        self._obs: List[np.ndarray] = []
        self._mask: Optional[np.ndarray] = None

    # --- Gymnasium API ---------------------------------------------------------------------
    def reset(self, *, seed=None, options: Optional[Dict[str, Any]] = None):
        """seed: None, an int (env i gets seed + i) or a list with one seed per env; with
        options={"reset_mask": mask} only the masked envs reset (seeds then follow the mask)."""
        if isinstance(seed, (list, tuple, np.ndarray)):
            super().reset(seed=None)
            seeds = [int(s) for s in seed]
        else:
            super().reset(seed=seed)
            seeds = None
        env_ids: Sequence[int] = ()
        if options and "reset_mask" in options:
            mask = np.asarray(options["reset_mask"], dtype=bool)
            if mask.shape != (self.num_envs,):
                raise _wire.InvalidInputError(_wire.grpc.StatusCode.INVALID_ARGUMENT,
                                              f"reset_mask: shape {mask.shape}, expected "
                                              f"({self.num_envs},)")
            env_ids = np.flatnonzero(mask).tolist()
            if not env_ids:
                return self._observation(), {}
        if seeds is not None:
            if len(seeds) != self.num_envs:
                raise _wire.InvalidInputError(_wire.grpc.StatusCode.INVALID_ARGUMENT,
                                              f"seed: {len(seeds)} seeds for {self.num_envs} envs")
            if env_ids:
                seeds = [seeds[i] for i in env_ids]
        batch = self._session.reset(env_ids=env_ids, seed=seeds if seeds is not None else seed)
        return self._absorb(batch, full=not env_ids)

    def step(self, actions: Any):
        leaves = self._session.action_layout.flatten(actions, rows=self.num_envs)
        batch = self._session.step(leaves)
        obs, infos = self._absorb(batch, full=True)
        return (obs, np.array(batch.reward), np.array(batch.terminated),
                np.array(batch.truncated), infos)

    def close_extras(self, **kwargs: Any) -> None:
        session = getattr(self, "_session", None)   # absent when the constructor failed
        if session is not None:
            session.close()

    def action_masks(self) -> Optional[np.ndarray]:
        return None if self._mask is None else self._mask.astype(bool)

    # --- EnvPool-style asynchronous API ------------------------------------------------------
    def async_reset(self, seed: Optional[int] = None) -> None:
        self._session.reset(seed=seed, no_wait=True)

    def send(self, actions: Any, env_ids: Sequence[int]) -> None:
        leaves = self._session.action_layout.flatten(actions, rows=len(env_ids))
        self._session.step(leaves, env_ids=list(env_ids), no_wait=True)

    def recv(self):
        """The next ready batch: (obs, rewards, terminations, truncations, infos), with
        infos["env_id"] naming each row's environment."""
        b = self._session.recv()
        obs = self._session.obs_layout.unflatten([np.array(a) for a in b.obs])
        infos = self._infos(b)
        infos["env_id"] = np.array(b.env_id)
        return obs, np.array(b.reward), np.array(b.terminated), np.array(b.truncated), infos

    # --- internals ---------------------------------------------------------------------------
    def _observation(self) -> Any:
        return self._session.obs_layout.unflatten([a.copy() for a in self._obs])

    def _infos(self, b: Batch) -> Dict[str, Any]:
        n = len(b)
        infos: Dict[str, Any] = {}
        for k, v in b.info.items():
            infos[k] = np.array(v)
            infos["_" + k] = np.ones(n, dtype=bool)
        if b.action_mask is not None:
            infos["action_mask"] = np.array(b.action_mask)
            infos["_action_mask"] = np.ones(n, dtype=bool)
        if b.final_obs:
            done = np.logical_or(b.terminated, b.truncated)
            final = np.empty(n, dtype=object)
            for r in range(n):
                final[r] = (self._session.obs_layout.unflatten([np.array(a[r]) for a in b.final_obs])
                            if done[r] else None)
            infos["final_obs"] = final
            infos["_final_obs"] = done.copy()
            infos["final_info"] = {k: np.where(done, v, 0.0) for k, v in b.final_info.items()}
            infos["final_info"].update({"_" + k: done.copy() for k in b.final_info})
            infos["_final_info"] = done.copy()
        return infos

    def _absorb(self, b: Batch, full: bool):
        if full or not self._obs:
            self._obs = [np.array(a) for a in b.obs]
            if b.action_mask is not None:
                self._mask = np.array(b.action_mask)
        else:  # a partial reset: update the rows that were reset
            rows = np.asarray(b.env_id)
            for mine, theirs in zip(self._obs, b.obs):
                mine[rows] = theirs
            if b.action_mask is not None and self._mask is not None:
                self._mask[rows] = b.action_mask
        infos = self._infos(b)
        if not full and len(b) != self.num_envs:
            rows = np.asarray(b.env_id)
            padded: Dict[str, Any] = {}
            for k, v in infos.items():
                if isinstance(v, np.ndarray) and v.shape[:1] == (len(b),):
                    full_v = np.zeros((self.num_envs, *v.shape[1:]), dtype=v.dtype)
                    full_v[rows] = v
                    padded[k] = full_v
            infos = padded
        return self._observation(), infos
