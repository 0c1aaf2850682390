"""gridrl.make: a gymnasium.Env over the server."""
import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gridrl


def test_check_env_passes(server_address):
    env = gridrl.make("tutorial", address=server_address, enforce_mask=False)
    check_env(env, skip_render_check=True)
    env.close()


def test_check_env_flat_action(server_address):
    env = gridrl.make("tutorial", address=server_address, action_space="discrete",
                      enforce_mask=False)
    check_env(env, skip_render_check=True)
    assert isinstance(env.action_space, gym.spaces.Discrete)
    env.close()


def test_spaces_and_types(server_address):
    env = gridrl.make("tutorial", address=server_address, width=9, height=4)
    assert isinstance(env.observation_space, gym.spaces.Dict)
    assert env.observation_space["agent"].high.tolist() == [8, 3]
    assert env.observation_space["agent"].dtype == np.int32
    assert isinstance(env.observation_space["walls"], gym.spaces.MultiBinary)
    assert isinstance(env.action_space["signal"], gym.spaces.MultiDiscrete)
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs)
    assert info["action_mask"].dtype == np.bool_
    assert info["action_mask"].shape == (10,)
    assert set(info) >= {"distance", "energy", "action_mask"}
    env.close()


def test_reset_seed_is_reproducible(server_address):
    a = gridrl.make("tutorial", address=server_address)
    b = gridrl.make("tutorial", address=server_address)
    oa, _ = a.reset(seed=42)
    ob, _ = b.reset(seed=42)
    for k in oa:
        np.testing.assert_array_equal(oa[k], ob[k])
    a.close()
    b.close()


def test_bad_input_raises_clear_errors(server_address):
    with pytest.raises(gridrl.InvalidInputError, match="no_such_env"):
        gridrl.make("no_such_env", address=server_address)
    with pytest.raises(gridrl.InvalidInputError, match="'colour'"):
        gridrl.make("tutorial", address=server_address, colour=3)
    with pytest.raises(gridrl.InvalidInputError, match="'width'"):
        gridrl.make("tutorial", address=server_address, width=10_000)
    env = gridrl.make("tutorial", address=server_address, action_space="discrete")
    env.reset(seed=0)
    with pytest.raises(gridrl.InvalidInputError, match="shape"):
        env.step(np.array([1, 2]))
    with pytest.raises(gridrl.InvalidInputError, match="outside"):
        env.step(7)
    mask = env.action_masks()
    masked = [m for m in range(5) if not mask[m]]
    if masked:
        with pytest.raises(gridrl.InvalidInputError, match="masked"):
            env.step(masked[0])
    # Still usable after every refusal.
    env.step(0)
    env.close()
    denv = gridrl.make("tutorial", address=server_address)
    denv.reset(seed=0)
    action = denv.action_space.sample()
    action["move"] = 0
    action["throttle"] = np.array([np.nan], dtype=np.float32)
    with pytest.raises(gridrl.InvalidInputError, match="not finite"):
        denv.step(action)
    del action["throttle"]
    with pytest.raises(gridrl.InvalidInputError, match="throttle"):
        denv.step(action)
    denv.close()


def test_unreachable_server_is_a_clear_error():
    with pytest.raises(gridrl.GridrlError, match="UNAVAILABLE"):
        gridrl.RemoteEnv("tutorial", address="127.0.0.1:1", timeout=2)


def test_snapshots(server_address):
    env = gridrl.make("tutorial", address=server_address, action_space="discrete")
    env.reset(seed=5)
    snap = env.save_state()
    first = [env.step(0)[1] for _ in range(3)]
    env.restore_state(snap)
    again = [env.step(0)[1] for _ in range(3)]
    assert first == again
    env.release_state(snap)
    with pytest.raises(gridrl.InvalidInputError, match="snapshot"):
        env.restore_state(snap)
    env.close()


def test_list_envs(server_address):
    envs = {e["env_id"]: e for e in gridrl.list_envs(server_address)}
    assert "tutorial" in envs
    assert isinstance(envs["tutorial"]["action_space"], gym.spaces.Dict)
