"""Conversions between gridrl.v1 messages and numpy / Gymnasium objects."""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import grpc
import gymnasium as gym
import numpy as np

from gridrl.v1 import env_service_pb2 as pb
from gridrl.v1 import spaces_pb2 as spb

_DTYPES = {
    spb.DTYPE_FLOAT32: np.dtype("<f4"),
    spb.DTYPE_FLOAT64: np.dtype("<f8"),
    spb.DTYPE_INT32: np.dtype("<i4"),
    spb.DTYPE_INT64: np.dtype("<i8"),
    spb.DTYPE_INT8: np.dtype("i1"),
    spb.DTYPE_BOOL: np.dtype("?"),
}
_TO_PROTO = {v.str: k for k, v in _DTYPES.items()}


class GridrlError(RuntimeError):
    """An error reported by the gridrl server; `code` is the gRPC status code, `address` the
    server's where a vector env over several servers names it."""

    address = None

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message


class InvalidInputError(GridrlError, ValueError):
    """The server refused the input (bad shape, dtype, value, config or id)."""


_BAD_INPUT = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.OUT_OF_RANGE,
              grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND}


def raise_for(code: grpc.StatusCode, message: str) -> None:
    cls = InvalidInputError if code in _BAD_INPUT else GridrlError
    raise cls(code, message)


def call(fn, request, timeout=None):
    try:
        return fn(request, timeout=timeout)
    except grpc.RpcError as e:  # noqa: PERF203 - one conversion point for every call
        raise_for(e.code(), e.details() or "")


def dtype_of(proto_dtype: int) -> np.dtype:
    return _DTYPES[proto_dtype]


def to_numpy(t: spb.Tensor) -> np.ndarray:
    return np.frombuffer(t.data, dtype=_DTYPES[t.dtype]).reshape(tuple(t.shape))


def to_tensor(a: np.ndarray, out: spb.Tensor) -> None:
    a = np.ascontiguousarray(a)
    out.dtype = _TO_PROTO[a.dtype.str if a.dtype.itemsize > 1 else a.dtype.str]
    out.shape[:] = a.shape
    out.data = a.tobytes()


def space_from_proto(s: spb.Space) -> gym.Space:
    kind = s.WhichOneof("kind")
    if kind == "discrete":
        return gym.spaces.Discrete(s.discrete.n, start=s.discrete.start)
    if kind == "multi_discrete":
        return gym.spaces.MultiDiscrete(np.array(s.multi_discrete.nvec, dtype=np.int64))
    if kind == "multi_binary":
        shape = list(s.multi_binary.shape)
        return gym.spaces.MultiBinary(shape[0] if len(shape) == 1 else shape)
    if kind == "box":
        dtype = _DTYPES[s.box.dtype]
        shape = tuple(s.box.shape)
        low = np.array(s.box.low, dtype=np.float64).reshape(shape)
        high = np.array(s.box.high, dtype=np.float64).reshape(shape)
        if np.issubdtype(dtype, np.integer):
            return gym.spaces.Box(low.astype(dtype), high.astype(dtype), shape, dtype)
        return gym.spaces.Box(low.astype(dtype), high.astype(dtype), shape, dtype)
    if kind == "dict":
        return gym.spaces.Dict({e.key: space_from_proto(e.space) for e in s.dict.entries})
    raise ValueError(f"space kind not set: {s}")


class Layout:
    """The flattened leaves of an observation or action space, and how to (un)flatten."""

    def __init__(self, leaves: Sequence[spb.LeafSpec]):
        self.names: List[str] = [l.name for l in leaves]
        self.dtypes: List[np.dtype] = [_DTYPES[l.dtype] for l in leaves]
        self.shapes: List[Tuple[int, ...]] = [tuple(l.shape) for l in leaves]

    def unflatten(self, arrays: List[np.ndarray]) -> Any:
        if len(self.names) == 1 and self.names[0] == "":
            return arrays[0]
        out: Dict[str, Any] = {}
        for name, a in zip(self.names, arrays):
            node = out
            parts = name.split(".")
            for p in parts[:-1]:
                node = node.setdefault(p, {})
            node[parts[-1]] = a
        return out

    def flatten(self, value: Any, rows: int | None, what: str = "action") -> List[np.ndarray]:
        """Leaf arrays from a user value; rows=None for a single env (no batch axis)."""
        out = []
        for name, dtype, shape in zip(self.names, self.dtypes, self.shapes):
            v = value
            if name:
                for p in name.split("."):
                    if not isinstance(v, dict) and not hasattr(v, "keys"):
                        raise InvalidInputError(grpc.StatusCode.INVALID_ARGUMENT,
                                                f"{what}: expected a dict with key '{p}'")
                    if p not in v:
                        raise InvalidInputError(grpc.StatusCode.INVALID_ARGUMENT,
                                                f"{what}: missing key '{name}'")
                    v = v[p]
            a = np.asarray(v)
            want = shape if rows is None else (rows, *shape)
            label = f"{what} '{name}'" if name else what
            if a.shape != want:
                raise InvalidInputError(grpc.StatusCode.INVALID_ARGUMENT,
                                        f"{label}: shape {a.shape}, expected {want}")
            if a.dtype != dtype:
                if np.issubdtype(dtype, np.integer) and not np.issubdtype(a.dtype, np.integer):
                    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
                        raise InvalidInputError(grpc.StatusCode.INVALID_ARGUMENT,
                                                f"{label}: values are not finite")
                    if a.dtype.kind == "b" or (a.dtype.kind == "f" and np.all(a == np.round(a))):
                        a = a.astype(dtype)
                    else:
                        raise InvalidInputError(
                            grpc.StatusCode.INVALID_ARGUMENT,
                            f"{label}: dtype {a.dtype} cannot be used as {dtype} "
                            "(non-integer values)")
                else:
                    a = a.astype(dtype)
            if rows is None:
                a = a.reshape((1, *shape))
            out.append(a)
        return out


def config_to_proto(config: Dict[str, Any], out: pb.Config) -> None:
    for key, value in config.items():
        v = out.values[key]
        if isinstance(value, (bool, np.bool_)):
            v.bool_value = bool(value)
        elif isinstance(value, (int, np.integer)):
            v.int_value = int(value)
        elif isinstance(value, (float, np.floating)):
            v.double_value = float(value)
        elif isinstance(value, str):
            v.string_value = value
        elif isinstance(value, (list, tuple, np.ndarray)):
            arr = np.asarray(value)
            if np.issubdtype(arr.dtype, np.integer):
                v.int_list.values[:] = [int(x) for x in arr]
            else:
                v.double_list.values[:] = [float(x) for x in arr]
        else:
            raise InvalidInputError(grpc.StatusCode.INVALID_ARGUMENT,
                                    f"config '{key}': unsupported value type {type(value).__name__}")


AUTORESET = {
    "next_step": spb.AUTORESET_MODE_NEXT_STEP,
    "same_step": spb.AUTORESET_MODE_SAME_STEP,
    "disabled": spb.AUTORESET_MODE_DISABLED,
}
