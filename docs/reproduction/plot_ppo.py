#!/usr/bin/env python3
"""Plots and tables of the dual-PPO runs on resilience123 (docs/reproduction/resilience123.md).

Reads the directories that `gridrl train --agent dual-ppo --out RUNS/<calamity>-s<seed>` wrote
(progress.csv, episodes.csv), the evaluation CSVs next to them (eval.csv from `gridrl eval
--checkpoint`, eval_steps.csv from its --steps-out) and the baselines' episodes.csv from
`gridrl eval --env resilience123 --agent POLICY --out BASELINES/<policy>-<calamity>`; writes
PNGs and a Markdown summary.

    .venv/bin/python docs/reproduction/plot_ppo.py --runs RUNS --baselines BASELINES \
        --out docs/reproduction/resilience123_ppo

Installs matplotlib into the project venv (.venv) if it is missing.
"""
import argparse
import csv
import math
import os
import statistics
import subprocess
import sys
from collections import Counter, defaultdict

CALAMITIES = ["flood", "wildfire", "hurricane", "short_circuit"]
PAPER_COST_MUSD = {"flood": 2.05, "wildfire": 2.24, "hurricane": 2.56, "short_circuit": 1.79}
SWITCHES = ["sw2", "sw3", "sw4", "sw6", "sw7", "sw8", "sw9", "sw10", "sw11", "sw12"]


def ensure_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        pip = os.path.join(root, ".venv", "bin", "pip")
        subprocess.check_call([pip, "install", "matplotlib"])
    import matplotlib
    matplotlib.use("Agg")


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def fnum(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def moving_average(values, window):
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc += v
        if i >= window:
            acc -= values[i - window]
        out.append(acc / min(i + 1, window))
    return out


def mean_std(xs):
    xs = [x for x in xs if not math.isnan(x)]
    if not xs:
        return float("nan"), float("nan")
    return statistics.fmean(xs), (statistics.pstdev(xs) if len(xs) > 1 else 0.0)


def load_runs(runs_dir, tag=""):
    """Runs named <calamity><tag>-s<seed> (tag "" for the main runs, "-long" for resumed ones)."""
    runs = defaultdict(dict)  # calamity -> seed -> dict
    for name in sorted(os.listdir(runs_dir)):
        path = os.path.join(runs_dir, name)
        if not os.path.isdir(path) or "-s" not in name:
            continue
        cal, seed = name.rsplit("-s", 1)
        if tag:
            if not cal.endswith(tag):
                continue
            cal = cal[: -len(tag)]
        if cal not in CALAMITIES or not seed.isdigit():
            continue
        if not os.path.exists(os.path.join(path, "progress.csv")):
            continue
        run = {"progress": read_csv(os.path.join(path, "progress.csv")),
               "episodes": read_csv(os.path.join(path, "episodes.csv"))}
        for key, fname in (("eval", "eval.csv"), ("steps", "eval_steps.csv")):
            p = os.path.join(path, fname)
            if os.path.exists(p) and os.path.getsize(p) > 0:
                run[key] = read_csv(p)
        runs[cal][int(seed)] = run
    return runs


def plot_rewards(runs, out):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharex=False)
    for ax, cal in zip(axes.flat, CALAMITIES):
        for seed, run in sorted(runs.get(cal, {}).items()):
            r = [fnum(e["reward"]) for e in run["episodes"]]
            line, = ax.plot(r, alpha=0.25, linewidth=0.7)
            ax.plot(moving_average(r, 50), color=line.get_color(), linewidth=2,
                    label=f"seed {seed} (50-episode mean)")
        ax.axhline(0.0, color="black", linewidth=0.5)
        ax.set_title(f"{cal}: episode reward")
        ax.set_xlabel("training episode")
        ax.set_ylabel("episode reward (raw)")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.suptitle("dual PPO on resilience123: episode reward "
                 "(paper: negative for the first 200-400 episodes, then rising)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_kl_entropy(runs, out):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 4, figsize=(16, 7))
    for j, cal in enumerate(CALAMITIES):
        for seed, run in sorted(runs.get(cal, {}).items()):
            u = [int(p["update"]) for p in run["progress"]]
            for who, style in (("strategic", "-"), ("tactical", "--")):
                axes[0, j].plot(u, [fnum(p[f"{who}_approx_kl"]) for p in run["progress"]], style,
                                label=f"{who} s{seed}")
                if who == "strategic":
                    axes[1, j].plot(u, [fnum(p[f"{who}_entropy"]) for p in run["progress"]], style,
                                    label=f"{who} s{seed}")
        axes[0, j].axhline(0.01, color="grey", linewidth=0.8)
        axes[0, j].axhline(0.015, color="grey", linewidth=0.8, linestyle=":")
        axes[0, j].set_title(f"{cal}: approx. KL per update")
        axes[1, j].set_title(f"{cal}: strategic entropy per update")
        axes[1, j].set_xlabel("update (25 episodes)")
        for ax in (axes[0, j], axes[1, j]):
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7)
    fig.suptitle("KL (target 0.01, early stop at 0.015) and strategic entropy "
                 "(paper: KL ~0.05 settling near 0.01; entropy ~1.75 down to 0.1-0.25)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def eval_row(label, ev, n_train):
    rew = mean_std([fnum(e["reward"]) for e in ev])
    res = mean_std([fnum(e["episode_resilience_mean"]) for e in ev])
    bcr = mean_std([fnum(e["episode_bcr"]) for e in ev])
    cal_steps = sum(fnum(e["episode_calamity_steps"]) for e in ev)
    four = sum(fnum(e["episode_four_der_calamity_share"]) * fnum(e["episode_calamity_steps"])
               for e in ev) / cal_steps if cal_steps > 0 else float("nan")
    cost = mean_std([fnum(e["episode_total_cost_usd"]) / 1e6 for e in ev])
    return (f"| {label} | {n_train} | {rew[0]:.1f} ± {rew[1]:.1f} | {res[0]:.3f} ± {res[1]:.3f} | "
            f"{bcr[0]:.3f} ± {bcr[1]:.3f} | {100 * four:.0f} % | {cost[0]:.2f} ± {cost[1]:.2f} |")


def summary(runs, baselines_dir, long_runs=None, untrained_dir=""):
    lines = []
    lines.append("| calamity | seeds | training episodes | test reward | test resilience | BCR | "
                 "4-DER share of calamity steps | total project cost (M$) | paper cost (M$) |")
    lines.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    recommended = []
    for cal in CALAMITIES:
        seeds = sorted(s for s, r in runs.get(cal, {}).items() if "eval" in r)
        if not seeds:
            lines.append(f"| {cal} | (no finished run) | | | | | | | {PAPER_COST_MUSD[cal]} |")
            continue
        ev = [e for s in seeds for e in runs[cal][s]["eval"]]
        n_train = [len(runs[cal][s]["episodes"]) for s in seeds]
        rew = mean_std([fnum(e["reward"]) for e in ev])
        res = mean_std([fnum(e["episode_resilience_mean"]) for e in ev])
        bcr = mean_std([fnum(e["episode_bcr"]) for e in ev])
        cal_steps = sum(fnum(e["episode_calamity_steps"]) for e in ev)
        four = sum(fnum(e["episode_four_der_calamity_share"]) * fnum(e["episode_calamity_steps"])
                   for e in ev) / cal_steps if cal_steps > 0 else float("nan")
        cost = mean_std([fnum(e["episode_total_cost_usd"]) / 1e6 for e in ev])
        lines.append(
            f"| {cal} | {', '.join(map(str, seeds))} | {min(n_train)}-{max(n_train)} | "
            f"{rew[0]:.1f} ± {rew[1]:.1f} | {res[0]:.3f} ± {res[1]:.3f} | "
            f"{bcr[0]:.3f} ± {bcr[1]:.3f} | {100 * four:.0f} % | {cost[0]:.2f} ± {cost[1]:.2f} | "
            f"{PAPER_COST_MUSD[cal]} |")
        for s in seeds:
            steps = runs[cal][s].get("steps")
            if not steps:
                continue
            calamity_rows = [r for r in steps if fnum(r.get("calamity")) > 0.5]
            rows = calamity_rows or steps
            combos = Counter(
                (int(fnum(r["action_config_0"])),
                 "".join(str(int(fnum(r[f"action_switches_{i}"]))) for i in range(10)),
                 int(fnum(r["action_grid_0"]))) for r in rows)
            (cfg, sw, grid), count = combos.most_common(1)[0]
            recommended.append(f"| {cal} | {s} | {cfg} | {sw} | {grid} | "
                               f"{100 * count / len(rows):.0f} % of {len(rows)} |")
    lines.append("")
    lines.append("Per run (10 deterministic test episodes each); `untrained` is the seed-1 policy "
                 "before any update (`gridrl train --episodes 0`), `long` the seed-1 run resumed "
                 "to more episodes:")
    lines.append("")
    lines.append("| run | training episodes | test reward | test resilience | BCR | 4-DER share | "
                 "total cost (M$) |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for cal in CALAMITIES:
        p = os.path.join(untrained_dir, cal, "eval.csv") if untrained_dir else ""
        if p and os.path.exists(p) and os.path.getsize(p) > 0:
            lines.append(eval_row(f"{cal} untrained s1", read_csv(p), 0))
        for s in sorted(runs.get(cal, {})):
            r = runs[cal][s]
            if "eval" in r:
                lines.append(eval_row(f"{cal} s{s}", r["eval"], len(r["episodes"])))
        for s, r in sorted((long_runs or {}).get(cal, {}).items()):
            if "eval" in r:
                lines.append(eval_row(f"{cal} long s{s}", r["eval"], len(r["episodes"])))
    lines.append("")
    if recommended:
        lines.append("Most frequent action of the deterministic policy in calamity steps of the "
                     "10 test episodes (switch vector in the order " + " ".join(SWITCHES) +
                     ", 1 = closed; grid 0 = DER-first, 1 = grid-first):")
        lines.append("")
        lines.append("| calamity | seed | configuration | switches | grid | share |")
        lines.append("| --- | ---: | ---: | --- | ---: | ---: |")
        lines.extend(recommended)
        lines.append("")
    if baselines_dir and os.path.isdir(baselines_dir):
        lines.append("Baselines (issue #7), 10 episodes each, `gridrl eval --env resilience123 "
                     "--agent POLICY --episodes 10 --calamity TYPE --seed 777`:")
        lines.append("")
        lines.append("| calamity | policy | reward | resilience | BCR | 4-DER share | "
                     "total cost (M$) |")
        lines.append("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for cal in CALAMITIES:
            for pol in ("config0", "config4", "random"):
                p = os.path.join(baselines_dir, f"{pol}-{cal}", "episodes.csv")
                if not os.path.exists(p):
                    continue
                ev = read_csv(p)
                if not ev:
                    continue
                rew = mean_std([fnum(e["return"]) for e in ev])
                res = mean_std([fnum(e["resilience_mean"]) for e in ev])
                bcr = mean_std([fnum(e["bcr"]) for e in ev])
                cs = sum(fnum(e["calamity_steps"]) for e in ev)
                four = sum(fnum(e["four_der_calamity_share"]) * fnum(e["calamity_steps"])
                           for e in ev) / cs if cs > 0 else float("nan")
                cost = mean_std([fnum(e["total_cost_usd"]) / 1e6 for e in ev])
                lines.append(f"| {cal} | {pol} | {rew[0]:.1f} ± {rew[1]:.1f} | "
                             f"{res[0]:.3f} ± {res[1]:.3f} | {bcr[0]:.3f} ± {bcr[1]:.3f} | "
                             f"{100 * four:.0f} % | {cost[0]:.2f} ± {cost[1]:.2f} |")
        lines.append("")
    # Training-side figures: last-50-episode means and the KL / entropy trajectory ends.
    lines.append("| calamity | seed | episodes | first 50 mean reward | last 50 mean reward | "
                 "strategic entropy first → last update | strategic KL mean | "
                 "updates stopped early (strategic / tactical) |")
    lines.append("| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |")
    for cal in CALAMITIES:
        entries = [(str(s), r) for s, r in sorted(runs.get(cal, {}).items())]
        entries += [(f"long {s}", r) for s, r in sorted((long_runs or {}).get(cal, {}).items())]
        for s, run in entries:
            r = [fnum(e["reward"]) for e in run["episodes"]]
            pr = run["progress"]
            if not r or not pr:
                continue
            ent = [fnum(p["strategic_entropy"]) for p in pr]
            kl = [fnum(p["strategic_approx_kl"]) for p in pr]
            es = sum(int(p["strategic_early_stopped"]) for p in pr)
            et = sum(int(p["tactical_early_stopped"]) for p in pr)
            lines.append(f"| {cal} | {s} | {len(r)} | {statistics.fmean(r[:50]):.1f} | "
                         f"{statistics.fmean(r[-50:]):.1f} | {ent[0]:.2f} → {ent[-1]:.2f} | "
                         f"{statistics.fmean(kl):.4f} | {es} / {et} of {len(pr)} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", required=True)
    ap.add_argument("--baselines", default="")
    ap.add_argument("--untrained", default="", help="dir with <calamity>/eval.csv of the "
                    "untrained policy")
    ap.add_argument("--out", required=True, help="prefix of the PNGs and the summary .md")
    args = ap.parse_args()
    ensure_matplotlib()
    runs = load_runs(args.runs)
    long_runs = load_runs(args.runs, "-long")
    if not runs:
        sys.exit(f"no runs under {args.runs}")
    plot_rewards(runs, args.out + "_reward.png")
    plot_kl_entropy(runs, args.out + "_kl_entropy.png")
    if long_runs:
        plot_rewards(long_runs, args.out + "_reward_long.png")
        plot_kl_entropy(long_runs, args.out + "_kl_entropy_long.png")
    with open(args.out + "_summary.md", "w") as f:
        f.write(summary(runs, args.baselines, long_runs, args.untrained))
    print(f"wrote {args.out}_reward.png, {args.out}_kl_entropy.png, {args.out}_summary.md")


if __name__ == "__main__":
    main()
