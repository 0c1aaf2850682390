"""`gymnasium.Env` for one environment on a gridrl server."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import gymnasium as gym
import numpy as np

from gridrl import _wire
from gridrl._session import Batch, Session


def _row(batch: Batch, r: int) -> Tuple[Any, Dict[str, Any]]:
    obs = batch.layout.unflatten([a[r].copy() for a in batch.obs])
    info: Dict[str, Any] = {k: float(v[r]) for k, v in batch.info.items()}
    if batch.action_mask is not None:
        info["action_mask"] = np.array(batch.action_mask[r])
    return obs, info


class RemoteEnv(gym.Env):
    """One environment stepped on a gridrl server (a session of one env, no autoreset).

    Spaces come from the server's spec; observations are numpy arrays (dicts for Dict spaces).
    `info["action_mask"]` and `action_masks()` give the flat action mask where the environment
    has one (the convention of maskable learners).
    """

    metadata = {"render_modes": []}

    def __init__(self, env_id: str, address: str = "localhost:50051", seed: int = 0,
                 timeout: Optional[float] = 60.0, **config: Any):
        self._session = Session(address, env_id, num_envs=1, config=config, seed=seed,
                                autoreset_mode="disabled", timeout=timeout)
        spec = self._session.spec
        self.env_id = env_id
        self.observation_space = _wire.space_from_proto(spec.observation_space)
        self.action_space = _wire.space_from_proto(spec.action_space)
        self.reward_range = (spec.reward_low, spec.reward_high)
        self.info_keys = list(spec.info_keys)
        self._mask: Optional[np.ndarray] = None

    def reset(self, *, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None):
        super().reset(seed=seed)
        if seed is not None:
            self.action_space.seed(seed)
        batch = self._session.reset(seed=seed)
        obs, info = _row(batch, 0)
        self._mask = info.get("action_mask")
        return obs, info

    def step(self, action: Any):
        leaves = self._session.action_layout.flatten(action, rows=None)
        batch = self._session.step(leaves)
        obs, info = _row(batch, 0)
        self._mask = info.get("action_mask")
        return (obs, float(batch.reward[0]), bool(batch.terminated[0]), bool(batch.truncated[0]),
                info)

    def action_masks(self) -> Optional[np.ndarray]:
        return None if self._mask is None else self._mask.astype(bool)

    def save_state(self) -> int:
        """Snapshots the environment on the server; returns a handle for restore_state."""
        return self._session.save_state()

    def restore_state(self, snapshot_id: int):
        obs, info = _row(self._session.restore_state(snapshot_id), 0)
        self._mask = info.get("action_mask")
        return obs, info

    def release_state(self, snapshot_id: int) -> None:
        self._session.release_state(snapshot_id)

    def close(self) -> None:
        self._session.close()
        super().close()
