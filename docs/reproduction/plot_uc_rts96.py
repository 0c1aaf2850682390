#!/usr/bin/env python3
"""Plots of the uc_rts96 reproduction (docs/reproduction/uc_rts96.md) from the CSV files that
`gridrl train/eval --env uc_rts96` write.

    .venv/bin/python docs/reproduction/plot_uc_rts96.py [--dir docs/reproduction/uc_rts96]

Reads DIR/iapi/{iterations,candidates,theta,value_states}.csv and DIR/eval/eval_*.csv; writes
DIR/convergence.png, DIR/boxplot.png, DIR/value_surface.png and prints a summary table.
"""
import argparse
import csv
import math
import os
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def phi_rt(d, ed, eg):
    u = [1.0, d, d * d, ed, eg]
    return [u[i] * u[j] for i in range(5) for j in range(i + 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=os.path.join(os.path.dirname(__file__), "uc_rts96"))
    args = ap.parse_args()
    d = args.dir

    # 1. Convergence of the top-percentile value per iteration.
    it = read_csv(os.path.join(d, "iapi", "iterations.csv"))
    x = [int(r["iteration"]) for r in it]
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].plot(x, [float(r["top_percentile_score"]) for r in it], "o-", label="top 20 % threshold")
    ax[0].plot(x, [float(r["elite_mean_score"]) for r in it], "s--", label="elite mean")
    ax[0].plot(x, [float(r["mean_score"]) for r in it], "^:", label="population mean")
    ax[0].set_xlabel("IAPI iteration")
    ax[0].set_ylabel("candidate score (mean learned value)")
    ax[0].legend()
    ax[0].grid(alpha=0.3)
    ax[1].plot(x, [float(r["elite_mean_reward"]) for r in it], "s--", label="elite mean")
    ax[1].plot(x, [float(r["best_mean_reward"]) for r in it], "o-", label="best candidate")
    ax[1].set_xlabel("IAPI iteration")
    ax[1].set_ylabel("mean hourly N-1 reliability of the scoring rollouts")
    ax[1].legend()
    ax[1].grid(alpha=0.3)
    fig.suptitle("uc_rts96: IAPI convergence (202 candidates, top 20 %, 5 days x 24 h)")
    fig.tight_layout()
    fig.savefig(os.path.join(d, "convergence.png"), dpi=110)
    plt.close(fig)

    # 2. Box plot over the same evaluation rollouts.
    agents = ["iapi", "random", "cost", "elastic"]
    data, rows = [], {}
    for a in agents:
        p = os.path.join(d, "eval", f"eval_{a}.csv")
        if not os.path.exists(p):
            continue
        rows[a] = read_csv(p)
        data.append((a, [float(r["mean_reliability"]) for r in rows[a]]))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.boxplot([v for _, v in data], showmeans=True)
    ax.set_xticks(range(1, len(data) + 1), [a for a, _ in data])
    ax.set_ylabel("mean hourly N-1 reliability of a day")
    ax.set_title(f"uc_rts96: {len(data[0][1])} evaluation rollouts per policy (same seeds)")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(os.path.join(d, "boxplot.png"), dpi=110)
    plt.close(fig)

    print("policy   mean    median  std     " + "  ".join(f"day{k}" for k in range(1, 6)))
    for a, v in data:
        by_day = {}
        for r in rows[a]:
            by_day.setdefault(int(r["stress_day"]), []).append(float(r["mean_reliability"]))
        print(f"{a:8s} {statistics.mean(v):.4f}  {statistics.median(v):.4f}  "
              f"{statistics.pstdev(v):.4f}  "
              + "  ".join(f"{statistics.mean(by_day[k]):.3f}" for k in sorted(by_day)))
    if "iapi" in rows:
        iapi = {int(r["rollout"]): float(r["mean_reliability"]) for r in rows["iapi"]}
        for a in agents[1:]:
            if a not in rows:
                continue
            other = {int(r["rollout"]): float(r["mean_reliability"]) for r in rows[a]}
            diff = [iapi[k] - other[k] for k in iapi if k in other]
            wins = sum(1 for v in diff if v > 1e-12)
            ties = sum(1 for v in diff if abs(v) <= 1e-12)
            print(f"iapi - {a}: mean paired difference {statistics.mean(diff):+.4f}; "
                  f"iapi higher in {wins}, equal in {ties}, lower in {len(diff) - wins - ties} "
                  f"of {len(diff)} rollouts")

    # 3. The learned value against effective demand and generation entropy (figure 5 of the
    # paper): V = theta . phi_RT(d, e_d, e_g) with e_d at its mean over the visited states.
    theta = [float(v) for v in read_csv(os.path.join(d, "iapi", "theta.csv"))[0].values()]
    states = read_csv(os.path.join(d, "iapi", "value_states.csv"))
    ds = [float(s["effective_demand"]) for s in states]
    eds = [float(s["demand_entropy"]) for s in states]
    egs = [float(s["generation_entropy"]) for s in states]
    ed_mean = statistics.mean(eds)
    d_lo, d_hi = 0.0, 1.0
    eg_span = max(max(egs) - min(egs), 1e-4)
    eg_lo, eg_hi = max(min(egs) - 0.25 * eg_span, 0.0), max(egs) + 0.25 * eg_span
    n = 60
    grid_d = [d_lo + (d_hi - d_lo) * i / (n - 1) for i in range(n)]
    grid_eg = [eg_lo + (eg_hi - eg_lo) * j / (n - 1) for j in range(n)]
    z = [[sum(t * p for t, p in zip(theta, phi_rt(dv, ed_mean, egv))) for dv in grid_d]
         for egv in grid_eg]
    fig = plt.figure(figsize=(11, 4.5))
    ax3 = fig.add_subplot(1, 2, 1, projection="3d")
    xs = [[grid_d[i] for i in range(n)] for _ in range(n)]
    ys = [[grid_eg[j]] * n for j in range(n)]
    import numpy as np  # matplotlib depends on numpy

    ax3.plot_surface(np.array(xs), np.array(ys), np.array(z), cmap="viridis", alpha=0.9)
    ax3.set_xlabel("effective demand d")
    ax3.set_ylabel("generation entropy e_g")
    ax3.set_zlabel("learned value")
    ax3.set_title("theta . phi_RT(d, mean e_d, e_g)")
    ax2 = fig.add_subplot(1, 2, 2)
    sc = ax2.scatter(ds, egs, c=[float(s["value"]) for s in states], cmap="viridis", s=14)
    fig.colorbar(sc, ax=ax2, label="learned value of the visited state")
    ax2.set_xlabel("effective demand d")
    ax2.set_ylabel("generation entropy e_g")
    ax2.set_title("post-decision states visited by the IAPI policy")
    fig.tight_layout()
    fig.savefig(os.path.join(d, "value_surface.png"), dpi=110)
    plt.close(fig)
    print(f"value plot: {len(states)} visited states, mean e_d {ed_mean:.5f}, "
          f"d in [{min(ds):.3f}, {max(ds):.3f}], e_g in [{min(egs):.5f}, {max(egs):.5f}]")
    print("wrote", ", ".join(os.path.join(d, f) for f in
                             ["convergence.png", "boxplot.png", "value_surface.png"]))


if __name__ == "__main__":
    main()
