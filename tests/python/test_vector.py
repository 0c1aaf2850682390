"""gridrl.make_vec: a gymnasium.vector.VectorEnv over the server, in each autoreset mode."""
import json
import subprocess

import gymnasium as gym
import numpy as np
import pytest

import gridrl
from reference_policy import policy_row


def _leaves(space):
    out = []
    items = space.spaces.items() if isinstance(space, gym.spaces.Dict) else [("", space)]
    for _, s in sorted(items):
        kind = {gym.spaces.Discrete: "discrete", gym.spaces.MultiDiscrete: "multi_discrete",
                gym.spaces.MultiBinary: "multi_binary", gym.spaces.Box: "box"}[type(s)]
        out.append((kind, s, s.dtype, s.shape))
    return out


def _actions(venv, t, masks):
    """The reference policy's batch of actions for every env at step t."""
    leaves = _leaves(venv.single_action_space)
    rows = [policy_row(venv.single_action_space, leaves, i, t[i], masks[i])
            for i in range(venv.num_envs)]
    stacked = [np.stack([r[k] for r in rows]) for k in range(len(leaves))]
    if isinstance(venv.single_action_space, gym.spaces.Dict):
        return {name: a for (name, _), a in zip(sorted(venv.single_action_space.spaces.items()),
                                                stacked)}
    return stacked[0]


def _row_digest(obs, r, reward, term, trunc):
    parts = []
    items = sorted(obs.items()) if isinstance(obs, dict) else [("", obs)]
    for _, a in items:
        parts.append(np.ascontiguousarray(a[r]).tobytes().hex())
    return {"obs": "".join(parts), "reward": float(reward), "terminated": bool(term),
            "truncated": bool(trunc)}


@pytest.mark.parametrize("mode", ["next_step", "same_step"])
def test_trajectories_match_in_process(server_address, gridrl_cli, mode):
    """The Python client's trajectories equal the in-process pool's, row for row."""
    n, steps, seed = 3, 40, 11
    ref = subprocess.run([gridrl_cli, "rollout", "--env", "tutorial", "--num-envs", str(n),
                          "--steps", str(steps), "--seed", str(seed), "--autoreset", mode,
                          "--config", "max_steps=9"], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    expected = [json.loads(line) for line in ref]
    venv = gridrl.make_vec("tutorial", n, address=server_address, seed=seed,
                           autoreset_mode=mode, max_steps=9)
    obs, infos = venv.reset()
    got = [dict(_row_digest(obs, i, 0.0, False, False), env=i, row=0) for i in range(n)]
    t = [0] * n
    for step in range(1, steps + 1):
        masks = list(infos["action_mask"])
        actions = _actions(venv, t, masks)
        t = [x + 1 for x in t]
        obs, rew, term, trunc, infos = venv.step(actions)
        for i in range(n):
            got.append(dict(_row_digest(obs, i, rew[i], term[i], trunc[i]), env=i, row=step))
        if mode == "same_step":
            for i in np.flatnonzero(infos["_final_obs"]):
                assert venv.single_observation_space.contains(infos["final_obs"][i])
    key = lambda d: (d["env"], d["row"])  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key)
    venv.close()


def test_disabled_mode_with_reset_mask(server_address):
    venv = gridrl.make_vec("tutorial", 2, address=server_address, autoreset_mode="disabled",
                           max_steps=3, action_space="discrete")
    venv.reset(seed=1)
    for _ in range(3):
        obs, rew, term, trunc, infos = venv.step(np.zeros(2, dtype=np.int64))
    ended = np.logical_or(term, trunc)
    assert ended.all()
    with pytest.raises(gridrl.InvalidInputError, match="reset"):
        venv.step(np.zeros(2, dtype=np.int64))
    obs, infos = venv.reset(options={"reset_mask": np.array([True, False])})
    venv.reset(options={"reset_mask": np.array([False, True])})
    obs, rew, term, trunc, infos = venv.step(np.zeros(2, dtype=np.int64))
    assert not term.any() and not trunc.any()
    venv.close()


def test_reset_with_a_seed_per_env(server_address):
    venv = gridrl.make_vec("tutorial", 3, address=server_address)
    base, _ = venv.reset(seed=7)
    listed, _ = venv.reset(seed=[7, 8, 9])
    for k in base:
        np.testing.assert_array_equal(base[k], listed[k])
    shuffled, _ = venv.reset(seed=[9, 8, 7])
    np.testing.assert_array_equal(shuffled["agent"][0], base["agent"][2])
    with pytest.raises(gridrl.InvalidInputError, match="seeds"):
        venv.reset(seed=[1, 2])
    venv.close()


def test_spaces_and_infos(server_address):
    venv = gridrl.make_vec("tutorial", 4, address=server_address)
    assert venv.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
    obs, infos = venv.reset(seed=0)
    assert venv.observation_space.contains(obs)
    assert infos["distance"].shape == (4,) and infos["_distance"].all()
    assert infos["action_mask"].shape == (4, 10)
    with pytest.raises(gridrl.InvalidInputError, match="shape"):
        venv.step({"move": np.zeros(3, dtype=np.int64)})
    venv.close()


def test_async_send_recv(server_address):
    venv = gridrl.make_vec("tutorial", 4, address=server_address, batch_size=2,
                           action_space="discrete", enforce_mask=False)
    venv.async_reset(seed=0)
    seen = set()
    for _ in range(10):
        obs, rew, term, trunc, infos = venv.recv()
        ids = infos["env_id"]
        assert len(ids) == 2
        seen.update(ids.tolist())
        venv.send(np.zeros(2, dtype=np.int64), ids)
    assert seen == {0, 1, 2, 3}
    venv.close()
