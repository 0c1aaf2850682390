#!/usr/bin/env python3
"""Drawing of the resilience123 feeder and the tables of docs/reproduction/resilience123-env.md.

Inputs come from the project's own tools only:
  gridrl resilience123-layout --out LAYOUT.json       (bus coordinates, zones, switches, DERs,
                                                       critical loads, sampled calamity footprints)
  gridrl eval --env resilience123 --agent configC ... (per-step and per-episode CSV)

Usage:
  plot_resilience123.py layout LAYOUT.json OUT_PREFIX   -> OUT_PREFIX-feeder.png, one PNG per footprint
  plot_resilience123.py tables RUNS_DIR                 -> markdown tables on stdout
RUNS_DIR holds one directory per run named configC-CASE (CASE = intact or a calamity type), each
with steps.csv and episodes.csv.
"""
import csv
import json
import math
import os
import sys

ZONE_COLOURS = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
SWITCH_LABEL = {k: f"sw{k}" for k in range(1, 13)}


def bus_positions(layout):
    """x, y per bus; buses without coordinates (the backup feeders and helper buses) are placed
    next to the bus they connect to."""
    buses = layout["buses"]
    pos = {i: (b["x"], b["y"]) for i, b in enumerate(buses) if b["has_xy"]}
    edges = [(l["bus1"], l["bus2"]) for l in layout["lines"]] + [
        (t["bus1"], t["bus2"]) for t in layout.get("transformers", [])
    ]
    for _ in range(4):
        for a, b in edges:
            if a in pos and b not in pos:
                pos[b] = (pos[a][0] + 120, pos[a][1] + 120)
            elif b in pos and a not in pos:
                pos[a] = (pos[b][0] + 120, pos[b][1] + 120)
    return pos


def draw(layout, out_png, footprint=None, title=""):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    pos = bus_positions(layout)
    buses = layout["buses"]
    fig, ax = plt.subplots(figsize=(11, 9))
    failed = set(footprint["failed_lines"]) if footprint else set()
    burning = set(footprint["burning_buses"]) if footprint else set()
    for i, l in enumerate(layout["lines"]):
        a, b = l["bus1"], l["bus2"]
        if a not in pos or b not in pos:
            continue
        (x1, y1), (x2, y2) = pos[a], pos[b]
        if l["switch"]:
            continue
        colour = ZONE_COLOURS[l["zone"]] if l["zone"] >= 0 else "#777777"
        if i in failed:
            ax.plot([x1, x2], [y1, y2], color="red", lw=3.0, zorder=3)
        ax.plot([x1, x2], [y1, y2], color=colour, lw=1.4, zorder=2)
    for t in layout.get("transformers", []):
        a, b = t["bus1"], t["bus2"]
        if a in pos and b in pos:
            ax.plot([pos[a][0], pos[b][0]], [pos[a][1], pos[b][1]], color="#444444", lw=1, ls=":")
    open_now = set(footprint["open_switches"]) if footprint else None
    for l in layout["lines"]:
        k = l["switch"]
        if not k:
            continue
        a, b = l["bus1"], l["bus2"]
        (x1, y1), (x2, y2) = pos[a], pos[b]
        closed = l["closed"] if open_now is None else (k not in open_now)
        ax.plot([x1, x2], [y1, y2], color="black", lw=2.2, ls="-" if closed else "--", zorder=4)
        ax.plot([(x1 + x2) / 2], [(y1 + y2) / 2], marker="s", ms=8, zorder=5,
                mfc="black" if closed else "white", mec="black")
        ax.annotate(SWITCH_LABEL[k], ((x1 + x2) / 2, (y1 + y2) / 2), xytext=(5, 5),
                    textcoords="offset points", fontsize=8, weight="bold")
    xs = [pos[i][0] for i in pos]
    ys = [pos[i][1] for i in pos]
    ax.scatter(xs, ys, s=6, c="#333333", zorder=3)
    for i in burning:
        if i in pos:
            ax.plot(*pos[i], marker="*", ms=14, color="orangered", zorder=6)
    for g in layout["ders"]:
        x, y = pos[g["bus"]]
        ax.plot(x, y, marker="^", ms=13, color="gold", mec="black", zorder=7)
        ax.annotate(f"DER {buses[g['bus']]['name']}", (x, y), xytext=(6, -12),
                    textcoords="offset points", fontsize=8)
    for c in layout["critical"]:
        x, y = pos[c["bus"]]
        ax.plot(x, y, marker="o", ms=12, mfc="none", mec="red", mew=2.5, zorder=7)
        ax.annotate(f"critical {buses[c['bus']]['name']} ({c['kva']:.0f} kVA)", (x, y),
                    xytext=(6, 6), textcoords="offset points", fontsize=8, color="red")
    for s in layout["sources"]:
        x, y = pos[s["bus"]]
        sub = s["kind"] == "substation"
        ax.plot(x, y, marker="H" if sub else "D", ms=12 if sub else 9,
                color="black" if sub else "teal", zorder=7)
        ax.annotate("substation 150" if sub else f"backup {buses[s['bus']]['name']}", (x, y),
                    xytext=(6, -12), textcoords="offset points", fontsize=8)
    handles = [Line2D([0], [0], color=ZONE_COLOURS[z], lw=2, label=f"zone {n}")
               for z, n in enumerate(layout["zones"])]
    handles += [
        Line2D([0], [0], color="black", lw=2, marker="s", label="switch closed"),
        Line2D([0], [0], color="black", lw=2, ls="--", marker="s", mfc="white", label="switch open"),
        Line2D([0], [0], ls="", marker="^", color="gold", mec="black", ms=10, label="DER (350 kVA)"),
        Line2D([0], [0], ls="", marker="o", mfc="none", mec="red", ms=10, label="critical load"),
        Line2D([0], [0], ls="", marker="D", color="teal", label="backup feeder"),
    ]
    if footprint:
        handles += [Line2D([0], [0], color="red", lw=3, label="failed line")]
        if burning:
            handles += [Line2D([0], [0], ls="", marker="*", color="orangered", ms=12, label="burning bus")]
    ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.9)
    ax.set_title(title or "IEEE 123-node feeder as resilience123 sees it")
    ax.set_xlabel("x (ft, BusCoords)")
    ax.set_ylabel("y (ft, BusCoords)")
    ax.set_aspect("equal")
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    print("wrote", out_png)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def mean(values):
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


def std(values):
    values = list(values)
    if len(values) < 2:
        return 0.0
    m = mean(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def tables(runs_dir):
    cases = ["intact", "flood", "wildfire", "hurricane", "short_circuit"]
    keys = ["resilience", "r_cl", "aros", "wpv", "q_c", "ic", "q_c_raw", "aros_raw",
            "served_load_fraction"]
    print("### Indicators per configuration (normalised; mean over the steps of the case)\n")
    print("Intact: every step of a calm year (no calamity). Calamity types: mean over the calamity "
          "steps only.\n")
    print("| c | case | steps | R | R_CL | ARoS | WPV | q_c | IC | q_c raw | ARoS raw | served |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    composite = {}
    for case in cases:
        for c in range(6):
            d = os.path.join(runs_dir, f"config{c}-{case}")
            if not os.path.exists(os.path.join(d, "steps.csv")):
                continue
            rows = read_csv(os.path.join(d, "steps.csv"))
            if case != "intact":
                rows = [r for r in rows if float(r["calamity"]) > 0.5]
            if not rows:
                continue
            vals = [mean(float(r[k]) for r in rows) for k in keys]
            composite.setdefault(case, {})[c] = vals[0]
            print(f"| {c} | {case} | {len(rows)} | " + " | ".join(f"{v:.3f}" for v in vals) + " |")
    print("\n### Composite score CR_c = R_c / R_best (Eq 11)\n")
    print("| case | " + " | ".join(f"c{c}" for c in range(6)) + " |")
    print("|---|" + "---|" * 6)
    for case, per in composite.items():
        best = max(per.values())
        print(f"| {case} | " + " | ".join(
            f"{per[c] / best:.3f}" if c in per and best > 0 else "-" for c in range(6)) + " |")
    print("\n### Economics per configuration over a year (episode = year; mean ± sd over episodes)\n")
    print("| c | case | episodes | mean R | total cost 5 y (k$) | NPV (k$) | BCR | CPUB | net benefit (k$) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for case in cases:
        for c in range(6):
            path = os.path.join(runs_dir, f"config{c}-{case}", "episodes.csv")
            if not os.path.exists(path):
                continue
            rows = read_csv(path)
            def ms(k, scale=1.0):
                v = [float(r[k]) / scale for r in rows]
                return f"{mean(v):.3f} ± {std(v):.3f}" if scale == 1.0 else f"{mean(v):.1f} ± {std(v):.1f}"
            print(f"| {c} | {case} | {len(rows)} | {ms('resilience_mean')} | {ms('total_cost_usd', 1e3)} | "
                  f"{ms('npv_usd', 1e3)} | {ms('bcr')} | {ms('cpub')} | {ms('net_benefit_usd', 1e3)} |")
    print("\n### Baselines (mean ± sd over episodes)\n")
    print("| policy | calamity | episodes | return | mean R | BCR | NPV (k$) | total cost 5 y (k$) | "
          "4-DER share in calamity | steps |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for policy in ["random", "greedy"]:
        for case in cases[1:]:
            path = os.path.join(runs_dir, f"{policy}-{case}", "episodes.csv")
            if not os.path.exists(path):
                continue
            rows = read_csv(path)
            col = lambda k, scale=1.0: [float(r[k]) / scale for r in rows]
            print(f"| {policy} | {case} | {len(rows)} | {mean(col('return')):.1f} ± {std(col('return')):.1f} | "
                  f"{mean(col('resilience_mean')):.3f} ± {std(col('resilience_mean')):.3f} | "
                  f"{mean(col('bcr')):.3f} ± {std(col('bcr')):.3f} | {mean(col('npv_usd', 1e3)):.0f} | "
                  f"{mean(col('total_cost_usd', 1e3)):.0f} | {mean(col('four_der_calamity_share')):.2f} | "
                  f"{mean(col('steps')):.1f} |")


def main(argv):
    if len(argv) >= 4 and argv[1] == "layout":
        layout = json.load(open(argv[2]))
        prefix = argv[3]
        draw(layout, f"{prefix}-feeder.png")
        for name, fp in layout.get("footprints", {}).items():
            draw(layout, f"{prefix}-{name}.png", fp,
                 title=f"{name}: footprint after {fp['calamity_steps']} calamity steps "
                       f"(configuration 4, R = {fp['resilience']:.3f}, "
                       f"served {100 * fp['served_load_fraction']:.0f} %)")
        return 0
    if len(argv) >= 3 and argv[1] == "tables":
        tables(argv[2])
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
