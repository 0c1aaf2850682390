#!/usr/bin/env python3
"""Regenerates the power-flow golden values in tests/data/powerflow/ with an independent solver.

Each built-in case (data/cases/NAME.json, the project's own format) is turned into a PYPOWER-style
case dict. Cases without transformers are converted by pandapower's converter (from_ppc) and solved
by pandapower's runpp; cases with tap-changing branches (RTS-96, RTS-GMLC) are solved by a
MATPOWER-equivalent Newton-Raphson built on pandapower's PYPOWER routines, because from_ppc maps
those branches onto pandapower transformers that do not reproduce MATPOWER's branch model. The bus voltages and total branch losses are
written to golden_NAME.json, which tests/powerflow/golden_test.cc compares against gridrl's solver.

Usage (from the repository root):  python3 tests/data/powerflow/make_golden.py
It installs pandapower into the project venv (.venv) if needed and re-runs itself there.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from peer_venv import ensure_peers  # noqa: E402


def num(v):
    if isinstance(v, str):
        return {"inf": float("inf"), "-inf": float("-inf")}.get(v, float("nan"))
    return float(v)


def case_to_ppc(case, branch_out=()):
    """The project's JSON case as a PYPOWER case dict (MATPOWER column order)."""
    import numpy as np
    bus = [[b["id"], b["type"], b["pd_mw"], b["qd_mvar"], b["gs_mw"], b["bs_mvar"], b["area"],
            b["vm_pu"], b["va_deg"], b["base_kv"], b["zone"], num(b["vmax_pu"]), num(b["vmin_pu"])]
           for b in case["buses"]]
    gen = []
    for g in case["gens"]:
        row = [g["bus"], g["pg_mw"], g["qg_mvar"], num(g["qmax_mvar"]), num(g["qmin_mvar"]),
               g["vg_pu"], g["mbase_mva"], 1 if g["in_service"] else 0, num(g["pmax_mw"]),
               num(g["pmin_mw"])]
        gen.append(row + [0.0] * 11)
    branch = []
    for k, br in enumerate(case["branches"]):
        on = br["in_service"] and k not in branch_out
        branch.append([br["from"], br["to"], br["r_pu"], br["x_pu"], br["b_pu"],
                       num(br["rate_a_mva"]), num(br["rate_b_mva"]), num(br["rate_c_mva"]),
                       br["tap"], br["shift_deg"], 1 if on else 0, num(br["angmin_deg"]),
                       num(br["angmax_deg"])])
    gen = np.array(gen, dtype=float)
    # pandapower's converter does not accept infinite Q limits; they do not bind without Q limits.
    gen[:, 3:5] = np.clip(gen[:, 3:5], -1e9, 1e9)
    return {"version": "2", "baseMVA": float(case["base_mva"]), "bus": np.array(bus, dtype=float),
            "gen": gen, "branch": np.array(branch, dtype=float)}


def solve_runpp(case, branch_out=()):
    """pandapower's full pipeline: from_ppc conversion + runpp (Newton-Raphson)."""
    import pandapower as pp
    from pandapower.converter.pypower import from_ppc
    net = from_ppc(case_to_ppc(case, branch_out), f_hz=60, validate_conversion=False)
    pp.runpp(net, algorithm="nr", init="flat", tolerance_mva=1e-11, max_iteration=50,
             trafo_model="pi", calculate_voltage_angles=True, enforce_q_lims=False,
             numba=False)
    losses = float(net.res_line.pl_mw.sum())
    if len(net.trafo):
        losses += float(net.res_trafo.pl_mw.sum())
    vm = [float(x) for x in net.res_bus.vm_pu]
    va = [float(x) for x in net.res_bus.va_degree]
    return vm, va, losses


def solve_pypower(case, branch_out=()):
    """MATPOWER-equivalent Newton-Raphson on pandapower's PYPOWER routines (makeYbus, makeSbus's
    conventions, dSbus_dV) with scipy's sparse LU. Used where pandapower's case converter changes
    the model: from_ppc turns tap-changing branches into pandapower transformers whose
    parameters do not reproduce MATPOWER's branch model exactly (RTS-96 differs by ~0.03 pu)."""
    import numpy as np
    import scipy.sparse.linalg as sla
    from pandapower.pypower.dSbus_dV import dSbus_dV
    from pandapower.pypower.idx_brch import branch_cols
    from pandapower.pypower.idx_bus import bus_cols
    from pandapower.pypower.makeYbus import makeYbus
    ppc = case_to_ppc(case, branch_out)
    base = ppc["baseMVA"]
    ids = ppc["bus"][:, 0].astype(int)
    index = {b: i for i, b in enumerate(ids)}
    nb = len(ids)
    bus = np.zeros((nb, bus_cols))
    bus[:, :13] = ppc["bus"]
    bus[:, 0] = np.arange(nb)
    br = np.zeros((ppc["branch"].shape[0], branch_cols))
    br[:, :13] = ppc["branch"]
    br[:, 0] = [index[int(x)] for x in ppc["branch"][:, 0]]
    br[:, 1] = [index[int(x)] for x in ppc["branch"][:, 1]]
    br = br[br[:, 10] > 0]
    Ybus, Yf, Yt = makeYbus(base, bus, br)
    Ybus = Ybus.tocsr()
    sbus = -(bus[:, 2] + 1j * bus[:, 3]) / base
    btype = bus[:, 1].astype(int).copy()
    has_gen = np.zeros(nb, bool)
    vm = np.ones(nb)
    for g in ppc["gen"][::-1]:
        if g[7] <= 0:
            continue
        i = index[int(g[0])]
        sbus[i] += (g[1] + 1j * g[2]) / base
        has_gen[i] = True
        vm[i] = g[5]
    btype[(btype == 2) & ~has_gen] = 1
    ref = np.where(btype == 3)[0]
    pv = np.where(btype == 2)[0]
    pq = np.where(btype == 1)[0]
    va = np.zeros(nb)
    va[ref] = np.radians(bus[ref, 8])
    vm[pq] = 1.0
    V = vm * np.exp(1j * va)
    pvpq = np.r_[pv, pq]
    for it in range(50):
        mis = V * np.conj(Ybus @ V) - sbus
        F = np.r_[mis[pvpq].real, mis[pq].imag]
        if np.max(np.abs(F)) < 1e-10:
            break
        dS_dVm, dS_dVa = dSbus_dV(Ybus, V)
        J11 = dS_dVa[pvpq][:, pvpq].real
        J12 = dS_dVm[pvpq][:, pq].real
        J21 = dS_dVa[pq][:, pvpq].imag
        J22 = dS_dVm[pq][:, pq].imag
        import scipy.sparse as sp
        J = sp.bmat([[J11, J12], [J21, J22]], format="csc")
        dx = -sla.spsolve(J, F)
        va[pvpq] += dx[:len(pvpq)]
        vm[pq] += dx[len(pvpq):]
        V = vm * np.exp(1j * va)
    else:
        raise RuntimeError("reference Newton-Raphson did not converge")
    Vf = V[br[:, 0].astype(int)]
    Vt = V[br[:, 1].astype(int)]
    sf = Vf * np.conj(Yf @ V) * base
    st = Vt * np.conj(Yt @ V) * base
    losses = float(np.sum(sf.real + st.real))
    return list(np.abs(V)), list(np.degrees(np.angle(V))), losses


def solve(case, branch_out=()):
    has_taps = any(b["tap"] not in (0, 1) or b["shift_deg"] != 0 for b in case["branches"])
    if has_taps:
        vm, va, losses = solve_pypower(case, branch_out)
        how = "pypower-nr"
    else:
        vm, va, losses = solve_runpp(case, branch_out)
        vm2, va2, losses2 = solve_pypower(case, branch_out)
        # The two pandapower paths must agree where the converter keeps MATPOWER's model.
        assert max(abs(a - b) for a, b in zip(vm, vm2)) < 1e-8, "runpp and pypower NR disagree"
        how = "runpp"
    buses = []
    for i, b in enumerate(case["buses"]):
        v, a = float(vm[i]), float(va[i])
        if v != v:  # NaN: de-energized bus
            v, a = 0.0, 0.0
        buses.append({"id": b["id"], "vm_pu": v, "va_deg": a})
    return {"buses": buses, "losses_mw": losses, "method": how}


# (golden name, built-in case, branch indices taken out of service)
SCENARIOS = [
    ("rts96", "rts96", ()),
    ("rts_gmlc", "rts_gmlc", ()),
    ("case70da", "case70da", ()),
    ("case33bw", "case33bw", ()),
    ("case69", "case69", ()),
    ("rts96_branch10_out", "rts96", (10,)),
]


def main():
    ensure_peers({"pandapower": "pandapower"})
    import pandapower
    for name, case_name, out in SCENARIOS:
        with open(os.path.join(ROOT, "data", "cases", case_name + ".json")) as f:
            case = json.load(f)
        res = solve(case, out)
        golden = {"format": "gridrl-golden-pf-1", "case": case_name, "branches_out": list(out),
                  "solver": {"runpp": "pandapower %s from_ppc + runpp(nr, tolerance_mva=1e-11, "
                                      "trafo_model=pi)",
                             "pypower-nr": "Newton-Raphson on pandapower %s PYPOWER makeYbus/"
                                           "dSbus_dV, scipy spsolve, |F| < 1e-10 pu"}[res["method"]]
                            % pandapower.__version__,
                  "losses_mw": res["losses_mw"], "buses": res["buses"]}
        path = os.path.join(OUT_DIR, "golden_%s.json" % name)
        with open(path, "w") as f:
            json.dump(golden, f, indent=1)
            f.write("\n")
        print("wrote %s (losses %.6f MW)" % (os.path.relpath(path, ROOT), res["losses_mw"]))


if __name__ == "__main__":
    main()
