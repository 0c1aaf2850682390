#!/usr/bin/env python3
"""Side-by-side power-flow speed: gridrl vs lightsim2grid (Newton-Raphson with KLU), same inputs.

Inputs: the project's JSON cases rts96 (IEEE RTS-96, 73 buses) and bench/data/ieee118.json (IEEE
118, exported from pandapower's bundled case118 by this script through `gridrl import-case`).
lightsim2grid receives each case as the same MATPOWER-style matrices (lightsim2grid's own MATPOWER
loader), and the script checks that both solvers return the same voltages before timing.

Measured, per case:
  cold  new topology: build the solver state (Ybus, symbolic analysis) and solve from a flat start
        (gridrl: Grid::Create + AcPowerFlow + Solve; lightsim2grid: tell_solver_need_reset + ac_pf)
  warm  new load injections (+-5 % pattern), same topology, start from the previous solution
  n1    every branch out in turn from the solved base (gridrl: ContingencyAnalyzer, which also
        computes branch loadings and voltage checks; lightsim2grid: ContingencyAnalysisCPP.compute,
        voltages only), 1 and 2 threads
Each figure is the best of --rounds rounds in which the two tools run one after the other (so a
busy machine slows both); within a round, both report the median of per-call wall-clock samples
(gridrl: gridrl-powerflow-bench --median_json, steady_clock in C++; lightsim2grid:
time.perf_counter() around the Python call, so ~1 us of call overhead is on its side).

Usage (from the repository root, after building gridrl-powerflow-bench):
  python3 bench/powerflow_vs_lightsim2grid.py [--bench build/bin/gridrl-powerflow-bench]
It creates .venv (python3 -m venv) if missing and installs lightsim2grid and pandapower into it.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from peer_venv import ensure_peers  # noqa: E402

TOL = 1e-8
MAX_IT = 10


def find_gridrl(name):
    for d in ("build", "build-pf"):
        p = os.path.join(ROOT, d, "bin", name)
        if os.path.exists(p):
            return p
    return None


def export_ieee118(gridrl, out_json):
    """pandapower's case118 -> MATPOWER text -> gridrl import-case -> project JSON."""
    import numpy as np
    import pandapower.networks as pn
    from pandapower.converter.matpower.to_mpc import to_mpc
    net = pn.case118()
    mpc = to_mpc(net, init="flat", calculate_voltage_angles=True, trafo_model="pi")["mpc"]
    os.makedirs(os.path.dirname(out_json), exist_ok=True)
    m_path = out_json[:-5] + ".m"
    with open(m_path, "w") as f:
        f.write("function mpc = ieee118\n%% IEEE 118-bus case, exported from pandapower's case118 by\n"
                "%% bench/powerflow_vs_lightsim2grid.py (pandapower internal model, pi branches)\n")
        f.write("mpc.version = '2';\nmpc.baseMVA = %r;\n" % float(mpc["baseMVA"]))
        for key, cols in (("bus", 13), ("gen", 21), ("branch", 13)):
            f.write("mpc.%s = [\n" % key)
            for row in np.asarray(mpc[key])[:, :cols]:
                vals = []
                for c, v in enumerate(row):
                    v = float(v)
                    if math.isnan(v):  # pandapower leaves some optional columns empty
                        v = {("gen", 6): float(mpc["baseMVA"]), ("gen", 8): 1e9,
                             ("bus", 11): 2.0, ("branch", 11): -360.0,
                             ("branch", 12): 360.0}.get((key, c), 0.0)
                    if key == "gen" and c in (3, 4) and not math.isfinite(v):
                        v = math.copysign(1e9, v)
                    vals.append(repr(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v))
                f.write("\t" + "\t".join(vals) + ";\n")
            f.write("];\n")
    subprocess.check_call([gridrl, "import-case", "--matpower", m_path, "--name", "ieee118",
                           "--out", out_json])
    os.remove(m_path)


def case_to_mpc(case):
    sys.path.insert(0, os.path.join(ROOT, "tests", "data", "powerflow"))
    import make_golden
    return make_golden.case_to_ppc(case)


def median_us(samples):
    return statistics.median(samples) * 1e6


def bench_lightsim(case, reps):
    import numpy as np
    import warnings
    warnings.filterwarnings("ignore")
    import lightsim2grid  # noqa: F401
    from lightsim2grid.network import init_from_matpower
    from lightsim2grid.lightsim2grid_cpp import ContingencyAnalysisCPP
    grid = init_from_matpower(case_to_mpc(case))
    nb = grid.total_bus()
    flat = np.ones(nb, dtype=complex)
    out = {}
    # Cold.
    samples = []
    for _ in range(reps):
        grid.tell_solver_need_reset()
        v = flat.copy()
        t0 = time.perf_counter()
        v = grid.ac_pf(v, MAX_IT, TOL)
        samples.append(time.perf_counter() - t0)
        assert len(v), "lightsim2grid cold solve did not converge"
    out["cold_us"] = median_us(samples)
    v_base = grid.ac_pf(flat.copy(), MAX_IT, TOL)
    out["vm"] = [abs(x) for x in v_base]
    # Warm: new loads each time, start from the previous solution.
    loads = grid.get_loads()
    p0 = np.array([ld.target_p_mw for ld in loads])
    q0 = np.array([ld.target_q_mvar for ld in loads])
    bus_of_load = np.array([ld.bus_id for ld in loads])
    mask = np.ones(len(loads), dtype=bool)
    v = v_base.copy()
    samples = []
    for k in range(1, reps * 5 + 1):
        s = 1.0 + 0.05 * np.sin(0.7 * k + 1.3 * bus_of_load)
        grid.update_loads_p(mask, (p0 * s).astype(np.float32))
        grid.update_loads_q(mask, (q0 * s).astype(np.float32))
        t0 = time.perf_counter()
        v = grid.ac_pf(v, MAX_IT, TOL)
        samples.append(time.perf_counter() - t0)
        assert len(v), "lightsim2grid warm solve did not converge"
    out["warm_us"] = median_us(samples)
    grid.update_loads_p(mask, p0.astype(np.float32))
    grid.update_loads_q(mask, q0.astype(np.float32))
    v_base = grid.ac_pf(flat.copy(), MAX_IT, TOL)
    # N-1.
    for threads in (1, 2):
        sa = ContingencyAnalysisCPP(grid)
        sa.add_all_n1()
        sa.nb_thread = threads
        sa.compute(v_base.copy(), MAX_IT, TOL)  # first call builds the base case (kept)
        samples, cpu = [], []
        for _ in range(max(10, reps // 10)):
            c0 = time.process_time()
            t0 = time.perf_counter()
            sa.compute(v_base.copy(), MAX_IT, TOL)
            samples.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        out["n1_t%d_ms" % threads] = statistics.median(samples) * 1e3
        out["n1_t%d_cpu_ms" % threads] = statistics.median(cpu) * 1e3
        out["n1_count"] = len(sa.get_voltages())
    return out


def bench_gridrl(bench_bin, case_arg, reps):
    """Per-call medians from gridrl-powerflow-bench --median_json (same statistic as below)."""
    res = json.loads(subprocess.check_output(
        [bench_bin, "--cases=" + case_arg, "--median_json=%d" % reps]))
    return next(iter(res.values()))


def best_of(rounds):
    """Per measure, the best round: both tools run interleaved, so a busy machine hits both."""
    out = dict(rounds[0])
    for r in rounds[1:]:
        for k, v in r.items():
            if k.endswith("_us") or k.endswith("_ms"):
                out[k] = min(out[k], v)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", help="path to gridrl-powerflow-bench")
    ap.add_argument("--gridrl", help="path to the gridrl CLI")
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    ensure_peers({"lightsim2grid": "lightsim2grid", "pandapower": "pandapower"})
    bench_bin = args.bench or find_gridrl("gridrl-powerflow-bench")
    gridrl = args.gridrl or find_gridrl("gridrl")
    if not bench_bin or not gridrl:
        sys.exit("build gridrl and gridrl-powerflow-bench first (see bench/README.md)")
    ieee118 = os.path.join(ROOT, "bench", "data", "ieee118.json")
    if not os.path.exists(ieee118):
        export_ieee118(gridrl, ieee118)
    cases = [("rts96", "rts96", os.path.join(ROOT, "data", "cases", "rts96.json")),
             ("ieee118", ieee118, ieee118)]

    rows = []
    for label, arg, path in cases:
        with open(path) as f:
            case = json.load(f)
        ours_rounds, ls_rounds = [], []
        for _ in range(args.rounds):
            ours_rounds.append(bench_gridrl(bench_bin, arg, args.reps))
            ls_rounds.append(bench_lightsim(case, args.reps))
        ls = best_of(ls_rounds)
        ls["vm"] = ls_rounds[0]["vm"]
        # Same inputs, same answer: compare voltage magnitudes with gridrl's own solve.
        pf = json.loads(subprocess.check_output([gridrl, "pf", "--case", arg, "--format", "json",
                                                 "--flat", "--tol", "1e-10"]))
        dvm = max(abs(b["vm_pu"] - v) for b, v in zip(pf["buses"], ls["vm"]))
        g = best_of(ours_rounds)
        rows.append((label, "cold solve (us)", g["cold_us"], ls["cold_us"]))
        rows.append((label, "warm solve (us)", g["warm_us"], ls["warm_us"]))
        rows.append((label, "N-1 sweep 1 thread (ms)", g["n1_t1_ms"], ls["n1_t1_ms"]))
        rows.append((label, "N-1 sweep 1 thread, process CPU (ms)", g["n1_t1_cpu_ms"],
                     ls["n1_t1_cpu_ms"]))
        rows.append((label, "N-1 sweep 2 threads (ms)", g["n1_t2_ms"], ls["n1_t2_ms"]))
        rows.append((label, "N-1 sweep 2 threads, process CPU (ms)", g["n1_t2_cpu_ms"],
                     ls["n1_t2_cpu_ms"]))
        rows.append((label, "N-1 2-thread speed-up, wall (x)", g["n1_t1_ms"] / g["n1_t2_ms"],
                     ls["n1_t1_ms"] / ls["n1_t2_ms"]))
        # Work added by going parallel: 1.0 means the two threads together spend exactly the
        # single-thread CPU time, i.e. a 2x wall-clock speed-up on two otherwise idle cores.
        rows.append((label, "N-1 parallel efficiency, CPU(1 thread) / CPU(2 threads)",
                     g["n1_t1_cpu_ms"] / g["n1_t2_cpu_ms"], ls["n1_t1_cpu_ms"] / ls["n1_t2_cpu_ms"]))
        print("%s: %d contingencies (gridrl) / %d (lightsim2grid); max |Vm| difference %.1e pu"
              % (label, g["n1_count"], ls["n1_count"], dvm))
    import lightsim2grid
    print("\nlightsim2grid %s, %d CPUs, load average %s; best of %d interleaved rounds\n"
          % (lightsim2grid.__version__, os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3]),
             args.rounds))
    print("| case | measure | gridrl | lightsim2grid | gridrl / lightsim2grid |")
    print("| --- | --- | ---: | ---: | ---: |")
    for label, what, a, b in rows:
        ratio = "" if ("speed-up" in what or "efficiency" in what) else "%.2f" % (a / b)
        print("| %s | %s | %.1f | %.1f | %s |" % (label, what, a, b, ratio) if a >= 10 else
              "| %s | %s | %.2f | %.2f | %s |" % (label, what, a, b, ratio))


if __name__ == "__main__":
    main()
