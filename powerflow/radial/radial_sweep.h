// Backward/forward sweep power flow for radial networks (forests), used where a network is
// reconfigured many times per second (the restoration environment evaluates ~1e6 topologies for one
// exact repair schedule) and a general Newton-Raphson would spend most of its time on the sparse
// factorisation of a matrix the sweep never needs.
//
// Model: every bus has at most one parent branch; roots are sources held at a fixed complex voltage
// (slack). Loads are constant power. Shunts and line charging are not modelled (the distribution
// cases this is used for have none). Per iteration: load currents I = conj(S / V), backward
// accumulation of branch currents from the leaves, forward voltage update V_child = V_parent -
// Z J from the roots. Converged when the largest voltage change is below the tolerance; a load too
// heavy for its feeder (beyond the nose of the PV curve) does not converge, which is reported as a
// result (converged = false), never as an error.
//
// Invariants expected from the caller (checked by ValidateRadialTopology, not by Solve, which is
// in the hot loop): `order` lists every energised bus once, parents before children; parent[i] is
// -1 for a root and an energised bus otherwise. Buses absent from `order` are ignored.
#pragma once

#include <cstdint>
#include <span>

#include "absl/status/status.h"

namespace gridrl::powerflow {

struct RadialSweepOptions {
  int max_iterations = 30;
  double tolerance_pu = 1e-9;  // largest |dV| between iterations
  // A voltage magnitude below this during the iterations is a collapse: stop, not converged.
  double collapse_vm_pu = 0.3;
};

// All arrays are indexed by bus (size n) and owned by the caller, so a solve allocates nothing.
struct RadialSweepData {
  std::span<const int> order;        // energised buses, parents first
  std::span<const int> parent;       // -1 for roots
  std::span<const double> z_re_pu;   // series impedance of the branch to the parent
  std::span<const double> z_im_pu;
  std::span<const double> p_pu;      // load (consumption positive)
  std::span<const double> q_pu;
  std::span<const double> root_vm_pu;  // per bus; read for roots only (V = vm at angle 0)
  // In/out: voltages (used as the starting point when warm_start), branch currents to the parent.
  std::span<double> v_re, v_im;
  std::span<double> i_re, i_im;
};

struct RadialSweepResult {
  bool converged = false;
  int iterations = 0;
  double max_change_pu = 0.0;
};

// Checks the invariants above (sizes, parents before children, no cycles); messages name the bus.
absl::Status ValidateRadialTopology(std::span<const int> order, std::span<const int> parent,
                                    int num_buses);

RadialSweepResult SolveRadialSweep(const RadialSweepData& data, const RadialSweepOptions& options,
                                   bool warm_start);

}  // namespace gridrl::powerflow
