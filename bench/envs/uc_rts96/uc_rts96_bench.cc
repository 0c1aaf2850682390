// uc_rts96: the cost of one real-time hour (base case + every in-service branch outage, 121 AC
// power flows on RTS-96), of one day-ahead step (24 such hours), and of scoring one IAPI
// candidate (5 initial days x 24 h), all on one core.
//
//   build-uc/bin/gridrl-uc-rts96-bench [--benchmark_filter=...]
//
// Hours are taken from a stress day (1..5) with the Cost heuristic's commitment and the built-in
// redispatch, as in IAPI's scoring; `Hour/<day>` reports the time per hour and the contingency
// cases per second.
#include <benchmark/benchmark.h>

#include "envs/uc_rts96/iapi.h"
#include "envs/uc_rts96/model.h"
#include "env/registry.h"

namespace {

using gridrl::env::Rng;
using gridrl::env::uc::UcModel;
using gridrl::env::uc::UcParams;
using gridrl::env::uc::UcSim;

std::shared_ptr<const UcModel> Model() {
  static std::shared_ptr<const UcModel> model = [] {
    auto m = UcModel::Create(UcParams{});
    if (!m.ok()) {
      fprintf(stderr, "%s\n", std::string(m.status().message()).c_str());
      std::abort();
    }
    return *m;
  }();
  return model;
}

void Hour(benchmark::State& state) {
  UcSim sim(Model());
  Rng rng(7);
  sim.StartEpisode(rng, static_cast<int>(state.range(0)));
  sim.Commit(sim.model().CostAction(sim.net_demand_forecast()));
  int64_t cases = 0, infeasible = 0;
  for (auto _ : state) {
    sim.RealiseHour(rng);
    sim.LoadSchedule();
    sim.HeuristicRedispatch();
    const auto& r = sim.EvaluateReliability();
    cases += r.cases;
    infeasible += r.infeasible;
    sim.NextHour();
    if (sim.hour() >= 24) sim.AdvanceDay(rng);
  }
  state.counters["cases_per_s"] = benchmark::Counter(static_cast<double>(cases),
                                                      benchmark::Counter::kIsRate);
  state.counters["infeasible_share"] =
      cases > 0 ? static_cast<double>(infeasible) / static_cast<double>(cases) : 0.0;
}
BENCHMARK(Hour)->DenseRange(1, 5)->Unit(benchmark::kMillisecond);

void DayAheadStep(benchmark::State& state) {
  auto env = gridrl::env::Registry::Global().Make("uc_rts96", {});
  if (!env.ok()) std::abort();
  gridrl::env::StepBatch b;
  b.Allocate((*env)->spec(), 1, false);
  gridrl::env::ActionBatch a;
  a.Allocate((*env)->spec(), 1);
  (*env)->Reset(3, gridrl::env::StepSlot(&b, 0));
  int64_t k = 0;
  for (auto _ : state) {
    a.leaves[0].data<int64_t>()[0] = (k++) % 15;
    (*env)->Step(gridrl::env::ActionRow(&a, 0), gridrl::env::StepSlot(&b, 0));
  }
}
BENCHMARK(DayAheadStep)->Unit(benchmark::kMillisecond);

void IapiCandidate(benchmark::State& state) {
  UcSim sim(Model());
  gridrl::agents::IapiOptions o;
  std::vector<double> psi(19, 0.0);
  uint64_t seed = 1;
  for (auto _ : state) {
    auto r = gridrl::agents::ScoreCandidate(sim, psi, o, seed++);
    benchmark::DoNotOptimize(r.score);
  }
}
BENCHMARK(IapiCandidate)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
