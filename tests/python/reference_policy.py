"""The deterministic reference policy of env/reference_policy.h, in Python, so a trajectory run
through the Python client can be compared row by row with `gridrl rollout` (in-process)."""
import numpy as np


def policy_row(single_space, leaves, env_id, t, mask):
    """Action leaves (list of arrays without batch axis) for env `env_id` at its step `t`."""
    out = []
    mask_offset = 0
    for k, (kind, space, dtype, shape) in enumerate(leaves):
        h = t * 7 + env_id * 3 + k
        if kind == "discrete":
            n = space.n
            choice = h % n
            if mask is not None:
                for step in range(n):
                    c = (choice + step) % n
                    if mask[mask_offset + c]:
                        choice = c
                        break
            out.append(np.array(space.start + choice, dtype=dtype))
            mask_offset += n
        elif kind == "multi_discrete":
            vals = []
            for j, nj in enumerate(space.nvec):
                choice = (h + j) % int(nj)
                if mask is not None:
                    for step in range(int(nj)):
                        c = (choice + step) % int(nj)
                        if mask[mask_offset + c]:
                            choice = c
                            break
                vals.append(choice)
                mask_offset += int(nj)
            out.append(np.array(vals, dtype=dtype))
        elif kind == "multi_binary":
            n = int(np.prod(shape))
            out.append(np.array([(h + j) % 2 for j in range(n)], dtype=dtype).reshape(shape))
        else:  # box
            low = np.maximum(space.low.reshape(-1).astype(np.float64), -1e3)
            high = np.minimum(space.high.reshape(-1).astype(np.float64), 1e3)
            vals = []
            for j in range(low.size):
                v = low[j] + (high[j] - low[j]) * ((h * 13 + j * 5) % 11) / 10.0
                vals.append(np.floor(v) if np.issubdtype(dtype, np.integer) else v)
            out.append(np.array(vals).astype(dtype).reshape(shape))
    return out
