"""A session on a gridrl server: one vectorized pool, stepped with batched tensors."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import grpc
import numpy as np

from gridrl import _wire
from gridrl.v1 import env_service_pb2 as pb
from gridrl.v1 import env_service_pb2_grpc as pb_grpc

_MAX_MESSAGE = 64 * 1024 * 1024


def connect(address: str) -> grpc.Channel:
    return grpc.insecure_channel(address, options=[
        ("grpc.max_send_message_length", _MAX_MESSAGE),
        ("grpc.max_receive_message_length", _MAX_MESSAGE),
    ])


class Batch:
    """One StepResponse decoded to numpy (views on the message bytes, read-only)."""

    def __init__(self, r: pb.StepResponse, obs_layout: _wire.Layout, info_keys: Sequence[str]):
        self.obs = [_wire.to_numpy(t) for t in r.observation]
        self.reward = _wire.to_numpy(r.reward) if r.HasField("reward") else np.zeros(0)
        self.terminated = _wire.to_numpy(r.terminated) if r.HasField("terminated") else np.zeros(0, bool)
        self.truncated = _wire.to_numpy(r.truncated) if r.HasField("truncated") else np.zeros(0, bool)
        self.env_id = _wire.to_numpy(r.env_id) if r.HasField("env_id") else np.zeros(0, np.int32)
        self.elapsed_step = _wire.to_numpy(r.elapsed_step) if r.HasField("elapsed_step") else None
        self.info = {k: _wire.to_numpy(t) for k, t in zip(info_keys, r.info)}
        self.action_mask = _wire.to_numpy(r.action_mask) if r.HasField("action_mask") else None
        self.final_obs = [_wire.to_numpy(t) for t in r.final_observation]
        self.final_info = {k: _wire.to_numpy(t) for k, t in zip(info_keys, r.final_info)}
        self.layout = obs_layout

    def __len__(self) -> int:
        return len(self.reward)

    @classmethod
    def concat(cls, parts: Sequence["Batch"], offsets: Sequence[int]) -> "Batch":
        """The rows of batches from several sessions, in order; part k's env ids are shifted by
        offsets[k] (its first env's index in the whole)."""
        b = cls.__new__(cls)

        def cat(arrays):
            return np.concatenate(arrays) if len(arrays) > 1 else arrays[0]

        first = parts[0]
        b.obs = [cat([p.obs[k] for p in parts]) for k in range(len(first.obs))]
        b.reward = cat([p.reward for p in parts])
        b.terminated = cat([p.terminated for p in parts])
        b.truncated = cat([p.truncated for p in parts])
        b.env_id = cat([p.env_id.astype(np.int32) + off for p, off in zip(parts, offsets)])
        b.elapsed_step = (None if first.elapsed_step is None
                          else cat([p.elapsed_step for p in parts]))
        b.info = {k: cat([p.info[k] for p in parts]) for k in first.info}
        b.action_mask = (None if first.action_mask is None
                         else cat([p.action_mask for p in parts]))
        b.final_obs = [cat([p.final_obs[k] for p in parts]) for k in range(len(first.final_obs))]
        b.final_info = {k: cat([p.final_info[k] for p in parts]) for k in first.final_info}
        b.layout = first.layout
        return b


class Session:
    def __init__(self, address: str, env_id: str, num_envs: int = 1,
                 config: Optional[Dict[str, Any]] = None,
                 env_configs: Optional[List[Dict[str, Any]]] = None,
                 seed: int = 0, autoreset_mode: str = "next_step", batch_size: int = 0,
                 num_threads: int = 0, timeout: Optional[float] = 60.0):
        if autoreset_mode not in _wire.AUTORESET:
            raise ValueError(f"autoreset_mode must be one of {sorted(_wire.AUTORESET)}, "
                             f"got {autoreset_mode!r}")
        self.address = address
        self.timeout = timeout
        self.channel = connect(address)
        self.stub = pb_grpc.EnvServiceStub(self.channel)
        req = pb.CreateSessionRequest(env_id=env_id, num_envs=num_envs, seed=seed,
                                      autoreset_mode=_wire.AUTORESET[autoreset_mode],
                                      batch_size=batch_size, num_threads=num_threads)
        _wire.config_to_proto(config or {}, req.config)
        for c in env_configs or []:
            _wire.config_to_proto(c, req.env_configs.add())
        resp = _wire.call(self.stub.CreateSession, req, timeout=timeout)
        self.id = resp.session_id
        self.spec = resp.spec
        self.num_envs = resp.num_envs
        self.batch_size = resp.batch_size
        self.autoreset_mode = autoreset_mode
        self.obs_layout = _wire.Layout(self.spec.observation_leaves)
        self.action_layout = _wire.Layout(self.spec.action_leaves)
        self.info_keys = list(self.spec.info_keys)
        self.closed = False

    def reset(self, env_ids: Sequence[int] = (), seed=None, no_wait: bool = False) -> Batch:
        """seed: None, one int (env i gets seed + i) or one int per env."""
        return self._batch(_wire.call(self.stub.Reset, self._reset_request(env_ids, seed, no_wait),
                                      self.timeout))

    def step(self, leaves: List[np.ndarray], env_ids: Sequence[int] = (),
             no_wait: bool = False) -> Batch:
        return self._batch(_wire.call(self.stub.Step, self._step_request(leaves, env_ids, no_wait),
                                      self.timeout))

    def recv(self) -> Batch:
        return self._batch(_wire.call(self.stub.Recv, pb.RecvRequest(session_id=self.id),
                                      self.timeout))

    def _batch(self, r: pb.StepResponse) -> Batch:
        return Batch(r, self.obs_layout, self.info_keys)

    def _reset_request(self, env_ids: Sequence[int], seed, no_wait: bool) -> pb.ResetRequest:
        req = pb.ResetRequest(session_id=self.id, env_ids=list(env_ids), no_wait=no_wait)
        if isinstance(seed, (list, tuple, np.ndarray)):
            req.env_seeds[:] = [int(s) for s in seed]
        elif seed is not None:
            req.seed = int(seed)
        return req

    def _step_request(self, leaves: List[np.ndarray], env_ids: Sequence[int],
                      no_wait: bool) -> pb.StepRequest:
        req = pb.StepRequest(session_id=self.id, env_ids=list(env_ids), no_wait=no_wait)
        for a in leaves:
            _wire.to_tensor(a, req.action.add())
        return req

    def save_state(self, env_ids: Sequence[int] = ()) -> int:
        req = pb.SaveStateRequest(session_id=self.id, env_ids=list(env_ids))
        return _wire.call(self.stub.SaveState, req, self.timeout).snapshot_id

    def restore_state(self, snapshot_id: int) -> Batch:
        req = pb.RestoreStateRequest(session_id=self.id, snapshot_id=snapshot_id)
        return self._batch(_wire.call(self.stub.RestoreState, req, self.timeout))

    def release_state(self, snapshot_id: int) -> None:
        req = pb.ReleaseStateRequest(session_id=self.id, snapshot_id=snapshot_id)
        _wire.call(self.stub.ReleaseState, req, self.timeout)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.stub.CloseSession(pb.CloseSessionRequest(session_id=self.id), timeout=5)
        except grpc.RpcError:
            pass  # the server may already be gone or may have reaped the session
        self.channel.close()


def list_envs(address: str, timeout: float = 10.0) -> pb.ListEnvsResponse:
    with connect(address) as channel:
        stub = pb_grpc.EnvServiceStub(channel)
        return _wire.call(stub.ListEnvs, pb.ListEnvsRequest(), timeout)
