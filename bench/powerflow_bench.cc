// Power-flow speed: cold solve (compile the grid, symbolic analysis, flat start), warm solve (new
// injections, same topology, warm start) and a full N-1 sweep on 1 and 2 threads.
//
//   gridrl-powerflow-bench [--cases=rts96,bench/data/ieee118.json] [google-benchmark flags]
//   gridrl-powerflow-bench --cases=... --median_json=200   (per-call medians as JSON)
//
// bench/powerflow_vs_lightsim2grid.py runs this next to lightsim2grid on the same inputs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "powerflow/transmission/ac_power_flow.h"
#include "powerflow/network/case_io.h"
#include "powerflow/transmission/contingency.h"

namespace gridrl::powerflow {
namespace {

struct BenchCase {
  std::string label;
  Network network;
  std::shared_ptr<const Grid> grid;
};

std::vector<BenchCase>& Cases() {
  static auto* cases = new std::vector<BenchCase>();
  return *cases;
}

constexpr double kTol = 1e-8;
constexpr int kMaxIter = 10;

SolveOptions Options(bool flat) {
  SolveOptions o;
  o.tolerance_pu = kTol;
  o.max_iterations = kMaxIter;
  o.flat_start = flat;
  return o;
}

// Cold: everything a new topology costs (Ybus pattern, Jacobian symbolic analysis, workspace,
// flat-start Newton solve).
void BM_ColdSolve(benchmark::State& state, const BenchCase* c) {
  int iters = 0;
  for (auto _ : state) {
    auto grid = Grid::Create(c->network);
    AcPowerFlow pf(*grid);
    const SolveReport rep = pf.Solve(Options(true));
    iters = rep.iterations;
    if (!rep.converged) state.SkipWithError("not converged");
    benchmark::DoNotOptimize(pf.vm_pu(0));
  }
  state.counters["nr_iterations"] = iters;
}

// Warm: new loads every solve (a +-5 % pattern that moves each time), same topology, warm start
// from the previous solution; the grid and its symbolic analysis are reused.
void BM_WarmSolve(benchmark::State& state, const BenchCase* c) {
  AcPowerFlow pf(c->grid);
  pf.Solve(Options(true));
  const int nb = c->grid->num_buses();
  std::vector<double> p0(nb), q0(nb);
  for (int i = 0; i < nb; ++i) {
    p0[i] = pf.load_p_mw(i);
    q0[i] = pf.load_q_mvar(i);
  }
  long k = 0;
  double total_iters = 0;
  for (auto _ : state) {
    ++k;
    for (int i = 0; i < nb; ++i) {
      const double s = 1.0 + 0.05 * std::sin(0.7 * k + 1.3 * i);
      pf.SetLoad(i, p0[i] * s, q0[i] * s);
    }
    const SolveReport rep = pf.Solve(Options(false));
    if (!rep.converged) state.SkipWithError("not converged");
    total_iters += rep.iterations;
  }
  state.counters["nr_iterations"] = total_iters / std::max<long>(1, k);
}

void BM_N1(benchmark::State& state, const BenchCase* c) {
  const int threads = static_cast<int>(state.range(0));
  AcPowerFlow base(c->grid);
  base.Solve(Options(true));
  ContingencyAnalyzer analyzer(c->grid);
  ContingencyOptions opt;
  opt.solve = Options(false);
  opt.threads = threads;
  size_t n = 0;
  int not_converged = 0;
  for (auto _ : state) {
    const auto& res = analyzer.Run(base, opt);
    n = res.size();
    not_converged = 0;
    for (const auto& r : res) not_converged += !r.converged;
  }
  state.counters["contingencies"] = static_cast<double>(n);
  state.counters["not_converged"] = not_converged;
  state.counters["contingencies_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

// Restoration-style use: flip one branch status (ties and sectionalizers, in a fixed
// pseudo-random sequence, so islands appear and disappear) and re-solve warm.
void BM_ToggleBranch(benchmark::State& state, const BenchCase* c) {
  AcPowerFlow pf(c->grid);
  pf.Solve(Options(true));
  const int nl = c->grid->num_branches();
  unsigned seed = 12345;
  long solves = 0, not_converged = 0;
  for (auto _ : state) {
    seed = seed * 1103515245u + 12345u;
    const int l = static_cast<int>((seed >> 8) % nl);
    pf.SetBranchInService(l, !pf.branch_in_service(l));
    const SolveReport rep = pf.Solve(Options(false));
    ++solves;
    not_converged += !rep.converged;
  }
  state.counters["not_converged_fraction"] =
      solves ? static_cast<double>(not_converged) / solves : 0.0;
}

// --median_json: per-call wall-clock samples and their median (the statistic the side-by-side
// script also takes for lightsim2grid), robust to a busy machine where a mean is not.
double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

template <typename F>
double TimeIt(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void PrintMedians(int reps) {
  std::printf("{");
  bool first = true;
  for (const BenchCase& c : Cases()) {
    std::vector<double> cold, warm, n1[2], n1_cpu[2];
    for (int r = 0; r < reps; ++r) {
      cold.push_back(TimeIt([&] {
        auto grid = Grid::Create(c.network);
        AcPowerFlow pf(*grid);
        pf.Solve(Options(true));
        benchmark::DoNotOptimize(pf.vm_pu(0));
      }));
    }
    AcPowerFlow pf(c.grid);
    pf.Solve(Options(true));
    const int nb = c.grid->num_buses();
    std::vector<double> p0(nb), q0(nb);
    for (int i = 0; i < nb; ++i) {
      p0[i] = pf.load_p_mw(i);
      q0[i] = pf.load_q_mvar(i);
    }
    for (int k = 1; k <= reps * 5; ++k) {
      for (int i = 0; i < nb; ++i) {
        const double s = 1.0 + 0.05 * std::sin(0.7 * k + 1.3 * i);
        pf.SetLoad(i, p0[i] * s, q0[i] * s);
      }
      warm.push_back(TimeIt([&] { pf.Solve(Options(false)); }));
    }
    AcPowerFlow base(c.grid);
    base.Solve(Options(true));
    ContingencyAnalyzer analyzer(c.grid);
    size_t count = 0;
    for (int t = 1; t <= 2; ++t) {
      ContingencyOptions opt;
      opt.solve = Options(false);
      opt.threads = t;
      analyzer.Run(base, opt);  // warm-up: workspaces
      for (int r = 0; r < std::max(10, reps / 10); ++r) {
        const double cpu0 = ProcessCpuSeconds();
        n1[t - 1].push_back(TimeIt([&] { count = analyzer.Run(base, opt).size(); }));
        n1_cpu[t - 1].push_back(ProcessCpuSeconds() - cpu0);
      }
    }
    std::printf("%s\"%s\": {\"cold_us\": %.3f, \"warm_us\": %.3f, \"n1_t1_ms\": %.4f, "
                "\"n1_t2_ms\": %.4f, \"n1_t1_cpu_ms\": %.4f, \"n1_t2_cpu_ms\": %.4f, "
                "\"n1_count\": %zu}",
                first ? "" : ", ", c.label.c_str(), Median(cold) * 1e6, Median(warm) * 1e6,
                Median(n1[0]) * 1e3, Median(n1[1]) * 1e3, Median(n1_cpu[0]) * 1e3,
                Median(n1_cpu[1]) * 1e3, count);
    first = false;
  }
  std::printf("}\n");
}

}  // namespace
}  // namespace gridrl::powerflow

int main(int argc, char** argv) {
  using namespace gridrl::powerflow;
  std::string list = "rts96";
  std::vector<char*> rest;
  int median_reps = 0;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--cases=", 8) == 0) {
      list = argv[i] + 8;
    } else if (std::strncmp(argv[i], "--median_json=", 14) == 0) {
      median_reps = std::atoi(argv[i] + 14);
    } else {
      rest.push_back(argv[i]);
    }
  }
  for (absl::string_view item : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    const std::string arg(item);
    auto net = LoadCase(arg);
    if (!net.ok()) {
      std::cerr << "gridrl-powerflow-bench: " << net.status().message() << "\n";
      return 2;
    }
    auto grid = Grid::Create(*net);
    if (!grid.ok()) {
      std::cerr << "gridrl-powerflow-bench: " << grid.status().message() << "\n";
      return 2;
    }
    Cases().push_back(BenchCase{net->name, *net, *grid});
  }
  if (median_reps > 0) {
    PrintMedians(median_reps);
    return 0;
  }
  for (const BenchCase& c : Cases()) {
    if (c.label == "case70da") {  // restoration70's pattern; N-1 is not meaningful on it
      benchmark::RegisterBenchmark(("toggle/" + c.label).c_str(), BM_ToggleBranch, &c)
          ->Unit(benchmark::kMicrosecond);
      continue;
    }
    benchmark::RegisterBenchmark(("cold/" + c.label).c_str(), BM_ColdSolve, &c)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("warm/" + c.label).c_str(), BM_WarmSolve, &c)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("n1/" + c.label).c_str(), BM_N1, &c)
        ->Arg(1)
        ->Arg(2)
        ->ArgName("threads")
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
