"""gridrl: power-grid reinforcement-learning environments served over gRPC.

    env = gridrl.make("tutorial", address="localhost:50051", seed=0, width=8)
    venv = gridrl.make_vec("tutorial", num_envs=16, address="localhost:50051")
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Union

from gridrl._group import addresses_of
from gridrl._session import list_envs as _list_envs
from gridrl._wire import GridrlError, InvalidInputError, space_from_proto
from gridrl.agents import RemotePolicy, train
from gridrl.env import RemoteEnv
from gridrl.vector import RemoteVectorEnv

__all__ = ["make", "make_vec", "list_envs", "addresses_of", "train", "RemotePolicy", "RemoteEnv",
           "RemoteVectorEnv", "GridrlError", "InvalidInputError"]
__version__ = "0.1.0"

DEFAULT_ADDRESS = "localhost:50051"


def make(env_id: str, address: str = DEFAULT_ADDRESS, seed: int = 0, **config: Any) -> RemoteEnv:
    """One environment as a `gymnasium.Env`; keyword arguments are the environment's config."""
    return RemoteEnv(env_id, address=address, seed=seed, **config)


def make_vec(env_id: str, num_envs: int, address: Union[str, Sequence[str]] = DEFAULT_ADDRESS,
             seed: int = 0, **kwargs: Any) -> RemoteVectorEnv:
    """num_envs environments as a `gymnasium.vector.VectorEnv` (see RemoteVectorEnv); a list of
    addresses spreads them over several servers (same trajectories as one server)."""
    return RemoteVectorEnv(env_id, num_envs, address=address, seed=seed, **kwargs)


def list_envs(address: str = DEFAULT_ADDRESS) -> List[Dict[str, Any]]:
    """The server's environments: id, summary and default observation/action spaces."""
    out = []
    for e in _list_envs(address).envs:
        out.append({"env_id": e.env_id, "summary": e.summary,
                    "observation_space": space_from_proto(e.default_spec.observation_space),
                    "action_space": space_from_proto(e.default_spec.action_space)})
    return out
