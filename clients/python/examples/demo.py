"""Steps every environment the server offers from Python (random allowed actions) and prints
what happened: spaces, throughput and the returns of the episodes that ended."""
import argparse
import time

import numpy as np

import gridrl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", default="localhost:50051")
    parser.add_argument("--num-envs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=200, help="steps per environment at most")
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="time per environment at most (a uc_rts96 step is a whole day)")
    args = parser.parse_args()

    envs = gridrl.list_envs(args.address)
    print(f"server at {args.address} offers {len(envs)} environment(s):")
    for e in envs:
        print(f"  {e['env_id']:<14} {e['summary']}")
        print(f"  {'':<14} observation {e['observation_space']}")
        print(f"  {'':<14} action      {e['action_space']}")

    for e in envs:
        env_id = e["env_id"]
        venv = gridrl.make_vec(env_id, args.num_envs, address=args.address, seed=0)
        obs, infos = venv.reset(seed=0)
        rng = np.random.default_rng(0)
        venv.action_space.seed(0)
        returns = np.zeros(venv.num_envs)
        finished = []
        t0 = time.perf_counter()
        steps = 0
        while steps < args.steps and time.perf_counter() - t0 < args.seconds:
            steps += 1
            mask = venv.action_masks()
            actions = venv.action_space.sample()
            if mask is not None:  # pick allowed values for the masked categorical leaves
                actions = _masked_sample(venv, actions, mask, rng)
            obs, rewards, terms, truncs, infos = venv.step(actions)
            returns += rewards
            for i in np.flatnonzero(terms | truncs):
                finished.append(returns[i])
                returns[i] = 0.0
        dt = time.perf_counter() - t0
        rate = steps * venv.num_envs / dt
        mean = f"{np.mean(finished):.3f}" if finished else "n/a"
        print(f"\n{env_id}: {steps} steps x {venv.num_envs} envs from Python in {dt:.2f} s "
              f"({rate:,.0f} env-steps/s); {len(finished)} episodes ended, mean return {mean}")
        venv.close()


def _allowed(row, rng):
    """A random allowed index; 0 when nothing is allowed (an ended episode whose next action
    is ignored by the autoreset)."""
    allowed = np.flatnonzero(row)
    return int(rng.choice(allowed)) if allowed.size else 0


def _masked_sample(venv, actions, mask, rng):
    """Replaces each Discrete/MultiDiscrete choice by a random allowed one (flat mask layout)."""
    import gymnasium as gym

    space = venv.single_action_space
    items = sorted(space.spaces.items()) if isinstance(space, gym.spaces.Dict) else [("", space)]
    offset = 0
    for name, s in items:
        if isinstance(s, gym.spaces.Discrete):
            block = mask[:, offset:offset + s.n]
            choice = np.array([s.start + _allowed(row, rng) for row in block])
            if name:
                actions[name] = choice
            else:
                actions = choice
            offset += s.n
        elif isinstance(s, gym.spaces.MultiDiscrete):
            for j, n in enumerate(s.nvec):
                block = mask[:, offset:offset + n]
                actions[name][:, j] = [_allowed(row, rng) for row in block]
                offset += n
    return actions


if __name__ == "__main__":
    main()
