#include "powerflow/contingency.h"

#include <algorithm>

#include <omp.h>

namespace gridrl::powerflow {

int CountOverloads(const AcPowerFlow& pf, double* max_loading) {
  int count = 0;
  double worst = 0;
  for (int l = 0; l < pf.grid().num_branches(); ++l) {
    const double loading = pf.branch_loading(l);
    worst = std::max(worst, loading);
    if (loading > 1.0) ++count;
  }
  if (max_loading != nullptr) *max_loading = worst;
  return count;
}

int CountVoltageViolations(const AcPowerFlow& pf, double tolerance_pu) {
  int count = 0;
  const auto& buses = pf.grid().network().buses;
  for (int i = 0; i < pf.grid().num_buses(); ++i) {
    if (!pf.energized(i)) continue;
    const double vm = pf.vm_pu(i);
    if (vm > buses[i].vmax_pu + tolerance_pu || vm < buses[i].vmin_pu - tolerance_pu) ++count;
  }
  return count;
}

ContingencyAnalyzer::ContingencyAnalyzer(std::shared_ptr<const Grid> grid)
    : grid_(std::move(grid)) {}

const std::vector<ContingencyResult>& ContingencyAnalyzer::Run(const AcPowerFlow& base,
                                                               const ContingencyOptions& options) {
  const int threads = std::max(1, options.threads);
  while (static_cast<int>(workspaces_.size()) < threads) workspaces_.emplace_back(grid_);
  outages_.clear();
  for (int l = 0; l < grid_->num_branches(); ++l) {
    if (base.branch_in_service(l)) outages_.push_back(l);
  }
  const int n = static_cast<int>(outages_.size());
  results_.resize(n);
  const int base_islands = base.report().num_islands;
  const int base_dead = base.report().num_dead_buses;
  SolveOptions solve = options.solve;
  solve.flat_start = false;
  const auto& branches = grid_->network().branches;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int c = 0; c < n; ++c) {
    AcPowerFlow& ws = workspaces_[omp_get_thread_num()];
    const int l = outages_[c];
    ws.CopyStateFrom(base);
    ws.SetBranchInService(l, false);
    const SolveReport rep = ws.Solve(solve);
    ContingencyResult& r = results_[c];
    r.branch = l;
    r.from_id = branches[l].from_id;
    r.to_id = branches[l].to_id;
    r.islanded = rep.num_islands != base_islands || rep.num_dead_buses != base_dead;
    r.converged = rep.converged;
    r.iterations = rep.iterations;
    r.max_mismatch_pu = rep.max_mismatch_pu;
    r.unserved_mw = rep.unserved_mw;
    if (rep.converged) {
      r.overloads = CountOverloads(ws, &r.max_loading);
      r.v_violations = CountVoltageViolations(ws, options.voltage_tolerance_pu);
    } else {
      r.overloads = 0;
      r.max_loading = 0;
      r.v_violations = 0;
    }
  }
  return results_;
}

}  // namespace gridrl::powerflow
