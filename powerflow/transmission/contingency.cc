#include "powerflow/transmission/contingency.h"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

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

struct ContingencyAnalyzer::Pool {
  std::vector<std::thread> threads;
  std::mutex mu;
  std::condition_variable start_cv, done_cv;
  uint64_t generation = 0;
  int participants = 0;  // workers (slots 1..participants) that may join the current run
  bool open = false;     // the current run still accepts workers
  int in_job = 0;        // workers inside the current run
  bool stop = false;
  std::function<void(int)> job;

  void Loop(int slot) {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      start_cv.wait(lock, [&] { return stop || generation != seen; });
      if (stop) return;
      seen = generation;
      // A worker that wakes after the caller finished the run stays out of it, so the caller
      // never waits for a thread the scheduler has not run yet.
      if (!open || slot > participants) continue;
      ++in_job;
      lock.unlock();
      job(slot);
      lock.lock();
      if (--in_job == 0 && !open) done_cv.notify_one();
    }
  }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    start_cv.notify_all();
    for (std::thread& t : threads) t.join();
  }
};

ContingencyAnalyzer::ContingencyAnalyzer(std::shared_ptr<const Grid> grid)
    : grid_(std::move(grid)) {}

ContingencyAnalyzer::~ContingencyAnalyzer() = default;

ContingencyAnalyzer::ContingencyAnalyzer(ContingencyAnalyzer&& other) noexcept
    : grid_(std::move(other.grid_)),
      workspaces_(std::move(other.workspaces_)),
      outages_(std::move(other.outages_)),
      results_(std::move(other.results_)),
      pool_(std::move(other.pool_)) {}

ContingencyAnalyzer& ContingencyAnalyzer::operator=(ContingencyAnalyzer&& other) noexcept {
  pool_.reset();
  grid_ = std::move(other.grid_);
  workspaces_ = std::move(other.workspaces_);
  outages_ = std::move(other.outages_);
  results_ = std::move(other.results_);
  pool_ = std::move(other.pool_);
  return *this;
}

void ContingencyAnalyzer::Work(int slot) {
  AcPowerFlow& ws = workspaces_[slot];
  const auto& branches = grid_->network().branches;
  SolveOptions solve = options_.solve;
  solve.flat_start = false;
  const int n = static_cast<int>(outages_.size());
  for (int c = next_.fetch_add(1, std::memory_order_relaxed); c < n;
       c = next_.fetch_add(1, std::memory_order_relaxed)) {
    const int l = outages_[c];
    ws.CopyStateFrom(*base_);
    ws.SetBranchInService(l, false);
    const SolveReport rep = ws.Solve(solve);
    ContingencyResult r;
    r.branch = l;
    r.from_id = branches[l].from_id;
    r.to_id = branches[l].to_id;
    r.islanded = rep.num_islands != base_islands_ || rep.num_dead_buses != base_dead_;
    r.converged = rep.converged;
    r.iterations = rep.iterations;
    r.max_mismatch_pu = rep.max_mismatch_pu;
    r.unserved_mw = rep.unserved_mw;
    if (rep.converged) {
      r.overloads = CountOverloads(ws, &r.max_loading);
      r.v_violations = CountVoltageViolations(ws, options_.voltage_tolerance_pu);
    }
    results_[c] = r;
  }
}

const std::vector<ContingencyResult>& ContingencyAnalyzer::Run(const AcPowerFlow& base,
                                                               const ContingencyOptions& options) {
  outages_.clear();
  for (int l = 0; l < grid_->num_branches(); ++l) {
    if (base.branch_in_service(l)) outages_.push_back(l);
  }
  return RunOutages(base, options);
}

const std::vector<ContingencyResult>& ContingencyAnalyzer::Run(const AcPowerFlow& base,
                                                               const ContingencyOptions& options,
                                                               std::span<const int> branches) {
  outages_.clear();
  for (int l : branches) {
    if (l >= 0 && l < grid_->num_branches() && base.branch_in_service(l)) outages_.push_back(l);
  }
  return RunOutages(base, options);
}

const std::vector<ContingencyResult>& ContingencyAnalyzer::RunOutages(
    const AcPowerFlow& base, const ContingencyOptions& options) {
  const int threads = std::max(1, options.threads);
  while (static_cast<int>(workspaces_.size()) < threads) workspaces_.emplace_back(grid_);
  results_.resize(outages_.size());
  base_ = &base;
  options_ = options;
  base_islands_ = base.report().num_islands;
  base_dead_ = base.report().num_dead_buses;
  next_.store(0, std::memory_order_relaxed);
  if (threads == 1) {
    Work(0);
    return results_;
  }
  if (!pool_) pool_ = std::make_unique<Pool>();
  Pool& pool = *pool_;
  {
    std::lock_guard<std::mutex> lock(pool.mu);
    while (static_cast<int>(pool.threads.size()) < threads - 1) {
      const int slot = static_cast<int>(pool.threads.size()) + 1;
      pool.threads.emplace_back([&pool, slot] { pool.Loop(slot); });
    }
    pool.job = [this](int slot) { Work(slot); };
    pool.participants = threads - 1;
    pool.open = true;
    ++pool.generation;
  }
  pool.start_cv.notify_all();
  Work(0);
  std::unique_lock<std::mutex> lock(pool.mu);
  pool.open = false;
  pool.done_cv.wait(lock, [&] { return pool.in_job == 0; });
  return results_;
}

}  // namespace gridrl::powerflow
