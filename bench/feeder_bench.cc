// Three-phase feeder power flow on IEEE 123 (published taps): full solves and re-solves after a
// switch toggle, the cases the resilience123 environment runs once per step.
//
//   build/bin/gridrl-feeder-bench [--benchmark_filter=...]
// bench/feeder_vs_opendss.py runs this binary next to OpenDSS and prints the ratios.
#include <atomic>
#include <cmath>
#include <new>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "powerflow/network/dss_reader.h"
#include "powerflow/network/feeder_data.h"
#include "powerflow/distribution/feeder_solver.h"

namespace pf = gridrl::powerflow;

// Counts heap allocations so the re-solve benchmarks can show there are none in the step loop.
static std::atomic<long> g_allocations{0};
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

std::string DssPath() {
  if (const char* p = std::getenv("GRIDRL_IEEE123_DSS")) return p;
  return std::string(GRIDRL_SOURCE_DIR) + "/../shared/data/ieee123/opendss/IEEE123Switches.dss";
}

std::shared_ptr<const pf::FeederModel> Model() {
  static std::shared_ptr<const pf::FeederModel> model = [] {
    auto d = pf::LoadFeeder("ieee123");
    if (!d.ok()) std::abort();
    auto m = pf::FeederModel::Build(*d);
    if (!m.ok()) std::abort();
    return *m;
  }();
  return model;
}

// Parse the OpenDSS text, compile the model, solve (published taps set as in the golden test).
void BM_FeederFromDssText(benchmark::State& state) {
  const std::string path = DssPath();
  if (!std::filesystem::exists(path)) {
    state.SkipWithError("IEEE123Switches.dss not found (set GRIDRL_IEEE123_DSS)");
    return;
  }
  const int taps[] = {7, -1, 0, -1, 8, 1, 5};
  for (auto _ : state) {
    auto d = pf::ReadDssFile(path);
    auto m = pf::FeederModel::Build(*d);
    pf::FeederSolver solver(*m);
    pf::FeederState s = (*m)->NormalState();
    for (int i = 0; i < 7; ++i) s.taps[i] = taps[i];
    const auto& r = solver.Solve(s);
    if (!r.converged) state.SkipWithError("not converged");
    benchmark::DoNotOptimize(r.v.data());
  }
}
BENCHMARK(BM_FeederFromDssText)->Unit(benchmark::kMicrosecond);

// Compile the immutable model from FeederData (node table, Yprims, ordering, symbolic LDL).
void BM_FeederModelBuild(benchmark::State& state) {
  auto d = pf::LoadFeeder("ieee123");
  for (auto _ : state) {
    auto m = pf::FeederModel::Build(*d);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_FeederModelBuild)->Unit(benchmark::kMicrosecond);

// Convergence tolerance 10^-arg pu (9 = the solver's default; 4 = OpenDSS's default).
pf::FeederSolveOptions Options(const benchmark::State& state) {
  pf::FeederSolveOptions o;
  o.tol_pu = std::pow(10.0, -static_cast<double>(state.range(0)));
  return o;
}

// A full solve on a compiled model with a reused workspace: assembly, factorization, flat start.
void BM_FeederFullSolve(benchmark::State& state) {
  auto m = Model();
  pf::FeederState s = m->NormalState();
  const pf::FeederSolveOptions o = Options(state);
  pf::FeederSolver solver(m);
  for (auto _ : state) {
    solver.Reset();
    const auto& r = solver.Solve(s, o);
    if (!r.converged) state.SkipWithError("not converged");
    benchmark::DoNotOptimize(r.v.data());
  }
  state.counters["iterations"] = solver.result().iterations;
}

// The same with a new workspace each time (allocation included).
void BM_FeederNewWorkspaceSolve(benchmark::State& state) {
  auto m = Model();
  pf::FeederState s = m->NormalState();
  const pf::FeederSolveOptions o = Options(state);
  for (auto _ : state) {
    pf::FeederSolver solver(m);
    const auto& r = solver.Solve(s, o);
    if (!r.converged) state.SkipWithError("not converged");
    benchmark::DoNotOptimize(r.v.data());
  }
}
BENCHMARK(BM_FeederNewWorkspaceSolve)->Arg(9)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FeederFullSolve)->Arg(9)->Arg(4)->Unit(benchmark::kMicrosecond);

// Re-solve after toggling one switch (tie 151-300, Sw7): refactorization + warm iterations.
void BM_FeederToggleResolve(benchmark::State& state) {
  auto m = Model();
  pf::FeederSolver solver(m);
  pf::FeederState s = m->NormalState();
  const int sw = m->data().FindLine("Sw7");
  const pf::FeederSolveOptions o = Options(state);
  solver.Solve(s, o);
  const long allocations_before = g_allocations.load();
  for (auto _ : state) {
    s.line_closed[sw] ^= 1;
    const auto& r = solver.Solve(s, o);
    if (!r.converged) state.SkipWithError("not converged");
    benchmark::DoNotOptimize(r.v.data());
  }
  state.counters["iterations"] = solver.result().iterations;
  state.counters["allocs_per_solve"] = static_cast<double>(g_allocations.load() - allocations_before) /
                                       static_cast<double>(state.iterations());
}
BENCHMARK(BM_FeederToggleResolve)->Arg(9)->Arg(4)->Unit(benchmark::kMicrosecond);

// Re-solve after toggling a normally-closed switch that islands a zone (Sw3 18-135): the zone
// goes dark and comes back, so half the steps start energised nodes from flat voltages.
void BM_FeederIslandingToggleResolve(benchmark::State& state) {
  auto m = Model();
  pf::FeederSolver solver(m);
  pf::FeederState s = m->NormalState();
  const int sw = m->data().FindLine("Sw3");
  const pf::FeederSolveOptions o = Options(state);
  solver.Solve(s, o);
  for (auto _ : state) {
    s.line_closed[sw] ^= 1;
    const auto& r = solver.Solve(s, o);
    if (!r.converged) state.SkipWithError("not converged");
    benchmark::DoNotOptimize(r.v.data());
  }
}
BENCHMARK(BM_FeederIslandingToggleResolve)->Arg(9)->Arg(4)->Unit(benchmark::kMicrosecond);

// Same state again (e.g. only DER setpoints changed): no refactorization, warm start.
void BM_FeederResolveUnchanged(benchmark::State& state) {
  auto m = Model();
  pf::FeederSolver solver(m);
  pf::FeederState s = m->NormalState();
  solver.Solve(s);
  for (auto _ : state) {
    const auto& r = solver.Solve(s);
    benchmark::DoNotOptimize(r.v.data());
  }
}
BENCHMARK(BM_FeederResolveUnchanged)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
