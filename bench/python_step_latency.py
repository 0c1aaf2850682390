"""Latency of one env step from Python: gridrl.make (one env, unary calls) against a separate
gridrl-server process on TCP loopback, p50/p99 over ROUNDS x STEPS steps.

    .venv/bin/python bench/python_step_latency.py [--build build] [--rounds 3] [--steps 5000]
"""
import argparse
import os
import re
import subprocess
import sys
import time

import numpy as np

import gridrl


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--work", type=int, default=0, help="tutorial env work per step")
    args = ap.parse_args()
    server = subprocess.Popen([os.path.join(args.build, "bin", "gridrl-server"),
                               "--address", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
    try:
        port = None
        for line in server.stdout:
            m = re.search(r"listening on port (\d+)", line)
            if m:
                port = m.group(1)
                break
        if port is None:
            print("gridrl-server did not start", file=sys.stderr)
            return 1
        print(f"gridrl-server on 127.0.0.1:{port}; load average {os.getloadavg()[0]:.2f}")
        env = gridrl.make("tutorial", address=f"127.0.0.1:{port}", seed=0, work=args.work)
        env.reset(seed=0)
        action = env.action_space.sample()
        action["move"] = 0  # always allowed by the tutorial env's mask
        for r in range(args.rounds):
            times = np.empty(args.steps)
            for i in range(args.steps):
                t0 = time.perf_counter()
                _, _, terminated, truncated, _ = env.step(action)
                times[i] = time.perf_counter() - t0
                if terminated or truncated:
                    env.reset()
            us = times * 1e6
            print(f"round {r + 1}: p50 {np.percentile(us, 50):.1f} us, "
                  f"p99 {np.percentile(us, 99):.1f} us over {args.steps} steps")
        env.close()
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
