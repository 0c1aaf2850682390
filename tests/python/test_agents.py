"""gridrl.train: PPO trained inside the server, its policy served to Python."""
import numpy as np
import pytest

import gridrl

FAST = {"hidden": [16], "rollout_steps": 32, "epochs": 2, "minibatch_size": 32}


def test_train_then_act_and_evaluate(server_address):
    updates = list(gridrl.train("tutorial", "ppo", address=server_address, episodes=20,
                                num_envs=4, seed=1, agent_config=FAST,
                                action_space="discrete", max_steps=20))
    assert len(updates) >= 2 and updates[-1]["done"]
    assert all(u["learners"][0]["name"] == "policy" for u in updates[:-1])
    policy = updates[-1]["policy"]
    env = gridrl.make("tutorial", address=server_address, action_space="discrete", max_steps=20)
    obs, info = env.reset(seed=4)
    (moves,) = policy.act(obs[None, :], action_mask=info["action_mask"][None, :])
    assert moves.shape == (1,) and info["action_mask"][moves[0]]
    env.step(int(moves[0]))
    result = policy.evaluate(episodes=3)
    assert result["episode_reward"].shape == (3,)
    exported = policy.export()
    assert exported["config"]["hidden"] == [16]  # the checkpoint of the trained policy
    policy.release()
    with pytest.raises(gridrl.InvalidInputError, match="not found"):
        policy.evaluate(episodes=1)
    env.close()


def test_train_bad_agent(server_address):
    with pytest.raises(gridrl.InvalidInputError, match="'q-learning'"):
        list(gridrl.train("tutorial", "q-learning", address=server_address, episodes=1))
