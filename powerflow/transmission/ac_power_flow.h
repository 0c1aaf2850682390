// AC power flow by Newton-Raphson (polar form) on a fixed-pattern sparse Jacobian.
//
// `AcPowerFlow` is the small mutable half of the model/data split: it holds the per-solve inputs
// (branch and generator statuses, loads, dispatch, voltage set-points), the voltages of the last
// solution (the warm start of the next solve) and preallocated workspaces. It shares the
// immutable `Grid` (grid.h) and its symbolic Jacobian analyses, so copies are cheap and solving
// after a change of injections or branch statuses allocates nothing in the common case.
//
// Topology is handled per solve: islands are found from the in-service branches; each island
// keeps its REF buses as slacks (several are allowed, e.g. two substations), or gets one (a
// preferred bus if set, else the bus of the largest in-service generator by Pmax); an island
// without generation is de-energized and its load reported as unserved. All islands are solved
// in one Newton system whose unknowns outside the current topology are frozen (identity rows),
// which keeps one symbolic factorization valid for every branch-status combination.
//
// Non-convergence is a result (`SolveReport::converged == false`), never an error; voltages after
// a failed solve are not meaningful, and the next solve starts flat.
//
// Conventions: a PV or slack bus takes its Vm set-point from its first in-service generator; a
// REF bus stays a slack while one of its units is in service; the first in-service generator of
// a slack bus takes the slack's active power, reactive power is shared in proportion to Q ranges.
//
// Typical use (one Grid shared by all copies, one AcPowerFlow per environment or thread):
//   auto net = LoadCase("rts96");                          // case_io.h
//   std::shared_ptr<const Grid> grid = *Grid::Create(*net);
//   AcPowerFlow pf(grid);
//   pf.SetLoad(bus, p_mw, q_mvar); pf.SetGenP(gen, p_mw); pf.SetBranchInService(l, false);
//   SolveReport rep = pf.Solve();                          // warm start, no allocation
//   double v = pf.vm_pu(bus), loading = pf.branch_loading(l);
//   ContingencyAnalyzer n1(grid);                          // contingency.h, keep it around
//   const auto& outages = n1.Run(pf, ContingencyOptions{});
// Units: inputs and outputs in MW, MVAr, pu, degrees; indices are positions in Network vectors.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "powerflow/transmission/grid.h"

namespace gridrl::powerflow {

struct SolveOptions {
  double tolerance_pu = 1e-8;  // largest P/Q mismatch, per unit on base_mva
  int max_iterations = 20;
  bool flat_start = false;        // Vm = 1 (set-points at PV buses), Va = slack angle
  bool enforce_q_limits = false;  // switch PV buses past Qmin/Qmax to PQ at the limit, re-solve
  int max_q_limit_rounds = 10;
  // A warm start that fails is retried once from a flat start. After a failed solve the next
  // solve starts flat (the diverged voltages are no starting point).
  bool retry_flat_start = true;
};

struct SolveReport {
  bool converged = false;
  int iterations = 0;            // Newton iterations, summed over Q-limit rounds
  double max_mismatch_pu = 0;    // largest |P| or |Q| mismatch at the end, per unit
  bool singular = false;         // the Jacobian could not be factored
  int num_islands = 0;           // energized islands
  int num_dead_buses = 0;        // buses in islands without generation
  double unserved_mw = 0;        // load of the dead buses
  int q_limit_switches = 0;      // PV buses switched to PQ
  bool retried_flat = false;     // the warm start failed and a flat start was tried
};

struct BranchFlow {
  double p_from_mw = 0, q_from_mvar = 0, p_to_mw = 0, q_to_mvar = 0;
};

// A full copy of a solution, for reports and tests (allocates; not for hot loops).
struct PowerFlowResult {
  SolveReport report;
  std::vector<int> bus_id;
  std::vector<double> vm_pu, va_deg;
  std::vector<char> energized;
  std::vector<BranchFlow> branches;
  std::vector<double> gen_p_mw, gen_q_mvar;
  double losses_mw = 0;
};

class AcPowerFlow {
 public:
  explicit AcPowerFlow(std::shared_ptr<const Grid> grid);
  AcPowerFlow(const AcPowerFlow&) = default;
  AcPowerFlow& operator=(const AcPowerFlow&) = default;

  const Grid& grid() const { return *grid_; }
  const std::shared_ptr<const Grid>& grid_ptr() const { return grid_; }

  // --- Inputs (kept across solves). ---
  void SetBranchInService(int branch, bool in_service);
  bool branch_in_service(int branch) const { return branch_on_[branch] != 0; }
  void SetGenInService(int gen, bool in_service);
  bool gen_in_service(int gen) const { return gen_on_[gen] != 0; }
  void SetGenP(int gen, double p_mw) { gen_p_mw_[gen] = p_mw; }
  void SetGenQ(int gen, double q_mvar) { gen_q_mvar_in_[gen] = q_mvar; }  // used at PQ buses
  void SetGenVoltage(int gen, double vg_pu) { gen_vg_[gen] = vg_pu; }
  void SetLoad(int bus, double p_mw, double q_mvar) {
    pd_mw_[bus] = p_mw;
    qd_mvar_[bus] = q_mvar;
  }
  double load_p_mw(int bus) const { return pd_mw_[bus]; }
  double load_q_mvar(int bus) const { return qd_mvar_[bus]; }
  double gen_p_setpoint_mw(int gen) const { return gen_p_mw_[gen]; }
  // Buses (by index) to use as slack, in order of preference, in islands without a REF bus.
  void SetPreferredSlacks(std::vector<int> buses);
  // Restores every input to the network's values (does not touch the voltages).
  void ResetInputs();
  // Sets the voltages to a flat start for the next solve (also `SolveOptions::flat_start`).
  void SetFlatStart();
  // Copies inputs and voltages from a solver of the same grid (no allocation once sized).
  void CopyStateFrom(const AcPowerFlow& other);

  // --- Solve: warm-started from the current voltages unless options.flat_start. ---
  SolveReport Solve(const SolveOptions& options = {});
  const SolveReport& report() const { return report_; }

  // --- Results of the last solve. ---
  double vm_pu(int bus) const { return energized_[bus] ? vm_[bus] : 0.0; }
  double va_deg(int bus) const;
  bool energized(int bus) const { return energized_[bus] != 0; }
  int island_of(int bus) const { return island_[bus]; }  // -1 if de-energized
  BranchFlow branch_flow(int branch) const;
  // max(|S_from|, |S_to|) / RATE_A; 0 for out-of-service or unrated branches.
  double branch_loading(int branch) const;
  double losses_mw() const;
  double gen_p_mw(int gen) const;
  double gen_q_mvar(int gen) const;
  PowerFlowResult Result() const;

 private:
  SolveReport SolveOnce(const SolveOptions& options, bool flat);
  void PrepareTopology();
  void PrepareInjections();
  int NewtonRaphson(const SolveOptions& options, double* max_mismatch, bool* singular);
  double ComputeMismatch();  // fills s_calc_ and rhs_, returns the largest |mismatch|
  void ComputeBusGeneration() const;

  enum Role : char { kDead = 0, kSlack = 1, kPV = 2, kPQ = 3 };

  std::shared_ptr<const Grid> grid_;
  // Inputs.
  std::vector<char> branch_on_, gen_on_;
  std::vector<double> gen_p_mw_, gen_q_mvar_in_, gen_vg_, pd_mw_, qd_mvar_;
  std::vector<int> preferred_slacks_;
  bool topology_dirty_ = true;
  // State.
  std::vector<double> vm_, va_;
  std::vector<Complex> v_, ybus_, sbus_, s_calc_;
  std::vector<char> role_, energized_, qlim_pq_;
  std::vector<double> qlim_mvar_;
  std::vector<int> island_;
  std::vector<int> island_ref_;   // a slack bus of each island root
  std::vector<int> reenergized_;  // scratch
  bool first_topology_ = true;
  bool last_failed_ = false;
  std::vector<int> dsu_;  // union-find scratch
  std::vector<int> island_slack_;  // scratch: chosen slack per island root
  std::vector<double> island_best_;
  std::vector<char> island_has_ref_, island_has_gen_;
  std::shared_ptr<const JacobianPattern> pattern_, custom_pattern_;
  std::vector<char> frozen_, need_theta_, need_vm_;
  std::vector<double> lu_values_, rhs_, work_;
  SolveReport report_;
  int num_islands_ = 0, num_dead_ = 0;
  double unserved_mw_ = 0;
  // Generation per bus of the last solution (computed lazily).
  mutable std::vector<double> bus_pg_mw_, bus_qg_mvar_;
  mutable bool generation_valid_ = false;
};

}  // namespace gridrl::powerflow
