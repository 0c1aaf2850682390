// N-1 contingency analysis: every in-service branch out in turn, from a solved base state,
// each outage warm-started from the base voltages and solved on the base's symbolic Jacobian
// (the Ybus pattern keeps every branch, so an outage only changes values). Islanding is handled
// by the solver (island slacks, de-energized islands). Contingencies run in parallel with one
// preallocated `AcPowerFlow` workspace per thread; a `ContingencyAnalyzer` kept across calls
// (e.g. one per environment) allocates nothing after its first run.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <vector>

#include "powerflow/transmission/ac_power_flow.h"

namespace gridrl::powerflow {

struct ContingencyResult {
  int branch = -1;             // branch index in the network
  int from_id = 0, to_id = 0;  // bus numbers
  bool islanded = false;       // the outage split an island (or de-energized buses)
  bool converged = false;
  int iterations = 0;
  int overloads = 0;           // branches with loading > 1 (|S| over RATE_A, either end)
  double max_loading = 0;      // largest |S| / RATE_A over rated in-service branches
  int v_violations = 0;        // energized buses outside [Vmin, Vmax]
  double max_mismatch_pu = 0;
  double unserved_mw = 0;
};

struct ContingencyOptions {
  SolveOptions solve;          // flat_start is ignored: outages always warm-start from the base
  int threads = 1;
  double voltage_tolerance_pu = 1e-6;  // slack on Vmin/Vmax before counting a violation
};

// Loading and voltage checks of a solved state (helpers shared with the environments).
int CountOverloads(const AcPowerFlow& pf, double* max_loading);
int CountVoltageViolations(const AcPowerFlow& pf, double tolerance_pu);

// Threads: a small persistent pool owned by the analyzer (started on the first run with
// threads > 1), workers sleep on a condition variable between runs (no spinning, which matters on
// a shared, oversubscribed machine) and take contingencies one at a time from an atomic counter,
// the calling thread included.
class ContingencyAnalyzer {
 public:
  explicit ContingencyAnalyzer(std::shared_ptr<const Grid> grid);
  ~ContingencyAnalyzer();
  ContingencyAnalyzer(ContingencyAnalyzer&&) noexcept;
  ContingencyAnalyzer& operator=(ContingencyAnalyzer&&) noexcept;

  // Runs every branch that is in service in `base` (which must be solved; its inputs and voltages
  // are the starting point). Results are in branch order and valid until the next call.
  const std::vector<ContingencyResult>& Run(const AcPowerFlow& base,
                                            const ContingencyOptions& options);
  // Only the listed branches (those not in service in `base` are skipped), in the given order.
  const std::vector<ContingencyResult>& Run(const AcPowerFlow& base,
                                            const ContingencyOptions& options,
                                            std::span<const int> branches);

 private:
  struct Pool;
  void Work(int slot);
  const std::vector<ContingencyResult>& RunOutages(const AcPowerFlow& base,
                                                   const ContingencyOptions& options);

  std::shared_ptr<const Grid> grid_;
  std::vector<AcPowerFlow> workspaces_;
  std::vector<int> outages_;
  std::vector<ContingencyResult> results_;
  std::unique_ptr<Pool> pool_;
  // State of the current run, read by the workers.
  const AcPowerFlow* base_ = nullptr;
  ContingencyOptions options_;
  int base_islands_ = 0, base_dead_ = 0;
  alignas(64) std::atomic<int> next_{0};
};

}  // namespace gridrl::powerflow
