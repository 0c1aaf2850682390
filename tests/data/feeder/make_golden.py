#!/usr/bin/env python3
"""Regenerates tests/data/feeder/ieee123_golden.json: node voltages and totals of the IEEE 123
feeder solved by OpenDSS itself (opendssdirect.py), for the scenarios the three-phase solver is
checked against (tests/powerflow/distribution/feeder_solver_test.cc).

    python3 tests/data/feeder/make_golden.py [--dss-dir DIR]

Installs opendssdirect.py into the project venv (.venv at the repo root) when missing and re-runs
itself there. DIR defaults to ../shared/data/ieee123/opendss beside the repository.

Scenarios (every one with the published regulator taps locked, controls off):
  base        normal switch states
  ties        ties 54-94 (Sw8) and 151-300 (Sw7) closed: two loops
  der_island  Sw3 (18-135) open, so zone C (135, 35-51, 151) is an island held at 1.0 pu by a
              grid-forming DER at bus 49; a grid-connected PQ DER at 21 injects 150 kW, 50 kvar
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from peer_venv import ensure_peers  # noqa: E402


# Published regulator taps (steps of 0.00625 pu on the regulated winding).
TAPS = {"reg1a": 7, "reg2a": -1, "reg3a": 0, "reg3c": -1, "reg4a": 8, "reg4b": 1, "reg4c": 5}

SCENARIOS = [
    {"name": "base", "close": [], "open": [], "ders": []},
    {"name": "ties", "close": ["Sw7", "Sw8"], "open": [], "ders": []},
    {
        "name": "der_island",
        "close": [],
        "open": ["Sw3"],
        "ders": [
            {"name": "der49", "bus": "49", "kva": 350.35, "on": True, "p_kw": 0, "q_kvar": 0,
             "x_ohm": 1e-4},
            {"name": "der21", "bus": "21", "kva": 350.35, "on": True, "p_kw": 150, "q_kvar": 50,
             "x_ohm": 1e-4},
        ],
    },
]


def solve(dss, dss_dir, scenario):
    """Compiles the feeder, applies the scenario and solves it with OpenDSS."""
    dss.Text.Command("clear")
    dss.Text.Command(f'compile "{dss_dir}/IEEE123Switches.dss"')
    for t, steps in TAPS.items():
        dss.Text.Command(f"Transformer.{t}.wdg=2 tap={1 + 0.00625 * steps}")
    for sw in scenario["close"]:
        dss.Text.Command(f"close Line.{sw} 1")
        dss.Text.Command(f"close Line.{sw} 2")
    for sw in scenario["open"]:
        dss.Text.Command(f"open Line.{sw} 1")
    for der in scenario["ders"]:
        if not der["on"]:
            continue
        # The island's grid-forming DER is an ideal source behind j1e-4 ohm; a grid-connected DER
        # is a constant-PQ injection (a negative constant-power load).
        if der["name"] == "der49":
            dss.Text.Command(
                f"New Vsource.{der['name']} bus1={der['bus']} basekv=4.16 pu=1.0 angle=0 "
                f"R1=0 X1={der['x_ohm']} R0=0 X0={der['x_ohm']}")
        else:
            dss.Text.Command(
                f"New Load.{der['name']} bus1={der['bus']} phases=3 conn=wye model=1 kV=4.16 "
                f"kW={-der['p_kw']} kvar={-der['q_kvar']} vminpu=0.5 vmaxpu=1.5")
    dss.Text.Command("set controlmode=off")
    dss.Text.Command("set tolerance=1e-10 maxiterations=200")
    dss.Text.Command("solve")
    nodes = {}
    for bus in dss.Circuit.AllBusNames():
        dss.Circuit.SetActiveBus(bus)
        pv = dss.Bus.puVmagAngle()
        for k, node in enumerate(dss.Bus.Nodes()):
            nodes[f"{bus}.{node}"] = [pv[2 * k], pv[2 * k + 1]]
    losses = dss.Circuit.Losses()
    dss.Circuit.SetActiveElement("Vsource.source")
    sub = dss.CktElement.Powers()  # kW, kvar pairs per conductor, terminal 1 first
    n = dss.CktElement.NumConductors()
    return {
        "converged": bool(dss.Solution.Converged()),
        "loss_kw": losses[0] / 1000.0,
        "loss_kvar": losses[1] / 1000.0,
        "substation_kw": -sum(sub[0:2 * n:2]),
        "substation_kvar": -sum(sub[1:2 * n:2]),
        "nodes": nodes,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dss-dir", default=str(ROOT.parent / "shared/data/ieee123/opendss"))
    parser.add_argument("--out", default=str(Path(__file__).with_name("ieee123_golden.json")))
    args = parser.parse_args()
    ensure_peers({"opendssdirect": "opendssdirect.py"})
    import opendssdirect as dss

    cases = []
    for sc in SCENARIOS:
        res = solve(dss, args.dss_dir, sc)
        if not res["converged"]:
            sys.exit(f"OpenDSS did not converge on scenario {sc['name']}")
        cases.append({**sc, **res})
        print(f"{sc['name']}: {len(res['nodes'])} nodes, losses {res['loss_kw']:.3f} kW",
              file=sys.stderr)
    out = {
        "generator": "tests/data/feeder/make_golden.py",
        "reference": f"OpenDSS via opendssdirect.py {dss.__version__} ({dss.Basic.Version()})",
        "feeder": "IEEE 123 (IEEE123Switches.dss), published taps locked, tolerance 1e-10",
        "taps": TAPS,
        "cases": cases,
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
