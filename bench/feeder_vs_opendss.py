#!/usr/bin/env python3
"""Side by side, in one run: OpenDSS (opendssdirect.py) and gridrl's three-phase solver on the
IEEE 123 feeder with the published regulator taps locked.

    python3 bench/feeder_vs_opendss.py [--bench build/bin/gridrl-feeder-bench] [--dss-dir DIR]

Installs opendssdirect.py into the project venv (.venv) when missing and re-runs itself there.
OpenDSS is timed in-process (thread CPU time around each call; the Python call overhead, a few
microseconds, is included and is small next to its solve). gridrl is timed by its Google
Benchmark binary (bench/feeder_bench.cc, CPU time) on the same machine in the same run. CPU
time, not wall time, so that other work on a shared machine disturbs the ratio less.

Cases:
  from text      parse the .dss files, build, solve       (OpenDSS: compile + solve)
  full solve     a solve on an already-built model, cold  (OpenDSS: first solve after compile)
  toggle         re-solve after opening/closing tie Sw7   (OpenDSS: open/close Line.Sw7 + solve)
  islanding      re-solve after opening/closing Sw3, which islands zone C (de-energised)
Both solvers run at the same convergence tolerance on the largest per-unit voltage change
between iterations: 1e-4 (OpenDSS's default) and 1e-9 (gridrl's default). "from_text" uses
each one's default.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from peer_venv import ensure_peers  # noqa: E402

TAPS = {"reg1a": 7, "reg2a": -1, "reg3a": 0, "reg3c": -1, "reg4a": 8, "reg4b": 1, "reg4c": 5}


def compile_feeder(dss, master, tol):
    dss.Text.Command("clear")
    dss.Text.Command(f'compile "{master}"')
    for t, steps in TAPS.items():
        dss.Text.Command(f"Transformer.{t}.wdg=2 tap={1 + 0.00625 * steps}")
    dss.Text.Command("set controlmode=off")
    if tol is not None:
        dss.Text.Command(f"set tolerance={tol}")


def time_opendss(dss, master, tol, repeats):
    out = {}
    # From text: compile + solve.
    ts = []
    for _ in range(max(5, repeats // 20)):
        t0 = time.thread_time()
        compile_feeder(dss, master, tol)
        dss.Text.Command("solve")
        ts.append(time.thread_time() - t0)
    out["from_text"] = statistics.median(ts)
    # Full solve: the first solve of a freshly compiled circuit (builds Y, initialises).
    ts = []
    for _ in range(max(5, repeats // 20)):
        compile_feeder(dss, master, tol)
        t0 = time.thread_time()
        dss.Text.Command("solve")
        ts.append(time.thread_time() - t0)
        assert dss.Solution.Converged()
    out["full_solve"] = statistics.median(ts)
    out["iterations_full"] = dss.Solution.Iterations()
    # Toggle re-solves.
    for key, line in (("toggle", "Sw7"), ("islanding", "Sw3")):
        compile_feeder(dss, master, tol)
        dss.Text.Command("solve")
        closed = line != "Sw7"
        ts = []
        for _ in range(repeats):
            cmd = f"open Line.{line} 1" if closed else f"close Line.{line} 1"
            t0 = time.thread_time()
            if line == "Sw7":
                dss.Text.Command(cmd.replace(" 1", " 2"))
            else:
                dss.Text.Command(cmd)
            dss.Text.Command("solve")
            ts.append(time.thread_time() - t0)
            closed = not closed
        out[key] = statistics.median(ts)
    return out


def time_gridrl(bench, repeats_min_time):
    res = subprocess.run(
        [str(Path(bench).resolve()), "--benchmark_format=json", f"--benchmark_min_time={repeats_min_time}"],
        check=True, capture_output=True, text=True)
    data = json.loads(res.stdout)
    by_name = {b["name"]: b for b in data["benchmarks"]}

    def seconds(name):
        b = by_name[name]
        scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
        return b["cpu_time"] * scale

    out = {"context": data.get("context", {}), "from_text": seconds("BM_FeederFromDssText")}
    for exp in (9, 4):
        out[exp] = {
            "full_solve": seconds(f"BM_FeederFullSolve/{exp}"),
            "toggle": seconds(f"BM_FeederToggleResolve/{exp}"),
            "islanding": seconds(f"BM_FeederIslandingToggleResolve/{exp}"),
        }
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", default=str(ROOT / "build/bin/gridrl-feeder-bench"))
    parser.add_argument("--dss-dir", default=str(ROOT.parent / "shared/data/ieee123/opendss"))
    parser.add_argument("--repeats", type=int, default=400)
    args = parser.parse_args()
    ensure_peers({"opendssdirect": "opendssdirect.py"})
    import opendssdirect as dss

    # OpenDSS's compile changes the working directory: resolve paths first.
    args.bench = str(Path(args.bench).resolve())
    master = Path(args.dss_dir).resolve() / "IEEE123Switches.dss"
    if not Path(args.bench).exists():
        sys.exit(f"{args.bench} not found: build gridrl-feeder-bench first")
    env_dss = dict(os.environ, GRIDRL_IEEE123_DSS=str(master))
    os.environ.update(env_dss)
    g = time_gridrl(args.bench, 1.0)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"{g['context'].get('mhz_per_cpu', '?')} MHz, load average "
          f"{os.getloadavg()[0]:.2f}; {dss.Basic.Version().splitlines()[0][:48]}")
    print(f"{'case':<12} {'tolerance':>9} {'OpenDSS':>11} {'gridrl':>11} {'speed-up':>9}")
    rows = []
    for exp in (4, 9):
        o = time_opendss(dss, master, 10.0 ** -exp, args.repeats)
        if exp == 4:
            rows.append(("from_text", "1e-4/1e-9", o["from_text"], g["from_text"]))
        for key in ("full_solve", "toggle", "islanding"):
            rows.append((key, f"1e-{exp}", o[key], g[exp][key]))
    for key, tol, t_o, t_g in rows:
        print(f"{key:<12} {tol:>9} {t_o * 1e6:>9.1f}us {t_g * 1e6:>9.1f}us {t_o / t_g:>8.1f}x")

if __name__ == "__main__":
    main()
