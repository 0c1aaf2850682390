#!/usr/bin/env python3
"""Figures of docs/reproduction/restoration70.md from `gridrl eval --trace` files.

  plot_restoration70.py --trace orq=ORQ.jsonl --trace greedy=G.jsonl --trace random=R.jsonl \
      --out-dir docs/reproduction

Writes restoration70_reconfiguration.png (the event's reconfiguration after the faults and half
way through the ORQ repairs, cf. the paper's figure 9) and restoration70_ciu.png (CIU over time
for each agent, cf. figure 2). Installs matplotlib into the project's .venv when it is missing.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_PY = os.path.join(ROOT, ".venv", "bin", "python")


def ensure_matplotlib():
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    if os.path.exists(VENV_PY) and os.path.realpath(sys.executable) != os.path.realpath(VENV_PY):
        os.execv(VENV_PY, [VENV_PY] + sys.argv)
    if not os.path.exists(VENV_PY):
        subprocess.check_call([sys.executable, "-m", "venv", os.path.join(ROOT, ".venv")])
        os.execv(VENV_PY, [VENV_PY] + sys.argv)
    subprocess.check_call([VENV_PY, "-m", "pip", "install", "--quiet", "matplotlib"])


def read_trace(path, episode=0):
    with open(path) as f:
        head = json.loads(f.readline())
        rows = [json.loads(line) for line in f if line.strip()]
    return head, [r for r in rows if r["episode"] == episode]


def layout(head):
    """Tidy layout of the normally closed forest: x = depth from the substation, y = leaf order."""
    buses = head["buses"]
    adj = {b: [] for b in buses}
    for f, t, nc in head["branches"]:
        if nc:
            adj[f].append(t)
            adj[t].append(f)
    pos, next_y = {}, [0.0]

    def place(b, parent, depth):
        kids = sorted(c for c in adj[b] if c != parent)
        ys = []
        for c in kids:
            ys.append(place(c, b, depth + 1))
        y = sum(ys) / len(ys) if ys else next_y[0]
        if not ys:
            next_y[0] += 1.0
        pos[b] = (depth, y)
        return y

    for s in head["sources"]:
        place(s, None, 0)
        next_y[0] += 1.5
    for b in buses:  # anything the forest does not reach
        pos.setdefault(b, (0, next_y[0]))
    return pos


def draw_state(ax, head, row, pos, title):
    import matplotlib.pyplot as plt  # noqa: F401
    buses = head["buses"]
    status, closed, served = row["branch_status"], row["switch_state"], row["bus_served"]
    for k, (f, t, nc) in enumerate(head["branches"]):
        (x0, y0), (x1, y1) = pos[f], pos[t]
        if not status[k]:
            ax.plot([x0, x1], [y0, y1], color="red", lw=2.2, ls="--", zorder=1)
        elif closed[k]:
            ax.plot([x0, x1], [y0, y1], color="green" if not nc else "black",
                    lw=2.4 if not nc else 1.2, zorder=1)
        else:
            ax.plot([x0, x1], [y0, y1], color="0.75", lw=0.8, ls=":", zorder=0)
    crit = set(head["critical"])
    srcs = set(head["sources"])
    for i, b in enumerate(buses):
        x, y = pos[b]
        if b in srcs:
            ax.scatter([x], [y], marker="s", s=90, color="navy", zorder=3)
            ax.annotate(f"S{b}", (x, y), xytext=(-14, 4), textcoords="offset points", fontsize=7)
            continue
        on = served[i]
        color = "tab:green" if on else "0.55"
        size = 80 if b in crit else 18
        ax.scatter([x], [y], s=size, color=color, edgecolor="k" if b in crit else "none",
                   marker="*" if b in crit else "o", zorder=3)
        if b in crit:
            ax.annotate(str(b), (x, y), xytext=(4, 4), textcoords="offset points", fontsize=7,
                        fontweight="bold")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--trace", action="append", required=True, help="AGENT=FILE.jsonl")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--episode", type=int, default=0)
    args = p.parse_args()
    ensure_matplotlib()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    traces = {}
    for spec in args.trace:
        name, path = spec.split("=", 1)
        traces[name] = read_trace(path, args.episode)
    head, first = next(iter(traces.values()))
    inputs = head["inputs"]

    # Figure 9 analogue: reconfiguration of the event at t0 and half way through the first
    # agent's repairs.
    name0 = next(iter(traces))
    rows = traces[name0][1]
    mid = rows[len(rows) // 2]
    pos = layout(head)
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.5))
    draw_state(axes[0], head, rows[0],
               pos, f"t0 after reconfiguration: CIU {rows[0]['ciu']:.1f} %, limited by "
               f"{inputs[rows[0]['limiting_input']]}")
    draw_state(axes[1], head, mid, pos,
               f"{name0} after {mid['step']} repairs (t = {mid['time_h']:.0f} h): CIU "
               f"{mid['ciu']:.1f} %, limited by {inputs[mid['limiting_input']]}")
    legend = [Line2D([], [], color="red", ls="--", lw=2, label="failed branch"),
              Line2D([], [], color="black", lw=1.2, label="closed sectionaliser"),
              Line2D([], [], color="green", lw=2.4, label="closed tie line"),
              Line2D([], [], color="0.75", ls=":", label="open"),
              Line2D([], [], marker="o", color="tab:green", ls="", label="served bus"),
              Line2D([], [], marker="o", color="0.55", ls="", label="dark or shed bus"),
              Line2D([], [], marker="*", color="tab:green", markeredgecolor="k", ls="",
                     markersize=10, label="critical infrastructure"),
              Line2D([], [], marker="s", color="navy", ls="", label="substation")]
    fig.legend(handles=legend, loc="lower center", ncol=4, fontsize=8)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    out1 = os.path.join(args.out_dir, "restoration70_reconfiguration.png")
    fig.savefig(out1, dpi=130)

    # Figure 2 analogue: CIU over time per agent (held between repairs), R in the legend.
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for name, (_, rws) in traces.items():
        t = [r["time_h"] for r in rws]
        c = [r["ciu"] for r in rws]
        ax.step(t, c, where="post", label=f"{name}: R = {rws[-1]['area']:.3f}", lw=1.8)
    ax.set_xlabel("time since the event (h)")
    ax.set_ylabel("CIU (%)")
    ax.set_ylim(-3, 103)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("CIU during restoration of the example event")
    fig.tight_layout()
    out2 = os.path.join(args.out_dir, "restoration70_ciu.png")
    fig.savefig(out2, dpi=130)
    print(out1)
    print(out2)


if __name__ == "__main__":
    main()
