"""Training native agents inside a gridrl server, and using the policies it holds."""
from __future__ import annotations

import json
from typing import Any, Dict, Iterator, Optional

import gymnasium as gym
import numpy as np

from gridrl import _wire
from gridrl._session import connect
from gridrl.v1 import agent_service_pb2 as apb
from gridrl.v1 import agent_service_pb2_grpc as apb_grpc
from gridrl.v1 import env_service_pb2 as pb


class RemotePolicy:
    """A policy held by the server: act on observations, evaluate, export, release."""

    def __init__(self, address: str, policy_id: str, env_id: str = "",
                 observation_space: Optional[gym.Space] = None):
        self.address = address
        self.policy_id = policy_id
        self.env_id = env_id
        self.observation_space = observation_space
        self._channel = connect(address)
        self._stub = apb_grpc.AgentServiceStub(self._channel)

    def act(self, observation: Any, action_mask: Optional[np.ndarray] = None,
            deterministic: bool = True, seed: int = 0):
        """Actions for a batch of observations (leaf arrays with a leading batch axis, a dict for
        Dict spaces), returned as arrays (a dict for Dict action spaces)."""
        req = apb.ActRequest(policy_id=self.policy_id, deterministic=deterministic, seed=seed)
        leaves = observation if isinstance(observation, dict) else {"": observation}
        for _, value in sorted(_flatten(leaves).items()):
            _wire.to_tensor(np.asarray(value), req.observation.add())
        if action_mask is not None:
            _wire.to_tensor(np.asarray(action_mask, dtype=bool), req.action_mask)
        resp = _wire.call(self._stub.Act, req)
        return [_wire.to_numpy(t).copy() for t in resp.action]

    def evaluate(self, episodes: int = 10, seed: int = 0, deterministic: bool = True,
                 num_envs: int = 1) -> Dict[str, Any]:
        resp = _wire.call(self._stub.Evaluate, apb.EvaluateRequest(
            policy_id=self.policy_id, episodes=episodes, seed=seed, deterministic=deterministic,
            num_envs=num_envs))
        return {"episode_reward": np.array(resp.episode_reward),
                "episode_length": np.array(resp.episode_length),
                "mean_reward": resp.mean_reward, "std_reward": resp.std_reward}

    def export(self) -> dict:
        resp = _wire.call(self._stub.ExportPolicy, apb.PolicyRef(policy_id=self.policy_id))
        return json.loads(resp.checkpoint_json)

    def release(self) -> None:
        """Frees the policy on the server (later calls report it not found)."""
        _wire.call(self._stub.ReleasePolicy, apb.PolicyRef(policy_id=self.policy_id))


def _flatten(d: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for k, v in d.items():
        name = f"{prefix}.{k}" if prefix and k else (k or prefix)
        if isinstance(v, dict):
            out.update(_flatten(v, name))
        else:
            out[name] = v
    return out


def train(env_id: str, agent: str = "ppo", address: str = "localhost:50051", episodes: int = 100,
          num_envs: int = 8, seed: int = 0, agent_config: Optional[Dict[str, Any]] = None,
          **config: Any) -> Iterator[Dict[str, Any]]:
    """Trains `agent` ("ppo", or "dual-ppo" on resilience123) inside the server. Yields one dict
    per update (update, total_steps, episodes, mean_episode_reward, steps_per_s, learners);
    the last has done=True and "policy", a RemotePolicy for the trained policy. Keyword
    arguments are the environment's config; agent_config holds the agent's settings."""
    channel = connect(address)
    stub = apb_grpc.AgentServiceStub(channel)
    req = apb.TrainRequest(env_id=env_id, agent=agent, num_envs=num_envs, seed=seed,
                           episodes=episodes,
                           agent_config_json=json.dumps(agent_config) if agent_config else "")
    _wire.config_to_proto(config, req.config)
    try:
        for p in stub.Train(req):
            item = {"update": p.update, "total_steps": p.total_steps, "episodes": p.episodes,
                    "mean_episode_reward": p.mean_episode_reward, "steps_per_s": p.steps_per_s,
                    "learners": [{"name": l.name, "policy_loss": l.policy_loss,
                                  "value_loss": l.value_loss, "entropy": l.entropy,
                                  "approx_kl": l.approx_kl} for l in p.learners],
                    "done": p.done}
            if p.done:
                item["policy"] = RemotePolicy(address, p.policy_id, env_id)
            yield item
    except _wire.grpc.RpcError as e:
        _wire.raise_for(e.code(), e.details() or "")
    finally:
        channel.close()
