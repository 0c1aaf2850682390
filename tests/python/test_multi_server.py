"""gridrl.make_vec over several servers: the same trajectories as one server, env order kept,
and a server that fails is named."""
import gymnasium as gym
import numpy as np
import pytest

import gridrl
from test_vector import _actions


def _rows(obs, rew, term, trunc, infos, n):
    """Every env's row of one step as comparable bytes (observation, reward, flags, infos)."""
    out = []
    items = sorted(obs.items()) if isinstance(obs, dict) else [("", obs)]
    for i in range(n):
        row = [np.ascontiguousarray(a[i]).tobytes() for _, a in items]
        row += [float(rew[i]), bool(term[i]), bool(trunc[i])]
        for k in sorted(infos):
            v = infos[k]
            if k == "final_obs":
                f = v[i]
                row.append(None if f is None else
                           b"".join(np.ascontiguousarray(x).tobytes()
                                    for _, x in (sorted(f.items()) if isinstance(f, dict)
                                                 else [("", f)])))
            elif k == "final_info":
                row.append(tuple((kk, float(vv[i])) for kk, vv in sorted(v.items())))
            elif isinstance(v, np.ndarray) and v.shape[:1] == (n,):
                row.append(np.ascontiguousarray(v[i]).tobytes())
        out.append(row)
    return out


def _run(address, env_id, n, steps, seed, mode, **config):
    venv = gridrl.make_vec(env_id, n, address=address, seed=seed, autoreset_mode=mode, **config)
    obs, infos = venv.reset()
    rows = [_rows(obs, np.zeros(n), np.zeros(n, bool), np.zeros(n, bool), infos, n)]
    t = [0] * n
    for _ in range(steps):
        masks = list(infos["action_mask"]) if "action_mask" in infos else [None] * n
        actions = _actions(venv, t, masks)
        t = [x + 1 for x in t]
        obs, rew, term, trunc, infos = venv.step(actions)
        rows.append(_rows(obs, rew, term, trunc, infos, n))
    venv.close()
    return rows


@pytest.mark.parametrize("mode", ["next_step", "same_step"])
def test_two_servers_give_the_trajectories_of_one(server_address, two_server_addresses, mode):
    """5 envs split 3 + 2 over two servers: row for row what one server gives, episodes
    ending and resetting inside the run (max_steps=7 over 30 steps)."""
    one = _run(server_address, "tutorial", 5, 30, 21, mode, max_steps=7)
    two = _run(two_server_addresses, "tutorial", 5, 30, 21, mode, max_steps=7)
    assert len(one) == len(two) == 31
    for t, (a, b) in enumerate(zip(one, two)):
        assert a == b, f"step {t} differs"
    # The runs are not trivially equal: the envs' own trajectories differ from one another.
    assert one[1][0] != one[1][1]


def test_two_servers_restoration70(server_address, two_server_addresses):
    one = _run(server_address, "restoration70", 3, 12, 5, "next_step")
    two = _run(two_server_addresses, "restoration70", 3, 12, 5, "next_step")
    assert one == two


def test_seeds_configs_and_partial_resets_follow_env_order(server_address, two_server_addresses):
    configs = [{"max_steps": m} for m in (3, 5, 7, 9)]
    one = gridrl.make_vec("tutorial", 4, address=server_address, autoreset_mode="disabled",
                          env_configs=configs, action_space="discrete", enforce_mask=False)
    two = gridrl.make_vec("tutorial", 4, address=two_server_addresses, autoreset_mode="disabled",
                          env_configs=configs, action_space="discrete", enforce_mask=False)
    assert two.num_envs == 4 and two.addresses == two_server_addresses
    for v in (one, two):
        v.reset(seed=[40, 41, 42, 43])
    zeros = np.zeros(4, dtype=np.int64)
    for _ in range(3):
        a, b = one.step(zeros), two.step(zeros)
        for x, y in zip(a[:4], b[:4]):
            np.testing.assert_array_equal(x["agent"] if isinstance(x, dict) else x,
                                          y["agent"] if isinstance(y, dict) else y)
    ended = np.logical_or(a[2], a[3])
    assert ended.tolist() == [True, False, False, False]   # env 0's max_steps=3 only
    # Reset env 0 (first server) and env 3 (second server) with their own seeds.
    mask = np.array([True, False, False, True])
    ra = one.reset(seed=[7, 0, 0, 8], options={"reset_mask": mask})
    rb = two.reset(seed=[7, 0, 0, 8], options={"reset_mask": mask})
    np.testing.assert_array_equal(ra[0], rb[0])
    np.testing.assert_array_equal(ra[1]["distance"], rb[1]["distance"])
    for _ in range(2):   # env 1 (max_steps=5) ends after two more
        a, b = one.step(zeros), two.step(zeros)
        np.testing.assert_array_equal(a[1], b[1])
        np.testing.assert_array_equal(a[0], b[0])
    assert np.logical_or(b[2], b[3]).tolist() == [False, True, False, False]
    one.close()
    two.close()


def test_a_server_that_dies_is_named(server_factory):
    first, second = server_factory(), server_factory()
    venv = gridrl.make_vec("tutorial", 4, address=[first.address, second.address],
                           action_space="discrete", enforce_mask=False, timeout=10)
    venv.reset(seed=0)
    venv.step(np.zeros(4, dtype=np.int64))
    second.kill()
    with pytest.raises(gridrl.GridrlError, match=f"server {second.address} \\(envs 2-3\\) "
                                                 "is unreachable") as err:
        venv.step(np.zeros(4, dtype=np.int64))
    assert err.value.address == second.address
    # The surviving server keeps serving.
    alone = gridrl.make_vec("tutorial", 2, address=[first.address], action_space="discrete")
    alone.reset(seed=0)
    alone.close()
    venv.close()


def test_a_server_that_is_down_at_creation_is_named(server_factory):
    up, down = server_factory(), server_factory()
    down.kill()
    with pytest.raises(gridrl.GridrlError, match=f"server {down.address} \\(envs 1-1\\)"):
        gridrl.make_vec("tutorial", 2, address=[up.address, down.address], timeout=5)


def test_bad_multi_server_arguments(two_server_addresses):
    with pytest.raises(gridrl.InvalidInputError, match="fewer than the 2 addresses"):
        gridrl.make_vec("tutorial", 1, address=two_server_addresses)
    with pytest.raises(gridrl.InvalidInputError, match="one server"):
        gridrl.make_vec("tutorial", 4, address=two_server_addresses, batch_size=2)
    with pytest.raises(gridrl.InvalidInputError, match="empty list"):
        gridrl.make_vec("tutorial", 4, address=[])
    venv = gridrl.make_vec("tutorial", 4, address=two_server_addresses)
    with pytest.raises(gridrl.InvalidInputError, match="seeds for 4 envs"):
        venv.reset(seed=[1, 2, 3])
    with pytest.raises(gridrl.InvalidInputError, match="unknown|wrong|key"):
        gridrl.make_vec("tutorial", 4, address=two_server_addresses, no_such_key=1)
    assert isinstance(venv.single_observation_space, gym.spaces.Dict)
    venv.close()


def test_addresses_of_a_name(two_server_addresses):
    port = int(two_server_addresses[0].rsplit(":", 1)[1])
    assert gridrl.addresses_of("127.0.0.1", port) == [f"127.0.0.1:{port}"]
    with pytest.raises(OSError):
        gridrl.addresses_of("no-such-host.invalid", port)


def test_servers_script_starts_many_servers_and_stops_them():
    """scripts/servers.sh N: the README's many-servers command (addresses on one line)."""
    import os
    import signal
    import subprocess
    from conftest import BIN, ROOT
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "servers.sh"), "3"],
                            stdout=subprocess.PIPE, text=True, start_new_session=True,
                            env=dict(os.environ, GRIDRL_SERVER=str(BIN / "gridrl-server")))
    try:
        addresses = proc.stdout.readline().strip().split(",")
        assert len(addresses) == 3 and len(set(addresses)) == 3, addresses
        venv = gridrl.make_vec("tutorial", 6, address=addresses, action_space="discrete",
                               enforce_mask=False)
        venv.reset(seed=0)
        venv.step(np.zeros(6, dtype=np.int64))
        venv.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) is not None
    for a in addresses:   # every server has stopped
        with pytest.raises(gridrl.GridrlError):
            gridrl.make_vec("tutorial", 1, address=a, timeout=2)
